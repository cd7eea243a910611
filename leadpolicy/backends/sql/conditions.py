"""Expressions and conditions (docs/language-reference.md section 13; the contract's "Expressions") as SQL.

`SqlExpr` walks a checked expression (one `sql_<Kind>` method per node kind)
and returns a sqlglot expression. Values may be NULL (missing); every
condition it returns is TRUE or FALSE, never NULL, so `NOT`, `AND`, `OR` and
CASE behave as the reference's two-valued booleans do.

Where a value lives depends on the query section being built; a `Scope` says:
the lead's read fields, the current activity's properties (inside `where`),
the scores, the stages, and the per-lead activity counts that `did` needs
(collected here and computed by the activities section).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from leadpolicy.backends.sql.fragments import exp, frag, lit, num
from leadpolicy.syntax import nodes
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["SqlExpr", "Scope", "DidCounts"]

MICROS_PER_DAY = nodes.MICROS_PER_DAY


@dataclass
class DidCounts:
    """Every distinct `did` in the policy, each a per-lead count column of the activities section."""

    items: "list[tuple[str, nodes.Did]]" = field(default_factory=list)  # (column name, Did node)

    def column(self, node: nodes.Did) -> str:
        key = (node.activity, node.where, node.within)
        for name, known in self.items:
            if (known.activity, known.where, known.within) == key:
                return name
        name = f"lp_did_{len(self.items)}"
        self.items.append((name, node))
        return name


@dataclass
class Scope:
    field: Callable[[str], exp.Expr]                       # field name -> its read value
    prop: Optional[Callable[[str, str], exp.Expr]] = None  # (activity, property) -> value, inside `where`
    stage: Optional[Callable[[int], exp.Expr]] = None      # stage index -> its entry condition
    as_of: Optional[exp.Expr] = None                       # BIGINT micros
    did: Optional[DidCounts] = None
    engagement: Optional[exp.Expr] = None
    fit: Optional[exp.Expr] = None
    grade: Optional[exp.Expr] = None


def _false_if_null(condition: "exp.Expr") -> "exp.Expr":
    return exp.Coalesce(this=condition, expressions=[exp.false()])


def _given(value: "Optional[exp.Expr]", what: str) -> "exp.Expr":
    if value is None:
        raise TypeError(f"`{what}` used where it is not known")
    return value


def _may_be_nan(node: nodes.Expr) -> bool:
    """Scores and arithmetic can reach NaN (inf - inf); fields and literals cannot."""
    if isinstance(node, (nodes.Engagement, nodes.Fit, nodes.Arith)):
        return True
    if isinstance(node, nodes.Neg):
        return _may_be_nan(node.operand)
    return False


class SqlExpr(NodeVisitor):
    """Expressions of a checked policy to SQL, for one query section (`scope`)."""

    prefix = "sql_"
    never_given = frozenset({"Name", "Paren"})  # the checker's resolve pass removes them

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def value(self, node: nodes.Expr) -> exp.Expr:
        result: exp.Expr = self.visit(node)
        return result

    def condition(self, node: nodes.Expr) -> exp.Expr:
        """An expression used as a condition: TRUE or FALSE. A boolean value alone is
        `value is True` (a missing boolean is false)."""
        if isinstance(node, nodes.FieldRef | nodes.PropRef) or isinstance(node, nodes.Bool):
            return _false_if_null(self.value(node))
        return self.value(node)

    # ------------------------------------------------ literals

    def sql_Number(self, node: nodes.Number) -> "exp.Expr":
        return num(float(node.value))

    def sql_String(self, node: nodes.String) -> "exp.Expr":
        return lit(node.value.lower())

    def sql_DateLit(self, node: nodes.DateLit) -> "exp.Expr":
        return exp.Literal.number(node.micros)

    def sql_Bool(self, node: nodes.Bool) -> "exp.Expr":
        return exp.true() if node.value else exp.false()

    def sql_EnumValue(self, node: nodes.EnumValue) -> "exp.Expr":
        return exp.Literal.number(node.index)

    def sql_GradeValue(self, node: nodes.GradeValue) -> "exp.Expr":
        return lit(node.letter)

    # ------------------------------------------------ references

    def sql_FieldRef(self, node: nodes.FieldRef) -> "exp.Expr":
        return self.scope.field(node.name)

    def sql_PropRef(self, node: nodes.PropRef) -> "exp.Expr":
        if self.scope.prop is None:
            raise TypeError(f"property `{node.name}` used outside a `where`")
        return self.scope.prop(node.activity, node.name)

    def sql_Engagement(self, node: nodes.Engagement) -> "exp.Expr":
        return _given(self.scope.engagement, "engagement").copy()

    def sql_Fit(self, node: nodes.Fit) -> "exp.Expr":
        return _given(self.scope.fit, "fit").copy()

    def sql_Grade(self, node: nodes.Grade) -> "exp.Expr":
        return _given(self.scope.grade, "grade").copy()

    def sql_StageRef(self, node: nodes.StageRef) -> "exp.Expr":
        if self.scope.stage is None:
            raise TypeError("a stage used where stages are not known")
        return self.scope.stage(node.index)

    def sql_DaysSince(self, node: nodes.DaysSince) -> "exp.Expr":
        # floor((as_of - value) / 1 day), a floor division of integers that may be negative
        return frag("CAST(CASE WHEN :a - :f >= 0 THEN LP_IDIV(:a - :f, :d) ELSE -LP_IDIV(:f - :a + :d - 1, :d) END AS DOUBLE)",
                    a=_given(self.scope.as_of, "as_of"), f=self.scope.field(node.field_name), d=exp.Literal.number(MICROS_PER_DAY))

    # ------------------------------------------------ arithmetic (NULL in, NULL out, as SQL does)

    def sql_Neg(self, node: nodes.Neg) -> "exp.Expr":
        return exp.Neg(this=exp.Paren(this=self.value(node.operand)))

    def sql_Arith(self, node: nodes.Arith) -> "exp.Expr":
        kind = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op]
        return exp.Paren(this=kind(this=exp.Paren(this=self.value(node.left)), expression=exp.Paren(this=self.value(node.right))))

    # ------------------------------------------------ comparisons and tests

    def _equal(self, node: "nodes.Compare") -> "exp.Expr":
        left, right = self.value(node.left), self.value(node.right)
        test = exp.EQ(this=left, expression=right)
        return _false_if_null(self._guard_nan(node, test, left, right))

    def _guard_nan(self, node: "nodes.Compare", test: "exp.Expr", left: "exp.Expr", right: "exp.Expr") -> "exp.Expr":
        guards = [frag("NOT LP_IS_NAN(:x)", x=side) for side, n in ((left, node.left), (right, node.right)) if _may_be_nan(n)]
        return exp.and_(*guards, test, copy=False) if guards else test

    def sql_Compare(self, node: nodes.Compare) -> "exp.Expr":
        if node.op == "!=":
            return exp.Not(this=exp.Paren(this=self._equal(node)))  # `a != b` is `not (a = b)`
        if node.op == "=":
            return self._equal(node)
        kind = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[node.op]
        left, right = self.value(node.left), self.value(node.right)
        return _false_if_null(self._guard_nan(node, kind(this=left, expression=right), left, right))

    def sql_InList(self, node: nodes.InList) -> "exp.Expr":
        operand = self.value(node.operand)
        test: exp.Expr = exp.In(this=operand, expressions=[self.value(item) for item in node.items])
        if _may_be_nan(node.operand):
            test = exp.and_(frag("NOT LP_IS_NAN(:x)", x=operand), test, copy=False)
        found = _false_if_null(test)
        return exp.Not(this=exp.Paren(this=found)) if node.negated else found

    def sql_TextTest(self, node: nodes.TextTest) -> "exp.Expr":
        a, b = self.value(node.left), self.value(node.right)
        if node.op == "starts with":
            test = frag("LEFT(:a, LENGTH(:b)) = :b", a=a, b=b)
        elif node.op == "ends with":
            test = frag("RIGHT(:a, LENGTH(:b)) = :b", a=a, b=b)
        else:  # contains; '' is in every text, but not in a missing one (LENGTH('') = 0 is true whatever :a is)
            test = frag("(:a IS NOT NULL AND (LENGTH(:b) = 0 OR STRPOS(:a, :b) > 0))", a=a, b=b)
        return _false_if_null(test)

    def sql_IsMissing(self, node: nodes.IsMissing) -> "exp.Expr":
        operand = self.value(node.operand)
        return exp.Not(this=exp.Is(this=operand, expression=exp.Null())) if node.negated else exp.Is(this=operand, expression=exp.Null())

    # ------------------------------------------------ logic

    def sql_Not(self, node: nodes.Not) -> "exp.Expr":
        return exp.Not(this=exp.Paren(this=self.condition(node.operand)))

    def sql_And(self, node: nodes.And) -> "exp.Expr":
        return exp.Paren(this=exp.and_(*[exp.Paren(this=self.condition(o)) for o in node.operands], copy=False))

    def sql_Or(self, node: nodes.Or) -> "exp.Expr":
        return exp.Paren(this=exp.or_(*[exp.Paren(this=self.condition(o)) for o in node.operands], copy=False))

    def sql_AtLeast(self, node: nodes.AtLeast) -> "exp.Expr":
        terms = [frag("CASE WHEN :c THEN 1 ELSE 0 END", c=self.condition(c)) for c in node.conditions]
        total = terms[0]
        for term in terms[1:]:
            total = exp.Add(this=total, expression=term)
        return exp.GTE(this=exp.Paren(this=total), expression=exp.Literal.number(node.count))

    # ------------------------------------------------ activities

    def sql_Did(self, node: nodes.Did) -> "exp.Expr":
        if self.scope.did is None:
            raise TypeError("`did` used where activity counts are not known")
        count = exp.column(exp.to_identifier(self.scope.did.column(node), quoted=True))
        did = exp.GTE(this=exp.Coalesce(this=count, expressions=[exp.Literal.number(0)]),
                      expression=exp.Literal.number(node.times))
        return exp.Not(this=exp.Paren(this=did)) if node.negated else did
