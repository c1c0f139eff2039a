"""Node processes on a command line: `pm2 start app.js -i 4`, `pm2-runtime ecosystem.config.js`,
`pm2-runtime start dist/main.js -i max`, `node dist/main.js`, `npm run start:prod`, and the several commands of
`concurrently "…" "…"` and `npm-run-all`/`run-p`; found in package.json scripts, Dockerfiles, compose files and
Procfiles. Also the workers an app forks itself (`cluster.fork()`, `throng`), read from its code.

Like extract/commands.py for Python servers: a command is split with shlex, wrappers (`exec`, `npx`, `dumb-init`,
`cross-env VAR=…`, `sh -c "…"`) are looked through, and `$VAR` / `${VAR:-default}` become environment lookups.
"""

from __future__ import annotations

import json
import re

from pgconnlint.expr import Arith, Call, EnvVar, Expr, Lit, Logical
from pgconnlint.extract.commands import _is_script, flag_value, shell_value, shell_words
from pgconnlint.model import Location, NodeFork, NodeProcessDecl, ParseProblem

_WRAPPERS = {"exec", "npx", "dumb-init", "tini", "--", "cross-env", "env", "time", "nice", "pnpx", "bunx"}
_SEPARATORS = ("&&", ";", "||", "&", "|")
_COMPOUND = frozenset(["if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "do", "done"])
# pm2 flags that take a value (pm2 --help); `-i`/`--instances` is read, the others are skipped with their value.
_PM2_VALUE_FLAGS = {
    "--name",
    "-n",
    "--env",
    "--cwd",
    "-o",
    "--output",
    "-e",
    "--error",
    "-l",
    "--log",
    "--max-memory-restart",
    "--node-args",
    "--interpreter",
    "--log-date-format",
    "--only",
    "--namespace",
    "--wait-ready",
    "--listen-timeout",
    "--kill-timeout",
    "--restart-delay",
    "-x",
    "--public",
    "--secret",
    "--machine-name",
}
_NODE_VALUE_FLAGS = {"-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--inspect-port"}
_CONCURRENTLY_VALUE_FLAGS = {"-n", "--names", "-c", "--prefix-colors", "-p", "--prefix", "--name-separator"}
_SHELLS = ("sh", "bash", "ash", "dash")
_NODE_RUNNERS = ("node", "nodejs", "ts-node", "tsx", "nodemon", "bun")
_PACKAGE_MANAGERS = ("npm", "yarn", "pnpm")
# pm2's own test of a configuration file (lib/Common.js isConfigFile): JSON, JSON5, YAML, or *.config.{js,cjs,mjs}
_ECOSYSTEM = re.compile(r"\.(json5?|ya?ml)$|\.config\.(c|m)?js$|(^|/)ecosystem[\w.-]*\.(c|m)?js$")
_PM2_STARTS = ("start", "startOrRestart", "startOrReload", "startOrGracefulReload", "reload", "restart")
_MAX_DEPTH = 4  # `sh -c "concurrently 'sh -c …'"`: nesting deeper than this is not followed


def parse(
    command: str | list[str], where: Location, source: str, origin: str, directory: str, depth: int = 0
) -> list[NodeProcessDecl]:
    """The Node processes a command starts; [] when it starts none we know."""
    if depth > _MAX_DEPTH:
        return []
    chain: list[tuple[list, str]] = []  # the processes of each command, with the separator after it
    segment: list[str] = []
    words = shell_words(command)
    for token in [*words, ""]:  # `npm run migrate && pm2-runtime …`: each command of the chain
        if token and token not in _SEPARATORS:
            segment.append(token)
            continue
        chain.append((_segment(segment, where, source, origin, directory, depth), token))
        segment = []
    if _COMPOUND.intersection(words):  # `if …; then a; else b && c; fi`: branches, not one chain: all are kept
        return [decl for started, _ in chain for decl in started]
    last = max((i for i, (started, _) in enumerate(chain) if started), default=-1)
    return [
        decl for i, (started, after) in enumerate(chain) for decl in started if _keeps_running(decl, i, after, last)
    ]


def _keeps_running(decl: NodeProcessDecl, index: int, after: str, last: int) -> bool:
    """A command before `&&`, `;` or `||` finishes before the next one starts (`npm run migrate && node main.js`:
    the migration is a one-off step), unless it runs in the background (`&`, `|`) or starts pm2's daemon
    (`pm2 start app.js && pm2 logs`), whose processes outlive the command."""
    return index >= last or after in ("&", "|") or decl.runner == "pm2"


def extract_scripts(path: str, text: str) -> tuple[list[NodeProcessDecl], list[ParseProblem]]:
    """package.json `scripts`: each one that starts Node processes, by name (the linker picks the one that runs).
    An invalid package.json is reported by extract/package.py; scripts of the wrong shape are skipped."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return [], []
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return [], []
    directory = path.rpartition("/")[0]
    found: list[NodeProcessDecl] = []
    for name, command in scripts.items():
        if not isinstance(command, str):
            continue
        where = Location(path, _line_of(text, name))
        for decl in parse(command, where, f"{path} scripts.{name}", "package", directory):
            found.append(_replace(decl, defined_as=name))
    return found, []


def extract_forks(path: str, text: str) -> tuple[list[NodeFork], list[ParseProblem]]:
    """`cluster.fork()` (a loop over `os.cpus()` / `availableParallelism()` forks one worker per CPU; a loop to a
    number forks that many) and `throng(...)` (`count`/`workers`, else one worker per CPU: throng 4's
    `DEFAULT_OPTIONS = { workers: cpuCount }` with `cpuCount = require('os').cpus().length`, lib/throng.js)."""
    found: list[NodeFork] = []
    fork = re.search(r"\bcluster\.fork\s*\(", text)
    if fork and re.search(r"""['"](node:)?cluster['"]""", text):
        found.append(_cluster(path, text, fork.start()))
    call = re.search(r"\bthrong\s*\(", text)
    if call and re.search(r"""['"]throng['"]""", text):
        where = Location(path, _line_at(text, call.start()))
        arguments = text[call.end() : call.end() + 400]
        count = re.match(r"\s*(\d+)\s*,", arguments) or re.search(r"\b(?:count|workers)\s*:\s*([^,}\n]+)", arguments)
        if count is None:
            found.append(NodeFork(where, "throng", None))
        else:
            written = count.group(1).strip()
            value: object = int(written) if written.isdigit() else written
            found.append(NodeFork(where, "throng", Lit(where, written, value)))
    sandboxed = _SANDBOXED.search(text)
    if sandboxed and re.search(r"""['"]bullmq['"]""", text):
        found.append(_bullmq(path, text, sandboxed))
    return found, []


# BullMQ runs a processor given as a file in child processes, one per concurrency slot (its "sandboxed
# processors"); each child imports the processor's modules, so each opens the package's pools too.
_SANDBOXED = re.compile(
    r"""new\s+Worker\s*\(\s*[^,]+,\s*(?:['"`][^'"`]+\.(?:c|m)?[jt]s['"`]|path\.(?:join|resolve)\(|`\$\{__dirname\}|new\s+URL\()"""
)


def _bullmq(path: str, text: str, call: re.Match) -> NodeFork:
    where = Location(path, _line_at(text, call.start()))
    concurrency = re.search(r"\bconcurrency\s*:\s*(\d+)", text[call.end() : call.end() + 400])
    slots = int(concurrency.group(1)) if concurrency else 1  # BullMQ's default concurrency
    written = f"1 + concurrency {slots}" if concurrency else "1 + the default concurrency 1"
    return NodeFork(where, "BullMQ sandboxed processors", Lit(where, written, 1 + slots))


def _cluster(path: str, text: str, at: int) -> NodeFork:
    """`for (…; i < os.cpus().length; …) cluster.fork()` (directly or through a variable such as `numCPUs`) forks
    one worker per CPU; a loop to a number forks that many; a bound read from the environment or computed from
    the CPU count (`2 * CLUSTER_SIZE`) is evaluated by the linker; forks outside any loop are counted one by one."""
    where = Location(path, _line_at(text, at))
    primary = _primary_opens(path, text)
    before = text[max(0, at - 400) : at]
    loops = list(re.finditer(r"\b(for|while)\b|\.forEach\s*\(|\.map\s*\(", before))
    if not loops:
        calls = len(re.findall(r"\bcluster\.fork\s*\(", text))
        return NodeFork(where, "cluster", Lit(where, "cluster.fork()", calls), primary)
    head = before[before.rfind("\n", 0, loops[-1].start()) + 1 :]  # from the line of the innermost loop
    bound = re.search(r"<=?\s*([\w.$]+(?:\(\s*\))?(?:\.length)?)", head)
    written = bound.group(1) if bound else ""
    per_cpu = _per_cpu(head) or (re.fullmatch(r"[A-Za-z_$][\w$]*", written) and _per_cpu(_assigned(text, written)))
    computed = _loop_bound(path, text, at)
    if computed is not None and not isinstance(computed.argument, EnvVar):  # `Math.min(os.cpus().length, 4)`
        return NodeFork(where, "cluster", computed, primary)
    if per_cpu and re.fullmatch(r"([\w.$]+(\(\s*\))?(\.length)?)?", _loop_text(head)):  # the bound is the CPUs
        return NodeFork(where, "cluster", None, primary)
    if computed is not None:
        return NodeFork(where, "cluster", computed, primary)
    if written.isdigit():
        return NodeFork(where, "cluster", Lit(where, written, int(written)), primary)
    return NodeFork(where, "cluster", Lit(where, written or "cluster.fork()", written or "cluster.fork()"), primary)


def _loop_text(head: str) -> str:
    """The bound of a `for` head as written: `numCPUs`, `2 * CLUSTER_SIZE`; "" when the loop is no `i < …`."""
    match = re.search(r"<=?\s*([^;]+);", head)
    return match.group(1).strip() if match else ""


def _loop_bound(path: str, text: str, at: int) -> Expr | None:
    """The bound of the `for (…; i < BOUND; …)` around the fork at `at`, as a value the linker evaluates in each
    process's environment: `Number(process.env.WORKERS)`, an env service's `get('WORKERS')`, `2 * CLUSTER_SIZE`
    with `CLUSTER_SIZE = Number(process.env.CLUSTER_SIZE) || cpus().length`; None when it reads neither the
    environment nor the CPU count."""
    from pgconnlint.extract.treesitter import SourceFile

    source = SourceFile.parse(path, text)
    offset = len(text[:at].encode("utf-8", "surrogatepass"))
    node = source.tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.type != "for_statement":
        node = node.parent
    condition = node.child_by_field_name("condition") if node is not None else None
    while condition is not None and condition.type == "expression_statement" and condition.named_child_count:
        condition = condition.named_children[0]
    if condition is None or condition.type != "binary_expression":
        return None
    operator = condition.child_by_field_name("operator")
    if operator is None or source.raw(operator) != "<":
        return None
    right = condition.child_by_field_name("right")
    bound = source.expr(right)
    if not _reads_environment(bound) and right is not None and right.type == "identifier":
        # `const numCPUs = Math.min(os.cpus().length, 4)` in the block around the loop
        from pgconnlint.extract.jspath import local_value

        local = local_value(source, right, source.raw(right))
        bound = source.expr(local) if local is not None else bound
    if not _reads_environment(bound):
        return None
    return Call(bound.location, bound.text, "Number", bound)  # the loop compares numbers: "5" counts 5


def _reads_environment(expr: Expr | None) -> bool:
    if isinstance(expr, EnvVar):
        return True
    if isinstance(expr, (Logical, Arith)):
        return _reads_environment(expr.left) or _reads_environment(expr.right)
    if isinstance(expr, Call):
        return _reads_environment(expr.argument)
    return False


def _primary_opens(path: str, text: str) -> Location | None:
    """Where the primary itself builds an object of the repository's own code at module level, before the
    primary/worker split (`const dao = new Dao()` with `Dao` imported from './dao/dao'): the primary then holds the
    pools that object opens, beside its workers. A primary that only forks, or builds its objects inside functions
    (a Nest context it closes), holds none."""
    local = set()
    for match in re.finditer(r"""^\s*import\s+(?:\{([^}]*)\}|([\w$]+))[^'"\n]*from\s+['"]\.{1,2}/""", text, re.M):
        names = match.group(1) or match.group(2) or ""
        local |= {part.split(" as ")[-1].strip() for part in names.split(",") if part.strip()}
    for match in re.finditer(r"""^(?:const|let|var)\s+([\w$]+)\s*=\s*require\(\s*['"]\.{1,2}/""", text, re.M):
        local.add(match.group(1))
    for match in re.finditer(r"^(?:export\s+)?(?:const|let|var)\s+[\w$]+\s*=\s*new\s+([\w$]+)\s*\(", text, re.M):
        if match.group(1) in local:
            return Location(path, _line_at(text, match.start()))
    return None


def _per_cpu(text: str) -> bool:
    return bool(re.search(r"\bcpus\s*\(\s*\)|availableParallelism\s*\(", text))


def _assigned(text: str, name: str) -> str:
    match = re.search(rf"\b{re.escape(name)}\s*=\s*([^;\n]+)", text)
    return match.group(1) if match else ""


# --- one command ---------------------------------------------------------------------------------------------


def _segment(tokens: list[str], where, source: str, origin: str, directory: str, depth: int) -> list:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name = token.rsplit("/", 1)[-1]
        rest = tokens[index + 1 :]
        if name in ("gosu", "su-exec") and rest:
            index += 2
            continue
        if name in ("sh", "bash", "ash") and rest[:1] == ["-c"] and len(rest) > 1:
            return parse(rest[1], where, source, origin, directory, depth + 1)
        if name in _SHELLS and rest and _is_script(rest[0]):  # `sh /entrypoint.sh`
            return [_script(rest[0], rest[1:], where, source, origin, directory)]
        if name in ("pm2", "pm2-runtime", "pm2-docker"):
            return _pm2(name, rest, where, source, origin, directory)
        if name == "bun":
            return _bun(rest, where, source, origin, directory)
        if name in _NODE_RUNNERS:
            return _node(rest, where, source, origin, directory)
        if name in _PACKAGE_MANAGERS:
            return _package_manager(name, rest, where, source, origin, directory)
        if name == "nest" and rest[:1] == ["start"]:  # the Nest CLI runs the compiled entry: `node dist/main`
            return [NodeProcessDecl("node", where, source, origin, directory, _nest_entry(rest[1:]))]
        if name == "next" and rest[:1] == ["start"]:  # the Next.js server of the package it runs in
            return [NodeProcessDecl("next", where, source, origin, directory)]
        if name in ("nuxt", "nuxi") and rest[:1] in (["dev"], ["start"], ["preview"]):  # the Nuxt (Nitro) server
            return [NodeProcessDecl("nuxt", where, source, origin, directory)]
        if name == "concurrently":
            return _concurrently(rest, where, source, origin, directory, depth)
        if name in ("npm-run-all", "run-p", "run-s", "npm-run-all2"):
            return [_npm(script, where, source, origin, directory) for script in _npm_run_all(name, rest)]
        if _is_script(token) and not token.startswith("-"):  # followed by extract/follow_node.py
            return [_script(token, rest, where, source, origin, directory)]
        if name not in _WRAPPERS and not token.startswith("-") and not re.fullmatch(r"\w+=.*", token):
            return []  # the command is something else (a Python server, a program of the image, …)
        index += 1
    return []


def _pm2(name: str, args: list[str], where, source: str, origin: str, directory: str) -> list:
    positional, instances, index = [], None, 0
    while index < len(args):
        token = args[index]
        flag = token.partition("=")[0]
        if token == "--":
            break  # arguments of the script
        if flag in ("-i", "--instances"):
            value, index = flag_value(args, index)
            instances = shell_value(value, where)
        elif flag in _PM2_VALUE_FLAGS:
            index = flag_value(args, index)[1]
        elif not token.startswith("-"):
            positional.append(token)
        index += 1
    verb = positional[0] if positional else ""
    if verb in _PM2_STARTS:
        positional = positional[1:]
        if verb != "start" and not (positional and _ECOSYSTEM.search(positional[0])):
            return []  # `pm2 reload api`: an app already started, by name
    elif name == "pm2":
        return []  # `pm2 logs`, `pm2 stop all`: starts nothing
    if not positional:
        return []
    script = positional[0]
    runner = "pm2" if name == "pm2" else "pm2-runtime"
    if script in _PACKAGE_MANAGERS:  # `pm2 start npm -- start`: pm2 runs the package's start script, once
        return [NodeProcessDecl(runner, where, source, origin, directory, None, instances)]
    ecosystem = bool(_ECOSYSTEM.search(script))
    return [NodeProcessDecl(runner, where, source, origin, directory, script, instances, ecosystem)]


def _node(args: list[str], where, source: str, origin: str, directory: str) -> list:
    index = 0
    while index < len(args):
        token = args[index]
        if token in _NODE_VALUE_FLAGS:
            index += 2
            continue
        if token in ("-e", "--eval", "-p", "--print", "-v", "--version"):
            return []
        if not token.startswith("-"):
            return [NodeProcessDecl("node", where, source, origin, directory, token)]
        index += 1
    return []


# `bun <file>` and `bun run <file>` run a module; `bun <script>`, `bun run <script>` a package.json script
# (Bun's `bun run` docs); these subcommands run neither
_BUN_COMMANDS = {"install", "i", "add", "a", "remove", "rm", "update", "test", "build", "x", "exec", "create", "init"}
_BUN_COMMANDS |= {"upgrade", "pm", "link", "unlink", "outdated", "publish", "patch", "repl", "audit", "info", "why"}
_JS_FILE = re.compile(r"\.[cm]?[jt]sx?$")


_BUN_VALUE_FLAGS = {*_NODE_VALUE_FLAGS, "--preload", "--cwd", "--config", "-c", "--filter", "-F", "--port"}


def _bun(args: list[str], where, source: str, origin: str, directory: str) -> list:
    words, index = [], 0
    while index < len(args):
        if args[index] in _BUN_VALUE_FLAGS:
            index += 1
        elif not args[index].startswith("-"):
            words.append(args[index])
        index += 1
    if words[:1] == ["run"]:
        words = words[1:]
    if not words or words[0] in _BUN_COMMANDS:
        return []
    if _JS_FILE.search(words[0]) or "/" in words[0]:
        return _node(words[:1], where, source, origin, directory)
    return [_npm(words[0], where, source, origin, directory)]


def _package_manager(name: str, args: list[str], where, source: str, origin: str, directory: str) -> list:
    words = [arg for arg in args if not arg.startswith("-")]
    if not words:
        return []
    if words[0] in ("start", "serve") or (name != "npm" and words[0] not in ("run", "install", "add", "exec", "dlx")):
        return [_npm(words[0], where, source, origin, directory)]
    if words[0] in ("run", "run-script") and len(words) > 1:
        return [_npm(words[1], where, source, origin, directory)]
    return []


_NEST_VALUE_FLAGS = {"-c", "--config", "-p", "--path", "-e", "--exec", "--sourceRoot", "--entryFile", "-b", "--builder"}


def _nest_entry(args: list[str]) -> str:
    """The module `nest start [app]` runs: `dist/main.js` (@nestjs/cli's defaults: entryFile `main`, the tsconfig's
    outDir `dist`), or `dist/apps/<app>/main.js` for an app of a Nest monorepo; `--entryFile` renames the module.
    reach_node.py maps that build output back to its source (`src/main.ts`). nest-cli.json is not read."""
    entry, app, index = "main", None, 0
    while index < len(args):
        token = args[index]
        flag, _, inline = token.partition("=")
        if flag in _NEST_VALUE_FLAGS:
            value = inline or (args[index + 1] if index + 1 < len(args) else "")
            entry = value if flag == "--entryFile" and value else entry
            index += 0 if inline else 1
        elif not token.startswith("-") and app is None:
            app = token
        index += 1
    return f"dist/apps/{app}/{entry}.js" if app else f"dist/{entry}.js"


def _concurrently(args: list[str], where, source: str, origin: str, directory: str, depth: int) -> list:
    found, index = [], 0
    while index < len(args):
        token = args[index]
        if token in _CONCURRENTLY_VALUE_FLAGS:
            index += 2
            continue
        if token.startswith("npm:") and _script_name(token[4:]):  # concurrently's shorthand for `npm run X`
            found.append(_npm(token[4:], where, source, origin, directory))
        elif not token.startswith("-"):
            found += parse(token, where, source, origin, directory, depth + 1)
        index += 1
    return found


def _script(path: str, args: list[str], where, source: str, origin: str, directory: str) -> NodeProcessDecl:
    return NodeProcessDecl("script", where, source, origin, directory, path, args=tuple(args))


def _npm(script: str, where, source: str, origin: str, directory: str) -> NodeProcessDecl:
    return NodeProcessDecl("npm-script", where, source, origin, directory, npm_script=script)


def _npm_run_all(name: str, args: list[str]) -> list[str]:
    """The scripts of `npm-run-all a b --parallel c d` / `run-s a b` / `run-p a b` that keep running: npm-run-all
    runs its groups one after the other and a sequential group's scripts one at a time, so only the last group is
    left running, and of a sequential group only its last script (`run-s check-db start-server`: the check is a
    step that finishes first)."""
    groups: list[tuple[bool, list[str]]] = [(name == "run-p", [])]
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            break  # arguments for the scripts
        if token in ("-p", "--parallel", "-s", "--sequential", "--serial"):
            groups.append((token in ("-p", "--parallel"), []))
        elif token in ("--max-parallel", "--npm-path"):
            index += 1  # flags with a value
        elif _script_name(token):
            groups[-1][1].append(token)
        index += 1
    parallel, scripts = next(((p, s) for p, s in reversed(groups) if s), (False, []))
    return scripts if parallel else scripts[-1:]


def _script_name(text: str) -> bool:
    """A script name npm-run-all runs; glob patterns (`build:*`) are not followed."""
    return bool(text) and not text.startswith("-") and "*" not in text and "{" not in text


# --- small helpers -------------------------------------------------------------------------------------------


def _line_of(text: str, key: str) -> int:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return _line_at(text, match.start()) if match else 1


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _replace(decl: NodeProcessDecl, **changes) -> NodeProcessDecl:
    from dataclasses import replace

    return replace(decl, **changes)


def extract_package(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """package.json: the manifest (extract/package.py) and the Node processes its scripts start."""
    from pgconnlint.extract import package, prisma

    manifest, problems = package.extract(path, text)
    scripts, _ = extract_scripts(path, text)
    # Which Prisma schema the package's client comes from (`prisma.schema`, else the default locations)
    schema = prisma.extract_package_key(path, text) if "prisma" in text else []
    return ([manifest] if manifest is not None else []) + scripts + schema, problems


def extract_code(path: str, text: str) -> tuple[list, list[ParseProblem]]:
    """A Node code file: its pools (extract/node_pools.py) and the workers it forks."""
    from pgconnlint.extract import node_pools, prisma

    if prisma.is_config_file(path):  # prisma.config.ts: which schema the client is generated from
        return prisma.extract_config(path, text)
    pools, problems = node_pools.extract_code(path, text)
    forks, _ = extract_forks(path, text) if any(word in text for word in ("cluster", "throng", "bullmq")) else ([], [])
    return [*(pools if isinstance(pools, list) else [pools] if pools is not None else []), *forks], problems
