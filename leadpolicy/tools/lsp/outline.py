"""Document symbols: the outline of a policy (blocks, then their declarations and
rules; fit groups hold their rules) or of a `.tests` file (its tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.tools.lsp.documents import Unit
from leadpolicy.tools.lsp.positions import LineIndex
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
        return _policy(unit.tree, source.index) if unit.tree is not None else []
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
        return Symbol("decay", "Property", item.span, item.span, f"{item.percent_text}% every {item.every.text} {item.every.unit}s")
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
