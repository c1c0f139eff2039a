"""Python pools and the processes that multiply them: what the extractors find and what the budget counts."""

from __future__ import annotations

import math

import pytest
from conftest import TEST_CPUS, keys

from pgconnlint.expr import evaluate
from pgconnlint.extract.commands import parse
from pgconnlint.extract.sqlalchemy import extract
from pgconnlint.model import Location

ENGINE = 'import os\nfrom sqlalchemy import create_engine\n\nengine = create_engine(os.environ["DATABASE_URL"]{args})\n'
TIMEOUT = ', pool_pre_ping=True, connect_args={"connect_timeout": 5}'


def engine(args: str = "") -> str:
    return ENGINE.format(args=args + TIMEOUT)


def terms(result):
    return [(t.group.name, t.processes, t.at_once, t.pool_max) for t in result.budgets[0].terms]


# --- extraction -----------------------------------------------------------------------------------


def test_engine_calls_under_any_import_form():
    text = """import sqlalchemy as sa
from sqlalchemy import create_engine as make
from sqlalchemy.ext.asyncio import create_async_engine
a = sa.create_engine("postgresql://a", pool_size=3)
b = make("postgresql://b")
c = create_async_engine("postgresql+asyncpg://c", max_overflow=0)
d = sa.engine_from_config({"sqlalchemy.url": "postgresql://d", "sqlalchemy.pool_size": "7"}, prefix="sqlalchemy.")
"""
    pools, problems = extract("app/db.py", text)
    assert problems == []
    assert [(p.source, p.location.line, p.asynchronous) for p in pools] == [
        ("create_engine(…)", 4, False),
        ("create_engine(…)", 5, False),
        ("create_async_engine(…)", 6, True),
        ("engine_from_config(…)", 7, False),
    ]
    assert evaluate(pools[3].options.get("pool_size"), {}).value == "7"
    assert evaluate(pools[3].url.get("url"), {}).value == "postgresql://d"


def test_engine_in_a_function_is_per_call_unless_cached():
    text = """from functools import lru_cache, cache
from sqlalchemy import create_engine
def per_request():
    return create_engine("postgresql://x")
@lru_cache(maxsize=None)
def cached():
    return create_engine("postgresql://x")
class Repo:
    @cache
    def engine(self):
        return create_engine("postgresql://x")
"""
    pools, _ = extract("app/db.py", text)
    assert [p.per_call for p in pools] == [True, False, False]


def test_psycopg_pool_and_asyncpg():
    text = """import asyncpg
from psycopg_pool import ConnectionPool
pool = ConnectionPool("dbname=app", min_size=2, max_size=8)
async def lifespan(app):
    app.state.pool = await asyncpg.create_pool(dsn="postgresql://x", min_size=5, max_size=20)
async def handle_request(request):
    pool = await asyncpg.create_pool(dsn="postgresql://x")
"""
    pools, _ = extract("app/pools.py", text)
    assert [(p.library, p.per_call) for p in pools] == [("psycopg_pool", False), ("asyncpg", False), ("asyncpg", True)]


def test_flask_config_classes_binds_and_app_config():
    text = """import os
class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 3, "pool_pre_ping": True}
class ProductionConfig(Config):
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 8, "max_overflow": 0}
    SQLALCHEMY_BINDS = {"audit": "postgresql://audit"}
"""
    pools, _ = extract("config.py", text)
    found = [(p.scope, p.source, evaluate(p.options.get("pool_size"), {}).value) for p in pools]
    assert found == [
        ("Config", "SQLALCHEMY_DATABASE_URI in Config in config.py", 3),
        ("ProductionConfig", "SQLALCHEMY_DATABASE_URI in ProductionConfig in config.py", 8),
        ("ProductionConfig", "SQLALCHEMY_BINDS['audit'] in ProductionConfig in config.py", 8),
    ]
    app = 'app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://x"\napp.config["SQLALCHEMY_POOL_SIZE"] = 4\n'
    [pool] = extract("app.py", app)[0]
    assert evaluate(pool.options.get("pool_size"), {}).value == 4


@pytest.mark.parametrize("text", ["def f(:\n", "print 'python 2'\n", "x = (\n"])
def test_bad_python_is_a_problem_with_a_location(text):
    pools, [problem] = extract("app/db.py", text)
    assert pools == [] and problem.location.path == "app/db.py" and "syntax error" in problem.message


@pytest.mark.parametrize(
    ("command", "server", "options"),
    [
        (
            "gunicorn app:app -w 4 -k gthread --threads 8",
            "gunicorn",
            {"workers": 4, "worker_class": "gthread", "threads": 8},
        ),
        ("exec poetry run gunicorn -c conf/gunicorn.py app.main:app", "gunicorn", {"config": "conf/gunicorn.py"}),
        ("uvicorn app.main:app --host 0.0.0.0 --workers=3", "uvicorn", {"workers": 3}),
        ("python -m celery -A proj worker -P gevent -c 100", "celery", {"pool": "gevent", "concurrency": 100}),
        ("sh -c 'alembic upgrade head && hypercorn -w 2 app:app'", "hypercorn", {"workers": 2}),
        ("fastapi run app/main.py --workers 4", "fastapi", {"workers": 4}),
        ("rq worker high default", "rq", {}),
    ],
)
def test_command_lines(command, server, options):
    decl = parse(command, Location("Procfile", 1), "Procfile", "")
    assert decl.server == server
    assert {k: evaluate(v, {}).value for k, v in decl.options.entries.items() if k in options} == options


@pytest.mark.parametrize("command", ["node dist/main.js", "echo gunicorn", "alembic upgrade head"])
def test_commands_that_start_no_python_server(command):
    assert parse(command, Location("Procfile", 1), "Procfile", "") is None


# --- processes, units and the two numbers -------------------------------------------------------


def test_gunicorn_sync_uses_one_connection_per_worker(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 9\n",
        "app/db.py": engine(", pool_size=10, max_overflow=20"),
        "requirements.txt": "flask\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", 9, 1, 30)]
    assert (result.budgets[0].total, result.budgets[0].ceiling) == (9, 270)


def test_gunicorn_conf_then_flags_and_threads_switch_to_gthread(lint_tree):
    files = {
        "gunicorn.conf.py": "workers = 3\nthreads = 8\n",
        "Procfile": "web: gunicorn app:app\nlegacy: gunicorn app:app -w 2 -c gunicorn.conf.py --threads 1\n",
        "app/db.py": engine(),
        "requirements.txt": "flask\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", 3, 8, 15), ("Procfile (legacy)", 2, 1, 15)]
    assert result.project.groups[0].manager == "gunicorn gthread"


def test_gevent_units_are_worker_connections(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 2 -k gevent --worker-connections 50\n",
        "app/db.py": engine(),
        "requirements.txt": "flask\n",
    }
    assert terms(lint_tree(files)) == [("Procfile (web)", 2, 15, 15)]


def test_web_concurrency_from_the_dockerfile(lint_tree):
    files = {
        "Dockerfile": 'FROM python:3.12\nENV WEB_CONCURRENCY=5\nCMD ["gunicorn", "app:app"]\n',
        "app/db.py": engine(),
        "pyproject.toml": "[project]\nname = 'x'\n",
    }
    [group] = lint_tree(files).project.groups
    assert group.processes.value == 5 and "WEB_CONCURRENCY from Dockerfile" in group.processes.via


def test_uvicorn_workers_use_their_whole_pool(lint_tree):
    files = {
        "Procfile": "web: uvicorn app.main:app --workers 4\n",
        "app/db.py": "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "engine = create_async_engine('postgresql+asyncpg://a@db/a', pool_pre_ping=True, connect_args={'timeout': 3})\n",
        "requirements.txt": "fastapi\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", 4, 15, 15)]
    assert result.budgets[0].total == result.budgets[0].ceiling == 60


def test_celery_default_concurrency_follows_the_cpus(lint_tree):
    files = {
        "Procfile": "worker: celery -A proj worker\n",
        "proj/__init__.py": "from proj import db\n",  # the worker imports the app module, which imports the engine
        "proj/db.py": engine(),
        "requirements.txt": "celery\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (worker)", TEST_CPUS, 1, 15)]
    assert [f.code for f in result.findings] == ["PGC103", "PGC301"]  # ceiling 8 × 15 = 120 > 97
    assert f"celery default concurrency = {TEST_CPUS} CPUs" in result.findings[1].message


def test_celery_thread_pool_is_one_process_with_many_units(lint_tree):
    files = {
        "Procfile": "worker: celery -A proj worker --pool threads -c 20\n",
        "proj/db.py": engine(),
        "requirements.txt": "celery\n",
    }
    assert terms(lint_tree(files)) == [("Procfile (worker)", 1, 15, 15)]


def test_compose_replicas_multiply_and_build_context_links_the_project(lint_tree):
    files = {
        "docker-compose.yml": "services:\n  api:\n    build: ./api\n    command: uvicorn main:app --workers 2\n"
        "    deploy:\n      replicas: 3\n",
        "api/pyproject.toml": "[project]\nname = 'api'\n",
        "api/db.py": engine(", pool_size=2, max_overflow=0"),
    }
    [group] = lint_tree(files).project.groups
    assert group.processes.value == 6 and "2 per container × 3 replicas" in group.processes.via


def test_project_nothing_runs_counts_one_process_at_its_pool_maximum(lint_tree):
    result = lint_tree({"app/db.py": engine(), "requirements.txt": "sqlalchemy\n"})
    [(name, processes, at_once, pool_max)] = terms(result)
    assert (processes, at_once, pool_max) == (1, 15, 15)
    assert "no server or worker declaration" in result.project.groups[0].units.reason


def test_flask_config_choice_is_deterministic_and_exact_names_win(lint_tree):
    config = "".join(
        f"class {name}:\n    SQLALCHEMY_DATABASE_URI = 'postgresql://x'\n"
        f"    SQLALCHEMY_ENGINE_OPTIONS = {{'pool_size': {size}, 'max_overflow': 0, 'pool_pre_ping': True}}\n"
        for name, size in (("PreProductionConfig", 2), ("ProductionConfig", 7), ("DevConfig", 3), ("BaseConfig", 4))
    )
    files = {"Procfile": "web: gunicorn app:app\n", "app/config.py": config, "requirements.txt": "flask\n"}
    assert terms(lint_tree(files))[0][3] == 7
    assert terms(lint_tree(files, environment="dev"))[0][3] == 3
    assert terms(lint_tree(files, environment="staging"))[0][3] == 4  # no match: the base class


def test_gunicorn_worker_class_paths(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 2 -k gunicorn.workers.ggevent.GeventWorker\n",
        "app/db.py": engine(),
        "requirements.txt": "flask\n",
    }
    result = lint_tree(files)
    assert result.project.groups[0].manager == "gunicorn gevent" and terms(result) == [("Procfile (web)", 2, 15, 15)]


def test_flask_config_follows_the_environment(lint_tree):
    config = """import os
class Config:
    SQLALCHEMY_DATABASE_URI = "postgresql://app@db/app"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 3, "max_overflow": 0, "pool_pre_ping": True}
class ProductionConfig(Config):
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 8, "max_overflow": 0, "pool_pre_ping": True}
"""
    files = {
        "Procfile": "web: gunicorn app:app -w 2 --threads 10\n",
        "app/config.py": config,
        "requirements.txt": "flask\n",
    }
    assert terms(lint_tree(files))[0][3] == 8
    assert terms(lint_tree(files, environment="development"))[0][3] == 3


def test_psycopg_pool_keeps_min_size_open_in_both_numbers(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 2\n",
        "requirements.txt": "psycopg\n",
        "app/db.py": "from psycopg_pool import ConnectionPool\npool = ConnectionPool('dbname=a connect_timeout=5', min_size=4, max_size=10)\n",
    }
    assert terms(lint_tree(files)) == [("Procfile (web)", 2, 4, 10)]


def test_unbounded_pool_and_null_pool(lint_tree):
    files = {
        "Procfile": "web: gunicorn app:app -w 2 --threads 4\n",
        "requirements.txt": "flask\n",
        "app/db.py": engine(", max_overflow=-1"),
    }
    result = lint_tree(files)
    assert "PGC111" in {f.code for f in result.findings}
    assert math.isinf(result.budgets[0].ceiling) and result.budgets[0].total == 8
    null = engine(", poolclass=NullPool").replace("import os\n", "import os\nfrom sqlalchemy.pool import NullPool\n")
    result = lint_tree({**files, "app/db.py": null})
    assert {f.code for f in result.findings} >= {"PGC112"} and result.budgets[0].total == 8


def test_python_connect_timeout(lint_tree):
    missing = (
        "from sqlalchemy import create_engine\nengine = create_engine('postgresql://a@db/a', pool_pre_ping=True)\n"
    )
    assert keys(lint_tree({"app/db.py": missing, "requirements.txt": "x\n"})) == [("PGC204", "app/db.py", 2)]
    in_url = missing.replace("@db/a'", "@db/a?connect_timeout=5'")
    assert keys(lint_tree({"app/db.py": in_url, "requirements.txt": "x\n"})) == []
    unknown = missing.replace("'postgresql://a@db/a'", "os.environ['DATABASE_URL']")
    assert keys(lint_tree({"app/db.py": "import os\n" + unknown, "requirements.txt": "x\n"})) == []


@pytest.mark.parametrize(
    ("url", "environment", "counted"),
    [
        ('"sqlite:///app.db"', "", False),
        ('"mysql+pymysql://ctfd@db/ctfd"', "", False),
        ('os.environ["DATABASE_URL"]', "    environment:\n      DATABASE_URL: mysql+pymysql://u:p@db/app\n", False),
        ('os.environ["DATABASE_URL"]', "    environment:\n      DATABASE_URL: postgresql+psycopg://u:p@db/app\n", True),
        ('os.environ["DATABASE_URL"]', "", True),  # a URL the repository does not give: counted, never guessed away
    ],
)
def test_an_engine_on_another_database_opens_no_postgresql_connection(lint_tree, url, environment, counted):
    """A SQLAlchemy engine whose URL, as the deployment gives it, names SQLite or MySQL is no pool of the server and
    draws none of its findings (CTFd's MariaDB app drew a PGC101 error), as Django's DATABASES are ruled out."""
    app = f"import os\nfrom sqlalchemy import create_engine\nengine = create_engine({url}, pool_size=3)\n"
    compose = "services:\n  web:\n    build: .\n    command: gunicorn app:app -w 2\n" + environment
    compose += "  db:\n    image: postgres:16\n"
    files = {"Dockerfile": "FROM python:3.12\nCOPY . /app\n", "app.py": app, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree({**files, "docker-compose.yml": compose})
    [budget] = result.budgets
    assert bool(budget.terms) == counted
    assert counted or not [f for f in result.findings if f.location.path == "app.py"]
