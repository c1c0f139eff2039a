"""Deployments: the sets of files that start processes and servers together, each budgeted on its own.

A compose file (with its `docker-compose.override.yml`) is one deployment, and each profile that adds pool-holding
services to it is a variant; a pm2 ecosystem file, a Procfile, a folder of Kubernetes manifests or of systemd units,
a Dockerfile whose CMD nothing else runs are deployments too. Each gets a role from its path: CI/test stacks and
devcontainers are never "the server" unless asked for (`--deployment`), development stacks only stand in when no
production one runs anything. Alternatives are never summed: the budget is per deployment and per server, and the
verdict is the worst of them (DESIGN.md "Following the deployment").

Which deployment a process group or a server belongs to is read from the document its facts name first
(`docker-compose.yml service api …`, `k8s/api.yaml Deployment api …`) or, for a pm2 app, the ecosystem file it is
declared in. Groups no deployment runs (a package with a pool and no process manager) join every deployment, as
before deployments existed, and say so in their name.

A Procfile whose app.json provisions a `heroku-postgresql` add-on runs on Heroku against the add-on's server: a
system of its own, whose server is not in the repository (`Deployment.elsewhere`), never joined with a compose file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from pgconnlint.discover import is_pm2_file
from pgconnlint.linked import ProcessGroup, Project, Server
from pgconnlint.model import ComposeService
from pgconnlint.providers import HEROKU_ADDON_URL

PRODUCTION, DEVELOPMENT, CI, DEVCONTAINER = "production", "development", "ci", "devcontainer"

#: words in a path that mark a stack as a test/CI one or a development one (split on / . _ -)
_CI_WORDS = {"ci", "cicd", "test", "tests", "testing", "e2e", "integration", "unit", "loadtest", "perf", "benchmark"}
_DEV_WORDS = {"dev", "develop", "development", "local", "debug", "sandbox"}
_CI_FOLDERS = (".github/", ".gitlab/", ".circleci/", ".buildkite/")
_SYSTEMD = ".service"  #: systemd units (extract/systemd.py)
_OVERRIDE = re.compile(r"^(?P<base>(?:docker-)?compose)\.override(?P<ext>\.ya?ml)$")


def role_of(path: str) -> str:
    """production, development, ci or devcontainer, from the document's path alone."""
    lower = path.lower()
    if lower.startswith(".devcontainer/") or "/.devcontainer/" in lower:
        return DEVCONTAINER
    if lower.startswith(_CI_FOLDERS) or any(f"/{folder}" in lower for folder in _CI_FOLDERS):
        return CI
    words = set(re.split(r"[/._-]+", lower))
    if words & _CI_WORDS:
        return CI
    if words & _DEV_WORDS:
        return DEVELOPMENT
    return PRODUCTION


@dataclass(frozen=True, slots=True)
class Deployment:
    """One way of running the repository: the process groups and servers a document starts."""

    name: str  #: "docker-compose.yml", "docker-compose.yml --profile api", "ecosystem.config.js", "k8s/prod"
    role: str
    kind: str  #: "compose", "kubernetes" (a folder of manifests), else the document's name: "procfile", "ecosystem"
    groups: tuple[ProcessGroup, ...] = ()  #: the groups it starts
    servers: tuple[Server, ...] = ()  #: the servers it starts itself (compose services)
    shared: tuple[ProcessGroup, ...] = ()  #: groups no deployment runs, counted with every deployment
    #: the documents or folders it is made of, as `project_key` names them (several once parts are combined)
    keys: tuple[str, ...] = ()
    #: the server its platform gives its processes, not in the repository: `the heroku-postgresql add-on
    #: (app.json:39)`; "" when its servers are the repository's
    elsewhere: str = ""


def project_key(document: str, compose_files: set[str]) -> str:
    """The deployment a document belongs to: a compose override merges into its base file; a Kubernetes manifest
    (a YAML file that is not a compose file, nor a pm2 one) belongs to its folder, as `kubectl apply -f DIR` and
    kustomize take them; every other document (Procfile, Dockerfile, ecosystem.config.js) is its own."""
    folder, name = posixpath.split(document)
    override = _OVERRIDE.match(name)
    if override:
        return posixpath.join(folder, override["base"] + override["ext"])
    if name.endswith(_SYSTEMD):
        return posixpath.join(folder, "*" + _SYSTEMD)  # the units of a folder are installed and enabled together
    if document not in compose_files and name.endswith((".yaml", ".yml")) and not is_pm2_file(name.lower()):
        return folder + "/" if folder else "./"
    if name.endswith(".tf"):  # Terraform applies a module, a folder of .tf files, at once
        return posixpath.join(folder, "*.tf")
    return document


def document_of(name: str, fallback: str, documents: set[str]) -> str:
    """The deployment document a group or server was declared in: the first word of its name when that is a file
    of the tree, else the file its count was read from (a pm2 ecosystem file), else "" for none."""
    first = name.split(" ", 1)[0]
    if first in documents:
        return first
    return fallback if fallback in documents else ""


def deployments(project: Project, services: Iterable[ComposeService], documents: set[str]) -> list[Deployment]:
    """Every deployment of the tree with the groups and servers it starts; unattached groups join each one."""
    profiles = {service.source: service.profiles for service in services}
    compose_files = {service.path for service in services}
    grouped: dict[str, list[ProcessGroup]] = {}
    unattached: list[ProcessGroup] = []
    for group in project.groups:
        document = document_of(group.name, group.location.path, documents)
        (grouped.setdefault(project_key(document, compose_files), []) if document else unattached).append(group)
    started: dict[str, list[Server]] = {}
    charts = {document for document in documents if posixpath.basename(document) == "Chart.yaml"}
    for server in project.servers:
        document = document_of(server.name, "", compose_files | charts)  # a chart's subchart server is its own
        if document:
            started.setdefault(project_key(document, compose_files), []).append(server)
    found = []
    for key in sorted(set(grouped) | set(started)):
        found += _variants(key, _kind(key, compose_files), grouped.get(key, []), started.get(key, []), profiles)
    return [replace(d, shared=tuple(unattached), elsewhere=platform_database(d.groups)) for d in found]


def platform_database(groups: Iterable[ProcessGroup]) -> str:
    """The server a platform provisions for these processes, named by the variable it sets (app.json's
    `heroku-postgresql` add-on sets DATABASE_URL on every dyno, extract/platforms.py): `the heroku-postgresql add-on
    (app.json:39)`, else "". Heroku runs the Procfile's processes only, never a compose file's database."""
    for group in groups:
        for binding in group.environment.values():
            if binding.value == HEROKU_ADDON_URL:
                return f"the heroku-postgresql add-on ({binding.location.short})"
    return ""


def _variants(key: str, kind: str, groups: list[ProcessGroup], servers: list[Server], profiles) -> list[Deployment]:
    """A compose project's plain `up`, or, when that starts no pool-holding process, one variant per profile."""
    role = role_of(key)

    def profiles_of(name: str) -> tuple[str, ...]:
        return next(
            (found for source, found in profiles.items() if name == source or name.startswith(source + " ")), ()
        )

    plain = [group for group in groups if not profiles_of(group.name)]
    behind = sorted({p for group in groups for p in profiles_of(group.name)})
    if plain or not behind:
        servers_up = tuple(server for server in servers if not profiles_of(server.name))
        return [Deployment(key, role, kind, tuple(plain), servers_up or tuple(servers), keys=(key,))]
    variants = []
    for profile in behind:
        chosen = tuple(group for group in groups if profile in profiles_of(group.name) or not profiles_of(group.name))
        up = tuple(s for s in servers if not profiles_of(s.name) or profile in profiles_of(s.name))
        variants.append(Deployment(f"{key} --profile {profile}", role, kind, chosen, up or tuple(servers), keys=(key,)))
    return variants


def selected(found: list[Deployment], asked: str | None = None) -> list[Deployment]:
    """The deployments to budget: the one asked for; else every production one that runs a process; else the
    development ones that do. CI and devcontainer stacks only when asked for."""
    if asked is not None:
        return [d for d in found if d.name == asked or d.name.split(" --profile ")[0] == asked]
    running = [d for d in found if d.groups]
    for role in (PRODUCTION, DEVELOPMENT):
        chosen = [d for d in running if d.role == role]
        if chosen:
            return _combined(chosen)
    return []


def _combined(found: list[Deployment]) -> list[Deployment]:
    """Deployments of one kind (two compose files, two overlays) are alternatives, and so are two that run the same
    code (a compose file and a pm2 file for one app). Deployments of different kinds that run different code (pm2
    for the Node apps, a Procfile for the Python site) are parts of one system: each alternative gets them added.
    A deployment on a platform's database (a Heroku app) is a system of its own: the platform runs nothing else."""
    result, seen = [], set()
    for deployment in found:
        parts = [deployment]
        for other in found if not deployment.elsewhere else ():
            if (
                other.kind != deployment.kind
                and not other.elsewhere
                and all(other.kind != part.kind and not (_code(other) & _code(part)) for part in parts)
            ):
                parts.append(other)
        key = frozenset(part.name for part in parts)
        if key in seen:
            continue
        seen.add(key)
        groups = tuple(group for part in parts for group in part.groups)
        servers = tuple(server for part in parts for server in part.servers)
        name = " + ".join(part.name for part in parts)
        keys = tuple(key for part in parts for key in part.keys)
        result.append(replace(deployment, name=name, groups=groups, servers=servers, keys=keys))
    return result


def _kind(key: str, compose_files: set[str]) -> str:
    if key in compose_files:
        return "compose"
    if key.endswith("/"):
        return "kubernetes"
    if key.endswith("*.tf"):
        return "terraform"
    if key.endswith(_SYSTEMD):
        return "systemd"
    return posixpath.basename(key).split(".")[0].lower()


def _code(deployment: Deployment) -> set[str]:
    """The files whose pools a deployment's processes open: two deployments sharing one run the same app."""
    return {pool.location.path for group in deployment.groups for c in group.connections for pool in c.pools}


def declaring_documents(facts) -> frozenset[str]:
    """The files that declare processes and servers: a group or server name starting with one of them was
    declared there."""
    declared = [*facts.processes, *facts.node_processes, *facts.server_commands]
    paths = {item.location.path for item in declared}
    paths |= {app.location.path for app in facts.pm2} | {service.path for service in facts.compose_services}
    paths |= {name.split(" ", 1)[0] for name in (item.source for item in declared if hasattr(item, "source"))}
    return frozenset(path for path in paths if path)
