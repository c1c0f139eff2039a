"""Flask + SQLAlchemy (psycopg 3) under real gunicorn with several workers against a real PostgreSQL, and
pgconnlint's prediction for the same tree.

gunicorn is started the way the tree's Procfile says (`gunicorn -c gunicorn.conf.py shop.wsgi:app`), in its own
session, bound to 127.0.0.1; it is stopped with SIGTERM and waited for in a `finally` (SIGKILL to its process group
if it outlives that). The packages come from the project's `e2e` extra (tests/e2e/prepare.sh installs it)."""

from __future__ import annotations

import os
import subprocess
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
    record,
    server_usable,
    slot_errors,
    stop_session,
    venv_command,
    wait_http,
    wait_log,
    write_files,
)

pytestmark = pytest.mark.e2e

WORKERS = 3


def _skip_reason() -> str | None:
    import importlib.util

    missing = [
        name for name in ("gunicorn", "flask", "sqlalchemy", "psycopg") if importlib.util.find_spec(name) is None
    ]
    if missing:
        return f"{', '.join(missing)} not installed: pip install -e '.[e2e]' (tests/e2e/prepare.sh does)"
    if pgserver.bindir() is None:
        return "PostgreSQL server binaries not found (.ci/run installs Debian's postgresql)"
    return None


APP_INIT = """\
import os

from flask import Flask, jsonify, request
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shop.db import engine


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/sleep")
    def sleep():
        seconds = float(request.args.get("s", "1"))
        try:
            with engine.connect() as connection:
                pid = connection.execute(text("select pg_backend_pid()"), {}).scalar_one()
                connection.execute(text("select pg_sleep(:s)"), {"s": seconds})
        except (OperationalError, PoolTimeout) as error:
            return jsonify(error=str(getattr(error, "orig", None) or error), worker=os.getpid()), 500
        return jsonify(pid=pid, worker=os.getpid())

    return app
"""


def write_app(
    root: Path, *, db_port: int, http_port: int, max_connections: int, threads: int | None, engine_options: str
) -> Path:
    # gthread accepts up to worker_connections (default 1000) connections per worker and queues them to its threads:
    # a burst then lands on one worker (observed: peak 8, the other two idle). Capping it at `threads` makes a
    # busy worker leave the rest of the burst to the others, so that every pool fills.
    threads_line = f"threads = {threads}\nworker_connections = {threads}\n" if threads else ""
    files = {
        "Procfile": "web: gunicorn -c gunicorn.conf.py shop.wsgi:app\n",
        "gunicorn.conf.py": f"""\
bind = "127.0.0.1:{http_port}"
workers = {WORKERS}
{threads_line}timeout = 30
graceful_timeout = 5
""",
        "pyproject.toml": """\
[project]
name = "shop"
version = "1.0.0"
requires-python = ">=3.10"
dependencies = ["flask>=3", "sqlalchemy>=2", "psycopg[binary]>=3.1", "gunicorn>=22"]
""",
        "shop/__init__.py": APP_INIT,
        "shop/db.py": f"""\
import os

from sqlalchemy import create_engine

engine = create_engine(os.environ["DATABASE_URL"]{engine_options})
""",
        "shop/wsgi.py": "from shop import create_app\n\napp = create_app()\n",
        "db/postgresql.conf": f"""\
# The server the app runs against (tests/pgserver.py starts it with these settings).
listen_addresses = '127.0.0.1'
port = {db_port}
max_connections = {max_connections}
""",
    }
    return write_files(root, files)


def _wait_booted(log: Path, process: subprocess.Popen, seconds: float) -> None:
    wait_log(log, "Booting worker with pid", WORKERS, process, seconds)


SCENARIOS = {
    # name: (max_connections, threads, engine options, clients at once (one request each), seconds each holds a connection)
    "gthread-over-budget": (15, 8, ", pool_size=5, max_overflow=10", 48, 2.0),  # 3 × 8 = 24 > 12 usable
    "sync-fitting": (20, None, "", 12, 0.5),  # 3 × 1 = 3 ≤ 17 usable; the pools permit 3 × (5 + 10) = 45
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_sqlalchemy_under_gunicorn(scenario, tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    max_connections, threads, engine_options, clients, hold = SCENARIOS[scenario]
    with pgserver.running(max_connections=max_connections) as server:
        role = create_app_role(server)
        usable = server_usable(server)
        http_port = pgserver.free_port()
        app = write_app(
            tmp_path / "app",
            db_port=server.port,
            http_port=http_port,
            max_connections=max_connections,
            threads=threads,
            engine_options=engine_options,
        )
        log = tmp_path / "gunicorn.log"
        env = {**os.environ, "DATABASE_URL": f"postgresql+psycopg://{role}@127.0.0.1:{server.port}/postgres"}
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*venv_command("gunicorn"), "-c", "gunicorn.conf.py", "shop.wsgi:app"],
                cwd=app,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_booted(log, process, seconds=60)
            wait_http(http_port, "/health", seconds=30, alive=lambda: process.poll() is None)
            with Sampler(server) as sampler:
                outcome = drive(http_port, f"/sleep?s={hold}", clients)
        finally:
            stop_session(process)

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    refusals = slot_errors(outcome.errors)
    record(
        f"python gunicorn {scenario}",
        workers=WORKERS,
        threads=threads,
        max_connections=max_connections,
        server_usable=usable,
        clients=clients,
        hold=hold,
        **observed(sampler, outcome, report),
    )

    assert budget["usable"] == usable == max_connections - 3
    assert budget["ceiling"] == WORKERS * 15
    assert sampler.peak <= budget["total"], "more connections than pgconnlint predicted"
    assert outcome.failed == sum(outcome.errors.values()), f"requests failed without an error text: {outcome}"
    if scenario == "gthread-over-budget":
        assert budget["total"] == WORKERS * threads
        flagged = finding(report, "PGC101")
        assert flagged["data"]["total"] >= sampler.peak
        assert flagged["data"]["usable"] == usable
        assert sampler.peak >= usable - 1, "the pools did not fill the server"  # the sampler may hold one slot
        assert set(RESERVED_REFUSALS) & set(refusals), f"no refusal for the reserved slots: {outcome.errors}"
        assert set(refusals) <= set(SLOT_ERRORS)
        assert sum(refusals.values()) == outcome.failed, f"other errors than refusals: {outcome.errors}"
    else:
        assert budget["total"] == WORKERS
        assert not codes(report) & {"PGC101", "PGC102"}
        ceiling = finding(report, "PGC103")  # 45 permitted > 17 usable, while 3 are in use at once
        assert ceiling["data"]["total"] == budget["ceiling"] > usable
        assert ceiling["data"]["usable"] == usable
        assert outcome.failed == 0, outcome.errors
        assert sampler.peak == WORKERS, "not every worker held a connection at once"
