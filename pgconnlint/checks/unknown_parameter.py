"""PGC310 unknown-parameter. Docs and examples: rules/PGC310.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import catalogue, configured
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    known = catalogue(project)
    for setting in configured(project):
        # A dotted name is an extension's (pg_stat_statements.max): PostgreSQL accepts any of those.
        if setting.name in known.parameters or "." in setting.name or setting.name in ("config_file", "include"):
            continue
        close = known.suggestion(setting.name)
        hint = f": did you mean {close!r}?" if close else ""
        yield finding(
            "PGC310",
            setting.value.location,
            f"{setting.name!r} is not a PostgreSQL {known.version} parameter, so the server refuses to start"
            f' (`unrecognized configuration parameter "{setting.name}"`){hint}',
            data={"parameter": setting.name},
            help=f"correct the name{f' to {close}' if close else ''}, or remove the line",
        )
