"""Commands followed to the processes they start, once every file is read (pgconnlint/lint.py calls `resolve`).

extract/commands.py leaves a placeholder `ProcessDecl` where a command names something to follow: an entrypoint
script (`/start`, `./bin/docker-entrypoint-api.sh`), an argument to the image's ENTRYPOINT (`command: web`), a Python
module or script (`python -m project.worker`, `python run.py`, `manage.py sendalerts`), a supervisord file. Here
each is read as the shell would run it (extract/shell.py) with the arguments and environment the deployment gives
(the image's ENV, then the service's), and replaced by what keeps running; steps that finish before it (migrations,
wait-for-db) are one-offs and start nothing. A uWSGI ini is read for its processes, threads and `attach-daemon`s.
What cannot be followed is reported (PGC002) with the command and its file:line, never counted as a silent 1.
"""

from __future__ import annotations

import dataclasses
import functools
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from pgconnlint.discover import files_by_name, read_text, tree_files
from pgconnlint.expr import Lit, Obj
from pgconnlint.extract import commands, shell
from pgconnlint.extract.dockerfile import env_value
from pgconnlint.model import EnvBinding, Location, ParseProblem, ProcessDecl

_MAX_DEPTH = 6


@dataclass(frozen=True)
class Image:
    """What a Dockerfile's last stage sets: files copied in, working directory, ENV, ENTRYPOINT."""

    path: str
    context: str
    copies: tuple[tuple[str, str], ...] = ()  #: (source in the build context, destination in the image)
    workdir: str = "/"
    env: dict = field(default_factory=dict)
    entrypoint: tuple[str, ...] = ()


class _Follower:
    def __init__(self, root: Path, facts) -> None:
        self.root = root
        self.facts = facts

    # --- placeholders ---------------------------------------------------------------------------------------------

    def follow(self, decl: ProcessDecl, depth: int = 0) -> list[ProcessDecl]:
        if decl.server == "uwsgi":
            return self._uwsgi(decl, depth)
        if decl.server == "gunicorn" and decl.config_file:
            return [self._gunicorn_config(decl)]
        if decl.server == "fastapi" and _to_follow(decl):
            return [self._fastapi_default(decl)]
        if decl.server not in commands.PLACEHOLDERS:
            return [decl]
        if depth > _MAX_DEPTH:
            return self._unfollowed(decl, "the commands call each other too deeply to follow")
        handler = {"script": self._script, "command": self._command, "python": self._python, "jobs": self._jobs}.get(
            decl.server
        )
        return _after(decl.one_offs, handler(decl, depth) if handler else self._supervisord(decl, depth))

    def _command(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        """`command: web` runs the image's ENTRYPOINT with `web` as its argument."""
        words = commands.words_of(decl)
        if not decl.image:
            # an image no Dockerfile of the repository builds (lint._link_published_images): a third-party image
            # running its own program, never guessed to be one of the repository's; but one given a PostgreSQL URL
            # is a client whose connections go uncounted, and that is said
            why = unbuilt_client(self.facts, decl.location.path, decl.image_name, decl.env)
            return self._unfollowed(decl, why) if why else []
        image = self.image_of(decl)
        if image is not None and image.entrypoint:
            again = commands.parse([*image.entrypoint, *words], decl.location, decl.source, image.context)
            if again is not None and again.server != "command":
                found = self.follow(dataclasses.replace(again, **_carried(decl), image=image.path), depth + 1)
                # a Python program (`exec ./manage.py rq worker`) is a process of its own, linked with the
                # project's pools (link_python.py); only what is still to follow (a script, a command) is not
                if any(item.server not in commands.PLACEHOLDERS or item.server == "python" for item in found):
                    return found
        return self._unfollowed(decl, "no image ENTRYPOINT in the repository takes it as an argument")

    def _script(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        words = commands.words_of(decl)
        image = self.image_of(decl) or self.image(decl.location.path if _is_dockerfile(decl.location.path) else None)
        path, how = self.locate(words[0], decl.directory, image)
        if path is None:
            if image is None and not words[0].endswith((".sh", ".bash")):
                return []  # `/app/server` in an image the repository does not build: that image's own program
            return self._unfollowed(decl, f"the script {words[0]} is not in the repository")
        text = read_text(self.root, path)
        if isinstance(text, ParseProblem):
            self.facts.problems.append(text)
            return []
        env = {**(image.env if image else {}), **{b.name: str(b.value) for b in decl.env}}
        # An image the repository does not build, running a script found only by its name: the code beside that
        # script is what the image holds (the source says how it was matched).
        directory = posixpath.dirname(path) if how and image is None else decl.directory
        found, steps = [], []
        for command in shell.read(path, text, words[1:], env):
            if not command.long_running:  # a step that finishes before the server: one-off
                steps += filter(None, [commands.one_off_step(list(command.words), command.location)])
                continue
            notes = "; ".join(command.notes)
            source = f"{decl.source} → {path}:{command.location.line}" + (f" ({how})" if how else "")
            sub = commands.parse(
                list(command.words), command.location, source + (f" [{notes}]" if notes else ""), directory
            )
            if sub is not None and self._reruns(sub, path, image):
                continue  # `exec gosu app "$0" "$@"`: the same script again as another user; this run reads on
            if sub is not None and sub.server != "command":  # a shell function or a program of the image
                carried = _carried(decl) | {"directory": directory, "env": _exported(decl.env, command)}
                found += self.follow(dataclasses.replace(sub, **carried, image=decl.image), depth + 1)
        return _after(tuple(steps), found)

    def _jobs(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        """`a & b & wait -n`: each command the line keeps running, followed as if it stood alone."""
        carried = _carried(decl) | {"image": decl.image, "image_name": decl.image_name}
        return [
            item for sub in commands.jobs(decl) for item in self.follow(dataclasses.replace(sub, **carried), depth + 1)
        ]

    def _fastapi_default(self, decl: ProcessDecl) -> ProcessDecl:
        """`fastapi run` with no path runs the first of fastapi-cli's defaults found in its working directory:
        main.py, app.py, api.py, app/main.py, app/app.py, app/api.py (never a file matched only by its name)."""
        image = self.image_run(decl)
        for candidate in ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py"):
            path, how = self.locate(candidate, decl.directory, image)
            if path is not None and not how:
                return self._with_entry(decl, Lit(decl.location, path, path))
        return decl

    def _reruns(self, sub: ProcessDecl, path: str, image: Image | None) -> bool:
        """Whether `sub` runs the script `path` itself (`$0` and `$BASH_SOURCE` expand to it)."""
        script = sub.options.get("script") if sub.server == "script" else None
        return isinstance(script, Lit) and self.locate(str(script.value), "", image)[0] == path

    def _python(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        """`python -m project.worker` that calls `uvicorn.run(…)` is that uvicorn server; any other module or script
        is a process of its own: asyncio (`asyncio.run`) serves many at once, else one thing at a time."""
        options = decl.options.entries
        module = options.get("module")
        script = options.get("script")
        if "manage" in options:
            decl = self._with_entry(decl, script)  # a Flask or click `manage.py`: its imports say what it reaches
            return [self._threads_of_command(decl, str(getattr(options["manage"], "value", "")))]
        candidates = []
        if isinstance(module, Lit):
            stem = str(module.value).replace(".", "/")
            candidates = [f"{stem}/__main__.py", f"{stem}.py"]
        elif isinstance(script, Lit):
            candidates = [str(script.value)]
        for candidate in candidates:
            path, _ = self.locate(candidate, decl.directory, self.image_run(decl))
            if path is None:
                continue
            text = read_text(self.root, path)
            if isinstance(text, ParseProblem):
                continue
            served = _uvicorn_run(path, text, decl) or _gunicorn_application(path, text, decl)
            if served is not None:
                return [served]
            marker = "asyncio" if re.search(r"asyncio\.run\(|asyncio\.gather\(|\.run_until_complete\(", text) else ""
            extra = {"entry": Lit(decl.location, path, path)}
            if marker:
                extra["asyncio"] = Lit(decl.location, "asyncio.run", True)
            options = Obj(decl.options.location, decl.options.text, {**options, **extra}, decl.options.key_locations)
            return [dataclasses.replace(decl, options=options)]
        return [decl]  # linked with the project's pools, and said so (link_python.py)

    def _with_entry(self, decl: ProcessDecl, script) -> ProcessDecl:
        """`decl` with the repository file its script is as `entry` (reach_python.py starts from it), when found."""
        if not isinstance(script, Lit):
            return decl
        path, _ = self.locate(str(script.value), decl.directory, self.image_run(decl))
        if path is None:
            return decl
        entries = {**decl.options.entries, "entry": Lit(decl.location, path, path)}
        options = Obj(decl.options.location, decl.options.text, entries, decl.options.key_locations)
        return dataclasses.replace(decl, options=options)

    def _threads_of_command(self, decl: ProcessDecl, name: str) -> ProcessDecl:
        """A management command that starts threads of its own (a ThreadPoolExecutor sending alerts) can hold one
        connection per thread: `handle()`'s executor size (extract/management.py) gives them, as `threads`; when it
        cannot be followed it is said (PGC002), never silently counted as one."""
        from pgconnlint.extract import management

        wanted = f"/management/commands/{name}.py"
        for path in (p for p in tree_files(self.root) if p.endswith(wanted)):
            text = read_text(self.root, path)
            found = management.threads(path, text, commands.words_of(decl)) if isinstance(text, str) else None
            if found is not None:
                why = f"{found.why}: {found.workers} worker thread(s) + the main loop"
                threads = Lit(found.location, why, found.workers + 1)
                options = Obj(
                    decl.options.location,
                    decl.options.text,
                    {**decl.options.entries, "threads": threads},
                    {**decl.options.key_locations, "threads": found.location},
                )
                return dataclasses.replace(decl, options=options)
            match = (
                re.search(r"ThreadPoolExecutor\(|threading\.Thread\(|\bThread\(", text)
                if isinstance(text, str)
                else None
            )
            if match is None:
                continue
            line = text.count("\n", 0, match.start()) + 1
            message = (
                f"`manage.py {name}` ({decl.source}) starts threads ({path}:{line}); how many is not followed, so its"
                " process is counted as one connection: each thread that queries holds one more"
            )
            help = "count them with `processes` in the configuration, or run the work in the main thread"
            self.facts.problems.append(ParseProblem(Location(path, line), message, skipped=True, help=help))
        return decl

    def _supervisord(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        from pgconnlint.extract import supervisord

        config = decl.options.get("config")
        name = str(config.value) if isinstance(config, Lit) else "supervisord.conf"
        path, _ = self.locate(name, decl.directory, self.image_of(decl))
        if path is None:
            return self._unfollowed(decl, f"the supervisord configuration {name} is not in the repository")
        text = read_text(self.root, path)
        if isinstance(text, ParseProblem):
            self.facts.problems.append(text)
            return []
        found = []
        image = self.image_of(decl)
        env = {**(image.env if image else {}), **{b.name: str(b.value) for b in decl.env}}
        for program in supervisord.programs(path, text, env):
            sub = commands.parse(
                program.command, program.location, f"{decl.source} → {path} [program:{program.name}]", decl.directory
            )
            if sub is None or program.one_off:
                continue
            carried = _carried(decl)
            if program.numprocs is not None:
                carried["replicas"] = program.numprocs
            found += self.follow(dataclasses.replace(sub, **carried, image=decl.image), depth + 1)
        return found

    def _uwsgi(self, decl: ProcessDecl, depth: int) -> list[ProcessDecl]:
        from pgconnlint.extract import uwsgi

        ini = decl.options.get("ini")
        if not isinstance(ini, Lit):
            return [decl]
        path, _ = self.locate(str(ini.value), decl.directory, self.image_of(decl))
        if path is None:
            return [*self._unfollowed(decl, f"the uWSGI ini {ini.value} is not in the repository"), decl]
        text = read_text(self.root, path)
        if isinstance(text, ParseProblem):
            return [decl]
        env = {**(self.image_of(decl).env if self.image_of(decl) else {})}
        env |= {b.name: str(b.value) for b in decl.env}
        settings, daemons = uwsgi.read(path, text, env)
        merged = Obj(
            decl.options.location,
            decl.options.text,
            {**settings.entries, **decl.options.entries},
            {**settings.key_locations, **decl.options.key_locations},
        )
        found = [dataclasses.replace(decl, options=merged)]
        for words, where in daemons:
            sub = commands.parse(words, where, f"{decl.source} → {path}:{where.line} attach-daemon", decl.directory)
            if sub is not None:
                found += self.follow(dataclasses.replace(sub, **_carried(decl), image=decl.image), depth + 1)
        return found

    def _gunicorn_config(self, decl: ProcessDecl) -> ProcessDecl:
        """`gunicorn -c /etc/app/gunicorn.py`: the settings file as a path of the tree, relative to the command's
        folder, found as a script is (the image's COPY lines, the folders, else the one file of that name)."""
        directory = decl.directory or "."
        if self._exists(posixpath.normpath(posixpath.join(directory, decl.config_file))):
            return decl
        path, how = self.locate(decl.config_file, decl.directory, self.image_of(decl))
        if path is None:
            return decl  # read, or reported, with the other named files (lint.py `_read_named_gunicorn_configs`)
        source = decl.source + (f" ({how})" if how else "")
        return dataclasses.replace(decl, config_file=posixpath.relpath(path, directory), source=source)

    def _unfollowed(self, decl: ProcessDecl, why: str) -> list[ProcessDecl]:
        words = " ".join(commands.words_of(decl)) or decl.options.text
        message = f"`{words}` ({decl.source}) cannot be followed: {why}; the processes it starts are not counted"
        help = "name the server command directly, or add the script to the repository"
        self.facts.problems.append(ParseProblem(decl.location, message, skipped=True, help=help, drops=True))
        return []

    # --- files ------------------------------------------------------------------------------------------------------

    def locate(self, written: str, directory: str, image: Image | None) -> tuple[str | None, str]:
        """The repository file a path in the container names: through the image's COPY lines, else relative to the
        working directory, else the one file of that name in the repository (said so)."""
        if image is not None:
            absolute = posixpath.normpath(posixpath.join(image.workdir, written))
            # its build context, else the repository root (`docker build -f apps/web/Dockerfile .`)
            for context in dict.fromkeys((image.context, "")):
                for source, destination in reversed(image.copies):
                    for inside in _copied(absolute, source, destination, context):
                        if self._exists(inside):
                            return inside, ""
        for base in (directory, image.context if image else None, ""):
            if base is None:
                continue
            candidate = posixpath.normpath(
                posixpath.join(base or ".", written.lstrip("/") if written.startswith("/") else written)
            )
            if self._exists(candidate):
                return candidate, ""
        matches = self.by_name().get(posixpath.basename(written), [])
        if len(matches) == 1:
            return matches[0], f"{written} matched by name to {matches[0]}"
        return None, ""

    def _exists(self, path: str) -> bool:
        return not path.startswith("..") and (self.root / path).is_file()

    def by_name(self) -> dict[str, list[str]]:
        """The repository's files by their name (discover.py `files_by_name`, shared by every follower of the run)."""
        return files_by_name(self.root)

    def image_of(self, decl: ProcessDecl) -> Image | None:
        """The image a deployment built for this command; its build context is the command's directory (compose
        `build.context`), which the Dockerfile's COPY lines are relative to."""
        return self.image(decl.image, decl.directory) if decl.image else None

    def image_run(self, decl: ProcessDecl) -> Image | None:
        """`image_of`, else the Dockerfile whose own ENTRYPOINT or CMD started the command (its source begins with
        that Dockerfile: `docker/Dockerfile ENTRYPOINT → docker/entry.sh:44`): a path the command names
        (`exec python /app/pkg/main.py`) is found through that image's COPY lines."""
        first = decl.source.split(" ", 1)[0]
        return self.image_of(decl) or (self.image(first) if _is_dockerfile(first) else None)

    @functools.cache  # noqa: B019 - one follower per run
    def image(self, path: str | None, context: str | None = None) -> Image | None:
        if not path or not self._exists(path):
            return None
        text = read_text(self.root, path)
        return _read_image(path, text, context) if isinstance(text, str) else None


def resolve(root: Path, facts) -> None:
    """Replace every placeholder in `facts.processes` by the processes it starts."""
    if not any(_to_follow(decl) for decl in facts.processes):
        return
    follower = _Follower(root, facts)
    facts.processes[:] = [item for decl in facts.processes for item in follower.follow(decl)]


def _to_follow(decl: ProcessDecl) -> bool:
    """A placeholder, a uWSGI ini or gunicorn config to read, or `fastapi run` with no path (its default app)."""
    if decl.server == "fastapi":
        return not {"app", "script"} & decl.options.entries.keys()
    return decl.server in (*commands.PLACEHOLDERS, "uwsgi") or bool(decl.config_file)


def _carried(decl: ProcessDecl) -> dict:
    """What the deployment gives the command it starts, kept on each process the command turns out to run."""
    return {
        "replicas": decl.replicas,
        "env": decl.env,
        "surge": decl.surge,
        "cpu_limit": decl.cpu_limit,
        "platform": decl.platform,
        "directory": decl.directory,
        "one_off": decl.one_off,  # a step others wait for stays one, whatever its script turns out to run
    }


def unbuilt_client(facts, compose_file: str, image: str | None, env: tuple[EnvBinding, ...]) -> str | None:
    """Why a compose service that runs an image nothing in the repository is known to build cannot be counted, when
    its environment names a PostgreSQL URL whose host is a service of the same compose file (`@postgres:5432`): a
    client of that server whose connections would otherwise go uncounted in silence; None for any other service."""
    url = _postgres_url(env)
    if url is None or url[1] not in {s.name for s in facts.compose_services if s.path == compose_file}:
        return None
    return (
        f"it runs the image {image or 'of another repository'}, which nothing in the repository is known to build,"
        f" with {url[0]} (host {url[1]}) naming a PostgreSQL server of this file"
    )


def _postgres_url(env: tuple[EnvBinding, ...]) -> tuple[str, str] | None:
    """(variable, host) of the first binding whose value is a PostgreSQL URL with a host; the password stays out."""
    from urllib.parse import urlsplit

    for binding in env:
        value = str(binding.value)
        if re.match(r"postgres(?:ql)?(?:\+\w+)?://", value):
            try:
                host = urlsplit(value).hostname
            except ValueError:
                continue
            if host:
                return binding.name, host
    return None


def _exported(env: tuple[EnvBinding, ...], command: shell.ShellCommand) -> tuple[EnvBinding, ...]:
    """The deployment's environment with what the script exported before the command (`export WORKERS=2`)."""
    where = command.location.path
    return (*env, *(EnvBinding(n, v, Location(where, line), f"export in {where}") for n, v, line in command.exports))


def _after(steps: tuple, found: list[ProcessDecl]) -> list[ProcessDecl]:
    """The processes a command or script starts, with the one-off steps it runs before them (an Alembic upgrade)."""
    if not steps:
        return found
    return [dataclasses.replace(decl, one_offs=(*steps, *decl.one_offs)) for decl in found]


def _is_dockerfile(path: str) -> bool:
    from pgconnlint.discover import classify

    return classify(path) == "dockerfile"


def _copied(absolute: str, source: str, destination: str, context: str) -> list[str]:
    """The build-context files that `COPY source destination` may have put at `absolute`."""
    source = posixpath.normpath(posixpath.join(context or ".", source))
    if absolute == destination and not destination.endswith("/"):
        return [source]
    prefix = destination.rstrip("/") + "/"
    if not absolute.startswith(prefix):
        return []
    rest = absolute[len(prefix) :]
    found = [posixpath.normpath(posixpath.join(source, rest))]  # a folder copied into a folder
    return found + ([source] if rest == posixpath.basename(source) else [])  # a file copied into a folder


def _from_stage(stage: tuple | None, sources, context: str) -> list[str]:
    """`COPY --from=installer /app/apps/web/start.sh …`: the build-context paths (relative to the context) the
    stage's own COPY lines put at each source path. A path none of them put there, below the folder where the stage
    laid out the repository (`COPY ./package.json package.json` in WORKDIR /app), is what the stage built there
    (`/app/dist/apps` → `dist/apps`): a build output, which readers map back to its source (reach_node.py)."""
    if stage is None:
        return []
    copies, workdir = stage[0], stage[1]
    roots = _layout_roots(copies)
    found = []
    for source in sources:
        absolute = posixpath.normpath(posixpath.join(workdir, source))
        copied = [
            posixpath.relpath(inside, context or ".")
            for copied_from, copied_to in reversed(copies)
            for inside in _copied(absolute, copied_from, copied_to, context)
        ]
        built = [posixpath.relpath(absolute, root) for root in roots if absolute.startswith(root.rstrip("/") + "/")]
        found += copied or built[:1]
    return found


def _layout_roots(copies) -> list[str]:
    """The folders where a stage put files of the context's root under their own names (`COPY . .`,
    `COPY ./package.json package.json`): the repository's layout starts there."""
    roots = []
    for source, destination in copies:
        source = posixpath.normpath(source)
        if source == ".":
            roots.append(destination.rstrip("/") or "/")
        elif "/" not in source and posixpath.basename(destination.rstrip("/")) == source:
            roots.append(posixpath.dirname(destination.rstrip("/")))
    return list(dict.fromkeys(roots))


def _read_image(path: str, text: str, context: str | None = None) -> Image | None:
    import dockerfile

    try:
        instructions = dockerfile.parse_string(text)
    except dockerfile.GoParseError:
        return None
    context = posixpath.dirname(path) if context is None else context
    copies: list[tuple[str, str]] = []
    workdir, env, entrypoint = "/", {}, ()
    stages: dict[str, tuple] = {}  # `FROM base AS release`: a stage starts from what an earlier one holds
    current = None
    global_args: dict[str, str] = {}  # `ARG X=…` before the first FROM: a default a stage's `ARG X` takes
    args: dict[str, str] | None = None  # the stage's own build arguments (COPY/WORKDIR see them, the process not)
    for instruction in instructions:
        known = {**global_args, **(args or {}), **env}
        if instruction.cmd == "FROM":
            words = [word.lower() for word in instruction.value] or [""]
            copies, workdir, env, entrypoint = stages.get(words[0], ([], "/", {}, ()))
            copies, env, args = list(copies), dict(env), {}
            current = words[2] if len(words) == 3 and words[1] == "as" else None
        elif instruction.cmd == "ARG":
            _build_args(instruction.value, global_args if args is None else args, global_args, known)
        elif instruction.cmd == "WORKDIR" and instruction.value:
            workdir = posixpath.normpath(posixpath.join(workdir, shell_expand(instruction.value[0], known)))
        elif instruction.cmd == "ENV":
            values = list(instruction.value)
            pairs = zip(values[::2], values[1::2], strict=False)
            env |= {name: shell_expand(env_value(value), known) for name, value in pairs}
        elif instruction.cmd in ("COPY", "ADD") and len(instruction.value) >= 2:
            destination = shell_expand(instruction.value[-1], known)
            destination = posixpath.normpath(posixpath.join(workdir, destination)) + (
                "/" if destination.endswith("/") else ""
            )
            sources = [shell_expand(source, known) for source in instruction.value[:-1]]
            stage = next(
                (flag.split("=", 1)[1].lower() for flag in instruction.flags if flag.startswith("--from=")), ""
            )
            if stage:  # from an earlier stage: the repository files that stage copied there; another image: none
                sources = _from_stage(stages.get(stage), sources, context)
            copies += [(source, destination) for source in sources]
        elif instruction.cmd == "ENTRYPOINT":
            entrypoint = tuple(instruction.value) if instruction.json else ("sh", "-c", instruction.value[0])
        if current is not None:
            stages[current] = (copies, workdir, env, entrypoint)
    return Image(path, context, tuple(copies), workdir, env, entrypoint)


def _build_args(values, into: dict[str, str], global_args: dict[str, str], known: dict[str, str]) -> None:
    """`ARG DOCKER_DIR=./docker/prod`, `ARG NAME` (the global default, if any): a build argument's default."""
    for value in values:
        name, has_default, default = str(value).partition("=")
        if has_default:
            into[name] = shell_expand(env_value(default), known)
        elif name in global_args:
            into[name] = global_args[name]


def shell_expand(text: str, env: dict) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)


def _uvicorn_run(path: str, text: str, decl: ProcessDecl) -> ProcessDecl | None:
    """`uvicorn.run("pkg.app:app", workers=2, limit_concurrency=512)` in the module `python -m` runs; `workers` and
    `limit_concurrency` as written (`int(os.getenv("WORKERS", 4))`, a settings attribute), evaluated when linked:
    what cannot be evaluated is an unknown count, never uvicorn's default of 1."""
    if "uvicorn" not in text:
        return None
    import libcst as cst

    from pgconnlint.extract.python import PySource

    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return None
    for node in source.nodes((cst.Call,)):
        if source.qualified(node.func) != "uvicorn.run":
            continue
        where = source.location(node)
        entries = {}
        for argument in node.args:
            name = argument.keyword.value if argument.keyword is not None else None
            if name in ("workers", "limit_concurrency"):
                entries[name] = source.expr(argument.value)
            elif name in (None, "app") and isinstance(argument.value, cst.SimpleString) and "app" not in entries:
                app = argument.value.evaluated_value
                if isinstance(app, str):
                    entries["app"] = Lit(where, app, app)
        entries["entry"] = Lit(where, path, path)
        options = Obj(where, f"uvicorn.run(…) in {path}", entries, dict.fromkeys(entries, where))
        return dataclasses.replace(
            decl, server="uvicorn", options=options, source=f"{decl.source} → {path}:{where.line} uvicorn.run"
        )
    return None


#: gunicorn's base classes for an application run from Python (docs: "Custom Application")
_GUNICORN_APPLICATIONS = ("gunicorn.app.base.BaseApplication", "gunicorn.app.base.Application")
_GUNICORN_SETTINGS = ("workers", "worker_class", "threads", "worker_connections")


def _gunicorn_application(path: str, text: str, decl: ProcessDecl) -> ProcessDecl | None:
    """`StandaloneApplication(app, options).run()`, a subclass of gunicorn's BaseApplication given its settings as a
    dict (literal, or a name bound to one in the module): that gunicorn server, its workers, worker class, threads
    and worker connections as written (`int(os.environ.get("GUNICORN_WORKERS", "2"))`), evaluated when linked."""
    if "gunicorn" not in text:
        return None
    import libcst as cst

    from pgconnlint.extract.python import PySource

    source = PySource.parse(path, text)
    if isinstance(source, ParseProblem):
        return None
    classes = {
        node.name.value
        for node in source.nodes((cst.ClassDef,))
        if any(source.qualified(base.value) in _GUNICORN_APPLICATIONS for base in node.bases)
    }
    dicts = {
        target.target.value: node.value
        for node in source.nodes((cst.Assign,))
        if isinstance(node.value, cst.Dict)
        for target in node.targets
        if isinstance(target.target, cst.Name)
    }
    for node in source.nodes((cst.Call,)):
        made = node.func.value if isinstance(node.func, cst.Attribute) and node.func.attr.value == "run" else None
        if not (isinstance(made, cst.Call) and isinstance(made.func, cst.Name) and made.func.value in classes):
            continue
        given = [a.value for a in made.args if (a.keyword.value if a.keyword else None) in (None, "options")][1:2]
        settings = dicts.get(given[0].value) if given and isinstance(given[0], cst.Name) else (given or [None])[0]
        where = source.location(node)
        found = source.expr(settings) if isinstance(settings, cst.Dict) else None
        entries = {key: found.entries[key] for key in _GUNICORN_SETTINGS if found and key in found.entries}
        if settings is not None and found is None:
            entries["workers"] = source.expr(given[0])  # options pgconnlint cannot read: an unknown count
        entries["entry"] = Lit(where, path, path)
        options = Obj(where, f"{made.func.value}(…).run() in {path}", entries, dict.fromkeys(entries, where))
        return dataclasses.replace(
            decl, server="gunicorn", options=options, source=f"{decl.source} → {path}:{where.line} gunicorn"
        )
    return None
