"""IngressRoute -> HTTPRoutes: one per distinct host set of its rules' alternatives."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from migrate.ir import Backend, GatewayParent, Origin, Route, Rule
from migrate.names import host_slug
from migrate.plugin import SourceObject
from migrate.plugins.traefik import matches, middlewares, negation, priority, rules, services, tls
from migrate.plugins.traefik.state import Run, as_dict, as_list, entry_point_port

Path_ = tuple[Any, ...]
DEFAULT_ENTRY_POINTS = ["web", "websecure"]


def resolve_middlewares(run: Run, obj: SourceObject, path: Path_, refs: Any) -> list[SourceObject] | None:
    """IngressRoute middleware refs (name, namespace) expanded; None (TRF011) when one is missing."""
    out: list[SourceObject] = []
    for j, ref in enumerate(as_list(refs)):
        ref = as_dict(ref)
        name, ns = str(ref.get("name") or ""), str(ref.get("namespace") or obj.namespace)
        found = run.find("Middleware", ns, name)
        expanded = middlewares.expand(run, found) if found is not None else None
        if expanded is None:
            run.ctx.report("TRF011", obj, path + (j,), f"Middleware {ns}/{name} (or a member of its chain) is not in "
                           "the input: Traefik does not create this router; no route is emitted for it")
            return None
    for j, ref in enumerate(as_list(refs)):
        ref = as_dict(ref)
        found = run.find("Middleware", str(ref.get("namespace") or obj.namespace), str(ref.get("name") or ""))
        out += middlewares.expand(run, found) or []  # type: ignore[arg-type]
    obj.account(path)
    return out


def convert(run: Run, obj: SourceObject) -> list[Route]:
    run.legacy_group(obj)
    spec = as_dict(obj.data.get("spec"))
    cls = spec.get("ingressClassName") or obj.annotations.get("kubernetes.io/ingress.class")
    class_path = ("spec", "ingressClassName") if spec.get("ingressClassName") else \
        (("metadata", "annotations", "kubernetes.io/ingress.class") if cls else None)
    gateway = run.gateway(obj, str(cls) if cls else None, class_path)
    entry_points = [str(e) for e in as_list(spec.get("entryPoints"))] or DEFAULT_ENTRY_POINTS
    # spec.routes is accounted field by field below: explain_rest reports what no handler read
    obj.account(("spec", "entryPoints"), ("metadata", "labels"))
    tls_spec = spec.get("tls")
    is_tls = isinstance(tls_spec, dict)
    secret, options = tls.route_tls(run, obj, ("spec", "tls"), tls_spec) if is_tls else (None, [])
    if is_tls:
        obj.account(("spec", "tls"))
    for ep in entry_points:
        if ep not in DEFAULT_ENTRY_POINTS:
            run.ctx.report("TRF015", obj, ("spec", "entryPoints"), f"entry point {ep!r}: its port is in Traefik's static "
                           f"configuration{' (taken from the name: ' + str(entry_point_port(ep)) + ')' if entry_point_port(ep) else ''}; "
                           "no listener is made for it")
    plain = not is_tls and "web" in entry_points
    secure = is_tls and "websecure" in entry_points and secret is not None
    if not is_tls and entry_points == ["websecure"]:
        run.ctx.report("TRF016", obj, ("spec", "entryPoints"), "router without tls on websecure only: Traefik serves it "
                       "with the entry point's TLS settings and default certificate; no listener can carry that")
    if is_tls and "websecure" not in entry_points:
        run.ctx.report("TRF015", obj, ("spec", "entryPoints"), "TLS router not on websecure: no HTTPS listener is made")

    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Rule]] = {}
    for i, entry in enumerate(as_list(spec.get("routes"))):
        rpath = ("spec", "routes", i)
        entry = as_dict(entry)
        text = entry.get("match")
        try:
            node = rules.parse(str(text or ""), v2=entry.get("syntax") == "v2")
        except rules.RuleError as exc:
            run.ctx.report("TRF025", obj, rpath + ("match",), f"rule {text!r}: {exc}")
            obj.account(rpath)
            continue
        obj.account(rpath + ("match",), rpath + ("kind",), rpath + ("syntax",))
        mws = resolve_middlewares(run, obj, rpath + ("middlewares",), entry.get("middlewares"))
        if mws is None:
            obj.account(rpath)
            continue
        conv = matches.convert(run, obj, rpath + ("match",), node)
        backs = services.backend(run, obj, rpath + ("services",), entry.get("services"))
        prio, explicit = priority.effective(entry.get("priority"), str(text))
        if "priority" in entry:
            obj.account(rpath + ("priority",))  # explicit: TRF009/TRF010 from the order check
        router = priority.Router(obj, rpath + ("match",), rpath + ("priority",), str(text), node, prio,
                                 explicit, is_tls, conv.alternatives)
        run.routers.append(router)
        by_hosts: dict[tuple[str, ...], list] = {}
        for alt in conv.alternatives:
            by_hosts.setdefault(alt.hosts, []).append(alt.match)
        for hosts, found in by_hosts.items():
            rule = Rule(list(found), filters=list(backs.mirrors), backends=[replace(b) for b in backs.backends],
                        origin=Origin(obj.source(rpath), _comments(obj, rpath)))
            made, blocks = middlewares.apply(run, mws, [rule], scheme="https" if is_tls else "http")
            blocks = sorted(set(blocks + conv.blocks))
            groups.setdefault((hosts, tuple(blocks)), []).extend(made)
            for closed in conv.closed:
                if closed.alternative.hosts == hosts:  # no middleware: Traefik never ran them for these requests
                    shut = Rule([closed.alternative.match], backends=[], origin=Origin(obj.source(rpath), []))
                    groups[(hosts, tuple(blocks))].append(shut)
                    run.closed.append(negation.Pending(router, closed, shut))
        if "observability" in entry:
            pass  # explained by explain_rest
    routes: list[Route] = []
    names = len(groups)
    for (hosts, blocks), rule_list in groups.items():
        parents = []
        if plain:
            run.http_listener(gateway)
            parents.append(GatewayParent(gateway.namespace, gateway.name, "http"))
        if secure:
            for host in hosts or (None,):
                listener = run.https_listener(gateway, obj, host, secret, ("spec", "tls", "secretName"))  # type: ignore[arg-type]
                if listener is not None:
                    parents.append(GatewayParent(gateway.namespace, gateway.name, listener.name))
        if not parents:
            continue
        name = obj.name if names == 1 else f"{obj.name}-{host_slug(hosts[0] if hosts else None)}"
        route = Route("HTTPRoute", obj.namespace, name, list(hosts), parents, rule_list, blocked_by=list(blocks))
        route.labels = dict(as_dict(as_dict(obj.data.get("metadata")).get("labels")))
        route.origin = Origin(obj.source(), obj.comments_at(()) + obj.comments_at(("spec",)))
        routes.append(route)
    tls.apply_options(run, options, routes)
    run.explain_rest(obj, routes)
    return routes


def _comments(obj: SourceObject, prefix: Path_) -> list[str]:
    out = []
    for path in obj.comment_paths():
        if path[: len(prefix)] == prefix:
            out += obj.comments_at(path)
    return out


def unused_backend(name: str) -> Backend:
    return Backend(name)
