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
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from migrate.plugins.ingress.parse import BackendSpec
from migrate.semantics.ingress import IngressObject, IngressSimulator
from migrate.semantics.request import creation_time
from migrate.semantics.request import Outcome, Request, strip_port

DEFAULT_PREFIX = "nginx.ingress.kubernetes.io/"
CATCH_ALL = "_"
HTTP_REDIRECT_CODE = 308  # ConfigMap http-redirect-code
NO_TLS_REDIRECT_LOCATIONS = ("/.well-known/acme-challenge",)  # ConfigMap no-tls-redirect-locations
REDIRECT_WITH_LOCATION = (301, 302, 303, 307, 308)
ALIASES = {"allowlist-source-range": ("whitelist-source-range",), "limit-allowlist": ("limit-whitelist",)}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")  # Go strconv.ParseBool
_FALSE = ("0", "f", "F", "FALSE", "false", "False")
_INT = re.compile(r"^[+-]?\d+$")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_SERVICE_URL_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$")


class Annotations:
    """One Ingress's ingress-nginx annotations (prefix stripped), read as the controller parses them."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, name: str) -> str | None:
        for key in (name, *ALIASES.get(name, ())):
            if key in self.values:
                return self.values[key].strip()
        return None

    def text(self, name: str) -> str:
        return self.get(name) or ""

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        return default  # absent or not a Go bool: the parser's default

    def number(self, name: str) -> int | None:
        """The value as a Go int, or None when absent or malformed."""
        value = self.get(name)
        return int(value) if value is not None and _INT.match(value) else None


NO_ANNOTATIONS = Annotations()


@dataclass
class Location:
    """One nginx location of a server."""

    path: str
    path_type: str  # "Exact" or "Prefix"
    ing: IngressObject | None  # whose annotations apply (None: the controller's defaults)
    ann: Annotations
    #: the location's Rewrite/Redirect annotations; None where the controller leaves them unset
    rewrite: Annotations | None
    backend: str | None  # "ns/svc:port"; None: the controller's default backend (404)
    upstream: tuple | None  # canary merging works on upstreams
    source: str  # a pointer for Outcome.rule
    is_default: bool = False
    ingress_path: str = ""  # the path as written in the Ingress (for rewrite-target)
    exact_copy: bool = False  # the "= /p" location added for a Prefix "/p"

    def rw(self, name: str) -> str | None:
        return self.rewrite.get(name) if self.rewrite is not None else None

    def rw_flag(self, name: str, default: bool) -> bool:
        if self.rewrite is None:
            return False
        return self.rewrite.flag(name, default)

    @property
    def rewrite_target(self) -> str:
        return self.rw("rewrite-target") or ""

    @property
    def needs_rewrite(self) -> bool:
        return bool(self.rewrite_target) and self.rewrite_target != self.path

    @property
    def use_regex(self) -> bool:
        return self.rw_flag("use-regex", False)


@dataclass
class Server:
    hostname: str
    locations: list[Location]
    creator: IngressObject | None = None
    creator_ann: Annotations = field(default_factory=Annotations)
    aliases: list[str] = field(default_factory=list)
    has_cert: bool = False
    from_to_www: IngressObject | None = None  # the first Ingress asking for the www redirect
    auth_tls: Annotations | None = None
    auth_tls_ing: IngressObject | None = None
    regex: bool = False


@dataclass
class Upstream:
    key: tuple
    canary_policy: Annotations | None  # set when a canary Ingress created it (NoServer)
    alternatives: list[tuple] = field(default_factory=list)
    ref: str = ""


@lru_cache(maxsize=1024)
def _compile(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
    """A PCRE pattern in Python's dialect (named groups renamed); None if Python cannot compile it."""
    try:
        return re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern), flags)
    except re.error:
        return None


def expand(text: str, variables: dict[str, str], groups: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """Expand nginx ``$var``/``${var}`` and ``$1..$9``; unknown variables stay as written (and are listed)."""
    unknown: list[str] = []

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name.isdigit():
            n = int(name)
            return groups[n - 1] if 0 < n <= len(groups) else ""
        if name in variables:
            return variables[name]
        unknown.append(m.group(0))
        return m.group(0)

    return _VARIABLE.sub(one, text), unknown


def _absolute(url: str) -> str:
    """``https://host`` -> ``https://host/`` (the same URI, RFC 3986 6.2.3)."""
    parts = urlsplit(url)
    head = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme and parts.netloc and not parts.path and url.startswith(head):
        return head + "/" + url[len(head):]
    return url


def redirect_config(ann: Annotations) -> tuple[str, str, int] | None:
    """The controller's redirect parser: (annotation, URL, code); ("", "", 0) for from-to-www
    alone; None when there is nothing, or when a malformed value makes the parser fail (which
    drops every redirect of the Ingress, from-to-www-redirect included)."""
    www = ann.get("from-to-www-redirect")
    if www is not None and www not in _TRUE + _FALSE:
        return None
    for name, code_name, default, high in (("temporal-redirect", "temporal-redirect-code", 302, 307),
                                           ("permanent-redirect", "permanent-redirect-code", 301, 308)):
        if ann.get(code_name) is not None and ann.number(code_name) is None:
            return None
        url = ann.text(name)
        if not url:
            continue
        if not urlsplit(url).scheme.startswith("http"):
            return None
        code = ann.number(code_name)
        return name, url, code if code is not None and 300 <= code <= high else default
    return ("", "", 0) if ann.flag("from-to-www-redirect", False) else None


def _cookie(request: Request, name: str) -> str | None:
    for header in (v for k, v in request.headers if k.lower() == "cookie"):
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if sep and key == name:
                return value
    return None


def mirror_ref(url: str) -> str:
    """A mirror-target URL as a backend when it names a Service (``svc.ns.svc[.cluster.local]``)."""
    parts = urlsplit(url.split("$")[0])
    m = _SERVICE_URL_HOST.match(parts.hostname or "")
    if m:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{m.group(2)}/{m.group(1)}:{port}"
    return url


class NginxSimulator(IngressSimulator):
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

    # -- building the configuration ---------------------------------------------------

    def _annotations(self, ing: IngressObject) -> Annotations:
        return Annotations({k[len(self.prefix):]: v for k, v in ing.annotations.items() if k.startswith(self.prefix)})

    def _upstream_key(self, ing: IngressObject, spec: BackendSpec) -> tuple | None:
        if spec.service is None:
            return None
        return (ing.namespace, spec.service, spec.port_number if spec.port_number is not None else spec.port_name)

    def _create_upstreams(self) -> None:
        for ing in self.ingresses:
            canary = self.ann[id(ing)] if id(ing) in self._canary_ids else None
            specs = [ing.view.default_backend] if ing.view.default_backend is not None else []
            specs += [p.backend for r in ing.view.rules for p in r.paths]
            for spec in specs:
                key = self._upstream_key(ing, spec)
                if key is not None and key not in self.upstreams:
                    self.upstreams[key] = Upstream(key, canary, ref=self.backend_ref(ing, spec))

    def _create_servers(self) -> None:
        root = Location("/", "Prefix", None, NO_ANNOTATIONS, None, None, None, "(controller default backend)",
                        is_default=True, ingress_path="/")
        self.servers[CATCH_ALL] = Server(CATCH_ALL, [root], has_cert=True)
        for ing in self.mains:
            ann = self.ann[id(ing)]
            default_ref, default_key, default_source = None, None, "(controller default backend)"
            spec = ing.view.default_backend
            if spec is not None and spec.service is not None:
                default_ref, default_key = self.backend_ref(ing, spec), self._upstream_key(ing, spec)
                default_source = ing.pointer(spec.path)
                catch_all = self.servers[CATCH_ALL].locations[0]
                if catch_all.is_default and not ing.view.rules:
                    # the catch-all: its annotations apply, but not its redirects and rewrites
                    self.servers[CATCH_ALL].locations[0] = Location(
                        "/", "Prefix", ing, ann, None, default_ref, default_key, default_source, ingress_path="/")
            for rule in ing.view.rules:
                host = (rule.host or CATCH_ALL).lower()
                if host in self.servers:
                    continue
                source = default_source if default_ref else f"Ingress {ing.ident} (root location of {host})"
                loc = Location("/", "Prefix", ing, ann, ann, default_ref, default_key, source,
                               is_default=True, ingress_path="/")
                self.servers[host] = Server(host, [loc], creator=ing, creator_ann=ann)
        for ing in self.mains:
            ann = self.ann[id(ing)]
            for rule in ing.view.rules:
                server = self.servers[(rule.host or CATCH_ALL).lower()]
                if not server.aliases and ann.text("server-alias"):
                    server.aliases = [a.strip().lower() for a in ann.text("server-alias").split(",") if a.strip()]
                if not server.has_cert and ing.view.tls:
                    server.has_cert = True
        hostnames = set(self.servers)
        for server in self.servers.values():
            server.aliases = sorted({a for a in server.aliases if a != server.hostname and a not in hostnames})

    def _add_locations(self) -> None:
        for ing in self.ingresses:
            ann = self.ann[id(ing)]
            www = redirect_config(ann) is not None and ann.flag("from-to-www-redirect", False)
            for rule in ing.view.rules:
                server = self.servers.get((rule.host or CATCH_ALL).lower()) or self.servers[CATCH_ALL]
                if id(ing) not in self._canary_ids and server.auth_tls is None and ann.get("auth-tls-secret"):
                    server.auth_tls, server.auth_tls_ing = ann, ing
                for path in rule.paths:
                    key = self._upstream_key(ing, path.backend)
                    if key is None:  # resource backend: nginx skips it (the default backend answers)
                        continue
                    if self.upstreams[key].canary_policy is not None:
                        continue  # the upstream belongs to a canary (NoServer)
                    ptype = "Exact" if path.type == "Exact" else "Prefix"
                    nginx_path = path.value or "/"
                    new = Location(nginx_path, ptype, ing, ann, ann, self.backend_ref(ing, path.backend), key,
                                   ing.pointer(path.path), ingress_path=nginx_path)
                    add = True
                    for i, loc in enumerate(server.locations):
                        if loc.path != nginx_path:
                            continue
                        if loc.path_type != ptype:
                            break
                        add = False
                        if loc.is_default:
                            server.locations[i] = new
                            server.from_to_www = server.from_to_www or (ing if www else None)
                        break
                    if add:
                        server.locations.append(new)
                        server.from_to_www = server.from_to_www or (ing if www else None)

    def _merge_canary(self, ing: IngressObject) -> None:
        def merge(alt: tuple, locations: list[Location], path: str | None, ptype: str | None) -> None:
            for loc in locations:
                if loc.upstream is None:
                    continue
                if loc.upstream == alt:
                    break
                primary = self.upstreams.get(loc.upstream)
                if primary is None or primary.canary_policy is not None:
                    continue
                if path is not None and (loc.path != path or loc.path_type != ptype):
                    continue
                if alt not in primary.alternatives:
                    primary.alternatives.append(alt)

        spec = ing.view.default_backend
        if spec is not None and spec.service is not None:
            merge(self._upstream_key(ing, spec), self.servers[CATCH_ALL].locations, None, None)  # type: ignore[arg-type]
        for rule in ing.view.rules:
            server = self.servers.get((rule.host or CATCH_ALL).lower())
            if server is None:
                continue
            for path in rule.paths:
                alt = self._upstream_key(ing, path.backend)
                if alt is not None:
                    merge(alt, server.locations, path.value or "/", "Exact" if path.type == "Exact" else "Prefix")

    def _finish(self, server: Server) -> None:
        """Sort locations as the controller does, add the exact copies of prefixes, decide regex mode."""
        locs = sorted(server.locations, key=lambda loc: loc.path, reverse=True)
        locs.sort(key=lambda loc: len(loc.path), reverse=True)
        exact = {loc.path for loc in locs if loc.path_type == "Exact"}
        out: list[Location] = []
        for loc in locs:
            if loc.path == "/" or loc.path_type != "Prefix" or loc.needs_rewrite or loc.use_regex:
                out.append(loc)
                continue
            normalised = loc.path if loc.path.endswith("/") else loc.path + "/"
            if loc.path in exact:
                loc.path = normalised
                out.append(loc)
                continue
            copy = Location(loc.path, "Exact", loc.ing, loc.ann, loc.rewrite, loc.backend, loc.upstream, loc.source,
                            loc.is_default, loc.ingress_path, exact_copy=True)
            loc.path = normalised
            out += [loc, copy]
        server.locations = out
        server.regex = any(loc.needs_rewrite or loc.use_regex for loc in out)

    def _build_redirects(self) -> None:
        done: set[str] = set()
        for name in sorted(self.servers):
            server = self.servers[name]
            if server.from_to_www is None or name == CATCH_ALL or name.startswith("*"):
                continue
            other = name[4:] if name.startswith("www.") else f"www.{name}"
            if name in done or other in self.servers:
                continue
            self.redirect_servers[other] = (name, server)
            done.add(name)

    # -- serving a request ------------------------------------------------------------

    def has_certificate(self, host: str) -> bool:
        """Whether ingress-nginx has a certificate for ``host`` (what the HTTPS redirect checks)."""

        def lookup(name: str) -> bool:
            server = self.servers.get(name)
            if server is not None and name != CATCH_ALL:
                return server.has_cert
            for candidate in self.servers.values():
                if name in candidate.aliases:
                    return candidate.has_cert
            if name in self.redirect_servers:
                return self.redirect_servers[name][1].has_cert
            return False

        if lookup(host):
            return True
        label, dot, rest = host.partition(".")
        return bool(dot) and lookup(f"*.{rest}")

    def server_for(self, host: str) -> Server:
        if host in self.servers and host != CATCH_ALL:
            return self.servers[host]
        for server in self.servers.values():
            if host in server.aliases:
                return server
        for name in sorted(self.servers):
            if name.startswith("*.") and re.fullmatch(r"[\w-]+\." + re.escape(name[2:]), host):
                return self.servers[name]
        return self.servers[CATCH_ALL]

    def location_for(self, server: Server, path: str) -> Location | None:
        if server.regex:
            for loc in server.locations:
                compiled = _compile("^" + loc.path)
                if compiled is not None and compiled.search(path):
                    return loc
            return None
        for loc in server.locations:
            if loc.path_type == "Exact" and loc.path == path:
                return loc
        best: Location | None = None
        for loc in server.locations:
            if loc.path_type != "Exact" and path.startswith(loc.path) and (best is None or len(loc.path) > len(best.path)):
                best = loc
        return best

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
            return Outcome(HTTP_REDIRECT_CODE, location=_absolute(f"{request.scheme}://{to}{uri}"),
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

    def _url_redirect(self, loc: Location, variables: dict[str, str]) -> Outcome | None:
        """temporal-redirect, then permanent-redirect: ``return <code> <URL>``."""
        config = redirect_config(loc.rewrite) if loc.rewrite is not None else None
        if config is None or not config[0]:
            return None
        name, url, code = config
        target, unknown = expand(url, variables)
        notes = tuple(f"nginx variable {v} not simulated" for v in unknown)
        if code in REDIRECT_WITH_LOCATION:
            return Outcome(code, location=_absolute(target), rule=f"{loc.source} ({name})", notes=notes)
        return Outcome(code, rule=f"{loc.source} ({name})",
                       notes=notes + (f"nginx 'return {code}' sends {target} as the body, no Location header",))

    def _ssl_redirect(self, loc: Location, request: Request) -> Outcome | None:
        if any(loc.path.startswith(p) for p in NO_TLS_REDIRECT_LOCATIONS):
            return None
        scheme = self._scheme(request)
        if scheme != "http":
            return None
        if not loc.rw_flag("force-ssl-redirect", False):
            if not (loc.rw_flag("ssl-redirect", True) and self.has_certificate(request.hostname)):
                return None
        uri = request.target
        if not loc.rw_flag("preserve-trailing-slash", False) and uri.endswith("/"):
            uri = uri[:-1]
        host = strip_port(self._best_host(request))
        port = ":443" if loc.ann.flag("use-port-in-redirects", False) else ""
        return Outcome(HTTP_REDIRECT_CODE, location=_absolute(f"https://{host}{port}{uri}"), rule=f"{loc.source} (ssl-redirect)")

    def _access(self, loc: Location, request: Request) -> Outcome | None:
        ann = loc.ann
        if ann.text("allowlist-source-range"):
            return Outcome(403, rule=f"{loc.source} (allowlist-source-range)",
                           notes=("the probe is taken to come from outside the allowed ranges",))
        auth_type = ann.text("auth-type").lower()
        if auth_type:
            if auth_type not in ("basic", "digest") or not ann.text("auth-secret"):
                return Outcome(503, rule=f"{loc.source} (auth-type)", notes=("location denied: invalid authentication",))
            return Outcome(401, rule=f"{loc.source} (auth-type)", notes=(f"{auth_type} authentication; the probe sends no credentials",))
        auth_url = ann.text("auth-url")
        if auth_url and urlsplit(auth_url).scheme in ("http", "https"):
            signin = ann.text("auth-signin")
            if signin:
                param = ann.text("auth-signin-redirect-param") or "rd"
                sep = "&" if "?" in signin else "?"
                original = quote(f"{request.scheme}://{request.host}{request.target}", safe="")
                return Outcome(302, location=f"{signin}{sep}{param}={original}", rule=f"{loc.source} (auth-url)",
                               notes=("external authentication refused the probe; auth-signin redirects",))
            return Outcome(401, rule=f"{loc.source} (auth-url)", notes=("external authentication refuses the probe (no credentials)",))
        return None

    def _backends(self, loc: Location, request: Request) -> tuple[tuple[tuple[str, int], ...], list[str]]:
        main = loc.backend or ""
        upstream = self.upstreams.get(loc.upstream) if loc.upstream is not None else None
        if upstream is None or not upstream.alternatives:
            return ((main, 1),), []
        alt = self.upstreams[upstream.alternatives[0]]
        policy = alt.canary_policy or NO_ANNOTATIONS
        canary = alt.ref
        header = policy.text("canary-by-header")
        if header:
            value = request.header(header)
            if value is not None:
                wanted, pattern = policy.text("canary-by-header-value"), policy.text("canary-by-header-pattern")
                if wanted:
                    if value == wanted:
                        return ((canary, 1),), [f"canary by header {header}: {value}"]
                elif pattern:
                    compiled = _compile(pattern, 0)
                    if compiled is not None and compiled.search(value):
                        return ((canary, 1),), [f"canary by header {header} matching {pattern!r}"]
                elif value == "always":
                    return ((canary, 1),), [f"canary by header {header}: always"]
                elif value == "never":
                    return ((main, 1),), [f"canary refused by header {header}: never"]
        cookie = policy.text("canary-by-cookie")
        if cookie:
            value = _cookie(request, cookie)
            if value == "always":
                return ((canary, 1),), [f"canary by cookie {cookie}=always"]
            if value == "never":
                return ((main, 1),), [f"canary refused by cookie {cookie}=never"]
        weight = max(policy.number("canary-weight") or 0, 0)
        total = policy.number("canary-weight-total")
        total = total if total is not None and total > 100 else 100
        if weight <= 0:
            return ((main, 1),), []
        if weight >= total:
            return ((canary, 1),), [f"canary weight {weight} of {total}"]
        return ((main, total - weight), (canary, weight)), [f"canary weight {weight} of {total}"]

    def _forward(self, loc: Location, request: Request, variables: dict[str, str], notes: list[str]) -> Outcome:
        backends, extra = self._backends(loc, request)
        notes = notes + extra
        path, query = request.path, request.target[len(request.path):]
        headers_set: list[tuple[str, str]] = []
        if loc.needs_rewrite:
            path, query = self._rewrite(loc, request, variables, notes)
            if path.startswith(("http://", "https://")):  # nginx: a rewrite to a URL is a 302 redirect
                return Outcome(302, location=_absolute(path + query), rule=f"{loc.source} (rewrite-target)",
                               notes=tuple(notes))
            prefix = loc.ann.text("x-forwarded-prefix")
            if prefix:
                headers_set.append(("X-Forwarded-Prefix", prefix))
        host = request.host
        vhost = loc.ann.text("upstream-vhost")
        if vhost:
            host, unknown = expand(vhost, variables)
            notes += [f"nginx variable {v} not simulated" for v in unknown]
        mirrors: tuple[str, ...] = ()
        target = loc.ann.text("mirror-target")
        if target:
            mirrors = (mirror_ref(target),)
        if loc.ann.flag("enable-cors", False):
            notes.append("CORS (preflight and response headers not simulated)")
        return Outcome(200, backends=backends, path=path + query, host=host, headers_set=tuple(headers_set),
                       mirrors=mirrors, rule=loc.source, notes=tuple(notes))

    def _rewrite(self, loc: Location, request: Request, variables: dict[str, str], notes: list[str]) -> tuple[str, str]:
        """``rewrite "(?i)<path>" <target> break;`` on the URI; returns (path, "?query" or "")."""
        query = request.target[len(request.path):]
        compiled = _compile(loc.path)
        m = compiled.search(request.path) if compiled is not None else None
        if m is None:
            return request.path, query
        groups = tuple(g or "" for g in m.groups())
        target, unknown = expand(loc.rewrite_target, variables, groups)
        notes += [f"nginx variable {v} not simulated" for v in unknown]
        new_path, sep, new_args = target.partition("?")
        if not sep:
            return new_path or "/", query
        old_args = query[1:]
        if target.endswith("?"):  # a trailing "?" drops the original arguments
            return new_path or "/", f"?{new_args}" if new_args else ""
        args = "&".join(a for a in (new_args, old_args) if a)
        return new_path or "/", f"?{args}" if args else ""


__all__ = ["Annotations", "Location", "NginxSimulator", "Server", "expand", "mirror_ref"]
