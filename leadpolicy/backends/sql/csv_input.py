"""The Python engine's CSV (id, stage, activities as JSON, one column per field) for DuckDB:
its header read as the Python engine reads it, and each row made a JSON lead of the nested
shape (`score --engine duckdb leads.csv`, `diff --engine duckdb --leads leads.csv`)."""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["csv_layout", "csv_line_numbers", "csv_leads_source"]


def csv_layout(path: str, policy: Any, names: Optional[list[str]] = None) -> tuple[Any, list[str], str]:
    """The CSV header read as the python engine reads it (tools/csv_header.py): (layout,
    header as written, delimiter). Raises csv_header.CsvHeaderError for a header that
    names no field; layout.warnings lists the columns that match nothing. `names`: the
    field names to match (default the policy's; diff matches both versions' fields)."""
    import csv

    from leadpolicy.tools.csv_header import detect_delimiter, read_header

    with open(path, encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    delimiter = detect_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    return read_header(header, names if names is not None else [f.name for f in policy.tree.fields]), header, delimiter


def csv_line_numbers(path: str, names: list[str]) -> list[int]:
    """The line each data row of the CSV starts on, in order, as the Python engine's
    reader counts them (a quoted cell may span lines): its ids when there is no `id` column."""
    from leadpolicy.tools.score import csv_chunks

    starts: list[int] = []
    with open(path, "rb") as handle:
        for _, items, _ in csv_chunks(handle, fields=names):
            starts.extend(item[0] for item in items)
    return starts


def csv_leads_source(con: Any, path: str, policy: Any, names: Optional[list[str]] = None, sliced: bool = False) -> Any:
    """The Python engine's CSV (id, stage, activities as JSON, one column per field) as
    the nested shape's lines: each row made a JSON lead, numbered by its data row.
    Without an `id` column a lead's id is its line number, as the Python engine says it:
    the numbers are counted by its reader and joined in (table lp_csv_lines on `con`)."""

    from leadpolicy.backends.sql.fragments import exp, file_path, lit, sqlglot

    names = names if names is not None else [f.name for f in policy.tree.fields]
    layout, header, delimiter = csv_layout(path, policy, names)

    def column(at: int) -> Any:
        return exp.column(exp.to_identifier(header[at], quoted=True)) if 0 <= at < len(header) else exp.Null()

    pairs = []
    for name, at in layout.field_columns:  # matched as the python engine matches them (CRM spellings)
        pairs += [lit(name), column(at)]
    fields = exp.Anonymous(this="json_object", expressions=pairs)
    acts = sqlglot.parse_one("CASE WHEN a IS NULL OR trim(a) = '' THEN NULL WHEN json_valid(a) THEN CAST(a AS JSON)"
                             " ELSE CAST('\"not JSON\"' AS JSON) END", read="duckdb")
    acts = acts.transform(lambda n: column(layout.activities_at) if isinstance(n, exp.Column) and n.name == "a" else n)
    lead_id = column(layout.id_at) if layout.id_at >= 0 else exp.column("lp_line", table="lp_lines")
    lead = exp.Anonymous(this="json_object", expressions=[lit("id"), lead_id, lit("stage"), column(layout.stage_at),
                                                          lit("fields"), fields, lit("activities"), acts])
    # the header's names as read_csv gives them (stripped by us; DuckDB keeps them as written)
    query = sqlglot.parse_one("SELECT ordinality AS lp_row, CAST(x AS VARCHAR) AS lp_json FROM"
                              " read_csv(p, header = true, all_varchar = true, delim = d, quote = chr(34), escape = chr(34), null_padding = true,"
                              " parallel = false) WITH ORDINALITY",
                              read="duckdb")
    query = query.transform(lambda n: lead if isinstance(n, exp.Column) and n.name == "x" else
                            (lit(file_path(path)) if isinstance(n, exp.Column) and n.name == "p" else
                             (lit(delimiter) if isinstance(n, exp.Column) and n.name == "d" else n)))
    assert isinstance(query, exp.Select)  # transform keeps the root: a SELECT
    if sliced:  # rows $lp_first to $lp_last (a large file in slices, within memory)
        query = query.where(sqlglot.parse_one("ordinality BETWEEN $lp_first AND $lp_last", read="duckdb"))
    if layout.id_at < 0:
        import pyarrow as pa  # type: ignore[import-untyped]

        starts = csv_line_numbers(path, names)
        con.register("lp_csv_lines", pa.table({"lp_ordinal": pa.array(range(1, len(starts) + 1), pa.int64()),
                                                "lp_line": pa.array(starts, pa.int64())}))
        query = query.join(exp.alias_(exp.to_table("lp_csv_lines"), "lp_lines", table=True), join_type="left",
                           on=exp.EQ(this=exp.column("ordinality"), expression=exp.column("lp_ordinal", table="lp_lines")))
    return exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("lp_src")))
