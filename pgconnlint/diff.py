"""`pgconnlint diff`: the budget at a git revision against the working tree's, per deployment and server, and the
terms that changed. The revision is read without running anything it holds (docs/diff.md): its files are copied out
of git's object store into a private folder, and the same budget computation as `budget` runs on that folder.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from pgconnlint.budget import Budget, Term
from pgconnlint.config import CONFIG_FILES, ConfigError
from pgconnlint.discover import GIT, MAX_FILE_BYTES
from pgconnlint.model import Known, Location

#: the default base: the merge base of HEAD with the first of these that names a commit (issue 18)
DEFAULT_BRANCHES = ("origin/HEAD", "main", "master")

#: how a file over the size bound ends its `skipped` entry (discover.read_text's words)
TOO_LARGE = "-byte limit; not read"

#: seconds git may take to list and hand over the base revision's files
GIT_SECONDS = 300.0

# A server's state, from best to worst for the gate; NONE: the server or deployment is not there on that side.
NONE, FITS, NEAR, UNKNOWN, OVER, UNBOUNDED = "none", "fits", "near", "unknown", "over", "unbounded"


class DiffError(Exception):
    """The user's to fix (exit 2): not a git repository, no such revision, no default branch."""


class NoSuchDeployment(Exception):
    """`budgets_at` of a tree without the deployment `--deployment` asks for: new in the change, or a typo."""


@dataclass(frozen=True, slots=True)
class Base:
    revision: str  #: as given, or the default branch whose merge base was taken
    commit: str  #: the full commit id read
    how: str  #: "given", or "merge base of HEAD and main"
    skipped: tuple[str, ...] = ()  #: files of the base not copied out, each with why (`path: reason`)


@dataclass(frozen=True, slots=True)
class Factor:
    """One number of a term that differs between the two sides: processes, pool max, at once, during a rollout."""

    name: str
    before: float | None  #: None: unknown
    after: float | None
    location: Location | None  #: where the newer value is written; None for a library default without a file


@dataclass(frozen=True, slots=True)
class TermChange:
    group: str
    pool: str
    before: Term | None  #: None: the term is new
    after: Term | None  #: None: the term is gone
    factors: tuple[Factor, ...] = ()

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "removed" if self.after is None else "changed"

    @property
    def delta(self) -> float | None:
        """Connections at once gained (negative: lost); None when a side is unknown or both are unbounded."""
        return _difference(_product(self.before), _product(self.after))

    @property
    def location(self) -> Location:
        term = self.after or self.before
        assert term is not None
        return term.anchor


@dataclass(frozen=True, slots=True)
class ServerChange:
    deployment: str  #: "" when the tree has no deployment and every process counts, as `budget` does
    server: str
    before: Budget | None  #: None: no such server or deployment at the base
    after: Budget | None  #: None: gone from the working tree
    terms: tuple[TermChange, ...]  #: the added, removed and changed terms; unchanged ones are not listed
    headroom: float  #: the PGC102 share of the usable slots above which a server is near its limit

    @property
    def status_before(self) -> str:
        return status(self.before, self.headroom)

    @property
    def status_after(self) -> str:
        return status(self.after, self.headroom)

    @property
    def delta(self) -> float | None:
        return _difference(_total(self.before), _total(self.after))

    @property
    def changed(self) -> bool:
        return bool(self.terms) or self.status_before != self.status_after or self.usable_before != self.usable_after

    @property
    def usable_before(self) -> int | None:
        return None if self.before is None else self.before.server.usable

    @property
    def usable_after(self) -> int | None:
        return None if self.after is None else self.after.server.usable

    @property
    def worse(self) -> str | None:
        """Why this change makes the server worse (exit status 1), or None."""
        before, after = self.status_before, self.status_after
        if after == UNBOUNDED and before != UNBOUNDED:
            return "now unbounded: a pool without a limit"
        if after == OVER and before != OVER and not (self.before and math.isinf(self.before.total)):
            return f"pushed over the usable slots: {_total_text(self.after)} of {self.usable_after}"
        if after == OVER and self.delta is not None and self.delta > 0:
            return f"further over the usable slots: {_total_text(self.after)} of {self.usable_after}"
        if after == NEAR and before in (NONE, FITS):
            share = round(100 * self.after.total / self.after.server.usable)
            return f"from fits to near the limit: {share}% of the usable slots, over {round(100 * self.headroom)}%"
        if after == UNKNOWN and before in (NONE, FITS, NEAR):
            return f"from known to unknown: at least {_total_text(self.after)}, some terms cannot be counted"
        if _rollout_over(self.after) and not _rollout_over(self.before) and after != OVER:
            rollout = int(self.after.rollout_total)
            return f"a rolling deploy now pushes it over the usable slots: {rollout} of {self.usable_after}"
        return None


@dataclass(frozen=True, slots=True)
class Diff:
    base: Base
    servers: tuple[ServerChange, ...] = field(default_factory=tuple)

    @property
    def worse(self) -> tuple[ServerChange, ...]:
        return tuple(server for server in self.servers if server.worse)


def status(budget: Budget | None, headroom: float) -> str:
    """What `check` would say of this budget: unbounded (PGC111), over (PGC101), unknown (at least N), near
    (PGC102), or fits."""
    if budget is None:
        return NONE
    if math.isinf(budget.total):
        return UNBOUNDED
    usable = budget.server.usable
    if budget.total > usable:
        return OVER  # even "at least" this many is over
    if math.isinf(budget.ceiling):
        return UNBOUNDED  # the processes use fewer at once, but a pool sets no limit (PGC111)
    if not budget.complete:
        return UNKNOWN
    if budget.terms and budget.total > headroom * usable:
        return NEAR
    return FITS


def diff(path: Path, revision: str | None, budgets_at: Callable[[Path], tuple[list[Budget], float]]) -> Diff:
    """The budget of `path` (a folder of a git work tree) at `revision` (default: the merge base with the default
    branch) against its working tree. `budgets_at(folder)` is the `budget` command's computation: the budgets and
    the PGC102 headroom of a folder, configuration included."""
    top, prefix = repository(path)
    base = resolve_base(top, revision)
    try:
        after, headroom = budgets_at(path)
    except NoSuchDeployment as error:
        raise DiffError(str(error)) from None
    with materialised(top, base.commit, prefix) as (root, skipped):
        try:
            before, _ = budgets_at(root)
        except NoSuchDeployment:  # the deployment is new: every server of it comes from none
            before = []
        except ConfigError as error:  # the base's own configuration: named by the revision, not the scratch folder
            top_copy = str(root.parents[len(Path(prefix).parts) - 1]) if prefix else str(root)
            message = str(error).replace(top_copy + os.sep, f"{base.revision}:")
            raise DiffError(f"at the base {base.revision}: {message}") from None
    return Diff(replace(base, skipped=skipped), compare(before, after, headroom))


def compare(before: list[Budget], after: list[Budget], headroom: float) -> tuple[ServerChange, ...]:
    """Each deployment and server of either side, matched by deployment and server name: the working tree's in the
    order `budget` prints them (fullest first), then those only the base has."""
    old, new = _keyed(before, _budget_key), _keyed(after, _budget_key)
    keys = [*new, *(key for key in old if key not in new)]
    return tuple(_server_change(key, old.get(key), new.get(key), headroom) for key in keys)


def _server_change(key: tuple, before: Budget | None, after: Budget | None, headroom: float) -> ServerChange:
    deployment, server, _ = key
    old = _keyed(before.terms if before else (), _term_key)
    new = _keyed(after.terms if after else (), _term_key)
    terms = []
    for term_key in [*new, *(k for k in old if k not in new)]:
        change = _term_change(old.get(term_key), new.get(term_key))
        if change is not None:
            terms.append(change)
    return ServerChange(deployment, server, before, after, tuple(terms), headroom)


def _term_change(before: Term | None, after: Term | None) -> TermChange | None:
    term = after or before
    assert term is not None
    if before is None or after is None:
        return TermChange(term.group.name, term.pool.label, before, after)
    factors = tuple(_factors(before, after))
    return TermChange(term.group.name, term.pool.label, before, after, factors) if factors else None


def _factors(before: Term, after: Term) -> Iterator[Factor]:
    if before.processes != after.processes:
        where = _changed_at(before.group.processes, after.group.processes)
        yield Factor("processes", before.processes, after.processes, where)
    if before.pool_max != after.pool_max:
        yield Factor("pool max", before.pool_max, after.pool_max, _changed_at(before.pool.max, after.pool.max))
    held = before.at_once != before.pool_max or after.at_once != after.pool_max  # fewer than the pool at once
    if before.at_once != after.at_once and held:
        yield Factor("at once", before.at_once, after.at_once, _where(after.group.units))
    rolls = before.group.rollout is not None or after.group.rollout is not None
    if rolls and before.rollout_processes != after.rollout_processes:
        where = _where(after.group.rollout) if after.group.rollout is not None else None
        yield Factor("during a rollout", before.rollout_processes, after.rollout_processes, where)


def _where(value) -> Location | None:
    return value.location if value.location.path else None


#: `3 replicas [compose deploy.replicas, docker-compose.yml:7]`: one cited number inside a count's origin
_CITED = re.compile(r"(\d+) (?:[a-z]+ )?\[[^\[\]]*?([^\s,\[\]]+):(\d+)\]")


def _changed_at(before, after) -> Location | None:
    """Where the number that changed is written: a product (4 pm2 processes × 3 compose replicas) cites each
    factor; the first cited factor that differs between the sides is the line the change is on."""
    if isinstance(before, Known) and isinstance(after, Known):
        old, new = _CITED.findall(before.via), _CITED.findall(after.via)
        if len(old) == len(new):
            for was, now in zip(old, new, strict=True):
                if was[0] != now[0]:
                    return Location(now[1], int(now[2]))
    return _where(after)


def _budget_key(budget: Budget) -> tuple[str, str]:
    return budget.deployment, budget.server.name


def _term_key(term: Term) -> tuple[str, str, str]:
    """A term's identity on both sides: its group and pool by name and file, never by line (lines move)."""
    return term.group.name, term.pool.label, term.pool.location.path


def _keyed(items, key) -> dict[tuple, object]:
    """Items by key, a repeated key told apart by its occurrence (two identical pools in one group)."""
    keyed: dict[tuple, object] = {}
    seen: Counter[tuple] = Counter()
    for item in items:
        base = key(item)
        keyed[(*base, seen[base])] = item
        seen[base] += 1
    return keyed


def _product(term: Term | None) -> float | None:
    return 0 if term is None else term.product


def _total(budget: Budget | None) -> float | None:
    if budget is None:
        return 0
    return budget.total if budget.complete or math.isinf(budget.total) else None


def _total_text(budget: Budget | None) -> str:
    return "unbounded" if budget and math.isinf(budget.total) else str(int(budget.total)) if budget else "0"


def _difference(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or (math.isinf(before) and math.isinf(after)):
        return None
    return after - before


def _rollout_over(budget: Budget | None) -> bool:
    return bool(budget and budget.rolls_out and budget.rollout_total > budget.server.usable)


# --- reading the base revision ------------------------------------------------------------------------------------

# The repository is untrusted, and so is its .git/config. Only plumbing that runs no hook, no filter and no textconv
# is used: rev-parse, merge-base, ls-tree and `cat-file --batch`, which hands over raw blobs (no --filters, no
# --textconv). Not `git archive`: it applies the tree's own export-subst/export-ignore attributes and runs the
# compressor a `tar.<format>.command` setting names. The settings that could start a program are overridden anyway
# (discover.GIT).
#: GIT_NO_LAZY_FETCH: a partial clone's missing blob is not fetched from a promisor remote (git 2.44+);
#: GIT_OPTIONAL_LOCKS=0: nothing rewrites the index; the variables a hook sets never point git elsewhere
_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_REPLACE_OBJECTS": "1",
}
_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


def _environment() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _GIT_LOCATION}
    return {**env, **_GIT_ENV}


def _git(where: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [*GIT, "-C", str(where), *args],
            capture_output=True,
            input=stdin,
            env=_environment(),
            timeout=GIT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise DiffError(f"git could not run: {error}") from None


def repository(path: Path) -> tuple[Path, str]:
    """The top folder of the git work tree holding `path`, and `path` relative to it (`sub/dir/`, or "")."""
    if not path.is_dir():
        raise DiffError(f"{path}: not a directory")
    found = _git(path, "rev-parse", "--show-toplevel", "--show-prefix")
    lines = found.stdout.decode("utf-8", "surrogateescape").split("\n")
    if found.returncode != 0 or len(lines) < 2 or not lines[0]:
        raise DiffError(f"{path}: not in a git work tree; `pgconnlint diff` compares with a git revision")
    return Path(lines[0]), lines[1]


def resolve_base(top: Path, revision: str | None) -> Base:
    """The commit to compare with: `revision`, or the merge base of HEAD with the default branch."""
    if revision is not None:
        if revision.startswith("-"):
            raise DiffError(f"{revision!r} is not a revision")
        commit = _commit(top, revision)
        if commit is None:
            raise DiffError(f"{revision!r}: no such commit in {top}")
        return Base(revision, commit, "given")
    if _commit(top, "HEAD") is None:
        raise DiffError(f"{top}: no commit yet (HEAD names none); nothing to compare with")
    for branch in DEFAULT_BRANCHES:
        if _commit(top, branch) is None:
            continue
        merged = _git(top, "merge-base", "HEAD", branch)
        if merged.returncode != 0:
            raise DiffError(f"HEAD and {branch} have no common commit; name the base revision")
        return Base(branch, merged.stdout.decode().strip(), f"merge base of HEAD and {branch}")
    tried = ", ".join(DEFAULT_BRANCHES)
    raise DiffError(f"no default branch to compare with (tried {tried}); name the base revision, e.g. origin/develop")


def _commit(top: Path, revision: str) -> str | None:
    found = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    return found.stdout.decode().strip() if found.returncode == 0 else None


@contextmanager
def materialised(top: Path, commit: str, prefix: str) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """The files of `commit` under `prefix` (and the configuration files above it) in a private temporary folder,
    removed on exit; yields the folder that stands for `prefix` and the files not copied, with why."""
    scratch = Path(tempfile.mkdtemp(prefix="pgconnlint-diff-"))
    try:
        tree = scratch / "tree"
        tree.mkdir()
        skipped, copied = _copy_out(top, commit, prefix, tree)
        if not _index(top, tree, copied):
            # An empty `.git` still marks the top for the configuration lookup (config.find stops there); the
            # linter then walks the folder instead of asking git
            shutil.rmtree(tree / ".git", ignore_errors=True)
            (tree / ".git").mkdir()
        root = tree / prefix if prefix else tree
        root.mkdir(parents=True, exist_ok=True)
        with _no_enclosing_repository(scratch):
            yield root, skipped
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # never follows a link: removes the link itself


@contextmanager
def _no_enclosing_repository(ceiling: Path) -> Iterator[None]:
    """While the copy is linted, the linter's own git calls see the copy only: not a GIT_DIR a hook exported, and
    (should the copy have no index) no repository above the scratch folder."""
    saved = {name: os.environ.get(name) for name in ("GIT_CEILING_DIRECTORIES", *_GIT_LOCATION)}
    for name in _GIT_LOCATION:
        os.environ.pop(name, None)
    os.environ["GIT_CEILING_DIRECTORIES"] = os.path.realpath(ceiling)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True, slots=True)
class _Entry:
    path: str
    mode: bytes
    oid: bytes
    size: int


def _index(top: Path, tree: Path, copied: list[_Entry]) -> bool:
    """Make the copy a git work tree whose index holds exactly the copied files, so that discovery lists it as git
    lists a checkout of the base (a tracked file under an excluded folder name such as `build/` included, as in
    the working tree). Nothing is checked out: the index is written from the listing, the objects stay in the
    repository's store (alternates), and the new repository has no hooks (`--template=`)."""
    objects = _git(top, "rev-parse", "--path-format=absolute", "--git-path", "objects")
    if objects.returncode != 0 or _git(tree, "init", "-q", "--template=", ".").returncode != 0:
        return False
    info = tree / ".git" / "objects" / "info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "alternates").write_bytes(objects.stdout.strip() + b"\n")
    records = b"".join(b"%s %s\t%s\0" % (e.mode, e.oid, e.path.encode("utf-8", "surrogateescape")) for e in copied)
    return _git(tree, "update-index", "-z", "--add", "--index-info", stdin=records).returncode == 0


def _copy_out(top: Path, commit: str, prefix: str, tree: Path) -> tuple[tuple[str, ...], list[_Entry]]:
    """Write the wanted blobs of `commit` under `tree`; the files not written, with why, and the entries written."""
    listing = _git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
    if listing.returncode != 0:
        raise DiffError(f"cannot list the files of {commit[:12]}: {listing.stderr.decode(errors='replace').strip()}")
    wanted = _wanted(prefix)
    entries, skipped = [], []
    for entry in _entries(listing.stdout):
        if not wanted(entry.path):
            continue
        why = _refused(entry)
        if why:
            skipped.append(f"{entry.path}: {why}")
        else:
            entries.append(entry)
    links, copied = [], []
    for entry, data in _blobs(top, entries):
        if data is None:
            skipped.append(f"{entry.path}: not in the repository's object store (a partial clone); not read")
        elif entry.mode == b"120000":
            links.append((entry, data))
        elif _write(tree, entry.path, data):
            copied.append(entry)
        else:
            skipped.append(f"{entry.path}: cannot be written as a file; not read")
    # Links last: no file is ever written through one. A link whose target leaves the tree is not made.
    refused, made = _links(tree, links)
    return (*skipped, *refused), copied + made


def _wanted(prefix: str) -> Callable[[str], bool]:
    """The files under `prefix`, and the configuration files of the folders above it (config.find reads those)."""
    parts = prefix.rstrip("/").split("/") if prefix else []
    above = {"/".join([*parts[:depth], name]) for depth in range(len(parts)) for name in CONFIG_FILES}
    return lambda path: path.startswith(prefix) or path in above


def _entries(listing: bytes) -> Iterator[_Entry]:
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid, size = meta.split()
        if kind != b"blob":
            continue  # a submodule's commit: another repository, not read here as in the working tree
        # `BAD` for an object the store lacks (a partial or shallow-filtered clone): -1, refused by _refused
        yield _Entry(path.decode("utf-8", "surrogateescape"), mode, oid, int(size) if size.isdigit() else -1)


def _refused(entry: _Entry) -> str | None:
    """Why a blob is not copied out: a path that could leave the folder, or a size the linter would not read."""
    parts = entry.path.split("/")
    if any(part in ("", ".", "..") or part.lower() == ".git" for part in parts):
        return "a path git itself would refuse to check out; not read"
    if entry.size < 0:
        return "not in the repository's object store (a partial clone); not read"
    if entry.size > MAX_FILE_BYTES:
        return f"{entry.size} bytes, over the {MAX_FILE_BYTES}{TOO_LARGE}"
    return None


def _blobs(top: Path, entries: list[_Entry]) -> Iterator[tuple[_Entry, bytes | None]]:
    """Each entry's raw bytes from one `git cat-file --batch`, one object asked and read at a time; None for an
    object the store lacks."""
    if not entries:
        return
    command = [*GIT, "-C", str(top), "cat-file", "--batch"]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_environment()
    ) as process:
        watchdog = threading.Timer(GIT_SECONDS, process.kill)  # a stalled git never hangs the run
        watchdog.start()
        try:
            assert process.stdin is not None and process.stdout is not None
            for entry in entries:
                process.stdin.write(entry.oid + b"\n")
                process.stdin.flush()
                header = process.stdout.readline().split()
                if len(header) == 2 and header[1] == b"missing":
                    yield entry, None
                    continue
                if len(header) != 3 or header[1] != b"blob" or int(header[2]) > MAX_FILE_BYTES:
                    raise DiffError(f"git did not hand over {entry.path} at the base revision")
                data = process.stdout.read(int(header[2]))
                process.stdout.read(1)  # the newline after each object
                yield entry, data
            process.stdin.close()
        except (OSError, ValueError) as error:
            raise DiffError(f"git stopped handing over the base revision's files: {error}") from None
        finally:
            watchdog.cancel()
            process.kill()


def _write(tree: Path, path: str, data: bytes) -> bool:
    """`data` as a new regular file at `path` under `tree`; no link exists in the tree yet, and O_NOFOLLOW and
    O_EXCL refuse one anyway. Never executable: nothing here is run."""
    target = os.path.join(tree, *path.split("/"))
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError:
        return False
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return True


def _links(tree: Path, links: list[tuple[_Entry, bytes]]) -> tuple[list[str], list[_Entry]]:
    """Make the links whose target stays in the tree, as the working tree has them (the linter's own confinement
    applies to them as there); then unmake any that resolves out of it through another link. The links not made,
    with why, and the entries of those made."""
    skipped, made = [], []
    real_tree = os.path.realpath(tree)
    for entry, data in links:
        target = data.decode("utf-8", "surrogateescape")
        lexical = os.path.normpath(os.path.join(os.path.dirname(entry.path), target))
        if os.path.isabs(target) or lexical == ".." or lexical.startswith("../") or "\0" in target:
            skipped.append(f"{entry.path}: a symbolic link out of the tree; not followed")
            continue
        place = os.path.join(tree, *entry.path.split("/"))
        try:
            if not _plain_folder(tree, entry.path.split("/")[:-1]):
                raise OSError("a folder of its path is a link")
            os.symlink(target, place)
        except OSError:
            skipped.append(f"{entry.path}: cannot be made as a link; not read")
            continue
        made.append((entry, place))
    kept = []
    for entry, place in made:  # a link to a link: only the whole resolution tells where it ends
        real = os.path.realpath(place)
        if real != real_tree and not real.startswith(real_tree + os.sep):
            os.unlink(place)
            skipped.append(f"{entry.path}: a symbolic link out of the tree; not followed")
        else:
            kept.append(entry)
    return skipped, kept


def _plain_folder(tree: Path, parts: list[str]) -> bool:
    """Create the folders of `parts` under `tree`, refusing to pass through a link made before."""
    current = str(tree)
    for part in parts:
        current = os.path.join(current, part)
        if os.path.islink(current):
            return False
        if not os.path.isdir(current):
            os.mkdir(current)
    return True
