"""What the end-to-end scenarios share: a non-superuser role on the real server, a load driver that sends a
bounded number of requests to 127.0.0.1 only, a sampler of pg_stat_activity, and pgconnlint's JSON report.

Every scenario connects its app as the ordinary role `app`, as a production app would: a superuser may also take the
`superuser_reserved_connections` slots, and then the server's usable number would not be the one that limits it.
The sampler connects as the superuser, so it always gets in while the app holds every ordinary slot."""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pgserver

APP_ROLE = "app"
ACTIVE_SQL = "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()"
# Only the app's own connections: for a scenario whose test also reads the server while the load runs.
APP_ACTIVE_SQL = ACTIVE_SQL + f" and usename = '{APP_ROLE}'"
# The texts PostgreSQL sends when a connection is refused for want of slots (PostgreSQL 12-15 wording first,
# then 16+; the last one is the refusal when every slot, the reserved ones too, is taken).
SLOT_ERRORS = (
    "remaining connection slots are reserved for non-replication superuser connections",
    "remaining connection slots are reserved for roles with the SUPERUSER attribute",
    "sorry, too many clients already",
)
RESERVED_REFUSALS = SLOT_ERRORS[:2]  # an ordinary role, while fewer than superuser_reserved_connections are free
ALL_TAKEN = SLOT_ERRORS[2]  # anyone, once every slot is taken


def psql_command(server: pgserver.Server, sql: str | None) -> list[str]:
    """psql as the superuser over TCP to 127.0.0.1, unaligned tuples only; `sql` None: commands from stdin."""
    binaries = pgserver.bindir()
    assert binaries is not None
    command = [
        str(binaries / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port),
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-AtXq",
    ]
    return command if sql is None else [*command, "-v", "ON_ERROR_STOP=1", "-c", sql]


def psql(server: pgserver.Server, sql: str, timeout: float = 10) -> str:
    done = subprocess.run(
        psql_command(server, sql),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout.strip()


def create_app_role(server: pgserver.Server) -> str:
    """An ordinary login role for the app; returns its name."""
    psql(server, f"create role {APP_ROLE} login")
    return APP_ROLE


def server_usable(server: pgserver.Server) -> int:
    """What the running server grants an ordinary role: max_connections − superuser_reserved_connections
    (− reserved_connections on 16+), read from the server itself."""
    rows = psql(
        server,
        "select name, setting from pg_settings where name in "
        "('max_connections', 'superuser_reserved_connections', 'reserved_connections')",
    )
    values = {name: int(value) for name, value in (row.split("|") for row in rows.splitlines())}
    return values["max_connections"] - values["superuser_reserved_connections"] - values.get("reserved_connections", 0)


class Sampler:
    """Counts client backends (the sampler's own excluded) every ~50 ms while the load runs; keeps the peak.

    By default each sample is a new superuser connection, so that the sampler takes a slot only for a moment:
    a connection held open would leave an ordinary role one slot fewer (PostgreSQL refuses it while fewer than
    superuser_reserved_connections slots are free). With `hold_slot` it keeps one session open from before the
    load, for an app that is itself a superuser and would otherwise take every slot and lock the sampler out."""

    def __init__(
        self,
        server: pgserver.Server,
        period: float = 0.05,
        deadline: float = 120,
        hold_slot: bool = False,
        app_only: bool = False,
    ):
        self.server, self.period, self.deadline = server, period, deadline
        self.sql = APP_ACTIVE_SQL if app_only else ACTIVE_SQL
        self.samples: list[int] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._session: subprocess.Popen | None = None
        if hold_slot:
            self._session = subprocess.Popen(
                psql_command(server, None),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
            )

    def _sample(self) -> int:
        if self._session is None:
            return int(psql(self.server, self.sql, timeout=5))
        assert self._session.stdin and self._session.stdout
        self._session.stdin.write(self.sql + ";\n")
        self._session.stdin.flush()
        line = self._session.stdout.readline()
        if not line:
            self._stop.set()
            raise RuntimeError(
                f"the sampler's session ended: {self._session.stderr.read() if self._session.stderr else ''}"
            )
        return int(line)

    def _run(self) -> None:
        end = time.monotonic() + self.deadline
        while not self._stop.is_set() and time.monotonic() < end:
            try:
                self.samples.append(self._sample())
            except (RuntimeError, subprocess.TimeoutExpired, ValueError, OSError) as error:
                self.failures.append(str(error))  # e.g. every slot, the reserved ones too, was taken for a moment
            self._stop.wait(self.period)

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)

    def __enter__(self) -> Sampler:
        if self._session is not None:
            self.samples.append(self._sample())  # the session is in before the load starts
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
        if self._session is not None:
            try:
                self._session.communicate(input="\\q\n", timeout=10)
            except (subprocess.TimeoutExpired, ValueError, OSError):
                self._session.kill()
                self._session.wait(timeout=10)


@dataclass
class Outcome:
    """What the load driver saw: status per request and the error texts the app returned."""

    statuses: collections.Counter = field(default_factory=collections.Counter)
    errors: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def failed(self) -> int:
        return sum(self.statuses.values()) - self.ok


def drive(port: int, path: str, clients: int, rounds: int = 1, timeout: float = 30) -> Outcome:
    """`clients` threads that start together and each send `rounds` GETs of http://127.0.0.1:port/path one after
    the other, each on a new connection (so that pm2's and the kernel's balancing spread them over every process).
    Bounded: at most clients × rounds requests, `timeout` seconds each, and `timeout` seconds for a thread's last
    request to start."""
    outcome, lock = Outcome(), threading.Lock()
    start = threading.Barrier(clients + 1, timeout=30)
    began = time.monotonic()

    def one() -> tuple[int | str, str | None]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            return response.status, None if response.status == 200 else _error_text(body)
        except (OSError, http.client.HTTPException) as problem:
            return "transport", f"{type(problem).__name__}: {problem}"
        finally:
            connection.close()

    def client() -> None:
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        for _ in range(rounds):
            if time.monotonic() > began + timeout:
                break
            status, error = one()
            with lock:
                outcome.statuses[status] += 1
                if error:
                    outcome.errors[error] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(timeout=max(0.1, began + 2 * timeout + 5 - time.monotonic()))
    outcome.seconds = time.monotonic() - began
    assert not any(thread.is_alive() for thread in threads), "requests still running past their time limit"
    return outcome


def _error_text(body: str) -> str:
    try:
        return str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        return body[:300] or "(empty body)"


def wait_http(port: int, path: str, seconds: float, alive=lambda: True) -> None:
    """Until GET path answers 200, for at most `seconds`; `alive()` false stops early (the manager died)."""
    end = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < end and alive():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status == 200:
                return
            last = f"status {response.status}"
        except OSError as problem:
            last = str(problem)
        finally:
            connection.close()
        time.sleep(0.2)
    raise TimeoutError(f"http://127.0.0.1:{port}{path} did not answer 200 within {seconds}s: {last}")


def slot_errors(errors: collections.Counter) -> dict[str, int]:
    """The app's error texts that are PostgreSQL's refusals for want of slots, keyed by the refusal's text."""
    found: collections.Counter = collections.Counter()
    for text, count in errors.items():
        for known in SLOT_ERRORS:
            if known in text:
                found[known] += count
    return dict(found)


def lint(tree: Path, cpus: int | None = None) -> dict:
    """`pgconnlint check --format json` on the tree, as a user runs it."""
    command = [sys.executable, "-m", "pgconnlint", "check", "--format", "json", "--no-color"]
    if cpus is not None:
        command += ["--cpus", str(cpus)]
    done = subprocess.run([*command, str(tree)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1) and done.stdout.strip(), f"pgconnlint failed ({done.returncode}): {done.stderr}"
    return json.loads(done.stdout)


def only_server(report: dict) -> dict:
    assert len(report["servers"]) == 1, report["servers"]
    return report["servers"][0]


def codes(report: dict) -> set[str]:
    return {finding["code"] for finding in report["findings"]}


def finding(report: dict, code: str) -> dict:
    matches = [f for f in report["findings"] if f["code"] == code]
    assert len(matches) == 1, (code, [f["code"] for f in report["findings"]])
    return matches[0]


def observed(sampler: Sampler, outcome: Outcome, report: dict) -> dict:
    """The figures every scenario records: what the server saw, what the clients got, what pgconnlint predicted."""
    budget = only_server(report)
    return {
        "peak": sampler.peak,
        "samples": len(sampler.samples),
        "sampler_failures": sampler.failures[:3],
        "statuses": outcome.statuses,
        "errors": outcome.errors,
        "seconds": round(outcome.seconds, 1),
        "predicted_total": budget["total"],
        "predicted_ceiling": budget["ceiling"],
        "predicted_usable": budget["usable"],
        "findings": sorted(codes(report)),
    }


def record(name: str, **figures) -> None:
    """Print the figures a scenario observed (shown with `pytest -s`, and in the report of a failing test)."""
    print(f"[e2e] {name}: " + json.dumps(figures, default=dict, sort_keys=True))


def write_files(root: Path, files: dict[str, str]) -> Path:
    """The app's files under `root` (folders made as needed)."""
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def stop_session(process: subprocess.Popen) -> None:
    """SIGTERM to a process started with `start_new_session=True`, then SIGKILL to its whole session's group if it
    outlives 20 s; children that outlived their parent (none expected) go with the group too."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def venv_command(name: str) -> list[str]:
    """A console script of the interpreter running the tests (gunicorn, celery, uvicorn), else `python -m name`."""
    beside = Path(sys.executable).parent / name
    return [str(beside)] if beside.exists() else [sys.executable, "-m", name]


def wait_log(log: Path, text: str, count: int, process: subprocess.Popen, seconds: float) -> None:
    """Until `text` appears `count` times in the log, for at most `seconds`; fails early when the process exits."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and process.poll() is None:
        if log.read_text(errors="replace").count(text) >= count:
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"{text!r} not seen {count} times within {seconds}s (exit {process.poll()}):\n"
        + log.read_text(errors="replace")[-3000:]
    )
