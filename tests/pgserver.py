"""A real PostgreSQL server for tests: initdb in a temporary directory, a free port on 127.0.0.1, started
with pg_ctl as a non-root user (the `postgres` account when the tests run as root), stopped on exit."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: pg_config's, else the newest Debian one."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    return next((Path(c) for c in candidates if c and (Path(c) / "initdb").exists()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    data: Path
    log: Path
    user: str = "postgres"

    @property
    def dsn(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextlib.contextmanager
def running(max_connections: int = 20, settings: dict[str, str] | None = None) -> Iterator[Server]:
    """A server with `max_connections` and any other `-c` settings; always stopped, even when the test fails."""
    binaries = bindir()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries not found (initdb, pg_ctl); .ci/run installs them")
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="pgconnlint-pg-"))
    data, log = root / "data", root / "server.log"
    if owner:
        account = pwd.getpwnam(owner)
        os.chown(root, account.pw_uid, account.pw_gid)
    subprocess.run(
        _as_owner(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
            owner,
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    options = {
        "port": str(port),
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": str(root),
        "max_connections": str(max_connections),
        "fsync": "off",
        **(settings or {}),
    }
    flags = " ".join(f"-c {name}={value}" for name, value in options.items())
    pg_ctl = str(binaries / "pg_ctl")
    started = subprocess.run(
        _as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", flags, "-w", "-t", "60", "start"], owner),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if started.returncode != 0:
        raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log.read_text() if log.exists() else ''}")
    try:
        yield Server(port, data, log)
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], owner),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)
