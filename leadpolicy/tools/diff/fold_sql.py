"""What the Python replay counts lead by lead (`replay.record`), counted by DuckDB over `lp_pairs`
(replay_sql.py: one row per lead, both versions' decisions): one `Tally` per slice of the input.

GROUP BY does the counting: outcomes (leads, errors in one version or both, transitions,
grades) and rule hits in one aggregate (a rule is hit where hits.rule_hits says, the test
`hits_json` makes its list with: one count_if per rule and version; each reason's rule
is a key of the GROUP BY), score deltas (by their exact value; Python rounds each
distinct value to the cent as `record` does, so the histogram is `record`'s). Python sees
only the rows the report can show:

- example leads: the line numbers of the leads whose stage changed, hashed as
  `replay._rank` hashes them (the Python replay's sample, whatever the engine); then
  the full decisions of the few chosen, their hits JSON made for them alone (hits_json
  over lp_pairs' columns of each version);
- largest moves: the leads whose move reaches the fifth largest (found from the
  histogram), ties broken by line as `record` breaks them;
- error examples: the line numbers of the leads with a data error in one version
  only, sampled the same way (replay_sql.py replays the chosen in Python, for its words).
"""

from __future__ import annotations

import heapq
import json
from typing import Any, Callable, Iterator

from leadpolicy.tools.diff.replay import EXAMPLES, LARGEST, SCORES, Tally, _keep_smallest, _rank

__all__ = ["fold_slice", "Candidates", "FETCH_ROWS"]

FETCH_ROWS = 20_000
_BOTH_DECIDED = "NOT o_err AND NOT n_err"
_DECISION = ("stage", "previous_stage", "change", "engagement", "fit", "grade", "reason_kind", "reason_rule")


class Candidates:
    """The leads sampled (lowest hash of their line) for the examples of errors that appear or disappear."""

    def __init__(self) -> None:
        self.appeared: list[tuple[Any, ...]] = []  # [(rank, line, lp_row, id)]
        self.disappeared: list[tuple[Any, ...]] = []

    def add(self, appeared: bool, number: int, row: int, lead_id: Any) -> None:
        _keep_smallest(self.appeared if appeared else self.disappeared, (_rank(number), number, row, lead_id))

    def merge(self, other: "Candidates") -> None:
        for mine, theirs in ((self.appeared, other.appeared), (self.disappeared, other.disappeared)):
            for entry in theirs:
                _keep_smallest(mine, entry)

    def any(self) -> bool:
        return bool(self.appeared or self.disappeared)

    def rows(self) -> set[int]:
        return {entry[2] for entry in self.appeared + self.disappeared}

    def ids(self) -> list[tuple[int, Any]]:
        return [(entry[1], entry[3]) for entry in self.appeared + self.disappeared]


def _rows(con: Any, sql: str) -> Iterator[tuple[Any, ...]]:
    cursor = con.execute(sql)
    for batch in iter(lambda: cursor.fetchmany(FETCH_ROWS), []):
        yield from batch


def _lead_id(id_json: Any, plain: Any) -> Any:
    return json.loads(id_json) if id_json is not None else plain


def _decision(policy: Any, values: tuple[Any, ...]) -> dict[str, Any]:
    """The Python engine's decision dict from one version's columns (`_DECISION`, then the hits JSON)."""
    stage, previous, change, engagement, fit, grade, kind, rule, hits = values
    return {"policy": policy.name, "version": policy.version, "stage": stage, "previous_stage": previous, "change": change,
            "engagement": engagement, "fit": fit, "grade": grade, "reason": {"kind": kind, "stage": stage, "rule": rule},
            "hits": json.loads(hits)}


def _cents(delta: float) -> float:
    return round(delta, 2) + 0.0 if delta else 0.0  # as replay.record: + 0.0, no -0.0


def _move(score: str) -> str:
    """A score's move in SQL, as replay.record takes it: an unchanged score (infinite ones too:
    inf - inf is NaN) moves 0."""
    return f"CASE WHEN n_{score} = o_{score} THEN 0.0 ELSE n_{score} - o_{score} END"


def fold_slice(con: Any, old_policy: Any, new_policy: Any, starts: list[int], candidates: Candidates) -> Tally:
    """The Tally of the leads in `lp_pairs`; error-example candidates added to `candidates`.
    `starts`: each CSV row's line (the lead's number); empty: lp_row is the number."""
    number: Callable[[int], int] = (lambda row: starts[row - 1]) if starts else (lambda row: row)
    tally = Tally()
    _outcomes(con, tally, old_policy, new_policy)
    for score in SCORES:
        histogram = tally.deltas[score]
        for delta, count in _rows(con, f"SELECT {_move(score)}, count(*) FROM lp_pairs WHERE {_BOTH_DECIDED} GROUP BY 1"):
            cents = _cents(delta)
            histogram[cents] = histogram.get(cents, 0) + count
        tally.largest[score] = _largest(con, score, histogram, number)
    _examples(con, tally, old_policy, new_policy, number)
    for row, id_json, plain, old_failed in _rows(con, "SELECT lp_row, lp_id_json, id, o_err FROM lp_pairs WHERE o_err <> n_err"):
        candidates.add(not old_failed, number(row), row, _lead_id(id_json, plain))
    return tally


def _outcomes(con: Any, tally: Tally, old_policy: Any, new_policy: Any) -> None:
    """Leads, data errors, transitions, grades and rule hits: one GROUP BY (its groups: each
    version's stage, grade, reason's rule and error), each rule's hits counted per group."""
    from leadpolicy.backends.sql.fragments import building
    from leadpolicy.backends.sql.hits import rule_hits

    with building("duckdb"):
        tests = [(counts, name, test.sql(dialect="duckdb")) for counts, policy, side in
                 ((tally.rules_old, old_policy, "o_"), (tally.rules_new, new_policy, "n_"))
                 for name, test in rule_hits(policy.tree, side)]
    hits = "".join(f", count_if({sql})" for _, _, sql in tests)
    for values in con.execute(f"SELECT o_stage, n_stage, o_grade, n_grade, o_err, n_err, o_reason_rule, n_reason_rule, count(*){hits}"
                              " FROM lp_pairs GROUP BY ALL").fetchall():
        old_stage, new_stage, old_grade, new_grade, old_failed, new_failed, old_rule, new_rule, count = values[:9]
        tally.total += count
        if old_failed and new_failed:
            tally.errors_both += count
        elif new_failed:
            tally.appeared[0] += count
        elif old_failed:
            tally.disappeared[0] += count
        else:
            tally.compared += count
            cell, grades = (old_stage, new_stage), (old_grade, new_grade)
            tally.transitions[cell] = tally.transitions.get(cell, 0) + count
            tally.grades[grades] = tally.grades.get(grades, 0) + count
            # as record counts: each hit by its rule's name, then the reason's rule
            for (counts, name, _), hit in zip(tests, values[9:]):
                if hit:
                    counts[name] = counts.get(name, 0) + hit
            for counts, rule in ((tally.rules_old, old_rule), (tally.rules_new, new_rule)):
                if rule is not None:
                    counts[rule] = counts.get(rule, 0) + count


def _largest(con: Any, score: str, histogram: dict[float, int], number: Callable[[int], int]) -> list[Any]:
    """`record`'s LARGEST moves of `score`: (-|cents|, line, id, old, new), sorted."""
    sizes: dict[float, int] = {}
    for cents, count in histogram.items():
        if cents:
            sizes[abs(cents)] = sizes.get(abs(cents), 0) + count
    if not sizes:
        return []
    cutoff, seen = min(sizes), 0
    for size in sorted(sizes, reverse=True):
        seen += sizes[size]
        if seen >= LARGEST:
            cutoff = size
            break
    # every lead whose move rounds to the cutoff or more (a margin for the rounding; Python decides)
    kept: list[Any] = []
    for row, id_json, plain, old, new in _rows(
            con, f"SELECT lp_row, lp_id_json, id, o_{score}, n_{score} FROM lp_pairs WHERE {_BOTH_DECIDED}"
                 f" AND abs({_move(score)}) >= {cutoff - 0.01!r}"):
        cents = _cents(new - old if new != old else 0.0)
        if cents:
            kept.append((-abs(cents), number(row), _lead_id(id_json, plain), old, new))
            if len(kept) > 64 * LARGEST:
                kept = heapq.nsmallest(LARGEST, kept)
    return sorted(heapq.nsmallest(LARGEST, kept))


def _examples(con: Any, tally: Tally, old_policy: Any, new_policy: Any, number: Callable[[int], int]) -> None:
    """For each pair of different stages, the EXAMPLES leads whose line hashes lowest, with both decisions."""
    chosen: dict[tuple[Any, Any], list[tuple[bytes, int, int]]] = {}
    for row, old_stage, new_stage in _rows(
            con, f"SELECT lp_row, o_stage, n_stage FROM lp_pairs WHERE {_BOTH_DECIDED} AND o_stage <> n_stage"):
        line = number(row)
        _keep_smallest(chosen.setdefault((old_stage, new_stage), []), (_rank(line), line, row))
    rows = [entry[2] for found in chosen.values() for entry in found]
    if not rows:
        return
    from leadpolicy.backends.sql.fragments import building, generate
    from leadpolicy.backends.sql.hits import hits_json

    width = len(_DECISION) + 1
    with building("duckdb"):
        hits = [generate(hits_json(policy.tree, side), "duckdb", pretty=False) for policy, side in ((old_policy, "o_"), (new_policy, "n_"))]
    columns = ", ".join([f"o_{c}" for c in _DECISION] + [hits[0]] + [f"n_{c}" for c in _DECISION] + [hits[1]])
    full = {values[0]: values for values in con.execute(
        f"SELECT lp_row, lp_id_json, id, {columns} FROM lp_pairs WHERE lp_row IN ({', '.join(str(int(r)) for r in rows)})").fetchall()}
    for cell, found in chosen.items():
        entries = []
        for rank, line, row in found:
            values = full[row]
            entries.append((rank, line, _lead_id(values[1], values[2]), _decision(old_policy, values[3:3 + width]),
                            _decision(new_policy, values[3 + width:])))
        tally.examples[cell] = entries
    assert all(len(found) <= EXAMPLES for found in tally.examples.values())
