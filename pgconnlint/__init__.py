"""pgconnlint: static checks of ORM, process-manager and PostgreSQL configuration."""

__version__ = "0.1.0"
