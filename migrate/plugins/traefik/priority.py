"""Traefik's router order (priority, else rule length) against Gateway API precedence.

For every pair of converted routers on the same entry point whose hosts overlap, a
request that both would match is built from the lower router's match; Traefik sends it
to the higher-priority router, Gateway API to the match with the higher precedence. A
disagreement is a TRF009 finding with that request as the example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from migrate.hostnames import matches as host_matches
from migrate.ir import Match
from migrate.plugin import SourceObject
from migrate.regex_sample import sample
from migrate.semantics.request import Request
from migrate.plugins.traefik import rules
from migrate.plugins.traefik.matches import Alternative
from migrate.plugins.traefik.state import Run

Path_ = tuple[Any, ...]


@dataclass
class Router:
    obj: SourceObject
    rule_path: Path_            # where the rule was written (spec.routes[i].match, an Ingress path)
    priority_path: Path_        # where an explicit priority was written
    rule: str
    node: rules.Node
    priority: int
    explicit: bool
    tls: bool
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.obj.kind} {self.obj.namespace}/{self.obj.name} ({self.rule})"


def effective(priority: Any, rule: str) -> tuple[int, bool]:
    if isinstance(priority, int) and not isinstance(priority, bool) and priority != 0:
        return priority, True
    return len(rule), False


def _concrete(hosts: tuple[str, ...], other: tuple[str, ...]) -> str | None:
    for h in hosts or other or ("example.com",):
        if not h.startswith("*."):
            if all(host_matches(o, h) for o in other[:1]) or not other:
                return h
        else:
            return "a" + h[1:]
    return None


def _sample_path(match: Match) -> str:
    path = match.path
    if path is None:
        return "/"
    if path.type == "RegularExpression":
        found = sample(path.value, prefix_only=False)
        if (found is None or not found.startswith("/")) and path.value.startswith(".*"):
            # an unanchored Traefik regex rewritten as .*<re>.*: a request path starts with "/"
            shorter = sample(path.value[2:], prefix_only=False)
            found = shorter if shorter is not None and re.fullmatch(path.value, shorter) else found
        return found if found and found.startswith("/") else "/"
    return path.value


def gateway_key(alt: Alternative, request: Request) -> tuple | None:
    """Gateway API precedence key (smaller wins) of ``alt`` for ``request``, None if it does not match."""
    host = request.hostname
    if alt.hosts and not any(host_matches(h, host) for h in alt.hosts):
        return None
    m = alt.match
    kind, value = (m.path.type, m.path.value) if m.path else ("PathPrefix", "/")
    if kind == "Exact" and request.path != value:
        return None
    if kind == "PathPrefix":
        p = value.rstrip("/")
        if p and request.path != p and not request.path.startswith(p + "/"):
            return None
    if kind == "RegularExpression":
        try:
            if not re.fullmatch(value, request.path):
                return None
        except re.error:
            return None
    if m.method and request.method != m.method:
        return None
    for h in m.headers:
        got = request.header(h.name)
        if got is None or (got != h.value if h.type == "Exact" else not re.fullmatch(h.value, got)):
            return None
    for q in m.query:
        got = next((v for k, v in request.query if k == q.name), None)
        if got is None or (got != q.value if q.type == "Exact" else not re.fullmatch(q.value, got)):
            return None
    exact_host = max((len(h) for h in alt.hosts if not h.startswith("*.") and h == host), default=0)
    wild = max((len(h) for h in alt.hosts if h.startswith("*.")), default=0)
    tier = {"Exact": 3, "PathPrefix": 2, "RegularExpression": 1}[kind]
    return (-exact_host, -wild, -tier, -(len(value) if kind == "PathPrefix" else 0), -int(bool(m.method)),
            -len(m.headers), -len(m.query))


def _probe(a: Alternative, b: Alternative, path_from: Alternative | None = None) -> Request | None:
    """A request both alternatives may match: host and method from ``b``, path from ``path_from`` (default ``b``)."""
    host = _concrete(b.hosts, a.hosts)
    if host is None:
        return None
    headers = {h.name: h.value for h in (*a.match.headers, *b.match.headers) if h.type == "Exact"}
    query = {q.name: q.value for q in (*a.match.query, *b.match.query) if q.type == "Exact"}
    method = b.match.method or a.match.method or "GET"
    return Request(host=host, path=_sample_path((path_from or b).match), headers=tuple(headers.items()), query=tuple(query.items()),
                   method=method)


def check(run: Run) -> None:
    """Compare the orders; report each disagreement once per pair, and TRF010 for explicit priorities that hold."""
    routers = sorted(run.routers, key=lambda r: -r.priority)
    disagreed: set[int] = set()
    disagreed_at: set[tuple[int, Path_]] = set()  # an Ingress's one priority annotation serves all its paths
    for i, high in enumerate(routers):
        for low in routers[i + 1:]:
            if high.tls != low.tls or high.priority == low.priority or high.obj is low.obj and high.rule_path == low.rule_path:
                continue
            example = _conflict(high, low)
            if example is None:
                continue
            for router, other in ((high, low), (low, high)):
                disagreed.add(id(router))
                disagreed_at.add((id(router.obj), tuple(router.priority_path)))
                where = router.priority_path if router.explicit else router.rule_path
                run.ctx.report("TRF009", router.obj, where,
                               f"Traefik sends the example to {high.label} (priority {high.priority}); Gateway API "
                               f"precedence picks {low.label} (priority {low.priority})", example=str(example))
    for router in run.routers:
        if router.explicit and id(router) not in disagreed \
                and (id(router.obj), tuple(router.priority_path)) not in disagreed_at:
            run.once("TRF010", router.obj, router.priority_path,
                     f"priority {router.priority}: Gateway API precedence keeps the same winners")


def _conflict(high: Router, low: Router) -> Request | None:
    for b in low.alternatives:
        for a in high.alternatives:
            # the lower router's path, then the higher one's (a regex or a longer path inside a short prefix)
            for request in (_probe(a, b), _probe(a, b, a)):
                if request is None or not rules.evaluate(high.node, request) or not rules.evaluate(low.node, request):
                    continue
                ka, kb = gateway_key(a, request), gateway_key(b, request)
                if ka is not None and kb is not None and kb < ka:
                    return request
    return None
