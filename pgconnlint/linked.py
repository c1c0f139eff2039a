"""The linked project: which pools run in which process groups, against which server. Plain dataclasses that the
checks, the budget and the reporters read without reaching the extractors (pgconnlint/link.py builds them)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pgconnlint.model import (
    Bouncer,
    Default,
    EnvBinding,
    EnvFile,
    FunctionDecl,
    HbaRule,
    Known,
    Location,
    NodeFork,
    NodePool,
    NodeProcessDecl,
    PackageManifest,
    ParseProblem,
    PendingPools,
    Pm2App,
    Pooler,
    ProcessDecl,
    PythonPool,
    ServerCommand,
    ServerConfig,
    Suppression,
    TypeOrmConfig,
    Unknown,
    cite,
    origin,
)

PG_POOL_DEFAULT_MAX = 10  # pg-pool: `this.options.max = this.options.max || this.options.poolSize || 10`
POOLSIZE_SINCE = (0, 3, 10)  # TypeORM passes `poolSize` to pg as `max` from 0.3.10 (FACTS.md)
PRODUCTION_NAMES = ("production", "prod")


@dataclass(frozen=True, slots=True)
class Pool:
    """One connection pool of a process, and the most connections it opens."""

    label: str  #: e.g. "ormconfig.json", "ormconfig.js (connection reporting) replica pg-replica-1"
    location: Location  #: the options object that configures it
    max: Known | Default | Unknown  #: math.inf when the pool sets no limit
    replica: str | None = None  #: the standby host a read replica pool connects to
    kept_open: int = 0  #: connections opened at start and kept (psycopg_pool, asyncpg `min_size`)
    cpu_dependent: bool = False  #: the size follows the host's CPU count (Prisma's default connection_limit)


@dataclass(frozen=True, slots=True)
class OrmConnection:
    """A TypeORM connection as one process group runs it, evaluated in that group's environment."""

    config: TypeOrmConfig
    name: str
    pools: tuple[Pool, ...]
    connect_timeout_ms: Known | Default | Unknown
    synchronize: Known | Unknown | None
    drop_schema: Known | Unknown | None
    migrations_run: Known | Unknown | None

    def key_location(self, option: str) -> Location:
        return self.config.options.key_location(option)

    @property
    def anchor(self) -> Location:
        return self.key_location("type")


@dataclass(frozen=True, slots=True)
class EngineConnection:
    """A Python pool (SQLAlchemy engine, psycopg_pool, asyncpg) as one process group runs it."""

    source: PythonPool
    pools: tuple[Pool, ...]
    connect_timeout_ms: Known | Default | Unknown
    unbounded: str | None  #: why the pool sets no limit (max_overflow=-1, pool_size=0, NullPool), if it does not
    null_pool: bool
    liveness_checked: bool  #: pool_pre_ping or pool_recycle is set

    @property
    def anchor(self) -> Location:
        return self.source.location

    def key_location(self, option: str) -> Location:
        return self.source.options.key_location(option)


UNBOUNDED_UNITS = math.inf  #: a process that serves any number of requests at once (Node, ASGI)


@dataclass(frozen=True, slots=True)
class IgnoredOption:
    """A pool setting the library never reads, with what it reads instead (PGC208)."""

    location: Location
    message: str
    help: str


@dataclass(frozen=True, slots=True)
class NodeConnection:
    """A Node pool outside TypeORM as one process group runs it."""

    config: NodePool  #: where its options are written (the call, or the configuration file)
    pools: tuple[Pool, ...]
    connect_timeout_ms: Known | Default | Unknown
    timeout_help: str  #: how to set this library's connect or acquire timeout (PGC204's help)
    call: NodePool | None = None  #: the code that creates it, when that is not `config`
    ignored: tuple[IgnoredOption, ...] = ()

    @property
    def library(self) -> str:
        return self.config.library

    @property
    def anchor(self) -> Location:
        return self.config.location

    @property
    def created(self) -> NodePool:
        """The call that creates the pool (or the configuration, when no call was seen)."""
        return self.call or self.config

    def key_location(self, option: str) -> Location:
        return self.config.options.key_location(option)


@dataclass(frozen=True, slots=True)
class ProcessGroup:
    """Identical processes started together: one pm2 app, or a package nothing is seen to run."""

    name: str
    location: Location  #: where the process count is set (pm2 `instances`), else the app or package
    processes: Known | Default | Unknown
    manager: str  #: "pm2 cluster mode", "pm2 fork mode", "" when no process manager was found
    cpu_dependent: bool
    connections: tuple[OrmConnection | EngineConnection, ...]
    environment: Mapping[str, EnvBinding]
    unresolved: tuple[Unknown, ...] = ()  #: connections whose database type cannot be told: not counted
    #: requests or tasks one process runs at once (DESIGN.md "units"): math.inf for Node and ASGI servers
    units: Known | Default | Unknown = field(
        default_factory=lambda: Default(UNBOUNDED_UNITS, Location("", 0), "Node.js serves many requests at once")
    )
    web: bool = False  #: serves requests (gunicorn, uvicorn…), as opposed to a task worker
    #: processes while a rolling deploy runs old and new pods together (Kubernetes maxSurge); None without one
    rollout: Known | Unknown | None = None
    serverless: FunctionDecl | None = None  #: the function whose instances these are (link_functions.py)
    cpu_limit: Known | None = None  #: the container's CPU limit, which a CPU-derived count does not follow
    #: where psycopg2 is imported or declared, when these processes run greenlets and nothing patches it (psycogreen)
    unpatched_driver: Location | None = None
    #: where a Celery worker's gevent/eventlet pool is configured, when no `-P` makes Celery monkey-patch and the
    #: project patches nothing itself (pgconnlint/runtime_units.py `unpatched_pool`)
    unpatched_pool: Location | None = None
    #: steps run to their end before these processes start (ProcessDecl.one_offs), and the Alembic configuration of
    #: their project, which an `alembic upgrade` among them uses
    one_offs: tuple = ()
    alembic: object | None = None  #: AlembicConfig


@dataclass(frozen=True, slots=True)
class Server:
    """A PostgreSQL server (or a PgBouncer) the processes connect to, and its connection limits."""

    name: str
    location: Location
    max_connections: Known | Default
    superuser_reserved_connections: Known | Default
    reserved_connections: Known | Default
    assumed: bool  #: no postgresql.conf was found: PostgreSQL's defaults stand in
    config: ServerConfig | None = None  #: every setting, as the server reads them (file, then command line)
    environment: tuple[EnvBinding, ...] = ()  #: the container's POSTGRES_* variables
    limit_name: str = "max_connections"  #: "max_client_conn" for a PgBouncer, whose clients are checked too

    @property
    def usable(self) -> int:
        return int(
            self.max_connections.value - self.superuser_reserved_connections.value - self.reserved_connections.value
        )

    @property
    def formula(self) -> str:
        parts = [f"{self.limit_name} {cite(self.max_connections)}"]
        if self.limit_name == "max_connections":
            parts.append(f"superuser_reserved_connections {cite(self.superuser_reserved_connections)}")
        if self.reserved_connections.value:
            parts.append(f"reserved_connections {cite(self.reserved_connections)}")
        return " − ".join(parts)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the extractors produced for one tree."""

    #: Node connection configs, grouped by package: TypeORM's, and the other Node pools (`NodePool`, link_node.py)
    node_pools: list[TypeOrmConfig | NodePool] = field(default_factory=list)
    pm2: list[Pm2App] = field(default_factory=list)
    env_files: list[EnvFile] = field(default_factory=list)
    packages: list[PackageManifest] = field(default_factory=list)
    servers: list[ServerConfig] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    #: pools in file order; a file only `ast` has read yet is a PendingPools, parsed when linked (link_python.py)
    python_pools: list[PythonPool | PendingPools] = field(default_factory=list)
    python_runtime: list = field(default_factory=list)  #: PythonRuntime: endpoints, thread limiter, psycopg2
    django_settings: list = field(default_factory=list)  #: DjangoSettingsRef: which settings module a file names
    processes: list[ProcessDecl] = field(default_factory=list)
    python_projects: list[str] = field(default_factory=list)  #: folders with pyproject.toml, setup.py, …
    server_commands: list[ServerCommand] = field(default_factory=list)
    poolers: list[Pooler] = field(default_factory=list)
    bouncers: list[Bouncer] = field(default_factory=list)
    hba_rules: list[HbaRule] = field(default_factory=list)
    #: Node processes on command lines and the workers apps fork (extract/node_commands.py)
    node_processes: list[NodeProcessDecl | NodeFork] = field(default_factory=list)
    #: documents that only mean something together (a Deployment and the autoscaler and ConfigMaps it names, a
    #: Terraform instance and its parameter group, app.json and the Procfile): each format's `resolve(facts)` turns
    #: them into the facts above once every file is read (pgconnlint/lint.py `_resolve_deployments`)
    deployment: list = field(default_factory=list)
    functions: list = field(default_factory=list)  #: FunctionDecl: serverless functions
    compose_services: list = field(default_factory=list)  #: ComposeService: every service, for deployment variants
    #: environment values and secrets that belong to no process the linker follows (a Kubernetes Secret, a Terraform
    #: password, a third-party compose service): PGC403 reads them with every group's and server's environment
    credentials: list[EnvBinding] = field(default_factory=list)
    #: ConnectionLimit: role and database CONNECTION LIMIT statements in file order (extract/sql_limits.py)
    connection_limits: list = field(default_factory=list)
    alembic: list = field(default_factory=list)  #: AlembicConfig: alembic.ini and its env.py (extract/alembic.py)
    root: Path | None = None  #: the checked tree, where the Node import graph is read (pgconnlint/reach_node.py)


@dataclass(frozen=True, slots=True)
class Project:
    """Everything linked: the process groups, the servers, and what could not be read."""

    environment: str
    cpus: int
    cpus_given: bool  #: --cpus was passed; otherwise the count is this machine's
    groups: tuple[ProcessGroup, ...]
    servers: tuple[Server, ...]
    problems: tuple[ParseProblem, ...]
    suppressions: tuple[Suppression, ...] = ()
    postgres_version: int | None = None  #: the target major version, from the configuration
    poolers: tuple[Pooler, ...] = ()
    bouncers: tuple[Bouncer, ...] = ()
    hba_rules: tuple[HbaRule, ...] = ()
    compose_services: tuple = ()  #: ComposeService: which profile starts which service (pgconnlint/deployments.py)
    documents: frozenset[str] = frozenset()  #: the files processes and servers are declared in
    deployment: str | None = None  #: the deployment asked for (`--deployment`); None: every production one
    credentials: tuple[EnvBinding, ...] = ()  #: see Facts.credentials
    connection_limits: tuple = ()  #: see Facts.connection_limits; merged by pgconnlint/role_limits.py

    @property
    def production(self) -> bool:
        return self.environment.lower() in PRODUCTION_NAMES


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What the linker cannot read from the tree: the environment, the host, and declared deployment facts."""

    environment: str = "production"
    cpus: int = 1
    cpus_given: bool = False
    env: tuple[EnvBinding, ...] = ()  #: variables the deployment sets (configuration `env`), lowest precedence
    processes: Mapping[str, Known] = field(default_factory=dict)  #: declared process count per group name
    server: str | None = None  #: which postgresql.conf the apps use, when there are several
    server_profile: ServerConfig | None = None  #: a managed server from configuration, counted against first
    deployment: str | None = None  #: budget this deployment only (a CI or development stack among them)
    postgres_version: int | None = None


class LinkError(Exception):
    """Declared deployment facts that match nothing in the tree (a configuration error)."""


class UnknownDeployment(LinkError):
    """`--deployment` (or the configuration's `deployment`) names no deployment of the tree."""


# --- arithmetic on process counts, shared by every route ----------------------------------------------


def times(processes: Known | Default | Unknown, factor: Known | Unknown, what: str) -> Known | Unknown:
    """`4 [-i 4, Dockerfile:9] × 3 replicas [compose deploy.replicas, docker-compose.yml:12]`."""
    if isinstance(processes, Unknown):
        return processes
    if isinstance(factor, Unknown):
        return factor
    per = cite(processes)
    via = f"{per} × {factor.value} {what} {origin(factor)}"
    return Known(processes.value * factor.value, processes.location, via)


def during_rollout(per_pod: Known | Default | Unknown, replicas, surge) -> Known | Unknown | None:
    """Processes while a rolling deploy runs old and new pods together: per pod × (replicas + surge).
    `4 per pod [--workers 4, k8s/api.yaml:20] × (6 replicas + 2 surge [Deployment api maxSurge 25% of 6, …])`.
    An unreadable surge makes the rollout count unknown, never 0."""
    if surge is None:
        return None
    if isinstance(surge, Unknown) or isinstance(per_pod, Unknown):
        return surge if isinstance(surge, Unknown) else per_pod
    if not surge.value:
        return None
    if isinstance(replicas, Unknown):
        return replicas
    count = replicas.value if replicas is not None else 1
    via = f"{cite(per_pod)} per pod × ({count} replicas + {cite(surge, 'surge')})"
    return Known(per_pod.value * (count + surge.value), surge.location, via)
