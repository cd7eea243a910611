"""Replay through the DuckDB engine (`leadpolicy diff --engine duckdb`): the input read once,
both versions' queries over it, the report's counts folded by DuckDB.

The report must be the Python engine's, byte for byte. The run, per slice of the file:

1. the input is read once for both versions: the input shape's raw relations
   (backends/sql/inputs.py), made for the union of both versions' fields and
   properties, are the first CTEs of one statement (pairs_sql.py), MATERIALIZED (but the
   relational shape's activities from Parquet: read where used, cheaper than stored);
2. each version's compiled query reads them through `Projected` (an input shape
   that renames the union's columns to the version's own); what the two versions
   compute alike (reading the lead and its activities, when they declare the same)
   is computed once; the two decisions of every lead are joined into one temporary
   table, `lp_pairs`;
3. GROUP BY queries count what `replay.Tally` counts (fold_sql.py): leads, errors,
   transitions, grades, score deltas, rule hits; only the rows the report shows are
   fetched: candidates for the examples (line numbers, hashed in Python: the Python
   replay's own deterministic sample) and for the largest moves.

A lead with a data error in one version only is replayed by the Python engine, alone,
when it is one of the few the report shows (its words are Python's): the query decides
*which* leads fail, Python says how. Memory stays flat: DuckDB spills its tables, and
Python keeps bounded samples.

Inputs: JSON Lines, the Python engine's CSV, or the relational shape (a leads table
and an activities table, Parquet or CSV files or the tables of a DuckDB database, names as
`--mapping` says: docs/sql.md).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Optional

from leadpolicy.tools.diff.fold_sql import Candidates, fold_slice
from leadpolicy.tools.diff.pairs_sql import Projected, pairs_statement, union_of
from leadpolicy.tools.diff.replay import Replayer, Tally, finish

__all__ = ["replay_duckdb"]

# The most JSON Lines or CSV one statement decides, whatever the memory: a million Acme-like leads
# (2 GB) with 12 GB of memory took 35.5 s in one statement (10 GB of RSS) and 25.9 s in eight
# slices; the lines are read once (materialise_lines), so a slice costs only its planning
DIFF_SLICE_BYTES = 256 * 10 ** 6


def _source_ctes(con: Any, union: Any, source: Any, input_format: str, names: list[str], sliced: bool,
                 lines_tables: Optional[tuple[tuple[str, int, str], ...]] = None) -> list[tuple[str, Any]]:
    """The input shape's raw relations for the union of both versions, as (name, sqlglot SELECT);
    `source` a batch.BatchInput; `lines_tables`: a JSON Lines file's lines, already read
    (engines.materialise_lines)."""
    from leadpolicy.backends.sql.fragments import building

    path = source.path
    with building("duckdb"):
        if input_format in ("relational", "database"):
            from leadpolicy.backends.sql.batch import attach_database
            from leadpolicy.backends.sql.engines import duckdb_source
            from leadpolicy.backends.sql.inputs import Mapping, Relational

            m = Mapping.from_dict(source.mapping or {})
            if input_format == "database":
                shape = Relational(m, *attach_database(con, source))
            else:
                shape = Relational(m, duckdb_source(con, Path(path), "lp_input_leads"),  # files, whatever their names
                                   duckdb_source(con, Path(source.activities), "lp_input_activities"))
            return list(shape.ctes(union))
        from leadpolicy.backends.sql.inputs import NestedJson

        if input_format == "csv":
            from leadpolicy.backends.sql.csv_input import csv_leads_source

            lines = csv_leads_source(con, path, None, names, sliced)
        else:
            from leadpolicy.backends.sql.engines import nested_source

            lines = nested_source(path, sliced, lines_tables)
        return list(NestedJson(lines).ctes(union))


def replay_duckdb(old_policy: Any, new_policy: Any, path: str, *, as_of: Any, input_format: str = "jsonl",
                  memory_limit: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
                  warn: Optional[Callable[[str], None]] = None, activities: Optional[str] = None,
                  mapping: Optional[dict[str, Any]] = None, leads_table: Optional[str] = None,
                  activities_table: Optional[str] = None) -> tuple[Tally, float]:
    """Replay every lead of the file `path` (JSON Lines, the Python engine's CSV, with
    `activities` the relational shape's leads table, or a DuckDB database holding both
    tables) through both policies with DuckDB; (Tally, seconds), as replay.replay_stream
    returns them. A CSV table of the relational shape that holds no rows (empty, or with no header)
    is replayed as its header alone, as `score` reads it (engines.empty_tables_as_headers)."""
    if activities is not None:
        from leadpolicy.backends.sql.engines import empty_tables_as_headers

        union = union_of(old_policy.tree, new_policy.tree)
        with empty_tables_as_headers(union, path, activities, mapping) as (path, tables_activities):
            return _replay_duckdb(old_policy, new_policy, path, as_of=as_of, input_format=input_format,
                                  memory_limit=memory_limit, progress=progress, warn=warn, activities=tables_activities,
                                  mapping=mapping, leads_table=leads_table, activities_table=activities_table)
    return _replay_duckdb(old_policy, new_policy, path, as_of=as_of, input_format=input_format, memory_limit=memory_limit,
                          progress=progress, warn=warn, activities=activities, mapping=mapping, leads_table=leads_table,
                          activities_table=activities_table)


def _replay_duckdb(old_policy: Any, new_policy: Any, path: str, *, as_of: Any, input_format: str = "jsonl",
                   memory_limit: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
                   warn: Optional[Callable[[str], None]] = None, activities: Optional[str] = None,
                   mapping: Optional[dict[str, Any]] = None, leads_table: Optional[str] = None,
                   activities_table: Optional[str] = None) -> tuple[Tally, float]:
    from leadpolicy.backends.sql import extras
    from leadpolicy.backends.sql.batch import (
        LINES_TABLE,
        BatchInput,
        connect_duckdb,
        default_memory_limit,
        lines_on_disk,
        may_need_slices,
        memory_per_input_byte,
        score_memory_limit,
        slices,
    )
    from leadpolicy.backends.sql.csv_input import csv_layout, csv_line_numbers
    from leadpolicy.backends.sql.engines import as_of_text, materialise_lines
    from leadpolicy.backends.sql.slicing import ALL_LINES, Slice, count_lines, is_out_of_memory, out_of_memory, run_each
    from leadpolicy.backends.sql.table_problems import table_problems

    extras.duckdb()
    started = time.perf_counter()
    source = BatchInput(path, activities, mapping, leads_table, activities_table)
    if source.kind in ("relational", "database"):
        input_format = source.kind
    # by default score's limit: half the machine, at most 1500MB (CSV: half the machine), so that memory
    # stays flat in the number of leads; a million leads from JSON Lines: 30.9 s within 1500MB (1.0 GB of
    # RSS) against 30.0 s with 12 GB (3.4 GB of RSS), the lines read once (docs/performance.md, session 9)
    memory_limit = memory_limit or (default_memory_limit() if input_format == "csv" else score_memory_limit())
    names = list(dict.fromkeys(f.name for policy in (old_policy, new_policy) for f in policy.tree.fields))
    starts: list[int] = []
    if input_format == "csv":
        layout = csv_layout(path, old_policy, names)[0]  # CsvHeaderError before any lead, as the Python replay
        if warn is not None:
            for message in layout.warnings:
                warn(message)
        starts = csv_line_numbers(path, names)  # a CSV lead's number is the line its row starts on
    union = union_of(old_policy.tree, new_policy.tree)
    total = Tally()
    candidates = Candidates()
    with tempfile.TemporaryDirectory(prefix="leadpolicy-duckdb-") as spill, table_problems(union, source):
        con = connect_duckdb(memory_limit, spill)
        try:
            # a JSON Lines file's lines are read once, on every core, into a table of this connection (or,
            # when large against the limit, a Parquet file in the temporary directory), as `score` reads
            # them: each slice then reads its range of rows, not the whole file again
            lines_tables = (materialise_lines(con, path, LINES_TABLE, spill if lines_on_disk(source, memory_limit) else None)
                            if input_format == "jsonl" else None)
            statements: dict[bool, str] = {}

            def statement(sliced: bool) -> str:
                # the input read within the statement, once for both versions (MATERIALIZED CTEs: faster
                # and smaller than temporary tables, measured; a large file goes in slices within the limit)
                if sliced not in statements:
                    ctes = _source_ctes(con, union, source, input_format, names, sliced, lines_tables)
                    shape = Projected(union, {name: list(query.named_selects) for name, query in ctes})
                    # a Parquet file's activities are read where used (measured: storing them cost more), and
                    # so are a database's (a table DuckDB scans as it scans Parquet)
                    reread = frozenset({"lp_raw_acts"} if input_format == "database"
                                       or str(activities).lower().endswith(".parquet") else ())
                    statements[sliced] = pairs_statement(old_policy, new_policy, shape, ctes, reread)
                return statements[sliced]

            # a file too large for the memory limit: slices of lines, as many as the statement needs
            # (the memory it takes per input byte: score's estimate, for two queries)
            parts = (slices(source, memory_limit, queries=2, per_byte=memory_per_input_byte(source, statement(True)),
                            most_bytes=DIFF_SLICE_BYTES)
                     if may_need_slices(source, memory_limit, queries=2) or os.path.getsize(path) > DIFF_SLICE_BYTES
                     else None)

            def run(part: Slice) -> None:  # a slice out of memory leaves nothing: run again in halves
                sliced = parts is not None or part != (1, ALL_LINES)
                params = {"lp_first": part[0], "lp_last": part[1]} if sliced else {}
                con.execute(statement(sliced), {"as_of": as_of_text(as_of), **params})
                found = Candidates()
                tally = fold_slice(con, old_policy, new_policy, starts, found)
                total.merge(finish(tally))
                candidates.merge(found)
                if progress is not None:  # the slice's leads, and its lines or rows (the last one's run to the end)
                    progress(tally.total, min(part[1], positions) - part[0] + 1 if positions is not None else 0)

            # the progress bar's total: the lines or data rows the slices count (the relational shape's
            # one statement: none, the count alone)
            positions = (int(con.execute(f"SELECT count(*) FROM {LINES_TABLE}").fetchone()[0]) if input_format == "jsonl"
                         else len(starts) if input_format == "csv" else None)
            known = getattr(progress, "known", None)  # tools.progress.Progress; a plain callable has no total
            if known is not None:
                known(positions)
            plan = parts or [(1, ALL_LINES)]
            if input_format in ("relational", "database"):
                run(plan[0])  # one statement over the tables: DuckDB spills what it can
            else:
                run_each(plan, run, lambda: count_lines(path), memory_limit)
            if candidates.any():
                replayed = _replay_errors(con, old_policy, new_policy, source, input_format, names, as_of, candidates,
                                          lines_tables)
                for kept, found in ((total.appeared, replayed.appeared), (total.disappeared, replayed.disappeared)):
                    kept[1] = found[1]  # the counts are DuckDB's; the samples Python's words
        except Exception as error:
            if is_out_of_memory(error):
                raise out_of_memory(memory_limit) from None
            raise
        finally:
            con.close()
    return total, time.perf_counter() - started


# ---------------------------------------------------------------- the few leads replayed in Python


def _replay_errors(con: Any, old_policy: Any, new_policy: Any, source: Any, input_format: str, names: list[str], as_of: Any,
                   candidates: Candidates, lines_tables: Optional[tuple[tuple[str, int, str], ...]] = None) -> Tally:
    """The Python replay of the leads sampled for the error examples (a handful)."""
    wanted = candidates.rows()
    path = source.path
    if input_format in ("relational", "database"):
        return _replay_relational(con, old_policy, new_policy, source, as_of, candidates)
    replayer = Replayer(old_policy.module, new_policy.module, as_of, input_format)
    tally = Tally()
    if input_format == "csv":
        from leadpolicy.tools.score_input import csv_chunks

        ordinal = 0
        with open(path, "rb") as handle:
            for _, items, _ in csv_chunks(handle, fields=names):
                for item in items:
                    ordinal += 1
                    if ordinal in wanted:
                        tally.merge(finish(replayer.replay((item[0], [item], 0))[0]))
        return tally
    from leadpolicy.backends.sql.engines import nested_source

    lines = nested_source(path, lines_tables=lines_tables).sql(dialect="duckdb")  # the lines read once, if they were
    found = con.execute(f"SELECT lp_row, lp_json FROM {lines} WHERE lp_row IN ({', '.join(str(int(r)) for r in wanted)})").fetchall()
    for number, text in found:
        tally.merge(finish(replayer.replay((number, text.encode("utf-8") + b"\n", 0))[0]))
    return tally


def _replay_relational(con: Any, old_policy: Any, new_policy: Any, source: Any, as_of: Any,
                       candidates: Candidates) -> Tally:
    """The relational shape's sampled error leads, read back from their tables (every cell as
    its text, as the query reads it) and decided by both compiled modules."""
    from leadpolicy.backends.sql.rows import RelationalRescorer
    from leadpolicy.tools.diff.replay import record

    readers = [RelationalRescorer.for_duckdb(con, policy, as_of, source, "jsonl") for policy in (old_policy, new_policy)]
    tally = Tally()
    for number, lead_id in candidates.ids():
        outcomes: list[Any] = []
        for policy, reader in zip((old_policy, new_policy), readers):
            found = reader.fetch(reader.leads_sql, lead_id)
            if not found:
                break
            lead = found[0]
            acts = [{"type": a[0], "at": a[1], **dict(zip(reader.props, a[2:]))} for a in reader.fetch(reader.acts_sql, lead_id)]
            try:
                outcomes += [policy.module.evaluate(dict(zip(reader.fields, lead[1:])), acts, as_of, lead[0], lead_id), None]
            except policy.module.LeadDataError as error:
                outcomes += [None, error]
        if len(outcomes) == 4:
            record(tally, number, lead_id, outcomes[0], outcomes[2], outcomes[1], outcomes[3])
    return finish(tally)
