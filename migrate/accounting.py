"""The net under "nothing is lost silently": every input field a plugin neither
converted nor explained becomes a GM004 finding."""

from __future__ import annotations

from typing import Any, Iterator

from migrate.plugin import SourceObject

Path_ = tuple[Any, ...]

#: written by the API server, not by the user: they describe the old object, not traffic
SERVER_FIELDS: tuple[Path_, ...] = (
    ("apiVersion",), ("kind",), ("status",),
    ("metadata", "name"), ("metadata", "namespace"), ("metadata", "uid"), ("metadata", "resourceVersion"),
    ("metadata", "generation"), ("metadata", "creationTimestamp"), ("metadata", "managedFields"),
    ("metadata", "selfLink"), ("metadata", "deletionTimestamp"), ("metadata", "deletionGracePeriodSeconds"),
)


def unaccounted(obj: SourceObject) -> Iterator[Path_]:
    """The outermost paths of ``obj`` that nobody accounted for."""
    for path in SERVER_FIELDS:
        obj.account(path)
    # every strict ancestor of an accounted path: a node with one below it is walked into
    above = {done[:n] for done in obj.accounted for n in range(len(done))}
    yield from _walk(obj, obj.data, (), above)


def _walk(obj: SourceObject, node: Any, path: Path_, above: set[Path_]) -> Iterator[Path_]:
    if (path and obj.is_accounted(path)) or node in (None, {}, []):
        return
    if path and path not in above:
        yield path
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(obj, value, path + (key,), above)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(obj, value, path + (i,), above)
