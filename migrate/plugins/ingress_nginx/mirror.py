"""Placeholder: every annotation is explained until its handlers land."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def request_mirror(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")
