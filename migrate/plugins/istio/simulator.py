"""What Istio does with a request: the source half of the semantic diff.

North-south (``handle``): the Istio Gateway servers listening on the request's port
and scheme whose hosts match; an HTTP server with ``tls.httpsRedirect`` answers 301;
otherwise the VirtualServices bound to that Gateway, from the namespaces the server
host admits, whose hosts match most specifically (exact, then the longest wildcard,
then ``*``), their http[] in order: the first match wins. No server, no VirtualService
or no match: 404.

East-west (``handle_mesh``): the VirtualServices bound to ``mesh`` (or without
gateways) for the Service, visible to the client's namespace (exportTo); the first
one in the client's namespace, else the Service's, else any. No VirtualService, or no
rule matching: Istio's default routing, straight to the Service.

With no Istio Gateway in the input at all, each Gateway the VirtualServices name is
assumed to exist with an HTTP/80 and an HTTPS/443 server for every host, as the
Gateway API half assumes for the Gateways its routes reference.

Choices where Istio's docs are silent (ours): several VirtualServices for one host
are evaluated in input order; a redirect without port keeps the listener's port,
or the well-known port of a scheme it changes; a missing destination port is the
Service's only port, else 80; uri rewrite on a prefix match replaces the matched
string (Envoy prefix_rewrite), otherwise the whole path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from migrate.semantics.request import WELL_KNOWN_PORTS, Outcome, Request, join_query
from migrate.plugins.istio.http import envoy_prefix_rewrite
from migrate.plugins.istio.parse import (
    MESH, METHODS, StringMatch, destination_port, gateway_ref, host_matches, is_istio, percent_of, service_of,
    split_server_host, string_match,
)

HTTP_LIKE = ("HTTP", "HTTP2", "GRPC", "GRPC-WEB")
TERMINATE = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")


def _meta(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name") or "")


def _spec(obj: dict) -> dict:
    return obj.get("spec") if isinstance(obj.get("spec"), dict) else {}


def _host_rank(pattern: str, host: str) -> tuple[int, int] | None:
    if not host_matches(pattern, host):
        return None
    if pattern == "*":
        return (0, 0)
    return (1, len(pattern)) if pattern.startswith("*.") else (2, len(pattern))


class IstioSimulator:
    def __init__(self, objects: list[dict]) -> None:
        self.gateways: dict[tuple[str, str], dict] = {}
        self.virtual_services: list[dict] = []
        self.services: dict[tuple[str, str], dict] = {}
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            if obj.get("kind") == "Service" and obj.get("apiVersion") == "v1":
                self.services[_meta(obj)] = obj
            elif is_istio(obj) and obj.get("kind") == "Gateway":
                self.gateways[_meta(obj)] = obj
            elif is_istio(obj) and obj.get("kind") == "VirtualService":
                self.virtual_services.append(obj)
        if not self.gateways:
            self._implicit_gateways()

    def _implicit_gateways(self) -> None:
        """No Gateway in the input: each Gateway the VirtualServices name is taken to exist with an HTTP/80
        and a TLS-terminating HTTPS/443 server for every host and namespace, as the output half assumes
        for the Gateways its routes reference (no certificate is known, so https is not compared)."""
        for vs in self.virtual_services:
            ns, _ = _meta(vs)
            for raw in _spec(vs).get("gateways") or []:
                ref = gateway_ref(str(raw), ns) if str(raw) != MESH else None
                if ref is not None and ref not in self.gateways:
                    self.gateways[ref] = {"spec": {"servers": [
                        {"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["*/*"]},
                        {"port": {"number": 443, "protocol": "HTTPS"}, "hosts": ["*/*"], "tls": {"mode": "SIMPLE"}},
                    ]}}

    # -- north-south -------------------------------------------------------------------------

    def _servers(self, request: Request) -> list[tuple[tuple[str, str], int, dict, str | None]]:
        """(gateway, index, server, admitted namespace) serving the request, most specific host first."""
        port, host = request.effective_port, request.hostname
        found = []
        for key, gw in self.gateways.items():
            for i, server in enumerate(_spec(gw).get("servers") or []):
                if not isinstance(server, dict) or not isinstance(server.get("port"), dict):
                    continue
                if server["port"].get("number") != port:
                    continue
                protocol = str(server["port"].get("protocol") or "").upper()
                tls = server.get("tls") if isinstance(server.get("tls"), dict) else {}
                mode = str(tls.get("mode") or ("SIMPLE" if tls.get("credentialName") else ""))
                plain = protocol in HTTP_LIKE and (protocol == "HTTP" or mode not in TERMINATE)
                secure = (protocol == "HTTPS" or protocol in HTTP_LIKE) and mode in TERMINATE and protocol != "HTTP"
                if (request.scheme == "http" and not plain) or (request.scheme == "https" and not secure):
                    continue
                for raw in server.get("hosts") or []:
                    ns, dns = split_server_host(str(raw), key[0])
                    rank = _host_rank(dns, host)
                    if rank is not None:
                        found.append((rank, key, i, server, ns))
        found.sort(key=lambda item: item[0], reverse=True)
        return [(key, i, server, ns) for _, key, i, server, ns in found]

    def has_certificate(self, host: str) -> bool:
        request = Request(host=host, scheme="https")
        for gw in self.gateways.values():
            for server in _spec(gw).get("servers") or []:
                if not isinstance(server, dict) or not isinstance(server.get("tls"), dict):
                    continue
                tls = server["tls"]
                if not tls.get("credentialName") or str(tls.get("mode") or "SIMPLE") not in TERMINATE:
                    continue
                if any(host_matches(split_server_host(str(h), "")[1], request.hostname) for h in server.get("hosts") or []):
                    return True
        return False

    def handle(self, request: Request) -> Outcome:
        servers = self._servers(request)
        if not servers:
            return Outcome(404)
        key, index, server, _ = servers[0]
        # every host of that server naming the request's host admits its namespace (None: any)
        named = {ns for k, i, _s, ns in servers if (k, i) == (key, index)}
        admitted = None if None in named else named
        label = f"Gateway {key[0]}/{key[1]} spec.servers[{index}]"
        tls = server.get("tls") if isinstance(server.get("tls"), dict) else {}
        if request.scheme == "http" and tls.get("httpsRedirect") is True:
            return Outcome(301, location=f"https://{request.hostname}{request.target}", rule=label)
        best: tuple[int, int] | None = None
        chosen: list[dict] = []
        for vs in self.virtual_services:
            ns, _ = _meta(vs)
            spec = _spec(vs)
            if admitted is not None and ns not in admitted:
                continue
            refs = {gateway_ref(str(g), ns) for g in spec.get("gateways") or []}
            if key not in refs:
                continue
            ranks = [_host_rank(self._fqdn(str(h), ns), request.hostname) for h in spec.get("hosts") or []]
            ranks = [r for r in ranks if r is not None]
            if not ranks:
                continue
            rank = max(ranks)
            if best is None or rank > best:
                best, chosen = rank, [vs]
            elif rank == best:
                chosen.append(vs)
        for vs in chosen:
            outcome = self._http(vs, request, gateway=key, port=request.effective_port, client=None)
            if outcome is not None:
                return outcome
        return Outcome(404)

    @staticmethod
    def _fqdn(host: str, ns: str) -> str:
        return host if "." in host or host == "*" else f"{host}.{ns}.svc.cluster.local"

    # -- east-west -------------------------------------------------------------------------------

    def handle_mesh(self, service: tuple[str, str], port: int, request: Request, *,
                    client_namespace: str | None = None) -> Outcome:
        service = tuple(service)  # type: ignore[assignment]
        candidates = []
        for vs in self.virtual_services:
            ns, _ = _meta(vs)
            spec = _spec(vs)
            gateways = spec.get("gateways")
            if gateways is not None and MESH not in gateways:
                continue
            if not any(service_of(str(h), ns) == service for h in spec.get("hosts") or []):
                continue
            export = [str(e) for e in spec.get("exportTo") or ["*"]]
            visible = "*" in export or client_namespace in export or ("." in export and client_namespace == ns)
            if visible:
                candidates.append(vs)
        candidates.sort(key=lambda vs: (_meta(vs)[0] != client_namespace, _meta(vs)[0] != service[0]))
        label = f"Service {service[0]}/{service[1]} (no VirtualService: Istio default routing)"
        if candidates:
            outcome = self._http(candidates[0], request, gateway=None, port=port, client=client_namespace)
            if outcome is not None:
                return outcome
            ns, name = _meta(candidates[0])
            label = f"VirtualService {ns}/{name} (no http match: Istio default routing)"
        return Outcome(200, backends=((f"{service[0]}/{service[1]}:{port}", 1),), path=request.target,
                       host=request.host, rule=label)

    # -- one VirtualService -----------------------------------------------------------------------

    def _http(self, vs: dict, request: Request, *, gateway: tuple[str, str] | None, port: int,
              client: str | None) -> Outcome | None:
        ns, name = _meta(vs)
        for i, item in enumerate(_spec(vs).get("http") or []):
            if not isinstance(item, dict):
                continue
            matched = self._first_match(item.get("match"), request, ns, gateway, port, client)
            if matched is False:
                continue
            label = f"VirtualService {ns}/{name} http[{i}]"
            delegate = item.get("delegate")
            if isinstance(delegate, dict):
                child = self._find(str(delegate.get("namespace") or ns), str(delegate.get("name") or ""))
                if child is None:
                    return Outcome(404, rule=label + " (delegate missing)")
                got = self._http(child, request, gateway=gateway, port=port, client=client) or Outcome(404)
                return replace(got, rule=f"{label} (delegate {got.rule})")
            return self._apply(item, matched, request, ns, port, label)
        return None

    def _find(self, ns: str, name: str) -> dict | None:
        return next((vs for vs in self.virtual_services if _meta(vs) == (ns, name)), None)

    def _first_match(self, matches: Any, request: Request, ns: str, gateway: tuple[str, str] | None, port: int,
                     client: str | None) -> StringMatch | None | bool:
        """False when no match applies; else the uri StringMatch of the matching one (None: no uri)."""
        if not matches:
            return None
        for m in matches if isinstance(matches, list) else []:
            if isinstance(m, dict) and self._matches(m, request, ns, gateway, port, client):
                return string_match(m.get("uri")) if "uri" in m else None
        return False

    def _matches(self, m: dict, request: Request, ns: str, gateway: tuple[str, str] | None, port: int,
                 client: str | None) -> bool:
        fold = m.get("ignoreUriCase") is True
        if "uri" in m:
            uri = string_match(m["uri"])
            if uri is None or not uri.matches(request.path, fold=fold):
                return False
        if "method" in m:
            method = string_match(m["method"])
            if method is None or not method.matches(request.method.upper()):
                return False
        if "scheme" in m:
            scheme = string_match(m["scheme"])
            if scheme is None or not scheme.matches(request.scheme):
                return False
        if "authority" in m:
            authority = string_match(m["authority"])
            if authority is None or not authority.matches(request.host):
                return False
        for name, value in (m.get("headers") or {}).items():
            wanted = string_match(value)
            if wanted is None or not wanted.matches(request.header(str(name))):
                return False
        for name in (m.get("withoutHeaders") or {}):
            if request.header(str(name)) is not None:
                return False
        for name, value in (m.get("queryParams") or {}).items():
            got = next((v for k, v in request.query if k == name), None)
            wanted = string_match(value)
            if wanted is None or not wanted.matches(got):
                return False
        if "port" in m and m["port"] != port:
            return False
        gws = m.get("gateways")
        if isinstance(gws, list):
            refs = {gateway_ref(str(g), ns) for g in gws}
            if (gateway is None and None not in refs) or (gateway is not None and gateway not in refs):
                return False
        if "sourceNamespace" in m and (gateway is not None or m["sourceNamespace"] != client):
            return False
        if "sourceLabels" in m:
            return False  # the client's Pod labels are unknown here: assume they do not match
        return True

    def _backend(self, dest: dict, ns: str) -> str:
        svc = service_of(str(dest.get("host") or ""), ns) or (ns, str(dest.get("host") or "").split(".")[0])
        port = destination_port(dest)
        if port is None:
            ports = (_spec(self.services.get(svc, {})).get("ports") or [])
            port = ports[0].get("port") if len(ports) == 1 and isinstance(ports[0], dict) else 80
        return f"{svc[0]}/{svc[1]}:{port}"

    def _apply(self, item: dict, uri: StringMatch | None, request: Request, ns: str, port: int, label: str) -> Outcome:
        redirect = item.get("redirect")
        if isinstance(redirect, dict):
            code = redirect.get("redirectCode", 301)
            scheme = redirect.get("scheme") or request.scheme
            target_port = redirect.get("port")
            if target_port is None:
                target_port = WELL_KNOWN_PORTS.get(scheme, port) if redirect.get("scheme") else port
            host = redirect.get("authority") or request.hostname
            path = redirect.get("uri") or request.path
            shown = "" if WELL_KNOWN_PORTS.get(scheme) == int(target_port) else f":{target_port}"
            return Outcome(int(code), location=f"{scheme}://{host}{shown}{join_query(path, request.query)}", rule=label)
        if "directResponse" in item:
            status = (item.get("directResponse") or {}).get("status", 200)
            return Outcome(int(status) if isinstance(status, int) else 200, rule=label)
        routes = [r for r in item.get("route") or [] if isinstance(r, dict) and isinstance(r.get("destination"), dict)]
        if not routes:
            return Outcome(500, rule=label)
        backends = []
        for r in routes:
            weight = r.get("weight")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
                weight = None  # unreadable: Istio's validation would have refused it
            backends.append((self._backend(r["destination"], ns), 100 if weight is None and len(routes) == 1 else weight or 0))
        path = request.path
        host = request.host
        rewrite = item.get("rewrite") if isinstance(item.get("rewrite"), dict) else {}
        if isinstance(rewrite.get("uri"), str):
            if uri is not None and uri.kind == "prefix":
                path = envoy_prefix_rewrite(path, uri.value, rewrite["uri"])
            elif uri is None:
                path = envoy_prefix_rewrite(path, "/", rewrite["uri"])
            else:
                path = rewrite["uri"]
        if rewrite.get("authority"):
            host = str(rewrite["authority"])
        sets, adds, removes = [], [], []
        header_sources = [item.get("headers")]
        if len([b for b in backends if b[1] > 0]) == 1:
            header_sources.append(next(r for r, b in zip(routes, backends) if b[1] > 0).get("headers"))
        for headers in header_sources:
            request_ops = (headers or {}).get("request") if isinstance(headers, dict) else None
            if isinstance(request_ops, dict):
                removes += [str(x) for x in request_ops.get("remove") or []]
                sets += [(str(k), str(v)) for k, v in (request_ops.get("set") or {}).items()]
                adds += [(str(k), str(v)) for k, v in (request_ops.get("add") or {}).items()]
        mirrors = []
        if isinstance(item.get("mirror"), dict):
            pct = percent_of(item.get("mirrorPercentage", item.get("mirrorPercent", item.get("mirror_percent"))))
            target = self._backend(item["mirror"], ns)
            mirrors.append(target + (f" ({int(pct + 0.5)}%)" if pct is not None else ""))
        for m in item.get("mirrors") or []:
            if isinstance(m, dict) and isinstance(m.get("destination"), dict):
                pct = percent_of(m.get("percentage"))
                mirrors.append(self._backend(m["destination"], ns) + (f" ({int(pct + 0.5)}%)" if pct is not None else ""))
        return Outcome(200, backends=tuple(backends), path=join_query(path, request.query), host=host,
                       headers_set=tuple(sets), headers_added=tuple(adds), headers_removed=tuple(removes),
                       mirrors=tuple(mirrors), rule=label)


__all__ = ["IstioSimulator", "METHODS"]
