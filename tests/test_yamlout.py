"""The YAML writer: reads back as the same data under YAML 1.1, comments in place."""

from __future__ import annotations

import yaml
from hypothesis import given, settings, strategies as st

from migrate.yamlout import dump, dump_all, scalar

keys = st.text(min_size=1, max_size=12)
atoms = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=20))
data = st.recursive(atoms, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
                    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, data, min_size=1, max_size=5))
def test_round_trip(obj):
    assert yaml.safe_load(dump(obj)) == obj


def test_ambiguous_strings_are_quoted():
    for text in ["yes", "no", "on", "off", "true", "null", "~", "1", "0x1f", "1.5", "1e3", "2024-01-01", "", "a: b",
                 "- x", "#x", "x #y", "*", "&a", "!t", "%x", "@x", "`x", "x:", "{a}", "[a]", " a", "a ", "a\nb",
                 "\u2028", "a\u2029b", "\x85", "\ufeffx", "\x7f", "\x00", "A\n", "a\r"]:
        assert yaml.safe_load(f"k: {scalar(text)}") == {"k": text}, text
    assert scalar("/api/v1") == "/api/v1"
    assert scalar("shop.example.com") == "shop.example.com"


def test_comments_sit_above_their_part():
    obj = {"kind": "HTTPRoute", "spec": {"rules": [{"matches": [{"path": {"value": "/a"}}]}, {"backendRefs": [{"name": "b"}]}]}}
    text = dump(obj, {(): ["head"], ("spec", "rules", 1): ["second rule"], ("spec",): ["the spec"]})
    lines = text.splitlines()
    assert lines[0] == "# head"
    assert lines[lines.index("spec:") - 1] == "# the spec"
    i = lines.index("- backendRefs:") if "- backendRefs:" in lines else lines.index("  - backendRefs:")
    assert lines[i - 1].strip() == "# second rule"
    assert yaml.safe_load(text) == obj


def test_kubectl_style_lists():
    text = dump({"spec": {"rules": [{"a": 1, "b": [{"c": 2}]}]}})
    assert text == "spec:\n  rules:\n  - a: 1\n    b:\n    - c: 2\n"


def test_dump_all_separates_documents():
    docs = list(yaml.safe_load_all(dump_all([({"a": 1}, None), ({"b": 2}, {(): ["x"]})])))
    assert docs == [{"a": 1}, {"b": 2}]
