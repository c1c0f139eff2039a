"""Supabase and Neon endpoints told by host and port, their poolers budgeted as bouncers, and poolers that run as
several replicas (issue 17: "Supabase and Neon endpoints", "Poolers that are themselves replicated")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint import config
from pgconnlint.lint import LintOptions, lint
from pgconnlint.pooler import classify
from pgconnlint.settings import CommandLine, resolve


def run(root: Path, **options):
    """As the command line runs it: the tree's own pgconnlint.toml applies."""
    found = resolve(config.load(config.find(root)), CommandLine(cpus=TEST_CPUS, **options), root)
    return lint(root, found.lint)


def budget(result, server: str) -> dict:
    return next(b.as_data() for b in result.budgets if b.server.name == server)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("aws-0-eu-west-1.pooler.supabase.com", 6543, ("supabase", "transaction", "Supavisor")),
        ("aws-0-eu-west-1.pooler.supabase.com", 5432, ("supabase", "session", "Supavisor")),
        ("aws-0-eu-west-1.pooler.supabase.com", None, ("supabase", "session", "Supavisor")),
        ("db.abcdefghijklmnop.supabase.co", 5432, ("supabase", "direct", "")),
        ("db.abcdefghijklmnop.supabase.co", 6543, ("supabase", "transaction", "dedicated PgBouncer")),
        ("ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech", None, ("neon", "transaction", "PgBouncer")),
        ("ep-cool-darkness-123456.us-east-2.aws.neon.tech", 5432, ("neon", "direct", "")),
        ("EP-Cool-Darkness-123456-Pooler.c-2.eu-central-1.aws.neon.tech", None, ("neon", "transaction", "PgBouncer")),
        ("pgbouncer", 6432, None),
        ("pooler.example.com", 6543, None),
        ("db.example.supabase.co.evil.com", 5432, None),
        (None, 6543, None),
    ],
)
def test_endpoints_are_told_by_host_and_port(host, port, expected):
    found = classify(host, port)
    assert (found and (found.provider, found.mode, found.pooler)) == expected


def test_supavisor_pools_count_against_its_client_limit_and_direct_ones_against_the_compute():
    result = run(FIXTURES / "supabase-supavisor")
    assert keys(result) == []
    pooler = budget(result, "Supabase Supavisor aws-0-eu-west-1.pooler.supabase.com:6543")
    assert (pooler["total"], pooler["usable"]) == (80, 200)  # 4 × 20 against Nano's 200 pooler clients
    server = budget(result, "profile supabase:nano")
    assert (server["total"], server["usable"], server["complete"]) == (20, 57, False)  # 4 × 5 direct + Pool Size
    supavisor = next(term for term in server["terms"] if term["group"].startswith("Supabase"))
    assert supavisor["pool_max"] is None and supavisor["pool_max_from"]["expression"] == "Pool Size"


def test_without_a_profile_the_compute_size_is_reported_not_guessed():
    result = lint(FIXTURES / "supabase-supavisor", LintOptions(cpus=TEST_CPUS))  # its pgconnlint.toml not read
    assert sorted(keys(result)) == [("PGC122", "src/db.js", 3), ("PGC122", "src/reports.js", 4)]
    direct = next(f for f in result.findings if f.location.path == "src/reports.js")
    assert "Supabase direct connection (db.abcdefghijklmnop.supabase.co:5432)" in direct.message
    assert "60 on Nano to 500 on 16XL" in direct.message
    assert 'server-profile = "supabase:small"' in direct.help
    names = [b.server.name for b in result.budgets]
    assert not any(name.startswith("Supabase") for name in names)  # its client limit follows the size: unknown


def test_neon_pooler_keeps_prepared_statements_and_opens_no_more_than_its_clients():
    result = run(FIXTURES / "neon-pooler")
    assert keys(result) == []  # no PGC120: Neon's pooler keeps protocol-level prepared statements
    pooler = budget(result, "Neon PgBouncer ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech:5432")
    assert (pooler["total"], pooler["usable"]) == (40, 10000)
    server = budget(result, "profile neon:0.25")
    assert (server["total"], server["usable"]) == (40, 97)  # min(90% of 104 = 93, 4 × 10); 104 − 7 reserved
    assert "fewer than its pool size 93" in server["terms"][0]["pool_max_from"]["why"]


def test_asyncpg_through_supavisor_is_reported_and_turned_off_by_a_name_function(lint_tree):
    url = "postgresql+asyncpg://app@aws-0-eu-west-1.pooler.supabase.com:6543/postgres"
    files = {
        "Procfile": "web: uvicorn app.main:app --workers 2\n",
        ".env": f"DATABASE_URL={url}\n",
        "app/__init__.py": "",
        "app/main.py": "import os\n\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=5, connect_args={ARGS})\n',
        "requirements.txt": "fastapi\nasyncpg\n",
    }
    bad = lint_tree({**files, "app/main.py": files["app/main.py"].replace("{ARGS}", '{"timeout": 5}')})
    assert [k for k in keys(bad) if k[0] == "PGC120"] == [("PGC120", "app/main.py", 5)]
    message = next(f for f in bad.findings if f.code == "PGC120").message
    assert "Supabase Supavisor aws-0-eu-west-1.pooler.supabase.com:6543 in pool_mode transaction" in message
    assert "transaction mode does not support prepared statements" in message
    named = '{"timeout": 5, "prepared_statement_name_func": lambda: f"__a_{uuid4()}__"}'
    good = lint_tree({**files, "app/main.py": files["app/main.py"].replace("{ARGS}", named)})
    assert "PGC120" not in {code for code, _, _ in keys(good)}


def test_session_mode_is_not_a_transaction_pooler(lint_tree):
    files = {
        "package.json": '{ "name": "api", "dependencies": { "postgres": "^3.4.0" } }',
        "db.js": 'const postgres = require("postgres");\n\nmodule.exports = postgres('
        '"postgresql://postgres.abc@aws-0-eu-west-1.pooler.supabase.com:5432/postgres", { max: 5, connect_timeout: 10 });\n',
        "pgconnlint.toml": 'server-profile = "supabase:small"\n',
    }
    result = run(lint_tree(files).root)  # again, with the tree's pgconnlint.toml
    assert keys(result) == []
    assert not any(b.server.name.startswith("Supabase") for b in result.budgets)  # capped at the unknown Pool Size


def test_prisma_through_supavisor_without_direct_url(lint_tree):
    schema = (
        'datasource db {\n  provider = "postgresql"\n'
        '  url      = "postgresql://p.abc@aws-0-eu-west-1.pooler.supabase.com:6543/postgres?pgbouncer=true'
        '&connection_limit=3&connect_timeout=10&pool_timeout=10"\n}\n'
    )
    files = {
        "package.json": '{ "name": "api", "dependencies": { "@prisma/client": "^5.10.0" } }',
        "prisma/schema.prisma": schema,
        "index.js": 'const { PrismaClient } = require("@prisma/client");\nmodule.exports = new PrismaClient();\n',
    }
    result = lint_tree(files)
    assert ("PGC121", "prisma/schema.prisma", 3) in keys(result)
    assert "PGC120" not in {code for code, _, _ in keys(result)}  # pgbouncer=true turns Prisma's statements off
    direct = schema.replace("\n}", '\n  directUrl = "postgresql://postgres@db.abc.supabase.co:5432/postgres"\n}')
    fixed = lint_tree({**files, "prisma/schema.prisma": direct})
    assert "PGC121" not in {code for code, _, _ in keys(fixed)}


def test_typeorm_migrations_through_the_dedicated_pgbouncer(lint_tree):
    files = {
        "ormconfig.json": '{"type": "postgres", "url": "postgresql://postgres@db.abcdefgh.supabase.co:6543/postgres",'
        ' "connectTimeoutMS": 5000, "migrationsRun": true}',
        "package.json": '{ "name": "api", "dependencies": { "typeorm": "^0.3.20", "pg": "^8.11.0" } }',
    }
    found = [f for f in lint_tree(files).findings if f.code == "PGC121"]
    assert [f.key for f in found] == [("PGC121", "ormconfig.json", 1)]
    assert "Supabase dedicated PgBouncer db.abcdefgh.supabase.co:6543 in pool_mode transaction" in found[0].message


def test_pgbouncer_replicas_each_open_their_pools():
    result = run(FIXTURES / "pgbouncer-replicas")
    assert keys(result) == [("PGC101", "docker-compose.yml", 27)]
    server = budget(result, "docker-compose.yml service db")
    assert (server["total"], server["usable"]) == (60, 47)  # 3 replicas × default_pool_size 20
    assert server["terms"][0]["processes_from"]["path"] == "docker-compose.yml"
    clients = budget(result, "PgBouncer docker-compose.yml service pgbouncer")
    assert (clients["total"], clients["usable"]) == (4, 300)  # 3 × max_client_conn 100


KUBE_BOUNCER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pgbouncer
spec:
  replicas: 4
  selector:
    matchLabels: {app: pgbouncer}
  template:
    metadata:
      labels: {app: pgbouncer}
    spec:
      containers:
        - name: pgbouncer
          image: bitnami/pgbouncer:1.22.1
          env:
            - name: PGBOUNCER_DEFAULT_POOL_SIZE
              value: "25"
            - name: PGBOUNCER_POOL_MODE
              value: transaction
---
apiVersion: v1
kind: Service
metadata:
  name: pgbouncer
spec:
  selector: {app: pgbouncer}
  ports: [{port: 6432}]
"""


def test_a_kubernetes_pgbouncer_deployment_multiplies_its_pools(lint_tree):
    result = lint_tree({"k8s/pgbouncer.yaml": KUBE_BOUNCER, "db/postgresql.conf": "max_connections = 90\n"})
    server = budget(result, "db/postgresql.conf")
    assert (server["total"], server["usable"]) == (100, 87)  # 4 replicas × pool 25
    assert ("PGC101", "db/postgresql.conf", 1) in keys(result)
    bouncer = result.project.bouncers[0]
    assert (bouncer.version, bouncer.replicas.value) == ((1, 22), 4)


RDS = """\
resource "aws_db_instance" "main" {
  identifier     = "orders"
  engine         = "postgres"
  instance_class = "db.t3.medium"
}

resource "aws_db_proxy" "orders" {
  name          = "orders-proxy"
  engine_family = "POSTGRESQL"
}

resource "aws_db_proxy_default_target_group" "orders" {
  db_proxy_name = aws_db_proxy.orders.name

  connection_pool_config {
    max_connections_percent = 50
  }
}
"""
PROXIED_APP = {
    "package.json": '{ "name": "api", "dependencies": { "pg": "^8.11.0" } }',
    "index.js": 'const { Pool } = require("pg");\n\nmodule.exports = new Pool({ connectionString: process.env.DATABASE_URL,'
    " max: 100, connectionTimeoutMillis: 5000 });\n",
    ".env": "DATABASE_URL=postgresql://app@orders-proxy.proxy-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com:5432/orders\n",
    "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "index.js", instances: 8 }] };\n',
}


def test_rds_proxy_caps_the_server_connections_at_its_percentage(lint_tree):
    result = lint_tree({**PROXIED_APP, "main.tf": RDS})
    server = budget(result, "main.tf aws_db_instance.main")
    # 8 × 100 client connections, but the proxy opens at most 50% of max_connections 450 (db.t3.medium) = 225
    assert (server["total"], server["usable"]) == (225, 445)
    term = server["terms"][0]
    assert (term["group"], term["pool_max_from"]["line"]) == ("AWS RDS Proxy orders-proxy", 16)
    assert not [b for b in result.budgets if b.server.name.startswith("AWS")]  # its client limit is not modelled
    assert keys(result) == []  # RDS Proxy pins a session that keeps state: no PGC120/PGC121


def test_rds_proxy_default_percentage_is_100(lint_tree):
    no_group = RDS.split('resource "aws_db_proxy_default_target_group"')[0]
    server = budget(lint_tree({**PROXIED_APP, "main.tf": no_group}), "main.tf aws_db_instance.main")
    assert (server["total"], server["usable"]) == (450, 445)
    assert "RDS Proxy default max_connections_percent" in server["terms"][0]["pool_max_from"]["why"]


def test_django_server_side_cursors_through_neons_pooler(lint_tree):
    files = {
        "Procfile": "web: gunicorn project.wsgi --workers 2\n",
        ".env": "DATABASE_URL=postgres://shop@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/shop"
        "?connect_timeout=5\n",
        "project/__init__.py": "",
        "project/settings.py": 'import dj_database_url\n\nDATABASES = {"default": dj_database_url.config(conn_max_age=0)}\n',
        "requirements.txt": "django\n",
    }
    found = [f for f in lint_tree(files).findings if f.code == "PGC210"]
    assert [f.key for f in found] == [("PGC210", "project/settings.py", 3)]
    assert "reaches Neon PgBouncer ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech:5432" in found[0].message


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("edoburu/pgbouncer", "(0 by default before PgBouncer 1.24, and no image tag says its version)"),
        ("edoburu/pgbouncer:v1.23.1-p2", "without max_prepared_statements:"),
        ("edoburu/pgbouncer:v1.24.1-p1", None),  # max_prepared_statements 200 by default: no PGC120
    ],
)
def test_pgbouncer_version_decides_prepared_statements(lint_tree, image, expected):
    compose = (
        "services:\n  api:\n    command: uvicorn app.main:app --workers 2\n    environment:\n"
        "      DATABASE_URL: postgresql+asyncpg://app@pgbouncer:6432/app\n"
        f"  pgbouncer:\n    image: {image}\n    environment:\n      POOL_MODE: transaction\n"
    )
    files = {
        "docker-compose.yml": compose,
        "app/__init__.py": "",
        "app/main.py": "import os\n\nfrom sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=5, connect_args={"timeout": 5})\n',
        "requirements.txt": "fastapi\n",
    }
    found = [f.message for f in lint_tree(files).findings if f.code == "PGC120"]
    assert (expected in found[0]) if expected else found == []


def test_a_kubernetes_pgbouncer_stays_out_of_a_compose_deployments_budget(lint_tree):
    compose = (
        "services:\n  api:\n    build: .\n    command: gunicorn app.main:app --workers 2\n    environment:\n"
        "      DATABASE_URL: postgresql://app@db:5432/app\n"
        "  db:\n    image: postgres:16\n    command: postgres -c max_connections=30\n"
    )
    app = (
        "import os\n\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ['DATABASE_URL'],"
        " pool_size=5, max_overflow=0, pool_pre_ping=True, connect_args={'connect_timeout': 5})\n"
    )
    files = {
        "docker-compose.yml": compose,
        "k8s/pgbouncer.yaml": KUBE_BOUNCER,
        "app/__init__.py": "",
        "app/main.py": app,
    }
    server = budget(lint_tree(files), "docker-compose.yml service db")
    assert [term["group"] for term in server["terms"]] == ["docker-compose.yml service api"]
    assert server["total"] == 2
