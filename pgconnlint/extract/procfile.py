"""Procfile (Heroku, Dokku, foreman, honcho): `name: command`, one process type per line."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from pgconnlint.extract import commands
from pgconnlint.model import Location, ParseProblem, ProcessDecl

_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)\s*:\s*(?P<command>.+)$")


def extract(path: str, text: str) -> tuple[list[ProcessDecl], list[ParseProblem]]:
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        match = _LINE.match(line.strip())
        if not match:
            continue
        where = Location(path, number, line.index(match.group("command")) + 1)
        decl = commands.parse(match.group("command"), where, f"{path} ({match.group('name')})", directory)
        if decl:
            found.append(decl)
    return found, []
