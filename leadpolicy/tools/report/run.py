"""Drive a report: read leads (JSON Lines), replay each, accumulate the metrics."""

from __future__ import annotations

import json
from typing import IO, Any, Callable, Iterable, Optional

from leadpolicy import LeadDataError
from leadpolicy.semantics.runtime import parse_instant, show_value
from leadpolicy.syntax.nodes import MICROS_PER_DAY
from leadpolicy.tools.report.metrics import Metrics
from leadpolicy.tools.report.outcomes import read_created, read_outcome
from leadpolicy.tools.report.replay import TimeModel, iso, replay
from leadpolicy.tools.report.sweep import probes_of

_STATE: Optional[tuple[Any, ...]] = None  # (policies, models, end, outcomes, sweeps) for forked workers


def _replay_lead(lead: Any) -> tuple[Any, ...]:
    """("error", id, error dict) or ("ok", id, outcome, [Replay per policy], [Replay per policy up to
    the close of a won or lost deal closed before the end] or None)."""
    assert _STATE is not None, "set by the parent before forking"
    policies, models, end, outcomes, sweeps = _STATE
    lead_id = lead.get("id") if isinstance(lead, dict) else getattr(lead, "lead_id", None)
    try:
        if isinstance(lead, LeadDataError):
            raise lead
        if not isinstance(lead, dict):
            raise LeadDataError(f"a lead must be a JSON object, not `{show_value(lead)}`", field=None, value=lead)
        # a lead without an id joins no outcome (str(None) joined a row whose id is "None")
        extra = outcomes.get(str(lead_id), {}) if outcomes is not None and lead_id is not None else {}
        outcome = read_outcome(extra.get("outcome", lead.get("outcome")), lead_id)
        created = read_created(extra.get("created_at", lead.get("created_at")), lead_id)
        results = [replay(p, m, lead.get("fields"), lead.get("activities"), created, end, lead_id, sweeps=s)
                   for p, m, s in zip(policies, models, sweeps)]
        # a won deal is missed, and a lost deal sent, by the lead as it was when the deal closed: the
        # replay up to then (what happened after the close does not say whether the policy sent it). A
        # lost lead that never reached the last stage in the whole replay had not by the close either
        at_close = None
        if outcome is not None and outcome.closed_at is not None and outcome.closed_at < end and (outcome.status == "won" or (
                outcome.status == "lost" and any(p.tree.stages[-1].name in r.first_reached
                                                 for p, r in zip(policies, results)))):
            at_close = [replay(p, m, lead.get("fields"), lead.get("activities"), created, outcome.closed_at, lead_id)
                        for p, m in zip(policies, models)]
    except LeadDataError as error:
        return ("error", lead_id, error.to_dict())
    for r in [*results, *(at_close or ())]:  # only what the metrics read travels back from a worker
        f = r.final
        r.final = {"stage": f["stage"], "grade": f["grade"], "engagement": f["engagement"], "fit": f["fit"],
                   "reason": f["reason"]}
    return ("ok", lead_id, outcome, results, at_close)


def _replay_chunk(lines: list[Any]) -> list[Any]:
    return [_replay_lead(lead) for lead in _parse(lines)]


def _start_pool(context: Any, jobs: int) -> Any:
    """A fork pool whose workers end at once on SIGTERM, as Pool.terminate expects. They are forked
    with Ctrl-C and SIGTERM blocked, and put SIGTERM back to its default before unblocking them: a
    worker forked from the command inherits its SIGTERM handler (tools.stopping), and a SIGTERM that
    reached it before Python had reset its signal state after the fork was dropped, so the worker
    waited on the task queue forever and the command in Pool.terminate's join with it (seen once in
    CI, on a one-chunk file whose replay ended as the pool started)."""
    import signal

    from leadpolicy.tools.stopping import STOPS

    masking = hasattr(signal, "pthread_sigmask")
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS) if masking else set()
    try:
        return context.Pool(jobs, initializer=_worker_ends_on_sigterm)
    finally:
        if masking:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _worker_ends_on_sigterm() -> None:
    import signal

    from leadpolicy.tools.stopping import STOPS

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)


def _replay_sized(chunk: tuple[list[Any], int]) -> tuple[list[Any], int]:
    """A chunk of `_chunks` replayed: its rows, and the bytes of the file it spans."""
    return _replay_chunk(chunk[0]), chunk[1]


def _parse(lines: list[Any]) -> Iterable[Any]:
    for name, number, line in lines:
        if isinstance(line, bytes):  # a JSON Lines file is read as bytes: a line that is not UTF-8 is its own error
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as error:
                yield LeadDataError(f"{name}:{number}:{error.start + 1}: not valid JSON: not UTF-8 text (byte {error.start + 1})",
                                    field=None, value=None)
                continue
        try:
            lead = json.loads(line)
        except json.JSONDecodeError as error:
            yield LeadDataError(f"{name}:{number}:{error.colno}: not valid JSON: {error.msg}", field=None, value=None)
            continue
        if not isinstance(lead, dict):  # `[1, 2]`: said with its line, as score says it
            yield LeadDataError(f"{name}:{number}: not a JSON object: `{show_value(lead)}`", field=None, value=lead)
            continue
        yield lead


def _chunks(stream: IO[Any], name: str, size: int = 500) -> Iterable[tuple[list[Any], int]]:
    """The stream's leads, `size` lines at a time (name, line number, line), each chunk with the
    bytes it spans (its blank lines too: how far it goes in the file, for the progress bar)."""
    chunk = []
    spanned = 0
    for number, line in enumerate(stream, 1):
        spanned += len(line)
        if number == 1 and isinstance(line, bytes) and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]  # a byte order mark, as utf-8-sig reads it
        if line.strip():
            chunk.append((name, number, line))
            if len(chunk) == size:
                yield chunk, spanned
                chunk, spanned = [], 0
    if chunk or spanned:
        yield chunk, spanned


def _batches(rows: Iterable[Any], stream: Any = None, size: int = 500) -> Iterable[tuple[list[Any], int]]:
    """`rows` `size` at a time, each batch with the bytes of `stream` (a file's text) read meanwhile:
    its position, ahead of the rows by the reader's buffer at most (0 without a file)."""
    import os

    def position() -> int:
        try:
            return os.lseek(stream.fileno(), 0, os.SEEK_CUR) if stream is not None else 0
        except (AttributeError, OSError, ValueError):  # no file descriptor (a test's stream), or a pipe
            return 0

    batch: list[Any] = []
    reached = position()
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            now = position()
            yield batch, max(0, now - reached)
            batch, reached = [], now
    if batch:
        yield batch, max(0, position() - reached)


CSV_OUTCOME = {"status": "status", "outcome_status": "status", "amount": "amount", "outcome_amount": "amount",
               "closed_at": "closed_at", "outcome_closed_at": "closed_at"}


def read_csv_leads(stream: IO[str], name: str, fields: Optional[Iterable[str]] = None,
                   warn: Optional[Callable[[str], None]] = None) -> Iterable[Any]:
    """CSV leads as `leadpolicy score` reads them (the header as `csv_header.read_header` reads it: names
    as CRM exports spell them, `Company Size` for `company_size`, its warnings to `warn`; the delimiter
    the header line uses, or the one an Excel first line `sep=;` names; `id`, `stage`, `activities` as a
    JSON array; a row with more cells than the header is that lead's error; without an `id` column a lead's
    id is its line number) plus `created_at` and the outcome columns `status` (or `outcome_status`),
    `amount`, `closed_at`. `fields`: the policies' field names (None: every other column is a field by its
    exact name). A bad `activities` cell or row yields a LeadDataError; a header that names no field raises
    csv_header.CsvHeaderError, a quote that never closes its subclass UnclosedQuote (at the end of the file), a
    quoted cell with text after its closing quote (`"pat"@x.com`) its subclass TextAfterQuote (at its row)."""

    from leadpolicy.tools.csv_header import (
        allow_long_cells,
        data_rows,
        header_and_rows,
        normal,
        read_header,
    )

    allow_long_cells()
    first = stream.readline()
    if not first:
        return
    found = header_and_rows(first, stream, warn=warn)
    if found is None:
        return  # no header (a `sep=` line alone, or blank lines): no leads, as an empty file, `warn` told
    header, reader, row_lines = found
    extras = {i: normal(h) for i, h in enumerate(header) if normal(h) in CSV_OUTCOME or normal(h) == "created_at"}
    kept = [i for i in range(len(header)) if i not in extras]
    if fields is None:
        fields = [header[i].strip() for i in kept if header[i].strip() not in ("id", "stage", "activities")]
    layout = read_header([header[i] for i in kept], fields)
    for message in layout.warnings:
        if warn is not None:
            warn(message)
    at = {"id": kept[layout.id_at] if layout.id_at >= 0 else -1,
          "activities": kept[layout.activities_at] if layout.activities_at >= 0 else -1}
    field_columns = [(field_name, kept[i]) for field_name, i in layout.field_columns]
    for start, row in data_rows(reader, row_lines, header):

        def cell(i: int, row: list[str] = row) -> str:
            return row[i] if 0 <= i < len(row) else ""  # an absent column's cell is empty

        lead_id = (cell(at["id"]) or None) if at["id"] >= 0 else start
        if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
            yield LeadDataError(f"line {start} has {len(row)} cells but the header has {len(header)} columns",
                                field=None, value=None, lead_id=lead_id)
            continue
        text = cell(at["activities"]) or "[]"
        try:
            activities = json.loads(text)
        except json.JSONDecodeError as error:
            yield LeadDataError(f"{name}:{start}: the activities cell is not a JSON array: {error.msg}",
                                field="activities", value=text, lead_id=lead_id)
            continue
        outcome = {CSV_OUTCOME[key]: cell(i) for i, key in extras.items() if key in CSV_OUTCOME}
        created = next((cell(i) for i, key in extras.items() if key == "created_at"), None)
        yield {"id": lead_id, "fields": {f: cell(i) for f, i in field_columns if cell(i) not in (None, "")},
               "activities": activities, "created_at": created or None,
               "outcome": outcome if (outcome.get("status") or "").strip() else None}


def window_end(date_to: str) -> int:
    """The last moment `--to` takes in: the whole of a date's day, or a timestamp itself (which
    took in the rest of its day as a date does)."""
    moment = parse_instant(date_to, "to")
    return moment + MICROS_PER_DAY - 1 if len(date_to.strip()) == len("YYYY-MM-DD") else moment


def build(policies: list[Any], leads: Any, as_of: str, outcomes: Optional[dict[str, Any]] = None,
          date_from: Optional[str] = None, date_to: Optional[str] = None,
          progress: Optional[Callable[[int, int], None]] = None, jobs: int = 1, name: str = "<leads>",
          warn: Optional[Callable[[str], None]] = None, input_format: Optional[str] = None) -> dict[str, Any]:
    """One report per policy over the same leads; returns the JSON-ready dict. `progress(leads, bytes)`
    after each batch of leads replayed, with the bytes of the stream they span (tools.progress).
    `leads` is an iterable of lead dicts, or a stream of JSON Lines, text or bytes (then `jobs` processes may
    share the work; a line of bytes that is not UTF-8 is that lead's error), or of CSV text when `input_format`
    is "csv" (None: when `name` ends in .csv, as `leadpolicy score` reads its INPUT)."""
    global _STATE
    end = parse_instant(as_of, "as_of")
    low = parse_instant(date_from, "from") if date_from else None
    high = window_end(date_to) if date_to else None
    models = [TimeModel.of(p.tree) for p in policies]
    metrics = [Metrics(p.tree) for p in policies]
    _STATE = (policies, models, end, outcomes, [probes_of(p) for p in policies])
    if input_format is None:
        input_format = "csv" if name.lower().endswith(".csv") else "jsonl"
    if hasattr(leads, "read") and input_format == "csv":
        pool = None
        declared = list(dict.fromkeys(f.name for p in policies for f in p.tree.fields))  # --against: both
        batches = _batches((_replay_lead(lead) for lead in read_csv_leads(leads, name, declared, warn)), leads)
    elif hasattr(leads, "read"):
        chunks = _chunks(leads, name)
        if jobs > 1:
            import multiprocessing

            pool = _start_pool(multiprocessing.get_context("fork"), jobs)  # workers inherit the compiled policies
            batches = pool.imap(_replay_sized, chunks)
        else:
            pool = None
            batches = (_replay_sized(chunk) for chunk in chunks)
    else:
        pool = None
        batches = _batches(_replay_lead(lead) for lead in leads)
    matched: set[str] = set()  # the outcomes' ids that name a lead here (the rest are said: warn)
    finished = False
    try:
        for batch, spanned in batches:
            for row in batch:
                if outcomes is not None and row[1] is not None and str(row[1]) in outcomes:
                    matched.add(str(row[1]))
                if row[0] == "error":
                    for m in metrics:
                        m.error(row[1], row[2])
                    continue
                _, lead_id, outcome, results, at_close = row
                start, entered = results[0].start, results[0].entered
                # a lead that entered after --as-of had not entered by the end of the replay: outside it too
                if (low is not None and start < low) or (high is not None and start > high) or (entered is not None and entered > end):
                    for m in metrics:
                        m.outside_window += 1
                    continue
                for i, (m, r) in enumerate(zip(metrics, results)):
                    m.add(lead_id, r, outcome, at_close[i] if at_close is not None else None)
            if progress is not None:
                progress(len(batch), spanned)
        finished = True
    finally:
        if pool is not None and finished:  # the workers end on the queue's sentinel: no signal to race
            pool.close()
            pool.join()
        elif pool is not None:
            pool.terminate()
        _STATE = None
    unmatched = [key for key in outcomes if key not in matched] if outcomes is not None else []
    if unmatched and warn is not None:  # a wrong file or a CRM id in another form: those outcomes count nowhere
        warn(f"{len(unmatched):,} outcome{'s' if len(unmatched) != 1 else ''} name{'' if len(unmatched) != 1 else 's'} no lead of "
             f"{name} (e.g. {json.dumps(unmatched[0], ensure_ascii=False)}): not counted")
    reports = []
    for p, m in zip(policies, metrics):
        reports.append({"policy": p.name, "version": p.version, "path": p.path, "stages": m.stages, **m.to_dict()})
    return {"as_of": iso(end), "from": date_from, "to": date_to,
            "time_resolution": "exact to the microsecond (every moment the decision can change is evaluated)",
            "reports": reports}
