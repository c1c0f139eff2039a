"""Node processes started through shell scripts, followed once every file is read (pgconnlint/lint.py calls
`resolve` after extract/follow.py has done the same for Python servers).

extract/node_commands.py leaves a `NodeProcessDecl` of runner "script" where a command names a script to run
(`ENTRYPOINT ["scripts/start.sh"]`, compose `entrypoint: /compose-entrypoint.sh`, `sh /entrypoint.sh`). Here the
script is found through the image's COPY lines (extract/follow.py `locate`) and read as the shell runs it
(extract/shell.py) with its arguments and the environment the deployment gives: the image's ENV, then the service's
(so `if [ -n "$WORKER" ]` picks the worker branch in the service that sets WORKER). Each command that keeps running
(`exec node …`, the last foreground command, `node a.js &` jobs) is read again as a Node command line; steps that
finish first (migrations, seeds) start nothing. `cd DIR` moves the folder the following commands run in.

A compose service that runs a built image whose command is such a script is followed with the service's own
environment, so two services of one image that dispatch on a variable start different processes.

A script the repository does not hold (the base image's docker-entrypoint.sh) is assumed to run its arguments
(`exec "$@"`), as Docker images' entrypoints do; the Python side (extract/follow.py) reports it as not followed.
A file with a `#!…node` line is a Node program itself.
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from pathlib import Path

from pgconnlint.discover import read_text
from pgconnlint.extract import node_commands, shell
from pgconnlint.extract.follow import Image, _copied, _Follower, unbuilt_client
from pgconnlint.model import NodeProcessDecl, ParseProblem

_MAX_DEPTH = 6
_NODE_SHEBANG = re.compile(r"#!.*\b(node|nodejs|ts-node|tsx|bun)\b")
_SHELL_SHEBANG = re.compile(r"#!.*\b(sh|bash|ash|dash)\b")


def resolve(root: Path, facts) -> None:
    """Replace every script placeholder in `facts.node_processes` by the Node processes it starts."""
    decls = facts.node_processes
    _link_packages(root, facts)
    _report_unbuilt_clients(facts)
    _package_programs(root, facts)
    if not any(getattr(decl, "runner", "") == "script" for decl in decls):
        return
    follower = _NodeFollower(root, facts)
    images: dict[str, list[NodeProcessDecl]] = {}
    for decl in decls:
        if isinstance(decl, NodeProcessDecl) and decl.origin == "dockerfile":
            images.setdefault(decl.location.path, []).append(decl)
    resolved = []
    for decl in decls:
        if not isinstance(decl, NodeProcessDecl):
            resolved.append(decl)
        elif decl.runner == "script":
            resolved += follower.follow(decl)
        elif decl.runner == "image" and any(d.runner == "script" for d in images.get(decl.dockerfile or "", [])):
            started = [item for d in images[decl.dockerfile] for item in follower.follow(_in_service(d, decl))]
            # a script that starts no Node process: the service still runs the image, whose Python command
            # link_python.py `_images_run` then takes with this service's environment and replicas
            resolved += started or [decl]
        else:
            resolved.append(decl)
    facts.node_processes[:] = resolved


def _link_packages(root: Path, facts) -> None:
    """A Kubernetes container with no command (`image: s21aht/todo-backend:latest`) whose image nothing in the
    repository is known to build runs the Dockerfile beside the package.json whose `name` is the image's last path
    part (`"name": "todo-backend"` in application/to-do/backend): Kubernetes names no build context, and its
    extractor already takes a folder of the image's name (extract/kubernetes.py `project_directory`); a package that
    names itself so, in a folder of another name, is the same sign. Only when exactly one such package has a
    Dockerfile. A compose `image:` service keeps needing a build of that image in the repository (lint.py)."""
    from pgconnlint.extract.image_builds import repository

    folders: dict[str, list[str]] = {}
    for manifest in facts.packages:
        if manifest.name and (root / manifest.directory / "Dockerfile").is_file():
            folders.setdefault(manifest.name.rsplit("/", 1)[-1], []).append(manifest.directory)
    for index, decl in enumerate(facts.node_processes):
        if not isinstance(decl, NodeProcessDecl) or decl.runner != "image" or decl.dockerfile or not decl.image:
            continue
        if decl.origin != "kubernetes":
            continue
        name = repository(decl.image).rsplit("/", 1)[-1]
        found = folders.get(name, [])
        if len(found) == 1:
            dockerfile = posixpath.join(found[0], "Dockerfile")
            source = f"{decl.source} (image {decl.image}: the package {name} built by {dockerfile})"
            facts.node_processes[index] = dataclasses.replace(
                decl, dockerfile=dockerfile, directory=found[0], source=source
            )


def _report_unbuilt_clients(facts) -> None:
    """A compose service with no command of its own running an image nothing in the repository builds, given a URL
    of the file's PostgreSQL service, or a Kubernetes container of such an image given a PostgreSQL URL or a `*HOST`
    variable naming a Service of the manifests' PostgreSQL server (`PG_HOST: postgres`): its processes cannot be
    counted, and that is said (PGC002), not left silent."""
    for decl in facts.node_processes:
        if not isinstance(decl, NodeProcessDecl) or decl.runner != "image" or decl.dockerfile or not decl.image:
            continue
        if decl.origin == "kubernetes":
            why = _unbuilt_pod(facts, decl)
        else:
            why = unbuilt_client(facts, decl.location.path, decl.image, decl.env)
        if why:
            message = f"{decl.source} cannot be followed: {why}; what that image runs is not counted against it"
            help = "build the image in the repository (`build:`, or a workflow that publishes it), or set `processes`"
            facts.problems.append(ParseProblem(decl.location, message, skipped=True, help=help, drops=True))


def _unbuilt_pod(facts, decl: NodeProcessDecl) -> str | None:
    from urllib.parse import urlsplit

    hosts = {host for server in facts.server_commands for host in server.hosts}
    for binding in decl.env:
        value = str(binding.value)
        try:
            host = urlsplit(value).hostname if re.match(r"postgres(?:ql)?(?:\+\w+)?://", value) else None
        except ValueError:
            host = None
        if host is None and binding.name.upper().endswith("HOST"):
            host = value
        if host and host.split(".")[0] in hosts:  # `postgres`, `postgres.todo-app.svc.cluster.local`
            return (
                f"it runs the image {decl.image}, which nothing in the repository is known to build, with"
                f" {binding.name} (host {host}) naming a PostgreSQL server of the manifests"
            )
    return None


_DEPLOYED = ("compose", "kubernetes", "platform", "dockerfile", "procfile")
#: programs of dependencies that run a step and exit (schema migrations, code generation, builds, tests): no server
_STEPS = frozenset(
    ["prisma", "knex", "typeorm", "sequelize", "sequelize-cli", "mikro-orm", "drizzle-kit", "db-migrate"]
    + ["node-pg-migrate", "graphile-migrate", "tsc", "jest", "vitest", "mocha", "eslint", "prettier", "rimraf"]
)


def _package_programs(root: Path, facts) -> None:
    """`yarn coko-server start` / `pnpm app` / `npm start` run by a deployment (not a package.json script): a script
    of the package it runs in, else yarn and pnpm run the program a dependency installs in node_modules/.bin, which
    the repository does not hold; that is said (PGC002), not dropped. `npm start` with no start script runs `node
    server.js` when the package has one (npm's documented default)."""
    for index, decl in enumerate(facts.node_processes):
        if not isinstance(decl, NodeProcessDecl) or decl.runner != "npm-script" or decl.origin not in _DEPLOYED:
            continue
        manifest = _manifest(root, decl.directory)
        if manifest is None or decl.npm_script in manifest[1] or decl.npm_script in _STEPS:
            continue
        folder, _ = manifest
        if decl.npm_script == "start" and (root / folder / "server.js").is_file():
            facts.node_processes[index] = dataclasses.replace(decl, runner="node", script="server.js", directory=folder)
            continue
        where = f"{folder}/package.json" if folder else "package.json"
        what = "the program of a dependency (node_modules/.bin), not in the repository"
        if decl.npm_script == "start":  # npm fails there; yarn and pnpm look for a program named `start`
            what = (
                "npm finds no server.js to run instead, and yarn or pnpm a program of that name, not in the repository"
            )
        message = (
            f"{decl.source} runs `{decl.npm_script}`, which is no script of {where}: {what}, so the processes it"
            " starts and their pools are not counted"
        )
        help = "run the server command directly (`node dist/main.js`), or set `processes` in the configuration"
        facts.problems.append(ParseProblem(decl.location, message, skipped=True, help=help, drops=True))


def _manifest(root: Path, directory: str) -> tuple[str, dict] | None:
    """(folder, scripts) of the nearest package.json at or above `directory`; None when there is none or it cannot
    be read (extract/package.py reports that)."""
    folder = posixpath.normpath(directory or ".")
    while not folder.startswith(".."):
        text = read_text(root, posixpath.join(folder, "package.json"))
        if isinstance(text, str):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                return None
            scripts = data.get("scripts") if isinstance(data, dict) else None
            return ("" if folder == "." else folder), (scripts if isinstance(scripts, dict) else {})
        if folder == ".":
            return None
        folder = posixpath.dirname(folder) or "."
    return None


def _in_service(image_decl: NodeProcessDecl, service: NodeProcessDecl) -> NodeProcessDecl:
    """The image's command as a compose service runs it: the service's name, replicas and environment (over the
    image's ENV); the Dockerfile stays known so that its COPY lines locate the script."""
    return dataclasses.replace(
        image_decl,
        source=f"{service.source} ({image_decl.source})",
        origin=service.origin,
        replicas=service.replicas,
        surge=service.surge,
        cpu_limit=service.cpu_limit,
        env=image_decl.env + service.env,
        dockerfile=image_decl.location.path,
    )


class _NodeFollower(_Follower):
    def follow(self, decl: NodeProcessDecl, depth: int = 0) -> list[NodeProcessDecl]:
        if decl.runner != "script":
            return [decl]
        if depth > _MAX_DEPTH:
            return []
        if decl.dockerfile is None and decl.origin == "dockerfile":
            decl = dataclasses.replace(decl, dockerfile=decl.location.path)  # the image the script runs in
        image = self.image(decl.dockerfile)
        path, how = self.locate(decl.script or "", decl.directory, image)
        text = read_text(self.root, path) if path is not None else None
        if path is None or isinstance(text, ParseProblem):
            return self._arguments(decl, depth, "not in the repository")
        first = text.split("\n", 1)[0]
        if _NODE_SHEBANG.match(first):  # `./bin/www` with `#!/usr/bin/env node`
            return [dataclasses.replace(decl, runner="node", script=path, directory="", args=())]
        if not (_SHELL_SHEBANG.match(first) or path.endswith((".sh", ".bash"))):
            return []  # a Python script, a binary: not a Node process
        env = {**(image.env if image else {}), **{binding.name: str(binding.value) for binding in decl.env}}
        found: list[NodeProcessDecl] = []
        cwd = image.workdir if image else ""
        for command in shell.read(path, text, decl.args, env):
            if command.words[:1] == ("cd",) and len(command.words) == 2:
                cwd = posixpath.normpath(posixpath.join(cwd, command.words[1]))
            if not command.long_running:
                continue  # a step that finishes before the server: one-off
            notes = "; ".join(command.notes)
            source = f"{decl.source} → {path}:{command.location.line}" + (f" ({how})" if how else "")
            source += f" [{notes}]" if notes else ""
            directory = self._folder(cwd, command.words, decl, image)
            for sub in node_commands.parse(list(command.words), command.location, source, decl.origin, directory):
                carried = _carried(decl) | ({"directory": sub.directory} if sub.runner != "script" else {})
                found += self.follow(dataclasses.replace(sub, **carried), depth + 1)
        return found

    def _arguments(self, decl: NodeProcessDecl, depth: int, why: str) -> list[NodeProcessDecl]:
        """A script the repository does not hold: assumed to end in `exec "$@"`, as image entrypoints do."""
        if not decl.args:
            return []
        source = f"{decl.source} (the script {decl.script} is {why}: assumed to run its arguments)"
        found = node_commands.parse(list(decl.args), decl.location, source, decl.origin, decl.directory)
        return [item for sub in found for item in self.follow(dataclasses.replace(sub, **_carried(decl)), depth + 1)]

    def _folder(self, cwd: str, words: tuple[str, ...], decl: NodeProcessDecl, image: Image | None) -> str:
        """The repository folder a command runs in: the container folder through the image's COPY lines, else the
        folder the script `cd`s into below the service's, the image's or the repository's root; the first where the
        file the command names (`node apps/api/dist/index.js`: `apps`) is there."""
        relative = posixpath.relpath(cwd, image.workdir) if image and cwd.startswith("/") else cwd
        relative = "" if relative in (".", "") else relative
        candidates = []
        if image is not None and cwd.startswith("/"):
            for source, destination in reversed(image.copies):
                candidates += _copied(cwd, source, destination, image.context)
        if not relative.startswith(".."):
            bases = (decl.directory, image.context if image else decl.directory, "")
            candidates += [posixpath.normpath(posixpath.join(base or ".", relative)) for base in bases]
        # a folder the image got from a build stage's output (`dist/apps/api`) is not in the tree: its modules are
        # mapped back to their source when linked (reach_node.py)
        folders = [
            c.removeprefix("./") if c != "." else ""
            for c in candidates
            if (self.root / c).is_dir() or (_OUTPUT.search(c) and not (self.root / c).exists())
        ]
        named = next((w for w in words[1:] if not w.startswith("-") and "/" in w and not w.startswith("/")), None)
        head = named.removeprefix("./").split("/", 1)[0] if named else None
        for folder in folders:
            if head is None or (self.root / folder / head).exists():
                return folder
        return folders[0] if folders else decl.directory


_OUTPUT = re.compile(r"(?:^|/)(?:dist|build|out|output)(?:/|$)")


def _carried(decl: NodeProcessDecl) -> dict:
    """What the deployment gives the script, kept on each process it starts."""
    return {
        "origin": decl.origin,
        "replicas": decl.replicas,
        "surge": decl.surge,
        "cpu_limit": decl.cpu_limit,
        "env": decl.env,
        "defined_as": decl.defined_as,
        "dockerfile": decl.dockerfile,
    }
