"""Terraform: the apps a module runs outside Kubernetes, and how many instances of each its autoscaler allows.

Cloud Run (`google_cloud_run_v2_service`, the older `google_cloud_run_service`), ECS services with their task
definition and Application Auto Scaling target, App Runner services with their auto scaling configuration, Azure
Container Apps, and Lambda functions. Each container becomes Python/Node process declarations whose `replicas` is
the platform's maximum (the term cites the attribute's file:line, or says which platform default applies), as a
HorizontalPodAutoscaler's maxReplicas does for a Kubernetes Deployment; each Lambda function becomes a serverless
function fact like a serverless.yml function. docs/platforms.md lists what is read and the sources of each default.

terraform.py parses the files and calls `resolve` here with its index and value resolver. What runs in a container
is its command when it has one; otherwise its image's CMD, read from the Dockerfile that builds the image (a folder
named after the image or its ECR repository here; a workflow or script that publishes it, linked by lint.py after
this runs, then `report_unbuilt`). An image the repository does not build is reported, never linked to a guess.
"""

from __future__ import annotations

import math
import posixpath
import re
from dataclasses import dataclass, replace
from pathlib import Path

from pgconnlint.expr import Arr, Expr, Lit, Obj
from pgconnlint.extract import commands, node_commands
from pgconnlint.extract.kubernetes import project_directory
from pgconnlint.extract.platforms import json_document
from pgconnlint.model import (
    Default,
    EnvBinding,
    FunctionDecl,
    Known,
    Location,
    NodeProcessDecl,
    ParseProblem,
    Unknown,
)

#: the resource types read here (terraform.py keeps them when it parses a file)
APP_RESOURCES = frozenset(
    {
        "google_cloud_run_v2_service",
        "google_cloud_run_service",
        "aws_ecs_service",
        "aws_ecs_task_definition",
        "aws_appautoscaling_target",
        "aws_ecr_repository",
        "aws_apprunner_service",
        "aws_apprunner_auto_scaling_configuration_version",
        "azurerm_container_app",
        "aws_lambda_function",
    }
)
#: `data` sources read here: where a Lambda function's zip is built from
APP_DATA_SOURCES = frozenset({"archive_file"})
ORIGIN = "platform"  #: NodeProcessDecl.origin: ranked with compose and Kubernetes commands (link.py `_NODE_RANKS`)

# Cloud Run: "When unspecified, the field is set to the server default value of 100" (Cloud Run Admin API v2,
# RevisionScaling.max_instance_count; cloud.google.com/run/docs/configuring/max-instances: "By default, Cloud Run
# services are configured to scale out to a maximum of 100 instances").
CLOUD_RUN_DEFAULT_MAX = 100
# App Runner: terraform-provider-aws internal/service/apprunner/auto_scaling_configuration_version.go, `max_size`
# `Default: 25`; a service without a configuration gets the account's default configuration (AWS's own unless the
# account set another with aws_apprunner_default_auto_scaling_configuration_version).
APP_RUNNER_DEFAULT_MAX = 25
# Azure Container Apps: "Maximum number of container replicas. Defaults to 10 if not set." (Microsoft.App
# Scale.maxReplicas, Azure REST API / Az.Functions models Scale.MaxReplica).
CONTAINER_APPS_DEFAULT_MAX = 10
# ECS: terraform-provider-aws internal/service/ecs/service.go, `deployment_maximum_percent` `Default: 200`: a
# rolling deployment runs up to twice the tasks.
ECS_DEFAULT_MAXIMUM_PERCENT = 200
_LAMBDA_UNCAPPED = (
    "no reserved_concurrent_executions (-1, terraform-provider-aws' default): AWS Lambda scales to the account's "
    "concurrency limit (1,000 per Region by default, raised on request)"
)
_LINK_HELP = (
    "build the image in this repository (a Dockerfile in a folder named after the image, a workflow or script that "
    "builds and tags it), or give the container a command"
)
_ECR = re.compile(r"aws_ecr_repository\.([\w-]+)\.repository_url")
_TASK = re.compile(r"aws_ecs_task_definition\.([\w-]+)\.")
_SERVICE = re.compile(r"aws_ecs_service\.([\w-]+)\.")
_SCALING = re.compile(r"aws_apprunner_auto_scaling_configuration_version\.([\w-]+)\.")
_ARCHIVE = re.compile(r"data\.archive_file\.([\w-]+)\.output_path")
_PATH_MODULE = re.compile(r"^\$\{path\.(?:module|root)\}/?")


@dataclass(frozen=True, slots=True)
class _Container:
    """One container of a service: its image as written (HCL text), its command and args, its environment."""

    name: str
    image: str  #: HCL text without the quotes, interpolations kept (`gcr.io/${var.project}/api:1`)
    location: Location
    command: list[str] | None = None
    args: list[str] | None = None
    env: tuple[EnvBinding, ...] = ()
    shell: str | None = None  #: one command line (App Runner `start_command`)


@dataclass(frozen=True, slots=True)
class _App:
    block: object  #: the TerraformBlock of the service
    replicas: Known | Default | Unknown
    containers: list[_Container]
    surge: Known | Default | None = None
    directory: str | None = None  #: App Runner's code repository: the folder whose code runs


def resolve(root: Path, index, resolver, facts, data: list) -> None:
    """Every app and function of the module index (terraform.py `_Index`), appended to `facts`; `data` holds the
    `data "archive_file"` blocks Lambda functions are zipped from."""
    for kind, reader in _READERS.items():
        for block in index.of(kind):
            for app in _guarded(block, resolver, reader, root, block, index, resolver):
                for container in app.containers:
                    _guarded(block, resolver, _processes, root, app, container, index, resolver, facts)
    for block in index.of("aws_lambda_function"):
        facts.functions.extend(_guarded(block, resolver, _lambda, root, block, resolver, data) or ())


def _guarded(block, resolver, function, *args):
    """A reader's failure on one block is that block's PGC002, and the others are still read (as lint.py `_extract`
    does for a file)."""
    try:
        return function(*args) or []
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        message = f"{block.address}: internal error while reading it ({type(error).__name__}); not checked"
        resolver.skip(block.location, message, "report it, with the block, to pgconnlint")
        return []


# --- values -------------------------------------------------------------------------------------------------------


def _count(resolver, block, attr, what: str) -> Known | Unknown | None:
    value = resolver.value(block, attr)
    if isinstance(value, Known):
        number = value.value
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if isinstance(number, int) and not isinstance(number, bool) and number >= 0:
            via = f"{block.address} {what}"
            return Known(number, value.location, via if value.via == value.location.short else f"{via}, {value.via}")
        return Unknown(str(value.value), value.location, f"{block.address} {what} is not a whole number")
    return value


def _words(resolver, block, attr) -> list[str] | None:
    """A list of literal words (`command = ["gunicorn", "app:app"]`), or one string split as a shell would; None when
    absent or not literal (reported)."""
    if attr is None:
        return None
    if not isinstance(attr.value, list):
        value = resolver.value(block, attr)
        if isinstance(value, Known) and isinstance(value.value, str):
            return commands.command_words(Lit(value.location, value.value, value.value))
        if isinstance(value, Unknown):
            resolver.note(value, f"{block.address} command")
        return None
    words = [resolver.value(block, replace(attr, value=item)) for item in attr.value]
    unknown = next((word for word in words if not isinstance(word, Known)), None)
    if unknown is not None:
        if isinstance(unknown, Unknown):
            resolver.note(unknown, f"{block.address} command word")
        return None
    return [str(word.value) for word in words]


def _raw(attr) -> str:
    """The HCL text of a string attribute without its quotes (interpolations kept), "" for anything else."""
    value = attr.value if attr is not None else None
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value if isinstance(value, str) else ""


def _env_blocks(resolver, block, bodies, source: str) -> tuple[EnvBinding, ...]:
    """`env { name = "A" value = "1" }` blocks; one with a secret instead of a value binds nothing."""
    found = []
    for body in bodies:
        name = resolver.value(block, body.attributes.get("name"))
        value = resolver.value(block, body.attributes.get("value"))
        if isinstance(name, Known) and isinstance(value, Known) and value.value is not None:
            found.append(EnvBinding(str(name.value), str(value.value), value.location, source))
    return tuple(found)


def _env_map(root: Path, resolver, block, attr, source: str) -> tuple[EnvBinding, ...]:
    """`{ NAME = "value" }`: literal values (or variables with literal defaults), each at its line."""
    found = []
    for key, entry in _entries(root, attr):
        value = resolver.value(block, entry)
        if isinstance(value, Known) and value.value is not None:
            found.append(EnvBinding(key, str(value.value), value.location, source))
    return tuple(found)


def _entries(root: Path, attr) -> list[tuple[str, object]]:
    """A map attribute's entries as (key, Attr) pairs, each Attr at its key's line: python-hcl2 keeps one line per
    attribute, so the line is found in the file, the first at or after the map's line that starts with the key."""
    from pgconnlint.discover import read_text

    entries = attr.value if attr is not None and isinstance(attr.value, dict) else {}
    text = read_text(root, attr.location.path) if entries else ""
    lines = text.split("\n") if isinstance(text, str) else []
    found = []
    for key, raw in entries.items():
        name = str(key).strip('"')
        pattern = re.compile(rf'^\s*"?{re.escape(name)}"?\s*[=:]')
        line = next(
            (n for n in range(attr.location.line, len(lines) + 1) if pattern.match(lines[n - 1])), attr.location.line
        )
        found.append((name, replace(attr, value=raw, location=Location(attr.location.path, line))))
    return found


def _first(body, name: str):
    found = body.nested(name)
    return found[0] if found else None


# --- Cloud Run ----------------------------------------------------------------------------------------------------


def _cloud_run_default(block) -> Default:
    why = (
        f"Cloud Run default max instances {CLOUD_RUN_DEFAULT_MAX} (Cloud Run Admin API: max_instance_count unset is "
        f"the server default of 100); {block.address} sets no maximum"
    )
    return Default(CLOUD_RUN_DEFAULT_MAX, block.location, why)


def _cloud_run_v2(root: Path, block, index, resolver) -> list[_App]:
    """`template.scaling.max_instance_count`, else the service-level `scaling.max_instance_count`, else 100."""
    template = _first(block.body, "template")
    if template is None:
        return []
    maximum = None
    for scaling in (_first(template, "scaling"), _first(block.body, "scaling")):
        if maximum is None and scaling is not None:
            maximum = _count(resolver, block, scaling.attributes.get("max_instance_count"), "max_instance_count")
    containers = [_container(resolver, block, body, "containers", "env") for body in template.nested("containers")]
    return [_App(block, maximum or _cloud_run_default(block), containers)]


def _cloud_run_v1(root: Path, block, index, resolver) -> list[_App]:
    """`template.metadata.annotations["autoscaling.knative.dev/maxScale"]`, else 100; containers under
    `template.spec.containers`."""
    template = _first(block.body, "template")
    spec = _first(template, "spec") if template is not None else None
    if spec is None:
        return []
    metadata = _first(template, "metadata")
    annotations = metadata.attributes.get("annotations") if metadata is not None else None
    maximum = None
    for key, entry in _entries(root, annotations):
        if key == "autoscaling.knative.dev/maxScale":
            maximum = _count(resolver, block, entry, key)
    containers = [_container(resolver, block, body, "containers", "env") for body in spec.nested("containers")]
    return [_App(block, maximum or _cloud_run_default(block), containers)]


def _container(resolver, block, body, kind: str, env_block: str) -> _Container:
    """A `containers { image command args env {…} }` block (Cloud Run) or `container { … }` (Container Apps)."""
    source = f"{block.path} {block.address} {kind}"
    command = _words(resolver, block, body.attributes.get("command"))
    args = _words(resolver, block, body.attributes.get("args"))
    written = body.attributes.get("command") or body.attributes.get("args") or body.attributes.get("image")
    where = written.location if written is not None else body.location
    name = _raw(body.attributes.get("name"))
    env = _env_blocks(resolver, block, body.nested(env_block), f"{source} env")
    return _Container(name, _raw(body.attributes.get("image")), where, command, args, env)


# --- ECS ----------------------------------------------------------------------------------------------------------


def _ecs(root: Path, block, index, resolver) -> list[_App]:
    """Each service: the tasks its Application Auto Scaling target allows (`max_capacity`), else `desired_count`;
    the containers of the task definition it names; the surge of a rolling deployment (`deployment_maximum_percent`,
    200 by default). A DAEMON service runs one task per container instance, a count not in the repository."""
    task = _task_definition(index, resolver, block)
    containers = _task_containers(root, resolver, task) if task is not None else []
    count = _ecs_count(index, resolver, block)
    surge = _ecs_surge(resolver, block, count)  # None for an unknown count
    return [_App(block, count, containers, surge)]


def _ecs_count(index, resolver, block) -> Known | Unknown:
    strategy = resolver.value(block, block.body.attributes.get("scheduling_strategy"))
    if isinstance(strategy, Known) and strategy.value == "DAEMON":
        why = f"{block.address} runs one task per container instance (scheduling_strategy DAEMON)"
        return Unknown("scheduling_strategy = DAEMON", strategy.location, why)
    count = _ecs_target(index, resolver, block)
    count = count or _count(resolver, block, block.body.attributes.get("desired_count"), "desired_count")
    why = f"{block.address} sets neither desired_count nor an autoscaler"
    return count if count is not None else Unknown("desired_count", block.location, why)


def _ecs_target(index, resolver, service) -> Known | Unknown | None:
    """An `aws_appautoscaling_target` whose resource_id is `service/<cluster>/<service>` for this service."""
    name = resolver.value(service, service.body.attributes.get("name"))
    for target in index.of("aws_appautoscaling_target"):
        if target.module != service.module:
            continue
        text = _raw(target.body.attributes.get("resource_id"))
        reference = _SERVICE.search(text)
        named = reference is not None and reference.group(1) == service.name
        literal = isinstance(name, Known) and text.startswith("service/") and text.rsplit("/", 1)[-1] == name.value
        if named or literal:
            return _count(resolver, target, target.body.attributes.get("max_capacity"), "max_capacity")
    return None


def _ecs_surge(resolver, block, count) -> Known | Default | None:
    """ECS runs up to `deployment_maximum_percent` of the tasks during a deployment, rounded down."""
    if not isinstance(count, Known | Default) or not isinstance(count.value, int):
        return None
    written = _count(resolver, block, block.body.attributes.get("deployment_maximum_percent"), "")
    percent = written.value if isinstance(written, Known) else ECS_DEFAULT_MAXIMUM_PERCENT
    extra = max(count.value * percent // 100 - count.value, 0)
    if isinstance(written, Known):
        via = f"{block.address} deployment_maximum_percent {percent} of {count.value} tasks, rounded down"
        return Known(extra, written.location, via)
    why = (
        f"ECS default deployment_maximum_percent {ECS_DEFAULT_MAXIMUM_PERCENT} of {count.value} tasks "
        f"(terraform-provider-aws ecs service schema); {block.address} does not set it"
    )
    return Default(extra, block.location, why)


def _task_definition(index, resolver, service):
    attr = service.body.attributes.get("task_definition")
    reference = _TASK.search(str(attr.value)) if attr is not None else None
    if reference is not None:
        return index.named("aws_ecs_task_definition", service.module, reference.group(1))
    value = resolver.value(service, attr)
    if isinstance(value, Known):  # a family name, optionally `family:revision`
        family = str(value.value).split(":", 1)[0]
        return index.by_attribute("aws_ecs_task_definition", service.module, "family", family)
    return None


def _task_containers(root: Path, resolver, task) -> list[_Container]:
    """`container_definitions`: `jsonencode([...])` (read from the HCL), a JSON heredoc, or `file("x.json")`."""
    attr = task.body.attributes.get("container_definitions")
    if attr is None:
        return []
    definitions = _definitions(root, task, attr, resolver)
    if not isinstance(definitions, Arr):
        message = f"{task.address} container_definitions is not a list pgconnlint can read; its containers are not read"
        resolver.skip(attr.location, message, "write the list with jsonencode([...]), a JSON heredoc or file()")
        return []
    source = f"{task.path} {task.address}"
    return [_ecs_container(item, source) for item in definitions.items if isinstance(item, Obj)]


def _definitions(root: Path, task, attr, resolver) -> Expr | None:
    """The container definitions as a located value: `jsonencode([...])` read again from the HCL (python-hcl2's
    rules keep lines), a JSON heredoc or string, or the JSON file `file("…")` names."""
    raw = attr.value if isinstance(attr.value, str) else ""
    heredoc = re.fullmatch(r'"<<-?(\w+)\n(.*)\n\s*\1"', raw, re.S)
    if heredoc:
        return json_document(task.path, "\n" * attr.location.line + heredoc.group(2))[0]
    literal = resolver.value(task, attr)
    if isinstance(literal, Known) and isinstance(literal.value, str):
        return json_document(task.path, "\n" * (attr.location.line - 1) + literal.value)[0]
    named = re.fullmatch(r'\$\{file\("([^"]+)"\)\}', raw.strip())
    if named:
        path = posixpath.normpath(posixpath.join(task.module or ".", _PATH_MODULE.sub("", named.group(1))))
        return _json_file(root, path)
    if raw.startswith("${jsonencode("):
        return _jsonencode(root, task, resolver)
    return None


def _json_file(root: Path, path: str) -> Expr | None:
    from pgconnlint.discover import read_text

    text = read_text(root, path)
    return json_document(path, text)[0] if isinstance(text, str) else None


def _jsonencode(root: Path, task, resolver) -> Expr | None:
    """The argument of `jsonencode(...)`, from the resource block parsed again (the facts keep serialised text)."""
    import hcl2
    from hcl2.rules.base import AttributeRule, BlockRule

    from pgconnlint.discover import read_text

    text = read_text(root, task.path)
    if not isinstance(text, str):
        return None
    for block in hcl2.parses(text).body.children:
        labels = [str(label.serialize()).strip('"') for label in block.labels] if isinstance(block, BlockRule) else []
        if labels != ["resource", task.type, task.name]:
            continue
        for child in block.body.children:
            if isinstance(child, AttributeRule) and str(child.identifier.serialize()) == "container_definitions":
                call = _unwrapped(child.expression)
                arguments = call.arguments.arguments if getattr(call, "arguments", None) is not None else []
                return _hcl(arguments[0], task, resolver) if arguments else None
    return None


def _unwrapped(rule):
    """An expression term's own rule (python-hcl2 wraps each in an ExprTermRule with whitespace slots)."""
    from hcl2.rules.expressions import ExprTermRule

    while isinstance(rule, ExprTermRule):
        rule = next((child for child in rule.children if child is not None and hasattr(child, "children")), None)
    return rule


def _hcl(rule, task, resolver) -> Expr:
    """python-hcl2 rules → Obj/Arr/Lit with lines; a leaf is its value when literal (or a variable with a literal
    default), else its HCL text with interpolations kept (an image `${aws_ecr_repository.x.repository_url}:1`)."""
    from hcl2.rules.containers import ObjectElemRule, ObjectRule, TupleRule

    rule = _unwrapped(rule)
    meta = getattr(rule, "_meta", None)
    where = Location(task.path, getattr(meta, "line", None) or task.location.line)
    if isinstance(rule, TupleRule):
        return Arr(where, "[…]", tuple(_hcl(item, task, resolver) for item in rule.elements))
    if isinstance(rule, ObjectRule):
        entries, keys = {}, {}
        for element in rule.elements if isinstance(rule.elements, list) else ():
            if isinstance(element, ObjectElemRule):
                key = str(element.key.serialize()).strip('"')
                line = getattr(getattr(element, "_meta", None), "line", None) or where.line
                keys[key] = Location(task.path, line)
                entries[key] = replace(_hcl(element.expression, task, resolver), location=keys[key])
        return Obj(where, "{…}", entries, keys)
    raw = rule.serialize() if rule is not None else None
    from pgconnlint.extract.terraform import Attr

    value = resolver.value(task, Attr(raw, where))
    if isinstance(value, Known):
        return Lit(where, str(value.value), value.value)
    text = raw[1:-1] if isinstance(raw, str) and raw[:1] == raw[-1:] == '"' else str(raw)
    return Lit(where, text, text)


def _ecs_container(item: Obj, source: str) -> _Container:
    name = _string(item.get("name")) or ""
    command = commands.command_words(item.get("command")) if isinstance(item.get("command"), Arr) else None
    entry = commands.command_words(item.get("entryPoint")) if isinstance(item.get("entryPoint"), Arr) else None
    where = (item.get("command") or item.get("entryPoint") or item).location
    env = []
    environment = item.get("environment")
    for pair in environment.items if isinstance(environment, Arr) else ():
        key, value = (_string(pair.get("name")), pair.get("value")) if isinstance(pair, Obj) else (None, None)
        literal = isinstance(value, Lit) and value.value is not None and not isinstance(value.value, bool)
        if key and literal and "${" not in str(value.value):  # an interpolation Terraform computes binds nothing
            env.append(EnvBinding(key, str(value.value), value.location, f"{source} container {name} environment"))
    # ECS: entryPoint + command, as Docker's ENTRYPOINT + CMD
    return _Container(name, _string(item.get("image")) or "", where, entry, command, tuple(env))


def _string(value: Expr | None) -> str | None:
    return value.value if isinstance(value, Lit) and isinstance(value.value, str) else None


# --- App Runner and Container Apps --------------------------------------------------------------------------------


def _app_runner(root: Path, block, index, resolver) -> list[_App]:
    """The auto scaling configuration the service names (`max_size`, 25 by default), its image and start command, or
    its code repository's start command run in `source_directory`."""
    source = _first(block.body, "source_configuration")
    if source is None:
        return []
    maximum = _app_runner_maximum(index, resolver, block)
    image = _first(source, "image_repository")
    code = _first(source, "code_repository")
    if image is not None:
        configuration = _first(image, "image_configuration")
        return [_App(block, maximum, [_app_runner_container(root, resolver, block, image, configuration)])]
    elif code is not None:
        settings = _first(_first(code, "code_configuration") or code, "code_configuration_values")
        folder = resolver.value(block, code.attributes.get("source_directory"))
        directory = str(folder.value).strip("/") if isinstance(folder, Known) else ""
        container = _app_runner_container(root, resolver, block, code, settings)
        return [_App(block, maximum, [container], directory=directory)]


def _app_runner_maximum(index, resolver, block) -> Known | Default | Unknown:
    attr = block.body.attributes.get("auto_scaling_configuration_arn")
    reference = _SCALING.search(str(attr.value)) if attr is not None else None
    configuration = (
        index.named("aws_apprunner_auto_scaling_configuration_version", block.module, reference.group(1))
        if reference
        else None
    )
    if configuration is not None:
        found = _count(resolver, configuration, configuration.body.attributes.get("max_size"), "max_size")
        if found is not None:
            return found
        why = f"App Runner default max_size {APP_RUNNER_DEFAULT_MAX} (terraform-provider-aws); {configuration.address}"
        return Default(APP_RUNNER_DEFAULT_MAX, configuration.location, why + " does not set it")
    if attr is not None:
        return Unknown(str(attr.value), attr.location, "an auto scaling configuration not declared in this module")
    why = (
        f"App Runner's default auto scaling configuration, max_size {APP_RUNNER_DEFAULT_MAX} unless the account set "
        f"another default; {block.address} names none"
    )
    return Default(APP_RUNNER_DEFAULT_MAX, block.location, why)


def _app_runner_container(root: Path, resolver, block, repository, settings) -> _Container:
    start = settings.attributes.get("start_command") if settings is not None else None
    command = resolver.value(block, start)
    env = ()
    if settings is not None:
        variables = settings.attributes.get("runtime_environment_variables")
        env = _env_map(root, resolver, block, variables, block.address)
    where = start.location if start is not None else repository.location
    shell = str(command.value) if isinstance(command, Known) else None
    image = _raw(repository.attributes.get("image_identifier"))
    return _Container("", image, where, env=env, shell=shell)


def _container_apps(root: Path, block, index, resolver) -> list[_App]:
    """`template.max_replicas`, else Azure's default of 10; each `template.container`."""
    template = _first(block.body, "template")
    if template is None:
        return []
    maximum = _count(resolver, block, template.attributes.get("max_replicas"), "template.max_replicas")
    if maximum is None:
        why = f"Azure Container Apps default max replicas {CONTAINER_APPS_DEFAULT_MAX} (Scale.maxReplicas)"
        maximum = Default(CONTAINER_APPS_DEFAULT_MAX, template.location, f"{why}; {block.address} does not set it")
    containers = [_container(resolver, block, body, "container", "env") for body in template.nested("container")]
    return [_App(block, maximum, containers)]


# --- processes --------------------------------------------------------------------------------------------------


def _processes(root: Path, app: _App, container: _Container, index, resolver, facts) -> None:
    """The container's command (entrypoint + command, then the command alone), else its image's CMD."""
    block = app.block
    source = f"{block.path} {block.address}" + (f" container {container.name}" if container.name else "")
    dockerfile, directory = _built_by(root, container.image, block, index, resolver)
    if app.directory is not None:  # App Runner's code repository: the folder is the code
        dockerfile, directory = None, app.directory
    extra = {"replicas": app.replicas, "env": container.env, "surge": app.surge}
    tries = _tries(container)
    if not tries and app.directory is not None:
        message = (
            f"{block.address} builds from a code repository and Terraform gives no start_command (with "
            "configuration_source REPOSITORY it is in the repository's apprunner.yaml): its processes are not counted"
        )
        resolver.skip(container.location, message, "write code_configuration_values.start_command")
        return
    if not tries:
        if dockerfile is None and not _published(container.image):
            _unlinked(container, block, resolver)
            return
        # no Dockerfile found yet: a workflow or script that publishes the image may build it (`report_unbuilt`)
        image = None if dockerfile else container.image  # lint.py matches its repository, without the tag
        decl = NodeProcessDecl("image", container.location, source, ORIGIN, directory, dockerfile=dockerfile)
        facts.node_processes.append(replace(decl, image=image, **extra))
        return
    for words in tries:
        decl = commands.parse(words, container.location, source, directory)
        if decl is not None:
            facts.processes.append(replace(decl, image=dockerfile, **extra))
            break
    for words in tries:
        found = node_commands.parse(words, container.location, source, ORIGIN, directory)
        if found:
            facts.node_processes.extend(replace(decl, dockerfile=dockerfile, **extra) for decl in found)
            break


def _tries(container: _Container) -> list:
    if container.shell is not None:
        return [container.shell]
    if container.command is None and container.args is None:
        return []
    tries = [[*(container.command or []), *(container.args or [])]]
    if container.command is not None and container.args is not None:
        tries.append(container.args)  # an entrypoint script that runs "$@"
    return tries


def _built_by(root: Path, image: str, block, index, resolver) -> tuple[str | None, str]:
    """The Dockerfile that builds the image and its folder: the folder named after an `aws_ecr_repository` this
    module declares (the root's Dockerfile when no folder has that name), else the folder named after the image's
    last path segment (docs/kubernetes.md's heuristic) when it holds a Dockerfile. (None, "") otherwise."""
    ecr = _ECR.search(image)
    if ecr is not None:
        repository = index.named("aws_ecr_repository", block.module, ecr.group(1))
        name = resolver.value(repository, repository.body.attributes.get("name")) if repository else None
        folder = project_directory(root, str(name.value)) if isinstance(name, Known) else ""
        return _dockerfile(root, folder), folder
    last = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    if not last or "${" in last:
        return None, ""
    folder = project_directory(root, last)
    return (_dockerfile(root, folder), folder) if folder else (None, "")


def _dockerfile(root: Path, folder: str) -> str | None:
    path = posixpath.join(folder, "Dockerfile") if folder else "Dockerfile"
    return path if (root / path).is_file() else None


def _published(image: str) -> bool:
    """An image written in full (no interpolation), which a workflow or build script of the repository may publish."""
    return bool(image) and "${" not in image


def _unlinked(container: _Container, block, resolver) -> None:
    resolver.problems.append(_unbuilt(container.location, f"{block.address}" + _named(container), container.image))


def _named(container: _Container) -> str:
    return f" container {container.name}" if container.name else ""


def _unbuilt(where: Location, named: str, image: str) -> ParseProblem:
    """An image no Dockerfile of the repository builds, and no command: what it runs is not in the tree."""
    message = (
        f"{named} runs image `{image or '(none)'}`, which no Dockerfile of this repository is known to build, with "
        "no command of its own: its processes are not counted"
    )
    return ParseProblem(where, message, skipped=True, help=_LINK_HELP, drops=True)


def report_unbuilt(facts) -> None:
    """After lint.py links published images (a workflow's or a script's `docker build -t`): a service whose image is
    now linked runs in its Dockerfile's folder (the usual build context); one whose image is still not linked is
    reported, and its declaration dropped (it runs nothing known)."""
    kept = []
    for decl in facts.node_processes:
        mine = getattr(decl, "runner", None) == "image" and decl.source.split(" ", 1)[0].endswith(".tf")
        if mine and decl.image and decl.dockerfile:
            kept.append(replace(decl, directory=posixpath.dirname(decl.dockerfile)))
        elif mine and decl.image:
            named = decl.source.split(" ", 1)[1] if " " in decl.source else decl.source
            facts.problems.append(_unbuilt(decl.location, named, decl.image))
        else:
            kept.append(decl)
    facts.node_processes[:] = kept


# --- Lambda -------------------------------------------------------------------------------------------------------


def _lambda(root: Path, block, resolver, data: list) -> list[FunctionDecl]:
    directory = _lambda_code(data, resolver, block)
    if directory is None:
        return []
    runtime = resolver.value(block, block.body.attributes.get("runtime"))
    text = str(runtime.value).lower() if isinstance(runtime, Known) else ""
    handler = resolver.value(block, block.body.attributes.get("handler"))
    environment = _first(block.body, "environment")
    variables = environment.attributes.get("variables") if environment is not None else None
    env = _env_map(root, resolver, block, variables, f"{block.address} environment")
    name = resolver.value(block, block.body.attributes.get("function_name"))
    return [
        FunctionDecl(
            platform="AWS Lambda",
            name=str(name.value) if isinstance(name, Known) else block.name,
            location=block.location,
            source=f"{block.path} {block.address}",
            directory=directory,
            runtime="node" if text.startswith("nodejs") else "python" if text.startswith("python") else "",
            concurrency=_reserved(resolver, block),
            handler=str(handler.value) if isinstance(handler, Known) else None,
            env=env,
        )
    ]


def _reserved(resolver, block) -> Known | Default | Unknown:
    """`reserved_concurrent_executions` ≥ 0 caps the function; -1 (the provider's default) or unset does not."""
    attr = block.body.attributes.get("reserved_concurrent_executions")
    value = resolver.value(block, attr)
    number = value.value if isinstance(value, Known) else None
    if isinstance(number, int) and not isinstance(number, bool) and number >= 0:
        return Known(number, value.location, f"{block.address} reserved_concurrent_executions")
    if isinstance(value, Unknown):
        return value
    return Default(math.inf, attr.location if attr is not None else block.location, _LAMBDA_UNCAPPED)


def _lambda_code(data: list, resolver, block) -> str | None:
    """The folder whose code the function runs: the `source_dir` (or `source_file`'s folder) of the
    `data.archive_file` its `filename` names. A built zip, an S3 object or a container image is reported."""
    attr = block.body.attributes.get("filename")
    archive = _ARCHIVE.search(str(attr.value)) if attr is not None else None
    found = next((b for b in data if archive and b.name == archive.group(1) and b.module == block.module), None)
    if found is not None:
        for key in ("source_dir", "source_file"):
            written = found.body.attributes.get(key)
            text = _PATH_MODULE.sub("", _raw(written)) if written is not None else ""
            if text and "${" not in text:
                folder = posixpath.normpath(posixpath.join(block.module or ".", text))
                folder = posixpath.dirname(folder) if key == "source_file" else folder
                if not folder.startswith(".."):
                    return "" if folder == "." else folder
    what = next((key for key in ("filename", "s3_bucket", "image_uri") if key in block.body.attributes), "its package")
    message = (
        f"{block.address} deploys {what} `{_raw(block.body.attributes.get(what)) or '?'}`, whose source folder "
        "is not in this module: the function's code and pools are not linked"
    )
    resolver.skip(
        (block.body.attributes.get(what) or block.body).location,
        message,
        'build the zip with a data "archive_file" whose source_dir is in the repository',
    )
    return None


#: resource type → reader of one block (Lambda functions are serverless function facts: `_lambda`)
_READERS = {
    "google_cloud_run_v2_service": _cloud_run_v2,
    "google_cloud_run_service": _cloud_run_v1,
    "aws_ecs_service": _ecs,
    "aws_apprunner_service": _app_runner,
    "azurerm_container_app": _container_apps,
}
