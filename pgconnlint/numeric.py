"""Counts read from a repository, made safe to compute with: `1e308` workers or a pool `max` of `1e400` (JSON reads
it as infinity) must never overflow, and a negative count must never make a total negative."""

from __future__ import annotations

import math

#: more processes or connections than any deployment has: a larger count is held as this one, a whole number the
#: budget can multiply (math.inf would not do for a process count)
MAX_COUNT = 10**9


def count(value: object) -> int | None:
    """A count as the budget can hold it: a whole number, at most MAX_COUNT (1e308 and 1e400 are MAX_COUNT), None
    when it is no count at all (NaN, negative, a boolean, not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value < 0:
        return None
    return MAX_COUNT if value >= MAX_COUNT else int(value)


def whole(value: int | float) -> int:
    """A finite number as a whole number within ±MAX_COUNT (`-1` stays -1, a sentinel some libraries read; 1e308 and
    infinity become MAX_COUNT). NaN is the caller's to refuse."""
    if value >= MAX_COUNT:
        return MAX_COUNT
    if value <= -MAX_COUNT:
        return -MAX_COUNT
    return int(value)
