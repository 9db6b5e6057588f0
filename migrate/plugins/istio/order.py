"""Does http[] order matter? Istio takes the first rule that matches; Gateway API the
most specific match. For a request built from each match, compare the two winners
over the converted rules; report the first disagreement with that request."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from migrate.emit.objects import match as http_match_dict
from migrate.ir import Match, Rule
from migrate.regex_sample import sample
from migrate.semantics.gateway import http_match
from migrate.semantics.request import Request

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter
    from migrate.plugin import SourceObject


def _example(value: str, regex: bool) -> str | None:
    if not regex:
        return value
    flags = re.IGNORECASE if value.startswith("(?i)") else 0
    return sample(value.removeprefix("(?i)"), flags=flags, prefix_only=False)


def request_for(m: Match) -> list[Request]:
    """Requests that satisfy ``m`` (a path inside a prefix, and the prefix itself)."""
    paths = ["/"]
    if m.path is not None:
        if m.path.type == "PathPrefix":
            stem = m.path.value.rstrip("/")
            paths = [m.path.value, (stem or "") + "/x"]
        else:
            got = _example(m.path.value, m.path.type == "RegularExpression")
            if got is None or not got.startswith("/"):
                return []
            paths = [got]
    headers = []
    for h in m.headers:
        got = _example(h.value, h.type == "RegularExpression")
        if got is None:
            return []
        headers.append((h.name, got))
    query = []
    for q in m.query:
        got = _example(q.value, q.type == "RegularExpression")
        if got is None:
            return []
        query.append((q.name, got))
    return [Request("example.com", path=p, method=m.method or "GET", headers=tuple(headers), query=tuple(query))
            for p in paths]


def winners(rules: list[Rule], request: Request) -> tuple[int | None, int | None]:
    """(first rule in order that matches, rule Gateway API precedence picks)."""
    first = None
    best = None
    best_rule = None
    for i, rule in enumerate(rules):
        for j, m in enumerate(rule.matches or [Match()]):
            key = http_match(http_match_dict(m), request)
            if key is None:
                continue
            if first is None:
                first = i
            full = (*key, i, j)
            if best is None or full < best:
                best, best_rule = full, i
    return first, best_rule


#: beyond this many matches in one route, pairs of matches are not combined (quadratic)
PAIR_LIMIT = 64


def candidates(rules: list[Rule]) -> list[Request]:
    """Requests built from each match, then from each pair of matches of different rules (the path of one
    with the headers, query and method of both): a header rule listed before a path rule only loses a
    request that carries both."""
    matches = [(i, m) for i, rule in enumerate(rules) for m in rule.matches or [Match()]]
    out = [request for _, m in matches for request in request_for(m)]
    if len(matches) > PAIR_LIMIT:
        return out
    for i, a in matches:
        for k, b in matches:
            if i >= k:
                continue
            for path in dict.fromkeys(p for p in (a.path, b.path) if p is not None) or [None]:
                if a.method and b.method and a.method != b.method:
                    continue
                both = replace(a, path=path, headers=tuple(a.headers) + tuple(b.headers),
                               query=tuple(a.query) + tuple(b.query), method=a.method or b.method)
                out.extend(request_for(both))
    return out


def check(conv: "Converter", obj: "SourceObject", rules: list[tuple[int, Rule]], where: str) -> None:
    plain = [rule for _, rule in rules]
    for request in candidates(plain):
        first, best = winners(plain, request)
        if first is None or first == best:
            continue
        a, b = rules[first][0], rules[best][0]
        conv.ctx.report("IST033", obj, (), f"{where} route: {request.method} {request.target}{_extras(request)} "
                        f"matched http[{a}] first in Istio; Gateway API precedence picks the more specific "
                        f"http[{b}]",
                        example=f"{request} -> http[{b}] (was http[{a}])")
        return


def _extras(request: Request) -> str:
    """Headers and method that made the request (the target shows path and query)."""
    parts = [f"{name}: {value}" for name, value in request.headers]
    return f" [{', '.join(parts)}]" if parts else ""
