"""The IR -> Gateway API objects, with the comments that belong above each part.

Decisions that follow from Gateway API itself live here, not in plugins: unique
names, splitting routes past the API's limits, explicit sectionNames for the
listeners a route really attaches to, which namespaces each listener admits, and
the ReferenceGrants that cross-namespace references need. Routes whose access
control could not be carried over are closed here: matches kept, backends removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from migrate import hostnames
from migrate.emit.objects import GROUP, V1, backend_tls_spec, http_rule, meta, parent_ref, tls_rule
from migrate.findings import Source
from migrate.ir import Gateway, GatewayParent, Listener, Mirror, Model, Route
from migrate.names import NameAllocator

Path_ = tuple[Any, ...]
MAX_RULES = 16
MAX_HOSTNAMES = 16
#: listener protocols each route kind can attach to
_PROTOCOLS = {"HTTPRoute": ("HTTP", "HTTPS"), "GRPCRoute": ("HTTP", "HTTPS"), "TLSRoute": ("TLS",),
              "TCPRoute": ("TCP",), "UDPRoute": ("UDP",)}


@dataclass
class Emitted:
    """One output object, the comments to write above its parts, and where it came from."""

    obj: dict
    comments: dict[Path_, list[str]] = field(default_factory=dict)
    source: Source | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        m = self.obj["metadata"]
        return (self.obj["kind"], m.get("namespace", ""), m["name"])


@dataclass
class Notice:
    """A finding the emitter raises: code, the source it concerns, message."""

    code: str
    source: Source
    message: str


@dataclass
class EmitResult:
    objects: list[Emitted]
    notices: list[Notice]


def emit(model: Model, *, allow_security_downgrade: bool = False) -> EmitResult:
    notices: list[Notice] = []
    names = NameAllocator()
    routes: list[Route] = []
    for route in model.routes:
        if route.blocked_by:
            route = _fail_closed(route, allow_security_downgrade, notices)
            if not route.rules:
                continue
        routes.extend(_split(route, notices))

    # A route named exactly after its source object keeps that name; derived
    # names (<ingress>-<host>) give way to it, whatever the input order.
    own = [r for r in routes if r.name == r.origin.source.name]
    for route in own + [r for r in routes if r.name != r.origin.source.name]:
        wanted = route.name
        route.name = names.take(route.kind, route.namespace, wanted)
        if route.name != wanted:
            notices.append(Notice("GM006", route.origin.source, f"{route.kind} {route.namespace}/{wanted} named {route.name}"))
    listeners = {key: _Listeners(gateway) for key, gateway in model.gateways.items()}
    out_routes = [_route(route, model, listeners) for route in routes]

    out: list[Emitted] = []
    for key in sorted(model.gateways):
        gateway = model.gateways[key]
        if gateway.existing:
            notices.append(_existing_gateway_notice(gateway))
        else:
            out.append(_gateway(gateway))
    out.extend(out_routes)
    out.extend(_backend_tls(model, names))
    out.extend(_secret_grants(model))
    out.extend(_backend_grants(routes))
    return EmitResult(out, notices)


def _fail_closed(route: Route, allowed: bool, notices: list[Notice]) -> Route:
    """A route whose access control is lost keeps its matches but loses its backends.

    Withholding it instead would let its requests fall through to a broader route
    (another Ingress's ``/`` on the same host) and reach a backend unprotected.
    """
    controls = ", ".join(sorted(set(route.blocked_by)))
    what = f"{route.kind} {route.namespace}/{route.name}"
    if allowed:
        notices.append(Notice("GM010", route.origin.source, f"{what} emitted open without {controls}"))
        return route
    if not any(rule.backends for rule in route.rules):
        return route  # only redirects: nothing reaches a backend, nothing to close
    if route.kind in ("TLSRoute", "TCPRoute", "UDPRoute"):
        # their rules must have backends; and nothing else on the listener can catch the traffic
        notices.append(Notice("GM011", route.origin.source, f"{what} withheld (connections refused): {controls} not carried over"))
        return replace(route, rules=[])
    notices.append(Notice("GM011", route.origin.source, f"{what} emitted closed (no backends, HTTP 500): {controls} not carried over"))
    note = (f"gateway-migrate: closed on purpose: {controls} could not be carried over, so these rules have no "
            "backends (HTTP 500). See the findings; --allow-security-downgrade emits them open.")
    closed = [replace(rule, backends=[], filters=[]) if rule.backends else rule for rule in route.rules]
    return replace(route, rules=closed, origin=replace(route.origin, comments=[*route.origin.comments, note]))


def _split(route: Route, notices: list[Notice]) -> list[Route]:
    """Routes past 16 rules or 16 hostnames become several routes with the same meaning."""
    if len(route.rules) <= MAX_RULES and len(route.hostnames) <= MAX_HOSTNAMES:
        return [route]
    host_chunks = [route.hostnames[i:i + MAX_HOSTNAMES] for i in range(0, len(route.hostnames), MAX_HOSTNAMES)] or [[]]
    rule_chunks = [route.rules[i:i + MAX_RULES] for i in range(0, len(route.rules), MAX_RULES)] or [[]]
    parts = []
    for hosts in host_chunks:
        for rules in rule_chunks:
            n = len(parts) + 1
            parts.append(replace(route, name=route.name if n == 1 else f"{route.name}-{n}", hostnames=hosts, rules=rules))
    notices.append(Notice("GM012", route.origin.source,
                          f"{route.kind} {route.namespace}/{route.name} split into {len(parts)} routes"))
    return parts


def _parents(route: Route, model: Model, listeners: dict[tuple[str, str], _Listeners]) -> list[dict]:
    """Explicit sectionNames: exactly the listeners the route's hostnames attach to."""
    refs: list[dict] = []
    for parent in route.parents:
        if not isinstance(parent, GatewayParent) or parent.section is not None:
            refs.append(parent_ref(parent))
            _admit(model, parent, route)
            continue
        gateway = model.gateways.get((parent.namespace, parent.name))
        if gateway is None or gateway.existing:
            refs.append(parent_ref(parent))
            continue
        allowed = parent.protocols if parent.protocols is not None else _PROTOCOLS[route.kind]
        for listener in listeners[gateway.key].candidates(route.hostnames):
            if listener.protocol in allowed and hostnames.any_intersect(route.hostnames, listener.hostname):
                listener.route_namespaces.add(route.namespace)
                refs.append(parent_ref(GatewayParent(parent.namespace, parent.name, listener.name)))
    return refs


class _Listeners:
    """A Gateway's listeners indexed by exact hostname, so a route finds the few it can
    attach to without being compared with every listener (thousands of HTTPS hosts)."""

    def __init__(self, gateway: Gateway) -> None:
        self.listeners = gateway.listeners
        self.exact: dict[str, list[int]] = {}
        self.open: list[int] = []  # no hostname, or a wildcard: checked for every route
        for i, listener in enumerate(gateway.listeners):
            if listener.hostname and not listener.hostname.startswith("*."):
                self.exact.setdefault(listener.hostname, []).append(i)
            else:
                self.open.append(i)

    def candidates(self, names: list[str]) -> list[Listener]:
        if not names or any(n.startswith("*.") for n in names):
            return self.listeners
        picked = set(self.open)
        for name in names:
            picked.update(self.exact.get(name, ()))
        return [self.listeners[i] for i in sorted(picked)]


def _admit(model: Model, parent: Any, route: Route) -> None:
    if isinstance(parent, GatewayParent):
        gateway = model.gateways.get((parent.namespace, parent.name))
        listener = gateway.listener(parent.section) if gateway and parent.section else None
        if listener is not None:
            listener.route_namespaces.add(route.namespace)


def _route(route: Route, model: Model, listeners: dict[tuple[str, str], _Listeners]) -> Emitted:
    spec: dict[str, Any] = {"parentRefs": _parents(route, model, listeners)}
    if route.hostnames:
        spec["hostnames"] = list(route.hostnames)
    if route.kind == "TLSRoute":
        spec["rules"] = [tls_rule(rule, route.namespace) for rule in route.rules]
    else:
        spec["rules"] = [http_rule(rule, route.namespace, grpc=route.kind == "GRPCRoute") for rule in route.rules]
    obj = {"apiVersion": V1, "kind": route.kind, "metadata": meta(route.name, route.namespace, route.labels), "spec": spec}
    comments: dict[Path_, list[str]] = {}
    if route.origin.comments:
        comments[()] = list(route.origin.comments)
    for i, rule in enumerate(route.rules):
        if rule.origin.comments:
            comments[("spec", "rules", i)] = list(rule.origin.comments)
    return Emitted(obj, comments, route.origin.source)


def _listener(listener: Listener, gateway: Gateway) -> dict:
    out: dict[str, Any] = {"name": listener.name}
    if listener.hostname:
        out["hostname"] = listener.hostname
    out["port"] = listener.port
    out["protocol"] = listener.protocol
    if listener.protocol in ("HTTPS", "TLS"):
        tls: dict[str, Any] = {"mode": listener.tls_mode or "Terminate"}
        if listener.certificates:
            tls["certificateRefs"] = [
                {"kind": "Secret", "name": ref.name, **({"namespace": ref.namespace} if ref.namespace and ref.namespace != gateway.namespace else {})}
                for ref in listener.certificates
            ]
        out["tls"] = tls
    others = sorted(listener.route_namespaces - {gateway.namespace})
    if others:
        values = sorted(listener.route_namespaces)
        out["allowedRoutes"] = {"namespaces": {"from": "Selector", "selector": {"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "In", "values": values}]}}}
    else:
        out["allowedRoutes"] = {"namespaces": {"from": "Same"}}
    return out


def _gateway(gateway: Gateway) -> Emitted:
    obj = {
        "apiVersion": V1, "kind": "Gateway", "metadata": meta(gateway.name, gateway.namespace),
        "spec": {"gatewayClassName": gateway.gateway_class,
                 "listeners": [_listener(item, gateway) for item in gateway.listeners]},
    }
    comments = {("spec", "listeners", i): list(item.origin.comments)
                for i, item in enumerate(gateway.listeners) if item.origin.comments}
    if gateway.origin.comments:  # written above the Gateway (an Istio Gateway's own comments)
        comments[()] = list(gateway.origin.comments)
    return Emitted(obj, comments, gateway.origin.source)


def _existing_gateway_notice(gateway: Gateway) -> Notice:
    wanted = []
    for item in gateway.listeners:
        certs = ", ".join(f"{c.namespace}/{c.name}" for c in item.certificates)
        wanted.append(f"{item.protocol}:{item.port}" + (f" host {item.hostname}" if item.hostname else "")
                      + (f" cert {certs}" if certs else ""))
    return Notice("GM007", Source(kind="Gateway", namespace=gateway.namespace, name=gateway.name),
                  f"Gateway {gateway.namespace}/{gateway.name} must have listeners: {'; '.join(wanted)}")


def _backend_tls(model: Model, names: NameAllocator) -> list[Emitted]:
    out = []
    for policy in model.backend_tls:
        name = names.take("BackendTLSPolicy", policy.namespace, f"{policy.service}-tls")
        obj = {"apiVersion": V1, "kind": "BackendTLSPolicy", "metadata": meta(name, policy.namespace),
               "spec": backend_tls_spec(policy)}
        comments = {(): list(policy.origin.comments)} if policy.origin.comments else {}
        out.append(Emitted(obj, comments, policy.origin.source))
    return out


def _grant(namespace: str, name: str, from_: list[dict], to: list[dict]) -> Emitted:
    obj = {"apiVersion": V1, "kind": "ReferenceGrant", "metadata": meta(name, namespace),
           "spec": {"from": from_, "to": to}}
    return Emitted(obj, {(): ["Generated by gateway-migrate: lets the references below cross namespaces."]})


def _secret_grants(model: Model) -> list[Emitted]:
    """A Gateway reading a Secret in another namespace needs a ReferenceGrant there."""
    wanted: dict[str, tuple[set[str], set[str]]] = {}
    for gateway in model.gateways.values():
        for listener in gateway.listeners:
            for ref in listener.certificates:
                if ref.namespace and ref.namespace != gateway.namespace:
                    froms, names = wanted.setdefault(ref.namespace, (set(), set()))
                    froms.add(gateway.namespace)
                    names.add(ref.name)
    return [
        _grant(ns, "gateway-migrate-secrets",
               [{"group": GROUP, "kind": "Gateway", "namespace": f} for f in sorted(froms)],
               [{"group": "", "kind": "Secret", "name": n} for n in sorted(names)])
        for ns, (froms, names) in sorted(wanted.items())
    ]


def _backend_grants(routes: list[Route]) -> list[Emitted]:
    """A route sending traffic to a Service in another namespace needs a ReferenceGrant there."""
    wanted: dict[str, dict[tuple[str, str], set[str]]] = {}
    for route in routes:
        for rule in route.rules:
            mirrored = [f.backend for f in rule.filters if isinstance(f, Mirror)]
            for backend in rule.backends + mirrored:
                if backend.namespace and backend.namespace != route.namespace:
                    froms = wanted.setdefault(backend.namespace, {})
                    froms.setdefault((route.kind, route.namespace), set()).add(backend.name)
    out = []
    for ns, froms in sorted(wanted.items()):
        names = sorted({n for v in froms.values() for n in v})
        out.append(_grant(ns, "gateway-migrate-backends",
                          [{"group": GROUP, "kind": k, "namespace": f} for k, f in sorted(froms)],
                          [{"group": "", "kind": "Service", "name": n} for n in names]))
    return out
