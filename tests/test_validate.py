"""Tests for migrate.validate: would the API server with the v1.6.1 CRDs accept an object?

Every bad case is a known-good object with one change, and the good object is checked
to pass, so each case fails if the validator stops catching that change. Expected
messages are the CRD's own rule messages (quoted from the CEL rule text).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import textwrap
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.validate import SKIPPED_CEL, Validator, Violation, packaged_schema_dir
from migrate.validate import cel as vcel
from migrate.validate.meta import go_regex
from tests.conftest import CRDS, REPO, require_shared

GW = "gateway.networking.k8s.io/v1"


# --- objects -----------------------------------------------------------------------------


def gateway() -> dict:
    return {
        "apiVersion": GW, "kind": "Gateway", "metadata": {"name": "web", "namespace": "apps"},
        "spec": {
            "gatewayClassName": "nginx",
            "listeners": [
                {"name": "http", "port": 80, "protocol": "HTTP",
                 "allowedRoutes": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"team": "web"}}}}},
                {"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "*.example.com",
                 "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-cert"}]}},
            ],
        },
    }


def httproute() -> dict:
    return {
        "apiVersion": GW, "kind": "HTTPRoute",
        "metadata": {"name": "shop", "namespace": "apps", "labels": {"app": "shop"},
                     "annotations": {"example.com/owner": "team-a"}},
        "spec": {
            "parentRefs": [{"name": "web", "sectionName": "https"}],
            "hostnames": ["shop.example.com"],
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": "/api"},
                              "headers": [{"name": "x-env", "value": "prod"}]}],
                 "filters": [{"type": "URLRewrite",
                              "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}},
                             {"type": "RequestHeaderModifier",
                              "requestHeaderModifier": {"set": [{"name": "x-from", "value": "gw"}]}}],
                 "backendRefs": [{"name": "api", "port": 8080, "weight": 90},
                                 {"name": "api-canary", "port": 8080, "weight": 10}]},
                {"matches": [{"path": {"type": "Exact", "value": "/old"}}],
                 "filters": [{"type": "RequestRedirect",
                              "requestRedirect": {"scheme": "https", "statusCode": 301}}]},
            ],
        },
    }


def grpcroute() -> dict:
    return {
        "apiVersion": GW, "kind": "GRPCRoute", "metadata": {"name": "rpc", "namespace": "apps"},
        "spec": {"parentRefs": [{"name": "web"}], "hostnames": ["rpc.example.com"],
                 "rules": [{"matches": [{"method": {"service": "shop.v1.Cart", "method": "Get"}}],
                            "backendRefs": [{"name": "cart", "port": 9000}]}]},
    }


def referencegrant() -> dict:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
        "metadata": {"name": "allow-routes", "namespace": "backends"},
        "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "apps"}],
                 "to": [{"group": "", "kind": "Service"}]},
    }


def backendtlspolicy() -> dict:
    return {
        "apiVersion": GW, "kind": "BackendTLSPolicy", "metadata": {"name": "api-tls", "namespace": "apps"},
        "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                 "validation": {"hostname": "api.internal", "caCertificateRefs": [
                     {"group": "", "kind": "ConfigMap", "name": "api-ca"}]}},
    }


def tlsroute() -> dict:
    return {
        "apiVersion": GW, "kind": "TLSRoute", "metadata": {"name": "db", "namespace": "apps"},
        "spec": {"parentRefs": [{"name": "web"}], "hostnames": ["db.example.com"],
                 "rules": [{"backendRefs": [{"name": "db", "port": 5432}]}]},
    }


GOOD: dict[str, Callable[[], dict]] = {
    "gateway": gateway, "httproute": httproute, "grpcroute": grpcroute, "referencegrant": referencegrant,
    "backendtlspolicy": backendtlspolicy, "tlsroute": tlsroute,
}


def changed(make: Callable[[], dict], edit: Callable[[dict], Any]) -> dict:
    obj = make()
    edit(obj)
    return obj


def listeners(o: dict) -> list:
    return o["spec"]["listeners"]


def rule0(o: dict) -> dict:
    return o["spec"]["rules"][0]


# (id, object, expected path, message fragment, whether a CEL rule reports it)
BAD: list[tuple[str, dict, str, str, bool]] = [
    # structural schema
    ("enum", changed(gateway, lambda o: listeners(o)[0]["allowedRoutes"]["namespaces"].update(**{"from": "Anywhere"})),
     "spec.listeners[0].allowedRoutes.namespaces.from", 'Unsupported value: "Anywhere"', False),
    ("required", changed(gateway, lambda o: o["spec"].pop("gatewayClassName")),
     "spec.gatewayClassName", "Required value", False),
    ("unknown-field", changed(httproute, lambda o: rule0(o).update(timeout="5s")),
     "spec.rules[0].timeout", 'unknown field "timeout"', False),
    ("pattern", changed(httproute, lambda o: o["spec"].update(hostnames=["Shop_Example.com"])),
     "spec.hostnames[0]", "should match", False),
    ("max-items", changed(httproute, lambda o: o["spec"].update(hostnames=[f"h{i}.example.com" for i in range(17)])),
     "spec.hostnames", "Too many: 17: must have at most 16 items", False),
    ("maximum", changed(gateway, lambda o: listeners(o)[0].update(port=70000)),
     "spec.listeners[0].port", "should be less than or equal to 65535", False),
    ("max-length", changed(httproute, lambda o: rule0(o)["backendRefs"][0].update(name="a" * 254)),
     "spec.rules[0].backendRefs[0].name", "Too long", False),
    ("list-map-key", changed(gateway, lambda o: listeners(o)[1].update(name="http")),
     "spec.listeners[1]", 'Duplicate value: {"name":"http"}', False),
    ("oneOf-ip-address",
     changed(gateway, lambda o: o["spec"].update(addresses=[{"type": "IPAddress", "value": "1.2.3.4:80"}])),
     "spec.addresses[0]", 'must be of format ipv4', False),
    # CEL rules
    ("rewrite-prefix-with-exact-match",
     changed(httproute, lambda o: rule0(o)["matches"][0]["path"].update(type="Exact")),
     "spec.rules[0]", "When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match", True),
    ("double-slash", changed(httproute, lambda o: rule0(o)["matches"][0]["path"].update(value="/api//v1")),
     "spec.rules[0].matches[0].path", "must not contain '//' when type one of ['Exact', 'PathPrefix']", True),
    ("redirect-and-rewrite",
     changed(httproute, lambda o: o["spec"]["rules"][1]["filters"].append(
         {"type": "URLRewrite", "urlRewrite": {"hostname": "new.example.com"}})),
     "spec.rules[1].filters",
     "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both", True),
    ("redirect-with-backends",
     changed(httproute, lambda o: o["spec"]["rules"][1].update(backendRefs=[{"name": "old", "port": 80}])),
     "spec.rules[1]", "RequestRedirect filter must not be used together with backendRefs", True),
    ("service-without-port", changed(httproute, lambda o: rule0(o)["backendRefs"][1].pop("port")),
     "spec.rules[0].backendRefs[1]", "Must have port for Service reference", True),
    ("listener-names", changed(gateway, lambda o: listeners(o).append(
        {"name": "http", "port": 8080, "protocol": "HTTP"})),
     "spec.listeners", "Listener name must be unique within the Gateway", True),
    ("https-without-certificates", changed(gateway, lambda o: listeners(o)[1]["tls"].pop("certificateRefs")),
     "spec.listeners[1].tls", "certificateRefs or options must be specified when mode is Terminate", True),
    ("hostname-on-tcp", changed(gateway, lambda o: listeners(o).append(
        {"name": "db", "port": 5432, "protocol": "TCP", "hostname": "db.example.com"})),
     "spec.listeners", "hostname must not be specified for protocols ['TCP', 'UDP']", True),
    ("tls-on-http", changed(gateway, lambda o: listeners(o)[0].update(tls={"certificateRefs": [{"name": "c"}]})),
     "spec.listeners", "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']", True),
    ("grpc-method-chars", changed(grpcroute, lambda o: rule0(o)["matches"][0]["method"].update(method="Get-All")),
     "spec.rules[0].matches[0].method", "method must only contain valid characters", True),
    ("tls-policy-ca-both", changed(backendtlspolicy, lambda o: o["spec"]["validation"].update(
        wellKnownCACertificates="System")),
     "spec.validation", "must not contain both CACertificateRefs and WellKnownCACertificates", True),
    ("tlsroute-ip-hostname", changed(tlsroute, lambda o: o["spec"].update(hostnames=["10.0.0.1"])),
     "spec.hostnames", "Hostnames cannot contain an IP", True),
    ("tlsroute-inner-wildcard", changed(tlsroute, lambda o: o["spec"].update(hostnames=["*.a.*.example.com"])),
     "spec.hostnames", "Wildcards on hostnames must be the first label", True),
    # ObjectMeta
    ("name-format", changed(httproute, lambda o: o["metadata"].update(name="Shop_Route")),
     "metadata.name", "RFC 1123 subdomain", False),
    ("name-missing", changed(referencegrant, lambda o: o["metadata"].pop("name")),
     "metadata.name", "Required value", False),
    ("namespace-format", changed(gateway, lambda o: o["metadata"].update(namespace="apps.prod")),
     "metadata.namespace", "RFC 1123 label", False),
    ("label-value", changed(httproute, lambda o: o["metadata"]["labels"].update(app="-shop")),
     "metadata.labels[app]", "valid label", False),
    ("annotation-key", changed(httproute, lambda o: o["metadata"]["annotations"].update({"a/b/c": "x"})),
     "metadata.annotations", "qualified name", False),
]


@pytest.fixture(scope="module")
def std() -> Validator:
    return Validator.packaged("standard")


@pytest.fixture(scope="module")
def exp() -> Validator:
    return Validator.packaged("experimental")


@pytest.fixture(scope="module")
def upstream() -> dict[str, Validator]:
    crds = require_shared(CRDS)
    return {ch: Validator.from_crd_files(sorted((crds / ch).glob("*.yaml"))) for ch in ("standard", "experimental")}


def found(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.path, v.message) for v in violations]


# --- packaged data ---------------------------------------------------------------------------


def test_packaged_schemas_equal_a_fresh_extraction() -> None:
    crds = require_shared(CRDS)
    spec = importlib.util.spec_from_file_location("extract_schemas", REPO / "tools" / "extract_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.build(crds)
    root = REPO / "schemas"
    on_disk = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
               for p in (root / "gateway-api").rglob("*.json")}
    assert sorted(on_disk) == sorted(expected)
    stale = [rel for rel, text in expected.items() if on_disk[rel] != text]
    assert not stale, f"regenerate with tools/extract_schemas.py: {stale}"
    assert "standard/httproute.v1beta1.json" in "\n".join(expected)
    assert "experimental/xbackendtrafficpolicy.v1alpha1.json" in "\n".join(expected)


def test_packaged_files_carry_provenance() -> None:
    doc = json.loads((packaged_schema_dir("standard") / "httproute.v1.json").read_text())
    assert doc["source"]["license"] == "Apache-2.0"
    assert doc["source"]["commit"] == "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3"
    assert doc["source"]["file"] == "standard/gateway.networking.k8s.io_httproutes.yaml"
    assert (doc["group"], doc["version"], doc["kind"], doc["scope"]) == (
        "gateway.networking.k8s.io", "v1", "HTTPRoute", "Namespaced")


def test_served_versions_only(std: Validator, exp: Validator) -> None:
    assert std.knows("gateway.networking.k8s.io/v1beta1", "HTTPRoute")
    assert std.knows("gateway.networking.k8s.io/v1", "ReferenceGrant")
    assert not std.knows("gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy")  # listed, not served
    assert exp.knows("gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy")
    assert exp.knows("gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy")
    assert not std.knows("gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy")


def test_packaged_is_built_once() -> None:
    assert Validator.packaged() is Validator.packaged("standard")
    with pytest.raises(ValueError):
        Validator.packaged("nightly")


@pytest.mark.parametrize("channel", ["standard", "experimental"])
def test_upstream_crds_and_packaged_schemas_agree(channel: str, upstream: dict[str, Validator]) -> None:
    objects = [make() for make in GOOD.values()] + [copy.deepcopy(obj) for _, obj, *_ in BAD]
    packaged = Validator.packaged(channel)
    assert upstream[channel].kinds() == packaged.kinds()
    for obj in objects:
        assert upstream[channel].validate(obj) == packaged.validate(obj)


# --- verdicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOOD))
def test_known_good_objects_pass(name: str, std: Validator, exp: Validator) -> None:
    assert std.validate(GOOD[name]()) == []
    assert exp.validate(GOOD[name]()) == []


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_known_bad_objects_fail_where_expected(case: tuple, std: Validator, exp: Validator) -> None:
    _, obj, path, fragment, by_cel = case
    for validator in (std, exp):
        violations = validator.validate(copy.deepcopy(obj))
        hits = [v for v in violations if v.path == path and fragment in v.message]
        assert hits, f"no {path!r} / {fragment!r} in {found(violations)}"
        assert all((v.rule is not None) == by_cel for v in hits)
        if by_cel:
            assert all(v.rule and v.rule.strip() for v in hits)


def test_violation_identifies_the_object(std: Validator) -> None:
    obj = changed(httproute, lambda o: rule0(o)["backendRefs"][1].pop("port"))
    (v,) = std.validate(obj)
    assert (v.api_version, v.kind, v.namespace, v.name) == (GW, "HTTPRoute", "apps", "shop")
    assert v.rule == "(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true"
    assert str(v) == "HTTPRoute apps/shop: spec.rules[0].backendRefs[1]: Must have port for Service reference"


def test_validate_all_keeps_input_order(std: Validator) -> None:
    bad_name = changed(gateway, lambda o: o["metadata"].update(name="Web"))
    bad_port = changed(httproute, lambda o: rule0(o)["backendRefs"][0].pop("port"))
    out = std.validate_all([bad_port, gateway(), bad_name])
    assert [v.kind for v in out] == ["HTTPRoute", "Gateway"]


def test_unknown_kind_is_one_violation(std: Validator) -> None:
    obj = {"apiVersion": "gateway.networking.k8s.io/v1alpha9", "kind": "HTTPRoute",
           "metadata": {"name": "x", "namespace": "y"}, "spec": {"bogus": True}}
    (v,) = std.validate(obj)
    assert (v.path, v.rule, v.namespace, v.name) == ("", None, "y", "x")
    assert "unknown apiVersion/kind gateway.networking.k8s.io/v1alpha9/HTTPRoute" in v.message
    assert len(std.validate({"kind": "Gateway"})) == 1


def test_type_error_skips_cel_like_the_apiserver(std: Validator) -> None:
    obj = changed(gateway, lambda o: listeners(o).extend(
        [{"name": "http", "port": "eighty", "protocol": "HTTP"}]))
    got = found(std.validate(obj))
    assert ("spec.listeners[2].port", 'Invalid value: "string": must be of type integer') in got
    assert ("", SKIPPED_CEL) in got
    assert not any("Listener name must be unique" in m for _, m in got)


def test_cel_runs_despite_other_schema_errors(std: Validator) -> None:
    obj = changed(httproute, lambda o: (rule0(o).update(bogus=1), rule0(o)["backendRefs"][0].pop("port")))
    got = found(std.validate(obj))
    assert ("spec.rules[0].bogus", 'unknown field "bogus"') in got
    assert ("spec.rules[0].backendRefs[0]", "Must have port for Service reference") in got


def test_status_is_ignored_on_create(std: Validator) -> None:
    obj = gateway()
    obj["status"] = {"addresses": "not-a-list", "whatever": 1}
    assert std.validate(obj) == []
    assert "status" not in std.defaulted(obj)


def test_cluster_scoped_kind_ignores_namespace(std: Validator) -> None:
    obj = {"apiVersion": GW, "kind": "GatewayClass", "metadata": {"name": "nginx", "namespace": "Not_A_Label"},
           "spec": {"controllerName": "example.com/gateway-controller"}}
    assert std.validate(obj) == []


def test_experimental_only_fields_and_kinds(std: Validator, exp: Validator) -> None:
    retry = changed(httproute, lambda o: rule0(o).update(retry={"attempts": 3, "codes": [503], "backoff": "100ms"}))
    auth = changed(httproute, lambda o: rule0(o)["filters"].append({
        "type": "ExternalAuth", "externalAuth": {"protocol": "HTTP", "backendRef": {"name": "auth", "port": 9000},
                                                 "http": {"path": "/check"}}}))
    policy = {"apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XBackendTrafficPolicy",
              "metadata": {"name": "retry-budget", "namespace": "apps"},
              "spec": {"targetRefs": [{"group": "", "kind": "Service", "name": "api"}],
                       "retryConstraint": {"budget": {"percent": 30, "interval": "20s"}}}}
    for obj in (retry, auth, policy):
        assert exp.validate(obj) == [], found(exp.validate(obj))
    assert ("spec.rules[0].retry", 'unknown field "retry"') in found(std.validate(retry))
    assert any(p == "spec.rules[0].filters[2].type" and m.startswith('Unsupported value: "ExternalAuth"')
               for p, m in found(std.validate(auth)))
    assert "unknown apiVersion/kind" in std.validate(policy)[0].message


def test_experimental_rule_names_must_be_unique(std: Validator, exp: Validator) -> None:
    obj = changed(httproute, lambda o: [r.update(name="same") for r in o["spec"]["rules"]])
    assert ("spec.rules", "Rule name must be unique within the route") in found(exp.validate(obj))
    assert std.validate(obj) == []  # the standard CRD has no such rule


def test_xbackend_port_name_rule_is_modelled_as_cel_go_runs_it(exp: Validator) -> None:
    # Upstream compares format.dns1123Label().validate(self), an optional, with null; in
    # cel-go optional.none() == null is false, so any non-empty port name is refused.
    obj = {"apiVersion": "gateway.networking.x-k8s.io/v1alpha1", "kind": "XBackend",
           "metadata": {"name": "ext", "namespace": "apps"},
           "spec": {"type": "ExternalHostname", "externalHostname": {"hostname": "api.example.net"},
                    "port": {"port": 443}}}
    assert exp.validate(obj) == []
    obj["spec"]["port"]["name"] = "https"
    assert found(exp.validate(obj)) == [("spec.port.name", "Name must be a valid DNS label")]


# --- defaulting ------------------------------------------------------------------------------


def test_defaults_fill_route_matches_and_backend_refs(std: Validator) -> None:
    obj = {"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "n"},
           "spec": {"parentRefs": [{"name": "web"}],
                    "rules": [{"matches": [{"headers": [{"name": "x", "value": "1"}]}],
                               "backendRefs": [{"name": "svc", "port": 80}]}, {}]}}
    out = std.defaulted(obj)
    assert out["spec"]["parentRefs"] == [{"name": "web", "group": "gateway.networking.k8s.io", "kind": "Gateway"}]
    first, second = out["spec"]["rules"]
    assert first["matches"] == [{"headers": [{"name": "x", "value": "1", "type": "Exact"}],
                                 "path": {"type": "PathPrefix", "value": "/"}}]
    assert first["backendRefs"] == [{"name": "svc", "port": 80, "group": "", "kind": "Service", "weight": 1}]
    assert second == {"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}
    assert "path" not in obj["spec"]["rules"][0]["matches"][0]  # the input is not touched
    empty = std.defaulted({"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": "r"}, "spec": {}})
    assert empty["spec"]["rules"] == [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]


def test_defaults_fill_listener_allowed_routes_and_tls(std: Validator) -> None:
    obj = changed(gateway, lambda o: listeners(o)[1]["tls"].pop("mode"))
    out = std.defaulted(obj)
    assert out["spec"]["listeners"][1]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    assert out["spec"]["listeners"][1]["tls"] == {
        "mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "wildcard-cert", "group": ""}]}
    assert out["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"] == "Selector"


def test_validation_sees_defaulted_object(std: Validator) -> None:
    # Without the group/kind defaults the port rule would fail with "no such key".
    obj = {"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "n"},
           "spec": {"rules": [{"backendRefs": [{"name": "svc"}]}]}}
    assert found(std.validate(obj)) == [("spec.rules[0].backendRefs[0]", "Must have port for Service reference")]
    # Without the default PathPrefix match the replacePrefixMatch rule would reject this.
    rewrite = {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}
    obj = {"apiVersion": GW, "kind": "HTTPRoute", "metadata": {"name": "r", "namespace": "n"},
           "spec": {"rules": [{"filters": [rewrite], "backendRefs": [{"name": "svc", "port": 80}]}]}}
    assert std.validate(obj) == []
    obj["spec"]["rules"][0]["matches"] = [{"path": {"type": "Exact", "value": "/x"}}]
    assert std.validate(obj) != []


def test_null_fields_are_dropped_or_defaulted(std: Validator) -> None:
    obj = changed(httproute, lambda o: (o["spec"].update(hostnames=None), rule0(o)["backendRefs"][0].update(kind=None)))
    out = std.defaulted(obj)
    assert "hostnames" not in out["spec"]
    assert out["spec"]["rules"][0]["backendRefs"][0]["kind"] == "Service"
    assert std.validate(obj) == []


# --- shims and CEL machinery --------------------------------------------------------------------


def run_cel(expr: str, **variables: Any) -> Any:
    import cel

    return vcel.program(expr).execute(cel.Context(variables, vcel.SHIMS))


@pytest.mark.parametrize("text,expected", [
    ("10.1.2.3", True), ("255.255.255.255", True), ("::1", True), ("2001:db8::7", True), ("::1.2.3.4", True),
    ("010.1.2.3", False), ("1.2.3", False), ("1.2.3.4.5", False), ("256.1.1.1", False), ("fe80::1%eth0", False),
    ("::ffff:10.1.2.3", False), ("example.com", False), ("", False), ("1.2.3.4/32", False),
])
def test_is_ip_shim(text: str, expected: bool) -> None:
    assert vcel.is_ip(text) is expected
    assert run_cel("isIP(h)", h=text) is expected


def test_split_shim() -> None:
    assert run_cel("'example.com/owner'.split('/')") == ["example.com", "owner"]
    assert run_cel("'a/b/c'.split('/', 2)") == ["a", "b/c"]
    assert run_cel("'a/b/c'.split('/', 0)") == []
    assert run_cel("'abc'.split('')") == ["a", "b", "c"]
    assert run_cel("'owner'.split('/')[0].size() < 253") is True


def test_substring_shim() -> None:
    assert run_cel("'*.example.com'.substring(2)") == "example.com"
    assert run_cel("'hello'.substring(1, 3)") == "el"
    assert run_cel("'hello'.substring(5)") == ""
    with pytest.raises(Exception):
        run_cel("'hello'.substring(6)")
    with pytest.raises(Exception):
        run_cel("'hello'.substring(3, 2)")


def test_format_shim() -> None:
    assert run_cel("format.dns1123Label().validate('web-1').hasValue()") is False
    assert run_cel("format.dns1123Label().validate('Web_1').hasValue()") is True
    assert run_cel("format.dns1123Subdomain().validate('a.b-c').hasValue()") is False
    assert run_cel("format.dns1123Label().validate('web') == null") is False  # as in cel-go


def test_unsupported_cel_is_refused_at_load_time() -> None:
    with pytest.raises(ValueError, match="does not implement"):
        vcel.program("self.url().getHost() == 'x'")
    with pytest.raises(ValueError, match="cannot compile"):
        vcel.program("self.(")


def test_go_regex_dollar_is_end_of_text() -> None:
    assert go_regex("^[a-z]+$").search("abc")
    assert not go_regex("^[a-z]+$").search("abc\n")
    assert go_regex("^[$a]+$").search("$a$")
    assert go_regex("^[^]$]+$").search("ab") and not go_regex("^[^]$]+$").search("a$")


SYNTHETIC_CRD = textwrap.dedent("""\
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: widgets.example.com}
    spec:
      group: example.com
      scope: Namespaced
      names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
      versions:
      - name: v1
        served: true
        storage: true
        schema:
          openAPIV3Schema:
            type: object
            properties:
              apiVersion: {type: string}
              kind: {type: string}
              metadata: {type: object}
              spec:
                type: object
                x-kubernetes-validations:
                - rule: self.min <= self.max
                  messageExpression: "'min ' + string(self.min) + ' exceeds max ' + string(self.max)"
                  fieldPath: .min
                  reason: FieldValueForbidden
                - rule: self.max == oldSelf.max
                  message: max is immutable
                - rule: "!oldSelf.hasValue() || self.max >= oldSelf.value().max"
                  optionalOldSelf: true
                  message: max may only grow
                - rule: self.min != 7
                properties:
                  min: {type: integer, default: 0}
                  max: {type: integer}
                  size: {x-kubernetes-int-or-string: true}
                  tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
                  ports:
                    type: array
                    x-kubernetes-list-type: map
                    x-kubernetes-list-map-keys: [port, protocol]
                    items:
                      type: object
                      required: [port]
                      properties:
                        port: {type: integer}
                        protocol: {type: string, default: TCP}
                  extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
                  settings: {type: object, additionalProperties: {type: string}}
                  note: {type: string, nullable: true}
                required: [max]
    """)


@pytest.fixture(scope="module")
def widgets(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    path = tmp_path_factory.mktemp("crd") / "widgets.yaml"
    path.write_text(SYNTHETIC_CRD)
    return Validator.from_crd_files([path])


def widget(**spec: Any) -> dict:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "n"},
            "spec": {"max": 5, **spec}}


def test_synthetic_crd_features(widgets: Validator) -> None:
    ok = widget(size="50%", tags=["a", "b"], ports=[{"port": 80}, {"port": 80, "protocol": "UDP"}],
                extra={"anything": {"goes": [1]}}, settings={"k": "v"}, note=None)
    assert widgets.validate(ok) == []
    assert widgets.defaulted(ok)["spec"]["ports"][0] == {"port": 80, "protocol": "TCP"}
    assert found(widgets.validate(widget(min=9))) == [("spec.min", "Forbidden: min 9 exceeds max 5")]
    assert found(widgets.validate(widget(min=7, max=10))) == [("spec", "failed rule: self.min != 7")]
    assert found(widgets.validate(widget(tags=["a", "a"]))) == [("spec.tags[1]", 'Duplicate value: "a"')]
    assert found(widgets.validate(widget(ports=[{"port": 80}, {"port": 80, "protocol": "TCP"}]))) == [
        ("spec.ports[1]", 'Duplicate value: {"port":80,"protocol":"TCP"}')]
    assert ("spec.size", 'Invalid value: "array": must be of type integer or string') in found(
        widgets.validate(widget(size=[1])))
    assert found(widgets.validate(widget(settings={"k": 1})))[0] == (
        "spec.settings[k]", 'Invalid value: "integer": must be of type string')


@pytest.mark.parametrize("channel", ["standard", "experimental"])
def test_projection_never_changes_a_verdict(channel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    validator = Validator.packaged(channel)
    objects = [make() for make in GOOD.values()] + [copy.deepcopy(obj) for _, obj, *_ in BAD]
    objects.append(changed(httproute, lambda o: [r.update(name="same") for r in o["spec"]["rules"]]))
    projected = [validator.validate(copy.deepcopy(o)) for o in objects]
    monkeypatch.setattr(vcel, "PROJECT", False)
    assert [validator.validate(copy.deepcopy(o)) for o in objects] == projected


@pytest.mark.parametrize("channel", ["standard", "experimental"])
def test_remembering_passed_values_never_changes_a_verdict(channel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Good and bad objects interleaved, twice over: a bad value is never remembered as
    passed, and a remembered one gives the verdict a fresh evaluation gives."""
    validator = Validator.packaged(channel)
    objects = [make() for make in GOOD.values()] + [copy.deepcopy(obj) for _, obj, *_ in BAD]
    objects = [o for pair in zip(objects, reversed(objects)) for o in pair] * 2
    monkeypatch.setattr(vcel, "MEMO", False)
    fresh = [validator.validate(copy.deepcopy(o)) for o in objects]
    monkeypatch.setattr(vcel, "MEMO", True)
    assert [validator.validate(copy.deepcopy(o)) for o in objects] == fresh
    assert any(fresh), "the sample must hold objects the rules reject"


def test_projection_keeps_whole_values_when_a_rule_compares_objects() -> None:
    inner = {"type": "object", "properties": {"c": {"type": "string"}}}
    schema = {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "string"}, "b": inner}}}
    assert vcel.readable_fields(["self.all(x, x.a == 'q')"], schema) == frozenset({"a"})
    assert vcel.readable_fields(["self.all(x, self.exists_one(y, x == y))"], schema) is None
    assert vcel.readable_fields(["self.all(x, x.b == self[0].b)"], schema) is None
    assert vcel.readable_fields(["self[0]['a'] == 'q'"], schema) is None
    assert vcel.readable_fields(["self.all(x, x.a in ['p', 'q'])"], schema) == frozenset({"a"})


# --- ObjectMeta ------------------------------------------------------------------------------


def test_metadata_rules(std: Validator) -> None:
    def meta_issues(**md: Any) -> list[tuple[str, str]]:
        obj = referencegrant()
        obj["metadata"] = md
        return found(std.validate(obj))

    assert meta_issues(generateName="grant-", namespace="backends") == []
    assert meta_issues(name="g", labels={"tier": 3}) == [
        ("metadata.labels[tier]", "Invalid value: must be a string"), ("", SKIPPED_CEL)]
    assert meta_issues(name="g", annotations={"k": "x" * (256 * 1024)}) == [
        ("metadata.annotations", "Too long: must have at most 262144 bytes")]
    assert meta_issues(name="g", resourceVersion="42")[0][0] == "metadata.resourceVersion"
    assert meta_issues(name="g", owner="me") == [("metadata.owner", 'unknown field "owner"')]
    assert meta_issues(name="g", labels={"example.com/" + "n" * 64: "v"})[0][0] == "metadata.labels"


# --- robustness ------------------------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(GOOD)), key=st.sampled_from(["parentRefs", "rules", "listeners", "hostnames",
                                                                "from", "validation", "gatewayClassName"]),
       value=JSON)
def test_arbitrary_spec_values_never_crash(name: str, key: str, value: Any) -> None:
    obj = GOOD[name]()
    obj["spec"][key] = value
    for channel in ("standard", "experimental"):
        out = Validator.packaged(channel).validate(obj)
        assert all(isinstance(v, Violation) and isinstance(v.message, str) for v in out)
