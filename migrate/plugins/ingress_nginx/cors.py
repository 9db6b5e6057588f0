"""enable-cors and cors-*: the HTTPRoute CORS filter, nginx's defaults written out.

Gateway API's CORS defaults differ from nginx's (no credentials, maxAge 5 s, no
methods or headers), so every field is written explicitly from the annotation or,
when absent, from nginx's default. Values are checked as ingress-nginx checks them,
and against the CRD (origins, the method enum, maxAge >= 1).
"""

from __future__ import annotations

import re

from migrate.findings import spec
from migrate.ir import Cors
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import (
    ignored_by_passthrough, moot_under_redirect, proxied_rules, split_list, url_redirect,
)

FINDINGS = (
    spec("NGX300", "info", "converted", "CORS converted to the CORS filter",
         "enable-cors becomes the HTTPRoute CORS filter (extended feature HTTPRouteCORS, standard channel since "
         "v1.5) on every rule of the Ingress, with nginx's defaults written out for every field not set by a cors-* "
         "annotation (Gateway API's own defaults differ: no credentials, maxAge 5 s). The implementation now "
         "answers preflight requests; header details of its answers may differ from nginx's 204."),
    spec("NGX301", "warning", "converted-with-change", "Wildcard CORS origin now matches any depth",
         "In cors-allow-origin, nginx's `*.` stood for exactly one DNS label; in Gateway API's allowOrigins the `*` "
         "matches any number of labels, so deeper subdomains are now allowed too."),
    spec("NGX302", "info", "converted", "CORS setting without effect, as in nginx",
         "cors-* annotations only act with enable-cors: \"true\"; without it nginx added no CORS headers, and the "
         "output adds none either."),
    spec("NGX303", "warning", "converted-with-change", "CORS value adjusted to what Gateway API accepts",
         "A value nginx sent as written has no Gateway API equivalent (a method outside the CRD's list, a max-age "
         "below 1); the message says what was written instead and what browsers now do differently."),
)

SWITCH = "enable-cors"
DEFAULT_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
DEFAULT_HEADERS = ("DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,"
                   "Authorization")
DEFAULT_MAX_AGE = 1728000
#: the CRD's method enum (without "*", which ingress-nginx does not accept)
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
#: the CRD's origin pattern
_ORIGIN = re.compile(r"^(https?)://(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:(?P<port>[0-9]{1,5}))?)$")
#: ingress-nginx's checks (annotations/cors)
_METHODS_RE = re.compile(r"^([A-Za-z]+,?\s?)+$")
_HEADERS_RE = re.compile(r"^([A-Za-z0-9\-_]+,?\s?)+$")
_EXPOSE_RE = re.compile(r"^(([A-Za-z0-9\-_]+|\*),?\s?)+$")
INT32_MAX = 2**31 - 1


def cors(h: Handle, names: list[str]) -> None:
    redirect = url_redirect(h)
    if redirect is not None:
        for name in moot_under_redirect(h, names):
            h.report("NGX302", name, f"no effect: {h.prefix}{redirect} answers every request before nginx adds "
                                     "CORS headers; nothing to convert.")
        return
    if ignored_by_passthrough(h, names):
        return
    on = h.flag(SWITCH, False)
    if not on:
        for name in names:
            if h.is_accounted(name):
                continue
            if name == SWITCH:
                h.report("NGX302", name, "false: nginx added no CORS headers, and neither does the Gateway; nothing "
                                         "to convert.")
            else:
                h.report("NGX302", name, f"has no effect without {h.prefix}{SWITCH}: \"true\"; nothing to convert.")
        return
    notes: dict[str, tuple[str, str, str]] = {}  # name -> (code, message, example)
    origins = _origins(h, notes)
    methods = _methods(h, notes)
    headers = _headers(h, "cors-allow-headers", DEFAULT_HEADERS, _HEADERS_RE)
    expose = _headers(h, "cors-expose-headers", "", _EXPOSE_RE)
    credentials = h.flag("cors-allow-credentials", True)
    max_age = _max_age(h, notes)
    filter_ = Cors(tuple(origins), tuple(methods), tuple(headers), tuple(expose), credentials, max_age)
    rules, grpc = 0, set()
    for route, rule in proxied_rules(h):
        if route.kind == "GRPCRoute":
            grpc.add(f"{route.namespace}/{route.name}")
            continue
        rule.filters = [f for f in rule.filters if not isinstance(f, Cors)] + [filter_]
        rules += 1
    fields = {
        SWITCH: f"CORS filter on {rules} rule(s): allowOrigins {', '.join(origins)}; allowMethods "
                f"{', '.join(methods)}; allowHeaders {', '.join(headers)}; "
                f"exposeHeaders {', '.join(expose) or '(none)'}; allowCredentials {str(credentials).lower()}; "
                f"maxAge {max_age} (nginx's defaults written out where no cors-* annotation set them).",
        "cors-allow-origin": f"allowOrigins {', '.join(origins)}.",
        "cors-allow-methods": f"allowMethods {', '.join(methods)}.",
        "cors-allow-headers": f"allowHeaders {', '.join(headers)}.",
        "cors-expose-headers": f"exposeHeaders {', '.join(expose) or '(none)'}.",
        "cors-allow-credentials": ("allowCredentials true, written explicitly (Gateway API's default would omit "
                                   "the header)." if credentials else
                                   "allowCredentials false: browsers send no credentials cross-origin, as with nginx."),
        "cors-max-age": f"maxAge {max_age}, written explicitly (Gateway API's default is 5 s).",
    }
    for name in names:
        if h.is_accounted(name):
            continue
        if grpc:
            h.report("NGX204", name, f"not carried over to GRPCRoute {', '.join(sorted(grpc))}: GRPCRoute has no "
                                     "CORS filter.")
            if not rules:
                continue
        if name in notes:
            code, message, example = notes[name]
            h.report(code, name, message, example=example)
        else:
            h.report("NGX300", name, fields.get(name, "converted."))


def _origins(h: Handle, notes: dict) -> list[str]:
    name = "cors-allow-origin"
    value = h.get(name)
    if value is None:
        return ["*"]
    origins: list[str] = []
    for item in split_list(value):
        if item == "*":
            return ["*"]  # ingress-nginx: "*" anywhere allows every origin
        match = _ORIGIN.match(item)
        port = match.group("port") if match else None
        if not match or match.group(3) == "*" or (port is not None and not 1 <= int(port) <= 65535):
            h.invalid(name, item, "an origin (*, or scheme://host[:port] with an optional leading *. label)",
                      "the other origins")
            continue
        origin = item.lower()
        if origin not in origins:
            origins.append(origin)
    if not origins:
        return ["*"]
    wild = [o for o in origins if "://*." in o]
    if wild:
        deeper = wild[0].replace("://*.", "://a.b.", 1)
        notes[name] = ("NGX301", f"allowOrigins {', '.join(origins)}: nginx's {', '.join(wild)} allowed exactly one "
                                 "label in place of the *, Gateway API's allows any number.",
                       f"a request with Origin: {deeper} is now allowed")
    return origins


def _methods(h: Handle, notes: dict) -> list[str]:
    name = "cors-allow-methods"
    value = h.get(name)
    if value is not None and not _METHODS_RE.match(value):
        value = h.invalid(name, value, "a comma-separated list of HTTP methods", DEFAULT_METHODS)
    methods: list[str] = []
    dropped: list[str] = []
    for item in split_list(value or DEFAULT_METHODS):
        method = item.upper()
        if method not in METHODS:
            dropped.append(item)
        elif method not in methods:
            methods.append(method)
    if dropped:
        kept = methods or ["GET", "HEAD", "POST"]
        notes[name] = ("NGX303", f"allowMethods {', '.join(kept)}: {', '.join(dropped)} left out (not an HTTP method "
                                 "Gateway API's CORS filter accepts).",
                       f"a preflight for {dropped[0].upper()} is now refused by the browser")
        methods = kept
    return methods


def _headers(h: Handle, name: str, default: str, pattern: re.Pattern) -> list[str]:
    value = h.get(name)
    if value is not None and value.strip() and not pattern.match(value):
        value = h.invalid(name, value, "a comma-separated list of header names", default or "none")
    out: list[str] = []
    for item in split_list(value if value and value.strip() else default):
        if item.lower() not in (o.lower() for o in out):
            out.append(item)
    return out


def _max_age(h: Handle, notes: dict) -> int:
    name = "cors-max-age"
    value = h.number(name, DEFAULT_MAX_AGE, low=-INT32_MAX, high=INT32_MAX)
    if value < 1:
        notes[name] = ("NGX303", f"maxAge 1: nginx sent Access-Control-Max-Age: {value} (no caching), which Gateway "
                                 "API cannot express (minimum 1).",
                       "browsers now reuse a preflight answer for 1 s instead of asking every time")
        return 1
    return value
