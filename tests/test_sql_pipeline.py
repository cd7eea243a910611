"""The SQL back end inside a data engineer's pipeline: `leadpolicy.sql.score_duckdb` on the
user's own connection and relations, `score --engine duckdb` over warehouse tables as they come
(ids of any type, options that go with another input), `compile --target sql` with a mapping.
Real DuckDB, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import leadpolicy
import leadpolicy.sql
from leadpolicy.cli import main

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


def _score(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["score", str(ACME), *args, "--as-of", AS_OF])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(("sql_type", "values", "written"), [
    ("UUID", ("'6f1c1a2e-0000-4000-8000-000000000001'", "'6f1c1a2e-0000-4000-8000-000000000002'"),
     ["6f1c1a2e-0000-4000-8000-000000000001", "6f1c1a2e-0000-4000-8000-000000000002"]),
    ("DECIMAL(38,0)", ("1001", "1002"), [1001, 1002]),
    ("DECIMAL(10,2)", ("10.50", "10.75"), ["10.50", "10.75"]),
    ("BLOB", ("'L-1'", "'L-2'"), ["L-1", "L-2"]),
    ("DATE", ("'2026-11-20'", "'2026-11-21'"), ["2026-11-20", "2026-11-21"]),
])
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_an_id_of_any_column_type_is_written(tmp_path: Path, sql_type: str, values: tuple[str, str], written: list[object],
                                             fmt: str) -> None:
    # a UUID, DECIMAL or BLOB id (warehouse exports are full of them) stopped JSON Lines and CSV
    # output with "internal error: Object of type UUID is not JSON serializable"
    con = duckdb.connect()
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    rows = f"(VALUES ({values[0]}, '20000'), ({values[1]}, 'lots')) t(v, budget)"  # the second lead has a data error
    con.execute(f"COPY (SELECT CAST(v AS {sql_type}) AS id, 'vp' AS seniority, budget FROM {rows}) TO '{leads}'")
    con.execute(f"COPY (SELECT CAST(v AS {sql_type}) AS lead_id, 'form_submit' AS type, '2026-11-20T09:00:00Z' AS \"at\","
                f" 'demo' AS form FROM {rows}) TO '{acts}'")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**NULL_MAPPING, "fields": {k: v for k, v in NULL_MAPPING["fields"].items() if k != "budget"}}))
    code, out, _ = _score(str(leads), "--activities", str(acts), "--mapping", str(mapping), "--format", fmt, "--engine", "duckdb")
    assert code == 1
    message = f"lead {written[1]}: field `budget`: cannot read `lots` as a number"  # the Python engine's words
    if fmt == "jsonl":
        decided = [json.loads(line) for line in out.splitlines()]
        assert [row["id"] for row in decided] == written
        assert decided[0]["stage"] == "sql" and decided[1]["error"]["message"] == message
    else:
        lines = out.splitlines()[1:]
        assert [line.split(",")[0] for line in lines] == [str(w) for w in written]
        assert lines[0].split(",")[1] == "sql" and lines[1].endswith(message)


@pytest.mark.parametrize("command", ["compile", "score", "diff"])
@pytest.mark.parametrize(("text", "said", "status"), [
    ("[1]", "mapping.json: a mapping is a JSON object of names", 2),
    ("{bad", 'mapping.json:1:2\n  |\n1 | {bad\n  |  ^\n  = help: a key is a string in double quotes: write "bad"', 2),
    ('{"feilds": {}}', "mapping.json: unknown mapping keys: feilds", 2),
    # JSON keeps a repeated key's last value: the first `fields` was dropped without a word
    ('{"fields": {"budget": null}, "fields": {}}', "mapping.json: `fields` is written twice in one object, and JSON keeps", 2),
    ('{"fields": {"budget": null, "budget": "b"}}', "mapping.json: `budget` is written twice in one object", 2),
    (None, "no such file: ", 2),
    ("", "mapping.json is empty: a mapping is a JSON object", 1),
])
def test_a_mapping_that_cannot_be_used_is_said_alike_by_every_command(tmp_path: Path, command: str, text: str | None,
                                                                         said: str, status: int) -> None:
    # compile stopped with "internal error: AttributeError: 'list' object has no attribute 'fields'"
    # for a mapping that is not an object, and named no file for the others; a missing file was
    # "cannot read the mapping m.json: [Errno 2] No such file or directory: 'm.json'"
    mapping = tmp_path / "mapping.json"
    if text is not None:
        mapping.write_text(text)
    con = duckdb.connect()
    _crm(con)
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    con.execute(f"COPY leads TO '{leads}'")
    con.execute(f"COPY activities TO '{acts}'")
    args = {"compile": ["compile", str(ACME), "--target", "sql"],
            "score": ["score", str(ACME), str(leads), "--activities", str(acts), "--engine", "duckdb"],
            "diff": ["diff", str(ACME), str(ACME), "--leads", str(leads), "--activities", str(acts), "--engine", "duckdb"]}[command]
    result = CliRunner().invoke(main, [*args, "--mapping", str(mapping)])
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert result.exit_code == status
    assert said in result.stderr and "Traceback" not in result.stderr and "Errno" not in result.stderr


def test_the_python_api_refuses_a_mapping_that_is_not_one() -> None:
    policy = leadpolicy.load(ACME)
    with pytest.raises(ValueError, match="a mapping is a JSON object"):
        policy.to_sql(mapping=["crm.leads"])
    with pytest.raises(ValueError, match="a mapping is a JSON object"):
        leadpolicy.sql.score_duckdb(policy, duckdb.connect(), leads="leads", activities="activities", mapping="crm.leads")


@pytest.mark.parametrize(("args", "said"), [
    # the python engine read the CSV leads and left --activities aside: every lead without its activities, exit 0
    (["leads.csv", "--activities", "activities.csv"], "--activities goes with --engine duckdb or spark"),
    (["leads.jsonl", "--mapping", "mapping.json"], "--mapping goes with --engine duckdb or spark"),
    (["leads.jsonl", "--engine", "duckdb", "--mapping", "mapping.json"], "--mapping names the tables and columns"),
    (["leads.jsonl", "--engine", "duckdb", "--leads-table", "crm.leads"], "--leads-table names a table of a DuckDB database"),
    (["leads.jsonl", "--engine", "duckdb", "--activities", "activities.csv"], "holds each lead's activities"),
    (["leads.parquet", "--engine", "duckdb", "--activities", "activities.csv", "--activities-table", "events"],
     "--activities-table names a table of a DuckDB database"),
    (["crm.duckdb", "--engine", "duckdb", "--activities", "activities.csv"], "name it with --activities-table"),
])
def test_an_option_the_run_would_ignore_is_a_usage_error(tmp_path: Path, args: list[str], said: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    _crm(con)
    con.execute("COPY leads TO 'leads.parquet'")
    con.execute("COPY leads TO 'leads.csv'")
    con.execute("COPY activities TO 'activities.csv'")
    con.close()
    (tmp_path / "leads.jsonl").write_text('{"id": "L-1", "fields": {"seniority": "vp"}}\n')
    (tmp_path / "mapping.json").write_text(json.dumps(NULL_MAPPING))
    code, out, err = _score(*args)
    assert (code, out) == (2, "")
    assert said in err


@pytest.mark.parametrize("name", ["leads.txt", "export"])
def test_json_lines_of_any_name_are_read_by_the_duckdb_engine(tmp_path: Path, name: str) -> None:
    # the python engine reads JSON Lines whatever the file's name; the duckdb engine took any other
    # name for a table: "duckdb cannot read it: Binder Error: No extension found that is capable of
    # reading the file"
    data = tmp_path / name
    data.write_bytes((ROOT / "policies" / "acme.leads.jsonl").read_bytes())
    python = _score(str(data), "-q")
    duck = _score(str(data), "-q", "--engine", "duckdb")
    assert duck == python and python[0] == 0 and python[1].count("\n") == 60


@pytest.mark.parametrize(("name", "text", "args", "said"), [
    # --engine duckdb read contacts.txt as JSON Lines (every line an error row) and c.csv with the
    # delimiter of its header, whatever --input-format and --delimiter said
    ("contacts.txt", "id,seniority\nL-1,vp\n", ["--input-format", "csv"], "name it .csv, or use --engine python"),
    ("leads.csv", '{"id": "L-1"}\n', ["--input-format", "jsonl"], "name it .jsonl, or use --engine python"),
    ("leads.csv", "id;seniority\nL-1;vp\n", ["--delimiter", ","], "--delimiter is read by --engine python"),
    ("crm.duckdb", None, ["--input-format", "csv"], "drop --input-format"),
])
def test_the_python_engines_csv_options_are_refused_where_an_sql_engine_would_not_follow_them(
        tmp_path: Path, name: str, text: str | None, args: list[str], said: str) -> None:
    data = tmp_path / name
    if text is None:
        _crm(duckdb.connect(str(data)))
    else:
        data.write_text(text)
    code, out, err = _score(str(data), "--engine", "duckdb", *args)
    assert (code, out) == (2, "") and said in err


def test_the_python_engines_csv_options_that_agree_with_the_name_are_taken(tmp_path: Path) -> None:
    data = tmp_path / "leads.csv"
    data.write_text("id,seniority\nL-1,vp\n")
    assert _score(str(data), "--engine", "duckdb", "--input-format", "csv")[0] == 0


def test_compile_target_sql_onto_a_policy_file_says_it_would_write_sql(tmp_path: Path) -> None:
    # it said "would overwrite a policy file with Python: name the module FILE.py"
    result = CliRunner().invoke(main, ["compile", str(ACME), "--target", "sql", "-o", str(tmp_path / "acme.tests")])
    assert result.exit_code == 2
    assert result.stderr.endswith("would overwrite a policy file with an SQL query: name the query FILE.sql\n")


def test_dbt_says_which_input_needs_a_ref_when_the_mappings_table_is_not_a_model(tmp_path: Path) -> None:
    # it said "`crm.leads_snapshot` is not a dbt model name or source:SOURCE.TABLE" of a name the
    # user never gave as a ref
    mapping = tmp_path / "names.json"
    mapping.write_text(json.dumps({"leads_table": "crm.leads_snapshot", "activities_table": "crm.events"}))
    result = CliRunner().invoke(main, ["compile", str(ACME), "--dbt", "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert ("the mapping's leads_table `crm.leads_snapshot` is not a model name: give --leads-ref MODEL, "
            "or --leads-ref source:crm.leads_snapshot for a source") in result.stderr
    result = CliRunner().invoke(main, ["compile", str(ACME), "--dbt", "--mapping", str(mapping),
                                       "--leads-ref", "source:crm.leads_snapshot", "--activities-ref", "source:crm.events"])
    assert result.exit_code == 0
    assert "FROM {{ source('crm', 'leads_snapshot') }}" in result.stdout and "{{ source('crm', 'events') }}" in result.stdout


@pytest.mark.parametrize("option", ["--leads-ref", "--activities-ref"])
@pytest.mark.parametrize("given, meant", [
    ("crm.leads", "source:crm.leads"), ("prod.crm.leads", "source:crm.leads"), ("source:crm", "source:crm.TABLE"),
    ("ref('stg_leads')", "stg_leads"), ("{{ source('crm', 'leads') }}", "source:crm.leads"), ("stg leads", None),
])
def test_a_dbt_reference_that_is_no_name_is_one_line_with_the_one_meant(tmp_path: Path, option, given, meant) -> None:
    """A reference as a warehouse names a table (`crm.leads`) or as dbt writes one (`ref('x')`) was
    refused with the usage text around it and no word of what to write instead."""
    out = tmp_path / "model.sql"
    result = CliRunner().invoke(main, ["compile", str(ACME), "--dbt", option, given, "-o", str(out)])
    said = (f"error: Invalid value for {option}: `{given}` is not a dbt model name or source:SOURCE.TABLE (letters, "
            "digits and _ only)" + (f": write {meant}" if meant else "") + "\n")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", said)
    assert not out.exists()
    with pytest.raises(ValueError, match="is not a dbt model name"):  # the same words from Python
        leadpolicy.load(ACME).to_sql(dbt=True, **{option[2:].replace("-", "_"): given})


def test_a_mapped_name_the_policy_does_not_declare_is_warned_about(tmp_path: Path) -> None:
    # a misspelt field in the mapping was never read, without a word: `company_size` was read from
    # its own name (or said missing, as if the mapping had not named it)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**NULL_MAPPING, "fields": {**NULL_MAPPING["fields"], "company_sise": "employees"},
                                   "props": {**NULL_MAPPING["props"], "pth": None}}))
    con = duckdb.connect()
    _crm(con)
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    con.execute(f"COPY leads TO '{leads}'")
    con.execute(f"COPY activities TO '{acts}'")
    expected = ["warning: the mapping's `fields` names `company_sise`, which is no declared field of the policy, and is "
                "ignored: did you mean `company_size`?",
                "warning: the mapping's `props` names `pth`, which is no declared property of the policy, and is ignored: "
                "did you mean `path`?"]
    code, _, err = _score(str(leads), "--activities", str(acts), "--mapping", str(mapping), "--engine", "duckdb")
    assert code == 0 and err.splitlines()[:2] == expected
    assert _score(str(leads), "--activities", str(acts), "--mapping", str(mapping), "--engine", "duckdb", "-q")[2] == ""
    result = CliRunner().invoke(main, ["compile", str(ACME), "--target", "sql", "--mapping", str(mapping)])
    assert result.exit_code == 0 and result.stderr.splitlines()[:2] == expected


@pytest.mark.parametrize("as_of", ["not-a-date", "", "2026-02-30", 20261122])
def test_score_duckdb_refuses_an_as_of_it_cannot_read_as_evaluate_does(as_of: object) -> None:
    # every lead came back as an error row, {"field": "as_of", ...}, where evaluate raises
    policy = leadpolicy.load(ACME)
    con = duckdb.connect()
    _crm(con)
    with pytest.raises(leadpolicy.LeadDataError, match="as_of"):
        policy.evaluate({}, as_of=as_of)  # type: ignore[arg-type]
    with pytest.raises(leadpolicy.LeadDataError, match="as_of"):
        leadpolicy.sql.score_duckdb(policy, con, leads="leads", activities="activities", as_of=as_of, mapping=NULL_MAPPING)


CODES = '''policy "Codes" version "1"
fields {
  code  text
}
activities {
  visit  (page text)
}
stages {
  lead "Known"
  mql  "Marketing qualified" when fit >= 10
}
fit {
  "Agent code": +10 when code = "1.50"
}
'''


@pytest.mark.parametrize(("leads_name", "acts_name"), [("leads.tsv", "activities.tsv"), ("leads.txt", "activities.csv")])
def test_relational_csv_tables_of_any_name_are_read_as_text(tmp_path: Path, leads_name: str, acts_name: str) -> None:
    # a table named .tsv was read by DuckDB's own sniffing (`1.50` a DOUBLE, 1.5: no points), one
    # named .txt not at all ("Binder Error: No extension found that is capable of reading the file")
    policy = tmp_path / "codes.policy"
    policy.write_text(CODES)
    leads, acts = tmp_path / leads_name, tmp_path / acts_name
    leads.write_text("id\tcode\nL-1\t1.50\n" if leads_name.endswith(".tsv") else "id,code\nL-1,1.50\n")
    acts.write_text("lead_id\ttype\tat\tpage\nL-1\tvisit\t2026-11-20\t/\n" if acts_name.endswith(".tsv")
                    else "lead_id,type,at,page\nL-1,visit,2026-11-20,/\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"stage": null}')
    result = CliRunner().invoke(main, ["score", str(policy), str(leads), "--activities", str(acts), "--engine", "duckdb",
                                       "--mapping", str(mapping), "--as-of", AS_OF, "-q"])
    assert result.exit_code == 0, result.stderr
    decision = json.loads(result.stdout)
    assert (decision["id"], decision["stage"], decision["fit"]) == ("L-1", "mql", 10.0)


@pytest.mark.parametrize("empty", ["leads", "activities", "both"])
def test_an_empty_csv_table_is_a_table_with_no_rows(tmp_path: Path, empty: str) -> None:
    # DuckDB found no columns in an empty file, and the run stopped with every column "missing"
    con = duckdb.connect()
    _crm(con)
    leads, acts = tmp_path / "leads.csv", tmp_path / "activities.csv"
    con.execute(f"COPY leads TO '{leads}'")
    con.execute(f"COPY activities TO '{acts}'")
    for table in ((leads, acts) if empty == "both" else (leads,) if empty == "leads" else (acts,)):
        table.write_text("")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(NULL_MAPPING))
    code, out, err = _score(str(leads), "--activities", str(acts), "--mapping", str(mapping), "--engine", "duckdb")
    assert code == 0, err
    decided = [json.loads(line) for line in out.splitlines()]
    if empty == "activities":
        assert [(d["id"], d["engagement"]) for d in decided] == [("L-1", 0.0), ("L-2", 0.0), ("L-3", 0.0)]
    else:
        assert decided == [] and f"warning: {leads} is empty: there are no leads to score" in err


def test_score_duckdb_reads_arrow_tables_and_refuses_what_is_no_table(tmp_path: Path) -> None:
    # an Arrow table (or a DataFrame) was taken for a table's name: "Parser Error: zero-length
    # delimited identifier"; 42 for a table named 42
    pa = pytest.importorskip("pyarrow")
    policy = leadpolicy.load(ACME)
    con = duckdb.connect()
    _crm(con)
    expected = leadpolicy.sql.score_duckdb(policy, con, leads="leads", activities="activities", as_of=AS_OF,
                                           mapping=NULL_MAPPING).fetchall()
    leads = pa.table({"id": ["L-1", "L-2", "L-3"], "seniority": ["vp", "ic", "cxo"]})
    acts = pa.table({"lead_id": ["L-1", "L-2", "L-3"], "type": ["form_submit"] * 3, "at": ["2026-11-20T09:00:00Z"] * 3,
                     "form": ["demo"] * 3})
    assert leadpolicy.sql.score_duckdb(policy, con, leads=leads, activities=acts, as_of=AS_OF,
                                       mapping=NULL_MAPPING).fetchall() == expected
    for wrong in (42, None):
        with pytest.raises(TypeError, match="leads is a table name, a Parquet"):
            leadpolicy.sql.score_duckdb(policy, con, leads=wrong, activities=acts, as_of=AS_OF, mapping=NULL_MAPPING)


def test_score_duckdb_reads_an_arrow_reader_as_its_table() -> None:
    """DuckDB 2's `relation.arrow()` is a RecordBatchReader, which can be read once: the query reads
    the leads more than once ("This RecordBatchReader has already been consumed"), and a reader of the
    same connection held it busy ("connection has an open result"). It is read into its table first."""
    pa = pytest.importorskip("pyarrow")
    policy = leadpolicy.load(ACME)
    con = duckdb.connect()
    _crm(con)
    expected = leadpolicy.sql.score_duckdb(policy, con, leads="leads", activities="activities", as_of=AS_OF,
                                           mapping=NULL_MAPPING).fetchall()
    reader = pa.RecordBatchReader.from_batches(*(lambda t: (t.schema, t.to_batches()))(con.table("leads").to_arrow_table()))
    decided = leadpolicy.sql.score_duckdb(policy, con, leads=reader, activities="activities", as_of=AS_OF,
                                          mapping=NULL_MAPPING)
    assert decided.fetchall() == expected and decided.fetchall() == expected  # a relation runs again
    busy = con.table("leads").arrow()  # a reader of this very connection, unread
    assert leadpolicy.sql.score_duckdb(policy, con, leads=busy, activities="activities", as_of=AS_OF,
                                       mapping=NULL_MAPPING).fetchall() == expected


def test_an_error_row_of_an_id_on_several_rows_has_the_python_engines_words(tmp_path: Path) -> None:
    # the error lead was read back by its id and the first row of that id taken: a row that Python
    # decides, so the error row kept the query's words ("cannot be read as its declared type", no value)
    con = duckdb.connect()
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    con.execute(f"COPY (SELECT * FROM (VALUES ('L-2', '20000', 1), ('L-2', 'lots', 2)) t(id, budget, n) ORDER BY n) TO '{leads}'")
    con.execute(f"COPY (SELECT 'L-2' AS lead_id, 'form_submit' AS type, '2026-11-20T09:00:00Z' AS \"at\", 'demo' AS form) TO '{acts}'")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({**NULL_MAPPING, "fields": {**{k: v for k, v in NULL_MAPPING["fields"].items()
                                                                  if k != "budget"}, "seniority": None}}))
    code, out, _ = _score(str(leads), "--activities", str(acts), "--mapping", str(mapping), "--engine", "duckdb", "-q")
    assert code == 1
    errors = [json.loads(line)["error"] for line in out.splitlines() if '"error"' in line]
    assert errors == [{"field": "budget", "value": "lots", "message": "lead L-2: field `budget`: cannot read `lots` as a number"}]


@pytest.mark.parametrize(("fmt", "name"), [("csv", "out.jsonl"), ("jsonl", "out.csv")])
def test_format_wins_over_the_outputs_name_as_with_the_python_engine(tmp_path: Path, fmt: str, name: str) -> None:
    # --engine duckdb went by the name: `--format csv -o out.jsonl` wrote JSON Lines
    data = tmp_path / "leads.jsonl"
    data.write_bytes((ROOT / "policies" / "acme.leads.jsonl").read_bytes())
    written = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}-{name}"
        assert _score(str(data), "--engine", engine, "--format", fmt, "-o", str(out), "-q")[0] == 0
        written.append(out.read_bytes())
    assert written[0] == written[1]
    assert written[0].startswith(b"id,stage," if fmt == "csv" else b'{"id": ')


def test_parquet_output_has_the_documented_columns(tmp_path: Path) -> None:
    """docs/sql.md lists the query's columns ("The output") and says Parquet output adds `line`;
    the `line` column was written but not documented."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "sql.md").read_text(encoding="utf-8")
    table = text[text.index("## The output"):text.index("## The input contract")]
    documented = [name for row in re.findall(r"^\| (`[^|]+)\|", table, re.M) for name in re.findall(r"`(\w+)`", row)]
    out = tmp_path / "decided.parquet"
    result = CliRunner().invoke(main, ["score", str(ACME), str(ACME.parent / "acme.leads.jsonl"), "--engine", "duckdb",
                                       "--as-of", AS_OF, "-o", str(out)])
    assert result.exit_code == 0, result.output
    columns = [row[0] for row in duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{out}')").fetchall()]
    assert columns == documented + ["line"]
