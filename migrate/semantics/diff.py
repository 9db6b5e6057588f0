"""The semantic diff: probes sent to the source controller's simulator and to the
Gateway API simulator; every request whose outcome differs, with the findings of
the source object that explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from migrate.findings import Finding
from migrate.semantics.gateway import GatewaySimulator, MeshSimulator
from migrate.semantics.probes import mesh_probes, probes
from migrate.semantics.request import Outcome, Request


GATEWAY_ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})


@dataclass(frozen=True)
class Change:
    request: Request
    before: Outcome
    after: Outcome
    #: the source object whose behaviour changed ("Ingress ns/name"), or "" when unknown
    object: str
    #: finding codes recorded on that object
    explained_by: tuple[str, ...] = ()
    #: mesh requests: the namespace of the calling client (None: a request through a Gateway)
    client_namespace: str | None = None

    @property
    def described(self) -> str:
        return str(self.request) + (f" (mesh, from namespace {self.client_namespace})"
                                    if self.client_namespace is not None else "")

    def to_dict(self) -> dict:
        return {"object": self.object, "request": self.described, "before": self.before.summary(),
                "after": self.after.summary(), "before_rule": self.before.rule, "after_rule": self.after.rule,
                "findings": list(self.explained_by)}


@dataclass
class SemanticDiff:
    probes: int = 0
    changes: list[Change] = field(default_factory=list)
    #: plugins whose controller semantics are not simulated (their objects are not compared)
    unsimulated: list[str] = field(default_factory=list)
    #: https probes for hosts without a certificate on the source side (not comparable)
    skipped: int = 0

    def by_object(self) -> dict[str, list[Change]]:
        out: dict[str, list[Change]] = {}
        for change in self.changes:
            out.setdefault(change.object, []).append(change)
        return out

    def to_dict(self) -> dict:
        return {"probes": self.probes, "changed": len(self.changes), "skipped": self.skipped, "unsimulated": self.unsimulated,
                "changes": [c.to_dict() for c in self.changes]}


def _object_of(outcome: Outcome, made_from: Mapping[str, str]) -> str:
    """The source object behind an outcome's rule: 'Ingress shop/web spec.rules[0]...' ->
    'Ingress/shop/web'; 'HTTPRoute shop/web rules[1]' -> the Ingress the route was made from."""
    if not outcome.rule:
        return ""
    parts = outcome.rule.split()
    if len(parts) < 2:
        return ""
    made = made_from.get(f"{parts[0]} {parts[1]}")
    if made is not None:
        return made
    # a source object's own rule ("VirtualService shop/web http[0]", "IngressRoute shop/web routes[0]");
    # a Gateway API route we did not make: unknown
    return "" if parts[0] in GATEWAY_ROUTE_KINDS else f"{parts[0]}/{parts[1]}"


def semantic_diff(source: Iterable[dict], plugin_of: Mapping[int, str], converted: Iterable[dict],
                  findings: Iterable[Finding] = (), made_from: Mapping[str, str] | None = None, *,
                  plugins: Mapping[str, Any]) -> SemanticDiff:
    """Compare ``source`` (all input objects; ``plugin_of`` maps id(obj) of claimed ones to
    their plugin's name, ``plugins`` names to plugins, whose ``simulator`` is the source
    half) with ``converted`` (Gateway API objects); ``made_from`` maps
    "HTTPRoute ns/name" to the source object it was made from ("Ingress/ns/name").

    https probes for hosts the source serves without a certificate of their own are not
    compared: the controller answered with its default certificate, a Gateway has no
    HTTPS listener there at all (ING010 and the TLS findings say so)."""
    made_from = made_from or {}
    source, converted = list(source), list(converted)
    support = [o for o in source if o.get("kind") in ("Service", "IngressClass", "ConfigMap")]
    groups: dict[str, list[dict]] = {}
    for obj in source:
        if id(obj) in plugin_of:
            groups.setdefault(plugin_of[id(obj)], []).append(obj)
    result = SemanticDiff()
    simulators = []
    for plugin, objs in sorted(groups.items()):
        sim = simulator_for(plugins.get(plugin), objs + support)
        if sim is None:
            result.unsimulated.append(plugin)
        else:
            simulators.append((plugin, sim, objs))
    if not simulators:
        return result
    codes: dict[str, set[str]] = {}
    for f in findings:
        codes.setdefault(f.source.object, set()).add(f.code)
    owner = {_key(obj): plugin_of[id(obj)] for obj in source if id(obj) in plugin_of}

    def record(request: Request, before: Outcome, after: Outcome, client: str | None = None) -> None:
        if not before.same_behaviour(after):
            obj = _object_of(before, made_from) or _object_of(after, made_from)
            result.changes.append(Change(request, before, after, obj, tuple(sorted(codes.get(obj, ()))), client))

    for plugin, sim, objs in simulators:
        # probes from this plugin's routes (and routes of unknown origin), not another plugin's
        own = [o for o in converted if owner.get(made_from.get(_route_key(o), ""), plugin) == plugin]
        requests = probes(objs, own)
        gateway = GatewaySimulator(_behind_own_gateways(converted, own))
        offered = getattr(sim, "requests", None)  # what only the source knows: a dropped route, a negation
        if callable(offered):
            seen = {str(r) for r in requests}
            for extra in offered():
                if str(extra) not in seen:
                    seen.add(str(extra))
                    requests.append(extra)
        result.probes += len(requests)
        for request in requests:
            if request.scheme == "https" and not sim.has_certificate(request.hostname):
                result.skipped += 1
                continue
            record(request, sim.handle(request), gateway.handle(request))
        if callable(getattr(sim, "handle_mesh", None)):
            mesh = MeshSimulator(converted + support)
            found = mesh_probes(own, _service_ports(support))
            result.probes += len(found)
            for p in found:
                record(p.request, sim.handle_mesh(p.service, p.port, p.request, client_namespace=p.client_namespace),
                       mesh.handle(p.service, p.port, p.request, client_namespace=p.client_namespace), p.client_namespace)
    return result


def _gateway_refs(route: dict) -> set[tuple[str, str]]:
    namespace = (route.get("metadata") or {}).get("namespace") or "default"
    return {(ref.get("namespace") or namespace, ref.get("name"))
            for ref in (route.get("spec") or {}).get("parentRefs") or []
            if isinstance(ref, dict) and ref.get("kind", "Gateway") == "Gateway"}


def _behind_own_gateways(converted: list[dict], own: list[dict]) -> list[dict]:
    """What a request to this controller's replacement meets: the Gateways its routes attach
    to and every route attached to them, not another controller's Gateway on the same port
    (in a cluster the two have different addresses)."""
    gateways = set().union(*(_gateway_refs(o) for o in own if o.get("kind") in GATEWAY_ROUTE_KINDS))
    out = []
    for obj in converted:
        kind, meta = obj.get("kind", ""), obj.get("metadata") or {}
        if kind == "Gateway":
            if (meta.get("namespace") or "default", meta.get("name")) in gateways:
                out.append(obj)
        elif kind in GATEWAY_ROUTE_KINDS:
            if _gateway_refs(obj) & gateways:
                out.append(obj)
        else:
            out.append(obj)
    return out


def _key(obj: dict) -> str:
    """"Kind/ns/name", as a finding names its object."""
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace') or 'default'}/{meta.get('name')}"


def _route_key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('namespace') or 'default'}/{meta.get('name')}"


def _service_ports(objects: Iterable[dict]) -> dict[tuple[str, str], list[int]]:
    out: dict[tuple[str, str], list[int]] = {}
    for obj in objects:
        if obj.get("kind") == "Service":
            meta = obj.get("metadata") or {}
            ports = [p.get("port") for p in (obj.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
            out[(meta.get("namespace") or "default", str(meta.get("name")))] = [p for p in ports if isinstance(p, int)]
    return out


def simulator_for(plugin: Any, objects: Iterable[dict[str, Any]]) -> Any:
    """The source simulator a plugin offers for its objects (its optional ``simulator``
    member), or None when it has none."""
    factory = getattr(plugin, "simulator", None)
    return factory(list(objects)) if callable(factory) else None


def render_text(diff: SemanticDiff, *, limit: int = 20) -> str:
    lines = [f"Semantic diff: {diff.probes} probes, {len(diff.changes)} change behaviour"
             + (f" ({diff.skipped} https probes to hosts without a certificate not compared)" if diff.skipped else "")]
    for plugin in diff.unsimulated:
        lines.append(f"  (plugin {plugin} has no simulator of its controller: its objects are not compared)")
    for obj, changes in diff.by_object().items():
        explained = sorted({c for ch in changes for c in ch.explained_by})
        lines.append("")
        lines.append(f"{obj or '(no single source object)'}: {len(changes)} request(s) change"
                     + (f"; findings {', '.join(explained)}" if explained else "; NO FINDING EXPLAINS THIS"))
        for change in changes[:limit]:
            lines.append(f"  {change.described}")
            lines.append(f"    before: {change.before.summary()}")
            lines.append(f"    after:  {change.after.summary()}")
        if len(changes) > limit:
            lines.append(f"  ... and {len(changes) - limit} more")
    return "\n".join(lines) + "\n"


def render_markdown(diff: SemanticDiff) -> str:
    lines = ["## Semantic diff", "", f"{diff.probes} probes, {len(diff.changes)} change behaviour.", ""]
    if diff.changes:
        lines += ["| object | request | before | after | findings |", "|---|---|---|---|---|"]
        for c in diff.changes:
            cells = [c.object, c.described, c.before.summary(), c.after.summary(), ", ".join(c.explained_by)]
            lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines) + "\n"
