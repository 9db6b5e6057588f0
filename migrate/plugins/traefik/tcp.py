"""IngressRouteTCP -> TLSRoute (SNI, passthrough or terminate) or TCPRoute (HostSNI(`*`));
IngressRouteUDP -> UDPRoute; MiddlewareTCP access controls fail closed."""

from __future__ import annotations

from typing import Any

from migrate.ir import Backend, GatewayParent, ObjectRef, Origin, Route, Rule
from migrate.names import host_slug
from migrate.plugin import SourceObject
from migrate.plugins.traefik import rules
from migrate.plugins.traefik.services import resolve_port
from migrate.plugins.traefik.state import Run, as_dict, as_list, entry_point_port

Path_ = tuple[Any, ...]
TCP_OPTIONS = ("proxyProtocol", "tls", "serversTransport", "nativeLB", "nodePortLB", "terminationDelay")


def _ports(run: Run, obj: SourceObject) -> list[tuple[str, int]]:
    spec = as_dict(obj.data.get("spec"))
    out = []
    obj.account(("spec", "entryPoints"))
    for ep in [str(e) for e in as_list(spec.get("entryPoints"))]:
        port = entry_point_port(ep)
        if port is None:
            run.ctx.report("TRF015", obj, ("spec", "entryPoints"), f"entry point {ep!r}: port unknown (Traefik's static "
                           "configuration); no listener is made for it")
        else:
            if ep not in ("web", "websecure"):
                run.ctx.report("TRF015", obj, ("spec", "entryPoints"), f"entry point {ep!r}: port {port} taken from "
                               "its name; check it against Traefik's static configuration")
            out.append((ep, port))
    if not as_list(spec.get("entryPoints")):
        run.ctx.report("TRF015", obj, ("spec",), "no entryPoints: Traefik uses every default entry point, whose ports "
                       "are in its static configuration; no listener is made")
    return out


def _backends(run: Run, obj: SourceObject, path: Path_, items: Any, udp: bool = False) -> list[Backend]:
    out = []
    obj.account(path)
    items = [s for s in as_list(items) if isinstance(s, dict)]
    for i, ref in enumerate(items):
        backend_options(run, obj, path + (i,), ref)
        ns = str(ref.get("namespace") or obj.namespace)
        port = resolve_port(run, ns, str(ref.get("name") or ""), ref.get("port"))
        if port is None:
            run.ctx.report("TRF026", obj, path + (i,), f"port {ref.get('port')!r} of {ref.get('name')} cannot be resolved")
            continue
        weight = ref.get("weight")
        out.append(Backend(str(ref.get("name")), port, ns if ns != obj.namespace else None,
                           weight=int(weight) if isinstance(weight, int) and len(items) > 1 else None,
                           origin=Origin(obj.source(path + (i,)), [])))
    return out


def backend_options(run: Run, obj: SourceObject, path: Path_, ref: dict) -> None:
    for key in TCP_OPTIONS:
        if key in ref:
            run.ctx.report("TRF001", obj, path + (key,), f"{key}: {ref[key]!r}: not converted (implementation-specific)")


def convert_tcp(run: Run, obj: SourceObject) -> list[Route]:
    run.legacy_group(obj)
    spec = as_dict(obj.data.get("spec"))
    gateway = run.gateway(obj, None, None)
    ports = _ports(run, obj)
    tls = spec.get("tls") if isinstance(spec.get("tls"), dict) else None
    secret = passthrough = None
    blocks: list[str] = []
    if tls is not None:
        obj.account(("spec", "tls"))
        passthrough = tls.get("passthrough") is True
        secret = tls.get("secretName")
        tcp_tls(run, obj, tls, blocks)
    routes = []
    obj.account(("spec", "routes"))
    for i, entry in enumerate(as_list(spec.get("routes"))):
        entry = as_dict(entry)
        rpath = ("spec", "routes", i)
        try:
            node = rules.parse(str(entry.get("match") or ""), tcp=True, v2=entry.get("syntax") == "v2")
        except rules.RuleError as exc:
            run.ctx.report("TRF025", obj, rpath + ("match",), f"rule {entry.get('match')!r}: {exc}")
            continue
        hosts, wildcard = [], False
        for conj in rules.dnf(node):
            for negated, call in conj:
                if call.name == "HostSNI" and not negated:
                    if call.args[0] == "*":
                        wildcard = True
                    else:
                        hosts.append(call.args[0].lower())
                elif call.name == "ClientIP":
                    run.ctx.report("TRF008", obj, rpath + ("match",), f"{call}: no source-address match; fails closed")
                    blocks.append(f"IngressRouteTCP {obj.namespace}/{obj.name} ClientIP")
                else:
                    run.ctx.report("TRF007", obj, rpath + ("match",), f"{'!' if negated else ''}{call}: not expressible "
                                   "in TLSRoute/TCPRoute; dropped (the route matches more connections)")
        obj.account(rpath + ("match",), rpath + ("syntax",))
        if "priority" in entry:
            run.ctx.report("TRF001", obj, rpath + ("priority",), "priority: Gateway API picks TLS routes by SNI "
                           "specificity; the explicit order is not kept")
        for j, ref in enumerate(as_list(entry.get("middlewares"))):
            ref = as_dict(ref)
            mw = run.find("MiddlewareTCP", str(ref.get("namespace") or obj.namespace), str(ref.get("name") or ""))
            if mw is None:
                run.ctx.report("TRF011", obj, rpath + ("middlewares", j), f"MiddlewareTCP {ref.get('name')} not in the "
                               "input: Traefik does not create this router")
                break
            blocks += middleware_tcp(run, mw)
        else:
            obj.account(rpath + ("middlewares",))
            backends = _backends(run, obj, rpath + ("services",), entry.get("services"))
            kind = "TLSRoute" if tls is not None and not wildcard else "TCPRoute"
            if kind == "TCPRoute" and tls is not None:
                run.ctx.report("TRF001", obj, ("spec", "tls"), "HostSNI(`*`) with tls: a TCPRoute cannot terminate TLS "
                               "per SNI; the TCP listener passes the bytes through")
            parents = []
            for ep, port in ports:
                if kind == "TLSRoute":
                    for host in hosts:
                        cert = ObjectRef(str(secret), obj.namespace) if secret and not passthrough else None
                        listener = run.port_listener(gateway, "TLS", port, host, entry_point=ep,
                                                     mode="Passthrough" if passthrough else "Terminate", cert=cert)
                        parents.append(GatewayParent(gateway.namespace, gateway.name, listener.name))
                else:
                    listener = run.port_listener(gateway, "TCP", port, None, entry_point=ep)
                    parents.append(GatewayParent(gateway.namespace, gateway.name, listener.name))
            if not parents or not backends:
                continue
            name = obj.name if len(as_list(spec.get("routes"))) == 1 else f"{obj.name}-{i}"
            route = Route(kind, obj.namespace, name, hosts if kind == "TLSRoute" else [], parents,
                          [Rule(backends=backends, origin=Origin(obj.source(rpath), []))], blocked_by=list(blocks))
            route.origin = Origin(obj.source(), obj.comments_at(()))
            routes.append(route)
    run.explain_rest(obj, routes)
    return routes


def tcp_tls(run: Run, obj: SourceObject, tls: dict, blocks: list[str]) -> None:
    if tls.get("passthrough") is True or tls.get("secretName"):
        obj.account(("spec", "tls", "passthrough"), ("spec", "tls", "secretName"))
    for key in ("certResolver", "domains", "store"):
        if key in tls:
            run.ctx.report("TRF016", obj, ("spec", "tls", key), f"tls.{key}: Traefik's certificate source; not carried over")
    ref = as_dict(tls.get("options"))
    if ref:
        from migrate.plugins.traefik.tls import enforces_client_auth, tls_option

        option = run.find("TLSOption", str(ref.get("namespace") or obj.namespace), str(ref.get("name") or ""))
        obj.account(("spec", "tls", "options"))
        if option is not None:
            tls_option(run, option)
            if enforces_client_auth(option):
                blocks.append(f"TLSOption {option.namespace}/{option.name} clientAuth")


def middleware_tcp(run: Run, mw: SourceObject) -> list[str]:
    run.legacy_group(mw)
    out = []
    for key in as_dict(mw.data.get("spec")):
        run.once("TRF002", mw, ("spec", key), f"{key}: a TCP access control with no Gateway API field; the routes "
                 "that use it are withheld unless --allow-security-downgrade")
        out.append(f"MiddlewareTCP {mw.namespace}/{mw.name} {key}")
    return out


def convert_udp(run: Run, obj: SourceObject) -> list[Route]:
    run.legacy_group(obj)
    spec = as_dict(obj.data.get("spec"))
    gateway = run.gateway(obj, None, None)
    ports = _ports(run, obj)
    routes = []
    obj.account(("spec", "routes"))
    for i, entry in enumerate(as_list(spec.get("routes"))):
        entry = as_dict(entry)
        backends = _backends(run, obj, ("spec", "routes", i, "services"), entry.get("services"), udp=True)
        parents = [GatewayParent(gateway.namespace, gateway.name,
                                 run.port_listener(gateway, "UDP", port, None, entry_point=ep).name) for ep, port in ports]
        if not parents or not backends:
            continue
        name = obj.name if len(as_list(spec.get("routes"))) == 1 else f"{obj.name}-{i}"
        route = Route("UDPRoute", obj.namespace, name, [], parents, [Rule(backends=backends)])
        route.origin = Origin(obj.source(), obj.comments_at(()))
        routes.append(route)
    run.explain_rest(obj, routes)
    return routes


_ = host_slug
