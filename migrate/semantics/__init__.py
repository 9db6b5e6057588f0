"""Request simulators: what the source controller and a Gateway API implementation each
do with a request, so their behaviours can be compared (the semantic diff)."""

from typing import Protocol

from migrate.semantics.gateway import GatewaySimulator, MeshSimulator
from migrate.semantics.request import ERROR_BACKEND, Outcome, Request, backend_headers


class SourceSimulator(Protocol):
    """What a plugin's ``simulator(objects)`` returns: its controller's half of the semantic diff.

    ``Outcome.rule`` should start with "<Kind> <namespace>/<name>" of the source object
    that decided, so each change is charged to the object (and its findings)."""

    def handle(self, request: Request) -> Outcome: ...

    def has_certificate(self, host: str) -> bool: ...

    # Optional: ``requests() -> Iterable[Request]``, probes only the source side can name
    # (paths of routes the conversion dropped, values a negated condition excludes);
    # they are sent to both sides with the probes made from the converted routes.


__all__ = ["ERROR_BACKEND", "GatewaySimulator", "MeshSimulator", "Outcome", "Request", "SourceSimulator",
           "backend_headers"]
