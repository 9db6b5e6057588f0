"""Name and format rules the API server enforces outside the CRD schema.

A CRD's schema says only ``metadata: {type: object}``; the API server still
validates ObjectMeta (name, namespace, labels, annotations) with its own
rules, checks string ``format``s with its own parsers and matches ``pattern``s
with Go's RE2. They live here so the structural walker and the CEL ``format.*``
shims share one definition.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(_LABEL)
DNS1123_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?")
_UUID = re.compile(r"(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


@dataclass(frozen=True)
class Issue:
    """One problem found by a check, before it is tied to an object."""

    path: str
    message: str
    rule: str | None = None
    blocking: bool = False  # a type error: the apiserver then skips CEL rules


ANNOTATIONS_MAX_BYTES = 256 * 1024
OBJECT_META_FIELDS = frozenset(
    "name generateName namespace selfLink uid resourceVersion generation creationTimestamp "
    "deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers "
    "managedFields".split()
)


def dns1123_label(v: str) -> list[str]:
    """Problems with ``v`` as an RFC 1123 label (namespace names, port names)."""
    errs = [] if len(v) <= 63 else ["must be no more than 63 characters"]
    if not DNS1123_LABEL.fullmatch(v):
        errs.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1123_subdomain(v: str) -> list[str]:
    """Problems with ``v`` as an RFC 1123 subdomain (object names)."""
    errs = [] if len(v) <= 253 else ["must be no more than 253 characters"]
    if not DNS1123_SUBDOMAIN.fullmatch(v):
        errs.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def dns1035_label(v: str) -> list[str]:
    """Problems with ``v`` as an RFC 1035 label (starts with a letter)."""
    errs = [] if len(v) <= 63 else ["must be no more than 63 characters"]
    if not DNS1035_LABEL.fullmatch(v):
        errs.append("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                    "start with an alphabetic character, and end with an alphanumeric character")
    return errs


def qualified_name(v: str) -> list[str]:
    """Problems with ``v`` as a label or annotation key: ``[prefix/]name``."""
    prefix, _, name = v.rpartition("/") if "/" in v else ("", "", v)
    errs: list[str] = []
    if "/" in v and (v.count("/") > 1 or not prefix):
        return ["a qualified name must be of the form [DNS subdomain prefix/]name"]
    if prefix:
        errs += [f"prefix part {e}" for e in dns1123_subdomain(prefix)]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_PART.fullmatch(name):
        errs.append("name part must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
    return errs


def label_value(v: str) -> list[str]:
    """Problems with ``v`` as a label value (may be empty)."""
    errs = [] if len(v) <= 63 else ["must be no more than 63 characters"]
    if v and not _QUALIFIED_PART.fullmatch(v):
        errs.append("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                    "or '.', and must start and end with an alphanumeric character")
    return errs


def parse_datetime(v: str) -> datetime | None:
    """RFC 3339 date-time in the forms the apiserver's strfmt accepts, or None."""
    if not _DATETIME.fullmatch(v):
        return None
    text = v.replace("t", "T").replace(" ", "T").replace("z", "Z").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _go_ip(v: str) -> bool:
    """Go's net.ParseIP: IPv4 without leading zeros, or IPv6 without a zone."""
    try:
        return "%" not in v and bool(ipaddress.ip_address(v))
    except ValueError:
        return False


def _go_cidr(v: str) -> bool:
    addr, _, bits = v.partition("/")
    try:
        return _go_ip(addr) and bits.isdigit() and bool(ipaddress.ip_network(f"{addr}/{bits}", strict=False))
    except ValueError:
        return False


def _base64(v: str) -> bool:
    try:
        return base64.b64decode(v, validate=True) is not None
    except (binascii.Error, ValueError):
        return False


_FORMATS: dict[str, Callable[[str], bool]] = {
    "ipv4": lambda v: _go_ip(v) and "." in v,
    "ipv6": lambda v: _go_ip(v) and ":" in v,
    "cidr": _go_cidr,
    "date-time": lambda v: parse_datetime(v) is not None,
    "datetime": lambda v: parse_datetime(v) is not None,
    "uuid": lambda v: bool(_UUID.fullmatch(v)),
    "byte": _base64,
}


def go_regex(pattern: str) -> re.Pattern:
    """Compile an RE2 pattern with Go semantics: ``$`` is end of text, classes are ASCII."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append("\\Z" if nxt == "z" else pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            lead = 3 if pattern[i + 1 : i + 3] == "^]" else 2 if pattern[i + 1 : i + 2] == "]" else 1
            out.append(pattern[i : i + lead])  # a "]" right after "[" or "[^" is literal
            i += lead
            continue
        elif ch == "$":
            ch = "\\Z"
        out.append(ch)
        i += 1
    return re.compile("".join(out), re.ASCII)


def check_format(fmt: str, v: str) -> bool:
    """String formats the apiserver checks; formats it does not check (int32, ...) pass."""
    test = _FORMATS.get(fmt)
    return test is None or test(v)


def _string_map(value: Any, path: str, what: str, issues: list[Issue]) -> dict[str, str]:
    if not isinstance(value, dict):
        issues.append(Issue(path, f"Invalid value: must be a map of string to string ({what})", blocking=True))
        return {}
    good = {}
    for k, v in value.items():
        if not isinstance(v, str):
            issues.append(Issue(f"{path}[{k}]", "Invalid value: must be a string", blocking=True))
        else:
            good[k] = v
    return good


def check_metadata(meta: Any, namespaced: bool) -> list[Issue]:
    """ObjectMeta checks the API server applies to a custom resource on create."""
    if not isinstance(meta, dict):
        return [Issue("metadata", "Required value: metadata must be an object with a name")]
    issues: list[Issue] = []
    for key in meta:
        if key not in OBJECT_META_FIELDS:
            issues.append(Issue(f"metadata.{key}", f'unknown field "{key}"'))
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        issues.append(Issue("metadata.name", "Required value: name or generateName is required"))
    for key, value, check in (("name", name, dns1123_subdomain), ("generateName", generate, dns1123_subdomain)):
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            issues.append(Issue(f"metadata.{key}", "Invalid value: must be a string", blocking=True))
            continue
        probe = value[:-1] + "a" if key == "generateName" and value.endswith("-") else value
        issues += [Issue(f"metadata.{key}", f"Invalid value: {value!r}: {e}") for e in check(probe)]
    namespace = meta.get("namespace")
    if namespaced and namespace not in (None, ""):
        if not isinstance(namespace, str):
            issues.append(Issue("metadata.namespace", "Invalid value: must be a string", blocking=True))
        else:
            issues += [Issue("metadata.namespace", f"Invalid value: {namespace!r}: {e}")
                       for e in dns1123_label(namespace)]
    if meta.get("resourceVersion"):
        issues.append(Issue("metadata.resourceVersion",
                            "Invalid value: resourceVersion should not be set on objects to be created"))
    if "labels" in meta and meta["labels"] is not None:
        for k, v in _string_map(meta["labels"], "metadata.labels", "labels", issues).items():
            issues += [Issue("metadata.labels", f"Invalid value: {k!r}: {e}") for e in qualified_name(k)]
            issues += [Issue(f"metadata.labels[{k}]", f"Invalid value: {v!r}: {e}") for e in label_value(v)]
    if "annotations" in meta and meta["annotations"] is not None:
        notes = _string_map(meta["annotations"], "metadata.annotations", "annotations", issues)
        for k in notes:
            issues += [Issue("metadata.annotations", f"Invalid value: {k!r}: {e}") for e in qualified_name(k.lower())]
        size = sum(len(k.encode()) + len(v.encode()) for k, v in notes.items())
        if size > ANNOTATIONS_MAX_BYTES:
            issues.append(Issue("metadata.annotations", f"Too long: must have at most {ANNOTATIONS_MAX_BYTES} bytes"))
    return issues


def unknown_type(api_version: Any, kind: Any, channel: str) -> Issue:
    """The one issue reported for an object whose apiVersion/kind no installed CRD serves."""
    return Issue("", f"unknown apiVersion/kind {api_version!s}/{kind!s}: no served version of the "
                     f"{channel} Gateway API CRDs defines it")
