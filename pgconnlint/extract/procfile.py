"""Procfile (Heroku, Dokku, foreman, honcho): `name: command`, one process type per line: Python servers and
Node processes (extract/node_commands.py)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pgconnlint.extract import commands, node_commands
from pgconnlint.model import Location, NodeProcessDecl, ParseProblem, ProcessDecl

_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)\s*:\s*(?P<command>.+)$")


def extract(path: str, text: str) -> tuple[list[ProcessDecl | NodeProcessDecl], list[ParseProblem]]:
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    found: list[ProcessDecl | NodeProcessDecl] = []
    for number, line in enumerate(text.split("\n"), 1):
        match = _LINE.match(line.strip())
        if not match:
            continue
        where = Location(path, number, line.index(match.group("command")) + 1)
        source = f"{path} ({match.group('name')})"
        decl = commands.parse(match.group("command"), where, source, directory)
        if decl:
            found.append(decl)
        found += node_commands.parse(match.group("command"), where, source, "procfile", directory)
    return found, []
