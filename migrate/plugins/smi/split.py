"""TrafficSplit (split.smi-spec.io v1alpha1..v1alpha4) and the HTTPRouteGroups it references."""

from __future__ import annotations

from migrate.ir import Match
from migrate.plugin import Context, SourceObject
from migrate.plugins.smi.matches import Inexpressible, route_group_match
from migrate.plugins.smi.model import Split, WeightedRef
from migrate.plugins.smi.values import milli_value

GROUP_KIND = "HTTPRouteGroup"
SPECS_GROUP = "specs.smi-spec.io"


class Unreadable(ValueError):
    """The object cannot be converted at all (Conversion.failed)."""


def _spec(obj: SourceObject) -> dict:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        raise Unreadable("spec is missing or not a map")
    return spec


def read_split(obj: SourceObject, ctx: Context) -> Split:
    """spec.service and spec.backends: the root Service and the weighted destinations."""
    spec = _spec(obj)
    service = spec.get("service")
    if not isinstance(service, str) or not service.strip():
        raise Unreadable("spec.service (the root Service) is missing")
    service = service.strip()
    if "." in service:  # the spec calls it an FQDN; the apex Service lives in the split's namespace
        service = service.split(".")[0]
    backends = spec.get("backends")
    if not isinstance(backends, list) or not backends:
        raise Unreadable("spec.backends is missing or empty")
    quantities = obj.api_version.endswith("/v1alpha1")
    out: list[WeightedRef] = []
    for i, entry in enumerate(backends):
        path = ("spec", "backends", i)
        if not isinstance(entry, dict) or not isinstance(entry.get("service"), str) or not entry["service"]:
            ctx.input_error(obj, path, "backend without a service name; left out of the split")
            continue
        weight = _weight(obj, ctx, entry.get("weight"), path + ("weight",), quantities)
        if weight is None:
            continue
        out.append(WeightedRef(entry["service"], obj.namespace, weight, path=path))
        obj.account(path)
    obj.account(("spec", "service"), ("spec", "backends"))
    if not out:
        raise Unreadable("no backend of spec.backends is readable")
    return Split(obj, service, out, quantities)


def _weight(obj: SourceObject, ctx: Context, value: object, path: tuple, quantities: bool) -> int | None:
    """The weight as Linkerd compares it: milli-values of quantities (v1alpha1), whole numbers after."""
    if value is None:
        return 0  # omitempty in every version: an absent weight is zero
    if quantities:
        milli = milli_value(value)
        if milli is None or milli < 0:
            ctx.input_error(obj, path, f"weight {value!r} is not a Kubernetes quantity (e.g. 500m); backend left out")
            return None
        return milli
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        ctx.input_error(obj, path, f"weight {value!r} is not a whole number; backend left out")
        return None
    if isinstance(value, str):
        if not value.strip().isdigit():
            ctx.input_error(obj, path, f"weight {value!r} is not a whole number; backend left out")
            return None
        ctx.input_error(obj, path, f"weight {value!r} is a string; the API server rejects it (read as {int(value)})")
        return int(value)
    if value < 0:
        ctx.input_error(obj, path, f"weight {value} is negative; backend left out")
        return None
    return value


def resolve_matches(split: Split, ctx: Context, groups: dict[tuple[str, str], SourceObject],
                    used: set[int], read: dict[int, list[Match]] | None = None) -> None:
    """spec.matches: the HTTPRouteGroup matches that select the requests to split (v1alpha3+)."""
    obj = split.obj
    refs = obj.data["spec"].get("matches")
    if refs is None:
        return
    if not isinstance(refs, list):
        ctx.input_error(obj, ("spec", "matches"), "spec.matches is not a list; ignored")
        return
    found: list[Match] = []
    for i, ref in enumerate(refs):
        path = ("spec", "matches", i)
        ref = ref if isinstance(ref, dict) else {}
        kind, name = ref.get("kind"), ref.get("name")
        group = groups.get((obj.namespace, str(name))) if kind == GROUP_KIND else None
        if group is None:
            what = f"{kind} {name!r}" if kind == GROUP_KIND else f"kind {kind!r} (only HTTPRouteGroup selects HTTP requests)"
            ctx.report("SMI008", obj, path, f"{what} not found in namespace {obj.namespace}; it selects no request")
            continue
        used.add(id(group))
        if read is None:
            read = {}
        if id(group) not in read:  # read (and reported) once, however many splits use it
            read[id(group)] = group_matches(group, ctx)
        found += read[id(group)]
        obj.account(path)
    split.matches = found


def group_matches(group: SourceObject, ctx: Context) -> list[Match]:
    """Every match of an HTTPRouteGroup (spec.matches; v1alpha1/2 wrote them at the top level)."""
    spec = group.data.get("spec") if isinstance(group.data.get("spec"), dict) else {}
    where = ("spec", "matches") if "matches" in spec else ("matches",)
    entries = spec.get("matches") if "matches" in spec else group.data.get("matches")
    out: list[Match] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        path = where + (i,)
        if not isinstance(entry, dict):
            ctx.report("SMI010", group, path, "match is not a map; left out")
            continue
        try:
            out += route_group_match(entry)
        except Inexpressible as exc:
            ctx.report("SMI010", group, path, f"match {entry.get('name')!r}: {exc}; left out")
    return out


def account_group(group: SourceObject, ctx: Context, used: bool) -> None:
    """An HTTPRouteGroup is converted through the splits that use it, or explained."""
    where = ("spec", "matches") if isinstance(group.data.get("spec"), dict) else ("matches",)
    if used:
        ctx.report("SMI013", group, where, "converted into the routes of the TrafficSplit(s) that reference it")
    else:
        ctx.report("SMI011", group, where or ("spec",), "no TrafficSplit in the input references this group")
    group.account(("spec",), ("matches",))
