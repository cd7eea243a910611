"""Running the query: DuckDB (embedded) and Spark (local or a cluster).

The helpers take the user's own connection or session, so a data team runs a
policy inside its pipeline (`leadpolicy.sql.score_duckdb`, `score_spark`);
`leadpolicy score --engine duckdb|spark` uses the same functions.

Why it is one long module: the two engines' entry points and the score command share the
compiled-query cache (`_compiled`, `_sql`) and DuckDB's ways of reading a file (lines,
CSV options, the UTF-8 and line-ending checks), which the batch runner (batch.py) and
`diff --engine duckdb` import from here; Spark's file reading is in spark_files.py.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any, Iterator, Optional, Union

from leadpolicy.backends.sql import extras

__all__ = ["duckdb_query", "score_duckdb", "score_spark", "spark_query", "JSON_SUFFIXES", "as_of_text", "empty_tables_as_headers"]

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def as_of_text(as_of: Any) -> str:
    """The `as_of` parameter as section 8 text: None is now (UTC); a datetime or date its ISO form.
    Raises LeadDataError, as `evaluate` does, for one that cannot be read (the query would make
    every lead an error row: "as_of is not an ISO 8601 date or timestamp")."""
    import datetime

    from leadpolicy.semantics.runtime import datetime_from_micros, read_as_of

    if as_of is None or isinstance(as_of, (datetime.date, datetime.datetime)):
        return datetime_from_micros(read_as_of(as_of)).isoformat()
    read_as_of(as_of)
    return str(as_of)


@functools.lru_cache(maxsize=64)
def _compiled(tree: Any, shape_key: str, dialect: str, with_row: bool) -> str:
    from leadpolicy.backends.sql import compile_sql

    return compile_sql(tree, dialect, _SHAPES[shape_key], pretty=False, with_row=with_row)


_SHAPES: dict[str, Any] = {}


def _sql(tree: Any, shape: Any, dialect: str, with_row: bool = False) -> str:
    key = repr(shape)
    _SHAPES[key] = shape
    return _compiled(tree, key, dialect, with_row)


def _tree(policy: Any) -> Any:
    return getattr(policy, "tree", policy)


# ---------------------------------------------------------------- DuckDB


def duckdb_source(con: Any, value: Any, view: str) -> Any:
    """A table expression for a leads or activities input: a file path (by suffix),
    a table or view name, or a DuckDB relation or data DuckDB reads from Python (a pandas
    DataFrame, an Arrow table), registered on `con` as a temporary view of a name of its own:
    a view in the user's database would be written there, fail on a read-only connection, and
    be replaced by the next call, under relations returned before."""
    import uuid

    from leadpolicy.backends.sql.fragments import exp, file_path, lit

    duckdb = extras.duckdb()
    what = view.rsplit("_", 1)[-1]  # leads, activities
    if not isinstance(value, (str, Path)):
        name = f"{view}_{uuid.uuid4().hex}"
        try:
            con.register(name, value)
        except duckdb.InvalidInputException as error:
            if isinstance(value, duckdb.DuckDBPyRelation) and ("another database" in str(error)
                                                               or "replacement scan" in str(error)):
                raise ValueError(f"the {what} relation was made on another DuckDB connection than the one given: make "
                                 "it on that connection (con.sql(...), con.read_parquet(...))") from None
            if isinstance(value, duckdb.DuckDBPyRelation):
                raise
            raise TypeError(f"{what} is a table name, a Parquet or CSV path, a DuckDB relation or a DataFrame or Arrow "
                            f"table, not {type(value).__name__}") from None
        return exp.Table(this=exp.to_identifier(name, quoted=True))
    from leadpolicy.tools.file_kinds import is_parquet

    parquet = isinstance(value, (str, Path)) and is_parquet(str(value))
    if parquet or isinstance(value, Path) or (isinstance(value, str) and os.path.splitext(value)[1].lower() in
                                              (".parquet", ".csv", *JSON_SUFFIXES)):
        path = str(value)
        suffix = os.path.splitext(path)[1].lower()
        if parquet:  # by its name or its first bytes
            return exp.Anonymous(this="read_parquet", expressions=[lit(file_path(path))])
        if suffix in JSON_SUFFIXES:
            raise ValueError(f"{path}: JSON Lines are the nested shape (pass them as `leads` alone)")
        # CSV, by its name or (a Path: a file, `score`'s INPUT) whatever its name: every cell as its
        # text; a name DuckDB reads by itself (activities.tsv) sniffed the cells' types ("007" read 7)
        options = [exp.EQ(this=exp.column(key), expression=exp.true() if value is True else exp.Literal.string(value)
                          if isinstance(value, str) else exp.Literal.number(value))
                   for key, value in csv_table_options(path).items()]
        return exp.Anonymous(this="read_csv", expressions=[lit(file_path(path)), *options])
    from leadpolicy.backends.sql.inputs import _table

    return _table(str(value))


_LINES_OPTIONS = ("header = false, columns = {'lp_json': 'VARCHAR'}, delim = chr(1), quote = '', escape = '',"
                  " auto_detect = false")
# DuckDB's read_csv refuses a file holding a line longer than its max_line_size (2,000,000 bytes
# by default): a lead with a long activities array, or a long text, is longer
DUCKDB_MAX_LINE = 2_000_000


def lines_options(longest: int = 0) -> str:
    """_LINES_OPTIONS, with room for a line of `longest` bytes (its line break included)."""
    if longest < DUCKDB_MAX_LINE - 16:  # the default, and its buffers, for every usual file
        return _LINES_OPTIONS
    return f"{_LINES_OPTIONS}, max_line_size = {longest + 16}"


def longest_line(path: str) -> int:
    """The length in bytes of the file's longest line (read only when DuckDB refused a long one)."""
    with open(path, "rb") as handle:
        return max((len(line) for line in handle), default=0)


def csv_table_options(path: str) -> dict[str, Any]:
    """read_csv's options for a CSV table of the relational shape: every cell as its text; the
    dialect the python engine's reader and the Spark engine's read (table_problems.csv_table): the
    delimiter its header line uses most, or the one an Excel first line `sep=;` names (that line
    skipped, the header the next), quotes `"` doubled inside a quoted cell, the header on the
    first line read; and room for its longest line where that is longer than DuckDB's default
    (looked for only in a file larger than the default: no other file can hold such a line).

    Its sniffer, left to choose, read a table whose quote never closes without quoting (every
    quoted cell keeping its quotes: `"pat@x.com"`) and a table with a row wider than the header
    from the wider rows; given the dialect it refuses both, and table_problems says why. It still
    finds the line break."""
    try:
        stat = os.stat(path)
    except OSError:
        return {"all_varchar": True}
    return _csv_table_options(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _csv_table_options(path: str, size: int, mtime: int) -> dict[str, Any]:
    from leadpolicy.tools.csv_header import header_lines

    options: dict[str, Any] = {"all_varchar": True}
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            delimiter, lines = header_lines(text.readline(), text)
    except (OSError, UnicodeDecodeError):  # DuckDB's reader says what is wrong (table_problems: which line)
        pass
    else:
        options.update(delim=delimiter, quote='"', escape='"', header=True, skip=len(lines) - 1)
    if size >= DUCKDB_MAX_LINE - 16:
        longest = longest_line(path)
        if longest >= DUCKDB_MAX_LINE - 16:
            options["max_line_size"] = longest + 16
    return options


def csv_table_sql(path: str) -> str:
    """The CSV table `path` as DuckDB reads it (text cells), in SQL text."""
    from leadpolicy.backends.sql.fragments import file_path

    options = "".join(f", {key} = " + ("'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value).lower())
                      for key, value in csv_table_options(path).items())
    return "read_csv('" + file_path(path).replace("'", "''") + "'" + options + ")"


# blank lines skipped; DuckDB's TRIM with a set is slow (about 2 us a line), so a line
# that starts with a printable ASCII character (every JSON object) skips it
_NOT_BLANK = ("lp_json IS NOT NULL AND CASE WHEN ASCII(lp_json) BETWEEN 33 AND 126 THEN TRUE"
              " ELSE trim(lp_json, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) <> '' END")


# DuckDB scans a table on one thread per row group (122,880 rows)
ROW_GROUP_ROWS = 122_880
# the lines written to Parquet (materialise_lines with spill_dir): snappy is a few times smaller
# than the text and cheap to read; small row groups, each a thread's share of a scan. 4,096 lines
# (about 8 MB of Acme-like JSON) rather than 16,384: the million benchmark leads are written with
# about a fifth less processor time (5.4-6.3 s against 6.8-7.3 s) and half the page faults, and a
# slice reads its lines back with a quarter less (0.16-0.19 s against 0.23-0.26 s per 200,000);
# 1,024-2,048 and 8,192 were no better (docs/performance.md, session 17)
LINES_CODEC = "snappy"
LINES_ROW_GROUP = 4_096


def materialise_lines(con: Any, path: str, table: str, spill_dir: Optional[str] = None) -> tuple[tuple[str, int, str], ...]:
    """Read a JSON Lines file once, one row per line, blank lines included (as NULL or blanks);
    returns its parts, (table, first line, row-number column) each, for
    nested_source(lines_tables=...).

    read_csv splits the file among all cores and keeps its order, so a row's number in its
    part + the part's first line - 1 is its line number. By default the lines go into `table`
    (a new table of the caller's connection; the row number is its rowid). The query above
    then scans the table on one thread per row group: a file of fewer row groups than threads
    is read through one view per thread (`table`_0, ..., each a range of rows), which the query
    reads as a UNION ALL, a thread each. With `spill_dir`, the lines go to a compressed Parquet file there instead
    (a view `table`; the row number is the file's own `file_row_number`): a file larger than
    memory is then read from disk (a few times smaller than the lines, and out of the process's
    memory) rather than held, or evicted and read back, as a table of about 1.25 times its size.
    Reading the file once (not once for the leads and once more for the activities, as the
    streaming source does) saves a parse of every line."""
    try:
        return _read_lines(con, path, path, table, spill_dir)
    except Exception as error:
        if not is_not_utf8(error):
            raise
    # the copy beside the spilled lines, or in the connection's own temporary directory (our
    # connections set one), else the system's
    temp = str(con.execute("SELECT current_setting('temp_directory')").fetchone()[0] or "")
    copy = _utf8_copy(path, spill_dir or (temp if os.path.isabs(temp) else None))
    try:
        return _read_lines(con, copy, path, table, spill_dir)
    finally:
        os.unlink(copy)


def _read_lines(con: Any, path: str, shown: str, table: str, spill_dir: Optional[str]) -> tuple[tuple[str, int, str], ...]:
    """materialise_lines of `path`, whose line endings DuckDB's reader can split as Python does
    (else an InputProblem naming the file `shown`)."""
    problem = _line_ending_problem(path, whole=False)  # a file of \r line breaks reads without an error
    if problem is None:
        try:
            try:
                return _materialise_lines(con, path, table, spill_dir)
            except Exception as error:
                if "Maximum line size of" not in str(error):
                    raise
            # a line longer than DuckDB's default: read again with room for the longest (the Python
            # engine reads any length)
            return _materialise_lines(con, path, table, spill_dir, lines_options(longest_line(path)))
        except Exception as error:
            if "state machine reached an invalid state" not in str(error):
                raise
            problem = _line_ending_problem(path, whole=True)
            if problem is None:
                raise
    from leadpolicy.backends.sql.batch import InputProblem

    raise InputProblem(f"{shown}: {problem}: the duckdb engine reads lines that all end in \\n or all in \\r\\n"
                       " (a JSON line needs no other \\r). Use --engine python, which reads every line as it"
                       " is, or make the line endings one kind (e.g. sed 's/\\r$//' FILE)")


def is_not_utf8(error: BaseException) -> bool:
    """DuckDB's line reader refused a line that is not UTF-8 (it refuses the whole file)."""
    return "not utf-8 encoded" in str(error) and "CSV Error on Line" in str(error)


# what stands for a line that is not UTF-8 in the copy DuckDB reads: not JSON, not blank,
# ASCII; the query makes it an error row, which the caller's Python engine scores again
# from the original file (its message names the byte)
NOT_UTF8_LINE = b"~ line not UTF-8 ~"


def _utf8_copy(path: str, where: Optional[str]) -> str:
    """A copy of the file (in the directory `where`, or the system's temporary one) in which
    each line that is not UTF-8 is NOT_UTF8_LINE, line for line: DuckDB's line reader refuses a
    whole file for one such line, and reads the copy, deciding every other lead; that line
    becomes an error row in its place, as the Python engine writes it. The caller removes it."""
    import tempfile

    if where:
        os.makedirs(where, exist_ok=True)
    handle, copy = tempfile.mkstemp(prefix="lp_utf8_", suffix=".jsonl", dir=where)
    with open(path, "rb") as source, os.fdopen(handle, "wb") as target:
        for line in source:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                ending = len(line) - len(line.rstrip(b"\r\n")) if line.endswith(b"\n") else 0
                line = NOT_UTF8_LINE + line[len(line) - ending:]
            target.write(line)
    return copy


def _line_ending_problem(path: str, whole: bool) -> Optional[str]:
    """What in the file's line endings DuckDB's line reader does not read as Python does, or None.
    Python's lines end at \n only (a \r before it is JSON whitespace); DuckDB's CSV reader takes
    the first line break it sees for every line's (a lone \r one included: it then splits lines at
    each \r, silently) and refuses a file that mixes kinds. `whole`: look at every line (only
    after DuckDB refused the file), else at the first line break only (every run: one read)."""
    ended = {b"\n": False, b"\r\n": False}
    with open(path, "rb") as handle:
        if not whole:
            head = handle.read(1 << 16)
            breaks = [at for at in (head.find(b"\r"), head.find(b"\n")) if at >= 0]
            first = min(breaks) if breaks else -1
            if first >= 0 and head[first:first + 1] == b"\r" and head[first + 1:first + 2] not in (b"\n", b""):
                return "line 1 holds a carriage return (\\r) that does not end it"
            return None
        for number, text in enumerate(handle, 1):
            body = text[:-2] if text.endswith(b"\r\n") else text.rstrip(b"\n")
            if b"\r" in body:
                return f"line {number} holds a carriage return (\\r) that does not end it"
            if text.endswith(b"\n"):
                ended[b"\r\n" if text.endswith(b"\r\n") else b"\n"] = True
                if all(ended.values()):
                    return f"lines end in both \\n and \\r\\n (line {number} is the first that differs)"
    return None


def _materialise_lines(con: Any, path: str, table: str, spill_dir: Optional[str],
                       options: str = _LINES_OPTIONS) -> tuple[tuple[str, int, str], ...]:
    from leadpolicy.backends.sql.fragments import file_path

    path = file_path(path)  # read_csv takes a pattern
    if spill_dir is not None:
        target = os.path.join(spill_dir, table + ".parquet").replace("'", "''")
        con.execute(f"COPY (SELECT lp_json FROM read_csv(?, {options})) TO '{target}'"
                    f" (FORMAT parquet, COMPRESSION {LINES_CODEC}, ROW_GROUP_SIZE {LINES_ROW_GROUP}, DICTIONARY_SIZE_LIMIT 1)",
                    [path])
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT file_row_number AS lp_n, lp_json"
                    f" FROM read_parquet('{target}', file_row_number = true)")
        return ((table, 1, "lp_n"),)
    con.execute(f"CREATE TABLE {table} AS SELECT lp_json FROM read_csv(?, {options})", [path])
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    lines = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    if threads <= 1 or lines == 0 or lines >= threads * ROW_GROUP_ROWS:
        return ((table, 1, "rowid"),)
    # a view per thread over its range of rows: each is a scan of its own (copying the ranges
    # into tables of their own cost more than half the reading, for the same query time)
    step = -(-lines // threads)
    parts = []
    for index, first in enumerate(range(0, lines, step)):
        part = f"{table}_{index}"
        con.execute(f"CREATE TEMP VIEW {part} AS SELECT rowid - {first} AS lp_n, lp_json FROM {table}"
                    f" WHERE rowid BETWEEN {first} AND {first + step - 1}")
        parts.append((part, first + 1, "lp_n"))
    return tuple(parts)


def nested_source(path_or_table: Any, sliced: bool = False, lines_tables: Optional[tuple[tuple[str, int, str], ...]] = None) -> Any:
    """The nested shape's source for DuckDB: each line of a JSON Lines file with its
    line number (blank lines skipped, as the Python engine skips them; a line that
    is not JSON stays, to become an error row). `sliced`: only the lines
    $lp_first to $lp_last (batch.py runs a large file in slices, within memory).
    `lines_tables`: the file's lines already read by materialise_lines (its parts)."""
    from leadpolicy.backends.sql.fragments import file_path, lit, sqlglot

    if lines_tables is not None:
        text = " UNION ALL ".join(
            f"SELECT {row} + {int(first)} AS lp_row, lp_json FROM {name} WHERE {_NOT_BLANK}"
            + (f" AND {row} BETWEEN $lp_first - {int(first)} AND $lp_last - {int(first)}" if sliced else "")
            for name, first, row in lines_tables)
        return sqlglot.parse_one(f"({text}) AS lp_src", read="duckdb")
    if isinstance(path_or_table, (str, Path)) and str(path_or_table).lower().endswith(JSON_SUFFIXES):
        problem = _line_ending_problem(str(path_or_table), whole=False) if os.path.isfile(path_or_table) else None
        if problem is not None:  # DuckDB would split its lines at each \r (materialise_lines)
            raise ValueError(f"{path_or_table}: {problem}: DuckDB reads lines that all end in \\n or all in \\r\\n")
        text = (f"(SELECT lp_row, lp_json FROM read_csv(lp_path, {_LINES_OPTIONS}) WITH ORDINALITY AS lp_lines(lp_json, lp_row)"
                f" WHERE {_NOT_BLANK}"
                + (" AND lp_row BETWEEN $lp_first AND $lp_last" if sliced else "") + ")"
                " AS lp_src")
        tree = sqlglot.parse_one(text, read="duckdb")
        path = file_path(str(path_or_table))
        return tree.transform(lambda n: lit(path) if isinstance(n, sqlglot.exp.Column) and n.name == "lp_path" else n)
    raise ValueError("the nested shape reads a JSON Lines file")


def duckdb_query(policy: Any, *, leads: Any = None, activities: Any = None, mapping: Any = None, con: Any = None,
                 with_row: bool = False, check_columns: bool = False,
                 sliced: bool = False, lines_tables: Optional[tuple[tuple[str, int, str], ...]] = None) -> str:
    """The DuckDB query text for these inputs (the one parameter is `$as_of`; a `sliced`
    JSON Lines query also has `$lp_first` and `$lp_last`, its first and last line).
    `lines_tables`: JSON Lines already read into tables (materialise_lines). `check_columns`:
    a ValueError naming every column the tables lack, with the mapping that fixes them."""
    from leadpolicy.backends.sql.inputs import NestedJson, Relational

    tree = _tree(policy)
    # JSON Lines by its name, or whatever its name once its lines are read (score's INPUT: leads.txt)
    if activities is None and leads is not None and (lines_tables is not None or str(leads).lower().endswith(JSON_SUFFIXES)):
        return _sql(tree, _Nested(str(leads), sliced, lines_tables), "duckdb", with_row)
    leads_source = duckdb_source(con, leads, "lp_input_leads") if leads is not None else None
    acts_source = duckdb_source(con, activities, "lp_input_activities") if activities is not None else None
    types = column_types(con, mapping, leads_source, acts_source) if con is not None else None
    if check_columns and types is not None:
        _refuse_missing_columns(tree, mapping, types, leads, activities)
    shape = Relational(mapping, leads_source, acts_source, types)
    del NestedJson
    return _sql(tree, _Keyed(shape), "duckdb", with_row)


def column_types(con: Any, mapping: Any, leads: Any, activities: Any) -> Optional[tuple[dict[str, str], dict[str, str]]]:
    """DuckDB's type of each column of the leads and the activities tables (lower-case names),
    for inputs.Relational's typed cells; None where either cannot be described (the query
    then reads every cell as its text, and its run says what is wrong)."""
    from leadpolicy.backends.sql.inputs import Mapping, _table

    m = mapping or Mapping()
    tables = []
    for source in (leads or _table(m.leads_table), activities or _table(m.activities_table)):
        try:
            rows = con.execute(f"DESCRIBE SELECT * FROM {source.sql(dialect='duckdb')}").fetchall()
        except Exception:  # noqa: BLE001 - a missing table is reported by the query itself
            return None
        tables.append({str(name).lower(): str(sql_type) for name, sql_type, *_ in rows})
    return tables[0], tables[1]


def _refuse_missing_columns(tree: Any, mapping: Any, types: tuple[dict[str, str], dict[str, str]], leads: Any,
                            activities: Any) -> None:
    """score_duckdb's and score_spark's inputs without a column the query reads: every one at
    once, in the caller's names, and the mapping= that fixes them, as `score` says it. DuckDB would name only the first,
    in a table of the query's own (`Table "lp_l" does not have a column named "budget"`)."""
    from dataclasses import asdict

    from leadpolicy.backends.sql.inputs import Mapping, absent_columns, missing_columns

    names = asdict(mapping) if mapping is not None and mapping != Mapping() else None  # None: no mapping= given
    missing = absent_columns(tree, names, (set(types[0]), set(types[1])))
    if missing:
        tables = tuple(f"the {what} table {value}" if isinstance(value, (str, Path)) else
                       f"the {what} {'relation' if type(value).__name__ == 'DuckDBPyRelation' else type(value).__name__}"
                       for what, value in (("leads", leads), ("activities", activities)))
        raise ValueError(missing_columns((tables[0], tables[1]), missing, names, python=True))


class _Keyed:
    """A shape with a stable repr (the compiled-query cache key)."""

    def __init__(self, shape: Any) -> None:
        self.shape = shape

    def ctes(self, policy: Any) -> list[Any]:
        return list(self.shape.ctes(policy))

    def typed_columns(self, policy: Any) -> Any:
        return self.shape.typed_columns(policy)

    def __repr__(self) -> str:
        s = self.shape
        return f"Relational({s.mapping!r}, {s.leads_source!r}, {s.activities_source!r}, {s.column_types!r})"


class _Nested:
    def __init__(self, path: str, sliced: bool = False, lines_tables: Optional[tuple[tuple[str, int, str], ...]] = None) -> None:
        self.path = path
        self.sliced = sliced
        self.lines_tables = lines_tables

    def ctes(self, policy: Any) -> list[Any]:
        from leadpolicy.backends.sql.inputs import NestedJson

        return NestedJson(nested_source(self.path, self.sliced, self.lines_tables)).ctes(policy)

    def __repr__(self) -> str:
        return f"Nested({self.path!r}, {self.sliced}, {self.lines_tables!r})"


def score_duckdb(policy: Any, con: Any = None, *, leads: Any = "leads", activities: Any = None, as_of: Any = None,
                 mapping: Any = None) -> Any:
    """Decide every lead with DuckDB; returns a DuckDB relation (id, stage, ..., hits, error).

    `leads`: a JSON Lines path (the nested shape, `activities` not given), or the
    relational shape's leads as a table name, a Parquet or CSV path, a DuckDB
    relation, or a pandas DataFrame or Arrow table, with `activities` likewise. `mapping` renames tables and columns
    (inputs.Mapping or a dict). `as_of`: ISO text, a datetime, or None for now.
    """
    duckdb = extras.duckdb()
    from leadpolicy.backends.sql.inputs import Mapping

    mapping = Mapping.of(mapping)
    if leads is None:
        raise TypeError("leads is a table name, a Parquet, CSV or JSON Lines path, a DuckDB relation or a DataFrame or "
                        "Arrow table, not None")
    con = con if con is not None else duckdb.connect()
    leads, activities = _read_again(leads), _read_again(activities)  # first: a reader may hold `con` busy
    _exact_text_comparisons(con)
    if activities is None and not str(leads).lower().endswith(JSON_SUFFIXES):
        activities = (mapping or Mapping()).activities_table
    query = duckdb_query(policy, leads=leads, activities=activities, mapping=mapping, con=con, check_columns=True)
    return con.sql(query, params={"as_of": as_of_text(as_of)})


def _read_again(value: Any) -> Any:
    """An Arrow RecordBatchReader as the Arrow table it holds. A reader can be scanned once, and the
    query reads the leads and the activities more than once (and again at each run of the relation):
    DuckDB failed with "This RecordBatchReader has already been consumed". DuckDB 2's `relation.arrow()`
    returns one, holding its connection busy until read ("connection has an open result")."""
    if type(value).__name__ == "RecordBatchReader" and type(value).__module__.split(".")[0] == "pyarrow":
        return value.read_all()
    return value


def _exact_text_comparisons(con: Any) -> None:
    """Refuse a connection whose default collation changes how text compares (NOCASE,
    NOACCENT, NFC...): the query's `=`, `IN` and joins would follow it whenever the
    relation runs, where the Python engine compares code points (ids join exactly;
    an activity of type `pagé_view` is not a `page_view`). Setting it aside while the
    relation is made does not help: DuckDB binds the relation again at each run."""
    found = con.execute("SELECT current_setting('default_collation')").fetchall()  # all: no result left open
    if found and found[0][0]:
        raise ValueError(f"this DuckDB connection's default_collation is {found[0][0]!r}: the query would match ids, "
                         "activity types and text under it, and decide otherwise than the Python engine (an activity of type "
                         "`pagé_view` would count as a `page_view`); score on a connection without one "
                         "(SET default_collation = '')")


# ---------------------------------------------------------------- Spark


def spark_query(policy: Any, mapping: Any = None) -> str:
    """The Spark SQL query over the temporary views `leads` and `activities` (or as mapped);
    its one parameter is `:as_of`."""
    from leadpolicy.backends.sql.inputs import Mapping, Relational

    mapping = Mapping.of(mapping)
    return _sql(_tree(policy), _Keyed(Relational(mapping)), "spark")


def score_spark(policy: Any, spark: Any, leads_df: Any, activities_df: Any, as_of: Any = None,
                mapping: Optional[Union[dict[str, Any], Any]] = None) -> Any:
    """Decide every lead with Spark; returns a DataFrame (id, stage, ..., hits, error).

    `leads_df` and `activities_df` are DataFrames in the relational shape (column
    names as `mapping` says, by default id, stage, one per field; lead_id, type,
    at, one per property). They are registered as temporary views for the query.
    """
    extras.pyspark()
    from dataclasses import replace

    from leadpolicy.backends.sql.inputs import Mapping
    from leadpolicy.backends.sql.spark_files import zoned_times

    names: Mapping = Mapping.of(mapping)
    columns = tuple({str(c).lower(): "" for c in frame.columns} for frame in (leads_df, activities_df))
    _refuse_missing_columns(_tree(policy), names, (columns[0], columns[1]), leads_df, activities_df)
    suffix = format(abs(hash((id(leads_df), id(activities_df)))), "x")
    leads_view, acts_view = f"lp_leads_{suffix}", f"lp_activities_{suffix}"
    # TIMESTAMP columns as their text with the offset, whatever the session's time zone
    leads_df, activities_df, names = zoned_times(getattr(policy, "tree", policy), names, leads_df, activities_df)
    leads_df.createOrReplaceTempView(leads_view)
    activities_df.createOrReplaceTempView(acts_view)
    mapped = replace(names, leads_table=leads_view, activities_table=acts_view)
    return spark.sql(spark_query(policy, mapped), args={"as_of": as_of_text(as_of)})


# ---------------------------------------------------------------- the score command


ENGINES = ("python", "duckdb", "spark")


def score_command(policy: Any, input_path: str, output: Optional[str], fmt: str, as_of: Any, *, engine: str,
                  activities: Optional[str] = None, mapping_path: Optional[str] = None, leads_table: Optional[str] = None,
                  activities_table: Optional[str] = None, memory_limit: Optional[str] = None,
                  spark_master: Optional[str] = None, notes: bool = True, progress: Any = None) -> Any:
    """`leadpolicy score --engine duckdb|spark`: rows to OUTPUT (atomically) or standard
    output; returns the summary (`notes`: with notes on the input, for people: a quiet run
    has no summary and skips the queries they take; `progress`: tools.progress.Progress, told
    of the rows as they are written). Raises batch.InputProblem for unusable input."""
    import json

    from leadpolicy.backends.sql.batch import BatchInput, InputProblem

    mapping = None
    if mapping_path:
        try:
            mapping = json.loads(Path(mapping_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise InputProblem(f"cannot read the mapping {mapping_path}: {error}") from None
        if not isinstance(mapping, dict):
            raise InputProblem(f"{mapping_path}: a mapping is a JSON object (keys: leads_table, id, fields, ...)")
        from leadpolicy.backends.sql.inputs import Mapping

        try:
            Mapping.from_dict(mapping)
        except ValueError as error:
            raise InputProblem(f"{mapping_path}: {error}") from None
    from leadpolicy.tools.file_kinds import is_stream

    for path in (input_path, activities):
        # DuckDB and Spark read a table more than once (the sniffer, then the rows): a pipe's leads
        # were lost, all of them without a word, or all but the last few
        if path == "-" or (path is not None and is_stream(path)):
            shown = "standard input" if path == "-" else f"{path}, a pipe or device, which can be read only once"
            raise InputProblem(f"--engine {engine} reads a file, not {shown}: save it to a file and name that, "
                               "or score it with --engine python")
    with empty_tables_as_headers(policy, input_path, activities, mapping) as (input_path, activities):
        source = BatchInput(input_path, activities, mapping, leads_table, activities_table)
        return _score_source(policy, source, output, fmt, as_of, engine, memory_limit, spark_master, notes, progress)


@contextlib.contextmanager
def empty_tables_as_headers(policy: Any, leads: str, activities: Optional[str],
                            mapping: Optional[dict[str, Any]]) -> Iterator[tuple[str, Optional[str]]]:
    """The relational shape's CSV tables (`score`, `diff`), with one that holds no rows as a copy
    holding its header alone: a table with no rows, as an empty leads file is a run over no leads
    (docs/cli-guide.md). An empty file (a day's export of nothing, or a UTF-8 byte order mark alone,
    as the python engine reads a CSV): DuckDB found no columns in it, and every column was said
    missing (for a byte order mark, DuckDB said it took no header, and Spark every column missing).
    A file with no header, an Excel `sep=;` line or blank lines alone (csv_header.rows_absent), is
    no rows as CSV leads are (decision 79): DuckDB said it "did not take its first line for a
    header". A blank line where the header belongs, with lines after it, is an InputProblem
    (csv_header.blank_header): DuckDB's reader took the header for a row, and decided it as a lead."""
    from leadpolicy.backends.sql.batch import InputProblem
    from leadpolicy.tools.csv_header import CsvHeaderError, rows_absent
    from leadpolicy.tools.file_kinds import is_parquet

    def empty(path: Optional[str]) -> bool:
        if not path or not os.path.isfile(str(path)) or is_parquet(str(path)):
            return False
        try:
            return rows_absent(str(path)) is not None
        except CsvHeaderError as error:
            raise InputProblem(f"{path}: {error}") from None

    if activities is None or not (empty(leads) | empty(activities)):  # (both: each refuses a blank line first)
        yield leads, activities
        return
    import csv
    import tempfile

    from leadpolicy.backends.sql.inputs import needed_columns

    with tempfile.TemporaryDirectory(prefix="lp_empty_") as folder:
        paths: list[str] = []
        for path, columns, name in zip((leads, activities), needed_columns(_tree(policy), mapping), ("leads", "activities")):
            if empty(path):
                path = os.path.join(folder, name + ".csv")
                with open(path, "w", newline="", encoding="utf-8") as handle:
                    csv.writer(handle).writerow(columns)
            paths.append(str(path))
        yield paths[0], paths[1]


def _score_source(policy: Any, source: Any, output: Optional[str], fmt: str, as_of: Any, engine: str,
                  memory_limit: Optional[str], spark_master: Optional[str], notes: bool, progress: Any = None) -> Any:
    import sys

    from leadpolicy.backends.sql.batch import InputProblem, output_format_for, score_file
    from leadpolicy.tools.atomic import atomic_writer, special_file
    from leadpolicy.tools.score_output import shown_on_terminal

    output_format = output_format_for(output, fmt)
    to_file = bool(output) and output != "-"
    if output_format == "parquet":
        if not to_file:
            raise InputProblem("Parquet output goes to a file: -o OUT.parquet")
        return score_file(policy, source, None, engine=engine, as_of=as_of, output_format="parquet", output_path=output,
                          memory_limit=memory_limit, spark_master=spark_master, notes=notes, progress=progress)
    if output and to_file and special_file(output):  # /dev/stdout, a named pipe: written straight to, as by the python engine
        with open(output, "wb") as stream, shown_on_terminal(stream, output_format) as sink:
            return score_file(policy, source, sink, engine=engine, as_of=as_of, output_format=output_format,
                              memory_limit=memory_limit, spark_master=spark_master, notes=notes, progress=progress)
    if output and to_file:
        with atomic_writer(output) as sink:
            return score_file(policy, source, sink, engine=engine, as_of=as_of, output_format=output_format,
                              memory_limit=memory_limit, spark_master=spark_master, notes=notes, progress=progress)
    sys.stdout.flush()
    with shown_on_terminal(sys.stdout.buffer, output_format) as sink:  # CSV on a terminal: cells shown as text
        summary = score_file(policy, source, sink, engine=engine, as_of=as_of, output_format=output_format,
                             memory_limit=memory_limit, spark_master=spark_master, notes=notes, progress=progress)
    sys.stdout.buffer.flush()
    return summary
