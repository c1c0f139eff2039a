"""supervisord configuration: the `[program:x]` sections, their `command` and `numprocs` (supervisor's own
INI dialect, read with configparser as supervisor does), with `%(ENV_X)s` expanded from the environment
supervisord starts in (`%(program_name)s` and the other expansions supervisor defines are left as written)."""

from __future__ import annotations

import configparser
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pgconnlint.model import Known, Location, Unknown


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    command: str
    location: Location
    numprocs: Known | Unknown | None  #: `numprocs = N`: N copies of the program
    one_off: bool  #: `autorestart = false` / `startretries = 0` with `exitcodes`: a step that runs and exits


def programs(path: str, text: str, env: Mapping[str, str] | None = None) -> list[Program]:
    parser = configparser.RawConfigParser(strict=False, interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return []
    lines = text.split("\n")
    found = []
    for section in parser.sections():
        if not section.startswith("program:") or not parser.has_option(section, "command"):
            continue
        name = section.partition(":")[2]
        line = next(
            (i for i, t in enumerate(lines, 1) if t.strip().startswith("command") and _in(lines, i, section)), 1
        )
        where = Location(path, line)
        written = parser.get(section, "numprocs", fallback="").strip()
        numprocs = _expand(written, env or {})
        count: Known | Unknown | None = None
        if numprocs.isdigit():
            via = f"supervisord numprocs of program:{name}" + (f" ({written})" if written != numprocs else "")
            count = Known(int(numprocs), where, via)
        elif written:
            count = Unknown(written, where, f"supervisord numprocs of program:{name} names an unset variable")
        restart = parser.get(section, "autorestart", fallback="true").strip().lower()
        command = _expand(parser.get(section, "command"), env or {})
        found.append(Program(name, command, where, count, restart in ("false", "unexpected")))
    return found


def _in(lines: list[str], line: int, section: str) -> bool:
    """Whether line `line` (1-based) lies in `[section]`."""
    for text in reversed(lines[: line - 1]):
        header = re.match(r"\s*\[(.+)\]", text)
        if header:
            return header.group(1).strip() == section
    return False


_ENV = re.compile(r"%\(ENV_(\w+)\)[sd]")


def _expand(text: str, env: Mapping[str, str]) -> str:
    """`%(ENV_QUEUES)s` → the variable's value; one the environment does not set becomes `$QUEUES`, as unknown as a
    shell variable (never a word `s` left over from the parentheses)."""
    return _ENV.sub(lambda m: env.get(m.group(1), f"${m.group(1)}"), text)
