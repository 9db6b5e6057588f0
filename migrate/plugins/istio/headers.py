"""Istio header operations (headers.request/response set, add, remove) -> header modifier filters."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from migrate.ir import HeaderChange, RequestHeaders, ResponseHeaders
from migrate.plugin import SourceObject

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

Path_ = tuple[Any, ...]
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")


def headers_(conv: "Converter", obj: SourceObject, base: Path_, raw: Any, filters: list) -> None:
    if raw is None:
        return
    path = base + ("headers",)
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "headers must be a map")
        return
    for side, cls in (("request", RequestHeaders), ("response", ResponseHeaders)):
        ops = raw.get(side)
        if ops is None:
            continue
        if not isinstance(ops, dict):
            conv.ctx.input_error(obj, path + (side,), f"headers.{side} must be a map")
            continue
        sets = _pairs(conv, obj, path + (side, "set"), ops.get("set"))
        adds = _pairs(conv, obj, path + (side, "add"), ops.get("add"))
        removes = ops.get("remove") or []
        if not isinstance(removes, list):
            conv.ctx.input_error(obj, path + (side, "remove"), "remove must be a list")
            removes = []
        removes = tuple(str(r) for r in removes if HEADER_NAME.match(str(r)))
        obj.account(path + (side,))
        if sets or adds or removes:
            filters.append(cls(HeaderChange(sets, adds, removes)))


def _pairs(conv: "Converter", obj: SourceObject, path: Path_, raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "must be a map of header name to value")
        return ()
    out = []
    for name, value in raw.items():
        if not HEADER_NAME.match(str(name)):
            conv.ctx.input_error(obj, path + (name,), f"{name!r} is not a header name")
            continue
        out.append((str(name), "" if value is None else str(value)))
    return tuple(out)
