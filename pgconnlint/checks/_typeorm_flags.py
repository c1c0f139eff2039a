"""Shared by the TypeORM flag rules: which connections have an option that evaluates to true."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pgconnlint.expr import Call, EnvVar, Expr, Logical, truthy
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
    where = value.location.short
    source = value.via if where in value.via else ", ".join(filter(None, (value.via, where)))
    return f"{option} is {js_literal(value.value)} ({source}{note})"


def js_literal(value: object) -> str:
    """A value as the JavaScript that produced it would print: true, 10, "false"."""
    return json.dumps(value) if isinstance(value, (bool, str, int, float)) or value is None else str(value)


def turn_off(connection: OrmConnection, option: str) -> str:
    """How to turn the option off, in words that agree with PGC211 when an environment string feeds it: writing
    `false` in the .env file does not turn off `synchronize: process.env.X`, parsing it does."""
    variable = unparsed_variable(connection.config.options.get(option))
    if variable is None:
        return f"set {option}: false"
    return f'parse {variable} ({option}: process.env.{variable} === "true") and leave it unset'


def unparsed_variable(expr: Expr | None) -> str | None:
    """The variable whose raw string becomes the option: `process.env.X`, `X || false`, `Boolean(process.env.X)`,
    Nest's `config.get("X")`; None when the expression compares or parses it."""
    if isinstance(expr, EnvVar):
        return expr.name
    if isinstance(expr, Call) and expr.function == "Boolean":
        return unparsed_variable(expr.argument)
    if isinstance(expr, Logical) and expr.op in ("||", "??"):
        return unparsed_variable(expr.left)
    return None
