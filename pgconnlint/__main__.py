"""`python -m pgconnlint` and the `pgconnlint` command. `--version` answers before the command line, the model and
the catalogue are imported: a bare interpreter start is the floor (issue 19, bench/README.md)."""

import sys


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        from pgconnlint import VERSION

        print(VERSION)
        return 0
    from pgconnlint.cli import main as run

    return run(argv)


if __name__ == "__main__":
    raise SystemExit(main())
