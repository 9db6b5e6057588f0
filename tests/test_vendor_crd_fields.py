"""Every field of each vendor CRD kind, as the upstream schema lists it, is in the plugin's table.

The issue's acceptance: "every field of each CRD kind is mapped or explained". The fixture
check (test_vendor_coverage.py) sees only the fields the fixtures write; this one checks
mappings/<plugin>.yaml against inventories of the real CRD schemas, kept as sorted lists in
tests/data/vendor-fields/<plugin>/<Kind>.txt (made by tools/vendor_fields.py; each file's
first line names the upstream repository, path, commit and version it came from). A path is
covered when the kind's table lists it or an ancestor of it (migrate.mapping_table.covering).
"""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

from conftest import REPO
from migrate.mapping_table import covering, load_table

DATA = REPO / "tests" / "data" / "vendor-fields"
INVENTORIES = sorted(DATA.glob("*/*.txt"))


def inventory(path) -> tuple[str, list[str]]:
    """(provenance line, field paths) of one inventory file."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    assert lines and lines[0].startswith("# from "), f"{path}: first line must be '# from <repo> <path> <commit>, version <v>'"
    return lines[0], [line for line in lines[1:] if line and not line.startswith("#")]


def test_there_is_an_inventory_for_every_kind_of_every_vendor_table():
    missing = []
    for plugin in ("istio", "smi", "traefik", "contour"):
        for kind in load_table(plugin).kinds:
            if not (DATA / plugin / f"{kind}.txt").is_file():
                missing.append(f"{plugin}/{kind}")
    assert not missing, f"no upstream field inventory for: {missing}"


@pytest.mark.parametrize("path", INVENTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_upstream_field_is_mapped_or_explained(path):
    plugin, kind = path.parent.name, path.stem
    table = load_table(plugin)
    assert kind in table.kinds, f"mappings/{plugin}.yaml has no kind {kind}"
    fields = table.kinds[kind].fields
    source, paths = inventory(path)
    assert paths == sorted(set(paths)), f"{path}: keep the paths sorted and distinct"
    uncovered = [p for p in paths if covering(fields, p) is None]
    assert not uncovered, (f"mappings/{plugin}.yaml kinds.{kind} does not cover {len(uncovered)} upstream "
                           f"field(s) ({source[2:]}):\n  " + "\n  ".join(uncovered))


def _vendor_fields():
    spec = importlib.util.spec_from_file_location("vendor_fields", REPO / "tools" / "vendor_fields.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CRD = textwrap.dedent("""\
    apiVersion: v1
    kind: ConfigMap
    ---
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    spec:
      names: {kind: Thing}
      versions:
      - name: v1alpha1
        schema:
          openAPIV3Schema:
            properties:
              spec: {type: object, properties: {old: {type: string}}}
      - name: v1
        schema:
          openAPIV3Schema:
            properties:
              spec:
                type: object
                properties:
                  host: {type: string}
                  port: {anyOf: [{type: integer}, {type: string}], x-kubernetes-int-or-string: true}
                  labels: {type: object, additionalProperties: {type: string}}
                  config: {type: object, x-kubernetes-preserve-unknown-fields: true}
                  empty: {type: object}
                  tags: {type: array, items: {type: string}}
                  routes:
                    type: array
                    items:
                      type: object
                      properties:
                        match: {type: array, items: {type: object, properties: {uri: {type: string}}}}
                        weight: {type: integer}
              status: {type: object, properties: {ready: {type: boolean}}}
    """)


def test_vendor_fields_lists_leaf_paths_in_the_generic_form(tmp_path):
    tool = _vendor_fields()
    assert tool.fields(CRD, "Thing", "v1") == [
        "spec.config", "spec.empty", "spec.host", "spec.labels", "spec.port",
        "spec.routes[].match[].uri", "spec.routes[].weight", "spec.tags[]",
    ]
    assert tool.fields(CRD, "Thing", "v1alpha1") == ["spec.old"]
    with pytest.raises(LookupError):
        tool.fields(CRD, "Thing", "v2")
    with pytest.raises(LookupError):
        tool.fields(CRD, "Other", "v1")
    crds = tmp_path / "crds.yaml"
    crds.write_text(CRD)
    assert tool.main([str(crds), "Thing", "v9"]) == 1


def test_vendor_fields_stops_at_max_depth():
    tool = _vendor_fields()
    deep: dict = {"type": "string"}
    for _ in range(tool.MAX_DEPTH + 3):
        deep = {"type": "object", "properties": {"a": deep}}
    paths = list(tool.leaf_paths(deep))
    assert paths == ["spec" + ".a" * tool.MAX_DEPTH]
