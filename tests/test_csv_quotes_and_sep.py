"""Awkward CSV forms, read alike by every engine and command that reads CSV (docs/decisions.md
entries 74 and 75, docs/sql.md):

- a quote that opens a cell and never closes. DuckDB's sniffer read such a table without quoting
  (every quoted cell kept its quotes: `"pat@x.com"`) and decided every lead; the Spark engine said
  "line 3 has 2 cells"; the Python engine's reader read the rest of the file into that cell (the
  rows after it lost, exit 0), in `score`, `diff` and `report`. Now each refuses the file with
  the line where the quote opens and the fix.
- Excel's `sep=;` first line, which names the delimiter. DuckDB's sniffer skipped it (a line
  unlike the others) and took the delimiter the rows use most, the Spark engine refused the table,
  the Python engine read it as the header. Now the delimiter is the one it names, the header the
  next line, and lines keep their numbers.
- CSV leads that are not UTF-8 (entry 78): one message, with the byte and its line, in every command.
- CSV leads with no header, a `sep=;` line or blank lines alone (entry 79): no leads, as an empty file.
- `report --outcomes FILE.csv` (entry 77): its lenient reader read a quote that never closes and
  text after a closing quote as CSV leads' reader did; it is now that reader.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"

# the relational shape: the leads' fields the tables lack are mapped to nothing
MAPPING = {"stage": None, "fields": {name: None for name in (
    "company_size", "industry", "budget", "timeline_days", "sales_status", "is_customer", "created")},
    "props": {name: None for name in ("path", "campaign", "title", "minutes")}}
ACTIVITIES = "lead_id,type,at,form\nL1,form_submit,2026-11-20T00:00:00Z,demo\n"
UNCLOSED = 'id,email,seniority\nL1,"pat@x.com",vp\nL2,"lee@y.com,manager\nL3,kim@z.com,ic\n'
FIX = "close the quote, or double a quote inside a quoted cell (`\"\"`)"


def unclosed(line: int, cell: str = "its `email` cell") -> str:
    return (f"line {line}: the quote that opens {cell} never closes, so every line after it would be read "
            f"into that one cell: {FIX}")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def tables(tmp_path: Path, leads: str, activities: str = ACTIVITIES) -> tuple[Path, ...]:
    paths = (tmp_path / "leads.csv", tmp_path / "acts.csv", tmp_path / "map.json")
    paths[0].write_text(leads)
    paths[1].write_text(activities)
    paths[2].write_text(json.dumps(MAPPING))
    return paths


def score_tables(paths: tuple[Path, ...], engine: str, *extra: str) -> tuple[int, str, str]:
    leads, activities, mapping = paths
    args = ("score", str(ACME), str(leads), "--activities", str(activities), "--mapping", str(mapping),
            "--engine", engine, "--as-of", AS_OF, "-q", *extra)
    if engine == "spark":
        from support import spark_cli

        return spark_cli.run(*args)
    return run(*args)


# ---------------------------------------------------------------- a quote that never closes: tables


@pytest.mark.parametrize("where", ["leads", "activities", "activities-past-the-sniffer", "after-a-two-line-cell"])
def test_the_duckdb_engine_refuses_a_table_whose_quote_never_closes(tmp_path: Path, where: str) -> None:
    # its sniffer read the whole table without quoting and decided every lead (exit 0), past the rows it
    # samples it said "CSV Error on Line: 30003 ... Value with unterminated quote found" (a count of rows)
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    if where == "leads":
        paths = tables(tmp_path, UNCLOSED)
        table, line, cell = paths[0], 3, "its `email` cell"
    elif where == "after-a-two-line-cell":  # the row starts on line 3, its quote opens on line 4
        paths = tables(tmp_path, 'id,email,seniority\nL1,a,vp\nL2,"two\nlines","manager\nL3,b,ic\n')
        table, line, cell = paths[0], 4, "its `seniority` cell"
    else:
        many = "L1,page_view,2026-11-20T00:00:00Z,\n" * (30_000 if "past" in where else 1)
        paths = tables(tmp_path, "id,email,seniority\nL1,a,vp\n",
                       "lead_id,type,at,form\n" + many + 'L1,form_submit,2026-11-20T00:00:00Z,"demo\n')
        table, line, cell = paths[1], 30_002 if "past" in where else 3, "its `form` cell"
    status, stdout, stderr = score_tables(paths, "duckdb")
    assert (status, stdout) == (2, ""), stderr
    assert stderr == f"error: {table}: duckdb cannot read it: {unclosed(line, cell)}\n"


@pytest.mark.parametrize("where", ["in-the-sample", "past-the-sniffer", "every-cell-quoted"])
def test_the_duckdb_engine_refuses_a_table_with_text_after_a_closing_quote(tmp_path: Path, where: str) -> None:
    # `"pat"@x.com`: its sniffer read the table without quoting; given the quote (as the others read the
    # table), its reader refuses it, "Error when sniffing file" or "Value with unterminated quote found"
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    many = "L0,a,vp\n" * (30_000 if "past" in where else 1)
    bad = '"L2","lee@y.com,"manager"\n' if "every" in where else 'L2,"pat"@x.com,vp\n'
    paths = tables(tmp_path, "id,email,seniority\n" + many + bad + "L3,b,ic\n")
    line = 30_002 if "past" in where else 3
    assert score_tables(paths, "duckdb") == (2, "", f"error: {paths[0]}: duckdb cannot read it: line {line}: its `email` "
                                                     "cell has text after its closing quote: end the cell at its closing "
                                                     f"quote, or double a quote inside a quoted cell (`\"\"`)\n")


def test_a_quote_that_never_closes_in_a_tables_header_is_said_with_its_cell() -> None:
    import tempfile

    from leadpolicy.backends.sql.batch import InputProblem
    from leadpolicy.backends.sql.table_problems import csv_table

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        path.write_text('id,"email,seniority\nL1,a,vp\n')
        with pytest.raises(InputProblem) as problem:
            csv_table(str(path), "spark")
    assert str(problem.value) == f"{path}: spark cannot read it: {unclosed(1, 'its cell 2')}"


def test_a_table_whose_quotes_all_close_is_read_with_them(tmp_path: Path) -> None:
    # the dialect given to DuckDB's reader (engines.csv_table_options) reads quoted cells, doubled quotes
    # and a quote inside an unquoted cell as the python engine and Spark read them
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    paths = tables(tmp_path, 'id,email,seniority\n"L1","pat@x.com","vp"\nL2,"a""b@y.com",manager\nL3,c"d,ic\n')
    status, stdout, stderr = score_tables(paths, "duckdb")
    assert status == 0, stderr
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [(row["id"], row["fit"]) for row in rows] == [("L1", 25.0), ("L2", 10.0), ("L3", 0.0)]


# ---------------------------------------------------------------- a quote that never closes: CSV leads

NESTED = 'id,email,seniority,activities\nL1,"pat@x.com",vp,\nL2,"lee@y.com,manager,\nL3,kim@z.com,ic,\n'


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_csv_leads_whose_quote_never_closes_are_refused_by_the_python_and_duckdb_engines(tmp_path: Path, fmt: str) -> None:
    # the python engine decided L1 and L2 (L2's email `lee@y.com,manager,\nL3,kim@z.com,ic,\n`) and dropped L3, exit 0
    leads = tmp_path / "leads.csv"
    leads.write_text(NESTED)
    python = run("score", str(ACME), str(leads), "--as-of", AS_OF, "--format", fmt)
    assert python == (1, "", f"error: {leads}: {unclosed(3)}\n")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "--format", fmt, "--engine", "duckdb") == python


def test_rows_written_to_standard_output_before_the_quote_is_found_are_said(tmp_path: Path) -> None:
    # the python engine streams: the quote is found at the end of the file, after 1,000 rows were written
    # (in worker processes: the error crosses a pool's queue, and its pickle must make it again); a file
    # OUT is left untouched
    leads, out = tmp_path / "leads.csv", tmp_path / "out.jsonl"
    leads.write_text("id,email,seniority\n" + "".join(f"L{i},a,vp\n" for i in range(1000)) + 'LX,"b,vp\n')
    status, stdout, stderr = run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--jobs", "2")
    assert (status, len(stdout.splitlines())) == (1, 1000)
    assert stderr == (f"error: {leads}: {unclosed(1002)}; scoring stopped there, after 1,000 rows written to standard "
                      "output\n")
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "-o", str(out)) == (
        1, "", f"error: {leads}: {unclosed(1002)}\n")
    assert not out.exists()


# ---------------------------------------------------------------- text after a closing quote: CSV leads

AFTER_QUOTE = 'id,email,seniority,activities\nL1,pat@x.com,vp,\nL2,"lee"@y.com,ic,\nL3,kim@z.com,ic,\n'


def after_quote(line: int, cell: str = "its `email` cell") -> str:
    return (f"line {line}: {cell} has text after its closing quote: end the cell at its closing quote, or double a "
            "quote inside a quoted cell (`\"\"`)")


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_csv_leads_with_text_after_a_closing_quote_are_refused_by_score(tmp_path: Path, engine: str) -> None:
    # both engines read CSV leads with the python engine's reader, which decided L2 on `lee@y.com`, exit 0,
    # where a CSV table of the relational shape is refused (test_the_duckdb_engine_refuses_a_table_with_text...)
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, out = tmp_path / "leads.csv", tmp_path / "out.jsonl"
    leads.write_text(AFTER_QUOTE)
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine, "-o", str(out)) == (
        1, "", f"error: {leads}: {after_quote(3)}\n")
    assert not out.exists()


@pytest.mark.parametrize("bad, line, cell", [
    ('L2,"lee@y.com,"ic",\n', 3, "its `email` cell"),  # a closing quote missing: the next cell's quote closes it
    ('"L2","two\nlines"x,ic,\n', 4, "its `email` cell"),  # the row starts on line 3, the text is on line 4
    ('L2,lee@y.com,"ic" ,\n', 3, "its `seniority` cell"),  # a space is text too
])
def test_where_the_text_after_a_closing_quote_is(tmp_path: Path, bad: str, line: int, cell: str) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("id,email,seniority,activities\nL1,pat@x.com,vp,\n" + bad + "L3,kim@z.com,ic,\n")
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "-o", str(tmp_path / "out.jsonl")) == (
        1, "", f"error: {leads}: {after_quote(line, cell)}\n")


def test_text_after_a_closing_quote_in_the_header_is_refused(tmp_path: Path) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text('sep=,\nid,"email"s,seniority\nL1,pat@x.com,vp\n')
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q") == (1, "", f"error: {leads}: {after_quote(2, 'its cell 2')}\n")


def test_rows_written_before_text_after_a_closing_quote_are_said(tmp_path: Path) -> None:
    # streamed, as a quote that never closes is (in worker processes: the error's pickle must make it again)
    leads = tmp_path / "leads.csv"
    leads.write_text("id,email,seniority\n" + "".join(f"L{i},a,vp\n" for i in range(1000)) + 'LX,"b"c,vp\nLY,d,vp\n')
    status, stdout, stderr = run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--jobs", "2")
    assert (status, len(stdout.splitlines())) == (1, 1000)
    assert stderr == (f"error: {leads}: {after_quote(1002)}; scoring stopped there, after 1,000 rows written to "
                      "standard output\n")


# ---------------------------------------------------------------- both quote problems: diff, report, pickles

# (the leads, the message): a quote that never closes (two leads of three were replayed or reported,
# without a word), and text after a closing quote (L2 was read as `lee@y.com`)
QUOTE_PROBLEMS = [pytest.param(NESTED, unclosed(3), id="unclosed"), pytest.param(AFTER_QUOTE, after_quote(3), id="text-after")]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
@pytest.mark.parametrize("text, message", QUOTE_PROBLEMS)
def test_diff_refuses_csv_leads_with_a_quote_problem(tmp_path: Path, engine: str, text: str, message: str) -> None:
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads = tmp_path / "leads.csv"
    leads.write_text(text)
    assert run("diff", str(ACME), str(ACME), "--leads", str(leads), "--as-of", AS_OF, "--engine", engine) == (
        1, "", f"error: {leads}: {message}\n")


@pytest.mark.parametrize("text, message", QUOTE_PROBLEMS)
def test_report_refuses_csv_leads_with_a_quote_problem(tmp_path: Path, text: str, message: str) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(text)
    assert run("report", str(ACME), str(leads), "--as-of", AS_OF, "--json") == (1, "", f"error: {leads}: {message}\n")


@pytest.mark.parametrize("kind, message", [("UnclosedQuote", unclosed(3)), ("TextAfterQuote", after_quote(3))])
def test_a_quote_refusal_survives_a_pickle(kind: str, message: str) -> None:
    # worker processes send it back to the parent
    from leadpolicy.tools import csv_header

    error = pickle.loads(pickle.dumps(getattr(csv_header, kind)(3, "its `email` cell")))
    assert (type(error).__name__, str(error), error.line) == (kind, message, 3)


# ---------------------------------------------------------------- report --outcomes FILE.csv

OUTCOME_LEADS = "id,email,seniority\nL1,a,vp\nL2,b,ic\nL3,c,ic\n"


@pytest.mark.parametrize("bad, problem", [
    # csv.DictReader read L2's status as `lost,5\nL3,won,7\n`: L3's outcome lost, exit 0
    ('id,status,amount\nL1,won,10\nL2,"lost,5\nL3,won,7\n', unclosed(3, "its `status` cell")),
    # ... and `"lost"x` as `lostx`, `"won"  ` as `won  `
    ('id,status,amount\nL1,won,10\nL2,"lost"x,5\nL3,won,7\n', after_quote(3, "its `status` cell")),
    ('id,status,amount\nL1,"won" ,10\n', after_quote(2, "its `status` cell")),
    ('id,"status"es,amount\nL1,won,10\n', after_quote(1, "its cell 2")),  # the header
    ('sep=,\nid,status,"amount\nL1,won,10\n', unclosed(2, "its cell 3")),
])
def test_report_refuses_an_outcomes_csv_whose_quote_is_wrong(tmp_path: Path, bad: str, problem: str) -> None:
    # as it refuses such CSV leads: the line, the cell and the fix, exit 1 (a bad outcomes file's status)
    leads, outcomes = tmp_path / "leads.csv", tmp_path / "outcomes.csv"
    leads.write_text(OUTCOME_LEADS)
    outcomes.write_text(bad)
    assert run("report", str(ACME), str(leads), "--outcomes", str(outcomes), "--as-of", AS_OF, "--json") == (
        1, "", f"error: {outcomes}: {problem}\n")


def test_an_outcomes_csv_is_read_as_csv_leads_are(tmp_path: Path) -> None:
    # the delimiter its header uses, or the one a `sep=` line names (it said `id;status` was no `id` column);
    # doubled quotes as before
    leads = tmp_path / "leads.csv"
    leads.write_text(OUTCOME_LEADS)
    counts = []
    for text in ('id,status,amount\nL1,won,10\n"L2","lost","5"\nL3,"w""on",\n',
                 'id;status;amount\nL1;won;10\nL2;lost;5\nL3;"w""on";\n',
                 'sep=|\nid|status|amount\nL1|won|10\nL2|lost|5\nL3|"w""on"|\n'):
        outcomes = tmp_path / "outcomes.csv"
        outcomes.write_text(text)
        status, stdout, stderr = run("report", str(ACME), str(leads), "--outcomes", str(outcomes), "--as-of", AS_OF, "--json")
        assert status == 0, stderr
        report = json.loads(stdout)["reports"][0]
        counts.append((report["outcomes"]["won"], report["outcomes"]["lost"], report["data_errors"]))
    assert counts == [(1, 1, 1)] * 3  # L3's status `w"on` is a data error


def test_quoted_cells_whose_quotes_close_are_still_read(tmp_path: Path) -> None:
    # the strict reading refuses only text after a closing quote: doubled quotes, a quote inside an
    # unquoted cell, a quoted cell across lines and CRLF line breaks read as before
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b'id,email,seniority,activities\r\n"L1","a""b@x.com","vp",\r\nL2,c"d,ic,"[]"\r\n'
                      b'L3,"two\r\nlines",manager,\r\n')
    status, stdout, stderr = run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q")
    assert status == 0, stderr
    assert [json.loads(line)["id"] for line in stdout.splitlines()] == ["L1", "L2", "L3"]


# ---------------------------------------------------------------- CSV leads that are not UTF-8

LATIN1 = b"id,email,seniority\nL1,a,vp\nL2,\"two\nlines\",ic\r\nL3,caf\xe9,ic\nL4,b,vp\n"  # the byte on line 5
NOT_UTF8 = "is not UTF-8 text (byte 0xe9 on line 5): save it as UTF-8"


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_csv_leads_that_are_not_utf8_are_said_alike_by_every_command(tmp_path: Path, engine: str) -> None:
    # score said `(invalid continuation byte); scoring stopped there` (or `; OUT was left untouched`), diff and
    # report `(invalid continuation byte); save it as UTF-8`, docs/cli-guide.md `(byte N is 0xNN)`: none said where
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, out = tmp_path / "leads.csv", tmp_path / "out.jsonl"
    leads.write_bytes(LATIN1)
    said = (1, "", f"error: {leads} {NOT_UTF8}\n")
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine) == said
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine, "-o", str(out)) == said
    assert not out.exists()
    assert run("diff", str(ACME), str(ACME), "--leads", str(leads), "--as-of", AS_OF, "--engine", engine) == said
    if engine == "python":
        assert run("report", str(ACME), str(leads), "--as-of", AS_OF, "--json") == said


def test_csv_leads_that_are_not_utf8_on_standard_input(tmp_path: Path) -> None:
    # the python engine reads a pipe once: the byte, without its line; the duckdb engine reads a copy
    def piped(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), input=LATIN1, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    bare = "is not UTF-8 text (byte 0xe9): save it as UTF-8"
    assert piped("score", str(ACME), "-", "--input-format", "csv", "--as-of", AS_OF, "-q") == (1, "", f"error: <stdin> {bare}\n")
    assert piped("diff", str(ACME), str(ACME), "--leads", "-", "--input-format", "csv", "--as-of", AS_OF) == (
        1, "", f"error: <stdin> {bare}\n")  # as score names it
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    assert piped("score", str(ACME), "-", "--input-format", "csv", "--as-of", AS_OF, "-q", "--engine", "duckdb") == (
        1, "", f"error: <stdin> {NOT_UTF8}\n")


@pytest.mark.parametrize("name, text, line", [
    ("outcomes.csv", b"id,status\nL1,won\r\nL2,\"lost\nagain\"\nL3,caf\xe9\n", 5),
    ("outcomes.jsonl", b'{"id": "L1", "status": "won"}\n\n\n{"id": "L3", "status": "caf\xe9"}\n', 4)])
def test_an_outcomes_file_that_is_not_utf8_is_said_as_csv_leads_are(tmp_path: Path, name: str, text: str, line: int) -> None:
    # it said `(byte 44 is 0xe9); save it as UTF-8`: an offset, and no line
    leads, outcomes = tmp_path / "leads.csv", tmp_path / name
    leads.write_text(OUTCOME_LEADS)
    outcomes.write_bytes(text)
    assert run("report", str(ACME), str(leads), "--outcomes", str(outcomes), "--as-of", AS_OF, "--json") == (
        1, "", f"error: {outcomes} is not UTF-8 text (byte 0xe9 on line {line}): save it as UTF-8\n")


def test_rows_written_before_a_byte_that_is_not_utf8_are_said(tmp_path: Path) -> None:
    # streamed: the rows before the byte's block are on standard output, and the message says how many
    leads = tmp_path / "leads.csv"
    leads.write_bytes(b"id,email,seniority\n" + b"".join(b"L%d,a,vp\n" % i for i in range(5000)) + b"LX,\xe9,vp\n")
    status, stdout, stderr = run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q")
    written = len(stdout.splitlines())
    assert status == 1 and 0 < written < 5000
    assert stderr == (f"error: {leads} is not UTF-8 text (byte 0xe9 on line 5002): save it as UTF-8; scoring stopped "
                      f"there, after {written:,} rows written to standard output\n")


# ---------------------------------------------------------------- Excel's `sep=;` line

PLAIN_LEADS = 'id;email;seniority\nL1;"pat;x@x.com";vp\n\nL2;lee@y.com;boss\n'


def test_the_duckdb_engine_reads_tables_after_a_sep_line_as_without_it(tmp_path: Path) -> None:
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    plain = score_tables(tables(tmp_path, PLAIN_LEADS, ACTIVITIES), "duckdb")
    assert plain[0] == 1 and '"lead L2: field `seniority`: `boss` is not one of' in plain[1], plain
    assert score_tables(tables(tmp_path, "sep=;\n" + PLAIN_LEADS, "sep=,\n" + ACTIVITIES), "duckdb") == plain


@pytest.mark.parametrize("first, delimiter", [("sep=,", ","), ("SEP=|", "|"), ("sep=\t", "\t")])
def test_the_delimiter_is_the_one_a_sep_line_names(tmp_path: Path, first: str, delimiter: str) -> None:
    # not the one the header uses most; the header is the next line
    from leadpolicy.backends.sql.table_problems import csv_table

    path = tmp_path / "t.csv"
    path.write_text(f"{first}\r\nid;email;seniority\r\n")
    dialect = csv_table(str(path), "duckdb")
    assert (dialect.delimiter, dialect.skip, dialect.header) == (delimiter, 1, ("id;email;seniority",))


def test_a_tables_lines_after_a_sep_line_keep_their_numbers(tmp_path: Path) -> None:
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    paths = tables(tmp_path, "sep=;\nid;email;seniority\nL1;a;vp\nL2;b\n")
    assert score_tables(paths, "duckdb") == (2, "", f"error: {paths[0]}: duckdb cannot read it: line 4 has 2 cells but the "
                                                     "header has 3 columns: make every row as wide as the header (or "
                                                     "export the table as Parquet)\n")


NESTED_SEP = 'sep=;\nemail;seniority;activities\n"pat;x@x.com";vp;\nlee@y.com;boss;\n'


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_csv_leads_after_a_sep_line_are_read_in_its_delimiter(tmp_path: Path, engine: str) -> None:
    # the python engine said the header `sep=` named no field; ids are line numbers, the file's own
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads = tmp_path / "leads.csv"
    leads.write_text(NESTED_SEP)
    status, stdout, _ = run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine)
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert status == 1 and [(row["id"], row.get("fit"), row.get("line")) for row in rows] == [(3, 25.0, None), (4, None, 4)]
    assert rows[1]["error"]["message"] == "lead 4: field `seniority`: `boss` is not one of ic, manager, director, vp, cxo"


def test_diff_and_report_read_csv_leads_after_a_sep_line(tmp_path: Path) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    plain.write_text('id;email;seniority;activities\nL1;"pat;x@x.com";vp;\nL2;lee@y.com;ic;\n')
    excel.write_text("sep=;\n" + plain.read_text())
    for command in (["diff", str(ACME), str(ACME), "--json", "--leads"], ["report", str(ACME), "--json"]):
        outputs = [run(*command, str(path), "--as-of", AS_OF) for path in (plain, excel)]
        assert outputs[0][0] in (0, 1) and outputs[1] == (outputs[0][0], outputs[0][1].replace(str(plain), str(excel))
                                                          .replace("plain.csv", "excel.csv"), outputs[0][2]), outputs


@pytest.mark.parametrize("text", ["sep=;\n", "sep=;", "SEP=,\r\n\r\n", "\n", "\r\n\n"])
@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_csv_leads_with_no_header_are_no_leads_as_an_empty_file_is(tmp_path: Path, engine: str, text: str) -> None:
    # the line after a `sep=` line alone was read as an empty header, refused by every command and engine with
    # "no column names a field of the policy or `activities` (the header has )", exit 1
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads, empty = tmp_path / "leads.csv", tmp_path / "empty.csv"
    leads.write_bytes(text.encode())
    empty.write_bytes(b"")
    warning = (f"warning: no header follows the `{text.strip()}` line: there are no leads\n" if text.strip()
               else "warning: the file holds only blank lines, no header: there are no leads\n")
    assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine) == (0, "", "")
    status, stdout, stderr = run("score", str(ACME), str(leads), "--as-of", AS_OF, "--engine", engine)
    assert (status, stdout) == (0, "") and stderr.startswith(warning) and "0 leads scored" in stderr, stderr
    commands = [["diff", str(ACME), str(ACME), "--json", "--engine", engine, "--leads"]]
    if engine == "python":
        commands.append(["report", str(ACME), "--json"])
    for command in commands:
        without, nothing = (run(*command, str(path), "--as-of", AS_OF) for path in (leads, empty))
        assert nothing[0] == 0 and without == (0, nothing[1].replace(str(empty), str(leads)), warning), (without, nothing)


BLANK_FIRST = "\nid,email,seniority\nL1,a@x.com,vp\n"


def blank_header(at: int, first: int, lines: str = "line") -> str:
    return (f"line {at} is blank where the header belongs (the first line after it that is not blank is line {first}): "
            f"delete the blank {lines} before the header")


@pytest.mark.parametrize("text, at, first, lines", [(BLANK_FIRST, 1, 2, "line"), ("sep=,\n\n\nid,email\nL1,a\n", 2, 4, "lines"),
                                                    ("\r\n\r\nid,email\r\n", 1, 3, "lines")])
def test_a_blank_line_where_the_header_belongs_is_refused_by_every_command(tmp_path: Path, text: str, at: int, first: int,
                                                                            lines: str) -> None:
    # it was read as an empty header: "no column names a field of the policy or `activities` (the header has )"
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads = tmp_path / "leads.csv"
    leads.write_bytes(text.encode())
    refused = (1, "", f"error: {leads}: {blank_header(at, first, lines)}\n")
    for engine in ("python", "duckdb"):
        assert run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", engine) == refused, engine
        assert run("diff", str(ACME), str(ACME), "--engine", engine, "--leads", str(leads), "--as-of", AS_OF) == refused
    assert run("report", str(ACME), str(leads), "--as-of", AS_OF, "--json") == refused


def test_a_blank_line_where_a_tables_header_belongs_is_refused(tmp_path: Path) -> None:
    # DuckDB's reader took the header for a row, and decided a lead `id` (an error row), exit 1
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    paths = tables(tmp_path, BLANK_FIRST)
    refused = (2, "", f"error: {paths[0]}: {blank_header(1, 2)}\n")
    assert score_tables(paths, "duckdb") == refused
    diff = ("diff", str(ACME), str(ACME), "--engine", "duckdb", "--leads", str(paths[0]), "--activities", str(paths[1]),
            "--mapping", str(paths[2]), "--as-of", AS_OF)
    assert run(*diff) == refused
    paths = tables(tmp_path, "id,email,seniority\nL1,a@x.com,vp\n", "sep=,\n\n" + ACTIVITIES)
    assert score_tables(paths, "duckdb") == (2, "", f"error: {paths[1]}: {blank_header(2, 3)}\n")


def test_diff_reads_an_empty_leads_table_as_score_does(tmp_path: Path) -> None:
    # score read it as no rows (exit 0), diff said DuckDB "did not take its first line for a header", exit 2
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    paths = tables(tmp_path, "")
    assert score_tables(paths, "duckdb") == (0, "", "")
    status, stdout, stderr = run("diff", str(ACME), str(ACME), "--engine", "duckdb", "--leads", str(paths[0]), "--activities",
                                 str(paths[1]), "--mapping", str(paths[2]), "--as-of", AS_OF)
    assert status == 0 and "0 of 0 leads" in stdout and stderr == f"warning: {paths[0]} is empty: there are no leads to replay\n"


@pytest.mark.parametrize("text", ["sep=;\n", "\n\r\n"])
def test_a_table_with_no_header_holds_no_rows_as_csv_leads_do(tmp_path: Path, text: str) -> None:
    # score and diff said DuckDB "did not take its first line for a header (it read 1 columns without names)", exit 2
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    warning = ("warning: no header follows the `sep=;` line: there are no leads\n" if text.strip()
               else "warning: the file holds only blank lines, no header: there are no leads\n")
    paths = tables(tmp_path, text)
    assert score_tables(paths, "duckdb") == (0, "", "")
    leads, activities, mapping = (str(path) for path in paths)
    status, _, stderr = run("score", str(ACME), leads, "--activities", activities, "--mapping", mapping,
                            "--engine", "duckdb", "--as-of", AS_OF)
    assert status == 0 and stderr.startswith(warning) and "0 leads scored" in stderr, stderr
    status, stdout, stderr = run("diff", str(ACME), str(ACME), "--engine", "duckdb", "--leads", leads, "--activities",
                                 activities, "--mapping", mapping, "--as-of", AS_OF)
    assert (status, stderr) == (0, warning) and "0 of 0 leads" in stdout, (status, stderr)
    # activities with no header: every lead without activities, as an empty activities table
    with_none = score_tables(tables(tmp_path, "id,email,seniority\nL1,a@x.com,vp\n", ""), "duckdb")
    assert with_none[0] == 0 and '"engagement": 0.0' in with_none[1]
    assert score_tables(tables(tmp_path, "id,email,seniority\nL1,a@x.com,vp\n", text), "duckdb") == with_none


def test_an_outcomes_csv_that_is_a_sep_line_alone_is_an_error_as_an_empty_one_is(tmp_path: Path) -> None:
    leads, outcomes = tmp_path / "leads.csv", tmp_path / "outcomes.csv"
    leads.write_text(OUTCOME_LEADS)
    outcomes.write_text("sep=;\n")
    assert run("report", str(ACME), str(leads), "--outcomes", str(outcomes), "--as-of", AS_OF, "--json") == (
        1, "", f"error: {outcomes} is empty (a `sep=` line, no header): an outcomes file has a row per lead id "
               "(docs/report.md)\n")


# ---------------------------------------------------------------- the Spark engine (one process: support/spark_cli.py)


@pytest.mark.spark
def test_the_spark_engine_refuses_a_quote_that_never_closes_as_the_others_do(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    from support import spark_cli

    # a quote that never closes: refused before Spark starts, in the words of the duckdb engine
    paths = tables(tmp_path, UNCLOSED)
    spark = score_tables(paths, "spark")
    assert spark == (2, "", f"error: {paths[0]}: spark cannot read it: {unclosed(3)}\n")
    assert score_tables(paths, "duckdb") == (2, "", spark[2].replace("spark cannot", "duckdb cannot"))
    paths = tables(tmp_path, 'id,email,seniority\nL1,"pat"@x.com,vp\n')  # text after a closing quote: Spark decided it
    spark = score_tables(paths, "spark")
    assert spark[:2] == (2, "") and "line 2: its `email` cell has text after its closing quote" in spark[2], spark
    assert score_tables(paths, "duckdb") == (2, "", spark[2].replace("spark cannot", "duckdb cannot"))
    # CSV leads: the python engine's reader, in Spark's engine too
    leads = tmp_path / "nested.csv"
    leads.write_text(NESTED)
    args = ("score", str(ACME), str(leads), "--as-of", AS_OF, "-q")
    python = run(*args)
    assert python[0] == 1 and spark_cli.run(*args, "--engine", "spark") == python
    leads.write_text(AFTER_QUOTE)  # text after a closing quote, in CSV leads: the same refusal
    assert spark_cli.run(*args, "--engine", "spark") == (1, "", f"error: {leads}: {after_quote(3)}\n")


@pytest.mark.spark
def test_the_spark_engine_says_csv_leads_that_are_not_utf8_as_the_others_do(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    from support import spark_cli

    leads = tmp_path / "leads.csv"
    leads.write_bytes(LATIN1)
    assert spark_cli.run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", "spark") == (
        1, "", f"error: {leads} {NOT_UTF8}\n")


@pytest.mark.spark
def test_the_spark_engine_reads_tables_and_leads_after_a_sep_line_as_the_others_do(tmp_path: Path) -> None:
    # Spark's reader has no option to skip a line: the Spark engine refused the table (its header `sep=`)
    pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
    pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    from support import spark_cli

    # sep= lines (and a blank line): the same rows, errors and exit status
    paths = tables(tmp_path, "sep=;\n" + PLAIN_LEADS, "sep=,\n" + ACTIVITIES)
    duck = score_tables(paths, "duckdb")
    assert duck[0] == 1 and '"id": "L1"' in duck[1] and '"id": "L2", "line": 2' in duck[1], duck
    assert score_tables(paths, "spark") == duck
    leads = tmp_path / "nested.csv"
    leads.write_text(NESTED_SEP)
    args = ("score", str(ACME), str(leads), "--as-of", AS_OF, "-q")
    python = run(*args)
    assert python[0] == 1 and spark_cli.run(*args, "--engine", "spark") == python
    leads.write_text("sep=;\n")  # no header: no leads, as an empty file
    assert spark_cli.run("score", str(ACME), str(leads), "--as-of", AS_OF, "-q", "--engine", "spark") == (0, "", "")
    status, stdout, stderr = spark_cli.run("score", str(ACME), str(leads), "--as-of", AS_OF, "--engine", "spark")
    assert (status, stdout) == (0, "") and stderr.startswith("warning: no header follows the `sep=;` line: there are "
                                                             "no leads\n"), stderr
    # tables with no header hold no rows, and a blank line where a table's header belongs is refused, as by duckdb
    for leads_text, acts_text in (("sep=;\n", ACTIVITIES), ("id,email,seniority\nL1,a@x.com,vp\n", "\n\n"),
                                  ("\nid,email,seniority\nL1,a@x.com,vp\n", ACTIVITIES)):
        paths = tables(tmp_path, leads_text, acts_text)
        assert score_tables(paths, "spark") == score_tables(paths, "duckdb"), (leads_text, acts_text)
