"""VirtualService http[] -> HTTPRoute rules: matches, destinations, filters, timeouts.

Each http[] entry is read once into an :class:`Entry` (findings reported once); the
converter then picks, per parent (a Gateway or a Service), the matches that apply there
(per-match ``gateways`` and ``sourceNamespace`` decide) and builds the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from migrate.ir import (
    Backend, Cors, HeaderChange, HeaderMatch, Match, Mirror, Origin, PathMatch, QueryMatch, Redirect, RequestHeaders,
    ResponseHeaders, Rewrite, Rule, Timeouts,
)
from migrate.plugins.istio import comments
from migrate.plugin import SourceObject
from migrate.plugins.istio.parse import (
    DEFAULT_RETRY, METHODS, StringMatch, destination_port, duration_ms, gateway_duration, percent_of, regex_ok,
    service_of, string_match,
)

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

Path_ = tuple[Any, ...]
_PATH_OK = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
_RULE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
REDIRECT_CODES = (301, 302, 303, 307, 308)


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


@dataclass
class Entry:
    index: int
    matches: list[OneMatch]
    #: the entry had no match (or an empty one): it matches everything
    catch_all: bool
    rule: Rule
    #: rewrite.uri, applied per match (prefix or full path)
    rewrite_uri: str | None = None
    rewrite_host: str | None = None
    prefixes: list[str] = field(default_factory=list)


def _path_ok(value: str) -> bool:
    return value.startswith("/") and bool(_PATH_OK.match(value)) and "//" not in value and "/./" not in value \
        and "/../" not in value and not value.endswith(("/..", "/.")) and "%2f" not in value.lower()


def prefix_regex(prefix: str) -> str:
    return re.escape(prefix) + ".*"


def read_entries(conv: "Converter", obj: SourceObject) -> list[Entry]:
    http = obj.data["spec"].get("http")
    if http is None:
        return []
    if not isinstance(http, list):
        conv.ctx.input_error(obj, ("spec", "http"), "http must be a list")
        return []
    out = []
    for i, item in enumerate(http):
        if not isinstance(item, dict):
            conv.ctx.input_error(obj, ("spec", "http", i), "an http route must be a map")
            continue
        entry = _entry(conv, obj, i, item)
        if entry is not None:
            out.append(entry)
    return out


def _entry(conv: "Converter", obj: SourceObject, i: int, item: dict) -> Entry | None:
    base: Path_ = ("spec", "http", i)
    matches, catch_all = read_matches(conv, obj, i, item.get("match"))
    if not matches and not catch_all:
        conv.ctx.report("IST034", obj, base, f"http[{i}] left out: none of its matches can be expressed")
        return None
    comments_ = comments.under(obj, base)
    rule = Rule(origin=Origin(obj.source(base), comments_))
    name = item.get("name")
    if isinstance(name, str) and _RULE_NAME.match(name) and len(name) <= 253:
        rule.name = name
        obj.account(base + ("name",))
    elif "name" in item:
        conv.ctx.report("IST003", obj, base + ("name",), f"name {name!r} is not a valid rule name; used only in stats")
    entry = Entry(i, matches, catch_all, rule)
    destinations(conv, obj, i, item, entry)
    headers_(conv, obj, base, item.get("headers"), rule.filters)
    redirect_(conv, obj, i, item, entry)
    rewrite_(conv, obj, i, item, entry)
    timeout_(conv, obj, i, item, entry)
    retries_(conv, obj, i, item)
    mirror_(conv, obj, i, item, entry)
    cors_(conv, obj, i, item, entry)
    fault_(conv, obj, i, item)
    delegate_(conv, obj, i, item, entry)
    direct_response(conv, obj, i, item, entry)
    return entry


# -- matches -------------------------------------------------------------------------------


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
    for key in ("authority", "scheme", "withoutHeaders", "sourceLabels", "port"):
        if key in item:
            ctx.report("IST032", obj, path + (key,), f"{key} {_short(item[key])} has no Gateway API match; "
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
            ctx.report("IST035", obj, path + ("uri",), f"uri {_short(item['uri'])} is not a valid StringMatch; match left out")
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
            if not _HEADER_NAME.match(str(name)):
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
            ctx.report("IST035", obj, path + ("method",), f"method {_short(item['method'])} is not a valid StringMatch; match left out")
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
    return [OneMatch(Match(path=path_match, headers=tuple(headers), query=tuple(query), method=m), cond, uri)
            for m in methods]


def _account_rest(obj: SourceObject, path: Path_, item: dict) -> None:
    """A dropped match: its other keys went with it (the finding on the match says why)."""
    for key in item:
        obj.account(path + (key,))


def _short(value: Any) -> str:
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
        conv.ctx.report("IST035", obj, path, f"{what} {name}: {_short(value)} is not a valid StringMatch; match left out")
        return None
    if match.kind == "exact":
        obj.account(path)
        return "Exact", match.value
    pattern = match.value if match.kind == "regex" else prefix_regex(match.value)
    conv.ctx.report("IST031", obj, path, f"{what} {name} {match.kind} {match.value!r} -> RegularExpression {pattern}")
    return "RegularExpression", pattern


# -- destinations ------------------------------------------------------------------------------


def destinations(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("route")
    if raw is None:
        return
    base: Path_ = ("spec", "http", i, "route")
    if not isinstance(raw, list):
        conv.ctx.input_error(obj, base, "route must be a list")
        return
    entry.rule.backends = backends_of(conv, obj, base, raw, http=True)


def backends_of(conv: "Converter", obj: SourceObject, base: Path_, raw: list, *, http: bool) -> list[Backend]:
    """route[] (HTTP, TLS or TCP): destinations and weights."""
    out: list[Backend] = []
    weights: list[int | None] = []
    for k, item in enumerate(raw):
        path = base + (k,)
        if not isinstance(item, dict) or not isinstance(item.get("destination"), dict):
            conv.ctx.input_error(obj, path, "a route needs a destination map")
            continue
        backend = destination(conv, obj, path + ("destination",), item["destination"])
        weight = item.get("weight")
        if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool) or weight < 0):
            conv.ctx.input_error(obj, path + ("weight",), f"weight {weight!r} is not a whole number")
            weight = None
        obj.account(path + ("weight",))
        weights.append(weight)
        if http and "headers" in item:
            headers_(conv, obj, path, item.get("headers"), backend.filters)
        out.append(backend)
    if len(out) > 1:
        resolved = [w or 0 for w in weights]
        if sum(resolved) != 100:
            conv.ctx.report("IST060", obj, base, f"weights {resolved} sum to {sum(resolved)}, not 100; written as relative "
                            "weights")
        for backend, weight in zip(out, resolved):
            backend.weight = weight
    elif len(out) == 1 and weights and weights[0] == 0:
        out[0].weight = 0
    return out


def destination(conv: "Converter", obj: SourceObject, path: Path_, dest: dict) -> Backend:
    host = str(dest.get("host") or "")
    obj.account(path + ("host",), path + ("port",))
    svc = service_of(host, obj.namespace)
    port = destination_port(dest)
    if svc is None:
        conv.ctx.report("IST056", obj, path + ("host",), f"host {host!r} is not a Kubernetes Service; backendRef "
                        f"Service {host.split('.')[0] or 'unknown'} written (invalid until a Service of that name "
                        "exists)")
        svc = (obj.namespace, re.sub(r"[^a-z0-9-]", "-", host.split(".")[0].lower()).strip("-") or "unknown")
    if port is None:
        port = conv.service_port(svc)
        if port is None:
            port = 80
            conv.ctx.report("IST056", obj, path, f"no port.number and Service {svc[0]}/{svc[1]} is not in the input "
                            "(Istio used its only port); port 80 assumed")
    if "subset" in dest:
        conv.subset_used(obj, path + ("subset",), svc, str(dest["subset"]))
    backend = Backend(svc[1], port, svc[0] if svc[0] != obj.namespace else None)
    return backend


# -- filters -----------------------------------------------------------------------------------


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
        removes = tuple(str(r) for r in removes if _HEADER_NAME.match(str(r)))
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
        if not _HEADER_NAME.match(str(name)):
            conv.ctx.input_error(obj, path + (name,), f"{name!r} is not a header name")
            continue
        out.append((str(name), "" if value is None else str(value)))
    return tuple(out)


def redirect_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("redirect")
    if raw is None:
        return
    path: Path_ = ("spec", "http", i, "redirect")
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "redirect must be a map")
        return
    code = raw.get("redirectCode", 301)
    if code not in REDIRECT_CODES:
        conv.ctx.report("IST051", obj, path + ("redirectCode",), f"redirectCode {code!r} is not one Gateway API "
                        "allows (301, 302, 303, 307, 308); 301 written")
        code = 301
    obj.account(path + ("redirectCode",))
    port = raw.get("port")
    if port is not None and not (isinstance(port, int) and 0 < port < 65536):
        conv.ctx.input_error(obj, path + ("port",), f"port {port!r} is not a port number")
        port = None
    if "derivePort" in raw:
        conv.ctx.report("IST051", obj, path + ("derivePort",), f"derivePort {raw['derivePort']} has no Gateway API "
                        "field; the redirect uses the scheme's port (or the listener's)")
    scheme = raw.get("scheme")
    if scheme is not None and scheme not in ("http", "https"):
        conv.ctx.input_error(obj, path + ("scheme",), f"scheme {scheme!r} is not http or https")
        scheme = None
    uri = raw.get("uri")
    target = ("ReplaceFullPath", str(uri)) if isinstance(uri, str) and uri.startswith("/") else None
    host = raw.get("authority")
    obj.account(path + ("uri",), path + ("authority",), path + ("port",), path + ("scheme",))
    entry.rule.filters.append(Redirect(scheme=scheme, hostname=str(host) if host else None, port=port, path=target,
                                       status=int(code)))
    entry.rule.backends = []
    conv.ctx.report("IST050", obj, path, f"redirect with statusCode {code} written explicitly (Istio's default is 301, "
                    "Gateway API's 302)")


def rewrite_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("rewrite")
    if raw is None:
        return
    path: Path_ = ("spec", "http", i, "rewrite")
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "rewrite must be a map")
        return
    if isinstance(raw.get("uri"), str):
        entry.rewrite_uri = raw["uri"]
        obj.account(path + ("uri",))
    if isinstance(raw.get("authority"), str) and raw["authority"]:
        entry.rewrite_host = raw["authority"]
        obj.account(path + ("authority",))
    if "uriRegexRewrite" in raw:
        conv.ctx.report("IST051", obj, path + ("uriRegexRewrite",), "uriRegexRewrite (regex substitution) has no "
                        "standard Gateway API filter; the backend receives the path unchanged")


def timeout_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    if "timeout" not in item:
        return
    path: Path_ = ("spec", "http", i, "timeout")
    ms = duration_ms(item["timeout"])
    if ms is None:
        conv.ctx.input_error(obj, path, f"timeout {item['timeout']!r} is not a duration")
        return
    entry.rule.timeouts = Timeouts(request=gateway_duration(ms))
    conv.ctx.report("IST052", obj, path, f"timeout {item['timeout']} -> timeouts.request {gateway_duration(ms)}")


def retries_(conv: "Converter", obj: SourceObject, i: int, item: dict) -> None:
    if "retries" not in item:
        return
    path: Path_ = ("spec", "http", i, "retries")
    raw = item["retries"]
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "retries must be a map")
        return
    attempts = raw.get("attempts", 2)
    conditions = [c.strip() for c in str(raw.get("retryOn") or "").split(",")]
    codes = [int(c) for c in conditions if c.isdigit()]
    if "gateway-error" in conditions:
        codes = sorted(set(codes) | {502, 503, 504})  # Envoy's gateway-error
    parts = [f"attempts: {attempts}"]
    if "5xx" in conditions:
        # Envoy's 5xx retries every 5xx response; the experimental retry lists codes one by one
        parts.append("codes: [500, 501, ..., 599] (every 5xx)")
    elif codes:
        parts.append(f"codes: {codes}")
    per_try = duration_ms(raw.get("perTryTimeout")) if "perTryTimeout" in raw else None
    if per_try is not None:
        parts.append(f"backoff: <implementation default>; timeouts.backendRequest: {gateway_duration(per_try)}")
    conv.ctx.report("IST004", obj, path, f"retries ({', '.join(f'{k}: {v}' for k, v in raw.items())}) not emitted; "
                    f"experimental channel: retry: {{{', '.join(parts)}}}  (experimental channel; not emitted)")


def mirror_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    base: Path_ = ("spec", "http", i)
    found: list[tuple[Path_, dict, Any, Path_ | None]] = []
    if isinstance(item.get("mirror"), dict):
        pct_key = "mirrorPercentage" if "mirrorPercentage" in item else "mirrorPercent" if "mirrorPercent" in item \
            else "mirror_percent" if "mirror_percent" in item else None
        found.append((base + ("mirror",), item["mirror"], item.get(pct_key) if pct_key else None,
                      base + (pct_key,) if pct_key else None))
    elif "mirror" in item:
        conv.ctx.input_error(obj, base + ("mirror",), "mirror must be a destination map")
    mirrors = item.get("mirrors")
    if isinstance(mirrors, list):
        for k, m in enumerate(mirrors):
            if isinstance(m, dict) and isinstance(m.get("destination"), dict):
                found.append((base + ("mirrors", k, "destination"), m["destination"], m.get("percentage"),
                              base + ("mirrors", k, "percentage") if "percentage" in m else None))
            else:
                conv.ctx.input_error(obj, base + ("mirrors", k), "a mirror needs a destination map")
    for path, dest, pct, pct_path in found:
        backend = destination(conv, obj, path, dest)
        percent = None
        if pct_path is not None:
            value = percent_of(pct)
            if value is None or not 0 <= value <= 100:
                conv.ctx.input_error(obj, pct_path, f"percentage {pct!r} is not 0-100")
            else:
                percent = int(value + 0.5)  # half up (round() would give 12 for 12.5)
                if percent != value:
                    conv.ctx.report("IST057", obj, pct_path, f"mirror percentage {value} rounded to {percent}")
                else:
                    obj.account(pct_path)
        entry.rule.filters.append(Mirror(backend, percent))


def cors_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("corsPolicy")
    if raw is None:
        return
    path: Path_ = ("spec", "http", i, "corsPolicy")
    if not isinstance(raw, dict):
        conv.ctx.input_error(obj, path, "corsPolicy must be a map")
        return
    origins: list[str] = []
    for k, o in enumerate(raw.get("allowOrigins") or []):
        match = string_match(o)
        if match is not None and match.kind == "exact":
            origins.append(match.value)
            obj.account(path + ("allowOrigins", k))
        else:
            conv.ctx.report("IST058", obj, path + ("allowOrigins", k), f"origin {_short(o)} is not an exact origin; "
                            "left out (those origins are no longer allowed)")
    for k, o in enumerate(raw.get("allowOrigin") or []):
        origins.append(str(o))
        obj.account(path + ("allowOrigin", k))
    max_age = None
    if "maxAge" in raw:
        ms = duration_ms(raw["maxAge"])
        if ms is None:
            conv.ctx.input_error(obj, path + ("maxAge",), f"maxAge {raw['maxAge']!r} is not a duration")
        else:
            max_age = max(1, int(ms // 1000))
        obj.account(path + ("maxAge",))
    cred = raw.get("allowCredentials")
    obj.account(path + ("allowMethods",), path + ("allowHeaders",), path + ("exposeHeaders",), path + ("allowCredentials",))
    if "unmatchedPreflights" in raw:
        conv.explain(obj, path + ("unmatchedPreflights",))
    listed = lambda key: tuple(str(v) for v in raw.get(key) or [])  # noqa: E731
    entry.rule.filters.append(Cors(tuple(dict.fromkeys(origins)), listed("allowMethods"), listed("allowHeaders"),
                                   listed("exposeHeaders"), cred if isinstance(cred, bool) else None, max_age))


def fault_(conv: "Converter", obj: SourceObject, i: int, item: dict) -> None:
    if "fault" in item:
        raw = item["fault"]
        kinds = ", ".join(sorted(raw)) if isinstance(raw, dict) else "fault"
        conv.ctx.report("IST053", obj, ("spec", "http", i, "fault"), f"fault injection ({kinds}) not converted; "
                        "requests are no longer delayed or aborted")


def delegate_(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("delegate")
    if raw is None:
        return
    name = raw.get("name") if isinstance(raw, dict) else None
    ns = (raw.get("namespace") if isinstance(raw, dict) else None) or obj.namespace
    entry.rule.backends = []
    entry.rule.origin.comments.append(f"gateway-migrate: Istio delegate to VirtualService {ns}/{name}: copy its rules "
                                      "here (no backends until then)")
    conv.ctx.report("IST054", obj, ("spec", "http", i, "delegate"), f"delegate to VirtualService {ns}/{name} not "
                    "flattened; the rule answers HTTP 500 until its rules are copied in")


def direct_response(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("directResponse")
    if raw is None:
        return
    status = raw.get("status") if isinstance(raw, dict) else None
    entry.rule.backends = []
    conv.ctx.report("IST055", obj, ("spec", "http", i, "directResponse"), f"directResponse (status {status}) not "
                    "converted; the rule answers HTTP 500")


# -- per parent --------------------------------------------------------------------------------


def rules_for(conv: "Converter", obj: SourceObject, entries: list[Entry], keep) -> list[tuple[int, Rule]]:
    """The rules for one parent: ``keep(cond)`` says whether a match applies there."""
    out: list[tuple[int, Rule]] = []
    for entry in entries:
        if entry.catch_all:
            matches = [OneMatch(Match(), Cond())]  # written with no matches: match everything
        else:
            matches = [m for m in entry.matches if keep(m.cond)]
            if not matches:
                continue
        if entry.rewrite_uri is None and entry.rewrite_host is None:
            rule = replace(entry.rule, matches=[] if entry.catch_all else [m.match for m in matches],
                           filters=list(entry.rule.filters))
            out.append((entry.index, rule))
            continue
        for one in matches:  # ReplacePrefixMatch needs one PathPrefix match per rule
            rule = replace(entry.rule, matches=[one.match] if one.match != Match() else [], filters=list(entry.rule.filters))
            rewrite = _rewrite_for(conv, obj, entry, one)
            rule.filters.insert(0, rewrite)
            if rule.filters and not rule.matches and rewrite.path and rewrite.path[0] == "ReplacePrefixMatch":
                rule.matches = [Match(path=PathMatch("PathPrefix", "/"))]
            out.append((entry.index, rule))
    return out


def _rewrite_for(conv: "Converter", obj: SourceObject, entry: Entry, one: OneMatch) -> Rewrite:
    uri = entry.rewrite_uri
    if uri is None:
        return Rewrite(hostname=entry.rewrite_host)
    path = one.match.path
    if path is not None and path.type == "PathPrefix":
        target = ("ReplacePrefixMatch", uri)
        _check_prefix_rewrite(conv, obj, entry, one.uri.value if one.uri else path.value, uri)
    elif path is None:
        target = ("ReplacePrefixMatch", uri)
        _check_prefix_rewrite(conv, obj, entry, "/", uri)
    else:
        target = ("ReplaceFullPath", uri)
    return Rewrite(hostname=entry.rewrite_host, path=target)


def envoy_prefix_rewrite(path: str, prefix: str, replacement: str) -> str:
    """What Envoy's prefix_rewrite does: the matched string prefix replaced as a string."""
    return replacement + path[len(prefix):] if path.startswith(prefix) else path


def gateway_prefix_rewrite(path: str, prefix: str, replacement: str) -> str:
    """Gateway API ReplacePrefixMatch (whole segments, trailing slashes ignored)."""
    stem = prefix.rstrip("/")
    rest = path[len(stem):] if stem and (path == stem or path.startswith(stem + "/")) else path if stem else path
    return (replacement.rstrip("/") + rest) or "/"


def _check_prefix_rewrite(conv: "Converter", obj: SourceObject, entry: Entry, prefix: str, uri: str) -> None:
    key = (prefix, uri)
    if key in entry.prefixes:
        return
    entry.prefixes.append(key)  # type: ignore[arg-type]
    sample = prefix.rstrip("/") + "/x" if prefix != "/" else "/x"
    before, after = envoy_prefix_rewrite(sample, prefix, uri), gateway_prefix_rewrite(sample, prefix, uri)
    if before != after:
        conv.ctx.report("IST051", obj, ("spec", "http", entry.index, "rewrite", "uri"),
                        f"prefix {prefix!r} rewritten to {uri!r}: Istio sent {sample} as {before}, "
                        f"ReplacePrefixMatch sends {after}", example=f"GET {sample}: backend path {before} -> {after}")


def default_retry_note(conv: "Converter", obj: SourceObject, entries: list[Entry]) -> None:
    """Istio retries even without http[].retries: one finding per VirtualService."""
    items = obj.data["spec"].get("http") or []
    if any(isinstance(h, dict) and "retries" not in h for h in items) and entries:
        conv.ctx.report("IST004", obj, (), f"http routes without retries were retried by Istio's default policy "
                        f"({DEFAULT_RETRY}); experimental channel: retry: {{attempts: 2}}  (experimental channel; "
                        "not emitted)")
