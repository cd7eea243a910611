"""`leadpolicy diff --engine duckdb` gives the report `--engine python` gives: the JSON
reports are equal (transitions, grades, score deltas, rule hit rates, data errors,
examples) on every example policy paired with a changed version of itself, on a
pair where data errors appear, on messy JSON Lines and CSV leads, on generated
policy pairs and leads; and `leadpolicy.diff(..., engine="duckdb")` likewise.
Real DuckDB, the real CLI."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st
from support.diffgen import policy_pairs
from support.diffs import GENERATED_DIFFS, assert_engines_agree
from support.workload import bench_workload

import leadpolicy
from leadpolicy.cli import main

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p.stem for p in (ROOT / "policies").glob("*.policy") if (ROOT / "policies" / f"{p.stem}.leads.jsonl").exists())
AS_OF = "2026-11-22T00:00:00Z"
ACME = ROOT / "policies" / "acme.policy"


def changed(text: str) -> str:
    """A new version that moves leads: every stage threshold on engagement lowered by a
    third, every `+N` points raised by a half."""
    text = re.sub(r"engagement >= (\d+)", lambda m: f"engagement >= {int(m.group(1)) * 2 // 3}", text)
    return re.sub(r"\+(\d+)(?=\s)", lambda m: f"+{int(m.group(1)) * 3 // 2}", text)


def run(*args: str) -> tuple:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def reports(old: Path, new: Path, leads: Path, *extra: str) -> list:
    outputs = []
    for engine in ("python", "duckdb"):
        code, out, err = run("diff", str(old), str(new), "--leads", str(leads), "--as-of", AS_OF, "--engine", engine, *extra)
        assert code == 0, err
        outputs.append(json.loads(out) if "--format" in extra and "json" in extra else out)
    return outputs


@pytest.mark.parametrize("name", EXAMPLES)
def test_duckdb_replay_reports_what_python_reports(name: str, tmp_path: Path) -> None:
    old = ROOT / "policies" / f"{name}.policy"
    new = tmp_path / f"{name}.policy"
    new.write_text(changed(old.read_text(encoding="utf-8")), encoding="utf-8")
    python, duck = reports(old, new, ROOT / "policies" / f"{name}.leads.jsonl", "--format", "json")
    assert duck == python
    assert python["leads"]["total"] >= 10 and python["leads"]["rules"]
    _, text_duck = reports(old, new, ROOT / "policies" / f"{name}.leads.jsonl", "--format", "markdown")[0], None
    assert text_duck is None or text_duck


def test_the_changed_versions_move_leads() -> None:
    moved = 0
    for name in EXAMPLES:
        old = ROOT / "policies" / f"{name}.policy"
        new = leadpolicy.loads(changed(old.read_text(encoding="utf-8")), "new")
        result = leadpolicy.diff(old, new, leads=ROOT / "policies" / f"{name}.leads.jsonl", as_of=AS_OF)
        moved += result.changed_stage
    assert moved >= 5


def test_errors_that_appear_and_markdown(tmp_path: Path) -> None:
    """The new version drops an industry the leads use: errors appear for those leads
    (examples with Python's messages); messy lines are errors in both."""
    new = tmp_path / "acme.policy"
    text = ACME.read_text(encoding="utf-8")
    assert "healthcare, " in text
    new.write_text(changed(text.replace("healthcare, ", "", 1)), encoding="utf-8")
    lines = (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()
    lines[3:3] = ["", "not json {", "[1, 2]", '{"id": "t", "activities": [{"type": "page_view", "at": "yesterday"}]}',
                  '{"fields": {"company_size": "12", "industry": "healthcare"}}', '{"id": 7, "fields": {"company_size": "lots"}}']
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))
    python, duck = reports(ACME, new, leads, "--format", "json")
    assert duck == python
    errors = python["leads"]["errors"]
    assert errors["appeared"] >= 3 and errors["both"] >= 4 and errors["examples"]
    python_md, duck_md = reports(ACME, new, leads, "--format", "markdown")
    assert duck_md == python_md
    # the API takes the engine too
    api = leadpolicy.diff(ACME, new, leads=leads, as_of=AS_OF, engine="duckdb")
    assert api.to_dict() == leadpolicy.diff(ACME, new, leads=leads, as_of=AS_OF).to_dict() == duck


def test_csv_leads_without_an_id_column(tmp_path: Path) -> None:
    """CSV as score reads it: no `id` column (a lead's id is its line), cells over several
    lines, a row wider than the header, activities that are not JSON."""
    leads = [json.loads(line) for line in (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines()]
    names = sorted({key for lead in leads for key in (lead.get("fields") or {})})
    data = tmp_path / "leads.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Stage", "activities", *[name.replace("_", " ").title() for name in names], "Unknown column"])
        for lead in leads:
            fields = lead.get("fields") or {}
            writer.writerow([lead.get("stage") or "", json.dumps(lead.get("activities") or [], indent=1),
                             *["" if fields.get(n) is None else str(fields[n]) for n in names], ""])
        writer.writerows([["", "[1,2", "abc"], ["nowhere"], [], ["", "", "x", *[""] * len(names), "", "extra"]])
    new = tmp_path / "acme.policy"
    new.write_text(changed(ACME.read_text(encoding="utf-8")), encoding="utf-8")
    outputs = []
    for engine in ("python", "duckdb"):
        code, out, err = run("diff", str(ACME), str(new), "--leads", str(data), "--as-of", AS_OF, "--engine", engine, "--format", "json")
        assert code == 0
        outputs.append((json.loads(out), err))
    assert outputs[1] == outputs[0]
    assert "Unknown column" in outputs[0][1]  # the header warning, from both engines
    report = outputs[0][0]["leads"]
    assert report["total"] == len(leads) + 3 and report["errors"]["both"] == 3
    assert any(isinstance(e["id"], int) for cell in report["examples"] for e in cell["examples"])


def test_engine_duckdb_needs_a_file() -> None:
    code, _, err = run("diff", str(ACME), str(ACME), "--leads", "-", "--engine", "duckdb")
    assert code == 2 and "reads a file" in err
    with pytest.raises(ValueError, match="a file of leads"):
        leadpolicy.diff(ACME, ACME, leads=[{"id": 1}], engine="duckdb")


def test_a_larger_workload_with_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of generated leads (5% with data errors) through the reports' every part:
    fetched in several batches, quartiles and the largest moves over all of them."""
    from leadpolicy.tools.diff import fold_sql  # the rows fetched per batch

    data = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(data, 3000, seed=5, error_rate=0.05)
    new = tmp_path / "acme.policy"
    new.write_text(changed(ACME.read_text(encoding="utf-8")), encoding="utf-8")
    from leadpolicy.backends.sql.batch import BatchInput, slices

    assert len(slices(BatchInput(str(data)), "1GB", queries=2) or []) >= 2  # 1GB: run in slices of lines
    monkeypatch.setattr(fold_sql, "FETCH_ROWS", 700)
    python, duck = reports(ACME, new, data, "--format", "json", "--memory-limit", "1GB")
    assert duck == python
    assert python["leads"]["changed_stage"] > 100 and python["leads"]["errors"]["both"] > 50


@GENERATED_DIFFS
@given(data=st.data())
def test_generated_policy_pairs(data) -> None:
    from support.leadgen import leads_for

    old, new = data.draw(policy_pairs())
    assert_engines_agree(old, new, data.draw(st.lists(leads_for(old.tree), min_size=1, max_size=12)))


@pytest.mark.parametrize("engine, stdin", [("python", False), ("duckdb", False), ("python", True)])
def test_a_progress_bar_on_a_terminal_and_silence_in_a_pipe(tmp_path: Path, engine: str, stdin: bool) -> None:
    """`diff --leads` draws `score`'s progress bar on a terminal (it counted `replaying N leads`;
    PRODUCT: "Long runs show a progress bar on a terminal and stay quiet in a pipe"): the share of
    the file replayed (python), of its lines (duckdb: the slices' lines, counted before the run);
    the count alone from standard input. Cleared at the end; in a pipe nothing, and the same report."""
    import os
    import subprocess
    import sys

    from support.terminal import on_a_terminal, progress_lines, screen

    leads = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(str(leads), 2000 if stdin else 6000, seed=5)
    out = tmp_path / "diff.md"
    args = ["diff", str(ACME), str(ACME), "--leads", "-" if stdin else str(leads), "--engine", engine, "-j", "1",
            "--as-of", AS_OF, "-o", str(out)]
    data = leads.read_bytes() if stdin else None
    shown, _, status = on_a_terminal(args, shown="stderr", input=data)
    assert status == 0, shown
    drawn = progress_lines(shown, "replaying")
    assert all(("[" in line) != stdin for line in drawn), drawn  # a bar of a file; the count alone of standard input
    assert screen(shown) == [""], repr(shown)  # cleared
    report = out.read_bytes()
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, input=data, timeout=300,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (piped.returncode, piped.stderr) == (0, b""), piped.stderr
    assert out.read_bytes() == report
