"""Shared by the TypeORM flag rules: which connections have an option that evaluates to true."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pgconnlint.expr import truthy
from pgconnlint.linked import OrmConnection, ProcessGroup, Project
from pgconnlint.model import Known


def enabled(project: Project, attribute: str) -> Iterator[tuple[ProcessGroup, OrmConnection, Known]]:
    """(group, connection, value) for each connection whose option is truthy, JavaScript-style."""
    for group in project.groups:
        for connection in group.connections:
            if not isinstance(connection, OrmConnection):
                continue
            value = getattr(connection, attribute)
            if isinstance(value, Known) and truthy(value.value):
                yield group, connection, value


def describe(option: str, value: Known) -> str:
    """`synchronize: true (ormconfig.json:10)`, noting when a string made it true."""
    note = ""
    if isinstance(value.value, str):
        note = f"; the string {value.value!r} is truthy, so TypeORM treats it as true"
    source = f"{value.via}, " if value.via else ""
    return f"{option} is {js_literal(value.value)} ({source}{value.location.short}{note})"


def js_literal(value: object) -> str:
    """A value as the JavaScript that produced it would print: true, 10, "false"."""
    return json.dumps(value) if isinstance(value, (bool, str, int, float)) or value is None else str(value)
