"""Canary Ingresses merged into the main Ingress's rule, as ingress-nginx does.

A canary Ingress (``canary: "true"``) routes nothing by itself: for the main
Ingress with the same host and path it adds, in order of precedence, a header
rule, a cookie rule and a weighted share. In Gateway API: rules with one more
header match (more specific, so they win) and weighted backendRefs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from migrate.findings import spec
from migrate.ir import Backend, HeaderMatch, Route, Rule
from migrate.plugin import Conversion, Failed, SourceObject
from migrate.plugins.ingress.parse import IngressView, InvalidIngress, parse_ingress
from migrate.plugins.ingress_nginx.handle import TRUE, Handle

if TYPE_CHECKING:
    from migrate.plugins.ingress.convert import Made
    from migrate.plugins.ingress_nginx import NginxConverter

CANARY_KEYS = ("canary", "canary-weight", "canary-weight-total", "canary-by-header", "canary-by-header-value",
               "canary-by-header-pattern", "canary-by-cookie")

FINDINGS = (
    spec("NGX140", "warning", "not-converted", "Canary Ingress without a main Ingress",
         "ingress-nginx merges a canary into the Ingress with the same host and path; there is none, so it routed "
         "nothing and nothing is converted."),
    spec("NGX141", "warning", "not-converted", "Second canary for the same rule ignored",
         "ingress-nginx allows one canary per host and path; this one is ignored, as it was."),
    spec("NGX142", "warning", "converted-to-extension", "Canary header pattern converted as a RegularExpression header match",
         "Header RegularExpression matching is implementation-specific in Gateway API, and so is its regex dialect "
         "(nginx used PCRE)."),
    spec("NGX143", "warning", "converted-to-extension", "Canary cookie approximated with a Cookie header match",
         "Gateway API has no cookie match; a RegularExpression on the Cookie header finds the cookie's value "
         "(implementation-specific support)."),
    spec("NGX144", "info", "converted", "Annotation ignored on a canary Ingress, as ingress-nginx does",
         "On a canary Ingress ingress-nginx ignores every annotation but the canary ones (and load balancing and "
         "affinity ones, which are not converted anyway); so it has no effect now either."),
    spec("NGX146", "warning", "converted", "canary-weight-total below 100 is ignored",
         "ingress-nginx's balancer only honours a weight total above 100; below that it divides by 100. The route "
         "uses the split ingress-nginx really made, which may not be the one the annotation suggests."),
    spec("NGX147", "info", "converted", "Canary of a rule that only redirects",
         "The main Ingress answers every request of this path with a redirect (permanent- or temporal-redirect), so "
         "no request was ever proxied to the canary; nothing is added."),
    spec("NGX145", "info", "converted", "Canary annotation without canary: \"true\"",
         "Canary settings only apply on an Ingress marked canary: \"true\"; here they had no effect, and have none now."),
)


def is_canary(conv: "NginxConverter", obj: SourceObject) -> bool:
    return conv.names(obj).get("canary", "").strip() in TRUE


def merge_canary(h: Handle, names: list[str]) -> None:
    """Called for a main (non-canary) Ingress carrying canary settings: they do nothing there."""
    for name in names:
        if name == "canary":
            h.flag(name, False)  # a malformed value is still an input error
        h.report("NGX145", name, "no effect on an Ingress that is not canary: \"true\"")


def merge_all(conv: "NginxConverter", canaries: list[SourceObject], views: dict[int, IngressView], out: Conversion) -> None:
    merged: set[int] = set()
    for obj in canaries:
        view = views.get(id(obj))
        if view is None:
            try:
                parse_ingress(obj.data)
            except InvalidIngress as exc:
                out.failed.append(Failed(obj, f"invalid Ingress: {exc}"))
            continue
        h = Handle(conv, obj, view, conv.gateway_for(obj, view), [], [], conv.names(obj))
        touched = _merge_one(h, merged)
        quiet = sorted(h.silently - h.named)
        for route in touched if quiet else ():  # provenance, as dispatch writes it for a main Ingress
            route.origin.comments.append(f"gateway-migrate: converted {', '.join(h.prefix + n for n in quiet)} "
                                         f"of canary Ingress {obj.namespace}/{obj.name}")
        obj.account(("spec",), ("metadata", "labels"))
        for name in h.annotations:
            if name not in CANARY_KEYS and not h.is_accounted(name):
                h.report("NGX144", name, "ignored on a canary Ingress")


def _merge_one(h: Handle, merged: set[int]) -> list[Route]:
    """Merge one canary into the main rules it shares host and path with; the routes it changed."""
    weight = h.number("canary-weight", 0, low=0)
    total = h.number("canary-weight-total", 100, low=1)
    if total < 100:  # balancer.lua uses a total only when it is above 100
        h.report("NGX146", "canary-weight-total", f"{total} is below 100: ingress-nginx used 100, and so does the route",
                 example=f"canary-weight {weight} sends {weight}% to the canary, not {weight}/{total}")
        total = 100
    weight = min(weight, total)
    header, value, pattern = h.get("canary-by-header"), h.get("canary-by-header-value"), h.get("canary-by-header-pattern")
    cookie = h.get("canary-by-cookie")
    found = False
    touched: list[Route] = []
    for rule in h.view.rules:
        for path in rule.paths:
            main = _main_for(h, rule.host, path.value, path.type)
            if main is None:
                continue
            found = True
            if id(main.rule) in merged:
                h.ctx.report("NGX141", h.obj, path.path, f"{rule.host or '(all)'}{path.value} already has a canary")
                continue
            merged.add(id(main.rule))
            if not main.rule.backends:  # the main rule only redirects: a canary of it never serves
                h.report("NGX147", "canary", f"{rule.host or '(all)'}{path.value}: the main Ingress answers with a "
                                             "redirect, so the canary never receives traffic")
                continue
            backend = h.conv.backend(h.obj, path.backend)
            if backend is None:
                continue
            if h.obj.namespace != main.route.namespace:
                backend = replace(backend, namespace=h.obj.namespace)  # a ReferenceGrant follows
            _apply(h, main, backend, weight, total, header, value, pattern, cookie, path.path)
            if all(route is not main.route for route in touched):
                touched.append(main.route)
    if not found:
        for name in CANARY_KEYS:
            if h.has(name):
                h.report("NGX140", name, "no main Ingress has the same host and path: no effect")
    else:
        h.converted(*CANARY_KEYS)
    return touched


def _main_for(h: Handle, host: str | None, value: str, ptype: str) -> "Made | None":
    for made in h.conv.all_made:  # ingress-nginx pairs by host and path, whatever the namespace
        if made.ingress_rule.host == host and made.path.value == value and made.path.type == ptype:
            return made
    return None


def _apply(h: Handle, main: "Made", canary: Backend, weight: int, total: int, header: str | None, value: str | None,
           pattern: str | None, cookie: str | None, where: tuple) -> None:
    route, rule = main.route, main.rule
    mains = list(rule.backends)
    rule.backends = [replace(b, weight=total - weight) for b in mains] + [replace(canary, weight=weight)]
    extra: list[Rule] = []

    def with_header(match: HeaderMatch, backends: list[Backend]) -> Rule:
        return Rule([replace(m, headers=m.headers + (match,)) for m in rule.matches], list(rule.filters),
                    [replace(b, weight=None) for b in backends], rule.timeouts, origin=rule.origin)

    if header:
        if value:
            extra.append(with_header(HeaderMatch(header, value), [canary]))
        elif pattern:
            extra.append(with_header(HeaderMatch(header, pattern, "RegularExpression"), [canary]))
            h.report("NGX142", "canary-by-header-pattern", f"{header} matched by regex {pattern!r}")
        else:
            extra += [with_header(HeaderMatch(header, "always"), [canary]), with_header(HeaderMatch(header, "never"), mains)]
    if cookie:
        regex = rf"(^|.*;\s*){cookie}=%s(;.*|$)"
        extra += [with_header(HeaderMatch("Cookie", regex % "always", "RegularExpression"), [canary]),
                  with_header(HeaderMatch("Cookie", regex % "never", "RegularExpression"), mains)]
        h.report("NGX143", "canary-by-cookie", f"cookie {cookie} matched through the Cookie header")
    position = route.rules.index(rule)
    route.rules[position:position] = extra
