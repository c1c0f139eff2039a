"""pgbouncer.ini: the [pgbouncer] settings and the [databases] entries, each with its line.

The format is INI with `;` and `#` comments (PgBouncer's own sample, etc/pgbouncer.ini); configparser keeps no
line numbers, so lines are read here. A database entry is a libpq-style string (`host=db pool_size=40`).
Compose containers of the edoburu/pgbouncer and bitnami/pgbouncer images are read from their environment.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace

from pgconnlint.model import Bouncer, EnvBinding, Known, Location, ParseProblem

_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_SETTING = re.compile(r"^\s*(?P<key>[^=;#\s][^=]*?)\s*=\s*(?P<value>.*?)\s*$")
# Image environment variables (edoburu/pgbouncer: plain names; bitnami/pgbouncer: PGBOUNCER_ prefix).
ENVIRONMENT = (
    "POOL_MODE",
    "MAX_CLIENT_CONN",
    "DEFAULT_POOL_SIZE",
    "RESERVE_POOL_SIZE",
    "MAX_DB_CONNECTIONS",
    "MAX_PREPARED_STATEMENTS",
    "LISTEN_PORT",
    "PORT",
)


def extract(path: str, text: str) -> tuple[list[Bouncer], list[ParseProblem]]:
    section, settings, databases, problems = "", {}, [], []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith((";", "#", "%")):
            continue
        header = _SECTION.match(line)
        if header:
            section = header.group("name").strip().lower()
            continue
        match = _SETTING.match(line)
        if not match:
            problems.append(ParseProblem(Location(path, number), f"cannot parse pgbouncer.ini line: {stripped[:60]!r}"))
            continue
        where = Location(path, number, line.index(match.group("key")) + 1)
        key, value = match.group("key").strip(), re.split(r"\s+[;#]", match.group("value"))[0]
        if section == "pgbouncer":
            settings[key.lower()] = Known(_number(value), where, where.short)
        elif section == "databases":
            databases.append((key, _connect_string(value, where), where))
    return [Bouncer(path, Location(path, 1), settings, tuple(databases))], problems


def from_environment(name: str, location: Location, env: dict[str, Known], hosts: tuple[str, ...]) -> Bouncer:
    """A PgBouncer container configured through its image's environment variables."""
    settings = {}
    for variable in ENVIRONMENT:
        value = env.get(variable) or env.get(f"PGBOUNCER_{variable}")
        if value is not None:
            key = "listen_port" if variable == "PORT" else variable.lower()
            settings[key] = Known(_number(str(value.value)), value.location, value.via)
    return Bouncer(name, location, settings, (), hosts)


def is_bouncer_image(image: str) -> bool:
    """A PgBouncer image (edoburu/pgbouncer, bitnami/pgbouncer, pgbouncer/pgbouncer, …)."""
    return "pgbouncer" in image.lower()


def image_version(image: str) -> tuple[int, int] | None:
    """(major, minor) from the image tag (`edoburu/pgbouncer:v1.24.1-p0` → (1, 24)), None when the tag says none."""
    tag = re.search(r":v?(\d+)\.(\d+)", image)
    return (int(tag.group(1)), int(tag.group(2))) if tag else None


def from_container(
    name: str, location: Location, env: tuple[EnvBinding, ...], hosts: tuple[str, ...], image: str, replicas
) -> Bouncer:
    """A PgBouncer container of a Kubernetes workload: its image's environment, the Services that reach it, and its
    replicas, each of which opens its own server pools."""
    known = {b.name: Known(b.value, b.location, b.source) for b in env}
    bouncer = from_environment(name, location, known, hosts)
    return replace(bouncer, version=image_version(image), replicas=replicas)


def _connect_string(value: str, where: Location) -> dict[str, Known]:
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    pairs = (word.split("=", 1) for word in words if "=" in word)
    return {key.lower(): Known(_number(text), where, where.short) for key, text in pairs}


def _number(text: str) -> object:
    text = text.strip().strip("'\"")
    return int(text) if re.fullmatch(r"\d+", text) else text
