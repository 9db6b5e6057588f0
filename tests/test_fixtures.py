"""Every fixtures/<plugin>/<case>/ converts to its reviewed expectation.

Regenerate with `pytest tests/test_fixtures.py --regen`, then read the diff
against the spec before committing: a golden file nobody read is not a test.
"""

from __future__ import annotations

import functools

import pytest

from conftest import CRDS, REPO, require_shared
from migrate.testing import check_case, discover_cases, run_case, semantic_of, write_case

CASES = discover_cases(REPO / "fixtures")


@functools.lru_cache(maxsize=None)
def converted(path):
    """Each case is converted (and its semantic diff computed) once for the three tests below:
    the conversion does not depend on the expectation files --regen rewrites."""
    result = run_case(path)
    return result, semantic_of(result, path)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case, request):
    if request.config.getoption("--regen"):
        write_case(case.path)
    for name in ("input.yaml", "expected.yaml", "findings.yaml"):
        assert (case.path / name).exists(), f"{case.id}: {name} missing (run with --regen, then review)"
    result, semantic = converted(case.path)
    problems = check_case(case.path, result=result, semantic=semantic)
    assert not problems, f"{case.id}:\n" + "\n".join(problems)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_output_accepted_by_upstream_crds(case, upstream_validator):
    """The real v1.6.1 CRDs (schema with defaults, every CEL rule) accept the output."""
    result, _ = converted(case.path)
    problems = [str(v) for item in result.objects for v in upstream_validator.validate(item.obj)]
    assert not problems, "\n".join(problems)


def test_there_are_enough_fixtures():
    assert len([c for c in CASES if c.plugin == "ingress"]) >= 20


@pytest.fixture(scope="session")
def upstream_validator():
    from migrate.validate import Validator

    standard = require_shared(CRDS / "standard")
    return Validator.from_crd_files(sorted(p for p in standard.glob("gateway.networking.k8s.io_*.yaml") if "vap_" not in p.name))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_behaviour_change_is_explained_by_a_finding(case):
    """No silent change: each request that behaves differently belongs to an object with a
    finding that says its behaviour changes (or that something was not carried over)."""
    result, semantic = converted(case.path)
    telling = {f.source.object for f in result.report.findings
               if f.outcome.value in ("converted-with-change", "not-converted", "converted-to-extension")}
    unexplained = [c for c in semantic["changes"] if c["object"] not in telling]
    assert not unexplained, "\n".join(f"{c['request']}: {c['before']} -> {c['after']} ({c['object'] or 'no object'})"
                                      for c in unexplained)
