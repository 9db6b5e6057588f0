"""The mesh's half of the semantic diff: where a meshed client's request to a Service goes.

Read from the source objects, not from the conversion:

- TrafficSplit (SMI spec): requests to the root Service go to the backends by weight;
  with spec.matches only requests matching a referenced HTTPRouteGroup match are
  split (pathRegex anchored at the start, any listed method or ``*``, every header
  regex matching the whole value), the rest go to the root Service. A backend
  Service that lacks the called port (when the Service is known) gets nothing.
- ServiceProfile (Linkerd): dstOverrides split like backends (quantity weights, an
  authority without port uses the called port; a host that is not a cluster Service is
  a backend too, shown as ``external/<host>:<port>``). A profile in the client's namespace
  replaces the Service's own for those clients. A TrafficSplit of the same Service
  overwrites the producer profile's dstOverrides (Linkerd's SMI adaptor; its
  spec.matches are then ignored) unless the profile carries smi.linkerd.io/skip.
- No object for the Service: straight to the Service. Every weight zero: the Service
  itself (Linkerd's proxy drops weight-0 destinations and, with none left, calls the
  Service it was asked for; SMI leaves the case unspecified).
- Route timeouts and retries change no destination and are not simulated.

North-south: these objects serve no ingress traffic, so ``handle`` answers 404.
"""

from __future__ import annotations

import re
from typing import Any

from migrate.semantics.request import Outcome, Request
from migrate.plugins.smi.values import milli_value

_KINDS = {"TrafficSplit": "split.smi-spec.io", "HTTPRouteGroup": "specs.smi-spec.io", "ServiceProfile": "linkerd.io"}


def _meta(obj: dict) -> dict:
    return obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}


def _spec(obj: dict) -> dict:
    return obj.get("spec") if isinstance(obj.get("spec"), dict) else {}


class SmiSimulator:
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.services: dict[tuple[str, str], dict] = {}
        self.groups: dict[tuple[str, str], dict] = {}
        self.splits: dict[tuple[str, str], dict] = {}  # (ns, root service) -> first TrafficSplit by name
        self.profiles: dict[tuple[str, str, str], dict] = {}  # (profile ns, service ns, service)
        for obj in sorted((o for o in objects if isinstance(o, dict)), key=lambda o: str(_meta(o).get("name"))):
            kind, meta = obj.get("kind"), _meta(obj)
            ns, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
            if kind == "Service" and obj.get("apiVersion") == "v1":
                self.services[(ns, name)] = obj
            elif kind in _KINDS and str(obj.get("apiVersion", "")).split("/")[0] == _KINDS[kind]:
                if kind == "HTTPRouteGroup":
                    self.groups[(ns, name)] = obj
                elif kind == "TrafficSplit" and isinstance(_spec(obj).get("service"), str):
                    self.splits.setdefault((ns, _spec(obj)["service"].split(".")[0]), obj)
                elif kind == "ServiceProfile":
                    labels = name.rstrip(".").split(".")
                    if len(labels) >= 4 and labels[2] == "svc":
                        self.profiles[(ns, labels[1], labels[0])] = obj

    # -- north-south ----------------------------------------------------------------

    def handle(self, request: Request) -> Outcome:
        return Outcome(404, notes=("SMI and Linkerd objects govern mesh traffic only; no ingress serves them",))

    def has_certificate(self, host: str) -> bool:
        return False

    # -- east-west ------------------------------------------------------------------

    def handle_mesh(self, service: tuple[str, str], port: int, request: Request, *,
                    client_namespace: str | None = None) -> Outcome:
        ns, name = service
        profile = None
        if client_namespace and client_namespace != ns:
            profile = self.profiles.get((client_namespace, ns, name))
        consumer = profile is not None
        profile = profile or self.profiles.get((ns, ns, name))
        split = None if consumer else self.splits.get((ns, name))
        if split is not None and profile is not None and "smi.linkerd.io/skip" in (_meta(profile).get("annotations") or {}):
            split = None
        if split is not None:
            label = f"TrafficSplit {ns}/{_meta(split).get('name')}"
            spec = _spec(split)
            if profile is None and spec.get("matches") is not None and not self._split_matches(ns, spec, request):
                return self._straight(ns, name, port, request, label + " (no match: root Service)")
            quantity = str(split.get("apiVersion", "")).endswith("/v1alpha1")
            refs = [(str(b.get("service")), ns, None, b.get("weight", 0)) for b in spec.get("backends") or []
                    if isinstance(b, dict)]
            return self._split(refs, quantity, port, request, label, service)
        if profile is not None and isinstance(_spec(profile).get("dstOverrides"), list):
            label = f"ServiceProfile {_meta(profile).get('namespace')}/{_meta(profile).get('name')} dstOverrides"
            refs = []
            for d in _spec(profile)["dstOverrides"]:
                authority = str((d or {}).get("authority") or "").strip()
                parsed = _authority(authority, ns)
                if parsed is not None:
                    refs.append((parsed[1], parsed[0], parsed[2], (d or {}).get("weight", 0)))
                elif authority:  # any host[:port]: the proxy sends the share there (shown as external/<host>)
                    host, _, fixed = authority.rpartition(":") if ":" in authority else (authority, "", "")
                    refs.append((host, "external", int(fixed) if fixed.isdigit() else None, (d or {}).get("weight", 0)))
            return self._split(refs, True, port, request, label, service)
        return self._straight(ns, name, port, request, None)

    def _straight(self, ns: str, name: str, port: int, request: Request, rule: str | None) -> Outcome:
        return Outcome(200, backends=((f"{ns}/{name}:{port}", 1),), path=request.target, host=request.host, rule=rule)

    def _split(self, refs: list[tuple[str, str, int | None, Any]], quantity: bool, port: int, request: Request,
               label: str, service: tuple[str, str]) -> Outcome:
        backends = []
        for name, ns, fixed, raw in refs:
            weight = milli_value(raw) if quantity else (raw if isinstance(raw, int) and not isinstance(raw, bool)
                                                        else (int(raw) if str(raw).isdigit() else None))
            if weight is None or weight <= 0:
                continue
            target = fixed if fixed is not None else port
            known = self.services.get((ns, name))
            if fixed is None and known is not None:
                ports = {int(p.get("port", -1)) for p in _spec(known).get("ports") or [] if isinstance(p, dict)}
                if port not in ports:
                    continue
            backends.append((f"{ns}/{name}:{target}", weight))
        if not backends:  # the proxy drops weight-0 destinations; with none left it calls the Service itself
            return Outcome(200, backends=((f"{service[0]}/{service[1]}:{port}", 1),), path=request.target,
                           host=request.host, rule=label, notes=("no backend with a weight above zero",))
        return Outcome(200, backends=tuple(backends), path=request.target, host=request.host, rule=label)

    def _split_matches(self, ns: str, spec: dict, request: Request) -> bool:
        for ref in spec.get("matches") or []:
            if not isinstance(ref, dict) or ref.get("kind") != "HTTPRouteGroup":
                continue
            group = self.groups.get((ns, str(ref.get("name"))))
            if group is None:
                continue
            entries = _spec(group).get("matches", group.get("matches"))
            if any(_group_match(e, request) for e in entries or [] if isinstance(e, dict)):
                return True
        return False


def _group_match(entry: dict, request: Request) -> bool:
    try:
        regex = entry.get("pathRegex")
        if regex and not re.match(str(regex), request.path):  # anchored at the start only
            return False
        methods = [str(m).upper() for m in entry.get("methods") or []]
        if methods and "*" not in methods and request.method.upper() not in methods:
            return False
        headers = entry.get("headers") or {}
        pairs = list(headers.items()) if isinstance(headers, dict) else \
            [kv for item in headers if isinstance(item, dict) for kv in item.items()]
        for key, value in pairs:
            seen = request.header(str(key))
            if seen is None or not re.fullmatch(str(value), seen):
                return False
    except re.error:
        return False
    return True


def _authority(authority: str, default_ns: str) -> tuple[str, str, int | None] | None:
    host, sep, port = authority.strip().rpartition(":")
    if not sep:
        host, port = authority.strip(), ""
    if port and not port.isdigit():
        return None
    labels = host.rstrip(".").split(".")
    if not host or not all(labels):
        return None
    if len(labels) >= 4 and labels[2] == "svc":
        return labels[1], labels[0], int(port) if port else None
    if len(labels) <= 2:
        return (labels[1] if len(labels) == 2 else default_ns), labels[0], int(port) if port else None
    return None
