"""PGC402 host-auth-trust. Docs and examples: rules/PGC402.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for server in project.servers:
        for binding in server.environment:
            if binding.name == "POSTGRES_HOST_AUTH_METHOD" and str(binding.value).lower() == "trust":
                yield finding(
                    "PGC402",
                    binding.location,
                    f"POSTGRES_HOST_AUTH_METHOD=trust for {server.name}: the image writes `host all all all trust`"
                    " to pg_hba.conf, so anyone who reaches the port connects as any role, superusers included,"
                    " without a password",
                    help="set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE with a secret) and drop the trust method",
                )
