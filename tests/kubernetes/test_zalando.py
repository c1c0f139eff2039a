"""Zalando's postgres-operator: a `postgresql` resource is a server reached as `<name>` (primary) and `<name>-repl`
(replicas); an app whose URL names the replica Service counts against the standbys, not the primary."""

from __future__ import annotations

CLUSTER = """\
apiVersion: acid.zalan.do/v1
kind: postgresql
metadata:
  name: acid-orders
  namespace: shop
spec:
  teamId: acid
  numberOfInstances: 2
  postgresql:
    version: "16"
    parameters:
      max_connections: "60"
      idle_in_transaction_session_timeout: "60s"
"""


def app(name: str, host: str, workers: int) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: 2
  strategy:
    type: Recreate
  template:
    spec:
      containers:
        - name: {name}
          image: registry.example.com/{name}:1.0.0
          command: ["gunicorn", "--workers", "{workers}", "--threads", "4", "{name}.wsgi:app"]
          env:
            - name: DATABASE_URL
              value: postgresql://orders@{host}:5432/orders
"""


ENGINE = (
    "import os\nfrom sqlalchemy import create_engine\n\n"
    "engine = create_engine(os.environ['DATABASE_URL'], pool_size=4, max_overflow=0, pool_pre_ping=True,"
    " connect_args={'connect_timeout': 5})\n"
)


def test_the_primary_and_replica_services_route_pools_to_their_server(lint_tree):
    files = {
        "k8s/database.yaml": CLUSTER,
        "k8s/api.yaml": app("api", "acid-orders.shop.svc.cluster.local", 3),
        "k8s/reports.yaml": app("reports", "acid-orders-repl", 5),
        "api/requirements.txt": "sqlalchemy\n",
        "api/api/db.py": ENGINE,
        "reports/requirements.txt": "sqlalchemy\n",
        "reports/reports/db.py": ENGINE,
    }
    result = lint_tree(files)
    budgets = {b.server.name: b for b in result.budgets}
    primary = budgets["k8s/database.yaml postgresql acid-orders"]
    standbys = budgets["k8s/database.yaml postgresql acid-orders standbys"]
    assert primary.server.usable == 57 and standbys.server.usable == 57  # max_connections 60 − 3
    # 2 pods × 3 workers × 4 threads, each using one of its 4 pooled connections at a time
    assert [t.group.name for t in primary.terms] == ["k8s/api.yaml Deployment api container api"]
    assert primary.total == 24
    assert [t.group.name for t in standbys.terms] == ["k8s/reports.yaml Deployment reports container reports"]
    assert standbys.total == 40
    assert not [f for f in result.findings if f.code in ("PGC101", "PGC315")]
