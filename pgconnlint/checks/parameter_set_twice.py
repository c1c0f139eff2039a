"""PGC312 parameter-set-twice. Docs and examples: rules/PGC312.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import configured
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for setting in configured(project):
        winner = setting.value
        # The same file (or what it includes) setting a name again; postgresql.auto.conf and -c are meant to win.
        earlier = [value for value in setting.overridden if value.location.path == winner.location.path]
        if earlier:
            first = earlier[0]
            yield finding(
                "PGC312",
                winner.location,
                f"{setting.name} is set again: {winner.value!r} here silently replaces {first.value!r} from"
                f" {first.location.short}; PostgreSQL uses the last one",
                data={"parameter": setting.name},
                help="keep one line per parameter",
                related=tuple(value.location for value in earlier),
            )
