"""VirtualService http[] -> HTTPRoute rules (matches in matches.py, route[] in backends.py,
the other actions in filters.py and headers.py).

Each http[] entry is read once into an :class:`Entry` (findings reported once); the
converter then picks, per parent (a Gateway or a Service), the matches that apply there
(per-match ``gateways`` and ``sourceNamespace`` decide) and builds the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from migrate.ir import Match, Origin, PathMatch, Rewrite, Rule
from migrate.plugins.istio import comments
from migrate.plugin import SourceObject
from migrate.plugins.istio.backends import destinations
from migrate.plugins.istio.filters import (
    cors_, default_retry_note, delegate_, direct_response, fault_, mirror_, redirect_, retries_, rewrite_, timeout_,
)
from migrate.plugins.istio.headers import headers_
from migrate.plugins.istio.matches import Cond, OneMatch, read_matches

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

__all__ = ["Cond", "Entry", "default_retry_note", "envoy_prefix_rewrite", "gateway_prefix_rewrite", "read_entries",
           "rules_for"]

Path_ = tuple[Any, ...]
_RULE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass
class Entry:
    index: int
    matches: list[OneMatch]
    #: the entry had no match (or an empty one): it matches everything
    catch_all: bool
    rule: Rule
    #: rewrite.uri, applied per match (prefix or full path)
    rewrite_uri: str | None = None
    rewrite_host: str | None = None
    prefixes: list[str] = field(default_factory=list)



def read_entries(conv: "Converter", obj: SourceObject) -> list[Entry]:
    http = obj.data["spec"].get("http")
    if http is None:
        return []
    if not isinstance(http, list):
        conv.ctx.input_error(obj, ("spec", "http"), "http must be a list")
        return []
    out = []
    for i, item in enumerate(http):
        if not isinstance(item, dict):
            conv.ctx.input_error(obj, ("spec", "http", i), "an http route must be a map")
            continue
        entry = _entry(conv, obj, i, item)
        if entry is not None:
            out.append(entry)
    return out


def _entry(conv: "Converter", obj: SourceObject, i: int, item: dict) -> Entry | None:
    base: Path_ = ("spec", "http", i)
    matches, catch_all = read_matches(conv, obj, i, item.get("match"))
    if not matches and not catch_all:
        conv.ctx.report("IST034", obj, base, f"http[{i}] left out: none of its matches can be expressed")
        return None
    comments_ = comments.under(obj, base)
    rule = Rule(origin=Origin(obj.source(base), comments_))
    name = item.get("name")
    if isinstance(name, str) and _RULE_NAME.match(name) and len(name) <= 253:
        rule.name = name
        obj.account(base + ("name",))
    elif "name" in item:
        conv.ctx.report("IST003", obj, base + ("name",), f"name {name!r} is not a valid rule name; used only in stats")
    entry = Entry(i, matches, catch_all, rule)
    destinations(conv, obj, i, item, entry)
    headers_(conv, obj, base, item.get("headers"), rule.filters)
    redirect_(conv, obj, i, item, entry)
    rewrite_(conv, obj, i, item, entry)
    timeout_(conv, obj, i, item, entry)
    retries_(conv, obj, i, item)
    mirror_(conv, obj, i, item, entry)
    cors_(conv, obj, i, item, entry)
    fault_(conv, obj, i, item)
    delegate_(conv, obj, i, item, entry)
    direct_response(conv, obj, i, item, entry)
    return entry



# -- per parent --------------------------------------------------------------------------------


def rules_for(conv: "Converter", obj: SourceObject, entries: list[Entry], keep) -> list[tuple[int, Rule]]:
    """The rules for one parent: ``keep(cond)`` says whether a match applies there."""
    out: list[tuple[int, Rule]] = []
    for entry in entries:
        if entry.catch_all:
            matches = [OneMatch(Match(), Cond())]  # written with no matches: match everything
        else:
            matches = [m for m in entry.matches if keep(m.cond)]
            if not matches:
                continue
        if entry.rewrite_uri is None and entry.rewrite_host is None:
            rule = replace(entry.rule, matches=[] if entry.catch_all else [m.match for m in matches],
                           filters=list(entry.rule.filters))
            out.append((entry.index, rule))
            continue
        for one in matches:  # ReplacePrefixMatch needs one PathPrefix match per rule
            rule = replace(entry.rule, matches=[one.match] if one.match != Match() else [], filters=list(entry.rule.filters))
            rewrite = _rewrite_for(conv, obj, entry, one)
            rule.filters.insert(0, rewrite)
            if rule.filters and not rule.matches and rewrite.path and rewrite.path[0] == "ReplacePrefixMatch":
                rule.matches = [Match(path=PathMatch("PathPrefix", "/"))]
            out.append((entry.index, rule))
    return out


def _rewrite_for(conv: "Converter", obj: SourceObject, entry: Entry, one: OneMatch) -> Rewrite:
    uri = entry.rewrite_uri
    if uri is None:
        return Rewrite(hostname=entry.rewrite_host)
    path = one.match.path
    if path is not None and path.type == "PathPrefix":
        target = ("ReplacePrefixMatch", uri)
        _check_prefix_rewrite(conv, obj, entry, one.uri.value if one.uri else path.value, uri)
    elif path is None:
        target = ("ReplacePrefixMatch", uri)
        _check_prefix_rewrite(conv, obj, entry, "/", uri)
    else:
        target = ("ReplaceFullPath", uri)
    return Rewrite(hostname=entry.rewrite_host, path=target)


def envoy_prefix_rewrite(path: str, prefix: str, replacement: str) -> str:
    """What Envoy's prefix_rewrite does: the matched string prefix replaced as a string."""
    return replacement + path[len(prefix):] if path.startswith(prefix) else path


def gateway_prefix_rewrite(path: str, prefix: str, replacement: str) -> str:
    """Gateway API ReplacePrefixMatch (whole segments, trailing slashes ignored)."""
    stem = prefix.rstrip("/")
    rest = path[len(stem):] if stem and (path == stem or path.startswith(stem + "/")) else path if stem else path
    return (replacement.rstrip("/") + rest) or "/"


def _check_prefix_rewrite(conv: "Converter", obj: SourceObject, entry: Entry, prefix: str, uri: str) -> None:
    key = (prefix, uri)
    if key in entry.prefixes:
        return
    entry.prefixes.append(key)  # type: ignore[arg-type]
    sample = prefix.rstrip("/") + "/x" if prefix != "/" else "/x"
    before, after = envoy_prefix_rewrite(sample, prefix, uri), gateway_prefix_rewrite(sample, prefix, uri)
    if before != after:
        conv.ctx.report("IST051", obj, ("spec", "http", entry.index, "rewrite", "uri"),
                        f"prefix {prefix!r} rewritten to {uri!r}: Istio sent {sample} as {before}, "
                        f"ReplacePrefixMatch sends {after}", example=f"GET {sample}: backend path {before} -> {after}")

