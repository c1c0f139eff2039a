"""Celery's gevent and eventlet pools (issue 17): one process running `concurrency` tasks at once, each in its own
greenlet with its own connection. The pool and the concurrency come from the command line or, when it leaves them
to it, from the configuration (`worker_pool`, `worker_concurrency`, Django's `CELERY_WORKER_POOL`); a SQLAlchemy
pool caps the greenlets' connections at pool_size + max_overflow per process, and Django's persistent connections
outlive the greenlets unless Celery 5.6+ closes them after each task."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_CPUS, keys

ENGINE = (
    "from sqlalchemy import create_engine\n"
    "engine = create_engine('postgresql://app@db/app', pool_pre_ping=True, connect_args={'connect_timeout': 3})\n"
)
CELERY_APP = "from celery import Celery\napp = Celery('app')\napp.config_from_object('celeryconfig')\n"
REQUIREMENTS = "celery\nsqlalchemy\npsycopg[binary]\n"


def group_and_term(result):
    [group] = result.project.groups
    [term] = result.budgets[0].terms
    return group, (term.processes, term.units, term.pool_max)


@pytest.mark.parametrize(
    ("command", "manager", "units"),
    [
        ("celery -A app worker -P gevent -c 500", "celery gevent", 500),
        ("celery -A app worker --pool=eventlet --concurrency=50", "celery eventlet", 50),
        ("celery -A app worker -Pgevent -c20", "celery gevent", 20),
        ("celery -A app worker --pool celery.concurrency.gevent:TaskPool -c 40", "celery gevent", 40),
    ],
    ids=["gevent", "eventlet-equals", "joined-flags", "class-path"],
)
def test_a_greenlet_pool_is_one_process_capped_by_the_sqlalchemy_pool(lint_tree, command, manager, units):
    result = lint_tree({"Procfile": f"worker: {command}\n", "app.py": ENGINE, "requirements.txt": REQUIREMENTS})
    group, term = group_and_term(result)
    assert group.manager == manager
    assert term == (1, units, 15)  # 1 process × min(pool 5 + 10, greenlets)
    assert result.budgets[0].total == 15


def test_without_c_the_greenlets_are_the_cpus_as_for_prefork(lint_tree):
    files = {"Procfile": "worker: celery -A app worker -P gevent\n", "app.py": ENGINE, "requirements.txt": REQUIREMENTS}
    group, term = group_and_term(lint_tree(files))
    assert term == (1, TEST_CPUS, 15)
    assert group.units.via == f"celery default concurrency = {TEST_CPUS} CPUs (given)"


@pytest.mark.parametrize(
    ("config", "command", "expected"),
    [
        ("worker_pool = 'gevent'\nworker_concurrency = 200\n", "celery -A app worker", ("celery gevent", 1, 200)),
        # celery/bin/worker.py: `-P prefork` is the flag's default, so the configured pool wins over it
        (
            "worker_pool = 'gevent'\nworker_concurrency = 200\n",
            "celery -A app worker -P prefork",
            ("celery gevent", 1, 200),
        ),
        (
            "worker_pool = 'prefork'\nworker_concurrency = 200\n",
            "celery -A app worker -P gevent -c 30",
            ("celery gevent", 1, 30),
        ),
        ("worker_concurrency = 4\n", "celery -A app worker", ("celery prefork", 4, 1)),
        ("CELERYD_POOL = 'eventlet'\nCELERYD_CONCURRENCY = 64\n", "celery -A app worker", ("celery eventlet", 1, 64)),
    ],
    ids=["configured", "prefork-flag-yields", "command-line-wins", "prefork-concurrency", "celery3-names"],
)
def test_the_configuration_sets_what_the_command_line_leaves(lint_tree, config, command, expected):
    files = {
        "Procfile": f"worker: {command}\n",
        "app.py": CELERY_APP + ENGINE,
        "celeryconfig.py": config,
        "requirements.txt": REQUIREMENTS,
    }
    group, (processes, units, _) = group_and_term(lint_tree(files))
    assert (group.manager, processes, units) == expected


def test_conf_update_and_the_units_location(lint_tree):
    files = {
        "Procfile": "worker: celery -A app worker\n",
        "app.py": "from celery import Celery\napp = Celery('app')\n"
        "app.conf.update(worker_pool='eventlet', worker_concurrency=30)\n" + ENGINE,
        "requirements.txt": REQUIREMENTS,
    }
    group, term = group_and_term(lint_tree(files))
    assert (group.manager, term) == ("celery eventlet", (1, 30, 15))
    assert (group.units.location.path, group.units.location.line) == ("app.py", 3)


DJANGO = {
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n",
    "project/__init__.py": "",
    "project/celery.py": "import os\nfrom celery import Celery\n"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings')\n"
    "app = Celery('project')\napp.config_from_object('django.conf:settings', namespace='CELERY')\n",
}
SETTINGS = (
    "DATABASES = {\n"
    '    "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "shop", "HOST": "db",\n'
    '                "CONN_MAX_AGE": %s, "OPTIONS": {"connect_timeout": 5}},\n'
    "}\n"
)


def test_django_settings_name_the_pool_with_the_celery_namespace(lint_tree):
    settings = SETTINGS % 0 + "CELERY_WORKER_POOL = 'gevent'\nCELERY_WORKER_CONCURRENCY = 40\n"
    files = {
        **DJANGO,
        "Procfile": "worker: celery -A project worker\n",
        "project/settings.py": settings,
        "requirements.txt": "django\ncelery\npsycopg[binary]\n",
    }
    group, term = group_and_term(lint_tree(files))
    assert (group.manager, term) == ("celery gevent", (1, 40, 40))  # Django: one connection per greenlet


@pytest.mark.parametrize(
    ("celery", "total", "pgc209"),
    [
        ("celery[redis]==5.5.3", float("inf"), True),  # close_if_unusable_or_obsolete(): kept for CONN_MAX_AGE
        ("celery", float("inf"), True),  # which version is installed is not known: the worst case
        ("celery[redis]>=5.6,<6", 100, False),  # conn.close() after each task (celery/fixups/django.py)
        ("celery==5.6.2", 100, False),
    ],
    ids=["celery-5.5", "unpinned", "celery-5.6-range", "celery-5.6-pinned"],
)
def test_django_persistent_connections_under_celery_gevent(lint_tree, celery, total, pgc209):
    files = {
        **DJANGO,
        "Procfile": "worker: celery -A project worker -P gevent -c 100\n",
        "project/settings.py": SETTINGS % 60,
        "requirements.txt": f"django\n{celery}\npsycopg[binary]\n",
        "postgresql.conf": "max_connections = 200\n",
    }
    result = lint_tree(files)
    assert result.budgets[0].total == total
    assert (("PGC209", "project/settings.py", 3) in keys(result)) is pgc209


def test_pgc209_names_celery_and_its_version(lint_tree):
    files = {
        **DJANGO,
        "Procfile": "worker: celery -A project worker -P eventlet -c 100\n",
        "project/settings.py": SETTINGS % "None",
        "requirements.txt": "django\ncelery==5.4.0\npsycopg[binary]\n",
    }
    [found] = [f for f in lint_tree(files).findings if f.code == "PGC209"]
    assert "open forever (None) under celery eventlet (Procfile (worker))" in found.message
    assert "100 at once per process [Procfile:1]" in found.message
    assert found.help.endswith("Celery 5.6+ closes a task's connections after the task (require celery>=5.6)")


def test_psycopg2_under_a_configured_gevent_pool(lint_tree):
    files = {
        "Procfile": "worker: celery -A app worker\n",
        "app.py": CELERY_APP + ENGINE,
        "celeryconfig.py": "worker_pool = 'gevent'\n",
        "requirements.txt": "celery\nsqlalchemy\npsycopg2-binary\n",
    }
    assert ("PGC212", "requirements.txt", 3) in keys(lint_tree(files))


@pytest.mark.parametrize(
    ("file", "text", "closes"),
    [
        ("requirements.txt", "celery[redis]~=5.6.0  # pinned\n", True),
        ("requirements.txt", "celery>=5.4\n", False),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["django", "celery[redis]>=5.6.2,<6"]\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.12"\ncelery = "^5.6"\n', True),
        ("pyproject.toml", '[tool.poetry.dependencies]\ncelery = {version = "^5.5.0", extras = ["redis"]}\n', False),
        ("requirements.txt", "celery-types\ndjango-celery-beat==2.8\n", False),
    ],
    ids=["compatible-release", "open-range", "pep621", "poetry-caret", "poetry-table", "other-packages"],
)
def test_which_celery_requirements_close_djangos_connections(lint_tree, file, text, closes):
    files = {
        **DJANGO,
        "Procfile": "worker: celery -A project worker -P gevent -c 100\n",
        "project/settings.py": SETTINGS % 60,
        file: text,
    }
    assert (lint_tree(files).budgets[0].total == 100) is closes


@pytest.mark.parametrize(
    ("command", "patch", "reported"),
    [
        ("celery -A app worker", "", True),
        ("celery -A app worker -P prefork", "", True),  # the setting overrides prefork, and nothing is patched
        ("celery -A app worker -P gevent", "", False),  # Celery patches for the command-line option
        ("celery -A app worker", "from gevent import monkey\n\nmonkey.patch_all()\n", False),
    ],
    ids=["no-flag", "prefork-flag", "gevent-flag", "patched-by-the-app"],
)
def test_a_configured_greenlet_pool_needs_the_command_line_or_a_patch(lint_tree, command, patch, reported):
    files = {
        "Procfile": f"worker: {command}\n",
        "app.py": patch + CELERY_APP + ENGINE,
        "celeryconfig.py": "worker_pool = 'gevent'\nworker_concurrency = 50\n",
        "requirements.txt": REQUIREMENTS,
    }
    result = lint_tree(files)
    assert (("PGC213", "celeryconfig.py", 1) in keys(result)) is reported


def test_pgc213_names_the_pool_and_the_greenlets(lint_tree):
    settings = SETTINGS % 0 + "CELERY_WORKER_POOL = 'eventlet'\nCELERY_WORKER_CONCURRENCY = 40\n"
    files = {
        **DJANGO,
        "Procfile": "worker: celery -A project worker\n",
        "project/settings.py": settings,
        "requirements.txt": "django\ncelery\npsycopg[binary]\n",
    }
    [found] = [f for f in lint_tree(files).findings if f.code == "PGC213"]
    assert found.location.path == "project/settings.py" and found.location.line == 5
    assert "takes its eventlet pool from the configuration, and its command line has no `-P eventlet`" in found.message
    assert "40 greenlets per process [project/settings.py:6]" in found.message
