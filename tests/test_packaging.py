"""The wheel must carry every subpackage: tests run from the checkout would not notice."""

from __future__ import annotations

import tomllib

from conftest import REPO


def test_every_subpackage_is_listed_in_pyproject():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "migrate").rglob("__init__.py")}
    assert found - listed == set(), f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - listed)}"


def test_kubectl_plugin_and_pre_commit_hook_are_declared():
    import yaml

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["kubectl-gateway_migrate"] == scripts["gateway-migrate"] == "migrate.cli:main"
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"].endswith("--in-place --check") and hook["pass_filenames"] is False
