"""PGC311 invalid-parameter-value. Docs and examples: rules/PGC311.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import catalogue, configured
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.parameters import check_value


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    known = catalogue(project)
    for setting in configured(project):
        spec = known.parameters.get(setting.name)
        problem = check_value(spec, setting.text or str(setting.value.value)) if spec else None
        if problem:
            yield finding(
                "PGC311",
                setting.value.location,
                f"invalid value for {setting.name}: {problem} (PostgreSQL {known.version}, {spec['type']}"
                f"{', unit ' + spec['unit'] if spec['unit'] else ''}); the server refuses to start",
                data={"parameter": setting.name},
                help="write a value the parameter accepts; `pgconnlint explain PGC311` lists the units",
            )
