"""Placeholder: every annotation is explained until its handlers land."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def body_size(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def buffering(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def proxy_timeouts(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def retries(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")
