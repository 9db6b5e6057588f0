"""The emitter's own decisions: parents per route kind, new kinds valid against the CRDs."""

from __future__ import annotations

from migrate.emit import emit
from migrate.ir import (Backend, BackendTLS, GatewayParent, GrpcMethod, Listener, Match, Model, ObjectRef, PathMatch,
                        Route, Rule)
from migrate.validate import Validator


def model() -> Model:
    m = Model()
    gw = m.gateway("gw", "edge", "cls")
    gw.listeners += [Listener("http", "HTTP", 80), Listener("https", "HTTPS", 443, "a.example.com", [ObjectRef("c", "app")]),
                     Listener("tls-b", "TLS", 443, "b.example.com", tls_mode="Passthrough")]
    parent = GatewayParent("gw", "edge")
    m.routes += [
        Route("HTTPRoute", "app", "web", ["a.example.com"], [parent], [Rule([Match(PathMatch("PathPrefix", "/"))], backends=[Backend("web", 80)])]),
        Route("GRPCRoute", "app", "rpc", ["a.example.com"], [parent],
              [Rule([Match(grpc=GrpcMethod(service="pkg.Svc"))], backends=[Backend("rpc", 9000)])]),
        Route("TLSRoute", "app", "pass", ["b.example.com"], [parent], [Rule(backends=[Backend("tls", 8443)])]),
    ]
    m.backend_tls.append(BackendTLS("app", "web", "web.app.svc.cluster.local"))
    return m


def test_each_route_kind_attaches_to_its_listener_protocols():
    out = {o.obj["metadata"]["name"]: o.obj for o in emit(model()).objects}
    sections = {name: [p.get("sectionName") for p in out[name]["spec"]["parentRefs"]] for name in ("web", "rpc", "pass")}
    assert sections == {"web": ["http", "https"], "rpc": ["http", "https"], "pass": ["tls-b"]}
    listeners = {l["name"]: l for l in out["edge"]["spec"]["listeners"]}
    assert listeners["tls-b"]["tls"] == {"mode": "Passthrough"}


def test_new_kinds_are_valid():
    validator = Validator.packaged()
    result = emit(model())
    kinds = sorted(o.obj["kind"] for o in result.objects)
    assert kinds == ["BackendTLSPolicy", "GRPCRoute", "Gateway", "HTTPRoute", "ReferenceGrant", "TLSRoute"]
    for item in result.objects:
        assert validator.validate(item.obj) == [], item.obj
    policy = next(o.obj for o in result.objects if o.obj["kind"] == "BackendTLSPolicy")
    assert policy["spec"]["validation"] == {"wellKnownCACertificates": "System", "hostname": "web.app.svc.cluster.local"}


def test_a_gateways_own_comments_go_above_it():
    from migrate.emit import emit
    from migrate.ir import Listener, Model, Origin

    model = Model()
    gw = model.gateway("gw", "edge", "istio")
    gw.origin = Origin(comments=["The edge gateway."])
    gw.listeners.append(Listener("http", "HTTP", 80, origin=Origin(comments=["plain HTTP"])))
    (made,) = [o for o in emit(model).objects if o.obj["kind"] == "Gateway"]
    assert made.comments == {(): ["The edge gateway."], ("spec", "listeners", 0): ["plain HTTP"]}
