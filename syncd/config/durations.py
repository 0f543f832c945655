"""Durations in the configuration: written as '90s', '15m', '6h' or '30d', parsed once at load
into a timedelta, each setting with its own lower bound."""

from __future__ import annotations

import re
from datetime import timedelta

from pydantic import PlainSerializer, PlainValidator

_DURATION = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"expected a duration such as '90s', '15m', '6h' or '30d', got {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """The shortest way to write `value` back, in the largest unit that divides it."""
    seconds = int(value.total_seconds())
    for unit, size in _UNIT_SECONDS.items():
        if seconds % size == 0 and (seconds or unit == "s"):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"  # unreachable: every whole count of seconds divides by 1


AS_TEXT = PlainSerializer(format_duration)


def at_least(minimum: timedelta, *, zero: bool = False) -> PlainValidator:
    """The validator of a duration setting: text parsed once, at least `minimum`; `zero`
    also admits 0s where it means 'off'. Use as Annotated[timedelta, at_least(...), AS_TEXT]."""

    def validate(value: object) -> timedelta:
        if isinstance(value, timedelta):
            parsed = value
        elif isinstance(value, str):
            parsed = parse_duration(value)
        else:
            raise ValueError(
                f"expected a duration such as '90s', '15m', '6h' or '30d', got {value!r}"
            )
        if parsed < minimum and not (zero and not parsed):
            alternative = " (or 0s)" if zero else ""
            raise ValueError(
                f"must be at least {format_duration(minimum)}{alternative}, "
                f"got {format_duration(parsed)}"
            )
        return parsed

    return PlainValidator(validate)
