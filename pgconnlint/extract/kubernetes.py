"""Kubernetes manifests: the processes each workload's containers start, how many pods run them (replicas, the
autoscaler's maximum, a Job's parallelism) and how many more a rolling deploy adds; PostgreSQL servers run as
StatefulSets or by an operator (CloudNativePG, Zalando), with the Service names apps reach them by.

`extract` reads one file into facts that only mean something together (a Deployment, the HorizontalPodAutoscaler
naming it, the ConfigMaps its env reads, the Services selecting its pods); `resolve` links them once every file is
read and turns them into ProcessDecl / NodeProcessDecl / ServerCommand / ServerConfig facts. docs/kubernetes.md says
how each number is counted and which defaults apply, with their sources.
"""

from __future__ import annotations

import base64
import math
import os
import posixpath
import re
from dataclasses import dataclass, replace
from pathlib import Path

from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.extract import commands, compose, node_commands, pgbouncer, yamlsource
from pgconnlint.extract.postgres_command import is_postgres_image, settings_from_args
from pgconnlint.model import (
    Default,
    EnvBinding,
    Known,
    Location,
    NodeProcessDecl,
    ParseProblem,
    Pooler,
    ProcessDecl,
    ServerCommand,
    ServerConfig,
    ServerSetting,
    Unknown,
)

WORKLOADS = ("Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job", "CronJob")
CNPG = ("postgresql.cnpg.io", "Cluster")
ZALANDO = ("acid.zalan.do", "postgresql")
# kubernetes/kubernetes pkg/apis/apps/v1/defaults.go SetDefaults_Deployment: `maxSurge := intstr.FromString("25%")`,
# and replicas 1 when unset; the percentage becomes pods "by rounding up" (RollingUpdateDeployment.maxSurge docs).
DEFAULT_MAX_SURGE_PERCENT = 25
# KEDA ScaledObject spec (keda-docs content/docs/2.15/reference/scaledobject-spec.md):
# `maxReplicaCount: 100 # Optional. Default: 100`.
KEDA_DEFAULT_MAX_REPLICAS = 100
#: NodeProcessDecl.origin of a container's command: the linker ranks a package's declarations by origin (link.py
#: `_NODE_RANKS`), and a deployment's own command outranks the image's CMD exactly as a compose service's does.
ORIGIN = "kubernetes"
#: files that mark a folder as the project an image is built from (the directory heuristic, docs/kubernetes.md)
PROJECT_FILES = ("Dockerfile", "package.json", "pyproject.toml", "requirements.txt", "setup.py")
PROJECT_FOLDERS = ("", "apps/", "services/", "packages/")
_TEMPLATED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_K8S_VARIABLE = re.compile(r"\$\((\w+)\)")  # `$(VAR)` in command/args/env: Kubernetes' own expansion


# --- the facts one file yields -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KubeWorkload:
    """A Deployment, StatefulSet, ReplicaSet, DaemonSet, Job or CronJob, or a PostgreSQL operator's resource
    (CloudNativePG `Cluster`, Zalando `postgresql`): the document, resolved with the others by `resolve`."""

    kind: str
    name: str
    namespace: str  #: "" when the manifest leaves it to `kubectl apply -n` / kustomize
    path: str
    document: Obj
    #: numbers a Helm chart's values.yaml sets, by the manifest key they rendered into ("replicas"); see helm.py
    hints: tuple[tuple[str, Known], ...] = ()

    @property
    def location(self) -> Location:
        return self.document.location


@dataclass(frozen=True, slots=True)
class KubeAutoscaler:
    """A HorizontalPodAutoscaler (autoscaling/v1, v2) or a KEDA ScaledObject, and the workload it scales."""

    kind: str
    name: str
    namespace: str
    target_kind: str
    target_name: str
    maximum: Known | Default | None  #: None when the manifest's maximum is not a whole number
    location: Location


@dataclass(frozen=True, slots=True)
class KubeConfigMap:
    name: str
    namespace: str
    #: key, value, the line of the key, and the first line of the text when the value is a block scalar (`key: |`)
    data: tuple[tuple[str, str, Location, int | None], ...]
    location: Location


@dataclass(frozen=True, slots=True)
class KubeService:
    name: str
    namespace: str
    selector: tuple[tuple[str, str], ...]
    location: Location


# --- extract: one file -------------------------------------------------------------------------------------------


def _is_compose(value) -> bool:
    """A compose file: top-level `services`, each a mapping with an `image` or a `build`."""
    services = value.get("services") if isinstance(value, Obj) else None
    entries = services.entries.values() if isinstance(services, Obj) else ()
    return any(isinstance(s, Obj) and ("image" in s.entries or "build" in s.entries) for s in entries)


def extract(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """Each document of the stream on its own: a malformed or templated one is a problem at its line, not the
    file's end. Documents that are not Kubernetes objects (no apiVersion and kind) are not this reader's."""
    documents, problems = yamlsource.load_documents(path, text, reads=READ_KINDS.__contains__)
    lines = text.split("\n")
    templated = [d for d in documents if _is_templated(d.text)]
    for document in templated:
        end = document.line + document.text.count("\n")
        problems = [p for p in problems if not document.line <= p.location.line <= end]
        message = "templated YAML (`{{ }}`): a template is not a manifest until rendered; not read"
        help_text = "render the template and lint the output, or exclude the file"
        problems.append(ParseProblem(Location(path, document.line), message, skipped=True, help=help_text))
    found: list = []
    kubernetes = any(_is_object(d.value) or d.unread_kind for d in documents)
    if not kubernetes and documents and _is_compose(documents[0].value):
        return compose.extract(path, text)  # a compose file named otherwise: production.yml, stack.yml
    for document in documents:
        if document.value is None or any(document is t for t in templated):
            continue
        if not isinstance(document.value, Obj):
            if kubernetes:
                message = "YAML document is not a mapping, so not a Kubernetes object; not read"
                problems.append(ParseProblem(Location(path, document.line), message, skipped=True))
            continue
        for item in _objects(document.value):
            found += _object(path, item, lines)
    return found, problems


def _is_templated(text: str) -> bool:
    # the substring test first: dropping comment lines costs more than parsing a document without any `{{`/`{%`
    return ("{{" in text or "{%" in text) and _TEMPLATED.search(_uncommented(text)) is not None


def _uncommented(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith("#"))


def _is_object(value: Expr | None) -> bool:
    return isinstance(value, Obj) and isinstance(string_of(value.get("kind")), str) and "apiVersion" in value.entries


def _objects(value: Obj) -> list[Obj]:
    """A document, or the items of a `kind: List` (what `kubectl get -o yaml` writes)."""
    if string_of(value.get("kind")) == "List" and isinstance(value.get("items"), Arr):
        return [item for item in value.get("items").items if _is_object(item)]
    return [value] if _is_object(value) else []


#: the kinds `_object` reads (a List for its items); a document of any other kind is not even converted into values
READ_KINDS = frozenset(
    (
        *WORKLOADS,
        CNPG[1],
        ZALANDO[1],
        "Service",
        "HorizontalPodAutoscaler",
        "ScaledObject",
        "ConfigMap",
        "Secret",
        "List",
    )
)


def _object(path: str, item: Obj, lines: list[str]) -> list:
    kind, group = string_of(item.get("kind")), (string_of(item.get("apiVersion")) or "").partition("/")[0]
    name, namespace = string_of(item.get("metadata.name")) or "", string_of(item.get("metadata.namespace")) or ""
    if kind in WORKLOADS or (group, kind) in (CNPG, ZALANDO):
        return [KubeWorkload(kind, name, namespace, path, item)]
    if (group, kind) == ("serving.knative.dev", "Service"):
        from pgconnlint.extract import knative  # a Knative (or Cloud Run) Service: a workload and its maximum

        return knative.objects(path, item, name, namespace)
    if kind == "HorizontalPodAutoscaler":
        return [_autoscaler(item, kind, name, namespace, "spec.maxReplicas", None)]
    if kind == "ScaledObject" and group == "keda.sh":
        return [_autoscaler(item, kind, name, namespace, "spec.maxReplicaCount", KEDA_DEFAULT_MAX_REPLICAS)]
    if kind == "ConfigMap":
        return [_config_map(item, name, namespace, lines)]
    if kind == "Service" and isinstance(item.get("spec.selector"), Obj):
        selector = tuple((key, str(_scalar(value))) for key, value in item.get("spec.selector").entries.items())
        return [KubeService(name, namespace, selector, item.location)]
    if kind == "Secret":
        return _secret_values(path, item, name)
    return []  # Ingresses, RBAC…: nothing that opens or limits connections


def _secret_values(path: str, item: Obj, name: str) -> list[EnvBinding]:
    """A Secret's `stringData` as written and its `data` decoded from base64: committed values PGC403 reads."""
    found = []
    for key, encoded in (("stringData", False), ("data", True)):
        entries = item.get(key)
        for field_name, value in entries.entries.items() if isinstance(entries, Obj) else ():
            text = string_of(value)
            if text is not None and encoded:
                try:
                    text = base64.b64decode(text, validate=True).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    text = None
            if text:
                found.append(EnvBinding(field_name, text, value.location, f"{path} Secret {name} {key}"))
    return found


def _autoscaler(item: Obj, kind: str, name: str, namespace: str, key: str, default: int | None) -> KubeAutoscaler:
    target_kind = string_of(item.get("spec.scaleTargetRef.kind")) or "Deployment"  # KEDA's default kind
    target_name = string_of(item.get("spec.scaleTargetRef.name")) or ""
    field_name = key.rpartition(".")[2]
    written = item.get(key)
    value = _whole(written)
    if value is not None:
        maximum = Known(value, written.location, f"{kind} {name} {field_name}")
    elif written is None and default is not None:
        why = f"KEDA default maxReplicaCount {default}; ScaledObject {name} does not set it"
        maximum = Default(default, item.location, why)
    else:
        maximum = None
    return KubeAutoscaler(kind, name, namespace, target_kind, target_name, maximum, item.location)


def _config_map(item: Obj, name: str, namespace: str, lines: list[str]) -> KubeConfigMap:
    data = item.get("data")
    entries = []
    for key, value in data.entries.items() if isinstance(data, Obj) else ():
        if not isinstance(value, Lit) or value.value is None:
            continue
        line = value.location.line
        text_at = lines[line - 1][value.location.column - 1 :] if 0 < line <= len(lines) else ""
        block = line + 1 if text_at.startswith(("|", ">")) else None
        entries.append((key, str(_scalar(value)), data.key_location(key), block))
    return KubeConfigMap(name, namespace, tuple(entries), item.location)


# --- resolve: every file read -------------------------------------------------------------------------------------


@dataclass
class _Index:
    workloads: list[KubeWorkload]
    autoscalers: list[KubeAutoscaler]
    config_maps: list[KubeConfigMap]
    services: list[KubeService]

    def __post_init__(self) -> None:
        # by name, in file order: a rendered chart has hundreds of workloads, each looking up its maps and scalers
        self._maps = _by_name(self.config_maps, lambda c: c.name)
        self._scalers = _by_name(self.autoscalers, lambda a: a.target_name)

    def config_map(self, name: str, namespace: str) -> KubeConfigMap | None:
        return next((c for c in self._maps.get(name, ()) if _same(c.namespace, namespace)), None)

    def scalers(self, workload: KubeWorkload) -> list[KubeAutoscaler]:
        """The HPAs naming the workload, then the ScaledObjects (KEDA creates an HPA of its own from those)."""
        found = [
            a
            for a in self._scalers.get(workload.name, ())
            if a.target_kind.lower() == workload.kind.lower() and _same(a.namespace, workload.namespace)
        ]
        return sorted(found, key=lambda a: a.kind != "HorizontalPodAutoscaler")


def _by_name(items: list, name_of) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in items:
        found.setdefault(name_of(item), []).append(item)
    return found


def resolve(root: Path, facts) -> None:
    """Consume this module's facts from `facts.deployment` and append the processes and servers they describe."""
    mine = [item for item in facts.deployment if type(item).__module__ == __name__]
    facts.deployment[:] = [item for item in facts.deployment if type(item).__module__ != __name__]
    index = _Index(
        [m for m in mine if isinstance(m, KubeWorkload)],
        [m for m in mine if isinstance(m, KubeAutoscaler)],
        [m for m in mine if isinstance(m, KubeConfigMap)],
        [m for m in mine if isinstance(m, KubeService)],
    )
    for workload in index.workloads:
        group = _group(workload)
        if (group, workload.kind) == CNPG:
            facts.servers.extend(_cnpg(workload))
        elif (group, workload.kind) == ZALANDO:
            facts.servers.extend(_zalando(workload))
        else:
            _workload(root, workload, index, facts)


def _workload(root: Path, workload: KubeWorkload, index: _Index, facts) -> None:
    pod = _pod_spec(workload)
    if pod is None:
        return
    replicas = _replicas(workload, index)
    surge = _surge(workload, replicas)
    for container in _items(pod.get("containers")):
        image = string_of(container.get("image")) or ""
        if is_postgres_image(image):
            facts.server_commands.append(_postgres(workload, pod, container, image, index, facts))
            continue
        source = f"{workload.path} {workload.kind} {workload.name} container {string_of(container.get('name')) or '?'}"
        env = _environment(container, workload, index, source)
        if pgbouncer.is_bouncer_image(image):  # its replicas each open their own server pools (pgconnlint/pooler.py)
            hosts = _hosts(workload, index)
            facts.bouncers.append(pgbouncer.from_container(source, container.location, env, hosts, image, replicas))
            facts.poolers.append(Pooler(container.location, f"{source} ({image})"))
            continue
        directory = project_directory(root, image)
        extra = {"replicas": replicas, "env": env, "surge": surge, "cpu_limit": cpu_limit_of(container)}
        words, where = _command(container)
        if words is None:
            image_processes(root, directory, container.location, source, extra, facts, image)
            continue
        built = _dockerfile(directory) if os.path.isfile(os.path.join(root, _dockerfile(directory))) else None
        # its image's CMD does not run where this command replaces it (link_python.py `_images_run`)
        facts.processes.extend(replace(d, image=built) for d in _python(words, where, source, directory, extra))
        facts.node_processes.extend(_node(words, where, source, directory, extra))


def _command(container: Obj) -> tuple[list[list[str]] | None, Location | None]:
    """The word lists to try: `command` + `args`, then `args` alone (an image ENTRYPOINT script that runs "$@").
    `$(VAR)`, Kubernetes' reference to the container's env, becomes `${VAR}`, which the command readers look up."""
    command, args = commands.command_words(container.get("command")), commands.command_words(container.get("args"))
    if command is None and args is None:
        return None, None
    where = (container.get("command") or container.get("args")).location
    tries = [[*(command or []), *(args or [])]]
    if command is not None and args is not None:
        tries.append(args)
    return [[_K8S_VARIABLE.sub(r"${\1}", word) for word in words] for words in tries], where


def _python(tries: list[list[str]], where: Location, source: str, directory: str, extra: dict) -> list[ProcessDecl]:
    for words in tries:
        decl = commands.parse(words, where, source, directory)
        if decl is not None:
            return [replace(decl, **extra)]
    return []


def _node(tries: list[list[str]], where: Location, source: str, directory: str, extra: dict) -> list[NodeProcessDecl]:
    for words in tries:
        found = node_commands.parse(words, where, source, ORIGIN, directory)
        if found:
            return [replace(decl, **extra) for decl in found]
    return []


def image_processes(
    root: Path, directory: str, where: Location, source: str, extra: dict, facts, image: str = ""
) -> None:
    """No command nor args: the container runs its image's ENTRYPOINT/CMD, read from the project's Dockerfile. The
    linker puts the pod count, surge and env of this declaration on that Dockerfile's Node and Python commands
    (link.py `_expand`, link_python.py `_images_run`), as for a compose service that builds the image. With no
    Dockerfile found by the image's name, the image is kept, as a compose service's `image:` is, for the steps that
    link it to what builds it (a workflow: lint.py; a package of that name: extract/follow_node.py)."""
    dockerfile = _dockerfile(directory)
    if (root / dockerfile).is_file():
        facts.node_processes.append(
            NodeProcessDecl("image", where, source, ORIGIN, directory, dockerfile=dockerfile, **extra)
        )
    elif image:
        facts.node_processes.append(NodeProcessDecl("image", where, source, ORIGIN, directory, image=image, **extra))


def _dockerfile(directory: str) -> str:
    return posixpath.join(directory, "Dockerfile") if directory else "Dockerfile"


def project_directory(root: Path, image: str) -> str:
    """Which folder of the tree an image is built from. Kubernetes names no build context, so: the image's last
    path segment without its tag (`ghcr.io/acme/api:1.4` → `api`), when a folder of that name at the top or under
    apps/, services/ or packages/ holds a Dockerfile, package.json or Python project file; else the root."""
    name = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    return _project_folder(str(root), name) if re.fullmatch(r"[\w][\w.-]*", name) else ""


def _project_folder(root: str, name: str) -> str:
    # os.path on strings: pathlib's joins were most of the time of 450 containers (bench/)
    for prefix in PROJECT_FOLDERS:
        folder = os.path.join(root, f"{prefix}{name}")
        # one stat for the folder first: most images are named after no folder of the tree
        if os.path.isdir(folder) and any(os.path.isfile(os.path.join(folder, marker)) for marker in PROJECT_FILES):
            return f"{prefix}{name}"
    return ""


# --- numbers: replicas, surge, CPU -------------------------------------------------------------------------------


def _replicas(workload: KubeWorkload, index: _Index) -> Known | Default | Unknown | None:
    """The autoscaler's maximum, else spec.replicas (a Job's parallelism); None where Kubernetes' default of 1
    applies, which the linker counts as one pod."""
    for scaler in index.scalers(workload):
        if scaler.maximum is not None:
            return _hinted(workload, "maxReplicas", scaler.maximum)
    spec = workload.document.get("spec")
    if workload.kind in ("Job", "CronJob"):
        key = "jobTemplate.spec.parallelism" if workload.kind == "CronJob" else "parallelism"
        return _known(spec, key, f"{workload.kind} {workload.name} parallelism")
    if workload.kind == "DaemonSet":
        return None  # one pod per node: the node count is not in the repository (docs/kubernetes.md)
    found = _known(spec, "replicas", f"{workload.kind} {workload.name} spec.replicas")
    return _hinted(workload, "replicas", found) if isinstance(found, Known) else found


def _hinted(workload: KubeWorkload, key: str, value: Known | Default) -> Known | Default:
    """A rendered Helm number that equals the one values.yaml sets points at values.yaml (helm.py)."""
    hint = dict(workload.hints).get(key)
    if hint is not None and isinstance(value, Known) and hint.value == value.value:
        return Known(value.value, hint.location, f"{hint.via}, rendered into {value.via} [{value.location.short}]")
    return value


def _known(spec: Expr | None, key: str, via: str) -> Known | Unknown | None:
    """A count as the API server reads it; one it refuses (negative, not a whole number) is unknown, never 1."""
    written = spec.get(key) if isinstance(spec, Obj) else None
    if written is None:
        return None
    value = _whole(written)
    if value is None:
        return Unknown(written.text, written.location, f"{via} is not a count the API server accepts")
    return Known(value, written.location, via)


def _surge(workload: KubeWorkload, replicas: Known | Default | Unknown | None) -> Known | Default | Unknown | None:
    """Extra pods while a Deployment's rolling update runs old and new together: maxSurge as a count, or a
    percentage of the replicas the budget uses (the autoscaler's maximum) rounded up; Kubernetes' 25% when unset.
    `Recreate` stops the old pods first; StatefulSets replace pods one at a time; Jobs do not roll."""
    if workload.kind != "Deployment":
        return None
    strategy = workload.document.get("spec.strategy")
    kind = string_of(strategy.get("type")) if isinstance(strategy, Obj) else None
    if kind == "Recreate":
        return None
    if isinstance(replicas, Unknown):  # no replica count, so no surge count either
        return replicas
    count = replicas.value if replicas is not None else 1
    written = strategy.get("rollingUpdate.maxSurge") if isinstance(strategy, Obj) else None
    if written is None:
        where = strategy.location if isinstance(strategy, Obj) else workload.location
        why = (
            f"Kubernetes default maxSurge {DEFAULT_MAX_SURGE_PERCENT}% of {count} replicas, rounded up "
            f"(pkg/apis/apps/v1/defaults.go); Deployment {workload.name} does not set strategy.rollingUpdate.maxSurge"
        )
        return Default(math.ceil(DEFAULT_MAX_SURGE_PERCENT * count / 100), where, why)
    value = _scalar(written)
    if isinstance(value, int) and not isinstance(value, bool):
        return Known(value, written.location, f"Deployment {workload.name} maxSurge")
    percent = re.fullmatch(r"\s*(\d+)%\s*", str(value))
    if percent:
        via = f"Deployment {workload.name} maxSurge {value} of {count} replicas, rounded up"
        return Known(math.ceil(int(percent.group(1)) * count / 100), written.location, via)
    return Unknown(str(value), written.location, f"Deployment {workload.name} maxSurge is not a count or a percentage")


def cpu_limit_of(container: Obj) -> Known | None:
    """`resources.limits.cpu`: "500m" is 0.5 CPU, "2" or 2 is 2 (Kubernetes' quantity notation)."""
    written = container.get("resources.limits.cpu")
    value = _scalar(written)
    text = str(value).strip() if value is not None else ""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(m?)", text)
    if not match or isinstance(value, bool):
        return None
    number = float(match.group(1)) / (1000 if match.group(2) else 1)
    return Known(int(number) if number.is_integer() else number, written.location, "resources.limits.cpu")


# --- environment -------------------------------------------------------------------------------------------------


def _environment(container: Obj, workload: KubeWorkload, index: _Index, source: str) -> tuple[EnvBinding, ...]:
    """`envFrom` ConfigMaps, then `env` (which wins, as in Kubernetes): literal values and configMapKeyRef values
    from ConfigMaps of the tree. Secrets and ConfigMaps not in the tree bind nothing: the variable stays unknown."""
    bindings: dict[str, EnvBinding] = {}
    for item in _items(container.get("envFrom")):
        config_map = index.config_map(string_of(item.get("configMapRef.name")) or "", workload.namespace)
        prefix = string_of(item.get("prefix")) or ""
        for key, value, where, _ in config_map.data if config_map else ():
            bindings[prefix + key] = EnvBinding(prefix + key, value, where, f"ConfigMap {config_map.name} key {key}")
    for item in _items(container.get("env")):
        name = string_of(item.get("name"))
        binding = _binding(name, item, workload, index, source, bindings) if name else None
        if binding is not None:
            bindings[name] = binding
        elif name:
            bindings.pop(name, None)  # an unknown value (a Secret's) replaces what envFrom gave
    return tuple(bindings.values())


def _binding(name, item: Obj, workload, index: _Index, source: str, earlier: dict) -> EnvBinding | None:
    value = item.get("value")
    if isinstance(value, Lit) and value.value is not None:
        text = str(_scalar(value))
        references = _K8S_VARIABLE.findall(text)
        if any(reference not in earlier for reference in references):
            return None  # `$(OTHER)` of a variable we do not know
        text = _K8S_VARIABLE.sub(lambda m: str(earlier[m.group(1)].value), text)
        return EnvBinding(name, text, value.location, f"{source} env")
    reference = item.get("valueFrom.configMapKeyRef")
    if isinstance(reference, Obj):
        config_map = index.config_map(string_of(reference.get("name")) or "", workload.namespace)
        key = string_of(reference.get("key"))
        for data_key, text, where, _ in config_map.data if config_map else ():
            if data_key == key:
                return EnvBinding(name, text, where, f"ConfigMap {config_map.name} key {key}")
    return None


# --- PostgreSQL in Kubernetes -------------------------------------------------------------------------------------


def _postgres(workload: KubeWorkload, pod: Obj, container: Obj, image: str, index: _Index, facts) -> ServerCommand:
    """A container running a PostgreSQL image: `-c name=value`, `-N`, `-B` in command/args, POSTGRES_* variables,
    and a postgresql.conf mounted from a ConfigMap where `-c config_file=` points."""
    command, args = commands.command_words(container.get("command")), commands.command_words(container.get("args"))
    words = [*(command or []), *(args or [])]
    where = (container.get("args") or container.get("command") or container).location
    settings = settings_from_args(words, where)
    name = f"{workload.path} {workload.kind} {workload.name}"
    env = _environment(container, workload, index, name)
    config, problems = _mounted_config(dict(settings).get("config_file"), pod, container, workload, index)
    facts.problems.extend(problems)
    if config is not None:
        facts.servers.append(config)
    postgres_env = tuple(b for b in env if b.name.startswith(("POSTGRES_", "PG")))
    config_name = config.name if config else None
    return ServerCommand(name, where, image, tuple(settings), config_name, postgres_env, hosts=_hosts(workload, index))


def _mounted_config(config_file: Known | None, pod: Obj, container: Obj, workload, index: _Index):
    """The postgresql.conf a ConfigMap volume puts where `-c config_file=` points, and the problems of its lines."""
    if config_file is None:
        return None, []
    target = str(config_file.value)
    volumes = {string_of(v.get("name")): v for v in _items(pod.get("volumes"))}
    for mount in _items(container.get("volumeMounts")):
        volume = volumes.get(string_of(mount.get("name")))
        name = string_of(volume.get("configMap.name")) if volume else None
        config_map = index.config_map(name or "", workload.namespace) if volume else None
        mount_path, sub_path = string_of(mount.get("mountPath")) or "", string_of(mount.get("subPath"))
        if config_map is None or not mount_path:
            continue
        if sub_path is not None:
            file = sub_path if mount_path == target else None
        else:
            inside = target.startswith(mount_path.rstrip("/") + "/")
            file = target[len(mount_path.rstrip("/")) + 1 :] if inside else None
        key = _key_for(volume.get("configMap.items"), file) if file else None
        entry = next((e for e in config_map.data if e[0] == key), None)
        if entry is not None:
            return _config_from_text(workload.path, config_map, entry)
    return None, []


def _key_for(items: Expr | None, file: str) -> str:
    """`configMap.items` maps keys to file names; without it each key is a file of its own name."""
    for item in _items(items):
        if string_of(item.get("path")) == file:
            return string_of(item.get("key")) or file
    return file


def _config_from_text(path: str, config_map: KubeConfigMap, entry) -> tuple[ServerConfig, list[ParseProblem]]:
    """postgresql.conf text held in a ConfigMap, read line by line as extract/pgconf.py reads a file; each line
    number points into the manifest. Includes are not followed: the files they name are in the container."""
    from pgconnlint.extract.pgconf import from_text

    key, text, where, block = entry
    return from_text(f"{path} ConfigMap {config_map.name} {key}", where, text, block or where.line)


def _hosts(workload: KubeWorkload, index: _Index) -> tuple[str, ...]:
    """The Services whose selector matches the pod template's labels, in each form an app may write."""
    labels = workload.document.get("spec.template.metadata.labels")
    pod_labels = {k: str(_scalar(v)) for k, v in labels.entries.items()} if isinstance(labels, Obj) else {}
    names = [
        s.name
        for s in index.services
        if s.selector and _same(s.namespace, workload.namespace) and all(pod_labels.get(k) == v for k, v in s.selector)
    ]
    return service_hosts(names, workload.namespace)


def service_hosts(names: list[str], namespace: str) -> tuple[str, ...]:
    """`db`, `db.prod`, `db.prod.svc`, `db.prod.svc.cluster.local` (Kubernetes DNS for Services); with no namespace
    in the manifest, the `default` namespace's forms (kubectl's when none is given)."""
    found: list[str] = []
    for name in names:
        space = namespace or "default"
        found += [name, f"{name}.{space}", f"{name}.{space}.svc", f"{name}.{space}.svc.cluster.local"]
    return tuple(dict.fromkeys(found))


def _parameters(workload: KubeWorkload) -> dict[str, ServerSetting]:
    from pgconnlint.extract.pgconf import normalise

    parameters = workload.document.get("spec.postgresql.parameters")
    settings = {}
    for key, value in parameters.entries.items() if isinstance(parameters, Obj) else ():
        if isinstance(value, Lit) and value.value is not None:
            text = str(_scalar(value))
            via = f"{workload.kind} {workload.name} spec.postgresql.parameters.{key}"
            known = Known(normalise(text), value.location, via)
            settings[key.lower()] = ServerSetting(key.lower(), known, (), text)
    return settings


def _cnpg(workload: KubeWorkload) -> list[ServerConfig]:
    """CloudNativePG: one primary behind `<name>-rw`; standbys behind `<name>-ro`, and `<name>-r` reaches any
    instance (cloudnative-pg.io/documentation/current/service_management)."""
    instances = _whole(workload.document.get("spec.instances")) or 1
    name = workload.name
    primary_hosts = [f"{name}-rw"] + ([f"{name}-r"] if instances <= 1 else [])
    return _operator_servers(workload, primary_hosts, [f"{name}-ro", f"{name}-r"], instances)


def _zalando(workload: KubeWorkload) -> list[ServerConfig]:
    """Zalando's operator: the primary behind `<name>`, replicas behind `<name>-repl`
    (zalando/postgres-operator pkg/cluster/k8sres.go `serviceName`)."""
    instances = _whole(workload.document.get("spec.numberOfInstances")) or 1
    return _operator_servers(workload, [workload.name], [f"{workload.name}-repl"], instances)


def _operator_servers(workload, primary_hosts, standby_hosts, instances: int) -> list[ServerConfig]:
    """The primary, and, when there is more than one instance, one standby entry (each standby runs the same
    settings; PostgreSQL requires a standby's max_connections to be at least the primary's)."""
    settings = _parameters(workload)
    name = f"{workload.path} {workload.kind} {workload.name}"
    primary = ServerConfig(name, workload.location, settings, hosts=service_hosts(primary_hosts, workload.namespace))
    if instances <= 1:
        return [primary]
    hosts = service_hosts(standby_hosts, workload.namespace)
    standby = ServerConfig(f"{name} standbys", workload.location, settings, hosts=hosts, replica_of=name)
    return [primary, standby]


# --- small readers -----------------------------------------------------------------------------------------------


def _pod_spec(workload: KubeWorkload) -> Obj | None:
    key = "spec.jobTemplate.spec.template.spec" if workload.kind == "CronJob" else "spec.template.spec"
    spec = workload.document.get(key)
    return spec if isinstance(spec, Obj) else None


def _group(workload: KubeWorkload) -> str:
    return (string_of(workload.document.get("apiVersion")) or "").partition("/")[0]


def _same(one: str, other: str) -> bool:
    """Same namespace; an unset one is decided at deploy time (`kubectl apply -n`, kustomize), so it matches."""
    return one == other or not one or not other


def _items(value: Expr | None) -> list[Obj]:
    return [item for item in value.items if isinstance(item, Obj)] if isinstance(value, Arr) else []


def _scalar(value: Expr | None) -> object:
    if not isinstance(value, Lit):
        return None
    return value.value


def string_of(value: Expr | None) -> str | None:
    """A scalar that is a string, else None (a number, a map, a missing key)."""
    scalar = _scalar(value)
    return scalar if isinstance(scalar, str) else None


def _whole(value: Expr | None) -> int | None:
    scalar = _scalar(value)
    if isinstance(scalar, bool):
        return None
    if isinstance(scalar, int):
        return scalar if scalar >= 0 else None  # the API server refuses negative counts
    if isinstance(scalar, str) and scalar.strip().isdigit():
        return int(scalar)
    return None
