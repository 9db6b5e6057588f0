"""What Contour answers on a selected route: access controls, WebSocket upgrades, redirects,
direct responses, prefix rewrites and the forwarded request."""

from __future__ import annotations

from typing import Any

from migrate.plugins.contour.sim_model import SimRoute
from migrate.plugins.contour.util import as_dict, as_list, text
from migrate.semantics.request import Outcome, Request, join_query

WELL_KNOWN = {"http": 80, "https": 443}


def respond(route: SimRoute, request: Request) -> Outcome:
    """What Contour answers once ``route`` is selected: WebSocket refusal, access control, redirect,
    direct response, or the forwarded request."""
    if is_upgrade(request) and not route.websocket:
        return Outcome(403, rule=route.rule, notes=("WebSocket upgrade not enabled on the route",))
    if route.denied is not None:
        return Outcome(route.denied, rule=route.rule, notes=("access control: assumed to refuse the probe",))
    if route.redirect is not None:
        code, location = redirect(route.redirect, request, route.path)
        return Outcome(code, location=location, rule=route.rule)
    if route.status is not None:
        return Outcome(route.status, rule=route.rule)
    path = request.path
    if route.rewrite is not None:
        path = rewrite(path, *route.rewrite)
    return Outcome(200, backends=tuple(route.backends), path=join_query(path, request.query),
                   host=route.host or request.host, headers_set=tuple(route.headers_set),
                   headers_removed=tuple(route.headers_removed), mirrors=(route.mirror,) if route.mirror else (),
                   rule=route.rule)


def is_upgrade(request: Request) -> bool:
    return "websocket" in (request.header("Upgrade") or "").lower()


def vhost_controls(spec: dict) -> dict[str, Any]:
    vhost = as_dict(spec.get("virtualhost"))
    out = {k: vhost[k] for k in ("authorization", "ipAllowPolicy", "ipDenyPolicy", "jwtProviders") if vhost.get(k)}
    if as_dict(vhost.get("tls")).get("clientValidation") is not None:
        out["clientValidation"] = True
    return out


def denied(route: dict, controls: dict[str, Any]) -> int | None:
    if route.get("ipAllowPolicy") or route.get("ipDenyPolicy"):
        return 403
    for key in ("ipAllowPolicy", "ipDenyPolicy", "clientValidation"):
        if key in controls:
            return 403
    if "authorization" in controls:
        disabled = as_dict(route.get("authPolicy")).get("disabled")
        vhost_off = as_dict(as_dict(controls["authorization"]).get("authPolicy")).get("disabled") is True
        if not (vhost_off if disabled is None else disabled is True):
            return 403
    jwt = as_dict(route.get("jwtVerificationPolicy"))
    default = any(as_dict(p).get("default") is True for p in as_list(controls.get("jwtProviders")))
    if "jwtProviders" in controls and jwt.get("disabled") is not True and (jwt.get("require") or default):
        return 401
    return None


def rewrite(path: str, prefix: str, replacement: str) -> str:
    """Envoy prefix_rewrite with Contour's '/foo' + '/foo/' expansion: segment-aware when the
    path continues with '/', a plain string replacement otherwise."""
    stem = prefix.rstrip("/")
    if stem and (path == stem or path.startswith(stem + "/")):
        return (replacement.rstrip("/") + path[len(stem):]) or "/"
    if prefix == "/":
        return (replacement.rstrip("/") + path) or "/"
    return replacement + path[len(prefix):]


def redirect(policy: dict, request: Request, path: tuple[str, str]) -> tuple[int, str]:
    scheme = text(policy.get("scheme")) or request.scheme
    port = policy.get("port") if isinstance(policy.get("port"), int) else None
    if port is None:
        port = WELL_KNOWN.get(scheme, 80) if policy.get("scheme") else request.effective_port
    host = text(policy.get("hostname")) or request.hostname
    target = request.path
    if text(policy.get("path")):
        target = text(policy["path"])
    elif text(policy.get("prefix")) and path[0] == "prefix":
        target = rewrite(request.path, path[1], text(policy["prefix"]))
    shown = "" if WELL_KNOWN.get(scheme) == port else f":{port}"
    return int(policy.get("statusCode") or 302), f"{scheme}://{host}{shown}{join_query(target, request.query)}"
