"""Spark reading files: the nested shape (JSON Lines) as Spark 4 VARIANT values, and
the file inputs of `leadpolicy score --engine spark` (batch.py).

The nested shape gives the two raw relations query.py expects (inputs.py says
which columns), from a relation of one JSON lead per row as text (lp_row,
lp_json), as `spark.read.text` gives the lines.
"""

from __future__ import annotations

from leadpolicy.backends.sql.fragments import exp, frag, lit, sqlglot
from leadpolicy.backends.sql.query import Layout
from leadpolicy.syntax import nodes

__all__ = ["NestedSpark"]


def _variant_kind(x) -> exp.Expression:
    return frag("CASE WHEN :x IS NULL THEN 'n' WHEN schema_of_variant(:x) = 'STRING' THEN 's'"
                " WHEN schema_of_variant(:x) IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') THEN 'i'"
                " WHEN schema_of_variant(:x) IN ('DOUBLE', 'FLOAT') OR schema_of_variant(:x) LIKE 'DECIMAL%'"
                " THEN CASE WHEN to_json(:x) RLIKE '^-?[0-9]+$' THEN 'i' ELSE 'f' END"
                " WHEN schema_of_variant(:x) = 'BOOLEAN' THEN 'b' WHEN schema_of_variant(:x) = 'NULL' THEN 'n' ELSE 'o' END", x=x)


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
                exp.alias_(frag("CASE WHEN :k LIKE 'OBJECT%' THEN 'o' WHEN :k = 'NULL' THEN 'n' ELSE 'x' END",
                                k=kind(get("lp_v", "fields"))), "lp_fields_k"),
                exp.alias_(frag("CASE WHEN :k LIKE 'ARRAY%' THEN 'a' WHEN :k = 'NULL' THEN 'n' ELSE 'x' END",
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
