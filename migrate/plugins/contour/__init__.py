"""Contour: HTTPProxy and projectcontour.io annotations.

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
"""

from __future__ import annotations

from typing import Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject


class ContourPlugin:
    name = "contour"
    api_version = API_VERSION
    description = "Contour: HTTPProxy and projectcontour.io annotations"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return False  # placeholder until the plugin lands

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return Conversion()

    def findings(self) -> Sequence[FindingSpec]:
        return ()
