"""Fields with no Gateway API equivalent: the table's note becomes the finding."""

from __future__ import annotations

from migrate.ir import Route
from migrate.plugin import SourceObject
from migrate.plugins.traefik.state import Run


def field(run: Run, obj: SourceObject, routes: list[Route] | None = None) -> None:
    """Report every field of ``obj`` that no handler accounted for (see Run.explain_rest)."""
    run.explain_rest(obj, routes)
