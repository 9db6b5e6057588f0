"""The declarative annotation tables (mappings/*.yaml), their loader and the generated provider docs."""

from __future__ import annotations

import copy
import dataclasses
import re

import pytest
import yaml

from conftest import REPO, SHARED, require_shared
from migrate.mapping_table import (LegacyKey, Mapping, MappingTableError, available_tables, load_table, mappings_dir,
                              table_from_data, validate_table)
from migrate.provider_docs import provider_markdown

CATALOG = SHARED / "research" / "vendor-catalog.md"
PREFIX = "nginx.ingress.kubernetes.io/"

#: handler modules of migrate/plugins/ingress_nginx/, plus the two generic reporters
HANDLER_MODULES = {"paths", "redirects", "canary", "backend", "affinity", "timeouts", "headers", "cors",
                   "security", "tls", "mirror", "misc", "explain", "legacy"}

#: which module owns which ingress-nginx annotation (first match wins); explain.report may
#: stand in for any of them when the entry has no equivalent and is not an access control
MODULE_RULES: list[tuple[str, str]] = [
    (r".+-snippet", "security"),
    (r"auth-tls-.+", "tls"),
    (r"auth-.+|(allow|white|deny)list-source-range|limit-.+|satisfy|enable-global-auth"
     r"|enable-modsecurity|enable-owasp-core-rules|modsecurity-.+", "security"),
    (r"use-regex|rewrite-target|x-forwarded-prefix", "paths"),
    (r"app-root|(permanent|temporal)-redirect(-code)?|from-to-www-redirect|(force-)?ssl-redirect"
     r"|preserve-trailing-slash|relative-redirects|use-port-in-redirects", "redirects"),
    (r"canary(-.+)?", "canary"),
    (r"backend-protocol|proxy-ssl-.+|upstream-vhost|service-upstream|load-balance|upstream-hash-by(-.+)?"
     r"|default-backend|custom-http-errors|disable-proxy-intercept-errors|proxy-http-version"
     r"|connection-proxy-header", "backend"),
    (r"affinity(-.+)?|session-cookie-.+", "affinity"),
    (r"proxy-.+-timeout|proxy-next-upstream(-.+)?|proxy-(request-)?buffering|proxy-body-size"
     r"|client-body-buffer-size|proxy-buffers?-.+|proxy-busy-buffers-size|proxy-max-temp-file-size", "timeouts"),
    (r"custom-headers|proxy-cookie-.+|proxy-redirect-(from|to)", "headers"),
    (r"enable-cors|cors-.+", "cors"),
    (r"ssl-passthrough|ssl-ciphers|ssl-prefer-server-ciphers", "tls"),
    (r"mirror-.+", "mirror"),
    (r"server-alias|enable-access-log|enable-rewrite-log|enable-opentelemetry|opentelemetry-.+|fastcgi-.+"
     r"|http2-push-preload", "misc"),
]

#: the access controls, by the rule in the plugin's brief
SECURITY_NAMES = {"allowlist-source-range", "whitelist-source-range", "denylist-source-range", "limit-rps",
                  "limit-rpm", "limit-connections", "satisfy", "enable-modsecurity", "enable-owasp-core-rules",
                  "modsecurity-transaction-id", "enable-global-auth"}


def is_security_name(name: str) -> bool:
    return name.startswith("auth-") or name.endswith("-snippet") or name in SECURITY_NAMES


def expected_module(name: str) -> str | None:
    for pattern, module in MODULE_RULES:
        if re.fullmatch(pattern, name):
            return module
    return None


@pytest.fixture(scope="module")
def nginx():
    return load_table("ingress-nginx")


def raw_table(controller: str = "ingress-nginx") -> dict:
    return yaml.safe_load((mappings_dir() / f"{controller}.yaml").read_text(encoding="utf-8"))


# --- schema ---------------------------------------------------------------------------------


def test_tables_are_found():
    assert "ingress-nginx" in available_tables()
    assert mappings_dir().resolve() == (REPO / "mappings").resolve()


@pytest.mark.parametrize("controller", available_tables())
def test_every_table_validates(controller):
    data = raw_table(controller)
    assert validate_table(data) == []
    assert data["controller"] == controller
    load_table(controller)


def _broken(mutate) -> list[str]:
    data = copy.deepcopy(raw_table())
    mutate(data)
    return validate_table(data)


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: d["annotations"]["use-regex"].update(support="maybe"), "annotations.use-regex.support"),
    (lambda d: d["annotations"]["use-regex"].update(family="sorcery"), "annotations.use-regex.family"),
    (lambda d: d["annotations"]["use-regex"].update(handler="paths.UseRegex"), "annotations.use-regex.handler"),
    (lambda d: d["annotations"]["use-regex"].update(handler="paths"), "annotations.use-regex.handler"),
    (lambda d: d["annotations"]["use-regex"].update(extra=1), "annotations.use-regex"),
    (lambda d: d["annotations"]["use-regex"].pop("note"), "annotations.use-regex"),
    (lambda d: d["annotations"]["use-regex"].update(default=False), "annotations.use-regex.default"),
    (lambda d: d["annotations"]["use-regex"].update(security="yes"), "annotations.use-regex.security"),
    (lambda d: d["annotations"]["whitelist-source-range"].update(alias_of=3), "whitelist-source-range.alias_of"),
    (lambda d: d["annotations"]["use-regex"].update(scope="server"), "annotations.use-regex.scope"),
    (lambda d: d["annotations"]["use-regex"].update(risk="severe"), "annotations.use-regex.risk"),
    (lambda d: d["legacy"]["grpc-backend"].update(family="backend"), "legacy.grpc-backend"),
    (lambda d: d.update(owner="me"), "<table>"),
    (lambda d: d.pop("prefix"), "prefix: required"),
    (lambda d: d.update(kinds={"Proxy": {"group": "x.io", "versions": ["v1"], "fields": {}}}), "kinds.Proxy.fields"),
    (lambda d: d.update(kinds={"Proxy": {"group": "x.io", "versions": ["v1"], "fields": {"spec.a[0]": {}}}}),
     "kinds.Proxy.fields"),
    (lambda d: d.update(kinds={"Proxy": {"group": "x.io", "versions": ["v1"], "fields": {"spec.a[]": {
        "gateway_api": "x", "support": "core", "handler": "m.f", "security": False, "note": "short"}}}}),
     "kinds.Proxy.fields.spec.a[].note"),
    (lambda d: d["annotations"].update({"Bad_Name": d["annotations"]["use-regex"]}), "annotations"),
    (lambda d: d["annotations"]["whitelist-source-range"].update(alias_of="nope"), "whitelist-source-range.alias_of"),
    (lambda d: d["annotations"]["limit-whitelist"].update(alias_of="whitelist-source-range"), "is itself an alias"),
    (lambda d: d["legacy"]["grpc-backend"].update(replaced_by="grpc"), "legacy.grpc-backend.replaced_by"),
])
def test_schema_rejects_broken_tables(mutate, fragment):
    problems = _broken(mutate)
    assert problems, "the broken table was accepted"
    assert any(fragment in p for p in problems), problems


def test_loader_refuses_invalid_data():
    data = raw_table()
    data["annotations"]["use-regex"]["support"] = "maybe"
    with pytest.raises(MappingTableError, match="use-regex"):
        table_from_data(data)
    with pytest.raises(MappingTableError, match="no mapping table"):
        load_table("no-such-controller")


# --- loader ---------------------------------------------------------------------------------


def test_lookup(nginx):
    entry = nginx.lookup("use-regex")
    assert isinstance(entry, Mapping) and entry.name == "use-regex" and entry.alias_of is None
    assert nginx.lookup(PREFIX + "use-regex") is entry
    alias = nginx.lookup("whitelist-source-range")
    assert isinstance(alias, Mapping) and alias.name == "whitelist-source-range"
    assert alias.alias_of == "allowlist-source-range" and alias.is_alias
    legacy = nginx.lookup("grpc-backend")
    assert isinstance(legacy, LegacyKey) and legacy.replaced_by == "backend-protocol"
    assert nginx.lookup("no-such-annotation") is None
    assert nginx.lookup("traefik.ingress.kubernetes.io/router.tls") is None


def test_table_header_and_immutability(nginx):
    assert nginx.controller == "ingress-nginx"
    assert nginx.prefix == PREFIX
    assert "dbb11b92d" in nginx.source
    with pytest.raises(dataclasses.FrozenInstanceError):
        nginx.annotations["use-regex"].support = "core"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        nginx.prefix = "x/"  # type: ignore[misc]


# --- coverage -------------------------------------------------------------------------------


def test_table_size_without_shared(nginx):
    """Guards the table even where ../shared (and so the catalog) is absent."""
    canonical = [n for n, e in nginx.annotations.items() if e.alias_of is None]
    aliases = {n: e.alias_of for n, e in nginx.annotations.items() if e.alias_of is not None}
    assert len(nginx.annotations) == 138
    assert len(canonical) == 136
    assert aliases == {"whitelist-source-range": "allowlist-source-range", "limit-whitelist": "limit-allowlist"}
    assert len(nginx.legacy) == 17
    scopes = [e.scope for n, e in nginx.annotations.items() if e.alias_of is None]
    risks = [e.risk for n, e in nginx.annotations.items() if e.alias_of is None]
    assert (scopes.count("ingress"), scopes.count("location")) == (48, 88)
    assert [risks.count(r) for r in ("critical", "high", "medium", "low")] == [5, 10, 45, 76]


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin:text.index(end, begin)]


def _first_cells(section: str) -> list[list[str]]:
    """Split the catalog's markdown table rows into cells (escaped pipes stay inside a cell)."""
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def catalog_annotations() -> dict[str, dict]:
    """name -> {scope, risk, default, alias_of, semantics} from vendor-catalog.md section 2.3."""
    text = require_shared(CATALOG).read_text(encoding="utf-8")
    out: dict[str, dict] = {}
    for cells in _first_cells(_section(text, "### 2.3", "### 2.4")):
        names = re.findall(r"`([^`]+)`", cells[0])
        scope, risk = cells[1].replace("*", "").split("/")
        canonical = names[0]
        for name in names:
            alias_of = canonical if "alias" in cells[0] and name != canonical else None
            out[name] = {"scope": {"I": "ingress", "L": "location"}[scope],
                         "risk": {"Low": "low", "Med": "medium", "High": "high", "Critical": "critical"}[risk],
                         "default": cells[3], "alias_of": alias_of, "semantics": cells[2]}
    return out


def catalog_legacy() -> list[str]:
    text = require_shared(CATALOG).read_text(encoding="utf-8")
    names = []
    for cells in _first_cells(_section(text, "### 2.4", "### 2.5")):
        names += re.findall(r"`([^`]+)`", cells[0])
    return names


def test_catalog_parser_sees_combined_rows():
    rows = catalog_annotations()
    assert rows["proxy-redirect-to"]["alias_of"] is None and rows["proxy-redirect-from"]["alias_of"] is None
    assert rows["whitelist-source-range"]["alias_of"] == "allowlist-source-range"
    assert rows["limit-whitelist"]["alias_of"] == "limit-allowlist"


def test_catalog_coverage(nginx):
    rows = catalog_annotations()
    assert len(rows) == 138, "catalog 2.3 should list 136 canonical names plus 2 aliases"
    assert sum(1 for r in rows.values() if r["alias_of"] is None) == 136
    missing = sorted(set(rows) - set(nginx.annotations))
    extra = sorted(set(nginx.annotations) - set(rows))
    assert not missing, f"catalog annotations without a table entry: {missing}"
    assert not extra, f"table entries the catalog does not list: {extra}"
    wrong = [name for name, row in rows.items()
             if (nginx.annotations[name].scope, nginx.annotations[name].risk, nginx.annotations[name].alias_of)
             != (row["scope"], row["risk"], row["alias_of"])]
    assert not wrong, f"scope/risk/alias differ from the catalog: {wrong}"
    no_default = [n for n, row in rows.items() if (row["default"] == "–") != (nginx.annotations[n].default is None)]
    assert not no_default, f"default is null exactly when the catalog has none: {no_default}"


def test_catalog_legacy_coverage(nginx):
    names = catalog_legacy()
    assert len(names) == 17
    assert sorted(names) == sorted(nginx.legacy)
    assert not set(names) & set(nginx.annotations)


def test_notes_are_not_copied_from_the_catalog(nginx):
    rows = catalog_annotations()
    copied = [n for n, row in rows.items()
              if len(row["semantics"]) > 30 and row["semantics"].replace("`", "") in nginx.annotations[n].note.replace("`", "")]
    assert not copied, copied


# --- consistency ----------------------------------------------------------------------------


def test_aliases_match_their_canonical_entry(nginx):
    for entry in nginx.annotations.values():
        if entry.alias_of is None:
            continue
        canonical = nginx.annotations[entry.alias_of]
        ignore = {"name", "alias_of", "note"}
        left = {k: v for k, v in dataclasses.asdict(entry).items() if k not in ignore}
        right = {k: v for k, v in dataclasses.asdict(canonical).items() if k not in ignore}
        assert left == right, entry.name


def test_handlers_use_the_fixed_modules(nginx):
    problems = []
    for entry in nginx.annotations.values():
        module, _, function = entry.handler.partition(".")
        owner = expected_module(entry.name)
        if module not in HANDLER_MODULES:
            problems.append(f"{entry.name}: unknown module {module}")
        elif owner is None:
            problems.append(f"{entry.name}: no module rule covers it")
        elif module == "legacy":
            problems.append(f"{entry.name}: legacy.* is for legacy keys only")
        elif module == "explain":
            if function != "report":
                problems.append(f"{entry.name}: the generic handler is explain.report")
            if entry.support != "none" or entry.security:
                problems.append(f"{entry.name}: explain.report only fits entries with no equivalent and no access control")
        elif module != owner:
            problems.append(f"{entry.name}: handled in {module}, belongs to {owner}")
    for key in nginx.legacy.values():
        if key.handler != "legacy.report":
            problems.append(f"legacy {key.name}: handler {key.handler}")
    assert not problems, "\n".join(problems)


def test_support_and_equivalent_agree(nginx):
    for entry in nginx.annotations.values():
        if entry.support == "none":
            assert entry.gateway_api.startswith("none"), entry.name
        else:
            assert not entry.gateway_api.startswith("none"), entry.name


def test_security_flags(nginx):
    flagged = {n for n, e in nginx.annotations.items() if e.security}
    expected = {n for n in nginx.annotations if is_security_name(n)}
    assert flagged == expected, (sorted(flagged - expected), sorted(expected - flagged))
    assert len(flagged) == 40
    assert {"auth-tls-secret", "auth-url", "configuration-snippet", "whitelist-source-range",
            "modsecurity-transaction-id", "enable-global-auth"} <= flagged
    assert not {"limit-burst-multiplier", "limit-rate", "limit-allowlist", "limit-whitelist"} & flagged
    assert not [k for k in nginx.legacy.values() if k.security]


def test_replaced_by_names_a_current_annotation(nginx):
    for key in nginx.legacy.values():
        assert key.replaced_by is None or key.replaced_by in nginx.annotations, key.name


# --- generated docs -------------------------------------------------------------------------


@pytest.mark.parametrize("controller", available_tables())
def test_provider_doc_is_current(controller):
    path = REPO / "docs" / "providers" / f"{controller}.md"
    assert path.is_file(), f"{path} missing: run `python -m migrate.provider_docs`"
    assert path.read_text(encoding="utf-8") == provider_markdown(load_table(controller)), \
        f"{path} is stale: run `python -m migrate.provider_docs`"


def test_provider_doc_content(nginx):
    text = provider_markdown(nginx)
    assert "generated by `python -m migrate.provider_docs`" in text
    for entry in nginx.annotations.values():
        assert f"`{entry.name}`" in text, entry.name
    for key in nginx.legacy:
        assert f"`{key}`" in text, key
    counts = dict(re.findall(r"^\| (core|extended|experimental|target-specific|none) \| (\d+) \|", text, re.M))
    assert sum(map(int, counts.values())) == 138
    assert int(counts["core"]) == sum(1 for e in nginx.annotations.values() if e.support == "core")
    assert "## Legacy keys" in text and "## Snippets and WAF" in text
    # a cell with a pipe must not break its table row
    assert "`P(/\\|$)(.*)`" in text
