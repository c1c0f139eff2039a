"""The pipeline: discover → extract → link → checks → filter."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pgconnlint import catalogue, confine, parallel, reach_python, suppressions
from pgconnlint.budget import Budget, budgets
from pgconnlint.checks import CHECKS
from pgconnlint.checks.options import CheckOptions
from pgconnlint.discover import DEFAULT_EXCLUDES, Candidate, discover, read_text
from pgconnlint.extract import compose
from pgconnlint.filter import FilterOptions, apply_filters
from pgconnlint.findings import Finding
from pgconnlint.link import link
from pgconnlint.linked import Facts, LinkSettings, Project
from pgconnlint.model import EnvBinding, Known, Location, ParseProblem, Pooler, ServerConfig, Severity


@dataclass(frozen=True, slots=True)
class LintOptions:
    """The options of one run, resolved from the command line and the configuration."""

    environment: str = "production"
    cpus: int | None = None  #: None: this machine's count
    select: frozenset[str] | None = None  #: codes; None selects every rule
    ignore: frozenset[str] = frozenset()
    headroom: float = 0.8
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES
    severity: Mapping[str, Severity] = field(default_factory=dict)  #: code -> level, over the catalogue's
    env: tuple[EnvBinding, ...] = ()
    processes: Mapping[str, Known] = field(default_factory=dict)
    server: str | None = None
    deployment: str | None = None  #: budget this deployment only (pgconnlint/deployments.py)
    server_profile: ServerConfig | None = None  #: a managed server from configuration (pgconnlint/providers.py)
    helm_values: tuple[str, ...] = ()  #: values files for `helm template`
    postgres_version: int | None = None
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    only_paths: frozenset[str] | None = None  #: pre-commit: report only what concerns these files
    server_memory: int | None = None  #: bytes, from the configuration's `server-memory`
    jobs: int | None = None  #: worker processes for parsing; None: the usable CPUs, at most 4 (pgconnlint/parallel.py)


@dataclass(frozen=True, slots=True)
class Result:
    """What one run found, and what the reporters print it from."""

    root: Path
    findings: list[Finding]
    project: Project
    budgets: list[Budget]
    files: int  #: candidate files read


def lint(root: Path, options: LintOptions = LintOptions()) -> Result:
    root = root.resolve()
    confine.forget()  # the folders an earlier run in this process resolved may have changed since
    candidates = discover(root, options.excludes)
    facts = extract_all(root, candidates, options.helm_values, jobs=options.jobs)
    settings = LinkSettings(
        environment=options.environment,
        cpus=options.cpus or os.cpu_count() or 1,
        cpus_given=options.cpus is not None,
        env=options.env,
        processes=options.processes,
        server=options.server,
        deployment=options.deployment,
        server_profile=options.server_profile,
        postgres_version=options.postgres_version,
    )
    with parallel.run_with(options.jobs):  # reach_python.py reads the modules processes import
        project = link(facts, settings)
    project_budgets = budgets(project)  # once per run: the checks and the reporters share them
    findings = run_checks(project, options, project_budgets)
    selected = None if options.select is None else frozenset(options.select - options.ignore)
    if selected is None and options.ignore:
        selected = frozenset(catalogue.load()) - options.ignore
    filter_options = FilterOptions(
        per_file_ignores=options.per_file_ignores,
        only_paths=options.only_paths,
        selected=selected,
        unused_severity=options.severity.get("PGC004"),
    )
    findings = apply_filters(findings, project.suppressions, filter_options)
    return Result(root, findings, project, project_budgets, len(candidates))


def run_checks(project: Project, options: LintOptions, project_budgets: list[Budget] | None = None) -> list[Finding]:
    rules = catalogue.load()
    names = frozenset(code for rule in rules.values() for code in (rule.code, rule.name, *rule.aliases))
    computed = tuple(project_budgets) if project_budgets is not None else None
    check_options = CheckOptions(options.headroom, names, options.server_memory, computed)
    found: dict[tuple, Finding] = {}
    for code, check in CHECKS:
        if (options.select is not None and code not in options.select) or code in options.ignore:
            continue
        rule = rules[code]
        severity = options.severity.get(code, rule.severity)
        for item in check(project, check_options):
            item = dataclasses.replace(item, severity=severity, name=rule.name)
            # One config run by two apps is one problem in one place: keep the first report.
            found.setdefault((item.code, item.location, item.data.get("parameter")), item)
    return sorted(found.values(), key=lambda f: f.sort_key)


#: seconds a run may spend reading files; what is left unread then is a PGC002 each, never a hang (docs/security.md)
RUN_SECONDS = 300.0


def extract_all(
    root: Path,
    candidates: list[Candidate],
    helm_values: tuple[str, ...] = (),
    seconds: float = RUN_SECONDS,
    jobs: int | None = 1,
) -> Facts:
    """Every candidate through its extractor, in discovery's order; with `jobs` > 1 the costly kinds are parsed in
    worker processes (pgconnlint/parallel.py) and their facts merged in that same order: the serial result."""
    facts = Facts(root=root)
    deadline = time.monotonic() + seconds
    forked = _forked(root, candidates, helm_values, parallel.workers_for(jobs), deadline, seconds)
    with contextlib.closing(forked) if forked is not None else contextlib.nullcontext():  # Ctrl-C stops the workers
        for candidate in candidates:
            if forked is not None and candidate.kind in PARALLEL_KINDS:
                delta, remembered = next(forked)
                _merge(facts, delta)
                reach_python.adopt_remembered(remembered)
            elif time.monotonic() > deadline:
                facts.problems.append(_unread(candidate, seconds))
            else:
                _extract(candidate.kind, root, candidate.path, facts, **_extras(candidate, helm_values))
    _read_named_dockerfiles(root, candidates, facts)
    facts.server_commands.extend(compose.confirm_built_servers(facts.compose_services, _dockerfile_reader(root)))
    _read_env_files(root, facts)
    _read_mounted_configs(root, facts)
    resolved = _resolve_deployments(root, facts)
    _link_published_images(root, candidates, facts)  # after Terraform's services, whose images it links too
    if "terraform" in resolved:  # only Terraform declares them: its modules cost ~10 ms to import (issue 19)
        _lazy("terraform_apps", "report_unbuilt")(facts)  # the images of those services that nothing builds
    _lazy("imported_values", "resolve")(root, facts)  # pool settings another module of the repository holds
    _lazy("follow", "resolve")(root, facts)  # entrypoint scripts, modules and ini files commands name
    _lazy("follow_node", "resolve")(root, facts)  # the Node processes entrypoint scripts start
    _read_named_gunicorn_configs(root, facts)
    _read_named_sequelize_configs(root, facts)
    _read_named_pm2_files(root, facts)
    return facts


#: kinds whose extractors cost milliseconds a file (a parse by libcst, tree-sitter or a YAML composer) and read
#: nothing but their own file: parsed in worker processes when the run is parallel. A kind that reads facts other
#: files gave (prisma-schema reads the `.env` beside it) must stay out, and so must the Dockerfile: the `dockerfile`
#: package is Go, whose runtime deadlocks in a forked child once the parent has started it.
PARALLEL_KINDS = frozenset(
    {"python-code", "typeorm-code", "compose", "alembic", "kubernetes", "helm-chart", "terraform"}
)
#: bytes of those kinds' files a second process would read (half of them, or all but the largest file if fewer)
#: below which the run stays serial: forking, the imports each worker repeats and sending facts back cost more than
#: they save (measured: docs/configuration.md, "Parsing on several CPUs")
PARALLEL_MIN_BYTES = 400_000


def _forked(
    root: Path, candidates: list[Candidate], helm_values: tuple[str, ...], workers: int, deadline: float, seconds: float
):
    """The facts of each PARALLEL_KINDS candidate, in order, read by `workers` processes; None to read serially."""
    chosen = [c for c in candidates if c.kind in PARALLEL_KINDS]
    sizes = [_size(root, c) for c in chosen]
    # what a second process takes off the longest path: half the bytes, less when one file is most of them
    spared = min(sum(sizes) - max(sizes, default=0), sum(sizes) // 2)
    if workers <= 1 or spared < PARALLEL_MIN_BYTES:
        return None
    # The smallest file of each kind is read here, before forking: its parsers and their modules are then imported
    # once, in the process whose later steps use them too, instead of once in every worker. libcst too, which the
    # linker needs for the pools of reached files (0.2 s).
    if any(c.kind == "python-code" for c in chosen):
        import libcst.metadata  # noqa: F401
    smallest: dict[str, int] = {}
    for index, candidate in enumerate(chosen):
        if sizes[index] < sizes[smallest.setdefault(candidate.kind, index)]:
            smallest[candidate.kind] = index
    here = {index: _alone(root, chosen[index], helm_values) for index in sorted(smallest.values())}

    def work(candidate: Candidate):
        reach_python.take_remembered()  # what the parent held when it forked is the parent's already
        return _alone(root, candidate, helm_values)[0], reach_python.take_remembered()

    def lost(candidate: Candidate, why: str):
        facts = Facts()
        if why == parallel.LOST_TIME:
            facts.problems.append(_unread(candidate, seconds))
        else:
            message = "the process reading it crashed; not checked" if why == parallel.LOST_DIED else None
            message = message or "internal error while reading it; not checked"
            facts.problems.append(ParseProblem(Location(candidate.path, 1), message, skipped=True))
        return facts, {}

    rest = parallel.ordered([c for i, c in enumerate(chosen) if i not in here], work, lost, workers, deadline)
    return _in_order(len(chosen), here, rest)


def _in_order(count: int, here: dict[int, tuple[Facts, dict]], rest: Iterator[tuple[Facts, dict]]):
    try:
        for index in range(count):
            yield here[index] if index in here else next(rest)
    finally:
        rest.close()


def _alone(root: Path, candidate: Candidate, helm_values: tuple[str, ...]) -> tuple[Facts, dict]:
    """One candidate's facts on their own, to be merged in order."""
    facts = Facts(root=root)
    _extract(candidate.kind, root, candidate.path, facts, **_extras(candidate, helm_values))
    return facts, {}


def _size(root: Path, candidate: Candidate) -> int:
    try:
        return (root / candidate.path).stat().st_size
    except OSError:
        return 0  # its extractor says why


def _merge(facts: Facts, delta: Facts) -> None:
    for name in _FACT_LISTS:
        getattr(facts, name).extend(getattr(delta, name))


_FACT_LISTS = tuple(f.name for f in dataclasses.fields(Facts) if f.name != "root")


def _extras(candidate: Candidate, helm_values: tuple[str, ...]) -> dict:
    return {"values_files": helm_values} if candidate.kind == "helm-chart" else {}


def _unread(candidate: Candidate, seconds: float) -> ParseProblem:
    message = f"the run's time budget of {seconds:g} s was spent on other files; not read"
    return ParseProblem(Location(candidate.path, 1), message, skipped=True)


def _extract(kind: str, root: Path, path: str, facts: Facts, **extras) -> None:
    """One file through its extractor: whatever goes wrong inside stays this file's problem, and every other file
    is still read (a crash in a reader must never look like findings, nor stop the run)."""
    try:
        _EXTRACTORS[kind](root, path, facts, **extras)
    except (RecursionError, MemoryError):
        facts.problems.append(ParseProblem(Location(path, 1), "nested too deeply to read; not checked"))
    except Exception as error:  # noqa: BLE001 - a reader's bug on hostile input: reported, never raised
        message = f"internal error while reading it ({type(error).__name__}); not checked"
        facts.problems.append(ParseProblem(Location(path, 1), message, skipped=True))


#: formats whose documents are linked together once every file is read: the module's `resolve(root, facts)`
_DEPLOYMENT_FORMATS = ("kubernetes", "helm", "terraform", "platforms")


def _resolve_deployments(root: Path, facts: Facts) -> list[str]:
    """The formats of the deployment documents read, each resolved by its module; returns their names."""
    import importlib

    modules = {type(item).__module__ for item in facts.deployment}
    resolved = [name for name in _DEPLOYMENT_FORMATS if f"pgconnlint.extract.{name}" in modules]
    for name in resolved:
        importlib.import_module(f"pgconnlint.extract.{name}").resolve(root, facts)
    return resolved


def _link_published_images(root: Path, candidates: list[Candidate], facts: Facts) -> None:
    """A compose service that runs `image: ghcr.io/org/api` with no build runs the Dockerfile that builds that image:
    another compose service's `build:` with the same `image:`, or a workflow or a script of the repository that
    publishes it (extract/image_builds.py)."""
    from pgconnlint.extract import image_builds, yamlsource

    node = [i for i, d in enumerate(facts.node_processes) if getattr(d, "image", None) and not d.dockerfile]
    python = [i for i, d in enumerate(facts.processes) if d.image_name and not d.image]
    if not node and not python:
        return
    built = {image_builds.repository(s.image): s.dockerfile for s in facts.compose_services if s.image and s.dockerfile}
    contexts: dict[str, str] = {}  # the build context a script or Cloud Build names: COPY sources are relative to it
    for candidate in candidates:
        workflow, script = image_builds.is_workflow(candidate.path), candidate.kind == "docker-run"
        text = read_text(root, candidate.path) if workflow or script else None
        if isinstance(text, str) and image_builds.is_cloud_build(candidate.path):
            built = image_builds.from_cloud_build(yamlsource.load(candidate.path, text)[0], contexts) | built
        elif isinstance(text, str) and workflow:
            built = image_builds.from_workflow(yamlsource.load(candidate.path, text)[0]) | built
        elif isinstance(text, str):
            built = image_builds.from_script(text, contexts) | built
    for index in node:
        decl = facts.node_processes[index]
        dockerfile = built.get(image_builds.repository(decl.image))
        if dockerfile is not None:
            facts.node_processes[index] = dataclasses.replace(decl, dockerfile=dockerfile)
    for index in python:
        decl = facts.processes[index]
        name = image_builds.repository(decl.image_name)
        if built.get(name) is not None:
            directory = contexts.get(name, decl.directory)
            facts.processes[index] = dataclasses.replace(decl, image=built[name], directory=directory)


def _read_env_files(root: Path, facts: Facts) -> None:
    """compose `env_file:`: its bindings go under the service's own `environment:` (extract/dotenv.py `read_named`)."""
    from pgconnlint.extract import dotenv

    for index, decl in enumerate(facts.processes):
        if decl.env_files:
            bindings = [binding for path in decl.env_files for binding in dotenv.read_named(root, path)]
            facts.processes[index] = dataclasses.replace(decl, env=(*bindings, *decl.env))


def _dockerfile_reader(root: Path) -> Callable[[str], str | None]:
    def read(path: str) -> str | None:
        text = read_text(root, path)
        return None if isinstance(text, ParseProblem) else text

    return read


def _read_named_dockerfiles(root: Path, candidates: list[Candidate], facts: Facts) -> None:
    """`build: {dockerfile: Dockerfile-production}`: a Dockerfile of any name, read because a compose service builds
    it, before anything links the service to the processes its image runs."""
    named = [(service.dockerfile, service.location) for service in facts.compose_services if service.dockerfile]
    _read_named(root, facts, "dockerfile", named, {c.path for c in candidates if c.kind == "dockerfile"})


def _read_named_gunicorn_configs(root: Path, facts: Facts) -> None:
    """`gunicorn -c conf/prod.py`: a settings file of any name, read because a command names it."""
    import posixpath

    named = [
        (posixpath.normpath(posixpath.join(decl.directory or ".", decl.config_file)), decl.location)
        for decl in facts.processes
        if decl.server == "gunicorn" and decl.config_file
    ]
    read = {decl.source for decl in facts.processes if decl.server == "gunicorn-config"}
    _read_named(root, facts, "gunicorn-config", named, read)


def _read_named_sequelize_configs(root: Path, facts: Facts) -> None:
    """`.sequelizerc` names sequelize-cli's configuration file (`config: path.resolve('config', 'database.json')`),
    of any name: read it as one, JSON or JS."""
    from pgconnlint.extract.node_pools import named_sequelize_configs

    read = {fact.location.path for fact in facts.node_pools if getattr(fact, "library", "") == "sequelize"}
    naming = next((f.location for f in facts.node_pools if getattr(f, "library", "") == "sequelizerc"), None)
    _read_named(root, facts, "sequelize-config", [(p, naming) for p in named_sequelize_configs(facts.node_pools)], read)


def _read_named_pm2_files(root: Path, facts: Facts) -> None:
    """`pm2 start|startOrRestart|reload deploy/apps.yml`: an ecosystem file of any name, read because a command
    (a script, a Dockerfile, a compose service) names it."""
    import posixpath

    named = [
        (posixpath.normpath(posixpath.join(decl.directory or ".", decl.script)), decl.location)
        for decl in facts.node_processes
        if getattr(decl, "ecosystem", False) and decl.script and not decl.script.startswith("/")
    ]
    _read_named(root, facts, "pm2", named, {app.file for app in facts.pm2})


def _read_mounted_configs(root: Path, facts: Facts) -> None:
    """A server command's `-c config_file=` may name a mounted repository file of any name: read it too. One the
    repository does not hold (a gitignored copy of a sample) is said: the server's settings are then PostgreSQL's
    defaults here, which that file may well change."""
    named = [(command.config_file, command.location) for command in facts.server_commands if command.config_file]
    _read_named(root, facts, "pgconf", named, {server.name for server in facts.servers}, _missing_config)


def _missing_config(path: str, where: Location) -> ParseProblem:
    message = f"the config_file this server starts with is mounted from {path}, which is not in the repository:"
    message += " its settings (max_connections…) are PostgreSQL's defaults here, whatever that file sets"
    help_text = "commit the file, or a copy of it with the settings production runs with"
    return ParseProblem(where, message, skipped=True, help=help_text)


def _read_named(
    root: Path,
    facts: Facts,
    kind: str,
    named,
    read: set[str],
    missing: Callable[[str, Location], ParseProblem] | None = None,
) -> None:
    """Files that discovery cannot tell by name, read because another file names them: each once, with the
    extractor of `kind`. `named` holds (path, where it is named) pairs, taken whole first: reading adds facts to the
    lists it came from. A path that leads out of the tree (`..`, absolute, through a folder link) is a PGC002 at the
    place that names it, naming the path and never its content (pgconnlint/confine.py); one that is not there is
    `missing(path, where)` when the caller says so (a mounted config_file), else nothing."""
    for path, where in list(named):
        if path in read:
            continue
        read.add(path)
        try:
            real = confine.inside(root, path)
        except confine.Refused as refused:
            at = where or Location(path, 1)
            facts.problems.append(ParseProblem(Location(at.path, at.line, at.column), str(refused), skipped=True))
            continue
        if real.is_file():
            _extract(kind, root, path, facts)
        elif missing is not None and where is not None and not os.path.lexists(real):
            facts.problems.append(missing(path, where))


def _route(facts: Facts, item: object) -> None:
    """Each fact goes to its list in `Facts`, by type: extractors return whatever their format holds."""
    getattr(facts, _ROUTES[type(item).__name__]).append(item)


_ROUTES = {
    "TypeOrmConfig": "node_pools",
    "Pm2App": "pm2",
    "EnvFile": "env_files",
    "PackageManifest": "packages",
    "PythonPool": "python_pools",
    "PendingPools": "python_pools",  # in file order with the others; parsed when linked (link_python.py)
    "PythonRuntime": "python_runtime",
    "ProcessDecl": "processes",
    "ServerCommand": "server_commands",
    "EnvBinding": "credentials",  # environment values no followed process holds (PGC403)
    "ComposeService": "compose_services",  # which deployment variant starts what (pgconnlint/deployments.py)
    "Pooler": "poolers",
    "Bouncer": "bouncers",
    "HbaRule": "hba_rules",
    "NodePool": "node_pools",  # linked by package with TypeORM's connections (pgconnlint/link.py `_connections`)
    "NodeProcessDecl": "node_processes",  # Node processes on command lines (extract/node_commands.py)
    "NodeFork": "node_processes",  # workers an app forks itself (cluster, throng)
    # Django's settings module as manage.py/wsgi.py name it; link_python.py takes these out before any pool use
    "DjangoSettingsRef": "django_settings",
    "FunctionDecl": "functions",
    "ConnectionLimit": "connection_limits",  # role and database limits (pgconnlint/role_limits.py)
    # linked across files by each format's `resolve` (`_resolve_deployments`)
    "KubeWorkload": "deployment",
    "KubeAutoscaler": "deployment",
    "KubeConfigMap": "deployment",
    "KubeService": "deployment",
    "HelmChart": "deployment",
    "TerraformBlock": "deployment",
    "HerokuFormation": "deployment",
    "FlyApp": "deployment",
    "ServerlessService": "deployment",
}


def _text_extractor(function: Callable):
    def run(root: Path, path: str, facts: Facts) -> None:
        text = read_text(root, path)
        if isinstance(text, ParseProblem):
            facts.problems.append(text)
            return
        facts.suppressions.extend(suppressions.scan(path, text))
        found, problems = function(path, text)
        facts.problems.extend(problems)
        for item in found if isinstance(found, list) else [found] if found is not None else []:
            _route(facts, item)

    return run


def _pgconf(root: Path, path: str, facts: Facts) -> None:
    from pgconnlint.extract import pgconf

    server, problems = pgconf.extract(root, path)
    facts.problems.extend(problems)
    if any(p.skipped and p.location == Location(path, 1) for p in problems):
        return  # not read (binary, too large, UTF-16, a link out): no server, so no budget and no PGC315 on it
    facts.servers.append(server)
    text = read_text(root, path)
    if isinstance(text, str):
        facts.suppressions.extend(suppressions.scan(path, text))


def _python_project(root: Path, path: str, facts: Facts) -> None:
    """pyproject.toml, setup.py, requirements.txt…: where a Python project starts, and whether it declares psycopg2
    or psycogreen (extract/python_runtime.py)."""
    facts.python_projects.append(path.rpartition("/")[0])
    _text_extractor(_lazy("python_runtime", "extract_requirements"))(root, path, facts)


def _prisma_schema(root: Path, path: str, facts: Facts) -> None:
    """schema.prisma. Prisma (up to 6) also loads the `.env` beside the schema, after the project's own, which wins
    (prisma/prisma packages/internals/src/utils/tryLoadEnvs.ts): its variables go with the datasource, as fallbacks.
    NOTE: discovery sorts paths, and `.env` sorts before any schema file of its folder, so it is already read here."""
    from pgconnlint.extract import prisma

    folder = path.rpartition("/")[0]
    beside = next((f for f in facts.env_files if f.path == (f"{folder}/.env" if folder else ".env")), None)

    def extract(path: str, text: str):
        pools, problems = prisma.extract(path, text)
        fallback = beside.bindings if beside is not None else ()
        return [dataclasses.replace(pool, fallback_env=fallback) for pool in pools], problems

    _text_extractor(extract)(root, path, facts)


def _lazy(module: str, function: str) -> Callable:
    """Import an extractor on first use: parsers are heavy and a pre-commit run may need none of them."""

    def call(*args, **keywords):
        import importlib

        return getattr(importlib.import_module(f"pgconnlint.extract.{module}"), function)(*args, **keywords)

    return call


_EXTRACTORS = {
    "pgconf": _pgconf,
    "ormconfig": _text_extractor(_lazy("typeorm", "extract_ormconfig")),
    # TypeORM's and the other Node pools, and the workers the app forks (cluster, throng)
    "typeorm-code": _text_extractor(_lazy("node_commands", "extract_code")),
    "knexfile": _text_extractor(_lazy("node_pools", "extract_knexfile")),
    "sequelize-config": _text_extractor(_lazy("node_pools", "extract_sequelize_config")),
    "sequelizerc": _text_extractor(_lazy("node_pools", "extract_sequelizerc")),
    "prisma-config": _text_extractor(_lazy("prisma", "extract_config")),
    "prisma-schema": _prisma_schema,
    "pm2": _text_extractor(_lazy("pm2", "extract")),
    "dotenv": _text_extractor(_lazy("dotenv", "extract")),
    "package": _text_extractor(_lazy("node_commands", "extract_package")),  # the manifest and its scripts
    "python-code": _text_extractor(_lazy("django", "extract")),  # SQLAlchemy's pools, and Django's DATABASES
    "gunicorn-config": _text_extractor(_lazy("gunicorn", "extract")),
    "procfile": _text_extractor(_lazy("procfile", "extract")),
    "systemd": _text_extractor(_lazy("systemd", "extract")),
    "dockerfile": _text_extractor(_lazy("dockerfile", "extract")),
    "compose": _text_extractor(_lazy("compose", "extract")),
    "docker-run": _text_extractor(_lazy("postgres_command", "extract")),
    "python-project": _python_project,
    "pooler": lambda root, path, facts: facts.poolers.append(Pooler(Location(path, 1), path)),
    "pgbouncer": _text_extractor(_lazy("pgbouncer", "extract")),
    "alembic": _lazy("alembic", "extract"),  # (root, path, facts): reads the env.py the ini names
    "hba": _text_extractor(_lazy("hba", "extract")),
    "kubernetes": _text_extractor(_lazy("kubernetes", "extract")),
    "helm-chart": _lazy("helm", "extract_chart"),  # (root, path, facts): reads values files beside Chart.yaml
    "terraform": _text_extractor(_lazy("terraform", "extract")),
    "heroku-app": _text_extractor(_lazy("platforms", "extract_heroku")),
    "fly": _text_extractor(_lazy("platforms", "extract_fly")),
    "serverless": _text_extractor(_lazy("platforms", "extract_serverless")),
    "vercel": _text_extractor(_lazy("platforms", "extract_vercel")),
    "netlify": _text_extractor(_lazy("platforms", "extract_netlify")),
    "sql": _text_extractor(_lazy("sql_limits", "extract_sql")),  # role and database CONNECTION LIMITs
    "sql-in-code": _text_extractor(_lazy("sql_limits", "extract_code")),  # …in a migration's string literals
}
