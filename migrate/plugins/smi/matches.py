"""Request conditions of both dialects as HTTPRouteMatches.

HTTPRouteGroup (SMI traffic-specs): a match is pathRegex AND methods (any of) AND
headers (all of, values are regexes); the regex is anchored at the start only.
ServiceProfile (Linkerd): a condition ANDs its fields, ``all``/``any`` nest, ``not``
negates; the proxy anchors pathRegex at both ends. Both become a list of
HTTPRouteMatches (an OR): ``any`` and method lists multiply out, ``not`` cannot be
said at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.ir import HeaderMatch, Match, PathMatch

#: HTTPRouteMatch.method's enum
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
MAX_MATCHES = 64


class Inexpressible(ValueError):
    """The condition has no HTTPRouteMatch equivalent (the message says why)."""


def _strip_anchors(regex: str) -> tuple[str, bool]:
    """The regex without a leading ``^`` and trailing unescaped ``$``; True if it ended anchored."""
    body = regex.strip()
    body = body[1:] if body.startswith("^") else body
    anchored = body.endswith("$") and not body.endswith("\\$")
    return (body[:-1] if anchored else body), anchored


def _checked(regex: str) -> str:
    try:
        re.compile(regex)
    except re.error as exc:
        raise Inexpressible(f"regular expression {regex!r} does not compile: {exc}") from None
    return regex


def alternatives(regex: str) -> list[str]:
    """The top-level ``|`` alternatives of a regex (one item when there is none): escapes, groups and
    character classes are skipped."""
    out, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or regex[i - 1] == "["
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == "|" and depth == 0:
            out.append(regex[start:i])
            start = i + 1
        i += 1
    return out + [regex[start:]]


def smi_path(regex: str) -> PathMatch:
    """An HTTPRouteGroup pathRegex (anchored at the start only) as a full-match regex."""
    if len(alternatives(regex.strip())) > 1:  # the anchor holds for the whole expression: group it
        body = regex.strip()
        return PathMatch("RegularExpression", _checked(f"(?:{body[1:] if body.startswith('^') else body}).*"))
    body, anchored = _strip_anchors(regex)
    if anchored:
        return PathMatch("RegularExpression", _checked(body or "/"))
    if body.endswith(".*"):
        return PathMatch("RegularExpression", _checked(body))
    return PathMatch("RegularExpression", _checked(body + ".*"))


def linkerd_path(regex: str) -> PathMatch:
    """A ServiceProfile pathRegex: the proxy writes ``^`` before and ``$`` after it when missing and searches,
    i.e. a full match; with top-level alternatives ``^A|B|C$`` only the first is anchored at the start and
    the last at the end, so ``A.*|.*B.*|.*C`` says the same as a full match."""
    parts = alternatives(regex.strip())
    if len(parts) == 1:
        body, _ = _strip_anchors(regex)
        return PathMatch("RegularExpression", _checked(body))
    first, last = parts[0][1:] if parts[0].startswith("^") else parts[0], parts[-1]
    last = last[:-1] if last.endswith("$") and not last.endswith("\\$") else last
    middle = [f".*(?:{p}).*" for p in parts[1:-1]]
    return PathMatch("RegularExpression", _checked("|".join([f"(?:{first}).*", *middle, f".*(?:{last})"])))


def method(value: object) -> str:
    text = str(value).strip().upper()
    if text not in METHODS:
        raise Inexpressible(f"method {value!r} is not one of {', '.join(METHODS)}")
    return text


def route_group_match(entry: dict) -> list[Match]:
    """One HTTPRouteGroup match: pathRegex AND any of methods AND all headers."""
    path = smi_path(str(entry["pathRegex"])) if entry.get("pathRegex") not in (None, "") else None
    headers: list[HeaderMatch] = []
    raw = entry.get("headers")
    pairs: list[tuple[object, object]] = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):  # the v1alpha3 spec text writes a list of one-key maps
        for item in raw:
            if not isinstance(item, dict):
                raise Inexpressible(f"header filter {item!r} is not a name: regex map")
            pairs += list(item.items())
    elif raw is not None:
        raise Inexpressible(f"headers {raw!r} is not a map of header name to regex")
    for name, value in pairs:
        if not HEADER_NAME.match(str(name)):
            raise Inexpressible(f"{name!r} is not a valid header name")
        headers.append(HeaderMatch(str(name), _checked(str(value)), "RegularExpression"))
    methods = entry.get("methods")
    if methods is not None and not isinstance(methods, list):
        raise Inexpressible(f"methods {methods!r} is not a list")
    wanted = [] if not methods or "*" in [str(m).strip() for m in methods] else \
        list(dict.fromkeys(method(m) for m in methods))
    return [Match(path=path, headers=tuple(headers), method=m) for m in (wanted or [None])]


@dataclass(frozen=True)
class _Conj:
    path: str | None = None
    method: str | None = None


def _and(left: list[_Conj], right: list[_Conj]) -> list[_Conj]:
    out = []
    for a in left:
        for b in right:
            if a.path and b.path and a.path != b.path:
                raise Inexpressible(f"requires both path regexes {a.path!r} and {b.path!r}")
            if a.method and b.method and a.method != b.method:
                continue  # never satisfied: drop this alternative
            out.append(_Conj(a.path or b.path, a.method or b.method))
    if len(out) > MAX_MATCHES:
        raise Inexpressible(f"expands to more than {MAX_MATCHES} matches")
    return out


def _dnf(cond: object) -> list[_Conj]:
    if not isinstance(cond, dict) or not cond:
        raise Inexpressible("a request match must set pathRegex, method, all, any or not")
    if cond.get("not") is not None:
        raise Inexpressible("`not` cannot be expressed by HTTPRouteMatch (it has no negation)")
    known = {"pathRegex", "method", "all", "any", "not"}
    unknown = sorted(set(cond) - known)
    if unknown:
        raise Inexpressible(f"unknown request match field(s) {', '.join(unknown)}")
    for key in ("all", "any"):
        if cond.get(key) is not None and not isinstance(cond[key], list):
            raise Inexpressible(f"`{key}` must be a list of request matches")
    out = [_Conj()]
    if cond.get("pathRegex") not in (None, ""):
        out = _and(out, [_Conj(path=linkerd_path(str(cond["pathRegex"])).value)])
    if cond.get("method") not in (None, ""):
        out = _and(out, [_Conj(method=method(cond["method"]))])
    for sub in cond.get("all") or []:
        out = _and(out, _dnf(sub))
    if cond.get("any") is not None:
        either = [c for sub in cond["any"] or [] for c in _dnf(sub)]
        out = _and(out, either)
    return out


def profile_condition(cond: object) -> list[Match]:
    """A ServiceProfile request match as HTTPRouteMatches (empty: it can never match)."""
    out = []
    for conj in dict.fromkeys(_dnf(cond)):
        out.append(Match(path=PathMatch("RegularExpression", conj.path) if conj.path is not None else None,
                         method=conj.method))
    return out


def has_regex(matches: list[Match]) -> bool:
    return any(m.path is not None and m.path.type == "RegularExpression" for m in matches)
