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
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union

from leadpolicy.backends.sql import reading
from leadpolicy.backends.sql.fragments import current_dialect, exp, frag, ident, lit, sqlglot
from leadpolicy.backends.sql.query import Layout, typed_name
from leadpolicy.syntax import nodes

__all__ = ["Relational", "NestedJson", "Mapping"]


@dataclass
class Mapping:
    """Table and column names of the relational shape (all optional; defaults shown)."""

    leads_table: str = "leads"
    activities_table: str = "activities"
    id: str = "id"
    stage: Optional[str] = "stage"  # the previous stage (None: no such column, every lead is new)
    lead_id: str = "lead_id"        # in the activities table
    type: str = "type"
    at: str = "at"
    order: Optional[str] = None     # activities: the input order (default: by `at` as written)
    lead_order: Optional[str] = None  # leads: the output order (default: by id)
    # declared field / property name -> column; None: the table has no such column, and
    # every value of it is missing (as a key absent from every JSON lead)
    fields: dict[str, Optional[str]] = field(default_factory=dict)
    props: dict[str, Optional[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, value: "Union[Mapping, dict[str, Any], None]") -> "Mapping":
        """A mapping given as a Mapping, a dict (checked by from_dict) or None (the defaults)."""
        if value is None:
            return cls()
        return value if isinstance(value, Mapping) else cls.from_dict(value)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Mapping":
        if not isinstance(data, dict):
            raise ValueError("a mapping is a JSON object of names (keys: leads_table, activities_table, id, stage, "
                             f"lead_id, type, at, order, lead_order, fields, props), not {type(data).__name__} "
                             f"{json.dumps(data, default=repr)[:60]}")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            from leadpolicy.check.base import suggest

            # a misspelt key (`leads_tabel`, `feilds`): said with the key it stands for, as a policy's names are
            said = [key + (f" (did you mean `{guess}`?)" if (guess := suggest(key, sorted(known))) else "")
                    for key in sorted(unknown)]
            raise ValueError(f"unknown mapping keys: {', '.join(said)} (known: {', '.join(sorted(known))})")
        for key, value in data.items():
            optional = key in ("order", "lead_order", "stage")
            if key in ("fields", "props"):
                if not isinstance(value, dict):
                    raise ValueError(f"`{key}` maps each declared name to its column, a JSON object such as "
                                     f'{{"{key}": {{"email": "email_address"}}}}, not {json.dumps(value)}')
                for name, column in value.items():
                    if column is not None and (not isinstance(column, str) or not column.strip()):
                        raise ValueError(f"`{key}`: the column of `{name}` must be a column name (text), or null "
                                         f"for a table without one, not {json.dumps(column)}")
                    _no_control(column, f"`{key}`: the column of `{name}`")
            elif not (isinstance(value, str) and value.strip()) and not (optional and value is None):
                example = {"leads_table": "crm.leads", "activities_table": "crm.events", "id": "lead_key",
                           "stage": "lifecycle_stage", "lead_id": "contact_id", "type": "event_type",
                           "at": "occurred_at", "order": "event_seq", "lead_order": "created_at"}[key]
                raise ValueError(f"`{key}` must be a {'column' if 'table' not in key else 'table'} name (text), "
                                 f'not {json.dumps(value)}: e.g. "{key}": "{example}"'
                                 + (" or null" if optional else ""))
            else:
                _no_control(value, f"`{key}`")
        return cls(**data)


# A control character in a name: no dialect's quoted identifier can spell it otherwise than as itself
# (DuckDB, PostgreSQL, Spark, Snowflake), PostgreSQL cannot hold a NUL at all (its query was refused
# as if the policy held one), and a query file read with universal newlines turns a \r into \n
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _no_control(name: Any, what: str) -> None:
    found = _CONTROL.search(name) if isinstance(name, str) else None
    if found:
        raise ValueError(f"{what} holds a control character ({ascii(found.group())[1:-1]}): a query cannot name a "
                         f"column or table with one; rename it, e.g. {json.dumps(_CONTROL.sub('_', name))}")


def undeclared_names(policy: nodes.Policy, mapping: Optional[dict[str, Any]]) -> list[str]:
    """What to say of the mapping's `fields` and `props` keys that the policy does not declare:
    such an entry is never read (a misspelt `company_sise` leaves `company_size` read from its
    own name, or said missing as if the mapping had not named it)."""
    from leadpolicy.check.base import suggest

    m = Mapping.from_dict(mapping or {})
    declared = {"fields": [f.name for f in policy.fields],
                "props": list(dict.fromkeys(p.name for decl in policy.activities for p in decl.props))}
    said = []
    for section, names in (("fields", m.fields), ("props", m.props)):
        for name in names:
            if name not in declared[section]:
                close = suggest(name, declared[section])
                what = "field" if section == "fields" else "property"
                said.append(f"the mapping's `{section}` names `{name}`, which is no declared {what} of the policy, and is "
                            f"ignored" + (f": did you mean `{close}`?" if close else ""))
    return said


def needed_columns(policy: nodes.Policy, mapping: Optional[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The columns the relational shape's query reads: of the leads table, of the activities table."""
    m = Mapping.from_dict(mapping or {})
    layout = Layout.of(policy)
    leads = [m.id, m.stage, m.lead_order] + [m.fields.get(name, name) for name in layout.fields]
    acts = [m.lead_id, m.type, m.at, m.order] + [m.props.get(name, name) for name in layout.props]
    return [c for c in dict.fromkeys(leads) if c is not None], [c for c in dict.fromkeys(acts) if c is not None]


def absent_columns(policy: nodes.Policy, mapping: Optional[dict[str, Any]],
                   have: tuple[Optional[set[str]], Optional[set[str]]]) -> list[tuple[bool, str]]:
    """The columns the query reads that the tables lack, compared without case (as DuckDB and
    Spark match names): (of the leads table?, column) each. `have`: each table's column
    names in lower case, or None where the table could not be read (it adds none)."""
    missing: list[tuple[bool, str]] = []
    for of_leads, needed, names in zip((True, False), needed_columns(policy, mapping), have):
        if names is not None:
            missing += [(of_leads, c) for c in needed if c.lower() not in names]
    return missing


def missing_columns(tables: tuple[str, str], missing: list[tuple[bool, str]], mapping: Optional[dict[str, Any]],
                    python: bool = False) -> str:
    """What to say when the tables of the relational shape lack columns the query reads
    (`missing`: (of the leads table?, column) each): which, and the mapping that fixes them,
    in the user's names (`python`: as score_duckdb's `mapping=` argument, else as --mapping FILE)."""
    m = Mapping.from_dict(mapping or {})
    said: list[str] = []
    fix: dict[str, Any] = {}
    for leads in (True, False):
        columns = [column for of_leads, column in missing if of_leads == leads]
        if not columns:
            continue
        s = "s" if len(columns) > 1 else ""
        said.append(f"{tables[0] if leads else tables[1]} has no column{s} " + ", ".join(f"`{c}`" for c in columns))
        structural = ({m.id: "id", m.stage: "stage", m.lead_order: "lead_order"} if leads
                      else {m.lead_id: "lead_id", m.type: "type", m.at: "at", m.order: "order"})
        section = "fields" if leads else "props"
        for column in columns:
            if column in structural:
                fix[structural[column]] = "your_column"
            else:
                declared = next((name for name, col in (m.fields if leads else m.props).items() if col == column), column)
                fix.setdefault(section, {})[declared] = None
    how = ("name the column that holds each one in a mapping, or map it to null where the table has none (its value "
           "is then missing in every row" + ("; with no stage column every lead is new" if "stage" in fix else "") + ")")
    required = [f"`{key}`" for key in fix if key in ("id", "lead_id", "type", "at")]  # never null (docs/sql.md)
    if required and len(required) == len(fix):
        how = (f"name the column that holds {'each one' if len(required) > 1 else 'it'} in a mapping (the query cannot "
               "decide a lead without it)")
    elif required:
        how += f"; {', '.join(required)} cannot be null: the query cannot decide a lead without it"
    if python:
        fixed = f"add to mapping= {fix!r}" if mapping else f"mapping={fix!r}"
    else:
        fixed = f"add to the mapping {json.dumps(fix)}" if mapping else f"--mapping FILE with {json.dumps(fix)}"
    return (f"{'; '.join(said)}: the relational shape reads one column per declared field (leads) and property "
            f"(activities); {how}: {fixed} (docs/sql.md, \"Names: the mapping\")")


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


def _text(column: Optional[exp.Expr]) -> tuple[exp.Expr, exp.Expr]:
    """A cell as its text and kind; no column (mapped to null): missing in every row."""
    if column is None:
        return exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar")), lit("n")
    v = exp.Cast(this=column, to=exp.DataType.build("varchar"))
    k = frag("CASE WHEN :x IS NULL THEN 'n' ELSE 's' END", x=column)
    return v, k


def _typed(column: exp.Expr, reading: tuple[exp.Expr, exp.Expr, exp.Expr]) -> tuple[exp.Expr, exp.Expr, exp.Expr]:
    """A typed cell (reading.typed_reading): its text only where its value is not read, its
    kind ('y' where it is) and the value read."""
    fast, value, text = reading
    v = frag("CASE WHEN NOT :f THEN :t END", f=fast, t=text)
    k = frag("CASE WHEN :x IS NULL THEN 'n' WHEN :f THEN 'y' ELSE 's' END", x=column, f=fast)
    return v, k, frag("CASE WHEN :f THEN :y END", f=fast, y=value)


def _single_kinds(policy: nodes.Policy) -> dict[str, str]:
    """Each property name declared with one kind in every activity type: that kind."""
    kinds: dict[str, set[str]] = {}
    for decl in policy.activities:
        for prop in decl.props:
            kinds.setdefault(prop.name, set()).add(prop.type.kind)
    return {name: next(iter(k)) for name, k in kinds.items() if len(k) == 1}


class Relational:
    """The relational shape (every dialect)."""

    def __init__(self, mapping: Optional[Mapping] = None, leads_source: Optional[exp.Expr] = None,
                 activities_source: Optional[exp.Expr] = None,
                 column_types: Optional[tuple[dict[str, str], dict[str, str]]] = None) -> None:
        self.mapping = mapping or Mapping()
        # sources: table names, or (for the dbt model and tests) any table expression
        self.leads_source = leads_source
        self.activities_source = activities_source
        # DuckDB's type of each column of the leads and the activities (lower-case names), where
        # the engine knows them: cells of some types are read from their values (reading.typed_reading)
        self.column_types = column_types

    def _reading(self, table: int, column: Optional[str], kind: Optional[str], cell: Optional[exp.Expr]
                 ) -> Optional[tuple[exp.Expr, exp.Expr, exp.Expr]]:
        """reading.typed_reading of the column `column` (its expression `cell`) of the leads
        (table 0) or the activities (1), read as `kind`; None: read as its text."""
        if self.column_types is None or column is None or cell is None or kind is None or current_dialect() != "duckdb":
            return None
        sql_type = self.column_types[table].get(column.lower())
        return None if sql_type is None else reading.typed_reading(kind, sql_type, cell)

    def _cells(self, policy: nodes.Policy) -> list[tuple[str, int, Optional[str], Optional[str]]]:
        """Each declared value's raw text column, table, mapped column and kind (None: read
        as several kinds, by activity type)."""
        m = self.mapping
        layout = Layout.of(policy)
        kinds: dict[str, str] = {d.name: d.type.kind for d in policy.fields}
        prop_kinds = _single_kinds(policy)
        cells: list[tuple[str, int, Optional[str], Optional[str]]] = [
            (layout.field_v(name), 0, m.fields.get(name, name), kinds[name]) for name in layout.fields]
        cells.append(("lp_at_v", 1, m.at, "date"))
        return cells + [(layout.prop_v(name), 1, m.props.get(name, name), prop_kinds.get(name)) for name in layout.props]

    def typed_columns(self, policy: nodes.Policy) -> frozenset[str]:
        """The raw text columns (lp_fv_0, lp_at_v ...) with a typed value beside them (typed_name)."""
        return frozenset(v_name for v_name, table, column, kind in self._cells(policy)
                         if column is not None and self._reading(table, column, kind, exp.column(column)) is not None)

    def ctes(self, policy: nodes.Policy) -> list[tuple[str, exp.Select]]:
        m = self.mapping
        layout = Layout.of(policy)
        leads = _as_table(self.leads_source or _table(m.leads_table))
        acts = _as_table(self.activities_source or _table(m.activities_table))
        def lead_col(name: str) -> exp.Column:
            return exp.column(ident(name), table=ident("lp_l"))

        def act_col(name: str) -> exp.Column:
            return exp.column(ident(name), table=ident("lp_a"))

        def mapped(col: Callable[[str], exp.Column], name: Optional[str]) -> Optional[exp.Column]:
            return None if name is None else col(name)

        kinds = {v_name: kind for v_name, _, _, kind in self._cells(policy)}

        def cell(table: int, column: Optional[str], v_name: str, k_name: str) -> list[exp.Expr]:
            """The raw columns of one declared value: its text and kind, and its typed value where read so."""
            expression = mapped(lead_col if table == 0 else act_col, column)
            typed = self._reading(table, column, kinds[v_name], expression)
            if expression is None or typed is None:
                v, k = _text(expression)
                return [exp.alias_(v, v_name, copy=False), exp.alias_(k, k_name, copy=False)]
            v, k, y = _typed(expression, typed)
            return [exp.alias_(v, v_name, copy=False), exp.alias_(k, k_name, copy=False),
                    exp.alias_(y, typed_name(v_name), copy=False)]

        order = lead_col(m.lead_order or m.id)
        stage_v, stage_k = _text(mapped(lead_col, m.stage))
        cols = [exp.alias_(frag("ROW_NUMBER() OVER (ORDER BY :o ASC)", o=order), "lp_row", copy=False),
                exp.alias_(lit("o"), "lp_lead_k", copy=False), exp.alias_(lead_col(m.id), "lp_id", copy=False),
                exp.alias_(exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar")), "lp_id_json", copy=False),
                exp.alias_(lit("o"), "lp_fields_k", copy=False), exp.alias_(lit("a"), "lp_acts_k", copy=False),
                exp.alias_(stage_v, "lp_stage_v", copy=False), exp.alias_(stage_k, "lp_stage_k", copy=False)]
        for name in layout.fields:
            cols += cell(0, m.fields.get(name, name), layout.field_v(name), layout.field_k(name))
        leads_query = exp.select(*cols).from_(exp.alias_(leads, "lp_l", table=True, copy=False))
        type_v, type_k = _text(act_col(m.type))
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
                *cell(1, m.at, "lp_at_v", "lp_at_k")]
        for name in layout.props:
            cols += cell(1, m.props.get(name, name), layout.prop_v(name), layout.prop_k(name))
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


# What DuckDB's JSON reader takes and Python's refuses: a comma before a closing bracket
# (`[1, ]`, `{"a": 1,}`) and NaN or infinity spelled otherwise than `NaN`, `Infinity` and
# `-Infinity` (`nan`, `-NaN`, `inf`, `INFINITY`...). `_OUTSIDE` matches from the start of a
# line over whole strings (escapes included), so what follows it is outside any string.
_WHITESPACE = "[ \t\r\n]*"
_OUTSIDE = r'^(?:[^"]|"(?:[^"\\]|\\.)*")*'
# Cheap tests of every line, each starting with one character RE2 skips to (a pattern that
# starts with a set of characters was six times slower): no match, nothing to look at.
_NON_FINITE_START = "-?[nNiI][^u]"  # (not `null`)
_MAYBE_LENIENT = ("," + _WHITESPACE + "(?:[]}]|" + _NON_FINITE_START + ")", ":" + _WHITESPACE + _NON_FINITE_START,
                  "[[]" + _WHITESPACE + _NON_FINITE_START, "^" + _WHITESPACE + _NON_FINITE_START)
_TRAILING_COMMA = _OUTSIDE + "," + _WHITESPACE + "[]}]"
_PYTHON_NON_FINITE = "((?:^|[,:[])" + _WHITESPACE + ")(?:NaN|Infinity|-Infinity)"  # replaced by null, then:
_OTHER_NON_FINITE = _OUTSIDE + "(?:^|[,:[])" + _WHITESPACE + "-?(?i:nan|inf)"


def _pattern(text: str) -> exp.Expr:
    """A DuckDB string of `text`: backslashes and control characters as CHR(), whatever the
    generator would make of them in a literal."""
    parts: list[exp.Expr] = []
    for piece in re.split(r"([\\\t\r\n])", text):
        if piece:
            parts.append(frag(f"CHR({ord(piece)})") if piece in "\\\t\r\n" else lit(piece))
    expr = parts[0]
    for part in parts[1:]:
        expr = exp.DPipe(this=expr, expression=part)
    return expr


def _lenient_json(line: exp.Expr) -> exp.Expr:
    """True when `line` is JSON only to DuckDB's reader (a trailing comma, another spelling of NaN
    or infinity outside a string): Python's reader refuses it, so the line is not JSON."""
    # (REGEXP_REPLACE as written: sqlglot reads its fourth argument, DuckDB's options, as a position)
    replaced = exp.Anonymous(this="REGEXP_REPLACE", expressions=[line, _pattern(_PYTHON_NON_FINITE), _pattern("\\1null"), lit("g")])
    maybe = exp.or_(*(frag("REGEXP_MATCHES(:l, :p)", l=line, p=_pattern(pattern)) for pattern in _MAYBE_LENIENT))
    return frag("CASE WHEN :maybe THEN REGEXP_MATCHES(:l, :trailing) OR REGEXP_MATCHES(:replaced, :other) ELSE FALSE END",
                maybe=maybe, l=line, trailing=_pattern(_TRAILING_COMMA), replaced=replaced, other=_pattern(_OTHER_NON_FINITE))


class NestedJson:
    """The nested shape in DuckDB: a relation `source` with one JSON lead per row
    (columns lp_row and lp_json), as `read_ndjson_objects` gives it.

    Each JSON text is parsed as few times as it can be: a line once for the lead (from_json,
    _leads) and once for its activities, and each activity once, by one json_extract of all
    its values (json_extract takes a list of paths): each value's kind
    and text are then read from its JSON text (_json_kind, _json_text), not by parsing it
    again with json_type and json_extract_string (the activities' second parse was a
    fifth of the query's time)."""

    def __init__(self, source: exp.Expr) -> None:
        self.source = source

    def ctes(self, policy: nodes.Policy) -> list[tuple[str, exp.Select]]:
        layout = Layout.of(policy)
        leads_query = self._leads(layout)

        # the activities: the array unnested once; each activity parsed once for all its values
        # (`$.activities[*]`: the first `activities` key's items, none when it is no array; a line
        # parsed once for them, TRY: none when it is not JSON, as the lead's reading says it is not).
        # json_extract writes each item minified, so its first character says whether it is an object
        items = self._over_lines(
            "SELECT lp_row, UNNEST(lp_list) AS lp_item, UNNEST(range(1, len(lp_list) + 1)) AS lp_seq"
            " FROM (SELECT lp_row, TRY(json_extract(lp_json, '$.activities[*]')) AS lp_list"
            " FROM lp_src) AS lp_lists")
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

    def _leads(self, layout: Layout) -> exp.Select:
        """The leads, each line parsed once: from_json into its keys and declared fields, each
        value as its JSON text (TRY: NULL when the line is not JSON). from_json reads a JSON
        null as a missing key, a `fields` that is no object as an object of none of them, and a
        non-array `activities` as none: on the few lines where that matters (no id, no field
        value, no activities array, not an object) json_type and json_extract read the kinds
        again. (Three parses of every line and one more of its fields object before: a tenth
        of the query's time from JSON Lines.) The structure names each declared field: the
        checker keeps names ASCII identifiers that differ by more than case, as DuckDB's JSON
        structures need."""
        structure = {"id": "JSON", "stage": "JSON", "fields": {name: "JSON" for name in layout.fields} if layout.fields else "JSON",
                     "activities": ["BOOLEAN"]}  # a list of NULLs: an array, read without writing its items
        top = exp.select(exp.column("lp_row"), exp.column("lp_json"),
                         exp.alias_(frag("TRY(FROM_JSON(lp_json, :s))", s=lit(json.dumps(structure))), "lp_s", copy=False),
                         exp.alias_(_lenient_json(exp.column("lp_json")), "lp_lenient", copy=False),
                         ).from_(self._source("lp_src_t"), copy=False)
        # a line that is not JSON reads as an empty lead with lp_lead_k 'x' (a data error), a JSON
        # value other than an object 'v'. TRY gave NULL for no object that is JSON in any test: one
        # would fail the query loudly rather than read as something else
        lead_k = frag("CASE WHEN lp_s IS NOT NULL AND PREFIX(lp_json, '{') AND NOT lp_lenient THEN 'o'"
                      " WHEN NOT COALESCE(JSON_VALID(lp_json), FALSE) OR lp_lenient THEN 'x' WHEN JSON_TYPE(lp_json) <> 'OBJECT' THEN 'v'"
                      " WHEN lp_s IS NOT NULL THEN 'o'"
                      " ELSE ERROR('leadpolicy: DuckDB could not read the JSON object of line ' || CAST(lp_row AS TEXT)"
                      " || '; score it with --engine python') END")
        kinds = exp.select(exp.column("lp_row"), exp.column("lp_json"), exp.column("lp_s"),
                           exp.alias_(lead_k, "lp_lead_k", copy=False)).from_(
            exp.Subquery(this=top, alias=exp.TableAlias(this=exp.to_identifier("lp_top"))), copy=False)

        def key(*path: str) -> exp.Expr:
            value: exp.Expr = exp.column("lp_s")
            for name in path:
                value = exp.Anonymous(this="STRUCT_EXTRACT", expressions=[value, lit(name)])
            return _varchar(value)

        def json_type(name: str) -> exp.Expr:  # (Anonymous: sqlglot would read a pointer as a JSONPath)
            return exp.Anonymous(this="JSON_TYPE", expressions=[exp.column("lp_json"), _pointer(name)])

        extracted_id = _varchar(exp.Anonymous(this="JSON_EXTRACT", expressions=[exp.column("lp_json"), _pointer("id")]))
        # a JSON null id keeps its JSON text `null` (from_json reads it as no id)
        lead_id = frag("CASE WHEN :id IS NOT NULL THEN :id WHEN lp_lead_k = 'o' THEN :extracted END", id=key("id"), extracted=extracted_id)
        if layout.fields:
            present = exp.or_(*(exp.Not(this=exp.Is(this=key("fields", name), expression=exp.Null())) for name in layout.fields))
            fields_k = frag("CASE WHEN STRUCT_EXTRACT(lp_s, 'fields') IS NULL THEN 'n' WHEN :present THEN 'o'"
                            " WHEN :type = 'OBJECT' THEN 'o' ELSE 'x' END", present=present, type=json_type("fields"))
        else:
            fields_k = frag("CASE WHEN :f IS NULL THEN 'n' WHEN LEFT(:f, 1) = '{' THEN 'o' ELSE 'x' END", f=key("fields"))
        acts_k = frag("CASE WHEN STRUCT_EXTRACT(lp_s, 'activities') IS NOT NULL THEN 'a' WHEN lp_lead_k <> 'o' THEN 'n'"
                      " ELSE CASE COALESCE(:type, 'NULL') WHEN 'NULL' THEN 'n' WHEN 'ARRAY' THEN 'a' ELSE 'x' END END",
                      type=json_type("activities"))
        texts = exp.select(exp.column("lp_row"), exp.column("lp_lead_k"), exp.alias_(lead_id, "lp_id_j", copy=False),
                           exp.alias_(fields_k, "lp_fields_k", copy=False), exp.alias_(acts_k, "lp_acts_k", copy=False),
                           exp.alias_(key("stage"), "lp_stage_j", copy=False),
                           *(exp.alias_(key("fields", name), f"lp_fj_{index}", copy=False) for index, name in enumerate(layout.fields, 1))
                           ).from_(exp.Subquery(this=kinds, alias=exp.TableAlias(this=exp.to_identifier("lp_kinds"))), copy=False)
        lead_id, stage = exp.column("lp_id_j"), exp.column("lp_stage_j")
        cols: list[exp.Expr] = [
            exp.column("lp_row"), exp.column("lp_lead_k"),
            exp.alias_(_json_text(lead_id), "lp_id", copy=False), exp.alias_(lead_id, "lp_id_json", copy=False),
            exp.column("lp_fields_k"), exp.column("lp_acts_k"),
            exp.alias_(_json_text(stage), "lp_stage_v", copy=False), exp.alias_(_json_kind(stage), "lp_stage_k", copy=False)]
        for index, name in enumerate(layout.fields, 1):
            text = exp.column(f"lp_fj_{index}")
            cols += [exp.alias_(_json_text(text, null=False), layout.field_v(name), copy=False),
                     exp.alias_(_json_kind(text), layout.field_k(name), copy=False)]
        return exp.select(*cols).from_(exp.Subquery(this=texts, alias=exp.TableAlias(this=exp.to_identifier("lp_texts"))), copy=False)

    def _source(self, alias: str) -> exp.Expr:
        """The lines relation (lp_row, lp_json) as a subquery named `alias`."""
        inner = self._over_lines("SELECT lp_row, lp_json FROM lp_src")
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias)))

    def _over_lines(self, sql: str) -> exp.Expr:
        """The DuckDB query `sql` with its table `lp_src` replaced by this shape's lines relation."""
        query = sqlglot.parse_one(sql, read="duckdb")
        return query.transform(lambda n: self.source.copy() if isinstance(n, exp.Table) and n.name == "lp_src" else n)


