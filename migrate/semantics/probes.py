"""Requests on and around every boundary either configuration draws.

For each host (and wildcard depths, and an unknown host) and each path either side
matches on, the path itself and its neighbours (``/foo``, ``/foo/``, ``/foox``,
``/foo/x``, ``/FOO``), each header either side matches on with its value, another
value and without it, over http and https. Deduplicated, in a stable order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from migrate.regex_sample import sample
from migrate.semantics.request import Request

UNKNOWN_HOST = "unknown.example.invalid"
_PREFIX = "nginx.ingress.kubernetes.io/"


@dataclass
class _Host:
    paths: set[str] = field(default_factory=set)
    headers: set[tuple[str, str]] = field(default_factory=set)


def _concrete(host: str) -> list[str]:
    if host.startswith("*."):
        base = host[2:]
        return [f"a.{base}", f"a.b.{base}", base]
    return [host]


def _path_values(value: str, regex: bool) -> list[str]:
    if not regex:
        return [value]
    out = []
    literal = re.split(r"[.^$*+?()\[\]{}|\\]", value.lstrip("^").removeprefix("(?i)"), maxsplit=1)[0]
    if literal.startswith("/"):
        out.append(literal)
    example = sample(value.removeprefix("(?i)").lstrip("^"), flags=re.IGNORECASE)
    if example and example.startswith("/"):
        out.append(example)
    return out


def _neighbours(path: str) -> list[str]:
    base = path.rstrip("/") or "/"
    out = [path, base, base + "/" if base != "/" else "/", base + "x", base.rstrip("/") + "/x"]
    if any(c.isalpha() for c in base):
        out.append(base.upper())
    return out


def _from_ingress(obj: dict, hosts: dict[str, _Host]) -> None:
    spec = obj.get("spec") or {}
    ann = (obj.get("metadata") or {}).get("annotations") or {}
    regex = str(ann.get(_PREFIX + "use-regex", "")).lower() == "true" or _PREFIX + "rewrite-target" in ann
    headers = set()
    name = ann.get(_PREFIX + "canary-by-header")
    if name:
        value = ann.get(_PREFIX + "canary-by-header-value")
        headers |= {(name, "always"), (name, "never"), (name, value or "other")}
    cookie = ann.get(_PREFIX + "canary-by-cookie")
    if cookie:
        headers |= {("Cookie", f"{cookie}=always"), ("Cookie", f"{cookie}=never")}
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        for host in _concrete(rule["host"]) if rule.get("host") else [UNKNOWN_HOST]:
            entry = hosts.setdefault(host, _Host())
            entry.headers |= headers
            for path in ((rule.get("http") or {}).get("paths") or []):
                value = str(path.get("path") or "/")
                entry.paths.update(_path_values(value, regex or path.get("pathType") == "ImplementationSpecific"
                                                and bool(re.search(r"[.^$*+?()\[\]{}|\\]", value))))
    for tls in spec.get("tls") or []:
        for host in (tls or {}).get("hosts") or []:
            for concrete in _concrete(host):
                hosts.setdefault(concrete, _Host())


def _from_route(obj: dict, hosts: dict[str, _Host]) -> None:
    spec = obj.get("spec") or {}
    names = [c for h in spec.get("hostnames") or [] for c in _concrete(h)] or [UNKNOWN_HOST]
    for host in names:
        entry = hosts.setdefault(host, _Host())
        for rule in spec.get("rules") or []:
            for match in rule.get("matches") or []:
                path = match.get("path") or {}
                if path.get("value"):
                    entry.paths.update(_path_values(path["value"], path.get("type") == "RegularExpression"))
                for header in match.get("headers") or []:
                    if header.get("type", "Exact") == "Exact":
                        entry.headers.add((header["name"], header["value"]))
                        entry.headers.add((header["name"], header["value"] + "-other"))
                    else:
                        example = sample(header["value"])
                        if example is not None:
                            entry.headers.add((header["name"], example))


def probes(source: Iterable[dict], converted: Iterable[dict], *, limit_per_host: int = 400) -> list[Request]:
    hosts: dict[str, _Host] = {}
    for obj in source:
        if obj.get("kind") == "Ingress":
            _from_ingress(obj, hosts)
    for obj in converted:
        if obj.get("kind") in ("HTTPRoute", "GRPCRoute"):
            _from_route(obj, hosts)
    hosts.setdefault(UNKNOWN_HOST, _Host())
    out: dict[str, Request] = {}
    for host in sorted(hosts):
        entry = hosts[host]
        paths = sorted({n for p in entry.paths | {"/"} for n in _neighbours(p)})
        count = 0
        for scheme in ("http", "https"):
            for path in paths:
                variants = [()] + [((name, value),) for name, value in sorted(entry.headers)]
                for headers in variants:
                    if count >= limit_per_host:
                        break
                    request = Request(host=host, path=path, scheme=scheme, headers=headers)
                    out.setdefault(str(request), request)
                    count += 1
    return list(out.values())
