"""`leadpolicy score --engine duckdb|spark`: a file of leads in, the Python engine's rows out.

The query decides every lead; the rows are written as the Python engine writes
them (tools/score_output.py), so the two engines' outputs are the same text:

- JSON Lines or CSV output: rows.py writes them (decision rows with the Python
  engine's encoder, error rows as the Python engine words them);
- Parquet output: written by the engine itself (one row per lead, columns
  `inputs.OUTPUT_COLUMNS` plus `line`); `error` holds the query's own JSON
  ({"field", "message"}).

Inputs by suffix: JSON Lines (the nested shape), CSV (the Python engine's CSV:
id, stage, activities as JSON, one column per field), Parquet or CSV with
`activities` given (the relational shape), a DuckDB database file with tables.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from leadpolicy.backends.sql import extras
from leadpolicy.backends.sql.engines import as_of_text
from leadpolicy.backends.sql.fragments import file_path
from leadpolicy.backends.sql.rows import RelationalRescorer, mapping_of, quoted, write_rows
from leadpolicy.backends.sql.slicing import (
    ALL_LINES,
    Slice,
    count_lines,
    halves,
    is_out_of_memory,
    out_of_memory,
    run_each,
    stream_each,
)
from leadpolicy.tools.file_kinds import is_duckdb_database, is_parquet

if TYPE_CHECKING:
    from leadpolicy.tools.progress import Progress

__all__ = ["BatchInput", "score_file", "default_memory_limit", "score_memory_limit", "output_format_for"]

FETCH_ROWS = 20_000
# Parquet output: the query's columns, and each lead's line (JSON Lines) or row number
OUTPUT_SELECT = ("id, stage, previous_stage, change, engagement, fit, grade, reason_kind, reason_rule, hits, error,"
                 " lp_row AS line")
class InputProblem(ValueError):
    """The input cannot be read by this engine (a usage error: exit status 2)."""


@dataclass
class BatchInput:
    path: str
    activities: Optional[str] = None  # the relational shape's activities table (a file)
    mapping: Optional[dict[str, Any]] = None
    leads_table: Optional[str] = None  # tables in a DuckDB database INPUT
    activities_table: Optional[str] = None

    @property
    def suffix(self) -> str:
        return os.path.splitext(self.path)[1].lower()

    @functools.cached_property
    def kind(self) -> str:  # read once: it may look at the file's first bytes
        """jsonl (nested), csv (the Python engine's CSV), relational, database. A DuckDB
        database or a Parquet file is known by its first bytes too, whatever its name."""
        if is_duckdb_database(self.path):
            return "database"
        if self.activities is not None or is_parquet(self.path):
            return "relational"
        if self.suffix == ".csv":
            return "csv"
        return "jsonl"


def output_format_for(output: Optional[str], fmt: str) -> str:
    """The output's format: Parquet by its suffix, else `fmt`, score's choice (--format, else csv
    for a .csv name, else jsonl): the suffix won over --format (`--format csv -o out.jsonl` wrote
    JSON Lines, where the python engine writes CSV)."""
    return "parquet" if os.path.splitext(output or "")[1].lower() == ".parquet" else fmt


def default_memory_limit() -> str:
    """Half of this machine's memory (DuckDB spills to disk beyond it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2GB"
    return f"{max(256, total // 2 // 2 ** 20)}MB"


# `score --engine duckdb`'s default memory limit: half the machine, at most this. A million
# Acme-like leads from JSON Lines: 36-37 s and 3.7 GB with everything in memory, 35-37 s and
# 1.1 GB in five slices within 1500MB, the lines on disk (docs/sql.md, "Memory").
SCORE_MEMORY_CAP_MB = 1500


def score_memory_limit() -> str:
    """The default --memory-limit of `score --engine duckdb`: half the machine, at most 1.5 GB
    (CSV input: half the machine, default_memory_limit)."""
    half = size_in_bytes(default_memory_limit()) or 0
    return f"{max(256, min(half // 10 ** 6, SCORE_MEMORY_CAP_MB))}MB"


# ---------------------------------------------------------------- DuckDB


def _duckdb_query(con: Any, policy: Any, source: BatchInput, sliced: bool = False) -> str:
    """The decision query of a CSV, relational or database input (JSON Lines: _Statements)."""
    from leadpolicy.backends.sql.engines import _Keyed, _Nested, _sql, column_types, duckdb_query
    from leadpolicy.backends.sql.inputs import Mapping, NestedJson, Relational

    mapping = Mapping.from_dict(source.mapping or {})
    kind = source.kind
    if kind == "csv":
        from leadpolicy.backends.sql.csv_input import csv_leads_source

        lines = csv_leads_source(con, source.path, policy, sliced=sliced)
        return _sql(policy.tree, _Fixed(NestedJson(lines), "csv:" + lines.sql(dialect="duckdb")), "duckdb", True)
    if kind == "database":
        tables = attach_database(con, source)
        return _sql(policy.tree, _Keyed(Relational(mapping, *tables, column_types(con, mapping, *tables))), "duckdb", True)
    if source.activities is None:
        raise InputProblem(f"{source.path}: the relational shape needs its activities table too (--activities FILE)")
    del _Nested
    # Paths: files, whatever their names (a CSV table named activities.tsv), never table names
    return duckdb_query(policy, leads=Path(source.path), activities=Path(source.activities), mapping=mapping, con=con,
                        with_row=True)


def attach_database(con: Any, source: BatchInput) -> tuple[Any, Any]:
    """A DuckDB database INPUT attached (read only) and made the connection's default; its
    leads and activities tables (--leads-table, --activities-table, else the mapping's)."""
    from leadpolicy.backends.sql.inputs import Mapping, _table

    mapping = Mapping.from_dict(source.mapping or {})
    con.execute("ATTACH IF NOT EXISTS ? AS lp_db (READ_ONLY)", [source.path])
    con.execute("USE lp_db")
    return (_table(source.leads_table or mapping.leads_table), _table(source.activities_table or mapping.activities_table))


LINES_TABLE = "lp_lines"


class _Fixed:
    def __init__(self, shape: Any, key: str) -> None:
        self.shape, self.key = shape, key

    def ctes(self, policy: Any) -> list[Any]:
        return list(self.shape.ctes(policy))

    def __repr__(self) -> str:
        return self.key


# Memory the query takes per byte of JSON Lines or CSV input, and the share of the limit one
# slice may plan for. With per-lead arrays (the query keeps the terms of rules whose float sums
# must be added in the reference's order for every lead: `lp_e_terms`), about 9, measured on
# Acme-like leads before the any-order sums (session 4, 2 threads): those arrays cannot spill.
# Without them (the arrays only of the few leads whose sums are not exact in any order), the
# query's peak at a million Acme-like leads from JSON Lines, 2 threads, was 1.73 GB of DuckDB's
# buffers for 2.05 GB of input (0.85 a byte; the lines themselves on disk: lines_on_disk):
# planned at 1.5.
MEMORY_PER_INPUT_BYTE = 12
LEAN_MEMORY_PER_INPUT_BYTE = 1.5
# score's one query at a time, its lines on disk (session 17, a million Acme-like leads within
# 1500MB, 2 threads): DuckDB's peak buffers for a slice of 200,000 / 333,334 / 500,000 lines were
# 512 / 643 / 795 MB, about 316 MB whatever the slice plus 0.48 a byte of it, and the whole run's
# peak RSS 1.1-1.2 GB in five, four or three slices. 1.0 a byte (four slices of that file, not
# five) is still twice that; a slice fewer saves its planning and its start and end: 26.1-28.0 s
# -> 25.6-25.9 s. diff, whose two queries are joined, keeps the lean figure above (not measured)
SCORE_LEAN_MEMORY_PER_INPUT_BYTE = 1.0
SLICE_SHARE = 0.6
QUERY_BASE_MEMORY = 250 * 10 ** 6  # what the query takes whatever its input (its many operators' buffers)
MIN_SLICE_LINES = 1000
_UNITS = {"b": 1, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def size_in_bytes(text: str) -> Optional[int]:
    """A DuckDB memory size ("200MB", "4 GiB") in bytes; None when it is not one."""
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not found or (found.group(2) or "b").lower() not in _UNITS:
        return None
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "b").lower()])


def _slice_budget(source: BatchInput, memory_limit: Optional[str], queries: int = 1) -> Optional[float]:
    """The memory one decision query may plan for; None when the input is never sliced."""
    limit = size_in_bytes(memory_limit or default_memory_limit())
    if source.kind not in ("jsonl", "csv") or limit is None:
        return None
    return (limit * SLICE_SHARE - QUERY_BASE_MEMORY * queries) / queries


def may_need_slices(source: BatchInput, memory_limit: Optional[str], queries: int = 1) -> bool:
    """Whether `source` would be sliced with the most memory a byte of input may take."""
    budget = _slice_budget(source, memory_limit, queries)
    return budget is not None and os.path.getsize(source.path) * MEMORY_PER_INPUT_BYTE > budget


def slices(source: BatchInput, memory_limit: Optional[str], queries: int = 1,
           per_byte: float = MEMORY_PER_INPUT_BYTE, most_bytes: Optional[int] = None,
           total_lines: Optional[Callable[[], int]] = None) -> Optional[list[tuple[int, int]]]:
    """The (first, last) line (JSON Lines) or row (CSV) of each slice when the whole file would
    not fit within the memory limit, else None (one query). DuckDB spills its joins and sorts
    to disk, but not the per-lead arrays of the query: slices keep those within the limit.
    The relational shape is one query (its tables are typed columns, far smaller).
    `queries`: how many decision queries run at once (diff joins two); `per_byte`: the memory
    the query takes per byte of input (memory_per_input_byte; by default the most); `most_bytes`: the
    most input one slice may hold, whatever the memory (a smaller slice can be faster);
    `total_lines`: how many lines the file has, when the caller knows (default: counted)."""
    budget = _slice_budget(source, memory_limit, queries)
    size = os.path.getsize(source.path)
    if budget is None or (size * per_byte <= budget and (most_bytes is None or size <= most_bytes)):
        return None
    lines = total_lines() if total_lines is not None else count_lines(source.path)
    count = max(-(-int(size * per_byte) // max(1, int(budget))), -(-size // most_bytes) if most_bytes else 1)
    step = max(MIN_SLICE_LINES, -(-lines // count))
    return [(first, min(first + step - 1, lines)) for first in range(1, lines + 1, step)]


def memory_per_input_byte(source: BatchInput, query: str, lean: float = LEAN_MEMORY_PER_INPUT_BYTE) -> float:
    """The memory `query` takes per byte of `source` (see MEMORY_PER_INPUT_BYTE): the `lean`
    figure for JSON Lines when the query keeps no per-lead arrays of every lead (score's own:
    SCORE_LEAN_MEMORY_PER_INPUT_BYTE)."""
    if source.kind == "jsonl" and "lp_e_terms" not in query:
        return lean
    return MEMORY_PER_INPUT_BYTE


# The lines of a JSON Lines file held as a table take about 1.25 times the file; beyond this share
# of the memory limit they go to a Parquet file in the temporary directory instead (engines.materialise_lines)
LINES_TABLE_BYTES_PER_BYTE = 1.25
LINES_TABLE_SHARE = 0.4


def lines_on_disk(source: BatchInput, memory_limit: Optional[str]) -> bool:
    """Whether the lines of a JSON Lines input are kept on disk (a compressed Parquet file)
    rather than in memory: when, as a table, they would take much of the memory limit."""
    if source.kind != "jsonl":
        return False
    limit = size_in_bytes(memory_limit or default_memory_limit())
    return limit is not None and os.path.getsize(source.path) * LINES_TABLE_BYTES_PER_BYTE > limit * LINES_TABLE_SHARE


def connect_duckdb(memory_limit: Optional[str], temp_dir: str) -> Any:
    duckdb = extras.duckdb()
    con = duckdb.connect(config={"memory_limit": memory_limit or default_memory_limit(), "temp_directory": temp_dir})
    try:
        # DuckDB's projection_placement pass spends 0.1-0.15 s planning a policy's query (a third of
        # diff's start-up) and gained nothing measurable at 100,000 leads: our own connections skip it
        # (a user's connection, given to leadpolicy.sql.score_duckdb, keeps its settings).
        if con.execute("SELECT count(*) FROM duckdb_optimizers() WHERE name = 'projection_placement'").fetchone()[0]:
            con.execute("SET disabled_optimizers = 'projection_placement'")
    except Exception as error:
        con.close()
        # a limit too small for this first query (--memory-limit 10B) was said as the input's
        # fault: "leads.jsonl: duckdb cannot read it: Out of Memory Error"
        if is_out_of_memory(error):
            raise out_of_memory(memory_limit) from None
        raise
    return con


def score_file(policy: Any, source: BatchInput, sink: Any, *, engine: str, as_of: Any, output_format: str = "jsonl",
               output_path: Optional[str] = None, memory_limit: Optional[str] = None,
               spark_master: Optional[str] = None, notes: bool = True, progress: Optional[Progress] = None) -> Any:
    """Score `source` with `engine` (duckdb or spark); rows to `sink` (a binary stream)
    or, for Parquet, to `output_path`. Returns tools.score.Summary (`notes`: with notes on
    the input, such as shared ids, which cost a query; `progress`: told the leads written and
    how far through the input they go, and the input's length when it is known: rows_progress)."""
    from leadpolicy.tools.score import Summary

    if engine not in ("duckdb", "spark"):  # the python engine is tools.score's (a test once ran DuckDB twice here)
        raise ValueError(f"score_file runs the duckdb and spark engines, not {engine!r}")
    started = time.perf_counter()
    summary = Summary(jobs=1)
    summary.as_of = as_of  # shown in the summary, as the python engine shows it
    for path in (source.path, source.activities):  # a cluster path (s3a://...) Spark reads itself
        if path is not None and "://" not in path and not Path(path).exists():
            raise InputProblem(f"no such file: {path}")
    if engine == "spark":
        from leadpolicy.backends.sql.spark_files import score_file_with_spark

        score_file_with_spark(policy, source, sink, as_of, output_format, output_path, spark_master, summary, progress)
    else:
        # CSV keeps half the machine: its slices each read the whole file again (measured, 100,000
        # leads: 9.5 s and 1.6 GB in one query, 18.9 s and 1.2 GB in five slices within 1500MB)
        from leadpolicy.backends.sql.table_problems import table_problems

        memory_limit = memory_limit or (default_memory_limit() if source.kind == "csv" else score_memory_limit())
        with tempfile.TemporaryDirectory(prefix="leadpolicy-duckdb-") as spill, table_problems(policy.tree, source):
            con = connect_duckdb(memory_limit, spill)
            try:
                _score_with_duckdb(con, policy, source, sink, as_of, output_format, output_path, memory_limit, spill, summary,
                                   progress)
                if notes and source.kind in ("relational", "database"):
                    summary.notes += shared_ids(con, source)
            except Exception as error:
                if is_out_of_memory(error):  # a table, or a slice as small as slices go
                    raise out_of_memory(memory_limit) from None
                raise
            finally:
                con.close()
    summary.seconds = time.perf_counter() - started
    return summary


class _Statements:
    """The decision query of each slice: compiled once unsliced and once sliced, as needed
    (the lines of a JSON Lines file are read into tables once, for both)."""

    def __init__(self, con: Any, policy: Any, source: BatchInput, as_of: Any, spill_dir: Optional[str]) -> None:
        self.con, self.policy, self.source, self.as_of, self.spill_dir = con, policy, source, as_of, spill_dir
        self.sliceable = source.kind in ("jsonl", "csv")
        self._queries: dict[bool, str] = {}
        self._lines_tables: Any = None
        self._lines: Optional[int] = None
        self._positions: Optional[int] = None

    def query(self, sliced: bool) -> str:
        if sliced not in self._queries:
            if self.source.kind == "jsonl":
                # the lines read once, on every core, into tables of this private connection, which
                # the query (each slice of it) scans on every core; DuckDB evicts them to the temp
                # directory when they outgrow the memory limit (or they go to disk: lines_on_disk)
                from leadpolicy.backends.sql.engines import duckdb_query, materialise_lines

                if self._lines_tables is None:
                    self._lines_tables = materialise_lines(self.con, self.source.path, LINES_TABLE, self.spill_dir)
                self._queries[sliced] = duckdb_query(self.policy, leads=self.source.path, with_row=True, sliced=sliced,
                                                     lines_tables=self._lines_tables)
            else:
                self._queries[sliced] = _duckdb_query(self.con, self.policy, self.source, sliced=sliced)
        return self._queries[sliced]

    def of(self, part: Slice, sliced: bool) -> tuple[str, dict[str, Any]]:
        """The query and its parameters for `part`; `sliced` False: the whole file in one query."""
        params: dict[str, Any] = {"as_of": as_of_text(self.as_of)}
        if sliced:
            params.update(lp_first=part[0], lp_last=part[1])
        return self.query(sliced), params

    def positions(self) -> Optional[int]:
        """How far lp_row runs, for the progress bar: the lines of a JSON Lines file (its lines
        table's rows, once the query is compiled: free), the data rows of a CSV (its copy's,
        counted as written) or the rows of the leads table (a count: Parquet's from its
        metadata, a database table's from its own, a CSV table's a scan of it; None when
        the count fails: the query then says why, as it says it without a bar)."""
        if self._positions is None and self.source.kind in ("relational", "database"):
            try:
                leads_from, _ = RelationalRescorer.tables(self.source, mapping_of(self.source))
                self._positions = int(self.con.execute(f"SELECT count(*) FROM {leads_from}").fetchone()[0])
            except Exception:  # noqa: BLE001 - the count alone
                return None
        if self._positions is None:
            kind = self.source.kind
            if kind == "jsonl":
                self._positions = self.total_lines()
            elif kind == "csv":
                from leadpolicy.backends.sql.csv_input import csv_rows

                self._positions = csv_rows(self.con, self.source.path, self.policy)
        return self._positions

    def total_lines(self) -> int:
        """The lines the slices cover: the rows of the lines table when the file was read into
        one (its count is free; every row, blank lines included, is a line), else counted."""
        if self._lines is None:
            if self._lines_tables is not None:
                self._lines = int(self.con.execute(f"SELECT count(*) FROM {LINES_TABLE}").fetchone()[0])
            else:
                self._lines = count_lines(self.source.path)
        return self._lines


def _score_with_duckdb(con: Any, policy: Any, source: BatchInput, sink: Any, as_of: Any, output_format: str,
                       output_path: Optional[str], memory_limit: str, spill: str, summary: Any,
                       progress: Optional[Progress] = None) -> None:
    statements = _Statements(con, policy, source, as_of, spill if lines_on_disk(source, memory_limit) else None)
    # a query that may need slices is compiled with them; how many, from what it keeps. A slice
    # (or the whole file) that runs out of memory anyway is run again in halves (slicing.py)
    maybe = may_need_slices(source, memory_limit)
    parts = None
    if maybe:
        per_byte = memory_per_input_byte(source, statements.query(maybe), lean=SCORE_LEAN_MEMORY_PER_INPUT_BYTE)
        parts = slices(source, memory_limit, per_byte=per_byte, total_lines=statements.total_lines)
    plan = parts or [(1, ALL_LINES)]
    whole = (1, ALL_LINES)

    def sliced(part: Slice) -> bool:  # the one query compiled unsliced runs unsliced; retries are slices
        return maybe or part != whole

    if progress is not None:  # how many rows lp_row runs to, known before a row is written
        statements.query(maybe)  # (a JSON Lines file's lines read into their table: counted for free)
        progress.known(statements.positions())
    if output_format == "parquet":
        _duckdb_parquet(con, statements, plan, sliced, memory_limit, output_path, summary, progress)
        return
    columns: list[str] = []

    def run(part: Slice) -> Iterator[Any]:
        cursor = con.execute(*statements.of(part, sliced(part)))
        columns[:] = [d[0] for d in cursor.description]
        yield from iter(lambda: cursor.fetchmany(FETCH_ROWS), [])

    if statements.sliceable:  # slice after slice, each in order: the rows in input order
        batches = stream_each(plan, run, lambda row: int(row[columns.index("lp_row")]), statements.total_lines, memory_limit)
    else:
        batches = run(whole)
    relational = (RelationalRescorer.for_duckdb(con, policy, as_of, source, output_format)
                  if source.kind in ("relational", "database") else None)
    write_rows(batches, columns, policy, as_of, source, sink, output_format, summary, relational, progress)


def shared_ids(con: Any, source: BatchInput) -> list[str]:
    """Notes on a leads table whose ids do not each name one lead: the activities find their
    lead by id, so each row of an id that several rows hold is decided with every activity of
    that id, and a row without an id with none (docs/sql.md). Every row is still decided."""
    m = mapping_of(source)
    if source.kind == "database":
        attach_database(con, source)
    leads_from, _ = RelationalRescorer.tables(source, m)
    column = '"' + m.id.replace('"', '""') + '"'
    shared, rows, example, no_id = con.execute(
        f"SELECT count(*) FILTER (WHERE lp_id IS NOT NULL AND lp_n > 1), sum(lp_n) FILTER (WHERE lp_id IS NOT NULL AND lp_n > 1),"
        f" min(CAST(lp_id AS VARCHAR)) FILTER (WHERE lp_id IS NOT NULL AND lp_n > 1), sum(lp_n) FILTER (WHERE lp_id IS NULL)"
        f" FROM (SELECT {column} AS lp_id, count(*) AS lp_n FROM {leads_from} GROUP BY ALL)").fetchone()
    notes = []
    if shared:
        notes.append(f"{shared:,} id{'s' if shared != 1 else ''} of the leads table {'are' if shared != 1 else 'is'} on more "
                     f"than one row ({rows:,} rows; e.g. {json.dumps(example, ensure_ascii=False)}): each such row is "
                     "decided with every activity of its id")
    if no_id:
        notes.append(f"{no_id:,} row{'s' if no_id != 1 else ''} of the leads table {'have' if no_id != 1 else 'has'} no id: "
                     f"decided with no activities")
    return notes


def _duckdb_parquet(con: Any, statements: _Statements, plan: list[Slice], sliced: Callable[[Slice], bool],
                    memory_limit: str, output_path: Optional[str], summary: Any, progress: Optional[Progress] = None) -> None:
    """COPY the rows to Parquet beside the target, then rename (atomic); the summary from the file.
    Several slices go to a temporary table first, copied out in order."""
    from leadpolicy.tools.atomic import atomic_path
    from leadpolicy.tools.score import SAMPLE_ERRORS

    with atomic_path(os.path.abspath(output_path or ""), suffix=".parquet") as temp:
        target = f"'{quoted(temp)}' (FORMAT parquet)"
        if len(plan) == 1:
            try:
                query, params = statements.of(plan[0], sliced(plan[0]))
                written = con.execute(f"COPY (SELECT {OUTPUT_SELECT} FROM ({query}) AS lp_out) TO {target}", params).fetchall()
                if progress is not None:  # the whole of it, at once
                    progress(int(written[0][0]) if written else 0, statements.positions() or 0)
                plan = []
            except Exception as error:
                if not (is_out_of_memory(error) and statements.sliceable):
                    raise
                plan = halves(plan[0], statements.total_lines, memory_limit)
        if plan:
            made: list[bool] = []

            def insert(part: Slice) -> None:  # one statement: undone whole when it runs out of memory
                query, params = statements.of(part, True)
                into = "INSERT INTO lp_rows" if made else "CREATE TEMP TABLE lp_rows AS"
                inserted = con.execute(f"{into} SELECT {OUTPUT_SELECT} FROM ({query}) AS lp_out", params).fetchall()
                made.append(True)
                if progress is not None:  # the slice's rows, and its lines (the last slice's run to the end)
                    progress(int(inserted[0][0]) if inserted else 0, min(part[1], statements.positions() or part[1]) - part[0] + 1)

            run_each(plan, insert, statements.total_lines, memory_limit)
            # the slices were inserted one after the other, each in order: the table is in order
            # (DuckDB keeps insertion order), no sort needed
            con.execute(f"COPY (SELECT * FROM lp_rows) TO {target}")
        read = f"read_parquet('{quoted(file_path(temp))}')"  # OUT's name may hold a glob character
        for stage, change, count in con.execute(f"SELECT stage, change, count(*) FROM {read} WHERE error IS NULL GROUP BY ALL").fetchall():
            summary.outcomes[(stage, change)] = count
        summary.leads = con.execute(f"SELECT count(*) FROM {read}").fetchone()[0]
        errors = con.execute(f"SELECT line, error FROM {read} WHERE error IS NOT NULL ORDER BY line").fetchall()
        summary.errors = len(errors)
        summary.samples = [(line, json.loads(error)["message"]) for line, error in errors[:SAMPLE_ERRORS]]

