"""The tree -> the layout document: literals and conditions (one `c_<Kind>` per node kind)."""

from __future__ import annotations

from typing import Callable, Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.comments import SourceTable
from leadpolicy.syntax.nodes import quote
from leadpolicy.syntax.visitor import NodeVisitor
from leadpolicy.tools.fmt.doc import NOWHERE, Chain, Clauses, Doc, List, Paren, Seq, Tok

# What `seq` takes: a word, a doc, a function making a doc (called in order), or None (skipped).
Part = Union[str, Doc, Callable[[], Doc], None]


# ---------------------------------------------------------------- the tree -> the document


class DocBuilder(NodeVisitor):
    """Makes the layout document from the tree, creating tokens in printing order."""

    def __init__(self, source: Optional[SourceTable] = None) -> None:
        self.tokens: list[Tok] = []
        self.source = source
        self.fence = NOWHERE

    def tok(self, text: str, synthetic: bool = False, recover: bool = False) -> Tok:
        t = Tok(text, synthetic, recover, self.fence)
        self.tokens.append(t)
        return t

    def seq(self, *parts: Part, glue: bool = False) -> Seq:
        """Parts are strings (made into tokens), Docs, or functions making a Doc;
        strings and functions are turned into tokens here, left to right, so
        tokens are always created in printing order."""
        items: list[tuple[str, Doc]] = []
        for part in parts:
            if part is None:
                continue
            if isinstance(part, str):
                doc: Doc = self.tok(part)
            elif callable(part):
                doc = part()
            else:
                doc = part
            items.append(("" if glue else " ", doc))
        return Seq(items)

    def words(self, text: str) -> Seq:
        return self.seq(*text.split())

    # -- literals

    def number(self, text: str, recover: bool = False) -> Doc:
        if text.startswith("-"):
            minus = self.tok("-")
            return Seq([("", minus), ("", self.tok(text[1:], recover=recover))])
        return self.tok(text, recover=recover)

    def duration(self, d: n.Duration) -> Seq:
        amount = d.text or number_text(d.amount)
        unit = d.unit if d.amount == 1 else d.unit + "s"
        return self.seq(amount, unit)

    def member(self, name: str) -> Tok:
        return self.tok(n.member_text(name), recover=True)  # quoted or not, as written

    def type_spec(self, t: n.FieldType) -> Doc:
        if t.kind != "enum":
            return self.tok(t.kind)
        head = self.seq("one", "of", "(")
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, m in enumerate(t.members):
            if i:
                commas.append(self.tok(","))
            items.append(self.member(m))
        return List(head, items, commas, self.tok(")"), fill=True)

    # -- conditions

    prefix = "c_"

    def cond(self, e: n.Expr, closed: bool = False) -> Doc:
        """`closed`: more of the condition follows this one (`and ...`, `or ...`),
        so a `did X where ...` in it must not stay open (see `c_Did`)."""
        if isinstance(e, (n.And, n.Or, n.Not, n.Did)):
            doc: Doc = self.visit(e, closed)
        else:
            doc = self.visit(e)
        return doc

    def _chain(self, e: n.And | n.Or, op: str, closed: bool) -> Chain:
        first = self.cond(e.operands[0], closed=True)
        rest: list[tuple[Tok, Doc]] = []
        for i, operand in enumerate(e.operands[1:]):
            word = self.tok(op)
            rest.append((word, self.cond(operand, closed=closed or i < len(e.operands) - 2)))
        return Chain(first, rest)

    def c_Or(self, e: n.Or, closed: bool) -> Doc:
        return self._chain(e, "or", closed)

    def c_And(self, e: n.And, closed: bool) -> Doc:
        return self._chain(e, "and", closed)

    def c_Not(self, e: n.Not, closed: bool) -> Doc:
        return self.seq("not", lambda: self.cond(e.operand, closed))

    def c_Paren(self, e: n.Paren) -> Doc:
        open_ = self.tok("(")
        inner = self.cond(e.inner)
        return Paren(open_, inner, self.tok(")"))

    def c_Compare(self, e: n.Compare) -> Doc:
        left = self.cond(e.left)
        return Seq([("", left), (" ", self.tok(e.op)), (" ", self.cond(e.right))])

    def c_TextTest(self, e: n.TextTest) -> Doc:
        left = self.cond(e.left)
        items: list[tuple[str, Doc]] = [("", left)]
        for word in e.op.split():
            items.append((" ", self.tok(word)))
        items.append((" ", self.cond(e.right)))
        return Seq(items)

    def c_IsMissing(self, e: n.IsMissing) -> Doc:
        operand = self.cond(e.operand)
        return Seq([("", operand), (" ", self.tok("is")), (" ", self.tok("present" if e.negated else "missing"))])

    def c_InList(self, e: n.InList) -> Doc:
        operand = self.cond(e.operand)
        head_items: list[tuple[str, Doc]] = [("", operand)]
        if e.negated:
            head_items.append((" ", self.tok("not")))
        head_items.append((" ", self.tok("in")))
        head_items.append((" ", self.tok("(")))
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, item in enumerate(e.items):
            if i:
                commas.append(self.tok(","))
            items.append(self.cond(item))
        return List(Seq(head_items), items, commas, self.tok(")"), fill=True)

    def c_AtLeast(self, e: n.AtLeast) -> Doc:
        head = self.seq("at", "least", lambda: self.tok(str(e.count), recover=True), "of", "(")
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, c in enumerate(e.conditions):
            if i:
                commas.append(self.tok(","))
            items.append(self.cond(c))
        return List(head, items, commas, self.tok(")"), fill=False)

    def c_Did(self, e: n.Did, closed: bool) -> Doc:
        """`at least 1 times` is the default and goes, except where it ends a
        `where` that would otherwise swallow the `and`/`or` after it."""
        clauses: list[Doc] = [self.seq("no" if e.negated else "did", e.activity if e.activity is not None else "activity")]
        where, within = e.where, e.within
        if where is not None:
            clauses.append(self.seq("where", lambda: self.cond(where)))
        if e.times != 1 or (closed and e.where is not None and e.within is None and not e.negated):
            clauses.append(self.seq("at", "least", lambda: self.tok(str(e.times), recover=True), "times"))
        if within is not None:
            clauses.append(self.seq("within", lambda: self.duration(within)))
        return Clauses(clauses) if len(clauses) > 1 else clauses[0]

    def c_Arith(self, e: n.Arith) -> Doc:
        left = self.cond(e.left)
        return Seq([("", left), (" ", self.tok(e.op)), (" ", self.cond(e.right))])

    def c_Neg(self, e: n.Neg) -> Doc:
        minus = self.tok("-")
        return Seq([("", minus), ("", self.cond(e.operand))])

    def c_Number(self, e: n.Number) -> Doc:
        return self.number(e.text or number_text(e.value))

    def c_String(self, e: n.String) -> Doc:
        return self.tok(quote(e.value))

    def c_DateLit(self, e: n.DateLit) -> Doc:
        return self.tok(e.text)

    def c_Bool(self, e: n.Bool) -> Doc:
        return self.tok("true" if e.value else "false")

    def c_Name(self, e: n.Name) -> Doc:
        return self.tok(e.name)

    def c_FieldRef(self, e: n.FieldRef | n.PropRef | n.StageRef) -> Doc:
        return self.tok(e.name)

    c_PropRef = c_FieldRef
    c_StageRef = c_FieldRef

    def c_EnumValue(self, e: n.EnumValue) -> Doc:
        return self.member(e.member)

    def c_GradeValue(self, e: n.GradeValue) -> Doc:
        return self.tok(e.letter)

    def c_Engagement(self, e: n.Engagement) -> Doc:
        return self.tok("engagement")

    def c_Fit(self, e: n.Fit) -> Doc:
        return self.tok("fit")

    def c_Grade(self, e: n.Grade) -> Doc:
        return self.tok("grade")

    def c_DaysSince(self, e: n.DaysSince) -> Doc:
        return self.seq("days", "since", e.field_name)

    # -- rule pieces

    def rule_name(self, name: str) -> Seq:
        return Seq([("", self.tok(quote(name))), ("", self.tok(":"))])

    def points(self, value: float, text: str) -> Seq:
        sign = "-" if text.startswith("-") else "+"
        sign_tok = self.tok(sign, synthetic=text[:1] not in "+-")
        digits = text.lstrip("+-") or number_text(abs(value))
        return Seq([("", sign_tok), ("", self.tok(digits))])

    def when(self, condition: n.Expr) -> Seq:
        return self.seq("when", lambda: self.cond(condition))


def number_text(value: float) -> str:
    """A number as the language writes it (no exponent), for trees without its text."""
    if value == int(value):
        return str(int(value))
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")
