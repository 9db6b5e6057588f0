"""A parsed Traefik rule -> Gateway API matches, alternative by alternative, with a finding
for every condition that cannot be carried over exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from migrate.ir import HeaderMatch, Match, PathMatch, QueryMatch
from migrate.plugin import SourceObject
from migrate.plugins.ingress.convert import gateway_path_ok
from migrate.plugins.traefik import rules
from migrate.plugins.traefik.state import Run

Path_ = tuple[Any, ...]


@dataclass
class Alternative:
    hosts: tuple[str, ...]  # () = every host
    match: Match


@dataclass
class Closed:
    """What a negation excluded, as a match of its own: emitted with no backends (HTTP 500) so
    the alternative converted without the negation does not take those requests silently."""

    alternative: Alternative
    negated: rules.Call


@dataclass
class Converted:
    alternatives: list[Alternative] = field(default_factory=list)
    #: ClientIP conditions dropped: the routes must fail closed
    blocks: list[str] = field(default_factory=list)
    #: negations whose excluded requests can be matched: closed rules (settled by negation.settle)
    closed: list[Closed] = field(default_factory=list)


def path_prefix(run: Run, obj: SourceObject, path: Path_, value: str) -> PathMatch:
    """Traefik's character-wise PathPrefix as Gateway API's element-wise one (TRF005 where they differ)."""
    if not gateway_path_ok(value):
        regex = "^" + re.escape(value) + ".*"
        run.once("TRF006", obj, path, f"PathPrefix(`{value}`) is not a valid Gateway API path: RegularExpression "
                                      f"{regex!r} keeps the character-wise meaning")
        return PathMatch("RegularExpression", regex)
    if value != "/":
        if value.endswith("/"):
            example = f"GET {value.rstrip('/') or '/'} now matches (Traefik required the trailing slash)"
        else:
            example = f"GET {value}-x no longer matches (Traefik: a character prefix); {value}/x still does"
        run.once("TRF005", obj, path, f"PathPrefix(`{value}`) became an element-wise PathPrefix", example=example)
    return PathMatch("PathPrefix", value)


def exact_path(run: Run, obj: SourceObject, path: Path_, value: str) -> PathMatch:
    if gateway_path_ok(value):
        return PathMatch("Exact", value)
    regex = "^" + re.escape(value) + "$"
    run.once("TRF006", obj, path, f"Path(`{value}`) is not a valid Gateway API path: RegularExpression {regex!r}")
    return PathMatch("RegularExpression", regex)


def convert(run: Run, obj: SourceObject, path: Path_, node: rules.Node) -> Converted:
    out = Converted()
    for conj in rules.dnf(node):
        alt = _conjunction(run, obj, path, conj, out)
        if alt is not None and alt not in out.alternatives:
            out.alternatives.append(alt)
            for negated, call in conj:
                if negated and call.name != "ClientIP":
                    closed = _excluded(alt, call)
                    if closed is None:
                        run.once("TRF007", obj, path, f"!{call}: negation cannot be expressed; the alternative is "
                                 "converted without it and now also matches the requests it excluded",
                                 example=_negation_example(call))
                    elif all(c.alternative != closed for c in out.closed):
                        out.closed.append(Closed(closed, call))
    return out


def _excluded(alt: Alternative, call: rules.Call) -> Alternative | None:
    """The alternative's conditions plus the negated one: the requests Traefik kept from this
    router. None when that cannot be one HTTPRouteMatch (a host, a regex, a second path that
    is not inside the first, a repeated header name, a second method)."""
    m, name, args = alt.match, call.name, call.args
    if name in ("Path", "PathPrefix"):
        value = args[0]
        if not gateway_path_ok(value):
            return None
        current = m.path or PathMatch("PathPrefix", "/")
        base = current.value.rstrip("/")
        inside = current.type == "PathPrefix" and (value == current.value or value.startswith(base + "/"))
        if not inside:
            return None
        return Alternative(alt.hosts, replace(m, path=PathMatch("Exact" if name == "Path" else "PathPrefix", value)))
    if name == "Header" and len(args) == 2:
        if any(h.name.lower() == args[0].lower() for h in m.headers):
            return None
        return Alternative(alt.hosts, replace(m, headers=m.headers + (HeaderMatch(args[0], args[1]),)))
    if name == "Query" and len(args) == 2:
        if any(q.name == args[0] for q in m.query):
            return None
        return Alternative(alt.hosts, replace(m, query=m.query + (QueryMatch(args[0], args[1]),)))
    if name == "Method" and m.method is None:
        return Alternative(alt.hosts, replace(m, method=args[0].upper()))
    return None


def _conjunction(run: Run, obj: SourceObject, path: Path_, conj: list[rules.Literal], out: Converted) -> Alternative | None:
    hosts: set[str] | None = None
    path_match: PathMatch | None = None
    headers: list[HeaderMatch] = []
    query: list[QueryMatch] = []
    method: str | None = None
    for negated, call in conj:
        name, args = call.name, call.args
        if name == "ClientIP":
            run.once("TRF008", obj, path, f"{'!' if negated else ''}{call}: Gateway API cannot match on the client "
                                          "address; the condition is dropped and the route fails closed")
            out.blocks.append(f"{obj.kind} {obj.namespace}/{obj.name} ClientIP")
            continue
        if negated:
            continue  # convert(): a closed rule for what it excluded, else TRF007
        if name in ("Host", "HostRegexp"):
            pattern = _host_pattern(run, obj, path, call)
            if pattern is None:
                continue
            new = {pattern} if pattern != "*" else None
            if new is None:
                continue
            if hosts is not None and hosts != new:
                run.once("TRF007", obj, path, f"{call} together with another host can match no request; "
                                              "that alternative is dropped")
                return None
            hosts = new
        elif name in ("Path", "PathPrefix", "PathRegexp"):
            if name == "Path":
                candidate = exact_path(run, obj, path, args[0])
            elif name == "PathPrefix":
                candidate = path_prefix(run, obj, path, args[0])
            else:
                regex = rules.go_regex_as_full(args[0])
                run.once("TRF006", obj, path, f"{call} became RegularExpression {regex!r} (Go RE2 rewritten for a full match)")
                candidate = PathMatch("RegularExpression", regex)
            if path_match is not None and path_match != candidate:
                run.once("TRF007", obj, path, f"{call} is a second path condition; only the first is kept "
                                              "(the alternative now matches more paths)")
                continue
            path_match = candidate
        elif name == "Header":
            headers.append(HeaderMatch(args[0], args[1]))
        elif name == "HeaderRegexp":
            regex = rules.go_regex_as_full(args[1])
            run.once("TRF006", obj, path, f"{call} became a RegularExpression header match {regex!r}")
            headers.append(HeaderMatch(args[0], regex, "RegularExpression"))
        elif name == "Query" and len(args) == 2:
            query.append(QueryMatch(args[0], args[1]))
        elif name in ("Query", "QueryRegexp"):
            regex = ".*" if name == "Query" else rules.go_regex_as_full(args[1])
            run.once("TRF006", obj, path, f"{call} became a RegularExpression query match {regex!r}")
            query.append(QueryMatch(args[0], regex, "RegularExpression"))
        elif name == "Method":
            if method is not None and method != args[0].upper():
                run.once("TRF007", obj, path, f"{call} with another method can match no request; alternative dropped")
                return None
            method = args[0].upper()
    return Alternative(tuple(sorted(hosts)) if hosts else (),
                       Match(path_match or PathMatch("PathPrefix", "/"), tuple(headers), tuple(query), method))


def _host_pattern(run: Run, obj: SourceObject, path: Path_, call: rules.Call) -> str | None:
    value = call.args[0]
    if call.name == "Host":
        host = value.lower().rstrip(".")
        if host.startswith("*."):
            run.once("TRF019", obj, path, f"{call}: Traefik matches exactly one label",
                     example=f"GET http://a.b{host[1:]}/ now matches")
        return host
    found = rules.host_regexp_as_wildcard(value)
    if found is None:
        run.once("TRF007", obj, path, f"{call}: only a leading-label HostRegexp can be expressed; the alternative is "
                                      "converted without a host condition (every host now matches it)")
        return "*"
    host, exact = found
    if not exact:
        run.once("TRF019", obj, path, f"{call} became hostname {host}",
                 example=f"GET http://a.b{host[1:]}/ now matches")
    return host


def _negation_example(call: rules.Call) -> str:
    if call.name in ("Path", "PathPrefix"):
        return f"GET {call.args[0]} now matches"
    if call.name == "Host":
        return f"GET http://{call.args[0].lstrip('*.')}/ now matches"
    if call.name == "Method":
        return f"{call.args[0].upper()} / now matches"
    return ""
