"""A worker count that follows the CPUs, in a container with a CPU limit: PGC301 names both, because the count
follows the node's CPUs (os.cpu_count(), os.cpus()), not resources.limits.cpu."""

from __future__ import annotations

from conftest import TEST_CPUS

MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  replicas: 2
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app: worker
  template:
    metadata:
      labels:
        app: worker
    spec:
      containers:
        - name: worker
          image: registry.example.com/jobs:2.0.1
          command: ["celery", "-A", "jobs", "worker"]
          resources:
            limits:
              cpu: 500m
"""
ENGINE = (
    "from sqlalchemy import create_engine\n\n"
    "engine = create_engine('postgresql://app@db/app', pool_size=2, max_overflow=0, pool_pre_ping=True,"
    " connect_args={'connect_timeout': 5})\n"
)


def test_pgc301_names_the_cpu_limit_that_does_not_lower_the_count(lint_tree):
    result = lint_tree({"k8s/worker.yaml": MANIFEST, "requirements.txt": "celery\nsqlalchemy\n", "jobs.py": ENGINE})
    [group] = result.project.groups
    assert group.processes.value == 2 * TEST_CPUS  # celery's default concurrency is the CPU count, per pod
    assert group.rollout is None  # Recreate: no surge
    [finding] = [f for f in result.findings if f.code == "PGC301"]
    assert finding.location.short == "k8s/worker.yaml:20"
    assert "the container's CPU limit 0.5 [k8s/worker.yaml:23] does not lower it" in finding.message
    assert f"{TEST_CPUS} CPUs" in finding.message
