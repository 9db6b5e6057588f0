"""Router services -> backendRefs: Kubernetes Services, weighted and mirroring TraefikServices,
and the per-service options Gateway API leaves to the implementation."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from migrate.ir import Backend, Mirror, Origin
from migrate.plugin import SourceObject
from migrate.plugins.traefik.state import Run, as_dict, as_list

Path_ = tuple[Any, ...]
#: options of a Service reference (IngressRoute services[]) that are reported, not converted
OPTIONS = ("scheme", "passHostHeader", "sticky", "strategy", "serversTransport", "responseForwarding", "nativeLB",
           "nodePortLB", "healthCheck")
MAX_DEPTH = 5
#: the fields of a service reference that name the backend (read by _resolve)
REFERENCE = ("name", "namespace", "port", "kind", "weight")


@dataclass
class Backends:
    backends: list[Backend] = field(default_factory=list)
    mirrors: list[Mirror] = field(default_factory=list)


def resolve_port(run: Run, namespace: str, service: str, port: Any) -> int | None:
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    svc = run.ctx.services.get((namespace, service))
    for item in as_list(as_dict(as_dict(svc).get("spec")).get("ports")):
        if isinstance(item, dict) and item.get("name") == port and isinstance(item.get("port"), int):
            return int(item["port"])
    return None


def backend(run: Run, obj: SourceObject, path: Path_, services: Any) -> Backends:
    """The backendRefs of one router's ``services`` list (weights relative, TraefikServices flattened)."""
    out = Backends()
    if not as_list(services):
        obj.account(path)
    items = [s for s in as_list(services) if isinstance(s, dict)]
    for i, ref in enumerate(items):
        here = path + (i,)
        obj.account(*(here + (key,) for key in REFERENCE))
        backend_options(run, obj, here, ref)
        weight = ref.get("weight")
        share = Fraction(int(weight)) if isinstance(weight, int) and not isinstance(weight, bool) else Fraction(1)
        _resolve(run, obj, here, ref, obj.namespace, share, out, 0)
    _integer_weights(out.backends, len(items) > 1 or any(b.weight is not None for b in out.backends))
    return out


def _resolve(run: Run, obj: SourceObject, path: Path_, ref: dict, default_ns: str, share: Fraction,
             out: Backends, depth: int) -> None:
    name, kind = str(ref.get("name") or ""), str(ref.get("kind") or "Service")
    namespace = str(ref.get("namespace") or default_ns)
    if kind == "TraefikService":
        ts = run.find("TraefikService", namespace, name)
        if ts is None or depth > MAX_DEPTH:
            run.ctx.report("TRF026", obj, path, f"TraefikService {namespace}/{name} is not in the input; "
                                                "its share gets HTTP 500")
            out.backends.append(Backend("missing-traefikservice-" + name, None, namespace, kind="TraefikService",
                                        group="traefik.io", weight=None))
            return
        traefik_service(run, ts, obj, path, share, out, depth + 1)
        return
    if kind != "Service":
        run.ctx.report("TRF026", obj, path, f"kind {kind} is not a Service or TraefikService")
        return
    port = resolve_port(run, namespace, name, ref.get("port"))
    if port is None:
        run.ctx.report("TRF026", obj, path, f"port {ref.get('port')!r} of Service {namespace}/{name} cannot be "
                                            "resolved (add the Service to the input or use a number)")
        return
    back = Backend(name, port, namespace if namespace != obj.namespace else None,
                   origin=Origin(obj.source(path), []))
    back.weight = share  # type: ignore[assignment]  # made integral by _integer_weights
    out.backends.append(back)


def traefik_service(run: Run, ts: SourceObject, user: SourceObject, path: Path_, share: Fraction, out: Backends,
                    depth: int) -> None:
    """A TraefikService: weighted (weights multiplied down), mirroring (RequestMirror with percent), else reported."""
    spec = as_dict(ts.data.get("spec"))
    run.legacy_group(ts)
    if "weighted" in spec:
        entries = [e for e in as_list(as_dict(spec["weighted"]).get("services")) if isinstance(e, dict)]
        total = sum(Fraction(int(e.get("weight", 1))) for e in entries if isinstance(e.get("weight", 1), int)) or Fraction(1)
        for i, entry in enumerate(entries):
            w = entry.get("weight", 1)
            part = Fraction(int(w)) / total if isinstance(w, int) and not isinstance(w, bool) else Fraction(0)
            _resolve(run, ts, ("spec", "weighted", "services", i), entry, ts.namespace, share * part, out, depth)
        ts.account(("spec", "weighted", "services"))
        run.tell("TRF018", ts, ("spec", "weighted"), "weighted services became backendRef weights")
        if "sticky" in as_dict(spec["weighted"]):
            run.once("TRF014", ts, ("spec", "weighted", "sticky"), "sticky cookie across the weighted services; "
                     "experimental equivalent: sessionPersistence: {type: Cookie}  (experimental channel; not emitted)")
    elif "mirroring" in spec:
        mirroring = as_dict(spec["mirroring"])
        _resolve(run, ts, ("spec", "mirroring"), mirroring, ts.namespace, share, out, depth)
        for key in ("name", "namespace", "port", "kind"):
            ts.account(("spec", "mirroring", key))
        backend_options(run, ts, ("spec", "mirroring"), mirroring, table_key="spec.mirroring")
        if "weight" in mirroring:
            run.ctx.report("TRF001", ts, ("spec", "mirroring", "weight"), f"weight: {mirroring['weight']!r}: "
                           + _note(run, ts, "spec.mirroring.weight"))
        for i, mirror in enumerate(as_list(mirroring.get("mirrors"))):
            mirror = as_dict(mirror)
            ns = str(mirror.get("namespace") or ts.namespace)
            port = resolve_port(run, ns, str(mirror.get("name") or ""), mirror.get("port"))
            mpath = ("spec", "mirroring", "mirrors", i)
            if port is None:
                run.ctx.report("TRF026", ts, mpath, f"mirror {mirror.get('name')}: port cannot be resolved; not mirrored")
                continue
            percent = mirror.get("percent")
            out.mirrors.append(Mirror(Backend(str(mirror.get("name")), port, ns if ns != user.namespace else None),
                                      int(percent) if isinstance(percent, int) and percent < 100 else None))
            ts.account(mpath)
        run.tell("TRF018", ts, ("spec", "mirroring"), "mirroring became RequestMirror filters (percent: extended)")
    else:
        run.ctx.report("TRF026", user, path, f"TraefikService {ts.namespace}/{ts.name} is neither weighted nor "
                                             "mirroring; not converted")


def _integer_weights(backends: list[Backend], weighted: bool) -> None:
    """Fractions -> the smallest integers in the same proportions (None when one plain backend)."""
    shares = [b.weight for b in backends if isinstance(b.weight, Fraction)]
    if not weighted or len(backends) <= 1 and all(s == 1 for s in shares):
        for b in backends:
            b.weight = None
        return
    from math import lcm

    denominator = lcm(*(s.denominator for s in shares)) if shares else 1
    ints = [int(s * denominator) if isinstance(s, Fraction) else 1 for s in (b.weight for b in backends)]
    import math

    g = math.gcd(*ints) or 1
    for b, w in zip(backends, ints):
        b.weight = w // g if g else w
    scale = max(b.weight or 0 for b in backends)
    if scale > 1_000_000:
        for b in backends:
            b.weight = max(1, round((b.weight or 0) * 1_000_000 / scale))


def _note(run: Run, obj: SourceObject, key: str) -> str:
    entry = run.table.kinds[obj.kind].fields.get(key)
    return entry.note if entry else "not converted"


def backend_options(run: Run, obj: SourceObject, path: Path_, ref: dict, *,
                    table_key: str = "spec.routes[].services[]") -> None:
    """Per-service options with no standard field: one finding each (sticky: the experimental equivalent).

    ``table_key`` is where the table explains them for ``obj``'s kind (a router's service
    reference, or the main service of a mirroring TraefikService)."""
    for key in OPTIONS:
        if key not in ref:
            continue
        value = ref[key]
        where = path + (key,)
        if key == "sticky":
            cookie = as_dict(as_dict(value).get("cookie"))
            name = cookie.get("name")
            run.ctx.report("TRF014", obj, where, "sticky cookie; experimental equivalent: sessionPersistence: {type: Cookie"
                           + (f", sessionName: {name}" if name else "") + "}  (experimental channel; not emitted)")
        elif key == "passHostHeader" and value is not False:
            obj.account(where)  # true is what every Gateway implementation does
        elif key == "scheme" and value == "http":
            obj.account(where)
        elif key in ("nativeLB", "nodePortLB") and value is False:
            obj.account(where)  # the default: endpoints, as a backendRef to a Service uses them
        else:
            run.ctx.report("TRF001", obj, where, f"{key}: {value!r}: " + _note(run, obj, f"{table_key}.{key}"))
        st = ref.get("serversTransport") if key == "serversTransport" else None
        if isinstance(st, str):
            found = run.find("ServersTransport", obj.namespace, st)
            if found is not None:
                servers_transport(run, found)


def servers_transport(run: Run, obj: SourceObject) -> None:
    """A ServersTransport used by a converted service: every field reported (BackendTLSPolicy by hand)."""
    run.legacy_group(obj)
    skip = as_dict(obj.data.get("spec")).get("insecureSkipVerify")
    if skip is False:
        obj.account(("spec", "insecureSkipVerify"))  # Traefik's default: verification is what every backend TLS does
    elif skip is True:
        run.once("TRF001", obj, ("spec", "insecureSkipVerify"), "insecureSkipVerify: true: Traefik did not verify the "
                 "backend certificate. It weakens security and is no access control, so nothing fails closed; a "
                 "BackendTLSPolicy always verifies (give it the backend's CA, or the connections fail)")
    run.explain_rest(obj)
