"""Contour: HTTPProxy (projectcontour.io/v1), TLSCertificateDelegation, and Ingresses
with projectcontour.io annotations.

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
Every field is in mappings/contour.yaml; the modules here convert or explain each:
includes (the include tree), conditions, services, headers, policies, security,
tls, ingress (Ingress dialect), proxy (orchestration), simulator (Contour's half of
the semantic diff).
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress import claimed_by_class, is_ingress
from migrate.plugins.contour.findings import FINDINGS
from migrate.plugins.contour.util import CONTROLLER, DEFAULT_CLASS, GROUP, PREFIX

CLASS_ANNOTATIONS = ("kubernetes.io/ingress.class", PREFIX + "ingress.class")


def is_contour_kind(obj: SourceObject) -> bool:
    return obj.api_version.split("/")[0] == GROUP and obj.kind in ("HTTPProxy", "TLSCertificateDelegation")


class ContourPlugin:
    name = "contour"
    api_version = API_VERSION
    description = "Contour: HTTPProxy, TLSCertificateDelegation and projectcontour.io Ingress annotations"
    cluster_kinds = (("projectcontour.io", "v1", "httpproxies", True),
                     ("projectcontour.io", "v1", "tlscertificatedelegations", True))

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return is_contour_kind(obj) or claimed_by_class(obj, ctx, controller=CONTROLLER, default_class=DEFAULT_CLASS,
                                                        prefix=PREFIX, annotations=CLASS_ANNOTATIONS)

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        from migrate.plugins.contour.ingress import convert_ingresses
        from migrate.plugins.contour.proxy import ProxyConverter

        proxies = [o for o in objs if o.kind == "HTTPProxy" and is_contour_kind(o)]
        delegations = [o for o in objs if o.kind == "TLSCertificateDelegation" and is_contour_kind(o)]
        converter = ProxyConverter(ctx)
        routes = converter.convert(proxies, delegations)
        out = convert_ingresses(ctx, [o for o in objs if is_ingress(o)], converter)
        out.routes[:0] = routes
        return out

    def findings(self) -> Sequence[FindingSpec]:
        return FINDINGS

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.plugins.contour.simulator import ContourSimulator

        return ContourSimulator(objects)


__all__ = ["ContourPlugin", "CONTROLLER", "DEFAULT_CLASS"]
