"""Command line: turns options into Options, calls the engine, renders the report.

Exit codes are decided by Report.exit_code alone (see migrate/report.py); usage
errors exit 2 as click's do.
"""

from __future__ import annotations

import gc
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from migrate import __version__
from migrate.cluster import GATEWAY_API_GROUPS, ClusterError, ClusterSource
from migrate.engine import Options, UsageError, run
from migrate.load import Limits
from migrate.progress import Progress
from migrate.plugin import Settings
from migrate.report import EXIT_INPUT
from migrate.write import render, write_dir


def _existing_gateway(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    if value.count("/") != 1 or not all(value.split("/")):
        raise click.BadParameter("expected NAMESPACE/NAME", param_hint="--gateway")
    ns, name = value.split("/")
    return ns, name


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gateway-migrate")
def main() -> None:
    """Move Kubernetes Ingress (and controller dialects) to Gateway API, saying what changes."""
    # A conversion allocates millions of small, long-lived objects; with the default
    # thresholds the cyclic collector rescans them thousands of times (a third of the
    # run at 10,000 Ingresses, see docs/performance.md). Fewer, larger collections.
    gc.set_threshold(50_000, 20, 100)


def conversion_options(fn):
    """The options that decide what a conversion produces (shared by convert and diff)."""
    options = [
        click.option("--provider", metavar="NAME", help="Force this plugin for every Ingress (see `plugins list`)."),
        click.option("--gateway", "gateway", metavar="NAMESPACE/NAME",
                     help="Attach every route to this existing Gateway; no Gateway is emitted."),
        click.option("--gateway-namespace", default="gateway-system", show_default=True,
                     help="Namespace of the generated Gateways."),
        click.option("--gateway-name", default="{class}", show_default=True,
                     help="Name of the generated Gateway; {class} is the ingress class."),
        click.option("--gateway-class", metavar="NAME",
                     help="gatewayClassName of generated Gateways [default: the ingress class]."),
        click.option("-n", "--namespace", "default_namespace", default="default", show_default=True,
                     help="Namespace of input objects that name none; with --from-cluster, the namespace read "
                          "(there the default is the context's namespace)."),
        click.option("--allow-security-downgrade", is_flag=True,
                     help="Emit routes whose access controls cannot be carried over (loudly), instead of failing closed."),
        click.option("--max-file-size", default=64, show_default=True, metavar="MIB", help="Refuse input files larger than this."),
        click.option("--annotations-prefix", "annotations_prefix", default=None, metavar="PREFIX",
                     help="The --annotations-prefix ingress-nginx ran with, if not nginx.ingress.kubernetes.io."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _options(inputs, provider, gateway, gateway_namespace, gateway_name, gateway_class, default_namespace,
             allow_security_downgrade, max_file_size, annotations_prefix=None) -> Options:
    settings = Settings(
        gateway_namespace=gateway_namespace, gateway_name=gateway_name, gateway_class=gateway_class,
        existing_gateway=_existing_gateway(gateway), allow_security_downgrade=allow_security_downgrade,
        default_namespace=default_namespace,
        annotation_prefixes=(("ingress-nginx", annotations_prefix),) if annotations_prefix else (),
    )
    return Options(tuple(inputs), settings, provider, limits=Limits(max_file_bytes=max_file_size * 1024 * 1024))


def options_from_args(args: list[str]) -> Options:
    """The Options ``gateway-migrate convert ARGS`` runs with, parsed by the command itself
    (the fixture kit reads each case's ``args`` file through this)."""
    params = convert.make_context("convert", list(args)).params
    names = ("provider", "gateway", "gateway_namespace", "gateway_name", "gateway_class", "default_namespace",
             "allow_security_downgrade", "max_file_size", "annotations_prefix")
    return _options(params["inputs"], **{name: params[name] for name in names})


def _run(options: Options):
    try:
        return run(options, stdin=sys.stdin.buffer if "-" in options.inputs else None)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


def cluster_options(fn):
    """Which cluster: for convert --from-cluster and validate --cluster (migrate/cluster.py)."""
    fn = click.option("--context", "kube_context", metavar="NAME", help="kubeconfig context [default: its current-context].")(fn)
    return click.option("--kubeconfig", metavar="PATH",
                        help="kubeconfig file [default: $KUBECONFIG, else ~/.kube/config].")(fn)


def _cluster_source(enabled: bool, flag: str, kubeconfig, kube_context, namespace=None, all_namespaces=False):
    if not enabled:
        used = [n for n, v in (("--kubeconfig", kubeconfig), ("--context", kube_context), ("-A", all_namespaces)) if v]
        if used:
            raise click.UsageError(f"{', '.join(used)}: only with {flag}")
        return None
    return ClusterSource(kubeconfig, kube_context, namespace, all_namespaces)


def _explicit(name: str) -> bool:
    from click.core import ParameterSource

    return click.get_current_context().get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def _cluster_failed(exc: ClusterError):
    """Cannot read the cluster: one line, exit 2, no traceback."""
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_INPUT)


@main.command()
@click.argument("inputs", nargs=-1)
@conversion_options
@click.option("--from-cluster", is_flag=True,
              help="Also read Ingresses, IngressClasses, Services, ConfigMaps and plugin kinds from the cluster "
                   "(never Secrets), after any INPUTS.")
@cluster_options
@click.option("-A", "--all-namespaces", is_flag=True, help="With --from-cluster: read every namespace.")
@click.option("-o", "--output", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per object under DIR/<namespace>/ instead of stdout.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report to FILE.")
@click.option("--report-format", type=click.Choice(["json", "markdown", "text"]), default="json", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Only the summary line on stderr.")
@click.option("--no-semantic", is_flag=True, help="Skip the semantic diff summary (faster on very large inputs).")
@click.option("--in-place", is_flag=True,
              help="Rewrite the input files: each converted Ingress replaced where it stood, all else byte-identical.")
@click.option("--keep-source", is_flag=True, help="With --in-place: keep each Ingress next to its replacement.")
@click.option("--gateway-file", metavar="NAME",
              help="With --in-place: file (relative to the input directory) for the shared Gateways "
                   "[default: gateways-<namespace>.yaml].")
@click.option("--check", is_flag=True, help="With --in-place: write nothing; exit 1 if a run would change files.")
def convert(inputs, fmt, out_dir, report_file, report_format, quiet, no_semantic, in_place, keep_source,
            gateway_file, check, from_cluster, kubeconfig, kube_context, all_namespaces, **conversion) -> None:
    """Convert INPUTS (files, directories, or - for stdin), and with --from-cluster the
    objects of a live cluster (findings name them cluster:<context>/<namespace>/<Kind>/<name>),
    to Gateway API."""
    if not inputs and not from_cluster:
        raise click.UsageError("give INPUTS (files, directories or -), or --from-cluster")
    if from_cluster and in_place:
        raise click.UsageError("--in-place rewrites files; it does not go with --from-cluster")
    if all_namespaces and _explicit("default_namespace"):
        raise click.UsageError("-n/--namespace and -A/--all-namespaces exclude each other")
    namespace = conversion["default_namespace"] if _explicit("default_namespace") else None
    cluster = _cluster_source(from_cluster, "--from-cluster", kubeconfig, kube_context, namespace, all_namespaces)
    if (keep_source or gateway_file or check) and not in_place:
        raise click.UsageError("--keep-source, --gateway-file and --check go with --in-place")
    if in_place and ("-" in inputs or out_dir is not None):
        raise click.UsageError("--in-place rewrites files: it takes files or directories, not - or --out-dir")
    progress = Progress()
    try:
        result = run(replace(_options(inputs, **conversion), cluster=cluster),
                     stdin=sys.stdin.buffer if "-" in inputs else None, progress=progress)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except ClusterError as exc:
        _cluster_failed(exc)
    finally:
        progress.close()
    report = result.report
    if in_place:
        sys.exit(_in_place(result, inputs, keep_source, gateway_file, check, quiet))
    if not no_semantic and result.objects:
        from migrate.review import review

        diff = review(result, Path(inputs[0] if inputs else "-"), textual=False).semantic
        report.semantic = (diff.probes, len(diff.changes))
    if out_dir is not None:
        write_dir(out_dir, result.objects)
    elif result.objects:
        click.echo(render(result.objects, fmt), nl=False)
    err = click.get_text_stream("stderr")
    err.write(report.summary() + "\n" if quiet else report.to_text())
    if report_file is not None:
        report_file.write_text(report.render(report_format), encoding="utf-8")
    sys.exit(report.exit_code)


def _in_place(result, inputs, keep_source: bool, gateway_file: str | None, check: bool, quiet: bool) -> int:
    """Write (or, with --check, only list) the files an in-place conversion changes."""
    from migrate.inplace import plan
    from migrate.write import atomic_write

    report = result.report
    roots = [Path(i) if Path(i).is_dir() else Path(i).parent for i in inputs]
    root = Path(os.path.commonpath([str(r.resolve()) for r in roots]))
    err = click.get_text_stream("stderr")
    if report.input_errors:
        err.write(report.to_text())
        err.write("nothing written: fix the input errors above first (an in-place run never writes part of a change)\n")
        return EXIT_INPUT
    try:
        plans = plan(result, root=root, keep_source=keep_source, gateway_file=gateway_file)
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INPUT
    if not check:
        for item in plans:
            atomic_write(item.path, item.new)
    if not quiet:
        err.write(report.to_text())
    verb = "would change" if check else "changed"
    for item in plans:
        err.write(f"{verb}: {item.path}{' (new)' if item.old is None else ''}\n")
    err.write(summary_table(report, len(plans)))
    if check:
        return 1 if plans else report.exit_code
    return report.exit_code


def summary_table(report, changed: int) -> str:
    c, sev = report.counts, report.by_severity()
    rows = [("files scanned", c.files), ("files changed", changed), ("files skipped", len(report.skipped)),
            ("objects converted", c.converted),
            ("findings", f"{sev.get('error', 0)} error, {sev.get('warning', 0)} warning, {sev.get('info', 0)} info")]
    return "".join(f"{label:<18} {value}\n" for label, value in rows)


@main.command("diff")
@click.argument("source")
@click.argument("converted", required=False)
@conversion_options
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--against", "against", type=click.Path(exists=True, path_type=Path),
              help="Also compare the conversion with these existing Gateway API objects (structural diff).")
def diff_command(source, converted, fmt, against, **conversion) -> None:
    """Show what the conversion of SOURCE changes: requests that behave differently
    (semantic diff), and the files `convert --in-place` would write (textual diff).
    With CONVERTED, compare SOURCE with that Gateway API output instead of converting.
    Exit codes like diff(1): 0 no behaviour change, 1 changes, 2 errors."""
    from migrate.review import review

    result = _run(_options((source,), **conversion))
    outcome = review(result, Path(source), converted=Path(converted) if converted else None, against=against)
    click.echo(outcome.render(fmt), nl=False)
    for line in result.report.input_errors + outcome.errors:
        click.echo(f"error: {line}", err=True)
    sys.exit(2 if result.report.input_errors or outcome.errors else 1 if outcome.changed else 0)


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--channel", type=click.Choice(["standard", "experimental"]), default="standard", show_default=True)
@click.option("--cluster", "from_cluster", is_flag=True,
              help="Check against the Gateway API CRDs installed in the cluster instead of the packaged ones.")
@cluster_options
def validate(files, channel, from_cluster, kubeconfig, kube_context) -> None:
    """Check Gateway API manifests against the v1.6.1 CRDs (schema and CEL rules), or
    with --cluster against the CRDs installed in a cluster."""
    from migrate.cluster import cluster_validator
    from migrate.load import load_paths
    from migrate.validate import Validator

    cluster = _cluster_source(from_cluster, "--cluster", kubeconfig, kube_context)
    if cluster is not None and _explicit("channel"):
        raise click.UsageError("--channel chooses packaged CRDs; with --cluster the installed ones are used")
    try:
        validator, note = cluster_validator(cluster) if cluster else (Validator.packaged(channel), "")
    except ClusterError as exc:
        _cluster_failed(exc)
    if note:
        click.echo(note, err=True)
    loaded = load_paths(list(files), stdin=sys.stdin.buffer if "-" in files else None)
    problems, checked, other = [], 0, 0
    for doc in loaded.documents:
        # with --cluster, a Gateway API kind the cluster does not serve is a problem, not "other"
        if not validator.knows(doc.api_version, doc.kind) and not (
                cluster and doc.api_version.split("/")[0] in GATEWAY_API_GROUPS):
            other += 1
            continue
        checked += 1
        problems.extend((doc.origin, v) for v in validator.validate(doc.data))
    for origin, violation in problems:
        click.echo(f"{origin}: {violation}")
    for error in loaded.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{checked} Gateway API object(s) checked, {len(problems)} problem(s); {other} other document(s) ignored",
               err=True)
    sys.exit(EXIT_INPUT if loaded.errors else 1 if problems else 0)


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """List installed plugins and any that failed to load."""
    from migrate.discovery import discover

    found = discover()
    for plugin in found.plugins:
        kind = " (fallback)" if getattr(plugin, "fallback", False) else ""
        click.echo(f"{plugin.name}{kind}: {getattr(plugin, 'description', '')}".rstrip(": "))
    for code, message in found.problems:
        click.echo(f"{code}: {message}", err=True)


@plugins.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Write the package into DIR/NAME.")
def plugins_new(name, directory) -> None:
    """Write a new plugin package gateway-migrate-NAME (see docs/plugins.md)."""
    from migrate.sdk.scaffold import ScaffoldError, scaffold

    try:
        dest = scaffold(name, directory)
    except ScaffoldError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    click.echo(f"wrote {dest}; review fixtures/{name}/*/expected.yaml, then: pip install -e {dest}")


@plugins.command("test")
@click.argument("path")
@click.option("--regen", is_flag=True, help="First rewrite every fixture's expectations (then review them!).")
def plugins_test(path, regen) -> None:
    """Run the contract test kit on a plugin package directory or an installed plugin name."""
    from migrate.sdk.contract import run_checks, write_cases

    if regen:
        write_cases(path)
    results = run_checks(path)
    for name, ok, detail in results:
        click.echo(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""))
    failed = sum(not ok for _, ok, _ in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
