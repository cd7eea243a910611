"""The tree -> the layout document: one method per block, test blocks, and how a block prints."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.nodes import quote
from leadpolicy.tools.fmt.build import DocBuilder, number_text
from leadpolicy.tools.fmt.doc import INDENT, NOWHERE, Braces, Clauses, Doc, List, Seq, Tok, first_token
from leadpolicy.tools.fmt.out import Out
from leadpolicy.tools.fmt.render import render
from leadpolicy.tools.fmt.rows import Row, columns, render_row

# ---------------------------------------------------------------- blocks


# Gaps before each column: one space before `when` and `per`, two elsewhere.
FIELD_GAPS = (0, 2, 2)
ACTIVITY_GAPS = (0, 2, 2)
STAGE_GAPS = (0, 2, 1)
ENGAGEMENT_GAPS = (0, 2, 1, 2, 2)
FIT_GAPS = (0, 2, 1)
GRADE_GAPS = (0, 1)
DEMOTE_GAPS = (0, 2, 1)
DISQUALIFY_GAPS = (0, 1)


# One line of a test block: `as of` (its value), `previous stage` (the stage), the fields joined, an activity, an expectation.
TestLine = Union[n.TestValue, str, list[n.TestField], n.TestActivity, n.Expect]


@dataclass(eq=False)
class _Item:
    """One line-starting item of a block: where its comments go, and how to print it."""

    first: Tok
    render: Callable[[Out], None]


@dataclass(eq=False)
class _Block:
    head: Doc  # ends with `{`
    items: list[_Item]
    close: Tok
    indent: int


def item_comments(out: Out, tok: Tok, allow_blank: bool, token_blank: bool = True) -> None:
    """The own-line comments before an item, with the blank lines kept; the out
    is on a fresh line at the item's indentation and stays there."""
    for i, (text, blank) in enumerate(tok.leading):
        if blank and (allow_blank or i > 0):
            out.blank_line()
        out.comment_line(text)
    if token_blank and tok.blank and (allow_blank or tok.leading):
        out.blank_line()
    tok.leading = []


def render_block(block: _Block, out: Out) -> None:
    render(block.head, out, block.indent, 0, "")
    inner = block.indent + INDENT
    for i, item in enumerate(block.items):
        out.newline(inner)
        item_comments(out, item.first, allow_blank=i > 0)
        item.render(out)
    if block.close.leading:
        out.newline(inner)
        item_comments(out, block.close, allow_blank=bool(block.items), token_blank=False)
    if block.items or out.pending:
        out.newline(block.indent)
    out.token(block.close, "", block.indent)


class _Columns:
    """The columns of a block's rows, worked out when first needed: after the
    comments are attached and every token's text is final."""

    def __init__(self, rows: list[Row], gaps: Sequence[int]):
        self.rows, self.gaps = rows, gaps
        self.cols: Optional[list[Optional[int]]] = None

    def get(self) -> list[Optional[int]]:
        if self.cols is None:
            self.cols = columns(self.rows, self.gaps)
        return self.cols


class BlockPrinter(DocBuilder):
    """Prints whole blocks: one `c_<Kind>Block` per block kind (the layout of its rows), on top of
    the builder's `c_<Kind>` per expression kind."""

    given_blocks = True

    def row_items(self, rows: list[Row], gaps: Sequence[int], cols: Optional[_Columns] = None) -> list[_Item]:
        shared = cols if cols is not None else _Columns(rows, gaps)
        return [_row_item(r, shared, gaps) for r in rows]

    def block_head(self, *words: str) -> Seq:
        return self.seq(*words, "{")

    def where_clause(self, where: n.Expr) -> Seq:
        return self.seq("where", lambda: self.cond(where))

    def within_clause(self, within: n.Duration) -> Seq:
        return self.seq("within", lambda: self.duration(within))

    def doc_item(self, doc: Doc, indent: int) -> _Item:
        return _Item(first_token(doc), lambda out: render(doc, out, indent, 0, ""))

    # -- declarations

    def c_FieldsBlock(self, block: n.FieldsBlock, indent: int) -> _Block:
        head = self.block_head("fields")
        rows: list[Row] = []
        for f in block.items:
            name = self.tok(f.name)
            type_ = self.type_spec(f.type)
            desc = self.tok(quote(f.description)) if f.description is not None else None
            rows.append(Row(indent + INDENT, [name, type_, desc]))
        return _Block(head, self.row_items(rows, FIELD_GAPS), self.tok("}"), indent)

    def c_ActivitiesBlock(self, block: n.ActivitiesBlock, indent: int) -> _Block:
        head = self.block_head("activities")
        rows: list[Row] = []
        for a in block.items:
            name = self.tok(a.name)
            props: Optional[Doc] = None
            if a.props:
                open_ = self.tok("(")
                items: list[Doc] = []
                commas: list[Tok] = []
                for i, p in enumerate(a.props):
                    if i:
                        commas.append(self.tok(","))
                    pname = self.tok(p.name)
                    items.append(Seq([("", pname), (" ", self.type_spec(p.type))]))
                props = List(open_, items, commas, self.tok(")"), fill=True)
            desc = self.tok(quote(a.description)) if a.description is not None else None
            rows.append(Row(indent + INDENT, [name, props, desc]))
        return _Block(head, self.row_items(rows, ACTIVITY_GAPS), self.tok("}"), indent)

    def c_StagesBlock(self, block: n.StagesBlock, indent: int) -> _Block:
        head = self.block_head("stages")
        rows: list[Row] = []
        for s in block.items:
            name = self.tok(s.name)
            desc = self.tok(quote(s.description)) if s.description is not None else None
            when = self.when(s.condition) if s.condition is not None else None
            rows.append(Row(indent + INDENT, [name, desc, when]))
        return _Block(head, self.row_items(rows, STAGE_GAPS), self.tok("}"), indent)

    # -- scores

    def c_EngagementBlock(self, block: n.EngagementBlock, indent: int) -> _Block:
        head = self.block_head("engagement")
        entries: list[Union[Row, Doc]] = []
        rows: list[Row] = []
        for item in block.items:
            if isinstance(item, n.Decay):
                percent, every = item.percent_text or number_text(item.percent), item.every
                doc = self.seq("decay", lambda: self.seq(percent, "%", glue=True), "every", lambda: self.duration(every))
                entries.append(doc)
                continue
            name = self.rule_name(item.name)
            points = self.points(item.points, item.points_text)
            per: Doc = self.seq("per", item.activity)
            if item.where is not None:
                per = Clauses([per, self.where_clause(item.where)])
            within = self.within_clause(item.within) if item.within is not None else None
            max_ = self.seq("max", item.max_text or number_text(item.max)) if item.max is not None else None
            row = Row(indent + INDENT, [name, points, per, within, max_])
            rows.append(row)
            entries.append(row)
        cols = _Columns(rows, ENGAGEMENT_GAPS)
        items: list[_Item] = []
        for entry in entries:
            if isinstance(entry, Row):
                items.extend(self.row_items([entry], ENGAGEMENT_GAPS, cols))
            else:
                items.append(self.doc_item(entry, indent + INDENT))
        return _Block(head, items, self.tok("}"), indent)

    def c_FitBlock(self, block: n.FitBlock, indent: int) -> _Block:
        head = self.block_head("fit")
        rows: list[Row] = []
        plan: list[Union[Row, tuple[Seq, list[Row], Tok]]] = []  # rows, and (group head, [rows], close)

        def rule_row(rule: n.FitRule, at: int) -> Row:
            row = Row(at, [self.rule_name(rule.name), self.points(rule.points, rule.points_text), self.when(rule.condition)])
            rows.append(row)
            return row

        for item in block.items:
            if isinstance(item, n.FitGroup):
                group_head = self.block_head(item.name)
                group_rows = [rule_row(r, indent + 2 * INDENT) for r in item.rules]
                plan.append((group_head, group_rows, self.tok("}")))
            else:
                plan.append(rule_row(item, indent + INDENT))
        cols = _Columns(rows, FIT_GAPS)
        items: list[_Item] = []
        for entry in plan:
            if isinstance(entry, Row):
                items.extend(self.row_items([entry], FIT_GAPS, cols))
            else:
                group_head, group_rows, close = entry
                group = _Block(group_head, self.row_items(group_rows, FIT_GAPS, cols), close, indent + INDENT)
                items.append(_Item(first_token(group_head), _block_renderer(group)))
        return _Block(head, items, self.tok("}"), indent)

    def c_GradesBlock(self, block: n.GradesBlock, indent: int) -> _Block:
        head = self.block_head("grades")
        rows: list[Row] = []
        for band in block.items:
            letter = self.tok(band.letter)
            rest: Doc = self.when(band.condition) if band.condition is not None else self.tok("otherwise")
            rows.append(Row(indent + INDENT, [letter, rest]))
        return _Block(head, self.row_items(rows, GRADE_GAPS), self.tok("}"), indent)

    def c_DemoteBlock(self, block: n.DemoteBlock, indent: int) -> _Block:
        head = self.block_head("demote")
        rows: list[Row] = []
        for rule in block.items:
            name = self.rule_name(rule.name)
            move = self.seq(rule.source, "->", rule.target)
            rows.append(Row(indent + INDENT, [name, move, self.when(rule.condition)]))
        return _Block(head, self.row_items(rows, DEMOTE_GAPS), self.tok("}"), indent)

    def c_DisqualifyBlock(self, block: n.DisqualifyBlock, indent: int) -> _Block:
        head = self.block_head("disqualify")
        rows: list[Row] = []
        for rule in block.items:
            rows.append(Row(indent + INDENT, [self.rule_name(rule.name), self.when(rule.condition)]))
        return _Block(head, self.row_items(rows, DISQUALIFY_GAPS), self.tok("}"), indent)

    # -- tests

    def test_value(self, v: n.TestValue) -> Doc:
        if v.kind == "string":
            return self.tok(quote(str(v.value)))
        if v.kind == "bool":
            return self.tok("true" if v.value else "false")
        if v.kind == "number":
            assert isinstance(v.value, (int, float))
            return self.number(v.text or number_text(v.value))
        return self.tok(v.text or str(v.value))

    def pairs(self, pairs: Sequence[n.TestField]) -> tuple[list[Doc], list[Tok]]:
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, p in enumerate(pairs):
            if i:
                # a comma between two `fields { }` joined into one is fmt's own
                commas.append(self.tok(",", synthetic=not self._comma_between(pairs[i - 1], p)))
            name = self.tok(p.name)
            colon = self.tok(":")
            items.append(Seq([("", name), ("", colon), (" ", self.test_value(p.value))]))
        return items, commas

    def _comma_between(self, before: n.Node, after: n.Node) -> bool:
        if self.source is None or before.span is None or after.span is None:
            return True
        return any(t.text == "," for t in self.source.tokens_within(before.span.end, after.span.start))

    def c_TestsBlock(self, block: n.TestsBlock, indent: int) -> _Block:
        return self.test_block(block.test, indent)

    def test_block(self, test: n.TestBlock, indent: int) -> _Block:
        head = self.seq("test", quote(test.name), "{")
        entries: list[tuple[int, int, Union[TestLine, n.TestField]]] = []  # (source offset, kind order, line)
        if test.as_of is not None:
            entries.append((_offset(test.as_of.span), 0, test.as_of))
        if test.previous_stage is not None:
            entries.append((_offset(test.previous_stage_span), 1, test.previous_stage))
        for f in test.fields:
            entries.append((_offset(f.span), 2, f))
        for a in test.activities:
            entries.append((_offset(a.span), 3, a))
        for x in test.expectations:
            entries.append((_offset(x.span), 4, x))
        entries.sort(key=lambda e: (e[0], e[1]))
        # consecutive fields form one `fields { ... }` (the parser joins them all)
        lines: list[TestLine] = []
        for _, _, line in entries:
            if isinstance(line, n.TestField):
                last = lines[-1] if lines else None
                if isinstance(last, list):
                    last.append(line)
                else:
                    lines.append([line])
            else:
                lines.append(line)
        inner = indent + INDENT
        items = [self.doc_item(self.test_item(line), inner) for line in lines]
        return _Block(head, items, self.tok("}"), indent)

    def test_item(self, line: TestLine) -> Doc:
        if isinstance(line, n.TestValue):
            return self.seq("as", "of", line.text)
        if isinstance(line, str):
            return self.seq("previous", "stage", line)
        if isinstance(line, list):
            head = self.seq("fields", "{")
            items, commas = self.pairs(line)
            return Braces(head, items, commas, self.tok("}"))
        if isinstance(line, n.TestActivity):
            return self.test_activity(line)
        return self.expect(line)

    def test_activity(self, a: n.TestActivity) -> Doc:
        doc = self.seq("activity", a.activity)
        if a.props:
            open_ = self.tok("(")
            items, commas = self.pairs(a.props)
            doc.items.append((" ", List(open_, items, commas, self.tok(")"), fill=True)))
        if a.count != 1:
            doc.items.append((" ", self.tok(str(a.count), recover=True)))
            doc.items.append((" ", self.tok("times")))
        if a.ago is not None:
            doc.items.append((" ", self.duration(a.ago)))
            doc.items.append((" ", self.tok("ago")))
        else:
            assert a.at is not None, "a test activity is `... ago` or `at ...`"
            doc.items.append((" ", self.tok("at")))
            doc.items.append((" ", self.tok(a.at.text)))
        return doc

    def expect(self, x: n.Expect) -> Doc:
        if x.kind in ("engagement", "fit"):
            assert isinstance(x.value, (int, float))
            value = float(x.value)
            doc = self.seq("expect", x.kind, x.op)
            if math.copysign(1.0, value) < 0:
                number: Doc = self.seq("-", lambda: self.tok(number_text(-value), recover=True), glue=True)
            else:
                number = self.tok(number_text(value), recover=True)
            doc.items.append((" ", number))
            return doc
        if x.kind in ("hit", "no_hit"):
            words = ["expect", "no", "hit"] if x.kind == "no_hit" else ["expect", "hit"]
            return self.seq(*words, quote(str(x.value)))
        return self.seq("expect", x.kind, str(x.value))

    # -- files

    def policy(self, tree: n.Policy) -> tuple[Seq, list[Seq], list[_Block]]:
        if tree.blocks and tree.blocks[0].span is not None:
            self.fence = tree.blocks[0].span.start
        header = self.seq("policy", quote(tree.name), "version", quote(tree.version))
        owners = [self.seq("owner", o.role, quote(o.person)) for o in tree.owners]
        blocks = [self.block(b) for b in tree.blocks]
        return header, owners, blocks

    def block(self, block: n.Block) -> _Block:
        self.fence = block.span.end if block.span is not None else NOWHERE
        printed: _Block = self.visit(block, 0)  # c_<Kind>Block, one per block kind
        return printed


def _offset(span: Optional[Span]) -> int:
    return span.start if span is not None else 0


def _row_item(row: Row, cols: _Columns, gaps: Sequence[int]) -> _Item:
    return _Item(first_token(row.head), lambda out: render_row(row, out, cols.get(), gaps))


def _block_renderer(block: _Block) -> Callable[[Out], None]:
    return lambda out: render_block(block, out)
