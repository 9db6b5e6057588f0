"""Gateway API matching: hostnames, label selectors, HTTPRoute and GRPCRoute matches,
and the precedence key that orders matches across all rules of all routes.

A precedence key is a tuple; the smallest key wins. Choices the spec leaves to the
implementation are marked "(ours)".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from migrate.hostnames import intersects, matches
from migrate.semantics.request import Request

# -- hostnames ----------------------------------------------------------------


def effective_hostnames(listener: str | None, route: list[str]) -> tuple[str, ...] | None:
    """The hostnames a route serves on a listener: the intersection of both.

    ``()`` means every host. None means the route does not attach (it names hosts,
    none of which intersect the listener's).
    """
    if not route:
        return (listener,) if listener else ()
    if not listener:
        return tuple(dict.fromkeys(route))
    out = []
    for name in route:
        if not intersects(name, listener):
            continue
        if not name.startswith("*."):
            out.append(name)  # exact route host inside the listener's wildcard (or equal)
        elif not listener.startswith("*."):
            out.append(listener)  # route wildcard covers the listener's exact host
        else:
            out.append(name if len(name) >= len(listener) else listener)  # the narrower wildcard
    return tuple(dict.fromkeys(out)) or None


def host_score(hostnames: tuple[str, ...], host: str) -> tuple[int, int] | None:
    """How specifically ``hostnames`` match ``host``; None when they do not.

    The spec orders routes by the characters in the matching non-wildcard hostname,
    then by the characters in the matching hostname: (that, this), larger first.
    """
    if not hostnames:
        return (0, 0)
    scores = [
        (len(name), len(name)) if not name.startswith("*.") else (0, len(name))
        for name in hostnames
        if matches(name, host)
    ]
    return max(scores) if scores else None


def listener_score(hostname: str | None, host: str) -> tuple[int, int] | None:
    """Listener specificity for a request host: exact > longest wildcard > none (listener isolation)."""
    if not hostname:
        return (0, 0)
    if not matches(hostname, host):
        return None
    return (2, len(hostname)) if not hostname.startswith("*.") else (1, len(hostname))


def hostsets_intersect(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two effective hostname sets (``()`` = all hosts) share a host."""
    if not a or not b:
        return True
    return any(intersects(x, y) for x in a for y in b)


# -- label selectors -----------------------------------------------------------


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A metav1.LabelSelector (matchLabels AND matchExpressions); an empty selector matches all."""
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False  # an unknown operator selects nothing, as the API server would reject it
    return True


# -- HTTPRoute matches ----------------------------------------------------------


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def regex_fullmatch(pattern: str, text: str) -> bool:
    """RegularExpression matches use Python ``re.fullmatch`` (ours: the spec leaves the dialect
    to the implementation; Envoy-based ones use RE2 full match, which agrees for common patterns).
    An invalid pattern matches nothing."""
    compiled = _regex(pattern)
    return bool(compiled and compiled.fullmatch(text))


def path_of(match: dict[str, Any]) -> tuple[str, str]:
    path = match.get("path") or {}
    return path.get("type") or "PathPrefix", path.get("value") if path.get("value") is not None else "/"


def prefix_matches(prefix: str, path: str) -> bool:
    """PathPrefix: whole path elements; a trailing ``/`` on the prefix is ignored; ``/`` matches all."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _first_by_name(items: list[dict[str, Any]] | None, fold: bool) -> list[dict[str, Any]]:
    """Only the first entry of each name counts (the spec); header names fold case."""
    seen, out = set(), []
    for item in items or []:
        name = str(item.get("name", ""))
        key = name.lower() if fold else name
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _value_matches(spec: dict[str, Any], actual: str | None) -> bool:
    if actual is None:
        return False
    expected = str(spec.get("value", ""))
    if (spec.get("type") or "Exact") == "RegularExpression":
        return regex_fullmatch(expected, actual)
    return actual == expected


def _query_value(request: Request, name: str) -> str | None:
    """The first value of a repeated query parameter (what the spec recommends)."""
    return next((v for k, v in request.query if k == name), None)


PATH_TIER = {"Exact": 3, "PathPrefix": 2, "RegularExpression": 1}


def http_match(match: dict[str, Any], request: Request) -> tuple | None:
    """The precedence key of an HTTPRouteMatch if ``request`` satisfies it, else None.

    Key: Exact path, then the longest PathPrefix, then a method match, then the most
    header matches, then the most query matches. RegularExpression paths (ours) rank
    below every Exact and PathPrefix match and do not compare by length; among them
    the remaining criteria and then route age, name and rule order decide.
    """
    kind, value = path_of(match)
    if kind == "Exact":
        if request.path != value:
            return None
    elif kind == "PathPrefix":
        if not prefix_matches(value, request.path):
            return None
    elif kind == "RegularExpression":
        if not regex_fullmatch(value, request.path):
            return None
    else:
        return None
    method = match.get("method")
    if method and request.method.upper() != str(method).upper():
        return None
    headers = _first_by_name(match.get("headers"), fold=True)
    if not all(_value_matches(h, request.header(str(h.get("name", "")))) for h in headers):
        return None
    params = _first_by_name(match.get("queryParams"), fold=False)
    if not all(_value_matches(q, _query_value(request, str(q.get("name", "")))) for q in params):
        return None
    length = len(value) if kind == "PathPrefix" else 0
    return (-PATH_TIER[kind], -length, -int(bool(method)), -len(headers), -len(params))


# -- GRPCRoute matches ------------------------------------------------------------


def grpc_match(match: dict[str, Any], request: Request) -> tuple | None:
    """A GRPCRouteMatch against ``POST /{service}/{method}``; key: longest service, longest
    method, most headers (the GRPCRoute spec). Same tuple shape as :func:`http_match`."""
    parts = request.path.split("/")
    if len(parts) != 3 or parts[0] != "" or request.method.upper() != "POST":
        return None
    service, method = parts[1], parts[2]
    spec = match.get("method") or {}
    want_service, want_method = spec.get("service") or "", spec.get("method") or ""
    regex = (spec.get("type") or "Exact") == "RegularExpression"
    for want, got in ((want_service, service), (want_method, method)):
        if want and not (regex_fullmatch(want, got) if regex else want == got):
            return None
    headers = _first_by_name(match.get("headers"), fold=True)
    if not all(_value_matches(h, request.header(str(h.get("name", "")))) for h in headers):
        return None
    return (0, -len(want_service), -len(want_method), -len(headers), 0)

