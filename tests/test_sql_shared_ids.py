"""A leads table whose ids do not each name one lead (the relational shape, `score --engine duckdb`).

The activities find their lead by id: two rows of one id are each decided with every activity
of that id, a row without an id with none. Every row is still decided (one output row each);
the summary says so, where it said nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"


def _tables(tmp_path: Path, ids: list) -> tuple[Path, Path, Path]:
    """Parquet leads with these ids, each with a demo request for its id, and the same in a database."""
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    rows = " UNION ALL ".join(f"SELECT {json.dumps(i).replace(chr(34), chr(39)) if i is not None else 'NULL'} AS id, "
                              f"'vp' AS seniority, {n} AS lp_n" for n, i in enumerate(ids))
    con.execute(f"CREATE TABLE leads AS SELECT id, seniority FROM ({rows}) ORDER BY lp_n")
    con.execute("CREATE TABLE activities AS SELECT DISTINCT id AS lead_id, 'form_submit' AS type,"
                " '2026-11-20T09:00:00Z' AS \"at\", 'demo' AS form FROM leads WHERE id IS NOT NULL")
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    con.execute(f"COPY leads TO '{leads}' (FORMAT parquet)")
    con.execute(f"COPY activities TO '{acts}' (FORMAT parquet)")
    con.close()
    return leads, acts, tmp_path / "crm.duckdb"


def _score(*args: str) -> tuple[int, list[dict], list[str]]:
    result = CliRunner().invoke(main, ["score", str(ACME), *args, "--as-of", AS_OF, "--engine", "duckdb"], catch_exceptions=False)
    notes = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("note:")]
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()], notes


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"stage": None, "props": {name: None for name in ("path", "campaign", "title", "minutes")},
                                "fields": {name: None for name in ("email", "company_size", "industry", "budget",
                                                                   "timeline_days", "sales_status", "is_customer", "created")}}))
    return path


@pytest.mark.parametrize("kind", ["parquet", "database"])
def test_shared_and_missing_ids_are_decided_and_named(tmp_path: Path, mapping: Path, kind: str) -> None:
    leads, acts, db = _tables(tmp_path, ["L-1", "L-2", "L-2", None, "L-3", "L-3", "L-3"])
    inputs = [str(leads), "--activities", str(acts)] if kind == "parquet" else [str(db)]
    code, rows, notes = _score(*inputs, "--mapping", str(mapping))
    assert code == 0
    assert len(rows) == 7  # every row decided
    assert [row["id"] for row in rows] == [None, "L-1", "L-2", "L-2", "L-3", "L-3", "L-3"]  # (ordered by id)
    # each row of a shared id counts the one demo of that id; the row without an id has none
    assert [row["engagement"] for row in rows] == [0, 100, 100, 100, 100, 100, 100]
    assert notes == ['note: 2 ids of the leads table are on more than one row (5 rows; e.g. "L-2"): each such row is'
                     " decided with every activity of its id",
                     "note: 1 row of the leads table has no id: decided with no activities"]


def test_ids_that_each_name_one_lead_get_no_note(tmp_path: Path, mapping: Path) -> None:
    leads, acts, _ = _tables(tmp_path, ["L-1", "L-2", "L-3"])
    code, rows, notes = _score(str(leads), "--activities", str(acts), "--mapping", str(mapping))
    assert (code, len(rows), notes) == (0, 3, [])
