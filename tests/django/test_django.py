"""Django (issue 9): DATABASES of the settings module the processes run with, one connection per thread."""

from __future__ import annotations

import math

from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.expr import evaluate
from pgconnlint.extract.django import extract
from pgconnlint.lint import LintOptions, lint
from pgconnlint.model import DjangoSettingsRef, PythonPool

REQUIREMENTS = "django\npsycopg[binary]\n"
PG_CONF = "max_connections = 100\nidle_in_transaction_session_timeout = '60s'\n"


def settings(databases: str) -> str:
    return f"import os\n\nimport dj_database_url\n\nDATABASES = {databases}\n"


def django_terms(result):
    return [(t.group.name, t.processes, t.at_once, t.pool_max) for t in result.budgets[0].terms]


# --- extraction -----------------------------------------------------------------------------------


def test_explicit_databases_keep_postgres_aliases_only():
    text = """DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ.get("DB_HOST", "db"),
        "CONN_MAX_AGE": 60,
    },
    "gis": {"ENGINE": "django.contrib.gis.db.backends.postgis", "HOST": "gis"},
    "cache": {"ENGINE": "django.db.backends.sqlite3", "NAME": "cache.db"},
    "legacy": {"ENGINE": "django.db.backends.mysql", "NAME": "legacy"},
}
DATABASES["default"]["CONN_MAX_AGE"] = None
"""
    found, problems = extract("project/settings.py", "import os\n" + text)
    assert problems == []
    pools = [item for item in found if isinstance(item, PythonPool)]
    assert [(p.library, p.source, p.location.line) for p in pools] == [
        ("django", "DATABASES['default']", 3),
        ("django", "DATABASES['gis']", 8),
    ]
    assert evaluate(pools[0].options.get("CONN_MAX_AGE"), {}).value is None  # the later assignment wins
    assert pools[0].options.key_location("CONN_MAX_AGE").line == 12


def test_dj_database_url_config_and_parse():
    text = settings("""{
    "default": dj_database_url.config(default="postgres://app@db:5432/app", conn_max_age=600),
    "reports": dj_database_url.parse(os.environ["REPORTS_URL"], conn_max_age=None),
    "local": dj_database_url.parse("sqlite:///local.db"),
}""")
    found, problems = extract("project/settings.py", text)
    pools = [item for item in found if isinstance(item, PythonPool)]
    assert problems == [] and [p.source for p in pools] == ["DATABASES['default']", "DATABASES['reports']"]
    default, reports = pools
    assert evaluate(default.options.get("CONN_MAX_AGE"), {}).value == 600
    assert evaluate(default.url.get("url"), {}).value == "postgres://app@db:5432/app"
    env = {"DATABASE_URL": _binding("DATABASE_URL", "postgres://other@pgbouncer:6432/app")}
    assert evaluate(default.url.get("url"), env).value == "postgres://other@pgbouncer:6432/app"
    assert evaluate(reports.options.get("CONN_MAX_AGE"), {}).value is None


def test_settings_module_references_from_manage_py_and_wsgi():
    manage = 'import os\n\ndef main():\n    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.prod")\n'
    found, problems = extract("manage.py", manage)
    assert problems == []
    assert found == [DjangoSettingsRef("project.settings.prod", found[0].location)]
    assert found[0].location.line == 4


def test_settings_module_with_a_syntax_error_is_pgc001_with_its_location(lint_tree):
    result = lint_tree(
        {
            "requirements.txt": REQUIREMENTS,
            "project/settings.py": 'DATABASES = {\n    "default": {"ENGINE": "django.db.backends.postgresql",\n}\n',
        }
    )
    assert [k for k in keys(result) if k[0] == "PGC001"] == [("PGC001", "project/settings.py", 3)]


# --- which settings module --------------------------------------------------------------------------


def _two_settings(procfile: str, manage_module: str = "project.settings.dev") -> dict[str, str]:
    dev = (
        '{"default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"pool": {"min_size": 1, "max_size": 2}}}}'
    )
    prod = (
        '{"default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"pool": {"min_size": 1, "max_size": 7}}}}'
    )
    return {
        "requirements.txt": REQUIREMENTS,
        "manage.py": f'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "{manage_module}")\n',
        "project/settings/__init__.py": "",
        "project/settings/dev.py": settings(dev),
        "project/settings/prod.py": settings(prod),
        "Procfile": procfile,
        "db/postgresql.conf": PG_CONF,
    }


def test_settings_module_from_manage_py(lint_tree):
    result = lint_tree(_two_settings("web: gunicorn project.wsgi --workers 3\n"))
    assert django_terms(result) == [("Procfile (web)", 3, 1, 2)]  # sync: 1 at once of max_size 2
    assert "project/settings/dev.py" in result.budgets[0].terms[0].pool.label


def test_settings_module_from_the_process_environment_wins(lint_tree):
    files = _two_settings("")
    del files["Procfile"]
    files["Dockerfile"] = (
        "FROM python:3.12\nENV DJANGO_SETTINGS_MODULE=project.settings.prod\n"
        'CMD ["gunicorn", "project.wsgi", "--workers", "3"]\n'
    )
    result = lint_tree(files)
    assert [(processes, pool_max) for _, processes, _, pool_max in django_terms(result)] == [(3, 7)]


def test_settings_module_without_databases_takes_its_folders_base(lint_tree):
    files = _two_settings("web: gunicorn project.wsgi --workers 3\n", manage_module="project.settings.production")
    files["project/settings/base.py"] = files.pop("project/settings/prod.py")
    files["project/settings/production.py"] = "from .base import *  # noqa: F403\n\nDEBUG = False\n"
    result = lint_tree(files)
    assert [(processes, pool_max) for _, processes, _, pool_max in django_terms(result)] == [(3, 7)]
    assert "project/settings/base.py" in result.budgets[0].terms[0].pool.label


# --- the budget -------------------------------------------------------------------------------------


def test_fixture_gthread_and_celery_36_concurrent_36_ceiling():
    result = lint(FIXTURES / "django-gunicorn-celery", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    assert django_terms(result) == [("Procfile (web)", 4, 8, 8), ("Procfile (worker)", 4, 1, 1)]
    # Without a pool Django's "pool" is one connection per thread, so the ceiling is the concurrent total.
    assert (budget.total, budget.ceiling, budget.server.usable) == (36, 36, 47)
    assert budget.formula == "4 × 8 + 4 × 1 = 36"
    web = budget.terms[0].describe()
    assert "8 [Django: one connection per thread, 8 [gunicorn.conf.py:4]]" in web
    assert "DATABASES['default'] in project/settings.py (Django: one connection per thread)" in web
    assert [f.code for f in result.findings] == ["PGC204"]  # dj_database_url's URL sets no connect_timeout
    assert "no connect_timeout in OPTIONS or in the URL" in result.findings[0].message


def test_options_pool_true_is_psycopg_pool_defaults(lint_tree):
    db = '{"default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"pool": True, "connect_timeout": 5}}}'
    result = lint_tree(
        {
            "requirements.txt": REQUIREMENTS,
            "project/settings.py": settings(db),
            "Procfile": "web: gunicorn project.wsgi --workers 3 --threads 8\n",
            "db/postgresql.conf": PG_CONF,
        }
    )
    [term] = result.budgets[0].terms
    assert (term.processes, term.pool_max, term.at_once, term.pool.kept_open) == (3, 4, 4, 4)
    assert "psycopg_pool defaults, min_size 4 and max_size = min_size" in term.describe()
    assert keys(result) == []


def test_gevent_counts_worker_connections_and_asgi_is_unbounded(lint_tree):
    db = '{"default": {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"connect_timeout": 5}}}'
    result = lint_tree(
        {
            "requirements.txt": REQUIREMENTS,
            "project/settings.py": settings(db),
            "Procfile": "web: gunicorn project.wsgi -k gevent -w 2\nasgi: uvicorn project.asgi:application\n",
            "db/postgresql.conf": PG_CONF,
        }
    )
    terms = {name: (processes, at_once) for name, processes, at_once, _ in django_terms(result)}
    assert terms["Procfile (web)"] == (2, 1000)
    assert terms["Procfile (asgi)"] == (1, math.inf)


# --- rules ----------------------------------------------------------------------------------------


def test_pgc209_conn_max_age_under_gevent_message(lint_tree):
    db = (
        '{"default": {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": None,'
        ' "OPTIONS": {"connect_timeout": 5}}}'
    )
    result = lint_tree(
        {
            "requirements.txt": REQUIREMENTS,
            "project/settings.py": settings(db),
            "gunicorn.conf.py": 'workers = 2\nworker_class = "gevent"\nworker_connections = 100\n',
            "Procfile": "web: gunicorn project.wsgi\n",
        },
        select=frozenset({"PGC209"}),
    )
    [finding] = result.findings
    assert finding.key == ("PGC209", "project/settings.py", 5)
    assert "open forever (None) under gunicorn gevent (Procfile (web))" in finding.message
    # issue 17: greenlets that end leave their connections open, so 100 × 2 is no bound (a real run exceeded it)
    assert "100 at once per process [gunicorn.conf.py:3] × 2 processes [gunicorn.conf.py:1]" in finding.message
    assert "not bounded by those numbers" in finding.message
    [term] = result.budgets[0].terms
    assert math.isinf(term.pool_max) and math.isinf(term.product)


def _through_bouncer(extra: str, mode: str) -> dict[str, str]:
    db = (
        '{"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "PORT": "6432",'
        f' "OPTIONS": {{"connect_timeout": 5}}{extra}}}}}'
    )
    return {
        "requirements.txt": REQUIREMENTS,
        "project/settings.py": settings(db),
        "Procfile": "web: gunicorn project.wsgi\n",
        "pgbouncer/pgbouncer.ini": f"[databases]\n* = host=db\n[pgbouncer]\npool_mode = {mode}\n",
    }


def test_pgc210_server_side_cursors_through_transaction_pooler_by_port(lint_tree):
    result = lint_tree(_through_bouncer("", "transaction"), select=frozenset({"PGC210"}))
    [finding] = result.findings
    assert finding.key == ("PGC210", "project/settings.py", 5)
    assert "in pool_mode transaction [pgbouncer/pgbouncer.ini:4] without DISABLE_SERVER_SIDE_CURSORS" in (
        finding.message
    )
    off = lint_tree(_through_bouncer(', "DISABLE_SERVER_SIDE_CURSORS": True', "transaction"), select={"PGC210"})
    session = lint_tree(_through_bouncer("", "session"), select=frozenset({"PGC210"}))
    assert keys(off) == [] and keys(session) == []


def _binding(name: str, value: str):
    from pgconnlint.model import EnvBinding, Location

    return EnvBinding(name, value, Location("", 0), "test")


def test_a_sqlite_default_gives_way_to_the_deployments_database_url(lint_tree):
    """`dj_database_url.config(default="sqlite:///db.sqlite3")`, the Heroku template's settings: the default holds
    only where DATABASE_URL is unset. Before, the pool was dropped when read, so a deployment that sets a PostgreSQL
    URL counted nothing; a SQLite URL set by the deployment still counts nothing."""
    db = '{"default": dj_database_url.config(conn_max_age=600, default="sqlite:///db.sqlite3")}'

    def tree(url: str) -> dict[str, str]:
        environment = f"    environment:\n      DATABASE_URL: {url}\n" if url else ""
        compose = f"services:\n  web:\n    build: .\n    command: gunicorn project.wsgi --workers 3\n{environment}"
        compose += "  db:\n    image: postgres:16\n"
        return {"requirements.txt": REQUIREMENTS, "project/settings.py": settings(db), "docker-compose.yml": compose}

    [budget] = lint_tree(tree("postgres://app@db:5432/app")).budgets
    assert [(t.processes, t.pool_max) for t in budget.terms] == [(3, 1)] and budget.total == 3
    for url in ("", "sqlite:////data/app.db"):
        assert lint_tree(tree(url)).budgets[0].terms == ()


def test_databases_computed_by_a_function_is_said_not_silently_left_out():
    """`DATABASES = setup_database()` (a helper choosing the engine from the environment) and an alias set by an
    unknown call: no pool can be read, and each says so (PGC002) instead of a silent 0."""
    text = "import os\n\ndef setup_database():\n    return {}\n\nDATABASES = setup_database()\n"
    found, problems = extract("app/settings.py", text)
    assert not [item for item in found if isinstance(item, PythonPool)]
    [problem] = problems
    assert problem.skipped and "DATABASES = `setup_database()`" in problem.message
    assert (problem.location.path, problem.location.line) == ("app/settings.py", 6)
    helper = "def make_db(url):\n    return {}\n\n"
    _, problems = extract("app/settings.py", helper + settings("{'default': make_db(os.environ['DB'])}"))
    assert ["DATABASES['default'] = `make_db(os.environ['DB'])`" in p.message for p in problems] == [True]
    # another module's settings (netbox's `getattr(configuration, "DATABASES", …)`) are read there: no finding
    _, problems = extract("app/settings.py", settings("getattr(configuration, 'DATABASES', {})"))
    assert problems == []


def test_databases_computed_by_a_function_leaves_the_budget_incomplete(lint_tree):
    # the PGC002 alone left `complete: true` (TandoorRecipes): the processes that run with that settings module hold
    # connections nobody counted, so the budget is "at least" and names where
    files = _two_settings("web: gunicorn project.wsgi --workers 3\n")
    files["project/settings/dev.py"] = "def setup_database():\n    return {}\n\nDATABASES = setup_database()\n"
    result = lint_tree(files)
    [budget] = result.budgets
    assert not budget.complete
    assert budget.dropped == ("Procfile (web): project/settings/dev.py:4",)
    # another settings module computing its DATABASES (one the processes do not run with) changes nothing
    files = _two_settings("web: gunicorn project.wsgi --workers 3\n")
    files["project/settings/prod.py"] = "def setup_database():\n    return {}\n\nDATABASES = setup_database()\n"
    assert lint_tree(files).budgets[0].complete
