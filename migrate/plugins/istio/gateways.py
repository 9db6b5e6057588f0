"""Istio Gateway -> Gateway API Gateway listeners (one per server and host).

The Gateway API Gateway takes the Istio Gateway's namespace and name, so
VirtualServices' ``gateways: [ns/name]`` find it; ``--gateway`` attaches everything
to an existing one instead. Each server host becomes a listener; the namespace part
of the host (``./``, ``ns/``, ``*/``) decides which VirtualServices may bind, which
the converter checks itself before attaching a route with an explicit sectionName.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from migrate.ir import GatewayParent, Listener, ObjectRef, Origin, Redirect, Route, Rule
from migrate.names import host_slug, slug
from migrate.plugins.istio import comments
from migrate.plugin import SourceObject
from migrate.plugins.istio.parse import split_server_host, valid_hostname

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

HTTP_LIKE = ("HTTP", "HTTP2", "GRPC", "GRPC-WEB")
DEFAULT_CLASS = "istio"


@dataclass
class ServerListener:
    """One listener made from one host of one server."""

    name: str
    protocol: str          # Gateway API protocol
    port: int
    dns: str               # the Istio host without namespace ("*" = all)
    namespace: str | None  # VirtualServices from this namespace only (None: any)


@dataclass
class Server:
    gateway: SourceObject
    index: int
    istio_protocol: str
    port: int
    tls_mode: str | None
    https_redirect: bool
    listeners: list[ServerListener] = field(default_factory=list)
    #: access controls lost on this server (routes attached here fail closed)
    blocked_by: list[str] = field(default_factory=list)

    @property
    def grpc(self) -> bool:
        return self.istio_protocol in ("GRPC", "GRPC-WEB")


@dataclass
class IstioGateway:
    obj: SourceObject
    parent: tuple[str, str]
    servers: list[Server] = field(default_factory=list)


def workload_namespace(obj: SourceObject) -> str:
    """Where Istio looks for credentialName: the gateway Pods' namespace (ours: istio-system for the
    default ``istio: ingressgateway``/``istio: egressgateway`` selector, else the Gateway's own)."""
    selector = obj.data.get("spec", {}).get("selector") if isinstance(obj.data.get("spec"), dict) else None
    if isinstance(selector, dict) and str(selector.get("istio", "")) in ("ingressgateway", "egressgateway"):
        return "istio-system"
    return obj.namespace


def convert_gateway(conv: "Converter", obj: SourceObject) -> IstioGateway | None:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return None
    settings = conv.ctx.settings
    if settings.existing_gateway:
        ns, name = settings.existing_gateway
        model_gw = conv.ctx.model.gateway(ns, name, settings.gateway_class or DEFAULT_CLASS, existing=True)
    else:
        ns, name = obj.namespace, obj.name
        model_gw = conv.ctx.model.gateway(ns, name, settings.gateway_class or DEFAULT_CLASS)
        model_gw.origin = Origin(obj.source(), comments.under(obj, (), comments.SERVER_PARTS))  # above the Gateway
    gw = IstioGateway(obj, (ns, name))
    selector_(conv, obj, spec)
    servers = spec.get("servers")
    if not isinstance(servers, list):
        conv.ctx.input_error(obj, ("spec", "servers"), "servers must be a list")
        return gw
    wide = False
    for i, server in enumerate(servers):
        if not isinstance(server, dict):
            conv.ctx.input_error(obj, ("spec", "servers", i), "a server must be a map")
            continue
        made = server_(conv, obj, gw, i, server, model_gw)
        if made is not None:
            gw.servers.append(made)
            wide = wide or any(item.namespace is None for item in made.listeners)
    if wide:
        conv.ctx.report("IST016", obj, (), "server hosts without a namespace (or `*/`) admitted VirtualServices of "
                        "every namespace; the listeners admit the namespaces of the routes converted now")
    return gw


def selector_(conv: "Converter", obj: SourceObject, spec: dict) -> None:
    """spec.selector: which proxy Pods; the Gateway API Gateway is its own proxy."""
    cls = conv.ctx.settings.gateway_class or DEFAULT_CLASS
    selector = spec.get("selector")
    shown = ", ".join(f"{k}: {v}" for k, v in selector.items()) if isinstance(selector, dict) and selector \
        else "none: every gateway workload"
    where = ("spec", "selector") if "selector" in spec else ()
    conv.ctx.report("IST010", obj, where, f"selector ({shown}) picked existing proxy Pods; Gateway "
                    f"{obj.namespace}/{obj.name} (gatewayClassName {cls}) gets its own deployment and address")


def _listener_protocol(conv: "Converter", obj: SourceObject, i: int, protocol: str, mode: str | None) -> tuple[str, str | None] | None:
    """(Gateway API protocol, tls mode) for an Istio server, or None when there is none."""
    base = ("spec", "servers", i)
    if protocol in HTTP_LIKE:
        return ("HTTPS", "Terminate") if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL") else ("HTTP", None)
    if protocol == "HTTPS":
        if mode == "PASSTHROUGH":
            return "TLS", "Passthrough"
        if mode in ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"):
            return "HTTPS", "Terminate"
    if protocol == "TLS" and mode == "PASSTHROUGH":
        return "TLS", "Passthrough"
    if protocol in ("TCP", "MONGO"):
        if protocol == "MONGO":
            conv.ctx.report("IST003", obj, base + ("port", "protocol"), "MONGO is served as plain TCP (TCPRoute)")
        return "TCP", None
    conv.ctx.report("IST013", obj, base + ("tls", "mode") if mode else base + ("port", "protocol"),
                    f"protocol {protocol} with tls mode {mode or 'none'} has no Gateway API listener; "
                    "nothing listens on this server now")
    return None


def server_(conv: "Converter", obj: SourceObject, gw: Any, i: int, server: dict, model_gw: Any) -> Server | None:
    base = ("spec", "servers", i)
    port = server.get("port") if isinstance(server.get("port"), dict) else {}
    number = port.get("number")
    protocol = str(port.get("protocol") or "").upper()
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 65536:
        conv.ctx.input_error(obj, base + ("port",), f"port.number {number!r} is not a port number; server left out")
        obj.account(base)
        return None
    tls = server.get("tls") if isinstance(server.get("tls"), dict) else {}
    mode = str(tls.get("mode") or ("SIMPLE" if tls.get("credentialName") or tls.get("credentialNames") else "")) or None
    https_redirect = tls.get("httpsRedirect") is True
    obj.account(base + ("port",))
    if "name" in server:
        obj.account(base + ("name",))
    made = _listener_protocol(conv, obj, i, protocol, mode if protocol != "HTTP" else None)
    if made is None:
        obj.account(base)
        return None
    gw_protocol, tls_mode = made
    srv = Server(obj, i, protocol, number, mode, https_redirect)
    certs = tls_(conv, obj, i, tls, gw_protocol, tls_mode, srv)
    if gw_protocol == "HTTPS" and not certs:
        conv.ctx.report("IST013", obj, base + ("tls",), "HTTPS server without credentialName (certificate files "
                        "mounted into the proxy cannot be referenced): no listener")
        obj.account(base)
        return None
    hosts = server.get("hosts")
    if not isinstance(hosts, list) or not hosts:
        conv.ctx.input_error(obj, base + ("hosts",), "hosts must be a non-empty list")
        obj.account(base)
        return None
    obj.account(base + ("hosts",))
    prefix = f"{slug(obj.name, 40)}-" if conv.ctx.settings.existing_gateway else ""
    for j, raw in enumerate(hosts):
        ns, dns = split_server_host(str(raw), obj.namespace)
        dns = dns.lower()
        if dns != "*" and not valid_hostname(dns):
            conv.ctx.report("IST017", obj, base + ("hosts", j), f"host {raw!r} cannot be a listener hostname; "
                            "no listener for it")
            continue
        name = slug(f"{prefix}{gw_protocol.lower()}-{number}-{host_slug(None if dns == '*' else dns)}", 253)
        existing = model_gw.listener(name)
        if existing is not None:  # the same host twice on one port: one listener admitting each namespace named
            if ns is not None:
                existing.route_namespaces.add(ns)
            if not any(item.name == name and item.namespace in (None, ns) for item in srv.listeners):
                srv.listeners.append(ServerListener(name, gw_protocol, number, dns, ns))
            continue
        listener = Listener(name, gw_protocol, number, None if dns == "*" else dns, list(certs), tls_mode,
                            origin=Origin(obj.source(base), comments.under(obj, base)))
        if ns is not None:
            # `ns/host` admits that namespace's VirtualServices whether or not any is converted now
            listener.route_namespaces.add(ns)
        model_gw.listeners.append(listener)
        srv.listeners.append(ServerListener(name, gw_protocol, number, dns, ns))
    if https_redirect and gw_protocol == "HTTP":
        _https_redirect(conv, obj, gw, srv)
    return srv


def tls_(conv: "Converter", obj: SourceObject, i: int, tls: dict, protocol: str, mode: str | None, srv: Server) -> list[ObjectRef]:
    """servers[].tls: certificates, client validation (fail closed), options (explained)."""
    base = ("spec", "servers", i, "tls")
    certs: list[ObjectRef] = []
    if not tls:
        return certs
    if "mode" in tls:
        obj.account(base + ("mode",))
    if "httpsRedirect" in tls:
        if tls.get("httpsRedirect") is True and protocol == "HTTP":
            conv.ctx.report("IST014", obj, base + ("httpsRedirect",), "every request on this HTTP server gets 301 "
                            "to https (HTTPRoute on its listener)")
        else:
            obj.account(base + ("httpsRedirect",))
    names = []
    if isinstance(tls.get("credentialName"), str) and tls["credentialName"]:
        names.append((base + ("credentialName",), tls["credentialName"]))
    if isinstance(tls.get("credentialNames"), list):
        names += [(base + ("credentialNames", k), str(n)) for k, n in enumerate(tls["credentialNames"]) if n]
    if mode == "Terminate":
        ns = workload_namespace(obj)
        for path, name in names:
            certs.append(ObjectRef(name, ns))
            where = ("the gateway workload's namespace, assumed from the default selector" if ns != obj.namespace
                     else "assumed to be the Gateway's own namespace: the selector is not the default "
                     "istio: ingressgateway; move the reference if the gateway Pods run elsewhere")
            conv.ctx.report("IST011", obj, path, f"Secret {ns}/{name} ({where})")
    else:
        for path, _ in names:
            obj.account(path)
    if srv.tls_mode in ("MUTUAL", "OPTIONAL_MUTUAL") and protocol == "HTTPS":
        mode = srv.tls_mode
        what = f"Gateway {obj.namespace}/{obj.name} spec.servers[{i}].tls.mode {mode}"
        srv.blocked_by.append(what)
        fallback = "AllowInsecureFallback" if mode == "OPTIONAL_MUTUAL" else "AllowValidOnly"
        conv.ctx.report("IST012", obj, base + ("mode",),
                        f"{mode} validated client certificates against the CA in the credential Secret; not carried "
                        "over, routes on this server fail closed. Gateway API v1.6.1 (standard) expresses it per "
                        "Gateway or port: spec.tls.frontend.perPort: [{port: " + str(srv.port) + ", tls: {validation: "
                        "{caCertificateRefs: [{kind: ConfigMap, name: <CA copied from the Secret>}], mode: "
                        + fallback + "}}}]")
    for key in ("minProtocolVersion", "maxProtocolVersion", "cipherSuites"):
        if key in tls:
            conv.ctx.report("IST015", obj, base + (key,), f"tls.{key} not carried over (listener tls.options is "
                            "implementation-specific); the implementation's defaults apply")
    for key in ("subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash"):
        if key not in tls:
            continue
        if srv.tls_mode in ("MUTUAL", "OPTIONAL_MUTUAL"):
            conv.ctx.report("IST015", obj, base + (key,), f"tls.{key} restricted the client certificates "
                            f"{srv.tls_mode} accepted; not carried over, part of the client validation IST012 "
                            "reports")
        else:
            conv.ctx.report("IST015", obj, base + (key,), f"tls.{key} applies only to client certificates, which "
                            f"Istio asks for only in MUTUAL or OPTIONAL_MUTUAL mode; with mode {srv.tls_mode or 'unset'} "
                            "it did nothing, so nothing is lost")
    if isinstance(tls.get("credentialNames"), list):
        obj.account(base + ("credentialNames",))
    for key in ("serverCertificate", "privateKey", "caCertificates", "caCrl", "tlsCertificates", "caCertCredentialName"):
        if key in tls and not obj.is_accounted(base + (key,)):
            conv.explain(obj, base + (key,))
    return certs


def _https_redirect(conv: "Converter", obj: SourceObject, gw: IstioGateway, srv: Server) -> None:
    hosts = [item.dns for item in srv.listeners]
    route = Route("HTTPRoute", gw.parent[0], slug(f"{obj.name}-https-redirect", 253),
                  hostnames=[] if "*" in hosts else sorted(set(hosts)),
                  parents=[GatewayParent(gw.parent[0], gw.parent[1], item.name) for item in srv.listeners],
                  rules=[Rule(filters=[Redirect(scheme="https", status=301)])],
                  origin=Origin(obj.source(("spec", "servers", srv.index)),
                                ["gateway-migrate: Istio tls.httpsRedirect (301 to https)"]))
    conv.routes.append(route)
