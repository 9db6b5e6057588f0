"""Istio networking.istio.io Gateway, VirtualService, DestinationRule (mesh-bound routes become GAMMA routes).

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
"""

from __future__ import annotations

from typing import Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject


class IstioPlugin:
    name = "istio"
    api_version = API_VERSION
    description = "Istio networking.istio.io Gateway, VirtualService, DestinationRule (mesh-bound routes become GAMMA routes)"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return False  # placeholder until the plugin lands

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return Conversion()

    def findings(self) -> Sequence[FindingSpec]:
        return ()
