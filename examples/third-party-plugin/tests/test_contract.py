"""The gateway-migrate contract test kit, run by pytest (same as `gateway-migrate plugins test .`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from migrate.sdk.contract import run_checks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = run_checks(str(ROOT))


@pytest.mark.parametrize("name,ok,detail", RESULTS, ids=[r[0] for r in RESULTS])
def test_contract(name, ok, detail):
    assert ok, f"{name}: {detail}"
