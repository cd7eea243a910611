"""The common options and the front door of the command line (PRODUCT's "Command line"): `--as-of`
and `--previous-stage` where they apply, every path that is a pipe read as its stream, `test`'s
search of a working tree. Real files, real pipes, real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).parent.parent
ACME = str(ROOT / "policies" / "acme.policy")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def cli(*args: str, cwd: Path | str = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command in a subprocess, as a user's shell runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "leadpolicy", *args], cwd=cwd, input=stdin, capture_output=True,
                          env=env, timeout=120)


# ---------------------------------------------------------------- test --as-of

WINDOWED = '''policy "T" version "1"
activities {
  chat
}
stages {
  lead
  mql when engagement >= 10
}
engagement {
  "Chatted": +10 per chat within 30 days
}
test "a chat on 20 November makes an MQL" {
  activity chat at 2026-11-20T00:00:00Z
  expect stage mql
}
test "its own as of wins" {
  as of 2026-11-25
  activity chat at 2026-11-20T00:00:00Z
  expect stage mql
}
'''


def test_test_as_of_is_the_time_of_tests_that_state_none(tmp_path: Path) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(WINDOWED, encoding="utf-8")
    inside = cli("test", str(policy), "--as-of", "2026-11-22")
    assert inside.returncode == 0, inside.stdout.decode()
    assert b"2 tests: 2 passed, 0 failed" in inside.stdout
    # two months later the chat is out of its 30-day window; the pinned test keeps its own as of
    later = cli("test", str(policy), "--as-of", "2027-01-21T10:00:00Z", "--json")
    assert later.returncode == 1
    outcomes = {t["name"]: t["passed"] for t in json.loads(later.stdout)["files"][0]["tests"]}
    assert outcomes == {"a chat on 20 November makes an MQL": False, "its own as of wins": True}


def test_test_as_of_pins_coverage_too(tmp_path: Path) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(WINDOWED.replace('  as of 2026-11-25\n', ''), encoding="utf-8")
    result = run("test", str(policy), "--as-of", "2027-01-21", "--coverage")
    assert "never exercised" in result.stdout and "Chatted" in result.stdout


def test_test_as_of_that_is_no_date_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("test", ACME, "--as-of", "last tuesday")
    assert result.returncode == 2
    assert b"--as-of" in result.stderr and b"`last tuesday` is not an ISO 8601 date" in result.stderr
    assert b"Traceback" not in result.stderr



BEYOND = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"]  # ISO 8601, but past year 9999 / before year 1 in UTC


@pytest.mark.parametrize("when", BEYOND)
@pytest.mark.parametrize("args", [
    ("eval", ACME, str(ROOT / "policies" / "acme.lead.json")),
    ("eval", ACME, str(ROOT / "policies" / "acme.lead.json"), "--journey"),
    ("score", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "-q", "-j", "1"),
    ("test", ACME),
    ("diff", ACME, ACME),
    ("report", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "-j", "1"),
    ("report", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "-j", "1", "--from"),
    ("report", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "-j", "1", "--to"),
], ids=lambda args: " ".join(a for a in args if not a.startswith("/")))
def test_a_time_beyond_the_datetime_range_in_utc_is_a_usage_error(args: tuple, when: str) -> None:
    """`--as-of 9999-12-31T23:59:59-05:00` (10000-01-01 in UTC) was an internal error in every command
    (`OverflowError: date value out of range`, exit 3); now a usage error naming the option, as a time
    that cannot be read is."""
    option = args[-1] if args[-1] in ("--from", "--to") else "--as-of"
    args = args[:-1] if option != "--as-of" else args
    result = run(*args, option, when)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}: `{when}` is outside the times leadpolicy reads" in result.stderr, result.stderr


@pytest.mark.parametrize("block", [
    "as of 9999-12-31T23:59:59-05:00",
    "as of 0001-01-01T00:00:00+01:00",
    "as of 0001-01-02\n  activity chat 3 days ago",
    "as of 2026-11-22\n  activity chat at 0001-01-01T00:00:00+01:00",
])
def test_a_test_whose_time_is_beyond_the_datetime_range_is_that_tests_error(tmp_path: Path, block: str) -> None:
    """A test block's `as of 9999-12-31T23:59:59-05:00` (or an activity `ago` before year 1) was an
    internal error of `leadpolicy test` (OverflowError, exit 3), with --coverage too; now that test's
    data error, and the others run."""
    policy = tmp_path / "far.policy"
    policy.write_text('policy "far" version "1"\nfields { x number }\nactivities { chat }\n'
                      'stages { lead  mql "M" when x > 1 }\n'
                      f'test "far" {{\n  {block}\n  expect stage lead\n}}\n'
                      'test "near" {\n  as of 2026-11-22\n  fields { x: 2 }\n  expect stage mql\n}\n')
    result = run("test", str(policy), "--coverage")
    assert result.exit_code == 1, result.output
    assert "data error: a time of this test is outside the times leadpolicy reads" in result.stdout
    assert "2 tests: 1 passed, 1 failed; rule coverage 100.0%" in result.stdout

# ---------------------------------------------------------------- a path that is a pipe

LEAD_FILE = ROOT / "policies" / "acme.lead.json"
LEADS_FILE = ROOT / "policies" / "acme.leads.jsonl"
AS_OF = ("--as-of", "2026-11-22")


def piped(*args: str, feed: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """The command with `feed` piped into it and named as /dev/stdin (`cat FILE | leadpolicy ... /dev/stdin`)."""
    return cli(*args, cwd=tmp_path, stdin=feed.read_bytes())


def test_every_command_reads_a_policy_named_as_dev_stdin_once(tmp_path: Path) -> None:
    policy = Path(ACME)
    check = piped("check", "/dev/stdin", feed=policy, tmp_path=tmp_path)
    assert check.returncode == 0 and b"/dev/stdin: ok" in check.stdout, check.stderr  # it said "/dev/stdin is empty"
    assert piped("fmt", "--check", "/dev/stdin", feed=policy, tmp_path=tmp_path).returncode == 0
    compiled = piped("compile", "/dev/stdin", "-o", "acme_policy.py", feed=policy, tmp_path=tmp_path)
    assert compiled.returncode == 0 and "def evaluate" in (tmp_path / "acme_policy.py").read_text(encoding="utf-8")
    documented = piped("docs", "/dev/stdin", "-o", "acme.md", feed=policy, tmp_path=tmp_path)
    assert documented.returncode == 0 and "Acme Cloud handoff" in (tmp_path / "acme.md").read_text(encoding="utf-8")
    tested = piped("test", "/dev/stdin", feed=policy, tmp_path=tmp_path)
    assert tested.returncode == 0 and b"0 failed" in tested.stdout, tested.stderr
    decided = piped("eval", "/dev/stdin", str(LEAD_FILE), *AS_OF, "--json", feed=policy, tmp_path=tmp_path)
    assert decided.returncode == 0 and json.loads(decided.stdout)["stage"] == "sql", decided.stderr
    scored = piped("score", "/dev/stdin", str(LEADS_FILE), *AS_OF, "-q", feed=policy, tmp_path=tmp_path)
    assert scored.returncode == 0 and len(scored.stdout.splitlines()) == len(LEADS_FILE.read_bytes().splitlines())


def test_fmt_of_a_pipe_prints_the_formatted_policy(tmp_path: Path) -> None:
    """It wrote the formatted text back into the pipe, where nobody read it, and said `reformatted /dev/stdin`."""
    messy = tmp_path / "messy.policy"
    messy.write_text(Path(ACME).read_text(encoding="utf-8").replace("\n  ", "\n    "), encoding="utf-8")
    result = piped("fmt", "/dev/stdin", feed=messy, tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stdout.decode() == Path(ACME).read_text(encoding="utf-8")


def test_every_command_reads_leads_named_as_dev_stdin_once(tmp_path: Path) -> None:
    leads = len(LEADS_FILE.read_bytes().splitlines())
    decided = piped("eval", ACME, "/dev/stdin", *AS_OF, "--json", feed=LEAD_FILE, tmp_path=tmp_path)
    assert decided.returncode == 0 and json.loads(decided.stdout)["stage"] == "sql"
    scored = piped("score", ACME, "/dev/stdin", *AS_OF, "-q", feed=LEADS_FILE, tmp_path=tmp_path)
    assert scored.returncode == 0 and len(scored.stdout.splitlines()) == leads
    diffed = piped("diff", ACME, ACME, "--leads", "/dev/stdin", *AS_OF, "--json", feed=LEADS_FILE, tmp_path=tmp_path)
    assert diffed.returncode == 0, diffed.stderr  # it said "/dev/stdin is not a file"
    assert json.loads(diffed.stdout)["leads"]["total"] == leads
    reported = piped("report", ACME, "/dev/stdin", *AS_OF, "-o", "r.json", feed=LEADS_FILE, tmp_path=tmp_path)
    assert reported.returncode == 0 and b"is empty" not in reported.stderr  # it warned "/dev/stdin is empty"
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["reports"][0]["leads"] == leads


def test_a_named_pipe_is_read_once(tmp_path: Path) -> None:
    fifo = tmp_path / "acme.fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen([sys.executable, "-m", "leadpolicy", "check", str(fifo)], cwd=tmp_path,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(fifo, "wb") as writer:
        writer.write(Path(ACME).read_bytes())
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert b"ok, 1 warning" in out


# ---------------------------------------------------------------- test and check search a working tree

BROKEN = 'policy "vendored" version "1"\nstages { lead mql when nosuchfield > 1 }\n'


def _team_repository(root: Path) -> None:
    """A repository as a team has it: its policy, and tools' directories that ship policies of their own."""
    (root / "policies").mkdir()
    (root / "policies" / "acme.policy").write_text(Path(ACME).read_text(encoding="utf-8"), encoding="utf-8")
    (root / "policies" / "acme.tests").write_text((ROOT / "policies" / "acme.tests").read_text(encoding="utf-8"),
                                                  encoding="utf-8")
    for inside in (".venv/lib/python3.12/site-packages/pkg", "venv/lib/python3.12/site-packages/pkg",
                   "env/lib/pkg", "node_modules/editor-ext", ".git/objects", ".cache", "build/.hidden"):
        (root / inside).mkdir(parents=True)
        (root / inside / "vendored.policy").write_text(BROKEN, encoding="utf-8")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")  # a virtual environment by any name


def test_test_without_a_path_skips_tools_directories(tmp_path: Path) -> None:
    _team_repository(tmp_path)
    result = cli("test", *AS_OF, cwd=tmp_path)
    assert b"vendored" not in result.stdout + result.stderr
    assert result.returncode == 0, result.stderr
    assert b"policies/acme.policy\n" in result.stdout and b", 0 failed" in result.stdout


def test_check_and_fmt_of_a_tree_skip_tools_directories(tmp_path: Path) -> None:
    _team_repository(tmp_path)
    checked = cli("check", ".", cwd=tmp_path)
    assert checked.returncode == 0 and b"vendored" not in checked.stdout + checked.stderr
    (tmp_path / "node_modules" / "editor-ext" / "vendored.policy").write_text(
        'policy "vendored"   version "1"\nstages { lead }\n', encoding="utf-8")
    formatted = cli("fmt", "--check", ".", cwd=tmp_path)  # fmt would have rewritten an installed package's file
    assert formatted.returncode == 0 and b"vendored" not in formatted.stdout


def test_a_tools_directory_named_as_path_is_searched(tmp_path: Path) -> None:
    _team_repository(tmp_path)
    result = cli("check", "node_modules", cwd=tmp_path)
    assert result.returncode == 1 and b"nosuchfield" in result.stderr


# ---------------------------------------------------------------- --previous-stage where it does not apply


def test_previous_stage_where_it_does_not_apply_says_why(tmp_path: Path) -> None:
    leads = str(ROOT / "policies" / "acme.leads.jsonl")
    for args, why in ((("score", ACME, leads), b"from the lead: its `stage`"),
                      (("diff", ACME, ACME, "--leads", leads), b"each lead's own previous stage"),
                      (("report", ACME, leads), b"replays each lead from no stage"),
                      (("test", ACME), b"a test states its own (`previous stage mql`)")):
        result = cli(*args, "--previous-stage", "mql", cwd=tmp_path)
        assert result.returncode == 2, args
        assert b"--previous-stage does not apply to `leadpolicy " + args[0].encode() in result.stderr
        assert why in result.stderr
    assert b"No such option '--previus-stage'" in cli("score", ACME, leads, "--previus-stage", "mql").stderr


def test_the_duckdb_engine_scores_a_pipe_or_standard_input_from_a_copy(tmp_path: Path) -> None:
    """DuckDB reads a table more than once: `cat leads | score --engine duckdb /dev/stdin` wrote no
    decision for any of the 60 leads, exit 0 (and, with the pipe's first bytes left unread, all but 9).
    score copies the leads to a temporary file first and writes what it writes for the file itself;
    diff --leads, which reads the leads twice, refuses the pipe with the fix."""
    pytest.importorskip("duckdb")
    from_file = cli("score", ACME, str(LEADS_FILE), "--engine", "duckdb", *AS_OF, "-q", cwd=tmp_path)
    assert from_file.returncode == 0 and from_file.stdout.count(b"\n") == 60
    for path in ("/dev/stdin", "-"):
        scored = piped("score", ACME, path, "--engine", "duckdb", *AS_OF, "-q", feed=LEADS_FILE, tmp_path=tmp_path)
        assert (scored.returncode, scored.stdout, scored.stderr) == (0, from_file.stdout, b""), path
    summary = piped("score", ACME, "-", "--engine", "duckdb", *AS_OF, feed=LEADS_FILE, tmp_path=tmp_path).stderr
    assert b"60 leads scored" in summary and b"leadpolicy-input-" not in summary
    diffed = piped("diff", ACME, ACME, "--leads", "/dev/stdin", "--engine", "duckdb", *AS_OF, feed=LEADS_FILE,
                   tmp_path=tmp_path)
    assert diffed.returncode == 2 and b"not /dev/stdin, a pipe or device" in diffed.stderr


def test_the_duckdb_engine_names_standard_input_as_the_python_engine_does(tmp_path: Path) -> None:
    """Leads read from a copy of standard input are named `<stdin>` in the duckdb engine's messages,
    not by the copy's temporary path, and an empty pipe is not warned about: the python engine says
    neither."""
    pytest.importorskip("duckdb")
    no_field = tmp_path / "nofield.csv"
    no_field.write_text("nothing,here\n1,2\n")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    for feed, extra, status in ((no_field, ("--input-format", "csv"), 1), (empty, (), 0)):
        said = {engine: piped("score", ACME, "-", "--engine", engine, *AS_OF, *extra, feed=feed, tmp_path=tmp_path)
                for engine in ("python", "duckdb")}
        errors = {engine: [line for line in run.stderr.decode().splitlines() if " scored in " not in line]
                  for engine, run in said.items()}
        assert errors["duckdb"] == errors["python"], feed
        assert said["duckdb"].returncode == said["python"].returncode == status, feed
        assert ("<stdin>" in errors["duckdb"][0]) if status else not any("empty" in e for e in errors["duckdb"]), errors
