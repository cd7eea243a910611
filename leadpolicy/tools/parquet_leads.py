"""Leads in a Parquet file of the nested shape: the JSON Lines lead (docs/language-reference.md
section 16) as columns, `id`, `fields` (a struct or a map), `activities` (a list of structs or
maps) and `stage`, as `pyarrow.Table.from_pylist(leads)` or pandas writes them. `score` copies
such a file to JSON Lines, row for row, and every engine reads that copy as it reads JSON Lines:
the same decisions and error rows (`"line"` is the row's number). A Parquet file without a
`fields` column is a table of the relational shape (docs/sql.md) and is not read here."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import json
import math
import os
import tempfile
from typing import IO, Any, Callable, Iterator, Optional

__all__ = ["NESTED_COLUMN", "MissingPyarrow", "ParquetProblem", "nested_parquet_columns", "write_json_lines",
           "is_nested_parquet", "json_lines_copy"]

NESTED_COLUMN = "fields"  # the column that tells the nested shape from a relational leads table
_BATCH_ROWS = 8192


class ParquetProblem(ValueError):
    """A Parquet file that cannot be read: the message says why, without the path."""


class MissingPyarrow(ImportError):
    """pyarrow is not installed; the message names the extra that brings it."""


def _pyarrow_parquet() -> Any:
    """pyarrow.parquet (the extras duckdb and spark bring it): without it no Parquet file is read, and
    whether one holds nested leads or a relational table cannot be told."""
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
    except ImportError:
        raise MissingPyarrow("pyarrow is not installed: pip install 'leadpolicy[duckdb]'") from None
    return pq


def nested_parquet_columns(path: str) -> Optional[list[str]]:
    """The column names of the Parquet file at `path` when it holds leads of the nested shape; None
    for a relational table. Raises MissingPyarrow."""
    pq = _pyarrow_parquet()
    try:
        names = list(pq.read_schema(path).names)
    except Exception as error:  # pyarrow's ArrowInvalid and OSError: a damaged or truncated file
        raise ParquetProblem(f"cannot be read as Parquet ({error})") from None
    return names if NESTED_COLUMN in names else None


def is_nested_parquet(path: str) -> bool:
    """A file (not a stream) that is Parquet by its name or first bytes and holds leads of the nested
    shape. Raises MissingPyarrow, and ParquetProblem for a file named .parquet that is not one."""
    from leadpolicy.tools.file_kinds import is_parquet, is_stream

    if not os.path.isfile(path) or is_stream(path) or not is_parquet(path):
        return False
    return nested_parquet_columns(path) is not None


@contextlib.contextmanager
def json_lines_copy(path: str) -> Iterator[str]:
    """The nested-shape Parquet file at `path` copied, row for row, to a JSON Lines file in a
    temporary directory removed on leaving: `diff --leads` and `report` read that copy as they read
    JSON Lines, as `score` does (docs/decisions.md 65 and 89). Raises MissingPyarrow, ParquetProblem."""
    with tempfile.TemporaryDirectory(prefix="leadpolicy-parquet-") as folder:
        copy = os.path.join(folder, "leads.jsonl")
        with open(copy, "w", encoding="utf-8", newline="\n") as out:
            write_json_lines(path, out)
        yield copy


def write_json_lines(path: str, out: IO[str]) -> int:
    """Each row of the Parquet file as one JSON line on `out`; the number of rows."""
    pq = _pyarrow_parquet()
    rows = 0
    try:
        file = pq.ParquetFile(path)
        decode = _json_decoder(file.schema_arrow)
        for batch in file.iter_batches(batch_size=_BATCH_ROWS):
            for row in batch.to_pylist():
                if decode is not None:
                    row = decode(row)
                if row.get(NESTED_COLUMN) == []:  # an empty map comes as an empty list of pairs
                    row[NESTED_COLUMN] = {}
                out.write(json.dumps(_plain(row), ensure_ascii=False, allow_nan=False) + "\n")
                rows += 1
    except (OSError, ValueError) as error:  # pyarrow's errors are ValueErrors (ArrowInvalid) or OSErrors
        raise ParquetProblem(f"cannot be read as Parquet ({error})") from None
    return rows


def _json_decoder(arrow_type: Any) -> Optional[Callable[[Any], Any]]:
    """What turns a value of `arrow_type` (a schema: the row's struct) into its JSON values where it
    holds JSON text columns (Parquet's JSON logical type, pyarrow's `arrow.json` extension: DuckDB
    writes one where `read_json` met a value of several types, `"minutes": "17"` beside `45`), each
    text read as the JSON it is (the string `17`, the number 45, not the text `"17"`); None where
    it holds none."""
    import pyarrow as pa

    if isinstance(arrow_type, pa.Schema):
        arrow_type = pa.struct(list(arrow_type))
    if getattr(arrow_type, "extension_name", None) == "arrow.json":
        return _json_value
    if pa.types.is_struct(arrow_type):
        inner = {field.name: decoder for field in arrow_type if (decoder := _json_decoder(field.type)) is not None}
        if not inner:
            return None
        return lambda value: None if value is None else {
            key: inner[key](item) if key in inner else item for key, item in value.items()}
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        element = _json_decoder(arrow_type.value_type)
        return None if element is None else lambda value: None if value is None else [element(item) for item in value]
    return None


def _json_value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON after all, or nested past Python's stack: its text, as a text column's
        return text


def _plain(value: Any) -> Any:
    """A Parquet value as the JSON a CRM export would hold: timestamps and dates in ISO 8601 (a naive
    timestamp has no zone: UTC, as in JSON Lines), a map (pyarrow's list of key-value pairs) as an
    object, decimals as numbers; a NaN or infinity as its text, which no number field reads (a data
    error naming the value, as `"nan"` is in JSON Lines)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):
            return {str(key): _plain(item) for key, item in value}
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, datetime.timedelta):
        return str(value)
    return value
