"""requestHeadersPolicy / responseHeadersPolicy -> header modifier filters.

Contour sets (replaces) and removes headers; setting ``Host`` on requests rewrites
the upstream authority (and SNI), which is URLRewrite hostname in Gateway API.
Values with Envoy ``%VAR%`` substitutions cannot be expressed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from migrate.ir import Filter, HeaderChange, RequestHeaders, ResponseHeaders, Rewrite
from migrate.plugins.contour.util import as_dict, as_list, text

if TYPE_CHECKING:
    from migrate.plugins.contour.proxy import RuleBuild

Path_ = tuple[Any, ...]
_VARIABLE = re.compile(r"%[A-Za-z_][A-Za-z0-9_]*(\([^)]*\))?(:[0-9]+)?%")


def header_policy(b: "RuleBuild", raw: Any, path: Path_, *, response: bool, allow_host: bool) -> Filter | None:
    """The header modifier for one policy; a Host set becomes a Rewrite added to the rule."""
    policy = as_dict(raw)
    sets: list[tuple[str, str]] = []
    for i, item in enumerate(as_list(policy.get("set"))):
        item = as_dict(item)
        ipath = path + ("set", i)
        name, value = text(item.get("name")), str(item.get("value", ""))
        if not name:
            b.ctx.input_error(b.obj, ipath, "header set needs a name")
            continue
        if _VARIABLE.search(value):
            b.report("CTR031", ipath, f"{name}: {value!r} uses Envoy variables; not set")
            continue
        if name.lower() == "host" and not response:
            if allow_host:
                b.rule.filters.append(Rewrite(hostname=value))
                b.report("CTR032", ipath, f"Host: {value} -> URLRewrite hostname {value}")
            else:
                b.report("CTR001", ipath, f"Host: {value} on one service: a per-backend host rewrite has no "
                                          "standard Gateway API form; not set")
            continue
        sets.append((name, value))
        b.obj.account(ipath)
    removes = []
    for i, name in enumerate(as_list(policy.get("remove"))):
        if isinstance(name, str) and name:
            removes.append(name)
            b.obj.account(path + ("remove", i))
    b.obj.account(path)
    if not sets and not removes:
        return None
    change = HeaderChange(set=tuple(sets), remove=tuple(removes))
    return ResponseHeaders(change) if response else RequestHeaders(change)


def route_header_policies(b: "RuleBuild") -> None:
    for key, response in (("requestHeadersPolicy", False), ("responseHeadersPolicy", True)):
        if b.route.get(key) is not None:
            flt = header_policy(b, b.route[key], b.path + (key,), response=response, allow_host=not response)
            if flt is not None:
                b.rule.filters.append(flt)
