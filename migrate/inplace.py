"""What ``convert --in-place`` writes: each converted document replaced where it stood.

LibCST's lesson, sized to YAML: only what we rewrite is rewritten. A file is cut
into document chunks exactly as the loader cut it; a converted document's chunk
is replaced by the objects made from it (their comments included), and every
other byte of the file is copied from the original. Objects made from many
documents (Gateways, ReferenceGrants) go to one file per Gateway namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from migrate.comments import split_documents
from migrate.emit import Emitted
from migrate.engine import Result
from migrate.load import Document
from migrate.yamlout import dump_all
from migrate.yamlsafety import decode


@dataclass(frozen=True)
class FilePlan:
    path: Path
    #: None for a file that does not exist yet
    old: str | None
    new: str


def _key(file: str, line: int | None) -> tuple[str, int | None]:
    return (file, line)


def _products(result: Result) -> tuple[dict[tuple[str, int | None], list[Emitted]], list[Emitted]]:
    """Objects by the document they were made from, and the shared ones."""
    docs = {_key(d.origin.file, d.line_of(())) for d in result.documents if d.origin in result.owners}
    by_doc: dict[tuple[str, int | None], list[Emitted]] = {}
    shared: list[Emitted] = []
    for item in result.objects:
        src = item.source
        key = _key(src.file, src.line) if src is not None else None
        if key in docs and item.obj["kind"] != "Gateway":
            by_doc.setdefault(key, []).append(item)
        else:
            shared.append(item)
    return by_doc, shared


def plan(result: Result, *, root: Path, keep_source: bool = False, gateway_file: str | None = None) -> list[FilePlan]:
    """The files to write (only those whose text changes)."""
    by_doc, shared = _products(result)
    converted = [d for d in result.documents if d.origin in result.owners]
    plans: list[FilePlan] = []
    for file in sorted({d.origin.file for d in converted if d.origin.file != "<stdin>"}):
        docs = [d for d in converted if d.origin.file == file]
        old, new = _rewrite(Path(file), docs, by_doc, keep_source)
        if new != old:
            plans.append(FilePlan(Path(file), old, new))
    plans.extend(_shared_files(shared, root, gateway_file))
    return plans


def _rewrite(path: Path, docs: list[Document], by_doc: dict, keep_source: bool) -> tuple[str, str]:
    text = decode(path.read_bytes()).text
    chunks = split_documents(text)
    replace: dict[int, list[Emitted]] = {}
    for doc in docs:
        if doc.origin.item is not None:
            continue  # a List item: the List stays (rewriting part of a List is not done in place)
        replace.setdefault(doc.origin.index, []).extend(by_doc.get(_key(doc.origin.file, doc.line_of(())), []))
    out, cursor = [], 0
    for index, chunk in enumerate(chunks):
        if index not in replace:
            continue
        out.append(text[cursor:chunk.offset])
        out.append(_replacement(chunk.text, replace[index], keep_source))
        cursor = chunk.offset + len(chunk.text)
    out.append(text[cursor:])
    return text, "".join(out)


def _replacement(original: str, products: list[Emitted], keep_source: bool) -> str:
    marker = "---\n" if original.startswith("---") else ""
    body = dump_all((p.obj, p.comments) for p in products)
    if keep_source:
        kept = original if original.endswith("\n") else original + "\n"
        return kept + ("---\n" + body if body else "")
    return marker + body if body else ""


def _shared_files(shared: Iterable[Emitted], root: Path, gateway_file: str | None) -> list[FilePlan]:
    files: dict[Path, list[Emitted]] = {}
    gateway_namespaces = sorted({e.key[1] for e in shared if e.obj["kind"] == "Gateway"}) or ["gateway"]
    for item in shared:
        ns = item.key[1] if item.obj["kind"] == "Gateway" else _home(item, gateway_namespaces)
        target = root / (gateway_file or f"gateways-{ns}.yaml")
        files.setdefault(target, []).append(item)
    plans = []
    for path, items in sorted(files.items()):
        new = dump_all((i.obj, i.comments) for i in items)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != new:
            plans.append(FilePlan(path, old, new))
    return plans


def _home(item: Emitted, gateway_namespaces: list[str]) -> str:
    """Shared objects that are not Gateways live with the Gateway they serve."""
    for entry in item.obj.get("spec", {}).get("from", []):
        if entry.get("kind") == "Gateway":
            return entry["namespace"]
    return gateway_namespaces[0]


def unified(plans: Iterable[FilePlan], root: Path | None = None) -> str:
    """A unified diff of the plans, like ``git diff`` would show after writing them."""
    import difflib

    out = []
    for p in plans:
        name = str(p.path.relative_to(root)) if root and p.path.is_relative_to(root) else str(p.path)
        old = (p.old or "").splitlines(True)
        out.extend(difflib.unified_diff(old, p.new.splitlines(True), f"a/{name}" if p.old is not None else "/dev/null",
                                        f"b/{name}"))
    return "".join(out)
