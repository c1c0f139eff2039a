"""Deployments (issue 15): each production deployment budgeted on its own, alternatives never summed, CI and
devcontainer servers never "the server", compose profiles as variants, and the compose values real trees write."""

from __future__ import annotations

import pytest

from pgconnlint.deployments import CI, DEVCONTAINER, DEVELOPMENT, PRODUCTION, role_of
from pgconnlint.linked import UnknownDeployment

ENGINE = (
    "from sqlalchemy import create_engine\n\n"
    "engine = create_engine('postgresql://app@db/app', pool_size=5, max_overflow=0, pool_pre_ping=True,"
    " connect_args={'connect_timeout': 5})\n"
)
APP = {"requirements.txt": "sqlalchemy\n", "app.py": ENGINE}
DB = "  db:\n    image: postgres:16\n"


def compose(workers: int, extra: str = "", db: str = DB) -> str:
    return f"services:\n  api:\n    build: .\n    command: gunicorn -w {workers} app:app\n{extra}{db}"


def summary(result) -> list[tuple[str, str, int, int]]:
    return sorted((b.deployment, b.server.name, int(b.total), b.server.usable) for b in result.budgets)


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("docker-compose.yml", PRODUCTION),
        ("deploy/docker-compose.prod.yml", PRODUCTION),
        ("docker-compose.dev.yml", DEVELOPMENT),
        ("docker-compose.local.yml", DEVELOPMENT),
        ("docker-compose.test.yml", CI),
        ("docker/e2e/docker-compose.yml", CI),
        (".github/workflows/ci.yml", CI),
        ("docker-compose-test-e2e.yml", CI),
        (".devcontainer/docker-compose.yml", DEVCONTAINER),
    ],
)
def test_role_from_the_path(path, role):
    assert role_of(path) == role


def test_alternative_compose_files_are_budgeted_apart_never_summed(lint_tree):
    files = {**APP, "docker-compose.yml": compose(2), "docker-compose.prod.yml": compose(3)}
    result = lint_tree(files)
    assert summary(result) == [
        ("docker-compose.prod.yml", "docker-compose.prod.yml service db", 3, 97),
        ("docker-compose.yml", "docker-compose.yml service db", 2, 97),
    ]


def test_an_override_file_belongs_to_its_base(lint_tree):
    override = "services:\n  worker:\n    build: .\n    command: celery -A app worker -c 4\n"
    files = {**APP, "docker-compose.yml": compose(2), "docker-compose.override.yml": override}
    [budget] = lint_tree(files).budgets
    assert budget.deployment == "docker-compose.yml"
    assert sorted(term.group.name for term in budget.terms) == [
        "docker-compose.override.yml service worker",
        "docker-compose.yml service api",
    ]


def test_ci_and_devcontainer_servers_are_never_the_server(lint_tree):
    small = "  db:\n    image: postgres:16\n    command: postgres -c max_connections=10\n"
    files = {
        **APP,
        "docker-compose.yml": compose(2),
        ".devcontainer/docker-compose.yml": compose(1, db=small),
        "docker-compose.test.yml": compose(1, db=small),
    }
    assert summary(lint_tree(files)) == [("docker-compose.yml", "docker-compose.yml service db", 2, 97)]


def test_a_test_stack_is_budgeted_when_asked_for(lint_tree):
    small = "  db:\n    image: postgres:16\n    command: postgres -c max_connections=10\n"
    files = {**APP, "docker-compose.yml": compose(2), "docker-compose.test.yml": compose(4, db=small)}
    result = lint_tree(files, deployment="docker-compose.test.yml")
    assert summary(result) == [("docker-compose.test.yml", "docker-compose.test.yml service db", 4, 7)]


def test_a_development_stack_stands_in_when_nothing_else_runs(lint_tree):
    result = lint_tree({**APP, "docker-compose.dev.yml": compose(2)})
    assert summary(result) == [("docker-compose.dev.yml", "docker-compose.dev.yml service db", 2, 97)]


def test_ci_server_alone_is_not_used_and_the_defaults_are_assumed(lint_tree):
    ci = "services:\n  postgres:\n    image: postgres:16\n    command: postgres -c max_connections=10\n"
    result = lint_tree({**APP, "Procfile": "web: gunicorn -w 2 app:app\n", ".github/ci-compose.yml": ci})
    [budget] = result.budgets
    assert budget.server.assumed and budget.server.usable == 97


def test_profiles_are_variants_when_the_plain_up_starts_no_pool(lint_tree):
    text = (
        "services:\n"
        "  api:\n    build: .\n    profiles: ['api']\n    command: gunicorn -w 2 app:app\n"
        "  worker:\n    build: .\n    profiles: ['jobs']\n    command: celery -A app worker -c 3\n" + DB
    )
    result = lint_tree({**APP, "docker-compose.yml": text})
    assert summary(result) == [
        ("docker-compose.yml --profile api", "docker-compose.yml service db", 2, 97),
        ("docker-compose.yml --profile jobs", "docker-compose.yml service db", 3, 97),
    ]


def test_a_service_behind_a_profile_is_left_off_when_the_plain_up_runs_the_app(lint_tree):
    legacy = "  legacy:\n    build: .\n    profiles: ['legacy']\n    command: gunicorn -w 8 app:app\n"
    [budget] = lint_tree({**APP, "docker-compose.yml": compose(2, extra=legacy)}).budgets
    assert [term.group.name for term in budget.terms] == ["docker-compose.yml service api"]
    assert budget.total == 2


def test_replicas_from_a_variable_default(lint_tree):
    extra = "    deploy:\n      replicas: ${API_REPLICAS:-3}\n"
    [budget] = lint_tree({**APP, "docker-compose.yml": compose(2, extra=extra)}).budgets
    [term] = budget.terms
    assert term.processes == 6
    assert "the default, when API_REPLICAS is unset" in term.group.processes.via


@pytest.mark.parametrize(
    "image",
    [
        "postgres:${POSTGRES_TAG:-16}",
        "${REGISTRY:-docker.io}/library/postgres:16",
        "pgvector/pgvector:pg17",
        "postgis/postgis:16-3.4",
        "pgautoupgrade/pgautoupgrade:16-alpine",
        "bitnami/postgresql:16",
    ],
)
def test_postgres_images_behind_variables_and_derived_images_are_servers(lint_tree, image):
    db = f"  db:\n    image: {image}\n    command: postgres -c max_connections=50\n"
    [budget] = lint_tree({**APP, "docker-compose.yml": compose(2, db=db)}).budgets
    assert (budget.server.name, budget.server.usable) == ("docker-compose.yml service db", 47)


def test_a_postgres_image_running_a_client_is_not_a_server(lint_tree):
    init = "  init-db:\n    image: postgres:16\n    command: sh -c 'until pg_isready -h db; do sleep 1; done; createdb -h db x'\n"
    [budget] = lint_tree({**APP, "docker-compose.yml": compose(2, extra=init)}).budgets
    assert budget.server.name == "docker-compose.yml service db"
    assert [
        server.name for server in lint_tree({**APP, "docker-compose.yml": compose(2, extra=init)}).project.servers
    ] == ["docker-compose.yml service db"]


def test_a_compose_file_named_otherwise_is_read(lint_tree):
    [budget] = lint_tree({**APP, "production.yml": compose(3)}).budgets
    assert (budget.deployment, budget.server.name, budget.total) == ("production.yml", "production.yml service db", 3)


def test_pm2_apps_and_a_procfile_running_other_code_are_one_system(lint_tree):
    files = {
        **APP,
        "Procfile": "web: gunicorn -w 2 app:app\n",
        "node/package.json": '{"name": "jobs", "dependencies": {"pg": "^8.11.0"}}',
        "node/index.js": "const { Pool } = require('pg');\nnew Pool({ max: 4, connectionTimeoutMillis: 5000 });\n",
        "node/ecosystem.config.js": "module.exports = { apps: [{ name: 'jobs', script: 'index.js', instances: 2 }] };\n",
    }
    [budget] = lint_tree(files).budgets
    assert budget.total == 2 + 2 * 4
    assert " + " in budget.deployment


def test_an_alternative_whose_server_is_not_in_the_repository_is_reported_not_budgeted(lint_tree):
    """A Procfile running the same app as the compose file, against a database the repository does not describe:
    never counted against the compose file's server, nor against PostgreSQL's defaults as if it were one."""
    files = {**APP, "docker-compose.yml": compose(2), "Procfile": "web: gunicorn -w 9 app:app\n"}
    result = lint_tree(files)
    assert summary(result) == [("docker-compose.yml", "docker-compose.yml service db", 2, 97)]
    [skipped] = [f for f in result.findings if f.code == "PGC002"]
    assert skipped.location.path == "Procfile"
    assert "the processes of Procfile can hold 9 × 1 = 9 connections" in skipped.message
    assert "docker-compose.yml starts its own" in skipped.message
    asked = lint_tree(files, deployment="Procfile")
    assert summary(asked) == [("Procfile", "PostgreSQL defaults", 9, 97)]


def test_a_deployment_asked_for_that_the_tree_lacks_is_a_configuration_error(lint_tree):
    """Budgeting every process instead would answer another question than the one asked (exit 2 from the CLI)."""
    files = {**APP, "docker-compose.yml": compose(2), "Procfile": "web: gunicorn -w 9 app:app\n"}
    with pytest.raises(UnknownDeployment, match="but the deployments found are: Procfile, docker-compose.yml$"):
        lint_tree(files, deployment="docker-compose.prod.yml")


def test_a_service_built_from_a_postgres_dockerfile_is_the_server(lint_tree):
    db = "  db:\n    build: ./db\n    command: postgres -c max_connections=60\n"
    files = {
        **APP,
        "docker-compose.yml": compose(2, db=db),
        "db/Dockerfile": "FROM postgres:16-alpine\nCOPY init.sql /x/\n",
    }
    [budget] = lint_tree(files).budgets
    assert (budget.server.name, budget.server.usable) == ("docker-compose.yml service db", 57)
    assert budget.server.config is not None


def test_a_service_built_from_another_image_is_no_server(lint_tree):
    files = {**APP, "docker-compose.yml": compose(2, db=""), "Dockerfile": "FROM python:3.12\n"}
    [budget] = lint_tree(files).budgets
    assert budget.server.assumed


NODE_APP = {
    "package.json": '{"name": "api", "dependencies": {"pg": "^8.11.0"}}',
    "src/db.js": "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 7, connectionTimeoutMillis: 5000 });\n",
    "Dockerfile": 'FROM node:20\nCMD ["pm2-runtime", "src/db.js", "-i", "3"]\n',
}
PUBLISHED = "services:\n  api:\n    image: ghcr.io/acme/api:master\n" + DB


def test_an_image_only_service_runs_the_dockerfile_a_workflow_publishes(lint_tree):
    workflow = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: docker/build-push-action@v6\n        with:\n          push: true\n"
        "          tags: ghcr.io/acme/api:master,ghcr.io/acme/api:${{ github.sha }}\n"
    )
    result = lint_tree({**NODE_APP, "docker-compose.yml": PUBLISHED, ".github/workflows/release.yml": workflow})
    [budget] = result.budgets
    assert [(term.group.name, term.processes) for term in budget.terms] == [
        ("docker-compose.yml service api (Dockerfile CMD): pm2-runtime src/db.js", 3)
    ]
    assert budget.total == 21


def test_an_image_only_service_runs_the_dockerfile_a_script_builds(lint_tree):
    script = "#!/bin/sh\ndocker build -t ghcr.io/acme/api:latest -f Dockerfile .\n"
    result = lint_tree({**NODE_APP, "docker-compose.yml": PUBLISHED, "scripts/build.sh": script})
    assert result.budgets[0].total == 21


def test_a_third_party_image_runs_nothing_of_the_repository(lint_tree):
    text = "services:\n  cache:\n    image: redis:7\n" + DB
    [budget] = lint_tree({**NODE_APP, "docker-compose.yml": text}).budgets
    # the image's own CMD, as when no compose file runs it; redis adds nothing
    assert [(term.group.name, term.processes) for term in budget.terms] == [
        ("Dockerfile CMD: pm2-runtime src/db.js", 3)
    ]


def test_a_negative_replica_count_is_unknown_never_a_negative_total(lint_tree):
    extra = "    deploy:\n      replicas: -3\n"
    [budget] = lint_tree({**APP, "docker-compose.yml": compose(2, extra=extra)}).budgets
    [term] = budget.terms
    assert term.processes is None and budget.total == 0 and not budget.complete
    assert "must not be negative" in term.group.processes.reason


def test_a_kubernetes_replica_count_the_api_server_refuses_is_unknown(lint_tree):
    manifest = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: -2\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: acme/api\n"
        "          command: [gunicorn, -w, '2', app:app]\n"
    )
    [budget] = lint_tree({**APP, "k8s/api.yaml": manifest}).budgets
    [term] = budget.terms
    assert term.processes is None and not budget.complete


def test_compose_environment_is_interpolated_with_the_defaults(lint_tree):
    from pgconnlint.extract.compose import extract

    text = (
        "services:\n  api:\n    image: acme/api\n    environment:\n      POOL: ${POOL_SIZE:-7}\n"
        "      DATABASE_URL: postgres://${DB_USER:-app}:${DB_PASSWORD}@pgbouncer:6432/app\n      TOKEN: ${TOKEN}\n"
    )
    found, _ = extract("docker-compose.yml", text)
    bindings = {b.name: b.value for b in found if type(b).__name__ == "EnvBinding"}
    # the URL keeps its host and database; a value that is only an unset variable stays unknown
    assert bindings == {"POOL": "7", "DATABASE_URL": "postgres://app:${DB_PASSWORD}@pgbouncer:6432/app"}


def test_a_third_party_image_with_arguments_is_never_assumed_to_be_the_repositorys(lint_tree):
    dockerfile = 'FROM python:3.12\nENTRYPOINT ["uvicorn", "app:app"]\n'
    migrate = "  migrate:\n    image: migrate/migrate\n    command: -path /migrations -database postgres://db/app up\n"
    files = {**APP, "Dockerfile": dockerfile, "docker-compose.yml": compose(2, extra=migrate)}
    [budget] = lint_tree(files).budgets
    assert [term.group.name for term in budget.terms] == ["docker-compose.yml service api"]


def test_a_service_running_the_image_another_service_builds_runs_that_dockerfile(lint_tree):
    dockerfile = 'FROM python:3.12\nENTRYPOINT ["celery", "-A", "app"]\n'
    text = (
        "services:\n  api:\n    build: .\n    image: acme/app\n    command: gunicorn -w 2 app:app\n"
        "  worker:\n    image: acme/app:latest\n    command: worker -c 3\n" + DB
    )
    [budget] = lint_tree({**APP, "Dockerfile": dockerfile, "docker-compose.yml": text}).budgets
    assert sorted((term.group.name.split(" (")[0], term.processes) for term in budget.terms) == [
        ("docker-compose.yml service api", 2),
        ("docker-compose.yml service worker", 3),
    ]


def test_a_pgbouncer_service_counts_only_in_its_own_compose_file_and_the_fullest_alternative_comes_first(lint_tree):
    bouncer = (
        "  pgbouncer:\n    image: edoburu/pgbouncer:v1.24.1\n    environment:\n"
        "      DB_HOST: db\n      DEFAULT_POOL_SIZE: 5\n      MAX_CLIENT_CONN: 100\n"
    )
    url = "    environment:\n      DATABASE_URL: postgresql://app@{}/app\n"
    big_db = "  db:\n    image: postgres:16\n    command: postgres -c max_connections=200\n"
    files = {
        **APP,
        "app.py": "import os\n" + ENGINE.replace("'postgresql://app@db/app'", "os.environ['DATABASE_URL']"),
        "docker-compose.yml": compose(4, url.format("db")),
        "docker-compose.prod.yml": compose(4, url.format("pgbouncer") + bouncer, big_db),
    }
    result = lint_tree(files)
    assert summary(result) == [
        ("docker-compose.prod.yml", "PgBouncer docker-compose.prod.yml service pgbouncer", 4, 100),
        ("docker-compose.prod.yml", "docker-compose.prod.yml service db", 5, 197),
        ("docker-compose.yml", "docker-compose.yml service db", 4, 97),
    ]
    assert result.budgets[0].deployment == "docker-compose.yml"  # 4 of 97 is fuller than 5 of 197


def test_a_service_whose_command_cannot_be_followed_leaves_its_deployment_at_least(lint_tree):
    """Issue 15: `complete` only when nothing was dropped. A service of the production compose file that runs a
    script the repository does not hold is a PGC002, and the budget of that deployment says "at least"; an
    alternative compose file whose services are all followed stays complete."""
    lost = "  worker:\n    build: .\n    command: ./bin/start-worker.sh\n"
    prod = compose(2, extra=lost)
    result = lint_tree({**APP, "docker-compose.yml": prod, "docker-compose.prod.yml": compose(3)})
    budgets = {budget.deployment: budget for budget in result.budgets}
    assert not budgets["docker-compose.yml"].complete
    assert budgets["docker-compose.yml"].dropped == ("not followed: docker-compose.yml:7",)
    assert budgets["docker-compose.prod.yml"].complete
    [finding] = [f for f in result.findings if f.code == "PGC002"]
    assert "bin/start-worker.sh" in finding.message and finding.location.line == 7


def test_a_folder_of_manifests_takes_the_database_of_its_sibling_folder_before_a_compose_files(lint_tree):
    # k8s/app/ and k8s/db/ are applied together (skyvern's kubernetes-deployment/); the root compose file only starts
    # a database of the same name for local work: the app's host `db` is the Service beside it
    app = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n  template:\n"
        "    spec:\n      containers:\n        - name: api\n          image: acme/api\n"
        "          command: [gunicorn, -w, '2', app:app]\n"
    )
    database = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\nspec:\n  template:\n"
        "    metadata:\n      labels:\n        app: db\n    spec:\n"
        "      containers:\n        - name: db\n          image: postgres:16\n"
        "          args: ['-c', 'max_connections=60']\n"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  selector:\n    app: db\n"
    )
    tree = {**APP, "k8s/app/api.yaml": app, "k8s/db/db.yaml": database, "docker-compose.yml": "services:\n" + DB}
    budgets = lint_tree(tree).budgets
    # and no empty budget of this deployment against the compose file's database, which none of its pools names
    assert [(b.deployment, b.server.name, b.server.usable) for b in budgets if b.deployment == "k8s/app/"] == [
        ("k8s/app/", "k8s/db/db.yaml Deployment db", 57)
    ]


def test_a_dockerfile_of_any_name_a_compose_service_builds_is_read(lint_tree):
    # `Dockerfile-production` is no name discovery knows (Coko-Foundation/Kotahi): the compose file names it
    compose_text = "services:\n  api:\n    build:\n      context: .\n      dockerfile: Dockerfile-production\n" + DB
    tree = {**NODE_APP, "docker-compose.yml": compose_text}
    tree["Dockerfile-production"] = tree.pop("Dockerfile")
    [budget] = lint_tree(tree).budgets
    assert [(term.group.name, term.processes) for term in budget.terms] == [
        ("docker-compose.yml service api (Dockerfile-production CMD): pm2-runtime src/db.js", 3)
    ]
