"""PGC209 django-persistent-connections-with-greenlets. Docs and examples: rules/PGC209.md."""

from __future__ import annotations

import math
from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.expr import evaluate
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import EngineConnection, Project
from pgconnlint.model import Known, cite

_GREENLETS = ("gevent", "eventlet")


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        if not any(name in group.manager for name in _GREENLETS):
            continue
        for connection in group.connections:
            if not isinstance(connection, EngineConnection) or connection.source.library != "django":
                continue
            if connection.source.options.get("OPTIONS.pool") is not None:
                continue  # a psycopg_pool caps them
            if not math.isinf(connection.pools[0].kept_open):
                continue  # the link found them closed after each task (Celery 5.6+: pgconnlint/runtime_units.py)
            written = connection.source.options.get("CONN_MAX_AGE")
            age = evaluate(written, group.environment) if written is not None else None
            if not isinstance(age, Known) or not (age.value is None or _positive(age.value)):
                continue
            kept = "forever (None)" if age.value is None else f"for {age.value} s"
            yield finding(
                "PGC209",
                connection.source.options.key_location("CONN_MAX_AGE"),
                f"CONN_MAX_AGE keeps each connection of {connection.pools[0].label} open {kept} under"
                f" {group.manager} ({group.name}): Django holds one connection per greenlet"
                f" ({cite(group.units, 'at once per process')} × {cite(group.processes, 'processes')}), and a"
                " greenlet that ends never closes its own, so the connections are not bounded by those numbers:"
                " they grow with the traffic until the server's limit is reached (counted as unbounded)",
                help=_help(group.manager),
                related=(group.location,),
            )


def _help(manager: str) -> str:
    fix = "set CONN_MAX_AGE = 0 with gevent/eventlet, or use Django 5.1's OPTIONS pool or PgBouncer"
    if manager.startswith("celery"):
        fix += "; Celery 5.6+ closes a task's connections after the task (require celery>=5.6)"
    return fix


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False
