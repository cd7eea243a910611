"""Input shapes: what the query reads, as the two raw relations query.py expects.

`lp_raw_leads`: lp_row (the lead's position, the output order), lp_id,
lp_fields_k, lp_acts_k, lp_stage_v/k and lp_fv_N/lp_fk_N per declared field.
`lp_raw_acts`: lp_row, lp_seq (the activity's position in its lead: any type that sorts
in input order, DuckDB; its number elsewhere), lp_item_k,
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

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from leadpolicy.backends.sql.fragments import current_dialect, exp, frag, ident, lit, sqlglot
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
    fields: dict[str, str] = field(default_factory=dict)  # declared field name -> column
    props: dict[str, str] = field(default_factory=dict)   # declared property name -> column

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Mapping":
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown mapping keys: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        for key, value in data.items():
            optional = key in ("order", "lead_order")
            if key in ("fields", "props"):
                if not isinstance(value, dict):
                    raise ValueError(f"`{key}` maps each declared name to its column, a JSON object such as "
                                     f'{{"{key}": {{"email": "email_address"}}}}, not {json.dumps(value)}')
                for name, column in value.items():
                    if not isinstance(column, str) or not column.strip():
                        raise ValueError(f"`{key}`: the column of `{name}` must be a column name (text), "
                                         f"not {json.dumps(column)}")
            elif not (isinstance(value, str) and value.strip()) and not (optional and value is None):
                example = {"leads_table": "crm.leads", "activities_table": "crm.events", "id": "lead_key",
                           "stage": "lifecycle_stage", "lead_id": "contact_id", "type": "event_type",
                           "at": "occurred_at", "order": "event_seq", "lead_order": "created_at"}[key]
                raise ValueError(f"`{key}` must be a {'column' if 'table' not in key else 'table'} name (text), "
                                 f'not {json.dumps(value)}: e.g. "{key}": "{example}"'
                                 + (" or null" if optional else ""))
        return cls(**data)


def _table(name: str) -> exp.Table:
    """A table name; `a.b.c` names a table in a schema or catalog (each part quoted)."""
    parts = name.split(".")
    if len(parts) == 1:
        return exp.Table(this=ident(parts[0]))
    if len(parts) == 2:
        return exp.Table(this=ident(parts[1]), db=ident(parts[0]))
    return exp.Table(this=ident(parts[-1]), db=ident(parts[-2]), catalog=ident(".".join(parts[:-2])))


def _as_table(source: exp.Expr) -> exp.Expr:
    """A table function call (read_parquet(...)) as a FROM item that can take an alias."""
    if isinstance(source, (exp.Table, exp.Subquery)):
        return source
    return exp.Table(this=source)


def _text(column: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    v = exp.Cast(this=column, to=exp.DataType.build("varchar"))
    k = frag("CASE WHEN :x IS NULL THEN 'n' ELSE 's' END", x=column)
    return v, k


class Relational:
    """The relational shape (every dialect)."""

    def __init__(self, mapping: Optional[Mapping] = None, leads_source: Optional[exp.Expr] = None,
                 activities_source: Optional[exp.Expr] = None) -> None:
        self.mapping = mapping or Mapping()
        # sources: table names, or (for the dbt model and tests) any table expression
        self.leads_source = leads_source
        self.activities_source = activities_source

    def ctes(self, policy: nodes.Policy) -> list[tuple[str, exp.Select]]:
        m = self.mapping
        layout = Layout.of(policy)
        leads = _as_table(self.leads_source or _table(m.leads_table))
        acts = _as_table(self.activities_source or _table(m.activities_table))
        def lead_col(name: str) -> exp.Column:
            return exp.column(ident(name), table=ident("lp_l"))

        def act_col(name: str) -> exp.Column:
            return exp.column(ident(name), table=ident("lp_a"))

        order = lead_col(m.lead_order or m.id)
        stage_v, stage_k = _text(lead_col(m.stage))
        cols = [exp.alias_(frag("ROW_NUMBER() OVER (ORDER BY :o ASC)", o=order), "lp_row", copy=False),
                exp.alias_(lit("o"), "lp_lead_k", copy=False), exp.alias_(lead_col(m.id), "lp_id", copy=False),
                exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar")), "lp_id_json", copy=False),
                exp.alias_(lit("o"), "lp_fields_k", copy=False), exp.alias_(lit("a"), "lp_acts_k", copy=False),
                exp.alias_(stage_v, "lp_stage_v", copy=False), exp.alias_(stage_k, "lp_stage_k", copy=False)]
        for name in layout.fields:
            v, k = _text(lead_col(m.fields.get(name, name)))
            cols += [exp.alias_(v, layout.field_v(name), copy=False), exp.alias_(k, layout.field_k(name), copy=False)]
        leads_query = exp.select(*cols).from_(exp.alias_(leads, "lp_l", table=True, copy=False))
        type_v, type_k = _text(act_col(m.type))
        at_v, at_k = _text(act_col(m.at))
        act_order = act_col(m.order) if m.order else act_col(m.at)
        # DuckDB orders by the order column itself (query.py only sorts by lp_seq and takes
        # its least): numbering the activities first was a sort of the whole table
        seq = act_order if current_dialect() == "duckdb" else frag("ROW_NUMBER() OVER (PARTITION BY lp_k.lp_row ORDER BY :o ASC)", o=act_order)
        numbered, numbered_query = "lp_raw_leads", None
        if current_dialect() == "duckdb" and (m.lead_order or m.id) == m.id:
            # DuckDB: the activities find their lead's lp_row in a numbering of the ids alone
            # (docs/performance.md, "Session 8: the second core"). The window over every lead
            # column is a sort no second thread shares (80 ms for 100,000 leads, 15 ms for the
            # ids alone) and the activities, the query's parallel bulk, waited for it; now it
            # runs beside them. The same ORDER BY over the same rows: equal ids get the same
            # range of numbers in both windows, and each activity joins every lead of its id,
            # so each lead still gets all of them. (Another order column could tie different
            # ids: those keep the join to lp_raw_leads.)
            numbered = "lp_lead_rows"
            numbered_query = exp.select(exp.alias_(lead_col(m.id), "lp_id", copy=False),
                                        exp.alias_(frag("ROW_NUMBER() OVER (ORDER BY :o ASC)", o=order.copy()), "lp_row", copy=False)
                                        ).from_(exp.alias_(leads.copy(), "lp_l", table=True, copy=False), copy=False)
        cols = [exp.column("lp_row", table="lp_k"),
                exp.alias_(seq, "lp_seq", copy=False),
                exp.alias_(lit("o"), "lp_item_k", copy=False),
                exp.alias_(type_v, "lp_type_v", copy=False), exp.alias_(type_k, "lp_type_k", copy=False),
                exp.alias_(at_v, "lp_at_v", copy=False), exp.alias_(at_k, "lp_at_k", copy=False)]
        for name in layout.props:
            v, k = _text(act_col(m.props.get(name, name)))
            cols += [exp.alias_(v, layout.prop_v(name), copy=False), exp.alias_(k, layout.prop_k(name), copy=False)]
        acts_query = exp.select(*cols).from_(exp.alias_(acts, "lp_a", table=True, copy=False)).join(
            exp.alias_(exp.to_table(numbered), "lp_k", table=True, copy=False),
            on=exp.EQ(this=act_col(m.lead_id), expression=exp.column("lp_id", table="lp_k")), copy=False)
        ctes: list[tuple[str, exp.Select]] = [("lp_raw_leads", leads_query)]
        if numbered_query is not None:
            ctes.append((numbered, numbered_query))
        return ctes + [("lp_raw_acts", acts_query)]


def _pointer(*parts: str) -> exp.Literal:
    """A JSON pointer (RFC 6901) to a key: names stay data whatever they hold."""
    return lit("".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts))


def _json_kind(text: exp.Expr) -> exp.Expr:
    """The JSON kind (reading.py) of a value from its JSON text, as DuckDB's json_extract
    writes it (minified, by yyjson): its first character says which (SQL NULL: the key is
    missing); a number written as a whole number is an integer, as Python reads it (a
    BIGINT, UBIGINT or larger integer: digits; 1.0, 1e5, 1E400: not). Strings first: most
    values are strings, and each WHEN only reads the rows the ones before it left."""
    return frag("CASE WHEN :t IS NULL THEN 'n' WHEN prefix(:t, '\"') THEN 's' ELSE CASE left(:t, 1) WHEN '{' THEN 'o' WHEN '[' THEN 'o'"
                " WHEN 't' THEN 'b' WHEN 'f' THEN 'b' WHEN 'n' THEN 'n'"
                " ELSE CASE WHEN regexp_full_match(:t, '-?[0-9]+') THEN 'i' ELSE 'f' END END END", t=text)


def _json_text(text: exp.Expr, null: bool = True) -> exp.Expr:
    """A value's text from its JSON text, as json_extract_string gives it: a string's own
    text (the characters between the quotes, unless an escape is written there:
    json_extract_string then), else its JSON text. `null`: a JSON null reads as the text
    `null` (the lead's id and stage, as before), else as SQL NULL (fields and properties)."""
    return frag("CASE WHEN :t IS NULL THEN NULL WHEN prefix(:t, '\"') AND strpos(:t, chr(92)) = 0 THEN substring(:t, 2, length(:t) - 2)"
                + ("" if null else " WHEN :t = 'null' THEN NULL")
                + " WHEN prefix(:t, '\"') THEN json_extract_string(:t, '$') ELSE :t END", t=text)


def _varchar(x: exp.Expr) -> exp.Expr:
    return exp.Cast(this=x, to=exp.DataType.build("varchar"))


def _nth(values: exp.Expr, index: int) -> exp.Expr:
    return exp.Anonymous(this="list_extract", expressions=[values, exp.Literal.number(index)])


def _pointers(names: Iterable[str]) -> exp.Expr:
    return exp.Array(expressions=[_pointer(name) for name in names])


class NestedJson:
    """The nested shape in DuckDB: a relation `source` with one JSON lead per row
    (columns lp_row and lp_json), as `read_ndjson_objects` gives it.

    Each JSON text is parsed as few times as it can be: json_extract and json_type take a
    list of paths and read the text once for all of them. The fields object and each
    activity are parsed once, by one json_extract of all their values: each value's kind
    and text are then read from its JSON text (_json_kind, _json_text), not by parsing it
    again with json_type and json_extract_string (the activities' second parse was a
    fifth of the query's time)."""

    def __init__(self, source: exp.Expr) -> None:
        self.source = source

    def ctes(self, policy: nodes.Policy) -> list[tuple[str, exp.Select]]:
        layout = Layout.of(policy)
        # a line that is not JSON reads as an empty lead with lp_lead_k 'x' (a data error)
        # (the line's type and its activities' in one parse: the activities are not extracted
        # here, only their kind, lp_acts_k)
        checked = sqlglot.parse_one(
            "SELECT lp_row, lp_json, CASE WHEN lp_types IS NULL THEN 'x' WHEN lp_types[1] = 'OBJECT' THEN 'o' ELSE 'v' END"
            " AS lp_lead_k, lp_types[2] AS lp_acts_t"
            " FROM (SELECT lp_row, CASE WHEN json_valid(lp_json) THEN lp_json END AS lp_json,"
            " CASE WHEN json_valid(lp_json) THEN json_type(lp_json, ['$', '/activities']) END AS lp_types FROM lp_src) AS lp_typed",
            read="duckdb")
        checked = checked.transform(lambda n: self.source.copy() if isinstance(n, exp.Table) and n.name == "lp_src" else n)
        source = exp.Subquery(this=checked, alias=exp.TableAlias(this=exp.to_identifier("lp_checked")))

        # the lead: its line parsed once for the three keys, its fields object once for every
        # field; each value comes as its JSON text, whose first character is its kind
        top = exp.Anonymous(this="json_extract", expressions=[exp.column("lp_json"), _pointers(("id", "fields", "stage"))])
        parts = exp.select(exp.column("lp_row"), exp.column("lp_lead_k"), exp.column("lp_acts_t"),
                           exp.alias_(top, "lp_parts", copy=False)).from_(source.copy(), copy=False)
        texts = exp.select(exp.column("lp_row"), exp.column("lp_lead_k"), exp.column("lp_acts_t"),
                           *(exp.alias_(_varchar(_nth(exp.column("lp_parts"), i)), name, copy=False)
                             for i, name in enumerate(("lp_id_j", "lp_fields_j", "lp_stage_j"), 1))).from_(
            exp.Subquery(this=parts, alias=exp.TableAlias(this=exp.to_identifier("lp_parts"))), copy=False)
        lead_id, fields, stage = exp.column("lp_id_j"), exp.column("lp_fields_j"), exp.column("lp_stage_j")
        fields_k = frag("CASE WHEN :f IS NULL THEN 'n' ELSE CASE left(:f, 1) WHEN '{' THEN 'o' WHEN 'n' THEN 'n' ELSE 'x' END END", f=fields)
        field_values = frag("CASE WHEN left(:f, 1) = '{' THEN json_extract(:f, :p) END", f=fields, p=_pointers(layout.fields))
        acts_k = frag("CASE coalesce(lp_acts_t, 'NULL') WHEN 'NULL' THEN 'n' WHEN 'ARRAY' THEN 'a' ELSE 'x' END")
        parsed = exp.select(exp.Star(), exp.alias_(field_values if layout.fields else exp.Null(), "lp_fjs", copy=False)).from_(
            exp.Subquery(this=texts, alias=exp.TableAlias(this=exp.to_identifier("lp_texts"))), copy=False)
        values = exp.select(
            exp.column("lp_row"), exp.column("lp_lead_k"),
            exp.alias_(_json_text(lead_id), "lp_id", copy=False),  # a JSON string as its text, else its JSON text
            exp.alias_(lead_id, "lp_id_json", copy=False),
            exp.alias_(fields_k, "lp_fields_k", copy=False),
            exp.alias_(acts_k, "lp_acts_k", copy=False),
            exp.alias_(_json_text(stage), "lp_stage_v", copy=False), exp.alias_(_json_kind(stage), "lp_stage_k", copy=False),
            *(exp.alias_(_varchar(_nth(exp.column("lp_fjs"), index)), f"lp_fj_{index}", copy=False)
              for index in range(1, len(layout.fields) + 1)),
        ).from_(exp.Subquery(this=parsed, alias=exp.TableAlias(this=exp.to_identifier("lp_parsed"))), copy=False)
        cols: list[exp.Expr] = [exp.column(n) for n in ("lp_row", "lp_lead_k", "lp_id", "lp_id_json", "lp_fields_k", "lp_acts_k", "lp_stage_v", "lp_stage_k")]
        for index, name in enumerate(layout.fields, 1):
            text = exp.column(f"lp_fj_{index}")
            cols += [exp.alias_(_json_text(text, null=False), layout.field_v(name), copy=False),
                     exp.alias_(_json_kind(text), layout.field_k(name), copy=False)]
        leads_query = exp.select(*cols).from_(exp.Subquery(this=values, alias=exp.TableAlias(this=exp.to_identifier("lp_fields"))),
                                              copy=False)

        # the activities: the array unnested once; each activity parsed once for all its values
        # (`$.activities[*]`: the first `activities` key's items, none when it is no array; a line
        # parsed once for them, and once more to check it is JSON: not the lead checks' four times).
        # json_extract writes each item minified, so its first character says whether it is an object
        items = sqlglot.parse_one(
            "SELECT lp_row, UNNEST(lp_list) AS lp_item, UNNEST(range(1, len(lp_list) + 1)) AS lp_seq"
            " FROM (SELECT lp_row, CASE WHEN json_valid(lp_json) THEN json_extract(lp_json, '$.activities[*]') END AS lp_list"
            " FROM lp_src) AS lp_lists", read="duckdb")
        items = items.transform(lambda n: self.source.copy() if isinstance(n, exp.Table) and n.name == "lp_src" else n)
        names = ("type", "at", *layout.props)
        read = exp.select(exp.column("lp_row"), exp.column("lp_seq"),
                          exp.alias_(frag("CASE WHEN prefix(CAST(lp_item AS VARCHAR), '{') THEN 'o' ELSE 'x' END"), "lp_item_k", copy=False),
                          exp.alias_(exp.Anonymous(this="json_extract", expressions=[exp.column("lp_item"), _pointers(names)]),
                                     "lp_ijs", copy=False)).from_(
            exp.Subquery(this=items, alias=exp.TableAlias(this=exp.to_identifier("lp_items"))), copy=False)
        split = exp.select(exp.column("lp_row"), exp.column("lp_seq"), exp.column("lp_item_k"),
                           *(exp.alias_(_varchar(_nth(exp.column("lp_ijs"), index)), f"lp_ij_{index}", copy=False)
                             for index in range(1, len(names) + 1))).from_(
            exp.Subquery(this=read, alias=exp.TableAlias(this=exp.to_identifier("lp_read"))), copy=False)

        def value(index: int, v_name: str, k_name: str) -> list[exp.Expr]:
            text = exp.column(f"lp_ij_{index}")
            return [exp.alias_(_json_text(text, null=False), v_name, copy=False), exp.alias_(_json_kind(text), k_name, copy=False)]

        cols = [exp.column("lp_row"), exp.column("lp_seq"), exp.column("lp_item_k"),
                *value(1, "lp_type_v", "lp_type_k"), *value(2, "lp_at_v", "lp_at_k")]
        for index, name in enumerate(layout.props, 3):
            cols += value(index, layout.prop_v(name), layout.prop_k(name))
        acts_query = exp.select(*cols).from_(exp.Subquery(this=split, alias=exp.TableAlias(this=exp.to_identifier("lp_split"))), copy=False)
        return [("lp_raw_leads", leads_query), ("lp_raw_acts", acts_query)]

