"""Extract the Gateway API CRD schemas that gateway-migrate ships as package data.

The installed tool must never need ../shared, so this script copies what the
validator needs out of the upstream CRD YAML into small JSON files:

    schemas/gateway-api/<bundle>/<channel>/<kind-lowercase>.<version>.json

one per (kind, served version). Each holds the group/version/kind, the channel,
the scope and subresources (the validator needs both: cluster-scoped objects
have no namespace, and a status subresource means create drops ``status``),
provenance, and ``openAPIV3Schema`` verbatim.

Run from the repository root (defaults assume ../shared beside the checkout):

    python tools/extract_schemas.py [--crds DIR] [--out DIR]

Output is deterministic (sorted keys, fixed indent), so re-running on the same
input changes nothing and the test suite can compare byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CRDS = REPO.parent / "shared" / "gateway-api-crds" / "v1.6.1"
DEFAULT_OUT = REPO / "schemas"
CHANNELS = ("standard", "experimental")
LICENSE = "Apache-2.0"
COPYRIGHT = "Copyright The Kubernetes Authors"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_provenance(crds: Path) -> dict[str, str]:
    """Repository, tag and commit recorded in SOURCE.md next to the bundle directory."""
    text = (crds.parent / "SOURCE.md").read_text(encoding="utf-8")
    fields = {
        "repository": r"Repository:\s*(\S+)",
        "tag": r"Release tag:\s*`([^`]+)`",
        "commit": r"Commit:\s*`([0-9a-f]{40})`",
    }
    found: dict[str, str] = {}
    for key, pattern in fields.items():
        match = re.search(pattern, text)
        if not match:
            raise SystemExit(f"{crds.parent / 'SOURCE.md'}: cannot find {key}")
        found[key] = match.group(1)
    return found


def _crds_in(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        docs = list(yaml.load_all(handle, Loader=_Loader))
    return [d for d in docs if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]


def build(crds: Path) -> dict[str, str]:
    """Relative output path -> file text, for every served version in every channel."""
    prov = read_provenance(crds)
    bundle = crds.name
    out: dict[str, str] = {}
    for channel in CHANNELS:
        for path in sorted((crds / channel).glob("*.yaml")):
            raw = path.read_bytes()
            for crd in _crds_in(path):
                spec = crd["spec"]
                for version in spec["versions"]:
                    if not version.get("served", False):
                        continue
                    kind = spec["names"]["kind"]
                    doc = {
                        "group": spec["group"],
                        "version": version["name"],
                        "kind": kind,
                        "channel": channel,
                        "scope": spec["scope"],
                        "subresources": version.get("subresources", {}),
                        "source": {
                            "file": f"{channel}/{path.name}",
                            "repository": prov["repository"],
                            "tag": prov["tag"],
                            "commit": prov["commit"],
                            "path": f"config/crd/{channel}/{path.name}",
                            "sha256": hashlib.sha256(raw).hexdigest(),
                            "license": LICENSE,
                            "copyright": COPYRIGHT,
                        },
                        "openAPIV3Schema": version["schema"]["openAPIV3Schema"],
                    }
                    rel = f"gateway-api/{bundle}/{channel}/{kind.lower()}.{version['name']}.json"
                    if rel in out:
                        raise SystemExit(f"duplicate output {rel} (from {path})")
                    out[rel] = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    return out


def write(files: dict[str, str], out_dir: Path) -> None:
    """Write ``files`` and delete stale JSON left from an earlier run of the same bundles."""
    bundles = {Path(rel).parts[:2] for rel in files}
    for parts in bundles:
        for stale in (out_dir.joinpath(*parts)).rglob("*.json"):
            if stale.relative_to(out_dir).as_posix() not in files:
                stale.unlink()
    for rel, text in sorted(files.items()):
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--crds", type=Path, default=DEFAULT_CRDS,
                        help="upstream bundle dir (has standard/, experimental/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="schemas/ directory to write into")
    args = parser.parse_args(argv)
    if not args.crds.is_dir():
        print(f"{args.crds}: not a directory (is ../shared beside the checkout?)", file=sys.stderr)
        return 2
    files = build(args.crds)
    write(files, args.out)
    print(f"wrote {len(files)} schema files under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
