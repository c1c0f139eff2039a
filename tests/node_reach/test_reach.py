"""Pools counted where the process reaches them (issue 15): the repository's JS/TS import graph from each Node
process's entry (pgconnlint/reach_node.py). Tests, seeds and scripts drop out because nothing deployed imports
them; a workspace library counts once per process that imports it; what cannot be followed is said (PGC002)."""

from __future__ import annotations

import json

import pytest
from conftest import keys

PG = "import { Pool } from 'pg';\nexport const pool = new Pool({ max: 7, connectionTimeoutMillis: 5000 });\n"
TEST_POOL = "import { Pool } from 'pg';\nconst pool = new Pool({ max: 50, connectionTimeoutMillis: 5000 });\n"


def package(name: str = "api", **fields) -> str:
    return json.dumps({"name": name, "dependencies": {"pg": "^8.11.0"}, **fields})


def terms(result) -> list[tuple[str, int | None, float | None]]:
    return sorted(
        (term.pool.label.split(" in ")[-1], term.processes, term.pool_max)
        for budget in result.budgets
        for term in budget.terms
    )


def test_tests_and_seeds_are_not_counted_for_the_deployed_process(lint_tree):
    files = {
        "package.json": package(scripts={"start": "node dist/main.js"}),
        "tsconfig.json": '{ // comments and trailing commas, as tsc allows\n "compilerOptions": { "outDir": "./dist", "rootDir": "./src", },\n}',
        "src/main.ts": "import { pool } from './db';\nconsole.log(pool);\n",
        "src/db.ts": PG,
        "src/db.spec.ts": TEST_POOL,
        "prisma/seed.ts": TEST_POOL,
        "Dockerfile": 'FROM node:20\nCMD ["node", "dist/main.js"]\n',
        "docker-compose.yml": "services:\n  api:\n    build: .\n    deploy:\n      replicas: 3\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("src/db.ts", 3, 7)]


def test_a_workspace_library_counts_once_per_process_that_imports_it(lint_tree):
    files = {
        "package.json": json.dumps({"name": "root", "workspaces": ["apps/*", "packages/*"]}),
        "packages/db/package.json": package("@acme/db", main="dist/index.js"),
        "packages/db/tsconfig.json": '{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}',
        "packages/db/src/index.ts": PG,
        "packages/db/src/index.test.ts": TEST_POOL,
        "apps/api/package.json": package("api"),
        "apps/api/server.js": "const { pool } = require('@acme/db');\n",
        "apps/worker/package.json": package("worker"),
        "apps/worker/worker.mjs": "import { pool } from '@acme/db';\n",
        "docker-compose.yml": (
            "services:\n  api:\n    build: apps/api\n    command: node server.js\n    deploy:\n      replicas: 2\n"
            "  worker:\n    build: apps/worker\n    command: node worker.mjs\n    deploy:\n      replicas: 2\n"
        ),
    }
    result = lint_tree(files)
    assert terms(result) == [("packages/db/src/index.ts", 2, 7), ("packages/db/src/index.ts", 2, 7)]
    assert sum(budget.total for budget in result.budgets) == 28


def test_tsconfig_paths_and_index_files_are_followed(lint_tree):
    files = {
        "package.json": package(scripts={"start": "node build/server.js"}),
        "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["src/*"]}, "outDir": "build"}}',
        "src/server.ts": "import db from '@/database';\n",
        "src/database/index.ts": "export { pool as default } from './pool';\n",
        "src/database/pool.ts": PG,
        "scripts/backfill.ts": TEST_POOL,
        "Procfile": "web: npm start\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("src/database/pool.ts", 1, 7)]


def test_an_entry_that_is_not_in_the_repository_counts_the_package_and_says_so(lint_tree):
    files = {
        "package.json": package(),
        "db.js": PG,
        "test/db.test.js": TEST_POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: node /srv/elsewhere.js\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert sorted(pool for pool, _, _ in terms(result)) == ["db.js", "test/db.test.js"]
    assert ("PGC002", "docker-compose.yml", 4) in keys(result)


def test_a_dynamic_import_that_could_reach_a_pool_falls_back_and_says_so(lint_tree):
    files = {
        "package.json": package(scripts={"start": "node main.js"}),
        "main.js": "const name = process.argv[2];\nrequire(name);\n",
        "plugins/db.js": PG,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: npm start\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("plugins/db.js", 2, 7)]
    problem = next(f for f in result.findings if f.code == "PGC002")
    assert "main.js:2" in problem.message


def test_a_package_no_deployed_process_reaches_is_not_counted_and_is_named(lint_tree):
    files = {
        "package.json": package(scripts={"start": "node main.js"}),
        "main.js": "require('./db');\n",
        "db.js": PG,
        "e2e/package.json": package("e2e"),
        "e2e/setup.js": TEST_POOL,
        "Procfile": "web: npm start\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("db.js", 1, 7)]
    skipped = [f for f in result.findings if f.code == "PGC002"]
    assert [f.location.path for f in skipped] == ["e2e/setup.js"]


def test_next_start_serves_the_pages_and_app_routes(lint_tree):
    files = {
        "package.json": json.dumps(
            {"name": "web", "dependencies": {"next": "15", "pg": "8"}, "scripts": {"start": "next start"}}
        ),
        "app/api/users/route.ts": "import { pool } from '../../../lib/db';\n",
        "lib/db.ts": PG,
        "lib/db.test.ts": TEST_POOL,
        "docker-compose.yml": "services:\n  web:\n    build: .\n    command: npm start\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("lib/db.ts", 2, 7)]


@pytest.mark.parametrize(
    ("script", "command"),
    [("nuxt dev", "npm run dev"), ("nuxi start", "npm start"), ("nuxt build", "node .output/server/index.mjs")],
)
def test_nuxt_serves_its_nitro_server_directory(lint_tree, script, command):
    files = {
        "package.json": json.dumps(
            {"name": "web", "dependencies": {"nuxt": "4", "pg": "8"}, "scripts": {"dev": script, "start": script}}
        ),
        "server/api/users.get.ts": "import { pool } from '../utils/db';\n",
        "server/utils/db.ts": PG,
        "scripts/db.test.ts": TEST_POOL,
        "docker-compose.yml": f"services:\n  web:\n    build: .\n    command: {command}\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("server/utils/db.ts", 2, 7)]


def test_nest_build_output_maps_back_to_src(lint_tree):
    files = {
        "package.json": package(scripts={"start:prod": "node dist/main"}),
        "nest-cli.json": '{"sourceRoot": "src"}',
        "src/main.ts": "import { AppModule } from './app.module';\n",
        "src/app.module.ts": "import { DbModule } from './db/db.module';\n",
        "src/db/db.module.ts": PG,
        "test/app.e2e-spec.ts": TEST_POOL,
        "Dockerfile": 'FROM node:20\nCMD ["npm", "run", "start:prod"]\n',
        "docker-compose.yml": "services:\n  api:\n    build: .\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("src/db/db.module.ts", 2, 7)]


def test_a_template_import_reaches_the_code_of_its_folder_only(lint_tree):
    files = {
        "package.json": package(scripts={"start": "node main.js"}),
        "main.js": "const name = process.argv[2];\nrequire(`./plugins/${name}.js`);\nimport(`./locales/${name}.json`);\n",
        "plugins/db.js": PG,
        "scripts/seed.js": TEST_POOL,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: npm start\n    scale: 2\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("plugins/db.js", 2, 7)]
    assert not [f for f in result.findings if f.code == "PGC002" and "main.js" in f.message]


def test_a_plugin_loader_over_a_computed_folder_reaches_that_folder_only(lint_tree):
    """A job runner that requires every module of a folder it computes in the function
    (`const jobsPath = path.join(__dirname, 'jobs')`, then `require(\\`${jobsPath}/${job}\\`)` over `readdirSync`):
    the modules of that folder, not the package as a whole. Before, the import was "cannot be told statically" and
    the web server's pool was counted in the job process too (pm2 `job` app: +1 × 7)."""
    loader = (
        "import fs from 'fs';\nimport path from 'path';\n\nexport function load() {\n"
        "  const jobsPath = path.join(__dirname, 'jobs');\n"
        "  return fs.readdirSync(jobsPath).map((job) => require(`${jobsPath}/${job}`).default);\n}\n"
    )
    files = {
        "package.json": package(),
        "ecosystem.config.js": "module.exports = [\n  { name: 'api', script: './src/server.js' },\n"
        "  { name: 'job', script: './src/worker/run.js' },\n]\n",
        "src/server.ts": "import { pool } from './db';\nconsole.log(pool);\n",
        "src/db.ts": PG,
        "src/worker/run.ts": "import { load } from './queues';\nload();\n",
        "src/worker/queues.ts": loader,
        "src/worker/jobs/mail.ts": "export default { name: 'mail' };\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("src/db.ts", 1, 7)]
    assert not [f for f in result.findings if f.code == "PGC002"]


def test_a_bare_specifier_resolves_through_the_process_node_path(lint_tree):
    # `require('infra/db')` with NODE_PATH=. in the pm2 app's env: Node looks the folder up from the working directory
    files = {
        "package.json": package(scripts={"start": "pm2 start --no-daemon"}),
        "ecosystem.config.js": (
            "module.exports = { apps: [ { name: 'api', script: 'index.js', instances: 2,\n"
            "  env: { NODE_PATH: '.' } } ] };\n"
        ),
        "index.js": "const db = require('app');\ndb.start();\n",
        "app/index.js": "const { pool } = require('infra/db');\nmodule.exports = { start: () => pool.connect() };\n",
        "infra/db/index.js": PG.replace("import { Pool } from 'pg';", "const { Pool } = require('pg');").replace(
            "export const pool", "const pool"
        )
        + "module.exports = { pool };\n",
        "tests/db.test.js": TEST_POOL,
    }
    result = lint_tree(files)
    assert terms(result) == [("infra/db/index.js", 2, 7)]


def test_a_bare_specifier_naming_a_repository_module_without_node_path_is_said_not_dropped(lint_tree):
    # no NODE_PATH in sight (set by a wrapper script, a bundler alias): the module is the repository's, but how Node
    # finds it is not followed; counted package-wide and said, never silently 0. `cron` (an undeclared transitive
    # package) and `path` (a built-in) beside a folder of that name are not the repository's modules.
    files = {
        "package.json": package(scripts={"start": "node index.js"}),
        "Dockerfile": 'FROM node:20\nCMD ["npm", "start"]\n',
        "index.js": "const cron = require('cron');\nconst path = require('path');\nrequire('infra/db');\n",
        "infra/db/index.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 7 });\n",
        "cron/readme.md": "not code\n",
        "path/index.js": "module.exports = {};\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("infra/db/index.js", 1, 7)]
    [said] = [f for f in result.findings if f.code == "PGC002"]
    assert "`infra/db` (index.js:3) names no dependency but a module of the repository" in said.message


def test_a_module_path_handed_to_a_loader_outside_the_repository_is_said_not_dropped(lint_tree):
    # the entry names its plugin list by path and a package of node_modules loads it (a plugin loader): the models
    # and their pool are reached only through code the walk cannot read. Counted package-wide and said, not 0.
    files = {
        "package.json": package(scripts={"start": "node bin/start.js"}),
        "Dockerfile": 'FROM node:20\nCMD ["npm", "start"]\n',
        "bin/start.js": (
            "const path = require('path');\nconst loader = require('plugin-loader');\n"
            "const CONFIG = process.env.CONFIG || path.resolve(__dirname, '../config/plugins.js');\nloader.start(CONFIG);\n"
        ),
        "config/plugins.js": "module.exports = [{ path: 'models' }];\n",
        "models/user.js": "const db = require('../lib/db');\nmodule.exports = { all: () => db.query('select 1') };\n",
        "lib/db.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 8 });\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("lib/db.js", 1, 8)]
    [said] = [f for f in result.findings if f.code == "PGC002"]
    assert "bin/start.js:3 names the module config/plugins.js without importing it" in said.message


def test_paths_to_assets_folders_or_required_modules_leave_unreached_pools_out(lint_tree):
    # a static folder, a page, and a module the entry also requires are no hidden loading: the seed script's pool
    # stays out, as before, and nothing is said
    files = {
        "package.json": package(scripts={"start": "node index.js"}),
        "Dockerfile": 'FROM node:20\nCMD ["npm", "start"]\n',
        "index.js": (
            "const path = require('path');\nconst express = require('express');\nconst db = require('./db');\n"
            "const app = express();\napp.use(express.static(path.join(__dirname, 'public')));\n"
            "app.get('/', (q, r) => r.sendFile(path.join(__dirname, 'public/index.html')));\n"
            "const again = require(path.join(__dirname, 'db.js'));\n"
        ),
        "public/index.html": "<p>hi</p>\n",
        "public/app.js": "console.log(1);\n",
        "db.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 4 });\n",
        "scripts/seed.js": "const { Pool } = require('pg');\nconst pool = new Pool({ max: 20 });\n",
    }
    result = lint_tree(files)
    assert terms(result) == [("db.js", 1, 4)]
    assert not [f for f in result.findings if f.code == "PGC002"]
