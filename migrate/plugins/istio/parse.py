"""Reading Istio values: StringMatch, durations, hosts, gateway references.

Pure functions shared by the converter and the simulator (which reads plain dicts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

GROUP = "networking.istio.io"
VERSIONS = ("v1", "v1beta1", "v1alpha3")
KINDS = ("Gateway", "VirtualService", "DestinationRule")
MESH = "mesh"
CLUSTER_SUFFIX = ".svc.cluster.local"
#: Gateway API's method enum
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
#: Istio's default retry policy (MeshConfig defaultHttpRetryPolicy)
DEFAULT_RETRY = "attempts: 2, retryOn: connect-failure,refused-stream,unavailable,cancelled"


def is_istio(obj: dict) -> bool:
    api = str(obj.get("apiVersion") or "")
    group, _, version = api.partition("/")
    return group == GROUP and version in VERSIONS and obj.get("kind") in KINDS


@dataclass(frozen=True)
class StringMatch:
    """An Istio StringMatch: exact, prefix (string prefix) or regex (RE2, full match)."""

    kind: str  # "exact" | "prefix" | "regex"
    value: str

    def matches(self, text: str | None, *, fold: bool = False) -> bool:
        if text is None:
            return False
        value = self.value
        if fold:
            text, value = text.lower(), value.lower()
        if self.kind == "exact":
            return text == value
        if self.kind == "prefix":
            return text.startswith(value)
        try:
            return re.fullmatch(self.value, text, re.IGNORECASE if fold else 0) is not None
        except re.error:
            return False


def items(value: Any) -> list:
    """``value`` if it is a list, else empty: a wrong type is reported where the field is read."""
    return value if isinstance(value, list) else []


def string_match(value: Any) -> StringMatch | None:
    """``{exact: x}`` / ``{prefix: x}`` / ``{regex: x}``; None when unreadable."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (kind, text), = value.items()
    if kind not in ("exact", "prefix", "regex") or not isinstance(text, (str, int, float)) or isinstance(text, bool):
        return None
    return StringMatch(str(kind), str(text))


def regex_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
        return True
    except re.error:
        return False


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1, "us": 0.001, "µs": 0.001, "ns": 0.000001}


def duration_ms(value: Any) -> float | None:
    """A protobuf/Go duration ("1.5s", "500ms", "1m30s") in milliseconds; None when unreadable."""
    if not isinstance(value, str) or not _DURATION.match(value.strip()):
        return None
    return sum(float(n) * _UNIT_MS[u] for n, u in _PART.findall(value.strip()))


def gateway_duration(ms: float) -> str:
    """Milliseconds as a Gateway API Duration (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``)."""
    whole = int(round(ms))
    if whole % 1000 == 0 and whole // 1000 < 100000:
        return f"{whole // 1000}s"
    if whole < 100000:
        return f"{whole}ms"
    seconds = whole // 1000
    rest = whole % 1000
    return f"{seconds}s{rest}ms" if rest else f"{seconds}s"


def service_of(host: str, namespace: str) -> tuple[str, str] | None:
    """The (namespace, name) of the Kubernetes Service a destination/mesh host names.

    Short names (no dot) resolve in ``namespace``, as Istio does; ``svc.ns.svc.cluster.local``
    and ``svc.ns.svc`` name another namespace. Anything else (wildcards, external names,
    ServiceEntry hosts) is not a Service: None.
    """
    host = host.strip().lower()
    if not host or "*" in host:
        return None
    if "." not in host:
        return namespace, host
    for suffix in (CLUSTER_SUFFIX, ".svc"):
        if host.endswith(suffix):
            parts = host[: -len(suffix)].split(".")
            if len(parts) == 2 and all(parts):
                return parts[1], parts[0]
    return None


def gateway_ref(ref: str, namespace: str) -> tuple[str, str] | None:
    """``ns/name`` or ``name`` (the VirtualService's namespace); None for ``mesh``."""
    ref = ref.strip()
    if ref == MESH:
        return None
    ns, sep, name = ref.partition("/")
    return (ns, name) if sep else (namespace, ref)


def split_server_host(host: str, gateway_ns: str) -> tuple[str | None, str]:
    """A Gateway server host ``ns/dnsName``: (namespace or None for any, dnsName)."""
    ns, sep, name = host.partition("/")
    if not sep:
        return None, host
    if ns == ".":
        return gateway_ns, name
    if ns == "*":
        return None, name
    return ns, name


def host_matches(pattern: str, host: str) -> bool:
    """Istio host matching: ``*`` matches all, ``*.a.com`` any name ending in ``.a.com``."""
    pattern, host = pattern.lower(), host.lower()
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def hosts_intersect(a: str, b: str) -> bool:
    """Whether two Istio host patterns share a host."""
    a, b = a.lower(), b.lower()
    if a == "*" or b == "*" or a == b:
        return True
    if a.startswith("*.") and b.startswith("*."):
        return a.endswith(b[1:]) or b.endswith(a[1:])
    if a.startswith("*."):
        return host_matches(a, b)
    if b.startswith("*."):
        return host_matches(b, a)
    return False


def narrower(a: str, b: str) -> str:
    """The narrower of two intersecting host patterns (the names both serve)."""
    if a == "*":
        return b
    if b == "*":
        return a
    if not a.startswith("*."):
        return a
    if not b.startswith("*."):
        return b
    return a if len(a) >= len(b) else b


_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def valid_hostname(host: str) -> bool:
    """Usable as a Gateway API hostname (no IP address, no port, no bare ``*``)."""
    return bool(_HOSTNAME.match(host)) and not re.fullmatch(r"[0-9.]+", host) and len(host) <= 253


def percent_of(value: Any) -> float | None:
    """Istio Percent ``{value: 12.5}`` (or a bare number, the deprecated mirrorPercent)."""
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def destination_port(dest: dict) -> int | None:
    port = dest.get("port")
    if isinstance(port, dict):
        number = port.get("number")
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536:
            return number
    return None
