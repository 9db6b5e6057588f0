"""Contour plugin: condition merging, validation, durations, and the simulator against
Contour's documented behaviour (projectcontour.io docs, internal/dag)."""

from __future__ import annotations

import yaml

from conftest import REPO
from migrate.plugins.contour import conditions
from migrate.plugins.contour.conditions import Cond
from migrate.plugins.contour.simulator import ContourSimulator
from migrate.plugins.contour.util import duration_ms, gateway_duration
from migrate.semantics import GatewaySimulator, Request
from migrate.testing import output_of, run_case


def proxy(name, ns="web", **spec):
    return {"apiVersion": "projectcontour.io/v1", "kind": "HTTPProxy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def svc(name, port=80, **extra):
    return {"name": name, "port": port, **extra}


def cond(data):
    return Cond(None, (), data)  # type: ignore[arg-type]


# -- conditions ---------------------------------------------------------------------------


def test_include_prefixes_are_concatenated_and_slashes_collapsed():
    assert conditions.merged_path([cond({"prefix": "/blog/"}), cond({"prefix": "/admin"})]) == ("prefix", "/blog/admin")


def test_the_last_condition_decides_exact_and_any_regex_makes_a_regex():
    assert conditions.merged_path([cond({"prefix": "/api"}), cond({"exact": "/v1"})]) == ("exact", "/api/v1")
    assert conditions.merged_path([cond({"prefix": "/api"}), cond({"regex": "/v[0-9]"})]) == ("regex", "/api/v[0-9]")
    assert conditions.merged_path([]) == ("prefix", "/")


def test_a_header_or_query_condition_after_exact_keeps_it_exact():
    # conditions-headers-query: `exact: /export` then a queryParameter condition is still an exact match
    conds = [cond({"exact": "/export"}), cond({"queryParameter": {"name": "token", "present": True}})]
    assert conditions.merged_path(conds) == ("exact", "/export")
    conds = [cond({"prefix": "/api"}), cond({"exact": "/v1"}), cond({"header": {"name": "x", "exact": "y"}})]
    assert conditions.merged_path(conds) == ("exact", "/api/v1")


def test_contour_rejects_two_path_conditions_and_exact_on_includes():
    assert "more than one path condition" in conditions.invalid([{"prefix": "/a"}, {"prefix": "/b"}], include=False)
    assert "include" in conditions.invalid([{"exact": "/a"}], include=True)
    assert "start with" in conditions.invalid([{"prefix": "a"}], include=False)
    assert conditions.invalid([{"prefix": "/a"}, {"header": {"name": "x", "present": True}}], include=False) is None


def test_negative_header_conditions_are_dropped_with_a_finding():
    match, notes = conditions.header_match(cond({"header": {"name": "x-canary", "notpresent": True}}))
    assert match is None and notes[0].code == "CTR022"


def test_go_durations_become_gateway_durations():
    assert duration_ms("1m30s") == 90_000 and gateway_duration(90_000) == "1m30s"
    assert duration_ms("1.5s") == 1500 and gateway_duration(1500) == "1s500ms"
    assert duration_ms("soon") is None


# -- simulator ------------------------------------------------------------------------------


def test_prefix_is_a_string_prefix_and_exact_beats_regex_beats_prefix():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "a.example.com"}, routes=[
        {"conditions": [{"prefix": "/api"}], "services": [svc("api")]},
        {"conditions": [{"regex": "/api/[0-9]+"}], "services": [svc("num")]},
        {"conditions": [{"exact": "/api/1"}], "services": [svc("one")]},
    ])])
    assert sim.handle(Request("a.example.com", "/apiv2")).backends == (("web/api:80", 1),)
    assert sim.handle(Request("a.example.com", "/api/7")).backends == (("web/num:80", 1),)
    assert sim.handle(Request("a.example.com", "/api/1")).backends == (("web/one:80", 1),)
    assert sim.handle(Request("a.example.com", "/other")).status == 404


def test_notexact_needs_the_header_present_notpresent_does_not():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "a.example.com"}, routes=[
        {"conditions": [{"header": {"name": "x-env", "notexact": "prod"}}], "services": [svc("test")]},
    ])])
    assert sim.handle(Request("a.example.com", "/", headers={"x-env": "dev"})).forwarded
    assert sim.handle(Request("a.example.com", "/", headers={"x-env": "prod"})).status == 404
    assert sim.handle(Request("a.example.com", "/")).status == 404


def test_tls_hosts_redirect_http_with_301_except_permit_insecure():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "s.example.com", "tls": {"secretName": "s"}}, routes=[
        {"conditions": [{"exact": "/ping"}], "permitInsecure": True, "services": [svc("ping")]},
        {"services": [svc("web")]},
    ])])
    out = sim.handle(Request("s.example.com", "/a?b=1"))
    assert (out.status, out.location) == (301, "https://s.example.com/a?b=1")
    assert sim.handle(Request("s.example.com", "/ping")).forwarded
    assert sim.has_certificate("s.example.com") and not sim.has_certificate("x.example.com")


def test_weights_none_equal_some_set_others_zero():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "w.example.com"}, routes=[
        {"conditions": [{"prefix": "/a"}], "services": [svc("x"), svc("y")]},
        {"conditions": [{"prefix": "/b"}], "services": [svc("x", weight=3), svc("y")]},
    ])])
    assert sim.handle(Request("w.example.com", "/a")).backends == (("web/x:80", 1), ("web/y:80", 1))
    assert sim.handle(Request("w.example.com", "/b")).backends == (("web/x:80", 3),)


def test_missing_include_answers_502_and_cycles_are_not_followed():
    sim = ContourSimulator([
        proxy("root", virtualhost={"fqdn": "i.example.com"}, includes=[
            {"name": "gone", "conditions": [{"prefix": "/gone"}]}, {"name": "a", "conditions": [{"prefix": "/a"}]}]),
        proxy("a", includes=[{"name": "b", "conditions": [{"prefix": "/b"}]}], routes=[{"services": [svc("a")]}]),
        proxy("b", includes=[{"name": "a", "conditions": [{"prefix": "/loop"}]}], routes=[{"services": [svc("b")]}]),
    ])
    assert sim.handle(Request("i.example.com", "/gone/x")).status == 502
    assert sim.handle(Request("i.example.com", "/a/b/c")).backends == (("web/b:80", 1),)
    assert sim.handle(Request("i.example.com", "/a/loop")).backends == (("web/a:80", 1),)


def test_wildcard_fqdn_matches_one_label_and_orphans_are_not_served():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "*.example.com"}, routes=[{"services": [svc("w")]}]),
                            proxy("orphan", routes=[{"conditions": [{"prefix": "/o"}], "services": [svc("o")]}])])
    assert sim.handle(Request("a.example.com", "/")).forwarded
    assert sim.handle(Request("a.b.example.com", "/")).status == 404
    assert sim.handle(Request("a.example.com", "/o")).backends == (("web/w:80", 1),)


def test_prefix_rewrite_is_segment_aware_after_a_slash_and_a_string_otherwise():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "r.example.com"}, routes=[
        {"conditions": [{"prefix": "/foo"}], "services": [svc("x")],
         "pathRewritePolicy": {"replacePrefix": [{"replacement": "/bar"}]}}])])
    assert sim.handle(Request("r.example.com", "/foo/v1")).path == "/bar/v1"
    assert sim.handle(Request("r.example.com", "/foosball")).path == "/barsball"


def test_access_controls_are_taken_to_refuse_unless_the_route_opts_out():
    sim = ContourSimulator([proxy("root", virtualhost={"fqdn": "z.example.com", "authorization": {
        "extensionRef": {"name": "auth"}}}, routes=[
        {"conditions": [{"exact": "/healthz"}], "authPolicy": {"disabled": True}, "services": [svc("h")]},
        {"services": [svc("web")]}])])
    assert sim.handle(Request("z.example.com", "/")).status == 403
    assert sim.handle(Request("z.example.com", "/healthz")).forwarded


def test_simulator_agrees_with_the_gateway_output_where_the_conversion_claims_equivalence():
    case = REPO / "fixtures" / "contour" / "permit-insecure"
    output = [d for d in yaml.safe_load_all(output_of(run_case(case))) if d]
    source = list(yaml.safe_load_all((case / "input.yaml").read_text()))
    contour, gateway = ContourSimulator(source), GatewaySimulator(output)
    for scheme in ("http", "https"):
        for path in ("/", "/ping", "/ping/x", "/status", "/a?b=1"):
            request = Request("status.example.com", path, scheme=scheme)
            assert contour.handle(request).same_behaviour(gateway.handle(request)), str(request)


# -- WebSockets, skipped and nested includes, offered probes --------------------------------------


UPGRADE = {"Connection": "Upgrade", "Upgrade": "websocket"}


def test_websocket_upgrades_are_refused_with_403_unless_the_route_enables_them():
    sim = ContourSimulator([proxy("p", virtualhost={"fqdn": "a.example.com"}, routes=[
        {"conditions": [{"prefix": "/ws"}], "enableWebsockets": True, "services": [svc("ws")]},
        {"services": [svc("web")]}])])
    assert sim.handle(Request("a.example.com", "/ws", headers=UPGRADE)).backends == (("web/ws:80", 1),)
    assert sim.handle(Request("a.example.com", "/", headers=UPGRADE)).status == 403
    assert sim.handle(Request("a.example.com", "/")).backends == (("web/web:80", 1),)


def test_a_skipped_include_leaves_the_rest_served_and_its_target_unreached():
    sim = ContourSimulator([
        proxy("root", virtualhost={"fqdn": "a.example.com"}, routes=[{"services": [svc("web")]}],
              includes=[{"name": "c1", "conditions": [{"prefix": "/c"}]},
                        {"name": "c2", "conditions": [{"prefix": "/c"}]},     # duplicate: skipped
                        {"name": "c3", "conditions": [{"exact": "/admin"}]}]),  # exact on an include: skipped
        proxy("c1", routes=[{"services": [svc("c1")]}]), proxy("c2", routes=[{"services": [svc("c2")]}]),
        proxy("c3", routes=[{"services": [svc("c3")]}])])
    assert sim.handle(Request("a.example.com", "/c")).backends == (("web/c1:80", 1),)
    assert sim.handle(Request("a.example.com", "/admin")).backends == (("web/web:80", 1),)


def test_a_nested_missing_include_answers_502_on_its_own_conditions_only():
    # computeRoutes: addStatusBadGatewayRoute(routes, include.Conditions, proxy): not the conditions above it
    sim = ContourSimulator([
        proxy("root", virtualhost={"fqdn": "a.example.com"}, routes=[{"services": [svc("web")]}],
              includes=[{"name": "team", "conditions": [{"prefix": "/team"}]}]),
        proxy("team", routes=[{"services": [svc("team")]}], includes=[{"name": "gone", "conditions": [{"prefix": "/r"}]}])])
    assert sim.handle(Request("a.example.com", "/r/1")).status == 502
    assert sim.handle(Request("a.example.com", "/team/r/1")).backends == (("web/team:80", 1),)


def test_offered_probes_satisfy_conditions_and_name_what_negations_exclude():
    sim = ContourSimulator([proxy("p", virtualhost={"fqdn": "a.example.com"}, routes=[
        {"conditions": [{"prefix": "/api"}, {"header": {"name": "x-env", "notexact": "prod"}},
                        {"header": {"name": "x-team", "exact": "blue"}},
                        {"queryParameter": {"name": "v", "exact": "2"}}], "services": [svc("api")]}],
        includes=[{"name": "gone", "conditions": [{"prefix": "/old"}]}])])
    probes = {str(r) for r in sim.requests()}
    ok = Request("a.example.com", "/api", headers={"x-env": "other", "x-team": "blue"}, query={"v": "2"})
    excluded = Request("a.example.com", "/api", headers={"x-team": "blue", "x-env": "prod"}, query={"v": "2"})
    assert str(ok) in probes and str(excluded) in probes
    assert str(Request("a.example.com", "/api")) in probes and str(Request("a.example.com", "/old")) in probes
    assert sim.handle(ok).backends == (("web/api:80", 1),)
    assert sim.handle(excluded).status == 404
    upgrades = [r for r in sim.requests() if r.header("Upgrade") == "websocket"]
    assert len(upgrades) == 1 and sim.handle(upgrades[0]).status == 403


def test_ingress_named_ports_resolve_through_the_service():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "grpc", "namespace": "api"},
               "spec": {"ports": [{"name": "grpc", "port": 9000}]}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "api"},
               "spec": {"rules": [{"host": "g.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                   "service": {"name": "grpc", "port": {"name": "grpc"}}}}]}}]}}
    sim = ContourSimulator([service, ingress])
    assert sim.handle(Request("g.example.com", "/")).backends == (("api/grpc:9000", 1),)


def test_deprecated_tcpproxy_includes_is_followed_and_include_wins():
    case = run_case(REPO / "fixtures" / "contour" / "tcpproxy-includes-deprecated")
    routes = {d["metadata"]["name"]: d for d in yaml.safe_load_all(output_of(case)) if d and d["kind"] == "TLSRoute"}
    assert set(routes) == {"mqtt-brokers-mqtt-example-com", "amqp-v2-amqp-example-com"}
    codes = {(f.code, f.source.object, f.source.field) for f in case.report.findings}
    assert ("CTR001", "HTTPProxy/iot/amqp", "spec.tcpproxy.includes") in codes
    assert ("CTR004", "HTTPProxy/iot/mqtt", "spec.tcpproxy.includes") in codes


# -- duplicate fqdns, invalid service ports, orphans of skipped includes ---------------------------


def test_roots_sharing_an_fqdn_are_all_invalid_whatever_their_age():
    # internal/dag validHTTPProxies: every proxy of a shared fqdn gets DuplicateVhost (oldest-wins,
    # projectcontour/contour#7268, was closed unmerged), so neither the older nor the newer is served
    older = proxy("one", virtualhost={"fqdn": "dup.example.com"}, routes=[{"services": [svc("one")]}])
    newer = proxy("two", virtualhost={"fqdn": "DUP.example.com"}, routes=[{"services": [svc("two")]}])
    older["metadata"]["creationTimestamp"] = "2020-01-01T00:00:00Z"
    newer["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z"
    assert ContourSimulator([older, newer]).handle(Request("dup.example.com", "/")).status == 404
    assert ContourSimulator([older]).handle(Request("dup.example.com", "/")).backends == (("web/one:80", 1),)
    case = run_case(REPO / "fixtures" / "contour" / "bad-input")
    dup = {f.source.object for f in case.report.findings if f.code == "CTR014"}
    assert dup == {"HTTPProxy/bad/dup-one", "HTTPProxy/bad/dup-two"}


def test_a_service_with_an_invalid_port_is_left_out_as_the_conversion_leaves_it_out():
    sim = ContourSimulator([
        proxy("p", virtualhost={"fqdn": "a.example.com"}, routes=[
            {"conditions": [{"prefix": "/mixed"}], "services": [svc("bad", "eighty"), svc("good")]},
            {"conditions": [{"prefix": "/range"}], "services": [svc("big", 70000)]},
            {"services": [svc("web", "eighty")]}])])
    assert sim.handle(Request("a.example.com", "/mixed")).backends == (("web/good:80", 1),)
    assert sim.handle(Request("a.example.com", "/range")).status == 503
    assert sim.handle(Request("a.example.com", "/")).status == 503


def test_the_target_of_a_skipped_include_is_reported_orphaned_because_of_the_skip():
    case = run_case(REPO / "fixtures" / "contour" / "include-skipped-conditions")
    orphans = {f.source.object: f.message for f in case.report.findings if f.code == "CTR010"}
    assert "shop/shop spec.includes[1]" in orphans["HTTPProxy/shop/cart-v2"]
    assert "identical conditions" in orphans["HTTPProxy/shop/cart-v2"]
    assert "shop/shop spec.includes[2]" in orphans["HTTPProxy/shop/admin"]
    assert all("no root HTTPProxy includes it" not in m for m in orphans.values())
    case = run_case(REPO / "fixtures" / "contour" / "orphaned-proxy")
    assert [f.message for f in case.report.findings if f.code == "CTR010"] == [
        "no root HTTPProxy includes it: Contour does not serve it"]
