"""Processes from commands, followed as a shell would (extract/shell.py, extract/follow.py): entrypoint scripts with
the arguments the deployment passes, `case`/`if` dispatch, one-off steps before the server, background jobs,
wrappers, `python -m` modules that call `uvicorn.run`, uWSGI ini files and supervisord programs."""

from __future__ import annotations

from pgconnlint.extract import shell
from pgconnlint.extract.commands import parse
from pgconnlint.model import Location

ENGINE = (
    "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/app', pool_size=2, max_overflow=0)\n"
)
DB = "  db:\n    image: postgres:16\n"
ENTRYPOINT = """\
#!/bin/sh
set -e
python manage.py migrate
alembic upgrade head
case "$1" in
  api)
    exec gunicorn -w "${WORKERS:-3}" app:app ;;
  worker|w)
    exec celery -A app worker -c 6 ;;
esac
"""


def _groups(result):
    return {g.name: (g.processes.value, g.units.value) for g in result.project.groups}


def test_case_dispatch_with_the_argument_compose_passes_and_one_off_steps(lint_tree):
    dockerfile = (
        'FROM python:3.12\nCOPY docker/entrypoint.sh /entrypoint.sh\nCOPY . /app\nENTRYPOINT ["/entrypoint.sh"]\n'
    )
    compose = "services:\n  api:\n    build: .\n    command: api\n  worker:\n    build: .\n    command: worker\n" + DB
    files = {"Dockerfile": dockerfile, "docker/entrypoint.sh": ENTRYPOINT, "app.py": ENGINE}
    result = lint_tree({**files, "requirements.txt": "sqlalchemy\n", "docker-compose.yml": compose})
    groups = _groups(result)
    api = next(name for name in groups if "service api" in name)
    worker = next(name for name in groups if "service worker" in name)
    assert groups[api] == (3, 1)  # ${WORKERS:-3}: the default, which the linker says it applied
    [api_group] = [g for g in result.project.groups if g.name == api]
    assert api_group.processes.via == "WORKERS is not set in the repository, so the fallback `3` applies"
    assert groups[worker] == (6, 1)
    assert len(groups) == 2  # migrate and alembic are one-off steps, not processes


def test_a_script_that_is_not_in_the_repository_is_a_finding_not_a_silent_process(lint_tree):
    compose = "services:\n  web:\n    build: .\n    command: /missing-start\n" + DB
    files = {"Dockerfile": "FROM python:3.12\nCOPY . /app\n", "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree({**files, "docker-compose.yml": compose})
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "/missing-start" in finding.message and finding.location.path == "docker-compose.yml"


def test_background_job_and_python_m_module_running_uvicorn(lint_tree):
    script = "#!/bin/bash\nalembic upgrade head\npython run_streaming.py > /dev/null &\npython -m pkg.server\n"
    main = 'import uvicorn\nif __name__ == "__main__":\n    uvicorn.run("pkg.app:app", port=8000)\n'
    streaming = "import asyncio\nasyncio.run(main())\n"
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nCMD ["/bin/bash", "/app/start.sh"]\n'
    files = {"Dockerfile": dockerfile, "start.sh": script, "pkg/__init__.py": "", "pkg/server.py": main}
    result = lint_tree({**files, "run_streaming.py": streaming, "app.py": ENGINE, "requirements.txt": "x\n"})
    kinds = sorted(g.manager for g in result.project.groups)
    assert kinds == ["python", "uvicorn"]
    assert all(g.units.value == float("inf") for g in result.project.groups)  # asyncio and ASGI


def test_uwsgi_ini_processes_threads_and_attach_daemons(lint_tree):
    ini = (
        "[uwsgi]\nif-not-env = UWSGI_PROCESSES\nprocesses = 4\nendif =\nthreads = 2\n"
        "hook-pre-app = exec:./manage.py migrate\nattach-daemon = ./manage.py sendalerts\n"
    )
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nCMD ["uwsgi", "/app/docker/uwsgi.ini"]\n'
    files = {"Dockerfile": dockerfile, "docker/uwsgi.ini": ini, "manage.py": "", "app.py": ENGINE}
    result = lint_tree({**files, "requirements.txt": "x\n"})
    assert sorted((g.manager, g.processes.value, g.units.value) for g in result.project.groups) == [
        ("python", 1, 1),
        ("uWSGI", 4, 2),
    ]


def test_supervisord_programs_with_numprocs(lint_tree):
    conf = (
        "[program:web]\ncommand=gunicorn -w 2 app:app\n\n[program:worker]\ncommand=celery -A app worker -c 3\n"
        "numprocs=2\n\n[program:migrate]\ncommand=python manage.py migrate\nautorestart=false\n"
    )
    dockerfile = 'FROM python:3.12\nCOPY supervisord.conf /etc/supervisord.conf\nCMD ["supervisord", "-c", "/etc/supervisord.conf"]\n'
    result = lint_tree(
        {"Dockerfile": dockerfile, "supervisord.conf": conf, "app.py": ENGINE, "requirements.txt": "x\n"}
    )
    assert sorted(g.processes.value for g in result.project.groups) == [2, 6]


def test_shell_reader_keeps_the_last_foreground_command_and_background_jobs():
    text = 'X=1\nif [ "$1" = "web" ]; then\n  exec gunicorn app:app\nelse\n  worker &\n  sleep infinity\nfi\n'
    web = shell.read("s.sh", text, ["web"])
    assert [(c.words, c.long_running) for c in web] == [(("exec", "gunicorn", "app:app"), True)]
    other = shell.read("s.sh", text, ["other"])
    assert [(c.words[0], c.long_running, c.background) for c in other] == [
        ("worker", True, True),
        ("sleep", True, False),
    ]


def test_wrappers_are_looked_through():
    where = Location("Procfile", 1)
    for command, server in [
        ("env X=1 ddtrace-run gunicorn app:app", "gunicorn"),
        ("newrelic-admin run-program uvicorn app:app", "uvicorn"),
        ("hupper -m celery -A app worker", "celery"),
        ("python -m gunicorn.app.wsgiapp app:app", "gunicorn"),
        ("sh -c 'python manage.py migrate && exec gunicorn app:app'", "gunicorn"),
        ("celery -A app beat", "celery"),
    ]:
        assert parse(command, where, "Procfile", "").server == server, command


def test_django_databases_chosen_in_an_if_else_and_django_environ(lint_tree):
    settings = (
        "import os\nimport environ\nenv = environ.Env()\n"
        'if os.environ.get("X"):\n    DATABASES = {"default": env.db("DD_DATABASE_URL")}\n'
        'else:\n    DATABASES = {"default": env.db("DD_DATABASE_URL")}\n'
        'if os.environ.get("REPLICA") == "1":\n    DATABASES["replica"] = env.db("REPLICA_URL")\n'
    )
    manage = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
    procfile = "web: uwsgi --processes 4 --threads 4 --module proj.wsgi\nworker: celery -A proj worker --pool solo\n"
    files = {"proj/settings.py": settings, "manage.py": manage, "Procfile": procfile, "requirements.txt": "django\n"}
    result = lint_tree(files)
    totals = sorted((g.manager, [c.pools[0].max.value for c in g.connections]) for g in result.project.groups)
    assert totals == [("celery solo", [1]), ("uWSGI", [4])]  # one alias, one connection per thread


COMMAND = """\
from concurrent.futures import ThreadPoolExecutor
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.executor = ThreadPoolExecutor(max_workers=10)  # replaced in handle()

    def add_arguments(self, parser):
        parser.add_argument("--num-workers", type=int, default=3)

    def handle(self, num_workers, **options):
        self.executor = ThreadPoolExecutor(max_workers=num_workers)
"""


def test_management_command_threads_are_its_executor_size_plus_the_main_loop(lint_tree):
    procfile = "notify: python manage.py notify\nfast: python manage.py notify --num-workers=5\n"
    files = {"Procfile": procfile, "manage.py": "", "app.py": ENGINE, "requirements.txt": "x\n"}
    result = lint_tree({**files, "app/management/commands/notify.py": COMMAND})
    units = sorted((g.units.value, g.units.location.path) for g in result.project.groups)
    assert units == [(4, "app/management/commands/notify.py"), (6, "app/management/commands/notify.py")]
    assert not [f for f in result.findings if "starts threads" in f.message]


def test_management_command_threads_not_followed_stay_a_finding(lint_tree):
    command = COMMAND.replace("max_workers=num_workers", "max_workers=compute()")
    files = {"Procfile": "notify: python manage.py notify\n", "manage.py": "", "app.py": ENGINE}
    result = lint_tree({**files, "app/management/commands/notify.py": command, "requirements.txt": "x\n"})
    assert [g.units.value for g in result.project.groups] == [1]
    assert [f for f in result.findings if "starts threads" in f.message]


def test_a_program_of_an_image_the_repository_does_not_build_is_not_reported(lint_tree):
    """`command: ["/app/server"]` in a Go service's manifest: that image's own binary, not a script to follow (a
    1,200-container tree once got one PGC002 each); a missing *.sh of such an image is still reported."""
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: svc\n          image: registry.example/svc:1\n          command: [{}]\n"
    )
    quiet = lint_tree({"k8s/svc.yaml": manifest.format('"/app/server"')})
    assert not [f for f in quiet.findings if f.code == "PGC002"]
    loud = lint_tree({"k8s/svc.yaml": manifest.format('"/docker-entrypoint.sh"')})
    assert [f for f in loud.findings if f.code == "PGC002" and "docker-entrypoint.sh" in f.message]


FUNCTIONS = """\
#!/bin/bash
set -e
web() {
  TIMEOUT=${TIMEOUT:-60}
  exec gunicorn -b 0.0.0.0:5000 -w${WEB_WORKERS:-4} app:app --timeout $TIMEOUT
}
jobs() {
  export JOB_WORKERS=${JOB_WORKERS:-3}
  exec supervisord -c jobs.conf
}
case "$1" in
  web)
    shift
    web
    ;;
  jobs)
    shift
    jobs
    ;;
  *)
    exec "$@"
    ;;
esac
"""
JOBS_CONF = (
    "[supervisord]\nnodaemon=true\n\n[program:job]\ncommand=celery -A app worker -c 1 %(ENV_QUEUES)s\n"
    "numprocs=%(ENV_JOB_WORKERS)s\n"
)


def test_entrypoint_functions_called_from_a_case_dispatch(lint_tree):
    """`web() { exec gunicorn -w${WEB_WORKERS:-4} …; }` called from `case "$1" in web) shift; web ;;`: the function's
    commands, with the exports it made (supervisord's `%(ENV_X)s` reads them), joined short flags (`-w4`) read."""
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nENTRYPOINT ["/app/bin/entry"]\nCMD ["web"]\n'
    compose = "services:\n  web:\n    build: .\n    command: web\n  jobs:\n    build: .\n    command: jobs\n" + DB
    files = {"Dockerfile": dockerfile, "bin/entry": FUNCTIONS, "jobs.conf": JOBS_CONF}
    result = lint_tree({**files, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n", "docker-compose.yml": compose})
    assert not [f for f in result.findings if f.code == "PGC002"]
    groups = _groups(result)
    web = next(name for name in groups if "service web" in name)
    jobs = next(name for name in groups if "service jobs" in name)
    assert groups[web] == (4, 1)  # -w${WEB_WORKERS:-4} → -w4
    [web_group] = [g for g in result.project.groups if g.name == web]
    assert web_group.processes.via == "WEB_WORKERS is not set in the repository, so the fallback `4` applies"
    assert groups[jobs] == (3, 1)  # numprocs=%(ENV_JOB_WORKERS)s, exported by the function: 3 × celery -c 1


def test_shell_functions_shift_and_return():
    text = 'start() {\n  if [ "$1" = "x" ]; then return; fi\n  exec gunicorn "$@"\n}\nshift\nstart "$@"\n'
    [command] = [c for c in shell.read("s.sh", text, ["skip", "app:app"]) if c.long_running]
    assert command.words == ("exec", "gunicorn", "app:app")
    assert [c for c in shell.read("s.sh", text, ["skip", "x"]) if c.long_running] == []


def test_supervisord_numprocs_from_an_unset_variable_is_unknown_not_one():
    from pgconnlint.extract import supervisord
    from pgconnlint.model import Known, Unknown

    conf = "[program:w]\ncommand=./manage.py rq worker %(ENV_QUEUES)s\nnumprocs=%(ENV_COUNT)s\n"
    [unset] = supervisord.programs("w.conf", conf)
    assert isinstance(unset.numprocs, Unknown) and unset.command == "./manage.py rq worker $QUEUES"
    [given] = supervisord.programs("w.conf", conf, {"COUNT": "2", "QUEUES": "default"})
    assert isinstance(given.numprocs, Known) and given.numprocs.value == 2
    assert given.command == "./manage.py rq worker default"


def test_a_script_that_reexecutes_itself_as_another_user_is_read_once(lint_tree):
    """`exec gosu app "$0" "$@"` inside an undecidable `if [ "$(id -u)" = 0 ]`: the same script again, not a loop of
    nested copies of every process; `exec python /app/pkg/main.py` in the Dockerfile's own ENTRYPOINT script is found
    through the image's COPY lines, and its `uvicorn.run("app:app")` is the server."""
    script = '#!/bin/bash\nif [ "$(id -u)" = "0" ]; then\n  exec gosu app "$0" "$@"\nfi\nexec python /srv/pkg/main.py\n'
    main = 'import uvicorn\nfrom pkg.app import app\n\nif __name__ == "__main__":\n    uvicorn.run("app:app")\n'
    dockerfile = 'FROM python:3.12\nENV HOME_DIR="/srv"\nCOPY ./pkg $HOME_DIR/pkg\nCOPY ./docker/run.sh /srv/run.sh\nENTRYPOINT ["/srv/run.sh"]\n'
    files = {"Dockerfile": dockerfile, "docker/run.sh": script, "pkg/__init__.py": "", "pkg/main.py": main}
    other = {"pkg/main2/main.py": "x = 1\n"}  # a second main.py: the script's path is not matched by its name
    result = lint_tree({**files, **other, "pkg/app.py": ENGINE, "requirements.txt": "x\n"})
    assert [g.manager for g in result.project.groups] == ["uvicorn"]
    assert not [f for f in result.findings if f.code == "PGC002"]


def test_a_flask_manage_py_and_a_watchmedo_wrapper_are_python_processes(lint_tree):
    """`exec watchmedo auto-restart … -- ./manage.py rq worker` (a click CLI, not Django): a Python process that
    reaches the pools its imports reach, never a PGC002 'no image ENTRYPOINT takes it'."""
    script = '#!/bin/bash\ncase "$1" in\n  worker)\n    exec watchmedo auto-restart --recursive -- ./manage.py rq worker ;;\nesac\n'
    manage = "#!/usr/bin/env python\nfrom app import engine\n"
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nENTRYPOINT ["/app/entry.sh"]\n'
    compose = "services:\n  worker:\n    build: .\n    command: worker\n" + DB
    files = {"Dockerfile": dockerfile, "entry.sh": script, "manage.py": manage, "app.py": ENGINE}
    result = lint_tree({**files, "requirements.txt": "x\n", "docker-compose.yml": compose})
    assert not [f for f in result.findings if f.code == "PGC002"]
    assert [(g.manager, g.processes.value) for g in result.project.groups] == [("python", 1)]


def test_uvicorn_run_workers_from_the_environment_or_unknown_never_a_silent_one(lint_tree):
    """`uvicorn.run("pkg.app:app", workers=int(os.getenv("WEB_WORKERS", "3")))`: 3 processes; a count from an object
    pgconnlint cannot evaluate (`settings.WORKERS`, a property) is a PGC110, not uvicorn's default of one."""
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nCMD ["python", "-m", "pkg.server"]\n'
    run = 'import os\nimport uvicorn\n\nif __name__ == "__main__":\n    uvicorn.run("pkg.app:app", workers={})\n'
    files = {"Dockerfile": dockerfile, "pkg/__init__.py": "", "pkg/app.py": ENGINE, "requirements.txt": "x\n"}
    known = lint_tree({**files, "pkg/server.py": run.format('int(os.getenv("WEB_WORKERS", "3"))')})
    assert [(g.manager, g.processes.value) for g in known.project.groups] == [("uvicorn", 3)]
    unknown = lint_tree({**files, "pkg/server.py": run.format("settings.WORKERS")})
    assert [f for f in unknown.findings if f.code == "PGC110" and "settings.WORKERS" in f.message]


def test_copy_sources_with_build_arguments_are_expanded(lint_tree):
    """`ARG DOCKER_DIR=./deploy/prod` then `COPY ${DOCKER_DIR}/entrypoint.sh /entrypoint.sh`: the script is the one
    under deploy/prod, not a guess by its name (two entrypoint.sh in the tree: the guess fails)."""
    dockerfile = (
        "ARG BASE=python:3.12\nFROM ${BASE}\nARG DOCKER_DIR=./deploy/prod\nWORKDIR /app\nCOPY . /app\n"
        'COPY ${DOCKER_DIR}/entrypoint.sh /entrypoint.sh\nCMD ["/entrypoint.sh"]\n'
    )
    files = {
        "Dockerfile": dockerfile,
        "deploy/prod/entrypoint.sh": "#!/bin/sh\nexec gunicorn -w 3 app:app\n",
        "deploy/dev/entrypoint.sh": "#!/bin/sh\nexec gunicorn -w 1 --reload app:app\n",
        "app.py": ENGINE,
        "requirements.txt": "x\n",
    }
    result = lint_tree(files)
    assert [(g.manager, g.processes.value) for g in result.project.groups] == [("gunicorn sync", 3)]


def test_an_unbuilt_image_given_a_url_of_this_files_server_is_a_finding_not_silence(lint_tree):
    """`image: registry.example/acme/app` (built by nothing the repository holds) with `command: serve` and
    `DATABASE_URL=postgresql://…@postgres/…`: a client of the compose file's server whose processes cannot be followed,
    said by a PGC002; a tool image whose URL names no service of the file (`localhost`) stays quiet."""
    compose = (
        "x-env: &env\n  DATABASE_URL: postgresql://app:secret@postgres:5432/app\n"
        "services:\n  api:\n    image: registry.example/acme/app:1\n    command: serve\n    environment: *env\n"
        "  cli:\n    image: vendor/cli:latest\n    command: listen\n    environment:\n"
        "      DATABASE_URL: postgresql://app:secret@localhost:5432/app\n"
        "  postgres:\n    image: postgres:16\n"
    )
    result = lint_tree({"docker-compose.yml": compose, "app.py": ENGINE, "requirements.txt": "x\n"})
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "service api" in finding.message and "DATABASE_URL (host postgres)" in finding.message
    assert "secret" not in finding.message


def test_fastapi_run_without_a_path_and_a_sqlmodel_engine(lint_tree):
    """`CMD ["fastapi", "run", "--workers", "4"]` in WORKDIR /app/backend runs fastapi-cli's default app/main.py; its
    imports reach SQLModel's `create_engine` (SQLAlchemy's pool: 5 + 10); the Alembic env.py beside it is not run."""
    dockerfile = 'FROM python:3.12\nCOPY ./backend/app /app/backend/app\nWORKDIR /app/backend/\nCMD ["fastapi", "run", "--workers", "4"]\n'
    files = {
        "backend/Dockerfile": dockerfile,
        "backend/app/__init__.py": "",
        "backend/app/main.py": "from fastapi import FastAPI\nfrom app.db import engine\napp = FastAPI()\n",
        "backend/app/db.py": "from sqlmodel import create_engine\nengine = create_engine('postgresql://db/app')\n",
        "backend/app/alembic/env.py": (
            "from sqlalchemy import engine_from_config, pool\n"
            "def run():\n    engine_from_config({}, poolclass=pool.NullPool)\n"
        ),
        "backend/pyproject.toml": "[project]\nname = 'app'\ndependencies = ['fastapi', 'sqlmodel']\n",
        "compose.yml": "services:\n  backend:\n    build:\n      context: .\n      dockerfile: backend/Dockerfile\n"
        "  db:\n    image: postgres:16\n",
    }
    result = lint_tree(files)
    [budget] = [b for b in result.budgets if b.terms]
    assert [(t.processes, t.pool_max) for t in budget.terms] == [(4, 15)]
    assert budget.total == 60


def test_fastapi_run_with_a_path_names_its_script():
    decl = parse("fastapi run src/app/main.py --workers 2", Location("Dockerfile", 3), "Dockerfile CMD", "")
    assert (decl.server, decl.options.get("script").value, decl.options.get("workers").value) == (
        "fastapi",
        "src/app/main.py",
        2,
    )


def test_a_whole_command_line_in_one_list_item_is_the_argument_of_a_bash_c_entrypoint(lint_tree):
    """`ENTRYPOINT ["/bin/bash", "-c"]` and `command: ["./manage.py migrate && watchmedo … -- celery … -c 3"]`: the
    one item is the command line bash runs; before, it read as a program named by the whole line and was dropped."""
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nENTRYPOINT ["/bin/bash", "-c"]\n'
    web = '["python manage.py migrate --no-input && cd /app && gunicorn -w 3 app:app"]'
    worker = "[\"watchmedo auto-restart -p '*.py' -- celery -A app worker --concurrency=2\"]"
    compose = f"services:\n  web:\n    build: .\n    image: site\n    command: {web}\n"
    compose += f"  worker:\n    image: site\n    command: {worker}\n" + DB
    # a compose `entrypoint: ["sh", "-c"]` reads the line itself: a Node migration, no process and no finding
    migrate = '["node migrate.js && echo done"]'
    compose += f'  migrate:\n    image: other/tool\n    entrypoint: ["sh", "-c"]\n    command: {migrate}\n'
    compose += "    environment:\n      DATABASE_URL: postgresql://u@db/app\n"
    files = {"Dockerfile": dockerfile, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree({**files, "docker-compose.yml": compose})
    assert sorted((g.manager, g.processes.value) for g in result.project.groups) == [
        ("celery prefork", 2),
        ("gunicorn sync", 3),
    ]
    assert not [f for f in result.findings if f.code == "PGC002"]


GUNICORN_APP = """\
import os
from gunicorn.app.base import BaseApplication
from app import application

WORKERS = int(os.environ.get("WEB_WORKERS", "3"))


class Standalone(BaseApplication):
    def __init__(self, app, options=None):
        self.options = options or {}
        self.application = app
        super().__init__()

    def load(self):
        return self.application


if __name__ == "__main__":
    options = {"bind": ":8000", "workers": WORKERS, "worker_class": "gthread", "threads": 4}
    Standalone(application, options).run()
"""


def test_a_gunicorn_custom_application_run_from_a_script_is_that_gunicorn(lint_tree):
    """gunicorn's documented "Custom Application" (a BaseApplication subclass given a settings dict, `.run()`):
    its workers, worker class and threads as written; before, the script was one Python thread."""
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nCMD ["python", "serve.py"]\n'
    engine = ENGINE + "application = object()\n"
    files = {"Dockerfile": dockerfile, "serve.py": GUNICORN_APP, "app.py": engine, "requirements.txt": "x\n"}
    result = lint_tree(files)
    [group] = result.project.groups
    assert (group.manager, group.processes.value, group.units.value) == ("gunicorn gthread", 3, 4)
    assert "serve.py" in group.name


def test_background_jobs_of_one_command_line_are_each_a_process(lint_tree):
    """A Procfile line `celery … worker -c 3 & celery … beat & wait -n` runs both until one exits: 3 + 1 processes;
    before, only the last server of the line was kept and the worker silently dropped."""
    procfile = "worker: celery -A app worker -c 3 & celery -A app beat & wait -n\n"
    result = lint_tree({"Procfile": procfile, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"})
    groups = sorted((g.manager, g.processes.value) for g in result.project.groups)
    assert groups == [("celery beat", 1), ("celery prefork", 3)]
    assert all("Procfile (worker) → `celery -A app" in g.name for g in result.project.groups)


def test_a_compose_service_running_the_images_entrypoint_script_is_that_services_process(lint_tree):
    """`build: .` and no command: the service runs the Dockerfile's ENTRYPOINT script (`exec gunicorn …`), with the
    service's `environment:` and in its deployment; before, the script's Node reading dropped the service, and the
    Dockerfile was budgeted as a deployment of its own, without that environment."""
    script = '#!/bin/bash\nflask db upgrade\nexec gunicorn "app:app" --workers 2\n'
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nENTRYPOINT ["/app/entry.sh"]\n'
    compose = "services:\n  web:\n    build: .\n    environment:\n      - DATABASE_URL=postgresql://u@db/app\n" + DB
    engine = "import os\nfrom sqlalchemy import create_engine\nengine = create_engine(os.environ['DATABASE_URL'])\n"
    files = {"Dockerfile": dockerfile, "entry.sh": script, "app.py": engine, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree({**files, "docker-compose.yml": compose})
    [group] = result.project.groups
    assert group.name == "docker-compose.yml service web (Dockerfile ENTRYPOINT → entry.sh:3)"
    assert group.processes.value == 2 and "DATABASE_URL" in group.environment
    assert [budget.deployment for budget in result.budgets] == ["docker-compose.yml"]


def test_a_procfile_release_script_is_one_off_and_hupper_options_are_skipped(lint_tree):
    """A Procfile `release: bin/release` runs its commands to their end before the dynos start: no process (before,
    the script's last command was counted as a lasting one); `hupper --reload-interval 10 -m celery …` is celery."""
    release = "#!/bin/bash\npython -m app migrate\npython -m app sync\n"
    procfile = "release: bin/release\nweb: gunicorn -w 2 app:app\n"
    procfile += "worker: hupper --shutdown-interval 10 --reload-interval 10 -m celery -A app worker -c 3\n"
    files = {"Procfile": procfile, "bin/release": release, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree(files)
    groups = sorted((g.name, g.processes.value) for g in result.project.groups)
    assert groups == [("Procfile (web)", 2), ("Procfile (worker)", 3)]


def test_a_compose_working_dir_on_a_mounted_folder_is_that_folders_project(lint_tree):
    """`build: .`, `working_dir: /app`, `volumes: ["./worker:/app"]`: the celery worker runs the `worker` project
    (its own pyproject.toml, no database), not the root's Django settings; the root project stays the web's."""
    from pgconnlint.link_python import deepest_first

    assert deepest_first(["", "worker", "api/sub", "worker"]) == ["api/sub", "worker", ""]
    settings = "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'HOST': 'db'}}\n"
    web = "    build: .\n    command: gunicorn -w 2 site.wsgi\n    environment:\n      - DJANGO_SETTINGS_MODULE=site.settings\n"
    worker = '    build: .\n    working_dir: /app\n    volumes:\n      - ./worker:/app\n    command: ["celery -A tasks worker -c 4"]\n'
    compose = f"services:\n  web:\n{web}  worker:\n{worker}" + DB
    dockerfile = 'FROM python:3.12\nWORKDIR /srv\nCOPY . /srv\nENTRYPOINT ["/bin/sh", "-c"]\n'
    files = {"Dockerfile": dockerfile, "docker-compose.yml": compose, "pyproject.toml": "[project]\nname = 's'\n"}
    files |= {"site/__init__.py": "", "site/settings.py": settings, "site/wsgi.py": "application = None\n"}
    files |= {"worker/pyproject.toml": "[project]\nname = 'w'\n", "worker/tasks.py": "from celery import Celery\n"}
    result = lint_tree(files)
    counted = [(g.manager, g.processes.value) for g in result.project.groups if g.connections]
    assert counted == [("gunicorn sync", 2)]


def test_an_image_entrypoint_script_reads_each_services_environment(lint_tree):
    """The script's `WORKERS=${WORKERS:-1}` and the image's `ENV THREADS=2` are numbers each deployment decides: the
    service that sets WORKERS=3 and THREADS=5 runs 3 × 5, the one that sets neither 1 (the script's default, said) × 2
    (the image's ENV). Before, the script was read once with the image's environment: 1 × 2 for both."""
    script = "#!/bin/sh\nWORKERS=${WORKERS:-1}\nexec gunicorn app:app --workers $WORKERS --threads ${THREADS}\n"
    dockerfile = 'FROM python:3.12\nWORKDIR /app\nCOPY . /app\nENV THREADS=2\nENTRYPOINT ["/app/entry.sh"]\n'
    compose = "services:\n  web:\n    build: .\n    environment:\n      WORKERS: 3\n      THREADS: 5\n"
    compose += "  other:\n    build: .\n" + DB
    files = {"Dockerfile": dockerfile, "entry.sh": script, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"}
    result = lint_tree({**files, "docker-compose.yml": compose})
    groups = {g.name.split(" (")[0]: g for g in result.project.groups}
    web, other = groups["docker-compose.yml service web"], groups["docker-compose.yml service other"]
    assert (web.processes.value, web.units.value) == (3, 5)
    assert web.processes.location == Location("docker-compose.yml", 5, 16)
    assert (other.processes.value, other.units.value) == (1, 2)
    assert other.processes.via == "WORKERS is not set in the repository, so the fallback `1` applies"
    assert other.units.location.path == "Dockerfile"


def test_a_number_the_script_sets_itself_is_not_the_deployments():
    """`W=5` in the script wins over the environment's W; a name, not a number, is expanded as before."""
    text = "#!/bin/sh\nW=5\nexec gunicorn ${APP:-app:app} -w $W --threads $T\n"
    [command] = shell.read("entry.sh", text, [], {"W": "4", "T": "3"})
    assert command.words == ("exec", "gunicorn", "app:app", "-w", "5", "--threads", "${T:-3}")
