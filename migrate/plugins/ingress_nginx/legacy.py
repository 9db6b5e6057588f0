"""Keys current ingress-nginx no longer reads (vendor catalog 2.4): they did nothing."""

from __future__ import annotations

from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = ()


def report(h: Handle, names: list[str]) -> None:
    for name in names:
        key = h.table.legacy[name]
        instead = f" Use {h.prefix}{key.replaced_by} instead." if key.replaced_by else ""
        h.report("NGX005", name, f"no longer read by ingress-nginx; nothing converted. {key.note}{instead}")
