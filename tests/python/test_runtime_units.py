"""What real runs showed a Python process opens besides its own pools (issue 17; tests/e2e proves each against a
running PostgreSQL): Celery's database result backend, FastAPI sync endpoints on anyio's limiter, psycopg2 under
gevent."""

from __future__ import annotations

import math

import pytest
from conftest import keys

ENGINE = (
    "import os\nfrom sqlalchemy import create_engine\n\n"
    'engine = create_engine(os.environ["DATABASE_URL"], pool_size=1, max_overflow=0, pool_pre_ping=True,'
    ' connect_args={"connect_timeout": 5})\n'
)
BACKEND = "db+postgresql://app@db/app?connect_timeout=5"


def per_group(result):
    return sorted((t.pool.label.split(" (")[0], t.processes, t.at_once) for t in result.budgets[0].terms)


# --- Celery's database result backend -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "where"),
    [
        (
            {
                "celeryconfig.py": f'result_backend = "{BACKEND}"\n',
                "worker.py": 'import db\nfrom celery import Celery\napp = Celery("w")\napp.config_from_object("celeryconfig")\n',
            },
            "celeryconfig.py:1",
        ),
        (
            {"worker.py": f'import db\nfrom celery import Celery\napp = Celery("w", backend="{BACKEND}")\n'},
            "worker.py:3",
        ),
        (
            {
                "worker.py": f'import db\nfrom celery import Celery\napp = Celery("w")\n'
                f'app.conf.update(result_backend="{BACKEND}")\n'
            },
            "worker.py:4",
        ),
        (
            {
                "worker.py": f'import db\nfrom celery import Celery\napp = Celery("w")\n'
                f'app.conf.result_backend = "{BACKEND}"\n'
            },
            "worker.py:4",
        ),
        (
            {
                "project/settings.py": f'CELERY_RESULT_BACKEND = "{BACKEND}"\n',
                "worker.py": "import os\nimport db\nfrom celery import Celery\n"
                'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")\napp = Celery("w")\n'
                'app.config_from_object("django.conf:settings", namespace="CELERY")\n',
            },
            "project/settings.py:1",
        ),
    ],
    ids=["config-module", "celery-backend-argument", "conf-update", "conf-attribute", "django-settings"],
)
def test_database_result_backend_is_a_second_connection_per_prefork_child(lint_tree, files, where):
    result = lint_tree(
        {
            "requirements.txt": "celery\nsqlalchemy\n",
            "Procfile": "worker: celery -A worker worker --concurrency 4\n",
            "db.py": ENGINE,
            # the worker's app imports the module that creates the engine: only reached pools count
            "worker.py": 'import db\nfrom celery import Celery\napp = Celery("w")\n',
            **files,
        }
    )
    budget = result.budgets[0]
    assert budget.total == 8  # 4 children × (the app's engine 1 + the result backend's engine 1)
    backend = next(t for t in budget.terms if t.pool.label.startswith("Celery result backend"))
    assert (backend.processes, backend.at_once) == (4, 1)
    assert f"{backend.pool.max.location.path}:{backend.pool.max.location.line}" == where
    assert "session.py" in backend.pool.max.via
    assert not [k for k in keys(result) if k[0] in ("PGC110", "PGC204", "PGC002")]


def test_result_backend_counts_only_in_the_worker_and_only_for_a_database(lint_tree):
    result = lint_tree(
        {
            "requirements.txt": "celery\nsqlalchemy\n",
            "Procfile": "web: gunicorn app:app --workers 2\nworker: celery -A worker worker --concurrency 3\n",
            "db.py": ENGINE,
            "celeryconfig.py": f'result_backend = "{BACKEND}"\n',
        }
    )
    assert result.budgets[0].total == 2 + 3 * 2
    redis = lint_tree(
        {
            "requirements.txt": "celery\nsqlalchemy\n",
            "Procfile": "worker: celery -A worker worker --concurrency 3\n",
            "db.py": ENGINE,
            "celeryconfig.py": 'result_backend = "redis://cache:6379/1"\n',
        }
    )
    assert redis.budgets[0].total == 3


def test_result_backend_outside_prefork_is_one_connection_per_task_at_once(lint_tree):
    result = lint_tree(
        {
            "requirements.txt": "celery\n",
            "Procfile": "worker: celery -A worker worker --pool threads --concurrency 6\n",
            "celeryconfig.py": f'result_backend = "{BACKEND}"\n',
        }
    )
    assert result.budgets[0].total == 6  # NullPool in an unforked process, bounded by its 6 threads


def test_unreadable_result_backend_is_unknown_not_dropped(lint_tree):
    result = lint_tree(
        {
            "requirements.txt": "celery\n",
            "Procfile": "worker: celery -A worker worker --concurrency 2\n",
            "celeryconfig.py": 'import os\nresult_backend = os.environ["RESULT_URL"]\n',
        }
    )
    assert "PGC110" in {k[0] for k in keys(result)}
    assert not result.budgets[0].complete


# --- FastAPI / Starlette sync endpoints ------------------------------------------------------------------

FASTAPI = (
    "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
    'engine = create_engine("postgresql://app@db/app?connect_timeout=5", pool_size=100, max_overflow=0,'
    " pool_pre_ping=True)\napp = FastAPI()\n\n"
)


@pytest.mark.parametrize(
    ("endpoints", "units"),
    [
        ('@app.get("/a")\ndef a():\n    return 1\n', 40),
        ('@app.get("/a")\nasync def a():\n    return 1\n', math.inf),
        ('@app.get("/a")\ndef a():\n    return 1\n\n@app.post("/b")\nasync def b():\n    return 2\n', math.inf),
        (
            "import anyio.to_thread\n\n"
            "@app.on_event('startup')\nasync def grow():\n"
            "    anyio.to_thread.current_default_thread_limiter().total_tokens = 15\n\n"
            '@app.get("/a")\ndef a():\n    return 1\n',
            15,  # a startup hook is no endpoint: the sync endpoints run on the limiter it resizes
        ),
    ],
    ids=["sync-only", "async-only", "both", "startup-hook"],
)
def test_sync_endpoints_run_on_anyios_forty_threads(lint_tree, endpoints, units):
    result = lint_tree(
        {
            "requirements.txt": "fastapi\nuvicorn\nsqlalchemy\n",
            "Procfile": "web: uvicorn app.main:app --workers 2\n",
            "app/__init__.py": "",
            "app/main.py": FASTAPI + endpoints,
        }
    )
    term = result.budgets[0].terms[0]
    assert term.units == units
    assert result.budgets[0].total == 2 * min(units, 100)


def test_thread_limiter_set_by_the_app(lint_tree):
    limiter = (
        "from anyio import to_thread\n\n"
        "def configure():\n    to_thread.current_default_thread_limiter().total_tokens = 15\n\n"
        '@app.get("/a")\ndef a():\n    return 1\n'
    )
    result = lint_tree(
        {
            "requirements.txt": "fastapi\nuvicorn\nsqlalchemy\n",
            "Procfile": "web: uvicorn app.main:app\n",
            "app/__init__.py": "",
            "app/main.py": FASTAPI + limiter,
        }
    )
    term = result.budgets[0].terms[0]
    assert (term.units, term.group.units.location.path) == (15, "app/main.py")


# --- psycopg2 under gevent ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requirements", "procfile", "reported"),
    [
        ("psycopg2-binary\nsqlalchemy\n", "web: gunicorn app:app -k gevent\n", True),
        ("psycopg2-binary\npsycogreen\nsqlalchemy\n", "web: gunicorn app:app -k gevent\n", False),
        ("psycopg[binary]\nsqlalchemy\n", "web: gunicorn app:app -k gevent\n", False),
        ("psycopg2-binary\nsqlalchemy\n", "web: gunicorn app:app --threads 4\n", False),
        ("psycopg2\ncelery\nsqlalchemy\n", "worker: celery -A app worker -P gevent -c 100\n", True),
    ],
    ids=["gevent", "psycogreen", "psycopg3", "gthread", "celery-gevent"],
)
def test_psycopg2_under_greenlets_without_psycogreen(lint_tree, requirements, procfile, reported):
    result = lint_tree({"requirements.txt": requirements, "Procfile": procfile, "app.py": ENGINE})
    found = [k for k in keys(result) if k[0] == "PGC212"]
    assert found == ([("PGC212", "requirements.txt", 1)] if reported else [])
