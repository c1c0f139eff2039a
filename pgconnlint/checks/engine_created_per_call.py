"""PGC205 engine-created-per-call. Docs and examples: rules/PGC205.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            if isinstance(connection, EngineConnection) and connection.source.per_call:
                yield finding(
                    "PGC205",
                    connection.anchor,
                    f"{connection.source.source} is called inside a function, so every call creates a new pool of"
                    f" up to {_size(connection)} connections that stays open until it is garbage-collected",
                    help="create the engine or pool once, at module level or behind functools.cache, and reuse it",
                )


def _size(connection: EngineConnection) -> str:
    value = connection.pools[0].max
    return "an unknown number of" if not hasattr(value, "value") else str(value.value).replace("inf", "unbounded")
