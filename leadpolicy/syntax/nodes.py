"""The AST: frozen dataclasses (made by `syntax/frozen.py`, cheap to define).
Source spans are kept out of equality, so two trees that differ only in layout
compare equal.

The parser builds these nodes with plain `Name` references; the checker's
resolve pass replaces every `Name` with what it means (`FieldRef`, `PropRef`,
`StageRef`, `EnumValue`, `GradeValue`), so back ends never guess.
"""

from __future__ import annotations

import re
from dataclasses import field, fields, replace
from typing import Iterator, Optional

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.frozen import Frozen, frozen


@frozen
class Node(Frozen):
    span: Optional[Span] = field(default=None, compare=False, repr=False, kw_only=True)

    def children(self) -> Iterator["Node"]:
        """Every direct child node, in field order (tuples flattened)."""
        for f in fields(self):
            if f.name == "span":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, Node):
                        yield item

    def walk(self) -> Iterator["Node"]:
        """This node and every node below it, depth first, in source order."""
        yield self
        for child in self.children():
            yield from child.walk()


# ---------------------------------------------------------------- shared pieces

# The one home of names the language fixes (the grammar spells them too; the
# runtime, embedded into compiled modules alone, keeps its own literal copies).
DISQUALIFIED = "disqualified"  # the reserved state of a disqualified lead
UNIT_SECONDS = {"hour": 3600, "day": 86400, "week": 604800}
UNIT_NAMES = {"hour": "hour", "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # as the grammar's IDENT
# The words of the language (docs/language-reference.md section 2.4): never names. The parser
# turns an IDENT spelt like one into its keyword, so the error is at the word itself.
RESERVED_WORDS = frozenset(
    """and or not in when per where within max did no activity at least times starts ends with contains
    is missing present true false one of text number boolean date decay every otherwise since policy
    version owner fields activities stages engagement fit grades grade demote disqualify test expect
    as ago previous stage hit change hour hours day days week weeks""".split()
)


def member_text(member: str) -> str:
    """An enum member as a policy writes it: bare when it is a plain name, else a string literal."""
    if IDENTIFIER.fullmatch(member) and member not in RESERVED_WORDS:
        return member
    return '"' + member.replace("\\", "\\\\").replace('"', '\\"') + '"'


@frozen
class Duration(Node):
    amount: float
    unit: str  # "hour", "day" or "week" (singular, whatever the source said)
    text: str = field(default="", compare=False)  # the amount as written, e.g. "1.5"

    @property
    def micros(self) -> int:
        """The duration in whole microseconds (as `timedelta` rounds)."""
        from datetime import timedelta

        return (timedelta(seconds=self.amount * UNIT_SECONDS[self.unit])) // timedelta(microseconds=1)


@frozen
class FieldType(Node):
    kind: str  # "text", "number", "boolean", "date" or "enum"
    members: tuple[str, ...] = ()

    def __str__(self) -> str:
        """The type as a policy writes it: `number`, `one of (ic, vp, "Vice President")`."""
        if self.kind == "enum":
            return "one of (" + ", ".join(member_text(m) for m in self.members) + ")"
        return self.kind


# ---------------------------------------------------------------- expressions


class Expr(Node):
    """Base of every condition and value expression."""


@frozen
class Number(Expr):
    value: float
    text: str = field(default="", compare=False)


@frozen
class String(Expr):
    value: str


@frozen
class DateLit(Expr):
    micros: int  # microseconds since the epoch, UTC
    text: str = field(default="", compare=False)
    has_time: bool = False


@frozen
class Bool(Expr):
    value: bool


@frozen
class Name(Expr):
    """An identifier before resolution: a field, property, stage or enum member."""

    name: str


@frozen
class FieldRef(Expr):
    name: str
    type: FieldType


@frozen
class PropRef(Expr):
    activity: str
    name: str
    type: FieldType


@frozen
class StageRef(Expr):
    """A stage name used as a condition: that stage's entry condition holds."""

    name: str
    index: int


@frozen
class EnumValue(Expr):
    """A member of an enum type, written as declared."""

    member: str
    index: int
    type: FieldType


@frozen
class GradeValue(Expr):
    letter: str


@frozen
class Engagement(Expr):
    pass


@frozen
class Fit(Expr):
    pass


@frozen
class Grade(Expr):
    pass


@frozen
class DaysSince(Expr):
    field_name: str
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class Neg(Expr):
    operand: Expr


@frozen
class Arith(Expr):
    op: str  # "+", "-", "*"
    left: Expr
    right: Expr


@frozen
class Compare(Expr):
    op: str  # "=", "!=", "<", "<=", ">", ">="
    left: Expr
    right: Expr


@frozen
class InList(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@frozen
class TextTest(Expr):
    op: str  # "starts with", "ends with", "contains"
    left: Expr
    right: Expr


@frozen
class IsMissing(Expr):
    operand: Expr
    negated: bool = False  # True for `is present`


@frozen
class Not(Expr):
    operand: Expr


@frozen
class And(Expr):
    operands: tuple[Expr, ...]


@frozen
class Or(Expr):
    operands: tuple[Expr, ...]


@frozen
class AtLeast(Expr):
    count: int
    conditions: tuple[Expr, ...]


@frozen
class Paren(Expr):
    """Parentheses as written; kept so the formatter and documents can echo them."""

    inner: Expr


@frozen
class Did(Expr):
    """`did ACT ...` or, with negated, `no ACT ...`. activity None means any type."""

    activity: Optional[str]
    where: Optional[Expr] = None
    times: int = 1
    within: Optional[Duration] = None
    negated: bool = False
    activity_span: Optional[Span] = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- declarations


@frozen
class Owner(Node):
    role: str
    person: str


@frozen
class FieldDecl(Node):
    name: str
    type: FieldType
    description: Optional[str] = None
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class PropDecl(Node):
    name: str
    type: FieldType
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class ActivityDecl(Node):
    name: str
    props: tuple[PropDecl, ...] = ()
    description: Optional[str] = None
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class StageDecl(Node):
    name: str
    description: Optional[str] = None
    condition: Optional[Expr] = None
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class EngagementRule(Node):
    name: str
    points: float
    activity: str
    where: Optional[Expr] = None
    within: Optional[Duration] = None
    max: Optional[float] = None
    points_text: str = field(default="", compare=False)
    max_text: str = field(default="", compare=False)
    activity_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class Decay(Node):
    percent: float
    every: Duration
    percent_text: str = field(default="", compare=False)


@frozen
class FitRule(Node):
    name: str
    points: float
    condition: Expr
    group: Optional[str] = None
    points_text: str = field(default="", compare=False)


@frozen
class FitGroup(Node):
    name: str
    rules: tuple[FitRule, ...]
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class GradeBand(Node):
    letter: str
    condition: Optional[Expr]  # None for `otherwise`
    name_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class DemoteRule(Node):
    name: str
    source: str
    target: str
    condition: Expr
    source_span: Optional[Span] = field(default=None, compare=False, repr=False)
    target_span: Optional[Span] = field(default=None, compare=False, repr=False)


@frozen
class DisqualifyRule(Node):
    name: str
    condition: Expr


# ---------------------------------------------------------------- tests


@frozen
class TestValue(Node):
    """A literal in a test: kind is "string", "number", "date", "timestamp", "bool" or "word"."""

    kind: str
    value: object
    text: str = field(default="", compare=False)


@frozen
class TestField(Node):
    name: str
    value: TestValue


@frozen
class TestActivity(Node):
    activity: str
    props: tuple[TestField, ...] = ()
    count: int = 1
    ago: Optional[Duration] = None
    at: Optional[TestValue] = None  # a date or timestamp literal


@frozen
class Expect(Node):
    """kind: stage, change, grade, engagement, fit, hit, no_hit."""

    kind: str
    value: object
    op: Optional[str] = None  # for engagement and fit


@frozen
class TestBlock(Node):
    __test__ = False  # not a pytest class

    name: str
    as_of: Optional[TestValue] = None
    previous_stage: Optional[str] = None
    fields: tuple[TestField, ...] = ()
    activities: tuple[TestActivity, ...] = ()
    expectations: tuple[Expect, ...] = ()
    previous_stage_span: Optional[Span] = field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------- blocks and the policy


@frozen
class Block(Node):
    """A top-level block; kind is its keyword ("fields", "stages", ...)."""

    kind: str
    items: tuple[Node, ...]


@frozen
class Policy(Node):
    name: str
    version: str
    owners: tuple[Owner, ...] = ()
    blocks: tuple[Block, ...] = ()
    path: str = field(default="<memory>", compare=False)

    def block(self, kind: str) -> Optional[Block]:
        """The first block of that kind, or None."""
        for block in self.blocks:
            if block.kind == kind:
                return block
        return None

    def items(self, kind: str) -> tuple:
        block = self.block(kind)
        return block.items if block is not None else ()

    @property
    def fields(self) -> tuple[FieldDecl, ...]:
        return self.items("fields")

    @property
    def activities(self) -> tuple[ActivityDecl, ...]:
        return self.items("activities")

    @property
    def stages(self) -> tuple[StageDecl, ...]:
        return self.items("stages")

    @property
    def engagement_rules(self) -> tuple[EngagementRule, ...]:
        return tuple(i for i in self.items("engagement") if isinstance(i, EngagementRule))

    @property
    def decay(self) -> Optional[Decay]:
        for item in self.items("engagement"):
            if isinstance(item, Decay):
                return item
        return None

    @property
    def fit_rules(self) -> tuple[FitRule, ...]:
        """Every fit rule in file order, groups flattened (each rule knows its group)."""
        rules: list[FitRule] = []
        for item in self.items("fit"):
            if isinstance(item, FitGroup):
                rules.extend(item.rules)
            else:
                rules.append(item)
        return tuple(rules)

    @property
    def grades(self) -> tuple[GradeBand, ...]:
        return self.items("grades")

    @property
    def demotions(self) -> tuple[DemoteRule, ...]:
        return self.items("demote")

    @property
    def disqualifications(self) -> tuple[DisqualifyRule, ...]:
        return self.items("disqualify")

    @property
    def tests(self) -> tuple[TestBlock, ...]:
        return tuple(b.items[0] for b in self.blocks if b.kind == "test")

    def with_blocks(self, blocks: tuple[Block, ...]) -> "Policy":
        return replace(self, blocks=blocks)
