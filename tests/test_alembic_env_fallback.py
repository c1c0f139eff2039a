"""A Python project no server or worker runs is counted as one process holding its pools; the engine Alembic's env.py
opens for `alembic upgrade` (NullPool, inside `run_migrations_online()`) is the migration command's, not that
process's: with it the budget became "unbounded" and PGC101 an error on a repository whose app pool is 15."""

from __future__ import annotations

ENV_PY = """from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online() -> None:
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                     poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
"""
FILES = {
    "pyproject.toml": '[project]\nname = "api"\ndependencies = ["fastapi", "sqlalchemy", "asyncpg", "alembic"]\n',
    "main.py": "from fastapi import FastAPI\n\nfrom app import db\n\napp = FastAPI()\n",
    "app/__init__.py": "",
    "app/db.py": (
        "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
        'engine = create_async_engine("postgresql+asyncpg://app@db/app", pool_pre_ping=True)\n'
    ),
    "docker-compose.yml": "services:\n  db:\n    image: postgres:15\n",
    "alembic/env.py": ENV_PY,
}


def test_the_alembic_env_py_engine_is_not_an_app_pool_when_no_process_runs_the_project(lint_tree):
    ini = "[alembic]\nscript_location = %(here)s/alembic\nsqlalchemy.url = postgresql://app@db/app\n"
    result = lint_tree({**FILES, "alembic.ini": ini})
    [budget] = result.budgets
    assert [(t.pool.label.split(" in ")[-1], t.pool_max) for t in budget.terms] == [("app/db.py", 15)]
    assert budget.total == 15
    assert not [f for f in result.findings if f.code in ("PGC101", "PGC205")]


def test_without_an_alembic_ini_naming_it_an_env_py_engine_still_counts(lint_tree):
    # nothing says this env.py is Alembic's: the project's pools are counted as before
    [budget] = lint_tree(FILES).budgets
    assert "alembic/env.py" in {t.pool.label.split(" in ")[-1] for t in budget.terms}
