"""The core Ingress plugin: controller-agnostic networking.k8s.io Ingress.

It owns every Ingress no dialect plugin claims (``fallback``), and gives
ImplementationSpecific paths the most common meaning, an element-wise prefix,
with a finding.
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress.convert import IngressConverter
from migrate.plugins.ingress.findings import FINDINGS

INGRESS_KINDS = {("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1beta1", "Ingress"),
                 ("extensions/v1beta1", "Ingress")}


def is_ingress(obj: SourceObject) -> bool:
    return (obj.api_version, obj.kind) in INGRESS_KINDS


def ingress_class(obj: SourceObject, ctx: Context,
                  annotations: Sequence[str] = ("kubernetes.io/ingress.class",)) -> str | None:
    """The class an Ingress asks for: ``spec.ingressClassName``, else the first class
    annotation set, else the cluster's default IngressClass; None when there is none."""
    spec_ = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    cls = spec_.get("ingressClassName") or next((obj.annotations[k] for k in annotations if obj.annotations.get(k)), None)
    return str(cls) if cls else ctx.default_ingress_class


def claimed_by_class(obj: SourceObject, ctx: Context, *, controller: str, default_class: str, prefix: str,
                     annotations: Sequence[str] = ("kubernetes.io/ingress.class",)) -> bool:
    """How a dialect plugin picks Ingresses, as controllers do: by class (an IngressClass
    naming ``controller``, or, with no IngressClass in the input, the conventional
    ``default_class``); an Ingress with no class at all by an annotation under ``prefix``."""
    if not is_ingress(obj):
        return False
    cls = ingress_class(obj, ctx, annotations)
    if cls:
        info = ctx.ingress_classes.get(cls)
        return info.controller == controller if info else cls == default_class
    return any(key.startswith(prefix) for key in obj.annotations)


class IngressPlugin:
    name = "ingress"
    api_version = API_VERSION
    fallback = True
    description = "Kubernetes Ingress, core API only (no controller annotations)"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return is_ingress(obj)

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return IngressConverter(ctx).convert_all(objs)

    def findings(self) -> Sequence[FindingSpec]:
        return FINDINGS

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.semantics.ingress import IngressSimulator  # it imports this package's parser

        return IngressSimulator(objects)
