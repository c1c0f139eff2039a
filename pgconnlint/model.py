"""The facts pgconnlint reasons about: plain frozen dataclasses, every value with its location.

Coordinates are 1-based everywhere (line and column, columns in characters); each parser's
front end converts once, at extraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from pgconnlint.severity import Severity  # noqa: F401 - re-exported: its own module since issue 19

if TYPE_CHECKING:
    from pgconnlint.expr import Expr, Obj

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was read: a file of the repository and a position in it."""

    path: str  #: POSIX, relative to the project root
    line: int  #: 1-based
    column: int = 1  #: 1-based, in characters; 1 when the format gives none
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def short(self) -> str:
        """`path:line`, the form used inside messages."""
        return f"{self.path}:{self.line}"


# --- values ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Known(Generic[T]):
    """A value read from the repository. `location` is where the value itself was written."""

    value: T
    location: Location
    via: str = ""  #: how it was reached, e.g. "process.env.DB_POOL from .env:3"


@dataclass(frozen=True, slots=True)
class Default(Generic[T]):
    """A library default that applies because nothing set the value; `location` is the config that omits it."""

    value: T
    location: Location
    why: str  #: e.g. "node-postgres default; neither poolSize nor extra.max is set"


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be told statically; never replaced by a guess."""

    expression: str  #: the source text that produces it, e.g. "process.env.DB_POOL"
    location: Location
    reason: str = ""


def cite(value: Known | Default | Unknown, noun: str = "") -> str:
    """`16 processes [ecosystem.config.js:8]`, `10 [node-postgres default; …, ormconfig.json:1]`: a number and
    where it came from, the form every message uses so that its arithmetic can be checked by hand."""
    if isinstance(value, Unknown):
        return f"unknown {noun}".rstrip() + f" {origin(value)}"
    number = "unbounded" if value.value == float("inf") else value.value
    return f"{number} {noun}".rstrip() + f" {origin(value)}"


def origin(value: Known | Default | Unknown) -> str:
    """Where a value came from, in brackets: the file and line, the default and why, or the expression."""
    if isinstance(value, Unknown):
        return f"[`{value.expression}`, {value.location.short}]"
    if isinstance(value, Default):
        where = "" if not value.location.path or value.location.path in value.why else f", {value.location.short}"
        return f"[{value.why}{where}]"
    where = value.location.short
    source = value.via if where in value.via else ", ".join(filter(None, (value.via, where)))
    return f"[{source}]"


# --- facts produced by extractors --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A file that could not be read or understood; reported, never raised."""

    location: Location
    message: str
    skipped: bool = False  #: True when the file was not parsed at all (size, binary, link)
    help: str = ""  #: what the user can do about a skip, when it is not "make it a regular file or exclude it"
    #: processes a deployment runs were left uncounted here: its budget is "at least" (pgconnlint/budget.py)
    drops: bool = False


@dataclass(frozen=True, slots=True)
class EnvBinding:
    """One environment variable assignment found in the repository (.env line, pm2 env block)."""

    name: str
    value: str | int  #: a string, as the environment holds it; an int only for the CPU count
    location: Location
    source: str  #: e.g. ".env", "env_production of pm2 app orders-api"


@dataclass(frozen=True, slots=True)
class EnvFile:
    """An env file of the repository (`.env`, `.env.production`) and the variables it sets."""

    path: str
    bindings: tuple[EnvBinding, ...]


@dataclass(frozen=True, slots=True)
class PackageManifest:
    """A package.json: the unit the linker attaches pools to."""

    path: str
    directory: str  #: POSIX, "" for the root
    name: str | None
    dependencies: dict[str, str]  #: name -> version range, dependencies and devDependencies


@dataclass(frozen=True, slots=True)
class ServerSetting:
    """The winning value of one postgresql.conf parameter, and what it overrode."""

    name: str
    value: Known
    overridden: tuple[Known, ...] = ()
    text: str = ""  #: the value as written (quotes removed), which validation reads with the parameter's unit


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One PostgreSQL server's settings as the repository configures them."""

    name: str  #: the main config file's path
    location: Location  #: the main config file, line 1
    settings: dict[str, ServerSetting] = field(default_factory=dict)
    #: what the platform applies when nothing sets a parameter (a managed server's formula, a provider's table)
    defaults: dict[str, Default] = field(default_factory=dict)
    hosts: tuple[str, ...] = ()  #: names apps reach it by (a compose service, a Kubernetes Service, an endpoint)
    replica_of: str | None = None  #: a read replica: the name of its primary
    managed: str = ""  #: the provider running it ("AWS", "Google Cloud", "Azure", "Neon"…): its defaults are theirs


@dataclass(frozen=True, slots=True)
class TypeOrmConfig:
    """One TypeORM connection's options, as written (evaluated later, per process environment)."""

    options: Obj
    source: str  #: "ormconfig.json", "new DataSource(…)", "TypeOrmModule.forRoot(…)", …
    from_ormconfig: bool = False  #: read from an ormconfig.* file rather than from code
    reads_ormconfig: bool = False  #: `TypeOrmModule.forRoot()` / `createConnection()` with no options
    #: the options a module's function returns (`buildDatabaseConfig`): counted only where a connection calls it
    factory: str | None = None
    calls: str | None = None  #: the function of another module the options come from (`useFactory: c => f(c)`)

    @property
    def location(self) -> Location:
        return self.options.location


@dataclass(frozen=True, slots=True)
class Pm2App:
    """One entry of a pm2 ecosystem file's `apps`."""

    options: Obj
    file: str  #: the ecosystem file, POSIX, relative to the root

    @property
    def location(self) -> Location:
        return self.options.location


@dataclass(frozen=True, slots=True)
class Suppression:
    """An inline `# pgconnlint: ignore[CODE, …]` / `// pgconnlint: ignore[…]`; covers its own line and the next."""

    location: Location
    rules: tuple[str, ...]  #: as written: codes or names; empty for a bare `ignore`


@dataclass(frozen=True, slots=True)
class PythonPool:
    """A pool a Python process opens: a SQLAlchemy engine (direct or through Flask-SQLAlchemy's
    configuration), a psycopg_pool pool, or an asyncpg pool; options as written, evaluated when linked."""

    library: str  #: "sqlalchemy", "flask-sqlalchemy", "psycopg_pool", "asyncpg"
    options: Obj  #: keyword arguments (or configuration keys), located; `location` is the call or assignment
    source: str  #: "create_engine(…)", "SQLALCHEMY_ENGINE_OPTIONS in ProductionConfig", …
    url: Obj | None = None  #: holds the URL expression under "url", when there is one
    per_call: bool = False  #: created inside a function, so a new pool each time it runs
    asynchronous: bool = False
    scope: str = ""  #: the configuration class it is defined in (Flask), "" for module level
    #: Django: the module-level test under which this `DATABASES` holds (`if os.getenv("DB") == "postgres":`, and
    #: no later alternative's test), and which of the module's alternative assignments it is (the later one wins)
    when: Expr | None = None
    alternative: int = 0
    #: created and `dispose()`d by the same function: a short-lived engine (a start-up check), no lasting pool
    disposed: bool = False
    #: the function whose branches create it ("path:line"): pools of one function's branches are alternatives
    branch: str = ""
    conditions: tuple = ()  #: the tests (Expr) under which its branch runs, all of them; `Not` for an else

    @property
    def location(self) -> Location:
        return self.options.location


@dataclass(frozen=True, slots=True)
class PythonRuntime:
    """What decides how a Python process uses its pools (extract/python_runtime.py): a FastAPI/Starlette endpoint
    ("sync-endpoint", "async-endpoint"), anyio's thread limiter resized ("thread-limiter"), or psycopg2/psycogreen
    imported or declared as a requirement ("psycopg2", "psycogreen")."""

    kind: str
    location: Location
    name: str = ""  #: the endpoint function, the module or requirement as written, the limiter's value as written
    value: object = None  #: the limiter's tokens (an Expr), evaluated when linked


@dataclass(frozen=True, slots=True)
class ProcessDecl:
    """A Python server or worker started by a command line or configured by its own file."""

    server: str  #: "gunicorn", "uvicorn", "hypercorn", "fastapi", "granian", "celery", "rq"
    options: Obj  #: flags and settings by their long name: workers, threads, worker_class, concurrency, pool, …
    source: str  #: "Procfile (web)", "Dockerfile CMD", "gunicorn.conf.py", "docker-compose.yml service api", …
    directory: str  #: the folder whose project it runs ("" for the root)
    config_file: str | None = None  #: gunicorn `-c FILE`, resolved relative to `directory`
    platform: str = ""  #: "heroku" where the platform sets WEB_CONCURRENCY at boot (link_python.py `_workers`)
    image: str | None = None  #: the Dockerfile of the image this command runs in: it replaces that image's CMD
    #: compose `deploy.replicas` / `scale`, Kubernetes replicas or autoscaler maximum, Heroku dynos, Fly Machines
    replicas: Known | Default | Unknown | None = None
    env: tuple[EnvBinding, ...] = ()  #: what the image or service sets (Dockerfile ENV, compose environment)
    surge: Known | Default | Unknown | None = None  #: extra replicas while a rolling deploy runs old and new together
    cpu_limit: Known | None = None  #: the container's `resources.limits.cpu`, which CPU-derived counts ignore
    #: compose `env_file:` paths, read into `env` (under the service's `environment:`) once every file is read
    env_files: tuple[str, ...] = ()
    #: compose `image:` of a service that builds nothing, matched to the Dockerfile that builds it
    #: (lint._link_published_images: another service's build:, a workflow, a script)
    image_name: str | None = None
    #: a step that runs to its end before the services waiting for it start (compose service_completed_successfully)
    one_off: bool = False
    #: steps the command runs to their end before the server starts (`alembic upgrade head && gunicorn …`), with
    #: where each is written; only those a check reads (an Alembic upgrade) are kept
    one_offs: tuple[OneOffStep, ...] = ()

    @property
    def location(self) -> Location:
        return self.options.location


@dataclass(frozen=True, slots=True)
class OneOffStep:
    """A command that finishes before the server it precedes starts: `alembic upgrade head`."""

    tool: str  #: "alembic"
    text: str  #: the command as written, for messages
    location: Location
    #: the environment the step runs with when it is a service of its own (a compose one-off the server waits for),
    #: over the server's
    env: tuple[EnvBinding, ...] = ()


@dataclass(frozen=True, slots=True)
class AlembicConfig:
    """An alembic.ini, with the database URL Alembic uses: `sqlalchemy.url` there, or what its env.py sets with
    `config.set_main_option("sqlalchemy.url", …)`, which wins."""

    location: Location  #: the alembic.ini
    directory: str  #: its folder
    url: Expr | None  #: None when neither says
    env: str | None = None  #: the repository path of its env.py, when `script_location` names a folder


@dataclass(frozen=True, slots=True)
class ServerCommand:
    """A PostgreSQL server started by a container (compose service, `docker run`): its command-line settings."""

    name: str  #: "docker-compose.yml service db", "scripts/db.sh docker run"
    location: Location
    image: str
    settings: tuple[tuple[str, Known], ...] = ()  #: `-c name=value`, `--name=value`, `-N`, `-B`, in order
    config_file: str | None = None  #: the repository file mounted where `-c config_file=` points
    environment: tuple[EnvBinding, ...] = ()  #: POSTGRES_* variables
    hosts: tuple[str, ...] = ()  #: names apps reach it by: the compose service and container, a Kubernetes Service


@dataclass(frozen=True, slots=True)
class ComposeService:
    """One service of a compose file, whatever it runs: which deployment variants start it (pgconnlint/deployments.py).
    `profiles` empty: started by a plain `docker compose up`; else only with one of those profiles enabled."""

    path: str  #: the compose file
    name: str
    location: Location
    profiles: tuple[str, ...] = ()
    #: the server this service is if the Dockerfile it builds runs PostgreSQL (`db/Dockerfile`: FROM postgres:13)
    built_server: ServerCommand | None = None
    image: str | None = None  #: `image:` as written
    dockerfile: str | None = None  #: the Dockerfile it builds (`build:`), which then makes `image`

    @property
    def source(self) -> str:
        """How the facts of this service name it: `docker-compose.yml service api`."""
        return f"{self.path} service {self.name}"


@dataclass(frozen=True, slots=True)
class Pooler:
    """A connection pooler in the tree (pgbouncer.ini, a PgBouncer/PgCat/Odyssey container)."""

    location: Location
    kind: str


@dataclass(frozen=True, slots=True)
class Bouncer:
    """A PgBouncer: pgbouncer.ini, or a PgBouncer container configured by its environment."""

    name: str  #: "pgbouncer/pgbouncer.ini", "docker-compose.yml service pgbouncer"
    location: Location
    settings: dict[str, Known]  #: [pgbouncer] section, names lower-case
    databases: tuple[tuple[str, dict[str, Known], Location], ...] = ()  #: [databases]: name, options, line
    hosts: tuple[str, ...] = ()  #: names an app may use to reach it (compose service name, container name)
    version: tuple[int, ...] | None = None  #: from the image tag, when it says
    config_file: str | None = None  #: a repository pgbouncer.ini the container mounts (then that file configures it)
    #: copies that run (compose deploy.replicas / scale, a Kubernetes Deployment's replicas): each opens its own pools
    replicas: Known | Default | Unknown | None = None


@dataclass(frozen=True, slots=True)
class HbaRule:
    """One line of pg_hba.conf: who may connect from where, and how they prove it."""

    location: Location
    conntype: str  #: local, host, hostssl, hostnossl, hostgssenc, hostnogssenc
    address: str | None
    method: str


@dataclass(frozen=True, slots=True)
class NodePool:
    """A pool (or one connection) a Node process opens outside TypeORM: node-postgres `new Pool`/`new Client`,
    Knex, Sequelize, postgres.js or Prisma; options as written, evaluated when linked (like `TypeOrmConfig`).

    Configuration files are facts too: a knexfile or a sequelize-cli config holds every environment's section
    (`options` is the whole export), a schema.prisma datasource holds the URL; the linker picks the section
    that NODE_ENV names and pairs files with the calls that read them."""

    library: str  #: "pg", "pg-client", "knex", "sequelize", "postgres.js", "prisma"
    options: Obj  #: the options object (or the configuration file's export), located
    source: str  #: "new Pool(…)", "knex(…)", "knexfile.js", "config/config.json", "schema.prisma datasource db", …
    url: Expr | None = None  #: a connection-string argument: postgres.js `postgres(url)`, `new Sequelize(uri)`
    per_call: bool = False  #: created inside a function, so a new pool each time it runs
    config_file: bool = False  #: a knexfile, a sequelize-cli config or a schema.prisma datasource
    uses_config_file: bool = False  #: a call whose options are not written in place (`knex(config[env])`)
    computed: str | None = None  #: a configuration file whose export is computed: the expression text
    fallback_env: tuple[EnvBinding, ...] = ()  #: the `.env` beside schema.prisma, which Prisma loads last
    #: the parameter of the enclosing function that names its host (`knex({ connection: { host: $.auth.host } })`
    #: in `(…$) => …`): a database each caller chooses at run time, not one the deployment's server
    target_from: str | None = None

    @property
    def location(self) -> Location:
        return self.options.location


@dataclass(frozen=True, slots=True)
class NodeProcessDecl:
    """A Node process started by a command line: `pm2 start app.js -i 4`, `pm2-runtime ecosystem.config.js`,
    `node dist/main.js`, `npm run start:prod`, one part of `concurrently`/`npm-run-all`; or a compose service that
    runs its image's CMD. Found in package.json scripts, Dockerfiles, compose files and Procfiles."""

    #: "pm2", "pm2-runtime", "node", "npm-script" (runs a package.json script), "image" (compose), "script" (a shell
    #: script to follow, extract/follow_node.py replaces it by what it starts)
    runner: str
    location: Location  #: the command (the `-i` flag's line where the format gives lines)
    source: str  #: "Dockerfile CMD", "docker-compose.yml service api", "package.json scripts.start", …
    origin: str  #: the kind of file: "compose", "dockerfile", "procfile", "package"
    directory: str  #: the folder the command runs in: the build context, the Dockerfile's or package.json's folder
    script: str | None = None  #: the script or ecosystem file as written, relative to `directory`
    instances: Expr | None = None  #: pm2 `-i` / `--instances`, as written
    ecosystem: bool = False  #: `script` is a pm2 ecosystem file
    npm_script: str | None = None  #: runner "npm-script": the package.json script it runs
    defined_as: str | None = None  #: a package.json script's own name
    dockerfile: str | None = None  #: runner "image": the Dockerfile whose ENTRYPOINT/CMD the service runs
    image: str | None = None  #: runner "image" with no build: the published image, matched by extract/image_builds.py
    #: compose `deploy.replicas` / `scale`, Kubernetes replicas or autoscaler maximum, Heroku dynos, Fly Machines
    replicas: Known | Default | Unknown | None = None
    env: tuple[EnvBinding, ...] = ()  #: Dockerfile ENV, compose `environment`
    surge: Known | Default | Unknown | None = None  #: extra replicas while a rolling deploy runs old and new together
    cpu_limit: Known | None = None  #: the container's `resources.limits.cpu`, which CPU-derived counts ignore
    args: tuple[str, ...] = ()  #: runner "script": the words after the script (`"$@"` inside it)


@dataclass(frozen=True, slots=True)
class NodeFork:
    """Workers a Node app forks itself: `cluster.fork()` in a loop over `os.cpus()`, or `throng(start)`."""

    location: Location
    kind: str  #: "cluster", "throng"
    count: Expr | None  #: the number of workers as written; None when it follows the CPU count
    #: where the primary builds, at module level, an object of the repository's code that the workers build too:
    #: the primary then holds the same pools (one process more); None when it only forks
    primary: Location | None = None


@dataclass(frozen=True, slots=True)
class PendingPools:
    """A Python file whose only facts are engine or pool calls, found by `ast` (extract/python_scan.py): libcst
    reads it only when a deployed process reaches it, or when its project's pools count as a whole
    (link_python.py), so tests, migrations and scripts that nothing deployed imports cost `ast` alone (issue 19)."""

    path: str


@dataclass(frozen=True, slots=True)
class DjangoSettingsRef:
    """`os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")` in manage.py, wsgi.py, asgi.py or a
    Celery app module: the settings module the processes of that project run with unless the environment says."""

    module: str  #: dotted, as written
    location: Location


@dataclass(frozen=True, slots=True)
class FunctionDecl:
    """A serverless function (serverless.yml, vercel.json, netlify.toml): each instance runs one event at a time, and
    the platform runs as many instances at once as its concurrency allows, each with the pools its code opens."""

    platform: str  #: "AWS Lambda", "Vercel", "Netlify"
    name: str  #: the function's name, e.g. "api" or "api/orders.ts"
    location: Location  #: the function's declaration
    source: str  #: "serverless.yml functions.api", "vercel.json functions", …
    directory: str  #: the folder of the project whose code the handler runs ("" for the root)
    runtime: str  #: "node", "python", or "" when the file does not say
    #: instances at once: `reservedConcurrency`; `Default(math.inf, …)` when nothing caps it (the account's limit)
    concurrency: Known | Default | Unknown
    handler: str | None = None  #: as written, relative to `directory`
    provisioned: Known | None = None  #: `provisionedConcurrency`: instances kept warm, holding their pools
    env: tuple[EnvBinding, ...] = ()  #: `environment:` of the provider and the function


@dataclass(frozen=True, slots=True)
class ConnectionLimit:
    """One statement about a role or a database that bounds its connections (extract/sql_limits.py): `CREATE ROLE …
    CONNECTION LIMIT n`, `ALTER DATABASE … CONNECTION LIMIT n`, a Terraform `postgresql_role`; also a role made or
    unmade a superuser, whom no role limit binds. Statements are kept in file order; pgconnlint/role_limits.py lets
    the later one win."""

    kind: str  #: "role" or "database"
    name: str
    location: Location  #: the statement (its first line), or the Terraform attribute
    source: str  #: "ALTER ROLE", "CREATE DATABASE", "Terraform postgresql_role.app"
    limit: Known | Default | None = None  #: -1 = no limit; None: the statement sets none
    superuser: bool | None = None  #: SUPERUSER / NOSUPERUSER; None: the statement does not say
