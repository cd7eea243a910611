"""The rows a batch writes: each lead's decision or error, as JSON Lines or as CSV.

Every engine writes its rows with these functions (tools/score.py for the Python
engine, backends/sql/rows.py for DuckDB and Spark), so their outputs are the same
text: `encode` is `json.dumps` exactly, `csv_row` and `error_row` give the cells
of the flat table (`ROW_COLUMNS`), `csv_text` writes them, `problem_of` turns a
data error into the `error` of its row. `shown_on_terminal` keeps lead data from
repainting a terminal that CSV rows go to.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from contextlib import contextmanager
from typing import Any, BinaryIO, Iterator

__all__ = ["ROW_COLUMNS", "encode", "csv_text", "csv_row", "error_row", "rounded", "problem_of", "json_value",
           "TerminalCsv", "shown_on_terminal"]

ROW_COLUMNS = ("id", "stage", "previous_stage", "change", "engagement", "fit", "grade", "reason", "rule", "error")
# The output encoder: json.dumps(row) exactly (the same defaults), built once.
encode = json.JSONEncoder().encode


def csv_text(rows: list[list[Any]]) -> str:
    """Rows of the CSV output, each ending in `\\n`. A cell holding a carriage return is quoted
    too: the csv module quotes only the characters of its line terminator, and every reader (the
    csv module, a spreadsheet) takes a bare `\\r` for the end of a row, so an id `L-2\\r` was read
    back as `L-2` and a row of its own."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    if "\r" not in text:  # one scan of the block; the rare block with one is written again
        return text
    out = []
    for row in rows:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(row)  # quotes a cell with \r in it
        out.append(buffer.getvalue()[:-2] + "\n")  # ending in \n alone, as every other row
    return "".join(out)


def csv_row(lead_id: Any, decision: dict[str, Any]) -> list[Any]:
    reason = decision["reason"]
    return [_cell(lead_id), decision["stage"], decision["previous_stage"], decision["change"],
            rounded(decision["engagement"]), rounded(decision["fit"]), decision["grade"], reason["kind"], reason["rule"], ""]


def error_row(lead_id: Any, number: int, problem: dict[str, Any], to_json: bool) -> Any:
    """A data error's row: JSON Lines text, or the cells of a CSV row (no decision, the message last)."""
    if to_json:
        return encode({"id": lead_id, "line": number, "error": problem})
    return [_cell(lead_id), "", "", "", "", "", "", "", "", problem["message"]]


def rounded(value: float) -> str:
    """A score for a CSV cell: rounded to two decimals, trailing zeros dropped
    (14.800000000000002 -> 14.8, 60.0 -> 60, -0.001 -> 0). JSON keeps the exact float."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _cell(value: Any) -> object:
    """An id as a CSV cell: text as is, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    return encode(value)


def problem_of(error: Any) -> dict[str, Any]:
    """A data error as the `error` of an error row: {"field", "value", "message"},
    the value as JSON (a list stays a list; NaN and Infinity, which JSON cannot
    hold, as the words the input used) and a lead id that is not text shown as JSON."""
    problem: dict[str, Any] = error.to_dict()
    problem["value"] = json_value(error.value)
    lead_id = error.lead_id
    if lead_id is not None and not isinstance(lead_id, str):
        shown = copy.copy(error)
        shown.lead_id = encode(json_value(lead_id))
        problem["message"] = str(shown)
    return problem


def json_value(value: Any) -> Any:
    """`value` as plain JSON data: containers kept, non-finite floats and other objects as text."""
    if value is None or value.__class__ in (str, int, bool):
        return value
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str.__str__(value) if isinstance(value, str) else str(value)


# ---------------------------------------------------------------- rows on a terminal


class TerminalCsv:
    """CSV rows on their way to a terminal, each cell shown as text (`line_text`): an id, a rule
    or an error message from lead data holding an escape sequence (`L-1\\x1b[2J`) would clear or
    repaint the screen, a newline would start a row that is not one. Only for a terminal: a file
    or a pipe gets the bytes of the data as they are (docs/decisions.md, "CSV cells")."""

    def __init__(self, stream: BinaryIO) -> None:
        import codecs

        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")
        self._held = ""

    def write(self, data: bytes) -> int:
        self._held += self._decoder.decode(data)
        # whole rows only: the text ends a line outside any quoted cell (quotes come in pairs)
        if self._held.endswith("\n") and self._held.count('"') % 2 == 0:
            self._emit()
        return len(data)

    def _emit(self) -> None:
        from leadpolicy.syntax.diagnostics import line_text

        if not self._held:
            return
        rows = [[line_text(cell) for cell in row] for row in csv.reader(io.StringIO(self._held, newline=""))]
        self._held = ""
        self._stream.write(csv_text(rows).encode("utf-8"))

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        """Write what is held (a last row without its newline) and flush."""
        self._held += self._decoder.decode(b"", final=True)
        self._emit()
        self._stream.flush()


@contextmanager
def shown_on_terminal(sink: Any, output_format: str) -> Iterator[Any]:
    """`sink`, or for CSV going to a terminal the same rows with their cells shown as text
    (`TerminalCsv`). JSON Lines needs nothing: its encoder writes every control, non-ASCII and
    text-direction character as a `\\u` escape."""
    try:
        terminal = output_format == "csv" and bool(sink.isatty())
    except (AttributeError, ValueError):
        terminal = False
    if not terminal:
        yield sink
        return
    shown = TerminalCsv(sink)
    yield shown
    shown.close()
