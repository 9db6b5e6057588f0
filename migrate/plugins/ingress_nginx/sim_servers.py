"""How ingress-nginx turns Ingresses into nginx servers and locations, and picks the
server and location for a request.

Modelled on the controller's ``createServers``/``getBackendServers``/
``updateServerLocations`` (the rules are in :mod:`.simulator`'s docstring). Separate from
the request's phases (:mod:`.sim_actions`): the configuration is built once per
simulator and is what every probe is matched against.
"""

from __future__ import annotations

import re

from migrate.plugins.ingress.parse import BackendSpec
from migrate.plugins.ingress_nginx.sim_model import (
    CATCH_ALL, NO_ANNOTATIONS, Annotations, Location, Server, Upstream, compile_pcre, redirect_config,
)
from migrate.semantics.ingress import IngressObject


class ServerConfig:
    """Part of :class:`~.simulator.NginxSimulator`: the servers, locations and upstreams."""

    prefix: str
    ingresses: list[IngressObject]
    ann: dict[int, Annotations]
    _canary_ids: set[int]
    mains: list[IngressObject]
    upstreams: dict[tuple, Upstream]
    servers: dict[str, Server]
    redirect_servers: dict[str, tuple[str, Server]]

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

    # -- selecting the server and location ----------------------------------------------

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
                compiled = compile_pcre("^" + loc.path)
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
