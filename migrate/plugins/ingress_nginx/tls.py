"""Placeholder: every annotation is explained until its handlers land."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def client_cert_auth(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def ssl_ciphers(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")


def ssl_passthrough(h: Handle, names: list[str]) -> None:
    for name in names:
        h.explain(name, "not converted.")
