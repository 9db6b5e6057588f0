"""Untrusted bytes to YAML nodes and plain data, with every failure turned into a message.

The loader must survive anything a user points it at: broken encodings, syntax errors,
alias bombs, absurd nesting, tags Kubernetes would refuse. Each of those becomes a
``Problem`` (an exception used only inside this package) that the loader turns into a
``LoadError`` for one document, so the other documents of the file still load.

Parsing is libyaml's composer (``yaml.CSafeLoader``) for speed; plain data is built here
from the node graph because PyYAML's Python constructor is the slow half of
``yaml.load`` and cannot record where each value came from.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from migrate.comments import Chunk, Entry, Path_, count_breaks

_T = "tag:yaml.org,2002:"
_STR, _MAP, _SEQ, _MERGE = _T + "str", _T + "map", _T + "seq", _T + "merge"


class Problem(Exception):
    """A failure of one document; ``str()`` is the one-line message for the user."""


# ---------------------------------------------------------------- bytes to text

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_UNDECODABLE = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Decoded:
    """Decoded text; bytes libyaml would choke on are kept as surrogate escapes so each
    document can be checked (and rejected) on its own."""

    text: str
    bom: int  # bytes of byte-order mark dropped before ``text``


def decode(data: bytes) -> Decoded:
    """Decode UTF-8 (BOM optional) or BOM-marked UTF-16/32; raise Problem only for a
    broken UTF-16/32 file, where no document boundary can be trusted."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if codec == "utf-8":
                break
            try:
                return Decoded(body.decode(codec), len(bom))
            except UnicodeDecodeError as exc:
                raise Problem(f"invalid {codec.upper()} at byte offset {exc.start + len(bom)}") from None
    else:
        bom, body = b"", data
    try:
        return Decoded(body.decode("utf-8"), len(bom))
    except UnicodeDecodeError:
        return Decoded(body.decode("utf-8", "surrogateescape"), len(bom))


def check_encoding(decoded: Decoded, offset: int, chunk: str, first_line: int) -> None:
    """Reject a chunk holding bytes that were not UTF-8, naming the byte and where it is."""
    bad = _UNDECODABLE.search(chunk)
    if bad is None:
        return
    before = chunk[: bad.start()]
    line = first_line + count_breaks(before, 0, len(before))
    col = len(before) - max(before.rfind("\n"), before.rfind("\r")) if before else 1
    byte_offset = decoded.bom + len(decoded.text[: offset + bad.start()].encode("utf-8", "surrogateescape"))
    raise Problem(
        f"not valid UTF-8: byte 0x{ord(bad.group()) - 0xDC00:02x} at byte offset {byte_offset} "
        f"(line {line}, column {col})"
    )


# ---------------------------------------------------------------- parsing


_TAG_CACHE: dict[str, str] = {}


try:
    from yaml.cyaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: the same results, slower
    _Parser = yaml.SafeLoader  # type: ignore[assignment,misc]


class _Composer(_Parser, Resolver):  # type: ignore[misc,valid-type]
    """``yaml.CSafeLoader``'s libyaml parser and YAML 1.1 resolver without its Python
    constructor; the resolver's per-node Python hooks are trimmed since they cost as
    much as parsing (no path resolvers are registered, and plain scalars repeat)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        Resolver.__init__(self)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:
            return _SEQ if kind is SequenceNode else _MAP
        if not implicit[0]:
            return _STR
        tag = _TAG_CACHE.get(value)
        if tag is None:
            tag = Resolver.resolve(self, kind, value, implicit)
            if len(value) < 64 and len(_TAG_CACHE) < 100_000:
                _TAG_CACHE[value] = tag
        return tag


def compose(chunk: Chunk) -> Node | None:
    """libyaml's node graph of one chunk (None when it holds no node)."""
    loader = _Composer(chunk.text)
    try:
        return loader.get_single_node()
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; no mark
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        line = chunk.first_line + count_breaks(chunk.text, 0, exc.position)
        raise Problem(f"character U+{char:04X} at line {line}: {exc.reason}") from None
    except yaml.YAMLError as exc:
        raise Problem(syntax_message(exc, chunk)) from None
    except RecursionError:  # only the pure-Python fallback composer recurses
        raise Problem("YAML nesting is too deep to parse") from None
    finally:
        loader.dispose()


def syntax_message(exc: yaml.YAMLError, chunk: Chunk) -> str:
    """One line: what libyaml said and where, in file lines and 1-based columns."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return "YAML syntax error: " + " ".join(str(exc).split())
    mark = exc.problem_mark or exc.context_mark
    where = ""
    if mark is not None:
        last = count_breaks(chunk.text, 0, len(chunk.text))
        if mark.line >= last and mark.column == 0 and chunk.text.endswith(("\n", "\r")):
            where = f" at the end of the document (line {chunk.first_line + last - 1})"
        else:
            where = f" at line {chunk.first_line + mark.line}, column {mark.column + 1}"
    what = exc.problem or "invalid YAML"
    if exc.context:
        what += f" ({exc.context})"
    return f"YAML syntax error{where}: " + " ".join(what.split())


def children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return node.value
    return []


def expanded_size(root: Node, limit: int, first_line: int) -> int:
    """Nodes the document would have once aliases are expanded, memoised per node so a
    "billion laughs" costs its compact size to measure. Raises Problem above ``limit``
    or for an alias to one of its own ancestors (which never ends)."""
    size: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            entered.discard(key)
            size[key] = min(limit + 1, 1 + sum(size[id(c)] for c in children(node)))
            continue
        if key in size:
            continue
        if key in entered:
            raise Problem(f"recursive YAML alias (anchor at line {first_line + node.start_mark.line})")
        entered.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children(node) if id(c) not in size)
    total = size[id(root)]
    if total > limit:
        raise Problem(
            f"YAML aliases expand to more than {limit} nodes (an alias bomb?); "
            "raise the limit if this document is genuine"
        )
    return total


# ---------------------------------------------------------------- plain data

_SC = SafeConstructor()
# Kubernetes reads YAML 1.1 scalars (yes/no/on/off are booleans) but keeps timestamps
# and binary as the strings they are written as.
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    _T + "int": _SC.construct_yaml_int,
    _T + "float": _SC.construct_yaml_float,
    _T + "bool": lambda n: _SC.bool_values[n.value.lower()],
    _T + "null": lambda n: None,
    _T + "timestamp": lambda n: n.value,
    _T + "binary": lambda n: n.value,
    _T + "value": lambda n: n.value,
}


def _key_text(value: Any) -> str:
    """Map keys become strings the way sigs.k8s.io/yaml converts them to JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


class Builder:
    """Plain dicts/lists/scalars from a node graph, with the line of every path.

    Aliases are expanded into fresh objects (the size was bounded beforehand), so no two
    paths share a mutable value. Duplicate keys, bad tags and non-scalar keys are
    collected in ``problems``; nesting beyond ``max_depth`` raises at once.
    """

    def __init__(self, first_line: int, max_depth: int, *, merges: bool, entries: bool) -> None:
        self.base = first_line
        self.max_depth = max_depth
        self.merges = merges
        self.lines: dict[Path_, int] = {}
        self.entries: list[Entry] | None = [] if entries else None
        self.problems: list[str] = []

    def build(self, root: Node) -> Any:
        self.lines[()] = self.base + root.start_mark.line
        if self.entries is not None:
            self.entries.append(((), None, root))
        return self._node(root, (), 1)

    def _node(self, node: Node, path: Path_, depth: int) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        if depth > self.max_depth:
            raise Problem(
                f"nested deeper than {self.max_depth} levels at line {self.base + node.start_mark.line}"
            )
        expected = _MAP if cls is MappingNode else _SEQ
        if node.tag != expected:
            self._unsupported(node)
        if cls is MappingNode:
            return self._merged_map(node, path, depth) if self.merges else self._map(node, path, depth)
        return self._seq(node, path, depth)

    def _seq(self, node: SequenceNode, path: Path_, depth: int) -> list:
        out: list = []
        lines, entries = self.lines, self.entries
        for i, item in enumerate(node.value):
            sub = path + (i,)
            lines[sub] = self.base + item.start_mark.line
            if entries is not None:
                entries.append((sub, None, item))
            out.append(self._node(item, sub, depth + 1))
        return out

    def _map(self, node: MappingNode, path: Path_, depth: int) -> dict:
        out: dict = {}
        lines, entries = self.lines, self.entries
        for knode, vnode in node.value:
            key = knode.value if knode.tag == _STR and knode.__class__ is ScalarNode else self._key(knode)
            if key is None:
                continue
            sub = path + (key,)
            line = self.base + knode.start_mark.line
            if key in out:
                self._duplicate(key, lines[sub], line)
            lines[sub] = line
            if entries is not None:
                entries.append((sub, knode, vnode))
            if vnode.__class__ is ScalarNode and vnode.tag == _STR:
                out[key] = vnode.value
            else:
                out[key] = self._node(vnode, sub, depth + 1)
        return out

    def _merged_map(self, node: MappingNode, path: Path_, depth: int) -> dict:
        """Mapping with YAML 1.1 merge keys (``<<: *base``): explicit keys win, then
        earlier merge sources; only explicit keys can be duplicates."""
        chosen: dict[str, tuple[ScalarNode, Node]] = {}
        explicit: dict[str, int] = {}
        for key, knode, vnode in self._merge_sources(node, 0):
            chosen[key] = (knode, vnode)
        for knode, vnode in node.value:
            if knode.tag == _MERGE:
                continue
            key = self._key(knode)
            if key is None:
                continue
            line = self.base + knode.start_mark.line
            if key in explicit:
                self._duplicate(key, explicit[key], line)
            explicit[key] = line
            chosen.pop(key, None)
            chosen[key] = (knode, vnode)
        out: dict = {}
        for key, (knode, vnode) in chosen.items():
            sub = path + (key,)
            self.lines[sub] = self.base + knode.start_mark.line
            if self.entries is not None:
                self.entries.append((sub, knode, vnode))
            out[key] = self._node(vnode, sub, depth + 1)
        return out

    def _merge_sources(self, node: MappingNode, level: int) -> list[tuple[str, ScalarNode, Node]]:
        """Pairs a mapping's merge keys bring in, lowest precedence first."""
        if level > self.max_depth:
            raise Problem(f"merge keys nested deeper than {self.max_depth} levels")
        pairs: list[tuple[str, ScalarNode, Node]] = []
        for knode, vnode in node.value:
            if knode.tag != _MERGE:
                continue
            sources = vnode.value if isinstance(vnode, SequenceNode) else [vnode]
            for source in reversed(sources):
                if not isinstance(source, MappingNode):
                    self.problems.append(
                        f"merge key '<<' at line {self.base + knode.start_mark.line} needs a mapping or a list of mappings"
                    )
                    continue
                pairs.extend(self._merge_sources(source, level + 1))
                for k, v in source.value:
                    if k.tag != _MERGE and (key := self._key(k)) is not None:
                        pairs.append((key, k, v))
        return pairs

    def _key(self, knode: Node) -> str | None:
        if knode.__class__ is not ScalarNode:
            kind = "mapping" if isinstance(knode, MappingNode) else "list"
            self.problems.append(f"a {kind} used as a mapping key at line {self.base + knode.start_mark.line}")
            return None
        if knode.tag == _STR:
            return knode.value
        return _key_text(self._scalar(knode))

    def _scalar(self, node: ScalarNode) -> Any:
        make = _SCALARS.get(node.tag)
        if make is None:
            if node.tag == _STR:
                return node.value
            self._unsupported(node)
            return node.value
        try:
            return make(node)
        except (ValueError, KeyError, TypeError):
            self.problems.append(
                f"invalid {node.tag.replace(_T, '!!')} value {node.value!r} at line {self.base + node.start_mark.line}"
            )
            return node.value

    def _unsupported(self, node: Node) -> None:
        tag = node.tag.replace(_T, "!!")
        self.problems.append(f"unsupported YAML tag {tag} at line {self.base + node.start_mark.line}")

    def _duplicate(self, key: str, first: int, again: int) -> None:
        self.problems.append(f"duplicate key {key!r} (lines {first} and {again})")
