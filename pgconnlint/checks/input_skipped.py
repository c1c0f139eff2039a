"""PGC002 input-skipped. Docs and examples: rules/PGC002.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for problem in project.problems:
        if problem.skipped:
            yield finding(
                "PGC002",
                problem.location,
                f"not checked: {problem.message}",
                help=problem.help or "make it a regular text file inside the repository, or exclude it",
            )
