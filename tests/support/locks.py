"""One process at a time: pytest-xdist runs the tests in two or more worker processes, and a test
whose work shares something outside its own temporary directory (the source tree `pip wheel`
builds in) takes a lock on a file first, so the other worker's copy of that work waits."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def one_at_a_time(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (made if missing) for the `with` block; another
    process asking for the same file waits until it is let go (or the holder exits)."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
