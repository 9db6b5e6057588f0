"""backend-protocol GRPC/GRPCS: the Ingress's HTTPRoutes become GRPCRoutes.

Apart from :mod:`.backend` because it rewrites routes other handlers built: paths
become gRPC service/method matches, and the filters and timeouts GRPCRoute lacks are
dropped (and reported). The handler is :func:`.backend.backend_protocol`; the
findings (NGX20x) are declared there.
"""

from __future__ import annotations

import re

from migrate.ir import (
    ExtensionRef, GrpcMethod, Match, Mirror, PathMatch, Redirect, RequestHeaders, ResponseHeaders, Route, Rule,
)
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import example_url, is_redirect, live_routes

#: filters GRPCRoute has (HTTPRoute's URLRewrite, RequestRedirect and CORS it has not)
GRPC_FILTERS = (RequestHeaders, ResponseHeaders, Mirror, ExtensionRef)
_SERVICE = re.compile(r"^\.?[A-Za-z_][A-Za-z_0-9]*(\.[A-Za-z_][A-Za-z_0-9]*)*$")
_METHOD = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def convert_to_grpc(h: Handle, name: str, proto: str) -> None:
    """The Ingress's HTTPRoutes (but the HTTP side of an HTTPS redirect) become GRPCRoutes."""
    converted: list[Route] = []
    for route in live_routes(h, ("HTTPRoute",)):
        if route.rules and all(is_redirect(rule) for rule in route.rules):
            continue  # the HTTP side of an HTTPS redirect: stays an HTTPRoute
        _to_grpc(h, name, route)
        converted.append(route)
    if not converted:
        h.report("NGX200", name, f"{proto}: the Ingress has no route to convert; nothing to convert.")
        return
    what = ", ".join(f"{r.namespace}/{r.name}" for r in converted)
    h.report("NGX201", name, f"{proto}: GRPCRoute {what} (paths became gRPC service/method matches; backends are "
                             "reached over HTTP/2, as with grpc_pass). A GRPCRoute matches gRPC requests only: any "
                             "other request for these hosts (a browser's GET) now gets 404 where nginx proxied it "
                             "to the backend or redirected it to HTTPS.",
             example=f"GET {example_url(h)} now gets 404")


def _to_grpc(h: Handle, name: str, route: Route) -> None:
    route.kind = "GRPCRoute"
    rules = []
    for rule in route.rules:
        dropped = [f for f in rule.filters if not isinstance(f, GRPC_FILTERS)]
        if dropped:
            kinds = ", ".join(sorted({type(f).__name__ for f in dropped}))
            h.report("NGX204", name, f"{kinds} on a rule of {route.namespace}/{route.name} dropped: GRPCRoute has no "
                                     "such filter.")
            rule.filters = [f for f in rule.filters if isinstance(f, GRPC_FILTERS)]
            if any(isinstance(f, Redirect) for f in dropped) and not rule.backends:
                continue  # a redirect-only rule has nothing left to do
        if rule.timeouts is not None:
            h.report("NGX204", name, f"timeouts of a rule of {route.namespace}/{route.name} dropped: GRPCRoute has "
                                     "no timeouts.")
            rule.timeouts = None
        matches, everything = [], False
        for match in rule.matches:
            method = _grpc_method(h, name, route, rule, match.path)
            if method is None and not match.headers:
                everything = True
            matches.append(Match(headers=match.headers, grpc=method))
        rule.matches = [] if everything or not matches else matches
        rules.append(rule)
    route.rules = rules


def _grpc_method(h: Handle, name: str, route: Route, rule: Rule, path: PathMatch | None) -> GrpcMethod | None:
    """The GRPCRoute method match for an HTTP path match; None means every method."""
    if path is None or (path.type == "PathPrefix" and path.value == "/"):
        return None
    parts = path.value.strip("/").split("/") if path.type != "RegularExpression" else []
    if path.type == "PathPrefix" and len(parts) == 1 and _SERVICE.match(parts[0]):
        return GrpcMethod(service=parts[0])
    exact_slash = path.type == "Exact" and path.value.endswith("/")
    if len(parts) == 2 and not exact_slash and _SERVICE.match(parts[0]) and _METHOD.match(parts[1]):
        # Exact, or a prefix: a gRPC call path has exactly these two segments
        return GrpcMethod(service=parts[0], method=parts[1])
    target = ", ".join(f"{b.name}:{b.port}" for b in rule.backends) or "no backend"
    hosts = ", ".join(route.hostnames) or "any host"
    h.report("NGX203", name,
             f"path {path.value!r} ({path.type}) is not a gRPC service or method: its rule on {hosts} now matches "
             "every gRPC method, also those nginx routed elsewhere or answered with 404.",
             example=f"POST /any.OtherService/AnyMethod on {route.hostnames[0] if route.hostnames else 'any host'} "
                     f"now reaches {target}")
    return None
