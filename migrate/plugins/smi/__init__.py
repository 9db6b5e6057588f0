"""SMI TrafficSplit (split.smi-spec.io) and Linkerd ServiceProfile, as GAMMA routes.

A TrafficSplit becomes an HTTPRoute whose parent is its root Service, with the
backends weighted; its HTTPRouteGroup matches become rules with a catch-all to the
root Service. A ServiceProfile's dstOverrides become weighted backends, its route
timeouts rules with timeouts.request; what has no equivalent (retries, response
classes, metrics-only routes, opaque ports) is explained. mappings/smi.yaml lists
every field and the function that handles it.

Built on the public plugin API only (migrate.plugin.PUBLIC_API), as a third-party plugin would be.
"""

from __future__ import annotations

from typing import Any, Sequence

from migrate.findings import FindingSpec
from migrate.ir import Route
from migrate.plugin import API_VERSION, Context, Conversion, Failed, SourceObject
from migrate.plugins.smi import profile as profiles
from migrate.plugins.smi import split as splits
from migrate.plugins.smi.findings import SPECS
from migrate.plugins.smi.model import Profile, Split
from migrate.plugins.smi.routes import Target, build

#: kind -> API group, as the plugin claims them
KINDS = {"TrafficSplit": "split.smi-spec.io", "HTTPRouteGroup": "specs.smi-spec.io", "ServiceProfile": "linkerd.io"}
SKIP = profiles.SKIP


def owns(obj: SourceObject) -> bool:
    group = KINDS.get(obj.kind)
    return group is not None and obj.api_version.split("/")[0] == group


def account_metadata(obj: SourceObject, ctx: Context) -> None:
    """Labels go to the routes; annotations are explained (the adaptor opt-out is read)."""
    obj.account(("metadata", "labels"))
    for key in obj.annotations:
        path = ("metadata", "annotations", key)
        if key == SKIP and obj.kind == "ServiceProfile":
            obj.account(path)
        else:
            ctx.report("SMI032", obj, path, f"annotation {key} not carried over")


class SmiPlugin:
    name = "smi"
    api_version = API_VERSION
    description = "SMI TrafficSplit (split.smi-spec.io) and Linkerd ServiceProfile, as GAMMA routes"
    cluster_kinds = (
        ("split.smi-spec.io", "v1alpha2", "trafficsplits", True),
        ("specs.smi-spec.io", "v1alpha4", "httproutegroups", True),
        ("linkerd.io", "v1alpha2", "serviceprofiles", True),
    )

    def claims(self, obj: SourceObject, ctx: Context) -> bool:
        return owns(obj)

    def convert(self, objs: Sequence[SourceObject], ctx: Context) -> Conversion:
        out = Conversion()
        groups = {(o.namespace, o.name): o for o in objs if o.kind == "HTTPRouteGroup"}
        read_splits: list[Split] = []
        read_profiles: list[Profile] = []
        for obj in objs:
            account_metadata(obj, ctx)
            try:
                if obj.kind == "TrafficSplit":
                    read_splits.append(splits.read_split(obj, ctx))
                elif obj.kind == "ServiceProfile":
                    found = profiles.read_profile(obj, ctx)
                    if found is not None:
                        read_profiles.append(found)
            except splits.Unreadable as exc:
                out.failed.append(Failed(obj, str(exc)))
        targets: dict[tuple[str, str, str], Target] = {}
        used: set[int] = set()
        read: dict = {}
        for split in sorted(read_splits, key=lambda s: (s.obj.namespace, s.obj.name)):
            key = (split.obj.namespace, split.obj.namespace, split.service)
            if key in targets:
                ctx.report("SMI014", split.obj, ("spec", "service"),
                           f"TrafficSplit {targets[key].split.obj.name} also splits Service {split.service}")  # type: ignore[union-attr]
                split.obj.account(("spec",))
                continue
            splits.resolve_matches(split, ctx, groups, used, read)
            targets[key] = Target(split.obj.namespace, split.obj.namespace, split.service, split=split)
        for profile in read_profiles:
            key = (profile.obj.namespace, profile.service_namespace, profile.service)
            target = targets.setdefault(key, Target(*key))
            target.profile = profile
            if profile.consumer:
                ctx.report("SMI033", profile.obj, (), f"applies to clients in namespace {profile.obj.namespace} only")
        routes: list[Route] = []
        for target in targets.values():
            routes += build(target, ctx)
        for obj in objs:
            if obj.kind == "HTTPRouteGroup":
                splits.account_group(obj, ctx, id(obj) in used)
        out.routes = routes
        return out

    def findings(self) -> Sequence[FindingSpec]:
        return SPECS

    def simulator(self, objects: list[dict]) -> Any:
        from migrate.plugins.smi.simulator import SmiSimulator  # only the semantic diff needs it

        return SmiSimulator(objects)
