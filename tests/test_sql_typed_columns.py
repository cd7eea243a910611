"""Typed columns of the relational shape (DuckDB engine; docs/sql.md, "Typed columns").

The relational shape reads every cell as its text (as a CSV cell is). Where the DuckDB
engine knows a column's type, cells of some types are read from their values instead
(reading.typed_reading): the property here is that this changes nothing. The same values,
once in typed columns and once cast to text in the same DuckDB session, are read to the
same values and the same data errors; and a whole run over typed Parquet decides as the
run over the same tables as text does.
"""

from __future__ import annotations

import datetime as dt
import functools
import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from support.seeds import DERANDOMIZE

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

import leadpolicy  # noqa: E402

POLICY = """
policy "Typed" version "1"
fields {
  n  number
  i  number
  b  boolean
  d  date
}
activities {
  visit (m number, ok boolean, seen date)
  call  (m number)
}
stages {
  lead "Lead"
  mql "MQL" when engagement >= 2 and fit >= 5
}
engagement {
  "Visits": +1 per visit within 30 days
  "Long calls": +2.5 per call where m >= 10 within 90 days max 40
  decay 50% every 7 days
}
fit {
  "Big": +10 when n > 100
  "Sure": +5 when b
  "Recent": +5 when days since d <= 30
  "Whole": +1 when i >= 3
}
"""

AS_OF = "2026-11-22T00:00:00Z"
# (DuckDB type, strategy of Python values DuckDB takes for it); specials included
_TIMES = st.one_of(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
    st.datetimes(min_value=dt.datetime(2026, 9, 1), max_value=dt.datetime(2026, 12, 31)),
    st.sampled_from([dt.datetime(1, 1, 1), dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30),
                     dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1969, 12, 31, 23, 59, 59, 999999)]))
_DOUBLES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0.0, -0.0, 1e300, 5e-324, 0.1]))
_INTEGERS = st.integers(min_value=-(2 ** 63), max_value=2 ** 63 - 1)


def _column(sql_type: str) -> "st.SearchStrategy[str]":
    """A DuckDB literal (text of SQL) of `sql_type`, or NULL."""
    if sql_type == "DOUBLE":
        values = _DOUBLES.map(lambda x: f"CAST('{x!r}' AS DOUBLE)")
    elif sql_type in ("BIGINT", "INTEGER", "UBIGINT"):
        bounds = {"BIGINT": (-(2 ** 63), 2 ** 63 - 1), "INTEGER": (-(2 ** 31), 2 ** 31 - 1), "UBIGINT": (0, 2 ** 64 - 1)}[sql_type]
        near = [x for x in (2 ** 53 + 1, 2 ** 53 + 3, 2 ** 63 - 1, 2 ** 64 - 1, 2 ** 31 - 1, -(2 ** 31)) if bounds[0] <= x <= bounds[1]]
        values = st.one_of(st.integers(*bounds), st.sampled_from(near)).map(lambda x: f"CAST('{x}' AS {sql_type})")
    elif sql_type == "FLOAT":  # (read as its text: the shortest float, not the double it widens to)
        values = _DOUBLES.map(lambda x: f"CAST('{x!r}' AS FLOAT)")
    elif sql_type.startswith("DECIMAL"):  # (read as its text)
        values = st.decimals(min_value=-10 ** 14, max_value=10 ** 14, places=3, allow_nan=False).map(
            lambda x: f"CAST('{x}' AS {sql_type})")
    elif sql_type == "BOOLEAN":
        values = st.booleans().map(lambda x: f"{x}".upper())
    elif sql_type == "DATE":
        values = st.one_of(_TIMES.map(lambda t: f"DATE '{t.date().isoformat()}'"),
                           st.sampled_from(["DATE 'infinity'", "DATE '-infinity'", "DATE '0001-01-01' - 1"]))
    else:  # the timestamps
        times = (st.one_of(st.datetimes(min_value=dt.datetime(1678, 1, 1), max_value=dt.datetime(2262, 1, 1)),
                           st.datetimes(min_value=dt.datetime(2026, 9, 1), max_value=dt.datetime(2026, 12, 31)))
                 if sql_type == "TIMESTAMP_NS" else _TIMES)
        text = times.map(lambda t: f"{sql_type} '{t.isoformat(sep=' ')}" + ("+00'" if "ZONE" in sql_type else "'"))
        values = st.one_of(text, st.sampled_from([f"{sql_type} 'infinity'", f"{sql_type} '-infinity'"]))
        if sql_type == "TIMESTAMP_NS":
            values = st.one_of(values, st.integers(-(2 ** 62), 2 ** 62).map(lambda n: f"make_timestamp_ns({n})"))
        if "ZONE" in sql_type:  # an offset far from UTC: the instant is the same
            values = st.one_of(values, st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 30)).map(
                lambda t: f"TIMESTAMPTZ '{t.isoformat(sep=' ')}-11:30'"))
    return st.one_of(st.just("NULL"), values)


_NUMBER_TYPES = ["DOUBLE", "BIGINT", "INTEGER", "UBIGINT"]
_TIME_TYPES = ["DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"]


# every type read from its values, as a field and as a property (of one column each; the
# time of the activities, `at`, one type per example): one query per type of `at`
_FIELD_TYPES = {f"f{i}": t for i, t in enumerate([*_NUMBER_TYPES, "BOOLEAN", *_TIME_TYPES, "FLOAT", "DECIMAL(18,3)"])}
_PROP_TYPES = {f"p{i}": t for i, t in enumerate([*_NUMBER_TYPES, "BOOLEAN", *_TIME_TYPES])}


def _kind(sql_type: str) -> str:
    return "boolean" if sql_type == "BOOLEAN" else "date" if sql_type in _TIME_TYPES else "number"


WIDE = ('policy "Wide" version "1"\nfields {\n'
        + "".join(f"  {name} {_kind(t)}\n" for name, t in _FIELD_TYPES.items())
        + "}\nactivities {\n  visit (" + ", ".join(f"{name} {_kind(t)}" for name, t in _PROP_TYPES.items()) + ")\n"
        + "  call\n}\nstages {\n  lead \"Lead\"\n}\n")


@st.composite
def _tables(draw: st.DrawFn) -> dict:
    """Column types and rows of typed leads and activities tables."""
    types = {**_FIELD_TYPES, **_PROP_TYPES, "at": draw(st.sampled_from(_TIME_TYPES))}
    fields, props = list(_FIELD_TYPES), [*_PROP_TYPES, "at"]
    leads = draw(st.lists(st.fixed_dictionaries({name: _column(types[name]) for name in fields}), min_size=1, max_size=4))
    acts = draw(st.lists(st.tuples(st.integers(0, len(leads) - 1), st.sampled_from(["visit", "call"]),
                                   st.fixed_dictionaries({name: _column(types[name]) for name in props})),
                         max_size=8))
    return {"types": types, "leads": leads, "acts": acts, "fields": fields, "props": props}


def _make(con, t: dict, as_text: bool) -> None:
    """Tables `leads` and `activities` of `t`: typed, or every cell cast to its text in this session."""
    def cell(value: str, sql_type: str) -> str:
        typed = f"CAST({value} AS {sql_type})"
        return f"CAST({typed} AS VARCHAR)" if as_text else typed

    ty = t.get("types")
    fields, props = t.get("fields", list("nibd")), t.get("props", ["at", "m", "ok", "seen"])
    rows = [f"SELECT 'L{i}' AS id, " + ", ".join(f"{cell(lead[n], ty[n])} AS {n}" for n in fields)
            for i, lead in enumerate(t["leads"])]
    con.execute("CREATE OR REPLACE TABLE leads AS " + " UNION ALL ".join(rows))
    rows = [f"SELECT 'L{lead}' AS lead_id, '{kind}' AS type, {j} AS seq, "
            + ", ".join(f"{cell(values[n], ty[n])} AS \"{n}\"" for n in props)
            for j, (lead, kind, values) in enumerate(t["acts"])]
    if not rows:  # an empty activities table of the same columns
        rows = ["SELECT 'L0' AS lead_id, 'visit' AS type, 0 AS seq, "
                + ", ".join(f"{cell('NULL', ty[n])} AS \"{n}\"" for n in props) + " LIMIT 0"]
    con.execute("CREATE OR REPLACE TABLE activities AS " + " UNION ALL ".join(rows))


def _read(con, policy) -> list:
    """The rows of the query's CTEs lp_lead (each lead's values and errors) and lp_act (each
    activity's) for the tables `leads` and `activities` of this connection, typed where known:
    (which, row, seq, the row as JSON text: exact for doubles, -0.0 included)."""
    from leadpolicy.backends.sql.engines import column_types
    from leadpolicy.backends.sql.inputs import Mapping

    types = column_types(con, Mapping(order="seq", stage=None), None, None)
    key = tuple(tuple(sorted(table.items())) for table in types)  # (hashable: the cache's key)
    return con.execute(_probe(policy, key), {"as_of": AS_OF}).fetchall()


@functools.lru_cache(maxsize=None)
def _probe(policy, types: tuple) -> str:
    """The query reading the tables (column types `types`, each table's as sorted pairs) up to its CTEs lp_lead and
    lp_act, in one statement (DuckDB plans the long query in about 0.3 s)."""
    from leadpolicy.backends.sql import build
    from leadpolicy.backends.sql.fragments import generate, sqlglot
    from leadpolicy.backends.sql.inputs import Mapping, Relational

    shape = Relational(Mapping(order="seq", stage=None), column_types=(dict(types[0]), dict(types[1])))
    tree = build(policy.tree, shape, dialect="duckdb")
    probe = sqlglot.parse_one("SELECT 0 AS w, lp_row, 0 AS lp_seq, CAST(TO_JSON(l) AS VARCHAR) FROM lp_lead AS l"
                              " UNION ALL SELECT 1, lp_row, lp_seq, CAST(TO_JSON(a) AS VARCHAR) FROM lp_act AS a", read="duckdb")
    probe.set("with_", tree.args["with_"])
    return f"SELECT * FROM ({generate(probe, 'duckdb', pretty=False)}) ORDER BY 1, 2, 3"


@pytest.fixture(scope="module")
def policy():
    return leadpolicy.loads(POLICY)


@pytest.fixture(scope="module")
def wide():
    return leadpolicy.loads(WIDE)


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/St_Johns"])
@settings(max_examples=int(os.environ.get("LEADPOLICY_TYPED_EXAMPLES", "15")), deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # (no shrinking: each example runs queries; the failure shows it whole)
@given(t=_tables())
def test_typed_cells_read_as_their_text(wide, zone: str, t: dict) -> None:
    typed, text = duckdb.connect(), duckdb.connect()
    # the typed tables read in a session of `zone`; the text, written in UTC: a TIMESTAMPTZ is
    # its instant whatever the session's zone (whose text, in a zone with an offset of
    # seconds in its past, would be a data error)
    typed.execute(f"SET TimeZone = '{zone}'")
    text.execute("SET TimeZone = 'UTC'")
    _make(typed, t, as_text=False)
    _make(text, t, as_text=True)
    got, want = _read(typed, wide), _read(text, wide)
    assert len(got) == len(want) == len(t["leads"]) + len(t["acts"])
    for g, w in zip(got, want):
        assert g == w, (t, g, w)


def test_typed_columns_are_read_from_their_values(policy) -> None:
    """The typed path is taken (else the property above would hold of nothing): the query over
    typed tables reads the typed columns, and none over text."""
    from leadpolicy.backends.sql.engines import column_types, duckdb_query

    con = duckdb.connect()
    t = {"types": {"n": "DOUBLE", "i": "BIGINT", "b": "BOOLEAN", "d": "DATE", "at": "TIMESTAMP WITH TIME ZONE",
                   "m": "INTEGER", "ok": "BOOLEAN", "seen": "TIMESTAMP"},
         "leads": [{"n": "1.5", "i": "3", "b": "TRUE", "d": "DATE '2026-11-01'"}],
         "acts": [(0, "visit", {"at": "TIMESTAMPTZ '2026-11-20 10:00:00+00'", "m": "4", "ok": "FALSE",
                                "seen": "TIMESTAMP '2026-11-01 00:00:00'"})]}
    _make(con, t, as_text=False)
    query = duckdb_query(policy, con=con)
    for name in ("lp_fy_0", "lp_fy_1", "lp_fy_2", "lp_fy_3", "lp_at_y", "lp_py_0", "lp_py_1", "lp_py_2"):
        assert name in query
    assert column_types(con, None, None, None)[1]["at"] == "TIMESTAMP WITH TIME ZONE"
    text = duckdb.connect()
    _make(text, t, as_text=True)
    assert "lp_at_y" not in duckdb_query(policy, con=text)


def test_a_typed_parquet_run_decides_as_its_text(policy, tmp_path) -> None:
    """score_duckdb over typed Parquet files equals the run over the same tables as text, and
    the Python engine on the same leads."""
    from leadpolicy.sql import score_duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT 'L' || i AS id, NULL::VARCHAR AS stage, (i * 37 % 250)::DOUBLE AS n,"
                " (i % 5)::BIGINT AS i, i % 3 = 0 AS b, DATE '2026-10-01' + (i % 60)::INT AS d FROM range(200) t(i)")
    con.execute("CREATE TABLE activities AS SELECT 'L' || (j % 200) AS lead_id, CASE WHEN j % 3 = 0 THEN 'call' ELSE 'visit' END AS type,"
                " TIMESTAMPTZ '2026-11-21 12:00:00+00' - to_seconds(j * 7919 % 8000000) AS at, (j % 17)::INTEGER AS m,"
                " j % 2 = 0 AS ok, NULL::TIMESTAMP AS seen FROM range(3000) t(j)")
    typed, text = tmp_path / "typed", tmp_path / "text"
    typed.mkdir()
    text.mkdir()
    for table in ("leads", "activities"):
        con.execute(f"COPY {table} TO '{typed / table}.parquet' (FORMAT parquet)")
        con.execute(f"COPY (SELECT COLUMNS(*)::VARCHAR FROM {table}) TO '{text / table}.parquet' (FORMAT parquet)")
    runs = []
    for folder in (typed, text):
        relation = score_duckdb(policy, duckdb.connect(), leads=str(folder / "leads.parquet"),
                                activities=str(folder / "activities.parquet"), as_of=AS_OF)
        runs.append(relation.fetchall())
    assert runs[0] == runs[1]
    assert {row[1] for row in runs[0]} == {"lead", "mql"}  # both stages reached: the data means something
    leads = [{"id": f"L{i}", "fields": {"n": float(i * 37 % 250), "i": i % 5, "b": i % 3 == 0,
                                         "d": (dt.date(2026, 10, 1) + dt.timedelta(days=i % 60)).isoformat()},
              "activities": []} for i in range(200)]
    for j in range(3000):
        at = dt.datetime(2026, 11, 21, 12, tzinfo=dt.timezone.utc) - dt.timedelta(seconds=j * 7919 % 8000000)
        leads[j % 200]["activities"].append({"type": "call" if j % 3 == 0 else "visit",
                                             "at": at.isoformat().replace("+00:00", "Z"), "m": j % 17, "ok": j % 2 == 0})
    for lead in leads:  # in the tables' order: by `at`
        lead["activities"].sort(key=lambda a: a["at"])
    for lead, row in zip(sorted(leads, key=lambda lead: lead["id"]), runs[0]):
        decision = policy.evaluate(lead["fields"], lead["activities"], as_of=AS_OF)
        assert (row[0], row[1], row[4], row[5]) == (lead["id"], decision.stage, decision.engagement, decision.fit)
