"""The DuckDB query on two cores and more (docs/performance.md, "Session 8: the second core").

The relational shape, ordered by the lead id (the default), numbers the ids alone for the
activities' join (inputs.Relational: `lp_lead_rows`) instead of joining them to the window
over every lead column. These tests hold that this changes no output row: against the
query that joins the full numbered leads (the path a `lead_order` column other than the id
takes; here a copy of the id, so both number the leads alike), on leads whose ids repeat,
are NULL, or sort differently as text and as numbers, with activities of unknown ids, of
NULL ids and very old ones (the ordered fallback of sums.py); and the same bytes on one
thread and on four.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import leadpolicy

duckdb = pytest.importorskip("duckdb", reason="the SQL back end's tests need pip install 'leadpolicy[duckdb]'")

from leadpolicy.backends.sql.engines import duckdb_query  # noqa: E402
from leadpolicy.backends.sql.inputs import Mapping  # noqa: E402

ACME = leadpolicy.load(Path(__file__).resolve().parent.parent / "policies" / "acme.policy")
AS_OF = {"as_of": "2026-11-22T00:00:00Z"}


def _pick(options: str, salt: int, over: str) -> str:
    """One of `options` (a SQL list) for row `over`, by a hash: deterministic, spread out."""
    return f"list_extract({options}, CAST(hash({over}, {salt}) % len({options}) AS BIGINT) + 1)"


def _id(index: str, kind: str, repeats: bool) -> str:
    """The id of lead number `index`: every 101st NULL; with `repeats`, every 7th the id of the
    lead before it (ties); as text, '10' sorts before '9'."""
    number = f"CASE WHEN {index} % 7 = 0 THEN {index} - 1 ELSE {index} END" if repeats else index
    value = f"CAST({number} AS VARCHAR)" if kind == "text" else f"CAST({number} AS BIGINT)"
    return f"CASE WHEN {index} % 101 = 0 THEN NULL ELSE {value} END"


def _tables(con, leads: int, activities: int, kind: str = "text", repeats: bool = True) -> None:
    """Acme's relational shape, every cell text (the ids `kind`), generated in SQL."""
    con.execute(f"""CREATE OR REPLACE TABLE leads AS SELECT {_id('i', kind, repeats)} AS id,
        {_id('i', kind, repeats)} AS id_copy,
        {_pick("['lead', 'mql', 'sql', 'disqualified', NULL, ' MQL ']", 1, 'i')} AS stage,
        {_pick("['a@acme.example', 'b@gmail.com', 'c@rival.example', NULL]", 2, 'i')} AS email,
        {_pick("['ic', 'manager', 'director', 'VP', 'cxo', NULL]", 3, 'i')} AS seniority,
        CAST(hash(i, 4) % 1000 AS VARCHAR) AS company_size,
        {_pick("['saas', 'fintech', 'retail', NULL]", 5, 'i')} AS industry,
        CAST(hash(i, 6) % 30000 AS VARCHAR) AS budget,
        CAST(hash(i, 7) % 200 AS VARCHAR) AS timeline_days,
        {_pick("['open', 'accepted', 'rejected', NULL]", 8, 'i')} AS sales_status,
        {_pick("['true', 'false', 'yes', NULL]", 9, 'i')} AS is_customer,
        {_pick("['2026-01-02', '2025-06-30', NULL]", 10, 'i')} AS created
        FROM range(1, {leads + 1}) AS t(i)""")
    # each activity belongs to a lead number in 1..leads + 50 (beyond: an id no lead has)
    con.execute(f"""CREATE OR REPLACE TABLE activities AS SELECT {_id('k', kind, False)} AS lead_id,
        {_pick("['page_view', 'form_submit', 'email_click', 'webinar', 'unsubscribe', 'chat', 'other', ' Page_View ']", 11, 'j')} AS type,
        CASE WHEN j % 53 = 0 THEN '1930-05-01T00:00:00Z'
             ELSE strftime(TIMESTAMP '2026-11-22' - to_seconds(CAST(hash(j, 12) % 20000000 AS BIGINT)), '%Y-%m-%dT%H:%M:%SZ') END AS "at",
        {_pick("['/blog/a', '/pricing', '/docs', NULL]", 13, 'j')} AS path,
        {_pick("['ebook', 'demo', NULL]", 14, 'j')} AS form,
        'spring' AS campaign, 'intro' AS title,
        CAST(hash(j, 15) % 60 AS VARCHAR) AS minutes
        FROM (SELECT j, CAST(hash(j, 0) % {leads + 50} AS BIGINT) + 1 AS k FROM range(1, {activities + 1}) AS t(j))""")


def _rows(con, mapping: Mapping | None = None) -> list[tuple]:
    query = duckdb_query(ACME, leads="leads", activities="activities", con=con, mapping=mapping, with_row=True)
    return con.execute(query, AS_OF).fetchall()


def _output_bytes(con, threads: int, mapping: Mapping | None = None) -> str:
    con.execute(f"SET threads = {threads}")
    query = duckdb_query(ACME, leads="leads", activities="activities", con=con, mapping=mapping, with_row=True)
    columns = con.execute(f"DESCRIBE ({query})", AS_OF).fetchall()
    casts = ", ".join(f'CAST("{name}" AS VARCHAR)' for name, *_ in columns)
    digest = hashlib.md5()
    for row in con.execute(f"SELECT {casts} FROM ({query})", AS_OF).fetchall():
        digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_ids_alone_are_numbered_only_when_the_leads_are_ordered_by_id() -> None:
    con = duckdb.connect()
    _tables(con, 10, 10)
    assert "lp_lead_rows" in duckdb_query(ACME, leads="leads", activities="activities", con=con)
    assert "lp_lead_rows" in duckdb_query(ACME, leads="leads", activities="activities", con=con, mapping=Mapping(lead_order="id"))
    assert "lp_lead_rows" not in duckdb_query(ACME, leads="leads", activities="activities", con=con,
                                              mapping=Mapping(lead_order="id_copy"))


@pytest.mark.parametrize("kind", ["text", "bigint"])
def test_same_rows_as_joining_the_numbered_leads(kind: str) -> None:
    """Repeated ids (each copy gets every activity of its id), NULL ids, unknown ids, very old
    activities: every lead's decision as before; the rows in id order (NULL first), and where
    an id is unique the very same row, lp_row included."""
    con = duckdb.connect()
    _tables(con, 3000, 30000, kind)
    new = _rows(con)
    old = _rows(con, Mapping(lead_order="id_copy"))
    assert len(new) == len(old) == 3000
    # lp_row is the last but one column (with_row): 1..n in output order, the same for both
    assert [row[-2] for row in new] == list(range(1, 3001)) == [row[-2] for row in old]
    assert sorted(map(repr, (row[:-2] for row in new))) == sorted(map(repr, (row[:-2] for row in old)))
    ids = [row[0] for row in new]
    nulls = ids.count(None)
    assert nulls == 3000 // 101 and ids[:nulls] == [None] * nulls
    key = (lambda x: x) if kind == "text" else int
    assert ids[nulls:] == sorted(ids[nulls:], key=key)
    if kind == "text":
        assert ids.index("10") < ids.index("9")  # text order, as the column's type orders it
    counts: dict = {}
    for value in ids:
        counts[value] = counts.get(value, 0) + 1
    assert any(n > 1 for value, n in counts.items() if value is not None)  # the ties are there
    unique_old = {row[0]: row for row in old if row[0] is not None and counts[row[0]] == 1}
    unique_new = {row[0]: row for row in new if row[0] is not None and counts[row[0]] == 1}
    assert unique_new == unique_old
    # some leads took the ordered fallback (activities from 1930) and some hit rules
    assert any(row[7] for row in new) and any(row[4] for row in new)


def test_one_thread_and_four_give_the_same_bytes() -> None:
    """Unique ids, enough rows for several chunks per thread: the same output, byte for byte,
    at 1 and 4 threads, and the same as joining the full numbered leads."""
    con = duckdb.connect()
    _tables(con, 20000, 250000, "text", repeats=False)
    one = _output_bytes(con, 1)
    assert _output_bytes(con, 4) == one
    assert _output_bytes(con, 4, Mapping(lead_order="id_copy")) == one
