"""The Gateway API half of the request simulator (spec v1.6.1).

Given Gateway API objects as plain dicts (Gateway, HTTPRoute, GRPCRoute,
ReferenceGrant, Service, Namespace) and a request, say what a conformant
implementation does: which listener takes it, which routes are attached there, which
rule wins, and what its filters and backends make of it.

Where the spec leaves a choice to the implementation, ours is written down here:

- Listener isolation (extended in the spec; conformance tests it): a request is
  handled by the most specific listener for its host only: exact hostname, then the
  longest wildcard, then a listener without hostname. No listener for the port,
  protocol and host: 404 (a real gateway may refuse the TLS handshake instead).
- ``gateway=None`` and several Gateways in the objects: every listener of every
  Gateway is considered, as if they shared one address (the most specific listener
  hostname wins across Gateways; equally specific ones pool their routes). No Gateway
  at all: each Gateway the routes reference is assumed to exist (and may be named
  with ``gateway=``) with an ``http`` (HTTP/80) and an ``https`` (HTTPS/443)
  listener, no hostname, routes from All namespaces.
- Hostname precedence ranks each route by its own ``hostnames`` (the spec's "HTTPRoute
  with the largest number of characters in a matching hostname"), not by the hostname
  it shares with the listener: a route without hostnames ranks below one naming the
  host on every listener. (A property test found that Ingress host tiers need this.)
- RegularExpression paths rank below every Exact and PathPrefix match and are
  matched with Python ``re.fullmatch``; see :mod:`migrate.semantics.matching`.
- Route age: ``metadata.creationTimestamp`` orders routes only when every route in
  contention has one; otherwise ties go straight to "{namespace}/{name}".
- Paths are matched as sent (no percent-decoding, no dot-segment or slash merging);
  query parameters by raw value, the first of a repeated name.
- Header changes apply in the order remove, set, add; repeated request headers are
  joined with "," before matching.
- Filters on a backendRef apply when that backend is the only one receiving traffic;
  with a split they cannot be shown in one Outcome and are noted, not applied.
- A route whose rule uses ReplacePrefixMatch with a non-PathPrefix match, or a
  redirect status/scheme outside the enum, is not accepted (does not attach).
- A rule without backendRefs or redirect gets 500 even if it has other filters
  (ExtensionRef responses are not simulated).
- Only core Services are valid backends (ServiceImport and other kinds: invalid, 500).
  ``services="assume"`` takes a Service missing from the objects to exist; a Service
  that is given must list the backendRef's port (if it lists ports) in either mode.
- GRPCRoute: matches only ``POST /{service}/{method}``; when an HTTPRoute and a
  GRPCRoute on one listener share a hostname, the older (then alphabetically first)
  is accepted and the other is not (the spec).
- Mesh (GAMMA): ``hostnames`` are ignored, backendRefs need no ReferenceGrant, and a
  Service parentRef's group must be "" (the API's core group; not "core").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from migrate.semantics.filters import apply_rule
from migrate.semantics.matching import (
    effective_hostnames,
    grpc_match,
    host_score,
    hostsets_intersect,
    http_match,
    listener_score,
    path_of,
    selector_matches,
)
from migrate.semantics.request import Outcome, Request, creation_time

GATEWAY_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = ("HTTPRoute", "GRPCRoute")
REDIRECT_CODES = {"301", "302", "303", "307", "308"}
NAME_LABEL = "kubernetes.io/metadata.name"

Services = Literal["assume", "check"]


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _key(obj: dict[str, Any], default_ns: str = "default") -> tuple[str, str]:
    meta = _meta(obj)
    return meta.get("namespace") or default_ns, meta.get("name") or ""


@dataclass(frozen=True, eq=False)  # hashed by identity: allowedRoutes is a dict
class Listener:
    gateway: tuple[str, str]
    name: str
    port: int
    protocol: str
    hostname: str | None
    allowed: dict[str, Any]  # allowedRoutes


@dataclass
class Route:
    kind: str
    namespace: str
    name: str
    created: datetime | None
    hostnames: list[str]
    parents: list[dict[str, Any]]
    rules: list[dict[str, Any]]

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.name}"


def _route_accepted(route: Route) -> bool:
    """Reject what the spec says makes a Route not Accepted (beyond schema/CEL checks)."""
    for rule in route.rules:
        kinds = [path_of(m)[0] for m in rule.get("matches") or [{}]]
        for flt in rule.get("filters") or []:
            spec = flt.get("requestRedirect") or flt.get("urlRewrite") or {}
            if (spec.get("path") or {}).get("type") == "ReplacePrefixMatch" and any(k != "PathPrefix" for k in kinds):
                return False
            if flt.get("type") == "RequestRedirect":
                if spec.get("statusCode") is not None and str(spec["statusCode"]) not in REDIRECT_CODES:
                    return False
                if spec.get("scheme") not in (None, "http", "https"):
                    return False
    return True


class _Objects:
    """The input objects, indexed."""

    def __init__(self, objects: Iterable[dict[str, Any]], services: Services) -> None:
        if services not in ("assume", "check"):
            raise ValueError(f"services must be 'assume' or 'check', not {services!r}")
        self.services_mode = services
        self.gateways: dict[tuple[str, str], dict[str, Any]] = {}
        self.services: dict[tuple[str, str], dict[str, Any]] = {}
        self.namespaces: dict[str, dict[str, str]] = {}
        self.grants: list[dict[str, Any]] = []
        self.routes: list[Route] = []
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            kind = obj.get("kind")
            if kind == "Gateway":
                self.gateways[_key(obj)] = obj
            elif kind == "Service":
                self.services[_key(obj)] = obj
            elif kind == "Namespace":
                self.namespaces[_meta(obj).get("name") or ""] = dict(_meta(obj).get("labels") or {})
            elif kind == "ReferenceGrant":
                self.grants.append(obj)
            elif kind in ROUTE_KINDS:
                spec = obj.get("spec") or {}
                ns, name = _key(obj)
                rules = spec.get("rules")
                if rules is None and kind == "HTTPRoute":  # the CRD default: match all, no backends (500)
                    rules = [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}]}]
                route = Route(kind, ns, name, creation_time(obj), list(spec.get("hostnames") or []),
                              list(spec.get("parentRefs") or []), list(rules or []))
                if _route_accepted(route):
                    self.routes.append(route)

    def labels(self, namespace: str) -> dict[str, str]:
        """A namespace's labels, with the implicit kubernetes.io/metadata.name (even without an object)."""
        return {**self.namespaces.get(namespace, {}), NAME_LABEL: namespace}

    def granted(self, route: Route, namespace: str, kind: str, name: str) -> bool:
        """Whether a ReferenceGrant in ``namespace`` lets ``route`` refer to that Service."""
        for grant in self.grants:
            if _key(grant)[0] != namespace:
                continue
            spec = grant.get("spec") or {}
            if not any(f.get("group") == GATEWAY_GROUP and f.get("kind") == route.kind
                       and f.get("namespace") == route.namespace for f in spec.get("from") or []):
                continue
            if any((t.get("group") or "") == "" and t.get("kind") == kind and t.get("name") in (None, "", name)
                   for t in spec.get("to") or []):
                return True
        return False

    def backend(self, route: Route, ref: dict[str, Any], *, grants: bool = True) -> str | None:
        """``"ns/name:port"`` for a valid backendRef, None for an invalid one."""
        group, kind = ref.get("group") or "", ref.get("kind") or "Service"
        name, port = ref.get("name"), ref.get("port")
        namespace = ref.get("namespace") or route.namespace
        if group != "" or kind != "Service" or not name or port is None:
            return None
        if grants and namespace != route.namespace and not self.granted(route, namespace, kind, name):
            return None
        service = self.services.get((namespace, name))
        if service is None:
            if self.services_mode == "check":
                return None
        else:
            ports = (service.get("spec") or {}).get("ports")
            if ports and int(port) not in {int(p.get("port", -1)) for p in ports}:
                return None
        return f"{namespace}/{name}:{port}"


@dataclass
class _Candidate:
    route: Route
    hostnames: tuple[str, ...]  # effective on the listener; () = any


def _decide(objs: _Objects, candidates: list[_Candidate], request: Request, listener_port: int,
            *, grants: bool = True, use_hosts: bool = True) -> Outcome:
    """Pick the winning match across all candidate routes and apply its rule."""
    best: tuple | None = None
    winner: tuple[Route, int, dict[str, Any]] | None = None
    scored = []
    for cand in candidates:
        if use_hosts and host_score(cand.hostnames, request.hostname) is None:
            continue  # the route does not serve this host on this listener
        # precedence ranks the route's own hostnames, as the spec words it ("the HTTPRoute with
        # the largest number of characters in a matching hostname"): a route without hostnames
        # ranks below one that names the host, even on a listener whose hostname they share
        score = (host_score(tuple(cand.route.hostnames), request.hostname) or (0, 0)) if use_hosts else (0, 0)
        scored.append((cand, score))
    dated = all(c.route.created is not None for c, _ in scored)
    for cand, score in scored:
        route = cand.route
        age = route.created.timestamp() if dated and route.created else 0.0
        for i, rule in enumerate(route.rules):
            for j, match in enumerate(rule.get("matches") or [{}]):
                rank = (http_match if route.kind == "HTTPRoute" else grpc_match)(match, request)
                if rank is None:
                    continue
                key = (-score[0], -score[1], *rank, age, route.ident, i, j)
                if best is None or key < best:
                    best, winner = key, (route, i, match)
    if winner is None:
        return Outcome(404)
    route, index, match = winner
    kind, value = path_of(match)
    return apply_rule(route.rules[index], f"{route.kind} {route.ident} rules[{index}]", request, listener_port,
                      value if kind == "PathPrefix" else "/", lambda ref: objs.backend(route, ref, grants=grants))


class GatewaySimulator:
    """What a conformant Gateway does with a request (see the module docstring for choices)."""

    def __init__(self, objects: Iterable[dict[str, Any]], *, gateway: tuple[str, str] | None = None,
                 services: Services = "assume") -> None:
        self._objs = _Objects(objects, services)
        gateways = self._objs.gateways
        if gateway is not None:
            gateway = tuple(gateway)  # type: ignore[assignment]
            known = gateways or self._implicit_gateways()  # no Gateway objects: the referenced ones
            if gateway not in known:
                raise KeyError(f"Gateway {gateway[0]}/{gateway[1]} is neither among the objects nor referenced")
            chosen = {gateway: known[gateway]}
        elif gateways:
            chosen = dict(gateways)
        else:
            chosen = self._implicit_gateways()
        self.listeners: list[Listener] = []
        for key, obj in chosen.items():
            for lst in (obj.get("spec") or {}).get("listeners") or []:
                self.listeners.append(Listener(key, lst.get("name", ""), int(lst.get("port", 0)),
                                               lst.get("protocol", ""), lst.get("hostname") or None,
                                               lst.get("allowedRoutes") or {}))
        self.attached: dict[Listener, list[_Candidate]] = {lst: self._attach(lst) for lst in self.listeners}

    def _implicit_gateways(self) -> dict[tuple[str, str], dict[str, Any]]:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for route in self._objs.routes:
            for ref in route.parents:
                if (ref.get("group") or GATEWAY_GROUP) == GATEWAY_GROUP and (ref.get("kind") or "Gateway") == "Gateway":
                    key = (ref.get("namespace") or route.namespace, ref.get("name", ""))
                    everyone = {"namespaces": {"from": "All"}}
                    found[key] = {"spec": {"listeners": [
                        {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": everyone},
                        {"name": "https", "port": 443, "protocol": "HTTPS", "allowedRoutes": everyone},
                    ]}}
        return found

    def _allows(self, lst: Listener, route: Route) -> bool:
        namespaces = lst.allowed.get("namespaces") or {}
        source = namespaces.get("from") or "Same"
        if source == "Same" and route.namespace != lst.gateway[0]:
            return False
        if source == "Selector" and not selector_matches(namespaces.get("selector"), self._objs.labels(route.namespace)):
            return False
        if source not in ("Same", "All", "Selector"):
            return False
        kinds = lst.allowed.get("kinds")
        if kinds:
            return any((k.get("group") or GATEWAY_GROUP) == GATEWAY_GROUP and k.get("kind") == route.kind for k in kinds)
        return lst.protocol in ("HTTP", "HTTPS")  # the default kinds of an HTTP(S) listener

    def _attach(self, lst: Listener) -> list[_Candidate]:
        found: list[_Candidate] = []
        for route in self._objs.routes:
            refs = [r for r in route.parents
                    if (r.get("group") or GATEWAY_GROUP) == GATEWAY_GROUP and (r.get("kind") or "Gateway") == "Gateway"
                    and (r.get("namespace") or route.namespace, r.get("name")) == lst.gateway
                    and r.get("sectionName") in (None, lst.name) and r.get("port") in (None, lst.port)]
            if not refs or not self._allows(lst, route):
                continue
            hostnames = effective_hostnames(lst.hostname, route.hostnames)
            if hostnames is not None:
                found.append(_Candidate(route, hostnames))
        # HTTPRoute vs GRPCRoute sharing a hostname: the older, then alphabetically first, wins.
        dated = all(c.route.created is not None for c in found)
        found.sort(key=lambda c: (c.route.created.timestamp() if dated and c.route.created else 0.0, c.route.ident))
        accepted: list[_Candidate] = []
        for cand in found:
            if not any(o.route.kind != cand.route.kind and hostsets_intersect(o.hostnames, cand.hostnames)
                       for o in accepted):
                accepted.append(cand)
        return accepted

    def handle(self, request: Request) -> Outcome:
        protocol = {"http": "HTTP", "https": "HTTPS"}.get(request.scheme)
        port, host = request.effective_port, request.hostname
        scored = [(listener_score(lst.hostname, host), lst) for lst in self.listeners
                  if lst.protocol == protocol and lst.port == port]
        scored = [(s, lst) for s, lst in scored if s is not None]
        if not scored:
            return Outcome(404)
        top = max(s for s, _ in scored)
        candidates: dict[str, _Candidate] = {}
        for score, lst in scored:
            if score == top:
                for cand in self.attached[lst]:
                    key = f"{cand.route.kind} {cand.route.ident}"
                    if key in candidates:  # attached through two pooled listeners: serve either's hosts
                        merged = tuple(dict.fromkeys(candidates[key].hostnames + cand.hostnames))
                        cand = _Candidate(cand.route, () if not cand.hostnames or not candidates[key].hostnames else merged)
                    candidates[key] = cand
        return _decide(self._objs, list(candidates.values()), request, port)


class MeshSimulator:
    """GAMMA: routes whose parentRef is a Service (group "", kind Service).

    Producer routes live in the Service's namespace and apply to every client;
    consumer routes live elsewhere and apply only to clients in their own namespace,
    replacing the producer routes for those clients. A Service with routes rejects
    (404) requests no route matches; one without routes sends them straight to itself.
    """

    def __init__(self, objects: Iterable[dict[str, Any]], *, services: Services = "assume") -> None:
        self._objs = _Objects(objects, services)

    def _port_name_matches(self, service: tuple[str, str], port: int, section: str | None) -> bool:
        if section is None:
            return True
        obj = self._objs.services.get(service)
        if obj is None:
            return True  # the port names are unknown: assume the reference is right
        return any(p.get("name") == section and int(p.get("port", -1)) == port
                   for p in (obj.get("spec") or {}).get("ports") or [])

    def routes_for(self, service: tuple[str, str], port: int) -> list[Route]:
        found = []
        for route in self._objs.routes:
            for ref in route.parents:
                if ((ref.get("group") or "") == "" and ref.get("kind") == "Service"
                        and (ref.get("namespace") or route.namespace, ref.get("name")) == tuple(service)
                        and ref.get("port") in (None, port)
                        and self._port_name_matches(tuple(service), port, ref.get("sectionName"))):
                    found.append(route)
                    break
        return found

    def handle(self, service: tuple[str, str], port: int, request: Request, *,
               client_namespace: str | None = None) -> Outcome:
        routes = self.routes_for(service, port)
        consumer = [r for r in routes if r.namespace != service[0] and r.namespace == client_namespace]
        chosen = consumer or [r for r in routes if r.namespace == service[0]]
        if not chosen:
            return Outcome(200, backends=((f"{service[0]}/{service[1]}:{port}", 1),), path=request.target,
                           host=request.host)
        candidates = [_Candidate(r, ()) for r in chosen]
        return _decide(self._objs, candidates, request, port, grants=False, use_hosts=False)
