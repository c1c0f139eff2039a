"""One redaction for every echoed value (neutral.redact), and PGC403 where passwords are committed."""

from __future__ import annotations

import json

import pytest
from hostile_support import cli

from pgconnlint import neutral
from pgconnlint.doctor import _redact, _secrets


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("postgresql://u:p@ss@host/db", "ss@"),
        ("postgres://app:s3cr3t@db:5432/app?sslmode=require", "s3cr3t"),
        ("host=db password=my secret user=app", "secret"),
        ("host=db password='my secret' user=app", "secret"),
        ("primary_conninfo = 'host=a password=''sec ret'' port=5'", "sec"),
        ("postgres://u@h/db?password=hunter22", "hunter22"),
        ("{ user: 'app', password: 'hunter22' }", "hunter22"),
    ],
)
def test_redact_masks_every_form_of_password(raw, hidden):
    shown = neutral.redact(raw)
    assert hidden not in shown and neutral.MASK in shown


def test_references_are_not_masked():
    assert neutral.redact("password: process.env.PGPASSWORD") == "password: process.env.PGPASSWORD"


def test_doctor_error_hides_an_unencoded_at_and_keeps_every_other_p():
    dsn = "postgresql://u:p@ss@host/db"
    message = _redact("could not connect to p@ss@host: password p@ss rejected, please retry", _secrets(dsn))
    assert "p@ss" not in message and "please" in message


def test_doctor_keyword_password_with_a_space_is_hidden():
    message = _redact('missing "=" after "secret" in connection info string', _secrets("password=my secret"))
    assert "secret" not in message


def test_no_format_echoes_a_password(lint_tree, tmp_path):
    conf = "primary_conninfo = 'host=a password=topsecret1'\nprimary_conninfo = 'host=b password=topsecret2'\n"
    from conftest import write_tree

    root = write_tree(tmp_path / "r", {"postgresql.conf": conf})
    for form in ("text", "json", "sarif", "github", "gitlab"):
        status, out, _ = cli("check", str(root), "--format", form)
        assert "PGC312" in out and "topsecret" not in out, form
    cli("check", str(root), "--write-baseline", str(tmp_path / "b.json"))
    assert "topsecret" not in (tmp_path / "b.json").read_text()


@pytest.mark.parametrize(
    "files",
    [
        {".env": "DATABASE_URL=postgres://app:hunter22@db/app\n"},
        {
            "ecosystem.config.json": json.dumps(
                {"apps": [{"name": "api", "script": "a.js", "env": {"DATABASE_URL": "postgres://app:hunter22@db/app"}}]}
            )
        },
        {
            "docker-compose.yml": "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter22\n"
        },
        # a third-party service no pool is linked to
        {
            "docker-compose.yml": "services:\n  kc:\n    image: keycloak\n    environment:\n      KC_DB_PASSWORD: hunter22\n"
        },
        {"k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter22\n"},
        {  # base64 of postgres://app:hunter22@db/app
            "k8s/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n"
            "  DATABASE_URL: cG9zdGdyZXM6Ly9hcHA6aHVudGVyMjJAZGIvYXBw\n"
        },
        {
            "main.tf": 'resource "aws_db_instance" "db" {\n  engine = "postgres"\n  instance_class = "db.t3.micro"\n'
            '  password = "hunter22"\n}\n'
        },
        {
            "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'x',"
            " 'PASSWORD': 'hunter22'}}\n",
            "site/requirements.txt": "django\n",
        },
    ],
)
def test_pgc403_finds_committed_passwords(lint_tree, files):
    files = {**files, "ormconfig.json": '{"type": "postgres", "connectTimeoutMS": 5000}'}
    result = lint_tree(files)
    [found] = [f for f in result.findings if f.code == "PGC403"]
    assert "hunter22" not in found.message


def test_an_env_template_is_not_a_committed_password(lint_tree):
    result = lint_tree({".env.example": "DATABASE_URL=postgres://app:changeme@db/app\n", "ormconfig.json": "{}"})
    assert all(f.code != "PGC403" for f in result.findings)
