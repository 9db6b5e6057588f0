"""Annotations with no Gateway API equivalent: the table's note is the finding."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def report(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")
