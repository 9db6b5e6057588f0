"""The loader: documents with origins, lines and comments; every bad input an error."""

from __future__ import annotations

import io
import os
import time
import tracemalloc

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.load import Document, Limits, LoadError, Origin, load_bytes, load_paths

HELM = "looks like a Helm template; render it first: helm template ... | gateway-migrate convert -"

INGRESS = """\
# Team A's ingress
# (owned by platform)

--- # marker note
apiVersion: networking.k8s.io/v1  # GA since 1.19
kind: Ingress
metadata:
  name: "web # not a comment"
  annotations:
    note: 'a #b'  # real note
    tag: a#b
spec:
  # rules follow
  rules:
  # the shop
  - host: shop.example.com
    http:
      paths:
      # root path
      - path: /
        pathType: Prefix
      # api path

      - path: /api  # versioned
        pathType: Prefix
  tls: [a, b]  # flow list
data:
  script: |  # header note
    # inside the script
    echo hi
  # after the script
  other: x
# trailing one
# trailing two
"""


def load(text: str | bytes, name: str = "app.yaml", **kw) -> tuple[list[Document], list[LoadError]]:
    result = load_bytes(text.encode() if isinstance(text, str) else text, name, **kw)
    assert not result.skipped
    return result.documents, result.errors


def ok(kind: str = "A", extra: str = "") -> str:
    return f"apiVersion: v1\nkind: {kind}\n{extra}"


def one_error(errors: list[LoadError]) -> str:
    assert len(errors) == 1, errors
    return str(errors[0])


# ---------------------------------------------------------------- origins, lines, text


def test_origin_and_error_text() -> None:
    assert str(Origin("app.yaml", 1, 14)) == "app.yaml: document 2 (line 14)"
    assert str(Origin("app.yaml", 0, 20, 2)) == "app.yaml: document 1 item 3 (line 20)"
    assert str(LoadError("d/app.yaml", 2, 41, "boom")) == "d/app.yaml: document 3 (line 41): boom"
    assert str(LoadError("d/app.yaml", None, None, "boom")) == "d/app.yaml: boom"


def test_documents_lines_and_text() -> None:
    text = "# head\n---\n" + ok("A", "x: 1\n") + "---\n# only a comment\n---\n\n" + ok("B", "spec:\n  items:\n  - a: 1\n")
    docs, errors = load(text)
    assert not errors
    a, b = docs
    assert (a.origin, b.origin) == (Origin("app.yaml", 0, 3), Origin("app.yaml", 1, 10))
    assert a.text == "# head\n---\n" + ok("A", "x: 1\n")
    assert text.index(b.text) + len(b.text) == len(text)
    assert (a.api_version, a.kind, b.kind) == ("v1", "A", "B")
    assert a.lines[("x",)] == 5 and a.lines[()] == 3
    assert b.lines[("spec", "items", 0)] == 14 and b.lines[("spec", "items", 0, "a")] == 14
    assert b.line_of(("spec", "items", 0, "a", "missing", 3)) == 14
    assert b.line_of(("nothing",)) == 10


def test_crlf_and_lone_cr_line_numbers() -> None:
    for eol in ("\r\n", "\r"):
        text = eol.join(["apiVersion: v1", "kind: A", "---", "apiVersion: v1", "kind: B", "x: 1  # n", ""])
        docs, errors = load(text)
        assert not errors
        assert docs[1].origin.line == 4 and docs[1].lines[("x",)] == 6
        assert docs[1].comments.eol == {("x",): "n"}


def test_directives_and_document_end_markers() -> None:
    text = "%YAML 1.1\n---\n" + ok("A") + "...\n%YAML 1.1\n---\n" + ok("B") + "...\n"
    docs, errors = load(text)
    assert not errors and [(d.kind, d.origin.line) for d in docs] == [("A", 3), ("B", 8)]


def test_json_with_tabs() -> None:
    docs, errors = load('{\n\t"apiVersion": "v1",\n\t"kind": "A",\n\t"x": [1,\t2]\n}\n', "a.json")
    assert not errors and docs[0].data["x"] == [1, 2] and docs[0].lines[("x",)] == 4


def test_yaml_11_scalars_like_kubernetes() -> None:
    docs, _ = load(ok("A", "on: yes\nt: 2024-01-01\nn: 010\nnil: ~\n80: x\nq: 'yes'\n"))
    assert docs[0].data == {"apiVersion": "v1", "kind": "A", "true": True, "t": "2024-01-01",
                            "n": 8, "nil": None, "80": "x", "q": "yes"}


def test_merge_keys() -> None:
    docs, errors = load(ok("A", "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n"))
    assert not errors and docs[0].data["m"] == {"x": 1, "y": 3}


# ---------------------------------------------------------------- comments


def test_comments_attach_to_paths() -> None:
    docs, errors = load(INGRESS)
    assert not errors
    c = docs[0].comments
    paths = ("spec", "rules", 0, "http", "paths")
    assert c.leading == {
        (): ("Team A's ingress", "(owned by platform)", "marker note"),
        ("spec", "rules"): ("rules follow",),
        ("spec", "rules", 0): ("the shop",),
        paths + (0,): ("root path",),
        paths + (1,): ("api path",),
        ("data", "other"): ("after the script",),
    }
    assert c.eol == {
        ("apiVersion",): "GA since 1.19",
        ("metadata", "annotations", "note"): "real note",
        paths + (1, "path"): "versioned",
        ("spec", "tls"): "flow list",
        ("data", "script"): "header note",
    }
    assert c.trailing == ("trailing one", "trailing two")
    data = docs[0].data
    assert data["metadata"]["name"] == "web # not a comment"
    assert data["metadata"]["annotations"] == {"note": "a #b", "tag": "a#b"}
    assert data["data"]["script"] == "# inside the script\necho hi\n"


def test_comments_near_a_lone_dash_go_to_the_item() -> None:
    docs, _ = load(ok("A", "list:\n- a: 1\n# second\n- # dash\n  b: 2\n- c: [\n  # in flow\n  ]\n  d: 1\n"))
    assert docs[0].comments.leading == {("list", 1): ("second",), ("list", 2, "d"): ("in flow",)}
    assert docs[0].comments.eol == {("list", 1): "dash"}


def test_documents_without_comments_have_empty_comments() -> None:
    docs, _ = load(ok("A", "x: '#1'\n"))
    assert not docs[0].comments.leading and not docs[0].comments.eol and docs[0].comments.trailing == ()


# ---------------------------------------------------------------- List wrappers


def test_list_items_become_documents() -> None:
    text = "# exported\n" + ok("List", "items:\n# first\n- apiVersion: v1\n  kind: Service\n  metadata:\n"
                            "    name: a  # svc a\n- 3\n- apiVersion: v1\n  kind: ConfigMap\n")
    docs, errors = load(text)
    assert [(d.kind, d.origin) for d in docs] == [
        ("Service", Origin("app.yaml", 0, 6, 0)), ("ConfigMap", Origin("app.yaml", 0, 11, 2))]
    assert docs[0].lines == {(): 6, ("apiVersion",): 6, ("kind",): 7, ("metadata",): 8, ("metadata", "name"): 9}
    assert docs[0].comments.leading == {(): ("exported", "first")}
    assert docs[0].comments.eol == {("metadata", "name"): "svc a"}
    assert one_error(errors) == "app.yaml: document 1 (line 10): item 2 is a number (3), not a mapping"


def test_typed_api_list_fills_in_kind() -> None:
    docs, errors = load(ok("ServiceList", "items:\n- metadata: {name: a}\n"))
    assert not errors and (docs[0].api_version, docs[0].kind) == ("v1", "Service")


# ---------------------------------------------------------------- errors, good documents kept

BOMB = "".join([
    "apiVersion: v1\nkind: ConfigMap\n",
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
    *(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")),
])



def kinds(docs: list[Document]) -> list[str]:
    return [d.kind for d in docs]


@pytest.mark.parametrize("bad, message", [
    ("apiVersion: v1\nkind: A\nx: [1\n", "YAML syntax error at the end of the document (line 6): did not find expected ',' or ']'"),
    ("a: b: c\n", "YAML syntax error at line 4, column 5: mapping values are not allowed"),
    ("- a\n- b\n", "document is a list, not a mapping"),
    ("just text\n", "document is a string ('just text'), not a mapping"),
    ("kind: A\n", "missing apiVersion"),
    ("apiVersion: v1\nkind:\n", "missing kind"),
    ("apiVersion: 1\nkind: [A]\n", "apiVersion must be a string, not a number (1); kind must be a string, not a list"),
    ("apiVersion: v1\nkind: A\nx: 1\nx: 2\n", "duplicate key 'x' (lines 6 and 7)"),
    ("apiVersion: v1\nkind: A\nm:\n  k: 1\n  k: 2\n", "duplicate key 'k' (lines 7 and 8)"),
    ("apiVersion: v1\nkind: A\nx: !custom 1\n", "unsupported YAML tag !custom at line 6"),
    ("apiVersion: v1\nkind: A\n[a]: 1\n", "a list used as a mapping key at line 6"),
    ("apiVersion: v1\nkind: A\nx: &a [*a]\n", "recursive YAML alias"),
    ("apiVersion: v1\nkind: A\nx: " + "[" * 201 + "]" * 201 + "\n", "nested deeper than 200 levels at line 6"),
    (BOMB, "YAML aliases expand to more than 100000 nodes"),
    ("apiVersion: v1\nkind: A\nx: \x07\n", "character U+0007 at line 6: control characters are not allowed"),
])
def test_bad_document_among_good_ones(bad: str, message: str) -> None:
    docs, errors = load(ok("First") + "---\n" + bad + "---\n" + ok("Last"))
    assert kinds(docs) == ["First", "Last"]
    assert docs[1].origin.index == 2  # the bad document still counts
    text = one_error(errors)
    assert text.startswith("app.yaml: document 2 (line 4): ") and message in text, text


def test_non_utf8_names_byte_offset_and_line() -> None:
    docs, errors = load(ok("First").encode() + b"---\n" + ok("Bad").encode() + b"x: caf\xe9\n---\n" + ok("Last").encode())
    assert kinds(docs) == ["First", "Last"]
    assert one_error(errors) == ("app.yaml: document 2 (line 4): not valid UTF-8: byte 0xe9 at byte offset 62 "
                                 "(line 6, column 7)")


def test_boms_and_utf16() -> None:
    for data in (b"\xef\xbb\xbf" + ok("A", "x: caf\u00e9\n").encode(), ok("A", "x: caf\u00e9\n").encode("utf-16")):
        docs, errors = load(data)
        assert not errors and docs[0].data["x"] == "caf\u00e9" and docs[0].lines[("x",)] == 3
    assert "invalid UTF-16-LE" in one_error(load(b"\xff\xfea\x00b")[1])


def test_billion_laughs_fails_fast_and_small() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    docs, errors = load(BOMB + "---\n" + ok("Last"))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert kinds(docs) == ["Last"]
    assert "aliases expand to more than 100000 nodes" in one_error(errors)
    assert elapsed < 0.5 and peak < 20 * 1024 * 1024


def test_alias_limit_is_configurable_and_aliases_expand() -> None:
    text = ok("A", "a: &a [1, 2]\nb: [*a, *a]\n")
    docs, errors = load(text)
    assert not errors and docs[0].data["b"] == [[1, 2], [1, 2]]
    assert docs[0].data["b"][0] is not docs[0].data["a"]
    assert "more than 5 nodes" in one_error(load(text, limits=Limits(max_expanded_nodes=5))[1])


def test_nesting_limits() -> None:
    deep = ok("A", "x: " + "[" * 300 + "]" * 300 + "\n")
    assert "nested deeper than 200 levels at line 3" in one_error(load(deep)[1])
    assert not load(deep, limits=Limits(max_depth=400))[1]
    assert "exceeded maximum nesting depth" in one_error(load(ok("A", "x: " + "[" * 50000))[1])
    blocks = ok("A", "".join(" " * i + "k:\n" for i in range(990)))
    assert "too deep" in one_error(load(blocks, limits=Limits(max_depth=100_000))[1])  # RecursionError caught


def test_file_over_the_limit_is_not_read(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(100 * 1024 * 1024)  # sparse: costs no disk
    tracemalloc.start()
    result = load_paths([str(big), str(_write(tmp_path / "ok.yaml", ok("A")))])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * 1024 * 1024
    assert [str(e) for e in result.errors] == [
        f"{big}: file is 104857600 bytes, over the limit of 67108864 bytes; not read"]
    assert kinds(result.documents) == ["A"] and result.files == [str(tmp_path / "ok.yaml")]
    assert load_bytes(b"x" * 11, "s", limits=Limits(max_file_bytes=10)).errors[0].message.startswith("file is 11 bytes")


# ---------------------------------------------------------------- Helm templates


@pytest.mark.parametrize("template", [
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n",
    "{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\n{{- end }}\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-{{ .Release.Name }}\n",
])
def test_helm_templates_are_skipped_whole(template: str) -> None:
    result = load_bytes((ok("Good") + "---\n" + template).encode(), "t/svc.yaml")
    assert not result.documents and not result.errors
    assert [(s.file, s.reason) for s in result.skipped] == [("t/svc.yaml", HELM)]


def test_go_templates_in_strings_are_data() -> None:
    text = ok("ConfigMap", 'data:\n  a: "{{ $labels.instance }} is down"\n  b: |\n    {{ range .Alerts }}{{ .Labels }}{{ end }}\n'
              "  c: Instance {{ $labels.instance }} down\n  d: '{{ .Values.kept }}'\n# {{ .Values.in_a_comment }}\n")
    docs, errors = load(text)
    assert not errors and docs[0].data["data"]["c"] == "Instance {{ $labels.instance }} down"
    # a real syntax error next to quoted template text is still a syntax error, not Helm
    docs, errors = load(text + "---\n" + ok("B", 'x: "{{ $value }}"\ny: [\n'))
    assert kinds(docs) == ["ConfigMap"] and "YAML syntax error" in one_error(errors)


# ---------------------------------------------------------------- paths, directories, stdin


def _write(path, text: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_directory_walk(tmp_path) -> None:
    root = tmp_path / "repo"
    _write(root / "b.yaml", ok("B"))
    _write(root / "a" / "z.yml", ok("Z"))
    _write(root / "a" / "y.json", '{"apiVersion": "v1", "kind": "Y"}')
    _write(root / "a" / "notes.txt", "not yaml")
    _write(root / ".git" / "x.yaml", ok("Hidden"))
    _write(root / ".hidden.yaml", ok("Hidden"))
    _write(tmp_path / "outside.yaml", ok("Outside"))
    os.symlink(tmp_path / "outside.yaml", root / "c-out.yaml")
    os.symlink(root / "b.yaml", root / "d-in.yaml")
    os.symlink(tmp_path, root / "e-outdir")
    result = load_paths([str(root)])
    assert kinds(result.documents) == ["Y", "Z", "B"]
    assert result.files == [str(root / "a" / "y.json"), str(root / "a" / "z.yml"), str(root / "b.yaml")]
    assert [(s.file, s.reason.split(",")[0]) for s in result.skipped] == [
        (str(root / "c-out.yaml"), f"symlink to {tmp_path / 'outside.yaml'}"),
        (str(root / "e-outdir"), f"symlink to {tmp_path}"),
        (str(root / "d-in.yaml"), f"same file as {root / 'b.yaml'}"),
    ]
    assert not result.errors


def test_missing_unreadable_and_empty_inputs(tmp_path, monkeypatch) -> None:
    (tmp_path / "empty").mkdir()
    _write(tmp_path / "locked.yaml", ok("A"))
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith("locked.yaml"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    result = load_paths([str(tmp_path / "nope.yaml"), str(tmp_path / "locked.yaml"), str(tmp_path / "empty"),
                         str(_write(tmp_path / "good.yaml", ok("Good")))])
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'nope.yaml'}: no such file or directory",
        f"{tmp_path / 'locked.yaml'}: cannot read: Permission denied",
        f"{tmp_path / 'empty'}: directory holds no .yaml, .yml or .json files",
    ]
    assert kinds(result.documents) == ["Good"]


def test_stdin(tmp_path) -> None:
    stdin = io.BytesIO((ok("In") + "---\n[broken\n").encode())
    result = load_paths(["-", str(_write(tmp_path / "f.yaml", ok("F")))], stdin=stdin)
    assert [str(d.origin) for d in result.documents] == ["<stdin>: document 1 (line 1)", f"{tmp_path / 'f.yaml'}: document 1 (line 1)"]
    assert one_error(result.errors).startswith("<stdin>: document 2 (line 4): YAML syntax error")
    assert result.files == ["<stdin>", str(tmp_path / "f.yaml")]
    big = load_paths(["-"], stdin=io.BytesIO(b"x" * 100), limits=Limits(max_file_bytes=10))
    assert one_error(big.errors) == "<stdin>: input is larger than the limit of 10 bytes"


# ---------------------------------------------------------------- round trip


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                     st.floats(allow_nan=False))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
_documents = st.dictionaries(st.text(max_size=8), _values, max_size=4).map(
    lambda d: {**d, "apiVersion": "v1", "kind": "Thing"})


@settings(max_examples=200, deadline=None)
@given(st.lists(_documents, max_size=5))
def test_safe_dump_round_trip(documents: list[dict]) -> None:
    text = "---\n".join(yaml.safe_dump(d) for d in documents)
    result = load_bytes(text.encode(), "gen.yaml")
    assert not result.errors and not result.skipped
    assert [d.data for d in result.documents] == documents
    assert [d.origin.index for d in result.documents] == list(range(len(documents)))
