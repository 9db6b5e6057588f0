"""HTTPRoute filters: what RequestRedirect, URLRewrite, RequestHeaderModifier and
RequestMirror do to a matched request (ResponseHeaderModifier, CORS and ExtensionRef
do not change where a request goes; they are recorded as notes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from migrate.semantics.request import ERROR_BACKEND, WELL_KNOWN_PORTS, Outcome, Request, join_query

Resolve = Callable[[dict[str, Any]], str | None]


def replace_prefix(path: str, prefix: str, replacement: str) -> str:
    """ReplacePrefixMatch, with the spec's slash rules (its table, row by row):
    ``/foo/bar`` with prefix ``/foo`` and ``/xyz`` or ``/xyz/`` -> ``/xyz/bar``;
    ``/foo/`` -> ``/xyz/``; ``/foo`` -> ``/xyz``; with ``""`` or ``/``: ``/foo/bar`` -> ``/bar``,
    ``/foo`` and ``/foo/`` -> ``/``. The matched prefix counts whole path elements and
    its trailing ``/`` is ignored.
    """
    stem = prefix.rstrip("/")
    rest = path[len(stem):] if stem and (path == stem or path.startswith(stem + "/")) else path
    return (replacement.rstrip("/") + rest) or "/"


def modified_path(modifier: dict[str, Any] | None, path: str, prefix: str) -> str:
    """Apply an HTTPPathModifier (URLRewrite.path / RequestRedirect.path); ``prefix`` is the
    PathPrefix value of the match that selected the rule."""
    if not modifier:
        return path
    kind = modifier.get("type")
    if kind == "ReplaceFullPath":
        return modifier.get("replaceFullPath") or "/"
    if kind == "ReplacePrefixMatch":
        return replace_prefix(path, prefix, modifier.get("replacePrefixMatch") or "")
    return path


def redirect(spec: dict[str, Any], request: Request, listener_port: int, prefix: str) -> tuple[int, str]:
    """(status code, Location) of a RequestRedirect.

    Port (the spec): the filter's port if given; else, when the filter sets a scheme,
    that scheme's well-known port (80/443); else the listener's port. The port is left
    out of Location when it is the scheme's well-known port. Hostname defaults to the
    request's Host (without port), scheme to the request's, status to 302; the query
    string is kept.
    """
    scheme = spec.get("scheme") or request.scheme
    port = spec.get("port")
    if port is None:
        port = WELL_KNOWN_PORTS.get(scheme, listener_port) if spec.get("scheme") else listener_port
    host = spec.get("hostname") or request.hostname
    path = modified_path(spec.get("path"), request.path, prefix)
    shown = "" if WELL_KNOWN_PORTS.get(scheme) == int(port) else f":{port}"
    return int(spec.get("statusCode") or 302), f"{scheme}://{host}{shown}{join_query(path, request.query)}"


@dataclass
class Effects:
    """The accumulated effect of a rule's (and a backend's) filters on one request."""

    request: Request
    listener_port: int
    prefix: str  # PathPrefix value of the winning match ("/" if none)
    path: str = ""
    host: str = ""
    set: dict[str, tuple[str, str]] = field(default_factory=dict)
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    mirrors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    redirect: tuple[int, str] | None = None

    def __post_init__(self) -> None:
        self.path = self.path or self.request.path
        self.host = self.host or self.request.host

    def apply(self, filters: list[dict[str, Any]] | None, mirror: Resolve) -> None:
        """Apply ``filters`` in list order; ``mirror`` resolves a mirror backendRef (None: invalid)."""
        for flt in filters or []:
            kind = flt.get("type")
            if kind == "RequestRedirect":
                self.redirect = redirect(flt.get("requestRedirect") or {}, self.request, self.listener_port, self.prefix)
            elif kind == "URLRewrite":
                spec = flt.get("urlRewrite") or {}
                if spec.get("hostname"):
                    self.host = spec["hostname"]
                self.path = modified_path(spec.get("path"), self.path, self.prefix)
            elif kind == "RequestHeaderModifier":
                self._headers(flt.get("requestHeaderModifier") or {})
            elif kind == "RequestMirror":
                spec = flt.get("requestMirror") or {}
                target = mirror(spec.get("backendRef") or {})
                if target is None:
                    self.notes.append("RequestMirror to an invalid backendRef: not mirrored")
                    continue
                if spec.get("percent") is not None:
                    target += f" ({spec['percent']}%)"
                elif spec.get("fraction"):
                    frac = spec["fraction"]
                    target += f" ({frac.get('numerator')}/{frac.get('denominator', 100)})"
                self.mirrors.append(target)
            elif kind == "ResponseHeaderModifier":
                spec = flt.get("responseHeaderModifier") or {}
                ops = [f"set {h.get('name')}: {h.get('value')}" for h in spec.get("set") or []]
                ops += [f"add {h.get('name')}: {h.get('value')}" for h in spec.get("add") or []]
                ops += [f"remove {name}" for name in spec.get("remove") or []]
                self.notes.append("response headers: " + ", ".join(ops))
            elif kind == "CORS":
                self.notes.append("CORS (preflight and response headers not simulated)")
            elif kind == "ExtensionRef":
                ref = flt.get("extensionRef") or {}
                self.notes.append(f"ExtensionRef {ref.get('group', '')}/{ref.get('kind', '')} {ref.get('name', '')} not simulated")
            else:
                self.notes.append(f"filter {kind} not simulated")

    def _headers(self, spec: dict[str, Any]) -> None:
        for name in spec.get("remove") or []:
            if name.lower() not in {n.lower() for n in self.removed}:
                self.removed.append(name)
        for item in spec.get("set") or []:
            self.set[str(item.get("name", "")).lower()] = (str(item.get("name", "")), str(item.get("value", "")))
        for item in spec.get("add") or []:
            self.added.append((str(item.get("name", "")), str(item.get("value", ""))))


def apply_rule(rule: dict[str, Any], label: str, request: Request, listener_port: int, prefix: str,
               resolve: Resolve) -> Outcome:
    """The Outcome of the rule that won: its filters, then its backends.

    ``resolve`` turns a backendRef into ``"ns/name:port"``, or None when it is invalid
    (those share ERROR_BACKEND's 500s). No valid backend with weight: 500.
    """
    effects = Effects(request, listener_port, prefix)
    effects.apply(rule.get("filters"), resolve)
    if effects.redirect is None:
        valid: list[tuple[str, int, dict[str, Any]]] = []
        invalid = 0
        for ref in rule.get("backendRefs") or []:
            weight = 1 if ref.get("weight") is None else int(ref["weight"])
            target = resolve(ref)
            if target is None:
                invalid += weight
            elif weight > 0:
                valid.append((target, weight, ref))
        if not valid:
            return Outcome(500, rule=label, notes=tuple(effects.notes))
        if len(valid) == 1:
            effects.apply(valid[0][2].get("filters"), resolve)
        elif any(ref.get("filters") for _, _, ref in valid):
            effects.notes.append("backendRef filters not applied: the traffic is split between backends")
    if effects.redirect is not None:  # (on the only backend, ours: treated as the rule's)
        code, location = effects.redirect
        return Outcome(code, location=location, rule=label, notes=tuple(effects.notes))
    backends = [(target, weight) for target, weight, _ in valid]
    if invalid:
        backends.append((ERROR_BACKEND, invalid))
    return Outcome(
        200,
        backends=tuple(backends),
        path=join_query(effects.path, request.query),
        host=effects.host,
        headers_set=tuple(effects.set.values()),
        headers_added=tuple(effects.added),
        headers_removed=tuple(effects.removed),
        mirrors=tuple(effects.mirrors),
        rule=label,
        notes=tuple(effects.notes),
    )
