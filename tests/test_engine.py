"""The pipeline's promises: one owner per object, nothing lost silently, forced providers."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import yaml

from conftest import REPO
from migrate.engine import Options, UsageError, run
from migrate.plugin import API_VERSION, Conversion, Settings
from migrate.plugins.ingress import IngressPlugin
from migrate.plugins.ingress_nginx import IngressNginxPlugin
from migrate.mapping_table import load_table
from migrate.testing import discover_cases, options_for, output_of, run_case

INGRESS = {
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"ingressClassName": "external", "rules": [{"host": "a.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
}


def convert(*objs: dict, **options) -> object:
    text = "---\n".join(yaml.safe_dump(o) for o in objs)
    settings = options.pop("settings", Settings())
    return run(Options(("-",), settings, **options), stdin=io.BytesIO(text.encode()))


def codes(result) -> list[tuple[str, str]]:
    return sorted((f.code, f.source.field) for f in result.report.findings)


def test_unknown_field_is_never_lost():
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    ingress["spec"]["futureField"] = {"a": 1}
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["extra"] = True
    result = convert(ingress)
    assert ("GM004", "spec.futureField") in codes(result)


@pytest.mark.parametrize("case", discover_cases(REPO / "fixtures"), ids=lambda c: c.id)
def test_every_fixture_annotation_changes_output_or_is_named(case):
    """Acceptance: each annotation on each fixture input is converted (removing it changes the
    output), is its controller's documented default, or is named in a finding."""
    result = run_case(case.path)
    named = {(f.source.object, f.source.field) for f in result.report.findings}
    closed = {f.source.object for f in result.report.findings if f.code == "GM011"}
    errors = " ".join(result.report.input_errors)
    nginx = load_table("ingress-nginx")
    for doc_index, obj in ingresses(case.path / "input.yaml"):
        meta = obj["metadata"]
        ref = f"Ingress/{meta.get('namespace', 'default')}/{meta['name']}"
        for key, value in (meta.get("annotations") or {}).items():
            if key == "kubernetes.io/ingress.class" or (ref, f"metadata.annotations[{key}]") in named or key in errors:
                continue
            entry = nginx.lookup(key)
            if entry is not None and getattr(entry, "default", None) == str(value):
                continue
            # a route closed for a lost access control shows nothing; judge the annotation with it open
            opened = ref in closed
            baseline = output_without(case.path, 0, None, opened)  # same round trip (comments dropped)
            assert output_without(case.path, doc_index, key, opened) != baseline, f"{ref}: {key} vanished without effect"


def ingresses(path):
    """(document index, Ingress) pairs of a fixture input, List items included."""
    for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
        for obj in (doc.get("items", [doc]) if doc else []):
            if obj.get("kind") == "Ingress":
                yield i, obj


def output_without(case_dir, doc_index, key, opened=False):
    """The conversion output with one annotation removed from one document (``opened``:
    with --allow-security-downgrade)."""
    import shutil
    import tempfile
    from pathlib import Path

    docs = list(yaml.safe_load_all((case_dir / "input.yaml").read_text()))
    for obj in (docs[doc_index].get("items", [docs[doc_index]]) if key else []):
        (obj.get("metadata", {}).get("annotations") or {}).pop(key, None)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / case_dir.name
        shutil.copytree(case_dir, copy)
        (copy / "input.yaml").write_text(yaml.safe_dump_all(docs))
        options = options_for(copy)
        if opened:
            options = replace(options, settings=replace(options.settings, allow_security_downgrade=True))
        return output_of(run(options))


def test_forced_provider_converts_other_classes():
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    ingress["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}
    by_class = convert(ingress)
    assert ("ING009", "metadata.annotations[nginx.ingress.kubernetes.io/proxy-body-size]") in codes(by_class)
    forced = convert(ingress, provider="ingress-nginx")
    field = "metadata.annotations[nginx.ingress.kubernetes.io/proxy-body-size]"
    assert [code for code, f in codes(forced) if f == field][0].startswith("NGX")


def test_unknown_provider_is_a_usage_error():
    with pytest.raises(UsageError):
        convert(INGRESS, provider="nope")


def test_one_owner_per_object():
    class Greedy:
        name, api_version = "greedy", API_VERSION

        def claims(self, obj, ctx):
            return obj.kind == "Ingress"

        def convert(self, objs, ctx):
            for obj in objs:
                obj.account(("spec",), ("metadata",))
            return Conversion()

        def findings(self):
            return ()

    result = run(Options(("-",)), stdin=io.BytesIO(yaml.safe_dump(INGRESS).encode()),
                 plugins=[IngressPlugin(), IngressNginxPlugin(), Greedy()])
    assert [f.code for f in result.report.findings] == []
    assert result.objects == []  # the greedy plugin owns it, the fallback never sees it
    nginx = yaml.safe_load(yaml.safe_dump(INGRESS))
    nginx["spec"]["ingressClassName"] = "nginx"
    both = run(Options(("-",)), stdin=io.BytesIO(yaml.safe_dump(nginx).encode()),
               plugins=[IngressPlugin(), IngressNginxPlugin(), Greedy()])
    assert [f.code for f in both.report.findings if f.code == "GM003"] == ["GM003"]


def test_default_ingress_class_from_input():
    cls = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
           "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
           "spec": {"controller": "k8s.io/ingress-nginx"}}
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    del ingress["spec"]["ingressClassName"]
    ingress["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/proxy-buffer-size": "8k"}
    result = convert(cls, ingress)
    assert ("NGX001", "metadata.annotations[nginx.ingress.kubernetes.io/proxy-buffer-size]") in codes(result)
    assert result.objects[0].obj["metadata"]["name"] == "nginx"


def test_downgrade_turns_security_errors_into_warnings():
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    ingress["spec"]["ingressClassName"] = "nginx"
    ingress["metadata"]["annotations"] = {"nginx.ingress.kubernetes.io/auth-type": "basic"}
    closed = convert(ingress)
    assert closed.report.exit_code == 1
    route = next(o.obj for o in closed.objects if o.obj["kind"] == "HTTPRoute")
    assert all("backendRefs" not in rule for rule in route["spec"]["rules"])
    opened = convert(ingress, settings=Settings(allow_security_downgrade=True))
    assert opened.report.exit_code == 0
    ngx = [f for f in opened.report.findings if f.code == "NGX002"]
    assert ngx and all(f.severity.value == "warning" and f.downgraded for f in ngx)
    route = next(o.obj for o in opened.objects if o.obj["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]


def test_trailing_newline_is_not_a_valid_host_or_plain_path():
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    ingress["spec"]["rules"][0]["host"] = "a.example.com\n"
    assert "not a valid host" in convert(ingress).report.input_errors[0]
    ingress = yaml.safe_load(yaml.safe_dump(INGRESS))
    ingress["spec"]["rules"][0]["http"]["paths"][0].update(path="/a\n", pathType="ImplementationSpecific")
    result = convert(ingress)
    assert result.report.input_errors == []
    route = next(o.obj for o in result.objects if o.obj["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["matches"][0]["path"]["type"] == "RegularExpression"


def test_a_crashing_plugin_is_a_finding_not_a_traceback():
    class Crashes:
        name, api_version = "crashes", API_VERSION

        def claims(self, obj, ctx):
            return obj.kind == "Ingress"

        def convert(self, objs, ctx):
            raise RuntimeError("boom")

        def findings(self):
            return ()

    result = run(Options(("-",)), stdin=io.BytesIO(yaml.safe_dump(INGRESS).encode()), plugins=[IngressPlugin(), Crashes()])
    assert [(f.code, "boom" in f.message) for f in result.report.findings] == [("GM013", True)]
    assert result.report.exit_code == 1 and result.objects == [] and result.owners == {}
