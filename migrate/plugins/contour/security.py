"""Access controls: external authorization, JWT verification, client certificates,
IP allow/deny lists, rate limits. None has a standard Gateway API form, so every
route they protect is emitted closed (fail closed) with an error finding; routes
that opt out (authPolicy.disabled, jwtVerificationPolicy.disabled) stay open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.plugins.contour.util import as_dict, as_list

if TYPE_CHECKING:
    from migrate.plugins.contour.proxy import RootBuild, RuleBuild

Path_ = tuple[Any, ...]
VHOST = ("spec", "virtualhost")
WHAT = {
    "authorization": "external authorization (ext_authz); Gateway API ExternalAuth is experimental-channel only",
    "jwtProviders": "JWT verification (e.g. Envoy Gateway SecurityPolicy jwt)",
    "ipAllowPolicy": "IP allow list (e.g. Envoy Gateway SecurityPolicy authorization)",
    "ipDenyPolicy": "IP deny list (e.g. Envoy Gateway SecurityPolicy authorization)",
    "rateLimitPolicy": "rate limiting (e.g. Envoy Gateway BackendTrafficPolicy rateLimit)",
    "clientValidation": "client certificate validation (Gateway spec.tls.frontend needs a CA ConfigMap and applies "
                        "per Gateway or port, not per host)",
    "jwtVerificationPolicy": "JWT verification (e.g. Envoy Gateway SecurityPolicy jwt)",
}


def vhost_controls(r: "RootBuild") -> None:
    """Report each virtual-host access control once; remember which apply to every route."""
    vhost = as_dict(as_dict(r.root.data.get("spec")).get("virtualhost"))
    for key in ("authorization", "ipAllowPolicy", "ipDenyPolicy", "rateLimitPolicy"):
        if vhost.get(key) not in (None, [], {}):
            r.controls[key] = VHOST + (key,)
    tls = as_dict(vhost.get("tls"))
    if tls.get("clientValidation") is not None:
        r.controls["clientValidation"] = VHOST + ("tls", "clientValidation")
    providers = [as_dict(p) for p in as_list(vhost.get("jwtProviders"))]
    if providers:
        r.controls["jwtProviders"] = VHOST + ("jwtProviders",)
        r.jwt_default = any(p.get("default") is True for p in providers)
    auth = as_dict(vhost.get("authorization"))
    r.auth_disabled = as_dict(auth.get("authPolicy")).get("disabled") is True


def rule_controls(b: "RuleBuild") -> list[str]:
    """The controls protecting this rule (field paths as written), and report the route-level ones."""
    r, route = b.root, b.route
    names = []
    own_ip = any(route.get(k) not in (None, [], {}) for k in ("ipAllowPolicy", "ipDenyPolicy"))
    for key, path in r.controls.items():
        if key in ("ipAllowPolicy", "ipDenyPolicy") and own_ip:
            continue  # a route's IP filters replace the virtual host's (ip-filtering docs: not additive)
        if key == "authorization":
            disabled = as_dict(route.get("authPolicy")).get("disabled")
            if (r.auth_disabled if disabled is None else disabled is True):
                continue
        if key == "jwtProviders":
            jwt = as_dict(route.get("jwtVerificationPolicy"))
            if jwt.get("disabled") is True or not (jwt.get("require") or r.jwt_default):
                continue
        r.used_controls.add(key)
        names.append(render(path))
    if route.get("authPolicy") is not None:
        b.obj.account(b.path + ("authPolicy",))
    if route.get("jwtVerificationPolicy") is not None:
        b.obj.account(b.path + ("jwtVerificationPolicy",))
    for key in ("ipAllowPolicy", "ipDenyPolicy", "rateLimitPolicy"):
        if route.get(key) not in (None, [], {}):
            path = b.path + (key,)
            b.report("CTR002", path, f"{WHAT[key]}: cannot be carried over; the rule is emitted closed")
            names.append(render(path))
    return names


def report_vhost(r: "RootBuild") -> None:
    for key, path in r.controls.items():
        if key in r.used_controls:
            r.ctx.report("CTR002", r.root, path, f"{WHAT[key]}: cannot be carried over; the routes it protects on "
                                                 f"{r.fqdn} are emitted closed")
        else:
            r.ctx.report("CTR004", r.root, path, f"{key}: no route of {r.fqdn} uses it (every route opts out), "
                                                 "so nothing changes")


def render(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
