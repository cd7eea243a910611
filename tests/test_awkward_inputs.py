"""Awkward real-world files through `leadpolicy score`: every engine writes the Python
engine's rows for them (docs/language-reference.md section 16, docs/sql.md), no lead is
dropped, and a file that cannot be read at all gets one clear line and a non-zero exit,
never a traceback. Each test here pins a case that once failed (session 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"
LEAD = ('{"id": "L1", "fields": {"seniority": "vp", "company_size": 500}, '
        '"activities": [{"type": "form_submit", "at": "2026-11-20T09:00:00Z", "form": "demo"}]}')
DEEP = '{"id": "D", "fields": {"email": "x", "z": ' + "[" * 5000 + "]" * 5000 + "}}"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def score(data: Path, engine: str, *extra: str) -> tuple[int, str, str]:
    return run("score", str(ACME), str(data), "--as-of", AS_OF, "--engine", engine, *extra)


# ---------------------------------------------------------------- JSON Lines


def test_a_first_line_nested_too_deeply_is_an_error_row_not_an_internal_error(tmp_path: Path) -> None:
    # the check for fields at a lead's top level read the first line without the scorer's guard
    leads = tmp_path / "leads.jsonl"
    leads.write_text(DEEP + "\n" + LEAD + "\n")
    status, stdout, stderr = score(leads, "python")
    assert status == 1 and "internal error" not in stderr, stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert rows[0]["error"]["message"] == "line 1 is not valid JSON: nested too deeply"
    assert rows[1]["id"] == "L1" and rows[1]["stage"] == "sql"


def test_eval_of_a_lead_nested_too_deeply_says_so(tmp_path: Path) -> None:
    lead = tmp_path / "lead.json"
    lead.write_text(DEEP)
    status, _, stderr = run("eval", str(ACME), str(lead), "--as-of", AS_OF)
    assert status == 1 and "nested too deeply" in stderr and "internal error" not in stderr, stderr


# ---------------------------------------------------------------- CSV (the Python engine's: id, stage, activities, fields)

CSV_HEADER = "id,email,seniority,company_size,stage,activities\n"


def _long_activities_cell(count: int = 4000) -> str:
    """An `activities` cell of `count` page views: about 60 characters each, far past the csv
    module's default limit on a cell (131,072 characters)."""
    views = [{"type": "page_view", "at": "2026-11-20", "path": "/blog/x"}] * count
    return '"' + json.dumps(views).replace('"', '""') + '"'


def test_a_csv_cell_longer_than_the_csv_modules_limit_is_read(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(CSV_HEADER + f"L1,a@b.example,vp,500,,{_long_activities_cell()}\nL2,b@c.example,ic,5,,\n")
    status, stdout, stderr = score(leads, "python")
    assert status == 0 and "internal error" not in stderr, stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["id"] for row in rows] == ["L1", "L2"]
    assert rows[0]["hits"][0] == {"section": "engagement", "rule": "Read a blog post", "points": 50.0, "count": 4000}


def _same_rows(data: Path) -> tuple[int, str]:
    """score with --engine python and --engine duckdb, as JSON Lines and as CSV: the same
    rows and exit status; the python engine's (status, JSON Lines rows)."""
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    python = None
    for fmt in ("jsonl", "csv"):
        python_run = score(data, "python", "-q", "--format", fmt)
        duckdb_run = score(data, "duckdb", "-q", "--format", fmt)
        assert "Traceback" not in duckdb_run[2] + python_run[2]
        assert duckdb_run[:2] == python_run[:2], (fmt, duckdb_run[2])
        python = python if python is not None else python_run
    assert python is not None
    return python[0], python[1]


# CSV files DuckDB's own reader read otherwise than the Python engine's reader (the duckdb
# engine now reads the rows with the python engine's reader): a row with extra cells was
# decided (an error row in Python), a stray quote, an unterminated quote at the end or mixed
# line endings refused the file, padded header names failed to bind, an empty file or a
# byte order mark alone was "no column names a field" (zero leads, status 0, in Python). A
# quote that never closes is refused by both now (status 1, nothing written; Python read the
# rest of the file into its cell: tests/test_csv_quotes_and_sep.py)
AWKWARD_CSV = {
    "ragged-row": (CSV_HEADER + "L1,a,vp,500,,\nL2,x,vp,500,,,,extra\nL3,x,vp,500,,,,\n", 1),
    "stray-quote": (CSV_HEADER + 'L1,a"b,vp,500,,\nL2,"a""b",vp,1,,\n', 0),
    "unterminated-quote": (CSV_HEADER + 'L1,a,vp,500,,\nL2,"open,vp,1,,\n', 1),
    "mixed-line-endings": (CSV_HEADER + "L1,a,vp,500,,\r\nL2,b,ic,5,,\nL3,c,cxo,9,,\r\n", 0),
    "padded-header": (" ID , Email ,Seniority,Company Size,Previous Stage,Activities\nL1,a,vp,5,,\n", 0),
    "empty": ("", 0),
    "byte-order-mark-alone": ("\ufeff", 0),
    "long-cell": (CSV_HEADER + "L1," + "x" * 2_500_000 + ",vp,500,,\nL2,a,vp,500,,\n", 0),
    "long-activities": (CSV_HEADER + f"L1,a,vp,500,,{_long_activities_cell(40_000)}\nL2,a,vp,500,,\n", 0),
}


@pytest.mark.parametrize("name", sorted(AWKWARD_CSV))
def test_the_duckdb_engine_reads_a_csv_as_the_python_engine_does(tmp_path: Path, name: str) -> None:
    text, status = AWKWARD_CSV[name]
    data = tmp_path / "leads.csv"
    data.write_bytes(text.encode("utf-8"))
    assert _same_rows(data)[0] == status


def test_a_csv_row_with_extra_cells_is_an_error_row_in_every_engine(tmp_path: Path) -> None:
    data = tmp_path / "leads.csv"
    data.write_text(AWKWARD_CSV["ragged-row"][0])
    rows = [json.loads(line) for line in _same_rows(data)[1].splitlines()]
    assert [row["id"] for row in rows] == ["L1", "L2", "L3"]
    assert rows[1]["error"]["message"] == "lead L2: line 3 has 8 cells but the header has 6 columns"
    assert "error" not in rows[2]  # extra cells that are all empty: a trailing delimiter


def test_a_csv_that_is_not_utf8_is_said_as_the_python_engine_says_it(tmp_path: Path) -> None:
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    data, out = tmp_path / "leads.csv", tmp_path / "out.jsonl"
    data.write_bytes((CSV_HEADER + "L1,a,vp,1,,\nL2,caf\xe9,vp,2,,\n").encode("latin-1"))
    python, duck = (score(data, engine, "-o", str(out)) for engine in ("python", "duckdb"))
    assert duck == python
    assert python[0] == 1 and python[2] == f"error: {data} is not UTF-8 text (byte 0xe9 on line 3): save it as UTF-8\n"
    assert not out.exists()


def test_a_json_line_longer_than_duckdbs_default_line_size_is_read(tmp_path: Path) -> None:
    # DuckDB's line reader refused the whole file ("CSV Error on Line: 1", exit 2) for a line of
    # more than 2,000,000 bytes; the Python engine reads any length
    data = tmp_path / "leads.jsonl"
    data.write_text(json.dumps({"id": "big", "fields": {"email": "x" * 2_500_000}}) + "\n" + LEAD + "\n")
    status, rows = _same_rows(data)
    assert status == 0 and [json.loads(line)["id"] for line in rows.splitlines()] == ["big", "L1"]


# ---------------------------------------------------------------- the relational shape (CSV tables)

LEADS_TABLE = "id,email,seniority,company_size,industry,budget,timeline_days,sales_status,is_customer,created,stage\nL1,a,vp,5,,,,,,,\n"
ACTIVITIES_HEADER = "lead_id,type,at,path,form,campaign,title,minutes\n"


def test_an_activities_table_that_is_not_utf8_is_named_with_what_to_do(tmp_path: Path) -> None:
    # the message named INPUT (the leads table) and advised --engine python, which reads no tables
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE)
    activities.write_bytes((ACTIVITIES_HEADER + "L1,page_view,2026-11-20,/caf\xe9,,,,\n").encode("latin-1"))
    status, _, stderr = score(leads, "duckdb", "-q", "--activities", str(activities))
    assert status == 2 and stderr == (f"error: {activities}: duckdb cannot read it: line 2 is not UTF-8 text, and DuckDB "
                                      "reads no file that holds such a line; re-encode the file as UTF-8 (e.g. iconv -f "
                                      "WINDOWS-1252 -t UTF-8)\n")


def test_a_table_line_longer_than_duckdbs_default_is_read(tmp_path: Path) -> None:
    # DuckDB refused the table ("CSV Error on Line: 1", exit 2) for a line of more than 2,000,000
    # bytes; the error lead is read back (for the Python engine's words) with the same room
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE.replace("L1,a,vp,5,", "L1," + "x" * 2_100_000 + ",vp,\"1,000\",") + "L2,b,vp,5,,,,,,,\n")
    activities.write_text(ACTIVITIES_HEADER + "L2,chat,2026-11-20,,,,,\n")
    status, stdout, stderr = score(leads, "duckdb", "-q", "--activities", str(activities))
    assert status == 1, stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert rows[0] == {"id": "L1", "line": 1, "error": {"field": "company_size", "value": "1,000",
                                                        "message": "lead L1: field `company_size`: cannot read `1,000` as a number"}}
    assert rows[1]["id"] == "L2" and rows[1]["fit"] == 25.0


def test_an_engine_error_about_a_long_line_says_why() -> None:
    from leadpolicy.cli.engine_options import engine_error_text

    error = RuntimeError("Invalid Input Error: CSV Error on Line: 3\nOriginal Line: xxx\nMaximum line size of 2000000 "
                         "bytes exceeded. Actual Size:3000045 bytes.\n\n  file = t.csv")
    assert engine_error_text(error, tables=True) == ("Invalid Input Error: CSV Error on Line: 3: Maximum line size of "
                                                     "2000000 bytes exceeded. Actual Size:3000045 bytes.")



@pytest.mark.parametrize("ragged", ["leads", "activities", "activities-past-the-sniffer"])
def test_a_ragged_csv_table_is_said_as_such_not_as_every_column_missing(tmp_path: Path, ragged: str) -> None:
    # DuckDB's sniffer reads a table with a row wider or narrower than its header as one column,
    # and the run said "has no columns `id`, `stage`, `email`, ..." with a mapping to fix them; then
    # it said what its sniffer did, and no line; past the rows it sniffs, "CSV Error on Line: 30002:
    # Expected Number of Columns: 8 Found: 2" (its line a count of rows). Now the row, as spark says it
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE + ("L2,b,ic,5,,,,,,,,extra\n" if ragged == "leads" else ""))
    rows = 'L1,webinar,2026-11-20,,,,"a\nb",45\n' + "L1,chat,2026-11-20,,,,,\n" * (30_000 if "past" in ragged else 1)
    activities.write_text(ACTIVITIES_HEADER + rows + ("L1,chat\n" if ragged != "leads" else ""))
    status, _, stderr = score(leads, "duckdb", "-q", "--activities", str(activities))
    table, line, cells, width = ((leads, 3, 12, 11) if ragged == "leads" else
                                 (activities, 30_004 if "past" in ragged else 5, 2, 8))
    assert status == 2 and stderr == (f"error: {table}: duckdb cannot read it: line {line} has {cells} cells but the header "
                                      f"has {width} columns: make every row as wide as the header (or export the table "
                                      "as Parquet)\n"), stderr



def _case_twins(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A leads table with `Email` (a rival's address) and `email` (another), no activities, and a
    mapping that maps every other field to null: (leads, activities, mapping)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    leads, activities = tmp_path / "leads.parquet", tmp_path / "events.csv"
    pq.write_table(pa.table({"Email": ["pat@rival.example"], "id": ["L1"], "email": ["pat@bigco.example"]}), leads)
    activities.write_text(ACTIVITIES_HEADER)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"stage": None, "fields": {name: None for name in (
        "seniority", "company_size", "industry", "budget", "timeline_days", "sales_status", "is_customer", "created")}}))
    return leads, activities, mapping


def test_a_column_spelt_twice_in_two_cases_is_refused_not_read_from_the_first(tmp_path: Path) -> None:
    # Parquet and CSV hold `Email` and `email` apart; DuckDB does not: it read the field `email`
    # from whichever came first (here `Email`, a rival's address: the lead was disqualified)
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities, mapping = _case_twins(tmp_path)
    status, stdout, stderr = score(leads, "duckdb", "-q", "--activities", str(activities), "--mapping", str(mapping))
    assert status == 2 and stdout == "", stdout
    assert stderr == (f"error: the leads table {leads} has columns `Email` and `email`, which DuckDB does not tell apart "
                      "(it compares names without case): it would read `email` from the first of them; rename one of them\n")
    activities.write_text(ACTIVITIES_HEADER.replace("type", "Type,type"))
    csv_leads = tmp_path / "leads.csv"
    csv_leads.write_text(LEADS_TABLE)
    status, _, stderr = score(csv_leads, "duckdb", "-q", "--activities", str(activities))
    assert status == 2 and f"the activities table {activities} has columns `Type` and `type`" in stderr, stderr



def test_ids_of_two_types_that_duckdb_cannot_compare_are_said_as_such(tmp_path: Path) -> None:
    # was "leads.parquet: duckdb cannot read it: Conversion Error: Could not convert string 'L1' to INT32 ..."
    duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.parquet", tmp_path / "events.csv"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 1 AS id, 'vp' AS seniority) TO '{leads}' (FORMAT parquet)")
    activities.write_text(ACTIVITIES_HEADER + "L1,chat,2026-11-20,,,,,\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"stage": None, "fields": {name: None for name in (
        "email", "company_size", "industry", "budget", "timeline_days", "sales_status", "is_customer", "created")}}))
    status, _, stderr = score(leads, "duckdb", "-q", "--activities", str(activities), "--mapping", str(mapping))
    assert status == 2 and stderr == (f"error: `id` of the leads table {leads} (INTEGER) and `lead_id` of the activities "
                                      f"table {activities} (VARCHAR) hold the ids in two types, and DuckDB could not compare "
                                      "them (it casts one to the other, and a value did not fit): give both columns the same "
                                      "type (text, say, when exporting the tables)\n"), stderr



# ---------------------------------------------------------------- Spark, for the cases fixed above


def score_in_a_process_of_its_own(data: Path, engine: str, *extra: str) -> tuple[int, str, str]:
    """`leadpolicy score` in a process apart from the tests' (support/spark_cli.py): the Spark
    engine starts (and stops) a local Spark of its own there. In this process it would use the
    tests' shared session (tests/test_sql_spark.py), and after these files (a 2.5 MB line, a 131 KB
    cell) a later test's broadcast in that session timed out after 300 s (then local[1], 1 GB of
    driver memory). The process, and its JVM, is shared by these runs: a cold one took 20 s."""
    from support import spark_cli

    return spark_cli.run("score", str(ACME), str(data), "--as-of", AS_OF, "--engine", engine, *extra)


@pytest.mark.spark
@pytest.mark.parametrize("name", ["ragged-row", "long-activities", "empty", "long-json-line"])
def test_the_spark_engine_writes_the_python_engines_rows_for_them_too(tmp_path: Path, name: str) -> None:
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    if name == "long-json-line":
        data = tmp_path / "leads.jsonl"
        data.write_text(json.dumps({"id": "big", "fields": {"email": "x" * 2_500_000}}) + "\n" + LEAD + "\n")
    else:
        data = tmp_path / "leads.csv"
        data.write_text(AWKWARD_CSV[name][0])
    python = score(data, "python", "-q")
    assert score_in_a_process_of_its_own(data, "spark", "-q") == python
    assert python[0] in (0, 1) and "Traceback" not in python[2]


@pytest.mark.spark
def test_the_spark_engine_warns_of_a_folder_with_no_files_as_of_an_empty_file(tmp_path: Path) -> None:
    # Spark reads a folder of files; an empty one (or one of `_SUCCESS` and `.crc` files alone) was 0 leads
    # without a word, where an empty file is warned about
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    folder = tmp_path / "leads.jsonl"
    folder.mkdir()
    (folder / "_SUCCESS").write_text("")
    status, out, err = score_in_a_process_of_its_own(folder, "spark")
    assert (status, out) == (0, "")
    assert f"warning: {folder} is a folder with no files in it: there are no leads to score" in err
    (folder / "part-0.json").write_text(LEAD + "\n")
    assert "no files in it" not in score_in_a_process_of_its_own(folder, "spark")[2]


def score_tables_in_a_process_of_its_own(leads: Path, activities: Path, engine: str) -> tuple[int, str, str]:
    return score_in_a_process_of_its_own(leads, engine, "-q", "--activities", str(activities))


# CSV tables of the relational shape that DuckDB's reader refuses and Spark's read: a row wider or
# narrower than its header (Spark dropped the extra cells and left the missing ones empty) and a
# line that is not UTF-8 (Spark read replacement characters); each decided every lead, exit 0
REFUSED_TABLES = {
    "leads-wider": (LEADS_TABLE + "L2,b,ic,5,,,,,,,,extra\n", ACTIVITIES_HEADER, "leads", 3, 12, 11),
    "leads-narrower": (LEADS_TABLE + "L2,b,ic\n", ACTIVITIES_HEADER, "leads", 3, 3, 11),
    "activities-narrower": (LEADS_TABLE, ACTIVITIES_HEADER + "L1,chat,2026-11-20,,,,,\nL1,chat\n", "activities", 3, 2, 8),
    "activities-blank-looking": (LEADS_TABLE, ACTIVITIES_HEADER + "   \nL1,chat,2026-11-20,,,,,\n", "activities", 2, 1, 8),
    "leads-latin-1": (LEADS_TABLE + "L2,caf\xe9,ic,5,,,,,,,\n", ACTIVITIES_HEADER, "leads", 3, 0, 0),
    "activities-latin-1": (LEADS_TABLE, ACTIVITIES_HEADER + "L1,page_view,2026-11-20,/caf\xe9,,,,\n", "activities", 2, 0, 0),
    # DuckDB numbered rows, not lines: it said line 3 of the line after a quoted cell of two lines
    "activities-latin-1-after-two-line-cell": (LEADS_TABLE, ACTIVITIES_HEADER + 'L1,webinar,2026-11-20,,,,"a\nb",45\n'
                                               "L1,page_view,2026-11-20,/caf\xe9,,,,\n", "activities", 4, 0, 0),
}


@pytest.mark.spark
@pytest.mark.parametrize("name", sorted(REFUSED_TABLES))
def test_the_spark_engine_refuses_a_csv_table_where_the_duckdb_engine_does(tmp_path: Path, name: str) -> None:
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads_text, activities_text, which, line, cells, width = REFUSED_TABLES[name]
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    encoding = "latin-1" if "latin-1" in name else "utf-8"
    leads.write_bytes(leads_text.encode(encoding))
    activities.write_bytes(activities_text.encode(encoding))
    table = leads if which == "leads" else activities
    duck = score(leads, "duckdb", "-q", "--activities", str(activities))
    spark = score_tables_in_a_process_of_its_own(leads, activities, "spark")
    assert duck[:2] == spark[:2] == (2, ""), spark[2]
    assert duck[2] == spark[2].replace("spark cannot", "duckdb cannot").replace("the spark engine reads", "DuckDB reads")
    if encoding == "latin-1":
        assert spark[2] == (f"error: {table}: spark cannot read it: line {line} is not UTF-8 text, and the spark engine reads "
                            "no file that holds such a line; re-encode the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)\n")
    else:
        assert spark[2] == (f"error: {table}: spark cannot read it: line {line} has {cells} cell{'s' if cells != 1 else ''} "
                            f"but the header has {width} columns: make every row as wide as the header (or export the "
                            "table as Parquet)\n")


@pytest.mark.spark
def test_the_spark_engine_decides_a_csv_table_with_a_trailing_delimiter_as_the_duckdb_engine_does(tmp_path: Path) -> None:
    # one empty cell more than the header (a trailing delimiter) is read by DuckDB's reader: not ragged
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE + "L2,b,vp,5,,,,,,,,\n")
    activities.write_text(ACTIVITIES_HEADER + "L2,form_submit,2026-11-20T09:00:00Z,,demo,,,,\n")
    duck = score(leads, "duckdb", "-q", "--activities", str(activities))
    assert duck[0] == 0 and '"id": "L2", "policy"' in duck[1] and '"rule": "Requested a demo"' in duck[1], duck
    assert score_tables_in_a_process_of_its_own(leads, activities, "spark") == duck


def _same_tables_in_spark(leads: Path, activities: Path) -> str:
    """score of the two tables with --engine duckdb, and with --engine spark in a process of its own:
    the same exit status, rows and messages; the rows."""
    duck = score(leads, "duckdb", "-q", "--activities", str(activities))
    assert "Traceback" not in duck[2] and duck[0] in (0, 1), duck
    assert score_tables_in_a_process_of_its_own(leads, activities, "spark") == duck
    return duck[1]


@pytest.mark.spark
def test_the_spark_engine_reads_a_csv_table_in_the_delimiter_its_header_uses(tmp_path: Path) -> None:
    # DuckDB's sniffer reads a table of semicolons or tabs; Spark's reader took a comma, read each
    # table as one column, and said every column of both tables missing
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.tsv"
    leads.write_text(LEADS_TABLE.replace(",", ";"))
    activities.write_text((ACTIVITIES_HEADER + "L1,form_submit,2026-11-20T09:00:00Z,,demo,,,\n").replace(",", "\t"))
    rows = [json.loads(line) for line in _same_tables_in_spark(leads, activities).splitlines()]
    assert [(row["id"], row["engagement"]) for row in rows] == [("L1", 100.0)]


@pytest.mark.spark
def test_the_spark_engine_reads_quoted_csv_table_cells_as_the_duckdb_engine_does(tmp_path: Path) -> None:
    # Spark's reader kept a doubled quote as written (`"pat""s@rival.example"`: no competitor's
    # address, so the lead was not disqualified) and split a row at a line break in a quoted cell
    # (the webinar's minutes were lost, and "Part 2\"" became a lead id of an activity of its own)
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE + 'L2,"pat""s@rival.example",vp,500,,,,,,,\n')
    activities.write_text(ACTIVITIES_HEADER + 'L1,webinar,2026-11-20T09:00:00Z,,,,"Intro\nPart 2",45\n')
    rows = [json.loads(line) for line in _same_tables_in_spark(leads, activities).splitlines()]
    assert [(row["id"], row["engagement"], row["reason"]["kind"]) for row in rows] == [
        ("L1", 30.0, "qualified"), ("L2", 0.0, "disqualified")]


@pytest.mark.spark
def test_the_spark_engine_reads_padded_csv_table_column_names_as_the_duckdb_engine_does(tmp_path: Path) -> None:
    # DuckDB's reader trims the spaces around a header's names (` email `, a no-break space around
    # `type`); Spark's reader kept them, and said `email` and `type` missing
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_text(LEADS_TABLE.replace(",email,", ", email ,").replace("L1,a,", "L1,pat@rival.example,"))
    activities.write_text(ACTIVITIES_HEADER.replace(",type,", ",\u00a0type\u00a0,") + "L1,form_submit,2026-11-20T09:00:00Z,,demo,,,\n")
    rows = [json.loads(line) for line in _same_tables_in_spark(leads, activities).splitlines()]
    assert [(row["id"], row["engagement"], row["reason"]["kind"]) for row in rows] == [("L1", 100.0, "disqualified")]


@pytest.mark.spark
def test_the_spark_engine_refuses_a_column_spelt_twice_in_two_cases_as_the_duckdb_engine_does(tmp_path: Path) -> None:
    # Spark's readers renamed both columns (`Email0`, `email1`) and the run said `email` missing
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    leads, activities, mapping = _case_twins(tmp_path)
    spark = score_in_a_process_of_its_own(leads, "spark", "-q", "--activities", str(activities), "--mapping", str(mapping))
    assert spark == (2, "", f"error: the leads table {leads} has columns `Email` and `email`, which Spark does not tell "
                            "apart (it compares names without case): it would read `email` from the first of them; "
                            "rename one of them\n")
    activities.write_text(ACTIVITIES_HEADER.replace("type", "Type,type"))
    csv_leads = tmp_path / "leads.csv"
    csv_leads.write_text(LEADS_TABLE)
    status, _, stderr = score_tables_in_a_process_of_its_own(csv_leads, activities, "spark")
    assert status == 2 and f"the activities table {activities} has columns `Type` and `type`, which Spark" in stderr, stderr


@pytest.mark.spark
def test_ids_of_two_types_that_spark_cannot_compare_are_said_as_the_duckdb_engine_says_it(tmp_path: Path) -> None:
    # was "leads.parquet: spark cannot read it: [CAST_INVALID_INPUT] The value 'L1' of the type "STRING" cannot be cast ..."
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    leads, activities = tmp_path / "leads.parquet", tmp_path / "events.csv"
    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "seniority": ["vp"]}), leads)
    activities.write_text(ACTIVITIES_HEADER + "L1,chat,2026-11-20,,,,,\n")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"stage": None, "fields": {name: None for name in (
        "email", "company_size", "industry", "budget", "timeline_days", "sales_status", "is_customer", "created")}}))
    status, stdout, stderr = score_in_a_process_of_its_own(leads, "spark", "-q", "--activities", str(activities),
                                                           "--mapping", str(mapping))
    assert (status, stdout) == (2, "") and stderr == (
        f"error: `id` of the leads table {leads} (BIGINT) and `lead_id` of the activities table {activities} (STRING) hold "
        "the ids in two types, and Spark could not compare them (it casts one to the other, and a value did not fit): give "
        "both columns the same type (text, say, when exporting the tables)\n"), stderr


@pytest.mark.spark
def test_a_parquet_table_of_nanosecond_timestamps_is_decided_as_the_duckdb_engine_decides_it(tmp_path: Path) -> None:
    # pandas writes its timestamps in nanoseconds, which Spark read only as their count (it refused
    # the file, "Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false))"); the duckdb engine decided it
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pa = pytest.importorskip("pyarrow")
    import datetime

    import pyarrow.parquet as pq

    leads, activities = tmp_path / "leads.csv", tmp_path / "events.parquet"
    leads.write_text(LEADS_TABLE)
    at = pa.array([datetime.datetime(2026, 11, 20, 9, 0)], pa.timestamp("ns"))
    props = {name: pa.array([None], pa.string()) for name in ("path", "form", "campaign", "title", "minutes")}
    pq.write_table(pa.table({"lead_id": ["L1"], "type": ["chat"], "at": at, **props}), activities)
    spark = score_tables_in_a_process_of_its_own(leads, activities, "spark")
    assert spark == score_tables_in_a_process_of_its_own(leads, activities, "duckdb") and spark[0] in (0, 1), spark


@pytest.mark.spark
@pytest.mark.parametrize("which", ["leads", "activities"])
def test_a_csv_table_of_a_byte_order_mark_alone_is_a_table_with_no_rows_in_both_engines(tmp_path: Path, which: str) -> None:
    # as an empty file is (and as the python engine reads a CSV of a byte order mark alone: no leads,
    # exit 0); DuckDB said it took no header, Spark that every column was missing
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_bytes(b"\xef\xbb\xbf" if which == "leads" else LEADS_TABLE.encode())
    activities.write_bytes(b"\xef\xbb\xbf" if which == "activities" else (ACTIVITIES_HEADER + "L1,chat,2026-11-20,,,,,\n").encode())
    rows = [json.loads(line) for line in _same_tables_in_spark(leads, activities).splitlines()]
    assert [(row["id"], row["engagement"]) for row in rows] == ([] if which == "leads" else [("L1", 0.0)])


@pytest.mark.spark
def test_the_spark_engine_keeps_a_quoted_cells_crlf_as_the_duckdb_engine_does(tmp_path: Path) -> None:
    # a Windows export (lines ending in \r\n) with a line break in a quoted cell: Spark's reader, reading
    # the file whole, made that \r\n a \n (an error row said `x\ny`, DuckDB's `x\r\ny`)
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, activities = tmp_path / "leads.csv", tmp_path / "events.csv"
    leads.write_bytes(LEADS_TABLE.replace("L1,a,vp,5,,,,,,,", 'L1,a,vp,5,,,,,"x\ny",,').replace("\n", "\r\n").encode())
    activities.write_bytes((ACTIVITIES_HEADER + "L1,chat,2026-11-20,,,,,\n").replace("\n", "\r\n").encode())
    rows = [json.loads(line) for line in _same_tables_in_spark(leads, activities).splitlines()]
    assert [(row["id"], row["error"]["value"]) for row in rows] == [("L1", "x\r\ny")]


@pytest.mark.spark
def test_a_nan_or_infinite_double_in_a_parquet_table_is_the_same_error_row_in_both_engines(tmp_path: Path) -> None:
    # Spark's text of them is `NaN`, `Infinity`: its error rows said "cannot read `NaN` as a number"
    # where the duckdb engine's say `nan` (as Python's str writes the float)
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    leads, activities = tmp_path / "leads.parquet", tmp_path / "events.parquet"
    pq.write_table(pa.table({"id": ["L1", "L2", "L3"], "company_size": [float("nan"), float("inf"), 500.0]}), leads)
    pq.write_table(pa.table({"lead_id": ["L3"], "type": ["webinar"], "at": ["2026-11-20"],
                             "minutes": pa.array([float("-inf")], pa.float32())}), activities)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"stage": None, "props": {name: None for name in ("path", "form", "campaign", "title")},
                                   "fields": {name: None for name in ("email", "seniority", "industry", "budget",
                                                                      "timeline_days", "sales_status", "is_customer",
                                                                      "created")}}))
    duck = score(leads, "duckdb", "-q", "--activities", str(activities), "--mapping", str(mapping))
    assert [json.loads(line)["error"]["value"] for line in duck[1].splitlines()] == ["nan", "inf", "-inf"], duck
    assert score_in_a_process_of_its_own(leads, "spark", "-q", "--activities", str(activities), "--mapping", str(mapping)) == duck
