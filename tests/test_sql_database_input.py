"""`score --engine duckdb` and `diff --engine duckdb` read a DuckDB database file (INPUT ending
in .duckdb or .db, or any name: it is known by its first bytes) in the relational shape: its
tables `leads` and `activities`, or those --leads-table and --activities-table name. Score
failed on every database ("No catalog + schema named lp_db": the rescorer of error rows used
the attached database before the query attached it) and no test ran it; diff refused one. The
decisions, error rows and reports are the Python engine's on the same leads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.backends import relational_files

from leadpolicy.cli import main

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytest.importorskip("pyarrow")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"


def run(*args: str) -> tuple[int, str, list[str]]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, [line for line in result.stderr.splitlines() if " scored in " not in line]


def database(tmp_path: Path, leads: str = "leads", acts: str = "activities", drop: tuple = ()) -> tuple[Path, Path, Path]:
    """relational_files' tables in a DuckDB database (less the columns in `drop`), its mapping, and the same leads as JSON Lines."""
    leads_file, acts_file, mapping, as_text = relational_files(tmp_path)
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    for name, source in ((leads, leads_file), (acts, acts_file)):
        if "." in name:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {name.split('.')[0]}")
        exclude = [c for c in drop if c in {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM '{source}'").fetchall()}]
        columns = f"* EXCLUDE ({', '.join(exclude)})" if exclude else "*"
        con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM read_parquet('{source}')")
    con.close()
    return path, mapping, as_text


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_database_decides_as_the_python_engine(tmp_path: Path, fmt: str) -> None:
    path, mapping, as_text = database(tmp_path)
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF, "--format", fmt)
    got = run("score", str(ACME), str(path), "--mapping", str(mapping), "--as-of", AS_OF, "--engine", "duckdb", "--format", fmt)
    assert got == expected and expected[0] == 1  # relational_files holds leads with data errors
    assert expected[1].count("\n") == 17 + (fmt == "csv")  # 17 leads (and a header)


def test_schema_qualified_tables_and_parquet_output(tmp_path: Path) -> None:
    path, mapping, as_text = database(tmp_path, "sales.leads", "sales.events")
    out = tmp_path / "decided.parquet"
    code, _, err = run("score", str(ACME), str(path), "--leads-table", "sales.leads", "--activities-table", "sales.events",
                       "--mapping", str(mapping), "--as-of", AS_OF, "--engine", "duckdb", "-o", str(out))
    assert code == 1, err
    _, expected, _ = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    decisions = [json.loads(line) for line in expected.splitlines()]
    rows = duckdb.connect().sql(f"SELECT id, stage, engagement, fit, error FROM read_parquet('{out}') ORDER BY line").fetchall()
    assert [(r[0], r[1], r[2], r[3], json.loads(r[4])["field"] if r[4] else None) for r in rows] == [
        (d["id"], d.get("stage"), d.get("engagement"), d.get("fit"), d["error"]["field"] if "error" in d else None) for d in decisions]


def test_a_table_the_database_lacks_is_named_with_the_tables_it_has(tmp_path: Path) -> None:
    path, mapping, _ = database(tmp_path, "sales.leads", "sales.events")
    code, out, err = run("score", str(ACME), str(path), "--leads-table", "sales.leads", "--mapping", str(mapping),
                         "--as-of", AS_OF, "--engine", "duckdb")
    assert code == 2 and out == ""
    # it said "`--activities-table` named this one" of the default, and blamed --activities-table for
    # every name that was not the leads table's as written (`"crm.leads"`, quoted by DuckDB)
    assert err == [f"error: {path} has no table `activities` (`activities` is the default of --activities-table; its tables:"
                   " sales.events, sales.leads): name the leads and activities tables with --leads-table and --activities-table"]
    mapping.write_text(json.dumps({**json.loads(mapping.read_text()), "leads_table": "crm.leads"}))
    code, out, err = run("score", str(ACME), str(path), "--activities-table", "sales.events", "--mapping", str(mapping),
                         "--as-of", AS_OF, "--engine", "duckdb")
    assert code == 2 and out == ""
    assert err == [f"error: {path} has no table `crm.leads` (the mapping's `leads_table` named it; its tables:"
                   " sales.events, sales.leads): did you mean `sales.leads`?"]


@pytest.mark.parametrize("options, said", [
    # DuckDB names `lead` of `sales.lead` when the schema exists: it said "has no table `lead`"
    (["--leads-table", "sales.lead", "--activities-table", "sales.events"],
     "has no table `sales.lead` (--leads-table named it; its tables: sales.events, sales.leads): did you mean `sales.leads`?"),
    (["--leads-table", "sales.leads", "--activities-table", "events"],
     "has no table `events` (--activities-table named it; its tables: sales.events, sales.leads): did you mean `sales.events`?"),
    ([], "has no table `leads` (`leads` is the default of --leads-table; its tables: sales.events, sales.leads): name it: "
         "--leads-table sales.leads"),
])
def test_a_table_named_wrongly_is_said_as_written_with_the_one_meant(tmp_path: Path, options, said) -> None:
    path, mapping, _ = database(tmp_path, "sales.leads", "sales.events")
    code, out, err = run("score", str(ACME), str(path), *options, "--mapping", str(mapping), "--as-of", AS_OF,
                         "--engine", "duckdb")
    assert (code, out, err) == (2, "", [f"error: {path} {said}"])


def test_columns_a_database_table_lacks_are_named_with_the_table_and_the_file(tmp_path: Path) -> None:
    path, mapping, _ = database(tmp_path, drop=("created", "title"))
    code, _, err = run("score", str(ACME), str(path), "--mapping", str(mapping), "--as-of", AS_OF, "--engine", "duckdb")
    assert code == 2
    assert err[-1].startswith(f"error: the leads table leads in {path} has no column `created`; the activities table"
                              f" activities in {path} has no column `title`:"), err


def test_an_activities_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    leads_file, _, mapping, _ = relational_files(tmp_path)
    for engine in ("duckdb", "spark"):
        code, _, err = run("score", str(ACME), str(leads_file), "--activities", str(tmp_path / "nope.parquet"),
                           "--as-of", AS_OF, "--engine", engine)
        assert (code, err) == (2, [f"error: no such file: {tmp_path / 'nope.parquet'}"])


def test_diff_reads_a_database_as_it_reads_the_same_tables_in_parquet(tmp_path: Path) -> None:
    """The report on a database equals the report on the same tables as Parquet files (error
    leads in one version only replayed from the database, worded by Python), and, but for the
    file named, the Python engine's on the same leads as JSON Lines."""
    path, mapping, as_text = database(tmp_path, "sales.leads", "sales.events")
    leads_file, acts_file = tmp_path / "leads.parquet", tmp_path / "acts.parquet"
    new = tmp_path / "new.policy"
    # `created` becomes a number: every lead with a created date gets a data error in the new version only
    new.write_text(ACME.read_text(encoding="utf-8").replace("created        date", "created        number")
                   .replace("+20  per page_view", "+25  per page_view"), encoding="utf-8")
    common = ("--as-of", AS_OF, "--format", "json")
    code, report, err = run("diff", str(ACME), str(new), "--leads", str(path), "--leads-table", "sales.leads",
                            "--activities-table", "sales.events", "--mapping", str(mapping), "--engine", "duckdb", *common)
    assert code == 0, err
    from_files = run("diff", str(ACME), str(new), "--leads", str(leads_file), "--activities", str(acts_file),
                     "--mapping", str(mapping), "--engine", "duckdb", *common)[1]
    python = run("diff", str(ACME), str(new), "--leads", str(as_text), *common)[1]
    got, files, expected = (json.loads(text) for text in (report, from_files, python))
    for result, name in ((got, str(path)), (files, f"{leads_file} + {acts_file}"), (expected, str(as_text))):
        assert result["leads"]["source"] == name
        del result["leads"]["source"]
    assert got == files == expected
    errors = got["leads"]["errors"]
    assert errors["appeared"] == 8 and errors["examples"] and got["leads"]["compared"] == 4, got["leads"]


def test_a_database_or_parquet_file_is_known_by_its_bytes_whatever_its_name(tmp_path: Path) -> None:
    """A DuckDB database not named .duckdb (DuckDB read it as a JSON file: 'No extension found
    that is capable of reading the file'), Parquet tables not named .parquet (read as table
    names, or lines of JSON), and a SQLite database (read as JSON Lines) given to the SQL
    engines: the first two are read as what they are, the last is named."""
    path, mapping, as_text = database(tmp_path)
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    renamed = tmp_path / "crm.data"
    renamed.write_bytes(path.read_bytes())
    assert run("score", str(ACME), str(renamed), "--mapping", str(mapping), "--as-of", AS_OF, "--engine", "duckdb") == expected
    leads_pq, acts_pq = tmp_path / "leads.pq", tmp_path / "acts.pq"
    leads_pq.write_bytes((tmp_path / "leads.parquet").read_bytes())
    acts_pq.write_bytes((tmp_path / "acts.parquet").read_bytes())
    assert run("score", str(ACME), str(leads_pq), "--activities", str(acts_pq), "--mapping", str(mapping), "--as-of", AS_OF,
               "--engine", "duckdb") == expected
    code, _, err = run("diff", str(ACME), str(ACME), "--leads", str(renamed), "--mapping", str(mapping), "--as-of", AS_OF)
    assert code == 1 and err == [f"error: {renamed} is a DuckDB database, not JSON Lines or CSV: diff reads its tables"
                                 " `leads` and `activities` with --engine duckdb (or --leads-table and --activities-table;"
                                 " docs/sql.md)"]
    import sqlite3

    lite = tmp_path / "crm.sqlite"
    sqlite3.connect(str(lite)).execute("CREATE TABLE leads (id TEXT)").connection.commit()
    code, out, err = run("score", str(ACME), str(lite), "--as-of", AS_OF, "--engine", "duckdb")
    assert (code, out) == (1, "") and err == [
        f"error: {lite} is a SQLite database, not JSON Lines, CSV, Parquet or a DuckDB database: export its two tables"
        " as Parquet or CSV, the relational shape (docs/sql.md), or its leads as JSON Lines or CSV (docs/cli-guide.md)"]


@pytest.mark.parametrize("command", ["score", "diff"])
@pytest.mark.parametrize("option, blank", [("--leads-table", ""), ("--activities-table", "  ")])
def test_an_empty_table_name_is_refused_not_read_as_the_default(tmp_path: Path, command, option, blank) -> None:
    """`--leads-table "$LEADS_TABLE"` with the variable unset scored the default table `leads`, without a word."""
    path, mapping, _ = database(tmp_path)
    given = {"--leads-table": "leads", "--activities-table": "activities", option: blank}
    args = ([str(path)] if command == "score" else [str(ACME), "--leads", str(path)])
    code, out, err = run(command, str(ACME), *args, *[x for pair in given.items() for x in pair], "--mapping",
                         str(mapping), "--as-of", AS_OF, "--engine", "duckdb")
    example = "sales.leads" if option == "--leads-table" else "sales.events"
    assert (code, out, err) == (2, "", [f"error: Invalid value for '{option}': an empty name names no table: write the table,"
                                        f" e.g. {option} {example}"])


# names from the command line and the mapping that a careless quoting would run as SQL
HOSTILE = ['"; DROP TABLE keep; --', "`b", "'c", " */ d /*", "{{ 7*7 }}", " select", "$as_of", "\u00a0e"]


@pytest.mark.parametrize("bad", HOSTILE)
def test_hostile_table_and_column_names_stay_names(tmp_path: Path, bad: str) -> None:
    """--leads-table, --activities-table and every name of the mapping, holding quotes, comment markers,
    Jinja, a reserved word or a parameter's spelling, name the tables and columns of a real DuckDB
    database and nothing else: the decisions are the Python engine's, and no statement of theirs runs."""
    leads_file, acts_file, names, as_text = relational_files(tmp_path)
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE keep (a INTEGER)")

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    schema, leads, acts = f"s{bad}", f"leads{bad}", f"acts{bad}"
    con.execute(f"CREATE SCHEMA {quoted(schema)}")
    mapping: dict = {"fields": {}, "props": {}}
    tables = ((f"{quoted(schema)}.{quoted(leads)}", leads_file, "fields", {"lead_key": "id", "stage": "stage"}),
              (quoted(acts), acts_file, "props", {"lead_key": "lead_id", "seq": "order", "type": "type", "at": "at"}))
    for table, source, declared, structural in tables:  # every column renamed COLUMN + bad, and mapped
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{source}')").fetchall()]
        con.execute(f"CREATE TABLE {table} AS SELECT "
                    + ", ".join(f"{quoted(c)} AS {quoted(c + bad)}" for c in columns) + f" FROM read_parquet('{source}')")
        for c in columns:
            if c in structural:
                mapping[structural[c]] = c + bad
            else:
                mapping[declared][c] = c + bad
    con.close()
    assert json.loads(names.read_text())["id"] == "lead_key"
    (tmp_path / "hostile.json").write_text(json.dumps(mapping), encoding="utf-8")
    expected = run("score", str(ACME), str(as_text), "--as-of", AS_OF)
    got = run("score", str(ACME), str(path), "--leads-table", f"{schema}.{leads}", "--activities-table", acts,
              "--mapping", str(tmp_path / "hostile.json"), "--as-of", AS_OF, "--engine", "duckdb")
    assert got == expected and expected[0] == 1
    assert duckdb.connect(str(path), read_only=True).execute("SELECT count(*) FROM keep").fetchone() == (0,)
