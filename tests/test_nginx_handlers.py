"""ingress-nginx annotation handlers (backend, tls, affinity, timeouts, headers, cors, mirror, misc).

Each test runs manifests through the engine, as `gateway-migrate convert` would, and
checks one decision: what the output carries, which finding names the annotation, and
that malformed values are input errors (exit 2). Every conversion is also checked
against the packaged v1.6.1 CRDs: nothing may be left out as invalid (GM005).
"""

from __future__ import annotations

import io

import pytest
import yaml

from migrate.engine import Options, run
from migrate.ir import HeaderChange, ResponseHeaders, Rule
from migrate.plugin import Settings
from migrate.plugins.ingress_nginx import headers as headers_module
from migrate.validate import Validator

PREFIX = "nginx.ingress.kubernetes.io/"


def path(value: str = "/", service: str = "web", port: int | str = 80, ptype: str = "Prefix") -> dict:
    ref = {"number": port} if isinstance(port, int) else {"name": port}
    return {"path": value, "pathType": ptype, "backend": {"service": {"name": service, "port": ref}}}


def ingress(annotations: dict[str, str] | None = None, *, host: str | None = "app.example.com", paths=None,
            rules=None, tls=None, name: str = "web", namespace: str = "shop") -> dict:
    if rules is None:
        rule: dict = {"http": {"paths": paths or [path()]}}
        if host:
            rule["host"] = host
        rules = [rule]
    spec: dict = {"ingressClassName": "nginx", "rules": rules}
    if tls:
        spec["tls"] = tls
    meta = {"name": name, "namespace": namespace,
            "annotations": {PREFIX + k: v for k, v in (annotations or {}).items()}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def service(name: str, ports: list[tuple[str, int]], namespace: str = "shop") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"name": n, "port": p} for n, p in ports]}}


def config_map(name: str, data: dict[str, str], namespace: str = "shop") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


VALIDATOR = Validator.packaged()


def convert(*objs: dict, **settings):
    text = "---\n".join(yaml.safe_dump(o) for o in objs)
    result = run(Options(("-",), Settings(**settings)), stdin=io.BytesIO(text.encode()))
    left_out = [f.message for f in result.report.findings if f.code == "GM005"]
    assert not left_out, left_out
    problems = [str(v) for item in result.objects for v in VALIDATOR.validate(item.obj)]
    assert not problems, problems
    return result


def objects(result, kind: str) -> list[dict]:
    return [item.obj for item in result.objects if item.obj["kind"] == kind]


def one(result, kind: str) -> dict:
    found = objects(result, kind)
    assert len(found) == 1, [o["metadata"]["name"] for o in found]
    return found[0]


def codes(result, annotation: str) -> list[str]:
    field = f"metadata.annotations[{PREFIX}{annotation}]"
    return sorted(f.code for f in result.report.findings if f.source.field == field)


def finding(result, code: str, annotation: str):
    field = f"metadata.annotations[{PREFIX}{annotation}]"
    found = [f for f in result.report.findings if f.code == code and f.source.field == field]
    assert found, f"no {code} on {annotation}: {[(f.code, f.source.field) for f in result.report.findings]}"
    return found[0]


def input_error(result, annotation: str) -> str:
    assert result.report.exit_code == 2
    errors = [e for e in result.report.input_errors if f"[{PREFIX}{annotation}]" in e]
    assert errors, result.report.input_errors
    return errors[0]


def rules_of(result, kind: str = "HTTPRoute") -> list[dict]:
    return [rule for route in objects(result, kind) for rule in route["spec"]["rules"]]


def filters_of(rule: dict, kind: str) -> list[dict]:
    return [f for f in rule.get("filters", []) if f["type"] == kind]


# -- backend-protocol -----------------------------------------------------------------------------


def test_backend_protocol_http_changes_nothing():
    result = convert(ingress({"backend-protocol": "http"}))
    assert objects(result, "BackendTLSPolicy") == []
    assert [r["kind"] for r in objects(result, "HTTPRoute")] == ["HTTPRoute"]
    assert codes(result, "backend-protocol") == ["NGX200"]
    assert result.report.exit_code == 0


def test_unknown_backend_protocol_is_an_input_error():
    result = convert(ingress({"backend-protocol": "SOAP"}))
    assert "SOAP" in input_error(result, "backend-protocol")
    assert objects(result, "GRPCRoute") == []


@pytest.mark.parametrize("value, ptype, method, broadened", [
    ("/", "Prefix", None, False),
    ("/helloworld.Greeter", "Prefix", {"type": "Exact", "service": "helloworld.Greeter"}, False),
    ("/helloworld.Greeter/", "Prefix", {"type": "Exact", "service": "helloworld.Greeter"}, False),
    ("/helloworld.Greeter/SayHello", "Exact", {"type": "Exact", "service": "helloworld.Greeter", "method": "SayHello"}, False),
    ("/helloworld.Greeter/SayHello", "Prefix", {"type": "Exact", "service": "helloworld.Greeter", "method": "SayHello"}, False),
    ("/helloworld.Greeter", "Exact", None, True),
    ("/api/v1/greeter", "Prefix", None, True),
    ("/helloworld.Greeter/SayHello/", "Exact", None, True),
])
def test_grpc_paths_become_method_matches(value, ptype, method, broadened):
    result = convert(ingress({"backend-protocol": "GRPC"}, paths=[path(value, "greeter", 50051, ptype)]))
    route = one(result, "GRPCRoute")
    assert objects(result, "HTTPRoute") == []
    rule = route["spec"]["rules"][0]
    if method is None:
        assert "matches" not in rule  # every method
    else:
        assert rule["matches"] == [{"method": method}]
    assert rule["backendRefs"] == [{"name": "greeter", "port": 50051}]
    assert ("NGX203" in codes(result, "backend-protocol")) is broadened
    assert "NGX201" in codes(result, "backend-protocol")
    assert objects(result, "BackendTLSPolicy") == []


def test_grpc_drops_filters_grpcroute_cannot_carry():
    result = convert(ingress({"backend-protocol": "GRPC", "rewrite-target": "/", "upstream-vhost": "x.internal",
                              "enable-cors": "true", "proxy-read-timeout": "30"},
                             paths=[path("/svc.Api", "api", 50051)]))
    rule = one(result, "GRPCRoute")["spec"]["rules"][0]
    assert "filters" not in rule and "timeouts" not in rule
    assert "NGX204" in codes(result, "backend-protocol")  # the URLRewrite from rewrite-target
    for name in ("upstream-vhost", "enable-cors", "proxy-read-timeout"):
        assert codes(result, name) == ["NGX204"], name


def test_grpcs_is_a_grpcroute_with_backend_tls():
    result = convert(ingress({"backend-protocol": "GRPCS"}, paths=[path("/", "inventory", 8443)]))
    assert one(result, "GRPCRoute")["spec"]["rules"][0]["backendRefs"] == [{"name": "inventory", "port": 8443}]
    policy = one(result, "BackendTLSPolicy")
    assert policy["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "inventory"}]
    assert policy["spec"]["validation"] == {"wellKnownCACertificates": "System",
                                            "hostname": "inventory.shop.svc.cluster.local"}


def test_https_backend_gets_a_policy_and_the_verification_difference_is_reported_once():
    result = convert(ingress({"backend-protocol": "HTTPS"}, paths=[path("/", "web", 8443), path("/api", "api", 8443)]))
    policies = {p["spec"]["targetRefs"][0]["name"]: p["spec"]["validation"] for p in objects(result, "BackendTLSPolicy")}
    assert policies == {
        "web": {"wellKnownCACertificates": "System", "hostname": "web.shop.svc.cluster.local"},
        "api": {"wellKnownCACertificates": "System", "hostname": "api.shop.svc.cluster.local"},
    }
    assert codes(result, "backend-protocol") == ["NGX202"]
    found = finding(result, "NGX202", "backend-protocol")
    assert "did not verify" in found.message and "SNI" in found.message and found.example


def test_https_backend_policy_targets_only_the_used_port_of_a_multi_port_service():
    result = convert(service("keycloak", [("http", 8080), ("https", 8443)]),
                     ingress({"backend-protocol": "HTTPS"}, paths=[path("/", "keycloak", "https")]))
    target = one(result, "BackendTLSPolicy")["spec"]["targetRefs"][0]
    assert target == {"group": "", "kind": "Service", "name": "keycloak", "sectionName": "https"}


@pytest.mark.parametrize("proto", ["AUTO_HTTP", "FCGI"])
def test_auto_http_and_fcgi_are_not_converted(proto):
    result = convert(ingress({"backend-protocol": proto}))
    assert codes(result, "backend-protocol") == ["NGX205"]
    assert objects(result, "BackendTLSPolicy") == [] and objects(result, "GRPCRoute") == []
    assert one(result, "HTTPRoute")["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]


def test_two_ingresses_asking_different_tls_hostnames_for_one_service_keep_the_first():
    first = ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/ca", "proxy-ssl-name": "a.internal"},
                    name="first")
    second = ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/ca", "proxy-ssl-name": "b.internal"},
                     name="second", host="other.example.com")
    result = convert(first, second)
    assert one(result, "BackendTLSPolicy")["spec"]["validation"]["hostname"] == "a.internal"
    conflict = [f for f in result.report.findings if f.code == "NGX209"]
    assert [f.source.name for f in conflict] == ["second"]


# -- proxy-ssl-* -------------------------------------------------------------------------------------


def test_proxy_ssl_secret_verify_on_and_name_are_carried_into_the_policy():
    result = convert(ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "certs/backend-ca",
                              "proxy-ssl-verify": "on", "proxy-ssl-name": "Web.Internal.Example.com",
                              "proxy-ssl-server-name": "on"}))
    validation = one(result, "BackendTLSPolicy")["spec"]["validation"]
    assert validation == {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "backend-ca-ca"}],
                          "hostname": "web.internal.example.com"}
    assert codes(result, "backend-protocol") == ["NGX200"]  # nothing differs: nginx verified and sent SNI
    assert codes(result, "proxy-ssl-verify") == ["NGX200"]
    assert codes(result, "proxy-ssl-server-name") == ["NGX200"]
    assert codes(result, "proxy-ssl-name") == ["NGX200"]
    secret = finding(result, "NGX207", "proxy-ssl-secret")
    assert "shop/backend-ca-ca" in secret.message and "clientCertificateRef" in secret.message


def test_written_verify_off_reports_the_difference_on_itself():
    result = convert(ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/ca", "proxy-ssl-verify": "off"}))
    assert codes(result, "proxy-ssl-verify") == ["NGX202"]
    assert codes(result, "backend-protocol") == ["NGX206"]  # only SNI is left to say there
    assert [f.code for f in result.report.findings].count("NGX202") == 1


@pytest.mark.parametrize("annotations", [
    {"proxy-ssl-secret": "shop/ca", "proxy-ssl-verify": "on"},  # no HTTPS backend: plain HTTP
    {"backend-protocol": "HTTPS", "proxy-ssl-verify": "on"},  # no proxy-ssl-secret: nginx reads none
])
def test_proxy_ssl_settings_without_effect(annotations):
    result = convert(ingress(annotations))
    assert codes(result, "proxy-ssl-verify") == ["NGX208"]
    for policy in objects(result, "BackendTLSPolicy"):
        assert policy["spec"]["validation"]["wellKnownCACertificates"] == "System"


def test_malformed_proxy_ssl_values_are_input_errors():
    result = convert(ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "just-a-name"}))
    assert "namespace/name" in input_error(result, "proxy-ssl-secret")
    result = convert(ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/ca", "proxy-ssl-verify": "yes"}))
    assert "on or off" in input_error(result, "proxy-ssl-verify")


def test_proxy_ssl_details_are_explained():
    result = convert(ingress({"backend-protocol": "HTTPS", "proxy-ssl-secret": "shop/ca",
                              "proxy-ssl-protocols": "TLSv1.3", "proxy-ssl-ciphers": "HIGH",
                              "proxy-ssl-verify-depth": "3"}))
    for name in ("proxy-ssl-protocols", "proxy-ssl-ciphers", "proxy-ssl-verify-depth"):
        assert codes(result, name) == ["NGX001"], name


# -- upstream-vhost, balancing, errors ----------------------------------------------------------------


def test_upstream_vhost_is_a_url_rewrite_hostname_on_every_rule():
    result = convert(ingress({"upstream-vhost": "Internal.Example.com"}, paths=[path("/a"), path("/b")]))
    for rule in rules_of(result):
        assert filters_of(rule, "URLRewrite") == [{"type": "URLRewrite",
                                                   "urlRewrite": {"hostname": "internal.example.com"}}]
    assert codes(result, "upstream-vhost") == ["NGX200"]


def test_upstream_vhost_merges_into_the_rewrite_of_rewrite_target():
    result = convert(ingress({"upstream-vhost": "cms.internal", "rewrite-target": "/"}, paths=[path("/cms")]))
    rewrites = filters_of(rules_of(result)[0], "URLRewrite")
    assert len(rewrites) == 1
    assert rewrites[0]["urlRewrite"]["hostname"] == "cms.internal"
    assert rewrites[0]["urlRewrite"]["path"] == {"type": "ReplaceFullPath", "replaceFullPath": "/"}


@pytest.mark.parametrize("value", ["$host", "cms.internal:8080"])
def test_upstream_vhost_that_a_hostname_cannot_express(value):
    result = convert(ingress({"upstream-vhost": value}))
    assert codes(result, "upstream-vhost") == ["NGX210"]
    assert filters_of(rules_of(result)[0], "URLRewrite") == []


def test_upstream_vhost_that_is_no_host_name_is_an_input_error():
    assert "a host name" in input_error(convert(ingress({"upstream-vhost": "bad_host!"})), "upstream-vhost")


def test_balancing_and_error_pages_are_explained_with_the_reason():
    result = convert(ingress({"load-balance": "ewma", "upstream-hash-by": "$remote_addr",
                              "upstream-hash-by-subset": "true", "default-backend": "error-pages",
                              "custom-http-errors": "404,503", "disable-proxy-intercept-errors": "true"}))
    assert "client IP" in finding(result, "NGX001", "upstream-hash-by").message
    assert "detail of" in finding(result, "NGX001", "upstream-hash-by-subset").message
    assert "no ready endpoints" in finding(result, "NGX001", "default-backend").message
    assert "404, 503" in finding(result, "NGX001", "custom-http-errors").message
    assert codes(result, "load-balance") == ["NGX001"]
    assert codes(result, "disable-proxy-intercept-errors") == ["NGX200"]


def test_malformed_custom_http_errors_is_an_input_error():
    assert input_error(convert(ingress({"custom-http-errors": "404,abc"})), "custom-http-errors")


# -- ssl-passthrough ---------------------------------------------------------------------------------------


def test_ssl_passthrough_makes_a_tls_route_on_a_passthrough_listener():
    result = convert(ingress({"ssl-passthrough": "true", "backend-protocol": "HTTPS", "enable-cors": "true"},
                             host="argocd.example.com", paths=[path("/", "argocd", 443), path("/api", "api", 8080)]))
    assert objects(result, "HTTPRoute") == [] and objects(result, "BackendTLSPolicy") == []
    route = one(result, "TLSRoute")
    assert route["spec"]["hostnames"] == ["argocd.example.com"]
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": "argocd", "port": 443}]}]
    assert [p.get("sectionName") for p in route["spec"]["parentRefs"]] == ["tls-argocd-example-com"]
    listener = next(item for item in one(result, "Gateway")["spec"]["listeners"] if item["protocol"] == "TLS")
    assert listener["name"] == "tls-argocd-example-com" and listener["port"] == 443
    assert listener["hostname"] == "argocd.example.com" and listener["tls"] == {"mode": "Passthrough"}
    converted = finding(result, "NGX220", "ssl-passthrough")
    assert "/api" in converted.message and converted.example
    assert codes(result, "backend-protocol") == ["NGX221"] and codes(result, "enable-cors") == ["NGX221"]


def test_ssl_passthrough_leaves_hosts_without_a_root_path_alone():
    result = convert(ingress({"ssl-passthrough": "true"}, rules=[
        {"host": "a.example.com", "http": {"paths": [path("/", "a", 443)]}},
        {"host": "b.example.com", "http": {"paths": [path("/metrics", "b", 9000)]}},
    ]))
    assert one(result, "TLSRoute")["spec"]["hostnames"] == ["a.example.com"]
    assert one(result, "HTTPRoute")["spec"]["hostnames"] == ["b.example.com"]
    assert "NGX222" in codes(result, "ssl-passthrough")


def test_ssl_passthrough_next_to_an_https_listener_for_the_host_is_reported():
    result = convert(ingress({"ssl-passthrough": "true"}, host="vault.example.com",
                             tls=[{"hosts": ["vault.example.com"], "secretName": "vault-tls"}]))
    protocols = sorted(item["protocol"] for item in one(result, "Gateway")["spec"]["listeners"]
                       if item.get("hostname") == "vault.example.com")
    assert protocols == ["HTTPS", "TLS"]
    assert "https-vault-example-com" in finding(result, "NGX223", "ssl-passthrough").message


def test_ssl_passthrough_false_and_malformed():
    result = convert(ingress({"ssl-passthrough": "false"}))
    assert objects(result, "TLSRoute") == [] and codes(result, "ssl-passthrough") == ["NGX222"]
    result = convert(ingress({"ssl-passthrough": "on"}))  # Go's ParseBool does not know "on"
    assert input_error(result, "ssl-passthrough")
    assert objects(result, "TLSRoute") == []


# -- client certificates, ciphers -------------------------------------------------------------------------


def test_client_certificate_auth_fails_closed():
    result = convert(ingress({"auth-tls-secret": "shop/partner-ca", "auth-tls-verify-depth": "2",
                              "auth-tls-pass-certificate-to-upstream": "true"}))
    assert result.report.exit_code == 1
    assert "per Gateway or per port" in finding(result, "NGX002", "auth-tls-secret").message
    assert codes(result, "auth-tls-verify-depth") == ["NGX001"]
    assert codes(result, "auth-tls-pass-certificate-to-upstream") == ["NGX001"]
    assert all("backendRefs" not in rule for rule in rules_of(result))


def test_client_certificate_auth_accepted_downgrade_keeps_the_route_open():
    result = convert(ingress({"auth-tls-secret": "shop/partner-ca"}), allow_security_downgrade=True)
    assert result.report.exit_code == 0
    assert rules_of(result)[0]["backendRefs"] == [{"name": "web", "port": 80}]


@pytest.mark.parametrize("annotations, name", [
    ({"auth-tls-verify-client": "optional"}, "auth-tls-verify-client"),  # no secret: nothing checked
    ({"auth-tls-secret": "shop/ca", "auth-tls-verify-client": "off"}, "auth-tls-secret"),  # off: nothing checked
])
def test_client_certificate_settings_without_effect_stay_open(annotations, name):
    result = convert(ingress(annotations))
    assert codes(result, name) == ["NGX224"]
    assert result.report.exit_code == 0
    assert rules_of(result)[0]["backendRefs"] == [{"name": "web", "port": 80}]


def test_client_certificate_auth_leaves_passed_through_hosts_open():
    # nginx does not terminate TLS for a passed-through host, so it checks no client certificate there;
    # the default backend's catch-all route is served by nginx itself and stays closed
    source = ingress({"ssl-passthrough": "true", "auth-tls-secret": "shop/ca"}, paths=[path("/", "app", 443)])
    source["spec"]["defaultBackend"] = {"service": {"name": "fallback", "port": {"number": 80}}}
    result = convert(source)
    assert one(result, "TLSRoute")["spec"]["rules"] == [{"backendRefs": [{"name": "app", "port": 443}]}]
    assert all("backendRefs" not in rule for rule in rules_of(result, "HTTPRoute"))
    assert result.report.exit_code == 1


def test_malformed_verify_client_is_an_input_error():
    result = convert(ingress({"auth-tls-secret": "shop/ca", "auth-tls-verify-client": "sometimes"}))
    assert input_error(result, "auth-tls-verify-client")


def test_ssl_ciphers_are_explained():
    result = convert(ingress({"ssl-ciphers": "HIGH:!aNULL"}))
    assert "tls.options" in finding(result, "NGX001", "ssl-ciphers").message


# -- affinity -------------------------------------------------------------------------------------------------


def test_cookie_affinity_is_reported_lost_with_its_details():
    result = convert(ingress({"affinity": "cookie", "session-cookie-name": "STICKY", "session-cookie-max-age": "3600",
                              "affinity-mode": "persistent"}))
    lost = finding(result, "NGX240", "affinity")
    assert "experimental" in lost.message and "STICKY" in lost.example
    assert codes(result, "session-cookie-name") == ["NGX241"]
    assert codes(result, "affinity-mode") == ["NGX241"]
    assert "sessionPersistence" not in str(rules_of(result))


def test_cookie_settings_without_affinity_have_no_effect():
    assert codes(convert(ingress({"session-cookie-name": "X"})), "session-cookie-name") == ["NGX242"]


@pytest.mark.parametrize("annotation, value", [("affinity", "ip_hash"), ("session-cookie-samesite", "lax"),
                                               ("session-cookie-max-age", "1h"), ("affinity-mode", "sticky")])
def test_malformed_affinity_values_are_input_errors(annotation, value):
    assert input_error(convert(ingress({"affinity": "cookie", annotation: value})), annotation)


# -- timeouts, retries, buffering, body size ---------------------------------------------------------------------


@pytest.mark.parametrize("annotations, expected", [
    ({"proxy-read-timeout": "300"}, "300s"),
    ({"proxy-read-timeout": "10", "proxy-send-timeout": "90"}, "90s"),
    ({"proxy-send-timeout": "30"}, "60s"),  # the read timeout stays at its 60 s default
    ({"proxy-read-timeout": "200000"}, "55h33m20s"),  # Duration allows at most five digits per unit
])
def test_idle_timeouts_become_the_larger_backend_request_timeout(annotations, expected):
    result = convert(ingress(annotations, paths=[path("/a"), path("/b")]))
    assert [rule["timeouts"] for rule in rules_of(result)] == [{"backendRequest": expected}] * 2
    for name in annotations:
        found = finding(result, "NGX260", name)
        assert "whole" in found.message and expected in found.example


@pytest.mark.parametrize("value", ["60s", "0", "-5", "1.5"])
def test_malformed_timeouts_are_input_errors(value):
    result = convert(ingress({"proxy-read-timeout": value}))
    assert input_error(result, "proxy-read-timeout")


def test_connect_timeout_is_explained():
    result = convert(ingress({"proxy-connect-timeout": "10"}))
    assert codes(result, "proxy-connect-timeout") == ["NGX001"]
    assert "timeouts" not in rules_of(result)[0]


def test_retries():
    result = convert(ingress({"proxy-next-upstream": "error timeout http_502", "proxy-next-upstream-tries": "3",
                              "proxy-next-upstream-timeout": "10"}))
    assert "http_502" in finding(result, "NGX001", "proxy-next-upstream").message
    assert codes(result, "proxy-next-upstream-tries") == ["NGX001"]
    assert codes(result, "proxy-next-upstream-timeout") == ["NGX001"]
    result = convert(ingress({"proxy-next-upstream": "off", "proxy-next-upstream-tries": "1"}))
    assert codes(result, "proxy-next-upstream") == ["NGX261"] and codes(result, "proxy-next-upstream-tries") == ["NGX261"]
    assert input_error(convert(ingress({"proxy-next-upstream": "error http_418"})), "proxy-next-upstream")


def test_buffering_is_explained_and_validated():
    result = convert(ingress({"proxy-request-buffering": "off", "proxy-buffering": "on"}))
    assert codes(result, "proxy-request-buffering") == ["NGX001"] and codes(result, "proxy-buffering") == ["NGX001"]
    assert input_error(convert(ingress({"proxy-buffering": "true"})), "proxy-buffering")


@pytest.mark.parametrize("value, words", [("8m", "8 MiB"), ("512k", "512 KiB"), ("1048576", "1048576 bytes"),
                                          ("0", "any size")])
def test_body_size_limit_is_reported_with_what_changes(value, words):
    found = finding(convert(ingress({"proxy-body-size": value})), "NGX262", "proxy-body-size")
    assert words in found.message and found.example


@pytest.mark.parametrize("value", ["8mb", "1.5m", "big", ""])
def test_malformed_body_size_is_an_input_error(value):
    assert input_error(convert(ingress({"proxy-body-size": value})), "proxy-body-size")


# -- custom-headers -----------------------------------------------------------------------------------------------


def test_custom_headers_from_a_config_map_in_the_input():
    cm = config_map("headers", {"X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'self'",
                                "X-Host": "$hostname", "Server": ""})
    result = convert(cm, ingress({"custom-headers": "shop/headers"}, paths=[path("/a"), path("/b")]))
    for rule in rules_of(result):
        assert filters_of(rule, "ResponseHeaderModifier") == [{"type": "ResponseHeaderModifier", "responseHeaderModifier": {
            "set": [{"name": "Content-Security-Policy", "value": "default-src 'self'"},
                    {"name": "X-Frame-Options", "value": "DENY"}],
            "remove": ["Server"]}}]
    assert codes(result, "custom-headers") == ["NGX280", "NGX282"]
    assert "X-Host" in finding(result, "NGX282", "custom-headers").message


def test_custom_headers_config_map_missing_from_the_input():
    result = convert(ingress({"custom-headers": "platform/headers"}))
    assert codes(result, "custom-headers") == ["NGX281"]
    assert filters_of(rules_of(result)[0], "ResponseHeaderModifier") == []


def test_custom_headers_without_namespace_is_an_input_error():
    result = convert(config_map("headers", {"X-A": "1"}), ingress({"custom-headers": "headers"}))
    assert "namespace/name" in input_error(result, "custom-headers")


def test_custom_headers_merge_into_an_existing_response_header_modifier():
    rule = Rule(filters=[ResponseHeaders(HeaderChange(set=(("x-frame-options", "SAMEORIGIN"), ("X-Keep", "1")),
                                                      remove=("X-Frame-Options",)))])
    headers_module._merge(rule, [("X-Frame-Options", "DENY")], ["Server"])
    assert rule.filters == [ResponseHeaders(HeaderChange(set=(("X-Keep", "1"), ("X-Frame-Options", "DENY")),
                                                         remove=("Server",)))]


# -- CORS ------------------------------------------------------------------------------------------------------------


def cors_of(result) -> dict:
    found = filters_of(rules_of(result)[0], "CORS")
    assert len(found) == 1, found
    return found[0]["cors"]


def test_enable_cors_writes_nginx_defaults_out():
    result = convert(ingress({"enable-cors": "true"}))
    assert cors_of(result) == {
        "allowOrigins": ["*"],
        "allowMethods": ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"],
        "allowHeaders": ["DNT", "Keep-Alive", "User-Agent", "X-Requested-With", "If-Modified-Since", "Cache-Control",
                         "Content-Type", "Range", "Authorization"],
        "allowCredentials": True,
        "maxAge": 1728000,
    }
    assert codes(result, "enable-cors") == ["NGX300"]


def test_cors_annotations_override_the_defaults():
    result = convert(ingress({"enable-cors": "true", "cors-allow-origin": "https://app.example.com, http://localhost:3000",
                              "cors-allow-methods": "GET,post", "cors-allow-headers": "X-Api-Key",
                              "cors-expose-headers": "X-Total", "cors-allow-credentials": "false",
                              "cors-max-age": "60"}))
    assert cors_of(result) == {"allowOrigins": ["https://app.example.com", "http://localhost:3000"],
                               "allowMethods": ["GET", "POST"], "allowHeaders": ["X-Api-Key"],
                               "exposeHeaders": ["X-Total"], "allowCredentials": False, "maxAge": 60}
    for name in ("cors-allow-origin", "cors-allow-methods", "cors-allow-headers", "cors-expose-headers",
                 "cors-allow-credentials", "cors-max-age"):
        assert codes(result, name) == ["NGX300"], name


def test_wildcard_origin_now_matches_any_depth():
    result = convert(ingress({"enable-cors": "true", "cors-allow-origin": "https://*.example.com"}))
    assert cors_of(result)["allowOrigins"] == ["https://*.example.com"]
    assert "a.b.example.com" in finding(result, "NGX301", "cors-allow-origin").example


def test_star_origin_wins_over_the_others_as_in_nginx():
    result = convert(ingress({"enable-cors": "true", "cors-allow-origin": "https://a.example.com, *"}))
    assert cors_of(result)["allowOrigins"] == ["*"]


def test_cors_values_gateway_api_cannot_take_are_adjusted():
    result = convert(ingress({"enable-cors": "true", "cors-allow-methods": "GET, PURGE", "cors-max-age": "0"}))
    assert cors_of(result)["allowMethods"] == ["GET"] and cors_of(result)["maxAge"] == 1
    assert codes(result, "cors-allow-methods") == ["NGX303"] and codes(result, "cors-max-age") == ["NGX303"]


@pytest.mark.parametrize("annotation, value", [
    ("cors-allow-origin", "ftp://files.example.com"), ("cors-allow-origin", "example.com"),
    ("cors-allow-origin", "https://*"), ("cors-allow-origin", "https://a.example.com:99999"),
    ("cors-allow-methods", "GET;POST"), ("cors-allow-headers", "X-A; X-B"), ("cors-max-age", "1d"),
    ("enable-cors", "yes"),
])
def test_malformed_cors_values_are_input_errors(annotation, value):
    result = convert(ingress({"enable-cors": "true", annotation: value}))
    assert input_error(result, annotation)


def test_cors_settings_without_enable_cors_have_no_effect():
    result = convert(ingress({"cors-allow-origin": "https://a.example.com", "enable-cors": "false"}))
    assert codes(result, "cors-allow-origin") == ["NGX302"] and codes(result, "enable-cors") == ["NGX302"]
    assert filters_of(rules_of(result)[0], "CORS") == []


# -- mirror ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target, backend", [
    ("http://shadow.mirror.svc.cluster.local:8080$request_uri", {"name": "shadow", "namespace": "mirror", "port": 8080}),
    ("http://shadow.mirror.svc$request_uri", {"name": "shadow", "namespace": "mirror", "port": 80}),
    ("http://shadow.shop/$request_uri", {"name": "shadow", "port": 80}),
    ("http://shadow:9000$request_uri", {"name": "shadow", "port": 9000}),
])
def test_mirror_target_naming_a_service_becomes_a_request_mirror(target, backend):
    result = convert(ingress({"mirror-target": target}, paths=[path("/a"), path("/b")]))
    for rule in rules_of(result):
        assert filters_of(rule, "RequestMirror") == [{"type": "RequestMirror", "requestMirror": {"backendRef": backend}}]
    assert "Host" in finding(result, "NGX320", "mirror-target").message


def test_mirror_target_over_https_gets_backend_tls():
    result = convert(ingress({"mirror-target": "https://shadow.mirror.svc.cluster.local$request_uri"}))
    assert filters_of(rules_of(result)[0], "RequestMirror")[0]["requestMirror"]["backendRef"]["port"] == 443
    policy = one(result, "BackendTLSPolicy")
    assert policy["metadata"]["namespace"] == "mirror"
    assert policy["spec"]["validation"]["hostname"] == "shadow.mirror.svc.cluster.local"


def test_mirror_target_with_a_fixed_path_says_the_path_changes():
    result = convert(ingress({"mirror-target": "http://shadow.shop.svc:8080/collect"}))
    assert "/collect" in finding(result, "NGX320", "mirror-target").message


@pytest.mark.parametrize("target", ["https://ingest.vendor.example.net$request_uri", "http://$host.mirror$request_uri",
                                    "http://example.com/$request_uri"])
def test_mirror_target_outside_the_cluster_is_not_converted(target):
    result = convert(ingress({"mirror-target": target}))
    assert codes(result, "mirror-target") == ["NGX321"]
    assert filters_of(rules_of(result)[0], "RequestMirror") == []


def test_mirror_settings():
    result = convert(ingress({"mirror-host": "x.example.com", "mirror-request-body": "off"}))
    assert codes(result, "mirror-host") == ["NGX322"] and codes(result, "mirror-request-body") == ["NGX322"]
    result = convert(ingress({"mirror-target": "http://shadow:80$request_uri", "mirror-host": "x",
                              "mirror-request-body": "off"}))
    assert codes(result, "mirror-host") == ["NGX001"] and codes(result, "mirror-request-body") == ["NGX001"]
    result = convert(ingress({"mirror-target": "http://shadow:80$request_uri", "mirror-request-body": "no"}))
    assert input_error(result, "mirror-request-body")


# -- server-alias ----------------------------------------------------------------------------------------------------------


def test_server_alias_adds_host_names():
    result = convert(ingress({"server-alias": "App.Example.org  www.app.example.com,*.legacy.example.com"}))
    assert one(result, "HTTPRoute")["spec"]["hostnames"] == ["app.example.com", "app.example.org",
                                                             "www.app.example.com", "*.legacy.example.com"]
    assert codes(result, "server-alias") == ["NGX340"]


def test_server_alias_on_a_tls_host_gets_an_https_listener_with_the_same_certificate():
    result = convert(ingress({"server-alias": "app.example.org", "ssl-redirect": "false"},
                             tls=[{"hosts": ["app.example.com"], "secretName": "app-tls"}]))
    listener = next(item for item in one(result, "Gateway")["spec"]["listeners"] if item["name"] == "https-app-example-org")
    assert listener["hostname"] == "app.example.org" and listener["protocol"] == "HTTPS"
    assert listener["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "app-tls", "namespace": "shop"}]
    assert "NGX341" in codes(result, "server-alias")


def test_server_alias_that_is_an_ingress_host_is_skipped():
    other = ingress(name="other", host="www.example.com", paths=[path("/", "other")])
    result = convert(ingress({"server-alias": "www.example.com"}), other)
    routes = {r["metadata"]["name"]: r["spec"]["hostnames"] for r in objects(result, "HTTPRoute")}
    assert routes == {"web": ["app.example.com"], "other": ["www.example.com"]}
    assert codes(result, "server-alias") == ["NGX342"]


def test_server_alias_goes_to_the_first_host_in_name_order_only():
    result = convert(ingress({"server-alias": "alias.example.com"}, rules=[
        {"host": "b.example.com", "http": {"paths": [path("/b", "b")]}},
        {"host": "a.example.com", "http": {"paths": [path("/a", "a")]}},
    ]))
    routes = {r["metadata"]["name"]: r["spec"]["hostnames"] for r in objects(result, "HTTPRoute")}
    assert routes == {"web-b-example-com": ["b.example.com"], "web-a-example-com": ["a.example.com", "alias.example.com"]}
    assert "b.example.com" in finding(result, "NGX340", "server-alias").message


def test_malformed_server_alias_is_an_input_error():
    result = convert(ingress({"server-alias": "good.example.com, bad_host!"}))
    assert "bad_host!" in input_error(result, "server-alias")
    assert one(result, "HTTPRoute")["spec"]["hostnames"] == ["app.example.com", "good.example.com"]
