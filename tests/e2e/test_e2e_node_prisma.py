"""Prisma 7 with the node-postgres driver adapter (`@prisma/adapter-pg`) under real pm2 in cluster mode against a
real PostgreSQL, and pgconnlint's prediction for the same tree (issue 17, item 1: the adapter held in a variable).

The adapter's pool is node-postgres' (default max 10); the client is generated once by tests/e2e/prepare.sh into
tests/e2e/node_cache (no engine binary: Prisma 7 runs its WASM query compiler over the adapter). pm2 runs with
PM2_HOME in a temporary folder and is killed in a `finally`, as in test_e2e_node_pm2.py."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
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
    wait_http,
    write_files,
)
from test_e2e_node_pm2 import INSTANCES, MAX_CONNECTIONS, NODE_MODULES, PM2, _pm2, _stop_pm2, _wait_online

pytestmark = pytest.mark.e2e


def _skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "node not found: the Node scenarios need Node.js (then `bash tests/e2e/prepare.sh`)"
    needed = (NODE_MODULES / "@prisma" / "adapter-pg", NODE_MODULES / ".prisma" / "client", NODE_MODULES / "pg")
    if not PM2.exists() or not all(path.is_dir() for path in needed):
        return "pm2, @prisma/adapter-pg or the generated Prisma client missing: run `bash tests/e2e/prepare.sh`"
    if pgserver.bindir() is None:
        return "PostgreSQL server binaries not found (.ci/run installs Debian's postgresql)"
    return None


SERVER_JS = """\
const http = require("http");
const { prisma } = require("./db");

const server = http.createServer(async (request, response) => {
  const url = new URL(request.url, "http://127.0.0.1");
  if (url.pathname === "/health") {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end("ok");
    return;
  }
  try {
    const rows = await prisma.$queryRawUnsafe(
      "select pg_backend_pid() as pid, pg_sleep($1)::text as slept", Number(url.searchParams.get("s"))
    );
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ pid: rows[0].pid }));
  } catch (error) {
    response.writeHead(500, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: String((error && error.message) || error) }));
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => process.send && process.send("ready"));
"""


def write_app(root: Path, *, db_port: int, http_port: int, pool_options: str) -> Path:
    write_files(
        root,
        {
            "package.json": json.dumps(
                {
                    "name": "billing-api",
                    "version": "1.0.0",
                    "private": True,
                    "main": "src/server.js",
                    "dependencies": {"@prisma/adapter-pg": "7.10.1", "@prisma/client": "7.10.1", "pg": "8.23.1"},
                    "devDependencies": {"prisma": "7.10.1"},
                },
                indent=2,
            )
            + "\n",
            "prisma/schema.prisma": (
                'generator client {\n  provider = "prisma-client-js"\n}\n\n'
                'datasource db {\n  provider = "postgresql"\n}\n'
            ),
            "ecosystem.config.js": f"""\
module.exports = {{
  apps: [
    {{
      name: "billing-api",
      script: "src/server.js",
      exec_mode: "cluster",
      instances: {INSTANCES},
      wait_ready: true,
      listen_timeout: 20000,
      max_restarts: 3,
      env: {{ NODE_ENV: "production", PORT: "{http_port}" }},
    }},
  ],
}};
""",
            # The adapter held in a variable, as Prisma 7's own guide writes it (issue 17, item 1)
            "src/db.js": f"""\
const {{ PrismaClient }} = require("@prisma/client");
const {{ PrismaPg }} = require("@prisma/adapter-pg");

const adapter = new PrismaPg({{
  connectionString: "postgresql://app@127.0.0.1:{db_port}/postgres",
  connectionTimeoutMillis: 10000,{pool_options}
}});

exports.prisma = new PrismaClient({{ adapter }});
""",
            "src/server.js": SERVER_JS,
            "db/postgresql.conf": f"""\
# The server the app runs against (tests/pgserver.py starts it with these settings).
listen_addresses = '127.0.0.1'
port = {db_port}
max_connections = {MAX_CONNECTIONS}
""",
        },
    )
    (root / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return root


SCENARIOS = {
    # name: (adapter pool options, expected max per instance, clients at once, requests per client, seconds each)
    # node-postgres default max 10: 4 × 10 = 40 > 17 usable. Two rounds: pm2's balancing is not an exact round robin
    # under one burst, and a clean-clone CI run once served a single burst with no instance past the server's slots
    "over-budget-default-max": ("", 10, 60, 2, 1.5),
    "fitting": ("\n  max: 3,", 3, 24, 4, 0.5),  # 4 × 3 = 12 ≤ 17 usable
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_prisma_adapter_pg_under_pm2_cluster(scenario, tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    pool_options, per_instance, clients, rounds, hold = SCENARIOS[scenario]
    with pgserver.running(max_connections=MAX_CONNECTIONS) as server:
        create_app_role(server)
        usable = server_usable(server)
        http_port = pgserver.free_port()
        app = write_app(tmp_path / "app", db_port=server.port, http_port=http_port, pool_options=pool_options)
        home = Path(tempfile.mkdtemp(prefix="pm2-"))
        try:
            started = _pm2(home, app, "start", "ecosystem.config.js")
            assert started.returncode == 0, started.stdout + started.stderr
            _wait_online(home, app, INSTANCES, seconds=60)
            wait_http(http_port, "/health", seconds=30)
            with Sampler(server) as sampler:
                outcome = drive(http_port, f"/sleep?s={hold}", clients, rounds)
            logs = _pm2(home, app, "logs", "--nostream", "--lines", "20", "--raw").stdout
        finally:
            _stop_pm2(home, app)
            shutil.rmtree(home, ignore_errors=True)

    report = lint(app, cpus=os.cpu_count())
    budget = only_server(report)
    refusals = slot_errors(outcome.errors)
    record(f"node pm2 prisma {scenario}", instances=INSTANCES, **observed(sampler, outcome, report))

    assert budget["usable"] == usable == MAX_CONNECTIONS - 3
    assert budget["total"] == INSTANCES * per_instance, "the adapter's pool, held in a variable, was not counted"
    assert sampler.peak <= budget["total"], "more connections than pgconnlint predicted"
    assert outcome.failed == sum(outcome.errors.values()), f"requests failed without an error text: {outcome}\n{logs}"
    if scenario.startswith("over-budget"):
        flagged = finding(report, "PGC101")
        assert flagged["data"]["total"] >= sampler.peak
        assert sampler.peak >= usable - 1, "the pools did not fill the server"
        assert set(RESERVED_REFUSALS) & set(refusals), f"no refusal for the reserved slots: {outcome.errors}"
        assert set(refusals) <= set(SLOT_ERRORS)
        assert sum(refusals.values()) == outcome.failed, f"other errors than refusals: {outcome.errors}"
    else:
        assert not codes(report) & {"PGC101", "PGC102"}
        assert outcome.failed == 0, outcome.errors
        assert sampler.peak == budget["total"], "the pools were not filled"
