"""Dry-run review: the semantic diff, the files an in-place run would write, and
optionally a structural diff against existing Gateway API objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from migrate.differ import StructuralDiff, structural_diff
from migrate.engine import Result
from migrate.inplace import plan, unified
from migrate.load import load_paths
from migrate.semantics.diff import SemanticDiff, render_markdown, render_text, semantic_diff


@dataclass
class Review:
    semantic: SemanticDiff
    textual: str = ""
    structural: StructuralDiff | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.semantic.changes) or (self.structural is not None and not self.structural.empty)

    def render(self, fmt: str) -> str:
        if fmt == "json":
            data = {"semantic": self.semantic.to_dict(), "files": self.textual,
                    "structural": self.structural.to_dict() if self.structural else None}
            return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if fmt == "markdown":
            out = render_markdown(self.semantic)
            if self.textual:
                out += "\n## Files `convert --in-place` would write\n\n```diff\n" + self.textual + "```\n"
            if self.structural is not None:
                out += "\n## Against existing objects\n\n```\n" + self.structural.render_text() + "```\n"
            return out
        out = render_text(self.semantic)
        if self.textual:
            out += "\nFiles `convert --in-place` would write:\n" + self.textual
        if self.structural is not None:
            out += "\n" + self.structural.render_text()
        return out


def review(result: Result, source: Path, *, converted: Path | None = None, against: Path | None = None,
           textual: bool = True) -> Review:
    errors: list[str] = []
    if converted is not None:
        loaded = load_paths([str(converted)])
        errors += [str(e) for e in loaded.errors]
        objects = [d.data for d in loaded.documents]
    else:
        objects = [o.obj for o in result.objects]
    sources = [d.data for d in result.documents]
    plugin_of = {id(d.data): result.owners[d.origin] for d in result.documents if d.origin in result.owners}
    made_from = {f"{o.obj['kind']} {o.key[1]}/{o.key[2]}": o.source.object for o in result.objects if o.source}
    semantic = semantic_diff(sources, plugin_of, objects, result.report.findings, made_from, plugins=result.plugins)
    textual = ""
    if textual and converted is None and str(source) != "-":
        root = source if source.is_dir() else source.parent
        textual = unified(plan(result, root=root), root=root)
    structural = None
    if against is not None:
        existing = load_paths([str(against)])
        errors += [str(e) for e in existing.errors]
        structural = structural_diff(objects, [d.data for d in existing.documents])
    return Review(semantic, textual, structural, errors)
