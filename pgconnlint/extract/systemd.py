"""systemd service units (`*.service`): the command each `ExecStart=` runs, in its `WorkingDirectory=`, with its
`Environment=` and `EnvironmentFile=`, read as a Procfile line is (extract/commands.py, node_commands.py).

A unit names deployment paths (`/opt/app/venv/bin/gunicorn --config /opt/app/gunicorn.py`): the repository is
taken to be checked out at the unit's `WorkingDirectory`, so a path below it is that path of the repository
(`/opt/app/gunicorn.py` -> `gunicorn.py`, then, when the tree has no such file, the one file of that name:
extract/follow.py `locate`). The source of every process says so.

Read with a line reader of our own, following systemd.syntax(7): no Python library reads unit files, and
configparser (even strict=False, interpolation=None) keeps only the last of repeated keys (`Environment=` lines
add up, an empty `ExecStart=` resets the list), knows no backslash continuations and reads `%` specifiers and
`;` inside values its own way.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from pgconnlint.extract import commands, node_commands
from pgconnlint.model import EnvBinding, Location, NodeProcessDecl, ParseProblem, ProcessDecl

#: ExecStart= prefixes (systemd.service(5) "Command lines"): ignore failure, argv[0], privileges, no env expansion
_PREFIXES = "-@+!:"
_ASSIGNMENT = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9]*)\s*=\s*(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: str
    line: int


def settings(text: str, section: str = "Service") -> list[Setting]:
    """The `Key=Value` lines of one section in order, continuation lines (`\\` at the end) joined with a space,
    comment lines (`#`, `;` first) skipped, also inside a continuation."""
    found: list[Setting] = []
    current, pending, start = "", "", 0
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if line.startswith(("#", ";")):
            continue
        if pending:
            line = pending + " " + line
        else:
            start = number
        if line.endswith("\\"):
            pending = line[:-1].rstrip()
            continue
        pending = ""
        header = re.fullmatch(r"\[(.+)\]", line)
        if header:
            current = header.group(1).strip()
            continue
        match = _ASSIGNMENT.match(line)
        if match and current == section:
            found.append(Setting(match["key"], match["value"].strip(), start))
    return found


def extract(path: str, text: str) -> tuple[list[ProcessDecl | NodeProcessDecl], list[ParseProblem]]:
    lines = settings(text)
    workdir = next((s.value.lstrip("-") for s in reversed(lines) if s.key == "WorkingDirectory"), "")
    env = _environment(path, lines, workdir)
    env_files = tuple(_environment_files(lines, workdir))
    unit = PurePosixPath(path).name
    # Type=oneshot: the unit's commands run to their end (a migration, a backup), a one-off, never a server
    one_off = next((s.value for s in reversed(lines) if s.key == "Type"), "") == "oneshot"
    found: list[ProcessDecl | NodeProcessDecl] = []
    problems: list[ParseProblem] = []
    for setting in _exec_starts(lines):
        where = Location(path, setting.line)
        command = setting.value.lstrip(_PREFIXES)
        try:
            words = [_in_repository(word, workdir) for word in shlex.split(command, comments=False)]
        except ValueError:
            problems.append(ParseProblem(where, f"ExecStart= of {unit} is not a command line; not read", skipped=True))
            continue
        checkout = f" (the repository checked out at WorkingDirectory={workdir})" if workdir.startswith("/") else ""
        source = f"{path} ExecStart{checkout}"
        decl = commands.parse(words, where, source, "")
        if decl is not None:
            found.append(replace(decl, env=env, env_files=env_files, one_off=one_off))
        elif not one_off:  # not a Python server: a Node one, as a Procfile line's (`/usr/bin/node /opt/app/server.js`)
            found += [replace(item, env=env) for item in node_commands.parse(words, where, source, "procfile", "")]
    return found, problems


def _exec_starts(lines: list[Setting]) -> list[Setting]:
    """`ExecStart=` lines: an empty assignment drops the ones before it (a drop-in's reset)."""
    found: list[Setting] = []
    for setting in lines:
        if setting.key == "ExecStart":
            found = found + [setting] if setting.value else []
    return found


def _in_repository(word: str, workdir: str) -> str:
    """A path below the checkout (`/opt/app/x.py`, `--config=/opt/app/x.py`) as the repository's relative path."""
    if not workdir.startswith("/"):
        return word
    flag, equals, value = word.rpartition("=") if word.startswith("-") else ("", "", word)
    prefix = workdir.rstrip("/") + "/"
    if value == workdir.rstrip("/"):
        value = "."
    elif value.startswith(prefix):
        value = value[len(prefix) :]
    return f"{flag}{equals}{value}"


def _environment(path: str, lines: list[Setting], workdir: str) -> tuple[EnvBinding, ...]:
    """`Environment="A=1" B=2`: quoted or bare assignments, later ones over earlier ones; an empty one resets."""
    found: dict[str, EnvBinding] = {}
    for setting in lines:
        if setting.key != "Environment":
            continue
        if not setting.value:
            found = {}
            continue
        try:
            words = shlex.split(setting.value)
        except ValueError:
            continue
        for word in words:
            name, equals, value = word.partition("=")
            if equals and re.fullmatch(r"\w+", name):
                where = Location(path, setting.line)
                found[name] = EnvBinding(name, _in_repository(value, workdir), where, f"{path} Environment=")
    return tuple(found.values())


def _environment_files(lines: list[Setting], workdir: str) -> list[str]:
    """`EnvironmentFile=-/opt/app/.env`: files below the checkout, as repository paths (`-`: may be missing)."""
    found = []
    for setting in lines:
        if setting.key == "EnvironmentFile" and setting.value:
            written = _in_repository(setting.value.lstrip("-"), workdir)
            if not written.startswith("/"):
                found.append(posixpath.normpath(written))
    return found
