"""A field named like one of the lead's own data errors (`type`, `lead`, `json`, `as_of`,
`previous_stage`) keeps its own error in the SQL query's `error` column: the query codes a
field's error `f:NAME` (hits.FIELD_ERROR), so a bad `type` field is not reported as "an
activity has no text `type`", nor a bad `lead` field as "the lead is not a JSON object" with
no field (found in Postgres by the generated differential test, session 10; DuckDB and every
dialect share the query). Real DuckDB and, where it can start, a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import leadpolicy

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytest.importorskip("sqlglot")

from support.backends import Case, assert_agree, run_reference_relational  # noqa: E402
from support.postgres import run_postgres  # noqa: E402

AS_OF = "2026-11-22T00:00:00Z"

NAMES = ("type", "lead", "json", "as_of", "previous_stage")
POLICY = ('policy "Error codes" version "1"\nfields {\n' + "".join(f"  {name} number\n" for name in NAMES)
          + '}\nstages {\n  cold\n  warm when type > 1\n}\n')


def _leads() -> list[dict]:
    return [{"id": name, "fields": {name: "lots"}, "activities": []} for name in NAMES] + [
        {"id": "ok", "fields": {"type": 2}, "activities": []}]


def test_each_field_keeps_its_own_error_in_duckdb(tmp_path: Path) -> None:
    from leadpolicy.sql import score_duckdb

    policy = leadpolicy.loads(POLICY)
    path = tmp_path / "leads.jsonl"
    path.write_text("".join(json.dumps(lead) + "\n" for lead in _leads()), encoding="utf-8")
    relation = score_duckdb(policy, duckdb.connect(), leads=str(path), as_of=AS_OF)
    at = relation.columns.index("error")
    errors = {row[0]: row[at] for row in relation.fetchall()}
    for name in NAMES:
        assert json.loads(errors[name]) == {"field": name, "message": f"field `{name}`: cannot be read as its declared type"}
        with pytest.raises(leadpolicy.LeadDataError) as raised:  # the Python engine names the same field
            policy.evaluate({name: "lots"}, as_of=AS_OF)
        assert raised.value.field == name
    assert errors["ok"] is None


@pytest.mark.postgres
def test_each_field_keeps_its_own_error_in_postgres(postgres) -> None:
    case = Case(leadpolicy.loads(POLICY), [json.dumps(lead) for lead in _leads()], AS_OF)
    assert_agree("postgres", run_postgres(case, postgres), run_reference_relational(case), case)
