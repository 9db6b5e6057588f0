"""The source half of the request simulator for core Kubernetes Ingress
(networking.k8s.io/v1, and the removed v1beta1 versions read through
:func:`migrate.plugins.ingress.parse.parse_ingress`).

Given the input documents (Ingresses, plus Services to resolve named ports; every
other kind is ignored) and a request, say what the Ingress API means for it. The
API leaves a lot to the controller; where it does, ours is written down here:

- Hosts: a rule's host is an exact name or ``*.x``, which matches exactly ONE label
  (``a.x``, not ``x`` nor ``a.b.x``). Hosts compare case-insensitively, without the
  request's ``:port``. Rules of every Ingress are merged per host.
- Host precedence (ours; the API only says requests are "first evaluated for a host
  match"): the rules of the exact host are tried first, then those of the matching
  wildcard, then the rules without a host, which serve every host. A tier whose
  paths do not match falls through to the next one, as a Gateway does with routes
  of decreasing hostname specificity. (Controllers differ: ingress-nginx does not
  fall through, see :mod:`migrate.plugins.ingress_nginx.simulator`.)
- Paths: ``Exact`` is a case-sensitive exact match; ``Prefix`` matches whole path
  elements, ignores a trailing ``/`` on the path, and ``/`` matches everything;
  ``ImplementationSpecific`` is read as ``Prefix`` (the core converter's reading;
  the real meaning belongs to the controller). The longest matching path wins,
  length counted without the Prefix's trailing ``/`` (the part that matched); at
  equal length Exact beats Prefix; remaining ties go to the first path in input
  order (Ingress order, then rules, then paths). Paths are matched as sent: no
  percent-decoding, no dot-segment or slash merging.
- No rule matches: the ``defaultBackend`` of the first Ingress that has one among
  the Ingresses with a rule for that host (exact host first, then wildcard, then
  host-less rules), else the first ``defaultBackend`` of an Ingress without rules
  (the cluster's catch-all), else 404.
- Schemes and ports: http and https are both served for every host; there is no
  HTTP->HTTPS redirect in the core API, and an https request for a host that no
  ``tls`` section lists is still served (a controller would use its default
  certificate). The request's port, method, headers and query do not affect routing.
- Backends are ``"namespace/service:port"`` with the port NUMBER; a named port is
  resolved through the Service of that name in the Ingress's namespace when it is
  among the objects, else kept as ``"namespace/service:<name>"``. A ``resource``
  backend is ``"namespace/Kind/name"``.
- Forwarded requests reach the backend unchanged: ``path`` is the path and query as
  sent, ``host`` the Host header as sent.
- Invalid Ingresses (those the API server would reject) are skipped; see ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from migrate.plugins.ingress.parse import BackendSpec, IngressView, InvalidIngress, PathSpec, parse_ingress
from migrate.semantics.matching import prefix_matches
from migrate.semantics.request import Outcome, Request

INGRESS_KINDS = ("Ingress",)


def render_path(path: tuple[Any, ...]) -> str:
    """``("spec", "rules", 0, "http", "paths", 1)`` -> ``"spec.rules[0].http.paths[1]"``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def host_matches(pattern: str, host: str) -> bool:
    """An Ingress rule host against a request host: exact, or ``*.x`` for exactly one label."""
    pattern, host = pattern.lower(), host.lower()
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return pattern == host


@dataclass
class IngressObject:
    """One valid Ingress of the input, with its position in the input."""

    index: int
    namespace: str
    name: str
    obj: dict[str, Any]
    view: IngressView

    @property
    def ident(self) -> str:
        return f"{self.namespace}/{self.name}"

    def pointer(self, path: tuple[Any, ...]) -> str:
        return f"Ingress {self.ident} {render_path(path)}"

    @property
    def annotations(self) -> dict[str, str]:
        raw = (self.obj.get("metadata") or {}).get("annotations") or {}
        return {str(k): "" if v is None else str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


@dataclass(frozen=True)
class _Candidate:
    ing: IngressObject
    path: PathSpec
    order: int  # position among all paths, input order


class IngressSimulator:
    """What the core Ingress API means for a request (see the module docstring for choices)."""

    def __init__(self, objects: Iterable[dict[str, Any]], *, default_namespace: str = "default") -> None:
        self.default_namespace = default_namespace
        self.ingresses: list[IngressObject] = []
        #: (namespace/name, reason) of Ingresses the API server would have rejected
        self.skipped: list[tuple[str, str]] = []
        self.services: dict[tuple[str, str], dict[str, Any]] = {}
        for index, obj in enumerate(objects):
            if not isinstance(obj, dict):
                continue
            kind = obj.get("kind")
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            namespace = str(meta.get("namespace") or default_namespace)
            name = str(meta.get("name") or "")
            if kind == "Service":
                self.services[(namespace, name)] = obj
            elif kind in INGRESS_KINDS:
                try:
                    view = parse_ingress(obj)
                except InvalidIngress as exc:
                    self.skipped.append((f"{namespace}/{name}", str(exc)))
                    continue
                self.ingresses.append(IngressObject(index, namespace, name, obj, view))

    # -- backends ----------------------------------------------------------------

    def backend_ref(self, ing: IngressObject, spec: BackendSpec) -> str:
        """``"ns/svc:port"`` (named ports resolved through the Service when it is given)."""
        if spec.resource is not None:
            return f"{ing.namespace}/{spec.resource.get('kind')}/{spec.resource.get('name')}"
        if spec.port_number is not None:
            return f"{ing.namespace}/{spec.service}:{spec.port_number}"
        port = self.resolve_port(ing.namespace, spec.service or "", spec.port_name or "")
        return f"{ing.namespace}/{spec.service}:{port if port is not None else spec.port_name}"

    def resolve_port(self, namespace: str, service: str, port_name: str) -> int | None:
        svc = self.services.get((namespace, service)) or {}
        ports = (svc.get("spec") or {}).get("ports") or []
        for port in ports if isinstance(ports, list) else []:
            if isinstance(port, dict) and port.get("name") == port_name and isinstance(port.get("port"), int):
                return int(port["port"])
        return None

    def has_certificate(self, host: str) -> bool:
        """Whether a ``tls`` section covers ``host``: listed (a ``*.`` entry covers one label), or an
        entry without hosts on an Ingress with a rule for it. (Informational: https is served anyway.)"""
        host = host.lower()
        for ing in self.ingresses:
            for tls in ing.view.tls:
                if any(host_matches(h, host) for h in tls.hosts):
                    return True
                if not tls.hosts and any(r.host is None or host_matches(r.host, host) for r in ing.view.rules):
                    return True
        return False

    def forward(self, request: Request, ref: str, rule: str, notes: tuple[str, ...] = ()) -> Outcome:
        """The request reaches ``ref`` unchanged."""
        return Outcome(200, backends=((ref, 1),), path=request.target, host=request.host, rule=rule, notes=notes)

    # -- matching -----------------------------------------------------------------

    def _tiers(self, host: str) -> list[list[_Candidate]]:
        """Candidate paths for ``host``: exact-host rules, wildcard rules, host-less rules."""
        exact: list[_Candidate] = []
        wildcard: list[_Candidate] = []
        anyhost: list[_Candidate] = []
        order = 0
        for ing in self.ingresses:
            for rule in ing.view.rules:
                if rule.host is None:
                    tier = anyhost
                elif not host_matches(rule.host, host):
                    order += len(rule.paths)
                    continue
                else:
                    tier = wildcard if rule.host.startswith("*.") else exact
                for path in rule.paths:
                    tier.append(_Candidate(ing, path, order))
                    order += 1
        return [exact, wildcard, anyhost]

    @staticmethod
    def path_key(path: PathSpec, request_path: str) -> tuple[int, int] | None:
        """(matched length, Exact bonus) when ``path`` matches, else None; larger wins."""
        if path.type == "Exact":
            return (len(path.value), 1) if request_path == path.value else None
        # Prefix, and ImplementationSpecific read as Prefix
        return (len(path.value.rstrip("/")), 0) if prefix_matches(path.value, request_path) else None

    def _default_backend(self, host: str) -> tuple[IngressObject, BackendSpec] | None:
        tiers: list[list[IngressObject]] = [[], [], []]
        for ing in self.ingresses:
            for rule in ing.view.rules:
                if rule.host is None:
                    tiers[2].append(ing)
                elif host_matches(rule.host, host):
                    tiers[1 if rule.host.startswith("*.") else 0].append(ing)
        for tier in tiers:
            for ing in tier:
                if ing.view.default_backend is not None:
                    return ing, ing.view.default_backend
        for ing in self.ingresses:
            if not ing.view.rules and ing.view.default_backend is not None:
                return ing, ing.view.default_backend
        return None

    def handle(self, request: Request) -> Outcome:
        host = request.hostname
        for tier in self._tiers(host):
            best: tuple | None = None
            winner: _Candidate | None = None
            for cand in tier:
                key = self.path_key(cand.path, request.path)
                if key is None:
                    continue
                rank = (key[0], key[1], -cand.order)
                if best is None or rank > best:
                    best, winner = rank, cand
            if winner is not None:
                ref = self.backend_ref(winner.ing, winner.path.backend)
                return self.forward(request, ref, winner.ing.pointer(winner.path.path))
        default = self._default_backend(host)
        if default is not None:
            ing, spec = default
            return self.forward(request, self.backend_ref(ing, spec), ing.pointer(spec.path),
                                notes=("no rule matched: default backend",))
        return Outcome(404, notes=("no rule matched and no default backend",))
