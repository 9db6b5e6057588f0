"""Istio networking.istio.io Gateway, VirtualService, DestinationRule (mesh-bound routes become GAMMA routes).

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
Every field of the three kinds is listed in mappings/istio.yaml with the function that
converts or explains it; fields no handler touched are explained from that table.
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.istio.findings import all_findings
from migrate.plugins.istio.parse import is_istio


class IstioPlugin:
    name = "istio"
    api_version = API_VERSION
    description = "Istio networking.istio.io Gateway, VirtualService, DestinationRule (mesh-bound routes become GAMMA routes)"
    cluster_kinds = (
        ("networking.istio.io", "v1", "gateways", True),
        ("networking.istio.io", "v1", "virtualservices", True),
        ("networking.istio.io", "v1", "destinationrules", True),
    )

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return is_istio({"apiVersion": obj.api_version, "kind": obj.kind})

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        from migrate.plugins.istio.convert import Converter

        return Converter(ctx).convert_all(objs)

    def findings(self) -> Sequence[FindingSpec]:
        return all_findings()

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.plugins.istio.simulator import IstioSimulator

        return IstioSimulator(objects)
