"""What every Traefik handler shares: the context, the table, the owned objects by name,
the Gateway and its listeners, and the generic "explain what is left" walk."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any


from migrate.ir import Gateway, Listener, ObjectRef, Origin, Route
from migrate.mapping_table import MappingTable, covering, generic_path, load_table
from migrate.names import host_slug, slug
from migrate.plugin import Context, SourceObject

GROUPS = ("traefik.io", "traefik.containo.us")
LEGACY_GROUP = "traefik.containo.us"
KINDS = ("IngressRoute", "IngressRouteTCP", "IngressRouteUDP", "Middleware", "MiddlewareTCP", "TLSOption", "TLSStore",
         "ServersTransport", "TraefikService")
DEFAULT_CLASS = "traefik"
#: ports of the entry points every Traefik install has (Helm chart: exposed as 80 and 443)
KNOWN_PORTS = {"web": 80, "websecure": 443}
_TRAILING_PORT = re.compile(r"(?:^|[-_a-z])(\d{2,5})$")
Path_ = tuple[Any, ...]


@lru_cache(maxsize=1)
def table() -> MappingTable:
    """mappings/traefik.yaml, read once."""
    return load_table("traefik")


def group_of(obj: SourceObject) -> str:
    return obj.api_version.split("/")[0] if "/" in obj.api_version else ""


def entry_point_port(name: str) -> int | None:
    if name in KNOWN_PORTS:
        return KNOWN_PORTS[name]
    m = _TRAILING_PORT.search(name)
    if m and 1 <= int(m.group(1)) <= 65535:
        return int(m.group(1))
    return None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


@dataclass
class Run:
    """One conversion: the context and everything the handlers look up."""

    ctx: Context
    objects: list[SourceObject]
    by_key: dict[tuple[str, str, str], SourceObject] = field(default_factory=dict)
    #: Middleware/TLSOption/... objects that some converted router used
    used: set[int] = field(default_factory=set)
    #: converted HTTP routers, for the priority check
    routers: list[Any] = field(default_factory=list)
    #: closed rules for negations, settled after every router is known (negation.settle)
    closed: list[Any] = field(default_factory=list)
    #: findings already told once per object (middleware effects are applied per route)
    told: set[tuple[int, str, Path_]] = field(default_factory=set)

    def __post_init__(self) -> None:
        for obj in self.objects:
            self.by_key.setdefault((obj.kind, obj.namespace, obj.name), obj)

    @property
    def table(self) -> MappingTable:
        return table()

    def find(self, kind: str, namespace: str, name: str) -> SourceObject | None:
        obj = self.by_key.get((kind, namespace, name))
        if obj is not None:
            self.used.add(id(obj))
        return obj

    def once(self, code: str, obj: SourceObject, path: Path_, message: str, *, example: str = "") -> None:
        """Report on a shared object (a Middleware used by several routes) only the first time."""
        key = (id(obj), code, tuple(path))
        if key in self.told:
            return
        self.told.add(key)
        self.ctx.report(code, obj, path, message, example=example)

    def tell(self, code: str, obj: SourceObject, path: Path_, message: str, *, example: str = "") -> None:
        """Like :meth:`once`, for a "converted" note on a parent field: a finding accounts the
        whole subtree of its path, which would hide the sibling fields that were not converted;
        here only what the handler accounted itself stays accounted."""
        key = tuple(path)
        before = key in obj.accounted
        self.once(code, obj, path, message, example=example)
        if not before:
            obj.accounted.discard(key)

    # -- gateway -----------------------------------------------------------------------

    def gateway(self, obj: SourceObject, class_name: str | None, class_path: Path_ | None) -> Gateway:
        settings, model = self.ctx.settings, self.ctx.model
        if class_path:
            obj.account(class_path)
        if settings.existing_gateway:
            ns, name = settings.existing_gateway
            return model.gateway(ns, name, "", existing=True)
        cls = class_name or self.ctx.default_ingress_class or DEFAULT_CLASS
        name = slug(settings.gateway_name.replace("{class}", cls), 253)
        key = (settings.gateway_namespace, name)
        if key not in model.gateways and settings.gateway_class is None:
            self.ctx.report("GM008", obj, class_path or (), f"Gateway {key[0]}/{name} uses gatewayClassName '{cls}'")
        gateway = model.gateway(settings.gateway_namespace, name, settings.gateway_class or cls)
        self.http_listener(gateway)  # a Gateway needs at least one listener; web is always there
        return gateway

    def http_listener(self, gateway: Gateway) -> Listener:
        found = gateway.listener("http")
        if found is None:
            found = Listener("http", "HTTP", 80)
            gateway.listeners.insert(0, found)
        return found

    def https_listener(self, gateway: Gateway, obj: SourceObject, host: str | None, secret: str, path: Path_) -> Listener | None:
        name = f"https-{host_slug(host)}" if host else "https"
        cert = ObjectRef(secret, obj.namespace)
        existing = gateway.listener(name)
        if existing is not None:
            return existing
        if len(gateway.listeners) >= 64:
            self.ctx.report("GM009", obj, path, f"no HTTPS listener for host {host}")
            return None
        listener = Listener(name, "HTTPS", 443, host, [cert], origin=Origin(obj.source(path), obj.comments_at(path)))
        gateway.listeners.append(listener)
        return listener

    def port_listener(self, gateway: Gateway, protocol: str, port: int, host: str | None, *, mode: str | None = None,
                      cert: ObjectRef | None = None, entry_point: str = "") -> Listener:
        base = f"{protocol.lower()}-{slug(entry_point, 20) if entry_point else port}"
        name = f"{base}-{host_slug(host)}" if host else base
        existing = gateway.listener(name)
        if existing is not None:
            return existing
        listener = Listener(name, protocol, port, host, [cert] if cert else [], tls_mode=mode)  # type: ignore[arg-type]
        gateway.listeners.append(listener)
        return listener

    # -- accounting --------------------------------------------------------------------------

    def explain_rest(self, obj: SourceObject, routes: list[Route] | None = None) -> None:
        """Every field of ``obj``'s spec that no handler accounted: the table's note as a finding
        (access controls fail closed on ``routes``), or TRF004 for fields the table does not know."""
        kind = self.table.kinds.get(obj.kind)
        for path in _leaves(obj.data.get("spec"), ("spec",)):
            if obj.is_accounted(path):
                continue
            key = covering(kind.fields, generic_path(path)) if kind else None
            if key is None:
                self.ctx.report("TRF004", obj, path, f"{obj.kind} field {generic_path(path)} is not known; ignored")
                continue
            entry = kind.fields[key]  # type: ignore[union-attr]
            where = _concrete_prefix(path, key)
            if entry.security:
                self.ctx.report("TRF002", obj, where, f"{key}: {entry.note}")
                for route in routes or []:
                    route.blocked_by.append(f"{obj.kind} {obj.namespace}/{obj.name} {key}")
            else:
                self.ctx.report("TRF001", obj, where, f"{key}: {entry.note}")

    def legacy_group(self, obj: SourceObject) -> None:
        if group_of(obj) == LEGACY_GROUP:
            self.once("TRF003", obj, ("apiVersion",), f"{obj.api_version} read as traefik.io/v1alpha1")


def _leaves(value: Any, path: Path_) -> list[Path_]:
    if isinstance(value, dict) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, path + (str(k),))]
    if isinstance(value, list) and value:
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, path + (i,))]
    return [path] if path != ("spec",) or value is not None else []


def _concrete_prefix(path: Path_, key: str) -> Path_:
    """The part of the concrete ``path`` that the generic ``key`` names (a finding per entry, not per leaf)."""
    depth = key.count(".") + key.count("[]") + 1
    return tuple(path[:depth])
