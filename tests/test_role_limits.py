"""Role and database CONNECTION LIMITs as a second budget (PGC108, PGC109): where the limits are read from, which
pools they bind, and what is left out and said."""

from __future__ import annotations

from pgconnlint.extract.sql_limits import extract_code, extract_sql
from pgconnlint.lint import LintOptions, lint
from tests.conftest import FIXTURES, keys

LIMIT_RULES = frozenset({"PGC108", "PGC109", "PGC002"})

PM2_X4 = """module.exports = {
  apps: [{ name: "shop-api", script: "server.js", instances: 4, exec_mode: "cluster" }],
};
"""
PACKAGE = '{ "name": "shop-api", "dependencies": { "pg": "^8.13.1" } }\n'


def _server(url: str, size: int = 10) -> str:
    return (
        'const { Pool } = require("pg");\n'
        f'const pool = new Pool({{ connectionString: "{url}", max: {size}, connectionTimeoutMillis: 5000 }});\n'
        "module.exports = { pool };\n"
    )


def _node_app(url: str = "postgres://shop_app@db:5432/shop", **more: str) -> dict[str, str]:
    return {"ecosystem.config.js": PM2_X4, "server.js": _server(url), "package.json": PACKAGE, **more}


def _check(lint_tree, files: dict[str, str]):
    return lint_tree(files, select=LIMIT_RULES)


# --- the fixtures: compose with an init script, pm2 × TypeORM with a migration, Terraform -------------------------


def test_compose_init_script_role_limit_is_the_later_statement():
    result = lint(FIXTURES / "role-limit-compose", LintOptions(cpus=4, select=LIMIT_RULES))
    assert keys(result) == [("PGC108", "db/init/01-roles.sql", 6)]
    [found] = result.findings
    assert found.message == (
        "up to 40 connections at once as role shop_app exceed its CONNECTION LIMIT 25 (db/init/01-roles.sql:6) on"
        " docker-compose.yml service db (deployment docker-compose.yml); largest: docker-compose.yml service api"
        " (Dockerfile CMD): pm2-runtime src/server.js 4 × 10 = 40 (Dockerfile:6); past 25, connecting fails with"
        ' `too many connections for role "shop_app"`'
    )
    assert found.notes[0] == (
        "role shop_app: CONNECTION LIMIT 25 [ALTER ROLE shop_app CONNECTION LIMIT 25, db/init/01-roles.sql:6];"
        " the later statement wins over 10 [CREATE ROLE shop_app CONNECTION LIMIT 10, db/init/01-roles.sql:2]"
    )
    assert found.notes[1] == "at once: 4 × 10 = 40"
    assert "role shop_app [user of the URL DATABASE_URL=" in found.notes[2]
    assert found.data["limit"] == 25 and found.data["total"] == 40
    # the database's limit of 50 holds the same 40: no PGC109
    assert found.data["overridden"] == ["db/init/01-roles.sql:2"]


def test_pm2_typeorm_migration_database_limit_and_the_pool_whose_database_is_unknown():
    result = lint(FIXTURES / "role-limit-pm2", LintOptions(cpus=4, select=LIMIT_RULES))
    migration = "src/migrations/1700000000000-ConnectionLimits.ts"
    assert [(f.code, str(f.location)) for f in result.findings] == [("PGC109", f"{migration}:5:30")]
    [found] = result.findings
    assert "up to 40 connections at once to database orders exceed its CONNECTION LIMIT 30" in found.message
    assert "orders-api 8 × 5 = 40 (ecosystem.config.js:3)" in found.message
    # `down()` only undoes the migration: its `-1` is not the later statement
    assert found.data["overridden"] == []
    assert any(
        note.startswith("not counted against this limit (their database cannot be told from the repository):")
        and "orders-worker (new Pool(…) in src/worker.js)" in note
        for note in found.notes
    )
    # the role limit of 60 is not reached by the 40 of role orders
    assert found.data["not_counted"] == ["orders-worker: new Pool(…) in src/worker.js"]


def test_terraform_role_limit_from_a_variable_and_a_superuser_exempt():
    result = lint(FIXTURES / "role-limit-terraform", LintOptions(cpus=4, select=LIMIT_RULES, environment="production"))
    assert keys(result) == [("PGC108", "infra/main.tf", 10)]
    [found] = result.findings
    assert "as role shop_app exceed its CONNECTION LIMIT 30 (infra/main.tf:10)" in found.message
    assert "default of variable app_connection_limit" in found.notes[0]
    assert "role shop_app [PGUSER from env_production of pm2 app shop-api, ecosystem.config.js:8]" in found.notes[2]
    assert found.help.endswith("or raise `connection_limit` in Terraform")
    # shop_admin (limit 2, 1 × 5 = 5) is a superuser: PostgreSQL does not apply the limit to it


# --- which statement wins, and who is exempt --------------------------------------------------------------------


def test_the_later_migration_wins_in_path_order(lint_tree):
    found = _check(
        lint_tree,
        _node_app(
            **{
                "migrations/0001_roles.sql": "CREATE ROLE shop_app LOGIN CONNECTION LIMIT 100;\n",
                "migrations/0002_tighten.sql": "-- fewer connections for the app\nALTER USER shop_app CONNECTION LIMIT 10;\n",
            }
        ),
    )
    assert keys(found) == [("PGC108", "migrations/0002_tighten.sql", 2)]
    assert (
        "wins over 100 [CREATE ROLE shop_app CONNECTION LIMIT 100, migrations/0001_roles.sql:1]"
        in (found.findings[0].notes[0])
    )


def test_a_later_minus_one_lifts_the_limit(lint_tree):
    sql = "CREATE ROLE shop_app LOGIN CONNECTION LIMIT 5;\nALTER ROLE shop_app CONNECTION LIMIT -1;\n"
    assert keys(_check(lint_tree, _node_app(**{"db/init.sql": sql}))) == []


def test_superusers_are_exempt(lint_tree):
    sql = "CREATE ROLE shop_app LOGIN CONNECTION LIMIT 5;\nALTER ROLE shop_app SUPERUSER;\n"
    assert keys(_check(lint_tree, _node_app(**{"db/init.sql": sql}))) == []


def test_the_images_postgres_user_is_a_superuser(lint_tree):
    compose = (
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: shop_app\n"
        "      POSTGRES_PASSWORD: ${DB_PASSWORD}\n"
    )
    files = _node_app(**{"docker-compose.yml": compose, "db/init.sql": "ALTER ROLE shop_app CONNECTION LIMIT 5;\n"})
    assert keys(_check(lint_tree, files)) == []


def test_a_superusers_pools_are_bound_by_no_database_limit_either(lint_tree):
    sql = "CREATE DATABASE shop CONNECTION LIMIT 5;\nCREATE ROLE shop_app SUPERUSER LOGIN;\n"
    assert keys(_check(lint_tree, _node_app(**{"db/init.sql": sql}))) == []
    sql += "ALTER ROLE shop_app NOSUPERUSER;\n"  # the last word on it wins
    assert keys(_check(lint_tree, _node_app(**{"db/init.sql": sql}))) == [("PGC109", "db/init.sql", 1)]


def test_a_pool_whose_role_is_unknown_is_never_counted(lint_tree):
    files = _node_app("postgres://db:5432/shop", **{"db/init.sql": "CREATE ROLE shop_app CONNECTION LIMIT 5;\n"})
    assert keys(_check(lint_tree, files)) == []


def test_the_database_defaults_to_the_users_name(lint_tree):
    files = _node_app("postgres://shop@db:5432", **{"db/init.sql": "CREATE DATABASE shop CONNECTION LIMIT 20;\n"})
    found = _check(lint_tree, files)
    assert keys(found) == [("PGC109", "db/init.sql", 1)]
    assert (
        "database shop [no database set, so libpq's and node-postgres' default: the user's name"
        in (found.findings[0].notes[2])
    )


def test_lower_case_sql_is_read(lint_tree):
    files = _node_app(**{"db/init.sql": "alter role shop_app with connection limit 8;\n"})
    assert keys(_check(lint_tree, files)) == [("PGC108", "db/init.sql", 1)]


def test_a_statement_the_grammar_refuses_is_a_skip_never_a_guess(lint_tree):
    sql = "\\set app shop_app\nCREATE ROLE :app LOGIN;\nALTER ROLE :app CONNECTION LIMIT 5;\nSELECT 1;\n"
    found = _check(lint_tree, _node_app(**{"db/init.sql": sql}))
    assert keys(found) == [("PGC002", "db/init.sql", 3)]
    assert "is not PostgreSQL's grammar" in found.findings[0].message


# --- Python stacks and their migrations -------------------------------------------------------------------------

ALEMBIC = """from alembic import op


def upgrade():
    op.execute("ALTER ROLE shop_app CONNECTION LIMIT 20")


def downgrade():
    op.execute("ALTER ROLE shop_app CONNECTION LIMIT -1")
"""

FLASK = """from flask import Flask
from sqlalchemy import create_engine

app = Flask(__name__)
engine = create_engine("postgresql+psycopg://shop_app@db:5432/shop", pool_size=5, max_overflow=5, pool_pre_ping=True)
"""


def test_alembic_upgrade_sets_the_limit_for_gunicorn_threads(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app --workers 4 --threads 8\n",
        "app.py": FLASK,
        "requirements.txt": "flask\nsqlalchemy\npsycopg\n",
        "alembic/versions/0001_limit.py": ALEMBIC,
    }
    found = _check(lint_tree, files)
    assert [(f.code, str(f.location)) for f in found.findings] == [("PGC108", "alembic/versions/0001_limit.py:5:17")]
    assert "up to 32 connections at once as role shop_app exceed its CONNECTION LIMIT 20" in found.findings[0].message


def test_django_runsql_reverse_is_not_the_later_statement():
    text = (
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [\n"
        '        migrations.RunSQL("ALTER DATABASE shop CONNECTION LIMIT 40", reverse_sql="ALTER DATABASE shop'
        ' CONNECTION LIMIT -1"),\n'
        "    ]\n"
    )
    facts, problems = extract_code("shop/migrations/0002_limit.py", text)
    assert [(f.kind, f.name, f.limit.value, f.location.line) for f in facts] == [("database", "shop", 40, 6)]
    assert problems == []


def test_knex_migration_down_is_skipped():
    text = (
        "exports.up = async (knex) => {\n"
        "  await knex.raw('ALTER ROLE api CONNECTION LIMIT 15');\n"
        "};\n"
        "exports.down = async (knex) => {\n"
        "  await knex.raw('ALTER ROLE api CONNECTION LIMIT -1');\n"
        "};\n"
    )
    facts, _ = extract_code("migrations/20240101_limit.js", text)
    assert [(f.name, f.limit.value, str(f.location)) for f in facts] == [
        ("api", 15, "migrations/20240101_limit.js:2:19")
    ]


def test_extract_sql_reads_both_kinds_and_keeps_no_password():
    sql = (
        "CREATE USER app WITH PASSWORD 'hunter2' CONNECTION LIMIT 12;\n"
        "CREATE DATABASE shop WITH OWNER app CONNECTION LIMIT 50;\n"
        "ALTER ROLE CURRENT_USER CONNECTION LIMIT 3;\n"
    )
    facts, problems = extract_sql("init.sql", sql)
    assert [(f.kind, f.name, f.limit.value, f.location.line) for f in facts] == [
        ("role", "app", 12, 1),
        ("database", "shop", 50, 2),
    ]
    assert facts[0].limit.via == "CREATE USER app CONNECTION LIMIT 12, init.sql:1"
    assert problems == []


INIT_SH = """#!/bin/bash
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<-EOSQL
\tCREATE USER shop_app CONNECTION LIMIT 100;
\tCREATE DATABASE "$APP_DB" CONNECTION LIMIT 5;
EOSQL
psql -c 'ALTER ROLE shop_app CONNECTION LIMIT 12'
"""


def test_psql_in_a_shell_init_script(lint_tree):
    found = _check(lint_tree, _node_app(**{"db/init/10-users.sh": INIT_SH}))
    assert [(f.code, str(f.location)) for f in found.findings] == [
        ("PGC002", "db/init/10-users.sh:5:2"),  # `$APP_DB` is the shell's: never a guessed name
        ("PGC108", "db/init/10-users.sh:7:10"),
    ]
    assert (
        "wins over 100 [CREATE USER shop_app CONNECTION LIMIT 100, db/init/10-users.sh:4]"
        in (found.findings[1].notes[0])
    )


def test_django_web_and_celery_share_the_role_of_their_database_url(tmp_path):
    import shutil

    tree = shutil.copytree(FIXTURES / "django-gunicorn-celery", tmp_path / "repo")
    (tree / "shop" / "migrations").mkdir()
    (tree / "shop" / "migrations" / "0002_connection_limit.py").write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        '    dependencies = [("shop", "0001_initial")]\n'
        "    operations = [\n"
        '        migrations.RunSQL("ALTER ROLE shop CONNECTION LIMIT 20", reverse_sql="ALTER ROLE shop CONNECTION'
        ' LIMIT -1"),\n'
        "    ]\n"
    )
    result = lint(tree, LintOptions(cpus=8, select=LIMIT_RULES))
    assert [(f.code, str(f.location)) for f in result.findings] == [
        ("PGC108", "shop/migrations/0002_connection_limit.py:7:28")
    ]
    assert result.findings[0].notes[1] == "at once: 4 × 8 + 4 × 1 = 36"
