"""An image-only compose service runs the Dockerfile a workflow builds for it, also when the workflow names the image
through docker/metadata-action's `images:` and a strategy matrix (`ghcr.io/org/${{ matrix.image }}`)."""

from __future__ import annotations

import json

WORKFLOW = """name: docker
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        include:
          - file: Dockerfile
            image: app
          - file: Dockerfile.migrate
            image: app-migrate
    steps:
      - uses: actions/checkout@v4
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: |
            ghcr.io/acme/${{ matrix.image }}
          tags: type=raw,value=latest
      - run: |
          zx scripts/build.mjs --file=docker/${{ matrix.file }} --tag="${{ steps.meta.outputs.tags }}"
"""


def test_a_matrix_workflow_with_metadata_images_links_the_service_to_its_dockerfile(lint_tree):
    files = {
        "package.json": json.dumps({"name": "api", "dependencies": {"pg": "^8"}}),
        "src/main.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 9, connectionTimeoutMillis: 5000 });\n",
        "docker/Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node", "src/main.js"]\n',
        "docker/Dockerfile.migrate": 'FROM node:20\nCMD ["node", "migrate.js"]\n',
        ".github/workflows/docker.yml": WORKFLOW,
        "deploy/docker-compose.yml": "services:\n  api:\n    image: ghcr.io/acme/app:latest\n    deploy:\n"
        "      replicas: 2\n  db:\n    image: postgres:16\n",
    }
    result = lint_tree(files)
    [budget] = [b for b in result.budgets if b.terms]
    [term] = budget.terms
    assert (term.processes, term.pool_max, budget.total) == (2, 9, 18)


PUSH = """on: push
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - id: meta
        uses: docker/metadata-action@v5
        with:
          images: ${{ vars.DOCKER_REPOSITORY || 'acme/app' }}
      - uses: docker/build-push-action@v6
        with:
          context: .
          tags: ${{ steps.meta.outputs.tags }}
"""


def test_a_metadata_image_with_a_fallback_and_a_docker_hub_prefix_is_the_same_image(lint_tree):
    """`images: ${{ vars.DOCKER_REPOSITORY || 'acme/app' }}` publishes acme/app unless the variable is set, and the
    compose file pulls it as `docker.io/acme/app:latest`: Docker Hub's prefix names the same image."""
    files = {
        "package.json": json.dumps({"name": "api", "dependencies": {"pg": "^8"}}),
        "src/main.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 7, connectionTimeoutMillis: 5000 });\n",
        "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["node", "src/main.js"]\n',
        ".github/workflows/publish.yml": PUSH,
        "docker/docker-compose.yml": "services:\n  api:\n    image: docker.io/acme/app:latest\n    deploy:\n"
        "      replicas: 3\n  db:\n    image: docker.io/library/postgres:16\n",
    }
    result = lint_tree(files)
    [budget] = [b for b in result.budgets if b.terms]
    [term] = budget.terms
    assert (term.processes, term.pool_max, budget.total) == (3, 7, 21)


def test_image_repository_names():
    from pgconnlint.extract.image_builds import repository

    assert repository("docker.io/acme/app:1") == repository("acme/app") == "acme/app"
    assert repository("docker.io/library/postgres:16") == repository("postgres") == "postgres"
    assert repository("ghcr.io/acme/app@sha256:0") == "ghcr.io/acme/app"
