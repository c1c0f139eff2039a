"""PostgreSQL's parameters per major version (pgconnlint/data/postgresql-<major>.json, generated from a real
server's pg_settings by scripts/pg_catalogue.py), and how the server reads a value for each of them.

Values are read as the server does (guc.c): integers and reals may carry a unit of the parameter's kind,
memory units kB MB GB TB (and B), time units us ms s min h d, case-sensitive; booleans accept on/off,
true/false, yes/no, 1/0 and unambiguous prefixes; enums match case-insensitively.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
_MEMORY = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
_BOOLEANS = ("on", "off", "true", "false", "yes", "no", "1", "0")
_NUMBER = re.compile(r"\s*([+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?))\s*([A-Za-z]*)\s*")
#: the parameters the connection budget is built on
SLOT_PARAMETERS = frozenset({"max_connections", "superuser_reserved_connections", "reserved_connections"})
_OCTAL = re.compile(r"[+-]?0[0-7]+")
_HUGE = 1e300  # beyond any parameter's range; kept away from float overflow (1e400 is inf, int → float overflows)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """PostgreSQL's parameters of one major version, by name (pgconnlint/data/postgresql-*.json)."""

    version: int
    parameters: dict[str, dict]

    def suggestion(self, name: str) -> str | None:
        import difflib  # only for a mistake: ~1 ms to import (issue 19)

        close = difflib.get_close_matches(name, self.parameters, n=1, cutoff=0.75)
        return close[0] if close else None


def versions() -> list[int]:
    return sorted(int(path.stem.rsplit("-", 1)[1]) for path in DATA.glob("postgresql-*.json"))


@functools.cache
def load(target: int | None = None) -> Catalogue:
    """The catalogue of `target`, else of the newest version at or below it, else the newest there is."""
    available = versions()
    below = [version for version in available if target is None or version <= target]
    version = (below or available)[-1]
    data = json.loads((DATA / f"postgresql-{version}.json").read_text(encoding="utf-8"))
    return Catalogue(version, data["parameters"])


def check_value(spec: dict, text: str) -> str | None:
    """What is wrong with `text` as a value of the parameter `spec`, or None when the server accepts it."""
    kind = spec["type"]
    if kind == "bool":
        word = text.strip().lower()
        prefixes = {b for b in _BOOLEANS[:6] if word and b.startswith(word)}  # "o" is on or off: refused
        ok = word in _BOOLEANS or len(prefixes) == 1
        return None if ok else f"{text!r} is not a boolean (on, off, true, false, yes, no, 1, 0)"
    if kind == "enum":
        allowed = spec["enum"] or []
        return None if text.strip().lower() in allowed else f"{text!r} is not one of {', '.join(allowed)}"
    if kind in ("integer", "real"):
        return _check_number(spec, text)
    return None


def number(text: str) -> tuple[int | float, str] | None:
    """The number and unit of a parameter value as PostgreSQL reads it (guc.c parse_int/parse_real): strtol with base
    0 first (`0x32` and `062` are 50), else strtod (`5e1`, `50.0`); None when it is no number or out of any range
    (`1e400`, which strtod reports as ERANGE)."""
    match = _NUMBER.fullmatch(text)
    if not match:
        return None
    literal, unit = match.group(1), match.group(2)
    digits = literal.lstrip("+-")
    sign = -1 if literal.startswith("-") else 1
    if digits[:2] in ("0x", "0X"):
        value: int | float = sign * int(digits, 16)
    elif _OCTAL.fullmatch(literal):
        value = sign * int(digits, 8)
    elif "." in literal or "e" in literal or "E" in literal:
        value = float(literal)
    else:
        value = int(literal)
    return (value, unit) if abs(value) < _HUGE else None


def integer(spec: dict, text: str) -> int | str:
    """An integer parameter's value in its base unit, rounded as the server rounds it (rint: half to even), or what
    is wrong with it: the server refuses every value outside [min, max] and will not start."""
    problem = _check_number(spec, text)
    if problem:
        return problem
    value, unit = number(text)  # type: ignore[misc]  # checked above
    scale = _unit_scale(unit, spec["unit"]) if unit else 1
    return round(value * scale)


def as_server_reads(name: str, text: str, value: object) -> object:
    """The value of parameter `name` written as `text`, for an integer parameter read as the server reads it
    (`5e1`, `50.0`, `50.4`, `0x32` are 50); `value` (the reader's own) for other kinds and for numbers with a unit.
    A connection-slot value the server refuses stays the text as written, never a number: no budget is built on
    it, and PGC311 reports it. The newest catalogue decides the kind: parameter kinds do not change between versions."""
    spec = load().parameters.get(name)
    if spec is None or spec["type"] != "integer":
        return value
    read = integer(spec, text)
    if isinstance(read, str):
        return text if name in SLOT_PARAMETERS else value
    parsed = number(text)
    return read if parsed is not None and not parsed[1] else value


def _check_number(spec: dict, text: str) -> str | None:
    parsed = number(text)
    if parsed is None:
        return f"{text!r} is not a number" if not _NUMBER.fullmatch(text) else f"{text!r} is out of range"
    amount, unit = parsed
    base = spec["unit"]
    if unit:
        scale = _unit_scale(unit, base)
        if scale is None:
            kinds = _unit_kind(base)
            valid = f"valid units for this parameter are {', '.join(kinds)}" if kinds else "it takes no unit"
            return f"{text!r} has the unit {unit!r}: {valid} (units are case-sensitive)"
        amount *= scale
    if abs(amount) >= _HUGE:
        return f"{text!r} is out of range"
    # Since PostgreSQL 12 an integer parameter rounds a fraction (parse_int), so "1.5" is not an error.
    low, high = float(spec["min"]), float(spec["max"])
    shown = f"{round(amount)} × {base}" if base and base[0].isdigit() else f"{round(amount)} {base or ''}".rstrip()
    if amount < low:
        return f"{text!r} is {shown}, below the minimum {spec['min']}{' ' + base if base else ''}"
    if amount > high:
        return f"{text!r} is {shown}, above the maximum {spec['max']}{' ' + base if base else ''}"
    return None


def _unit_kind(base: str | None) -> list[str]:
    if base in ("B", "kB", "8kB", "MB", "16MB"):
        return list(_MEMORY)
    if base in ("us", "ms", "s", "min"):
        return list(_TIME)
    return []


def _unit_scale(unit: str, base: str | None) -> float | None:
    """How many of the parameter's own unit one `unit` is (`MB` for `8kB` pages: 128)."""
    if base in ("B", "kB", "8kB", "MB", "16MB") and unit in _MEMORY:
        return _MEMORY[unit] / _memory_base(base)
    if base in ("us", "ms", "s", "min") and unit in _TIME:
        return _TIME[unit] / _TIME[base]
    return None


def _memory_base(base: str) -> int:
    match = re.fullmatch(r"(\d*)(B|kB|MB)", base)
    return int(match.group(1) or 1) * _MEMORY[match.group(2)]


def bytes_of(spec: dict, text: str) -> int | None:
    """A memory parameter's value in bytes (`shared_buffers = 16384` is 16384 pages of 8 kB)."""
    parsed = number(text)
    if parsed is None or spec.get("unit") not in ("B", "kB", "8kB", "MB", "16MB"):
        return None
    amount, unit = parsed
    if unit:
        return int(amount * _MEMORY[unit]) if unit in _MEMORY else None
    return int(amount * _memory_base(spec["unit"]))
