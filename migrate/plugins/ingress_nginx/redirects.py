"""Redirects: the default HTTP->HTTPS one, force-ssl, app-root, URL redirects, www.

ingress-nginx answers plain HTTP for a host that has TLS (in any Ingress) with a
308 to HTTPS unless ``ssl-redirect: "false"``. In Gateway API that is two routes
with the same matches: the real one on the HTTPS listeners and one on the HTTP
listener whose rules only redirect.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from migrate.findings import spec
from migrate.hostnames import matches as host_matches
from migrate.ir import GatewayParent, HeaderMatch, Match, Origin, PathMatch, Redirect, Route, Rule
from migrate.names import host_slug
from migrate.plugin import SourceObject
from migrate.plugins.ingress_nginx.handle import FALSE, TRUE, Handle

if TYPE_CHECKING:
    from migrate.plugins.ingress_nginx import NginxConverter

#: annotations whose effect (a rewrite, a filter, a backend change) a URL redirect makes moot
MOOT_UNDER_REDIRECT = ("rewrite-target", "x-forwarded-prefix", "upstream-vhost", "enable-cors", "custom-headers",
                       "mirror-target", "proxy-read-timeout", "proxy-send-timeout")
#: ingress-nginx's http-redirect-code (ConfigMap) default
HTTP_REDIRECT_CODE = 308
GATEWAY_CODES = (301, 302, 303, 307, 308)

FINDINGS = (
    spec("NGX120", "info", "converted-with-change", "HTTP to HTTPS redirect made explicit",
         "ingress-nginx redirected plain HTTP for hosts with TLS (ssl-redirect defaults to true) with 308. The route "
         "now serves HTTPS only, and a route on the HTTP listener redirects with 308. Differences: "
         "/.well-known/acme-challenge is no longer exempt (cert-manager's Gateway HTTP-01 solver adds its own, more "
         "specific route), and a trailing slash is kept in the redirect target."),
    spec("NGX121", "info", "converted-with-change", "force-ssl-redirect behind a TLS-terminating proxy",
         "The host has no TLS on the Gateway, so TLS ends before it: requests with X-Forwarded-Proto: http are "
         "redirected to https with 308, as ingress-nginx did when it trusted forwarded headers. A plain-HTTP request "
         "without that header was redirected by ingress-nginx too; it now reaches the backend."),
    spec("NGX122", "warning", "not-converted", "Redirect annotation without a target",
         "A redirect code was set without the redirect it belongs to; it had no effect and has none now."),
    spec("NGX123", "warning", "converted-with-change", "Redirect status code changed",
         "Gateway API redirects allow 301, 302, 303, 307 and 308. The code ingress-nginx would have used is not one "
         "of them (or was out of range and ingress-nginx fell back); the message says which code is used now."),
    spec("NGX124", "warning", "converted-with-change", "Redirect URL partly not expressible",
         "Gateway API redirects cannot set a query string or use nginx variables; the redirect keeps the request's "
         "own path and query instead, or uses the static part of the URL."),
    spec("NGX125", "info", "converted", "permanent-redirect overridden by temporal-redirect",
         "ingress-nginx evaluates temporal-redirect first, so the permanent one never applied; the same holds now."),
    spec("NGX126", "info", "converted", "from-to-www-redirect skipped: the other name is a real host",
         "ingress-nginx does not add the www redirect when the other name is served by an Ingress of its own."),
    spec("NGX128", "info", "converted", "No effect: every request of this Ingress is redirected",
         "permanent-redirect / temporal-redirect answer every request before nginx rewrites or proxies it, so "
         "this annotation had no effect; the converted rules only redirect."),
    spec("NGX129", "info", "converted", "preserve-trailing-slash: Gateway API redirects already keep it",
         "ingress-nginx stripped one trailing slash from HTTPS redirect targets unless this was set; Gateway API "
         "redirects keep the path as it is, which is what this annotation asked for."),
    spec("NGX130", "info", "converted", "force-ssl-redirect implied by ssl-redirect",
         "The host has TLS and ssl-redirect is on, so HTTP was redirected anyway; force-ssl-redirect added nothing."),
    spec("NGX127", "warning", "not-converted", "HTTPS for the www redirect needs a certificate",
         "ingress-nginx redirected HTTPS requests for the other name too when the certificate covered it. The "
         "Gateway has no HTTPS listener for that name; add one with a certificate covering it."),
)


def _enabled(conv: "NginxConverter", obj: SourceObject, name: str, default: bool) -> bool:
    value = conv.names(obj).get(name, "").strip()
    return True if value in TRUE else False if value in FALSE else default


def _tls(conv: "NginxConverter", obj: SourceObject, host: str | None) -> bool:
    """Whether ingress-nginx redirects this host: it has TLS through any Ingress, or this
    Ingress has a tls section at all (hosts missing from it get the default certificate
    and are redirected too: ingress-nginx issue 3258)."""
    spec = obj.data.get("spec") if isinstance(obj.data.get("spec"), dict) else {}
    if spec.get("tls"):
        return True
    if host is None:
        return False
    return host in conv.tls_hosts or any(host_matches(t, host) for t in conv.tls_wildcards)


def redirect_kind(conv: "NginxConverter", obj: SourceObject, host: str | None) -> Any:
    """Grouping key: hosts redirected to HTTPS never share a route with hosts that are not."""
    if _enabled(conv, obj, "ssl-passthrough", False):
        return None
    if _tls(conv, obj, host) and _enabled(conv, obj, "ssl-redirect", True):
        return "https"
    if _enabled(conv, obj, "force-ssl-redirect", False):
        return "forwarded"
    return None


def https_redirect(h: Handle, names: list[str]) -> None:
    ssl = h.flag("ssl-redirect", True)
    force = h.flag("force-ssl-redirect", False)
    if h.flag("preserve-trailing-slash", False):
        h.report("NGX129", "preserve-trailing-slash", "satisfied: the HTTPS redirect keeps the trailing slash")
    h.converted(*names)
    told = False
    for route in list(h.routes):
        if route.kind not in ("HTTPRoute", "GRPCRoute") or not any(rule.backends for rule in route.rules):
            continue  # a route that only redirects (www) answers on both schemes, as nginx did
        host = route.hostnames[0] if route.hostnames else None
        if (ssl or force) and _tls(h.conv, h.obj, host):
            if ssl and force and not told:
                h.report("NGX130", "force-ssl-redirect", "redundant: ssl-redirect already redirects this TLS host")
            gateway = GatewayParent(h.gateway.namespace, h.gateway.name)
            route.parents = [replace(gateway, protocols=("HTTPS",))]
            h.routes.append(_redirect_route(route, replace(gateway, protocols=("HTTP",))))
            if not told:
                h.ctx.report("NGX120", h.obj, ("spec", "tls"),
                             f"HTTP for {', '.join(route.hostnames) or 'all hosts'} now answers 308 to https; "
                             "/.well-known/acme-challenge is no longer exempt and a trailing slash is kept",
                             example=f"GET http://{host or 'host'}/about/ went to https://{host or 'host'}/about, "
                                     f"now to https://{host or 'host'}/about/")
                told = True
        elif force:
            _forwarded_proto_redirects(route)
            h.report("NGX121", "force-ssl-redirect", f"routes of {', '.join(route.hostnames) or 'all hosts'} redirect "
                                                     "requests with X-Forwarded-Proto: http",
                     example=f"GET http://{host or 'host'}/ without X-Forwarded-Proto was redirected, now reaches the backend")


def _redirect_route(route: Route, parent: GatewayParent) -> Route:
    """One catch-all rule: ingress-nginx redirects every path of the host, matched or not."""
    rules = [Rule([], [Redirect(scheme="https", status=HTTP_REDIRECT_CODE)])]
    origin = Origin(route.origin.source, ["HTTP -> HTTPS (ingress-nginx ssl-redirect)"])
    return Route("HTTPRoute", route.namespace, f"{route.name}-https-redirect", list(route.hostnames), [parent], rules,
                 labels=dict(route.labels), origin=origin)


def _forwarded_proto_redirects(route: Route) -> None:
    out = []
    for rule in route.rules:
        matches = [replace(m, headers=m.headers + (HeaderMatch("X-Forwarded-Proto", "http"),)) for m in rule.matches]
        out.append(Rule(matches, [Redirect(scheme="https", status=HTTP_REDIRECT_CODE)]))
        out.append(rule)
    route.rules[:] = out


def app_root(h: Handle, names: list[str]) -> None:
    value = h.get("app-root") or ""
    if not value.startswith("/"):
        h.invalid("app-root", value, "a path starting with /", "no redirect")
        return
    h.converted("app-root")
    for route in h.routes:
        if route.kind == "HTTPRoute" and not route.name.endswith("-https-redirect"):
            route.rules.insert(0, Rule([Match(PathMatch("Exact", "/"))], [Redirect(path=("ReplaceFullPath", value), status=302)]))


def _code(h: Handle, name: str, default: int, high: int) -> int | None:
    """The status code; None when malformed (ingress-nginx then drops this Ingress's redirects)."""
    value = h.get(name) or ""
    if not value.lstrip("-").isdigit():
        h.ctx.input_error(h.obj, h.path(name), f"value {value!r} is not a whole number; ingress-nginx then drops "
                                               "every redirect of this Ingress, and so does the conversion")
        return None
    code = int(value)
    if not 300 <= code <= high:
        h.report("NGX123", name, f"{code} is outside 300-{high}; ingress-nginx used {default}, and so does the route")
        return default
    if code not in GATEWAY_CODES:
        h.report("NGX123", name, f"{code} cannot be sent by a Gateway API redirect; {default} is used")
        return default
    h.converted(name)
    return code


def url_redirect(h: Handle, names: list[str]) -> None:
    temporal, permanent = h.get("temporal-redirect"), h.get("permanent-redirect")
    if not temporal and not permanent:
        for name in names:
            h.report("NGX122", name, "no temporal-redirect or permanent-redirect to apply it to")
        return
    if temporal and permanent:
        h.report("NGX125", "permanent-redirect", "temporal-redirect applies instead")
        if h.has("permanent-redirect-code"):
            h.report("NGX125", "permanent-redirect-code", "temporal-redirect applies instead")
    if temporal:
        name, code = "temporal-redirect", _code(h, "temporal-redirect-code", 302, 307) if h.has("temporal-redirect-code") else 302
    else:
        name, code = "permanent-redirect", _code(h, "permanent-redirect-code", 301, 308) if h.has("permanent-redirect-code") else 301
    if not temporal and h.has("temporal-redirect-code"):
        h.report("NGX122", "temporal-redirect-code", "no temporal-redirect to apply it to")
    if code is None:
        h.converted(name)
        return
    redirect = _parse_url(h, name, (temporal or permanent or "").strip(), code)
    if redirect is None:
        return
    for route in h.routes:
        if route.kind != "HTTPRoute" or route.name.endswith("-https-redirect"):
            continue
        for rule in route.rules:
            if rule.backends:  # a rule that already redirects (app-root, server level) answers first
                rule.backends, rule.filters = [], [redirect]
    for other in MOOT_UNDER_REDIRECT:
        if h.has(other):
            h.report("NGX128", other, f"no effect: {h.prefix}{name} answers every request first")


def _parse_url(h: Handle, name: str, url: str, code: int) -> Redirect | None:
    keep_path = url.endswith(("$request_uri", "$uri"))
    static = url.removesuffix("$request_uri").removesuffix("$uri")
    parts = urlsplit(static.split("$")[0])
    if parts.scheme not in ("http", "https", "") or (parts.scheme and not parts.hostname):
        h.invalid(name, url, "an http(s) URL", "no redirect")
        return None
    lost = []
    if "$" in static:
        lost.append("nginx variables")
    if parts.query:
        lost.append("the query string")
    path = None if keep_path or "$" in static else ("ReplaceFullPath", parts.path or "/")
    redirect = Redirect(scheme=parts.scheme or None, hostname=parts.hostname, port=parts.port, path=path, status=code)
    if lost:
        h.report("NGX124", name, f"{' and '.join(lost)} in {url!r} cannot be expressed; the redirect keeps the request's "
                                 "own path and query" if path is None else f"{' and '.join(lost)} in {url!r} dropped")
    else:
        h.converted(name)
    return redirect


def from_to_www_redirect(h: Handle, names: list[str]) -> None:
    if not h.flag("from-to-www-redirect", False):
        h.converted(*names)
        return
    h.converted(*names)
    for rule in h.view.rules:
        host = rule.host
        if not host or host.startswith("*."):
            continue
        other = host[4:] if host.startswith("www.") else f"www.{host}"
        if other in h.conv.all_hosts:
            h.report("NGX126", "from-to-www-redirect", f"{other} has an Ingress of its own; no redirect to {host}")
            continue
        parent = GatewayParent(h.gateway.namespace, h.gateway.name)
        origin = Origin(h.obj.source(), [f"{other} -> {host} (ingress-nginx from-to-www-redirect)"])
        h.routes.append(Route("HTTPRoute", h.obj.namespace, f"{h.obj.name}-{host_slug(other)}-redirect", [other], [parent],
                              [Rule([], [Redirect(hostname=host, status=HTTP_REDIRECT_CODE)])], origin=origin))
        covered = any(l.protocol == "HTTPS" and (l.hostname is None or host_matches(l.hostname, other))
                      for l in h.gateway.listeners)
        if _tls(h.conv, h.obj, host) and not covered:
            h.report("NGX127", "from-to-www-redirect", f"https://{other} has no listener with a certificate for it")
