"""Negations, fail closed: the requests a negated condition kept from a router get a rule
with no backends, unless another router served them in Traefik (then the closed rule would
take them from it, and the rule converted without the negation is left to the priority
check, with TRF007 as before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrate.ir import Route, Rule
from migrate.plugins.traefik import priority, rules
from migrate.plugins.traefik.matches import Closed, _negation_example
from migrate.plugins.traefik.state import Run


@dataclass
class Pending:
    router: priority.Router
    closed: Closed
    rule: Rule


def settle(run: Run, routes: list[Route]) -> None:
    for item in run.closed:
        alt, call = item.closed.alternative, item.closed.negated
        obj, path = item.router.obj, item.router.rule_path
        sample = priority._probe(alt, alt)
        other = _served_elsewhere(run, item, sample)
        if other is not None:
            for route in routes:
                route.rules = [r for r in route.rules if r is not item.rule]
            run.once("TRF007", obj, path, f"!{call}: negation cannot be expressed; the alternative is converted "
                     f"without it and now also matches the requests it excluded (they are not closed: {other} "
                     "serves some of them in Traefik)", example=_negation_example(call))
            continue
        residue = ""
        if call.name == "PathPrefix" and not call.args[0].endswith("/"):
            residue = (f"; only whole path elements are closed: {call.args[0]}-x (a character continuation Traefik "
                       "also excluded) now reaches the route")
        run.once("TRF027", obj, path, f"!{call}: the requests it excluded now match a rule with no backends "
                 f"(HTTP 500) instead of this route{residue}",
                 example=f"{_describe(sample)}: Traefik did not use this router, now 500" if sample else "")


def _describe(request: Any) -> str:
    extra = "".join(f" {k}: {v}" for k, v in request.headers)
    return f"{request.method} http://{request.host}{request.target}" + (f" ({extra.strip()})" if extra else "")


def _served_elsewhere(run: Run, item: Pending, sample: Any) -> str | None:
    """The label of a router (or of this router's other alternative) that Traefik sends some
    excluded request to and that the closed rule would now outrank, else None."""
    alt = item.closed.alternative
    if sample is None:
        return "an unknown router"
    if rules.evaluate(item.router.node, sample):
        return item.router.label
    for router in run.routers:
        if router is item.router or router.tls != item.router.tls:
            continue
        if rules.evaluate(router.node, sample):
            return router.label
        for b in router.alternatives:
            for request in (priority._probe(alt, b), priority._probe(alt, b, alt)):
                if request is None or not rules.evaluate(router.node, request):
                    continue
                kc, kb = priority.gateway_key(alt, request), priority.gateway_key(b, request)
                if kc is not None and (kb is None or kc <= kb):
                    return router.label
    return None
