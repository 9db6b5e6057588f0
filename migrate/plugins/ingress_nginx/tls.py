"""TLS on the client side: passthrough, client certificates, ciphers.

ssl-passthrough is the one that reshapes the output: nginx relays the encrypted
connection by SNI to the backend of the host's "/" location, without terminating
TLS, so no path or other annotation applies to that traffic. That is a Passthrough
TLS listener per host and a TLSRoute instead of the HTTPRoute.
"""

from __future__ import annotations

from migrate.findings import spec
from migrate.ir import Backend, GatewayParent, Listener, Origin, Route, Rule
from migrate.names import host_slug
from migrate.plugins.ingress.convert import MAX_LISTENERS
from migrate.plugins.ingress_nginx.handle import FALSE, Handle
from migrate.plugins.ingress_nginx.misc import (
    ignored_by_passthrough, is_redirect, passthrough_routes, root_backend,
)

FINDINGS = (
    spec("NGX220", "warning", "converted-with-change", "ssl-passthrough converted to a TLSRoute on a Passthrough listener",
         "nginx relayed TLS connections for the host, by SNI and still encrypted, to the backend of its \"/\" path. "
         "The output has a TLS listener in Passthrough mode per host and a TLSRoute to that backend (the target must "
         "support TLSRoute). The Ingress's other paths and annotations never applied to that traffic and are not "
         "carried over. Plain HTTP on port 80, which nginx still answered from the Ingress's paths, is no longer "
         "routed for these hosts (the HTTP to HTTPS redirect, where there is one, stays)."),
    spec("NGX221", "info", "converted", "Annotation ignored because of ssl-passthrough, as nginx did",
         "With ssl-passthrough nginx does not terminate TLS, so it applies no other annotation of the Ingress to "
         "that traffic. The annotation had no effect and has none now."),
    spec("NGX222", "info", "converted", "ssl-passthrough without effect for some hosts, as in nginx",
         "nginx passes TLS through only for a host that has a \"/\" path (or a default backend), chosen by SNI; a "
         "rule without a host or without \"/\" is served normally, with TLS terminated. Those routes stay HTTPRoutes."),
    spec("NGX223", "warning", "converted-with-change", "Passthrough listener shares port and hostname with an HTTPS listener",
         "A TLS (Passthrough) listener and an HTTPS listener on port 443 for the same hostname conflict in Gateway "
         "API. With nginx, passthrough won: TLS for the host never reached nginx's HTTPS server. Remove the HTTPS "
         "listener for the host (and move the routes attached to it) or the Gateway reports the listeners as "
         "conflicted."),
    spec("NGX224", "info", "converted", "Client-certificate annotation without effect, as in nginx",
         "Client-certificate settings only act together with auth-tls-secret, and auth-tls-verify-client off checks "
         "nothing; such settings restricted nobody before and nothing is lost now."),
)

TLS_PORT = 443


# -- ssl-passthrough ------------------------------------------------------------------------


def ssl_passthrough(h: Handle, names: list[str]) -> None:
    for name in names:
        if not h.flag(name, False):
            if not h.is_accounted(name):
                h.report("NGX222", name, "false: TLS is terminated by the Gateway, as it was by nginx; nothing to "
                                         "convert.")
            continue
        _passthrough(h, name)


def _passthrough(h: Handle, name: str) -> None:
    taken = passthrough_routes(h)
    kept = [r for r in h.routes if r.kind in ("HTTPRoute", "GRPCRoute") and all(r is not t for t in taken)
            and not all(is_redirect(rule) for rule in r.rules)]
    for route in kept:
        why = "it has no host (passthrough chooses by SNI)" if not route.hostnames else "it has no \"/\" path"
        h.report("NGX222", name, f"no effect on {route.kind} {route.namespace}/{route.name}: {why}; nginx "
                                 "terminated TLS and routed it normally, and so does the Gateway.")
    for route in taken:
        if route.kind == "TLSRoute":
            continue
        backend = root_backend(h, route)
        assert backend is not None  # passthrough_routes only takes routes that have one
        paths = sorted({m.path.value for m in h.made if m.route is route} - {"", "/"})
        _to_tls_route(h, route, backend)
        listeners = [_listener(h, name, host) for host in route.hostnames]
        target = f"{backend.name}:{backend.port}" if backend.port is not None else backend.name
        dropped = f"; paths {', '.join(paths)} no longer apply (nginx ignored them for TLS too)" if paths else ""
        host = route.hostnames[0]
        if _redirected(h, route):
            http, http_example = ("plain HTTP on port 80 keeps its redirect to HTTPS, as with nginx",
                                  f"GET http://{host}/ is still redirected to https")
        elif host in h.conv.tls_hosts and (h.get("ssl-redirect") or "true").lower() not in FALSE:
            http, http_example = ("plain HTTP on port 80 for these hosts, which nginx redirected to HTTPS, is no "
                                  "longer routed", f"GET http://{host}/ now gets 404 instead of a redirect")
        else:
            http, http_example = ("plain HTTP on port 80 for these hosts, which nginx still answered from the "
                                  "Ingress's paths, is no longer routed", f"GET http://{host}/ now gets 404")
        h.report("NGX220", name,
                 f"TLS connections for {', '.join(route.hostnames)} are relayed unterminated to {target} "
                 f"(TLSRoute {route.namespace}/{route.name}, listener(s) {', '.join(n for n in listeners if n)}). "
                 f"Other annotations of the Ingress do not apply to it{dropped}; {http}.",
                 example=f"any TLS connection with SNI {host} reaches {target} as before; {http_example}")
    # the rules of the converted routes are gone: later handlers must not act on them
    h.made[:] = [m for m in h.made if all(m.route is not t for t in taken)]


def _redirected(h: Handle, route: Route) -> bool:
    """Whether a redirect-only route of this Ingress answers the route's hosts on HTTP."""
    return any(other is not route and other.rules and all(is_redirect(r) for r in other.rules)
               and set(route.hostnames) <= set(other.hostnames) for other in h.routes)


def _to_tls_route(h: Handle, route: Route, backend: Backend) -> None:
    route.kind = "TLSRoute"
    origin = Origin(h.obj.source(h.path("ssl-passthrough")), [])
    plain = Backend(backend.name, backend.port, backend.namespace, backend.kind, backend.group, origin=backend.origin)
    route.rules = [Rule(backends=[plain], origin=origin)]
    # attach to TLS listeners only, whatever the HTTP side decided
    route.parents = [GatewayParent(p.namespace, p.name) if isinstance(p, GatewayParent) else p for p in route.parents]


def _listener(h: Handle, name: str, host: str) -> str | None:
    gateway = h.gateway
    listener_name = f"tls-{host_slug(host)}"
    if gateway.listener(listener_name) is None:
        if len(gateway.listeners) >= MAX_LISTENERS:
            h.ctx.report("GM009", h.obj, h.path(name), f"no TLS passthrough listener for host {host}")
            return None
        origin = Origin(h.obj.source(h.path(name)), [f"{h.prefix}ssl-passthrough: {host} is relayed unterminated"])
        gateway.listeners.append(Listener(listener_name, "TLS", TLS_PORT, host, tls_mode="Passthrough", origin=origin))
    clash = next((item for item in gateway.listeners
                  if item.protocol == "HTTPS" and item.port == TLS_PORT and item.hostname == host), None)
    if clash is not None:
        h.report("NGX223", name,
                 f"listener {clash.name} (HTTPS, port {TLS_PORT}, {host}) conflicts with the Passthrough listener "
                 f"{listener_name}; with nginx, passthrough won and the HTTPS server for {host} was never reached. "
                 f"Remove {clash.name} from the Gateway.",
                 example=f"a TLS connection with SNI {host} must reach the passthrough backend, not the HTTPS listener")
    return listener_name


# -- client certificates ----------------------------------------------------------------------

#: auth-tls-secret is the control; the others are details of it
CLIENT_CERT_CONTROL = "auth-tls-secret"


def client_cert_auth(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    verify = (h.get("auth-tls-verify-client") or "on").strip()
    if verify not in ("on", "off", "optional", "optional_no_ca"):
        if "auth-tls-verify-client" in names:
            h.invalid("auth-tls-verify-client", verify, "on, off, optional or optional_no_ca", "on")
        verify = "on"
    secret = h.get(CLIENT_CERT_CONTROL)
    # with verify-client off nginx checks no certificate, unless match-cn still demands one
    active = bool(secret) and (verify != "off" or h.has("auth-tls-match-cn"))
    for name in names:
        if h.is_accounted(name):
            continue
        if not secret:
            h.report("NGX224", name, f"has no effect without {h.prefix}{CLIENT_CERT_CONTROL}; nothing to convert.")
        elif not active:
            h.report("NGX224", name, "auth-tls-verify-client is off: nginx requested and checked no client "
                                     "certificate, so no access control is lost; nothing to convert.")
        elif name == CLIENT_CERT_CONTROL:
            h.block(name, f"client certificate authentication (CA in Secret {secret}) is not carried over: the "
                          f"route is emitted closed. {h.table.annotations[name].note} To restore it, give the host a "
                          "Gateway or port of its own with spec.tls.frontend validation (CA in a ConfigMap) or a "
                          "target-specific policy, then accept with --allow-security-downgrade.")
            # nginx does not terminate TLS for passed-through hosts, so it checked no certificate there
            control = h.prefix + name
            for route in passthrough_routes(h):
                route.blocked_by[:] = [c for c in route.blocked_by if c != control]
        else:
            h.report("NGX001", name, f"detail of {h.prefix}{CLIENT_CERT_CONTROL}, lost with it: "
                                     + h.table.annotations[name].note)


# -- ciphers -------------------------------------------------------------------------------------


def ssl_ciphers(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        h.explain(name, f"ciphers {h.get(name)!r} are not carried over: the listener's tls.options keys are "
                        "implementation-specific.")
