"""The simulator's own probes: requests that exercise every route Contour's configuration names."""

from __future__ import annotations

from migrate.plugins.contour.sim_model import VHost
from migrate.plugins.contour.util import text
from migrate.regex_sample import sample
from migrate.semantics.request import Request


def probes(vhosts: dict[str, VHost]) -> list[Request]:
    """Probes only Contour's configuration can name (see the simulator module doc)."""
    out: list[Request] = []
    for fqdn, vh in sorted(vhosts.items()):
        if vh.tls_only or fqdn == "*":
            continue
        host = "a" + fqdn[1:] if fqdn.startswith("*.") else fqdn
        schemes = ("http", "https") if vh.secure else ("http",)
        upgraded: set[str] = set()
        for route in vh.routes:
            if not route.owner:
                continue
            path = _probe_path(route.path)
            if path is None:
                continue
            headers = [(text(h.get("name")), _satisfying_header(h)) for h in route.headers]
            query = tuple((text(q.get("name")), _satisfying_query(q)) for q in route.query)
            good = tuple((n, v) for n, v in headers if n and v is not None)
            good_query = tuple((n, v) for n, v in query if n and v is not None)
            variants = [(good, good_query), ((), ())]
            for i, h in enumerate(route.headers):
                excluded = _excluded_header(h)
                if excluded is not None:
                    others = tuple(x for j, x in enumerate(headers) if j != i and x[1] is not None)
                    variants.append((others + ((text(h.get("name")), excluded),), good_query))
            for scheme in schemes:
                for hdrs, qs in variants:
                    out.append(Request(host, path, scheme=scheme, headers=hdrs, query=qs))
            if route.owner not in upgraded and route.status is None and route.redirect is None and route.denied is None:
                upgraded.add(route.owner)
                scheme = "https" if vh.secure and not route.insecure else "http"
                out.append(Request(host, path, scheme=scheme, query=good_query,
                                   headers=good + (("Connection", "Upgrade"), ("Upgrade", "websocket"))))
        for path in sorted(vh.include_paths):
            for scheme in schemes:
                out.append(Request(host, path, scheme=scheme))
    return out


def _probe_path(path: tuple[str, str]) -> str | None:
    kind, value = path
    if kind == "regex":
        found = sample(value, prefix_only=False)
        return found if found and found.startswith("/") else None
    return value or "/"


def _satisfying_header(h: dict) -> str | None:
    """A value of header ``h`` that meets the condition; None: send no such header."""
    if h.get("notpresent") is True:
        return None
    if h.get("present") is True:
        return "1"
    for op in ("exact", "contains"):
        if h.get(op) not in (None, ""):
            return str(h[op])
    for op in ("notexact", "notcontains"):
        if h.get(op) not in (None, ""):
            return next(v for v in ("other", "zzz", "qqq") if str(h[op]).lower() not in v)
    if h.get("regex") not in (None, ""):
        return sample(str(h["regex"]), prefix_only=False)
    return None


def _excluded_header(h: dict) -> str | None:
    """The value a negated header condition excludes (Contour sent it elsewhere), or None."""
    if h.get("notpresent") is True:
        return "1"
    for op in ("notexact", "notcontains"):
        if h.get(op) not in (None, ""):
            return str(h[op])
    return None


def _satisfying_query(q: dict) -> str | None:
    if q.get("present") is True:
        return "1"
    for op in ("exact", "prefix", "suffix", "contains"):
        if q.get(op) not in (None, ""):
            return str(q[op])
    if q.get("regex") not in (None, ""):
        return sample(str(q["regex"]), prefix_only=False)
    return None
