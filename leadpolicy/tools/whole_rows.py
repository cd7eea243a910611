"""Rows to standard output that Ctrl-C never cuts and never miscounts.

`score` tells an interrupted run how many rows reached standard output, and promises they are
whole. A block of rows written with one `write` into a pipe the reader is not emptying (a slow
consumer, `| less`) blocks part-way; Ctrl-C then stopped it in the middle of a row, and the rows
of that block were not counted at all (`interrupted after 0 rows` when 121 and half a row had
gone out). Python runs the handler of Ctrl-C in the main thread only, between two steps, so the
main thread cannot both be interruptible in a blocked write and know what that write did.

So the bytes are written by a thread of their own, which Ctrl-C never stops (it blocks SIGINT, so
the signal goes to the main thread), in pieces of at most PIPE_BUF bytes: a pipe takes such a piece
whole or not at all, so the rows counted after each piece are exactly the rows that went out. The
main thread waits for the writer, and that wait is what Ctrl-C interrupts; the writer then stops
after its piece. A piece holds whole rows where they fit, so the rows out are whole; a row longer
than a piece and part-written is waited for, and a second Ctrl-C (the reader will not take the rest
of it) gives up on it: `cut` says a row was left part-written.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from typing import Optional

__all__ = ["WholeRows", "descriptor"]

_PIECE = getattr(select, "PIPE_BUF", 512)  # a pipe takes a write of this many bytes or fewer whole, or none of it


class WholeRows:
    """A binary sink for the rows of `score` on a file descriptor (standard output). `rows`: the
    whole rows written so far (a CSV header line not counted); `cut`: a row was left part-written.
    CSV rows end at a newline outside quotes (a quoted cell may hold one; quotes inside a cell are
    doubled, so quotes come in pairs); JSON Lines rows at every newline."""

    def __init__(self, fd: int, csv: bool = False) -> None:
        self._fd = fd
        self._csv = csv
        self._lines = 0  # whole rows and header lines written
        self._quoted = False  # CSV: the bytes written so far end inside a quoted cell
        self._open = False  # the bytes written so far end inside a row
        self._stop = False  # Ctrl-C: end the row being written, then write nothing more
        self._abandoned = False  # a second Ctrl-C: write nothing more
        self._lock = threading.Lock()  # held while a piece is written and counted
        self._error: Optional[BaseException] = None

    @property
    def rows(self) -> int:
        return max(0, self._lines - 1) if self._csv else self._lines

    @property
    def cut(self) -> bool:
        return self._open

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def flush(self) -> None:
        pass

    def write(self, data: bytes) -> int:
        if self._stop:
            raise KeyboardInterrupt
        finished = threading.Event()  # not Thread.join: interrupted, it takes the writer for stopped (bpo-45274)
        threading.Thread(target=self._write_all, args=(bytes(data), finished), daemon=True).start()
        try:
            finished.wait()
        except KeyboardInterrupt:
            self._stop = True  # the writer ends the row it is in, and stops
            if self._open:
                try:
                    finished.wait()
                except KeyboardInterrupt:  # again: leave that row as it is (`cut`)
                    pass
            self._give_up()
            raise
        if self._error is not None:
            raise self._error
        return len(data)

    def _give_up(self) -> None:
        """No more bytes after the piece being written; the counts are then final. A writer holding
        the lock for longer is blocked in a piece that the pipe has not taken any of (a reader that
        has stopped taking rows: rows whole, unless one was longer than a piece)."""
        if self._lock.acquire(timeout=0.5):
            self._abandoned = True
            self._lock.release()
        else:
            self._abandoned = True

    def _write_all(self, data: bytes, finished: threading.Event) -> None:
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # (SIGTERM stops as Ctrl-C)
        view = memoryview(data)
        done, end = 0, len(data)
        try:
            while done < end:
                with self._lock:
                    if self._abandoned:
                        return
                    if self._stop:
                        end = self._row_end(data, done)
                        if done >= end:
                            return
                    stop = min(end, done + _PIECE)
                    if stop < end:  # whole rows in a piece where they fit: a reader that stops taking them
                        row_end = data.rfind(b"\n", done, stop) + 1  # has whole rows
                        stop = row_end if row_end > done else stop
                    written = os.write(self._fd, view[done:stop])
                    self._count(data[done:done + written])
                    done += written
        except BaseException as error:  # a reader that has gone (EPIPE), a full disk: the main thread raises it
            self._error = error
        finally:
            finished.set()

    def _count(self, written: bytes) -> None:
        if not written:
            return
        if not self._csv or (not self._quoted and b'"' not in written):
            self._lines += written.count(b"\n")
        else:
            pieces = written.split(b"\n")
            for piece in pieces[:-1]:
                self._quoted ^= piece.count(b'"') % 2 == 1
                if not self._quoted:
                    self._lines += 1
            self._quoted ^= pieces[-1].count(b'"') % 2 == 1
        self._open = not written.endswith(b"\n") or self._quoted

    def _row_end(self, data: bytes, start: int) -> int:
        """Where the row being written at `start` ends (just after its newline); `start` itself
        when no row is part-written."""
        if not self._open:
            return start
        if not self._csv:
            newline = data.find(b"\n", start)
            return len(data) if newline < 0 else newline + 1
        quoted, position = self._quoted, start
        while True:
            newline = data.find(b"\n", position)
            if newline < 0:
                return len(data)
            quoted ^= data.count(b'"', position, newline) % 2 == 1
            if not quoted:
                return newline + 1
            position = newline + 1


def descriptor(stream: object) -> Optional[int]:
    """The file descriptor under a binary stream, or None for one without (captured output)."""
    try:
        return int(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both of the last two
        return None
