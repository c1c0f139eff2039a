"""Parsing on several CPUs (issue 19): forked worker processes that each run one item at a time and send back what
it produced, pickled; the parent hands the results out in the items' own order, so the output is the serial one.

Workers are forked (Linux, macOS), so they start with every module and cache the parent holds: only the items sent
and the results are pickled, never the work function or the state it reads. Where fork is unavailable, or one CPU
is usable, or `--jobs 1`, the caller runs serially. A worker that dies (a native parser's crash, the kernel's OOM
killer) costs only the item it was reading: that item comes back through `lost(item, LOST_DIED)`, a fresh worker
takes over the rest. Past the deadline the workers are stopped and what is unread comes back through
`lost(item, LOST_TIME)`: a hung parser cannot hang the run.
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

DEFAULT_MAX_JOBS = 4  #: the default `--jobs` is the usable CPUs, at most this: beyond it the serial steps dominate
_IN_FLIGHT = 2  #: items queued per worker, so that a worker never waits for the parent between two items
LOST_DIED = "died"  #: the worker reading the item exited or was killed
LOST_RAISED = "raised"  #: the work raised, or its result could not be pickled
LOST_TIME = "time"  #: the run's time budget was spent before the item was read


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's or taskset's limit), not the machine's count."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def default_jobs() -> int:
    return max(1, min(usable_cpus(), DEFAULT_MAX_JOBS))


def can_fork() -> bool:
    return hasattr(os, "fork")  # multiprocessing itself (20 ms to import) only once a run forks


_RUN_JOBS: contextvars.ContextVar[int | None] = contextvars.ContextVar("pgconnlint_jobs", default=1)


@contextlib.contextmanager
def run_with(jobs: int | None) -> Iterator[None]:
    """`--jobs` for the steps of one run that read files as they go (reach_python.py): 1 outside a run."""
    token = _RUN_JOBS.set(jobs)
    try:
        yield
    finally:
        _RUN_JOBS.reset(token)


def run_workers() -> int:
    return workers_for(_RUN_JOBS.get())


def workers_for(jobs: int | None) -> int:
    """How many worker processes `jobs` asks for here: 1 (serial) without fork or with one usable CPU, and where
    forking is unsafe: another thread running (it may hold a lock the child would wait on forever), or inside a
    daemonic process (which may not have children)."""
    jobs = default_jobs() if jobs is None else jobs
    if jobs <= 1 or usable_cpus() <= 1 or not can_fork():
        return 1
    imported = sys.modules.get("multiprocessing")  # a daemonic multiprocessing child has imported it
    daemonic = imported is not None and imported.current_process().daemon
    return 1 if threading.active_count() > 1 or daemonic else jobs


def ordered(
    items: Sequence[Any],
    work: Callable[[Any], Any],
    lost: Callable[[Any, str], Any],
    jobs: int,
    deadline: float = float("inf"),
) -> Iterator[Any]:
    """`work(item)` for each item in `jobs` forked workers; yields the results in the items' order, an item whose
    worker died, raised or ran out of time as `lost(item, why)`. `work` runs in the child: whatever it changes in
    the child's memory is lost, so it must return everything the parent needs."""
    if not items:
        return
    with Workers(work, min(jobs, len(items))) as workers:
        yield from workers.ordered(items, lost, deadline)


def read_ahead(
    start: Iterable[str],
    successors: Callable[[str], Iterable[str]],
    is_read: Callable[[str], bool],
    read: Callable[[str], Any],
    keep: Callable[[str, Any], None],
    min_unread: int,
) -> None:
    """The files an import walk will read, read ahead of it frontier by frontier (breadth first): once a frontier
    holds `min_unread` files not read yet, workers read them, `keep(path, read(path))` in the parent, and the walk
    that follows finds every one read. Only when this run has workers (`run_with`); a file whose worker failed is
    left to the walk."""
    jobs = run_workers()
    if jobs <= 1:
        return
    workers: Workers | None = None
    seen: set[str] = set()
    frontier = list(start)
    try:
        while frontier:
            frontier = [path for path in dict.fromkeys(frontier) if path not in seen]
            seen.update(frontier)
            unread = [path for path in frontier if not is_read(path)]
            if workers is not None or len(unread) >= min_unread:
                workers = workers or Workers(read, jobs)
                for path, result in zip(unread, workers.ordered(unread, _failed, float("inf")), strict=True):
                    if result is not _FAILED:
                        keep(path, result)
            frontier = [target for path in frontier for target in successors(path)]
    finally:
        if workers is not None:
            workers.close()


_FAILED = object()


def _failed(item: Any, why: str) -> object:
    return _FAILED


class Workers:
    """`jobs` forked processes that run `work(item)` for the items they are sent, kept for several batches."""

    def __init__(self, work: Callable[[Any], Any], jobs: int) -> None:
        self.work = work
        self.items: Sequence[Any] = ()
        self.pending: deque[int] = deque()
        self.results: dict[int, tuple[str, Any]] = {}
        gc.freeze()  # the children share the parent's objects copy-on-write: the collector must not touch them
        try:
            self.workers = [_Worker(work) for _ in range(max(1, jobs))]
        finally:
            gc.unfreeze()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ordered(self, items: Sequence[Any], lost: Callable[[Any, str], Any], deadline: float) -> Iterator[Any]:
        """One batch: the results in the items' order (see the module's `ordered`)."""
        self.items, self.pending, self.results = items, deque(range(len(items))), {}
        for worker in self.workers:
            self._feed(worker)
        finished = False
        try:
            for index, item in enumerate(items):
                while index not in self.results:
                    self._pump(deadline)
                outcome, value = self.results.pop(index)
                yield value if outcome == "ok" else lost(item, outcome)
            finished = True
        finally:
            if not finished:  # abandoned halfway: the workers still hold items of this batch
                self.close()

    def _feed(self, worker: _Worker) -> None:
        while self.pending and len(worker.queued) < _IN_FLIGHT:
            index = self.pending.popleft()
            worker.queued.append(index)
            with contextlib.suppress(OSError):  # a worker that just died: its sentinel tells, and its queue is kept
                worker.connection.send((index, self.items[index]))

    def _pump(self, deadline: float) -> None:
        """Wait for the next answer (or a worker's exit, or the deadline) and take it."""
        if not self.workers:  # closed with items unread
            raise RuntimeError("no worker left")
        left = deadline - time.monotonic()
        if left <= 0:
            self._expire()
            return
        from multiprocessing.connection import wait

        sources = [w.connection for w in self.workers] + [w.process.sentinel for w in self.workers]
        for ready in wait(sources, timeout=min(left, 3600.0)):
            worker = next((w for w in self.workers if ready in (w.connection, w.process.sentinel)), None)
            if worker is not None:
                self._answer(worker)

    def _answer(self, worker: _Worker) -> None:
        try:
            while worker.connection.poll():
                index, outcome, value = worker.connection.recv()
                worker.queued.remove(index)
                self.results[index] = (outcome, value)
        except (EOFError, OSError):
            pass
        if worker.process.is_alive() or not worker.queued:
            self._feed(worker)
            return
        worker.process.join()
        self.results[worker.queued.popleft()] = (LOST_DIED, None)  # it reads its queue in order: the first killed it
        self.pending.extendleft(reversed(worker.queued))
        self.workers.remove(worker)
        worker.connection.close()
        replacement = _Worker(self.work)
        self.workers.append(replacement)
        self._feed(replacement)

    def _expire(self) -> None:
        for worker in self.workers:
            self.pending.extendleft(reversed(worker.queued))
        self.close()
        for index in self.pending:
            self.results[index] = (LOST_TIME, None)
        self.pending.clear()

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.connection.send(None)
            worker.connection.close()
        for worker in self.workers:
            worker.process.join(timeout=0.05)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self.workers = []


class _Worker:
    def __init__(self, work: Callable[[Any], Any]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        parent, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, work), daemon=True)
        self.process.start()
        child.close()
        self.connection: Connection = parent
        self.queued: deque[int] = deque()  #: indexes sent and not answered, in the order the worker reads them


def _serve(connection: Connection, work: Callable[[Any], Any]) -> None:
    """A worker's loop: (index, item) in, (index, outcome, result) out, until the parent sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        index, item = task
        try:
            connection.send((index, "ok", work(item)))
        except Exception:  # noqa: BLE001 - the parent turns it into that item's problem
            connection.send((index, LOST_RAISED, None))
