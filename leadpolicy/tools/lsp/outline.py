"""Document symbols: the outline of a policy (blocks, then their declarations and
rules; fit groups hold their rules) or of a `.tests` file (its tests).

Text that does not parse (a rule half written) still gets an outline, recovered
from its tokens (`recover`): the writer keeps it while the text is broken."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.words import RESERVED_WORDS
from leadpolicy.tools.lsp.documents import Unit
from leadpolicy.tools.lsp.positions import LineIndex, Tok, scan, span_of
from leadpolicy.tools.lsp.symbols import string_at


@dataclass
class Symbol:
    name: str
    kind: str  # an LSP SymbolKind name: Module, Namespace, Field, Event, ...
    span: Span
    selection: Span
    detail: str = ""
    children: list["Symbol"] = field(default_factory=list)


def outline(unit: Unit, path: str) -> list[Symbol]:
    source = unit.source(path)
    if source is None:
        return []
    if unit.policy is not None and path == unit.policy.path:
        return _policy(unit.tree, source.index) if unit.tree is not None else _recovered(source.index, False)
    if not unit.tests_parsed:
        return _recovered(source.index, True)
    return [_test(t, source.index) for t in unit.test_blocks if t.span is not None]


def _policy(policy: n.Policy, lines: LineIndex) -> list[Symbol]:
    symbols: list[Symbol] = []
    if policy.span is not None:
        head = Span(policy.span.line, policy.span.column, policy.span.line, policy.span.column + 6)
        symbols.append(Symbol(policy.name, "Module", head, head, f"version {policy.version}"))
    for block in policy.blocks:
        if block.span is None:
            continue
        if block.kind == "test":
            test = block.items[0]
            assert isinstance(test, n.TestBlock)
            symbols.append(_test(test, lines))
            continue
        keyword = Span(block.span.line, block.span.column, block.span.line, block.span.column + len(block.kind))
        children = [s for s in (_item(item, lines) for item in block.items) if s is not None]
        symbols.append(Symbol(block.kind, "Namespace", block.span, keyword, f"{len(children)}", children))
    return symbols


def _rule(rule: Union[n.EngagementRule, n.FitRule, n.DemoteRule, n.DisqualifyRule], lines: LineIndex, detail: str) -> Optional[Symbol]:
    name = string_at(lines, rule.span)
    if rule.span is None or name is None:
        return None
    return Symbol(rule.name, "Function", rule.span, name, detail)


def _item(item: n.Node, lines: LineIndex) -> Optional[Symbol]:
    if item.span is None:
        return None
    if isinstance(item, n.FieldDecl):
        return Symbol(item.name, "Field", item.span, item.name_span or item.span, str(item.type))
    if isinstance(item, n.ActivityDecl):
        props = [Symbol(p.name, "Property", p.span, p.name_span or p.span, str(p.type)) for p in item.props if p.span]
        return Symbol(item.name, "Event", item.span, item.name_span or item.span, item.description or "", props)
    if isinstance(item, n.StageDecl):
        return Symbol(item.name, "EnumMember", item.span, item.name_span or item.span, item.description or "")
    if isinstance(item, n.EngagementRule):
        return _rule(item, lines, f"{item.points_text or item.points} per {item.activity}")
    if isinstance(item, n.Decay):
        keyword = Span(item.span.line, item.span.column, item.span.line, item.span.column + len("decay"))
        return Symbol("decay", "Property", item.span, keyword, f"{item.percent_text}% every {item.every.text} {item.every.unit}s")
    if isinstance(item, n.FitGroup):
        rules = [s for s in (_item(r, lines) for r in item.rules) if s is not None]
        return Symbol(item.name, "Namespace", item.span, item.name_span or item.span, f"{len(rules)} rule{'s' if len(rules) != 1 else ''}", rules)
    if isinstance(item, n.FitRule):
        return _rule(item, lines, item.points_text)
    if isinstance(item, n.GradeBand):
        return Symbol(item.letter, "Constant", item.span, item.name_span or item.span, "otherwise" if item.condition is None else "")
    if isinstance(item, n.DemoteRule):
        return _rule(item, lines, f"{item.source} -> {item.target}")
    if isinstance(item, n.DisqualifyRule):
        return _rule(item, lines, "disqualify")
    return None


def _test(test: n.TestBlock, lines: LineIndex) -> Symbol:
    span = test.span or Span(1, 1, 1, 1)  # a parsed test always has its span
    head = Span(span.line, span.column, span.line, span.column + 4)
    name_start = lines.text.find('"', lines.offset(span.line, span.column))
    selection = string_at(lines, _point(lines, name_start)) if name_start >= 0 else None
    return Symbol(test.name, "Method", span, selection or head, "test")


def _point(lines: LineIndex, offset: int) -> Span:
    line, column = lines.line_column(offset)
    return Span(line, column, line, column, offset, offset)


# ---------------------------------------------------------------- text that does not parse

# After these an item goes on (a condition, a type, a list), so a name after them is no new item.
_GOES_ON = frozenset(
    "and or not when of in with where since did no per is contains starts ends at least within max every decay one "
    "= != < <= > >= + - * % -> , ( :".split()
)
_ITEM_BLOCKS = {"fields": "Field", "activities": "Event", "stages": "EnumMember", "grades": "Constant"}


@dataclass
class _Open:
    """A symbol being recovered: its end is the last token seen before it closes."""

    symbol: Symbol
    start: int
    end: int


# The last recovered outline and the text it was read from: an editor asks for the outline of one
# text several times (the outline view, breadcrumbs, sticky scroll), 30 to 60 ms each at the end of
# a 1,000-rule policy that does not parse.
_memo: Optional[tuple[tuple[str, bool], list[Symbol]]] = None


def _recovered(lines: LineIndex, tests_file: bool) -> list[Symbol]:
    global _memo
    memo = _memo
    if memo is not None and memo[0] == (lines.text, tests_file):
        return memo[1]
    symbols = recover(lines, tests_file)
    _memo = ((lines.text, tests_file), symbols)
    return symbols


def recover(lines: LineIndex, tests_file: bool = False) -> list[Symbol]:
    """A best-effort outline of text that does not parse, from its tokens alone: the header,
    each block (a block word at the start of a line begins one, even if the block before it
    never closed), its declarations, rules, fit groups, grade letters and `decay`, and the
    tests. What the parser would report is not needed: each name is found where it stands."""
    return _Recovery(lines, tests_file).run()


class _Recovery:
    def __init__(self, lines: LineIndex, tests_file: bool):
        self.lines = lines
        self.tests_file = tests_file
        self.toks = [t for t in scan(lines.text) if t.kind != "comment"]
        self.top: list[Symbol] = []
        self.block: Optional[_Open] = None
        self.group: Optional[_Open] = None
        self.item: Optional[_Open] = None
        self.depth = 0  # braces inside the current block
        self.parens = 0
        self.last_end = 0  # the end of the last token seen
        self._pending_children: list[Symbol] = []  # an activity's properties, read ahead

    def run(self) -> list[Symbol]:
        for i, tok in enumerate(self.toks):
            if self._starts_block(i):
                self._close_block()
                self._open_block(i)
            elif tok.text == "policy" and self.block is None and not self.top and not self.tests_file:
                self._header(i)
            elif tok.text == "{" and tok.kind == "op":
                self._brace_open(i)
            elif tok.text == "}" and tok.kind == "op":
                self._brace_close(tok)
            elif tok.text in ("(", ")") and tok.kind == "op":
                self.parens += 1 if tok.text == "(" else -1
            elif self.block is not None and self.parens <= 0 and self._at_item_level():
                self._maybe_item(i)
            self.last_end = tok.end
        self._close_block()
        return self.top

    # -- blocks

    def _starts_block(self, i: int) -> bool:
        tok = self.toks[i]
        if tok.kind != "word" or tok.text not in _BLOCK_WORDS:
            return False
        if self.depth > 0 and not self._at_line_start(tok):  # `fit >= 40` in a condition; a test's `fields {`
            return False
        if tok.text == "test":
            return self._next(i, 1).kind in ("string", "open_string")
        return self._next(i, 1).text == "{" and (self.depth == 0 or self._line_column(tok) == 1)

    def _open_block(self, i: int) -> None:
        tok = self.toks[i]
        if tok.text == "test":
            name = self._next(i, 1)
            selection = self._span(name.start, name.end)
            symbol = Symbol(_string_value(name), "Method", self._span(tok.start, name.end), selection, "test")
        else:
            keyword = self._span(tok.start, tok.end)
            symbol = Symbol(tok.text, "Namespace", keyword, keyword)
        self.block = _Open(symbol, tok.start, tok.end)
        self.depth, self.parens = 0, 0

    def _close_block(self, end: Optional[int] = None) -> None:
        self._close_item()
        self._close_group()
        if self.block is None:
            return
        block = self.block
        block.symbol.span = self._span(block.start, end if end is not None else self.last_end)
        if block.symbol.kind == "Namespace":
            block.symbol.detail = str(len(block.symbol.children))
        self.top.append(block.symbol)
        self.block = None
        self.depth = 0

    def _brace_open(self, i: int) -> None:
        self.depth += 1
        self.parens = 0
        block = self.block
        before = self.toks[i - 1] if i > 0 else None
        if block is not None and block.symbol.name == "fit" and self.depth == 2 and before is not None and before.kind == "word":
            self._close_item(self.toks[i - 2].end if i >= 2 else None)  # a rule before the group ends before its name
            self._close_group()
            symbol = Symbol(before.text, "Namespace", self._span(before.start, before.end), self._span(before.start, before.end))
            self.group = _Open(symbol, before.start, before.end)

    def _brace_close(self, tok: Tok) -> None:
        self.depth -= 1
        if self.block is None:
            return
        if self.group is not None and self.depth == 1:
            self._close_item()
            self._close_group(tok.end)
        elif self.depth <= 0:
            self._close_block(tok.end)

    def _close_group(self, end: Optional[int] = None) -> None:
        self._close_item()
        if self.group is None or self.block is None:
            self.group = None
            return
        group = self.group
        group.symbol.span = self._span(group.start, end if end is not None else self.last_end)
        count = len(group.symbol.children)
        group.symbol.detail = f"{count} rule{'s' if count != 1 else ''}"
        self.block.symbol.children.append(group.symbol)
        self.group = None

    # -- items

    def _at_item_level(self) -> bool:
        return self.depth == 1 or (self.depth == 2 and self.group is not None)

    def _maybe_item(self, i: int) -> None:
        assert self.block is not None
        tok = self.toks[i]
        kind = self.block.symbol.name if self.block.symbol.kind == "Namespace" else "test"
        if kind in ("engagement", "fit", "demote", "disqualify"):
            if tok.kind == "string" and self._next(i, 1).text == ":":
                here = self._span(tok.start, tok.end)
                self._open_item(Symbol(_string_value(tok), "Function", here, here, self._rule_detail(kind, i)), tok.start)
            elif kind == "engagement" and tok.text == "decay" and self._new_item(i):
                here = self._span(tok.start, tok.end)
                self._open_item(Symbol("decay", "Property", here, here, self._decay_detail(i)), tok.start)
        elif kind in _ITEM_BLOCKS and tok.kind == "word" and tok.text not in RESERVED_WORDS and self._new_item(i):
            name = self._span(tok.start, tok.end)
            self._pending_children = []
            detail = self._declaration_detail(kind, i)
            self._open_item(Symbol(tok.text, _ITEM_BLOCKS[kind], name, name, detail, self._pending_children), tok.start)

    def _new_item(self, i: int) -> bool:
        """Does the name at token i start a declaration (or `decay` a line of its own)? Not after
        a token that asks for more (`and`, `=`, `one of (`). In `fields` and `activities` every
        other name outside parentheses is a declaration; in `stages` and `grades` conditions hold
        names too, so a declaration's name is followed by `when`, `otherwise` or its description,
        or is the first on its line."""
        before = self.toks[i - 1] if i > 0 else None
        if before is None or before.text == "{":
            return True
        if before.text in _GOES_ON:
            return False
        assert self.block is not None
        if self.block.symbol.name in ("fields", "activities"):
            return True
        following = self._next(i, 1)
        return following.text in ("when", "otherwise") or following.kind == "string" or self._line(before) < self._line(self.toks[i])

    def _open_item(self, symbol: Symbol, start: int) -> None:
        self._close_item()
        self.item = _Open(symbol, start, start)

    def _close_item(self, end: Optional[int] = None) -> None:
        if self.item is None:
            return
        item = self.item
        item.symbol.span = self._span(item.start, max(end if end is not None else self.last_end, item.start))
        (self.group or self.block or item).symbol.children.append(item.symbol)
        self.item = None

    # -- details, as the parsed outline gives them where the tokens allow

    def _rule_detail(self, kind: str, i: int) -> str:
        after = [t.text for t in self.toks[i + 2 : i + 6]]
        if kind == "demote":
            return " ".join(after[:3]) if len(after) >= 3 and after[1] == "->" else ""
        if kind == "disqualify":
            return "disqualify"
        points = "".join(after[:2]) if after and after[0] in ("+", "-") else (after[0] if after else "")
        if kind == "engagement" and "per" in after:
            where = after.index("per")
            return f"{points} per {after[where + 1]}" if where + 1 < len(after) else points
        return points

    def _decay_detail(self, i: int) -> str:
        after = [t.text for t in self.toks[i + 1 : i + 6]]
        if len(after) == 5 and after[1] == "%" and after[2] == "every":
            return f"{after[0]}% every {after[3]} {after[4].rstrip('s')}s"
        return ""

    def _declaration_detail(self, kind: str, i: int) -> str:
        following = self._next(i, 1)
        if kind == "fields":
            return self._type_text(i + 1)[0]
        if kind == "stages":
            return _string_value(following) if following.kind == "string" else ""
        if kind == "grades":
            return "otherwise" if following.text == "otherwise" else ""
        j = self._props(i) if following.text == "(" else i + 1  # activities: the description after the properties
        after = self._next(j - 1, 1)
        return _string_value(after) if after.kind == "string" else ""

    def _type_text(self, i: int) -> tuple[str, int]:
        """The type written at token i (`number`, `one of (a, b)`) and the index after it."""
        tok = self._next(i, 0)
        if tok.text != "one":
            return (tok.text if tok.text in _TYPES else ""), i + 1
        members: list[str] = []
        j = i + 3 if self._next(i, 1).text == "of" and self._next(i, 2).text == "(" else i + 1
        while j < len(self.toks) and self.toks[j].text not in (")", "{", "}"):
            member = self.toks[j]
            if member.text != ",":  # written as declared: quoted only where it must be
                members.append(n.member_text(_string_value(member)) if member.kind == "string" else member.text)
            j += 1
        return f"one of ({', '.join(members)})", j + 1

    def _props(self, i: int) -> int:
        """An activity's properties, `(name type, ...)` after token i, as its children; the index after `)`."""
        j = i + 2
        props: list[Symbol] = []
        while j < len(self.toks) and self.toks[j].text not in (")", "{", "}"):
            tok = self.toks[j]
            if tok.kind == "word" and tok.text not in RESERVED_WORDS:
                type_text, after = self._type_text(j + 1)
                end = self.toks[min(after, len(self.toks)) - 1].end if type_text else tok.end
                name = self._span(tok.start, tok.end)
                props.append(Symbol(tok.text, "Property", self._span(tok.start, end), name, type_text))
                j = max(after, j + 1)
            else:
                j += 1
        self._pending_children = props
        return j + 1

    # -- positions

    def _next(self, i: int, ahead: int) -> Tok:
        j = i + ahead
        return self.toks[j] if j < len(self.toks) else Tok("end", "", len(self.lines.text), len(self.lines.text))

    def _line(self, tok: Tok) -> int:
        return self.lines.line_column(tok.start)[0]

    def _line_column(self, tok: Tok) -> int:
        return self.lines.line_column(tok.start)[1]

    def _at_line_start(self, tok: Tok) -> bool:
        line_start = self.lines.text.rfind("\n", 0, tok.start) + 1
        return not self.lines.text[line_start : tok.start].strip()

    def _span(self, start: int, end: int) -> Span:
        return span_of(self.lines, start, end)

    def _header(self, i: int) -> None:
        name, version = self._next(i, 1), self._next(i, 3)
        if name.kind != "string":
            return
        tok = self.toks[i]
        head = self._span(tok.start, tok.end)
        detail = f"version {_string_value(version)}" if self._next(i, 2).text == "version" and version.kind == "string" else ""
        self.top.append(Symbol(_string_value(name), "Module", head, head, detail))


_TYPES = frozenset(("text", "number", "boolean", "date"))
_BLOCK_WORDS = frozenset(("fields", "activities", "stages", "engagement", "fit", "grades", "demote", "disqualify", "test"))


def _string_value(token: Tok) -> str:
    from leadpolicy.syntax.build import unquote

    if token.kind == "string":
        return unquote(token.text)
    return token.text[1:]  # an unclosed string: what is there
