"""Property-based fuzzing of every front end (hypothesis): whatever text a file holds, its reader returns facts or
problems and never raises. Deterministic (derandomize) and small, so that the normal run stays quick."""

from __future__ import annotations

import importlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgconnlint.discover import decode
from pgconnlint.model import Location, ParseProblem

FRONT_ENDS = [
    ("typeorm", "extract_ormconfig", "ormconfig.json"),
    ("node_commands", "extract_code", "db.js"),
    ("node_pools", "extract_knexfile", "knexfile.js"),
    ("node_pools", "extract_sequelize_config", "config/config.json"),
    ("node_pools", "extract_sequelizerc", ".sequelizerc"),
    ("prisma", "extract_config", "prisma.config.ts"),
    ("prisma", "extract", "schema.prisma"),
    ("pm2", "extract", "ecosystem.config.js"),
    ("dotenv", "extract", ".env"),
    ("node_commands", "extract_package", "package.json"),
    ("django", "extract", "settings.py"),
    ("gunicorn", "extract", "gunicorn.conf.py"),
    ("procfile", "extract", "Procfile"),
    ("dockerfile", "extract", "Dockerfile"),
    ("compose", "extract", "docker-compose.yml"),
    ("postgres_command", "extract", "db.sh"),
    ("pgbouncer", "extract", "pgbouncer.ini"),
    ("hba", "extract", "pg_hba.conf"),
    ("kubernetes", "extract", "deploy.yaml"),
    ("terraform", "extract", "main.tf"),
    ("platforms", "extract_heroku", "app.json"),
    ("platforms", "extract_fly", "fly.toml"),
    ("platforms", "extract_serverless", "serverless.yml"),
    ("platforms", "extract_vercel", "vercel.json"),
    ("platforms", "extract_netlify", "netlify.toml"),
]

# Fragments each format is made of, so that the fuzzer reaches past the first syntax error.
_WORDS = [
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "=",
    ",",
    ";",
    "\n",
    "  ",
    "-",
    "'",
    '"',
    "&a",
    "*a",
    "<<:",
    "1e400",
    "-1",
    "0x32",
    "max",
    "instances",
    "pool_size",
    "max_connections",
    "services",
    "image: postgres",
    "command",
    "apps",
    "env",
    "${X:-5}",
    "process.env.X",
    "require('pg')",
    "new Pool(",
    "create_engine(",
    "DATABASES",
    "postgres://u:p@h/d",
    "\x1b",
    "\x00",
    "é",
    "apiVersion",
    "kind: Deployment",
    "replicas",
    "resource",
    "web:",
    "docker run postgres -c",
    "gunicorn -w",
    "pm2 start a.js -i",
    "datasource db",
    "url = env(",
    "module.exports =",
]
TEXT = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(_WORDS), max_size=40).map("".join))


@pytest.mark.parametrize(("module", "function", "path"), FRONT_ENDS, ids=[f[2] for f in FRONT_ENDS])
def test_a_front_end_never_raises(module, function, path):
    extract = getattr(importlib.import_module(f"pgconnlint.extract.{module}"), function)

    @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(TEXT)
    def run(text):
        decoded = decode(Location(path, 1), text.encode("utf-8", "surrogatepass"))
        if isinstance(decoded, ParseProblem):
            return  # refused before any parser, as read_text does
        found, problems = extract(path, decoded)
        assert all(isinstance(problem, ParseProblem) for problem in problems)

    run()


@settings(max_examples=25, deadline=None, derandomize=True)
@given(TEXT)
def test_postgresql_conf_never_raises(text):
    from pgconnlint.extract.pgconf import from_text

    decoded = decode(Location("postgresql.conf", 1), text.encode("utf-8", "surrogatepass"))
    if isinstance(decoded, str):
        from_text("postgresql.conf", Location("postgresql.conf", 1), decoded, 1)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.text(max_size=300))
def test_neutral_text_never_lets_a_line_start_a_command(value):
    from pgconnlint import neutral

    shown = neutral.text(neutral.redact(value))
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown and "##[" not in shown
    assert not shown.lstrip().startswith("::")
