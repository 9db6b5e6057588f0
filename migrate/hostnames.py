"""Gateway API hostname matching, shared by the emitter and the simulator.

A Gateway API wildcard ``*.example.com`` matches any number of labels in front of
``example.com`` (not the apex); no hostname means "every host".
"""

from __future__ import annotations


def matches(pattern: str | None, host: str) -> bool:
    """Whether a concrete request ``host`` matches a listener or route hostname ``pattern``."""
    if pattern is None:
        return True
    host = host.lower()
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def intersects(a: str | None, b: str | None) -> bool:
    """Whether two hostname patterns (listener and route) have a host in common."""
    if a is None or b is None or a == b:
        return True
    if a.startswith("*.") and not b.startswith("*."):
        return matches(a, b)
    if b.startswith("*.") and not a.startswith("*."):
        return matches(b, a)
    if a.startswith("*.") and b.startswith("*."):
        return a.endswith(b[1:]) or b.endswith(a[1:])
    return False


def any_intersect(patterns: list[str], other: str | None) -> bool:
    """Route ``patterns`` (empty = all hosts) against one listener hostname."""
    return not patterns or any(intersects(p, other) for p in patterns)
