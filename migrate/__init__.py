"""gateway-migrate: Ingress and controller dialects to Gateway API, with findings."""

__version__ = "0.1.0"
