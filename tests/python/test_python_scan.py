"""Python files read with the standard library's `ast` first, libcst only where it can find something (issue 19):
the facts are the same either way, and a FastAPI router is read without libcst."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgconnlint.extract import django, python_scan, sqlalchemy
from pgconnlint.model import PendingPools

TESTS = Path(__file__).resolve().parent.parent

ROUTER = (
    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
    '@router.get("/items")\nasync def list_items():\n    return []\n\n\n'
    'class Views:\n    @router.post("/items")\n    def  créer(self, item: dict):  # two spaces, a non-ASCII name\n'
    "        return item\n\n\n"
    "def helper():\n    return 1\n"
)


def through_libcst(path: str, text: str, monkeypatch) -> tuple[list, list]:
    """The extraction without the `ast` scan: what pgconnlint read before it."""
    with monkeypatch.context() as patched:
        patched.setattr(python_scan, "scan", lambda text, names: None)
        return django.extract(path, text)


def needs_libcst(text: str) -> bool:
    scanned = python_scan.scan(text, sqlalchemy.ENGINE_NAMES)
    return scanned is None or scanned.needs_libcst


def test_a_router_is_read_without_libcst_at_the_endpoint_names(monkeypatch):
    assert not needs_libcst(ROUTER)
    found, problems = django.extract("api/router.py", ROUTER)
    assert problems == []
    assert [(f.kind, f.name, f.location.line, f.location.column, f.location.end_column) for f in found] == [
        ("async-endpoint", "list_items", 7, 11, 21),
        ("sync-endpoint", "créer", 13, 10, 15),
    ]
    assert repr((found, problems)) == repr(through_libcst("api/router.py", ROUTER, monkeypatch))


@pytest.mark.parametrize(
    "text",
    [
        "from sqlalchemy import create_engine as make\nengine = make('postgresql://db/app')\n",
        "import sqlalchemy as sa\n\ndef get():\n    return sa.create_engine(URL)\n",
        "import asyncpg\nasync def main():\n    pool = await asyncpg.create_pool(dsn)\n",
        "from psycopg_pool import AsyncConnectionPool as Pool\npool = Pool(conninfo)\n",
        "import psycopg2\n",
        "from celery import Celery\napp = Celery('w', backend='db+postgresql://db/app')\n",
        "from celery import Celery\napp = Celery('w')\napp.conf.result_backend = 'db+postgresql://db/app'\n",
        "from anyio import to_thread\nto_thread.current_default_thread_limiter().total_tokens = 10\n",
        "SQLALCHEMY_DATABASE_URI = 'postgresql://db/app'\n",
        "class Production:\n    SQLALCHEMY_DATABASE_URI: str = 'postgresql://db/app'\n",
        "from flask import Flask\napp = Flask(__name__)\napp.config['SQLALCHEMY_DATABASE_URI'] = URL\n",
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql'}}\n",
        # newer syntax than some interpreters' ast, where a name libcst looks for is written: libcst decides
        "from sqlalchemy import create_engine\ntype Alias = int\n",
    ],
)
def test_whatever_libcst_reads_goes_to_libcst(text):
    assert needs_libcst(text)


def test_a_file_with_nothing_libcst_reads_is_not_parsed_by_it_whatever_its_syntax():
    assert not needs_libcst("type Alias = int\n")  # no name of a pool, a backend or a driver
    assert not needs_libcst("from fastapi import APIRouter\ntype Alias = int\n")  # endpoints from the skeleton


def test_a_file_that_mentions_only_llm_token_counts_is_not_parsed_by_libcst():
    assert not needs_libcst("from fastapi import FastAPI\n\ndef cost(usage):\n    return usage.total_tokens * 2\n")


def test_every_python_fixture_gives_the_same_facts_both_ways(monkeypatch):
    files = sorted(p for p in (TESTS / "fixtures").rglob("*.py") if p.is_file())
    assert len(files) > 20
    for file in files:
        text = file.read_text(errors="replace")
        path = file.relative_to(TESTS).as_posix()
        assert repr(_parsed(path, text)) == repr(through_libcst(path, text, monkeypatch)), path


def _parsed(path: str, text: str) -> tuple[list, list]:
    """django.extract's facts with a pending file's pools read as the linker reads them (`pools_of`)."""
    found, problems = django.extract(path, text)
    if found and isinstance(found[0], PendingPools):
        return django.pools_of(path, text)
    return found, problems


def test_a_file_with_engine_calls_only_waits_for_the_linker():
    text = "import sqlalchemy as sa\n\ndef get():\n    return sa.create_engine(URL)\n"
    assert django.extract("tests/conftest.py", text) == ([PendingPools("tests/conftest.py")], [])
    pools, _ = django.pools_of("tests/conftest.py", text)
    assert [(pool.library, pool.per_call, pool.location.line) for pool in pools] == [("sqlalchemy", True, 4)]


def test_a_django_style_result_backend_setting_goes_to_libcst():
    assert needs_libcst("CELERY_RESULT_BACKEND = 'db+postgresql://db/app'\n")


def test_a_tool_that_only_reads_the_flask_database_uri_is_not_parsed_by_libcst(monkeypatch):
    text = (
        "from flask import current_app\n\n\ndef show():\n"
        '    uri = current_app.config.get("SQLALCHEMY_DATABASE_URI", "")\n'
        '    return {"SQLALCHEMY_DATABASE_URI": uri}\n'
    )
    assert not needs_libcst(text)
    assert repr(django.extract("tools/ctl.py", text)) == repr(through_libcst("tools/ctl.py", text, monkeypatch))
