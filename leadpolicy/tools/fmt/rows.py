"""Rows of cells aligned in columns (fields, rules, stages, ...)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from leadpolicy.tools.fmt.doc import INDENT, WIDTH, Doc, Seq, Tok, first_token, width
from leadpolicy.tools.fmt.out import Out
from leadpolicy.tools.fmt.render import fits_width, render

# ---------------------------------------------------------------- rows and columns


@dataclass(eq=False)
class Row:
    indent: int
    cells: list[Optional[Doc]]  # the first is never None

    @property
    def head(self) -> Doc:
        head = self.cells[0]
        assert head is not None, "a row starts with a cell"
        return head


def _width_of(cell: Optional[Doc]) -> int:
    return 0 if cell is None else width(cell)


def _min_width(row: Row, gaps: Sequence[int]) -> int:
    total = row.indent + width(row.head)
    for k in range(1, len(row.cells)):
        cell = row.cells[k]
        if cell is not None:
            total += gaps[k] + width(cell)
    return total


SMALL_CELL = 40  # a cell this wide or narrower is never an outlier
OUTLIER_RATIO = 2.5  # wider than this times the geometric mean of its column: an outlier


def _outliers(rows: list[Row], k: int) -> set[int]:
    """The rows whose cell `k` is far wider than the others in its column (the
    test gofmt uses): those cells do not push the columns after them."""
    sized = [r for r in rows if r.cells[k] is not None and any(c is not None for c in r.cells[k + 1 :])]
    widths = [max(1, _width_of(r.cells[k]) + (r.indent if k == 0 else 0)) for r in sized]
    if not widths:
        return set()
    mean = math.exp(sum(math.log(w) for w in widths) / len(widths))
    return {id(r) for r, w in zip(sized, widths) if w > SMALL_CELL and w > OUTLIER_RATIO * mean}


def _natural_end(row: Row, k: int, cols: Sequence[Optional[int]], gaps: Sequence[int]) -> int:
    """Where the row's cells before `k` end on one line, placed by the columns."""
    end = row.indent + width(row.head)
    for j in range(1, k):
        cell, col = row.cells[j], cols[j]
        if cell is not None:
            start = end + gaps[j] if col is None else max(col, end + gaps[j])
            end = start + width(cell)
    return end


def _columns(rows: list[Row], gaps: Sequence[int]) -> list[Optional[int]]:
    count = len(gaps)
    cols: list[Optional[int]] = [None] * count
    aligned = list(rows)
    for k in range(1, count):
        outliers = _outliers(aligned, k - 1)
        aligned = [r for r in aligned if id(r) not in outliers]
        ends = [_natural_end(r, k, cols, gaps) + gaps[k] for r in aligned if r.cells[k] is not None]
        cols[k] = max(ends) if ends else None
    return cols


def columns(rows: list[Row], gaps: Sequence[int]) -> list[Optional[int]]:
    """Where each column starts: after the widest cell before it, plus its gap,
    among the rows that have something in it. Rows too long for one line take
    no part (unless no row of the block fits on one line), and a row stops
    taking part after an outlier cell (see `_outliers`)."""
    short = [r for r in rows if _min_width(r, gaps) <= WIDTH]
    return _columns(short or rows, gaps)


def _cost(scratch: Out) -> tuple[int, int]:
    """How bad a trial layout is: columns past the width, then lines."""
    over = sum(max(0, scratch.code.get(i, len(line.rstrip())) - WIDTH) for i, line in enumerate(scratch.lines))
    return over, len(scratch.lines)


def _is_text(cell: Doc) -> bool:
    """A description or a `when` condition: the cells that may move under the second."""
    if isinstance(cell, Tok):
        return cell.text.startswith('"')
    return isinstance(cell, Seq) and first_token(cell).text == "when"


def render_row(row: Row, out: Out, cols: Sequence[Optional[int]], gaps: Sequence[int]) -> None:
    """Print a row on the current (fresh) line at its indentation.

    A cell goes at its column, or after the cell before it plus the gap when
    that is further right. If it does not fit there on one line, the first of
    these with the least overflow, then the fewest lines, wins: where it falls;
    on the next line at its column; for a description or a condition ending
    the row, on the next line under the row's second cell."""
    render(row.head, out, row.indent, 0, "")
    second: Optional[int] = None
    last = max(k for k, c in enumerate(row.cells) if c is not None)
    for k in range(1, len(row.cells)):
        cell = row.cells[k]
        if cell is None:
            continue
        col = cols[k]
        home = col if col is not None else row.indent + 2 * INDENT
        if out.pending or first_token(cell).leading:
            out.newline(home)
            second = out.col if second is None else second
            render(cell, out, home, 0, "")
            continue
        natural = out.col + gaps[k] if col is None else max(col, out.col + gaps[k])
        if second is None:
            second = natural
        if fits_width(cell, natural, 0):
            out.pad_to(natural)
            out.fresh = False
            render(cell, out, natural, 0, "")
            continue
        options = [(natural, False)]
        if col is not None and col < natural:
            options.append((col, True))
        if k == last and k > 1 and _is_text(cell) and second < natural and second != col:
            options.append((second, True))
        best: Optional[tuple[tuple[int, int], Out, int]] = None
        for position, new_line in options:
            scratch = out.fork()
            if new_line:
                scratch.newline(position)
            else:
                scratch.pad_to(position)
                scratch.fresh = False
            render(cell, scratch, position, 0, "")
            cost = _cost(scratch)
            if best is None or cost < best[0]:
                best = (cost, scratch, position)
        assert best is not None
        out.splice(best[1], out.col)
