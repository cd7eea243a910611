"""How tightly each kind of expression binds (docs/language-reference.md section 13.7), and
where a printed operand needs parentheses: the one table every printer of conditions uses.

    OR < AND < NOT < COMPARE (comparisons, `in`, text tests, `is missing`, `did`)
       < ADD (`+ -`) < MUL (`*`) < NEG (unary `-`) < ATOM

A printer asks for an operand at the level its place needs (`grouped(text, operand, outer)`):
policy text (check/show.py) at the grammar's levels, so the text parses back to the same tree
(the right operand of `-` and of `*` one level up); the handoff document's English and the
diagram's shorthand at the levels a reader who takes `+` and `*` as associative needs, each
adding the parentheses it writes for clarity. The Python back end prints Python, whose own
levels are in backends/python/source.py; the SQL back end groups every compound operand.
"""

from __future__ import annotations

from leadpolicy.syntax import nodes as n

__all__ = ["OR", "AND", "NOT", "COMPARE", "ADD", "MUL", "NEG", "ATOM", "level", "grouped"]

OR, AND, NOT, COMPARE, ADD, MUL, NEG, ATOM = range(8)

_LEVELS: dict[type, int] = {
    n.Or: OR, n.And: AND, n.Not: NOT,
    n.Compare: COMPARE, n.TextTest: COMPARE, n.InList: COMPARE, n.IsMissing: COMPARE, n.Did: COMPARE,
    n.Neg: NEG,
}


def level(e: n.Expr) -> int:
    """How tightly `e` binds as written without parentheses (`at least N of (...)`, a
    parenthesis, a name or a literal: ATOM)."""
    if isinstance(e, n.Arith):
        return MUL if e.op == "*" else ADD
    return _LEVELS.get(type(e), ATOM)


def grouped(text: str, operand: n.Expr, outer: int) -> str:
    """`text`, the printed `operand`, in parentheses when it binds more loosely than `outer`."""
    return f"({text})" if level(operand) < outer else text
