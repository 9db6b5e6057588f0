"""Traefik rule language: parsing, Traefik's own matching semantics, DNF, regex rewriting."""

from __future__ import annotations

import re

import pytest

from migrate.plugins.traefik import rules
from migrate.plugins.traefik.simulator import TraefikSimulator
from migrate.semantics.request import Request


def test_precedence_and_dnf():
    node = rules.parse("Host(`a`) && PathPrefix(`/x`) || Host(`b`)")
    assert isinstance(node, rules.Or)
    alts = rules.dnf(rules.parse("(Host(`a`) || Host(`b`)) && (Path(`/p`) || Method(`GET`))"))
    assert len(alts) == 4 and all(len(c) == 2 for c in alts)


def test_negation_de_morgan():
    alts = rules.dnf(rules.parse("!(Host(`a`) && Path(`/p`))"))
    assert alts == [[(True, rules.Call("Host", ("a",)))], [(True, rules.Call("Path", ("/p",)))]]


@pytest.mark.parametrize("bad", ["Host(`a`", "Host(`a`) &&", "Nope(`x`)", "Header(`k`)", ""])
def test_bad_rules_raise(bad):
    with pytest.raises(rules.RuleError):
        rules.parse(bad)


def test_v2_forms_normalise():
    node = rules.parse("Host(`a`, `b`) && Headers(`X`, `1`) && Query(`k=v`)")
    text = str(rules.dnf(node))
    assert "Header" in text and "('k', 'v')" in text and len(rules.dnf(node)) == 2
    path = rules.parse("Path(`/u/{id:[0-9]+}`)", v2=True)
    assert path == rules.Call("PathRegexp", ("^/u/([0-9]+)$",))


def test_traefik_semantics():
    r = Request(host="shop.example.com", path="/products-for-sale", headers={"X-V": "2"}, query={"q": "1"})
    assert rules.evaluate(rules.parse("PathPrefix(`/products`)"), r)  # character-wise
    assert rules.evaluate(rules.parse("PathRegexp(`sale`)"), r)  # unanchored
    assert rules.evaluate(rules.parse("Header(`x-v`, `2`) && Query(`q`)"), r)
    assert not rules.evaluate(rules.parse("ClientIP(`10.0.0.0/8`)"), r)
    assert rules.host_matches("*.example.com", "a.example.com") and not rules.host_matches("*.example.com", "a.b.example.com")


@pytest.mark.parametrize("regex,path,ok", [("^/api/v[0-9]+$", "/api/v2", True), ("^/api", "/api/x", True),
                                           ("v2", "/x/v2/y", True), ("^/a|^/b", "/b/c", True), ("^/a$", "/a/b", False)])
def test_go_regex_as_full_keeps_search_meaning(regex, path, ok):
    assert bool(re.fullmatch(rules.go_regex_as_full(regex), path)) == ok == bool(re.search(regex, path))


def test_host_regexp_wildcard():
    assert rules.host_regexp_as_wildcard(r"^[a-z0-9-]+\.example\.com$") == ("*.example.com", False)
    assert rules.host_regexp_as_wildcard(r"^.+\.example\.com$") == ("*.example.com", True)
    assert rules.host_regexp_as_wildcard(r"^(a|b)\.example\.com$") is None


def _route(name, match, priority=None, middlewares=()):
    route = {"match": match, "services": [{"name": name, "port": 80}], "middlewares": [{"name": m} for m in middlewares]}
    if priority is not None:
        route["priority"] = priority
    return route


def test_simulator_priority_and_middlewares():
    objs = [{"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "metadata": {"name": "r", "namespace": "d"},
             "spec": {"entryPoints": ["web"], "routes": [
                 _route("short", "Host(`h`)"), _route("long", "Host(`h`) && PathPrefix(`/api`)", middlewares=["strip"]),
                 _route("top", "Host(`h`) && Path(`/top`)", priority=1), _route("gone", "Path(`/x`)", middlewares=["nope"])]}},
            {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "strip", "namespace": "d"},
             "spec": {"stripPrefix": {"prefixes": ["/api"]}}}]
    sim = TraefikSimulator(objs)
    out = sim.handle(Request(host="h", path="/api/v1"))
    assert out.backends == (("d/long:80", 1000),) and out.path == "/v1"
    assert sim.handle(Request(host="h", path="/top")).backends[0][0] == "d/short:80"  # priority 1 < length
    assert sim.handle(Request(host="other", path="/x")).status == 404  # router with a missing middleware does not exist


def test_client_auth_type_defaults_to_require_and_verify_with_cas():
    """Traefik's TLS manager: CA secrets and no type => RequireAndVerifyClientCert; neither => NoClientCert."""
    from migrate.plugins.traefik.tls import ENFORCING, client_auth_type

    assert client_auth_type({"secretNames": ["ca"]}) == "RequireAndVerifyClientCert"
    assert client_auth_type({}) == "NoClientCert"
    assert client_auth_type({"secretNames": ["ca"], "clientAuthType": "RequestClientCert"}) not in ENFORCING
    assert client_auth_type({"clientAuthType": "VerifyClientCertIfGiven"}) in ENFORCING


def _redirect_sim() -> TraefikSimulator:
    return TraefikSimulator([
        {"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "metadata": {"name": "r", "namespace": "d"},
         "spec": {"entryPoints": ["websecure"], "tls": {"secretName": "c"},
                  "routes": [{"match": "Host(`a.com`)", "middlewares": [{"name": "to-https"}],
                              "services": [{"name": "s", "port": 80}]}]}},
        {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": {"name": "to-https", "namespace": "d"},
         "spec": {"redirectScheme": {"scheme": "https", "permanent": True}}},
    ])


def test_redirect_scheme_passes_requests_already_on_the_target_scheme():
    """redirectScheme redirects only when the URL changes: an https request reaches the service."""
    out = _redirect_sim().handle(Request(host="a.com", path="/x", scheme="https"))
    assert out.status == 200 and out.backends == (("d/s:80", 1000),)


def test_converted_redirect_scheme_is_kept_off_the_https_listener(tmp_path):
    """The converter agrees (TRF023): the TLS router's rule keeps its backend and has no RequestRedirect."""
    from migrate.testing import run_case

    text = """
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: r, namespace: d}
spec:
  entryPoints: [websecure]
  tls: {secretName: c}
  routes:
    - match: Host(`a.com`)
      middlewares: [{name: to-https}]
      services: [{name: s, port: 80}]
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: to-https, namespace: d}
spec:
  redirectScheme: {scheme: https, permanent: true}
"""
    (tmp_path / "input.yaml").write_text(text)
    result = run_case(tmp_path)
    route = next(o.obj for o in result.objects if o.obj["kind"] == "HTTPRoute")
    rule = route["spec"]["rules"][0]
    assert rule["backendRefs"] == [{"name": "s", "port": 80}]
    assert "filters" not in rule
    assert "TRF023" in {f.code for f in result.report.findings}


def test_simulator_offers_router_and_negation_probes():
    """requests(): every router's host and path (one whose middleware is missing too), and what a negation excluded."""
    sim = TraefikSimulator([{"apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute",
                             "metadata": {"name": "r", "namespace": "d"},
                             "spec": {"entryPoints": ["web"], "routes": [
                                 _route("s", "Host(`a.com`) && !PathPrefix(`/int`) && !Header(`X-L`, `1`)"),
                                 _route("gone", "Host(`b.com`) && Path(`/p`)", middlewares=["nope"])]}}])
    got = {str(r) for r in sim.requests()}
    assert {"GET http://a.com/", "GET http://a.com/int", "GET http://a.com/int-x", "GET http://b.com/p"} <= got
    assert any("X-L: 1" in r and "a.com/" in r for r in got)
    excluded = next(r for r in sim.requests() if r.path == "/int-x")
    assert sim.handle(excluded).status == 404  # character-wise PathPrefix: Traefik excluded it too


def _convert(tmp_path, routes: str):
    from migrate.testing import run_case

    (tmp_path / "input.yaml").write_text("apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\n"
                                         "metadata: {name: r, namespace: d}\nspec:\n  entryPoints: [web]\n  routes:\n"
                                         + routes)
    result = run_case(tmp_path)
    rules_ = [rule for o in result.objects if o.obj["kind"] == "HTTPRoute" for rule in o.obj["spec"]["rules"]]
    return rules_, {f.code for f in result.report.findings}


def test_negated_header_gets_a_closed_rule(tmp_path):
    found, codes = _convert(tmp_path, "    - match: Host(`a.com`) && !Header(`X-L`, `1`)\n"
                                      "      services: [{name: s, port: 80}]\n")
    closed = [r for r in found if "backendRefs" not in r]
    assert closed and closed[0]["matches"][0]["headers"] == [{"type": "Exact", "name": "X-L", "value": "1"}]
    assert "TRF027" in codes and "TRF007" not in codes


def test_negation_served_by_another_router_is_not_closed(tmp_path):
    found, codes = _convert(tmp_path, "    - match: Host(`a.com`) && !Path(`/x`)\n"
                                      "      services: [{name: s, port: 80}]\n"
                                      "    - match: Host(`a.com`) && Path(`/x`)\n"
                                      "      services: [{name: t, port: 80}]\n")
    assert all("backendRefs" in r for r in found)
    assert "TRF007" in codes and "TRF027" not in codes


def test_negated_host_cannot_be_closed(tmp_path):
    found, codes = _convert(tmp_path, "    - match: PathPrefix(`/`) && !Host(`a.com`)\n"
                                      "      services: [{name: s, port: 80}]\n")
    assert all("backendRefs" in r for r in found) and "TRF007" in codes
