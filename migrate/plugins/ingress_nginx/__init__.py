"""ingress-nginx plugin (stub until its own issue lands).

It claims the Ingresses ingress-nginx serves and converts them with the core
semantics, which match ingress-nginx for Exact and Prefix, and for
ImplementationSpecific (ingress-nginx coerces it to Prefix). Every
``nginx.ingress.kubernetes.io/*`` annotation gets a "not converted" finding; the
ones that are access controls are errors and withhold the route (fail closed).
"""

from __future__ import annotations

from typing import Sequence

from migrate.findings import FindingSpec, spec
from migrate.ir import Route
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress import is_ingress
from migrate.plugins.ingress.convert import IngressConverter
from migrate.plugins.ingress.parse import IngressView

PREFIX = "nginx.ingress.kubernetes.io/"
CONTROLLER = "k8s.io/ingress-nginx"
DEFAULT_CLASS = "nginx"

#: access controls: dropping them would open a route the source protected
SECURITY = frozenset({
    "whitelist-source-range", "allowlist-source-range", "denylist-source-range",
    "limit-rps", "limit-rpm", "limit-connections",
    "configuration-snippet", "server-snippet", "stream-snippet", "auth-snippet", "modsecurity-snippet",
    "enable-modsecurity", "enable-owasp-core-rules", "satisfy",
})
SECURITY_PREFIXES = ("auth-",)

FINDINGS = (
    spec("NGX003", "warning", "not-converted", "ingress-nginx's default HTTP to HTTPS redirect not converted",
         "ingress-nginx answers plain HTTP for a host with TLS with a 308 redirect to HTTPS (ssl-redirect defaults "
         "to true). This release serves the route on the HTTP listener instead: plain-HTTP requests reach the "
         "backend rather than being redirected."),
    spec("NGX001", "warning", "not-converted", "ingress-nginx annotation not converted",
         "This gateway-migrate release does not convert this ingress-nginx annotation yet; the behaviour it "
         "configured is not carried over."),
    spec("NGX002", "error", "not-converted", "ingress-nginx access control not converted",
         "The annotation restricts who may reach the backend (authentication, client certificates, IP lists, "
         "rate limits, or a snippet that may do so). It cannot be carried over, so the route is emitted closed "
         "(GM011): fail closed. Re-run with --allow-security-downgrade to emit it open, knowingly.", security=True),
)


def is_security(name: str) -> bool:
    return name in SECURITY or name.startswith(SECURITY_PREFIXES)


class NginxConverter(IngressConverter):
    implementation_specific_code = None  # ingress-nginx defines it as Prefix
    annotation_prefixes = (PREFIX,)

    def convert_annotations(self, obj: SourceObject, view: IngressView, routes: list[Route]) -> None:
        redirect_off = obj.annotations.get(PREFIX + "ssl-redirect", "true").lower() == "false"
        tls_hosts = sorted({h for tls in view.tls if tls.secret for h in tls.hosts})
        if tls_hosts and not redirect_off:
            self.ctx.report("NGX003", obj, ("spec", "tls"),
                            f"hosts {', '.join(tls_hosts)}: HTTP requests are now served, not redirected (308)",
                            example=f"GET http://{tls_hosts[0]}/ reached HTTPS by a 308 redirect before; now served over HTTP")
        for key in obj.annotations:
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX):]
            path = ("metadata", "annotations", key)
            if is_security(name):
                self.ctx.report("NGX002", obj, path, f"{key}: access control not carried over")
                for route in routes:
                    route.blocked_by.append(key)
            else:
                self.ctx.report("NGX001", obj, path, f"{key} not converted")


class IngressNginxPlugin:
    name = "ingress-nginx"
    api_version = API_VERSION
    description = "ingress-nginx (kubernetes/ingress-nginx): stub, annotations reported, not converted"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        if not is_ingress(obj):
            return False
        spec_ = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
        cls = spec_.get("ingressClassName") or obj.annotations.get("kubernetes.io/ingress.class")
        if not cls and ctx.default_ingress_class:
            cls = ctx.default_ingress_class
        if cls:
            info = ctx.ingress_classes.get(str(cls))
            return info.controller == CONTROLLER if info else cls == DEFAULT_CLASS
        return any(key.startswith(PREFIX) for key in obj.annotations)

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        return NginxConverter(ctx).convert_all(objs)

    def findings(self) -> Sequence[FindingSpec]:
        return FINDINGS
