"""uWSGI ini files: `processes`/`workers`, `threads`, `gevent`, the `if-env`/`if-not-env` blocks around them, and
`attach-daemon` programs that run beside the app. uWSGI's ini is not configparser's (repeated keys, conditional
blocks), so it is read line by line as uWSGI reads it (core/ini.c); `hook-pre-app` steps are one-offs."""

from __future__ import annotations

import re
import shlex

from pgconnlint.expr import Expr, Lit, Obj
from pgconnlint.model import Location

_KEYS = {"processes": "processes", "workers": "processes", "threads": "threads", "gevent": "gevent"}


def read(path: str, text: str, env: dict[str, str]) -> tuple[Obj, list[tuple[list[str], Location]]]:
    """The settings (processes, threads, gevent) and the `attach-daemon` commands, for the environment `env`."""
    entries: dict[str, Expr] = {}
    keys: dict[str, Location] = {}
    daemons: list[tuple[list[str], Location]] = []
    active = [True]
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        match = re.match(r"([\w-]+)\s*=\s*(.*)$", line)
        if not match or line.startswith((";", "#")):
            continue
        key, value = match.group(1), _expand(match.group(2).strip(), env)
        where = Location(path, number, raw.index(key) + 1)
        if key in ("if-env", "if-not-env"):
            name = value.split("=", 1)[0]
            present = name in env and bool(env[name])
            active.append(active[-1] and (present if key == "if-env" else not present))
            continue
        if key == "endif" or key.startswith("end"):
            active = active[:-1] or [True]
            continue
        if not active[-1]:
            continue
        if key in _KEYS and re.fullmatch(r"\d+", value):
            entries[_KEYS[key]] = Lit(where, value, int(value))
            keys[_KEYS[key]] = where
        elif key in ("attach-daemon", "attach-daemon2", "smart-attach-daemon"):
            words = _words(value.removeprefix("cmd=") if key == "attach-daemon2" else value)
            if words:
                daemons.append((words, where))
    return Obj(Location(path, 1), path, entries, keys), daemons


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _expand(value: str, env: dict[str, str]) -> str:
    """uWSGI's `$(VAR)` environment references."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)
