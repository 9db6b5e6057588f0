"""ingress-nginx plugin: every annotation of mappings/ingress-nginx.yaml, converted or explained.

The table names a handler for each annotation; this module runs them in a fixed
order per Ingress, after a pre-pass over all nginx Ingresses for what ingress-nginx
decides per host rather than per Ingress: regex mode (use-regex or rewrite-target
anywhere on the host), TLS hosts (the default HTTP->HTTPS redirect), and canary
Ingresses (merged into the main Ingress's rules).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Sequence

from migrate.findings import FindingSpec
from migrate.ir import PathMatch, Route
from migrate.mapping_table import LegacyKey, Mapping, load_table
from migrate.plugin import API_VERSION, Context, Conversion, SourceObject
from migrate.plugins.ingress import claimed_by_class
from migrate.plugins.ingress.convert import IngressConverter
from migrate.plugins.ingress.parse import IngressView, InvalidIngress, PathSpec, parse_ingress
from migrate.plugins.ingress_nginx import canary, paths, redirects
from migrate.plugins.ingress_nginx.findings import all_findings
from migrate.plugins.ingress_nginx.handle import TRUE, Handle

CONTROLLER = "k8s.io/ingress-nginx"
DEFAULT_CLASS = "nginx"
#: handlers run in this order: paths and rewrites first (others add to the rules they
#: make), then what adds filters or backends, then redirects (a URL redirect replaces
#: all of that; the HTTP->HTTPS split copies finished matches), access controls last
#: (they close whatever routes exist by then)
ORDER = ("paths", "canary", "backend", "tls", "affinity", "timeouts", "headers", "cors", "mirror", "misc",
         "redirects", "explain", "legacy", "security")


class NginxConverter(IngressConverter):
    implementation_specific_code = None  # ingress-nginx defines it as Prefix

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.table = load_table("ingress-nginx")
        self.prefix = ctx.settings.annotation_prefix("ingress-nginx", self.table.prefix)
        self.regex_hosts: set[str | None] = set()
        self.tls_hosts: set[str] = set()
        self.all_hosts: set[str] = set()
        self.named_hosts: list[str] = []
        self.tls_wildcards: list[str] = []
        self._view: IngressView | None = None
        self._views: dict[int, IngressView] = {}
        self._names: dict[int, dict[str, str]] = {}
        #: how each regex-mode path was read, by (id(obj), path), for rewrite-target
        self.forms: dict[tuple[int, tuple], paths.RegexForm] = {}
        self.told_host_regex: set[int] = set()
        #: every (route, rule, path) of every main Ingress, for canary merging
        self.all_made: list = []

    # -- pre-pass ------------------------------------------------------------------

    def convert_all(self, objs: Sequence[SourceObject]) -> Conversion:
        views = self._views
        for obj in objs:
            try:
                views[id(obj)] = parse_ingress(obj.data)
            except InvalidIngress:
                continue  # reported by the base class
        for obj in objs:
            view = views.get(id(obj))
            if view is None:
                continue
            ann = self.names(obj)
            # a canary's own annotations are ignored by ingress-nginx: they never switch regex mode on
            regex = not canary.is_canary(self, obj) and (
                ann.get("use-regex", "").strip() in TRUE or "rewrite-target" in ann)
            for rule in view.rules:
                self.all_hosts.add(rule.host or "")
                if regex:
                    self.regex_hosts.add(rule.host)
            for tls in view.tls:
                self.tls_hosts.update(tls.hosts)
        self.named_hosts = sorted(h for h in self.all_hosts if h)
        self.tls_wildcards = [t for t in self.tls_hosts if t.startswith("*.")]
        mains = [o for o in objs if not canary.is_canary(self, o)]
        canaries = [o for o in objs if canary.is_canary(self, o)]
        out = super().convert_all(mains)
        canary.merge_all(self, canaries, views, out)
        return out

    # -- hooks ----------------------------------------------------------------------

    def view_of(self, obj: SourceObject) -> IngressView:
        view = self._views.get(id(obj))
        return view if view is not None else super().view_of(obj)

    def names(self, obj: SourceObject) -> dict[str, str]:
        """This dialect's annotations of ``obj`` without the prefix (computed once per object)."""
        cached = self._names.get(id(obj))
        if cached is None:
            cached = self._names[id(obj)] = {k[len(self.prefix):]: v for k, v in obj.annotations.items()
                                             if k.startswith(self.prefix)}
        return cached

    def convert_one(self, obj: SourceObject, view: IngressView) -> list[Route]:
        self._view = view
        for rule in view.rules:
            if rule.host is None and rule.paths and self.named_hosts:
                named = self.named_hosts
                self.ctx.report("NGX109", obj, rule.path, "rule without host",
                                example=f"GET http://{named[0]}{rule.paths[0].value} got 404 from ingress-nginx when "
                                        f"{named[0]} has no such path; now it reaches this rule")
        return super().convert_one(obj, view)

    def group_key(self, obj: SourceObject, host: str | None) -> Any:
        return redirects.redirect_kind(self, obj, host)

    def path_match(self, obj: SourceObject, path: PathSpec) -> PathMatch:
        host = self._view.rules[path.path[2]].host if self._view is not None else None
        if host in self.regex_hosts:
            return paths.regex_path(self, obj, path)
        if path.type != "Exact" and path.value.endswith("/") and path.value != "/":
            self.ctx.report("NGX110", obj, path.path + ("path",), f"PathPrefix {path.value!r}",
                            example=f"GET {path.value.rstrip('/')} now matches")
        return super().path_match(obj, path)

    def convert_annotations(self, obj: SourceObject, view: IngressView, routes: list[Route]) -> None:
        gateway = self.gateway_for(obj, view)
        h = Handle(self, obj, view, gateway, routes, list(self.made), self.names(obj))
        self.all_made.extend(self.made)
        dispatch(h)
        if self.prefix != self.table.prefix:  # --annotations-prefix: the default prefix is just text now
            for key in obj.annotations:
                if key.startswith(self.table.prefix):
                    self.ctx.report("NGX006", obj, ("metadata", "annotations", key),
                                    f"{key}: the controller reads {self.prefix}* only; ignored, as it was")


def _handler(dotted: str) -> Callable[[Handle, list[str]], None]:
    module, function = dotted.split(".")
    return getattr(importlib.import_module(f"{__name__}.{module}"), function)


def dispatch(h: Handle) -> None:
    """Run each handler once with its annotations; report what nobody accounted for."""
    groups: dict[str, list[str]] = {}
    for name in h.annotations:
        entry = h.table.annotations.get(name) or h.table.legacy.get(name)
        if entry is None:
            h.report("NGX004", name, "not an ingress-nginx annotation (misspelt, or from a newer release); ignored, "
                                     "as ingress-nginx ignores unknown annotations")
            continue
        groups.setdefault(entry.handler, []).append(name)
    # the default HTTPS redirect applies whether or not its annotations are written
    groups.setdefault("redirects.https_redirect", [])
    for dotted in sorted(groups, key=lambda d: (ORDER.index(d.split(".")[0]), d)):
        _handler(dotted)(h, groups[dotted])
    for name in h.annotations:
        if not h.is_accounted(name):
            h.explain(name, "not converted.")
    quiet = sorted(h.silently - h.named)
    if quiet:
        for route in h.routes:
            route.origin.comments.append("gateway-migrate: converted " + ", ".join(h.prefix + n for n in quiet))


class IngressNginxPlugin:
    name = "ingress-nginx"
    api_version = API_VERSION
    description = "ingress-nginx (kubernetes/ingress-nginx): all 138 annotations converted or explained"

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return claimed_by_class(obj, ctx, controller=CONTROLLER, default_class=DEFAULT_CLASS,
                                prefix=ctx.settings.annotation_prefix(self.name, load_table(self.name).prefix))

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        converter = NginxConverter(ctx)
        self._prefix = converter.prefix  # the simulator reads the same annotations
        return converter.convert_all(objs)

    def findings(self) -> Sequence[FindingSpec]:
        return all_findings()

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.plugins.ingress_nginx.simulator import NginxSimulator  # only the semantic diff needs it

        return NginxSimulator(objects, prefix=getattr(self, "_prefix", load_table(self.name).prefix))


__all__ = ["IngressNginxPlugin", "NginxConverter", "Mapping", "LegacyKey"]
