"""PGC001 input-unparseable. Docs and examples: rules/PGC001.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for problem in project.problems:
        if not problem.skipped:
            yield finding(
                "PGC001",
                problem.location,
                problem.message,
                help=problem.help or "fix the syntax; the other files were still checked",
            )
