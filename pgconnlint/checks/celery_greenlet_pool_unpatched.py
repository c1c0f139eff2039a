"""PGC213 celery-greenlet-pool-unpatched. Docs and examples: rules/PGC213.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.model import cite


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        if group.unpatched_pool is None:
            continue
        pool = group.manager.removeprefix("celery ")
        yield finding(
            "PGC213",
            group.unpatched_pool,
            f"the Celery worker {group.name} takes its {pool} pool from the configuration, and its command line has"
            f" no `-P {pool}`: Celery monkey-patches the standard library only for the command-line option, and"
            " nothing in this project patches it, so each of its"
            f" {cite(group.units, 'greenlets per process')} blocks the others on every socket and database wait,"
            " and the worker runs one task at a time",
            help=f"start the worker with `-P {pool}` (or `--pool={pool}`), or call gevent's monkey.patch_all()"
            " before anything else is imported",
            related=(group.location,),
        )
