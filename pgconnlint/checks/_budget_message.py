"""The wording shared by the budget family (PGC101-PGC104), so every budget finding reads the same way.

A CI log shows one line per finding: the headline says how many connections can open against how many usable slots,
of which server, in which deployment, and the biggest term with its file:line. The arithmetic follows as note lines,
one each (usable slots, the sum, each term, capped), and JSON's `data` keeps every term. The finding is anchored to
the server (or the deployment document when the server is PostgreSQL's defaults), never to the largest term: a
suppression or a baseline entry must survive a change of `instances`.
"""

from __future__ import annotations

from pgconnlint.budget import Budget, Term, show
from pgconnlint.findings import Finding, finding
from pgconnlint.model import Known, Location, cite

MAX_TERMS = 5  #: term lines under a finding; the rest are counted, and `pgconnlint budget` lists them all
MORE = "… and {n} more (see `pgconnlint budget`)"


def budget_finding(
    code: str, budget: Budget, verdict: str, help_text: str, ceiling: bool = False, rollout: bool = False
) -> Finding:
    """The budget family's finding; `ceiling` compares what the pools permit instead of what is used at once,
    `rollout` what is used at once while rolling deploys run their surge pods beside the old ones."""
    server = budget.server
    largest = _largest(budget, ceiling, rollout)
    where = "PostgreSQL's defaults (no postgresql.conf found)" if server.assumed else server.name
    deployment = f" (deployment {budget.deployment})" if budget.deployment else ""
    headline = (
        f"{_subject(budget, ceiling, rollout)} {verdict} the {server.usable} usable slots of {where}{deployment};"
        f" largest: {largest.group.name} {_product(largest, ceiling, rollout)} ({largest.anchor.short})"
    )
    anchor = anchor_of(budget)
    related = tuple(
        dict.fromkeys(
            location
            for location in (
                *(loc for term in budget.terms for loc in (term.anchor, term.group.location, term.pool.max.location)),
                *((server.location, server.max_connections.location) if not server.assumed else ()),
            )
            if location != anchor and location.path
        )
    )
    if largest.group.manager == "pgbouncer":
        help_text = "lower default_pool_size or max_db_connections in PgBouncer, or raise max_connections"
        if largest.group.name.startswith("AWS RDS Proxy"):
            help_text = "lower max_connections_percent of the RDS Proxy target group, or raise max_connections"
    if server.limit_name == "max_client_conn":
        help_text = "raise max_client_conn (it costs the bouncer little), or lower the pools that connect to it"
        if server.name.startswith(("Supabase", "Neon")):  # a provider's pooler: its client limit follows the compute
            help_text = (
                "lower the pools that connect to it, or move to a compute size whose pooler accepts more clients"
            )
    data = budget.as_data()
    if ceiling:  # the number this finding compares
        data = {**data, "total": data["ceiling"], "concurrent": data["total"]}
    if rollout:
        data = {**data, "total": data["rollout"], "steady": data["total"]}
    notes = _notes(budget, ceiling, rollout)
    return finding(code, anchor, headline, help=help_text, notes=notes, related=related, data=data)


def anchor_of(budget: Budget) -> Location:
    """Where a budget finding is reported: the line that sets the server's limit (`max_connections = 100`, a
    `-c max_connections=200`), else the server's own place; for PostgreSQL's defaults, the deployment's document
    (`docker-compose.yml`, `ecosystem.config.js`); with neither, the first term, whose place does not change when a
    count does. Fingerprints key on the line's text: a comment added above the limit keeps it."""
    server = budget.server
    if not server.assumed and isinstance(server.max_connections, Known) and server.max_connections.location.path:
        return server.max_connections.location
    if not server.assumed and server.location.path:
        return server.location
    document = budget.deployment.split(" ", 1)[0]
    if document and not document.endswith("/"):
        return Location(document, 1)
    return budget.terms[0].anchor


def _subject(budget: Budget, ceiling: bool, rollout: bool) -> str:
    bound = "up to" if budget.complete else "at least"
    if rollout:
        unknown = any(term.rollout_product is None for term in budget.terms) or budget.dropped
        bound = "at least" if unknown else "up to"
        return (
            f"{bound} {show(budget.rollout_total)} connections at once during a rolling deploy"
            f" ({show(budget.total)} steady)"
        )
    if ceiling:
        return f"pools permitting {bound} {show(budget.ceiling)} connections ({show(budget.total)} at once)"
    return f"{bound} {show(budget.total)} connections at once"


def _largest(budget: Budget, ceiling: bool, rollout: bool) -> Term:
    def size(term: Term) -> float:
        value = term.ceiling if ceiling else term.rollout_product if rollout else term.product
        return value or 0

    return max(budget.terms, key=size)


def _product(term: Term, ceiling: bool, rollout: bool) -> str:
    """`16 × 10 = 160`: the term's own multiplication, in the number the finding compares."""
    if rollout:
        count, total = term.rollout_processes, term.rollout_product
    else:
        count, total = term.processes, term.ceiling if ceiling else term.product
    per = term.pool_max if ceiling else term.at_once
    return f"{show(count)} × {show(per)} = {show(total)}"


def _notes(budget: Budget, ceiling: bool, rollout: bool) -> tuple[str, ...]:
    """The arithmetic, one line each: usable slots, the sum, the terms (capped), what the reader must know."""
    server = budget.server
    lines = [f"usable slots: {server.formula} = {server.usable}"]
    if rollout:
        lines.append(f"during a rolling deploy: {budget.rollout_formula}; steady: {budget.formula}")
    elif ceiling:
        lines.append(f"pools permit: {budget.ceiling_formula}; at once: {budget.formula}")
    else:
        lines.append(f"at once: {budget.formula}")
    terms = [_term_line(term, rollout) for term in budget.terms]
    lines += terms[:MAX_TERMS]
    if len(terms) > MAX_TERMS:
        lines.append(MORE.format(n=len(terms) - MAX_TERMS))
    if budget.dropped:
        shown = ", ".join(budget.dropped[:MAX_TERMS])
        more = f", {MORE.format(n=len(budget.dropped) - MAX_TERMS)}" if len(budget.dropped) > MAX_TERMS else ""
        lines.append(f"not counted (connections whose database could not be told): {shown}{more}")
    if budget.note:
        lines.append(f"note: {budget.note}")
    return tuple(lines)


def _term_line(term: Term, rollout: bool) -> str:
    line = term.describe()
    if rollout and term.group.rollout is not None:
        line += f"; during a rolling deploy {cite(term.group.rollout, 'processes')}"
    return line
