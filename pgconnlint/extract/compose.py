"""docker-compose / compose files: services whose `command:` (or `entrypoint:`) starts a Python server, with
their `environment:`, `deploy.replicas` / `scale`, and the build context that says which project they run."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from pathlib import PurePosixPath

from pgconnlint.expr import Arr, Expr, Lit, Obj, evaluate
from pgconnlint.extract import commands, node_commands, yamlsource
from pgconnlint.extract.commands import command_words
from pgconnlint.extract.pgbouncer import from_environment, image_version
from pgconnlint.extract.postgres_command import is_postgres_image, mounted_config, settings_from_args
from pgconnlint.interpolation import expand_unset, sole_reference
from pgconnlint.model import (
    Bouncer,
    ComposeService,
    EnvBinding,
    Known,
    NodeProcessDecl,
    ParseProblem,
    Pooler,
    ProcessDecl,
    ServerCommand,
    Unknown,
)


def extract(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """Python servers (ProcessDecl), Node processes (NodeProcessDecl), PostgreSQL servers, poolers."""
    documents, problems = yamlsource.load(path, text)
    services = documents[0].get("services") if documents and isinstance(documents[0], Obj) else None
    if not isinstance(services, Obj):
        return [], problems
    folder = str(PurePosixPath(path).parent).removeprefix(".")
    found: list[ProcessDecl | NodeProcessDecl | ServerCommand | Pooler | Bouncer] = []
    built_images = _built_images(folder, services)
    one_offs = _awaited_to_finish(services)
    for name, service in services.entries.items():
        if not isinstance(service, Obj):
            continue
        image = service.get("image")
        building = service.get("build") is not None  # then `image:` only names what it builds
        builds = _dockerfile(_build_context(folder, service.get("build")), service.get("build"))
        built = _database(path, folder, name, service, f"built from {builds}") if building else None
        built = None if _runs_a_client(service) else built
        written = image.value if isinstance(image, Lit) and isinstance(image.value, str) else None
        profiles = _profiles(service.get("profiles"))
        found.append(ComposeService(path, name, service.location, profiles, built, written, builds))
        found += _environment(service.get("environment"), path)  # every service's, for PGC403
        if not building and isinstance(image, Lit) and isinstance(image.value, str) and is_postgres_image(image.value):
            if not _runs_a_client(service):
                found.append(_database(path, folder, name, service, image.value))
            continue
        if isinstance(image, Lit) and re.search(r"pgbouncer|pgcat|odyssey|supavisor", str(image.value)):
            found.append(Pooler(image.location, f"{path} service {name} ({image.value})"))
            if "pgbouncer" in str(image.value):
                found.append(_bouncer(path, folder, name, service))
            continue
        decl = _service(path, folder, name, service, built_images)
        if decl:  # a one-off is kept, marked: the same command elsewhere is that step too (link_python.py)
            found.append(replace(decl, one_off=name in one_offs))
        if name not in one_offs:  # a step that exits before the services waiting for it start: no lasting process
            found += _node_service(path, folder, name, service)
    return _after_migrations(found, path, folder, services, one_offs), problems


def _after_migrations(found: list, path: str, folder: str, services: Obj, one_offs: set[str]) -> list:
    """A service that waits for a one-off to finish (`alembic upgrade head` in a `migrate` service) runs after its
    steps: they go on the waiting service's processes, with the one-off's `environment:` (PGC121). One whose
    `env_file:` the waiting service does not read too is left out: its URL could not be told."""
    steps: dict[str, list] = {}
    for name in one_offs:
        service = services.get(name)
        command = command_words(service.get("command")) if isinstance(service, Obj) else None
        if command:
            env = tuple(_environment(service.get("environment"), path))
            where = service.get("command").location
            steps[name] = [replace(step, env=env) for step in commands.steps_of(command, where)]
    if not any(steps.values()):
        return found
    result = []
    for item in found:
        name = item.source.removeprefix(f"{path} service ") if isinstance(item, ProcessDecl) else None
        waits = services.get(name).get("depends_on") if name and isinstance(services.get(name), Obj) else None
        before = [
            step
            for awaited in (waits.entries if isinstance(waits, Obj) else ())
            if set(_env_files(folder, services.get(awaited).get("env_file"))) <= set(item.env_files)
            for step in steps.get(awaited, ())
        ]
        result.append(replace(item, one_offs=(*before, *item.one_offs)) if before else item)
    return result


def _bouncer(path: str, folder: str, name: str, service: Obj) -> Bouncer:
    """A PgBouncer container: its settings from the image's environment, its service name as a host."""
    env = {b.name: Known(b.value, b.location, b.location.short) for b in _environment(service.get("environment"), path)}
    container = evaluate(service.get("container_name"), {})
    hosts = (name, str(container.value)) if isinstance(container, Known) else (name,)
    bouncer = from_environment(f"{path} service {name}", service.location, env, hosts)
    image = str(evaluate(service.get("image"), {}).value)
    mounted = next(
        (
            posixpath.normpath(posixpath.join(folder or ".", v.split(":")[0]))
            for v in _volumes(service.get("volumes"))
            if v.split(":")[0].endswith("pgbouncer.ini")
        ),
        None,
    )
    return replace(bouncer, version=image_version(image), config_file=mounted, replicas=_replicas(service))


def _database(path: str, folder: str, name: str, service: Obj, image: str) -> ServerCommand:
    """A service running a PostgreSQL image: `command:` settings, the mounted config_file, POSTGRES_* variables."""
    command = service.get("command")
    where = command.location if command is not None else service.location
    settings = settings_from_args(command_words(command) or [], where)
    config_file = mounted_config(dict(settings).get("config_file"), _volumes(service.get("volumes")), folder)
    environment = tuple(_environment(service.get("environment"), path))
    container = evaluate(service.get("container_name"), {})
    hosts = (name, str(container.value)) if isinstance(container, Known) else (name,)
    return ServerCommand(f"{path} service {name}", where, image, tuple(settings), config_file, environment, hosts)


#: what a postgres-image container runs when it is a client of some other server (an init or backup job)
_CLIENTS = {"psql", "createdb", "dropdb", "pg_isready", "pg_dump", "pg_dumpall", "pg_restore", "pg_basebackup"}


def _runs_a_client(service: Obj) -> bool:
    """`image: postgres:16` with `command: psql -h db …` or `sh -c "until pg_isready …; createdb …"` is a client job,
    not a server; the server's own command starts with `postgres` or an option (`-c`)."""
    words = command_words(service.get("entrypoint")) or command_words(service.get("command")) or []
    if not words:
        return False
    program = posixpath.basename(words[0])
    if program in ("sh", "bash", "/bin/sh") and "-c" in words[1:2]:
        script = " ".join(words[2:])
        return any(re.search(rf"\b{client}\b", script) for client in _CLIENTS) and "postgres " not in script
    return program in _CLIENTS


def _profiles(value: Expr | None) -> tuple[str, ...]:
    return tuple(str(item.value) for item in value.items if isinstance(item, Lit)) if isinstance(value, Arr) else ()


def _volumes(value: Expr | None) -> list[str]:
    """Short syntax `./db/pg.conf:/etc/postgresql/pg.conf:ro`, and the long one as `source:target`."""
    volumes = []
    for item in value.items if isinstance(value, Arr) else ():
        if isinstance(item, Lit) and isinstance(item.value, str):
            volumes.append(item.value)
        elif isinstance(item, Obj):
            source, target = evaluate(item.get("source"), {}), evaluate(item.get("target"), {})
            if isinstance(source, Known) and isinstance(target, Known):
                volumes.append(f"{source.value}:{target.value}")
    return volumes


def _service(
    path: str, folder: str, name: str, service: Obj, built_images: dict[str, tuple[str, str]]
) -> ProcessDecl | None:
    command = command_words(service.get("command"))
    entrypoint = command_words(service.get("entrypoint"))
    if command is None and entrypoint is None:
        return None
    where = (service.get("command") or service.get("entrypoint")).location
    directory = _build_context(folder, service.get("build"))
    image = _dockerfile(directory, service.get("build"))
    image_name = _image_name(service) if image is None else None
    if image_name is not None and image_name in built_images:  # `image: app` that another service builds
        (image, directory), image_name = built_images[image_name], None
    source = f"{path} service {name}"
    directory = _mounted_workdir(folder, service) or directory
    decl = commands.parse([*(entrypoint or []), *(command or [])], where, source, directory)
    if decl is None and command is not None and not _shell_c(entrypoint):
        decl = commands.parse(command, where, source, directory)  # an entrypoint script that runs "$@"
    if decl is None:
        return None
    env = tuple(_environment(service.get("environment"), path))
    env_files = _env_files(folder, service.get("env_file"))
    return replace(decl, replicas=_replicas(service), env=env, image=image, env_files=env_files, image_name=image_name)


def _mounted_workdir(folder: str, service: Obj) -> str | None:
    """`working_dir: /app` over `volumes: ["./worker:/app"]`: the command runs in the repository folder mounted
    there (the mount hides what the image copied), so its project is that folder's; None when no bind mount of
    the repository holds the working directory."""
    workdir = evaluate(service.get("working_dir"), {})
    if not isinstance(workdir, Known) or not str(workdir.value).startswith("/"):
        return None
    target_dir = posixpath.normpath(str(workdir.value))
    best: tuple[int, str] | None = None
    for volume in _volumes(service.get("volumes")):
        source, _, rest = volume.partition(":")
        target = posixpath.normpath(rest.split(":")[0]) if rest else ""
        if not source.startswith(".") or not target.startswith("/"):
            continue  # a named volume or a host path: not the repository
        if target_dir == target or target_dir.startswith(target.rstrip("/") + "/"):
            inside = posixpath.relpath(target_dir, target)
            joined = posixpath.normpath(posixpath.join(folder or ".", source, inside))
            if not joined.startswith("..") and (best is None or len(target) > best[0]):
                best = (len(target), "" if joined == "." else joined)
    return best[1] if best else None


def _shell_c(entrypoint: list[str] | None) -> bool:
    """`entrypoint: ["sh", "-c"]`: the command is the shell's script, already read with it."""
    words = entrypoint or []
    return len(words) == 2 and words[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash", "dash") and words[1] == "-c"


def _awaited_to_finish(services: Obj) -> set[str]:
    """Services another one waits for with `condition: service_completed_successfully`: one-off steps (migrations,
    initializers) that exit before the app starts, whatever their command looks like."""
    awaited = set()
    for service in services.entries.values():
        depends = service.get("depends_on") if isinstance(service, Obj) else None
        for name, how in depends.entries.items() if isinstance(depends, Obj) else ():
            condition = how.get("condition") if isinstance(how, Obj) else None
            if isinstance(condition, Lit) and condition.value == "service_completed_successfully":
                awaited.add(name)
    return awaited


def _built_images(folder: str, services: Obj) -> dict[str, tuple[str, str]]:
    """`image:` name → (Dockerfile, build context), for the services that build it: compose tags the built image with
    that name, and a service of the same file that names it without `build:` runs the same image."""
    built = {}
    for service in services.entries.values():
        if isinstance(service, Obj) and service.get("build") is not None:
            name = _image_name(service)
            if name is not None:
                context = _build_context(folder, service.get("build"))
                built.setdefault(name, (_dockerfile(context, service.get("build")), context))
    return built


def _image_name(service: Obj) -> str | None:
    image = service.get("image")
    if isinstance(image, Lit) and isinstance(image.value, str):
        return interpolated_defaults(image.value)
    return None


def _env_files(folder: str, value: Expr | None) -> tuple[str, ...]:
    """`env_file: .env`, a list of paths, or of `{path: …, required: false}`: repository paths, in order."""
    items = value.items if isinstance(value, Arr) else (value,) if value is not None else ()
    paths = []
    for item in items:
        written = item.get("path") if isinstance(item, Obj) else item
        if isinstance(written, Lit) and isinstance(written.value, str) and "$" not in written.value:
            paths.append(posixpath.normpath(posixpath.join(folder or ".", written.value)))
    return tuple(paths)


def interpolated_defaults(text: str) -> str:
    """`Dockerfile.django-${OS:-debian}` → `Dockerfile.django-debian`: what compose interpolates when the variable
    is unset (the repository sets none of them)."""
    return expand_unset(text)[0]


def _node_service(path: str, folder: str, name: str, service: Obj) -> list[NodeProcessDecl]:
    """The Node processes a service starts (extract/node_commands.py); a service that builds an image and sets no
    command runs that image's ENTRYPOINT/CMD, which the linker reads from its Dockerfile."""
    command = command_words(service.get("command"))
    entrypoint = command_words(service.get("entrypoint"))
    directory = _build_context(folder, service.get("build"))
    source = f"{path} service {name}"
    replicas = _replicas(service)
    env = tuple(_environment(service.get("environment"), path))
    if command is None and entrypoint is None:
        build = service.get("build")
        image = service.get("image")
        if build is None and isinstance(image, Lit) and isinstance(image.value, str):
            # `image: ghcr.io/org/api:master`: this repository's image if a workflow or script builds it
            decl = NodeProcessDecl("image", image.location, source, "compose", directory, image=image.value)
            return [replace(decl, replicas=replicas, env=env)]
        if build is None:
            return []
        image = _dockerfile(directory, build)
        where = build.location
        return [
            NodeProcessDecl("image", where, source, "compose", directory, dockerfile=image, replicas=replicas, env=env)
        ]
    where = (service.get("command") or service.get("entrypoint")).location
    found = node_commands.parse([*(entrypoint or []), *(command or [])], where, source, "compose", directory)
    if not found and command is not None:
        found = node_commands.parse(command, where, source, "compose", directory)  # an entrypoint that runs "$@"
    image = _dockerfile(directory, service.get("build"))  # where extract/follow_node.py finds a script it names
    return [replace(decl, replicas=replicas, env=env, dockerfile=image) for decl in found]


def _dockerfile(directory: str, build: Expr | None) -> str | None:
    """The Dockerfile a service builds its image from (`build.dockerfile`, else `Dockerfile` in the context)."""
    if build is None:
        return None
    dockerfile = build.get("dockerfile") if isinstance(build, Obj) else None
    written = dockerfile.value if isinstance(dockerfile, Lit) and isinstance(dockerfile.value, str) else "Dockerfile"
    return posixpath.normpath(posixpath.join(directory or ".", interpolated_defaults(written)))


def _build_context(folder: str, build: Expr | None) -> str:
    context = build.get("context") if isinstance(build, Obj) else build
    if isinstance(context, Lit) and isinstance(context.value, str) and "://" not in context.value:
        joined = posixpath.normpath(posixpath.join(folder or ".", context.value))
        return "" if joined == "." else joined
    return folder


def _replicas(service: Obj) -> Known | Unknown | None:
    """`deploy.replicas: 3`, `scale: 2`; `${API_REPLICAS:-3}` is 3, the default compose interpolates when the
    variable is unset, and the citation says so."""
    for key in ("deploy.replicas", "scale"):
        value = evaluate(service.get(key), {})
        if isinstance(value, Known) and isinstance(value.value, int) and not isinstance(value.value, bool):
            if value.value < 0:  # compose refuses the file: no count to build a budget on
                return Unknown(str(value.value), value.location, f"compose {key} must not be negative")
            return Known(value.value, value.location, f"compose {key}")
        reference = sole_reference(str(value.value)) if isinstance(value, Known) else None
        if reference and reference.unset_value and reference.unset_value.isdigit():
            why = f"compose {key} {value.value}: the default, when {reference.name} is unset"
            return Known(int(reference.unset_value), value.location, why)
    return None


def _environment(value: Expr | None, path: str) -> list[EnvBinding]:
    """`environment:` as a map or as a list of `NAME=value`, interpolated as compose does with unset variables."""
    pairs: list[tuple[str, Expr]] = []
    if isinstance(value, Obj):
        pairs = list(value.entries.items())
    elif isinstance(value, Arr):
        for item in value.items:
            if isinstance(item, Lit) and isinstance(item.value, str) and "=" in item.value:
                name, _, text = item.value.partition("=")
                pairs.append((name, Lit(item.location, text, text)))
    found = []
    for name, item in pairs:
        if isinstance(item, Lit) and item.value is not None:
            value = _interpolated(str(item.value))
            if value is not None:
                note = "" if value == str(item.value) else " (the default compose uses while the variable is unset)"
                found.append(EnvBinding(name, value, item.location, path + note))
    return found


def _interpolated(value: str) -> str | None:
    """A value as compose interpolates it when the variable is unset: `${VAR:-default}` gives its default, `$$` a
    `$`. A value left with an unset variable is not known, except in a connection URL whose host and database are
    still written (`postgres://app:${DB_PASSWORD}@db:5432/app`): that one keeps the variable's text where it stands."""
    result, unresolved = expand_unset(value)
    return None if unresolved and "://" not in result else result


def confirm_built_servers(services: list[ComposeService], read) -> list[ServerCommand]:
    """The services built from a Dockerfile whose last stage starts from a PostgreSQL image: servers, with their
    command line and mounts as for an `image:` one. `read(path)` gives a Dockerfile's text, or None."""
    import dockerfile

    found = []
    for service in services:
        if service.built_server is None:
            continue
        text = read(service.built_server.image.removeprefix("built from "))
        try:
            stages = [i.value[0] for i in dockerfile.parse_string(text) if i.cmd == "FROM" and i.value] if text else []
        except dockerfile.GoParseError:
            continue
        if stages and is_postgres_image(stages[-1]):
            found.append(replace(service.built_server, image=f"{stages[-1]} ({service.built_server.image})"))
    return found
