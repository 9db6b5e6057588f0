"""Evaluate x-kubernetes-validations rules the way the API server does on create.

Each rule runs at its schema node with ``self`` bound to the node's value (per
item for list items, per entry for map values), only where the node is
present. Rules that mention ``oldSelf`` are transition rules: skipped on create
unless ``optionalOldSelf`` is set, in which case ``oldSelf`` is
``optional.none()``. A false result reports ``messageExpression`` (if it yields
a usable one-line string), else ``message``, else ``failed rule: <rule>``; an
evaluation error reports ``<error> evaluating rule: <message or rule>``, as the
apiserver does. The cost budget is not modelled.

The ``common-expression-language`` package (cel-rust) lacks the Kubernetes CEL
libraries; the functions these CRDs call that it lacks are shimmed here
(isIP, split, substring, format.<name>().validate). Every rule text is compiled
once per process. Each node's value is converted to CEL once and shared by all
rules on that node (binding the whole object once and selecting down to each node
is slower: cel-rust deep-copies on every field selection), and it is reduced to the
properties those rules can read (see "projection" below).

Known difference from cel-go: inside all/exists/exists_one, cel-rust raises the
first evaluation error instead of letting a definite false/true absorb it. In
these CRDs such errors only come from fields the schema requires, so only objects
the schema already rejects are affected (they get an extra message, not a new verdict).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import cel as _cel

from migrate.validate import meta
from migrate.validate.meta import Issue
from migrate.validate.structural import Node, Target, cel_escape, render_path

_FORMAT_MARK = "k8s.format:"


def is_ip(value: str) -> bool:
    """Kubernetes ``isIP``: IPv4 or IPv6, no zone, no IPv4 leading zeros, no IPv4-mapped IPv6."""
    if not isinstance(value, str):
        raise TypeError("no such overload: isIP")
    if "%" in value:
        return False
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None)


def split(value: str, sep: str, limit: int = -1) -> list[str]:
    """cel-go ``split``: Go's strings.SplitN (limit 0 -> [], negative -> all)."""
    if limit == 0:
        return []
    if sep == "":
        parts = list(value)
        return parts if limit < 0 or limit >= len(parts) else parts[: limit - 1] + ["".join(parts[limit - 1 :])]
    return value.split(sep) if limit < 0 else value.split(sep, limit - 1)


def substring(value: str, start: int, end: int | None = None) -> str:
    """cel-go ``substring``: code-point indices, errors instead of clamping."""
    stop = len(value) if end is None else end
    if start < 0 or start > len(value):
        raise IndexError(f"index out of range: {start}")
    if stop < start or stop > len(value):
        raise IndexError(f"invalid substring range. start: {start}, end: {stop}")
    return value[start:stop]


_FORMAT_CHECKS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": meta.dns1123_label,
    "dns1123Subdomain": meta.dns1123_subdomain,
    "dns1035Label": meta.dns1035_label,
    "qualifiedName": meta.qualified_name,
    "labelValue": meta.label_value,
}


def _format_validate(fmt: str, value: str) -> _cel.OptionalValue:
    """Kubernetes ``<format>.validate(s)``: optional.none() when valid, else optional(list of errors)."""
    if not (isinstance(fmt, str) and fmt.startswith(_FORMAT_MARK)) or not isinstance(value, str):
        raise TypeError("no such overload: validate")
    errors = _FORMAT_CHECKS[fmt[len(_FORMAT_MARK) :]](value)
    return _cel.OptionalValue.of(errors) if errors else _cel.OptionalValue.none()


SHIMS: dict[str, Callable[..., Any]] = {
    "isIP": is_ip,
    "split": split,
    "substring": substring,
    "validate": _format_validate,
    **{f"format.{name}": (lambda name=name: _FORMAT_MARK + name) for name in _FORMAT_CHECKS},
}
_NATIVE = frozenset(
    "size contains startsWith endsWith matches duration timestamp int uint double string bytes dyn type "
    "has all exists exists_one map filter hasValue value orValue optional.of optional.none".split()
)
_KNOWN = _NATIVE | {name.rsplit(".", 1)[-1] for name in SHIMS}
PROJECT = True  # tests switch this off to show projection never changes a verdict
MEMO = True  # likewise for remembering values that passed
_PROGRAMS: dict[str, Any] = {}
_RULES: dict[tuple, "Rule"] = {}
_RULE_KEYS = ("rule", "message", "messageExpression", "fieldPath", "reason", "optionalOldSelf")


def program(text: str) -> Any:
    """The compiled program for ``text``, compiled once per process."""
    prog = _PROGRAMS.get(text)
    if prog is None:
        try:
            prog = _cel.compile(text)
        except Exception as exc:  # cel raises ValueError or RuntimeError on bad syntax
            raise ValueError(f"cannot compile CEL {text!r}: {exc}") from exc
        unknown = {f for f in prog.functions() if f[0] not in "_@!" and f not in _KNOWN}
        if unknown:
            raise ValueError(f"CEL {text!r} calls functions this validator does not implement: {sorted(unknown)}")
        _PROGRAMS[text] = prog
    return prog


@dataclass(frozen=True)
class Rule:
    """One x-kubernetes-validations entry, compiled."""

    text: str
    message: str | None
    message_expression: str | None
    field_path: str | None
    reason: str | None
    transition: bool
    optional_old_self: bool
    program: Any
    shims: frozenset[str]  # names of SHIMS the rule calls


@dataclass(frozen=True)
class RuleSet:
    """The create-time rules of one schema node, with the context they share."""

    rules: tuple[Rule, ...]
    functions: dict[str, Callable[..., Any]]
    old_self: bool  # some rule needs oldSelf bound (optionalOldSelf)
    fields: frozenset[str] | None  # properties the rules can read; None: they need the whole value
    #: (projected) values, as canonical JSON, that passed every rule: create-time rules are
    #: pure functions of self, and converted objects repeat the same small values thousands
    #: of times (10,000 routes: 69,000 evaluations, 107 distinct inputs)
    passed: set[str] = field(default_factory=set, compare=False, hash=False, repr=False)


def _compile_rule(entry: dict) -> Rule:
    key = tuple(entry.get(k) for k in _RULE_KEYS)
    rule = _RULES.get(key)
    if rule is None:
        prog = program(entry["rule"])
        called = set(prog.functions())
        if entry.get("messageExpression"):
            called |= set(program(entry["messageExpression"]).functions())
        shims = frozenset(name for name in SHIMS if name.rsplit(".", 1)[-1] in called)
        rule = Rule(entry["rule"], entry.get("message"), entry.get("messageExpression"), entry.get("fieldPath"),
                    entry.get("reason"), "oldSelf" in prog.variables(), bool(entry.get("optionalOldSelf")), prog, shims)
        _RULES[key] = rule
    return rule


def compile_rules(raw: list[dict], schema: dict) -> RuleSet | None:
    """The RuleSet for a node's x-kubernetes-validations; None if no rule runs on create.

    Transition rules (they mention oldSelf) are dropped unless optionalOldSelf is set:
    on create there is no old object.
    """
    rules = tuple(r for r in map(_compile_rule, raw) if not r.transition or r.optional_old_self)
    if not rules:
        return None
    functions = {name: SHIMS[name] for r in rules for name in r.shims}
    fields = readable_fields([r.text for r in rules] + [r.message_expression or "" for r in rules], schema)
    return RuleSet(rules, functions, any(r.optional_old_self for r in rules), fields)


# --- projection --------------------------------------------------------------------------
# Converting a value into cel-rust costs about a microsecond per string, and every node
# with rules is converted on its own. Rules read few properties, so ``self`` gets only the
# object properties whose names the rules select. A rule cannot tell the difference unless
# it observes a whole object (equality, ``in``, conversions, ...); a node with any rule
# where that is not ruled out gets the whole value.

_TOKEN = re.compile(
    r"""(?P<str>[rRbB]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'))"""
    r"|(?P<num>0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?)"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||\.\?|[-+*/%<>!?:.,()\[\]{}])"
    r"|(?P<ws>\s+)"
)
_WHOLE_VALUE = frozenset({"oldSelf", "string", "dyn", "type", "sets", "indexOf", "lastIndexOf", "distinct", "json"})
_FLAT_CALLS = frozenset({"size", "int", "uint", "double", "duration", "timestamp", "matches", "contains", "startsWith",
                         "endsWith", "isIP", "has", "all", "exists", "exists_one", "split", "substring", "validate"})
_LITERALS = frozenset({"true", "false", "null"})


def _tokens(text: str) -> list[tuple[str, str]] | None:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            return None
        if m.lastgroup != "ws":
            out.append((m.lastgroup or "", m.group()))
        pos = m.end()
    return out


def _flat_names(schema: dict) -> dict[str, bool]:
    """Escaped property name -> whether every property so named below ``schema`` holds no objects."""
    names: dict[str, bool] = {}

    def flat(s: dict) -> bool:
        if s.get("properties"):
            return False
        return all(flat(s[k]) for k in ("items", "additionalProperties") if isinstance(s.get(k), dict))

    def walk(s: dict) -> None:
        for name, sub in (s.get("properties") or {}).items():
            key = cel_escape(name)
            if key is not None:
                names[key] = names.get(key, True) and flat(sub)
            walk(sub)
        for k in ("items", "additionalProperties"):
            if isinstance(s.get(k), dict):
                walk(s[k])

    walk(schema)
    return names


def _operand(toks: list, i: int, step: int) -> list:
    """Tokens of the operand beside the operator at ``i`` (step -1: left, 1: right)."""
    opening, closing = ("([{", ")]}") if step > 0 else (")]}", "([{")
    j, depth, span = i + step, 0, []
    while 0 <= j < len(toks):
        kind, text = toks[j]
        if text in opening and kind == "op":
            depth += 1
        elif text in closing and kind == "op":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (text == "in" and kind == "id" or kind == "op" and text not in (".", ".?")):
            if not (step > 0 and not span and text in ("-", "!")):
                break
        span.append(toks[j])
        j += step
    return span if step > 0 else span[::-1]


def _is_flat(span: list, flat: dict[str, bool]) -> bool:
    """Whether an operand provably holds no object, so dropping properties cannot change it."""
    texts = [t for _, t in span]
    if not span:
        return False
    if len(span) == 1:
        return span[0][0] in ("str", "num") or texts[0] in _LITERALS
    if texts[0] == "-" and len(span) == 2:
        return span[1][0] == "num"
    if texts[0] == "!" or _is_bool_group(texts):
        return True
    if texts[0] == "[" and texts[-1] == "]":
        return all(k in ("str", "num") or t in _LITERALS or t in ",[]" for k, t in span)
    if texts[-1] == ")":
        depth, j = 0, len(texts) - 1
        while j >= 0:
            depth += texts[j] == ")"
            depth -= texts[j] == "("
            if depth == 0:
                break
            j -= 1
        return j > 0 and texts[j - 1] in _FLAT_CALLS
    return texts[-2] in (".", ".?") and flat.get(texts[-1], False)


def _is_bool_group(texts: list[str]) -> bool:
    """``( ... )`` whose top level is a comparison or logical operator (so a bool), with no ``?:``."""
    if texts[0] != "(" or texts[-1] != ")":
        return False
    depth, top = 0, []
    for j, t in enumerate(texts):
        depth += t in ("(", "[", "{")
        depth -= t in (")", "]", "}")
        if depth == 0 and j < len(texts) - 1:
            return False  # the first group closes early: "(a) == (b)" style span
        if depth == 1 and j > 0:
            top.append(t)
    return "?" not in top and any(t in ("||", "&&", "==", "!=", "<", "<=", ">", ">=", "in") for t in top)


def readable_fields(texts: list[str], schema: dict) -> frozenset[str] | None:
    """Property names the expressions can select, or None if they may observe a whole object."""
    flat = _flat_names(schema)
    fields: set[str] = set()
    for text in texts:
        toks = _tokens(text)
        if toks is None:
            return None
        for i, (kind, tok) in enumerate(toks):
            after = toks[i + 1 : i + 3]
            prev = toks[i - 1][1] if i else ""
            if kind == "id" and tok in _WHOLE_VALUE and (prev not in (".", ".?") or after[:1] == [("op", "(")]):
                return None
            indexing = prev in (")", "]") or (i > 0 and toks[i - 1][0] == "id" and prev != "in")
            if tok == "[" and indexing and after and after[0][0] == "str":
                return None  # selection by a string index
            if tok in (".", ".?") and after and after[0][0] == "id" and after[1:] != [("op", "(")]:
                fields.add(after[0][1])
            if tok in ("==", "!=") or (kind == "id" and tok == "in"):
                left, right = _operand(toks, i, -1), _operand(toks, i, 1)
                if not (_is_flat(left, flat) or (tok != "in" and _is_flat(right, flat))):
                    return None
    return frozenset(fields)


def project(value: Any, node: Node, fields: frozenset[str]) -> Any:
    """``value`` keeping only object properties named in ``fields``; map keys and list items all stay."""
    if isinstance(value, dict):
        if node.properties:
            out = {}
            for k, x in value.items():
                if k in fields:
                    child = node.cel_props.get(k)
                    out[k] = project(x, child, fields) if child is not None else x
            return out
        if isinstance(node.additional, Node):
            return {k: project(x, node.additional, fields) for k, x in value.items()}
        return value
    if isinstance(value, list) and node.items is not None:
        return [project(x, node.items, fields) for x in value]
    return value


def _error_text(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"no such key: {exc.args[0] if exc.args else ''}"
    return str(exc) or type(exc).__name__


def _message(rule: Rule, ctx: Any) -> str:
    if rule.message_expression:
        try:
            text = program(rule.message_expression).execute(ctx)
        except Exception:  # the apiserver falls back to message on a messageExpression error
            text = None
        if isinstance(text, str) and text.strip() and "\n" not in text and len(text) <= 5000:
            return text
    return rule.message or f"failed rule: {rule.text}"


_REASON_PREFIX = {"FieldValueForbidden": "Forbidden: ", "FieldValueRequired": "Required value: ",
                  "FieldValueDuplicate": "Duplicate value: "}


#: past this many remembered values a ruleset starts over (bounded memory on diverse input)
MEMO_LIMIT = 20_000


def _memo_key(value: Any) -> str | None:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # not JSON data: evaluate every time
        return None


def evaluate(targets: Iterable[Target]) -> list[Issue]:
    """Run every create-time rule at every target; one Issue per failing rule."""
    issues: list[Issue] = []
    for target in targets:
        ruleset: RuleSet = target.rules
        value = target.value
        if ruleset.fields is not None and PROJECT:
            value = project(value, target.node, ruleset.fields)
        key = _memo_key(value) if MEMO else None
        if key is not None and key in ruleset.passed:
            continue
        failed = len(issues)
        variables = {"self": value}
        if ruleset.old_self:
            variables["oldSelf"] = _cel.OptionalValue.none()
        ctx = _cel.Context(variables, ruleset.functions) if ruleset.functions else _cel.Context(variables)
        for rule in ruleset.rules:
            try:
                passed, error = rule.program.execute(ctx) is True, None
            except Exception as exc:  # evaluation errors reject the object, as in the apiserver
                passed, error = False, exc
            if not passed:
                issues.append(_issue(rule, render_path(target.segs), ctx, error))
        if key is not None and len(issues) == failed:
            if len(ruleset.passed) >= MEMO_LIMIT:
                ruleset.passed.clear()
            ruleset.passed.add(key)
    return issues


def _issue(rule: Rule, path: str, ctx: Any, error: Exception | None) -> Issue:
    if error is not None:
        message = f"{_error_text(error)} evaluating rule: {rule.message or rule.text}"
    else:
        message = _REASON_PREFIX.get(rule.reason or "", "") + _message(rule, ctx)
    if rule.field_path:
        path = path + rule.field_path if path else rule.field_path.lstrip(".")
    return Issue(path, message, rule.text)
