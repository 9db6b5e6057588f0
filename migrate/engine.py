"""The conversion pipeline: load -> claim -> plugins -> IR -> emit -> validate.

``run`` never raises for bad input: every problem ends in the Report, whose
exit_code is the only exit policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Sequence

from migrate.accounting import unaccounted
from migrate.cluster import ClusterSource
from migrate.discovery import discover
from migrate.emit import Emitted, emit
from migrate.findings import CORE_FINDINGS, Finding, Registry, Severity, Source
from migrate.ir import Model
from migrate.load import Document, Limits, load_paths
from migrate.parallel import map_ranges
from migrate.plugin import Context, IngressClassInfo, Settings, SourceObject, render_path
from migrate.report import Report


class UsageError(ValueError):
    """A bad option (exit 2), found before any conversion."""


@dataclass(frozen=True)
class Options:
    inputs: tuple[str, ...]
    settings: Settings = field(default_factory=Settings)
    provider: str | None = None
    validate: bool = True
    limits: Limits = field(default_factory=Limits)
    #: also read the objects of a live cluster, after the files (migrate/cluster.py); raises ClusterError
    cluster: ClusterSource | None = None


@dataclass
class Result:
    objects: list[Emitted]
    report: Report
    #: the input documents, in input order, for writers that keep the layout
    documents: list[Document] = field(default_factory=list)
    #: which plugin converted each document (by origin); absent: passed through or failed
    owners: dict = field(default_factory=dict)
    #: the plugins that ran, by name (the semantic diff asks them for their simulators)
    plugins: dict = field(default_factory=dict)


def run(options: Options, *, stdin: BinaryIO | None = None, plugins: Sequence[Any] | None = None,
        progress: Any = None) -> Result:
    report = Report()
    registry = Registry()
    registry.register(CORE_FINDINGS)
    found = discover() if plugins is None else None
    active = list(plugins) if plugins is not None else found.plugins
    for plugin in active:
        registry.register(plugin.findings())
    if found is not None:
        for code, message in found.problems:
            report.findings.append(Finding(code, registry[code].severity, registry[code].outcome, Source(), message))
    if options.provider and options.provider not in {p.name for p in active}:
        raise UsageError(f"unknown provider '{options.provider}'; installed: {', '.join(sorted(p.name for p in active))}")

    loaded = load_paths(list(options.inputs), stdin=stdin, limits=options.limits)
    if options.cluster is not None:
        options.cluster.load_into(loaded, active, options.limits)
    report.input_errors.extend(str(e) for e in loaded.errors)
    report.skipped.extend((s.file, s.reason) for s in loaded.skipped)
    report.counts.files = len(loaded.files)
    report.counts.documents = len(loaded.documents)

    settings = options.settings
    objects = [SourceObject(doc, settings.default_namespace) for doc in loaded.documents]
    model = Model()
    ctx = Context(settings, registry, model, ingress_classes=_ingress_classes(objects),
                  services=_index(objects, "Service"), config_maps=_index(objects, "ConfigMap"))
    owners = _claim(objects, active, ctx, options.provider)
    failed_objs = _convert(active, objects, owners, ctx, report)
    report.counts.passthrough = sum(1 for o in objects if id(o) not in owners)
    report.input_errors.extend(ctx.input_errors)

    emitted = emit(model, allow_security_downgrade=settings.allow_security_downgrade)
    for notice in emitted.notices:
        spec = registry[notice.code]
        ctx.findings.append(Finding(spec.code, spec.severity, spec.outcome, notice.source, notice.message))
    out = _validated(emitted.objects, ctx, progress) if options.validate else emitted.objects
    report.findings.extend(_apply_downgrade(ctx.findings, registry, settings.allow_security_downgrade))
    for item in out:
        report.counts.emitted[item.obj["kind"]] += 1
    failed = {f.document.origin for f in failed_objs}
    owned = {o.document.origin: owners[id(o)].name for o in objects if id(o) in owners and o.document.origin not in failed}
    return Result(out, report, loaded.documents, owned, {p.name: p for p in active})


def _convert(active: list[Any], objects: list[SourceObject], owners: dict[int, Any], ctx: Context,
             report: Report) -> list[SourceObject]:
    """Each plugin converts what it owns; returns the objects that could not be converted."""
    failed_objs: list[SourceObject] = []
    for plugin in active:
        mine = [o for o in objects if owners.get(id(o)) is plugin]
        if not mine:
            continue
        try:
            conversion = plugin.convert(mine, ctx)
        except Exception as exc:  # one plugin's bug must not take the run down or print a traceback
            spec = ctx.registry["GM013"]
            report.findings.append(Finding(spec.code, spec.severity, spec.outcome, Source(),
                                           f"plugin {plugin.name} failed on {len(mine)} object(s): "
                                           f"{type(exc).__name__}: {exc}"))
            failed_objs.extend(mine)
            continue
        failed = {id(f.obj) for f in conversion.failed}
        failed_objs.extend(f.obj for f in conversion.failed)
        for item in conversion.failed:
            report.input_errors.append(f"{item.obj.document.origin}: {item.obj.kind} {item.obj.namespace}/"
                                       f"{item.obj.name}: {item.message}")
        ctx.model.routes.extend(conversion.routes)
        for obj in mine:
            if id(obj) in failed:
                continue
            report.counts.converted += 1
            for path in unaccounted(obj):
                ctx.report("GM004", obj, path, f"{render_path(path)} not converted by plugin {plugin.name}")
    return failed_objs


def _ingress_classes(objects: list[SourceObject]) -> dict[str, IngressClassInfo]:
    out = {}
    for obj in objects:
        if obj.kind == "IngressClass" and obj.api_version.startswith("networking.k8s.io/"):
            spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
            default = obj.annotations.get("ingressclass.kubernetes.io/is-default-class", "") == "true"
            out[obj.name] = IngressClassInfo(obj.name, str(spec.get("controller") or ""), default)
    return out


def _index(objects: list[SourceObject], kind: str) -> dict[tuple[str, str], dict]:
    """Core v1 objects of ``kind`` by (namespace, name): what annotations and ports refer to."""
    return {(o.namespace, o.name): o.data for o in objects if o.kind == kind and o.api_version == "v1"}


def _claim(objects: list[SourceObject], plugins: list[Any], ctx: Context, forced: str | None) -> dict[int, Any]:
    """One owner per object: the forced provider, else the specific plugins, else a fallback."""
    owners: dict[int, Any] = {}
    ordered = sorted(plugins, key=lambda p: (bool(getattr(p, "fallback", False)), p.name))
    for obj in objects:
        if forced:
            plugin = next(p for p in plugins if p.name == forced)
            if plugin.claims(obj, ctx) or _is_ingress_like(obj, plugins, ctx):
                owners[id(obj)] = plugin
            continue
        specific = [p for p in ordered if not getattr(p, "fallback", False) and p.claims(obj, ctx)]
        if len(specific) > 1:
            ctx.report("GM003", obj, (), f"claimed by {', '.join(p.name for p in specific)}; {specific[0].name} converts it")
        if specific:
            owners[id(obj)] = specific[0]
            continue
        fallback = next((p for p in ordered if getattr(p, "fallback", False) and p.claims(obj, ctx)), None)
        if fallback is not None:
            owners[id(obj)] = fallback
    return owners


def _is_ingress_like(obj: SourceObject, plugins: list[Any], ctx: Context) -> bool:
    """--provider forces the dialect of every Ingress, whichever class it names."""
    return obj.kind == "Ingress" and any(p.claims(obj, ctx) for p in plugins)


def _validated(objects: list[Emitted], ctx: Context, progress: Any = None) -> list[Emitted]:
    """The safety pass: an object the CRDs would reject is left out, loudly (GM005)."""
    from migrate.validate import Validator

    validator = Validator.packaged()

    def failures(items: Sequence[Emitted], start: int, end: int) -> list[tuple[int, list]]:
        out = []
        for index in range(start, end):
            if progress is not None and start == 0 and index % 200 == 0:
                progress("validating", index, end)
            problems = validator.validate(items[index].obj)
            if problems:
                out.append((index, problems))
        return out

    rejected = dict(map_ranges(failures, objects))
    spec = ctx.registry["GM005"]
    for index, problems in sorted(rejected.items()):
        detail = "; ".join(str(p) for p in problems[:3])
        src = objects[index].source or Source()
        ctx.findings.append(Finding(spec.code, spec.severity, spec.outcome, src, f"left out: {detail}"))
    return [item for index, item in enumerate(objects) if index not in rejected]


def _apply_downgrade(findings: list[Finding], registry: Registry, allowed: bool) -> list[Finding]:
    """With --allow-security-downgrade, security errors stay visible as warnings."""
    if not allowed:
        return findings
    out = []
    for f in findings:
        if registry[f.code].security and f.severity is Severity.ERROR:
            f = Finding(f.code, Severity.WARNING, f.outcome, f.source, f.message, f.example, downgraded=True)
        out.append(f)
    return out
