"""supervisord configuration: the `[program:x]` sections, their `command` and `numprocs` (supervisor's own
INI dialect, read with configparser as supervisor does)."""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass

from pgconnlint.model import Known, Location


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    command: str
    location: Location
    numprocs: Known | None  #: `numprocs = N`: N copies of the program
    one_off: bool  #: `autorestart = false` / `startretries = 0` with `exitcodes`: a step that runs and exits


def programs(path: str, text: str) -> list[Program]:
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
        numprocs = parser.get(section, "numprocs", fallback="").strip()
        count = Known(int(numprocs), where, f"supervisord numprocs of program:{name}") if numprocs.isdigit() else None
        restart = parser.get(section, "autorestart", fallback="true").strip().lower()
        found.append(Program(name, parser.get(section, "command"), where, count, restart in ("false", "unexpected")))
    return found


def _in(lines: list[str], line: int, section: str) -> bool:
    """Whether line `line` (1-based) lies in `[section]`."""
    for text in reversed(lines[: line - 1]):
        header = re.match(r"\s*\[(.+)\]", text)
        if header:
            return header.group(1).strip() == section
    return False
