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
