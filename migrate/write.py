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


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777  # an existing file keeps its mode
    except FileNotFoundError:
        mode = 0o644
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)  # the umask may have narrowed it at creation
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_dir(root: Path, objects: Iterable[Emitted]) -> list[Path]:
    root = root.resolve()
    items = list(objects)
    paths = [out_path(root, item).resolve() for item in items]
    for path in paths:
        if root not in path.parents:
            raise ValueError(f"refusing to write outside {root}: {path}")

    def write(chunk: Sequence[Emitted], start: int, end: int) -> list[Path]:
        for index in range(start, end):
            atomic_write(paths[index], dump(chunk[index].obj, chunk[index].comments))
        return paths[start:end]

    return map_ranges(write, items)
