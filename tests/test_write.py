"""--out-dir writing: one file per object, atomic, modes kept, never outside the directory."""

from __future__ import annotations

import os

import pytest

from migrate.emit import Emitted
from migrate.write import write_dir


def route(name: str, namespace: str = "shop") -> Emitted:
    return Emitted({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                    "metadata": {"name": name, "namespace": namespace}, "spec": {}})


def test_one_file_per_object_and_modes_kept(tmp_path):
    out = tmp_path / "out"
    written = write_dir(out, [route("a"), route("b", "web")])
    assert [p.relative_to(out).as_posix() for p in written] == ["shop/httproute-a.yaml", "web/httproute-b.yaml"]
    assert (out / "shop" / "httproute-a.yaml").read_text().startswith("apiVersion: gateway.networking.k8s.io/v1\n")
    assert (out / "shop" / "httproute-a.yaml").stat().st_mode & 0o777 == 0o644
    os.chmod(out / "web" / "httproute-b.yaml", 0o600)
    write_dir(out, [route("b", "web")])
    assert (out / "web" / "httproute-b.yaml").stat().st_mode & 0o777 == 0o600
    assert not [p for p in out.rglob(".*.tmp")], "no temporary file is left behind"


def test_a_folder_symlinked_outside_is_refused_before_anything_is_written(tmp_path):
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    os.symlink(outside, out / "web")
    with pytest.raises(ValueError, match="refusing to write outside"):
        write_dir(out, [route("a"), route("b", "web")])
    assert list(outside.iterdir()) == [] and not (out / "shop").exists()


def test_names_that_would_climb_out_are_refused(tmp_path):
    with pytest.raises(ValueError, match="refusing to write outside"):
        write_dir(tmp_path / "out", [route("a", "..")])
    assert not (tmp_path / "out").exists()
