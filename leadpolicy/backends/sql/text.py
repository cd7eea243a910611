"""The query as a file: `leadpolicy compile --target sql` and `Policy.to_sql`.

A header names the policy, the dialect, the tables read and the one parameter;
`--dbt` writes a dbt model instead: its inputs through `ref()` or `source()`,
`as_of` a dbt variable (default: the run's start).
"""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any, Optional, Union, cast

if TYPE_CHECKING:
    from leadpolicy import Policy
    from leadpolicy.backends.sql.inputs import Mapping
    from leadpolicy.syntax import nodes

from leadpolicy.backends.sql.fragments import DIALECTS

__all__ = ["query_text", "dbt_reference", "PARAMETER_SPELLING"]

# How each dialect's query reads the `as_of` parameter (Postgres: a setting, so the text
# has no driver-specific placeholder: SET leadpolicy.as_of = '2026-11-22' first).
PARAMETER_SPELLING = {"duckdb": "$as_of", "spark": ":as_of", "postgres": "current_setting('leadpolicy.as_of')", "snowflake": ":as_of",
                      "bigquery": "@as_of"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _safe(text: str) -> str:
    """Policy text in a SQL comment: printable, no comment delimiters."""
    return re.sub(r"[^A-Za-z0-9 _.,:()<>=+\-'\"#&]", "?", text)[:120]


def dbt_reference(value: str) -> str:
    """`NAME` -> {{ ref('NAME') }}; `source:SOURCE.TABLE` -> {{ source('SOURCE', 'TABLE') }}.
    Names only (letters, digits, _): the text goes into a Jinja template."""
    if value.startswith("source:"):
        source, dot, table = value[len("source:"):].partition(".")
        if dot and _NAME.fullmatch(source) and _NAME.fullmatch(table):
            return f"{{{{ source('{source}', '{table}') }}}}"
    elif _NAME.fullmatch(value):
        return f"{{{{ ref('{value}') }}}}"
    meant = _reference_meant(value)
    raise ValueError(f"`{value}` is not a dbt model name or source:SOURCE.TABLE (letters, digits and _ only)"
                     + (f": write {meant}" if meant else ""))


def _reference_meant(value: str) -> Optional[str]:
    """What a refused reference most likely meant: `crm.leads` (a table in a schema: a source)
    source:crm.leads; `ref('stg_leads')` or `{{ ref('stg_leads') }}` stg_leads; `source('crm', 'x')`
    source:crm.x; `source:crm` source:crm.TABLE."""
    text = value.strip().removeprefix("{{").removesuffix("}}").strip()
    call = re.fullmatch(r"(ref|source)\(\s*(.*?)\s*\)", text)
    if call:
        names = [n.strip().strip("'\"") for n in call.group(2).split(",")]
        if call.group(1) == "ref" and len(names) == 1 and _NAME.fullmatch(names[0]):
            return names[0]
        if call.group(1) == "source" and len(names) == 2 and all(_NAME.fullmatch(n) for n in names):
            return f"source:{names[0]}.{names[1]}"
        return None
    parts = text.removeprefix("source:").split(".")
    if len(parts) == 2 and all(_NAME.fullmatch(n) for n in parts):
        return f"source:{parts[0]}.{parts[1]}"
    if len(parts) == 3 and all(_NAME.fullmatch(n) for n in parts):  # catalog.schema.table: the source is the schema's
        return f"source:{parts[1]}.{parts[2]}"
    if text.startswith("source:") and len(parts) == 1 and _NAME.fullmatch(parts[0]):
        return f"source:{parts[0]}.TABLE"
    return None


def _dbt_input(what: str, ref: Optional[str], table: str) -> str:
    """The dbt model's `what` input: `ref` (--leads-ref, --activities-ref), else the mapping's table
    name, which is a model's name only when it has no schema (`crm.leads` is not one)."""
    if ref:
        return dbt_reference(ref)
    try:
        return dbt_reference(table)
    except ValueError:
        source = ".".join(table.split(".")[-2:]) if "." in table else f"SOURCE.{table}"
        raise ValueError(f"a dbt model reads its {what} through ref() or source(), and the mapping's {what}_table "
                         f"`{table}` is not a model name: give --{what}-ref MODEL, or --{what}-ref source:{source} for a "
                         f"source (in Python, {what}_ref=...)") from None


def _where_nul(policy: Any) -> str:
    """`path:line:col: ` of the first NUL in the policy's source, when the policy has one."""
    source, path = getattr(policy, "source", None), getattr(policy, "path", None) or "<policy>"
    if not isinstance(source, str) or "\x00" not in source:
        return ""
    at = source.index("\x00")
    line = source.count("\n", 0, at) + 1
    return f"{path}:{line}:{at - (source.rfind(chr(10), 0, at) + 1) + 1}: "


def query_text(policy: "Union[Policy, nodes.Policy]", dialect: str = "duckdb", *,
               mapping: "Union[Mapping, dict[str, Any], None]" = None, dbt: bool = False, leads_ref: Optional[str] = None,
               activities_ref: Optional[str] = None) -> str:
    """The readable query (one CTE per section, comments citing policy lines) with a header."""
    from leadpolicy.backends.sql import build
    from leadpolicy.backends.sql.fragments import NulInPolicyText, exp, generate, replace_parameter
    from leadpolicy.backends.sql.inputs import Mapping, Relational

    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (choose from {', '.join(DIALECTS)})")
    mapping = Mapping.of(mapping)
    tree = cast("nodes.Policy", getattr(policy, "tree", policy))  # a Policy or its checked tree
    token = secrets.token_hex(8)  # sentinels the policy's text cannot spell: it never sees the token
    replacements = {}
    shape = Relational(mapping)
    if dbt:
        leads_name, acts_name = f"lp_dbt_leads_{token}", f"lp_dbt_acts_{token}"
        replacements[leads_name] = _dbt_input("leads", leads_ref, mapping.leads_table)
        replacements[acts_name] = _dbt_input("activities", activities_ref, mapping.activities_table)
        shape = Relational(mapping, exp.Table(this=exp.to_identifier(leads_name)), exp.Table(this=exp.to_identifier(acts_name)))
    query: exp.Expr = build(tree, shape, dialect=dialect)
    if dbt:  # the parameter becomes a dbt variable (a sentinel in the tree, replaced in the text)
        as_of_name = f"lp_dbt_as_of_{token}"
        query = replace_parameter(query, "as_of", exp.column(as_of_name))
        replacements[as_of_name] = "'{{ var(\"as_of\", run_started_at.isoformat()) }}'"
    try:
        text = generate(query, dialect, pretty=True)
    except NulInPolicyText as error:
        raise NulInPolicyText(f"{_where_nul(policy)}{error}") from None
    if dbt:
        # dbt renders the whole file as Jinja: policy text must not open a tag
        text = re.sub(r"\{(?=[{%#])", "{{ '{' }}", text)
        for sentinel, value in replacements.items():
            text = text.replace(sentinel, value)
    name = getattr(policy, "name", None) or (tree.name if hasattr(tree, "name") else "policy")
    version = getattr(policy, "version", "")
    lines = [f"-- {_safe(str(name))} {_safe(str(version))}: the decision of every lead, as one query ({dialect}).",
             "-- Generated by `leadpolicy compile --target sql`: edit the policy, not this file.",
             "-- One row per lead: id, stage, previous_stage, change, engagement, fit, grade, reason_kind,",
             "-- reason_rule, hits (JSON text), error (JSON text, or NULL). Input contract: docs/sql.md."]
    if dialect == "spark":  # score_spark and `score --engine spark` read such columns with their offset
        lines.append("-- Spark casts a TIMESTAMP column to text as the session time zone's wall-clock time, without its offset,"
                     "\n-- read as UTC: run this with spark.sql.session.timeZone set to UTC, or pass such columns as text.")
    if dbt:
        lines.insert(0, "{{ config(materialized='table') }}")
        lines.append(f"-- Reads {replacements[f'lp_dbt_leads_{token}']} and {replacements[f'lp_dbt_acts_{token}']};"
                     " as_of: the dbt variable `as_of` (default: the run's start).")
    else:
        lines.append(f"-- Reads the tables {_safe(mapping.leads_table)} and {_safe(mapping.activities_table)};"
                     f" the one parameter is as_of (ISO 8601 text), written {PARAMETER_SPELLING[dialect]}.")
    return "\n".join(lines) + "\n" + text + "\n"
