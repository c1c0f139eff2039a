"""Node processes started outside a pm2 ecosystem file (issue 9): pm2/pm2-runtime flags, `node`, `concurrently`,
`npm-run-all`, in package.json scripts, Dockerfiles, compose services and Procfiles; and the workers an app forks
itself (cluster, throng). Each multiplies the pools of the package it runs."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, TEST_CPUS, keys

from pgconnlint.expr import evaluate
from pgconnlint.extract.node_commands import extract_forks, extract_scripts, parse
from pgconnlint.lint import LintOptions, lint
from pgconnlint.model import Location

WHERE = Location("Dockerfile", 3)
POOL = "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 10, connectionTimeoutMillis: 5000 });\n"
POOL_FROM_ENV = (
    "const { Pool } = require('pg');\n"
    "module.exports = new Pool({ max: parseInt(process.env.DB_POOL, 10), connectionTimeoutMillis: 5000 });\n"
)


def package(scripts: dict | None = None, name: str = "api") -> str:
    data: dict = {"name": name, "dependencies": {"pg": "^8.11.0"}}
    if scripts is not None:
        data["scripts"] = scripts
    return json.dumps(data, indent=2)


def processes(result) -> list[tuple[str, int | None]]:
    return [(term.group.name, term.processes) for term in result.budgets[0].terms]


def shape(decls) -> list[tuple]:
    return [(d.runner, d.script, d.npm_script, d.instances.text if d.instances else None, d.ecosystem) for d in decls]


# --- command forms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pm2 start app.js -i 4", [("pm2", "app.js", None, "4", False)]),
        ("pm2 start dist/main.js --name api -i max --no-daemon", [("pm2", "dist/main.js", None, "max", False)]),
        ("pm2 start server.js --instances=2", [("pm2", "server.js", None, "2", False)]),
        ("pm2 start server.js", [("pm2", "server.js", None, None, False)]),
        ("pm2-runtime ecosystem.config.js", [("pm2-runtime", "ecosystem.config.js", None, None, True)]),
        ("pm2-runtime start pm2.prod.json --env production", [("pm2-runtime", "pm2.prod.json", None, None, True)]),
        ("pm2-runtime start dist/main.js -i 4", [("pm2-runtime", "dist/main.js", None, "4", False)]),
        (
            "exec npx pm2-runtime start app.js -i $WEB_CONCURRENCY",
            [("pm2-runtime", "app.js", None, "$WEB_CONCURRENCY", False)],
        ),
        ("node -r dotenv/config dist/main.js", [("node", "dist/main.js", None, None, False)]),
        ("dumb-init node --max-old-space-size=512 server.js", [("node", "server.js", None, None, False)]),
        # the migration finishes before node starts: a one-off step, not a process (this case once expected both)
        ("npm run migrate && node dist/main.js", [("node", "dist/main.js", None, None, False)]),
        (
            "node seed.js ; node server.js & node worker.js",
            [("node", "server.js", None, None, False), ("node", "worker.js", None, None, False)],
        ),
        ("pm2 start app.js && pm2 logs", [("pm2", "app.js", None, None, False)]),
        ("npm-run-all check-db update-tracker start-server", [("npm-script", None, "start-server", None, False)]),
        ("run-s build start", [("npm-script", None, "start", None, False)]),
        (
            "npm-run-all clean --parallel web worker -- --port 3000",
            [("npm-script", None, "web", None, False), ("npm-script", None, "worker", None, False)],
        ),
        ("npm start", [("npm-script", None, "start", None, False)]),
        ("yarn start:prod", [("npm-script", None, "start:prod", None, False)]),
        (
            'concurrently -n api,jobs "node api/server.js" "npm:worker"',
            [("node", "api/server.js", None, None, False), ("npm-script", None, "worker", None, False)],
        ),
        (
            "npm-run-all --parallel web worker 'build:*'",
            [("npm-script", None, "web", None, False), ("npm-script", None, "worker", None, False)],
        ),
        ("run-p web worker", [("npm-script", None, "web", None, False), ("npm-script", None, "worker", None, False)]),
        ('sh -c "pm2-runtime start app.js -i 2"', [("pm2-runtime", "app.js", None, "2", False)]),
        (["pm2-runtime", "start", "dist/main.js", "-i", "max"], [("pm2-runtime", "dist/main.js", None, "max", False)]),
        # the Nest CLI runs the compiled entry (@nestjs/cli defaults), of the app named in a Nest monorepo
        ("nest start --prod", [("node", "dist/main.js", None, None, False)]),
        ("npx nest start --watch --entryFile server", [("node", "dist/server.js", None, None, False)]),
        ("nest start api -c nest-cli.json", [("node", "dist/apps/api/main.js", None, None, False)]),
    ],
)
def test_command_forms(command, expected):
    assert shape(parse(command, WHERE, "Dockerfile CMD", "dockerfile", "")) == expected


@pytest.mark.parametrize(
    "command",
    [
        "pm2 logs",
        "pm2 start",
        "pm2-runtime",
        "node",
        "node -e 'console.log(1)'",
        "concurrently",
        "npm",
        "npm install",
        "gunicorn app:app -w 4",
        # a shell syntax error and a flag without its value: pm2 refuses both; the reader still starts pm2 on them
        pytest.param('pm2 start "app.js -i 4', marks=pytest.mark.xfail(strict=True, reason="extract/node_commands.py")),
        pytest.param("pm2 start app.js -i", marks=pytest.mark.xfail(strict=True, reason="extract/node_commands.py")),
        "",
        "&& || ;",
        'sh -c "sh -c \\"sh -c \'sh -c \\\\\\"sh -c node x.js\\\\\\"\'\\""',
    ],
)
def test_odd_commands_start_nothing_and_never_raise(command):
    # what a user sees: none of these starts a Node process (the old assertion held for any list at all)
    assert parse(command, WHERE, "Dockerfile CMD", "dockerfile", "") == []


def test_instances_from_an_environment_variable_with_a_default():
    [decl] = parse("pm2-runtime start app.js -i ${INSTANCES:-3}", WHERE, "x", "dockerfile", "")
    assert evaluate(decl.instances, {}).value == 3


def test_package_json_scripts_are_facts_by_name_with_their_line():
    text = package({"build": "tsc", "start": "pm2 start dist/main.js -i 4", "dev": "nodemon src/main.ts"})
    decls, problems = extract_scripts("api/package.json", text)
    assert problems == []
    assert [(d.defined_as, d.runner, d.location.line, d.directory) for d in decls] == [
        ("start", "pm2", 8, "api"),
        ("dev", "node", 9, "api"),
    ]


@pytest.mark.parametrize(
    "text",
    ['{"scripts": ["pm2 start a.js"]}', '{"scripts": {"start": 4, "web": null}}', "[1, 2]", "{not json", '"x"', ""],
)
def test_unparseable_package_json_scripts_give_no_process(text):
    assert extract_scripts("package.json", text) == ([], [])


# --- the fixture -----------------------------------------------------------------------------------------------


def test_fixture_replicas_times_pm2_instances_times_pool():
    result = lint(FIXTURES / "node-docker-replicas", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    assert (budget.total, budget.server.usable) == (120, 97)
    assert keys(result) == [("PGC101", "docker-compose.yml", 13), ("PGC315", "docker-compose.yml", 13)]
    message = " ".join((result.findings[0].message, *result.findings[0].notes))
    assert "12 processes [4 [`-i 4`, Dockerfile:15] × 3 replicas [compose deploy.replicas, docker-compose.yml:7]]" in (
        message
    )
    assert "pool 10 [src/db.ts:6]" in message
    [group] = result.project.groups
    assert group.manager == "pm2-runtime cluster mode"


# --- linking -------------------------------------------------------------------------------------------------


def test_package_json_start_script_with_pm2_instances(lint_tree):
    result = lint_tree({"package.json": package({"start": "pm2 start src/main.js -i 4"}), "src/db.js": POOL})
    assert processes(result) == [("package.json scripts.start: pm2 src/main.js", 4)]


def test_pm2_max_follows_the_cpus_and_is_reported_as_cpu_dependent(lint_tree):
    result = lint_tree({"package.json": package({"start": "pm2-runtime start src/main.js -i max"}), "src/db.js": POOL})
    assert processes(result)[0][1] == TEST_CPUS
    assert result.project.groups[0].cpu_dependent
    assert ("PGC301", "package.json", 7) in keys(result)  # the script's line


def test_procfile_web_process(lint_tree):
    files = {"package.json": package(), "Procfile": "web: pm2-runtime start app.js -i 3\n", "db.js": POOL}
    result = lint_tree(files)
    assert processes(result) == [("Procfile (web): pm2-runtime app.js", 3)]
    assert result.project.groups[0].location == Location("Procfile", 1, 6)


def test_compose_node_command_is_one_process_per_replica(lint_tree):
    compose = "services:\n  api:\n    build: .\n    command: node dist/main.js\n    scale: 2\n"
    result = lint_tree({"package.json": package(), "docker-compose.yml": compose, "src/db.js": POOL})
    assert processes(result) == [("docker-compose.yml service api: node dist/main.js", 2)]


def test_plain_node_without_replicas_stays_counted_as_one(lint_tree):
    files = {"package.json": package({"start": "node dist/main.js"}), "Dockerfile": 'CMD ["node", "dist/main.js"]\n'}
    result = lint_tree({**files, "src/db.js": POOL})
    assert processes(result) == [("api", 1)]


def test_compose_build_context_names_the_package_and_dockerfile_env_is_used(lint_tree):
    files = {
        "api/package.json": package({"start:prod": "pm2-runtime start dist/main.js -i 2"}),
        "api/Dockerfile": 'FROM node:20\nENV DB_POOL=5\nCMD ["npm", "run", "start:prod"]\n',
        "api/src/db.js": POOL_FROM_ENV,
        "worker/package.json": package(name="worker"),
        "worker/index.js": POOL,
        "docker-compose.yml": "services:\n  api:\n    build:\n      context: ./api\n    deploy:\n      replicas: 3\n",
    }
    result = lint_tree(files)
    assert sorted(processes(result)) == [
        (
            "docker-compose.yml service api (api/Dockerfile CMD) → api/package.json scripts.start:prod: pm2-runtime "
            "dist/main.js",
            6,
        ),
        ("worker", 1),
    ]
    api = next(term for term in result.budgets[0].terms if term.processes == 6)
    assert api.pool_max == 5
    assert api.group.location == Location("api/package.json", 7)


def test_compose_environment_sets_the_instances(lint_tree):
    compose = (
        "services:\n  api:\n    build: .\n    command: pm2-runtime start app.js -i $WEB_CONCURRENCY\n"
        "    environment:\n      WEB_CONCURRENCY: '5'\n"
    )
    result = lint_tree({"package.json": package(), "docker-compose.yml": compose, "app.js": POOL})
    assert processes(result)[0][1] == 5


def test_ecosystem_file_named_by_pm2_runtime_is_not_counted_twice(lint_tree):
    files = {
        "package.json": package({"start": "pm2 start dist/main.js -i 16"}),
        "ecosystem.config.js": "module.exports = { apps: [{ name: 'api', script: 'dist/main.js', instances: 4 }] };\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n    command: pm2-runtime ecosystem.config.js\n"
        "    deploy:\n      replicas: 2\n",
        "src/db.js": POOL,
    }
    result = lint_tree(files)
    assert processes(result) == [("api", 8)]
    assert "× 2 replicas [compose deploy.replicas, docker-compose.yml:6]" in result.project.groups[0].processes.via


def test_ecosystem_file_not_in_the_tree_is_unknown(lint_tree):
    files = {"package.json": package({"start": "pm2-runtime pm2.prod.json"}), "src/db.js": POOL}
    result = lint_tree(files)
    assert processes(result) == [("package.json scripts.start: pm2-runtime pm2.prod.json", None)]


def test_concurrently_starts_one_group_per_package(lint_tree):
    files = {
        "package.json": json.dumps(
            {
                "name": "root",
                "scripts": {"start": 'concurrently "node api/server.js" "npm:jobs"', "jobs": "node jobs/run.js"},
            }
        ),
        "api/package.json": package(name="api"),
        "api/server.js": POOL,
        "jobs/package.json": package(name="jobs"),
        "jobs/run.js": POOL,
    }
    result = lint_tree(files)
    assert sorted(processes(result)) == [("api", 1), ("jobs", 1)]


def test_npm_run_all_starting_two_processes_of_one_package(lint_tree):
    scripts = {"start": "npm-run-all --parallel web worker", "web": "node web.js", "worker": "node worker.js"}
    result = lint_tree({"package.json": package(scripts), "db.js": POOL})
    assert [count for _, count in processes(result)] == [1, 1]
    assert result.budgets[0].total == 20


def test_cluster_fork_per_cpu(lint_tree):
    main = (
        "const cluster = require('node:cluster');\nconst os = require('os');\n"
        "if (cluster.isPrimary) {\n  for (let i = 0; i < os.cpus().length; i++) {\n    cluster.fork();\n  }\n"
        "} else {\n  require('./server');\n}\n"
    )
    result = lint_tree({"package.json": package(), "main.js": main, "db.js": POOL})
    assert processes(result) == [("api", TEST_CPUS)]
    assert result.project.groups[0].cpu_dependent
    assert ("PGC301", "main.js", 5) in keys(result)


def test_cluster_fork_times_docker_replicas(lint_tree):
    main = "import cluster from 'cluster';\nimport { availableParallelism } from 'os';\n"
    main += "for (let i = 0; i < availableParallelism(); i++) cluster.fork();\nrequire('./db');\n"
    compose = "services:\n  api:\n    build: .\n    command: node main.js\n    deploy:\n      replicas: 2\n"
    result = lint_tree({"package.json": package(), "main.js": main, "db.js": POOL, "docker-compose.yml": compose})
    assert processes(result)[0][1] == 2 * TEST_CPUS


CLUSTER_FROM_ENV_SERVICE = (
    "import cluster from 'node:cluster';\nimport { EnvService } from './env.service';\n"
    "export async function clusterize(app) {\n  const env = app.get(EnvService);\n"
    "  if (cluster.isPrimary) {\n    for (let i = 0; i < env.get('CLUSTER_WORKERS'); i++) {\n      cluster.fork();\n"
    "    }\n  } else {\n    require('./db');\n  }\n}\n"
)


def test_cluster_fork_per_cpu_capped_by_math_min(lint_tree):
    """`const numCPUs = Math.min(os.cpus().length, 4)` in the primary's block: as many workers as CPUs, at most 4.
    Before, the cap was not read and the count followed the CPUs (8 CPUs: 8 workers instead of 4)."""
    main = (
        "import cluster from 'cluster';\nimport os from 'os';\nif (cluster.isPrimary) {\n"
        "  const numCPUs = Math.min(os.cpus().length, 4);\n  for (let i = 0; i < numCPUs; i++) {\n"
        "    cluster.fork();\n  }\n} else {\n  require('./db');\n}\n"
    )
    files = {"package.json": package(), "main.js": main, "db.js": POOL}
    assert processes(lint_tree(files, cpus=8)) == [("api", 4)]
    assert processes(lint_tree(files, cpus=2)) == [("api", 2)]


def test_cluster_workers_from_an_env_service_read_in_each_services_environment(lint_tree):
    """`for (…; i < envService.get('CLUSTER_WORKERS'); …) cluster.fork()`: the count is the variable each container
    sets; a second service inherits the first's environment through a YAML merge key (`<<: *app`)."""
    compose = (
        "services:\n  app1: &app\n    build: .\n    command: node main.js\n    environment:\n"
        "      CLUSTER_WORKERS: 5\n  app2:\n    <<: *app\n    hostname: app2\n"
    )
    files = {"package.json": package(), "main.js": CLUSTER_FROM_ENV_SERVICE, "db.js": POOL}
    result = lint_tree({**files, "docker-compose.yml": compose})
    assert [count for _, count in processes(result)] == [5, 5]
    assert result.budgets[0].total == 100
    group = result.project.groups[0]
    assert "CLUSTER_WORKERS='5'" in group.processes.via and not group.cpu_dependent


def test_cluster_workers_from_an_unset_variable_are_unknown(lint_tree):
    result = lint_tree({"package.json": package(), "main.js": CLUSTER_FROM_ENV_SERVICE, "db.js": POOL})
    [finding] = [f for f in result.findings if f.code == "PGC110"]
    assert finding.key == ("PGC110", "main.js", 7) and "env.get('CLUSTER_WORKERS')" in finding.message


WORKERS_WITH_A_PRIMARY_POOL = (
    "import cluster from 'cluster';\nimport { cpus } from 'os';\nimport Db from './db';\n"
    "const SIZE = Number(process.env.CLUSTER_SIZE) || cpus().length;\n"
    "const db = new Db();\n"
    "if (cluster.isMaster) {\n  for (let i = 0; i < 2 * SIZE; i++) {\n    cluster.fork();\n  }\n}\n"
)
DB_CLASS = "import { Pool } from 'pg';\nexport default class Db {\n  pool = new Pool({ max: 3 });\n}\n"


def test_a_computed_worker_count_and_a_primary_that_holds_the_pools_too(lint_tree):
    """`2 * (CLUSTER_SIZE || cpus().length)` workers, plus the primary, which builds the pool-holding object at
    module level before forking; the API service of the same package does not run the cluster it never imports."""
    compose = (
        "services:\n  workers:\n    build: .\n    command: node workers.js\n"
        "  api:\n    build: .\n    command: node api.js\n  db:\n    image: postgres:16\n"
    )
    files = {
        "package.json": package(),
        "workers.js": WORKERS_WITH_A_PRIMARY_POOL,
        "db.js": DB_CLASS,
        "api.js": "import Db from './db';\nconst db = new Db();\n",
        "docker-compose.yml": compose,
    }
    result = lint_tree(files)
    counts = sorted((term.group.name.split(":")[0], term.processes) for term in result.budgets[0].terms)
    assert counts == [("docker-compose.yml service api", 1), ("docker-compose.yml service workers", 2 * TEST_CPUS + 1)]
    workers = next(g for g in result.project.groups if "workers" in g.name)
    assert (
        workers.cpu_dependent and "the primary, which builds the same objects at workers.js:5" in workers.processes.via
    )
    assert result.budgets[0].total == (2 * TEST_CPUS + 2) * 3
    set_size = lint_tree(
        {
            **files,
            "docker-compose.yml": compose.replace(
                "node workers.js", "node workers.js\n    environment:\n      CLUSTER_SIZE: '3'"
            ),
        }
    )
    assert result.budgets[0].total != set_size.budgets[0].total == (2 * 3 + 2) * 3


def test_a_pm2_file_and_a_compose_file_running_the_same_app_are_alternatives(lint_tree):
    """pm2.yml runs the app without Docker, against servers named in an uncommitted .env; the compose file runs it
    with its own server: the compose deployment is budgeted, the pm2 one is said not to be checked."""
    compose = "services:\n  api:\n    build: .\n    command: node api.js\n  db:\n    image: postgres:16\n"
    files = {
        "package.json": package(),
        "api.js": "require('./db');\n",
        "db.js": POOL,
        "pm2.yml": "apps:\n  - script: ./api.js\n    name: api\n    exec_mode: cluster\n    instances: 4\n",
        "docker-compose.yml": compose,
    }
    result = lint_tree(files)
    assert [(b.deployment, b.total) for b in result.budgets] == [("docker-compose.yml", 10)]
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.location.path == "pm2.yml" and "4 × 10 = 40 connections" in skipped.message


def test_throng_default_is_one_worker_per_cpu_and_count_is_read(lint_tree):
    default = "const throng = require('throng');\nthrong(start);\n"
    result = lint_tree({"package.json": package(), "main.js": default, "db.js": POOL})
    assert processes(result) == [("api", TEST_CPUS)]
    assert result.project.groups[0].cpu_dependent
    counted = "const throng = require('throng');\nthrong({ worker: start, count: 3 });\n"
    result = lint_tree({"package.json": package(), "main.js": counted, "db.js": POOL})
    assert processes(result) == [("api", 3)]
    assert not result.project.groups[0].cpu_dependent


@pytest.mark.parametrize(
    ("code", "count"),
    [
        (
            "const numCPUs = require('os').cpus().length;\nif (cluster.isPrimary) {\n  for (let i = 0; i < numCPUs; i++) {\n"
            "    cluster.fork();\n  }\n}\n",
            None,
        ),
        ("for (const _ of require('os').cpus()) cluster.fork();\n", None),
        ("os.cpus().forEach(() => cluster.fork());\n", None),
        ("for (let i = 0; i < 3; i++) cluster.fork();\n", 3),
        ("if (cluster.isPrimary) { cluster.fork(); cluster.fork(); }\n", 2),
        ("for (let i = 0; i < WORKERS; i++) cluster.fork();\n", "WORKERS"),
    ],
)
def test_cluster_fork_counts(code, count):
    [fork] = extract_forks("main.js", "const cluster = require('node:cluster');\n" + code)[0]
    assert (fork.count.value if fork.count is not None else None) == count


def test_fork_facts():
    forks, _ = extract_forks(
        "a.js", "const cluster = require('cluster');\nfor (let i = 0; i < 4; i++) cluster.fork();\n"
    )
    assert [(f.kind, f.count.value, f.location.line) for f in forks] == [("cluster", 4, 2)]
    assert extract_forks("b.js", "// cluster.fork() in a comment, no import\n") == ([], [])
    forks, _ = extract_forks("c.js", "import throng from 'throng'\nthrong(2, start)\n")
    assert [(f.kind, f.count.value) for f in forks] == [("throng", 2)]


def test_bad_inputs_never_stop_the_run(lint_tree):
    files = {
        "package.json": '{"name": "api", "scripts": ["pm2 start a.js -i 4"]',
        "svc/package.json": '{"scripts": {"start": "pm2 start \\"unbalanced -i", "x": 3}}',
        "Dockerfile": "FROM node\nCMD pm2-runtime start\n",
        "Procfile": "web: concurrently\nworker: npm run\n",
        "docker-compose.yml": "services:\n  api:\n    build: {context: 3}\n    command: [pm2, start]\n  x: 4\n",
        "main.js": "const cluster = require('cluster'); cluster.fork(",
        "db.js": POOL,
    }
    result = lint_tree(files)
    assert keys(result) == [("PGC001", "package.json", 1)]
    assert processes(result) == [("the repository root package", 1)]  # the one cluster.fork() outside a loop


def test_ecosystem_file_renamed_at_image_build_is_the_copied_one(lint_tree):
    files = {
        "Dockerfile": "FROM node:20\nWORKDIR /app\nCOPY . .\nCOPY pm2.prod.json ecosystem.config.json\n"
        'CMD ["pm2-runtime", "ecosystem.config.json"]\n',
        "pm2.prod.json": '{"apps": [{"name": "api", "script": "dist/main.js", "instances": 6}]}',
        "package.json": '{"name": "api", "dependencies": {"pg": "^8.13.0"}}',
        "src/db.js": 'const { Pool } = require("pg");\nmodule.exports = new Pool({ max: 10, connectionTimeoutMillis: 3000 });\n',
    }
    [budget] = lint_tree(files).budgets
    assert [(t.group.name, t.processes, t.pool_max) for t in budget.terms] == [("api", 6, 10)]


def test_bullmq_sandboxed_processors_open_the_pools_in_each_child(lint_tree):
    worker = """const path = require("path");
const { Worker } = require("bullmq");
const { Pool } = require("pg");

const pool = new Pool({ max: 2, connectionTimeoutMillis: 5000 });
new Worker("emails", path.join(__dirname, "send-email.js"), { connection: { host: "redis" }, concurrency: 5 });
module.exports = pool;
"""
    pm2 = 'module.exports = { apps: [{ name: "worker", script: "src/worker.js", instances: 2 }] };\n'
    files = {
        "src/worker.js": worker,
        "ecosystem.config.js": pm2,
        "package.json": '{"dependencies": {"bullmq": "^5", "pg": "^8"}}',
    }
    [budget] = lint_tree(files).budgets
    [term] = budget.terms
    assert (term.processes, term.pool_max) == (2 * 6, 2)  # 2 instances × (the worker + 5 sandboxed children)


def test_absolute_container_script_path_finishes_and_counts_the_service(lint_tree):
    """`node /usr/src/app/dist/main.js`, as most Node images run: the package lookup once looped forever on it."""
    compose = "services:\n  api:\n    build: .\n    command: node /usr/src/app/dist/main.js\n    scale: 2\n"
    result = lint_tree({"package.json": package(), "docker-compose.yml": compose, "src/db.js": POOL})
    assert processes(result) == [("docker-compose.yml service api: node /usr/src/app/dist/main.js", 2)]


def test_pm2_process_yml_and_files_named_by_start_or_restart_are_read(lint_tree):
    apps = "apps:\n  - name: api\n    script: main.js\n    instances: 3\n"
    files = {"package.json": package(), "main.js": "require('./db');\n", "db.js": POOL, "process.yml": apps}
    assert processes(lint_tree(files)) == [("api", 3)]
    named = {
        "package.json": package({"deploy": "pm2 startOrRestart deploy/apps.yaml --env production"}),
        "main.js": "require('./db');\n",
        "db.js": POOL,
        "deploy/apps.yaml": apps.replace("main.js", "../main.js"),
    }
    assert processes(lint_tree(named)) == [("api", 3)]
