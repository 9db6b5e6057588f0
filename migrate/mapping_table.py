"""Declarative dialect tables: ``mappings/<controller>.yaml``.

A table lists every annotation a controller accepts (aliases included) with its scope,
risk, default, Gateway API equivalent and support level, whether it is an access
control, the plugin function that handles it, and a note for the user; plus legacy
names the controller no longer reads; plus, for a dialect with its own CRDs, every
field of each kind (``kinds``), with the same facts. The format is
``schemas/mapping-table.schema.json``; tests/test_vendor_coverage.py checks that each
entry has a handler and a fixture.

    table = load_table("ingress-nginx")
    entry = table.lookup("whitelist-source-range")   # the alias entry; entry.alias_of names the canonical key
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Union

import yaml
from jsonschema import Draft202012Validator

from migrate.resources import data_dir

SCHEMA_FILE = "mapping-table.schema.json"

FAMILIES = ("paths", "redirects", "tls", "backend", "canary", "affinity", "timeouts", "headers",
            "cors", "auth", "ratelimit", "snippets", "mirror", "misc", "routing", "retries", "observability")
SUPPORT_LEVELS = ("core", "extended", "experimental", "target-specific", "none")


class MappingTableError(ValueError):
    """A mapping table is missing or does not match its schema."""


@dataclass(frozen=True)
class Mapping:
    """One accepted annotation name (after the prefix)."""

    name: str
    family: str
    scope: str                # "location" | "ingress"
    risk: str                 # "low" | "medium" | "high" | "critical"
    default: str | None
    gateway_api: str
    support: str              # see SUPPORT_LEVELS
    handler: str              # "<module>.<function>"
    security: bool
    alias_of: str | None
    note: str

    @property
    def is_alias(self) -> bool:
        return self.alias_of is not None


@dataclass(frozen=True)
class LegacyKey:
    """A name the controller no longer accepts; reported, never converted."""

    name: str
    replaced_by: str | None
    handler: str
    security: bool
    note: str


@dataclass(frozen=True)
class FieldMapping:
    """One field of a vendor CRD kind, by path (``spec.http[].match[].uri``: ``[]`` = every item)."""

    path: str
    gateway_api: str
    support: str              # see SUPPORT_LEVELS
    handler: str              # "<module>.<function>"
    security: bool
    note: str
    default: str | None = None


@dataclass(frozen=True)
class KindTable:
    kind: str
    group: str
    versions: tuple[str, ...]
    fields: dict[str, FieldMapping]


@dataclass(frozen=True)
class MappingTable:
    controller: str
    prefix: str
    source: str
    annotations: dict[str, Mapping]
    legacy: dict[str, LegacyKey]
    kinds: dict[str, KindTable] = field(default_factory=dict)

    @property
    def aliases(self) -> dict[str, tuple[str, ...]]:
        """canonical name -> the alias names that mean it (computed once)."""
        cached = self.__dict__.get("_aliases")
        if cached is None:
            found: dict[str, list[str]] = {}
            for name, entry in self.annotations.items():
                if entry.alias_of:
                    found.setdefault(entry.alias_of, []).append(name)
            cached = {k: tuple(v) for k, v in found.items()}
            object.__setattr__(self, "_aliases", cached)
        return cached

    def lookup(self, name: str) -> Union[Mapping, LegacyKey, None]:
        """The entry for ``name`` (bare, or with this table's prefix); aliases return their own entry."""
        if name.startswith(self.prefix):
            name = name[len(self.prefix):]
        return self.annotations.get(name) or self.legacy.get(name)


def generic_path(path: tuple[Any, ...]) -> str:
    """``("spec", "http", 0, "match", 1, "uri")`` -> ``spec.http[].match[].uri``, the key of ``kinds.*.fields``."""
    out = ""
    for part in path:
        out += "[]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def covering(fields: dict[str, Any], path: str) -> str | None:
    """The entry of ``fields`` that covers ``path``: the path itself or its nearest listed ancestor."""
    while path:
        if path in fields:
            return path
        cut = max(path.rfind("."), path.rfind("[]"))
        path = path[:cut] if cut > 0 else ""
    return None


def mappings_dir() -> Path:
    """Directory holding the ``<controller>.yaml`` tables."""
    return data_dir("mappings")


def available_tables() -> list[str]:
    """Controllers that have a table, sorted."""
    return sorted(p.stem for p in mappings_dir().glob("*.yaml"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads((data_dir("schemas") / SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _where(path: Any) -> str:
    return ".".join(str(p) for p in path) or "<table>"


def validate_table(data: Any) -> list[str]:
    """Problems with a parsed table, as readable strings; empty when it is valid.

    Checks the JSON Schema first, then what a schema cannot say: every ``alias_of`` names a
    canonical (non-alias) annotation of the same table, and every ``replaced_by`` names an
    annotation of the table.
    """
    errors = sorted(_validator().iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = [f"{_where(e.absolute_path)}: {e.message}" for e in errors]
    if problems:
        return problems
    annotations = data.get("annotations") or {}
    if annotations and not data.get("prefix"):
        problems.append("prefix: required when the table lists annotations")
    for name, entry in annotations.items():
        target = entry["alias_of"]
        if target is None:
            continue
        if target == name:
            problems.append(f"annotations.{name}.alias_of: an annotation cannot be an alias of itself")
        elif target not in annotations:
            problems.append(f"annotations.{name}.alias_of: '{target}' is not an annotation of this table")
        elif annotations[target]["alias_of"] is not None:
            problems.append(f"annotations.{name}.alias_of: '{target}' is itself an alias")
    for name, entry in (data.get("legacy") or {}).items():
        if name in annotations:
            problems.append(f"legacy.{name}: also listed under annotations")
        target = entry["replaced_by"]
        if target is not None and target not in annotations:
            problems.append(f"legacy.{name}.replaced_by: '{target}' is not an annotation of this table")
    return problems


def table_from_data(data: Any, *, origin: str = "<data>") -> MappingTable:
    """Build a MappingTable from parsed YAML, raising MappingTableError when it is invalid."""
    problems = validate_table(data)
    if problems:
        raise MappingTableError(f"{origin} is not a valid mapping table:\n  " + "\n  ".join(problems))
    annotations = {name: Mapping(name=name, **entry) for name, entry in (data.get("annotations") or {}).items()}
    legacy = {name: LegacyKey(name=name, **entry) for name, entry in (data.get("legacy") or {}).items()}
    kinds = {kind: KindTable(kind, entry["group"], tuple(entry["versions"]),
                             {path: FieldMapping(path=path, **f) for path, f in entry["fields"].items()})
             for kind, entry in (data.get("kinds") or {}).items()}
    return MappingTable(controller=data["controller"], prefix=data.get("prefix") or "", source=data["source"],
                        annotations=annotations, legacy=legacy, kinds=kinds)


@lru_cache(maxsize=None)
def load_table(controller: str) -> MappingTable:
    """Read and validate ``mappings/<controller>.yaml``, once per process (plugins ask for it
    per object). Treat the result as read-only."""
    path = mappings_dir() / f"{controller}.yaml"
    if not path.is_file():
        raise MappingTableError(f"no mapping table for controller '{controller}' "
                                f"(have: {', '.join(available_tables()) or 'none'})")
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x faster
    table = table_from_data(data, origin=str(path))
    if table.controller != controller:
        raise MappingTableError(f"{path}: controller is '{table.controller}', expected '{controller}' (the file name)")
    return table
