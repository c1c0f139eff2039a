#!/usr/bin/env bash
# Prepares what the end-to-end tests (tests/e2e/, marker `e2e`) run: the Python web stack in the project's
# .venv (the `e2e` extra: gunicorn, Flask, SQLAlchemy, psycopg) and, where node and npm exist, pm2, TypeORM and
# node-postgres from the npm registry in tests/e2e/node_cache/. .ci/run calls it before the README's test command,
# which re-runs `python3 -m venv .venv` (harmless on an existing venv) and installs `.[test]` beside it.
# Without node/npm the Node scenarios skip and say why; everything else here is required.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q -e '.[e2e]'

# Pinned: the versions whose behaviour tests/e2e/README.md records.
NODE_PACKAGES=(pm2@7.0.4 typeorm@0.3.31 pg@8.23.1)
if command -v node >/dev/null && command -v npm >/dev/null; then
  mkdir -p tests/e2e/node_cache
  npm install --prefix tests/e2e/node_cache --no-audit --no-fund --prefer-offline --loglevel=error "${NODE_PACKAGES[@]}"
else
  echo "tests/e2e/prepare.sh: node/npm not found; the Node end-to-end scenarios will be skipped" >&2
fi
