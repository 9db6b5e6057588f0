"""Linkerd ServiceProfile (linkerd.io v1alpha1, v1alpha2): what of it shapes traffic.

Only dstOverrides (traffic shifting) and route timeouts change where and how long a
request goes; routes otherwise name requests for metrics, responseClasses classify
responses, isRetryable/retryBudget drive retries (experimental in Gateway API) and
opaquePorts is protocol detection. Each is converted or explained here.
"""

from __future__ import annotations

import math

from migrate.plugin import Context, SourceObject
from migrate.plugins.smi.matches import Inexpressible, profile_condition
from migrate.plugins.smi.model import Profile, ProfileRoute, WeightedRef
from migrate.plugins.smi.split import Unreadable
from migrate.plugins.smi.values import go_duration_ms, milli_value

SKIP = "smi.linkerd.io/skip"


def service_of(obj: SourceObject) -> tuple[str, str] | None:
    """(namespace, name) of the Service a profile is named after: <name>.<namespace>.svc.<domain>."""
    labels = obj.name.rstrip(".").split(".")
    if len(labels) >= 4 and labels[2] == "svc" and all(labels):
        return labels[1], labels[0]
    return None


def read_profile(obj: SourceObject, ctx: Context) -> Profile | None:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        raise Unreadable("spec is missing or not a map")
    target = service_of(obj)
    if target is None:
        ctx.report("SMI030", obj, ("spec",), f"{obj.name!r} is not <service>.<namespace>.svc.<cluster-domain>")
        return None
    profile = Profile(obj, target[1], target[0], skip_adaptor=SKIP in obj.annotations)
    read_routes(profile, ctx)
    read_overrides(profile, ctx)
    explain_retries(profile, ctx)
    explain_opaque_ports(profile, ctx)
    return profile


def read_routes(profile: Profile, ctx: Context) -> None:
    """spec.routes[]: name, condition and timeout make a rule; the rest is explained."""
    obj = profile.obj
    routes = obj.data["spec"].get("routes")
    if routes is None:
        return
    if not isinstance(routes, list):
        ctx.input_error(obj, ("spec", "routes"), "spec.routes is not a list; ignored")
        return
    for i, entry in enumerate(routes):
        path = ("spec", "routes", i)
        if not isinstance(entry, dict):
            ctx.input_error(obj, path, "route is not a map; ignored")
            continue
        name = str(entry.get("name") or f"route-{i}")
        timeout = _timeout(obj, ctx, entry.get("timeout"), path + ("timeout",))
        try:
            matches: list | None = profile_condition(entry.get("condition"))
        except Inexpressible as exc:
            ctx.report("SMI025", obj, path + ("condition",), f"route {name!r}: {exc}")
            matches = None
            if timeout:
                ctx.report("SMI034", obj, path + ("timeout",), f"route {name!r}: timeout {entry['timeout']} not applied")
        profile.routes.append(ProfileRoute(name, path, matches, timeout))
        if entry.get("responseClasses") is not None:
            explain_response_classes(obj, ctx, path + ("responseClasses",), name)
        obj.account(path + ("name",), path + ("condition",))


def _timeout(obj: SourceObject, ctx: Context, value: object, path: tuple) -> int | None:
    if value in (None, ""):
        return None
    ms = go_duration_ms(str(value))
    if ms is None:
        ctx.input_error(obj, path, f"timeout {value!r} is not a Go duration (e.g. 300ms, 1.5s); Linkerd ignores it")
        return None
    return math.ceil(ms) or None  # 0: no timeout, as Linkerd reads it


def explain_response_classes(obj: SourceObject, ctx: Context, path: tuple, name: str) -> None:
    """responseClasses: failure classification for metrics and retries only."""
    ctx.report("SMI027", obj, path, f"route {name!r}: response classes only fed metrics and retry decisions")


def read_overrides(profile: Profile, ctx: Context) -> None:
    """spec.dstOverrides[]: authority and weight, the traffic shift of the Service."""
    obj = profile.obj
    raw = obj.data["spec"].get("dstOverrides")
    if raw is None:
        return
    if not isinstance(raw, list):
        ctx.input_error(obj, ("spec", "dstOverrides"), "dstOverrides is not a list; ignored")
        return
    out: list[WeightedRef] = []
    for i, entry in enumerate(raw):
        path = ("spec", "dstOverrides", i)
        entry = entry if isinstance(entry, dict) else {}
        ref = _authority(str(entry.get("authority") or ""), profile.service_namespace)
        if ref is None:
            ctx.report("SMI021", obj, path + ("authority",), f"authority {entry.get('authority')!r} left out")
            obj.account(path)
            continue
        weight = milli_value(entry.get("weight", 0))
        if weight is None or weight < 0:
            ctx.input_error(obj, path + ("weight",), f"weight {entry.get('weight')!r} is not a Kubernetes quantity; "
                                                     "destination left out")
            continue
        out.append(WeightedRef(ref[1], ref[0], weight, ref[2], path))
        obj.account(path)
    profile.overrides = out


def _authority(authority: str, default_ns: str) -> tuple[str, str, int | None] | None:
    """(namespace, name, port) of ``name.ns.svc.<domain>[:port]`` (or ``name[.ns]``); None otherwise."""
    host, sep, port_text = authority.strip().rpartition(":")
    if not sep:
        host, port_text = authority.strip(), ""
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return None
        port = int(port_text)
    labels = host.rstrip(".").split(".")
    if not host or not all(labels):
        return None
    if len(labels) >= 4 and labels[2] == "svc":
        return labels[1], labels[0], port
    if len(labels) == 1:
        return default_ns, labels[0], port
    if len(labels) == 2:
        return labels[1], labels[0], port
    return None


def explain_retries(profile: Profile, ctx: Context) -> None:
    """isRetryable and retryBudget: retries are experimental in Gateway API; say what they were."""
    obj = profile.obj
    spec = obj.data["spec"]
    budget = spec.get("retryBudget") if isinstance(spec.get("retryBudget"), dict) else None
    ratio = (budget or {}).get("retryRatio", 0.2)
    floor = (budget or {}).get("minRetriesPerSecond", 10)
    ttl = (budget or {}).get("ttl", "10s")
    routes = spec.get("routes") if isinstance(spec.get("routes"), list) else []  # a wrong type: reported by read_profile
    retryable = [(i, r) for i, r in enumerate(routes)
                 if isinstance(r, dict) and r.get("isRetryable") is not None]
    for i, route in retryable:
        path = ("spec", "routes", i, "isRetryable")
        if route["isRetryable"] is not True:
            obj.account(path)  # false is the default: nothing to carry
            continue
        try:
            percent = round(float(ratio) * 100)
        except (TypeError, ValueError):
            percent = 20
        ctx.report("SMI026", obj, path,
                   f"route {route.get('name')!r}: retry: {{codes: [500, 502, 503, 504]}} on the rule and "
                   f"XBackendTrafficPolicy retryConstraint: {{budget: {{percent: {percent}, interval: {ttl}}}, "
                   f"minRetryRate: {{count: {floor}, interval: 1s}}}}  (experimental channel; not emitted); "
                   "on Linkerd, annotate the HTTPRoute with retry.linkerd.io/http: 5xx")
    if budget is not None or "retryBudget" in spec:
        used = any(r.get("isRetryable") is True for _, r in retryable)
        ctx.report("SMI026", obj, ("spec", "retryBudget"),
                   f"retry budget (ratio {ratio}, {floor}/s, window {ttl}) "
                   + ("limits the retries above" if used else "had no effect: no route is retryable"))


def explain_opaque_ports(profile: Profile, ctx: Context) -> None:
    obj = profile.obj
    ports = obj.data["spec"].get("opaquePorts")
    if ports is not None:
        ctx.report("SMI029", obj, ("spec", "opaquePorts"),
                   f"opaque ports {ports}: annotate Service {profile.service_namespace}/{profile.service} with "
                   f"config.linkerd.io/opaque-ports; an HTTPRoute for these ports does not split their (TCP) traffic")
