"""Decayed engagement sums through DuckDB, to the bit: the unordered SUM where it is exact,
the ordered fold where it is not (leadpolicy/backends/sql/sums.py, docs/sql.md "Sums").

Generated policies lean on what decides which path a lead takes: decay bases that are
powers of two (50%, 75%, 87.5%) and others (10%, 100%, none), whole, dyadic and
non-dyadic points (5, 2.5, 0.1), negative points, caps, windows; generated leads carry
many activities, in no order of age, some just on a period boundary, some hundreds to
over a thousand periods old (terms of 2^-1000 and below, subnormal, zero), so that
one batch holds leads inside the bound and leads outside it. Each batch goes through
the nested (JSON Lines) and the relational shape and must equal the reference interpreter,
scores compared as JSON text (-0.0 included).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, strategies as st
from support.backends import (
    Case,
    assert_agree,
    relational_case,
    relational_names,
    run_duckdb,
    run_duckdb_relational,
    run_reference,
    run_reference_relational,
    sql_outcomes,
)
from support.policygen import examples
from support.seeds import DERANDOMIZE

import leadpolicy

pytest.importorskip("duckdb", reason="the SQL back end's tests need pip install 'leadpolicy[duckdb]'")

from leadpolicy.backends.sql import sums  # noqa: E402  (sqlglot comes with the duckdb extra)

AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
PERIODS = {"1 day": dt.timedelta(days=1), "30 days": dt.timedelta(days=30), "6 hours": dt.timedelta(hours=6)}
POINTS = ["+5", "-0", "-50", "+100", "+2.5", "-0.75", "+0.125", "+0.1", "-0.3", "+1000000000000000", "3", "0", "+1.5",
          "+4503599627370497"]
DECAYS = ["50", "75", "87.5", "10", "100", "33", None]


@st.composite
def policies(draw) -> tuple:
    decay = draw(st.sampled_from(DECAYS))
    period = draw(st.sampled_from(sorted(PERIODS)))
    lines = []
    for index in range(draw(st.integers(1, 4))):
        line = f'  "r{index}": {draw(st.sampled_from(POINTS))} per {draw(st.sampled_from(["ping", "pong"]))}'
        if draw(st.booleans()):
            line += f" where n > {draw(st.integers(0, 5))}"
        if draw(st.integers(0, 3)) == 0:
            line += f" within {draw(st.sampled_from(['10 days', '400 days', '20000 days']))}"
        if draw(st.integers(0, 3)) == 0:
            line += f" max {draw(st.sampled_from(['10', '0.5', '1000']))}"
        lines.append(line)
    if decay is not None:
        lines.append(f"  decay {decay}% every {period}")
    text = ('policy "sums" version "1"\nfields {\n  x number\n}\nactivities {\n  ping (n number)\n  pong (n number)\n}\n'
            'stages {\n  lead\n  hot when engagement >= 10\n}\nengagement {\n' + "\n".join(lines) + "\n}\n")
    return leadpolicy.loads(text), PERIODS[period]


def _at(age: dt.timedelta) -> str:
    when = AS_OF - age
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (f".{when.microsecond:06d}" if when.microsecond else "") + "Z"


@st.composite
def leads(draw, period: dt.timedelta, number: int) -> str:
    periods = st.one_of(st.integers(0, 8), st.integers(0, 60), st.integers(900, 1100), st.integers(0, 1100))
    offset = st.sampled_from([dt.timedelta(0), dt.timedelta(microseconds=1), period - dt.timedelta(microseconds=1),
                              period / 2, -dt.timedelta(microseconds=1)])
    activities = []
    for _ in range(draw(st.integers(0, 30))):
        age = period * draw(periods) + draw(offset)
        activities.append({"type": draw(st.sampled_from(["ping", "pong"])), "at": _at(age), "n": draw(st.integers(0, 6))})
    return json.dumps({"id": f"L{number}", "fields": {"x": 1}, "activities": activities})


def run_duckdb_reversed(case: Case) -> list:
    """The relational shape with the activity rows stored in reverse: DuckDB's SUM meets
    them in that order, the `order` column (lp__seq) still says the input order. (In
    storage order, one thread, a SUM would add in input order and hide a wrong bound.)"""
    import duckdb
    import pyarrow as pa

    from leadpolicy.backends.sql.engines import score_duckdb

    leads_rows, acts_rows, _ = relational_case(case)
    mapping, lead_cols, act_cols = relational_names(case)
    con = duckdb.connect()
    con.execute("SET threads = 1")

    def table(rows: list, cols: list):
        return con.from_arrow(pa.table({c: pa.array([r.get(c) for r in rows], type=pa.int64() if c in ("lp__row", "lp__seq")
                                                     else pa.string()) for c in cols}))

    relation = score_duckdb(case.policy, con, leads=table(leads_rows, lead_cols), activities=table(acts_rows[::-1], act_cols),
                            as_of=case.as_of, mapping=mapping)
    return sql_outcomes([dict(zip(relation.columns, row)) for row in relation.fetchall()])


@examples(max_examples=60, derandomize=DERANDOMIZE)
@given(data=st.data())
def test_decayed_sums_equal_the_reference(data) -> None:
    policy, period = data.draw(policies(), label="policy")
    lines = [data.draw(leads(period, number), label=f"lead {number}") for number in range(data.draw(st.integers(1, 6)))]
    case = Case(policy, lines, AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert_agree("duckdb", run_duckdb(case), run_reference(case), case)
    expected = run_reference_relational(case)
    assert_agree("duckdb (relational)", run_duckdb_relational(case), expected, case)
    assert_agree("duckdb (relational, rows stored in reverse)", run_duckdb_reversed(case), expected, case)


def _policy(points: str, decay: str | None) -> leadpolicy.Policy:
    tail = f"\n  decay {decay}% every 1 day" if decay else ""
    return leadpolicy.loads('policy "p" version "1"\nfields {\n  x number\n}\nactivities {\n  ping\n}\n'
                            f'stages {{\n  lead\n}}\nengagement {{\n  "r": {points} per ping{tail}\n}}\n')


@pytest.mark.parametrize(("points", "decay", "expected"), [
    ("+5", "50", (5, 1)), ("+100", "75", (25, 2)), ("-50", "87.5", (25, 3)), ("+2.5", "50", (5, 1)),
    ("+0.125", None, (1, 0)), ("0", "50", (0, 1)), ("+0.1", "50", (3602879701896397, 1)),
    ("+5", "10", None), ("+5", "100", None), ("+5", "33", None)])
def test_which_rules_may_be_summed(points, decay, expected) -> None:
    """|P| (points = P x 2^e, P odd) and j (base = 2^-j); None: always folded in order."""
    tree = _policy(points, decay).tree
    found = sums.dyadic(tree, tree.engagement_rules[0])
    assert (None if found is None else (found.odd_points, found.j)) == expected


def test_outside_the_bound_the_input_order_decides() -> None:
    """1 and four (two) terms of 2^-53 (53 periods old): 1 first, each small term is lost
    to rounding (1.0); the small ones first, they add up to 2^-51 (2^-52). n >= 3 terms,
    n x |P| x 2^53 >= 2^53: outside the bound, so the query folds them in input order."""
    policy = _policy("+1", "50")
    results = []
    for ages in ([0, 53, 53, 53, 53], [53, 53, 53, 53, 0], [0, 53, 53], [53, 53, 0]):
        line = json.dumps({"id": "L1", "fields": {}, "activities": [
            {"type": "ping", "at": _at(dt.timedelta(days=age, hours=1))} for age in ages]})
        case = Case(policy, [line], AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"))
        expected = run_reference(case)
        assert_agree("duckdb", run_duckdb(case), expected, case)
        assert_agree("duckdb (relational)", run_duckdb_relational(case), run_reference_relational(case), case)
        assert_agree("duckdb (rows stored in reverse)", run_duckdb_reversed(case), run_reference_relational(case), case)
        (kind, decision), = expected
        results.append(json.loads(decision)["engagement"])
    assert results == [1.0, 1.0 + 2.0 ** -51, 1.0, 1.0 + 2.0 ** -52]


def test_an_old_activity_of_another_type_sends_the_lead_to_the_ordered_fold() -> None:
    """The bound's k_max is the lead's oldest activity up to as_of, of any type (one MAX for
    every rule, not one per rule): an old `pong` makes the recent pings' sum take the ordered
    fold, which gives the reference's float as the SUM would have; a `pong` after as_of counts
    for nothing."""
    policy = leadpolicy.loads('policy "p" version "1"\nactivities {\n  ping\n  pong\n}\nstages {\n  lead\n}\n'
                              'engagement {\n  "r": +1 per ping\n  decay 50% every 1 day\n}\n')
    for ages in ([0, 1, 2, 3, 60], [3, 2, 1, 0, 60], [0, 1, 2, -5], [0, 53, 53, 53, 900]):
        acts = [{"type": "ping", "at": _at(dt.timedelta(days=age, hours=1))} for age in ages[:-1]]
        acts.append({"type": "pong", "at": _at(dt.timedelta(days=ages[-1], hours=1))})
        case = Case(policy, [json.dumps({"id": "L1", "fields": {}, "activities": acts})], AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert_agree("duckdb", run_duckdb(case), run_reference(case), case)
        assert_agree("duckdb (relational)", run_duckdb_relational(case), run_reference_relational(case), case)
