"""Targets (a Service as some clients see it) into GAMMA HTTPRoutes, one per Service port.

Where a TrafficSplit and a ServiceProfile govern the same Service, Linkerd's SMI
adaptor wrote the split's backends into the profile's dstOverrides and kept the
profile's routes: so one route carries both, the split's backends on every rule
and the profile's timeouts on the rules made from its routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from migrate.ir import Backend, Match, Origin, PathMatch, Route, Rule, ServiceParent, Timeouts
from migrate.plugin import Context, SourceObject
from migrate.plugins.smi.matches import has_regex
from migrate.plugins.smi.model import Profile, Split, WeightedRef
from migrate.plugins.smi.values import gateway_duration, whole_weights

CATCH_ALL_REGEX = ".*"


@dataclass
class Target:
    """One Service as the clients of one namespace see it."""

    namespace: str          # where the route lives (the clients' namespace for a consumer route)
    service_namespace: str
    service: str
    split: Split | None = None
    profile: Profile | None = None

    @property
    def primary(self) -> SourceObject:
        return self.split.obj if self.split is not None else self.profile.obj  # type: ignore[union-attr]


def service_ports(ctx: Context, namespace: str, name: str) -> list[int] | None:
    """The ports of a Service in the input, or None when it is not there."""
    svc = ctx.services.get((namespace, name))
    if svc is None:
        return None
    ports = ((svc.get("spec") or {}).get("ports")) or []
    return sorted({int(p["port"]) for p in ports if isinstance(p, dict) and str(p.get("port", "")).isdigit()})


def build(target: Target, ctx: Context) -> list[Route]:
    refs, quantities, source, matches = _destinations(target, ctx)
    profile = target.profile
    timed = profile is not None and profile.has_timeouts and profile.routes
    if refs is None and not timed:
        _explain_untimed(profile, ctx, made_rules=False)
        return []
    ports = _ports(target, refs or [], ctx)
    if ports is None:
        _explain_untimed(profile, ctx, made_rules=False)
        return []
    routes = []
    told: set[str] = set()
    for port in ports:
        backends = _backends(target, refs, quantities, source, port, ctx, told)
        root = [Backend(target.service, port, _ns(target.service_namespace, target.namespace))]
        rules: list[Rule] = []
        if matches is not None:
            if matches:
                rules.append(Rule(matches=_rank_with_regex(matches), backends=backends or root))
            rules.append(_catch_all(rules, root))
        elif timed:
            rules += _profile_rules(profile, backends or root, ctx, told)  # type: ignore[arg-type]
            rules.append(_catch_all(rules, backends or root))
        else:
            rules.append(Rule(backends=backends or root))
        name = _route_name(target) + (f"-{port}" if len(ports) > 1 else "")
        obj = target.primary
        route = Route("HTTPRoute", target.namespace, name,
                      parents=[ServiceParent(_ns(target.service_namespace, target.namespace), target.service, port)],
                      rules=rules, labels=dict((obj.data.get("metadata") or {}).get("labels") or {}),
                      origin=Origin(obj.source(), _comments(target)))
        routes.append(route)
    _explain_untimed(profile, ctx, made_rules=bool(timed))
    if profile is not None:
        ctx.report("SMI031", profile.obj, (), f"delete ServiceProfile {profile.obj.namespace}/{profile.obj.name} "
                                               "when applying the route")
    return routes


def _ns(namespace: str, route_namespace: str) -> str | None:
    return namespace if namespace != route_namespace else None


def _route_name(target: Target) -> str:
    if target.split is not None:
        return target.split.obj.name
    return target.service


def _destinations(target: Target, ctx: Context) -> tuple[list[WeightedRef] | None, bool, SourceObject | None,
                                                         list[Match] | None]:
    """Where the target's traffic goes: (weighted refs or None for the Service itself, quantity weights,
    the object they come from, split matches or None for every request)."""
    split, profile = target.split, target.profile
    if split is not None and profile is not None:
        if profile.skip_adaptor:
            ctx.report("SMI023", split.obj, ("spec",), f"ServiceProfile {profile.obj.name} carries "
                                                       f"smi.linkerd.io/skip")
            split = None
        else:
            if profile.overrides is not None:
                ctx.report("SMI022", profile.obj, ("spec", "dstOverrides"),
                           f"replaced by the backends of TrafficSplit {split.obj.name}")
            if split.matches is not None:
                ctx.report("SMI009", split.obj, ("spec", "matches"),
                           f"ServiceProfile {profile.obj.name} governs the same Service")
            return split.backends, split.quantities, split.obj, None
    if split is not None:
        if split.matches is not None:
            ctx.report("SMI007", split.obj, ("spec", "matches"),
                       f"{len(split.matches)} match(es) split; other requests go to Service {target.service}")
            _tell_regex(split.obj, ("spec", "matches"), split.matches, ctx)
        return split.backends, split.quantities, split.obj, split.matches
    if profile is not None and profile.overrides is not None:
        ctx.report("SMI020", profile.obj, ("spec", "dstOverrides"),
                   f"{len(profile.overrides)} destination(s) for Service {target.service}")
        return profile.overrides, True, profile.obj, None
    return None, False, None, None


def _ports(target: Target, refs: list[WeightedRef], ctx: Context) -> list[int] | None:
    known = service_ports(ctx, target.service_namespace, target.service)
    if known:
        return known
    obj = target.primary
    shared: set[int] | None = None
    for ref in refs:
        if ref.port is not None:
            continue
        ports = service_ports(ctx, ref.namespace, ref.name)
        if ports:
            shared = set(ports) if shared is None else shared & set(ports)
    if shared:
        ctx.report("SMI002", obj, ("spec",), f"Service {target.service_namespace}/{target.service} not in the input; "
                                             f"ports {', '.join(map(str, sorted(shared)))} from its backends")
        return sorted(shared)
    ctx.report("SMI001", obj, ("spec",), f"Service {target.service_namespace}/{target.service} and its backends "
                                         "are not in the input; no route emitted")
    return None


def _backends(target: Target, refs: list[WeightedRef] | None, quantities: bool, source: SourceObject | None,
              port: int, ctx: Context, told: set[str]) -> list[Backend]:
    if refs is None or source is None:
        return []
    kept: list[WeightedRef] = []
    for ref in refs:
        ports = service_ports(ctx, ref.namespace, ref.name) if ref.port is None else None
        if ports is not None and port not in ports:
            ctx.report("SMI003", source, ref.path, f"Service {ref.namespace}/{ref.name} has no port {port}; "
                                                   f"it gets no traffic on that port")
            continue
        kept.append(ref)
    weights, rescaled = whole_weights([r.weight for r in kept], reduce_=quantities)
    if quantities and "quantities" not in told and any(kept):
        told.add("quantities")
        ctx.report("SMI004", source, ref_root(source), "weights " + ", ".join(
            f"{r.name}={w}" for r, w in zip(kept, weights)))
    if rescaled:
        ctx.report("SMI005", source, ref_root(source), f"weights rescaled for port {port}")
    route_ns = target.namespace
    if kept and not any(weights):
        # Linkerd's proxy drops weight-0 destinations and, left with none, sends to the Service itself
        ctx.report("SMI006", source, ref_root(source), f"port {port}: no destination with a weight above zero; "
                                                       f"requests go to Service {target.service} itself")
        return []
    return [Backend(r.name, r.port if r.port is not None else port, _ns(r.namespace, route_ns), weight=w,
                    origin=Origin(source.source(r.path), source.comments_at(r.path)))
            for r, w in zip(kept, weights)]


def ref_root(obj: SourceObject) -> tuple:
    return ("spec", "backends") if obj.kind == "TrafficSplit" else ("spec", "dstOverrides")


def _rank_with_regex(matches: list[Match]) -> list[Match]:
    """Path-less matches get the regex ``.*`` when another match uses a regex. A path-less match is
    PathPrefix "/", the lowest Prefix, and Linkerd (match length) and Istio (match type) rank every regex
    above it: the regex catch-all would then take the requests a header-only match selects."""
    if not has_regex(matches):
        return list(matches)
    return [m if m.path is not None else replace(m, path=PathMatch("RegularExpression", CATCH_ALL_REGEX))
            for m in matches]


def _catch_all(rules: list[Rule], backends: list[Backend]) -> Rule:
    """Requests no other rule matches: a Service with a route rejects them otherwise. A regex catch-all when
    the other rules use regexes, so that it ranks with them and the rule order decides."""
    regex = any(has_regex(r.matches) for r in rules)
    matches = [Match(path=PathMatch("RegularExpression", CATCH_ALL_REGEX))] if regex else []
    return Rule(matches=matches, backends=list(backends))


def _rule_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:55] or "route"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _profile_rules(profile: Profile, backends: list[Backend], ctx: Context, told: set[str]) -> list[Rule]:
    """Every expressible profile route in order (first match won in Linkerd); timeouts where set."""
    obj, rules, taken = profile.obj, [], set()
    # a path-less match would default to PathPrefix "/", which outranks every regex: give it a regex
    # that matches every path, so that it ranks with the others and Linkerd's route order still decides
    regex = any(has_regex(r.matches or []) for r in profile.routes)
    for route in profile.routes:
        if not route.matches:
            if route.matches is not None and route.timeout_ms and f"never{route.path}" not in told:
                told.add(f"never{route.path}")
                ctx.report("SMI034", obj, route.path + ("timeout",), f"route {route.name!r}: its condition can "
                                                                     "never match")
            continue
        timeouts = Timeouts(request=gateway_duration(route.timeout_ms)) if route.timeout_ms else None
        matches = [m if m.path is not None or not regex else replace(m, path=PathMatch("RegularExpression", CATCH_ALL_REGEX))
                   for m in route.matches]
        rules.append(Rule(matches=matches, backends=[_copy(b) for b in backends], timeouts=timeouts,
                          name=_rule_name(route.name, taken),
                          origin=Origin(obj.source(route.path), _comments_under(obj, route.path))))
        if route.timeout_ms and f"timeout{route.path}" not in told:
            told.add(f"timeout{route.path}")
            ctx.report("SMI024", obj, route.path + ("timeout",),
                       f"route {route.name!r}: timeouts.request {gateway_duration(route.timeout_ms)}")
    if "regex-profile" not in told and any(has_regex(r.matches) for r in rules):
        told.add("regex-profile")
        _tell_regex(obj, ("spec", "routes"), [m for r in rules for m in r.matches], ctx)
    return rules


def _copy(b: Backend) -> Backend:
    return Backend(b.name, b.port, b.namespace, b.kind, b.group, b.weight, list(b.filters), b.origin)


def _explain_untimed(profile: Profile | None, ctx: Context, *, made_rules: bool) -> None:
    """Routes that only named requests for metrics (and timeouts no route could carry)."""
    if profile is None:
        return
    for route in profile.routes:
        if route.timeout_ms:
            if not made_rules and route.matches:
                ctx.report("SMI034", profile.obj, route.path + ("timeout",), f"route {route.name!r}: no route emitted")
            continue
        why = "kept as a named rule, without timeout" if made_rules and route.matches else "no rule needed"
        ctx.report("SMI028", profile.obj, route.path + ("name",), f"route {route.name!r}: {why}")


def _tell_regex(obj: SourceObject, path: tuple, matches: list[Match], ctx: Context) -> None:
    regexes = sorted({m.path.value for m in matches if m.path is not None and m.path.type == "RegularExpression"})
    if regexes:
        ctx.report("SMI012", obj, path, "regexes " + ", ".join(regexes))


def _comments_under(obj: SourceObject, prefix: tuple) -> list[str]:
    out: list[str] = []
    for path in obj.comment_paths():
        if path[:len(prefix)] == prefix:
            out += obj.comments_at(path)
    return out


def _comments(target: Target) -> list[str]:
    """The objects' comments outside their routes (those go on the rules)."""
    out: list[str] = []
    for obj in (target.split.obj if target.split else None, target.profile.obj if target.profile else None):
        if obj is None:
            continue
        for path in obj.comment_paths():
            if path[:2] != ("spec", "routes") or len(path) < 3:
                out += obj.comments_at(path)
    return out
