"""Bad input never crashes a vendor plugin: every list or map of every owned object in the
fixtures, replaced by a scalar, is an input error or a finding, never GM013 ("plugin
failed") or an exception. (An exploratory fuzz with other wrong types per field found
the crashes this guards against: corsPolicy lists, sniHosts, ServiceProfile any/all.)"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import yaml

from conftest import REPO
from migrate.engine import run
from migrate.mapping_table import load_table
from migrate.testing import discover_cases, options_for

VENDOR = ("istio", "smi", "traefik", "contour")
CASES = [c for c in discover_cases(REPO / "fixtures") if c.plugin in VENDOR]


def containers(value, path=()):
    """Paths of non-empty lists and maps below ``path``."""
    if isinstance(value, dict) and value:
        if path:
            yield path
        for key, item in value.items():
            yield from containers(item, path + (key,))
    elif isinstance(value, list) and value:
        yield path
        for i, item in enumerate(value):
            yield from containers(item, path + (i,))


def mutated(docs: list, index: int, path: tuple) -> list:
    out = copy.deepcopy(docs)
    parent = out[index]
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = True
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_scalar_where_a_list_or_map_belongs_is_reported_not_a_crash(case, tmp_path):
    kinds = set(load_table(case.plugin).kinds) | {"Ingress"}
    docs = list(yaml.safe_load_all((case.path / "input.yaml").read_text()))
    target = tmp_path / "input.yaml"
    crashed = []
    for index, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("kind") not in kinds:
            continue
        for path in containers(doc.get("spec"), ("spec",)):
            target.write_text(yaml.safe_dump_all(mutated(docs, index, path)))
            result = run(replace(options_for(case.path), inputs=(str(target),)))
            crashed += [f"{doc['kind']} {'.'.join(map(str, path))}: {f.message}"
                        for f in result.report.findings if f.code == "GM013"]
    assert not crashed, "\n".join(crashed)
