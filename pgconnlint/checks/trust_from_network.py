"""PGC401 trust-from-network. Docs and examples: rules/PGC401.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project

_LOCAL = ("127.0.0.1/32", "::1/128", "localhost", "samehost", "127.0.0.1", "::1")
_LOOPBACK_LISTEN = ("", "localhost", "127.0.0.1", "::1", "localhost,127.0.0.1")


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    listening = _listening(project)
    if listening is None:
        return
    for rule in project.hba_rules:
        if rule.method == "trust" and rule.conntype.startswith("host") and (rule.address or "") not in _LOCAL:
            yield finding(
                "PGC401",
                rule.location,
                f"`{rule.conntype} … {rule.address} trust` lets every client from {rule.address} connect as any"
                f" role without a password, and the server listens beyond this machine ({listening})",
                help="use scram-sha-256 for network clients; keep trust, if at all, for `local` socket connections",
                related=(),
            )


def _listening(project: Project) -> str | None:
    """What makes the server reachable from the network: listen_addresses, or a container (the official image
    sets listen_addresses = '*'); None when every server listens on loopback only."""
    for server in project.servers:
        setting = server.config.settings.get("listen_addresses") if server.config else None
        if setting is not None and str(setting.value.value).strip() not in _LOOPBACK_LISTEN:
            return f"listen_addresses = '{setting.value.value}' [{setting.value.location.short}]"
        if server.environment or "docker run" in server.name or " service " in server.name:
            return f"{server.name}: the official image listens on '*'"
    return None
