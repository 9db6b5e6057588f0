"""Read user input into Documents that remember where they came from.

Loading never raises on bad input: each problem becomes a ``LoadError`` naming the file
and the document, and the other documents of the same input still load, so one broken
manifest does not hide the findings for the rest of a repository. Parsing uses
libyaml (``yaml.CSafeLoader``) a document at a time; ``migrate.yamlsafety`` holds the
guards and ``migrate.comments`` what is read from the text itself (document boundaries,
line numbers, comments, Helm template markers).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from yaml.nodes import MappingNode

from migrate.comments import (
    HELM_REASON,
    Chunk,
    Comments,
    Path_,
    SourceMap,
    collect,
    split_documents,
    split_lines,
    template_outside_strings,
    unquoted_action,
)
from migrate.yamlsafety import Builder, Decoded, Problem, check_encoding, compose, decode, expanded_size

__all__ = [
    "Comments", "Document", "Limits", "LoadError", "LoadResult", "Origin", "Path_", "Skipped",
    "load_bytes", "load_paths",
]

STDIN = "<stdin>"
YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Origin:
    """Where a document came from; printed in every finding about it."""

    file: str
    index: int
    line: int
    item: int | None = None

    def __str__(self) -> str:
        item = "" if self.item is None else f" item {self.item + 1}"
        return f"{self.file}: document {self.index + 1}{item} (line {self.line})"


@dataclass(frozen=True)
class Document:
    """One Kubernetes object as plain data, with its source text, lines and comments."""

    origin: Origin
    data: dict
    text: str
    lines: Mapping[Path_, int]
    comments: Comments

    @property
    def api_version(self) -> str:
        return self.data["apiVersion"]

    @property
    def kind(self) -> str:
        return self.data["kind"]

    def line_of(self, path: Path_) -> int:
        """Line of ``path``, or of its deepest ancestor the source has (a default the
        converter fills in has no line of its own)."""
        path = tuple(path)
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line is not None:
                return line
        return self.origin.line


@dataclass(frozen=True)
class LoadError:
    """A file or document that could not be loaded (``index`` None: the whole file)."""

    file: str
    index: int | None
    line: int | None
    message: str

    def __str__(self) -> str:
        if self.index is not None:
            where = f" (line {self.line})" if self.line is not None else ""
            return f"{self.file}: document {self.index + 1}{where}: {self.message}"
        if self.line is not None:
            return f"{self.file}: line {self.line}: {self.message}"
        return f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Skipped:
    """Input deliberately not loaded, and why (not an error the user made)."""

    file: str
    reason: str


@dataclass(frozen=True)
class Limits:
    """Bounds that keep hostile or accidental input from exhausting memory or time."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_expanded_nodes: int = 100_000
    max_depth: int = 200


@dataclass
class LoadResult:
    documents: list[Document]
    errors: list[LoadError]
    skipped: list[Skipped]
    files: list[str]


# ---------------------------------------------------------------- one stream


def load_bytes(data: bytes, name: str, *, limits: Limits = Limits()) -> LoadResult:
    """Load one YAML/JSON stream; ``name`` is how findings will refer to it."""
    result = LoadResult([], [], [], [])
    _load_stream(result, data, name, limits)
    return result


def _load_stream(result: LoadResult, data: bytes, name: str, limits: Limits) -> None:
    if len(data) > limits.max_file_bytes:
        result.errors.append(LoadError(name, None, None, _too_large(len(data), limits)))
        return
    result.files.append(name)
    try:
        decoded = decode(data)
        outcomes = [_load_chunk(name, i, c, decoded, limits) for i, c in enumerate(split_documents(decoded.text))]
    except Problem as exc:
        result.errors.append(LoadError(name, None, None, str(exc)))
        return
    except Exception as exc:  # a bug here must not cost the user the other files
        result.errors.append(LoadError(name, None, None, f"internal error while loading: {exc!r}"))
        return
    if any(helm for _, _, helm in outcomes):
        result.skipped.append(Skipped(name, HELM_REASON))
        return
    for documents, errors, _ in outcomes:
        result.documents.extend(documents)
        result.errors.extend(errors)


_Outcome = tuple[list[Document], list[LoadError], bool]  # documents, errors, looks like Helm


def _load_chunk(name: str, index: int, chunk: Chunk, decoded: Decoded, limits: Limits) -> _Outcome:
    """Load one document chunk; every failure is confined to it."""
    try:
        return _parse_chunk(name, index, chunk, decoded, limits)
    except Problem as exc:
        return [], [LoadError(name, index, chunk.line, str(exc))], False
    except RecursionError:
        return [], [LoadError(name, index, chunk.line, "nested too deeply to load")], False
    except Exception as exc:  # never a traceback for the user; keep the other documents
        return [], [LoadError(name, index, chunk.line, f"internal error while loading: {exc!r}")], False


def _parse_chunk(name: str, index: int, chunk: Chunk, decoded: Decoded, limits: Limits) -> _Outcome:
    text = chunk.text
    check_encoding(decoded, chunk.offset, text, chunk.first_line)
    try:
        root = compose(chunk)
    except Problem as exc:
        helm = "{{" in text and unquoted_action(text)
        return [], [LoadError(name, index, chunk.line, str(exc))], helm
    if root is None:
        return [], [], False
    if "&" in text and "*" in text:
        expanded_size(root, limits.max_expanded_nodes, chunk.first_line)
    need_map = "#" in text or "{{" in text
    builder = Builder(chunk.first_line, limits.max_depth, merges="<<" in text, entries=need_map)
    data = builder.build(root)
    smap = SourceMap(split_lines(text), builder.entries or []) if need_map else None
    if smap is not None and "{{" in text and template_outside_strings(smap):
        return [], [], True
    if builder.problems:
        return [], [LoadError(name, index, chunk.line, p) for p in builder.problems], False
    if not isinstance(root, MappingNode):
        return [], [LoadError(name, index, chunk.line, f"document is {_describe(data)}, not a mapping")], False
    problem = _identity_problem(data)
    if problem:
        return [], [LoadError(name, index, chunk.line, problem)], False
    comments = collect(smap, builder.entries or []) if smap is not None and "#" in text else Comments({}, {}, ())
    origin = Origin(name, index, chunk.line)
    if _is_list(data):
        return _expand_list(Document(origin, data, text, builder.lines, comments))
    return [Document(origin, data, text, builder.lines, comments)], [], False


_TYPE_NAMES = {bool: "a boolean", int: "a number", float: "a number", str: "a string", dict: "a mapping"}


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    return f"{_TYPE_NAMES.get(type(value), 'a ' + type(value).__name__)} ({shown})"


def _identity_problem(obj: dict) -> str | None:
    """Every Kubernetes object names its apiVersion and kind, as non-empty strings."""
    problems = []
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if value is None or value == "":
            problems.append(f"missing {field}")
        elif not isinstance(value, str):
            problems.append(f"{field} must be a string, not {_describe(value)}")
    return "; ".join(problems) or None


# ---------------------------------------------------------------- List wrappers


def _is_list(data: dict) -> bool:
    """``kubectl get -o yaml`` wraps objects in ``kind: List``; API list kinds
    (``ServiceList``, v1) wrap them too."""
    kind = data["kind"]
    return kind == "List" or (kind.endswith("List") and data["apiVersion"] == "v1" and "items" in data)


def _by_item(table: Mapping[Path_, Any]) -> dict[int, dict[Path_, Any]]:
    """Split a per-path table of a List into one per item, paths made item-relative."""
    groups: dict[int, dict[Path_, Any]] = {}
    for path, value in table.items():
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            groups.setdefault(path[1], {})[path[2:]] = value
    return groups


def _expand_list(wrapper: Document) -> _Outcome:
    """One Document per List item; the List's own head/tail comments go to the first/last."""
    origin, data = wrapper.origin, wrapper.data
    items = data.get("items")
    if items is None:
        return [], [], False
    if not isinstance(items, list):
        return [], [LoadError(origin.file, origin.index, origin.line, f"items of a {data['kind']} must be a list")], False
    implied_kind = data["kind"][: -len("List")] if data["kind"] != "List" else None
    lines, leading, eol = _by_item(wrapper.lines), _by_item(wrapper.comments.leading), _by_item(wrapper.comments.eol)
    documents: list[Document] = []
    errors: list[LoadError] = []
    for i, item in enumerate(items):
        line = wrapper.lines.get(("items", i), origin.line)
        if not isinstance(item, dict):
            errors.append(LoadError(origin.file, origin.index, line, f"item {i + 1} is {_describe(item)}, not a mapping"))
            continue
        if implied_kind:  # API list responses leave kind/apiVersion off their items
            item.setdefault("kind", implied_kind)
            item.setdefault("apiVersion", data["apiVersion"])
        problem = _identity_problem(item)
        if problem:
            errors.append(LoadError(origin.file, origin.index, line, f"item {i + 1}: {problem}"))
            continue
        head = leading.get(i, {})
        if i == 0 and () in wrapper.comments.leading:
            head = {**head, (): wrapper.comments.leading[()] + head.get((), ())}
        tail = wrapper.comments.trailing if i == len(items) - 1 else ()
        documents.append(Document(
            Origin(origin.file, origin.index, line, i), item, wrapper.text,
            lines.get(i, {(): line}), Comments(head, eol.get(i, {}), tail),
        ))
    return documents, errors, False


# ---------------------------------------------------------------- files and directories


def load_paths(paths: Sequence[str], *, stdin: BinaryIO | None = None, limits: Limits = Limits()) -> LoadResult:
    """Load files, directories (recursively, sorted) and ``-`` (stdin), in the order given."""
    result = LoadResult([], [], [], [])
    seen: dict[str, str] = {}  # real path -> name it was first read under
    for path in paths:
        if path == "-":
            if STDIN in seen:
                result.skipped.append(Skipped(STDIN, "stdin was already read"))
                continue
            seen[STDIN] = STDIN
            _load_stdin(result, stdin if stdin is not None else sys.stdin.buffer, limits)
        elif os.path.isdir(path):
            files = _walk(path, result)
            if not files:
                result.errors.append(LoadError(path, None, None, "directory holds no .yaml, .yml or .json files"))
            _load_files(result, files, seen, limits)
        else:
            _load_file(result, path, seen, limits)
    return result


def _load_files(result: LoadResult, files: list[str], seen: dict[str, str], limits: Limits) -> None:
    """Many files: parsed on both cores, merged back in order (see migrate.parallel)."""
    from migrate.parallel import map_ranges

    fresh = []
    for file in files:
        real = os.path.realpath(file)
        if real in seen:
            result.skipped.append(Skipped(file, f"same file as {seen[real]}, already read"))
        else:
            seen[real] = file
            fresh.append(file)

    def work(items: Sequence[str], start: int, end: int) -> list[LoadResult]:
        part = LoadResult([], [], [], [])
        for file in items[start:end]:
            _load_file(part, file, {}, limits)
        return [part]

    for part in map_ranges(work, fresh, min_items=200):
        result.documents.extend(part.documents)
        result.errors.extend(part.errors)
        result.skipped.extend(part.skipped)
        result.files.extend(part.files)


def _load_stdin(result: LoadResult, stream: BinaryIO, limits: Limits) -> None:
    try:
        data = _read_limited(stream, limits.max_file_bytes)
    except (OSError, ValueError) as exc:
        result.errors.append(LoadError(STDIN, None, None, f"cannot read: {exc}"))
        return
    if len(data) > limits.max_file_bytes:
        result.errors.append(LoadError(STDIN, None, None, f"input is larger than the limit of {limits.max_file_bytes} bytes"))
        return
    _load_stream(result, data, STDIN, limits)


def _load_file(result: LoadResult, path: str, seen: dict[str, str], limits: Limits) -> None:
    real = os.path.realpath(path)
    if real in seen:
        result.skipped.append(Skipped(path, f"same file as {seen[real]}, already read"))
        return
    seen[real] = path
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limits.max_file_bytes:
                result.errors.append(LoadError(path, None, None, _too_large(info.st_size, limits)))
                return
            data = _read_limited(handle, limits.max_file_bytes, info.st_size + 1)
            if len(data) > limits.max_file_bytes:  # not a regular file, or it grew
                result.errors.append(LoadError(path, None, None, _too_large(None, limits)))
                return
    except FileNotFoundError:
        result.errors.append(LoadError(path, None, None, "no such file or directory"))
        return
    except OSError as exc:
        result.errors.append(LoadError(path, None, None, f"cannot read: {exc.strerror or exc}"))
        return
    _load_stream(result, data, path, limits)


def _read_limited(stream: BinaryIO, limit: int, first: int = 1 << 16) -> bytes:
    """At most ``limit + 1`` bytes, in growing blocks: ``read(n)`` allocates ``n`` bytes
    up front, which for the 64 MiB limit would be paid by every small file."""
    parts: list[bytes] = []
    total, want = 0, max(first, 1)
    while total <= limit:
        block = stream.read(min(want, limit + 1 - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
        want = min(want * 2, 1 << 24)
    return b"".join(parts)


def _too_large(size: int | None, limits: Limits) -> str:
    size_text = "larger than" if size is None else f"{size} bytes, over"
    return f"file is {size_text} the limit of {limits.max_file_bytes} bytes; not read"


def _walk(root: str, result: LoadResult) -> list[str]:
    """YAML/JSON files under ``root`` in sorted order, skipping hidden entries and not
    following symlinks that lead outside ``root`` (those are reported as skipped)."""
    top = os.path.realpath(root)
    found: list[str] = []

    def visit(directory: str, real: str, ancestors: frozenset[str]) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            result.errors.append(LoadError(directory, None, None, f"cannot list directory: {exc.strerror or exc}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = os.path.join(directory, entry.name)
            is_yaml = entry.name.lower().endswith(YAML_SUFFIXES)
            if entry.is_symlink():
                target = os.path.realpath(path)
                if os.path.commonpath([top, target]) != top:
                    result.skipped.append(Skipped(path, f"symlink to {target}, outside {root}; not followed"))
                elif os.path.isdir(target):
                    if target in ancestors:
                        result.skipped.append(Skipped(path, f"symlink to {target}, a directory it is inside; not followed"))
                    else:
                        visit(path, target, ancestors | {target})
                elif is_yaml:
                    found.append(path)
            elif entry.is_dir(follow_symlinks=False):
                visit(path, os.path.join(real, entry.name), ancestors | {os.path.join(real, entry.name)})
            elif is_yaml and entry.is_file(follow_symlinks=False):
                found.append(path)

    visit(root, top, frozenset({top}))
    return found
