"""A slice that runs out of memory is run again in halves (backends/sql/slicing.py): real DuckDB
runs under a memory limit too small for the planned slice give the Python engine's rows, the
same report from `diff`, and a limit too small for any slice gives a clear message, exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from support.workload import bench_workload

from leadpolicy.cli import main

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytest.importorskip("sqlglot")

from leadpolicy.backends.sql import batch, slicing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"
# 3,000 Acme-like leads need about 80MB in one query (measured, 2 threads); within 40MB the
# whole file runs out of memory and slices of 750 lines do not (3 to 4 halvings)
TIGHT = "40MB"


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("slicing") / "leads.jsonl"
    bench_workload().write_jsonl(data, 3_000, seed=11, error_rate=0.01)
    return data


@pytest.fixture
def halvings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Every slice halved, with its halves; the file planned as one slice (as a wrong estimate would)."""
    seen: list[tuple[Any, Any]] = []
    real = slicing.halves

    def recording(part: Any, total: Any, limit: Any) -> Any:
        found = real(part, total, limit)
        seen.append((part, found))
        return found

    monkeypatch.setattr(slicing, "halves", recording)
    monkeypatch.setattr(batch, "halves", recording)
    monkeypatch.setattr(batch, "MIN_SLICE_LINES", 10 ** 6)
    return seen


def _score(path: Path, engine: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["score", str(ACME), str(path), "--as-of", AS_OF, "--engine", engine, "-q", *extra],
                                catch_exceptions=False)
    return result.exit_code, result.stdout


def test_a_slice_out_of_memory_is_run_again_in_halves_with_the_same_rows(leads: Path, halvings: list) -> None:
    python = _score(leads, "python")
    assert _score(leads, "duckdb", "--memory-limit", TIGHT) == python
    assert python[1].count("\n") == 3_000
    assert halvings, "the tight limit should have made a slice run out of memory"
    first, halves = halvings[0]
    # the lines the file was read into (batch._Statements.total_lines): one row per line, a
    # newline at the end of the last line makes no row of its own
    lines = slicing.count_lines(str(leads)) - (1 if leads.read_bytes().endswith(b"\n") else 0)
    middle = (1 + lines) // 2
    assert first == (1, lines) and halves == [(1, middle), (middle + 1, lines)]
    for part, found in halvings:  # halves cover their slice exactly, in order
        assert found[0][0] == part[0] and found[-1][1] == part[1] and found[0][1] + 1 == found[1][0]


def test_parquet_output_from_retried_slices_is_every_row_in_order(leads: Path, halvings: list, tmp_path: Path) -> None:
    roomy, tight = tmp_path / "roomy.parquet", tmp_path / "tight.parquet"
    assert _score(leads, "duckdb", "-o", str(roomy))[0] == 1  # the data has errors: exit 1
    assert not halvings
    assert _score(leads, "duckdb", "--memory-limit", TIGHT, "-o", str(tight))[0] == 1
    assert halvings
    read = "SELECT * FROM read_parquet('{}')"
    assert duckdb.sql(read.format(tight)).fetchall() == duckdb.sql(read.format(roomy)).fetchall()
    assert [row[0] for row in duckdb.sql(f"SELECT line FROM read_parquet('{tight}')").fetchall()] == list(range(1, 3_001))


def test_diff_runs_a_slice_out_of_memory_again_in_halves(leads: Path, halvings: list) -> None:
    new = ROOT / "docs" / "examples" / "acme-2026.12.policy"
    reports = []
    for engine, extra in (("python", []), ("duckdb", ["--memory-limit", "60MB"])):
        result = CliRunner().invoke(main, ["diff", str(ACME), str(new), "--leads", str(leads), "--as-of", AS_OF,
                                           "--engine", engine, "--format", "json", *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        reports.append(result.stdout)
    assert reports[0] == reports[1]
    assert halvings, "60MB is too little for both versions of 3,000 leads in one statement"


def test_a_limit_too_small_for_any_slice_says_so(leads: Path, tmp_path: Path) -> None:
    out = tmp_path / "decided.jsonl"
    result = CliRunner().invoke(main, ["score", str(ACME), str(leads), "--as-of", AS_OF, "--engine", "duckdb",
                                       "--memory-limit", "10MB", "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 2
    assert "DuckDB ran out of memory within --memory-limit 10MB" in result.stderr
    assert "--memory-limit 2GB" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()  # nothing half-written


def test_a_stream_out_of_memory_resumes_after_the_last_row_it_gave() -> None:
    """The rows a slice gave before it ran out of memory are not given again: its halves
    start at the line after the last row (lines 1-10 given, then 11-40 in halves)."""
    runs: list[tuple[int, int]] = []

    def run(part: tuple[int, int]) -> Iterator[list[tuple[int]]]:
        runs.append(part)
        first, last = part
        if last - first + 1 > 20:  # too large: gives its first ten lines, then runs out of memory
            yield [(line,) for line in range(first, first + 10)]
            raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")
        yield [(line,) for line in range(first, last + 1)]

    monkey = pytest.MonkeyPatch()
    monkey.setattr(slicing, "MIN_RETRY_LINES", 4)
    try:
        given = [row[0] for batch_ in slicing.stream_each([(1, 40)], run, lambda row: row[0], lambda: 40, "1GB")
                 for row in batch_]
    finally:
        monkey.undo()
    assert given == list(range(1, 41))
    assert runs == [(1, 40), (11, 25), (26, 40)]


def test_out_of_memory_in_a_slice_too_small_to_halve_is_a_clear_problem() -> None:
    def run(part: tuple[int, int]) -> None:
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate")

    with pytest.raises(batch.InputProblem, match="even 50 lines at a time"):
        slicing.run_each([(1, 100)], run, lambda: 100, "64MB")
    with pytest.raises(ValueError, match="unrelated"):  # other errors pass through, untouched
        slicing.run_each([(1, 100)], lambda part: (_ for _ in ()).throw(ValueError("unrelated")), lambda: 100, "64MB")


def test_planned_slices_count_the_lines_already_read_not_the_file(leads: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """JSON Lines read into a table once: the slices are planned from its rows (free), not by
    reading the file again to count its newlines (0.8 s of a 2 GB file); every lead is still scored."""
    python = _score(leads, "python")

    def no_second_read(path: str) -> int:
        raise AssertionError(f"{path} was read again to count its lines")

    monkeypatch.setattr(batch, "count_lines", no_second_read)
    monkeypatch.setattr(batch, "MIN_SLICE_LINES", 100)
    monkeypatch.setattr(batch, "SLICE_SHARE", 0.01)  # many slices within the default limit
    planned: list[Any] = []
    real = batch.slices

    def recording(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        planned.append(found)
        return found

    monkeypatch.setattr(batch, "slices", recording)
    assert _score(leads, "duckdb", "--memory-limit", "300MB") == python
    assert planned and planned[0] is not None and len(planned[0]) > 1, planned
    assert planned[0][-1][1] == 3_000  # the last slice ends at the last lead's line


def test_score_plans_its_slices_with_its_own_figure_and_diff_with_the_lean_one(leads: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """score's query, one at a time with its lines on disk, is planned at 1.0 a byte of JSON Lines
    (session 17: a million Acme-like leads in four slices, not five); diff, whose two queries are
    joined, keeps 1.5 a byte. Either way every lead is scored as the python engine scores it."""
    assert batch.SCORE_LEAN_MEMORY_PER_INPUT_BYTE < batch.LEAN_MEMORY_PER_INPUT_BYTE
    python = _score(leads, "python")
    planned: list[float] = []
    real = batch.slices

    def recording(*args: Any, **kwargs: Any) -> Any:
        planned.append(kwargs["per_byte"])
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "slices", recording)
    monkeypatch.setattr(batch, "MIN_SLICE_LINES", 100)
    monkeypatch.setattr(batch, "SLICE_SHARE", 0.2)  # slices within 1500MB: (300 - 250) MB for the query
    assert _score(leads, "duckdb", "--memory-limit", "1500MB") == python
    assert planned == [batch.SCORE_LEAN_MEMORY_PER_INPUT_BYTE]
    planned.clear()
    new = ROOT / "docs" / "examples" / "acme-2026.12.policy"
    result = CliRunner().invoke(main, ["diff", str(ACME), str(new), "--leads", str(leads), "--as-of", AS_OF,
                                       "--engine", "duckdb", "--format", "json", "--memory-limit", "1500MB"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert planned == [batch.LEAN_MEMORY_PER_INPUT_BYTE]  # (diff imports batch.slices when it runs)
