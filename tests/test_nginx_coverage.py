"""Issue acceptance: every ingress-nginx annotation has a handler, and a fixture exercises it.

Together with tests/test_engine.py's ablation test (each annotation on each fixture is
named in a finding, is the documented default, or removing it changes the output),
this proves every catalog annotation is converted or explained, never dropped.
"""

from __future__ import annotations

import importlib

import pytest
import yaml

from conftest import REPO
from migrate.mapping_table import load_table

TABLE = load_table("ingress-nginx")
ENTRIES = {**TABLE.annotations, **TABLE.legacy}


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_handler_exists(name):
    module, function = ENTRIES[name].handler.split(".")
    handler = getattr(importlib.import_module(f"migrate.plugins.ingress_nginx.{module}"), function, None)
    assert callable(handler), f"{name}: handler {ENTRIES[name].handler} is not implemented"


def fixture_annotations() -> set[str]:
    found = set()
    for path in (REPO / "fixtures" / "ingress-nginx").glob("*/input.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            for obj in (doc.get("items", [doc]) if doc else []):
                for key in ((obj.get("metadata") or {}).get("annotations") or {}):
                    if key.startswith(TABLE.prefix):
                        found.add(key[len(TABLE.prefix):])
    return found


def test_every_annotation_is_exercised_by_a_fixture():
    missing = sorted(set(ENTRIES) - fixture_annotations())
    assert not missing, f"no fixture uses: {missing}"


def test_every_annotation_at_once_through_the_cli(tmp_path):
    """Acceptance: finishes, names each annotation in output or findings, exits 1 for the
    security ones; with --allow-security-downgrade exits 0 and still warns."""
    from test_cli import cli

    case = REPO / "fixtures" / "ingress-nginx" / "all-annotations" / "input.yaml"
    report = tmp_path / "report.json"
    closed = cli("convert", str(case), "--report", str(report))
    assert closed.returncode == 1, closed.stderr.decode()[-2000:]
    import json

    data = json.loads(report.read_text())
    named = {f["field"] for f in data["findings"]} | {line for line in data["input_errors"]}
    output = closed.stdout.decode()
    written = yaml.safe_load_all(case.read_text())
    annotations = next(d for d in written if d and d["kind"] == "Ingress")["metadata"]["annotations"]
    assert len([k for k in annotations if k.startswith(TABLE.prefix)]) == 138
    for key in annotations:
        assert f"metadata.annotations[{key}]" in named or key in output, f"{key} is named nowhere"
    security = {f["code"] for f in data["findings"] if f["severity"] == "error"}
    assert security == {"NGX002"}
    opened = cli("convert", str(case), "--allow-security-downgrade")
    assert opened.returncode == 0
    assert b"NGX002" in opened.stderr and b"downgrade accepted" in opened.stderr
