"""Structural-schema validation and defaulting, the way the API server does it.

A direct walker rather than jsonschema: the API server's behaviour is not plain
JSON Schema. It prunes unknown fields (which we must report), applies defaults
before validating, checks x-kubernetes-list-type uniqueness, accepts
int-or-string, and binds CEL rules to nodes by path. One walk over a
precompiled ``Node`` tree does all of that and, on the way, builds once the
value CEL sees (escaped property names, pruned fields gone, root metadata
reduced to name/generateName). Paths and messages follow the API server's style
(``spec.rules[0].matches``, ``Required value``, ...).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from migrate.validate.meta import Issue, check_format, go_regex, parse_datetime

MISSING: Any = object()
CEL_RESERVED = frozenset(
    "true false null in as break const continue else for function if import let loop "
    "package namespace return var void while".split()
)
_CEL_IDENT = re.compile(r"[a-zA-Z_./-][a-zA-Z0-9_./-]*")
Seg = tuple  # (0, name, cel_name) field | (1, index) item | (2, key) map entry


@dataclass(eq=False)
class Node:
    """One compiled schema node; only what validation and defaulting need."""

    type: str | None = None
    nullable: bool = False
    int_or_string: bool = False
    preserve_unknown: bool = False
    properties: dict[str, "Node"] = field(default_factory=dict)
    cel_names: dict[str, str | None] = field(default_factory=dict)
    cel_props: dict[str, "Node"] = field(default_factory=dict)  # escaped name -> child
    required: tuple[str, ...] = ()
    items: "Node | None" = None
    additional: "Node | bool | None" = None
    enum: tuple | None = None
    pattern: re.Pattern | None = None
    pattern_text: str | None = None
    fmt: str | None = None
    limits: dict[str, Any] = field(default_factory=dict)
    list_type: str | None = None
    map_keys: tuple[str, ...] = ()
    default: Any = MISSING
    rules: Any = None  # what compile_rules made of x-kubernetes-validations (None: nothing to run)
    one_of: tuple["Node", ...] = ()
    any_of: tuple["Node", ...] = ()
    all_of: tuple["Node", ...] = ()
    not_: "Node | None" = None
    checks: bool = False  # any value validation besides the type (enum, pattern, limits, ...)


@dataclass(frozen=True)
class Target:
    """A node carrying CEL rules, with the value CEL sees there."""

    rules: Any
    node: Node
    segs: tuple
    value: Any


def cel_escape(name: str) -> str | None:
    """Kubernetes' escaping of property names for CEL; None if not accessible."""
    if name in CEL_RESERVED:
        return f"__{name}__"
    if not _CEL_IDENT.fullmatch(name):
        return None
    return (
        name.replace("__", "__underscores__").replace(".", "__dot__").replace("-", "__dash__").replace("/", "__slash__")
    )


def compile_schema(raw: dict, compile_rules: Callable[[list, dict], Any], root: bool = True) -> Node:
    """Precompile a structural schema. ``compile_rules`` turns x-kubernetes-validations into rule objects."""
    n = Node(
        type=raw.get("type"),
        nullable=bool(raw.get("nullable")),
        int_or_string=bool(raw.get("x-kubernetes-int-or-string")),
        preserve_unknown=bool(raw.get("x-kubernetes-preserve-unknown-fields")),
        required=tuple(raw.get("required", ())),
        enum=tuple(raw["enum"]) if "enum" in raw else None,
        fmt=raw.get("format"),
        list_type=raw.get("x-kubernetes-list-type"),
        map_keys=tuple(raw.get("x-kubernetes-list-map-keys", ())),
        default=raw.get("default", MISSING),
    )
    sub = lambda s: compile_schema(s, compile_rules, root=False)  # noqa: E731
    for name, prop in raw.get("properties", {}).items():
        n.properties[name] = sub(prop)
        n.cel_names[name] = cel_escape(name)
        if n.cel_names[name] is not None:
            n.cel_props[n.cel_names[name]] = n.properties[name]
    if root and "metadata" in n.properties:
        n.properties["metadata"].preserve_unknown = True  # ObjectMeta is checked by meta.py
    if "items" in raw:
        n.items = sub(raw["items"])
    extra = raw.get("additionalProperties")
    n.additional = sub(extra) if isinstance(extra, dict) else extra
    if "pattern" in raw:
        n.pattern_text, n.pattern = raw["pattern"], go_regex(raw["pattern"])
    for key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties",
                "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if key in raw:
            n.limits[key] = raw[key]
    n.one_of = tuple(sub(s) for s in raw.get("oneOf", ()))
    n.any_of = tuple(sub(s) for s in raw.get("anyOf", ()))
    n.all_of = tuple(sub(s) for s in raw.get("allOf", ()))
    n.not_ = sub(raw["not"]) if "not" in raw else None
    n.checks = bool(n.enum is not None or n.pattern or n.fmt or n.limits
                    or n.one_of or n.any_of or n.all_of or n.not_)
    if raw.get("x-kubernetes-validations"):
        n.rules = compile_rules(raw["x-kubernetes-validations"], raw)
    return n


def json_copy(v: Any) -> Any:
    """Deep copy of JSON-like data (much faster than copy.deepcopy).

    Subclasses (ruamel.yaml's commented maps and scalars, tuples) become plain
    dict/list/str/int/float/bool, so later checks and the CEL conversion see JSON types.
    """
    t = type(v)
    if t is dict:
        return {k: json_copy(x) for k, x in v.items()}
    if t is list:
        return [json_copy(x) for x in v]
    if t is str or t is int or t is bool or t is float or v is None:
        return v
    if isinstance(v, dict):
        return {str(k): json_copy(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_copy(x) for x in v]
    for plain in (bool, str, int, float):
        if isinstance(v, plain):
            return plain(v)
    return v


def apply_defaults(v: Any, n: Node) -> None:
    """Apply schema defaults in place, as the apiserver does on decode.

    Non-nullable nulls without a default are dropped first (the apiserver's
    PruneNonNullableNullsWithoutDefaults); nulls with a default get it.
    """
    if isinstance(v, dict):
        for k, child in n.properties.items():
            if child.default is not MISSING and (k not in v or (v[k] is None and not child.nullable)):
                v[k] = json_copy(child.default)
        extra = n.additional if isinstance(n.additional, Node) else None
        for k in list(v):
            child = n.properties.get(k, extra)
            if child is None:
                continue
            if v[k] is None and not child.nullable:
                if child.default is MISSING:
                    del v[k]
                else:
                    v[k] = json_copy(child.default)
                continue
            apply_defaults(v[k], child)
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            if x is None and n.items.default is not MISSING and not n.items.nullable:
                v[i] = json_copy(n.items.default)
            apply_defaults(v[i], n.items)


def render_path(segs: tuple | list) -> str:
    """``spec.rules[0].matches`` from walk segments."""
    parts: list[str] = []
    for seg in segs:
        if seg[0] == 0:
            parts.append(("." if parts else "") + seg[1])
        else:
            parts.append(f"[{seg[1]}]")
    return "".join(parts)


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    names = {dict: "object", list: "array", str: "string", int: "integer", float: "number"}
    return names.get(type(v), type(v).__name__)


def _type_ok(v: Any, n: Node) -> bool:
    if n.int_or_string:
        return type(v) is int or isinstance(v, str)
    t = n.type
    if t is None:
        return True
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "string":
        return isinstance(v, str)
    if t == "integer":
        return type(v) is int or (type(v) is float and v.is_integer())
    if t == "number":
        return type(v) in (int, float)
    if t == "boolean":
        return type(v) is bool
    return True


def _q(v: Any) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), default=str)


def value_errors(v: Any, n: Node) -> list[str]:
    """Enum, pattern, format, length/size/bound and junctor checks on one value."""
    errs: list[str] = []
    if n.enum is not None and v not in n.enum:
        errs.append(f"Unsupported value: {_q(v)}: supported values: " + ", ".join(_q(e) for e in n.enum))
    lim = n.limits
    if isinstance(v, str):
        if n.pattern is not None and not n.pattern.search(v):
            errs.append(f"Invalid value: {_q(v)}: should match '{n.pattern_text}'")
        if n.fmt and not check_format(n.fmt, v):
            errs.append(f"Invalid value: {_q(v)}: must be of format {n.fmt}")
        if "maxLength" in lim and len(v) > lim["maxLength"]:
            errs.append(f"Too long: may not be more than {lim['maxLength']} characters")
        if "minLength" in lim and len(v) < lim["minLength"]:
            errs.append(f"Invalid value: {_q(v)}: should be at least {lim['minLength']} chars long")
    elif isinstance(v, (list, dict)):
        word, lo, hi = ("items", "minItems", "maxItems") if isinstance(v, list) else (
            "properties", "minProperties", "maxProperties")
        if hi in lim and len(v) > lim[hi]:
            errs.append(f"Too many: {len(v)}: must have at most {lim[hi]} {word}")
        if lo in lim and len(v) < lim[lo]:
            errs.append(f"Invalid value: {len(v)}: should have at least {lim[lo]} {word}")
    elif type(v) in (int, float) and lim:
        low, high, strict_low, strict_high = (lim.get("minimum"), lim.get("maximum"),
                                              lim.get("exclusiveMinimum"), lim.get("exclusiveMaximum"))
        if low is not None and (v <= low if strict_low else v < low):
            errs.append(f"Invalid value: {v}: should be greater than {'' if strict_low else 'or equal to '}{low}")
        if high is not None and (v >= high if strict_high else v > high):
            errs.append(f"Invalid value: {v}: should be less than {'' if strict_high else 'or equal to '}{high}")
        if lim.get("multipleOf") and (v / lim["multipleOf"]) % 1:
            errs.append(f"Invalid value: {v}: should be a multiple of {lim['multipleOf']}")
    if n.one_of and sum(not branch_errors(v, s) for s in n.one_of) != 1:
        errs.append("Invalid value: must validate one and only one schema (oneOf)" + _why(v, n.one_of))
    if n.any_of and all(branch_errors(v, s) for s in n.any_of):
        errs.append("Invalid value: must validate at least one schema (anyOf)" + _why(v, n.any_of))
    if n.all_of and any(branch_errors(v, s) for s in n.all_of):
        errs.append("Invalid value: must validate all the schemas (allOf)" + _why(v, n.all_of))
    if n.not_ is not None and not branch_errors(v, n.not_):
        errs.append("Invalid value: must not validate the schema (not)")
    return errs


def _why(v: Any, branches: tuple[Node, ...]) -> str:
    """The failures of the closest branch, so a oneOf/anyOf error says what was wrong."""
    failures = [e for e in (branch_errors(v, b) for b in branches) if e]
    return f": {'; '.join(min(failures, key=len))}" if failures else ""


def branch_errors(v: Any, n: Node, path: str = "") -> list[str]:
    """Why ``v`` fails a junctor branch (value validations only, no pruning); [] if it passes."""
    where = f"{path}: " if path else ""
    if not _type_ok(v, n):
        return [f"{where}must be of type {n.type}"]
    errs = [where + e for e in value_errors(v, n)]
    if isinstance(v, dict):
        errs += [f"{path}{'.' if path else ''}{r}: Required value" for r in n.required if r not in v]
        for k, s in n.properties.items():
            if k in v:
                errs += branch_errors(v[k], s, f"{path}{'.' if path else ''}{k}")
    elif isinstance(v, list) and n.items is not None:
        for i, x in enumerate(v):
            errs += branch_errors(x, n.items, f"{path}[{i}]")
    return errs


class Walk:
    """One validation pass: collects issues and CEL targets, prunes unknown fields in place."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.targets: list[Target | None] = []
        self.segs: list[Seg] = []

    def issue(self, message: str, blocking: bool = False, extra: Seg | None = None) -> None:
        segs = self.segs + [extra] if extra else self.segs
        self.issues.append(Issue(render_path(segs), message, blocking=blocking))

    def visit(self, v: Any, n: Node) -> Any:
        """Validate ``v`` against ``n``; return the value CEL sees for it."""
        if v is None and n.nullable:
            return None
        if not _type_ok(v, n):
            expected = n.type or "integer or string"
            self.issue(f'Invalid value: "{_type_name(v)}": must be of type {expected}', blocking=True)
            return v
        if n.checks:
            for msg in value_errors(v, n):
                self.issue(msg)
        slot = -1
        if n.rules:
            slot = len(self.targets)
            self.targets.append(None)  # pre-order, like the apiserver
        if isinstance(v, dict):
            out = self._object(v, n)
        elif isinstance(v, list):
            out = self._array(v, n)
        elif n.type == "number" and type(v) is int:
            out = float(v)  # CEL types follow the schema: number is double, integer is int
        elif n.type == "integer" and type(v) is float:
            out = int(v)
        elif n.fmt == "date-time" and isinstance(v, str):
            out = parse_datetime(v) or v
        else:
            out = v
        if slot >= 0:
            self.targets[slot] = Target(n.rules, n, tuple(self.segs), out)
        return out

    def _object(self, v: dict, n: Node) -> dict:
        for name in n.required:
            if name not in v:
                self.issue("Required value", extra=(0, name, None))
        out: dict = {}
        extra = n.additional if isinstance(n.additional, Node) else None
        for k in list(v):
            child = n.properties.get(k)
            if child is not None:
                self.segs.append((0, k, n.cel_names[k]))
                cv = self.visit(v[k], child)
                self.segs.pop()
                name = n.cel_names[k]
                if name is not None:
                    out[name] = cv
            elif extra is not None:
                self.segs.append((2, k))
                out[k] = self.visit(v[k], extra)
                self.segs.pop()
            elif n.preserve_unknown or n.additional is True:
                out[k] = v[k]
            else:
                self.issue(f'unknown field "{k}"', extra=(0, k, None))
                del v[k]
        return out

    def _array(self, v: list, n: Node) -> list:
        out = []
        for i, x in enumerate(v):
            self.segs.append((1, i))
            out.append(self.visit(x, n.items) if n.items is not None else x)
            self.segs.pop()
        if n.list_type in ("set", "map"):
            self._unique(v, n)
        return out

    def _unique(self, v: list, n: Node) -> None:
        seen: set = set()
        for i, x in enumerate(v):
            if n.list_type == "map":
                if not isinstance(x, dict):
                    continue
                key = _q({k: x.get(k) for k in n.map_keys})
            else:
                key = _q(x)
            if key in seen:
                self.issue(f"Duplicate value: {key}", extra=(1, i))
            seen.add(key)


def check(obj: dict, root: Node) -> tuple[list[Issue], list[Target]]:
    """Validate a defaulted object (pruning unknown fields from it); returns issues and CEL targets."""
    walk = Walk()
    cel_root = walk.visit(obj, root)
    if isinstance(cel_root, dict) and isinstance(cel_root.get("metadata"), dict):
        meta = cel_root["metadata"]
        cel_root["metadata"] = {k: meta[k] for k in ("name", "generateName") if k in meta}
    return walk.issues, [t for t in walk.targets if t is not None]
