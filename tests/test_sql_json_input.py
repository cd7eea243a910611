"""The DuckDB engine's JSON Lines input: the lines read once into a table (engines.materialise_lines,
what `score --engine duckdb` does) number and keep every line as the streaming source
(engines.nested_source over the file, what leadpolicy.sql.score_duckdb does) does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from leadpolicy.backends.sql.engines import materialise_lines, nested_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _rows(con, source, params=None) -> list:
    return con.execute(f"SELECT lp_row, lp_json FROM {source.sql(dialect='duckdb')} ORDER BY lp_row", params or {}).fetchall()


def _both(path: Path, params=None, threads: int = 3) -> tuple[list, list]:
    con = duckdb.connect(config={"threads": threads})  # a small file: one table per thread
    parts = materialise_lines(con, str(path), "lp_lines")
    sliced = params is not None
    return (_rows(con, nested_source(str(path), sliced), params),
            _rows(con, nested_source(str(path), sliced, lines_tables=parts), params))


LINES = st.lists(st.one_of(
    st.just(""), st.sampled_from(["  ", "\t", " \t ", "\x0b", "\x0c"]),
    st.builds(lambda n: json.dumps({"id": n, "fields": {}, "activities": []}), st.integers(0, 10 ** 6)),
    st.sampled_from(["not json {", "[1, 2]", "42", '"text"', "null", '{"id": "é ü"}', ' {"id": 1} ']),
), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, crlf=st.booleans(), bom=st.booleans(), final_newline=st.booleans(), threads=st.sampled_from([1, 2, 3]))
def test_the_lines_table_numbers_lines_as_the_file_does(tmp_path: Path, lines: list, crlf: bool, bom: bool,
                                                        final_newline: bool, threads: int) -> None:
    text = ("\r\n" if crlf else "\n").join(lines) + (("\r\n" if crlf else "\n") if final_newline else "")
    path = tmp_path / "leads.jsonl"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    streamed, tabled = _both(path, threads=threads)
    assert tabled == streamed
    # and both say what the file says: every non-blank line, with its number
    expected = [(n, line) for n, line in enumerate(lines, 1) if line.strip(" \t\n\x0b\x0c\r")]
    assert [(n, j.rstrip("\r")) for n, j in tabled] == expected


def test_slices_of_the_table_are_the_slices_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text("\n".join(["", json.dumps({"id": 1}), "  ", "oops", json.dumps({"id": 2}), "", json.dumps({"id": 3})]) + "\n",
                    encoding="utf-8")
    for threads in (1, 2, 3):
        for first, last in ((1, 2), (3, 4), (5, 7), (2, 6), (8, 9)):
            streamed, tabled = _both(path, {"lp_first": first, "lp_last": last}, threads)
            assert tabled == streamed and all(first <= n <= last for n, _ in tabled)


def test_a_file_read_in_parallel_keeps_its_order(tmp_path: Path) -> None:
    """Some 40MB: read_csv splits it among threads; the tables keep the file's order, so
    each line gets its number (each line says its own): in one table (1 thread, or as many row
    groups as threads) or in one table per thread."""
    path = tmp_path / "big.jsonl"
    pad = "x" * 80
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, 450_001):
            out.write(f'{{"n": {n}, "pad": "{pad}"}}\n' if n % 1000 else "\n")
    for threads, tables in ((1, 1), (3, 1), (4, 4)):
        con = duckdb.connect(config={"threads": threads})
        parts = materialise_lines(con, str(path), "lp_lines")
        assert len(parts) == tables
        source = nested_source(str(path), lines_tables=parts).sql(dialect="duckdb")
        count, wrong = con.execute(f"SELECT count(*), count(*) FILTER (WHERE CAST(json_extract(lp_json, '$.n') AS BIGINT) <> lp_row)"
                                   f" FROM {source}").fetchone()
        assert (count, wrong) == (450_000 - 450, 0)


def test_score_duckdb_leaves_nothing_in_the_users_connection() -> None:
    import leadpolicy
    from leadpolicy.sql import score_duckdb

    con = duckdb.connect()
    before = con.execute("SELECT count(*) FROM duckdb_tables() UNION ALL SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall()
    rows = score_duckdb(leadpolicy.load(ROOT / "policies" / "acme.policy"), con, leads=str(ROOT / "policies" / "acme.leads.jsonl"),
                        as_of="2026-11-22T00:00:00Z").fetchall()
    assert rows
    after = con.execute("SELECT count(*) FROM duckdb_tables() UNION ALL SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall()
    assert after == before
