"""Small readers for HTTPProxy documents: typed access that never raises on bad input,
and Go durations as Contour writes them."""

from __future__ import annotations

import re
from typing import Any

Path_ = tuple[Any, ...]
GROUP = "projectcontour.io"
CONTROLLER = "projectcontour.io/ingress-controller"
DEFAULT_CLASS = "contour"
PREFIX = "projectcontour.io/"

_GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def duration_ms(value: str) -> int | None:
    """A Go duration ('1m30s', '500ms', '1.5s') in milliseconds; None when it is not one."""
    value = value.strip()
    if value == "0":
        return 0
    if not _GO_DURATION.fullmatch(value):
        return None
    return round(sum(float(n) * _UNIT_MS[u] for n, u in _PART.findall(value)))


def gateway_duration(ms: int) -> str:
    """Milliseconds as a Gateway API Duration (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``)."""
    if ms == 0:
        return "0s"
    parts = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)


def is_contour_class(name: str | None, ctx_classes: dict, default_class: str | None) -> bool | None:
    """Whether the ingress class ``name`` is Contour's (None when no class is named)."""
    if not name:
        return None
    info = ctx_classes.get(name)
    if info is not None:
        return info.controller == CONTROLLER
    return name == DEFAULT_CLASS
