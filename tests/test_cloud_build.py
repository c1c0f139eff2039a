"""An image-only compose service runs the Dockerfile a Google Cloud Build file builds (`cloudbuild.yaml`, the docker
builder's `build -t NAME -f FILE CONTEXT` step), as it does for a workflow or a script (extract/image_builds.py)."""

from __future__ import annotations

from test_deployments import NODE_APP, PUBLISHED

CLOUD_BUILD = """steps:
  - name: gcr.io/cloud-builders/docker
    args: ["build", "-t", "ghcr.io/acme/api:$TAG_NAME", "-f", "Dockerfile", "."]
images:
  - ghcr.io/acme/api:$TAG_NAME
"""


def test_an_image_only_service_runs_the_dockerfile_cloud_build_builds(lint_tree):
    result = lint_tree({**NODE_APP, "docker-compose.yml": PUBLISHED, "cloudbuild.yaml": CLOUD_BUILD})
    [budget] = result.budgets
    assert [(term.group.name, term.processes) for term in budget.terms] == [
        ("docker-compose.yml service api (Dockerfile CMD): pm2-runtime src/db.js", 3)
    ]
    assert budget.total == 21


def test_without_the_build_file_the_compose_service_runs_nothing_of_the_repository(lint_tree):
    [budget] = lint_tree({**NODE_APP, "docker-compose.yml": PUBLISHED}).budgets
    assert [term.group.name for term in budget.terms] == ["Dockerfile CMD: pm2-runtime src/db.js"]


def test_a_cloud_build_context_is_where_the_dockerfile_copies_the_entrypoint_from(lint_tree):
    """The Dockerfile sits in deploy/image/ but builds with the root as context (`-f deploy/image/Dockerfile .`):
    its COPY of the entrypoint script is relative to the root, and `command: web` is that script's argument."""
    from test_deployments import DB, ENGINE

    entrypoint = '#!/bin/bash\nif [ "$1" = "web" ]; then\n  gunicorn -w 3 app:app\nfi\n'
    dockerfile = 'FROM python:3.12\nCOPY deploy/image/entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n'
    build = CLOUD_BUILD.replace('"-f", "Dockerfile"', '"-f", "deploy/image/Dockerfile"')
    compose = "services:\n  web:\n    image: ghcr.io/acme/api:latest\n    command: web\n" + DB
    files = {"deploy/image/cloudbuild.yaml": build, "deploy/image/Dockerfile": dockerfile, "app.py": ENGINE}
    files |= {"deploy/image/entrypoint.sh": entrypoint, "deploy/release/docker-compose.yml": compose}
    result = lint_tree({**files, "other/entrypoint.sh": "#!/bin/sh\nexec sleep infinity\n", "requirements.txt": "x\n"})
    assert [(g.name.split(" → ")[0], g.manager, g.processes.value) for g in result.project.groups] == [
        ("deploy/release/docker-compose.yml service web", "gunicorn sync", 3)
    ]
