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
