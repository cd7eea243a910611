"""A warehouse table rarely has a column for every declared field and property. The
relational shape names every column it lacks at once (DuckDB and Spark name the first), with
the mapping that fixes it in the user's names; and a mapping may say a table has no such
column (`null`): every value of it is then missing, as a key absent from every JSON lead,
and the decisions equal the Python engine's on JSON Lines without those keys."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from support.backends import relational_files

import leadpolicy
from leadpolicy.backends.sql.inputs import Mapping, missing_columns
from leadpolicy.cli import main

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pa = pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"
DROPPED_LEADS = ("stage", "created")
DROPPED_ACTS = ("campaign", "title")


def run(*args: str) -> tuple[int, str, list[str]]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, [line for line in result.stderr.splitlines() if " scored in " not in line]


def narrow_tables(tmp_path: Path) -> tuple[Path, Path, dict, Path]:
    """relational_files without the stage and `created` columns (leads) and the `campaign`
    and `title` columns (activities); its mapping; and JSON Lines of the same leads without
    those keys (what the Python engine reads)."""
    import pyarrow.parquet as pq

    leads, acts, names, as_text = relational_files(tmp_path)
    narrow_leads, narrow_acts = tmp_path / "narrow-leads.parquet", tmp_path / "narrow-acts.parquet"
    pq.write_table(pq.read_table(leads).drop_columns(list(DROPPED_LEADS)), narrow_leads)
    pq.write_table(pq.read_table(acts).drop_columns(list(DROPPED_ACTS)), narrow_acts)
    without = []
    for line in as_text.read_text(encoding="utf-8").splitlines():
        lead = json.loads(line)
        del lead["stage"]
        del lead["fields"]["created"]
        for act in lead["activities"]:
            for prop in DROPPED_ACTS:
                del act[prop]
        without.append(json.dumps(lead))
    narrow_text = tmp_path / "narrow.jsonl"
    narrow_text.write_text("\n".join(without) + "\n", encoding="utf-8")
    return narrow_leads, narrow_acts, json.loads(names.read_text(encoding="utf-8")), narrow_text


def test_every_missing_column_is_named_with_the_mapping_that_fixes_it(tmp_path: Path) -> None:
    leads, acts, names, narrow_text = narrow_tables(tmp_path)
    names_file = tmp_path / "names.json"
    names_file.write_text(json.dumps(names), encoding="utf-8")
    code, out, err = run("score", str(ACME), str(leads), "--activities", str(acts), "--mapping", str(names_file),
                         "--as-of", AS_OF, "--engine", "duckdb")
    message = "\n".join(err)
    assert code == 2 and out == "" and "Traceback" not in message
    assert f"the leads table {leads} has no columns `stage`, `created`" in message
    assert f"the activities table {acts} has no columns `campaign`, `title`" in message
    assert "every lead is new" in message and "add to the mapping" in message  # a mapping was given
    suggested = json.loads(re.search(r"add to the mapping (\{.*\}) \(docs/sql\.md", message).group(1))
    assert suggested == {"stage": "your_column", "fields": {"created": None}, "props": {"campaign": None, "title": None}}
    # the suggestion taken (the stage mapped to null as the message offers): decisions and
    # error rows equal the Python engine's on the same leads without those keys
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**names, **suggested, "stage": None}), encoding="utf-8")
    got = run("score", str(ACME), str(leads), "--activities", str(acts), "--mapping", str(fixed), "--as-of", AS_OF,
              "--engine", "duckdb")
    expected = run("score", str(ACME), str(narrow_text), "--as-of", AS_OF)
    assert got == expected
    assert expected[0] == 1 and expected[1].count('"error"') == 4  # relational_files' bad cells but the stage's
    assert '"previous_stage": "' not in expected[1]  # no stage column: every lead is new


def test_without_a_mapping_the_message_says_to_write_one(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    leads, acts, names, _ = narrow_tables(tmp_path)
    plain_leads, plain_acts = tmp_path / "plain-leads.parquet", tmp_path / "plain-acts.parquet"
    pq.write_table(pq.read_table(leads).rename_columns(["id" if c == "lead_key" else c for c in pq.read_table(leads).column_names]),
                   plain_leads)
    table = pq.read_table(acts).drop_columns(["seq"])
    pq.write_table(table.rename_columns(["lead_id" if c == "lead_key" else c for c in table.column_names]), plain_acts)
    code, _, err = run("score", str(ACME), str(plain_leads), "--activities", str(plain_acts), "--as-of", AS_OF,
                       "--engine", "duckdb")
    assert code == 2 and '--mapping FILE with {"stage": "your_column", "fields": {"created": null}' in err[-1], err


def test_a_mapped_column_that_is_missing_is_named_as_mapped_and_fixed_by_its_declared_name(tmp_path: Path) -> None:
    leads, acts, names, _ = narrow_tables(tmp_path)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**names, "stage": None, "fields": {"created": "created_at"},
                                   "props": {"campaign": "utm_campaign", "title": None}, "at": "occurred_at"}), encoding="utf-8")
    code, _, err = run("score", str(ACME), str(leads), "--activities", str(acts), "--mapping", str(mapping), "--as-of", AS_OF,
                       "--engine", "duckdb")
    assert code == 2
    assert f"the leads table {leads} has no column `created_at`; the activities table {acts} has no columns" \
           " `occurred_at`, `utm_campaign`:" in err[-1]
    assert 'add to the mapping {"fields": {"created": null}, "at": "your_column", "props": {"campaign": null}}' in err[-1]


def test_diff_reads_a_table_without_the_column_too(tmp_path: Path) -> None:
    leads, acts, names, narrow_text = narrow_tables(tmp_path)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(json.dumps({**names, "stage": None, "fields": {"created": None},
                                 "props": {"campaign": None, "title": None}}), encoding="utf-8")
    december = ROOT / "docs" / "examples" / "acme-2026.12.policy"
    got = run("diff", str(ACME), str(december), "--leads", str(leads), "--activities", str(acts), "--mapping", str(fixed),
              "--as-of", AS_OF, "--engine", "duckdb", "--format", "json")
    expected = run("diff", str(ACME), str(december), "--leads", str(narrow_text), "--as-of", AS_OF, "--format", "json")
    leads_of = lambda out: {k: v for k, v in json.loads(out)["leads"].items() if k != "source"}  # noqa: E731
    assert got[0] == expected[0] == 0 and leads_of(got[1]) == leads_of(expected[1])
    assert leads_of(got[1])["errors"]  # the bad cells are there, as in the Python replay
    # without the nulls: every missing column of both versions' union, named at once
    code, _, err = run("diff", str(ACME), str(december), "--leads", str(leads), "--activities", str(acts), "--as-of", AS_OF,
                       "--engine", "duckdb")
    assert code == 2 and "has no columns `lead_key`, `stage`, `created`" not in err[-1]
    assert f"the leads table {leads} has no columns `id`, `stage`, `created`" in err[-1], err


def test_the_python_api_and_every_dialect_take_a_null_column() -> None:
    import duckdb

    policy = leadpolicy.load(ACME)
    mapping = {"stage": None, "fields": {"created": None, "budget": "annual_budget"}, "props": {"title": None}}
    assert Mapping.from_dict(mapping).fields == {"created": None, "budget": "annual_budget"}
    for dialect in ("duckdb", "spark", "postgres", "snowflake", "bigquery"):
        sql = policy.to_sql(dialect=dialect, mapping=mapping)
        assert sqlglot.parse_one(sql, read=dialect) is not None
        assert re.search(r'lp_l["`]\.["`]annual_budget', sql) and not re.search(r'lp_l["`]\.["`](created|stage)\b', sql)
        assert re.search(r'lp_a["`]\.["`]minutes', sql) and not re.search(r'lp_a["`]\.["`]title\b', sql)
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT 'L1' AS id, '5000' AS annual_budget, 'vp' AS seniority, 'saas' AS industry,"
                " 'x@y.example' AS email, '800' AS company_size, '30' AS timeline_days, 'open' AS sales_status,"
                " 'false' AS is_customer")
    con.execute("""CREATE TABLE activities AS SELECT 'L1' AS lead_id, 'webinar' AS type, '2026-11-20' AS "at",
                   NULL AS path, NULL AS form, NULL AS campaign, '45' AS minutes""")
    from leadpolicy.sql import score_duckdb

    (row,) = score_duckdb(policy, con, as_of=AS_OF, mapping=mapping).fetchall()
    expected = policy.evaluate({"budget": "5000", "seniority": "vp", "industry": "saas", "email": "x@y.example",
                                "company_size": "800", "timeline_days": "30", "sales_status": "open", "is_customer": "false"},
                               [{"type": "webinar", "at": "2026-11-20", "minutes": "45"}], as_of=AS_OF)
    assert (row[0], row[1], row[2], row[4], row[5]) == ("L1", expected.stage, None, expected.engagement, expected.fit)


def test_the_message_without_probing_names_the_one_column() -> None:
    said = missing_columns(("the leads table a.parquet", "the activities table b.parquet"), [(False, "minutes")], None)
    assert said.startswith("the activities table b.parquet has no column `minutes`:")
    assert '--mapping FILE with {"props": {"minutes": null}}' in said


def test_a_missing_column_that_cannot_be_null_is_not_offered_null() -> None:
    # `lead_id`, `id`, `type` and `at` cannot be mapped to null: the message said "or map it to
    # null where the table has none" of them too
    alone = missing_columns(("the leads table l.parquet", "the activities table a.parquet"), [(False, "lead_id")], None)
    assert "map it to null" not in alone
    assert "name the column that holds it in a mapping (the query cannot decide a lead without it)" in alone
    both = missing_columns(("the leads table l.parquet", "the activities table a.parquet"),
                           [(False, "lead_id"), (False, "campaign")], None)
    assert "map it to null where the table has none" in both
    assert "`lead_id` cannot be null: the query cannot decide a lead without it" in both
    assert both.endswith('--mapping FILE with {"lead_id": "your_column", "props": {"campaign": null}} '
                         '(docs/sql.md, "Names: the mapping")')


def test_score_duckdb_names_every_missing_column_in_the_callers_names() -> None:
    """score_duckdb on a user's own tables said DuckDB's first binder error, in the query's own
    alias: `Table "lp_l" does not have a column named "budget"`, no table of the caller's, no fix.
    Now a ValueError names every column each input lacks, and the mapping= that fixes them."""
    import duckdb

    from leadpolicy.sql import score_duckdb

    policy = leadpolicy.load(ACME)
    con = duckdb.connect()
    con.execute("CREATE TABLE crm_leads AS SELECT 'L1' AS id, NULL AS stage, 'vp' AS seniority, 'x@y.example' AS email")
    con.execute("""CREATE VIEW crm_events AS SELECT 'L1' AS lead_id, 'webinar' AS type, '2026-11-20' AS "at",
                   NULL AS path, NULL AS form, NULL AS campaign, '45' AS minutes""")
    absent = "'company_size': None, 'industry': None, 'budget': None, 'timeline_days': None, 'sales_status': None, " \
             "'is_customer': None, 'created': None"
    with pytest.raises(ValueError) as raised:
        score_duckdb(policy, con, leads="crm_leads", activities="crm_events", as_of=AS_OF)
    said = str(raised.value)
    assert said.startswith("the leads table crm_leads has no columns `company_size`, `industry`, `budget`, "), said
    assert "; the activities table crm_events has no column `title`:" in said
    assert said.endswith(f"mapping={{'fields': {{{absent}}}, 'props': {{'title': None}}}} "
                         '(docs/sql.md, "Names: the mapping")')
    # a relation, with a mapping of the caller's: named as a relation, the fix added to that mapping
    with pytest.raises(ValueError) as raised:
        score_duckdb(policy, con, leads=con.table("crm_leads"), activities=con.table("crm_events"), as_of=AS_OF,
                     mapping={"props": {"title": None}})
    said = str(raised.value)
    assert said.startswith("the leads relation has no columns `company_size`,") and "activities" not in said.split(":")[0]
    assert said.endswith(f"add to mapping= {{'fields': {{{absent}}}}} (docs/sql.md, \"Names: the mapping\")")
    # the fix it offers works
    fields = {name: None for name in ("company_size", "industry", "budget", "timeline_days", "sales_status",
                                      "is_customer", "created")}
    (row,) = score_duckdb(policy, con, leads="crm_leads", activities="crm_events", as_of=AS_OF,
                          mapping={"fields": fields, "props": {"title": None}}).fetchall()
    assert row[0] == "L1" and row[-1] is None
