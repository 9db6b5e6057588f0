"""The command line as a user meets it: installed script, run from anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO

CASE = REPO / "fixtures" / "ingress" / "tls-host"
EXE = shutil.which("gateway-migrate")


def cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "migrate", *args]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(cmd, input=stdin, capture_output=True, cwd=cwd, env=env, timeout=120)


def docs(text: bytes) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def test_convert_from_another_directory_prints_gateway_api(tmp_path):
    """Works from /tmp-like dirs: packaged schemas are found without the checkout."""
    result = cli("convert", str(CASE / "input.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    kinds = [d["kind"] for d in docs(result.stdout)]
    assert kinds == ["Gateway", "HTTPRoute", "ReferenceGrant"]
    assert (CASE / "expected.yaml").read_bytes() == result.stdout


def test_stdin_gives_the_same_output(tmp_path):
    from_file = cli("convert", str(CASE / "input.yaml"), cwd=tmp_path)
    from_stdin = cli("convert", "-", stdin=(CASE / "input.yaml").read_bytes(), cwd=tmp_path)
    assert from_stdin.returncode == 0
    assert from_stdin.stdout == from_file.stdout


def test_python_dash_m_works(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "migrate", "plugins", "list"], capture_output=True, cwd=tmp_path,
                            env=env, timeout=60)
    assert result.returncode == 0
    assert b"ingress-nginx" in result.stdout and b"ingress (fallback)" in result.stdout


def test_json_output_is_a_list(tmp_path):
    result = cli("convert", "-o", "json", str(CASE / "input.yaml"), cwd=tmp_path)
    data = json.loads(result.stdout)
    assert data["kind"] == "List" and [i["kind"] for i in data["items"]] == ["Gateway", "HTTPRoute", "ReferenceGrant"]


def test_out_dir_layout(tmp_path):
    out = tmp_path / "out"
    result = cli("convert", str(CASE / "input.yaml"), "--out-dir", str(out))
    assert result.returncode == 0 and result.stdout == b""
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.yaml"))
    assert files == ["gateway-system/gateway-external.yaml", "shop/httproute-storefront.yaml",
                     "shop/referencegrant-gateway-migrate-secrets.yaml"]


@pytest.mark.parametrize("fmt,probe", [("json", '"findings"'), ("markdown", "| severity |"), ("text", "SEVERITY")])
def test_report_file(tmp_path, fmt, probe):
    report = tmp_path / "report"
    cli("convert", str(REPO / "fixtures/ingress/implementation-specific/input.yaml"), "--report", str(report),
        "--report-format", fmt)
    text = report.read_text()
    assert probe in text and "ING001" in text


def test_findings_table_on_stderr():
    result = cli("convert", str(REPO / "fixtures/ingress/wildcard-host/input.yaml"))
    err = result.stderr.decode()
    assert "ING002" in err and "input.yaml:" in err and "a.b.example.com" in err
    assert "1 converted" in err.splitlines()[-1]


def test_error_findings_exit_1_and_downgrade_exits_0():
    case = REPO / "fixtures" / "ingress-nginx" / "annotations-security" / "input.yaml"
    closed = cli("convert", str(case))
    assert closed.returncode == 1 and b"NGX002" in closed.stderr
    opened = cli("convert", str(case), "--allow-security-downgrade")
    assert opened.returncode == 0
    assert b"NGX002" in opened.stderr and b"downgrade accepted" in opened.stderr and b"GM010" in opened.stderr


def test_usage_errors_exit_2():
    assert cli("convert").returncode == 2
    assert cli("convert", "--provider", "nope", str(CASE / "input.yaml")).returncode == 2
    assert cli("convert", "--gateway", "no-slash", str(CASE / "input.yaml")).returncode == 2


def test_unknown_kinds_pass_through_and_are_counted(tmp_path):
    result = cli("convert", str(REPO / "fixtures/ingress/passthrough-kinds/input.yaml"))
    assert result.returncode == 0
    assert "Deployment" not in [d["kind"] for d in docs(result.stdout)]
    assert b"3 passed through" in result.stderr


def test_validate_command(tmp_path):
    good = cli("validate", str(CASE / "expected.yaml"))
    assert good.returncode == 0, good.stdout.decode()
    route = next(d for d in docs((CASE / "expected.yaml").read_bytes()) if d["kind"] == "HTTPRoute")
    route["spec"]["rules"][0]["matches"][0]["path"] = {"type": "Exact", "value": "/a//b"}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(route))
    result = cli("validate", str(bad))
    assert result.returncode == 1
    assert b"spec.rules[0].matches[0].path" in result.stdout


def test_diff_on_an_unchanged_reconversion_exits_0(tmp_path):
    case = REPO / "fixtures" / "ingress" / "exact-and-prefix"
    result = cli("diff", str(case / "input.yaml"), str(case / "expected.yaml"))
    assert result.returncode == 0, result.stdout.decode()
    assert b"0 change behaviour" in result.stdout


@pytest.mark.parametrize("breakage,request_", [
    (lambda rules: rules[2]["matches"][0]["path"].update(type="Exact"), "GET http://api.example.com/v1/"),
    (lambda rules: rules[0]["backendRefs"][0].update(name="api-v1"), "GET http://api.example.com/healthz"),
])
def test_diff_on_a_hand_broken_output_exits_1_and_names_the_request(tmp_path, breakage, request_):
    case = REPO / "fixtures" / "ingress" / "exact-and-prefix"
    objects = docs((case / "expected.yaml").read_bytes())
    route = next(o for o in objects if o["kind"] == "HTTPRoute")
    breakage(route["spec"]["rules"])
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump_all(objects))
    result = cli("diff", str(case / "input.yaml"), str(broken), "--format", "json")
    assert result.returncode == 1
    changed = [c["request"] for c in json.loads(result.stdout)["semantic"]["changes"]]
    assert any(r.startswith(request_) for r in changed), changed


def test_diff_against_existing_objects(tmp_path):
    case = REPO / "fixtures" / "ingress" / "tls-host"
    same = cli("diff", str(case / "input.yaml"), "--against", str(case / "expected.yaml"))
    assert same.returncode == 0 and b"0 added, 0 removed, 0 changed" in same.stdout
    objects = docs((case / "expected.yaml").read_bytes())
    objects[1]["spec"]["rules"][0]["backendRefs"][0]["port"] = 9999
    other = tmp_path / "existing.yaml"
    other.write_text(yaml.safe_dump_all(objects))
    changed = cli("diff", str(case / "input.yaml"), "--against", str(other))
    assert changed.returncode == 1 and b"9999 -> 8080" in changed.stdout


def test_convert_reports_the_semantic_summary(tmp_path):
    report = tmp_path / "r.json"
    result = cli("convert", str(REPO / "fixtures/ingress/wildcard-host/input.yaml"), "--report", str(report))
    assert b"semantic diff: 16 probes, 2 changed" in result.stderr
    assert json.loads(report.read_text())["summary"]["semantic"] == {"probes": 16, "changed": 2}
