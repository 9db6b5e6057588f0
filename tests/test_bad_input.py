"""Bad input: one clear line naming file and document, exit 2, never a traceback,
and the good documents of the same input still converted."""

from __future__ import annotations

import pytest
import yaml

from test_cli import cli, docs

GOOD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: good
  namespace: shop
spec:
  ingressClassName: external
  rules:
  - host: good.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port:
              number: 80
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
)

BAD_DOCUMENTS = {
    "broken-yaml": ("kind: Ingress\nmetadata: {name: x\n  bad: [\n", "document 1"),
    "not-a-mapping": ("- just\n- a list\n", "not a mapping"),
    "missing-fields": ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\nspec:\n  rules:\n"
                       "  - host: a.example.com\n    http:\n      paths:\n      - path: /\n        backend:\n"
                       "          service: {name: s, port: {number: 80}}\n", "pathType is required"),
    "duplicate-keys": ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n", "duplicate"),
    "alias-bomb": (BOMB, "alias"),
}


@pytest.mark.parametrize("name", sorted(BAD_DOCUMENTS))
def test_bad_document_next_to_a_good_one(tmp_path, name):
    bad, fragment = BAD_DOCUMENTS[name]
    path = tmp_path / "mixed.yaml"
    path.write_text(bad + "---\n" + GOOD)
    result = cli("convert", str(path))
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert "mixed.yaml" in errors[0] and fragment.lower() in errors[0].lower(), errors[0]
    assert [d["metadata"]["name"] for d in docs(result.stdout) if d["kind"] == "HTTPRoute"] == ["good"]


def test_helm_template_is_skipped_with_reason(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "ingress.yaml").write_text(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {{ .Values.name }}\n"
        "{{- if .Values.tls }}\nspec: {}\n{{- end }}\n")
    (tmp_path / "good.yaml").write_text(GOOD)
    result = cli("convert", str(tmp_path))
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert "helm template" in err.lower() and "ingress.yaml" in err
    assert [d["metadata"]["name"] for d in docs(result.stdout) if d["kind"] == "HTTPRoute"] == ["good"]


def test_non_utf8_bytes(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n")
    (tmp_path / "good.yaml").write_text(GOOD)
    result = cli("convert", str(tmp_path))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert any("latin1.yaml" in line and "utf-8" in line.lower() for line in err.splitlines() if line.startswith("error:"))
    assert len(docs(result.stdout)) == 2


def test_huge_file_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    (tmp_path / "good.yaml").write_text(GOOD)
    result = cli("convert", str(tmp_path))
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert any("huge.yaml" in line for line in err.splitlines() if line.startswith("error:"))
    assert [d["kind"] for d in docs(result.stdout)] == ["Gateway", "HTTPRoute"]


def test_missing_file(tmp_path):
    result = cli("convert", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2 and b"nope.yaml" in result.stderr and b"Traceback" not in result.stderr


def test_wrong_types_in_an_ingress(tmp_path):
    bad = yaml.safe_load(GOOD)
    bad["spec"]["rules"] = "not a list"
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = cli("convert", str(path))
    assert result.returncode == 2 and b"spec.rules must be a list" in result.stderr
