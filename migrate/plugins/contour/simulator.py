"""Contour's half of the semantic diff: what Contour (Envoy) does with a request.

Built from the documented semantics (projectcontour.io docs, internal/dag), written
down here where a choice was needed:

- Virtual hosts: a root HTTPProxy's fqdn, exact, or ``*.x`` matching exactly ONE
  label; then the Ingress rules without host (Contour's ``*`` host). Two roots with
  one fqdn are both invalid (not served). HTTPProxies of another ingress class are
  ignored.
- Includes are flattened as the converter does (shared code: ``includes.walk``):
  conditions concatenated, a missing/root include answers 502, cycles not followed,
  an invalid proxy serves nothing.
- Route selection follows Contour's route sorting: exact paths, then regexes (longer
  first), then prefixes (longer first); for the same path, more header conditions
  first, then more query conditions; then input order. A prefix is a STRING prefix;
  a regex matches the whole path (RE2; Python ``re.fullmatch`` here).
- Header conditions: present / contains / exact / regex as named; the negative ones
  (notpresent, notcontains, notexact) match when the header is absent only for
  notpresent (Envoy inverts a string match only for headers that are present).
- TLS virtual hosts answer plain HTTP that matches a route with 301 to https unless
  the route has permitInsecure; tcpproxy hosts are not HTTP (no certificate is
  reported, so https probes are not compared).
- Weights: none set = equal split; some set = unset ones get nothing. A mirror is
  reported as ``ns/name:port (N%)`` when its weight is below 100.
- Access controls cannot be evaluated on a probe: external authorization, JWT, client
  certificates and IP lists are taken to refuse it (403; 401 for JWT); a rate limit is
  taken not to be exceeded.
- WebSocket: a request with ``Upgrade: websocket`` on a route without enableWebsockets
  (Ingress: a path not in projectcontour.io/websocket-routes) gets 403 (Envoy refuses an
  upgrade the route does not enable). Plain HTTP to a TLS host is taken to be redirected
  first (those are not probed with an upgrade).
- Probes of its own (``requests()``): for every root fqdn, the paths of its flattened routes
  and of its includes' conditions, each with values that satisfy all its header and query
  conditions, with each negated header condition's excluded value, and bare; and one
  WebSocket upgrade per HTTPProxy that serves routes.
- Ingresses: Prefix paths match whole segments, ImplementationSpecific ones are a regex
  if they have one of ``^+*[]%`` else a string prefix; force-ssl-redirect answers HTTP
  with 301, allow-http "false" refuses HTTP (404).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from migrate.plugins.contour import conditions as cond_mod
from migrate.regex_sample import sample
from migrate.plugins.contour.includes import walk
from migrate.plugins.contour.util import GROUP, PREFIX, as_dict, as_list, text
from migrate.semantics.request import Outcome, Request, join_query

WELL_KNOWN = {"http": 80, "https": 443}
_REGEX_CHARS = re.compile(r"[\^+*\[\]%]")


class _Obj:
    """The little of SourceObject that ``includes.walk`` reads."""

    def __init__(self, data: dict) -> None:
        meta = as_dict(data.get("metadata"))
        self.data = data
        self.name = text(meta.get("name"))
        self.namespace = text(meta.get("namespace")) or "default"
        self.kind = text(data.get("kind"))

    def account(self, *paths: Any) -> None:
        """The walk accounts fields for the converter; the simulator has nothing to account."""


@dataclass
class SimRoute:
    rule: str
    path: tuple[str, str]                 # (prefix | exact | regex | segment, value)
    headers: list[dict] = field(default_factory=list)
    query: list[dict] = field(default_factory=list)
    order: int = 0
    backends: list[tuple[str, int]] = field(default_factory=list)
    status: int | None = None             # direct response / 502 / 503
    redirect: dict | None = None
    mirror: str | None = None
    rewrite: tuple[str, str] | None = None  # (routing prefix, replacement)
    host: str | None = None
    headers_set: list[tuple[str, str]] = field(default_factory=list)
    headers_removed: list[str] = field(default_factory=list)
    insecure: bool = False
    denied: int | None = None
    notes: list[str] = field(default_factory=list)
    websocket: bool = False
    #: "HTTPProxy ns/name" of the object that wrote the route (for probes); "" for Ingress routes
    owner: str = ""

    def sort_key(self) -> tuple:
        kind, value = self.path
        rank = {"exact": 0, "regex": 1}.get(kind, 2)
        return (rank, -len(value), -len(self.headers), -len(self.query), self.order)


@dataclass
class VHost:
    routes: list[SimRoute] = field(default_factory=list)
    secure: bool = False       # a certificate: https served, http redirected per route
    tls_only: bool = False     # tcpproxy: no HTTP routes on https
    http: str = "serve"        # Ingress: serve | redirect | refuse
    #: paths of include conditions (probed too: an include Contour skipped has no route)
    include_paths: set[str] = field(default_factory=set)


class ContourSimulator:
    def __init__(self, objects: Iterable[dict[str, Any]]) -> None:
        objs = [o for o in objects if isinstance(o, dict)]
        self.services = {(_Obj(o).namespace, _Obj(o).name): o for o in objs if o.get("kind") == "Service"}
        self.vhosts: dict[str, VHost] = {}
        self.certs: set[str] = set()
        self._order = 0
        proxies = [_Obj(o) for o in objs if o.get("kind") == "HTTPProxy" and str(o.get("apiVersion", "")).startswith(GROUP)
                   and isinstance(o.get("spec"), dict) and _contour_class(o)]
        self.delegations = [_Obj(o) for o in objs if o.get("kind") == "TLSCertificateDelegation"]
        self._proxies(proxies)
        for o in objs:
            if o.get("kind") == "Ingress":
                self._ingress(_Obj(o))

    # -- HTTPProxy ---------------------------------------------------------------------

    def _proxies(self, proxies: list[_Obj]) -> None:
        index = {(p.namespace, p.name): p for p in proxies}
        fqdns: dict[str, list[_Obj]] = {}
        for p in proxies:
            vhost = p.data["spec"].get("virtualhost")
            if vhost is not None:
                fqdns.setdefault(text(as_dict(vhost).get("fqdn")).lower(), []).append(p)
        for fqdn, roots in fqdns.items():
            if not fqdn or len(roots) != 1:
                continue
            root = roots[0]
            spec = root.data["spec"]
            tls = as_dict(as_dict(spec.get("virtualhost")).get("tls"))
            vh = VHost()
            if tls:
                secret = text(tls.get("secretName"))
                if spec.get("tcpproxy") is not None:
                    vh.tls_only = True
                elif not secret or not self._delegated(root, secret):
                    continue
                else:
                    vh.secure = True
                    self.certs.add(fqdn)
            controls = _vhost_controls(spec)
            tree = walk(root, index)  # type: ignore[arg-type]
            for flat in tree.routes:
                self.vhosts.setdefault(fqdn, vh).routes.append(self._flat(root, flat, controls))
            self.vhosts.setdefault(fqdn, vh)
            for key in tree.reached:
                for inc in as_list(as_dict(index[key].data["spec"]).get("includes")) if key in index else []:
                    for c in as_list(as_dict(inc).get("conditions")):
                        for op in ("prefix", "exact"):
                            if text(as_dict(c).get(op)).startswith("/"):
                                vh.include_paths.add(text(as_dict(c)[op]))

    def _delegated(self, root: _Obj, secret: str) -> bool:
        ns, _, name = secret.rpartition("/")
        if not ns or ns == root.namespace:
            return True
        for d in self.delegations:
            if d.namespace == ns:
                for item in as_list(as_dict(d.data.get("spec")).get("delegations")):
                    targets = [str(t) for t in as_list(as_dict(item).get("targetNamespaces"))]
                    if text(as_dict(item).get("secretName")) == name and ("*" in targets or root.namespace in targets):
                        return True
        return False

    def _flat(self, root: _Obj, flat: Any, controls: dict[str, Any]) -> SimRoute:
        kind, value = cond_mod.merged_path(flat.conds)
        proxy = flat.proxy
        label = f"HTTPProxy {proxy.namespace}/{proxy.name} " + (
            f"spec.routes[{flat.index}]" if flat.index is not None else "include")
        self._order += 1
        sim = SimRoute(label, (kind, value), order=self._order, owner=f"HTTPProxy {proxy.namespace}/{proxy.name}",
                       headers=[as_dict(c.data["header"]) for c in flat.conds if c.data.get("header") is not None],
                       query=[as_dict(c.data["queryParameter"]) for c in flat.conds if c.data.get("queryParameter") is not None])
        if flat.index is None:
            sim.status = 502
            return sim
        route = as_dict(as_list(proxy.data["spec"].get("routes"))[flat.index])
        sim.insecure = route.get("permitInsecure") is True
        sim.websocket = route.get("enableWebsockets") is True
        sim.denied = _denied(route, controls)
        if route.get("requestRedirectPolicy") is not None:
            sim.redirect = as_dict(route["requestRedirectPolicy"])
            return sim
        if route.get("directResponsePolicy") is not None:
            sim.status = as_dict(route["directResponsePolicy"]).get("statusCode") or 200
            return sim
        items = [as_dict(s) for s in as_list(route.get("services"))]
        served = [s for s in items if s.get("mirror") is not True]
        weighted = any(isinstance(s.get("weight"), int) and s["weight"] > 0 for s in served)
        for s in served:
            w = (s.get("weight") if isinstance(s.get("weight"), int) else 0) if weighted else 1
            sim.backends.append((f"{proxy.namespace}/{text(s.get('name'))}:{s.get('port')}", w))
        for s in items:
            if s.get("mirror") is True and sim.mirror is None:
                w = s.get("weight") if isinstance(s.get("weight"), int) else 0
                sim.mirror = f"{proxy.namespace}/{text(s.get('name'))}:{s.get('port')}" + (f" ({w}%)" if 0 < w < 100 else "")
        if not sim.backends:
            sim.status = 503
        rewrite = [as_dict(r) for r in as_list(as_dict(route.get("pathRewritePolicy")).get("replacePrefix"))]
        if rewrite and kind == "prefix":
            chosen = next((r for r in rewrite if text(r.get("prefix")) == value), None) or \
                next((r for r in rewrite if not text(r.get("prefix"))), None)
            if chosen is not None:
                sim.rewrite = (value, text(chosen.get("replacement")) or "/")
        policy = as_dict(route.get("requestHeadersPolicy"))
        for item in as_list(policy.get("set")):
            name, val = text(as_dict(item).get("name")), str(as_dict(item).get("value", ""))
            if name.lower() == "host":
                sim.host = val
            elif name:
                sim.headers_set.append((name, val))
        sim.headers_removed = [str(n) for n in as_list(policy.get("remove"))]
        if len(served) == 1:
            spol = as_dict(served[0].get("requestHeadersPolicy"))
            sim.headers_set += [(text(as_dict(i).get("name")), str(as_dict(i).get("value", "")))
                                for i in as_list(spol.get("set")) if text(as_dict(i).get("name")).lower() != "host"]
            sim.headers_removed += [str(n) for n in as_list(spol.get("remove"))]
        return sim

    # -- Ingress -------------------------------------------------------------------------

    def _ingress(self, ing: _Obj) -> None:
        from migrate.plugins.ingress.parse import InvalidIngress, parse_ingress

        try:
            view = parse_ingress(ing.data)
        except InvalidIngress:
            return
        ann = {str(k): str(v) for k, v in as_dict(as_dict(ing.data.get("metadata")).get("annotations")).items()}
        force = ann.get("ingress.kubernetes.io/force-ssl-redirect", "").lower() == "true"
        refuse = ann.get("kubernetes.io/ingress.allow-http", "").lower() == "false"
        http = "redirect" if force else "refuse" if refuse else "serve"
        tls_hosts = {h for t in view.tls if t.secret for h in t.hosts}
        ws = {p.strip() for p in ann.get(PREFIX + "websocket-routes", "").split(",") if p.strip()}
        for rule in view.rules:
            host = (rule.host or "*").lower()
            vh = self.vhosts.setdefault(host, VHost())
            vh.http = http if http != "serve" else vh.http
            if host in tls_hosts:
                self.certs.add(host)
            for p in rule.paths:
                self._order += 1
                if p.type == "Exact":
                    path = ("exact", p.value)
                elif p.type == "Prefix":
                    path = ("segment", p.value) if p.value != "/" else ("prefix", "/")
                elif _REGEX_CHARS.search(p.value):
                    path = ("regex", p.value)
                else:
                    path = ("prefix", p.value)
                ref = f"{ing.namespace}/{p.backend.service}:{self._port(ing.namespace, p.backend)}"
                vh.routes.append(SimRoute(f"Ingress {ing.namespace}/{ing.name} {_render(p.path)}", path,
                                          order=self._order, backends=[(ref, 1)], websocket=p.value in ws))
        if view.default_backend is not None:
            b = view.default_backend
            self._order += 1
            self.vhosts.setdefault("*", VHost()).routes.append(SimRoute(
                f"Ingress {ing.namespace}/{ing.name} spec.defaultBackend", ("prefix", "/"), order=self._order + 10**6,
                backends=[(f"{ing.namespace}/{b.service}:{self._port(ing.namespace, b)}", 1)]))

    def _port(self, namespace: str, backend: Any) -> Any:
        """The Service port a backend names: its number, or the number of the named port (as Contour
        resolves it); the name itself when the Service is not in the input."""
        if backend.port_number:
            return backend.port_number
        service = self.services.get((namespace, backend.service))
        for item in as_list(as_dict(as_dict(service).get("spec")).get("ports")):
            if as_dict(item).get("name") == backend.port_name and isinstance(as_dict(item).get("port"), int):
                return item["port"]
        return backend.port_name

    # -- requests ------------------------------------------------------------------------

    def has_certificate(self, host: str) -> bool:
        host = host.lower()
        return any(_host_matches(c, host) for c in self.certs)

    def _vhost(self, host: str) -> VHost | None:
        if host in self.vhosts:
            return self.vhosts[host]
        for name, vh in self.vhosts.items():
            if name.startswith("*.") and _host_matches(name, host):
                return vh
        return self.vhosts.get("*")

    def handle(self, request: Request) -> Outcome:
        vh = self._vhost(request.hostname)
        if vh is None:
            return Outcome(404, notes=("no virtual host",))
        if vh.tls_only and request.scheme == "https":
            return Outcome(404, notes=("tcpproxy host: not HTTP",))
        for route in sorted(vh.routes, key=SimRoute.sort_key):
            if not (_path_matches(route.path, request.path) and all(_header_ok(h, request) for h in route.headers)
                    and all(_query_ok(q, request) for q in route.query)):
                continue
            if request.scheme == "http":
                if vh.http == "refuse":
                    return Outcome(404, rule=route.rule, notes=("allow-http false",))
                if vh.http == "redirect" or (vh.secure and not route.insecure):
                    return Outcome(301, location=f"https://{request.hostname}{request.target}", rule=route.rule)
            return self._apply(route, request)
        return Outcome(404)

    def _apply(self, route: SimRoute, request: Request) -> Outcome:
        if _upgrade(request) and not route.websocket:
            return Outcome(403, rule=route.rule, notes=("WebSocket upgrade not enabled on the route",))
        if route.denied is not None:
            return Outcome(route.denied, rule=route.rule, notes=("access control: assumed to refuse the probe",))
        if route.redirect is not None:
            code, location = _redirect(route.redirect, request, route.path)
            return Outcome(code, location=location, rule=route.rule)
        if route.status is not None:
            return Outcome(route.status, rule=route.rule)
        path = request.path
        if route.rewrite is not None:
            path = _rewrite(path, *route.rewrite)
        return Outcome(200, backends=tuple(route.backends), path=join_query(path, request.query),
                       host=route.host or request.host, headers_set=tuple(route.headers_set),
                       headers_removed=tuple(route.headers_removed), mirrors=(route.mirror,) if route.mirror else (),
                       rule=route.rule)


    def requests(self) -> list[Request]:
        """Probes only Contour's configuration can name (see the module doc)."""
        out: list[Request] = []
        for fqdn, vh in sorted(self.vhosts.items()):
            if vh.tls_only or fqdn == "*":
                continue
            host = "a" + fqdn[1:] if fqdn.startswith("*.") else fqdn
            schemes = ("http", "https") if vh.secure else ("http",)
            upgraded: set[str] = set()
            for route in vh.routes:
                if not route.owner:
                    continue
                path = _probe_path(route.path)
                if path is None:
                    continue
                headers = [(text(h.get("name")), _satisfying_header(h)) for h in route.headers]
                query = tuple((text(q.get("name")), _satisfying_query(q)) for q in route.query)
                good = tuple((n, v) for n, v in headers if n and v is not None)
                good_query = tuple((n, v) for n, v in query if n and v is not None)
                variants = [(good, good_query), ((), ())]
                for i, h in enumerate(route.headers):
                    excluded = _excluded_header(h)
                    if excluded is not None:
                        others = tuple(x for j, x in enumerate(headers) if j != i and x[1] is not None)
                        variants.append((others + ((text(h.get("name")), excluded),), good_query))
                for scheme in schemes:
                    for hdrs, qs in variants:
                        out.append(Request(host, path, scheme=scheme, headers=hdrs, query=qs))
                if route.owner not in upgraded and route.status is None and route.redirect is None and route.denied is None:
                    upgraded.add(route.owner)
                    scheme = "https" if vh.secure and not route.insecure else "http"
                    out.append(Request(host, path, scheme=scheme, query=good_query,
                                       headers=good + (("Connection", "Upgrade"), ("Upgrade", "websocket"))))
            for path in sorted(vh.include_paths):
                for scheme in schemes:
                    out.append(Request(host, path, scheme=scheme))
        return out


# -- matching helpers ----------------------------------------------------------------------


def _upgrade(request: Request) -> bool:
    return "websocket" in (request.header("Upgrade") or "").lower()


def _probe_path(path: tuple[str, str]) -> str | None:
    kind, value = path
    if kind == "regex":
        found = sample(value, prefix_only=False)
        return found if found and found.startswith("/") else None
    return value or "/"


def _satisfying_header(h: dict) -> str | None:
    """A value of header ``h`` that meets the condition; None: send no such header."""
    if h.get("notpresent") is True:
        return None
    if h.get("present") is True:
        return "1"
    for op in ("exact", "contains"):
        if h.get(op) not in (None, ""):
            return str(h[op])
    for op in ("notexact", "notcontains"):
        if h.get(op) not in (None, ""):
            return next(v for v in ("other", "zzz", "qqq") if str(h[op]).lower() not in v)
    if h.get("regex") not in (None, ""):
        return sample(str(h["regex"]), prefix_only=False)
    return None


def _excluded_header(h: dict) -> str | None:
    """The value a negated header condition excludes (Contour sent it elsewhere), or None."""
    if h.get("notpresent") is True:
        return "1"
    for op in ("notexact", "notcontains"):
        if h.get(op) not in (None, ""):
            return str(h[op])
    return None


def _satisfying_query(q: dict) -> str | None:
    if q.get("present") is True:
        return "1"
    for op in ("exact", "prefix", "suffix", "contains"):
        if q.get(op) not in (None, ""):
            return str(q[op])
    if q.get("regex") not in (None, ""):
        return sample(str(q["regex"]), prefix_only=False)
    return None


def _contour_class(obj: dict) -> bool:
    spec = as_dict(obj.get("spec"))
    ann = as_dict(as_dict(obj.get("metadata")).get("annotations"))
    cls = text(spec.get("ingressClassName")) or str(ann.get(PREFIX + "ingress.class") or ann.get("kubernetes.io/ingress.class") or "")
    return not cls or cls == "contour"


def _vhost_controls(spec: dict) -> dict[str, Any]:
    vhost = as_dict(spec.get("virtualhost"))
    out = {k: vhost[k] for k in ("authorization", "ipAllowPolicy", "ipDenyPolicy", "jwtProviders") if vhost.get(k)}
    if as_dict(vhost.get("tls")).get("clientValidation") is not None:
        out["clientValidation"] = True
    return out


def _denied(route: dict, controls: dict[str, Any]) -> int | None:
    if route.get("ipAllowPolicy") or route.get("ipDenyPolicy"):
        return 403
    for key in ("ipAllowPolicy", "ipDenyPolicy", "clientValidation"):
        if key in controls:
            return 403
    if "authorization" in controls:
        disabled = as_dict(route.get("authPolicy")).get("disabled")
        vhost_off = as_dict(as_dict(controls["authorization"]).get("authPolicy")).get("disabled") is True
        if not (vhost_off if disabled is None else disabled is True):
            return 403
    jwt = as_dict(route.get("jwtVerificationPolicy"))
    default = any(as_dict(p).get("default") is True for p in as_list(controls.get("jwtProviders")))
    if "jwtProviders" in controls and jwt.get("disabled") is not True and (jwt.get("require") or default):
        return 401
    return None


def _host_matches(pattern: str, host: str) -> bool:
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label) and bool(dot) and rest == pattern[2:]
    return pattern == host


def _path_matches(path: tuple[str, str], request_path: str) -> bool:
    kind, value = path
    if kind == "exact":
        return request_path == value
    if kind == "regex":
        try:
            return re.fullmatch(value, request_path) is not None
        except re.error:
            return False
    if kind == "segment":
        stem = value.rstrip("/")
        return request_path == stem or request_path.startswith(stem + "/")
    return request_path.startswith(value)


def _header_ok(h: dict, request: Request) -> bool:
    name = text(h.get("name"))
    value = request.header(name)
    ignore = h.get("ignoreCase") is True
    if h.get("present") is True:
        return value is not None
    if h.get("notpresent") is True:
        return value is None
    if value is None:
        if h.get("treatMissingAsEmpty") is True:
            value = ""
        else:
            return False
    v = value.lower() if ignore else value

    def norm(x: Any) -> str:
        return str(x).lower() if ignore else str(x)

    for op, test in (("exact", lambda x: v == norm(x)), ("notexact", lambda x: v != norm(x)),
                     ("contains", lambda x: norm(x) in v), ("notcontains", lambda x: norm(x) not in v)):
        if h.get(op) not in (None, ""):
            return test(h[op])
    if h.get("regex") not in (None, ""):
        try:
            return re.fullmatch(str(h["regex"]), value, re.IGNORECASE if ignore else 0) is not None
        except re.error:
            return False
    return False


def _query_ok(q: dict, request: Request) -> bool:
    name = text(q.get("name"))
    values = [v for k, v in request.query if k == name]
    if not values:
        return False
    value = values[0]
    if q.get("present") is True:
        return True
    ignore = q.get("ignoreCase") is True
    v = value.lower() if ignore else value

    def norm(x: Any) -> str:
        return str(x).lower() if ignore else str(x)

    for op, test in (("exact", lambda x: v == norm(x)), ("prefix", lambda x: v.startswith(norm(x))),
                     ("suffix", lambda x: v.endswith(norm(x))), ("contains", lambda x: norm(x) in v)):
        if q.get(op) not in (None, ""):
            return test(q[op])
    if q.get("regex") not in (None, ""):
        try:
            return re.fullmatch(str(q["regex"]), value, re.IGNORECASE if ignore else 0) is not None
        except re.error:
            return False
    return False


def _rewrite(path: str, prefix: str, replacement: str) -> str:
    """Envoy prefix_rewrite with Contour's '/foo' + '/foo/' expansion: segment-aware when the
    path continues with '/', a plain string replacement otherwise."""
    stem = prefix.rstrip("/")
    if stem and (path == stem or path.startswith(stem + "/")):
        return (replacement.rstrip("/") + path[len(stem):]) or "/"
    if prefix == "/":
        return (replacement.rstrip("/") + path) or "/"
    return replacement + path[len(prefix):]


def _redirect(policy: dict, request: Request, path: tuple[str, str]) -> tuple[int, str]:
    scheme = text(policy.get("scheme")) or request.scheme
    port = policy.get("port") if isinstance(policy.get("port"), int) else None
    if port is None:
        port = WELL_KNOWN.get(scheme, 80) if policy.get("scheme") else request.effective_port
    host = text(policy.get("hostname")) or request.hostname
    target = request.path
    if text(policy.get("path")):
        target = text(policy["path"])
    elif text(policy.get("prefix")) and path[0] == "prefix":
        target = _rewrite(request.path, path[1], text(policy["prefix"]))
    shown = "" if WELL_KNOWN.get(scheme) == port else f":{port}"
    return int(policy.get("statusCode") or 302), f"{scheme}://{host}{shown}{join_query(target, request.query)}"


def _render(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out
