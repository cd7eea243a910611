"""SIGTERM handled as Ctrl-C is: the run stops, its outputs are left as they were, one line says so.

`kill PID`, `timeout`, a container or a service manager stopping a run send SIGTERM. Left at its
default, it ended the process where it stood: a temporary output file stayed beside OUT
(`.decisions.jsonl.abc123.tmp`), and score's worker processes wrote tracebacks about the pipe to
their gone parent. While a command runs, SIGTERM raises `Terminated` in the main thread, a
KeyboardInterrupt, so every place that cleans up after Ctrl-C cleans up after it too (the
temporary file removed, the worker pool stopped); the command then exits 143 (128 + 15), the
status a shell gives a process that SIGTERM ended. Threads that must not be interrupted, and the
worker processes (their parent stops them), block or ignore both signals: `STOPS`.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from types import FrameType
from typing import Iterator, Optional

__all__ = ["STOPS", "EXIT_TERMINATED", "Terminated", "interrupted_query", "stopped_by", "terminated_raises"]

STOPS = {signal.SIGINT, signal.SIGTERM}  # the signals that stop a run: Ctrl-C and SIGTERM
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as Ctrl-C stops, and say `terminated`."""


_TERMINATED: list[bool] = []  # a SIGTERM has arrived in this process
_INSTALLED_IN: list[int] = []  # the process whose command stops on SIGTERM


def _raise(signum: int, frame: Optional[FrameType]) -> None:
    if _INSTALLED_IN and os.getpid() != _INSTALLED_IN[-1]:  # a process forked from the command (report's
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # workers, ended by Pool.terminate): it ends at once,
        os.kill(os.getpid(), signal.SIGTERM)  # as SIGTERM ends a process, without a traceback
        return
    _TERMINATED.append(True)
    raise Terminated


def interrupted_query(error: BaseException) -> Optional[KeyboardInterrupt]:
    """The stop behind `error` when it is DuckDB's `Query interrupted`: DuckDB runs the signal's
    handler while its query runs, stops the query and raises that RuntimeError in place of the
    handler's KeyboardInterrupt (Ctrl-C) or Terminated (SIGTERM). None for any other error."""
    if type(error).__name__ == "InterruptException" or (type(error) is RuntimeError and str(error) == "Query interrupted"):
        return Terminated() if _TERMINATED else KeyboardInterrupt()
    return None


def stopped_by(error: BaseException) -> tuple[str, int]:
    """The word for a run that `error` (a KeyboardInterrupt) stopped, and its exit status."""
    return ("terminated", EXIT_TERMINATED) if isinstance(error, Terminated) else ("interrupted", 130)


@contextmanager
def terminated_raises() -> Iterator[None]:
    """SIGTERM raises Terminated in the block (in the main thread only, where signals are handled);
    the handler before it is put back at the end (a test that runs the commands in its process).
    A SIGTERM ignored when the command starts stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:  # ignored by whoever started us (as Python
        yield  # leaves an ignored SIGINT ignored)
        return
    _INSTALLED_IN.append(os.getpid())
    before = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)
        _INSTALLED_IN.pop()
