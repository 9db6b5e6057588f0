"""SMI / Linkerd plugin: value parsers, condition translation and the mesh simulator, on documented behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from migrate.ir import PathMatch
from migrate.plugins.smi.matches import Inexpressible, profile_condition, route_group_match, smi_path
from migrate.plugins.smi.simulator import SmiSimulator
from migrate.plugins.smi.values import gateway_duration, go_duration_ms, milli_value, whole_weights
from migrate.semantics import MeshSimulator, Request
from migrate.testing import output_of, run_case

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "smi"


def test_quantities_compare_by_milli_value():
    assert milli_value("500m") == 500 and milli_value(1) == 1000 and milli_value("1k") == 1_000_000
    assert milli_value("0.5") == 500 and milli_value("1Ki") == 1_024_000
    assert milli_value("lots") is None and milli_value(True) is None


def test_weights_keep_ratios():
    assert whole_weights([500, 250, 0]) == ([2, 1, 0], False)
    assert whole_weights([90, 10], reduce_=False) == ([90, 10], False)
    weights, rescaled = whole_weights([3_000_000, 1])
    assert rescaled and weights == [1_000_000, 1]


def test_go_durations_become_gateway_durations():
    assert gateway_duration(int(go_duration_ms("1.5s"))) == "1500ms"
    assert gateway_duration(int(go_duration_ms("1m30s"))) == "90s"
    assert gateway_duration(int(go_duration_ms("2m"))) == "2m"
    assert go_duration_ms("soon") is None and go_duration_ms("-1s") is None


def test_smi_regex_is_anchored_at_the_start_only():
    assert smi_path("/api/") == PathMatch("RegularExpression", "/api/.*")
    assert smi_path("^/beta/[a-z]+$") == PathMatch("RegularExpression", "/beta/[a-z]+")


def test_route_group_match_multiplies_methods_and_ands_headers():
    found = route_group_match({"pathRegex": "/api/.*", "methods": ["GET", "HEAD"], "headers": {"user-agent": ".*iPhone.*"}})
    assert [m.method for m in found] == ["GET", "HEAD"] and all(len(m.headers) == 1 for m in found)
    assert [m.method for m in route_group_match({"methods": ["*"]})] == [None]
    with pytest.raises(Inexpressible):
        route_group_match({"methods": ["FETCH"]})


def test_profile_condition_any_all_not():
    cond = {"any": [{"all": [{"method": "POST"}, {"pathRegex": "/authors/\\d+"}]}, {"method": "PUT"}]}
    found = profile_condition(cond)
    assert [(m.method, m.path.value if m.path else None) for m in found] == [("POST", "/authors/\\d+"), ("PUT", None)]
    assert profile_condition({"method": "GET", "all": [{"method": "POST"}]}) == []  # never matches
    for bad in ({"not": {"method": "DELETE"}}, {"all": [{"pathRegex": "/a"}, {"pathRegex": "/b"}]}):
        with pytest.raises(Inexpressible):
            profile_condition(bad)


def _objects(case: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((FIXTURES / case / "input.yaml").read_text()) if isinstance(d, dict)]


def test_split_by_weight_and_no_object_goes_straight():
    sim = SmiSimulator(_objects("basic-split"))
    out = sim.handle_mesh(("shop", "website"), 8080, Request("website.shop"))
    assert out.shares() == {"shop/website-v1:8080": pytest.approx(0.9), "shop/website-v2:8080": pytest.approx(0.1)}
    assert out.rule.startswith("TrafficSplit shop/website-canary")
    straight = sim.handle_mesh(("shop", "other"), 80, Request("other.shop"))
    assert straight.backends == (("shop/other:80", 1),)
    assert sim.handle(Request("website.shop")).status == 404 and not sim.has_certificate("website.shop")


def test_backend_without_the_port_gets_nothing_on_it():
    sim = SmiSimulator(_objects("backends-across-ports"))
    assert dict(sim.handle_mesh(("zoo", "birds"), 9090, Request("birds")).backends) == {"zoo/green-birds:9090": 50}


def test_matches_split_only_matching_requests():
    sim = SmiSimulator(_objects("split-with-matches"))
    firefox = Request("website.web", headers={"User-Agent": "Mozilla/5.0 Firefox/120"})
    assert sim.handle_mesh(("web", "website"), 80, firefox).backends == (("web/website-v2:80", 100),)
    assert sim.handle_mesh(("web", "website"), 80, Request("website.web", "/home")).backends == (("web/website:80", 1),)
    assert sim.handle_mesh(("web", "website"), 80, Request("website.web", "/api/x", method="POST")).backends == \
        (("web/website:80", 1),)


def test_linkerd_merges_split_into_profile_and_ignores_matches():
    sim = SmiSimulator(_objects("split-and-profile"))
    out = sim.handle_mesh(("trafficsplit-sample", "backend-svc"), 8080, Request("backend-svc"))
    assert len(out.backends) == 2  # no x-canary header, split anyway


def test_skip_annotation_keeps_profile_overrides():
    sim = SmiSimulator(_objects("profile-skip-annotation"))
    assert sim.handle_mesh(("data", "cache"), 8080, Request("cache")).backends == (("data/cache-blue:8080", 1000),)


def test_client_side_profile_applies_to_its_namespace_only():
    sim = SmiSimulator(_objects("client-side-profile"))
    assert sim.handle_mesh(("backend", "api"), 8080, Request("api"), client_namespace="frontend").backends == \
        (("backend/api-v2:8080", 1000),)
    assert sim.handle_mesh(("backend", "api"), 8080, Request("api"), client_namespace="other").backends == \
        (("backend/api:8080", 1),)


def test_all_zero_weights_go_to_the_service_itself():
    """linkerd2-proxy drops weight-0 dstOverrides and, with none left, targets the logical Service."""
    sim = SmiSimulator(_objects("zero-weight-backend"))
    out = sim.handle_mesh(("apps", "reports"), 8080, Request("reports"))
    assert out.status == 200 and out.backends == (("apps/reports:8080", 1),)


PROBES = [
    ("basic-split", ("shop", "website"), 8080, Request("w", "/"), None),
    ("split-with-matches", ("web", "website"), 80, Request("w", "/api/v1", method="GET"), None),
    ("split-with-matches", ("web", "website"), 80, Request("w", "/api/v1", method="POST"), None),
    ("split-with-matches", ("web", "website"), 80, Request("w", "/", headers={"user-agent": "x Firefox y"}), None),
    ("split-with-matches", ("web", "website"), 80, Request("w", "/beta/abc"), None),
    ("split-with-matches", ("web", "website"), 80, Request("w", "/beta/abc/d"), None),
    ("backends-across-ports", ("zoo", "birds"), 8080, Request("b"), None),
    ("backends-across-ports", ("zoo", "birds"), 9090, Request("b"), None),
    ("v1alpha1-quantity-weights", ("library", "books"), 7000, Request("b"), None),
    ("profile-timeouts", ("booksapp", "books"), 7002, Request("b", "/books.json"), None),
    ("profile-timeouts", ("booksapp", "books"), 7002, Request("b", "/other", method="DELETE"), None),
    ("split-and-profile", ("trafficsplit-sample", "backend-svc"), 8080, Request("b", "/api/x"), None),
    ("client-side-profile", ("backend", "api"), 8080, Request("a", "/search"), "frontend"),
    ("client-side-profile", ("backend", "api"), 8080, Request("a", "/"), "backend"),
    ("group-references", ("shop", "store"), 80, Request("s", "/admin/x"), None),
    ("group-references", ("shop", "store"), 80, Request("s", "/"), None),
    ("zero-weight-backend", ("apps", "reports"), 8080, Request("r"), None),
]


@pytest.mark.parametrize("case,service,port,request_,client", PROBES)
def test_conversion_behaves_like_the_mesh(case, service, port, request_, client):
    """The GAMMA simulator on the converted output agrees with the mesh on where requests go."""
    result = run_case(FIXTURES / case)
    converted = [item.obj for item in result.objects]
    services = [o for o in _objects(case) if o.get("kind") == "Service"]
    before = SmiSimulator(_objects(case)).handle_mesh(service, port, request_, client_namespace=client)
    after = MeshSimulator(converted + services).handle(service, port, request_, client_namespace=client)
    assert before.same_behaviour(after), f"{before.summary()} != {after.summary()}"
    assert output_of(result)


def test_top_level_alternation_keeps_each_dialects_anchoring():
    """SMI anchors the whole pathRegex at the start; linkerd2-proxy writes ^ and $ around the text, which
    with top-level alternatives anchors only the first at the start and the last at the end."""
    import re

    from migrate.plugins.smi.matches import linkerd_path, smi_path

    smi = smi_path("/a|/b").value
    assert re.fullmatch(smi, "/b/x") and not re.fullmatch(smi, "/x/b")
    linkerd = linkerd_path("/a|/b").value
    for path in ("/a", "/a/x", "/x/b", "/b", "/c", "/ba"):
        assert bool(re.fullmatch(linkerd, path)) == bool(re.search("^/a|/b$", path)), path


def test_header_only_match_ranks_with_the_regex_catch_all():
    """A path-less match is PathPrefix "/", which Linkerd and Istio rank below any regex: it must carry the
    regex .* like the catch-all, so that its header match decides."""
    result = run_case(FIXTURES / "split-with-matches")
    route = next(item.obj for item in result.objects if item.obj["kind"] == "HTTPRoute")
    firefox = route["spec"]["rules"][0]["matches"][0]
    assert firefox["path"] == {"type": "RegularExpression", "value": ".*"} and firefox["headers"]


def test_external_authority_keeps_its_share_in_linkerd():
    """linkerd2-proxy sends a dstOverrides share to any host:port; the route cannot (SMI021)."""
    out = SmiSimulator(_objects("profile-dst-overrides")).handle_mesh(("emojivoto", "web"), 80, Request("w"))
    assert ("external/legacy.example.com:80", 100) in out.backends
