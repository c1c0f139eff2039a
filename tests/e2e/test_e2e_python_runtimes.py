"""Three Python stacks whose connections do not follow the process manager's units alone, run for real against a
real PostgreSQL, and pgconnlint's prediction for the same tree (issue 17):

- a Celery prefork worker with a database result backend (`db+postgresql…`): each child keeps a second, pooled
  SQLAlchemy engine for the life of the process (celery/backends/database/session.py `SessionManager.get_engine`);
- FastAPI sync `def` endpoints under uvicorn: they run on anyio's worker threads, at most 40 at once (the default
  thread limiter, anyio `current_default_thread_limiter`);
- Django persistent connections (`CONN_MAX_AGE` > 0) under gunicorn gevent: a greenlet's connection outlives the
  greenlet, so a process holds more than `worker_connections`.

Each process runs in a session of its own, bound to 127.0.0.1, stopped with SIGTERM (SIGKILL to the group after
20 s) in a `finally`. The packages come from the project's `e2e` extra (tests/e2e/prepare.sh installs it)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pgserver
import pytest
from e2e_support import (
    RESERVED_REFUSALS,
    SLOT_ERRORS,
    Sampler,
    codes,
    create_app_role,
    drive,
    finding,
    lint,
    observed,
    only_server,
    psql,
    record,
    server_usable,
    stop_session,
    venv_command,
    wait_http,
    wait_log,
    write_files,
)

pytestmark = pytest.mark.e2e


def _skip_reason(*modules: str) -> str | None:
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        return f"{', '.join(missing)} not installed: pip install -e '.[e2e]' (tests/e2e/prepare.sh does)"
    if pgserver.bindir() is None:
        return "PostgreSQL server binaries not found (.ci/run installs Debian's postgresql)"
    return None


def _postgresql_conf(port: int, max_connections: int) -> str:
    return f"""\
# The server the app runs against (tests/pgserver.py starts it with these settings).
listen_addresses = '127.0.0.1'
port = {port}
max_connections = {max_connections}
"""


def _start(command: list[str], cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    with log.open("wb") as sink:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )


# --- Celery prefork with a database result backend ---------------------------------------------------------

CONCURRENCY = 4
TASKS = 16  # 4 per child: after its first task a child holds both of its connections

CELERY_TASKS = """\
import os

from celery import Celery
from sqlalchemy import create_engine, text

app = Celery("tasks")
app.config_from_object("celeryconfig")

# The app's own engine: one connection per child (a child runs one task at a time)
engine = create_engine(os.environ["DATABASE_URL"], pool_size=1, max_overflow=0)


@app.task
def hold(seconds):
    with engine.connect() as connection:
        connection.execute(text("select pg_sleep(:s)"), {"s": seconds})
    return os.getpid()
"""


def _celery_app(root: Path, *, db_port: int, max_connections: int, queue: Path) -> Path:
    folders = {name: queue / name for name in ("messages", "processed")}
    return write_files(
        root,
        {
            "Procfile": f"worker: celery -A tasks worker --pool prefork --concurrency {CONCURRENCY} --loglevel INFO\n",
            "requirements.txt": "celery>=5.4\nsqlalchemy>=2\npsycopg[binary]>=3.1\n",
            "tasks.py": CELERY_TASKS,
            "celeryconfig.py": f"""\
# The broker is a folder (kombu's filesystem transport), so that only the app's pools reach PostgreSQL.
broker_url = "filesystem://"
broker_transport_options = {{
    "data_folder_in": "{folders["messages"]}",
    "data_folder_out": "{folders["messages"]}",
    "processed_folder": "{folders["processed"]}",
}}
result_backend = "db+postgresql+psycopg://app@127.0.0.1:{db_port}/postgres"
worker_prefetch_multiplier = 1
""",
            "db/postgresql.conf": _postgresql_conf(db_port, max_connections),
        },
    )


def _send(app: Path, env: dict, count: int, seconds: float) -> None:
    """Queue `count` tasks from a separate producer (it only writes to the broker's folder)."""
    script = f"from tasks import hold\nfor _ in range({count}):\n    hold.delay({seconds})\n"
    subprocess.run([sys.executable, "-c", script], cwd=app, env=env, check=True, timeout=60, capture_output=True)


def _results(server: pgserver.Server) -> dict[str, int]:
    try:
        rows = psql(server, "select status, count(*) from celery_taskmeta group by status")
    except RuntimeError:
        return {}  # the backend has not created its table yet
    return {status: int(count) for status, count in (row.split("|") for row in rows.splitlines() if row)}


def _wait_results(server: pgserver.Server, count: int, log: Path, seconds: float) -> dict[str, int]:
    end = time.monotonic() + seconds
    results: dict[str, int] = {}
    while time.monotonic() < end:
        results = _results(server)
        if sum(results.values()) >= count:
            return results
        if (
            any(text in log.read_text(errors="replace") for text in SLOT_ERRORS)
            and time.monotonic() > end - seconds / 2
        ):
            return results  # refused: some results are never stored
        time.sleep(0.3)
    return results


CELERY_SCENARIOS = {
    # name: (max_connections, seconds each task holds its connection)
    "fitting": (14, 1.0),  # 4 children × (1 app + 1 result backend) = 8 ≤ 11 usable
    "over-budget": (10, 1.0),  # 8 > 7 usable: the run (max_connections 10, -c 4)
}


@pytest.mark.parametrize("scenario", list(CELERY_SCENARIOS))
def test_celery_prefork_with_database_result_backend(scenario, tmp_path):
    reason = _skip_reason("celery", "sqlalchemy", "psycopg")
    if reason:
        pytest.skip(reason)
    max_connections, hold = CELERY_SCENARIOS[scenario]
    with pgserver.running(max_connections=max_connections) as server:
        role = create_app_role(server)
        psql(server, f"grant create on schema public to {role}")  # the backend creates celery_taskmeta
        usable = server_usable(server)
        queue = tmp_path / "queue"
        app = _celery_app(tmp_path / "app", db_port=server.port, max_connections=max_connections, queue=queue)
        for folder in ("messages", "processed"):
            (queue / folder).mkdir(parents=True)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgresql+psycopg://{role}@127.0.0.1:{server.port}/postgres",
            "PYTHONPATH": str(app),
        }
        log = tmp_path / "celery.log"
        command = [*venv_command("celery"), "-A", "tasks", "worker", "--pool", "prefork"]
        command += ["--concurrency", str(CONCURRENCY), "--loglevel", "INFO", "--without-heartbeat"]
        command += ["--without-gossip", "--without-mingle"]
        process = _start(command, app, env, log)
        try:
            wait_log(log, "ready.", 1, process, seconds=60)
            _send(app, env, 1, 0)  # the first result creates the backend's table, before any race for it
            _wait_results(server, 1, log, seconds=30)
            with Sampler(server, app_only=True) as sampler:
                _send(app, env, TASKS, hold)
                results = _wait_results(server, TASKS + 1, log, seconds=45)
        finally:
            stop_session(process)
    worker_log = log.read_text(errors="replace")
    refused = {text: worker_log.count(text) for text in SLOT_ERRORS if text in worker_log}

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    record(
        f"python celery {scenario}",
        concurrency=CONCURRENCY,
        max_connections=max_connections,
        server_usable=usable,
        tasks=TASKS,
        results=results,
        refused=refused,
        peak=sampler.peak,
        predicted_total=budget["total"],
        findings=sorted(codes(report)),
    )

    assert budget["usable"] == usable == max_connections - 3
    assert budget["total"] == 2 * CONCURRENCY, "the result backend's engine is a second connection per child"
    assert sampler.peak <= budget["total"], "more connections than pgconnlint predicted"
    if scenario == "fitting":
        assert sampler.peak == budget["total"], "every child did not hold both of its connections"
        assert not codes(report) & {"PGC101", "PGC102"}
        assert not refused, worker_log[-3000:]
        assert results.get("SUCCESS") == TASKS + 1, results
    else:
        flagged = finding(report, "PGC101")
        assert flagged["data"]["total"] == 2 * CONCURRENCY > usable
        assert sampler.peak >= usable - 1, "the pools did not fill the server"
        assert set(RESERVED_REFUSALS) & set(refused), f"no refusal for the reserved slots: {refused}"


# --- FastAPI sync endpoints under uvicorn ------------------------------------------------------------------

ANYIO_TOKENS = 40  # anyio's default thread limiter (anyio/_backends/_asyncio.py current_default_thread_limiter)

FASTAPI_MAIN = """\
import os

from fastapi import FastAPI
from sqlalchemy import create_engine, text

# A pool larger than the thread limiter: the limiter, not the pool, decides how many connect at once
engine = create_engine(os.environ["DATABASE_URL"], pool_size=100, max_overflow=0, pool_timeout=30)
app = FastAPI()


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/sleep")
def sleep(s: float = 1.0):
    with engine.connect() as connection:
        pid = connection.execute(text("select pg_backend_pid()")).scalar_one()
        connection.execute(text("select pg_sleep(:s)"), {"s": s})
    return {"pid": pid}
"""


def test_fastapi_sync_endpoints_under_uvicorn(tmp_path):
    reason = _skip_reason("fastapi", "uvicorn", "sqlalchemy", "psycopg")
    if reason:
        pytest.skip(reason)
    max_connections, clients, hold = 60, 80, 1.5  # 80 at once against 40 threads; 57 usable
    with pgserver.running(max_connections=max_connections) as server:
        role = create_app_role(server)
        usable = server_usable(server)
        http_port = pgserver.free_port()
        app = write_files(
            tmp_path / "app",
            {
                "Procfile": f"web: uvicorn app.main:app --host 127.0.0.1 --port {http_port} --workers 1\n",
                "requirements.txt": "fastapi\nuvicorn\nsqlalchemy>=2\npsycopg[binary]>=3.1\n",
                "app/__init__.py": "",
                "app/main.py": FASTAPI_MAIN,
                "db/postgresql.conf": _postgresql_conf(server.port, max_connections),
            },
        )
        env = {**os.environ, "DATABASE_URL": f"postgresql+psycopg://{role}@127.0.0.1:{server.port}/postgres"}
        command = [*venv_command("uvicorn"), "app.main:app", "--host", "127.0.0.1", "--port", str(http_port)]
        command += ["--workers", "1", "--no-access-log", "--timeout-graceful-shutdown", "5"]
        process = _start(command, app, env, tmp_path / "uvicorn.log")
        try:
            wait_http(http_port, "/health", seconds=60, alive=lambda: process.poll() is None)
            with Sampler(server) as sampler:
                outcome = drive(http_port, f"/sleep?s={hold}", clients)
        finally:
            stop_session(process)

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    record("python uvicorn fastapi-sync", clients=clients, hold=hold, **observed(sampler, outcome, report))

    assert budget["usable"] == usable == max_connections - 3
    assert outcome.failed == 0, outcome.errors
    assert sampler.peak == ANYIO_TOKENS, "anyio's limiter did not cap the sync endpoints at 40 threads"
    assert budget["total"] == ANYIO_TOKENS, "sync endpoints: 40 per process, not the pool's 100"
    assert not codes(report) & {"PGC101", "PGC102"}, "40 fit the 57 usable slots"


# --- Django persistent connections under gunicorn gevent ---------------------------------------------------

GEVENT_WORKERS, WORKER_CONNECTIONS = 2, 10

DJANGO_VIEWS = """\
from django.db import connection
from django.http import JsonResponse


def health(request):
    return JsonResponse({"status": "ok"})


def sleep(request):
    with connection.cursor() as cursor:
        cursor.execute("select pg_backend_pid(), pg_sleep(%s)", [float(request.GET.get("s", "0.1"))])
        pid = cursor.fetchone()[0]
    return JsonResponse({"pid": pid})
"""


def _django_app(root: Path, *, db_port: int, http_port: int, max_connections: int) -> Path:
    return write_files(
        root,
        {
            "Procfile": "web: gunicorn -c gunicorn.conf.py project.wsgi\n",
            "requirements.txt": "django>=5\ngunicorn[gevent]\npsycopg[binary]>=3.1\n",
            "gunicorn.conf.py": f"""\
bind = "127.0.0.1:{http_port}"
workers = {GEVENT_WORKERS}
worker_class = "gevent"
worker_connections = {WORKER_CONNECTIONS}
timeout = 30
graceful_timeout = 5
""",
            "manage.py": """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
""",
            "project/__init__.py": "",
            "project/settings.py": f"""\
SECRET_KEY = "e2e-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "project.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
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
""",
            "project/urls.py": """\
from django.urls import path

from project import views

urlpatterns = [path("health", views.health), path("sleep", views.sleep)]
""",
            "project/views.py": DJANGO_VIEWS,
            "project/wsgi.py": """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
application = get_wsgi_application()
""",
            "db/postgresql.conf": _postgresql_conf(db_port, max_connections),
        },
    )


def test_django_persistent_connections_under_gunicorn_gevent(tmp_path):
    reason = _skip_reason("django", "gunicorn", "gevent", "psycopg")
    if reason:
        pytest.skip(reason)
    # 20 clients × 4 rounds of 0.2 s: never more than 20 requests at once, the workers' 2 × 10 greenlets
    max_connections, clients, rounds, hold = 100, 20, 4, 0.2
    with pgserver.running(max_connections=max_connections) as server:
        create_app_role(server)
        usable = server_usable(server)
        http_port = pgserver.free_port()
        app = _django_app(tmp_path / "app", db_port=server.port, http_port=http_port, max_connections=max_connections)
        log = tmp_path / "gunicorn.log"
        process = _start(
            [*venv_command("gunicorn"), "-c", "gunicorn.conf.py", "project.wsgi"], app, {**os.environ}, log
        )
        try:
            wait_log(log, "Booting worker with pid", GEVENT_WORKERS, process, seconds=60)
            wait_http(http_port, "/health", seconds=30, alive=lambda: process.poll() is None)
            with Sampler(server) as sampler:
                outcome = drive(http_port, f"/sleep?s={hold}", clients, rounds)
        finally:
            stop_session(process)

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    record("python gunicorn gevent django-persistent", rounds=rounds, **observed(sampler, outcome, report))

    assert budget["usable"] == usable
    assert outcome.failed == 0, outcome.errors
    # What the run disproves: greenlets that end leave their connections open, so the processes hold more than
    # their worker_connections, while never more than that many requests ran at once.
    assert sampler.peak > GEVENT_WORKERS * WORKER_CONNECTIONS, "the connections did not outlive their greenlets"
    assert "PGC209" in codes(report)
    # issue 17 item 3: so the prediction is unbounded (JSON has no infinity: total null, unbounded true), never a
    # bound at worker_connections that this run exceeds
    assert budget["unbounded"] and budget["total"] is None, budget
    assert sampler.peak <= usable
