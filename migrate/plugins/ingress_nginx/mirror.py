"""mirror-target: a RequestMirror filter, when the URL names a cluster Service.

RequestMirror takes a backendRef, not a URL, so only a Service DNS name (svc,
svc.ns, svc.ns.svc, svc.ns.svc.cluster.local) with an explicit or scheme-default
port converts. Gateway mirroring keeps the request's path, which is what nginx did
with a `$request_uri` suffix.
"""

from __future__ import annotations

import re

from migrate.findings import spec
from migrate.ir import Backend, Mirror, Origin
from migrate.plugins.ingress_nginx.proxy_ssl import add_backend_tls
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import (
    PRECISE_HOSTNAME, example_host, ignored_by_passthrough, moot_under_redirect, on_off, proxied_rules, url_redirect,
)

FINDINGS = (
    spec("NGX320", "warning", "converted-with-change", "mirror-target converted to a RequestMirror filter",
         "Every request of the Ingress is copied to the Service the URL names (extended feature "
         "HTTPRouteRequestMirror); responses of the copy are ignored, as with nginx. The copies keep the client's "
         "Host header, where nginx sent the mirror's host (or mirror-host), and the request's own path."),
    spec("NGX321", "warning", "not-converted", "mirror-target not converted",
         "RequestMirror needs a backendRef: a URL whose host is not a cluster Service name, or that uses nginx "
         "variables in the host, cannot be expressed. Create a Service (for example ExternalName) for the target, "
         "or a target-specific backend, and add the filter by hand; until then requests are no longer mirrored."),
    spec("NGX322", "info", "converted", "Mirror setting without effect, or already what Gateway mirroring does",
         "mirror-* settings only act with mirror-target; mirror-request-body on is what RequestMirror does anyway."),
)

TARGET = "mirror-target"
_URL = re.compile(r"^(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+)(?::(?P<port>\d+))?(?P<path>[/$].*)?$")
_SAME_PATH = ("", "$request_uri", "/$request_uri")


def request_mirror(h: Handle, names: list[str]) -> None:
    redirect = url_redirect(h)
    if redirect is not None:
        for name in moot_under_redirect(h, names):
            h.report("NGX322", name, f"no effect: {h.prefix}{redirect} answers every request, so nothing is "
                                     "proxied or mirrored; nothing to convert.")
        return
    if ignored_by_passthrough(h, names):
        return
    target = (h.get(TARGET) or "").strip()
    for name in names:
        if h.is_accounted(name):
            continue
        if name == TARGET:
            if target:
                _mirror(h, name, target)
            else:
                h.report("NGX322", name, "empty: nothing was mirrored; nothing to convert.")
        elif not target:
            h.report("NGX322", name, f"has no effect without {h.prefix}{TARGET}; nothing to convert.")
        elif name == "mirror-request-body":
            if on_off(h, name, "on") == "on":
                h.report("NGX322", name, "on: RequestMirror copies the body too; nothing to convert.")
            elif not h.is_accounted(name):
                h.explain(name, "off: the copies now carry the request body.")
        else:
            h.explain(name, f"Host {h.get(name)!r} of the copies is not carried over: they carry the client's Host.")


def _service(h: Handle, host: str) -> tuple[str, str, str] | None:
    """(namespace, service, caveat) for a cluster Service DNS name, else None."""
    labels = host.split(".")
    if len(labels) == 1:
        return (h.obj.namespace, labels[0],
                f" nginx resolved the bare name {host} in the controller's own namespace; the Service is assumed to be "
                f"{h.obj.namespace}/{host}, the Ingress's namespace.")
    if len(labels) == 2:
        svc, ns = labels
        if (ns, svc) in h.ctx.services or ns == h.obj.namespace:
            return (ns, svc, "")
        return None
    if (len(labels) == 3 and labels[2] == "svc") or (len(labels) == 5 and labels[2:] == ["svc", "cluster", "local"]):
        return (labels[1], labels[0], "")
    return None


def _mirror(h: Handle, name: str, target: str) -> None:
    match = _URL.match(target)
    found = _service(h, match.group("host").lower()) if match else None
    if match is None or found is None:
        why = ("its host is not a cluster Service name" if match else "it is not an http(s) URL with a plain host "
               "(nginx variables in the host cannot be expressed)")
        h.report("NGX321", name, f"{target!r} not converted: {why}. Create a Service for it (for example "
                                 "ExternalName) and add a RequestMirror filter by hand.",
                 example="requests are no longer copied to the mirror")
        return
    ns, svc, caveat = found
    scheme, path = match.group("scheme"), match.group("path") or ""
    port = int(match.group("port")) if match.group("port") else (443 if scheme == "https" else 80)
    if not 1 <= port <= 65535:
        h.invalid(name, target, "a URL with a port from 1 to 65535", "no mirror")
        return
    backend = Backend(svc, port, namespace=ns, origin=Origin(h.obj.source(h.path(name)), []))
    rules = 0
    for _route, rule in proxied_rules(h):
        rule.filters = [f for f in rule.filters if not isinstance(f, Mirror)] + [Mirror(backend)]
        rules += 1
    if not rules:
        h.report("NGX322", name, "no rule proxies to a backend; nothing to mirror.")
        return
    extra = []
    if path not in _SAME_PATH:
        extra.append(f" nginx sent every copy to {path!r} rather than the request's path; RequestMirror keeps "
                     "the request's path.")
    if scheme == "https":
        hostname = match.group("host").lower()
        if not PRECISE_HOSTNAME.match(hostname) or "." not in hostname:
            hostname = f"{svc}.{ns}.svc.cluster.local"
        add_backend_tls(h, name, ns, svc, port, hostname, [],
                        f"{h.prefix}mirror-target {target} on Ingress {h.obj.namespace}/{h.obj.name}")
        extra.append(f" The copies go over TLS (BackendTLSPolicy for {ns}/{svc}, hostname {hostname}): unlike "
                     "nginx, the Gateway verifies the mirror's certificate against the system CAs and sends SNI.")
    if ns != h.obj.namespace:
        extra.append(f" The Service is in namespace {ns}: the output includes the ReferenceGrant there that admits "
                     f"routes from namespace {h.obj.namespace} to Service {svc}.")
    mirror_host = h.get("mirror-host") or match.group("host")
    h.report("NGX320", name,
             f"RequestMirror to Service {ns}/{svc} port {port} on {rules} rule(s); the copies carry the client's Host "
             f"header where nginx sent Host: {mirror_host}.{caveat}" + "".join(extra),
             example=f"GET /x with Host: {example_host(h)} is copied to {svc}:{port} as GET /x with Host: "
                     f"{example_host(h)}")
