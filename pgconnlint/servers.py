"""The servers of the tree, as the linker hands them to the budget: each PostgreSQL container with the settings it
starts with (its command line over the postgresql.conf it mounts), then each postgresql.conf no container reads, and
the PgBouncers in front of them."""

from __future__ import annotations

from dataclasses import replace

from pgconnlint.linked import Facts, LinkError, LinkSettings, Server
from pgconnlint.model import Bouncer, Default, Known, Location, ParseProblem, ServerCommand, ServerConfig, ServerSetting

# --- servers ----------------------------------------------------------------------------------------


def link_servers(facts: Facts, settings: LinkSettings, problems: list[ParseProblem]) -> tuple[Server, ...]:
    """The servers of the tree: each container that starts PostgreSQL (its command line over the file it mounts
    as config_file), then each postgresql.conf no container reads. The first one is where the pools count."""
    configs = {config.name: config for config in facts.servers}
    mounted = {command.config_file for command in facts.server_commands if command.config_file}
    unread = [config for name, config in configs.items() if name not in mounted]
    # A compose service is the deployment's database; a `docker run` in CI is usually a test database.
    commands = sorted(
        facts.server_commands,
        key=lambda c: (" service " not in c.name, ".github/" in c.name or ".gitlab-ci" in c.name, c.name),
    )
    merged = [_command_config(command, configs.get(command.config_file or ""), unread) for command in commands]
    environments = {command.name: command.environment for command in facts.server_commands}
    # A primary before its read replicas (an Aurora reader, a CNPG standby): the pools count against the first.
    merged += sorted(unread, key=lambda c: (c.replica_of is not None, c.name.count("/"), c.name))
    if settings.server_profile is not None:  # the production server, which the repository does not describe
        merged.insert(0, settings.server_profile)
    if not merged:
        return (defaults_server(),)
    if settings.server is not None:
        merged.sort(key=lambda config: config.name != settings.server)
        if merged[0].name != settings.server:
            found = ", ".join(config.name for config in merged)
            raise LinkError(f"`server` is {settings.server!r}, but the servers found are: {found}")
    return tuple(
        replace(_server(config, settings, problems), environment=environments.get(config.name, ())) for config in merged
    )


def _command_config(command: ServerCommand, base: ServerConfig | None, unread: list[ServerConfig]) -> ServerConfig:
    """Command-line settings over the mounted config_file (PostgreSQL's precedence), each saying what it overrode."""
    values = dict(base.settings) if base else {}
    for name, value in command.settings:
        earlier = values.get(name)
        previous = (earlier.value, *earlier.overridden) if earlier else ()
        via = value.via
        if earlier is not None:
            via += f", overriding {earlier.value.value} from {earlier.value.location.short}"
        else:
            ignored = next((c.settings[name].value for c in unread if name in c.settings), None)
            if ignored is not None:
                via += f"; {ignored.location.short} sets {ignored.value} but this server does not read that file"
        values[name] = ServerSetting(name, Known(value.value, value.location, via), previous, str(value.value))
    hosts = command.hosts + (base.hosts if base else ())
    return ServerConfig(command.name, command.location, values, base.defaults if base else {}, hosts)


def defaults_server() -> Server:
    nowhere = Location("postgresql.conf", 1)
    why = "PostgreSQL default; no postgresql.conf in the repository"
    return Server(
        "PostgreSQL defaults",
        nowhere,
        Default(100, nowhere, why),
        Default(3, nowhere, why),
        Default(0, nowhere, why),
        assumed=True,
    )


def _server(config: ServerConfig, settings: LinkSettings, problems: list[ParseProblem]) -> Server:
    reserved = _setting(config, "reserved_connections", 0, problems)
    if settings.postgres_version is not None and settings.postgres_version < 16:
        why = f"reserved_connections exists from PostgreSQL 16; the target is {settings.postgres_version}"
        reserved = Default(0, config.location, why)
    return Server(
        config.name,
        config.location,
        _setting(config, "max_connections", 100, problems),
        _setting(config, "superuser_reserved_connections", 3, problems),
        reserved,
        assumed=False,
        config=config,
    )


def _setting(config: ServerConfig, name: str, default: int, problems: list[ParseProblem]) -> Known | Default:
    """The value the budget uses; one the server would refuse is PGC311's to report, and the default stands in."""
    setting = config.settings.get(name)
    if setting is None:
        platform = config.defaults.get(name)  # a managed server's own default (its formula, its table)
        return platform or Default(default, config.location, f"PostgreSQL default; not set in {config.name}")
    value = setting.value
    if isinstance(value.value, int) and not isinstance(value.value, bool):
        return value
    why = f"PostgreSQL default, standing in: the server refuses {name} {value.value!r} and would not start (PGC311)"
    return Default(default, value.location, why)


def merge_bouncers(bouncers: list[Bouncer]) -> tuple[Bouncer, ...]:
    """A PgBouncer container that mounts a repository pgbouncer.ini is that file's bouncer, reachable by the
    container's names: one bouncer, not two. When a container is configured by its environment instead, a
    pgbouncer.ini that no container mounts is a file lying in the tree, not a running bouncer."""
    files = {bouncer.name: bouncer for bouncer in bouncers if bouncer.name.endswith("pgbouncer.ini")}
    by_environment = any(b.name not in files and b.config_file not in files for b in bouncers)
    if by_environment:
        mounted = {bouncer.config_file for bouncer in bouncers}
        bouncers = [bouncer for bouncer in bouncers if bouncer.name not in files or bouncer.name in mounted]
    merged, absorbed = [], set()
    for bouncer in bouncers:
        target = files.get(bouncer.config_file or "")
        if target is not None and target is not bouncer:
            absorbed.add(bouncer.name)
            files[target.name] = replace(
                target, hosts=target.hosts + bouncer.hosts, version=bouncer.version, replicas=bouncer.replicas
            )
    for bouncer in bouncers:
        if bouncer.name not in absorbed:
            merged.append(files.get(bouncer.name, bouncer))
    return tuple(merged)
