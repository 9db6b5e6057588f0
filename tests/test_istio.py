"""Istio plugin: parsing, the Istio-side simulator on documented behaviour, and the
converted output compared with the Gateway API simulators where the conversion
claims equivalence."""

from __future__ import annotations

import yaml

from conftest import REPO
from migrate.semantics.gateway import GatewaySimulator, MeshSimulator
from migrate.semantics.request import Request
from migrate.testing import run_case
from migrate.plugins.istio.http import envoy_prefix_rewrite, gateway_prefix_rewrite
from migrate.plugins.istio.parse import StringMatch, duration_ms, gateway_duration, service_of, split_server_host
from migrate.plugins.istio.simulator import IstioSimulator

CASES = REPO / "fixtures" / "istio"


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def only(outcome) -> str | None:
    """The one backend a forwarded outcome goes to (weights aside)."""
    return outcome.backends[0][0] if outcome.forwarded and len(outcome.backends) == 1 else None


def case_input(name: str) -> list[dict]:
    return docs((CASES / name / "input.yaml").read_text())


def converted(name: str) -> list[dict]:
    return [item.obj for item in run_case(CASES / name).objects]


# -- parsing ----------------------------------------------------------------------------------


def test_hosts_resolve_to_services_as_istio_does():
    assert service_of("reviews", "bookinfo") == ("bookinfo", "reviews")
    assert service_of("ratings.other.svc.cluster.local", "bookinfo") == ("other", "ratings")
    assert service_of("api.example.com", "bookinfo") is None  # external / ServiceEntry host
    assert service_of("*.example.com", "bookinfo") is None


def test_uri_prefix_is_a_string_prefix():
    prefix = StringMatch("prefix", "/api")
    assert prefix.matches("/apix") and prefix.matches("/api/v1") and not prefix.matches("/ap")
    assert StringMatch("regex", "/a+").matches("/aaa") and not StringMatch("regex", "/a+").matches("/aaa/b")


def test_server_host_namespaces():
    assert split_server_host("./a.com", "gw") == ("gw", "a.com")
    assert split_server_host("*/a.com", "gw") == (None, "a.com")
    assert split_server_host("team/a.com", "gw") == ("team", "a.com")
    assert split_server_host("a.com", "gw") == (None, "a.com")


def test_durations():
    assert duration_ms("1.5s") == 1500 and gateway_duration(1500) == "1500ms"
    assert gateway_duration(duration_ms("2s")) == "2s" and duration_ms("soon") is None


def test_prefix_rewrite_slash_difference():
    # Envoy replaces the matched string; Gateway API the matched segments
    assert envoy_prefix_rewrite("/foo/x", "/foo", "/") == "//x"
    assert gateway_prefix_rewrite("/foo/x", "/foo", "/") == "/x"
    assert envoy_prefix_rewrite("/api/x", "/api/", "/") == gateway_prefix_rewrite("/api/x", "/api/", "/") == "/x"


# -- the Istio simulator -------------------------------------------------------------------------


def test_first_match_wins_in_istio():
    sim = IstioSimulator(case_input("order-dependent"))
    assert only(sim.handle(Request("app.example.com", "/api/v2/x"))) == "app/api-v1:80"
    assert only(sim.handle(Request("app.example.com", "/apix"))) == "app/api-v1:80"
    assert sim.handle(Request("other.example.com", "/api")).status == 404


def test_https_redirect_is_301():
    sim = IstioSimulator(case_input("https-redirect"))
    out = sim.handle(Request("www.example.com", "/a?b=1"))
    assert (out.status, out.location) == (301, "https://www.example.com/a?b=1")
    assert sim.has_certificate("www.example.com") and not sim.has_certificate("x.example.com")


def test_redirect_defaults_to_301():
    sim = IstioSimulator(case_input("redirect-rewrite"))
    out = sim.handle(Request("old.example.com", "/v1/getProductRatings"))
    assert (out.status, out.location) == (301, "http://new.example.com/v1/bookRatings")


def test_mesh_default_routing():
    sim = IstioSimulator(case_input("mesh-producer"))
    jason = Request("reviews", "/", headers={"end-user": "jason"})
    assert only(sim.handle_mesh(("bookinfo", "reviews"), 9080, jason)) == "bookinfo/reviews-v2:9080"
    # a VirtualService that matches nothing: Istio routes to the Service itself
    assert only(sim.handle_mesh(("bookinfo", "reviews"), 9080, Request("reviews", "/other"))) == "bookinfo/reviews:9080"
    # no VirtualService at all: straight to the Service
    assert only(sim.handle_mesh(("bookinfo", "ratings"), 9080, Request("ratings", "/"))) == "bookinfo/ratings:9080"


def test_export_to_dot_limits_visibility():
    sim = IstioSimulator(case_input("mesh-consumer"))
    request = Request("details", "/")
    inside = sim.handle_mesh(("bookinfo", "details"), 9080, request, client_namespace="frontend")
    outside = sim.handle_mesh(("bookinfo", "details"), 9080, request, client_namespace="bookinfo")
    assert inside.headers_set == (("x-caller", "frontend"),)
    assert outside.headers_set == ()


# -- conversion, compared with the Gateway API side ------------------------------------------------


def test_mesh_virtual_service_becomes_route_with_service_parent():
    """Acceptance: a VirtualService bound to `mesh` yields an HTTPRoute with a Service parentRef."""
    routes = [o for o in converted("mesh-producer") if o["kind"] == "HTTPRoute"]
    assert [r["spec"]["parentRefs"] for r in routes] == [[{"group": "", "kind": "Service", "name": "reviews",
                                                           "namespace": "bookinfo"}]]
    assert routes[0]["spec"]["rules"][-1] == {"backendRefs": [{"name": "reviews", "port": 9080}]}  # the catch-all


def test_mesh_outcomes_agree_with_gamma():
    source = case_input("mesh-producer")
    istio, gamma = IstioSimulator(source), MeshSimulator(converted("mesh-producer") + source)
    for request in (Request("reviews", "/", headers={"end-user": "jason"}), Request("reviews", "/reviews/1"),
                    Request("reviews", "/elsewhere")):
        before = istio.handle_mesh(("bookinfo", "reviews"), 9080, request)
        after = gamma.handle(("bookinfo", "reviews"), 9080, request)
        assert before.same_behaviour(after), (request, before, after)


def test_gateway_outcomes_agree_where_no_finding_says_otherwise():
    source = case_input("gateway-basic")
    istio, gateway = IstioSimulator(source), GatewaySimulator(converted("gateway-basic"))
    for path in ("/productpage", "/login", "/static/app.js", "/api/v1/products/1", "/nothing"):
        request = Request("bookinfo.example.com", path)
        assert istio.handle(request).same_behaviour(gateway.handle(request)), path


def test_mutual_tls_fails_closed():
    result = run_case(CASES / "mutual-tls-fail-closed")
    route = next(o.obj for o in result.objects if o.obj["kind"] == "HTTPRoute")
    assert all("backendRefs" not in rule for rule in route["spec"]["rules"])
    assert result.report.exit_code == 1


def test_order_dependence_is_reported_with_an_example():
    result = run_case(CASES / "order-dependent")
    found = [f for f in result.report.findings if f.code == "IST033"]
    assert found and "/api/v2" in found[0].example


def test_simulator_assumes_named_gateway_missing_from_input() -> None:
    """No Istio Gateway in the input: the VirtualService still routes (as the Gateway half assumes the parent)."""
    sim = IstioSimulator(docs("""
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: web}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/public]
  http:
  - route: [{destination: {host: a, port: {number: 80}}}]
"""))
    assert only(sim.handle(Request("a.example.com", path="/x"))) == "web/a:80"
    assert not sim.handle(Request("b.example.com", path="/x")).forwarded


def test_order_check_combines_matches_of_different_rules() -> None:
    """A header rule before a path rule loses only requests carrying both: IST033 must see them."""
    from migrate.ir import HeaderMatch, Match, PathMatch, Rule
    from migrate.plugins.istio.order import candidates, winners
    rules = [Rule(matches=[Match(headers=(HeaderMatch("end-user", "jason"),))]),
             Rule(matches=[Match(path=PathMatch("PathPrefix", "/v2/"))])]
    disagree = [r for r in candidates(rules) if len(set(winners(rules, r))) == 2]
    assert disagree and all(dict(r.headers).get("end-user") == "jason" for r in disagree)


def test_consumer_route_from_source_namespace_names_backend_namespace() -> None:
    route = next(o for o in converted("match-conditions") if o["metadata"]["name"] == "inventory-from-stock")
    refs = [b for rule in route["spec"]["rules"] for b in rule.get("backendRefs", [])]
    assert refs and all(b.get("namespace") == "stock" for b in refs)


def test_namespaced_server_host_admits_its_namespace_without_routes() -> None:
    gw = next(o for o in converted("host-namespaces") if o["kind"] == "Gateway")
    b = next(lst for lst in gw["spec"]["listeners"] if lst["hostname"] == "b.example.com")
    assert b["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == ["team-b"]


def test_grpc_route_reports_what_it_cannot_carry() -> None:
    """GRPCRoute (v1.6.1 standard) has no timeouts, no URLRewrite and no RequestRedirect: each loss is IST065,
    and the HTTP-side "converted" findings for those fields are withdrawn."""
    result = run_case(CASES / "grpc-dropped")
    route = next(o.obj for o in result.objects if o.obj["kind"] == "GRPCRoute")
    rules = route["spec"]["rules"]
    assert all("timeouts" not in rule and "filters" not in rule for rule in rules)
    assert "backendRefs" not in rules[2]  # the redirect rule: no backend, calls fail instead of being redirected
    lost = {f.source.field: f for f in result.report.findings if f.code == "IST065"}
    assert set(lost) == {"spec.http[0].timeout", "spec.http[1].rewrite", "spec.http[2].redirect"}
    assert "2s" in lost["spec.http[0].timeout"].example
    assert "/catalog.v0.Items/" in lost["spec.http[2].redirect"].example
    assert not [f for f in result.report.findings if f.code in ("IST050", "IST052")]



def _run_inline(tmp_path, text: str):
    (tmp_path / "input.yaml").write_text(text)
    return run_case(tmp_path)


_OWN_HOST_VS = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a, namespace: web}
spec:
  hosts: [%(hosts)s]
  gateways: [%(gateways)s]
  http:
  - match:
    - authority: {exact: %(authority)s}
      uri: {exact: /x}
    route: [{destination: {host: a, port: {number: 80}}}]
  - route: [{destination: {host: b, port: {number: 80}}}]
"""


def test_authority_on_the_routes_only_host_keeps_the_match(tmp_path) -> None:
    """authority.exact naming the only host of a Gateway-bound VirtualService is always true on its route (IST037);
    Istio matched the whole :authority, so a Host with a port missed it there and matches now."""
    text = _OWN_HOST_VS % {"hosts": "a.example.com", "gateways": "istio-system/public", "authority": "A.example.com"}
    result = _run_inline(tmp_path, text)
    route = next(o.obj for o in result.objects if o.obj["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["matches"] == [{"path": {"type": "Exact", "value": "/x"}}]
    found = [f for f in result.report.findings if f.code in ("IST032", "IST037")]
    assert [f.code for f in found] == ["IST037"]
    assert "A.example.com:8080" in found[0].message and "case-sensitively" in found[0].message
    # the difference the finding names, on both simulators
    source, out = docs(text), [o.obj for o in result.objects]
    with_port = Request("a.example.com:8080", "/x")
    assert only(IstioSimulator(source).handle(with_port)) == "web/b:80"
    assert only(GatewaySimulator(out).handle(with_port)) == "web/a:80"
    exact = Request("A.example.com", "/x")
    assert only(IstioSimulator(source).handle(exact)) == only(GatewaySimulator(out).handle(exact)) == "web/a:80"


def test_authority_that_is_not_always_true_still_drops_the_match(tmp_path) -> None:
    for values in ({"hosts": "a.example.com, b.example.com", "gateways": "istio-system/public",
                    "authority": "a.example.com"},
                   {"hosts": "a.example.com", "gateways": "istio-system/public, mesh", "authority": "a.example.com"},
                   {"hosts": "'*.example.com'", "gateways": "istio-system/public", "authority": "a.example.com"},
                   {"hosts": "a.example.com", "gateways": "istio-system/public", "authority": "b.example.com"}):
        result = _run_inline(tmp_path, _OWN_HOST_VS % values)
        codes = [f.code for f in result.report.findings if f.code in ("IST032", "IST037")]
        assert codes and set(codes) == {"IST032"}, values


def test_same_host_for_two_namespaces_admits_both() -> None:
    """`team-a/c.example.com` and `team-c/c.example.com` on one port: Istio admits VirtualServices of both."""
    out = converted("host-namespaces")
    gw = next(o for o in out if o["kind"] == "Gateway")
    c = next(lst for lst in gw["spec"]["listeners"] if lst["hostname"] == "c.example.com")
    assert c["allowedRoutes"]["namespaces"]["selector"]["matchExpressions"][0]["values"] == ["team-a", "team-c"]
    request = Request("c.example.com", "/x")
    assert only(IstioSimulator(case_input("host-namespaces")).handle(request)) == "team-c/web:80"
    assert only(GatewaySimulator(out).handle(request)) == "team-c/web:80"


_CLIENT_CHECKS_GW = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g, namespace: edge}
spec:
  selector: {app: edge}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [edge.example.com]
    tls: {mode: %s, credentialName: edge, subjectAltNames: [client.example.com]}
"""


def test_client_certificate_checks_did_nothing_without_mutual(tmp_path) -> None:
    result = _run_inline(tmp_path, _CLIENT_CHECKS_GW % "SIMPLE")
    [san] = [f for f in result.report.findings if f.code == "IST015"]
    assert "client certificates" in san.message and "did nothing" in san.message
    result = _run_inline(tmp_path, _CLIENT_CHECKS_GW % "MUTUAL")
    [san] = [f for f in result.report.findings if f.code == "IST015"]
    assert "IST012" in san.message and "did nothing" not in san.message
    assert any(f.code == "IST012" for f in result.report.findings)


def test_retry_findings_name_the_experimental_channel_once() -> None:
    found = [f for f in run_case(CASES / "retries-timeout-fault-delegate").report.findings if f.code == "IST004"]
    assert len(found) == 2 and all(f.message.count("experimental channel") == 1 for f in found)
    assert any("timeouts.backendRequest: 500ms" in f.message for f in found)
