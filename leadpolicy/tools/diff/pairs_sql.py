"""The statement that decides every lead under both versions at once: `lp_pairs`, one row per lead.

Each version's query (backends/sql/query.py) is a chain of CTEs over the input shape's
raw relations. The two chains are put in one WITH, and a CTE of the new version whose
text is the old one's (and whose inputs are shared too) is not repeated: when both
versions declare the same fields and activity types, as most changes do, reading the
lead and its activities (trimming, timestamps, types, properties) is done once, and
only the rules, scores and stages are computed twice. A shared CTE that both chains
read is MATERIALIZED (computed once, not inlined into each reader); other CTEs keep
their version's flag. The new chain's other CTEs are renamed `lpn_*`. When both read
the same activities, their per-lead aggregates (`lp_facts`) are one GROUP BY,
`lp_facts_both`, each distinct aggregate once, which each version's `lp_facts` renames.

The raw relations are made once, for the fields and properties either version declares
(the input read once: the first, MATERIALIZED CTEs `lp_shared_*`), and seen by each
version through `Projected`, which renames the union's columns to its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["pairs_statement", "Projected", "union_of", "SHARED", "PAIR_COLUMNS"]

SHARED = "lp_shared_"  # the input read once: lp_shared_lp_raw_leads, lp_shared_lp_raw_acts
PAIR_COLUMNS = ("stage", "grade", "engagement", "fit", "change", "previous_stage", "reason_kind", "reason_rule")
_NEW = "lpn_"
_FACTS = "lp_facts_both"  # both versions' per-lead aggregates, one GROUP BY (_merged_facts)


@dataclass(frozen=True)
class _Union:
    """Both versions' declarations as one policy for the input shapes (they read `fields` and `activities`)."""

    fields: tuple[Any, ...]
    activities: tuple[Any, ...]


def union_of(old_tree: Any, new_tree: Any) -> _Union:
    """The fields and activity types of either version (the old one's first), each name once."""
    fields = {f.name: f for tree in (new_tree, old_tree) for f in tree.fields}
    acts = {a.name: a for tree in (new_tree, old_tree) for a in tree.activities}
    order = list(dict.fromkeys([f.name for f in old_tree.fields] + [f.name for f in new_tree.fields]))
    act_order = list(dict.fromkeys([a.name for a in old_tree.activities] + [a.name for a in new_tree.activities]))
    # an activity type declared by both keeps the properties of both (the union's columns)
    merged = []
    for name in act_order:
        props = {p.name: p for tree in (old_tree, new_tree) for a in tree.activities if a.name == name for p in a.props}
        merged.append(_Activity(name, tuple(props.values())) if len(props) != len(acts[name].props) else acts[name])
    return _Union(tuple(fields[n] for n in order), tuple(merged))


@dataclass(frozen=True)
class _Activity:
    name: str
    props: tuple[Any, ...]


class Projected:
    """An input shape over the shared raw relations (`lp_shared_*`), each column renamed
    to the version's layout. query.Layout numbers fields and properties by position
    (`lp_f?_N`, `lp_p?_N`): such a column is renamed to the version's number, or left out
    when the version does not declare that name; every other column passes as it is.
    `columns`: each raw relation's columns, as the union's input shape makes them."""

    BASE = {"lp_raw_leads": ("lp_row", "lp_lead_k", "lp_id", "lp_id_json", "lp_fields_k", "lp_acts_k", "lp_stage_v", "lp_stage_k",
                             "lp_fv_*", "lp_fk_*"),
            "lp_raw_acts": ("lp_row", "lp_seq", "lp_item_k", "lp_type_v", "lp_type_k", "lp_at_v", "lp_at_k", "lp_pv_*", "lp_pk_*")}

    def __init__(self, union: Any, columns: "dict[str, list[str]] | None" = None) -> None:
        from leadpolicy.backends.sql.query import Layout

        self.layout = Layout.of(union)
        self.columns = columns or {}

    def _names(self, relation: str) -> list[str]:
        """The relation's columns (the union's input shape's, else the contract's), `lp_f?_*` spelled out."""
        given = self.columns.get(relation)
        if given and "*" not in given:
            return list(given)
        names: list[str] = []
        for name in self.BASE[relation]:
            if name.endswith("_*"):
                count = len(self.layout.fields if name.startswith("lp_f") else self.layout.props)
                names += [name[:-1] + str(i) for i in range(count)]
            else:
                names.append(name)
        return names

    def ctes(self, policy: Any) -> list[tuple[str, Any]]:
        import re

        from leadpolicy.backends.sql.fragments import exp, sqlglot
        from leadpolicy.backends.sql.query import Layout

        mine, union = Layout.of(policy), self.layout

        def renamed(column: str) -> "str | None":
            found = re.fullmatch(r"lp_([fp])([a-z])_([0-9]+)", column)
            if not found:
                return column
            kind, letter, at = found.group(1), found.group(2), int(found.group(3))
            names, own = (union.fields, mine.fields) if kind == "f" else (union.props, mine.props)
            if at >= len(names) or names[at] not in own:
                return None  # a field or property of the other version only
            target = f"lp_{kind}{letter}_{own.index(names[at])}"
            return column if target == column else f"{column} AS {target}"

        result = []
        for relation in ("lp_raw_leads", "lp_raw_acts"):
            picked = [r for r in (renamed(c) for c in self._names(relation)) if r is not None]
            query = sqlglot.parse_one(f"SELECT {', '.join(picked)} FROM {SHARED}{relation}", read="duckdb")
            assert isinstance(query, exp.Select)
            result.append((relation, query))
        return result

    def __repr__(self) -> str:
        return f"Projected({self.layout!r}, {self.columns!r})"


def _text(node: Any) -> str:
    """DuckDB SQL of a part of a built query (literals with odd spaces spelled out, as `generate` does),
    without its comments: they cite policy lines, which differ between versions that read alike."""
    from leadpolicy.backends.sql.fragments import respelled

    return respelled(node, node.sql(dialect="duckdb", copy=False, comments=False), "duckdb", comments=False)


def _chain(policy: Any, shape: Projected) -> tuple[list[tuple[str, Any]], Any, dict[str, Any]]:
    """A version's query as its CTEs [(name, body)], its final SELECT (no WITH, no ORDER BY),
    and each CTE's MATERIALIZED flag as the query sets it (True, False: NOT, None)."""
    from leadpolicy.backends.sql import build

    tree = build(policy.tree, shape, with_row=True, dialect="duckdb", with_rules=True)
    with_ = tree.args.get("with_")
    ctes = [(cte.alias, cte.this) for cte in (with_.expressions if with_ else [])]
    flags = {cte.alias: cte.args.get("materialized") for cte in (with_.expressions if with_ else [])}
    tree.set("with_", None)
    tree.set("order", None)
    return ctes, tree, flags


def _tables_and_columns(node: Any) -> "tuple[list[Any], list[Any]]":
    """The Table and Column nodes under `node`, each once: a built query is a DAG (fragments
    share their parts), and sqlglot's find_all walks a shared part once per parent."""
    from leadpolicy.backends.sql.fragments import exp

    tables: list[Any] = []
    columns: list[Any] = []
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, exp.Table):
            tables.append(current)
        elif isinstance(current, exp.Column):
            columns.append(current)
        stack.extend(current.iter_expressions())
    return tables, columns


def _references(node: Any, names: "set[str] | dict[str, Any]") -> set[str]:
    tables, columns = _tables_and_columns(node)
    found = {t.name for t in tables if not t.args.get("db") and t.name in names}
    found |= {c.table for c in columns if c.table in names}
    return found


def _rename(node: Any, renamed: set[str], prefix: str = _NEW) -> None:
    """Point every reference to a CTE in `renamed` at its `prefix` copy (in place: the tree is this call's own)."""
    from leadpolicy.backends.sql.fragments import exp

    tables, columns = _tables_and_columns(node)
    for table in tables:
        if not table.args.get("db") and table.name in renamed:
            table.set("this", exp.to_identifier(prefix + table.name, quoted=True))
    for column in columns:
        if column.table in renamed:
            column.set("table", exp.to_identifier(prefix + column.table, quoted=True))


def _one_group_by(body: Any) -> "str | None":
    """The text of `FROM t GROUP BY c` when `body` is just that with aliased aggregates (and c)."""
    from leadpolicy.backends.sql.fragments import exp

    if not isinstance(body, exp.Select) or {k for k, v in body.args.items() if v} != {"expressions", "from_", "group"}:
        return None
    group = body.args["group"]
    if len(group.expressions) != 1 or not isinstance(body.args["from_"].this, exp.Table):
        return None
    key = group.expressions[0]
    if not all(isinstance(e, exp.Alias) or e == key for e in body.expressions):
        return None
    return _text(body.args["from_"]) + " GROUP BY " + _text(key)


def _merged_facts(old_body: Any, new_body: Any) -> "tuple[str, str, str] | None":
    """Each version's per-lead aggregates (`lp_facts`) as one GROUP BY when both read the same
    relation grouped alike (the activities, shared): the scan and the hash table made once,
    each distinct aggregate computed once (most rules are the same in both versions). Returns
    (the merged CTE's body, the old version's lp_facts, the new one's) or None."""
    tail = _one_group_by(old_body)
    if tail is None or tail != _one_group_by(new_body):
        return None
    key = _text(old_body.args["group"].expressions[0])
    computed: dict[str, str] = {}  # aggregate text -> its column in the merged CTE

    from leadpolicy.backends.sql.fragments import exp

    def projection(body: Any) -> str:
        picked = [key]
        for item in body.expressions:
            if isinstance(item, exp.Alias):
                text = _text(item.this)
                column = computed.setdefault(text, f"lp_agg_{len(computed)}")
                picked.append(f"{column} AS {_text(item.args['alias'])}")
        return f"SELECT {', '.join(picked)} FROM {_FACTS}"

    old_text, new_text = projection(old_body), projection(new_body)
    columns = ", ".join([key] + [f"{text} AS {column}" for text, column in computed.items()])
    return f"SELECT {columns} {tail}", old_text, new_text


def pairs_statement(old_policy: Any, new_policy: Any, shape: Projected, source: "list[tuple[str, Any]] | None" = None,
                    reread: "frozenset[str]" = frozenset()) -> str:
    """CREATE the temporary table lp_pairs: per lead (lp_row, lp_id_json, id), both decisions'
    PAIR_COLUMNS (o_*, n_*), the columns each version's hits are made of (hits.rule_columns,
    o_lp_* and n_lp_*: the hits JSON is built only for the leads the report shows, fold_sql.py)
    and whether each is a data error (o_err, n_err). One parameter: $as_of.

    `source`: the input shape's raw relations [(name, SELECT)] for the union of both
    versions, made here as MATERIALIZED CTEs `lp_shared_*` (the input read once, within
    the statement), but those named in `reread`: NOT MATERIALIZED, read where used (a
    Parquet file's activities: reading them again, for the few leads whose sums need their
    order, costs less than storing 2.5 million rows); None: tables of those names exist already."""
    old_ctes, old_final, old_flags = _chain(old_policy, shape)
    new_ctes, new_final, new_flags = _chain(new_policy, shape)
    old_texts = {name: _text(body) for name, body in old_ctes}
    new_names = {name for name, _ in new_ctes}
    shared: set[str] = set()
    own: list[tuple[str, Any]] = []
    for name, body in new_ctes:
        if old_texts.get(name) == _text(body) and _references(body, new_names) <= shared:
            shared.add(name)
        else:
            own.append((name, body))
    renamed = new_names - shared
    read_by_new: set[str] = set()
    for name, body in own:
        _rename(body, renamed)
        read_by_new |= _references(body, shared)
    _rename(new_final, renamed)
    read_by_new |= _references(new_final, shared)

    def quoted(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    parts = []
    for name, body in source or []:
        _rename(body, {n for n, _ in source or []}, SHARED)  # the relational activities join the leads
        parts.append(f"{quoted(SHARED + name)} AS {'NOT ' if name in reread else ''}MATERIALIZED ({_text(body)})")
    def how(flag: Any, read_twice: bool) -> str:
        # a CTE the version's query reads where used (NOT MATERIALIZED: the raw activities, a renaming
        # of the input read once) stays so when both chains read it: storing it again cost a third
        # of the statement; a shared CTE read by both chains is computed once
        if flag is False:
            return "NOT MATERIALIZED "
        return "MATERIALIZED " if flag or read_twice else ""

    new_texts = {name: _text(body) for name, body in own}
    merged = _merged_facts(dict(old_ctes)["lp_facts"], dict(own)["lp_facts"]) if "lp_facts" in old_texts and "lp_facts" in new_texts else None
    for name, _ in old_ctes:
        if merged is not None and name == "lp_facts":
            parts.append(f"{quoted(_FACTS)} AS MATERIALIZED ({merged[0]})")
            parts.append(f"{quoted(name)} AS NOT MATERIALIZED ({merged[1]})")
            new_texts[name], new_flags[name] = merged[2], False
        else:
            parts.append(f"{quoted(name)} AS {how(old_flags[name], name in read_by_new)}({old_texts[name]})")
    parts += [f"{quoted(_NEW + name)} AS {how(new_flags[name], False)}({new_texts[name]})" for name, _ in own]
    from leadpolicy.backends.sql.hits import rule_columns

    picked = ", ".join(f"lp_o.{c} AS o_{c}, lp_n.{c} AS n_{c}" for c in PAIR_COLUMNS)
    picked += "".join(f", lp_o.{c} AS o_{c}" for c in rule_columns(old_policy.tree))
    picked += "".join(f", lp_n.{c} AS n_{c}" for c in rule_columns(new_policy.tree))
    return (f"CREATE OR REPLACE TEMP TABLE lp_pairs AS WITH {', '.join(parts)}"
            f" SELECT lp_o.lp_row, lp_o.lp_id_json, lp_o.id, {picked},"
            f" lp_o.error IS NOT NULL AS o_err, lp_n.error IS NOT NULL AS n_err"
            f" FROM ({_text(old_final)}) AS lp_o JOIN ({_text(new_final)}) AS lp_n ON lp_o.lp_row = lp_n.lp_row")
