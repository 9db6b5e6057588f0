"""convert --from-cluster and validate --cluster, against the loopback API stand-in
(tests/apiserver_standin.py: the official client talks plain http to 127.0.0.1)."""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from apiserver_standin import ApiServerStandIn
from conftest import CRDS, REPO, require_shared
from migrate import cluster as cluster_mod
from migrate.cluster import ClusterSource
from migrate.discovery import discover
from migrate.engine import Options, run
from migrate.plugin import API_VERSION, Conversion

EXE = shutil.which("gateway-migrate")
CASE = REPO / "fixtures" / "ingress" / "tls-host"


def _meta(name: str, namespace: str | None = None, **extra) -> dict:
    meta = {"name": name, **extra}
    if namespace:
        meta["namespace"] = namespace
    return meta


#: what the stand-in holds; written here in an order unlike the one the cluster is read in
OBJECTS = [
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": _meta("web", "shop", uid="0b7c", resourceVersion="42", creationTimestamp="2024-01-01T00:00:00Z",
                       managedFields=[{"manager": "kubectl", "operation": "Update"}],
                       annotations={"nginx.ingress.kubernetes.io/custom-headers": "shop/web-headers"}),
     "spec": {"ingressClassName": "nginx",
              "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
              "rules": [{"host": "shop.example.com", "http": {"paths": [
                  {"path": "/", "pathType": "Prefix",
                   "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}]},
     "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("shop-tls", "shop"), "type": "kubernetes.io/tls",
     "data": {"tls.crt": "c2VjcmV0", "tls.key": "c2VjcmV0"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": _meta("web", "shop"),
     "spec": {"ports": [{"name": "metrics", "port": 9090}, {"name": "http", "port": 8080}]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("web-headers", "shop"),
     "data": {"X-Frame-Options": "DENY"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": _meta("blog", "blog"),
     "spec": {"ingressClassName": "nginx", "rules": [{"host": "blog.example.com", "http": {"paths": [
         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "blog", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": _meta("blog", "blog"), "spec": {"ports": [{"port": 80}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
     "metadata": _meta("nginx", annotations={"ingressclass.kubernetes.io/is-default-class": "true"}),
     "spec": {"controller": "k8s.io/ingress-nginx"}},
]

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": _meta("widgets.example.com"),
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]},
}


@pytest.fixture
def apiserver():
    server = ApiServerStandIn(copy.deepcopy(OBJECTS)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(apiserver, tmp_path) -> Path:
    """Current context "standin", whose namespace is blog (what applies without -n/-A)."""
    return apiserver.kubeconfig(tmp_path / "kubeconfig", namespace="blog")


def cli(*args: str, cwd: Path | None = None, home: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "migrate", *args]
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KUBECONFIG") and not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def routes(text: str) -> list[dict]:
    return [d for d in docs(text) if d["kind"] == "HTTPRoute"]


def namespaced_requests(server: ApiServerStandIn) -> list[str]:
    """Requests for the namespaced kinds (everything but IngressClasses and CRDs)."""
    return [p for p in server.requests if "ingressclasses" not in p and "customresourcedefinitions" not in p]


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- which namespaces


def test_namespace_flag_converts_only_that_namespace(apiserver, kubeconfig):
    result = cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "-n", "shop")
    assert result.returncode == 0, result.stderr
    assert {r["metadata"]["namespace"] for r in routes(result.stdout)} == {"shop"}
    listed = namespaced_requests(apiserver)
    assert listed and all("/namespaces/shop/" in p for p in listed), listed
    assert any(p.startswith("/apis/networking.k8s.io/v1/namespaces/shop/ingresses") for p in listed)


def test_without_namespace_flags_the_contexts_namespace_is_read(apiserver, kubeconfig):
    result = cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig))
    assert result.returncode == 0, result.stderr
    assert {r["metadata"]["namespace"] for r in routes(result.stdout)} == {"blog"}
    assert all("/namespaces/blog/" in p for p in namespaced_requests(apiserver))


def test_all_namespaces(apiserver, kubeconfig):
    result = cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "-A")
    assert result.returncode == 0, result.stderr
    assert {r["metadata"]["namespace"] for r in routes(result.stdout)} == {"blog", "shop"}
    assert not any("/namespaces/" in p for p in apiserver.requests), apiserver.requests
    assert "0 file(s), 6 document(s): 2 converted, 4 passed through" in result.stderr


def test_namespace_and_all_namespaces_exclude_each_other_and_need_from_cluster(kubeconfig):
    assert cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "-n", "shop", "-A").returncode == 2
    assert cli("convert", "-A", str(CASE / "input.yaml")).returncode == 2
    assert cli("convert", "--context", "standin", str(CASE / "input.yaml")).returncode == 2
    assert cli("validate", "--kubeconfig", str(kubeconfig), str(CASE / "expected.yaml")).returncode == 2


# ---------------------------------------------------------------- same as a file


KUBECTL_ORDER = ["IngressClass", "Ingress", "Service", "ConfigMap"]


def test_output_equals_converting_the_same_objects_from_a_file(apiserver, kubeconfig, tmp_path):
    """The file lists the objects as `kubectl get ingressclasses,ingresses,services,configmaps -A
    -o yaml` would (kinds in that order, each by namespace and name): the order the cluster is read
    in. (The conversion's output order follows its input's.)"""
    live = cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "-A",
               "--report", str(tmp_path / "live.json"))
    ordered = sorted((o for o in OBJECTS if o["kind"] != "Secret"), key=lambda o: (
        KUBECTL_ORDER.index(o["kind"]), o["metadata"].get("namespace", ""), o["metadata"]["name"]))
    assert ordered != [o for o in OBJECTS if o["kind"] != "Secret"]  # the stand-in's store is in another order
    file = tmp_path / "objects.yaml"
    file.write_text(yaml.safe_dump_all(ordered, sort_keys=False))
    offline = cli("convert", str(file), "--report", str(tmp_path / "file.json"))
    assert live.returncode == offline.returncode == 0, live.stderr + offline.stderr
    assert live.stdout == offline.stdout
    # the Service (named port) and the ConfigMap (custom-headers) were read from the cluster
    shop = next(r for r in routes(live.stdout) if r["metadata"]["namespace"] == "shop")
    assert any(b.get("port") == 8080 for rule in shop["spec"]["rules"] for b in rule.get("backendRefs", []))
    assert "X-Frame-Options" in json.dumps(shop)

    def findings(path: Path) -> list[tuple]:
        return sorted((f["code"], f["object"], f["field"], f["message"]) for f in json.loads(path.read_text())["findings"])

    assert findings(tmp_path / "live.json") == findings(tmp_path / "file.json")
    where = {f["object"]: f["file"] for f in json.loads((tmp_path / "live.json").read_text())["findings"]}
    assert where["Ingress/shop/web"] == "cluster:standin/shop/Ingress/web"


def test_object_yaml_is_what_kubectl_prints():
    text = cluster_mod.object_yaml(OBJECTS[0])
    assert "managedFields" not in text
    assert text.splitlines()[:3] == ["apiVersion: networking.k8s.io/v1", "kind: Ingress", "metadata:"]
    assert yaml.safe_load(text) == {**OBJECTS[0], "metadata": {k: v for k, v in OBJECTS[0]["metadata"].items()
                                                               if k != "managedFields"}}


def test_paging_reads_every_page(apiserver, kubeconfig, monkeypatch):
    monkeypatch.setattr(cluster_mod, "PAGE_SIZE", 1)
    result = run(Options((), cluster=ClusterSource(str(kubeconfig), all_namespaces=True), validate=False))
    names = sorted((d.kind, d.data["metadata"]["name"]) for d in result.documents)
    assert names == [("ConfigMap", "web-headers"), ("Ingress", "blog"), ("Ingress", "web"),
                     ("IngressClass", "nginx"), ("Service", "blog"), ("Service", "web")]
    assert any("continue=" in p for p in apiserver.requests)


# ---------------------------------------------------------------- plugin kinds


class VendorPlugin:
    """Asks for one installed and one missing CRD kind, and (wrongly) for Secrets."""

    name = "vendor"
    api_version = API_VERSION
    cluster_kinds = (
        ("example.com", "v1", "widgets", True),
        ("projectcontour.io", "v1", "httpproxies", True),
        ("", "v1", "secrets", True),
        ("secrets.example.com", "v1", "secrets", True),
    )

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    def claims(self, obj, ctx) -> bool:
        return obj.kind == "Widget"

    def convert(self, objs, ctx) -> Conversion:
        for obj in objs:
            self.seen.append((obj.document.origin.file, obj.namespace, obj.name))
            obj.account(("spec",))
        return Conversion()

    def findings(self):
        return []


def test_missing_crd_kind_is_skipped_with_a_note(apiserver, kubeconfig):
    apiserver.add(WIDGET_CRD, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": _meta("w1", "shop"),
                               "spec": {"size": 3}})
    vendor = VendorPlugin()
    result = run(Options((), cluster=ClusterSource(str(kubeconfig), namespace="shop")),
                 plugins=[*discover().plugins, vendor])
    report = result.report
    assert vendor.seen == [("cluster:standin/shop/Widget/w1", "shop", "w1")]
    assert any(p.startswith("/apis/projectcontour.io/v1/namespaces/shop/httpproxies") for p in apiserver.requests)
    skipped = dict(report.skipped)
    assert "not installed" in skipped["cluster:standin/httpproxies.projectcontour.io/v1"]
    assert "skipped: cluster:standin/httpproxies.projectcontour.io/v1: " in report.to_text()
    assert report.input_errors == [] and report.exit_code == 0


# ---------------------------------------------------------------- never Secrets


def test_secrets_are_never_requested(apiserver, kubeconfig):
    assert cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "-A").returncode == 0
    result = run(Options((), cluster=ClusterSource(str(kubeconfig), all_namespaces=True)),
                 plugins=[*discover().plugins, VendorPlugin()])
    refused = [reason for _, reason in result.report.skipped if "never Secrets" in reason]
    assert len(refused) == 2, result.report.skipped
    assert apiserver.requests and any("ingresses" in p for p in apiserver.requests)
    assert not [p for p in apiserver.requests if "secrets" in p.lower()], apiserver.requests


# ---------------------------------------------------------------- validate --cluster


def _gateway_api_crds(channel: str = "standard") -> list[dict]:
    out = []
    for path in sorted(require_shared(CRDS / channel).glob("*.yaml")):
        out += [d for d in yaml.safe_load_all(path.read_text()) if d and d.get("kind") == "CustomResourceDefinition"]
    return out


def _route_with_two_hostnames(tmp_path: Path) -> Path:
    route = next(d for d in docs((CASE / "expected.yaml").read_text()) if d["kind"] == "HTTPRoute")
    route["spec"]["hostnames"] = ["a.example.com", "b.example.com"]
    path = tmp_path / "route.yaml"
    path.write_text(yaml.safe_dump(route))
    return path


def test_validate_against_the_crds_the_cluster_serves(apiserver, kubeconfig, tmp_path):
    apiserver.add(*_gateway_api_crds())
    good = cli("validate", "--cluster", "--kubeconfig", str(kubeconfig), str(CASE / "expected.yaml"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "installed in the cluster of context standin (bundle v1.6.1, channel standard)" in good.stderr
    assert any(p.startswith("/apis/apiextensions.k8s.io/v1/customresourcedefinitions") for p in apiserver.requests)
    route = next(d for d in docs((CASE / "expected.yaml").read_text()) if d["kind"] == "HTTPRoute")
    route["spec"]["rules"][0]["matches"][0]["path"] = {"type": "Exact", "value": "/a//b"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(route))
    result = cli("validate", "--cluster", "--kubeconfig", str(kubeconfig), str(bad))
    assert result.returncode == 1 and "spec.rules[0].matches[0].path" in result.stdout


def test_validate_uses_the_clusters_crds_not_the_packaged_ones(apiserver, kubeconfig, tmp_path):
    crds = _gateway_api_crds()
    httproute = next(c for c in crds if c["spec"]["names"]["kind"] == "HTTPRoute")
    for version in httproute["spec"]["versions"]:
        hostnames = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["hostnames"]
        assert hostnames["maxItems"] == 16
        hostnames["maxItems"] = 1  # this cluster's HTTPRoute allows one hostname
    apiserver.add(*crds)
    route = _route_with_two_hostnames(tmp_path)
    packaged = cli("validate", str(route))
    assert packaged.returncode == 0, packaged.stdout
    installed = cli("validate", "--cluster", "--kubeconfig", str(kubeconfig), str(route))
    assert installed.returncode == 1, installed.stdout + installed.stderr
    assert "spec.hostnames" in installed.stdout


def test_validate_with_no_gateway_api_crds_installed(apiserver, kubeconfig):
    apiserver.add(WIDGET_CRD)
    line = one_line_error(cli("validate", "--cluster", "--kubeconfig", str(kubeconfig), str(CASE / "expected.yaml")))
    assert "no Gateway API CRDs" in line and "standin" in line


# ---------------------------------------------------------------- errors: one line, exit 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", [["convert", "--from-cluster"], ["validate", "--cluster", str(CASE / "expected.yaml")]])
def test_unreachable_server_is_a_one_line_error(apiserver, tmp_path, command):
    kubeconfig = apiserver.kubeconfig(tmp_path / "kc", server=f"http://127.0.0.1:{_closed_port()}")
    line = one_line_error(cli(*command, "--kubeconfig", str(kubeconfig)))
    assert "cannot reach the API server at http://127.0.0.1:" in line and "context standin" in line
    assert apiserver.requests == []


def test_missing_kubeconfig_and_context(kubeconfig, tmp_path):
    missing = one_line_error(cli("convert", "--from-cluster", "--kubeconfig", str(tmp_path / "nope")))
    assert "does not exist" in missing
    default = one_line_error(cli("convert", "--from-cluster", home=tmp_path))
    assert "~/.kube/config does not exist" in default and "--kubeconfig" in default
    context = one_line_error(cli("convert", "--from-cluster", "--kubeconfig", str(kubeconfig), "--context", "prod"))
    assert "context 'prod' is not in kubeconfig" in context and "standin" in context


def test_rejected_credentials_and_forbidden_lists(apiserver, tmp_path):
    apiserver.token = "right"
    wrong = apiserver.kubeconfig(tmp_path / "wrong", token="wrong")
    assert "rejected the credentials of context standin (401" in one_line_error(
        cli("convert", "--from-cluster", "--kubeconfig", str(wrong)))
    right = apiserver.kubeconfig(tmp_path / "right", token="right", namespace="shop")
    assert cli("convert", "--from-cluster", "--kubeconfig", str(right)).returncode == 0
    apiserver.fail["configmaps"] = 403
    line = one_line_error(cli("convert", "--from-cluster", "--kubeconfig", str(right)))
    assert "not allowed to list configmaps/v1 in namespace shop (context standin): 403" in line
