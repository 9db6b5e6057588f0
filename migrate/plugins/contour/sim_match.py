"""Route selection: does a virtual host name, a path, a header or a query condition match a request
(Contour's semantics: see the simulator module doc)."""

from __future__ import annotations

import re
from typing import Any

from migrate.plugins.contour.util import text
from migrate.semantics.request import Request


def host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return pattern == host


def path_matches(path: tuple[str, str], request_path: str) -> bool:
    kind, value = path
    if kind == "exact":
        return request_path == value
    if kind == "regex":
        try:
            return re.fullmatch(value, request_path) is not None
        except re.error:
            return False
    if kind == "segment":
        stem = value.rstrip("/")
        return request_path == stem or request_path.startswith(stem + "/")
    return request_path.startswith(value)


def header_ok(h: dict, request: Request) -> bool:
    name = text(h.get("name"))
    value = request.header(name)
    ignore = h.get("ignoreCase") is True
    if h.get("present") is True:
        return value is not None
    if h.get("notpresent") is True:
        return value is None
    if value is None:
        if h.get("treatMissingAsEmpty") is True:
            value = ""
        else:
            return False
    v = value.lower() if ignore else value

    def norm(x: Any) -> str:
        return str(x).lower() if ignore else str(x)

    for op, test in (("exact", lambda x: v == norm(x)), ("notexact", lambda x: v != norm(x)),
                     ("contains", lambda x: norm(x) in v), ("notcontains", lambda x: norm(x) not in v)):
        if h.get(op) not in (None, ""):
            return test(h[op])
    if h.get("regex") not in (None, ""):
        try:
            return re.fullmatch(str(h["regex"]), value, re.IGNORECASE if ignore else 0) is not None
        except re.error:
            return False
    return False


def query_ok(q: dict, request: Request) -> bool:
    name = text(q.get("name"))
    values = [v for k, v in request.query if k == name]
    if not values:
        return False
    value = values[0]
    if q.get("present") is True:
        return True
    ignore = q.get("ignoreCase") is True
    v = value.lower() if ignore else value

    def norm(x: Any) -> str:
        return str(x).lower() if ignore else str(x)

    for op, test in (("exact", lambda x: v == norm(x)), ("prefix", lambda x: v.startswith(norm(x))),
                     ("suffix", lambda x: v.endswith(norm(x))), ("contains", lambda x: norm(x) in v)):
        if q.get(op) not in (None, ""):
            return test(q[op])
    if q.get("regex") not in (None, ""):
        try:
            return re.fullmatch(str(q["regex"]), value, re.IGNORECASE if ignore else 0) is not None
        except re.error:
            return False
    return False
