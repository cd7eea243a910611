"""The AST: frozen dataclasses (made by `syntax/frozen.py`, cheap to define).
Source spans are kept out of equality, so two trees that differ only in layout
compare equal.

The parser builds these nodes with plain `Name` references; the checker's
resolve pass replaces every `Name` with what it means (`FieldRef`, `PropRef`,
`StageRef`, `EnumValue`, `GradeValue`), so back ends never guess.

Why it is one long module: it is the tree and nothing else, every node kind in the one
namespace every walker imports (`nodes.X`) and `NodeVisitor` enumerates; the language's
vocabulary already lives in `syntax/words.py`, and a split would only scatter the kinds.
"""

from __future__ import annotations

from dataclasses import field, fields, replace
from enum import StrEnum
from typing import ClassVar, Iterator, Optional, TypeVar

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.frozen import Frozen, frozen

# the vocabulary has its own module (syntax/words.py), re-exported so `nodes.X` keeps working
from leadpolicy.syntax.words import (
    CHANGES as CHANGES,
    DISQUALIFIED as DISQUALIFIED,
    IDENTIFIER as IDENTIFIER,
    MICROS_PER_DAY as MICROS_PER_DAY,
    MIRRORED as MIRRORED,
    RESERVED_WORDS as RESERVED_WORDS,
    UNIT_NAMES as UNIT_NAMES,
    UNIT_SECONDS as UNIT_SECONDS,
    BlockKind as BlockKind,
    ExpectKind as ExpectKind,
    FieldKind as FieldKind,
    TestValueKind as TestValueKind,
    member_text as member_text,
    quote as quote,
)


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


def _coerce(node: Node, name: str, kind: type[StrEnum]) -> None:
    """Store field `name` of a frozen node as a member of `kind` (given its keyword)."""
    value = getattr(node, name)
    if type(value) is not kind:
        object.__setattr__(node, name, kind(value))


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
    kind: FieldKind
    members: tuple[str, ...] = ()  # an enum type's members, as declared
    member_spans: tuple[Span, ...] = field(default=(), compare=False, repr=False)  # each member's, when parsed

    def __post_init__(self) -> None:
        _coerce(self, "kind", FieldKind)

    def __str__(self) -> str:
        if self.kind is FieldKind.ENUM:
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
    """A literal in a test."""

    kind: TestValueKind
    value: object
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _coerce(self, "kind", TestValueKind)


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
    """One `expect` line of a test."""

    kind: ExpectKind
    value: object
    op: Optional[str] = None  # for engagement and fit

    def __post_init__(self) -> None:
        _coerce(self, "kind", ExpectKind)


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
    # a second `as of` or `previous stage` (the last counts): ("as of" or "previous stage", its span)
    repeated: tuple[tuple[str, Optional[Span]], ...] = field(default=(), compare=False, repr=False)


# ---------------------------------------------------------------- blocks and the policy


_B = TypeVar("_B", bound="Block")


@frozen
class Block(Node):
    """A top-level block: the base of one frozen class per block kind.

    `kind` is the block's keyword, fixed by its class; `items` are its items in
    file order, typed by the subclass (a fields block holds only `FieldDecl`s).
    Generic walkers (the checker, the formatter, the language server's outline)
    read `.kind` and `.items` of any block; `make_block` builds the class for a
    keyword. `BLOCK_CLASSES` maps each `BlockKind` to its class.
    """

    kind: ClassVar[BlockKind]
    items: tuple[Node, ...]

    def __new__(cls, *args: object, **kwargs: object) -> "Block":
        if cls is Block:
            raise TypeError("Block is the base of the block classes: build FieldsBlock, ... or make_block(kind, items)")
        return object.__new__(cls)


@frozen
class FieldsBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.FIELDS
    items: tuple[FieldDecl, ...]


@frozen
class ActivitiesBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.ACTIVITIES
    items: tuple[ActivityDecl, ...]


@frozen
class StagesBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.STAGES
    items: tuple[StageDecl, ...]


@frozen
class EngagementBlock(Block):
    """Engagement rules and (at most one, the checker says) `decay`, in file order."""

    kind: ClassVar[BlockKind] = BlockKind.ENGAGEMENT
    items: tuple[EngagementRule | Decay, ...]

    @property
    def rules(self) -> tuple[EngagementRule, ...]:
        return tuple(item for item in self.items if type(item) is EngagementRule)

    @property
    def decay(self) -> Optional[Decay]:
        return next((item for item in self.items if type(item) is Decay), None)


@frozen
class FitBlock(Block):
    """Fit rules and groups of rules, in file order."""

    kind: ClassVar[BlockKind] = BlockKind.FIT
    items: tuple[FitRule | FitGroup, ...]

    @property
    def rules(self) -> tuple[FitRule, ...]:
        """Every fit rule in file order, groups flattened (each rule knows its group)."""
        rules: list[FitRule] = []
        for item in self.items:
            if isinstance(item, FitGroup):
                rules.extend(item.rules)
            else:
                rules.append(item)
        return tuple(rules)

    @property
    def groups(self) -> tuple[FitGroup, ...]:
        return tuple(item for item in self.items if type(item) is FitGroup)


@frozen
class GradesBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.GRADES
    items: tuple[GradeBand, ...]


@frozen
class DemoteBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.DEMOTE
    items: tuple[DemoteRule, ...]


@frozen
class DisqualifyBlock(Block):
    kind: ClassVar[BlockKind] = BlockKind.DISQUALIFY
    items: tuple[DisqualifyRule, ...]


@frozen
class TestsBlock(Block):
    """A `test "NAME" { ... }` block: its one item is the test itself."""

    __test__ = False  # not a pytest class

    kind: ClassVar[BlockKind] = BlockKind.TEST
    items: tuple[TestBlock, ...]

    @property
    def test(self) -> TestBlock:
        return self.items[0]


BLOCK_CLASSES: dict[BlockKind, type[Block]] = {
    cls.kind: cls
    for cls in (FieldsBlock, ActivitiesBlock, StagesBlock, EngagementBlock, FitBlock, GradesBlock, DemoteBlock,
                DisqualifyBlock, TestsBlock)
}


def make_block(kind: BlockKind | str, items: tuple[Node, ...], *, span: Optional[Span] = None) -> Block:
    """The block of that keyword holding `items` (for code that builds blocks generically)."""
    return BLOCK_CLASSES[BlockKind(kind)](items, span=span)  # the items as that kind holds them


@frozen
class Policy(Node):
    name: str
    version: str
    owners: tuple[Owner, ...] = ()
    blocks: tuple[Block, ...] = ()
    path: str = field(default="<memory>", compare=False)

    def block(self, kind: BlockKind | str) -> Optional[Block]:
        """The first block of that kind, or None."""
        for block in self.blocks:
            if block.kind == kind:
                return block
        return None

    def items(self, kind: BlockKind | str) -> tuple[Node, ...]:
        """The items of the first block of that kind (empty when there is none)."""
        block = self.block(kind)
        return block.items if block is not None else ()

    def first(self, cls: type[_B]) -> Optional[_B]:
        """The first block of that class, or None (typed: `policy.first(FitBlock)` is a FitBlock)."""
        for block in self.blocks:
            if type(block) is cls:
                return block
        return None

    @property
    def fields(self) -> tuple[FieldDecl, ...]:
        block = self.first(FieldsBlock)
        return block.items if block is not None else ()

    @property
    def activities(self) -> tuple[ActivityDecl, ...]:
        block = self.first(ActivitiesBlock)
        return block.items if block is not None else ()

    @property
    def stages(self) -> tuple[StageDecl, ...]:
        block = self.first(StagesBlock)
        return block.items if block is not None else ()

    @property
    def engagement_rules(self) -> tuple[EngagementRule, ...]:
        block = self.first(EngagementBlock)
        return block.rules if block is not None else ()

    @property
    def decay(self) -> Optional[Decay]:
        block = self.first(EngagementBlock)
        return block.decay if block is not None else None

    @property
    def fit_rules(self) -> tuple[FitRule, ...]:
        """Every fit rule in file order, groups flattened (each rule knows its group)."""
        block = self.first(FitBlock)
        return block.rules if block is not None else ()

    @property
    def fit_groups(self) -> tuple[FitGroup, ...]:
        block = self.first(FitBlock)
        return block.groups if block is not None else ()

    @property
    def grades(self) -> tuple[GradeBand, ...]:
        block = self.first(GradesBlock)
        return block.items if block is not None else ()

    @property
    def demotions(self) -> tuple[DemoteRule, ...]:
        block = self.first(DemoteBlock)
        return block.items if block is not None else ()

    @property
    def disqualifications(self) -> tuple[DisqualifyRule, ...]:
        block = self.first(DisqualifyBlock)
        return block.items if block is not None else ()

    @property
    def tests(self) -> tuple[TestBlock, ...]:
        return tuple(test for block in self.blocks if type(block) is TestsBlock for test in block.items)

    def with_blocks(self, blocks: tuple[Block, ...]) -> "Policy":
        return replace(self, blocks=blocks)
