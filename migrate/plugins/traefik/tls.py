"""Router TLS (secretName, options, store, certResolver, domains), TLSOption and TLSStore."""

from __future__ import annotations

from typing import Any

from migrate.ir import Route
from migrate.plugin import SourceObject
from migrate.plugins.traefik.state import Run, as_dict

Path_ = tuple[Any, ...]


def route_tls(run: Run, obj: SourceObject, path: Path_, tls: dict) -> tuple[str | None, list[SourceObject]]:
    """The Secret for the router's HTTPS listeners and the TLSOptions whose access controls apply."""
    secret = tls.get("secretName")
    if secret:
        obj.account(path + ("secretName",))
    for key in ("certResolver", "domains"):
        if key in tls:
            run.ctx.report("TRF016", obj, path + (key,), f"tls.{key}: certificates from Traefik's ACME resolver; "
                           + ("the Secret is used for the listener" if secret else "no HTTPS listener is made: issue a Secret with cert-manager"))
    if "store" in tls:
        run.ctx.report("TRF016", obj, path + ("store",), "tls.store: the TLSStore's default certificate is Traefik's")
        ref = as_dict(tls.get("store"))
        store = run.find("TLSStore", str(ref.get("namespace") or obj.namespace), str(ref.get("name") or ""))
        if store is not None:
            tls_store(run, store)
    options: list[SourceObject] = []
    ref = as_dict(tls.get("options"))
    if ref:
        found = run.find("TLSOption", str(ref.get("namespace") or obj.namespace), str(ref.get("name") or ""))
        if found is None:
            run.ctx.report("TRF001", obj, path + ("options",), f"TLSOption {ref.get('name')} is not in the input; "
                           "Traefik falls back to the default options")
        else:
            obj.account(path + ("options",))
            options.append(found)
    else:
        default = next((o for o in run.objects if o.kind == "TLSOption" and o.name == "default"), None)
        if default is not None:
            run.used.add(id(default))
            options.append(default)
    return (str(secret) if secret else None), options


def apply_options(run: Run, options: list[SourceObject], routes: list[Route]) -> None:
    """TLSOptions used by these routes: clientAuth closes them; the other fields are reported on the option."""
    for option in options:
        tls_option(run, option)
        if enforces_client_auth(option):
            for route in routes:
                route.blocked_by.append(f"TLSOption {option.namespace}/{option.name} clientAuth")


#: clientAuthType values that reject some clients: access controls (fail closed)
ENFORCING = ("RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert")


def client_auth_type(auth: dict) -> str:
    """Traefik's effective type: with CA secrets and no type it requires and verifies a client
    certificate (its TLS manager's default); with neither, no certificate is asked for."""
    given = auth.get("clientAuthType")
    if isinstance(given, str) and given:
        return given
    return "RequireAndVerifyClientCert" if auth.get("secretNames") else "NoClientCert"


def enforces_client_auth(option: SourceObject) -> bool:
    auth = as_dict(as_dict(option.data.get("spec")).get("clientAuth"))
    return bool(auth) and client_auth_type(auth) in ENFORCING


def tls_option(run: Run, obj: SourceObject) -> None:
    """Report a TLSOption's fields once (listener tls.options are implementation-specific; clientAuth fails closed)."""
    run.legacy_group(obj)
    spec = as_dict(obj.data.get("spec"))
    for key in spec:
        if key == "clientAuth":
            auth = as_dict(spec[key])
            mode = client_auth_type(auth)
            if mode not in ENFORCING:
                run.once("TRF017", obj, ("spec", "clientAuth"), f"clientAuth {mode}: no client is rejected for its "
                         "certificate, so nothing is lost for access; requesting certificates is not emitted")
                continue
            run.once("TRF002", obj, ("spec", "clientAuth"),
                     f"clientAuth {mode} with CA Secrets {auth.get('secretNames')}: Gateway API validates client "
                     "certificates per Gateway or port with ConfigMap CA bundles, not per host; the routes that use "
                     "this option fail closed")
        else:
            entry = run.table.kinds["TLSOption"].fields.get(f"spec.{key}")
            if entry is not None:
                run.once("TRF017", obj, ("spec", key), f"{key}: {spec[key]!r}: {entry.note}")
    run.explain_rest(obj)


def tls_store(run: Run, obj: SourceObject) -> None:
    run.legacy_group(obj)
    spec = as_dict(obj.data.get("spec"))
    for key in spec:
        if key in ("defaultCertificate", "defaultGeneratedCert", "certificates"):
            run.once("TRF016", obj, ("spec", key), f"{key}: certificates of Traefik's TLS store; each Gateway "
                           "HTTPS listener names its own Secret")
    run.explain_rest(obj)
