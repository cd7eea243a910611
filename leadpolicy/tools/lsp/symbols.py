"""Every name in a policy and its tests: where it is declared, where it is used.

A name's identity is its `Key`: ("field", name), ("activity", name),
("property", activity, name), ("stage", name), ("group", name),
("rule", name), ("grade", letter), ("member", field-or-"activity.prop", member).
Uses come from the checker's resolved tree (a `Name` the checker could not
resolve is not a use of anything) and from the tests, in the policy file and
in the `.tests` file. The span of a rule's name is its string, quotes
included, so a rename replaces the whole literal.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Optional

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.visitor import NodeVisitor
from leadpolicy.tools.lsp.positions import LineIndex, span_contains, span_of

if TYPE_CHECKING:
    from leadpolicy.tools.lsp.documents import Unit

Key = tuple[Any, ...]  # ("field", name), ("property", activity, name) ...: see above


@dataclass(frozen=True)
class Occurrence:
    key: Key
    path: str
    span: Span  # the name itself
    declaration: bool
    node: Optional[n.Node] = None  # the declaring node, for declarations


_STRING = re.compile(r'"(?:[^"\\\n\r]|\\["\\])*"')
_STRING_AT_END = re.compile(r'"(?:[^"\\\n\r]|\\["\\])*"\Z')
_ACTIVITY_NAME = re.compile(rf"activity(?:\s|#[^\n]*)+({n.IDENTIFIER.pattern})")


def string_at(lines: LineIndex, span: Optional[Span]) -> Optional[Span]:
    """The string literal that starts a node (a rule's name, quotes included)."""
    if span is None:
        return None
    start = lines.offset(span.line, span.column)
    m = _STRING.match(lines.text, start)
    return span_of(lines, start, m.end()) if m else None


class SymbolIndex:
    def __init__(self) -> None:
        self.occurrences: list[Occurrence] = []
        self.declarations: dict[Key, Occurrence] = {}

    @classmethod
    def build(cls, unit: "Unit") -> "SymbolIndex":
        index = cls()
        policy = unit.resolved or unit.tree or unit.partial  # (a policy that does not parse: its blocks that do)
        if policy is not None and unit.policy is not None:
            mine = _policy_index(policy, unit.policy.path, unit.policy.index)
            index.occurrences = list(mine.occurrences)
            index.declarations = dict(mine.declarations)
        if unit.tests is not None and unit.test_blocks:
            walker = _Indexer(index, unit.tests.path, unit.tests.index, policy)
            for test in unit.test_blocks:
                walker.visit(test)
        return index

    def add(self, key: Key, path: str, span: Optional[Span], declaration: bool = False, node: Optional[n.Node] = None) -> None:
        if span is None:
            return
        occurrence = Occurrence(key, path, span, declaration, node)
        self.occurrences.append(occurrence)
        if declaration:
            self.declarations.setdefault(key, occurrence)

    def at(self, path: str, line1: int, column1: int) -> Optional[Occurrence]:
        """The name under a parser position (the narrowest, if names touch)."""
        found = [o for o in self.occurrences if o.path == path and span_contains(o.span, line1, column1)]
        if not found:
            return None
        return min(found, key=lambda o: (o.span.end_line - o.span.line, o.span.end_column - o.span.column))

    def of(self, key: Key) -> list[Occurrence]:
        """Every occurrence of a name, declaration first, then in file order."""
        mine = [o for o in self.occurrences if o.key == key]
        return sorted(mine, key=lambda o: (not o.declaration, o.path, o.span.line, o.span.column))

    def keys(self, kind: str) -> list[Key]:
        return [k for k in self.declarations if k[0] == kind]


_policies: dict[tuple[int, str, str], tuple[n.Policy, SymbolIndex]] = {}
_policies_lock = threading.Lock()


def _policy_index(policy: n.Policy, path: str, lines: LineIndex) -> SymbolIndex:
    """The names of a policy, indexed once per tree (and text): while its `.tests` file is
    edited, only the tests are indexed again."""
    key = (id(policy), path, lines.text)
    with _policies_lock:
        hit = _policies.get(key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    index = SymbolIndex()
    _Indexer(index, path, lines, policy).visit(policy)
    with _policies_lock:
        if len(_policies) >= 8:
            _policies.clear()
        _policies[key] = (policy, index)
    return index


class _Indexer(NodeVisitor):
    """Walks a policy (or test blocks) and records each name it meets."""

    prefix = "index_"
    exhaustive = False  # a traversal: generic_visit walks every kind it has no method for

    def __init__(self, index: SymbolIndex, path: str, lines: LineIndex, policy: Optional[n.Policy]):
        self.index = index
        self.path = path
        self.lines = lines
        self.fields = {f.name: f for f in policy.fields} if policy is not None else {}
        self.activities = {a.name: a for a in policy.activities} if policy is not None else {}
        self.activity: Optional[str] = None  # the activity whose `where` we are in

    def generic_visit(self, node: n.Node, *args: Any, **kwargs: Any) -> None:
        for child in node.children():
            self.visit(child)

    def add(self, key: Key, span: Optional[Span], declaration: bool = False, node: Optional[n.Node] = None) -> None:
        self.index.add(key, self.path, span, declaration, node)

    # -- spans the nodes do not carry

    def string_at(self, span: Optional[Span]) -> Optional[Span]:
        return string_at(self.lines, span)

    def last_token(self, span: Optional[Span], value: str, quoted: bool) -> Optional[Span]:
        """The last token of a node: `expect stage NAME`, `expect hit "NAME"`."""
        if span is None:
            return None
        start = self.lines.offset(span.line, span.column)
        end = self.lines.offset(span.end_line, span.end_column)
        if quoted:
            m = _STRING_AT_END.search(self.lines.text, start, end)
            return span_of(self.lines, m.start(), m.end()) if m else None
        return span_of(self.lines, end - len(value), end)

    def head(self, span: Optional[Span], width: int) -> Optional[Span]:
        if span is None:
            return None
        start = self.lines.offset(span.line, span.column)
        return span_of(self.lines, start, start + width)

    # -- declarations

    def index_Policy(self, node: n.Policy) -> None:
        for block in node.blocks:
            self.visit(block)

    def index_FieldDecl(self, node: n.FieldDecl) -> None:
        self.add(("field", node.name), node.name_span, True, node)
        self._members(node.type, node.name)

    def index_ActivityDecl(self, node: n.ActivityDecl) -> None:
        self.add(("activity", node.name), node.name_span, True, node)
        for prop in node.props:
            self.add(("property", node.name, prop.name), prop.name_span, True, prop)
            self._members(prop.type, f"{node.name}.{prop.name}")

    def _members(self, t: n.FieldType, owner: str) -> None:
        """Enum members have no spans of their own: find them in the `one of (...)` text."""
        if t.kind != "enum" or t.span is None:
            return
        start = self.lines.offset(t.span.line, t.span.column)
        end = self.lines.offset(t.span.end_line, t.span.end_column)
        open_paren = self.lines.text.find("(", start, end)
        for m in re.finditer(r'"(?:[^"\\\n\r]|\\["\\])*"|' + n.IDENTIFIER.pattern, self.lines.text[open_paren + 1 : end]):
            token = m.group()
            member = token[1:-1].replace('\\"', '"').replace("\\\\", "\\") if token.startswith('"') else token
            at = open_paren + 1 + m.start()
            self.add(("member", owner, member), span_of(self.lines, at, at + len(token)), True, t)

    def index_StageDecl(self, node: n.StageDecl) -> None:
        self.add(("stage", node.name), node.name_span, True, node)
        if node.condition is not None:
            self.visit(node.condition)

    def index_EngagementRule(self, node: n.EngagementRule) -> None:
        self.add(("rule", node.name), self.string_at(node.span), True, node)
        self.add(("activity", node.activity), node.activity_span)
        if node.where is not None:
            self._where(node.activity, node.where)

    def index_Decay(self, node: n.Decay) -> None:
        pass

    def index_FitGroup(self, node: n.FitGroup) -> None:
        self.add(("group", node.name), node.name_span, True, node)
        for rule in node.rules:
            self.visit(rule)

    def index_FitRule(self, node: n.FitRule) -> None:
        self.add(("rule", node.name), self.string_at(node.span), True, node)
        self.visit(node.condition)

    def index_GradeBand(self, node: n.GradeBand) -> None:
        self.add(("grade", node.letter), node.name_span, True, node)
        if node.condition is not None:
            self.visit(node.condition)

    def index_DemoteRule(self, node: n.DemoteRule) -> None:
        self.add(("rule", node.name), self.string_at(node.span), True, node)
        self.add(("stage", node.source), node.source_span)
        self.add(("stage", node.target), node.target_span)
        self.visit(node.condition)

    def index_DisqualifyRule(self, node: n.DisqualifyRule) -> None:
        self.add(("rule", node.name), self.string_at(node.span), True, node)
        self.visit(node.condition)

    # -- uses in conditions

    def _where(self, activity: str, where: n.Expr) -> None:
        outer, self.activity = self.activity, activity
        try:
            self.visit(where)
        finally:
            self.activity = outer

    def index_FieldRef(self, node: n.FieldRef) -> None:
        self.add(("field", node.name), node.span)

    def index_PropRef(self, node: n.PropRef) -> None:
        self.add(("property", node.activity, node.name), node.span)

    def index_StageRef(self, node: n.StageRef) -> None:
        self.add(("stage", node.name), node.span)

    def index_GradeValue(self, node: n.GradeValue) -> None:
        self.add(("grade", node.letter), node.span)

    def index_DaysSince(self, node: n.DaysSince) -> None:
        self.add(("field", node.field_name), node.name_span)

    def index_Did(self, node: n.Did) -> None:
        if node.activity is not None:
            self.add(("activity", node.activity), node.activity_span)
            if node.where is not None:
                self._where(node.activity, node.where)

    def index_Compare(self, node: n.Compare) -> None:
        self._members_used(node.left, (node.right,))
        self._members_used(node.right, (node.left,))
        self.visit(node.left)
        self.visit(node.right)

    def index_InList(self, node: n.InList) -> None:
        self._members_used(node.operand, node.items)
        self.visit(node.operand)
        for item in node.items:
            self.visit(item)

    def _members_used(self, operand: n.Expr, values: Iterable[n.Expr]) -> None:
        owner = _owner(operand)
        if owner is None:
            return
        for value in values:
            if isinstance(value, n.EnumValue):
                self.add(("member", owner, value.member), value.span)

    # -- tests

    def index_TestBlock(self, node: n.TestBlock) -> None:
        self.add(("stage", node.previous_stage), node.previous_stage_span)
        for f in node.fields:
            self.add(("field", f.name), self.head(f.span, len(f.name)))
            self._test_member(f.name, f.value)
        for a in node.activities:
            self.index_TestActivity(a)
        for x in node.expectations:
            if x.kind == "stage":
                self.add(("stage", x.value), self.last_token(x.span, str(x.value), False))
            elif x.kind == "grade":
                self.add(("grade", x.value), self.last_token(x.span, str(x.value), False))
            elif x.kind in ("hit", "no_hit"):
                self.add(("rule", x.value), self.last_token(x.span, str(x.value), True))

    def index_TestActivity(self, node: n.TestActivity) -> None:
        if node.span is not None:
            start = self.lines.offset(node.span.line, node.span.column)
            m = _ACTIVITY_NAME.match(self.lines.text, start)
            if m:
                self.add(("activity", node.activity), span_of(self.lines, m.start(1), m.end(1)))
        for p in node.props:
            self.add(("property", node.activity, p.name), self.head(p.span, len(p.name)))
            self._test_member(f"{node.activity}.{p.name}", p.value)

    def _test_member(self, owner: str, value: n.TestValue) -> None:
        if value.kind == "word":
            self.add(("member", owner, value.value), value.span)

    def index_Block(self, node: n.Block) -> None:
        for item in node.items:
            self.visit(item)


def _owner(e: n.Expr) -> Optional[str]:
    """The field (or `activity.property`) an enum value is compared with."""
    if isinstance(e, n.FieldRef) and e.type.kind == "enum":
        return e.name
    if isinstance(e, n.PropRef) and e.type.kind == "enum":
        return f"{e.activity}.{e.name}"
    return None
