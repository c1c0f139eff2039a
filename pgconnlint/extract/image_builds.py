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
    """`ghcr.io/org/api:master` → `ghcr.io/org/api`: the name without its tag or digest."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def is_workflow(path: str) -> bool:
    return bool(_WORKFLOWS.match(path))


def from_workflow(documents: list) -> dict[str, str]:
    """image repository → Dockerfile, from every build-push-action step of a workflow."""
    built: dict[str, str] = {}
    jobs = documents[0].get("jobs") if documents and isinstance(documents[0], Obj) else None
    for job in jobs.entries.values() if isinstance(jobs, Obj) else ():
        steps = job.get("steps") if isinstance(job, Obj) else None
        for step in steps.items if isinstance(steps, Arr) else ():
            uses = _text(step.get("uses")) if isinstance(step, Obj) else ""
            if not uses.startswith("docker/build-push-action"):
                continue
            context = _text(step.get("with.context")) or "."
            context = "." if "${{" in context else context
            file = _text(step.get("with.file")) or posixpath.join(context, "Dockerfile")
            for tag in re.split(r"[\s,]+", _text(step.get("with.tags"))):
                if tag and "${{" not in tag:
                    built.setdefault(repository(tag), posixpath.normpath(file))
    return built


def from_script(text: str) -> dict[str, str]:
    """image repository → Dockerfile, from `docker build -t NAME -f FILE CONTEXT` lines."""
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
            if "$" not in tag:
                built.setdefault(repository(tag), posixpath.normpath(file or posixpath.join(context, "Dockerfile")))
    return built


def _text(value) -> str:
    return str(value.value) if isinstance(value, Lit) and value.value is not None else ""
