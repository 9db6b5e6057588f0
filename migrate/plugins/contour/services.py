"""A route's services -> backendRefs and RequestMirror; what the Services themselves say.

Contour's weights (``internal/dag``): when no service of a route has a weight the
split is equal; when some have one, the others get none (weight 0). A mirror's
weight is the mirrored percentage (unset or 0 means 100). Service annotations under
projectcontour.io/ (upstream protocol, circuit breaking) are read from the input's
Services when a route sends traffic to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import Backend, BackendTLS, Mirror, Origin
from migrate.plugins.contour.util import PREFIX, as_dict, as_list, text

if TYPE_CHECKING:
    from migrate.plugin import Context, SourceObject
    from migrate.plugins.contour.proxy import RuleBuild

Path_ = tuple[Any, ...]
CIRCUIT_BREAKERS = ("max-connections", "max-pending-requests", "max-requests", "max-retries",
                    "per-host-max-connections")
PROTOCOLS = ("h2", "h2c", "tls")


def _weight(raw: dict) -> int:
    w = raw.get("weight")
    return w if isinstance(w, int) and not isinstance(w, bool) and w > 0 else 0


def _port(b: "RuleBuild", raw: dict, path: Path_) -> int | None:
    port = raw.get("port")
    if isinstance(port, bool) or not isinstance(port, int):
        b.ctx.input_error(b.obj, path + ("port",), f"service port {port!r} must be a number 1-65535: the API "
                                                  "server rejects it (the CRD types port as an integer); the "
                                                  "service is left out")
        return None
    if not 1 <= port <= 65535:
        b.ctx.input_error(b.obj, path + ("port",), f"service port {port!r} must be a number 1-65535: Contour marks "
                                                  "the HTTPProxy invalid (ServicePortInvalid); the service is left out")
        return None
    return port


def convert_services(b: "RuleBuild", services: Any, path: Path_) -> None:
    """Fill the rule's backends and mirror from ``services`` (weights as Contour splits them)."""
    items = [(i, as_dict(s)) for i, s in enumerate(as_list(services))]
    served = [(i, s) for i, s in items if s.get("mirror") is not True]
    weighted = any(_weight(s) for _, s in served)
    mirrored = False
    for i, raw in items:
        spath = path + (i,)
        name = text(raw.get("name"))
        port = _port(b, raw, spath)
        if not name or port is None:
            if not name:
                b.ctx.input_error(b.obj, spath + ("name",), "service needs a name")
            b.obj.account(spath)
            continue
        b.obj.account(spath + ("name",), spath + ("port",))
        backend = Backend(name, port, origin=Origin(b.obj.source(spath), []))
        if raw.get("mirror") is True:
            b.obj.account(spath + ("mirror",), spath + ("weight",))
            if mirrored:
                b.report("CTR001", spath + ("mirror",), f"second mirror {name}: Contour allows one mirror per route "
                                                         "and marks the HTTPProxy invalid; not mirrored")
                continue
            mirrored = True
            w = _weight(raw)
            percent = w if 0 < w < 100 else None
            b.rule.filters.append(Mirror(backend, percent))
            b.report("CTR039", spath + ("mirror",), f"mirror {name}:{port}" + (f" at {percent}%" if percent else " (all requests)"))
        else:
            if weighted:
                backend.weight = _weight(raw)
                b.obj.account(spath + ("weight",))
                if raw.get("weight") is None:
                    b.report("CTR030", spath, f"{name} has no weight while others have one: weight 0 (no traffic)")
            elif raw.get("weight") is not None:
                b.obj.account(spath + ("weight",))  # 0 everywhere: Contour splits equally, as no weights do
            b.rule.backends.append(backend)
        upstream(b, raw, spath, name, port)
        service_annotations(b, spath, name, port, text(raw.get("protocol")))
        service_policies(b, raw, spath, backend)


def upstream(b: "RuleBuild", raw: dict, path: Path_, name: str, port: int) -> None:
    """protocol (h2, h2c, tls) and upstream validation of one service."""
    protocol = text(raw.get("protocol"))
    validation = as_dict(raw.get("validation"))
    if protocol:
        b.obj.account(path + ("protocol",))
    if protocol in ("tls", "h2") and validation:
        b.obj.account(path + ("validation",))
        ca = text(validation.get("caSecret"))
        subject = text(validation.get("subjectName")) or next(iter(as_list(validation.get("subjectNames"))), "")
        if ca and subject and "/" not in ca and b.ctx.model.backend_tls_for(b.obj.namespace, name, None) is None:
            b.ctx.model.backend_tls.append(BackendTLS(b.obj.namespace, name, subject, [ca],
                                                      origin=Origin(b.obj.source(path + ("validation",)), [
                                                          f"from HTTPProxy {b.obj.namespace}/{b.obj.name}: the CA was in "
                                                          f"Secret {ca}; put it in a ConfigMap of that name (key ca.crt)"])))
        b.report("CTR054", path + ("validation",),
                 f"upstream TLS to {name}:{port} validated with CA Secret {ca or '?'} and name {subject or '?'}: "
                 f"BackendTLSPolicy {name}-tls reads the CA from ConfigMap {ca or '?'} (key ca.crt), which you must "
                 f"create from the Secret" + ("; HTTP/2 over TLS (ALPN h2) cannot be requested in Gateway API"
                                              if protocol == "h2" else ""))
    elif protocol:
        hint = {"h2c": "set appProtocol: kubernetes.io/h2c on the Service port (extended HTTPRouteBackendProtocolH2C)",
                "h2": "HTTP/2 over TLS to the backend needs a BackendTLSPolicy (with a CA) and ALPN h2, which Gateway "
                      "API cannot request",
                "tls": "TLS to the backend without verification has no Gateway API form: a BackendTLSPolicy always "
                       "verifies (add validation.caSecret and subjectName)"}.get(protocol, f"unknown protocol {protocol!r}")
        b.report("CTR054", path + ("protocol",), f"{name}:{port} protocol {protocol}: {hint}")
    if validation and protocol not in ("tls", "h2"):
        b.report("CTR054", path + ("validation",), "validation applies only with protocol tls or h2; Contour ignored it")


def listed_port(service: Any, value: str, port: int) -> str | None:
    """The entry of an upstream-protocol annotation (port numbers or names, comma separated) naming
    Service port ``port``, or None: Contour applies the protocol to the listed ports only."""
    listed = [v.strip() for v in value.split(",") if v.strip()]
    if str(port) in listed:
        return str(port)
    for item in as_list(as_dict(as_dict(service).get("spec")).get("ports")):
        item = as_dict(item)
        if item.get("port") == port and text(item.get("name")) in listed:
            return text(item["name"])
    return None


def service_annotations(b: "RuleBuild", path: Path_, name: str, port: int, protocol: str = "") -> None:
    """projectcontour.io/ annotations of the Service this route sends traffic to (once per Service and port)."""
    read_service_annotations(b.ctx, b.conv.services_told, b.obj, path, name, port, protocol)


def read_service_annotations(ctx: "Context", told_before: set, obj: "SourceObject", path: Path_, name: str, port: int,
                             protocol: str = "") -> None:
    """The same for any object sending traffic to Service ``name`` in its namespace on ``port``: an
    HTTPProxy route's service or an Ingress backend (Contour's EnsureService reads the annotations for
    both); reported on ``obj`` at ``path``, once per Service and port."""
    key = (obj.namespace, name)
    service = ctx.services.get(key)
    ann = as_dict(as_dict(as_dict(service).get("metadata")).get("annotations"))
    for full, value in sorted((str(k), str(v)) for k, v in ann.items()):
        if not full.startswith(PREFIX):
            continue
        short = full[len(PREFIX):]
        told = (key, full, port if short.startswith("upstream-protocol.") else None)
        if told in told_before:
            continue
        told_before.add(told)
        if short.startswith("upstream-protocol."):
            proto = short.split(".", 1)[1]
            entry = listed_port(service, value, port)
            if entry is None:
                ctx.report("CTR004", obj, path, f"Service {key[0]}/{name} annotation {full}: {value!r} does not "
                                                f"list port {port}: Contour spoke plain HTTP/1.1 to it, as the conversion does")
                continue
            if protocol:
                ctx.report("CTR004", obj, path, f"Service {key[0]}/{name} annotation {full}: {value!r}: the "
                                                f"route's protocol {protocol} takes precedence (reported on the route)")
                continue
            hint = {"h2c": f"set appProtocol: kubernetes.io/h2c on Service port {entry} (extended "
                           "HTTPRouteBackendProtocolH2C); until then the Gateway speaks HTTP/1.1 to it",
                    "h2": "HTTP/2 over TLS to the backend has no Gateway API form (a BackendTLSPolicy gives TLS, "
                          "always verified, but cannot request ALPN h2)",
                    "tls": "add a BackendTLSPolicy with a CA ConfigMap (Gateway API always verifies; Contour did not "
                           "without route validation); until then the Gateway speaks plain HTTP to it"}.get(
                        proto, "not a protocol Contour knows (h2, h2c, tls); Contour ignored it")
            ctx.report("CTR073", obj, path, f"Service {key[0]}/{name} annotation {full}: {value!r} covers port {entry}: {hint}")
        elif short in CIRCUIT_BREAKERS:
            ctx.report("CTR073", obj, path, f"Service {key[0]}/{name} annotation {full}: {value!r}: circuit breaking is "
                                            "implementation-specific (e.g. Envoy Gateway BackendTrafficPolicy circuitBreaker)")
        else:
            ctx.report("CTR073", obj, path, f"Service {key[0]}/{name} annotation {full}: not a Contour Service annotation")


def service_policies(b: "RuleBuild", raw: dict, path: Path_, backend: Backend) -> None:
    """Per-service header policies (backendRef filters), and what has no equivalent."""
    from migrate.plugins.contour.headers import header_policy

    for key, response in (("requestHeadersPolicy", False), ("responseHeadersPolicy", True)):
        if raw.get(key) is not None:
            flt = header_policy(b, raw[key], path + (key,), response=response, allow_host=False)
            if flt is not None:
                backend.filters.append(flt)
    for key, what in (("cookieRewritePolicies", "cookie rewriting has no Gateway API form"),
                      ("slowStartPolicy", "slow start is implementation-specific (e.g. Envoy Gateway "
                                          "BackendTrafficPolicy loadBalancer.slowStart)"),
                      ("healthPort", "health checks are implementation-specific; the port they used is not carried")):
        if raw.get(key) is not None:
            b.report("CTR001", path + (key,), what)
