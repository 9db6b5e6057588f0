"""The contract test kit behind ``gateway-migrate plugins test PATH``.

Each check is a function returning ``(name, ok, detail)``; :func:`run_checks` runs
them in order. ``PATH`` is a plugin package directory (its pyproject.toml names the
entry point in ``gateway_migrate.plugins``) or the name of an installed plugin.
A directory whose plugin is not installed is imported by path, and its fixtures run
with that plugin added to the installed ones.
"""

from __future__ import annotations

import importlib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

import yaml

from migrate.discovery import GROUP
from migrate.plugin import API_VERSION

Check = tuple[str, bool, str]

REQUIRED = ("name", "api_version", "claims", "convert", "findings")
OPTIONAL = ("fallback", "description", "cluster_kinds", "simulator")
CORE_PREFIX = "GM"
_CODE = re.compile(r"^([A-Z]+)([0-9]+)$")


@dataclass
class Target:
    """What is under test: the plugin object, where it came from, where its files are."""

    spec: str
    plugin: Any = None
    how: str = ""
    #: the package directory (pyproject.toml, fixtures/); None when not found
    root: Path | None = None
    entry: tuple[str, str] | None = None
    error: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def fixtures(self) -> Path | None:
        if self.plugin is None or self.root is None:
            return None
        return self.root / "fixtures" / str(self.plugin.name)


def _entry_from_pyproject(root: Path) -> tuple[str, str] | None:
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    points = ((data.get("project") or {}).get("entry-points") or {}).get(GROUP) or {}
    if len(points) != 1:
        return None
    (name, value), = points.items()
    return str(name), str(value)


def _instantiate(target: Any) -> Any:
    return target() if isinstance(target, type) else target


def _load_by_path(root: Path, value: str) -> Any:
    module, _, attr = value.partition(":")
    for base in (root / "src", root):
        if (base / module.split(".")[0]).exists():
            if str(base) not in sys.path:
                sys.path.insert(0, str(base))
            break
    obj = importlib.import_module(module)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return _instantiate(obj)


def _find_root(module_name: str, plugin_name: str) -> Path | None:
    """Walk up from the plugin's module to a directory with fixtures/<name>/ (a checkout)."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    if not file:
        return None
    for parent in Path(file).resolve().parents:
        if (parent / "fixtures" / plugin_name).is_dir() or (parent / "pyproject.toml").is_file():
            return parent
    return None


def load_target(spec: str) -> Target:
    """Load the plugin named by ``spec`` (a package directory or an installed plugin name)."""
    target = Target(spec)
    path = Path(spec)
    installed = {p.name: p for p in entry_points(group=GROUP)}
    try:
        if path.is_dir():
            target.root = path.resolve()
            target.entry = _entry_from_pyproject(target.root)
            if target.entry is None:
                target.error = f"{path}/pyproject.toml declares no single entry point in [project.entry-points.\"{GROUP}\"]"
                return target
            name, value = target.entry
            point = installed.get(name)
            if point is not None and point.value == value:
                target.plugin, target.how = _instantiate(point.load()), f"entry point {name} = {value} (installed)"
            else:
                target.plugin, target.how = _load_by_path(target.root, value), f"{value} imported from {target.root}"
        else:
            point = installed.get(spec)
            if point is None:
                target.error = f"{spec} is neither a directory nor an installed plugin ({', '.join(sorted(installed))})"
                return target
            target.entry = (point.name, point.value)
            target.plugin, target.how = _instantiate(point.load()), f"entry point {point.name} = {point.value} (installed)"
            target.root = _find_root(point.value.partition(":")[0], str(getattr(target.plugin, "name", spec)))
    except Exception as exc:  # a broken plugin is a failed check, not a traceback
        target.error = f"{type(exc).__name__}: {exc}"
    return target


# -- checks ------------------------------------------------------------------------


def check_loads(t: Target) -> Check:
    if t.plugin is None:
        return ("loads", False, t.error or "not loaded")
    return ("loads", True, t.how)


def check_members(t: Target) -> Check:
    p = t.plugin
    missing = [m for m in REQUIRED if not hasattr(p, m)]
    if missing:
        return ("contract members", False, f"missing: {', '.join(missing)}")
    not_callable = [m for m in ("claims", "convert", "findings") if not callable(getattr(p, m))]
    if not_callable:
        return ("contract members", False, f"not callable: {', '.join(not_callable)}")
    if not isinstance(p.name, str) or not p.name:
        return ("contract members", False, "name must be a non-empty string")
    return ("contract members", True, ", ".join(REQUIRED))


def check_api_version(t: Target) -> Check:
    version = getattr(t.plugin, "api_version", None)
    ok = version == API_VERSION
    return ("api_version", ok, f"{version!r}" + ("" if ok else f", this gateway-migrate implements {API_VERSION}"))


def check_no_undeclared_members(t: Target) -> Check:
    """An unknown public member is an error (a typo of an optional one would be silently ignored)."""
    extra = sorted(m for m in dir(t.plugin) if not m.startswith("_") and m not in REQUIRED + OPTIONAL)
    if extra:
        return ("no undeclared members", False, f"not in the contract: {', '.join(extra)} "
                                                f"(optional members are {', '.join(OPTIONAL)}; prefix helpers with _)")
    return ("no undeclared members", True, "")


def check_findings(t: Target) -> Check:
    try:
        specs = list(t.plugin.findings())
    except Exception as exc:
        return ("finding codes", False, f"findings() raised {type(exc).__name__}: {exc}")
    codes = [s.code for s in specs]
    if not codes:
        return ("finding codes", False, "findings() declares no codes")
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        return ("finding codes", False, f"declared more than once: {', '.join(dupes)}")
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        return ("finding codes", False, f"not LETTERS+DIGITS: {', '.join(bad)}")
    prefixes = sorted({_CODE.match(c).group(1) for c in codes})
    if len(prefixes) != 1:
        return ("finding codes", False, f"several prefixes: {', '.join(prefixes)}")
    if prefixes[0] == CORE_PREFIX:
        return ("finding codes", False, f"prefix {CORE_PREFIX} belongs to the core")
    others = _other_prefixes(str(t.plugin.name))
    if prefixes[0] in others:
        return ("finding codes", False, f"prefix {prefixes[0]} is used by plugin {others[prefixes[0]]}")
    return ("finding codes", True, f"{len(codes)} unique, prefix {prefixes[0]}")


def _other_prefixes(name: str) -> dict[str, str]:
    from migrate.discovery import discover

    out = {}
    for plugin in discover().plugins:
        if plugin.name == name:
            continue
        for s in plugin.findings():
            m = _CODE.match(s.code)
            if m:
                out[m.group(1)] = plugin.name
    return out


def _plugins_with(plugin: Any) -> list[Any]:
    """The installed plugins with ``plugin`` in place of its namesake (passed to the engine)."""
    from migrate.discovery import discover

    return [p for p in discover().plugins if p.name != plugin.name] + [plugin]


def _cases(t: Target) -> list[Path]:
    root = t.fixtures
    if root is None or not root.is_dir():
        return []
    return sorted(c for c in root.iterdir() if c.is_dir())


def check_fixtures(t: Target) -> Check:
    from migrate.testing import check_case

    cases = _cases(t)
    if not cases:
        return ("fixtures", False, f"no cases under {t.fixtures}")
    failed = []
    plugins = _plugins_with(t.plugin)
    for case in cases:
        try:
            problems = check_case(case, plugins)
        except Exception as exc:
            problems = [f"{type(exc).__name__}: {exc}"]
        if problems:
            failed.append(f"{case.name}: " + "\n    ".join(problems))
    if failed:
        return ("fixtures", False, "\n  ".join(failed))
    return ("fixtures", True, f"{len(cases)} case(s)")


def check_output_valid(t: Target) -> Check:
    from migrate.testing import run_case
    from migrate.validate import Validator

    cases = _cases(t)
    if not cases:
        return ("output valid against CRDs", False, f"no cases under {t.fixtures}")
    validator = Validator.packaged()
    problems = []
    plugins = _plugins_with(t.plugin)
    for case in cases:
        result = run_case(case, plugins)
        problems += [f"{case.name}: {v}" for item in result.objects for v in validator.validate(item.obj)]
    return ("output valid against CRDs", not problems, "\n  ".join(problems) or f"{len(cases)} case(s)")


def _package_of(plugin: Any) -> str:
    module = type(plugin).__module__
    mod = importlib.import_module(module)
    return module if hasattr(mod, "__path__") else module.rpartition(".")[0] or module


def _tables(t: Target) -> list[Path]:
    package = importlib.import_module(_package_of(t.plugin))
    found = []
    for directory in getattr(package, "__path__", []):
        for path in sorted(Path(directory).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "annotations" in data and "prefix" in data:
                found.append(path)
    return found


def check_mapping_table(t: Target) -> Check:
    from migrate.mapping_table import validate_table

    tables = _tables(t)
    if not tables:
        return ("mapping table", True, "none shipped in the plugin package")
    package = _package_of(t.plugin)
    problems = []
    for path in tables:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        problems += [f"{path.name}: {p}" for p in validate_table(data)]
        if problems:
            continue
        entries = {**data["annotations"], **(data.get("legacy") or {})}
        for name, entry in entries.items():
            problems += [f"{path.name}: {name}: {p}" for p in _handler_problems(package, entry["handler"])]
    return ("mapping table", not problems, "\n  ".join(problems) or ", ".join(p.name for p in tables))


def _handler_problems(package: str, dotted: str) -> list[str]:
    module, _, function = dotted.rpartition(".")
    try:
        target: Callable | None = getattr(importlib.import_module(f"{package}.{module}"), function, None)
    except ImportError as exc:
        return [f"handler {dotted}: {exc}"]
    return [] if callable(target) else [f"handler {dotted}: no function {function} in {package}.{module}"]


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def public_api_problems(package: str) -> list[str]:
    """Imports of gateway-migrate modules outside ``migrate.plugin.PUBLIC_API`` in ``package``'s files."""
    from migrate.plugin import PUBLIC_API

    problems = []
    own = package.split(".")
    for directory in getattr(importlib.import_module(package), "__path__", []):
        for path in sorted(Path(directory).rglob("*.py")):
            for line, module in _imported_modules(path):
                parts = module.split(".")
                if parts[0] != "migrate" or parts[:len(own)] == own or module in PUBLIC_API:
                    continue
                problems.append(f"{path.name}:{line}: imports {module}")
    return problems


def check_public_api(t: Target) -> Check:
    """The plugin imports only the public API (migrate.plugin.PUBLIC_API) of gateway-migrate."""
    problems = public_api_problems(_package_of(t.plugin))
    return ("public API only", not problems, "\n  ".join(problems) or "imports only migrate.plugin.PUBLIC_API")


def plugin_prefix(t: Target) -> str | None:
    """The annotation prefix the plugin declares: its mapping table's (in its package, or
    gateway-migrate's own mappings/ for a built-in plugin), else ``ANNOTATION_PREFIX``."""
    for path in _tables(t):
        return str(yaml.safe_load(path.read_text(encoding="utf-8"))["prefix"])
    from migrate.mapping_table import MappingTableError, load_table

    try:
        return load_table(str(t.plugin.name)).prefix or None
    except MappingTableError:
        return getattr(importlib.import_module(_package_of(t.plugin)), "ANNOTATION_PREFIX", None)


def check_nothing_vanishes(t: Target) -> Check:
    """Every annotation under the prefix, on an object the plugin owns, is named in a finding,
    an input error or the output's provenance comments."""
    from migrate.testing import output_of, run_case

    prefix = plugin_prefix(t)
    if not prefix:
        return ("no annotation vanishes", True, "the plugin declares no annotation prefix")
    cases = _cases(t)
    lost = []
    plugins = _plugins_with(t.plugin)
    for case in cases:
        result = run_case(case, plugins)
        named = {(f.source.object, f.source.field) for f in result.report.findings}
        # provenance: comments gateway-migrate writes ("# gateway-migrate: converted <key>"), not copied ones
        comments = [line for line in output_of(result).splitlines()
                    if line.lstrip().startswith("#") and "gateway-migrate:" in line]
        for document in result.documents:
            if result.owners.get(document.origin) != t.plugin.name:
                continue  # e.g. a Service whose annotations a dialect reads: another object's finding names them
            obj = document.data
            meta = obj.get("metadata") or {}
            ref = f"{obj.get('kind')}/{meta.get('namespace', 'default')}/{meta.get('name')}"
            for key in meta.get("annotations") or {}:
                if not str(key).startswith(prefix):
                    continue
                if ((ref, f"metadata.annotations[{key}]") in named or any(key in c for c in comments)
                        or any(key in e for e in result.report.input_errors)):
                    continue
                lost.append(f"{case.name}: {ref}: {key}")
    return ("no annotation vanishes", not lost, "\n  ".join(lost) or f"prefix {prefix}, {len(cases)} case(s)")


CHECKS = (check_members, check_api_version, check_no_undeclared_members, check_findings, check_public_api,
          check_mapping_table, check_fixtures, check_output_valid, check_nothing_vanishes)


def run_checks(spec: str) -> list[Check]:
    target = load_target(spec)
    results = [check_loads(target)]
    if target.plugin is None:
        return results
    for check in CHECKS:
        try:
            results.append(check(target))
        except Exception as exc:  # one broken check must not hide the others
            results.append((check.__name__.removeprefix("check_").replace("_", " "), False,
                            f"{type(exc).__name__}: {exc}"))
        if check is check_members and not results[-1][1]:
            break
    return results


def write_cases(spec: str) -> list[Path]:
    """Regenerate every fixture's expectations (migrate.testing.write_case) with the plugin loaded.

    The files are written, not reviewed: read each diff against the controller's docs.
    """
    from migrate.testing import write_case

    target = load_target(spec)
    if target.plugin is None:
        raise RuntimeError(target.error or f"{spec}: plugin not loaded")
    cases = _cases(target)
    plugins = _plugins_with(target.plugin)
    for case in cases:
        write_case(case, plugins)
    return cases
