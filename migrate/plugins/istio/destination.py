"""DestinationRule: what changes routing or the Gateway's connection to a backend.

Subsets have no Gateway API equivalent (backendRefs name Services): reported where a
VirtualService uses one. trafficPolicy.tls SIMPLE is TLS origination, a
BackendTLSPolicy; MUTUAL needs a client certificate Gateway API sets only
Gateway-wide. Load balancing, connection pools and outlier detection are explained.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from migrate.ir import BackendTLS, Origin
from migrate.plugin import SourceObject
from migrate.plugins.istio.parse import CLUSTER_SUFFIX, service_of

if TYPE_CHECKING:
    from migrate.plugins.istio.convert import Converter

Path_ = tuple[Any, ...]


def _service(conv: "Converter", obj: SourceObject) -> tuple[str, str] | None:
    host = obj.data["spec"].get("host")
    if not isinstance(host, str) or not host:
        conv.ctx.input_error(obj, ("spec", "host"), "host is required")
        return None
    obj.account(("spec", "host"))
    return service_of(host, obj.namespace)


def read_subsets(conv: "Converter", obj: SourceObject) -> None:
    svc = service_of(str(obj.data["spec"].get("host") or ""), obj.namespace)
    subsets = obj.data["spec"].get("subsets")
    if svc is None or not isinstance(subsets, list):
        return
    found = conv.subsets.setdefault(svc, {})
    for item in subsets:
        if isinstance(item, dict) and item.get("name"):
            found[str(item["name"])] = item.get("labels") if isinstance(item.get("labels"), dict) else {}


def report_subsets(conv: "Converter") -> None:
    for obj, path, svc, subset in conv.subset_reports:
        labels = conv.subsets.get(svc, {}).get(subset)
        shown = ", ".join(f"{k}={v}" for k, v in labels.items()) if labels else "labels unknown (no DestinationRule in the input)"
        conv.ctx.report("IST059", obj, path, f"subset {subset} ({shown}) of Service {svc[0]}/{svc[1]}: the backendRef "
                        f"sends to every Pod of the Service; create a Service {svc[1]}-{subset} selecting {shown} "
                        "and point the backendRef at it",
                        example=f"a request meant for {svc[1]} subset {subset} may reach another subset's Pods")


def convert_rule(conv: "Converter", obj: SourceObject) -> None:
    spec = obj.data["spec"]
    svc = _service(conv, obj)
    subsets = spec.get("subsets")
    if isinstance(subsets, list):
        for k, item in enumerate(subsets):
            base = ("spec", "subsets", k)
            if not isinstance(item, dict):
                conv.ctx.input_error(obj, base, "a subset must be a map")
                continue
            obj.account(base + ("name",), base + ("labels",))
            if isinstance(item.get("trafficPolicy"), dict):
                traffic_policy(conv, obj, base + ("trafficPolicy",), item["trafficPolicy"], None, subset=True)
        conv.explain(obj, ("spec", "subsets"))
    if isinstance(spec.get("trafficPolicy"), dict):
        traffic_policy(conv, obj, ("spec", "trafficPolicy"), spec["trafficPolicy"], svc)


def traffic_policy(conv: "Converter", obj: SourceObject, base: Path_, policy: dict, svc: tuple[str, str] | None,
                   *, subset: bool = False) -> None:
    if "retryBudget" in policy:
        retry_budget(conv, obj, base + ("retryBudget",), policy["retryBudget"], svc, subset=subset)
    tls = policy.get("tls")
    if isinstance(tls, dict):
        tls_origination(conv, obj, base + ("tls",), tls, svc, None, subset=subset)
    levels = policy.get("portLevelSettings")
    if isinstance(levels, list):
        for k, item in enumerate(levels):
            if isinstance(item, dict) and isinstance(item.get("tls"), dict):
                number = (item.get("port") or {}).get("number") if isinstance(item.get("port"), dict) else None
                obj.account(base + ("portLevelSettings", k, "port"))
                tls_origination(conv, obj, base + ("portLevelSettings", k, "tls"), item["tls"], svc, number,
                                subset=subset)


def retry_budget(conv: "Converter", obj: SourceObject, path: Path_, budget: Any, svc: tuple[str, str] | None,
                 *, subset: bool) -> None:
    """retryBudget: only the experimental XBackendTrafficPolicy has one; say what it would be (not emitted)."""
    if not isinstance(budget, dict):
        conv.ctx.input_error(obj, path, "retryBudget must be a map")
        return
    pct = budget.get("percent")
    if pct is not None and (isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100):
        conv.ctx.input_error(obj, path + ("percent",), f"percent {pct!r} is not a number 0-100")
        pct = None
    # Gateway API's budget percent is a whole number, Istio's a double; unset, both mean 20 (Envoy's budget_percent
    # default, which Istio leaves in place, and Gateway API's documented default)
    shown = int(pct + 0.5) if pct is not None else 20
    target = f"{svc[1]}" if svc else "<Service>"
    extra = []
    if pct is not None and shown != pct:
        extra.append(f"percent {pct} rounded to {shown}")
    if "minRetryConcurrency" in budget:
        extra.append(f"minRetryConcurrency {budget['minRetryConcurrency']!r} (a concurrency) has no field; "
                     "minRetryRate is a rate")
    where = "for one subset (the policy targets whole Services)" if subset else (
        f"to Service {svc[0]}/{svc[1]}" if svc else "to a host that is not a Service")
    conv.ctx.report("IST094", obj, path, f"retry budget {where}: XBackendTrafficPolicy {{targetRefs: [{{group: '', "
                    f"kind: Service, name: {target}}}], retryConstraint: {{budget: {{percent: {shown}}}}}}} "
                    "(experimental channel; not emitted; its percent caps retries over budget.interval, default 10s, "
                    "where Istio capped concurrent retries)" + ("; " + "; ".join(extra) if extra else ""),
                    example="during an outage clients' retries are no longer capped by the budget")


def _port_name(conv: "Converter", svc: tuple[str, str], number: Any) -> str | None:
    service = conv.ctx.services.get(svc) or {}
    for port in (service.get("spec") or {}).get("ports") or []:
        if isinstance(port, dict) and port.get("port") == number and port.get("name"):
            return str(port["name"])
    return None


def tls_origination(conv: "Converter", obj: SourceObject, path: Path_, tls: dict, svc: tuple[str, str] | None,
                    port: Any, *, subset: bool) -> None:
    mode = str(tls.get("mode") or "DISABLE")
    if mode in ("DISABLE", "ISTIO_MUTUAL"):
        conv.ctx.report("IST093", obj, path, f"tls.mode {mode}: mesh transport security, nothing to write")
        return
    if svc is None or subset:
        conv.explain(obj, path, f"tls.mode {mode} " + ("for a subset" if subset else "for a host that is not a "
                     "Service") + " cannot be a BackendTLSPolicy (it targets whole Services):")
        return
    if mode == "MUTUAL":
        conv.ctx.report("IST092", obj, path + ("mode",), f"MUTUAL to Service {svc[0]}/{svc[1]}: set the Gateway's "
                        "spec.tls.backend.clientCertificateRef to the client certificate Secret "
                        f"({tls.get('credentialName') or tls.get('clientCertificate') or 'from the DestinationRule'})")
    port_name = None
    if port is not None:
        port_name = _port_name(conv, svc, port)
        if port_name is None:
            conv.explain(obj, path, f"port {port} of Service {svc[0]}/{svc[1]} has no name in the input, and a "
                         "BackendTLSPolicy targets ports by name:")
            return
    hostname = str(tls.get("sni") or f"{svc[1]}.{svc[0]}{CLUSTER_SUFFIX}")
    obj.account(path + ("mode",), path + ("sni",))
    if conv.ctx.model.backend_tls_for(svc[0], svc[1], port_name) is not None:
        return
    conv.ctx.model.backend_tls.append(BackendTLS(svc[0], svc[1], hostname, [], port_name,
                                                 Origin(obj.source(path), obj.comments_at(path))))
    conv.ctx.report("IST090", obj, path, f"BackendTLSPolicy for Service {svc[0]}/{svc[1]}"
                    + (f" port {port_name}" if port_name else "") + f", hostname {hostname}")
    for key in ("caCertificates", "credentialName", "insecureSkipVerify", "subjectAltNames", "caCrl"):
        if key in tls:
            conv.ctx.report("IST091", obj, path + (key,), f"tls.{key} {tls[key]!r}: the policy validates against the "
                            "system CAs (wellKnownCACertificates: System); copy the CA into a ConfigMap in "
                            f"{svc[0]} and reference it from validation.caCertificateRefs")
    for key in ("clientCertificate", "privateKey"):
        if key in tls:
            obj.account(path + (key,))
