"""Contour match conditions -> Gateway API matches.

Contour concatenates the conditions of every include on the way to a route
(``internal/dag/conditions.go``): path conditions are joined and ``//`` collapsed,
the merged path is a regex if any part is, else takes the type of the last
condition; header and query conditions are ANDed. A ``prefix`` is a STRING prefix
(``/api`` matches ``/apiv2``), unlike Gateway API's element-wise PathPrefix: the
conversion keeps the portable PathPrefix and says so (CTR020), except where the
value is not a valid Gateway API path (then an anchored regex keeps the string
meaning). Negative header conditions have no Gateway API form (RE2 has no
lookahead): they are dropped with a finding naming the widened match (CTR022).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from migrate.ir import HeaderMatch, Match, PathMatch, QueryMatch
from migrate.plugin import SourceObject
from migrate.plugins.ingress.convert import gateway_path_ok
from migrate.plugins.contour.util import as_dict, text

Path_ = tuple[Any, ...]
HEADER_OPS = ("present", "notpresent", "contains", "notcontains", "exact", "notexact", "regex")
QUERY_OPS = ("exact", "prefix", "suffix", "regex", "contains", "present")
NEGATIVE = ("notpresent", "notcontains", "notexact")


@dataclass(frozen=True)
class Cond:
    """One condition as written, with the object and path it came from."""

    obj: SourceObject
    path: Path_
    data: dict


@dataclass
class Note:
    """Something the caller reports: code, where, message, example."""

    code: str
    obj: SourceObject
    path: Path_
    message: str
    example: str = ""


@dataclass
class Converted:
    match: Match
    notes: list[Note] = field(default_factory=list)
    #: the merged Contour path condition: ("prefix" | "exact" | "regex", value)
    path: tuple[str, str] = ("prefix", "/")


def invalid(conds: list[dict], *, include: bool) -> str | None:
    """Why Contour rejects this list of conditions (one route's or one include's), or None."""
    prefixes = exacts = regexes = 0
    for cond in conds:
        if not isinstance(cond, dict):
            return "a condition is not a mapping"
        if cond.get("prefix") not in (None, ""):
            prefixes += 1
            if not text(cond["prefix"]).startswith("/"):
                return f"prefix {cond['prefix']!r} must start with '/'"
        if cond.get("exact") not in (None, ""):
            exacts += 1
            if include:
                return "an include cannot have an exact condition"
            if not text(cond["exact"]).startswith("/"):
                return f"exact {cond['exact']!r} must start with '/'"
        if cond.get("regex") not in (None, ""):
            regexes += 1
            try:
                re.compile(text(cond["regex"]))
            except re.error as exc:
                return f"regex {cond['regex']!r} does not compile: {exc}"
        header = cond.get("header")
        if header is not None:
            h = as_dict(header)
            if not text(h.get("name")):
                return "a header condition needs a name"
            if sum(1 for op in HEADER_OPS if h.get(op) not in (None, "", False)) != 1:
                return f"header condition on {h.get('name')!r} needs exactly one of {', '.join(HEADER_OPS)}"
        query = cond.get("queryParameter")
        if query is not None:
            q = as_dict(query)
            if not text(q.get("name")):
                return "a queryParameter condition needs a name"
            if sum(1 for op in QUERY_OPS if q.get(op) not in (None, "", False)) != 1:
                return f"queryParameter condition on {q.get('name')!r} needs exactly one of {', '.join(QUERY_OPS)}"
    if prefixes + exacts + regexes > 1:
        return "more than one path condition (prefix, exact, regex) in one conditions list"
    return None


def merged_path(conds: list[Cond]) -> tuple[str, str]:
    """Contour's merge of the path conditions along an include chain."""
    joined, kind, last = "", "prefix", "prefix"
    for cond in conds:
        for key in ("prefix", "exact", "regex"):
            if cond.data.get(key) not in (None, ""):
                joined += text(cond.data[key])
                last = key  # the last PATH condition decides (header/query conditions do not)
                if key == "regex":
                    kind = "regex"
    joined = re.sub(r"//+", "/", joined)
    if not joined:
        return ("prefix", "/")
    if kind == "regex":
        return ("regex", joined)
    return ("exact", joined) if last == "exact" else ("prefix", joined)


def string_prefix_regex(value: str) -> str:
    return f"^{re.escape(value)}.*"


def path_match(kind: str, value: str, where: Cond | None) -> tuple[PathMatch, list[Note]]:
    notes: list[Note] = []
    obj, path = (where.obj, where.path) if where else (None, ())
    if kind == "regex":
        if where:
            notes.append(Note("CTR021", obj, path, f"path regex {value!r} kept as RegularExpression (RE2, full match); "
                                                   "Contour ranked it above every prefix, Gateway API leaves regex "
                                                   "precedence to the implementation (often below PathPrefix)",
                              example=f"a request matching {value!r} and a longer prefix went to this rule in Contour; "
                                      "it may now go to the prefix rule"))
        return PathMatch("RegularExpression", value), notes
    if kind == "exact":
        if gateway_path_ok(value):
            return PathMatch("Exact", value), notes
        regex = f"^{re.escape(value)}$"
        if where:
            notes.append(Note("CTR021", obj, path, f"exact path {value!r} is not a valid Gateway API path; "
                                                   f"RegularExpression {regex!r}"))
        return PathMatch("RegularExpression", regex), notes
    if value == "/":
        return PathMatch("PathPrefix", "/"), notes
    if not gateway_path_ok(value):
        regex = string_prefix_regex(value)
        if where:
            notes.append(Note("CTR021", obj, path, f"prefix {value!r} is not a valid Gateway API path; "
                                                   f"RegularExpression {regex!r} keeps the string-prefix meaning"))
        return PathMatch("RegularExpression", regex), notes
    if where:
        if value.endswith("/"):
            notes.append(Note("CTR020", obj, path, f"prefix {value!r}: PathPrefix ignores the trailing '/'",
                              example=f"GET {value.rstrip('/')} got no match from this rule in Contour; now it matches"))
        else:
            notes.append(Note("CTR020", obj, path, f"prefix {value!r} matched as a string; now whole segments only",
                              example=f"GET {value}x matched this rule in Contour; now it does not"))
    return PathMatch("PathPrefix", value), notes


def header_match(cond: Cond) -> tuple[HeaderMatch | None, list[Note]]:
    h = as_dict(cond.data.get("header"))
    name = text(h.get("name"))
    path = cond.path + ("header",)
    ignore = h.get("ignoreCase") is True
    flag = "(?i)" if ignore else ""
    notes: list[Note] = []
    if h.get("treatMissingAsEmpty") is True:
        notes.append(Note("CTR001", cond.obj, path + ("treatMissingAsEmpty",),
                          f"header {name}: treatMissingAsEmpty (a missing header compared as '') has no Gateway API "
                          "form; a missing header now never matches"))
    for op in NEGATIVE:
        if h.get(op) not in (None, "", False):
            what = {"notpresent": f"without a {name} header",
                    "notcontains": f"whose {name} header does not contain {h[op]!r}",
                    "notexact": f"whose {name} header is not {h[op]!r}"}[op]
            sent = "" if op == "notpresent" else f" [{name}: {h[op]}]"
            notes.append(Note("CTR022", cond.obj, path,
                              f"header {name} {op} dropped: the rule took only requests {what}; it now also takes "
                              "the others, which Contour sent to another route or answered with 404",
                              example=f"GET /…{' [' + name + ': x]' if op == 'notpresent' else sent} now reaches this rule"))
            return None, notes
    if h.get("exact") not in (None, ""):
        value = str(h["exact"])
        if not ignore:
            return HeaderMatch(name, value), notes
        regex = f"{flag}^{re.escape(value)}$"
    elif h.get("present") is True:
        regex = ".*"
    elif h.get("contains") not in (None, ""):
        regex = f"{flag}.*{re.escape(str(h['contains']))}.*"
    else:
        regex = f"{flag}{h.get('regex')}"
    notes.append(Note("CTR021", cond.obj, path, f"header {name}: RegularExpression {regex!r}"))
    return HeaderMatch(name, regex, "RegularExpression"), notes


def query_match(cond: Cond) -> tuple[QueryMatch, list[Note]]:
    q = as_dict(cond.data.get("queryParameter"))
    name = text(q.get("name"))
    path = cond.path + ("queryParameter",)
    ignore = q.get("ignoreCase") is True
    flag = "(?i)" if ignore else ""
    if q.get("exact") not in (None, "") and not ignore:
        return QueryMatch(name, str(q["exact"])), []
    if q.get("exact") not in (None, ""):
        regex = f"{flag}^{re.escape(str(q['exact']))}$"
    elif q.get("prefix") not in (None, ""):
        regex = f"{flag}^{re.escape(str(q['prefix']))}.*"
    elif q.get("suffix") not in (None, ""):
        regex = f"{flag}.*{re.escape(str(q['suffix']))}$"
    elif q.get("contains") not in (None, ""):
        regex = f"{flag}.*{re.escape(str(q['contains']))}.*"
    elif q.get("present") is True:
        regex = ".*"
    else:
        regex = f"{flag}{q.get('regex')}"
    return QueryMatch(name, regex, "RegularExpression"), [Note("CTR021", cond.obj, path,
                                                              f"query parameter {name}: RegularExpression {regex!r}")]


def convert(conds: list[Cond]) -> Converted:
    """The one Gateway API match for a route's merged conditions, and what to report."""
    kind, value = merged_path(conds)
    last_path = next((c for c in reversed(conds) if any(c.data.get(k) not in (None, "") for k in ("prefix", "exact", "regex"))), None)
    pm, notes = path_match(kind, value, last_path)
    headers: list[HeaderMatch] = []
    query: list[QueryMatch] = []
    for cond in conds:
        if cond.data.get("header") is not None:
            hm, extra = header_match(cond)
            notes += extra
            if hm is not None:
                if any(h.name.lower() == hm.name.lower() for h in headers):
                    notes.append(Note("CTR001", cond.obj, cond.path + ("header",),
                                      f"second condition on header {hm.name}: Gateway API considers only the first "
                                      "match on a header name; this one is dropped"))
                else:
                    headers.append(hm)
        if cond.data.get("queryParameter") is not None:
            qm, extra = query_match(cond)
            notes += extra
            if any(q.name == qm.name for q in query):
                notes.append(Note("CTR001", cond.obj, cond.path + ("queryParameter",),
                                  f"second condition on query parameter {qm.name}: dropped"))
            else:
                query.append(qm)
    return Converted(Match(pm, tuple(headers), tuple(query)), notes, (kind, value))
