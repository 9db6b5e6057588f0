"""The HTTPProxy include tree, flattened as Contour's DAG builder does.

Only roots (``spec.virtualhost``) serve traffic. Walking from each root, every
include adds its conditions to those above it and its target's routes follow;
an include of a missing HTTPProxy or of another root makes Contour answer that
include's own conditions with 502 (none when it has no conditions); an include back
onto the chain is not followed (cycle); an include with invalid or duplicate
conditions is skipped; an invalid route makes Contour drop every route of its proxy
(``internal/dag/httpproxy_processor.go``, computeRoutes). HTTPProxies no root
reaches are orphaned and not served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migrate.plugin import SourceObject
from migrate.plugins.contour import conditions
from migrate.plugins.contour.conditions import Cond
from migrate.plugins.contour.util import as_dict, as_list, text

Path_ = tuple[Any, ...]
Key = tuple[str, str]


@dataclass
class FlatRoute:
    """One route as Contour serves it under a root: where it was written, its merged conditions."""

    proxy: SourceObject
    #: index into proxy.spec.routes; None for the 502 stand-in of a broken include
    index: int | None
    conds: list[Cond]
    #: the chain of HTTPProxies from the root to ``proxy``
    chain: tuple[Key, ...] = ()
    #: for a broken include: the include's path in ``proxy``
    include_path: Path_ | None = None


@dataclass
class Problem:
    code: str
    obj: SourceObject
    path: Path_
    message: str


@dataclass
class Tree:
    routes: list[FlatRoute] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: every HTTPProxy the walk reached (not orphaned)
    reached: set[Key] = field(default_factory=set)
    #: targets of includes Contour skipped: target -> "ns/name spec.includes[i] (why)"
    skipped: dict[Key, str] = field(default_factory=dict)


def key_of(obj: SourceObject) -> Key:
    return (obj.namespace, obj.name)


def _conds(obj: SourceObject, base: Path_, raw: Any) -> list[Cond]:
    return [Cond(obj, base + (i,), c) for i, c in enumerate(as_list(raw)) if isinstance(c, dict)]


def include_problem(inc: dict, earlier: list[str]) -> str | None:
    """Why Contour skips this include (the rest of the proxy is still served), or None.
    ``earlier`` collects the condition signatures of the includes before it (duplicates are skipped)."""
    if not text(inc.get("name")):
        return "an include needs a name"
    why = conditions.invalid(as_list(inc.get("conditions")), include=True)
    if why:
        return why
    sig = repr(sorted(repr(c) for c in as_list(inc.get("conditions"))))
    if sig in earlier:
        return "an earlier include has identical conditions"
    earlier.append(sig)
    return None


def proxy_problem(obj: SourceObject) -> tuple[Path_, str] | None:
    """Why Contour drops every route of this HTTPProxy (and of the proxies it includes), or None:
    an invalid route (``computeRoutes`` returns nothing for the whole proxy)."""
    spec = as_dict(obj.data.get("spec"))
    for i, route in enumerate(as_list(spec.get("routes"))):
        if not isinstance(route, dict):
            return ("spec", "routes", i), "a route is not a mapping"
        why = conditions.invalid(as_list(route.get("conditions")), include=False)
        if why:
            return ("spec", "routes", i, "conditions"), why
    return None


def walk(root: SourceObject, index: dict[Key, SourceObject]) -> Tree:
    tree = Tree()
    _visit(root, root, [], (), index, tree)
    return tree


def _visit(proxy: SourceObject, including: SourceObject, above: list[Cond], chain: tuple[Key, ...],
           index: dict[Key, SourceObject], tree: Tree) -> None:
    key = key_of(proxy)
    if key in chain:
        path = " -> ".join(f"{ns}/{name}" for ns, name in chain + (key,))
        tree.problems.append(Problem("CTR012", including, ("spec", "includes"), f"include cycle {path}: not followed"))
        return
    tree.reached.add(key)
    chain = chain + (key,)
    problem = proxy_problem(proxy)
    if problem is not None:
        tree.problems.append(Problem("CTR023", proxy, problem[0], f"{problem[1]}: Contour marks HTTPProxy "
                                                                   f"{key[0]}/{key[1]} invalid and serves none of its routes"))
        return
    spec = as_dict(proxy.data.get("spec"))
    mine: list[FlatRoute] = []
    earlier: list[str] = []
    for i, raw in enumerate(as_list(spec.get("includes"))):
        inc = as_dict(raw)
        path = ("spec", "includes", i)
        skipped = include_problem(inc, earlier)
        if skipped:
            target = f"{text(inc.get('namespace')) or proxy.namespace}/{text(inc.get('name')) or '?'}"
            if text(inc.get("name")):
                tree.skipped.setdefault((text(inc.get("namespace")) or proxy.namespace, text(inc["name"])),
                                        f"{key[0]}/{key[1]} spec.includes[{i}] ({skipped})")
            tree.problems.append(Problem("CTR017", proxy, path, f"include of {target} skipped: {skipped}. Contour "
                                                                f"reports HTTPProxy {key[0]}/{key[1]} invalid but "
                                                                "serves its other routes; requests for these "
                                                                "conditions go to them (or get 404), here too"))
            proxy.account(path)
            continue
        own = _conds(proxy, path + ("conditions",), inc.get("conditions"))
        conds = above + own
        target_key = (text(inc.get("namespace")) or proxy.namespace, text(inc.get("name")))
        target = index.get(target_key)
        if target is None or as_dict(target.data.get("spec")).get("virtualhost") is not None:
            why = "does not exist" if target is None else "is a root (has a virtualhost)"
            if own:
                # Contour's 502 route carries only this include's own conditions, not those above it
                tree.problems.append(Problem("CTR011", proxy, path, f"include {target_key[0]}/{target_key[1]} {why}: "
                                                                    "Contour answers its conditions with 502" + (
                                                                        " (only this include's own conditions, not "
                                                                        "those of the includes above it)" if above else "")))
                mine.append(FlatRoute(proxy, None, own, chain, path))
            else:
                tree.problems.append(Problem("CTR011", proxy, path, f"include {target_key[0]}/{target_key[1]} {why} "
                                                                    "and has no conditions: Contour adds no route for it"))
                proxy.account(path)
            continue
        proxy.account(path + ("name",), path + ("namespace",))
        if target_key not in chain:
            tree.problems.append(Problem("CTR004", proxy, path, f"include {target_key[0]}/{target_key[1]}: its routes are "
                                                                "flattened into HTTPRoutes in its namespace"))
        before = len(tree.routes)
        _visit(target, proxy, conds, chain, index, tree)
        mine += tree.routes[before:]
        del tree.routes[before:]
    for i, route in enumerate(as_list(spec.get("routes"))):
        conds = above + _conds(proxy, ("spec", "routes", i, "conditions"), as_dict(route).get("conditions"))
        mine.append(FlatRoute(proxy, i, conds, chain))
    tree.routes += mine
