"""`server-profile` in the configuration: a managed server the repository does not describe, from the providers'
tables (pgconnlint/providers.py), counted against first; an unknown one is a configuration error (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import write_tree

POOL = "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 30, connectionTimeoutMillis: 5000 });\n"
ECOSYSTEM = "module.exports = { apps: [{ name: 'api', script: 'db.js', instances: 16, exec_mode: 'cluster' }] };\n"


def pgconnlint(root, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pgconnlint", "check", str(root), "--cpus", "8", *args]
    return subprocess.run(command, capture_output=True, text=True)


def tree(tmp_path, profile: str):
    return write_tree(
        tmp_path,
        {
            "pgconnlint.toml": f'server-profile = "{profile}"\n',
            "package.json": '{"name": "api", "dependencies": {"pg": "^8.11.0"}}',
            "db.js": POOL,
            "ecosystem.config.js": ECOSYSTEM,
        },
    )


def test_the_pools_count_against_the_profile_with_its_defaults_said(tmp_path):
    run = pgconnlint(tree(tmp_path, "rds:db.t3.medium"), "--format", "json")
    document = json.loads(run.stdout)
    server = document["servers"][0]
    # RDS: LEAST({DBInstanceClassMemory/9531392}, 5000) for 4 GiB = 450, less 3 superuser and 2 rds_superuser slots
    assert (server["name"], server["usable"], server["total"]) == ("profile rds:db.t3.medium", 445, 480)
    [finding] = [f for f in document["findings"] if f["code"] == "PGC101"]
    assert "DBInstanceClassMemory/9531392" in " ".join(
        (finding["message"], *finding["notes"])
    ) and "upper estimate" in " ".join((finding["message"], *finding["notes"]))
    assert run.returncode == 1


def test_an_unknown_size_exits_2_with_a_suggestion(tmp_path):
    run = pgconnlint(tree(tmp_path, "rds:db.t3.mediun"))
    assert run.returncode == 2
    assert "server-profile" in run.stderr and "did you mean 'db.t3.medium'" in run.stderr


def test_fixture_a_node_app_against_a_supabase_profile():
    from conftest import FIXTURES

    run = pgconnlint(FIXTURES / "provider-profile", "--format", "json")
    document = json.loads(run.stdout)
    [finding] = document["findings"]
    assert finding["code"] == "PGC101" and (finding["path"], finding["line"]) == ("pgconnlint.toml", 3)
    # 6 pm2 instances × PG_POOL_MAX 20 against Supabase Small's 90 direct connections less PostgreSQL's 3 reserved
    assert (finding["data"]["total"], finding["data"]["usable"]) == (120, 87)
    assert "Supabase small compute: 90 direct connections (https://supabase.com/" in " ".join(
        (finding["message"], *finding["notes"])
    )
    assert "pgconnlint.toml:3" in " ".join(finding["notes"])  # where the profile was chosen
