"""Plugins load one by one: a broken one becomes a finding, never a crash."""

from __future__ import annotations

from dataclasses import dataclass

from migrate.discovery import discover
from migrate.plugin import API_VERSION


@dataclass
class FakePoint:
    name: str
    target: object
    value: str = "fake:Plugin"

    def load(self):
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


class Good:
    name = "good"
    api_version = API_VERSION

    def claims(self, obj, ctx):
        return False

    def convert(self, objs, ctx):
        raise AssertionError

    def findings(self):
        return ()


class Old(Good):
    name = "old"
    api_version = API_VERSION + 1


def test_broken_plugins_become_problems():
    found = discover([FakePoint("good", Good), FakePoint("broken", ImportError("no module x")), FakePoint("old", Old),
                      FakePoint("half", object())])
    assert [p.name for p in found.plugins] == ["good"]
    codes = sorted(code for code, _ in found.problems)
    assert codes == ["GM001", "GM001", "GM002"]
    assert any("no module x" in message for _, message in found.problems)


def test_builtin_plugins_register_through_entry_points():
    names = {p.name for p in discover().plugins}
    assert {"ingress", "ingress-nginx"} <= names
