"""Placeholder: every annotation is explained until its handlers land."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def backend_protocol(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def backend_tls(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def custom_errors(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def load_balancing(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def upstream_vhost(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")
