"""The Istio converter: Gateways first (listeners), then VirtualServices bound to them
or to the mesh, then DestinationRules (subsets, TLS origination).

A VirtualService gives one route per parent group: the Gateways it binds to (one
HTTPRoute or GRPCRoute, plus a TLSRoute or TCPRoute per tls[]/tcp[] entry) and, when
bound to ``mesh``, a GAMMA route per Service it names (migrate.plugins.istio.mesh).
Anything not converted by a handler is explained from the table's note at the end,
so every field ends accounted for.
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.ir import GatewayParent, GrpcMethod, Match, Origin, Route, Rule
from migrate.mapping_table import covering, generic_path, load_table
from migrate.names import slug
from migrate.plugins.istio import comments
from migrate.plugin import Context, Conversion, Failed, SourceObject
from migrate.plugins.istio import destination as dr
from migrate.plugins.istio import http, transport, mesh, order
from migrate.plugins.istio.gateways import IstioGateway, Server, ServerListener, convert_gateway
from migrate.plugins.istio.parse import MESH, gateway_ref, hosts_intersect, narrower, service_of, valid_hostname

Path_ = tuple[Any, ...]
#: metadata written by people or the API server that needs no conversion
QUIET_META = ("name", "namespace", "labels", "annotations", "uid", "resourceVersion", "generation",
              "creationTimestamp", "managedFields", "ownerReferences", "finalizers", "selfLink")


class Converter:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.table = load_table("istio")
        self.routes: list[Route] = []
        self.gateways: dict[tuple[str, str], IstioGateway] = {}
        #: (service ns, name) -> {subset name: labels}, from the DestinationRules
        self.subsets: dict[tuple[str, str], dict[str, dict]] = {}
        self.subset_reports: list[tuple[SourceObject, Path_, tuple[str, str], str]] = []

    # -- helpers used by the handler modules -------------------------------------------------

    def explain(self, obj: SourceObject, path: Path_, extra: str = "") -> None:
        """The table's note for ``path`` as an IST001 finding (IST002 when the table has no entry)."""
        kind = self.table.kinds.get(obj.kind)
        key = covering(kind.fields, generic_path(path)) if kind else None
        if key is None:
            self.ctx.report("IST002", obj, path, f"{generic_path(path)}: not an Istio field this plugin knows; ignored")
            return
        note = kind.fields[key].note
        self.ctx.report("IST001", obj, path, (extra + " " if extra else "") + note)

    def service_port(self, svc: tuple[str, str]) -> int | None:
        """The only port of a Service of the input (what Istio uses without port.number)."""
        service = self.ctx.services.get(svc)
        ports = ((service or {}).get("spec") or {}).get("ports") if isinstance(service, dict) else None
        if isinstance(ports, list) and len(ports) == 1 and isinstance(ports[0], dict):
            port = ports[0].get("port")
            return port if isinstance(port, int) else None
        return None

    def service_ports(self, svc: tuple[str, str]) -> list[int]:
        service = self.ctx.services.get(svc)
        ports = ((service or {}).get("spec") or {}).get("ports") if isinstance(service, dict) else None
        return [p["port"] for p in ports or [] if isinstance(p, dict) and isinstance(p.get("port"), int)]

    def subset_used(self, obj: SourceObject, path: Path_, svc: tuple[str, str], subset: str) -> None:
        self.subset_reports.append((obj, path, svc, subset))

    # -- the run ---------------------------------------------------------------------------------

    def convert_all(self, objs: Sequence[SourceObject]) -> Conversion:
        out = Conversion()
        readable = []
        for obj in objs:
            if not isinstance(obj.data.get("spec"), dict):
                out.failed.append(Failed(obj, "spec is missing or not a map"))
                continue
            if not obj.name:
                out.failed.append(Failed(obj, "metadata.name is missing"))
                continue
            readable.append(obj)
        for obj in readable:
            if obj.kind == "Gateway":
                gw = convert_gateway(self, obj)
                if gw is not None:
                    self.gateways[(obj.namespace, obj.name)] = gw
        for obj in readable:
            if obj.kind == "DestinationRule":
                dr.read_subsets(self, obj)
        for obj in readable:
            if obj.kind == "VirtualService":
                self.virtual_service(obj)
        for obj in readable:
            if obj.kind == "DestinationRule":
                dr.convert_rule(self, obj)
        dr.report_subsets(self)
        for obj in readable:
            self.sweep(obj)
        out.routes.extend(self.routes)
        return out

    def sweep(self, obj: SourceObject) -> None:
        """Explain, from the table, every field no handler converted or reported."""
        meta = obj.data.get("metadata")
        if isinstance(meta, dict):
            for key in meta:
                if key in QUIET_META:
                    obj.account(("metadata", key))
        kind = self.table.kinds.get(obj.kind)
        for path in _leaves(obj.data.get("spec"), ("spec",)):
            if obj.is_accounted(path):
                continue
            key = covering(kind.fields, generic_path(path)) if kind else None
            # report once on the part of the path the table entry names (it accounts all below)
            depth = len(path) if key is None else _depth(path, key)
            self.explain(obj, path[:depth])

    # -- VirtualService --------------------------------------------------------------------------

    def virtual_service(self, obj: SourceObject) -> None:
        spec = obj.data["spec"]
        hosts = spec.get("hosts")
        if hosts is None or hosts == []:
            self.ctx.report("IST064", obj, (), "no hosts: used only as a delegate by another VirtualService")
            obj.account(("spec", "hosts"), ("spec", "gateways"), ("spec", "exportTo"))
            entries = http.read_entries(self, obj)
            return
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            self.ctx.input_error(obj, ("spec", "hosts"), "hosts must be a list of names")
            return
        obj.account(("spec", "hosts"))
        gateways = spec.get("gateways")
        if gateways is None:
            gateways = [MESH]
        elif not isinstance(gateways, list) or not all(isinstance(g, str) for g in gateways):
            self.ctx.input_error(obj, ("spec", "gateways"), "gateways must be a list of names")
            gateways = []
        obj.account(("spec", "gateways"))
        entries = http.read_entries(self, obj)
        if entries:
            http.default_retry_note(self, obj, entries)
        gw_names = [g for g in gateways if g != MESH]
        if gw_names:
            self.gateway_routes(obj, hosts, gw_names, entries)
        if MESH in gateways:
            mesh.mesh_routes(self, obj, hosts, entries)
        elif "exportTo" in spec:
            self.explain(obj, ("spec", "exportTo"))

    def gateway_routes(self, obj: SourceObject, hosts: list[str], names: list[str], entries: list[http.Entry]) -> None:
        """Routes for the Gateways the VirtualService binds to."""
        fqdn = [h if "." in h or h == "*" else f"{h}.{obj.namespace}.svc.cluster.local" for h in hosts]
        usable = [h for h in fqdn if h == "*" or valid_hostname(h.lower())]
        for h in fqdn:
            if h not in usable:
                self.ctx.report("IST017", obj, ("spec", "hosts", fqdn.index(h)), f"host {h!r} cannot be a route "
                                "hostname (an IP address?); requests for it are not routed through the Gateway")
        if not usable:
            return
        # (parent, grpc-only, blocked_by, hosts served) per bound Gateway, per protocol family
        groups: dict[str, list[tuple[GatewayParent, Server | None]]] = {"http": [], "tls": [], "tcp": []}
        served: set[str] = set()
        for raw in names:
            ref = gateway_ref(raw, obj.namespace)
            gw = self.gateways.get(ref) if ref else None
            if gw is None:
                parent = self.ctx.settings.existing_gateway or ref
                self.ctx.report("IST063", obj, ("spec", "gateways", names.index(raw) if raw in names else 0),
                                f"Gateway {ref[0]}/{ref[1]} is not in the input; the routes name it as their parent")
                for fam in groups:
                    groups[fam].append((GatewayParent(parent[0], parent[1]), None))
                served.update(usable)
                continue
            bound = False
            for server in gw.servers:
                for item in server.listeners:
                    if item.namespace is not None and item.namespace != obj.namespace:
                        continue
                    hit = [h for h in usable if hosts_intersect(h, item.dns)]
                    if not hit:
                        continue
                    fam = _family(server, item)
                    if fam is None:
                        continue
                    groups[fam].append((GatewayParent(gw.parent[0], gw.parent[1], item.name), server))
                    served.update(hit)
                    bound = True
            if not bound:
                self.ctx.report("IST063", obj, ("spec", "gateways"), f"no server of Gateway {ref[0]}/{ref[1]} serves "
                                f"{', '.join(usable)} for namespace {obj.namespace}")
        hostnames = [] if "*" in served else sorted({h.lower() for h in served})
        keep_gateways = {raw for raw in names}
        if entries and groups["http"]:
            self._http_route(obj, hostnames, groups["http"], entries, keep_gateways)
        transport.tls_routes(self, obj, usable, groups["tls"])
        transport.tcp_routes(self, obj, groups["tcp"])

    def _http_route(self, obj: SourceObject, hostnames: list[str], parents: list[tuple[GatewayParent, Server | None]],
                    entries: list[http.Entry], names: set[str]) -> None:
        def keep(cond: http.Cond) -> bool:
            if cond.source_namespace is not None:
                return False
            return cond.gateways is None or bool(cond.gateways & names)

        for entry in entries:
            for one in entry.matches:
                if one.cond.source_namespace is not None:
                    self.ctx.report("IST032", obj, (),
                                    f"http[{entry.index}]: sourceNamespace does not apply to Gateway traffic; that match is left out of the "
                                    "Gateway route")
                    break
        rules = http.rules_for(self, obj, entries, keep)
        if not rules:
            return
        servers = [s for _, s in parents if s is not None]
        grpc = bool(servers) and len(servers) == len(parents) and all(s.grpc for s in servers)
        route = Route("GRPCRoute" if grpc else "HTTPRoute", obj.namespace, obj.name, hostnames=hostnames,
                      parents=list(dict.fromkeys(p for p, _ in parents)),
                      origin=Origin(obj.source(), comments.under(obj, (), comments.ROUTE_PARTS)))
        for server in servers:
            for what in server.blocked_by:
                if what not in route.blocked_by:
                    route.blocked_by.append(what)
        if grpc:
            self.ctx.report("IST061", obj, (), "bound only to GRPC servers: GRPCRoute")
            route.rules = [_grpc_rule(self, obj, index, rule) for index, rule in rules]
        else:
            route.rules = [rule for _, rule in rules]
            order.check(self, obj, rules, "Gateway")
        self.routes.append(route)


def _family(server: Server, item: ServerListener) -> str | None:
    if server.https_redirect and item.protocol == "HTTP":
        return None  # the redirect route owns it
    return {"HTTP": "http", "HTTPS": "http", "TLS": "tls", "TCP": "tcp"}.get(item.protocol)


def _grpc_rule(conv: Converter, obj: SourceObject, index: int, rule: Rule) -> Rule:
    """HTTP matches -> GRPCRoute method matches (/pkg.Service/ prefix, /pkg.Service/Method exact)."""
    matches = []
    for m in rule.matches:
        grpc = None
        if m.path is not None:
            parts = m.path.value.strip("/").split("/")
            if m.path.type == "Exact" and len(parts) == 2 and all(parts):
                grpc = GrpcMethod(parts[0], parts[1])
            elif m.path.type == "PathPrefix" and len(parts) == 1 and parts[0]:
                grpc = GrpcMethod(parts[0])
                if m.path.value.endswith("/"):
                    _drop_prefix_note(conv, obj, index, m.path.value)
            elif m.path.value != "/":
                conv.ctx.report("IST062", obj, ("spec", "http", index, "match"), f"uri {m.path.value!r} is no gRPC "
                                "service or method path; this rule matches every method")
        matches.append(Match(headers=m.headers, grpc=grpc))
    kept = [m for m in matches if m != Match()]
    filters = [f for f in rule.filters if type(f).__name__ in GRPC_FILTERS]
    _report_grpc_drops(conv, obj, index, rule, matches)
    return Rule(matches=kept if len(kept) == len(matches) else [], filters=filters,
                backends=rule.backends, name=rule.name, origin=rule.origin)


#: the filters a GRPCRoute rule takes in Gateway API v1.6.1 standard (ExtensionRef aside)
GRPC_FILTERS = ("RequestHeaders", "ResponseHeaders", "Mirror")
#: IR filter -> the VirtualService http[] field it came from, and what it did
_DROPPED = {"Redirect": ("redirect", "redirect"), "Rewrite": ("rewrite", "rewrite"),
            "Cors": ("corsPolicy", "CORS policy")}
#: "converted" findings that a GRPCRoute makes untrue for the same field
_CONVERTED = {"redirect": ("IST050",), "timeout": ("IST052",)}


def _report_grpc_drops(conv: Converter, obj: SourceObject, index: int, rule: Rule, matches: list[Match]) -> None:
    """GRPCRoute has no timeouts and no redirect, rewrite or CORS filters: say what is lost, never drop silently."""
    call = _example_call(matches)
    base: Path_ = ("spec", "http", index)
    dropped: list[tuple[str, str, str]] = []
    if rule.timeouts is not None and (rule.timeouts.request or rule.timeouts.backend_request):
        value = rule.timeouts.request or rule.timeouts.backend_request
        dropped.append(("timeout", f"timeout {value}", f"{call} is no longer cut off after {value}"))
    for f in rule.filters:
        name = type(f).__name__
        if name in GRPC_FILTERS:
            continue
        key, what = _DROPPED.get(name, (None, name))
        if name == "Redirect":
            example = (f"{call} got a {f.status} redirect from Istio; the rule now has no backend, so the call "
                       "fails (no redirect is sent)")
        elif name == "Rewrite":
            changed = " and ".join(x for x, v in (("the :authority", f.hostname), ("the path", f.path)) if v)
            example = f"{call} reaches the backend with {changed or 'the request'} unchanged"
        else:
            example = f"{call} is served without the {what}"
        dropped.append((key or "", what, example))
    mesh_too = _mesh_bound(obj)
    for key, what, example in dropped:
        path = base + (key,) if key and key in (obj.data["spec"]["http"][index] or {}) else base
        if not mesh_too:
            _forget(conv, obj, path, _CONVERTED.get(key, ()))
        conv.ctx.report("IST065", obj, path, f"http[{index}] {what}: the GRPCRoute rule cannot carry it "
                        "(GRPCRoute has no timeouts and no URLRewrite, RequestRedirect or CORS filter in Gateway "
                        "API v1.6.1 standard); left out" + ("; the mesh HTTPRoute keeps it" if mesh_too else ""),
                        example=example)


def _example_call(matches: list[Match]) -> str:
    for m in matches:
        if m.grpc is not None:
            return f"a call to /{m.grpc.service}/{m.grpc.method or '<method>'}"
    return "a gRPC call"


def _mesh_bound(obj: SourceObject) -> bool:
    gateways = obj.data["spec"].get("gateways")
    return not isinstance(gateways, list) or MESH in gateways


def _forget(conv: Converter, obj: SourceObject, path: Path_, codes: tuple[str, ...]) -> None:
    """Remove this object's findings with ``codes`` at or below ``path`` (they claimed a conversion)."""
    if not codes:
        return
    where = obj.source(path).field
    for finding in list(conv.ctx.findings):
        src = finding.source
        if (finding.code in codes and (src.kind, src.namespace, src.name) == (obj.kind, obj.namespace, obj.name)
                and (src.field == where or src.field.startswith(where + "."))):
            conv.ctx.findings.remove(finding)


def _drop_prefix_note(conv: Converter, obj: SourceObject, index: int, value: str) -> None:
    """A service match {service: pkg.Svc} matches exactly the string prefix /pkg.Svc/, so the IST030
    warning (PathPrefix is element-wise) does not apply, unless a mesh HTTPRoute uses the same match."""
    gateways = obj.data["spec"].get("gateways")
    if not isinstance(gateways, list) or MESH in gateways:
        return
    where = f"spec.http[{index}]."
    for finding in list(conv.ctx.findings):
        src = finding.source
        if (finding.code == "IST030" and (src.kind, src.namespace, src.name) == (obj.kind, obj.namespace, obj.name)
                and src.field.startswith(where) and f"uri prefix {value!r}" in finding.message):
            conv.ctx.findings.remove(finding)


def _depth(path: Path_, key: str) -> int:
    """How many parts of the concrete ``path`` the generic ``key`` spans."""
    for n in range(1, len(path) + 1):
        if generic_path(path[:n]) == key:
            return n
    return len(path)


def _leaves(value: Any, path: Path_) -> list[Path_]:
    if isinstance(value, dict) and value:
        return [p for k, v in value.items() for p in _leaves(v, path + (k,))]
    if isinstance(value, list) and value:
        return [p for i, v in enumerate(value) for p in _leaves(v, path + (i,))]
    return [path]


__all__ = ["Converter", "service_of", "narrower", "slug"]


def virtual_service(conv: Converter, obj: SourceObject) -> None:
    """Table handler for spec.hosts and spec.gateways: the routes of one VirtualService."""
    conv.virtual_service(obj)
