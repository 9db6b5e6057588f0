"""What Traefik v3 does with an HTTP request, from its own documented semantics (not from
the converter): the source half of the semantic diff.

Routers: each IngressRoute route (and each Ingress path, as the Ingress provider writes
it: ``Host(`h`) && PathPrefix(`/p`)``) is a router. A router with ``tls`` (an Ingress with
``router.tls: "true"``, or any Ingress path when the request is https and the Ingress has
spec.tls) serves https on websecure; one without serves http on web (the probes reach
web on 80 and websecure on 443). The routers of an entry point are tried by priority
(explicit, else the rule's length), highest first; the first whose rule matches wins.
A router with a missing middleware or an unparsable rule does not exist. No router: 404.

Middlewares, in order: redirectScheme (only when the scheme differs: 301/308 permanent,
302/307 otherwise, GET vs other methods), redirectRegex (on the full URL), stripPrefix
(first matching prefix, character-wise; X-Forwarded-Prefix), addPrefix, replacePath,
replacePathRegex, headers (customRequestHeaders set/remove), basicAuth/digestAuth/
forwardAuth (401: the probe has no credentials), ipAllowList/ipWhiteList (403: the probe
comes from outside), ClientIP() never matches (the probe has no known address). Rate
limits, retries and response headers do not change a single probe's outcome. A plugin
middleware is not simulated (its code is unknown): the request passes it.
Backends: weights (TraefikService weighted flattened), mirroring as mirrors.

Probes of its own (``requests()``): the hosts and paths of every router whose rule parses,
those the conversion dropped included, and the requests each negation excluded.

Not simulated: IngressRouteTCP and IngressRouteUDP (the semantic diff probes HTTP only;
their conversion is checked by the fixtures' goldens), and no mesh (Traefik is an ingress).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from urllib.parse import urlsplit

from migrate.semantics.request import Outcome, Request, join_query
from migrate.plugins.traefik import rules

GROUPS = ("traefik.io", "traefik.containo.us")
PREFIX = "traefik.ingress.kubernetes.io/"


def _d(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list:
    return value if isinstance(value, list) else []


@dataclass
class _Router:
    label: str
    node: rules.Node
    priority: int
    tls: bool
    plain: bool
    middlewares: list[dict]
    backends: list[tuple[str, Fraction]]
    mirrors: list[str] = field(default_factory=list)
    order: int = 0


class TraefikSimulator:
    def __init__(self, objects: list[dict]) -> None:
        self.objects = [o for o in objects if isinstance(o, dict)]
        self.services = {(_ns(o), _name(o)): o for o in self.objects if o.get("kind") == "Service"}
        self.by_kind: dict[tuple[str, str, str], dict] = {}
        for o in self.objects:
            if str(o.get("apiVersion", "")).split("/")[0] in GROUPS:
                self.by_kind[(str(o.get("kind")), _ns(o), _name(o))] = o
        self.routers: list[_Router] = []
        #: every parsed rule with (https, http) entry points, for requests()
        self.rules: list[tuple[rules.Node, bool, bool]] = []
        self.cert_hosts: set[str] = set()
        for o in self.objects:
            if o.get("kind") == "IngressRoute" and (o.get("apiVersion", "").split("/")[0] in GROUPS):
                self._ingressroute(o)
            elif o.get("kind") == "Ingress":
                self._ingress(o)
        for i, r in enumerate(self.routers):
            r.order = i

    # -- building ---------------------------------------------------------------------------

    def _port(self, ns: str, name: str, port: Any) -> int | None:
        if isinstance(port, int):
            return port
        for p in _l(_d(_d(self.services.get((ns, name))).get("spec")).get("ports")):
            if _d(p).get("name") == port:
                return p.get("port")
        return int(port) if isinstance(port, str) and port.isdigit() else None

    def _targets(self, ns: str, refs: list, share: Fraction, depth: int = 0) -> tuple[list[tuple[str, Fraction]], list[str]]:
        out, mirrors = [], []
        refs = [_d(r) for r in refs]
        total = sum(Fraction(r.get("weight", 1)) for r in refs if isinstance(r.get("weight", 1), int)) or Fraction(1)
        single = len(refs) == 1
        for ref in refs:
            rns = str(ref.get("namespace") or ns)
            weight = ref.get("weight", 1) if isinstance(ref.get("weight", 1), int) else 0
            part = share * (Fraction(1) if single and depth == 0 else Fraction(weight) / total)
            if ref.get("kind") == "TraefikService":
                ts = _d(_d(self.by_kind.get(("TraefikService", rns, str(ref.get("name"))))).get("spec"))
                if "weighted" in ts and depth < 5:
                    inner, m = self._targets(rns, _l(_d(ts["weighted"]).get("services")), part, depth + 1)
                    out += inner
                    mirrors += m
                elif "mirroring" in ts and depth < 5:
                    mir = _d(ts["mirroring"])
                    inner, m = self._targets(rns, [mir], part, depth + 1)
                    out += inner
                    for mm in _l(mir.get("mirrors")):
                        mm = _d(mm)
                        mns = str(mm.get("namespace") or rns)
                        target = f"{mns}/{mm.get('name')}:{self._port(mns, str(mm.get('name')), mm.get('port'))}"
                        mirrors.append(target + (f" ({mm['percent']}%)" if isinstance(mm.get("percent"), int) and mm["percent"] < 100 else ""))
                else:
                    out.append(("<500>", part))
                continue
            port = self._port(rns, str(ref.get("name")), ref.get("port"))
            out.append((f"{rns}/{ref.get('name')}:{port}" if port else "<500>", part))
        return out, mirrors

    def _middlewares(self, ns: str, refs: list[tuple[str, str]]) -> list[dict] | None:
        out = []
        for mns, name in refs:
            mw = self.by_kind.get(("Middleware", mns, name))
            if mw is None:
                return None
            chain = _d(_d(mw.get("spec")).get("chain"))
            if chain:
                inner = self._middlewares(mns, [(str(_d(r).get("namespace") or mns), str(_d(r).get("name")))
                                                for r in _l(chain.get("middlewares"))])
                if inner is None:
                    return None
                out += inner
            else:
                out.append(_d(mw.get("spec")))
        return out

    def _ingressroute(self, o: dict) -> None:
        spec, ns = _d(o.get("spec")), _ns(o)
        eps = [str(e) for e in _l(spec.get("entryPoints"))] or ["web", "websecure"]
        tls = isinstance(spec.get("tls"), dict)
        for i, route in enumerate(_l(spec.get("routes"))):
            route = _d(route)
            try:
                node = rules.parse(str(route.get("match") or ""), v2=route.get("syntax") == "v2")
            except rules.RuleError:
                continue
            self.rules.append((node, tls and "websecure" in eps, not tls and "web" in eps))
            mws = self._middlewares(ns, [(str(_d(m).get("namespace") or ns), str(_d(m).get("name")))
                                         for m in _l(route.get("middlewares"))])
            if mws is None:
                continue
            prio = route.get("priority")
            prio = prio if isinstance(prio, int) and prio != 0 else len(str(route.get("match")))
            backs, mirrors = self._targets(ns, _l(route.get("services")), Fraction(1))
            self.routers.append(_Router(f"IngressRoute {ns}/{_name(o)} spec.routes[{i}]", node, prio,
                                        tls and "websecure" in eps, not tls and "web" in eps, mws, backs, mirrors))
            if tls and _d(spec.get("tls")).get("secretName"):
                self.cert_hosts |= _hosts(node)

    def _ingress(self, o: dict) -> None:
        ann = {str(k)[len(PREFIX):].lower(): str(v) for k, v in _d(_d(o.get("metadata")).get("annotations")).items()
               if str(k).startswith(PREFIX)}
        spec, ns = _d(o.get("spec")), _ns(o)
        eps = [e.strip() for e in ann.get("router.entrypoints", "web,websecure").split(",")]
        has_tls = bool(_l(spec.get("tls")))
        for t in _l(spec.get("tls")):
            if _d(t).get("secretName"):
                self.cert_hosts |= {str(h) for h in _l(_d(t).get("hosts"))}
        tls_only = ann.get("router.tls", "").lower() == "true"
        refs = []
        for ref in [r.strip() for r in ann.get("router.middlewares", "").split(",") if r.strip()]:
            name, _, provider = ref.partition("@")
            found = next(((_ns(m), _name(m)) for (k, _, _), m in self.by_kind.items()
                          if k == "Middleware" and f"{_ns(m)}-{_name(m)}" == name), None)
            if found is None or provider not in ("", "kubernetescrd"):
                return
            refs.append(found)
        mws = self._middlewares(ns, refs)
        if mws is None:
            return
        matcher = ann.get("router.pathmatcher", "PathPrefix")
        for i, rule in enumerate(_l(spec.get("rules"))):
            rule = _d(rule)
            host = rule.get("host")
            for j, p in enumerate(_l(_d(rule.get("http")).get("paths"))):
                p = _d(p)
                kind = {"Exact": "Path", "Prefix": "PathPrefix"}.get(str(p.get("pathType")), matcher)
                text = (f"Host(`{host}`) && " if host else "") + f"{kind}(`{p.get('path') or '/'}`)"
                try:
                    node = rules.parse(text)
                except rules.RuleError:
                    continue
                prio = ann.get("router.priority", "")
                prio_n = int(prio) if prio.lstrip("-").isdigit() and int(prio) != 0 else len(text)
                svc = _d(_d(p.get("backend")).get("service"))
                port = self._port(ns, str(svc.get("name")), _d(svc.get("port")).get("number") or _d(svc.get("port")).get("name"))
                backs = [(f"{ns}/{svc.get('name')}:{port}" if port else "<500>", Fraction(1))]
                label = f"Ingress {ns}/{_name(o)} spec.rules[{i}].http.paths[{j}]"
                self.routers.append(_Router(label, node, prio_n, (tls_only or has_tls) and "websecure" in eps,
                                            not tls_only and "web" in eps, mws, backs))

    # -- requests ---------------------------------------------------------------------------

    def requests(self) -> list[Request]:
        """Probes only the source can name: each router's hosts and paths (a router the
        conversion dropped included) and, per negation, a request it excluded."""
        out: list[Request] = []
        ingress = [(r.node, r.tls, r.plain) for r in self.routers if r.label.startswith("Ingress ")]
        for node, https, http in self.rules + ingress:
            schemes = [s for s, on in (("https", https), ("http", http)) if on]
            for conj in rules.dnf(node):
                base = _base(conj)
                if base is None:
                    continue
                variants = [base]
                path = next((c for neg, c in conj if not neg and c.name == "PathPrefix"), None)
                if path is not None and path.args[0] != "/":
                    variants.append(dict(base, path=path.args[0].rstrip("/") + "/x"))
                for negated, call in conj:
                    if negated:
                        variants += _excluded(base, call)
                for v in variants:
                    for scheme in schemes:
                        out.append(Request(scheme=scheme, **v))
        return out

    def has_certificate(self, host: str) -> bool:
        return any(rules.host_matches(h, host) for h in self.cert_hosts)

    def handle(self, request: Request) -> Outcome:
        https = request.scheme == "https"
        candidates = [r for r in self.routers if (r.tls if https else r.plain)]
        candidates.sort(key=lambda r: (-r.priority, r.order))
        for router in candidates:
            if rules.evaluate(router.node, request):
                return self._serve(router, request)
        return Outcome(404, notes=("no router matched",))

    def _serve(self, router: _Router, request: Request) -> Outcome:
        path, headers_set, removed = request.path, {}, []
        for spec in router.middlewares:
            if "redirectScheme" in spec:
                rs = _d(spec["redirectScheme"])
                scheme = str(rs.get("scheme") or "https")
                port = rs.get("port")
                if scheme != request.scheme or (port and int(str(port)) != request.effective_port):
                    code = (301 if request.method == "GET" else 308) if rs.get("permanent") else \
                        (302 if request.method == "GET" else 307)
                    shown = "" if not port or {"http": 80, "https": 443}.get(scheme) == int(str(port)) else f":{port}"
                    return Outcome(code, location=f"{scheme}://{request.hostname}{shown}{request.target}", rule=router.label)
            if "redirectRegex" in spec:
                rr = _d(spec["redirectRegex"])
                url = f"{request.scheme}://{request.host}{request.target}"
                try:
                    if re.search(str(rr.get("regex")), url):
                        repl = re.sub(r"\$\{?(\d+)\}?", r"\\\1", str(rr.get("replacement") or ""))
                        location = re.sub(str(rr.get("regex")), repl, url, count=1)
                        code = (301 if request.method == "GET" else 308) if rr.get("permanent") else \
                            (302 if request.method == "GET" else 307)
                        parts = urlsplit(location)
                        if not parts.path:
                            location = location.replace(parts.netloc, parts.netloc + "/", 1)
                        return Outcome(code, location=location, rule=router.label)
                except re.error:
                    pass
            if any(k in spec for k in ("basicAuth", "digestAuth", "forwardAuth")):
                return Outcome(401, rule=router.label, notes=("no credentials",))
            if any(k in spec for k in ("ipAllowList", "ipWhiteList")):
                return Outcome(int(_d(spec.get("ipAllowList") or spec.get("ipWhiteList")).get("rejectStatusCode") or 403),
                               rule=router.label)
            if "stripPrefix" in spec:
                for prefix in _l(_d(spec["stripPrefix"]).get("prefixes")):
                    if path.startswith(str(prefix)):
                        path = "/" + path[len(str(prefix)):].lstrip("/") if path[len(str(prefix)):].startswith("/") or not path[len(str(prefix)):] else path[len(str(prefix)):]
                        if not path.startswith("/"):
                            path = "/" + path
                        headers_set["X-Forwarded-Prefix"] = str(prefix).rstrip("/") or str(prefix)
                        break
            if "addPrefix" in spec:
                path = str(_d(spec["addPrefix"]).get("prefix") or "").rstrip("/") + path
            if "replacePath" in spec:
                path = str(_d(spec["replacePath"]).get("path") or "/")
            if "replacePathRegex" in spec:
                rp = _d(spec["replacePathRegex"])
                try:
                    repl = re.sub(r"\$\{?(\d+)\}?", r"\\\1", str(rp.get("replacement") or ""))
                    path = re.sub(str(rp.get("regex")), repl, path) or "/"
                except re.error:
                    pass
            if "headers" in spec:
                for k, v in _d(_d(spec["headers"]).get("customRequestHeaders")).items():
                    if v in ("", None):
                        removed.append(str(k))
                    else:
                        headers_set[str(k)] = str(v)
        backends = tuple((ref, int(w * 1000)) for ref, w in router.backends)
        if not backends or all(ref == "<500>" for ref, _ in backends):
            return Outcome(500, rule=router.label)
        return Outcome(200, backends=backends, path=join_query(path, request.query), host=request.host,
                       headers_set=tuple(headers_set.items()), headers_removed=tuple(removed),
                       mirrors=tuple(router.mirrors), rule=router.label)


def _base(conj: list[rules.Literal]) -> dict | None:
    """A request meeting the conjunction's plain positive conditions (None: a host it cannot name)."""
    req: dict = {"host": "example.com", "path": "/", "method": "GET", "headers": (), "query": ()}
    for negated, call in conj:
        if negated:
            continue
        name, args = call.name, call.args
        if name in ("Host", "HostRegexp"):
            host = args[0].lower() if name == "Host" else (rules.host_regexp_as_wildcard(args[0]) or (None,))[0]
            if host is None:
                return None
            req["host"] = "a" + host[1:] if host.startswith("*.") else host
        elif name in ("Path", "PathPrefix"):
            req["path"] = args[0]
        elif name == "Header":
            req["headers"] += ((args[0], args[1]),)
        elif name == "Query" and len(args) == 2:
            req["query"] += ((args[0], args[1]),)
        elif name == "Method":
            req["method"] = args[0].upper()
    return req


def _excluded(base: dict, call: rules.Call) -> list[dict]:
    """Requests like ``base`` that the negated ``call`` kept away from the router."""
    name, args = call.name, call.args
    if name == "Path":
        return [dict(base, path=args[0])]
    if name == "PathPrefix":
        out = [dict(base, path=args[0]), dict(base, path=args[0].rstrip("/") + "/x")]
        if not args[0].endswith("/"):
            out.append(dict(base, path=args[0] + "-x"))  # character-wise: Traefik excluded it too
        return out
    if name == "Header" and len(args) == 2:
        return [dict(base, headers=base["headers"] + ((args[0], args[1]),))]
    if name == "Query" and len(args) == 2:
        return [dict(base, query=base["query"] + ((args[0], args[1]),))]
    if name == "Method":
        return [dict(base, method=args[0].upper())]
    if name == "Host":
        host = args[0].lower()
        return [dict(base, host="a" + host[1:] if host.startswith("*.") else host)]
    return []


def _ns(o: dict) -> str:
    return str(_d(o.get("metadata")).get("namespace") or "default")


def _name(o: dict) -> str:
    return str(_d(o.get("metadata")).get("name") or "")


def _hosts(node: rules.Node) -> set[str]:
    out: set[str] = set()
    for conj in rules.dnf(node):
        out |= {c.args[0].lower() for neg, c in conj if c.name == "Host" and not neg}
    return out
