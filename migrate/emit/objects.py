"""IR pieces -> Gateway API dicts, field by field, in the order kubectl would print them.

Pure functions of the IR: no names are chosen and no routing decided here.
"""

from __future__ import annotations

from typing import Any

from migrate.ir import (
    Backend, BackendTLS, Cors, ExtensionRef, Filter, GatewayParent, HeaderChange, Match, Mirror, Redirect, RequestHeaders,
    ResponseHeaders, Rewrite, Rule, ServiceParent,
)

GROUP = "gateway.networking.k8s.io"
V1 = f"{GROUP}/v1"


def meta(name: str, namespace: str, labels: dict[str, str] | None = None) -> dict:
    out: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        out["labels"] = {str(k): str(v) for k, v in labels.items()}
    return out


def parent_ref(parent: GatewayParent | ServiceParent) -> dict:
    if isinstance(parent, ServiceParent):
        out: dict[str, Any] = {"group": "", "kind": "Service", "name": parent.name}
        if parent.namespace:
            out["namespace"] = parent.namespace
        if parent.port is not None:
            out["port"] = parent.port
        return out
    out = {"name": parent.name, "namespace": parent.namespace}
    if parent.section:
        out["sectionName"] = parent.section
    return out


def backend_ref(backend: Backend, route_namespace: str) -> dict:
    out: dict[str, Any] = {}
    if backend.group or backend.kind != "Service":
        out["group"] = backend.group
        out["kind"] = backend.kind
    out["name"] = backend.name
    if backend.namespace and backend.namespace != route_namespace:
        out["namespace"] = backend.namespace
    if backend.port is not None:
        out["port"] = backend.port
    if backend.weight is not None:
        out["weight"] = backend.weight
    if backend.filters:
        out["filters"] = [filter_(f, route_namespace) for f in backend.filters]
    return out


def grpc_match(m: Match) -> dict:
    out: dict[str, Any] = {}
    if m.grpc is not None:
        method: dict[str, Any] = {"type": m.grpc.type}
        if m.grpc.service:
            method["service"] = m.grpc.service
        if m.grpc.method:
            method["method"] = m.grpc.method
        out["method"] = method
    if m.headers:
        out["headers"] = [{"type": h.type, "name": h.name, "value": h.value} for h in m.headers]
    return out


def match(m: Match) -> dict:
    out: dict[str, Any] = {}
    if m.path is not None:
        out["path"] = {"type": m.path.type, "value": m.path.value}
    if m.headers:
        out["headers"] = [{"type": h.type, "name": h.name, "value": h.value} for h in m.headers]
    if m.query:
        out["queryParams"] = [{"type": q.type, "name": q.name, "value": q.value} for q in m.query]
    if m.method:
        out["method"] = m.method
    return out


def _headers(change: HeaderChange) -> dict:
    out: dict[str, Any] = {}
    if change.set:
        out["set"] = [{"name": k, "value": v} for k, v in change.set]
    if change.add:
        out["add"] = [{"name": k, "value": v} for k, v in change.add]
    if change.remove:
        out["remove"] = list(change.remove)
    return out


def _path_modifier(path: tuple[str, str]) -> dict:
    kind, value = path
    key = "replaceFullPath" if kind == "ReplaceFullPath" else "replacePrefixMatch"
    return {"type": kind, key: value}


def filter_(f: Filter, route_namespace: str) -> dict:
    if isinstance(f, RequestHeaders):
        return {"type": "RequestHeaderModifier", "requestHeaderModifier": _headers(f.change)}
    if isinstance(f, ResponseHeaders):
        return {"type": "ResponseHeaderModifier", "responseHeaderModifier": _headers(f.change)}
    if isinstance(f, Redirect):
        body: dict[str, Any] = {}
        for key, value in (("scheme", f.scheme), ("hostname", f.hostname), ("port", f.port)):
            if value is not None:
                body[key] = value
        if f.path is not None:
            body["path"] = _path_modifier(f.path)
        body["statusCode"] = f.status
        return {"type": "RequestRedirect", "requestRedirect": body}
    if isinstance(f, Rewrite):
        body = {}
        if f.hostname is not None:
            body["hostname"] = f.hostname
        if f.path is not None:
            body["path"] = _path_modifier(f.path)
        return {"type": "URLRewrite", "urlRewrite": body}
    if isinstance(f, Mirror):
        body = {"backendRef": backend_ref(f.backend, route_namespace)}
        if f.percent is not None:
            body["percent"] = f.percent
        return {"type": "RequestMirror", "requestMirror": body}
    if isinstance(f, Cors):
        body = {}
        for key, value in (("allowOrigins", f.allow_origins), ("allowMethods", f.allow_methods),
                           ("allowHeaders", f.allow_headers), ("exposeHeaders", f.expose_headers)):
            if value:
                body[key] = list(value)
        if f.allow_credentials is not None:
            body["allowCredentials"] = f.allow_credentials
        if f.max_age is not None:
            body["maxAge"] = f.max_age
        return {"type": "CORS", "cors": body}
    if isinstance(f, ExtensionRef):
        return {"type": "ExtensionRef", "extensionRef": {"group": f.group, "kind": f.kind, "name": f.name}}
    raise TypeError(f"unknown filter {f!r}")


def tls_rule(rule: Rule, route_namespace: str) -> dict:
    return {"backendRefs": [backend_ref(b, route_namespace) for b in rule.backends]}


def http_rule(rule: Rule, route_namespace: str, *, grpc: bool = False) -> dict:
    """An HTTPRoute rule, or with ``grpc`` a GRPCRoute rule (method matches, no timeouts)."""
    out: dict[str, Any] = {}
    if rule.name:
        out["name"] = rule.name
    if rule.matches:
        out["matches"] = [grpc_match(m) if grpc else match(m) for m in rule.matches]
    if rule.filters:
        out["filters"] = [filter_(f, route_namespace) for f in rule.filters]
    if rule.backends:
        out["backendRefs"] = [backend_ref(b, route_namespace) for b in rule.backends]
    if not grpc and rule.timeouts and (rule.timeouts.request or rule.timeouts.backend_request):
        out["timeouts"] = {k: v for k, v in (("request", rule.timeouts.request),
                                             ("backendRequest", rule.timeouts.backend_request)) if v}
    return out


def backend_tls_spec(policy: BackendTLS) -> dict:
    target: dict[str, Any] = {"group": "", "kind": "Service", "name": policy.service}
    if policy.port_name:
        target["sectionName"] = policy.port_name
    validation: dict[str, Any] = {}
    if policy.ca_config_maps:
        validation["caCertificateRefs"] = [{"group": "", "kind": "ConfigMap", "name": n} for n in policy.ca_config_maps]
    else:
        validation["wellKnownCACertificates"] = "System"
    validation["hostname"] = policy.hostname
    return {"targetRefs": [target], "validation": validation}
