"""Golden files for the generated SQL: tests/golden/sql/golden.policy (small, one of most
constructs) compiled for every dialect, and as a dbt model, must equal the files beside it.
A change to the SQL compiler shows in review as a diff of these files, dialect by dialect,
as a change to the Python compiler shows in tests/golden/acme_policy.py. Rewrite them with
LEADPOLICY_UPDATE_GOLDEN=1 and read the diff. Each one also parses back with sqlglot and,
for DuckDB, runs (tests/test_sql_dialects.py runs every dialect's parse; the differential
tests the decisions)."""

from __future__ import annotations

from pathlib import Path

import pytest

import leadpolicy

sqlglot = pytest.importorskip("sqlglot", reason="pip install 'leadpolicy[sql]'")

GOLDEN = Path(__file__).parent / "golden" / "sql"
POLICY = leadpolicy.load(GOLDEN / "golden.policy")
DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_query_of_every_dialect(golden, dialect: str) -> None:
    text = POLICY.to_sql(dialect=dialect)
    golden(GOLDEN / f"golden.{dialect}.sql", text)
    assert sqlglot.parse_one(text, read=dialect) is not None


def test_the_dbt_model(golden) -> None:
    text = POLICY.to_sql(dialect="duckdb", dbt=True, leads_ref="stg_leads", activities_ref="source:crm.events")
    golden(GOLDEN / "golden.dbt.sql", text)
    assert "{{ ref('stg_leads') }}" in text and "{{ source('crm', 'events') }}" in text


def test_the_duckdb_golden_runs() -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT 'L-1' AS id, NULL AS stage, 'pat@bigco.example' AS email, '5000' AS budget,"
                " 'large' AS tier, '2026-10-01' AS signed, 'yes' AS vip")
    con.execute("CREATE TABLE activities AS SELECT 'L-1' AS lead_id, 'demo' AS type, '2026-11-20T10:00:00Z' AS \"at\","
                " '45' AS minutes, NULL AS path")
    sql = (GOLDEN / "golden.duckdb.sql").read_text(encoding="utf-8")
    row = con.execute(sql, {"as_of": "2026-11-22T00:00:00Z"}).fetchone()
    names = [d[0] for d in con.description]
    decided = dict(zip(names, row))
    expected = POLICY.evaluate({"email": "pat@bigco.example", "budget": "5000", "tier": "large", "signed": "2026-10-01",
                                "vip": "yes"}, [{"type": "demo", "at": "2026-11-20T10:00:00Z", "minutes": "45"}],
                               as_of="2026-11-22T00:00:00Z")
    assert (decided["stage"], decided["engagement"], decided["fit"], decided["grade"]) == (
        expected.stage, expected.engagement, expected.fit, expected.grade) == ("sql", 10.0, 8.0, "A")


# Policy text may hold any character but a line break in a string: a tab, U+0085, U+2028, a
# control character. The query holds them as code (CHR(n), or an escape), so that reading the
# query file with universal newlines, or an editor removing "unusual line terminators", does not
# change a literal (the golden files themselves were read back changed, \r as \n, before).
ODD = "\t\x0b\x0c\x1c\x85\u2028\u2029\x01\x7f\xa0"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_query_holds_no_line_separator_or_control_character(dialect: str) -> None:
    hostile = leadpolicy.loads(
        'policy "p' + ODD + '" version "1"\nfields {\n  email text\n  tier one of (gold, "a' + ODD + 'b")\n}\n'
        'stages {\n  lead\n  mql when email = "x' + ODD + 'y" or tier = "a' + ODD + 'b"\n}\n'
        'fit {\n  "odd' + ODD + '": +5 when email ends with "' + ODD + '"\n}\n')
    for text in (POLICY.to_sql(dialect=dialect), hostile.to_sql(dialect=dialect)):
        odd = sorted({f"U+{ord(ch):04X}" for ch in text if ch != "\n" and (ch < " " or "\x7f" <= ch <= "\xa0" or ch in "\u2028\u2029")})
        assert odd == [], odd
        assert text.splitlines() == text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def test_odd_characters_in_policy_literals_still_decide_as_python_in_duckdb() -> None:
    duckdb = pytest.importorskip("duckdb")
    hostile = leadpolicy.loads(
        'policy "p" version "1"\nfields {\n  email text\n  tier one of (gold, "a' + ODD + 'b")\n}\n'
        'stages {\n  lead\n  mql when fit >= 5\n}\n'
        'fit {\n  "odd": +5 when email ends with "z' + ODD + '" or tier = "a' + ODD + 'b"\n}\n')
    con = duckdb.connect()
    con.execute("CREATE TABLE leads (id VARCHAR, stage VARCHAR, email VARCHAR, tier VARCHAR)")
    rows = [("1", None, "pz" + ODD, None), ("2", None, None, "a" + ODD + "B"), ("3", None, "z" + ODD + "q", "gold")]
    con.executemany("INSERT INTO leads VALUES (?, ?, ?, ?)", rows)
    con.execute("CREATE TABLE activities (lead_id VARCHAR, type VARCHAR, \"at\" VARCHAR)")
    got = con.execute(hostile.to_sql(dialect="duckdb"), {"as_of": "2026-11-22T00:00:00Z"}).fetchall()
    stages = [row[1] for row in got]
    expected = [hostile.evaluate({"email": r[2], "tier": r[3]}, as_of="2026-11-22").stage for r in rows]
    assert stages == expected
