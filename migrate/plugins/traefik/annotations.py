"""Ingresses served by Traefik: the core Ingress conversion with Traefik's path semantics
and its traefik.ingress.kubernetes.io annotations (handlers named in mappings/traefik.yaml)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from migrate.ir import Gateway, GatewayParent, PathMatch, Route
from migrate.plugin import Context, SourceObject
from migrate.plugins.ingress.convert import IngressConverter
from migrate.plugins.ingress.parse import IngressView, PathSpec
from migrate.plugins.traefik import matches, middlewares, priority, rules
from migrate.plugins.traefik.state import DEFAULT_CLASS, Run, as_dict
from migrate.plugins.traefik.tls import apply_options

PREFIX = "traefik.ingress.kubernetes.io/"


class TraefikIngressConverter(IngressConverter):
    implementation_specific_code = None  # router.pathmatcher decides, default PathPrefix (reported by TRF005)

    def __init__(self, ctx: Context, run: Run) -> None:
        super().__init__(ctx)
        self.run = run
        self._obj: SourceObject | None = None

    def names(self, obj: SourceObject) -> dict[str, str]:
        return {k[len(PREFIX):].lower(): v for k, v in obj.annotations.items() if k.startswith(PREFIX)}

    def gateway_for(self, obj: SourceObject, view: IngressView) -> Gateway:
        """An unclassed Ingress that Traefik serves shares the IngressRoutes' Gateway (class traefik)."""
        if not view.class_name and not self.ctx.default_ingress_class:
            view = replace(view, class_name=DEFAULT_CLASS)
        return super().gateway_for(obj, view)

    def convert_one(self, obj: SourceObject, view: IngressView) -> list[Route]:
        self._obj = obj
        return super().convert_one(obj, view)

    def path_match(self, obj: SourceObject, path: PathSpec) -> PathMatch:
        where = path.path + ("path",)
        if path.type == "Exact":
            return matches.exact_path(self.run, obj, where, path.value)
        matcher = "PathPrefix"
        if path.type == "ImplementationSpecific":
            matcher = self.names(obj).get("router.pathmatcher", "PathPrefix").strip()
        if matcher == "Path":
            return matches.exact_path(self.run, obj, where, path.value)
        if matcher == "PathRegexp":
            regex = rules.go_regex_as_full(path.value)
            self.run.once("TRF006", obj, where, f"PathRegexp(`{path.value}`) became RegularExpression {regex!r}")
            return PathMatch("RegularExpression", regex)
        return matches.path_prefix(self.run, obj, where, path.value)

    def convert_annotations(self, obj: SourceObject, view: IngressView, routes: list[Route]) -> None:
        h = Handle(self, obj, view, routes, self.names(obj))
        groups: dict[str, list[str]] = {}
        for name in h.annotations:
            entry = h.run.table.lookup(_table_name(name))
            if entry is None:
                h.report("TRF004", name, "not a Traefik Ingress annotation (misspelt, or from another release); ignored")
                continue
            groups.setdefault(entry.handler, []).append(name)
        groups.setdefault("annotations.router_priority", [])  # the order check runs for every Ingress
        order = ("annotations.pathmatcher", "annotations.entrypoints", "annotations.router_tls",
                 "annotations.router_middlewares", "annotations.router_priority")
        for dotted in sorted(groups, key=lambda d: (order.index(d) if d in order else len(order), d)):
            HANDLERS[dotted.split(".")[1]](h, groups[dotted])
        services_of_backends(h)
        _provenance(self.ctx, obj, routes)


def _provenance(ctx: Context, obj: SourceObject, routes: list[Route]) -> None:
    """Annotations converted without a finding are named in a comment on the routes they shaped."""
    ref = obj.source(()).object
    named = {f.source.field for f in ctx.findings if f.source.object == ref}
    # router.priority is named later by the order check (TRF009/TRF010), after every router is known
    quiet = [key for key in obj.annotations if key.startswith(PREFIX) and key.lower() != PREFIX + "router.priority"
             and obj.is_accounted(("metadata", "annotations", key)) and f"metadata.annotations[{key}]" not in named]
    if quiet:
        for route in routes:
            route.origin.comments.append("gateway-migrate: converted " + ", ".join(sorted(quiet)))


def _table_name(name: str) -> str:
    """router.tls.domains.3.main -> router.tls.domains.0.main (the table lists index 0 for every n)."""
    parts = name.split(".")
    if len(parts) == 5 and parts[:3] == ["router", "tls", "domains"] and parts[3].isdigit():
        parts[3] = "0"
    return ".".join(parts)


class Handle:
    def __init__(self, conv: TraefikIngressConverter, obj: SourceObject, view: IngressView, routes: list[Route],
                 annotations: dict[str, str]) -> None:
        self.conv, self.obj, self.view, self.routes, self.annotations = conv, obj, view, routes, annotations
        self.run = conv.run
        self._written = {k[len(PREFIX):].lower(): k for k in obj.annotations if k.startswith(PREFIX)}

    def path(self, name: str) -> tuple[str, ...]:
        return ("metadata", "annotations", self._written.get(name, PREFIX + name))

    def report(self, code: str, name: str, message: str, *, example: str = "") -> None:
        self.run.ctx.report(code, self.obj, self.path(name), f"{PREFIX}{name}: {message}", example=example)

    def note(self, name: str) -> str:
        entry = self.run.table.lookup(_table_name(name))
        return getattr(entry, "note", "")


def pathmatcher(h: Handle, names: list[str]) -> None:
    for name in names:
        value = h.annotations[name].strip()
        if value not in ("Path", "PathPrefix", "PathRegexp"):
            h.run.ctx.input_error(h.obj, h.path(name), f"value {value!r} is not Path, PathPrefix or PathRegexp")
        else:
            h.obj.account(h.path(name))


def entrypoints(h: Handle, names: list[str]) -> None:
    for name in names:
        eps = [e.strip() for e in h.annotations[name].split(",") if e.strip()]
        protocols = tuple(p for e, p in (("web", "HTTP"), ("websecure", "HTTPS")) if e in eps)
        for other in [e for e in eps if e not in ("web", "websecure")]:
            h.report("TRF015", name, f"entry point {other!r}: port unknown (Traefik's static configuration); no "
                                     "listener is made for it")
        _restrict(h, protocols)
        h.obj.account(h.path(name))


def _restrict(h: Handle, protocols: tuple[str, ...]) -> None:
    for route in h.routes:
        route.parents = [replace(p, protocols=tuple(x for x in (p.protocols or protocols) if x in protocols))
                         if isinstance(p, GatewayParent) else p for p in route.parents]
    if not protocols:
        h.routes.clear()


def router_tls(h: Handle, names: list[str]) -> None:
    for name in names:
        value = h.annotations[name].strip()
        if name == "router.tls":
            if value.lower() == "true":
                _restrict(h, ("HTTPS",))
                if not h.view.tls:
                    h.report("TRF016", name, "TLS router without spec.tls: Traefik serves its default certificate; "
                                             "no HTTPS listener can be made")
                else:
                    h.obj.account(h.path(name))
            else:
                h.obj.account(h.path(name))
        elif name == "router.tls.options":
            ref = value.split("@")[0]
            option = next((o for o in h.run.objects if o.kind == "TLSOption" and f"{o.namespace}-{o.name}" == ref), None)
            if option is None:
                h.report("TRF001", name, f"TLSOption {value!r} is not in the input; Traefik falls back to the default")
            else:
                h.run.used.add(id(option))
                h.obj.account(h.path(name))
                apply_options(h.run, [option], h.routes)
        else:
            h.report("TRF016", name, h.note(name))


def router_middlewares(h: Handle, names: list[str]) -> None:
    for name in names:
        resolved = []
        for ref in [r.strip() for r in h.annotations[name].split(",") if r.strip()]:
            found = middlewares.lookup_annotation_ref(h.run, ref)
            expanded = middlewares.expand(h.run, found) if not isinstance(found, str) and found is not None else None
            if expanded is None:
                what = "lives in Traefik's file provider" if isinstance(found, str) else "is not in the input"
                h.report("TRF011", name, f"middleware {ref!r} {what}: Traefik does not create these routers; no route "
                                         "is emitted for this Ingress")
                h.routes.clear()
                return
            resolved += expanded
        if middlewares.redirects_scheme(resolved):
            h.routes[:] = [part for route in h.routes for part in _split_by_scheme(h, route)]
        for route in h.routes:
            route.rules, blocks = middlewares.apply(h.run, resolved, route.rules, scheme=_scheme_of(route))
            route.blocked_by += sorted(set(blocks))
        h.obj.account(h.path(name))


def _protocols(route: Route) -> tuple[str, ...]:
    found: set[str] = set()
    for parent in route.parents:
        if isinstance(parent, GatewayParent):
            found |= set(parent.protocols or ("HTTP", "HTTPS"))
    return tuple(p for p in ("HTTP", "HTTPS") if p in found)


def _scheme_of(route: Route) -> str | None:
    protocols = _protocols(route)
    return protocols[0].lower() if len(protocols) == 1 else None


def _split_by_scheme(h: Handle, route: Route) -> list[Route]:
    """A route on the HTTP and HTTPS listeners whose middlewares redirect the scheme: one copy
    per listener protocol, since Traefik does not redirect requests already on the target scheme."""
    if _scheme_of(route) is not None or not h.view.tls:
        return [route]
    out = []
    for protocol, suffix in (("HTTP", ""), ("HTTPS", "-https")):
        copy = replace(route, name=route.name + suffix, origin=replace(route.origin, comments=list(route.origin.comments)),
                       parents=[replace(p, protocols=(protocol,)) if isinstance(p, GatewayParent) else p
                                for p in route.parents],
                       rules=route.rules if protocol == "HTTP" else  # the originals: service.* annotations find them
                       [replace(r, matches=list(r.matches), filters=list(r.filters), backends=list(r.backends))
                        for r in route.rules],
                       blocked_by=list(route.blocked_by), labels=dict(route.labels))
        out.append(copy)
    return out


def router_priority(h: Handle, names: list[str]) -> None:
    """Record each path as a Traefik router (rule text as the Ingress provider writes it) for the order check."""
    explicit_value = None
    for name in names:
        try:
            explicit_value = int(h.annotations[name].strip())
            h.obj.account(h.path(name))  # the order check below says whether Gateway API keeps it
        except ValueError:
            h.run.ctx.input_error(h.obj, h.path(name), f"value {h.annotations[name]!r} is not a number")
    tls = bool(h.view.tls)
    default_matcher = h.annotations.get("router.pathmatcher", "PathPrefix").strip()
    for made in h.conv.made:
        host = made.ingress_rule.host
        # the rule the Ingress provider writes: Exact -> Path, Prefix -> PathPrefix, else the pathmatcher
        matcher = {"Exact": "Path", "Prefix": "PathPrefix"}.get(made.path.type, default_matcher)
        if matcher not in ("Path", "PathPrefix", "PathRegexp"):
            matcher = "PathPrefix"
        text = (f"Host(`{host}`) && " if host else "") + f"{matcher}(`{made.path.value}`)"
        try:
            node = rules.parse(text)
        except rules.RuleError:
            continue
        prio, explicit = priority.effective(explicit_value, text)
        alts = [matches.Alternative((host,) if host else (), m) for m in made.rule.matches]
        h.run.routers.append(priority.Router(h.obj, made.path.path + ("path",),
                                             h.path("router.priority"), text, node, prio, explicit, tls, alts))


def rulesyntax(h: Handle, names: list[str]) -> None:
    for name in names:
        h.report("TRF001", name, h.note(name))


def observability(h: Handle, names: list[str]) -> None:
    for name in names:
        h.report("TRF001", name, h.note(name))


def service(h: Handle, names: list[str]) -> None:
    for name in names:
        h.report("TRF021", name, "Traefik reads service.* annotations from the Service, not from the Ingress")


def services_of_backends(h: Handle) -> None:
    """service.* annotations on the Services the Ingress uses: reported on the backend that names the Service."""
    seen: set[tuple[str, str]] = set()
    for made in h.conv.made:
        svc_name = made.path.backend.service
        if not svc_name or (h.obj.namespace, svc_name) in seen:
            continue
        seen.add((h.obj.namespace, svc_name))
        svc = h.run.ctx.services.get((h.obj.namespace, svc_name))
        ann = as_dict(as_dict(as_dict(svc).get("metadata")).get("annotations"))
        sticky: dict[Any, list[tuple[str, str]]] = {}  # one finding for the cookie and its settings
        for key, value in ann.items():
            if not str(key).startswith(PREFIX):
                continue
            name = str(key)[len(PREFIX):].lower()
            where = made.path.backend.path
            label = f"Service {h.obj.namespace}/{svc_name} {key}={value!r}"
            if name == "service.middlewares":
                refs = [middlewares.lookup_annotation_ref(h.run, r) for r in str(value).split(",") if r.strip()]
                resolved = [m for r in refs if r is not None and not isinstance(r, str)
                            for m in (middlewares.expand(h.run, r) or [])]
                for route in h.routes:
                    rules_ = [r for r in route.rules if r is made.rule]
                    if rules_:
                        new, blocks = middlewares.apply(h.run, resolved, rules_)
                        route.rules = [x for r in route.rules for x in (new if r is made.rule else [r])]
                        route.blocked_by += blocks
                h.run.ctx.report("TRF024" if len(resolved) == len(refs) else "TRF013", h.obj, where,
                                 f"{label}: applied to the rules that use the Service")
            elif name.startswith("service.sticky.cookie"):
                sticky.setdefault(where, []).append((name, str(value)))
            elif name == "service.passhostheader" and str(value).lower() == "true":
                continue
            else:
                entry = h.run.table.lookup(name)
                h.run.ctx.report("TRF001", h.obj, where, f"{label}: {getattr(entry, 'note', 'not converted')}")
        for where, items in sticky.items():
            settings = dict(items)
            cookie = settings.get("service.sticky.cookie.name")
            h.run.ctx.report("TRF014", h.obj, where, f"Service {h.obj.namespace}/{svc_name} sticky cookie ("
                             + ", ".join(f"{PREFIX}{k}={v!r}" for k, v in items) + "); experimental equivalent: "
                             "sessionPersistence: {type: Cookie" + (f", sessionName: {cookie}" if cookie else "")
                             + "}  (experimental channel; not emitted)")


HANDLERS: dict[str, Callable[[Handle, list[str]], None]] = {
    "pathmatcher": pathmatcher, "entrypoints": entrypoints, "router_tls": router_tls,
    "router_middlewares": router_middlewares, "router_priority": router_priority, "rulesyntax": rulesyntax, "observability": observability, "service": service,
}
