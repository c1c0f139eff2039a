#!/usr/bin/env bash
# Prepares what the end-to-end tests (tests/e2e/, marker `e2e`) run: the Python web stack in the project's
# .venv (the `e2e` extra: gunicorn, Flask, SQLAlchemy, psycopg, Celery, FastAPI, uvicorn, Django, gevent) and, where
# node and npm exist, pm2, TypeORM, node-postgres and Prisma 7 with @prisma/adapter-pg from the npm registry in
# tests/e2e/node_cache/, with a Prisma client generated there once. .ci/run calls it before the README's test command,
# which re-runs `python3 -m venv .venv` (harmless on an existing venv) and installs `.[test]` beside it.
# Without node/npm the Node scenarios skip and say why; everything else here is required.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q -e '.[e2e]'

# Pinned: the versions whose behaviour tests/e2e/README.md records.
NODE_PACKAGES=(pm2@7.0.4 typeorm@0.3.31 pg@8.23.1 prisma@7.10.1 @prisma/client@7.10.1 @prisma/adapter-pg@7.10.1)
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p tests/e2e/node_cache
  npm install --prefix tests/e2e/node_cache --no-audit --no-fund --prefer-offline --loglevel=error "${NODE_PACKAGES[@]}"
  # The Prisma client, generated once into node_modules/.prisma/client (what `require("@prisma/client")` loads).
  # Prisma 7's client runs on the driver adapter and its WASM query compiler: no engine binary at run time. The CLI
  # still wants its schema engine before `generate`, which does not run it: pointing its documented variables at
  # /bin/false keeps it from downloading engines.
  mkdir -p tests/e2e/node_cache/prisma
  printf 'generator client {\n  provider = "prisma-client-js"\n}\n\ndatasource db {\n  provider = "postgresql"\n}\n' \
    > tests/e2e/node_cache/prisma/schema.prisma
  (cd tests/e2e/node_cache && PRISMA_SCHEMA_ENGINE_BINARY=/bin/false PRISMA_QUERY_ENGINE_LIBRARY=/bin/false \
    PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 node_modules/.bin/prisma generate --schema prisma/schema.prisma >/dev/null)
else
  echo "tests/e2e/prepare.sh: node/npm not found; the Node end-to-end scenarios will be skipped" >&2
fi
