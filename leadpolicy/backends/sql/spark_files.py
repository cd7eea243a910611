"""Spark reading files: the nested shape (JSON Lines) as Spark 4 VARIANT values, and
the file inputs of `leadpolicy score --engine spark` (batch.py).

The nested shape gives the two raw relations query.py expects (inputs.py says
which columns), from a relation of one JSON lead per row as text (lp_row,
lp_json), as `spark.read.text` gives the lines.
"""

from __future__ import annotations

from typing import Any, Optional

from leadpolicy.backends.sql.fragments import exp, frag, lit, sqlglot
from leadpolicy.backends.sql.query import Layout
from leadpolicy.syntax import nodes

__all__ = ["NestedSpark", "session", "json_lines", "csv_leads", "table", "nested_query"]


def _variant_kind(x) -> exp.Expression:
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


def _variant_text(x) -> exp.Expression:
    return frag("CASE WHEN schema_of_variant(:x) = 'STRING' THEN CAST(:x AS STRING) ELSE to_json(:x) END", x=x)


class NestedSpark:
    """The nested shape in Spark 4 (VARIANT): a relation `source` with one JSON lead
    per row as text (columns lp_row and lp_json), as `spark.read.text` gives them.
    Declared names are identifiers (the grammar's), so `$.name` paths are safe."""

    def __init__(self, source: str = "lp_json_leads"):
        self.source = source

    def ctes(self, policy: nodes.Policy) -> list:
        layout = Layout.of(policy)

        def get(column: str, *path: str):
            return frag("variant_get(:c, :p)", c=exp.column(column), p=lit("$" + "".join("." + p for p in path)))

        kind = lambda x: frag("coalesce(schema_of_variant(:x), 'NULL')", x=x)  # noqa: E731
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
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def json_lines(spark: Any, path: str) -> Any:
    """The lines of a JSON Lines file as (lp_row, lp_json): lp_row the line number,
    blank lines skipped, a UTF-8 byte order mark at the start dropped (as the Python
    engine reads them; lines end at \\n only, as Python splits them)."""
    from pyspark.sql import functions as F

    lines = spark.read.option("lineSep", "\n").text(path)
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

    from leadpolicy.tools.score import csv_chunks

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


def table(spark: Any, path: str) -> Any:
    """A table of the relational shape from a Parquet or CSV file (CSV: a header row,
    every cell text, an empty cell NULL)."""
    if path.lower().endswith(".parquet"):
        return spark.read.parquet(path)
    return spark.read.option("header", "true").option("inferSchema", "false").csv(path)


def nested_query(policy: Any) -> str:
    """The Spark SQL query over the view JSON_VIEW (lp_row, lp_json), with lp_row and lp_id_json."""
    from leadpolicy.backends.sql.engines import _sql

    return _sql(getattr(policy, "tree", policy), _NestedKey(), "spark", True)


class _NestedKey:
    def ctes(self, policy: nodes.Policy) -> list[Any]:
        return NestedSpark(JSON_VIEW).ctes(policy)

    def __repr__(self) -> str:
        return f"NestedSpark({JSON_VIEW!r})"


def decide(spark: Any, policy: Any, kind: str, path: str, activities: Optional[str], mapping: Optional[dict],
           as_of: str) -> Any:
    """The decisions of a file's leads as a DataFrame ordered by lp_row: the query's
    columns, lp_row and lp_id_json. `kind` is batch.BatchInput.kind (jsonl, csv, relational)."""
    from dataclasses import replace

    from leadpolicy.backends.sql.engines import _Keyed, _sql
    from leadpolicy.backends.sql.inputs import Mapping, Relational

    if kind in ("jsonl", "csv"):
        lines = json_lines(spark, path) if kind == "jsonl" else csv_leads(spark, path, policy)
        lines.createOrReplaceTempView(JSON_VIEW)
        return spark.sql(nested_query(policy), args={"as_of": as_of})
    names = Mapping.from_dict(mapping or {})
    leads_view, acts_view = "lp_file_leads", "lp_file_activities"
    table(spark, path).createOrReplaceTempView(leads_view)
    table(spark, activities or "").createOrReplaceTempView(acts_view)
    shape = Relational(replace(names, leads_table=leads_view, activities_table=acts_view))
    return spark.sql(_sql(getattr(policy, "tree", policy), _Keyed(shape), "spark", True), args={"as_of": as_of})
