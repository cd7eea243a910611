"""The query's rows as the Python engine writes them (tools/score_output.py), so that every engine's
output is the same text: decision rows encoded with the Python engine's encoder, and each lead
the query gives an error scored again by the Python engine, alone, for its exact row (message
and value as Python words them): from its line of the file (JSON Lines, CSV: `Rescorer`), or
from its rows of the two tables read back as text (the relational shape: `RelationalRescorer`).
The query decides *which* leads have errors, and on which field; the differential tests show it
agrees with the Python engine there."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple, Optional

from leadpolicy.tools.file_kinds import is_parquet

if TYPE_CHECKING:
    from leadpolicy.backends.sql.batch import BatchInput
    from leadpolicy.tools.progress import Progress

__all__ = ["Rescored", "Rescorer", "RelationalRescorer", "write_rows", "mapping_of", "quoted"]


def mapping_of(source: "BatchInput") -> Any:
    """The relational shape's names for `source` (its mapping file's, else the defaults)."""
    from leadpolicy.backends.sql.inputs import Mapping

    return Mapping.from_dict(source.mapping or {})


def quoted(path: str) -> str:
    """`path` inside a SQL string literal."""
    return path.replace("'", "''")


def _decision_row(row: dict[str, Any], policy: Any) -> dict[str, Any]:
    return {
        "id": _row_id(row), "policy": policy.name, "version": policy.version,
        "stage": row["stage"], "previous_stage": row["previous_stage"], "change": row["change"],
        "engagement": row["engagement"], "fit": row["fit"], "grade": row["grade"],
        "reason": {"kind": row["reason_kind"], "stage": row["stage"], "rule": row["reason_rule"]},
        "hits": json.loads(row["hits"]),
    }


def _row_id(row: dict[str, Any]) -> Any:
    if row.get("lp_id_json") is not None:
        return json.loads(row["lp_id_json"])
    return json_id(row["id"])


def json_id(value: Any) -> Any:
    """A leads table's id as a JSON value: text, numbers and booleans as they are; a DECIMAL
    without fraction digits (a warehouse's NUMBER(38,0)) as its integer, as an integer column's
    id is; any other type JSON has no value for (UUID, DECIMAL, BLOB, a date) as its text."""
    import decimal

    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, decimal.Decimal) and value.is_finite() and value.as_tuple().exponent == 0:
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


class Rescored(NamedTuple):
    """A lead the query wrote as an error row, as the Python engine writes it: its output bytes,
    its (line, message) samples, and what it counts as ({(stage, change): 1} and no error when
    Python decides it)."""
    payload: bytes
    samples: list[Any]
    tally: dict[Any, int]
    errors: int


class Rescorer:
    """Scores the leads that had data errors again with the Python engine, for its exact rows."""

    def __init__(self, policy: Any, as_of: Any, source: BatchInput, output_format: str) -> None:
        from leadpolicy.tools.score import Scorer

        self.source = source
        self.fields = [f.name for f in policy.tree.fields]  # CSV headers matched as the Python engine matches them
        self.scorer = Scorer(policy.module, as_of, "csv" if source.kind == "csv" else "jsonl", output_format)
        self.output_format = output_format

    def rows(self, wanted: list[int]) -> dict[int, "Rescored"]:
        """{lp_row: the Python engine's row} for the error leads `wanted` (their lp_row)."""
        kind = self.source.kind
        wanted_set = set(wanted)
        found: dict[int, Rescored] = {}
        if kind == "jsonl":
            with open(self.source.path, "rb") as handle:
                for number, line in enumerate(handle, 1):
                    if number in wanted_set:
                        found[number] = self._score((number, line if line.endswith(b"\n") else line + b"\n", len(line)))
        elif kind == "csv":
            from leadpolicy.tools.score_input import csv_chunks

            ordinal = 0
            with open(self.source.path, "rb") as handle:
                for _, items, _ in csv_chunks(handle, fields=self.fields):
                    for item in items:
                        ordinal += 1
                        if ordinal in wanted_set:
                            found[ordinal] = self._score((item[0], [item], 0))
        return found

    def _score(self, chunk: tuple[Any, ...]) -> "Rescored":
        payload, _, tally, errors, samples, _ = self.scorer.score(chunk)  # (a CSV payload has no header: one row)
        return Rescored(payload, samples, tally, errors)


class RelationalRescorer:
    """The relational shape's error leads, read back from their tables (every cell as
    its text, as the query reads it) and decided by the Python engine, for its error
    rows word for word: the query finds *which* leads fail, Python says how.
    `fetch(sql, id)` runs a query with the lead's id as its one parameter (`param`), in
    DuckDB (`for_duckdb`) or Spark (spark_files); names are quoted with `quote`."""

    def __init__(self, policy: Any, as_of: Any, source: BatchInput, output_format: str,
                 fetch: Callable[[str, Any], list[Any]], tables: tuple[str, str], *, quote: str = '"',
                 param: str = "?", text_type: str = "VARCHAR") -> None:
        from leadpolicy.backends.sql.inputs import Mapping

        self.fetch = fetch
        self.module = policy.module
        self.as_of = as_of
        self.to_json = output_format != "csv"
        m = Mapping.from_dict(source.mapping or {})
        tree = policy.tree
        self.fields = [f.name for f in tree.fields]
        self.props = list(dict.fromkeys(p.name for decl in tree.activities for p in decl.props))
        leads_from, acts_from = tables

        def name(column: str) -> str:
            return quote + column.replace(quote, quote * 2) + quote

        def text(column: Optional[str]) -> str:  # None: no such column (the mapping's null)
            return f"CAST({'NULL' if column is None else name(column)} AS {text_type})"

        self.leads_sql = (f"SELECT {text(m.stage)}, {', '.join(text(m.fields.get(n, n)) for n in self.fields) or 'NULL'}"
                          f" FROM {leads_from} WHERE {name(m.id)} = {param}")
        order = name(m.order or m.at)
        columns = ", ".join([text(m.type), text(m.at)] + [text(m.props.get(n, n)) for n in self.props])
        self.acts_sql = f"SELECT {columns} FROM {acts_from} WHERE {name(m.lead_id)} = {param} ORDER BY {order}"

    @classmethod
    def for_duckdb(cls, con: Any, policy: Any, as_of: Any, source: BatchInput, output_format: str) -> "RelationalRescorer":
        cursor = con.cursor()  # a second connection to the same database: the main one is mid-fetch
        # a TIMESTAMPTZ cell's text as the query reads it (reading.typed_reading): in UTC, whatever
        # the machine's zone (whose offsets had seconds in the 1800s: text section 8 does not read)
        cursor.execute("SET TimeZone = 'UTC'")
        if source.kind == "database":  # made before the first rows are fetched (so before the query attaches it)
            cursor.execute("ATTACH IF NOT EXISTS ? AS lp_db (READ_ONLY)", [source.path])
            cursor.execute("USE lp_db")
        m = mapping_of(source)
        return cls(policy, as_of, source, output_format, lambda sql, lead_id: list(cursor.execute(sql, [lead_id]).fetchall()),
                   cls.tables(source, m))

    @staticmethod
    def tables(source: BatchInput, m: Any) -> tuple[str, str]:
        """The leads and activities tables as DuckDB reads them: a database's own, or the files (text cells)."""
        from leadpolicy.backends.sql.inputs import _table

        if source.kind == "database":
            return (_table(source.leads_table or m.leads_table).sql(dialect="duckdb"),
                    _table(source.activities_table or m.activities_table).sql(dialect="duckdb"))

        from leadpolicy.backends.sql.fragments import file_path

        def read(path: str) -> str:
            if is_parquet(path):
                return f"read_parquet('{quoted(file_path(path))}')"
            from leadpolicy.backends.sql.engines import csv_table_sql

            return csv_table_sql(path)  # as the query reads it

        return read(source.path), read(source.activities or "")

    def rows(self, wanted: list[dict[str, Any]]) -> dict[int, "Rescored"]:
        """{lp_row: the Python engine's error row} for the query's error rows `wanted`."""
        from leadpolicy.tools.score_output import error_row, problem_of

        found: dict[int, Rescored] = {}
        for row in wanted:
            lead_id = row["id"]
            found_leads = self.fetch(self.leads_sql, lead_id)
            if not found_leads:
                continue
            activities = [{"type": a[0], "at": a[1], **dict(zip(self.props, a[2:]))}
                          for a in self.fetch(self.acts_sql, lead_id)]
            # an id on several rows (docs/sql.md, "Ids"): the row that fails on the query's field, not
            # the first row of the id, which may be decided (its error row then had the query's words)
            problems = []
            for lead in found_leads:
                try:
                    self.module.evaluate(dict(zip(self.fields, lead[1:])), activities, self.as_of, lead[0], json_id(lead_id))
                except self.module.LeadDataError as error:
                    problems.append(problem_of(error))
            field = json.loads(row["error"]).get("field")
            problem = next((p for p in problems if p.get("field") == field), problems[0] if problems else None)
            if problem is None:
                continue  # decided in Python: say the query's words (the differential tests keep this from happening)
            payload = error_row(json_id(lead_id), row["lp_row"], problem, self.to_json)
            if self.to_json:
                data = (payload + "\n").encode("utf-8", "backslashreplace")
            else:
                data = _csv_text([payload])
            found[row["lp_row"]] = Rescored(data, [(row["lp_row"], problem["message"])], {}, 1)
        return found


def _generic_error_row(row: dict[str, Any], output_format: str) -> bytes:
    """An error row for the relational shape (no Python reading to ask): the query's own words."""
    from leadpolicy.tools.score_output import encode

    error = json.loads(row["error"])
    problem = {"field": error["field"], "value": None, "message": error["message"]}
    if output_format == "csv":
        from leadpolicy.tools.score_output import csv_text

        return csv_text([[_row_id(row), "", "", "", "", "", "", "", "", problem["message"]]]).encode("utf-8", "backslashreplace")
    return (encode({"id": _row_id(row), "line": row["lp_row"], "error": problem}) + "\n").encode("utf-8")


def write_rows(batches: Iterator[Any], columns: list[str], policy: Any, as_of: Any, source: BatchInput, sink: Any,
                output_format: str, summary: Any,
                relational: Optional[RelationalRescorer] = None, progress: Optional["Progress"] = None) -> None:
    """Encode the query's rows as the Python engine does; error leads through the Python engine
    (read again from the file, or by `relational` from the tables). `progress(leads, done)` after
    each batch written: its rows, and how far their lp_row went (the query gives them in its order)."""
    from itertools import chain

    from leadpolicy.tools.score_output import ROW_COLUMNS, csv_row, encode

    first = next(batches, None)  # the query runs here: an input it refuses writes nothing, as with the Python engine
    if output_format == "csv":
        sink.write((",".join(ROW_COLUMNS) + "\n").encode("utf-8"))
    rescorer = Rescorer(policy, as_of, source, output_format) if source.kind in ("jsonl", "csv") else None
    reached = 0  # the lp_row of the last row written
    for batch in chain([first] if first is not None else [], batches):
        rows = [dict(zip(columns, values)) for values in batch]
        errors = [row for row in rows if row["error"] is not None]
        if not errors:
            again: dict[int, Rescored] = {}
        elif rescorer is not None:
            again = rescorer.rows([row["lp_row"] for row in errors])
        else:
            again = relational.rows(errors) if relational is not None else {}
        out: list[bytes] = []
        csv_rows: list[Any] = []
        for row in rows:
            summary.leads += 1
            if row["error"] is not None:
                rescored = again.get(row["lp_row"])
                if rescored is None:
                    rescored = Rescored(_generic_error_row(row, output_format), [(row["lp_row"], json.loads(row["error"])["message"])], {}, 1)
                payload, samples = rescored.payload, rescored.samples
                # the Python engine may decide a line DuckDB's reader refuses (a lone surrogate escape,
                # docs/sql.md): its row then counts as the decision it is, not as an error
                summary.errors += rescored.errors
                for key, count in rescored.tally.items():
                    summary.outcomes[key] = summary.outcomes.get(key, 0) + count
                summary.keep_samples(samples)
                if csv_rows:
                    out.append(_csv_text(csv_rows))
                    csv_rows = []
                out.append(payload)
                continue
            key = (row["stage"], row["change"])
            summary.outcomes[key] = summary.outcomes.get(key, 0) + 1
            decision = _decision_row(row, policy)
            if output_format == "csv":
                csv_rows.append(csv_row(decision.pop("id"), decision))
            else:
                out.append((encode(decision) + "\n").encode("utf-8", "backslashreplace"))
        if csv_rows:
            out.append(_csv_text(csv_rows))
        sink.write(b"".join(out))
        if progress is not None and rows:
            last = int(rows[-1]["lp_row"])
            progress(len(rows), last - reached)
            reached = last


def _csv_text(rows: list[Any]) -> bytes:
    from leadpolicy.tools.score_output import csv_text

    return csv_text(rows).encode("utf-8", "backslashreplace")
