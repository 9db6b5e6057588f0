"""route[] destinations (HTTP, TLS and TCP) -> backendRefs with weights."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from migrate.ir import Backend
from migrate.plugin import SourceObject
from migrate.plugins.istio.headers import headers_
from migrate.plugins.istio.parse import destination_port, service_of

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter
    from migrate.plugins.istio.http import Entry

Path_ = tuple[Any, ...]


def destinations(conv: "Converter", obj: SourceObject, i: int, item: dict, entry: Entry) -> None:
    raw = item.get("route")
    if raw is None:
        return
    base: Path_ = ("spec", "http", i, "route")
    if not isinstance(raw, list):
        conv.ctx.input_error(obj, base, "route must be a list")
        return
    entry.rule.backends = backends_of(conv, obj, base, raw, http=True)


def backends_of(conv: "Converter", obj: SourceObject, base: Path_, raw: list, *, http: bool) -> list[Backend]:
    """route[] (HTTP, TLS or TCP): destinations and weights."""
    out: list[Backend] = []
    weights: list[int | None] = []
    for k, item in enumerate(raw):
        path = base + (k,)
        if not isinstance(item, dict) or not isinstance(item.get("destination"), dict):
            conv.ctx.input_error(obj, path, "a route needs a destination map")
            continue
        backend = destination(conv, obj, path + ("destination",), item["destination"])
        weight = item.get("weight")
        if weight is not None and (not isinstance(weight, int) or isinstance(weight, bool) or weight < 0):
            conv.ctx.input_error(obj, path + ("weight",), f"weight {weight!r} is not a whole number")
            weight = None
        obj.account(path + ("weight",))
        weights.append(weight)
        if http and "headers" in item:
            headers_(conv, obj, path, item.get("headers"), backend.filters)
        out.append(backend)
    if len(out) > 1:
        resolved = [w or 0 for w in weights]
        if sum(resolved) != 100:
            conv.ctx.report("IST060", obj, base, f"weights {resolved} sum to {sum(resolved)}, not 100; written as relative "
                            "weights")
        for backend, weight in zip(out, resolved):
            backend.weight = weight
    elif len(out) == 1 and weights and weights[0] == 0:
        out[0].weight = 0
    return out


def destination(conv: "Converter", obj: SourceObject, path: Path_, dest: dict) -> Backend:
    host = str(dest.get("host") or "")
    obj.account(path + ("host",), path + ("port",))
    svc = service_of(host, obj.namespace)
    port = destination_port(dest)
    if svc is None:
        conv.ctx.report("IST056", obj, path + ("host",), f"host {host!r} is not a Kubernetes Service; backendRef "
                        f"Service {host.split('.')[0] or 'unknown'} written (invalid until a Service of that name "
                        "exists)")
        svc = (obj.namespace, re.sub(r"[^a-z0-9-]", "-", host.split(".")[0].lower()).strip("-") or "unknown")
    if port is None:
        port = conv.service_port(svc)
        if port is None:
            port = 80
            conv.ctx.report("IST056", obj, path, f"no port.number and Service {svc[0]}/{svc[1]} is not in the input "
                            "(Istio used its only port); port 80 assumed")
    if "subset" in dest:
        conv.subset_used(obj, path + ("subset",), svc, str(dest["subset"]))
    backend = Backend(svc[1], port, svc[0] if svc[0] != obj.namespace else None)
    return backend
