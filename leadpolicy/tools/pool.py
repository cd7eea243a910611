"""Worker processes for the batch commands: chunks in, results back in input order.

`leadpolicy score` (tools/score.py) and `leadpolicy diff` (tools/diff/replay.py)
both run `run_in_pool`: each brings its own worker functions (an initializer
that loads the policies, a function that works on one chunk), which must be
module-level functions so that a `spawn`ed worker can import them. What the
two share lives here: how many processes to start (`default_jobs`), the pool
itself, the bounded read-ahead, Ctrl-C and SIGTERM left to the parent, and the compiled
policy modules a process has loaded (`load_module`), which a forked worker
inherits from its parent.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
import threading
from typing import Any, Callable, Iterable, Iterator

from leadpolicy.tools.stopping import STOPS

__all__ = ["IN_FLIGHT_PER_JOB", "default_jobs", "load_module", "keep_module", "run_in_pool", "start_worker"]

IN_FLIGHT_PER_JOB = 4  # chunks read ahead per worker process


def start_worker(input_path: str | None) -> int:
    """What every worker's initializer does first: leave Ctrl-C and SIGTERM to the parent (it stops
    the pool; a worker that SIGTERM to the process group killed took its chunk with it, and the pool
    waited for its result forever), and open the input file when the chunks are byte ranges of it
    (-1: they carry their text). A worker whose parent has gone reads the end of its task pipe and exits."""
    for stop in STOPS:
        signal.signal(stop, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)
    return os.open(input_path, os.O_RDONLY) if input_path else -1


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# Modules already loaded in this process, by the sha256 of the policy text: a
# forked worker inherits the parent's and need not compile the policy again.
_LOADED: dict[str, Any] = {}


def load_module(source: str, path: str) -> Any:
    """The compiled module of the policy `source` (read from `path`), loaded once per process."""
    key = _key(source)
    module = _LOADED.get(key)
    if module is None:
        import leadpolicy

        module = _LOADED[key] = leadpolicy.loads(source, path).module
    return module


def keep_module(source: str, module: Any) -> None:
    """Remember the parent's compiled module of `source`: workers forked after this need not compile it again."""
    _LOADED.setdefault(_key(source), module)


def _key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _pool_class() -> Any:
    from multiprocessing.pool import Pool

    class _Pool(Pool):
        """multiprocessing's Pool, without a busy worker-handler thread.

        The stock Pool's worker handler also waits on the result pipe, so it wakes
        up again and again for as long as a result sits unread (until the result
        handler, which needs the same GIL, gets to it): measured, that thread alone
        used a tenth of the CPU of a whole run. It only needs to wake up when a
        worker exits or the pool changes state, as in ThreadPool.
        """

        def _get_sentinels(self) -> Any:
            return [self._change_notifier._reader]  # type: ignore[attr-defined]  # Pool internals, absent from typeshed

    return _Pool


class _Window:
    """Lets Pool.imap's feeder thread run at most `size` chunks ahead of the writer."""

    def __init__(self, size: int) -> None:
        self._slots = threading.Semaphore(size)
        self._closed = False

    def feed(self, chunks: Iterable[Any]) -> Iterator[Any]:
        for chunk in chunks:
            while not self._slots.acquire(timeout=0.1):
                if self._closed:
                    return
            if self._closed:
                return
            yield chunk

    def written(self) -> None:
        self._slots.release()

    def close(self) -> None:
        self._closed = True


def run_in_pool(jobs: int, initializer: Callable[..., None], initargs: tuple[Any, ...], work: Callable[[Any], Any],
                chunks: Iterator[Any], consume: Callable[[Any], None]) -> None:
    """`work(chunk)` in `jobs` worker processes (started by `initializer(*initargs)`),
    each result handed to `consume` in input order, at most `jobs * IN_FLIGHT_PER_JOB`
    chunks ahead. Shared by `score` and `diff`."""
    import multiprocessing

    window = _Window(jobs * IN_FLIGHT_PER_JOB)
    # Everything loaded so far (the parser, the policy tree, the module) lives as
    # long as the run: keep it out of the collector's scans, here and in forked
    # workers, where a scan would also copy every page it touches.
    gc.freeze()
    # Workers start with Ctrl-C and SIGTERM blocked and then ignore them: they are the parent's to
    # handle (the pool's threads keep them blocked, so the main thread's wait is what they interrupt).
    masking = hasattr(signal, "pthread_sigmask")
    if masking:
        unblocked = STOPS - signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        pool = _pool_class()(jobs, initializer, initargs, context=multiprocessing.get_context())
    finally:
        if masking:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, unblocked)
    try:
        for result in pool.imap(work, window.feed(chunks)):
            consume(result)
            window.written()
    finally:
        gc.unfreeze()
        # Stop feeding and let the workers finish what they hold (a few chunks). Not
        # pool.terminate(): a worker killed while it holds a queue's lock hangs the pool.
        window.close()
        pool.close()
        pool.join()
