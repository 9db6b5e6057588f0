"""Structural diff: only meaningful changes show (defaults, order-free lists, server metadata)."""

from __future__ import annotations

import copy

from migrate.differ import structural_diff

ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "http"},
                            {"name": "gw", "namespace": "infra", "sectionName": "https"}],
             "hostnames": ["a.example.com", "b.example.com"],
             "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"name": "web", "port": 80}]}]},
}


def test_defaults_order_and_server_metadata_are_not_changes():
    existing = copy.deepcopy(ROUTE)
    existing["metadata"].update(uid="x", resourceVersion="5", creationTimestamp="2026-01-01T00:00:00Z")
    existing["spec"]["hostnames"].reverse()
    existing["spec"]["parentRefs"].reverse()
    existing["spec"]["parentRefs"][0].update(group="gateway.networking.k8s.io", kind="Gateway")
    existing["spec"]["rules"][0]["backendRefs"][0].update(weight=1, kind="Service", group="")
    existing["status"] = {"parents": []}
    assert structural_diff([ROUTE], [existing]).empty


def test_real_changes_are_named():
    existing = copy.deepcopy(ROUTE)
    existing["spec"]["rules"][0]["backendRefs"][0]["name"] = "old-web"
    other = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
             "metadata": {"name": "legacy", "namespace": "shop"}, "spec": {}}
    diff = structural_diff([ROUTE], [existing, other, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}])
    assert diff.removed == [("HTTPRoute", "shop", "legacy")]
    assert diff.added == []
    (changes,) = diff.changed.values()
    assert changes == ["['spec']['rules'][0]['backendRefs'][0]['name']: 'old-web' -> 'web'"]
    assert "~ HTTPRoute/shop/web" in diff.render_text()


def test_rule_order_matters():
    existing = copy.deepcopy(ROUTE)
    existing["spec"]["rules"].append({"matches": [{"path": {"type": "Exact", "value": "/x"}}]})
    existing["spec"]["rules"].reverse()
    mine = copy.deepcopy(existing)
    mine["spec"]["rules"].reverse()
    assert not structural_diff([mine], [existing]).empty
