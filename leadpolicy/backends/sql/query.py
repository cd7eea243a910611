"""The checked policy -> one SELECT that decides every lead (docs/language-reference.md sections 8-15), as a sqlglot tree.

The query mirrors the Python back end's sections, one CTE each, and each CTE
carries a comment citing the policy lines it implements:

    lp_as_of        the evaluation time (the query's one parameter, ISO text)
    lp_lead         reading the lead: fields, previous stage, data errors
    lp_act          reading the activities: type, time, properties, age
    lp_facts        per lead: each engagement rule's total and count, each `did` count
    lp_risky, lp_fold   DuckDB: the leads whose decayed sums need input order (sums.py), folded
    lp_engagement   rule caps, the engagement score (rules in file order)
    lp_fit          fit rules, the fit score (file order)
    lp_grade        the grade
    lp_stages       each stage's entry condition, the qualified stage
    lp_demote_N     disqualification and sticky demotion, one step per CTE
    (final SELECT)  the decision: stage, change, reason, hits, error

It reads two relations with the columns `inputs.RAW_LEADS` and
`inputs.RAW_ACTIVITIES` describe (an input adapter in inputs.py makes them
from the relational or the nested shape).

Why it is one long module: the sections are the methods of one builder (`_Builder`), one
per CTE above, in the order the query runs them, over state they all read (the layout,
the `did` counts, the summed rules); the expressions are in conditions.py, the reading of
texts in reading.py and the exact sums in sums.py. It is the place to split by section, as
the Python back end is, if a section grows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from leadpolicy.backends.sql import reading, sums
from leadpolicy.backends.sql.conditions import DidCounts, Scope, SqlExpr
from leadpolicy.backends.sql.fragments import case, current_dialect, exp, frag, ident, lit, num
from leadpolicy.backends.sql.hits import FIELD_ERROR, error_json, hits_json, rule_columns
from leadpolicy.syntax import nodes

__all__ = ["build_query", "Layout", "OUTPUT_COLUMNS"]

OUTPUT_COLUMNS = ("id", "stage", "previous_stage", "change", "engagement", "fit", "grade",
                  "reason_kind", "reason_rule", "hits", "error")


@dataclass(frozen=True)
class Layout:
    """Internal column names of the raw relations, by position of each declared name."""

    fields: tuple[str, ...]  # declared field names
    props: tuple[str, ...]   # distinct property names over all activity types

    @classmethod
    def of(cls, policy: nodes.Policy) -> "Layout":
        props: list[str] = []
        for decl in policy.activities:
            for prop in decl.props:
                if prop.name not in props:
                    props.append(prop.name)
        return cls(tuple(d.name for d in policy.fields), tuple(props))

    def field_v(self, name: str) -> str:
        return f"lp_fv_{self.fields.index(name)}"

    def field_k(self, name: str) -> str:
        return f"lp_fk_{self.fields.index(name)}"

    def prop_v(self, name: str) -> str:
        return f"lp_pv_{self.props.index(name)}"

    def prop_k(self, name: str) -> str:
        return f"lp_pk_{self.props.index(name)}"

    def field_t(self, name: str) -> str:
        return f"lp_fx_{self.fields.index(name)}"

    def prop_t(self, name: str) -> str:
        return f"lp_px_{self.props.index(name)}"


def typed_name(v_name: str) -> str:
    """The column of the value read from a typed cell (inputs.Relational), beside its text
    `v_name`: lp_fv_0 -> lp_fy_0, lp_at_v -> lp_at_y."""
    return v_name[:-1] + "y" if v_name.endswith("_v") else v_name.replace("v_", "y_", 1)


def c(name: str) -> exp.Column:
    return exp.column(exp.to_identifier(name, quoted=True))


def _cite(node: nodes.Node, what: str) -> str:
    """A comment naming a policy line; names are reduced to harmless characters."""
    safe = re.sub(r"[^A-Za-z0-9 _.,:()<>=+-]", "?", what)[:60]
    span = getattr(node, "span", None)
    line = span.line if span is not None else "?"
    return f" policy line {line}: {safe} "


def _alias(expression: exp.Expr, name: str, comment: str | None = None) -> exp.Expr:
    aliased = exp.alias_(expression, exp.to_identifier(name, quoted=True), copy=False)
    if comment:
        aliased.add_comments([comment])
    return aliased


class _Builder:
    def __init__(self, policy: nodes.Policy, typed: frozenset[str] = frozenset()):
        self.policy = policy
        self.layout = Layout.of(policy)
        self.typed = typed  # raw text columns with a typed value beside them (typed_name)
        self.did = DidCounts()
        self.stage_names = tuple(s.name for s in policy.stages)
        self.types = {decl.name: index for index, decl in enumerate(policy.activities)}
        self.ctes: list[exp.CTE] = []
        self.folded: list[int] = []  # engagement rules whose totals are summed in input order (facts)
        self.summed: dict[int, sums.Dyadic] = {}  # rules summed in any order where exact (sums.py)
        self.fold_order: list[int] = []  # the summed rules, in the fallback's list (lp_fold)
        self.rule_columns: list[str] = []  # extra columns of the decision (build_query's with_rules)

    def cte(self, name: str, query: exp.Select, materialized: "bool | None" = None) -> None:
        self.ctes.append(exp.CTE(this=query, alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)),
                                 materialized=materialized))

    # ------------------------------------------------ sections

    def as_of(self) -> None:
        trimmed = exp.select(_alias(reading.trimmed(exp.Placeholder(this="as_of")), "lp_t"))
        micros = reading.instant_micros(c("lp_t"))
        query = exp.select(_alias(micros, "lp_as_of")).from_(
            exp.Subquery(this=trimmed, alias=exp.TableAlias(this=exp.to_identifier("lp_as_of_text"))), copy=False)
        query.add_comments([" the evaluation time: the `as_of` parameter, read as docs/language-reference.md section 16 reads a timestamp "])
        self.cte("lp_as_of", query)

    def lead(self) -> None:
        # each raw text trimmed once, as a column (section 16: values are trimmed)
        texts: list[exp.Expr] = [exp.Star(), _alias(reading.trimmed(c("lp_stage_v")), "lp_stage_t")]
        texts += [_alias(reading.trimmed(c(self.layout.field_v(name))), self.layout.field_t(name)) for name in self.layout.fields]
        query = exp.select(*texts).from_("lp_raw_leads", copy=False)
        query.add_comments([" the lead's raw values, trimmed as Python's str.strip() trims "])
        self.cte("lp_lead_text", query)
        values: list[exp.Expr] = [exp.Star()]
        cols: list[exp.Expr] = [c("lp_row"), c("lp_id"), c("lp_id_json"), c("lp_as_of")]
        errors = [(frag("lp_as_of IS NULL"), "as_of"), (frag("lp_lead_k = 'x'"), "json"), (frag("lp_lead_k <> 'o'"), "lead")]
        errors.append((frag("lp_fields_k NOT IN ('o', 'n')"), "fields"))
        for index, decl in enumerate(self.policy.fields):
            value, error = reading.read_value(decl.type.kind, decl.type.members, c(self.layout.field_v(decl.name)),
                                              c(self.layout.field_k(decl.name)), c(self.layout.field_t(decl.name)),
                                              self._typed(self.layout.field_v(decl.name)))
            values.append(_alias(value, f"lp_f_{index}", _cite(decl, f"field {decl.name}")))
            cols.append(c(f"lp_f_{index}"))
            errors.append((error(c(f"lp_f_{index}")), FIELD_ERROR + decl.name))
        previous, previous_error = reading.read_previous_stage(self.stage_names, c("lp_stage_v"), c("lp_stage_k"), c("lp_stage_t"))
        values.append(_alias(previous, "lp_previous"))
        query = exp.select(*values).from_("lp_lead_text", copy=False).join("lp_as_of", join_type="cross", copy=False)
        query.add_comments([" reading the lead (docs/language-reference.md section 16): each field as its declared type, the previous stage "])
        self.cte("lp_lead_values", query)
        cols.append(c("lp_previous"))
        cols.append(_alias(self._first_error(errors), "lp_field_error"))
        cols.append(_alias(frag("CASE WHEN lp_acts_k NOT IN ('a', 'n') THEN 'activities' END"), "lp_acts_error"))
        cols.append(_alias(frag("CASE WHEN :e THEN 'previous_stage' END", e=previous_error(c("lp_previous"))), "lp_stage_error"))
        query = exp.select(*cols).from_("lp_lead_values", copy=False)
        query.add_comments([" the lead's data errors: the first unreadable field in declaration order "])
        self.cte("lp_lead", query)

    @staticmethod
    def _first_error(errors: "list[tuple[exp.Expr, str]]") -> exp.Expr:
        return exp.Case(ifs=[exp.If(this=exp.Paren(this=cond), true=lit(name)) for cond, name in errors])

    def activities(self, source: str = "lp_raw_acts", name: str = "lp_act") -> None:
        """The CTEs reading `source` (raw activities) into `name`: text, typed, values, errors."""
        quick = current_dialect() == "duckdb"
        type_index = self._type_index(quick)
        if quick:
            # DuckDB: the type and the time are read from the raw text first (a declared name
            # exactly, a timestamp in one of the common shapes: text that has no whitespace to
            # trim); only the rest is trimmed and read in full (docs/sql.md, "Reading cheaply")
            at_q = frag("CASE WHEN lp_at_k = 's' THEN :q END", q=reading.quick_instant(c("lp_at_v")))
            if "lp_at_v" in self.typed:  # (kind 'y': the time read from its type)
                at_q = frag("CASE WHEN lp_at_k = 'y' THEN lp_at_y ELSE :q END", q=at_q)
            texts: list[exp.Expr] = [exp.Star(), _alias(type_index, "lp_type"), _alias(at_q, "lp_at_q")]
        else:
            texts = [exp.Star(), _alias(reading.trimmed(c("lp_type_v")), "lp_type_t"), _alias(reading.trimmed(c("lp_at_v")), "lp_at_t")]
        texts += [_alias(reading.trimmed(c(self.layout.prop_v(name))), self.layout.prop_t(name)) for name in self.layout.props]
        query = exp.select(*texts).from_(source, copy=False)
        query.add_comments([" the activities' raw values, trimmed "])
        self.cte(f"{name}_text", query)
        at_text = c("lp_at_t")
        at = frag("CASE WHEN lp_at_k = 's' AND :t <> '' THEN :m END", t=at_text, m=reading.instant_micros(at_text))
        if quick:  # the text trimmed only where the raw text was not read
            at_t = frag("CASE WHEN lp_at_q IS NULL AND lp_at_k = 's' THEN :t END", t=reading.trimmed(c("lp_at_v")))
            typed = exp.select(exp.Star(), _alias(at_t, "lp_at_t")).from_(f"{name}_text", copy=False)
            at = frag("COALESCE(lp_at_q, :at)", at=at)
        else:
            typed = exp.select(exp.Star(), _alias(type_index, "lp_type"), _alias(at, "lp_at")).from_(f"{name}_text", copy=False)
        typed.add_comments([" each activity's declared type (matched case-insensitively, trimmed) and time "])
        self.cte(f"{name}_typed", typed)

        values: list[exp.Expr] = [exp.Star()]
        if quick:
            values.append(_alias(at, "lp_at"))
        cols: list[exp.Expr] = [c("lp_row"), c("lp_seq"), c("lp_type"), c("lp_at")]
        # an unknown type is an error only when the type is not text or blank (else ignored);
        # DuckDB: text starting with a printable ASCII character is not blank (no trim needed)
        no_type = (frag("lp_type IS NULL AND (lp_type_k <> 's' OR (NOT ASCII(lp_type_v) BETWEEN 33 AND 126 AND :t = ''))",
                        t=reading.trimmed(c("lp_type_v"))) if quick
                   else frag("lp_type_k <> 's' OR :t = ''", t=c("lp_type_t")))
        checks = [(frag("lp_item_k <> 'o'"), "activities"),
                  (no_type, "type"),
                  (frag("lp_type IS NULL"), None)]  # an undeclared type is ignored whatever else it holds
        at_check = len(checks)  # DuckDB: where the one time check for all types goes
        at_names: list[exp.If] = []  # DuckDB: each type's time field, named by the type
        for t_index, decl in enumerate(self.policy.activities):
            is_type = frag("lp_type = :i", i=exp.Literal.number(t_index))
            # no time, a blank one or one that cannot be read: lp_at is NULL (one field name for all three)
            if quick:
                at_names.append(exp.If(this=exp.Literal.number(t_index), true=lit(f"{decl.name}.at")))
            else:
                checks.append((frag(":y AND lp_at IS NULL", y=is_type), f"{decl.name}.at"))
            for p_index, prop in enumerate(decl.props):
                value, error = reading.read_value(prop.type.kind, prop.type.members, c(self.layout.prop_v(prop.name)),
                                                  c(self.layout.prop_k(prop.name)), c(self.layout.prop_t(prop.name)),
                                                  self._typed(self.layout.prop_v(prop.name)))
                column = f"lp_p_{t_index}_{p_index}"
                values.append(_alias(frag("CASE WHEN :y THEN :v END", y=is_type, v=value),
                                     column, _cite(prop, f"{decl.name}.{prop.name}")))
                cols.append(c(column))
                checks.append((frag(":y AND :e", y=is_type, e=error(c(column))), f"{decl.name}.{prop.name}"))
        # the first error of each activity, in the runtime's order: structure, type, time, properties.
        # DuckDB: past the type checks the activity has one declared type, so its time check comes
        # before all property checks (those of other types are false for it): one `lp_at IS NULL`
        # for every type, its field named by the type, instead of one test per type on every row.
        whens = [exp.If(this=exp.Paren(this=cond), true=(lit(name) if name else exp.Null())) for cond, name in checks]
        if at_names:
            whens.insert(at_check, exp.If(this=frag("lp_at IS NULL"), true=exp.Case(this=c("lp_type"), ifs=at_names)))
        first_error = exp.Case(ifs=whens)
        cols.append(_alias(first_error, "lp_act_error"))
        cols.append(_alias(frag("CASE WHEN lp_at <= lp_as_of THEN lp_as_of - lp_at END"), "lp_age"))
        query = exp.select(*values).from_(f"{name}_typed", copy=False)
        query.add_comments([" each activity's properties, read as the declared types of its activity type "])
        self.cte(f"{name}_values", query)
        query = exp.select(*cols).from_(f"{name}_values", copy=False).join("lp_as_of", join_type="cross", copy=False)
        query.add_comments([" reading the activities (docs/language-reference.md section 16): properties by type; activities after as_of"
                            " are read and checked but never counted (lp_age is NULL) "])
        self.cte(name, query)

    def _typed(self, v_name: str) -> "exp.Expr | None":
        return c(typed_name(v_name)) if v_name in self.typed else None

    def _type_index(self, quick: bool) -> exp.Expr:
        """Each activity's declared type (its index), matched case-insensitively on the trimmed
        text. `quick`: the raw text compared with each lower-case ASCII name first (such text
        has nothing to trim or lower), the rest trimmed and lowered."""
        names = [d.name.lower() for d in self.policy.activities]
        ifs = [exp.If(this=lit(n), true=exp.Literal.number(i)) for i, n in enumerate(names)]
        if not quick:
            return case(this=frag("CASE WHEN lp_type_k = 's' THEN :t END", t=reading.lowered(c("lp_type_t"), sigma=False)), ifs=ifs, type_="bigint")
        # (LIST_POSITION computes the trimmed, lower-cased text once; U+0130 looked for in the raw text)
        full = reading.member_index(reading.lowered(reading.trimmed(c("lp_type_v")), raw=c("lp_type_v"), sigma=False), names)
        exact = [exp.If(this=lit(n), true=exp.Literal.number(i)) for i, n in enumerate(names) if n.isascii() and n == n.strip()]
        return frag("CASE WHEN lp_type_k = 's' THEN :t END", t=case(this=c("lp_type_v"), ifs=exact, default=full))

    # ------------------------------------------------ scopes

    def _field(self, name: str) -> exp.Expr:
        return c(f"lp_f_{self.layout.fields.index(name)}")

    def _prop_of(self, activity: str, name: str) -> exp.Expr:
        t_index = self.types[activity]
        decl = self.policy.activities[t_index]
        p_index = [p.name for p in decl.props].index(name)
        return c(f"lp_p_{t_index}_{p_index}")

    def _where_expr(self, activity: str | None, where: "nodes.Expr | None", within: "nodes.Duration | None") -> exp.Expr:
        """Activity row matches: of that type (any declared type for None), counted
        (not after as_of), inside the window, `where` true."""
        parts = [frag("lp_age IS NOT NULL")]
        if activity is None:
            parts.append(frag("lp_type IS NOT NULL"))
        else:
            parts.append(frag("lp_type = :i", i=exp.Literal.number(self.types[activity])))
        if within is not None:
            parts.append(frag("lp_age <= :w", w=exp.Literal.number(within.micros)))
        if where is not None:
            scope = Scope(field=self._field, prop=self._prop_of)
            parts.append(exp.Paren(this=SqlExpr(scope).condition(where)))
        return exp.and_(*parts, copy=False)

    # ------------------------------------------------ engagement (section 8)

    def _counted_exactly(self, rule: nodes.EngagementRule) -> bool:
        """Without decay every matching activity earns the same points: the reference's
        sum 0.0 + p + p + ... is n * p exactly when p is a whole number of at most 2^21
        and n < 2^32 (every partial sum an integer below 2^53), in any order."""
        points = float(rule.points)
        return self.policy.decay is None and math.isfinite(points) and points == int(points) and abs(points) <= 2 ** 21

    def facts(self, did_nodes: "list[tuple[str, nodes.Did]]") -> None:
        cols: list[exp.Expr] = [c("lp_row")]
        decay = self.policy.decay
        duckdb = current_dialect() == "duckdb"
        folded: "list[tuple[int, exp.Expr, exp.Expr]]" = []  # (rule, match, term): summed in input order
        summed: "list[tuple[int, exp.Expr, exp.Expr, sums.Dyadic]]" = []  # SUM where exact (sums.py)
        k_max_of: "exp.Expr | None" = None  # the decay periods of an activity's age, when a summed rule decays
        for r_index, rule in enumerate(self.policy.engagement_rules):
            match = self._where_expr(rule.activity, rule.where, rule.within)
            cols.append(_alias(frag("SUM(CASE WHEN :m THEN 1 ELSE 0 END)", m=match), f"lp_e_{r_index}_n",
                               _cite(rule, f"engagement rule {rule.name}")))
            if self._counted_exactly(rule):
                continue  # the total is n * points (engagement)
            points = num(float(rule.points))
            periods: "exp.Expr | None" = None  # whole decay periods of the activity's age
            if decay is None:
                earned = frag(":p * CAST(1 AS DOUBLE)", p=points)
            else:
                base = 1 - decay.percent / 100
                periods = frag("LP_IDIV(lp_age, :e)", e=exp.Literal.number(decay.every.micros))
                earned = frag("LP_DECAYED(:p, :b, :k)", p=lit(repr(float(rule.points))), b=lit(repr(base)), k=periods)
            found = sums.dyadic(self.policy, rule) if duckdb else None
            if found is None:
                folded.append((r_index, match, earned))
                continue
            # in any order where exact: the sum (the bound needs the oldest activity's periods, below)
            summed.append((r_index, match, earned, found))
            cols.append(_alias(frag("SUM(CASE WHEN :m THEN :x END)", m=match, x=earned), f"lp_e_{r_index}_sum"))
            k_max_of = periods if found.j and periods is not None else k_max_of
        if duckdb and folded:
            # One ordered list per lead for all these rules (one sort, not one per rule), of
            # the activities some rule matched: the others add +0.0, which changes no sum
            # that starts at +0.0. engagement() folds each rule's column of it in order.
            cols.append(_alias(self._ordered_terms(folded), "lp_e_terms"))
        else:
            for r_index, match, earned in folded:
                value = frag("CASE WHEN :m THEN :x ELSE CAST(0 AS DOUBLE) END", m=match, x=earned)
                cols.append(_alias(frag("LP_FOLD_SUM(:v, lp_seq)", v=value), f"lp_e_{r_index}_sum"))
        if k_max_of is not None:
            # one bound for every summed rule: the periods of the lead's oldest activity up to
            # as_of (any type, any rule) are at least each rule's own, so the test stays
            # sufficient; one MAX instead of one per rule (3% of the Parquet run)
            cols.append(_alias(frag("MAX(:k)", k=k_max_of), "lp_k_max"))
        self.folded = [r_index for r_index, _, _ in folded]
        self.summed = {r_index: found for r_index, _, _, found in summed}
        for name, node in did_nodes:
            match = self._where_expr(node.activity, node.where, node.within)
            cols.append(_alias(frag("SUM(CASE WHEN :m THEN 1 ELSE 0 END)", m=match), name, _cite(node, "did")))
        if duckdb:  # lp_seq may be any type that sorts (inputs.py)
            first_error = frag("ARG_MIN(lp_act_error, lp_seq) FILTER (WHERE NOT lp_act_error IS NULL)")
        else:
            order = frag("CASE WHEN lp_act_error IS NOT NULL THEN lp_seq END")
            first_error = frag("LP_FIRST_BY(lp_act_error, COALESCE(:o, 9223372036854775807))", o=order)
        cols.append(_alias(first_error, "lp_act_error"))
        query = exp.select(*cols).from_("lp_act", copy=False).group_by(c("lp_row"), copy=False)
        query.add_comments([" per lead: each engagement rule's count, and its points x decay summed in activity input order"
                            " (or in any order, or n x points, where that is exact); each `did` count; the first activity error "])
        # read twice when some rules are summed (lp_risky, lp_rules): computed once
        self.cte("lp_facts", query, materialized=True if summed else None)
        if summed:
            self._fallback(summed)

    @staticmethod
    def _ordered_terms(items: "list[tuple[int, exp.Expr, exp.Expr]]") -> exp.Expr:
        """ARRAY_AGG of [term of each rule] in input order, of the activities some rule matched (DuckDB)."""
        terms = exp.Anonymous(this="list_value", expressions=[
            frag("CASE WHEN :m THEN :x ELSE CAST(0 AS DOUBLE) END", m=match, x=earned) for _, match, earned in items])
        any_match = exp.or_(*[exp.Paren(this=match) for _, match, _ in items], copy=False)
        return frag("ARRAY_AGG(:t ORDER BY lp_seq ASC) FILTER (WHERE :m)", t=terms, m=any_match)

    def _exact(self, r_index: int) -> exp.Expr:
        """True when rule `r_index`'s SUM is this lead's ordered fold (sums.py)."""
        found = self.summed[r_index]
        k_max = frag("lp_facts.lp_k_max") if found.j and self.policy.decay is not None else None
        return sums.exact_condition(found, frag("lp_facts.:n", n=ident(f"lp_e_{r_index}_n")), k_max)

    def _fallback(self, summed: "list[tuple[int, exp.Expr, exp.Expr, sums.Dyadic]]") -> None:
        """The ordered fold of the summed rules, only for the leads where a SUM is not exact:
        their activities read again (DuckDB stops reading at once when there are none)."""
        exact = exp.and_(*[exp.Paren(this=self._exact(r_index)) for r_index, _, _, _ in summed], copy=False)
        risky = exp.select(c("lp_row")).from_("lp_facts", copy=False).where(exp.not_(exp.Paren(this=exact)), copy=False)
        risky.add_comments([" the leads whose decayed points must be added in input order (sums.py) "])
        self.cte("lp_risky", risky)
        raw = exp.select(exp.Star()).from_("lp_raw_acts", copy=False).where(
            frag("lp_row IN (SELECT lp_row FROM lp_risky)"), copy=False)
        self.cte("lp_raw_acts_fb", raw)
        self.activities("lp_raw_acts_fb", "lp_fb_act")
        query = exp.select(c("lp_row"), _alias(self._ordered_terms([(r, m, x) for r, m, x, _ in summed]), "lp_e_fold")).from_(
            "lp_fb_act", copy=False).group_by(c("lp_row"), copy=False)
        query.add_comments([" those leads' terms in input order "])
        self.cte("lp_fold", query)
        self.fold_order = [r_index for r_index, _, _, _ in summed]

    @staticmethod
    def _fold_column(terms: exp.Expr, index: int) -> exp.Expr:
        """0.0 + the `index`-th (0-based) term of each element of `terms`, in list order."""
        a, b, x = (exp.to_identifier(n) for n in ("lp_a", "lp_b", "lp_x"))
        column = exp.Anonymous(this="list_transform", expressions=[
            terms, exp.Lambda(this=exp.Anonymous(this="list_extract", expressions=[exp.column(x), exp.Literal.number(index + 1)]),
                              expressions=[x])])
        listed = frag("LIST_PREPEND(CAST(0 AS DOUBLE), :l)", l=column)
        folded = exp.Anonymous(this="list_reduce", expressions=[
            listed, exp.Lambda(this=exp.Add(this=exp.column(a), expression=exp.column(b)), expressions=[a, b])])
        return frag("COALESCE(:f, CAST(0 AS DOUBLE))", f=folded)

    def _rule_total(self, r_index: int, rule: nodes.EngagementRule) -> exp.Expr:
        """A rule's total before its cap (the reference's 0.0 + term + term ... in input order)."""
        if r_index in self.summed:
            # + 0.0: the reference starts at +0.0, so a sum of -0.0 terms is +0.0
            return frag("CASE WHEN :exact THEN COALESCE(lp_facts.:s, CAST(0 AS DOUBLE)) + CAST(0 AS DOUBLE) ELSE :fold END",
                        exact=self._exact(r_index), s=ident(f"lp_e_{r_index}_sum"),
                        fold=self._fold_column(frag("lp_fold.lp_e_fold"), self.fold_order.index(r_index)))
        if r_index not in self.folded:
            # n * p; + 0.0 makes the -0.0 of 0 * (negative p) the reference's 0.0
            return frag("CAST(COALESCE(lp_facts.:n, 0) AS DOUBLE) * :p + CAST(0 AS DOUBLE)",
                        n=ident(f"lp_e_{r_index}_n"), p=num(float(rule.points)))
        if current_dialect() != "duckdb":
            return frag("COALESCE(lp_facts.:s, CAST(0 AS DOUBLE))", s=ident(f"lp_e_{r_index}_sum"))
        return self._fold_column(frag("lp_facts.lp_e_terms"), self.folded.index(r_index))

    def engagement(self, did_names: list[str]) -> None:
        cols: list[exp.Expr] = [exp.Column(this=exp.Star(), table=exp.to_identifier("lp_lead"))]
        total = num(0.0)
        for r_index, rule in enumerate(self.policy.engagement_rules):
            raw = self._rule_total(r_index, rule)
            if rule.max is not None:
                cap = num(float(rule.max))
                if float(rule.points) >= 0:
                    raw = frag("CASE WHEN :cap < :t THEN :cap ELSE :t END", cap=cap, t=raw)
                else:
                    raw = frag("CASE WHEN -:cap > :t THEN -:cap ELSE :t END", cap=cap, t=raw)
            cols.append(_alias(raw, f"lp_e_{r_index}", _cite(rule, f"engagement rule {rule.name}")))
            cols.append(_alias(frag("COALESCE(lp_facts.:n, 0)", n=ident(f"lp_e_{r_index}_n")), f"lp_e_{r_index}_n"))
        for name in did_names:
            cols.append(_alias(frag("COALESCE(lp_facts.:n, 0)", n=ident(name)), name))
        cols.append(_alias(frag("lp_facts.lp_act_error"), "lp_act_error"))
        query = exp.select(*cols).from_("lp_lead", copy=False).join("lp_facts", on=frag("lp_lead.lp_row = lp_facts.lp_row"), join_type="left", copy=False)
        if self.summed:
            query = query.join("lp_fold", on=frag("lp_lead.lp_row = lp_fold.lp_row"), join_type="left", copy=False)
        query.add_comments([" engagement: each rule's cap applied to its total "])
        self.cte("lp_rules", query)
        for r_index, _ in enumerate(self.policy.engagement_rules):
            total = exp.Add(this=total, expression=c(f"lp_e_{r_index}"))  # left to right, as Python adds
        query = exp.select(exp.Star(), _alias(total, "lp_engagement")).from_("lp_rules", copy=False)
        query.add_comments([" engagement: 0.0 plus each rule's total, in file order "])
        self.cte("lp_engagement", query)

    # ------------------------------------------------ fit and grades (sections 9 and 10)

    def fit(self) -> None:
        scope = Scope(field=self._field, as_of=c("lp_as_of"))
        cols: list[exp.Expr] = [exp.Star()]
        total = num(0.0)
        for f_index, rule in enumerate(self.policy.fit_rules):
            holds = SqlExpr(scope).condition(rule.condition)
            cols.append(_alias(holds, f"lp_ft_{f_index}", _cite(rule, f"fit rule {rule.name}")))
        for f_index, rule in enumerate(self.policy.fit_rules):
            points = num(float(rule.points))
            total = exp.Add(this=total, expression=frag("CASE WHEN :h THEN :p ELSE CAST(0 AS DOUBLE) END",
                                                        h=c(f"lp_ft_{f_index}"), p=points))
        inner = exp.select(*cols).from_("lp_engagement", copy=False)
        query = exp.select(exp.Star(), _alias(total, "lp_fit")).from_(
            exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("lp_held"))), copy=False)
        query.add_comments([" fit: 0.0 plus the points of each rule whose condition holds, in file order "])
        self.cte("lp_fit", query)

    def _scope(self, stage: "Callable[[int], exp.Expr] | None" = None) -> Scope:
        return Scope(field=self._field, as_of=c("lp_as_of"), did=self.did, stage=stage,
                     engagement=c("lp_engagement"), fit=c("lp_fit"), grade=c("lp_grade"))

    def grade(self) -> None:
        walker = SqlExpr(self._scope())
        ifs = []
        default = None
        for band in self.policy.grades:
            if band.condition is None:
                default = lit(band.letter)
                break
            ifs.append(exp.If(this=walker.condition(band.condition), true=lit(band.letter)))
        grade: exp.Expr = exp.Case(ifs=ifs, default=default) if ifs else (default or exp.Null())
        grade = exp.Cast(this=grade, to=exp.DataType.build("varchar")) if not ifs else grade
        query = exp.select(exp.Star(), _alias(grade, "lp_grade")).from_("lp_fit", copy=False)
        query.add_comments([" grades: the first band whose condition holds "])
        self.cte("lp_grade", query)

    # ------------------------------------------------ stages (section 14)

    def _inline_stage(self, index: int) -> exp.Expr:
        condition = self.policy.stages[index].condition if self.stage_names else None
        if index == 0 or condition is None:
            return exp.true()
        return exp.Paren(this=SqlExpr(self._scope(stage=self._inline_stage)).condition(condition))

    def stages(self) -> None:
        cols: list[exp.Expr] = [exp.Star()]
        for index, stage in enumerate(self.policy.stages):
            cols.append(_alias(self._inline_stage(index), f"lp_st_{index}", _cite(stage, f"stage {stage.name}")))
        inner = exp.select(*cols).from_("lp_grade", copy=False)
        qualified = case(ifs=[exp.If(this=c(f"lp_st_{i}"), true=exp.Literal.number(i))
                              for i in range(len(self.policy.stages) - 1, 0, -1)], default=exp.Literal.number(0))
        query = exp.select(exp.Star(), _alias(qualified, "lp_qualified")).from_(
            exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("lp_entry"))), copy=False)
        query.add_comments([" stages: each entry condition; the qualified stage is the highest that holds "])
        self.cte("lp_stages", query)

    def _index_of(self, name_column: exp.Expr) -> exp.Expr:
        return exp.Case(this=name_column, ifs=[exp.If(this=lit(n), true=exp.Literal.number(i))
                                               for i, n in enumerate(self.stage_names)])

    def place(self) -> str:
        """Disqualification, then sticky demotion, one step per CTE (each step moves down)."""
        walker = SqlExpr(self._scope(stage=lambda i: c(f"lp_st_{i}")))
        dq: exp.Expr = exp.Case(ifs=[exp.If(this=walker.condition(rule.condition), true=lit(rule.name))
                           for rule in self.policy.disqualifications])
        if not self.policy.disqualifications:
            dq = exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar"))
        previous_index = self._index_of(c("lp_previous"))
        query = exp.select(exp.Star(), _alias(dq, "lp_dq_rule"),
                           _alias(frag("CASE WHEN lp_previous IS NULL OR lp_previous = 'disqualified' THEN -1 ELSE :p END",
                                       p=previous_index), "lp_prev_index")).from_("lp_stages", copy=False)
        query.add_comments([" disqualify: the first rule, in file order, whose condition holds "])
        self.cte("lp_demote_0", query)
        # Section 6, step 5: S starts at the previous stage; while S is above the qualified
        # stage, the first demotion from S whose condition holds moves S to its target
        # (raised to the qualified stage); none: stop.
        current = "lp_demote_0"
        s_col = frag("lp_prev_index")
        fired: exp.Expr = exp.Cast(this=exp.Null(), to=exp.DataType.build("varchar"))
        demotions = self.policy.demotions
        steps = max(0, len(self.stage_names) - 1) if demotions else 0
        for step in range(1, steps + 1):
            ifs = []
            for rule in demotions:
                source = self.stage_names.index(rule.source)
                target = self.stage_names.index(rule.target)
                ifs.append((source, target, rule))
            rule_case = exp.Case(ifs=[exp.If(this=exp.and_(frag(":s = :src", s=s_col, src=exp.Literal.number(src)),
                                                            exp.Paren(this=walker.condition(rule.condition)), copy=False),
                                             true=exp.Literal.number(n)) for n, (src, _, rule) in enumerate(ifs)])
            moving = frag(":s > lp_qualified", s=s_col)
            step_rule = frag("CASE WHEN :moving THEN :r END", moving=moving, r=rule_case)
            new_s = exp.Case(ifs=[exp.If(this=frag(":r = :n", r=c("lp_rule"), n=exp.Literal.number(n)),
                                         true=exp.Literal.number(tgt)) for n, (_, tgt, _) in enumerate(ifs)])
            inner = exp.select(exp.Star(), _alias(step_rule, "lp_rule")).from_(current, copy=False)
            name_of = exp.Case(ifs=[exp.If(this=frag(":r = :n", r=c("lp_rule"), n=exp.Literal.number(n)),
                                           true=lit(rule.name)) for n, (_, _, rule) in enumerate(ifs)])
            s_next = frag("CASE WHEN lp_rule IS NULL THEN :s WHEN :t < lp_qualified THEN lp_qualified ELSE :t END",
                          s=s_col, t=new_s)
            fired_next = frag("CASE WHEN lp_rule IS NULL THEN :f ELSE :nm END", f=fired, nm=name_of)
            outer = exp.select(exp.Star(), _alias(s_next, f"lp_s_{step}"), _alias(fired_next, f"lp_fired_{step}")).from_(
                exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("lp_step"))), copy=False)
            # drop the step's own lp_rule so the next step can name its own
            outer = exp.select(*[c(n) for n in self._carried(step)], c(f"lp_s_{step}"), c(f"lp_fired_{step}")).from_(
                exp.Subquery(this=outer, alias=exp.TableAlias(this=exp.to_identifier("lp_moved"))), copy=False)
            outer.add_comments([f" demote, step {step}: the first demotion rule from S, in file order, whose condition holds "])
            name = f"lp_demote_{step}"
            self.cte(name, outer)
            current = name
            s_col = c(f"lp_s_{step}")
            fired = c(f"lp_fired_{step}")
        self.final_s = s_col
        self.final_fired = fired
        return current

    def _carried(self, step: int) -> list[str]:
        """The columns every demotion step passes on (all but the step's scratch)."""
        names = self._base_columns()
        for earlier in range(1, step):
            names += [f"lp_s_{earlier}", f"lp_fired_{earlier}"]
        return names

    def _base_columns(self) -> list[str]:
        names = ["lp_row", "lp_id", "lp_id_json", "lp_as_of"] + [f"lp_f_{i}" for i in range(len(self.policy.fields))]
        names += ["lp_previous", "lp_field_error", "lp_acts_error", "lp_stage_error"]
        for r_index, _ in enumerate(self.policy.engagement_rules):
            names += [f"lp_e_{r_index}", f"lp_e_{r_index}_n"]
        names += [name for name, _ in self.did.items]
        names += ["lp_act_error", "lp_engagement"]
        names += [f"lp_ft_{i}" for i in range(len(self.policy.fit_rules))]
        names += ["lp_fit", "lp_grade"] + [f"lp_st_{i}" for i in range(len(self.policy.stages))]
        names += ["lp_qualified", "lp_dq_rule", "lp_prev_index"]
        return names

    # ------------------------------------------------ the decision (docs/language-reference.md sections 14 and 15)

    def decision(self, source: str) -> exp.Select:
        names = self.stage_names
        def stage_name(index_expr: exp.Expr) -> exp.Expr:
            return exp.Case(this=index_expr, ifs=[exp.If(this=exp.Literal.number(i), true=lit(n)) for i, n in enumerate(names)])
        error = frag("COALESCE(lp_field_error, lp_acts_error, lp_act_error, lp_stage_error)")
        sticky = frag("lp_prev_index > lp_qualified")
        stage = frag("CASE WHEN :e IS NOT NULL THEN NULL WHEN lp_dq_rule IS NOT NULL THEN 'disqualified'"
                     " WHEN :sticky THEN :held ELSE :q END",
                     e=error, sticky=sticky, held=stage_name(self.final_s), q=stage_name(c("lp_qualified")))
        kind = frag("CASE WHEN :e IS NOT NULL THEN NULL WHEN lp_dq_rule IS NOT NULL THEN 'disqualified'"
                    " WHEN NOT :sticky THEN 'qualified' WHEN :f IS NULL THEN 'held' ELSE 'demoted' END",
                    e=error, sticky=sticky, f=self.final_fired)
        rule = frag("CASE WHEN :e IS NOT NULL THEN NULL WHEN lp_dq_rule IS NOT NULL THEN lp_dq_rule"
                    " WHEN :sticky THEN :f END", e=error, sticky=sticky, f=self.final_fired)
        order = {n: i for i, n in enumerate(names)}
        order[nodes.DISQUALIFIED] = len(names)
        result_order = frag("CASE WHEN lp_dq_rule IS NOT NULL THEN :dq WHEN :sticky THEN :s ELSE lp_qualified END",
                            dq=exp.Literal.number(len(names)), sticky=sticky, s=self.final_s)
        previous_order = frag("CASE WHEN lp_previous = 'disqualified' THEN :dq ELSE lp_prev_index END",
                              dq=exp.Literal.number(len(names)))
        change = frag("CASE WHEN :e IS NOT NULL THEN NULL WHEN lp_previous IS NULL THEN 'new'"
                      " WHEN :po = :ro THEN 'unchanged' WHEN lp_dq_rule IS NOT NULL THEN 'disqualified'"
                      " WHEN lp_previous = 'disqualified' THEN 'requalified' WHEN :ro > :po THEN 'promoted' ELSE 'demoted' END",
                      e=error, po=previous_order, ro=result_order)
        ok = frag(":e IS NULL", e=error)
        cols: list[exp.Expr] = [
            _alias(c("lp_id"), "id"),
            _alias(stage, "stage"),
            _alias(frag("CASE WHEN :ok THEN lp_previous END", ok=ok), "previous_stage"),
            _alias(change, "change"),
            _alias(frag("CASE WHEN :ok THEN lp_engagement END", ok=ok), "engagement"),
            _alias(frag("CASE WHEN :ok THEN lp_fit END", ok=ok), "fit"),
            _alias(frag("CASE WHEN :ok THEN lp_grade END", ok=ok), "grade"),
            _alias(kind, "reason_kind"),
            _alias(rule, "reason_rule"),
            _alias(frag("CASE WHEN :ok THEN :h END", ok=ok, h=hits_json(self.policy)), "hits"),
            _alias(error_json(self.policy, error), "error"),
            c("lp_row"), c("lp_id_json"),
        ]
        cols += [c(name) for name in self.rule_columns]  # diff: the hits as columns (hits.rule_columns)
        query = exp.select(*cols).from_(source, copy=False)
        query.add_comments([" the decision (docs/language-reference.md sections 14 and 15): stage, change, reason, hits in file order, or the data error "])
        return query


def build_query(policy: nodes.Policy, with_rules: bool = False, typed: frozenset[str] = frozenset()) -> exp.Select:
    """The one query (a sqlglot tree) for a checked, resolved policy. `with_rules`: the final
    SELECT also has the columns `hits` is made of (hits.rule_columns: leadpolicy diff counts them).
    `typed`: the raw text columns the input gives a typed value beside (DuckDB; inputs.Relational)."""
    b = _Builder(policy, typed)
    if with_rules:
        b.rule_columns = rule_columns(policy)
    # `did` columns are collected while conditions are built; build the later
    # sections first into a scratch list, then the facts with every `did` known.
    b.as_of()
    b.lead()
    b.activities()
    head = list(b.ctes)
    b.ctes = []
    placeholder_facts = len(head)
    # later sections (they register `did` counts)
    b.fit()
    b.grade()
    b.stages()
    last = b.place()
    tail_after_engagement = list(b.ctes)
    b.ctes = []
    b.facts(b.did.items)
    b.engagement([name for name, _ in b.did.items])
    middle = list(b.ctes)
    final = b.decision(last)
    del placeholder_facts
    query = final
    for cte in head + middle + tail_after_engagement:
        query = query.with_(cte.alias, as_=cte.this, materialized=cte.args.get("materialized"), copy=False)
    query = query.order_by(exp.Ordered(this=c("lp_row"), desc=False), copy=False)  # ASC written out, as every ORDER BY here: a DuckDB connection may SET default_order = 'desc'
    return query
