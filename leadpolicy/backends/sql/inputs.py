"""Input shapes: what the query reads, as the two raw relations query.py expects.

`lp_raw_leads`: lp_row (the lead's position, the output order), lp_id,
lp_fields_k, lp_acts_k, lp_stage_v/k and lp_fv_N/lp_fk_N per declared field.
`lp_raw_acts`: lp_row, lp_seq (the activity's position in its lead), lp_item_k,
lp_type_v/k, lp_at_v/k and lp_pv_N/lp_pk_N per distinct property name.
Each value comes as text `_v` and JSON kind `_k` (reading.py).

Two shapes make them (docs/sql.md, "The input contract"):

- relational, every dialect: a leads table (id, previous stage, one column per
  declared field) and an activities table in long form (lead id, type, at, an
  optional order column, one column per declared property); names mappable.
  Every cell is read as its text, as a CSV cell is.
- nested, DuckDB: one JSON value per lead, as JSON Lines hold it (docs/language-reference.md
  section 16); values keep their JSON kinds, exactly as the Python engine reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from leadpolicy.backends.sql.fragments import exp, frag, ident, lit, sqlglot
from leadpolicy.backends.sql.query import Layout
from leadpolicy.syntax import nodes

__all__ = ["Relational", "NestedJson", "Mapping"]


@dataclass
class Mapping:
    """Table and column names of the relational shape (all optional; defaults shown)."""

    leads_table: str = "leads"
    activities_table: str = "activities"
    id: str = "id"
    stage: str = "stage"            # the previous stage
    lead_id: str = "lead_id"        # in the activities table
    type: str = "type"
    at: str = "at"
    order: Optional[str] = None     # activities: the input order (default: by `at` as written)
    lead_order: Optional[str] = None  # leads: the output order (default: by id)
    fields: dict = field(default_factory=dict)  # declared field name -> column
    props: dict = field(default_factory=dict)   # declared property name -> column

    @classmethod
    def from_dict(cls, data: dict) -> "Mapping":
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown mapping keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        return cls(**data)


def _table(name: str) -> exp.Table:
    """A table name; `a.b.c` names a table in a schema or catalog (each part quoted)."""
    parts = name.split(".")
    if len(parts) == 1:
        return exp.Table(this=ident(parts[0]))
    if len(parts) == 2:
        return exp.Table(this=ident(parts[1]), db=ident(parts[0]))
    return exp.Table(this=ident(parts[-1]), db=ident(parts[-2]), catalog=ident(".".join(parts[:-2])))


def _as_table(source) -> exp.Expression:
    """A table function call (read_parquet(...)) as a FROM item that can take an alias."""
    if isinstance(source, (exp.Table, exp.Subquery)):
        return source
    return exp.Table(this=source)


def _text(column) -> tuple:
    v = exp.Cast(this=column, to=exp.DataType.build("varchar"))
    k = frag("CASE WHEN :x IS NULL THEN 'n' ELSE 's' END", x=column)
    return v, k


class Relational:
    """The relational shape (every dialect)."""

    def __init__(self, mapping: Optional[Mapping] = None, leads_source=None, activities_source=None):
        self.mapping = mapping or Mapping()
        # sources: table names, or (for the dbt model and tests) any table expression
        self.leads_source = leads_source
        self.activities_source = activities_source

    def ctes(self, policy: nodes.Policy) -> list:
        m = self.mapping
        layout = Layout.of(policy)
        leads = _as_table(self.leads_source or _table(m.leads_table))
        acts = _as_table(self.activities_source or _table(m.activities_table))
        lead_col = lambda name: exp.column(ident(name), table=ident("lp_l"))  # noqa: E731
        act_col = lambda name: exp.column(ident(name), table=ident("lp_a"))  # noqa: E731
        order = lead_col(m.lead_order or m.id)
        stage_v, stage_k = _text(lead_col(m.stage))
        cols = [exp.alias_(frag("ROW_NUMBER() OVER (ORDER BY :o)", o=order), "lp_row"),
                exp.alias_(lit("o"), "lp_lead_k"), exp.alias_(lead_col(m.id), "lp_id"),
                exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar")), "lp_id_json"),
                exp.alias_(lit("o"), "lp_fields_k"), exp.alias_(lit("a"), "lp_acts_k"),
                exp.alias_(stage_v, "lp_stage_v"), exp.alias_(stage_k, "lp_stage_k")]
        for name in layout.fields:
            v, k = _text(lead_col(m.fields.get(name, name)))
            cols += [exp.alias_(v, layout.field_v(name)), exp.alias_(k, layout.field_k(name))]
        leads_query = exp.select(*cols).from_(exp.alias_(leads, "lp_l", table=True))
        type_v, type_k = _text(act_col(m.type))
        at_v, at_k = _text(act_col(m.at))
        act_order = act_col(m.order) if m.order else act_col(m.at)
        cols = [exp.column("lp_row", table="lp_k"),
                exp.alias_(frag("ROW_NUMBER() OVER (PARTITION BY lp_k.lp_row ORDER BY :o)", o=act_order), "lp_seq"),
                exp.alias_(lit("o"), "lp_item_k"),
                exp.alias_(type_v, "lp_type_v"), exp.alias_(type_k, "lp_type_k"),
                exp.alias_(at_v, "lp_at_v"), exp.alias_(at_k, "lp_at_k")]
        for name in layout.props:
            v, k = _text(act_col(m.props.get(name, name)))
            cols += [exp.alias_(v, layout.prop_v(name)), exp.alias_(k, layout.prop_k(name))]
        acts_query = exp.select(*cols).from_(exp.alias_(acts, "lp_a", table=True)).join(
            exp.alias_(exp.to_table("lp_raw_leads"), "lp_k", table=True),
            on=exp.EQ(this=act_col(m.lead_id), expression=exp.column("lp_id", table="lp_k")))
        return [("lp_raw_leads", leads_query), ("lp_raw_acts", acts_query)]


def _pointer(*parts: str) -> exp.Literal:
    """A JSON pointer (RFC 6901) to a key: names stay data whatever they hold."""
    return lit("".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts))


def _json_kind(x) -> exp.Expression:
    return frag("CASE json_type(:x) WHEN 'VARCHAR' THEN 's' WHEN 'BIGINT' THEN 'i' WHEN 'UBIGINT' THEN 'i'"
                " WHEN 'DOUBLE' THEN CASE WHEN regexp_full_match(CAST(:x AS VARCHAR), '-?[0-9]+') THEN 'i' ELSE 'f' END"
                " WHEN 'BOOLEAN' THEN 'b' WHEN 'ARRAY' THEN 'o' WHEN 'OBJECT' THEN 'o' ELSE 'n' END", x=x)


def _json_text(x) -> exp.Expression:
    return frag("CASE WHEN json_type(:x) = 'VARCHAR' THEN json_extract_string(:x, '$') ELSE CAST(:x AS VARCHAR) END", x=x)


class NestedJson:
    """The nested shape in DuckDB: a relation `source` with one JSON lead per row
    (columns lp_row and lp_json), as `read_ndjson_objects` gives it."""

    def __init__(self, source: exp.Expression):
        self.source = source

    def ctes(self, policy: nodes.Policy) -> list:
        layout = Layout.of(policy)
        j = exp.column("lp_json")
        # a line that is not JSON reads as an empty lead with lp_lead_k 'x' (a data error)
        checked = sqlglot.parse_one(
            "SELECT lp_row, CASE WHEN json_valid(lp_json) THEN lp_json END AS lp_json,"
            " CASE WHEN NOT json_valid(lp_json) THEN 'x' WHEN json_type(lp_json) = 'OBJECT' THEN 'o' ELSE 'v' END AS lp_lead_k"
            " FROM lp_src", read="duckdb")
        checked = checked.transform(lambda n: self.source.copy() if isinstance(n, exp.Table) and n.name == "lp_src" else n)
        source = exp.Subquery(this=checked, alias=exp.TableAlias(this=exp.to_identifier("lp_checked")))

        def at(*path):
            return exp.Anonymous(this="json_extract", expressions=[j.copy(), _pointer(*path)])

        # the id: a JSON string as its text, any other JSON value as its JSON text; lp_id_json keeps its JSON
        cols = [exp.column("lp_row"), exp.column("lp_lead_k"), exp.alias_(_json_text(at("id")), "lp_id"),
                exp.alias_(exp.Cast(this=at("id"), to=exp.DataType.build("varchar")), "lp_id_json"),
                exp.alias_(frag("CASE coalesce(json_type(:f), 'NULL') WHEN 'OBJECT' THEN 'o' WHEN 'NULL' THEN 'n' ELSE 'x' END",
                                f=at("fields")), "lp_fields_k"),
                exp.alias_(frag("CASE coalesce(json_type(:f), 'NULL') WHEN 'ARRAY' THEN 'a' WHEN 'NULL' THEN 'n' ELSE 'x' END",
                                f=at("activities")), "lp_acts_k"),
                exp.alias_(_json_text(at("stage")), "lp_stage_v"), exp.alias_(_json_kind(at("stage")), "lp_stage_k")]
        for name in layout.fields:
            x = frag("CASE WHEN json_type(:f) = 'OBJECT' THEN :x END", f=at("fields"), x=at("fields", name))
            cols += [exp.alias_(_json_text(x), layout.field_v(name)), exp.alias_(_json_kind(x), layout.field_k(name))]
        leads_query = exp.select(*cols).from_(source.copy())
        items = sqlglot.parse_one(
            "SELECT lp_row, UNNEST(json_extract(lp_a, '$[*]')) AS lp_item,"
            " UNNEST(generate_series(1, CAST(json_array_length(lp_a) AS BIGINT))) AS lp_seq"
            " FROM (SELECT lp_row, json_extract(lp_json, '$.activities') AS lp_a FROM lp_src"
            " WHERE json_type(lp_json, '$.activities') = 'ARRAY') AS lp_arrays", read="duckdb")
        items = items.transform(lambda n: source.copy() if isinstance(n, exp.Table) and n.name == "lp_src" else n)
        item = exp.column("lp_item")

        def get(name):
            return exp.Anonymous(this="json_extract", expressions=[item.copy(), _pointer(name)])

        cols = [exp.column("lp_row"), exp.column("lp_seq"),
                exp.alias_(frag("CASE WHEN json_type(lp_item) = 'OBJECT' THEN 'o' ELSE 'x' END"), "lp_item_k"),
                exp.alias_(_json_text(get("type")), "lp_type_v"), exp.alias_(_json_kind(get("type")), "lp_type_k"),
                exp.alias_(_json_text(get("at")), "lp_at_v"), exp.alias_(_json_kind(get("at")), "lp_at_k")]
        for name in layout.props:
            cols += [exp.alias_(_json_text(get(name)), layout.prop_v(name)), exp.alias_(_json_kind(get(name)), layout.prop_k(name))]
        acts_query = exp.select(*cols).from_(exp.Subquery(this=items, alias=exp.TableAlias(this=exp.to_identifier("lp_items"))))
        return [("lp_raw_leads", leads_query), ("lp_raw_acts", acts_query)]

