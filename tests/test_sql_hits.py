"""The `hits` JSON column of the generated DuckDB query (leadpolicy/backends/sql/hits.py),
on a real DuckDB, against json.dumps of the hits list the Python engine builds: any
engagement total (whole, fractional, tiny, subnormal, huge, negative, infinite), any
count, any set of fit rules held, and rules that hit nothing (no empty pieces, no
stray separators). The text must match byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import leadpolicy

duckdb = pytest.importorskip("duckdb", reason="the SQL back end's tests need pip install 'leadpolicy[duckdb]'")

from leadpolicy.backends.sql.fragments import building, generate  # noqa: E402  (sqlglot comes with the duckdb extra)
from leadpolicy.backends.sql.hits import hits_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACME = leadpolicy.load(ROOT / "policies" / "acme.policy").tree
FEW = leadpolicy.loads("""\
policy "Few" version "1"

fields {
  budget  number
}

activities {
  page_view
}

stages {
  cold
  warm when engagement >= 10
}

fit {
  "Big budget":  +0 when budget >= 10
  "Zeros skipped, 'quotes' \\\\ kept é":  +7.5 when budget >= 5
}

engagement {
  "Odd \\"quoted\\" name, with: a comma":  +2.5 per page_view
}
""").tree

TOTALS = st.one_of(
    st.just(0.0), st.just(-0.0),
    st.integers(-10**6, 10**6).map(float),
    st.floats(allow_nan=False, allow_infinity=True),
    st.floats(min_value=-1e-300, max_value=1e-300, allow_nan=False),
    st.sampled_from([1e16, -1e16, 9999999999999998.0, 1e15 + 0.5, 0.1 + 0.2, 5e-324, 1.7976931348623157e308]),
)


def expected_hits(policy: Any, totals: "list[float]", counts: "list[int]", held: "list[bool]") -> str:
    """The hits list as the Python engine writes it: rules in file order, only those with points."""
    entries = [(rule.span.start, "e", i, rule) for i, rule in enumerate(policy.engagement_rules)]
    entries += [(rule.span.start, "f", i, rule) for i, rule in enumerate(policy.fit_rules)]
    hits: list[dict[str, Any]] = []
    for _, section, i, rule in sorted(entries, key=lambda entry: entry[0]):
        if section == "e" and totals[i] != 0:
            hits.append({"section": "engagement", "rule": rule.name, "points": totals[i], "count": counts[i]})
        elif section == "f" and held[i] and float(rule.points) != 0:
            hits.append({"section": "fit", "group": rule.group, "rule": rule.name, "points": float(rule.points)})
    return json.dumps(hits, ensure_ascii=False)


def sql_hits(policy: Any, rows: "list[tuple[list[float], list[int], list[bool]]]") -> "list[str]":
    with building("duckdb"):
        text = generate(hits_json(policy), "duckdb", pretty=False)
    columns = ["lp_k INTEGER"]
    for i in range(len(policy.engagement_rules)):
        columns += [f'"lp_e_{i}" DOUBLE', f'"lp_e_{i}_n" BIGINT']
    columns += [f'"lp_ft_{i}" BOOLEAN' for i in range(len(policy.fit_rules))]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({', '.join(columns)})")
    for k, (totals, counts, held) in enumerate(rows):
        values: list[Any] = [k]
        for total, count in zip(totals, counts):
            values += [total, count]
        values += held
        con.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(values))})", values)
    return [row[0] for row in con.execute(f"SELECT {text} FROM t ORDER BY lp_k").fetchall()]


def rows_for(policy: Any) -> Any:
    n_e, n_f = len(policy.engagement_rules), len(policy.fit_rules)
    one = st.tuples(st.lists(TOTALS, min_size=n_e, max_size=n_e), st.lists(st.integers(0, 10**9), min_size=n_e, max_size=n_e),
                    st.lists(st.booleans(), min_size=n_f, max_size=n_f))
    return st.lists(one, min_size=1, max_size=20)


@pytest.mark.parametrize("policy", [ACME, FEW], ids=["acme", "few"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_hits_text_matches_json_dumps(policy: Any, data: Any) -> None:
    rows = data.draw(rows_for(policy))
    got = sql_hits(policy, rows)
    assert got == [expected_hits(policy, *row) for row in rows]


def test_no_hit_is_an_empty_list_and_every_hit_is_listed() -> None:
    n_e, n_f = len(ACME.engagement_rules), len(ACME.fit_rules)
    none = ([0.0] * n_e, [0] * n_e, [False] * n_f)
    every = ([1.0] * n_e, [1] * n_e, [True] * n_f)
    got = sql_hits(ACME, [none, every])
    assert got[0] == "[]"
    assert got == [expected_hits(ACME, *none), expected_hits(ACME, *every)]
    assert len(json.loads(got[1])) == n_e + sum(1 for rule in ACME.fit_rules if float(rule.points) != 0)
