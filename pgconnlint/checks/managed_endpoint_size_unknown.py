"""PGC122 managed-endpoint-size-unknown. Docs and examples: rules/PGC122.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.pooler import Endpoint, profile_size, provider_endpoints

#: what follows the compute size at each kind of endpoint (pgconnlint/data/providers.toml)
_FOLLOWS = {
    ("supabase", "direct"): "its max_connections (60 on Nano to 500 on 16XL)",
    ("supabase", "transaction"): "its client limit (200 on Nano to 12,000 on 16XL)",
    ("neon", "direct"): "its max_connections (104 at 0.25 CU to 4,000)",
    ("neon", "transaction"): "the pooler's server pool (90% of max_connections: 93 at 0.25 CU to 3,600)",
}
_EXAMPLE = {"supabase": "supabase:small", "neon": "neon:1"}


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    for group in project.groups:
        pools = {pool.location: pool for connection in group.connections for pool in connection.pools}
        for where, endpoint in provider_endpoints(group).items():
            follows = _FOLLOWS.get((endpoint.provider, endpoint.mode))
            if follows is None or profile_size(project.servers, endpoint.provider) is not None:
                continue  # Supavisor's session mode is capped at the Pool Size, which no size tells
            yield finding(
                "PGC122",
                where,
                f"{pools[where].label} in {group.name} connects to {endpoint.describe}, and {follows} follows the"
                f" compute size, which nothing in the repository or the configuration names: {_consequence(endpoint)}",
                help=f'name the size in configuration: server-profile = "{_EXAMPLE[endpoint.provider]}" (yours)',
            )


def _consequence(endpoint: Endpoint) -> str:
    if endpoint.mode == "direct":
        return "these connections are counted against the servers the repository describes, or PostgreSQL's defaults"
    return "the budget leaves that limit out rather than guess it"
