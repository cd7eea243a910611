"""The SQL back end inside a data engineer's pipeline: `leadpolicy.sql.score_duckdb` on the
user's own connection and relations, `score --engine duckdb` over warehouse tables as they come
(ids of any type, options that go with another input), `compile --target sql` with a mapping.
Real DuckDB, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

import leadpolicy
import leadpolicy.sql

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"


def _crm(con) -> None:
    """Three leads (L-1, L-2, L-3), each with a demo request, in `con`'s tables leads and activities."""
    con.execute("CREATE TABLE leads AS SELECT * FROM (VALUES ('L-1', 'vp'), ('L-2', 'ic'), ('L-3', 'cxo')) t(id, seniority)")
    con.execute("CREATE TABLE activities AS SELECT id AS lead_id, 'form_submit' AS type, '2026-11-20T09:00:00Z' AS \"at\","
                " 'demo' AS form FROM leads")


NULL_MAPPING = {"stage": None, "props": {name: None for name in ("path", "campaign", "title", "minutes")},
                "fields": {name: None for name in ("email", "company_size", "industry", "budget", "timeline_days",
                                                   "sales_status", "is_customer", "created")}}


def test_relations_are_read_where_they_are_and_leave_the_database_as_it_was(tmp_path: Path) -> None:
    # each relation was made a view `lp_input_leads` in the user's database: the next call replaced
    # it, under the relation returned before (which then decided the other call's leads), and a
    # read-only connection refused it
    path = str(tmp_path / "crm.duckdb")
    con = duckdb.connect(path)
    _crm(con)
    policy = leadpolicy.load(ACME)
    acts = con.sql("SELECT * FROM activities")
    first = leadpolicy.sql.score_duckdb(policy, con, leads=con.sql("SELECT * FROM leads WHERE id = 'L-1'"),
                                        activities=acts, as_of=AS_OF, mapping=NULL_MAPPING)
    second = leadpolicy.sql.score_duckdb(policy, con, leads=con.sql("SELECT * FROM leads WHERE id <> 'L-1'"),
                                         activities=acts, as_of=AS_OF, mapping=NULL_MAPPING)
    assert [row[0] for row in first.fetchall()] == ["L-1"]
    assert [row[0] for row in second.fetchall()] == ["L-2", "L-3"]
    con.close()
    read_only = duckdb.connect(path, read_only=True)
    assert read_only.sql("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall() == [("activities",), ("leads",)]
    decided = leadpolicy.sql.score_duckdb(policy, read_only, leads=read_only.sql("FROM leads"),
                                          activities=read_only.sql("FROM activities"), as_of=AS_OF, mapping=NULL_MAPPING)
    assert len(decided.fetchall()) == 3
    with pytest.raises(ValueError, match="another DuckDB connection"):
        leadpolicy.sql.score_duckdb(policy, read_only, leads=duckdb.connect().sql("SELECT 1 AS id"),
                                    activities=read_only.sql("FROM activities"), mapping=NULL_MAPPING)
