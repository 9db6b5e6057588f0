"""The simulator's picture of Contour's configuration: virtual hosts and the routes on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.plugins.contour.util import PREFIX, as_dict, text


class SimObject:
    """The little of SourceObject that ``includes.walk`` reads."""

    def __init__(self, data: dict) -> None:
        meta = as_dict(data.get("metadata"))
        self.data = data
        self.name = text(meta.get("name"))
        self.namespace = text(meta.get("namespace")) or "default"
        self.kind = text(data.get("kind"))

    def account(self, *paths: Any) -> None:
        """The walk accounts fields for the converter; the simulator has nothing to account."""


@dataclass
class SimRoute:
    rule: str
    path: tuple[str, str]                 # (prefix | exact | regex | segment, value)
    headers: list[dict] = field(default_factory=list)
    query: list[dict] = field(default_factory=list)
    order: int = 0
    backends: list[tuple[str, int]] = field(default_factory=list)
    status: int | None = None             # direct response / 502 / 503
    redirect: dict | None = None
    mirror: str | None = None
    rewrite: tuple[str, str] | None = None  # (routing prefix, replacement)
    host: str | None = None
    headers_set: list[tuple[str, str]] = field(default_factory=list)
    headers_removed: list[str] = field(default_factory=list)
    insecure: bool = False
    denied: int | None = None
    notes: list[str] = field(default_factory=list)
    websocket: bool = False
    #: "HTTPProxy ns/name" of the object that wrote the route (for probes); "" for Ingress routes
    owner: str = ""

    def sort_key(self) -> tuple:
        kind, value = self.path
        rank = {"exact": 0, "regex": 1}.get(kind, 2)
        return (rank, -len(value), -len(self.headers), -len(self.query), self.order)


@dataclass
class VHost:
    routes: list[SimRoute] = field(default_factory=list)
    secure: bool = False       # a certificate: https served, http redirected per route
    tls_only: bool = False     # tcpproxy: no HTTP routes on https
    http: str = "serve"        # Ingress: serve | redirect | refuse
    #: paths of include conditions (probed too: an include Contour skipped has no route)
    include_paths: set[str] = field(default_factory=set)


def contour_class(obj: dict) -> bool:
    spec = as_dict(obj.get("spec"))
    ann = as_dict(as_dict(obj.get("metadata")).get("annotations"))
    cls = text(spec.get("ingressClassName")) or str(ann.get(PREFIX + "ingress.class") or ann.get("kubernetes.io/ingress.class") or "")
    return not cls or cls == "contour"



def render_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
