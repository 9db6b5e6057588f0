"""Route policies: timeouts, retries, load balancing, health checks, rewrites,
redirects and direct responses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import Redirect, Rewrite, Timeouts
from migrate.plugins.contour.util import as_dict, as_list, duration_ms, gateway_duration, text

if TYPE_CHECKING:
    from migrate.plugins.contour.proxy import RuleBuild

Path_ = tuple[Any, ...]
#: Envoy's route timeout when Contour sets none
DEFAULT_RESPONSE_TIMEOUT = "15s"


def response_timeout(b: "RuleBuild", value: str, path: Path_) -> str | None:
    """A Contour timeout string as a Gateway API duration ('infinity' -> 0s); None for the default."""
    value = value.strip()
    if value in ("infinity", "infinite"):
        return "0s"
    ms = duration_ms(value)
    if ms is None:
        b.ctx.input_error(b.obj, path, f"{value!r} is not a duration; Contour marks the HTTPProxy invalid")
        return None
    return None if ms == 0 else gateway_duration(ms)


def timeout_policy(b: "RuleBuild") -> None:
    policy = as_dict(b.route.get("timeoutPolicy"))
    path = b.path + ("timeoutPolicy",)
    response = text(policy.get("response"))
    request = response_timeout(b, response, path + ("response",)) if response else None
    if request is not None:
        b.rule.timeouts = Timeouts(request=request)
        b.report("CTR035", path + ("response",), f"response {response} -> timeouts.request {request}")
    else:
        b.conv.default_timeout_rules += 1
        if response:
            b.obj.account(path + ("response",))
    for key in ("idle", "idleConnection"):
        if policy.get(key) is not None:
            b.report("CTR001", path + (key,), f"{key} {policy[key]}: idle timeouts are implementation-specific "
                                              "(e.g. Envoy Gateway BackendTrafficPolicy/ClientTrafficPolicy timeout)")
    b.obj.account(path)


def retry_policy(b: "RuleBuild") -> None:
    if b.route.get("retryPolicy") is None:
        return
    policy = as_dict(b.route["retryPolicy"])
    path = b.path + ("retryPolicy",)
    count = policy.get("count", 1)
    if count == -1:
        b.report("CTR036", path, "retries disabled (count -1): no retry block needed; the implementation's "
                                 "default applies")
        return
    count = count if isinstance(count, int) and count > 0 else 1
    codes = [c for c in as_list(policy.get("retriableStatusCodes")) if isinstance(c, int)]
    on = [str(c) for c in as_list(policy.get("retryOn"))] or ["5xx"]
    equivalent = f"retry: {{attempts: {count}" + (f", codes: {codes}" if codes else "") + "}"
    per_try = text(policy.get("perTryTimeout"))
    extra = ""
    if per_try:
        backend = response_timeout(b, per_try, path + ("perTryTimeout",))
        limit = duration_ms(b.rule.timeouts.request) if b.rule.timeouts and b.rule.timeouts.request else None
        if backend and backend != "0s" and (not limit or duration_ms(backend) <= limit):
            b.rule.timeouts = b.rule.timeouts or Timeouts()
            b.rule.timeouts.backend_request = backend
            extra = f"; perTryTimeout {per_try} -> timeouts.backendRequest {backend} (bounds each attempt)"
    b.report("CTR036", path, f"retryOn {', '.join(on)}: {equivalent}  (experimental channel; not emitted){extra}")


def load_balancer_policy(b: "RuleBuild", raw: Any = None, path: Path_ | None = None) -> None:
    path = path or b.path + ("loadBalancerPolicy",)
    policy = as_dict(b.route.get("loadBalancerPolicy") if raw is None else raw)
    if not policy:
        return
    strategy = text(policy.get("strategy")) or "RoundRobin"
    if strategy == "RoundRobin" and not policy.get("requestHashPolicies"):
        b.report("CTR004", path, "RoundRobin is every implementation's default balancing")
    elif strategy == "Cookie":
        b.report("CTR037", path, "Cookie: sessionPersistence: {type: Cookie}  (experimental channel; not emitted)")
    else:
        b.report("CTR037", path, f"{strategy}: implementation-specific (e.g. Envoy Gateway BackendTrafficPolicy "
                                 "loadBalancer)" + ("; request hash policies too" if policy.get("requestHashPolicies") else ""))


def health_check_policy(b: "RuleBuild", raw: Any = None, path: Path_ | None = None) -> None:
    path = path or b.path + ("healthCheckPolicy",)
    b.report("CTR001", path, "active health checks are implementation-specific (e.g. Envoy Gateway "
                             "BackendTrafficPolicy healthCheck); the implementation's passive handling applies")


def path_rewrite_policy(b: "RuleBuild") -> None:
    path = b.path + ("pathRewritePolicy",)
    items = [as_dict(r) for r in as_list(as_dict(b.route.get("pathRewritePolicy")).get("replacePrefix"))]
    kind, prefix = b.contour_path
    if kind != "prefix":
        b.report("CTR023", path, "a prefix rewrite needs a prefix condition; Contour marks the HTTPProxy invalid")
        return
    chosen = next((r for r in items if text(r.get("prefix")) and text(r.get("prefix")) == prefix), None)
    chosen = chosen or next((r for r in items if not text(r.get("prefix"))), None)
    if chosen is None:
        b.report("CTR004", path, f"no replacePrefix entry applies to prefix {prefix!r}: no rewrite, as in Contour")
        return
    replacement = text(chosen.get("replacement")) or "/"
    if b.rule.matches and b.rule.matches[0].path and b.rule.matches[0].path.type == "PathPrefix":
        b.rule.filters.append(Rewrite(path=("ReplacePrefixMatch", replacement)))
        b.report("CTR033", path, f"{prefix} -> {replacement}: ReplacePrefixMatch",
                 example=f"GET {prefix.rstrip('/')}x was rewritten to {replacement}x by Contour; "
                         "it no longer matches this rule")
    else:
        b.report("CTR001", path, f"{prefix} -> {replacement}: the match is a RegularExpression, and "
                                 "ReplacePrefixMatch needs a PathPrefix; not rewritten")


def redirect_policy(b: "RuleBuild") -> None:
    policy = as_dict(b.route.get("requestRedirectPolicy"))
    path = b.path + ("requestRedirectPolicy",)
    status = policy.get("statusCode", 302)
    if status not in (301, 302):
        b.ctx.input_error(b.obj, path + ("statusCode",), f"statusCode {status!r} must be 301 or 302")
        status = 302
    port = policy.get("port") if isinstance(policy.get("port"), int) else None
    modifier = None
    if text(policy.get("path")):
        modifier = ("ReplaceFullPath", text(policy["path"]))
    elif text(policy.get("prefix")):
        if b.rule.matches and b.rule.matches[0].path and b.rule.matches[0].path.type == "PathPrefix":
            modifier = ("ReplacePrefixMatch", text(policy["prefix"]))
        else:
            b.report("CTR001", path + ("prefix",), "prefix redirect needs a PathPrefix match; the path is kept")
    scheme = text(policy.get("scheme")) or None
    b.rule.filters = [Redirect(scheme=scheme, hostname=text(policy.get("hostname")) or None, port=port,
                               path=modifier, status=status)]
    b.rule.backends = []
    b.report("CTR004", path, f"RequestRedirect {status}" + (f" to {scheme}://" if scheme else ""))


def direct_response_policy(b: "RuleBuild") -> None:
    policy = as_dict(b.route.get("directResponsePolicy"))
    status = policy.get("statusCode")
    b.rule.backends, b.rule.filters = [], []
    b.report("CTR038", b.path + ("directResponsePolicy",), f"Contour answered {status}"
             + (" with a body" if policy.get("body") else "") + "; the rule now answers 500")


def no_equivalent(b: "RuleBuild", key: str, what: str) -> None:
    if b.route.get(key) is not None:
        b.report("CTR001", b.path + (key,), what)


def other_route_fields(b: "RuleBuild") -> None:
    no_equivalent(b, "internalRedirectPolicy", "Envoy followed the backend's redirects itself; the client now sees them")
    no_equivalent(b, "cookieRewritePolicies", "cookie rewriting has no Gateway API form; Set-Cookie reaches the client unchanged")
    if b.route.get("enableWebsockets") is not None:
        b.report("CTR004", b.path + ("enableWebsockets",), "WebSocket upgrades: Gateway API implementations "
                 "accept them by default (appProtocol kubernetes.io/ws makes the backend side explicit)")
