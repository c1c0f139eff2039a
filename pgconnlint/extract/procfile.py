"""Procfile (Heroku, Dokku, foreman, honcho): `name: command`, one process type per line: Python servers and
Node processes (extract/node_commands.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import PurePosixPath

from pgconnlint.extract import commands, node_commands
from pgconnlint.model import Location, NodeProcessDecl, ParseProblem, ProcessDecl

_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)\s*:\s*(?P<command>.+)$")


def extract(path: str, text: str) -> tuple[list[ProcessDecl | NodeProcessDecl], list[ParseProblem]]:
    directory = str(PurePosixPath(path).parent).removeprefix(".")
    found: list[ProcessDecl | NodeProcessDecl] = []
    release: list = []
    for number, line in enumerate(text.split("\n"), 1):
        match = _LINE.match(line.strip())
        if not match:
            continue
        where = Location(path, number, line.index(match.group("command")) + 1)
        source = f"{path} ({match.group('name')})"
        if match.group("name") == "release":  # runs before each deploy, with the config vars the processes get
            release += commands.steps_of(match.group("command"), where)
        decl = commands.parse(match.group("command"), where, source, directory)
        if decl:  # the release phase runs to its end before the new processes start: what it runs is one-off
            found.append(replace(decl, one_off=True) if match.group("name") == "release" else decl)
        found += node_commands.parse(match.group("command"), where, source, "procfile", directory)
    if release:  # the release phase's migrations, read by each process's group with the environment it shares
        found = [replace(d, one_offs=(*release, *d.one_offs)) if isinstance(d, ProcessDecl) else d for d in found]
    return found, []
