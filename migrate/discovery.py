"""Find plugins through the ``gateway_migrate.plugins`` entry-point group.

Each entry point is loaded on its own: one that fails to import, or speaks another
contract version, becomes a finding and the rest still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Iterable

from migrate.plugin import API_VERSION, Plugin

GROUP = "gateway_migrate.plugins"


@dataclass
class Discovered:
    plugins: list[Any] = field(default_factory=list)
    #: (code, message) for each plugin that could not be used
    problems: list[tuple[str, str]] = field(default_factory=list)


def discover(points: Iterable[Any] | None = None) -> Discovered:
    found = Discovered()
    seen: set[str] = set()
    for point in sorted(points if points is not None else entry_points(group=GROUP), key=lambda p: p.name):
        try:
            target = point.load()
            plugin = target() if isinstance(target, type) else target
        except Exception as exc:  # a broken plugin must not take the tool down
            found.problems.append(("GM001", f"plugin '{point.name}' ({point.value}) failed to load: {type(exc).__name__}: {exc}"))
            continue
        if not isinstance(plugin, Plugin):
            found.problems.append(("GM001", f"plugin '{point.name}' lacks name, api_version, claims, convert or findings"))
            continue
        if plugin.api_version != API_VERSION:
            found.problems.append(("GM002", f"plugin '{point.name}' implements contract version {plugin.api_version}; "
                                            f"this gateway-migrate implements {API_VERSION}"))
            continue
        if plugin.name in seen:
            found.problems.append(("GM001", f"plugin name '{plugin.name}' registered twice; second ignored"))
            continue
        seen.add(plugin.name)
        found.plugins.append(plugin)
    return found
