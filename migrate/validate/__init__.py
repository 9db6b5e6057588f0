"""Would the API server, with the Gateway API v1.6.1 CRDs installed, accept this object on create?

``Validator.validate`` mirrors the apiserver's create path for a custom
resource: apply schema defaults, drop ``status`` when the version has a status
subresource, then check ObjectMeta (meta.py), the structural schema
(structural.py; unknown fields are reported, where the apiserver would prune
them or strict field validation would refuse them) and the CEL rules (cel.py).
As in the apiserver, CEL rules are skipped when the schema check found a type
error, with a note saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from migrate.resources import data_dir
from migrate.validate import cel as _cel_rules
from migrate.validate import meta, structural
from migrate.validate.meta import Issue
from migrate.validate.structural import Node

__all__ = ["BUNDLE", "KindSchema", "SKIPPED_CEL", "Validator", "Violation", "packaged_schema_dir"]

BUNDLE = "v1.6.1"
SKIPPED_CEL = ("some validation rules were not checked because the object was invalid; "
               "correct the existing errors to complete validation")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Violation:
    """One reason the API server would reject an object."""

    api_version: str
    kind: str
    namespace: str | None
    name: str | None
    path: str  # e.g. "spec.rules[0].filters[1].urlRewrite.path"; "" for the object root
    message: str  # the schema error or the CEL rule's message
    rule: str | None  # the CEL rule text; None for schema and metadata errors

    def __str__(self) -> str:
        who = f"{self.namespace}/{self.name}" if self.namespace else (self.name or "<unnamed>")
        where = f"{self.path}: " if self.path else ""
        return f"{self.kind} {who}: {where}{self.message}"


@dataclass(frozen=True)
class KindSchema:
    """One served version of one CRD: what validation needs from it."""

    group: str
    version: str
    kind: str
    namespaced: bool
    status_subresource: bool
    root: Node

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


def _kind_schema(group: str, version: str, kind: str, scope: str, subresources: dict | None,
                 schema: dict) -> KindSchema:
    root = structural.compile_schema(schema, _cel_rules.compile_rules)
    return KindSchema(group, version, kind, scope == "Namespaced", "status" in (subresources or {}), root)


class Validator:
    """Validates Gateway API objects against one set of CRDs (one channel)."""

    def __init__(self, kinds: Iterable[KindSchema], channel: str = "custom") -> None:
        self.channel = channel
        self._kinds: dict[tuple[str, str], KindSchema] = {(k.api_version, k.kind): k for k in kinds}

    @classmethod
    def packaged(cls, channel: str = "standard") -> "Validator":
        """From the schemas shipped with the package; built once per process per channel."""
        return _packaged(channel)

    @classmethod
    def from_crd_files(cls, paths: Iterable[Path]) -> "Validator":
        """From upstream CRD YAML files; documents that are not CRDs are ignored; later files win."""
        def documents():
            for path in paths:
                with Path(path).open(encoding="utf-8") as handle:
                    yield from yaml.load_all(handle, Loader=_Loader)
        return cls.from_crd_objects(documents())

    @classmethod
    def from_crd_objects(cls, objs: Iterable[dict]) -> "Validator":
        """From CustomResourceDefinition objects (parsed YAML, or read from a cluster's API);
        objects that are not CRDs are ignored; later ones win."""
        kinds, channels = [], set()
        for doc in objs:
            if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
                continue
            annotations = (doc.get("metadata") or {}).get("annotations") or {}
            channels.add(annotations.get("gateway.networking.k8s.io/channel", "custom"))
            spec = doc["spec"]
            for v in spec["versions"]:
                if v.get("served"):
                    kinds.append(_kind_schema(spec["group"], v["name"], spec["names"]["kind"], spec["scope"],
                                              v.get("subresources"), v["schema"]["openAPIV3Schema"]))
        return cls(kinds, channels.pop() if len(channels) == 1 else "custom")

    def knows(self, api_version: str, kind: str) -> bool:
        """Whether some installed CRD serves this apiVersion and kind."""
        return (api_version, kind) in self._kinds

    def kinds(self) -> list[tuple[str, str]]:
        """Every served (apiVersion, kind), sorted."""
        return sorted(self._kinds)

    def defaulted(self, obj: dict) -> dict:
        """Deep copy as the apiserver validates it on create: defaults applied, status dropped.

        ``status`` goes when the version has a status subresource (create ignores it);
        unknown kinds come back as a plain copy.
        """
        work = structural.json_copy(obj)
        schema = self._schema_for(work)
        if schema is not None:
            structural.apply_defaults(work, schema.root)
            if schema.status_subresource:
                work.pop("status", None)
        return work

    def validate(self, obj: dict) -> list[Violation]:
        """Every reason the apiserver would refuse ``obj`` on create; [] means accepted."""
        if not isinstance(obj, dict):
            return [Violation("", "", None, None, "", "Invalid value: an object must be a mapping", None)]
        schema = self._schema_for(obj)
        if schema is None:
            issue = meta.unknown_type(obj.get("apiVersion"), obj.get("kind"), self.channel)
            return self._tie(obj, [issue])
        work = self.defaulted(obj)
        issues = meta.check_metadata(work.get("metadata"), schema.namespaced)
        found, targets = structural.check(work, schema.root)
        issues += found
        if any(i.blocking for i in issues):
            issues.append(Issue("", SKIPPED_CEL))
        else:
            issues += _cel_rules.evaluate(targets)
        return self._tie(obj, issues)

    def validate_all(self, objs: Iterable[dict]) -> list[Violation]:
        """``validate`` over many objects, violations concatenated in input order."""
        out: list[Violation] = []
        for obj in objs:
            out += self.validate(obj)
        return out

    def _schema_for(self, obj: Any) -> KindSchema | None:
        if not isinstance(obj, dict):
            return None
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return None
        return self._kinds.get((api_version, kind))

    @staticmethod
    def _tie(obj: dict, issues: list[Issue]) -> list[Violation]:
        md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns, name = md.get("namespace"), md.get("name")
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        return [
            Violation(str(api_version or ""), str(kind or ""), ns if isinstance(ns, str) else None,
                      name if isinstance(name, str) else None, i.path, i.message, i.rule)
            for i in issues
        ]


def packaged_schema_dir(channel: str) -> Path:
    """Where the shipped JSON schemas for ``channel`` live."""
    return data_dir("schemas") / "gateway-api" / BUNDLE / channel


@lru_cache(maxsize=None)
def _packaged(channel: str) -> Validator:
    directory = packaged_schema_dir(channel)
    files = sorted(directory.glob("*.json"))
    if not files:
        raise ValueError(f"no packaged Gateway API schemas for channel {channel!r} in {directory}")
    kinds = []
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        kinds.append(_kind_schema(doc["group"], doc["version"], doc["kind"], doc["scope"],
                                  doc.get("subresources"), doc["openAPIV3Schema"]))
    return Validator(kinds, channel)
