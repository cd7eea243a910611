"""`leadpolicy score --engine spark` on files writes what `--engine python` writes:
the same rows (JSON Lines and CSV), summary, error rows and exit status, on every
example policy's sample leads and on files with bad rows; CSV, relational Parquet
input and Parquet output. Real local Spark (marker `spark`): the command reuses the
test session's SparkSession, as it would a notebook's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.backends import csv_without_id, relational_files

import leadpolicy
from leadpolicy.cli import main

pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "policies").glob("*.policy") if (ROOT / "policies" / f"{p.stem}.leads.jsonl").exists())
AS_OF = "2026-11-22T00:00:00Z"
ACME = ROOT / "policies" / "acme.policy"


@pytest.fixture(scope="module")
def spark():
    from support.spark_session import local_spark

    return local_spark()


def run(*args: str) -> tuple:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, [line for line in result.stderr.splitlines() if " scored in " not in line]


def score_both(policy: Path, data: Path, *extra: str) -> tuple:
    return tuple(run("score", str(policy), str(data), "--as-of", AS_OF, "--engine", engine, *extra)
                 for engine in ("python", "spark"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_spark_engine_writes_what_python_writes(spark, name: str) -> None:
    python, spark_run = score_both(ROOT / "policies" / f"{name}.policy", ROOT / "policies" / f"{name}.leads.jsonl")
    assert spark_run == python
    assert python[1].count("\n") >= 10


def test_bad_rows_give_the_same_error_rows(spark, tmp_path: Path) -> None:
    lines = (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    lines[1:1] = ["", "  ", "not json {", '{"id": "x1", "fields": {"company_size": 5.0}',  # malformed JSON
                  '{"id": "t", "activities": [{"type": "page_view", "at": "yesterday"}]}',  # a bad timestamp
                  '{"fields": {"company_size": "12"}}',  # no id
                  '{"id": 7, "fields": {"company_size": "lots"}}', '[1, 2]', '{"id": "n", "fields": null, "stage": "nowhere"}',
                  '{"id": "f", "fields": {"company_size": 5.0, "email": 12}}']
    data = tmp_path / "bad.jsonl"
    data.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))
    python, spark_run = score_both(ACME, data)
    assert spark_run == python
    assert python[0] == 1 and python[1].count('"error"') == 6
    assert any('"id": null' in line and '"error"' not in line for line in python[1].splitlines())


def test_csv_input_without_id_and_csv_output(spark, tmp_path: Path) -> None:
    """The Python engine's CSV (no id column: a lead's id is its line number, a quoted
    cell may span lines), rows out as CSV."""
    data = csv_without_id(tmp_path / "leads.csv", 8)
    python, spark_run = score_both(ACME, data, "--format", "csv")
    assert spark_run == python
    assert python[0] == 1 and len(python[1].splitlines()) == 1 + 11


def test_relational_parquet_in_parquet_out(spark, tmp_path: Path) -> None:
    import leadpolicy

    data = ROOT / "policies" / "acme.leads.jsonl"
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    tree = leadpolicy.load(ACME).tree
    con = duckdb.connect()
    fields = ", ".join(f"json_extract_string(j, '$.fields.{d.name}') AS {d.name}" for d in tree.fields)
    props = ", ".join(dict.fromkeys(f"json_extract_string(a, '$.{p.name}') AS {p.name}" for d in tree.activities for p in d.props))
    con.execute(f"COPY (SELECT json_extract_string(j, '$.id') AS id, json_extract_string(j, '$.stage') AS stage, {fields}"
                f" FROM read_ndjson_objects('{data}') AS t(j)) TO '{leads}' (FORMAT parquet)")
    acts_query = (f"SELECT json_extract_string(j, '$.id') AS lead_id, json_extract_string(a, '$.type') AS type,"
                  f" json_extract_string(a, '$.at') AS at, {props} FROM read_ndjson_objects('{data}') AS t(j),"
                  f" unnest(CAST(json_extract(j, '$.activities') AS JSON[])) AS u(a)")
    con.execute(f"COPY ({acts_query}) TO '{acts}' (FORMAT parquet)")
    out = tmp_path / "decided.parquet"
    code, _, err = run("score", str(ACME), str(leads), "--activities", str(acts), "--as-of", AS_OF, "--engine", "spark", "-o", str(out))
    _, expected, expected_err = run("score", str(ACME), str(data), "--as-of", AS_OF)
    assert code == 0 and err == expected_err
    rows = con.sql(f"SELECT id, stage, change, engagement, fit, hits, error, line FROM read_parquet('{out}') ORDER BY line").fetchall()
    decisions = [json.loads(line) for line in expected.splitlines()]
    assert [(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows] == [
        (d["id"], d["stage"], d["change"], d["engagement"], d["fit"], d["hits"], None) for d in decisions]
    assert not list(tmp_path.glob(".leadpolicy-*"))  # the temporary file was renamed into place
    # a declared property missing from the activities table: named, exit 2
    con.execute(f"COPY (SELECT * EXCLUDE (minutes) FROM ({acts_query})) TO '{acts}' (FORMAT parquet)")
    code, _, err = run("score", str(ACME), str(leads), "--activities", str(acts), "--as-of", AS_OF, "--engine", "spark")
    assert code == 2 and any("has no column `minutes`" in line for line in err), err


def test_relational_error_rows_are_worded_as_python_words_them(spark, tmp_path: Path) -> None:
    leads_file, acts_file, mapping, as_text = relational_files(tmp_path)
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    got = run("score", str(ACME), str(leads_file), "--activities", str(acts_file), "--mapping", str(mapping), "--as-of", AS_OF,
              "--engine", "spark")
    assert got == expected
    assert expected[0] == 1 and expected[1].count('"error"') == 5


def test_missing_columns_are_named_at_once_and_a_null_column_reads_as_missing(spark, tmp_path: Path, capfd) -> None:
    """As with DuckDB (tests/test_sql_missing_columns.py): every missing column named, without
    PySpark's own log of the failed query on stderr; the columns mapped to null then decide as
    the Python engine does on the leads without those keys."""
    import pyarrow.parquet as pq

    leads_file, acts_file, mapping, as_text = relational_files(tmp_path)
    narrow_leads, narrow_acts = tmp_path / "narrow-leads.parquet", tmp_path / "narrow-acts.parquet"
    pq.write_table(pq.read_table(leads_file).drop_columns(["created"]), narrow_leads)
    pq.write_table(pq.read_table(acts_file).drop_columns(["campaign", "title"]), narrow_acts)
    code, out, err = run("score", str(ACME), str(narrow_leads), "--activities", str(narrow_acts), "--mapping", str(mapping),
                         "--as-of", AS_OF, "--engine", "spark")
    assert code == 2 and out == "" and len(err) == 1, err
    assert "UNRESOLVED_COLUMN" not in capfd.readouterr().err  # PySpark logs the failed query's plan to stderr itself
    assert (f"the leads table {narrow_leads} has no column `created`; the activities table {narrow_acts} has no columns"
            " `campaign`, `title`:") in err[0]
    assert 'add to the mapping {"fields": {"created": null}, "props": {"campaign": null, "title": null}}' in err[0]
    nulls = tmp_path / "nulls.json"
    nulls.write_text(json.dumps({**json.loads(mapping.read_text(encoding="utf-8")), "fields": {"created": None},
                                 "props": {"campaign": None, "title": None}}), encoding="utf-8")
    without = []
    for line in as_text.read_text(encoding="utf-8").splitlines():
        lead = json.loads(line)
        del lead["fields"]["created"]
        for act in lead["activities"]:
            del act["campaign"], act["title"]
        without.append(json.dumps(lead))
    narrow_text = tmp_path / "narrow.jsonl"
    narrow_text.write_text("\n".join(without) + "\n", encoding="utf-8")
    expected = run("score", str(ACME), str(narrow_text), "--as-of", AS_OF)
    got = run("score", str(ACME), str(narrow_leads), "--activities", str(narrow_acts), "--mapping", str(nulls),
              "--as-of", AS_OF, "--engine", "spark")
    assert got == expected and expected[1].count('"error"') == 5


def _instant(text):
    from datetime import datetime, timezone

    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(timezone.utc)
    except (AttributeError, ValueError):
        return None


def typed_time_files(tmp_path: Path, at: str = "at") -> tuple:
    """Acme's sample leads whose times all parse, as Parquet tables whose `at` and `created`
    columns are TIMESTAMPs adjusted to UTC (what a warehouse export holds; Spark reads them as
    TIMESTAMP, DuckDB as TIMESTAMPTZ), no order column; and as JSON Lines of the same leads
    with each lead's activities in time order (the tables' default order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from support.backends import _text

    tree = leadpolicy.load(ACME).tree
    fields = [d.name for d in tree.fields]
    props = list(dict.fromkeys(p.name for d in tree.activities for p in d.props))
    stamp = pa.timestamp("us", tz="UTC")
    lead_rows, act_rows, texts = [], [], []
    for line in (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines():
        lead = json.loads(line)
        values = dict(lead.get("fields") or {})
        created = values.get("created")
        acts = lead.get("activities") or []
        if any(_instant(a.get("at")) is None for a in acts) or (created is not None and created.strip()
                                                                 and _instant(created) is None):
            continue
        values["created"] = _instant(created) if isinstance(created, str) else None
        acts = sorted(acts, key=lambda a: _instant(a["at"]))
        lead_rows.append({"id": lead["id"], "stage": _text(lead.get("stage")),
                          **{name: values[name] if name == "created" else _text(values.get(name)) for name in fields}})
        act_rows += [{"lead_id": lead["id"], "type": _text(a.get("type")), at: _instant(a["at"]),
                      **{p: _text(a.get(p)) for p in props}} for a in acts]
        as_json = {**lead, "fields": {**values, "created": values["created"] and values["created"].isoformat()},
                   "activities": [{**a, "at": _instant(a["at"]).isoformat()} for a in acts]}
        texts.append(json.dumps(as_json))
    leads_file, acts_file, as_text = tmp_path / "leads.parquet", tmp_path / "acts.parquet", tmp_path / "leads.jsonl"
    schema = {"created": stamp, at: stamp}
    for rows, path in ((lead_rows, leads_file), (act_rows, acts_file)):
        columns = list(rows[0])
        pq.write_table(pa.table({c: pa.array([r[c] for r in rows], schema.get(c, pa.string())) for c in columns}), path)
    texts.sort(key=lambda text: json.loads(text)["id"])
    as_text.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return leads_file, acts_file, as_text


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Kolkata", "UTC"])
def test_timestamp_columns_are_instants_in_any_session_time_zone(spark, tmp_path: Path, zone: str) -> None:
    """Spark casts a TIMESTAMP to text as the session time zone's wall-clock time, without the
    offset, which section 16 of docs/language-reference.md reads as UTC: on a session not set to UTC every activity moved by
    the offset (a demo 18 hours old read as 26 in Los Angeles). The engine reads such a column as
    the instant it holds, in the command and in score_spark, and still orders activities by it."""
    from leadpolicy.sql import score_spark

    leads_file, acts_file, as_text = typed_time_files(tmp_path)
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    assert expected[0] in (0, 1) and expected[1].count("\n") >= 10
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        assert spark.read.parquet(str(acts_file)).schema["at"].dataType.typeName() == "timestamp"
        got = run("score", str(ACME), str(leads_file), "--activities", str(acts_file), "--as-of", AS_OF, "--engine", "spark")
        frame = score_spark(leadpolicy.load(ACME), spark, spark.read.parquet(str(leads_file)),
                            spark.read.parquet(str(acts_file)), as_of=AS_OF)
        api = {r["id"]: (r["stage"], r["engagement"], json.loads(r["hits"])) for r in frame.collect()}
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert got == expected
    decisions = [json.loads(line) for line in expected[1].splitlines()]
    assert api == {d["id"]: (d["stage"], d["engagement"], d["hits"]) for d in decisions}
    # DuckDB reads the same file's columns as TIMESTAMPTZ, cast to text with their offset
    assert run("score", str(ACME), str(leads_file), "--activities", str(acts_file), "--as-of", AS_OF, "--engine", "duckdb") == expected


def test_a_timestamp_column_with_a_dot_in_its_name(spark, tmp_path: Path) -> None:
    """The time column mapped by a name Spark would read as a struct path (`event.at`)."""
    leads_file, acts_file, as_text = typed_time_files(tmp_path, at="event.at")
    mapping = tmp_path / "names.json"
    mapping.write_text(json.dumps({"at": "event.at"}), encoding="utf-8")
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        got = run("score", str(ACME), str(leads_file), "--activities", str(acts_file), "--mapping", str(mapping),
                  "--as-of", AS_OF, "--engine", "spark")
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert got == expected and expected[1].count("\n") >= 10


@pytest.mark.parametrize("zone", ["UTC", None])
def test_nanosecond_timestamps_are_read_as_duckdb_reads_them(spark, tmp_path: Path, zone) -> None:
    """Parquet TIMESTAMP(NANOS) columns (pandas writes them by default), zoned and not: Spark refused
    the file; it now decides what the DuckDB engine decides on it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    leads_file, acts_file, _ = typed_time_files(tmp_path)
    for path in (leads_file, acts_file):
        table = pq.read_table(path)
        pq.write_table(table.cast(pa.schema([pa.field(f.name, pa.timestamp("ns", tz=zone)) if pa.types.is_timestamp(f.type)
                                             else f for f in table.schema])), path)
    assert pq.read_schema(acts_file).field("at").type.unit == "ns"
    got, expected = (run("score", str(ACME), str(leads_file), "--activities", str(acts_file), "--as-of", AS_OF,
                         "--engine", engine) for engine in ("spark", "duckdb"))
    assert got == expected and expected[0] == 0 and expected[1].count("\n") >= 10
    assert spark.conf.get("spark.sql.legacy.parquet.nanosAsLong") == "false"  # the session's setting, restored


def test_a_progress_bar_on_a_terminal_and_silence_in_a_pipe(tmp_path: Path) -> None:
    """`score --engine spark` draws the python engine's progress bar on a terminal (it showed nothing
    until the summary; PRODUCT: "Long runs show a progress bar on a terminal and stay quiet in a
    pipe"): of the lines of the JSON Lines file, counted before the rows come back; cleared before
    the summary. Where standard error is no terminal, it holds the summary alone, and the rows are
    the same bytes. Both runs in the shared process of support/spark_cli.py (no test session: a
    command there starts its own Spark), the first one starting its JVM."""
    from support import spark_cli
    from support.terminal import progress_lines

    leads = tmp_path / "leads.jsonl"
    leads.write_text((ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8") * 20, encoding="utf-8")
    count = f"{len(leads.read_text(encoding='utf-8').splitlines()):,}"
    out = tmp_path / "out.jsonl"
    args = ["score", str(ACME), str(leads), "--as-of", AS_OF, "--engine", "spark", "-o", str(out)]
    status, _, said = spark_cli.run(*args)
    assert status == 0, said
    assert "\r" not in said and "scoring " not in said and said.startswith(f"{count} leads scored in "), said
    written = out.read_bytes()
    status, shown = spark_cli.on_a_terminal(*args)
    assert status == 0, shown
    assert all("[" in line for line in progress_lines(shown, "scoring"))  # a bar: the file's lines are counted
    assert shown.split("\r")[-1].startswith(f"{count} leads scored in "), shown  # cleared before the summary
    assert out.read_bytes() == written


def test_the_rows_come_back_in_order_without_a_global_sort(spark, tmp_path: Path) -> None:
    """A global ORDER BY samples its input to choose its ranges, and that sampling job runs the
    whole query once more before the sort runs it again (about 1.4x the time): the command's
    frame is sorted in one partition instead, in input order, for both shapes."""
    from leadpolicy.backends.sql.spark_files import decide

    policy = leadpolicy.load(ACME)
    leads, acts, names, as_text = relational_files(tmp_path)
    mapping = json.loads(names.read_text(encoding="utf-8"))
    count = len(as_text.read_text(encoding="utf-8").splitlines())
    for kind, path, activities, names_of in (("jsonl", str(as_text), None, None), ("relational", str(leads), str(acts), mapping)):
        frame, _ = decide(spark, policy, kind, path, activities, names_of, AS_OF)
        plan = frame._jdf.queryExecution().executedPlan().toString()
        assert "rangepartitioning" not in plan.lower(), plan
        rows = [row.asDict() for row in frame.toLocalIterator()]
        assert [row["lp_row"] for row in rows] == list(range(1, count + 1))
