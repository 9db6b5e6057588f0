"""Test kit for plugin authors (and our own fixture tests).

A fixture is a folder ``fixtures/<plugin>/<case>/`` with:

``input.yaml``
    what the user has;
``args`` (optional)
    command-line flags for ``convert``, one line;
``expected.yaml``
    the exact output, comments included (reviewed by a person against the spec);
``findings.yaml``
    ``exit_code``, the ``findings`` as ``{code, object, field}``, and ``input_errors``
    as substrings;
``semantic.yaml``
    the expected semantic diff: every probe request whose outcome changes, before and
    after, and the findings of the object that explain it (often empty).

``run_case`` converts the input exactly as ``gateway-migrate convert`` would, and
``check_case`` compares; ``write_case`` regenerates expectations for review.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml

from migrate.engine import Options, Result, run
from migrate.write import render


@dataclass(frozen=True)
class Case:
    plugin: str
    name: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.plugin}/{self.name}"


def discover_cases(root: Path) -> list[Case]:
    return [
        Case(plugin.name, case.name, case)
        for plugin in sorted(p for p in root.iterdir() if p.is_dir())
        for case in sorted(c for c in plugin.iterdir() if c.is_dir())
    ]


def options_for(case_dir: Path) -> Options:
    """The Options that ``gateway-migrate convert input.yaml <args>`` builds: the command parses them."""
    from migrate.cli import options_from_args

    args_file = case_dir / "args"
    args = shlex.split(args_file.read_text()) if args_file.exists() else []
    return options_from_args([*args, str(case_dir / "input.yaml")])


def run_case(case_dir: Path, plugins: Sequence[Any] | None = None) -> Result:
    """Convert the case as the CLI would; ``plugins`` replaces the installed ones (plugin authors' kit)."""
    return run(options_for(case_dir), plugins=plugins)


def findings_of(result: Result, case_dir: Path) -> dict:
    """The findings document as stored in findings.yaml (paths relative to the case)."""
    prefix = str(case_dir) + "/"
    return {
        "exit_code": result.report.exit_code,
        "findings": [
            {"code": f.code, "object": f.source.object, "field": f.source.field}
            for f in result.report.sorted_findings()
        ],
        "input_errors": [e.replace(prefix, "") for e in result.report.input_errors],
    }


def semantic_of(result: Result, case_dir: Path) -> dict:
    """The expected-semantic-diff document stored in semantic.yaml."""
    from migrate.review import review

    diff = review(result, case_dir / "input.yaml", textual=False).semantic
    return {"probes": diff.probes, "changes": [
        {"object": c.object, "request": str(c.request), "before": c.before.summary(), "after": c.after.summary(),
         "findings": list(c.explained_by)} for c in diff.changes]}


def output_of(result: Result) -> str:
    return render(result.objects, "yaml") if result.objects else ""


def check_case(case_dir: Path, plugins: Sequence[Any] | None = None, *, result: Result | None = None,
               semantic: dict | None = None) -> list[str]:
    """Differences between what the case expects and what conversion gives ([] = pass).
    ``result`` and ``semantic``, when given, are this case's :func:`run_case` and
    :func:`semantic_of` (a test suite that asks several questions of one case converts once)."""
    result = result if result is not None else run_case(case_dir, plugins)
    problems = []
    expected_out = (case_dir / "expected.yaml").read_text()
    actual_out = output_of(result)
    if actual_out != expected_out:
        problems.append("output differs from expected.yaml:\n" + _diff(expected_out, actual_out))
    expected = yaml.safe_load((case_dir / "findings.yaml").read_text()) or {}
    actual = findings_of(result, case_dir)
    if actual["exit_code"] != expected.get("exit_code", 0):
        problems.append(f"exit code {actual['exit_code']}, expected {expected.get('exit_code', 0)}")
    want = sorted(_key(f) for f in expected.get("findings") or [])
    got = sorted(_key(f) for f in actual["findings"])
    if want != got:
        problems.append(f"findings differ:\n  missing: {sorted(set(want) - set(got))}\n  unexpected: {sorted(set(got) - set(want))}")
    for fragment in expected.get("input_errors") or []:
        if not any(fragment in e for e in actual["input_errors"]):
            problems.append(f"no input error contains {fragment!r}; got {actual['input_errors']}")
    semantic_file = case_dir / "semantic.yaml"
    if semantic_file.exists():
        want_sem = yaml.safe_load(semantic_file.read_text()) or {}
        got_sem = semantic if semantic is not None else semantic_of(result, case_dir)
        if want_sem.get("changes") != got_sem["changes"]:
            problems.append("semantic diff differs from semantic.yaml:\n" + _diff(
                yaml.safe_dump(want_sem.get("changes"), sort_keys=False, width=200),
                yaml.safe_dump(got_sem["changes"], sort_keys=False, width=200)))
    if len(expected.get("input_errors") or []) != len(actual["input_errors"]):
        problems.append(f"input errors: expected {expected.get('input_errors')}, got {actual['input_errors']}")
    return problems


def write_case(case_dir: Path, plugins: Sequence[Any] | None = None) -> None:
    """Regenerate expected.yaml and findings.yaml; review the diff before committing."""
    result = run_case(case_dir, plugins)
    (case_dir / "expected.yaml").write_text(output_of(result))
    (case_dir / "findings.yaml").write_text(yaml.safe_dump(findings_of(result, case_dir), sort_keys=False, width=200))
    (case_dir / "semantic.yaml").write_text(yaml.safe_dump(semantic_of(result, case_dir), sort_keys=False, width=200))


def _key(f: dict) -> tuple[str, str, str]:
    return (str(f.get("code")), str(f.get("object", "")), str(f.get("field", "")))


def _diff(a: str, b: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), "expected", "actual"))
