"""Platforms and serverless functions: Heroku `app.json` with its Procfile, `fly.toml`, `serverless.yml`, `vercel.json`
and `netlify.toml` (docs/platforms.md says what is read and which defaults apply, with their sources).

Each file is read on its own (`extract_*`); what needs another file or the tree (the Procfile an `app.json` formation
scales, the Dockerfile a Fly app runs, the handlers in a Vercel `api/` folder) waits in `facts.deployment` until
`resolve(root, facts)` runs once every file is read (pgconnlint/lint.py `_resolve_deployments`).
"""

from __future__ import annotations

import math
import posixpath
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from pgconnlint import confine
from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.extract import commands, node_commands, yamlsource
from pgconnlint.model import (
    Default,
    EnvBinding,
    FunctionDecl,
    Known,
    Location,
    NodeProcessDecl,
    ParseProblem,
    ProcessDecl,
    Unknown,
)
from pgconnlint.providers import HEROKU_ADDON_URL

# --- facts waiting for resolve ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormationEntry:
    """One process type of an app.json `formation`."""

    name: str  #: the Procfile process type: "web", "worker", …
    quantity: Known | Unknown | None  #: dynos; None when the entry does not say
    size: Known | None = None  #: the dyno size as written, e.g. "standard-2x"


@dataclass(frozen=True, slots=True)
class HerokuFormation:
    """A Heroku app.json: the dynos per process type of the Procfile beside it, and the config vars it sets."""

    location: Location
    directory: str  #: the app's root: where Heroku reads the Procfile
    entries: tuple[FormationEntry, ...]
    env: tuple[EnvBinding, ...] = ()  #: `env` entries that give a `value`


@dataclass(frozen=True, slots=True)
class FlyGroup:
    """One process group of a fly.toml: `[processes]` name and command, or the implicit "app" group."""

    name: str
    location: Location
    command: str | None  #: None: the image's own ENTRYPOINT/CMD
    services: bool  #: an `[http_service]` or `[[services]]` routes to it
    mounts: bool  #: a `[mounts]` volume is attached to it


@dataclass(frozen=True, slots=True)
class FlyApp:
    """A fly.toml: its process groups, the Dockerfile they run, and the `[env]` every Machine gets."""

    location: Location
    directory: str
    dockerfile: str  #: relative to the root
    groups: tuple[FlyGroup, ...]
    env: tuple[EnvBinding, ...] = ()


@dataclass(frozen=True, slots=True)
class ServerlessService:
    """A project whose functions are the files of a folder (Vercel's `api/`, Netlify's functions directory): the
    folder is listed in `resolve`, which has the tree."""

    platform: str  #: "Vercel", "Netlify"
    location: Location  #: the configuration file
    directory: str  #: the project's folder
    folders: tuple[str, ...]  #: folders whose code files are functions, relative to `directory`
    globs: tuple[tuple[str, Location], ...] = ()  #: vercel.json `functions` patterns, with their key's location
    concurrency: Default | None = None


# --- Heroku -----------------------------------------------------------------------------------------------------

#: The WEB_CONCURRENCY the Heroku Python buildpack exports at dyno boot when the app does not set it: the lower of
#: `2 × CPU cores + 1` and `RAM MB / 256` (heroku-buildpack-python vendor/WEB_CONCURRENCY.sh); the values per dyno
#: size are Heroku's table in Dev Center "Optimizing Python Application Concurrency" (updated 2024-12-03), which
#: also says Fir-generation dynos get none. Gunicorn and uvicorn read it as their default worker count.
_PYTHON_WEB_CONCURRENCY = {
    "eco": 2,
    "basic": 2,
    "standard-1x": 2,
    "standard-2x": 4,
    "performance-m": 5,
    "performance-l": 17,
    "performance-l-ram": 9,
    "performance-xl": 17,
    "performance-2xl": 33,
    "private-s": 4,
    "shield-s": 4,
    "private-m": 5,
    "shield-m": 5,
    "private-l": 17,
    "shield-l": 17,
    "private-l-ram": 9,
    "shield-l-ram": 9,
}
_READS_WEB_CONCURRENCY = ("gunicorn", "uvicorn")  # the servers whose worker default is $WEB_CONCURRENCY


def extract_heroku(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """app.json: `formation` (quantity and size per process type) and `env` values; applied to the Procfile in
    `resolve`. Quantities that are not whole numbers are reported and left out."""
    document, problems = json_document(path, text)
    if not isinstance(document, Obj):
        return [], problems
    entries: list[FormationEntry] = []
    for name, entry in _formation_entries(document.get("formation")):
        quantity = _count(entry.get("quantity"), f"app.json formation.{name}.quantity", digits_text=False)
        if isinstance(quantity, Unknown):
            problems.append(ParseProblem(quantity.location, f"{quantity.reason}; its dyno count is not used"))
        size = entry.get("size")
        size_value = Known(size.value, size.location, f"app.json formation.{name}.size") if _text(size) else None
        entries.append(FormationEntry(name, quantity, size_value))
    env = tuple(_heroku_env(path, document.get("env")))
    env += tuple(b for b in _addon_urls(path, document.get("addons")) if b.name not in {e.name for e in env})
    if not entries and not env:
        return [], problems
    return [HerokuFormation(document.location, _folder(path), tuple(entries), env)], problems


def _formation_entries(formation: Expr | None) -> list[tuple[str, Obj]]:
    """`{"web": {...}}`, as app.json writes it; also the Platform API's list form `[{"process": "web", ...}]`."""
    if isinstance(formation, Obj):
        return [(name, entry) for name, entry in formation.entries.items() if isinstance(entry, Obj)]
    if isinstance(formation, Arr):
        return [
            (str(item.get("process").value), item)
            for item in formation.items
            if isinstance(item, Obj) and _text(item.get("process"))
        ]
    return []


def _heroku_env(path: str, env: Expr | None) -> list[EnvBinding]:
    """`"NAME": {"value": "4"}` or `"NAME": "4"`: config vars set when the app is created from app.json."""
    found = []
    for name, entry in env.entries.items() if isinstance(env, Obj) else ():
        value = entry.get("value") if isinstance(entry, Obj) else entry
        if isinstance(value, Lit) and isinstance(value.value, (str, int)) and not isinstance(value.value, bool):
            found.append(EnvBinding(name, str(value.value), value.location, f"{path} env"))
    return found


def _addon_urls(path: str, addons: Expr | None) -> list[EnvBinding]:
    """`"addons": ["heroku-postgresql"]` (or `{"plan": "heroku-postgresql:…", "as": "NAME"}`): Heroku sets
    DATABASE_URL (NAME_URL) to the add-on's server, which is not in the repository; a committed `.env` that names
    SQLite does not override it (dotenv leaves variables the process has alone)."""
    found = []
    for addon in addons.items if isinstance(addons, Arr) else ():
        plan = addon.get("plan") if isinstance(addon, Obj) else addon
        if not _text(plan) or str(plan.value).split(":", 1)[0] != "heroku-postgresql":
            continue
        attachment = addon.get("as") if isinstance(addon, Obj) else None
        name = f"{str(attachment.value).upper()}_URL" if _text(attachment) else "DATABASE_URL"
        found.append(EnvBinding(name, HEROKU_ADDON_URL, plan.location, f"{path} addons: heroku-postgresql sets it"))
    return found


def _resolve_heroku(formation: HerokuFormation, facts) -> None:
    procfile = posixpath.join(formation.directory, "Procfile") if formation.directory else "Procfile"
    by_type = {entry.name: entry for entry in formation.entries}
    for kind in ("processes", "node_processes"):
        items = getattr(facts, kind)
        for index, decl in enumerate(items):
            if not isinstance(decl, (ProcessDecl, NodeProcessDecl)):
                continue
            match = re.fullmatch(rf"{re.escape(procfile)} \((?P<type>[\w-]+)\)", decl.source)
            if match:
                items[index] = _on_heroku(decl, by_type.get(match.group("type")), formation)


def _on_heroku(decl, entry: FormationEntry | None, formation: HerokuFormation):
    """The dyno count as replicas; app.json's config vars, then (Python servers) the buildpack's WEB_CONCURRENCY."""
    changes: dict = {"env": formation.env + decl.env}
    if isinstance(decl, ProcessDecl):
        changes["platform"] = "heroku"  # the buildpack sets WEB_CONCURRENCY at boot (link_python.py `_workers`)
    if entry is not None and isinstance(entry.quantity, Known):
        changes["replicas"] = entry.quantity
    default = _web_concurrency(decl, entry, formation)
    if default is not None:
        changes["env"] = (default, *changes["env"])
    return replace(decl, **changes)


def _web_concurrency(decl, entry: FormationEntry | None, formation: HerokuFormation) -> EnvBinding | None:
    """The Python buildpack's default applies only where nothing sets WEB_CONCURRENCY and the dyno size is known."""
    if not isinstance(decl, ProcessDecl) or decl.server not in _READS_WEB_CONCURRENCY:
        return None
    if entry is None or entry.size is None or any(b.name == "WEB_CONCURRENCY" for b in formation.env + decl.env):
        return None
    size = str(entry.size.value).lower()
    if size not in _PYTHON_WEB_CONCURRENCY:
        return None
    value = str(_PYTHON_WEB_CONCURRENCY[size])
    return EnvBinding("WEB_CONCURRENCY", value, entry.size.location, f"Heroku python buildpack default for {size}")


# --- Fly.io -----------------------------------------------------------------------------------------------------

#: Fly Machines per process group after the first `fly launch` / `fly deploy`: two for a group with HTTP/TCP services,
#: one with a volume mounted ("You get two Machines on first deploy", fly.io/docs/blueprints/resilient-apps-multiple-
#: machines/). `fly scale count` changes it afterwards, and the count is not written in fly.toml.
_FLY_SERVICE_MACHINES = 2


def extract_fly(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """fly.toml: `[processes]` (name → command; without it the "app" group runs the image's ENTRYPOINT/CMD, as
    fly.io/docs/apps/processes/ says), `[build] dockerfile`, `[env]`, and which groups have services or mounts."""
    data, problems = _toml(path, text)
    if data is None:
        return [], problems
    folder = _folder(path)
    where = Location(path, 1)
    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    written = build.get("dockerfile") if isinstance(build.get("dockerfile"), str) else "Dockerfile"
    dockerfile = posixpath.normpath(posixpath.join(folder or ".", written)).removeprefix("./")
    processes = data.get("processes") if isinstance(data.get("processes"), dict) else {}
    served, mounted = _fly_routed(data)
    groups = []
    for name, command in processes.items():
        location = Location(path, _toml_line(text, "processes", name))
        if not isinstance(command, str):
            problems.append(ParseProblem(location, f"fly.toml processes.{name} is not a command string; not read"))
            continue
        groups.append(FlyGroup(name, location, command, served(name), mounted(name)))
    if not processes:
        groups.append(FlyGroup("app", where, None, served("app"), mounted("app")))
    env = tuple(
        EnvBinding(name, str(value), Location(path, _toml_line(text, "env", name)), f"{path} [env]")
        for name, value in (data.get("env") or {}).items()
        if isinstance(value, (str, int, float)) and not isinstance(value, bool)
    )
    return [FlyApp(where, folder, dockerfile, tuple(groups), env)], problems


def _fly_routed(data: dict):
    """Which groups an `[http_service]` / `[[services]]` routes to and which get a `[mounts]` volume; a section
    without `processes` applies to every group."""

    def groups_of(sections) -> list[list[str] | None]:
        found = []
        for section in sections:
            if isinstance(section, dict):
                names = section.get("processes")
                found.append([str(n) for n in names] if isinstance(names, list) else None)
        return found

    def sections(key: str) -> list:
        value = data.get(key)
        return value if isinstance(value, list) else [value] if isinstance(value, dict) else []

    services = groups_of(sections("http_service") + sections("services"))
    mounts = groups_of(sections("mounts"))

    def test(declared):
        return lambda name: any(names is None or name in names for names in declared)

    return test(services), test(mounts)


def _resolve_fly(app: FlyApp, facts) -> None:
    """Each group's command → Python/Node processes; the implicit group → the image's CMD (the linker reads it from
    the Dockerfile). Fly's command stands where a compose `command:` would, so it outranks the image's CMD."""
    for group in app.groups:
        source = f"{app.location.path} processes.{group.name}" if group.command else f"{app.location.path} app"
        machines = _fly_machines(app, group)
        extra = {"env": app.env}
        if machines is not None:
            extra["replicas"] = machines
        if group.command is not None:
            decl = commands.parse(group.command, group.location, source, app.directory)
            if decl is not None:
                facts.processes.append(replace(decl, image=app.dockerfile, **extra))
            for node in node_commands.parse(group.command, group.location, source, "platform", app.directory):
                facts.node_processes.append(replace(node, **extra))
            continue
        # The image's CMD: the linker reads the Dockerfile's Node and Python servers (link.py, link_python.py).
        image = NodeProcessDecl("image", group.location, source, "platform", app.directory, dockerfile=app.dockerfile)
        facts.node_processes.append(replace(image, **extra))


def _fly_machines(app: FlyApp, group: FlyGroup) -> Default:
    if group.services and not group.mounts:
        why = (
            f"fly launch/deploy creates {_FLY_SERVICE_MACHINES} Machines on first deploy for a process group with "
            "services (fly.io docs: resilient apps use multiple Machines); `fly scale count` is not in fly.toml"
        )
        return Default(_FLY_SERVICE_MACHINES, group.location, why)
    why = "fly launch/deploy creates 1 Machine for a process group " + (
        "with a volume" if group.mounts else "without services"
    )
    return Default(1, group.location, why + "; `fly scale count` is not in fly.toml")


# --- Serverless Framework (AWS Lambda) ---------------------------------------------------------------------------

#: Without `reservedConcurrency` a Lambda function scales until the Region's account concurrency is used up: 1,000
#: concurrent executions by default, a soft limit AWS raises on request (AWS Lambda operator guide, "Scaling and
#: concurrency in Lambda": "All AWS accounts start with a default concurrent limit of 1000 per Region").
_LAMBDA_UNCAPPED = (
    "no reservedConcurrency: AWS Lambda scales to the account's concurrency limit (1,000 per Region by default, "
    "raised on request)"
)
_VARIABLE = re.compile(r"\$\{([^{}]+)\}")
_MAX_VARIABLE_DEPTH = 8


def extract_serverless(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """serverless.yml: one FunctionDecl per `functions.<name>`, with its runtime, handler, reservedConcurrency,
    provisionedConcurrency and environment (provider's, then the function's). `${self:…}` references are followed
    within the file; other variables (`${env:…}`, `${opt:…}`, `${ssm:…}`, `${file(…)}`) are unknown here."""
    documents, problems = yamlsource.load(path, text)
    document = documents[0] if documents else None
    if not isinstance(document, Obj):
        return [], problems
    functions = _resolved(document, document.get("functions"))
    if isinstance(functions, Unknown):
        problems.append(ParseProblem(functions.location, f"serverless.yml functions: {functions.reason}; not read"))
        return [], problems
    provider = document.get("provider")
    provider = provider if isinstance(provider, Obj) else Obj(document.location, "")
    runtime = _resolved(document, provider.get("runtime"))
    provider_env = _serverless_env(document, provider.get("environment"), f"{path} provider.environment")
    found = []
    for name, function in _function_entries(functions):
        source = f"{path} functions.{name}"
        own = _resolved(document, function.get("runtime"))
        declared = functions.key_location(name) if isinstance(functions, Obj) else function.location
        found.append(
            FunctionDecl(
                platform="AWS Lambda",
                name=name,
                location=declared,
                source=source,
                directory=_folder(path),
                runtime=_runtime(own if own is not None else runtime),
                concurrency=_reserved(document, function, source, declared),
                handler=_handler(document, function),
                provisioned=_provisioned(document, function, source),
                env=provider_env + _serverless_env(document, function.get("environment"), f"{source}.environment"),
            )
        )
    return found, problems


def _function_entries(functions: Expr | None) -> list[tuple[str, Obj]]:
    """`functions:` as a map, or as a list of one-entry maps (both are accepted by the Serverless Framework)."""
    if isinstance(functions, Obj):
        return [(name, f) for name, f in functions.entries.items() if isinstance(f, Obj)]
    if isinstance(functions, Arr):
        return [
            (name, f)
            for item in functions.items
            if isinstance(item, Obj)
            for name, f in item.entries.items()
            if isinstance(f, Obj)
        ]
    return []


def _reserved(document: Obj, function: Obj, source: str, declared: Location) -> Known | Default | Unknown:
    written = function.get("reservedConcurrency")
    if written is None:
        return Default(math.inf, declared, _LAMBDA_UNCAPPED)
    value = _count(_resolved(document, written), "reservedConcurrency")
    if isinstance(value, Known):
        return Known(value.value, value.location, f"{source}.reservedConcurrency")
    return value if isinstance(value, Unknown) else Default(math.inf, declared, _LAMBDA_UNCAPPED)


def _provisioned(document: Obj, function: Obj, source: str) -> Known | None:
    value = _count(_resolved(document, function.get("provisionedConcurrency")), "provisionedConcurrency")
    return Known(value.value, value.location, f"{source}.provisionedConcurrency") if isinstance(value, Known) else None


def _handler(document: Obj, function: Obj) -> str | None:
    handler = _resolved(document, function.get("handler"))
    return str(handler.value) if _text(handler) else None


def _runtime(value) -> str:
    text = str(value.value).lower() if isinstance(value, Lit) else ""
    return "node" if text.startswith("nodejs") else "python" if text.startswith("python") else ""


def _serverless_env(document: Obj, env: Expr | None, source: str) -> tuple[EnvBinding, ...]:
    """Values the file states (after `${self:…}`); a variable we cannot follow leaves the name unset."""
    found = []
    for name, value in env.entries.items() if isinstance(env, Obj) else ():
        value = _resolved(document, value)
        if isinstance(value, Lit) and value.value is not None and not isinstance(value.value, bool):
            found.append(EnvBinding(name, str(value.value), value.location, source))
    return tuple(found)


def _resolved(document: Obj, value: Expr | None, depth: int = 0) -> Expr | Unknown | None:
    """A value with `${self:path}` references replaced by what the path holds in this file (a whole-value reference
    keeps the target's type, one inside a string is spliced in); any other variable makes the value Unknown."""
    if not isinstance(value, Lit) or not isinstance(value.value, str) or "${" not in value.value:
        return value
    if depth > _MAX_VARIABLE_DEPTH:
        return Unknown(value.value, value.location, "variables refer to each other too deeply")
    whole = _VARIABLE.fullmatch(value.value)
    if whole:
        target = _self_target(document, whole.group(1))
        if target is None:
            return Unknown(value.value, value.location, _unknown_variable(whole.group(1)))
        resolved = _resolved(document, target, depth + 1)
        return replace(resolved, location=value.location) if isinstance(resolved, Lit) else resolved
    text = value.value
    for match in _VARIABLE.finditer(value.value):
        target = _resolved(document, _self_target(document, match.group(1)), depth + 1)
        if not isinstance(target, Lit):
            return Unknown(value.value, value.location, _unknown_variable(match.group(1)))
        text = text.replace(match.group(0), str(target.value), 1)
    return Lit(value.location, text, text)


def _self_target(document: Obj, reference: str) -> Expr | None:
    match = re.fullmatch(r"\s*self:([\w.-]+)\s*", reference)
    return document.get(match.group(1)) if match else None


def _unknown_variable(reference: str) -> str:
    kind = reference.split(":", 1)[0].split("(", 1)[0].strip()
    return f"`${{{reference}}}` is resolved by the Serverless Framework at deploy time ({kind})"


# --- Vercel and Netlify -----------------------------------------------------------------------------------------

#: Vercel scales functions on demand up to 30,000 concurrent executions on Pro, 100,000 on Enterprise, and vercel.json
#: has no setting that caps one function (vercel.com/docs/functions/concurrency-scaling; the `functions` key sets
#: only memory, maxDuration, runtime and included files: vercel.com/docs/project-configuration).
_VERCEL_UNCAPPED = (
    "Vercel scales functions on demand (up to 30,000 at once on Pro, 100,000 on Enterprise); vercel.json cannot cap "
    "a function's concurrency"
)
#: Netlify Functions run on AWS Lambda and Netlify documents no concurrency setting: its list of function defaults and
#: settings (docs.netlify.com/build/functions/configuration) has region, memory, time and payload limits only.
_NETLIFY_UNCAPPED = "Netlify Functions: no concurrency setting exists (Netlify's function configuration docs)"
_FUNCTION_SUFFIXES = {".js": "node", ".mjs": "node", ".cjs": "node", ".ts": "node", ".mts": "node", ".cts": "node"}
_FUNCTION_SUFFIXES |= {".tsx": "node", ".jsx": "node", ".py": "python"}
_MAX_FUNCTIONS = 500  # per project: a generated folder of thousands is not a set of handlers to list one by one


def extract_vercel(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """vercel.json: the `functions` patterns (their files are functions), and the `api/` folder, whose code files
    are functions whether or not vercel.json names them (vercel.com/docs/functions/configuring-functions/
    advanced-configuration: files starting with `_` or `.` and `.d.ts` files are not)."""
    document, problems = json_document(path, text)
    if document is None:
        return [], problems
    functions = document.get("functions") if isinstance(document, Obj) else None
    globs = tuple(functions.key_locations.items()) if isinstance(functions, Obj) else ()
    where = document.location
    service = ServerlessService(
        "Vercel", where, _folder(path), ("api",), globs, Default(math.inf, where, _VERCEL_UNCAPPED)
    )
    return [service], problems


def extract_netlify(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """netlify.toml: `[functions] directory` (or the older `[build] functions`), default `netlify/functions`, relative
    to `[build] base` (docs.netlify.com/functions/optional-configuration/)."""
    data, problems = _toml(path, text)
    if data is None:
        return [], problems
    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    functions = data.get("functions") if isinstance(data.get("functions"), dict) else {}
    directory = functions.get("directory") or build.get("functions") or "netlify/functions"
    base = build.get("base") if isinstance(build.get("base"), str) else ""
    if not isinstance(directory, str):
        return [], problems
    folder = _join(_folder(path), base.strip("/"))
    where = Location(path, _toml_line(text, "functions", "directory") if "directory" in functions else 1)
    service = ServerlessService(
        "Netlify", where, folder, (directory.strip("/"),), (), Default(math.inf, where, _NETLIFY_UNCAPPED)
    )
    return [service], problems


def _resolve_functions(service: ServerlessService, root: Path, facts) -> None:
    """The functions of the project's folders; a vercel.json pattern that matches a file names it (the first one)."""
    found: dict[str, FunctionDecl] = {}
    named: set[str] = set()
    for pattern, where in service.globs:
        for path in _glob(root, service.directory, pattern)[:_MAX_FUNCTIONS]:
            if path not in named:
                named.add(path)
                found[path] = _function(service, path, where, f"{service.location.path} functions[{pattern!r}]")
    for folder in service.folders:
        for path in _function_files(root, _join(service.directory, folder), service.platform)[:_MAX_FUNCTIONS]:
            found.setdefault(path, _function(service, path, Location(path, 1), f"{service.location.path} {folder}/"))
    facts.functions.extend(found[path] for path in sorted(found))


def _function(service: ServerlessService, path: str, where: Location, source: str) -> FunctionDecl:
    relative = path.removeprefix(f"{service.directory}/") if service.directory else path
    runtime = _FUNCTION_SUFFIXES[PurePosixPath(path).suffix]
    return FunctionDecl(
        service.platform, relative, where, source, service.directory, runtime, service.concurrency, relative
    )


def _function_files(root: Path, folder: str, platform: str) -> list[str]:
    """Vercel: every code file under `api/`. Netlify: each code file directly in the folder, and each subfolder's
    `index.*` or `<subfolder>.*` (docs.netlify.com/build/functions/get-started)."""
    base = root / folder
    if not base.is_dir() or base.is_symlink() or not _inside(root, folder):
        return []  # a `base` of ../../.. or a linked folder: nothing outside the tree is listed (confine.py)
    if platform == "Vercel":
        candidates = sorted(base.rglob("*"))
    else:
        candidates = [p for p in sorted(base.iterdir()) if p.is_file()]
        for sub in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
            candidates += [p for p in sorted(sub.iterdir()) if p.is_file() and p.stem in ("index", sub.name)]
    return [p.relative_to(root).as_posix() for p in candidates if _handler_file(p, base) and _inside(root, str(p))]


def _glob(root: Path, directory: str, pattern: str) -> list[str]:
    if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
        return []
    base = root / directory if directory else root
    if not _inside(root, directory or "."):
        return []
    try:
        matches = sorted(base.glob(pattern))
    except (ValueError, NotImplementedError):
        return []
    return [p.relative_to(root).as_posix() for p in matches if _handler_file(p, base) and _inside(root, str(p))]


def _inside(root: Path, path: str) -> bool:
    try:
        confine.inside(root, path)
    except confine.Refused:
        return False
    return True


def _handler_file(path: Path, base: Path) -> bool:
    """A Node or Python code file that is not a helper: Vercel skips names starting with `_` or `.` and `.d.ts`
    files (vercel.com/docs/functions/configuring-functions/advanced-configuration); the same rule is applied to
    Netlify's folder, where such files are helpers by convention."""
    parts = path.relative_to(base).parts
    helper = any(part.startswith(("_", ".")) for part in parts) or path.name.endswith(".d.ts")
    return path.is_file() and not path.is_symlink() and path.suffix in _FUNCTION_SUFFIXES and not helper


# --- after every file is read ------------------------------------------------------------------------------------


def resolve(root: Path, facts) -> None:
    """Apply each platform file to what the other files declare, and take the platform facts out of
    `facts.deployment`."""
    mine = (HerokuFormation, FlyApp, ServerlessService)
    pending = [item for item in facts.deployment if isinstance(item, mine)]
    facts.deployment[:] = [item for item in facts.deployment if not isinstance(item, mine)]
    for item in pending:
        if isinstance(item, HerokuFormation):
            _resolve_heroku(item, facts)
        elif isinstance(item, FlyApp):
            _resolve_fly(item, facts)
        else:
            _resolve_functions(item, root, facts)


# --- reading the formats -----------------------------------------------------------------------------------------


def json_document(path: str, text: str) -> tuple[Expr | None, list[ParseProblem]]:
    """A JSON document with a location on every value (tree-sitter), or the syntax error that stops it."""
    from pgconnlint.extract.treesitter import SourceFile

    source = SourceFile.parse(path, text, "json")
    problems = source.problems()
    if problems:
        return None, [replace(problems[0], message=f"invalid JSON: {problems[0].message}; not read")]
    return source.document_value(), []


def _toml(path: str, text: str) -> tuple[dict | None, list[ParseProblem]]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as error:
        # tomllib puts the position only in the message: "… (at line 3, column 5)"
        where = re.search(r"at line (\d+), column (\d+)", str(error))
        line, column = (int(where.group(1)), int(where.group(2))) if where else (1, 1)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        return None, [ParseProblem(Location(path, line, column), f"invalid TOML: {message}; not read")]


def _toml_line(text: str, table: str, key: str) -> int:
    """The line of `key = …` inside `[table]` (tomllib keeps no positions): the first such line after the table's
    header and before the next header; the header's line when the key is not found there, 1 without the header."""
    header = re.search(rf"^[ \t]*\[[ \t]*{re.escape(table)}[ \t]*\][ \t]*(#.*)?$", text, re.MULTILINE)
    if header is None:
        return 1
    following = re.search(r"^[ \t]*\[", text[header.end() :], re.MULTILINE)
    end = header.end() + following.start() if following else len(text)
    key_pattern = rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*="
    match = re.search(key_pattern, text[header.end() : end], re.MULTILINE)
    offset = header.end() + match.start() if match else header.start()
    return text.count("\n", 0, offset) + 1


def _count(value, what: str, digits_text: bool = True) -> Known | Unknown | None:
    """A whole number of instances: an integer, or (`digits_text`) a quoted one, which CloudFormation converts; the
    Heroku API takes only a JSON integer, so a quoted app.json quantity is not one."""
    if value is None or isinstance(value, Unknown):
        return value
    raw = value.value if isinstance(value, Lit) else None
    if digits_text and isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return Known(raw, value.location, what)
    return Unknown(value.text, value.location, f"{what} is `{value.text}`, not a whole number")


def _text(value) -> bool:
    return isinstance(value, Lit) and isinstance(value.value, str) and bool(value.value)


def _folder(path: str) -> str:
    return str(PurePosixPath(path).parent).removeprefix(".")


def _join(folder: str, relative: str) -> str:
    joined = posixpath.normpath(posixpath.join(folder or ".", relative or "."))
    return "" if joined == "." else joined
