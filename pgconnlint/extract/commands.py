"""Python servers and workers on a command line: `gunicorn -w 4 -k gthread app:app`, `uvicorn app:app
--workers 4`, `celery -A proj worker -c 8`, found in Procfiles, Dockerfiles and compose files.

A command is split with shlex, wrappers (`python -m`, `exec`, `poetry run`, `ddtrace-run`, `sh -c "…"`) are
looked through, and each server's flags are read by their long names. `$VAR` and `${VAR:-default}` become
environment lookups, evaluated when linked.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace

from pgconnlint.expr import Arr, EnvVar, Expr, Lit, Logical, Obj
from pgconnlint.interpolation import sole_reference
from pgconnlint.model import Location, OneOffStep, ProcessDecl

SERVERS = ("gunicorn", "uvicorn", "hypercorn", "fastapi", "granian", "celery", "rq")
# short flag -> long name, and which flags take a value, per server (their --help)
_FLAGS = {
    "gunicorn": {
        "-w": "workers",
        "-k": "worker_class",
        "-c": "config",
        "--worker-class": "worker_class",
        "--workers": "workers",
        "--threads": "threads",
        "--worker-connections": "worker_connections",
        "--config": "config",
        "-b": "bind",
        "--bind": "bind",
    },
    "uvicorn": {"--workers": "workers"},
    "hypercorn": {"-w": "workers", "--workers": "workers", "-k": "worker_class", "--worker-class": "worker_class"},
    "fastapi": {"--workers": "workers"},
    "granian": {
        "--workers": "workers",
        "--interface": "interface",
        "--threads": "threads",
        "--blocking-threads": "threads",
    },
    "celery": {
        "-c": "concurrency",
        "--concurrency": "concurrency",
        "-P": "pool",
        "--pool": "pool",
        "--autoscale": "autoscale",
    },
    "rq": {},
    "uwsgi": {
        "-p": "processes",
        "--processes": "processes",
        "--workers": "processes",
        "--threads": "threads",
        "--ini": "ini",
        "--gevent": "gevent",
        "--async": "async",
    },
}
_WRAPPERS = {
    "exec",
    "python",
    "python3",
    "-m",
    "poetry",
    "pipenv",
    "uv",
    "run",
    "ddtrace-run",
    "newrelic-admin",
    "run-program",
    "opentelemetry-instrument",
    "pdm",
    "hatch",
    "dumb-init",
    "tini",
    "--",
    "gosu",
}


def parse(command: str | list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    """The Python server a command starts, with its flags; None when it starts none we know. In a chain
    (`alembic upgrade head && gunicorn …`) the steps before the last finish first: the server is the last command
    that starts one, and a script or module to follow counts only when no server is named. The steps that finish
    and that a check reads (an Alembic upgrade) are kept on it (`ProcessDecl.one_offs`)."""
    found: list[ProcessDecl] = []
    steps: list[OneOffStep] = []
    for words, location, lasting in _commands_of(command, where):
        if not lasting:
            steps += filter(None, [one_off_step(words, location)])
            continue
        decl = _segment(words, where, source, directory)
        if decl:
            found.append(decl)
    if len(found) > 1 and isinstance(command, str):
        # `celery … worker & celery … beat & wait -n`: background jobs beside the last command, each a process
        # (extract/follow.py reads them back with `jobs`); before, only the last was kept
        chosen = _placeholder("jobs", shell_words(command), where, source, directory, line=command)
        return replace(chosen, one_offs=tuple(steps)) if steps else chosen
    servers = [decl for decl in found if decl.server not in PLACEHOLDERS]
    chosen = (servers or found or [None])[-1]
    return replace(chosen, one_offs=(*steps, *chosen.one_offs)) if chosen is not None and steps else chosen


def _commands_of(command: str | list[str], where: Location) -> list[tuple[list[str], Location, bool]]:
    """The commands a command line runs, where each is and whether it keeps running: a string is read as `sh -c`
    reads it (extract/shell.py: `a && b`, `while …; do …; done; server`, `if`), a list is one command."""
    if isinstance(command, list):
        return [([str(part) for part in command], where, True)]
    from pgconnlint.extract import shell

    try:
        return [(list(c.words), c.location, c.long_running) for c in shell.read_command(command, where)]
    except (RecursionError, ValueError):
        return [(shell_words(command), where, True)]


def steps_of(command: str | list[str], where: Location) -> list[OneOffStep]:
    """The one-off steps a command line made only of steps runs (a Procfile `release:` line, a compose migration
    service's `command:`), wherever they are; `sh -c '…'` is looked into."""
    if isinstance(command, list) and len(command) > 2 and command[0] in ("sh", "bash") and command[-2] == "-c":
        command = command[-1]
    return [step for words, place, _ in _commands_of(command, where) if (step := one_off_step(words, place))]


def one_off_step(words: list[str], where: Location) -> OneOffStep | None:
    """`alembic upgrade head` (also `python -m alembic …`, under `poetry run` and the other wrappers): a migration
    that finishes before the server starts; None for any other step."""
    tokens = _unwrapped(list(words))
    if tokens[:1] and re.fullmatch(r"python[\d.]*", tokens[0].rsplit("/", 1)[-1]) and tokens[1:3] == ["-m", "alembic"]:
        tokens = tokens[2:]
    if tokens[:1] and tokens[0].rsplit("/", 1)[-1] == "alembic" and "upgrade" in tokens:
        return OneOffStep("alembic", " ".join(tokens)[:80], where)
    return None


def _segment(tokens: list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    tokens = _unwrapped(tokens)
    if not tokens:
        return None
    if re.search(r"\s", tokens[0].strip()):
        # `command: ["python manage.py migrate && gunicorn …"]`: one word holding a whole command line, which no
        # program is named; it is the argument of the image's ENTRYPOINT (`["/bin/bash", "-c"]`), followed there
        return _placeholder("command", tokens, where, source, directory)
    name = tokens[0].rsplit("/", 1)[-1]
    rest = tokens[1:]
    if name in SERVERS:
        return _decl(name, rest, where, source, directory) if _starts_server(name, rest) else None
    if name in ("sh", "bash", "dash", "ash"):
        flags = [word for word in rest if word.startswith("-")]
        rest = [word for word in rest if not word.startswith("-")]
        if any("c" in flag for flag in flags) and rest:
            return parse(rest[0], where, source, directory)  # `sh -c '…'`, `sh -lc '…'`
        return _placeholder("script", rest, where, source, directory, script=rest[0]) if rest else None
    if name == "uwsgi":
        return _decl("uwsgi", rest, where, source, directory)
    if name in ("supervisord", "supervisor"):
        config = _option(rest, ("-c", "--configuration"))
        return _placeholder("supervisord", tokens, where, source, directory, config=config)
    if re.fullmatch(r"python[\d.]*", name):
        return _python(rest, where, source, directory)
    if name == "manage.py":
        return _manage(tokens[0], rest, where, source, directory)
    if name in NOT_PYTHON or re.fullmatch(r"(node|npm|npx|yarn|pnpm|bun|deno|pm2|pm2-runtime|next)(\.\w+)?", name):
        return None
    if _is_script(tokens[0]):
        return _placeholder("script", tokens, where, source, directory, script=tokens[0])
    if re.fullmatch(r"[\w.-]+", name):
        return _placeholder("command", tokens, where, source, directory)  # an argument to the image's ENTRYPOINT
    return None


#: commands that start no Python process of the repository, or only a one-off step (migrations, static files)
NOT_PYTHON = frozenset(
    [
        "alembic",
        "flask",
        "pytest",
        "pip",
        "echo",
        "sleep",
        "cd",
        "cp",
        "mv",
        "rm",
        "mkdir",
        "chmod",
        "chown",
        "ln",
        "postgres",
        "psql",
        "pg_isready",
        "createdb",
        "nginx",
        "caddy",
        "redis-server",
        "supercronic",
        "cron",
        "crond",
        "true",
        "false",
        "test",
        "set",
        "trap",
        "wait",
        "curl",
        "wget",
        "apt-get",
        "apk",
        "git",
        "java",
        "go",
        "dockerize",
        "wait-for-it",
        "wait-for-it.sh",
        "tail",
        "cat",
        "printenv",
        "xvfb-run",
        "Xvfb",
        "xterm",
        "x11vnc",
        "websockify",
        "make",
        "tox",
        "nox",
        "mypy",
        "ruff",
        "black",
        "traefik",
        "envoy",
        "haproxy",
        "minio",
        "mc",
        "vault",
        "consul",
        "sshd",
    ]
)
#: `manage.py` commands that finish: a step before the server, or a one-off container (migrator, initializer)
ONE_OFF_MANAGE = frozenset(
    [
        "migrate",
        "collectstatic",
        "compress",
        "compilemessages",
        "check",
        "createsuperuser",
        "loaddata",
        "wait_for_db",
        "wait_for_migrations",
        "makemigrations",
        "shell",
        "dbshell",
        "test",
        "showmigrations",
        "createcachetable",
        "clear_cache",
        "sqlmigrate",
        "flush",
        "dumpdata",
        "changepassword",
        "register_instance",
        "configure_instance",
        "create_bucket",
    ]
)
_PYTHON_SERVER_MODULES = {"gunicorn.app.wsgiapp": "gunicorn", "uvicorn.main": "uvicorn"}
_WAITERS = ("wait-for-it", "wait-for-it.sh", "wait-for", "wait-for.sh")  #: `HOST:PORT [options] -- command`
_PREFIXES = frozenset(_WRAPPERS - {"python", "python3", "-m"}) | {"env", "nice", "nohup", "setsid", "stdbuf"}


def _unwrapped(tokens: list[str]) -> list[str]:
    """The command under its wrappers: `exec`, `env X=y`, `gosu user`, `ddtrace-run`, `newrelic-admin
    run-program`, `hupper -m celery`, `poetry run`, `opentelemetry-instrument`…"""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name = token.rsplit("/", 1)[-1]
        if name in ("gosu", "su-exec", "setpriv", "chpst"):
            index += 2  # the user (or option) they run the command as
        elif name in (*_WAITERS, "watchmedo") and "--" in tokens[index:]:
            # `wait-for-it.sh db:5432 -t 30 -- cmd`: cmd once the port answers; `watchmedo auto-restart … -- cmd`
            # restarts cmd when a file changes: cmd is the process
            index = tokens.index("--", index) + 1
        elif name == "hupper" and "-m" in tokens[index:]:
            index = tokens.index("-m", index) + 1  # hupper [--reload-interval 10 …] -m celery …: the module runs
        elif name in _PREFIXES or re.fullmatch(r"\w+=.*", token) or (name.startswith("-") and index > 0):
            index += 1
        else:
            break
    return tokens[index:]


def _python(rest: list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    """`python -m module …`, `python script.py …`, `python manage.py command`: a server module is that server."""
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        rest = rest[1:]  # -u, -O, -B
    if rest[:1] == ["-m"] and len(rest) > 1:
        module, args = rest[1], rest[2:]
        server = _PYTHON_SERVER_MODULES.get(module, module)
        if server in SERVERS or server in ("hupper", "uwsgi"):
            return _segment([server, *args], where, source, directory)
        if module.partition(".")[0] in ("alembic", "pytest", "pip", "http", "django", "venv", "ensurepip"):
            return None
        return _placeholder("python", [module, *args], where, source, directory, module=module)
    if rest and rest[0].endswith(".py"):
        if rest[0].rsplit("/", 1)[-1] == "manage.py":
            return _manage(rest[0], rest[1:], where, source, directory)
        return _placeholder("python", rest, where, source, directory, script=rest[0])
    return None


def _manage(script: str, args: list[str], where: Location, source: str, directory: str) -> ProcessDecl | None:
    """`manage.py rqworker` is an RQ worker; one-off steps (migrate, collectstatic…) start no process; any other
    command (a daemon such as `sendalerts`) is a Python process of its own."""
    command = next((a for a in args if not a.startswith("-")), "")
    if not command or command in ONE_OFF_MANAGE or command.startswith("wait"):
        return None
    if command == "rqworker":
        return _decl("rq", ["worker", *args[1:]], where, source, directory)
    if command == "celery":
        return _segment(["celery", *args[1:]], where, source, directory)
    # Django's development server answers each request in a thread of its own (django/core/servers/basehttp.py
    # `ThreadedWSGIServer`) unless `--nothreading`: as many connections at once as requests
    threaded = command == "runserver" and "--nothreading" not in args
    named = {"threaded": "manage.py runserver: a thread per request (Django development server)"} if threaded else {}
    return _placeholder("python", [script, *args], where, source, directory, script=script, manage=command, **named)


def _is_script(word: str) -> bool:
    """A path the shell runs: `/start`, `./bin/entrypoint.sh`, `entrypoint.sh`."""
    return word.endswith((".sh", ".bash")) or ("/" in word and not word.startswith("$") and "=" not in word)


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    for index, token in enumerate(args):
        if token.partition("=")[0] in names:
            return flag_value(args, index)[0]
    return None


def _placeholder(kind: str, words: list[str], where: Location, source: str, directory: str, **named) -> ProcessDecl:
    """A command to follow once every file is read (extract/follow.py): a script, a Python module or script, an
    argument to the image's ENTRYPOINT, a supervisord configuration."""
    text = " ".join(words)[:80]
    entries: dict[str, Expr] = {"words": Arr(where, text, tuple(Lit(where, w, w) for w in words))}
    entries |= {key: Lit(where, value, value) for key, value in named.items() if value is not None}
    return ProcessDecl(kind, Obj(where, text, entries, dict.fromkeys(entries, where)), source, directory)


#: ProcessDecl.server of the placeholders above; extract/follow.py replaces each by what it runs
PLACEHOLDERS = ("script", "command", "python", "supervisord", "jobs")


def jobs(decl: ProcessDecl) -> list[ProcessDecl]:
    """The processes of a `jobs` placeholder: one for each command its line keeps running, named after it."""
    line = decl.options.get("line")
    found = []
    for words, _, lasting in _commands_of(str(getattr(line, "value", "")), decl.location) if line else []:
        source = f"{decl.source} → `{' '.join(words[:4])}{' …' if len(words) > 4 else ''}`"
        sub = _segment(words, decl.location, source, decl.directory) if lasting else None
        found += [sub] if sub is not None else []
    return found


def words_of(decl: ProcessDecl) -> list[str]:
    """The command words a placeholder holds."""
    words = decl.options.get("words")
    return [str(item.value) for item in words.items] if isinstance(words, Arr) else []


def _starts_server(name: str, rest: list[str]) -> bool:
    if name == "celery":
        return "worker" in rest or "beat" in rest
    if name == "fastapi":
        return bool(rest) and rest[0] == "run"
    if name == "rq":
        return bool(rest) and rest[0] == "worker"
    return True


def shell_words(command: str | list[str]) -> list[str]:
    if isinstance(command, list):
        return [str(part) for part in command]
    try:
        return shlex.split(command, comments=True)
    except ValueError:  # an unbalanced quote: still try word by word
        return command.split()


def command_words(value: Expr | None) -> list[str] | None:
    """A `command:` / `args:` as YAML writes it (compose, Kubernetes): a list of words, or one string split as a shell
    would split it; None when there is none. A null item is no word."""
    if isinstance(value, Arr):
        return [str(item.value) for item in value.items if isinstance(item, Lit) and item.value is not None]
    if isinstance(value, Lit) and isinstance(value.value, str):
        try:
            return shlex.split(value.value)
        except ValueError:  # an unbalanced quote: still try word by word
            return value.value.split()
    return None


def _decl(server: str, args: list[str], where: Location, source: str, directory: str) -> ProcessDecl:
    flags = _FLAGS[server]
    entries: dict[str, Expr] = {}
    positional = []
    index = 0
    while index < len(args):
        token = args[index]
        flag = token.partition("=")[0]
        if token.startswith("-") and flag in flags:
            value, index = flag_value(args, index)
            entries[flags[flag]] = shell_value(value, where)
        elif re.fullmatch(r"-[A-Za-z][^=].*", token) and token[:2] in flags:
            # a short option with its value joined (`-w4`, `-kgevent`, `-c8`, `-Pgevent`): argparse and click take it
            entries[flags[token[:2]]] = shell_value(token[2:], where)
        elif not token.startswith("-"):
            positional.append(token)
        index += 1
    apps = [token for token in positional if re.fullmatch(r"[\w.]+:[\w.()]+", token)]  # module:attribute
    if server in ("gunicorn", "uvicorn", "hypercorn") and not apps:
        apps = [token for token in positional if re.fullmatch(r"[A-Za-z_][\w.]*", token)]  # `gunicorn config.wsgi`
    if apps:
        entries["app"] = Lit(where, apps[0], apps[0])
    elif server == "fastapi" and positional[1:2] and positional[1].endswith(".py"):  # `fastapi run app/main.py`
        entries["script"] = Lit(where, positional[1], positional[1])
    if server == "celery":
        entries |= _celery_entries(args, where)
    if server == "uwsgi" and positional and positional[0].endswith(".ini") and "ini" not in entries:
        entries["ini"] = Lit(where, positional[0], positional[0])  # `uwsgi /app/uwsgi.ini`
    config = entries.get("config")
    config_file = config.value if isinstance(config, Lit) and isinstance(config.value, str) else None
    if config_file and config_file.startswith("python:"):
        config_file = None  # a module path, not a file
    keys = {key: where for key in entries}
    return ProcessDecl(
        server, Obj(where, " ".join([server, *args])[:80], entries, keys), source, directory, config_file
    )


def _celery_entries(args: list[str], where: Location) -> dict[str, Expr]:
    """`celery -A proj worker` / `celery --app=proj beat`: the app module and which program runs."""
    entries: dict[str, Expr] = {}
    for index, token in enumerate(args):
        if token.partition("=")[0] in ("-A", "--app"):
            value = flag_value(args, index)[0]
            entries["celery_app"] = Lit(where, value, value)
        elif token.startswith("-A") and len(token) > 2:
            entries["celery_app"] = Lit(where, token[2:], token[2:])
    program = "worker" if "worker" in args else "beat"
    entries["program"] = Lit(where, program, program)
    return entries


def flag_value(args: list[str], index: int) -> tuple[str, int]:
    """The value of the flag at `args[index]`, written `--flag=value` or `--flag value`, and the index of the
    last word it took."""
    inline = args[index].partition("=")[2]
    if inline:
        return inline, index
    return (args[index + 1], index + 1) if index + 1 < len(args) else ("", index)


def shell_value(text: str, where: Location) -> Expr:
    """A flag's value: a number, a word, or `$VAR` / `${VAR:-default}` (an environment lookup with a fallback)."""
    reference = sole_reference(text)
    if reference:
        lookup = EnvVar(where, text, reference.name)
        default = reference.unset_value
        return Logical(where, text, "||", lookup, shell_value(default, where)) if default is not None else lookup
    if re.fullmatch(r"-?\d+", text):  # pm2's `-i -1` is CPUs minus one
        return Lit(where, text, int(text))
    return Lit(where, text, text)
