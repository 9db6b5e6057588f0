"""Deterministic, valid Kubernetes names for generated objects and listeners.

Generated names must be DNS-1123 (subdomain for objects, label-ish for listener
section names) and stable across runs, so a re-run produces the same files.
"""

from __future__ import annotations

import hashlib
import re

_BAD = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def slug(text: str, limit: int = 63) -> str:
    """Lower-case DNS label made from free text; ``*`` becomes ``wildcard``."""
    text = text.lower().replace("*", "wildcard")
    text = _DASHES.sub("-", _BAD.sub("-", text)).strip("-") or "x"
    return fit(text, limit)


def fit(name: str, limit: int) -> str:
    """Shorten ``name`` to ``limit`` characters keeping it unique: a hash of the full name is appended."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9].rstrip("-.") + "-" + digest


def host_slug(host: str | None) -> str:
    """Slug of a hostname for listener and route names: ``*.a.com`` -> ``wildcard-a-com``."""
    return slug(host.replace(".", "-")) if host else "all-hosts"


class NameAllocator:
    """Hands out unique names per (kind, namespace), in the order asked."""

    def __init__(self) -> None:
        self._taken: dict[tuple[str, str], set[str]] = {}

    def reserve(self, kind: str, namespace: str, name: str) -> None:
        self._taken.setdefault((kind, namespace), set()).add(name)

    def take(self, kind: str, namespace: str, wanted: str, limit: int = 253) -> str:
        taken = self._taken.setdefault((kind, namespace), set())
        name = fit(wanted, limit)
        n = 2
        while name in taken:
            name = fit(f"{wanted}-{n}", limit)
            n += 1
        taken.add(name)
        return name
