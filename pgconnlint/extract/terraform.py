"""Terraform: managed PostgreSQL servers (RDS, Aurora, Cloud SQL, Azure flexible server) and their connection limits.

`extract` parses one `.tf` file with python-hcl2 (never evaluating anything) into `TerraformBlock` facts: the
resources that describe servers and parameters, and the `variable` blocks whose defaults they may read.
`resolve` links them once every file is read: each DB instance, cluster instance, Cloud SQL instance or Azure
server becomes a `ServerConfig` whose settings come from its parameter group (or flags, or configurations), and
whose defaults come from the provider's tables (pgconnlint/providers.py). Read replicas and cluster readers are
servers of their own, with `replica_of` naming their primary.

What is not a literal or a `var.x` with a literal default (a function call, a local, a module output, a data
source) is never guessed: the setting is left out, so the provider's default or PostgreSQL's applies, and a
problem says which expression could not be read.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pgconnlint import providers
from pgconnlint.discover import read_text
from pgconnlint.extract import sql_limits, terraform_apps
from pgconnlint.model import (
    Bouncer,
    Default,
    EnvBinding,
    Known,
    Location,
    ParseProblem,
    ServerConfig,
    ServerSetting,
    Unknown,
)

#: python-hcl2 (Lark) parses about 110 KB a second here (a 1 MB file of RDS resources took 9 s): bigger files are
#: generated, not written, and are skipped with a note rather than stall a pre-commit run.
MAX_TERRAFORM_BYTES = 256 * 1024

_RESOURCES = frozenset(
    {
        "aws_db_instance",
        "aws_db_parameter_group",
        "aws_db_proxy",
        "aws_db_proxy_default_target_group",
        "aws_rds_cluster",
        "aws_rds_cluster_instance",
        "aws_rds_cluster_parameter_group",
        "google_sql_database_instance",
        "azurerm_postgresql_flexible_server",
        "azurerm_postgresql_flexible_server_configuration",
        "postgresql_role",  # the cyrilgdn/postgresql provider: connection limits (extract/sql_limits.py)
        "postgresql_database",
    }
)
_RESOURCES |= terraform_apps.APP_RESOURCES  # the apps and their autoscaling maxima (terraform_apps.py)
_SET_IT = "set max_connections explicitly (a parameter group, a database flag, a server configuration)"
_CONNECTION_PARAMETERS = ("max_connections", "superuser_reserved_connections", "reserved_connections")


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute as python-hcl2 serialises it: `'"text"'` for a string, `'${expr}'` for an expression."""

    value: object
    location: Location


@dataclass(frozen=True, slots=True)
class Body:
    location: Location
    attributes: dict[str, Attr]
    blocks: tuple[tuple[str, Body], ...] = ()

    def nested(self, name: str) -> list[Body]:
        return [body for kind, body in self.blocks if kind == name]


@dataclass(frozen=True, slots=True)
class TerraformBlock:
    """A `resource "type" "name" {…}` this module reads, or a `variable "name" {…}` (kind "variable", type "")."""

    kind: str  #: "resource", "data" or "variable"
    type: str  #: "aws_db_instance", …; "" for a variable
    name: str
    path: str  #: the .tf file, POSIX, relative to the root
    body: Body

    @property
    def location(self) -> Location:
        return self.body.location

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"

    @property
    def module(self) -> str:
        """The folder: Terraform resolves `var.x` and resource references within one module (one folder)."""
        return posixpath.dirname(self.path)


# --- extraction: one file ----------------------------------------------------------------------------------------


def extract(path: str, text: str) -> tuple[list[TerraformBlock], list[ParseProblem]]:
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_TERRAFORM_BYTES:
        note = f"{size} bytes of Terraform, over the {MAX_TERRAFORM_BYTES}-byte limit for HCL parsing; not read"
        help_text = "split the file (Terraform reads every .tf file of a module), or exclude it"
        return [], [ParseProblem(Location(path, 1), note, skipped=True, help=help_text)]
    tree, problem = _parse(path, text)
    if problem is not None:
        return [], [problem]
    kept = {"resource": _RESOURCES, "data": terraform_apps.APP_DATA_SOURCES}
    blocks = [block for block in _blocks(path, tree) if block.kind == "variable" or block.type in kept[block.kind]]
    return blocks, []


def _parse(path: str, text: str):
    import hcl2
    from lark.exceptions import LarkError, UnexpectedInput

    try:
        return hcl2.parses(text), None
    except UnexpectedInput as error:
        line, column = max(getattr(error, "line", 1) or 1, 1), max(getattr(error, "column", 1) or 1, 1)
        token = getattr(error, "token", None)
        found = (
            f"unexpected {str(token).strip()[:40]!r}" if token is not None and str(token).strip() else "unexpected end"
        )
        message = f"not valid HCL at line {line}, column {column}: {found}; the file is not read"
        return None, ParseProblem(Location(path, line, column), message)
    except (LarkError, ValueError, RuntimeError, TypeError, IndexError) as error:
        return None, ParseProblem(Location(path, 1), f"not valid HCL: {error}"[:300])


def _blocks(path: str, tree) -> Iterator[TerraformBlock]:
    from hcl2.rules.base import BlockRule

    for child in tree.body.children:
        if not isinstance(child, BlockRule):
            continue
        labels = [_label(label) for label in child.labels]
        if labels[0] in ("resource", "data") and len(labels) == 3:
            yield TerraformBlock(labels[0], labels[1], labels[2], path, _body(path, child))
        elif labels[0] == "variable" and len(labels) == 2:
            yield TerraformBlock("variable", "", labels[1], path, _body(path, child))


def _label(label) -> str:
    return str(label.serialize()).strip('"')


def _body(path: str, block) -> Body:
    from hcl2.rules.base import AttributeRule, BlockRule

    attributes: dict[str, Attr] = {}
    nested: list[tuple[str, Body]] = []
    for child in block.body.children:
        if isinstance(child, AttributeRule):
            try:
                value = child.expression.serialize()
            except (ValueError, RuntimeError, TypeError, AttributeError):
                value = "${…}"
            attributes[str(child.identifier.serialize())] = Attr(value, _where(path, child))
        elif isinstance(child, BlockRule):
            nested.append((_label(child.labels[0]), _body(path, child)))
    return Body(_where(path, block), attributes, tuple(nested))


def _where(path: str, rule) -> Location:
    meta = getattr(rule, "_meta", None)  # python-hcl2 keeps Lark's positions (propagate_positions) on each rule
    line = getattr(meta, "line", None) if meta is not None and not getattr(meta, "empty", True) else None
    return Location(path, line or 1)


# --- values ----------------------------------------------------------------------------------------------------


_STRING = re.compile(r'^"((?:[^"\\$]|\\.|\$(?!\{))*)"$', re.S)
_EXPRESSION = re.compile(r"^\$\{(.*)\}$", re.S)
_VARIABLE = re.compile(r"^var\.([A-Za-z_][\w-]*)$")
_REFERENCE = re.compile(r"^([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(?:\[\d+\])?\.(\w+)$")


class _Resolver:
    """Turns attributes into values: literals as they are, `var.x` through the module's variable defaults."""

    def __init__(self, variables: dict[tuple[str, str], TerraformBlock], problems: list[ParseProblem]) -> None:
        self.variables, self.problems = variables, problems

    def value(self, block: TerraformBlock, attr: Attr | None) -> Known | Unknown | None:
        if attr is None:
            return None
        literal = _literal(attr.value)
        if literal is not None:
            return Known(literal, attr.location, attr.location.short)
        expression = _expression(attr.value)
        variable = _VARIABLE.match(expression or "")
        if variable is not None:
            return self._variable(block.module, variable.group(1), attr)
        return Unknown(expression or str(attr.value), attr.location, "not a literal: Terraform computes it")

    def _variable(self, module: str, name: str, used: Attr) -> Known | Unknown:
        declared = self.variables.get((module, name))
        default = declared.body.attributes.get("default") if declared else None
        literal = _literal(default.value) if default else None
        if literal is None:
            why = "no literal default in the module" if declared else "no `variable` block in the module"
            return Unknown(f"var.{name}", used.location, f"{why}; its value comes from tfvars or -var")
        via = f"default of variable {name} ({default.location.short}; tfvars and -var can override it)"
        return Known(literal, default.location, via)

    def reference(self, attr: Attr | None) -> tuple[str, str, str] | None:
        """`aws_db_parameter_group.main.name` → ("aws_db_parameter_group", "main", "name")."""
        match = _REFERENCE.match(_expression(attr.value) or "") if attr else None
        return match.groups() if match else None

    def note(self, value: Unknown, what: str) -> None:
        """A value Terraform computes: valid Terraform that pgconnlint cannot read, so a skip (PGC002), not a syntax
        error; the provider's or PostgreSQL's default stands in for it."""
        message = f"{what} is `{value.expression}`: {value.reason}; not read, a default stands in for it"
        self.skip(value.location, message, "write the value (or a variable with a literal default) where it is read")

    def skip(self, where: Location, message: str, help_text: str) -> None:
        """Valid Terraform that pgconnlint cannot use (a computed value, a size missing from its tables): PGC002."""
        self.problems.append(ParseProblem(where, message, skipped=True, help=help_text))


def _literal(value: object) -> object | None:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        match = _STRING.match(value)
        if match is not None:
            return match.group(1).replace('\\"', '"').replace("\\\\", "\\")
    return None


def _expression(value: object) -> str | None:
    match = _EXPRESSION.match(value) if isinstance(value, str) else None
    return match.group(1).strip() if match else None


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    return None


# --- resolution: every file read ----------------------------------------------------------------------------


def resolve(root: Path, facts) -> None:
    blocks = [item for item in facts.deployment if isinstance(item, TerraformBlock)]
    blocks += _module_variables(root, blocks, facts.problems)
    variables = {(b.module, b.name): b for b in blocks if b.kind == "variable"}
    resolver = _Resolver(variables, facts.problems)
    index = _Index(blocks)
    servers: list[ServerConfig] = []
    servers += _rds_instances(index, resolver)
    servers += _aurora_instances(index, resolver)
    servers += _cloudsql_instances(index, resolver)
    servers += _azure_servers(index, resolver)
    facts.servers.extend(servers)
    facts.bouncers.extend(_rds_proxies(index, resolver))
    facts.credentials.extend(_passwords(blocks, resolver))
    facts.connection_limits.extend(sql_limits.from_terraform(blocks, resolver))
    data = [block for block in blocks if block.kind == "data"]
    terraform_apps.resolve(root, index, resolver, facts, data)


_PASSWORD_ATTRIBUTES = ("password", "master_password", "administrator_password", "administrator_login_password")


def _passwords(blocks: list[TerraformBlock], resolver: _Resolver) -> list[EnvBinding]:
    """A server's password written in the module, or as a variable's default: committed values PGC403 reads."""
    found = []
    for block in blocks:
        for name in _PASSWORD_ATTRIBUTES if block.kind == "resource" else ():
            value = resolver.value(block, block.body.attributes.get(name))
            if isinstance(value, Known) and isinstance(value.value, str) and value.value:
                found.append(EnvBinding(name, value.value, value.location, f"{block.address} in {block.path}"))
    return found


def _module_variables(root: Path, blocks: list[TerraformBlock], problems: list[ParseProblem]) -> list[TerraformBlock]:
    """`variable` blocks of the modules' other .tf files (variables.tf holds no resource the discovery looks for)."""
    read = {block.path for block in blocks}
    found: list[TerraformBlock] = []
    for module in sorted({block.module for block in blocks if block.kind == "resource"}):
        folder = root / module if module else root
        for file in sorted(folder.glob("*.tf")):
            path = f"{module}/{file.name}" if module else file.name
            if path in read:
                continue
            text = read_text(root, path)
            if isinstance(text, ParseProblem):
                problems.append(text)
                continue
            extracted, trouble = extract(path, text)
            problems.extend(trouble)
            found += [block for block in extracted if block.kind == "variable"]
    return found


class _Index:
    def __init__(self, blocks: list[TerraformBlock]) -> None:
        self.blocks = [block for block in blocks if block.kind == "resource"]

    def of(self, type_: str) -> list[TerraformBlock]:
        return [block for block in self.blocks if block.type == type_]

    def named(self, type_: str, module: str, name: str) -> TerraformBlock | None:
        return next((b for b in self.of(type_) if b.module == module and b.name == name), None)

    def by_attribute(self, type_: str, module: str, attribute: str, value: object) -> TerraformBlock | None:
        return next(
            (
                b
                for b in self.of(type_)
                if b.module == module and _literal(getattr(b.body.attributes.get(attribute), "value", None)) == value
            ),
            None,
        )


def _rds_proxies(index: _Index, resolver: _Resolver) -> list[Bouncer]:
    """Each PostgreSQL `aws_db_proxy`, reachable by its `name` (its endpoint's first label), with its default target
    group's connection_pool_config.max_connections_percent; pgconnlint/pooler.py completes its settings."""
    found = []
    for proxy in index.of("aws_db_proxy"):
        family = resolver.value(proxy, proxy.body.attributes.get("engine_family"))
        if isinstance(family, Known) and str(family.value).upper() != "POSTGRESQL":
            continue
        name = resolver.value(proxy, proxy.body.attributes.get("name"))
        called = str(name.value) if isinstance(name, Known) else proxy.name
        settings = {}
        for group in index.of("aws_db_proxy_default_target_group"):
            attr = group.body.attributes.get("db_proxy_name")
            target, written = resolver.reference(attr), resolver.value(group, attr)
            if group.module == proxy.module and (
                (target and target[:2] == ("aws_db_proxy", proxy.name))
                or (isinstance(written, Known) and written.value == called)
            ):
                for config in group.body.nested("connection_pool_config"):
                    percent = resolver.value(group, config.attributes.get("max_connections_percent"))
                    settings.update({"max_connections_percent": percent} if percent is not None else {})
        found.append(Bouncer(f"AWS RDS Proxy {called}", proxy.location, settings, (), (called,)))
    return found


def _server_name(block: TerraformBlock, index: int | None = None) -> str:
    suffix = f"[{index}]" if index is not None else ""
    return f"{block.path} {block.address}{suffix}"


# --- RDS ---------------------------------------------------------------------------------------------------------


def _rds_instances(index: _Index, resolver: _Resolver) -> list[ServerConfig]:
    instances = [b for b in index.of("aws_db_instance") if _is_postgres(b, resolver, ("postgres",))]
    names = {(b.module, b.name): _server_name(b) for b in instances}
    identifiers = {}
    for block in instances:
        identifier = resolver.value(block, block.body.attributes.get("identifier"))
        if isinstance(identifier, Known):
            identifiers[(block.module, str(identifier.value))] = names[(block.module, block.name)]
    servers = []
    for block in instances:
        group = _parameter_group(index, resolver, block, "parameter_group_name", "aws_db_parameter_group")
        primary = _replica_source(resolver, block, names, identifiers)
        servers.append(_rds_server(block, resolver, group, None, primary, "RDS"))
    return servers


def _is_postgres(block: TerraformBlock, resolver: _Resolver, engines: tuple[str, ...]) -> bool:
    """A replica without `engine` inherits its source's; an engine Terraform computes is kept, and said."""
    engine = resolver.value(block, block.body.attributes.get("engine"))
    if engine is None:
        return "replicate_source_db" in block.body.attributes
    if isinstance(engine, Unknown):
        resolver.note(engine, f"{block.address} engine")
        return True
    return str(engine.value) in engines


def _replica_source(resolver: _Resolver, block, names: dict, identifiers: dict) -> str | None:
    attr = block.body.attributes.get("replicate_source_db")
    if attr is None:
        return None
    reference = resolver.reference(attr)
    if reference and reference[0] == "aws_db_instance":
        return names.get((block.module, reference[1]))
    value = resolver.value(block, attr)
    if isinstance(value, Known):
        return identifiers.get((block.module, str(value.value)), str(value.value))
    return value.expression if isinstance(value, Unknown) else None


def _parameter_group(index: _Index, resolver: _Resolver, block, attribute: str, group_type: str):
    """The parameter group resource an instance names by reference or by its literal `name`; None for AWS's default
    group (or a group outside the tree, which is reported)."""
    attr = block.body.attributes.get(attribute)
    if attr is None:
        return None
    reference = resolver.reference(attr)
    if reference and reference[0] == group_type:
        return index.named(group_type, block.module, reference[1])
    value = resolver.value(block, attr)
    if isinstance(value, Known):
        group = index.by_attribute(group_type, block.module, "name", value.value)
        if group is None and not str(value.value).startswith("default."):
            message = f"{block.address} uses parameter group {value.value!r}, not in this module; not read"
            resolver.skip(attr.location, message, "declare the parameter group in the module, or set `server`")
        return group
    if isinstance(value, Unknown):
        resolver.note(value, f"{block.address} {attribute}")
    return None


def _parameters(group: TerraformBlock | None) -> dict[str, tuple[Attr, Attr]]:
    """`parameter { name = "max_connections" value = "…" }` → name → (value attribute, name attribute)."""
    found = {}
    for parameter in group.body.nested("parameter") if group else ():
        name, value = parameter.attributes.get("name"), parameter.attributes.get("value")
        if name is not None and value is not None and isinstance(_literal(name.value), str):
            found[str(_literal(name.value)).lower()] = (value, name)
    return found


def _rds_server(block, resolver: _Resolver, group, cluster_group, primary: str | None, engine: str, count=None):
    where = block.location
    instance_class = resolver.value(block, block.body.attributes.get("instance_class"))
    klass = str(instance_class.value) if isinstance(instance_class, Known) else None
    if isinstance(instance_class, Unknown):
        resolver.note(instance_class, f"{block.address} instance_class")
    parameters = {
        **_parameters(cluster_group),
        **_parameters(group),
    }  # the instance's own group wins over the cluster's
    settings: dict[str, ServerSetting] = {}
    for name in parameters:
        if "." not in name:  # rds.*, pg_stat_statements.*: the provider's or an extension's, not PostgreSQL's
            setting = _rds_setting(block, resolver, name, parameters[name], klass, group or cluster_group)
            if setting is not None:
                settings[name] = setting
    defaults: dict[str, Default] = {}
    if klass is not None:
        default = providers.rds_default_max_connections(klass, where, engine)
        if default is not None:
            defaults["max_connections"] = default
        elif "max_connections" not in settings:
            message = f"{block.address}: class {klass} is not in pgconnlint's memory table; its default is unknown"
            resolver.skip(instance_class.location, message, _SET_IT)
    superuser, extra = providers.rds_reserved(where)
    defaults["superuser_reserved_connections"] = superuser
    if engine == "RDS":
        defaults["reserved_connections"] = _rds_extra_reserved(block, resolver, parameters, extra)
    identifier = resolver.value(block, block.body.attributes.get("identifier"))
    hosts = (str(identifier.value),) if isinstance(identifier, Known) else ()
    return ServerConfig(_server_name(block, count), where, settings, defaults, hosts, primary, managed="AWS")


def _rds_extra_reserved(block, resolver: _Resolver, parameters: dict, extra: Default) -> Default:
    """rds.rds_superuser_reserved_connections, from the group when it sets it, counted as reserved_connections."""
    if "rds.rds_superuser_reserved_connections" not in parameters:
        return extra
    attr, _ = parameters["rds.rds_superuser_reserved_connections"]
    value = resolver.value(block, attr)
    number = _number(value.value) if isinstance(value, Known) else None
    if number is None:
        return extra
    why = f"rds.rds_superuser_reserved_connections set in the parameter group ({attr.location.short})"
    return Default(number, attr.location, why)


def _rds_setting(block, resolver: _Resolver, name: str, found: tuple[Attr, Attr], klass, group) -> ServerSetting | None:
    attr, _ = found
    value = resolver.value(block, attr)
    if isinstance(value, Unknown):
        resolver.note(value, f"{group.address} parameter {name}")
        return None
    number = _number(value.value)
    text = str(value.value)
    source = f"parameter {name} of {group.address} ({attr.location.short})"
    if value.via != value.location.short:
        source += f", {value.via}"
    if number is not None:
        return ServerSetting(name, Known(number, attr.location, source), text=text)
    if name not in _CONNECTION_PARAMETERS or "{" not in text:
        return ServerSetting(name, Known(text, attr.location, source), text=text)
    evaluated = providers.rds_formula_value(text, klass) if klass else None
    if evaluated is None:
        reason = "a formula pgconnlint cannot evaluate" if klass else "a formula, and the instance class is unknown"
        resolver.skip(attr.location, f"{source} is {text!r}: {reason}; not read", _SET_IT)
        return None
    number, arithmetic = evaluated
    via = f"{source}: {arithmetic}, an upper estimate (DBInstanceClassMemory is below the class memory)"
    return ServerSetting(name, Known(number, attr.location, via), text=str(number))  # the server sees the number


# --- Aurora ------------------------------------------------------------------------------------------------------


def _aurora_instances(index: _Index, resolver: _Resolver) -> list[ServerConfig]:
    servers = []
    for cluster in index.of("aws_rds_cluster"):
        if not _is_postgres(cluster, resolver, ("aurora-postgresql",)):
            continue
        cluster_group = _parameter_group(
            index, resolver, cluster, "db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group"
        )
        writer: str | None = None
        for member, count in _cluster_members(index, resolver, cluster):
            group = _parameter_group(index, resolver, member, "db_parameter_group_name", "aws_db_parameter_group")
            server = _rds_server(member, resolver, group, cluster_group, writer, "Aurora PostgreSQL", count)
            writer = writer or server.name
            servers.append(server)
    return servers


def _cluster_members(
    index: _Index, resolver: _Resolver, cluster: TerraformBlock
) -> Iterator[tuple[TerraformBlock, int | None]]:
    """The cluster's instances in file order, `count` expanded. Terraform does not say which becomes the writer: the
    first one created is, so the first declared is taken as the writer and the others as readers (documented)."""
    for member in index.of("aws_rds_cluster_instance"):
        reference = resolver.reference(member.body.attributes.get("cluster_identifier"))
        if not reference or reference[:2] != ("aws_rds_cluster", cluster.name) or member.module != cluster.module:
            continue
        count = resolver.value(member, member.body.attributes.get("count"))
        if count is None:
            yield member, None
        elif isinstance(count, Known) and _number(count.value) is not None:
            yield from ((member, position) for position in range(min(_number(count.value), 64)))
        else:
            if isinstance(count, Unknown):
                resolver.note(count, f"{member.address} count")
            yield member, None


# --- Cloud SQL -------------------------------------------------------------------------------------------------


def _cloudsql_instances(index: _Index, resolver: _Resolver) -> list[ServerConfig]:
    instances = index.of("google_sql_database_instance")
    names = {(b.module, b.name): _server_name(b) for b in instances}
    servers = []
    for block in instances:
        version = resolver.value(block, block.body.attributes.get("database_version"))
        if isinstance(version, Known) and not str(version.value).upper().startswith("POSTGRES"):
            continue
        settings_blocks = block.body.nested("settings")
        body = settings_blocks[0] if settings_blocks else Body(block.location, {})
        flags = {}
        for flag in body.nested("database_flags"):
            name = _literal(getattr(flag.attributes.get("name"), "value", None))
            if isinstance(name, str) and flag.attributes.get("value") is not None:
                flags[name.lower()] = flag.attributes["value"]
        settings = _flag_settings(block, resolver, flags, "database flag")
        defaults = {}
        tier = resolver.value(block, body.attributes.get("tier"))
        if isinstance(tier, Known):
            default = providers.cloudsql_max_connections(str(tier.value), block.location)
            if default is not None:
                defaults["max_connections"] = default
            elif "max_connections" not in settings:
                message = (
                    f"{block.address}: Cloud SQL's default max_connections for tier {tier.value} is not in "
                    "pgconnlint's verified table; PostgreSQL's default stands in (set the max_connections flag)"
                )
                resolver.skip(tier.location, message, _SET_IT)
        elif isinstance(tier, Unknown):
            resolver.note(tier, f"{block.address} settings.tier")
        master = resolver.reference(block.body.attributes.get("master_instance_name"))
        primary = names.get((block.module, master[1])) if master else None
        name = resolver.value(block, block.body.attributes.get("name"))
        hosts = (str(name.value),) if isinstance(name, Known) else ()
        servers.append(
            ServerConfig(_server_name(block), block.location, settings, defaults, hosts, primary, "Google Cloud")
        )
    return servers


def _flag_settings(block, resolver: _Resolver, values: dict[str, Attr], noun: str) -> dict[str, ServerSetting]:
    settings = {}
    for name, attr in values.items():
        value = resolver.value(block, attr)
        if isinstance(value, Unknown):
            resolver.note(value, f"{block.address} {noun} {name}")
        elif isinstance(value, Known):
            number = _number(value.value)
            if number is None and name not in _CONNECTION_PARAMETERS:
                via = f"{noun} {name} of {block.address} ({attr.location.short})"
                settings[name] = ServerSetting(name, Known(str(value.value), attr.location, via), text=str(value.value))
                continue
            if number is None:
                message = f"{block.address} {noun} {name} is {value.value!r}, not a whole number; not read"
                resolver.problems.append(ParseProblem(attr.location, message))
                continue
            via = f"{noun} {name} of {block.address} ({attr.location.short})"
            if value.via != value.location.short:
                via += f", {value.via}"
            settings[name] = ServerSetting(name, Known(number, attr.location, via), text=str(value.value))
    return settings


# --- Azure flexible server ------------------------------------------------------------------------------------


def _azure_servers(index: _Index, resolver: _Resolver) -> list[ServerConfig]:
    configurations = index.of("azurerm_postgresql_flexible_server_configuration")
    servers = []
    for block in index.of("azurerm_postgresql_flexible_server"):
        values = {}
        for configuration in configurations:
            reference = resolver.reference(configuration.body.attributes.get("server_id"))
            if reference and reference[:2] == ("azurerm_postgresql_flexible_server", block.name):
                name = _literal(getattr(configuration.body.attributes.get("name"), "value", None))
                if isinstance(name, str) and configuration.body.attributes.get("value") is not None:
                    values[name.lower()] = configuration.body.attributes["value"]
        settings = _flag_settings(block, resolver, values, "server configuration")
        defaults: dict[str, Default] = {}
        sku = resolver.value(block, block.body.attributes.get("sku_name"))
        if isinstance(sku, Known):
            defaults = providers.azure_defaults(str(sku.value), block.location) or {}
            if not defaults:
                message = f"{block.address}: SKU {sku.value} is not in pgconnlint's table; its default is unknown"
                resolver.skip(sku.location, message, _SET_IT)
        elif isinstance(sku, Unknown):
            resolver.note(sku, f"{block.address} sku_name")
        name = resolver.value(block, block.body.attributes.get("name"))
        hosts = (str(name.value),) if isinstance(name, Known) else ()
        servers.append(ServerConfig(_server_name(block), block.location, settings, defaults, hosts, managed="Azure"))
    return servers
