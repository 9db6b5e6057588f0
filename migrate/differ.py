"""Structural diff: the conversion against Gateway API objects that already exist.

Both sides are normalised first, so only meaningful changes show: API server
defaults filled in (the validator's defaulting), server-written metadata dropped,
and lists whose order carries no meaning sorted (hostnames, parentRefs, listeners,
ReferenceGrant from/to). Rule order is kept: it breaks precedence ties.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from deepdiff import DeepDiff

from migrate.validate import Validator

_SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink",
                "annotations")
_UNORDERED = {("spec", "hostnames"), ("spec", "parentRefs"), ("spec", "listeners"), ("spec", "from"), ("spec", "to"),
              ("spec", "targetRefs")}


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True)


def normalise(obj: dict, validator: Validator | None = None) -> dict:
    validator = validator or Validator.packaged()
    out = validator.defaulted(obj) if validator.knows(obj.get("apiVersion", ""), obj.get("kind", "")) else dict(obj)
    out = json.loads(json.dumps(out))
    out.pop("status", None)
    meta = out.get("metadata") or {}
    for key in _SERVER_META:
        meta.pop(key, None)
    spec = out.get("spec") or {}
    for _, key in _UNORDERED:
        if isinstance(spec.get(key), list):
            spec[key] = sorted(spec[key], key=_sort_key)
    return out


def _key(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


@dataclass
class StructuralDiff:
    added: list[tuple[str, str, str]] = field(default_factory=list)
    removed: list[tuple[str, str, str]] = field(default_factory=list)
    changed: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict:
        name = lambda k: f"{k[0]}/{k[1] + '/' if k[1] else ''}{k[2]}"  # noqa: E731
        return {"added": [name(k) for k in self.added], "removed": [name(k) for k in self.removed],
                "changed": {name(k): v for k, v in self.changed.items()}}

    def render_text(self) -> str:
        data = self.to_dict()
        lines = [f"Structural diff: {len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"]
        lines += [f"  + {n} (only in the conversion)" for n in data["added"]]
        lines += [f"  - {n} (only in the existing objects)" for n in data["removed"]]
        for n, changes in data["changed"].items():
            lines.append(f"  ~ {n}")
            lines += [f"      {c}" for c in changes]
        return "\n".join(lines) + "\n"


def structural_diff(converted: Iterable[dict], existing: Iterable[dict]) -> StructuralDiff:
    """What applying ``converted`` would change on top of ``existing`` (Gateway API objects only)."""
    validator = Validator.packaged()
    new = {_key(o): normalise(o, validator) for o in converted}
    old = {_key(o): normalise(o, validator) for o in existing
           if str(o.get("apiVersion", "")).startswith("gateway.networking.k8s.io/")}
    out = StructuralDiff(sorted(set(new) - set(old)), sorted(set(old) - set(new)))
    for key in sorted(set(new) & set(old)):
        delta = DeepDiff(old[key], new[key], ignore_order=False, verbose_level=2)
        if delta:
            out.changed[key] = _describe(delta)
    return out


def _describe(delta: DeepDiff) -> list[str]:
    lines = []
    for kind, entries in delta.to_dict().items():
        items = entries.items() if isinstance(entries, dict) else ((e, None) for e in entries)
        for path, detail in items:
            where = str(path).replace("root", "", 1)
            if kind == "values_changed":
                lines.append(f"{where}: {detail['old_value']!r} -> {detail['new_value']!r}")
            elif "added" in kind:
                lines.append(f"{where}: added {detail!r}" if detail is not None else f"{where}: added")
            elif "removed" in kind:
                lines.append(f"{where}: removed {detail!r}" if detail is not None else f"{where}: removed")
            else:
                lines.append(f"{where}: {kind} {detail!r}")
    return sorted(lines)
