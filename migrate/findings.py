"""Findings: what the user reads about every field and annotation we touched.

Every code is declared once, as a FindingSpec, with its severity, its outcome and a
doc; emitting an undeclared code is a bug (KeyError at the call site, caught by the
fixture tests). docs/findings.md is generated from the registry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable


class Severity(str, enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Outcome(str, enum.Enum):
    """Where a source field or annotation ended (ARCHITECTURE.md, Findings)."""

    CONVERTED = "converted"
    CHANGED = "converted-with-change"
    EXTENSION = "converted-to-extension"
    NOT_CONVERTED = "not-converted"
    NOTE = "note"  # about the run or the output, not about one source field


@dataclass(frozen=True)
class FindingSpec:
    code: str
    severity: Severity
    outcome: Outcome
    summary: str
    doc: str = ""
    #: an access control: fails closed unless --allow-security-downgrade
    security: bool = False


@dataclass(frozen=True)
class Source:
    """Where a finding points: the file and line, the object, the field or annotation."""

    file: str = ""
    line: int | None = None
    kind: str = ""
    namespace: str | None = None
    name: str = ""
    field: str = ""

    @property
    def object(self) -> str:
        if not self.kind:
            return ""
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @property
    def location(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    outcome: Outcome
    source: Source
    message: str
    #: a request that shows the change in behaviour, when there is one
    example: str = ""
    downgraded: bool = False

    def to_dict(self) -> dict:
        out = {
            "code": self.code,
            "severity": self.severity.value,
            "outcome": self.outcome.value,
            "file": self.source.file,
            "line": self.source.line,
            "object": self.source.object,
            "field": self.source.field,
            "message": self.message,
        }
        if self.example:
            out["example"] = self.example
        if self.downgraded:
            out["downgraded"] = True
        return out


@dataclass
class Registry:
    """All finding codes known to this run: the core's and each loaded plugin's."""

    specs: dict[str, FindingSpec] = field(default_factory=dict)

    def register(self, specs: Iterable[FindingSpec]) -> None:
        for spec in specs:
            known = self.specs.get(spec.code)
            if known is not None and known != spec:
                raise ValueError(f"finding code {spec.code} declared twice with different meanings")
            self.specs[spec.code] = spec

    def __getitem__(self, code: str) -> FindingSpec:
        return self.specs[code]

    def __contains__(self, code: str) -> bool:
        return code in self.specs


def spec(code: str, severity: str, outcome: str, summary: str, doc: str = "", *, security: bool = False) -> FindingSpec:
    """Short constructor so finding tables read as tables."""
    return FindingSpec(code, Severity(severity), Outcome(outcome), summary, doc, security)


#: Codes owned by the core (engine, emitter, validator), prefix GM.
CORE_FINDINGS: tuple[FindingSpec, ...] = (
    spec("GM001", "error", "note", "A plugin failed to load",
         "The plugin's entry point raised on import or construction. Other plugins still run; objects it would "
         "have claimed fall back to the core Ingress plugin or stay unconverted."),
    spec("GM002", "error", "note", "A plugin speaks another contract version",
         "The plugin's api_version differs from the one this gateway-migrate implements; it is not used."),
    spec("GM003", "warning", "note", "Several plugins claim one object",
         "Each object has exactly one owner. The first plugin in name order converts it; the others are named."),
    spec("GM004", "warning", "not-converted", "Field not converted",
         "The owning plugin neither converted this field nor explained it; it is named here so it is never lost "
         "silently. Check what the field did in the source controller."),
    spec("GM005", "error", "note", "Emitted object failed validation",
         "An object gateway-migrate produced would be rejected by the Gateway API CRDs (schema or CEL rule). "
         "It is left out of the output. This is a bug: please report it with the input."),
    spec("GM006", "info", "note", "Name shortened or made unique",
         "A generated object name was too long for Kubernetes or collided with another generated name."),
    spec("GM007", "info", "note", "Routes attach to an existing Gateway",
         "--gateway was given: no Gateway is emitted; the listeners listed must exist on it."),
    spec("GM008", "info", "note", "GatewayClass name assumed",
         "The Gateway's gatewayClassName was not given with --gateway-class; the ingress class name is used. "
         "Make sure a GatewayClass of that name exists for your implementation."),
    spec("GM009", "error", "not-converted", "Gateway listener limit exceeded",
         "A Gateway holds at most 64 listeners. Extra HTTPS hosts were not given listeners."),
    spec("GM010", "warning", "converted-with-change", "Security control downgraded on request",
         "An access control that cannot be carried over was accepted because --allow-security-downgrade was "
         "given: traffic it used to block will now reach the backend.", security=True),
    spec("GM011", "warning", "converted-with-change", "Route emitted closed: an access control could not be carried over",
         "The route would have been open where the source restricted it, so its rules are emitted without "
         "backends: matching requests get HTTP 500 instead of reaching the backend, and they cannot fall "
         "through to a broader route either. Fix the finding that names the access control, or accept the "
         "downgrade with --allow-security-downgrade."),
    spec("GM013", "error", "not-converted", "A plugin failed while converting",
         "The plugin raised an exception; the objects it owned are not converted. Other plugins' output is "
         "unaffected. This is a bug in the plugin: please report it with the input."),
    spec("GM012", "info", "note", "Route split to stay within Gateway API limits",
         "An HTTPRoute holds at most 16 rules and 16 hostnames; the route was split into several."),
)
