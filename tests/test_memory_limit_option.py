"""`--memory-limit` of `score` and `diff`: a size DuckDB reads as the user means it, or a usage
error (exit 2) whose hint is the fix in the user's own number. DuckDB itself reads "1500M" as
a few bytes and then fails "out of memory" far from the typo; "1500" it refuses with a parser
error that named the input file."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _leadpolicy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, text=True, encoding="utf-8",
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("command", ["score", "diff"])
def test_the_python_engine_says_it_does_not_read_memory_limit_and_goes_on(command: str) -> None:
    """`--engine python --memory-limit 1GB` ran as if the option had not been given, without a word:
    now one warning line says so and why; the output and the exit status are the run's without it."""
    args = ([command, str(POLICY), str(LEADS)] if command == "score"
            else [command, str(POLICY), str(POLICY), "--leads", str(LEADS)]) + ["--as-of", AS_OF, "--engine", "python"]
    plain, given = _leadpolicy(*args), _leadpolicy(*args, "--memory-limit", "1GB")
    assert (given.returncode, given.stdout) == (plain.returncode, plain.stdout) and plain.returncode == 0
    said = [line for line in given.stderr.splitlines() if "memory-limit" in line]
    assert said == ["warning: --memory-limit is read by --engine duckdb only and is ignored here: the python engine "
                    "reads a few chunks of leads at a time, in memory that does not grow with the input"]
    assert len(given.stderr.splitlines()) == len(plain.stderr.splitlines()) + 1  # that line, and the run's own
    duckdb = _leadpolicy(*args[:-1], "duckdb", "--memory-limit", "1GB")
    assert duckdb.returncode == 0 and "memory-limit" not in duckdb.stderr


def test_spark_is_told_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    """The spark engine does not read --memory-limit either (its session takes Spark's own settings);
    the line score_with_engine says before starting it (a Spark run is too slow for this file)."""
    from leadpolicy.cli.engine_options import say_memory_limit_unread

    say_memory_limit_unread("spark", "1GB")
    say_memory_limit_unread("duckdb", "1GB")
    say_memory_limit_unread("python", None)
    assert capsys.readouterr().err == ("warning: --memory-limit is read by --engine duckdb only and is ignored here: "
                                       "Spark's memory is its own configuration (spark.driver.memory, spark.executor.memory)\n")
