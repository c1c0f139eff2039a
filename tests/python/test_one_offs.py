"""Steps that run and end, not processes that hold a pool: a compose service others wait for with
`condition: service_completed_successfully` (a migration or seed job), and an engine a function creates and disposes
(a start-up check of the migration head)."""

from __future__ import annotations

from test_reach_python import engine, terms

COMPOSE = """services:
  db:
    image: postgres:16
  migrate:
    build: ./api
    command: python -m app.migrate
  api:
    build: ./api
    command: gunicorn app.main:app -w 2
    depends_on:
      db:
        condition: service_healthy
      migrate:
        condition: service_completed_successfully
"""


def test_a_service_others_wait_to_complete_is_a_one_off_step(lint_tree):
    files = {
        "docker-compose.yml": COMPOSE,
        "api/requirements.txt": "sqlalchemy\n",
        "api/app/__init__.py": "",
        "api/app/main.py": "from app.db import engine\napp = object()\n",
        "api/app/db.py": engine(4),
        "api/app/migrate.py": "from app.db import engine\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("docker-compose.yml service api", "api/app/db.py", 2, 4)]


def test_without_the_completion_condition_the_step_is_a_process_of_its_own(lint_tree):
    files = {
        "docker-compose.yml": COMPOSE.replace("service_completed_successfully", "service_started"),
        "api/requirements.txt": "sqlalchemy\n",
        "api/app/__init__.py": "",
        "api/app/main.py": "from app.db import engine\napp = object()\n",
        "api/app/db.py": engine(4),
        "api/app/migrate.py": "from app.db import engine\n",
    }
    result = lint_tree(files)
    assert [term[0] for term in terms(result)] == [
        "docker-compose.yml service api",
        "docker-compose.yml service migrate",
    ]


CHECK = """import os
from sqlalchemy.ext.asyncio import create_async_engine


async def pending_head():
    engine = create_async_engine(os.environ["DATABASE_URL"])
    try:
        async with engine.connect() as connection:
            return await connection.scalar("select 1")
    finally:
        await engine.dispose()


async def leaky_head():
    engine = create_async_engine(os.environ["DATABASE_URL"])
    async with engine.connect() as connection:
        return await connection.scalar("select 1")
"""


def test_an_engine_created_and_disposed_in_one_function_is_not_a_pool_of_the_process(lint_tree):
    files = {
        "requirements.txt": "fastapi\nsqlalchemy\n",
        "Procfile": "web: gunicorn main:app -w 2 -k uvicorn.workers.UvicornWorker\n",
        "main.py": "import db\nfrom check import pending_head, leaky_head\napp = object()\n",
        "db.py": engine(5),
        "check.py": CHECK,
    }
    result = lint_tree(files)
    # the disposed engine of pending_head is gone; the one leaky_head leaves open is still a pool, and PGC205 says so
    assert [(term[1], term[3]) for term in terms(result)] == [("check.py", 15), ("db.py", 5)]
    per_call = [f for f in result.findings if f.code == "PGC205"]
    assert [f.location.line for f in per_call] == [15]


def test_the_command_of_a_one_off_service_is_a_one_off_in_another_deployment_too(lint_tree):
    files = {
        "docker-compose.yml": COMPOSE,
        "deploy/migrate/Dockerfile": 'FROM python:3.12\nWORKDIR /app\nCMD ["python", "-m", "app.migrate"]\n',
        "api/requirements.txt": "sqlalchemy\n",
        "api/app/__init__.py": "",
        "api/app/main.py": "from app.db import engine\napp = object()\n",
        "api/app/db.py": engine(4),
        "api/app/migrate.py": "from app.tools import engine\n",
        "api/app/tools.py": engine(9),
    }
    result = lint_tree(files)
    assert terms(result) == [("docker-compose.yml service api", "api/app/db.py", 2, 4)]


def test_a_one_off_service_stays_one_when_its_entrypoint_script_is_followed(lint_tree):
    """The initializer runs a script (followed into the command it ends with): still a step others wait for."""
    files = {
        "requirements.txt": "celery\nsqlalchemy\n",
        "proj/__init__.py": "import proj.db\n",
        "proj/db.py": "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/x', pool_size=2,"
        " max_overflow=0, pool_pre_ping=True, connect_args={'connect_timeout': 5})\n",
        "Dockerfile": "FROM python:3.12\nCOPY init.sh /init.sh\n",
        "init.sh": "#!/bin/sh\nexec celery -A proj worker -c 5\n",
        "docker-compose.yml": "services:\n  app:\n    build: .\n    command: celery -A proj worker -c 2\n"
        "    depends_on:\n      init:\n        condition: service_completed_successfully\n"
        "  init:\n    build: .\n    command: /init.sh\n",
    }
    [budget] = lint_tree(files).budgets
    assert [(term.group.name, term.processes) for term in budget.terms] == [("docker-compose.yml service app", 2)]
