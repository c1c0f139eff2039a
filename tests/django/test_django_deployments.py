"""Django stacks as real repositories deploy them: compose env files, images shared between services, entrypoint
scripts, uWSGI and Celery from the image's ENV (issue 15, round 2)."""

from __future__ import annotations

import math

SETTINGS = (
    "import os\n"
    'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": os.getenv("DB_HOST", "db")}}\n'
)
MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
BASE = {"proj/settings.py": SETTINGS, "manage.py": MANAGE, "requirements.txt": "django\n"}


def terms(result) -> list[tuple[str, object, object]]:
    """(group name up to its first arrow, processes, connections) of every budget."""
    return sorted(
        (t.group.name.split(" → ")[0], t.processes, t.product) for budget in result.budgets for t in budget.terms
    )


def test_a_command_tree_sitter_cannot_parse_still_starts_its_last_command(lint_tree):
    compose = (
        "services:\n  db:\n    image: postgres:16\n  web:\n    build: .\n"
        "    command: bash -c 'while !</dev/tcp/db/5432; do sleep 1; done; uwsgi --processes 3 --module proj.wsgi'\n"
    )
    result = lint_tree({**BASE, "docker-compose.yml": compose, "Dockerfile": "FROM python:3.12\n"})
    assert terms(result) == [("docker-compose.yml service web", 3, 3)]


def test_compose_env_file_missing_reads_its_committed_template(lint_tree):
    settings = (
        "import os\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}\n'
        'if os.getenv("DB") == "postgres":\n'
        '    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}\n'
    )
    compose = (
        "services:\n  db:\n    image: postgres:16\n  web:\n    build:\n      context: ..\n"
        "      dockerfile: docker/Dockerfile\n    env_file:\n      - .env\n"
        "    command: uwsgi --processes $$UWSGI_PROCESSES --module proj.wsgi\n"
    )
    files = {
        **BASE,
        "proj/settings.py": settings,
        "docker/docker-compose.yml": compose,
        "docker/Dockerfile": "FROM python:3.12\n",
        "docker/.env.example": "DB=postgres\nWORKERS=5\n",
    }
    files["docker/docker-compose.yml"] = compose.replace("$$UWSGI_PROCESSES", "${WORKERS}")
    result = lint_tree(files)
    assert terms(result) == [("docker/docker-compose.yml service web", 5, 5)]
    [term] = result.budgets[0].terms
    assert "docker/.env.example (template of docker/.env" in str(term.group.environment["WORKERS"].source)


def test_a_service_named_after_an_image_another_service_builds_runs_that_dockerfile(lint_tree):
    dockerfile = (
        "FROM python:3.12 AS base\nFROM base AS release\nWORKDIR /app\nCOPY docker/worker.sh /worker.sh\n"
        'ENV POOL="solo" \\\n  CONCURRENCY="4"\nENTRYPOINT ["/worker.sh"]\n'
        "FROM release AS development\nENV DEBUG=1\n"
    )
    compose = (
        "services:\n  db:\n    image: postgres:16\n"
        "  web:\n    build:\n      context: .\n      dockerfile: Dockerfile.${OS:-debian}\n    image: org/app:latest\n"
        "    entrypoint: ['/wait-for-it.sh', 'db:5432', '-t', '30', '--', '/worker.sh']\n"
        "    depends_on:\n      init:\n        condition: service_completed_successfully\n"
        "  worker:\n    image: org/app:latest\n"
        "    entrypoint: ['/wait-for-it.sh', 'db:5432', '--', '/worker.sh']\n"
        "    environment:\n      DB_URL: ${DB_URL:-postgres://app@db:5432/app}\n"
        "  init:\n    image: org/app:latest\n    command: celery -A proj worker -c 9\n"
    )
    worker = '#!/bin/sh\npython manage.py check\nexec celery -A proj worker --pool="${POOL}" -c "${CONCURRENCY}"\n'
    files = {**BASE, "docker-compose.yml": compose, "Dockerfile.debian": dockerfile, "docker/worker.sh": worker}
    result = lint_tree(files)
    assert terms(result) == [("docker-compose.yml service web", 1, 1), ("docker-compose.yml service worker", 1, 1)]
    assert {t.group.manager for t in result.budgets[0].terms} == {"celery solo"}  # the init step is a one-off
    [worker] = [t.group for t in result.budgets[0].terms if "service worker" in t.group.name]
    assert worker.environment["DB_URL"].value == "postgres://app@db:5432/app"  # compose's default for an unset one


def test_an_image_only_service_runs_the_code_beside_the_script_it_names(lint_tree):
    compose = (
        "x-env: &env\n  WORKERS: 2\n"
        "services:\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=50\n"
        "  api:\n    image: vendor/api:stable\n    command: ./bin/start-api.sh\n    environment:\n      <<: *env\n"
    )
    start = '#!/bin/sh\npython manage.py migrate\nexec gunicorn -w "$WORKERS" -k uvicorn.workers.UvicornWorker proj.asgi:app\n'
    files = {
        "deploy/docker-compose.yml": compose,
        "apps/api/bin/start-api.sh": start,
        "apps/api/Dockerfile": 'FROM python:3.12\nCOPY . /code\nWORKDIR /code\nCMD ["./bin/start-api.sh"]\n',
        **{f"apps/api/{path}": text for path, text in BASE.items()},
    }
    result = lint_tree(files)
    [budget] = [b for b in result.budgets if b.server.name == "deploy/docker-compose.yml service db"]
    assert budget.server.usable == 47
    [term] = budget.terms
    assert term.processes == 2 and math.isinf(term.product)  # Django under ASGI without a pool: unbounded
    assert "matched by name to apps/api/bin/start-api.sh" in term.group.name


DB_SWITCH = (
    "import os\nimport environ\nenv = environ.Env()\n"
    'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}\n'
    'if os.getenv("DB") == "postgres":\n'
    '    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db"}}\n'
    'elif os.getenv("DB_URL") is not None:\n'
    '    DATABASES = {"default": env.db("DB_URL")}\n'
    'if os.getenv("DB") in ["mysql", "mariadb"]:\n'
    '    DATABASES = {"default": {"ENGINE": "django.db.backends.mysql"}}\n'
)


def _switched(lint_tree, environment: str):
    procfile = "web: uwsgi --processes 3 --threads 2 --module proj.wsgi\n"
    files = {**BASE, "proj/settings.py": DB_SWITCH, "Procfile": procfile, ".env": environment}
    return [t.pool.label for t in lint_tree(files).budgets[0].terms]


def test_databases_assigned_under_module_level_tests_follow_the_environment(lint_tree):
    assert _switched(lint_tree, "DB=postgres\n") == [
        "DATABASES['default'] in proj/settings.py (Django: one connection per thread)"
    ]
    assert _switched(lint_tree, "DB=mysql\n") == []  # the MySQL branch replaces every PostgreSQL one
    [label] = _switched(lint_tree, "DB=sqlite\nDB_URL=postgres://app@db/app\n")
    assert label.startswith("DATABASES['default'] in proj/settings.py")
    [undecided] = _switched(lint_tree, "")  # nothing says which: the last branch that may hold, and why
    assert "DB_URL is not set in the repository" in undecided or "DB is not set in the repository" in undecided


def test_cookiecutter_stack_gevent_with_persistent_connections_is_unbounded(lint_tree):
    base = "import environ\nenv = environ.Env()\nDATABASES = {'default': env.db('DATABASE_URL')}\n"
    production = (
        "from .base import *  # noqa\nfrom .base import env\n"
        'DATABASES["default"] = env.db("DATABASE_URL")\n'
        'DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)\n'
    )
    dockerfile = (
        "FROM python:3.12 AS python\nFROM python AS run\n"
        "COPY ./compose/django/start /start\nCOPY ./compose/django/worker-start /start-celeryworker\n"
    )
    compose = (
        "services:\n  django: &django\n    build:\n      context: .\n      dockerfile: ./compose/django/Dockerfile\n"
        "    image: app_django\n    env_file:\n      - ./.envs/.django\n    command: /start\n"
        "  celeryworker:\n    <<: *django\n    image: app_celeryworker\n    command: /start-celeryworker\n"
        "  postgres:\n    build:\n      context: .\n      dockerfile: ./compose/postgres/Dockerfile\n"
        "    image: app_postgres\n"
    )
    files = {
        "requirements.txt": "django\n",
        "manage.py": MANAGE.replace("proj.settings", "config.settings.local"),
        "config/settings/__init__.py": "",
        "config/settings/base.py": base,
        "config/settings/production.py": production,
        ".envs/.django": "DJANGO_SETTINGS_MODULE=config.settings.production\nDATABASE_URL=postgres://u@postgres/app\n",
        "production.yml": compose,
        "compose/django/Dockerfile": dockerfile,
        "compose/django/start": "#!/bin/bash\nexec gunicorn config.wsgi --workers 3 --worker-class=gevent\n",
        "compose/django/worker-start": "#!/bin/bash\nexec celery -A config.celery_app worker --concurrency=12\n",
        "compose/postgres/Dockerfile": "FROM postgres:18\n",
    }
    result = lint_tree(files)
    [budget] = result.budgets
    assert budget.server.name == "production.yml service postgres"  # built from a postgres image, tagged app_postgres
    assert math.isinf(budget.total)
    worker, web = sorted(budget.terms, key=lambda t: t.group.name)
    assert "config/settings/production.py" in web.pool.label  # the env_file's settings module
    assert "CONN_MAX_AGE 60 s under gunicorn gevent" in web.pool.max.via and math.isinf(web.product)
    assert (worker.processes, worker.product) == (12, 12)  # the script COPY'd from the build context, not beside it
    assert "PGC209" in {f.code for f in result.findings}


def test_a_management_command_that_starts_threads_is_reported_not_silently_one(lint_tree):
    command = (
        "from concurrent.futures import ThreadPoolExecutor\nfrom django.core.management.base import BaseCommand\n"
        "class Command(BaseCommand):\n    def handle(self, **options):\n"
        "        self.executor = ThreadPoolExecutor(max_workers=options['num_workers'])\n"
    )
    ini = "[uwsgi]\nprocesses = 2\nmodule = proj.wsgi\nattach-daemon = ./manage.py sendalerts\n"
    files = {
        **BASE,
        "app/management/commands/sendalerts.py": command,
        "uwsgi.ini": ini,
        "Procfile": "web: uwsgi uwsgi.ini\n",
    }
    result = lint_tree(files)
    assert sorted(t.product for t in result.budgets[0].terms) == [1, 2]
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.key == ("PGC002", "app/management/commands/sendalerts.py", 5)
    assert "`manage.py sendalerts`" in skipped.message and "how many is not followed" in skipped.message


def test_runserver_answers_each_request_in_its_own_thread_unless_nothreading(lint_tree):
    # an entrypoint that ends in `exec "$@"` runs the service's command; runserver threads are one connection each
    compose = (
        "services:\n  db:\n    image: postgres:16\n"
        "  web:\n    build: .\n    entrypoint: docker/entrypoint.sh\n    command: python3.9 ./manage.py runserver 0:8000\n"
        "  quiet:\n    build: .\n    command: python manage.py runserver --nothreading 0:8001\n"
    )
    files = {
        **BASE,
        "Dockerfile": "FROM python:3.12\nCOPY . /app\n",
        "docker/entrypoint.sh": '#!/bin/sh\npython manage.py collectstatic --no-input\nexec "$@"\n',
        "docker-compose.yml": compose,
    }
    result = lint_tree(files)
    [budget] = result.budgets
    web, quiet = sorted(budget.terms, key=lambda t: t.group.name, reverse=True)
    assert web.group.name.startswith("docker-compose.yml service web") and math.isinf(web.product)
    assert "thread per request" in web.group.units.why
    assert quiet.group.name == "docker-compose.yml service quiet" and quiet.product == 1
    assert "PGC101" in [f.code for f in result.findings]
