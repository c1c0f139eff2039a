"""Pools count against the server their host names (a compose service, a Kubernetes Service), not always the first."""

from __future__ import annotations

COMPOSE = """\
services:
  db:
    image: postgres:16
    command: postgres -c max_connections=40
  analytics:
    image: postgres:16
    container_name: analytics-db
    command: postgres -c max_connections=20
"""


def pool(host: str, size: int) -> str:
    return (
        "const { Pool } = require('pg');\n"
        f"module.exports = new Pool({{ host: '{host}', max: {size}, connectionTimeoutMillis: 5000 }});\n"
    )


def package(name: str) -> str:
    return f'{{"name": "{name}", "dependencies": {{"pg": "^8.11.0"}}}}'


def by_server(result) -> dict[str, list[str]]:
    return {budget.server.name: [term.group.name for term in budget.terms] for budget in result.budgets}


def test_each_pool_counts_against_the_server_its_host_names(lint_tree):
    result = lint_tree(
        {
            "docker-compose.yml": COMPOSE,
            "orders/package.json": package("orders"),
            "orders/db.js": pool("db", 30),
            "reports/package.json": package("reports"),
            "reports/db.js": pool("analytics-db", 25),
        }
    )
    budgets = {budget.server.name: budget for budget in result.budgets}
    assert by_server(result) == {
        "docker-compose.yml service db": ["orders"],
        "docker-compose.yml service analytics": ["reports"],
    }
    assert budgets["docker-compose.yml service analytics"].total == 25
    assert budgets["docker-compose.yml service db"].note == ""
    exceeded = [f for f in result.findings if f.code == "PGC101"]
    assert len(exceeded) == 1 and "docker-compose.yml service analytics" in " ".join(
        (exceeded[0].message, *exceeded[0].notes)
    )
    assert "25" in " ".join((exceeded[0].message, *exceeded[0].notes)) and "max_connections 20" in " ".join(
        (exceeded[0].message, *exceeded[0].notes)
    )


def test_a_pool_whose_host_names_no_server_counts_against_the_first_and_says_so(lint_tree):
    result = lint_tree(
        {
            "docker-compose.yml": COMPOSE,
            "package.json": package("api"),
            "db.js": pool("db.example.internal", 5),
        }
    )
    first = result.budgets[0]
    # servers are ordered by name when nothing chooses one
    assert first.server.name == "docker-compose.yml service analytics"
    assert [t.group.name for t in first.terms] == ["api"]
    assert first.note.startswith("pools whose host names no server count against the first of 2 servers")


def test_a_fully_qualified_service_name_matches_its_short_name(lint_tree):
    result = lint_tree(
        {
            "docker-compose.yml": COMPOSE,
            "package.json": package("reports"),
            "db.js": pool("analytics-db.prod.svc.cluster.local", 5),
        }
    )
    assert by_server(result)["docker-compose.yml service analytics"] == ["reports"]
