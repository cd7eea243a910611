"""Spark reading files: the nested shape (JSON Lines) as Spark 4 VARIANT values, and
the file inputs of `leadpolicy score --engine spark` (batch.py).

The nested shape gives the two raw relations query.py expects (inputs.py says
which columns), from a relation of one JSON lead per row as text (lp_row,
lp_json), as `spark.read.text` gives the lines.

Why it is one long module: it is everything Spark-specific about reading and writing
files (the session, JSON Lines, CSV, Parquet's nanosecond columns, the positions, the
Arrow writer), kept apart from the engines' entry points in engines.py, which import it
only when a Spark run needs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import TYPE_CHECKING, Any, Iterator, Optional

from leadpolicy.backends.sql import extras
from leadpolicy.backends.sql.fragments import exp, frag, lit, sqlglot
from leadpolicy.backends.sql.query import Layout
from leadpolicy.syntax import nodes

if TYPE_CHECKING:
    from leadpolicy.backends.sql.batch import BatchInput
    from leadpolicy.backends.sql.table_problems import CsvTableDialect
    from leadpolicy.tools.progress import Progress

__all__ = ["NestedSpark", "session", "json_lines", "csv_leads", "table", "nested_query"]


def _variant_kind(x: exp.Expr) -> exp.Expr:
    """The JSON kind (reading.py) of a VARIANT value. A variant keeps no lexical form:
    `5` is BIGINT, but `5.0` is DECIMAL(1,0), so a DECIMAL without a scale is an
    integer only when too long for a BIGINT (19 digits and more; Python's int), and a
    float otherwise, as Python's json reads `5.0`. JSON null is VOID."""
    return frag("CASE WHEN :x IS NULL THEN 'n' WHEN schema_of_variant(:x) = 'STRING' THEN 's'"
                " WHEN schema_of_variant(:x) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'i'"
                " WHEN schema_of_variant(:x) LIKE 'DECIMAL(%,0)' AND length(to_json(:x)) - CASE WHEN to_json(:x) LIKE '-%'"
                " THEN 1 ELSE 0 END >= 19 THEN 'i'"
                " WHEN schema_of_variant(:x) IN ('DOUBLE', 'FLOAT') OR schema_of_variant(:x) LIKE 'DECIMAL%' THEN 'f'"
                " WHEN schema_of_variant(:x) = 'BOOLEAN' THEN 'b' WHEN schema_of_variant(:x) IN ('NULL', 'VOID') THEN 'n'"
                " ELSE 'o' END", x=x)


def _variant_text(x: exp.Expr) -> exp.Expr:
    return frag("CASE WHEN schema_of_variant(:x) = 'STRING' THEN CAST(:x AS STRING) ELSE to_json(:x) END", x=x)


class NestedSpark:
    """The nested shape in Spark 4 (VARIANT): a relation `source` with one JSON lead
    per row as text (columns lp_row and lp_json), as `spark.read.text` gives them.
    Declared names are identifiers (the grammar's), so `$.name` paths are safe."""

    def __init__(self, source: str = "lp_json_leads"):
        self.source = source

    def ctes(self, policy: nodes.Policy) -> list[Any]:
        layout = Layout.of(policy)

        def get(column: str, *path: str) -> exp.Expr:
            return frag("variant_get(:c, :p)", c=exp.column(column), p=lit("$" + "".join("." + p for p in path)))


        def kind(x: exp.Expr) -> exp.Expr:
            return frag("coalesce(schema_of_variant(:x), 'NULL')", x=x)

        cols = [exp.column("lp_row"),
                exp.alias_(frag("CASE WHEN lp_v IS NULL THEN 'x' WHEN schema_of_variant(lp_v) LIKE 'OBJECT%' THEN 'o' ELSE 'v' END"),
                           "lp_lead_k"),
                exp.alias_(_variant_text(get("lp_v", "id")), "lp_id"), exp.alias_(frag("to_json(:x)", x=get("lp_v", "id")), "lp_id_json"),
                exp.alias_(frag("CASE WHEN :k LIKE 'OBJECT%' THEN 'o' WHEN :k IN ('NULL', 'VOID') THEN 'n' ELSE 'x' END",
                                k=kind(get("lp_v", "fields"))), "lp_fields_k"),
                exp.alias_(frag("CASE WHEN :k LIKE 'ARRAY%' THEN 'a' WHEN :k IN ('NULL', 'VOID') THEN 'n' ELSE 'x' END",
                                k=kind(get("lp_v", "activities"))), "lp_acts_k"),
                exp.alias_(_variant_text(get("lp_v", "stage")), "lp_stage_v"), exp.alias_(_variant_kind(get("lp_v", "stage")), "lp_stage_k")]
        for name in layout.fields:
            x = frag("CASE WHEN schema_of_variant(:f) LIKE 'OBJECT%' THEN :x END", f=get("lp_v", "fields"), x=get("lp_v", "fields", name))
            cols += [exp.alias_(_variant_text(x), layout.field_v(name)), exp.alias_(_variant_kind(x), layout.field_k(name))]
        parsed = sqlglot.parse_one(f"SELECT lp_row, try_parse_json(lp_json) AS lp_v FROM {self.source}", read="spark")
        leads_query = exp.select(*cols).from_(exp.Subquery(this=parsed, alias=exp.TableAlias(this=exp.to_identifier("lp_p"))))
        items = sqlglot.parse_one(
            "SELECT lp_row, lp_e.pos + 1 AS lp_seq, lp_e.value AS lp_item FROM"
            f" (SELECT lp_row, variant_get(try_parse_json(lp_json), '$.activities') AS lp_a FROM {self.source}) AS lp_arrays,"
            " LATERAL variant_explode(lp_a) AS lp_e WHERE schema_of_variant(lp_a) LIKE 'ARRAY%'", read="spark")
        cols = [exp.column("lp_row"), exp.column("lp_seq"),
                exp.alias_(frag("CASE WHEN schema_of_variant(lp_item) LIKE 'OBJECT%' THEN 'o' ELSE 'x' END"), "lp_item_k"),
                exp.alias_(_variant_text(get("lp_item", "type")), "lp_type_v"), exp.alias_(_variant_kind(get("lp_item", "type")), "lp_type_k"),
                exp.alias_(_variant_text(get("lp_item", "at")), "lp_at_v"), exp.alias_(_variant_kind(get("lp_item", "at")), "lp_at_k")]
        for name in layout.props:
            x = get("lp_item", name)
            cols += [exp.alias_(_variant_text(x), layout.prop_v(name)), exp.alias_(_variant_kind(x), layout.prop_k(name))]
        acts_query = exp.select(*cols).from_(exp.Subquery(this=items, alias=exp.TableAlias(this=exp.to_identifier("lp_items"))))
        return [("lp_raw_leads", leads_query), ("lp_raw_acts", acts_query)]


# ---------------------------------------------------------------- files (score --engine spark)

JSON_VIEW = "lp_json_leads"
LEADS_VIEW, ACTIVITIES_VIEW = "lp_file_leads", "lp_file_activities"  # the relational shape's files
_WHITESPACE = " \t\n\x0b\x0c\r"  # bytes.isspace(): the Python engine's blank line


def session(master: Optional[str] = None) -> tuple[Any, bool]:
    """(a SparkSession, whether this call started it): the active session if there is
    one (a notebook, a test), else a new one on `master` (default local[*], all cores)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    builder = (SparkSession.builder.master(master or "local[*]").appName("leadpolicy score")
               .config("spark.ui.showConsoleProgress", "false").config("spark.ui.enabled", "false"))
    if not master or master.startswith("local"):
        # one machine: a few shuffle partitions, not the cluster default of 200
        import os

        builder = builder.config("spark.sql.shuffle.partitions", str(max(2, os.cpu_count() or 2)))
    spark = _quietly_started(builder)
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _quietly_started(builder: Any) -> Any:
    """builder.getOrCreate(), with the JVM's standard error (its start-up banner, log4j's notices,
    "Your hostname resolves to a loopback address" warnings) sent to a temporary file, not the
    user's terminal: the JVM inherits file descriptor 2 when it starts and keeps it. If Spark does
    not start, its last lines there say why (no Java, a wrong JAVA_HOME). LEADPOLICY_DEBUG=1 leaves
    standard error alone."""
    import os
    import sys
    import tempfile

    from leadpolicy.backends.sql.extras import SparkStartError

    if os.environ.get("LEADPOLICY_DEBUG"):
        return builder.getOrCreate()
    log = tempfile.TemporaryFile()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        return builder.getOrCreate()
    except Exception as error:
        if "JAVA_GATEWAY_EXITED" not in str(error) and "Java gateway" not in str(error):
            raise
        log.seek(0)
        said = [line.strip() for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
        about_java = [line for line in said if "java" in line.lower()]
        why = (about_java or said or str(error).splitlines())[0 if about_java else -1]
        raise SparkStartError(f"Spark did not start: {why} (--engine spark needs Java 17 or later: install it, "
                              "or set JAVA_HOME to it)") from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_HADOOP_GLOB = re.compile(r"([*?\[\]{}\\])")


def literal_path(path: str) -> str:
    """A file's path as Spark's readers must be given it: they take a path as a Hadoop glob pattern,
    so `leads[1].jsonl` read leads1.jsonl and `acts*.parquet` every file it matched. A local file that
    exists is read itself (each glob character escaped with a backslash); any other path (s3a://...,
    a pattern) is Spark's to read."""
    import os

    return _HADOOP_GLOB.sub(r"\\\1", path) if _HADOOP_GLOB.search(path) and os.path.exists(path) else path


def json_lines(spark: Any, path: str) -> Any:
    """The lines of a JSON Lines file as (lp_row, lp_json): lp_row the line number,
    blank lines skipped, a UTF-8 byte order mark at the start dropped (as the Python
    engine reads them; lines end at \\n only, as Python splits them)."""
    from pyspark.sql import functions as F

    lines = spark.read.option("lineSep", "\n").text(literal_path(path))
    numbered = lines.rdd.zipWithIndex().map(lambda pair: (pair[1] + 1, pair[0][0])).toDF(
        "lp_row bigint, lp_json string")
    text = F.when(F.col("lp_row") == 1, F.regexp_replace("lp_json", "^\ufeff", "")).otherwise(F.col("lp_json"))
    blank = F.regexp_replace(text, f"[{_WHITESPACE}]", "") == ""
    return numbered.select("lp_row", text.alias("lp_json")).where(~blank)


def csv_leads(spark: Any, path: str, policy: Any, id_column: bool = True) -> Any:
    """The Python engine's CSV (id, stage, activities as JSON, one column per field) as
    (lp_row, lp_json), read by the Python engine's own CSV reader on the driver (its
    header matching, quoting and delimiter detection exactly); lp_row counts the data
    rows. A row the reader refuses (too many cells), or whose activities are not JSON,
    becomes a lead that is an error row; batch.py asks Python for its words."""
    import json

    from leadpolicy.tools.score_input import csv_chunks

    rows: list[tuple[int, str]] = []
    fields = [f.name for f in policy.tree.fields]
    with open(path, "rb") as handle:
        for _, items, _ in csv_chunks(handle, fields=fields):
            for start, lead_id, stage, values, acts, problem in items:
                ordinal = len(rows) + 1
                if problem is not None:
                    rows.append((ordinal, "not a lead"))
                    continue
                activities: Any = None
                if acts.strip():
                    try:
                        activities = json.loads(acts)
                    except (ValueError, RecursionError):
                        activities = "not JSON"  # not a list: an error row
                lead = {"id": lead_id, "stage": stage or None, "fields": values, "activities": activities}
                rows.append((ordinal, json.dumps(lead, ensure_ascii=False)))
    return spark.createDataFrame(rows, "lp_row bigint, lp_json string")


def table(spark: Any, path: str, dialect: Optional[CsvTableDialect] = None) -> Any:
    """A table of the relational shape from a Parquet or CSV file (CSV: a header row,
    every cell text, an empty cell NULL), written as `dialect` says (table_problems.csv_table:
    the delimiter DuckDB's sniffer takes; Spark's reader takes a comma, and read a table of
    semicolons as one column). Default: a comma. A quote in a quoted cell is doubled (`"a""b"`,
    as DuckDB and Python read it; Spark's default escape, a backslash, kept `"a""b"` as it is
    written), and a quoted cell may hold a line break where the dialect says one does (Spark
    split the row there, by default: the file is then read by one task, whole). Column names are
    DuckDB's (table_problems.header_name: ` email ` is `email`, which Spark's reader kept padded)."""
    from leadpolicy.backends.sql import table_problems
    from leadpolicy.tools.file_kinds import is_parquet

    if is_parquet(path):
        nanos = _nanosecond_columns(path)
        if nanos:
            return _nanos_read(spark, path, nanos)
        try:  # the schema is read here
            return spark.read.parquet(literal_path(path))
        except Exception as error:
            if "PARQUET_TYPE_ILLEGAL" not in str(error) and "UNSUPPORTED_TIME_TYPE" not in str(error):
                raise
            from leadpolicy.backends.sql.batch import InputProblem

            raise InputProblem(_parquet_type_problem(path, error)) from None
    dialect = dialect or table_problems.CsvTableDialect()
    multiline = dialect.multiline or dialect.skip > 0
    reader = (spark.read.option("header", str(not dialect.skip).lower()).option("inferSchema", "false")
              .option("sep", dialect.delimiter).option("quote", '"').option("escape", '"')
              .option("multiLine", str(multiline).lower()))
    if multiline and dialect.line_break is not None:
        # the file's one line break, given: Spark's reader then keeps a quoted cell's \r\n as it is written
        # (DuckDB's reads it so), where it made every line break in a quoted cell a \n
        reader = reader.option("lineSep", dialect.line_break)
    if dialect.skip:
        return _after_lines(reader, path, dialect)
    frame = reader.csv(literal_path(path))
    names = [table_problems.header_name(name) for name in frame.columns]
    return frame.toDF(*names) if names != frame.columns else frame


def _after_lines(reader: Any, path: str, dialect: CsvTableDialect) -> Any:
    """The table whose header follows `dialect.skip` lines (an Excel `sep=;` line), which Spark's reader
    has no option to skip: read without a header, every row of the header's columns (names as DuckDB's,
    table_problems.header_name), the file whole (multiLine: one task reads it, in order), and its
    first rows, the skipped lines' and the header's, left out by their place (blank lines are no rows
    to Spark's reader, as they are none to csv_table)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    from leadpolicy.backends.sql import table_problems

    written = list(dialect.header) or [""]
    lower = [name.lower() for name in written if name]
    twice = {name for name in lower if lower.count(name) > 1}
    # as Spark's reader names a header's columns: `_c2` for an empty name, `email1` for the second of two
    names = [table_problems.header_name(f"_c{index}" if not name else f"{name}{index}" if name.lower() in twice else name)
             for index, name in enumerate(written)]
    schema = StructType([StructField(name, StringType()) for name in names])
    frame = reader.schema(schema).csv(literal_path(path))
    place = "lp_row_place"
    return (frame.withColumn(place, F.monotonically_increasing_id()).where(F.col(place) > dialect.skip)
            .drop(place))


# Spark reads a Parquet TIMESTAMP(NANOS) column only as its count of nanoseconds (a BIGINT), with this
# setting; without it, it refuses the file. Set for the run (score_file_with_spark restores it).
NANOS_AS_LONG = "spark.sql.legacy.parquet.nanosAsLong"


def _nanosecond_columns(path: str) -> dict[str, bool]:
    """A local Parquet file's top-level TIMESTAMP(NANOS) columns (pandas writes them by default),
    each with whether it is adjusted to UTC (a zoned instant); {} when none or not a local file."""
    if not os.path.isfile(path):
        return {}
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        schema = pq.read_schema(path)
    except Exception:  # noqa: BLE001 - Spark reads it, or says why not
        return {}
    return {f.name: f.type.tz is not None for f in schema
            if pa.types.is_timestamp(f.type) and f.type.unit == "ns"}


def _nanos_read(spark: Any, path: str, nanos: dict[str, bool]) -> Any:
    """The table with each nanosecond column made a Spark TIMESTAMP (zoned) or TIMESTAMP_NTZ: its
    nanoseconds read as a BIGINT, floored to microseconds (Spark's precision, and DuckDB's when it
    reads such text back; the floor keeps instants before 1970 in their microsecond)."""
    from pyspark.sql import functions as F

    spark.conf.set(NANOS_AS_LONG, "true")
    frame = spark.read.parquet(literal_path(path))
    for name, zoned in nanos.items():
        quoted = "`" + name.replace("`", "``") + "`"
        micros = F.expr(f"({quoted} - pmod({quoted}, 1000)) div 1000")
        stamp = F.timestamp_micros(micros)
        if not zoned:  # the wall-clock time the number counts from 1970-01-01 00:00, in no zone
            stamp = F.expr(f"timestamp_ntz'1970-01-01 00:00:00' + make_dt_interval(0, 0, 0, 0) + "
                           f"(({quoted} - pmod({quoted}, 1000)) div 1000) * interval '0.000001' second")
        frame = frame.withColumn(name, stamp)
    return frame


def _parquet_type_problem(path: str, error: BaseException) -> str:
    """A Parquet table with a column of a type Spark does not read (timestamps in nanoseconds, as
    pandas writes them; times of day): it refused the file, whichever columns the query reads, and
    its error named neither the column nor the file (the run named INPUT, also for the activities
    table). Said with the file, the column and the fix; Spark's words when no such column is found."""
    import pyarrow.parquet as pq

    try:
        columns = list(pq.ParquetFile(path).schema)
    except Exception:  # noqa: BLE001 - Spark's own words, with the file's name
        columns = []
    for column in columns:
        kind = column.logical_type.to_json() if column.logical_type is not None else ""
        if '"Type":"Timestamp"' in kind and '"timeUnit":"nanoseconds"' in kind:
            return (f"{path}: spark cannot read it: its column `{column.path}` holds timestamps in nanoseconds (Parquet "
                    "TIMESTAMP(NANOS)), which Spark does not read; write them in microseconds (pandas: "
                    "to_parquet(..., coerce_timestamps=\"us\"); pyarrow: write_table(..., coerce_timestamps=\"us\")), "
                    "or use --engine duckdb")
        if '"Type":"Time"' in kind:
            return (f"{path}: spark cannot read it: its column `{column.path}` holds times of day (Parquet TIME), which "
                    "Spark does not read; write them as text, or use --engine duckdb")
    return f"{path}: spark cannot read it: {str(error).splitlines()[0]}"


def nested_query(policy: Any) -> str:
    """The Spark SQL query over the view JSON_VIEW (lp_row, lp_json), with lp_row and lp_id_json."""
    from leadpolicy.backends.sql.engines import _sql

    return _sql(getattr(policy, "tree", policy), _NestedKey(), "spark", True)


class _NestedKey:
    def ctes(self, policy: nodes.Policy) -> list[Any]:
        return NestedSpark(JSON_VIEW).ctes(policy)

    def __repr__(self) -> str:
        return f"NestedSpark({JSON_VIEW!r})"


def decide(spark: Any, policy: Any, kind: str, path: str, activities: Optional[str], mapping: Optional[dict[str, Any]],
           as_of: str, dialects: Optional[dict[str, CsvTableDialect]] = None) -> tuple[Any, Optional[dict[str, Any]]]:
    """The decisions of a file's leads as a DataFrame ordered by lp_row (the query's
    columns, lp_row and lp_id_json), and the mapping of the views it read (relational:
    zoned_times may add order columns). `kind` is batch.BatchInput.kind (jsonl, csv, relational);
    `dialects`: the CSV tables' (checked_tables), by path."""
    from dataclasses import asdict, replace

    from leadpolicy.backends.sql.engines import _Keyed, _sql
    from leadpolicy.backends.sql.inputs import Mapping, Relational

    if kind in ("jsonl", "csv"):
        lines = json_lines(spark, path) if kind == "jsonl" else csv_leads(spark, path, policy)
        lines.createOrReplaceTempView(JSON_VIEW)
        return in_one_sorted_partition(spark.sql(nested_query(policy), args={"as_of": as_of})), mapping
    tree = getattr(policy, "tree", policy)
    dialects = dialects or {}
    activities = activities or ""
    leads, acts, names = zoned_times(tree, Mapping.from_dict(mapping or {}), table(spark, path, dialects.get(path)),
                                     table(spark, activities, dialects.get(activities)))
    leads.createOrReplaceTempView(LEADS_VIEW)
    acts.createOrReplaceTempView(ACTIVITIES_VIEW)
    shape = Relational(replace(names, leads_table=LEADS_VIEW, activities_table=ACTIVITIES_VIEW))
    return in_one_sorted_partition(spark.sql(_sql(tree, _Keyed(shape), "spark", True), args={"as_of": as_of})), asdict(names)


def in_one_sorted_partition(frame: Any) -> Any:
    """The query's rows in lp_row order in one partition, for the driver to read in order.
    The query's own `ORDER BY` is a global sort: Spark samples its input to choose the ranges
    of its partitions, and that sampling job runs the whole query once more before the sort
    runs it again (80,000 leads: 99 s against 70 s this way, docs/performance.md). One
    partition needs no sample, and Spark drops the query's sort under it. The driver reads
    every row one by one anyway (toLocalIterator)."""
    return frame.repartition(1).sortWithinPartitions("lp_row")


# A Spark TIMESTAMP holds an instant, and Spark casts it to text as the session time zone's
# wall-clock time *without* its offset ('2026-11-20 04:00:00' for 12:00 UTC in Los Angeles),
# which section 8 reads as UTC: a cluster not set to UTC would move every activity by its
# offset. Such columns are read as their text with the offset ('...04:00:00.000000-08:00',
# 'Z' for UTC), the instant itself, as DuckDB, PostgreSQL, BigQuery and Snowflake cast a
# zoned timestamp. TIMESTAMP_NTZ and DATE columns have no zone and are cast as they are.
ZONED_TEXT = "yyyy-MM-dd HH:mm:ss.SSSSSSXXX"
# Spark writes a DOUBLE's NaN and infinities as 'NaN', 'Infinity', '-Infinity'; DuckDB (and Python's str) as 'nan',
# 'inf', '-inf': the text an error row shows of such a value
NON_FINITE_TEXT = (("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"))
# the order of activities (by default by `at`) and of leads when read from such a column: the instants, not their text
AT_ORDER, LEAD_ORDER = "lp_at_order", "lp_lead_order"


def duckdb_double_text(column: str) -> str:
    """Spark SQL for a DOUBLE column's text as DuckDB casts it, which is Python's repr: the
    shortest digits that read back as the value (of those, the nearest), positional from 1e-4 to
    below 1e16 (`12345678.0`, `0.0001`), else `1e+22`, `1.5e-07`. Spark's cast is Java's
    Double.toString: the same text from 0.001 to below 1e7, otherwise `1.2345678E7`, `1.0E22`, and
    in Java 17 at times a digit more than the shortest, or the farther of two (`2.9005228284000002E19`,
    `5.4211868160685435E18`). Outside that range the digits are found again, then laid out as
    Python lays them out:
    - from 2^53 to 1e35 (whole numbers, where Java 17's extra digits were found) exactly: the
      value as a DECIMAL(38, 0), rounded to 1, 2, ... digits until they read back as it;
    - elsewhere `%.{k}e` for k = 0, 1, ... until the text reads back as the value (Java rounds its
      own digits there, not the value's: tests/test_spark_double_text.py found no difference from
      repr over random doubles).
    NULL, NaN and infinities keep Spark's cast (NON_FINITE_TEXT maps the last two)."""
    x = f"abs({column})"
    # from 2^53 up: the whole number's exact value as a DECIMAL(38, 0), m * 2^s, m below 2^57 (x / 2^s: exact)
    shift = f"greatest(0, CAST(floor(log2({x})) AS INT) - 55)"
    whole = (f"CAST(CAST({x} / pow(2, {shift}) AS BIGINT) AS DECIMAL(38, 0))"
             f" * CAST(shiftleft(CAST(1 AS BIGINT), {shift}) AS DECIMAL(38, 0))")
    # w rounded half up to p digits (u: the unit of the p-th), exactly, and one unit above (a power of
    # two reads back from further above than below); the first that reads back as x
    rounded = ("flatten(transform(sequence(1, 17), p -> element_at(transform(array(CAST(concat('1', repeat('0', l - p))"
               " AS DECIMAL(38, 0))), u -> element_at(transform(array(w - w % u + CASE WHEN 2 * (w % u) >= u THEN u ELSE 0 END),"
               " r -> array(r, r + u)), 1)), 1)))")
    first_exact = (f"element_at(transform(array({whole}), w -> element_at(transform(array(length(CAST(w AS STRING))),"
                   f" l -> CAST(try_element_at(filter({rounded}, c -> CAST(c AS DOUBLE) = {x}), 1) AS STRING)), 1)), 1)")
    digits_of_whole = f"named_struct('d', regexp_replace({first_exact}, '0+$', ''), 'n', length({first_exact}) - 1)"
    # elsewhere: '%.{k}e' for k = 0, 1, ... (the first that reads back as x), d.ddde+XX
    first_searched = (f"coalesce(try_element_at(filter(transform(sequence(0, 15), k -> format_string(concat('%.', k, 'e'), {x})),"
                      f" t -> CAST(t AS DOUBLE) = {x}), 1), format_string('%.16e', {x}))")
    searched = (f"element_at(transform(array({first_searched}), s -> named_struct('d', regexp_replace(regexp_replace("
                "regexp_extract(s, '([0-9.]+)e', 1), '[.]', ''), '0+$', ''), 'n', CAST(regexp_extract(s, 'e([-+][0-9]+)$', 1)"
                " AS INT))), 1)")
    # z.d: the digits without trailing zeros; z.n: the exponent of the first
    digits = f"CASE WHEN {x} >= 9007199254740992 AND {x} < 1e35 THEN {digits_of_whole} ELSE {searched} END"
    layout = ("CASE WHEN z.n >= 16 OR z.n < -4 THEN concat(substring(z.d, 1, 1), CASE WHEN length(z.d) > 1"
              " THEN concat('.', substring(z.d, 2)) ELSE '' END, 'e', CASE WHEN z.n < 0 THEN '-' ELSE '+' END,"
              " CASE WHEN abs(z.n) < 10 THEN '0' ELSE '' END, CAST(abs(z.n) AS STRING))"
              " WHEN z.n < 0 THEN concat('0.', repeat('0', -z.n - 1), z.d)"
              " WHEN length(z.d) <= z.n + 1 THEN concat(z.d, repeat('0', z.n + 1 - length(z.d)), '.0')"
              " ELSE concat(substring(z.d, 1, z.n + 1), '.', substring(z.d, z.n + 2)) END")
    relaid = f"concat(CASE WHEN {column} < 0 THEN '-' ELSE '' END, element_at(transform(array({digits}), z -> {layout}), 1))"
    java_is_python = (f"{column} = 0 OR isnan({column}) OR {x} = CAST('Infinity' AS DOUBLE)"
                      f" OR ({x} >= 0.001 AND {x} < 10000000)")
    return f"CASE WHEN {column} IS NULL THEN NULL WHEN {java_is_python} THEN CAST({column} AS STRING) ELSE {relaid} END"


def zoned_times(policy: nodes.Policy, mapping: Any, leads: Any, activities: Any) -> tuple[Any, Any, Any]:
    """(leads, activities, mapping) with every TIMESTAMP column the query reads as a value
    (a field, a property, `at`) replaced by its text with its offset (ZONED_TEXT), and every
    DOUBLE or FLOAT one by its text with NaN and infinities written as DuckDB writes them
    (NON_FINITE_TEXT), a DOUBLE's digits and layout too (duckdb_double_text). An order column among them (`at` when the mapping names no order) is
    copied first, and the mapping orders by the copy: the instants or numbers, as before, not
    their text."""
    from dataclasses import replace

    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType, TimestampType

    layout = Layout.of(policy)

    def by_name(name: str) -> Any:  # a column by its name as written (a name with a dot is no struct path)
        return F.col("`" + name.replace("`", "``") + "`")

    def zoned(frame: Any, columns: list[Optional[str]]) -> Any:
        # Spark matches column names without case (by default); a name mapped twice is changed once
        wanted = {column.lower() for column in columns if column is not None}
        for f in frame.schema.fields:
            if f.name.lower() in wanted and type(f.dataType) is TimestampType:
                frame = frame.withColumn(f.name, F.date_format(by_name(f.name), ZONED_TEXT))
            elif f.name.lower() in wanted and type(f.dataType) in (DoubleType, FloatType):
                text = (F.expr(duckdb_double_text("`" + f.name.replace("`", "``") + "`"))
                        if type(f.dataType) is DoubleType else by_name(f.name).cast("string"))
                for spark_text, duckdb_text in NON_FINITE_TEXT:
                    text = F.when(text == spark_text, F.lit(duckdb_text)).otherwise(text)
                frame = frame.withColumn(f.name, text)
        return frame

    def typed_order(frame: Any, column: Optional[str], values: list[Optional[str]], copy: str, key: str) -> Any:
        # an order column that is also read as a value (by default `at`) keeps ordering by the instants (numbers)
        nonlocal mapping
        names = {v.lower() for v in values if v is not None}
        found = next((f for f in frame.schema.fields if column is not None and f.name.lower() == column.lower()), None)
        if found is not None and found.name.lower() in names and type(found.dataType) in (TimestampType, DoubleType,
                                                                                         FloatType):
            frame = frame.withColumn(copy, by_name(found.name))
            mapping = replace(mapping, **{key: copy})
        return frame

    lead_values = [mapping.fields.get(name, name) for name in layout.fields]
    act_values = [mapping.at] + [mapping.props.get(name, name) for name in layout.props]
    leads = zoned(typed_order(leads, mapping.lead_order, lead_values, LEAD_ORDER, "lead_order"), lead_values)
    activities = zoned(typed_order(activities, mapping.order or mapping.at, act_values, AT_ORDER, "order"), act_values)
    return leads, activities, mapping


def score_file_with_spark(policy: Any, source: BatchInput, sink: Any, as_of: Any, output_format: str,
                          output_path: Optional[str], spark_master: Optional[str], summary: Any,
                          progress: Optional[Progress] = None) -> None:
    """`score --engine spark` (batch.score_file): the query on Spark (the active session, or
    a local one started and stopped here); rows back to the driver in order, written as
    the DuckDB engine writes them (rows.write_rows). `progress`: told how far lp_row runs
    (spark_positions) and the rows as they are written."""
    from dataclasses import replace

    from leadpolicy.backends.sql.batch import FETCH_ROWS, InputProblem
    from leadpolicy.backends.sql.engines import as_of_text
    from leadpolicy.backends.sql.rows import RelationalRescorer, write_rows

    extras.pyspark()

    if source.kind == "database":
        raise InputProblem(f"{source.path}: a DuckDB database is read by --engine duckdb")
    if source.kind == "relational" and source.activities is None:
        raise InputProblem(f"{source.path}: the relational shape needs its activities table too (--activities FILE)")
    dialects = checked_tables(policy, source) if source.kind == "relational" else {}
    spark, started = session(spark_master)
    nanos_as_long = spark.conf.get(NANOS_AS_LONG, "false")
    try:
        with _spark_column_problems(spark, policy, source):
            frame, mapping = decide(spark, policy, source.kind, source.path, source.activities, source.mapping,
                                    as_of_text(as_of), dialects)
            columns = list(frame.columns)
            if progress is not None:
                progress.known(spark_positions(spark, source))
            batches = _batched((tuple(row) for row in frame.toLocalIterator()), FETCH_ROWS)
            if output_format == "parquet":
                _arrow_parquet(batches, columns, frame.schema, output_path, summary, progress)
            else:
                relational = None
                if source.kind == "relational":  # error rows in Python's words, the lead read back from its views
                    relational = RelationalRescorer(
                        policy, as_of, replace(source, mapping=mapping), output_format,
                        lambda sql, lead_id: [tuple(r) for r in spark.sql(sql, args={"lp_id": lead_id}).collect()],
                        (LEADS_VIEW, ACTIVITIES_VIEW), quote="`", param=":lp_id", text_type="STRING")
                write_rows(batches, columns, policy, as_of, source, sink, output_format, summary, relational, progress)
    finally:
        spark.conf.set(NANOS_AS_LONG, nanos_as_long)
        if started:
            spark.stop()


def checked_tables(policy: Any, source: BatchInput) -> dict[str, CsvTableDialect]:
    """Each local CSV table's dialect, read on the driver (table_problems.csv_table), before Spark
    starts; an InputProblem for tables the DuckDB engine refuses, said as it says it: a line not
    UTF-8, a row wider or narrower than the header (Spark's reader would decide the leads on
    replaced characters, dropped or empty cells), a column the query reads spelt twice in two cases
    (table_problems.case_twins; Spark said it missing). A path that is no local file (s3a://..., a
    pattern) is Spark's to read, as a comma-separated table."""
    from leadpolicy.backends.sql.batch import InputProblem
    from leadpolicy.backends.sql.table_problems import case_twins, csv_table
    from leadpolicy.tools.file_kinds import is_parquet

    paths = (source.path, source.activities or "")
    dialects = {path: csv_table(path, "spark") for path in paths if os.path.isfile(path) and not is_parquet(path)}
    twins = case_twins(getattr(policy, "tree", policy), source, "Spark")
    if twins is not None:
        raise InputProblem(twins)
    return dialects


def _id_types(spark: Any, source: BatchInput) -> Optional[str]:
    """The leads' ids and the activities' lead ids in two types Spark cannot compare (a BIGINT `id`,
    a STRING `lead_id` holding `L1`): the join casts the text to the number, and Spark (ANSI) fails
    on the first value that does not fit, in its own words. Said as the DuckDB engine says it
    (table_problems.id_types_text); None when their types are the same (another cast failed)."""
    from leadpolicy.backends.sql.rows import mapping_of
    from leadpolicy.backends.sql.table_problems import id_types_text

    m = mapping_of(source)
    found = []
    for view, column in ((LEADS_VIEW, m.id), (ACTIVITIES_VIEW, m.lead_id)):
        try:  # the views decide() made; Spark matches names without case by default
            fields = spark.table(view).schema.fields
        except Exception:  # noqa: BLE001 - no view: the run's own error is said
            return None
        found.append(next((f.dataType.simpleString().upper() for f in fields if f.name.lower() == column.lower()), None))
    if None in found or found[0] == found[1]:
        return None
    return id_types_text(source, (source.path, source.activities or ""), (str(found[0]), str(found[1])), "Spark")


def _batched(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def spark_positions(spark: Any, source: BatchInput) -> Optional[int]:
    """How far lp_row runs, for the progress bar, where that costs little beside the query: the
    lines of a local JSON Lines file (counted here), the data rows of a CSV (already on the
    driver) or the rows of the leads table (Spark counts them: a Parquet file's from its
    metadata); None for JSON Lines Spark reads elsewhere or from a folder, or when Spark's
    count fails (the count alone: the query then says why, as it says it without a bar)."""
    if source.kind == "jsonl":
        if not os.path.isfile(source.path):
            return None
        lines = 0
        with open(source.path, "rb") as handle:  # as Spark's text reader splits them: at each \n, none after the last
            last = b"\n"
            for block in iter(lambda: handle.read(1 << 20), b""):
                lines += block.count(b"\n")
                last = block[-1:]
        return lines + (last != b"\n")
    try:
        return int(spark.table(JSON_VIEW if source.kind == "csv" else LEADS_VIEW).count())
    except Exception:  # noqa: BLE001 - the count alone
        return None


def _arrow_parquet(batches: Iterator[list[tuple[Any, ...]]], columns: list[str], schema: Any, output_path: Optional[str],
                   summary: Any, progress: Optional[Progress] = None) -> None:
    """Parquet output from rows on the driver (one file, as DuckDB writes it: the query's
    columns and `line`), written beside the target and renamed into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    id_type = pa.int64() if schema["id"].dataType.typeName() in ("long", "integer", "short", "byte") else pa.string()
    names = ["id", "stage", "previous_stage", "change", "engagement", "fit", "grade", "reason_kind", "reason_rule", "hits",
             "error", "line"]
    types = [id_type] + [pa.string()] * 3 + [pa.float64()] * 2 + [pa.string()] * 5 + [pa.int64()]
    arrow_schema = pa.schema(list(zip(names, types)))
    at = {name: columns.index(name) for name in columns}
    from leadpolicy.tools.atomic import atomic_path
    from leadpolicy.tools.score import SAMPLE_ERRORS

    reached = 0  # the lp_row of the last row written
    with atomic_path(os.path.abspath(output_path or ""), suffix=".parquet") as temp:
        with pq.ParquetWriter(temp, arrow_schema) as writer:
            for batch in batches:
                for row in batch:
                    summary.leads += 1
                    if row[at["error"]] is not None:
                        summary.errors += 1
                        if len(summary.samples) < SAMPLE_ERRORS:
                            summary.samples.append((row[at["lp_row"]], json.loads(row[at["error"]])["message"]))
                    else:
                        key = (row[at["stage"]], row[at["change"]])
                        summary.outcomes[key] = summary.outcomes.get(key, 0) + 1
                ids = [row[at["id"]] if id_type == pa.int64() or row[at["id"]] is None else str(row[at["id"]]) for row in batch]
                arrays = [pa.array(ids, id_type)] + [
                    pa.array([row[at[name]] for row in batch], kind)
                    for name, kind in zip(names[1:-1], types[1:-1])] + [pa.array([row[at["lp_row"]] for row in batch], pa.int64())]
                writer.write_table(pa.Table.from_arrays(arrays, schema=arrow_schema))
                if progress is not None and batch:  # its rows, and how far their lp_row went
                    progress(len(batch), int(batch[-1][at["lp_row"]]) - reached)
                    reached = int(batch[-1][at["lp_row"]])


@contextlib.contextmanager
def _spark_column_problems(spark: Any, policy: Any, source: BatchInput) -> Iterator[None]:
    """Columns the relational shape needs but the files lack: said as the DuckDB engine says
    it, every one of them (Spark names the first). PySpark's own log of a failed query (its
    plan and the JVM's stack, hundreds of KB on stderr) is kept quiet meanwhile: the error
    is raised either way, and said here."""
    import logging

    quieted = [logging.getLogger(name) for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger")]
    was = [logger.disabled for logger in quieted]
    for logger in quieted:
        logger.disabled = True
    try:
        yield
    except Exception as error:
        from leadpolicy.backends.sql.batch import InputProblem

        if "CAST_INVALID_INPUT" in str(error) and source.kind == "relational":
            types = _id_types(spark, source)
            if types is not None:
                raise InputProblem(types) from None
        found = re.search(r"UNRESOLVED_COLUMN[^`]*`lp_(l|a)`\.`([^`]*)`", str(error))
        if not found:
            raise
        from leadpolicy.backends.sql.inputs import absent_columns, missing_columns

        try:  # the views decide() made; Spark matches names without case by default
            leads, acts = ({c.lower() for c in spark.table(view).columns} for view in (LEADS_VIEW, ACTIVITIES_VIEW))
            missing = absent_columns(getattr(policy, "tree", policy), source.mapping, (leads, acts))
        except Exception:
            missing = []
        tables = ("the leads table " + source.path, "the activities table " + (source.activities or ""))
        raise InputProblem(missing_columns(tables, missing or [(found.group(1) == "l", found.group(2))],
                                           source.mapping)) from None
    finally:
        for logger, disabled in zip(quieted, was):
            logger.disabled = disabled
