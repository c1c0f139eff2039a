"""PGC314 server-memory-exceeded. Docs and examples: rules/PGC314.md."""

from __future__ import annotations

from collections.abc import Iterator

from pgconnlint.checks._server_settings import catalogue, setting_value
from pgconnlint.checks.options import CheckOptions
from pgconnlint.findings import Finding, finding
from pgconnlint.linked import Project
from pgconnlint.parameters import bytes_of

_MB = 1024**2


def check(project: Project, options: CheckOptions) -> Iterator[Finding]:
    if options.server_memory is None:
        return
    known = catalogue(project)
    for server in project.servers:
        if server.config is None:
            continue
        shared, shared_from = _memory(server, known, "shared_buffers", 128 * _MB)
        work_mem, work_mem_from = _memory(server, known, "work_mem", 4 * _MB)
        connections = server.max_connections.value
        need = shared + connections * work_mem
        if need > options.server_memory:
            yield finding(
                "PGC314",
                server.max_connections.location,
                f"shared_buffers {shared // _MB}MB [{shared_from}] + max_connections {connections}"
                f" [{server.max_connections.location.short}] × work_mem {work_mem // _MB}MB [{work_mem_from}] ="
                f" {need // _MB}MB, more than the {options.server_memory // _MB}MB declared as server-memory,"
                " with one sort per connection",
                help="lower work_mem or max_connections (a pooler lets fewer connections serve the same apps)",
            )


def _memory(server, known, name: str, default: int) -> tuple[int, str]:
    setting = setting_value(server, name)
    value = bytes_of(known.parameters[name], setting.text) if setting else None
    if value is None:
        return default, "PostgreSQL default"
    return value, setting.value.location.short
