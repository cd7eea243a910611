"""The decision's JSON columns as SQL (query.py's final SELECT): `hits`, the
decision's hits list in policy order, and `error`, {"field": ..., "message": ...}.
Policy names enter only as JSON text inside string literals (json.dumps)."""

from __future__ import annotations

import json
from typing import Union

from leadpolicy.backends.sql.fragments import DBL_MAX, current_dialect, exp, frag, lit, num
from leadpolicy.syntax import nodes

__all__ = ["hits_json", "rule_columns", "rule_hits", "error_json", "message"]


def c(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _double_json(x: exp.Expr) -> exp.Expr:
    """A DOUBLE as JSON number text (Python's json.dumps writes Infinity for inf)."""
    return frag("CASE WHEN :x > :hi THEN 'Infinity' WHEN :x < -:hi THEN '-Infinity' ELSE LP_DOUBLE_TEXT(:x) END",
                x=x, hi=num(DBL_MAX))


def _entries(policy: nodes.Policy) -> "list[tuple[Union[nodes.EngagementRule, nodes.FitRule], str, int]]":
    """The rules that can appear in the hits list, in its order (policy order): (rule, "e"/"f", index).
    A fit rule worth 0 points never appears."""
    entries: "list[tuple[Union[nodes.EngagementRule, nodes.FitRule], str, int]]" = []
    entries += [(rule, "e", r_index) for r_index, rule in enumerate(policy.engagement_rules)]
    entries += [(fit_rule, "f", f_index) for f_index, fit_rule in enumerate(policy.fit_rules)]
    if all(rule.span is not None for rule, _, _ in entries):
        entries.sort(key=lambda entry: entry[0].span.start if entry[0].span is not None else 0)
    return [entry for entry in entries if entry[1] == "e" or float(entry[0].points) != 0]


def rule_columns(policy: nodes.Policy) -> list[str]:
    """The decision's columns that `hits_json` reads: each engagement rule's total and count
    (lp_e_N, lp_e_N_n), each fit rule's condition (lp_ft_N, rules worth points only)."""
    names: list[str] = []
    for _, section, index in _entries(policy):
        names += [f"lp_e_{index}", f"lp_e_{index}_n"] if section == "e" else [f"lp_ft_{index}"]
    return names


def rule_hits(policy: nodes.Policy, prefix: str = "") -> "list[tuple[str, exp.Expr]]":
    """Each rule of the hits list (policy order) and when it is hit, as SQL over `rule_columns`
    (each name after `prefix`): an engagement total other than 0, a fit rule's condition true.
    `hits_json` lists a rule exactly when its test is true."""
    tests: "list[tuple[str, exp.Expr]]" = []
    for rule, section, index in _entries(policy):
        if section == "e":
            tests.append((rule.name, exp.NEQ(this=c(f"{prefix}lp_e_{index}"), expression=exp.Literal.number(0))))
        else:
            tests.append((rule.name, c(f"{prefix}lp_ft_{index}")))
    return tests


def hits_json(policy: nodes.Policy, prefix: str = "") -> exp.Expr:
    """The decision's hits list as JSON text: each rule with points, in policy order
    (over `rule_columns`, each name after `prefix`).

    Each rule gives one piece (NULL when it has no points). DuckDB joins them with
    CONCAT_WS, which skips NULLs: half the cost of the portable form, where each
    piece carries its own ", " (COALESCE to '') and SUBSTRING drops the first."""
    pieces: list[exp.Expr] = []
    joined_ws = current_dialect() == "duckdb"
    lead = "" if joined_ws else ", "
    for (rule, section, index), (_, hit) in zip(_entries(policy), rule_hits(policy, prefix)):
        if section == "e":
            head = '{"section": "engagement", "rule": ' + _json_text(rule.name) + ', "points": '
            total = c(f"{prefix}lp_e_{index}")
            body: exp.Expr = exp.Concat(expressions=[
                lit(lead + head), _double_json(total), lit(', "count": '),
                exp.Cast(this=c(f"{prefix}lp_e_{index}_n"), to=exp.DataType.build("varchar")), lit("}")])
        else:
            text = ('{"section": "fit", "group": ' + _json_text(rule.group if isinstance(rule, nodes.FitRule) else None) + ', "rule": ' + _json_text(rule.name)
                    + ', "points": ' + _json_text(float(rule.points)) + "}")
            body = lit(lead + text)
        piece = exp.Case(ifs=[exp.If(this=hit, true=body)])
        pieces.append(piece if joined_ws else exp.Coalesce(this=piece, expressions=[lit("")]))
    if not pieces:
        return lit("[]")
    if joined_ws:  # an Anonymous call: sqlglot's ConcatWs would add a NULL test per piece
        joined: exp.Expr = exp.Anonymous(this="CONCAT_WS", expressions=[lit(", "), *pieces])
    else:  # each hit starts with ", ": drop the first one
        joined = exp.Substring(this=exp.Concat(expressions=pieces), start=exp.Literal.number(3))
    return exp.Concat(expressions=[lit("["), joined, lit("]")])


# The query's code for a field's data error: FIELD_ERROR + the field's name. The prefix keeps a field
# named like one of the lead's own errors (a field `type`, `lead`, `fields`, `json`, `as_of`...) from
# taking that error's message (an identifier cannot hold a colon; activity codes hold a dot)
FIELD_ERROR = "f:"


def error_json(policy: nodes.Policy, error: exp.Expr) -> exp.Expr:
    """The data error as JSON text: {"field": ..., "message": ...} (the field as Python names it)."""
    known = ["as_of", "json", "lead", "fields", "activities", "type", "previous_stage"] + [FIELD_ERROR + d.name for d in policy.fields]
    for decl in policy.activities:
        known.append(f"{decl.name}.at")
        known += [f"{decl.name}.{p.name}" for p in decl.props]
    ifs = []
    for code in dict.fromkeys(known):
        name = code[len(FIELD_ERROR):] if code.startswith(FIELD_ERROR) else code
        field = None if code in ("json", "lead") else name  # the whole line: no field, as in Python
        text = '{"field": ' + _json_text(field) + ', "message": ' + _json_text(message(code)) + "}"
        ifs.append(exp.If(this=lit(code), true=lit(text)))
    return exp.Case(this=error, ifs=ifs)


def message(field: str) -> str:
    """The data error's message for an error code (the Python engine's words): a declared field's
    is FIELD_ERROR + its name, an activity's `type.property` or `type.at`, else the lead's own."""
    if field.startswith(FIELD_ERROR):
        return f"field `{field[len(FIELD_ERROR):]}`: cannot be read as its declared type"
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
        raise ValueError(f"no data error is coded {field!r}")
    if prop == "at":
        return f"activity `{activity}` time: missing or not an ISO 8601 date or timestamp"
    return f"activity `{activity}` property `{prop}`: cannot be read as its declared type"
