"""Access controls: none has a Gateway API core equivalent, so each fails closed.

An annotation that is only a detail of a control (auth-realm without auth-type,
limit-burst-multiplier without a limit) changes nothing on its own and is reported
as such; with its control present it is reported as part of the lost control.
"""

from __future__ import annotations

from migrate.findings import spec
from migrate.plugins.ingress_nginx.handle import Handle

FINDINGS = (
    spec("NGX360", "info", "converted", "Global authentication switched off for this Ingress",
         "enable-global-auth: \"false\" opted this Ingress out of the controller-wide auth-url, so no access "
         "control is lost here; the converted routes are open, as the Ingress was."),
)


def _control(h: Handle, names: list[str], main: tuple[str, ...], what: str) -> None:
    active = [n for n in names if any(h.table.annotations[n].alias_of == m or n == m for m in main)]
    for name in names:
        if name in active:
            h.block(name, f"{what} not carried over: the route is emitted closed. {h.table.annotations[name].note}")
        elif active:
            h.report("NGX001", name, f"detail of {h.prefix}{active[0]}, lost with it.")
        else:
            h.report("NGX001", name, f"has no effect without {' or '.join(h.prefix + m for m in main)}; nothing to convert.")


def basic_auth(h: Handle, names: list[str]) -> None:
    _control(h, names, ("auth-type",), "authentication")


def external_auth(h: Handle, names: list[str]) -> None:
    _control(h, names, ("auth-url",), "external authentication")


def rate_limits(h: Handle, names: list[str]) -> None:
    _control(h, names, ("limit-rps", "limit-rpm", "limit-connections"), "rate limit")


def source_ranges(h: Handle, names: list[str]) -> None:
    for name in names:
        if not h.get(name):
            h.converted(name)  # an empty list restricts nothing
        else:
            h.block(name, f"IP list {h.get(name)!r} not carried over: the route is emitted closed.")


def snippets(h: Handle, names: list[str]) -> None:
    for name in names:
        h.block(name, "raw nginx configuration cannot be converted and may deny or authenticate requests: "
                      "the route is emitted closed. Read the snippet and rebuild what it does.")


def waf(h: Handle, names: list[str]) -> None:
    switches = [n for n in names if n in ("enable-modsecurity", "enable-owasp-core-rules")]
    on = [n for n in switches if h.flag(n, False)]
    for name in names:
        if name in on:
            h.block(name, "the web application firewall is not carried over: the route is emitted closed.")
        elif name in switches:
            h.converted(name)  # switched off: nothing lost
        elif on:
            h.report("NGX001", name, f"detail of {h.prefix}{on[0]}, lost with it.")
        else:
            h.report("NGX001", name, "has no effect without enable-modsecurity; nothing to convert.")


def global_auth(h: Handle, names: list[str]) -> None:
    for name in names:
        if h.flag(name, True):
            h.block(name, "the controller-wide global-auth-url (ConfigMap) applied here and is not carried over: "
                          "the route is emitted closed. If no global-auth-url was set, accept with "
                          "--allow-security-downgrade.")
        else:
            h.report("NGX360", name, "opted out of the controller-wide authentication: nothing to carry over")


def satisfy(h: Handle, names: list[str]) -> None:
    controls = ("auth-type", "auth-url", "allowlist-source-range", "denylist-source-range")
    for name in names:
        if any(h.has(c) for c in controls):
            h.block(name, "how authentication and IP lists combined is lost with them: the route is emitted closed.")
        else:
            h.report("NGX001", name, "has no effect without authentication or an IP list; nothing to convert.")
