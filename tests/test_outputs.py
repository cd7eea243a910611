"""Output files are never lost or half-written (issue 9 items 1-4, issue 16 item 5):
outputs are renamed into place, unwritable targets are one line naming the path
with exit status 2, `-` means standard output, and score never writes over its input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main
from leadpolicy.tools.atomic import atomic_writer

ROOT = Path(__file__).resolve().parent.parent
ACME = str(ROOT / "policies" / "acme.policy")
LEADS = [{"id": f"L-{i}", "fields": {"seniority": "vp", "industry": "saas"}, "activities": []} for i in range(3)]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("command", ["compile", "docs"])
def test_an_output_in_a_missing_folder_is_one_line_naming_it(command: str, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / ("m.py" if command == "compile" else "x.md")
    one_line_error(run(command, ACME, "-o", str(target)), str(target), "no such directory")


@pytest.mark.parametrize("command", ["compile", "docs"])
def test_an_output_that_is_a_directory_is_one_line_naming_it(command: str, tmp_path: Path) -> None:
    folder = tmp_path / ("out.py" if command == "compile" else "out.md")
    folder.mkdir()
    one_line_error(run(command, ACME, "-o", str(folder)), str(folder), "directory")


def test_an_unwritable_folder_is_one_line_and_the_old_file_survives(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes everywhere; the read-only case needs another user")
    target = tmp_path / "m.py"
    target.write_text("old", encoding="utf-8")
    tmp_path.chmod(0o500)
    try:
        one_line_error(run("compile", ACME, "-o", str(target)), str(target))
    finally:
        tmp_path.chmod(0o700)
    assert target.read_text(encoding="utf-8") == "old"


def test_compile_refuses_to_write_over_a_policy(tmp_path: Path) -> None:
    policy = tmp_path / "x.policy"
    policy.write_text(Path(ACME).read_text(encoding="utf-8"), encoding="utf-8")
    one_line_error(run("compile", str(policy), "-o", str(policy)), str(policy))
    assert policy.read_text(encoding="utf-8") == Path(ACME).read_text(encoding="utf-8")


@pytest.mark.parametrize("command", ["compile", "docs"])
def test_dash_means_standard_output(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(command, ACME, "-o", "-")
    assert result.exit_code == 0
    assert not (tmp_path / "-").exists()
    assert ("def evaluate(" if command == "compile" else "# ") in result.stdout


def test_outputs_are_renamed_into_place_and_leave_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "acme.md"
    assert run("docs", ACME, "-o", str(target)).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("# ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acme.md"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "rows.jsonl"
    target.write_text("the good old rows\n", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as handle:
            handle.write(b"half a fi")
            raise RuntimeError("the disk is full")
    assert target.read_text(encoding="utf-8") == "the good old rows\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_score_refuses_to_write_over_its_input_by_any_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leads = tmp_path / "leads.jsonl"
    text = "".join(json.dumps(lead) + "\n" for lead in LEADS)
    leads.write_text(text, encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(leads)
    monkeypatch.chdir(tmp_path)
    for output in (str(leads), "leads.jsonl", "./sub/../leads.jsonl", "link.jsonl"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        one_line_error(run("score", ACME, str(leads), "-o", output), "input")
        assert leads.read_text(encoding="utf-8") == text


def _slow_leads(path: Path, count: int) -> None:
    lead = {"fields": {"seniority": "vp"}, "activities": [{"type": "page_view", "at": "2026-11-01T00:00:00Z",
                                                           "path": "/blog/x"}] * 40}
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps(dict(lead, id=f"L-{i}")) + "\n")


@pytest.mark.parametrize("to_file", [True, False])
def test_ctrl_c_during_score_exits_130_and_says_what_was_written(tmp_path: Path, to_file: bool) -> None:
    leads = tmp_path / "leads.jsonl"
    _slow_leads(leads, 300_000)
    out = tmp_path / "rows.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    command = [sys.executable, "-m", "leadpolicy", "score", ACME, str(leads), "--as-of", "2026-11-22", "-j", "1"]
    if to_file:
        command += ["-o", str(out)]
    stdout_path = tmp_path.parent / f"{tmp_path.name}.stdout"
    with stdout_path.open("wb") as stdout_file:
        # SIGINT at its default in the child, even when the suite runs from a background shell that ignores it
        process = subprocess.Popen(command, stdout=stdout_file, stderr=subprocess.PIPE, cwd=tmp_path,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        # interrupted once it is writing rows (a fixed sleep lost the race on a loaded machine: no row yet)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            writing = (len(list(tmp_path.iterdir())) > 2) if to_file else stdout_path.stat().st_size > 0
            if writing:
                break
            time.sleep(0.05)
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    stdout = stdout_path.read_bytes()
    assert process.returncode == 130, stderr.decode()
    message = stderr.decode()
    assert "Traceback" not in message
    if to_file:
        assert f"{out} was left untouched" in message
        assert out.read_text(encoding="utf-8") == "previous run\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.jsonl", "rows.jsonl"]
    else:
        rows = stdout.decode().count("\n")
        assert rows > 0 and stdout.endswith(b"\n")  # whole rows only
        assert f"interrupted after {rows:,} rows written to standard output" in message


OUTPUT_COMMANDS = {
    "compile": lambda out: ["compile", ACME, "-o", out + ".py"],
    "docs": lambda out: ["docs", ACME, "-o", out + ".md"],
    "score": lambda out: ["score", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "--as-of", "2026-11-22", "-o", out + ".jsonl"],
    "report": lambda out: ["report", ACME, str(ROOT / "policies" / "acme.history.jsonl"), "--as-of", "2026-12-01",
                           "-o", out + ".json"],
    "diff": lambda out: ["diff", ACME, str(ROOT / "docs" / "examples" / "acme-2026.12.policy"), "--leads",
                         str(ROOT / "policies" / "acme.leads.jsonl"), "--as-of", "2026-11-22", "--format", "json", "-o", out + ".json"],
    "score --engine duckdb (Parquet)": lambda out: ["score", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "--as-of",
                                                    "2026-11-22", "--engine", "duckdb", "-o", out + ".parquet"],
}


@pytest.mark.parametrize("command", sorted(OUTPUT_COMMANDS))
def test_every_output_file_gets_the_permissions_a_new_file_would(command: str, tmp_path: Path) -> None:
    """An output written through a temporary file must not keep mkstemp's 0600: a new file
    gets 0666 less the umask, and a file written over keeps its own mode."""
    if "duckdb" in command:
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    old = os.umask(0o022)
    try:
        args = OUTPUT_COMMANDS[command](str(tmp_path / "out"))
        target = Path(args[-1])
        result = run(*args)
        assert result.exit_code in (0, 1), result.output  # 1: diff/score report changes or data errors, still written
        assert target.exists(), result.output
        assert oct(os.stat(target).st_mode & 0o777) == oct(0o644)
        os.chmod(target, 0o640)
        run(*args)
        assert oct(os.stat(target).st_mode & 0o777) == oct(0o640)
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("command", ["report", "diff"])
def test_report_and_diff_outputs_in_a_missing_folder_are_one_line(command: str, tmp_path: Path) -> None:
    args = OUTPUT_COMMANDS[command](str(tmp_path / "no" / "such" / "out"))
    one_line_error(run(*args), args[-1], "no such directory")


def test_score_refuses_parquet_output_from_the_python_engine(tmp_path: Path) -> None:
    """`-o rows.parquet` with the python engine wrote JSON Lines into a file named .parquet
    (found trying score by hand): now a usage error naming the engines that write Parquet."""
    out = tmp_path / "rows.parquet"
    result = run("score", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "--as-of", "2026-11-22", "-o", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "the python engine writes JSON Lines or CSV" in result.stderr and "--engine duckdb" in result.stderr


@pytest.mark.parametrize("name, document", [("rows.xlsx", False), ("rows.json", True), ("rows.txt", False)])
def test_score_says_what_an_unknown_output_name_gets(tmp_path: Path, name: str, document: bool) -> None:
    leads = str(ROOT / "policies" / "acme.leads.jsonl")
    out = tmp_path / name
    result = run("score", ACME, leads, "--as-of", "2026-11-22", "-o", str(out))
    assert result.exit_code == 0 and json.loads(out.read_text().splitlines()[0])["id"]
    assert f"warning: {out} gets JSON Lines (one row per line" in result.stderr
    assert ("not one JSON document" in result.stderr) == document
    for quiet in (["--format", "jsonl"], ["-q"]):  # chosen, or asked for silence: no warning
        assert "warning" not in run("score", ACME, leads, "--as-of", "2026-11-22", "-o", str(out), *quiet).stderr
    assert "warning" not in run("score", ACME, leads, "--as-of", "2026-11-22", "-o", str(tmp_path / "rows.jsonl")).stderr


def test_score_warns_when_the_input_is_one_json_document(tmp_path: Path) -> None:
    """A lead pretty-printed over several lines (or a JSON array) given to score: every line was
    read as a lead, mostly "not valid JSON", with no word on why (found trying score by hand).
    The rows are still written, one per line; a warning says what the file is and how to fix it."""
    lead = {"id": "L-1", "fields": {"seniority": "vp"}, "activities": []}
    pretty = tmp_path / "lead.json"
    pretty.write_text(json.dumps(lead, indent=2) + "\n")
    array = tmp_path / "leads.json"
    array.write_text(json.dumps([lead, lead]) + "\n")
    lines = tmp_path / "leads.jsonl"
    lines.write_text(json.dumps(lead) + "\n")
    out = tmp_path / "rows.jsonl"
    result = run("score", ACME, str(pretty), "--as-of", "2026-11-22", "-o", str(out))
    assert result.exit_code == 1 and len(out.read_text().splitlines()) == len(pretty.read_text().splitlines())
    assert f"warning: {pretty} looks like one JSON document, not JSON Lines" in result.stderr
    assert f"`leadpolicy eval {ACME} {pretty}`" in result.stderr and f"`jq -c . {pretty}`" in result.stderr
    assert f"`jq -c '.[]' {array} > leads.jsonl`" in run("score", ACME, str(array), "--as-of", "2026-11-22", "-o", str(out)).stderr
    for quiet in ([str(lines)], [str(pretty), "-q"]):
        assert "warning" not in run("score", ACME, *quiet, "--as-of", "2026-11-22", "-o", str(out)).stderr
    assert "warning" not in run("score", ACME, str(lines), "--as-of", "2026-11-22", "-o", os.devnull).stderr


@pytest.mark.parametrize("name, header", [("contacts.tsv", "id\tSeniority\tIndustry"), ("export.txt", "id;seniority;industry"),
                                          ("leads.jsonl", "ID,Seniority,Industry")])
def test_csv_named_otherwise_gets_a_warning_naming_the_fix(tmp_path: Path, name: str, header: str) -> None:
    """A CRM export named .tsv or .txt is read as JSON Lines by its name: every row was a data error
    ("line 2 is not valid JSON: Extra data"), with no word on why. The rows are still written, one per
    line; a warning says it is CSV and how to read it as such (score, diff and report: --input-format csv)."""
    delimiter = "\t" if "\t" in header else ";" if ";" in header else ","
    leads = tmp_path / name
    leads.write_text(header + "\n" + delimiter.join(["1", "vp", "saas"]) + "\n")
    out = tmp_path / "rows.jsonl"
    # (a warning keeps to its one line: the tab of a .tsv header is shown as \t, docs/decisions.md 56)
    shown = f"warning: {leads} looks like CSV (its first line, `{header.replace(chr(9), chr(92) + 't')}`, is a header), not JSON Lines"
    result = run("score", ACME, str(leads), "--as-of", "2026-11-22", "-o", str(out))
    assert result.exit_code == 1 and len(out.read_text().splitlines()) == 2
    assert shown in result.stderr and "give `--input-format csv` (or name it .csv)" in result.stderr
    read = run("score", ACME, str(leads), "--as-of", "2026-11-22", "-o", str(out), "--input-format", "csv")
    assert read.exit_code == 0 and "warning" not in read.stderr
    diff = run("diff", ACME, ACME, "--leads", str(leads), "--as-of", "2026-11-22")
    assert shown in diff.stderr and "--input-format csv" in diff.stderr
    diff = run("diff", ACME, ACME, "--leads", str(leads), "--as-of", "2026-11-22", "--input-format", "csv")
    assert "warning" not in diff.stderr
    report = run("report", ACME, str(leads), "--as-of", "2026-11-22", "-o", str(tmp_path / "r.json"))
    assert shown in report.stderr and "give `--input-format csv` (or name it .csv)" in report.stderr
    report = run("report", ACME, str(leads), "--as-of", "2026-11-22", "-o", str(tmp_path / "r.json"), "--input-format", "csv")
    assert report.exit_code == 0 and "warning" not in report.stderr


def test_no_csv_warning_for_json_lines() -> None:
    leads = str(ROOT / "policies" / "acme.leads.jsonl")
    assert "warning" not in run("score", ACME, leads, "--as-of", "2026-11-22", "-o", os.devnull).stderr
