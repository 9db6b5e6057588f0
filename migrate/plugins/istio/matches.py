"""VirtualService http[].match -> HTTPRouteMatch: uri, headers, queryParams, method.

A match Gateway API cannot express is left out whole (the rule then matches less), never
widened; per-match ``gateways`` and ``sourceNamespace`` are kept as a :class:`Cond` so the
converter can pick, per parent, the matches that apply there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from migrate.ir import HeaderMatch, Match, PathMatch, QueryMatch
from migrate.plugin import SourceObject
from migrate.plugins.istio.headers import HEADER_NAME
from migrate.plugins.istio.parse import MESH, METHODS, StringMatch, regex_ok, string_match

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

Path_ = tuple[Any, ...]
_PATH_OK = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")


@dataclass(frozen=True)
class Cond:
    """Where a match applies: per-match gateways (None: all of the VirtualService's) and sourceNamespace."""

    gateways: frozenset[str] | None = None
    source_namespace: str | None = None


@dataclass
class OneMatch:
    match: Match
    cond: Cond
    uri: StringMatch | None = None



def _path_ok(value: str) -> bool:
    return value.startswith("/") and bool(_PATH_OK.match(value)) and "//" not in value and "/./" not in value \
        and "/../" not in value and not value.endswith(("/..", "/.")) and "%2f" not in value.lower()


def prefix_regex(prefix: str) -> str:
    return re.escape(prefix) + ".*"


def read_matches(conv: "Converter", obj: SourceObject, i: int, raw: Any) -> tuple[list[OneMatch], bool]:
    """The matches of http[i]; (matches, matches-everything)."""
    if raw is None or raw == []:
        return [], True
    if not isinstance(raw, list):
        conv.ctx.input_error(obj, ("spec", "http", i, "match"), "match must be a list")
        return [], False
    out: list[OneMatch] = []
    for j, item in enumerate(raw):
        path: Path_ = ("spec", "http", i, "match", j)
        if not isinstance(item, dict):
            conv.ctx.input_error(obj, path, "a match must be a map")
            continue
        out.extend(one_match(conv, obj, path, item))
    return out, False


def one_match(conv: "Converter", obj: SourceObject, path: Path_, item: dict) -> list[OneMatch]:
    """One HTTPMatchRequest: [] when it cannot be expressed (dropped, narrower), several for a method regex."""
    ctx = conv.ctx
    same_host = redundant_authority(obj, item)
    for key in ("authority", "scheme", "withoutHeaders", "sourceLabels", "port"):
        if key in item and not (key == "authority" and same_host is not None):
            ctx.report("IST032", obj, path + (key,), f"{key} {short(item[key])} has no Gateway API match; "
                       f"match[{path[-1]}] of http[{path[2]}] left out")
            _account_rest(obj, path, item)
            return []
    for key in ("name", "statPrefix"):  # only name the match in Istio's logs and stats
        if key in item:
            obj.account(path + (key,))
    cond = Cond()
    if "gateways" in item:
        gws = item["gateways"]
        if isinstance(gws, list) and all(isinstance(g, str) for g in gws):
            cond = replace(cond, gateways=frozenset(str(g) for g in gws))
            obj.account(path + ("gateways",))
        else:
            ctx.input_error(obj, path + ("gateways",), "gateways must be a list of names")
    if "sourceNamespace" in item:
        cond = replace(cond, source_namespace=str(item["sourceNamespace"]))
        obj.account(path + ("sourceNamespace",))
    fold = item.get("ignoreUriCase") is True
    if "ignoreUriCase" in item:
        obj.account(path + ("ignoreUriCase",))
    uri = None
    path_match = None
    if "uri" in item:
        uri = string_match(item["uri"])
        if uri is None or (uri.kind == "regex" and not regex_ok(uri.value)):
            ctx.report("IST035", obj, path + ("uri",), f"uri {short(item['uri'])} is not a valid StringMatch; match left out")
            _account_rest(obj, path, item)
            return []
        path_match = uri_match(conv, obj, path + ("uri",), uri, fold)
        if path_match is None:
            _account_rest(obj, path, item)
            return []
    headers: list[HeaderMatch] = []
    for key in ("headers",):
        raw = item.get(key)
        if raw is None:
            continue
        if not isinstance(raw, dict):
            ctx.input_error(obj, path + (key,), "headers must be a map")
            continue
        for name, value in raw.items():
            made = _value_match(conv, obj, path + (key, name), str(name), value, "header")
            if made is None:
                _account_rest(obj, path, item)
                return []
            if not HEADER_NAME.match(str(name)):
                ctx.report("IST032", obj, path + (key, name), f"header {name!r} cannot be matched in Gateway API; "
                           "match left out")
                _account_rest(obj, path, item)
                return []
            headers.append(HeaderMatch(str(name), made[1], made[0]))
    query: list[QueryMatch] = []
    raw = item.get("queryParams")
    if raw is not None:
        if not isinstance(raw, dict):
            ctx.input_error(obj, path + ("queryParams",), "queryParams must be a map")
        else:
            for name, value in raw.items():
                made = _value_match(conv, obj, path + ("queryParams", name), str(name), value, "query")
                if made is None:
                    _account_rest(obj, path, item)
                    return []
                query.append(QueryMatch(str(name), made[1], made[0]))
    methods: list[str | None] = [None]
    if "method" in item:
        method = string_match(item["method"])
        if method is None or (method.kind == "regex" and not regex_ok(method.value)):
            ctx.report("IST035", obj, path + ("method",), f"method {short(item['method'])} is not a valid StringMatch; match left out")
            _account_rest(obj, path, item)
            return []
        methods = [m for m in METHODS if method.matches(m)]
        if method.kind == "exact" and methods:
            obj.account(path + ("method",))
        elif methods:
            ctx.report("IST036", obj, path + ("method",), f"method {method.kind} {method.value!r} -> one match each "
                       f"for {', '.join(methods)}")
        else:
            ctx.report("IST032", obj, path + ("method",), f"method {method.value!r} names no method Gateway API knows; "
                       "match left out")
            return []
    if same_host is not None:
        _report_redundant_authority(conv, obj, path + ("authority",), item["authority"]["exact"], same_host)
    return [OneMatch(Match(path=path_match, headers=tuple(headers), query=tuple(query), method=m), cond, uri)
            for m in methods]


def redundant_authority(obj: SourceObject, item: dict) -> str | None:
    """The route's own hostname when ``authority`` is an exact match on it, else None.

    Only for a VirtualService bound to Gateways alone (no ``mesh``, here or in the match's own
    ``gateways``) with exactly one non-wildcard host: every request its Gateway route receives
    names that host, so the condition holds there except for the port (see IST037)."""
    authority = item.get("authority")
    if not isinstance(authority, dict) or set(authority) != {"exact"} or not isinstance(authority["exact"], str):
        return None
    spec = obj.data.get("spec") or {}
    hosts, gateways = spec.get("hosts"), spec.get("gateways")
    if not (isinstance(hosts, list) and len(hosts) == 1 and isinstance(hosts[0], str) and "*" not in hosts[0]):
        return None
    if not (isinstance(gateways, list) and gateways and all(isinstance(g, str) and g != MESH for g in gateways)):
        return None
    own = item.get("gateways")
    if isinstance(own, list) and MESH in own:
        return None
    host = hosts[0]
    return host if authority["exact"].lower() == host.lower() else None


def _report_redundant_authority(conv: "Converter", obj: SourceObject, path: Path_, value: str, host: str) -> None:
    case = "" if value == host else (f"; Istio also compared case-sensitively, so Host: {host} did not match "
                                     f"{value!r} there and matches now")
    conv.ctx.report("IST037", obj, path, f"authority exact {value!r} is the route's only hostname: always true on "
                    "this route, so the condition is dropped and the match kept. Istio compared the whole :authority "
                    f"header, port included: a request that names a port (Host: {value}:8080) did not match it in "
                    f"Istio and matches now{case}",
                    example=f"Host: {value}:8080 -> http[{path[2]}] now (Istio skipped this match)")


def _account_rest(obj: SourceObject, path: Path_, item: dict) -> None:
    """A dropped match: its other keys went with it (the finding on the match says why)."""
    for key in item:
        obj.account(path + (key,))


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def uri_match(conv: "Converter", obj: SourceObject, path: Path_, uri: StringMatch, fold: bool) -> PathMatch | None:
    ctx = conv.ctx
    if fold:
        pattern = {"exact": re.escape(uri.value), "prefix": prefix_regex(uri.value), "regex": uri.value}[uri.kind]
        ctx.report("IST031", obj, path, f"ignoreUriCase: uri {uri.kind} {uri.value!r} -> RegularExpression "
                   f"(?i){pattern}")
        return PathMatch("RegularExpression", "(?i)" + pattern)
    if uri.kind == "regex":
        ctx.report("IST031", obj, path, f"uri regex {uri.value!r} -> RegularExpression (RE2 full match in Istio)")
        return PathMatch("RegularExpression", uri.value)
    if not _path_ok(uri.value):
        pattern = re.escape(uri.value) + (".*" if uri.kind == "prefix" else "")
        ctx.report("IST031", obj, path, f"uri {uri.kind} {uri.value!r} is not a valid Gateway API path; "
                   f"RegularExpression {pattern}")
        return PathMatch("RegularExpression", pattern)
    if uri.kind == "exact":
        obj.account(path)
        return PathMatch("Exact", uri.value)
    if uri.value == "/":
        obj.account(path)
        return PathMatch("PathPrefix", "/")
    stem = uri.value.rstrip("/")
    if uri.value.endswith("/"):
        example = f"GET {stem} now matches (Istio's string prefix {uri.value!r} did not)"
    else:
        example = f"GET {stem}x no longer matches (Istio's string prefix matched it)"
    ctx.report("IST030", obj, path, f"uri prefix {uri.value!r} -> PathPrefix {uri.value!r} (whole segments); "
               f"for the exact string-prefix meaning use RegularExpression {prefix_regex(uri.value)}",
               example=example)
    return PathMatch("PathPrefix", uri.value)


def _value_match(conv: "Converter", obj: SourceObject, path: Path_, name: str, value: Any,
                 what: str) -> tuple[str, str] | None:
    """(type, value) for a header or query StringMatch; None (reported) when unusable."""
    match = string_match(value)
    if match is None or (match.kind == "regex" and not regex_ok(match.value)):
        conv.ctx.report("IST035", obj, path, f"{what} {name}: {short(value)} is not a valid StringMatch; match left out")
        return None
    if match.kind == "exact":
        obj.account(path)
        return "Exact", match.value
    pattern = match.value if match.kind == "regex" else prefix_regex(match.value)
    conv.ctx.report("IST031", obj, path, f"{what} {name} {match.kind} {match.value!r} -> RegularExpression {pattern}")
    return "RegularExpression", pattern

