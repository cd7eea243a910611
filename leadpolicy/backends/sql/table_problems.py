"""What to say when the tables of the relational shape do not fit the query, for the DuckDB
engine (`score`, `diff`): every column the tables lack, at once (DuckDB names the first), with
the mapping that fixes them; a table a DuckDB database lacks, with the tables it has. And the
CSV tables the Spark engine must refuse where DuckDB's reader does, and how they are written
(csv_table)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional

from leadpolicy.backends.sql.batch import BatchInput, InputProblem
from leadpolicy.backends.sql.inputs import absent_columns, missing_columns
from leadpolicy.backends.sql.rows import RelationalRescorer, mapping_of

__all__ = ["table_problems", "case_twins", "id_types_text", "csv_table", "CsvTableDialect", "header_name", "not_utf8_table", "RAGGED_FIX"]

# how to mend a CSV table with a row wider or narrower than its header, said by both SQL engines
RAGGED_FIX = "make every row as wide as the header (or export the table as Parquet)"


def not_utf8_table(line: int, reader: str) -> str:
    """Why a CSV table with a line that is not UTF-8 is refused, and the fix (`reader`: who refuses it)."""
    return (f"line {line} is not UTF-8 text, and {reader} reads no file that holds such a line;"
            " re-encode the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)")


@contextlib.contextmanager
def table_problems(tree: Any, source: BatchInput) -> Iterator[None]:
    """Columns the relational shape needs but the tables lack: say which tables, every
    column missing (DuckDB names the first), and the mapping that fixes them. Before the
    run: a column the query reads that a table file holds twice, in two spellings of case."""
    twins = case_twins(tree, source)
    if twins is not None:
        raise InputProblem(twins)
    try:
        yield
    except Exception as error:
        row = _row_problem(source, error)
        if row is not None:
            raise InputProblem(row) from None
        if "when casting from source column" in str(error) and source.kind in ("relational", "database"):
            types = _id_types(source)
            if types is not None:
                raise InputProblem(types) from None
        absent = re.search(r"Table with name (.+?) does not exist", str(error))
        if absent and source.kind == "database":
            raise InputProblem(_no_such_table(source, absent.group(1))) from None
        found = re.search(r'Table "(lp_l|lp_a)" does not have a column named "([^"]*)"', str(error))
        if not found:
            raise
        unsplit = _unsplit_table(source)
        if unsplit is not None:
            raise InputProblem(unsplit) from None
        missing = _missing_columns(tree, source) or [(found.group(1) == "lp_l", found.group(2))]
        if source.kind == "database":
            m = mapping_of(source)
            tables = (f"the leads table {source.leads_table or m.leads_table} in {source.path}",
                      f"the activities table {source.activities_table or m.activities_table} in {source.path}")
        else:
            tables = ("the leads table " + source.path, "the activities table " + (source.activities or ""))
        raise InputProblem(missing_columns(tables, missing, source.mapping)) from None


def _row_problem(source: BatchInput, error: BaseException) -> Optional[str]:
    """A CSV table DuckDB's reader refused: its sniffer, given the dialect (engines.csv_table_options),
    found none that reads the rows it samples ("Error when sniffing file"), or a line past them
    ("CSV Error on Line: N", its N a count of rows, not the file's line where a quoted cell spans
    lines): a line not UTF-8, a row wider or narrower than the header, a quote that never closes.
    Said with the line an editor shows, as the spark engine says it (csv_table: read only now, when
    DuckDB refused the table); None for any other error, or one csv_table does not find (DuckDB's
    own words are said)."""
    text = str(error)
    named = re.search(r"^\s*file = (.+)$", text, re.MULTILINE) if "CSV Error on Line" in text else \
        re.search(r'Error when sniffing file "(.+)"\.?$', text, re.MULTILINE)
    if source.kind != "relational" or not named:
        return None
    path = named.group(1).strip()
    if path not in (source.path, source.activities):
        return None
    if "not utf-8 encoded" in text:
        return f"{path}: duckdb cannot read it: " + not_utf8_table(_first_line_not_utf8(path), "DuckDB")
    try:
        csv_table(path, "duckdb")
    except InputProblem as problem:
        return str(problem)
    return None


def _no_such_table(source: BatchInput, name: str) -> str:
    """A DuckDB database INPUT without the table named (--leads-table, --activities-table or
    the mapping): which option named it, and the tables the file has."""
    import duckdb

    m = mapping_of(source)
    name = name.strip('"')  # DuckDB quotes a name with its schema: "crm.leads" does not exist because schema ...
    leads = source.leads_table or m.leads_table
    option, key, given = (("--leads-table", "leads_table", source.leads_table)
                          if name.lower() in (leads.lower(), leads.split(".")[-1].lower()) else
                          ("--activities-table", "activities_table", source.activities_table))
    if given:
        named = f"{option} named it"
        name = given  # as written: DuckDB names `lead` of `sales.lead` when the schema exists
    elif source.mapping and source.mapping.get(key):
        named = f"the mapping's `{key}` named it"
        name = str(source.mapping[key])
    else:
        named = f"`{name}` is the default of {option}"
    try:
        con = duckdb.connect()
        try:
            con.execute("ATTACH ? AS lp_db (READ_ONLY)", [source.path])
            tables = [f"{schema}.{table}" if schema != "main" else table for schema, table in con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'lp_db'"
                " UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = 'lp_db' AND NOT internal"
                " ORDER BY 1, 2").fetchall()]
        finally:
            con.close()
    except Exception:
        tables = []
    have = f"its tables: {', '.join(tables)}" if tables else "it has no tables"
    from leadpolicy.check.base import suggest

    meant = suggest(name, tables) if tables else None  # `sales.leads` for `sales.lead`, `leads` or `crm.leads`
    if meant and (given or named.startswith("the mapping")):
        fix = f"did you mean `{meant}`?"
    elif meant:
        fix = f"name it: {option} {meant}"
    else:
        fix = "name the leads and activities tables with --leads-table and --activities-table"
    return f"{source.path} has no table `{name}` ({named}; {have}): {fix}"


def _id_types(source: BatchInput) -> Optional[str]:
    """The leads' ids and the activities' lead ids of two types DuckDB cannot compare (an INTEGER
    `id`, a VARCHAR `lead_id` holding `L1`): the join casts one to the other and fails on the
    first value that does not fit, which DuckDB says as a conversion error of INPUT. Said as
    the two columns and their types; None when their types are the same (another cast failed)."""
    import duckdb

    m = mapping_of(source)
    con = duckdb.connect()
    try:
        if source.kind == "database":
            con.execute("ATTACH IF NOT EXISTS ? AS lp_db (READ_ONLY)", [source.path])
            con.execute("USE lp_db")
        found = []
        for table, column in zip(RelationalRescorer.tables(source, m), (m.id, m.lead_id)):
            types = {str(name).lower(): str(kind) for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()}
            found.append(types.get(column.lower()))
    except duckdb.Error:
        return None
    finally:
        con.close()
    if None in found or found[0] == found[1]:
        return None
    if source.kind == "database":
        names = (f"{source.leads_table or m.leads_table} in {source.path}", f"{source.activities_table or m.activities_table}")
    else:
        names = (source.path, source.activities or "")
    return id_types_text(source, names, (str(found[0]), str(found[1])), "DuckDB")


def id_types_text(source: BatchInput, tables: tuple[str, str], types: tuple[str, str], engine: str) -> str:
    """The leads' ids and the activities' lead ids in two types `engine` could not compare: said
    with the two columns (in the mapping's names), their tables and types, and the fix."""
    m = mapping_of(source)
    return (f"`{m.id}` of the leads table {tables[0]} ({types[0]}) and `{m.lead_id}` of the activities table {tables[1]} "
            f"({types[1]}) hold the ids in two types, and {engine} could not compare them (it casts one to the other, and "
            "a value did not fit): give both columns the same type (text, say, when exporting the tables)")


def case_twins(tree: Any, source: BatchInput, reader: str = "DuckDB") -> Optional[str]:
    """A column the query reads (`email`) that a table file has twice, spelt in two cases (`Email`
    and `email`, which Parquet and CSV allow): DuckDB compares names without case, takes the first
    and renames the other (`email_1`), so the field would be read from whichever comes first,
    without a word. Said, naming both; None when no such column. Spark (`reader`) compares names
    without case too, and its reader renamed both (`Email0`, `email1`): `email` was said missing."""
    from leadpolicy.backends.sql.inputs import needed_columns

    if source.kind != "relational":
        return None
    for path, needed, what in zip((source.path, source.activities or ""), needed_columns(tree, source.mapping),
                                  ("leads", "activities")):
        names = _column_names(path)
        for column in needed:
            same = [name for name in names if name.lower() == column.lower()]
            if len(same) > 1:
                shown = " and ".join(f"`{name}`" for name in same)
                return (f"the {what} table {path} has columns {shown}, which {reader} does not tell apart (it compares "
                        f"names without case): it would read `{column}` from the first of them; rename one of them")
    return None


def _column_names(path: str) -> list[str]:
    """A table file's column names as written (Parquet's schema, a CSV's header line); [] when
    they cannot be read here (the run says what is wrong)."""
    from leadpolicy.tools.file_kinds import is_parquet

    try:
        if is_parquet(path):
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            return list(pq.read_schema(path).names)
        import csv

        from leadpolicy.tools.csv_header import header_lines

        with open(path, encoding="utf-8-sig", newline="") as handle:
            delimiter, lines = header_lines(handle.readline(), handle)  # an Excel `sep=;` line: the header is the next
        return [name.strip() for name in next(csv.reader(lines[-1:], delimiter=delimiter), [])]
    except Exception:  # noqa: BLE001 - any file this cannot read is DuckDB's to refuse, in its words
        return []


def _unsplit_table(source: BatchInput) -> Optional[str]:
    """A CSV table whose header DuckDB did not read: as one column named by its whole header line
    (`id,email,...`), or as columns without names (`column00`, ...: it took the header for a row,
    and may skip lines before the widest rows). Its sniffer does that when a row has more or fewer
    cells than the header. Said as that, not as every column missing."""
    import duckdb

    from leadpolicy.tools.file_kinds import is_parquet

    if source.kind != "relational":
        return None
    con = duckdb.connect()
    try:
        for path, table in zip((source.path, source.activities or ""), RelationalRescorer.tables(source, mapping_of(source))):
            if is_parquet(path):
                continue
            try:
                columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()]
            except duckdb.Error:
                continue
            if len(columns) == 1 and any(mark in columns[0] for mark in ",;\t|"):
                header = columns[0] if len(columns[0]) <= 60 else columns[0][:57] + "..."
                found = f"found no delimiter in it and read its header as one column `{header}`"
            elif columns and all(re.fullmatch(r"column[0-9]+", name) for name in columns):
                found = f"did not take its first line for a header (it read {len(columns)} columns without names)"
            else:
                continue
            try:
                csv_table(path, "duckdb")
            except InputProblem as problem:
                return str(problem)  # the row and its line, as the spark engine says them
            return (f"{path}: DuckDB's CSV reader {found}: a row with more or fewer cells than the header "
                    f"does that; {RAGGED_FIX}")
    finally:
        con.close()
    return None


def _missing_columns(tree: Any, source: BatchInput) -> list[tuple[bool, str]]:
    """Every column the query of `tree` (a checked policy, or diff's union of two) reads that
    the tables lack: (of the leads table?, column) each; a table that cannot be read here adds
    none (the engine's first column is said)."""
    import duckdb

    m = mapping_of(source)
    have: list[Optional[set[str]]] = [None, None]
    con = duckdb.connect()
    try:
        if source.kind == "database":
            con.execute("ATTACH IF NOT EXISTS ? AS lp_db (READ_ONLY)", [source.path])
            con.execute("USE lp_db")
        names = (source.leads_table or m.leads_table, source.activities_table or m.activities_table)
        for index, (table, name) in enumerate(zip(RelationalRescorer.tables(source, m), names)):
            try:
                have[index] = {row[0].lower() for row in con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()}
            except duckdb.CatalogException:
                if source.kind == "database":  # a table the database lacks comes first
                    raise InputProblem(_no_such_table(source, name)) from None
            except duckdb.Error:
                pass
    except duckdb.Error:
        pass
    finally:
        con.close()
    return absent_columns(tree, source.mapping, (have[0], have[1]))


def header_name(name: str) -> str:
    """A CSV table's column name as DuckDB's reader names it: the spaces at its ends trimmed (every
    Unicode space separator: ' ', a no-break space, an em space, quoted or not), where a tab, a line
    feed or a zero-width space is kept. ` email ` is the column `email`."""
    import unicodedata

    start, end = 0, len(name)
    while start < end and unicodedata.category(name[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(name[end - 1]) == "Zs":
        end -= 1
    return name[start:end]


@dataclass(frozen=True)
class CsvTableDialect:
    """How a CSV table is written, as csv_table read it: its delimiter (the one its header line uses
    most, as the python engine's reader takes it, or the one an Excel first line `sep=;` names), the
    lines before its header (`skip`: 1 after such a line, 0 else) and the header's names as written
    (`header`), whether a quoted cell holds a line break (a row that spans lines: Spark's reader must
    then read the file whole), and the line break every line ends in (None: lines end in more than
    one kind). DuckDB's reader is given the delimiter and `skip` (engines.csv_table_options), Spark's
    all of it (spark_files.table)."""

    delimiter: str = ","
    multiline: bool = False
    line_break: Optional[str] = None
    skip: int = 0
    header: tuple[str, ...] = ()


def csv_table(path: str, engine: str) -> CsvTableDialect:
    """The CSV table `path`'s dialect; an InputProblem where `engine` refuses it as DuckDB's reader
    does: a line that is not UTF-8 (DuckDB reads no such file), a row with more or fewer cells than
    the header (DuckDB's reader refuses the table; it allows one empty cell more, a trailing
    delimiter), a quote that opens a cell and never closes, or a quoted cell with text after its
    closing quote (`"pat"@x.com`; given the quote, DuckDB's reader refuses both; its sniffer, left to
    itself, read such a table without quoting, every quoted cell keeping its quotes). Spark's reader
    reads the first two, with replacement characters, extra cells dropped and missing ones empty:
    the leads would be decided on values the file does not hold; it read the third as a row too
    narrow, and the fourth. Lines numbered as an editor shows them (an Excel `sep=;` line is line 1).
    Blank lines are skipped, as both readers skip them."""
    import csv
    from itertools import chain

    from leadpolicy.tools.csv_header import END_MARKS, END_OF_FILE, allow_long_cells, header_lines, quote_problem

    allow_long_cells()
    with open(path, encoding="utf-8-sig", newline="") as text:
        header: Optional[list[str]] = None
        end = 0
        row_lines: list[str] = []  # the lines of the row being read
        try:
            delimiter, first = header_lines(text.readline(), text)
            skip = len(first) - 1
            breaks: set[str] = set()
            lines = chain(_noting_line_breaks(chain(first, text), breaks, row_lines), [END_OF_FILE])
            reader = csv.reader(lines, delimiter=delimiter, strict=True)  # strict: raises where a quote is wrong
            for _ in range(skip):
                next(reader)  # Excel's `sep=;` line
                end = reader.line_num
                row_lines.clear()
            header = next(reader)
            row_lines.clear()
            if header and header[-1].endswith(END_MARKS):
                header = []  # an empty file, or a `sep=` line alone
            width = len(header)
            end = reader.line_num
            multiline = end > skip + 1
            for row in reader:
                row_lines.clear()
                start, end = end + 1, reader.line_num
                if row and row[-1].endswith(END_MARKS):  # END_OF_FILE's row: the last
                    break
                multiline = multiline or end > start
                if row and len(row) != width and not (len(row) == width + 1 and row[-1] == ""):
                    cells = f"{len(row)} cell" + ("s" if len(row) != 1 else "")
                    raise InputProblem(f"{path}: {engine} cannot read it: line {start} has {cells} but the header has "
                                       f"{width} columns: {RAGGED_FIX}")
        except UnicodeDecodeError:
            raise InputProblem(f"{path}: {engine} cannot read it: "
                               + not_utf8_table(_first_line_not_utf8(path), f"the {engine} engine")) from None
        except csv.Error:  # a quote that never closes, or text after a closing quote: said as the python engine says it
            problem = quote_problem(reader.line_num, row_lines, end + 1, delimiter, header)
            raise InputProblem(f"{path}: {engine} cannot read it: {problem}") from None
    return CsvTableDialect(delimiter, multiline, breaks.pop() if len(breaks) == 1 else None, skip, tuple(header))


def _noting_line_breaks(lines: Iterator[str], breaks: set[str], read: list[str]) -> Iterator[str]:
    """`lines` (read with newline=""), each one's line break added to `breaks`, and each line to `read`."""
    for line in lines:
        if line.endswith("\r\n"):
            breaks.add("\r\n")
        elif line.endswith(("\n", "\r")):
            breaks.add(line[-1])
        read.append(line)
        yield line


def _first_line_not_utf8(path: str) -> int:
    """The number of the file's first line that is not UTF-8 (lines end at \\n, \\r\\n or \\r, as
    csv_table's reader counts them; neither byte occurs inside a UTF-8 character)."""
    number = 0
    with open(path, "rb") as handle:
        for raw in handle:
            body = raw[:-2] if raw.endswith(b"\r\n") else raw.rstrip(b"\n")
            for piece in body.split(b"\r"):
                number += 1
                try:
                    piece.decode("utf-8")
                except UnicodeDecodeError:
                    return number
    return number
