"""Policy text from a (possibly unresolved) expression, for hints that show the
fix in the user's own words. Parenthesises by precedence as the grammar does:
`or` < `and` < `not` < comparisons < `+ -` < `*` < unary minus."""

from __future__ import annotations

from typing import ClassVar

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["show"]

_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _ATOM = range(8)


def show(e: n.Expr) -> str:
    return _Shower().text(e, 0)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Shower(NodeVisitor):
    prefix: ClassVar[str] = "show_"

    def text(self, e: n.Expr, outer: int) -> str:
        text, level = self.visit(e)
        return f"({text})" if level < outer else text

    def generic_visit(self, node, *args, **kwargs):  # a node kind with no spelling here
        return "...", _ATOM

    def show_Number(self, e: n.Number):
        return e.text or format(e.value, "g"), _ATOM

    def show_String(self, e: n.String):
        return _quote(e.value), _ATOM

    def show_DateLit(self, e: n.DateLit):
        return e.text or "...", _ATOM

    def show_Bool(self, e: n.Bool):
        return ("true" if e.value else "false"), _ATOM

    def show_Name(self, e: n.Name):
        return e.name, _ATOM

    def show_FieldRef(self, e: n.FieldRef):
        return e.name, _ATOM

    def show_PropRef(self, e: n.PropRef):
        return e.name, _ATOM

    def show_StageRef(self, e: n.StageRef):
        return e.name, _ATOM

    def show_EnumValue(self, e: n.EnumValue):
        return (e.member if e.member.isidentifier() else _quote(e.member)), _ATOM

    def show_GradeValue(self, e: n.GradeValue):
        return e.letter, _ATOM

    def show_Engagement(self, e):
        return "engagement", _ATOM

    def show_Fit(self, e):
        return "fit", _ATOM

    def show_Grade(self, e):
        return "grade", _ATOM

    def show_DaysSince(self, e: n.DaysSince):
        return f"days since {e.field_name}", _ATOM

    def show_Paren(self, e: n.Paren):
        return "(" + self.text(e.inner, 0) + ")", _ATOM

    def show_Neg(self, e: n.Neg):
        return "-" + self.text(e.operand, _NEG), _NEG

    def show_Arith(self, e: n.Arith):
        level = _MUL if e.op == "*" else _ADD
        return f"{self.text(e.left, level)} {e.op} {self.text(e.right, level + 1)}", level

    def show_Compare(self, e: n.Compare):
        return f"{self.text(e.left, _ADD)} {e.op} {self.text(e.right, _ADD)}", _CMP

    def show_TextTest(self, e: n.TextTest):
        return f"{self.text(e.left, _ADD)} {e.op} {self.text(e.right, _ADD)}", _CMP

    def show_InList(self, e: n.InList):
        items = ", ".join(self.text(i, 0) for i in e.items)
        return f"{self.text(e.operand, _ADD)} {'not in' if e.negated else 'in'} ({items})", _CMP

    def show_IsMissing(self, e: n.IsMissing):
        return f"{self.text(e.operand, _ADD)} is {'present' if e.negated else 'missing'}", _CMP

    def show_Not(self, e: n.Not):
        return "not " + self.text(e.operand, _NOT), _NOT

    def show_And(self, e: n.And):
        return " and ".join(self.text(o, _AND + 1) for o in e.operands), _AND

    def show_Or(self, e: n.Or):
        return " or ".join(self.text(o, _OR + 1) for o in e.operands), _OR

    def show_AtLeast(self, e: n.AtLeast):
        return f"at least {e.count} of (" + ", ".join(self.text(c, 0) for c in e.conditions) + ")", _ATOM

    def show_Did(self, e: n.Did):
        text = ("no " if e.negated else "did ") + (e.activity or "activity")
        if e.where is not None:
            text += " where " + self.text(e.where, 0)
        if e.times != 1:
            text += f" at least {e.times} times"
        if e.within is not None:
            amount = e.within.text or format(e.within.amount, "g")
            text += f" within {amount} {e.within.unit}{'' if e.within.amount == 1 else 's'}"
        return text, _CMP
