"""Annotation handlers, named by the mapping table as ``handlers.<function>``.

A handler gets (converter, obj, routes, key, value, entry) and must either change the
routes and say so in a provenance comment, or report a finding naming the annotation:
`gateway-migrate plugins test` fails when an annotation vanishes.
"""

from __future__ import annotations

from migrate.findings import spec
from migrate.ir import Rewrite

NOT_CONVERTED = "ACME001"
UNKNOWN = "ACME002"
REGEX_PATH = "ACME003"

#: every code this plugin may report, declared once (one prefix, never the core's GM)
FINDINGS = (
    spec(NOT_CONVERTED, "warning", "not-converted", "acme-ingress annotation not converted",
         "Gateway API has no equivalent; the message gives the annotation's note from the mapping table."),
    spec(UNKNOWN, "warning", "not-converted", "Unknown annotation under the acme-ingress prefix",
         "The name is not in the mapping table (a typo, or a newer release); it is ignored."),
    spec(REGEX_PATH, "warning", "not-converted", "strip-prefix not converted on a regular-expression path",
         "Gateway API's URLRewrite can replace a PathPrefix or the full path, not a regular-expression match."),
)


def _path(key: str) -> tuple:
    return ("metadata", "annotations", key)


def _provenance(routes, note: str) -> None:
    for route in routes:
        if note not in route.origin.comments:
            route.origin.comments.append(note)


def explain(conv, obj, routes, key: str, value: str, entry: dict) -> None:
    """No equivalent: the table's note becomes the finding."""
    conv.ctx.report(NOT_CONVERTED, obj, _path(key), f"{key}: {entry['note']}")


def strip_prefix(conv, obj, routes, key: str, value: str, entry: dict) -> None:
    """"true": the matched prefix is removed before the request reaches the backend."""
    flag = value.strip().lower()
    if flag not in ("true", "false"):
        conv.ctx.input_error(obj, _path(key), f"value {value!r} is not true or false; ignored")
        return
    obj.account(_path(key))
    if flag == "false":
        _provenance(routes, f"gateway-migrate: {key} is false (the default): nothing to carry over")
        return
    for made in conv.made:
        kinds = {m.path.type for m in made.rule.matches if m.path is not None}
        if kinds == {"PathPrefix"}:
            rewrite = Rewrite(path=("ReplacePrefixMatch", "/"))
        elif kinds == {"Exact"}:
            rewrite = Rewrite(path=("ReplaceFullPath", "/"))
        else:
            conv.ctx.report(REGEX_PATH, obj, _path(key), f"{key}: path {made.path.value!r} kept without rewrite")
            continue
        if not any(isinstance(f, Rewrite) for f in made.rule.filters):
            made.rule.filters.append(rewrite)
    _provenance(routes, f"gateway-migrate: converted {key} (URLRewrite: the matched path becomes /)")
