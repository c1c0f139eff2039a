"""pgconnlint: static checks of ORM, process-manager and PostgreSQL configuration."""

__version__ = "0.1.0"
VERSION = f"pgconnlint {__version__}"  #: what `--version` prints (pgconnlint/__main__.py, cli.py)
