"""What a simulator is asked (a Request) and what it answers (an Outcome).

Both are frozen, hashable values, so the two halves of the simulator (the source
controller's rules and the Gateway API spec's) can be compared request by request:
``a.handle(r).same_behaviour(b.handle(r))``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

#: Pseudo-backend carrying the weight of invalid backendRefs when only part of a
#: rule's traffic fails: ``(("<500>", 1), ("ns/web:80", 1))`` means half the
#: requests get a 500 (the spec: "500 for the share of the invalid backends").
ERROR_BACKEND = "<500>"

WELL_KNOWN_PORTS = {"http": 80, "https": 443}


def _pairs(value: Iterable[tuple[str, str]] | Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(k), "" if v is None else str(v)) for k, v in items)


def split_query(target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``"/a?x=1&y"`` -> ``("/a", (("x", "1"), ("y", "")))``; values are kept as written."""
    path, sep, raw = target.partition("?")
    if not sep:
        return target, ()
    pairs = []
    for part in raw.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return path or "/", tuple(pairs)


def join_query(path: str, query: Iterable[tuple[str, str]]) -> str:
    """The inverse of :func:`split_query` (no re-encoding)."""
    query = tuple(query)
    if not query:
        return path
    return path + "?" + "&".join(f"{k}={v}" if v != "" else k for k, v in query)


@dataclass(frozen=True)
class Request:
    """One HTTP request as a client sends it.

    ``host`` is the Host header (a ``:port`` in it is ignored for matching, as the
    spec requires, and forwarded unchanged). ``path`` is the path only; a ``?query``
    written into it is moved to ``query`` for convenience. ``headers`` and ``query``
    accept a mapping too. ``port`` is the port the client connects to (None: the
    scheme's well-known port).
    """

    host: str
    path: str = "/"
    scheme: str = "http"
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    port: int | None = None

    def __post_init__(self) -> None:
        path, query = self.path or "/", _pairs(self.query)
        if "?" in path:
            path, extra = split_query(path)
            query = extra + query
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "query", query)
        object.__setattr__(self, "headers", _pairs(self.headers))
        object.__setattr__(self, "scheme", self.scheme.lower())

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else WELL_KNOWN_PORTS.get(self.scheme, 80)

    @property
    def hostname(self) -> str:
        """The Host header without its port, lower-cased, without a trailing dot."""
        return strip_port(self.host).lower().rstrip(".")

    @property
    def target(self) -> str:
        """Path and query as on the request line."""
        return join_query(self.path, self.query)

    def header(self, name: str) -> str | None:
        """A header's value, repeated headers joined with "," (RFC 9110 5.3); None if absent."""
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None

    def __str__(self) -> str:
        port = "" if self.port is None or self.port == WELL_KNOWN_PORTS.get(self.scheme) else f":{self.port}"
        text = f"{self.method} {self.scheme}://{self.host}{port}{self.target}"
        if self.headers:
            text += " [" + ", ".join(f"{k}: {v}" for k, v in self.headers) + "]"
        return text


def strip_port(host: str) -> str:
    if host.startswith("["):  # [v6]:port
        return host[: host.find("]") + 1] if "]" in host else host
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else host


@dataclass(frozen=True)
class Outcome:
    """What a conformant implementation does with a request.

    status: 200 when forwarded (even if part of the traffic fails, see ERROR_BACKEND),
    3xx for a redirect, 404 when nothing matches, 500 when the matched rule cannot
    forward. For forwarded requests ``path`` (with query) and ``host`` are what the
    backend sees; they are None otherwise. ``headers_*`` record the request header
    changes (apply them to a request with :func:`backend_headers`). ``notes`` records
    what was applied but has no field here (response header changes, CORS,
    ExtensionRef, filters not applied); it is informational and ignored by
    :meth:`same_behaviour`, like ``rule``.
    """

    status: int
    backends: tuple[tuple[str, int], ...] = ()
    location: str | None = None
    path: str | None = None
    host: str | None = None
    headers_set: tuple[tuple[str, str], ...] = ()
    headers_added: tuple[tuple[str, str], ...] = ()
    headers_removed: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()
    rule: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        merged: dict[str, int] = {}
        for ref, weight in self.backends:
            if weight > 0:
                merged[ref] = merged.get(ref, 0) + int(weight)
        object.__setattr__(self, "backends", tuple(sorted(merged.items())))
        object.__setattr__(self, "mirrors", tuple(sorted(self.mirrors)))

    @property
    def forwarded(self) -> bool:
        return self.status == 200 and bool(self.backends)

    def shares(self) -> dict[str, Fraction]:
        """Each backend's share of the traffic (weights are relative)."""
        total = sum(w for _, w in self.backends)
        return {ref: Fraction(w, total) for ref, w in self.backends} if total else {}

    def summary(self) -> str:
        if self.location is not None:
            return f"{self.status} -> {self.location}"
        if not self.forwarded:
            return str(self.status)
        if len(self.backends) == 1:
            text = f"-> {self.backends[0][0]}"
        else:
            text = "-> " + ", ".join(f"{ref} ({w})" for ref, w in self.backends)
        extras = []
        if self.path is not None:
            extras.append(f"path={self.path}")
        if self.headers_set or self.headers_added or self.headers_removed:
            extras.append("headers changed")
        if self.mirrors:
            extras.append("mirror " + ", ".join(self.mirrors))
        return text + (f" [{'; '.join(extras)}]" if extras else "")

    def _key(self) -> tuple:
        return (
            self.status,
            tuple(sorted(self.shares().items())),
            self.location,
            self.path,
            self.host,
            tuple(sorted((k.lower(), v) for k, v in self.headers_set)),
            tuple((k.lower(), v) for k, v in self.headers_added),
            tuple(sorted({k.lower() for k in self.headers_removed})),
            self.mirrors,
        )

    def same_behaviour(self, other: Outcome) -> bool:
        """Equal on everything a client or backend can observe: not ``rule`` or ``notes``.

        Weights compare as proportions (70/30 is 7/3); header names case-insensitively.
        """
        return self._key() == other._key()


def backend_headers(request: Request, outcome: Outcome) -> dict[str, str]:
    """The request headers the backend receives (lower-case names; repeats joined by ",").

    Applies ``outcome``'s header changes in the order remove, set, add.
    """
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    for name in outcome.headers_removed:
        headers.pop(name.lower(), None)
    for name, value in outcome.headers_set:
        headers[name.lower()] = value
    for name, value in outcome.headers_added:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def creation_time(obj: dict[str, Any]) -> datetime | None:
    """metadata.creationTimestamp as a datetime (both simulators order by it), or None."""
    stamp = (obj.get("metadata") or {}).get("creationTimestamp")
    if isinstance(stamp, datetime):
        return stamp
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None
