"""server-alias, and the helpers the other handler modules share.

The helpers answer questions every handler asks the same way: how ingress-nginx
parses a boolean, which rules of this Ingress proxy to a backend (so a filter
belongs on them), and which routes ssl-passthrough turns into TLSRoutes (nginx
ignores every other annotation for those).
"""

from __future__ import annotations

import re
from typing import Iterable

from migrate.findings import spec
from migrate.ir import Backend, Listener, Origin, PathMatch, Redirect, Route, Rule
from migrate.names import host_slug
from migrate.plugins.ingress.convert import MAX_LISTENERS
from migrate.plugins.ingress_nginx.handle import TRUE, Handle
from migrate.plugins.ingress_nginx.redirects import MOOT_UNDER_REDIRECT

FINDINGS = (
    spec("NGX340", "info", "converted", "server-alias host names added to the route",
         "ingress-nginx served the aliases with the same server block as the Ingress's host. They are added to the "
         "hostnames of the route of that host, so requests for an alias are routed exactly like requests for the host."),
    spec("NGX341", "warning", "converted-with-change", "server-alias needs HTTPS listener and certificate coverage",
         "nginx answered HTTPS for an alias with the host's certificate, because the alias lived in the host's "
         "server block. Gateway API selects HTTPS listeners by hostname, so the alias gets its own HTTPS listener "
         "with the same certificate; clients see a name mismatch unless that certificate also covers the alias "
         "(as they did with nginx)."),
    spec("NGX342", "info", "converted", "server-alias skipped: the name is already an Ingress host",
         "ingress-nginx ignores an alias that is the host of an Ingress rule (its own or another Ingress's): that "
         "host's own rules answer it. The alias is left out for the same reason."),
)

# -- shared helpers -------------------------------------------------------------------------

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#: Gateway API PreciseHostname (BackendTLSPolicy hostname, URLRewrite hostname)
PRECISE_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
#: Gateway API Hostname (route hostnames, listener hostnames): an optional leading "*." label
HOSTNAME = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")

#: what Go's strconv.ParseBool accepts: ingress-nginx's GetBoolAnnotation reads booleans with it


def on_off(h: Handle, name: str, default: str) -> str:
    """An nginx on/off switch that ingress-nginx validates with ^(on|off)$."""
    value = h.get(name)
    if value is None:
        return default
    if value in ("on", "off"):
        return value
    return h.invalid(name, value, "on or off", default)


def split_list(value: str) -> list[str]:
    """Comma-separated values, trimmed, empty ones dropped, duplicates removed (first kept)."""
    out: list[str] = []
    for item in value.split(","):
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def duration(seconds: int) -> str:
    """Seconds as a Gateway API Duration (at most five digits per unit)."""
    if seconds <= 99999:
        return f"{seconds}s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)


def example_host(h: Handle) -> str:
    """A host of this Ingress for example requests."""
    hosts = [host for route in serving_routes(h) for host in route.hostnames]
    return hosts[0] if hosts else "any-host.example"


def example_url(h: Handle, services: set[str] | None = None) -> str:
    """A URL that reaches a proxied rule of this Ingress (one whose backend is in ``services``, if given)."""
    for route, rule in proxied_rules(h):
        if services is not None and not any(b.name in services for b in rule.backends):
            continue
        path = next((m.path.value for m in rule.matches if m.path and m.path.type != "RegularExpression"), "/")
        return url(h, route.hostnames[0] if route.hostnames else "any-host.example", path)
    return url(h, example_host(h))


def url(h: Handle, host: str, path: str = "/") -> str:
    """An example URL with the scheme clients use for ``host`` (https when it has TLS)."""
    tls = host in h.conv.tls_hosts or "*" in h.conv.tls_hosts
    return f"{'https' if tls else 'http'}://{host}{path}"


def is_redirect(rule: Rule) -> bool:
    return any(isinstance(f, Redirect) for f in rule.filters)


def passthrough_on(h: Handle) -> bool:
    """ssl-passthrough as ingress-nginx reads it (GetBoolAnnotation), without reporting a bad value."""
    value = h.get("ssl-passthrough")
    return value is not None and value in TRUE


def root_backend(h: Handle, route: Route) -> Backend | None:
    """The backend of the route's "/" location: the only one nginx passes TLS through to."""
    for made in h.made:
        if made.route is route and made.path.value in ("", "/") and made.rule.backends:
            return made.rule.backends[0]
    for rule in route.rules:  # the Ingress's defaultBackend fills "/" when no path is "/"
        if rule.backends and not is_redirect(rule) and any(
                m.path in (PathMatch("PathPrefix", "/"), PathMatch("Exact", "/")) for m in rule.matches):
            return rule.backends[0]
    return None


def passthrough_routes(h: Handle) -> list[Route]:
    """Routes that ssl-passthrough turns (or has turned) into TLSRoutes.

    nginx passes TLS through by SNI, so only routes with hostnames qualify, and only
    to the backend of the "/" location (controller.go: other locations are ignored; a
    host without "/" is not passed through at all). Redirect-only routes (the HTTP
    side of an HTTPS redirect) stay: they answer plain HTTP on port 80.
    """
    if not passthrough_on(h):
        return []
    out = []
    for route in h.routes:
        if route.kind == "TLSRoute":
            out.append(route)
        elif (route.kind == "HTTPRoute" and route.hostnames and not all(is_redirect(r) for r in route.rules)
              and root_backend(h, route) is not None):
            out.append(route)
    return out


def live_routes(h: Handle, kinds: tuple[str, ...] = ("HTTPRoute", "GRPCRoute")) -> list[Route]:
    """This Ingress's routes that annotations act on: not passed through."""
    skip = {id(r) for r in passthrough_routes(h)}
    return [r for r in h.routes if r.kind in kinds and id(r) not in skip]


def serving_routes(h: Handle, kinds: tuple[str, ...] = ("HTTPRoute", "GRPCRoute")) -> list[Route]:
    """Live routes with at least one rule that proxies (not only the HTTP side of a redirect)."""
    return [r for r in live_routes(h, kinds) if any(not is_redirect(rule) for rule in r.rules)]


def proxied_rules(h: Handle, kinds: tuple[str, ...] = ("HTTPRoute", "GRPCRoute")) -> list[tuple[Route, Rule]]:
    """Rules that proxy to a backend (not redirects) on this Ingress's live routes."""
    return [(route, rule) for route in live_routes(h, kinds) for rule in route.rules if not is_redirect(rule)]


def url_redirect(h: Handle) -> str | None:
    """temporal-redirect / permanent-redirect when set: nginx answers every request with it first."""
    for name in ("temporal-redirect", "permanent-redirect"):
        if h.get(name):
            return name
    return None


def moot_under_redirect(h: Handle, names: list[str]) -> list[str]:
    """The names left to handle: under a URL redirect the redirects handler reports the ones it names as moot."""
    if url_redirect(h) is None:
        return names
    return [name for name in names if name not in MOOT_UNDER_REDIRECT]


def ignored_by_passthrough(h: Handle, names: Iterable[str]) -> bool:
    """When ssl-passthrough takes every route of this Ingress, nginx ignored these annotations."""
    taken = passthrough_routes(h)
    if not taken or live_routes(h):
        return False
    for name in names:
        if not h.is_accounted(name):
            h.report("NGX221", name, "ignored: with ssl-passthrough nginx relays the TLS connection untouched and "
                                     "applies no other annotation; nothing to convert.")
    return True


# -- server-alias -----------------------------------------------------------------------------


def server_alias(h: Handle, names: list[str]) -> None:
    for name in names:
        _alias(h, name)


def _alias(h: Handle, name: str) -> None:
    value = h.get(name) or ""
    aliases: list[str] = []
    for item in re.split(r"[,\s]+", value):
        if not item:
            continue
        alias = item.lower()
        if not HOSTNAME.match(alias) or len(alias) > 253:
            h.invalid(name, item, "a DNS host name (optionally starting with '*.')", "no such alias")
            continue
        if alias not in aliases:
            aliases.append(alias)
    if not aliases:
        if not h.is_accounted(name):
            h.report("NGX342", name, "no alias given; nothing to convert.")
        return
    if ignored_by_passthrough(h, [name]):
        return
    taken = [a for a in aliases if a in h.conv.all_hosts]
    for alias in taken:
        h.report("NGX342", name, f"alias {alias} is already the host of an Ingress rule; ingress-nginx ignores it "
                                 "and so does the conversion.")
    aliases = [a for a in aliases if a not in taken]
    if not aliases:
        return
    hosted = [r for r in live_routes(h) if r.hostnames]
    if not hosted:
        h.report("NGX342", name, "the Ingress has no rule with a host, so nginx had no server block to add the "
                                 "aliases to; nothing to convert.")
        return
    # every host of the Ingress got the aliases; nginx keeps the first server block in
    # host name order for a name listed twice, so the routes of that host answer them
    # (all of them: the HTTP side of an HTTPS redirect too, as in nginx's server block)
    first = min(host for r in hosted for host in r.hostnames)
    routes = [r for r in hosted if first in r.hostnames]
    for route in routes:
        route.hostnames.extend(a for a in aliases if a not in route.hostnames)
    others = sorted({host for r in hosted for host in r.hostnames if host != first and host not in aliases})
    extra = (f" nginx also listed them for {', '.join(others)}, but a name in two server blocks is answered by "
             f"the first in host name order, {first}.") if others else ""
    where = ", ".join(f"{r.kind} {r.namespace}/{r.name}" for r in routes)
    h.report("NGX340", name, f"{', '.join(aliases)} added to the hostnames of {where} (host {first}).{extra}")
    _cover_https(h, name, first, aliases)


def _cover_https(h: Handle, name: str, host: str, aliases: list[str]) -> None:
    """HTTPS for an alias: nginx used the host's certificate; the alias needs a listener of its own."""
    https = next((item for item in h.gateway.listeners
                  if item.protocol == "HTTPS" and item.hostname == host and item.certificates), None)
    if https is None:
        return
    added = []
    for alias in aliases:
        listener_name = f"https-{host_slug(alias)}"
        if h.gateway.listener(listener_name) is not None:
            continue
        if len(h.gateway.listeners) >= MAX_LISTENERS:
            h.ctx.report("GM009", h.obj, h.path(name), f"no HTTPS listener for alias {alias}")
            continue
        origin = Origin(h.obj.source(h.path(name)),
                        [f"{h.prefix}server-alias {alias} of {host}: same certificate as {host}"])
        h.gateway.listeners.append(Listener(listener_name, "HTTPS", https.port, alias, list(https.certificates),
                                            origin=origin))
        added.append(alias)
    if added:
        certs = ", ".join(f"{c.namespace}/{c.name}" for c in https.certificates)
        h.report("NGX341", name,
                 f"HTTPS listener(s) added for {', '.join(added)} with the certificate of {host} ({certs}); it must "
                 "also cover the alias, or clients get a certificate name mismatch, as they did with nginx.",
                 example=f"GET https://{added[0]}/ is answered with Secret {certs}")
