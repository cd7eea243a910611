"""`--memory-limit` of `score` and `diff`: a size DuckDB reads as the user means it, or a usage
error (exit 2) whose hint is the fix in the user's own number. DuckDB itself reads "1500M" as
a few bytes and then fails "out of memory" far from the typo; "1500" it refuses with a parser
error that named the input file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main
from leadpolicy.cli.engine_options import memory_limit_value

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
POLICY, LEADS = ROOT / "policies" / "acme.policy", ROOT / "policies" / "acme.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"


@pytest.mark.parametrize("given, hint", [
    ("1500M", "e.g. 1500MB"), ("2g", "e.g. 2GB"), ("1500", "e.g. 1500MB"), ("1.5 t", "e.g. 1.5TB"),
    ("lots", "e.g. 1500MB"), ("2 gigs", "e.g. 2GB"),
    # scientific notation was offered as the digits before its `e`: `1e9` (bytes) as 1MB, `1e3MB` as 1MB
    ("1e9", "e.g. 1GB "), ("1e3MB", "e.g. 1000MB "), ("2.5E3 mb", "e.g. 2500MB "), ("1e400", "e.g. 1500MB "),
])
@pytest.mark.parametrize("command", ["score", "diff"])
def test_a_size_without_a_unit_is_refused_with_the_fix(command, given, hint) -> None:
    args = (["score", str(POLICY), str(LEADS)] if command == "score"
            else ["diff", str(POLICY), str(POLICY), "--leads", str(LEADS)])
    result = CliRunner().invoke(main, args + ["--engine", "duckdb", "--as-of", AS_OF, "--memory-limit", given])
    assert result.exit_code == 2, result.output
    assert f"`{given}` is not a memory size" in result.stderr and hint in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    # one line: click's usage text (`Usage: ...`, `Try ... --help`) stood three lines above it
    assert result.stderr.startswith("error: Invalid value for '--memory-limit': ") and result.stderr.count("\n") == 1


def test_zero_is_refused() -> None:
    result = CliRunner().invoke(main, ["score", str(POLICY), str(LEADS), "--engine", "duckdb", "--memory-limit", "0MB"])
    assert result.exit_code == 2 and "leaves DuckDB no memory" in result.stderr


@pytest.mark.parametrize("given, taken", [
    ("1500MB", "1500MB"), ("1.5 gb", "1.5GB"), ("2GiB", "2GiB"), ("512 mib", "512MiB"), (" 3tb ", "3TB"),
    ("4000000000B", "4000000000B"), (None, None),
])
def test_sizes_with_a_unit_are_taken(given, taken) -> None:
    assert memory_limit_value(None, None, given) == taken


def test_a_size_with_a_unit_scores_as_without_one() -> None:
    runs = [CliRunner().invoke(main, ["score", str(POLICY), str(LEADS), "--engine", "duckdb", "--as-of", AS_OF, *extra])
            for extra in ([], ["--memory-limit", "1.5 gb"])]
    assert [r.exit_code for r in runs] == [0, 0]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout.count("\n") == 60


@pytest.mark.parametrize("command", ["score", "diff"])
def test_a_limit_too_small_to_start_is_said_as_out_of_memory(command, tmp_path: Path) -> None:
    """Within 10B DuckDB cannot run even the engine's first settings query: that was said as the
    input's fault, `acme.leads.jsonl: duckdb cannot read it: Out of Memory Error: ...`."""
    import subprocess
    import sys

    args = ([str(POLICY), str(LEADS)] if command == "score" else [str(POLICY), str(POLICY), "--leads", str(LEADS)])
    done = subprocess.run([sys.executable, "-m", "leadpolicy", command, *args, "--engine", "duckdb", "--as-of", AS_OF,
                           "--memory-limit", "10B", "-o", str(tmp_path / ("out.jsonl" if command == "score" else "out.txt"))], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr == ('error: DuckDB ran out of memory within --memory-limit 10B: give it more, e.g. --memory-limit 2GB'
                           ' (docs/sql.md, "Memory")\n')
    assert list(tmp_path.iterdir()) == []
