"""PGC201 typeorm-synchronize-in-production. Docs and examples: rules/PGC201.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import describe, enabled, turn_off
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    if not project.production:
        return
    for group, connection, value in enabled(project, "synchronize"):
        yield finding(
            "PGC201",
            connection.key_location("synchronize"),
            f"{describe('synchronize', value)} in environment {project.environment!r} for {group.name}:"
            " TypeORM alters the schema to match the entities at every start-up and drops columns it does not know",
            help=f"{turn_off(connection, 'synchronize')} in production, and change the schema with migrations",
        )
