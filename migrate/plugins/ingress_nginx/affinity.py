"""Cookie session affinity (sticky sessions).

Gateway API's rule.sessionPersistence exists only in the experimental channel and
the output is standard-channel, so stickiness is not carried over: each request is
balanced on its own. affinity: cookie is the switch; every session-cookie-* and
affinity-* key is a detail of it.
"""

from __future__ import annotations

from migrate.findings import spec
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import ignored_by_passthrough, serving_routes

FINDINGS = (
    spec("NGX240", "warning", "not-converted", "Sticky sessions (affinity: cookie) not carried over",
         "nginx pinned each client to one Pod with a cookie. Gateway API's sessionPersistence is experimental-channel "
         "only, and the output uses the standard channel; a target-specific consistent-hash policy on a cookie can "
         "restore it. Without one, a client's requests spread across Pods, which breaks applications that keep "
         "session state in a Pod."),
    spec("NGX241", "info", "not-converted", "Affinity cookie setting lost with affinity",
         "A setting of the affinity cookie (name, path, lifetime, attributes, balancing mode); it goes with the "
         "stickiness it configured."),
    spec("NGX242", "info", "converted", "Affinity setting without affinity: cookie has no effect, as in nginx",
         "Cookie and affinity settings only act with affinity: cookie; here they did nothing and do nothing now."),
)

SWITCH = "affinity"
_CHOICES = {"affinity-mode": ("balanced", "persistent"), "affinity-canary-behavior": ("sticky", "legacy"),
            "session-cookie-samesite": ("None", "Lax", "Strict")}
_NUMBERS = ("session-cookie-expires", "session-cookie-max-age")
_FLAGS = ("session-cookie-secure", "session-cookie-conditional-samesite-none", "session-cookie-change-on-failure")


def session_affinity(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    on = False
    if SWITCH in names:
        value = h.get(SWITCH) or ""
        if value == "cookie":
            on = True
        elif value:
            h.invalid(SWITCH, value, "cookie (the only affinity type)", "no affinity")
    for name in names:
        _validate(h, name)
        if h.is_accounted(name):
            continue
        if name == SWITCH and on:
            cookie = h.get("session-cookie-name") or "INGRESSCOOKIE"
            routes = ", ".join(f"{r.namespace}/{r.name}" for r in serving_routes(h)) or "the routes"
            h.report("NGX240", name,
                     f"cookie affinity on {routes} is not carried over: sessionPersistence is experimental-channel "
                     "only and the output uses the standard channel (a target-specific consistent-hash policy on a "
                     "cookie can restore it). Requests from one client are now balanced across Pods.",
                     example=f"two requests from one browser, the second carrying the {cookie} cookie, may now "
                             "reach different Pods")
        elif on:
            h.report("NGX241", name, f"detail of {h.prefix}{SWITCH}: cookie, lost with it.")
        else:
            h.report("NGX242", name, f"has no effect without {h.prefix}{SWITCH}: cookie; nothing to convert.")


def _validate(h: Handle, name: str) -> None:
    value = h.get(name)
    if value is None:
        return
    if name in _CHOICES and value not in _CHOICES[name]:
        h.invalid(name, value, " or ".join(_CHOICES[name]), _CHOICES[name][0] if name != "session-cookie-samesite"
                  else "no SameSite attribute")
    elif name in _NUMBERS:
        h.number(name, 0, low=0)
    elif name in _FLAGS:
        h.flag(name, False)
