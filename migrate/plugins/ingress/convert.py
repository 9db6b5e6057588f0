"""Core Ingress semantics -> IR, reusable by every Ingress dialect plugin.

A dialect plugin (ingress-nginx, Traefik, ...) subclasses :class:`IngressConverter`
and overrides the hooks (``path_match``, ``convert_annotations``) where its
controller differs from the core API; everything else is shared.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from migrate.ir import Backend, Gateway, GatewayParent, Listener, Match, ObjectRef, Origin, PathMatch, Route, Rule
from migrate.names import host_slug, slug
from migrate.plugin import Context, Conversion, Failed, SourceObject, render_path
from migrate.plugins.ingress.parse import BackendSpec, IngressView, InvalidIngress, PathSpec, RuleSpec, parse_ingress

Path_ = tuple[Any, ...]

MAX_LISTENERS = 64
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: characters Gateway API allows in Exact/PathPrefix values (from the CRD pattern)
_GATEWAY_PATH = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_BAD_SEGMENTS = ("//", "/./", "/../", "%2f", "%2F", "#")


def gateway_path_ok(value: str) -> bool:
    """Whether ``value`` is accepted by Gateway API as an Exact/PathPrefix value."""
    return (
        value.startswith("/")
        and bool(_GATEWAY_PATH.fullmatch(value))
        and not any(bad in value for bad in _BAD_SEGMENTS)
        and not value.endswith(("/..", "/."))
    )


def as_regex(value: str, prefix: bool) -> str:
    """An anchored RE2 regex with the same meaning as an Exact or element-wise prefix path."""
    body = re.escape(value.rstrip("/") if prefix else value)
    return f"^{body}(/.*)?$" if prefix else f"^{body}$"


@dataclass(frozen=True)
class Made:
    """Which route rule came from which Ingress path (dialects rewrite rules in place)."""

    route: Route
    rule: Rule
    ingress_rule: RuleSpec
    path: PathSpec


def _under(path: Path_, prefix: Path_) -> bool:
    return path[: len(prefix)] == prefix


class IngressConverter:
    """Converts Ingresses owned by one plugin; hooks are the dialect's extension points."""

    #: finding for ImplementationSpecific paths; None where the dialect defines them as PathPrefix
    implementation_specific_code: str | None = "ING001"
    #: annotation prefixes this dialect reads itself (reported by convert_annotations)
    annotation_prefixes: tuple[str, ...] = ()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        #: every (route, rule) made from an Ingress path, for the object being converted
        self.made: list[Made] = []

    # -- entry point ---------------------------------------------------------

    def convert_all(self, objs: Sequence[SourceObject]) -> Conversion:
        out = Conversion()
        for obj in objs:
            try:
                view = self.view_of(obj)
            except InvalidIngress as exc:
                out.failed.append(Failed(obj, f"invalid Ingress: {exc}"))
                continue
            routes = self.convert_one(obj, view)
            self.convert_annotations(obj, view, routes)
            self.report_other_annotations(obj)
            out.routes.extend(routes)
        return out

    # -- hooks -----------------------------------------------------------------

    def view_of(self, obj: SourceObject) -> IngressView:
        """The normalised Ingress (a dialect that already parsed it in a pre-pass returns that)."""
        return parse_ingress(obj.data)

    def path_match(self, obj: SourceObject, path: PathSpec) -> PathMatch:
        """The Gateway API match for one Ingress path (element-wise prefix or exact)."""
        value = path.value
        if path.type == "ImplementationSpecific" and self.implementation_specific_code:
            self.ctx.report(
                self.implementation_specific_code, obj, path.path + ("pathType",),
                f"path '{value}' (ImplementationSpecific) converted as PathPrefix",
                example=f"GET {value.rstrip('/')}/x now matches; a controller that reads it as exact would not",
            )
        exact = path.type == "Exact"
        if gateway_path_ok(value):
            return PathMatch("Exact" if exact else "PathPrefix", value)
        regex = as_regex(value, prefix=not exact)
        self.ctx.report("ING006", obj, path.path + ("path",), f"path '{value}' became RegularExpression '{regex}'")
        return PathMatch("RegularExpression", regex)

    def convert_annotations(self, obj: SourceObject, view: IngressView, routes: list[Route]) -> None:
        """Dialect hook: read the controller's annotations into ``routes`` or findings."""

    def report_other_annotations(self, obj: SourceObject) -> None:
        for key in obj.annotations:
            path = ("metadata", "annotations", key)
            if obj.is_accounted(path):
                continue
            if key == LAST_APPLIED:
                self.ctx.report("ING013", obj, path, "kubectl's record of the old object, not carried over")
            else:
                self.ctx.report("ING009", obj, path, f"annotation {key} not converted")

    # -- gateway and listeners ------------------------------------------------

    def gateway_for(self, obj: SourceObject, view: IngressView) -> Gateway:
        settings, model = self.ctx.settings, self.ctx.model
        if view.class_path:
            obj.account(view.class_path)
        if settings.existing_gateway:
            ns, name = settings.existing_gateway
            return model.gateway(ns, name, "", existing=True)
        cls = view.class_name or self.ctx.default_ingress_class or "default"
        name = slug(settings.gateway_name.replace("{class}", cls), 253)
        key = (settings.gateway_namespace, name)
        if key not in model.gateways and settings.gateway_class is None:
            self.ctx.report("GM008", obj, view.class_path or (), f"Gateway {key[0]}/{name} uses gatewayClassName '{cls}'")
        gateway = model.gateway(settings.gateway_namespace, name, settings.gateway_class or cls)
        if gateway.listener("http") is None:
            gateway.listeners.insert(0, Listener("http", "HTTP", 80))
        return gateway

    def add_tls_listeners(self, obj: SourceObject, view: IngressView, gateway: Gateway) -> None:
        for tls in view.tls:
            obj.account(tls.path)
            if not tls.secret:
                self.ctx.report("ING010", obj, tls.path, f"hosts {', '.join(tls.hosts) or '(all)'} have no secretName")
                continue
            cert = ObjectRef(tls.secret, obj.namespace)
            for host in tls.hosts or [None]:
                name = f"https-{host_slug(host)}" if host else "https"
                existing = gateway.listener(name)
                if existing is not None:
                    if cert not in existing.certificates:
                        self.ctx.report(
                            "ING008", obj, tls.path,
                            f"host {host or '(all)'} already uses Secret {existing.certificates[0].namespace}/"
                            f"{existing.certificates[0].name}; Secret {obj.namespace}/{tls.secret} ignored",
                        )
                    continue
                if len(gateway.listeners) >= MAX_LISTENERS:
                    self.ctx.report("GM009", obj, tls.path, f"no HTTPS listener for host {host}")
                    continue
                origin = Origin(obj.source(tls.path), self.comments_under(obj, tls.path))
                gateway.listeners.append(Listener(name, "HTTPS", 443, host, [cert], origin=origin))

    # -- routes --------------------------------------------------------------------

    def backend(self, obj: SourceObject, spec: BackendSpec) -> Backend | None:
        origin = Origin(obj.source(spec.path), [])
        if spec.resource is not None:
            res = spec.resource
            self.ctx.report("ING005", obj, spec.path + ("resource",),
                            f"resource backend {res.get('kind')}/{res.get('name')} kept as a backendRef of that kind")
            return Backend(str(res["name"]), None, kind=str(res["kind"]), group=str(res.get("apiGroup") or ""), origin=origin)
        port = spec.port_number
        if spec.port_name is not None:
            port = self.resolve_port(obj, spec)
            if port is None:
                return None
        return Backend(spec.service or "", port, origin=origin)

    def resolve_port(self, obj: SourceObject, spec: BackendSpec) -> int | None:
        service = self.ctx.services.get((obj.namespace, spec.service or ""))
        ports = ((service or {}).get("spec") or {}).get("ports") or []
        for port in ports if isinstance(ports, list) else []:
            if isinstance(port, dict) and port.get("name") == spec.port_name and isinstance(port.get("port"), int):
                self.ctx.report("ING004", obj, spec.path,
                                f"port '{spec.port_name}' of Service {obj.namespace}/{spec.service} is {port['port']}")
                return int(port["port"])
        where = "has no port of that name" if service else "is not in the input"
        self.ctx.report("ING003", obj, spec.path,
                        f"port '{spec.port_name}' of Service {obj.namespace}/{spec.service}: the Service {where}")
        return None

    def group_key(self, obj: SourceObject, host: str | None) -> Any:
        """Dialect hook: hosts with different keys never share a route (e.g. TLS vs plain)."""
        return None

    def convert_one(self, obj: SourceObject, view: IngressView) -> list[Route]:
        self.made = []
        gateway = self.gateway_for(obj, view)
        self.add_tls_listeners(obj, view, gateway)
        if view.legacy:
            self.ctx.report("ING011", obj, ("apiVersion",), f"{obj.api_version} read as networking.k8s.io/v1")
        groups = self._host_groups(obj, view)
        catch_all_only = -1  # index of the group made only for the default backend
        default = None
        if view.default_backend is not None:
            default = self.backend(obj, view.default_backend)
            obj.account(view.default_backend.path)
            if None not in [hosts[0] for hosts, _ in groups]:
                groups.append(([None], []))
                catch_all_only = len(groups) - 1
            self.ctx.report("ING007", obj, view.default_backend.path,
                            "default backend serves requests that match no path of this Ingress",
                            example="GET http://<any host on the Gateway>/no-such-path now reaches the default backend")
        parent = GatewayParent(gateway.namespace, gateway.name)
        routes = []
        named = len(groups) - (catch_all_only >= 0)
        for index, (hosts, paths) in enumerate(groups):
            if index == catch_all_only:
                name = obj.name if named == 0 else f"{obj.name}-default-backend"
            else:
                name = obj.name if named == 1 else f"{obj.name}-{host_slug(hosts[0])}"
            route = Route("HTTPRoute", obj.namespace, name, [h for h in hosts if h], [parent])
            route.labels = dict((obj.data.get("metadata") or {}).get("labels") or {})
            route.origin = Origin(obj.source(), self.comments_under(obj, ()))
            seen_rules: set[Path_] = set()
            for rule_spec, path in paths:
                comments = self.comments_under(obj, path.path)
                if rule_spec.path not in seen_rules:
                    seen_rules.add(rule_spec.path)
                    comments = self.rule_comments(obj, rule_spec) + comments
                backend = self.backend(obj, path.backend)
                rule = Rule([Match(self.path_match(obj, path))], backends=[backend] if backend else [],
                            origin=Origin(obj.source(path.path), comments))
                route.rules.append(rule)
                self.made.append(Made(route, rule, rule_spec, path))
            if default is not None or view.default_backend is not None:
                if not any(r.matches[0].path == PathMatch("PathPrefix", "/") for r in route.rules):
                    route.rules.append(Rule([Match(PathMatch("PathPrefix", "/"))], backends=[default] if default else [],
                                            origin=Origin(obj.source(view.default_backend.path),
                                                          self.comments_under(obj, view.default_backend.path))))
            routes.append(route)
        obj.account(("spec", "rules"), ("metadata", "labels"))
        return routes

    def _host_groups(self, obj: SourceObject, view: IngressView) -> list[tuple[list[str | None], list[tuple[RuleSpec, PathSpec]]]]:
        """Rules grouped by host, then hosts with identical paths merged into one route."""
        by_host: "OrderedDict[str | None, list[tuple[RuleSpec, PathSpec]]]" = OrderedDict()
        for rule in view.rules:
            if rule.host and rule.host.startswith("*."):
                self.ctx.report("ING002", obj, rule.path + ("host",), f"host {rule.host}",
                                example=f"GET http://a.b{rule.host[1:]}/ now matches")
            if not rule.paths and view.default_backend is None:
                self.ctx.report("ING012", obj, rule.path, f"rule for host {rule.host or '(all)'} has no paths")
            by_host.setdefault(rule.host, []).extend((rule, p) for p in rule.paths)
        merged: "OrderedDict[tuple, tuple[list[str | None], list[tuple[RuleSpec, PathSpec]]]]" = OrderedDict()
        for host, paths in by_host.items():
            sig = (host is None, self.group_key(obj, host)) + tuple((p.value, p.type, repr(p.backend.__dict__.get("service")),
                                           p.backend.port_number, p.backend.port_name, repr(p.backend.resource))
                                          for _, p in paths)
            if sig in merged:
                merged[sig][0].append(host)
            else:
                merged[sig] = ([host], paths)
        return list(merged.values())

    # -- comments ------------------------------------------------------------------

    def comments_under(self, obj: SourceObject, prefix: Path_) -> list[str]:
        """Comments of every node under ``prefix`` (for () only those no other part takes)."""
        comments = obj.document.comments
        if prefix == ():
            taken = [("spec", "rules"), ("spec", "tls"), ("spec", "defaultBackend"), ("spec", "backend")]
            keep = [p for p in _ordered(obj) if not any(_under(p, t) for t in taken)]
            return _collect(comments, keep, context=True) + list(comments.trailing)
        return _collect(comments, [p for p in _ordered(obj) if _under(p, prefix)])

    def rule_comments(self, obj: SourceObject, rule: RuleSpec) -> list[str]:
        """Comments on an Ingress rule itself (not on its paths), for its first route rule."""
        comments = obj.document.comments
        paths = rule.path + ("http", "paths")
        keep = [p for p in _ordered(obj) if _under(p, rule.path) and not (_under(p, paths) and len(p) > len(paths))]
        return _collect(comments, keep)


def _ordered(obj: SourceObject) -> list[Path_]:
    """Paths that carry comments, in the order they appear in the file."""
    return obj.comment_paths()


def _collect(comments: Any, paths: Iterable[Path_], *, context: bool = False) -> list[str]:
    """Comment lines at ``paths``; with ``context``, each names the field it was written on."""
    out: list[str] = []
    for path in paths:
        lines = list(comments.leading.get(path, ()))
        if path in comments.eol:
            lines.append(comments.eol[path])
        if context and path:
            lines = [f"{render_path(path)}: {line}" for line in lines]
        out.extend(lines)
    return out
