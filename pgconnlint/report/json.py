"""The JSON document (docs/json-output.md): findings, plus every server's budget even when nothing is flagged."""

from __future__ import annotations

import json
from typing import TextIO

from pgconnlint import __version__, neutral
from pgconnlint.lint import Result
from pgconnlint.model import Default, Location, Severity


def render(result: Result, out: TextIO) -> None:
    json.dump(neutral.data(document(result)), out, indent=2, sort_keys=False)
    out.write("\n")


def document(result: Result) -> dict:
    findings = result.findings
    return {
        "version": __version__,
        "environment": result.project.environment,
        "cpus": result.project.cpus,
        "findings": [
            {
                "code": f.code,
                "name": f.name,
                "severity": str(f.severity),
                "message": f.message,
                **_location(f.location),
                "help": f.help,
                "notes": list(f.notes),
                "related": [_location(location) for location in f.related],
                "data": f.data,
            }
            for f in findings
        ],
        "servers": [_server(budget) for budget in result.budgets],
        "summary": {
            **{str(level): sum(f.severity == level for f in findings) for level in reversed(Severity)},
            "files": result.files,
        },
    }


def _server(budget) -> dict:
    server = budget.server
    settings = {
        name: {"value": value.value, "default": isinstance(value, Default), **_location(value.location)}
        for name, value in (
            ("max_connections", server.max_connections),
            ("superuser_reserved_connections", server.superuser_reserved_connections),
            ("reserved_connections", server.reserved_connections),
        )
    }
    return {"name": server.name, "assumed": server.assumed, **budget.as_data(), "settings": settings}


def _location(location: Location) -> dict:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
    }
