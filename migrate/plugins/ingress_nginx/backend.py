"""How nginx talked to the backend: protocol, backend TLS, Host header, balancing, errors.

backend-protocol GRPC/GRPCS turns the Ingress's HTTPRoutes into GRPCRoutes (paths
become service/method matches); HTTPS/GRPCS adds a BackendTLSPolicy per backend
Service. BackendTLSPolicy always verifies the backend certificate and sends SNI,
where nginx by default did neither: that difference is always reported, once, on
the annotation that decided it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from migrate.findings import spec
from migrate.ir import (
    BackendTLS, ExtensionRef, GrpcMethod, Match, Mirror, Origin, PathMatch, Redirect, RequestHeaders, ResponseHeaders,
    Rewrite, Route, Rule,
)
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import (
    PRECISE_HOSTNAME, example_host, example_url, ignored_by_passthrough, is_redirect, live_routes,
    moot_under_redirect, on_off, proxied_rules, split_list,
)

FINDINGS = (
    spec("NGX200", "info", "converted", "Backend annotation converted",
         "The annotation is carried over with the same behaviour; the message says where it went (or that it was "
         "the default and there is nothing to convert)."),
    spec("NGX201", "info", "converted", "backend-protocol GRPC/GRPCS: routes converted to GRPCRoute",
         "nginx proxied to the backend with grpc_pass (HTTP/2). The Ingress's HTTPRoutes become GRPCRoutes, whose "
         "backends are spoken to over HTTP/2, and each path becomes a gRPC service or method match. The target "
         "must support GRPCRoute."),
    spec("NGX202", "warning", "converted-with-change", "Backend TLS: the Gateway now verifies the backend certificate",
         "nginx did not verify the backend's certificate unless proxy-ssl-verify was on, and sent no SNI unless "
         "proxy-ssl-server-name was on. A BackendTLSPolicy always verifies the certificate (against the system CAs, "
         "or the CA ConfigMap it names) for its hostname and sends that hostname as SNI; Gateway API has no way to "
         "skip verification. A backend with a self-signed, expired or differently named certificate now fails."),
    spec("NGX203", "warning", "converted-with-change", "gRPC path not expressible as a service or method match",
         "Only \"/\", a prefix \"/pkg.Service\" and a full \"/pkg.Service/Method\" path map to GRPCRoute matches. "
         "Any other path becomes a rule that matches every gRPC method of the route's hosts, so requests nginx "
         "sent elsewhere (or answered with 404) can now reach this backend."),
    spec("NGX204", "warning", "not-converted", "Not available on GRPCRoute",
         "GRPCRoute has no URLRewrite, RequestRedirect, CORS filter or timeouts. What the annotation did on the "
         "gRPC routes of the Ingress is not carried over."),
    spec("NGX205", "warning", "not-converted", "backend-protocol AUTO_HTTP or FCGI not converted",
         "AUTO_HTTP used the client's scheme towards the backend and FCGI spoke FastCGI; Gateway API proxies HTTP "
         "(or HTTPS with a BackendTLSPolicy) only. The route sends plain HTTP, which a FastCGI backend cannot answer."),
    spec("NGX206", "warning", "converted-with-change", "Backend TLS: SNI is now sent",
         "nginx sent no SNI to the backend unless proxy-ssl-server-name was on; a BackendTLSPolicy always sends its "
         "hostname as SNI, so a backend that picks its certificate by SNI may present a different one."),
    spec("NGX207", "warning", "converted-with-change", "proxy-ssl-secret: CA and client certificate must be provided anew",
         "nginx read the backend CA (ca.crt) and a client certificate (tls.crt/tls.key) from one Secret. A "
         "BackendTLSPolicy reads the CA only from a ConfigMap in the Service's namespace (named in the message, to be "
         "created), and a client certificate can only be set for the whole Gateway (spec.tls.backend."
         "clientCertificateRef), which the output does not set. gateway-migrate never reads Secrets."),
    spec("NGX208", "info", "converted", "Backend TLS annotation without effect, as in nginx",
         "ingress-nginx reads proxy-ssl-* only when proxy-ssl-secret is set, and uses them only with backend-protocol "
         "HTTPS or GRPCS; otherwise they had no effect and have none now."),
    spec("NGX209", "warning", "not-converted", "Service already has a different BackendTLSPolicy",
         "Another Ingress asked for TLS to the same Service port with another hostname or CA. One BackendTLSPolicy "
         "applies per Service port, to all Gateway traffic to it; the first one is kept."),
    spec("NGX210", "warning", "not-converted", "upstream-vhost value cannot be a URLRewrite hostname",
         "URLRewrite takes a plain host name: nginx variables and ports cannot be expressed, so the backend now "
         "receives the client's Host header."),
)

PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
TLS_PROTOCOLS = ("HTTPS", "GRPCS")
#: filters GRPCRoute has (HTTPRoute's URLRewrite, RequestRedirect and CORS it has not)
GRPC_FILTERS = (RequestHeaders, ResponseHeaders, Mirror, ExtensionRef)
_SERVICE = re.compile(r"^\.?[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$")
_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def protocol(h: Handle, *, report: bool = False) -> str:
    """backend-protocol as ingress-nginx reads it: upper-cased, anything unknown means HTTP."""
    value = h.get("backend-protocol")
    if value is None:
        return "HTTP"
    proto = value.strip().upper()
    if proto in PROTOCOLS:
        return proto
    if report:
        h.invalid("backend-protocol", value, "one of " + ", ".join(PROTOCOLS), "HTTP")
    return "HTTP"


# -- backend TLS settings (proxy-ssl-*) -------------------------------------------------------


@dataclass(frozen=True)
class TLSSettings:
    """What nginx did over TLS to the backend, read quietly (backend_tls reports bad values)."""

    secret: tuple[str, str] | None  # (namespace, name) of proxy-ssl-secret
    name: str | None  # proxy-ssl-name
    verify: bool
    sni: bool

    def ca_config_map(self) -> str | None:
        return f"{self.secret[1]}-ca" if self.secret else None


def _secret(value: str | None) -> tuple[str, str] | None:
    if not value or value.count("/") != 1:
        return None
    ns, name = (part.strip() for part in value.split("/"))
    return (ns, name) if ns and name else None


def tls_settings(h: Handle) -> TLSSettings:
    secret = _secret(h.get("proxy-ssl-secret"))
    if secret is None:  # ingress-nginx ignores every proxy-ssl-* setting without it
        return TLSSettings(None, None, False, False)
    name = (h.get("proxy-ssl-name") or "").lower() or None
    if name is not None and not PRECISE_HOSTNAME.match(name):
        name = None
    return TLSSettings(secret, name, h.get("proxy-ssl-verify") == "on", h.get("proxy-ssl-server-name") == "on")


def add_backend_tls(h: Handle, name: str, namespace: str, service: str, port: int | None, hostname: str,
                    ca: list[str], note: str) -> BackendTLS | None:
    """A BackendTLSPolicy for one Service port; reports (and returns None) when another one differs."""
    port_name = _port_name(h, namespace, service, port)
    known = h.ctx.model.backend_tls_for(namespace, service, port_name)
    if known is not None:
        if (known.hostname, known.ca_config_maps) != (hostname, ca):
            h.report("NGX209", name,
                     f"Service {namespace}/{service} already has a BackendTLSPolicy with hostname "
                     f"{known.hostname} ({known.origin.source.object or 'another Ingress'}); this Ingress's "
                     f"hostname {hostname} is not used. One policy applies to all Gateway traffic to the port.",
                     example=f"requests of this Ingress to {service} are checked against {known.hostname}")
            return None
        return known
    policy = BackendTLS(namespace, service, hostname, list(ca), port_name,
                        Origin(h.obj.source(h.path(name)), [note]))
    h.ctx.model.backend_tls.append(policy)
    return policy


def _port_name(h: Handle, namespace: str, service: str, port: int | None) -> str | None:
    """The Service port's name when the Service has several ports (TLS only to that one), else None."""
    svc = h.ctx.services.get((namespace, service)) or {}
    ports = (svc.get("spec") or {}).get("ports") if isinstance(svc.get("spec"), dict) else None
    if not isinstance(ports, list) or len(ports) < 2:
        return None
    for item in ports:
        if isinstance(item, dict) and item.get("port") == port and isinstance(item.get("name"), str):
            return item["name"]
    return None


def _services(h: Handle) -> list[tuple[str, str, int | None]]:
    out: list[tuple[str, str, int | None]] = []
    for route, rule in proxied_rules(h):
        for backend in rule.backends:
            if backend.kind == "Service" and backend.group == "":
                key = (backend.namespace or route.namespace, backend.name, backend.port)
                if key not in out:
                    out.append(key)
    return out


# -- backend-protocol ---------------------------------------------------------------------------


def backend_protocol(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        proto = protocol(h, report=True)
        if h.is_accounted(name):
            continue
        if proto == "HTTP":
            h.report("NGX200", name, "HTTP is the default: the Gateway proxies plain HTTP, as nginx did; nothing "
                                     "to convert.")
        elif proto in ("AUTO_HTTP", "FCGI"):
            what = ("nginx used the client's scheme (HTTPS to the backend for HTTPS clients); the Gateway sends "
                    "plain HTTP" if proto == "AUTO_HTTP" else "nginx spoke FastCGI to the backend; the Gateway sends "
                    "plain HTTP, which a FastCGI server cannot answer: put an HTTP server in front of it")
            h.report("NGX205", name, f"{proto} not converted: {what}.",
                     example=f"GET {example_url(h)} now reaches the backend as plain HTTP")
        else:
            if proto in ("GRPC", "GRPCS"):
                _grpc(h, name, proto)
            if proto in TLS_PROTOCOLS:
                _tls(h, name, proto)


def _tls(h: Handle, name: str, proto: str) -> None:
    settings = tls_settings(h)
    ca = [settings.ca_config_map()] if settings.secret else []
    made: list[BackendTLS] = []
    for namespace, service, port in _services(h):
        hostname = settings.name or f"{service}.{namespace}.svc.cluster.local"
        note = (f"{h.prefix}backend-protocol: {proto} on Ingress {h.obj.namespace}/{h.obj.name}: the Gateway "
                f"speaks TLS to {service}" + (f" port {port}" if port is not None else ""))
        policy = add_backend_tls(h, name, namespace, service, port, hostname, ca, note)
        if policy is not None and policy not in made:
            made.append(policy)
    if not made:
        if not h.is_accounted(name):
            h.report("NGX200", name, f"{proto}: no Service backend to speak TLS to; nothing to convert.")
        return
    policies = ", ".join(f"{p.namespace}/{p.service}" + (f" port {p.port_name}" if p.port_name else "")
                         + f" (hostname {p.hostname})" for p in made)
    where = (f"the CA in ConfigMap {settings.ca_config_map()} (see proxy-ssl-secret)" if settings.secret
             else "the system CAs")
    # each difference is reported on the annotation that decided it: a written
    # proxy-ssl-verify / proxy-ssl-server-name (with proxy-ssl-secret) reports its own
    verify_here = not settings.verify and not (settings.secret and h.has("proxy-ssl-verify"))
    sni_here = not settings.sni and not (settings.secret and h.has("proxy-ssl-server-name"))
    host = example_url(h, {p.service for p in made})
    if verify_here:
        sni = " and sent no SNI" if sni_here else ""
        sni_now = " and sends the hostname as SNI" if sni_here else ""
        h.report("NGX202", name,
                 f"BackendTLSPolicy for {policies}. nginx did not verify the backend certificate{sni} (proxy-ssl-verify "
                 f"and proxy-ssl-server-name default to off); the Gateway verifies it against {where}{sni_now}, "
                 "and cannot be told not to. The policy applies to all Gateway traffic to that Service port.",
                 example=f"a request to {host} whose backend has a self-signed or differently named "
                         "certificate now fails (typically 503) instead of being served")
    elif sni_here:
        h.report("NGX206", name,
                 f"BackendTLSPolicy for {policies}. nginx sent no SNI to the backend (proxy-ssl-server-name "
                 f"defaults to off); the Gateway sends the hostname as SNI.",
                 example=f"GET {host}: the backend now sees SNI {made[0].hostname} and may choose another "
                         "certificate")
    elif not h.is_accounted(name):
        h.report("NGX200", name, f"BackendTLSPolicy for {policies}, verified against {where}, as nginx did.")


# -- gRPC -----------------------------------------------------------------------------------------


def _grpc(h: Handle, name: str, proto: str) -> None:
    converted: list[Route] = []
    for route in live_routes(h, ("HTTPRoute",)):
        if route.rules and all(is_redirect(rule) for rule in route.rules):
            continue  # the HTTP side of an HTTPS redirect: stays an HTTPRoute
        _to_grpc(h, name, route)
        converted.append(route)
    if not converted:
        h.report("NGX200", name, f"{proto}: the Ingress has no route to convert; nothing to convert.")
        return
    what = ", ".join(f"{r.namespace}/{r.name}" for r in converted)
    h.report("NGX201", name, f"{proto}: GRPCRoute {what} (paths became gRPC service/method matches; backends are "
                             "reached over HTTP/2, as with grpc_pass). A GRPCRoute matches gRPC requests only: any "
                             "other request for these hosts (a browser's GET) now gets 404 where nginx proxied it "
                             "to the backend or redirected it to HTTPS.",
             example=f"GET {example_url(h)} now gets 404")


def _to_grpc(h: Handle, name: str, route: Route) -> None:
    route.kind = "GRPCRoute"
    rules = []
    for rule in route.rules:
        dropped = [f for f in rule.filters if not isinstance(f, GRPC_FILTERS)]
        if dropped:
            kinds = ", ".join(sorted({type(f).__name__ for f in dropped}))
            h.report("NGX204", name, f"{kinds} on a rule of {route.namespace}/{route.name} dropped: GRPCRoute has no "
                                     "such filter.")
            rule.filters = [f for f in rule.filters if isinstance(f, GRPC_FILTERS)]
            if any(isinstance(f, Redirect) for f in dropped) and not rule.backends:
                continue  # a redirect-only rule has nothing left to do
        if rule.timeouts is not None:
            h.report("NGX204", name, f"timeouts of a rule of {route.namespace}/{route.name} dropped: GRPCRoute has "
                                     "no timeouts.")
            rule.timeouts = None
        matches, everything = [], False
        for match in rule.matches:
            method = _grpc_method(h, name, route, rule, match.path)
            if method is None and not match.headers:
                everything = True
            matches.append(Match(headers=match.headers, grpc=method))
        rule.matches = [] if everything or not matches else matches
        rules.append(rule)
    route.rules = rules


def _grpc_method(h: Handle, name: str, route: Route, rule: Rule, path: PathMatch | None) -> GrpcMethod | None:
    """The GRPCRoute method match for an HTTP path match; None means every method."""
    if path is None or (path.type == "PathPrefix" and path.value == "/"):
        return None
    parts = path.value.strip("/").split("/") if path.type != "RegularExpression" else []
    if path.type == "PathPrefix" and len(parts) == 1 and _SERVICE.match(parts[0]):
        return GrpcMethod(service=parts[0])
    exact_slash = path.type == "Exact" and path.value.endswith("/")
    if len(parts) == 2 and not exact_slash and _SERVICE.match(parts[0]) and _METHOD.match(parts[1]):
        # Exact, or a prefix: a gRPC call path has exactly these two segments
        return GrpcMethod(service=parts[0], method=parts[1])
    target = ", ".join(f"{b.name}:{b.port}" for b in rule.backends) or "no backend"
    hosts = ", ".join(route.hostnames) or "any host"
    h.report("NGX203", name,
             f"path {path.value!r} ({path.type}) is not a gRPC service or method: its rule on {hosts} now matches "
             "every gRPC method, also those nginx routed elsewhere or answered with 404.",
             example=f"POST /any.OtherService/AnyMethod on {route.hostnames[0] if route.hostnames else 'any host'} "
                     f"now reaches {target}")
    return None


# -- proxy-ssl-* ---------------------------------------------------------------------------------


def backend_tls(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    proto = protocol(h)
    raw_secret = h.get("proxy-ssl-secret")
    for name in names:
        if h.is_accounted(name):
            continue
        if proto not in TLS_PROTOCOLS:
            h.report("NGX208", name, f"no effect: backend-protocol is {proto}, so nginx did not use TLS to the "
                                     "backend; nothing to convert.")
        elif name == "proxy-ssl-secret":
            _proxy_ssl_secret(h, name, raw_secret or "")
        elif _secret(raw_secret) is None:
            h.report("NGX208", name, "no effect without a valid proxy-ssl-secret: ingress-nginx reads no "
                                     "proxy-ssl-* setting unless it is set; nothing to convert.")
        else:
            _proxy_ssl_setting(h, name)


def _proxy_ssl_secret(h: Handle, name: str, value: str) -> None:
    secret = _secret(value)
    if secret is None:
        h.ctx.input_error(h.obj, h.path(name), f"value {value!r} is not namespace/name; ingress-nginx refuses "
                                               "the Ingress's paths (503) with it")
        return
    services = sorted({(ns, svc) for ns, svc, _ in _services(h)})
    config_map = TLSSettings(secret, None, False, False).ca_config_map()
    where = ", ".join(f"{ns}/{config_map}" for ns in sorted({ns for ns, _ in services})) or config_map
    h.report("NGX207", name,
             f"the BackendTLSPolicy for {', '.join(f'{ns}/{svc}' for ns, svc in services) or 'the backends'} "
             f"references ConfigMap {where}: create it with key ca.crt holding the ca.crt of Secret "
             f"{secret[0]}/{secret[1]} (a BackendTLSPolicy reads CAs only from ConfigMaps in the Service's "
             "namespace). If the Secret also holds tls.crt/tls.key that nginx presented to the backend, set it as "
             "the Gateway's spec.tls.backend.clientCertificateRef: it applies to every backend of the Gateway, "
             "and the output does not set it.",
             example=f"until ConfigMap {config_map} exists, requests to these backends fail")


def _proxy_ssl_setting(h: Handle, name: str) -> None:
    value = h.get(name) or ""
    settings = tls_settings(h)
    if name == "proxy-ssl-name":
        if not PRECISE_HOSTNAME.match(value.lower()):
            h.invalid(name, value, "a DNS host name", "the upstream name")
            return
        h.report("NGX200", name, f"BackendTLSPolicy hostname {value.lower()}: the name the backend certificate "
                                 "must carry (and the SNI the Gateway sends).")
    elif name == "proxy-ssl-verify":
        if on_off(h, name, "off") == "on":
            h.report("NGX200", name, "on: the BackendTLSPolicy verifies the backend certificate, as nginx did.")
        elif not h.is_accounted(name):
            where = f"the CA in ConfigMap {settings.ca_config_map()}"
            h.report("NGX202", name,
                     f"off: nginx did not verify the backend certificate; the BackendTLSPolicy makes the Gateway "
                     f"verify it against {where} for hostname {settings.name or '<service>.<namespace>.svc.cluster.local'}, "
                     "and Gateway API cannot skip verification.",
                     example=f"GET {example_url(h)} to a backend whose certificate that CA did not "
                             "issue now fails (typically 503)")
    elif name == "proxy-ssl-server-name":
        if on_off(h, name, "off") == "on":
            h.report("NGX200", name, "on: the Gateway sends the BackendTLSPolicy hostname as SNI, as nginx did.")
        elif not h.is_accounted(name):
            h.report("NGX206", name, "off: nginx sent no SNI; the Gateway always sends the BackendTLSPolicy "
                                     "hostname as SNI.",
                     example=f"GET {example_url(h)}: the backend now sees SNI and may choose another "
                             "certificate")
    else:
        if name == "proxy-ssl-verify-depth":
            h.number(name, 1, low=0)
        if not h.is_accounted(name):
            h.explain(name, f"{value!r} not carried over.")


# -- Host header, balancing, error pages -----------------------------------------------------------


def upstream_vhost(h: Handle, names: list[str]) -> None:
    names = moot_under_redirect(h, names)
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        value = h.get(name) or ""
        host = value.lower()
        if not host:
            h.report("NGX200", name, "empty: nginx sent the client's Host header, as the Gateway does; nothing to "
                                     "convert.")
            continue
        if "$" in host or re.fullmatch(r".+:\d+", host):
            why = "nginx variables" if "$" in host else "a port"
            h.report("NGX210", name, f"{value!r} contains {why}, which a URLRewrite hostname cannot express; the "
                                     "backend now receives the client's Host header.",
                     example=f"GET {example_url(h)} reaches the backend with Host {example_host(h)}")
            continue
        if not PRECISE_HOSTNAME.match(host):
            h.invalid(name, value, "a host name", "the client's Host header")
            continue
        rules = 0
        grpc = set()
        for route, rule in proxied_rules(h):
            if route.kind == "GRPCRoute":
                grpc.add(f"{route.namespace}/{route.name}")
                continue
            rewrite = next((f for f in rule.filters if isinstance(f, Rewrite)), None)
            if rewrite is None:
                rule.filters.append(Rewrite(hostname=host))
            else:  # one URLRewrite per rule: merge
                rule.filters[rule.filters.index(rewrite)] = replace(rewrite, hostname=host)
            rules += 1
        if grpc:
            h.report("NGX204", name, f"Host {host} not set on GRPCRoute {', '.join(sorted(grpc))}: GRPCRoute has no "
                                     "URLRewrite; the backend receives the client's authority.")
        if rules:
            h.report("NGX200", name, f"URLRewrite hostname {host} on {rules} rule(s): the backend receives "
                                     f"Host: {host}, as with nginx (extended feature HTTPRouteHostRewrite).")
        elif not grpc:
            h.report("NGX200", name, "no rule proxies to a backend; nothing to convert.")


def load_balancing(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    hash_by = h.get("upstream-hash-by")
    for name in names:
        value = h.get(name) or ""
        if name == "load-balance":
            extra = f"{value!r} balancing is not carried over; the implementation's default algorithm applies."
        elif name == "upstream-hash-by":
            source = " (a target-specific consistent hash on the client IP can replace it)" if "remote_addr" in value else ""
            extra = (f"consistent hashing on {value!r} is not carried over{source}; requests from one client now "
                     "spread across Pods.")
        elif hash_by:
            extra = f"detail of {h.prefix}upstream-hash-by, lost with it."
        else:
            extra = f"has no effect without {h.prefix}upstream-hash-by."
        h.explain(name, extra)


def custom_errors(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        value = h.get(name) or ""
        if name == "default-backend":
            h.explain(name, f"Service {h.obj.namespace}/{value} is not carried over.")
        elif name == "custom-http-errors":
            codes = split_list(value)
            bad = [c for c in codes if not re.fullmatch(r"[1-5]\d\d", c)]
            if bad or not codes:
                h.invalid(name, value, "a comma-separated list of HTTP status codes", "no custom errors")
                continue
            h.explain(name, f"responses {', '.join(codes)} from the backend now reach clients unchanged instead of "
                            "being replaced by the default backend's page.")
        elif name == "disable-proxy-intercept-errors":
            if h.flag(name, False):
                h.report("NGX200", name, "true: the Gateway passes backend error responses through, as nginx did "
                                         "with this set.")
            elif not h.is_accounted(name):
                h.explain(name, "false: if custom error pages were configured globally, they are not carried over.")
        else:
            h.explain(name, "not converted.")
