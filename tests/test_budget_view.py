"""`pgconnlint budget`: the table, and a suggestion that, applied, makes the budget checks pass."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from conftest import FIXTURES


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgconnlint", *args], capture_output=True, text=True, timeout=120)


def test_table_names_every_number_and_its_origin():
    result = run("budget", str(FIXTURES / "pm2-json-multi"), "--cpus", "8")
    assert result.returncode == 0
    assert "Connection budget of infra/postgresql.conf" in result.stdout
    assert "6 [process.json:8]" in result.stdout and "the whole pool" in result.stdout
    assert "usable slots: 147 = max_connections 150 [infra/postgresql.conf:4]" in result.stdout
    document = json.loads(run("budget", str(FIXTURES / "pm2-json-multi"), "--cpus", "8", "--format", "json").stdout)
    api = document["servers"][0]["terms"][0]
    assert (api["pool_max"], api["pool_max_from"]["path"], api["pool_max_from"]["line"]) == (
        12,
        "services/api/src/data-source.ts",
        11,
    )


def test_unbounded_pools_do_not_break_the_table_or_the_suggestion(tmp_path):
    from conftest import write_tree

    tree = write_tree(
        tmp_path / "nullpool",
        {
            "Procfile": "web: uvicorn app.main:app --workers 2\n",
            "requirements.txt": "fastapi\n",
            "app/db.py": "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n"
            "engine = create_engine('postgresql://a@db/a?connect_timeout=5', poolclass=NullPool)\n",
        },
    )
    table = run("budget", str(tree), "--suggest")
    assert table.returncode == 0 and "unbounded" in table.stdout and "no max_connections fits" in table.stdout
    [server] = json.loads(run("budget", str(tree), "--suggest", "--format", "json").stdout)["servers"]
    assert server["total"] is None and server["unbounded"] is True
    [pool] = server["suggestion"]["pools"]
    assert pool["current"] is None and 2 * pool["suggested"] <= server["suggestion"]["target"]


def test_suggestion_applied_to_the_incident_fits(tmp_path):
    tree = shutil.copytree(FIXTURES / "nestjs-pm2-incident", tmp_path / "incident")
    document = json.loads(run("budget", str(tree), "--cpus", "8", "--suggest", "--format", "json").stdout)
    [server] = document["servers"]
    suggestion = server["suggestion"]
    assert (suggestion["target"], suggestion["max_connections_needed"]) == (
        77,
        203,
    )  # floor(0.8 × 97), ceil(160 / 0.8) + 3
    [pool] = suggestion["pools"]
    assert (pool["path"], pool["instances"], pool["current"], pool["suggested"]) == ("ormconfig.json", 16, 10, 4)

    before = run("check", str(tree), "--cpus", "8", "--select", "PGC101,PGC102")
    assert before.returncode == 1
    orm = json.loads((tree / "ormconfig.json").read_text())
    orm["extra"] = {"max": pool["suggested"]}
    (tree / "ormconfig.json").write_text(json.dumps(orm, indent=2))
    after = run("check", str(tree), "--cpus", "8", "--select", "PGC101,PGC102")
    assert after.returncode == 0, after.stdout


def test_suggested_max_connections_fits_today_s_pools(tmp_path):
    tree = shutil.copytree(FIXTURES / "nestjs-pm2-incident", tmp_path / "incident")
    needed = json.loads(run("budget", str(tree), "--cpus", "8", "--suggest", "--format", "json").stdout)
    conf = tree / "db/postgresql.conf"
    needed = needed["servers"][0]["suggestion"]["max_connections_needed"]
    conf.write_text(conf.read_text().replace("max_connections = 100", f"max_connections = {needed}"))
    assert run("check", str(tree), "--cpus", "8", "--select", "PGC101,PGC102").returncode == 0


def test_text_suggestion_and_memory_cost(tmp_path):
    tree = shutil.copytree(FIXTURES / "nestjs-pm2-incident", tmp_path / "incident")
    (tree / "pgconnlint.toml").write_text("server-memory = '2GB'\nheadroom = 0.5\n")
    result = run("budget", str(tree), "--cpus", "8", "--suggest")
    assert "Suggestion (headroom 50%: at most 48 of 97)" in result.stdout
    assert "set pool max 3 (now 10) for ormconfig.json at ormconfig.json:1: 16 pools × 3 = 48" in result.stdout
    assert "set max_connections = 323" in result.stdout and "1292MB of the declared 2048MB" in result.stdout


def test_steady_and_rollout_totals_side_by_side():
    fixture = str(FIXTURES / "k8s-rollout")
    table = run("budget", fixture, "--cpus", "8")
    assert table.returncode == 0
    assert "during a rollout" in table.stdout and "total 80 (75%); during a rollout 120" in table.stdout
    document = json.loads(run("budget", fixture, "--cpus", "8", "--format", "json").stdout)
    [server] = [s for s in document["servers"] if s["terms"]]
    assert (server["total"], server["rollout"], server["usable"]) == (80, 120, 107)
    [term] = server["terms"]
    # 8 pods at the autoscaler's maximum, plus 4 surge pods (maxSurge 50% of 8, rounded up)
    assert (term["processes"], term["rollout_processes"]) == (8, 12)
    assert term["rollout_from"]["path"] == "deploy/k8s/api.yaml"
