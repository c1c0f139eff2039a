"""Helm charts: rendered with `helm template` when helm is on PATH and read as manifests (extract/kubernetes.py);
otherwise read by the `helm create` conventions of values.yaml (`replicaCount`, `autoscaling.enabled`,
`autoscaling.maxReplicas`, `image.repository`), at the top or under a component key (`deployment.image`), with a
note that the templates were not rendered; a vendored PostgreSQL subchart is the chart's server
(docs/deployments.md "Helm charts read without helm").

Rendering runs helm, a program, on the chart: only on charts inside the tree, without network (a chart whose
dependencies are not vendored in charts/ is skipped, never fetched), with a clean HOME and plugin folder, a time
limit and a bounded output. docs/kubernetes.md says how each number is counted.
"""

from __future__ import annotations

import math
import os
import posixpath
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from pgconnlint.discover import MAX_FILE_BYTES, read_text
from pgconnlint.expr import Arr, Lit, Obj
from pgconnlint.extract import kubernetes, pgconf, yamlsource
from pgconnlint.extract.follow import _Follower
from pgconnlint.extract.postgres_command import is_postgres_image
from pgconnlint.model import Default, Known, Location, ParseProblem, ServerCommand

HELM_TIMEOUT_SECONDS = 20
NOT_RENDERED_HELP = (
    "install helm where pgconnlint runs so that the chart is rendered (`helm-values` names its values files), "
    "or silence PGC002 for this Chart.yaml in per-file-ignores"
)
MAX_RENDERED_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HelmChart:
    path: str  #: the Chart.yaml
    folder: str
    name: str
    rendered: bool  #: `helm template` ran and its documents were read as manifests
    values_files: tuple[str, ...] = ()

    @property
    def location(self) -> Location:
        return Location(self.path, 1)


def extract_chart(root: Path, path: str, facts, values_files: tuple[str, ...] = ()) -> None:
    """Render the chart when helm is on PATH (its manifests join the others for kubernetes.resolve); either way
    record the chart, so that `resolve` reads values.yaml when it was not rendered."""
    folder = posixpath.dirname(path)
    text = read_text(root, path)
    if isinstance(text, ParseProblem):
        facts.problems.append(text)
        return
    documents, problems = yamlsource.load(path, text)
    facts.problems.extend(problems)
    chart = documents[0] if documents and isinstance(documents[0], Obj) else Obj(Location(path, 1), "{…}")
    name = kubernetes.string_of(chart.get("name")) or posixpath.basename(folder) or "chart"
    helm = shutil.which("helm")
    rendered = False
    if helm is not None:
        rendered = _render(root, folder, chart, name, helm, values_files, facts)
    facts.deployment.append(HelmChart(path, folder, name, rendered, tuple(values_files)))


# --- the render path ---------------------------------------------------------------------------------------------


def _render(root: Path, folder: str, chart: Obj, name: str, helm: str, values_files, facts) -> bool:
    where = Location(posixpath.join(folder, "Chart.yaml"), 1)
    missing = _missing_dependencies(root, folder, chart)
    if missing:
        note = f"Helm chart {name}: dependencies {', '.join(missing)} are not in charts/; not rendered (no download)"
        facts.problems.append(ParseProblem(where, note, skipped=True))
        return False
    escaping = _link_out_of_tree(root, folder)
    if escaping is not None:
        note = f"Helm chart {name}: {escaping} links out of the repository; not rendered (helm would follow it)"
        facts.problems.append(ParseProblem(where, note, skipped=True))
        return False
    files = [f for f in values_files if _inside(root, f)]
    for outside in sorted(set(values_files) - set(files)):
        facts.problems.append(ParseProblem(where, f"values file {outside} is not a file of the tree; not used"))
    output, error = _run_helm(helm, root / (folder or "."), [root / f for f in files])
    if output is None:
        facts.problems.append(ParseProblem(where, f"Helm chart {name}: helm template failed: {error}", skipped=True))
        return False
    hints = _hints(root, folder, files)
    for source, text in _rendered_documents(output):
        path = posixpath.join(folder, source.split("/", 1)[1]) if "/" in source else posixpath.join(folder, source)
        found, problems = kubernetes.extract(path, text)
        facts.problems.extend(problems)
        for item in found:
            facts.deployment.append(replace(item, hints=hints) if isinstance(item, kubernetes.KubeWorkload) else item)
    return True


def _run_helm(helm: str, chart: Path, values: list[Path]) -> tuple[str | None, str]:
    """`helm template` with a throwaway HOME, cache and plugin folder and no proxy: nothing it could fetch from."""
    with tempfile.TemporaryDirectory(prefix="pgconnlint-helm-") as home:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "HELM_PLUGINS": os.path.join(home, "plugins")}
        env |= {f"HELM_{kind}_HOME": os.path.join(home, kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")}
        command = [helm, "template", "pgconnlint", str(chart)] + [arg for v in values for arg in ("-f", str(v))]
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=home
            )
        except OSError as error:
            return None, str(error)
        chunks: list[bytes] = []
        reader = threading.Thread(target=_read_bounded, args=(process, chunks), daemon=True)
        reader.start()
        try:
            process.wait(timeout=HELM_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None, f"no output within {HELM_TIMEOUT_SECONDS} s"
        reader.join(timeout=5)
        stderr = process.stderr.read(4096).decode("utf-8", "replace") if process.stderr else ""
        output = b"".join(chunks)
        if len(output) > MAX_RENDERED_BYTES:
            return None, f"more than {MAX_RENDERED_BYTES // (1024 * 1024)} MiB of manifests"
        if process.returncode != 0:
            return None, (stderr.strip().splitlines() or [f"exit status {process.returncode}"])[-1]
        return output.decode("utf-8", "replace"), ""


def _read_bounded(process: subprocess.Popen, chunks: list[bytes]) -> None:
    """Read helm's output up to the bound, then stop it: a chart cannot make pgconnlint hold gigabytes."""
    size = 0
    while chunk := process.stdout.read(65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RENDERED_BYTES:
            process.kill()
            return


def _rendered_documents(output: str) -> list[tuple[str, str]]:
    """helm's stream: each document follows `---` and a `# Source: <chart>/templates/<file>` comment."""
    found: list[tuple[str, str]] = []
    for chunk in output.split("\n---"):
        lines = chunk.lstrip("-\n").split("\n")
        source = next((line.split(":", 1)[1].strip() for line in lines[:3] if line.startswith("# Source:")), None)
        if source is not None and "\x00" not in source and ".." not in source.split("/"):
            found.append((source, "\n".join(lines)))
    return found


def _missing_dependencies(root: Path, folder: str, chart: Obj) -> list[str]:
    """Dependencies from a repository that are not vendored in charts/ (a folder or a .tgz): helm would need the
    network (or fail), so the chart is not rendered. `file://` dependencies are part of the tree."""
    missing = []
    dependencies = chart.get("dependencies")
    for item in dependencies.items if isinstance(dependencies, Arr) else ():
        name = kubernetes.string_of(item.get("name")) if isinstance(item, Obj) else None
        repository = (kubernetes.string_of(item.get("repository")) or "") if isinstance(item, Obj) else ""
        if not name or repository.startswith("file://"):
            continue
        charts = root / (folder or ".") / "charts"
        if not (charts / name).is_dir() and not any(charts.glob(f"{name}-*.tgz")):
            missing.append(name)
    return missing


def _link_out_of_tree(root: Path, folder: str, limit: int = 10_000) -> str | None:
    """A symbolic link in the chart whose target is outside the tree: helm reads through links (`.Files.Get`,
    templates, sub-charts), which would let a chart copy any file of the CI machine into its output."""
    top = os.path.realpath(root)
    seen = 0
    for current, folders, files in os.walk(root / (folder or "."), followlinks=False):
        for name in folders + files:
            seen += 1
            full = os.path.join(current, name)
            if os.path.islink(full) and not Path(os.path.realpath(full)).is_relative_to(top):
                return Path(full).relative_to(root).as_posix()
            if seen > limit:
                return f"{folder or '.'} (more than {limit} files, not inspected)"
    return None


def _inside(root: Path, path: str) -> bool:
    real = Path(os.path.realpath(root / path))
    return real.is_file() and real.is_relative_to(os.path.realpath(root))


# --- values.yaml: the numbers it sets ----------------------------------------------------------------------------


def _values(root: Path, folder: str, values_files) -> tuple[Obj | None, list[ParseProblem]]:
    """The chart's values.yaml, then each configured values file over it (helm's `-f` order: later wins)."""
    merged, problems = None, []
    for path in [posixpath.join(folder, "values.yaml"), *values_files]:
        if not (root / path).is_file():
            continue
        text = read_text(root, path)
        if isinstance(text, ParseProblem):
            problems.append(text)
            continue
        documents, found = yamlsource.load(path, text)
        problems += found
        if documents and isinstance(documents[0], Obj):
            merged = _merge(merged, documents[0])
    return merged, problems


def _merge(base: Obj | None, over: Obj) -> Obj:
    if base is None:
        return over
    entries, keys = dict(base.entries), dict(base.key_locations)
    for key, value in over.entries.items():
        earlier = entries.get(key)
        entries[key] = _merge(earlier, value) if isinstance(earlier, Obj) and isinstance(value, Obj) else value
        keys[key] = over.key_location(key)
    return Obj(base.location, base.text, entries, keys)


def _hints(root: Path, folder: str, values_files) -> tuple[tuple[str, Known], ...]:
    """values.yaml numbers the rendered manifests may carry: a rendered `replicas` (or HPA `maxReplicas`) equal to
    the value `replicaCount` (`autoscaling.maxReplicas`) sets is taken to come from it (docs/kubernetes.md)."""
    values, _ = _values(root, folder, values_files)
    found = []
    for manifest_key, values_key in (("replicas", "replicaCount"), ("maxReplicas", "autoscaling.maxReplicas")):
        known = _number(values, values_key)
        if known is not None:
            found.append((manifest_key, known))
    return tuple(found)


def _number(values: Obj | None, key: str) -> Known | None:
    written = values.get(key) if values is not None else None
    value = written.value if isinstance(written, Lit) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Known(value, written.location, f"values {key}")
    return None


# --- resolve: charts that were not rendered ------------------------------------------------------------------------


def resolve(root: Path, facts) -> None:
    charts = [item for item in facts.deployment if isinstance(item, HelmChart)]
    facts.deployment[:] = [item for item in facts.deployment if not isinstance(item, HelmChart)]
    folders = {chart.folder for chart in charts}
    for chart in charts:
        if not chart.rendered and not _vendored(chart.folder, folders):
            _from_values(root, chart, facts)


def _vendored(folder: str, charts: set[str]) -> bool:
    """A dependency vendored in another chart's charts/ folder: read as part of that chart (`_subchart_servers`)."""
    parent, _, _ = folder.rpartition("/charts/")
    return bool(parent) and parent in charts


def _from_values(root: Path, chart: HelmChart, facts) -> None:
    """The `helm create` conventions, at the top of values.yaml or under a component key (`deployment.image`,
    `worker.image`): each component's image runs its CMD in `replicaCount` (`replicas`) pods, or in up to
    `autoscaling.maxReplicas` when `autoscaling.enabled`; the surge is Kubernetes' default unless the chart's
    deployment template mentions a strategy (then it cannot be told without rendering). Images the repository does
    not build (a third-party component) run nothing of it."""
    why = "helm is not on PATH" if shutil.which("helm") is None else "helm template did not render it"
    note = f"Helm chart {chart.name}: templates not rendered ({why}); replicas read from values.yaml"
    facts.problems.append(ParseProblem(chart.location, note, skipped=True, help=NOT_RENDERED_HELP))
    values, problems = _values(root, chart.folder, chart.values_files)
    facts.problems.extend(problems)
    if values is None:
        return
    before = len(facts.node_processes)
    follower = None
    for key, component in _components(values):
        repository = kubernetes.string_of(component.get("image.repository")) or ""
        directory, how = (kubernetes.project_directory(root, repository) if repository else ""), ""
        if not directory and _names_chart(repository, chart.name):
            follower = follower or _Follower(root, facts)
            directory, how = _only_dockerfile(follower, repository)
        if not directory and key == "" and (root / chart.name / "Dockerfile").is_file():
            directory = chart.name  # the chart named after the folder it deploys
        main = key == "" or _names_chart(repository, chart.name)
        replicas = _replicas(component, values if main else None)
        extra = {"replicas": replicas, "env": (), "surge": _surge(root, chart, replicas), "cpu_limit": _cpu(component)}
        image = component.get("image")
        where = image.location if isinstance(image, Obj) else component.location
        at = f"values.yaml {key}" if key else "values.yaml"
        source = f"{chart.path} chart {chart.name} ({at}, not rendered)" + (f" ({how})" if how else "")
        kubernetes.image_processes(root, directory, where, source, extra, facts)
    if len(facts.node_processes) > before:  # a chart that runs nothing of the repository: its database is not ours
        _subchart_servers(root, chart, values, facts)


def _components(values: Obj) -> list[tuple[str, Obj]]:
    """The values' own image (`image.repository` at the top), then each top-level key holding one (`deployment`,
    `worker`) that is not switched off (`enabled: false`)."""
    found = [("", values)] if isinstance(values.get("image.repository"), Lit) else []
    for key, value in values.entries.items():
        if not isinstance(value, Obj) or not isinstance(value.get("image.repository"), Lit):
            continue
        enabled = value.get("enabled")
        if not (isinstance(enabled, Lit) and enabled.value is False):
            found.append((key, value))
    return found


def _names_chart(repository: str, chart: str) -> bool:
    """The chart's own component: its image is named after the chart (`ghcr.io/acme/shop` in chart shop)."""
    name = repository.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    return bool(repository) and name == chart


def _only_dockerfile(follower: _Follower, repository: str) -> tuple[str, str]:
    """The image the chart is named after, built by no folder of that name: the repository's Dockerfile, when it
    holds only one (said so in the source)."""
    found = follower.by_name().get("Dockerfile", [])
    if len(found) != 1:
        return "", ""
    directory = posixpath.dirname(found[0])
    return directory, f"{repository} taken to be built from {found[0]}, the repository's only Dockerfile"


def _replicas(component: Obj, chart: Obj | None = None) -> Known | None:
    """The component's own autoscaling maximum (when enabled) or replica count; for the chart's main component, the
    top-level `autoscaling` / `replicaCount` where it sets none of its own. The nearest `autoscaling.enabled`
    decides."""
    scopes = [component] + ([chart] if chart is not None and chart is not component else [])
    for values in scopes:
        enabled = values.get("autoscaling.enabled")
        if not isinstance(enabled, Lit):
            continue
        maximum = _number(values, "autoscaling.maxReplicas") if enabled.value is True else None
        if maximum is not None:
            return replace(maximum, via="values autoscaling.maxReplicas (autoscaling.enabled)")
        break
    for values in scopes:
        for key in ("replicaCount", "replicas"):
            found = _number(values, key)
            if found is not None:
                return found
    return None


# --- a vendored PostgreSQL subchart: the chart's own server ------------------------------------------------------

MAX_SUBCHART_BYTES = 10 * 1024 * 1024  #: a vendored chart archive read beyond this is not a chart
_SERVER_ENV = {"POSTGRESQL_MAX_CONNECTIONS": "max_connections"}  #: bitnami/postgresql's variables


def _subchart_servers(root: Path, chart: HelmChart, values: Obj, facts) -> None:
    """A dependency that runs a PostgreSQL image (bitnami's `postgresql` chart, by its values' `image`), enabled by
    its condition: a server of the chart. Its settings are the subchart's own values.yaml (read from the vendored
    folder or .tgz, never rendered) under the parent's block for it: `primary.configuration` and
    `primary.extendedConfiguration` (postgresql.conf text) and `primary.extraEnvVars` (POSTGRESQL_MAX_CONNECTIONS)."""
    text = read_text(root, chart.path)
    documents = yamlsource.load(chart.path, text)[0] if isinstance(text, str) else []
    dependencies = documents[0].get("dependencies") if documents and isinstance(documents[0], Obj) else None
    for item in dependencies.items if isinstance(dependencies, Arr) else ():
        name = kubernetes.string_of(item.get("name")) if isinstance(item, Obj) else None
        if not name:
            continue
        alias = kubernetes.string_of(item.get("alias")) or name
        block = values.get(alias)
        block = block if isinstance(block, Obj) else Obj(values.location, "{}")
        enabled = block.get("enabled")
        if isinstance(enabled, Lit) and enabled.value is False:
            continue
        own, where = _subchart_values(root, chart.folder, name, facts)
        merged = _merge(own, block) if own is not None else block
        image = kubernetes.string_of(merged.get("image.repository")) or ""
        if not is_postgres_image(image or name):
            continue
        if own is None:
            note = f"Helm chart {chart.name}: the {name} subchart is not vendored in charts/; its server is not read"
            facts.problems.append(ParseProblem(item.location, note, skipped=True))
            continue
        tag = kubernetes.string_of(merged.get("image.tag"))
        hosts = tuple(h for h in (kubernetes.string_of(merged.get("fullnameOverride")), f"{chart.name}-{alias}") if h)
        settings = _server_settings(merged, where)
        source = f"{chart.path} chart {chart.name} subchart {alias} ({where})"
        at = block.location if block.location.path else chart.location
        facts.server_commands.append(
            ServerCommand(source, at, f"{image}:{tag}" if tag else image, settings, hosts=hosts)
        )


def _subchart_values(root: Path, folder: str, name: str, facts) -> tuple[Obj | None, str]:
    """The values.yaml of a vendored dependency: `charts/NAME/` or `charts/NAME-VERSION.tgz` (read with tarfile,
    one member, bounded); None when neither is there."""
    charts = posixpath.join(folder, "charts")
    plain = posixpath.join(charts, name, "values.yaml")
    if (root / plain).is_file():
        text = read_text(root, plain)
        return (_first_obj(plain, text), plain) if isinstance(text, str) else (None, plain)
    for archive in sorted((root / charts).glob(f"{name}-*.tgz")) if (root / charts).is_dir() else ():
        relative = archive.relative_to(root).as_posix()
        text = _member(archive, f"{name}/values.yaml")
        if text is None:
            facts.problems.append(ParseProblem(Location(relative, 1), f"{name}/values.yaml not read from it"))
            return None, relative
        return _first_obj(relative, text), f"{relative} {name}/values.yaml"
    return None, ""


def _member(archive: Path, member: str) -> str | None:
    import tarfile

    if archive.is_symlink() or archive.stat().st_size > MAX_SUBCHART_BYTES:
        return None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            info = tar.getmember(member)
            if not info.isfile() or info.size > MAX_FILE_BYTES:
                return None
            handle = tar.extractfile(info)
            return handle.read().decode("utf-8", "replace") if handle else None
    except (tarfile.TarError, KeyError, OSError, EOFError):
        return None


def _first_obj(path: str, text: str) -> Obj | None:
    documents, _ = yamlsource.load(path, text)
    return documents[0] if documents and isinstance(documents[0], Obj) else None


def _server_settings(values: Obj, where: str) -> tuple[tuple[str, Known], ...]:
    """postgresql.conf lines of `primary.configuration` + `primary.extendedConfiguration` (later wins), then the
    bitnami image's POSTGRESQL_MAX_CONNECTIONS in `primary.extraEnvVars`."""
    found: dict[str, Known] = {}
    for key in ("primary.configuration", "primary.extendedConfiguration"):
        written = values.get(key)
        if isinstance(written, Lit) and isinstance(written.value, str) and written.value.strip():
            config, _ = pgconf.from_text(where, written.location, written.value, written.location.line + 1)
            found |= {name: setting.value for name, setting in config.settings.items()}
    variables = values.get("primary.extraEnvVars")
    for item in variables.items if isinstance(variables, Arr) else ():
        name = kubernetes.string_of(item.get("name")) if isinstance(item, Obj) else None
        value = item.get("value") if isinstance(item, Obj) else None
        if name in _SERVER_ENV and isinstance(value, Lit) and str(value.value).isdigit():
            found[_SERVER_ENV[name]] = Known(int(value.value), value.location, f"primary.extraEnvVars {name}")
    return tuple(found.items())


def _surge(root: Path, chart: HelmChart, replicas: Known | None) -> Default | None:
    template = posixpath.join(chart.folder, "templates", "deployment.yaml")
    text = read_text(root, template) if (root / template).is_file() else None
    if not isinstance(text, str) or "strategy" in text:
        return None
    count = replicas.value if replicas is not None else 1
    why = (
        f"Kubernetes default maxSurge {kubernetes.DEFAULT_MAX_SURGE_PERCENT}% of {count} replicas, rounded up "
        f"(pkg/apis/apps/v1/defaults.go); {template} sets no strategy"
    )
    return Default(math.ceil(kubernetes.DEFAULT_MAX_SURGE_PERCENT * count / 100), Location(template, 1), why)


def _cpu(values: Obj) -> Known | None:
    return kubernetes.cpu_limit_of(values) if isinstance(values.get("resources"), Obj) else None
