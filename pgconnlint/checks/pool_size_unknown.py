"""PGC110 pool-size-unknown. Docs and examples: rules/PGC110.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.model import Unknown


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        # a serverless function that nothing caps: PGC105 reports it, with what to do about it
        if isinstance(group.processes, Unknown) and group.serverless is None:
            value = group.processes
            yield finding(
                "PGC110",
                value.location,
                f"process count of {group.name} is unknown: `{value.expression}` ({value.reason});"
                " its pools are left out of the connection budget",
                help=_HELP,
            )
        for kind in group.unresolved:
            yield finding(
                "PGC110",
                kind.location,
                f"database type of a TypeORM connection in {group.name} is unknown: `{kind.expression}`"
                f" ({kind.reason}); the connection is left out of the connection budget",
                help="write the type, or set the variable in the pm2 env block or a .env file",
            )
        for connection in group.connections:
            for pool in connection.pools:
                if isinstance(pool.max, Unknown):
                    yield finding(
                        "PGC110",
                        pool.max.location,
                        f"pool size of {pool.label} in {group.name} is unknown: `{pool.max.expression}`"
                        f" ({pool.max.reason}); this pool is left out of the connection budget",
                        help=_HELP,
                    )


_HELP = "write the number, or set the variable where pgconnlint reads it (.env, pm2 env, configuration `env`)"
