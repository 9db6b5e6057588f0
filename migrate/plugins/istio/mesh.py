"""VirtualServices bound to ``mesh`` -> GAMMA routes (parentRef: the Service).

One route per Service named in ``hosts`` (per port when the Service of the input has
several, so the catch-all can forward to the port the client called). The route
lives in the VirtualService's namespace: a producer route when that is the Service's
namespace, a consumer route otherwise. Matches with ``sourceNamespace`` go to a
consumer route in that namespace. A last rule sends unmatched requests to the
Service itself, as Istio's default routing did.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from migrate.ir import Backend, Mirror, Origin, Route, Rule, ServiceParent
from migrate.names import slug
from migrate.plugins.istio import comments
from migrate.plugin import SourceObject
from migrate.plugins.istio import http, order
from migrate.plugins.istio.parse import MESH, items, service_of

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter


def mesh_routes(conv: "Converter", obj: SourceObject, hosts: list[str], entries: list[http.Entry]) -> None:
    spec = obj.data["spec"]
    export = spec.get("exportTo")
    local_only = isinstance(export, list) and [str(e) for e in export] == ["."]
    if "exportTo" in spec:
        obj.account(("spec", "exportTo"))
    services = []
    for i, host in enumerate(hosts):
        svc = service_of(host, obj.namespace)
        if svc is None:
            conv.ctx.report("IST072", obj, ("spec", "hosts", i), f"mesh host {host!r} is not a Kubernetes Service; "
                            "no GAMMA route for it")
        elif svc not in services:
            services.append(svc)
    if not services:
        return
    bound_to_gateways = any(g != MESH for g in spec.get("gateways") or [])
    sources = sorted({m.cond.source_namespace for e in entries for m in e.matches if m.cond.source_namespace})
    told_catch_all = False
    for svc in services:
        ports = conv.service_ports(svc)
        port_list: list[int | None] = list(ports) if len(ports) > 1 else [None]
        for port in port_list:
            namespaces = [(obj.namespace, None)] + [(ns, ns) for ns in sources]
            for route_ns, source in namespaces:
                if source is not None and source == svc[0]:
                    conv.ctx.report("IST032", obj, (), f"sourceNamespace {source} is the Service's own "
                                    "namespace: a route there is a producer route for every client; those matches are "
                                    "left out")
                    continue

                def keep(cond: http.Cond, source: str | None = source) -> bool:
                    if cond.gateways is not None and MESH not in cond.gateways:
                        return False
                    return cond.source_namespace is None or cond.source_namespace == source

                rules = http.rules_for(conv, obj, entries, keep)
                if route_ns != obj.namespace:
                    _rehome(rules, obj.namespace)
                if source is not None and not any(True for e in entries for m in e.matches
                                                  if m.cond.source_namespace == source):
                    continue
                name = obj.name if route_ns == obj.namespace else f"{obj.name}-from-{obj.namespace}"
                if bound_to_gateways:
                    name += "-mesh"
                if len(services) > 1:
                    name += f"-{svc[1]}"
                if port is not None:
                    name += f"-{port}"
                catch = _catch_all_port(conv, obj, svc, port)
                route = Route("HTTPRoute", route_ns, slug(name, 253),
                              parents=[ServiceParent(svc[0], svc[1], port)],
                              rules=[rule for _, rule in rules],
                              origin=Origin(obj.source(), comments.under(obj, (), comments.ROUTE_PARTS)))
                if not any(not rule.matches for rule in route.rules):
                    route.rules.append(Rule(backends=[Backend(svc[1], catch, svc[0] if svc[0] != route_ns else None)],
                                            origin=Origin(obj.source(), [
                                                "gateway-migrate: Istio's default routing for requests no rule "
                                                "matches (GAMMA would reject them)"])))
                    if not told_catch_all:
                        conv.ctx.report("IST070", obj, (), f"catch-all rule to Service {svc[0]}/{svc[1]} added "
                                        "(Istio's default routing for unmatched requests)")
                        told_catch_all = True
                if source is not None:
                    conv.ctx.report("IST073", obj, (), f"matches on sourceNamespace {source} -> consumer "
                                    f"route {route_ns}/{route.name}")
                elif route_ns != svc[0] and not local_only:
                    conv.ctx.report("IST071", obj, (), f"consumer route for Service {svc[0]}/{svc[1]}: only clients in "
                                    f"namespace {route_ns} are routed by it (Istio: every namespace, exportTo "
                                    f"{export or ['*']})",
                                    example=f"a client in namespace {svc[0]} calling {svc[1]} now goes straight to the "
                                            "Service")
                order.check(conv, obj, rules, "mesh")
                conv.routes.append(route)
    for key in ("tls", "tcp"):
        if spec.get(key):
            conv.explain(obj, ("spec", key), "mesh-bound:")


def _rehome(rules: list[tuple[int, Rule]], home: str) -> None:
    """Backends written relative to the VirtualService's namespace name it explicitly once the
    route lives elsewhere (a sourceNamespace consumer route); otherwise they would resolve in the
    route's namespace, where the Service does not exist."""
    def fix(backend: Backend) -> Backend:
        return replace(backend, namespace=home) if backend.namespace is None and backend.kind == "Service" else backend

    for _, rule in rules:
        rule.backends = [fix(b) for b in rule.backends]
        rule.filters = [replace(f, backend=fix(f.backend)) if isinstance(f, Mirror) else f for f in rule.filters]


def _catch_all_port(conv: "Converter", obj: SourceObject, svc: tuple[str, str], port: int | None) -> int:
    if port is not None:
        return port
    only = conv.service_port(svc)
    if only is not None:
        return only
    for item in items(obj.data["spec"].get("http")):
        for route in items(item.get("route")) if isinstance(item, dict) else []:
            dest = route.get("destination") if isinstance(route, dict) else None
            if isinstance(dest, dict) and service_of(str(dest.get("host") or ""), obj.namespace) == svc:
                number = (dest.get("port") or {}).get("number") if isinstance(dest.get("port"), dict) else None
                if isinstance(number, int):
                    return number
    conv.ctx.report("IST056", obj, (), f"Service {svc[0]}/{svc[1]} is not in the input; the catch-all rule assumes "
                    "port 80")
    return 80
