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


def _existing(result: Result) -> set[tuple[str, str, str]]:
    """Gateway API objects already in the input (a previous run's output)."""
    out = set()
    for d in result.documents:
        if d.api_version.startswith("gateway.networking.k8s.io/"):
            meta = d.data.get("metadata") or {}
            out.add((d.kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")))
    return out


def plan(result: Result, *, root: Path, keep_source: bool = False, gateway_file: str | None = None) -> list[FilePlan]:
    """The files to write (only those whose text changes).

    An Ingress whose products are all in the input already (a previous run with
    --keep-source) counts as converted and is left alone: a second run changes nothing.
    """
    by_doc, shared = _products(result)
    existing = _existing(result)
    already = {k for k, items in by_doc.items() if items and all(i.key in existing for i in items)}
    for key in already:
        by_doc[key] = []  # its products are in the repo already: do not write them twice

    def rewritten(doc: Document) -> bool:
        if doc.origin not in result.owners:
            return False
        # with --keep-source the Ingress stays: only one with products still to write changes its file
        return not keep_source or bool(by_doc.get(_key(doc.origin.file, doc.line_of(()))))

    converted = [d for d in result.documents if rewritten(d)]
    plans: list[FilePlan] = []
    for file in sorted({d.origin.file for d in converted if d.origin.file != "<stdin>"}):
        docs = [d for d in converted if d.origin.file == file]
        old, new = _rewrite(Path(file), docs, by_doc, keep_source)
        if new != old:
            plans.append(FilePlan(Path(file), old, new))
    plans.extend(_shared_files([i for i in shared if i.key not in existing or i.obj["kind"] == "Gateway"], root,
                               gateway_file))
    plans.extend(_kustomizations(plans, root))
    for item in plans:
        _check_inside(item.path, root)
    return plans


def _check_inside(path: Path, root: Path) -> None:
    """Never write outside the target, not even through a symlink."""
    real_root = root.resolve()
    real = path.resolve()
    if real_root not in real.parents and real != real_root:
        raise ValueError(f"refusing to write {path}: it resolves outside {root}")


def _kustomizations(plans: list[FilePlan], root: Path) -> list[FilePlan]:
    """A kustomization.yaml beside a new file lists it in resources (comments kept)."""
    from ruamel.yaml import YAML

    out = []
    new_files = [p.path for p in plans if p.old is None]
    for folder in sorted({p.parent for p in new_files}):
        kustomization = next((folder / n for n in ("kustomization.yaml", "kustomization.yml", "Kustomization")
                              if (folder / n).is_file()), None)
        if kustomization is None:
            continue
        yaml = YAML()
        yaml.preserve_quotes = True
        text = kustomization.read_text(encoding="utf-8")
        data = yaml.load(text)
        resources = data.setdefault("resources", [])
        added = False
        for path in new_files:
            if path.parent == folder and path.name not in resources:
                resources.append(path.name)
                added = True
        if added:
            import io

            buffer = io.StringIO()
            yaml.dump(data, buffer)
            out.append(FilePlan(kustomization, text, buffer.getvalue()))
    return out


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
