"""Backend TLS: the BackendTLSPolicy for backend-protocol HTTPS/GRPCS, and proxy-ssl-*.

Apart from :mod:`.backend` because it is the one part of the backend annotations that
creates objects of its own (one BackendTLSPolicy per Service port, shared with
:mod:`.mirror`) and has to say where nginx's defaults (no verification, no SNI)
differ from the policy's. The handlers are in :mod:`.backend`; the findings
(NGX20x) are declared there.
"""

from __future__ import annotations

from dataclasses import dataclass

from migrate.ir import BackendTLS, Origin
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import PRECISE_HOSTNAME, example_url, on_off, proxied_rules


@dataclass(frozen=True)
class TLSSettings:
    """What nginx did over TLS to the backend, read quietly (backend_tls reports bad values)."""

    secret: tuple[str, str] | None  # (namespace, name) of proxy-ssl-secret
    name: str | None  # proxy-ssl-name
    verify: bool
    sni: bool

    def ca_config_map(self) -> str | None:
        return f"{self.secret[1]}-ca" if self.secret else None


def secret_ref(value: str | None) -> tuple[str, str] | None:
    """proxy-ssl-secret as (namespace, name); None unless it is namespace/name."""
    if not value or value.count("/") != 1:
        return None
    ns, name = (part.strip() for part in value.split("/"))
    return (ns, name) if ns and name else None


def tls_settings(h: Handle) -> TLSSettings:
    secret = secret_ref(h.get("proxy-ssl-secret"))
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


def tls_to_backends(h: Handle, name: str, proto: str) -> None:
    """backend-protocol HTTPS/GRPCS: a BackendTLSPolicy per Service backend, and how it differs from nginx."""
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


def proxy_ssl_secret(h: Handle, name: str, value: str) -> None:
    secret = secret_ref(value)
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


def proxy_ssl_setting(h: Handle, name: str) -> None:
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
