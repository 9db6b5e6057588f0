"""The Gateway API request simulator: every transcribed conformance expectation, then
our own cases for what conformance does not pin down (or pins down loosely)."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from conftest import CONFORMANCE, require_shared

from migrate.semantics import ERROR_BACKEND, GatewaySimulator, MeshSimulator, Outcome, Request, backend_headers
from migrate.semantics.filters import replace_prefix

# -- conformance expectations ---------------------------------------------------------

DEFAULT_HOST = "192.0.2.10"  # conformance sends the Gateway's address as Host


def _conformance_params() -> list:
    if not CONFORMANCE.exists():
        return [pytest.param(None, 0, id="conformance-expectations-absent")]
    params = []
    for path in sorted(CONFORMANCE.glob("*.yaml")):
        if path.name == "base.yaml":
            continue
        data = yaml.safe_load(path.read_text())
        for i, _ in enumerate(data["cases"]):
            params.append(pytest.param(path, i, id=f"{data['test']}[{i}]"))
    return params


@lru_cache(maxsize=None)
def _load(path: Path) -> tuple[dict, list[dict]]:
    base = [d for d in yaml.safe_load_all((CONFORMANCE / "base.yaml").read_text()) if d]
    data = yaml.safe_load(path.read_text())
    return data, base + list(data["manifests"])


@lru_cache(maxsize=None)
def _simulator(path: Path, gateway: str) -> GatewaySimulator:
    _, objects = _load(path)
    ns, name = gateway.split("/")
    return GatewaySimulator(objects, gateway=(ns, name), services="check")


def _request(spec: dict) -> Request:
    return Request(
        host=spec.get("host", DEFAULT_HOST),
        path=spec.get("path", "/"),
        scheme=spec.get("scheme", "http"),
        method=spec.get("method", "GET"),
        headers=spec.get("headers") or {},
        port=spec.get("port"),
    )


def _by_service(outcome: Outcome) -> dict[str, Fraction]:
    shares: dict[str, Fraction] = {}
    for ref, share in outcome.shares().items():
        name = ref if ref == ERROR_BACKEND else ref.rsplit(":", 1)[0]
        shares[name] = shares.get(name, 0) + share
    return shares


def check_expectation(expect: dict, request: Request, outcome: Outcome) -> None:
    """Assert each key the case gives (and only those); an unknown key fails."""
    where = f"{request} -> {outcome.summary()} ({outcome.rule})"
    for key, want in expect.items():
        if key == "backend":
            assert outcome.status == 200 and _by_service(outcome) == {want: 1}, where
        elif key == "backends":
            total = sum(want.values())
            assert _by_service(outcome) == {k: Fraction(v, total) for k, v in want.items() if v}, where
        elif key in ("status", "code"):
            assert outcome.status == want, where
        elif key == "redirect_parts":
            assert outcome.location is not None, where
            url = urlsplit(outcome.location)
            assert url.scheme == want.get("scheme", url.scheme), where
            assert url.hostname == want.get("host", url.hostname), where
            # no port expected: the spec says SHOULD NOT add the well-known one, and we don't
            assert (str(url.port) if url.port else None) == want.get("port"), where
            assert url.path == want.get("path", url.path), where
        elif key == "path":
            assert outcome.path == want, where
        elif key == "host":
            assert outcome.host == want, where
        elif key == "headers":
            seen = backend_headers(request, outcome)
            for name, value in want.items():
                assert seen.get(name.lower()) == value, f"{where}: header {name}"
        elif key == "headers_set":
            assert {k.lower(): v for k, v in outcome.headers_set} == {k.lower(): v for k, v in want.items()}, where
        elif key == "headers_added":
            assert {k.lower(): v for k, v in outcome.headers_added} == {k.lower(): v for k, v in want.items()}, where
        elif key == "headers_removed":
            assert {k.lower() for k in outcome.headers_removed} == {k.lower() for k in want}, where
        else:
            pytest.fail(f"unknown expectation key {key!r}")


@pytest.mark.parametrize("path,index", _conformance_params())
def test_conformance(path, index):
    require_shared(CONFORMANCE)
    data, _ = _load(path)
    case = data["cases"][index]
    request = _request(case["request"])
    outcome = _simulator(path, case["request"].get("gateway", data["gateway"])).handle(request)
    check_expectation(case["expect"], request, outcome)


def test_every_conformance_file_has_cases():
    require_shared(CONFORMANCE)
    files = [p for p in CONFORMANCE.glob("*.yaml") if p.name != "base.yaml"]
    assert files
    for path in files:
        assert yaml.safe_load(path.read_text())["cases"], path.name


def test_the_checker_can_fail():
    request = Request("a.example.com", "/x")
    outcome = Outcome(200, backends=(("ns/web:80", 1),), path="/x", host="a.example.com")
    check_expectation({"backend": "ns/web", "path": "/x"}, request, outcome)
    for wrong in ({"backend": "ns/other"}, {"status": 404}, {"path": "/y"}, {"headers": {"x": "1"}},
                  {"code": 302}, {"backends": {"ns/web": 1, "ns/v2": 1}}, {"nonsense": 1}):
        with pytest.raises(AssertionError if "nonsense" not in wrong else pytest.fail.Exception):
            check_expectation(wrong, request, outcome)


# -- helpers for our own cases ----------------------------------------------------------

NS = "shop"


def gateway(*listeners: dict, name: str = "gw", ns: str = NS) -> dict:
    listeners = listeners or ({"name": "http", "port": 80, "protocol": "HTTP"},)
    return {"kind": "Gateway", "metadata": {"name": name, "namespace": ns}, "spec": {"listeners": list(listeners)}}


def route(name: str, *rules: dict, hostnames=(), ns: str = NS, parents=None, created=None, kind="HTTPRoute") -> dict:
    meta = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    spec = {"parentRefs": parents if parents is not None else [{"name": "gw", "namespace": NS}],
            "rules": list(rules) or [{"backendRefs": [{"name": name, "port": 80}]}]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"kind": kind, "metadata": meta, "spec": spec}


def rule(to: str | list, *matches: dict, filters=None) -> dict:
    refs = [{"name": to, "port": 80}] if isinstance(to, str) else to
    out: dict = {"backendRefs": refs}
    if matches:
        out["matches"] = list(matches)
    if filters:
        out["filters"] = filters
    return out


def prefix(value: str, **more) -> dict:
    return {"path": {"type": "PathPrefix", "value": value}, **more}


def exact(value: str, **more) -> dict:
    return {"path": {"type": "Exact", "value": value}, **more}


def regex(value: str, **more) -> dict:
    return {"path": {"type": "RegularExpression", "value": value}, **more}


def hdr(**values) -> list[dict]:
    return [{"name": k.replace("_", "-"), "value": v} for k, v in values.items()]


def qp(**values) -> list[dict]:
    return [{"name": k, "value": v} for k, v in values.items()]


def to(objects, host="a.example.com", path="/", **kw) -> str | None:
    """The single backend service a request reaches (None if not forwarded)."""
    out = GatewaySimulator(objects).handle(Request(host, path, **kw))
    return out.backends[0][0].split("/")[1].split(":")[0] if out.forwarded and len(out.backends) == 1 else None


# -- precedence -------------------------------------------------------------------------


def test_exact_beats_any_prefix_and_longest_prefix_wins():
    objs = [gateway(), route("r", rule("p-short", prefix("/a")), rule("p-long", prefix("/a/b")),
                             rule("ex", exact("/a/b/c")))]
    assert to(objs, path="/a/b/c") == "ex"
    assert to(objs, path="/a/b/c/d") == "p-long"
    assert to(objs, path="/a/x") == "p-short"
    assert to(objs, path="/ab") is None  # element-wise: /a does not match /ab


def test_method_beats_headers_and_headers_beat_query():
    objs = [gateway(), route("r",
                             rule("by-query", prefix("/", queryParams=qp(a="1", b="2", c="3"))),
                             rule("by-headers", prefix("/", headers=hdr(x="1", y="2"))),
                             rule("by-method", prefix("/", method="GET")))]
    req = dict(headers={"X": "1", "Y": "2"}, query={"a": "1", "b": "2", "c": "3"})
    assert to(objs, **req) == "by-method"
    assert to(objs, method="POST", **req) == "by-headers"
    assert to(objs, method="POST", query=req["query"]) == "by-query"


def test_more_headers_and_more_query_params_win():
    objs = [gateway(), route("r",
                             rule("one", prefix("/", headers=hdr(x="1"))),
                             rule("two", prefix("/", headers=hdr(x="1", y="2"))),
                             rule("q1", prefix("/q", queryParams=qp(a="1"))),
                             rule("q2", prefix("/q", queryParams=qp(a="1", b="2"))))]
    assert to(objs, headers={"x": "1", "y": "2"}) == "two"
    assert to(objs, headers={"x": "1"}) == "one"
    assert to(objs, path="/q?a=1&b=2") == "q2"
    assert to(objs, path="/q?b=2&a=1") == "q2"
    assert to(objs, path="/q?a=1") == "q1"


def test_ties_go_to_oldest_route_then_name_then_rule_order():
    older = route("zz", rule("old", prefix("/")), created="2020-01-01T00:00:00Z")
    newer = route("aa", rule("new", prefix("/")), created="2024-01-01T00:00:00Z")
    assert to([gateway(), newer, older]) == "old"
    # without timestamps (or with only some): "{namespace}/{name}" order
    assert to([gateway(), route("zz", rule("z", prefix("/"))), route("aa", rule("a", prefix("/")))]) == "a"
    undated = route("aa", rule("a", prefix("/")))
    assert to([gateway(), older, undated]) == "a"
    dated_first = route("aa", rule("dated", prefix("/")), created="2024-01-01T00:00:00Z")
    assert to([gateway(), dated_first, route("zz", rule("undated", prefix("/")))]) == "dated"  # not "undated = oldest"
    assert to([gateway(), route("r", rule("first", prefix("/x")), rule("second", prefix("/x")))], path="/x") == "first"
    # across namespaces the namespace sorts first
    allns = gateway({"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}})
    assert to([allns, route("a", rule("in-b", prefix("/")), ns="b"), route("z", rule("in-a", prefix("/")), ns="a")]) == "in-a"


def test_matches_in_a_rule_are_ored_and_conditions_anded():
    objs = [gateway(), route("r", rule("hit", prefix("/a", method="PUT"), exact("/b")))]
    assert to(objs, path="/a", method="PUT") == "hit"
    assert to(objs, path="/a") is None
    assert to(objs, path="/b") == "hit"


def test_regex_ranks_below_every_prefix_and_keeps_input_order():
    objs = [gateway(), route("r", rule("re1", regex("/a/.*")), rule("re2", regex("/a/b.*")), rule("root", prefix("/")))]
    assert to(objs, path="/a/b") == "root"
    objs = [gateway(), route("r", rule("re1", regex("/a/.*")), rule("re2", regex("/a/b.*")))]
    assert to(objs, path="/a/bc") == "re1"
    assert to(objs, path="/x") is None
    assert to(objs, path="/a/") == "re1"  # fullmatch: "/a/.*" matches "/a/"
    objs = [gateway(), route("r", rule("re", regex("/a")), rule("p", prefix("/b")))]
    assert to(objs, path="/a/more") is None  # fullmatch, not search


def test_header_names_fold_case_values_do_not_and_regex_headers():
    objs = [gateway(), route("r", rule("exact", prefix("/", headers=hdr(Version="One"))),
                             rule("re", prefix("/", headers=[{"name": "v", "type": "RegularExpression", "value": "b.+"}])))]
    assert to(objs, headers={"version": "One"}) == "exact"
    assert to(objs, headers={"VERSION": "one"}) is None
    assert to(objs, headers={"V": "beta"}) == "re"
    assert to(objs, headers={"V": "b"}) is None


def test_only_the_first_entry_of_a_repeated_header_name_counts():
    objs = [gateway(), route("r", rule("hit", prefix("/", headers=[{"name": "X", "value": "1"},
                                                                   {"name": "x", "value": "2"}])))]
    assert to(objs, headers={"x": "1"}) == "hit"
    assert to(objs, headers={"x": "2"}) is None


def test_query_param_regex_and_first_value_of_a_repeat():
    objs = [gateway(), route("r", rule("re", prefix("/", queryParams=[{"name": "id", "type": "RegularExpression",
                                                                        "value": "[0-9]+"}])))]
    assert to(objs, path="/?id=42") == "re"
    assert to(objs, path="/?id=x4") is None
    assert to(objs, path="/?id=1&id=x") == "re"
    assert to(objs, path="/?id=x&id=1") is None


def test_a_route_without_rules_gets_the_crd_default_rule_and_500():
    bare = {"kind": "HTTPRoute", "metadata": {"name": "r", "namespace": NS}, "spec": {"parentRefs": [{"name": "gw"}]}}
    out = GatewaySimulator([gateway(), bare]).handle(Request("h", "/any"))
    assert (out.status, out.rule) == (500, "HTTPRoute shop/r rules[0]")


def test_a_rule_without_matches_is_prefix_root():
    objs = [gateway(), route("r", rule("any"))]
    assert to(objs, path="/anything/at/all", method="DELETE") == "any"


# -- hostnames ----------------------------------------------------------------------------


def test_route_hostname_specificity_beats_path_precedence():
    objs = [gateway(),
            route("wild", rule("wild", exact("/x")), hostnames=["*.example.com"]),
            route("exact", rule("exact", prefix("/")), hostnames=["a.example.com"]),
            route("none", rule("none", exact("/x")))]
    assert to(objs, host="a.example.com", path="/x") == "exact"
    assert to(objs, host="b.example.com", path="/x") == "wild"
    assert to(objs, host="other.org", path="/x") == "none"


def test_longer_wildcard_beats_shorter():
    objs = [gateway(), route("short", rule("short", exact("/x")), hostnames=["*.example.com"]),
            route("long", rule("long", prefix("/")), hostnames=["*.b.example.com"])]
    assert to(objs, host="a.b.example.com", path="/x") == "long"
    assert to(objs, host="a.c.example.com", path="/x") == "short"


def test_wildcards_match_any_depth_but_not_the_apex_and_ignore_host_port_and_case():
    objs = [gateway(), route("r", hostnames=["*.example.com"])]
    assert to(objs, host="a.example.com") == "r"
    assert to(objs, host="a.b.c.example.com") == "r"
    assert to(objs, host="A.Example.COM:8443") == "r"
    assert to(objs, host="example.com") is None
    assert to(objs, host="badexample.com") is None


def test_listener_hostname_intersection_narrows_route_hosts():
    lst = {"name": "h", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"}
    objs = [gateway(lst), route("r", hostnames=["a.example.com", "a.example.net"])]
    assert to(objs, host="a.example.com") == "r"
    assert to(objs, host="a.example.net") is None  # no listener for it anyway
    objs = [gateway(lst), route("r", hostnames=["example.net"])]
    sim = GatewaySimulator(objs)
    assert sim.attached[sim.listeners[0]] == []  # no intersection: not attached


def test_a_route_wildcard_on_an_exact_listener_counts_as_that_exact_host():
    # effective hostnames are the intersection: "*.example.com" on listener "a.example.com" is
    # "a.example.com", so it ties on hostname with a route without hostnames and Exact wins
    lst = {"name": "h", "port": 80, "protocol": "HTTP", "hostname": "a.example.com"}
    objs = [gateway(lst), route("wild", rule("wild", exact("/x")), hostnames=["*.example.com"]),
            route("bare", rule("bare", prefix("/")))]
    assert to(objs, path="/x") == "wild"
    assert to(objs, path="/y") == "bare"


def test_listener_isolation_most_specific_listener_only():
    objs = [gateway({"name": "any", "port": 80, "protocol": "HTTP"},
                    {"name": "wild", "port": 80, "protocol": "HTTP", "hostname": "*.example.com"}),
            route("on-any", parents=[{"name": "gw", "sectionName": "any"}])]
    assert to(objs, host="other.org") == "on-any"
    assert to(objs, host="a.example.com") is None


# -- listeners and attachment --------------------------------------------------------------


def test_listener_selection_by_scheme_and_port():
    objs = [gateway({"name": "http", "port": 80, "protocol": "HTTP"},
                    {"name": "https", "port": 443, "protocol": "HTTPS"},
                    {"name": "alt", "port": 8080, "protocol": "HTTP"}),
            route("plain", parents=[{"name": "gw", "sectionName": "http"}]),
            route("secure", parents=[{"name": "gw", "port": 443}]),
            route("alt", parents=[{"name": "gw", "sectionName": "alt", "port": 8080}])]
    assert to(objs) == "plain"
    assert to(objs, scheme="https") == "secure"
    assert to(objs, port=8080) == "alt"
    assert to(objs, scheme="https", port=8080) is None  # no HTTPS listener on 8080
    assert GatewaySimulator(objs).handle(Request("a", port=9999)).status == 404


def test_parent_ref_must_name_the_gateway_and_a_matching_section():
    objs = [gateway(), route("other-gw", parents=[{"name": "nope"}]),
            route("bad-section", parents=[{"name": "gw", "sectionName": "https"}]),
            route("bad-port", parents=[{"name": "gw", "port": 8080}]),
            route("other-ns", parents=[{"name": "gw", "namespace": "elsewhere"}])]
    assert GatewaySimulator(objs).handle(Request("a.example.com")).status == 404


def test_allowed_routes_selector_match_labels_and_expressions():
    def sel(selector):
        lst = {"name": "http", "port": 80, "protocol": "HTTP",
               "allowedRoutes": {"namespaces": {"from": "Selector", "selector": selector}}}
        return gateway(lst)

    ns_obj = {"kind": "Namespace", "metadata": {"name": "team", "labels": {"env": "prod", "tier": "web"}}}
    r = route("r", ns="team")
    assert to([sel({"matchLabels": {"env": "prod"}}), ns_obj, r]) == "r"
    assert to([sel({"matchLabels": {"env": "dev"}}), ns_obj, r]) is None
    assert to([sel({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]}), ns_obj, r]) == "r"
    assert to([sel({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}), ns_obj, r]) is None
    assert to([sel({"matchExpressions": [{"key": "env", "operator": "Exists"}]}), ns_obj, r]) == "r"
    assert to([sel({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}), ns_obj, r]) is None
    # the implicit name label exists even without a Namespace object
    by_name = {"matchLabels": {"kubernetes.io/metadata.name": "team"}}
    assert to([sel(by_name), r]) == "r"
    assert to([sel(by_name), route("r", ns="others")]) is None
    assert to([sel({"matchLabels": {"env": "prod"}}), r]) is None  # no Namespace object: only the name label


def test_http_routes_do_not_attach_to_tcp_or_tls_listeners_by_default():
    objs = [gateway({"name": "tcp", "port": 80, "protocol": "TCP"}, {"name": "tls", "port": 443, "protocol": "TLS"},
                    {"name": "http", "port": 8080, "protocol": "HTTP"}), route("r")]
    sim = GatewaySimulator(objs)
    assert [bool(sim.attached[lst]) for lst in sim.listeners] == [False, False, True]
    assert sim.handle(Request("h")).status == 404 and sim.handle(Request("h", port=8080)).status == 200


def test_allowed_routes_same_all_and_kinds():
    same = gateway()
    assert to([same, route("r", ns="elsewhere", parents=[{"name": "gw", "namespace": NS}])]) is None
    everyone = gateway({"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}})
    assert to([everyone, route("r", ns="elsewhere", parents=[{"name": "gw", "namespace": NS}])]) == "r"
    grpc_only = gateway({"name": "http", "port": 80, "protocol": "HTTP",
                         "allowedRoutes": {"kinds": [{"kind": "GRPCRoute"}]}})
    assert to([grpc_only, route("r")]) is None


def test_gateway_choice_when_not_given():
    two = [gateway(name="gw"), gateway(name="gw2"),
           route("one"), route("two", parents=[{"name": "gw2", "namespace": NS}])]
    assert to(two, path="/") in {"one", "two"}  # both considered; "{ns}/{name}" breaks the tie
    assert to(two) == "one"
    assert GatewaySimulator(two, gateway=(NS, "gw2")).handle(Request("h")).backends[0][0] == "shop/two:80"
    with pytest.raises(KeyError):
        GatewaySimulator(two, gateway=(NS, "missing"))
    # no Gateway object at all: the referenced one is assumed with HTTP/80 and HTTPS/443 listeners
    alone = [route("r", ns="app", parents=[{"name": "edge", "namespace": "infra"}])]
    assert to(alone) == "r" and to(alone, scheme="https") == "r"
    named = GatewaySimulator(alone + [route("x", ns="app", parents=[{"name": "other", "namespace": "infra"}])],
                             gateway=("infra", "edge"))
    assert named.handle(Request("h")).backends == (("app/r:80", 1),)
    with pytest.raises(KeyError):
        GatewaySimulator(alone, gateway=("infra", "nope"))


# -- backends and weights ---------------------------------------------------------------------


def _svc(name: str, ns: str = NS, port: int = 80) -> dict:
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": {"ports": [{"port": port}]}}


def test_weights_are_relative_and_zero_means_none():
    refs = [{"name": "a", "port": 80, "weight": 3}, {"name": "b", "port": 80, "weight": 1},
            {"name": "c", "port": 80, "weight": 0}, {"name": "a", "port": 80}]
    out = GatewaySimulator([gateway(), route("r", rule(refs))]).handle(Request("h"))
    assert out.status == 200
    assert out.backends == (("shop/a:80", 4), ("shop/b:80", 1))
    assert out.shares() == {"shop/a:80": Fraction(4, 5), "shop/b:80": Fraction(1, 5)}


def test_all_zero_weights_no_backends_and_all_invalid_give_500():
    zero = [{"name": "a", "port": 80, "weight": 0}]
    assert GatewaySimulator([gateway(), route("r", rule(zero))]).handle(Request("h")).status == 500
    assert GatewaySimulator([gateway(), route("r", {"matches": [exact("/")]})]).handle(Request("h")).status == 500
    bad = [{"name": "a", "port": 80, "kind": "Unknown", "group": "example.com"}, {"name": "b"}]
    out = GatewaySimulator([gateway(), route("r", rule(bad))]).handle(Request("h"))
    assert out.status == 500 and out.backends == () and out.rule == "HTTPRoute shop/r rules[0]"


def test_invalid_backend_fails_for_its_share_only():
    refs = [{"name": "a", "port": 80, "weight": 1}, {"name": "gone", "port": 80, "weight": 3}]
    out = GatewaySimulator([gateway(), _svc("a"), route("r", rule(refs))], services="check").handle(Request("h"))
    assert out.status == 200
    assert out.shares() == {"shop/a:80": Fraction(1, 4), ERROR_BACKEND: Fraction(3, 4)}


def test_services_assume_versus_check():
    objs = [gateway(), route("r", rule("ghost"))]
    assert GatewaySimulator(objs).handle(Request("h")).backends == (("shop/ghost:80", 1),)
    assert GatewaySimulator(objs, services="check").handle(Request("h")).status == 500
    # a Service that is given must have the port, in either mode
    wrong_port = [gateway(), _svc("ghost", port=8080), route("r", rule("ghost"))]
    assert GatewaySimulator(wrong_port).handle(Request("h")).status == 500
    with pytest.raises(ValueError):
        GatewaySimulator(objs, services="maybe")  # type: ignore[arg-type]


# -- ReferenceGrant -------------------------------------------------------------------------------


def _grant(ns="data", from_kind="HTTPRoute", from_ns=NS, to_name=None, to_kind="Service") -> dict:
    to = {"group": "", "kind": to_kind}
    if to_name:
        to["name"] = to_name
    return {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": ns},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": from_kind, "namespace": from_ns}],
                     "to": [to]}}


@pytest.mark.parametrize("grant,status", [
    (None, 500),
    (_grant(), 200),
    (_grant(to_name="db"), 200),
    (_grant(to_name="other"), 500),
    (_grant(from_kind="GRPCRoute"), 500),
    (_grant(from_ns="elsewhere"), 500),
    (_grant(ns=NS), 500),  # a grant must live in the referent's namespace
    (_grant(to_kind="Secret"), 500),
])
def test_reference_grant_gates_cross_namespace_backends(grant, status):
    objs = [gateway(), route("r", rule([{"name": "db", "namespace": "data", "port": 80}]))]
    if grant:
        objs.append(grant)
    out = GatewaySimulator(objs).handle(Request("h"))
    assert out.status == status
    if status == 200:
        assert out.backends == (("data/db:80", 1),)


# -- filters: rewrites ---------------------------------------------------------------------------


@pytest.mark.parametrize("path,pfx,replacement,result", [
    ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz", "/xyz/bar"),
    ("/foo/bar", "/foo/", "/xyz/", "/xyz/bar"),
    ("/foo", "/foo", "/xyz", "/xyz"),
    ("/foo/", "/foo", "/xyz", "/xyz/"),
    ("/foo/bar", "/foo", "", "/bar"),
    ("/foo/", "/foo", "", "/"),
    ("/foo", "/foo", "", "/"),
    ("/foo/", "/foo", "/", "/"),
    ("/foo", "/foo", "/", "/"),
    ("/anything", "/", "/base", "/base/anything"),
])
def test_replace_prefix_match_follows_the_spec_table(path, pfx, replacement, result):
    assert replace_prefix(path, pfx, replacement) == result


def test_url_rewrite_keeps_query_and_sets_host():
    flt = [{"type": "URLRewrite", "urlRewrite": {"hostname": "internal", "path": {
        "type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"}}}]
    out = GatewaySimulator([gateway(), route("r", rule("web", prefix("/v1/"), filters=flt))]).handle(
        Request("a.example.com:8080", "/v1/items?id=3&x"))
    assert (out.path, out.host) == ("/v2/items?id=3&x", "internal")
    full = [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/only"}}}]
    out = GatewaySimulator([gateway(), route("r", rule("web", filters=full))]).handle(Request("h:81", "/a/b?q=1"))
    assert (out.path, out.host) == ("/only?q=1", "h:81")  # Host forwarded unmodified, port included


def test_replace_prefix_match_on_a_non_prefix_rule_is_not_accepted():
    flt = [{"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]
    objs = [gateway(), route("bad", rule("bad", exact("/x"), filters=flt)), route("ok", rule("ok"))]
    assert to(objs, path="/x") == "ok"


def test_header_modifier_records_and_applies_remove_set_add():
    flt = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {
        "set": [{"name": "X-Set", "value": "new"}], "add": [{"name": "X-Add", "value": "two"}],
        "remove": ["X-Gone"]}}]
    request = Request("h", headers={"x-set": "old", "X-ADD": "one", "x-gone": "1", "keep": "k"})
    out = GatewaySimulator([gateway(), route("r", rule("web", filters=flt))]).handle(request)
    assert out.headers_set == (("X-Set", "new"),)
    assert out.headers_added == (("X-Add", "two"),) and out.headers_removed == ("X-Gone",)
    assert backend_headers(request, out) == {"x-set": "new", "x-add": "one,two", "keep": "k"}


def test_mirror_response_headers_cors_and_extension_ref_do_not_change_routing():
    flt = [{"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow", "port": 80}}},
           {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "x", "namespace": "other", "port": 80}}},
           {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": [{"name": "X-R", "value": "1"}]}},
           {"type": "CORS", "cors": {"allowOrigins": ["*"]}},
           {"type": "ExtensionRef", "extensionRef": {"group": "example.com", "kind": "Auth", "name": "a"}}]
    out = GatewaySimulator([gateway(), route("r", rule("web", filters=flt))]).handle(Request("h"))
    assert out.backends == (("shop/web:80", 1),)
    assert out.mirrors == ("shop/shadow:80",)  # the cross-namespace mirror has no grant
    assert any("X-R" in n for n in out.notes) and any("CORS" in n for n in out.notes)
    assert any("ExtensionRef" in n for n in out.notes)


def test_backend_filters_apply_only_to_a_sole_backend():
    hmod = [{"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-B", "value": "1"}]}}]
    one = [{"name": "a", "port": 80, "filters": hmod}, {"name": "b", "port": 80, "weight": 0}]
    out = GatewaySimulator([gateway(), route("r", rule(one))]).handle(Request("h"))
    assert out.headers_set == (("X-B", "1"),)
    split = [{"name": "a", "port": 80, "filters": hmod}, {"name": "b", "port": 80}]
    out = GatewaySimulator([gateway(), route("r", rule(split))]).handle(Request("h"))
    assert out.headers_set == () and any("split" in n for n in out.notes)


# -- filters: redirects -------------------------------------------------------------------------


def _redirect(spec: dict, scheme="http", port=None, path="/p?q=1", listener_port=None) -> Outcome:
    lp = listener_port or port or (443 if scheme == "https" else 80)
    lst = {"name": "l", "port": lp, "protocol": scheme.upper()}
    objs = [gateway(lst), route("r", {"matches": [prefix("/p")],
                                      "filters": [{"type": "RequestRedirect", "requestRedirect": spec}]})]
    return GatewaySimulator(objs).handle(Request("a.example.com:1234", path, scheme=scheme, port=port))


@pytest.mark.parametrize("spec,scheme,port,location", [
    ({}, "http", None, "http://a.example.com/p?q=1"),
    ({}, "http", 8080, "http://a.example.com:8080/p?q=1"),
    ({"port": 80}, "http", 8080, "http://a.example.com/p?q=1"),
    ({"port": 8443}, "https", None, "https://a.example.com:8443/p?q=1"),
    ({"scheme": "https"}, "http", None, "https://a.example.com/p?q=1"),
    ({"scheme": "https"}, "http", 8080, "https://a.example.com/p?q=1"),  # scheme set: its well-known port
    ({"scheme": "https", "port": 443}, "http", None, "https://a.example.com/p?q=1"),
    ({"scheme": "https", "port": 8443}, "http", None, "https://a.example.com:8443/p?q=1"),
    ({"scheme": "http"}, "https", None, "http://a.example.com/p?q=1"),
    ({"scheme": "http", "port": 8080}, "https", None, "http://a.example.com:8080/p?q=1"),
    ({"scheme": "http", "port": 443}, "https", None, "http://a.example.com:443/p?q=1"),
    ({"hostname": "b.example.org"}, "https", 8443, "https://b.example.org:8443/p?q=1"),
])
def test_redirect_port_and_scheme_rules(spec, scheme, port, location):
    out = _redirect(spec, scheme=scheme, port=port)
    assert (out.status, out.location) == (302, location)
    assert out.backends == () and out.path is None


def test_redirect_status_and_paths():
    assert _redirect({"statusCode": 301}).status == 301
    assert _redirect({"statusCode": 308, "scheme": "https"}).summary() == "308 -> https://a.example.com/p?q=1"
    full = {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"}}
    assert _redirect(full, path="/p/x?y").location == "http://a.example.com/new?y"
    pref = {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/q"}}
    assert _redirect(pref, path="/p/x").location == "http://a.example.com/q/x"
    assert _redirect(pref, path="/p").location == "http://a.example.com/q"
    assert _redirect({"statusCode": 399}).status == 404  # outside the enum: route not accepted


# -- GRPCRoute -------------------------------------------------------------------------------------


def _grpc(name, method=None, hostnames=(), created=None):
    matches = [{"method": method}] if method else []
    return route(name, {"matches": matches, "backendRefs": [{"name": name, "port": 80}]} if matches
                 else {"backendRefs": [{"name": name, "port": 80}]},
                 kind="GRPCRoute", hostnames=hostnames, created=created)


def test_grpc_route_matches_service_and_method():
    objs = [gateway(), _grpc("svc", {"service": "pkg.Svc"}), _grpc("zz-m", {"service": "pkg.Svc", "method": "Get"})]
    grpc = dict(method="POST", headers={"content-type": "application/grpc"})
    assert to(objs, path="/pkg.Svc/Get", **grpc) == "zz-m"  # more characters matched, not the name
    assert to(objs, path="/pkg.Svc/List", **grpc) == "svc"
    assert to(objs, path="/pkg.Other/Get", **grpc) is None
    assert to(objs, path="/pkg.Svc/Get") is None  # GET is no gRPC call


def test_grpc_and_http_routes_sharing_a_host_only_the_older_attaches():
    objs = [gateway(), route("web", created="2021-01-01T00:00:00Z", hostnames=["a.example.com"]),
            _grpc("rpc", hostnames=["a.example.com"], created="2020-01-01T00:00:00Z")]
    assert to(objs, path="/x") is None
    assert to(objs, path="/pkg.S/M", method="POST") == "rpc"
    objs[2] = _grpc("rpc", hostnames=["b.example.com"])
    assert to(objs, path="/x") == "web"


# -- the mesh (GAMMA) -------------------------------------------------------------------------------


def _mesh_route(name, ns, *rules, port=None, service=("shop", "api")):
    ref = {"group": "", "kind": "Service", "name": service[1], "namespace": service[0]}
    if port:
        ref["port"] = port
    return route(name, *rules, ns=ns, parents=[ref])


def test_mesh_without_routes_goes_straight_to_the_service():
    out = MeshSimulator([]).handle(("shop", "api"), 8080, Request("api.shop", "/x?y=1"))
    assert out.backends == (("shop/api:8080", 1),) and out.path == "/x?y=1"


def test_mesh_producer_route_applies_to_everyone_and_rejects_unmatched():
    objs = [_mesh_route("p", "shop", rule("v2", prefix("/v2")))]
    mesh = MeshSimulator(objs)
    assert mesh.handle(("shop", "api"), 80, Request("api", "/v2/x")).backends == (("shop/v2:80", 1),)
    assert mesh.handle(("shop", "api"), 80, Request("api", "/v2"), client_namespace="other").backends == (
        ("shop/v2:80", 1),)
    assert mesh.handle(("shop", "api"), 80, Request("api", "/v1")).status == 404


def test_mesh_consumer_route_only_for_its_own_namespace():
    objs = [_mesh_route("p", "shop", rule("prod")),
            _mesh_route("c", "client", rule([{"name": "canary", "namespace": "shop", "port": 80}]))]
    mesh = MeshSimulator(objs)
    assert mesh.handle(("shop", "api"), 80, Request("api"), client_namespace="client").backends == (
        ("shop/canary:80", 1),)  # no ReferenceGrant needed in the mesh
    assert mesh.handle(("shop", "api"), 80, Request("api"), client_namespace="third").backends == (
        ("shop/prod:80", 1),)
    only_consumer = MeshSimulator([objs[1]])
    assert only_consumer.handle(("shop", "api"), 80, Request("api")).backends == (("shop/api:80", 1),)


def test_mesh_route_port_and_section_name():
    svc = {"kind": "Service", "metadata": {"name": "api", "namespace": "shop"},
           "spec": {"ports": [{"name": "http", "port": 80}, {"name": "admin", "port": 9000}]}}
    objs = [svc, _mesh_route("p", "shop", rule("v2"), port=80)]
    mesh = MeshSimulator(objs)
    assert mesh.handle(("shop", "api"), 80, Request("api")).backends == (("shop/v2:80", 1),)
    assert mesh.handle(("shop", "api"), 9000, Request("api")).backends == (("shop/api:9000", 1),)
    by_name = route("p", rule("admin"), ns="shop",
                    parents=[{"group": "", "kind": "Service", "name": "api", "sectionName": "admin"}])
    mesh = MeshSimulator([svc, by_name])
    assert mesh.handle(("shop", "api"), 9000, Request("api")).backends == (("shop/admin:80", 1),)
    assert mesh.handle(("shop", "api"), 80, Request("api")).backends == (("shop/api:80", 1),)


def test_mesh_route_does_not_attach_to_gateways_and_vice_versa():
    objs = [gateway(), _mesh_route("p", "shop", rule("v2"), service=(NS, "api"))]
    assert GatewaySimulator(objs).handle(Request("h")).status == 404
    assert MeshSimulator([gateway(), route("r")]).handle((NS, "gw"), 80, Request("h")).backends == (
        ("shop/gw:80", 1),)


# -- Request and Outcome ----------------------------------------------------------------------------


def test_request_str_and_query_split():
    req = Request("a.example.com", "/x?y=1", scheme="https", headers={"h": "v"})
    assert str(req) == "GET https://a.example.com/x?y=1 [h: v]"
    assert req.path == "/x" and req.query == (("y", "1"),)
    assert str(Request("a", "/", port=8080)) == "GET http://a:8080/"
    assert str(Request("a", "/", scheme="https", port=443, method="POST")) == "POST https://a/"
    assert Request("A.Example.com.:80").hostname == "a.example.com"
    assert Request("[::1]:80").hostname == "[::1]"


def test_outcome_same_behaviour_ignores_rule_and_compares_proportions():
    a = Outcome(200, backends=(("ns/a:80", 70), ("ns/b:80", 30), ("ns/c:80", 0)), rule="HTTPRoute ns/x rules[0]")
    b = Outcome(200, backends=(("ns/b:80", 3), ("ns/a:80", 7)), rule=None)
    assert a.backends == (("ns/a:80", 70), ("ns/b:80", 30))
    assert a.same_behaviour(b)
    assert not a.same_behaviour(Outcome(200, backends=(("ns/a:80", 1),)))
    assert not a.same_behaviour(Outcome(200, backends=b.backends, path="/x"))
    assert Outcome(200, headers_set=(("X-A", "1"),)).same_behaviour(Outcome(200, headers_set=(("x-a", "1"),)))
    assert not Outcome(200, headers_set=(("X-A", "1"),)).same_behaviour(Outcome(200, headers_set=(("X-A", "2"),)))


def test_outcome_summary():
    assert Outcome(404).summary() == "404"
    assert Outcome(200, backends=(("shop/web:80", 1),)).summary() == "-> shop/web:80"
    assert Outcome(302, location="https://a/x").summary() == "302 -> https://a/x"
    assert Outcome(200, backends=(("a/x:1", 1), ("a/y:1", 2))).summary() == "-> a/x:1 (1), a/y:1 (2)"


def test_outcome_rule_names_the_deciding_rule():
    out = GatewaySimulator([gateway(), route("r", rule("a", exact("/a")), rule("b", prefix("/")))]).handle(Request("h", "/b"))
    assert out.rule == "HTTPRoute shop/r rules[1]"
    assert GatewaySimulator([gateway()]).handle(Request("h")).rule is None


def test_a_route_naming_the_host_outranks_a_hostless_one_on_a_hostname_listener():
    """Found by the Ingress/Gateway property test: same Exact '/' match on both routes."""
    from migrate.semantics import GatewaySimulator, Request

    gateway = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "gw", "namespace": "ns"},
               "spec": {"gatewayClassName": "c", "listeners": [
                   {"name": "https-b", "hostname": "b.example.com", "port": 443, "protocol": "HTTPS",
                    "tls": {"certificateRefs": [{"name": "cert"}]}, "allowedRoutes": {"namespaces": {"from": "All"}}}]}}

    def route(name, hostnames, backend):
        return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": name, "namespace": "ns"},
                "spec": {"parentRefs": [{"name": "gw"}], "hostnames": hostnames,
                         "rules": [{"matches": [{"path": {"type": "Exact", "value": "/"}}],
                                    "backendRefs": [{"name": backend, "port": 80}]}]}}

    sim = GatewaySimulator([gateway, route("a-all-hosts", [], "a"), route("b", ["b.example.com"], "b")])
    assert sim.handle(Request(host="b.example.com", path="/", scheme="https")).backends == (("ns/b:80", 1),)
