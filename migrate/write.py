"""Put converted objects where the user asked: stdout (YAML or JSON) or a directory.

--out-dir layout: ``<dir>/<namespace>/<kind>-<name>.yaml`` (kind lower-case), one
object per file, so a GitOps review shows one change per object. Files are written
atomically (temp file + rename); nothing is written outside the directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable, Sequence

from migrate.emit import Emitted
from migrate.parallel import map_ranges
from migrate.yamlout import dump, dump_all



def render(objects: Iterable[Emitted], fmt: str) -> str:
    objects = list(objects)
    if fmt == "json":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": [o.obj for o in objects]}, indent=2,
                          ensure_ascii=False) + "\n"
    return dump_all((o.obj, o.comments) for o in objects)


def out_path(root: Path, item: Emitted) -> Path:
    kind, namespace, name = item.key
    return root / (namespace or "_cluster") / f"{kind.lower()}-{name}.yaml"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: read once: os.umask can only be read by setting it
_UMASK = _umask()


def atomic_write(path: Path, text: str, *, parent_exists: bool = False) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half."""
    if not parent_exists:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = os.stat(path).st_mode & 0o777  # an existing file keeps its mode
    except FileNotFoundError:
        mode = 0o644
    tmp = f"{path.parent}/.{path.name}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if mode & _UMASK:
            os.chmod(tmp, mode)  # the umask narrowed it at creation
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_dir(root: Path, objects: Iterable[Emitted]) -> list[Path]:
    root = root.resolve()
    items = list(objects)
    paths = [out_path(root, item) for item in items]
    # names are checked as text, and each folder (a namespace, right under root) is
    # resolved once, before anything is written: only a symlinked folder could lead out
    for path in paths:
        if path.parent.parent != root or {path.name, path.parent.name} & {".", ".."}:
            raise ValueError(f"refusing to write outside {root}: {path}")
    folders = sorted({path.parent for path in paths})
    for folder in folders:
        if folder.resolve() != folder:
            raise ValueError(f"refusing to write outside {root}: {folder} leads to {folder.resolve()}")
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)

    def write(chunk: Sequence[Emitted], start: int, end: int) -> list[Path]:
        for index in range(start, end):
            atomic_write(paths[index], dump(chunk[index].obj, chunk[index].comments), parent_exists=True)
        return paths[start:end]

    return map_ranges(write, items)
