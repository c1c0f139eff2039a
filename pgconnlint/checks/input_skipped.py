"""PGC002 input-skipped. Docs and examples: rules/PGC002.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.budget import unchecked
from pgconnlint.checks.options import CheckOptions
from pgconnlint.deployments import document_of
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import ProcessGroup, Project
from pgconnlint.model import Location


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for problem in project.problems:
        if problem.skipped:
            yield finding(
                "PGC002",
                problem.location,
                f"not checked: {problem.message}",
                help=problem.help or "make it a regular text file inside the repository, or exclude it",
            )
    for budget, other in unchecked(project):
        if budget.terms:
            server = f"{budget.note}, a server" if budget.note else "a server"  # the platform's, when it is named
            yield finding(
                "PGC002",
                _declared(budget.terms[0].group, project),
                f"not checked: the processes of {budget.deployment} can hold {budget.formula} connections, against"
                f" {server} that is not in the repository ({other} starts its own, budgeted alone): their budget is"
                " not checked",
                help="check these connections against that server's max_connections, or run"
                f" `pgconnlint check --deployment {budget.deployment}` with its postgresql.conf in the tree",
            )


def _declared(group: ProcessGroup, project: Project) -> Location:
    """The document that declares the group (a manifest, a pm2 file): one finding per deployment."""
    document = document_of(group.name, group.location.path, project.documents)
    return group.location if not document or document == group.location.path else Location(document, 1)
