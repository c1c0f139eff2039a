"""Which Dockerfile builds an image the repository publishes: GitHub workflow steps of docker/build-push-action
(`tags:` with `file:` and `context:`), and `docker build -t NAME [-f FILE] CONTEXT` lines in scripts. A compose
service that only names `image: ghcr.io/org/api:master` then runs that Dockerfile's command."""

from __future__ import annotations

import posixpath
import re
import shlex

from pgconnlint.expr import Arr, Lit, Obj

_WORKFLOWS = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_DOCKER_BUILD = re.compile(r"\b(?:docker|podman)\s+(?:image\s+)?(?:build|buildx\s+build)\b[^\n]*")


def repository(image: str) -> str:
    """`ghcr.io/org/api:master` → `ghcr.io/org/api`: the name without its tag or digest; Docker Hub's own spellings
    of one name are one (`docker.io/org/app` and `index.docker.io/org/app` are `org/app`, `library/x` is `x`)."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    name = f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]
    name = _DOCKER_HUB.sub("", name)
    return name.removeprefix("library/") if name.count("/") == 1 else name


_DOCKER_HUB = re.compile(r"^(?:(?:index|registry-1)\.)?docker\.io/")


def is_workflow(path: str) -> bool:
    return bool(_WORKFLOWS.match(path))


def from_workflow(documents: list) -> dict[str, str]:
    """image repository → Dockerfile, from each job of a workflow, once per `strategy.matrix.include` entry with
    `${{ matrix.X }}` replaced: the tags of docker/build-push-action steps, or the `images:` of a
    docker/metadata-action step whose tags a later step builds with `file:`, `--file=` or `-f`."""
    built: dict[str, str] = {}
    jobs = documents[0].get("jobs") if documents and isinstance(documents[0], Obj) else None
    for job in jobs.entries.values() if isinstance(jobs, Obj) else ():
        steps = job.get("steps") if isinstance(job, Obj) else None
        for matrix in _matrix_entries(job) if isinstance(steps, Arr) else ():
            for image, file in _job_builds(steps, matrix):
                built.setdefault(repository(image), posixpath.normpath(file))
    return built


def _matrix_entries(job: Obj) -> list[dict[str, str]]:
    include = job.get("strategy.matrix.include")
    entries = [
        {key: _text(value) for key, value in item.entries.items()}
        for item in (include.items if isinstance(include, Arr) else ())
        if isinstance(item, Obj)
    ]
    return entries or [{}]


def _job_builds(steps: Arr, matrix: dict[str, str]) -> list[tuple[str, str]]:
    def text(value) -> str:
        written = _MATRIX.sub(lambda m: matrix.get(m.group(1), m.group(0)), _text(value))
        return _FALLBACK.sub(lambda m: m.group(1), written)

    found, images, files = [], [], []
    for step in steps.items:
        uses = text(step.get("uses")) if isinstance(step, Obj) else ""
        if uses.startswith("docker/metadata-action"):
            images += [line.split(",")[0].strip() for line in text(step.get("with.images")).splitlines()]
        elif uses.startswith("docker/build-push-action"):
            context = text(step.get("with.context")) or "."
            context = "." if "${{" in context else context
            file = text(step.get("with.file")) or posixpath.join(context, "Dockerfile")
            files.append(file)
            found += [(tag, file) for tag in re.split(r"[\s,]+", text(step.get("with.tags"))) if tag]
        elif isinstance(step, Obj):
            files += [m.group(1) for m in _FILE_FLAG.finditer(text(step.get("run")))]
    if len(set(files)) == 1:
        found += [(image, files[0]) for image in images if image]
    return [(image, file) for image, file in found if "${{" not in image and "${{" not in file and image]


_MATRIX = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")
#: `${{ vars.DOCKER_REPOSITORY || 'org/app' }}`: the literal the expression falls back to when the variable is unset
_FALLBACK = re.compile(r"\$\{\{[^}]*\|\|\s*'([^']*)'\s*\}\}")
_FILE_FLAG = re.compile(r"(?:--file[= ]|\s-f\s+)([^\s\\'\"]+)")


def is_cloud_build(path: str) -> bool:
    return path.rpartition("/")[2].lower() in ("cloudbuild.yaml", "cloudbuild.yml")


def from_cloud_build(documents: list, contexts: dict[str, str] | None = None) -> dict[str, str]:
    """image repository → Dockerfile, from Google Cloud Build steps running the docker builder with `build`."""
    steps = documents[0].get("steps") if documents and isinstance(documents[0], Obj) else None
    lines = []
    for step in steps.items if isinstance(steps, Arr) else ():
        args = step.get("args") if isinstance(step, Obj) else None
        words = [_text(item) for item in args.items] if isinstance(args, Arr) else []
        if _text(step.get("name")).endswith("/docker") and words[:1] == ["build"]:
            lines.append(shlex.join(["docker", *words]))
    return from_script("\n".join(lines), contexts)


def from_script(text: str, contexts: dict[str, str] | None = None) -> dict[str, str]:
    """image repository → Dockerfile, from `docker build -t NAME -f FILE CONTEXT` lines; `contexts` receives
    image repository → CONTEXT ("" for the root), which the Dockerfile's COPY sources are relative to."""
    built: dict[str, str] = {}
    for match in _DOCKER_BUILD.finditer(text.replace("\\\n", " ")):
        try:
            words = shlex.split(match.group(0), comments=True)
        except ValueError:
            continue
        tags, file, context, index = [], None, ".", 2
        while index < len(words):
            word = words[index]
            if word in ("-t", "--tag") and index + 1 < len(words):
                tags.append(words[index + 1])
                index += 1
            elif word in ("-f", "--file") and index + 1 < len(words):
                file = words[index + 1]
                index += 1
            elif not word.startswith("-"):
                context = word
            index += 1
        for tag in tags:
            if "$" not in repository(tag):  # `org/app:$TAG_NAME` still names the repository
                built.setdefault(repository(tag), posixpath.normpath(file or posixpath.join(context, "Dockerfile")))
                if contexts is not None:
                    contexts.setdefault(repository(tag), posixpath.normpath(context).removeprefix("."))
    return built


def _text(value) -> str:
    return str(value.value) if isinstance(value, Lit) and value.value is not None else ""
