"""PGC202 typeorm-drop-schema. Docs and examples: rules/PGC202.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import describe, enabled
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group, connection, value in enabled(project, "drop_schema"):
        yield finding(
            "PGC202",
            connection.key_location("dropSchema"),
            f"{describe('dropSchema', value)} in environment {project.environment!r} for {group.name}:"
            " TypeORM drops every table and its data each time the connection is initialised",
            help="remove dropSchema, or make it true only in a test environment",
        )
