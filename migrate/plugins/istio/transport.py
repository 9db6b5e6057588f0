"""VirtualService tls[] and tcp[] -> TLSRoute (passthrough, by SNI) and TCPRoute (by port).

Both kinds allow one rule per route, so each entry becomes its own route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import GatewayParent, Origin, Route, Rule
from migrate.names import slug
from migrate.plugins.istio import comments
from migrate.plugin import SourceObject
from migrate.plugins.istio.backends import backends_of
from migrate.plugins.istio.parse import hosts_intersect, valid_hostname

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter
    from migrate.plugins.istio.gateways import Server

#: L4 match keys Gateway API cannot express: a match using one is left out (narrower)
UNSUPPORTED = ("destinationSubnets", "sourceLabels", "sourceNamespace", "sourceSubnet")


def _entries(conv: "Converter", obj: SourceObject, key: str) -> list[tuple[int, dict]]:
    raw = obj.data["spec"].get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        conv.ctx.input_error(obj, ("spec", key), f"{key} must be a list")
        return []
    out = []
    for k, item in enumerate(raw):
        if isinstance(item, dict):
            out.append((k, item))
        else:
            conv.ctx.input_error(obj, ("spec", key, k), f"{key}[{k}] must be a map")
    return out


def _matches(conv: "Converter", obj: SourceObject, key: str, k: int, item: dict) -> list[dict] | None:
    """The usable matches ([] = match all); None when every match was left out."""
    raw = item.get("match")
    if not raw:
        return []
    out = []
    for j, m in enumerate(raw if isinstance(raw, list) else []):
        path = ("spec", key, k, "match", j)
        if not isinstance(m, dict):
            conv.ctx.input_error(obj, path, "a match must be a map")
            continue
        bad = [u for u in UNSUPPORTED if u in m]
        if bad:
            conv.ctx.report("IST032", obj, path + (bad[0],), f"{bad[0]} has no Gateway API match; match[{j}] of "
                            f"{key}[{k}] left out")
            for field in m:
                obj.account(path + (field,))
            continue
        if "sniHosts" in m and not isinstance(m["sniHosts"], list):
            conv.ctx.input_error(obj, path + ("sniHosts",), "sniHosts must be a list; ignored")
            m = {f: v for f, v in m.items() if f != "sniHosts"}
            obj.account(path + ("sniHosts",))
        for field in m:
            obj.account(path + (field,))
        out.append(m)
    if not out:
        conv.ctx.report("IST034", obj, ("spec", key, k), f"{key}[{k}] left out: none of its matches can be expressed")
        return None
    return out


def _gateway_filter(matches: list[dict], parents: list[tuple[GatewayParent, "Server | None"]], names: Any) -> list:
    wanted = set()
    for m in matches:
        gws = m.get("gateways")
        if isinstance(gws, list):
            wanted |= {str(g) for g in gws}
    if not wanted:
        return parents
    return [(p, s) for p, s in parents if f"{p.namespace}/{p.name}" in wanted or p.name in wanted]


def tls_routes(conv: "Converter", obj: SourceObject, hosts: list[str], parents: list) -> None:
    entries = _entries(conv, obj, "tls")
    for k, item in entries:
        base = ("spec", "tls", k)
        if not parents:
            conv.explain(obj, base, "no TLS passthrough server of a bound Gateway serves these hosts:")
            continue
        matches = _matches(conv, obj, "tls", k, item)
        if matches is None:
            continue
        sni = [str(h).lower() for m in matches for h in (m.get("sniHosts") or [])] or [h.lower() for h in hosts]
        sni = [h for h in dict.fromkeys(sni) if valid_hostname(h)]
        if not sni:
            conv.ctx.report("IST017", obj, base, "TLSRoute needs hostnames; '*' or an address cannot be one: left out")
            continue
        chosen = _gateway_filter(matches, parents, None)
        ports = {m.get("port") for m in matches if isinstance(m.get("port"), int)}
        if ports:
            chosen = [(p, s) for p, s in chosen if s is None or s.port in ports]
        # only the listeners whose hostname shares a name with the SNI hosts: any other parentRef
        # would be refused (no matching listener hostname) and make the route look half-attached
        chosen = [(p, s) for p, s in chosen if s is None or _serves(s, p.section, sni)]
        route = _route(conv, obj, "TLSRoute", "tls", k, len(entries), chosen, item)
        if route is not None:
            route.hostnames = sni
            conv.routes.append(route)


def _serves(server: "Server", section: str | None, sni: list[str]) -> bool:
    for item in server.listeners:
        if section is None or item.name == section:
            if any(hosts_intersect(h, item.dns) for h in sni):
                return True
    return False


def tcp_routes(conv: "Converter", obj: SourceObject, parents: list) -> None:
    entries = _entries(conv, obj, "tcp")
    for k, item in entries:
        base = ("spec", "tcp", k)
        if not parents:
            conv.explain(obj, base, "no TCP server of a bound Gateway serves these hosts:")
            continue
        matches = _matches(conv, obj, "tcp", k, item)
        if matches is None:
            continue
        chosen = _gateway_filter(matches, parents, None)
        ports = {m.get("port") for m in matches if isinstance(m.get("port"), int)}
        if ports:
            chosen = [(p, s) for p, s in chosen if s is None or s.port in ports]
        route = _route(conv, obj, "TCPRoute", "tcp", k, len(entries), chosen, item)
        if route is not None:
            conv.routes.append(route)


def _route(conv: "Converter", obj: SourceObject, kind: str, key: str, k: int, count: int, parents: list,
           item: dict) -> Route | None:
    base = ("spec", key, k)
    if not parents:
        conv.ctx.report("IST063", obj, base, f"{key}[{k}]: no bound server listens on the matched port (and, for tls, SNI hosts)")
        return None
    raw = item.get("route")
    if not isinstance(raw, list) or not raw:
        conv.ctx.input_error(obj, base + ("route",), "route must be a non-empty list")
        return None
    backends = backends_of(conv, obj, base + ("route",), raw, http=False)
    if not backends:
        return None
    for j, r in enumerate(raw):
        if isinstance(r, dict) and "headers" in r:
            conv.explain(obj, base + ("route", j, "headers"))
    name = slug(obj.name if count == 1 else f"{obj.name}-{key}-{k}", 253)
    route = Route(kind, obj.namespace, name, parents=list(dict.fromkeys(p for p, _ in parents)),
                  rules=[Rule(backends=backends, origin=Origin(obj.source(base), comments.under(obj, base)))],
                  origin=Origin(obj.source(), comments.under(obj, (), comments.ROUTE_PARTS)))
    for _, server in parents:
        for what in (server.blocked_by if server else []):
            route.blocked_by.append(what)
    return route
