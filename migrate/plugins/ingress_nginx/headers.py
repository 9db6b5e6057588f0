"""custom-headers: the keys of a ConfigMap, set on every response of the Ingress.

The ConfigMap must be in the input (ctx.config_maps); it is read at conversion time
into a ResponseHeaderModifier on every rule, so later edits to it need a new run.
"""

from __future__ import annotations

import re
from dataclasses import replace

from migrate.findings import spec
from migrate.ir import HeaderChange, ResponseHeaders
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import ignored_by_passthrough, moot_under_redirect, proxied_rules

FINDINGS = (
    spec("NGX280", "info", "converted", "custom-headers ConfigMap converted to a ResponseHeaderModifier",
         "Every key of the ConfigMap is set as a response header on every rule of the Ingress (extended feature "
         "HTTPRouteResponseHeaderModification). The values are copied now: edit the ConfigMap later and the "
         "routes keep the old values until converted again. ingress-nginx also required each name to be listed in "
         "the controller's global-allowed-response-headers; the Gateway has no such list."),
    spec("NGX281", "warning", "not-converted", "custom-headers ConfigMap not in the input",
         "The ConfigMap named by custom-headers is not among the input documents, so its headers are unknown and "
         "not set (ingress-nginx itself answered 503 for the Ingress's paths when it was missing). Add the "
         "ConfigMap to the input and convert again."),
    spec("NGX282", "warning", "not-converted", "custom-headers entry not converted",
         "A header whose value uses nginx variables cannot be set to a fixed value, and a name ingress-nginx "
         "rejects made it answer 503 for the Ingress's paths; such entries are left out."),
)

#: ingress-nginx's check on custom header names (customheaders.ValidHeader)
_NAME = re.compile(r"^[a-zA-Z\d\-_]+$")
_GATEWAY_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")


def custom_headers(h: Handle, names: list[str]) -> None:
    names = moot_under_redirect(h, names)
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        _custom_headers(h, name)


def _custom_headers(h: Handle, name: str) -> None:
    value = (h.get(name) or "").strip()
    ns, _, cm_name = value.partition("/")
    if not ns or not cm_name or "/" in cm_name:
        h.ctx.input_error(h.obj, h.path(name), f"value {value!r} is not namespace/name of a ConfigMap; "
                                               "ingress-nginx cannot find it and answers 503 for the Ingress's paths")
        return
    config_maps = getattr(h.ctx, "config_maps", {}) or {}
    config_map = config_maps.get((ns, cm_name))
    if config_map is None:
        h.report("NGX281", name, f"ConfigMap {ns}/{cm_name} is not in the input: its response headers are not set. "
                                 "Add it to the input and convert again.",
                 example=f"responses no longer carry the headers of ConfigMap {ns}/{cm_name}")
        return
    data = config_map.get("data") if isinstance(config_map.get("data"), dict) else {}
    headers: list[tuple[str, str]] = []
    removed: list[str] = []
    for key in sorted(data, key=str):
        text = "" if data[key] is None else str(data[key])
        if not _NAME.match(str(key)) or not _GATEWAY_NAME.match(str(key)):
            h.report("NGX282", name, f"header name {key!r} in ConfigMap {ns}/{cm_name} is not valid (ingress-nginx "
                                     "answered 503 for the Ingress's paths because of it); left out.")
        elif "$" in text:
            h.report("NGX282", name, f"header {key} = {text!r} uses nginx variables, which a fixed header value "
                                     "cannot express; left out.",
                     example=f"responses no longer carry {key}")
        elif not text.strip():
            removed.append(str(key))  # more_set_headers with an empty value clears the header
        else:
            headers.append((str(key), text))
    if not headers and not removed:
        if not h.is_accounted(name):
            h.report("NGX280", name, f"ConfigMap {ns}/{cm_name} has no headers to set; nothing to convert.")
        return
    rules = 0
    for _route, rule in proxied_rules(h):
        _merge(rule, headers, removed)
        rules += 1
    what = ", ".join(k for k, _ in headers) + (f"; removes {', '.join(removed)}" if removed else "")
    h.report("NGX280", name, f"ResponseHeaderModifier on {rules} rule(s) sets {what} from ConfigMap "
                             f"{ns}/{cm_name}, read at conversion time: convert again after editing it.")


def _merge(rule, headers: list[tuple[str, str]], removed: list[str]) -> None:
    """One ResponseHeaderModifier per rule: merge into an existing one, ours winning per name."""
    mine = {k.lower() for k, _ in headers} | {k.lower() for k in removed}
    existing = next((f for f in rule.filters if isinstance(f, ResponseHeaders)), None)
    if existing is None:
        rule.filters.append(ResponseHeaders(HeaderChange(set=tuple(headers), remove=tuple(removed))))
        return
    change = existing.change
    merged = HeaderChange(
        set=tuple((k, v) for k, v in change.set if k.lower() not in mine) + tuple(headers),
        add=tuple((k, v) for k, v in change.add if k.lower() not in mine),
        remove=tuple(k for k in change.remove if k.lower() not in mine) + tuple(removed),
    )
    rule.filters[rule.filters.index(existing)] = replace(existing, change=merged)
