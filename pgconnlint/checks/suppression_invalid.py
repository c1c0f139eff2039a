"""PGC003 suppression-invalid. Docs and examples: rules/PGC003.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for suppression in project.suppressions:
        if not suppression.rules:
            yield finding(
                "PGC003",
                suppression.location,
                "`pgconnlint: ignore` names no rule, so it suppresses nothing; a blanket ignore would hide"
                " every future finding on the line",
                help="name the rules: `pgconnlint: ignore[PGC201]` (codes or names, comma-separated)",
            )
            continue
        unknown = [rule for rule in suppression.rules if rule not in options.rule_names]
        if unknown:
            yield finding(
                "PGC003",
                suppression.location,
                f"`pgconnlint: ignore` names {', '.join(map(repr, unknown))}, which is no rule",
                help="use a code or name from `pgconnlint rules`",
            )
