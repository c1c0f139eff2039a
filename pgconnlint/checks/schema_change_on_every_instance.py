"""PGC203 schema-change-on-every-instance. Docs and examples: rules/PGC203.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import describe, enabled, turn_off
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.model import Known

_OPTIONS = (("synchronize", "synchronize"), ("migrations_run", "migrationsRun"))


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for attribute, option in _OPTIONS:
        for group, connection, value in enabled(project, attribute):
            processes = group.processes
            if not isinstance(processes, Known) or processes.value <= 1:
                continue
            yield finding(
                "PGC203",
                connection.key_location(option),
                f"{describe(option, value)} runs at start-up in each of the {processes.value} processes of"
                f" {group.name} ({group.manager}, {processes.location.short}): they race on the same DDL",
                help=f"run schema changes once, from a release step, and {turn_off(connection, option)} for the app",
                related=(processes.location,),
            )
