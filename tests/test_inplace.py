"""In-place planning: converted documents replaced where they stood, every other byte kept."""

from __future__ import annotations

from pathlib import Path

import yaml

from migrate.engine import Options, run
from migrate.inplace import plan, unified

SERVICE = """# the web service: keep me exactly as I am
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}   # flow style, odd spacing
spec:
  ports:
  - {name: http, port: 80}
"""

INGRESS = """# Public entry point.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  ingressClassName: public
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              name: http
"""


def make(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "app.yaml"
    path.write_text(text)
    return path


def test_untouched_documents_stay_byte_identical(tmp_path):
    path = make(tmp_path, SERVICE + "---\n" + INGRESS + "---\n" + SERVICE.replace("web", "api"))
    result = run(Options((str(path),)))
    plans = {p.path.name: p for p in plan(result, root=tmp_path)}
    new = plans["app.yaml"].new
    assert new.startswith(SERVICE + "---\n")
    assert new.endswith("---\n" + SERVICE.replace("web", "api"))
    middle = new[len(SERVICE + "---\n"):-len("---\n" + SERVICE.replace("web", "api"))]
    docs = list(yaml.safe_load_all(middle))
    assert [d["kind"] for d in docs] == ["HTTPRoute"]
    assert middle.startswith("# Public entry point.")
    gateways = plans["gateways-gateway-system.yaml"]
    assert gateways.old is None and [d["kind"] for d in yaml.safe_load_all(gateways.new)] == ["Gateway"]


def test_keep_source_keeps_the_ingress_next_to_its_replacement(tmp_path):
    path = make(tmp_path, INGRESS)
    result = run(Options((str(path),)))
    new = {p.path.name: p for p in plan(result, root=tmp_path, keep_source=True)}["app.yaml"].new
    assert new.startswith(INGRESS + "---\n")
    assert [d["kind"] for d in yaml.safe_load_all(new)] == ["Ingress", "HTTPRoute"]


def test_files_without_converted_documents_are_not_planned(tmp_path):
    path = make(tmp_path, SERVICE)
    result = run(Options((str(path),)))
    assert plan(result, root=tmp_path) == []


def test_unified_diff_names_the_files(tmp_path):
    path = make(tmp_path, INGRESS)
    text = unified(plan(run(Options((str(path),))), root=tmp_path), root=tmp_path)
    assert "--- a/app.yaml" in text and "+++ b/app.yaml" in text
    assert "--- /dev/null" in text and "+++ b/gateways-gateway-system.yaml" in text
    assert "-kind: Ingress" in text and "+kind: HTTPRoute" in text
