"""What the plugin reads from the mesh objects, before it becomes routes.

A *target* is one Service as a set of clients see it: the Service's own namespace
(producer: every client) or a client namespace (consumer: a client-side
ServiceProfile). Everything that shapes traffic to a target ends up in one HTTPRoute
per Service port.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from migrate.ir import Match
from migrate.plugin import SourceObject

Path_ = tuple


@dataclass
class WeightedRef:
    """One destination of a split: a Service (port None: the port the client called)."""

    name: str
    namespace: str
    weight: int
    port: int | None = None
    path: Path_ = ()


@dataclass
class Split:
    """A readable TrafficSplit."""

    obj: SourceObject
    service: str
    backends: list[WeightedRef]
    #: weights were quantities (v1alpha1): compare milli-values, then reduce
    quantities: bool
    #: None: no spec.matches (every request); else the resolved matches (possibly none)
    matches: list[Match] | None = None


@dataclass
class ProfileRoute:
    """One ServiceProfile route; ``matches`` None when its condition cannot be written as matches."""

    name: str
    path: Path_
    matches: list[Match] | None
    timeout_ms: int | None = None


@dataclass
class Profile:
    """A readable ServiceProfile of a cluster Service."""

    obj: SourceObject
    service: str
    service_namespace: str
    routes: list[ProfileRoute] = field(default_factory=list)
    #: None: no dstOverrides
    overrides: list[WeightedRef] | None = None
    #: smi.linkerd.io/skip: Linkerd's SMI adaptor leaves this profile alone
    skip_adaptor: bool = False

    @property
    def consumer(self) -> bool:
        return self.obj.namespace != self.service_namespace

    @property
    def has_timeouts(self) -> bool:
        return any(r.timeout_ms for r in self.routes)
