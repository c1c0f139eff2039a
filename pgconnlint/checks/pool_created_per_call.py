"""PGC207 pool-created-per-call. Docs and examples: rules/PGC207.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import NodeConnection, Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            if not isinstance(connection, NodeConnection) or not connection.created.per_call:
                continue
            if connection.library == "pg-client":  # one connection by design, usually ended by the same function
                continue
            created = connection.created
            yield finding(
                "PGC207",
                created.location,
                f"{created.source} runs inside a function in {created.location.path}, so every call creates a new"
                f" pool of up to {_size(connection)} connections in each process of {group.name}, which stays open"
                " until it is closed or garbage-collected",
                help="create the pool or client once, at module level (or cache it), and share it",
            )


def _size(connection: NodeConnection) -> str:
    value = connection.pools[0].max
    return str(value.value).replace("inf", "unbounded") if hasattr(value, "value") else "an unknown number of"
