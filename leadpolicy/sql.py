"""Run a policy where the lead data lives: on your own DuckDB connection or Spark session.

    import leadpolicy, leadpolicy.sql
    policy = leadpolicy.load("acme.policy")
    relation = leadpolicy.sql.score_duckdb(policy, con, leads="leads", activities="activities", as_of="2026-11-22")
    frame = leadpolicy.sql.score_spark(policy, spark, leads_df, activities_df, as_of="2026-11-22")
    text = policy.to_sql(dialect="snowflake")

Each returns one row per lead: id, stage, previous_stage, change, engagement, fit,
grade, reason_kind, reason_rule, hits (JSON text), error (JSON text or NULL), the
same decisions as `policy.evaluate`. The input contract is in docs/sql.md.
Needs pip install 'leadpolicy[duckdb]' or 'leadpolicy[spark]' (MissingExtra says which).
"""

from __future__ import annotations

from typing import Any

from leadpolicy.backends.sql.engines import score_duckdb, score_spark
from leadpolicy.backends.sql.extras import MissingExtra

__all__ = ["score_duckdb", "score_spark", "to_sql", "MissingExtra", "DIALECTS"]

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")


def to_sql(policy: Any, dialect: str = "duckdb", **options: Any) -> str:
    """The query text for `dialect` (the same as policy.to_sql)."""
    from leadpolicy.backends.sql.text import query_text

    return query_text(policy, dialect, **options)
