"""Flask's `app.config.from_pyfile(NAME)` loads the SQLALCHEMY_ settings from a Python file of any suffix (often
`config.cfg`), relative to the app's root_path or its instance folder; `from_envvar(X)` lets the environment name
it at run time. Before, both were silent: the pool was not counted and nothing said so."""

from __future__ import annotations

from conftest import FIXTURES, TEST_CPUS

from pgconnlint.lint import LintOptions, lint

APP = (
    "from flask import Flask\nfrom flask_sqlalchemy import SQLAlchemy\n\n"
    "app = Flask(__name__{flask})\napp.config.{load}\n\ndb = SQLAlchemy()\ndb.init_app(app)\n"
)
URI = "SQLALCHEMY_DATABASE_URI = 'postgresql://app@db/app'\nSQLALCHEMY_ENGINE_OPTIONS = {'pool_size': 3}\n"
STACK = {
    "requirements.txt": "flask\nflask-sqlalchemy\npsycopg2\n",
    "docker-compose.yml": "services:\n  web:\n    build: .\n    command: gunicorn -w 2 {module}:app\n"
    "  db:\n    image: postgres:16\n",
}


def tree(module: str, load: str, flask: str = "", **files: str) -> dict[str, str]:
    stack = {path: text.replace("{module}", module) for path, text in STACK.items()}
    path = module.replace(".", "/") + (".py" if "." not in module else "")
    return {**stack, path: APP.format(flask=flask, load=load), **files}


def pools(result) -> list[tuple[str, float | None, str]]:
    return [(t.pool.label, t.pool_max, t.pool.location.short) for b in result.budgets for t in b.terms]


def skipped(result) -> list[str]:
    return [f.message for f in result.findings if f.code == "PGC002"]


def test_the_pool_configured_in_a_cfg_file_counts_with_the_files_numbers():
    result = lint(FIXTURES / "flask-from-pyfile", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    [term] = budget.terms
    assert term.pool.label == (
        'SQLALCHEMY_DATABASE_URI in config.cfg (loaded by app.config.from_pyfile("config.cfg") at app.py:5)'
    )
    # 3 gthread workers × 2 threads; pool_size 4 + max_overflow 2 written in config.cfg
    assert (term.processes, term.pool_max, term.at_once, budget.total, budget.ceiling) == (3, 6, 2, 6, 18)
    assert (term.pool.max.location.path, term.pool.max.location.line) == ("config.cfg", 4)
    assert budget.complete and not result.findings


def test_instance_relative_config_loads_from_the_instance_folder_beside_the_package(lint_tree):
    files = tree(
        "shop", "from_pyfile('settings.cfg')", ", instance_relative_config=True", **{"instance/settings.cfg": URI}
    )
    files["shop/__init__.py"] = files.pop("shop.py")
    assert pools(lint_tree(files)) == [
        (
            "SQLALCHEMY_DATABASE_URI in instance/settings.cfg (loaded by app.config.from_pyfile('settings.cfg') at"
            " shop/__init__.py:5)",
            13,  # pool_size 3 + SQLAlchemy's default max_overflow 10
            "shop/__init__.py:5",
        )
    ]


def test_a_python_file_loaded_by_from_pyfile_counts_once(lint_tree):
    """settings.py is read on its own too (it sets SQLALCHEMY_DATABASE_URI): the loaded copy is the one that counts."""
    result = lint_tree(tree("app", "from_pyfile('settings.py')", **{"settings.py": URI}))
    assert [(label.split(" (")[0], size) for label, size, _ in pools(result)] == [
        ("SQLALCHEMY_DATABASE_URI in settings.py", 13)
    ]


def test_a_file_chosen_at_run_time_or_missing_is_said_never_silent(lint_tree):
    by_env = lint_tree(tree("app", "from_envvar('APP_SETTINGS')"))
    assert pools(by_env) == []
    assert skipped(by_env) == [
        "not checked: `app.config.from_envvar('APP_SETTINGS')`: the configuration file is chosen at run time by"
        " $APP_SETTINGS; its SQLALCHEMY_ settings (the pool's URL and size) are not read"
    ]
    missing = lint_tree(tree("app", "from_pyfile('prod.cfg', silent=True)"))
    assert skipped(missing) == [
        "not checked: `app.config.from_pyfile('prod.cfg', silent=True)`: prod.cfg is not in the repository; its"
        " SQLALCHEMY_ settings (the pool's URL and size) are not read"
    ]
    outside = lint_tree(tree("app", "from_pyfile('../secrets/prod.cfg')"))
    assert "the file lies outside the repository" in skipped(outside)[0]
