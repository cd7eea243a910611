"""The header row of a CSV file of leads, read the way CRM exports spell it.

A column names the lead's `id`, its previous `stage` (also `previous stage`),
its `activities` (a JSON array, as in JSON Lines), or one of the policy's
fields. Names match trimmed, without regard to case, with spaces, underscores
and hyphens alike: `Company Size`, `company_size` and ` COMPANY-SIZE ` all
name the field `company_size`. What the header cannot mean is an error before
any row is read:

- two columns that name the same thing;
- no column naming a field or `activities`, when the policy declares fields
  (every lead would be scored with no data at all).

Each column that names nothing is a warning with the nearest name (it is
ignored). Without an `id` column each lead's id is its line number in the file
(the header is line 1), with a warning, so every output row can still be
traced to its input row.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

__all__ = ["CsvHeaderError", "UnclosedQuote", "TextAfterQuote", "CsvLayout", "read_header", "normal", "detect_delimiter",
           "DELIMITERS", "allow_long_cells", "sep_line", "header_lines", "text_after_quote", "END_OF_FILE", "END_MARKS",
           "end_of_file", "noting_lines", "quote_problem", "after_closing_quote", "not_utf8", "first_not_utf8", "no_header",
           "blank_header", "rows_absent", "data_rows"]

ID, STAGE, ACTIVITIES = "id", "stage", "activities"
_SPECIAL = {"id": ID, "stage": STAGE, "previous_stage": STAGE, "activities": ACTIVITIES}
DELIMITERS = (",", ";", "\t", "|")


def allow_long_cells() -> None:
    """Lift the csv module's limit on a cell's length (131,072 characters by default), which it
    raises as `_csv.Error` mid-file: an `activities` cell of a busy lead is longer, and section 16
    sets no limit. (The limit is the process's: csv has no per-reader one.)"""
    import csv
    import sys

    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # a C long narrower than Py_ssize_t (Windows)
            limit //= 2


class CsvHeaderError(ValueError):
    """A header that cannot be read as leads: one line, no row was scored."""


class UnclosedQuote(CsvHeaderError):
    """A quote that opens a cell and never closes: a reader of standard CSV reads the rest of the
    file into that cell (the rows after it lost, the cell's column holding them), so the file is
    refused, where a header error is (end_of_file). `line`: where the quote opens."""

    def __init__(self, line: int, cell: str) -> None:
        super().__init__(line, cell)  # its arguments, as a pickle makes it again (a pool's feeder sends it to a worker)
        self.line, self.cell = line, cell

    def __str__(self) -> str:
        return unclosed_quote(self.line, self.cell)


class TextAfterQuote(CsvHeaderError):
    """A quoted cell with more text after its closing quote (`"pat"@x.com`, or `"lee@y.com,"ic"` where a
    closing quote is missing): a lenient reader keeps the text and drops the quotes (`pat@x.com`), DuckDB's
    and Spark's readers refuse the table, so the file is refused, where a quote that never closes is.
    `line`: where the text is."""

    def __init__(self, line: int, cell: str) -> None:
        super().__init__(line, cell)  # its arguments, as a pickle makes it again
        self.line, self.cell = line, cell

    def __str__(self) -> str:
        return text_after_quote(self.line, self.cell)


def unclosed_quote(line: int, cell: str) -> str:
    """What is wrong with a CSV whose quote at `line` (as an editor numbers lines) opens `cell` (its
    `email` cell, its cell 4) and never closes, and the fix: said alike by every engine and command."""
    return (f"line {line}: the quote that opens {cell} never closes, so every line after it would be read into "
            "that one cell: close the quote, or double a quote inside a quoted cell (`\"\"`)")


def text_after_quote(line: int, cell: str) -> str:
    """What is wrong with a CSV whose `cell` (its `email` cell) at `line` is quoted and has more text
    after its closing quote (`"pat"@x.com`), and the fix."""
    return (f"line {line}: {cell} has text after its closing quote: end the cell at its closing quote, or double a "
            "quote inside a quoted cell (`\"\"`)")


def not_utf8(error: UnicodeDecodeError, path: Optional[str] = None) -> str:
    """What is wrong with CSV leads whose reader stopped at `error`, and the fix, said alike by `score`,
    `diff --leads` and `report` after the file's name: `is not UTF-8 text (byte 0xe9 on line 3): save it as
    UTF-8`. The line (as an editor numbers lines) is found by reading `path` again (first_not_utf8): a
    reader decodes ahead of the row it reads, and its error holds the byte but not where the line is. A
    file that cannot be read again (standard input, a pipe: `path` None or a stream) is said without it."""
    from leadpolicy.tools.file_kinds import is_stream

    found = None
    if path is not None and path != "-" and not is_stream(path):
        try:
            found = first_not_utf8(path)
        except OSError:
            found = None
    byte = found[1] if found is not None else error.object[error.start]
    where = f" on line {found[0]}" if found is not None else ""
    return f"is not UTF-8 text (byte 0x{byte:02x}{where}): save it as UTF-8"


def first_not_utf8(path: str) -> Optional[tuple[int, int]]:
    """(line, byte) of the first byte of the file at `path` that is not UTF-8 (a byte order mark
    first is), lines numbered as an editor numbers them (`\r\n`, `\n` and `\r` each end one); None
    when it is all UTF-8. Read a line of bytes at a time: no character's bytes hold a line break."""
    import codecs

    line = 1
    with open(path, "rb") as handle:
        for index, data in enumerate(handle):  # lines that end in `\n` (a lone `\r` inside one ends a line too)
            if index == 0 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8):]
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as error:
                return line + len(re.findall(rb"\r(?!\n)", data[:error.start])), data[error.start]
            line += 1 + len(re.findall(rb"\r(?!\n)", data))
    return None


# A line fed to the csv module after a file's own lines: `\udfff` is a lone surrogate, which no text
# decoded from UTF-8 holds. Where the file ends outside a quoted cell it is a row of its own,
# [`\udfff`]; where it ends inside one (a quote that never closed), it ends that cell. A row whose
# last cell ends in either (END_MARKS) is the last the reader gives: end_of_file says which it is.
END_OF_FILE = "\udfff\n"
END_MARKS = ("\udfff", END_OF_FILE)


def end_of_file(row: list[str], start: int, header: Optional[list[str]] = None) -> None:
    """The last row the csv module read from a file's lines and END_OF_FILE (`start`: the line it
    starts on): nothing when it is END_OF_FILE's own row, else an UnclosedQuote, with the line where
    its last cell's quote opens (a quote that opens a cell is its first character; the line breaks
    before it are in the row's earlier cells, quoted) and that cell's column in `header` (None: the
    row is the header)."""
    if row == [END_MARKS[0]]:
        return
    line = start + sum(len(re.findall(r"\r\n|\r|\n", cell)) for cell in row[:-1])
    at = len(row)
    name = header[at - 1].strip() if header is not None and at <= len(header) else ""
    raise UnclosedQuote(line, f"its `{name}` cell" if name else f"its cell {at}")


def noting_lines(lines: Iterable[str], read: list[str]) -> Iterator[str]:
    """`lines`, each one added to `read` as it is given: a strict csv reader of them raises csv.Error
    where a quote is wrong, and quote_problem reads the row's lines (`read`, cleared at each row) to say
    where. (A generator: its cost is lost in the csv module's.)"""
    add = read.append
    for line in lines:
        add(line)
        yield line


def data_rows(reader: Any, row_lines: list[str], header: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(the line each row starts on, the row) of header_and_rows's strict reader and its list of lines,
    blank rows passed over, to END_OF_FILE's row: a quote that never closes or text after a closing
    quote raised as quote_problem says it. (score_input.csv_chunks reads its rows in its own loop, the
    same steps inline: it is the batch commands' hot path.)"""
    import csv

    line_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a quote that never closes, or text after a closing quote
            raise quote_problem(reader.line_num, row_lines, line_end + 1, reader.dialect.delimiter, header) from None
        row_lines.clear()
        start, line_end = line_end + 1, reader.line_num
        if not row:
            continue
        if row[-1].endswith(END_MARKS):  # the last row: END_OF_FILE's
            end_of_file(row, start, header)
            return
        yield start, row


def quote_problem(line: int, row_lines: list[str], start: int, delimiter: str,
                  header: Optional[list[str]] = None) -> CsvHeaderError:
    """What a strict csv reader's csv.Error means, for the row that starts on line `start`, whose lines
    it read are `row_lines` (noting_lines), its error on line `line` (the reader's `line_num`): an
    UnclosedQuote ("unexpected end of data": the row, read leniently to the end of the file, says where
    its quote opens) or a TextAfterQuote ("',' expected after '\"'", the only other error such a reader
    of text without NUL raises). The cell is named by its column in `header` (None: the row is the header)."""
    import csv
    from itertools import chain

    row = next(csv.reader(chain(row_lines, [END_OF_FILE]), delimiter=delimiter), [])
    if row and row[-1].endswith(END_MARKS) and row != [END_MARKS[0]]:
        try:
            end_of_file(row, start, header)
        except UnclosedQuote as problem:
            return problem
    at = after_closing_quote("".join(row_lines), delimiter)
    name = header[at].strip() if header is not None and at < len(header) else ""
    return TextAfterQuote(line, f"its `{name}` cell" if name else f"its cell {at + 1}")


def after_closing_quote(text: str, delimiter: str) -> int:
    """The index of the first cell of the row `text` that is quoted and has text after its closing
    quote (where the csv module's strict reader stopped: "',' expected after '\"'")."""
    cell, state = 0, "start"
    for char in text:
        if state == "start":
            state = "quoted" if char == '"' else "start" if char == delimiter else "plain"
            cell += char == delimiter
        elif state == "plain":
            if char == delimiter:
                cell, state = cell + 1, "start"
        elif state == "quoted":
            state = "closed" if char == '"' else "quoted"
        elif char == '"':  # "closed": a quote after a quote is one quote in the cell
            state = "quoted"
        elif char == delimiter:
            cell, state = cell + 1, "start"
        else:
            return cell
    return cell


def sep_line(line: str) -> Optional[str]:
    """The delimiter an Excel first line `sep=;` (or `sep=,`, any one character but a quote) names,
    else None. Excel writes it to name the file's delimiter; the header is the next line."""
    found = re.fullmatch(r'sep=([^"\r\n])(?:\r\n|\n|\r)?', line, re.IGNORECASE)
    return found.group(1) if found else None


def header_lines(first: str, rest: Iterator[str], given: Optional[str] = None) -> tuple[str, list[str]]:
    """(delimiter, the file's lines up to its header) for a CSV whose first line is `first` and whose
    next lines `rest` gives: `first` alone, with the delimiter `given` or the one it uses most
    (detect_delimiter); or an Excel `sep=;` line and the header after it, with the delimiter that line
    names (`given` wins). A reader of these lines then `rest` gives the `sep=` line's row first."""
    named = sep_line(first)
    if named is None:
        return detect_delimiter(first, given), [first]
    return given or named, [first, next(rest, "")]


def no_header(lines: list[str], rest: Iterator[str]) -> Optional[str]:
    """For a CSV whose lines up to its header are `lines` (header_lines) and whose next lines `rest` gives:
    the warning to say when it has no header (its header line and every line after it blank: an Excel
    `sep=;` line alone, or line breaks alone), which is a file without leads, as an empty file is; None
    when it has one. A blank header line with a line that is not blank after it is a CsvHeaderError
    (blank_header): the header is not where every reader looks for it. The lines read past a blank
    header line are added to `lines`."""
    if lines[-1].strip("\r\n"):
        return None
    at = len(lines)  # the header's line
    for line in rest:
        lines.append(line)
        if line.strip("\r\n"):
            raise CsvHeaderError(blank_header(at, len(lines)))
    if sep_line(lines[0]) is not None:
        return f"no header follows the `{lines[0].strip()}` line: there are no leads"
    return "the file holds only blank lines, no header: there are no leads"


def blank_header(at: int, first: int) -> str:
    """What is wrong with a CSV whose line `at`, where its header belongs (the first line, or the one
    after an Excel `sep=;` line), is blank, and whose line `first` is the first after it that is not; and
    the fix. Said alike by every engine and command: a reader that took the blank line for the header
    found no column (CSV leads), or took the header for a row (DuckDB's reader of a table)."""
    lines = "line" if first == at + 1 else "lines"
    return (f"line {at} is blank where the header belongs (the first line after it that is not blank is line "
            f"{first}): delete the blank {lines} before the header")


def rows_absent(path: str) -> Optional[str]:
    """Why the CSV file at `path` holds no rows: "" when it is empty (or a UTF-8 byte order mark alone),
    no_header's warning when it has no header (a `sep=;` line alone, or blank lines); None when it has a
    header, or cannot be read here (its reader says why). Read up to its header. Raises CsvHeaderError
    for a blank line where the header belongs (blank_header)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            first = text.readline()
            if not first:
                return ""
            return no_header(header_lines(first, text)[1], text)
    except (OSError, UnicodeDecodeError):
        return None


def header_and_rows(first: str, rest: Iterator[str], given: Optional[str] = None,
                    warn: Optional[Callable[[str], None]] = None) -> Optional[tuple[list[str], Any, list[str]]]:
    """(the header, a strict csv reader of the rows after it: its `line_num` counts the file's lines, the
    list of the lines it read for the row it reads) of a CSV whose first line is `first` and whose next
    lines `rest` gives (header_lines: an Excel `sep=;` line passed over, its delimiter or `given`). The
    reader ends in END_OF_FILE's row; where a quote is wrong it raises csv.Error, which quote_problem
    says (the caller clears the list at each row). None: the file has no header (a `sep=` line alone, or
    line breaks alone: no_header), no leads, as an empty file, said to `warn`; an UnclosedQuote or a
    TextAfterQuote: the header's quote is wrong; a CsvHeaderError: the header's line is blank, with one
    that is not after it (blank_header)."""
    import csv
    from itertools import chain

    delimiter, lines = header_lines(first, rest, given)
    at = len(lines)  # the header's line
    missing = no_header(lines, rest)
    if missing is not None:
        if warn is not None:
            warn(missing)
        return None
    read: list[str] = []
    reader = csv.reader(chain(noting_lines(chain(lines, rest), read), [END_OF_FILE]), delimiter=delimiter, strict=True)
    if at > 1:
        next(reader)  # Excel's `sep=;` line
        read.clear()
    try:
        header = next(reader)
    except csv.Error:
        raise quote_problem(reader.line_num, read, at, delimiter) from None
    read.clear()
    return header, reader, read


@dataclass
class CsvLayout:
    """Where each part of a lead sits in a row (-1: no such column)."""

    width: int
    id_at: int = -1
    stage_at: int = -1
    activities_at: int = -1
    field_columns: list[Any] = field(default_factory=list)  # (declared field name, column index)
    warnings: list[Any] = field(default_factory=list)

    @property
    def ids_are_line_numbers(self) -> bool:
        return self.id_at < 0


def normal(name: str) -> str:
    """`Company Size` -> `company_size`: trimmed, lower case, runs of spaces, `_` and `-` as one `_`."""
    return re.sub(r"[\s_\-]+", "_", name.strip().lower())


def _show(name: str) -> str:
    return f"`{name}`" if name.strip() else "(no name)"


def read_header(header: list[str], fields: Iterable[str]) -> CsvLayout:
    """The layout of rows under `header`, for a policy declaring `fields`. Raises CsvHeaderError."""
    declared = list(fields)
    by_exact = {name: name for name in declared}
    by_normal: dict[str, str] = {}
    for declared_name in declared:
        by_normal.setdefault(normal(declared_name), declared_name)
    layout = CsvLayout(width=len(header))
    seen: dict[str, int] = {}  # what a column names -> its index
    for index, raw in enumerate(header):
        key = normal(raw)
        if not key or key == "_":
            if raw.strip() or index < len(header) - 1:  # a trailing empty column is the export's final comma
                layout.warnings.append(f"column {index + 1} has no name and is ignored")
            continue
        target = _SPECIAL.get(key)
        name: Optional[str] = target or by_exact.get(raw.strip()) or by_normal.get(key)
        if name is None:
            layout.warnings.append(_unknown(raw, index, declared))
            continue
        meaning = f"`{name}`" if target else f"the field `{name}`"
        if name in seen:
            first = seen[name]
            raise CsvHeaderError(f"columns {first + 1} ({_show(header[first])}) and {index + 1} ({_show(raw)}) "
                                 f"both name {meaning}: keep one of them")
        seen[name] = index
        if target == ID:
            layout.id_at = index
        elif target == STAGE:
            layout.stage_at = index
        elif target == ACTIVITIES:
            layout.activities_at = index
        else:
            layout.field_columns.append((name, index))
    if declared and not layout.field_columns and layout.activities_at < 0:
        shown = ", ".join(_show(name) for name in header[:8]) + (", ..." if len(header) > 8 else "")
        raise CsvHeaderError(f"no column names a field of the policy or `activities` (the header has {shown}); "
                             f"name the columns after the fields: {', '.join('`' + f + '`' for f in declared[:8])}"
                             + (", ..." if len(declared) > 8 else ""))
    if layout.id_at < 0:
        layout.warnings.append("there is no `id` column: each lead's id is its line number in the file")
    return layout


def _unknown(raw: str, index: int, declared: list[str]) -> str:
    names = declared + ["id", "stage", "activities"]
    close = difflib.get_close_matches(normal(raw), [normal(n) for n in names], n=1, cutoff=0.6)
    hint = ""
    if close:
        suggestion = next(n for n in names if normal(n) == close[0])
        hint = f"; did you mean `{suggestion}`?"
    return f"column {index + 1} ({_show(raw)}) names no field of the policy and is ignored{hint}"


def detect_delimiter(first_line: str, given: Optional[str] = None) -> str:
    """The delimiter: the one given, else whichever of `,` `;` tab `|` the header
    line holds most often outside quotes (a comma when it holds none)."""
    if given:
        return given
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","
