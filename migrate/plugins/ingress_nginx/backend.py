"""How nginx talked to the backend: protocol, backend TLS, Host header, balancing, errors.

backend-protocol GRPC/GRPCS turns the Ingress's HTTPRoutes into GRPCRoutes (paths
become service/method matches); HTTPS/GRPCS adds a BackendTLSPolicy per backend
Service. BackendTLSPolicy always verifies the backend certificate and sends SNI,
where nginx by default did neither: that difference is always reported, once, on
the annotation that decided it.

This module holds the mapping table's ``backend.*`` handlers (each annotation has a
fixed handler module) and the upstream options (Host header, balancing, error
pages); the BackendTLSPolicy work is in :mod:`.proxy_ssl` and the GRPCRoute
conversion in :mod:`.grpc_routes`. The findings of all three are declared here, in
this module's code range.
"""

from __future__ import annotations

import re
from dataclasses import replace

from migrate.findings import spec
from migrate.ir import Rewrite
from migrate.plugins.ingress_nginx.grpc_routes import convert_to_grpc
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import (
    PRECISE_HOSTNAME, example_host, example_url, ignored_by_passthrough, moot_under_redirect, proxied_rules,
    split_list,
)
from migrate.plugins.ingress_nginx.proxy_ssl import (
    proxy_ssl_secret, proxy_ssl_setting, secret_ref, tls_to_backends,
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
                convert_to_grpc(h, name, proto)
            if proto in TLS_PROTOCOLS:
                tls_to_backends(h, name, proto)


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
            proxy_ssl_secret(h, name, raw_secret or "")
        elif secret_ref(raw_secret) is None:
            h.report("NGX208", name, "no effect without a valid proxy-ssl-secret: ingress-nginx reads no "
                                     "proxy-ssl-* setting unless it is set; nothing to convert.")
        else:
            proxy_ssl_setting(h, name)


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
