"""Shared by the server-settings rules: each server's settings with the catalogue of the target version."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.linked import Project, Server
from pgconnlint.model import ServerSetting
from pgconnlint.parameters import Catalogue, load


def configured(project: Project) -> Iterator[ServerSetting]:
    """Every setting of every server read from the repository, once per place it is written."""
    seen = set()
    for server in project.servers:
        for setting in server.config.settings.values() if server.config else ():
            if (setting.value.location, setting.name) not in seen:  # -c options share their command's line
                seen.add((setting.value.location, setting.name))
                yield setting


def catalogue(project: Project) -> Catalogue:
    return load(project.postgres_version)


def setting_value(server: Server, name: str) -> ServerSetting | None:
    return server.config.settings.get(name) if server.config else None
