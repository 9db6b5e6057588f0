"""The semantic diff asks each plugin for its simulator, probes only that plugin's own
routes, and compares mesh (GAMMA) behaviour when the simulator answers mesh requests."""

from __future__ import annotations

from migrate.semantics.diff import semantic_diff
from migrate.semantics.probes import mesh_probes
from migrate.semantics.request import Outcome, Request

SPLIT = {"apiVersion": "split.example/v1", "kind": "Split", "metadata": {"name": "web", "namespace": "shop"}}
SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"ports": [{"name": "http", "port": 8080}]}}


def mesh_route(backends: list[tuple[str, int]], *, namespace: str = "shop", port: int | None = None) -> dict:
    parent = {"group": "", "kind": "Service", "name": "web", "namespace": "shop"}
    if port is not None:
        parent["port"] = port
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "web-split", "namespace": namespace},
            "spec": {"parentRefs": [parent],
                     "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                                "backendRefs": [{"name": n, "port": 8080, "weight": w} for n, w in backends]}]}}


class SplitSimulator:
    """The source side: /api goes half to web-v1, half to web-v2; the rest to web itself."""

    def handle(self, request: Request) -> Outcome:
        return Outcome(404)

    def has_certificate(self, host: str) -> bool:
        return False

    def handle_mesh(self, service, port, request, *, client_namespace=None) -> Outcome:
        if request.path == "/api" or request.path.startswith("/api/"):
            return Outcome(200, backends=(("shop/web-v1:8080", 1), ("shop/web-v2:8080", 1)), path=request.target,
                           host=request.host, rule="Split shop/web")
        return Outcome(200, backends=((f"{service[0]}/{service[1]}:{port}", 1),), path=request.target,
                       host=request.host, rule="Split shop/web")


class SplitPlugin:
    name = "split"

    def simulator(self, objects):
        return SplitSimulator()


def diff(route: dict):
    made_from = {"HTTPRoute shop/web-split": "Split/shop/web"}
    return semantic_diff([SPLIT, SERVICE], {id(SPLIT): "split"}, [route], made_from=made_from,
                         plugins={"split": SplitPlugin()})


def test_mesh_probes_use_the_service_port_and_each_client_namespace():
    probes = mesh_probes([mesh_route([("web-v1", 1)], namespace="frontend")], {("shop", "web"): [8080]})
    assert {(p.service, p.port, p.client_namespace) for p in probes} == {(("shop", "web"), 8080, "shop"),
                                                                          (("shop", "web"), 8080, "frontend")}
    assert {p.request.path for p in probes} >= {"/api", "/api/", "/apix", "/api/x", "/"}
    assert all(p.request.host == "web.shop.svc.cluster.local" for p in probes)


def test_an_equivalent_mesh_route_changes_nothing():
    # the catch-all keeps unmatched requests on the Service, as the source does
    route = mesh_route([("web-v1", 1), ("web-v2", 1)])
    route["spec"]["rules"].append({"backendRefs": [{"name": "web", "port": 8080}]})
    result = diff(route)
    assert result.probes > 0 and result.changes == [] and result.unsimulated == []


def test_a_changed_split_is_a_mesh_change_charged_to_its_source_object():
    result = diff(mesh_route([("web-v1", 1)]))
    changed = {c.request.path: c for c in result.changes}
    assert changed["/api"].before.shares() == {"shop/web-v1:8080": 0.5, "shop/web-v2:8080": 0.5}
    assert changed["/api"].after.shares() == {"shop/web-v1:8080": 1}
    assert changed["/api"].object == "Split/shop/web"
    assert changed["/api"].client_namespace == "shop"
    assert changed["/api"].to_dict()["request"].endswith("(mesh, from namespace shop)")
    # without a catch-all the converted route rejects what it does not match (GAMMA): a change too
    assert changed["/"].after.status == 404


def test_a_plugin_without_a_simulator_is_unsimulated():
    result = semantic_diff([SPLIT], {id(SPLIT): "split"}, [mesh_route([("web-v1", 1)])], plugins={"split": object()})
    assert result.unsimulated == ["split"] and result.probes == 0


def test_probes_come_from_the_plugins_own_routes():
    other = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "elsewhere", "namespace": "shop"},
             "spec": {"hostnames": ["other.example.com"], "rules": [{"backendRefs": [{"name": "x", "port": 80}]}]}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "shop"}}
    made_from = {"HTTPRoute shop/web-split": "Split/shop/web", "HTTPRoute shop/elsewhere": "Ingress/shop/i"}
    route = mesh_route([("web-v1", 1), ("web-v2", 1)])
    route["spec"]["rules"].append({"backendRefs": [{"name": "web", "port": 8080}]})
    result = semantic_diff([SPLIT, SERVICE, ingress], {id(SPLIT): "split", id(ingress): "other"}, [route, other],
                           made_from=made_from, plugins={"split": SplitPlugin(), "other": object()})
    # the split simulator is never asked about other.example.com (it would answer 404)
    assert result.changes == [] and result.unsimulated == ["other"]


def test_a_simulator_may_offer_probes_only_the_source_knows():
    class Offering(SplitSimulator):
        def handle(self, request):
            if request.host == "legacy.example.com":
                return Outcome(200, backends=(("shop/legacy:80", 1),), path=request.target, host=request.host,
                               rule="Split shop/web")
            return Outcome(404)

        def requests(self):
            return [Request("legacy.example.com", "/old"), Request("legacy.example.com", "/old")]

    class Plugin:
        def simulator(self, objects):
            return Offering()

    result = semantic_diff([SPLIT], {id(SPLIT): "split"}, [], plugins={"split": Plugin()})
    assert [str(c.request) for c in result.changes] == ["GET http://legacy.example.com/old"]
    assert result.changes[0].after.status == 404 and result.changes[0].object == "Split/shop/web"


def gateway(name: str) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": "gw"},
            "spec": {"gatewayClassName": name, "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}]}}


def north_route(name: str, gw: str, backend: str) -> dict:
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"parentRefs": [{"name": gw, "namespace": "gw"}], "hostnames": ["shop.example.com"],
                     "rules": [{"backendRefs": [{"name": backend, "port": 80}]}]}}


class Forwarding:
    def __init__(self, backend: str, kind: str) -> None:
        self.backend, self.kind = backend, kind

    def handle(self, request: Request) -> Outcome:
        if request.hostname != "shop.example.com":
            return Outcome(404)
        return Outcome(200, backends=((f"shop/{self.backend}:80", 1),), path=request.target, host=request.host,
                       rule=f"{self.kind} shop/{self.backend}")

    def has_certificate(self, host: str) -> bool:
        return False


def test_each_controller_is_compared_with_its_own_gateway():
    """Two controllers serving one hostname (mid-migration): each has its own address, so a
    request to one never meets the other's Gateway, although both listen on port 80."""
    a = {"apiVersion": "a.example/v1", "kind": "ProxyA", "metadata": {"name": "old", "namespace": "shop"}}
    b = {"apiVersion": "b.example/v1", "kind": "ProxyB", "metadata": {"name": "new", "namespace": "shop"}}

    class PluginA:
        def simulator(self, objects):
            return Forwarding("old", "ProxyA")

    class PluginB:
        def simulator(self, objects):
            return Forwarding("new", "ProxyB")

    converted = [gateway("gw-a"), gateway("gw-b"), north_route("old", "gw-a", "old"), north_route("new", "gw-b", "new")]
    made_from = {"HTTPRoute shop/old": "ProxyA/shop/old", "HTTPRoute shop/new": "ProxyB/shop/new"}
    result = semantic_diff([a, b], {id(a): "a", id(b): "b"}, converted, made_from=made_from,
                           plugins={"a": PluginA(), "b": PluginB()})
    assert result.probes > 0 and result.changes == []
