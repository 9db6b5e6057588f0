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
- A service without a name or with a port that is not a number 1-65535 is left out, as Contour
  leaves out a service it cannot resolve (the API server rejects a non-number before Contour sees
  it; the conversion leaves such a service out too): a route left with none answers 503.
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
from typing import Any, Iterable

from migrate.plugins.contour import conditions as cond_mod
from migrate.plugins.contour.includes import walk
from migrate.plugins.contour.sim_match import header_ok, host_matches, path_matches, query_ok
from migrate.plugins.contour.sim_model import SimObject, SimRoute, VHost, contour_class, render_path
from migrate.plugins.contour.sim_probes import probes
from migrate.plugins.contour.sim_respond import denied, respond, vhost_controls
from migrate.plugins.contour.util import GROUP, PREFIX, as_dict, as_list, text
from migrate.semantics.request import Outcome, Request

_REGEX_CHARS = re.compile(r"[\^+*\[\]%]")


class ContourSimulator:
    """Contour's answers to requests, from the HTTPProxies, delegations and Ingresses it was given."""

    def __init__(self, objects: Iterable[dict[str, Any]]) -> None:
        objs = [o for o in objects if isinstance(o, dict)]
        self.services = {(SimObject(o).namespace, SimObject(o).name): o for o in objs if o.get("kind") == "Service"}
        self.vhosts: dict[str, VHost] = {}
        self.certs: set[str] = set()
        self._order = 0
        proxies = [SimObject(o) for o in objs if o.get("kind") == "HTTPProxy" and str(o.get("apiVersion", "")).startswith(GROUP)
                   and isinstance(o.get("spec"), dict) and contour_class(o)]
        self.delegations = [SimObject(o) for o in objs if o.get("kind") == "TLSCertificateDelegation"]
        self._proxies(proxies)
        for o in objs:
            if o.get("kind") == "Ingress":
                self._ingress(SimObject(o))

    # -- HTTPProxy ---------------------------------------------------------------------

    def _proxies(self, proxies: list[SimObject]) -> None:
        index = {(p.namespace, p.name): p for p in proxies}
        fqdns: dict[str, list[SimObject]] = {}
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
            controls = vhost_controls(spec)
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

    def _delegated(self, root: SimObject, secret: str) -> bool:
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

    def _flat(self, root: SimObject, flat: Any, controls: dict[str, Any]) -> SimRoute:
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
        sim.denied = denied(route, controls)
        if route.get("requestRedirectPolicy") is not None:
            sim.redirect = as_dict(route["requestRedirectPolicy"])
            return sim
        if route.get("directResponsePolicy") is not None:
            sim.status = as_dict(route["directResponsePolicy"]).get("statusCode") or 200
            return sim
        items = [as_dict(s) for s in as_list(route.get("services")) if _resolvable(as_dict(s))]
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

    def _ingress(self, ing: SimObject) -> None:
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
                vh.routes.append(SimRoute(f"Ingress {ing.namespace}/{ing.name} {render_path(p.path)}", path,
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
        return any(host_matches(c, host) for c in self.certs)

    def _vhost(self, host: str) -> VHost | None:
        if host in self.vhosts:
            return self.vhosts[host]
        for name, vh in self.vhosts.items():
            if name.startswith("*.") and host_matches(name, host):
                return vh
        return self.vhosts.get("*")

    def handle(self, request: Request) -> Outcome:
        vh = self._vhost(request.hostname)
        if vh is None:
            return Outcome(404, notes=("no virtual host",))
        if vh.tls_only and request.scheme == "https":
            return Outcome(404, notes=("tcpproxy host: not HTTP",))
        for route in sorted(vh.routes, key=SimRoute.sort_key):
            if not (path_matches(route.path, request.path) and all(header_ok(h, request) for h in route.headers)
                    and all(query_ok(q, request) for q in route.query)):
                continue
            if request.scheme == "http":
                if vh.http == "refuse":
                    return Outcome(404, rule=route.rule, notes=("allow-http false",))
                if vh.http == "redirect" or (vh.secure and not route.insecure):
                    return Outcome(301, location=f"https://{request.hostname}{request.target}", rule=route.rule)
            return respond(route, request)
        return Outcome(404)

    def requests(self) -> list[Request]:
        """Probes only Contour's configuration can name (see the module doc)."""
        return probes(self.vhosts)


def _resolvable(service: dict) -> bool:
    """A service entry that names a Service and a valid port (see the module doc)."""
    port = service.get("port")
    return bool(text(service.get("name"))) and isinstance(port, int) and not isinstance(port, bool) \
        and 1 <= port <= 65535
