"""Node processes started from entrypoint shell scripts (extract/follow_node.py): a Dockerfile ENTRYPOINT or a compose
`entrypoint:` naming a script, chains of scripts, `if [ -n "$WORKER" ]` dispatch with each service's environment,
`cd` before `yarn start`, background jobs, `#!/usr/bin/env node` programs, and scripts the repository lacks."""

from __future__ import annotations

import json

from pgconnlint.extract.node_commands import parse
from pgconnlint.model import Location

KNEX = "const knex = require('knex');\nmodule.exports = knex({ client: 'pg', pool: { min: 0, max: 20 } });\n"
POOL = "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 7, connectionTimeoutMillis: 5000 });\n"


def package(name: str, scripts: dict, dependencies: dict | None = None) -> str:
    return json.dumps({"name": name, "scripts": scripts, "dependencies": dependencies or {"pg": "^8"}}, indent=2)


def terms(result) -> list[tuple[str, int | None, int | None]]:
    return sorted((t.group.name, t.processes, t.pool_max) for b in result.budgets for t in b.terms)


def test_a_script_is_a_placeholder_with_its_arguments():
    [decl] = parse(["docker-entrypoint.sh", "node", "server.js"], Location("Dockerfile", 4), "x", "dockerfile", "")
    assert (decl.runner, decl.script, decl.args) == ("script", "docker-entrypoint.sh", ("node", "server.js"))
    [decl] = parse("sh /entrypoint.sh web", Location("Dockerfile", 4), "x", "dockerfile", "")
    assert (decl.runner, decl.script, decl.args) == ("script", "/entrypoint.sh", ("web",))


WORKER_TREE = {
    "docker-compose.yml": (
        "services:\n"
        "  main:\n    build:\n      context: ./docker\n      dockerfile: Dockerfile.compose\n"
        "    entrypoint: /compose-entrypoint.sh\n"
        "  worker:\n    build:\n      context: ./docker\n      dockerfile: Dockerfile.compose\n"
        "    entrypoint: /compose-entrypoint.sh\n    environment:\n      - WORKER=true\n"
        "  postgres:\n    image: postgres:16\n"
    ),
    "docker/Dockerfile.compose": (
        "FROM example/app:latest\nWORKDIR /app\nCOPY ./compose-entrypoint.sh /compose-entrypoint.sh\n"
        'ENTRYPOINT ["sh", "/compose-entrypoint.sh"]\n'
    ),
    "docker/compose-entrypoint.sh": "#!/bin/sh\nset -e\nexport $(grep -v '^#' /app/.env | xargs)\nsh /entrypoint.sh\n",
    "docker/Dockerfile": 'FROM node:22\nWORKDIR /app\nCOPY . /app\nCOPY ./docker/entrypoint.sh /entrypoint.sh\nENTRYPOINT ["sh", "/entrypoint.sh"]\n',
    "docker/entrypoint.sh": (
        "#!/bin/sh\nset -e\ncd packages/backend\n"
        'if [ -n "$WORKER" ]; then\n  yarn start:worker\nelse\n  yarn db:migrate\n  yarn start\nfi\n'
    ),
    "packages/backend/package.json": package(
        "backend",
        {"start": "node src/server.js", "start:worker": "node src/worker.js", "db:migrate": "knex migrate:latest"},
        {"knex": "^2.5.1", "pg": "^8"},
    ),
    "packages/backend/src/db.js": KNEX,
    "packages/backend/src/server.js": "require('./db');\n",
    "packages/backend/src/worker.js": "require('./db');\n",
}


def test_compose_entrypoint_chain_dispatches_on_each_services_environment(lint_tree):
    result = lint_tree(WORKER_TREE)
    [budget] = result.budgets
    assert budget.total == 40
    names = sorted(term.group.name for term in budget.terms)
    assert names == [
        "docker-compose.yml service main → docker/compose-entrypoint.sh:4 → docker/entrypoint.sh:8 → "
        "packages/backend/package.json scripts.start: node src/server.js",
        "docker-compose.yml service worker → docker/compose-entrypoint.sh:4 → docker/entrypoint.sh:5 → "
        "packages/backend/package.json scripts.start:worker: node src/worker.js",
    ]


START_TREE = {
    "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY scripts/start.sh ./scripts/start.sh\nENTRYPOINT ["scripts/start.sh"]\n',
    "scripts/start.sh": "#!/bin/bash\n\nnode ./apps/backend/dist/index.js &\nnode ./plugins/server.js &\nwait -n\n",
    "apps/backend/package.json": package("backend", {"build": "tsc"}),
    "apps/backend/src/index.ts": "import './db';\n",
    "apps/backend/src/db.ts": POOL,
    "plugins/package.json": package("plugins", {"build": "next build"}, {"next": "^14"}),
    "docker-compose.yml": "services:\n  app:\n    build: .\n    deploy:\n      replicas: 2\n  db:\n    image: postgres:15\n",
}


def test_background_jobs_of_a_start_script_are_processes_and_one_without_a_database_adds_nothing(lint_tree):
    result = lint_tree(START_TREE)
    assert terms(result) == [
        (
            "docker-compose.yml service app (Dockerfile ENTRYPOINT) → scripts/start.sh:3: node ./apps/backend/dist/index.js",
            2,
            7,
        )
    ]
    assert result.budgets[0].total == 14


def test_an_entrypoint_the_repository_lacks_runs_its_arguments(lint_tree):
    files = {
        "package.json": package("api", {}),
        "Dockerfile": 'FROM node:20\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["node", "src/main.js"]\n',
        "src/main.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    scale: 3\n",
    }
    assert [(processes, pool) for _, processes, pool in terms(lint_tree(files))] == [(3, 7)]


def test_a_script_with_a_node_shebang_is_a_node_program(lint_tree):
    files = {
        "package.json": package("api", {}),
        "bin/www": "#!/usr/bin/env node\nrequire('../src/db');\n",
        "src/db.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: ./bin/www\n    scale: 2\n",
    }
    assert terms(lint_tree(files)) == [("docker-compose.yml service api: node bin/www", 2, 7)]


def test_one_off_steps_of_an_entrypoint_start_nothing(lint_tree):
    files = {
        "package.json": package("api", {"seed": "node src/seed.js"}),
        "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["./entrypoint.sh"]\n',
        "entrypoint.sh": "#!/bin/sh\nnpm run seed\nnpx tsx ./src/seed.js\nexec node src/main.js\n",
        "src/main.js": "require('./db');\n",
        "src/seed.js": "require('./db');\n",
        "src/db.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    scale: 2\n",
    }
    assert [(processes, pool) for _, processes, pool in terms(lint_tree(files))] == [(2, 7)]


def test_jsconfig_paths_resolve_like_tsconfig_paths(lint_tree):
    files = {
        "package.json": package("api", {"start": "node src/server.js"}),
        "jsconfig.json": '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/config/*": ["src/config/*"] } } }',
        "src/server.js": "import db from '@/config/db.js';\n",
        "src/config/db.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: npm start\n    scale: 2\n",
    }
    assert [(processes, pool) for _, processes, pool in terms(lint_tree(files))] == [(2, 7)]


def test_an_import_after_a_long_module_body_is_still_followed(lint_tree):
    body = "".join(f"export function f{i}() {{ return {i}; }}\n" for i in range(300))
    files = {
        "package.json": package("api", {"start": "node src/server.js"}),
        "src/server.js": "import './routes.js';\n" + body + "const late = require(\n  './db.js'\n);\n" + body,
        "src/routes.js": "export const routes = [];\n",
        "src/db.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: npm start\n    scale: 2\n",
    }
    assert [(processes, pool) for _, processes, pool in terms(lint_tree(files))] == [(2, 7)]


def test_a_script_copied_from_an_earlier_stage_of_a_dockerfile_built_from_the_root_is_followed(lint_tree):
    dockerfile = (
        "FROM node:20 AS installer\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
        "FROM node:20 AS runner\nWORKDIR /home/node\n"
        "COPY --from=installer /app/apps/api/scripts/run.sh /home/node/start.sh\n"
        'CMD ["/home/node/start.sh"]\n'
    )
    files = {
        "apps/api/package.json": package("api", {}),
        "apps/api/Dockerfile": dockerfile,
        "apps/api/scripts/run.sh": "#!/bin/sh\nexec node apps/api/src/main.js\n",
        "apps/api/src/main.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: .\n      dockerfile: apps/api/Dockerfile\n"
        "    scale: 3\n",
    }
    result = lint_tree(files)
    assert [(processes, pool) for _, processes, pool in terms(result)] == [(3, 7)]
    assert not [f for f in result.findings if f.code == "PGC002" and "start.sh" in f.message]


def test_build_output_copied_from_a_builder_stage_is_mapped_back_to_its_source(lint_tree):
    """Nx-style image: the builder lays out the repository in /srv (`COPY ./package.json package.json`), builds to
    /srv/dist/apps, and the final stage copies that output to /srv/apps and runs `node main` in /srv/apps/api: the
    process is apps/api/src/main.ts, which reaches its pool; the seed script beside it is not counted."""
    dockerfile = (
        "FROM node:22 AS builder\nWORKDIR /srv\nCOPY ./package.json package.json\nCOPY ./apps apps/\n"
        "COPY ./prisma prisma/\nRUN npm run build\n\n"
        "FROM node:22\nCOPY --from=builder /srv/dist/apps /srv/apps/\nCOPY ./docker/entrypoint.sh /srv/\n"
        'WORKDIR /srv/apps/api\nCMD ["/srv/entrypoint.sh"]\n'
    )
    files = {
        "Dockerfile": dockerfile,
        "docker/entrypoint.sh": "#!/bin/sh\nset -e\nnpx prisma migrate deploy\nnode prisma/seed.js\nexec node main\n",
        "package.json": package("suite", {"build": "nx build api"}),
        "apps/api/src/main.ts": "import { pool } from './db';\nconsole.log(pool);\n",
        "apps/api/src/db.ts": "import { Pool } from 'pg';\nexport const pool = new Pool({ max: 6, connectionTimeoutMillis: 5000 });\n",
        "prisma/seed.js": "const { Pool } = require('pg');\nnew Pool({ max: 9, connectionTimeoutMillis: 5000 });\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n  db:\n    image: postgres:16\n",
    }
    result = lint_tree(files)
    assert [(processes, pool) for _, processes, pool in terms(result)] == [(1, 6)]
    assert not [f for f in result.findings if f.code == "PGC002"]


def test_an_image_only_service_nothing_builds_with_a_url_of_the_files_server_is_said(lint_tree):
    """`image: ghcr.io/acme/app:latest` with no command and `DATABASE_URL: postgresql://…@db/app`, while no Dockerfile,
    workflow or script of the repository is known to build that image: a PGC002 naming the service and the host, not
    silence; a service whose URL points elsewhere (`localhost`) says nothing."""
    compose = (
        "services:\n  app:\n    image: ghcr.io/acme/app:latest\n    environment:\n"
        "      DATABASE_URL: postgresql://app:secret@db:5432/app\n"
        "  tool:\n    image: vendor/tool:1\n    environment:\n      DATABASE_URL: postgres://u:p@localhost/x\n"
        "  db:\n    image: postgres:16\n"
    )
    files = {"docker-compose.yml": compose, "package.json": package("app", {"start": "node server.js"})}
    result = lint_tree({**files, "server.js": POOL})
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "service app" in finding.message and "DATABASE_URL (host db)" in finding.message
    assert "secret" not in finding.message


def test_the_one_node_process_a_compose_service_runs_is_named_as_run(lint_tree):
    """A compose service built from a folder whose Dockerfile CMD is `nodemon index.js`: one process, said as the
    command the service runs, not as "no process manager runs it" (which read as an unfollowed deployment)."""
    files = {
        "docker-compose.yml": "services:\n  backend:\n    build:\n      context: ./backend\n"
        "  db:\n    image: postgres:16\n",
        "backend/Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD [ "nodemon", "index.js"]\n',
        "backend/package.json": '{"name": "backend", "dependencies": {"sequelize": "^6", "pg": "^8"}}',
        "backend/index.js": "const db = require('./db');\n",
        "backend/db.js": "const Sequelize = require('sequelize');\n"
        "module.exports = new Sequelize('postgres://u@db/app', { dialect: 'postgres' });\n",
    }
    [budget] = lint_tree(files).budgets
    [term] = budget.terms
    assert (term.processes, term.pool_max, budget.total) == (1, 5, 5)
    why = term.group.processes.why
    assert "index.js" in why and "docker-compose.yml service backend" in why and "no process manager" not in why


def test_a_program_of_a_dependency_run_through_yarn_is_said_not_dropped(lint_tree):
    """`yarn coko-server start` in a compose service, where `coko-server` is no script of the package: yarn runs the
    program a dependency installs in node_modules/.bin, which the repository does not hold. Before, the service's
    processes vanished without a word; now a PGC002 names the program and the package.json it is not a script of."""
    files = {
        "docker-compose.yml": "services:\n  server:\n    build: ./server\n    command: ['yarn', 'coko-server', 'start']\n"
        "  db:\n    image: postgres:16\n",
        "server/Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY . .\n",
        "server/package.json": package("server", {"test": "jest"}),
        "server/db.js": POOL,
    }
    result = lint_tree(files)
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "`coko-server`" in finding.message and "server/package.json" in finding.message
    assert finding.location.path == "docker-compose.yml"


def test_npm_start_without_a_start_script_runs_server_js(lint_tree):
    """npm's documented default: `npm start` in a package with no start script runs `node server.js` when the
    package holds one."""
    files = {
        "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n',
        "package.json": package("api", {"test": "jest"}),
        "server.js": "const pool = require('./db');\n",
        "db.js": POOL,
    }
    result = lint_tree(files)
    assert terms(result) == [("api", 1, 7)] and not [f for f in result.findings if f.code == "PGC002"]
    why = result.budgets[0].terms[0].group.processes.why
    assert "node server.js" in why and "Dockerfile CMD" in why and "no process manager" not in why


def test_an_image_only_container_runs_the_dockerfile_of_the_package_named_as_its_image(lint_tree):
    """A Kubernetes Deployment of `image: acme/todo-backend:latest`, 2 replicas, no command, and no workflow that
    builds it: the package.json named `todo-backend` (in app/backend, a folder of another name) holds the Dockerfile
    that builds it, so its pods run that Dockerfile's CMD. Before, the container was dropped without a word and the
    Dockerfile counted once on its own (1 × 7 instead of 2 × 7). (A compose `image:` service still needs a build of
    the image in the repository: tests/test_cloud_build.py.)"""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: todo-backend\nspec:\n  replicas: 2\n"
        "  template:\n    spec:\n      containers:\n        - name: todo-backend\n"
        "          image: acme/todo-backend:latest\n          env:\n            - name: PG_HOST\n"
        '              value: "postgres"\n'
    )
    postgres = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: postgres\nspec:\n  template:\n    spec:\n"
        "      containers:\n        - name: postgres\n          image: postgres:16\n"
    )
    files = {
        "k8s/backend.yaml": deployment,
        "k8s/postgres.yaml": postgres,
        "app/backend/Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n',
        "app/backend/package.json": package("todo-backend", {"start": "node server.js"}),
        "app/backend/server.js": "const pool = require('./db');\n",
        "app/backend/db.js": POOL,
    }
    [budget] = lint_tree(files).budgets
    [term] = budget.terms
    assert (term.processes, term.pool_max, budget.total) == (2, 7, 14)
    assert "the package todo-backend" in term.group.name


def test_nest_start_runs_the_compiled_entry_and_only_what_it_reaches(lint_tree):
    """`CMD ["npm", "run", "start:prod"]` with `"start:prod": "nest start --prod"`: the Nest CLI runs dist/main.js,
    whose source src/main.ts reaches the app's pool and not the seed script's. Before, `nest start` started nothing
    the linker knew: the package was counted as a whole (seed included) as "no process manager runs it"."""
    files = {
        "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["npm", "run", "start:prod"]\n',
        "package.json": package("api", {"start:prod": "nest start --prod"}),
        "tsconfig.json": json.dumps({"compilerOptions": {"outDir": "./dist"}}),
        "src/main.ts": "import { pool } from './db';\nconsole.log(pool);\n",
        "src/db.ts": POOL.replace("const { Pool } = require('pg');", "import { Pool } from 'pg';").replace(
            "module.exports =", "export const pool ="
        ),
        "prisma/seed.ts": "import { Pool } from 'pg';\nconst seed = new Pool({ max: 30 });\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("api", 1, 7)]
    why = result.budgets[0].terms[0].group.processes.why
    assert "dist/main.js" in why and "no process manager" not in why


def test_an_image_only_container_nothing_builds_with_a_host_of_the_manifests_server_is_said(lint_tree):
    """The same Deployment when no package names itself as the image: its pods cannot be counted, and since
    `PG_HOST: postgres` names the Service of the manifests' PostgreSQL server, that is a PGC002, not silence."""
    deployment = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n"
        "  template:\n    spec:\n      containers:\n        - name: api\n          image: acme/api:latest\n"
        "          env:\n            - name: PG_HOST\n              value: postgres\n"
    )
    postgres = (
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: postgres\nspec:\n  template:\n"
        "    metadata:\n      labels:\n        app: postgres\n    spec:\n"
        "      containers:\n        - name: postgres\n          image: postgres:16\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: postgres\nspec:\n  selector:\n    app: postgres\n"
    )
    result = lint_tree({"k8s/api.yaml": deployment, "k8s/postgres.yaml": postgres})
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "acme/api:latest" in finding.message and "PG_HOST (host postgres)" in finding.message
    elsewhere = lint_tree(
        {"k8s/api.yaml": deployment.replace("value: postgres", "value: db.example.com"), "k8s/postgres.yaml": postgres}
    )
    assert not [f for f in elsewhere.findings if f.code == "PGC002"]


def test_npm_start_with_no_start_script_nor_server_js_is_said(lint_tree):
    files = {
        "Dockerfile": 'FROM node:20\nWORKDIR /app\nCOPY . .\nCMD ["npm", "start"]\n',
        "package.json": package("api", {"test": "jest"}),
        "main.js": "const pool = require('./db');\n",
        "db.js": POOL,
    }
    [finding] = [f for f in lint_tree(files).findings if f.code == "PGC002"]
    assert "`start`, which is no script of package.json: npm finds no server.js" in finding.message
