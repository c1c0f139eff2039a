"""A process that loads modules by a computed `import()` counts the pools of the source tree that module lies in (not
the package's bin/ scripts), and a pool whose host comes from the caller (an integration connecting to a user's own
database) is said, not counted against the deployment's server."""

from __future__ import annotations

import json

from conftest import keys

KNEXFILE = "module.exports = { client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 20 } };\n"
DATABASE = "import knex from 'knex';\nimport config from '../../knexfile.js';\nexport const db = knex(config);\n"
LOADER = (
    "import { db } from '../config/database.js';\nimport { pathToFileURL } from 'url';\n"
    "export async function load(appPath) { return (await import(pathToFileURL(appPath))).default; }\n"
)
INTEGRATION = (
    "import knex from 'knex';\nconst getClient = ($) => {\n  const client = knex({ client: 'pg', connection: "
    "{ host: $.auth.data.host, user: $.auth.data.user } });\n  return client;\n};\nexport default getClient;\n"
)
SCRIPT = "import pg from 'pg';\nconst client = new pg.Client({ host: 'localhost' });\nexport default client;\n"


def files() -> dict[str, str]:
    return {
        "package.json": json.dumps({"name": "backend", "type": "module", "scripts": {"start": "node src/server.js"}}),
        "knexfile.js": KNEXFILE,
        "src/server.js": "import { load } from './helpers/load.js';\nload(process.argv[2]);\n",
        "src/config/database.js": DATABASE,
        "src/helpers/load.js": LOADER,
        "src/apps/postgresql/client.js": INTEGRATION,
        "bin/database/client.js": SCRIPT,
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: node src/server.js\n"
        "  db:\n    image: postgres:16\n",
    }


def test_a_computed_import_counts_the_pools_of_its_source_tree_only(lint_tree):
    result = lint_tree(files())
    [budget] = [b for b in result.budgets if b.terms]
    assert [(term.pool.label, term.pool_max) for term in budget.terms] == [
        ("knex(…) in src/config/database.js with knexfile.js", 20)
    ]
    messages = [f.message for f in result.findings if f.code == "PGC002"]
    assert any("every pool under src/, where that module lies, is counted" in m for m in messages)


def test_a_pool_whose_host_the_caller_passes_is_said_and_not_counted(lint_tree):
    result = lint_tree(files())
    assert ("PGC002", "src/apps/postgresql/client.js", 3) in keys(result)
    [finding] = [f for f in result.findings if f.location.path == "src/apps/postgresql/client.js"]
    assert "connects to the host its caller passes in `$`" in finding.message
