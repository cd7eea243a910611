"""Replay through the DuckDB engine (`leadpolicy diff --engine duckdb`): both versions'
queries over the same file, joined lead by lead, folded into the Python replay's `Tally`.

The report must be the Python engine's, byte for byte. Decisions come from the
queries (the differential tests show they are the Python engine's, every field);
each lead is recorded through `replay.record`, the Python replay's own way in.
A lead that has a data error in either version is replayed again by the Python
engine, alone, after the pass (`Replayer` on its line), so the error messages in
the examples are Python's words: the query decides *which* leads fail, Python
says how. Memory stays flat: rows are fetched in batches, the Tally is bounded.
"""

from __future__ import annotations

import json
import tempfile
import time
from typing import Any, Callable, Optional

from leadpolicy.tools.diff.replay import Replayer, Tally, finish, record

__all__ = ["replay_duckdb"]

FETCH_ROWS = 20_000
_COLUMNS = ("stage", "previous_stage", "change", "engagement", "fit", "grade", "reason_kind", "reason_rule", "hits", "error")


def _decision(policy: Any, values: tuple[Any, ...]) -> Optional[dict[str, Any]]:
    """The Python engine's decision dict from one version's query columns (None: a data error)."""
    stage, previous, change, engagement, fit, grade, kind, rule, hits, error = values
    if error is not None:
        return None
    return {"policy": policy.name, "version": policy.version, "stage": stage, "previous_stage": previous, "change": change,
            "engagement": engagement, "fit": fit, "grade": grade, "reason": {"kind": kind, "stage": stage, "rule": rule},
            "hits": json.loads(hits)}


def _query(con: Any, policy: Any, path: str, input_format: str, names: list[str], sliced: bool) -> str:
    from leadpolicy.backends.sql.batch import _Fixed, csv_leads_source
    from leadpolicy.backends.sql.engines import _sql, duckdb_query
    from leadpolicy.backends.sql.inputs import NestedJson

    if input_format == "csv":
        lines = csv_leads_source(con, path, policy, names, sliced)  # the header matched against both versions' fields
        return _sql(policy.tree, _Fixed(NestedJson(lines), "csv:" + lines.sql(dialect="duckdb")), "duckdb", True)
    return duckdb_query(policy, leads=path, with_row=True, sliced=sliced)


def replay_duckdb(old_policy: Any, new_policy: Any, path: str, *, as_of: Any, input_format: str = "jsonl",
                  memory_limit: Optional[str] = None, progress: Optional[Callable[[int, int], None]] = None,
                  warn: Optional[Callable[[str], None]] = None) -> tuple[Tally, float]:
    """Replay every lead of the file `path` (JSON Lines or the Python engine's CSV) through
    both policies with DuckDB; (Tally, seconds), as replay.replay_stream returns them."""
    from leadpolicy.backends.sql import _deps
    from leadpolicy.backends.sql.batch import BatchInput, _connect, csv_layout, csv_line_numbers, slices
    from leadpolicy.backends.sql.engines import as_of_text

    _deps.duckdb()
    started = time.perf_counter()
    names = list(dict.fromkeys(f.name for policy in (old_policy, new_policy) for f in policy.tree.fields))
    starts: list[int] = []
    if input_format == "csv":
        layout = csv_layout(path, old_policy, names)[0]  # CsvHeaderError before any lead, as the Python replay
        if warn is not None:
            for message in layout.warnings:
                warn(message)
        starts = csv_line_numbers(path, names)  # a CSV lead's number is the line its row starts on
    total = Tally()
    again: list[int] = []  # leads with a data error in either version: Python replays them
    with tempfile.TemporaryDirectory(prefix="leadpolicy-duckdb-") as spill:
        con = _connect(memory_limit, spill)
        try:
            # a file too large for the memory limit goes in slices of lines (batch.slices)
            parts = slices(BatchInput(path), memory_limit, queries=2)
            old_sql = _query(con, old_policy, path, input_format, names, parts is not None)
            new_sql = _query(con, new_policy, path, input_format, names, parts is not None)
            picked = ", ".join(f"lp_o.{c}" for c in _COLUMNS) + ", " + ", ".join(f"lp_n.{c}" for c in _COLUMNS)
            joined = (f"SELECT lp_o.lp_row, lp_o.lp_id_json, lp_o.id, {picked} FROM ({old_sql}) AS lp_o"
                      f" JOIN ({new_sql}) AS lp_n ON lp_o.lp_row = lp_n.lp_row ORDER BY lp_o.lp_row")
            runs = [{"as_of": as_of_text(as_of)}] if parts is None else [
                {"as_of": as_of_text(as_of), "lp_first": first, "lp_last": last} for first, last in parts]
            width = len(_COLUMNS)
            for rows in (batch for params in runs for batch in _fetched(con.execute(joined, params))):
                tally = Tally()
                for row in rows:
                    old_values, new_values = row[3:3 + width], row[3 + width:]
                    if old_values[-1] is not None or new_values[-1] is not None:
                        again.append(row[0])
                        continue
                    tally.total += 1
                    lead_id = json.loads(row[1]) if row[1] is not None else row[2]
                    number = starts[row[0] - 1] if starts else row[0]
                    record(tally, number, lead_id, _decision(old_policy, old_values), _decision(new_policy, new_values))
                total.merge(finish(tally))
                if progress is not None:
                    progress(len(rows), 0)
        finally:
            con.close()
    if again:
        total.merge(_replay_in_python(old_policy, new_policy, path, input_format, names, as_of, again))
    return total, time.perf_counter() - started


def _fetched(cursor: Any) -> Any:
    return iter(lambda: cursor.fetchmany(FETCH_ROWS), [])


def _replay_in_python(old_policy: Any, new_policy: Any, path: str, input_format: str, names: list[str], as_of: Any,
                      wanted: list[int]) -> Tally:
    """The Python replay of the leads `wanted` (their line for JSON Lines, their row for CSV)."""
    from leadpolicy.tools.score import csv_chunks

    replayer = Replayer(old_policy.module, new_policy.module, as_of, input_format)
    tally = Tally()
    wanted_set = set(wanted)
    with open(path, "rb") as handle:
        if input_format == "csv":
            ordinal = 0
            for _, items, _ in csv_chunks(handle, fields=names):
                for item in items:
                    ordinal += 1
                    if ordinal in wanted_set:
                        tally.merge(finish(replayer.replay((item[0], [item], 0))[0]))
        else:
            for number, line in enumerate(handle, 1):
                if number in wanted_set:
                    if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                        line = line[3:]
                    tally.merge(finish(replayer.replay((number, line.rstrip(b"\n") + b"\n", 0))[0]))
    return tally

