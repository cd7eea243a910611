"""Batch scoring: many leads in, one decision or one error row per lead out, in order.

The engine behind `leadpolicy score` (the command line lives in cli/score_cmd.py). Input
is JSON Lines (docs/language-reference.md section 16, one lead per line) or CSV (columns `id`,
`stage`, one column per field, and `activities` holding a JSON array); output
is JSON Lines (`{"id": ..., **decision}` or `{"id": ..., "line": N, "error":
{...}}`) or a flat CSV table (`ROW_COLUMNS`). This module holds the scoring and
the run; the chunk readers are in tools/score_input.py, the row writers and
encoders in tools/score_output.py, the worker processes in tools/pool.py.

How it stays fast and flat:

- the input is cut into chunks (`score_input.CHUNK_BYTES` of JSON Lines cut at
  a newline, or `score_input.CHUNK_LEADS` CSV rows); a chunk is scored as a
  whole and comes back as one block of encoded output, so the parent process
  only reads, writes and adds up counts;
- per lead the work is exactly: `json.loads`, the compiled module's `evaluate`
  (no Decision object, no `split_lead` call for the usual dict lead), one
  `json.dumps`-equivalent encode of `{"id": ..., **decision}`;
- with several jobs, chunks go to a `multiprocessing.Pool` through `imap`
  (results in input order); each worker loads the policy once, in its
  initializer, from the policy's source text; a chunk of a regular file is
  sent as (offset, length) and read by the worker; at most
  `pool.IN_FLIGHT_PER_JOB` chunks per worker are read ahead of the writer, so
  memory does not grow with the input.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

from leadpolicy.semantics.runtime import show_value
from leadpolicy.syntax import nodes as n
from leadpolicy.tools.pool import keep_module, load_module, run_in_pool, start_worker
from leadpolicy.tools.score_input import csv_chunks, jsonl_chunks, jsonl_ranges, regular_file
from leadpolicy.tools.score_output import ROW_COLUMNS, csv_row, csv_text, encode, error_row, problem_of

__all__ = ["CHANGES", "SAMPLE_ERRORS", "Scorer", "Summary", "score_stream"]

CHANGES = n.CHANGES
SAMPLE_ERRORS = 3  # error messages kept for the summary
_UTF8_BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------- scoring chunks


class Scorer:
    """Scores chunks with one compiled policy module; returns each chunk's output and counts."""

    def __init__(self, module: Any, as_of: Any, input_format: str = "jsonl", output_format: str = "jsonl", input_fd: int = -1) -> None:
        self.input_fd = input_fd  # the file `jsonl_ranges` chunks point into
        self.evaluate = module.evaluate
        self.error_class = module.LeadDataError
        self.as_of = as_of  # one moment for the whole run (a datetime)
        self.input_format = input_format
        self.output_format = output_format

    def score(self, chunk: tuple[Any, ...]) -> tuple[Any, ...]:
        """(output bytes, leads, {(stage, change): count}, errors, [(line, message)], input bytes)."""
        start, data, nbytes = chunk
        if data.__class__ is tuple:  # (offset, length) in the input file
            data = os.pread(self.input_fd, data[1], data[0])
        if self.input_format == "csv":
            leads, rows, tally, errors, samples = self._score_csv(data)
        else:
            leads, rows, tally, errors, samples = self._score_jsonl(start, data)
        if self.output_format == "csv":
            payload = csv_text(rows)
        else:
            rows.append("")
            payload = "\n".join(rows)
        return payload.encode("utf-8", "backslashreplace"), leads, tally, errors, samples, nbytes

    # The hot loop: keep it free of per-lead calls that are not the work itself.
    def _score_jsonl(self, first_line: int, block: bytes) -> tuple[Any, ...]:
        evaluate = self.evaluate
        as_of = self.as_of
        DataError = self.error_class
        loads = json.loads
        encode_row = encode
        to_json = self.output_format != "csv"
        rows: list[Any] = []
        append = rows.append
        tally: dict[tuple[Any, Any], int] = {}
        errors = 0
        samples: list[Any] = []
        if first_line == 1 and block.startswith(_UTF8_BOM):
            block = block[3:]
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()
        blank = 0
        for number, line in enumerate(lines, first_line):
            lead_id = None
            try:
                lead = loads(line.decode("utf-8"))
            except (ValueError, RecursionError) as error:  # JSONDecodeError, UnicodeDecodeError
                if not line or line.isspace():
                    blank += 1  # blank lines are skipped (json.loads fails on them: no cost up front)
                    continue
                errors += 1
                problem = {"field": None, "value": None, "message": f"line {number} is not valid JSON: {_why(error)}"}
                append(error_row(None, number, problem, to_json))
                if len(samples) < SAMPLE_ERRORS:
                    samples.append((number, problem["message"]))
                continue
            try:
                if lead.__class__ is not dict:
                    raise DataError(f"line {number} is not a JSON object: `{show_value(lead)}`", value=lead)
                get = lead.get
                lead_id = get("id")
                decision = evaluate(get("fields"), get("activities"), as_of, get("stage"), lead_id)
            except DataError as error:
                errors += 1
                problem = problem_of(error)
                append(error_row(lead_id, number, problem, to_json))
                if len(samples) < SAMPLE_ERRORS:
                    samples.append((number, problem["message"]))
                continue
            key = (decision["stage"], decision["change"])
            tally[key] = tally.get(key, 0) + 1
            if to_json:
                append(encode_row({"id": lead_id, **decision}))
            else:
                append(csv_row(lead_id, decision))
        return len(lines) - blank, rows, tally, errors, samples

    def _score_csv(self, items: list[Any]) -> tuple[Any, ...]:
        evaluate = self.evaluate
        as_of = self.as_of
        DataError = self.error_class
        loads = json.loads
        to_json = self.output_format != "csv"
        rows: list[Any] = []
        append = rows.append
        tally: dict[tuple[Any, Any], int] = {}
        errors = 0
        samples: list[Any] = []
        for number, lead_id, stage, fields, activities, problem in items:
            try:
                if problem is not None:
                    raise DataError(problem, lead_id=lead_id)
                if activities.strip():
                    try:
                        activities = loads(activities)
                    except (ValueError, RecursionError) as error:
                        raise DataError(f"the activities column is not valid JSON: {_why(error)}",
                                        field="activities", value=activities, lead_id=lead_id) from None
                else:
                    activities = None
                decision = evaluate(fields, activities, as_of, stage or None, lead_id)
            except DataError as error:
                errors += 1
                problem = problem_of(error)
                append(error_row(lead_id, number, problem, to_json))
                if len(samples) < SAMPLE_ERRORS:
                    samples.append((number, problem["message"]))
                continue
            key = (decision["stage"], decision["change"])
            tally[key] = tally.get(key, 0) + 1
            append(encode({"id": lead_id, **decision}) if to_json else csv_row(lead_id, decision))
        return len(items), rows, tally, errors, samples


def _why(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 text (byte {error.start + 1})"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


# ---------------------------------------------------------------- worker processes

_WORKER: Optional[Scorer] = None


def _init_worker(source: str, path: str, as_of: Any, input_format: str, output_format: str, input_path: Optional[str]) -> None:
    global _WORKER
    _WORKER = Scorer(load_module(source, path), as_of, input_format, output_format, start_worker(input_path))


def _score_in_worker(chunk: tuple[Any, ...]) -> tuple[Any, ...]:
    assert _WORKER is not None, "set by the pool's initializer"
    return _WORKER.score(chunk)


# ---------------------------------------------------------------- the run


@dataclass
class Summary:
    leads: int = 0
    errors: int = 0
    outcomes: dict[tuple[Any, Any], int] = field(default_factory=dict)  # (stage, change) -> leads
    samples: list[Any] = field(default_factory=list)  # (line, message) of the first errors
    seconds: float = 0.0
    jobs: int = 1
    as_of: Optional[datetime] = None  # the one evaluation time of the run
    notes: list[str] = field(default_factory=list)  # what the reader of the summary should know about the input

    def add(self, result: tuple[Any, ...]) -> None:
        _, leads, tally, errors, samples, _ = result
        self.leads += leads
        self.errors += errors
        outcomes = self.outcomes
        for key, count in tally.items():
            outcomes[key] = outcomes.get(key, 0) + count
        self.keep_samples(samples)

    def keep_samples(self, samples: list[Any]) -> None:
        """The first SAMPLE_ERRORS (line, message) pairs of the run's data errors, for the summary."""
        if len(self.samples) < SAMPLE_ERRORS:
            self.samples.extend(samples[: SAMPLE_ERRORS - len(self.samples)])

    def by_stage(self, order: Iterable[str] = ()) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        for (stage, _), count in self.outcomes.items():
            counts[stage] = counts.get(stage, 0) + count
        ranked = list(order)
        return dict(sorted(counts.items(), key=lambda item: (ranked.index(item[0]) if item[0] in ranked else len(ranked), item[0])))

    def by_change(self) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        for (_, change), count in self.outcomes.items():
            counts[change] = counts.get(change, 0) + count
        return dict(sorted(counts.items(), key=lambda item: (CHANGES.index(item[0]) if item[0] in CHANGES else len(CHANGES), item[0])))

    @property
    def per_second(self) -> float:
        return self.leads / self.seconds if self.seconds > 0 else 0.0

    def lines(self, stage_order: Iterable[str] = ()) -> list[str]:
        """The summary for people, as lines of text."""
        scored = self.leads - self.errors
        processes = f", {self.jobs} processes" if self.jobs > 1 else ""
        took = f"{self.seconds:.2f}" if self.seconds < 10 else f"{self.seconds:,.1f}"
        out = [f"{self.leads:,} lead{'s' if self.leads != 1 else ''} scored in {took} s "
               f"({self.per_second:,.0f} leads per second{processes})"]
        if self.as_of is not None:
            from leadpolicy.handoff.explain import moment_text

            out.append(f"  as of:      {moment_text(self.as_of)}")
        if scored:
            out.append("  by stage:   " + "  ".join(f"{name} {count:,}" for name, count in self.by_stage(stage_order).items()))
            out.append("  by change:  " + "  ".join(f"{name} {count:,}" for name, count in self.by_change().items()))
        if self.errors:
            out.append(f"  data errors: {self.errors:,} (written as error rows in their place)")
            from leadpolicy.syntax.diagnostics import line_text

            for line, message in self.samples:  # one line each: a newline in lead data ends no line here
                out.append(f"    line {line}: {line_text(message)}")
            if self.errors > len(self.samples):
                out.append(f"    ... and {self.errors - len(self.samples):,} more")
        else:
            out.append("  data errors: 0")
        out += [f"  note: {note}" for note in self.notes]
        return out


def score_stream(
    policy: Any,
    source: BinaryIO,
    sink: BinaryIO,
    *,
    as_of: Any,
    input_format: str = "jsonl",
    output_format: str = "jsonl",
    jobs: int = 1,
    progress: Optional[Callable[[int, int], None]] = None,
    chunk_leads: int = 0,
    summary: Optional[Summary] = None,
    delimiter: Optional[str] = None,
    warn: Optional[Callable[[str], None]] = None,
) -> Summary:
    """Score every lead of `source` into `sink` (both binary streams), in input order.

    `policy` is a leadpolicy.Policy; `as_of` a datetime fixed for the whole run;
    `progress(leads, input bytes)` is called after each chunk is written.
    `summary`, when given, is filled in as rows are written (so a caller that is
    interrupted knows how many rows went out). CSV input: `delimiter` (default:
    detected) and `warn(message)` for the header's warnings; a header that
    cannot be read raises csv_header.CsvHeaderError before anything is written.
    """
    started = time.perf_counter()
    input_path = regular_file(source) if jobs > 1 and input_format == "jsonl" else None
    if input_path:
        chunks = jsonl_ranges(source, chunk_leads)
    elif input_format == "csv":
        fields = [f.name for f in policy.tree.fields]
        chunks = csv_chunks(source, chunk_leads, fields, delimiter, warn)
    else:
        chunks = jsonl_chunks(source, chunk_leads)
    if summary is None:
        summary = Summary()
    summary.jobs = 1
    summary.as_of = as_of

    def write(result: tuple[Any, ...]) -> None:
        sink.write(result[0])
        summary.add(result)
        if progress is not None:
            progress(result[1], result[5])

    # A small input (one chunk) is not worth starting processes for.
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    chunks = chain([c for c in (first, second) if c is not None], chunks)
    if output_format == "csv":  # after the input's header was read: a bad one writes nothing
        sink.write((",".join(ROW_COLUMNS) + "\n").encode("utf-8"))
    if jobs <= 1 or second is None:
        scorer = Scorer(policy.module, as_of, input_format, output_format, source.fileno() if input_path else -1)
        for chunk in chunks:
            write(scorer.score(chunk))
    else:
        summary.jobs = jobs
        _score_in_pool(policy, chunks, write, jobs, as_of, input_format, output_format, input_path)
    sink.flush()
    summary.seconds = time.perf_counter() - started
    return summary


def _score_in_pool(policy: Any, chunks: Iterator[Any], write: Callable[..., Any], jobs: int, as_of: Any, input_format: str,
                   output_format: str, input_path: Optional[str]) -> None:
    """Chunks through `pool.run_in_pool`: results in order, at most `jobs * IN_FLIGHT_PER_JOB` ahead."""
    keep_module(policy.source, policy.module)
    run_in_pool(jobs, _init_worker, (policy.source, policy.path, as_of, input_format, output_format, input_path),
                _score_in_worker, chunks, write)
