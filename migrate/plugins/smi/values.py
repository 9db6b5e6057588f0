"""Kubernetes quantities (weights) and Go durations (timeouts), read as the mesh reads them."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import reduce

#: Gateway API's largest backendRef weight
MAX_WEIGHT = 1_000_000

_SUFFIX = {"": Fraction(1), "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6),
           "G": Fraction(10**9), "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18),
           "Ki": Fraction(2**10), "Mi": Fraction(2**20), "Gi": Fraction(2**30), "Ti": Fraction(2**40),
           "Pi": Fraction(2**50), "Ei": Fraction(2**60), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6)}
_QUANTITY = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$")


def milli_value(value: object) -> int | None:
    """A Kubernetes quantity's MilliValue (rounded up, as resource.Quantity does); None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 1000
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        return None
    found = _QUANTITY.match(value.strip())
    if not found:
        return None
    sign, number, exponent, suffix = found.groups()
    amount = Fraction(number)
    amount *= Fraction(10) ** int(exponent[1:]) if exponent else _SUFFIX[suffix or ""]
    if sign == "-":
        amount = -amount
    return math.ceil(amount * 1000)


def whole_weights(weights: list[int], *, reduce_: bool = True) -> tuple[list[int], bool]:
    """Equal ratios as whole numbers within Gateway API's range (reduced by their common divisor when
    ``reduce_``: milli-values); True when rounding changed the ratios."""
    positive = [w for w in weights if w > 0]
    divisor = reduce(math.gcd, positive) if positive and reduce_ else 1
    out = [w // divisor for w in weights]
    top = max(out, default=0)
    if top <= MAX_WEIGHT:
        return out, False
    scaled = [w * MAX_WEIGHT // top for w in out]
    return [max(s, 1) if w > 0 else 0 for s, w in zip(scaled, out)], True


_GO_UNITS = {"ns": Fraction(1, 10**6), "us": Fraction(1, 1000), "µs": Fraction(1, 1000), "μs": Fraction(1, 1000),
             "ms": Fraction(1), "s": Fraction(1000), "m": Fraction(60_000), "h": Fraction(3_600_000)}
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def go_duration_ms(text: str) -> Fraction | None:
    """A Go duration ("1.5s", "1m30s", "300ms") in milliseconds; None if Go's time.ParseDuration would refuse it."""
    text = text.strip()
    if text in ("0", "+0", "-0"):
        return Fraction(0)
    if text.startswith("-"):
        return None
    text = text.lstrip("+")
    total, pos = Fraction(0), 0
    for part in _GO_PART.finditer(text):
        if part.start() != pos:
            return None
        total += Fraction(part.group(1)) * _GO_UNITS[part.group(2)]
        pos = part.end()
    return total if pos == len(text) and pos > 0 else None


def gateway_duration(ms: int) -> str:
    """Milliseconds as a Gateway API Duration (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``), shortest form."""
    if ms <= 0:
        return "0s"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    parts = [(hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")]
    text = "".join(f"{n}{unit}" for n, unit in parts if n)
    # one unit alone reads better when it fits in five digits: 1500ms, 90s
    if ms < 100_000 and ms % 1000:
        return f"{ms}ms"
    if ms % 1000 == 0 and ms // 1000 < 100_000 and not ms % 60_000 == 0:
        return f"{ms // 1000}s"
    return text
