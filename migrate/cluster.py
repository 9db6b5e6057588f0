"""Read input from a live cluster: ``convert --from-cluster`` and ``validate --cluster``.

Uses the official ``kubernetes`` client and the kubeconfig (``--kubeconfig``, else
``$KUBECONFIG``, else ``~/.kube/config``; ``--context``, else its current-context).

What ``convert --from-cluster`` lists, with the context's credentials:

* ``networking.k8s.io/v1`` IngressClasses (cluster-scoped: always all of them);
* ``networking.k8s.io/v1`` Ingresses, ``v1`` Services (named ports) and ``v1``
  ConfigMaps (annotations such as ``custom-headers`` name one) in the namespace of
  ``-n``, else the context's namespace, else ``default``; in every namespace with ``-A``;
* the vendor kinds each installed plugin lists in its optional ``cluster_kinds``
  (see migrate/plugin.py), in the same namespaces. A kind the API server does not serve
  (its CRD is not installed: 404) is skipped with a line in the report's skipped list
  (``skipped: cluster:<context>/<plural>.<group>/<version>: ...``), never an error.

Secrets are never read, not even listed: no request path this module builds names
them, and a plugin's ``cluster_kinds`` entry for a core-group kind or for a plural
``secrets`` is refused (a skipped line says so).

Each object read becomes a :class:`migrate.load.Document` exactly as a file's would:
it is written as YAML the way ``kubectl get -o yaml`` prints it (keys sorted,
``metadata.managedFields`` dropped) and loaded by :func:`migrate.load.load_bytes` under
the pseudo-file name ``cluster:<context>/<namespace>/<Kind>/<name>`` (cluster-scoped:
``cluster:<context>/<Kind>/<name>``). Findings therefore read, for example,
``cluster:prod/shop/Ingress/web:14  Ingress/shop/web``: line 14 of that YAML, which
``kubectl get ingress web -n shop -o yaml`` shows at (about) the same line. The
report's summary counts these objects as documents, not files. Objects are read in a
fixed order (the kinds above, then plugin kinds; each sorted by namespace and name),
so the output does not depend on the order the API server returns them in.

Connection, TLS and authentication failures, a missing kubeconfig or context, and a
list the credentials may not read raise :class:`ClusterError`, whose message is one
line; the command line prints it as ``error: ...`` and exits 2.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable, NoReturn, Sequence

import yaml

from migrate.load import Limits, LoadResult, Skipped, load_bytes

__all__ = ["ClusterError", "ClusterSource", "GATEWAY_API_GROUPS", "Kind"]

GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")
#: objects per list request; larger lists are read a page at a time
PAGE_SIZE = 500
#: bound on pages per list (5 million objects): a server that never stops paging is an error
MAX_PAGES = 10_000
#: (connect, read) seconds per request
TIMEOUT = (10, 60)
DEFAULT_KUBECONFIG = "~/.kube/config"


class ClusterError(Exception):
    """The cluster could not be read; ``str()`` is one line for the user (exit 2)."""


@dataclass(frozen=True)
class Kind:
    """A resource to list: ``group`` "" is the core group."""

    group: str
    version: str
    plural: str
    namespaced: bool
    kind: str = ""  # from the list response when empty

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}/{self.version}" if self.group else f"{self.plural}/{self.version}"


#: what every conversion reads, in this order
CORE_KINDS = (
    Kind("networking.k8s.io", "v1", "ingressclasses", False, "IngressClass"),
    Kind("networking.k8s.io", "v1", "ingresses", True, "Ingress"),
    Kind("", "v1", "services", True, "Service"),
    Kind("", "v1", "configmaps", True, "ConfigMap"),
)
CRD_KIND = Kind("apiextensions.k8s.io", "v1", "customresourcedefinitions", False, "CustomResourceDefinition")


@dataclass(frozen=True)
class ClusterSource:
    """Which cluster and namespaces to read (``Options.cluster``)."""

    #: kubeconfig path(s), ``:``-separated as in KUBECONFIG; None: $KUBECONFIG or ~/.kube/config
    kubeconfig: str | None = None
    #: None: the kubeconfig's current-context
    context: str | None = None
    #: None: the context's namespace, else "default" (as kubectl)
    namespace: str | None = None
    all_namespaces: bool = False

    def load_into(self, result: LoadResult, plugins: Sequence[Any] = (), limits: Limits = Limits()) -> None:
        """Append the cluster's objects to ``result`` as Documents (see the module docstring).

        Raises ClusterError when the cluster cannot be read; a vendor kind that is not
        served goes to ``result.skipped``.
        """
        kinds, refused = plugin_kinds(plugins)
        with _connect(self) as session:
            result.skipped.extend(Skipped(f"cluster:{session.context}", reason) for reason in refused)
            namespace = None if self.all_namespaces else session.namespace
            for kind in CORE_KINDS + tuple(kinds):
                core = kind in CORE_KINDS
                items = session.list(kind, namespace if kind.namespaced else None, required=core)
                if items is None:
                    result.skipped.append(Skipped(
                        f"cluster:{session.context}/{kind.resource}",
                        "the API server does not serve this kind (its CRD is not installed); not read"))
                    continue
                for obj in items:
                    _load_object(result, obj, session.context, limits)

    def gateway_crds(self, groups: Iterable[str] = GATEWAY_API_GROUPS) -> tuple[str, list[dict]]:
        """(context name, the cluster's CustomResourceDefinitions of ``groups``)."""
        wanted = set(groups)
        with _connect(self) as session:
            crds = session.list(CRD_KIND, None, required=True) or []
            return session.context, [c for c in crds if isinstance(c.get("spec"), dict) and c["spec"].get("group") in wanted]


def plugin_kinds(plugins: Sequence[Any]) -> tuple[list[Kind], list[str]]:
    """The vendor kinds plugins ask for (deduplicated, sorted), and why any entry was refused."""
    kinds: set[Kind] = set()
    refused: list[str] = []
    for plugin in plugins:
        name = getattr(plugin, "name", "?")
        try:
            entries = list(getattr(plugin, "cluster_kinds", ()) or ())
        except Exception as exc:  # a plugin's bug must not take the run down
            refused.append(f"plugin {name}: cluster_kinds could not be read ({type(exc).__name__}: {exc}); ignored")
            continue
        for entry in entries:
            ok = (isinstance(entry, (tuple, list)) and len(entry) == 4 and all(isinstance(p, str) for p in entry[:3])
                  and isinstance(entry[3], bool) and all(entry[1:3]))
            if not ok:
                refused.append(f"plugin {name}: cluster_kinds entry {entry!r} is not (group, version, plural, "
                               f"namespaced); ignored")
                continue
            group, version, plural, namespaced = entry
            if not group or plural == "secrets":
                refused.append(f"plugin {name} asks for {plural}.{group or 'core'}/{version}: gateway-migrate reads only "
                               f"vendor kinds, and never Secrets; not read")
                continue
            kinds.add(Kind(group, version, plural, namespaced))
    return sorted(kinds, key=lambda k: (k.group, k.plural, k.version, k.namespaced)), refused


# ---------------------------------------------------------------- objects to Documents


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # multi-line text as a block (as kubectl prints it); anything template-like quoted,
    # so the loader's Helm detection never mistakes a stored value for template syntax
    style = "|" if "\n" in value else '"' if "{{" in value or "{%" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def object_yaml(obj: dict) -> str:
    """``obj`` as ``kubectl get -o yaml`` prints it: keys sorted, managedFields dropped."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True,
                     width=1 << 30)


def pseudo_file(context: str, obj: dict) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    namespace = meta.get("namespace")
    where = f"{namespace}/" if namespace else ""
    return f"cluster:{context}/{where}{obj.get('kind')}/{meta.get('name')}"


def _load_object(result: LoadResult, obj: dict, context: str, limits: Limits) -> None:
    loaded = load_bytes(object_yaml(obj).encode("utf-8"), pseudo_file(context, obj), limits=limits)
    result.documents.extend(loaded.documents)
    result.errors.extend(loaded.errors)
    result.skipped.extend(loaded.skipped)


# ---------------------------------------------------------------- the client


class _Session:
    """One API client for one context."""

    def __init__(self, api_client: Any, context: str, namespace: str) -> None:
        self.api = api_client
        self.context = context
        self.namespace = namespace
        self.host = api_client.configuration.host

    def __enter__(self) -> "_Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.api.close()
        except Exception:  # closing must not hide the real outcome
            pass

    def list(self, kind: Kind, namespace: str | None, *, required: bool) -> list[dict] | None:
        """Every object of ``kind`` (in ``namespace``, or all), with apiVersion and kind set,
        sorted by namespace and name; None when the kind is not served and not ``required``."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        where = f" in namespace {namespace}" if namespace else (" in all namespaces" if kind.namespaced else "")
        call = self._lister(kind, namespace)
        items: list[dict] = []
        token = None
        for _ in range(MAX_PAGES):
            try:
                response = call(limit=PAGE_SIZE, _continue=token, _preload_content=False, _request_timeout=TIMEOUT)
                body = json.loads(response.data)
            except ApiException as exc:
                if exc.status == 404 and not required:
                    return None
                raise ClusterError(self._refused(exc, kind, where)) from None
            except HTTPError as exc:
                raise ClusterError(f"cannot reach the API server at {self.host} (context {self.context}): "
                                   f"{_connection_reason(exc)}") from None
            except (OSError, ValueError) as exc:
                raise ClusterError(f"listing {kind.resource}{where} (context {self.context}) failed: "
                                   f"{_one_line(exc)}") from None
            if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
                raise ClusterError(f"listing {kind.resource}{where} (context {self.context}): "
                                   f"the API server's answer is not a list")
            list_kind = str(body.get("kind") or "")
            object_kind = kind.kind or (list_kind[: -len("List")] if list_kind.endswith("List") else list_kind)
            for item in body.get("items") or []:
                if isinstance(item, dict):
                    items.append({"apiVersion": kind.api_version, "kind": object_kind, **item})
            token = (body.get("metadata") or {}).get("continue") if isinstance(body.get("metadata"), dict) else None
            if not token:
                break
        else:
            raise ClusterError(f"listing {kind.resource}{where} (context {self.context}): more than {MAX_PAGES} pages")
        return sorted(items, key=_sort_key)

    def _lister(self, kind: Kind, namespace: str | None):
        """The official client's list call for ``kind``; typed APIs for the built-in kinds."""
        from kubernetes import client

        core, net = client.CoreV1Api(self.api), client.NetworkingV1Api(self.api)
        typed = {
            ("networking.k8s.io", "v1", "ingressclasses"): (net.list_ingress_class, None),
            ("networking.k8s.io", "v1", "ingresses"): (net.list_ingress_for_all_namespaces, net.list_namespaced_ingress),
            ("", "v1", "services"): (core.list_service_for_all_namespaces, core.list_namespaced_service),
            ("", "v1", "configmaps"): (core.list_config_map_for_all_namespaces, core.list_namespaced_config_map),
            ("apiextensions.k8s.io", "v1", "customresourcedefinitions"):
                (client.ApiextensionsV1Api(self.api).list_custom_resource_definition, None),
        }
        key = (kind.group, kind.version, kind.plural)
        if key in typed:
            every, one = typed[key]
            return (lambda **kw: one(namespace, **kw)) if namespace and one else every
        if not kind.group or kind.plural == "secrets":  # plugin_kinds refuses these; never reached
            raise ClusterError(f"refusing to list {kind.resource}: gateway-migrate never reads Secrets or other core kinds")
        custom = client.CustomObjectsApi(self.api)
        if namespace:
            return lambda **kw: custom.list_namespaced_custom_object(kind.group, kind.version, namespace, kind.plural, **kw)
        return lambda **kw: custom.list_cluster_custom_object(kind.group, kind.version, kind.plural, **kw)

    def _refused(self, exc: Any, kind: Kind, where: str) -> str:
        status = f"{exc.status} {exc.reason}".strip()
        detail = _status_message(exc.body)
        detail = f": {detail}" if detail else ""
        if exc.status == 401:
            return (f"the API server at {self.host} rejected the credentials of context {self.context} "
                    f"({status}){detail}")
        if exc.status == 403:
            return f"not allowed to list {kind.resource}{where} (context {self.context}): {status}{detail}"
        if exc.status == 404:
            return f"the API server at {self.host} (context {self.context}) does not serve {kind.resource} ({status})"
        return f"listing {kind.resource}{where} (context {self.context}) failed: {status}{detail}"


def _sort_key(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _connect(source: ClusterSource) -> _Session:
    path = source.kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    context, namespace = _choose_context(path, source)
    try:
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(config_file=path, context=context, client_configuration=configuration,
                                persist_config=False)
        configuration.retries = 1  # an unreachable server fails in seconds, not minutes
        api_client = client.ApiClient(configuration)
    except Exception as exc:  # kubeconfig problems come in many types; none may be a traceback
        raise ClusterError(f"cannot use context {context} of kubeconfig {path}: {_one_line(exc)}") from None
    return _Session(api_client, context, source.namespace or namespace or "default")


def _choose_context(path: str, source: ClusterSource) -> tuple[str, str | None]:
    """(context name, its namespace) from the kubeconfig file(s), with a clear error."""
    files = [os.path.expanduser(p) for p in path.split(os.pathsep) if p]
    present = [f for f in files if os.path.exists(f)]
    if not present:
        hint = "" if source.kubeconfig else " (pass --kubeconfig, or set KUBECONFIG)"
        return _fail(f"kubeconfig {path} does not exist{hint}")
    contexts: dict[str, dict] = {}
    current = None
    for file in present:
        try:
            with open(file, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read kubeconfig {file}: {_one_line(exc)}")
        if not isinstance(data, dict):
            return _fail(f"kubeconfig {file} is not a kubeconfig (not a mapping)")
        for entry in data.get("contexts") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                contexts.setdefault(entry["name"], entry.get("context") if isinstance(entry.get("context"), dict) else {})
        if current is None and data.get("current-context"):
            current = str(data["current-context"])
    known = ", ".join(sorted(contexts)) or "none"
    name = source.context or current
    if not name:
        return _fail(f"kubeconfig {path} sets no current-context; pass --context (contexts: {known})")
    if name not in contexts:
        return _fail(f"context {name!r} is not in kubeconfig {path} (contexts: {known})")
    namespace = contexts[name].get("namespace")
    return name, str(namespace) if namespace else None


def _fail(message: str) -> NoReturn:
    raise ClusterError(message)


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _connection_reason(exc: BaseException) -> str:
    """What went wrong under urllib3's wrapping, e.g. "connection refused"."""
    reason = getattr(exc, "reason", None) or exc
    text = _one_line(reason)
    errno_text = re.search(r"\[Errno -?\d+\] (.*?)['\")]*$", text)
    if errno_text:
        return errno_text.group(1).rstrip("'\")").lower()
    return re.sub(r"^<[^>]*>:\s*|^\w+\(host=[^)]*\):\s*", "", text)


def _status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes Status body, if the body is one."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return _one_line(body)[:200]
    return _one_line(data.get("message", ""))[:300] if isinstance(data, dict) else ""


def cluster_validator(source: ClusterSource) -> tuple[Any, str]:
    """(a Validator built from the Gateway API CRDs installed in the cluster, one line saying
    which); ClusterError when none is installed."""
    from migrate.validate import Validator

    context, crds = source.gateway_crds()
    if not crds:
        raise ClusterError(f"no Gateway API CRDs ({', '.join(GATEWAY_API_GROUPS)}) are installed in the cluster "
                           f"of context {context}")
    validator = Validator.from_crd_objects(crds)
    bundles = sorted({str(((c.get("metadata") or {}).get("annotations") or {})
                          .get("gateway.networking.k8s.io/bundle-version", "unknown")) for c in crds})
    return validator, (f"validating against the {len(crds)} Gateway API CRD(s) installed in the cluster of context "
                       f"{context} (bundle {', '.join(bundles)}, channel {validator.channel})")
