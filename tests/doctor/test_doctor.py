"""`pgconnlint doctor` against real PostgreSQL servers (tests/pgserver.py), with real client connections.

Each doctor rule's catalogue examples cannot run statically (tests/test_catalogue.py skips them): the bad
and the good case of every rule in DOCTOR_RULES are asserted here, and `test_every_doctor_rule_is_covered`
keeps that true.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import write_tree
from pgserver import free_port, running

from pgconnlint.checks import DOCTOR_RULES
from pgconnlint.cli import main

psycopg = pytest.importorskip("psycopg")

PASSWORD = "s3cret-Pa55word"  # must never appear in any output

ONE_APP = {  # api: 2 pm2 instances × pool 4 = 8 at once
    "ecosystem.config.js": 'module.exports = { apps: [{ name: "api", script: "api/dist/main.js", instances: 2 }] };\n',
    "api/package.json": '{"name": "api", "dependencies": {"typeorm": "^0.3.20", "pg": "^8.11.0"}}\n',
    "api/ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5000, "extra": {"max": 4}}\n',
    "db/postgresql.conf": "max_connections = 20\n",
}
TWO_APPS = {  # api: 16 × 10 = 160, worker: 1 × 4; the repository says max_connections 200
    "ecosystem.config.js": (
        "module.exports = {\n  apps: [\n"
        '    { name: "api", script: "api/dist/main.js", instances: 16, exec_mode: "cluster" },\n'
        '    { name: "worker", script: "worker/dist/main.js", instances: 1 },\n  ],\n};\n'
    ),
    "api/package.json": '{"name": "api", "dependencies": {"typeorm": "^0.3.20", "pg": "^8.11.0"}}\n',
    "api/ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5000, "extra": {"max": 10}}\n',
    "worker/package.json": '{"name": "worker", "dependencies": {"typeorm": "^0.3.20", "pg": "^8.11.0"}}\n',
    "worker/ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5000, "extra": {"max": 4}}\n',
    "db/postgresql.conf": "max_connections = 200\n",
}
SLOTS_20 = "max_connections 20 [pg_settings: command line] − superuser_reserved_connections 3 [pg_settings: default]"


# --- helpers ---------------------------------------------------------------------------------------


def dsn(server, role: str = "postgres", database: str = "postgres", password: str | None = None) -> str:
    secret = f":{password}" if password else ""
    return f"postgresql://{role}{secret}@127.0.0.1:{server.port}/{database}"


def doctor(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["doctor", "--timeout", "5", *args])
    out, err = capsys.readouterr()
    return status, out, err


def doctor_json(capsys, *args: str) -> tuple[int, dict]:
    status, out, err = doctor(capsys, "--format", "json", *args)
    assert status in (0, 1), err
    return status, json.loads(out)


def findings(document: dict, code: str) -> list[dict]:
    return [f for f in document["findings"] if f["code"] == code]


@pytest.fixture
def clients():
    """open(dsn, n, application_name=…, idle_in_transaction=…) -> connections, all closed after the test."""
    opened: list = []

    def open_(target: str, n: int = 1, application_name: str = "", idle_in_transaction: bool = False) -> list:
        batch = [psycopg.connect(target, application_name=application_name, connect_timeout=5) for _ in range(n)]
        for conn in batch:
            conn.execute("SELECT 1")  # leaves an open transaction: autocommit is off
            if not idle_in_transaction:
                conn.commit()
        opened.extend(batch)
        return batch

    yield open_
    for conn in opened:
        conn.close()


def admin(server):
    return psycopg.connect(dsn(server), autocommit=True, connect_timeout=5)


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


# --- PGC501 connection-usage-near-limit --------------------------------------------------------------


def test_pgc501_usage_above_threshold_names_the_numbers_and_the_largest_group(capsys, clients):
    with running(max_connections=20) as server:
        clients(dsn(server), 14, application_name="api")
        status, document = doctor_json(capsys, "--dsn", dsn(server))
        assert status == 1
        [usage] = findings(document, "PGC501")
        assert usage["message"] == (
            "15 of 17 usable connection slots in use (88%, above the 80% threshold): "
            f"{SLOTS_20} = 17; 15 client connections in pg_stat_activity, this session included; "
            "the largest group: 14 from application_name 'api' (role postgres, database postgres)"
        )
        assert usage["data"] == {"used": 15, "usable": 17, "threshold": 0.8}
        assert (usage["name"], usage["severity"], usage["path"]) == ("connection-usage-near-limit", "warning", None)
        # a higher threshold: 88% is within 90%
        status, document = doctor_json(capsys, "--dsn", dsn(server), "--usage-threshold", "0.9")
        assert status == 0 and document["findings"] == []


def test_pgc501_usage_below_threshold_is_clean(capsys, clients):
    with running(max_connections=20) as server:
        clients(dsn(server), 10, application_name="api")
        status, document = doctor_json(capsys, "--dsn", dsn(server))
        assert status == 0 and document["findings"] == []
        assert document["slots"] == {"usable": 17, "used": 11, "hidden": 0}
        groups = {(s["application_name"], s["state"]): s["count"] for s in document["sessions"]}
        assert groups == {("api", "idle"): 10, ("pgconnlint doctor", "active"): 1}
        status, out, _ = doctor(capsys, "--dsn", dsn(server))
        assert status == 0 and "Slots: 11 client connections (65%) of 17 usable" in out and "No findings." in out


# --- PGC502 session-idle-in-transaction, and what each role can see ----------------------------------


@pytest.fixture(scope="module")
def idle_server():
    """A server where role app left 2 transactions idle as `api`, 1 opened 1.5 s later, and 2 are idle; shared by
    the tests below, which only read it. The young one ages while they run, so each takes `threshold(young)`."""
    with running(max_connections=20) as server:
        with admin(server) as conn:
            conn.execute("CREATE ROLE app LOGIN")
            conn.execute("CREATE ROLE monitor LOGIN IN ROLE pg_monitor")
            conn.execute("CREATE ROLE plain LOGIN")
        opened = [psycopg.connect(dsn(server, "app"), application_name="api", connect_timeout=5) for _ in range(5)]
        try:
            young = 0.0
            for index, conn in enumerate(opened):
                if index == 2:
                    time.sleep(1.5)
                    young = time.monotonic()
                conn.execute("SELECT 1")  # autocommit is off: the transaction stays open
                if index >= 3:
                    conn.commit()
            yield server, sorted(conn.info.backend_pid for conn in opened[:2]), young
        finally:
            for conn in opened:
                conn.close()


def threshold(young: float) -> str:
    """A threshold between the young transaction's age and the old ones' (at least 1.5 s older), however long the
    earlier tests took."""
    return f"{time.monotonic() - young + 0.75:.2f}"


def test_pgc502_sessions_idle_in_transaction_longer_than_the_threshold(capsys, idle_server):
    server, old_pids, young = idle_server
    status, document = doctor_json(capsys, "--dsn", dsn(server), "--idle-threshold-seconds", threshold(young))
    assert status == 1
    [idle] = findings(document, "PGC502")
    assert re.fullmatch(
        r"2 sessions of application_name 'api' \(role app, database postgres\) idle in transaction for more than"
        rf" [\d.]+ s \(--idle-threshold-seconds\): the oldest, pid (?:{old_pids[0]}|{old_pids[1]}), for \d+ s in a"
        r" transaction open \d+ s; idle_in_transaction_session_timeout 0 \(off\) \[pg_settings: default\] is off,"
        r" so PostgreSQL never ends them",
        idle["message"],
    ), idle["message"]
    assert sorted(idle["data"]["pids"]) == old_pids and idle["data"]["count"] == 2
    assert idle["data"]["oldest_s"] >= 1.5
    assert len(document["idle_in_transaction"]) == 3  # the young one is listed, not reported


def test_pgc502_default_threshold_reports_nothing(capsys, idle_server):
    server, _, _ = idle_server
    status, document = doctor_json(capsys, "--dsn", dsn(server))
    assert status == 0 and findings(document, "PGC502") == []
    assert [s["application_name"] for s in document["idle_in_transaction"]] == ["api"] * 3


def test_a_pg_monitor_role_sees_other_roles_sessions(capsys, idle_server):
    server, old_pids, young = idle_server
    status, document = doctor_json(
        capsys, "--dsn", dsn(server, "monitor"), "--idle-threshold-seconds", threshold(young)
    )
    assert document["server"]["superuser"] is False and document["server"]["reads_all_stats"] is True
    assert sorted(findings(document, "PGC502")[0]["data"]["pids"]) == old_pids
    assert document["slots"]["hidden"] == 0 and document["notes"] == []


def test_a_role_without_pg_monitor_is_told_what_it_cannot_see(capsys, idle_server):
    server, _, _ = idle_server
    status, out, _ = doctor(capsys, "--dsn", dsn(server, "plain"), "--idle-threshold-seconds", "1")
    assert status == 0  # the idle transactions of role app are invisible to it: not reported
    assert "(no pg_monitor)" in out
    assert (
        "note: 5 sessions of other roles show no type, state, address or query to role plain (it lacks"
        " pg_read_all_stats, which pg_monitor grants)" in out
    )
    assert "role plain cannot see which file and line set each setting" in out
    _, document = doctor_json(capsys, "--dsn", dsn(server, "plain"))
    assert document["slots"] == {"usable": 17, "used": 6, "hidden": 5}


# --- PGC503 max-connections-differs-from-repository ----------------------------------------------------


def test_pgc503_command_line_value_is_not_the_repository(capsys, tmp_path):
    repo = write_tree(tmp_path / "repo", TWO_APPS)
    with running(max_connections=20) as server:
        status, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        assert status == 1
        [differs] = findings(document, "PGC503")
        assert (differs["path"], differs["line"]) == ("db/postgresql.conf", 1)
        assert re.fullmatch(
            r"the running server has max_connections 20 \[pg_settings: command line\], the repository 200"
            r" \[db/postgresql.conf:1\]; the running server is not configured from db/postgresql.conf: its value"
            r" comes from its command line \(its configuration files hold 100, /\S+/data/postgresql.conf:\d+\);"
            r" a command-line value \(`postgres -c`, a container's `command:`\) wins over every file at each start",
            differs["message"],
        ), differs["message"]
        assert differs["data"] == {"live": 20, "repository": 200, "pending_restart": False}


def test_pgc503_pending_restart_says_the_repository_value_is_newer(capsys, tmp_path):
    repo = write_tree(tmp_path / "repo", TWO_APPS)
    with running(max_connections=20) as server:
        with admin(server) as conn:  # the test changes the server; doctor only reads
            conn.execute("ALTER SYSTEM SET max_connections = 200")
            conn.execute("SELECT pg_reload_conf()")
            pending = "SELECT pending_restart FROM pg_settings WHERE name = 'max_connections'"
            wait_for(lambda: conn.execute(pending).fetchone()[0])
        _, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        [differs] = findings(document, "PGC503")
        assert re.search(
            r"; a restart is pending \(pg_settings.pending_restart\): the server's configuration files now hold 200"
            r" \(/\S+/postgresql.auto.conf:\d+\); the repository's value is newer than the running one: restart the"
            r" server to apply it; a command-line value",
            differs["message"],
        ), differs["message"]
        assert differs["data"]["pending_restart"] is True


def test_pgc503_same_value_is_clean(capsys, tmp_path):
    repo = write_tree(tmp_path / "repo", ONE_APP)
    with running(max_connections=20) as server:
        status, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        assert status == 0 and document["findings"] == []
        assert document["repository"]["usable"] == 17 and document["settings"]["max_connections"]["value"] == 20


# --- PGC504 pools-exceed-connection-limit, and the repository beside live use --------------------------


def test_pgc504_role_and_database_limits_below_the_apps_pools(capsys, clients, tmp_path):
    repo = write_tree(tmp_path / "repo", ONE_APP)
    with running(max_connections=20) as server:
        with admin(server) as conn:
            conn.execute("CREATE ROLE app LOGIN CONNECTION LIMIT 5")
            conn.execute("CREATE DATABASE orders CONNECTION LIMIT 6")
        clients(dsn(server, "app", "orders"), 3, application_name="api")
        status, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        assert status == 1
        role, database = findings(document, "PGC504")
        assert role["message"] == (
            "role app has CONNECTION LIMIT 5 [pg_roles.rolconnlimit] but the pools of api (whose sessions use it,"
            " told by application_name) can hold 8 connections at once (api 2 × 4 = 8); 3 connected now; beyond 5"
            ' new ones fail with `too many connections for role "app"`'
        )
        assert database["message"].startswith(
            "database orders has CONNECTION LIMIT 6 [pg_database.datconnlimit] but the pools of api"
        )
        assert (role["path"], role["line"]) == ("ecosystem.config.js", 1)
        assert role["notes"] == [
            "api: 2 processes [ecosystem.config.js:1] × pool 4 [api/ormconfig.json:1] of api/ormconfig.json = 8"
        ]
        assert role["data"]["apps"] == [{"name": "api", "connections": 8}]
        [api] = document["repository"]["apps"]
        assert (api["name"], api["connections"], api["live"]) == ("api", 8, 3)


def test_pgc504_limits_above_the_pools_are_clean(capsys, clients, tmp_path):
    repo = write_tree(tmp_path / "repo", ONE_APP)
    with running(max_connections=20) as server:
        with admin(server) as conn:
            conn.execute("CREATE ROLE app LOGIN CONNECTION LIMIT 10")
        clients(dsn(server, "app"), 3, application_name="api")
        status, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        assert status == 0 and document["findings"] == []
        assert document["limits"] == [{"kind": "role", "name": "app", "limit": 10, "connected": 3, "superuser": False}]


def test_comparison_names_the_app_whose_pools_would_exhaust_the_server(capsys, clients, tmp_path):
    repo = write_tree(tmp_path / "repo", TWO_APPS)
    with running(max_connections=20) as server:
        clients(dsn(server), 4, application_name="api")
        clients(dsn(server), 2, application_name="")
        status, document = doctor_json(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        [server_wide] = findings(document, "PGC504")
        assert server_wide["message"] == (
            "the pools can hold up to 164 connections at once (api 16 × 10 = 160, worker 1 × 4 = 4), more than the"
            f" 17 usable slots of the running server ({SLOTS_20}); api alone exceeds them; beyond them new"
            " connections fail with `remaining connection slots are reserved…` or `sorry, too many clients already`"
        )
        assert (server_wide["path"], server_wide["line"]) == ("ecosystem.config.js", 3)
        repository = document["repository"]
        assert [(a["name"], a["connections"], a["live"]) for a in repository["apps"]] == [
            ("api", 160, 4),
            ("worker", 4, 0),
        ]
        assert (repository["usable"], repository["total"], repository["unattributed"]) == (197, 164, 2)
        assert document["notes"] == [
            "2 sessions carry no application_name that names an app of the repository, and no session names worker:"
            " set application_name in each pool to its app's name (TypeORM `applicationName`, node-postgres"
            " `application_name`, SQLAlchemy `connect_args={'application_name': …}`) so doctor can tell them apart"
        ]
        status, out, _ = doctor(capsys, "--dsn", dsn(server), str(repo), "--cpus", "8")
        assert "Repository budget beside live use" in out
        assert re.search(r"│ api +│ 16 × 10 = 160 +│ 160 +│ 4 +│", out), out


# --- it only reads ------------------------------------------------------------------------------------


def test_doctor_sends_only_set_and_select(capsys, clients, tmp_path):
    settings = {"log_statement": "all", "log_line_prefix": "'[%a] '"}
    with running(max_connections=20, settings=settings) as server:
        clients(dsn(server), 2, application_name="api", idle_in_transaction=True)
        doctor(capsys, "--dsn", dsn(server), str(write_tree(tmp_path / "repo", ONE_APP)), "--cpus", "8")
        statements = re.findall(r"\[pgconnlint doctor\] LOG:  statement: (\w+)", server.log.read_text())
        assert statements and set(statements) == {"SET", "SELECT"}
        assert "SET default_transaction_read_only = on" in server.log.read_text()


# --- bad input: one line, exit 2, no traceback, never the password ------------------------------------


def assert_one_line_error(status: int, out: str, err: str, expected: str) -> None:
    assert status == 2
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pgconnlint: error: cannot read ") and expected in err, err
    assert PASSWORD not in out + err


def test_closed_port(capsys):
    port = free_port()
    status, out, err = doctor(capsys, "--dsn", f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/orders")
    assert_one_line_error(status, out, err, f"127.0.0.1:{port}/orders as app: connection refused")


def test_a_server_that_never_answers_times_out(capsys):
    with socket.socket() as listener:  # accepts TCP connections in the kernel backlog, never speaks
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        started = time.monotonic()
        status = main(["doctor", "--timeout", "2", "--dsn", f"postgresql://app:{PASSWORD}@127.0.0.1:{port}/db"])
        out, err = capsys.readouterr()
    assert time.monotonic() - started < 8
    assert_one_line_error(status, out, err, "no answer within 2 s (--timeout)")


def test_wrong_database_and_unknown_role(capsys):
    with running(max_connections=20) as server:
        status, out, err = doctor(capsys, "--dsn", dsn(server, database="nosuchdb", password=PASSWORD))
        assert_one_line_error(status, out, err, 'the server refused: database "nosuchdb" does not exist')
        status, out, err = doctor(capsys, "--dsn", dsn(server, role="ghost", password=PASSWORD))
        assert_one_line_error(status, out, err, 'the server refused: role "ghost" does not exist')


def test_a_server_that_answers_queries_too_slowly_times_out(capsys):
    # doctor's pg_settings query waits for this lock
    with running(max_connections=20) as server, admin(server) as conn, conn.transaction():
        conn.execute("LOCK TABLE pg_catalog.pg_settings IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        status = main(["doctor", "--timeout", "2", "--dsn", dsn(server, password=PASSWORD)])
        out, err = capsys.readouterr()
    assert time.monotonic() - started < 8
    assert_one_line_error(status, out, err, "the server did not answer a query within 2 s (--timeout)")


def test_a_full_server_refuses_an_ordinary_role_and_a_superuser_sees_why(capsys, clients):
    with running(max_connections=5) as server:  # 5 − 3 reserved for superusers = 2 usable
        with admin(server) as conn:
            conn.execute("CREATE ROLE app LOGIN")
        clients(dsn(server, "app"), 2, application_name="api")
        status, out, err = doctor(capsys, "--dsn", dsn(server, "app", password=PASSWORD))
        assert_one_line_error(
            status,
            out,
            err,
            "the server refused: remaining connection slots are reserved for non-replication superuser connections"
            " (a superuser, or from PostgreSQL 16 a member of pg_use_reserved_connections, may still connect)",
        )
        status, document = doctor_json(capsys, "--dsn", dsn(server))
        [usage] = findings(document, "PGC501")
        assert usage["message"].startswith("3 of 2 usable connection slots in use (150%, above the 80% threshold)")


@contextlib.contextmanager
def password_server():
    """A server that asks every role but postgres for a scram password over TCP (initdb used --auth=trust)."""
    folder = Path(tempfile.mkdtemp(prefix="pgconnlint-hba-"))
    try:
        folder.chmod(0o755)
        hba = folder / "pg_hba.conf"
        hba.write_text(
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        hba.chmod(0o644)
        with running(max_connections=20, settings={"hba_file": str(hba)}) as server:
            with admin(server) as conn:
                conn.execute(f"CREATE ROLE app LOGIN PASSWORD '{PASSWORD}'")
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_refused_authentication_and_the_password_never_printed(capsys):
    with password_server() as server:
        status, out, err = doctor(capsys, "--dsn", dsn(server, "app", password="wrong-" + PASSWORD))
        assert_one_line_error(status, out, err, 'the server refused: password authentication failed for user "app"')
        assert "wrong-" not in err
        status, out, err = doctor(capsys, "--dsn", dsn(server, "app"))
        assert_one_line_error(status, out, err, "the server asks for a password and none was given")
        for output in ("text", "json"):  # the right password: it works, and it is printed nowhere
            status, out, err = doctor(capsys, "--dsn", dsn(server, "app", password=PASSWORD), "--format", output)
            assert status == 0, err
            assert PASSWORD not in out + err and f"127.0.0.1:{server.port}/postgres as app" in out


def test_libpq_environment_variables_and_pgpassword(tmp_path):
    with password_server() as server:
        env = {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(server.port),
            "PGUSER": "app",
            "PGDATABASE": "postgres",
            "PGPASSWORD": PASSWORD,
        }
        run = [sys.executable, "-m", "pgconnlint", "doctor", "--timeout", "5"]
        result = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"at 127.0.0.1:{server.port}/postgres as app" in result.stdout
        assert PASSWORD not in result.stdout + result.stderr
        env["PGPASSWORD"] = "wrong-" + PASSWORD
        result = subprocess.run(run, capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 2 and "password authentication failed" in result.stderr
        assert PASSWORD not in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_a_malformed_dsn_is_reported_without_its_password(capsys):
    status, out, err = doctor(capsys, "--dsn", f"host=127.0.0.1 password={PASSWORD} {PASSWORD}")
    assert status == 2 and err.count("\n") == 1
    assert "--dsn is not a valid connection string" in err and PASSWORD not in out + err


def test_missing_psycopg_says_how_to_install_it(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now raises ImportError
    status, out, err = doctor(capsys, "--dsn", "postgresql://127.0.0.1:1/x")
    assert (
        status == 2 and err == "pgconnlint: error: pgconnlint doctor needs psycopg 3: pip install 'pgconnlint[live]'\n"
    )


@pytest.mark.parametrize(
    "arguments",
    [["--usage-threshold", "1.5"], ["--usage-threshold", "0"], ["--timeout", "-1"], ["--idle-threshold-seconds", "x"]],
    ids=["threshold-above-1", "threshold-0", "negative-timeout", "idle-not-a-number"],
)
def test_bad_options_exit_2(capsys, arguments):
    with pytest.raises(SystemExit) as exit_:
        main(["doctor", *arguments])
    assert exit_.value.code == 2 and "Traceback" not in capsys.readouterr().err


def test_a_path_that_is_not_a_directory_is_refused_before_connecting(capsys, tmp_path):
    status, out, err = doctor(capsys, "--dsn", "postgresql://127.0.0.1:1/x", str(tmp_path / "missing"))
    assert status == 2 and err == f"pgconnlint: error: {tmp_path / 'missing'}: not a directory\n"


# --- the catalogue's examples are these tests -----------------------------------------------------------

COVERAGE = {  # rule: (its bad case, its good case)
    "PGC501": (
        test_pgc501_usage_above_threshold_names_the_numbers_and_the_largest_group,
        test_pgc501_usage_below_threshold_is_clean,
    ),
    "PGC502": (
        test_pgc502_sessions_idle_in_transaction_longer_than_the_threshold,
        test_pgc502_default_threshold_reports_nothing,
    ),
    "PGC503": (test_pgc503_command_line_value_is_not_the_repository, test_pgc503_same_value_is_clean),
    "PGC504": (test_pgc504_role_and_database_limits_below_the_apps_pools, test_pgc504_limits_above_the_pools_are_clean),
}


def test_every_doctor_rule_is_covered():
    assert sorted(COVERAGE) == sorted(DOCTOR_RULES)
