"""The plugin SDK: `plugins new` writes a package that installs, is discovered and passes
`plugins test`; the example third-party plugin does too; broken plugins fail, naming the check.

Installing into the shared venv would change what every other test discovers, so the
packages go into a throwaway venv that sees this one's site-packages (gateway-migrate and
its dependencies, no network) and runs `python -m migrate` (the same main() as the script).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import REPO
from migrate.sdk import contract

EXE = shutil.which("gateway-migrate")
EXAMPLE = REPO / "examples" / "third-party-plugin"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def run(cmd: list[str], cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=ENV, timeout=timeout)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return run([EXE, *args] if EXE else [sys.executable, "-m", "migrate", *args], cwd)


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv layered on this one (a .pth adds its site-packages), able to build offline."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=60)
    python = root / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root).stdout.strip()
    base = sysconfig.get_paths()["purelib"]
    Path(site, "_gateway_migrate_base.pth").write_text(f"import site; site.addsitedir({base!r})\n")
    # setuptools < 70 needs the `wheel` package for bdist_wheel; --no-build-isolation will not fetch it
    if run([str(python), "-c", "import setuptools.command.bdist_wheel"], root).returncode != 0 and \
            run([str(python), "-c", "import wheel"], root).returncode != 0:
        got = run([str(python), "-m", "pip", "install", "--no-deps", "wheel"], root)
        if got.returncode != 0:
            pytest.skip("the base venv's setuptools cannot build a wheel without the `wheel` package, and pip "
                        f"could not install it from the configured (offline) indexes: {got.stderr[-300:]}")
    return python


def pip_install(python: Path, package: Path) -> None:
    got = run([str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(package)], package.parent)
    assert got.returncode == 0, got.stdout[-2000:] + got.stderr[-2000:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scaffold")
    got = cli("plugins", "new", "demo", "--dir", str(out), cwd=out)
    assert got.returncode == 0, got.stderr
    return out / "demo"


def test_new_writes_the_package(demo):
    files = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files == {
        "pyproject.toml", "README.md", "gm_demo/__init__.py", "gm_demo/handlers.py", "gm_demo/demo.yaml",
        "tests/test_contract.py", "fixtures/demo/strip-prefix/input.yaml", "fixtures/demo/strip-prefix/args",
        "fixtures/demo/strip-prefix/expected.yaml", "fixtures/demo/strip-prefix/findings.yaml",
        "fixtures/demo/strip-prefix/semantic.yaml"}
    text = (demo / "pyproject.toml").read_text()
    assert 'name = "gateway-migrate-demo"' in text and '"gateway-migrate"' in text
    assert '[project.entry-points."gateway_migrate.plugins"]\ndemo = "gm_demo:DemoPlugin"' in text
    assert "#" in (demo / "fixtures/demo/strip-prefix/input.yaml").read_text()
    # public API only
    imports = {line.split()[1] for f in ("__init__.py", "handlers.py")
               for line in (demo / "gm_demo" / f).read_text().splitlines() if line.startswith("from migrate")}
    assert imports <= {"migrate.plugin", "migrate.findings", "migrate.ir", "migrate.plugins.ingress.convert"}


def test_new_refuses_to_overwrite(demo):
    got = cli("plugins", "new", "demo", "--dir", str(demo.parent), cwd=demo.parent)
    assert got.returncode == 2
    assert got.stderr.count("\n") == 1 and "already exists" in got.stderr


def test_scaffold_installs_is_discovered_and_passes(venv, demo, tmp_path):
    copy = tmp_path / "demo"  # pip builds in the source tree: keep the scaffold itself clean
    shutil.copytree(demo, copy)
    pip_install(venv, copy)
    listed = run([str(venv), "-m", "migrate", "plugins", "list"], tmp_path)
    assert listed.returncode == 0 and "\ndemo: " in "\n" + listed.stdout, listed.stdout + listed.stderr
    tested = run([str(venv), "-m", "migrate", "plugins", "test", str(demo)], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    lines = tested.stdout.splitlines()
    assert lines[0] == "PASS loads: entry point demo = gm_demo:DemoPlugin (installed)"
    assert lines[-1] == "10 passed, 0 failed" and all(line.startswith("PASS ") for line in lines[:-1])
    # and the installed name works as PATH too (fixtures found beside the module only in a checkout)
    by_name = run([str(venv), "-m", "migrate", "plugins", "test", "demo"], tmp_path)
    assert "PASS loads: entry point demo" in by_name.stdout


def test_example_plugin_installs_passes_and_converts(venv, tmp_path):
    copy = tmp_path / "third-party-plugin"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    pip_install(venv, copy)
    listed = run([str(venv), "-m", "migrate", "plugins", "list"], tmp_path)
    assert "\nacme-ingress: " in "\n" + listed.stdout
    tested = run([str(venv), "-m", "migrate", "plugins", "test", str(EXAMPLE)], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.splitlines()[0].startswith("PASS loads: entry point acme-ingress")
    assert len(list((EXAMPLE / "fixtures" / "acme-ingress").iterdir())) == 3
    case = EXAMPLE / "fixtures" / "acme-ingress" / "exact-path-and-typo"
    args = shlex.split((case / "args").read_text())
    converted = run([str(venv), "-m", "migrate", "convert", str(case / "input.yaml"), *args], tmp_path)
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout == (case / "expected.yaml").read_text()
    assert "ACME002" in converted.stderr


def _undeclared(pkg: Path) -> None:
    init = pkg / "gm_demo" / "__init__.py"
    init.write_text(init.read_text().replace("    def claims(", "    def helper(self):\n        return 1\n\n    def claims("))


def _api_version(pkg: Path) -> None:
    init = pkg / "gm_demo" / "__init__.py"
    init.write_text(init.read_text().replace("api_version = API_VERSION", "api_version = 2"))


def _wrong_expected(pkg: Path) -> None:
    expected = pkg / "fixtures" / "demo" / "strip-prefix" / "expected.yaml"
    expected.write_text(expected.read_text().replace("replacePrefixMatch: /", "replacePrefixMatch: /v2"))


def _vanishing(pkg: Path) -> None:
    handlers = pkg / "gm_demo" / "handlers.py"
    handlers.write_text(handlers.read_text().replace(
        "    conv.ctx.report(NOT_CONVERTED, obj, _path(key), f\"{key}: {entry['note']}\")", "    obj.account(_path(key))"))


def _bad_handler(pkg: Path) -> None:
    table = pkg / "gm_demo" / "demo.yaml"
    table.write_text(table.read_text().replace("handler: handlers.explain", "handler: handlers.explained"))


@pytest.mark.parametrize("breakage,check", [
    (_undeclared, "FAIL no undeclared members: not in the contract: helper"),
    (_api_version, "FAIL api_version: 2"),
    (_wrong_expected, "FAIL fixtures: strip-prefix: output differs from expected.yaml"),
    (_vanishing, "FAIL no annotation vanishes: strip-prefix: Ingress/shop/catalog: demo.example.com/buffer-size"),
    (_bad_handler, "FAIL mapping table: demo.yaml: buffer-size: handler handlers.explained"),
], ids=lambda v: getattr(v, "__name__", "")[1:] or None)
def test_broken_plugin_fails_naming_the_check(demo, tmp_path, breakage, check):
    broken = tmp_path / "demo"
    shutil.copytree(demo, broken, ignore=shutil.ignore_patterns("__pycache__"))
    breakage(broken)
    got = cli("plugins", "test", str(broken), cwd=tmp_path)  # not installed: imported by path
    assert got.returncode == 1, got.stdout + got.stderr
    assert any(line.startswith(check) for line in got.stdout.splitlines()), got.stdout
    passed, failed = got.stdout.splitlines()[-1].split(", ")
    assert passed.endswith(" passed") and failed.endswith(" failed") and failed != "0 failed"


def test_checks_return_name_ok_detail():
    """Checks are plain functions (name, ok, detail); a built-in plugin (the smallest, smi)
    passes every one of them, as an outside plugin must."""
    results = contract.run_checks("smi")
    assert all(isinstance(r, tuple) and len(r) == 3 for r in results)
    assert [name for name, _, _ in results] == ["loads", "contract members", "api_version", "no undeclared members",
                                                "finding codes", "public API only", "mapping table", "fixtures",
                                                "output valid against CRDs", "no annotation vanishes"]
    failed = [(name, detail) for name, ok, detail in results if not ok]
    assert not failed, failed


def test_a_plugin_using_core_codes_fails():
    from migrate.findings import spec

    class Bad:
        name, api_version = "bad", 1

        def claims(self, obj, ctx):
            return False

        def convert(self, objs, ctx):
            return None

        def findings(self):
            return (spec("GM900", "warning", "note", "x"), spec("GM900", "warning", "note", "x"))

    name, ok, detail = contract.check_findings(contract.Target("bad", plugin=Bad()))
    assert (name, ok) == ("finding codes", False) and "GM900" in detail


def test_public_api_check_names_internal_imports(tmp_path, monkeypatch):
    from migrate.sdk.contract import public_api_problems

    pkg = tmp_path / "gm_leaky"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from migrate.plugin import API_VERSION\nfrom gm_leaky import rules\n")
    (pkg / "rules.py").write_text("import os\nfrom migrate.engine import run\nimport migrate.validate.cel\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert public_api_problems("gm_leaky") == ["rules.py:2: imports migrate.engine",
                                               "rules.py:3: imports migrate.validate.cel"]
