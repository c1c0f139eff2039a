"""PGC208 pool-option-ignored. Docs and examples: rules/PGC208.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.link import Project
from pgconnlint.link_node import NodeConnection


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        for connection in group.connections:
            if not isinstance(connection, NodeConnection):
                continue
            for ignored in connection.ignored:
                yield finding(
                    "PGC208",
                    ignored.location,
                    f"{ignored.message} ({connection.pools[0].label})",
                    help=ignored.help,
                )
