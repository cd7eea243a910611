"""Reading the leads of a batch: JSON Lines or CSV, cut into chunks.

What `leadpolicy score` reads (tools/score.py) and `leadpolicy diff` replays
(tools/diff/replay.py), so both read the same input the same way. A chunk is a
tuple (number of its first line, its data, its bytes read); the data is whole
lines as one bytes block (`jsonl_chunks`), their (offset, length) in a regular
file (`jsonl_ranges`, for worker processes that read the file themselves) or
parsed CSV rows (`csv_chunks`). Kept apart from the scoring so that the SQL
engines can use the same readers without the scorer.
"""

from __future__ import annotations

import io
import os
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

__all__ = ["CHUNK_BYTES", "CHUNK_LEADS", "jsonl_chunks", "jsonl_ranges", "csv_chunks", "regular_file"]

CHUNK_BYTES = 256 * 1024  # JSON Lines per chunk: about 120 acme leads, 7 ms of work
CHUNK_LEADS = 200  # CSV rows per chunk


def jsonl_chunks(stream: BinaryIO, size: int = 0) -> Iterator[tuple[Any, ...]]:
    """(number of the first line, whole lines as one bytes block, bytes read) per chunk.

    Blocks of about `size` bytes (default CHUNK_BYTES), cut after a newline;
    the scorer splits the lines (and drops a UTF-8 byte order mark at the start).
    """
    size = size or CHUNK_BYTES
    read = getattr(stream, "read1", stream.read)  # a pipe: what is there, not a full block
    number = 1
    pending: list[Any] = []
    held = 0
    while True:
        data = read(size)
        if data:
            pending.append(data)
            held += len(data)
            if held < size or data.rfind(b"\n") < 0:
                continue
        elif not pending:
            return
        block = b"".join(pending)
        if not data:  # the end: the rest, newline or not
            yield number, block, len(block)
            return
        cut = block.rfind(b"\n") + 1
        chunk = block[:cut]
        pending = [block[cut:]] if cut < len(block) else []
        held = len(block) - cut
        yield number, chunk, len(chunk)
        number += chunk.count(b"\n")


def jsonl_ranges(stream: BinaryIO, size: int = 0) -> Iterator[tuple[Any, ...]]:
    """Like `jsonl_chunks` for a regular file, but a chunk is its (offset, length) in
    the file: the scorer reads the bytes itself, so they never pass through a pipe."""
    size = size or CHUNK_BYTES
    fd = stream.fileno()
    offset = stream.tell()
    number = 1
    while True:
        data = os.pread(fd, size, offset)
        if not data:
            return
        cut = data.rfind(b"\n") + 1
        if not cut:
            if len(data) == size:  # a line longer than the block: read a longer block
                size *= 2
                continue
            cut = len(data)  # the last line, without a newline
        yield number, (offset, cut), cut
        number += data.count(b"\n", 0, cut)
        offset += cut


def csv_chunks(stream: BinaryIO, size: int = 0, fields: Optional[Iterable[str]] = None, delimiter: Optional[str] = None,
               warn: Optional[Callable[[str], None]] = None) -> Iterator[tuple[Any, ...]]:
    """CSV with a header row, as chunks of (line number, id, stage, fields, activities text, problem).

    The header is read as `csv_header.read_header` says (names matched the way
    CRM exports spell them; `fields`: the policy's declared field names, None to
    take every other column as a field by its exact name); its warnings go to
    `warn`, and a header that cannot be read raises CsvHeaderError before any
    chunk. The delimiter is `delimiter`, else `,` `;` tab or `|` as the header
    line shows, or the one an Excel first line `sep=;` names (the header is then
    the next line). Empty cells are missing values; rows with no cells at all are
    skipped; a row with more (non-empty) cells than the header is an error row
    (`problem`). A quote that opens a cell and never closes raises
    csv_header.UnclosedQuote where it is found, at the end of the file (it would
    read every line after it into that cell); a quoted cell with text after its
    closing quote (`"pat"@x.com`) raises csv_header.TextAfterQuote at its row.
    """
    import csv

    from leadpolicy.tools.csv_header import END_MARKS, allow_long_cells, end_of_file, header_and_rows, quote_problem, read_header

    allow_long_cells()
    size = size or CHUNK_LEADS
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
        if not first:
            return
        found = header_and_rows(first, text, delimiter, warn)
        if found is None:
            return  # no header (a `sep=` line alone, or blank lines): no leads, as an empty file, `warn` told
        header, reader, row_lines = found
        if fields is None:
            fields = [name.strip() for name in header if name.strip() and name.strip() not in ("id", "stage", "activities")]
        layout = read_header(header, fields)
        for message in layout.warnings:
            if warn is not None:
                warn(message)
        id_at, stage_at, acts_at = layout.id_at, layout.stage_at, layout.activities_at
        field_columns = layout.field_columns
        columns = layout.width
        items: list[Any] = []
        line_end = reader.line_num
        clear = row_lines.clear
        try:
            for row in reader:
                clear()
                start, line_end = line_end + 1, reader.line_num
                if not row:
                    continue
                if row[-1].endswith(END_MARKS):  # the last row: END_OF_FILE's
                    end_of_file(row, start, header)
                    break
                problem = None
                if len(row) > columns and any(cell.strip() for cell in row[columns:]):
                    problem = f"line {start} has {len(row)} cells but the header has {columns} columns"
                row.append("")  # row[-1]: the cell of an absent column
                width = len(row) - 1
                fields_of_row = {name: row[i] for name, i in field_columns if i < width}
                lead_id = row[id_at] or None if 0 <= id_at < width else (start if id_at < 0 else None)
                items.append((start, lead_id, row[stage_at if 0 <= stage_at < width else -1],
                              fields_of_row, row[acts_at if 0 <= acts_at < width else -1], problem))
                if len(items) >= size:
                    yield items[0][0], items, 0
                    items = []
        except csv.Error:  # a quote that never closes, or text after a closing quote
            raise quote_problem(reader.line_num, row_lines, line_end + 1, reader.dialect.delimiter, header) from None
        if items:
            yield items[0][0], items, 0
    finally:
        text.detach()  # leave the caller's stream open


def regular_file(stream: Any) -> Optional[str]:
    """The path of a stream that is a regular file on disk (so workers can read it), else None."""
    import stat

    try:
        name = stream.name
        if isinstance(name, str) and stat.S_ISREG(os.fstat(stream.fileno()).st_mode) and os.path.samefile(name, stream.fileno()):
            return os.path.abspath(name)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    return None
