"""PgBouncer between apps and server: its clients against max_client_conn, its own pools against the server."""

from __future__ import annotations

from conftest import FIXTURES, keys

from pgconnlint.extract.pgbouncer import extract
from pgconnlint.lint import LintOptions, lint

INI = """;; PgBouncer for the orders database
[databases]
orders = host=db port=5432 dbname=orders pool_size=30
reports = host=db dbname=reports

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
pool_mode = transaction
max_client_conn = 400
default_pool_size = 10
reserve_pool_size = 2
"""


def test_ini_settings_and_databases_keep_their_lines():
    [bouncer], problems = extract("pgbouncer/pgbouncer.ini", INI)
    assert problems == []
    assert bouncer.settings["max_client_conn"].value == 400 and bouncer.settings["max_client_conn"].location.line == 10
    assert [
        (name, options.get("pool_size").value if "pool_size" in options else None, where.line)
        for name, options, where in bouncer.databases
    ] == [("orders", 30, 3), ("reports", None, 4)]


def test_bad_ini_line_is_a_problem_with_its_line():
    _, [problem] = extract("pgbouncer.ini", "[pgbouncer]\nthis line has no equals sign\nmax_client_conn = 10\n")
    assert problem.location.line == 2


def test_server_side_pools_per_database_with_reserve(lint_tree):
    files = {
        "pgbouncer/pgbouncer.ini": INI,
        "postgresql.conf": "max_connections = 60\nidle_in_transaction_session_timeout = '60s'\n",
    }
    [server, bouncer] = lint_tree(files).budgets
    [term] = server.terms
    assert term.pool_max == (30 + 2) + (10 + 2)  # orders pool_size 30, reports default 10, each + reserve 2
    assert "orders 32 + reports 12" in term.pool.max.via and "one user per database assumed" in term.pool.max.via
    assert (bouncer.server.usable, bouncer.terms) == (400, ())


def test_apps_are_routed_by_port_or_host(lint_tree):
    pm2 = 'module.exports = { apps: [{ name: "api", script: "a.js", instances: 20 }] };\n'
    through_port = '{"type": "postgres", "host": "10.0.0.5", "port": 6432, "connectTimeoutMS": 1, "extra": {"max": 25}}'
    files = {
        "ecosystem.config.js": pm2,
        "ormconfig.json": through_port,
        "pgbouncer.ini": INI,
        "postgresql.conf": "max_connections = 60\nidle_in_transaction_session_timeout = '60s'\n",
    }
    result = lint_tree(files)
    [server, bouncer] = result.budgets
    assert [t.group.name for t in server.terms] == ["PgBouncer pgbouncer.ini"]
    assert (bouncer.total, bouncer.server.usable) == (500, 400)
    [finding] = [f for f in result.findings if f.code == "PGC101"]
    assert "usable slots: max_client_conn 400 [pgbouncer.ini:10] = 400" in " ".join((finding.message, *finding.notes))
    assert "raise max_client_conn" in finding.help
    direct = through_port.replace('"port": 6432', '"port": 5432')
    [server, bouncer] = lint_tree({**files, "ormconfig.json": direct}).budgets
    assert [t.group.name for t in server.terms] == ["api", "PgBouncer pgbouncer.ini"] and bouncer.terms == ()
    by_host = direct.replace('"10.0.0.5"', '"pgbouncer.internal"')
    assert lint_tree({**files, "ormconfig.json": by_host}).budgets[1].total == 500


def test_compose_pgbouncer_fixture():
    result = lint(FIXTURES / "compose-pgbouncer", LintOptions(cpus=4))
    server, bouncer = result.budgets
    assert (server.server.name, server.total, server.server.usable) == ("docker-compose.yml service db", 20, 27)
    assert (bouncer.server.name, bouncer.total, bouncer.server.usable) == (
        "PgBouncer docker-compose.yml service pgbouncer",
        80,
        50,
    )
    assert keys(result) == [("PGC120", "api/app/database.py", 6), ("PGC101", "docker-compose.yml", 17)]


def test_psycopg_prepare_threshold_and_max_prepared_statements(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 2 --threads 4\n",
        "requirements.txt": "flask\n",
        "app/db.py": "from sqlalchemy import create_engine\n"
        "engine = create_engine('postgresql+psycopg://app@pgbouncer:6432/app?connect_timeout=5', pool_pre_ping=True)\n",
        "pgbouncer.ini": "[pgbouncer]\npool_mode = transaction\n",
    }
    assert "PGC120" in {f.code for f in lint_tree(files).findings}
    allowed = {**files, "pgbouncer.ini": "[pgbouncer]\npool_mode = transaction\nmax_prepared_statements = 200\n"}
    assert "PGC120" not in {f.code for f in lint_tree(allowed).findings}
    session = {**files, "pgbouncer.ini": "[pgbouncer]\npool_mode = session\n"}
    assert "PGC120" not in {f.code for f in lint_tree(session).findings}
    off = {
        **files,
        "app/db.py": files["app/db.py"].replace(
            "pool_pre_ping=True", "pool_pre_ping=True, connect_args={'prepare_threshold': None}"
        ),
    }
    assert "PGC120" not in {f.code for f in lint_tree(off).findings}


def test_bad_values_fall_back_to_defaults_without_a_traceback(lint_tree):
    ini = "[databases]\napp = host=db pool_size=lots\n[pgbouncer]\nmax_client_conn = many ; a comment\nlisten_port = 6432\n"
    result = lint_tree({"pgbouncer.ini": ini, "postgresql.conf": "max_connections = 60\n"})
    server, bouncer = result.budgets
    assert (
        bouncer.server.usable == 100
        and "'many' [pgbouncer.ini:4] is not a number" in bouncer.server.max_connections.why
    )
    assert server.terms[0].pool_max == 20  # pool_size 'lots' leaves default_pool_size 20


def test_a_container_mounting_pgbouncer_ini_is_one_bouncer(lint_tree):
    compose = """services:
  pgbouncer:
    image: edoburu/pgbouncer:v1.24.1
    volumes:
      - ./pgbouncer/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro
"""
    result = lint_tree({"docker-compose.yml": compose, "pgbouncer/pgbouncer.ini": INI})
    [bouncer] = result.project.bouncers
    assert bouncer.name == "pgbouncer/pgbouncer.ini" and "pgbouncer" in bouncer.hosts and bouncer.version == (1, 24)
    from pgconnlint.pooler import setting

    assert setting(bouncer, "max_prepared_statements").value == 200  # on by default from PgBouncer 1.24


def test_a_client_run_of_the_postgres_image_is_not_a_server():
    from pgconnlint.extract.postgres_command import docker_runs

    assert docker_runs("ci.sh", 'docker run --rm --network app postgres:16 psql -h db -c "select 1"\n') == []
    [server] = docker_runs("db.sh", "docker run --health-interval 10s -d postgres:16 -c max_connections=50\n")
    assert dict(server.settings)["max_connections"].value == 50


def test_node_pools_go_through_the_bouncer_and_their_urls_are_checked_for_passwords(lint_tree):
    pm2 = 'module.exports = { apps: [{ name: "api", script: "src/index.js", instances: 10 }] };\n'
    code = """const { Pool } = require("pg");
const pool = new Pool({ connectionString: "postgresql://app:hunter2@pgbouncer:6432/app", max: 8, connectionTimeoutMillis: 3000 });
module.exports = pool;
"""
    files = {
        "ecosystem.config.js": pm2,
        "src/index.js": code,
        "package.json": '{"dependencies": {"pg": "^8.13.0"}}',
        "pgbouncer.ini": INI,
        "postgresql.conf": "max_connections = 60\nidle_in_transaction_session_timeout = '60s'\n",
    }
    result = lint_tree(files)
    server, bouncer = result.budgets
    assert [t.group.name for t in server.terms] == ["PgBouncer pgbouncer.ini"]
    assert (bouncer.total, bouncer.server.usable) == (80, 400)
    [password] = [f for f in result.findings if f.code == "PGC403"]
    assert password.location.path == "src/index.js" and "hunter2" not in password.message


def test_postgres_js_and_prisma_through_transaction_pooling(lint_tree):
    ini = "[pgbouncer]\npool_mode = transaction\nlisten_port = 6432\n"
    postgres_js = """import postgres from "postgres";
export const sql = postgres("postgresql://app@pgbouncer:6432/app", { max: 5, connect_timeout: 5 });
"""
    files = {"src/db.js": postgres_js, "package.json": '{"dependencies": {"postgres": "^3.4.0"}}', "pgbouncer.ini": ini}
    assert "PGC120" in {f.code for f in lint_tree(files).findings}
    off = {**files, "src/db.js": postgres_js.replace("connect_timeout: 5", "connect_timeout: 5, prepare: false")}
    assert "PGC120" not in {f.code for f in lint_tree(off).findings}

    schema = 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n'
    prisma = {
        "prisma/schema.prisma": schema,
        "package.json": '{"dependencies": {"@prisma/client": "^5.22.0"}}',
        ".env": 'DATABASE_URL="postgresql://app@pgbouncer:6432/app?connection_limit=3"\n',
        "pgbouncer.ini": ini,
    }
    [warning] = [f for f in lint_tree(prisma).findings if f.code == "PGC120"]
    assert "uses Prisma" in warning.message and "pgbouncer=true" in warning.help
    flagged = {
        **prisma,
        ".env": 'DATABASE_URL="postgresql://app@pgbouncer:6432/app?connection_limit=3&pgbouncer=true"\n',
    }
    assert "PGC120" not in {f.code for f in lint_tree(flagged).findings}


def test_an_unmounted_pgbouncer_ini_beside_an_environment_configured_container_is_no_bouncer(lint_tree):
    compose = """services:
  pgbouncer:
    image: edoburu/pgbouncer:v1.24.1
    environment:
      DEFAULT_POOL_SIZE: 20
      MAX_CLIENT_CONN: 300
"""
    result = lint_tree({"docker-compose.yml": compose, "pgbouncer/pgbouncer.ini": INI})
    [bouncer] = result.project.bouncers
    assert bouncer.name == "docker-compose.yml service pgbouncer"
