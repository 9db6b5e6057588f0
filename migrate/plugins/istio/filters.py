"""http[] actions other than route and match: redirect, rewrite, timeout, retries, mirror,
CORS, fault, delegate, directResponse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import Cors, Mirror, Redirect, Timeouts
from migrate.plugin import SourceObject
from migrate.plugins.istio.backends import destination
from migrate.plugins.istio.matches import short
from migrate.plugins.istio.parse import DEFAULT_RETRY, duration_ms, gateway_duration, items, percent_of, string_match

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter
    from migrate.plugins.istio.http import Entry

Path_ = tuple[Any, ...]
REDIRECT_CODES = (301, 302, 303, 307, 308)


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
    each = f", each try limited by timeouts.backendRequest: {gateway_duration(per_try)}" if per_try is not None else ""
    conv.ctx.report("IST004", obj, path, f"retries ({', '.join(f'{k}: {v}' for k, v in raw.items())}) -> "
                    f"retry: {{{', '.join(parts)}}}{each}  (experimental channel; not emitted)")


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
    for key in ("allowOrigins", "allowOrigin", "allowMethods", "allowHeaders", "exposeHeaders"):
        if key in raw and not isinstance(raw[key], list):
            conv.ctx.input_error(obj, path + (key,), f"{key} must be a list; ignored")
    origins: list[str] = []
    for k, o in enumerate(items(raw.get("allowOrigins"))):
        match = string_match(o)
        if match is not None and match.kind == "exact":
            origins.append(match.value)
            obj.account(path + ("allowOrigins", k))
        else:
            conv.ctx.report("IST058", obj, path + ("allowOrigins", k), f"origin {short(o)} is not an exact origin; "
                            "left out (those origins are no longer allowed)")
    for k, o in enumerate(items(raw.get("allowOrigin"))):
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
    listed = lambda key: tuple(str(v) for v in items(raw.get(key)))  # noqa: E731
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



def default_retry_note(conv: "Converter", obj: SourceObject, entries: list[Entry]) -> None:
    """Istio retries even without http[].retries: one finding per VirtualService."""
    items = obj.data["spec"].get("http") or []
    if any(isinstance(h, dict) and "retries" not in h for h in items) and entries:
        conv.ctx.report("IST004", obj, (), f"http routes without retries were retried by Istio's default policy "
                        f"({DEFAULT_RETRY}); the equivalent is retry: {{attempts: 2}}  (experimental channel; not emitted)")
