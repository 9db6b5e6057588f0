"""Read an Ingress of any served API version into one shape, or say why it is invalid.

networking.k8s.io/v1 names things differently from the removed v1beta1 and
extensions/v1beta1 (serviceName/servicePort, spec.backend). Everything after this
module sees only :class:`IngressView`, and every piece keeps the JSON path it was
read from so findings and comments can point back at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

Path_ = tuple[Any, ...]

LEGACY_VERSIONS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
#: the API server rejects these in Exact and Prefix paths (apis/networking validation)
K8S_BAD_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_HOST = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


class InvalidIngress(ValueError):
    """The API server would have rejected this Ingress; nothing can be converted."""


@dataclass
class BackendSpec:
    path: Path_
    service: str | None = None
    port_number: int | None = None
    port_name: str | None = None
    resource: dict | None = None


@dataclass
class PathSpec:
    path: Path_
    value: str
    type: str
    backend: BackendSpec


@dataclass
class RuleSpec:
    path: Path_
    host: str | None
    paths: list[PathSpec] = field(default_factory=list)
    has_http: bool = False


@dataclass
class TLSSpec:
    path: Path_
    hosts: list[str]
    secret: str | None


@dataclass
class IngressView:
    legacy: bool
    class_name: str | None
    class_path: Path_ | None
    default_backend: BackendSpec | None
    rules: list[RuleSpec]
    tls: list[TLSSpec]


def _expect(value: Any, typ: type, where: str) -> Any:
    if not isinstance(value, typ):
        raise InvalidIngress(f"{where} must be {'a list' if typ is list else 'a mapping' if typ is dict else 'a string'}")
    return value


def _backend(raw: Any, path: Path_, legacy: bool) -> BackendSpec:
    where = _render(path)
    _expect(raw, dict, where)
    spec = BackendSpec(path)
    if raw.get("resource") is not None:
        res = _expect(raw["resource"], dict, f"{where}.resource")
        if not res.get("kind") or not res.get("name"):
            raise InvalidIngress(f"{where}.resource needs kind and name")
        spec.resource = dict(res)
        return spec
    if legacy:
        name, port = raw.get("serviceName"), raw.get("servicePort")
    else:
        svc = raw.get("service")
        if svc is None:
            raise InvalidIngress(f"{where} needs service or resource")
        _expect(svc, dict, f"{where}.service")
        name = svc.get("name")
        port_obj = svc.get("port")
        if not isinstance(port_obj, dict):
            raise InvalidIngress(f"{where}.service.port is required (number or name)")
        port = port_obj.get("number", port_obj.get("name"))
    if not name or not isinstance(name, str):
        raise InvalidIngress(f"{where} needs a service name")
    spec.service = name
    if isinstance(port, bool) or port is None or port == "":
        raise InvalidIngress(f"{where} needs a service port")
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        number = int(port)
        if not 1 <= number <= 65535:
            raise InvalidIngress(f"{where}: port {number} is out of range 1-65535")
        spec.port_number = number
    elif isinstance(port, str):
        spec.port_name = port
    else:
        raise InvalidIngress(f"{where}: port must be a number or a name")
    return spec


def _render(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _host(value: Any, where: str) -> str:
    host = _expect(value, str, where)
    if _IPV4.fullmatch(host) or not _HOST.fullmatch(host):
        raise InvalidIngress(f"{where}: '{host}' is not a valid host (DNS name, '*.' allowed only as the first label)")
    return host


def parse_ingress(data: dict) -> IngressView:
    """Normalise ``data``; raise InvalidIngress with a field-named reason if it is not a valid Ingress."""
    legacy = data.get("apiVersion") in LEGACY_VERSIONS
    spec = data.get("spec")
    if spec is None:
        raise InvalidIngress("spec is required")
    _expect(spec, dict, "spec")
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise InvalidIngress("metadata.name is required")

    class_name, class_path = None, None
    if spec.get("ingressClassName"):
        class_name, class_path = str(spec["ingressClassName"]), ("spec", "ingressClassName")
    else:
        ann = meta.get("annotations") or {}
        if isinstance(ann, dict) and ann.get("kubernetes.io/ingress.class"):
            class_name = str(ann["kubernetes.io/ingress.class"])
            class_path = ("metadata", "annotations", "kubernetes.io/ingress.class")

    key = "backend" if legacy else "defaultBackend"
    default = _backend(spec[key], ("spec", key), legacy) if spec.get(key) is not None else None

    rules: list[RuleSpec] = []
    for i, raw in enumerate(_expect(spec.get("rules") or [], list, "spec.rules")):
        where = f"spec.rules[{i}]"
        _expect(raw, dict, where)
        host = _host(raw["host"], f"{where}.host") if raw.get("host") else None
        rule = RuleSpec(("spec", "rules", i), host)
        http = raw.get("http")
        if http is not None:
            rule.has_http = True
            _expect(http, dict, f"{where}.http")
            paths = _expect(http.get("paths"), list, f"{where}.http.paths")
            if not paths:
                raise InvalidIngress(f"{where}.http.paths must not be empty")
            for j, p in enumerate(paths):
                ppath = ("spec", "rules", i, "http", "paths", j)
                rule.paths.append(_path(p, ppath, legacy))
        rules.append(rule)
    if not rules and default is None:
        raise InvalidIngress("either spec.rules or spec." + key + " must be specified")

    tls: list[TLSSpec] = []
    for i, raw in enumerate(_expect(spec.get("tls") or [], list, "spec.tls")):
        where = f"spec.tls[{i}]"
        _expect(raw, dict, where)
        hosts = [_host(h, f"{where}.hosts[{k}]") for k, h in enumerate(_expect(raw.get("hosts") or [], list, f"{where}.hosts"))]
        secret = raw.get("secretName")
        tls.append(TLSSpec(("spec", "tls", i), hosts, str(secret) if secret else None))
    return IngressView(legacy, class_name, class_path, default, rules, tls)


def _path(raw: Any, path: Path_, legacy: bool) -> PathSpec:
    where = _render(path)
    _expect(raw, dict, where)
    ptype = raw.get("pathType")
    if ptype is None:
        if not legacy:
            raise InvalidIngress(f"{where}.pathType is required in networking.k8s.io/v1")
        ptype = "ImplementationSpecific"
    if ptype not in PATH_TYPES:
        raise InvalidIngress(f"{where}.pathType '{ptype}' is not one of {', '.join(PATH_TYPES)}")
    value = raw.get("path")
    if value is None or value == "":
        if ptype != "ImplementationSpecific":
            raise InvalidIngress(f"{where}.path is required for pathType {ptype}")
        value = "/"
    value = _expect(value, str, f"{where}.path")
    if not value.startswith("/"):
        raise InvalidIngress(f"{where}.path '{value}' must be an absolute path")
    if ptype != "ImplementationSpecific":
        bad = [seq for seq in K8S_BAD_SEQUENCES if seq in value] + [s for s in ("/..", "/.") if value.endswith(s)]
        if bad:
            raise InvalidIngress(f"{where}.path '{value}' must not contain '{bad[0]}' for pathType {ptype}")
    if "backend" not in raw:
        raise InvalidIngress(f"{where}.backend is required")
    return PathSpec(path, value, ptype, _backend(raw["backend"], path + ("backend",), legacy))
