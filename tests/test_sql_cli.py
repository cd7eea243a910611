"""`leadpolicy score --engine duckdb` writes what `--engine python` writes (the same
bytes, summary and exit status), `compile --target sql` writes each dialect's query,
and the Python API (`Policy.to_sql`, `leadpolicy.sql`) works on a user's own DuckDB
connection. Real DuckDB, real files, the real CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.backends import csv_without_id, relational_files
from support.workload import bench_workload

import leadpolicy
from leadpolicy.cli import main

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
sqlglot = pytest.importorskip("sqlglot", reason="pip install 'leadpolicy[sql]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "policies").glob("*.policy") if (ROOT / "policies" / f"{p.stem}.leads.jsonl").exists())
AS_OF = "2026-11-22T00:00:00Z"


def run(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def score_both(policy: Path, data: Path, *extra: str) -> tuple:
    outputs = []
    for engine in ("python", "duckdb"):
        code, out, err = run("score", str(policy), str(data), "--as-of", AS_OF, "--engine", engine, *extra)
        outputs.append((code, out, [line for line in err.splitlines() if " scored in " not in line]))  # that line holds the time
    return outputs


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_duckdb_engine_writes_what_python_writes(name: str, fmt: str) -> None:
    python, duck = score_both(ROOT / "policies" / f"{name}.policy", ROOT / "policies" / f"{name}.leads.jsonl", "--format", fmt)
    assert duck == python
    assert python[1].count("\n") >= 10


def test_messy_lines_give_the_same_error_rows(tmp_path: Path) -> None:
    lines = (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    lines[1:1] = ["", "   ", "not json {", "[1, 2]", '{"id": [1], "fields": 5}', '{"id": 7, "fields": {"budget": "lots"}}',
                  '{"id": "x", "activities": [{"type": "page_view", "at": "yesterday"}]}', '{"id": "y", "stage": "nowhere"}']
    data = tmp_path / "messy.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python, duck = score_both(ROOT / "policies" / "acme.policy", data)
    assert duck == python
    assert python[0] == 1 and python[1].count('"error"') == 6


def _python_csv(source: Path, target: Path, extra_rows: list) -> None:
    leads = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    names = sorted({key for lead in leads for key in (lead.get("fields") or {})})
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "stage", "activities", *names])
        for lead in leads:
            fields = lead.get("fields") or {}
            writer.writerow([lead.get("id"), lead.get("stage") or "",
                             "" if lead.get("activities") is None else json.dumps(lead["activities"]),
                             *["" if fields.get(n) is None else str(fields[n]) for n in names]])
        writer.writerows(extra_rows)


def test_csv_input(tmp_path: Path) -> None:
    data = tmp_path / "leads.csv"
    _python_csv(ROOT / "policies" / "acme.leads.jsonl", data, [["bad", "", "[1,2", "abc"], ["bad2", "nowhere"], []])
    python, duck = score_both(ROOT / "policies" / "acme.policy", data)
    assert duck == python
    assert python[0] == 1


def test_parquet_output_and_relational_parquet_input(tmp_path: Path) -> None:
    policy = ROOT / "policies" / "acme.policy"
    data = ROOT / "policies" / "acme.leads.jsonl"
    out = tmp_path / "decided.parquet"
    code, _, err = run("score", str(policy), str(data), "--as-of", AS_OF, "--engine", "duckdb", "-o", str(out))
    _, expected, _ = run("score", str(policy), str(data), "--as-of", AS_OF)
    assert code == 0, err
    con = duckdb.connect()
    rows = con.sql(f"SELECT * FROM read_parquet('{out}') ORDER BY line").fetchall()
    decisions = [json.loads(line) for line in expected.splitlines()]
    assert [(r[0], r[1], r[4], r[5], json.loads(r[9])) for r in rows] == [
        (d["id"], d["stage"], d["engagement"], d["fit"], d["hits"]) for d in decisions]
    # the same leads as relational Parquet tables (every cell text) decide alike
    leads, acts = tmp_path / "leads.parquet", tmp_path / "activities.parquet"
    tree = leadpolicy.load(policy).tree
    fields = ", ".join(f"json_extract_string(j, '$.fields.{d.name}') AS {d.name}" for d in tree.fields)
    props = ", ".join(dict.fromkeys(f"json_extract_string(a, '$.{p.name}') AS {p.name}" for d in tree.activities for p in d.props))
    con.execute(f"COPY (SELECT json_extract_string(j, '$.id') AS id, json_extract_string(j, '$.stage') AS stage, {fields}"
                f" FROM read_ndjson_objects('{data}') AS t(j)) TO '{leads}' (FORMAT parquet)")
    acts_query = (f"SELECT json_extract_string(j, '$.id') AS lead_id, json_extract_string(a, '$.type') AS type,"
                  f" json_extract_string(a, '$.at') AS at, {props} FROM read_ndjson_objects('{data}') AS t(j),"
                  f" unnest(CAST(json_extract(j, '$.activities') AS JSON[])) AS u(a)")
    con.execute(f"COPY ({acts_query}) TO '{acts}' (FORMAT parquet)")
    code, out_text, err = run("score", str(policy), str(leads), "--activities", str(acts), "--as-of", AS_OF, "--engine", "duckdb")
    assert code == 0, err
    relational = [json.loads(line) for line in out_text.splitlines()]
    assert [(d["id"], d["stage"], d["engagement"], d["fit"], d["hits"]) for d in relational] == [
        (d["id"], d["stage"], d["engagement"], d["fit"], d["hits"]) for d in decisions]
    # a declared property missing from the activities table: named, exit 2
    con.execute(f"COPY (SELECT * EXCLUDE (minutes) FROM ({acts_query})) TO '{acts}' (FORMAT parquet)")
    code, _, err = run("score", str(policy), str(leads), "--activities", str(acts), "--as-of", AS_OF, "--engine", "duckdb")
    assert code == 2 and "has no column `minutes`" in err
    # the Python engine cannot read Parquet: a usage error, not a traceback
    code, _, err = run("score", str(policy), str(leads), "--as-of", AS_OF)
    assert code == 2 and "Parquet" in err


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "postgres", "snowflake", "bigquery"])
def test_compile_target_sql_parses_back(dialect: str, tmp_path: Path) -> None:
    out = tmp_path / "acme.sql"
    code, _, err = run("compile", str(ROOT / "policies" / "acme.policy"), "--target", "sql", "--dialect", dialect, "-o", str(out))
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    ctes = text.count(" AS (") + text.count(" AS MATERIALIZED (")
    assert "policy line" in text and ctes >= 10  # readable: CTEs that cite the policy
    sqlglot.parse_one(text, read=dialect)


def test_compile_dbt_model() -> None:
    code, out, _ = run("compile", str(ROOT / "policies" / "acme.policy"), "--target", "sql", "--dbt",
                       "--leads-ref", "stg_leads", "--activities-ref", "source:crm.activities")
    assert code == 0
    assert "FROM {{ ref('stg_leads') }}" in out and "FROM {{ source('crm', 'activities') }}" in out
    assert "{{ var(\"as_of\", run_started_at.isoformat()) }}" in out
    code, _, err = run("compile", str(ROOT / "policies" / "acme.policy"), "--target", "sql", "--dbt", "--leads-ref", "x') }}{{ y")
    assert code == 2 and "not a dbt model name" in err


def test_compile_default_is_python() -> None:
    code, out, _ = run("compile", str(ROOT / "policies" / "acme.policy"))
    assert code == 0 and out.startswith('r"""The compiled evaluator')


def test_python_api_to_sql_and_score_duckdb() -> None:
    import leadpolicy.sql

    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    text = policy.to_sql(dialect="snowflake")
    sqlglot.parse_one(text, read="snowflake")
    con = duckdb.connect()
    relation = leadpolicy.sql.score_duckdb(policy, con, leads=str(ROOT / "policies" / "acme.leads.jsonl"), as_of=AS_OF)
    rows = relation.fetchall()
    assert len(rows) == 60 and relation.columns[:3] == ["id", "stage", "previous_stage"]
    assert rows[0][0] == "L-000001"


@pytest.mark.parametrize("collation", ["noaccent", "nocase", "nfc"])
def test_score_duckdb_refuses_a_connection_that_compares_text_otherwise(tmp_path: Path, collation: str) -> None:
    """Under NOACCENT an activity of type `pagé_view` would be a `page_view` (120 engagement
    points where the Python engine gives 0); under NOCASE ids `L-1` and `l-1` would join.
    The user's connection keeps its setting; on one without it the rows are Python's."""
    import leadpolicy.sql

    data = tmp_path / "accents.jsonl"
    data.write_text(json.dumps({"id": "x", "fields": {"seniority": "vp"}, "activities": [
        {"type": "pagé_view", "at": "2026-11-20T00:00:00Z", "path": "/pricing"},
        {"type": "form_submit", "at": "2026-11-20T00:00:00Z", "form": "démo"}]}) + "\n", encoding="utf-8")
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    con = duckdb.connect()
    con.execute(f"SET default_collation = '{collation}'")
    with pytest.raises(ValueError, match=f"default_collation is '{collation}'.*SET default_collation = ''"):
        leadpolicy.sql.score_duckdb(policy, con, leads=str(data), as_of=AS_OF)
    assert con.execute("SELECT current_setting('default_collation')").fetchall() == [(collation,)]
    con.execute("SET default_collation = ''")
    (row,) = leadpolicy.sql.score_duckdb(policy, con, leads=str(data), as_of=AS_OF).fetchall()
    assert row[4] == policy.evaluate({"seniority": "vp"}, json.loads(data.read_text())["activities"], AS_OF).engagement == 0


@pytest.mark.parametrize("setting", ["SET default_order = 'desc'", "SET default_null_order = 'nulls_last'",
                                     "SET TimeZone = 'Asia/Kolkata'", "SET integer_division = true",
                                     "SET preserve_insertion_order = false", "SET threads = 1"])
def test_score_duckdb_decides_alike_whatever_the_connections_settings(setting: str) -> None:
    """A user's connection may order descending by default (every ORDER BY of the query says
    ASC), or have another time zone, integer division, no insertion order: the same rows."""
    import leadpolicy.sql

    rows = {}
    for name in EXAMPLES:
        policy = leadpolicy.load(ROOT / "policies" / f"{name}.policy")
        for applied in ("", setting):
            con = duckdb.connect()
            if applied:
                con.execute(applied)
            rows[(name, applied)] = leadpolicy.sql.score_duckdb(
                policy, con, leads=str(ROOT / "policies" / f"{name}.leads.jsonl"), as_of=AS_OF).fetchall()
        assert rows[(name, setting)] == rows[(name, "")] and len(rows[(name, "")]) >= 10


def test_a_missing_extra_names_it() -> None:
    script = ("import sys; sys.modules['duckdb'] = None\n"
              "import leadpolicy, leadpolicy.sql\n"
              "p = leadpolicy.loads('policy \"p\" version \"1\"\\nfields { a number }\\nstages { lead }\\n')\n"
              "try:\n    leadpolicy.sql.score_duckdb(p, None, leads='x.jsonl')\n"
              "except ImportError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert "pip install 'leadpolicy[duckdb]'" in result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_relational_error_rows_are_worded_as_python_words_them(tmp_path: Path, fmt: str) -> None:
    """Parquet tables with bad cells: the error rows (message, field, value) are the Python
    engine's on the same leads as JSON Lines of the same text, in the same order."""
    leads_file, acts_file, mapping, as_text = relational_files(tmp_path)
    policy = str(ROOT / "policies" / "acme.policy")
    expected = run("score", policy, str(as_text), "--as-of", AS_OF, "--format", fmt)
    got = run("score", policy, str(leads_file), "--activities", str(acts_file), "--mapping", str(mapping), "--as-of", AS_OF,
              "--engine", "duckdb", "--format", fmt)
    strip = lambda err: [line for line in err.splitlines() if " scored in " not in line]  # noqa: E731
    assert (got[0], got[1], strip(got[2])) == (expected[0], expected[1], strip(expected[2]))
    assert expected[0] == 1 and expected[1].count("`mining`" if fmt == "jsonl" else "mining") >= 1


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_csv_input_without_an_id_column(tmp_path: Path, fmt: str) -> None:
    """No `id` column: the Python engine's id is the line a row starts on (a quoted cell may
    span lines); --engine duckdb says the same ids, in JSON Lines, CSV and Parquet output."""
    data = csv_without_id(tmp_path / "leads.csv", 15)
    python, duck = score_both(ROOT / "policies" / "acme.policy", data, "--format", fmt)
    assert duck == python
    assert python[0] == 1
    if fmt == "jsonl":
        ids = [json.loads(line)["id"] for line in python[1].splitlines()]
        assert ids[0] == 2 and ids[1] > 3 and all(isinstance(i, int) for i in ids)
        out = tmp_path / "decided.parquet"
        code, _, _ = run("score", str(ROOT / "policies" / "acme.policy"), str(data), "--as-of", AS_OF, "--engine", "duckdb",
                         "-o", str(out))
        assert code == 1
        assert [r[0] for r in duckdb.sql(f"SELECT id FROM read_parquet('{out}') ORDER BY line").fetchall()] == [str(i) for i in ids]  # Parquet ids are text


def test_a_small_memory_limit_completes_with_the_same_rows(tmp_path: Path) -> None:
    """Tens of thousands of leads under --memory-limit 500MB: the whole file would need more
    (about 700MB), so the engine runs it in slices of lines, spilling the rest to disk; the
    rows, summary and exit status are those of --engine python."""
    from leadpolicy.backends.sql.batch import BatchInput, slices

    workload = bench_workload()
    data = tmp_path / "leads.jsonl"
    workload.write_jsonl(data, 30_000, seed=3, error_rate=0.01)
    parts = slices(BatchInput(str(data)), "500MB")
    assert parts is not None and len(parts) > 3 and parts[0][0] == 1 and parts[-1][1] >= 30_000
    assert slices(BatchInput(str(data)), "8GB") is None
    python, duck = score_both(ROOT / "policies" / "acme.policy", data, "--memory-limit", "500MB")
    unread = [line for line in python[2] if line.startswith("warning: --memory-limit is read by --engine duckdb only")]
    assert len(unread) == 1  # the python engine says it does not read the option (decisions.md 64)
    assert duck == (python[0], python[1], [line for line in python[2] if line not in unread])
    assert python[0] == 1 and python[1].count("\n") == 30_000
    # Parquet output from slices: one file, every row, in order
    out = tmp_path / "decided.parquet"
    code, _, _ = run("score", str(ROOT / "policies" / "acme.policy"), str(data), "--as-of", AS_OF, "--engine", "duckdb",
                     "--memory-limit", "500MB", "-o", str(out))
    assert code == 1
    lines = [r[0] for r in duckdb.sql(f"SELECT line FROM read_parquet('{out}')").fetchall()]
    assert len(lines) == 30_000 and lines == sorted(lines)


def test_memory_sizes() -> None:
    from leadpolicy.backends.sql.batch import size_in_bytes

    assert size_in_bytes("200MB") == 200 * 10 ** 6 and size_in_bytes("4 GiB") == 4 * 2 ** 30 and size_in_bytes("512") == 512
    assert size_in_bytes("lots") is None and size_in_bytes("5 parsecs") is None


def test_a_missing_text_contains_nothing_not_even_the_empty_text(tmp_path: Path) -> None:
    """`path contains ""` is false for an activity without a path (a missing value fails every
    test), as in the Python engine; the SQL read LENGTH('') = 0 as true whatever the path was.
    Found by Hypothesis in the diff tests (a generated policy's `contains ""`)."""
    import leadpolicy.sql

    policy = leadpolicy.loads('policy "C" version "1"\nactivities {\n  visit (path text)\n}\nstages {\n  lead\n}\n'
                              'engagement {\n  "Any path": +1 per visit where path contains ""\n}\n')
    acts = [{"type": "visit", "at": "2026-11-20T00:00:00Z"}, {"type": "visit", "at": "2026-11-20T00:00:00Z", "path": None},
            {"type": "visit", "at": "2026-11-20T00:00:00Z", "path": "/x"}, {"type": "visit", "at": "2026-11-20T00:00:00Z", "path": "  "}]
    data = tmp_path / "leads.jsonl"
    data.write_text(json.dumps({"id": "a", "activities": acts}) + "\n", encoding="utf-8")
    (row,) = leadpolicy.sql.score_duckdb(policy, duckdb.connect(), leads=str(data), as_of=AS_OF).fetchall()
    assert row[4] == policy.evaluate({}, acts, AS_OF).engagement == 1.0  # only the visit with a path


def test_a_line_that_is_not_utf8_is_an_error_row_in_its_place(tmp_path: Path) -> None:
    """DuckDB's line reader refuses a whole file for one line that is not UTF-8; the engine
    reads a copy with that line replaced, line for line, so score and diff write what the
    Python engine writes: every other lead decided, an error row for that line alone
    (its number counted as the file counts them, blank lines included)."""
    data = tmp_path / "leads.jsonl"
    good = b'{"id": "ok", "fields": {"seniority": "vp"}, "activities": []}\n'
    data.write_bytes(good * 3 + b"\n" + b'{"id": "bad\xff"}\n' + good + b'{"id": "\xed\xa0\x80"}\n' + good)
    for fmt in ("jsonl", "csv"):
        python, duck = score_both(ROOT / "policies" / "acme.policy", data, "--format", fmt)
        assert python == duck and python[0] == 1 and "Traceback" not in "".join(duck[2])
    code, out, _ = run("score", str(ROOT / "policies" / "acme.policy"), str(data), "--as-of", AS_OF, "--engine", "duckdb")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(rows) == 7 and [r["line"] for r in rows if "error" in r] == [5, 7]
    assert "not UTF-8" in rows[3]["error"]["message"]
    reports = []
    for engine in ("python", "duckdb"):
        code, out, err = run("diff", str(ROOT / "policies" / "acme.policy"), str(ROOT / "docs" / "examples" / "acme-2026.12.policy"),
                             "--leads", str(data), "--engine", engine, "--as-of", AS_OF, "--format", "json")
        assert code == 0, err
        reports.append(json.loads(out))
    assert reports[0] == reports[1] and reports[1]["leads"]["errors"]["both"] == 2


def test_the_lines_read_from_disk_replace_a_line_that_is_not_utf8_too(tmp_path: Path) -> None:
    """materialise_lines with a spill directory (a file larger than memory): the same copy,
    read into the Parquet file; the copy itself is removed."""
    from leadpolicy.backends.sql.engines import NOT_UTF8_LINE, materialise_lines

    data = tmp_path / "leads.jsonl"
    data.write_bytes(b'{"id": "a"}\n\xff\n{"id": "c"}\n')
    spill = tmp_path / "spill"
    spill.mkdir()
    con = duckdb.connect()
    ((table, first, row),) = materialise_lines(con, str(data), "lp_lines", str(spill))
    lines = con.execute(f"SELECT {row} + {first}, lp_json FROM {table} ORDER BY 1").fetchall()
    assert lines == [(1, '{"id": "a"}'), (2, NOT_UTF8_LINE.decode()), (3, '{"id": "c"}')]
    assert [p.name for p in spill.iterdir()] == ["lp_lines.parquet"]


def test_an_engine_error_about_utf8_names_the_line() -> None:
    """Should DuckDB still refuse a line (one Python reads as UTF-8), the message names it."""
    from leadpolicy.cli.engine_options import engine_error_text

    error = RuntimeError("Invalid Input Error: CSV Error on Line: 12\nInvalid unicode (byte sequence mismatch) detected. "
                         "This file is not utf-8 encoded.")
    text = engine_error_text(error)
    assert "line 12 is not UTF-8 text" in text and "--engine python" in text

@pytest.mark.parametrize("shape", ["jsonl", "relational"])
def test_a_progress_bar_on_a_terminal_and_silence_in_a_pipe(tmp_path: Path, shape: str) -> None:
    """`score --engine duckdb` draws the python engine's progress bar on a terminal (it showed nothing
    until the summary; PRODUCT: "Long runs show a progress bar on a terminal and stay quiet in a
    pipe"): of the lines of a JSON Lines file, or the rows of a leads table, counted before a row is
    written; cleared before the summary. In a pipe, standard error holds the summary alone, and the
    rows are the same bytes."""
    from support.terminal import on_a_terminal, progress_lines

    if shape == "jsonl":
        leads = tmp_path / "leads.jsonl"
        bench_workload().write_jsonl(str(leads), 6000, seed=5)
        extra, count = [], "6,000"
    else:
        leads, acts, mapping, _ = relational_files(tmp_path)
        extra, count = ["--activities", str(acts), "--mapping", str(mapping)], "17"
    out = tmp_path / "out.jsonl"
    args = ["score", str(ROOT / "policies" / "acme.policy"), str(leads), *extra, "--as-of", AS_OF, "--engine", "duckdb",
            "-o", str(out)]
    shown, _, status = on_a_terminal(args, shown="stderr")
    assert status in (0, 1), shown
    assert all("[" in line for line in progress_lines(shown, "scoring"))  # a bar: the total is known
    assert shown.split("\r")[-1].startswith(f"{count} leads scored in "), shown  # cleared before the summary
    drawn = out.read_bytes()
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, text=True, timeout=300,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert piped.returncode == status, piped.stderr
    assert "\r" not in piped.stderr and "scoring " not in piped.stderr
    assert piped.stderr.startswith(f"{count} leads scored in ")
    assert out.read_bytes() == drawn
