"""PGC212 psycopg2-under-greenlets-unpatched. Docs and examples: rules/PGC212.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.model import cite


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        if group.unpatched_driver is None or not group.connections:
            continue
        yield finding(
            "PGC212",
            group.unpatched_driver,
            f"psycopg2 waits for PostgreSQL in C, which gevent cannot switch away from: under {group.manager}"
            f" ({group.name}) each of the {cite(group.processes, 'processes')} runs one query at a time and every"
            f" other greenlet of it ({cite(group.units, 'per process')}) waits, or hangs while a slow query or a full"
            " server holds it; nothing in this project makes psycopg2 cooperative (psycogreen)",
            help="call psycogreen.gevent.patch_psycopg() (gunicorn `post_fork`, or before the app imports psycopg2),"
            " or move to psycopg 3",
            related=(group.location,),
        )
