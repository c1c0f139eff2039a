"""Per-role and per-database connection limits the repository sets: `CREATE ROLE|USER … CONNECTION LIMIT n`,
`ALTER ROLE|USER … [WITH] CONNECTION LIMIT n`, `CREATE DATABASE … CONNECTION LIMIT n`, `ALTER DATABASE … [WITH]
CONNECTION LIMIT n` (and SUPERUSER / NOSUPERUSER, whom no role limit binds), as `ConnectionLimit` facts in file
order.

Read from SQL files (migrations, `/docker-entrypoint-initdb.d` scripts, Prisma's migration.sql), from the string
literals of Python and JavaScript/TypeScript migrations (Alembic `op.execute("…")`, Django `RunSQL("…")`, Knex
`knex.raw("…")`, TypeORM `queryRunner.query("…")`), and from Terraform's cyrilgdn/postgresql provider
(`postgresql_role.connection_limit`, `postgresql_database.connection_limit`, both -1 by default).

SQL goes through pglast, PostgreSQL's own grammar (libpg_query). psql meta-commands (`\\connect db`) are blanked
first; a statement the grammar refuses (a psql `:variable`, another database's dialect) is a skip (PGC002) only
when it mentions a connection limit, and every other statement of the file is still read.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from pgconnlint.extract.shell import bash_parser  # the one cached tree-sitter-bash parser
from pgconnlint.model import ConnectionLimit, Default, Known, Location, ParseProblem

_MENTIONS = re.compile(r"connection\s+limit|superuser", re.I)
_PSQL_META = re.compile(r"^[ \t]*\\.*$", re.M)  # `\connect shop`, `\set ON_ERROR_STOP on`: psql's, not SQL
_SKIP_HELP = "write the statement with literal names and numbers, or exclude the file"


# --- SQL -----------------------------------------------------------------------------------------------------


def extract_sql(
    path: str, text: str, first_line: int = 1, first_column: int = 1, holes: tuple[tuple[int, int], ...] = ()
) -> tuple[list[ConnectionLimit], list[ParseProblem]]:
    """The limits one SQL text sets; `first_line` and `first_column` are where its first character is (a string in
    code: just after the opening quote). `holes` are character spans the shell fills in at run time (`$APP_DB` in
    a here-document): a statement that holds one is a skip, whatever SQL the unexpanded text happens to be."""
    if not _MENTIONS.search(text):
        return [], []
    from pglast import parse_sql
    from pglast.parser import ParseError, split

    blanked = _PSQL_META.sub(lambda match: " " * len(match.group(0)), text)
    lines = _Lines(path, blanked, first_line, first_column)
    try:
        return _split([f for raw in parse_sql(blanked) for f in _facts(raw, lines, 0, len(blanked), holes)])
    except ParseError:
        pass
    found, problems = [], []
    try:
        pieces = split(blanked, with_parser=False, only_slices=True)
    except ParseError:  # not even the scanner reads it (an unterminated quote): not SQL this module can use
        where = lines.at(_MENTIONS.search(blanked).start())
        return [], [ParseProblem(where, "not PostgreSQL SQL; its connection limits are not read", True, _SKIP_HELP)]
    for piece in pieces:
        statement = blanked[piece]
        try:
            parsed = parse_sql(statement)
        except ParseError as error:
            if re.search(r"connection\s+limit", statement, re.I):
                where = lines.at(piece.start)
                message = f"a statement that sets a connection limit is not PostgreSQL's grammar ({error}); not read"
                problems.append(ParseProblem(where, message, True, _SKIP_HELP))
            continue
        facts, trouble = _split([f for raw in parsed for f in _facts(raw, lines, piece.start, piece.stop, holes)])
        found, problems = found + facts, problems + trouble
    return found, problems


def _split(items: list) -> tuple[list[ConnectionLimit], list[ParseProblem]]:
    return [i for i in items if isinstance(i, ConnectionLimit)], [i for i in items if isinstance(i, ParseProblem)]


class _Lines:
    """Character offsets of one text to locations."""

    def __init__(self, path: str, text: str, first_line: int, first_column: int) -> None:
        self.path, self.text, self.first_line, self.first_column = path, text, first_line, first_column

    def at(self, offset: int) -> Location:
        """The first token at or after `offset`: a piece of the scanner's split starts with its comments."""
        offset = _LEADING.match(self.text, offset).end()
        line = self.text.count("\n", 0, offset)
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + (self.first_column if line == 0 else 1)
        return Location(self.path, self.first_line + line, column)

    def command(self, offset: int) -> str:
        """The statement's first two words as written (`ALTER USER`), never the rest: it may hold a PASSWORD."""
        return " ".join(self.text[offset : offset + 40].split()[:2]).upper()


_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def _facts(raw, lines: _Lines, offset: int, end: int, holes) -> Iterator[ConnectionLimit | ParseProblem]:
    """A role or database statement's connection limit and superuser attribute, as facts; the text pglast parsed
    is `offset:end` of the whole (a last statement with no `;` has the length 0: to the end)."""
    statement, start = raw.stmt, offset + raw.stmt_location
    stop = start + raw.stmt_len if raw.stmt_len else end
    where = lines.at(start)
    kind_name = type(statement).__name__
    if kind_name == "CreateRoleStmt":
        kind, name = "role", statement.role
    elif kind_name == "AlterRoleStmt":
        rolename = getattr(statement.role, "rolename", None)
        if rolename is None:  # ALTER ROLE CURRENT_USER / ALL: no name to match pools against
            return
        kind, name = "role", rolename
    elif kind_name in ("CreatedbStmt", "AlterDatabaseStmt"):
        kind, name = "database", statement.dbname
    else:
        return
    limit, superuser, source = None, None, lines.command(start)
    for option in statement.options or ():
        value = getattr(option.arg, "ival", getattr(option.arg, "boolval", None))
        if option.defname in ("connectionlimit", "connection_limit") and isinstance(value, int):
            limit = Known(int(value), where, f"{source} {name} CONNECTION LIMIT {value}, {where.short}")
        elif option.defname == "superuser":
            superuser = bool(value)
    if (limit is not None or superuser is not None) and any(start < e and s < stop for s, e in holes):
        message = f"{source} {name} … is completed by the shell at run time (a `$variable` in it); not read"
        yield ParseProblem(where, message, True, _SKIP_HELP)
    elif limit is not None or superuser is not None:
        yield ConnectionLimit(kind, name, where, source, limit, superuser)


# --- SQL in the string literals of migrations ----------------------------------------------------------------


def extract_code(path: str, text: str) -> tuple[list[ConnectionLimit], list[ParseProblem]]:
    """The limits set by SQL written as one string literal of a Python or JavaScript/TypeScript file."""
    found: list[ConnectionLimit] = []
    problems: list[ParseProblem] = []
    for line, column, sql, holes in _strings(path, text):
        facts, trouble = extract_sql(path, sql, line, column, holes)
        found += facts
        problems += trouble
    return found, problems


def _strings(path: str, text: str) -> Iterator[tuple[int, int, str, tuple]]:
    """(line, column of the first character, text, spans filled in at run time) of each string that mentions a
    limit, in file order."""
    if path.endswith((".sh", ".bash")):
        return _shell_strings(text)
    found = _python_strings(text) if path.endswith(".py") else _script_strings(path, text)
    return ((line, column, raw, ()) for line, column, raw in found)


def _shell_strings(text: str) -> Iterator[tuple[int, int, str, tuple]]:
    """psql's input in an init script: here-documents (`psql <<-EOSQL … EOSQL`) and quoted arguments (`psql -c
    '…'`). A `$VAR` left in a statement makes it unreadable SQL, so a skip, never a guessed name."""
    source = text.encode("utf-8", "surrogateescape")
    stack = [bash_parser().parse(source).root_node]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        if node.type not in ("heredoc_body", "raw_string", "string"):
            continue
        quoted = node.type != "heredoc_body"
        raw = source[node.start_byte + quoted : node.end_byte - quoted].decode("utf-8", "replace")
        if _MENTIONS.search(raw):
            row, byte_column = node.start_point
            line_start = source.rfind(b"\n", 0, node.start_byte) + 1
            column = len(source[line_start : line_start + byte_column].decode("utf-8", "replace")) + 1 + quoted
            yield row + 1, column, raw, _expansions(node, source, node.start_byte + quoted)


def _expansions(node, source: bytes, body_start: int) -> tuple[tuple[int, int], ...]:
    """Character spans of `$VAR`, `${VAR}` and `$(…)` inside a here-document or a double-quoted argument."""
    spans, stack = [], list(node.children)
    while stack:
        child = stack.pop()
        if child.type in ("simple_expansion", "expansion", "command_substitution"):
            begin = len(source[body_start : child.start_byte].decode("utf-8", "replace"))
            spans.append((begin, begin + len(source[child.start_byte : child.end_byte].decode("utf-8", "replace"))))
        else:
            stack.extend(child.children)
    return tuple(spans)


def _python_strings(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column of the first character, text) of each string that mentions a limit, in file order."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return  # the file's other reader reports it; no limit is guessed from it
    lines = text.encode("utf-8").split(b"\n")
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if _reverts(node):
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _MENTIONS.search(node.value):
            yield node.lineno, _after_quote(lines[node.lineno - 1], node.col_offset), node.value
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _after_quote(line: bytes, byte_offset: int) -> int:
    """The 1-based column of a string's first character: past its prefix (`r`, `b`…) and its one or three quotes;
    `ast` gives the offset of the literal in UTF-8 bytes."""
    literal = line[byte_offset:].decode("utf-8", "replace")
    opening = _OPENING.match(literal)
    return len(line[:byte_offset].decode("utf-8", "replace")) + (opening.end() if opening else 0) + 1


_OPENING = re.compile(r"[A-Za-z]*(\"{3}|'{3}|\"|')")


def _reverts(node: ast.AST) -> bool:
    """What runs only to undo a migration: Alembic's `downgrade()`, Django's `RunSQL(…, reverse_sql=…)`."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name in _REVERTING
    return isinstance(node, ast.keyword) and node.arg == "reverse_sql"


#: the functions that undo a migration (Alembic `downgrade`, Knex/TypeORM/Sequelize `down`): their statements are
#: not in force after the migration runs, so they never win over the `up` ones written before them
_REVERTING = ("downgrade", "down")


def _script_strings(path: str, text: str) -> Iterator[tuple[int, int, str]]:
    """Plain strings and template strings without `${…}` (a substituted name or number is not a literal), in file
    order, outside the `down` functions that undo a migration."""
    from pgconnlint.extract.treesitter import SourceFile

    source = SourceFile.parse(path, text)
    stack = [source.tree.root_node]
    while stack:
        node = stack.pop()
        if _script_reverts(source, node):
            continue
        stack.extend(reversed(node.children))
        if node.type not in ("string", "template_string"):
            continue
        if any(child.type == "template_substitution" for child in node.children):
            continue
        raw = source.source[node.start_byte + 1 : node.end_byte - 1].decode("utf-8", "replace")
        if _MENTIONS.search(raw):
            where = source.location(node)
            yield where.line, where.column + 1, raw


def _script_reverts(source, node) -> bool:
    """`async down(queryRunner) {…}`, `exports.down = function (knex) {…}`, `down: async () => {…}`."""
    if node.type in ("method_definition", "function_declaration", "pair"):
        name = node.child_by_field_name("name") or node.child_by_field_name("key")
    elif node.type == "assignment_expression":
        name = node.child_by_field_name("left")
    else:
        return False
    written = source.source[name.start_byte : name.end_byte].decode("utf-8", "replace") if name else ""
    return written.rsplit(".", 1)[-1].strip("'\"") in _REVERTING


# --- Terraform: the cyrilgdn/postgresql provider -----------------------------------------------------------------

TERRAFORM_RESOURCES = {"postgresql_role": "role", "postgresql_database": "database"}


def from_terraform(blocks, resolver) -> list[ConnectionLimit]:
    """`postgresql_role` and `postgresql_database` resources (extract/terraform.py's blocks and resolver): their
    `connection_limit`, -1 (none) when absent, the provider's default; a computed one is a skip, never a guess."""
    found = []
    for block in blocks:
        kind = TERRAFORM_RESOURCES.get(block.type)
        if kind is None or block.kind != "resource":
            continue
        name = resolver.value(block, block.body.attributes.get("name"))
        if name is None or not isinstance(name, Known):
            continue  # no name to match pools against
        source = f"Terraform {block.address}"
        limit = resolver.value(block, block.body.attributes.get("connection_limit"))
        if limit is None:
            limit = Default(-1, block.location, f"cyrilgdn/postgresql default -1 (no limit); {source}")
        elif not isinstance(limit, Known) or not isinstance(limit.value, int) or isinstance(limit.value, bool):
            if not isinstance(limit, Known):
                resolver.note(limit, f"connection_limit of {block.address}")
            continue
        superuser = resolver.value(block, block.body.attributes.get("superuser")) if kind == "role" else None
        is_superuser = superuser.value if isinstance(superuser, Known) and isinstance(superuser.value, bool) else None
        found.append(ConnectionLimit(kind, str(name.value), block.location, source, limit, is_superuser))
    return found
