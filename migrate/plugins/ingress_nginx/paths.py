"""Regex paths and rewrite-target, as exactly as Gateway API allows.

With use-regex or rewrite-target anywhere on a host, ingress-nginx renders every
path of that host, from every Ingress, as ``location ~* "^<path>"``: a
case-insensitive regex anchored only at the start. Gateway API has case-sensitive
Exact and element-wise PathPrefix matches and an implementation-specific
RegularExpression. A path that is a prefix or an exact path in disguise becomes
PathPrefix or Exact, and the finding names the requests that now match
differently; only the rest stays a regex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from migrate.findings import spec
from migrate.ir import Match, PathMatch, RequestHeaders, HeaderChange, Rewrite
from migrate.plugin import SourceObject
from migrate.plugins.ingress.convert import gateway_path_ok
from migrate.plugins.ingress.parse import PathSpec
from migrate.plugins.ingress_nginx.handle import TRUE, Handle, add_filter
from migrate.regex_sample import sample

if TYPE_CHECKING:
    from migrate.plugins.ingress_nginx import NginxConverter

FINDINGS = (
    spec("NGX100", "warning", "converted-with-change", "Regex-mode path converted to PathPrefix or Exact",
         "ingress-nginx matched this path as a case-insensitive regex anchored at the start (regex mode is on for "
         "the whole host). It became a case-sensitive Exact or element-wise PathPrefix match; the example shows "
         "requests that now match differently."),
    spec("NGX101", "info", "converted-with-change", "Path in regex mode because of another Ingress on the host",
         "This Ingress does not set use-regex or rewrite-target, but another Ingress for the same host does, and "
         "ingress-nginx then treats every path of the host as a regex. The conversion follows what ingress-nginx did."),
    spec("NGX102", "warning", "converted-with-change", "Regex path kept as RegularExpression",
         "The regex has no Exact/PathPrefix equivalent. It is emitted as (?i)^(?:regex).* so that full-match and "
         "prefix-match engines both read it like nginx did, but RegularExpression support, dialect and precedence "
         "are implementation-specific (nginx tried regex locations longest first, first match wins)."),
    spec("NGX103", "error", "not-converted", "Regex uses features RE2 does not have",
         "Look-around and back-references are PCRE-only; most Gateway implementations use RE2 and will reject the "
         "route. Rewrite the path without them."),
    spec("NGX104", "warning", "not-converted", "rewrite-target capture groups cannot be expressed",
         "Gateway API rewrites replace a whole path or a matched prefix; this target rearranges capture groups. The "
         "route keeps its match without the rewrite, so the backend now sees the original path (see the example). "
         "A target-specific regex rewrite (e.g. Envoy Gateway HTTPRouteFilter ReplaceRegexMatch) can restore it."),
    spec("NGX105", "info", "converted-with-change", "rewrite-target converted to ReplacePrefixMatch with a slash difference",
         "A request for exactly the prefix reached the backend with a trailing slash; Gateway API's ReplacePrefixMatch "
         "sends it without one."),
    spec("NGX106", "info", "converted", "x-forwarded-prefix has no effect without rewrite-target",
         "ingress-nginx only sends X-Forwarded-Prefix on locations that also rewrite; so nothing is added here either."),
    spec("NGX108", "info", "converted", "use-regex is implied by rewrite-target",
         "rewrite-target already puts the host in regex mode, so use-regex changes nothing, in ingress-nginx and now."),
    spec("NGX109", "warning", "converted-with-change", "Rule without host now also serves hosts that have rules",
         "ingress-nginx puts rules without a host in its catch-all server, used only for hosts no Ingress names. A "
         "Gateway route without hostnames also catches the paths a named host does not define."),
    spec("NGX110", "info", "converted-with-change", "Prefix path with a trailing slash now matches without it",
         "ingress-nginx rendered `location /p/`, which does not match `/p`; Gateway API PathPrefix `/p/` does."),
    spec("NGX107", "warning", "converted-with-change", "rewrite-target path now also matches the bare prefix",
         "The regex needed a slash after the prefix; the converted PathPrefix also matches the prefix itself, "
         "which the rewrite sends to the backend as the rewrite target."),
)

_META = set(".^$*+?()[]{}|\\")
_STRING_PREFIX = {"", ".*", "(.*)", ".*$", "(.*)$"}
_SEGMENT = {"(/|$)(.*)", "(/|$)", "(/.*)?", "(/.*)?$", "(/|$).*", "($|/)(.*)", "(?:/|$)(.*)", "(/|$)(.*)$"}
_PCRE_ONLY = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")


@dataclass(frozen=True)
class RegexForm:
    """How a regex-mode path reads: a string prefix, a segment prefix, an exact path, or a real regex."""

    kind: Literal["string", "segment", "exact", "regex"]
    literal: str
    rest: str
    value: str


def split_literal(value: str) -> tuple[str, str]:
    """The literal head of a regex (escapes resolved) and the regex rest."""
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and not value[i + 1].isalnum():
            out.append(value[i + 1])
            i += 2
            continue
        if ch in _META:
            break
        out.append(ch)
        i += 1
    return "".join(out), value[i:]


def classify(value: str) -> RegexForm:
    literal, rest = split_literal(value)
    ok = literal.startswith("/") and gateway_path_ok(literal)
    if ok and rest in _STRING_PREFIX:
        return RegexForm("string", literal, rest, value)
    if ok and rest in _SEGMENT:
        return RegexForm("segment", literal, rest, value)
    if ok and rest == "$":
        return RegexForm("exact", literal, rest, value)
    return RegexForm("regex", literal, rest, value)


def _differences(form: RegexForm) -> list[str]:
    lit = form.literal
    out = []
    if form.kind == "string" and not lit.endswith("/"):
        out.append(f"{lit}x matched before and no longer does (nginx: string prefix)")
    if form.kind == "string" and lit.endswith("/") and lit != "/":
        out.append(f"{lit[:-1]} now matches and did not before")
    if any(c.isalpha() for c in lit):
        out.append(f"{lit.upper()}... matched before (case-insensitive) and no longer does")
    return out


def regex_path(conv: "NginxConverter", obj: SourceObject, path: PathSpec) -> PathMatch:
    """The Gateway API match for a path of a host in regex mode (called while routes are built)."""
    form = classify(path.value)
    conv.forms[(id(obj), path.path)] = form
    names = conv.names(obj)
    if "rewrite-target" not in names and names.get("use-regex", "").strip() not in TRUE:
        if id(obj) not in conv.told_host_regex:
            conv.told_host_regex.add(id(obj))
            host = conv._view.rules[path.path[2]].host if conv._view else None
            conv.ctx.report("NGX101", obj, path.path[:3] + ("host",),
                            f"host {host or '(all)'} is in regex mode because another Ingress sets use-regex or rewrite-target")
    where = path.path + ("path",)
    if form.kind == "regex":
        value = f"(?i)^(?:{path.value}).*"
        if _PCRE_ONLY.search(path.value):
            conv.ctx.report("NGX103", obj, where, f"path {path.value!r} uses look-around or back-references")
        else:
            example = sample(path.value, flags=re.IGNORECASE)
            conv.ctx.report("NGX102", obj, where, f"path {path.value!r} kept as RegularExpression {value!r}",
                            example=f"GET {example}" if example else "")
        return PathMatch("RegularExpression", value)
    target = (form.literal.rstrip("/") or "/") if form.kind == "segment" else form.literal
    match = PathMatch("Exact" if form.kind == "exact" else "PathPrefix", target)
    diffs = _differences(form)
    if diffs:
        conv.ctx.report("NGX100", obj, where, f"path {path.value!r} (regex mode) became {match.type} {match.value!r}",
                        example="; ".join(diffs))
    return match


def use_regex(h: Handle, names: list[str]) -> None:
    """Applied while the routes were built (regex_path); the per-path findings say what changed."""
    for name in names:
        if h.flag(name, False) and h.has("rewrite-target"):
            h.report("NGX108", name, "redundant: rewrite-target already makes the host's paths regexes")
        else:
            h.converted(name)


def _remainder_group(form: RegexForm) -> int | None:
    """The capture group number holding "the rest of the path" in a prefix form, if there is one."""
    if form.kind not in ("string", "segment") or not form.rest.endswith(("(.*)", "(.*)$")):
        return None
    try:
        return re.compile(form.rest).groups
    except re.error:
        return None


def rewrite_target(h: Handle, names: list[str]) -> None:
    target = h.get("rewrite-target") or ""
    h.converted("rewrite-target")
    if not target.startswith("/"):
        h.invalid("rewrite-target", target, "a path starting with /", "no rewrite")
        return
    for made in h.made:
        form = h.conv.forms.get((id(h.obj), made.path.path))
        value = made.path.value
        if "$" not in target:
            if target != value:
                add_filter(made.rule, Rewrite(path=("ReplaceFullPath", target)))
            continue
        group = _remainder_group(form) if form else None
        tail = f"/${group}" if group else None
        if group and target.endswith(tail) and "$" not in target[: -len(tail)]:
            replacement = target[: -len(tail)] or "/"
            prefix = form.literal.rstrip("/") or "/"
            made.rule.matches[:] = [Match(PathMatch("PathPrefix", prefix))]
            add_filter(made.rule, Rewrite(path=("ReplacePrefixMatch", replacement)))
            if form.kind == "string" and form.literal.endswith("/") and prefix != "/":
                h.report("NGX107", "rewrite-target", f"path {value!r} -> PathPrefix {prefix!r}",
                         example=f"GET {prefix} did not match this path before; now it reaches the backend as {replacement}")
            elif replacement != "/":
                h.report("NGX105", "rewrite-target", f"path {value!r} rewritten with ReplacePrefixMatch {replacement!r}",
                         example=f"GET {prefix}: backend saw {replacement}/, now sees {replacement}")
            continue
        example = sample(value, flags=re.IGNORECASE) or value
        before = _nginx_rewrite(value, target, example)
        h.report("NGX104", "rewrite-target", f"target {target!r} on path {value!r} not converted",
                 example=f"GET {example}: backend saw {before}, now sees {example}")


def _nginx_rewrite(pattern: str, target: str, uri: str) -> str:
    """What nginx's ``rewrite (?i)<pattern> <target> break`` gives for ``uri``."""
    m = re.match(pattern, uri, re.IGNORECASE)
    if m is None:
        return uri
    return re.sub(r"\$(\d)", lambda g: (m.group(int(g.group(1))) or "") if int(g.group(1)) <= m.re.groups else "", target)


def x_forwarded_prefix(h: Handle, names: list[str]) -> None:
    value = h.get("x-forwarded-prefix") or ""
    if not h.has("rewrite-target"):
        h.report("NGX106", "x-forwarded-prefix", "no header added: ingress-nginx sends it only with rewrite-target")
        return
    h.converted("x-forwarded-prefix")
    for made in h.made:
        add_filter(made.rule, RequestHeaders(HeaderChange(set=(("X-Forwarded-Prefix", value),))))
