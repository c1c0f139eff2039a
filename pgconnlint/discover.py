"""Which files of a tree can matter, and reading them safely.

The file list is git's (tracked plus untracked, minus ignored) in a git work tree, else a walk that
never follows a directory link. Classification is by name, then a cheap byte search, so that the
parsers run only on candidates.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from pgconnlint import confine

if TYPE_CHECKING:
    from pgconnlint.model import Location, ParseProblem

MAX_FILE_BYTES = 1024 * 1024  # larger config files are not configs; bounds parse time and memory

DEFAULT_EXCLUDES = (
    "node_modules",
    "dist",
    "build",
    "out",
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    "coverage",
    ".next",
    ".nuxt",
    ".turbo",
    "vendor",
)

ORMCONFIG_SUFFIXES = ("env", "js", "mjs", "cjs", "ts", "mts", "cts", "json", "yml", "yaml")  # TypeORM's order
_CODE_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx", ".jsx")
_TYPEORM_MARKERS = (b"DataSource", b"TypeOrmModule", b"createConnection")
_PYTHON_MARKERS = (
    b"create_engine",
    b"create_async_engine",
    b"engine_from_config",
    b"SQLALCHEMY_",
    b"ConnectionPool",
    b"create_pool",
    b"DATABASES",  # Django settings (extract/django.py)
    b"DJANGO_SETTINGS_MODULE",  # manage.py, wsgi.py, asgi.py naming the settings module
    # Celery's result backend, FastAPI/Starlette endpoints, anyio's limiter, psycopg2 (extract/python_runtime.py)
    b"result_backend",
    b"Celery(",
    b"RESULT_BACKEND",
    b"fastapi",
    b"starlette",
    b"total_tokens",
    b"psycog",
    # a Celery worker's pool and concurrency in its configuration (extract/python_runtime.py WORKER_SETTINGS)
    *(b"worker_pool", b"WORKER_POOL", b"CELERYD_", b"worker_concurrency", b"WORKER_CONCURRENCY"),
    *(b"patch_all", b"monkey_patch"),  # gevent/eventlet patched by the project itself
    *(b"from_pyfile", b"from_envvar"),  # Flask loads its SQLALCHEMY_ settings from a file (extract/sqlalchemy.py)
)
# also the lines that build this repository's images (extract/image_builds.py)
_DOCKER_RUN_MARKERS = (
    *(b"docker run", b"podman run", b"docker container run", b"docker build", b"build-push-action"),
    b"docker/metadata-action",  # its `images:` name what a later step builds (extract/image_builds.py)
    b"cloud-builders/docker",  # Google Cloud Build steps (extract/image_builds.py)
)
# The other Node pools (extract/node_pools.py): node-postgres, Knex, Sequelize, postgres.js and Prisma clients, and
# a sequelize-cli config/config.js. Code files keep the kind "typeorm-code"; its extractor reads both.
_NODE_MARKERS = (
    b"'pg'",
    b'"pg"',
    b"pg-pool",
    b"pg-boss",
    b"knex",
    b"Sequelize",
    b"'postgres'",
    b'"postgres"',
    b"PrismaClient",
    b"drizzle-orm/",  # Drizzle's own pools (extract/node_pools.py)
    b"pg-promise",
    b"@mikro-orm/",  # MikroORM's configurations and `MikroORM.init` (extract/node_pools.py)
    b"dialect",
    b"cluster.fork",  # workers the app forks itself (extract/node_commands.py)
    b"throng",
    b"bullmq",
    b"@Module(",  # NestJS modules: which providers each one instantiates
    *(b'"bun"', b"'bun'", b"Bun.SQL", b"Bun.sql"),  # Bun's built-in SQL client
)
# Deployment descriptions (issue #10): a YAML file is a Kubernetes manifest only if it says `apiVersion`, and a
# Terraform file matters only if it declares a managed PostgreSQL server or its parameters.
_KUBERNETES_MARKERS = (b"apiVersion", b"services:")  # services: a compose file named otherwise (production.yml)
_TERRAFORM_MARKERS = (b"aws_db_", b"aws_rds_", b"google_sql_", b"azurerm_postgresql", b"postgresql_role")
# the apps and their autoscaling maxima (extract/terraform_apps.py)
_TERRAFORM_MARKERS += (b"google_cloud_run_", b"aws_ecs_", b"aws_appautoscaling_target", b"aws_ecr_repository")
_TERRAFORM_MARKERS += (b"aws_apprunner_", b"azurerm_container_app", b"aws_lambda_function", b"archive_file")
# Role and database connection limits (extract/sql_limits.py): SQL files, and the strings of code files that have
# none of their own kind's markers (a migration's `op.execute("ALTER ROLE … CONNECTION LIMIT 5")`)
_SQL_LIMIT_MARKERS = (b"CONNECTION LIMIT", b"connection limit", b"Connection Limit")
_SQL_HOSTS = (".py", *_CODE_SUFFIXES, ".sh", ".bash")  # code and shell scripts (psql heredocs) that may hold SQL
_MARKERS = {
    "kubernetes": _KUBERNETES_MARKERS,
    "terraform": _TERRAFORM_MARKERS,
    "typeorm-code": _TYPEORM_MARKERS + _NODE_MARKERS,
    "python-code": _PYTHON_MARKERS,
    "docker-run": _DOCKER_RUN_MARKERS,
    "sequelize-config": (b"dialect",),
    "sql": _SQL_LIMIT_MARKERS,
}
_PRISMA_CONFIG = re.compile(r"(?:^|/)(?:prisma\.config|\.config/prisma(?:\.config)?)\.(?:c|m)?[jt]s$")
_KNEXFILES = ("knexfile.js", "knexfile.ts", "knexfile.cjs", "knexfile.mjs")
_PYTHON_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "pipfile")
_GUNICORN_CONFIGS = ("gunicorn.conf.py", "gunicorn_conf.py", "gunicorn.config.py", "gunicorn_config.py")
_COMPOSE = re.compile(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml")  # compose.prod.yaml, docker-compose-prod.yml
_PM2_SUFFIXES = (".js", ".cjs", ".mjs", ".json", ".json5", ".yml", ".yaml")
_PM2_PROCESS_FILES = ("process.json", "process.json5", "process.yml", "process.yaml")
ENV_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")


@dataclass(frozen=True, slots=True)
class Candidate:
    path: str  #: POSIX, relative to the root
    kind: str  #: "pgconf", "ormconfig", "typeorm-code", "pm2", "dotenv", "package"


def discover(root: Path, excludes: Iterable[str] = DEFAULT_EXCLUDES) -> list[Candidate]:
    excluded = Excludes(tuple(excludes))
    chosen = Excludes(tuple(p for p in excludes if p not in DEFAULT_EXCLUDES))  # the user's own, always honoured
    listing = _listing(root)
    _LISTED.pop(root, None)
    _BY_NAME_INDEX.pop(root, None)
    if listing is not None:
        _LISTED[root] = listing.files
    candidates = []
    for path in listing.files if listing is not None else sorted(_walk(root, excluded)):
        kind = classify(path)
        if not kind or (excluded.matches(path) and (kind not in _IMAGE_BUILDS or chosen.matches(path))):
            continue
        if kind in _MARKERS:
            # git grep answers for every kind's markers at once; a file it lists is checked for its own kind's
            # (a Python file that merely says "postgres" is not parsed: issue 19)
            grepped = listing is None or listing.has_markers(root, path)
            found = grepped and _contains(root / path, _MARKERS[kind])
            if not found and grepped and path.endswith(_SQL_HOSTS) and _contains(root / path, _SQL_LIMIT_MARKERS):
                kind = "sql-in-code"
            elif not found:
                continue
        if os.path.lexists(os.path.join(root, path)):
            candidates.append(Candidate(path, kind))
    return candidates


#: kinds that describe how an image is built: a committed `build/` folder holding them is the image's build context
#: (docker/release/build/cloudbuild.yaml), not build output, so the default excludes do not drop them
_IMAGE_BUILDS = ("dockerfile", "docker-run")


def classify(path: str) -> str | None:
    """The kind of a file from its name alone (code files still need the content check)."""
    name = path.rpartition("/")[2]
    lower = name.lower()
    if path.startswith(".github/workflows/") and lower.endswith((".yml", ".yaml")):
        return "docker-run"  # CI steps that start a database with `docker run`
    if lower.endswith(".sql"):
        return "sql"  # kept only when it sets a connection limit (extract/sql_limits.py)
    kind = _BY_NAME.get(lower)  # one look-up for every fixed name: a monorepo has tens of thousands of files
    if kind is not None:
        return kind
    stem, _, suffix = name.partition(".")
    if stem == "ormconfig" and suffix in ORMCONFIG_SUFFIXES:
        return "ormconfig"
    if lower == "config.json" and (path == "config/config.json" or path.endswith("/config/config.json")):
        return "sequelize-config"  # sequelize-cli's default; kept only when it names a `dialect`
    if lower.endswith(".prisma"):
        return "prisma-schema"
    if "prisma" in name and _PRISMA_CONFIG.search(path):
        return "prisma-config"  # Prisma 6/7's prisma.config.ts: which schema the client comes from (extract/prisma.py)
    if is_pm2_file(lower):
        return "pm2"
    if lower == ".env" or (lower.startswith(".env.") and not lower.endswith(ENV_TEMPLATES)):
        return "dotenv"
    if lower.endswith(_CODE_SUFFIXES) and not lower.endswith(".d.ts"):
        return "typeorm-code"
    return _python_kind(name, lower) or _deployment_kind(path, lower)


_PLATFORM_FILES = {
    "app.json": "heroku-app",
    "fly.toml": "fly",
    "serverless.yml": "serverless",
    "serverless.yaml": "serverless",
    "vercel.json": "vercel",
    "netlify.toml": "netlify",
}
#: kinds fixed by the whole lower-cased name; no rule before the look-up in `classify` takes any of these names
_BY_NAME = {
    "cloudbuild.yaml": "docker-run",  # Google Cloud Build steps: the images the repository builds (image_builds.py)
    "cloudbuild.yml": "docker-run",
    "postgresql.conf": "pgconf",
    "pgbouncer.ini": "pgbouncer",
    "alembic.ini": "alembic",  # the URL `alembic upgrade` connects to (extract/alembic.py)
    "pg_hba.conf": "hba",
    "pgcat.toml": "pooler",
    "odyssey.conf": "pooler",
    "package.json": "package",
    **dict.fromkeys(_KNEXFILES, "knexfile"),
    ".sequelizerc": "sequelizerc",  # sequelize-cli's settings: which config file it reads (extract/node_pools.py)
    **dict.fromkeys(_PYTHON_PROJECT_FILES, "python-project"),
    **dict.fromkeys(_GUNICORN_CONFIGS, "gunicorn-config"),
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "chart.yaml": "helm-chart",
    **_PLATFORM_FILES,
}


def _deployment_kind(path: str, lower: str) -> str | None:
    """Where processes and servers are deployed: Terraform, Kubernetes manifests (Helm charts and platform files are
    named: `_BY_NAME`). Compose files and CI workflows are classified before this, so they never count as manifests."""
    if lower.endswith(".tf"):
        return "terraform"
    if lower.endswith((".yaml", ".yml")) and not _is_compose(lower) and not _in_chart_templates(path):
        return "kubernetes"
    return None


def _is_compose(lower: str) -> bool:
    return "compose" in lower and bool(_COMPOSE.fullmatch(lower))


def _in_chart_templates(path: str) -> bool:
    """Helm templates are not YAML until rendered: the chart (Chart.yaml) is read instead."""
    return "/templates/" in f"/{path}"


def _python_kind(name: str, lower: str) -> str | None:
    if name == "Procfile" or name.startswith("Procfile."):
        return "procfile"
    if lower.endswith(".service"):
        return "systemd"  # a systemd unit (extract/systemd.py)
    if lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if _is_compose(lower):
        return "compose"
    if _is_script(name, lower):
        return "docker-run"
    if lower.endswith(".py"):
        return "python-code"
    return None


_SCRIPT_NAMES = ("Makefile", "makefile", "GNUmakefile", "Justfile", "justfile", "Jenkinsfile", ".gitlab-ci.yml")


def _is_script(name: str, lower: str) -> bool:
    """Where `docker run … postgres -c …` lines live: shell scripts, Makefiles, CI workflows."""
    return lower.endswith((".sh", ".bash", ".mk")) or name in _SCRIPT_NAMES


def is_pm2_file(name: str) -> bool:
    if not name.endswith(_PM2_SUFFIXES):
        return False
    # pm2.json, pm2.config.js, and per-environment copies such as pm2.prod.json or pm2-staging.yml
    # process.json/.yml, pm2's older default names, and process.config.js
    return name.startswith(("ecosystem", "pm2.", "pm2-", "process.config.")) or name in _PM2_PROCESS_FILES


class Excludes:
    """Glob patterns matched against every folder name of a path, or against the whole path.

    One compiled regular expression, and one answer per folder: a monorepo has thousands of files
    per folder, and matching each pattern per file was half of a 20,000-file run (bench/).
    """

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._regex = re.compile("|".join(fnmatch.translate(p) for p in patterns) or "(?!)")
        self._folders: dict[str, bool] = {}

    def matches(self, path: str) -> bool:
        folder, _, _ = path.rpartition("/")
        return self._folder_excluded(folder) or bool(self._regex.match(path))

    def name_matches(self, name: str) -> bool:
        return bool(self._regex.match(name))

    def _folder_excluded(self, folder: str) -> bool:
        if not folder:
            return False
        known = self._folders.get(folder)
        if known is None:
            parent, _, name = folder.rpartition("/")
            known = self._folder_excluded(parent) or bool(self._regex.match(name)) or bool(self._regex.match(folder))
            self._folders[folder] = known
        return known


# The repository under check is untrusted: its .git/config could name a program for git to run (core.fsmonitor runs
# on every index refresh, a hook or a pager on other commands). Every git call of the tool (here and in diff.py)
# starts with these, which override the settings that can.
GIT = (
    "git",
    "--no-pager",
    *("-c", "core.fsmonitor=false"),
    *("-c", "core.hooksPath=/dev/null"),
    *("-c", "core.pager=cat"),
    *("-c", "core.untrackedCache=false"),
)


#: the file list of each root's last discovery: extract/follow.py and reach_python.py ask for it again in the same
#: run, and `git ls-files --others` walks the whole tree each time
_LISTED: dict[Path, list[str]] = {}


def tree_files(root: Path) -> list[str]:
    """Every file of the tree, sorted, for the steps that look a file up after discovery (extract/follow.py,
    reach_python.py): git's list of this run's discovery, else git's now, else a walk. Shared: never changed."""
    if root not in _LISTED:
        listing = _collect(root, _start_git(root, grep=False))
        _LISTED[root] = listing.files if listing is not None else sorted(_walk(root, Excludes(DEFAULT_EXCLUDES)))
    return _LISTED[root]


#: the tree's files by their name, built once a run for every follower that looks a script or Dockerfile up
_BY_NAME_INDEX: dict[Path, dict[str, list[str]]] = {}


def files_by_name(root: Path) -> dict[str, list[str]]:
    """`tree_files` by file name: one pass, not one per command (1,200 containers × 20,000 files)."""
    if root not in _BY_NAME_INDEX:
        found: dict[str, list[str]] = {}
        for path in tree_files(root):
            found.setdefault(path.rpartition("/")[2], []).append(path)
        _BY_NAME_INDEX[root] = found
    return _BY_NAME_INDEX[root]


#: every content marker of every kind, searched by one `git grep` (bench/run.py's floor greps the same names)
MARKERS = tuple(dict.fromkeys(marker for markers in _MARKERS.values() for marker in markers))
#: how the names of files of a kind with markers end, as written: `git grep` searches only those (`*.py`,
#: `*/Makefile` and `Makefile`); a superset costs a little, and a file named otherwise (`DB.PY`) is read here instead
_GREP_ENDINGS = (*_SQL_HOSTS, ".mk", ".yml", ".yaml", ".tf", ".sql", "/config/config.json")
_GREP_ENDINGS += tuple(f"/{name}" for name in _SCRIPT_NAMES)
#: variables that change what a pathspec means (`*` literal, or not matching `/`): never passed to the search
_PATHSPEC_ENV = ("GIT_LITERAL_PATHSPECS", "GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS")


def _grep_pathspecs() -> list[str]:
    specs = [f"*{ending}" for ending in _GREP_ENDINGS]
    return [*specs, *(ending[1:] for ending in _GREP_ENDINGS if ending.startswith("/"))]


def _grep_searched(path: str) -> bool:
    """Whether `git grep` read `path`: one of `_grep_pathspecs()` matches it."""
    return f"/{path}".endswith(_GREP_ENDINGS)


class _Git(NamedTuple):
    """The git processes of one discovery, started together: each of the lists and the search walks the tree."""

    inside: subprocess.Popen | None  #: rev-parse --is-inside-work-tree
    tracked: subprocess.Popen | None  #: ls-files --cached: the index, however .gitignore reads
    untracked: subprocess.Popen | None  #: ls-files --others --exclude-standard
    grep: subprocess.Popen | None  #: the tracked files that hold any marker (None: not asked)


class _Listing(NamedTuple):
    """git's file list (tracked and untracked, not ignored; sorted) and which of them hold a marker. The list may
    still name files deleted from the work tree: checked per candidate."""

    files: list[str]
    tracked: frozenset[str]
    with_markers: frozenset[str] | None  #: tracked files git grep found a marker in; None: it failed, read each

    def has_markers(self, root: Path, path: str) -> bool:
        """Whether `path` holds any marker, as `git grep -I` answers: its answer for the tracked files it read, and
        the file read here otherwise (an untracked file, or a name outside the search's pathspecs). A tracked file
        under an ignored folder (a committed docker/release/build/ that .gitignore's `**/build/` covers) is seen."""
        if self.with_markers is None:
            return True
        if path in self.tracked and _grep_searched(path):
            return path in self.with_markers
        return _grep_like(root / path)


#: git processes started early for a root (`start`), collected by its next discovery
_STARTED: dict[Path, _Git] = {}


def start(root: Path) -> None:
    """Start git's lists and content search for `root` now, for the next `discover(root)`: the CLI calls it before
    importing the extractors and checks, so that git walks the tree while the interpreter imports (issue 19)."""
    root = root.resolve()
    if root not in _STARTED:
        _STARTED[root] = _start_git(root, grep=True)


def _listing(root: Path) -> _Listing | None:
    """git's list and search for `root` (started by `start` or now); None outside a work tree or when git cannot
    tell (then the tree is walked and every candidate's content read)."""
    return _collect(root, _STARTED.pop(root, None) or _start_git(root, grep=True))


def _start_git(root: Path, grep: bool) -> _Git:
    patterns = [arg for marker in MARKERS for arg in ("-e", marker.decode())]
    environment = {name: value for name, value in os.environ.items() if name not in _PATHSPEC_ENV}
    return _Git(
        _start(root, "rev-parse", "--is-inside-work-tree"),
        _start(root, "ls-files", "-z", "--cached"),
        _start(root, "ls-files", "-z", "--others", "--exclude-standard"),
        _start(root, "grep", *_GREP_OPTIONS, *patterns, "--", *_grep_pathspecs(), env=environment) if grep else None,
    )


#: `-l -z`: the names, NUL-separated; `-I`: no binary file; `-F`: the markers are strings. The repository's own
#: settings must not change the names printed (color.grep, grep.fullName).
_GREP_OPTIONS = ("-l", "-z", "-I", "-F", "--no-color", "--no-full-name")


def _collect(root: Path, git: _Git) -> _Listing | None:
    inside = _git_output(git.inside, 30)
    tracked = _names(_git_output(git.tracked, 120))
    untracked = _names(_git_output(git.untracked, 120))
    grepped = _names(_git_output(git.grep, 120, ok=(0, 1))) if git.grep is not None else None  # 1: no match
    if inside is None or inside.strip() != b"true" or tracked is None or untracked is None:
        return None
    return _Listing(sorted(tracked | untracked), frozenset(tracked), None if grepped is None else frozenset(grepped))


def _start(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen | None:
    try:
        return subprocess.Popen(
            [*GIT, "-C", str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
    except OSError:
        return None


def _git_output(process: subprocess.Popen | None, seconds: float, ok: tuple[int, ...] = (0,)) -> bytes | None:
    """What a git process wrote, or None when it failed or took longer than `seconds` (then it is stopped)."""
    if process is None:
        return None
    try:
        out, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None
    return out if process.returncode in ok else None


def _names(output: bytes | None) -> set[str] | None:
    return None if output is None else {name for name in output.decode("utf-8", "surrogateescape").split("\0") if name}


def _walk(root: Path, excluded: Excludes):
    # followlinks=False: a directory link is never entered, so a link loop cannot trap the walk.
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories[:] = [d for d in subdirectories if not excluded.name_matches(d)]
        relative = PurePosixPath(Path(directory).relative_to(root).as_posix())
        for name in files:
            yield str(relative / name) if str(relative) != "." else name


def _contains(path: Path, markers: tuple[bytes, ...]) -> bool:
    try:
        if path.is_symlink() or path.stat().st_size > MAX_FILE_BYTES:
            return True  # let read_text report it
        data = path.read_bytes()
    except OSError:
        return True
    return any(marker in data for marker in markers)


_BINARY_PROBE = 8000  # git's buffer_is_binary: a NUL byte in the first 8,000 bytes
_BLOCK = 1024 * 1024


def _grep_like(path: Path) -> bool:
    """`git grep -l -I` of every marker for a file git did not search (untracked, or named outside its pathspecs),
    answered as git would: a link is skipped, so is an unreadable or binary file (a NUL byte in the first 8,000;
    .gitattributes are not consulted), and a large one is searched whole, in blocks."""
    overlap = max(map(len, MARKERS)) - 1
    try:
        if path.is_symlink():
            return False
        with open(path, "rb") as file:
            block = file.read(_BLOCK)
            if b"\0" in block[:_BINARY_PROBE]:
                return False
            tail = b""
            while block:
                data = tail + block
                if any(marker in data for marker in MARKERS):
                    return True
                tail, block = data[-overlap:], file.read(_BLOCK)
    except OSError:
        return False
    return False


def read_text(root: Path, path: str) -> str | ParseProblem:
    """The text of a file inside `root`, or the reason it was not read. The whole path is resolved, links
    included, and must stay inside the tree (pgconnlint/confine.py); nesting deeper than any configuration needs
    is refused before a parser sees it (a native parser can crash on it, a pure-Python one can take seconds)."""
    from pgconnlint.model import Location, ParseProblem  # here: the CLI starts git (`start`) before the model loads

    where = Location(path, 1)
    try:
        full = confine.inside(root, path)
        if not full.is_file():
            return ParseProblem(where, "not a regular file; not read", skipped=True)
        size = full.stat().st_size
        if size > MAX_FILE_BYTES:
            return ParseProblem(where, f"{size} bytes, over the {MAX_FILE_BYTES}-byte limit; not read", skipped=True)
        with open(full, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except confine.Refused as refused:
        return ParseProblem(where, str(refused), skipped=True)
    except RuntimeError:
        return ParseProblem(where, "symbolic link loop; not read", skipped=True)
    except OSError as error:
        return ParseProblem(where, f"cannot read: {error.strerror or error}", skipped=True)
    return decode(where, data)


def decode(where: Location, data: bytes) -> str | ParseProblem:
    """Bytes of a configuration file as text: UTF-8 (undecodable bytes replaced), never UTF-16 or binary."""
    from pgconnlint.model import ParseProblem

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ParseProblem(where, "UTF-16 text; not read", skipped=True, help="save it as UTF-8")
    if b"\0" in data:
        return ParseProblem(where, "binary file (contains NUL bytes); not read", skipped=True)
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    depth = nesting(text)
    if depth > MAX_NESTING:
        return ParseProblem(where, f"brackets nested {depth} deep, over the limit of {MAX_NESTING}; not read")
    return text


MAX_NESTING = 300  # bracket depth: no configuration needs more; libcst's native parser crashes near 1,500,
# and PyYAML's pure-Python scanner takes seconds on 2,000 nested `[`
_NOT_BRACKET = re.compile(r"[^\[\]{}()]+")


def nesting(text: str) -> int:
    """The deepest bracket nesting of `text`, strings and comments included (an over-estimate is safe)."""
    brackets = _NOT_BRACKET.sub("", text)
    if len(brackets) <= MAX_NESTING:
        return len(brackets)  # an upper bound, and under the limit
    depth = deepest = 0
    for bracket in brackets:  # a plain loop: 4x faster than itertools.accumulate with a lambda (10^5 brackets)
        if bracket in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1  # a stray closer never takes the depth below 0
    return deepest
