"""Shared test helpers: where the repository and ../shared are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CRDS = SHARED / "gateway-api-crds" / "v1.6.1"
CONFORMANCE = SHARED / "conformance-expectations"


def require_shared(path: Path) -> Path:
    """Skip, saying why, when ../shared is not beside the checkout (CI always has it)."""
    if not path.exists():
        pytest.skip(f"{path} is absent: these tests need ../shared beside the checkout")
    return path


def pytest_addoption(parser):
    parser.addoption("--regen", action="store_true", help="rewrite fixture expectations (then review them!)")
