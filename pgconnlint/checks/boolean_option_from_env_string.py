"""PGC211 boolean-option-from-env-string. Docs and examples: rules/PGC211.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._typeorm_flags import unparsed_variable
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import OrmConnection, Project
from pgconnlint.model import Location

# TypeORM's boolean options whose wrong value costs data or a hang (DataSourceOptions).
_OPTIONS = ("synchronize", "dropSchema", "migrationsRun", "logging", "ssl")


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    seen: set[Location] = set()
    for group in project.groups:
        for connection in group.connections:
            if not isinstance(connection, OrmConnection):
                continue
            for option in _OPTIONS:
                expr = connection.config.options.get(option)
                variable = unparsed_variable(expr)
                if variable is None or expr.location in seen:
                    continue
                seen.add(expr.location)
                yield finding(
                    "PGC211",
                    connection.key_location(option),
                    f"{option}: `{expr.text}` passes the string of {variable} as a boolean: every non-empty string,"
                    f' "false" and "0" included, is true, so {option} is on whenever {variable} is set',
                    help=f'compare explicitly: {option}: process.env.{variable} === "true"',
                )
