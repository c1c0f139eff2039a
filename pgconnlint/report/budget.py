"""`pgconnlint budget`: each server's budget as a table, term by term, with where each number came from."""

from __future__ import annotations

import json
import math
from typing import TextIO

from pgconnlint import neutral
from pgconnlint.budget import show
from pgconnlint.lint import Result
from pgconnlint.model import cite
from pgconnlint.suggest import Suggestion, suggest


def render(
    result: Result,
    out: TextIO,
    suggest: bool,
    headroom: float,
    server_memory: int | None,
    as_json: bool,
    bars: bool | None = None,
) -> None:
    """`bars`: draw each server as a bar under its table; None draws them only on a terminal, so that a piped
    table (a CI log, grep) stays what it was."""
    if as_json:
        data = {"servers": [_server_data(b, headroom, suggest) for b in result.budgets]}
        json.dump(neutral.data(data), out, indent=2)
        out.write("\n")
        return
    from rich.console import Console

    # Every value is neutralised (pgconnlint/neutral.py) and printed as Text: no markup, no emoji, no escapes.
    # Piped (a CI log, grep): each row on one line, never a path broken mid-word; a terminal folds to its width.
    console = Console(file=out, highlight=False, soft_wrap=False, emoji=False, width=None if out.isatty() else 100_000)
    bars = out.isatty() if bars is None else bars
    for budget in result.budgets:
        _print_budget(console, budget, bars)
        if suggest:
            _print_suggestion(console, budget, _suggest(budget, headroom), headroom, server_memory)


def _suggest(budget, headroom: float) -> Suggestion:
    return suggest(budget, headroom)


def _print_budget(console, budget, bars: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    server = budget.server
    title = "PostgreSQL defaults (no postgresql.conf found)" if server.assumed else server.name
    table = Table(title=Text(neutral.text(f"Connection budget of {title}")), title_justify="left", show_footer=True)
    table.add_column("process group", footer="total", overflow="fold")
    table.add_column("processes", overflow="fold")
    table.add_column("pool", overflow="fold")
    table.add_column("pool max", overflow="fold")
    table.add_column("at once per process", overflow="fold")
    unknown = " + unknown" if budget.unknown_terms else ""
    table.add_column("connections", justify="right", footer=f"{show(budget.total)}{unknown}")
    table.add_column("ceiling", justify="right", footer=f"{show(budget.ceiling)}{unknown}")
    if budget.rolls_out:  # steady and rollout side by side: the deploy is when the surge pods come
        rollout_unknown = " + unknown" if any(term.rollout_product is None for term in budget.terms) else ""
        footer = f"{show(budget.rollout_total)}{rollout_unknown}"
        table.add_column("during a rollout", justify="right", footer=footer, overflow="fold")
    for term in budget.terms:
        at_once = cite(term.group.units) if term.at_once != term.pool_max else "the whole pool"
        if term.units is None:
            at_once = "unknown: counted at the pool maximum"
        cells = (term.group.name, cite(term.group.processes), term.pool.label, cite(term.pool.max), at_once)
        numbers = [show(term.product), show(term.ceiling)]
        if budget.rolls_out:
            rollout = term.group.rollout
            numbers.append(show(term.rollout_product) + (f" ({cite(rollout, 'processes')})" if rollout else ""))
        table.add_row(*(Text(neutral.value(cell, neutral.MAX_VALUE)) for cell in cells), *numbers)
    console.print(table)
    share = f" ({round(100 * budget.total / server.usable)}%)" if server.usable > 0 and budget.total < math.inf else ""
    rollout = f"; during a rollout {show(budget.rollout_total)}" if budget.rolls_out else ""
    console.print(
        Text(
            neutral.text(
                f"usable slots: {server.usable} = {server.formula}; total {show(budget.total)}{share}{rollout}"
            )
        )
    )
    if bars:
        print_bar(console, budget)
    console.print()


_WIDEST_BAR = 60  #: cells; a wider bar says no more, and a piped console is 100,000 columns wide
_FREE, _FILLED, _OVER = "░", "█", "▓"
_MARKS = {"usable": "│", "ceiling": "◆", "rollout": "▲"}


def print_bar(console, budget) -> None:
    """The processes' connections at once as a share of the usable slots, one bar per server, with the pools'
    ceiling and a rollout's surge peak marked on the same scale; a legend names every number, so the bar reads
    without colour (NO_COLOR). A total that is not a number (unbounded, or unknown terms) gets no bar: only why."""
    from rich.text import Text

    why = _no_bar(budget)
    if why:
        console.print(Text(neutral.text(f"  no bar: {why}")))
        return
    width = max(10, min(_WIDEST_BAR, console.width - 4))
    marks = _marks(budget)
    scale = max([budget.total, *marks.values()])
    console.print(Text("  ").append_text(_bar(budget.total, budget.server.usable, marks, scale, width)))
    console.print(Text(neutral.text(_legend(budget, marks))))


def _no_bar(budget) -> str:
    server = budget.server
    if not budget.terms:
        return f"no process counts against the {server.usable} usable slots"
    if server.usable <= 0:
        return f"the server has no usable slots ({server.usable} = {server.formula})"
    if math.isinf(budget.total):
        return f"a pool has no limit, so the processes can hold an unbounded share of the {server.usable} usable slots"
    if not budget.complete:
        missing = len(budget.unknown_terms) + len(budget.dropped)
        terms = f"{missing} term{'s' if missing != 1 else ''}"
        return f"at least {show(budget.total)} of {server.usable} usable slots and {terms} of unknown size"
    return ""


def _marks(budget) -> dict[str, float]:
    """Where the usable slots, the ceiling (when above the total) and the rollout peak sit; an unbounded ceiling or
    a rollout with an unknown term has no place on the scale, and the legend says so instead."""
    marks = {"usable": float(budget.server.usable)}
    if budget.ceiling != budget.total and not math.isinf(budget.ceiling):
        marks["ceiling"] = budget.ceiling
    if budget.rolls_out and all(term.rollout_product is not None for term in budget.terms):
        marks["rollout"] = budget.rollout_total
    return marks


def _bar(total: float, usable: int, marks: dict[str, float], scale: float, width: int):
    """One cell per `scale / width` connections: the filled part is the total (past the usable slots: the part
    that cannot connect), the shaded part the free slots, and each mark one glyph at its place."""
    from rich.text import Text

    def cell(value: float) -> int:
        return round(value / scale * width)

    filled, limit = cell(total), cell(usable)
    fill_style = "yellow" if total > 0.8 * usable else "green"
    cells = []
    for index in range(width + 1):
        if index < min(filled, limit):
            cells.append((_FILLED, fill_style))
        elif index < filled:
            cells.append((_OVER, "red"))
        else:
            cells.append((_FREE, "dim") if index < limit else (" ", ""))
    for name in ("ceiling", "rollout", "usable"):  # the usable slots last: the line that matters is never hidden
        if name in marks:
            cells[cell(marks[name])] = (_MARKS[name], "bold")
    text = Text()
    for glyph, style in cells:
        text.append(glyph, style=style)
    text.rstrip()
    return text


def _legend(budget, marks: dict[str, float]) -> str:
    server = budget.server
    share = round(100 * budget.total / server.usable)
    parts = [f"  {_FILLED} {show(budget.total)} at once ({share}% of the usable slots)"]
    if budget.total > server.usable:
        parts.append(f"{_OVER} {show(budget.total - server.usable)} over")
    parts.append(f"{_MARKS['usable']} {server.usable} usable")
    if "ceiling" in marks:
        parts.append(f"{_MARKS['ceiling']} pools' ceiling {show(budget.ceiling)}")
    elif math.isinf(budget.ceiling):
        parts.append("pools' ceiling unbounded (not drawn)")
    if "rollout" in marks:
        parts.append(f"{_MARKS['rollout']} {show(budget.rollout_total)} during a rollout")
    elif budget.rolls_out:
        parts.append(f"during a rollout at least {show(budget.rollout_total)} (not drawn: a term is unknown)")
    return "  ".join(parts)


def _print_suggestion(console, budget, suggestion: Suggestion, headroom: float, server_memory: int | None) -> None:
    from rich.markup import escape

    server = budget.server
    if not budget.terms:
        console.print(f"[bold]Suggestion[/]: none; {suggestion.reason}\n")
        return
    console.print(f"[bold]Suggestion[/] (headroom {headroom:.0%}: at most {suggestion.target} of {server.usable}):")
    for change in suggestion.changes:
        verb = "keep" if change.suggested == change.current else "set"
        console.print(
            escape(
                neutral.text(
                    f"  {verb} pool max {change.suggested} (now {show(change.current)}) for {change.pool}"
                    f" at {change.location.short}: {change.instances} pool{'s' if change.instances != 1 else ''}"
                    f" × {change.suggested}"
                    f" = {change.instances * change.suggested}"
                )
            )
        )
    if suggestion.reason:
        console.print(f"  {suggestion.reason}")
    elif not suggestion.fits:
        console.print(f"  even one connection per pool needs {suggestion.total_after}: fewer processes or a pooler")
    else:
        console.print(f"  total after: {suggestion.total_after} of {server.usable} usable slots")
    if suggestion.unknown_terms:
        plural = "s" if suggestion.unknown_terms != 1 else ""
        console.print(f"  {suggestion.unknown_terms} pool{plural} of unknown size not included")
    if suggestion.max_connections_needed is None:
        console.print("  no max_connections fits an unbounded pool\n")
        return
    limit = server.limit_name
    restart = " (restart required)" if limit == "max_connections" else " (a reload is enough)"
    line = f"  or keep the pools and set {limit} = {suggestion.max_connections_needed}{restart}"
    if server_memory:
        work_mem = 4 * 1024 * 1024  # PostgreSQL's default work_mem; each sort or hash of a query may use it
        cost = suggestion.max_connections_needed * work_mem
        line += (
            f"; at one 4MB work_mem sort each, {suggestion.max_connections_needed} connections use"
            f" {cost // 1024**2}MB of the declared {server_memory // 1024**2}MB"
        )
    console.print(line + "\n")


def _server_data(budget, headroom: float, with_suggestion: bool) -> dict:
    data = {"name": budget.server.name, "assumed": budget.server.assumed, **budget.as_data()}
    if with_suggestion:
        suggestion = _suggest(budget, headroom)
        data["suggestion"] = {
            "target": suggestion.target,
            "fits": suggestion.fits,
            "total_after": suggestion.total_after,
            "max_connections_needed": suggestion.max_connections_needed,
            "reason": suggestion.reason,
            "pools": [
                {
                    "pool": c.pool,
                    "path": c.location.path,
                    "line": c.location.line,
                    "instances": c.instances,
                    "current": None if math.isinf(c.current) else int(c.current),
                    "suggested": c.suggested,
                }
                for c in suggestion.changes
            ],
        }
    return data
