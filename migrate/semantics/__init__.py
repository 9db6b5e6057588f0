"""Request simulators: what the source controller and a Gateway API implementation each
do with a request, so their behaviours can be compared (the semantic diff)."""

from migrate.semantics.gateway import GatewaySimulator, MeshSimulator
from migrate.semantics.request import ERROR_BACKEND, Outcome, Request, backend_headers

__all__ = ["ERROR_BACKEND", "GatewaySimulator", "MeshSimulator", "Outcome", "Request", "backend_headers"]
