"""Traefik's rule language: tokenizer, recursive-descent parser, evaluation and DNF.

A rule such as ``Host(`a.com`) && (PathPrefix(`/api`) || Header(`X-V`, `2`))`` is
parsed to an AST. The simulator evaluates the AST against a request (Traefik's own
semantics: PathPrefix is a character-wise prefix, regexes are Go RE2 and unanchored).
The converter expands it into disjunctive normal form: each alternative is a
conjunction of matchers that becomes one HTTPRouteMatch (hosts go to the route).

v2 syntax (``Headers``, ``HostHeader``, multi-argument ``Host``/``Method``, ``Query(`k=v`)``)
is normalised while parsing; ``{name:regex}`` placeholders only when ``syntax="v2"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from migrate.semantics.request import Request

#: matchers of HTTP rules (v3) and their argument counts
HTTP_MATCHERS = {"Host": 1, "HostRegexp": 1, "Path": 1, "PathPrefix": 1, "PathRegexp": 1, "Header": 2,
                 "HeaderRegexp": 2, "Query": (1, 2), "QueryRegexp": 2, "Method": 1, "ClientIP": 1}
TCP_MATCHERS = {"HostSNI": 1, "HostSNIRegexp": 1, "ClientIP": 1, "ALPN": 1}
#: v2 names -> v3 names
V2_NAMES = {"Headers": "Header", "HeadersRegexp": "HeaderRegexp", "HostHeader": "Host"}
MAX_ALTERNATIVES = 64


class RuleError(ValueError):
    """The rule does not parse: Traefik rejects the router (it is not created)."""


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join('`' + a + '`' for a in self.args)})"


@dataclass(frozen=True)
class Not:
    inner: "Node"


@dataclass(frozen=True)
class And:
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class Or:
    left: "Node"
    right: "Node"


Node = Union[Call, Not, And, Or]

_TOKEN = re.compile(r"\s*(?:(?P<op>&&|\|\||[!(),])|(?P<name>[A-Za-z][A-Za-z0-9]*)|`(?P<raw>[^`]*)`"
                    r"|\"(?P<str>(?:[^\"\\]|\\.)*)\")")


def tokenize(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise RuleError(f"unexpected {text[pos:pos + 10]!r} at {pos}")
        pos = m.end()
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("name"):
            out.append(("name", m.group("name")))
        elif m.group("raw") is not None:
            out.append(("str", m.group("raw")))
        else:
            out.append(("str", bytes(m.group("str"), "utf-8").decode("unicode_escape")))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], matchers: dict, v2: bool) -> None:
        self.tokens, self.pos, self.matchers, self.v2 = tokens, 0, matchers, v2

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        tok = self.peek()
        if tok is None or tok[0] != kind or (value is not None and tok[1] != value):
            raise RuleError(f"expected {value or kind}, got {tok[1] if tok else 'end of rule'}")
        self.pos += 1
        return tok[1]

    def expr(self) -> Node:  # or-expression: lowest precedence
        node = self.conj()
        while self.peek() == ("op", "||"):
            self.pos += 1
            node = Or(node, self.conj())
        return node

    def conj(self) -> Node:
        node = self.unary()
        while self.peek() == ("op", "&&"):
            self.pos += 1
            node = And(node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "!"):
            self.pos += 1
            return Not(self.unary())
        if self.peek() == ("op", "("):
            self.pos += 1
            node = self.expr()
            self.take("op", ")")
            return node
        return self.call()

    def call(self) -> Node:
        name = self.take("name")
        name = V2_NAMES.get(name, name)
        if name not in self.matchers:
            raise RuleError(f"unknown matcher {name}")
        self.take("op", "(")
        args = [self.take("str")]
        while self.peek() == ("op", ","):
            self.pos += 1
            args.append(self.take("str"))
        self.take("op", ")")
        return self.build(name, args)

    def build(self, name: str, args: list[str]) -> Node:
        want = self.matchers[name]
        counts = want if isinstance(want, tuple) else (want,)
        if name == "Query" and len(args) == 1 and "=" in args[0]:  # v2 Query(`k=v`)
            key, _, value = args[0].partition("=")
            args = [key, value]
        if len(args) in counts:
            if self.v2 and name in ("Path", "PathPrefix", "Host") and "{" in args[0]:
                return Call({"Path": "PathRegexp", "PathPrefix": "PathRegexp", "Host": "HostRegexp"}[name],
                            (_placeholders(args[0], name),))
            if self.v2 and name == "HostRegexp":
                return Call(name, (_placeholders(args[0], "Host"),))
            return Call(name, tuple(args))
        if want == 1 and len(args) > 1:  # v2: Host(`a`, `b`) means either
            node: Node = self.build(name, [args[0]])
            for arg in args[1:]:
                node = Or(node, self.build(name, [arg]))
            return node
        raise RuleError(f"{name} takes {' or '.join(map(str, counts))} argument(s), got {len(args)}")


def _placeholders(value: str, kind: str) -> str:
    """v2 ``/x/{id:[0-9]+}`` -> an anchored regex (a bare ``{id}`` is one path element)."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}", value):
        out += re.escape(value[pos:m.start()]) + "(" + (m.group(2) or ("[^/]+" if kind != "Host" else "[^.]+")) + ")"
        pos = m.end()
    out += re.escape(value[pos:])
    return "^" + out + ("" if kind == "PathPrefix" else "$")


def parse(text: str, *, tcp: bool = False, v2: bool = False) -> Node:
    if not isinstance(text, str) or not text.strip():
        raise RuleError("empty rule")
    parser = _Parser(tokenize(text), TCP_MATCHERS if tcp else HTTP_MATCHERS, v2)
    node = parser.expr()
    if parser.peek() is not None:
        raise RuleError(f"unexpected {parser.peek()[1]!r} after the rule")  # type: ignore[index]
    return node


# -- evaluation (the simulator) ---------------------------------------------------------


def go_search(pattern: str, text: str) -> bool:
    """Go regexp.MatchString: unanchored search (an invalid pattern matches nothing)."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def host_matches(pattern: str, host: str) -> bool:
    """Traefik Host(): case-insensitive; since v3.7 a leading ``*.`` is exactly one label."""
    pattern, host = pattern.lower().rstrip("."), host.lower()
    if pattern.startswith("*."):
        rest = pattern[1:]
        return host.endswith(rest) and "." not in host[: -len(rest)] and len(host) > len(rest)
    return host == pattern


def evaluate(node: Node, request: Request, client_ip: str | None = None) -> bool:
    if isinstance(node, And):
        return evaluate(node.left, request, client_ip) and evaluate(node.right, request, client_ip)
    if isinstance(node, Or):
        return evaluate(node.left, request, client_ip) or evaluate(node.right, request, client_ip)
    if isinstance(node, Not):
        return not evaluate(node.inner, request, client_ip)
    name, args = node.name, node.args
    if name == "Host":
        return host_matches(args[0], request.hostname)
    if name == "HostRegexp":
        return go_search(args[0], request.hostname)
    if name == "Path":
        return request.path == args[0]
    if name == "PathPrefix":
        return request.path.startswith(args[0])
    if name == "PathRegexp":
        return go_search(args[0], request.path)
    if name == "Header":
        return any(k.lower() == args[0].lower() and v == args[1] for k, v in request.headers)
    if name == "HeaderRegexp":
        return any(k.lower() == args[0].lower() and go_search(args[1], v) for k, v in request.headers)
    if name == "Query":
        return any(k == args[0] and (len(args) == 1 or v == args[1]) for k, v in request.query)
    if name == "QueryRegexp":
        return any(k == args[0] and go_search(args[1], v) for k, v in request.query)
    if name == "Method":
        return request.method.upper() == args[0].upper()
    if name == "ClientIP":
        return client_ip is not None and _in_cidr(client_ip, args[0])
    return False


def _in_cidr(ip: str, cidr: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr if "/" in cidr else cidr + ("/128" if ":" in cidr else "/32"),
                                                                 strict=False)
    except ValueError:
        return False


# -- DNF ------------------------------------------------------------------------------------

Literal = tuple[bool, Call]  # (negated, call)


def dnf(node: Node) -> list[list[Literal]]:
    """The rule as a disjunction of conjunctions of (possibly negated) matchers."""
    if isinstance(node, Call):
        return [[(False, node)]]
    if isinstance(node, Or):
        return _cap(dnf(node.left) + dnf(node.right))
    if isinstance(node, And):
        return _cap([a + b for a in dnf(node.left) for b in dnf(node.right)])
    inner = node.inner
    if isinstance(inner, Call):
        return [[(True, inner)]]
    if isinstance(inner, Not):
        return dnf(inner.inner)
    if isinstance(inner, And):  # De Morgan
        return dnf(Or(Not(inner.left), Not(inner.right)))
    return dnf(And(Not(inner.left), Not(inner.right)))


def _cap(alts: list[list[Literal]]) -> list[list[Literal]]:
    if len(alts) > MAX_ALTERNATIVES:
        raise RuleError(f"the rule expands to more than {MAX_ALTERNATIVES} alternatives")
    return alts


def go_regex_as_full(pattern: str) -> str:
    """An unanchored Go regex as one for a full match (Gateway API RegularExpression)."""
    top_level_or = _has_top_level_or(pattern)
    if top_level_or:
        return f".*(?:{pattern}).*"
    body, head, tail = pattern, ".*", ".*"
    if body.startswith("^"):
        body, head = body[1:], ""
    if body.endswith("$") and not body.endswith("\\$"):
        body, tail = body[:-1], ""
    return head + body + tail


def _has_top_level_or(pattern: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return True
    return False


_LABEL_CLASS = r"(?:\[(?:\^\.|a-z0-9-|a-z0-9\-|a-zA-Z0-9-|a-zA-Z0-9\-|\\w-|-\\w|a-z)\]\+|\\w\+)"
_HOST_REGEX_WILDCARD = re.compile(r"^\^?(?P<label>" + _LABEL_CLASS + r"|\.\+|\.\*)\\\.(?P<rest>(?:[a-z0-9-]+\\\.)+[a-z0-9-]+)\$?$")


def host_regexp_as_wildcard(pattern: str) -> tuple[str, bool] | None:
    """``^[a-z0-9-]+\\.example\\.com$`` -> (``*.example.com``, exact?) when only a leading label varies.

    exact is True when the regex also matched any depth (``.+``), as the Gateway wildcard does;
    a one-label class is narrower than the Gateway wildcard. An unanchored regex is never exact.
    """
    m = _HOST_REGEX_WILDCARD.match(pattern)
    if not m:
        return None
    host = "*." + m.group("rest").replace("\\.", ".")
    anchored = pattern.startswith("^") and pattern.endswith("$")
    return host, anchored and m.group("label") == ".+"
