"""Pools counted where the Python process reaches them (issue 15): the repository's import graph from each process's
entry (pgconnlint/reach_python.py). Alembic env.py, tests, conftest and CLI tools drop out because nothing deployed
imports them; a library module counts once per process that imports it; what cannot be followed is said (PGC002)."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import TEST_CPUS

from pgconnlint import reach_python
from pgconnlint.extract import python_scan, sqlalchemy

ENGINE = (
    "import os\nfrom sqlalchemy import create_engine\n\n"
    'engine = create_engine(os.environ["DATABASE_URL"], pool_size={size}, max_overflow=0, pool_pre_ping=True,'
    ' connect_args={{"connect_timeout": 5}})\n'
)
NULL_POOL = (
    "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\n"
    'engine = create_engine("postgresql://db/x", poolclass=NullPool)\n'
)


def engine(size: int) -> str:
    return ENGINE.format(size=size)


def terms(result) -> list[tuple[str, str, int, float]]:
    return sorted(
        (term.group.name, term.pool.label.split(" in ")[-1], term.processes, term.pool_max)
        for budget in result.budgets
        for term in budget.terms
    )


def codes(result) -> list[str]:
    return [finding.code for finding in result.findings if finding.code == "PGC002"]


def test_migrations_tests_and_cli_tools_are_not_counted_for_the_server(lint_tree):
    files = {
        "requirements.txt": "fastapi\nsqlalchemy\n",
        "Procfile": "web: gunicorn app.main:app -w 3\n",
        "app/__init__.py": "",
        "app/main.py": "from fastapi import FastAPI\nfrom .api import routes\napp = FastAPI()\n",
        "app/api/__init__.py": "",
        "app/api/routes.py": "from app.db import session\n",
        "app/db/__init__.py": "from .engine import engine as session\n",
        "app/db/engine.py": engine(4),
        "app/cli.py": engine(50),  # a command-line tool: nothing the server runs imports it
        "alembic/env.py": NULL_POOL,
        "tests/conftest.py": engine(20),
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", "app/db/engine.py", 3, 4)]
    assert codes(result) == []


def test_a_module_reached_by_two_processes_counts_once_in_each(lint_tree):
    files = {
        "requirements.txt": "celery\nsqlalchemy\n",
        "Procfile": "web: gunicorn web:app -w 2\nworker: celery -A tasks worker -c 3\n",
        "web.py": "import shared.db\napp = object()\n",
        "tasks.py": "from celery import Celery\napp = Celery('t', include=['jobs'])\n",
        "jobs.py": "from shared import db\n",
        "shared/__init__.py": "",
        "shared/db.py": engine(5),
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", "shared/db.py", 2, 5), ("Procfile (worker)", "shared/db.py", 3, 5)]


def test_imports_in_start_up_functions_are_followed_and_other_functions_are_not(lint_tree):
    files = {
        "requirements.txt": "flask\nsqlalchemy\n",
        "Procfile": "web: gunicorn 'wsgi:app'\n",
        "wsgi.py": "from factory import create_app\napp = create_app()\n",
        "factory.py": (
            "def create_app():\n    from models import engine\n    return engine\n\n"
            "def seed_command():\n    from seed import engine\n    return engine\n"
        ),
        "models.py": engine(6),
        "seed.py": engine(40),
    }
    assert terms(lint_tree(files)) == [("Procfile (web)", "models.py", 1, 6)]


def test_src_layout_and_a_compose_build_context_are_source_roots(lint_tree):
    files = {
        "docker-compose.yml": "services:\n  api:\n    build: ./service\n    command: uvicorn api.main:app --workers 2\n",
        "service/pyproject.toml": "[project]\nname = 'api'\n",
        "service/src/api/__init__.py": "",
        "service/src/api/main.py": "from api.storage import engine\napp = None\n",
        "service/src/api/storage.py": engine(7),
        "service/tests/test_storage.py": engine(30),
    }
    assert terms(lint_tree(files)) == [("docker-compose.yml service api", "service/src/api/storage.py", 2, 7)]


def test_an_import_computed_from_the_modules_the_file_names_follows_those_modules(lint_tree):
    files = {
        "requirements.txt": "sqlalchemy\n",
        "Procfile": "web: gunicorn app:app\n",
        "app.py": (
            "import importlib\nPLUGINS = {'db': 'plugins.db'}\n"
            "def __getattr__(name):\n    return importlib.import_module(PLUGINS[name])\n"
            "def load_plugins(name):\n    return importlib.import_module(PLUGINS[name])\n"  # not start-up code
            "def init_app(name):\n    return importlib.import_module(PLUGINS[name])\n"
        ),
        "plugins/__init__.py": "",
        "plugins/db.py": engine(8),
        "tests/conftest.py": engine(20),
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", "plugins/db.py", 1, 8)]
    assert codes(result) == []


def test_a_plugin_loader_falls_back_to_the_whole_project_and_says_so(lint_tree):
    files = {
        "requirements.txt": "sqlalchemy\n",
        "Procfile": "web: gunicorn app:app\n",
        "app.py": "import os\ndef init_plugins():\n    __import__(os.environ['PLUGIN'])\napp = None\n",
        "plugins/db.py": engine(8),
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (web)", "plugins/db.py", 1, 8)]
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "__import__(os.environ['PLUGIN'])" in finding.message and "app.py:3" in finding.message
    assert "counted for it as a whole" in finding.message


def test_an_entry_module_not_in_the_repository_falls_back_and_says_so(lint_tree):
    files = {
        "requirements.txt": "sqlalchemy\n",
        "Procfile": f"worker: celery -A missing.tasks worker -c {TEST_CPUS}\n",
        "db.py": engine(3),
    }
    result = lint_tree(files)
    assert terms(result) == [("Procfile (worker)", "db.py", TEST_CPUS, 3)]
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "missing.tasks" in finding.message and "not in the repository" in finding.message


def test_pool_sizes_from_module_level_arithmetic_with_min_floor_and_division(lint_tree):
    files = {
        "requirements.txt": "sqlalchemy\n",
        "Procfile": "web: gunicorn app:app -k uvicorn.workers.UvicornWorker -w 2\n",
        "app.py": (
            "from math import floor\nfrom sqlalchemy.ext.asyncio import create_async_engine\n"
            "MEMORY = 8 * 1024 * 1024 * 1024\nPER_CONNECTION = 8 * 1024 * 1024 * 1.15\n"
            "MAX = min(MEMORY / PER_CONNECTION, 5000)\nSHARE = floor(MAX * 0.9 / 8)\n"
            "POOL_SIZE = floor(SHARE * 0.25)\nMAX_OVERFLOW = SHARE - POOL_SIZE\n"
            "engine = create_async_engine('postgresql+asyncpg://db/x', pool_size=POOL_SIZE,"
            " max_overflow=MAX_OVERFLOW, pool_pre_ping=True, connect_args={'timeout': 5})\n"
            "app = None\n"
        ),
    }
    # min(8 GiB / 9.2 MiB, 5000) = 890.4; floor(890.4 × 0.9 / 8) = 100; pool_size 25 + max_overflow 75
    assert terms(lint_tree(files)) == [("Procfile (web)", "app.py", 2, 100)]


def test_tasks_discovered_from_a_computed_list_fall_back_and_never_crash(lint_tree):
    """`app.autodiscover_tasks(lambda: settings.INSTALLED_APPS)`: the task packages are computed when the worker
    starts; the project's pools count, and a PGC002 says why (it once raised a TypeError, exit 3)."""
    files = {
        "requirements.txt": "celery\nsqlalchemy\n",
        "Procfile": "worker: celery -A proj worker -c 2\n",
        "proj/__init__.py": "",
        "proj/celery.py": "from celery import Celery\nfrom django.conf import settings\napp = Celery('proj')\n"
        "app.autodiscover_tasks(lambda: settings.INSTALLED_APPS)\n",
        "shop/tasks.py": "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/x', pool_size=3,"
        " max_overflow=0, pool_pre_ping=True, connect_args={'connect_timeout': 5})\n",
    }
    result = lint_tree(files)
    assert result.budgets[0].total == 2
    assert any(f.code == "PGC002" and "computed" in f.message for f in result.findings)


PLUGIN_LOADER = "import os\nfrom sqlalchemy import create_engine\n\n__import__(os.environ['PLUGIN'])\napp = None\n"


def test_two_identical_modules_parsed_once_by_extraction_are_each_located_at_their_own_path(lint_tree):
    # both files are extracted (they mention an engine) and walked; the walk reuses extraction's parse, by content
    files = {
        "requirements.txt": "sqlalchemy\n",
        "Procfile": "web: gunicorn web.one:app\napi: gunicorn api.two:app\n",
        "web/one.py": PLUGIN_LOADER,
        "api/two.py": PLUGIN_LOADER,
        "plugins/db.py": engine(8),
    }
    result = lint_tree(files)
    messages = " ".join(f.message for f in result.findings if f.code == "PGC002")
    assert "web/one.py:4" in messages and "api/two.py:4" in messages


def test_the_walk_reads_the_same_imports_from_extraction_s_parse_as_from_its_own():
    """Every Python fixture: the imports kept by extract/python_scan.py equal those of a parse of the file."""
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    files = sorted(p.relative_to(fixtures).as_posix() for p in fixtures.rglob("*.py") if p.is_file())
    assert len(files) > 20
    reach_python._SHARED.clear()
    parsed = {path: reach_python.PythonGraph(fixtures).imports(path) for path in files}
    for path in files:
        python_scan.scan((fixtures / path).read_text(errors="replace"), sqlalchemy.ENGINE_NAMES)
    assert reach_python._SHARED, "extraction kept nothing"
    shared = {path: reach_python.PythonGraph(fixtures).imports(path) for path in files}
    assert shared == parsed
    declared = "# -*- coding: latin-1 -*-\nimport os\n"  # the file's bytes may not be this text: not kept
    before = len(reach_python._SHARED)
    reach_python.remember(declared.encode(), ast.parse(declared))
    assert len(reach_python._SHARED) == before


NEWER_SYNTAX_FILES = {
    "requirements.txt": "sqlalchemy\n",
    "Procfile": "web: gunicorn app.main:app -w 2\n",
    "app/__init__.py": "",
    "app/main.py": "from app.api import deps\napp = None\n",
    "app/api/__init__.py": "",
    # Python 3.14's unparenthesised except (PEP 758): no `ast` before 3.14 parses the module
    "app/api/deps.py": (
        "from typing import TYPE_CHECKING\nfrom app.db import engine\n\nif TYPE_CHECKING:\n"
        "    from app import typing_only\n\n\ndef on_startup():\n    from app import warmup\n\n\n"
        "def handler():\n    from app import lazy\n    try:\n        pass\n    except ValueError, TypeError:\n"
        "        pass\n"
    ),
    "app/db.py": engine(4),
    "app/warmup.py": engine(2),  # imported by a start-up function: followed, as the walk does
    "app/lazy.py": engine(30),  # imported only when a request handler runs: not followed
    "app/typing_only.py": engine(50),  # only for type checkers
}


def test_a_module_in_newer_python_syntax_is_read_by_libcst_and_its_imports_followed(lint_tree):
    result = lint_tree(NEWER_SYNTAX_FILES)
    assert terms(result) == [("Procfile (web)", "app/db.py", 2, 4), ("Procfile (web)", "app/warmup.py", 2, 2)]
    assert codes(result) == []


def test_a_module_in_newer_syntax_that_imports_by_call_falls_back_and_says_so(lint_tree):
    deps = NEWER_SYNTAX_FILES["app/api/deps.py"] + "\nimport importlib\nimportlib.import_module('app.plugin')\n"
    result = lint_tree({**NEWER_SYNTAX_FILES, "app/api/deps.py": deps})
    assert ("Procfile (web)", "app/lazy.py", 2, 30) in terms(result)  # the project's pools count as a whole
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "app/api/deps.py:16" in finding.message and "syntax newer than this Python's" in finding.message


def test_a_module_no_parser_can_read_falls_back_and_says_so(lint_tree):
    result = lint_tree({**NEWER_SYNTAX_FILES, "app/api/deps.py": "from app.db import (engine\ndef broken(:\n"})
    assert ("Procfile (web)", "app/db.py", 2, 4) in terms(result)
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "app/api/deps.py:2" in finding.message and "cannot be parsed" in finding.message


def test_a_syntax_error_inside_a_function_the_walk_skips_leaves_the_imports_followed(lint_tree):
    # only the skeleton is parsed (pgconnlint/pyskeleton.py): the broken function is not part of it
    result = lint_tree({**NEWER_SYNTAX_FILES, "app/api/deps.py": "from app.db import engine\ndef broken(:\n"})
    assert terms(result) == [("Procfile (web)", "app/db.py", 2, 4)]
    assert codes(result) == []


def test_a_walrus_test_in_a_module_only_libcst_reads(lint_tree):
    # imports by call: the module is parsed whole, by libcst here (3.14 syntax); `if x := f():` is a valid test
    deps = (
        NEWER_SYNTAX_FILES["app/api/deps.py"]
        + "\nif found := __import__('os').getenv('X'):\n    from app import warmup\n"
    )
    result = lint_tree({**NEWER_SYNTAX_FILES, "app/api/deps.py": deps})
    assert ("Procfile (web)", "app/warmup.py", 2, 2) in terms(result)


def test_celery_app_given_as_an_attribute_of_a_package_is_followed_from_the_package(lint_tree):
    # celery -A worker.app: `app` is an attribute of worker/__init__.py (celery/app/utils.py find_app), no module
    result = lint_tree(
        {
            "requirements.txt": "sqlalchemy\ncelery\n",
            "Procfile": "worker: celery -A worker.app worker -c 2\n",
            "worker/__init__.py": "from celery import Celery\nfrom worker import db\napp = Celery('w')\n",
            "worker/db.py": engine(3),
        }
    )
    assert ("Procfile (worker)", "worker/db.py", 2, 3) in terms(result)
    assert "PGC002" not in codes(result)
