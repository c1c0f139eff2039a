"""A compose service (or a Kubernetes container) that builds an image and sets no command runs the Dockerfile's
CMD: its Python server counts once per replica of each service, with the service's environment."""

from __future__ import annotations

DOCKERFILE = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["gunicorn", "--workers", "3", "app:app"]\n'
ENGINE = (
    "import os\nfrom sqlalchemy import create_engine\n\n"
    'engine = create_engine(os.environ["DATABASE_URL"], pool_size=int(os.environ.get("POOL", "5")),'
    ' max_overflow=0, pool_pre_ping=True, connect_args={"connect_timeout": 5})\n'
)
COMPOSE = """\
services:
  web:
    build: .
    deploy:
      replicas: 4
    environment:
      DATABASE_URL: postgresql://app@db/app
      POOL: "2"
  db:
    image: postgres:16
    command: postgres -c max_connections=30
"""


def test_the_dockerfile_server_counts_once_per_replica_with_the_service_environment(lint_tree):
    result = lint_tree(
        {"Dockerfile": DOCKERFILE, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n", "docker-compose.yml": COMPOSE}
    )
    [group] = result.project.groups
    assert group.name == "docker-compose.yml service web (Dockerfile CMD)"
    assert (
        group.processes.value == 12
        and "× 4 replicas [compose deploy.replicas, docker-compose.yml:5]" in group.processes.via
    )
    [budget] = [b for b in result.budgets if b.terms]
    assert budget.server.name == "docker-compose.yml service db"
    assert [term.pool_max for term in budget.terms] == [2]  # POOL from the service's environment
    assert budget.ceiling == 24


def test_without_a_service_the_dockerfile_server_counts_once(lint_tree):
    result = lint_tree({"Dockerfile": DOCKERFILE, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n"})
    [group] = result.project.groups
    assert (group.name, group.processes.value) == ("Dockerfile CMD", 3)


def test_a_service_with_its_own_command_replaces_the_image_cmd(lint_tree):
    compose = "services:\n  web:\n    build: .\n    command: gunicorn -w 5 app:app\n"
    result = lint_tree(
        {"Dockerfile": DOCKERFILE, "app.py": ENGINE, "requirements.txt": "sqlalchemy\n", "docker-compose.yml": compose}
    )
    # the Dockerfile's `gunicorn --workers 3` does not run anywhere: only the service's 5 workers count
    assert [(g.name, g.processes.value) for g in result.project.groups] == [("docker-compose.yml service web", 5)]
