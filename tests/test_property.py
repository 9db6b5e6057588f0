"""Any valid Ingress converts without an exception to output the CRDs accept."""

from __future__ import annotations

import io

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from migrate.engine import Options, run
from migrate.validate import Validator

label = st.from_regex(r"[a-z]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
host = st.builds(lambda parts, wild: ("*." if wild else "") + ".".join(parts),
                 st.lists(label, min_size=2, max_size=3), st.booleans())
segment = st.one_of(label, st.sampled_from(["v1", "a.b", "~u", "x%20y", "", ".", "..", "a b", "[x]", "caf\u00e9"]))
path_value = st.builds(lambda segs, slash: "/" + "/".join(segs) + ("/" if slash else ""),
                       st.lists(segment, max_size=3), st.booleans())
port = st.one_of(st.builds(lambda n: {"number": n}, st.integers(1, 65535)), st.builds(lambda n: {"name": n}, label))
backend = st.builds(lambda name, p: {"service": {"name": name, "port": p}}, label, port)


def k8s_accepts(path: dict) -> bool:
    """The API server's own rule for Exact and Prefix paths."""
    value = path["path"]
    return path["pathType"] == "ImplementationSpecific" or not (
        any(seq in value for seq in ("//", "/./", "/../", "%2f", "%2F")) or value.endswith(("/..", "/.")))


http_path = st.builds(lambda v, t, b: {"path": v, "pathType": t, "backend": b}, path_value,
                      st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"]), backend).filter(k8s_accepts)
rule = st.builds(lambda h, paths: {**({"host": h} if h else {}), "http": {"paths": paths}},
                 st.one_of(st.none(), host), st.lists(http_path, min_size=1, max_size=4))
tls = st.builds(lambda hosts, secret: {**({"hosts": hosts} if hosts else {}), **({"secretName": secret} if secret else {})},
                st.lists(host, max_size=2), st.one_of(st.none(), label))


@st.composite
def ingress(draw) -> dict:
    spec: dict = {}
    if draw(st.booleans()):
        spec["ingressClassName"] = draw(st.sampled_from(["external", "internal"]))
    rules = draw(st.lists(rule, max_size=3))
    if rules:
        spec["rules"] = rules
    if not rules or draw(st.booleans()):
        spec["defaultBackend"] = draw(backend)
    tls_entries = draw(st.lists(tls, max_size=2))
    if tls_entries:
        spec["tls"] = tls_entries
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": draw(label), "namespace": draw(st.sampled_from(["default", "shop", "gateway-system"]))},
            "spec": spec}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ingress(), min_size=1, max_size=3))
def test_any_valid_ingress_converts_to_valid_output(ingresses):
    text = "---\n".join(yaml.safe_dump(i) for i in ingresses)
    result = run(Options(("-",)), stdin=io.BytesIO(text.encode()))
    report = result.report
    assert report.input_errors == []
    codes = {f.code for f in report.findings}
    assert "GM005" not in codes, [f.message for f in report.findings if f.code == "GM005"]
    assert "GM004" not in codes, [f.message for f in report.findings if f.code == "GM004"]
    validator = Validator.packaged()
    for item in result.objects:
        assert validator.validate(item.obj) == []
    assert report.counts.converted == len(ingresses)


core_segment = st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True)
core_path = st.builds(lambda segs, slash: "/" + "/".join(segs) + ("/" if slash and segs else ""),
                      st.lists(core_segment, max_size=3), st.booleans())
core_http_path = st.builds(lambda v, t, svc, port: {"path": v, "pathType": t,
                                                   "backend": {"service": {"name": svc, "port": {"number": port}}}},
                           core_path, st.sampled_from(["Exact", "Prefix", "ImplementationSpecific"]), label,
                           st.integers(1, 65535))
core_host = st.builds(lambda parts: ".".join(parts), st.lists(label, min_size=2, max_size=3))


@st.composite
def core_ingress(draw) -> dict:
    """Only what every controller agrees on: exact hosts (or none), paths, numbered ports,
    TLS with a Secret. No wildcards, default backends or regex paths: those have findings."""
    rules = []
    for host in draw(st.lists(st.one_of(st.none(), core_host), min_size=1, max_size=3, unique=True)):
        paths = draw(st.lists(core_http_path, min_size=1, max_size=4, unique_by=lambda p: (p["path"].rstrip("/"), p["pathType"])))
        rules.append({**({"host": host} if host else {}), "http": {"paths": paths}})
    spec: dict = {"ingressClassName": "external", "rules": rules}
    hosts = [r["host"] for r in rules if "host" in r]
    if hosts and draw(st.booleans()):
        spec["tls"] = [{"hosts": hosts[:1], "secretName": "cert"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": draw(label), "namespace": "shop"}, "spec": spec}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(core_ingress())
def test_core_ingress_and_its_conversion_agree_on_every_probe(ingress):
    from pathlib import Path

    from migrate.review import review

    text = yaml.safe_dump(ingress)
    result = run(Options(("-",)), stdin=io.BytesIO(text.encode()))
    diff = review(result, Path("-"), textual=False).semantic
    assert diff.probes > 0
    assert diff.changes == [], "\n".join(f"{c.request}: {c.before.summary()} -> {c.after.summary()}" for c in diff.changes)
