"""The conversion of all Traefik-owned objects, in dependency order: routers first (they
pull in the Middlewares, TLSOptions and TraefikServices they use), then the objects no
router used, then the priority check across every HTTP router."""

from __future__ import annotations

from typing import Sequence

from migrate.plugin import Context, Conversion, SourceObject
from migrate.plugins.ingress import is_ingress
from migrate.plugins.traefik import ingressroute, negation, priority, tcp, tls
from migrate.plugins.traefik.annotations import TraefikIngressConverter
from migrate.plugins.traefik.state import Run


def convert_all(objs: Sequence[SourceObject], ctx: Context) -> Conversion:
    run = Run(ctx, [o for o in objs if not is_ingress(o)])
    out = Conversion()
    for obj in run.objects:
        if obj.kind == "IngressRoute":
            out.routes += ingressroute.convert(run, obj)
        elif obj.kind == "IngressRouteTCP":
            out.routes += tcp.convert_tcp(run, obj)
        elif obj.kind == "IngressRouteUDP":
            out.routes += tcp.convert_udp(run, obj)
    ingresses = [o for o in objs if is_ingress(o)]
    if ingresses:
        converted = TraefikIngressConverter(ctx, run).convert_all(ingresses)
        out.routes += converted.routes
        out.failed += converted.failed
    for obj in run.objects:
        if obj.kind in ("IngressRoute", "IngressRouteTCP", "IngressRouteUDP"):
            continue
        run.legacy_group(obj)
        if obj.kind == "TLSStore" and obj.name == "default":
            run.used.add(id(obj))  # the default store serves every TLS router
        if id(obj) not in run.used:
            ctx.report("TRF022", obj, ("spec",), f"{obj.kind} {obj.namespace}/{obj.name} is used by no router in the input")
        elif obj.kind == "TLSStore":
            tls.tls_store(run, obj)
        else:
            run.explain_rest(obj)
    negation.settle(run, out.routes)
    priority.check(run)
    return out
