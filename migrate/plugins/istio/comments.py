"""Comments written in the input, gathered for the output object made from that part."""

from __future__ import annotations

from typing import Any, Sequence

from migrate.plugin import SourceObject, render_path

Path_ = tuple[Any, ...]


def _under(path: Path_, prefix: Path_) -> bool:
    return path[: len(prefix)] == prefix


def under(obj: SourceObject, prefix: Path_, taken: Sequence[Path_] = ()) -> list[str]:
    """Comment lines on every node under ``prefix`` except those under ``taken`` (file order).

    For the whole object (``prefix == ()``) each line names the field it was written on,
    unless it sits above the document."""
    out: list[str] = []
    comments = obj.document.comments
    for path in obj.comment_paths():
        if not _under(path, prefix) or any(_under(path, t) for t in taken):
            continue
        lines = list(comments.leading.get(path, ()))
        if path in comments.eol:
            lines.append(comments.eol[path])
        if prefix == () and len(path) > 1:
            lines = [f"{render_path(path)}: {line}" for line in lines]
        out.extend(lines)
    if prefix == ():
        out.extend(getattr(comments, "trailing", ()) or ())
    return out


ROUTE_PARTS: tuple[Path_, ...] = (("spec", "http"), ("spec", "tls"), ("spec", "tcp"))
SERVER_PARTS: tuple[Path_, ...] = (("spec", "servers"),)
