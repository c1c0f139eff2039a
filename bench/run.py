"""Benchmark: pgconnlint on a large monorepo, against the floor of finding its inputs with git.

pgconnlint is meant to run as a pre-commit hook on every commit, over the whole repository
(`pass_filenames: false`), so what matters is the wall time of a run where almost nothing is a
config: interpreter start-up and imports, git's file list, the name classification and the byte
pre-filter that keeps the parsers away from the thousands of irrelevant .ts/.js files.

The script builds a git repository of N files (default 20,000) that look like a TypeScript monorepo:
nested packages of TS/JS/Python/Markdown/JSON/binary files, a git-ignored node_modules/ of 2,000
files, decoy files that mention `DataSource`/`createConnection` without being TypeORM, and a handful
of real configs (ormconfig.json, data-source.ts, a pm2 ecosystem file, .env files, postgresql.conf), and a
deploy/manifests/ folder: 150 Kubernetes manifests of Go services and one rendered file of ~0.9 MB.
It then times, over R rounds after one untimed warm-up round, each measure once per round (median and min,
time.perf_counter):
  (a) `python -m pgconnlint check TREE --format json`, a subprocess as pre-commit runs it;
  (b) `git grep -l` for three TypeORM names plus `git ls-files` filtered by config name: the historic floor
      of merely finding the candidates, kept to compare with earlier runs;
  (b) `git grep -l -z -I -F` of every content marker discovery looks for (pgconnlint/discover.py MARKERS):
      the floor issue 19's target is measured against ("`git grep -l` of the same names");
  (c) `python -c "import pgconnlint.cli"` and `python -m pgconnlint rules`: the start-up floor.
The warm-up's JSON is checked: db/postgresql.conf is a server with 197 usable connections, and no
finding or term points into node_modules/.

  (c) also `python -m pgconnlint --version` against `python -c pass`, the interpreter's own start;
  peak memory (the largest resident set of the check process, from wait4).

`--corpus SCRATCH` times instead each real repository that ../shared/corpus/score.py materialised under SCRATCH
(one git work tree per case; `--cases FILE.json` gives each case's subdir and CPU count): `check --format json
--cpus N .` in it, its peak memory, and `git grep -l` of the same content markers pgconnlint's discovery uses, over
the case's own tree, as the floor.

Usage: python bench/run.py [--files N] [--keep DIR | --reuse DIR] [--repeat R] [--parse-all]   (stdlib only)
       python bench/run.py --corpus SCRATCH [--cases FILE.json ...] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # pgconnlint is importable from here
NODE_MODULES_FILES = 2_000
# (package, ormconfig extra.max or data-source poolSize, pm2 app name or None); 4 instances per pm2 app.
CONFIGS = [
    ("pkg-003", "orm", 10, "orders-api"),
    ("pkg-007", "orm", 15, "billing-worker"),
    ("pkg-009", "orm", 20, None),
    ("pkg-004", "ds", 8, "search-api"),
    ("pkg-008", "ds", 8, None),
]
EXPECTED_TOTAL = 4 * 10 + 4 * 15 + 20 + 4 * 8 + 8  # = 160, against 200 - 3 reserved = 197 usable
GIT_MARKERS = "DataSource|TypeOrmModule|createConnection"
CONFIG_NAME = re.compile(r"(^|/)(ormconfig\.[^/]*|ecosystem[^/]*|postgresql\.conf|\.env[^/]*|package\.json)$")
DECOYS = [
    'import { DataSource } from "@angular/cdk/collections";\n\nexport class {N}DataSource extends DataSource<Row> {\n'
    "  connect() { return this.rows$; }\n  disconnect() {}\n}\n",
    'import { RESTDataSource } from "@apollo/datasource-rest";\n\nexport class {N}API extends RESTDataSource {\n'
    '  override baseURL = "https://api.example.com/";\n  get(id: string) { return this.get(`items/${id}`); }\n}\n',
    'import net from "node:net";\n\nexport const probe{N} = () =>\n'
    '  net.createConnection({ port: 6379, host: "redis" });\n',
    "// TODO(db): move this to the shared DataSource once the migration lands\nexport const {N} = 1;\n",
]


def ts_module(rng: random.Random, name: str) -> str:
    module = rng.choice(["react", "zod", "@nestjs/common"])
    body = [f'import {{ {rng.choice(["useState", "useMemo", "z", "Logger"])} }} from "{module}";\n']
    for i in range(rng.randint(1, 25)):
        body.append(
            f'export function {name}{i}(input: number, label = "{name}-{i}"): string {{\n'
            f"  const scaled = input * {rng.randint(2, 999)};\n  return `${{label}}:${{scaled}}`;\n}}\n\n"
        )
    return "".join(body)


def py_module(rng: random.Random, n: int) -> str:
    """An ordinary Python module: imports, a class, functions; no engine or pool."""
    body = [
        f'"""Tool {n}."""\n\nimport json\nimport os\nfrom dataclasses import dataclass\n\n\n@dataclass\nclass Row{n}:\n'
        '    id: int\n    name: str = ""\n\n'
    ]
    for i in range(rng.randint(2, 30)):
        body.append(
            f"\ndef t{n}_{i}(rows: list[Row{n}], limit: int = {i}) -> str:\n"
            f"    kept = [r for r in rows if r.id % {i + 2} == 0][:limit]\n"
            f"    return json.dumps([r.name for r in kept]) + os.sep\n"
        )
    return "".join(body)


def package_json(name: str, typeorm: bool) -> str:
    deps = {"typeorm": "^0.3.17", "pg": "^8.11.3", "reflect-metadata": "^0.2.1"} if typeorm else {"lodash": "^4.17.21"}
    manifest = {"name": f"@acme/{name}", "version": "1.0.0", "main": "dist/main.js", "dependencies": deps}
    return json.dumps(manifest, indent=2)


def write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def write_filler(root: Path, rng: random.Random, count: int, packages: int) -> None:
    """`count` irrelevant files, mostly TS/JS, plus ~1 decoy per 500 files."""
    dirs = ["src", "src/components", "src/lib/util", "src/routes/api/v1", "test", "scripts"]
    for n in range(count):
        pkg = f"packages/pkg-{n % packages:03d}"
        kind = rng.choices(["ts", "tsx", "js", "py", "md", "json", "png"], [40, 12, 10, 12, 10, 8, 8])[0]
        stem = f"{pkg}/{rng.choice(dirs)}/m{n:05d}"
        if n % 500 == 250:  # spread over the packages
            decoy = rng.choice(DECOYS).replace("{N}", f"D{n}")
            write(root, f"packages/pkg-{rng.randrange(packages):03d}/src/d{n:05d}.ts", decoy)
        elif kind in ("ts", "tsx", "js"):
            write(root, f"{stem}.{kind}", ts_module(rng, f"f{n}"))
        elif kind == "py":
            write(root, f"{pkg}/tools/t{n:05d}.py", py_module(rng, n))
        elif kind == "md":
            write(root, f"{pkg}/docs/n{n:05d}.md", f"# Note {n}\n\n" + "Lorem ipsum dolor. " * rng.randint(10, 150))
        elif kind == "json":
            rows = [{"id": i, "v": rng.random()} for i in range(rng.randint(5, 80))]
            write(root, f"{pkg}/fixtures/data-{n:05d}.json", json.dumps(rows))
        else:
            write(root, f"{pkg}/assets/img-{n:05d}.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(200, 3000)))


def write_configs(root: Path) -> list[str]:
    written = {
        ".gitignore": "node_modules/\ndist/\n",
        ".env": "LOG_LEVEL=info\n",
        "db/postgresql.conf": "# tuned for the 8 GB primary\nlisten_addresses = '*'\nmax_connections = 200\n"
        "shared_buffers = 2GB\nwork_mem = 16MB\n",
    }
    apps = []
    for pkg, kind, size, app in CONFIGS:
        base = f"packages/{pkg}"
        written[f"{base}/.env"] = "DB_HOST=db.internal\nDB_PORT=5432\n"
        written[f"{base}/.env.example"] = "DB_HOST=\nDB_PASSWORD=\n"
        if kind == "orm":
            written[f"{base}/ormconfig.json"] = json.dumps(
                {
                    "type": "postgres",
                    "host": "db.internal",
                    "port": 5432,
                    "database": "app",
                    "connectTimeoutMS": 5000,
                    "extra": {"max": size},
                },
                indent=2,
            )
        else:
            written[f"{base}/src/data-source.ts"] = (
                'import { DataSource } from "typeorm";\n\nexport const AppDataSource = new DataSource({\n'
                '  type: "postgres",\n  host: process.env.DB_HOST,\n  connectTimeoutMS: 5000,\n'
                f"  poolSize: {size},\n}});\n"
            )
        if app:
            apps.append(
                f'    {{ name: "{app}", cwd: "{base}", script: "dist/main.js", instances: 4, exec_mode: "cluster" }},\n'
            )
    written["ecosystem.config.js"] = "module.exports = {\n  apps: [\n" + "".join(apps) + "  ],\n};\n"
    for relative, content in written.items():
        write(root, relative, content)
    return list(written)


MANIFEST_SERVICES = 150  # deploy/manifests/svc-NNN.yaml: Deployment + Service + ConfigMap + HPA each
GENERATED_DOCUMENTS = 1_200  # deploy/manifests/generated/all.yaml: one rendered file of ~0.9 MB


def manifest(name: str, rng: random.Random) -> str:
    """A Go service's Deployment, Service, ConfigMap and HPA, as a GitOps repository holds them (no pool of ours)."""
    replicas, surge = rng.randint(2, 6), rng.choice(["25%", "1", "50%"])
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\n"
        f"spec:\n  replicas: {replicas}\n  strategy:\n    rollingUpdate:\n      maxSurge: {surge!r}\n"
        f"  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n"
        f"        app: {name}\n    spec:\n      containers:\n        - name: {name}\n"
        f"          image: registry.example.com/shop/{name}:1.{rng.randint(0, 40)}.0\n"
        '          command: ["/app/server", "--listen", ":8080"]\n'
        f"          envFrom:\n            - configMapRef:\n                name: {name}-config\n"
        "          resources:\n            limits:\n              cpu: 500m\n              memory: 256Mi\n"
        f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: shop\nspec:\n"
        f"  selector:\n    app: {name}\n  ports:\n    - port: 80\n      targetPort: 8080\n"
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: shop\n"
        f"data:\n  LOG_LEVEL: info\n  UPSTREAM: http://{name}-backend\n"
        f"---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n"
        f"  namespace: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n"
        f"    name: {name}\n  minReplicas: {replicas}\n  maxReplicas: {replicas * 3}\n"
    )


def write_manifests(root: Path, rng: random.Random) -> None:
    """Kubernetes manifests: one file per service, and one large rendered file of many documents."""
    for n in range(MANIFEST_SERVICES):
        write(root, f"deploy/manifests/svc-{n:03d}.yaml", manifest(f"svc-{n:03d}", rng))
    documents = [manifest(f"gen-{n:04d}", rng) for n in range(GENERATED_DOCUMENTS // 4)]
    write(root, "deploy/manifests/generated/all.yaml", "---\n".join(documents))


def write_node_modules(root: Path, rng: random.Random) -> None:
    for n in range(NODE_MODULES_FILES):
        lib = f"node_modules/{'typeorm' if n % 10 == 0 else f'lib-{n % 40:02d}'}"
        if n % 10 == 0:  # looks exactly like what pgconnlint looks for: must never be read
            write(root, f"{lib}/src/f{n}.js", "const ds = new DataSource({ type: 'postgres', poolSize: 999 });\n")
        else:
            write(root, f"{lib}/lib/f{n}.js", ts_module(rng, f"n{n}"))
    write(root, "node_modules/lib-00/ormconfig.json", '{"type": "postgres", "extra": {"max": 999}}')


def build_tree(root: Path, files: int) -> int:
    rng = random.Random(20240601)
    configs = write_configs(root)
    packages = max(10, files // 100)
    for pkg in range(packages):
        name = f"pkg-{pkg:03d}"
        write(root, f"packages/{name}/package.json", package_json(name, any(c[0] == name for c in CONFIGS)))
        write(root, f"packages/{name}/README.md", f"# {name}\n")
    write_filler(root, rng, files - len(configs) - 2 * packages - MANIFEST_SERVICES - 1, packages)
    write_manifests(root, rng)
    write_node_modules(root, rng)
    git = ["git", "-C", str(root), "-c", "user.email=bench@example.com", "-c", "user.name=bench"]
    for args in (["-c", "init.defaultBranch=main", "init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(git + args, check=True)
    return len(subprocess.run(git + ["ls-files"], capture_output=True, text=True, check=True).stdout.splitlines())


def run(args: list[str], ok=(0,), cwd: Path = REPO) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)})
    if result.returncode not in ok:
        sys.exit(f"{' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def git_floor(tree: Path) -> int:
    """The historic floor: three TypeORM names in *.ts/*.js, and the config files by name."""
    grep = run(["git", "grep", "-l", "-E", GIT_MARKERS, "--", "*.ts", "*.js"], ok=(0, 1), cwd=tree).stdout.splitlines()
    names = [n for n in run(["git", "ls-files"], cwd=tree).stdout.splitlines() if CONFIG_NAME.search(n)]
    return len(set(grep) | set(names))


def peak_memory(args: list[str], cwd: Path = REPO) -> int:
    """The largest resident set, in KiB, of one run of `args` (Linux wait4; 0 where the platform lacks it)."""
    with tempfile.TemporaryFile() as sink:
        child = subprocess.Popen(args, cwd=cwd, stdout=sink, stderr=sink, env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            _pid, _status, usage = os.wait4(child.pid, 0)
        except (AttributeError, ChildProcessError):
            child.wait()
            return 0
        child.returncode = 0  # reaped by wait4
        return usage.ru_maxrss


def timed_together(measures: dict, repeat: int) -> dict[str, tuple[float, float]]:
    """(median, min) of each measure, run once per round after one warm-up round: a change in the machine's load
    falls on every measure alike, so the ratios of one run hold."""
    times: dict[str, list[float]] = {key: [] for key in measures}
    for round_ in range(repeat + 1):
        for key, function in measures.items():
            start = time.perf_counter()
            function()
            if round_:
                times[key].append(time.perf_counter() - start)
    return {key: (statistics.median(spent), min(spent)) for key, spent in times.items()}


def check_document(document: dict) -> dict:
    server = next((s for s in document["servers"] if s["name"] == "db/postgresql.conf"), None)
    assert server is not None, f"db/postgresql.conf is not a server: {[s['name'] for s in document['servers']]}"
    assert server["usable"] == 197 and not server["assumed"], server
    paths = json.dumps(document["findings"]) + json.dumps(server["terms"])
    assert "node_modules" not in paths, "a finding or budget term points into node_modules/"
    return server


def bench(tree: Path, files: int, repeat: int, parse_all: bool = False) -> None:
    py = sys.executable
    check = [py, "-m", "pgconnlint", "check", str(tree), "--format", "json"]
    document = json.loads(run(check, ok=(0, 1)).stdout)
    server = check_document(document)
    script = Path(py).parent / "pgconnlint"  # the console script pip wrote (it imports `re` first)
    pgconnlint = [py, "-m", "pgconnlint"]
    measures = {
        "check": ("(a) pgconnlint check --format json", lambda: run(check, ok=(0, 1))),
        "floor": ("(b) git grep 3 names + ls-files (historic)", lambda: git_floor(tree)),
        "same": (f"(b) git grep -l of the {len(marker_names())} markers", lambda: marker_floor(tree)),
        "import": ("(c) python -c 'import pgconnlint.cli'", lambda: run([py, "-c", "import pgconnlint.cli"])),
        "rules": ("(c) python -m pgconnlint rules", lambda: run([*pgconnlint, "rules"])),
        "explain": ("(c) python -m pgconnlint explain PGC101", lambda: run([*pgconnlint, "explain", "PGC101"])),
        "version": ("(c) python -m pgconnlint --version", lambda: run([*pgconnlint, "--version"])),
        "script": ("(c) pgconnlint --version (console script)", lambda: run([str(script), "--version"])),
        "pass": ("(c) python -c pass", lambda: run([py, "-c", "pass"])),
    }
    if not script.exists():
        del measures["script"]
    times = timed_together({key: function for key, (_, function) in measures.items()}, repeat)
    rows = {key: (label, times[key]) for key, (label, _) in measures.items()}
    print(f"tree: {tree}  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {repeat} repeats)")
    print(f"files in tree (git ls-files)      {files:>8}   (+{NODE_MODULES_FILES} in git-ignored node_modules/)")
    print(f"candidates: pgconnlint / git floor {document['summary']['files']:>7} / {git_floor(tree)}")
    print(f"files with a marker (same names)   {marker_floor(tree):>7}")
    print(
        f"findings                          {len(document['findings']):>8}   "
        f"({', '.join(sorted(f['code'] for f in document['findings']))})"
    )
    print(
        f"total connections                 {server['total']:>8}   of {server['usable']} usable "
        f"(expected {EXPECTED_TOTAL})"
    )
    print(f"\n{'':42} {'median s':>9} {'min s':>8}")
    for label, (median, low) in rows.values():
        print(f"{label:42} {median:9.3f} {low:8.3f}")
    print()
    for floor, name in (("floor", "historic floor"), ("same", "same-names floor (issue 19: <= 2x)")):
        median, low = ratio(rows, "check", floor, 0), ratio(rows, "check", floor, 1)
        print(f"ratio (a) / {name}: {median:.1f}x median, {low:.1f}x min")
    for command in ("version", "script"):
        if command in rows:
            median, low = ratio(rows, command, "pass", 0), ratio(rows, command, "pass", 1)
            print(
                f"ratio {rows[command][0][4:]} / python -c pass: {median:.2f}x median, {low:.2f}x min (target <= 1.5x)"
            )
    print(f"peak memory of (a): {peak_memory(check) / 1024:.0f} MiB")
    size, documents, seconds = read_generated_manifest(tree)
    print(f"(e) the rendered manifest deploy/manifests/generated/all.yaml: {size / 1024:.0f} KiB, {documents} facts")
    print(f"    extracted in {seconds:.3f} s (once, in-process); {MANIFEST_SERVICES} small manifests are part of (a)")
    composed, documents = compose_manifests(tree, repeat)
    floor, start = rows["same"][1][1], rows["pass"][1][1]
    print(f"(f) libyaml composing the {documents} manifest documents alone, no value built: {composed:.3f} s (min),")
    print(f"    {composed / floor:.1f}x the same-names floor; with python -c pass: {(composed + start) / floor:.1f}x")
    if parse_all:
        parsed, seconds = parse_every_python_file(tree)
        print(f"(d) libcst on every .py file, no pre-filter: {parsed} files in {seconds:.3f} s (once, in-process);")
        print("    the pre-filter parses only the files that mention an engine or pool call")


def ratio(rows: dict, over: str, under: str, column: int) -> float:
    """rows[over] / rows[under]; column 0: the medians, 1: the minima."""
    return rows[over][1][column] / rows[under][1][column]


def marker_names() -> tuple[bytes, ...]:
    """Every content marker discovery searches for, from pgconnlint/discover.py itself."""
    sys.path.insert(0, str(REPO))
    from pgconnlint import discover

    return discover.MARKERS


def read_generated_manifest(tree: Path) -> tuple[int, int, float]:
    """The largest manifest of the tree through the Kubernetes front end: the per-file cost a rendered chart has."""
    sys.path.insert(0, str(REPO))
    from pgconnlint.extract import kubernetes

    text = (tree / "deploy/manifests/generated/all.yaml").read_text()
    start = time.perf_counter()
    found, _problems = kubernetes.extract("deploy/manifests/generated/all.yaml", text)
    return len(text.encode()), len(found), time.perf_counter() - start


def compose_manifests(tree: Path, repeat: int) -> tuple[float, int]:
    """The least any reader of these manifests pays: PyYAML's libyaml composer on every document of deploy/, the
    nodes built and dropped, no value converted (min of `repeat` rounds, in-process), and the document count."""
    sys.path.insert(0, str(REPO))
    import yaml

    from pgconnlint.extract import yamlsource

    texts = [path.read_text() for path in sorted((tree / "deploy").rglob("*.yaml"))]
    chunks = [chunk for text in texts for _, chunk in yamlsource._split_documents(text)]
    loader = yamlsource._loader()
    spent = []
    for _ in range(repeat):
        start = time.perf_counter()
        for chunk in chunks:
            for _node in yaml.compose_all(chunk, Loader=loader):
                pass
        spent.append(time.perf_counter() - start)
    return min(spent), len(chunks)


def parse_every_python_file(tree: Path) -> tuple[int, float]:
    """What the text pre-filter saves: parsing each Python file of the tree with libcst, as a naive linter would."""
    sys.path.insert(0, str(REPO))
    from pgconnlint.extract.python import PySource

    listed = subprocess.run(["git", "-C", str(tree), "ls-files", "*.py"], capture_output=True, text=True, check=True)
    files = [tree / name for name in listed.stdout.splitlines()]
    start = time.perf_counter()
    for path in files:
        PySource.parse(str(path), path.read_text())
    return len(files), time.perf_counter() - start


def corpus_cases(scratch: Path, case_files: list[Path]) -> list[tuple[str, Path, int]]:
    """(name, folder to check, CPUs) of every materialised case: from the corpus files when given, else each git
    work tree under `scratch` at its root with 4 CPUs."""
    cases = [case for file in case_files for case in json.loads(file.read_text())]
    if not cases:
        cases = [{"name": p.name} for p in sorted(scratch.iterdir()) if (p / ".git").exists()]
    found = [(c["name"], scratch / c["name"] / c.get("subdir", ""), c.get("cpus", 4)) for c in cases]
    return [(name, folder, cpus) for name, folder, cpus in found if folder.is_dir()]


def marker_floor(tree: Path) -> int:
    """`git grep -l` of the content markers discovery uses (pgconnlint/discover.py MARKERS, so the floor cannot drift
    from what the tool searches), over every tracked file of the tree."""
    patterns = [arg for marker in marker_names() for arg in ("-e", marker.decode())]
    found = run(["git", "grep", "-l", "-z", "-I", "-F", *patterns], ok=(0, 1), cwd=tree).stdout
    return len([name for name in found.split("\0") if name])


def bench_corpus(scratch: Path, case_files: list[Path], repeat: int) -> None:
    py = sys.executable
    print(f"corpus: {scratch}  (python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {repeat} repeats)\n")
    print(f"{'case':32} {'files':>6} {'check s':>8} {'min s':>7} {'grep s':>7} {'ratio':>6} {'peak MiB':>9}")
    for name, folder, cpus in corpus_cases(scratch, case_files):
        check = [py, "-m", "pgconnlint", "check", "--format", "json", "--cpus", str(cpus), "."]
        times = timed_together(
            {
                "check": lambda check=check, folder=folder: run(check, ok=(0, 1), cwd=folder),
                "grep": lambda folder=folder: marker_floor(folder),
            },
            repeat,
        )
        (median, low), (grep, _) = times["check"], times["grep"]
        files = len(run(["git", "ls-files"], cwd=folder).stdout.splitlines())
        memory = peak_memory(check, cwd=folder) / 1024
        print(f"{name:32} {files:>6} {median:8.2f} {low:7.2f} {grep:7.3f} {median / grep:5.0f}x {memory:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000, help="tracked files in the tree (default 20000)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the tree here (new or empty) and keep it")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement (default 5)")
    parser.add_argument("--reuse", type=Path, metavar="DIR", help="time a tree an earlier --keep built, as it is")
    parser.add_argument("--parse-all", action="store_true", help="(d): also parse every .py file with libcst (slow)")
    parser.add_argument("--corpus", type=Path, metavar="SCRATCH", help="time the corpus cases materialised here")
    parser.add_argument("--cases", type=Path, nargs="*", default=[], metavar="FILE.json", help="corpus case files")
    args = parser.parse_args()
    if args.corpus:
        bench_corpus(args.corpus.resolve(), args.cases, args.repeat)
        return
    if args.reuse:
        listed = run(["git", "ls-files"], cwd=args.reuse).stdout.splitlines()
        bench(args.reuse.resolve(), len(listed), args.repeat, args.parse_all)
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        if any(args.keep.iterdir()):
            sys.exit(f"{args.keep}: not empty")
        bench(args.keep.resolve(), build_tree(args.keep, args.files), args.repeat, args.parse_all)
        return
    with tempfile.TemporaryDirectory(prefix="pgconnlint-bench-") as tmp:
        bench(Path(tmp), build_tree(Path(tmp), args.files), args.repeat, args.parse_all)


if __name__ == "__main__":
    main()
