"""In-place conversion of a GitOps repository: the user's files are sacred."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from test_cli import cli

DEPLOYMENT = """# {name}: the app itself
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
spec:
  replicas: 2   # two is enough
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: app
        image: "registry.example.com/{name}:1.2.3"
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  ports:
  - name: http
    port: 80
"""

INGRESS = """# Public entry for {name}.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  rules:
  - host: {name}.example.com
    http:
      paths:
      # the whole site
      - path: /
        pathType: Prefix
        backend:
          service:
            name: {name}
            port:
              name: http
"""

KUSTOMIZATION = """# kustomize entry point: keep this comment
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- app-0.yaml   # the first app
- app-1.yaml
"""

HELM = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .Release.Name }}
spec:
{{- if .Values.tls }}
  tls: []
{{- end }}
"""


def build_repo(tmp_path: Path) -> tuple[Path, Path]:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret-ingress.yaml").write_text(INGRESS.format(name="outside", ns="x"))
    for i in range(48):
        ns = f"team-{i % 4}"
        folder = repo / ns
        folder.mkdir(parents=True, exist_ok=True)
        name = f"app-{i}"
        if i % 3 == 0:  # app with an Ingress, a Service and a Deployment in one file
            text = DEPLOYMENT.format(name=name, ns=ns) + "---\n" + SERVICE.format(name=name, ns=ns) + "---\n" \
                + INGRESS.format(name=name, ns=ns)
        elif i % 3 == 1:
            text = INGRESS.format(name=name, ns=ns) + "---\n" + SERVICE.format(name=name, ns=ns)
        else:
            text = DEPLOYMENT.format(name=name, ns=ns)
        (folder / f"{name}.yaml").write_text(text)
    (repo / "team-0" / "kustomization.yaml").write_text(KUSTOMIZATION)
    (repo / "kustomization.yaml").write_text(KUSTOMIZATION.replace("app-0.yaml", "team-0").replace("app-1.yaml", "team-1"))
    (repo / "charts").mkdir()
    (repo / "charts" / "ingress.yaml").write_text(HELM)
    os.symlink(outside / "secret-ingress.yaml", repo / "team-1" / "linked.yaml")
    os.symlink(outside, repo / "linked-dir")
    assert len([p for p in repo.rglob("*.yaml")]) >= 50
    return repo, outside


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def test_in_place_repo_conversion(tmp_path):
    from migrate.validate import Validator

    repo, outside = build_repo(tmp_path)
    before, before_outside = snapshot(repo), snapshot(outside)

    check = cli("convert", str(repo), "--in-place", "--check")
    assert check.returncode == 1, check.stderr.decode()
    assert snapshot(repo) == before, "--check wrote something"

    first = cli("convert", str(repo), "--in-place")
    err = first.stderr.decode()
    assert first.returncode == 0, err
    assert "Traceback" not in err
    after = snapshot(repo)
    assert snapshot(outside) == before_outside, "something was written outside the target"
    assert "helm template" in err.lower() and "charts/ingress.yaml" in err
    assert "linked.yaml" in err and "linked-dir" in err  # symlinks out of the target: skipped, said so
    assert "files changed" in err and "objects converted" in err

    validator = Validator.packaged()
    for name, data in after.items():
        if name.startswith("charts/"):
            assert data == before[name]
            continue
        docs = [d for d in yaml.safe_load_all(data) if d]
        if name in before and not any(d.get("kind") == "Ingress" for d in yaml.safe_load_all(before[name]) if d) \
                and name != "kustomization.yaml":
            assert data == before[name], f"{name} had no Ingress and must be byte-identical"
        for doc in docs:
            assert doc.get("kind") != "Ingress", f"{name} still holds an Ingress"
            if doc.get("apiVersion", "").startswith("gateway.networking.k8s.io/"):
                assert validator.validate(doc) == [], (name, doc["metadata"])
    converted = after["team-0/app-0.yaml"].decode()
    original = before["team-0/app-0.yaml"].decode()
    untouched = original.split("---\n")[:2]  # the Deployment and the Service documents
    assert converted.startswith("---\n".join(untouched) + "---\n"), "untouched documents must keep their bytes"
    assert "# Public entry for app-0." in converted and "# the whole site" in converted
    assert "kind: HTTPRoute" in converted
    assert "gateways-gateway-system.yaml" in after
    assert after["team-0/kustomization.yaml"] == before["team-0/kustomization.yaml"]  # no new file beside it
    kustomization = after["kustomization.yaml"].decode()
    assert "# kustomize entry point: keep this comment" in kustomization and "# the first app" in kustomization
    assert yaml.safe_load(kustomization)["resources"] == ["team-0", "team-1", "gateways-gateway-system.yaml"]

    second = cli("convert", str(repo), "--in-place")
    assert second.returncode == 0, second.stderr.decode()
    assert snapshot(repo) == after, "a second run must change nothing"
    assert cli("convert", str(repo), "--in-place", "--check").returncode == 0


def test_keep_source_is_idempotent(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.yaml").write_text(INGRESS.format(name="web", ns="shop") + "---\n" + SERVICE.format(name="web", ns="shop"))
    assert cli("convert", str(repo), "--in-place", "--keep-source").returncode == 0
    once = snapshot(repo)
    kinds = [d["kind"] for d in yaml.safe_load_all(once["app.yaml"]) if d]
    assert kinds == ["Ingress", "HTTPRoute", "Service"]
    assert cli("convert", str(repo), "--in-place", "--keep-source").returncode == 0
    assert snapshot(repo) == once


def test_bad_input_writes_nothing(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "good.yaml").write_text(INGRESS.format(name="web", ns="shop"))
    (repo / "bad.yaml").write_text("kind: [unclosed\n")
    before = snapshot(repo)
    result = cli("convert", str(repo), "--in-place")
    assert result.returncode == 2 and b"nothing written" in result.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize("args", [["--keep-source"], ["--check"], ["--in-place", "-"]])
def test_in_place_usage_errors(tmp_path, args):
    assert cli("convert", *args, str(tmp_path)).returncode == 2
