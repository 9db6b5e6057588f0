"""Requests on and around every boundary either configuration draws.

For each host (and wildcard depths, and an unknown host) and each path either side
matches on, the path itself and its neighbours (``/foo``, ``/foo/``, ``/foox``,
``/foo/x``, ``/FOO``), each header either side matches on with its value, another
value and without it, each method and query parameter they match on, over http
and https. Deduplicated, in a stable order.

Mesh probes (:func:`mesh_probes`) do the same per Service that a GAMMA route attaches
to, from a client in the Service's namespace and from each consumer route's namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from migrate.regex_sample import sample
from migrate.semantics.request import Request

UNKNOWN_HOST = "unknown.example.invalid"


@dataclass
class _Host:
    paths: set[str] = field(default_factory=set)
    headers: set[tuple[str, str]] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    query: set[tuple[str, str]] = field(default_factory=set)

    def requests(self, host: str, schemes: Iterable[str], limit: int) -> list[Request]:
        """The path neighbours, each alone and with each header, method and query variant."""
        paths = sorted({n for p in self.paths | {"/"} for n in _neighbours(p)})
        variants = ([{}] + [{"headers": ((name, value),)} for name, value in sorted(self.headers)]
                    + [{"method": m} for m in sorted(self.methods - {"GET"})]
                    + [{"query": ((name, value),)} for name, value in sorted(self.query)])
        out = []
        for scheme in schemes:
            for path in paths:
                for variant in variants:
                    if len(out) >= limit:
                        return out
                    out.append(Request(host=host, path=path, scheme=scheme, **variant))
        return out


@dataclass(frozen=True)
class MeshProbe:
    """A request from a client in ``client_namespace`` to Service ``service`` on ``port``."""

    service: tuple[str, str]
    port: int
    request: Request
    client_namespace: str


def _concrete(host: str) -> list[str]:
    if host.startswith("*."):
        base = host[2:]
        return [f"a.{base}", f"a.b.{base}", base]
    return [host]


def _path_values(value: str, regex: bool) -> list[str]:
    if not regex:
        return [value]
    out = []
    literal = re.split(r"[.^$*+?()\[\]{}|\\]", value.lstrip("^").removeprefix("(?i)"), maxsplit=1)[0]
    if literal.startswith("/"):
        out.append(literal)
    example = sample(value.removeprefix("(?i)").lstrip("^"), flags=re.IGNORECASE)
    if example and example.startswith("/"):
        out.append(example)
    return out


def _neighbours(path: str) -> list[str]:
    base = path.rstrip("/") or "/"
    out = [path, base, base + "/" if base != "/" else "/", base + "x", base.rstrip("/") + "/x"]
    if any(c.isalpha() for c in base):
        out.append(base.upper())
    return out


def _by_name(annotations: dict) -> dict[str, str]:
    """Annotations by their name after the prefix, whatever the prefix: ingress-nginx may run
    with another one (--annotations-prefix), and a probe too many costs nothing."""
    return {str(key).rpartition("/")[2]: str(value) for key, value in annotations.items()}


def _from_ingress(obj: dict, hosts: dict[str, _Host]) -> None:
    spec = obj.get("spec") or {}
    ann = _by_name((obj.get("metadata") or {}).get("annotations") or {})
    regex = ann.get("use-regex", "").lower() == "true" or "rewrite-target" in ann
    headers = set()
    name = ann.get("canary-by-header")
    if name:
        value = ann.get("canary-by-header-value")
        headers |= {(name, "always"), (name, "never"), (name, value or "other")}
    cookie = ann.get("canary-by-cookie")
    if cookie:
        headers |= {("Cookie", f"{cookie}=always"), ("Cookie", f"{cookie}=never")}
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        for host in _concrete(rule["host"]) if rule.get("host") else [UNKNOWN_HOST]:
            entry = hosts.setdefault(host, _Host())
            entry.headers |= headers
            for path in ((rule.get("http") or {}).get("paths") or []):
                value = str(path.get("path") or "/")
                entry.paths.update(_path_values(value, regex or path.get("pathType") == "ImplementationSpecific"
                                                and bool(re.search(r"[.^$*+?()\[\]{}|\\]", value))))
    for tls in spec.get("tls") or []:
        for host in (tls or {}).get("hosts") or []:
            for concrete in _concrete(host):
                hosts.setdefault(concrete, _Host())


def _from_route(obj: dict, hosts: dict[str, _Host]) -> None:
    spec = obj.get("spec") or {}
    names = [c for h in spec.get("hostnames") or [] for c in _concrete(h)] or [UNKNOWN_HOST]
    for host in names:
        _add_matches(spec, hosts.setdefault(host, _Host()))


def _pairs_around(items: Iterable[dict], into: set[tuple[str, str]]) -> None:
    """Each header or query match's value and another value (an example for a regex)."""
    for item in items:
        if not isinstance(item, dict) or "name" not in item or "value" not in item:
            continue
        if item.get("type", "Exact") == "Exact":
            into.add((item["name"], item["value"]))
            into.add((item["name"], item["value"] + "-other"))
        else:
            example = sample(item["value"])
            if example is not None:
                into.add((item["name"], example))


def _add_matches(spec: dict, entry: _Host) -> None:
    for rule in spec.get("rules") or []:
        for match in rule.get("matches") or []:
            path = match.get("path") or {}
            if path.get("value"):
                entry.paths.update(_path_values(path["value"], path.get("type") == "RegularExpression"))
            _pairs_around(match.get("headers") or [], entry.headers)
            _pairs_around(match.get("queryParams") or [], entry.query)
            method = match.get("method")
            if isinstance(method, str):
                entry.methods.add(method)
            elif isinstance(method, dict) and method.get("type", "Exact") == "Exact" and method.get("service"):
                # a GRPCRoute's method match: a call is POST /{service}/{method}
                entry.paths.add(f"/{method['service']}/{method.get('method') or 'Call'}")
                entry.methods.add("POST")


def probes(source: Iterable[dict], converted: Iterable[dict], *, limit_per_host: int = 400) -> list[Request]:
    hosts: dict[str, _Host] = {}
    for obj in source:
        if obj.get("kind") == "Ingress":
            _from_ingress(obj, hosts)
    for obj in converted:
        if obj.get("kind") in ("HTTPRoute", "GRPCRoute"):
            _from_route(obj, hosts)
    hosts.setdefault(UNKNOWN_HOST, _Host())
    out: dict[str, Request] = {}
    for host in sorted(hosts):
        for request in hosts[host].requests(host, ("http", "https"), limit_per_host):
            out.setdefault(str(request), request)
    return list(out.values())


def _service_parents(obj: dict) -> list[tuple[tuple[str, str], int | None]]:
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    return [((ref.get("namespace") or namespace, ref["name"]), ref.get("port"))
            for ref in (obj.get("spec") or {}).get("parentRefs") or []
            if isinstance(ref, dict) and ref.get("kind") == "Service" and (ref.get("group") or "") == "" and ref.get("name")]


def mesh_probes(converted: Iterable[dict], service_ports: dict[tuple[str, str], list[int]] | None = None, *,
                limit_per_service: int = 400) -> list[MeshProbe]:
    """Probes for every Service a GAMMA route attaches to, on the parentRef's port, else the
    Service's ports (``service_ports``), else 80; from the Service's own namespace and
    from each namespace that holds a (consumer) route for it."""
    services: dict[tuple[str, str], tuple[_Host, set[int], set[str]]] = {}
    for obj in converted:
        if obj.get("kind") not in ("HTTPRoute", "GRPCRoute"):
            continue
        route_ns = (obj.get("metadata") or {}).get("namespace") or "default"
        for service, port in _service_parents(obj):
            entry, ports, clients = services.setdefault(service, (_Host(), set(), {service[0]}))
            _add_matches(obj.get("spec") or {}, entry)
            ports.update([port] if port else (service_ports or {}).get(service) or [80])
            clients.add(route_ns)
    out = []
    for service in sorted(services):
        entry, ports, clients = services[service]
        host = f"{service[1]}.{service[0]}.svc.cluster.local"
        for port in sorted(ports):
            for request in entry.requests(host, ("http",), limit_per_service):
                out += [MeshProbe(service, port, request, client) for client in sorted(clients)]
    return out
