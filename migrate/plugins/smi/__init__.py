"""SMI TrafficSplit (split.smi-spec.io) and Linkerd ServiceProfile, as GAMMA routes.

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
"""

from __future__ import annotations

from typing import Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject


class SmiPlugin:
    name = "smi"
    api_version = API_VERSION
    description = "SMI TrafficSplit (split.smi-spec.io) and Linkerd ServiceProfile, as GAMMA routes"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return False  # placeholder until the plugin lands

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return Conversion()

    def findings(self) -> Sequence[FindingSpec]:
        return ()
