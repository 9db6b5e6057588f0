"""The provider-neutral routing model between plugins and the emitter.

Plugins fill it; the emitter reads it; nobody else writes it. It says what traffic
should do, in Gateway API's terms, plus the intents Gateway API has no core field
for (policies), so a target can carry them as extensions or a finding can explain
them. Every piece remembers the source it came from and the comments written there.

Designed to grow without reshaping: a route's parents may be Gateway listeners or a
Service (GAMMA); a route has a kind (HTTP, GRPC, TLS, TCP, UDP); policies are
open-ended intents attached to a route or rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from migrate.findings import Source

RouteKind = Literal["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"]
Protocol = Literal["HTTP", "HTTPS", "TLS", "TCP", "UDP"]


@dataclass
class Origin:
    """Source location and the comments written there, carried to the output."""

    source: Source = field(default_factory=Source)
    comments: list[str] = field(default_factory=list)


# -- gateways ---------------------------------------------------------------


@dataclass(frozen=True)
class ObjectRef:
    name: str
    namespace: str | None = None
    kind: str = "Secret"
    group: str = ""


@dataclass
class Listener:
    name: str
    protocol: Protocol
    port: int
    hostname: str | None = None
    certificates: list[ObjectRef] = field(default_factory=list)
    tls_mode: Literal["Terminate", "Passthrough"] | None = None
    #: namespaces whose routes may attach; empty means "Same"
    route_namespaces: set[str] = field(default_factory=set)
    origin: Origin = field(default_factory=Origin)


@dataclass
class Gateway:
    namespace: str
    name: str
    gateway_class: str
    listeners: list[Listener] = field(default_factory=list)
    #: True when the Gateway already exists (--gateway): referenced, never emitted
    existing: bool = False
    origin: Origin = field(default_factory=Origin)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def listener(self, name: str) -> Listener | None:
        return next((item for item in self.listeners if item.name == name), None)


# -- routes -----------------------------------------------------------------


@dataclass(frozen=True)
class GatewayParent:
    namespace: str
    name: str
    section: str | None = None
    #: with no section: attach only to listeners of these protocols (e.g. HTTPS only,
    #: when HTTP answers with a redirect); None means every listener the kind allows
    protocols: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ServiceParent:
    """GAMMA: the route attaches to a Service and governs mesh traffic to it."""

    namespace: str | None
    name: str
    port: int | None = None


Parent = Union[GatewayParent, ServiceParent]


@dataclass(frozen=True)
class PathMatch:
    type: Literal["Exact", "PathPrefix", "RegularExpression"]
    value: str


@dataclass(frozen=True)
class HeaderMatch:
    name: str
    value: str
    type: Literal["Exact", "RegularExpression"] = "Exact"


@dataclass(frozen=True)
class QueryMatch:
    name: str
    value: str
    type: Literal["Exact", "RegularExpression"] = "Exact"


@dataclass(frozen=True)
class GrpcMethod:
    """GRPCRoute method match: service and/or method, exact or regex."""

    service: str | None = None
    method: str | None = None
    type: Literal["Exact", "RegularExpression"] = "Exact"


@dataclass(frozen=True)
class Match:
    path: PathMatch | None = None
    headers: tuple[HeaderMatch, ...] = ()
    query: tuple[QueryMatch, ...] = ()
    method: str | None = None
    #: GRPCRoute only (path is then None)
    grpc: GrpcMethod | None = None


@dataclass(frozen=True)
class HeaderChange:
    set: tuple[tuple[str, str], ...] = ()
    add: tuple[tuple[str, str], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestHeaders:
    change: HeaderChange


@dataclass(frozen=True)
class ResponseHeaders:
    change: HeaderChange


@dataclass(frozen=True)
class Redirect:
    scheme: str | None = None
    hostname: str | None = None
    port: int | None = None
    #: ("ReplaceFullPath" | "ReplacePrefixMatch", value)
    path: tuple[str, str] | None = None
    status: int = 302


@dataclass(frozen=True)
class Rewrite:
    hostname: str | None = None
    path: tuple[str, str] | None = None


@dataclass(frozen=True)
class Mirror:
    backend: "Backend"
    percent: int | None = None


@dataclass(frozen=True)
class Cors:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class ExtensionRef:
    group: str
    kind: str
    name: str


Filter = Union[RequestHeaders, ResponseHeaders, Redirect, Rewrite, Mirror, Cors, ExtensionRef]


@dataclass
class Backend:
    name: str
    port: int | None = None
    namespace: str | None = None
    kind: str = "Service"
    group: str = ""
    weight: int | None = None
    filters: list[Filter] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)

    def __hash__(self) -> int:  # Mirror holds a Backend in a frozen dataclass
        return hash((self.group, self.kind, self.namespace, self.name, self.port, self.weight))


@dataclass
class Timeouts:
    request: str | None = None
    backend_request: str | None = None


@dataclass
class Rule:
    matches: list[Match] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    backends: list[Backend] = field(default_factory=list)
    timeouts: Timeouts | None = None
    name: str | None = None
    origin: Origin = field(default_factory=Origin)


@dataclass
class Policy:
    """An intent with no core Gateway API field (auth, IP allow-list, rate limit...).

    The emitter hands it to the chosen target; with no target able to enforce it,
    the finding recorded by the plugin stands, and a security policy fails closed.
    """

    type: str
    params: dict
    security: bool = False
    origin: Origin = field(default_factory=Origin)


@dataclass
class Route:
    kind: RouteKind
    namespace: str
    name: str
    hostnames: list[str] = field(default_factory=list)
    parents: list[Parent] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    #: access controls that could not be carried over: the route is emitted closed
    #: (no backends) unless the user accepted the downgrade
    blocked_by: list[str] = field(default_factory=list)
    origin: Origin = field(default_factory=Origin)


@dataclass
class BackendTLS:
    """The Gateway must speak TLS to this Service (BackendTLSPolicy)."""

    namespace: str
    service: str
    #: SNI and the name the certificate must carry
    hostname: str
    #: ConfigMaps (same namespace) holding the CA bundle; empty means the system CAs
    ca_config_maps: list[str] = field(default_factory=list)
    port_name: str | None = None
    origin: Origin = field(default_factory=Origin)


@dataclass
class Model:
    """What all plugins together want the output to be."""

    gateways: dict[tuple[str, str], Gateway] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    backend_tls: list[BackendTLS] = field(default_factory=list)
    _tls_index: dict = field(default_factory=dict, repr=False, compare=False)
    _tls_indexed: int = field(default=0, repr=False, compare=False)

    def backend_tls_for(self, namespace: str, service: str, port_name: str | None) -> BackendTLS | None:
        """The policy already made for this Service port, if any (one per port: the API allows no more)."""
        for policy in self.backend_tls[self._tls_indexed:]:  # index what was added since the last call
            self._tls_index.setdefault((policy.namespace, policy.service, policy.port_name), policy)
        self._tls_indexed = len(self.backend_tls)
        return self._tls_index.get((namespace, service, port_name))

    def gateway(self, namespace: str, name: str, gateway_class: str, *, existing: bool = False) -> Gateway:
        """The Gateway of that name, created on first use so plugins can share it."""
        key = (namespace, name)
        if key not in self.gateways:
            self.gateways[key] = Gateway(namespace, name, gateway_class, existing=existing)
        return self.gateways[key]
