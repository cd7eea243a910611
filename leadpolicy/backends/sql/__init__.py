"""The SQL back end: a checked policy -> one SELECT deciding every lead, for
DuckDB, Spark, Postgres, Snowflake and BigQuery (sqlglot builds one tree and
generates it per dialect). docs/sql.md has the input contract and the guide.

    sql = compile_sql(checked_tree, dialect="duckdb")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Protocol

if TYPE_CHECKING:
    from sqlglot import exp

    from leadpolicy.syntax import nodes

__all__ = ["compile_sql", "build", "DIALECTS", "MissingExtra"]

from leadpolicy.backends.sql.extras import MissingExtra

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")


class InputShape(Protocol):
    """What the query reads (inputs.py): the raw relations as named CTEs."""

    def ctes(self, policy: "nodes.Policy") -> "list[tuple[str, Any]]": ...


def build(policy: "nodes.Policy", shape: Optional[InputShape] = None, *, with_row: bool = False,
          dialect: Optional[str] = None, with_rules: bool = False) -> "exp.Select":
    """The query as one sqlglot tree, for `dialect` (None: LP_* functions not yet
    lowered: `fragments.lower` does it; else `fragments.finish` completes it). `with_row`
    adds `lp_row`, each lead's position in the input (a line number for JSON Lines),
    and `lp_id_json`, the id as JSON text (nested shape; NULL in the relational one). `with_rules`
    adds the columns `hits` is made of (hits.rule_columns), for `leadpolicy diff`."""
    from leadpolicy.backends.sql.fragments import building
    from leadpolicy.backends.sql.reading import final_sigma_for

    with building(dialect), final_sigma_for(policy):
        return _build(policy, shape, with_row, with_rules)


def _build(policy: "nodes.Policy", shape: Optional[InputShape], with_row: bool, with_rules: bool = False) -> "exp.Select":
    from leadpolicy.backends.sql.fragments import current_dialect, exp
    from leadpolicy.backends.sql.hits import rule_columns
    from leadpolicy.backends.sql.inputs import Relational
    from leadpolicy.backends.sql.query import OUTPUT_COLUMNS, build_query

    shape = shape or Relational()
    typed_columns = getattr(shape, "typed_columns", None)  # (the relational shape, given its column types)
    query = build_query(policy, with_rules, typed_columns(policy) if typed_columns else frozenset())
    with_ = query.args.get("with_")
    ctes = list(with_.expressions) if with_ else []
    # DuckDB: the raw activities are read where used (query.py reads them twice when some
    # leads' sums need their input order: the second time only those leads' rows), never stored
    inline = {"lp_raw_acts"} if current_dialect() == "duckdb" else set()
    head = [exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)), materialized=False if name in inline else None)
            for name, q in shape.ctes(policy)]
    query.set("with_", None)
    query.set("order", None)
    names = OUTPUT_COLUMNS + (("lp_row", "lp_id_json") if with_row else ()) + tuple(rule_columns(policy) if with_rules else ())
    outer = exp.select(*[exp.column(exp.to_identifier(n, quoted=True)) for n in names]).from_(
        exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("lp_decided"))), copy=False)
    outer = outer.order_by(exp.Ordered(this=exp.column(exp.to_identifier("lp_row", quoted=True)), desc=False), copy=False)
    outer.set("with_", exp.With(expressions=head + ctes))  # the CTEs at the top, readable
    return outer


def compile_sql(policy: "nodes.Policy", dialect: str = "duckdb", shape: Optional[InputShape] = None, *, pretty: bool = True,
                header: Optional[str] = None, with_row: bool = False) -> str:
    """The query text for `dialect`."""
    from leadpolicy.backends.sql.fragments import generate

    text = generate(build(policy, shape, with_row=with_row, dialect=dialect), dialect, pretty=pretty)
    return (header or "") + text
