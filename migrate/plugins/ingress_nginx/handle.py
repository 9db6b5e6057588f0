"""What an annotation handler gets: one Ingress, its routes, and its annotations.

A handler is ``def fn(h: Handle, names: list[str]) -> None``, called once per
Ingress with the annotation names (without prefix, as written) that the mapping
table assigns to it. It changes ``h.routes`` / ``h.made`` or the model, and must
account for every name it was given: ``h.converted`` (same behaviour, no finding),
``h.report`` (a finding), ``h.explain`` (the table's note as a finding), or
``h.block`` (an access control lost: fail closed). The dispatcher reports anything
a handler left unaccounted, so a forgotten name is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from migrate.ir import Filter, Gateway, HeaderChange, RequestHeaders, ResponseHeaders, Rewrite, Route, Rule
from migrate.mapping_table import Mapping, MappingTable
from migrate.plugin import Context, SourceObject
from migrate.plugins.ingress.convert import Made
from migrate.plugins.ingress.parse import IngressView

if TYPE_CHECKING:
    from migrate.plugins.ingress_nginx import NginxConverter

#: what ingress-nginx's parser accepts (Go strconv.ParseBool): "yes"/"on" are not booleans
TRUE, FALSE = ("1", "t", "T", "TRUE", "true", "True"), ("0", "f", "F", "FALSE", "false", "False")


@dataclass
class Handle:
    conv: "NginxConverter"
    obj: SourceObject
    view: IngressView
    gateway: Gateway
    routes: list[Route]
    made: list[Made]
    #: annotation name without prefix -> value, as written
    annotations: dict[str, str] = field(default_factory=dict)
    #: names carried over with no finding (named in the output as provenance)
    silently: set[str] = field(default_factory=set)
    #: names a finding was reported on
    named: set[str] = field(default_factory=set)

    @property
    def ctx(self) -> Context:
        return self.conv.ctx

    @property
    def table(self) -> MappingTable:
        return self.conv.table

    @property
    def prefix(self) -> str:
        return self.conv.prefix

    # -- reading -----------------------------------------------------------------

    def _written(self, name: str) -> str | None:
        """The name as written: itself, or an alias of it that is present."""
        if name in self.annotations:
            return name
        for other in self.table.aliases.get(name, ()):
            if other in self.annotations:
                return other
        return None

    def has(self, name: str) -> bool:
        return self._written(name) is not None

    def get(self, name: str, default: str | None = None) -> str | None:
        written = self._written(name)
        return self.annotations[written].strip() if written is not None else default

    def path(self, name: str) -> tuple[str, ...]:
        return ("metadata", "annotations", self.prefix + (self._written(name) or name))

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        return self.invalid(name, value, "true or false", default)

    def number(self, name: str, default: int, *, low: int | None = None, high: int | None = None) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            return self.invalid(name, value, "a whole number", default)
        if (low is not None and number < low) or (high is not None and number > high):
            return self.invalid(name, value, f"a number from {low} to {high}", default)
        return number

    def invalid(self, name: str, value: str, expected: str, default: Any) -> Any:
        """A malformed value: ingress-nginx ignores it (uses its default); we say so and exit 2."""
        self.ctx.input_error(self.obj, self.path(name),
                             f"value {value!r} is not {expected}; ingress-nginx ignores it and uses {default!r}")
        return default

    def mapping(self, name: str) -> Mapping | None:
        entry = self.table.annotations.get(name)
        return entry if isinstance(entry, Mapping) else None

    # -- accounting -----------------------------------------------------------------

    def converted(self, *names: str) -> None:
        """These annotations are carried over with the same behaviour."""
        for name in names:
            if self.has(name):
                self.obj.account(self.path(name))
                self.silently.add(self._written(name) or name)

    def report(self, code: str, name: str, message: str, *, example: str = "") -> None:
        self.named.add(self._written(name) or name)
        self.ctx.report(code, self.obj, self.path(name), f"{self.prefix}{self._written(name) or name}: {message}",
                        example=example)

    def explain(self, name: str, extra: str = "") -> None:
        """The table's note as a "not converted" finding (an error for access controls)."""
        entry = self.mapping(name)
        note = entry.note if entry else ""
        if entry is not None and entry.security:
            self.block(name, (extra + " " + note).strip())
        else:
            self.report("NGX001", name, (extra + " " + note).strip())

    def block(self, name: str, message: str = "") -> None:
        """An access control that cannot be carried over: error, and the routes fail closed."""
        entry = self.mapping(name)
        self.report("NGX002", name, message or (entry.note if entry else "access control not carried over"))
        for route in self.routes:
            route.blocked_by.append(self.prefix + (self._written(name) or name))

    def is_accounted(self, name: str) -> bool:
        return self.obj.is_accounted(self.path(name))


def add_filter(rule: Rule, new: Filter) -> None:
    """Add ``new`` to ``rule``, merging it into a filter of the same type (one of each is allowed)."""
    for i, old in enumerate(rule.filters):
        if type(old) is not type(new):
            continue
        if isinstance(new, Rewrite):
            rule.filters[i] = replace(old, hostname=new.hostname or old.hostname, path=new.path or old.path)
            return
        if isinstance(new, (RequestHeaders, ResponseHeaders)):
            a, b = old.change, new.change
            rule.filters[i] = type(new)(HeaderChange(a.set + b.set, a.add + b.add, a.remove + b.remove))
            return
    rule.filters.append(new)
