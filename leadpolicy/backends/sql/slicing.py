"""Slices of a file run one after the other, and a slice that runs out of memory run again in halves.

batch.slices plans slices from an estimate of the memory a byte of input takes. Data unlike
the estimate's (most leads with points that must be added in input order, say) can still
make a slice outgrow the memory limit. DuckDB then raises OutOfMemoryException, and the
statement leaves nothing behind: a CREATE or INSERT is undone, and a streamed result has
given only rows that are complete. The slice is run again from the line after the last
row it gave, as two halves, and so on down to MIN_RETRY_LINES lines. A slice that small
still out of memory is the limit's fault, and the message says so.

A slice is (first, last): lines of a JSON Lines file or data rows of a CSV, as the
sliced query's $lp_first and $lp_last count them; `lp_row` of an output row is its line
(or row) in the same count, so "the line after the last row given" is exact.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterator, Optional

__all__ = ["ALL_LINES", "MIN_RETRY_LINES", "Slice", "count_lines", "halves", "is_out_of_memory", "out_of_memory", "run_each", "stream_each"]

ALL_LINES = 2 ** 62  # the last line of a slice that is the whole file
MIN_RETRY_LINES = 64  # below this, memory is not a matter of how many leads a slice holds

Slice = tuple[int, int]


def count_lines(path: str) -> int:
    """The lines of a file, a last one without its newline included (rows of a CSV are at most its lines)."""
    lines = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            lines += block.count(b"\n")
    return lines + 1


def is_out_of_memory(error: BaseException) -> bool:
    return type(error).__name__ == "OutOfMemoryException" and type(error).__module__.split(".")[0] in ("duckdb", "_duckdb")


def out_of_memory(memory_limit: Optional[str], lines: Optional[int] = None) -> ValueError:
    """The message for a run out of memory that slicing cannot help (batch.InputProblem: exit status 2)."""
    from leadpolicy.backends.sql.batch import InputProblem

    within = f"within --memory-limit {memory_limit}" if memory_limit else "within its memory limit"
    smallest = f", even {lines} lines at a time" if lines is not None else ""
    return InputProblem(f"DuckDB ran out of memory {within}{smallest}: give it more, e.g. --memory-limit 2GB "
                        "(docs/sql.md, \"Memory\")")


def halves(part: Slice, total: Callable[[], int], memory_limit: Optional[str]) -> list[Slice]:
    """`part` as two slices (the whole file's, ALL_LINES, counted first); too small to halve: out_of_memory."""
    first, last = part
    if last == ALL_LINES:
        last = total()
    if first > last:
        return []  # every line was given
    if last - first + 1 <= MIN_RETRY_LINES:
        raise out_of_memory(memory_limit, last - first + 1)
    middle = (first + last) // 2
    return [(first, middle), (middle + 1, last)]


def run_each(parts: list[Slice], run: Callable[[Slice], None], total: Callable[[], int],
             memory_limit: Optional[str]) -> None:
    """run(part) for each part in order; a part out of memory is run again as two halves.
    `run` must leave nothing behind when it fails (one statement: DuckDB undoes it)."""
    pending = deque(parts)
    while pending:
        part = pending.popleft()
        try:
            run(part)
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            pending.extendleft(reversed(halves(part, total, memory_limit)))


def stream_each(parts: list[Slice], run: Callable[[Slice], Iterator[list[Any]]], line_of: Callable[[Any], int],
                total: Callable[[], int], memory_limit: Optional[str]) -> Iterator[list[Any]]:
    """The batches of rows of run(part) for each part in order. A part out of memory is run
    again, as two halves, from the line after the last row it gave (`line_of(row)`)."""
    pending = deque(parts)
    while pending:
        first, last = pending.popleft()
        done = first - 1
        try:
            for batch in run((first, last)):
                if batch:
                    done = line_of(batch[-1])
                yield batch
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            pending.extendleft(reversed(halves((done + 1, last), total, memory_limit)))
