"""PostgreSQL servers started by containers: `docker run … postgres -c max_connections=200` in shell scripts,
Makefiles and CI workflows, and compose services running a PostgreSQL image.

The official image's entrypoint puts `postgres` in front of arguments that start with `-`, so both
`postgres -c x=1` and `-c x=1` configure the server (FACTS.md). Among command-line options the later one wins,
and `-N` is max_connections, `-B` shared_buffers.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from pgconnlint import parameters
from pgconnlint.extract.commands import flag_value
from pgconnlint.interpolation import expand_unset
from pgconnlint.model import EnvBinding, Known, Location, ServerCommand

IMAGES = re.compile(
    r"^(?:[\w.-]+(?::\d+)?/)*(postgres|postgresql|postgis|timescaledb(?:-ha)?|pgvector|supabase-postgres)"
    r"(?::[\w.-]+)?(?:@sha256:\w+)?$"
)
_SHORT = {"-N": "max_connections", "-B": "shared_buffers", "-p": "port"}
_DOCKER_RUN = re.compile(r"\b(?:docker|podman)\s+(?:container\s+)?run\b")
_VALUE_FLAGS = {
    "-e",
    "--env",
    "-p",
    "--publish",
    "-v",
    "--volume",
    "--name",
    "--network",
    "--net",
    "-w",
    "--workdir",
    "--user",
    "-u",
    "--env-file",
    "--restart",
    "--shm-size",
    "--memory",
    "-m",
    "--cpus",
    "--mount",
    "--label",
    "-l",
    "--entrypoint",
    "--platform",
    "--health-cmd",
    "--hostname",
    "-h",
    "--ulimit",
}


def is_postgres_image(image: str) -> bool:
    """`postgres:16`, `${REGISTRY:-docker.io}/library/postgres`, `postgres:${TAG:-16}`, and the images built on it
    (postgis, timescaledb, pgvector, pgautoupgrade, bitnami/postgresql, supabase/postgres): a variable reads as its
    default, and an unset one as a placeholder that keeps the name's shape."""
    written = expand_unset(image.strip(), placeholder=lambda reference: "x")[0]
    return bool(IMAGES.match(written) or _DERIVED.match(written))


_DERIVED = re.compile(
    r"^(?:[\w.-]+(?::\d+)?/)*(?:pgautoupgrade|supabase/postgres|bitnami/postgresql[\w-]*)(?::[\w.-]+)?$"
)


def settings_from_args(args: list[str], where: Location) -> list[tuple[str, Known]]:
    """`postgres -c a=1 --b=2 -N 50` → [(a, 1), (b, 2), (max_connections, 50)], values as PostgreSQL reads them."""
    found = []
    tokens = args[1:] if args and args[0] == "postgres" else list(args)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        pair = None
        if token == "-c" and index + 1 < len(tokens):
            pair, index = tokens[index + 1], index + 1
        elif token.startswith("-c") and "=" in token or token.startswith("--") and "=" in token:
            pair = token[2:]
        elif token in _SHORT and index + 1 < len(tokens):
            pair, index = f"{_SHORT[token]}={tokens[index + 1]}", index + 1
        if pair and "=" in pair:
            name, _, value = pair.partition("=")
            name = name.strip().lower().replace("-", "_")
            found.append((name, _known(name, value, where)))
        index += 1
    return found


# `${VAR:-1024}` / `${VAR-1024}`: compose and the shell give the default when the variable is unset (or empty)
_DEFAULTED = re.compile(r"\$\{(?P<name>\w+):?-(?P<default>[^}]*)\}")


def _known(name: str, text: str, where: Location) -> Known:
    """A setting as PostgreSQL reads it; a `${VAR:-default}` is read as its default, and says so."""
    text = text.strip().strip("'\"")
    defaulted = _DEFAULTED.fullmatch(text)
    via = where.short
    if defaulted:
        text = defaulted.group("default")
        via = f"the default of ${{{defaulted.group('name')}}}, {where.short}; the variable may set another value"
    return Known(_value(name, text), where, via)


def _value(name: str, text: str) -> object:
    plain = int(text) if re.fullmatch(r"\d+", text) else text
    return parameters.as_server_reads(name, text, plain)


def extract(path: str, text: str) -> tuple[list[ServerCommand], list]:
    return docker_runs(path, text), []


def docker_runs(path: str, text: str) -> list[ServerCommand]:
    """Every `docker run … <postgres image> …` command in a shell script, Makefile or CI workflow."""
    found = []
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        start = number
        command = lines[number]
        while command.rstrip().endswith("\\") and number + 1 < len(lines):  # continued lines
            number += 1
            command = command.rstrip()[:-1] + " " + lines[number]
        number += 1
        match = _DOCKER_RUN.search(command)
        if match:
            server = _docker_run(command[match.end() :], Location(path, start + 1, match.start() + 1), path)
            if server:
                found.append(server)
    return found


def _docker_run(arguments: str, where: Location, path: str) -> ServerCommand | None:
    try:
        tokens = shlex.split(arguments.split("&&")[0].split(";")[0], comments=True)
    except ValueError:
        return None
    volumes, env, index = [], [], 0
    while index < len(tokens):
        token = tokens[index]
        flag = token.partition("=")[0]
        if token.startswith("-") and flag in _VALUE_FLAGS:
            value, index = flag_value(tokens, index)
            if flag in ("-v", "--volume"):
                volumes.append(value)
            elif flag in ("-e", "--env") and "=" in value:
                env.append(value)
        elif not token.startswith("-") and is_postgres_image(token):  # other words: values of flags we do not list
            args = tokens[index + 1 :]
            if args and not args[0].startswith("-") and args[0] != "postgres":
                return None  # the image running a client (`psql`, `pg_dump`, `bash`), not the server
            settings = settings_from_args(args, where)
            # Scripts and CI steps run from the repository root, so relative mounts are read from there.
            config_file = mounted_config(dict(settings).get("config_file"), volumes, "")
            bindings = tuple(EnvBinding(*pair.split("=", 1), where, path) for pair in env)
            return ServerCommand(
                f"{path}:{where.line} docker run {token}", where, token, tuple(settings), config_file, bindings
            )
        index += 1
    return None


def mounted_config(config_file: Known | None, volumes: list[str], base: str) -> str | None:
    """The repository file mounted at the path `-c config_file=` names (`./db/pg.conf:/etc/postgresql/pg.conf`)."""
    if config_file is None:
        return None
    target = str(config_file.value)
    for volume in volumes:
        source, _, rest = volume.partition(":")
        mounted = rest.split(":")[0]
        if source.startswith((".", "/")) and not source.startswith("/") and mounted == target:
            joined = posixpath.normpath(posixpath.join(base or ".", source))
            return None if joined.startswith("..") else joined
        if mounted and target.startswith(mounted.rstrip("/") + "/") and source.startswith("."):
            joined = posixpath.normpath(posixpath.join(base or ".", source, target[len(mounted.rstrip("/")) + 1 :]))
            return None if joined.startswith("..") else joined
    return None
