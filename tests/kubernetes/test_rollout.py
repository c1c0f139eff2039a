"""Surge pods during a rolling deploy: Kubernetes' default and rounding, and a surge that cannot be read."""

from __future__ import annotations

import pytest

POOL = "const { Pool } = require('pg');\nmodule.exports = new Pool({ max: 5, connectionTimeoutMillis: 5000 });\n"


def deployment(replicas: int, strategy: str = "") -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: {replicas}
{strategy}  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/api:1.0.0
          command: ["node", "src/db.js"]
"""


def run(lint_tree, manifest: str):
    files = {"k8s/api.yaml": manifest, "package.json": '{"name": "api", "dependencies": {"pg": "^8"}}'}
    return lint_tree({**files, "src/db.js": POOL})


@pytest.mark.parametrize(
    ("replicas", "strategy", "rollout"),
    [
        (6, "", 8),  # the default 25% of 6 = 1.5, rounded up to 2
        (3, "", 4),  # 25% of 3 = 0.75 → 1
        (6, "  strategy:\n    rollingUpdate:\n      maxSurge: 50%\n", 9),
        (6, "  strategy:\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1\n", None),
        (6, "  strategy:\n    type: Recreate\n", None),
    ],
)
def test_surge_pods(lint_tree, replicas, strategy, rollout):
    result = run(lint_tree, deployment(replicas, strategy))
    [group] = result.project.groups
    assert group.processes.value == replicas
    assert (group.rollout.value if group.rollout is not None else None) == rollout


def test_the_default_says_it_is_kubernetes_default(lint_tree):
    [group] = run(lint_tree, deployment(6)).project.groups
    assert "Kubernetes default maxSurge 25% of 6 replicas, rounded up" in group.rollout.via


def test_an_unreadable_surge_makes_the_rollout_unknown_not_zero(lint_tree):
    strategy = '  strategy:\n    rollingUpdate:\n      maxSurge: "${SURGE}"\n'
    result = run(lint_tree, deployment(6, strategy))
    [group] = result.project.groups
    assert group.rollout.expression == "${SURGE}" and "not a count or a percentage" in group.rollout.reason
    [budget] = result.budgets
    assert budget.rolls_out and budget.rollout_formula == "0 + 1 unknown = at least 0"
