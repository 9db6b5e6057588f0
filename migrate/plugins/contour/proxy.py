"""HTTPProxy -> Gateway listeners and routes, one root (virtual host) at a time.

Each root gets listeners on the shared Gateway (HTTP, plus HTTPS or TLS for its
fqdn); the routes of the include tree are flattened into HTTPRoutes in the
namespace of the HTTPProxy that wrote them (its Services are local there), one per
HTTPProxy and access-control set. A TLS virtual host's routes attach to HTTPS and
the HTTP listener gets the same matches redirecting with 301 (permitInsecure
rules are served on both), as Contour does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from migrate.ir import (Cors, Gateway, GatewayParent, Listener, ObjectRef, Origin, Redirect, Route, Rule)
from migrate.mapping_table import covering, generic_path, load_table
from migrate.names import host_slug, slug
from migrate.plugin import Context, SourceObject
from migrate.plugins.contour import conditions, headers, includes, policies, security, services, tls
from migrate.plugins.contour.includes import FlatRoute, Key, key_of
from migrate.plugins.contour.util import (DEFAULT_CLASS, PREFIX, as_dict, as_list, duration_ms, is_contour_class,
                                          text)

Path_ = tuple[Any, ...]
REDIRECT_STATUS = 301


def proxy_class(obj: SourceObject) -> tuple[str | None, Path_ | None]:
    spec = as_dict(obj.data.get("spec"))
    if text(spec.get("ingressClassName")):
        return text(spec["ingressClassName"]), ("spec", "ingressClassName")
    for key in (PREFIX + "ingress.class", "kubernetes.io/ingress.class"):
        if obj.annotations.get(key):
            return obj.annotations[key], ("metadata", "annotations", key)
    return None, None


@dataclass
class RootBuild:
    """What one root HTTPProxy's conversion shares across its rules."""

    conv: "ProxyConverter"
    root: SourceObject
    fqdn: str
    gateway: Gateway
    secure: bool = False
    controls: dict[str, Path_] = field(default_factory=dict)
    used_controls: set[str] = field(default_factory=set)
    jwt_default: bool = False
    auth_disabled: bool = False
    cors: Cors | None = None

    @property
    def ctx(self) -> Context:
        return self.conv.ctx


@dataclass
class RuleBuild:
    """One flattened route being made into a rule: handlers read ``route`` and fill ``rule``."""

    root: RootBuild
    flat: FlatRoute
    rule: Rule
    contour_path: tuple[str, str]

    @property
    def conv(self) -> "ProxyConverter":
        return self.root.conv

    @property
    def ctx(self) -> Context:
        return self.root.conv.ctx

    @property
    def obj(self) -> SourceObject:
        return self.flat.proxy

    @property
    def path(self) -> Path_:
        return ("spec", "routes", self.flat.index)

    @property
    def route(self) -> dict:
        return as_dict(as_list(as_dict(self.obj.data.get("spec")).get("routes"))[self.flat.index])

    def report(self, code: str, path: Path_, message: str, *, example: str = "") -> None:
        self.ctx.report(code, self.obj, path, message, example=example)


class ProxyConverter:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.table = load_table("contour")
        self.services_told: set[tuple] = set()
        self.told: set[tuple] = set()
        self.default_timeout_rules = 0
        self.routes: list[Route] = []
        self.delegations: list[SourceObject] = []
        #: HTTPProxies named only by includes Contour skipped: key -> which include, and why
        self.skipped_targets: dict[Key, str] = {}

    # -- entry -------------------------------------------------------------------------

    def convert(self, proxies: Sequence[SourceObject], delegations: Sequence[SourceObject]) -> list[Route]:
        self.delegations = list(delegations)
        index: dict[Key, SourceObject] = {}
        for obj in proxies:
            cls, where = proxy_class(obj)
            if where:
                obj.account(where)
            if is_contour_class(cls, self.ctx.ingress_classes, None) is False:
                self.ctx.report("CTR016", obj, where or (), f"ingress class {cls!r}: not served by Contour")
                obj.account(("spec",))
                continue
            if not isinstance(obj.data.get("spec"), dict):
                self.ctx.report("CTR013", obj, ("spec",), "spec is missing or not a mapping: Contour ignores it")
                continue
            index[key_of(obj)] = obj
        roots = [o for o in index.values() if as_dict(o.data["spec"]).get("virtualhost") is not None]
        by_fqdn: dict[str, list[SourceObject]] = {}
        for root in roots:
            fqdn = text(as_dict(root.data["spec"].get("virtualhost")).get("fqdn")).lower()
            by_fqdn.setdefault(fqdn, []).append(root)
        reached: set[Key] = set()
        for fqdn, same in by_fqdn.items():
            for root in same:
                reached.add(key_of(root))
                if not fqdn:
                    self.ctx.report("CTR055", root, ("spec", "virtualhost"), "virtualhost without fqdn: not served")
                    root.account(("spec",))
                elif len(same) > 1:
                    others = ", ".join(f"{o.namespace}/{o.name}" for o in same)
                    self.ctx.report("CTR014", root, ("spec", "virtualhost", "fqdn"), f"{fqdn} is used by {others}")
                    root.account(("spec",))
                else:
                    reached |= self._root(root, fqdn, index)
        for key, obj in index.items():
            if key not in reached:
                self.ctx.report("CTR010", obj, ("spec",), self._orphan_reason(key))
        for obj in self.delegations:
            tls.delegation_fields(self, obj)
        for obj in index.values():
            self._sweep(obj)
        return self.routes

    def _orphan_reason(self, key: Key) -> str:
        """CTR010's message: an HTTPProxy named only by a skipped include is orphaned because of the skip."""
        if key in self.skipped_targets:
            return (f"the include that names it, {self.skipped_targets[key]}, is skipped by Contour and no root "
                    "reaches it otherwise: Contour reports it orphaned and does not serve it")
        return "no root HTTPProxy includes it: Contour does not serve it"

    def certificate(self, obj: SourceObject, secret: str, path: Path_) -> ObjectRef | None:
        """The Secret ``obj`` names for TLS, or None when Contour refuses it (no delegation)."""
        return tls.certificate(self, obj, secret, path)

    # -- one root ----------------------------------------------------------------------

    def gateway(self, root: SourceObject) -> Gateway:
        settings, model = self.ctx.settings, self.ctx.model
        if settings.existing_gateway:
            ns, name = settings.existing_gateway
            return model.gateway(ns, name, "", existing=True)
        cls = proxy_class(root)[0] or self.ctx.default_ingress_class or DEFAULT_CLASS
        name = slug(settings.gateway_name.replace("{class}", cls), 253)
        if (settings.gateway_namespace, name) not in model.gateways and settings.gateway_class is None:
            self.ctx.report("GM008", root, (), f"Gateway {settings.gateway_namespace}/{name} uses gatewayClassName '{cls}'")
        gateway = model.gateway(settings.gateway_namespace, name, settings.gateway_class or cls)
        if gateway.listener("http") is None:
            gateway.listeners.insert(0, Listener("http", "HTTP", 80))
        return gateway

    def _root(self, root: SourceObject, fqdn: str, index: dict[Key, SourceObject]) -> set[Key]:
        spec = as_dict(root.data["spec"])
        r = RootBuild(self, root, fqdn, self.gateway(root))
        root.account(("spec", "virtualhost", "fqdn"))
        if fqdn.startswith("*."):
            self.ctx.report("CTR015", root, ("spec", "virtualhost", "fqdn"), f"{fqdn}",
                            example=f"GET http://a.b{fqdn[1:]}/ got 404 from Contour; now it is routed")
        if not tls.listeners(r):
            root.account(("spec",))
            return {key_of(root)}
        if spec.get("tcpproxy") is not None:
            reached = tls.tcp_proxy(r, index)
            if as_list(spec.get("routes")) or as_list(spec.get("includes")):
                reached |= self._http(r, index, insecure_only=True)
            return reached
        return self._http(r, index)

    def _http(self, r: RootBuild, index: dict[Key, SourceObject], *, insecure_only: bool = False) -> set[Key]:
        security.vhost_controls(r)
        r.cors = cors_policy(r)
        tree = includes.walk(r.root, index)
        for key, where in tree.skipped.items():
            self.skipped_targets.setdefault(key, where)
        for problem in tree.problems:
            self.ctx.report(problem.code, problem.obj, problem.path, problem.message)
            if problem.code == "CTR023":
                problem.obj.account(("spec",))
        groups: dict[tuple, list[tuple[Rule, bool]]] = {}
        owners: dict[tuple, SourceObject] = {}
        for flat in tree.routes:
            made = self._rule(r, flat)
            if made is None:
                continue
            rule, insecure, blocked = made
            gkey = (key_of(flat.proxy), tuple(blocked))
            groups.setdefault(gkey, []).append((rule, insecure))
            owners[gkey] = flat.proxy
        security.report_vhost(r)
        self._websockets(tree.routes)
        if r.secure and not insecure_only and tree.routes:
            self.ctx.report("CTR050", r.root, ("spec", "virtualhost", "tls"),
                            f"HTTP for {r.fqdn}: each rule redirects with 301 to https on the HTTP listener"
                            + ("" if not any(as_dict(as_list(as_dict(f.proxy.data.get("spec")).get("routes"))[f.index]).get(
                                "permitInsecure") is True for f in tree.routes if f.index is not None)
                               else "; permitInsecure rules are served there"))
        if self.default_timeout_rules:
            self.ctx.report("CTR034", r.root, ("spec", "virtualhost"),
                            f"{self.default_timeout_rules} rule(s) of {r.fqdn} had Contour's 15s response timeout")
            self.default_timeout_rules = 0
        seen: dict[Key, int] = {}
        for gkey, rules in groups.items():
            owner = owners[gkey]
            pkey, blocked = gkey
            seen[pkey] = seen.get(pkey, 0) + 1
            name = owner.name if owner is r.root else f"{owner.name}-{host_slug(r.fqdn)}"
            if seen[pkey] > 1:  # rules protected by other access controls: a route of their own
                name += f"-{seen[pkey]}"
            self._emit(r, owner, name, rules, list(blocked), insecure_only)
        return tree.reached

    def _emit(self, r: RootBuild, owner: SourceObject, name: str, rules: list[tuple[Rule, bool]],
              blocked: list[str], insecure_only: bool) -> None:
        gw = GatewayParent(r.gateway.namespace, r.gateway.name)
        labels = {str(k): str(v) for k, v in as_dict(as_dict(owner.data.get("metadata")).get("labels")).items()}
        owner.account(("metadata", "labels"))
        origin = Origin(owner.source(), owner.comments_at(()) + (
            [] if owner is r.root else [f"included by HTTPProxy {r.root.namespace}/{r.root.name} ({r.fqdn})"]))
        if not r.secure or insecure_only:
            parents = [replace(gw, protocols=("HTTP",))] if insecure_only else [gw]
            self.routes.append(Route("HTTPRoute", owner.namespace, name, [r.fqdn], parents, [x for x, _ in rules],
                                     labels=labels, blocked_by=blocked, origin=origin))
            return
        self.routes.append(Route("HTTPRoute", owner.namespace, name, [r.fqdn], [replace(gw, protocols=("HTTPS",))],
                                 [x for x, _ in rules], labels=labels, blocked_by=blocked, origin=origin))
        plain, served = plain_http_rules(rules)
        self.routes.append(Route("HTTPRoute", owner.namespace, f"{name}-http", [r.fqdn], [replace(gw, protocols=("HTTP",))],
                                 plain, labels=labels, blocked_by=blocked if served else [],
                                 origin=Origin(owner.source(), ["plain HTTP: Contour redirects to https with 301"
                                                                + (" except permitInsecure rules" if served else "")])))

    def _websockets(self, flats: list[FlatRoute]) -> None:
        """CTR040 once per HTTPProxy whose served routes did not all enable WebSockets."""
        lacking: dict[Key, tuple[SourceObject, list[int]]] = {}
        for flat in flats:
            if flat.index is None:
                continue
            route = as_dict(as_list(as_dict(flat.proxy.data.get("spec")).get("routes"))[flat.index])
            if route.get("enableWebsockets") is not True:
                entry = lacking.setdefault(key_of(flat.proxy), (flat.proxy, []))
                if flat.index not in entry[1]:
                    entry[1].append(flat.index)
        for obj, indexes in lacking.values():
            told = ("CTR040", id(obj))
            if told in self.told:
                continue
            self.told.add(told)
            shown = ", ".join(f"spec.routes[{i}]" for i in sorted(indexes))
            self.ctx.report("CTR040", obj, ("spec", "routes"),
                            f"{shown} did not set enableWebsockets: Contour refused their WebSocket upgrades with 403; "
                            "Gateway API implementations typically accept them now, unless configured otherwise",
                            example="GET with 'Upgrade: websocket' got 403 from Contour; now it is upgraded")

    # -- one rule ----------------------------------------------------------------------

    def _rule(self, r: RootBuild, flat: FlatRoute) -> tuple[Rule, bool, list[str]] | None:
        converted = conditions.convert(flat.conds)
        for note in converted.notes:
            told = (note.code, id(note.obj), note.path, note.message)
            if told not in self.told:
                self.told.add(told)
                self.ctx.report(note.code, note.obj, note.path, note.message, example=note.example)
            if note.code == "CTR020" and note.obj is not flat.proxy and flat.index is not None:
                inherited = (note.code, id(flat.proxy), flat.index, note.message)
                if inherited not in self.told:
                    self.told.add(inherited)
                    self.ctx.report("CTR020", flat.proxy, ("spec", "routes", flat.index),
                                    f"inherited from an include of HTTPProxy {note.obj.namespace}/{note.obj.name}: "
                                    + note.message, example=note.example)
        for cond in flat.conds:
            cond.obj.account(cond.path)
        if flat.index is None:  # a broken include: Contour answers 502
            rule = Rule([converted.match], origin=Origin(flat.proxy.source(flat.include_path),
                                                          [f"Contour answered 502: {render(flat.include_path)} is broken"]
                                                          + comments_under(flat.proxy, flat.include_path)))
            return rule, False, []
        obj, path = flat.proxy, ("spec", "routes", flat.index)
        rule = Rule([converted.match], origin=Origin(obj.source(path), comments_under(obj, path)))
        b = RuleBuild(r, flat, rule, converted.path)
        route = b.route
        obj.account(path + ("conditions",))
        if route.get("requestRedirectPolicy") is not None:
            policies.redirect_policy(b)
        elif route.get("directResponsePolicy") is not None:
            policies.direct_response_policy(b)
        else:
            services.convert_services(b, route.get("services"), path + ("services",))
            obj.account(path + ("services",))
            if not rule.backends:
                self.ctx.report("CTR001", obj, path, "route without services (or only a mirror): Contour answered "
                                                     "503, the rule answers 500")
            if route.get("pathRewritePolicy") is not None:
                policies.path_rewrite_policy(b)
            headers.route_header_policies(b)
            if r.cors is not None:
                rule.filters.append(r.cors)
        policies.timeout_policy(b)
        policies.retry_policy(b)
        if route.get("loadBalancerPolicy") is not None:
            policies.load_balancer_policy(b)
        if route.get("healthCheckPolicy") is not None:
            policies.health_check_policy(b)
        policies.other_route_fields(b)
        insecure = route.get("permitInsecure") is True
        if route.get("permitInsecure") is not None:
            obj.account(path + ("permitInsecure",))
        blocked = security.rule_controls(b)
        return rule, insecure, blocked

    # -- accounting --------------------------------------------------------------------

    def _sweep(self, obj: SourceObject) -> None:
        """Fields nothing handled get the table's note (never the engine's catch-all)."""
        fields = self.table.kinds["HTTPProxy"].fields
        for path in _leaves(obj.data.get("spec"), ("spec",)):
            if obj.is_accounted(path):
                continue
            entry = covering(fields, generic_path(path))
            note = fields[entry].note if entry else "not an HTTPProxy field Contour reads"
            code = "CTR002" if entry and fields[entry].security else "CTR001"
            self.ctx.report(code, obj, path, note)


def plain_http_rules(rules: list[tuple[Rule, bool]]) -> tuple[list[Rule], bool]:
    """The HTTP listener's rules for a TLS host: permitInsecure rules as they are, every other
    rule's matches redirecting to https with 301 (Contour's default); and whether any is served."""
    plain = []
    for rule, insecure in rules:
        if insecure:
            plain.append(rule)
        elif not any(isinstance(f, Redirect) and f.scheme == "https" for f in rule.filters):
            plain.append(Rule(list(rule.matches), [Redirect(scheme="https", status=REDIRECT_STATUS)],
                              origin=Origin(rule.origin.source, [])))
    return plain, any(insecure for _, insecure in rules)


def cors_policy(r: RootBuild) -> Cors | None:
    vhost = as_dict(as_dict(r.root.data["spec"]).get("virtualhost"))
    if vhost.get("corsPolicy") is None:
        return None
    policy = as_dict(vhost["corsPolicy"])
    path = ("spec", "virtualhost", "corsPolicy")
    origins = tuple(o for o in (str(x) for x in as_list(policy.get("allowOrigin"))) if o == "*" or "://" in o)
    dropped = [str(x) for x in as_list(policy.get("allowOrigin")) if str(x) not in origins]
    methods = tuple(m for m in (str(x).upper() for x in as_list(policy.get("allowMethods")))
                    if m in ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"))
    age = None
    if text(policy.get("maxAge")):
        ms = duration_ms(text(policy["maxAge"]))
        age = max(1, ms // 1000) if ms else None
    cors = Cors(origins, methods, tuple(str(x) for x in as_list(policy.get("allowHeaders"))),
                tuple(str(x) for x in as_list(policy.get("exposeHeaders"))),
                policy.get("allowCredentials") if isinstance(policy.get("allowCredentials"), bool) else None, age)
    r.root.account(path)
    message = "CORS filter on every rule of " + r.fqdn
    if dropped:
        message += f"; origins {dropped} are patterns Gateway API cannot express and are left out"
    if policy.get("allowPrivateNetwork") is not None:
        message += "; allowPrivateNetwork has no Gateway API form"
    if age is None and text(policy.get("maxAge")):
        message += f"; maxAge {policy['maxAge']} (no caching) becomes the CORS filter default of 5s"
    r.ctx.report("CTR004" if not dropped and policy.get("allowPrivateNetwork") is None else "CTR001",
                 r.root, path, message)
    return cors


def render(path: Path_ | None) -> str:
    return security.render(path or ())


def comments_under(obj: SourceObject, prefix: Path_) -> list[str]:
    out: list[str] = []
    for path in obj.comment_paths():
        if path[: len(prefix)] == prefix:
            out += obj.comments_at(path)
    return out


def _leaves(value: Any, path: Path_):
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path
