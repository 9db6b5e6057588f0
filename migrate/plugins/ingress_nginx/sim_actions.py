"""What a matched location does with a request: URL redirects, the HTTPS redirect,
access controls, canary choice, rewrite-target, upstream-vhost and mirroring.

These are the per-location phases 5-9 of :mod:`.simulator`'s model, apart from
selecting the server and location (:mod:`.sim_servers`): each reads only the location's
annotations and the request.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from migrate.plugins.ingress_nginx.sim_model import (
    HTTP_REDIRECT_CODE, NO_ANNOTATIONS, Location, Upstream, absolute_url, compile_pcre, expand, redirect_config,
)
from migrate.semantics.request import Outcome, Request, strip_port

NO_TLS_REDIRECT_LOCATIONS = ("/.well-known/acme-challenge",)  # ConfigMap no-tls-redirect-locations
REDIRECT_WITH_LOCATION = (301, 302, 303, 307, 308)
_SERVICE_URL_HOST = re.compile(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?$")


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


class LocationActions:
    """Part of :class:`~.simulator.NginxSimulator`: a location's phases, in nginx's order."""

    upstreams: dict[tuple, Upstream]

    def _url_redirect(self, loc: Location, variables: dict[str, str]) -> Outcome | None:
        """temporal-redirect, then permanent-redirect: ``return <code> <URL>``."""
        config = redirect_config(loc.rewrite) if loc.rewrite is not None else None
        if config is None or not config[0]:
            return None
        name, url, code = config
        target, unknown = expand(url, variables)
        notes = tuple(f"nginx variable {v} not simulated" for v in unknown)
        if code in REDIRECT_WITH_LOCATION:
            return Outcome(code, location=absolute_url(target), rule=f"{loc.source} ({name})", notes=notes)
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
        return Outcome(HTTP_REDIRECT_CODE, location=absolute_url(f"https://{host}{port}{uri}"), rule=f"{loc.source} (ssl-redirect)")

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
                    compiled = compile_pcre(pattern, 0)
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
                return Outcome(302, location=absolute_url(path + query), rule=f"{loc.source} (rewrite-target)",
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
        compiled = compile_pcre(loc.path)
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
