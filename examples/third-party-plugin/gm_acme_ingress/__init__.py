"""gateway-migrate plugin for the acme-ingress controller.

Owns the Ingresses whose class is "acme" (or whose IngressClass names CONTROLLER).
Each annotation under ANNOTATION_PREFIX is looked up in the mapping table acme-ingress.yaml,
shipped in this package; its ``handler`` (``handlers.<function>``) converts or explains
it. Everything else about an Ingress is converted by gateway-migrate's IngressConverter.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

import yaml

from migrate.findings import FindingSpec
from migrate.ir import Route
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress.convert import IngressConverter

INGRESS_CLASS = "acme"
CONTROLLER = "acme.example.com/ingress-controller"
ANNOTATION_PREFIX = "acme.example.com/"
TABLE = "acme-ingress.yaml"


@lru_cache(maxsize=1)
def mapping_table() -> dict:
    """The mapping table (validated against the schema by `gateway-migrate plugins test`)."""
    return yaml.safe_load(resources.files(__name__).joinpath(TABLE).read_text(encoding="utf-8"))


class Converter(IngressConverter):
    """The core Ingress conversion plus this controller's annotations."""

    annotation_prefixes = (ANNOTATION_PREFIX,)

    def convert_annotations(self, obj: SourceObject, view: Any, routes: list[Route]) -> None:
        from gm_acme_ingress.handlers import UNKNOWN

        table = mapping_table()
        known = {**(table.get("annotations") or {}), **(table.get("legacy") or {})}
        for key, value in sorted(obj.annotations.items()):
            if not key.startswith(ANNOTATION_PREFIX):
                continue  # other controllers' annotations: reported by the core (ING009)
            entry = known.get(key[len(ANNOTATION_PREFIX):])
            if entry is None:
                self.ctx.report(UNKNOWN, obj, ("metadata", "annotations", key),
                                f"{key}: not a acme-ingress annotation (misspelt?); ignored")
                continue
            module, _, function = entry["handler"].rpartition(".")
            handler = getattr(importlib.import_module(f"{__name__}.{module}"), function)
            handler(self, obj, routes, key, value, entry)


class AcmeIngressPlugin:
    """The plugin: contract members only (helpers live at module level)."""

    name = "acme-ingress"
    api_version = API_VERSION
    description = "the acme-ingress controller: Ingresses of class acme, annotations acme.example.com/*"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        if obj.kind != "Ingress":
            return False
        spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
        cls = spec.get("ingressClassName") or obj.annotations.get("kubernetes.io/ingress.class")
        if not cls:
            return False
        info = ctx.ingress_classes.get(str(cls))
        return info.controller == CONTROLLER if info else cls == INGRESS_CLASS

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return Converter(ctx).convert_all(objs)

    def findings(self) -> Sequence[FindingSpec]:
        from gm_acme_ingress.handlers import FINDINGS

        return FINDINGS
