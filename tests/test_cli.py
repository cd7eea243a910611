"""The command line: check, eval, compile and test, through click's runner, and the
installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).parent.parent
ACME = str(ROOT / "policies" / "acme.policy")
LEAD = str(ROOT / "policies" / "acme.lead.json")
LEADS = str(ROOT / "policies" / "acme.leads.jsonl")
GOLDEN = Path(__file__).parent / "golden" / "cli"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- check


def test_check_clean_policy_exits_0_and_names_the_warning() -> None:
    result = run("check", ACME)
    assert result.exit_code == 0
    assert "acme.policy: ok, 1 warning" in result.stdout
    assert "unused-field" in result.stderr


def test_check_strict_counts_warnings() -> None:
    result = run("check", "--strict", ACME)
    assert result.exit_code == 1
    # it said "acme.policy: ok, 1 warning" and failed
    assert result.stdout == f"{ACME}: 0 errors, 1 warning (--strict: warnings fail)\n"


def test_check_reports_every_error_and_exits_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.policy", 'policy "B" version "1"\nfields { budget number }\nstages { lead mql when budgt > 1 and fit > "x" }\n')
    result = run("check", bad)
    assert result.exit_code == 1
    assert "error[unknown-field]" in result.stderr and "error[type-mismatch]" in result.stderr
    assert "bad.policy:3:24" in result.stderr and "did you mean `budget`?" in result.stderr
    assert "^^^^^" in result.stderr
    assert "bad.policy: 2 errors" in result.stdout


def test_check_json(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.policy", 'policy "B" version "1"\nstages { lead mql when x > 1 }\n')
    result = run("check", "--format", "json", bad)
    assert result.exit_code == 1
    (diagnostic,) = json.loads(result.stdout)
    assert diagnostic["code"] == "unknown-field" and (diagnostic["line"], diagnostic["column"]) == (2, 24)


def test_check_json_lists_file_problems_as_diagnostics(tmp_path: Path, monkeypatch) -> None:
    """A missing file, one that is not UTF-8 or not a policy, a .tests file that is not UTF-8, a directory
    without policies: said as text on standard error only, and the JSON a CI tool reads held none of them (`[]`
    for a run that exits 2). Each is now a diagnostic `file-problem` in the list, at no position (line and
    column null); the stderr lines and the exit status stay."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.policy").write_bytes(b'policy "Caf\xe9" version "1"\nstages { lead }\n')
    (tmp_path / "lead.policy").write_text('{"id": "L-1", "fields": {}}\n')
    (tmp_path / "p.policy").write_text('policy "P" version "1"\nstages { lead }\n')
    (tmp_path / "p.tests").write_bytes(b'test "caf\xe9" { expect stage lead }\n')
    (tmp_path / "none").mkdir()
    result = run("check", "--format", "json", "nope.policy", "latin1.policy", "lead.policy", "p.policy", ACME)
    assert result.exit_code == 2
    said = [line.removeprefix("error: ") for line in result.stderr.splitlines()]
    problems = [d for d in json.loads(result.stdout) if d["code"] == "file-problem"]
    assert [(d["path"], d["message"]) for d in problems] == [
        ("latin1.policy", "latin1.policy is not UTF-8 text (byte 12 is 0xe9)"),
        ("lead.policy", 'lead.policy is not a policy (it starts with `{`); a policy starts with `policy "NAME" version "V"`'),
        ("nope.policy", "no such file: nope.policy"),
        ("p.tests", "p.tests is not UTF-8 text (byte 10 is 0xe9)")]
    assert sorted(said) == sorted(d["message"] for d in problems)
    for d in problems:
        assert d == {**d, "severity": "error", "line": None, "column": None, "end_line": None, "end_column": None}
    assert "unused-field" in {d["code"] for d in json.loads(result.stdout)}  # the policy that reads is checked
    text = run("check", "nope.policy", ACME)
    assert text.exit_code == 2 and text.stderr.startswith("error: no such file: nope.policy\nwarning[unused-field]")
    assert "file-problem" not in text.output  # text as it was
    empty = run("check", "--format", "json", "none")
    assert empty.exit_code == 2 and "no .policy files found in none" in empty.stderr
    assert [(d["code"], d["path"], d["message"]) for d in json.loads(empty.stdout)] == [
        ("file-problem", "none", "no .policy files found in none")]


def test_check_directory_includes_sibling_tests(tmp_path: Path) -> None:
    write(tmp_path, "p.policy", 'policy "P" version "1"\nstages { lead }\n')
    write(tmp_path, "p.tests", 'test "t" { expect stage sqll }\n')
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert "p.tests:1:12" in result.stderr and "unknown-stage" in result.stderr


def test_check_missing_file_is_a_usage_error() -> None:
    result = run("check", "no/such.policy")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_syntax_error_in_tests_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "p.policy", 'policy "P" version "1"\nstages { lead }\n')
    write(tmp_path, "p.tests", 'test "t" { expect }\n')
    result = run("check", str(tmp_path / "p.policy"))
    assert result.exit_code == 1 and "p.tests:1:19" in result.stderr


# ---------------------------------------------------------------- eval


def test_eval_explains_an_sql_decision(golden) -> None:
    result = run("eval", ACME, LEAD, "--as-of", "2026-11-22")
    assert result.exit_code == 0
    golden(GOLDEN / "eval_acme.txt", result.stdout)
    assert "stage       sql (was mql): promoted" in result.stdout


@pytest.mark.parametrize(("lead", "previous", "change", "line"), [
    ({"fields": {}}, None, "new", "stage       lead: new (first placement)"),
    ({"fields": {}}, "lead", "unchanged", "stage       lead (was lead): unchanged"),
    ({"fields": {"sales_status": "accepted"}}, "sql", "unchanged", "stage       sql (was sql): unchanged"),
    ({"fields": {}}, "mql", "demoted", "stage       lead (was mql): demoted"),
    ({"fields": {"is_customer": True}}, "mql", "disqualified", "stage       disqualified (was mql): disqualified"),
    ({"fields": {}}, "disqualified", "requalified", "stage       lead (was disqualified): requalified after disqualification"),
])
def test_eval_names_the_change_as_the_decision_does(lead: dict, previous: str | None, change: str, line: str) -> None:
    """The explanation's stage line names the decision's `change` value (`new`, `unchanged`, ...), as
    --json and `score` write it: it said `first placement` and `no change` for two of them."""
    options = ["--previous-stage", previous] if previous else []
    decided = json.loads(run("eval", ACME, "-", "--as-of", "2026-11-22", "--json", *options, input=json.dumps(lead)).stdout)
    assert decided["change"] == change
    shown = run("eval", ACME, "-", "--as-of", "2026-11-22", *options, input=json.dumps(lead)).stdout.splitlines()
    assert shown[1] == "  " + line


def test_eval_says_how_many_activities_came_after_as_of() -> None:
    """An --as-of in the past leaves the later activities out of every score: the explanation
    said nothing of them, and the lead looked as if it had done less than its file shows."""
    assert "after as of" not in run("eval", ACME, LEAD, "--as-of", "2026-11-22").stdout  # all of them counted
    earlier = run("eval", ACME, LEAD, "--as-of", "2026-11-17T10:06:00Z")
    assert earlier.exit_code == 0
    assert earlier.stdout.splitlines()[-1] == "  (2 activities of the lead came after as of: not counted)"
    assert json.loads(run("eval", ACME, LEAD, "--as-of", "2026-11-01", "--json").stdout)["engagement"] == 5.0  # JSON alone
    journey = run("eval", ACME, LEAD, "--journey", "--as-of", "2026-09-01")
    assert journey.exit_code == 0 and journey.stdout.splitlines()[-1] == "(5 activities of the lead came after as of: not replayed)"
    assert "after as of" not in run("eval", ACME, LEAD, "--journey", "--as-of", "2026-11-22").stdout
    json.loads(run("eval", ACME, LEAD, "--journey", "--json", "--as-of", "2026-09-01").stdout)  # JSON alone


def test_eval_json_from_stdin_with_previous_stage() -> None:
    lead = Path(LEAD).read_text()
    result = run("eval", ACME, "-", "--json", "--as-of", "2026-11-22", "--previous-stage", "sql", input=lead)
    assert result.exit_code == 0
    decision = json.loads(result.stdout)
    assert list(decision) == ["policy", "version", "stage", "previous_stage", "change", "engagement", "fit", "grade", "reason", "hits"]
    assert (decision["stage"], decision["previous_stage"], decision["change"]) == ("sql", "sql", "unchanged")
    assert decision["engagement"] == 162.5 and decision["fit"] == 60.0


def test_eval_data_error_exits_1_naming_lead_field_and_value(tmp_path: Path) -> None:
    lead = write(tmp_path, "lead.json", json.dumps({"id": "L-9", "fields": {"budget": "lots"}}))
    result = run("eval", ACME, lead)
    assert result.exit_code == 1
    assert "L-9" in result.stderr and "budget" in result.stderr and "lots" in result.stderr
    assert "Traceback" not in result.output


def test_eval_bad_json_exits_1(tmp_path: Path) -> None:
    lead = write(tmp_path, "lead.json", "{not json")
    result = run("eval", ACME, lead)
    assert result.exit_code == 1 and "not valid JSON" in result.stderr


def test_eval_of_a_json_lines_file_points_to_score(tmp_path: Path) -> None:
    leads = write(tmp_path, "leads.jsonl", '{"id": "a"}\n{"id": "b"}\n')
    result = run("eval", ACME, leads)
    assert result.exit_code == 1
    assert "not valid JSON: Extra data (it holds more than one lead, one per line: " \
           f"`leadpolicy score POLICY {leads}` decides each" in result.stderr
    assert f"--> {leads}:2:1\n" in result.stderr



@pytest.mark.parametrize("header", ["id,seniority,Company Size", "Email;Seniority", "id\tseniority"])
def test_eval_of_a_csv_file_points_to_score(tmp_path: Path, header: str) -> None:
    """A CSV export given to eval said `help: a text value is a string in double quotes: write "id"`."""
    leads = write(tmp_path, "my leads.csv", header + "\n1,vp,800\n")
    result = run("eval", ACME, leads)
    assert result.exit_code == 1 and "--> " in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"  = help: this looks like CSV (a header line, then a lead per row): `leadpolicy score POLICY '{leads}'` "
        "decides each row; eval takes one lead as a JSON object")
    piped = run("eval", ACME, "-", input=header + "\n")
    assert "`leadpolicy score POLICY -` decides each row" in piped.stderr
    assert "CSV" not in run("eval", ACME, "-", input="vp\n").stderr  # one word: the JSON hint still

@pytest.mark.parametrize("text, column, hint", [
    ('{"fields": {"budget": 500},}', 28, "remove the comma before `}`: JSON has no comma after the last item"),
    ('{"activities": [1, 2,]}', 22, "remove the comma before `]`: JSON has no comma after the last item"),
    ("{'fields': {}}", 2, 'JSON strings take double quotes: write "fields"'),
    ("{fields: {}}", 2, 'a key is a string in double quotes: write "fields"'),
    ('{"fields": {"is_customer": True}}', 28, "write `true` (JSON's spelling), not `True`"),
    ('{"fields": {"seniority": vp}}', 26, 'a text value is a string in double quotes: write "vp"'),
    ('{"fields": {"a": 1 "b": 2}}', 20, "a comma is missing between two items, just before this"),
    ('{"id": "L-1', 12, 'close the string with a double quote (") before the line ends (a line break inside one is \\n)'),
    ('{"id": "L-1\t"}', 12, "a string cannot hold a control character such as a tab as it is: write \\t"),
])
def test_eval_bad_json_shows_the_line_a_caret_and_the_fix(tmp_path: Path, text: str, column: int, hint: str) -> None:
    """A hand-written lead file's JSON slip: file:line:col, the line, a caret under the place,
    and what to write instead in the file's own words (front door: trying eval by hand)."""
    lead = write(tmp_path, "lead.json", text + "\n")
    result = run("eval", ACME, lead)
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error[json]: not valid JSON: ")
    assert lines[1] == f" --> {lead}:1:{column}"
    assert lines[3] == f"1 | {text.expandtabs(1)}" and lines[4] == "  | " + " " * (column - 1) + "^"
    assert lines[5] == f"  = help: {hint}"


def test_eval_bad_json_on_a_long_line_shows_the_part_around_the_error(tmp_path: Path) -> None:
    acts = ", ".join('{"type": "webinar", "at": "2026-11-%02dT10:00:00Z"}' % day for day in range(1, 21))
    text = '{"activities": [' + acts.replace("}, {", "} {", 1 + acts.count("}, {") // 2).replace("} {", "}, {", acts.count("}, {") // 2) + "]}"
    lead = write(tmp_path, "lead.json", text + "\n")
    error_at = json_error_column(text)
    result = run("eval", ACME, lead)
    lines = result.stderr.splitlines()
    assert lines[1] == f" --> {lead}:1:{error_at}"
    shown, caret = lines[3][4:], lines[4][4:]
    assert shown.startswith("...") and shown.endswith("...") and len(shown) <= 206
    assert shown[len(caret) - 1] == "{" and caret.strip() == "^"  # the caret under the place in the cut line


def json_error_column(text: str) -> int:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return error.colno
    raise AssertionError("valid JSON")


def test_eval_bad_as_of_or_previous_stage_is_a_usage_error_naming_the_option() -> None:
    """A bad --as-of was "error[data]: field `as_of`: ...", exit 1, and a bad --previous-stage was
    blamed on the lead file (` --> lead.json`, a line that never held it): both are the command
    used wrongly, said as `score`, `diff` and `report` say a bad --as-of (exit 2)."""
    result = run("eval", ACME, LEAD, "--as-of", "yesterday")
    assert result.exit_code == 2 and "field" not in result.stderr
    assert "Invalid value for --as-of: `yesterday` is not an ISO 8601 date or timestamp" in result.stderr
    result = run("eval", ACME, LEAD, "--as-of", "2026-11-22", "--previous-stage", "bogus")
    assert result.exit_code == 2 and "-->" not in result.stderr
    assert "Invalid value for --previous-stage: `bogus` is not a stage of this policy (use lead, mql, sql," in result.stderr


@pytest.mark.parametrize("args, said", [
    (["score", ACME, LEADS, "--engine", "duck"], "error: Invalid value for '--engine': 'duck' is not one of 'python', 'duckdb', 'spark'."),
    (["score", ACME, LEADS, "--as-of", "yesterday"], "error: Invalid value for --as-of: `yesterday` is not an ISO 8601 date or timestamp"),
    (["check", "--format", "yaml", ACME], "error: Invalid value for '--format': 'yaml' is not one of 'text', 'json'."),
])
def test_a_wrong_value_is_one_line_naming_the_option(args, said) -> None:
    """click put its usage text around a wrong value's message: `Usage: ...`, `Try '... --help'`, a
    blank line, then `Error: Invalid value ...`. The message names the option and the fix: it alone."""
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", said + "\n")


def test_a_missing_argument_keeps_the_usage_line_that_shows_its_place() -> None:
    result = run("score", ACME)
    assert result.exit_code == 2 and result.stderr.startswith("Usage: ") and "Missing argument 'INPUT'" in result.stderr



def test_eval_journey_refuses_a_previous_stage() -> None:
    """`eval --journey --previous-stage sql` printed the journey from no stage, the option ignored."""
    result = run("eval", ACME, LEAD, "--journey", "--previous-stage", "sql", "--as-of", "2026-11-22")
    assert result.exit_code == 2 and "--previous-stage does not apply with --journey" in result.stderr

def test_eval_bad_stage_in_the_lead_file_points_at_it(tmp_path: Path) -> None:
    """The lead's own previous stage is written `stage`; the error showed the file alone, no line."""
    lead = tmp_path / "lead.json"
    lead.write_text('{"id": "L-1",\n "fields": {},\n "stage": "bogus"}\n')
    result = run("eval", ACME, str(lead), "--as-of", "2026-11-22")
    assert result.exit_code == 1
    assert f"--> {lead}:3:11" in result.stderr and '3 |  "stage": "bogus"}' in result.stderr


def test_eval_policy_with_errors_exits_1(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.policy", 'policy "B" version "1"\nstages { lead mql when x }\n')
    result = run("eval", bad, LEAD)
    assert result.exit_code == 1 and "error[unknown-field]" in result.stderr and "nothing was run" in result.stderr
    for command in ("compile", "docs"):  # they said "nothing was run" too
        result = run(command, bad)
        assert result.exit_code == 1 and result.stderr.endswith(f"{bad}: 1 error; nothing was written\n")


# ---------------------------------------------------------------- compile


def test_compile_writes_a_module(tmp_path: Path) -> None:
    out = tmp_path / "acme_policy.py"
    result = run("compile", ACME, "-o", str(out))
    assert result.exit_code == 0
    text = out.read_text()
    assert "def evaluate(" in text and "import leadpolicy" not in text
    assert run("compile", ACME).stdout == text


# ---------------------------------------------------------------- test


FAILING = """
test "the demo lead is an MQL" {
  as of 2026-11-22
  fields { seniority: vp, industry: saas, company_size: 800, sales_status: open }
  activity form_submit (form: "demo") 2 days ago
  expect stage mql
  expect fit >= 70
  expect no hit "Requested a demo"
}
"""


def test_test_passes_on_the_examples_with_coverage() -> None:
    result = run("test", ACME, "--coverage", "--fail-under", "90")
    assert result.exit_code == 0
    assert "10 tests: 10 passed, 0 failed; rule coverage 100.0%" in result.stdout


def test_test_failure_report_is_pinned(tmp_path: Path, golden) -> None:
    shutil.copy(ACME, tmp_path / "acme.policy")
    write(tmp_path, "acme.tests", FAILING)
    result = run("test", str(tmp_path / "acme.policy"))
    assert result.exit_code == 1
    golden(GOLDEN / "test_failure.txt", result.stdout.replace(str(tmp_path), "TMP"))


def test_a_hit_expected_of_a_demotion_rule_is_said_to_give_no_points() -> None:
    # `expect hit` on a demotion rule: it fired (it is the decision's reason), but only rules
    # that give points are hits; check warns of it (golden case hit-without-points)
    result = run("test", str(GOLDEN.parent / "diagnostics" / "hit-without-points.policy"))
    assert result.exit_code == 1
    assert ('expected a hit on "Cooled off": it fired (it is the reason), but it gives no points,'
            ' and only rules that give points are hits') in result.stdout
    assert "did not fire" not in result.stdout
    assert "PASS  opted out" in result.stdout


def test_test_coverage_threshold_fails_the_run(tmp_path: Path) -> None:
    shutil.copy(ACME, tmp_path / "acme.policy")
    result = run("test", str(tmp_path / "acme.policy"), "--coverage", "--fail-under", "90")
    assert result.exit_code == 1
    assert "never exercised" in result.stdout and "below --fail-under 90%" in result.stderr


def test_test_json(tmp_path: Path) -> None:
    result = run("test", ACME, "--json", "--coverage")
    data = json.loads(result.stdout)
    assert data["passed"] == 10 and data["failed"] == 0 and data["coverage"] == 100.0
    shutil.copy(ACME, tmp_path / "acme.policy")
    write(tmp_path, "acme.tests", FAILING)
    [failed] = [t for f in json.loads(run("test", str(tmp_path / "acme.policy"), "--json").stdout)["files"]
                for t in f["tests"] if not t["passed"]]
    assert failed["path"].endswith("acme.tests") and failed["line"] == 2
    assert list(zip(failed["failure_lines"], failed["failures"])) == [
        (6, "expected stage mql, got sql"), (7, "expected fit >= 70, got 60.00"),
        (8, 'expected no hit on "Requested a demo", but it fired')]


def test_test_json_coverage_says_for_every_rule_whether_a_test_made_it_fire(tmp_path: Path) -> None:
    """Issue 3: coverage reports, for every rule (engagement, fit, grade band, stage entry,
    demotion, disqualification), whether some test made it fire; `missed` lists only the others."""
    write(tmp_path, "p.policy", '''policy "P" version "1"
fields { size number }
activities { visit }
stages {
  lead
  mql when fit >= 5
}
engagement { "Visit": +5 per visit }
fit { "Big": +5 when size >= 100 }
grades { A when fit >= 5  B otherwise }
demote { "Shrank": mql -> lead when size < 100 }
disqualify { "Tiny": when size < 2 }
test "big" {
  as of 2026-11-22
  fields { size: 200 }
  expect stage mql
}
''')
    [entry] = json.loads(run("test", str(tmp_path / "p.policy"), "--json", "--coverage").stdout)["files"]
    assert entry["coverage"]["each_rule"] == [
        {"kind": "stage", "name": "mql", "line": 6, "fired": True},
        {"kind": "engagement", "name": "Visit", "line": 8, "fired": False},
        {"kind": "fit", "name": "Big", "line": 9, "fired": True},
        {"kind": "grade", "name": "A", "line": 10, "fired": True},
        {"kind": "grade", "name": "B", "line": 10, "fired": False},
        {"kind": "demote", "name": "Shrank", "line": 11, "fired": False},
        {"kind": "disqualify", "name": "Tiny", "line": 12, "fired": False},
    ]
    assert [(r["kind"], r["name"]) for r in entry["coverage"]["missed"]] == [
        ("engagement", "Visit"), ("grade", "B"), ("demote", "Shrank"), ("disqualify", "Tiny")]


def test_test_with_a_check_error_is_not_a_crash(tmp_path: Path) -> None:
    shutil.copy(ACME, tmp_path / "acme.policy")
    write(tmp_path, "acme.tests", 'test "t" { expect hit "Requested a dmeo" }')
    result = run("test", str(tmp_path / "acme.policy"))
    assert result.exit_code == 1
    assert "unknown-rule" in result.stderr and 'did you mean "Requested a demo"?' in result.stderr


# ---------------------------------------------------------------- the installed script


def test_console_script_runs_in_a_subprocess() -> None:
    beside = Path(sys.executable).with_name("leadpolicy")  # this environment's script, not one elsewhere on PATH
    command = [str(beside)] if beside.is_file() else [sys.executable, "-m", "leadpolicy"]
    result = subprocess.run(
        command + ["eval", ACME, LEAD, "--as-of", "2026-11-22", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stage"] == "sql"
    version = subprocess.run(command + ["--version"], capture_output=True, text=True, timeout=60)
    assert "leadpolicy" in version.stdout


def test_python_dash_m_works() -> None:
    result = subprocess.run([sys.executable, "-m", "leadpolicy", "check", ACME], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout


EXAMPLE_NEXT = str(ROOT / "docs" / "examples" / "acme-2026.12.policy")


@pytest.mark.parametrize("args, key", [
    (["check", ACME], None),  # a list of diagnostics
    (["diff", ACME, EXAMPLE_NEXT], "old"),
    (["report", ACME, LEADS, "--as-of", "2026-11-22", "-j", "1"], "as_of"),
    (["score", ACME, LEADS, "--as-of", "2026-11-22", "-j", "1", "-q"], "stage"),
])
def test_json_is_a_common_option_of_the_commands_that_print_data(args: list[str], key: str | None) -> None:
    # the product's common options are --as-of, --previous-stage and --json "where they apply": check,
    # diff and report took only --format json or -o FILE.json, and said "No such option '--json'" (exit 2)
    command = [sys.executable, "-m", "leadpolicy", *args]
    result = subprocess.run(command + ["--json"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    first = json.loads(result.stdout.splitlines()[0]) if args[0] == "score" else json.loads(result.stdout)
    assert key in first if key else first[0]["code"] == "unused-field"
    if args[0] != "report":  # the same bytes as the --format it stands for (report has none: -o FILE.json)
        by_format = ["--format", "jsonl" if args[0] == "score" else "json"]
        assert subprocess.run(command + by_format, capture_output=True, text=True, timeout=120, cwd=ROOT).stdout == result.stdout
    clash = ["--format", "text" if args[0] in ("check", "diff") else "csv"] if args[0] != "report" else ["-o", "report.md"]
    refused = subprocess.run(command + ["--json", *clash], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert refused.returncode == 2 and "--json" in refused.stderr and "Traceback" not in refused.stderr


def test_every_example_policy_passes_its_tests_above_90_percent_coverage() -> None:
    result = run("test", str(ROOT / "policies"), "--coverage", "--fail-under", "90")
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout and "never exercised" not in result.stdout


def test_check_is_clean_on_every_example_policy() -> None:
    result = run("check", str(ROOT / "policies"))
    assert result.exit_code == 0
    not_clean = [line for line in result.stdout.splitlines() if not line.endswith(": ok")]
    assert not_clean == [f"{ROOT / 'policies' / 'acme.policy'}: ok, 1 warning"]


def test_a_byte_order_mark_is_not_part_of_the_policy(tmp_path: Path) -> None:
    path = tmp_path / "bom.policy"
    path.write_bytes(b'\xef\xbb\xbfpolicy "B" version "1"\nstages { lead }\n')
    assert run("check", str(path)).exit_code == 0
    import leadpolicy

    assert leadpolicy.load(path).name == "B"
    # text read with 'utf-8' keeps the mark: loads drops it as load does (it was "unexpected character")
    loaded = leadpolicy.loads(path.read_text(encoding="utf-8"))
    assert loaded.name == "B" and loaded.source_sha256 == leadpolicy.load(path).source_sha256


def test_loads_takes_text_only() -> None:
    """leadpolicy.loads(b"...") failed inside the parser: TypeError "cannot use a string pattern on a
    bytes-like object"; loads(None): "expected string or bytes-like object". Now the TypeError says
    loads takes str, and for bytes how to get it."""
    import leadpolicy

    with pytest.raises(TypeError, match=r"^loads takes the policy's text as str, not bytes: decode it first, "
                                        r"text.decode\('utf-8'\), or pass the file to leadpolicy.load$"):
        leadpolicy.loads(b'policy "P" version "1"\nstages { lead }\n')
    with pytest.raises(TypeError, match=r"^loads takes the policy's text as str, not NoneType$"):
        leadpolicy.loads(None)  # type: ignore[arg-type]


def test_loads_takes_a_path_object_as_the_name() -> None:
    """loads(text, path=Path("x.policy")) kept the Path in every diagnostic and in policy.path:
    json.dumps of a diagnostic's to_dict() failed ("Object of type PosixPath is not JSON serializable")."""
    import leadpolicy

    with pytest.raises(leadpolicy.PolicyError) as raised:
        leadpolicy.loads('policy "P" version "1"\nstages { lead  mql when foo }\n', path=Path("x.policy"))
    assert json.loads(json.dumps(raised.value.diagnostics[0].to_dict()))["path"] == "x.policy"
    assert leadpolicy.loads('policy "P" version "1"\nstages { lead }\n', path=Path("x.policy")).path == "x.policy"


def test_load_names_a_file_that_is_not_utf8_text(tmp_path: Path) -> None:
    """leadpolicy.load raised Python's UnicodeDecodeError ("'utf-8' codec can't decode byte 0xe9 in
    position 28"), naming no file; a compressed policy likewise at byte 2. Now a PolicyError whose
    one diagnostic (file-problem, no position) names the file and says what to do."""
    import gzip

    import leadpolicy

    latin = tmp_path / "latin.policy"
    latin.write_bytes('policy "Café" version "1"\nstages { lead }\n'.encode("latin-1"))
    with pytest.raises(leadpolicy.PolicyError) as raised:
        leadpolicy.load(latin)
    assert str(raised.value) == f"{latin}: not UTF-8 text (byte 12 is 0xe9): save it as UTF-8"
    [problem] = raised.value.diagnostics
    assert (problem.code, problem.severity, problem.path, problem.line, problem.column) == (
        "file-problem", "error", str(latin), None, None)
    packed = tmp_path / "p.policy.gz"
    packed.write_bytes(gzip.compress(b'policy "P" version "1"\nstages { lead }\n'))
    with pytest.raises(leadpolicy.PolicyError, match="p.policy.gz: gzip-compressed, and a policy is plain UTF-8 text: "
                                                     "decompress it first"):
        leadpolicy.load(packed)


def test_evaluate_many_rejects_activities_that_are_not_a_list() -> None:
    import leadpolicy

    policy = leadpolicy.load(ACME)
    outcomes = list(policy.evaluate_many([{"id": "L-1", "activities": {}}, {"id": "L-2", "activities": None}], as_of="2026-11-22"))
    assert isinstance(outcomes[0], leadpolicy.LeadDataError) and outcomes[0].field == "activities"
    assert outcomes[1].stage == "lead"


# ---------------------------------------------------------------- words and colour


def test_one_test_is_one_test(tmp_path: Path) -> None:
    write(tmp_path, "p.policy", 'policy "P" version "1"\nstages { lead }\ntest "t" { expect stage lead }\n')
    result = run("test", str(tmp_path / "p.policy"), "--coverage")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == "1 test: 1 passed, 0 failed; rule coverage 100.0%"
    assert "1 tests" not in result.stdout


def test_a_policy_without_tests_is_named_with_where_to_write_them(tmp_path: Path) -> None:
    """Not a silent `0 tests` (a CI gate passing on a policy nothing tests), nor a coverage
    line under no file name."""
    write(tmp_path, "starter.policy", 'policy "P" version "1"\nstages { lead  mql when engagement >= 1 }\n')
    result = run("test", str(tmp_path / "starter.policy"), "--coverage")
    assert result.exit_code == 0
    lines = result.stdout.replace(str(tmp_path) + os.sep, "").splitlines()
    assert lines[:3] == ["starter.policy", '  no tests: write `test "..." { ... }` blocks in the policy or in starter.tests',
                         "  coverage: 0 of 1 rule (0.0%)"]


def test_no_coverage_is_claimed_when_no_policy_could_be_read(tmp_path: Path) -> None:
    write(tmp_path, "empty.policy", "")
    result = run("test", str(tmp_path / "empty.policy"), "--coverage")
    assert result.exit_code == 1 and "is empty" in result.stderr
    assert result.stdout.splitlines()[-1] == "0 tests: 0 passed, 0 failed"  # not "rule coverage 100.0%"


def _on_a_terminal(args: list, env: dict) -> str:
    """Run the command with its standard output and error on a pseudo-terminal; what it printed."""
    from support.terminal import on_a_terminal

    return on_a_terminal(args, env=env, shown="both")[0]


def test_colour_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    env = {k: "" for k in ("NO_COLOR",)}
    coloured = _on_a_terminal(["test", ACME], {"NO_COLOR": ""})
    assert "\x1b[32mPASS\x1b[0m" in coloured
    plain = _on_a_terminal(["test", ACME], {"NO_COLOR": "1"})
    assert "PASS" in plain and "\x1b[" not in plain
    missing = _on_a_terminal(["compile", "no/such.policy"], env)
    assert "\x1b[31m\x1b[1merror\x1b[0m: no such file: no/such.policy" in missing
    assert "\x1b[" not in run("test", ACME).stdout  # a pipe: never


def test_shell_completion_as_documented() -> None:
    """docs/cli-guide.md: `eval "$(_LEADPOLICY_COMPLETE=bash_source leadpolicy)"`."""
    source = CliRunner().invoke(main, [], env={"_LEADPOLICY_COMPLETE": "bash_source"}, prog_name="leadpolicy")
    assert "_leadpolicy_completion" in source.output and "complete " in source.output
    words = CliRunner().invoke(main, [], prog_name="leadpolicy",
                               env={"_LEADPOLICY_COMPLETE": "bash_complete", "COMP_WORDS": "leadpolicy sc", "COMP_CWORD": "1"})
    assert "plain,score" in words.output.splitlines()
    guide = (ROOT / "docs" / "cli-guide.md").read_text(encoding="utf-8")
    assert 'eval "$(_LEADPOLICY_COMPLETE=bash_source leadpolicy)"' in guide


def test_eval_error_values_are_json_like_scores(tmp_path: Path) -> None:
    lead = write(tmp_path, "lead.json", json.dumps({"id": {"crm": 7}, "fields": {"budget": ["a", 1]}}))
    result = run("eval", ACME, lead, "--json", "--as-of", "2026-11-22")
    assert result.exit_code == 1
    row = json.loads(result.stdout)
    assert row["error"]["value"] == ["a", 1] and row["error"]["message"].startswith('lead {"crm": 7}: field `budget`')
    assert "'crm'" not in result.stderr


def test_commands_load_lazily_and_help_lists_every_one() -> None:
    """`--help` and `--version` import no command module (start-up time), yet list every
    command with the same line it has once loaded; each table entry names its module."""
    import importlib

    from leadpolicy.cli.app import COMMANDS, main

    probe = ("import sys; from leadpolicy.cli import main\n"
             "try: main(['--help'])\nexcept SystemExit: pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('leadpolicy.') and m.endswith('_cmd')),"
             " 'leadpolicy.syntax.parser' in sys.modules or 'lark' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.splitlines()[-1] == "[] False", result.stdout + result.stderr
    for name in COMMANDS:
        assert f"  {name} " in result.stdout
    modules = {path.stem for path in (ROOT / "leadpolicy" / "cli").glob("*_cmd.py")}
    assert {module for module, _ in COMMANDS.values()} == modules
    for name, (module, line) in COMMANDS.items():
        importlib.import_module(f"leadpolicy.cli.{module}")
        assert main.commands[name].get_short_help_str(200) == line

def test_eval_with_no_lead_on_a_terminal_says_it_reads_standard_input() -> None:
    """Issue 9 item 6: `leadpolicy eval POLICY` typed at a terminal used to wait in silence."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "leadpolicy", "eval", ACME, "--as-of", "2026-11-22"], stdin=terminal, stdout=terminal,
                               stderr=terminal, env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    os.close(terminal)
    out = b""
    try:
        while b"reading the lead from standard input" not in out:
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, f"no prompt on the terminal: {out!r}"
            out += os.read(controller, 65536)
        lead = json.dumps(json.load(open(LEAD, encoding="utf-8")))
        os.write(controller, lead.encode() + b"\n\x04")  # the line, then Ctrl-D: end of input
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                break
            try:
                block = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not block:
                break
            out += block
        assert process.wait(timeout=60) == 0, out
    finally:
        if process.poll() is None:
            process.kill()
        os.close(controller)
    text = out.decode()
    assert "(end with Ctrl-D; or name a file: leadpolicy eval POLICY LEAD)" in text
    assert "lead L-1001" in text and "meets the entry criteria of `sql`" in text  # then the decision, explained


def test_a_misspelt_command_gets_the_close_one() -> None:
    for typed, wanted in (("scor", "score"), ("chek", "check"), ("dif", "diff"), ("compil", "compile")):
        result = CliRunner().invoke(main, [typed, "x.policy"])
        assert result.exit_code == 2
        assert f"No such command '{typed}'. Did you mean `leadpolicy {wanted}`?" in result.stderr
    result = CliRunner().invoke(main, ["help"])
    assert result.exit_code == 2 and "`leadpolicy --help` lists the commands" in result.stderr
    result = CliRunner().invoke(main, ["zzzz"])
    assert result.exit_code == 2 and "No such command 'zzzz'." in result.stderr and "Did you mean" not in result.stderr


def test_eval_data_error_points_at_the_value_in_the_file(tmp_path: Path) -> None:
    """A value that cannot be read: the message, the file, and the line with a caret under the
    value (a field's, or an activity's property or time), when the text holds it once."""
    text = ('{\n  "id": "L-7",\n  "fields": {"company_size": "5OO", "seniority": "vp"},\n  "activities": [\n'
            '    {"type": "webinar", "at": "2026-11-20T10:00:00Z", "minutes": "long"}\n  ]\n}\n')
    lead = write(tmp_path, "lead.json", text)
    result = run("eval", ACME, lead, "--as-of", "2026-11-22")
    assert result.exit_code == 1
    line = text.splitlines()[2]
    assert result.stderr.splitlines()[:5] == [
        "error[data]: lead L-7: field `company_size`: cannot read `5OO` as a number",
        f" --> {lead}:3:{line.index('5OO')}",  # the column of the opening quote, 1-based
        "  |",
        f"3 | {line}",
        "  | " + " " * line.index('"5OO"') + "^^^^^"]
    fixed = write(tmp_path, "fixed.json", text.replace('"5OO"', "500"))
    lines = run("eval", ACME, fixed, "--as-of", "2026-11-22").stderr.splitlines()
    assert lines[0] == "error[data]: lead L-7: activity `webinar` property `minutes`: cannot read `long` as a number"
    at = text.splitlines()[4].index('"long"')
    assert lines[1] == f" --> {fixed}:5:{at + 1}" and lines[4] == "  | " + " " * at + "^^^^^^"



def test_eval_data_error_for_an_enum_value_suggests_the_member(tmp_path: Path) -> None:
    """A policy's unknown member gets "did you mean"; a lead's `"seniority": "vpp"` did not."""
    lead = write(tmp_path, "lead.json", '{"id": "x", "fields": {"seniority": "vpp"}}')
    result = run("eval", ACME, lead, "--as-of", "2026-11-22")
    assert result.exit_code == 1 and result.stderr.splitlines()[-1] == "  = help: did you mean `vp`?"
    far = write(tmp_path, "far.json", '{"id": "x", "fields": {"seniority": "zzz", "industry": "zzz"}}')
    assert "help" not in run("eval", ACME, far, "--as-of", "2026-11-22").stderr


def test_eval_warns_of_fields_outside_fields(tmp_path: Path) -> None:
    """`{"seniority": "vp", "industry": "saas"}` was decided as a lead with no fields, without a word."""
    lead = write(tmp_path, "lead.json", '{"id": "x", "seniority": "vp", "page_view": [], "phone": "1"}')
    result = run("eval", ACME, lead, "--as-of", "2026-11-22", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["fit"] == 0.0  # the decision is unchanged
    assert result.stderr.startswith("warning: `seniority`, `page_view` are at the top of the lead, where only id, "
                                    "fields, activities, stage are read: put fields inside \"fields\"")
    assert "warning" not in run("eval", ACME, LEAD, "--as-of", "2026-11-22").stderr

def test_eval_data_error_names_the_file_when_the_value_is_not_found_once(tmp_path: Path) -> None:
    lead = write(tmp_path, "lead.json", json.dumps({"fields": {"budget": "lots"}, "activities": [
        {"type": "form_submit", "at": "2026-11-20", "budget": "lots"}]}))  # an undeclared property, same text
    result = run("eval", ACME, lead, "--as-of", "2026-11-22")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["error[data]: field `budget`: cannot read `lots` as a number", f" --> {lead}"]
    as_of = run("eval", ACME, lead, "--as-of", "yesterday")
    assert as_of.exit_code == 2 and "-->" not in as_of.stderr  # the option, not the file: a usage error


def test_every_jobs_option_is_also_j() -> None:
    """`report -j 1` was "No such option" where `score -j 1` and `diff -j 1` worked."""
    import click

    context = click.Context(main)
    commands = {name: main.get_command(context, name) for name in main.list_commands(context)}
    with_jobs = {name: param for name, command in commands.items() if command
                 for param in command.params if "--jobs" in getattr(param, "opts", [])}
    assert {"score", "diff", "report"} <= set(with_jobs)
    assert not [name for name, param in with_jobs.items() if "-j" not in param.opts]


# ---------------------------------------------------------------- hostile text on the terminal

# What a terminal would act on rather than show: a title (OSC), clearing the screen, a carriage
# return, a backspace, C1 controls, line separators and a right-to-left override
TERMINAL = "\x1b]0;PWN\x07\x1b[2J\r\x08\x9b2J\x85\u2028\u202eRTL"
UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_hostile_text_cannot_act_on_the_terminal(tmp_path: Path) -> None:
    """Names in a policy and ids and values of a lead are shown escaped (`\\x1b`) in every message for
    people: diagnostics, test results, the explanation, the journey, the summary of `score` and the
    lines of `compile`, `docs` and `report`; none reaches the terminal as it is."""
    # a string of the language holds no line break, and no text-direction override (the parser refuses it)
    name = TERMINAL.replace("\r", "").replace("\u202e", "")
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    text = Path(ACME).read_text(encoding="utf-8").replace('"Acme Cloud handoff"', f'"{quoted}"').replace(
        '"Requested a demo"', f'"{quoted} demo"').replace("open, accepted", f'open, "{quoted}", accepted')
    text += f'\ntest "{quoted}" {{\n  as of 2026-11-22\n  fields {{ seniority: vp }}\n  expect stage sql\n}}\n'
    policy = write(tmp_path, "p.policy", text)
    lead = {"id": TERMINAL, "fields": {"seniority": "vp", "sales_status": TERMINAL + "x"},
            "activities": [{"type": "form_submit", "at": "2026-11-20T00:00:00Z", "form": "demo"}]}
    good = dict(lead, fields={"seniority": "vp"})
    bad = write(tmp_path, "bad.json", json.dumps(lead))
    ok = write(tmp_path, "ok.json", json.dumps(good))
    leads = write(tmp_path, "leads.jsonl", json.dumps(good) + "\n" + json.dumps(lead) + "\n")
    said = [
        run("check", policy),
        run("test", policy),
        run("eval", policy, ok, "--as-of", "2026-11-22"),
        run("eval", policy, bad, "--as-of", "2026-11-22"),
        run("eval", policy, ok, "--journey", "--as-of", "2026-11-22"),
        run("score", policy, leads, "-j", "1", "--as-of", "2026-11-22", "-o", str(tmp_path / "out.jsonl")),
        run("compile", policy, "-o", str(tmp_path / "p.py")),
        run("report", policy, leads, "-j", "1", "--as-of", "2026-11-22", "-o", str(tmp_path / "r.json")),
    ]
    assert [r.exit_code for r in said] == [0, 1, 0, 1, 0, 1, 0, 0]
    for result in said:
        assert not UNSHOWN.search(result.stdout + result.stderr), (result.stdout + result.stderr)[:400]
    assert "\\x1b]0;PWN\\x07\\x1b[2J" in said[0].stderr + said[1].stdout + said[2].stdout + said[5].stderr
    assert "\\x1b]0;PWN\\x07\\x1b[2J\\r\\x08\\x9b2J\\x85\\u2028\\u202eRTL" in said[5].stderr  # the lead's id


def test_a_lead_id_with_a_newline_cannot_fake_a_line_of_the_explanation(tmp_path: Path) -> None:
    """eval's explanation and journey named the lead on their first line with its id as it was: an id
    `L-9\\n  stage       sql (was mql): promoted` printed a decision line of its own above the real one."""
    lead = json.loads(Path(LEAD).read_text(encoding="utf-8"))
    lead["id"] = "L-9\n  stage       sql (was mql): promoted"
    path = write(tmp_path, "fake.json", json.dumps(lead))
    for extra in ([], ["--journey"]):
        result = run("eval", ACME, path, "--as-of", "2026-11-22", *extra)
        assert result.exit_code == 0, result.output
        first = result.stdout.splitlines()[0]
        assert "L-9\\n  stage       sql (was mql): promoted" in first
        assert sum(line.strip().startswith("stage       sql") for line in result.stdout.splitlines()) == (0 if extra else 1)
