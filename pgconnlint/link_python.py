"""Python processes and the pools they open (DESIGN.md "How the budget is counted").

A server or worker declaration (Procfile, Dockerfile, compose service, pm2 app) runs the pools of the Python
project it lies in (the nearest pyproject.toml, setup.py, setup.cfg, requirements.txt or Pipfile). Each
declaration says how many processes run and how many requests or tasks each runs at once (its units):
gunicorn sync 1, gthread `threads`, gevent/eventlet `worker_connections`; Celery prefork 1 per child;
uvicorn and other ASGI servers unbounded. Pools follow each library's defaults (FACTS.md).
"""

from __future__ import annotations

import dataclasses
import math
import posixpath
import re
from collections.abc import Mapping

from pgconnlint import numeric, runtime_units
from pgconnlint.deployments import PRODUCTION as PRODUCTION_ROLE
from pgconnlint.deployments import role_of
from pgconnlint.expr import CPU_COUNT_VARIABLE, Environment, Logical, Not, Obj, evaluate, truthy
from pgconnlint.extract.django import is_postgres_url
from pgconnlint.link_functions import function_group
from pgconnlint.linked import UNBOUNDED_UNITS, EngineConnection, LinkSettings, Pool, ProcessGroup, during_rollout
from pgconnlint.model import (
    Default,
    DjangoSettingsRef,
    EnvBinding,
    EnvFile,
    Known,
    Location,
    ParseProblem,
    PendingPools,
    ProcessDecl,
    PythonPool,
    Unknown,
    cite,
    origin,
)
from pgconnlint.reach_python import PythonGraph, process_entry

ASGI_SERVERS = ("uvicorn", "hypercorn", "fastapi", "granian")
_ASYNC_WORKERS = ("uvicorn", "aiohttp", "tornado", "asyncio")  # gunicorn worker classes that serve many at once
PRODUCTION = ("production", "prod")


def python_groups(facts, settings: LinkSettings, env_files: Mapping[str, EnvFile], environment_of, parse) -> list:
    """Process groups for the Python side; `environment_of(directory, blocks)` is the linker's env builder, and
    `parse(path)` gives the pools and problems of a file extraction left pending (`PythonFiles`)."""
    projects = deepest_first(facts.python_projects)
    files = PythonFiles(facts.python_pools, parse, facts.problems)
    refs: dict[str, list[DjangoSettingsRef]] = {}
    for ref in facts.django_settings:
        refs.setdefault(_project_of(posixpath.dirname(ref.location.path), projects), []).append(ref)
    in_project = {project: _in(project, projects) for project in files.projects(projects)}
    runtime: dict[str, list] = {}
    for fact in facts.python_runtime:
        runtime.setdefault(_project_of(posixpath.dirname(fact.location.path), projects), []).append(fact)
    configs = {decl.source: decl for decl in facts.processes if decl.server == "gunicorn-config"}
    groups, run = [], set()
    graph = PythonGraph(facts.root)
    # A script or module a compose file runs as a one-off step (a migration runner) is that step in the other
    # deployments that run it too (a Railway or Kubernetes copy); a server command never is, and within one compose
    # file each service says for itself whether others wait for it to finish.
    one_offs = {
        _command(decl): _declared_in(decl)
        for decl in facts.processes
        if decl.one_off and decl.server == "python" and len(_command(decl)) > 1
    }
    for decl in _images_run(facts):
        if decl.server not in _SHAPES:  # gunicorn settings files, commands nothing could follow
            continue
        elsewhere = one_offs.get(_command(decl))
        if decl.one_off or (elsewhere is not None and elsewhere != _declared_in(decl)):
            continue
        project = _project_of(decl.directory, projects)
        run.add(project)
        env = environment_of(project, [list(decl.env)]) | _cpus(settings)
        reached = _reached(graph, decl, project, files, in_project.get(project, _nowhere), facts.problems, env)
        run |= {_project_of(posixpath.dirname(pool.location.path), projects) for pool in reached}
        chosen = _django_scope(reached, refs.get(project, []), env, project)
        group = _group(decl, _config_for(decl, configs), env, chosen, settings, runtime.get(project, []))
        unread = _unread_databases(facts.problems, refs.get(project, []), env, project)
        group = dataclasses.replace(group, unresolved=group.unresolved + unread) if unread else group
        groups.append(_with_steps(group, decl, facts.alembic, projects))
    packages = {manifest.directory for manifest in facts.packages}
    for function in facts.functions:
        if function.runtime == "python" or (function.runtime == "" and function.directory not in packages):
            project = _project_of(function.directory, projects)
            run.add(project)
            env = environment_of(project, [list(function.env)]) | _cpus(settings)
            own = files.pools(in_project.get(project, _nowhere))
            chosen = _django_scope(own, refs.get(project, []), env, project)
            connections = _engines(chosen, env, settings, Default(1, function.location, "one event at a time"))
            if connections:
                groups.append(function_group(function, connections, (), env))
    # `alembic upgrade` runs env.py: its engine is the migration command's, never an app process's
    migrations = {config.env for config in facts.alembic if config.env}
    for project in sorted(in_project):
        if project not in run:
            env = environment_of(project, []) | _cpus(settings)
            wanted = in_project[project]
            own = files.pools(lambda path, wanted=wanted: wanted(path) and path not in migrations)
            project_pools = _django_scope(own, refs.get(project, []), env, project)
            connections = _engines(project_pools, env, settings)
            if connections:
                where = Location(connections[0].anchor.path, 1)
                processes = Default(1, where, "no server or worker runs it in this repository: counted as 1")
                units = Unknown("", where, "no server or worker declaration: counted at the pool maximum")
                name = f"Python project {project or 'at the repository root'}"
                groups.append(
                    ProcessGroup(name, connections[0].anchor, processes, "", False, connections, env, units=units)
                )
    return groups


class PythonFiles:
    """The Python pools of every file, in file order, where a file extraction left pending (`PendingPools`: engine
    calls only `ast` has seen) is parsed the first time a question needs its pools: a process reaches it, or its
    project's pools count as a whole. Tests, migrations and scripts no deployed process imports are never parsed."""

    def __init__(self, entries: list, parse, problems: list[ParseProblem]) -> None:
        self._entries = entries
        self._parse = parse
        self._problems = problems
        self._parsed: dict[str, list[PythonPool]] = {}

    def projects(self, projects: list[str]) -> set[str]:
        """The projects that hold a pool, or a file that may."""
        return {_project_of(posixpath.dirname(_path(entry)), projects) for entry in self._entries}

    def pools(self, wanted) -> list[PythonPool]:
        """The pools of the files `wanted(path)` accepts, in file order."""
        found: list[PythonPool] = []
        for entry in self._entries:
            if wanted(_path(entry)):
                found += self._pools_of(entry.path) if isinstance(entry, PendingPools) else [entry]
        return found

    def read(self, wanted) -> list[PythonPool]:
        """The pools of the files `wanted(path)` accepts that extraction has read, in file order; none is parsed."""
        return [entry for entry in self._entries if isinstance(entry, PythonPool) and wanted(entry.location.path)]

    def pending(self, wanted) -> bool:
        """Whether a file `wanted(path)` accepts is still unread (it may hold pools)."""
        return any(isinstance(e, PendingPools) and e.path not in self._parsed and wanted(e.path) for e in self._entries)

    def _pools_of(self, path: str) -> list[PythonPool]:
        if path not in self._parsed:
            pools, problems = self._parse(path)
            self._parsed[path] = pools
            self._problems.extend(problem for problem in problems if problem not in self._problems)
        return self._parsed[path]


def _path(entry) -> str:
    return entry.path if isinstance(entry, PendingPools) else entry.location.path


def _in(project: str, projects: list[str]):
    return lambda path: _project_of(posixpath.dirname(path), projects) == project


def _nowhere(path: str) -> bool:
    return False


def _everywhere(path: str) -> bool:
    return True


def _declared_in(decl: ProcessDecl) -> str:
    """The file a command is declared in: the first word of its source (`docker-compose.yml service api`)."""
    return decl.source.split(" ", 1)[0]


def _command(decl: ProcessDecl) -> tuple:
    """What a command runs, wherever it is declared: the server and the module, app or script it starts."""
    written = (getattr(decl.options.get(key), "value", None) for key in ("module", "app", "celery_app", "script"))
    return (decl.server, *(value for value in written if isinstance(value, str)))


def _reached(
    graph: PythonGraph, decl: ProcessDecl, project: str, files: PythonFiles, mine, problems: list, env: Environment
) -> list:
    """The pools a process opens: those created in the modules its entry imports, wherever they lie (a library of
    the repository counts once in each process that imports it); Django's DATABASES are chosen by the settings
    module instead (`_django_scope`). Where the entry or an import cannot be followed and some of the project's
    pools are not reached, the project's pools count as a whole, and a PGC002 finding says what was not followed.
    `mine(path)` tells the project's files."""
    if not files.pending(_everywhere) and all(pool.library == "django" for pool in files.pools(_everywhere)):
        return files.pools(mine)  # no engine anywhere: the settings module alone decides
    django = [pool for pool in files.read(mine) if pool.library == "django"]  # DATABASES are never left pending
    entry = process_entry(graph, decl.options, decl.location, decl.directory, project)
    reach = graph.reach(entry.files, list(entry.roots))
    reached = [pool for pool in files.pools(reach.files.__contains__) if pool.library != "django"]
    # a loop over a settings list whose default is literal: only the environment variable could add modules
    unfollowed = entry.unfollowed + tuple(item for item in reach.unfollowed if not item.unless or item.unless in env)
    missed = (
        [pool for pool in files.pools(mine) if pool.library != "django" and pool not in reached] if unfollowed else []
    )
    if not missed:
        return django + reached
    first = unfollowed[0]
    name = f"project {project}" if project else "the project at the repository root"
    message = (
        f"{decl.source}: `{first.text}` at {first.location.short} cannot be followed ({first.why}); the pools of"
        f" {name} that its imports do not reach (first at {missed[0].location.short}) are counted for it as a whole"
    )
    problem = ParseProblem(first.location, message, skipped=True, help=_FALLBACK_HELP)
    if problem not in problems:
        problems.append(problem)
    return django + reached + [pool for pool in missed if pool not in reached]


_FALLBACK_HELP = "name the application module on the command line, or import it statically"


def _images_run(facts) -> list[ProcessDecl]:
    """The Python declarations, with a Dockerfile's CMD replaced by each compose service or Kubernetes container that
    runs that image without a command of its own: the same server, once per replica of each. A CMD that only
    deployments with their own command run (`command:` in compose, a container's `command`) does not run at all."""
    runs: dict[str, list] = {}
    for item in facts.node_processes:
        if getattr(item, "runner", None) == "image" and item.dockerfile:
            runs.setdefault(item.dockerfile, []).append(item)
    replaced = {decl.image for decl in facts.processes if decl.image}  # images whose CMD a command replaces
    declared = []
    for decl in facts.processes:
        # the Dockerfile that declares it, also once followed into the entrypoint script (`… CMD → bin/start.sh:38`)
        declared_in = decl.source.split(" ", 1)[0] if decl.source.split(" ", 1)[0] in runs.keys() | replaced else ""
        document = declared_in or decl.location.path
        for run in runs.get(document, [None]):
            if run is None:
                if document not in replaced:
                    declared.append(decl)
                continue
            changes = {
                "replicas": run.replicas,
                "surge": run.surge,
                "cpu_limit": run.cpu_limit,
                "env": decl.env + run.env,
            }
            declared.append(dataclasses.replace(decl, source=f"{run.source} ({decl.source})", **changes))
    return declared


def _with_steps(group: ProcessGroup, decl: ProcessDecl, configs, projects: list[str]) -> ProcessGroup:
    """The one-off steps the command runs first, and for an Alembic upgrade the alembic.ini it reads: the one in
    the command's folder, else the nearest in its project (Alembic reads `./alembic.ini` from where it runs)."""
    if not decl.one_offs:
        return group
    project = _project_of(decl.directory, projects)
    mine = [config for config in configs if _project_of(config.directory, projects) == project]
    mine.sort(key=lambda config: (config.directory != decl.directory, config.directory.count("/"), config.directory))
    return dataclasses.replace(group, one_offs=decl.one_offs, alembic=mine[0] if mine else None)


def deepest_first(projects) -> list[str]:
    """Project folders, the deepest first and the root last (`_project_of` takes the first that holds a folder):
    sorting by depth alone left the root among `worker` and `api` (depth 0 too) in a set's order, which changes from
    run to run, and the root read first owned their processes."""
    return sorted(set(projects), key=lambda p: (p != "", p.count("/"), p), reverse=True)


def _project_of(directory: str, projects: list[str]) -> str:
    for project in projects:  # deepest first
        if project == "" or directory == project or directory.startswith(project + "/"):
            return project
    return ""


def _cpus(settings: LinkSettings) -> dict[str, EnvBinding]:
    source = "given" if settings.cpus_given else "this machine's count"
    return {CPU_COUNT_VARIABLE: EnvBinding(CPU_COUNT_VARIABLE, settings.cpus, Location("", 0), source)}


def _config_for(decl: ProcessDecl, configs: dict[str, ProcessDecl]) -> ProcessDecl | None:
    """gunicorn's settings file: the one `-c` names, else `gunicorn.conf.py` in its working directory."""
    if decl.server != "gunicorn":
        return None
    name = decl.config_file or "gunicorn.conf.py"
    return configs.get(posixpath.normpath(posixpath.join(decl.directory or ".", name)).removeprefix("./"))


# --- processes and units ---------------------------------------------------------------------------------


def _group(
    decl: ProcessDecl, config: ProcessDecl | None, env: Environment, pools, settings, runtime=()
) -> ProcessGroup:
    options = decl.options
    merged = Obj(
        options.location,
        options.text,
        {**(config.options.entries if config else {}), **options.entries},
        {**(config.options.key_locations if config else {}), **options.key_locations},
    )
    if decl.server == "celery":
        merged = runtime_units.celery_config(merged, runtime)
    shape = _SHAPES[decl.server](merged, env)
    processes, units, manager = shape
    if math.isinf(getattr(units, "value", 0)) and (decl.server in ASGI_SERVERS or manager.startswith("gunicorn")):
        units = runtime_units.asgi_units(units, runtime, env)
    if decl.platform == "heroku" and _reads_web_concurrency(decl, merged, env):
        why = "Heroku's Python buildpack sets it at dyno boot from the dyno size (2 to 33), and no size is given"
        processes = Unknown("$WEB_CONCURRENCY", decl.location, why)
    cpu_dependent = isinstance(processes, Known) and "CPUs" in processes.via
    rollout = during_rollout(processes, decl.replicas, decl.surge)
    if isinstance(decl.replicas, Unknown):  # a count the deployment refuses: unknown, never 1
        processes = decl.replicas
    elif decl.replicas is not None and not isinstance(processes, Unknown):
        per = f"{processes.value} per container" + (f" [{processes.via}]" if getattr(processes, "via", "") else "")
        via = f"{per} × {cite(decl.replicas, 'replicas')}"
        processes = Known(processes.value * decl.replicas.value, processes.location, via)
    anchor = processes.location if not isinstance(processes, Default) else decl.location
    web = decl.server not in ("celery", "rq", "python")
    backend = manager if decl.server == "celery" and manager != "celery beat" else None
    connections = _engines(pools, env, settings, units, backend, manager, runtime)
    return ProcessGroup(
        decl.source,
        anchor,
        processes,
        manager,
        cpu_dependent,
        connections,
        env,
        units=units,
        web=web,
        rollout=rollout,
        cpu_limit=decl.cpu_limit,
        unpatched_driver=runtime_units.unpatched_psycopg2(manager, runtime),
        unpatched_pool=runtime_units.unpatched_pool(merged, runtime, env) if decl.server == "celery" else None,
    )


def _reads_web_concurrency(decl: ProcessDecl, options: Obj, env: Environment) -> bool:
    """gunicorn and uvicorn take their worker count from $WEB_CONCURRENCY when no `workers` is given."""
    return decl.server in ("gunicorn", "uvicorn") and "workers" not in options.entries and "WEB_CONCURRENCY" not in env


def _number(value) -> Known | Default | Unknown | None:
    """An evaluated count: a whole number, a numeric string, or Unknown."""
    if value is None or isinstance(value, Unknown):
        return value
    raw = value.value
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and not math.isnan(raw):
        return type(value)(numeric.whole(raw), value.location, getattr(value, "via", "") or getattr(value, "why", ""))
    return Unknown(str(value.value), value.location, "not a whole number")


def _workers(options: Obj, env: Environment, default_why: str) -> Known | Default | Unknown:
    """`workers`, else $WEB_CONCURRENCY (which gunicorn and uvicorn read), else 1."""
    workers = _number(evaluate(options.get("workers"), env))
    if isinstance(workers, Known) and "CPUs" in workers.via:  # keep the arithmetic: `cpu_count() * 2 + 1`
        workers = Known(workers.value, workers.location, f"`{options.get('workers').text}` with {workers.via}")
    if workers is not None:
        return workers
    concurrency = env.get("WEB_CONCURRENCY")
    if concurrency is not None and str(concurrency.value).isdigit():
        return Known(int(concurrency.value), concurrency.location, f"WEB_CONCURRENCY from {concurrency.source}")
    return Default(1, options.location, default_why)


def _gunicorn(options: Obj, env: Environment):
    workers = _workers(options, env, "gunicorn default: 1 worker ($WEB_CONCURRENCY is not set)")
    kind = evaluate(options.get("worker_class"), env)
    worker_class = _worker_class(str(kind.value)) if isinstance(kind, Known) else "sync"
    threads = _number(evaluate(options.get("threads"), env)) or Default(1, options.location, "gunicorn default")
    if worker_class == "sync" and isinstance(threads, Known) and threads.value > 1:
        worker_class = "gthread"  # gunicorn switches itself when threads > 1 (gunicorn/config.py, Threads)
    if isinstance(kind, Unknown):
        return workers, Unknown(kind.expression, kind.location, "the worker class decides the units"), "gunicorn"
    if any(name in worker_class.lower() for name in _ASYNC_WORKERS):
        units = Default(
            UNBOUNDED_UNITS, options.location, f"gunicorn {worker_class}: an ASGI worker serves many at once"
        )
    elif worker_class in ("gevent", "eventlet"):
        connections = _number(evaluate(options.get("worker_connections"), env))
        units = connections or Default(
            1000, options.location, f"gunicorn default worker_connections for {worker_class}"
        )
    elif worker_class == "gthread":
        units = threads
    else:
        units = Default(1, options.location, "gunicorn sync worker: one request at a time")
    return workers, units, f"gunicorn {worker_class}"


def _worker_class(written: str) -> str:
    """`gthread`, `gevent` or a path such as `gunicorn.workers.ggevent.GeventWorker`, as gunicorn's short name;
    async worker classes (uvicorn, aiohttp, tornado) keep their own name."""
    lower = written.lower()
    if any(name in lower for name in _ASYNC_WORKERS):
        return written
    for short, marker in (("gevent", "gevent"), ("eventlet", "eventlet"), ("gthread", "thread"), ("sync", "sync")):
        if marker in lower:
            return short
    return written


def _asgi(name: str):
    def shape(options: Obj, env: Environment):
        why = f"{name} default: 1 worker" + (" ($WEB_CONCURRENCY is not set)" if name == "uvicorn" else "")
        workers = (
            _workers(options, env, why)
            if name == "uvicorn"
            else (_number(evaluate(options.get("workers"), env)) or Default(1, options.location, why))
        )
        units = Default(UNBOUNDED_UNITS, options.location, f"{name}: an asyncio event loop serves many at once")
        return workers, units, name

    return shape


def _celery(options: Obj, env: Environment):
    """The worker's pool and concurrency as celery/bin/worker.py (5.6) takes them: `-P` unless it is `prefork` (the
    flag's default) and the configuration names a pool (`WorkersPool.convert`); `-c` unless 0 or absent, then
    `worker_concurrency`, then the CPUs (celery/worker/worker.py `WorkController.setup_instance`: `cpu_count()`,
    whatever the pool). Prefork runs that many processes of one task each; gevent, eventlet and threads run that
    many tasks at once in one process."""
    program = options.get("program")
    if program is not None and getattr(program, "value", "") == "beat":
        one = Default(1, options.location, "celery beat: one scheduler")
        return one, one, "celery beat"
    kind = evaluate(options.get("pool"), env)
    if "config_pool" in options.entries and (kind is None or getattr(kind, "value", None) == "prefork"):
        kind = evaluate(options.get("config_pool"), env)
    pool = runtime_units.celery_pool_name(str(kind.value)) if isinstance(kind, Known) else "prefork"
    concurrency = _celery_concurrency(options, env)
    one = Default(1, options.location, f"celery {pool}: one task per process")
    if pool in ("prefork", "processes"):
        return concurrency, one, "celery prefork"
    if pool == "solo":
        return Default(1, options.location, "celery solo pool"), one, "celery solo"
    return Default(1, options.location, f"celery {pool} pool: one process"), concurrency, f"celery {pool}"


def _celery_concurrency(options: Obj, env: Environment) -> Known | Default | Unknown:
    autoscale = evaluate(options.get("autoscale"), env)
    if isinstance(autoscale, Known) and re.match(r"\d+", str(autoscale.value)):
        return Known(int(str(autoscale.value).split(",")[0]), autoscale.location, "--autoscale maximum")
    for key in ("concurrency", "config_concurrency"):
        concurrency = _number(evaluate(options.get(key), env))
        if concurrency is not None and getattr(concurrency, "value", None) != 0:  # `-c 0`: the next source decides
            return concurrency
    cpus = env[CPU_COUNT_VARIABLE]
    return Known(cpus.value, options.location, f"celery default concurrency = {cpus.value} CPUs ({cpus.source})")


def _rq(options: Obj, env: Environment):
    one = Default(1, options.location, "rq worker: one job at a time in one process")
    two = Default(2, options.location, "rq worker: the worker and the work-horse it forks per job, 1 each")
    return one, two, "rq worker"


def _uwsgi(options: Obj, env: Environment):
    """uWSGI: `processes` (default 1) × `threads` (default 1); `gevent` N async cores per process."""
    processes = _number(evaluate(options.get("processes"), env)) or Default(1, options.location, "uWSGI default")
    gevent = _number(evaluate(options.get("gevent"), env))
    if gevent is not None:
        return processes, gevent, "uWSGI gevent"
    threads = _number(evaluate(options.get("threads"), env)) or Default(1, options.location, "uWSGI default: 1 thread")
    return processes, threads, "uWSGI"


def _python_process(options: Obj, env: Environment):
    """A Python program of the repository (`python -m project.worker`, `manage.py sendalerts`): one process; an
    asyncio program serves many at once, any other runs one thing at a time."""
    one = Default(1, options.location, "one Python process")
    if truthy(getattr(evaluate(options.get("asyncio"), env), "value", None)):
        return one, Default(UNBOUNDED_UNITS, options.location, "asyncio: an event loop runs many at once"), "python"
    threaded = options.get("threaded")  # `manage.py runserver`: one thread per request (extract/commands.py)
    if threaded is not None:
        return one, Default(UNBOUNDED_UNITS, threaded.location, str(threaded.value)), "python"
    threads = _number(evaluate(options.get("threads"), env))  # a management command's executor + main loop
    return one, threads or Default(1, options.location, "a Python program: one thread"), "python"


_SHAPES = {
    "gunicorn": _gunicorn,
    "celery": _celery,
    "rq": _rq,
    "uwsgi": _uwsgi,
    "python": _python_process,
    **{name: _asgi(name) for name in ASGI_SERVERS},
}


# --- pools -------------------------------------------------------------------------------------------------


def _engines(
    pools: list[PythonPool], env: Environment, settings: LinkSettings, units=None, celery=None, manager="", runtime=()
) -> tuple:
    """Each pool the processes open; Celery's result backend only in a Celery worker (`celery`: its manager);
    `runtime`: the project's runtime facts (pgconnlint/runtime_units.py)."""
    pools = [pool for pool in pools if not pool.disposed]  # short-lived: released before the function returns
    pools = [pool for pool in _branches_taken(pools, env) if not _other_database(pool, env)]
    own = [pool for pool in pools if pool.library not in ("flask-sqlalchemy", runtime_units.CELERY_BACKEND)]
    chosen = own + _flask_scope(pools, settings)
    engines = [
        _django(pool, env, units, manager, runtime) if pool.library == "django" else _engine(pool, env)
        for pool in chosen
    ]
    if celery is not None:
        engines += runtime_units.celery_backends(pools, env, celery)
    return tuple(engines)


def _branches_taken(pools: list[PythonPool], env: Environment) -> list[PythonPool]:
    """A pool whose branch cannot run in this environment (`if settings.DISABLE_POOL:` with the default False) is
    not opened; the pools of one function's exclusive branches (sqlite / NullPool / pooled) are alternatives, of
    which the largest counts."""
    taken = [pool for pool in pools if not any(_false(test, env) for test in pool.conditions)]
    by_function: dict[str, list[PythonPool]] = {}
    for pool in taken:
        if pool.branch:
            by_function.setdefault(pool.branch, []).append(pool)
    dropped = set()
    for alternatives in by_function.values():
        if len(alternatives) > 1 and all(_exclusive(a, b) for a in alternatives for b in alternatives if a is not b):
            worst = max(alternatives, key=lambda pool: _size_of(_engine(pool, env)))
            dropped |= {id(pool) for pool in alternatives if pool is not worst}
    return [pool for pool in taken if id(pool) not in dropped]


def _other_database(pool: PythonPool, env: Environment) -> bool:
    """An engine whose URL, as the environment gives it, names another database (`sqlite:///app.db`, the service's
    `DATABASE_URL=mysql+pymysql://…`) opens no PostgreSQL connection, as Django's are ruled out (`_ruled_out`); a
    URL that cannot be known is counted. The Celery result backend reads its own URL (runtime_units.py)."""
    if pool.url is None or pool.library == runtime_units.CELERY_BACKEND:
        return False
    url = evaluate(pool.url.get("url"), env)
    return isinstance(url, (Known, Default)) and not is_postgres_url(url.value)


def _false(test, env: Environment) -> bool:
    value = evaluate(test, env)
    return isinstance(value, (Known, Default)) and not truthy(value.value)


def _exclusive(one: PythonPool, other: PythonPool) -> bool:
    """One runs only where the other's test is false: the same test, taken in one and negated in the other."""

    def tests(pool, negated):
        return {(t.operand if negated else t).location for t in pool.conditions if isinstance(t, Not) == negated}

    return bool(tests(one, False) & tests(other, True)) or bool(tests(one, True) & tests(other, False))


def _size_of(connection: EngineConnection) -> tuple:
    size = connection.pools[0].max
    known = getattr(size, "value", math.inf)
    return (known, not isinstance(size, Default))


def _flask_scope(pools: list[PythonPool], settings: LinkSettings) -> list[PythonPool]:
    """Flask config classes: the one named after the environment (`ProductionConfig` for production, also
    `ProdConfig`), else module level, else the base class (`Config`, `BaseConfig`, `DefaultConfig`…)."""
    flask = [pool for pool in pools if pool.library == "flask-sqlalchemy"]
    scopes = sorted({pool.scope for pool in flask}, key=lambda name: (len(name), name))
    wanted = settings.environment.lower()
    exact = {f"{wanted}config", f"{wanted}settings"} | (
        {"prodconfig", "prodsettings"} if wanted in PRODUCTION else set()
    )
    chosen = next((s for s in scopes if s.lower() in exact), None)
    chosen = chosen or next((s for s in scopes if s.lower().startswith(wanted)), None)
    if chosen is None and "" in scopes:
        chosen = ""
    if chosen is None:  # the class the others extend: Config, BaseConfig, DefaultSettings…
        shared = [
            s for s in scopes if s.lower() in ("config", "settings") or re.search("base|default|common", s.lower())
        ]
        chosen = (shared or scopes or [None])[0]
    return [pool for pool in flask if pool.scope == chosen]


def _engine(pool: PythonPool, env: Environment) -> EngineConnection:
    options = pool.options
    poolclass = options.get("poolclass")
    kind = poolclass.text.rsplit(".", 1)[-1] if poolclass is not None else ""
    if pool.library == "psycopg_pool" or pool.library == "asyncpg":
        size, kept = _min_max_pool(pool, env)
        unbounded = None
    elif kind == "NullPool":
        size, kept, unbounded = Known(math.inf, poolclass.location, "NullPool: a new connection per checkout"), 0, None
    elif kind == "StaticPool":
        size, kept, unbounded = Known(1, poolclass.location, "StaticPool: one connection"), 0, None
    else:
        size, unbounded = _queue_pool(options, env, kind)
        kept = 0
    label = pool.source if pool.library == "flask-sqlalchemy" else f"{pool.source} in {pool.location.path}"
    return EngineConnection(
        source=pool,
        pools=(Pool(label, options.location, size, kept_open=kept),),
        connect_timeout_ms=_connect_timeout(pool, env),
        unbounded=unbounded,
        null_pool=kind == "NullPool",
        liveness_checked=any(
            truthy(getattr(evaluate(options.get(k), env), "value", None)) for k in ("pool_pre_ping", "pool_recycle")
        ),
    )


def _queue_pool(options: Obj, env: Environment, kind: str):
    """QueuePool (and AsyncAdaptedQueuePool): pool_size + max_overflow, 5 + 10 by default (sqlalchemy/pool/impl.py)."""
    size = _number(evaluate(options.get("pool_size"), env))
    overflow = _number(evaluate(options.get("max_overflow"), env))
    for value in (size, overflow):
        if isinstance(value, Unknown):
            return value, None
    if isinstance(overflow, Known) and overflow.value == -1:
        return Known(math.inf, overflow.location, "max_overflow=-1: no limit"), "max_overflow=-1 sets no limit"
    if isinstance(size, Known) and size.value == 0:
        why = "pool_size=0 sets no limit in SQLAlchemy 2.0+ (1.4 capped it at max_overflow)"
        return Known(math.inf, size.location, why), why
    size = size or Default(5, options.location, "SQLAlchemy default")
    overflow = overflow or Default(10, options.location, "SQLAlchemy default")
    total = size.value + overflow.value
    via = f"pool_size {_cite_short(size)} + max_overflow {_cite_short(overflow)}"
    if isinstance(size, Default) and isinstance(overflow, Default):
        return Default(total, options.location, "SQLAlchemy default: pool_size 5 + max_overflow 10"), None
    anchor = size if isinstance(size, Known) else overflow
    return Known(total, anchor.location, via), None


def _min_max_pool(pool: PythonPool, env: Environment):
    """psycopg_pool: min_size 4, max_size = min_size; asyncpg: min_size 10, max_size 10. Both open min_size at once."""
    options = pool.options
    default_min = 4 if pool.library == "psycopg_pool" else 10
    low = _number(evaluate(options.get("min_size"), env)) or Default(
        default_min, options.location, f"{pool.library} default"
    )
    high = _number(evaluate(options.get("max_size"), env))
    if high is None:
        if pool.library == "psycopg_pool" and not isinstance(low, Unknown):
            high = Default(low.value, options.location, "psycopg_pool: max_size defaults to min_size")
        else:
            high = Default(10, options.location, f"{pool.library} default")
    kept = low.value if not isinstance(low, Unknown) else 0
    return high, int(kept)


def _connect_timeout(pool: PythonPool, env: Environment) -> Known | Default | Unknown:
    """connect_args `connect_timeout` (psycopg) or `timeout` (asyncpg), or `connect_timeout=` in the URL; asyncpg's own
    pools default to 60 s. Unknown when the URL cannot be read: it may carry the timeout."""
    if pool.library == "asyncpg":
        value = evaluate(pool.options.get("timeout"), env)
        return value if value is not None else Default(60_000, pool.location, "asyncpg default timeout 60 s")
    args = pool.options.get("connect_args")
    for key in ("connect_timeout", "timeout"):
        value = evaluate(args.get(key), env) if isinstance(args, Obj) else None
        if isinstance(value, Known) and isinstance(value.value, (int, float)):
            return Known(value.value * 1000, value.location, value.via)
    from_url = _url_connect_timeout(pool, env, "connect_args")
    if from_url is not None:
        return from_url
    return Unknown("", pool.location, "the URL is not known; it may set connect_timeout")


def _url_connect_timeout(pool: PythonPool, env: Environment, elsewhere: str) -> Known | Default | Unknown | None:
    """`connect_timeout=` (libpq, seconds) in the pool's URL; None when the pool has no URL."""
    if pool.url is None:
        return None
    url = evaluate(pool.url.get("url"), env)
    if isinstance(url, Known) and isinstance(url.value, str):
        match = re.search(r"connect_timeout=(\d+)", url.value)
        if match:
            return Known(int(match.group(1)) * 1000, url.location, "connect_timeout in the URL")
        return Default(0, pool.location, f"no connect_timeout in {elsewhere} or in the URL")
    return Unknown(pool.url.text, pool.url.location, "the URL is not known; it may set connect_timeout")


def _cite_short(value) -> str:
    return f"{value.value} (default)" if isinstance(value, Default) else str(value.value)


# --- Django ------------------------------------------------------------------------------------------------


def _django_scope(pools: list[PythonPool], refs: list[DjangoSettingsRef], env: Environment, project: str) -> list:
    """Django's DATABASES of the settings module the processes run with: $DJANGO_SETTINGS_MODULE of the process
    (Dockerfile ENV, compose, .env), else the module manage.py/wsgi.py/asgi.py set by default (wsgi.py and asgi.py
    first: the servers import them), else the only settings module; settings that `from .base import *` are
    matched by their folder: its base/common/default module, else its first."""
    django = [pool for pool in pools if pool.library == "django"]
    if not django:
        return pools
    modules = sorted({pool.location.path for pool in django})
    stem = _settings_stem(refs, env, project)
    # no settings module names one: a deployable one first (not `configuration_testing.py`)
    chosen = sorted(modules, key=lambda m: role_of(m) != PRODUCTION_ROLE)[:1]
    if stem is not None:
        exact = [m for m in modules if _is_module(m, stem)]
        folder = [m for m in modules if posixpath.dirname(m) == posixpath.dirname(f"{stem}.py")]
        shared = [m for m in folder if re.search("base|common|default", posixpath.basename(m))]
        chosen = exact or (shared or folder)[:1] or chosen
    kept = _alternative([pool for pool in django if pool.location.path in chosen and not _ruled_out(pool, env)], env)
    return [pool for pool in pools if pool.library != "django"] + [_template_noted(pool, modules) for pool in kept]


def _settings_stem(refs: list[DjangoSettingsRef], env: Environment, project: str) -> str | None:
    """The settings module the processes run with, as a path without `.py`: $DJANGO_SETTINGS_MODULE of the process,
    else the one manage.py/wsgi.py/asgi.py set by default (wsgi.py and asgi.py first: the servers import them)."""
    binding = env.get("DJANGO_SETTINGS_MODULE")
    wanted = str(binding.value) if binding is not None else None
    if wanted is None and refs:
        first = sorted(refs, key=lambda r: (not r.location.path.endswith(("wsgi.py", "asgi.py")), r.location.path))
        wanted = first[0].module
    if wanted is None:
        return None
    return posixpath.join(project, wanted.replace(".", "/")) if project else wanted.replace(".", "/")


def _is_module(path: str, stem: str) -> bool:
    return path in (f"{stem}.py", f"{stem}/__init__.py") or path.endswith(f"/{stem}.py")


def _unread_databases(problems: list[ParseProblem], refs, env: Environment, project: str) -> tuple[Unknown, ...]:
    """DATABASES of the process's settings module computed by code (extract/django.py `_unread`, a PGC002): its
    connections are not counted, so the group's budget is "at least" and says where."""
    stem = _settings_stem(refs, env, project)
    return tuple(
        Unknown("DATABASES", problem.location, problem.message)
        for problem in problems
        if stem is not None and problem.drops and _is_module(problem.location.path, stem)
    )


def _template_noted(pool: PythonPool, modules: list[str]) -> PythonPool:
    """`configuration_example.py`, which the install guide copies to `configuration.py`: it stands for the file the
    repository does not commit, and the pool's name says so."""
    folder, name = posixpath.split(pool.location.path)
    stem, _, suffix = name.rpartition(".")
    for marker in _TEMPLATE_MARKERS:
        if stem.endswith(marker) and posixpath.join(folder, f"{stem.removesuffix(marker)}.{suffix}") not in modules:
            copied = f"{stem.removesuffix(marker)}.{suffix}"
            return dataclasses.replace(pool, source=f"{pool.source} ({name} stands for {copied}, not committed)")
    return pool


_TEMPLATE_MARKERS = ("_example", "_sample", "_template", "_dist")


def _ruled_out(pool: PythonPool, env: Environment) -> bool:
    """A part of the test known false rules the branch out, even when another part cannot be decided."""
    parts, conjuncts = [pool.when], []
    while parts:
        part = parts.pop()
        if isinstance(part, Logical) and part.op == "&&":
            parts += [part.left, part.right]
        elif part is not None:
            conjuncts.append(part)
    tests = [evaluate(part, env) for part in conjuncts]
    if any(isinstance(test, Known) and not truthy(test.value) for test in tests):
        return True
    url = evaluate(pool.options.get("URL"), env)  # `dj_database_url.config(default="sqlite://…")`, $DATABASE_URL unset
    return isinstance(url, Known) and not is_postgres_url(url.value)


def _alternative(pools: list[PythonPool], env: Environment) -> list[PythonPool]:
    """Of the `DATABASES` assignments a settings module makes under module-level tests, the last that may hold: a
    test the environment cannot decide is said in the pool's name, never summed with the other branches."""
    last = max((pool.alternative for pool in pools), default=0)
    kept = []
    for pool in pools:
        if pool.alternative != last:
            continue
        test = evaluate(pool.when, env)
        if isinstance(test, Unknown):
            pool = dataclasses.replace(pool, source=f"{pool.source} (if {pool.when.text}: {test.reason})")
        kept.append(pool)
    return kept


def _django(pool: PythonPool, env: Environment, units, manager: str = "", runtime=()) -> EngineConnection:
    """Django 5.1+ `OPTIONS["pool"]` is a psycopg_pool per process (True: its defaults, min_size 4 and max_size =
    min_size, psycopg_pool/base.py `BasePool.__init__`/`_check_size`). Without it Django opens one connection per
    thread that runs a request or task, so the pool's maximum is the process' units."""
    options = pool.options
    where = options.location
    label = f"{pool.source} in {pool.location.path}"
    setting = evaluate(options.get("OPTIONS.pool"), env)
    kept = 0
    if isinstance(options.get("OPTIONS.pool"), Obj):
        size, kept = _min_max_pool(
            dataclasses.replace(pool, library="psycopg_pool", options=options.get("OPTIONS.pool")), env
        )
        label += " (Django OPTIONS pool: psycopg_pool)"
    elif isinstance(setting, Known) and truthy(setting.value):
        why = "Django OPTIONS pool=True: psycopg_pool defaults, min_size 4 and max_size = min_size"
        size, kept = Default(4, setting.location, why), 4
        label += " (Django OPTIONS pool: psycopg_pool)"
    else:
        leaked = _kept_by_greenlets(options, env, manager, runtime)
        size = leaked or _per_thread(where, units)
        kept = math.inf if leaked else 0  # what finished greenlets leave open is held at once, beyond the units
        label += " (Django: one connection per thread)"
    health = evaluate(options.get("CONN_HEALTH_CHECKS"), env)
    age = evaluate(options.get("CONN_MAX_AGE"), env)
    closed_per_request = options.get("CONN_MAX_AGE") is None or (isinstance(age, Known) and age.value == 0)
    return EngineConnection(
        source=pool,
        pools=(Pool(label, where, size, kept_open=kept),),
        connect_timeout_ms=_django_timeout(pool, env),
        unbounded=None,
        null_pool=False,
        # CONN_MAX_AGE 0 (Django's default) closes the connection after each request: nothing stale is kept
        liveness_checked=(isinstance(health, Known) and truthy(health.value)) or (closed_per_request and not kept),
    )


def _kept_by_greenlets(options: Obj, env: Environment, manager: str, runtime=()) -> Known | None:
    """`CONN_MAX_AGE` > 0 (or None) under gevent/eventlet: each greenlet's connection outlives the greenlet, which
    never comes back to close it, so the connections follow the traffic like NullPool's (issue 17: 2 workers × 10
    greenlets reached 91 and kept rising). Unbounded, whatever worker_connections says. A Celery worker whose
    requirement is 5.6 or later closes each task's connections itself (pgconnlint/runtime_units.py)."""
    if not any(name in manager for name in ("gevent", "eventlet")) or options.get("CONN_MAX_AGE") is None:
        return None
    if manager.startswith("celery") and runtime_units.celery_closes_django_connections(runtime):
        return None
    age = evaluate(options.get("CONN_MAX_AGE"), env)
    if not isinstance(age, Known) or not (age.value is None or _positive(age.value)):
        return None
    kept = "forever (None)" if age.value is None else f"{age.value} s"
    why = f"CONN_MAX_AGE {kept} under {manager}: connections of finished greenlets stay open, no bound"
    if manager.startswith("celery"):
        why += " (Celery up to 5.5 keeps them after each task; no requirement pins celery >= 5.6, which closes them)"
    return Known(math.inf, age.location, why)


def _positive(value) -> bool:
    try:
        return float(value) > 0
    except (TypeError, ValueError):
        return False


def _per_thread(where: Location, units) -> Known | Default | Unknown:
    if units is None:
        return Default(1, where, "Django: one connection per thread; no server or worker runs it, so 1")
    if isinstance(units, Unknown):
        return Unknown(units.expression, units.location, f"Django: one connection per thread; {units.reason}")
    if math.isinf(units.value):
        return Known(math.inf, units.location, "Django under an ASGI server: one connection per request thread")
    return Known(units.value, units.location, f"Django: one connection per thread, {units.value} {origin(units)}")


def _django_timeout(pool: PythonPool, env: Environment) -> Known | Default | Unknown:
    """OPTIONS `connect_timeout` (libpq, seconds), else `connect_timeout=` in a dj_database_url URL."""
    value = evaluate(pool.options.get("OPTIONS.connect_timeout"), env)
    seconds = _number(value) if isinstance(value, Known) else None
    if isinstance(seconds, Known):
        return Known(seconds.value * 1000, value.location, "OPTIONS connect_timeout")
    from_url = _url_connect_timeout(pool, env, "OPTIONS")
    if from_url is not None:
        return from_url
    return Default(0, pool.location, "no connect_timeout in OPTIONS")
