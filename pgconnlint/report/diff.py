"""`pgconnlint diff`: the budget change as text, JSON (pgconnlint/data/diff-output.schema.json) or Markdown for a
pull-request comment and the job summary, with a Mermaid chart of each server before and after (docs/diff.md)."""

from __future__ import annotations

import json
import math
from typing import TextIO

from pgconnlint import __version__, neutral
from pgconnlint.budget import Budget, show
from pgconnlint.diff import TOO_LARGE, Diff, Factor, ServerChange, TermChange

MAX_REASONS = 5  #: term changes named in one headline; the rest are counted
MAX_CHART_SERVERS = 10  #: servers drawn in the Markdown chart, the changed ones first
MAX_NAME = 80  #: characters of a group or server name in a headline


def render(diff: Diff, out: TextIO, form: str) -> None:
    {"text": _text, "json": _json, "markdown": _markdown}[form](diff, out)


# --- the words every format shares -------------------------------------------------------------------------------


def base_line(diff: Diff) -> str:
    base = diff.base
    how = "" if base.how == "given" else f", the {base.how}"
    return f"Base {base.revision} ({base.commit[:12]}{how}) → the working tree"


def headline(change: ServerChange) -> str:
    """`orders-db: 160 → 240 of 197 usable (+80: api processes 2 → 3, k8s/api.yaml:11)`."""
    name = server_name(change)
    if change.after is None:
        return f"{name}: gone (was {_amount(change.before)} of {change.usable_before} usable)"
    usable = _usable(change)
    if change.before is None:
        return f"{name}: new, {_amount(change.after)} of {usable} usable{_why(change, new=True)}"
    if not change.changed:
        return f"{name}: {_amount(change.after)} of {usable} usable, unchanged"
    return f"{name}: {_amount(change.before)} → {_amount(change.after)} of {usable} usable{_why(change)}"


def server_name(change: ServerChange) -> str:
    budget = change.after or change.before
    name = neutral.value(change.server, MAX_NAME)
    return f"{name} (no server in the repository)" if budget and budget.server.assumed else name


def deployment_name(change: ServerChange) -> str:
    return neutral.value(change.deployment, MAX_NAME) if change.deployment else "(every process of the tree)"


def term_reason(term: TermChange) -> str:
    group = neutral.value(term.group, MAX_NAME)
    where = neutral.path(term.location.short)
    if term.kind == "added":
        return f"{group} added: {_formula(term.after)}, {where}"
    if term.kind == "removed":
        return f"{group} removed: was {_formula(term.before)}, {where}"
    return "; ".join(_factor(group, factor) for factor in term.factors)


def signed(delta: float | None) -> str:
    if delta is None:
        return "change unknown"
    if math.isinf(delta):
        return "+unbounded" if delta > 0 else "-unbounded"
    return f"+{int(delta)}" if delta > 0 else f"-{int(-delta)}" if delta < 0 else "±0"


def _why(change: ServerChange, new: bool = False) -> str:
    reasons = _counted(term_reason(term) for term in sorted(change.terms, key=_weight))
    more = len(reasons) - MAX_REASONS
    shown = "; ".join(reasons[:MAX_REASONS]) + (f"; … and {more} more" if more > 0 else "")
    delta = "" if new else signed(change.delta)
    if not shown:
        return f" ({delta})" if delta else ""
    return f" ({delta}: {shown})" if delta else f" ({shown})"


def _weight(term: TermChange) -> float:
    """The largest changes first, and those whose size is unknown before all: they may be any size."""
    return -math.inf if term.delta is None else -abs(term.delta)


def _counted(reasons) -> list[str]:
    """Identical reasons once, with how many terms gave them (five Prisma clients added to one group)."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return [reason if count == 1 else f"{reason} (×{count})" for reason, count in counts.items()]


def _factor(group: str, factor: Factor) -> str:
    where = f", {neutral.path(factor.location.short)}" if factor.location else ""
    return f"{group} {factor.name} {show(factor.before)} → {show(factor.after)}{where}"


def _formula(term) -> str:
    return f"{show(term.processes)} × {show(term.at_once)} = {show(term.product)}"


def _amount(budget: Budget | None) -> str:
    if budget is None:
        return "0"
    if math.isinf(budget.total):
        return "unbounded"
    return f"{int(budget.total)}" if budget.complete else f"at least {int(budget.total)}"


def _usable(change: ServerChange) -> str:
    before, after = change.usable_before, change.usable_after
    return f"{before} → {after}" if before is not None and before != after else str(after)


# --- text ------------------------------------------------------------------------------------------------------


def _text(diff: Diff, out: TextIO) -> None:
    out.write(neutral.text(base_line(diff)) + "\n")
    deployment = None
    for change in diff.servers:
        if change.deployment != deployment:
            deployment = change.deployment
            out.write(f"deployment {deployment_name(change)}:\n")
        out.write(f"  {headline(change)}\n")
        if change.worse:
            out.write(f"    worse: {change.worse}\n")
    for line in _skipped(diff):
        out.write(line + "\n")
    out.write(conclusion(diff) + "\n")


def conclusion(diff: Diff) -> str:
    worse = len(diff.worse)
    if not diff.servers:
        return "No budget on either side."
    if worse:
        return f"{worse} server{'s' if worse != 1 else ''} worse than at the base."
    if not any(change.changed for change in diff.servers):
        return "No budget changed."
    return "No server worse than at the base."


def _skipped(diff: Diff) -> list[str]:
    """The base's files not read: links out and refused paths by name, files over the size bound (bundled
    releases, lock files; the working tree does not read them either) only counted. JSON lists every one."""
    large = [entry for entry in diff.base.skipped if entry.endswith(TOO_LARGE)]
    named = [entry for entry in diff.base.skipped if not entry.endswith(TOO_LARGE)]
    parts = [neutral.value(entry, MAX_NAME * 2) for entry in named[:3]]
    if len(named) > 3:
        parts.append(f"… and {len(named) - 3} more")
    if large:
        parts.append(f"{len(large)} file{'s' if len(large) != 1 else ''} over the size limit")
    return [f"Not read at the base: {'; '.join(parts)}"] if parts else []


# --- JSON ------------------------------------------------------------------------------------------------------


def document(diff: Diff) -> dict:
    base = diff.base
    return {
        "version": __version__,
        "base": {"revision": base.revision, "commit": base.commit, "how": base.how, "skipped": list(base.skipped)},
        "head": "working tree",
        "worse": bool(diff.worse),
        "servers": [_server(change) for change in diff.servers],
    }


def _json(diff: Diff, out: TextIO) -> None:
    json.dump(neutral.data(document(diff)), out, indent=2)
    out.write("\n")


def _server(change: ServerChange) -> dict:
    budget = change.after or change.before
    return {
        "deployment": change.deployment or None,
        "server": change.server,
        "assumed": bool(budget and budget.server.assumed),
        "status_before": change.status_before,
        "status_after": change.status_after,
        "changed": change.changed,
        "worse": change.worse,
        "delta": _integer(change.delta),
        "headline": headline(change),
        "before": change.before.as_data() if change.before else None,
        "after": change.after.as_data() if change.after else None,
        "terms": [_term(term) for term in change.terms],
    }


def _term(term: TermChange) -> dict:
    return {
        "change": term.kind,
        "group": term.group,
        "pool": term.pool,
        "delta": _integer(term.delta),
        "path": term.location.path,
        "line": term.location.line,
        "factors": [
            {
                "name": factor.name,
                "before": _integer(factor.before),
                "after": _integer(factor.after),
                "path": factor.location.path if factor.location else None,
                "line": factor.location.line if factor.location else None,
            }
            for factor in term.factors
        ],
        "before": term.before.as_data() if term.before else None,
        "after": term.after.as_data() if term.after else None,
    }


def _integer(value: float | None) -> int | None:
    """JSON has no infinity: an unbounded number is null, and the budget's `unbounded` says so."""
    return None if value is None or math.isinf(value) else int(value)


# --- Markdown --------------------------------------------------------------------------------------------------


def _markdown(diff: Diff, out: TextIO) -> None:
    out.write("### pgconnlint: connection budget change\n\n")
    out.write(f"{_md(base_line(diff))}.\n\n")
    if not diff.servers:
        out.write(f"{conclusion(diff)}\n")
        return
    out.write("| # | deployment | server | before | after | usable | change |\n|---:|---|---|---:|---:|---:|---|\n")
    for number, change in enumerate(diff.servers, 1):
        cells = (
            str(number),
            deployment_name(change),
            server_name(change),
            _amount(change.before) if change.before else "—",
            _amount(change.after) if change.after else "—",
            _usable(change) if change.after else str(change.usable_before),
            signed(change.delta) if change.changed else "unchanged",
        )
        last = f"**worse**: {_md(change.worse)}" if change.worse else _md(cells[-1])
        out.write("| " + " | ".join([*(_md(cell) for cell in cells[:-1]), last]) + " |\n")
    sections = ["**" + conclusion(diff) + "**" if diff.worse else conclusion(diff)]
    sections.append("".join(f"- {_md(headline(change))}\n" for change in diff.servers if change.terms).rstrip("\n"))
    sections += [_md(line) for line in _skipped(diff)]
    sections.append(_chart(diff))
    out.write("\n" + "\n\n".join(section for section in sections if section))


def _chart(diff: Diff) -> str:
    """A Mermaid xychart-beta (GitHub renders it): one bar per server and side, the usable slots as a line. The
    changed servers first; an unbounded total is drawn to the top of the axis; names that truncate alike are told
    apart by their number in the table."""
    numbered = sorted(enumerate(diff.servers, 1), key=lambda item: not item[1].changed)[:MAX_CHART_SERVERS]
    names = [_label(server_name(change)) for _, change in numbered]
    ambiguous = len(set(names)) < len(names)
    labels, totals, usable = [], [], []
    for (number, change), name in zip(numbered, names, strict=True):
        for side, budget, slots in (
            ("before", change.before, change.usable_before),
            ("after", change.after, change.usable_after),
        ):
            unbounded = budget is not None and math.isinf(budget.total)
            labels.append(f"{str(number) + ': ' if ambiguous else ''}{name} {side}{' (unbounded)' * unbounded}")
            totals.append(math.inf if unbounded else 0 if budget is None else int(budget.total))
            usable.append(slots if slots is not None else (change.usable_before or change.usable_after or 0))
    top = math.ceil(1.1 * max([*(t for t in totals if not math.isinf(t)), *usable, 1]))
    bars = [top if math.isinf(total) else total for total in totals]
    axis = ", ".join(f'"{label}"' for label in labels)
    return (
        "```mermaid\n"
        "xychart-beta\n"
        '    title "Connections at once, before and after, against the usable slots (line)"\n'
        f"    x-axis [{axis}]\n"
        f'    y-axis "connections" 0 --> {top}\n'
        f"    bar [{', '.join(map(str, bars))}]\n"
        f"    line [{', '.join(map(str, usable))}]\n"
        "```\n"
    )


def _label(name: str) -> str:
    """A name as a Mermaid string: no quote, backslash or backtick to end it or the fence; short enough to read."""
    plain = name.translate({ord('"'): "'", ord("\\"): "/", ord("`"): "'"})
    return plain if len(plain) <= 30 else "…" + plain[-29:]


_MARKDOWN_SPECIAL = str.maketrans({**{c: "\\" + c for c in "\\`*_[]|#!~"}, "<": "&lt;", ">": "&gt;", "&": "&amp;"})


def _md(text: str) -> str:
    """A value inside Markdown: neutralised (pgconnlint/neutral.py), and no character that would start markup, a
    link, an image, HTML or a new table cell."""
    return neutral.text(text).translate(_MARKDOWN_SPECIAL)
