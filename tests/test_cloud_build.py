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
