"""A short string that a regular expression matches, for example requests in findings.

Built from Python's own parse of the pattern: literals kept, a class gives its first
member, repeats take their minimum (at least once, so captures are not empty),
alternations their first branch. Good enough for the path regexes people write;
``sample`` returns None when it cannot produce a verified match.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as C, _parser as P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as P  # type: ignore[no-redef]

_CATEGORY = {C.CATEGORY_DIGIT: "1", C.CATEGORY_WORD: "a", C.CATEGORY_SPACE: " ", C.CATEGORY_NOT_DIGIT: "a",
             C.CATEGORY_NOT_WORD: "-", C.CATEGORY_NOT_SPACE: "a"}


def _first_of(items: list) -> str:
    for op, arg in items:
        if op is C.LITERAL:
            return chr(arg)
        if op is C.RANGE:
            low, high = arg
            return chr(low) if chr(low) != "/" or low == high else chr(low + 1)
        if op is C.CATEGORY:
            return _CATEGORY.get(arg, "a")
        if op is C.NEGATE:
            excluded = {chr(a) for o, a in items if o is C.LITERAL}
            return next(c for c in "axyz1" if c not in excluded)
    return "a"


def _emit(tokens: list, out: list[str], depth: int = 0) -> None:
    if depth > 50:
        raise ValueError("too deep")
    for op, arg in tokens:
        if op is C.LITERAL:
            out.append(chr(arg))
        elif op is C.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is C.ANY:
            out.append("x")
        elif op is C.IN:
            out.append(_first_of(arg))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            low, high, body = arg
            for _ in range(max(low, min(1, high))):
                _emit(list(body), out, depth + 1)
        elif op is C.SUBPATTERN:
            _emit(list(arg[-1]), out, depth + 1)
        elif op is C.BRANCH:
            _emit(list(arg[1][0]), out, depth + 1)
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        elif op is C.GROUPREF:
            raise ValueError("back-reference")
        else:
            raise ValueError(f"unsupported {op}")


def sample(pattern: str, *, flags: int = 0, prefix_only: bool = True) -> str | None:
    """A string ``pattern`` matches (at the start when ``prefix_only``, like nginx's ``^``)."""
    try:
        compiled = re.compile(pattern, flags)
        out: list[str] = []
        _emit(list(P.parse(pattern, flags)), out)
    except (re.error, ValueError, RecursionError, StopIteration):
        return None
    text = "".join(out)
    ok = compiled.match(text) if prefix_only else compiled.fullmatch(text)
    return text if ok else None
