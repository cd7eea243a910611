"""Policy text from a (possibly unresolved) expression, for hints that show the
fix in the user's own words. Parenthesises at the grammar's levels (syntax/precedence.py),
so the text parses back to the same tree."""

from __future__ import annotations

from typing import Any, ClassVar

from leadpolicy.syntax import nodes as n, precedence as p
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["show"]


def show(e: n.Expr) -> str:
    return _Shower().text(e, 0)


class _Shower(NodeVisitor):
    prefix: ClassVar[str] = "show_"

    def text(self, e: n.Expr, outer: int) -> str:
        text, level = self.visit(e)
        return f"({text})" if level < outer else text

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:  # a node kind with no spelling here
        return "...", p.ATOM

    def show_Number(self, e: n.Number) -> tuple[str, int]:
        return e.text or format(e.value, "g"), p.ATOM

    def show_String(self, e: n.String) -> tuple[str, int]:
        return n.quote(e.value), p.ATOM

    def show_DateLit(self, e: n.DateLit) -> tuple[str, int]:
        return e.text or "...", p.ATOM

    def show_Bool(self, e: n.Bool) -> tuple[str, int]:
        return ("true" if e.value else "false"), p.ATOM

    def show_Name(self, e: n.Name) -> tuple[str, int]:
        return e.name, p.ATOM

    def show_FieldRef(self, e: n.FieldRef) -> tuple[str, int]:
        return e.name, p.ATOM

    def show_PropRef(self, e: n.PropRef) -> tuple[str, int]:
        return e.name, p.ATOM

    def show_StageRef(self, e: n.StageRef) -> tuple[str, int]:
        return e.name, p.ATOM

    def show_EnumValue(self, e: n.EnumValue) -> tuple[str, int]:
        return n.member_text(e.member), p.ATOM

    def show_GradeValue(self, e: n.GradeValue) -> tuple[str, int]:
        return e.letter, p.ATOM

    def show_Engagement(self, e: n.Engagement) -> tuple[str, int]:
        return "engagement", p.ATOM

    def show_Fit(self, e: n.Fit) -> tuple[str, int]:
        return "fit", p.ATOM

    def show_Grade(self, e: n.Grade) -> tuple[str, int]:
        return "grade", p.ATOM

    def show_DaysSince(self, e: n.DaysSince) -> tuple[str, int]:
        return f"days since {e.field_name}", p.ATOM

    def show_Paren(self, e: n.Paren) -> tuple[str, int]:
        return "(" + self.text(e.inner, 0) + ")", p.ATOM

    def show_Neg(self, e: n.Neg) -> tuple[str, int]:
        return "-" + self.text(e.operand, p.NEG), p.NEG

    def show_Arith(self, e: n.Arith) -> tuple[str, int]:
        level = p.MUL if e.op == "*" else p.ADD
        return f"{self.text(e.left, level)} {e.op} {self.text(e.right, level + 1)}", level

    def show_Compare(self, e: n.Compare) -> tuple[str, int]:
        return f"{self.text(e.left, p.ADD)} {e.op} {self.text(e.right, p.ADD)}", p.COMPARE

    def show_TextTest(self, e: n.TextTest) -> tuple[str, int]:
        return f"{self.text(e.left, p.ADD)} {e.op} {self.text(e.right, p.ADD)}", p.COMPARE

    def show_InList(self, e: n.InList) -> tuple[str, int]:
        items = ", ".join(self.text(i, 0) for i in e.items)
        return f"{self.text(e.operand, p.ADD)} {'not in' if e.negated else 'in'} ({items})", p.COMPARE

    def show_IsMissing(self, e: n.IsMissing) -> tuple[str, int]:
        return f"{self.text(e.operand, p.ADD)} is {'present' if e.negated else 'missing'}", p.COMPARE

    def show_Not(self, e: n.Not) -> tuple[str, int]:
        return "not " + self.text(e.operand, p.NOT), p.NOT

    def show_And(self, e: n.And) -> tuple[str, int]:
        return " and ".join(self.text(o, p.AND + 1) for o in e.operands), p.AND

    def show_Or(self, e: n.Or) -> tuple[str, int]:
        return " or ".join(self.text(o, p.OR + 1) for o in e.operands), p.OR

    def show_AtLeast(self, e: n.AtLeast) -> tuple[str, int]:
        return f"at least {e.count} of (" + ", ".join(self.text(c, 0) for c in e.conditions) + ")", p.ATOM

    def show_Did(self, e: n.Did) -> tuple[str, int]:
        text = ("no " if e.negated else "did ") + (e.activity or "activity")
        if e.where is not None:
            text += " where " + self.text(e.where, 0)
        if e.times != 1:
            text += f" at least {e.times} times"
        if e.within is not None:
            amount = e.within.text or format(e.within.amount, "g")
            text += f" within {amount} {e.within.unit}{'' if e.within.amount == 1 else 's'}"
        return text, p.COMPARE
