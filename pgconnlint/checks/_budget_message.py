"""The wording shared by the budget family, so every budget finding prints the same arithmetic."""

from __future__ import annotations

from pgconnlint.budget import Budget, show
from pgconnlint.findings import Finding, finding
from pgconnlint.model import cite


def budget_finding(
    code: str, budget: Budget, verdict: str, help_text: str, ceiling: bool = False, rollout: bool = False
) -> Finding:
    """The budget family's finding; `ceiling` compares what the pools permit instead of what is used at once,
    `rollout` what is used at once while rolling deploys run their surge pods beside the old ones."""
    server = budget.server
    largest = budget.largest_term
    bound = "at least" if budget.unknown_terms else "up to"
    where = "PostgreSQL's defaults (no postgresql.conf found)" if server.assumed else server.name
    if budget.note:
        where += f" ({budget.note})"
    terms = " + ".join(f"{term.group.name} {term.factors()}" for term in budget.terms)
    if rollout:
        bound = "at least" if any(term.rollout_product is None for term in budget.terms) else "up to"
        compared = f"during a rolling deploy {bound} {show(budget.rollout_total)} connections at once"
        compared += f" ({budget.rollout_formula})"
        aside = f"; {show(budget.total)} in the steady state ({budget.formula})"
        surging = [term for term in budget.terms if term.group.rollout is not None]
        terms = "; ".join(f"{term.group.name}: {cite(term.group.rollout, 'processes')}" for term in surging)
    elif ceiling:
        compared = f"the pools permit {bound} {show(budget.ceiling)} connections ({budget.ceiling_formula})"
        aside = f", while {show(budget.total)} can be in use at once ({budget.formula})"
    else:
        compared = f"{bound} {show(budget.total)} connections at once ({budget.formula})"
        aside = f"; the pools permit {show(budget.ceiling)}" if budget.ceiling != budget.total else ""
    message = (
        f"{compared} {verdict} the {server.usable} usable slots of {where} ({server.formula} = {server.usable})"
        f"{aside}; counted: {terms}"
    )
    # One line per term under the message, where a sum of several terms is easier to read that way.
    notes = tuple(term.describe() for term in budget.terms) if len(budget.terms) > 1 else ()
    related = tuple(
        dict.fromkeys(
            location
            for term in budget.terms
            for location in (term.group.location, term.pool.max.location)
            if location != largest.anchor
        )
    ) + tuple(value.location for value in (server.max_connections,) if not server.assumed)
    if largest.group.manager == "pgbouncer":
        help_text = "lower default_pool_size or max_db_connections in PgBouncer, or raise max_connections"
    if server.limit_name == "max_client_conn":
        help_text = "raise max_client_conn (it costs the bouncer little), or lower the pools that connect to it"
    data = budget.as_data()
    if ceiling:  # the number this finding compares
        data = {**data, "total": data["ceiling"], "concurrent": data["total"]}
    if rollout:
        data = {**data, "total": data["rollout"], "steady": data["total"]}
    return finding(code, largest.anchor, message, help=help_text, notes=notes, related=related, data=data)
