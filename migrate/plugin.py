"""The plugin contract, version 1.

A plugin turns the source objects it owns into the IR, and says, through findings,
what happened to every field and annotation. It is found through the entry-point
group ``gateway_migrate.plugins``; built-in plugins register the same way.

A plugin is any object with:

``name: str``
    Unique, used by ``--provider`` and in reports.
``api_version: int``
    The contract version it implements; must equal :data:`API_VERSION`.
``claims(obj, ctx) -> bool``
    Whether this plugin owns ``obj``. Each object has exactly one owner: plugins
    with ``fallback = True`` are asked only when no other plugin claims it.
``convert(objs, ctx) -> Conversion``
    Called once with every object the plugin owns. Adds routes (and Gateways through
    ``ctx.model``) and records findings with ``ctx.report``. Must not raise for bad
    input: a broken object goes into ``Conversion.failed``.
``findings() -> Sequence[FindingSpec]``
    Every finding code the plugin may emit, declared once.

Optional: ``fallback: bool`` (default False), ``description: str``,
``simulator(objects: list[dict]) -> migrate.semantics.SourceSimulator``: the source
controller's half of the semantic diff, given the plugin's objects plus the input's
Services, IngressClasses and ConfigMaps (without it the plugin's objects are counted
as unsimulated), and
``cluster_kinds: Sequence[tuple[str, str, str, bool]]`` (default empty): the vendor
kinds, as (group, version, plural, namespaced), that ``convert --from-cluster`` should
list for this plugin besides Ingresses, IngressClasses, Services and ConfigMaps, e.g.
``("projectcontour.io", "v1", "httpproxies", True)``. Read with
``getattr(plugin, "cluster_kinds", ())``; the objects reach ``claims`` and ``convert``
like any other input. A kind whose CRD is not installed is skipped with a note; a
core-group kind, or any plural ``secrets``, is refused (Secrets are never read).

Adding an optional attribute is a minor change; removing or changing one bumps
:data:`API_VERSION`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

from migrate.findings import Finding, FindingSpec, Registry, Severity, Source
from migrate.ir import Model, Route
from migrate.load import Document

API_VERSION = 1

#: The modules a plugin may import from gateway-migrate: what it may rely on across minor
#: releases (the contract kit's "public API only" check holds every plugin to it, the
#: built-in dialect plugins included). Everything else is internal and may change.
PUBLIC_API = (
    "migrate.plugin", "migrate.findings", "migrate.ir", "migrate.mapping_table", "migrate.names",
    "migrate.hostnames", "migrate.regex_sample", "migrate.testing",
    "migrate.plugins.ingress", "migrate.plugins.ingress.convert", "migrate.plugins.ingress.parse",
    "migrate.semantics", "migrate.semantics.request", "migrate.semantics.ingress", "migrate.semantics.gateway",
    "migrate.emit.objects",
)

Path_ = tuple[Any, ...]


def render_path(path: Path_) -> str:
    """``("spec","rules",0,"host")`` -> ``spec.rules[0].host``; annotation keys in brackets."""
    out = ""
    for i, part in enumerate(path):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and path[i - 1] in ("annotations", "labels") and i == 2:
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class IngressClassInfo:
    name: str
    controller: str
    default: bool = False


@dataclass(frozen=True)
class Settings:
    """What the user chose on the command line that plugins need to know."""

    gateway_namespace: str = "gateway-system"
    #: Gateway name; ``{class}`` is replaced by the ingress class name
    gateway_name: str = "{class}"
    #: GatewayClass; None means "the ingress class name" (with a finding)
    gateway_class: str | None = None
    #: attach every route to this existing Gateway (namespace, name); emit none
    existing_gateway: tuple[str, str] | None = None
    allow_security_downgrade: bool = False
    #: namespace for objects that name none (as kubectl's default)
    default_namespace: str = "default"
    #: (plugin, prefix) pairs: a controller that ran with a non-default annotation prefix
    #: (ingress-nginx's --annotations-prefix)
    annotation_prefixes: tuple[tuple[str, str], ...] = ()

    def annotation_prefix(self, plugin: str, default: str) -> str:
        """The prefix ``plugin``'s annotations carry in this input, with its trailing slash."""
        chosen = dict(self.annotation_prefixes).get(plugin, default)
        return chosen if chosen.endswith("/") else chosen + "/"


class SourceObject:
    """A loaded document as a plugin sees it: data, origin, comments, accounting."""

    def __init__(self, document: Document, default_namespace: str = "default") -> None:
        self.document = document
        self.data: dict = document.data
        meta = self.data.get("metadata") if isinstance(self.data.get("metadata"), dict) else {}
        self.name: str = str(meta.get("name") or "")
        self.namespace: str = str(meta.get("namespace") or default_namespace)
        self.kind: str = document.kind
        self.api_version: str = document.api_version
        #: paths the plugin converted or explained; everything below them counts too
        self.accounted: set[Path_] = set()
        self._comment_paths: list[Path_] | None = None

    @functools.cached_property
    def annotations(self) -> dict[str, str]:
        """The annotations as strings (read-only: the input is never changed)."""
        meta = self.data.get("metadata") or {}
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        return {str(k): "" if v is None else str(v) for k, v in (ann or {}).items()} if isinstance(ann, dict) else {}

    def source(self, path: Path_ = ()) -> Source:
        return Source(
            file=self.document.origin.file,
            line=self.document.line_of(tuple(path)),
            kind=self.kind,
            namespace=self.namespace,
            name=self.name,
            field=render_path(tuple(path)),
        )

    def comments_at(self, path: Path_) -> list[str]:
        """Comments written above and at the end of the node at ``path``."""
        comments = self.document.comments
        out = list(comments.leading.get(tuple(path), ()))
        eol = comments.eol.get(tuple(path))
        if eol:
            out.append(eol)
        return out

    def comment_paths(self) -> list[Path_]:
        """Paths that carry comments, in file order (sorted once: dialects ask per rule)."""
        if self._comment_paths is None:
            comments = self.document.comments
            self._comment_paths = sorted(set(comments.leading) | set(comments.eol),
                                         key=lambda p: (self.document.line_of(p), len(p)))
        return self._comment_paths

    def account(self, *paths: Path_) -> None:
        for path in paths:
            self.accounted.add(tuple(path))

    def is_accounted(self, path: Path_) -> bool:
        """Whether ``path`` or one of its ancestors was accounted for (set lookups, not a scan)."""
        accounted = self.accounted
        return any(path[:n] in accounted for n in range(len(path) + 1))


@dataclass(frozen=True)
class Failed:
    """A source object the plugin could not read at all (bad input: exit code 2)."""

    obj: SourceObject
    message: str


@dataclass
class Conversion:
    routes: list[Route] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


class Context:
    """What a plugin gets besides its objects: settings, the shared model, the report."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        model: Model,
        *,
        ingress_classes: Mapping[str, IngressClassInfo] | None = None,
        services: Mapping[tuple[str, str], dict] | None = None,
        config_maps: Mapping[tuple[str, str], dict] | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.model = model
        self.ingress_classes = dict(ingress_classes or {})
        #: Services found in the input, by (namespace, name), to resolve named ports
        self.services = dict(services or {})
        #: ConfigMaps found in the input, by (namespace, name), for annotations that name one
        self.config_maps = dict(config_maps or {})
        self.findings: list[Finding] = []
        #: one line each: input the user must fix (exit code 2), e.g. a malformed annotation value
        self.input_errors: list[str] = []

    @property
    def default_ingress_class(self) -> str | None:
        defaults = sorted(c.name for c in self.ingress_classes.values() if c.default)
        return defaults[0] if defaults else None

    def report(self, code: str, obj: SourceObject | None, path: Path_ = (), message: str = "", *, example: str = "") -> Finding:
        """Record a finding; its path (if any) counts as accounted for on ``obj``."""
        spec = self.registry[code]
        if obj is not None:
            if path:
                obj.account(tuple(path))
            src = obj.source(tuple(path))
        else:
            src = Source()
        finding = Finding(spec.code, spec.severity, spec.outcome, src, message or spec.summary, example)
        self.findings.append(finding)
        return finding

    def input_error(self, obj: SourceObject, path: Path_, message: str) -> None:
        """Bad input that the plugin could still work around (the run exits 2, naming it)."""
        obj.account(tuple(path))
        self.input_errors.append(f"{obj.document.origin}: {obj.kind} {obj.namespace}/{obj.name}: "
                                 f"{render_path(tuple(path))}: {message}")

    def is_error(self, code: str) -> bool:
        return self.registry[code].severity is Severity.ERROR


@runtime_checkable
class Plugin(Protocol):
    name: str
    api_version: int

    def claims(self, obj: SourceObject, ctx: Context) -> bool: ...

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion: ...

    def findings(self) -> Sequence[FindingSpec]: ...
