"""The simulator's data: annotations as the controller parses them, the nginx configuration
it renders (servers, locations, upstreams), and the nginx mechanics the phases share
(PCRE patterns, variable expansion, the redirect parser).

Kept apart from :mod:`.simulator` so that building the configuration
(:mod:`.sim_servers`) and running a location's phases (:mod:`.sim_actions`) use one
reading of the controller's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from migrate.mapping_table import load_table
from migrate.plugins.ingress_nginx.handle import FALSE, TRUE  # Go strconv.ParseBool
from migrate.semantics.ingress import IngressObject

CATCH_ALL = "_"
HTTP_REDIRECT_CODE = 308  # ConfigMap http-redirect-code
ALIASES = load_table("ingress-nginx").aliases  # canonical name -> the alias names that mean it
_INT = re.compile(r"^[+-]?\d+$")
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


class Annotations:
    """One Ingress's ingress-nginx annotations (prefix stripped), read as the controller parses them."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, name: str) -> str | None:
        for key in (name, *ALIASES.get(name, ())):
            if key in self.values:
                return self.values[key].strip()
        return None

    def text(self, name: str) -> str:
        return self.get(name) or ""

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        return default  # absent or not a Go bool: the parser's default

    def number(self, name: str) -> int | None:
        """The value as a Go int, or None when absent or malformed."""
        value = self.get(name)
        return int(value) if value is not None and _INT.match(value) else None


NO_ANNOTATIONS = Annotations()


@dataclass
class Location:
    """One nginx location of a server."""

    path: str
    path_type: str  # "Exact" or "Prefix"
    ing: IngressObject | None  # whose annotations apply (None: the controller's defaults)
    ann: Annotations
    #: the location's Rewrite/Redirect annotations; None where the controller leaves them unset
    rewrite: Annotations | None
    backend: str | None  # "ns/svc:port"; None: the controller's default backend (404)
    upstream: tuple | None  # canary merging works on upstreams
    source: str  # a pointer for Outcome.rule
    is_default: bool = False
    ingress_path: str = ""  # the path as written in the Ingress (for rewrite-target)
    exact_copy: bool = False  # the "= /p" location added for a Prefix "/p"

    def rw(self, name: str) -> str | None:
        return self.rewrite.get(name) if self.rewrite is not None else None

    def rw_flag(self, name: str, default: bool) -> bool:
        if self.rewrite is None:
            return False
        return self.rewrite.flag(name, default)

    @property
    def rewrite_target(self) -> str:
        return self.rw("rewrite-target") or ""

    @property
    def needs_rewrite(self) -> bool:
        return bool(self.rewrite_target) and self.rewrite_target != self.path

    @property
    def use_regex(self) -> bool:
        return self.rw_flag("use-regex", False)


@dataclass
class Server:
    hostname: str
    locations: list[Location]
    creator: IngressObject | None = None
    creator_ann: Annotations = field(default_factory=Annotations)
    aliases: list[str] = field(default_factory=list)
    has_cert: bool = False
    from_to_www: IngressObject | None = None  # the first Ingress asking for the www redirect
    auth_tls: Annotations | None = None
    auth_tls_ing: IngressObject | None = None
    regex: bool = False


@dataclass
class Upstream:
    key: tuple
    canary_policy: Annotations | None  # set when a canary Ingress created it (NoServer)
    alternatives: list[tuple] = field(default_factory=list)
    ref: str = ""


@lru_cache(maxsize=1024)
def compile_pcre(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
    """A PCRE pattern in Python's dialect (named groups renamed); None if Python cannot compile it."""
    try:
        return re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern), flags)
    except re.error:
        return None


def expand(text: str, variables: dict[str, str], groups: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """Expand nginx ``$var``/``${var}`` and ``$1..$9``; unknown variables stay as written (and are listed)."""
    unknown: list[str] = []

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        if name.isdigit():
            n = int(name)
            return groups[n - 1] if 0 < n <= len(groups) else ""
        if name in variables:
            return variables[name]
        unknown.append(m.group(0))
        return m.group(0)

    return _VARIABLE.sub(one, text), unknown


def absolute_url(url: str) -> str:
    """``https://host`` -> ``https://host/`` (the same URI, RFC 3986 6.2.3)."""
    parts = urlsplit(url)
    head = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme and parts.netloc and not parts.path and url.startswith(head):
        return head + "/" + url[len(head):]
    return url


def redirect_config(ann: Annotations) -> tuple[str, str, int] | None:
    """The controller's redirect parser: (annotation, URL, code); ("", "", 0) for from-to-www
    alone; None when there is nothing, or when a malformed value makes the parser fail (which
    drops every redirect of the Ingress, from-to-www-redirect included)."""
    www = ann.get("from-to-www-redirect")
    if www is not None and www not in TRUE + FALSE:
        return None
    for name, code_name, default, high in (("temporal-redirect", "temporal-redirect-code", 302, 307),
                                           ("permanent-redirect", "permanent-redirect-code", 301, 308)):
        if ann.get(code_name) is not None and ann.number(code_name) is None:
            return None
        url = ann.text(name)
        if not url:
            continue
        if not urlsplit(url).scheme.startswith("http"):
            return None
        code = ann.number(code_name)
        return name, url, code if code is not None and 300 <= code <= high else default
    return ("", "", 0) if ann.flag("from-to-www-redirect", False) else None
