"""PGC315 idle-in-transaction-timeout-missing. Docs and examples: rules/PGC315.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import setting_value
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for server in project.servers:
        if server.config is None:
            continue
        setting = setting_value(server, "idle_in_transaction_session_timeout")
        if setting is not None and setting.value.value not in (0, "0"):
            continue
        if setting is None and server.config.managed:
            continue  # a managed server: its provider's default for this parameter is not in pgconnlint's tables
        why = f"0 [{setting.value.location.short}] turns it off" if setting else "not set; the default 0 turns it off"
        where = setting.value.location if setting else server.location
        yield finding(
            "PGC315",
            where,
            f"{server.name} has no idle_in_transaction_session_timeout ({why}): a session left open in a"
            " transaction by a crashed request or a leak keeps its connection and its locks until someone"
            " terminates it",
            help=f"{_fix(where.path, server.name)} (or what your longest transaction needs)",
        )


def _fix(path: str, server: str) -> str:
    """The setting in the syntax of the file it goes in: postgresql.conf, the postgres command line (compose
    `command:`, a StatefulSet's args, `docker run`), an operator's `parameters`, a Terraform parameter group."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith(".tf"):
        return 'add parameter { name = "idle_in_transaction_session_timeout", value = "60000" } (milliseconds)'
    if name.endswith((".yaml", ".yml")) and any(f" {kind} " in f"{server} " for kind in _OPERATOR_KINDS):
        return 'set spec.postgresql.parameters.idle_in_transaction_session_timeout: "60s"'
    if name.endswith(".conf") or name == "pgconnlint.toml" or name == "pyproject.toml":
        return "set idle_in_transaction_session_timeout = '60s'"
    return "add -c idle_in_transaction_session_timeout=60s to the postgres command"


_OPERATOR_KINDS = ("Cluster", "postgresql")  # CloudNativePG and Zalando: both take spec.postgresql.parameters
