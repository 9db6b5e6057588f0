"""List every field of a vendor CRD kind, as the generic paths of ``mappings/<plugin>.yaml``.

Why: the issue's acceptance is that every field of each vendor CRD kind is mapped or
explained. The fixtures only write some fields, so tests/test_vendor_crd_fields.py checks
the tables against inventories of the upstream schemas instead, kept as small sorted lists
in tests/data/vendor-fields/<plugin>/<Kind>.txt (the upstream CRD files are too big to keep).
This script makes those lists:

    python tools/vendor_fields.py CRDS.yaml KIND VERSION

It walks ``openAPIV3Schema.properties.spec`` of that kind and version and prints one leaf
path a line, sorted, in the tables' form (``spec.http[].match[].uri``; see
migrate.mapping_table.generic_path): an object with ``properties`` recurses, an array
recurses into ``items`` with ``[]``; a map (``additionalProperties``), an object that keeps
unknown fields without listing properties, and a scalar are leaves. Depth is capped at
MAX_DEPTH, where the path is printed as a leaf (schemas are trees, but be safe).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 12


def leaf_paths(schema: dict[str, Any], path: str = "spec", depth: int = 0) -> Iterator[str]:
    """Every leaf path under ``schema`` (an OpenAPI v3 schema node) whose own path is ``path``."""
    if depth >= MAX_DEPTH:
        yield path
        return
    properties = schema.get("properties")
    items = schema.get("items")
    if isinstance(properties, dict) and properties:
        for name, sub in properties.items():
            yield from leaf_paths(sub if isinstance(sub, dict) else {}, f"{path}.{name}", depth + 1)
    elif isinstance(items, dict) and (schema.get("type") == "array" or "type" not in schema):
        yield from leaf_paths(items, f"{path}[]", depth + 1)
    else:  # scalar, map (additionalProperties), preserve-unknown-fields object, or empty object
        yield path


def find_schema(docs: Iterable[Any], kind: str, version: str) -> dict[str, Any]:
    """``openAPIV3Schema.properties.spec`` of ``kind``/``version`` among CRD documents."""
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc.get("spec") or {}
        if (spec.get("names") or {}).get("kind") != kind:
            continue
        for entry in spec.get("versions") or []:
            if entry.get("name") == version:
                root = ((entry.get("schema") or {}).get("openAPIV3Schema") or {})
                found = (root.get("properties") or {}).get("spec")
                if isinstance(found, dict):
                    return found
                raise LookupError(f"{kind} {version}: the schema has no spec")
        raise LookupError(f"{kind}: no version {version}")
    raise LookupError(f"no CustomResourceDefinition for kind {kind}")


def fields(text: str, kind: str, version: str) -> list[str]:
    """Sorted, distinct leaf paths of ``kind``/``version`` in multi-document CRD YAML ``text``."""
    docs = yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return sorted(set(leaf_paths(find_schema(docs, kind, version))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crds", type=Path, help="CRD YAML file (several documents allowed)")
    parser.add_argument("kind")
    parser.add_argument("version")
    parser.add_argument("--header", help="first line to print, as a '# ...' comment (provenance)")
    args = parser.parse_args(argv)
    try:
        found = fields(args.crds.read_text(encoding="utf-8"), args.kind, args.version)
    except LookupError as err:
        print(f"vendor_fields: {err}", file=sys.stderr)
        return 1
    if args.header:
        print(f"# {args.header}")
    print("\n".join(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
