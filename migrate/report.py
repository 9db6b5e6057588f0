"""What a run found, and the one place that decides the exit code.

Exit codes (``Report.exit_code``):
  0  everything converted, no error-level finding;
  1  error-level findings (something could not be carried over, or an access
     control would be lost without --allow-security-downgrade);
  2  usage or input errors (unreadable or invalid input, bad options); input
     errors win over findings, since the output is then incomplete.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from migrate.findings import Finding, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


@dataclass
class Counts:
    files: int = 0
    documents: int = 0
    converted: int = 0
    passthrough: int = 0
    emitted: Counter = field(default_factory=Counter)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    #: one line each, naming file and document
    input_errors: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)
    #: (probes, changed) of the semantic diff, when it was run
    semantic: tuple[int, int] | None = None

    @property
    def exit_code(self) -> int:
        if self.input_errors:
            return EXIT_INPUT
        if any(f.severity is Severity.ERROR for f in self.findings):
            return EXIT_FINDINGS
        return EXIT_OK

    def by_severity(self) -> Counter:
        return Counter(f.severity.value for f in self.findings)

    def summary(self) -> str:
        c, sev = self.counts, self.by_severity()
        emitted = ", ".join(f"{n} {k}" for k, n in sorted(c.emitted.items())) or "nothing"
        return (f"{c.files} file(s), {c.documents} document(s): {c.converted} converted, {c.passthrough} passed through; "
                f"emitted {emitted}; findings: {sev.get('error', 0)} error, {sev.get('warning', 0)} warning, "
                f"{sev.get('info', 0)} info; {len(self.input_errors)} input error(s), {len(self.skipped)} skipped file(s)"
                + (f"; semantic diff: {self.semantic[0]} probes, {self.semantic[1]} changed (see `gateway-migrate diff`)"
                   if self.semantic else ""))

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.source.file, f.source.line or 0, f.source.object, -f.severity.rank, f.code))

    def to_text(self) -> str:
        rows = [("SEVERITY", "CODE", "WHERE", "OBJECT", "FIELD", "MESSAGE")]
        for f in self.sorted_findings():
            msg = f.message + (f" (e.g. {f.example})" if f.example else "") + (" [downgrade accepted]" if f.downgraded else "")
            rows.append((f.severity.value, f.code, f.source.location, f.source.object, f.source.field, msg))
        out = []
        if len(rows) > 1:
            widths = [min(max(len(r[i]) for r in rows), 48) for i in range(5)]
            out = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5] for r in rows]
        out += [f"skipped: {name}: {reason}" for name, reason in self.skipped]
        out += [f"error: {line}" for line in self.input_errors]
        out.append(self.summary())
        return "\n".join(line.rstrip() for line in out) + "\n"

    def to_dict(self) -> dict:
        c = self.counts
        return {
            "exit_code": self.exit_code,
            "summary": {"files": c.files, "documents": c.documents, "converted": c.converted,
                        "passthrough": c.passthrough, "emitted": dict(sorted(c.emitted.items())),
                        "findings": dict(sorted(self.by_severity().items())),
                        "semantic": {"probes": self.semantic[0], "changed": self.semantic[1]} if self.semantic else None},
            "findings": [f.to_dict() for f in self.sorted_findings()],
            "input_errors": list(self.input_errors),
            "skipped": [{"file": n, "reason": r} for n, r in self.skipped],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        lines = ["# gateway-migrate report", "", self.summary(), ""]
        if self.findings:
            lines += ["| severity | code | where | object | field | message |", "|---|---|---|---|---|---|"]
            for f in self.sorted_findings():
                cells = [f.severity.value, f.code, f.source.location, f.source.object, f.source.field,
                         f.message + (f" (e.g. {f.example})" if f.example else "")]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
            lines.append("")
        for title, items in (("Input errors", self.input_errors), ("Skipped files", [f"{n}: {r}" for n, r in self.skipped])):
            if items:
                lines += [f"## {title}", ""] + [f"- {i}" for i in items] + [""]
        return "\n".join(lines)

    def render(self, fmt: str) -> str:
        return {"json": self.to_json, "markdown": self.to_markdown, "text": self.to_text}[fmt]()
