"""PGC121 for Alembic: `alembic upgrade` run before the server starts, through a transaction pooler (issue 17:
"migrations and schema sync through a transaction pooler")."""

from __future__ import annotations

from conftest import keys

APP = {
    "pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi", "uvicorn", "alembic", "asyncpg"]\n',
    "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
    "pgbouncer.ini": "[pgbouncer]\npool_mode = transaction\n",
}
ENV_PY = 'import os\n\nfrom alembic import context\n\ncontext.config.set_main_option("sqlalchemy.url", {URL})\n'


def dockerfile(command: str, env: str = "DATABASE_URL=postgresql://app@pgbouncer:6432/app") -> str:
    return f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nENV {env}\nCMD {command}\n"


def pgc121(result) -> list[tuple[str, str, int]]:
    return [key for key in keys(result) if key[0] == "PGC121"]


def test_env_py_url_through_the_bouncer_in_a_cmd_chain(lint_tree):
    files = {
        **APP,
        "Dockerfile": dockerfile("alembic upgrade head && uvicorn main:app"),
        "alembic.ini": "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = postgresql://app@db/app\n",
        "migrations/env.py": ENV_PY.replace("{URL}", 'os.getenv("DATABASE_URL")'),
    }
    result = lint_tree(files)
    [found] = [f for f in result.findings if f.code == "PGC121"]
    assert found.key == ("PGC121", "Dockerfile", 5)
    assert "`alembic upgrade head`" in found.message and "pgbouncer.ini:2" in found.message
    assert "migrations/env.py:5" in found.message and "pgbouncer:6432" in found.message
    # the URL env.py sets wins over alembic.ini's; pointed past the bouncer, nothing is reported
    direct = {
        **files,
        "Dockerfile": dockerfile(
            "alembic upgrade head && uvicorn main:app", "DATABASE_URL=postgresql://app@db:5432/app"
        ),
    }
    assert pgc121(lint_tree(direct)) == []


def test_alembic_ini_url_and_an_entrypoint_script(lint_tree):
    files = {
        **APP,
        "Dockerfile": dockerfile('["./start.sh"]'),
        "start.sh": "#!/bin/sh\nset -e\npoetry run alembic upgrade head\nexec uvicorn main:app --workers 2\n",
        "alembic.ini": "[alembic]\nscript_location = migrations\n"
        "sqlalchemy.url = postgresql://app@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/app\n",
    }
    result = lint_tree(files)
    assert pgc121(result) == [("PGC121", "start.sh", 3)]
    message = next(f for f in result.findings if f.code == "PGC121").message
    assert "alembic.ini:3" in message


def test_compose_command_and_python_m_alembic(lint_tree):
    compose = (
        "services:\n  api:\n    build: .\n"
        '    command: sh -c "python -m alembic upgrade head && uvicorn main:app"\n'
        "    environment:\n      DATABASE_URL: postgresql://app@pgbouncer:6432/app\n"
    )
    files = {
        **APP,
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\n",
        "docker-compose.yml": compose,
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": ENV_PY.replace("{URL}", 'os.environ["DATABASE_URL"]'),
    }
    assert pgc121(lint_tree(files)) == [("PGC121", "docker-compose.yml", 4)]


def test_unknown_or_session_mode_urls_are_not_reported(lint_tree):
    files = {
        **APP,
        "Dockerfile": dockerfile("alembic upgrade head && uvicorn main:app", "OTHER=1"),
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": ENV_PY.replace("{URL}", 'os.environ["DATABASE_URL"]'),
    }
    assert pgc121(lint_tree(files)) == []  # DATABASE_URL unset: not guessed
    session = {
        **files,
        "Dockerfile": dockerfile("alembic upgrade head && uvicorn main:app"),
        "pgbouncer.ini": "[pgbouncer]\npool_mode = session\n",
    }
    assert pgc121(lint_tree(session)) == []
    current = {**files, "Dockerfile": dockerfile("alembic current && uvicorn main:app")}
    assert pgc121(lint_tree(current)) == []  # only an upgrade migrates


def test_alembic_ini_that_configparser_cannot_read_is_a_parse_error(lint_tree):
    files = {**APP, "Dockerfile": dockerfile("alembic upgrade head && uvicorn main:app"), "alembic.ini": "no section\n"}
    result = lint_tree(files)
    assert pgc121(result) == []
    assert ("PGC001", "alembic.ini", 1) in keys(result)  # a parse error, said


def test_procfile_release_step_is_reported_once(lint_tree):
    files = {
        **APP,
        "Procfile": "release: alembic upgrade head\nweb: uvicorn main:app --workers 2\nworker: uvicorn main:app\n",
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": ENV_PY.replace("{URL}", 'os.environ["DATABASE_URL"]'),
        ".env": "DATABASE_URL=postgresql://app@aws-0-eu-west-1.pooler.supabase.com:6543/postgres\n",
    }
    result = lint_tree(files)
    assert pgc121(result) == [("PGC121", "Procfile", 1)]
    assert "Supabase Supavisor in transaction mode" in next(f for f in result.findings if f.code == "PGC121").message
    session = {**files, ".env": files[".env"].replace("6543", "5432")}
    assert pgc121(lint_tree(session)) == []


MIGRATE_COMPOSE = """services:
  migrate:
    build: .
    command: alembic upgrade head
    environment:
      DATABASE_URL: {MIGRATE_URL}
  api:
    build: .
    command: uvicorn main:app --workers 2
    environment:
      DATABASE_URL: postgresql://app@pgbouncer:6432/app
    depends_on:
      migrate:
        condition: service_completed_successfully
"""


def test_compose_migration_service_runs_with_its_own_environment(lint_tree):
    files = {
        **APP,
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\n",
        "alembic.ini": "[alembic]\nscript_location = migrations\n",
        "migrations/env.py": ENV_PY.replace("{URL}", 'os.environ["DATABASE_URL"]'),
    }
    pooled = MIGRATE_COMPOSE.replace("{MIGRATE_URL}", "postgresql://app@pgbouncer:6432/app")
    assert pgc121(lint_tree({**files, "docker-compose.yml": pooled})) == [("PGC121", "docker-compose.yml", 4)]
    direct = MIGRATE_COMPOSE.replace("{MIGRATE_URL}", "postgresql://app@db:5432/app")
    assert pgc121(lint_tree({**files, "docker-compose.yml": direct})) == []  # its own URL skips the bouncer
