"""What the source text says that libyaml does not: lines, documents, comments, templates.

A stream is cut into documents textually, so each parses (and fails) on its own, with
line numbers counted the way libyaml counts them. libyaml throws comments away, so
they are read back from the text: a ``#`` starts a comment only at the start of a line
or after a blank, and only outside every scalar (the composed nodes' marks say where
scalars lie), so ``"a # b"`` and block scalar text stay data. The same map of scalars
tells a Helm template's ``{{ ... }}`` from Go-template text a ConfigMap carries as data.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

from yaml.nodes import Node, ScalarNode

Path_ = tuple[str | int, ...]
# (path, key node or None, value node) for every node built, in document order.
Entry = tuple[Path_, ScalarNode | None, Node]


# ---------------------------------------------------------------- lines

# libyaml counts all of these as line breaks; line numbers must agree with its marks.
# Text without a lone CR or a Unicode break can be handled by faster '\n'-only code.
_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_EXOTIC_BREAK = re.compile(r"\r(?!\n)|[\x85\u2028\u2029]")


def count_breaks(text: str, start: int, end: int, simple: bool | None = None) -> int:
    """Line breaks in ``text[start:end]`` as libyaml counts them (``simple``: known to
    hold only LF/CRLF breaks)."""
    if simple is None:
        simple = _EXOTIC_BREAK.search(text, start, end) is None
    return text.count("\n", start, end) if simple else len(_BREAK.findall(text, start, end))


def split_lines(text: str) -> list[str]:
    """Lines (a CR may end one) indexed as libyaml's ``mark.line``."""
    if _EXOTIC_BREAK.search(text) is None:
        return text.split("\n")
    return _BREAK.split(text)


# ---------------------------------------------------------------- documents in a stream

_BOL = r"(?:\A|(?<=[\r\n\x85\u2028\u2029]))"
_EOL = r"(?=[\r\n\x85\u2028\u2029]|\Z)"
# A document marker (`---`, `...` then blank or end of line) or a directive, at column 0.
_MARKER_AT = r"(?:(---|\.\.\.)(?=[ \t]|[\r\n\x85\u2028\u2029]|\Z)|%)"
_MARKER = re.compile(_BOL + _MARKER_AT)
_MARKER_LF = re.compile(r"(?m)^" + _MARKER_AT)  # the same for LF/CRLF text, 4x faster
# The first line with content: not blank, not a comment, not a directive, not a bare marker.
_CONTENT = re.compile(
    _BOL + r"(?!(?:---|\.\.\.)(?:[ \t]+(?:#[^\r\n\x85\u2028\u2029]*)?)?" + _EOL + r")(?!%)"
    r"[ \t]*[^ \t\r\n\x85\u2028\u2029#]"
)


@dataclass(frozen=True)
class Chunk:
    """The exact text of one document and where it sits in the file."""

    text: str
    offset: int  # character offset of ``text`` in the decoded file
    first_line: int  # 1-based file line of the chunk's first line
    line: int  # 1-based file line of its first content line


def split_documents(text: str) -> list[Chunk]:
    """Cut a stream at document markers so each document parses (and fails) alone.

    YAML forbids ``---``/``...`` at column 0 inside content, so a textual cut is exact.
    A chunk runs from a marker to the next; comments and directives ahead of a ``---``
    stay with the document that follows. Chunks without content are dropped.
    """
    simple = _EXOTIC_BREAK.search(text) is None
    cuts = [0]
    opened = False  # the current chunk already holds a '---'
    for match in (_MARKER_LF if simple else _MARKER).finditer(text):
        pos, mark = match.start(), match.group(1)
        if mark == "...":
            nxt = _BREAK.search(text, pos)
            cuts.append(nxt.end() if nxt else len(text))
            opened = False
        elif pos > cuts[-1] and ((opened and mark) or _CONTENT.search(text, cuts[-1], pos)):
            cuts.append(pos)
            opened = mark == "---"
        elif mark:
            opened = True
    cuts.append(len(text))
    chunks: list[Chunk] = []
    line = 1
    for start, end in zip(cuts, cuts[1:]):
        if end <= start:
            continue
        content = _CONTENT.search(text, start, end)
        if content is not None:
            first = count_breaks(text, start, content.start(), simple)
            chunks.append(Chunk(text[start:end], start, line, line + first))
        line += count_breaks(text, start, end, simple)
    return chunks


# ---------------------------------------------------------------- comments

_FAR = 1 << 30  # column "to the end of the line"


@dataclass(frozen=True)
class Comments:
    """Comment text (without ``#`` and one following space) by the path it belongs to."""

    leading: Mapping[Path_, tuple[str, ...]] = field(default_factory=dict)
    eol: Mapping[Path_, str] = field(default_factory=dict)
    trailing: tuple[str, ...] = ()


class SourceMap:
    """Which columns of the lines holding ``#`` or ``{{`` belong to scalars."""

    def __init__(self, lines: list[str], entries: list[Entry]) -> None:
        self.lines = lines
        self._spans: dict[int, list[tuple[int, int, ScalarNode]]] = {}
        self._comment: dict[int, int | None] = {}
        marked = [i for i, line in enumerate(lines) if "#" in line or "{{" in line]
        if not marked:
            return
        on_marked = set(marked)
        for _, knode, vnode in entries:
            for node in (knode, vnode):
                if node is None or node.__class__ is not ScalarNode:
                    continue
                first, last = node.start_mark.line, node.end_mark.line
                if first == last and first not in on_marked:
                    continue  # the common case: a one-line scalar on a line without '#'
                self._add(node, first, last, marked)

    def _add(self, node: ScalarNode, first: int, last: int, marked: list[int]) -> None:
        start, end = node.start_mark.column, node.end_mark.column
        if node.style in ("|", ">"):
            first, start = first + 1, 0  # the header line holds indicators and maybe a comment
        for i in marked[bisect_left(marked, first):bisect_right(marked, last)]:
            span = (start if i == first else 0, end if i == last else _FAR, node)
            self._spans.setdefault(i, []).append(span)

    def scalar_at(self, line: int, col: int) -> ScalarNode | None:
        for start, end, node in self._spans.get(line, ()):
            if start <= col < end:
                return node
        return None

    def comment_col(self, line: int) -> int | None:
        """Column where the comment of ``line`` starts, if it has one."""
        if line in self._comment:
            return self._comment[line]
        text, found = self.lines[line], None
        col = text.find("#")
        while col >= 0:
            if (col == 0 or text[col - 1] in " \t") and self.scalar_at(line, col) is None:
                found = col
                break
            col = text.find("#", col + 1)
        self._comment[line] = found
        return found


def _text(comment: str) -> str:
    body = comment[1:]
    return (body[1:] if body.startswith(" ") else body).rstrip()


def _keep_outer(table: dict[int, tuple[int, int, Path_]], line: int, cand: tuple[int, int, Path_]) -> None:
    old = table.get(line)
    if old is None or cand[:2] < old[:2]:
        table[line] = cand


def collect(smap: SourceMap, entries: list[Entry]) -> Comments:
    """Attach every comment of a chunk to a path.

    A block of full-line comments goes to the outermost entry (a key, a ``-`` item, the
    document) starting on the next content line; an end-of-line comment goes to the
    node ending last before it on its line; what follows the last content is trailing.
    """
    blocks: list[tuple[int, tuple[str, ...]]] = []  # (next content line, comment block)
    notes: list[tuple[int, int, str]] = []  # (line, column, end-of-line comment)
    pending: list[str] = []
    for i, line in enumerate(smap.lines):
        col = smap.comment_col(i) if "#" in line else None
        head = line if col is None else line[:col]
        marker = head.startswith("%") or head.rstrip() in ("---", "...")
        if head.strip() and not marker:
            if pending:
                blocks.append((i, tuple(pending)))
                pending = []
            if col is not None:
                notes.append((i, col, _text(line[col:])))
        elif col is not None:
            pending.append(_text(line[col:]))
    if not blocks and not notes:
        return Comments({}, {}, tuple(pending))
    find = _Targets(smap, entries, {i for i, _ in blocks} | {i for i, _, _ in notes})
    leading: dict[Path_, tuple[str, ...]] = {}
    trailing: tuple[str, ...] = ()
    for i, block in blocks:
        target = find.leading(i)
        if target is None:  # no node at or after this line
            trailing += block
        else:
            leading[target] = leading.get(target, ()) + block
    eol: dict[Path_, str] = {}
    for i, col, note in notes:
        target = find.eol(i, col)
        if target is not None:
            eol[target] = note
    return Comments(leading, eol, trailing + tuple(pending))


class _Targets:
    """The paths that comments on a few lines can belong to.

    Only the lines that need an answer are indexed: scanning every node of every
    document would cost as much as building the data.
    """

    def __init__(self, smap: SourceMap, entries: list[Entry], wanted: set[int]) -> None:
        self.smap, self.entries = smap, entries
        self.entry_at: dict[int, tuple[int, int, Path_]] = {}
        self.node_at: dict[int, tuple[int, int, Path_]] = {}
        self.ends: dict[int, tuple[int, Path_]] = {}
        self._after: dict[int, Path_] | None = None
        self._after_lines: list[int] = []
        seen: set[int] = set()
        for path, knode, vnode in entries:
            fresh = id(vnode) not in seen  # an alias repeats its anchor's node: first place wins
            seen.add(id(vnode))
            start = vnode.start_mark
            if knode is not None:
                mark = knode.start_mark
                if mark.line in wanted:
                    _keep_outer(self.entry_at, mark.line, (len(path), mark.column, path))
                self._ending(knode, path, wanted)
            elif fresh and start.line in wanted:  # a list item or the document
                _keep_outer(self.entry_at, start.line, (len(path), start.column, path))
            if fresh:
                if start.line in wanted:
                    _keep_outer(self.node_at, start.line, (len(path), start.column, path))
                self._ending(vnode, path, wanted)

    def _ending(self, node: Node, path: Path_, wanted: set[int]) -> None:
        """Scalars and flow collections end where written; block collections' end marks
        point at whatever token follows, so they are no use here."""
        mark = node.end_mark
        if mark.line in wanted and (node.__class__ is ScalarNode or getattr(node, "flow_style", False)):
            best = self.ends.get(mark.line)
            if best is None or mark.column >= best[0]:
                self.ends[mark.line] = (mark.column, path)

    def leading(self, i: int) -> Path_ | None:
        hit = self.entry_at.get(i) or self.node_at.get(i)
        if hit is not None:
            return hit[2]
        # Content with no node starting on it (a "-" alone, a closing bracket, a
        # scalar's second line): the comments go to the next entry, keeping their order.
        if self._after is None:
            self._after = self._all_entry_lines()
            self._after_lines = sorted(self._after)
        j = bisect_right(self._after_lines, i)
        return self._after[self._after_lines[j]] if j < len(self._after_lines) else None

    def eol(self, i: int, col: int) -> Path_ | None:
        end = self.ends.get(i)
        return end[1] if end is not None and end[0] <= col else self.leading(i)

    def _all_entry_lines(self) -> dict[int, Path_]:
        table: dict[int, tuple[int, int, Path_]] = {}
        for path, knode, vnode in self.entries:
            mark = knode.start_mark if knode is not None else vnode.start_mark
            _keep_outer(table, mark.line, (len(path), mark.column, path))
        return {line: cand[2] for line, cand in table.items()}


# ---------------------------------------------------------------- Helm templates

HELM_REASON = "looks like a Helm template; render it first: helm template ... | gateway-migrate convert -"
# Actions that only Helm's template engine understands (not Prometheus/Alertmanager text).
_HELM_ACTION = re.compile(
    r"\{\{-?[^}]*\.(?:Values|Release|Chart|Capabilities|Files|Template)\b"
    r"|\{\{-?\s*(?:include|tpl|toYaml|required|define|template)\b"
)
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")
_ACTION = re.compile(r"\{\{")
_COMMENT = re.compile(r"(?:^|[ \t])#")


def unquoted_action(chunk: str) -> bool:
    """A ``{{`` outside quotes and comments on some line: evidence, once the parse has
    failed, that template syntax is what broke it."""
    for line in chunk.splitlines():
        if "{{" in line:
            bare = _COMMENT.split(_QUOTED.sub("", line), 1)[0]
            if "{{" in bare:
                return True
    return False


def template_outside_strings(smap: SourceMap) -> bool:
    """Does a parsed chunk hold ``{{`` where YAML structure (not a string) is?

    Inside quoted and block scalars it is data (alert templates in a ConfigMap); inside
    a plain scalar only a Helm-specific action counts; anywhere else it is a template.
    """
    for i, line in enumerate(smap.lines):
        if "{{" not in line:
            continue
        stop = smap.comment_col(i)
        for match in _ACTION.finditer(line):
            if stop is not None and match.start() > stop:
                break
            node = smap.scalar_at(i, match.start())
            if node is None or (not node.style and _HELM_ACTION.search(node.value)):
                return True
    return False
