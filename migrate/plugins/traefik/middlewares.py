"""Middlewares -> rule filters, in order; access controls fail closed.

Each handler takes the Middleware object and the rules of one router and changes
those rules (or returns the names of access controls that could not be carried
over). Findings go on the Middleware object, once, however many routers use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from migrate.ir import (Cors, HeaderChange, Match, PathMatch, Redirect, RequestHeaders, ResponseHeaders, Rewrite,
                        Rule)
from migrate.plugin import SourceObject
from migrate.plugins.traefik.state import Run, as_dict, as_list

Path_ = tuple[Any, ...]
PATH_DEPENDENT = ("addPrefix", "stripPrefix", "replacePathRegex")


@dataclass
class Applied:
    blocks: list[str]


# -- references --------------------------------------------------------------------------


def lookup_annotation_ref(run: Run, ref: str) -> SourceObject | None | str:
    """``<namespace>-<name>@kubernetescrd`` -> the Middleware; ``name@file`` -> the string (cannot resolve)."""
    ref = ref.strip()
    name, _, provider = ref.partition("@")
    if provider and provider != "kubernetescrd":
        return ref
    for obj in run.objects:
        if obj.kind == "Middleware" and f"{obj.namespace}-{obj.name}" == name:
            run.used.add(id(obj))
            return obj
    return None


def expand(run: Run, mw: SourceObject, depth: int = 0) -> list[SourceObject] | None:
    """A middleware, with chains replaced by their members (None when a member is missing)."""
    chain = as_dict(as_dict(mw.data.get("spec")).get("chain"))
    if not chain or depth > 5:
        return [mw]
    out: list[SourceObject] = []
    mw.account(("spec", "chain"))
    for i, ref in enumerate(as_list(chain.get("middlewares"))):
        ref = as_dict(ref)
        member = run.find("Middleware", str(ref.get("namespace") or mw.namespace), str(ref.get("name") or ""))
        if member is None:
            return None
        inner = expand(run, member, depth + 1)
        if inner is None:
            return None
        out += inner
    return out


# -- application -----------------------------------------------------------------------------


def apply(run: Run, middlewares: list[SourceObject], rules: list[Rule], *,
          scheme: str | None = None) -> tuple[list[Rule], list[str]]:
    """Apply ``middlewares`` in order to ``rules`` (split to one match per rule when a rewrite needs it).

    ``scheme`` is the scheme of every listener the rules serve ("http" or "https"), None when
    the caller does not know it or they serve both (see :func:`redirect_scheme`)."""
    specs = [as_dict(m.data.get("spec")) for m in middlewares]
    if any(k in s for s in specs for k in PATH_DEPENDENT):
        rules = [replace(r, matches=[m], filters=list(r.filters), backends=list(r.backends)) for r in rules for m in (r.matches or [Match()])]
    blocks: list[str] = []
    for mw, spec in zip(middlewares, specs):
        run.legacy_group(mw)
        for key in spec:
            handler = HANDLERS.get(key)
            path = ("spec", key)
            if handler is None:
                continue  # left for explain_rest (unknown or table-explained)
            if handler is redirect_scheme:
                blocks += redirect_scheme(run, mw, path, spec[key], rules, scheme=scheme) or []
            else:
                blocks += handler(run, mw, path, spec[key], rules) or []
    return rules, blocks


def redirects_scheme(middlewares: list[SourceObject]) -> bool:
    return any("redirectScheme" in as_dict(m.data.get("spec")) for m in middlewares)


def _label(mw: SourceObject) -> str:
    return f"Middleware {mw.namespace}/{mw.name}"


def _path_of(rule: Rule) -> PathMatch:
    m = rule.matches[0] if rule.matches else Match()
    return m.path or PathMatch("PathPrefix", "/")


def _set_path(rule: Rule, path: PathMatch) -> None:
    if rule.matches:
        rule.matches[0] = replace(rule.matches[0], path=path)
    else:
        rule.matches.append(Match(path))


def _add(rule: Rule, new: Any) -> None:
    for i, old in enumerate(rule.filters):
        if type(old) is type(new) and isinstance(new, (RequestHeaders, ResponseHeaders)):
            a, b = old.change, new.change
            rule.filters[i] = type(new)(HeaderChange(_last_wins(a.set + b.set), a.add + b.add,
                                                     tuple(dict.fromkeys(a.remove + b.remove))))
            return
        if type(old) is type(new) and isinstance(new, Rewrite):
            rule.filters[i] = replace(old, path=new.path or old.path, hostname=new.hostname or old.hostname)
            return
    rule.filters.append(new)


def _last_wins(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Header names are unique in a modifier: a later value replaces an earlier one (Traefik's order)."""
    out: dict[str, tuple[str, str]] = {}
    for name, value in pairs:
        out.pop(name.lower(), None)
        out[name.lower()] = (name, value)
    return tuple(out.values())


def add_prefix(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    prefix = str(as_dict(value).get("prefix") or "").rstrip("/")
    done = []
    for rule in rules:
        match = _path_of(rule)
        if match.type == "PathPrefix":
            _set_path(rule, match)
            _add(rule, Rewrite(path=("ReplacePrefixMatch", prefix + (match.value.rstrip("/") or "") or "/")))
            done.append(match.value)
        elif match.type == "Exact":
            _add(rule, Rewrite(path=("ReplaceFullPath", prefix + match.value)))
            done.append(match.value)
        else:
            run.once("TRF013", mw, path, f"{_label(mw)} addPrefix: a rule with a regex path cannot be rewritten; "
                                         "the backend gets the path without the prefix")
    if done:
        mw.account(path)
        run.tell("TRF020", mw, path, f"addPrefix {prefix!r} became URLRewrite")
    return []


def strip_prefix(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    prefixes = [str(p) for p in as_list(as_dict(value).get("prefixes"))]
    if "forceSlash" in as_dict(value):
        run.once("TRF001", mw, path + ("forceSlash",), "stripPrefix.forceSlash: deprecated; Traefik v3 ignores it")
    for rule in rules:
        match = _path_of(rule)
        strip = next((p for p in prefixes if match.type == "PathPrefix" and match.value.startswith(p.rstrip("/"))
                      and p.rstrip("/")), None)
        if strip is None:
            run.once("TRF013", mw, path + ("prefixes",),
                     f"{_label(mw)} stripPrefix {prefixes}: a rule whose path is not a PathPrefix starting with one "
                     "of the prefixes cannot be rewritten; its backend gets the unstripped path")
            continue
        strip = strip.rstrip("/")
        _set_path(rule, match)
        _add(rule, Rewrite(path=("ReplacePrefixMatch", match.value.rstrip("/")[len(strip):] or "/")))
        _add(rule, RequestHeaders(HeaderChange(set=(("X-Forwarded-Prefix", strip),))))
        mw.account(path + ("prefixes",))
        run.tell("TRF020", mw, path, f"stripPrefix {strip!r} became URLRewrite ReplacePrefixMatch and "
                                     "X-Forwarded-Prefix")
    return []


def replace_path(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    if path[-1] == "replacePathRegex":
        spec = as_dict(value)
        regex, repl = str(spec.get("regex") or ""), str(spec.get("replacement") or "")
        if regex in ("^.*$", ".*", "^.*", "^/.*") and "$" not in repl:
            for rule in rules:
                _add(rule, Rewrite(path=("ReplaceFullPath", repl)))
            mw.account(path)
            run.tell("TRF020", mw, path, f"replacePathRegex to the fixed path {repl!r} became ReplaceFullPath; "
                                         "X-Replaced-Path (the original path) is not sent")
        else:
            run.once("TRF013", mw, path, f"{_label(mw)} replacePathRegex {regex!r} -> {repl!r}: regex rewrites are "
                                         "implementation-specific; the backend gets the original path")
        return []
    new = str(as_dict(value).get("path") or "/")
    for rule in rules:
        _add(rule, Rewrite(path=("ReplaceFullPath", new)))
    mw.account(path)
    run.tell("TRF020", mw, path, f"replacePath {new!r} became ReplaceFullPath; X-Replaced-Path (the original path) "
                                 "is not sent")
    return []


def redirect_scheme(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule], *,
                    scheme: str | None = None) -> list[str]:
    """Traefik redirects only when the URL changes: a request already on the target scheme (and
    port) passes on to the service. Rules that serve only such requests (``scheme``) keep their
    backends; callers split routes that serve both schemes (TRF023)."""
    spec = as_dict(value)
    target = str(spec.get("scheme") or "https")
    port = spec.get("port")
    port_n = int(port) if isinstance(port, (int, str)) and str(port).isdigit() else None
    permanent = spec.get("permanent") is True
    status = 301 if permanent else 302
    if port_n in (80, 443) and {"http": 80, "https": 443}.get(target) == port_n:
        port_n = None
    mw.account(path)
    if scheme == target and port_n is None:
        run.once("TRF023", mw, path, f"redirectScheme {target}: requests that already arrive over {target} are "
                 f"not redirected by Traefik; the rules on the {target} listeners keep their backends and only the "
                 f"other listeners redirect", example=f"GET {target}://host/ is served, not redirected to itself")
        return []
    scheme = target
    for rule in rules:
        _redirect(rule, Redirect(scheme=scheme, port=port_n, status=status))
    mw.account(path)
    run.once("TRF012", mw, path, f"redirectScheme {scheme}: statusCode {status} for every method",
             example=f"POST http://host/ got {308 if permanent else 307} from Traefik, now {status}")
    return []


def _redirect(rule: Rule, redirect: Redirect) -> None:
    rule.filters = [f for f in rule.filters if isinstance(f, (RequestHeaders, ResponseHeaders))] + [redirect]
    rule.filters = [f for f in rule.filters if not isinstance(f, RequestHeaders)]
    rule.backends = []


_URL = re.compile(r"^(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?::(?P<port>\d+))?(?P<path>/[^$?]*)?$")
_KEEP_PATH = re.compile(r"^(?P<scheme>https?)://(?P<host>[a-z0-9.-]+)(?::(?P<port>\d+))?/?\$\{?(?P<n>\d)\}?$")


def redirect_regex(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    spec = as_dict(value)
    regex, repl = str(spec.get("regex") or ""), str(spec.get("replacement") or "")
    permanent = spec.get("permanent") is True
    status = 301 if permanent else 302
    fixed, keep = _URL.match(repl), _KEEP_PATH.match(repl)
    redirect = None
    if fixed and "$" not in repl and _matches_any_url(regex):
        redirect = Redirect(scheme=fixed["scheme"], hostname=fixed["host"],
                            port=int(fixed["port"]) if fixed["port"] else None,
                            path=("ReplaceFullPath", fixed["path"]) if fixed["path"] else None, status=status)
    elif keep and _captures_path(regex, int(keep["n"])):
        redirect = Redirect(scheme=keep["scheme"], hostname=keep["host"],
                            port=int(keep["port"]) if keep["port"] else None, status=status)
    if redirect is None:
        run.once("TRF013", mw, path, f"{_label(mw)} redirectRegex {regex!r} -> {repl!r}: only a fixed URL or a new "
                                     "scheme/host keeping the path can be expressed; requests now reach the backend")
        return []
    for rule in rules:
        _redirect(rule, redirect)
    mw.account(path)
    run.once("TRF012", mw, path, f"redirectRegex became RequestRedirect with statusCode {status} for every method",
             example=f"POST / got {308 if permanent else 307} from Traefik, now {status}")
    return []


def _matches_any_url(regex: str) -> bool:
    return regex in (".*", "^.*$", "^(.*)$", "^https?://.*", "^http://.*", "^https://.*") or regex.endswith("(.*)")


def _captures_path(regex: str, n: int) -> bool:
    """``^https?://[^/]+/(.*)`` style: capture n is everything after the host's slash."""
    m = re.fullmatch(r"\^?(?:https?|http|https|\(https\?\)|https\?)://(?:\[\^/\]\+|[a-z0-9\\.\-()|?^\[\]+*]+?)/\(\.\*\)\$?", regex)
    groups = regex.count("(") - regex.count("\\(") - regex.count("(?")
    return bool(m) and n == groups


HEADER_FLAGS = {"frameDeny": ("X-Frame-Options", "DENY"), "contentTypeNosniff": ("X-Content-Type-Options", "nosniff"),
                "browserXssFilter": ("X-XSS-Protection", "1; mode=block")}
HEADER_VALUES = {"customFrameOptionsValue": "X-Frame-Options", "customBrowserXSSValue": "X-XSS-Protection",
                 "contentSecurityPolicy": "Content-Security-Policy",
                 "contentSecurityPolicyReportOnly": "Content-Security-Policy-Report-Only",
                 "publicKey": "Public-Key-Pins", "referrerPolicy": "Referrer-Policy",
                 "permissionsPolicy": "Permissions-Policy"}
CORS_KEYS = ("accessControlAllowCredentials", "accessControlAllowHeaders", "accessControlAllowMethods",
             "accessControlAllowOriginList", "accessControlExposeHeaders", "accessControlMaxAge")


def headers(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    spec = as_dict(value)
    req = as_dict(spec.get("customRequestHeaders"))
    res = as_dict(spec.get("customResponseHeaders"))
    req_change = HeaderChange(set=tuple((k, str(v)) for k, v in req.items() if v not in ("", None)),
                              remove=tuple(k for k, v in req.items() if v in ("", None)))
    res_set = [(k, str(v)) for k, v in res.items() if v not in ("", None)]
    res_remove = [k for k, v in res.items() if v in ("", None)]
    for key, (name, val) in HEADER_FLAGS.items():
        if spec.get(key) is True:
            res_set.append((name, val))
    for key, name in HEADER_VALUES.items():
        if spec.get(key):
            res_set.append((name, str(spec[key])))
    if isinstance(spec.get("stsSeconds"), int) and spec["stsSeconds"] > 0:
        sts = f"max-age={spec['stsSeconds']}" + ("; includeSubDomains" if spec.get("stsIncludeSubdomains") else "") \
              + ("; preload" if spec.get("stsPreload") else "")
        res_set.append(("Strict-Transport-Security", sts))
        if not spec.get("forceSTSHeader"):
            run.once("TRF001", mw, path + ("stsSeconds",), "stsSeconds: Traefik sends Strict-Transport-Security on "
                     "HTTPS requests only; the ResponseHeaderModifier also sends it over plain HTTP (browsers ignore it there)")
    cors = None
    if any(k in spec for k in CORS_KEYS):
        max_age = spec.get("accessControlMaxAge")
        cors = Cors(allow_origins=tuple(map(str, as_list(spec.get("accessControlAllowOriginList")))),
                    allow_methods=tuple(str(m).upper() for m in as_list(spec.get("accessControlAllowMethods"))),
                    allow_headers=tuple(map(str, as_list(spec.get("accessControlAllowHeaders")))),
                    expose_headers=tuple(map(str, as_list(spec.get("accessControlExposeHeaders")))),
                    allow_credentials=spec.get("accessControlAllowCredentials") if isinstance(
                        spec.get("accessControlAllowCredentials"), bool) else None,
                    max_age=max_age if isinstance(max_age, int) and max_age > 0 else None)
    for rule in rules:
        if rule.backends or not any(isinstance(f, Redirect) for f in rule.filters):
            if req_change.set or req_change.remove:
                _add(rule, RequestHeaders(req_change))
            if cors is not None:
                _add(rule, cors)
        if res_set or res_remove:
            _add(rule, ResponseHeaders(HeaderChange(set=_last_wins(tuple(res_set)), remove=tuple(res_remove))))
    converted = ["customRequestHeaders", "customResponseHeaders", *HEADER_FLAGS, *HEADER_VALUES, *CORS_KEYS,
                 "stsSeconds", "stsIncludeSubdomains", "stsPreload", "forceSTSHeader"]
    for key in converted:
        if key in spec:
            mw.account(path + (key,))
    if any(k in spec for k in converted):
        run.tell("TRF024", mw, path, f"headers: {', '.join(k for k in spec if k in converted)} converted")
    return []


def access_control(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    entry = run.table.kinds["Middleware"].fields.get(f"spec.{path[-1]}")
    run.once("TRF002", mw, path, f"{path[-1]}: {entry.note if entry else 'access control not carried over'}")
    return [f"{_label(mw)} {path[-1]}"]


def plugin(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    """A Traefik plugin (geoblock, an auth plugin, ...) does what its code does: it may gate
    access, which we cannot know, so it fails closed like an access control."""
    names = ", ".join(str(k) for k in as_dict(value)) or "?"
    entry = run.table.kinds["Middleware"].fields.get("spec.plugin")
    run.once("TRF002", mw, path, f"plugin {names}: " + (entry.note if entry else "unknown effect; fails closed"))
    return [f"{_label(mw)} plugin {names}"]


def retry(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    spec = as_dict(value)
    parts = [f"attempts: {spec['attempts']}"] if isinstance(spec.get("attempts"), int) else []
    if spec.get("initialInterval"):
        parts.append(f"backoff: {spec['initialInterval']}")
    status = spec.get("status")
    if status:
        parts.append(f"codes: {status}")
    run.once("TRF014", mw, path, "retry; experimental equivalent: retry: {" + ", ".join(parts)
             + "}  (experimental channel; not emitted)")
    return []


def unsupported(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    entry = run.table.kinds["Middleware"].fields.get(f"spec.{path[-1]}") or \
        run.table.kinds["Middleware"].fields.get(f"spec.{path[-1]}.regex")
    run.once("TRF013", mw, path, f"{_label(mw)} {path[-1]}: {entry.note if entry else 'not converted'}")
    return []


def chain(run: Run, mw: SourceObject, path: Path_, value: Any, rules: list[Rule]) -> list[str]:
    """Chains are expanded by :func:`expand` before application; nothing to do per rule."""
    mw.account(path)
    return []


HANDLERS: dict[str, Callable[..., list[str]]] = {
    "addPrefix": add_prefix, "stripPrefix": strip_prefix, "replacePath": replace_path,
    "replacePathRegex": replace_path, "redirectScheme": redirect_scheme, "redirectRegex": redirect_regex,
    "headers": headers, "retry": retry, "chain": chain,
    **{k: access_control for k in ("basicAuth", "digestAuth", "forwardAuth", "ipAllowList", "ipWhiteList",
                                   "rateLimit", "inFlightReq", "passTLSClientCert")},
    **{k: unsupported for k in ("stripPrefixRegex", "circuitBreaker", "buffering", "compress", "errors",
                                "contentType", "grpcWeb", "encodedCharacters")},
    "plugin": plugin,
}
