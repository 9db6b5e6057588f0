"""Traefik: IngressRoute(TCP/UDP), Middleware, TLSOption and traefik.ingress.kubernetes.io annotations.

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
Objects under traefik.io/v1alpha1 and the legacy traefik.containo.us/v1alpha1 are claimed;
Ingresses when their class is Traefik's (or unclassed with a Traefik annotation).
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.findings import FindingSpec
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress import claimed_by_class
from migrate.plugins.traefik.findings import FINDINGS
from migrate.plugins.traefik.state import DEFAULT_CLASS, GROUPS, KINDS, Run, group_of

CONTROLLER = "traefik.io/ingress-controller"
PREFIX = "traefik.ingress.kubernetes.io/"
PLURALS = {"IngressRoute": "ingressroutes", "IngressRouteTCP": "ingressroutetcps", "IngressRouteUDP": "ingressrouteudps",
           "Middleware": "middlewares", "MiddlewareTCP": "middlewaretcps", "TLSOption": "tlsoptions",
           "TLSStore": "tlsstores", "ServersTransport": "serverstransports", "TraefikService": "traefikservices"}


def is_traefik_kind(obj: SourceObject) -> bool:
    return obj.kind in KINDS and group_of(obj) in GROUPS


class TraefikPlugin:
    name = "traefik"
    api_version = API_VERSION
    description = "Traefik: IngressRoute(TCP/UDP), Middleware, TLSOption and traefik.ingress.kubernetes.io annotations"
    cluster_kinds = tuple(("traefik.io", "v1alpha1", plural, True) for plural in PLURALS.values())

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return is_traefik_kind(obj) or claimed_by_class(obj, ctx, controller=CONTROLLER,
                                                        default_class=DEFAULT_CLASS, prefix=PREFIX)

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        from migrate.plugins.traefik.convert import convert_all

        return convert_all(objs, ctx)

    def findings(self) -> Sequence[FindingSpec]:
        return FINDINGS

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.plugins.traefik.simulator import TraefikSimulator

        return TraefikSimulator(objects)


__all__ = ["TraefikPlugin", "Run"]
