"""Ingresses served by Contour: its path semantics and its annotations.

Contour reads ``Prefix`` element-wise (as Gateway API does), and
``ImplementationSpecific`` as a regular expression when the path has one of
``^+*[]%``, else as a string prefix. Plain HTTP is served next to HTTPS unless
``ingress.kubernetes.io/force-ssl-redirect: "true"`` (301 to https, which wins) or
``kubernetes.io/ingress.allow-http: "false"`` (no HTTP at all).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Sequence

from migrate.ir import Backend, GatewayParent, Listener, Origin, PathMatch, Redirect, Route, Rule, Timeouts
from migrate.mapping_table import load_table
from migrate.names import host_slug
from migrate.plugin import Context, Conversion, SourceObject
from migrate.plugins.ingress.convert import IngressConverter, gateway_path_ok
from migrate.plugins.ingress.parse import IngressView, PathSpec, parse_ingress
from migrate.plugins.contour import conditions, services
from migrate.plugins.contour.util import PREFIX, duration_ms, gateway_duration

Path_ = tuple[Any, ...]
FORCE_SSL = "ingress.kubernetes.io/force-ssl-redirect"
ALLOW_HTTP = "kubernetes.io/ingress.allow-http"
CLASS = PREFIX + "ingress.class"
_REGEX_CHARS = re.compile(r"[\^+*\[\]%]")


class ContourIngressConverter(IngressConverter):
    implementation_specific_code = None  # read as Contour does, in path_match

    def __init__(self, ctx: Context, delegations: Sequence[SourceObject] = (), proxies: Any = None) -> None:
        super().__init__(ctx)
        self.table = load_table("contour")
        self.proxies = proxies
        self.services_told: set = set()

    def backend(self, obj: SourceObject, spec: Any) -> Backend | None:
        """Contour reads the Service's projectcontour.io/ annotations (upstream protocol, circuit
        breaking) for Ingress backends as for HTTPProxy services: reported the same way."""
        made = super().backend(obj, spec)
        if made is not None and made.kind in (None, "", "Service") and isinstance(made.port, int) and spec.service:
            services.read_service_annotations(self.ctx, self.services_told, obj, spec.path, spec.service, made.port)
        return made

    def view_of(self, obj: SourceObject) -> IngressView:
        view = parse_ingress(obj.data)
        if view.class_name is None and obj.annotations.get(CLASS):
            view = replace(view, class_name=obj.annotations[CLASS], class_path=("metadata", "annotations", CLASS))
        return view

    def path_match(self, obj: SourceObject, path: PathSpec) -> PathMatch:
        if path.type != "ImplementationSpecific":
            return super().path_match(obj, path)
        where = path.path + ("path",)
        if _REGEX_CHARS.search(path.value):
            self.ctx.report("CTR074", obj, where, f"{path.value!r} is a regular expression for Contour: "
                                                  "RegularExpression (full match); Contour ranked it above every "
                                                  "prefix path, Gateway API leaves regex precedence to the "
                                                  "implementation (often below PathPrefix)",
                            example=f"a request matching {path.value!r} and another Prefix path went to this rule in "
                                    "Contour; it may now go to the Prefix rule")
            return PathMatch("RegularExpression", path.value)
        if path.value == "/":
            return PathMatch("PathPrefix", "/")
        if not gateway_path_ok(path.value):
            regex = conditions.string_prefix_regex(path.value)
            self.ctx.report("CTR074", obj, where, f"{path.value!r} is a string prefix for Contour: RegularExpression {regex!r}")
            return PathMatch("RegularExpression", regex)
        self.ctx.report("CTR074", obj, where, f"{path.value!r} is a string prefix for Contour: PathPrefix (whole segments)",
                        example=f"GET {path.value.rstrip('/')}x matched in Contour; now it does not")
        return PathMatch("PathPrefix", path.value)

    def add_tls_listeners(self, obj: SourceObject, view: IngressView, gateway: Any) -> None:
        cert_ns = obj.annotations.get(PREFIX + "tls-cert-namespace")
        for tls in view.tls:
            obj.account(tls.path)
            if not tls.secret:
                self.ctx.report("ING010", obj, tls.path, f"hosts {', '.join(tls.hosts) or '(all)'} have no secretName")
                continue
            secret = tls.secret if "/" in tls.secret or not cert_ns else f"{cert_ns}/{tls.secret}"
            cert = self.proxies.certificate(obj, secret, tls.path + ("secretName",))
            if cert is None:
                continue
            for host in tls.hosts or [None]:
                name = f"https-{host_slug(host)}" if host else "https"
                existing = gateway.listener(name)
                if existing is not None:
                    if cert not in existing.certificates:
                        self.ctx.report("ING008", obj, tls.path, f"host {host or '(all)'} already has a certificate; "
                                                                 f"Secret {cert.namespace}/{cert.name} ignored")
                    continue
                gateway.listeners.append(Listener(name, "HTTPS", 443, host, [cert],
                                                  origin=Origin(obj.source(tls.path), self.comments_under(obj, tls.path))))

    def convert_annotations(self, obj: SourceObject, view: IngressView, routes: list[Route]) -> None:
        ann = obj.annotations
        gateway = self.gateway_for(obj, view)
        for key in sorted(ann):
            if not key.startswith(PREFIX):
                continue
            short = key[len(PREFIX):]
            path = ("metadata", "annotations", key)
            value = ann[key].strip()
            if short == "ingress.class":
                obj.account(path)
            elif short == "response-timeout":
                request = "0s" if value == "infinity" else None
                ms = duration_ms(value) if request is None else None
                if request is None and ms is None:
                    self.ctx.input_error(obj, path, f"{value!r} is not a duration; Contour ignores it (15s default)")
                    continue
                request = request or (gateway_duration(ms) if ms else None)
                if request is None:
                    self.ctx.report("CTR034", obj, path, "0s means Contour's default of 15s")
                    continue
                for route in routes:
                    for rule in route.rules:
                        rule.timeouts = Timeouts(request=request)
                self.ctx.report("CTR035", obj, path, f"{value} -> timeouts.request {request} on every rule")
            elif short in ("retry-on", "num-retries", "per-try-timeout"):
                self.ctx.report("CTR036", obj, path, f"{short}: {value}: retry: {{attempts: "
                                f"{ann.get(PREFIX + 'num-retries', '1')}}}  (experimental channel; not emitted)")
            elif short in ("tls-minimum-protocol-version", "tls-maximum-protocol-version"):
                self.ctx.report("CTR054", obj, path, f"{value}: listener tls.options are implementation-specific")
            elif short == "websocket-routes":
                self.ctx.report("CTR004", obj, path, f"WebSocket upgrades on {value}: Gateway API implementations "
                                                     "accept them by default")
            elif short == "tls-cert-namespace":
                # used by add_tls_listeners (delegation -> ReferenceGrant, CTR052/CTR051 on each secretName)
                self.ctx.report("CTR070", obj, path, f"the TLS Secrets of this Ingress are read from namespace {value}: "
                                                     "the listeners reference them there")
            elif self.table.lookup(short) is not None:
                entry = self.table.annotations[short]
                self.ctx.report("CTR001", obj, path, entry.note)
            else:
                self.ctx.report("CTR003", obj, path, f"{key} is not a Contour Ingress annotation")
        self._http_policy(obj, gateway, routes)
        self._websockets(obj, view)

    def _websockets(self, obj: SourceObject, view: IngressView) -> None:
        """CTR040 when some path is not in projectcontour.io/websocket-routes (Contour refused upgrades there)."""
        listed = {p.strip() for p in obj.annotations.get(PREFIX + "websocket-routes", "").split(",") if p.strip()}
        lacking = sorted({p.value for rule in view.rules for p in rule.paths if p.value not in listed})
        if lacking:
            self.ctx.report("CTR040", obj, ("spec", "rules"),
                            f"path(s) {', '.join(lacking)} not in projectcontour.io/websocket-routes: Contour refused "
                            "their WebSocket upgrades with 403; Gateway API implementations typically accept them now, "
                            "unless configured otherwise",
                            example="GET with 'Upgrade: websocket' got 403 from Contour; now it is upgraded")

    def _http_policy(self, obj: SourceObject, gateway: Any, routes: list[Route]) -> None:
        ann = obj.annotations
        force = ann.get(FORCE_SSL, "").strip().lower() == "true"
        no_http = ann.get(ALLOW_HTTP, "").strip().lower() == "false"
        if FORCE_SSL in ann:
            obj.account(("metadata", "annotations", FORCE_SSL))
        if ALLOW_HTTP in ann:
            obj.account(("metadata", "annotations", ALLOW_HTTP))
        if not force and not no_http:
            return
        parent = GatewayParent(gateway.namespace, gateway.name)
        for route in list(routes):
            secure = any(l.protocol == "HTTPS" and l.hostname in route.hostnames for l in gateway.listeners)
            if force:
                redirect = Route("HTTPRoute", route.namespace, f"{route.name}-http", list(route.hostnames),
                                 [replace(parent, protocols=("HTTP",))],
                                 [Rule(list(r.matches), [Redirect(scheme="https", status=301)]) for r in route.rules],
                                 labels=dict(route.labels), origin=Origin(route.origin.source, [
                                     "plain HTTP: Contour redirects to https with 301 (force-ssl-redirect)"]))
                if secure:
                    route.parents = [replace(parent, protocols=("HTTPS",))]
                    routes.append(redirect)
                else:
                    route.rules[:] = redirect.rules
            else:
                route.parents = [replace(parent, protocols=("HTTPS",))]
        if force:
            self.ctx.report("CTR071", obj, ("metadata", "annotations", FORCE_SSL), "HTTP answers 301 to https",
                            example="GET http://<host>/ was redirected with 301; it still is")
            if no_http:
                self.ctx.report("CTR070", obj, ("metadata", "annotations", ALLOW_HTTP),
                                "force-ssl-redirect takes precedence: HTTP is redirected, not refused")
        else:
            self.ctx.report("CTR072", obj, ("metadata", "annotations", ALLOW_HTTP), "routes attach to HTTPS only")


def convert_ingresses(ctx: Context, objs: Sequence[SourceObject], proxies: Any) -> Conversion:
    return ContourIngressConverter(ctx, proxies=proxies).convert_all(objs)
