"""systemd units (extract/systemd.py): `ExecStart=` commands followed as a Procfile line is, deployment paths below
`WorkingDirectory` read as the repository's, a gunicorn settings file found by its name, `manage.py rqworker` an
RQ worker, and a folder of units one deployment of kind "systemd"."""

from __future__ import annotations

from pgconnlint.deployments import DEVELOPMENT, project_key, role_of
from pgconnlint.extract import systemd
from pgconnlint.lint import LintOptions, lint
from tests.conftest import FIXTURES

SETTINGS = "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'app'}}\n"


def test_a_folder_of_units_is_one_deployment_with_its_gunicorn_config_and_rq_worker():
    result = lint(FIXTURES / "systemd-django", LintOptions(cpus=4))
    [budget] = result.budgets
    assert budget.deployment == "deploy/systemd/*.service"
    terms = {term.group.name.split(" ")[0]: term for term in budget.terms}
    web, queue = terms["deploy/systemd/shop.service"], terms["deploy/systemd/shop-queue.service"]
    # /srv/shop/gunicorn.py is deploy/gunicorn.py (the one file of that name): 3 workers x 2 threads
    assert (web.group.processes.value, web.group.units.value) == (3, 2)
    assert "gunicorn.py matched by name to deploy/gunicorn.py" in web.group.name
    assert queue.group.manager.startswith("rq")  # worker + its work-horse
    assert int(budget.total) == 3 * 2 + 2
    assert budget.server.assumed  # no server in the tree: PostgreSQL's defaults stand in, and say so


def test_unit_reader_follows_systemd_syntax():
    text = (
        '[Unit]\nExecStart=/bin/false\n[Service]\n; a comment\nEnvironment=A=1 "B=two words"\n'
        "Environment=A=3\nExecStart=/bin/true\nExecStart=\nExecStart=@-/opt/app/venv/bin/gunicorn \\\n"
        "# a comment inside the continuation\n  -w 4 app:app\n"
    )
    lines = systemd.settings(text)
    assert [(s.key, s.value, s.line) for s in lines if s.key == "ExecStart"][-1] == (
        "ExecStart",
        "@-/opt/app/venv/bin/gunicorn -w 4 app:app",
        9,
    )
    [decl], _ = systemd.extract("app.service", text)  # the empty ExecStart= dropped /bin/true; [Unit] is ignored
    assert decl.server == "gunicorn"
    assert decl.options.get("workers").value == 4
    assert {b.name: b.value for b in decl.env} == {"A": "3", "B": "two words"}


def test_paths_below_the_working_directory_are_the_repository_paths(lint_tree):
    unit = (
        "[Service]\nWorkingDirectory=/opt/app\nEnvironmentFile=-/opt/app/deploy/app.env\n"
        "ExecStart=/opt/app/venv/bin/python /opt/app/worker.py\n"
    )
    engine = "import asyncio\nfrom sqlalchemy import create_engine\nengine = create_engine('postgresql://db/x')\n"
    result = lint_tree(
        {"app.service": unit, "worker.py": engine + "asyncio.run(None)\n", "requirements.txt": "sqlalchemy\n"}
    )
    [group] = result.project.groups
    assert group.name.startswith("app.service ExecStart (the repository checked out at WorkingDirectory=/opt/app)")
    [decl], _ = systemd.extract("app.service", unit)
    assert decl.env_files == ("deploy/app.env",)


def test_a_unit_command_nothing_reads_starts_nothing(lint_tree):
    result = lint_tree({"app.service": "[Service]\nExecStart=/usr/bin/redis-server\n", "settings.py": SETTINGS})
    assert [g.name for g in result.project.groups] == ["Python project at the repository root"]


def test_a_settings_template_stands_for_the_uncommitted_file(lint_tree):
    files = {
        "requirements.txt": "django\n",
        "site/configuration_example.py": SETTINGS,
        "site/configuration_testing.py": SETTINGS.replace("'app'", "'test'"),
    }
    [group] = lint_tree(files).project.groups
    [connection] = group.connections
    assert connection.pools[0].label.startswith(
        "DATABASES['default'] (configuration_example.py stands for configuration.py, not committed)"
    )


def test_environment_reaches_the_command_and_a_oneshot_unit_is_one_off(lint_tree):
    engine = "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/x', pool_size=2)\n"
    web = "[Service]\nType=notify\nEnvironment=WORKERS=6\nExecStart=/usr/bin/gunicorn -w ${WORKERS} app:app\n"
    migrate = "[Service]\nType=oneshot\nExecStart=/usr/bin/python -m app.migrate\n"
    files = {"app/__init__.py": "", "app/main.py": engine, "requirements.txt": "sqlalchemy\n"}
    files |= {"app/migrate.py": engine, "deploy/web.service": web, "deploy/migrate.service": migrate}
    [group] = lint_tree(files).project.groups
    assert group.name.startswith("deploy/web.service ExecStart")
    assert group.processes.value == 6


def test_a_node_unit_runs_its_script_and_a_development_folder_is_a_development_deployment(lint_tree):
    unit = "[Service]\nWorkingDirectory=/srv/api\nExecStart=/usr/bin/node /srv/api/server.js\n"
    [decl], _ = systemd.extract("deploy/dev/api.service", unit)
    assert (decl.runner, decl.script) == ("node", "server.js")
    assert role_of(project_key("deploy/dev/api.service", set())) == DEVELOPMENT
    assert project_key("contrib/netbox-rq.service", set()) == "contrib/*.service"
    code = "const { Pool } = require('pg');\nconst pool = new Pool({ max: 7 });\nmodule.exports = pool;\n"
    files = {"package.json": '{"name": "api", "dependencies": {"pg": "8"}}', "server.js": code}
    [budget] = lint_tree({**files, "deploy/dev/api.service": unit}).budgets
    assert int(budget.total) == 7  # one Node process: counted once, as a Procfile's would be
