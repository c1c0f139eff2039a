"""node-postgres' pool size, one rule for every route that builds a pg Pool: `new Pool()`, TypeORM (which passes
`{ max: poolSize, ...extra }`), Prisma 7's `@prisma/adapter-pg` (`new pg.Pool(config)`), pg-boss.

pg-pool 3.x (brianc/node-postgres packages/pg-pool/index.js), read in its source:
    this.options.max = this.options.max || this.options.poolSize || 10
    _isFull() { return this._clients.length >= this.options.max }
So 0, NaN, "" and undefined fall through to the next key and then to 10; a truthy value is compared as JavaScript
compares a number with it: a numeric string counts as its number, a string that is not a number (`"abc"`) makes the
comparison always false (no limit), Infinity is no limit, a fraction is rounded up (2.5 allows 3 clients) and a
negative number makes the pool full before its first client.
"""

from __future__ import annotations

import math

from pgconnlint.expr import truthy
from pgconnlint.model import Default, Known, Location, Unknown

DEFAULT_MAX = 10  # pg-pool: `this.options.max || this.options.poolSize || 10`


def pool_max(values: list[tuple[str, Known | Unknown | None]], where: Location) -> Known | Default | Unknown:
    """The pool's `max` from the values of `max` then `poolSize`, as pg-pool resolves them (None: not set)."""
    falsy: Default | None = None
    for key, value in values:
        if value is None:
            continue
        if isinstance(value, Unknown):
            return value
        if not truthy(value.value):
            why = f"node-postgres default: {key} {shown(value.value)} is falsy, so pg-pool uses 10"
            falsy = falsy or Default(DEFAULT_MAX, value.location, why)
            continue
        return _limit(key, value)
    return falsy or Default(DEFAULT_MAX, where, "node-postgres default; max is not set")


def _limit(key: str, value: Known) -> Known:
    number = js_number(value.value)
    if math.isnan(number):
        why = f"{key} {shown(value.value)} is not a number: pg-pool's `clients.length >= max` is never true"
        return Known(math.inf, value.location, why)
    if math.isinf(number):
        why = f"{key} {shown(value.value)} is Infinity: pg-pool's `clients.length >= max` is never true"
        return Known(math.inf, value.location, why)
    if number < 0:
        why = f"{key} {shown(value.value)} is negative: the pool is full before its first connection"
        return Known(0, value.location, why)
    return Known(math.ceil(number), value.location, value.via)


def js_number(value: object) -> float:
    """What JavaScript's relational comparison makes of a value: a number, or NaN."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        try:
            return float(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else float(text)
        except (ValueError, OverflowError):
            return math.nan
    return math.nan


def shown(value: object) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if value is None:
        return "undefined"
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
