"""The wording shared by PGC108 (role) and PGC109 (database), in the budget family's shape (_budget_message.py): the
headline names the total against the limit, the server and deployment, and the largest term with its file:line; the
notes give the limit and what it overrode, the sum, each term with where its role or database comes from, and the
pools left out because their role or database cannot be told. Reported at the statement that sets the limit."""

from __future__ import annotations

from pgconnlint.budget import show
from pgconnlint.checks._budget_message import MAX_TERMS, MORE
from pgconnlint.findings import Finding, finding
from pgconnlint.model import cite, origin
from pgconnlint.role_limits import ERRORS, LimitBudget

_NOUN = {"role": "as role", "database": "to database"}
_HELP = {
    "role": "lower the pools or the process count of the apps that log in as {name}, give them roles of their own,"
    " or raise the limit (ALTER ROLE {name} CONNECTION LIMIT n)",
    "database": "lower the pools or the process count of the apps that use {name}, or raise the limit"
    " (ALTER DATABASE {name} CONNECTION LIMIT n)",
}


def limit_finding(code: str, found: LimitBudget) -> Finding:
    limit, within = found.limit, found.within
    server = within.server
    where = "PostgreSQL's defaults (no postgresql.conf found)" if server.assumed else server.name
    deployment = f" (deployment {within.deployment})" if within.deployment else ""
    largest = within.largest_term
    bound = "up to" if within.complete else "at least"
    headline = (
        f"{bound} {show(within.total)} connections at once {_NOUN[limit.kind]} {limit.name} exceed its CONNECTION LIMIT"
        f" {limit.value.value} ({limit.value.location.short}) on {where}{deployment}; largest: {largest.group.name}"
        f" {show(largest.processes)} × {show(largest.at_once)} = {show(largest.product)} ({largest.anchor.short});"
        f" past {limit.value.value}, connecting fails with `{ERRORS[limit.kind].format(limit.name)}`"
    )
    related = tuple(
        dict.fromkeys(
            loc
            for term, login in zip(within.terms, found.logins, strict=True)
            for loc in (term.anchor, term.pool.max.location, login.location)
            if loc.path and loc != limit.value.location
        )
    )
    data = {
        "kind": limit.kind,
        "name": limit.name,
        "limit": limit.value.value,
        "limit_at": limit.value.location.short,
        "overridden": [value.location.short for value in limit.overridden],
        "total": int(within.total),
        "complete": within.complete,
        "budget": within.as_data(),
        "not_counted": [f"{term.group.name}: {term.pool.label}" for term in found.unknown],
    }
    help_text = _HELP[limit.kind].format(name=limit.name)
    if limit.value.location.path.endswith(".tf"):
        help_text = help_text.split(", or raise")[0] + ", or raise `connection_limit` in Terraform"
    return finding(
        code, limit.value.location, headline, help=help_text, notes=_notes(found), related=related, data=data
    )


def _notes(found: LimitBudget) -> tuple[str, ...]:
    limit, within = found.limit, found.within
    lines = [f"{limit.kind} {limit.name}: CONNECTION LIMIT {cite(limit.value)}"]
    if limit.overridden:
        earlier = ", ".join(cite(value) for value in limit.overridden)
        lines[0] += f"; the later statement wins over {earlier}"
    lines.append(f"at once: {within.formula}")
    terms = [
        f"{term.describe()}; {_NOUN[limit.kind].split()[-1]} {limit.name} {origin(login)}"
        for term, login in zip(within.terms, found.logins, strict=True)
    ]
    lines += terms[:MAX_TERMS]
    if len(terms) > MAX_TERMS:
        lines.append(MORE.format(n=len(terms) - MAX_TERMS))
    if found.unknown:
        names = ", ".join(f"{term.group.name} ({term.pool.label})" for term in found.unknown[:MAX_TERMS])
        more = f", {MORE.format(n=len(found.unknown) - MAX_TERMS)}" if len(found.unknown) > MAX_TERMS else ""
        lines.append(
            f"not counted against this limit (their {limit.kind} cannot be told from the repository): {names}{more}"
        )
    lines.append("superusers are exempt from role and database limits; the server enforces them approximately")
    return tuple(lines)
