"""A small, fast YAML writer for the objects we generate, with comments in place.

Our output is plain data (dicts in the order we built them, lists, strings,
numbers, booleans), so a writer of our own is simpler and much faster than a
round-trip library, and lets a comment sit exactly above the part it describes.
Scalars are written plain only when YAML 1.1 (what Kubernetes reads) would read
them back as the same string; otherwise double-quoted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Mapping

import yaml

Path_ = tuple[Any, ...]

_PLAIN = re.compile(r"^[A-Za-z0-9_/.(~][A-Za-z0-9_./@~+=()*;$!:-]*$")
_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=65536)
def scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as exactly this string."""
    if (
        _PLAIN.fullmatch(value)
        and not value.endswith(":")
        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == "tag:yaml.org,2002:str"
    ):
        return value
    return quoted(value)


_PRINTABLE = re.compile("[\t\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: printable, but YAML 1.1 reads them as line breaks (or a BOM) inside a scalar
_BREAKS = "\x85\u2028\u2029\ufeff"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x00": "\\0"}


def quoted(value: str) -> str:
    """A YAML double-quoted scalar; characters YAML may not carry raw are escaped."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _PRINTABLE.match(ch) and ch not in _BREAKS:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _atom(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return scalar(str(value))


def _comment_lines(comments: Iterable[str], indent: str) -> list[str]:
    return [f"{indent}# {c}".rstrip() if c else f"{indent}#" for c in comments]


class _Comments:
    """Comments by path, and every path that has a comment at or below it (so the writer
    tracks paths only inside subtrees that carry comments: most carry none)."""

    def __init__(self, by_path: Mapping[Path_, list[str]]) -> None:
        self.by_path = by_path
        self.above = {p[:n] for p in by_path for n in range(len(p) + 1)}

    def lines(self, path: Path_, pad: str) -> list[str]:
        found = self.by_path.get(path)
        return _comment_lines(found, pad) if found else []

    def under(self, path: Path_) -> "_Comments | None":
        return self if path in self.above else None


def _write(value: Any, indent: int, path: Path_, comments: _Comments | None, out: list[str]) -> None:
    """Write a mapping or list body at ``indent`` (the caller wrote the key or dash).
    ``comments`` is None when nothing at or below ``path`` has a comment."""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            sub, inner = None, None
            if comments is not None:
                sub = path + (key,)
                out.extend(comments.lines(sub, pad))
                inner = comments.under(sub)
            _entry(f"{pad}{scalar(str(key))}:", item, indent, sub, inner, out, nested=indent + 2)
    else:
        for i, item in enumerate(value):
            sub, inner = None, None
            if comments is not None:
                sub = path + (i,)
                out.extend(comments.lines(sub, pad))
                inner = comments.under(sub)
            if isinstance(item, dict) and item:
                first = True
                for key, child in item.items():
                    child_path, child_comments = None, None
                    if inner is not None:
                        child_path = sub + (key,)
                        if not first:
                            out.extend(inner.lines(child_path, pad + "  "))
                        child_comments = inner.under(child_path)
                    lead = f"{pad}- " if first else f"{pad}  "
                    _entry(f"{lead}{scalar(str(key))}:", child, indent + 2, child_path, child_comments, out,
                           nested=indent + 4)
                    first = False
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                _write(item, indent + 2, sub, inner, out)
            else:
                out.append(f"{pad}- {_empty_or_atom(item)}")


def _empty_or_atom(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _atom(value)


def _entry(head: str, value: Any, indent: int, path: Any, comments: _Comments | None, out: list[str], *,
           nested: int) -> None:
    if isinstance(value, dict) and value:
        out.append(head)
        _write(value, nested, path, comments, out)
    elif isinstance(value, list) and value:
        out.append(head)
        _write(value, indent, path, comments, out)  # kubectl style: "- " at the key's indent
    else:
        out.append(f"{head} {_empty_or_atom(value)}")


def dump(obj: dict, comments: Mapping[Path_, list[str]] | None = None) -> str:
    """One document (no ``---``), comments above the parts named by path; ``()`` = above it all."""
    comments = comments or {}
    out = _comment_lines(comments.get((), ()), "")
    _write(obj, 0, (), _Comments(comments) if comments else None, out)
    return "\n".join(out) + "\n"


def dump_all(documents: Iterable[tuple[dict, Mapping[Path_, list[str]] | None]]) -> str:
    return "---\n".join(dump(obj, comments) for obj, comments in documents)
