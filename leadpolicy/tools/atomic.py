"""Writing an output file so that a failed or interrupted run never leaves half a file.

Every command that writes a file (score, compile, docs, fmt) writes into a
temporary file beside the target and renames it into place only when the
whole output is there. The rename is atomic on POSIX file systems: a reader
sees the old file or the new one, never a mixture, and Ctrl-C, a full disk or
a crash leave the old file as it was.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator, Union

__all__ = ["OutputProblem", "atomic_writer", "atomic_path", "write_atomically", "why", "mode_for", "special_file", "guarded",
           "FULL"]


class OutputProblem(OSError):
    """An output that cannot be written; `str()` is one line naming the path."""

    def __init__(self, path: Union[str, Path], reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


_REASONS = {
    errno.ENOENT: "no such directory",
    errno.ENOTDIR: "a part of the path is not a directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EISDIR: "it is a directory",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file would be larger than the system allows",
}


def why(error: OSError) -> str:
    """A short, lower-case reason for an OSError, without Python's `[Errno N]`."""
    return _REASONS.get(error.errno or 0) or (error.strerror or str(error)).lower()


def special_file(path: Union[str, Path]) -> bool:
    """A path that exists and is not a regular file or a directory (a device such as /dev/stdout, a
    named pipe): there is nothing to replace, and its output is written straight to it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _target(path: Path) -> Path:
    """Where the bytes go: a symbolic link is followed, so the link keeps pointing at the file."""
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return path


@contextmanager
def atomic_writer(path: Union[str, Path]) -> Iterator["_Guarded"]:
    """A binary file to write the whole output into; renamed onto `path` when the
    block ends normally, removed (leaving `path` untouched) when it raises.

    Raises OutputProblem (an OSError) when the target cannot be written: a missing
    directory, a directory in its place, no permission, a full disk.
    """
    shown = str(path)  # named in messages as it was typed
    target = _target(Path(path))
    if target.is_dir():
        raise OutputProblem(shown, "it is a directory")
    directory = target.parent
    if not directory.is_dir():
        raise OutputProblem(shown, f"no such directory: {Path(path).parent}")
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputProblem(shown, why(error)) from None
    done = False
    try:
        with os.fdopen(fd, "wb") as stream:
            yield _Guarded(stream, shown)
            try:
                stream.flush()
                os.fsync(stream.fileno())
            except OSError as error:
                raise OutputProblem(shown, why(error)) from None
        try:
            os.chmod(temporary, mode_for(target))
            os.replace(temporary, target)
        except OSError as error:
            raise OutputProblem(shown, why(error)) from None
        done = True
    finally:
        if not done:
            try:
                os.unlink(temporary)
            except OSError:
                pass


class _Guarded:
    """The temporary file, as the writer sees it: a failed write (a full disk) is an
    OutputProblem naming the target, while other errors in the block pass unchanged."""

    def __init__(self, stream: BinaryIO, shown: str) -> None:
        self._stream = stream
        self._shown = shown

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except OSError as error:
            raise OutputProblem(self._shown, why(error)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise OutputProblem(self._shown, why(error)) from None


def guarded(stream: BinaryIO, shown: str) -> "_Guarded":
    """`stream` (a device or a pipe written straight, not renamed into place) whose failed writes are
    OutputProblems naming `shown`, as the temporary file's are."""
    return _Guarded(stream, shown)


# What a write says when the place it goes has no room: a full disk or quota, a file too big.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def mode_for(target: Union[str, Path]) -> int:
    """The permissions of the file being replaced, else what a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: Union[str, Path], data: Union[str, bytes]) -> None:
    """Write all of `data` (text is written as UTF-8) to `path` atomically."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_writer(path) as stream:
        stream.write(payload)


@contextmanager
def atomic_path(path: Union[str, Path], suffix: str = ".tmp") -> Iterator[str]:
    """For writers that take a file name, not a stream (DuckDB's COPY, pyarrow): the
    name of an empty temporary file beside `path`, renamed onto it (with the mode a
    new or replaced file should have) when the block ends normally, removed when it raises."""
    target = _target(Path(path))
    try:
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    except OSError as error:  # said as atomic_writer says it, naming the output (not the temporary file)
        raise OutputProblem(str(path), why(error)) from None
    os.close(fd)
    try:
        yield temporary
        try:
            os.chmod(temporary, mode_for(target))  # mkstemp makes 0600
            os.replace(temporary, target)
        except OSError as error:
            raise OutputProblem(str(path), why(error)) from None
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
