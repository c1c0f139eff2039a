"""File paths that JS configuration files compute: `path.resolve('config', 'database.json')`,
`path.join(__dirname, 'db', 'schema.prisma')`, `` `${__dirname}/config.json` ``, read from the syntax tree, never run.

Used for sequelize-cli's `.sequelizerc` and Prisma's `prisma.config.ts`, which both resolve a relative path
against the folder they are loaded from: sequelize-cli loads `.sequelizerc` from `process.cwd()` and resolves
`config` against it (sequelize/cli src/core/yargs.js `loadRCFile`, src/helpers/config-helper.js `getConfigFile`:
`path.resolve(process.cwd(), args.config)`); Prisma resolves `schema` against the config file's folder
(prisma/prisma packages/config/src/loadConfigFromFile.ts `transformPathsInConfigToAbsolute`). So `__dirname`,
`process.cwd()` and a relative result all mean the configuration file's folder.

The result is a POSIX path relative to the repository root, or None when a part is not a literal (a variable from
the environment, a call we do not know) or the path leaves the repository.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

    from pgconnlint.extract.treesitter import SourceFile

_TRANSPARENT = {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"}
_MAX_DEPTH = 8  # `const a = b; const b = a;` must end
_PATH_MODULE = re.compile(r"""(?:require\s*\(\s*|from\s+)['"](?:node:)?path['"]""")


class _Absolute(str):
    """A path already anchored at a folder of the repository (through `__dirname` or `path.resolve`)."""


def static_path(source: SourceFile, node: Node | None, folder: str) -> str | None:
    """The repository path `node` evaluates to, when the file sits in `folder` ("" for the root)."""
    value = _value(source, node, folder, 0)
    if value is None:
        return None
    joined = value if isinstance(value, _Absolute) else posixpath.join(folder, value)
    if joined.startswith("/"):
        return None  # an absolute path of the machine it runs on, not a repository file
    normal = posixpath.normpath(joined or ".")
    return None if normal == ".." or normal.startswith("../") else ("" if normal == "." else normal)


def _value(source: SourceFile, node: Node | None, folder: str, depth: int) -> str | None:
    if node is None or depth > _MAX_DEPTH:
        return None
    while node.type in _TRANSPARENT and node.named_child_count:
        node = node.named_children[0]
    kind = node.type
    if kind == "string":
        return source.string(node)
    if kind == "identifier":
        name = source.raw(node)
        if name == "__dirname":
            return _Absolute(folder or ".")
        constant = source.constant(name)
        if constant is None:
            constant = local_value(source, node, name)
        return _value(source, constant, folder, depth + 1) if constant is not None else None
    if kind == "template_string":
        return _template(source, node, folder, depth)
    if kind == "binary_expression" and source.raw(node.child_by_field_name("operator") or node) == "+":
        left = _value(source, node.child_by_field_name("left"), folder, depth + 1)
        right = _value(source, node.child_by_field_name("right"), folder, depth + 1)
        if left is None or right is None:
            return None
        return _Absolute(left + right) if isinstance(left, _Absolute) else left + right
    if kind == "call_expression":
        return _call(source, node, folder, depth)
    return None


def local_value(source: SourceFile, node: Node, name: str) -> Node | None:
    """The initialiser of the nearest `const name = …` of a block around `node`, declared before it
    (`const jobsPath = path.join(__dirname, 'jobs')` in the function that requires from it)."""
    from pgconnlint.extract.treesitter import declarations

    scope = node.parent
    while scope is not None:
        if scope.type == "statement_block":
            before = [s for s in scope.named_children if s.end_byte <= node.start_byte]
            found = [value for target, value in declarations(before) if source.raw(target) == name]
            if found:
                return found[-1]
        scope = scope.parent
    return None


def _template(source: SourceFile, node: Node, folder: str, depth: int) -> str | None:
    parts: list[str] = []
    anchored = False
    cursor = node.start_byte + 1
    for child in node.named_children:
        if child.type == "template_substitution":
            parts.append(source.source[cursor : child.start_byte].decode("utf-8", "replace"))
            inner = _value(source, child.named_children[0] if child.named_children else None, folder, depth + 1)
            if inner is None:
                return None
            anchored = anchored or (not parts[0] and len(parts) == 1 and isinstance(inner, _Absolute))
            parts.append(inner)
            cursor = child.end_byte
    parts.append(source.source[cursor : node.end_byte - 1].decode("utf-8", "replace"))
    text = "".join(parts)
    return _Absolute(text) if anchored else text


def _call(source: SourceFile, node: Node, folder: str, depth: int) -> str | None:
    """`path.resolve(…)`, `path.join(…)` (also `require('path').join`), `process.cwd()`."""
    function = node.child_by_field_name("function")
    arguments = node.child_by_field_name("arguments")
    if function is None or arguments is None:
        return None
    callee = " ".join(source.raw(function).split())
    if callee == "process.cwd":
        return _Absolute(folder or ".")
    head, _, name = callee.rpartition(".")
    if name not in ("resolve", "join") or not _is_path_module(source, head):
        return None
    parts = []
    for argument in arguments.named_children:
        if argument.type == "comment":
            continue
        value = _value(source, argument, folder, depth + 1)
        if value is None:
            return None
        parts.append(value)
    if name == "join":
        joined = posixpath.join(*parts) if parts else "."
        return _Absolute(joined) if parts and isinstance(parts[0], _Absolute) else joined
    # path.resolve: from the right, up to the first anchored part; whatever is left is anchored at the cwd
    result = ""
    for part in reversed(parts):
        result = posixpath.join(part, result) if result else part
        if isinstance(part, _Absolute) or part.startswith("/"):
            return _Absolute(result)
    return _Absolute(posixpath.join(folder or ".", result) if result else folder or ".")


def _is_path_module(source: SourceFile, head: str) -> bool:
    if re.fullmatch(r"""require\s*\(\s*['"](?:node:)?path['"]\s*\)""", head):
        return True
    if not re.fullmatch(r"[\w$]+", head):
        return False
    text = source.source.decode("utf-8", "replace")
    binding = re.compile(
        rf"""(?:import\s+(?:\*\s+as\s+)?{re.escape(head)}\s+from\s+|(?:const|let|var)\s+{re.escape(head)}\s*=\s*"""
        r"""require\s*\(\s*)['"](?:node:)?path['"]"""
    )
    return bool(binding.search(text))
