"""What ingress-nginx (controller v1.x, default ConfigMap) does with a request.

This is modelled on the controller's own code, independently of the converter: the
Ingresses become nginx ``server`` blocks with ``location`` blocks the way
``createServers``/``getBackendServers``/``updateServerLocations`` build them, and a
request is run through them the way nginx and the controller's Lua do. Every given
Ingress is taken to be ingress-nginx's (class filtering is the caller's job).

Servers (one per host)
    Selected by the Host header: exact names and ``server-alias`` names first, then
    wildcard hosts (rendered ``~^(?<subdomain>[\\w-]+)\\.example\\.com$``: exactly one
    label), then the catch-all server ``_``. Rules without a host belong to ``_``
    only: unlike the core API they do NOT serve hosts that have rules of their own.
    Each server starts with a root location ``/`` created by the first Ingress with a
    rule for the host, carrying that Ingress's annotations and its
    ``spec.defaultBackend`` (else the controller's default backend, which answers
    404). ``_``'s root goes to the first Ingress that has a ``defaultBackend`` and no
    rules (its redirect and rewrite annotations are not applied), else 404.
    Ingress order: ``metadata.creationTimestamp`` when every Ingress has one, else
    input order; on the same host and path the first Ingress wins.

Locations
    ``ImplementationSpecific`` (and a missing pathType) is ``Prefix``. Without regex
    mode a Prefix ``/p`` is ``location /p/`` plus ``location = /p`` and an Exact ``/p``
    is ``location = /p`` (so a Prefix written ``/p/`` does NOT match ``/p``; that is
    what ingress-nginx renders); nginx takes an exact match, else the longest
    prefix. When any location of the server has ``use-regex: "true"`` or a
    ``rewrite-target`` different from its path, every location of the server is
    ``~* "^<path>"`` (case-insensitive, anchored at the start only), tried in the
    controller's order (longest path first, ties in reverse string order), and the
    first match wins. Paths are matched as sent (no percent-decoding or slash
    merging); PCRE-only regex syntax Python cannot compile never matches.

Per request, in nginx's phase order
    1. ``from-to-www-redirect``: a server for the other name (``www.<h>`` <-> ``<h>``,
       not when that name has an Ingress of its own) answers 308 to the same scheme,
       path and query, one trailing ``/`` stripped from the request URI.
    2. https and ``ssl-passthrough`` (on the Ingress that created the server; the
       controller flag is assumed on): TLS is passed to the backend of the server's
       ``/`` location (Outcome 200 to that backend, with a note: nginx sees no HTTP).
       Plain http is served by the server as usual.
    3. https and ``auth-tls-secret`` with ``auth-tls-verify-client: on`` (the
       default): 400, the probe sends no client certificate (``optional`` and
       ``off`` let it through).
    4. ``app-root`` (a server-level rule): a request for exactly ``/`` gets 302 to
       ``<scheme>://<Host header><app-root>``.
    5. The location's ``temporal-redirect`` (evaluated first) or
       ``permanent-redirect``: ``return <code> <URL>``; codes outside 300-307 /
       300-308 fall back to 302 / 301; nginx variables ($request_uri, $uri, $host,
       $http_host, $scheme, $args, $is_args, $query_string, $server_name) are
       expanded. For 300/304/305/306 nginx sends the URL as the body: no Location.
       A malformed code, or a URL that is not http(s), makes the controller's
       redirect parser fail: no redirect at all (from-to-www-redirect included).
    6. The HTTP->HTTPS redirect (the Lua ``rewrite`` phase): with
       ``force-ssl-redirect`` on any http request, else with ``ssl-redirect``
       (default true) when a certificate is configured for the request's host; 308
       to ``https://<host without port><request URI>``, one trailing ``/`` stripped
       unless ``preserve-trailing-slash``. A host has a certificate when an Ingress
       with a rule for it has a ``tls`` section (ingress-nginx gives hosts missing
       from that section its default certificate, kubernetes/ingress-nginx#3258), or
       through the wildcard ``*.<parent>``; the www-redirect and alias names share
       their server's. Locations whose path starts with
       ``/.well-known/acme-challenge`` are exempt (``no-tls-redirect-locations``).
       The scheme is the request's: ``use-forwarded-headers`` is false by default,
       so X-Forwarded-Proto is ignored; ``NginxSimulator(...,
       use_forwarded_headers=True)`` trusts X-Forwarded-Proto and X-Forwarded-Host.
    7. Access controls, for a probe without credentials from outside every listed
       range: ``allowlist-source-range``/``whitelist-source-range`` 403 (checked
       first), ``auth-type`` basic/digest 401 (503 without ``auth-secret``: the
       location is denied), ``auth-url`` 401, or 302 to ``auth-signin`` with the
       ``rd`` parameter. ``denylist-source-range`` lets the probe through. The
       ConfigMap's global-auth-url is taken to be unset.
    8. The root location without a backend: 404 (controller default backend).
    9. Forward: canary (below), ``rewrite-target`` as ``rewrite "(?i)<path>" <target>
       break`` ($1..$n from the path's groups; the query is kept, or appended after a
       query in the target), ``x-forwarded-prefix`` only with a rewrite,
       ``upstream-vhost`` as the Host the backend sees, ``mirror-target`` as a mirror
       (``http://svc.ns.svc.cluster.local:port/...`` becomes ``ns/svc:port``).
       The rewrite compares the target with the location path after the controller
       added the trailing ``/``, so a target equal to a Prefix path still rewrites;
       a target that is an absolute URL is a 302 redirect (nginx ``rewrite``).

Annotation values are read as the controller parses them: booleans with Go's
``strconv.ParseBool`` (``"yes"``/``"on"`` are not true: the default applies),
integers with ``strconv.Atoi``; aliases (``whitelist-source-range``) count.

Canary
    A canary Ingress creates no location; its backend becomes the alternative of the
    main location's upstream with the same host, path and pathType (the first
    canary per upstream counts, and it applies wherever that upstream is used, as in
    the controller). Header first (``always``/``never``; with ``-value`` only that
    value, with ``-pattern`` a PCRE search, other values fall through), then the
    cookie (``always``/``never``), then ``canary-weight`` out of
    ``canary-weight-total`` (the Lua ignores totals below 100 and uses 100), reported
    as both backends with their weights. Session affinity to the main backend is
    not modelled.

Not modelled (no effect on the Outcome, a note where useful): ``default-backend``
and ``custom-http-errors`` (endpoints are assumed), CORS (an OPTIONS preflight is
routed like any request), rate limits, snippets (``allow-snippet-annotations`` is
false by default), ModSecurity (DetectionOnly by default), timeouts, buffering,
body size, backend protocol, session affinity, ``strict-validate-path-type``
(paths it would reject are still served), the request headers nginx always adds
(X-Forwarded-*, X-Real-IP, X-Request-ID), HSTS and other response headers.
A redirect to an empty path (``https://host`` for ``/``) is written with ``/``:
the two are the same URI (RFC 3986, 6.2.3).

The code follows the same split: this module runs a request through the phases;
:mod:`.sim_servers` builds the servers and locations and selects them,
:mod:`.sim_actions` does what the matched location does (phases 5-9), and
:mod:`.sim_model` holds the annotation reading and nginx mechanics both share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from migrate.plugins.ingress_nginx.sim_actions import LocationActions
from migrate.plugins.ingress_nginx.sim_model import HTTP_REDIRECT_CODE, Annotations, Server, Upstream, absolute_url
from migrate.plugins.ingress_nginx.sim_servers import ServerConfig
from migrate.semantics.ingress import IngressSimulator
from migrate.semantics.request import Outcome, Request, creation_time

DEFAULT_PREFIX = "nginx.ingress.kubernetes.io/"


class NginxSimulator(ServerConfig, LocationActions, IngressSimulator):
    """What ingress-nginx does with a request (see the module docstring for the model)."""

    def __init__(self, objects: Iterable[dict[str, Any]], *, prefix: str = DEFAULT_PREFIX,
                 default_namespace: str = "default", use_forwarded_headers: bool = False) -> None:
        super().__init__(objects, default_namespace=default_namespace)
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.use_forwarded_headers = use_forwarded_headers
        stamps = [creation_time(i.obj) for i in self.ingresses]
        if self.ingresses and all(s is not None for s in stamps):
            order = sorted(range(len(self.ingresses)), key=lambda k: stamps[k].timestamp())  # type: ignore[union-attr]
            self.ingresses = [self.ingresses[k] for k in order]
        self.ann: dict[int, Annotations] = {id(i): self._annotations(i) for i in self.ingresses}
        self._canary_ids = {id(i) for i in self.ingresses if self.ann[id(i)].flag("canary", False)}
        self.canaries = [i for i in self.ingresses if id(i) in self._canary_ids]
        self.mains = [i for i in self.ingresses if id(i) not in self._canary_ids]
        self.upstreams: dict[tuple, Upstream] = {}
        self.servers: dict[str, Server] = {}
        self.redirect_servers: dict[str, tuple[str, Server]] = {}  # from-to-www: from -> (to, server)
        self._create_upstreams()
        self._create_servers()
        self._add_locations()
        if self.mains:
            for ing in self.canaries:
                self._merge_canary(ing)
        for server in self.servers.values():
            self._finish(server)
        self._build_redirects()

    def _scheme(self, request: Request) -> str:
        if self.use_forwarded_headers and request.header("X-Forwarded-Proto"):
            return (request.header("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
        return request.scheme

    def _best_host(self, request: Request) -> str:
        if self.use_forwarded_headers and request.header("X-Forwarded-Host"):
            return (request.header("X-Forwarded-Host") or "").split(",")[0].strip()
        return request.host

    def _variables(self, request: Request, server: Server) -> dict[str, str]:
        raw_query = request.target[len(request.path) + 1:] if "?" in request.target else ""
        return {
            "request_uri": request.target, "uri": request.path, "document_uri": request.path,
            "args": raw_query, "query_string": raw_query, "is_args": "?" if raw_query else "",
            "host": request.hostname, "http_host": request.host, "scheme": request.scheme,
            "server_name": server.hostname, "best_http_host": self._best_host(request),
        }

    def handle(self, request: Request) -> Outcome:
        host = request.hostname
        if host in self.redirect_servers and host not in self.servers:
            to, target = self.redirect_servers[host]
            uri = request.target[:-1] if request.target.endswith("/") else request.target
            return Outcome(HTTP_REDIRECT_CODE, location=absolute_url(f"{request.scheme}://{to}{uri}"),
                           rule=f"Ingress {target.from_to_www.ident} (from-to-www-redirect {host} -> {to})")  # type: ignore[union-attr]
        server = self.server_for(host)
        notes: list[str] = []
        if request.scheme == "https" and server.creator_ann.flag("ssl-passthrough", False):
            root = next((loc for loc in server.locations if loc.path == "/" and loc.path_type == "Prefix"), None)
            if root is not None and root.backend is not None:
                return Outcome(200, backends=((root.backend, 1),), path=request.target, host=request.host,
                               rule=root.source, notes=("ssl-passthrough: the TLS connection goes to the backend "
                                                        "unterminated; nginx applies no HTTP routing",))
            notes.append("ssl-passthrough ignored: the server has no backend for /")
        if request.scheme == "https" and server.auth_tls is not None:
            verify = (server.auth_tls.get("auth-tls-verify-client") or "on").lower()
            if verify == "on":
                who = server.auth_tls_ing.ident if server.auth_tls_ing else "?"
                return Outcome(400, rule=f"Ingress {who} (auth-tls-secret, host {server.hostname})",
                               notes=("client certificate required (auth-tls-verify-client: on); the probe sends none",))
        variables = self._variables(request, server)
        if request.path == "/":
            for loc in server.locations:
                root = loc.rw("app-root")
                if root and root.startswith("/"):
                    return Outcome(302, location=f"{request.scheme}://{request.host}{root}",
                                   rule=f"{loc.source} (app-root)")
        loc = self.location_for(server, request.path)
        if loc is None:
            return Outcome(404, notes=("no location matched",))
        redirect = self._url_redirect(loc, variables)
        if redirect is not None:
            return redirect
        ssl = self._ssl_redirect(loc, request)
        if ssl is not None:
            return ssl
        denied = self._access(loc, request)
        if denied is not None:
            return denied
        if loc.backend is None:
            return Outcome(404, rule=loc.source if loc.ing else None,
                           notes=tuple(notes) + ("no path matched: the controller's default backend answers 404",))
        return self._forward(loc, request, variables, notes)


__all__ = ["NginxSimulator"]
