"""Node pools beyond TypeORM, as written: node-postgres, Knex, Sequelize, postgres.js, Bun SQL and Prisma clients in
code, knexfiles and sequelize-cli configs.

Facts only: which call creates which pool, with which options object, and whether it runs inside a function
(a new pool at every call). Sizes, defaults and the environment section a configuration file contributes are
decided after linking (pgconnlint/link_node.py), once each process's environment is known.

A call counts only when its library is imported in the file (`require('pg')`, `import knex from 'knex'`, …),
so `new Pool()` of another library or `knex('users')` on an instance are not taken for pool creation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from pgconnlint.expr import EnvVar, Expr, Lit, Logical, Obj, Opaque
from pgconnlint.extract import typeorm
from pgconnlint.extract.treesitter import SourceFile, declarations
from pgconnlint.model import Location, NodePool, ParseProblem, TypeOrmConfig

if TYPE_CHECKING:
    from tree_sitter import Node

Result = tuple[list[TypeOrmConfig | NodePool], list[ParseProblem]]

_TYPEORM_MARKERS = ("DataSource", "TypeOrmModule", "createConnection")
#: a Prisma driver adapter given a `new Pool()` of the same code (`new PrismaPg(pool)`): that pool is the one counted
EXTERNAL_POOL = "(pool created in this code)"
_LIBRARIES = {
    "pg": "pg",
    "pg-pool": "pg",
    "knex": "knex",
    "sequelize": "sequelize",
    "sequelize-typescript": "sequelize",
}
_LIBRARIES["postgres"] = "postgres.js"
# pg-boss opens a node-postgres Pool from its own options: `max` (or `poolSize`), default 10
# (timgit/pg-boss docs/api/constructor.md), counted as one more pg pool.
_LIBRARIES["pg-boss"] = "pg-boss"
# Drizzle's `drizzle(url)` / `drizzle({ connection })` builds the driver's own pool (drizzle-orm 0.45
# node-postgres/driver.js `new pg.Pool({ connectionString })`, postgres-js/driver.js `pgClient(url, config)`);
# pg-promise's `pgp(cn)` builds a node-postgres Pool from `cn` (pg-promise 12 lib/database.js `new pg.Pool`).
_LIBRARIES["drizzle-orm/node-postgres"] = "drizzle-pg"
_LIBRARIES["drizzle-orm/postgres-js"] = "drizzle-postgres.js"
_LIBRARIES["pg-promise"] = "pg-promise"
# MikroORM: `MikroORM.init(options)`, `defineConfig(options)`, NestJS `MikroOrmModule.forRoot(options)`; its `pool`
# goes to Knex (MikroORM 6) or to node-postgres' Pool (MikroORM 7), sized in pgconnlint/link_node.py. From
# @mikro-orm/core the options must name PostgreSQL (`driver: PostgreSqlDriver`, MikroORM 5's `type: 'postgresql'`).
_LIBRARIES["@mikro-orm/postgresql"] = "mikro-orm-pg"
_LIBRARIES["@mikro-orm/core"] = "mikro-orm"
_LIBRARIES["@mikro-orm/nestjs"] = "mikro-orm"
# Bun's built-in client: `new SQL(url | options)` (also the global `Bun.SQL`), and the default `sql` (also `Bun.sql`),
# one pool per process built from the environment's URL (pgconnlint/link_bun.py).
_LIBRARIES["bun"] = "bun-sql"
BUN_DEFAULT = 'sql from "bun"'  #: the label of the default `sql` pool, counted once per process
_BUN_GLOBAL = re.compile(r"\bBun\.(?:SQL|sql)\b")  # the globals need no import
_MODULE = (
    r"""['"](?P<module>pg|pg-pool|pg-boss|knex|sequelize|sequelize-typescript|postgres|pg-promise"""
    r"""|drizzle-orm/node-postgres|drizzle-orm/postgres-js|@mikro-orm/postgresql|@mikro-orm/core|@mikro-orm/nestjs|bun)['"]"""
)
_MIKRO_ORM_FILE = re.compile(r"(?:^|/)mikro-orm\.config\.(?:ts|js|mjs|cjs|mts|cts)$")
_MIKRO_ORM_CALLS = {"init": "MikroORM", "forRoot": "MikroOrmModule", "forRootAsync": "MikroOrmModule"}
# `const pgp = require('pg-promise')(options)` or `const pgp = pgPromise()`: the function that makes databases
_PGP = re.compile(
    r"(?:const|let|var)\s+(?P<name>[\w$]+)\s*=\s*"
    r"(?P<init>require\s*\(\s*['\"]pg-promise['\"]\s*\)|[\w$]+)\s*\("
)
_IMPORTED = re.compile(rf"(?:require\s*\(\s*|from\s+|import\s+){_MODULE}")
# Names bound to a module's default export or namespace: `import knex from 'knex'`, `import * as pg from 'pg'`,
# `const postgres = require('postgres')` (a `require(…)` called at once, `require('knex')(config)`, binds nothing).
_DEFAULT_IMPORT = re.compile(rf"import\s+(?:\*\s+as\s+)?(?P<name>[\w$]+)\s*(?:,\s*\{{[^}}]*\}}\s*)?from\s+{_MODULE}")
_REQUIRE = re.compile(rf"(?:const|let|var|import)\s+(?P<name>[\w$]+)\s*=\s*require\s*\(\s*{_MODULE}\s*\)(?!\s*[(.\[])")
_NAMED_IMPORT = re.compile(rf"import\s*(?:[\w$]+\s*,\s*)?\{{(?P<names>[^}}]*)\}}\s*from\s+{_MODULE}")
_NAMED_REQUIRE = re.compile(rf"(?:const|let|var)\s*\{{(?P<names>[^}}]*)\}}\s*=\s*require\s*\(\s*{_MODULE}\s*\)")
_SEQUELIZE_CONFIG = re.compile(r"(?:^|/)config/config\.(?:json|js|cjs)$")

_FUNCTIONS = {
    "function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function_declaration",
    "generator_function",
}
# Functions that a program calls once, at start-up: a pool created there is the process's pool.
# `initORM`, `setupDatabase`: MikroORM's guide and others name their start-up function so (a suffix in capitals)
_RUN_ONCE = re.compile(
    r"^(?i:main|bootstrap|start|startserver|init|initialize|setup|run|constructor)$|^(?:init|initialize|setup)[A-Z]\w*$"
)


def extract_code(path: str, text: str) -> Result:
    """A JS/TS file: TypeORM's connections (pgconnlint/extract/typeorm.py) and the other libraries' pools."""
    found: list[TypeOrmConfig | NodePool] = []
    problems: list[ParseProblem] = []
    if any(marker in text for marker in _TYPEORM_MARKERS):
        configs, problems = typeorm.extract_code(path, text)
        found.extend(configs)
    if _SEQUELIZE_CONFIG.search(path):
        source = SourceFile.parse(path, text)
        pools = _sequelize_config(path, source.module_export())
        return found + pools, problems or (source.problems() if pools else [])
    typeorm_found = bool(found)
    found += _nest_registrations(path, text)
    if _MIKRO_ORM_FILE.search(path) and "defineConfig" not in text:
        found += _mikro_orm_file(path, text)
    pooled = bool(_IMPORTED.search(text) or "PrismaClient" in text or _BUN_GLOBAL.search(text))
    if not pooled and not typeorm_found:
        return found, problems
    source = SourceFile.parse(path, text)
    bound = _bindings(text)
    created = _pools(source, bound) if pooled else []
    pools = [pool for _, pool in created] + _bun_default(path, text, bound)
    owners = _owners(source, created, typeorm_found) if "class" in text or "useFactory" in text else []
    return found + pools + owners, problems or (source.problems() if pools else [])


_PROVIDERS = re.compile(r"\bproviders\s*:\s*\[(?P<names>[^\]]*)\]")
_PROVIDER_NAMES = re.compile(r"\.\.\.\s*([A-Za-z_$][\w$]*)|\b([A-Z][\w$]*)\b")


def _nest_registrations(path: str, text: str) -> list[NodePool]:
    """Classes listed in a NestJS `@Module({ providers: [...] })`: a provider registered in several modules is
    instantiated once per module, so a client class (`PrismaService extends PrismaClient`) opens a pool each time."""
    if "@Module" not in text:
        return []
    found = []
    for match in _PROVIDERS.finditer(text):
        where = Location(path, text.count("\n", 0, match.start()) + 1)
        names = dict.fromkeys(spread or name for spread, name in _PROVIDER_NAMES.findall(match.group("names")))
        found += [NodePool("nest-provider", Obj(where, name), name) for name in names]
    return found


def _owners(source: SourceFile, created: list[tuple[Node, NodePool]], typeorm: bool) -> list[NodePool]:
    """Which provider each pool belongs to, so that the linker counts it once per NestJS module that lists that
    provider: the class it is created in (a field, the constructor, `onModuleInit`), or the top-level constant of
    factory providers it is created in (`export const databaseProviders = [{ useFactory: () => new Pool() }]`,
    spread into a module's `providers`). One "nest-owner" fact per pool, at the pool's options (TypeORM's too)."""
    found = [(node, pool.location) for node, pool in created]
    if typeorm:  # `new DataSource(options)`: TypeOrmConfig.options is the first argument (extract/typeorm.py)
        for node in source.walk({"new_expression"}):
            callee = node.child_by_field_name("constructor")
            arguments = node.child_by_field_name("arguments")
            first = [a for a in arguments.named_children if a.type != "comment"][:1] if arguments is not None else []
            if callee is not None and source.raw(callee).rpartition(".")[2] == "DataSource" and first:
                found.append((node, source.expr(first[0]).location))
    owned = []
    for node, location in found:
        owner = _owner_name(source, node)
        if owner:
            owned.append(NodePool("nest-owner", Obj(location, owner), owner))
    return owned


def _owner_name(source: SourceFile, node: Node) -> str | None:
    parent = node.parent
    while parent is not None:
        if parent.type in ("class_declaration", "class", "abstract_class_declaration"):
            name = parent.child_by_field_name("name")
            return source.raw(name) if name is not None else None
        if parent.type == "variable_declarator" and parent.parent is not None and parent.parent.parent is not None:
            declaration = parent.parent
            top = declaration.parent.type == "program" or (
                declaration.parent.type == "export_statement" and declaration.parent.parent.type == "program"
            )
            name = parent.child_by_field_name("name")
            if top and name is not None and "useFactory" in source.raw(parent):
                return source.raw(name)
        parent = parent.parent
    return None


def extract_knexfile(path: str, text: str) -> Result:
    """knexfile.{js,ts}: an object of environments (`development`, `production`, …) or one flat configuration."""
    source = SourceFile.parse(path, text)
    value = source.module_export()
    name = PurePosixPath(path).name
    if isinstance(value, Obj):
        return [NodePool("knex", value, name, config_file=True)], source.problems()
    where = value if value is not None else Opaque(source.location(source.tree.root_node), "no module.exports")
    computed = "no `module.exports` or `export default`" if value is None else value.text
    options = Obj(where.location, where.text)
    return [NodePool("knex", options, name, config_file=True, computed=computed)], source.problems()


def extract_sequelize_config(path: str, text: str) -> Result:
    """sequelize-cli's config file, one section per environment: config/config.json, or the JSON or JS file that
    `.sequelizerc` names (sequelize-cli `require`s either: src/helpers/config-helper.js `init`)."""
    source = SourceFile.parse(path, text)
    value = source.document_value() if path.lower().endswith(".json") else source.module_export()
    return _sequelize_config(path, value), source.problems()


def extract_sequelizerc(path: str, text: str) -> Result:
    """sequelize-cli's `.sequelizerc`, a JS file it `require`s from the folder it runs in (sequelize/cli
    src/core/yargs.js `loadRCFile`): its `config` names the configuration file in place of config/config.json,
    resolved against that folder (`path.resolve(process.cwd(), args.config)`, config-helper.js `getConfigFile`).
    Read from the syntax tree (pgconnlint/extract/jspath.py), never run."""
    from pgconnlint.extract.jspath import static_path

    source = SourceFile.parse(path, text, "javascript")
    exported = _exported_object(source)
    if exported is None:
        return [], source.problems()
    folder = path.rpartition("/")[0]
    for pair in exported.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or source.raw(key).strip("'\"`") != "config":
            continue
        value = pair.child_by_field_name("value")
        location = source.location(value)
        resolved = static_path(source, value, folder)
        written = source.text(value)
        config = Lit(location, written, resolved) if resolved is not None else Opaque(location, written)
        options = Obj(source.location(exported), source.text(exported), {"config": config}, {"config": location})
        return [NodePool("sequelizerc", options, f"{path} config", config_file=True)], source.problems()
    return [], source.problems()


def named_sequelize_configs(facts: list) -> list[str]:
    """The configuration files `.sequelizerc` files name, for the pipeline to read (they have any name)."""
    named = []
    for fact in facts:
        value = fact.options.entries.get("config") if getattr(fact, "library", "") == "sequelizerc" else None
        if isinstance(value, Lit) and isinstance(value.value, str) and value.value not in named:
            named.append(value.value)
    return named


def _exported_object(source: SourceFile) -> Node | None:
    """The object literal of `module.exports = {…}` (or of the constant it names)."""
    for statement in source.tree.root_node.named_children:
        children = statement.named_children if statement.type == "expression_statement" else []
        assignment = children[0] if children else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
        if left is None or " ".join(source.raw(left).split()) != "module.exports" or right is None:
            continue
        if right.type == "identifier":
            right = source.constant(source.raw(right))
        return right if right is not None and right.type == "object" else None
    return None


def _sequelize_config(path: str, value: Expr | None) -> list[NodePool]:
    if not isinstance(value, Obj) or not any(isinstance(v, Obj) and "dialect" in v.entries for v in _sections(value)):
        return []
    return [NodePool("sequelize", value, path, config_file=True)]


def _sections(value: Obj) -> list[Expr]:
    return list(value.entries.values())


# --- which names are bound to which library ----------------------------------------------------------------------


def _bindings(text: str) -> dict[str, tuple[str, str]]:
    """Local name → (library, what): "default" for a default or namespace import, else the exported name."""
    bound: dict[str, tuple[str, str]] = {}
    for pattern in (_DEFAULT_IMPORT, _REQUIRE):
        for match in pattern.finditer(text):
            # pg-pool's default export is the Pool class itself
            bound[match["name"]] = (_LIBRARIES[match["module"]], "Pool" if match["module"] == "pg-pool" else "default")
    for pattern in (_NAMED_IMPORT, _NAMED_REQUIRE):
        for match in pattern.finditer(text):
            for part in match["names"].split(","):
                pieces = re.split(r"\s+as\s+|\s*:\s*", part.strip())
                if pieces and pieces[0]:
                    bound[pieces[-1].strip()] = (_LIBRARIES[match["module"]], pieces[0].strip())
    for match in _PGP.finditer(text):
        init = bound.get(match["init"])
        if "pg-promise" in match["init"] or (init and init[0] == "pg-promise"):
            bound[match["name"]] = ("pg-promise", "database")
    return bound


def _pools(source: SourceFile, bound: dict[str, tuple[str, str]]) -> list[tuple[Node, NodePool]]:
    """Each pool with the node that creates it."""
    pools = []
    for node in source.walk({"new_expression", "call_expression", "class_heritage"}):
        pool = _pool_at(source, node, bound)
        if pool is not None:
            pools.append((node, replace(pool, target_from=_target_from(source, node, pool))))
    return pools


_TARGET_KEYS = ("host", "connectionString", "url", "uri")


def _target_from(source: SourceFile, node: Node, pool: NodePool) -> str | None:
    """The parameter of the enclosing function that the pool's host or connection string is read from (`$` in
    `const getClient = ($) => knex({ connection: { host: $.auth.data.host } })`): a database the caller names, such
    as a user's own server an integration connects to. None when the target is written or read from the
    environment."""
    function = node.parent
    while function is not None and function.type not in _FUNCTIONS:
        function = function.parent
    if function is None or pool.library in ("prisma", "nest-owner", "nest-provider"):
        return None
    from pgconnlint.extract.jsfunction import parameters

    names = {name for name in parameters(source, function) if name}
    connection = pool.options.get("connection")
    holders = [connection] if connection is not None else [pool.options]
    targets = [pool.url] if pool.url is not None else []
    for holder in holders:
        if isinstance(holder, Obj):
            targets += [holder.entries[key] for key in _TARGET_KEYS if key in holder.entries]
        else:
            targets.append(holder)
    roots = {re.split(r"[.\[(?!\s]", target.text, maxsplit=1)[0] for target in targets if target is not None}
    return next(iter(roots)) if len(roots) == 1 and roots <= names else None


def _pool_at(source: SourceFile, node: Node, bound: dict[str, tuple[str, str]]) -> NodePool | None:
    if node.type == "class_heritage":  # `class PrismaService extends PrismaClient` (NestJS): one client per instance
        if not re.search(r"\bPrismaClient\b", source.raw(node)):
            return None
        name = node.parent.child_by_field_name("name") if node.parent is not None else None
        label = f"class {source.raw(name) if name is not None else ''} {source.text(node)}".replace("  ", " ")
        where = Obj(source.location(node), source.text(node))
        call = _super_call(source, node.parent)  # `super({ adapter })`: the client's options, Prisma 7's adapter
        arguments = call.child_by_field_name("arguments") if call is not None else None
        if arguments is None:
            return NodePool("prisma", where, label)
        return NodePool("prisma", _prisma_options(source, _arguments(arguments), where), label)
    is_new = node.type == "new_expression"
    callee = node.child_by_field_name("constructor" if is_new else "function")
    arguments_node = node.child_by_field_name("arguments")
    if callee is None or arguments_node is None or arguments_node.type != "arguments":
        return None
    library = _library(source.raw(callee), is_new, bound)
    if library is None:
        return None
    arguments = [a for a in arguments_node.named_children if a.type != "comment"]
    values = [source.expr(a) for a in arguments]
    label = f"{'new ' if is_new else ''}{' '.join(source.raw(callee).split())}(…)"
    per_call = _per_call(source, node)
    where = Obj(source.location(node), source.text(node))
    if library == "prisma":
        return NodePool("prisma", _prisma_options(source, arguments, where), label, per_call=per_call)
    if library in ("pg", "pg-client"):
        return NodePool(library, _options(values, where), label, per_call=per_call)
    if library == "pg-boss":  # new PgBoss(connectionString) or new PgBoss({ connectionString, max, … })
        url = values[0] if values and not isinstance(values[0], Obj) else None
        return NodePool("pg", _options([] if url is not None else values, where), label, url, per_call)
    if library == "postgres.js":  # postgres(url, options), postgres(options), postgres()
        url = values[0] if values and not isinstance(values[0], Obj) else None
        return NodePool(library, _options(values[1:] if url is not None else values, where), label, url, per_call)
    if library == "bun-sql":
        return _bun_sql(values, where, label, per_call)
    if library in ("drizzle-pg", "drizzle-postgres.js", "pg-promise"):
        return _driver_pool(source, library, arguments, values, where, label, per_call)
    if library.startswith("mikro-orm"):
        return _mikro_orm(library, " ".join(source.raw(callee).split()), values, where, label, per_call)
    if library == "knex":
        if values and isinstance(values[0], Obj):
            return NodePool("knex", values[0], label, per_call=per_call)
        if values and _is_literal_string(values[0]):
            return None  # `knex('users')`: a query on an instance, not a new one
        return NodePool("knex", _read_elsewhere(values, where), label, per_call=per_call, uses_config_file=True)
    return _sequelize(values, where, label, per_call)


# Bun SQL's environment URLs, in the order `parseOptions` takes the first one set
# (oven-sh/bun src/js/internal/sql/shared.ts `getEnvironmentUrlsForAdapter`)
BUN_URL_VARIABLES = ("POSTGRES_URL", "DATABASE_URL", "PGURL", "PG_URL", "TLS_POSTGRES_DATABASE_URL", "TLS_DATABASE_URL")
# options that make Bun ignore those URLs (shared.ts `hasExplicitConnectionOptions`)
_BUN_EXPLICIT = ("hostname", "host", "port", "username", "user", "password", "pass", "database", "db")
_BUN_SQL_IMPORT = re.compile(
    r"""(?:import\s*\{[^}]*\bsql\b[^}]*\}\s*from|\{[^}]*\bsql\b[^}]*\}\s*=\s*require\s*\()\s*['"]bun['"]"""
)


def _bun_sql(values: list[Expr], where: Obj, label: str, per_call: bool) -> NodePool:
    """`new SQL(url[, options])`, `new SQL(options)` (with `url`, or host/port/…), `new SQL()`: without a URL nor
    connection options Bun reads the first URL set in the environment."""
    url = values[0] if values and not isinstance(values[0], Obj) else None
    options = _options(values[1:] if url is not None else values, where)
    if url is None and "url" in options.entries:
        url = options.entries["url"]
    if url is None and not options.opaque_spreads and not any(key in options.entries for key in _BUN_EXPLICIT):
        url = _bun_environment_url(where)
    return NodePool("bun-sql", options, label, url, per_call)


def _bun_default(path: str, text: str, bound: dict[str, tuple[str, str]]) -> list[NodePool]:
    """`import { sql } from "bun"` or `Bun.sql`: Bun's default pool, built at first use from the environment."""
    match = _BUN_SQL_IMPORT.search(text) if ("bun-sql", "sql") in bound.values() else None
    match = match or re.search(r"\bBun\.sql\b", text)
    if match is None:
        return []
    where = Obj(Location(path, text.count("\n", 0, match.start()) + 1), match.group(0))
    return [NodePool("bun-sql", where, BUN_DEFAULT, _bun_environment_url(where))]


def _bun_environment_url(where: Obj) -> Expr:
    """`POSTGRES_URL || DATABASE_URL || …`, evaluated per process like any `process.env.X || …`."""
    chain: Expr | None = None
    for name in reversed(BUN_URL_VARIABLES):
        variable = EnvVar(where.location, name, name)
        chain = variable if chain is None else Logical(where.location, f"{name} || {chain.text}", "||", variable, chain)
    return chain


def _mikro_orm_file(path: str, text: str) -> list[NodePool]:
    """mikro-orm.config.ts exporting its options as a plain object (the file the CLI and `MikroORM.init()` load when
    no options are given), counted when it names PostgreSQL."""
    source = SourceFile.parse(path, text)
    value = source.module_export()
    name = PurePosixPath(path).name
    if isinstance(value, Obj) and _mikro_orm_postgres(value, "mikro-orm"):
        return [NodePool("mikro-orm", value, name, config_file=True)]
    return []


def _mikro_orm(library: str, callee: str, values: list[Expr], where: Obj, label: str, per_call: bool):
    """`defineConfig({...})` is a configuration; `MikroORM.init({...})` and `MikroOrmModule.forRoot({...})` open the
    pool; `init()`, `init(config)`, `forRoot()`, `forRootAsync(…)` read options written elsewhere (the config file)."""
    options = values[0] if values and isinstance(values[0], Obj) else None
    if callee.endswith("forRootAsync") or (options is not None and not options.entries):
        options = None  # a factory, or `{ ...config, ...overrides }`: the configuration file's options
    if options is not None and not _mikro_orm_postgres(options, library):
        return None
    if callee.rpartition(".")[2] == "defineConfig":
        return NodePool("mikro-orm", options, label, config_file=True) if options is not None else None
    if options is not None:
        return NodePool("mikro-orm", options, label, per_call=per_call)
    return NodePool("mikro-orm", _read_elsewhere(values, where), label, per_call=per_call, uses_config_file=True)


def _mikro_orm_postgres(options: Obj, library: str) -> bool:
    """From @mikro-orm/postgresql always; from @mikro-orm/core or nestjs when the options name PostgreSQL."""
    if library == "mikro-orm-pg":
        return True
    driver = options.entries.get("driver") or options.entries.get("type")
    return driver is not None and re.search(r"(?i)postgre", driver.text) is not None


def _library(callee: str, is_new: bool, bound: dict[str, tuple[str, str]]) -> str | None:
    callee = " ".join(callee.split())
    head, _, member = callee.rpartition(".")
    name = member or callee
    if is_new:
        if name == "PrismaClient":
            return "prisma"
        binding = bound.get(name) if not head else bound.get(head)
        library, exported = binding if binding else (None, None)
        constructor = name if head else exported  # `pg.Pool`, or the name `Pool` was imported as
        if library == "pg" and constructor in ("Pool", "Client"):
            return "pg" if constructor == "Pool" else "pg-client"
        if library == "pg-boss" and (constructor == "PgBoss" or exported == "default"):
            return "pg-boss"
        if library == "sequelize" and (constructor == "Sequelize" or (not head and exported == "default")):
            return "sequelize"
        if callee == "Bun.SQL" or (library == "bun-sql" and constructor == "SQL"):
            return "bun-sql"
        return None
    if re.fullmatch(r"require\s*\(\s*['\"]knex['\"]\s*\)(?:\.knex)?", callee):
        return "knex"
    binding = bound.get(head if head and member == "knex" else callee)
    if binding and binding[0] == "knex" and (binding[1] in ("default", "knex", "Knex")):
        return "knex"
    if binding and binding[0] == "postgres.js" and binding[1] == "default" and not head:
        return "postgres.js"
    if binding and binding[0].startswith("drizzle-") and binding[1] == "drizzle" and not head:
        return binding[0]
    if binding and binding == ("pg-promise", "database") and not head:
        return "pg-promise"
    mikro = bound.get(head) if head else binding
    if (
        mikro
        and mikro[0].startswith("mikro-orm")
        and (mikro[1] == _MIKRO_ORM_CALLS.get(member) or (not head and mikro[1] == "defineConfig"))
    ):
        return mikro[0]
    return None


def _driver_pool(source, library, arguments, values, where, label, per_call) -> NodePool | None:
    """The pool Drizzle or pg-promise builds from a URL or a connection object; `drizzle(pool)` and
    `drizzle({ client })` build none (that pool is counted where it is created)."""
    driver = "postgres.js" if library == "drizzle-postgres.js" else "pg"
    if not values or (arguments[0].type == "identifier" and not _is_literal_string(values[0])):
        return None
    first = values[0]
    if library != "pg-promise" and isinstance(first, Obj):
        if "client" in first.entries or "connection" not in first.entries:
            return None
        first = first.entries["connection"]
        if isinstance(first, Obj) and "url" in first.entries:  # postgres-js `{ url, ...options }`
            options = Obj(first.location, first.text, {k: v for k, v in first.entries.items() if k != "url"})
            return NodePool(driver, options, label, first.entries["url"], per_call)
    if isinstance(first, Obj):
        return NodePool(driver, first, label, per_call=per_call)
    return NodePool(driver, where, label, first, per_call)


def _options(values: list[Expr], where: Obj) -> Obj:
    """The first argument as options: an object literal, nothing (an empty object at the call), or an expression
    kept as an opaque spread, so that the linker reports what it cannot read as unknown."""
    if not values:
        return where
    if isinstance(values[0], Obj):
        return values[0]
    return Obj(where.location, where.text, {}, {}, (values[0].text,))


def _read_elsewhere(values: list[Expr], where: Obj) -> Obj:
    """A call given a variable, an import or `config[env]`: the options are written elsewhere."""
    text = values[0].text if values else "(no options)"
    return Obj(where.location, text, {}, {}, (text,))


def _sequelize(values: list[Expr], where: Obj, label: str, per_call: bool) -> NodePool:
    """`new Sequelize(options)`, `(uri[, options])`, `(database, username, password[, options])`: Sequelize v6's
    constructor (src/sequelize.js) takes one plain object as the options, a string or two arguments as a URI."""
    first = values[0] if values else None
    if len(values) == 1 and isinstance(first, Obj):
        return NodePool("sequelize", first, label, per_call=per_call)
    if len(values) == 1 and _is_uri(first):
        return NodePool("sequelize", Obj(where.location, where.text), label, url=first, per_call=per_call)
    if len(values) == 2 and isinstance(values[1], Obj):
        return NodePool("sequelize", values[1], label, url=first, per_call=per_call)
    if len(values) == 3:
        return NodePool("sequelize", Obj(where.location, where.text), label, per_call=per_call)
    if len(values) == 4 and isinstance(values[3], Obj):
        return NodePool("sequelize", values[3], label, per_call=per_call)
    # `new Sequelize(config.database, config.username, config.password, config)`: sequelize-cli's models/index.js
    return NodePool("sequelize", _read_elsewhere(values[-1:], where), label, per_call=per_call, uses_config_file=True)


def _prisma_options(source: SourceFile, arguments: list[Node], where: Obj) -> Obj:
    """`new PrismaClient({ datasourceUrl, datasources: { db: { url } }, adapter: new PrismaPg({...}) })`: the object,
    with a driver adapter's own options under `adapter` (Prisma 7 pools through the driver, pg for PrismaPg)."""
    if not arguments or arguments[0].type != "object":
        return where
    options = source.expr(arguments[0])
    if not isinstance(options, Obj):
        return where
    entries = dict(options.entries)
    for pair in arguments[0].named_children:
        shorthand = pair.type == "shorthand_property_identifier"  # `{ adapter }`
        key = pair if shorthand else pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is None or source.raw(key) != "adapter":
            continue
        value = pair if shorthand else pair.child_by_field_name("value")
        adapter = adapter_options(source, value) if value is not None else None
        if adapter is not None:
            entries["adapter"] = adapter
    return Obj(options.location, options.text, entries, options.key_locations, options.opaque_spreads)


def adapter_options(source: SourceFile, node: Node, depth: int = 0) -> Expr:
    """`new PrismaPg({ connectionString, max })` → its options, also through a variable (`const adapter = new
    PrismaPg({...}); new PrismaClient({ adapter })`); anything else (a pool built elsewhere) → Opaque."""
    if node.type in ("identifier", "shorthand_property_identifier") and depth < 4:
        value = _local_value(source, node, source.raw(node))
        if value is not None:
            return adapter_options(source, value, depth + 1)
    if node.type == "new_expression":
        name = source.raw(node.child_by_field_name("constructor") or node).rpartition(".")[2]
        arguments = node.child_by_field_name("arguments")
        first = [a for a in arguments.named_children if a.type != "comment"][:1] if arguments is not None else []
        argument = first[0] if name == "PrismaPg" and first else None
        if argument is not None and argument.type == "identifier":  # `new PrismaPg(poolConfig)`, `(pool)`
            argument = _local_value(source, argument, source.raw(argument)) or argument
        if argument is not None and argument.type == "object":
            options = source.expr(argument)
            if isinstance(options, Obj):
                return Obj(options.location, f"new PrismaPg({options.text})", options.entries, options.key_locations)
        if argument is not None and argument.type == "new_expression":
            built = source.raw(argument.child_by_field_name("constructor") or argument).rpartition(".")[2]
            if built == "Pool":  # the adapter uses that pool as is: counted where it is created
                where = source.location(argument)
                return Obj(where, source.text(node), {EXTERNAL_POOL: Lit(where, source.text(argument), True)}, {})
    return Opaque(source.location(node), source.text(node))


def _arguments(arguments: Node) -> list[Node]:
    return [a for a in arguments.named_children if a.type != "comment"]


def _super_call(source: SourceFile, class_node: Node | None) -> Node | None:
    """The `super(…)` call of a class's constructor."""
    body = class_node.child_by_field_name("body") if class_node is not None else None
    if body is None:
        return None
    for member in body.named_children:
        name = member.child_by_field_name("name") if member.type == "method_definition" else None
        if name is None or source.raw(name) != "constructor":
            continue
        stack = [member]
        while stack:
            node = stack.pop()
            function = node.child_by_field_name("function") if node.type == "call_expression" else None
            if function is not None and function.type == "super":
                return node
            stack.extend(reversed(node.named_children))
    return None


def _local_value(source: SourceFile, node: Node, name: str) -> Node | None:
    """The initialiser of `const|let|var name = …` in a scope around `node`, the nearest first."""
    scope = node.parent
    while scope is not None:
        if scope.type in ("statement_block", "program", "class_body"):
            for target, value in declarations(scope.named_children):
                if source.raw(target) == name:
                    return value
        scope = scope.parent
    return None


# --- where a call runs -------------------------------------------------------------------------------------------


def _per_call(source: SourceFile, node: Node) -> bool:
    """Inside a function that runs more than once, unless the result is kept outside it (`this.pool = …`,
    `global.prisma ??= …`, `if (!pool) pool = …`): then the function is a cache, and the pool is created once."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type in ("assignment_expression", "augmented_assignment_expression") and _assigns_outside(
            source, parent, child
        ):
            return False
        if parent.type in _FUNCTIONS:
            return not _runs_once(source, parent)
        child, parent = parent, parent.parent
    return False


def _assigns_outside(source: SourceFile, assignment: Node, value: Node) -> bool:
    left = assignment.child_by_field_name("left")
    if left is None or assignment.child_by_field_name("right") != value:
        return False
    return left.type in ("member_expression", "subscript_expression") or (
        left.type == "identifier" and source.constant(source.raw(left)) is None and _declared_at_top(source, left)
    )


def _declared_at_top(source: SourceFile, identifier: Node) -> bool:
    """`let pool;` at the top level of the file: a module variable a function fills once."""
    name = source.raw(identifier)
    pattern = re.compile(rf"^(?:export\s+)?(?:let|var)\s+{re.escape(name)}\b", re.MULTILINE)
    return bool(pattern.search(source.source.decode("utf-8", "replace")))


def _runs_once(source: SourceFile, function: Node) -> bool:
    name = function.child_by_field_name("name")
    if name is None and function.parent is not None and function.parent.type in ("variable_declarator", "pair"):
        name = function.parent.child_by_field_name("name") or function.parent.child_by_field_name("key")
    text = source.raw(name) if name is not None else ""
    if _RUN_ONCE.match(text) or text == "useFactory":  # NestJS calls a provider's factory once
        return True
    return name is not None and name.type == "identifier" and _called_only_at_load(source, name)


def _called_only_at_load(source: SourceFile, name: Node) -> bool:
    """A function this module keeps to itself and calls only at its top level, e.g. Next.js' Prisma singleton
    `const prisma = globalThis.prisma ?? prismaClientSingleton()`: a module is evaluated once per process, so is
    the call. An exported function, or one called from inside a function or passed on, may run any number of times."""
    if _exported(name):
        return False
    text = source.raw(name)
    calls = 0
    for node in _identifiers(source.tree.root_node, text, source):
        if node == name:
            continue
        call = node.parent
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != node:
            return False  # exported, passed as a callback, or assigned: its calls cannot be counted here
        if _inside_function(call):
            return False
        calls += 1
    return calls == 1


def _identifiers(node: Node, text: str, source: SourceFile) -> Iterator[Node]:
    if node.type in ("identifier", "shorthand_property_identifier") and source.raw(node) == text:
        yield node
    for child in node.children:
        yield from _identifiers(child, text, source)


def _exported(name: Node) -> bool:
    parent = name.parent
    while parent is not None and parent.type != "program":
        if parent.type == "export_statement":
            return True
        parent = parent.parent
    return False


def _inside_function(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTIONS:
            return True
        parent = parent.parent
    return False


def _is_literal_string(value: Expr | None) -> bool:
    return isinstance(value, Lit) and isinstance(value.value, str)


def _is_uri(value: Expr | None) -> bool:
    """A connection string: a literal, `process.env.X`, or `process.env.X || "…"`."""
    return _is_literal_string(value) or isinstance(value, (EnvVar, Logical))
