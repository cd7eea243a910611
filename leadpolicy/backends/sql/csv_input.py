"""The Python engine's CSV (id, stage, activities as JSON, one column per field) for DuckDB:
its header and rows read by the Python engine's own reader, and each row made a JSON lead of
the nested shape (`score --engine duckdb leads.csv`, `diff --engine duckdb --leads leads.csv`)."""

from __future__ import annotations

from typing import Any, Iterator, Optional

__all__ = ["csv_layout", "csv_line_numbers", "csv_leads_source", "csv_lead_lines"]


def csv_layout(path: str, policy: Any, names: Optional[list[str]] = None) -> tuple[Any, list[str], str]:
    """The CSV header read as the python engine reads it (tools/csv_header.py; after an Excel
    `sep=;` line, the next line): (layout, header as written, delimiter). Raises csv_header.CsvHeaderError for a header that
    names no field; layout.warnings lists the columns that match nothing (a file with no header: a
    `sep=` line alone, or blank lines, is no leads, with its warning). `names`: the
    field names to match (default the policy's; diff matches both versions' fields)."""
    import csv

    from leadpolicy.tools.csv_header import CsvLayout, header_lines, no_header, read_header

    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        if not first:  # an empty file (or a byte order mark alone): no header and no leads, as the python engine reads it
            return CsvLayout(width=0), [], ","
        delimiter, lines = header_lines(first, handle)  # an Excel `sep=;` line: the header is the next
        at = len(lines) - 1
        missing = no_header(lines, handle)
    if missing is not None:  # a `sep=` line alone, or blank lines: no leads, said as the python engine says it
        return CsvLayout(width=0, warnings=[missing]), [], delimiter
    header = next(csv.reader(lines[at:at + 1], delimiter=delimiter), [])
    return read_header(header, names if names is not None else [f.name for f in policy.tree.fields]), header, delimiter


def csv_line_numbers(path: str, names: list[str]) -> list[int]:
    """The line each data row of the CSV starts on, in order, as the Python engine's
    reader counts them (a quoted cell may span lines): its ids when there is no `id` column."""
    from leadpolicy.tools.score_input import csv_chunks

    starts: list[int] = []
    with open(path, "rb") as handle:
        for _, items, _ in csv_chunks(handle, fields=names):
            starts.extend(item[0] for item in items)
    return starts


def csv_leads_source(con: Any, path: str, policy: Any, names: Optional[list[str]] = None, sliced: bool = False) -> Any:
    """The Python engine's CSV (id, stage, activities as JSON, one column per field) as
    the nested shape's lines (lp_row: the data row's number, lp_json: its lead), read by the
    Python engine's own reader (csv_lead_lines), written once per connection to a JSON Lines
    copy in its temporary directory, which DuckDB reads as it reads any JSON Lines."""
    from leadpolicy.backends.sql.engines import lines_options
    from leadpolicy.backends.sql.fragments import file_path, lit, sqlglot

    names = names if names is not None else [f.name for f in policy.tree.fields]
    copy, longest, _ = _json_copy(con, path, names)
    copy = file_path(copy)  # (a temporary directory's name may hold a glob character)
    text = (f"(SELECT lp_row, lp_json FROM read_csv(lp_path, {lines_options(longest)})"
            " WITH ORDINALITY AS lp_lines(lp_json, lp_row)"
            + (" WHERE lp_row BETWEEN $lp_first AND $lp_last" if sliced else "") + ") AS lp_src")
    tree = sqlglot.parse_one(text, read="duckdb")
    return tree.transform(lambda n: lit(copy) if isinstance(n, sqlglot.exp.Column) and n.name == "lp_path" else n)


def csv_lead_lines(path: str, names: list[str]) -> Iterator[str]:
    """Each data row of the Python engine's CSV as one JSON lead, in order, read by the Python
    engine's reader (tools/score_input.csv_chunks: its header matching, delimiter, quoting, line
    numbers as ids when there is no `id` column). DuckDB's CSV reader differs from it (a row
    with extra cells was decided, a stray quote or mixed line endings refused the file, a
    header of padded names failed to bind): so the rows are read here, and the query reads
    leads. A row the reader makes an error (too many cells), or whose activities are not JSON,
    is a lead whose activities are not a list: the query gives it an error row, which the
    Python engine words (rows.Rescorer).
    Activities are handed over as Python parsed them (a repeated key: its last value)."""
    import json

    from leadpolicy.tools.score_input import csv_chunks

    with open(path, "rb") as handle:
        for _, items, _ in csv_chunks(handle, fields=names):
            for _, lead_id, stage, values, acts, problem in items:
                # activities that are not a list make the lead an error row, with its id (Parquet output
                # keeps the query's error; the other outputs the Python engine's)
                activities: Any = "too many cells"
                if problem is None and acts.strip():
                    try:
                        activities = json.loads(acts)
                    except (ValueError, RecursionError):
                        activities = "not JSON"
                elif problem is None:
                    activities = None
                try:  # ASCII: a lone surrogate escape stays an escape (DuckDB calls that line not JSON)
                    yield json.dumps({"id": lead_id, "stage": stage or None, "fields": values, "activities": activities})
                except (ValueError, RecursionError):  # nested too deeply to write again
                    yield json.dumps({"id": lead_id, "stage": None, "fields": {}, "activities": "not JSON"})


def csv_rows(con: Any, path: str, policy: Any) -> int:
    """The data rows of the CSV `path` (the lines of its JSON Lines copy for csv_leads_source, made
    if it is not yet: counted as it was written), the last lp_row of its query."""
    return _json_copy(con, path, [f.name for f in policy.tree.fields])[2]


def _json_copy(con: Any, path: str, names: list[str]) -> tuple[str, int, int]:
    """The JSON Lines copy of the CSV `path` in the connection's temporary directory (made
    once: the sliced and unsliced queries read the same copy; removed with the directory),
    its longest line in bytes and its lines (the CSV's data rows)."""
    import hashlib
    import os
    import tempfile

    folder = str(con.execute("SELECT current_setting('temp_directory')").fetchone()[0] or "")
    if not os.path.isabs(folder):
        folder = tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    key = hashlib.sha256(f"{os.path.abspath(path)}\0{names}".encode()).hexdigest()[:16]
    copy = os.path.join(folder, f"lp_csv_{key}.jsonl")
    done = copy + ".longest"
    if os.path.exists(done):
        with open(done, encoding="ascii") as handle:
            longest, rows = (int(number) for number in handle.read().split())
            return copy, longest, rows
    longest = rows = 0
    with open(copy, "w", encoding="utf-8", newline="\n") as out:
        for line in csv_lead_lines(path, names):
            longest = max(longest, len(line))  # ASCII: characters are bytes
            rows += 1
            out.write(line + "\n")
    with open(done, "w", encoding="ascii") as handle:
        handle.write(f"{longest} {rows}")
    return copy, longest, rows
