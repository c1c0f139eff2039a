"""synchronize / dropSchema / migrationsRun and the connect timeout, evaluated per environment."""

from __future__ import annotations

from conftest import keys

PM2 = """module.exports = {
  apps: [{
    name: "api", script: "dist/main.js", instances: 4,
    env: { DB_SYNC: "true" },
    env_production: { DB_SYNC: "false" },
  }],
};
"""
ORM_FROM_ENV = (
    'module.exports = {\n  type: "postgres",\n  connectTimeoutMS: 1,\n  synchronize: process.env.DB_SYNC,\n};\n'
)


def test_env_string_false_is_truthy_and_the_message_says_so(lint_tree):
    result = lint_tree({"ecosystem.config.js": PM2, "ormconfig.js": ORM_FROM_ENV}, select=frozenset({"PGC201"}))
    [finding] = result.findings
    assert finding.key == ("PGC201", "ormconfig.js", 4)
    assert "synchronize is \"false\" (DB_SYNC='false' from env_production of pm2 app api" in finding.message
    assert "the string 'false' is truthy" in finding.message


def test_explicit_comparison_is_respected(lint_tree):
    orm = ORM_FROM_ENV.replace("process.env.DB_SYNC,", 'process.env.DB_SYNC === "true",')
    result = lint_tree({"ecosystem.config.js": PM2, "ormconfig.js": orm})
    assert keys(result) == []
    dev = lint_tree({"ecosystem.config.js": PM2, "ormconfig.js": orm}, environment="development")
    assert keys(dev) == [("PGC203", "ormconfig.js", 4)]  # not production, but still 4 processes


def test_node_env_ternary_in_datasource(lint_tree):
    code = 'new DataSource({ type: "postgres", connectTimeoutMS: 1,\n  synchronize: process.env.NODE_ENV === "development" });'
    assert keys(lint_tree({"src/db.ts": code})) == []
    assert keys(lint_tree({"src/db.ts": code}, environment="development")) == []  # one process: no race


def test_drop_schema_is_reported_in_any_environment(lint_tree):
    orm = '{"type": "postgres", "connectTimeoutMS": 1, "dropSchema": true}'
    assert keys(lint_tree({"ormconfig.json": orm}, environment="staging")) == [("PGC202", "ormconfig.json", 1)]


def test_connect_timeout_zero_and_extra_override(lint_tree):
    zero = '{"type": "postgres", "connectTimeoutMS": 0}'
    [finding] = lint_tree({"ormconfig.json": zero}).findings
    assert finding.code == "PGC204" and "the connect timeout is 0 (ormconfig.json:1)" in finding.message
    extra = '{"type": "postgres", "connectTimeoutMS": 0, "extra": {"connectionTimeoutMillis": 3000}}'
    assert lint_tree({"ormconfig.json": extra}).findings == []


def test_one_config_run_by_two_apps_is_reported_once(lint_tree):
    pm2 = """module.exports = { apps: [
  { name: "web", script: "dist/main.js", instances: 2 },
  { name: "jobs", script: "dist/jobs.js", instances: 2 },
] };"""
    result = lint_tree({"ecosystem.config.js": pm2, "ormconfig.json": '{"type": "postgres", "synchronize": true}'})
    assert sorted(keys(result)) == [
        ("PGC201", "ormconfig.json", 1),
        ("PGC203", "ormconfig.json", 1),
        ("PGC204", "ormconfig.json", 1),
    ]
