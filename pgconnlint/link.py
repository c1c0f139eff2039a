"""Which pools run in which processes, and against which server: the linked project the rules read.

Linking is by proximity (DESIGN.md): a pm2 app runs the TypeORM connections of the package its
`cwd`/`script` lies in (the nearest package.json). Every value is evaluated in the environment of the
process that runs it: the package's `.env` files, then pm2's `env`, then `env_<name>`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import PurePosixPath

from pgconnlint import numeric
from pgconnlint.clients import pg
from pgconnlint.deployments import declaring_documents
from pgconnlint.discover import ORMCONFIG_SUFFIXES
from pgconnlint.expr import CPU_COUNT_VARIABLE, Arr, Environment, Expr, Lit, Obj, evaluate
from pgconnlint.extract.imported_values import pending_pools
from pgconnlint.extract.typeorm import config_from_environment, is_postgres
from pgconnlint.link_bun import bun_connections
from pgconnlint.link_functions import function_group
from pgconnlint.link_node import node_connections, per_module
from pgconnlint.link_python import python_groups
from pgconnlint.linked import (
    PG_POOL_DEFAULT_MAX,
    POOLSIZE_SINCE,
    Facts,
    LinkError,
    LinkSettings,
    OrmConnection,
    Pool,
    ProcessGroup,
    Project,
    during_rollout,
    times,
)
from pgconnlint.model import (
    Default,
    EnvBinding,
    EnvFile,
    FunctionDecl,
    Known,
    Location,
    NodeFork,
    NodePool,
    NodeProcessDecl,
    PackageManifest,
    ParseProblem,
    TypeOrmConfig,
    Unknown,
)
from pgconnlint.pooler import provider_bouncers
from pgconnlint.reach_node import NodeReach
from pgconnlint.servers import link_servers, merge_bouncers


def link(facts: Facts, settings: LinkSettings | None = None) -> Project:
    settings = settings or LinkSettings()
    environment, cpus = settings.environment, settings.cpus
    packages = _Packages(facts.packages)
    env_files = {file.path: file for file in facts.env_files}
    configs_by_package: dict[str, list[TypeOrmConfig]] = {}
    for config in facts.node_pools:
        configs_by_package.setdefault(_package_of(config.location.path, packages), []).append(config)

    node_problems: list[ParseProblem] = []
    reacher = NodeReach(facts.root, packages, configs_by_package, lambda p: _package_of(p, packages), node_problems)
    groups, run_packages = [], set()
    forks = _forks(facts, packages)
    for app in facts.pm2:
        group, package = _pm2_group(app, packages, env_files, reacher, settings)
        run_packages.add(package)
        fork = _reached_fork(forks, package, [], reacher)
        # Child processes an app starts for its jobs (BullMQ) add to pm2's instances; a cluster of its own does not
        # combine with pm2's cluster mode, so those stay as pm2 counts them.
        if fork is not None and fork.kind not in ("cluster", "throng") and not isinstance(group.processes, Unknown):
            count, kind, _ = _fork_count(fork, group.environment, settings)
            group = replace(group, processes=times(group.processes, count, kind))
        groups.append(group)
    node_groups, node_packages, plain = _node_process_groups(
        facts, packages, env_files, reacher, settings, run_packages, groups, forks
    )
    groups += node_groups
    run_packages |= node_packages
    for function in facts.functions:
        group, package = _function_group(function, packages, env_files, reacher, settings)
        if group is not None:
            groups.append(group)
            run_packages.add(package)
    # Packages one plain `node script` runs first: what they reach is then not a package of its own.
    ordered = sorted(configs_by_package.items(), key=lambda item: (item[0] not in plain, item[0]))
    for package, configs in ordered:
        if package in run_packages or (package not in plain and _not_deployed(package, configs, reacher)):
            continue
        item, entries = plain.get(package), []
        # the one command that runs it (a compose service's `node main.js`) runs with that service's environment
        env = _environment(package, env_files, settings, [list(item.env)] if item is not None else ())
        if item is not None:
            entries = reacher.entries(item.script, item.directory, package, env)
            configs = reacher.configs(package, entries, item.location, f"{item.source}: node {item.script}")
        connections, unresolved = _connections(configs, env, packages.get(package))
        if connections or unresolved:
            anchor = connections[0].config.location if connections else unresolved[0].location
            where = packages[package].path if package in packages else anchor.path
            processes = Default(1, Location(where, 1), "no process manager runs it in this repository: counted as 1")
            if item is not None and item.origin != "package":  # a deployment's one `node script` (compose, CMD)
                processes = Default(1, item.location, f"`node {item.script}` in {item.source}: one process")
            name = packages[package].name if package in packages and packages[package].name else package
            name = name or "the repository root package"
            manager, cpu_dependent = "", False
            fork = _reached_fork(forks, package, entries, reacher)
            if fork is not None:  # the app forks its own workers (cluster, throng)
                processes, manager, cpu_dependent = _fork_count(fork, env, settings)
                anchor = processes.location
            group = ProcessGroup(name, anchor, processes, manager, cpu_dependent, connections, env, unresolved)
            groups.append(group)

    groups += python_groups(
        facts,
        settings,
        env_files,
        lambda project, blocks: _environment(project, env_files, settings, blocks),
        pending_pools(facts.root) if facts.root is not None else lambda path: ([], []),
    )
    groups = _declared_processes(groups, settings.processes)
    problems = list(facts.problems) + node_problems
    servers = link_servers(facts, settings, problems)
    return Project(
        environment,
        cpus,
        settings.cpus_given,
        tuple(groups),
        servers,
        tuple(problems),
        tuple(facts.suppressions),
        settings.postgres_version,
        tuple(facts.poolers),
        provider_bouncers(groups, servers, merge_bouncers(facts.bouncers)),
        tuple(facts.hba_rules),
        tuple(facts.compose_services),
        declaring_documents(facts),
        settings.deployment,
        tuple(facts.credentials),
        tuple(facts.connection_limits),
    )


def _declared_processes(groups: list[ProcessGroup], declared: Mapping[str, Known]) -> list[ProcessGroup]:
    unknown = sorted(set(declared) - {group.name for group in groups})
    if unknown:
        names = ", ".join(sorted({group.name for group in groups})) or "none"
        raise LinkError(f"`processes` names {', '.join(map(repr, unknown))}, but the process groups found are: {names}")
    return [
        replace(group, processes=declared[group.name], cpu_dependent=False) if group.name in declared else group
        for group in groups
    ]


# --- process groups ---------------------------------------------------------------------------------


def _not_deployed(package: str, configs: list, reacher: NodeReach) -> bool:
    """A package no process runs: reached from another package's process (counted there), or, once some process's
    modules are known, not deployed at all (tests, examples, tools): said, not counted."""
    if package in reacher.covered:
        return True
    if not reacher.resolved:
        return False
    first = min((config.location for config in configs), key=lambda location: (location.path, location.line))
    name = f"package {package}" if package else "the root package"
    reacher.problems.append(
        ParseProblem(
            first,
            f"no deployed process runs {name} or imports its modules: its pools (first at {first.short}) are not"
            " counted",
            skipped=True,
            help="if a process does run them, declare it (a pm2 app, a compose service, a package.json start script)",
        )
    )
    return True


def _pm2_group(app, packages, env_files, reacher: NodeReach, settings: LinkSettings) -> tuple[ProcessGroup, str]:
    options, environment = app.options, settings.environment
    no_env: Environment = {}
    ecosystem_dir = PurePosixPath(app.file).parent
    name = _string(evaluate(options.get("name"), no_env)) or _string(evaluate(options.get("script"), no_env)) or "app"
    cwd = _string(evaluate(options.get("cwd"), no_env))
    base = _normalise(ecosystem_dir / cwd) if cwd else ecosystem_dir
    script = _string(evaluate(options.get("script"), no_env)) or ""
    runs_a_file = script not in ("", "npm", "yarn", "pnpm", "bun")
    launched = _normalise(base / script).parent if runs_a_file else base
    package = _package_of(str(launched / "x"), packages)

    processes, cpu_dependent = _instances(options, settings.cpus)
    exec_mode = _string(evaluate(options.get("exec_mode"), no_env))
    if not exec_mode:  # pm2: cluster when `instances` is set and the interpreter is node, else fork
        exec_mode = "cluster" if "instances" in options.entries else "fork"
    exec_mode = exec_mode.replace("_mode", "")
    blocks = [_env_block(options.get("env"), f"env of pm2 app {name}")]
    blocks.append(_env_block(options.get(f"env_{environment}"), f"env_{environment} of pm2 app {name}"))
    env = _environment(package, env_files, settings, blocks)
    entries = reacher.entries(script if runs_a_file else None, str(base).strip("."), package, env)
    configs = reacher.configs(package, entries, app.location, f"pm2 app {name} ({script or 'no script'})")
    connections, unresolved = _connections(configs, env, packages.get(package))
    anchor = options.key_location("instances") if "instances" in options.entries else app.location
    manager = f"pm2 {exec_mode} mode"
    group = ProcessGroup(name, anchor, processes, manager, cpu_dependent, connections, env, unresolved)
    return group, package


# --- Node processes outside ecosystem files ---------------------------------------------------------

#: which declaration of a package wins, by the kind of file: a deployment's over the image's CMD, over a Procfile,
#: over a package.json start script (rank 3)
_NODE_RANKS = {"compose": 0, "kubernetes": 0, "platform": 0, "dockerfile": 1, "procfile": 2}
_START_SCRIPTS = ("start:prod", "start:production", "prod", "production", "serve", "start")  #: when nothing runs one


def _node_process_groups(facts, packages, env_files, reacher, settings, pm2_packages, groups, forks):
    """Node processes started by package.json scripts, Dockerfiles, compose services and Procfiles, one group per
    command, for the package it runs (the nearest package.json of its script or working directory).

    Per package the most specific declaration wins (a compose service over the image's CMD, over a Procfile, over a
    `start` script), so that one deployment is not counted twice; a package a pm2 ecosystem file runs stays with
    that file, and `pm2-runtime <ecosystem file>` multiplies the file's apps by the service's replicas instead."""
    decls = [d for d in facts.node_processes if isinstance(d, NodeProcessDecl)]
    scripts: dict[tuple[str, str], list[NodeProcessDecl]] = {}
    images: dict[str, list[NodeProcessDecl]] = {}
    for decl in decls:
        if decl.defined_as is not None:
            scripts.setdefault((_package_of(decl.location.path, packages), decl.defined_as), []).append(decl)
        elif decl.origin == "dockerfile":
            images.setdefault(decl.location.path, []).append(decl)
    used: set = set()
    chosen: dict[str, tuple[int, list[NodeProcessDecl]]] = {}

    def choose(rank: int, decl: NodeProcessDecl) -> None:
        for item in _expand(decl, scripts, images, used, packages, 0):
            package = _launched(item, packages)
            best = chosen.get(package)
            if best is None or rank < best[0]:
                chosen[package] = (rank, [item])
            elif rank == best[0]:
                best[1].append(item)

    ranked = sorted((_NODE_RANKS[d.origin], i) for i, d in enumerate(decls) if d.origin in _NODE_RANKS)
    for rank, index in ranked:  # deployments first: the Dockerfiles they run are then `used`
        decl = decls[index]
        if decl.defined_as is None and not (decl.origin == "dockerfile" and decl.location.path in used):
            choose(rank, decl)
    for package in sorted({package for package, _ in scripts}):
        name = next((name for name in _START_SCRIPTS if (package, name) in scripts), None)
        if name is not None and (package, name) not in used:
            for decl in scripts[(package, name)]:
                choose(3, replace(decl, defined_as=None))

    ecosystems: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        ecosystems.setdefault(group.location.path, []).append(index)
    found, run, plain_items = [], set(), {}
    for package, (rank, items) in sorted(chosen.items()):
        for item in items:
            if item.ecosystem:
                _multiply_ecosystem(item, groups, ecosystems)
        items = [item for item in items if not item.ecosystem or _ecosystem_path(item) not in ecosystems]
        # a package a pm2 file runs stays with it, unless a deployment file (compose, manifests) runs it too: then
        # the two are alternative deployments of the same code (deployments.py), each with its own processes
        if (package in pm2_packages and rank != _NODE_RANKS["compose"]) or not items:
            continue
        plain = len(items) == 1 and items[0].runner == "node" and items[0].replicas is None
        if plain and package not in forks and package not in pm2_packages:
            plain_items[package] = items[0]
            continue  # one process, as when nothing runs it: counted by the default below
        for item in items:
            group = _node_group(item, package, packages, env_files, reacher, settings, forks)
            if group is not None:
                found.append(group)
                run.add(package)
    return found, run, plain_items


def _expand(decl: NodeProcessDecl, scripts, images, used: set, packages, depth: int) -> list[NodeProcessDecl]:
    """A compose service's image → its Dockerfile's command; `npm run X` → script X of the package it runs in."""
    if depth > 4:
        return []
    if decl.runner == "image":
        used.add(decl.dockerfile)
        started = [
            replace(
                d,
                source=f"{decl.source} ({d.source})",
                origin=decl.origin,
                directory=decl.directory,
                replicas=decl.replicas,
                surge=decl.surge,
                cpu_limit=decl.cpu_limit,
                env=d.env + decl.env,
            )
            for d in images.get(decl.dockerfile or "", [])
        ]
        return [item for d in started for item in _expand(d, scripts, images, used, packages, depth + 1)]
    if decl.runner == "npm-script":
        key = (_package_of(f"{decl.directory}/x" if decl.directory else "x", packages), decl.npm_script or "")
        used.add(key)
        started = [
            replace(
                d,
                source=f"{decl.source} → {d.source}",
                origin=decl.origin,
                defined_as=None,
                replicas=decl.replicas,
                surge=decl.surge,
                cpu_limit=decl.cpu_limit,
                env=decl.env + d.env,
            )
            for d in scripts.get(key, [])
        ]
        return [item for d in started for item in _expand(d, scripts, images, used, packages, depth + 1)]
    return [decl]


def _launched(decl: NodeProcessDecl, packages) -> str:
    """The package a command runs: the nearest package.json of its script, else of its working directory."""
    base = PurePosixPath(decl.directory or ".")
    target = _normalise(base / decl.script) if decl.script else base / "x"
    return _package_of(str(target), packages)


def _ecosystem_path(decl: NodeProcessDecl) -> str:
    return str(_normalise(PurePosixPath(decl.directory or ".") / (decl.script or "")))


def _multiply_ecosystem(decl: NodeProcessDecl, groups: list[ProcessGroup], ecosystems) -> None:
    """`pm2-runtime ecosystem.config.js` in a service with replicas: every app of the file runs in each replica."""
    if decl.replicas is None:
        return
    for index in ecosystems.get(_ecosystem_path(decl), []):
        group = groups[index]
        rollout = during_rollout(group.processes, decl.replicas, decl.surge)
        groups[index] = replace(group, processes=times(group.processes, decl.replicas, "replicas"), rollout=rollout)


def _node_group(item, package, packages, env_files, reacher, settings, forks) -> ProcessGroup | None:
    env = _environment(package, env_files, settings, [list(item.env)])
    shown = f"{item.runner} {item.script or ''}".strip() if item.runner != "node" else f"node {item.script}"
    entries = reacher.entries(None if item.ecosystem else item.script, item.directory, package, env)
    configs = reacher.configs(package, entries, item.location, f"{item.source}: {shown}")
    connections, unresolved = _connections(configs, env, packages.get(package))
    if not connections and not unresolved:
        return None
    processes, manager, cpu_dependent = _command_processes(item, env, settings.cpus)
    fork = _reached_fork(forks, package, entries, reacher)
    if fork is not None and not isinstance(processes, Unknown):
        count, kind, per_cpu = _fork_count(fork, env, settings)
        processes = times(processes, count, kind)
        cpu_dependent = cpu_dependent or per_cpu
        manager = f"{manager}, {kind}" if manager else kind
    rollout = during_rollout(processes, item.replicas, item.surge)
    if item.replicas is not None:
        processes = times(processes, item.replicas, "replicas")
    anchor = processes.location if not isinstance(processes, Default) else item.location
    name = f"{item.source}: {shown}"
    return ProcessGroup(
        name,
        anchor,
        processes,
        manager,
        cpu_dependent,
        connections,
        env,
        unresolved,
        rollout=rollout,
        cpu_limit=item.cpu_limit,
    )


def _function_group(function: FunctionDecl, packages, env_files, reacher: NodeReach, settings: LinkSettings):
    """A serverless function whose code is Node's: the pools of the package its handler lies in."""

    if function.runtime not in ("node", ""):
        return None, ""
    package = _package_of(f"{function.directory}/x" if function.directory else "x", packages)
    if function.runtime == "" and package not in packages:
        return None, ""  # no package.json: left to the Python side
    env = _environment(package, env_files, settings, [list(function.env)])
    reacher.covered.add(package)  # a handler's module graph is not followed: the package as a whole
    connections, unresolved = _connections(reacher.by_package.get(package, []), env, packages.get(package))
    if not connections and not unresolved:
        return None, package
    return function_group(function, connections, unresolved, env), package


def _command_processes(item: NodeProcessDecl, env: Environment, cpus: int):
    """pm2 `-i N|max` (cluster mode; "max", 0 and negative numbers follow the CPUs as in an ecosystem file); one
    process without `-i` (fork mode) and for `node script.js`."""
    if item.ecosystem:
        why = f"the ecosystem file {_ecosystem_path(item)} it names is not in the repository"
        return Unknown(f"{item.runner} {item.script}", item.location, why), "pm2", False
    if item.runner in ("pm2", "pm2-runtime") and item.instances is not None:
        value = evaluate(item.instances, env)
        if isinstance(value, Unknown):
            return value, f"{item.runner} cluster mode", False
        raw = value.value if value is not None else None
        options = Obj(
            item.location,
            item.instances.text,
            {"instances": Lit(item.location, item.instances.text, raw)},
            {"instances": item.location},
        )
        processes, cpu_dependent = _instances(options, cpus)
        if isinstance(processes, Known):
            via = processes.via.replace("`instances: ", "`-i ").replace(f'"{raw}"`', f"{raw}`")
            written = f"`-i {item.instances.text}`" + (f" ({value.via})" if value.via else "")
            processes = Known(processes.value, item.location, via if cpu_dependent else written)
        return processes, f"{item.runner} cluster mode", cpu_dependent
    if item.runner in ("pm2", "pm2-runtime"):
        return Default(1, item.location, f"{item.runner} without -i: one process in fork mode"), "pm2 fork mode", False
    if item.runner == "next":
        return Default(1, item.location, "`next start`: one Node process"), "", False
    if item.runner == "nuxt":
        return Default(1, item.location, "the Nuxt (Nitro) server: one Node process"), "", False
    return Default(1, item.location, f"`node {item.script}`: one process"), "", False


def _forks(facts: Facts, packages) -> dict[str, list[NodeFork]]:
    """The workers each package's code forks (cluster, throng, BullMQ), in file order."""
    found: dict[str, list[NodeFork]] = {}
    for fork in facts.node_processes:
        if isinstance(fork, NodeFork):
            found.setdefault(_package_of(fork.location.path, packages), []).append(fork)
    return found


def _reached_fork(forks: dict[str, list[NodeFork]], package: str, entries: list[str], reacher: NodeReach):
    """The fork a process of `package` that starts at `entries` runs: one in a module it reaches (`api.js` does not
    run the cluster of `workers.js`); the package's first when the entry cannot be followed."""
    found = forks.get(package, [])
    if not found:
        return None
    if not entries or reacher.graph is None:
        return found[0] if found else None
    reached = reacher.graph.reach(entries).files
    return next((fork for fork in found if fork.location.path in reached), None)


def _fork_count(fork: NodeFork, env: Environment, settings: LinkSettings) -> tuple[Known | Unknown, str, bool]:
    """How many processes a fork makes of one (its workers, and the primary when it holds pools too), how, and
    whether the count follows the CPUs."""
    count, kind, per_cpu = _workers(fork, env, settings)
    if fork.primary is None or isinstance(count, Unknown):
        return count, kind, per_cpu
    via = f"{count.via} + the primary, which builds the same objects at {fork.primary.short} before forking"
    return Known(count.value + 1, count.location, via), kind, per_cpu


def _workers(fork: NodeFork, env: Environment, settings: LinkSettings) -> tuple[Known | Unknown, str, bool]:
    if fork.count is None:
        source = "given" if settings.cpus_given else "this machine's count"
        how = "cluster.fork() per os.cpus()" if fork.kind == "cluster" else "throng default: one worker per CPU"
        return Known(settings.cpus, fork.location, f"{how} = {settings.cpus} CPUs ({source})"), fork.kind, True
    value = evaluate(fork.count, env)
    number = value.value if isinstance(value, Known) else None
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        plural = "s" if number != 1 else ""
        how = f"{fork.kind} forks {number} worker{plural}" + (f" ({value.via})" if value.via else "")
        return Known(number, fork.location, how), fork.kind, " CPUs (" in value.via
    return Unknown(fork.count.text, fork.location, f"the number of {fork.kind} workers"), fork.kind, False


def _instances(options: Obj, cpus: int) -> tuple[Known | Default | Unknown, bool]:
    """pm2's resolution (lib/Common.js): "max"/0/non-numeric → CPUs, negative n → CPUs + n, then at least 1."""
    expr = options.get("instances")
    value = evaluate(expr, {})
    if value is None:
        return Default(1, options.location, "pm2 default: `instances` is not set"), False
    if isinstance(value, Unknown):
        return value, False
    raw = value.value
    if isinstance(raw, (Obj, Arr)) or raw is None:
        return Unknown(expr.text, expr.location, 'pm2 expects a number or "max" here'), False
    number = _to_number(raw)
    if number is not None and math.isinf(number):
        return Unknown(expr.text, expr.location, "pm2 cannot start an infinite number of instances"), False
    if number is not None and number > 0:
        return Known(numeric.count(number), value.location, value.via), False
    offset = (int(number) if math.isfinite(number) else -cpus) if number is not None else 0  # -1e400: at least 1
    count = max(1, cpus + offset)
    shown = json.dumps(raw)
    how = f"`instances: {shown}` = {cpus} CPUs" + (f" − {-offset}" if offset else "")
    if count != cpus + offset:
        how += ", at least 1"
    return Known(count, value.location, how), True


def _env_block(expr: Expr | None, source: str) -> list[EnvBinding]:
    if not isinstance(expr, Obj):
        return []
    bindings = []
    for key, value_expr in expr.entries.items():
        value = evaluate(value_expr, {})
        if isinstance(value, Known) and not isinstance(value.value, (Obj, Arr)):
            bindings.append(EnvBinding(key, _js_string(value.value), expr.key_location(key), source))
    return bindings


def _environment(package: str, env_files: dict[str, EnvFile], settings: LinkSettings, blocks) -> dict[str, EnvBinding]:
    """Lowest to highest: configuration `env`, .env, .env.<environment> (dotenv never overrides a set variable),
    pm2 env, env_<name>."""
    environment = settings.environment
    env: dict[str, EnvBinding] = {binding.name: binding for binding in settings.env}
    prefix = f"{package}/" if package else ""
    for name in (f"{prefix}.env", f"{prefix}.env.{environment}"):
        if name in env_files:
            env.update({b.name: b for b in env_files[name].bindings})
    for block in blocks:
        env.update({b.name: b for b in block})
    if "NODE_ENV" not in env:
        env["NODE_ENV"] = EnvBinding("NODE_ENV", environment, Location("--env", 1), "the checked environment")
    # Pool defaults that follow the host (Prisma's connection_limit) read the CPU count the check runs with.
    cpus = "given" if settings.cpus_given else "this machine's count"
    env.setdefault(CPU_COUNT_VARIABLE, EnvBinding(CPU_COUNT_VARIABLE, settings.cpus, Location("", 0), cpus))
    return env


# --- TypeORM connections ----------------------------------------------------------------------------


def _connections(configs: list[TypeOrmConfig | NodePool], env: Environment, package: PackageManifest | None):
    """The connections a process of this package opens, as TypeORM would choose them, and the ones whose
    database type cannot be told (counted nowhere, reported by PGC110); then the package's other Node pools
    (node-postgres, Knex, Sequelize, postgres.js, Prisma: pgconnlint/link_node.py)."""

    node_facts = [c for c in configs if isinstance(c, NodePool)]
    bun = bun_connections([fact for fact in node_facts if fact.library == "bun-sql"], env)
    node = node_connections(node_facts, env, package, bun)
    configs = [c for c in configs if isinstance(c, TypeOrmConfig)]
    connections, unresolved = _typeorm_connections(configs, env, package)
    # A NestJS provider holding a `new DataSource()`, listed in several modules: one connection per module
    connections = tuple(per_module(list(connections), node_facts))
    return connections + node, unresolved


def _typeorm_connections(configs: list[TypeOrmConfig], env: Environment, package: PackageManifest | None):
    version = _typeorm_version(package)
    configs = _factories_called(configs)
    in_code = [c for c in configs if not c.from_ormconfig and not c.reads_ormconfig]
    reads_files = any(_falls_back_to_ormconfig(c, version) for c in configs) or not in_code
    chosen = list(in_code)
    if reads_files:
        from_env = config_from_environment(env)
        chosen += [from_env] if from_env else _first_ormconfig(configs, package)
    resolved = [_connection(config, env, version) for config in chosen]
    connections = tuple(c for c in resolved if isinstance(c, OrmConnection))
    return connections, tuple(c for c in resolved if isinstance(c, Unknown))


def _factories_called(configs: list[TypeOrmConfig]) -> list[TypeOrmConfig]:
    """A `useFactory` calling a function of another module takes the options that function returns; a function
    nothing calls opens no connection."""
    factories = {config.factory: config for config in configs if config.factory}
    return [
        replace(config, options=factories[config.calls].options, source=f"{config.source} → {config.calls}(…)")
        if config.calls in factories
        else config
        for config in configs
        if not config.factory
    ]


def _falls_back_to_ormconfig(config: TypeOrmConfig, version: tuple[int, ...] | None) -> bool:
    """`createConnection()` reads ormconfig in every version; `TypeOrmModule.forRoot()` only with TypeORM 0.2
    (@nestjs/typeorm 8 calls createConnection(); 10 builds `new DataSource({})`, which fails instead)."""
    if not config.reads_ormconfig:
        return False
    return not config.source.startswith("TypeOrmModule") or version is None or version < (0, 3)


def _first_ormconfig(configs: list[TypeOrmConfig], package: PackageManifest | None) -> list[TypeOrmConfig]:
    """TypeORM reads the first ormconfig.<ext> of the package root, in its own order of extensions."""

    root = package.directory if package else ""
    files = [c for c in configs if c.from_ormconfig and str(PurePosixPath(c.location.path).parent).strip(".") == root]
    files.sort(key=lambda c: ORMCONFIG_SUFFIXES.index(PurePosixPath(c.location.path).suffix.lstrip(".").lower()))
    first = files[0].location.path if files else None
    return [c for c in files if c.location.path == first]


def _connection(config: TypeOrmConfig, env: Environment, version: tuple[int, ...] | None):
    options = config.options
    if "type" not in options.entries and "url" not in options.entries and options.opaque_spreads:
        spread = options.opaque_spreads[0]
        return Unknown(spread, options.location, f"the options come from `{spread}`, which may set the database type")
    kind = evaluate(options.get("type"), env)
    url = evaluate(options.get("url"), env)
    if isinstance(kind, Unknown) and not (isinstance(url, Known) and str(url.value).startswith("postgres")):
        return kind
    postgres = isinstance(kind, Known) and is_postgres(kind.value)
    if not postgres and not (kind is None and isinstance(url, Known) and str(url.value).startswith("postgres")):
        return None
    name = _string(evaluate(options.get("name"), env)) or "default"
    size = _pool_max(options, env, version)
    pools = _replicated_pools(config, options, size, env) or (Pool(_label(config, name), options.location, size),)
    return OrmConnection(
        config=config,
        name=name,
        pools=pools,
        connect_timeout_ms=_connect_timeout(options, env),
        synchronize=evaluate(options.get("synchronize"), env),
        drop_schema=evaluate(options.get("dropSchema"), env),
        migrations_run=evaluate(options.get("migrationsRun"), env),
    )


def _label(config: TypeOrmConfig, name: str) -> str:
    where = config.location.path if config.from_ormconfig else f"{config.source} in {config.location.path}"
    return where if name == "default" else f"{where} (connection {name})"


def _replicated_pools(config: TypeOrmConfig, options: Obj, size, env: Environment) -> tuple[Pool, ...]:
    """`replication: { master, slaves }`: TypeORM opens one pool of the same size per host."""
    replication = options.get("replication")
    if not isinstance(replication, Obj):
        return ()
    name = _string(evaluate(options.get("name"), env)) or "default"
    pools = []
    master = replication.get("master")
    if isinstance(master, Obj):
        pools.append(Pool(f"{_label(config, name)} master {_host(master, env)}".rstrip(), master.location, size))
    slaves = replication.get("slaves")
    for slave in slaves.items if isinstance(slaves, Arr) else ():
        if isinstance(slave, Obj):
            host = _host(slave, env) or f"#{len(pools)}"
            pools.append(Pool(f"{_label(config, name)} replica {host}", slave.location, size, replica=host))
    return tuple(pools)


def _option(options: Obj, dotted: str, env: Environment) -> Known | Unknown | None:
    """An option's value; walks into values that evaluate to a mapping (TYPEORM_DRIVER_EXTRA is JSON)."""
    keys = dotted.split(".")
    node: Expr = options
    for index, key in enumerate(keys):
        if not isinstance(node, Obj):
            value = evaluate(node, env)
            if not isinstance(value, Known):
                return value
            data = value.value
            for rest in keys[index:]:
                if not isinstance(data, dict) or rest not in data:
                    return None
                data = data[rest]
            return Known(data, value.location, value.via)
        if key not in node.entries:
            return None
        node = node.entries[key]
    return evaluate(node, env)


def _host(options: Obj, env: Environment) -> str:
    return _string(evaluate(options.get("host"), env)) or ""


def _pool_max(options: Obj, env: Environment, version: tuple[int, ...] | None) -> Known | Default | Unknown:
    """pg's `max`: TypeORM passes `{max: poolSize, ...extra}` (PostgresDriver.createPool); then pg-pool's own rule
    (pgconnlint/clients/pg.py), the same as for `new Pool()`."""
    extra_max = _option(options, "extra.max", env)
    pool_size = _option(options, "poolSize", env)
    if isinstance(pool_size, Known) and version is not None and version < POOLSIZE_SINCE:
        why = f"node-postgres default: poolSize {pool_size.value} is ignored before TypeORM 0.3.10, extra.max unset"
        pool_size = None if extra_max is None else pool_size
        if extra_max is None:
            return Default(PG_POOL_DEFAULT_MAX, options.key_location("poolSize"), why)
    if extra_max is None and pool_size is None:
        why = "node-postgres default; neither poolSize nor extra.max is set"
        return Default(PG_POOL_DEFAULT_MAX, options.location, why)
    first = ("extra.max", extra_max) if extra_max is not None else ("poolSize", pool_size)
    return pg.pool_max([first, ("extra.poolSize", _option(options, "extra.poolSize", env))], options.location)


def _connect_timeout(options: Obj, env: Environment) -> Known | Default | Unknown:
    """`extra.connectionTimeoutMillis` overrides `connectTimeoutMS`; unset or 0 means wait forever."""
    for option in ("extra.connectionTimeoutMillis", "connectTimeoutMS"):
        value = _option(options, option, env)
        if value is not None:
            return value
    return Default(0, options.location, "neither connectTimeoutMS nor extra.connectionTimeoutMillis is set")


def _typeorm_version(package: PackageManifest | None) -> tuple[int, ...] | None:
    spec = package.dependencies.get("typeorm") if package else None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", spec or "")
    return tuple(int(part or 0) for part in match.groups()) if match else None


# --- small helpers ----------------------------------------------------------------------------------


class _Packages(dict):
    """directory -> PackageManifest, remembering the package of each folder asked about: the linker asks for every
    module a process reaches (18,000 times on a large repository, issue 19)."""

    def __init__(self, manifests) -> None:
        super().__init__((manifest.directory, manifest) for manifest in manifests)
        self.folders: dict[str, str] = {}


def _package_of(path: str, packages: _Packages) -> str:
    """The folder of the nearest package.json above `path`, "" for the root. A path outside the tree (an absolute
    container path such as /usr/src/app/dist/main.js) belongs to no package of the tree: ""."""
    folder, _, name = path.rpartition("/")
    if name in ("", ".", ".."):  # the parent is not the written folder: not remembered
        return _nearest_package(path, packages)
    known = packages.folders.get(folder)
    if known is None:
        known = packages.folders[folder] = _nearest_package(path, packages)
    return known


def _nearest_package(path: str, packages: Mapping[str, PackageManifest]) -> str:
    directory = PurePosixPath(path).parent
    while True:
        key = "" if str(directory) == "." else str(directory)
        if key in packages or key == "" or directory == directory.parent:
            return "" if directory == directory.parent and key not in packages else key
        directory = directory.parent


def _normalise(path: PurePosixPath) -> PurePosixPath:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _string(value) -> str | None:
    return value.value if isinstance(value, Known) and isinstance(value.value, str) else None


def _js_string(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _to_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None
