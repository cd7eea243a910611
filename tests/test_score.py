"""Batch scoring: `leadpolicy score` (click's runner and a subprocess) and
`Policy.evaluate_many`, on the acme policy and the benchmark workload's leads."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.parquet import text_leads
from support.terminal import on_a_terminal
from support.workload import bench_workload

import leadpolicy
from leadpolicy.cli import main
from leadpolicy.tools import score_input, score_output

ROOT = Path(__file__).parent.parent
ACME = str(ROOT / "policies" / "acme.policy")
AS_OF = "2026-11-22T00:00:00Z"


WORKLOAD = bench_workload()


@pytest.fixture(scope="module")
def policy():
    return leadpolicy.load(ACME)


@pytest.fixture(scope="module")
def leads():
    return WORKLOAD.generate_leads(500, seed=7, error_rate=0.03)


def run(*args: str, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def jsonl(leads) -> str:
    return "".join(json.dumps(lead) + "\n" for lead in leads)


def rows(text: str) -> list:
    return [json.loads(line) for line in text.splitlines()]


def expected_row(policy, lead, as_of=AS_OF):
    try:
        decision = policy.evaluate(lead.get("fields"), lead.get("activities"), as_of, lead.get("stage"), lead.get("id"))
    except leadpolicy.LeadDataError as error:
        return {"id": lead.get("id"), "error": error.to_dict()}
    return {"id": lead.get("id"), **decision.to_dict()}


# ---------------------------------------------------------------- order and parallel runs


def test_jobs_2_gives_the_rows_of_jobs_1_in_input_order(tmp_path, leads, policy, monkeypatch) -> None:
    monkeypatch.setattr(score_input, "CHUNK_BYTES", 16 * 1024)  # 500 leads -> dozens of chunks
    source = tmp_path / "leads.jsonl"
    source.write_text(jsonl(leads), encoding="utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first = run("score", ACME, str(source), "-o", str(one), "--as-of", AS_OF, "--jobs", "1")
    second = run("score", ACME, str(source), "-o", str(two), "--as-of", AS_OF, "--jobs", "2")
    assert first.exit_code == second.exit_code == 1  # the workload has data errors
    assert "2 processes" in second.stderr and "processes" not in first.stderr
    assert one.read_bytes() == two.read_bytes()
    got = rows(one.read_text(encoding="utf-8"))
    assert [row["id"] for row in got] == [lead["id"] for lead in leads]
    for number, (row, lead) in enumerate(zip(got, leads), 1):
        wanted = expected_row(policy, lead)
        if "error" in wanted:
            wanted["line"] = number
        assert row == wanted


def test_subprocess_reads_standard_input_with_two_jobs(tmp_path, leads) -> None:
    text = jsonl(leads[:300])
    command = [sys.executable, "-m", "leadpolicy", "score", ACME, "-", "--as-of", AS_OF, "--jobs", "2", "--quiet"]
    result = subprocess.run(command, input=text, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode in (0, 1), result.stderr
    assert result.stderr == ""  # --quiet, and no progress counter in a pipe
    in_process = run("score", ACME, "-", "--as-of", AS_OF, "--jobs", "1", "--quiet", input=text)
    assert result.stdout == in_process.stdout
    assert len(result.stdout.splitlines()) == 300


def test_a_progress_bar_on_a_terminal_and_silence_in_a_pipe(tmp_path) -> None:
    """A long run draws a progress bar on standard error when that is a terminal (issue 5, PRODUCT:
    "Long runs show a progress bar on a terminal and stay quiet in a pipe"), and clears it before
    the summary; to a pipe, without --quiet, standard error holds the summary alone."""
    source = tmp_path / "leads.jsonl"
    WORKLOAD.write_jsonl(str(source), 8000, seed=5)
    args = ["score", ACME, str(source), "--as-of", AS_OF, "-j", "1", "-o", str(tmp_path / "out.jsonl")]
    shown, _, status = on_a_terminal(args, shown="stderr")
    assert status == 0, shown
    drawn = [part for part in shown.split("\r") if part.startswith("  scoring")]
    assert drawn, shown  # redrawn in place, each line after a carriage return
    assert re.fullmatch(r"  scoring \[[#-]{20}\] +[0-9]+%  [0-9,]+ leads  [0-9,]+ leads/s ", drawn[-1]), drawn[-1]
    assert shown.split("\r")[-1].startswith("8,000 leads scored in ")  # the bar is cleared before the summary
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, text=True, timeout=120,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "scoring " not in piped.stderr
    assert piped.stderr.startswith("8,000 leads scored in ")


# ---------------------------------------------------------------- error rows


def test_error_rows_keep_their_place_and_the_run_exits_1_after_every_row(tmp_path, policy) -> None:
    good = {"id": "ok-1", "fields": {"seniority": "vp", "industry": "SaaS"},
            "activities": [{"type": "form_submit", "at": "2026-11-20T09:00:00Z", "form": "demo"}]}
    bad = {"id": "bad-1", "fields": {"budget": "lots"}}
    lines = [json.dumps(good), json.dumps(bad), '{"id": "broken", "fields": {', "", "   ", "[1, 2]",
             '{"id": "ok-2", "stage": "MQL"}']
    result = run("score", ACME, "-", "--as-of", AS_OF, "--jobs", "1", input="\n".join(lines))
    assert result.exit_code == 1
    got = rows(result.stdout)
    assert [row["id"] for row in got] == ["ok-1", "bad-1", None, None, "ok-2"]
    assert got[0] == expected_row(policy, good)
    assert got[1] == {"id": "bad-1", "line": 2, "error": {"field": "budget", "value": "lots",
                                                           "message": "lead bad-1: field `budget`: cannot read `lots` as a number"}}
    assert got[2]["line"] == 3 and got[2]["error"]["field"] is None and got[2]["error"]["value"] is None
    assert got[2]["error"]["message"].startswith("line 3 is not valid JSON: ")
    assert got[3]["line"] == 6 and got[3]["error"]["message"] == "line 6 is not a JSON object: `[1, 2]`"
    assert got[4]["stage"] == "lead" and got[4]["previous_stage"] == "mql" and got[4]["change"] == "demoted"
    assert "data errors: 3" in result.stderr
    assert "line 2: lead bad-1: field `budget`" in result.stderr


def test_blank_input_and_a_byte_order_mark(tmp_path) -> None:
    source = tmp_path / "bom.jsonl"
    source.write_bytes(b'\xef\xbb\xbf{"id": "a"}\r\n\r\n{"id": "b"}')  # BOM, CRLF, no final newline
    result = run("score", ACME, str(source), "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert [row["id"] for row in rows(result.stdout)] == ["a", "b"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    result = run("score", ACME, str(empty))
    assert result.exit_code == 0 and result.stdout == ""
    assert "0 leads" in result.stderr


def test_line_numbers_survive_chunking(tmp_path) -> None:
    text = b"".join(b"\n" if i % 7 == 0 else b'{"id": %d}\n' % i for i in range(1, 400)) + b'{"id": 400}'
    path = tmp_path / "lines.jsonl"
    path.write_bytes(text)
    for size in (1, 10, 64, 1000, 1 << 20):
        chunks = list(score_input.jsonl_chunks(io.BytesIO(text), size))
        with open(path, "rb") as stream:  # a regular file with several jobs: (offset, length) chunks
            ranges = [(line, text[offset: offset + length], n) for line, (offset, length), n in score_input.jsonl_ranges(stream, size)]
        for pieces in (chunks, ranges):
            assert b"".join(chunk for _, chunk, _ in pieces) == text
            offset = 0
            for first_line, chunk, nbytes in pieces:
                assert nbytes == len(chunk) and (chunk.endswith(b"\n") or offset + len(chunk) == len(text))
                assert first_line == text[:offset].count(b"\n") + 1
                offset += len(chunk)


# ---------------------------------------------------------------- CSV


def test_csv_output_has_the_flat_columns(tmp_path, leads, policy) -> None:
    source = tmp_path / "leads.jsonl"
    source.write_text(jsonl(leads[:120]), encoding="utf-8")
    result = run("score", ACME, str(source), "--as-of", AS_OF, "--format", "csv", "--jobs", "1")
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["id", "stage", "previous_stage", "change", "engagement", "fit", "grade", "reason", "rule", "error"]
    assert len(table) == 121
    for lead, row in zip(leads, table[1:]):
        wanted = expected_row(policy, lead)
        assert row[0] == lead["id"]
        if "error" in wanted:
            assert row[1:9] == [""] * 8 and row[9] == wanted["error"]["message"]
        else:
            assert row[1:4] == [wanted["stage"], wanted["previous_stage"] or "", wanted["change"]]
            # people-facing CSV: two decimals at most, trailing zeros dropped; JSON keeps the exact float
            assert row[4] == score_output.rounded(wanted["engagement"]) and row[5] == score_output.rounded(wanted["fit"])
            assert abs(float(row[4]) - wanted["engagement"]) < 0.0051
            assert "." not in row[4] or (not row[4].endswith("0") and len(row[4].split(".")[1]) <= 2)
            assert row[6:] == [wanted["grade"] or "", wanted["reason"]["kind"], wanted["reason"]["rule"] or "", ""]


def test_csv_input(tmp_path, leads, policy) -> None:
    sample = [lead for lead in leads[:60] if "error" not in expected_row(policy, lead)]
    names = ["email", "seniority", "company_size", "industry", "budget", "sales_status", "is_customer"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "stage", *names, "unknown_column", "activities"])
    for lead in sample:
        cells = ["" if lead["fields"].get(name) is None else str(lead["fields"][name]) if not isinstance(lead["fields"][name], bool)
                 else str(lead["fields"][name]).lower() for name in names]
        writer.writerow([lead["id"], lead.get("stage") or "", *cells, "x", json.dumps(lead["activities"])])
    writer.writerow(["bad-json", "", *[""] * len(names), "", "[{"])
    writer.writerow(["short-row", "mql"])
    source = tmp_path / "leads.csv"
    source.write_text(buffer.getvalue(), encoding="utf-8")
    result = run("score", ACME, str(source), "--as-of", AS_OF, "--jobs", "1")
    assert result.exit_code == 1  # the bad activities cell
    got = rows(result.stdout)
    assert len(got) == len(sample) + 2
    for lead, row in zip(sample, got):
        fields = {name: ("" if lead["fields"].get(name) is None else lead["fields"][name]) for name in names}
        assert row == expected_row(policy, {**lead, "fields": fields})
    assert got[-2]["id"] == "bad-json" and got[-2]["error"]["field"] == "activities"
    assert got[-2]["line"] == len(sample) + 2
    assert got[-1]["id"] == "short-row" and got[-1]["previous_stage"] == "mql"
    # --input-format for a file whose name does not say CSV
    renamed = tmp_path / "leads.txt"
    renamed.write_text(buffer.getvalue(), encoding="utf-8")
    again = run("score", ACME, str(renamed), "--as-of", AS_OF, "--input-format", "csv", "--jobs", "2")
    assert again.stdout == result.stdout


# ---------------------------------------------------------------- options and the summary


def test_as_of_applies_to_every_lead(leads, policy) -> None:
    text = jsonl(leads[:50])
    later = "2027-01-15"
    now = rows(run("score", ACME, "-", "--as-of", AS_OF, input=text).stdout)
    then = rows(run("score", ACME, "-", "--as-of", later, input=text).stdout)
    assert now != then
    assert then == [dict(expected_row(policy, lead, later), **({"line": i} if "error" in expected_row(policy, lead, later) else {}))
                    for i, lead in enumerate(leads[:50], 1)]
    bad = run("score", ACME, "-", "--as-of", "yesterday", input=text)
    assert bad.exit_code == 2 and "--as-of" in bad.stderr


def test_summary_counts_stages_and_changes(leads) -> None:
    result = run("score", ACME, "-", "--as-of", AS_OF, "--jobs", "1", input=jsonl(leads[:200]))
    got = rows(result.stdout)
    decisions = [row for row in got if "error" not in row]
    errors = len(got) - len(decisions)
    assert errors > 0
    first, as_of, by_stage, by_change, error_line = result.stderr.splitlines()[:5]
    assert first.startswith("200 leads scored in ") and "leads per second" in first
    assert as_of == "  as of:      2026-11-22T00:00:00Z"
    for stage in ("lead", "mql", "sql", "disqualified"):
        assert f"{stage} {sum(row['stage'] == stage for row in decisions)}" in by_stage
    for change in ("new", "unchanged", "promoted", "demoted", "disqualified"):
        assert f"{change} {sum(row['change'] == change for row in decisions)}" in by_change
    assert by_stage.index("lead ") < by_stage.index("mql ") < by_stage.index("sql ") < by_stage.index("disqualified ")
    assert error_line.strip().startswith(f"data errors: {errors}")
    quiet = run("score", ACME, "-", "--as-of", AS_OF, "--quiet", input=jsonl(leads[:20]))
    assert quiet.stderr == "" and len(quiet.stdout.splitlines()) == 20


def test_usage_errors_exit_2(tmp_path) -> None:
    assert run("score", ACME, str(tmp_path / "missing.jsonl")).exit_code == 2
    assert run("score", ACME, "-", "--jobs", "0", input="").exit_code == 2


# ---------------------------------------------------------------- evaluate_many


def test_evaluate_many_yields_errors_in_place(policy, leads) -> None:
    batch_leads = leads[:100] + [[1, 2], {"id": "x", "fields": {"budget": "lots"}}, {"id": "y", "fields": {"seniority": "VP"}}]
    outcomes = list(policy.evaluate_many(batch_leads, as_of=AS_OF))
    assert len(outcomes) == len(batch_leads)
    for lead, outcome in zip(batch_leads, outcomes):
        if not isinstance(lead, dict):
            assert isinstance(outcome, leadpolicy.LeadDataError) and "#101" in str(outcome)
            continue
        wanted = expected_row(policy, lead)
        if "error" in wanted:
            assert isinstance(outcome, leadpolicy.LeadDataError) and outcome.to_dict() == wanted["error"]
        else:
            assert isinstance(outcome, leadpolicy.Decision) and outcome.to_dict() == {k: v for k, v in wanted.items() if k != "id"}
    assert isinstance(outcomes[-2], leadpolicy.LeadDataError) and outcomes[-2].lead_id == "x"
    assert outcomes[-1].stage == "lead"


# ---------------------------------------------------------------- CSV as CRM exports write it


def score_csv(tmp_path, text: str, *extra: str, name: str = "leads.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run("score", ACME, str(path), "--as-of", AS_OF, "--jobs", "1", *extra)


def test_csv_header_matches_crm_spellings(tmp_path, policy) -> None:
    text = ' ID ,Seniority,Company Size, INDUSTRY ,sales-status,Previous Stage\nL-1,VP,800,SaaS,open,mql\n'
    result = score_csv(tmp_path, text)
    assert result.exit_code == 0, result.output
    (row,) = rows(result.stdout)
    fields = {"seniority": "VP", "company_size": "800", "industry": "SaaS", "sales_status": "open"}
    assert row == {"id": "L-1", **policy.evaluate(fields, [], AS_OF, "mql").to_dict()}
    assert row["fit"] == 60.0 and "warning" not in result.stderr


def test_csv_columns_that_name_nothing_are_warned_about_with_a_suggestion(tmp_path) -> None:
    result = score_csv(tmp_path, "id,Seniorty,Budget,Favourite colour\nL-1,vp,20000,blue\n")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert warnings == [
        "warning: column 2 (`Seniorty`) names no field of the policy and is ignored; did you mean `seniority`?",
        "warning: column 4 (`Favourite colour`) names no field of the policy and is ignored",
    ]
    assert rows(result.stdout)[0]["fit"] == 25.0  # the budget was read, the misspelt seniority was not
    assert score_csv(tmp_path, "id,Seniorty,Budget\nL-1,vp,1\n", "--quiet").stderr == ""


def test_csv_without_any_field_column_is_an_error_not_empty_leads(tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("kept\n")
    result = score_csv(tmp_path, "ID,Level,Employees\n1,vp,800\n2,ic,10\n", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {tmp_path / 'leads.csv'}: no column names a field of the policy or `activities` "
        "(the header has `ID`, `Level`, `Employees`); name the columns after the fields: `email`, `seniority`")
    assert out.read_text() == "kept\n"


def test_csv_duplicate_columns_are_an_error(tmp_path) -> None:
    result = score_csv(tmp_path, "id,Company Size,company_size\nL-1,1,2\n")
    assert result.exit_code == 1 and result.stdout == ""
    assert "columns 2 (`Company Size`) and 3 (`company_size`) both name the field `company_size`: keep one of them" in result.stderr


def test_csv_row_with_more_cells_than_the_header_is_an_error_row(tmp_path) -> None:
    text = "id,seniority,budget\nL-1,vp,10,oops\nL-2,vp,10,\nL-3,vp\n"
    result = score_csv(tmp_path, text)
    assert result.exit_code == 1
    first, second, third = rows(result.stdout)
    assert first == {"id": "L-1", "line": 2, "error": {"field": None, "value": None,
                                                        "message": "lead L-1: line 2 has 4 cells but the header has 3 columns"}}
    assert second["stage"] == "lead" and third["stage"] == "lead"  # an empty extra cell, a short row: fine


@pytest.mark.parametrize("delimiter, given", [(";", None), ("\t", None), ("|", "|"), (";", "semicolon"), ("\t", "tab")])
def test_csv_delimiters_are_detected_or_given(tmp_path, delimiter, given) -> None:
    text = delimiter.join(["id", "seniority", "company_size", "industry"]) + "\n" + delimiter.join(["L-1", "vp", "800", "saas"]) + "\n"
    result = score_csv(tmp_path, text, *(["--delimiter", given] if given else []))
    assert result.exit_code == 0, result.output
    assert rows(result.stdout)[0]["fit"] == 60.0
    assert run("score", ACME, "-", "--input-format", "csv", "--delimiter", "ab", input=text).exit_code == 2


def test_csv_without_an_id_column_uses_line_numbers(tmp_path) -> None:
    result = score_csv(tmp_path, "seniority,budget\nvp,20000\n\nic,\n")
    assert result.exit_code == 0
    assert [row["id"] for row in rows(result.stdout)] == [2, 4]
    assert "warning: there is no `id` column: each lead's id is its line number in the file" in result.stderr


def test_output_format_follows_the_suffix(tmp_path) -> None:
    source = tmp_path / "leads.jsonl"
    source.write_text('{"id": "a", "fields": {"budget": 14.8}}\n')
    for name, first in (("out.csv", "id,stage,"), ("out.jsonl", '{"id": "a"'), ("OUT.CSV", "id,stage,")):
        assert run("score", ACME, str(source), "-o", str(tmp_path / name), "--as-of", AS_OF).exit_code == 0
        assert (tmp_path / name).read_text().startswith(first)
    assert run("score", ACME, str(source), "-o", str(tmp_path / "x.csv"), "--format", "jsonl").exit_code == 0
    assert (tmp_path / "x.csv").read_text().startswith("{")


def test_csv_cells_show_rounded_scores_and_json_keeps_the_exact_float(tmp_path) -> None:
    from leadpolicy.tools.score_output import rounded

    assert [rounded(v) for v in (14.800000000000002, 60.0, 162.5, -0.001, 1 / 3, -12.345678)] == \
        ["14.8", "60", "162.5", "0", "0.33", "-12.35"]
    lead = {"id": "a", "fields": {}, "activities": [{"type": "page_view", "at": "2026-10-01", "path": "/blog/x"}]}
    text = json.dumps(lead) + "\n"
    exact = rows(run("score", ACME, "-", "--as-of", AS_OF, input=text).stdout)[0]["engagement"]
    assert exact == 2.5
    table = list(csv.reader(io.StringIO(run("score", ACME, "-", "--as-of", AS_OF, "--format", "csv", input=text).stdout)))
    assert table[1][4:6] == ["2.5", "0"]


def test_error_row_values_are_json(tmp_path) -> None:
    lines = ['{"id": {"crm": 7}, "fields": {"budget": [1, "x"]}}', '{"id": "n", "fields": {"budget": NaN}}']
    result = run("score", ACME, "-", "--as-of", AS_OF, input="\n".join(lines))
    first, second = rows(result.stdout)
    assert first["error"]["value"] == [1, "x"]  # the value as the lead had it, not Python's "[1, 'x']"
    assert first["error"]["message"].startswith('lead {"crm": 7}: field `budget`')
    assert second["error"]["value"] == "NaN"
    assert '{"crm": 7}' in result.stderr and "'crm'" not in result.stderr


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_carriage_return_in_a_csv_cell_is_quoted(tmp_path: Path, engine: str) -> None:
    """The csv module quotes the characters of its line terminator (`\\n`) and not a bare `\\r`, which
    every reader takes for the end of a row: an id `L-2\\r` came back as `L-2` and a row of its own."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    ids = ["L-1", "L-2\r", "L-3\rL-4,sql", "L-5\r\n", "L-6"]
    leads = [{"id": i, "fields": {"budget": "x" if i == "L-3\rL-4,sql" else 5}, "activities": []} for i in ids]
    source = tmp_path / "leads.jsonl"
    source.write_text("".join(json.dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run("score", ACME, str(source), "-o", str(out), "--as-of", AS_OF, "-j", "1", "--engine", engine)
    assert result.exit_code == 1  # L-3's budget
    text = out.read_bytes().decode("utf-8")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in table[1:]] == ids and {len(row) for row in table} == {10}
    assert text.count("\n") == 7 and '\n"L-2\r",lead,' in text  # rows end in \n alone, the cell as it is

# ---------------------------------------------------------------- rows on a terminal

# what a terminal acts on or reorders rather than shows (a raw newline is checked for by row count)
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CLEAR = "L-1\x1b[2J\x1b]0;PWN\x07\u202e"


def _hostile_run(tmp_path: Path) -> tuple[Path, Path, list[dict]]:
    """A policy whose disqualifying rule's name holds an escape sequence, and leads whose ids and values
    hold escape sequences, a carriage return, a right-to-left override and a newline that would
    start a row of its own."""
    policy = tmp_path / "p.policy"
    policy.write_text(Path(ACME).read_text(encoding="utf-8").replace('"Competitor"', '"Compet\x1b[2Jitor"'), encoding="utf-8")
    leads = [
        {"id": _CLEAR + "\nL-9,sql,,promoted,100,100,A,qualified,,", "fields": {"email": "x@acme.example"}, "activities": []},
        {"id": "L-2\r", "fields": {"email": "x@rival.example"}, "activities": []},
        {"id": "L-3", "fields": {"seniority": "vp\x1b]0;PWN\x07\nerror: it is fine"}, "activities": []},
    ]
    source = tmp_path / "hostile.jsonl"
    source.write_text("".join(json.dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    return policy, source, leads


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_csv_on_a_terminal_shows_control_characters_and_a_pipe_gets_the_data_as_it_is(tmp_path: Path, engine: str) -> None:
    """`score --format csv` on a terminal wrote an id `L-1\\x1b[2J` as it was: it cleared the screen.
    On a terminal each cell is shown as text, one line per row; to a pipe or a file the bytes are the data's."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    policy, source, leads = _hostile_run(tmp_path)
    args = ["score", str(policy), str(source), "--format", "csv", "--as-of", AS_OF, "-j", "1", "--engine", engine]
    shown, summary, status = on_a_terminal(args)
    assert status == 1  # the third lead is an error row
    assert not _UNSHOWN.search(shown) and not _UNSHOWN.search(summary), (shown, summary)
    lines = shown.splitlines()
    assert len(lines) == 4 and lines[0].startswith("id,stage,")  # the header and one line per lead
    assert lines[1].startswith('"L-1\\x1b[2J\\x1b]0;PWN\\x07\\u202e\\nL-9,sql,')
    assert lines[2].startswith("L-2\\r,disqualified,") and ",Compet\\x1b[2Jitor," in lines[2]
    assert "vp\\x1b]0;PWN\\x07\\nerror: it is fine" in lines[3]
    assert not any(line.startswith("error:") for line in summary.splitlines())  # a lead's newline ends no line there
    # a pipe: the cells are the data, byte for byte
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    table = list(csv.reader(io.StringIO(piped.stdout.decode("utf-8"), newline="")))
    assert [row[0] for row in table[1:]] == [lead["id"] for lead in leads]
    assert table[2][8] == "Compet\x1b[2Jitor" and "vp\x1b]0;PWN\x07\nerror" in table[3][9]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_json_lines_on_a_terminal_need_nothing_shown_otherwise(tmp_path: Path, engine: str) -> None:
    """JSON Lines on a terminal are the same bytes as to a pipe: the encoder writes every control,
    C1, text-direction and other non-ASCII character as a `\\u` escape, so none reaches the terminal."""
    if engine == "duckdb":
        pytest.importorskip("duckdb")
    policy, source, leads = _hostile_run(tmp_path)
    shown, _, _ = on_a_terminal(["score", str(policy), str(source), "--as-of", AS_OF, "-j", "1", "--engine", engine])
    assert not _UNSHOWN.search(shown) and shown.isascii()
    assert [json.loads(line)["id"] for line in shown.splitlines()] == [lead["id"] for lead in leads]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_every_engine_writes_to_dev_stdout(tmp_path: Path, fmt: str) -> None:
    """`-o /dev/stdout` (a device: nothing to replace) is written straight to, by every engine: the duckdb
    engine tried to make a temporary file beside it, in /dev, and said `cannot write /dev/stdout: no such
    directory`, blaming the input."""
    pytest.importorskip("duckdb")
    if not os.path.exists("/dev/stdout"):
        pytest.skip("no /dev/stdout here")
    source = ROOT / "policies" / "acme.leads.jsonl"
    outputs = []
    for engine in ("python", "duckdb"):
        done = subprocess.run([sys.executable, "-m", "leadpolicy", "score", ACME, str(source), "-o", "/dev/stdout",
                               "--format", fmt, "--as-of", AS_OF, "-j", "1", "--engine", engine, "-q"],
                              capture_output=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 60 + (fmt == "csv")


@pytest.mark.parametrize("engine, name", [("python", "x.jsonl"), ("duckdb", "x.jsonl"), ("duckdb", "x.parquet")])
def test_an_output_that_cannot_be_written_is_said_as_every_engine_says_it(tmp_path: Path, engine: str, name: str) -> None:
    """The duckdb engine said `INPUT: cannot write OUT: ...` (a Parquet OUT: `INPUT: [Errno 2] No such file or
    directory: '/proc/.x.parquet.k2j3.parquet'`): the input was blamed, and a temporary file named. One line
    naming OUT, as the python engine says it. (/proc takes no new file, whoever runs the tests.)"""
    pytest.importorskip("duckdb")
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc here")
    source = ROOT / "policies" / "acme.leads.jsonl"
    result = run("score", ACME, str(source), "-o", f"/proc/{name}", "--as-of", AS_OF, "-j", "1", "--engine", engine)
    assert result.exit_code == 2 and result.stderr == f"error: cannot write /proc/{name}: no such directory\n", result.stderr


def test_duckdb_reads_the_file_named_even_when_its_name_is_a_glob_pattern(tmp_path: Path) -> None:
    """DuckDB's readers take a path as a glob pattern: `--engine duckdb 'leads[1].jsonl'` read leads1.jsonl
    beside it, and `'acts*.parquet'` every file the pattern matches. The file named is read, as the
    python engine reads it."""
    pytest.importorskip("duckdb")
    from support.backends import relational_files

    lines = (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "leads[1].jsonl").write_text("".join(lines[:5]), encoding="utf-8")
    (tmp_path / "leads1.jsonl").write_text("".join(lines[5:9]), encoding="utf-8")  # what the pattern matches
    for name in ("leads[1].jsonl", "leads?.jsonl", "leads*.jsonl"):
        if name != "leads[1].jsonl":
            (tmp_path / name).write_text("".join(lines[:5]), encoding="utf-8")
        got = run("score", ACME, str(tmp_path / name), "--as-of", AS_OF, "--engine", "duckdb")
        expected = run("score", ACME, str(tmp_path / name), "--as-of", AS_OF, "-j", "1")
        assert got.exit_code == expected.exit_code and got.stdout == expected.stdout and got.stdout.count("\n") == 5, name
    leads, acts, names, _ = relational_files(tmp_path)
    plain = run("score", ACME, str(leads), "--activities", str(acts), "--mapping", str(names), "--as-of", AS_OF,
                "--engine", "duckdb")
    for pattern, other in (("le*ds.parquet", "leXds.parquet"), ("a[c]ts.parquet", "acts.parquet")):
        source = leads if pattern.startswith("le") else acts
        (tmp_path / pattern).write_bytes(source.read_bytes())
        if other != source.name:
            (tmp_path / other).write_bytes(source.read_bytes())  # a second table the pattern matches
    acts.write_bytes(b"")  # `a[c]ts.parquet` matched acts.parquet: now a file DuckDB cannot read
    globbed = run("score", ACME, str(tmp_path / "le*ds.parquet"), "--activities", str(tmp_path / "a[c]ts.parquet"),
                  "--mapping", str(names), "--as-of", AS_OF, "--engine", "duckdb")
    assert globbed.exit_code == plain.exit_code == 1 and globbed.stdout == plain.stdout, globbed.stderr


def test_score_reads_parquet_leads_of_the_json_lines_shape_with_every_engine(tmp_path: Path) -> None:
    """The product has score read "JSON Lines, CSV, Parquet" and give "the same decisions from every engine":
    a Parquet file of the leads as in JSON Lines (id, fields, activities, stage) was refused by the python
    engine ("Parquet input is read by --engine duckdb", exit 2) and by duckdb for want of --activities."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("duckdb")
    import datetime

    leads = text_leads(ROOT / "policies" / "acme.leads.jsonl")
    (tmp_path / "leads.jsonl").write_text(jsonl(leads))
    pq.write_table(pa.Table.from_pylist(leads), tmp_path / "leads.parquet")
    utc = datetime.timezone.utc
    typed = [{"id": "T-1", "stage": "mql",
              "fields": {"seniority": "vp", "company_size": 800, "industry": "SaaS", "is_customer": False},
              "activities": [{"type": "form_submit", "at": datetime.datetime(2026, 11, 20, 9, tzinfo=utc), "form": "demo"}]},
             {"id": "T-2", "stage": None, "fields": {"seniority": "boss", "company_size": None, "industry": None,
                                                    "is_customer": None}, "activities": []}]
    pq.write_table(pa.Table.from_pylist(typed), tmp_path / "typed.parquet")

    def score(name: str, *options: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "leadpolicy", "score", ACME, str(tmp_path / name), "--as-of", AS_OF,
                               "-q", "-j", "1", *options], capture_output=True, text=True, timeout=300, cwd=tmp_path)

    expected = score("leads.jsonl")
    assert expected.returncode == 0 and len(expected.stdout.splitlines()) == len(leads), expected.stderr
    for engine in ("python", "duckdb"):
        done = score("leads.parquet", "--engine", engine)
        assert (done.returncode, done.stdout, done.stderr) == (0, expected.stdout, ""), engine
        done = score("typed.parquet", "--engine", engine)  # a timestamp column, a number, a boolean; an error row
        assert done.returncode == 1, done.stderr
        decided, error = rows(done.stdout)
        assert (decided["id"], decided["stage"], decided["change"]) == ("T-1", "sql", "promoted")
        assert error == {"id": "T-2", "line": 2, "error": {"field": "seniority", "value": "boss", "message": (
            "lead T-2: field `seniority`: `boss` is not one of ic, manager, director, vp, cxo")}}
    pq.write_table(pa.Table.from_pylist(typed).slice(0, 0), tmp_path / "none.parquet")
    for engine in ("python", "duckdb"):  # no rows: said of the file named, not of the copy
        done = subprocess.run([sys.executable, "-m", "leadpolicy", "score", ACME, str(tmp_path / "none.parquet"),
                               "--engine", engine], capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert (done.returncode, done.stdout) == (0, ""), done.stderr
        assert done.stderr.startswith(f"warning: {tmp_path / 'none.parquet'} is empty"), done.stderr
    # a leads table of the relational shape (no `fields` column) is still the SQL engines' with --activities
    pq.write_table(pa.Table.from_pylist([{"id": "R-1", "seniority": "vp"}]), tmp_path / "table.parquet")
    refused = score("table.parquet")
    assert refused.returncode == 2 and "relational shape" in refused.stderr and "Traceback" not in refused.stderr


def test_a_parquet_json_text_cell_that_cannot_be_read_as_json_stays_its_text() -> None:
    """Parquet's JSON columns are read as the JSON they hold (docs/decisions.md 65); a cell that is
    not JSON, or nests past Python's stack, is kept as its text (a data error naming it where a
    field reads it), not a traceback."""
    pytest.importorskip("pyarrow")
    from leadpolicy.tools.parquet_leads import _json_value

    assert _json_value('"17"') == "17" and _json_value("45") == 45
    assert _json_value("not json") == "not json"
    deep = "[" * 100_000
    assert _json_value(deep) == deep
