"""Virtual-host TLS: listeners, certificate delegation, passthrough and tcpproxy.

``tls.secretName`` may name ``namespace/name``; Contour then needs a
TLSCertificateDelegation in that namespace allowing the proxy's namespace, else the
HTTPProxy is invalid. The Gateway reads the Secret through a ReferenceGrant (made
by the emitter). ``tls.passthrough`` with ``tcpproxy`` is SNI passthrough (TLS
listener, mode Passthrough, TLSRoute); ``tcpproxy`` with a secret terminates TLS
and proxies TCP (TLS listener, mode Terminate, TLSRoute).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import Backend, GatewayParent, Listener, ObjectRef, Origin, Route, Rule
from migrate.names import host_slug
from migrate.plugin import SourceObject
from migrate.plugins.contour.includes import Key, key_of
from migrate.plugins.contour.util import as_dict, as_list, text

if TYPE_CHECKING:
    from migrate.plugins.contour.proxy import ProxyConverter, RootBuild

Path_ = tuple[Any, ...]
TLS = ("spec", "virtualhost", "tls")


def delegated(conv: "ProxyConverter", secret_ns: str, secret: str, to_ns: str) -> SourceObject | None:
    """The TLSCertificateDelegation in ``secret_ns`` that lets ``to_ns`` use ``secret``, if any."""
    for obj in conv.delegations:
        if obj.namespace != secret_ns:
            continue
        for item in as_list(as_dict(obj.data.get("spec")).get("delegations")):
            item = as_dict(item)
            targets = [str(t) for t in as_list(item.get("targetNamespaces"))]
            if text(item.get("secretName")) == secret and ("*" in targets or to_ns in targets):
                return obj
    return None


def certificate(conv: "ProxyConverter", obj: SourceObject, secret: str, path: Path_) -> ObjectRef | None:
    """The Secret a proxy (or Ingress) names, or None when Contour would refuse it (reported)."""
    ns, _, name = secret.rpartition("/")
    ns = ns or obj.namespace
    if ns != obj.namespace:
        grant = delegated(conv, ns, name, obj.namespace)
        if grant is None:
            conv.ctx.report("CTR051", obj, path, f"Secret {ns}/{name}: no TLSCertificateDelegation in {ns} allows "
                                                 f"namespace {obj.namespace}")
            return None
        conv.ctx.report("CTR052", obj, path, f"Secret {ns}/{name} delegated by TLSCertificateDelegation "
                                             f"{grant.namespace}/{grant.name}: ReferenceGrant in {ns}")
    return ObjectRef(name, ns)


def listeners(r: "RootBuild") -> bool:
    """Add the root's listeners; False when Contour would not serve it (reported)."""
    conv, root = r.conv, r.root
    vhost = as_dict(as_dict(root.data["spec"]).get("virtualhost"))
    if vhost.get("tls") is None:
        return True
    tls = as_dict(vhost["tls"])
    root.account(TLS)
    passthrough = tls.get("passthrough") is True
    tcp = as_dict(root.data["spec"]).get("tcpproxy") is not None
    if passthrough and not tcp:
        conv.ctx.report("CTR055", root, TLS + ("passthrough",), "passthrough needs a tcpproxy: not served")
        return False
    for key, what in (("minimumProtocolVersion", "minimum TLS version"), ("maximumProtocolVersion", "maximum TLS version"),
                      ("cipherSuites", "cipher suites")):
        if tls.get(key) is not None:
            conv.ctx.report("CTR054", root, TLS + (key,), f"{what} {tls[key]!r}: listener tls.options are "
                                                          "implementation-specific; the implementation's default applies")
    if tls.get("enableFallbackCertificate") is not None:
        conv.ctx.report("CTR054", root, TLS + ("enableFallbackCertificate",),
                        "clients without SNI got Contour's fallback certificate; a Gateway listener serves only its "
                        "hostname, so they now fail the handshake")
    name = f"tls-{host_slug(r.fqdn)}" if tcp else f"https-{host_slug(r.fqdn)}"
    origin = Origin(root.source(TLS), [])
    if passthrough:
        if text(tls.get("secretName")):
            conv.ctx.report("CTR001", root, TLS + ("secretName",), "ignored with passthrough: the backend terminates TLS")
        r.gateway.listeners.append(Listener(name, "TLS", 443, r.fqdn, tls_mode="Passthrough", origin=origin))
        r.secure = True
        return True
    secret = text(tls.get("secretName"))
    if not secret:
        conv.ctx.report("CTR055", root, TLS, "tls without secretName or passthrough: not served")
        return False
    cert = certificate(conv, root, secret, TLS + ("secretName",))
    if cert is None:
        return False
    existing = r.gateway.listener(name)
    if existing is None:
        r.gateway.listeners.append(Listener(name, "TLS" if tcp else "HTTPS", 443, r.fqdn, [cert],
                                            tls_mode="Terminate", origin=origin))
    r.secure = True
    return True


def tcp_proxy(r: "RootBuild", index: dict[Key, SourceObject]) -> set[Key]:
    """The tcpproxy chain of a root -> one TLSRoute; the proxies it reached."""
    conv, root = r.conv, r.root
    reached = {key_of(root)}
    proxy, chain = root, [key_of(root)]
    while True:
        tcp = as_dict(as_dict(proxy.data.get("spec")).get("tcpproxy"))
        path = ("spec", "tcpproxy")
        proxy.account(path)
        include = tcp_include(conv, proxy, tcp)
        if as_list(tcp.get("services")):
            if include:
                conv.ctx.report("CTR055", proxy, path, "tcpproxy with both services and an include: Contour marks the "
                                                       "HTTPProxy invalid and serves no TLS connections for it")
                return reached
            break
        if not include:
            conv.ctx.report("CTR055", proxy, path, "tcpproxy without services or include: not served")
            return reached
        target = (text(include.get("namespace")) or proxy.namespace, text(include.get("name")))
        nxt = index.get(target)
        if nxt is None or target in chain or as_dict(nxt.data.get("spec")).get("virtualhost") is not None:
            why = "does not exist" if nxt is None else "closes a cycle" if target in chain else "is a root"
            conv.ctx.report("CTR011", proxy, path, f"tcpproxy include {target[0]}/{target[1]} {why}: the TLS "
                                                   "connections are refused")
            return reached
        proxy = nxt
        chain.append(target)
        reached.add(target)
    backends = []
    items = [as_dict(s) for s in as_list(tcp["services"])]
    weighted = any(isinstance(s.get("weight"), int) and s["weight"] > 0 for s in items)
    for i, s in enumerate(items):
        port = s.get("port")
        if not text(s.get("name")) or isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            conv.ctx.input_error(proxy, path + ("services", i), "tcpproxy service needs a name and a port 1-65535")
            continue
        weight = (s.get("weight") if isinstance(s.get("weight"), int) else 0) if weighted else None
        backends.append(Backend(text(s["name"]), port, weight=weight))
        if s.get("protocol") is not None or s.get("validation") is not None:
            conv.ctx.report("CTR054", proxy, path + ("services", i), "upstream TLS from a tcpproxy has no TLSRoute form")
    if tcp.get("loadBalancerPolicy") is not None:
        conv.ctx.report("CTR037", proxy, path + ("loadBalancerPolicy",), "tcpproxy balancing is implementation-specific")
    if tcp.get("healthCheckPolicy") is not None:
        conv.ctx.report("CTR001", proxy, path + ("healthCheckPolicy",), "active TCP health checks are implementation-specific")
    listener = f"tls-{host_slug(r.fqdn)}"
    mode = "Passthrough" if as_dict(as_dict(as_dict(root.data["spec"]).get("virtualhost")).get("tls")).get("passthrough") is True else "Terminate"
    conv.ctx.report("CTR053", root, ("spec", "tcpproxy"), f"{r.fqdn}: TLS listener {listener} ({mode}) and a TLSRoute")
    parent = GatewayParent(r.gateway.namespace, r.gateway.name, listener)
    route = Route("TLSRoute", proxy.namespace, proxy.name if proxy is root else f"{proxy.name}-{host_slug(r.fqdn)}",
                  [r.fqdn], [parent], [Rule(backends=backends)],
                  origin=Origin(proxy.source(), root.comments_at(()) + ([] if proxy is root else proxy.comments_at(()) + [
                      f"tcpproxy included by HTTPProxy {root.namespace}/{root.name} ({r.fqdn})"])))
    blocked = [f"spec.virtualhost.{k}" for k in ("ipAllowPolicy", "ipDenyPolicy", "rateLimitPolicy", "authorization")
               if as_dict(as_dict(root.data["spec"]).get("virtualhost")).get(k) not in (None, [], {})]
    for item in blocked:
        conv.ctx.report("CTR002", root, tuple(item.split(".")), "access control on a tcpproxy cannot be carried over")
    route.blocked_by = blocked
    conv.routes.append(route)
    return reached


def tcp_include(conv: "ProxyConverter", proxy: SourceObject, tcp: dict) -> dict:
    """The tcpproxy include Contour follows: ``include``, else the deprecated plural-named
    ``includes`` (a single object too); with both, ``include`` wins (projectcontour/contour#2218,
    ``processHTTPProxyTCPProxy``) and ``includes`` is ignored."""
    path = ("spec", "tcpproxy", "includes")
    if tcp.get("includes") is not None:
        old = as_dict(tcp["includes"])
        shown = f"{text(old.get('namespace')) or proxy.namespace}/{text(old.get('name'))}"
        if tcp.get("include") is not None:
            conv.ctx.report("CTR001", proxy, path, f"deprecated tcpproxy.includes ({shown}) ignored: tcpproxy.include "
                                                   "is set too, and Contour follows include; remove includes")
            if text(old.get("name")):
                conv.skipped_targets.setdefault(
                    (text(old.get("namespace")) or proxy.namespace, text(old["name"])),
                    f"{proxy.namespace}/{proxy.name} spec.tcpproxy.includes (ignored: tcpproxy.include is set too)")
        else:
            conv.ctx.report("CTR004", proxy, path, f"deprecated tcpproxy.includes ({shown}) followed as Contour does, "
                                                   "like tcpproxy.include; rename it to include")
    return as_dict(tcp.get("include") if tcp.get("include") is not None else tcp.get("includes"))


def delegation_fields(conv: "ProxyConverter", obj: SourceObject) -> None:
    """A TLSCertificateDelegation has no output of its own: its grants become ReferenceGrants."""
    obj.account(("spec",))
    conv.ctx.report("CTR052", obj, ("spec", "delegations"),
                    "delegations become ReferenceGrants (from the Gateway's namespace) for the Secrets HTTPProxies "
                    "and Ingresses use; Secrets no route uses get none")
