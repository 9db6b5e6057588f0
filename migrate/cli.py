"""Command line: turns options into Options, calls the engine, renders the report.

Exit codes are decided by Report.exit_code alone (see migrate/report.py); usage
errors exit 2 as click's do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from migrate import __version__
from migrate.engine import Options, UsageError, run
from migrate.load import Limits
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
                     help="Namespace of input objects that name none."),
        click.option("--allow-security-downgrade", is_flag=True,
                     help="Emit routes whose access controls cannot be carried over (loudly), instead of failing closed."),
        click.option("--max-file-size", default=64, show_default=True, metavar="MIB", help="Refuse input files larger than this."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _options(inputs, provider, gateway, gateway_namespace, gateway_name, gateway_class, default_namespace,
             allow_security_downgrade, max_file_size) -> Options:
    settings = Settings(
        gateway_namespace=gateway_namespace, gateway_name=gateway_name, gateway_class=gateway_class,
        existing_gateway=_existing_gateway(gateway), allow_security_downgrade=allow_security_downgrade,
        default_namespace=default_namespace,
    )
    return Options(tuple(inputs), settings, provider, limits=Limits(max_file_bytes=max_file_size * 1024 * 1024))


def _run(options: Options):
    try:
        return run(options, stdin=sys.stdin.buffer if "-" in options.inputs else None)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@conversion_options
@click.option("-o", "--output", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per object under DIR/<namespace>/ instead of stdout.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path), help="Also write the report to FILE.")
@click.option("--report-format", type=click.Choice(["json", "markdown", "text"]), default="json", show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="Only the summary line on stderr.")
@click.option("--no-semantic", is_flag=True, help="Skip the semantic diff summary (faster on very large inputs).")
def convert(inputs, fmt, out_dir, report_file, report_format, quiet, no_semantic, **conversion) -> None:
    """Convert INPUTS (files, directories, or - for stdin) to Gateway API."""
    result = _run(_options(inputs, **conversion))
    report = result.report
    if not no_semantic and result.objects:
        from migrate.review import review

        diff = review(result, Path(inputs[0]), textual=False).semantic
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
def validate(files, channel) -> None:
    """Check Gateway API manifests against the v1.6.1 CRDs (schema and CEL rules)."""
    from migrate.load import load_paths
    from migrate.validate import Validator

    loaded = load_paths(list(files), stdin=sys.stdin.buffer if "-" in files else None)
    validator = Validator.packaged(channel)
    problems, checked, other = [], 0, 0
    for doc in loaded.documents:
        if not validator.knows(doc.api_version, doc.kind):
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


if __name__ == "__main__":  # pragma: no cover
    main()
