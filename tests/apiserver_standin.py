"""A loopback stand-in for the Kubernetes API server's list endpoints.

No real API server can run in the test environment, so this small threaded HTTP
server (http.server, on 127.0.0.1, a free port the OS picks; chosen over kmock,
which would add a dependency for no gain here) answers what the official
``kubernetes`` client sends for ``convert --from-cluster`` and ``validate --cluster``:

* ``GET /api/v1[/namespaces/{ns}]/{plural}`` and
  ``GET /apis/{group}/{version}[/namespaces/{ns}]/{plural}``: a ``{Kind}List`` with
  the objects of that kind from an in-memory store, with ``limit``/``continue``
  paging. As the real server does, items of built-in kinds come without
  ``apiVersion``/``kind``; custom resources keep theirs.
* Built-in kinds: Services, ConfigMaps, Secrets (served, so that a test can prove
  they are never asked for), Namespaces, Ingresses, IngressClasses, and
  CustomResourceDefinitions. A custom kind is served exactly when a CRD for it is
  in the store (each served version); anything else is a 404 ``Status``, as for a
  CRD that is not installed.
* Optional bearer-token check (401) and per-resource 403s, for error paths.

Every request path (with its query) is recorded in ``requests``. The server is
bounded: loopback only, a 10 s socket timeout per connection, and at most
``max_requests`` answers before it replies 503 to everything (a client paging
forever fails instead of hanging the test). Use it through a fixture that calls
``start()`` and ``stop()``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs, urlsplit

import yaml

#: (group, version, plural) -> (kind, namespaced)
BUILTIN = {
    ("", "v1", "services"): ("Service", True),
    ("", "v1", "configmaps"): ("ConfigMap", True),
    ("", "v1", "secrets"): ("Secret", True),
    ("", "v1", "namespaces"): ("Namespace", False),
    ("networking.k8s.io", "v1", "ingresses"): ("Ingress", True),
    ("networking.k8s.io", "v1", "ingressclasses"): ("IngressClass", False),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions"): ("CustomResourceDefinition", False),
}


def api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


class ApiServerStandIn:
    def __init__(self, objects: Iterable[dict] = (), *, token: str | None = None, max_requests: int = 1000) -> None:
        self.objects: list[dict] = [dict(o) for o in objects]
        #: required ``Authorization: Bearer`` token; None: no authentication
        self.token = token
        #: plural -> HTTP status to answer instead (403 for RBAC tests)
        self.fail: dict[str, int] = {}
        self.max_requests = max_requests
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the store ---------------------------------------------------------------

    def add(self, *objects: dict) -> None:
        with self._lock:
            self.objects.extend(dict(o) for o in objects)

    def resources(self) -> dict[tuple[str, str, str], tuple[str, bool, bool]]:
        """(group, version, plural) -> (kind, namespaced, custom): built-ins and installed CRDs."""
        out = {key: (kind, namespaced, False) for key, (kind, namespaced) in BUILTIN.items()}
        for crd in self.objects:
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd.get("spec") or {}
            for version in spec.get("versions") or []:
                if version.get("served"):
                    out[(spec["group"], version["name"], spec["names"]["plural"])] = (
                        spec["names"]["kind"], spec.get("scope") == "Namespaced", True)
        return out

    # -- lifecycle ---------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ApiServerStandIn":
        standin = self

        class Handler(_Handler):
            server_standin = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="apiserver-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def kubeconfig(self, path: Path, *, context: str = "standin", namespace: str | None = None,
                   token: str | None = None, server: str | None = None) -> Path:
        """Write a kubeconfig whose current context points at this server (plain http)."""
        ctx: dict = {"cluster": "standin", "user": "standin"}
        if namespace:
            ctx["namespace"] = namespace
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "standin", "cluster": {"server": server or self.url}}],
            "users": [{"name": "standin", "user": {"token": token} if token else {}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    # -- answering ---------------------------------------------------------------

    def answer(self, raw_path: str, authorization: str | None) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(raw_path)
            if len(self.requests) > self.max_requests:
                return 503, _status(503, "ServiceUnavailable", "stand-in request limit reached")
            objects = list(self.objects)
        if self.token is not None and authorization != f"Bearer {self.token}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        url = urlsplit(raw_path)
        parts = [p for p in url.path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return 404, _not_found()
        namespace = None
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if len(rest) != 1:
            return 404, _not_found()
        plural = rest[0]
        found = self.resources().get((group, version, plural))
        if found is None:
            return 404, _not_found()
        kind, namespaced, custom = found
        if namespace is not None and not namespaced:
            return 404, _not_found()
        if plural in self.fail:
            code = self.fail[plural]
            return code, _status(code, "Forbidden" if code == 403 else "Error",
                                 f'{plural} is forbidden: User "standin" cannot list resource "{plural}"')
        gv = api_version(group, version)
        items = [o for o in objects if o.get("apiVersion") == gv and o.get("kind") == kind
                 and (namespace is None or (o.get("metadata") or {}).get("namespace") == namespace)]
        items.sort(key=lambda o: ((o["metadata"].get("namespace") or ""), o["metadata"]["name"]))
        if not custom:
            items = [{k: v for k, v in o.items() if k not in ("apiVersion", "kind")} for o in items]
        query = parse_qs(url.query)
        start = int(query.get("continue", ["0"])[0] or 0)
        limit = int(query.get("limit", ["0"])[0] or 0)
        end = start + limit if limit else len(items)
        meta: dict = {"resourceVersion": "1000"}
        if end < len(items):
            meta["continue"] = str(end)
        return 200, {"kind": f"{kind}List", "apiVersion": gv, "metadata": meta, "items": items[start:end]}


class _Handler(BaseHTTPRequestHandler):
    server_standin: ApiServerStandIn
    timeout = 10
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        code, body = self.server_standin.answer(self.path, self.headers.get("Authorization"))
        data = json.dumps(body).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _refuse(self) -> None:
        self.server_standin.requests.append(f"{self.command} {self.path}")
        data = json.dumps(_status(405, "MethodNotAllowed", "the stand-in only lists")).encode()
        self.send_response(405)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse

    def log_message(self, format: str, *args) -> None:  # quiet
        pass


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": {}, "code": code}


def _not_found() -> dict:
    return _status(404, "NotFound", "the server could not find the requested resource")
