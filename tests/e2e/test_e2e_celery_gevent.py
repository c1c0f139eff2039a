"""Celery's gevent pool run for real against a real PostgreSQL, and pgconnlint's prediction for the same tree
(issue 17): one worker process running `-c` tasks at once, each in its own greenlet.

- SQLAlchemy: the greenlets share the process's pool, so at most pool_size + max_overflow connections, however many
  greenlets run;
- Django with `CONN_MAX_AGE = 600` under Celery 5.6 or later: the Django fixup closes each task's connection when
  the task ends (celery/fixups/django.py `_close_database`, `conn.close()`), so the connections stay at the
  concurrency, wave after wave, unlike gunicorn gevent (test_e2e_python_runtimes.py), where they outlive the
  greenlets.

The broker is a folder (kombu's filesystem transport), so that only the app's connections reach PostgreSQL."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pgserver
import pytest
from e2e_support import (
    Sampler,
    codes,
    create_app_role,
    lint,
    only_server,
    record,
    stop_session,
    venv_command,
    wait_log,
    write_files,
)
from test_e2e_python_runtimes import _postgresql_conf, _start

pytestmark = pytest.mark.e2e

CONCURRENCY = 20
POOL_SIZE, MAX_OVERFLOW = 3, 2
TASKS, HOLD = 60, 0.5  # three waves of 20 greenlets

SQLALCHEMY_TASKS = f"""\
import os

from celery import Celery
from sqlalchemy import create_engine, text

app = Celery("tasks")
app.config_from_object("celeryconfig")
engine = create_engine(os.environ["DATABASE_URL"], pool_size={POOL_SIZE}, max_overflow={MAX_OVERFLOW}, pool_timeout=60)


@app.task
def hold(seconds):
    with engine.connect() as connection:
        connection.execute(text("select pg_sleep(:s)"), {{"s": seconds}})
"""

DJANGO_TASKS = """\
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
app = Celery("tasks")
app.config_from_object("celeryconfig")


@app.task
def hold(seconds):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select pg_sleep(%s)", [seconds])
"""


def _skip_reason(*modules: str) -> str | None:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        return f"{', '.join(missing)} not installed: pip install -e '.[e2e]' (tests/e2e/prepare.sh does)"
    if pgserver.bindir() is None:
        return "PostgreSQL server binaries not found (.ci/run installs Debian's postgresql)"
    return None


def _celeryconfig(queue: Path) -> str:
    return f"""\
broker_url = "filesystem://"
broker_transport_options = {{
    "data_folder_in": "{queue / "messages"}",
    "data_folder_out": "{queue / "messages"}",
    "processed_folder": "{queue / "processed"}",
}}
worker_concurrency = {CONCURRENCY}
worker_prefetch_multiplier = 1
"""


def _app(root: Path, stack: str, *, db_port: int, max_connections: int, queue: Path) -> Path:
    files = {
        # `-P gevent` on the command line: only then does Celery monkey-patch before the app is imported
        # (celery/__init__.py `maybe_patch_concurrency`); the concurrency comes from celeryconfig.py
        "Procfile": "worker: celery -A tasks worker -P gevent --loglevel INFO\n",
        "celeryconfig.py": _celeryconfig(queue),
        "db/postgresql.conf": _postgresql_conf(db_port, max_connections),
    }
    if stack == "sqlalchemy":
        files["requirements.txt"] = "celery>=5.4\ngevent\nsqlalchemy>=2\npsycopg[binary]>=3.1\n"
        files["tasks.py"] = SQLALCHEMY_TASKS
    else:
        files["requirements.txt"] = "celery>=5.6\ngevent\ndjango>=5\npsycopg[binary]>=3.1\n"
        files["tasks.py"] = DJANGO_TASKS
        files["project/__init__.py"] = ""
        files["project/settings.py"] = f"""\
SECRET_KEY = "e2e-only"
INSTALLED_APPS = []
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "app",
        "HOST": "127.0.0.1",
        "PORT": "{db_port}",
        "CONN_MAX_AGE": 600,
    }}
}}
"""
    return write_files(root, files)


def _send(app: Path, env: dict, count: int, seconds: float) -> None:
    script = f"from tasks import hold\nfor _ in range({count}):\n    hold.delay({seconds})\n"
    subprocess.run([sys.executable, "-c", script], cwd=app, env=env, check=True, timeout=60, capture_output=True)


@pytest.mark.parametrize("stack", ["sqlalchemy", "django"])
def test_celery_gevent_pool(stack, tmp_path):
    reason = _skip_reason("celery", "gevent", "psycopg", "sqlalchemy" if stack == "sqlalchemy" else "django")
    if reason:
        pytest.skip(reason)
    max_connections = 50
    with pgserver.running(max_connections=max_connections) as server:
        role = create_app_role(server)
        queue = tmp_path / "queue"
        for folder in ("messages", "processed"):
            (queue / folder).mkdir(parents=True)
        app = _app(tmp_path / "app", stack, db_port=server.port, max_connections=max_connections, queue=queue)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgresql+psycopg://{role}@127.0.0.1:{server.port}/postgres",
            "PYTHONPATH": str(app),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        log = tmp_path / "celery.log"
        command = [*venv_command("celery"), "-A", "tasks", "worker", "-P", "gevent", "--loglevel", "INFO"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        process = _start(command, app, env, log)
        try:
            wait_log(log, "ready.", 1, process, seconds=60)
            with Sampler(server, app_only=True) as sampler:
                _send(app, env, TASKS, HOLD)
                wait_log(log, "succeeded in", TASKS, process, seconds=90)
        finally:
            stop_session(process)
    worker_log = log.read_text(errors="replace")

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    expected = POOL_SIZE + MAX_OVERFLOW if stack == "sqlalchemy" else CONCURRENCY
    record(f"python celery gevent {stack}", tasks=TASKS, peak=sampler.peak, predicted_total=budget["total"])

    assert worker_log.count("succeeded in") >= TASKS, worker_log[-3000:]
    assert budget["total"] == expected, budget
    assert sampler.peak == expected, f"observed {sampler.peak}, predicted {expected}"
    assert "PGC209" not in codes(report)
