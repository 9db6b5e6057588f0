"""Upstream timeouts, retries, buffering and the request body limit.

nginx's read and send timeouts are idle timeouts (the longest pause between two
reads or writes); Gateway API's rule.timeouts.backendRequest bounds the whole
backend request. They are converted to the larger of the two, which keeps every
exchange nginx let through that finished within that time, and reported. The rest
has no standard-channel field and is reported with what changes.
"""

from __future__ import annotations

import re

from migrate.findings import spec
from migrate.ir import Timeouts
from migrate.plugins.ingress_nginx.handle import Handle
from migrate.plugins.ingress_nginx.misc import (
    duration, ignored_by_passthrough, moot_under_redirect, on_off, proxied_rules,
)

FINDINGS = (
    spec("NGX260", "warning", "converted-with-change", "Idle timeout converted to a whole-request backend timeout",
         "proxy-read-timeout and proxy-send-timeout limited the pause between two reads or writes, with no limit on "
         "the whole exchange. rule.timeouts.backendRequest (extended, HTTPRouteBackendTimeout) bounds the whole "
         "backend request, so a long stream or slow download that kept sending data is now cut off at that time."),
    spec("NGX261", "info", "converted", "Setting equal to what the Gateway does anyway",
         "The annotation asked for what a Gateway does without configuration (no retries, no body limit...); there "
         "is nothing to carry over."),
    spec("NGX262", "warning", "not-converted", "Request body size limit not carried over",
         "nginx answered 413 to request bodies above proxy-body-size (1m when unset). Gateway API has no body limit; "
         "the implementation's own limit applies (often none, sometimes smaller), unless a target-specific policy "
         "sets one."),
)

DEFAULT_IDLE = 60  # proxy-read-timeout / proxy-send-timeout when unset (ConfigMap default)
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")
_NEXT_UPSTREAM = ("error", "timeout", "invalid_header", "http_500", "http_502", "http_503", "http_504", "http_403",
                  "http_404", "http_429", "non_idempotent", "off")


def proxy_timeouts(h: Handle, names: list[str]) -> None:
    names = moot_under_redirect(h, names)
    if ignored_by_passthrough(h, names):
        return
    values = {name: h.number(name, DEFAULT_IDLE, low=1) for name in names}
    idle = [n for n in names if n in ("proxy-read-timeout", "proxy-send-timeout") and not h.is_accounted(n)]
    if idle:
        _backend_timeout(h, idle, values)
    if "proxy-connect-timeout" in names and not h.is_accounted("proxy-connect-timeout"):
        h.explain("proxy-connect-timeout", f"a {values['proxy-connect-timeout']} s connect timeout is not carried "
                                           "over.")


def _backend_timeout(h: Handle, idle: list[str], values: dict[str, int]) -> None:
    read = values.get("proxy-read-timeout", DEFAULT_IDLE)
    send = values.get("proxy-send-timeout", DEFAULT_IDLE)
    seconds = max(read, send)
    value = duration(seconds)
    rules, grpc = 0, set()
    for route, rule in proxied_rules(h):
        if route.kind == "GRPCRoute":
            grpc.add(f"{route.namespace}/{route.name}")
            continue
        request = rule.timeouts.request if rule.timeouts else None
        rule.timeouts = Timeouts(request=request, backend_request=value)
        rules += 1
    for name in idle:
        if grpc:
            h.report("NGX204", name, f"{values[name]} s not carried over to GRPCRoute {', '.join(sorted(grpc))}: "
                                     "GRPCRoute has no timeouts; the implementation's default applies.")
        if rules:
            reading = name == "proxy-read-timeout"
            gap = "two reads from the backend" if reading else "two writes to the backend"
            what = "a streaming response that sends" if reading else "an upload that sends"
            h.report("NGX260", name,
                     f"backendRequest {value} on {rules} rule(s) (the larger of read {read} s and send {send} s): "
                     f"nginx allowed up to {values[name]} s between {gap}, with no limit on the whole exchange; "
                     f"Gateway API bounds the whole backend request to {value}.",
                     example=f"{what} data every 10 s and lasts {seconds + 30} s now fails at {value}")
        elif not grpc:
            h.report("NGX261", name, "no rule proxies to a backend; nothing to convert.")


def retries(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        value = h.get(name) or ""
        if name == "proxy-next-upstream":
            tokens = value.split()
            bad = [t for t in tokens if t not in _NEXT_UPSTREAM]
            if bad or not tokens:
                h.invalid(name, value, "a list of " + ", ".join(_NEXT_UPSTREAM), "error timeout")
            elif tokens == ["off"]:
                h.report("NGX261", name, "off: nginx did not retry, and a Gateway without retry configuration does "
                                         "not either; nothing to convert.")
            else:
                h.explain(name, f"retries on {', '.join(tokens)} are not carried over (rule.retry is "
                                "experimental-channel only); such failures now reach the client.")
        elif name == "proxy-next-upstream-tries":
            tries = h.number(name, 3, low=0)
            if h.is_accounted(name):
                continue
            if tries == 1:
                h.report("NGX261", name, "1: nginx made a single attempt, as a Gateway without retry "
                                         "configuration does; nothing to convert.")
            else:
                h.explain(name, f"{'unlimited' if tries == 0 else tries} attempts are not carried over (rule.retry "
                                "is experimental-channel only).")
        else:
            h.number(name, 0, low=0)
            if not h.is_accounted(name):
                h.explain(name, "not carried over.")


def buffering(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        value = on_off(h, name, "on" if name == "proxy-request-buffering" else "off")
        if not h.is_accounted(name):
            h.explain(name, f"{value}: not carried over; the implementation's own buffering applies.")


def body_size(h: Handle, names: list[str]) -> None:
    if ignored_by_passthrough(h, names):
        return
    for name in names:
        value = h.get(name) or ""
        match = _SIZE.match(value)
        if not match:
            h.invalid(name, value, "an nginx size (a number with an optional k, m or g suffix; 0 = unlimited)", "1m")
            continue
        number, unit = int(match.group(1)), match.group(2).lower()
        if number == 0:
            h.report("NGX262", name, "0: nginx accepted request bodies of any size; the Gateway implementation's own "
                                     "limit applies instead (often none, but some implementations cap bodies).",
                     example="an upload larger than the implementation's limit is now refused")
            continue
        size = f"{number} {dict(k='KiB', m='MiB', g='GiB')[unit]}" if unit else f"{number} bytes"
        h.report("NGX262", name,
                 f"nginx answered 413 to request bodies over {size}; the limit is not carried over (no Gateway API "
                 "field) and the implementation's own limit, often none, applies unless a target-specific policy "
                 "sets one.",
                 example=f"POST with a body larger than {size} now reaches the backend instead of getting 413")
