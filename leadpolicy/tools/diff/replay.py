"""Replay: both versions decide every lead, with the same `as_of` and previous stage.

Leads are read exactly as `leadpolicy score` reads them (its chunk readers,
JSON Lines or CSV); each chunk is decided by both compiled modules and comes
back as a `Tally`: counts, and bounded samples. Tallies merge in any order to
the same result, so the report is the same bytes whatever `jobs` is, and
memory does not grow with the number of leads:

- counts by (old stage, new stage), (old grade, new grade), rule hits;
- score deltas as a histogram of values rounded to the cent (the report's
  precision): exact quartiles, and a size bounded by the range of the scores,
  not by the number of leads;
- examples: for each pair of stages, the `EXAMPLES` leads whose line number
  hashes lowest (a deterministic random sample that does not depend on how
  the input was cut into chunks); the `LARGEST` moves of each score.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import time
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

from leadpolicy.syntax.diagnostics import LeadDataError
from leadpolicy.tools.pool import load_module, run_in_pool, start_worker
from leadpolicy.tools.score_input import csv_chunks, jsonl_chunks, jsonl_ranges, regular_file

__all__ = ["EXAMPLES", "LARGEST", "Tally", "Replayer", "replay_stream", "replay_leads"]

EXAMPLES = 3  # example leads per pair of stages, and per kind of error change
LARGEST = 5  # largest moves kept per score
_UTF8_BOM = b"\xef\xbb\xbf"
SCORES = ("engagement", "fit")


def _rank(line: int) -> bytes:
    """A lead's place in the example sample: a hash of its line, the same in every run and every chunking."""
    return hashlib.blake2b(b"%d" % line, digest_size=8).digest()


def _keep_lowest(items: list[Any], limit: int) -> list[Any]:
    """The `limit` smallest items (by their first elements), sorted."""
    return heapq.nsmallest(limit, items) if len(items) > limit else sorted(items)


@dataclass
class Tally:
    """What a chunk (or the whole run) of leads did under both versions. Merges associatively."""

    total: int = 0
    compared: int = 0  # decided by both versions
    errors_both: int = 0
    transitions: dict[tuple[Any, Any], int] = field(default_factory=dict)  # (old stage, new stage) -> leads
    grades: dict[tuple[Any, Any], int] = field(default_factory=dict)  # (old grade, new grade) -> leads
    deltas: dict[str, Any] = field(default_factory=lambda: {"engagement": {}, "fit": {}})  # score -> {delta in cents: leads}
    largest: dict[str, Any] = field(default_factory=lambda: {"engagement": [], "fit": []})  # score -> [(-|delta|, line, id, old, new)]
    rules_old: dict[str, Any] = field(default_factory=dict)  # rule -> leads it hit (or, demote/disqualify, named in the reason)
    rules_new: dict[str, Any] = field(default_factory=dict)
    examples: dict[tuple[Any, Any], list[Any]] = field(default_factory=dict)  # (old stage, new stage) -> [(rank, line, id, old, new)]
    appeared: list[Any] = field(default_factory=lambda: [0, []])  # [leads, [(rank, line, id, message, old decision)]]
    disappeared: list[Any] = field(default_factory=lambda: [0, []])  # [leads, [(rank, line, id, message, new decision)]]

    def merge(self, other: "Tally") -> None:
        self.total += other.total
        self.compared += other.compared
        self.errors_both += other.errors_both
        counters: list[tuple[dict[Any, int], dict[Any, int]]] = [
            (self.transitions, other.transitions), (self.grades, other.grades),
            (self.rules_old, other.rules_old), (self.rules_new, other.rules_new),
            (self.deltas["engagement"], other.deltas["engagement"]), (self.deltas["fit"], other.deltas["fit"])]
        for mine, theirs in counters:
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        for score in SCORES:
            self.largest[score] = _keep_lowest(self.largest[score] + other.largest[score], LARGEST)
        for cell, found in other.examples.items():
            self.examples[cell] = _keep_lowest(self.examples.get(cell, []) + found, EXAMPLES)
        for kept, extra in ((self.appeared, other.appeared), (self.disappeared, other.disappeared)):
            kept[0] += extra[0]
            kept[1] = _keep_lowest(kept[1] + extra[1], EXAMPLES)

    @property
    def changed_stage(self) -> int:
        return sum(count for (old, new), count in self.transitions.items() if old != new)


class Replayer:
    """Decides chunks of leads with two compiled modules; one `Tally` per chunk."""

    def __init__(self, old_module: Any, new_module: Any, as_of: Any, input_format: str = "jsonl", input_fd: int = -1) -> None:
        self.old = old_module.evaluate
        self.new = new_module.evaluate
        # What each module raises for a lead it cannot read (the library's class in-process).
        self.data_errors = tuple({LeadDataError, old_module.LeadDataError, new_module.LeadDataError})
        self.as_of = as_of  # one aware datetime for the whole run
        self.input_format = input_format
        self.input_fd = input_fd

    def replay(self, chunk: tuple[Any, ...]) -> tuple[Any, ...]:
        """(Tally, leads, input bytes) for one chunk of `jsonl_chunks`, `jsonl_ranges` or `csv_chunks`."""
        start, data, nbytes = chunk
        if data.__class__ is tuple:  # (offset, length) in the input file
            data = os.pread(self.input_fd, data[1], data[0])
        tally = Tally()
        if self.input_format == "csv":
            self._csv(data, tally)
        else:
            self._jsonl(start, data, tally)
        return tally, tally.total, nbytes

    # The hot loops: per lead, decoding, both evaluations and `_record`.
    def _jsonl(self, first_line: int, block: bytes, tally: Tally) -> None:
        loads = json.loads
        if first_line == 1 and block.startswith(_UTF8_BOM):
            block = block[3:]
        lines = block.split(b"\n")
        if not lines[-1]:
            lines.pop()
        for number, line in enumerate(lines, first_line):
            try:
                lead = loads(line.decode("utf-8"))
            except (ValueError, RecursionError):
                if not line or line.isspace():
                    continue  # blank lines are skipped, as score skips them
                tally.total += 1
                tally.errors_both += 1  # not JSON: neither version can read it
                continue
            tally.total += 1
            if lead.__class__ is not dict:
                tally.errors_both += 1
                continue
            get = lead.get
            self._decide(tally, number, get("id"), get("fields"), get("activities"), get("stage"))

    def _csv(self, items: list[Any], tally: Tally) -> None:
        loads = json.loads
        for number, lead_id, stage, fields, activities, problem in items:
            tally.total += 1
            if problem is not None:
                tally.errors_both += 1  # a row wider than the header: an error row in both versions
                continue
            if activities.strip():
                try:
                    activities = loads(activities)
                except (ValueError, RecursionError):
                    tally.errors_both += 1  # the activities cell is not JSON: an error in both versions
                    continue
            else:
                activities = None
            self._decide(tally, number, lead_id, fields, activities, stage or None)

    def _decide(self, tally: Tally, number: int, lead_id: Any, fields: Any, activities: Any, stage: Any) -> None:
        as_of = self.as_of
        old_error = new_error = None
        try:
            old = self.old(fields, activities, as_of, stage, lead_id)
        except self.data_errors as error:
            old, old_error = None, error
        try:
            new = self.new(fields, activities, as_of, stage, lead_id)
        except self.data_errors as error:
            new, new_error = None, error
        record(tally, number, lead_id, old, new, old_error, new_error)


def record(tally: Tally, number: int, lead_id: Any, old: Any, new: Any, old_error: Any = None, new_error: Any = None) -> None:
    """Adds one lead's two outcomes (a decision dict, or None and its data error) to `tally`.
    The engines' one way in: the Python replay above, and the SQL one (replay_sql.py)."""
    if old is None or new is None:
        if old is None and new is None:
            tally.errors_both += 1
        elif new is None:
            _sample(tally.appeared, number, lead_id, str(new_error), old)
        else:
            _sample(tally.disappeared, number, lead_id, str(old_error), new)
        return
    tally.compared += 1
    cell = (old["stage"], new["stage"])
    transitions = tally.transitions
    transitions[cell] = transitions.get(cell, 0) + 1
    grades = (old["grade"], new["grade"])
    tally.grades[grades] = tally.grades.get(grades, 0) + 1
    for score in SCORES:
        # an unchanged score is no move, infinite ones too (inf - inf is nan, which is true)
        delta = new[score] - old[score] if new[score] != old[score] else 0.0
        cents = round(delta, 2) + 0.0 if delta else 0.0  # + 0.0: no -0.0
        counts = tally.deltas[score]
        counts[cents] = counts.get(cents, 0) + 1
        if cents:
            largest = tally.largest[score]
            entry = (-abs(cents), number, lead_id, old[score], new[score])
            if len(largest) < LARGEST:
                heapq.heappush(largest, _Max(entry))
            elif entry < largest[0].entry:
                heapq.heapreplace(largest, _Max(entry))
    for decision, counts in ((old, tally.rules_old), (new, tally.rules_new)):
        for hit in decision["hits"]:
            rule = hit["rule"]
            counts[rule] = counts.get(rule, 0) + 1
        rule = decision["reason"]["rule"]
        if rule is not None:
            counts[rule] = counts.get(rule, 0) + 1
    if cell[0] != cell[1]:
        _keep_smallest(tally.examples.setdefault(cell, []), (_rank(number), number, lead_id, old, new))


class _Max:
    """A heap item that orders its entry the other way round (heapq keeps a min-heap)."""

    __slots__ = ("entry",)

    def __init__(self, entry: tuple[Any, ...]) -> None:
        self.entry = entry

    def __lt__(self, other: "_Max") -> bool:
        return self.entry > other.entry


def _sample(slot: list[Any], number: int, lead_id: Any, message: str, decision: dict[str, Any]) -> None:
    slot[0] += 1
    _keep_smallest(slot[1], (_rank(number), number, lead_id, message, decision))


def _keep_smallest(found: list[Any], entry: tuple[Any, ...]) -> None:
    """Keep the EXAMPLES smallest entries, sorted: a bounded, deterministic sample."""
    if len(found) < EXAMPLES:
        found.append(entry)
        found.sort()
    elif entry < found[-1]:
        found[-1] = entry
        found.sort()


def finish(tally: Tally) -> Tally:
    """Turns the per-chunk heaps of largest moves into sorted lists (before merging)."""
    for score in SCORES:
        tally.largest[score] = sorted(item.entry if isinstance(item, _Max) else item for item in tally.largest[score])
    return tally


# ---------------------------------------------------------------- worker processes

_WORKER: Optional[Replayer] = None


def _init_worker(old: tuple[Any, ...], new: tuple[Any, ...], as_of: Any, input_format: str, input_path: Optional[str]) -> None:
    global _WORKER
    _WORKER = Replayer(load_module(*old), load_module(*new), as_of, input_format, start_worker(input_path))


def _replay_in_worker(chunk: tuple[Any, ...]) -> tuple[Any, ...]:
    assert _WORKER is not None, "set by the pool's initializer"
    tally, leads, nbytes = _WORKER.replay(chunk)
    return finish(tally), leads, nbytes


# ---------------------------------------------------------------- the run


def replay_stream(old_policy: Any, new_policy: Any, source: BinaryIO, *, as_of: Any, input_format: str = "jsonl", jobs: int = 1,
                  progress: Optional[Callable[[int, int], None]] = None, chunk_size: int = 0,
                  warn: Optional[Callable[[str], None]] = None) -> tuple[Tally, float]:
    """Replay every lead of `source` (a binary stream) through both policies; (Tally, seconds).

    `old_policy`/`new_policy` are leadpolicy.Policy objects; `as_of` an aware
    datetime fixed for the run; `progress(leads, input bytes)` after each chunk;
    `warn(message)` for a CSV header's columns that name no field. A CSV header
    that cannot be read raises csv_header.CsvHeaderError before any lead.
    """
    started = time.perf_counter()
    input_path = regular_file(source) if jobs > 1 and input_format == "jsonl" else None
    if input_path:
        chunks = jsonl_ranges(source, chunk_size)
    elif input_format == "csv":
        # The header is matched against the fields either version declares, as `score` matches it.
        declared = dict.fromkeys(f.name for policy in (old_policy, new_policy) for f in policy.tree.fields)
        chunks = csv_chunks(source, chunk_size, list(declared), None, warn)
    else:
        chunks = jsonl_chunks(source, chunk_size)
    total = Tally()

    def add(result: tuple[Any, ...]) -> None:
        total.merge(result[0])
        if progress is not None:
            progress(result[1], result[2])

    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    chunks = chain([c for c in (first, second) if c is not None], chunks)
    if jobs <= 1 or second is None:  # one chunk is not worth starting processes for
        replayer = Replayer(old_policy.module, new_policy.module, as_of, input_format, source.fileno() if input_path else -1)
        for chunk in chunks:
            tally, leads, nbytes = replayer.replay(chunk)
            add((finish(tally), leads, nbytes))
    else:
        _replay_in_pool(old_policy, new_policy, chunks, add, jobs, as_of, input_format, input_path)
    return total, time.perf_counter() - started


def _replay_in_pool(old_policy: Any, new_policy: Any, chunks: Iterator[Any], add: Callable[..., Any], jobs: int, as_of: Any, input_format: str,
                    input_path: Optional[str]) -> None:
    run_in_pool(jobs, _init_worker, ((old_policy.source, old_policy.path), (new_policy.source, new_policy.path),
                                     as_of, input_format, input_path), _replay_in_worker, chunks, add)


def replay_leads(old_policy: Any, new_policy: Any, leads: Iterable[Any], *, as_of: Any) -> Tally:
    """Replay leads given as Python objects (docs/language-reference.md section 16 dicts), in this process."""
    from leadpolicy.semantics.runtime import split_lead

    replayer = Replayer(old_policy.module, new_policy.module, as_of)
    tally = Tally()
    for index, lead in enumerate(leads):
        number = index + 1
        tally.total += 1
        try:
            lead_id, fields, activities, previous = split_lead(lead, index)
        except LeadDataError:
            tally.errors_both += 1
            continue
        replayer._decide(tally, number, lead_id, fields, activities, previous)
    return finish(tally)

