"""Line endings of a JSON Lines file under `--engine duckdb` (real DuckDB): a file Python reads
line by line (lines end at \\n; a \\r before it is JSON whitespace) is decided the same, and a
file whose \\r DuckDB's line reader would take differently (a \\r alone, or \\n and \\r\\n mixed)
is refused with what to do, exit 2, never split into other lines in silence."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytest.importorskip("sqlglot")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"
LEAD = b'{"id": "%s", "fields": {"seniority": "vp", "industry": "saas"}, "activities": [{"type": "chat", "at": "2026-11-20"}]}'


def _lines(*ids: str, ending: bytes) -> bytes:
    return b"".join(LEAD % i.encode() + ending for i in ids)


def _score(path: Path, engine: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["score", str(ACME), str(path), "--as-of", AS_OF, "--engine", engine, "-q", *extra],
                                catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("content", [
    _lines("a", "b", ending=b"\n"),
    _lines("a", "b", ending=b"\r\n"),
    _lines("a", ending=b"\r\n") + b"\r\n  \r\n" + _lines("b", ending=b"\r\n"),  # blank lines of \r\n files
    _lines("a", ending=b"\r\n") + LEAD % b"b",  # no line break at the end
], ids=["lf", "crlf", "crlf-blank-lines", "crlf-last-line-open"])
def test_files_of_one_line_ending_are_decided_as_python_decides_them(content: bytes, tmp_path: Path) -> None:
    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(content)
    python = _score(leads, "python")
    assert python[0] == 0 and python[1].count("\n") == 2
    assert _score(leads, "duckdb")[:2] == python[:2]


@pytest.mark.parametrize(("content", "said"), [
    # \r line breaks: DuckDB would read two leads, Python one line that is not JSON
    (_lines("a", "b", ending=b"\r"), "line 1 holds a carriage return"),
    (_lines("a", ending=b"\n") + LEAD % b"b" + b"\r" + _lines("c", ending=b"\n"), "line 2 holds a carriage return"),
    (_lines("a", ending=b"\r\n") + _lines("b", ending=b"\n"), "lines end in both \\n and \\r\\n (line 2"),
], ids=["cr-breaks", "cr-inside-a-line", "lf-and-crlf"])
def test_other_carriage_returns_are_refused_with_what_to_do(content: bytes, said: str, tmp_path: Path) -> None:
    leads, out = tmp_path / "leads.jsonl", tmp_path / "out.jsonl"
    leads.write_bytes(content)
    status, stdout, stderr = _score(leads, "duckdb", "-o", str(out))
    assert status == 2 and said in stderr and "--engine python" in stderr, stderr
    assert "Traceback" not in stderr and not out.exists()
    assert _score(leads, "python")[0] in (0, 1)  # the Python engine reads every such file


def test_diff_and_the_api_refuse_a_file_of_carriage_return_line_breaks(tmp_path: Path) -> None:
    import duckdb

    from leadpolicy import load
    from leadpolicy.sql import score_duckdb

    leads = tmp_path / "leads.jsonl"
    leads.write_bytes(_lines("a", "b", ending=b"\r"))
    result = CliRunner().invoke(main, ["diff", str(ACME), str(ACME), "--leads", str(leads), "--as-of", AS_OF,
                                       "--engine", "duckdb"], catch_exceptions=False)
    assert result.exit_code == 2 and "line 1 holds a carriage return" in result.stderr
    with pytest.raises(ValueError, match="line 1 holds a carriage return"):
        score_duckdb(load(ACME), duckdb.connect(), leads=str(leads), as_of=AS_OF)
