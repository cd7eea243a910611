"""The decision's JSON columns as SQL (query.py's final SELECT): `hits`, the
decision's hits list in policy order, and `error`, {"field": ..., "message": ...}.
Policy names enter only as JSON text inside string literals (json.dumps)."""

from __future__ import annotations

import json
from typing import Union

from leadpolicy.backends.sql.fragments import DBL_MAX, current_dialect, exp, frag, lit, num
from leadpolicy.syntax import nodes

__all__ = ["hits_json", "error_json", "message"]


def c(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _double_json(x: exp.Expr) -> exp.Expr:
    """A DOUBLE as JSON number text (Python's json.dumps writes Infinity for inf)."""
    return frag("CASE WHEN :x > :hi THEN 'Infinity' WHEN :x < -:hi THEN '-Infinity' ELSE LP_DOUBLE_TEXT(:x) END",
                x=x, hi=num(DBL_MAX))


def hits_json(policy: nodes.Policy) -> exp.Expr:
    """The decision's hits list as JSON text: each rule with points, in policy order.

    Each rule gives one piece (NULL when it has no points). DuckDB joins them with
    CONCAT_WS, which skips NULLs: half the cost of the portable form, where each
    piece carries its own ", " (COALESCE to '') and SUBSTRING drops the first."""
    pieces: list[exp.Expr] = []
    joined_ws = current_dialect() == "duckdb"
    lead = "" if joined_ws else ", "
    entries: "list[tuple[Union[nodes.EngagementRule, nodes.FitRule], str, int]]" = []
    entries += [(rule, "e", r_index) for r_index, rule in enumerate(policy.engagement_rules)]
    entries += [(fit_rule, "f", f_index) for f_index, fit_rule in enumerate(policy.fit_rules)]
    if all(rule.span is not None for rule, _, _ in entries):
        entries.sort(key=lambda entry: entry[0].span.start if entry[0].span is not None else 0)
    for rule, section, index in entries:
        if section == "e":
            head = '{"section": "engagement", "rule": ' + _json_text(rule.name) + ', "points": '
            total = c(f"lp_e_{index}")
            piece = frag("CASE WHEN :t <> 0 THEN :body END", t=total, body=exp.Concat(expressions=[
                lit(lead + head), _double_json(total), lit(', "count": '),
                exp.Cast(this=c(f"lp_e_{index}_n"), to=exp.DataType.build("varchar")), lit("}")]))
        else:
            points = float(rule.points)
            if points == 0:
                continue
            text = ('{"section": "fit", "group": ' + _json_text(rule.group if isinstance(rule, nodes.FitRule) else None) + ', "rule": ' + _json_text(rule.name)
                    + ', "points": ' + _json_text(points) + "}")
            piece = frag("CASE WHEN :h THEN :j END", h=c(f"lp_ft_{index}"), j=lit(lead + text))
        pieces.append(piece if joined_ws else exp.Coalesce(this=piece, expressions=[lit("")]))
    if not pieces:
        return lit("[]")
    if joined_ws:  # an Anonymous call: sqlglot's ConcatWs would add a NULL test per piece
        joined: exp.Expr = exp.Anonymous(this="CONCAT_WS", expressions=[lit(", "), *pieces])
    else:  # each hit starts with ", ": drop the first one
        joined = exp.Substring(this=exp.Concat(expressions=pieces), start=exp.Literal.number(3))
    return exp.Concat(expressions=[lit("["), joined, lit("]")])


def error_json(policy: nodes.Policy, error: exp.Expr) -> exp.Expr:
    """The data error as JSON text: {"field": ..., "message": ...} (the field as Python names it)."""
    known = ["as_of", "json", "lead", "fields", "activities", "type", "previous_stage"] + [decl.name for decl in policy.fields]
    for decl in policy.activities:
        known.append(f"{decl.name}.at")
        known += [f"{decl.name}.{p.name}" for p in decl.props]
    ifs = []
    for name in dict.fromkeys(known):
        field = None if name in ("json", "lead") else name  # the whole line: no field, as in Python
        text = '{"field": ' + _json_text(field) + ', "message": ' + _json_text(message(name)) + "}"
        ifs.append(exp.If(this=lit(name), true=lit(text)))
    return exp.Case(this=error, ifs=ifs)


def message(field: str) -> str:
    """The data error's message for a field name (the Python engine's words)."""
    activity, dot, prop = field.partition(".")
    if field == "as_of":
        return "as_of is not an ISO 8601 date or timestamp"
    if field in ("json", "lead"):
        return "the line is not valid JSON" if field == "json" else "the lead is not a JSON object"
    if field in ("fields", "activities", "type", "previous_stage"):
        return {"fields": "the fields must be a JSON object", "activities": "the activities must be a JSON array of objects",
                "type": "an activity has no text `type`",
                "previous_stage": "the previous stage is not a stage of this policy"}[field]
    if not dot:
        return f"field `{field}`: cannot be read as its declared type"
    if prop == "at":
        return f"activity `{activity}` time: missing or not an ISO 8601 date or timestamp"
    return f"activity `{activity}` property `{prop}`: cannot be read as its declared type"
