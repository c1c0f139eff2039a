"""Python servers and workers on a command line: `gunicorn -w 4 -k gthread app:app`, `uvicorn app:app
--workers 4`, `celery -A proj worker -c 8`, found in Procfiles, Dockerfiles and compose files.

A command is split with shlex, wrappers (`python -m`, `exec`, `poetry run`, `ddtrace-run`, `sh -c "…"`) are
looked through, and each server's flags are read by their long names. `$VAR` and `${VAR:-default}` become
environment lookups, evaluated when linked.
"""

from __future__ import annotations

import re
import shlex

from pgconnlint.expr import Arr, EnvVar, Expr, Lit, Logical, Obj
from pgconnlint.model import Location, ProcessDecl

SERVERS = ("gunicorn", "uvicorn", "hypercorn", "fastapi", "granian", "celery", "rq")
# short flag -> long name, and which flags take a value, per server (their --help)
_FLAGS = {
    "gunicorn": {
        "-w": "workers",
        "-k": "worker_class",
        "-c": "config",
        "--worker-class": "worker_class",
        "--workers": "workers",
        "--threads": "threads",
        "--worker-connections": "worker_connections",
        "--config": "config",
        "-b": "bind",
        "--bind": "bind",
    },
    "uvicorn": {"--workers": "workers"},
    "hypercorn": {"-w": "workers", "--workers": "workers", "-k": "worker_class", "--worker-class": "worker_class"},
    "fastapi": {"--workers": "workers"},
    "granian": {
        "--workers": "workers",
        "--interface": "interface",
        "--threads": "threads",
        "--blocking-threads": "threads",
    },
    "celery": {
        "-c": "concurrency",
        "--concurrency": "concurrency",
        "-P": "pool",
        "--pool": "pool",
        "--autoscale": "autoscale",
    },
    "rq": {},
}
_WRAPPERS = {
    "exec",
    "python",
    "python3",
    "-m",
    "poetry",
    "pipenv",
    "uv",
    "run",
    "ddtrace-run",
    "newrelic-admin",
    "run-program",
    "opentelemetry-instrument",
    "pdm",
    "hatch",
    "dumb-init",
    "tini",
    "--",
    "gosu",
}
_VARIABLE = re.compile(r"^\$(?:\{(?P<braced>\w+)(?::?-(?P<default>[^}]*))?\}|(?P<bare>\w+))$")


def parse(command: str | list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    """The Python server a command starts, with its flags; None when it starts none we know."""
    tokens = shell_words(command)
    segment: list[str] = []
    for token in [*tokens, "&&"]:  # `alembic upgrade head && gunicorn …`: each command of the chain
        if token not in ("&&", ";", "||", "&"):
            segment.append(token)
            continue
        found = _segment(segment, where, source, directory)
        if found:
            return found
        segment = []
    return None


def _segment(tokens: list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    skip = 0
    for index, token in enumerate(tokens):
        name = token.rsplit("/", 1)[-1]
        if skip:
            skip -= 1
            continue
        if name in ("gosu", "su-exec", "setpriv", "chpst") and index + 1 < len(tokens):
            skip = 1  # the user (or option) they run the command as
            continue
        if name in SERVERS:
            rest = tokens[index + 1 :]
            return _decl(name, rest, where, source, directory) if _starts_server(name, rest) else None
        if name in ("sh", "bash") and tokens[index + 1 : index + 2] == ["-c"] and index + 2 < len(tokens):
            return parse(tokens[index + 2], where, source, directory)
        if name not in _WRAPPERS and not name.startswith("-") and not re.fullmatch(r"\w+=.*", token):
            return None  # the command is something else (node, alembic, …)
    return None


def _starts_server(name: str, rest: list[str]) -> bool:
    if name == "celery":
        return "worker" in rest
    if name == "fastapi":
        return bool(rest) and rest[0] == "run"
    if name == "rq":
        return bool(rest) and rest[0] == "worker"
    return True


def shell_words(command: str | list[str]) -> list[str]:
    if isinstance(command, list):
        return [str(part) for part in command]
    try:
        return shlex.split(command, comments=True)
    except ValueError:  # an unbalanced quote: still try word by word
        return command.split()


def command_words(value: Expr | None) -> list[str] | None:
    """A `command:` / `args:` as YAML writes it (compose, Kubernetes): a list of words, or one string split as a shell
    would split it; None when there is none. A null item is no word."""
    if isinstance(value, Arr):
        return [str(item.value) for item in value.items if isinstance(item, Lit) and item.value is not None]
    if isinstance(value, Lit) and isinstance(value.value, str):
        try:
            return shlex.split(value.value)
        except ValueError:  # an unbalanced quote: still try word by word
            return value.value.split()
    return None


def _decl(server: str, args: list[str], where: Location, source: str, directory: str) -> ProcessDecl:
    flags = _FLAGS[server]
    entries: dict[str, Expr] = {}
    positional = []
    index = 0
    while index < len(args):
        token = args[index]
        flag = token.partition("=")[0]
        if token.startswith("-") and flag in flags:
            value, index = flag_value(args, index)
            entries[flags[flag]] = shell_value(value, where)
        elif server == "celery" and re.fullmatch(r"-c\d+", token):  # `-c8`
            entries["concurrency"] = shell_value(token[2:], where)
        elif not token.startswith("-"):
            positional.append(token)
        index += 1
    apps = [token for token in positional if re.fullmatch(r"[\w.]+:[\w.()]+", token)]  # module:attribute
    if apps:
        entries["app"] = Lit(where, apps[0], apps[0])
    config = entries.get("config")
    config_file = config.value if isinstance(config, Lit) and isinstance(config.value, str) else None
    if config_file and config_file.startswith("python:"):
        config_file = None  # a module path, not a file
    keys = {key: where for key in entries}
    return ProcessDecl(
        server, Obj(where, " ".join([server, *args])[:80], entries, keys), source, directory, config_file
    )


def flag_value(args: list[str], index: int) -> tuple[str, int]:
    """The value of the flag at `args[index]`, written `--flag=value` or `--flag value`, and the index of the
    last word it took."""
    inline = args[index].partition("=")[2]
    if inline:
        return inline, index
    return (args[index + 1], index + 1) if index + 1 < len(args) else ("", index)


def shell_value(text: str, where: Location) -> Expr:
    """A flag's value: a number, a word, or `$VAR` / `${VAR:-default}` (an environment lookup with a fallback)."""
    match = _VARIABLE.match(text)
    if match:
        name = match.group("braced") or match.group("bare")
        lookup = EnvVar(where, text, name)
        default = match.group("default")
        return Logical(where, text, "||", lookup, shell_value(default, where)) if default is not None else lookup
    if re.fullmatch(r"-?\d+", text):  # pm2's `-i -1` is CPUs minus one
        return Lit(where, text, int(text))
    return Lit(where, text, text)
