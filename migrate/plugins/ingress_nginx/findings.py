"""Finding codes of the ingress-nginx plugin (prefix NGX): general ones here, each
handler module declares its own ``FINDINGS`` in its code range (see MODULES)."""

from __future__ import annotations

import importlib

from migrate.findings import FindingSpec, spec

#: handler modules and their code ranges
MODULES = {"paths": "NGX100", "redirects": "NGX120", "canary": "NGX140", "backend": "NGX200", "tls": "NGX220",
           "affinity": "NGX240", "timeouts": "NGX260", "headers": "NGX280", "cors": "NGX300", "mirror": "NGX320",
           "misc": "NGX340", "security": "NGX360", "explain": "NGX001", "legacy": "NGX005"}

GENERAL = (
    spec("NGX001", "warning", "not-converted", "ingress-nginx annotation not converted",
         "Gateway API (and the chosen target) has no equivalent; what the annotation did is not carried over. "
         "The message gives the annotation's note from mappings/ingress-nginx.yaml."),
    spec("NGX002", "error", "not-converted", "ingress-nginx access control not converted",
         "The annotation restricts who may reach the backend (authentication, client certificates, IP lists, "
         "rate limits, or a snippet that may do so). It cannot be carried over, so the route is emitted closed "
         "(GM011): fail closed. Re-run with --allow-security-downgrade to emit it open, knowingly.", security=True),
    spec("NGX004", "warning", "not-converted", "Unknown annotation under the ingress-nginx prefix",
         "The name is not in ingress-nginx's annotation registry (a typo, or a newer release); ingress-nginx "
         "ignores it, and so does the conversion."),
    spec("NGX006", "warning", "not-converted", "Annotation under the default prefix, read by no controller",
         "With --annotations-prefix, ingress-nginx reads only annotations under that prefix; one under "
         "nginx.ingress.kubernetes.io/ had no effect, and the conversion ignores it too. If it was meant to "
         "work, rename it to the controller's prefix and convert again."),
    spec("NGX005", "info", "not-converted", "Legacy ingress-nginx annotation",
         "Current ingress-nginx releases no longer read this annotation, so it had no effect; nothing is "
         "converted. The message says what replaced it, if anything."),
)


def all_findings() -> tuple[FindingSpec, ...]:
    out = list(GENERAL)
    for module in MODULES:
        out.extend(getattr(importlib.import_module(f"migrate.plugins.ingress_nginx.{module}"), "FINDINGS", ()))
    return tuple(out)
