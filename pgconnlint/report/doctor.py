"""`pgconnlint doctor` output: rich tables for people, or one JSON document (docs/doctor.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from pgconnlint import __version__, neutral
from pgconnlint.budget import show
from pgconnlint.doctor import Diagnosis, Live, Session
from pgconnlint.model import Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_json(diagnosis: Diagnosis, out: TextIO) -> None:
    json.dump(neutral.data(document(diagnosis)), out, indent=2)
    out.write("\n")


def document(diagnosis: Diagnosis) -> dict:
    live = diagnosis.live
    return {
        "version": __version__,
        "server": {
            "target": live.target,
            "version": live.version,
            "version_num": live.version_num,
            "user": live.user,
            "database": live.database,
            "superuser": live.superuser,
            "reads_all_stats": live.reads_all_stats,
            "reads_all_settings": live.reads_all_settings,
        },
        "settings": {
            name: {
                "value": s.value,
                "source": s.source,
                "file": s.file,
                "pending_restart": s.pending_restart,
                "file_value": s.file_value,
                "file_value_at": s.file_value_at,
            }
            for name, s in live.settings.items()
        },
        "slots": {"usable": live.usable, "used": len(live.sessions), "hidden": live.hidden},
        "sessions": [
            {**dict(zip(("database", "role", "application_name", "client", "state"), key, strict=True)), "count": count}
            for key, count in _groups(live.sessions)
        ],
        "idle_in_transaction": [
            {
                "pid": s.pid,
                "database": s.database,
                "role": s.role,
                "application_name": s.application,
                "client": s.client,
                "idle_s": round(s.idle_s, 1),
                "transaction_s": None if s.transaction_s is None else round(s.transaction_s, 1),
            }
            for s in _idle(live)
        ],
        "limits": [
            {
                "kind": lim.kind,
                "name": lim.name,
                "limit": lim.limit,
                "connected": lim.connected,
                "superuser": lim.superuser,
            }
            for lim in live.limits
        ],
        "repository": _repository(diagnosis),
        "findings": [
            {
                "code": f.code,
                "name": f.name,
                "severity": str(f.severity),
                "message": f.message,
                "path": f.location.path or None,
                "line": f.location.line or None,
                "column": f.location.column if f.location.path else None,
                "help": f.help,
                "notes": list(f.notes),
                "related": [{"path": r.path, "line": r.line, "column": r.column} for r in f.related],
                "data": f.data,
            }
            for f in diagnosis.findings
        ],
        "notes": list(diagnosis.notes),
        "summary": {str(level): sum(f.severity == level for f in diagnosis.findings) for level in reversed(Severity)},
    }


def _repository(diagnosis: Diagnosis) -> dict | None:
    budget = diagnosis.budget
    if budget is None:
        return None
    data = budget.as_data()
    return {
        "server": budget.server.name,
        "assumed": budget.server.assumed,
        "usable": data["usable"],
        "total": data["total"],
        "ceiling": data["ceiling"],
        "apps": [
            {
                "name": app.name,
                "connections": _number(app.at_once),
                "ceiling": _number(app.ceiling),
                "formula": app.formula,
                "live": len(app.sessions),
            }
            for app in diagnosis.apps
        ],
        "unattributed": len(diagnosis.unattributed),
    }


def render_text(diagnosis: Diagnosis, out: TextIO, color: bool | None = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    tty = out.isatty() if hasattr(out, "isatty") else False
    console = Console(
        file=out,
        force_terminal=color,
        no_color=True if color is False else None,  # None: rich honours NO_COLOR
        highlight=False,
        emoji=False,  # `:x:` in a role or database name stays text
        width=None if tty else 160,
    )
    live = diagnosis.live
    role = "superuser" if live.superuser else "pg_monitor" if live.reads_all_stats else "no pg_monitor"
    console.print(f"[bold]PostgreSQL {_shown(live.version)}[/] at {_shown(live.target)} ({role})")
    _print_tables(console, diagnosis)
    for note in diagnosis.notes:
        console.print(f"[blue]note[/]: {_shown(note)}", soft_wrap=True)
    console.print()
    for f in map(neutral.finding, diagnosis.findings):
        where = f"[bold]{escape(str(f.location))}[/]: " if f.location.path else ""
        # soft_wrap: a finding stays on one line when piped, for grep, as `check` prints it
        console.print(f"{where}[{_STYLE[f.severity]}]{f.code} \\[{f.severity}][/] {escape(f.message)}", soft_wrap=True)
        for note in f.notes:
            console.print(f"    {escape(note)}", style="dim", soft_wrap=True)
        if f.help:
            console.print(f"    [green]help[/]: {escape(f.help)}", soft_wrap=True)
    if not diagnosis.findings:
        console.print("No findings.")
        return
    plural = "s" if len(diagnosis.findings) != 1 else ""
    console.print(f"Found {len(diagnosis.findings)} finding{plural}.")
    codes = sorted({f.code for f in diagnosis.findings})
    console.print(f"Run `pgconnlint explain {codes[0]}` for what a rule checks and how to fix it.", style="dim")


def _print_tables(console, diagnosis: Diagnosis) -> None:
    live = diagnosis.live
    _table(
        console,
        "Settings (pg_settings)",
        ("name", "value", "source", "pending restart"),
        [(s.name, _value(s), s.source + (f" {s.file}" if s.file else ""), "yes" if s.pending_restart else "")
         for s in live.settings.values()],
    )  # fmt: skip
    used = len(live.sessions)
    share = f" ({used / live.usable:.0%})" if live.usable > 0 else ""
    console.print(
        neutral.text(f"Slots: {used} client connections{share} of {live.usable} usable = {live.usable_formula}"),
        markup=False,
        soft_wrap=True,
    )
    _table(
        console,
        "Connections (pg_stat_activity, client backends)",
        ("database", "role", "application_name", "client", "state", "count"),
        [(*(_cell(v) for v in key), str(count)) for key, count in _groups(live.sessions)],
    )
    idle = _idle(live)
    if idle:
        _table(
            console,
            f"Idle in transaction: {len(idle)}, oldest first",
            ("pid", "database", "role", "application_name", "client", "idle", "transaction"),
            [(str(s.pid), *(_cell(v) for v in (s.database, s.role, s.application, s.client)),
              f"{s.idle_s:.0f} s", f"{s.transaction_s or 0:.0f} s") for s in idle],
        )  # fmt: skip
    if live.limits:
        _table(
            console,
            "Connection limits",
            ("kind", "name", "limit", "connected"),
            [(lim.kind, lim.name + (" (superuser: exempt)" if lim.superuser else ""), str(lim.limit),
              str(lim.connected)) for lim in live.limits],
        )  # fmt: skip
    if diagnosis.budget is not None:
        _print_comparison(console, diagnosis)


def _print_comparison(console, diagnosis: Diagnosis) -> None:
    budget, live = diagnosis.budget, diagnosis.live
    rows = [(app.name, app.formula, show(app.ceiling), str(len(app.sessions))) for app in diagnosis.apps]
    rows.append(("(no app's application_name)", "", "", str(len(diagnosis.unattributed))))
    rows.append(("total", show(budget.total), show(budget.ceiling), str(len(live.sessions) - 1)))
    _table(
        console,
        "Repository budget beside live use (doctor's own session not counted)",
        ("app", "at once (repository)", "pools permit", "live now (by application_name)"),
        rows,
    )
    server = budget.server
    where = "PostgreSQL defaults (no configuration in the repository)" if server.assumed else server.name
    console.print(
        neutral.text(
            f"Usable slots: repository {server.usable} ({where}: {server.formula}); running server {live.usable}"
        ),
        markup=False,
        soft_wrap=True,
    )


def _table(console, title: str, columns: tuple[str, ...], rows) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in ("count", "limit", "connected") else "left")
    for row in rows:
        table.add_row(*(Text(neutral.value(cell, neutral.MAX_VALUE)) for cell in row))
    console.print(table)


def _shown(value: object) -> str:
    """A server's or a repository's value inside markup: neutralised, then markup-escaped."""
    from rich.markup import escape

    return escape(neutral.value(value))


def _groups(sessions: tuple[Session, ...]) -> list[tuple[tuple, int]]:
    counts = Counter((s.database, s.role, s.application, s.client, s.state) for s in sessions)
    return sorted(counts.items(), key=lambda item: (-item[1], [str(v) for v in item[0]]))


def _idle(live: Live) -> list[Session]:
    return sorted((s for s in live.sessions if s.idle_in_transaction and s.idle_s is not None), key=lambda s: -s.idle_s)


def _value(setting) -> str:
    if setting.name.endswith("timeout"):
        return "0 (off)" if setting.value == 0 else f"{setting.value} ms"
    return str(setting.value)


def _cell(value) -> str:
    return "(hidden)" if value is None else value or "''"


def _number(value: float) -> int | None:
    return None if value == float("inf") else int(value)
