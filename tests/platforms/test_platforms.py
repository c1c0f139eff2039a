"""Platforms and serverless front ends (issue #10): Heroku app.json + Procfile, fly.toml, serverless.yml, vercel.json,
netlify.toml, on realistic fixture repositories and small trees of bad input."""

from __future__ import annotations

import math

from conftest import FIXTURES, TEST_CPUS, write_tree

from pgconnlint.discover import discover
from pgconnlint.lint import LintOptions, extract_all, lint
from pgconnlint.model import Default, Known, Unknown


def facts_of(root):
    root = root.resolve()
    return extract_all(root, discover(root))


def functions_by_name(root) -> dict:
    return {f.name: f for f in facts_of(root).functions}


# --- Heroku -----------------------------------------------------------------------------------------------------


def test_heroku_formation_multiplies_each_process_type_by_its_dynos():
    result = lint(FIXTURES / "heroku-app", LintOptions(cpus=TEST_CPUS))
    [budget] = result.budgets
    terms = {t.group.name: (t.processes, t.at_once, t.pool_max) for t in budget.terms}
    # web: 4 gunicorn workers (the buildpack's default for standard-2x) × 3 dynos; worker: -c 4 × 2 dynos
    assert terms == {"Procfile (web)": (12, 1, 10), "Procfile (worker)": (8, 1, 10)}
    assert (budget.ceiling, budget.total, budget.server.usable) == (200, 20, 97)
    # the dynos' server is the heroku-postgresql add-on; the compose file's db (max_connections 60) is for local
    # development (the fixture's docker-compose.yml:1) and Heroku does not run it: PostgreSQL's defaults stand in
    assert budget.server.assumed
    assert budget.note == (
        "PostgreSQL's defaults stand in for the heroku-postgresql add-on (app.json:15), a server not in the repository"
    )
    [finding] = [f for f in result.findings if f.code == "PGC103"]
    terms = "\n".join(finding.notes)
    assert "× 3 replicas [app.json formation.web.quantity, app.json:12]" in terms
    assert "× 2 replicas [app.json formation.worker.quantity, app.json:13]" in terms
    assert "WEB_CONCURRENCY from Heroku python buildpack default for standard-2x" in terms


def test_heroku_decls_carry_the_formation_and_app_json_config_vars():
    facts = facts_of(FIXTURES / "heroku-app")
    web, worker = sorted((d for d in facts.processes if d.source.startswith("Procfile")), key=lambda d: d.source)
    assert web.replicas == Known(3, web.replicas.location, "app.json formation.web.quantity")
    assert (web.replicas.location.path, web.replicas.location.line) == ("app.json", 12)
    assert worker.replicas.value == 2
    # DATABASE_URL: the heroku-postgresql add-on's (app.json addons), a server the repository does not hold
    url = "postgres://heroku-postgresql-add-on/"
    assert {b.name: b.value for b in web.env} == {"WEB_CONCURRENCY": "4", "LOG_LEVEL": "INFO", "DATABASE_URL": url}
    assert "WEB_CONCURRENCY" not in {b.name for b in worker.env}  # celery does not read it
    assert not facts.deployment  # resolve consumed the formation


def test_heroku_config_var_wins_over_the_buildpack_default_and_unknown_sizes_add_nothing(tmp_path):
    procfile = "web: gunicorn app:app\nclock: gunicorn clock:app\n"
    app = """{"env": {"WEB_CONCURRENCY": {"value": "6"}},
              "formation": {"web": {"quantity": 2, "size": "Performance-M"}}}"""
    facts = facts_of(write_tree(tmp_path / "a", {"app.json": app, "Procfile": procfile}))
    web = next(d for d in facts.processes if d.source == "Procfile (web)")
    assert [(b.name, b.value, b.source) for b in web.env] == [("WEB_CONCURRENCY", "6", "app.json env")]
    app = '{"formation": {"web": {"quantity": 2, "size": "fir-1x"}}}'
    facts = facts_of(write_tree(tmp_path / "b", {"app.json": app, "Procfile": procfile}))
    clock, web = sorted((d for d in facts.processes if d.source.startswith("Procfile")), key=lambda d: d.source)
    assert web.env == () and web.replicas.value == 2
    assert clock.replicas is None  # absent from formation: Heroku's own count is not in the repository


def test_heroku_formation_of_a_node_app_sets_replicas_on_the_node_processes(tmp_path):
    files = {
        "app.json": '{"formation": {"web": {"quantity": 4, "size": "standard-1x"}}}',
        "Procfile": "web: node server.js\n",
        "package.json": '{"name": "shop", "dependencies": {"pg": "^8.12.0"}}',
        "server.js": "const { Pool } = require('pg');\nconst pool = new Pool({ max: 5 });\n",
    }
    facts = facts_of(write_tree(tmp_path, files))
    [web] = [d for d in facts.node_processes if d.source == "Procfile (web)"]
    assert web.replicas.value == 4 and web.env == ()  # the Python buildpack's default is not a Node one
    result = lint(tmp_path, LintOptions(cpus=TEST_CPUS))
    [group] = [g for g in result.project.groups if g.name.startswith("Procfile (web)")]
    assert group.processes.value == 4


def test_heroku_bad_input_is_reported_not_raised(tmp_path):
    facts = facts_of(
        write_tree(
            tmp_path / "a", {"app.json": '{"formation": {"web": {"quantity": "3"}}', "Procfile": "web: gunicorn a:b\n"}
        )
    )
    [problem] = facts.problems
    assert problem.location.path == "app.json" and problem.message.startswith("invalid JSON")
    app = '{\n  "formation": {\n    "web": {"quantity": "3", "size": "standard-2x"}\n  }\n}\n'
    facts = facts_of(write_tree(tmp_path / "b", {"app.json": app, "Procfile": "web: gunicorn a:b\n"}))
    [problem] = facts.problems
    assert (problem.location.line, problem.location.column) == (3, 25)
    assert 'formation.web.quantity is `"3"`, not a whole number' in problem.message
    [web] = facts.processes
    assert web.replicas is None


# --- Fly.io -----------------------------------------------------------------------------------------------------


def test_fly_processes_run_their_commands_instead_of_the_image_cmd():
    result = lint(FIXTURES / "fly-app", LintOptions(cpus=TEST_CPUS))
    groups = {g.name: g.processes for g in result.project.groups}
    assert set(groups) == {
        "fly.toml processes.web: pm2-runtime dist/server.js",
        "fly.toml processes.worker: node dist/worker.js",
    }
    web_processes = groups["fly.toml processes.web: pm2-runtime dist/server.js"]
    # -i 2 on the fly.toml line, on each of the 2 Machines Fly starts for a group with services
    assert web_processes.value == 4 and "creates 2 Machines on first deploy" in web_processes.via
    facts = facts_of(FIXTURES / "fly-app")
    web = next(d for d in facts.node_processes if d.source == "fly.toml processes.web")
    assert (web.origin, web.location.line) == ("platform", 16)
    assert {b.name: b.value for b in web.env} == {"NODE_ENV": "production", "PGPOOL_MAX": "15"}
    assert web.replicas.value == 2 and "`fly scale count` is not in fly.toml" in web.replicas.why


def test_fly_without_processes_runs_the_dockerfile_it_builds(tmp_path):
    files = {
        "fly.toml": 'app = "api"\n\n[build]\n  dockerfile = "deploy/Dockerfile"\n\n[http_service]\n  internal_port = 8000\n',
        "deploy/Dockerfile": 'FROM python:3.12-slim\nCMD ["gunicorn", "--workers", "3", "api.wsgi:app"]\n',
        "requirements.txt": "gunicorn\n",
    }
    facts = facts_of(write_tree(tmp_path, files))
    [image] = [d for d in facts.node_processes if d.runner == "image"]
    assert (image.dockerfile, image.source, image.origin) == ("deploy/Dockerfile", "fly.toml app", "platform")
    result = lint(tmp_path, LintOptions(cpus=TEST_CPUS))
    # the image's gunicorn, 3 workers on each of the 2 Machines Fly starts for a group with an http_service
    assert [(g.name, g.processes.value) for g in result.project.groups] == [("fly.toml app (deploy/Dockerfile CMD)", 6)]


def test_fly_machine_count_default_is_cited(tmp_path):
    from pgconnlint.extract import platforms

    text = '[processes]\n  web = "node a.js"\n  cron = "node b.js"\n\n[http_service]\n  processes = ["web"]\n'
    [app], problems = platforms.extract_fly("fly.toml", text)
    assert problems == []
    web, cron = app.groups
    assert (web.name, web.services, web.location.line, cron.services) == ("web", True, 2, False)
    assert platforms._fly_machines(app, web).value == 2 and platforms._fly_machines(app, cron).value == 1
    assert "first deploy" in platforms._fly_machines(app, web).why


def test_fly_bad_toml_is_a_problem_with_its_line(tmp_path):
    facts = facts_of(write_tree(tmp_path, {"fly.toml": 'app = "x"\n[processes]\n  web = \n'}))
    [problem] = facts.problems
    assert (problem.location.path, problem.location.line) == ("fly.toml", 3)
    assert problem.message.startswith("invalid TOML")


# --- Serverless Framework ------------------------------------------------------------------------------------------


def test_serverless_functions_with_and_without_reserved_concurrency():
    functions = functions_by_name(FIXTURES / "serverless-api")
    assert set(functions) == {"createOrder", "listOrders", "monthlyReport"}
    create = functions["createOrder"]
    assert (create.platform, create.runtime, create.handler, create.directory) == (
        "AWS Lambda",
        "node",
        "src/orders.create",
        "",
    )
    assert create.concurrency == Known(
        25, create.concurrency.location, "serverless.yml functions.createOrder.reservedConcurrency"
    )
    assert (
        create.concurrency.location.line == 24
    )  # `${self:custom.ordersConcurrency}` followed, located where it is used
    listing = functions["listOrders"]
    assert isinstance(listing.concurrency, Default) and listing.concurrency.value == math.inf
    assert "1,000 per Region" in listing.concurrency.why and listing.concurrency.location.line == 29
    report = functions["monthlyReport"]
    assert report.provisioned.value == 2 and report.runtime == "node"
    env = {b.name: b.value for b in create.env}
    assert env == {"NODE_ENV": "production", "PGDATABASE": "orders", "DB_POOL_MAX": "5"}  # PGHOST is an ${ssm:…}
    assert "REPORT_BUCKET" not in {b.name for b in report.env}  # ${self:custom.stage} is ${opt:stage, …}


def test_serverless_variables_everywhere_become_unknown(tmp_path):
    text = """service: x
provider:
  name: aws
  runtime: ${env:RUNTIME}
functions:
  api:
    handler: ${self:custom.handler}
    reservedConcurrency: ${env:API_CONCURRENCY, 10}
    provisionedConcurrency: ${ssm:/x/warm}
    runtime: python3.12
"""
    [api] = functions_by_name(write_tree(tmp_path / "a", {"serverless.yml": text})).values()
    assert isinstance(api.concurrency, Unknown) and api.concurrency.location.line == 8
    assert "deploy time (env)" in api.concurrency.reason
    assert (api.handler, api.provisioned, api.runtime) == (None, None, "python")
    facts = facts_of(write_tree(tmp_path / "b", {"serverless.yml": "functions: ${file(./functions.yml)}\n"}))
    [problem] = facts.problems
    assert "file" in problem.message and facts.functions == []
    facts = facts_of(write_tree(tmp_path / "c", {"serverless.yml": "functions:\n  api: [\n"}))
    [problem] = facts.problems
    assert problem.message.startswith("invalid YAML") and facts.functions == []


# --- Vercel and Netlify ---------------------------------------------------------------------------------------


def test_vercel_api_folder_files_are_functions_without_a_concurrency_cap():
    functions = functions_by_name(FIXTURES / "vercel-api")
    assert set(functions) == {"api/products.ts", "api/orders/[id].ts", "api/reports/sales.ts"}  # not _lib, .d.ts
    sales = functions["api/reports/sales.ts"]
    assert sales.source == "vercel.json functions['api/reports/*.ts']" and sales.location.line == 4
    assert {f.platform for f in functions.values()} == {"Vercel"}
    assert all(f.runtime == "node" and f.concurrency.value == math.inf for f in functions.values())
    assert "30,000" in sales.concurrency.why


def test_vercel_without_functions_key_lists_api_and_bad_json_is_reported(tmp_path):
    files = {"vercel.json": '{"cleanUrls": true}', "api/health.py": "def handler(): ...\n", "api/_db.py": "x = 1\n"}
    [health] = functions_by_name(write_tree(tmp_path / "a", files)).values()
    assert (health.name, health.runtime, health.source) == ("api/health.py", "python", "vercel.json api/")
    facts = facts_of(write_tree(tmp_path / "b", {"vercel.json": '{"functions": {', "api/x.js": "1\n"}))
    assert facts.functions == [] and facts.problems[0].message.startswith("invalid JSON")


def test_netlify_functions_directory_under_the_base(tmp_path):
    files = {
        "netlify.toml": '[build]\n  base = "site"\n  command = "npm run build"\n\n[functions]\n  directory = "fns"\n',
        "site/fns/orders.mts": "export default async () => new Response('ok')\n",
        "site/fns/report/index.ts": "export default async () => new Response('ok')\n",
        "site/fns/report/helpers.ts": "export const x = 1\n",
        "site/fns/README.md": "docs\n",
    }
    functions = functions_by_name(write_tree(tmp_path / "a", files))
    assert set(functions) == {"fns/orders.mts", "fns/report/index.ts"}
    orders = functions["fns/orders.mts"]
    assert (orders.platform, orders.directory, orders.source) == ("Netlify", "site", "netlify.toml fns/")
    assert orders.location.path == "site/fns/orders.mts" and orders.concurrency.location.line == 6
    assert orders.concurrency.value == math.inf and "Netlify" in orders.concurrency.why
    default = {"netlify.toml": '[build]\n  publish = "dist"\n', "netlify/functions/hello.js": "exports.handler = 1\n"}
    assert set(functions_by_name(write_tree(tmp_path / "b", default))) == {"netlify/functions/hello.js"}


def test_heroku_gunicorn_without_workers_or_dyno_size_is_unknown_not_one(tmp_path):
    files = {
        "app.json": '{"name": "shop", "formation": {"web": {"quantity": 2}}}',
        "Procfile": "web: gunicorn shop.wsgi:app\n",
        "requirements.txt": "gunicorn\nsqlalchemy\n",
        "shop/db.py": "from sqlalchemy import create_engine\nengine = create_engine('postgresql://db/shop')\n",
    }
    result = lint(write_tree(tmp_path, files), LintOptions(cpus=TEST_CPUS))
    [group] = result.project.groups
    assert group.processes.expression == "$WEB_CONCURRENCY"
    assert "Heroku's Python buildpack sets it at dyno boot" in group.processes.reason
    assert result.budgets[0].unknown_terms


def test_heroku_postgres_add_on_sets_database_url_over_a_sqlite_default(lint_tree):
    """app.json `addons: ["heroku-postgresql"]`: Heroku sets DATABASE_URL for every dyno, so settings whose
    `dj_database_url.config(default="sqlite:…")` falls back on SQLite locally open PostgreSQL connections there.
    Before, nothing was counted and nothing said. A config var of the same name wins; `as` renames the variable."""
    settings = (
        "import dj_database_url\n\nDATABASES = {'default': dj_database_url.config(default='sqlite:///db.sqlite3')}\n"
    )
    files = {
        "requirements.txt": "django\npsycopg[binary]\n",
        "project/settings.py": settings,
        "Procfile": "web: gunicorn project.wsgi --workers 3\n",
        "app.json": '{"formation": {"web": {"quantity": 2}}, "addons": ["heroku-postgresql:essential-0"]}',
    }
    [budget] = lint_tree(files).budgets
    assert [(t.processes, t.pool_max) for t in budget.terms] == [(6, 1)]
    [source] = {b.source for t in budget.terms for b in t.group.environment.values() if b.name == "DATABASE_URL"}
    assert source == "app.json addons: heroku-postgresql sets it"
    renamed = {**files, "app.json": '{"addons": [{"plan": "heroku-postgresql", "as": "REPORTS"}]}'}
    assert lint_tree(renamed).budgets[0].terms == ()  # REPORTS_URL, which these settings do not read
    sqlite = '{"env": {"DATABASE_URL": "sqlite:///x.db"}, "addons": ["heroku-postgresql"]}'
    assert lint_tree({**files, "app.json": sqlite}).budgets[0].terms == ()
