"""The oracle's parser: policy text (LANGUAGE.md sections 2-7) to small dataclasses.

Written from the spec alone. Policies are assumed valid (no checking here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

from lark import Lark, Token, Transformer, v_args

from .data import read_instant

_PARSER = Lark((Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8"), parser="lalr",
               lexer="contextual", maybe_placeholders=True, start=["start", "tests_file"])

# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Lit:
    kind: str  # "number", "text", "boolean", "date" (micros, UTC)
    value: object


@dataclass(frozen=True)
class Name:  # a field, property, stage, enum member or grade letter: resolved when evaluated
    name: str


@dataclass(frozen=True)
class Score:
    which: str  # "engagement", "fit", "grade"


@dataclass(frozen=True)
class DaysSince:
    field: str


@dataclass(frozen=True)
class Arith:
    op: str  # "+", "-", "*"
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


@dataclass(frozen=True)
class Compare:
    op: str  # = != < <= > >= in notin starts ends contains missing present
    left: "Expr"
    right: object = None  # an Expr, or a tuple of Exprs for in / not in


@dataclass(frozen=True)
class Logic:
    op: str  # "and", "or", "not"
    parts: tuple


@dataclass(frozen=True)
class Did:
    activity: Optional[str]  # None: any declared type (`did activity`)
    where: Optional["Expr"]
    times: int
    within: Optional[Fraction]  # micros
    negated: bool  # `no ...`


@dataclass(frozen=True)
class AtLeast:
    count: float
    parts: tuple


Expr = Union[Lit, Name, Score, DaysSince, Arith, Neg, Compare, Logic, Did, AtLeast]

# ---------------------------------------------------------------- declarations


@dataclass
class Type:
    kind: str  # text number boolean date enum
    members: tuple = ()


@dataclass
class EngagementRule:
    name: str
    points: float
    activity: str
    where: Optional[Expr]
    within: Optional[Fraction]
    cap: Optional[float]


@dataclass
class FitRule:
    name: str
    points: float
    group: Optional[str]
    when: Expr


@dataclass
class Stage:
    name: str
    when: Optional[Expr]


@dataclass
class TestCase:
    """A `test` block (section 9): the lead it describes and what it expects."""
    name: str
    as_of: Optional[int] = None  # micros; None: now
    previous: Optional[str] = None
    fields: dict = field(default_factory=dict)  # name -> the value as data would hold it
    activities: list = field(default_factory=list)  # (type, props, times, ("ago", micros) | ("at", micros))
    expects: list = field(default_factory=list)  # (what, op, value)


@dataclass
class Policy:
    name: str
    version: str
    fields: dict = field(default_factory=dict)  # name -> Type, in file order
    activities: dict = field(default_factory=dict)  # name -> {prop: Type}
    stages: list = field(default_factory=list)
    engagement: list = field(default_factory=list)
    decay: Optional[tuple] = None  # (percent, period micros)
    fit: list = field(default_factory=list)
    grades: Optional[list] = None  # [(letter, Expr or None for otherwise)]
    demote: list = field(default_factory=list)  # (name, source, target, Expr)
    disqualify: list = field(default_factory=list)  # (name, Expr)
    block_order: list = field(default_factory=list)  # names of the top-level blocks, in file order
    tests: list = field(default_factory=list)


def number_value(text: str) -> float:
    return float(text.replace("_", ""))


def unquote(token: str) -> str:
    out, i, body = [], 0, token[1:-1]
    while i < len(body):
        if body[i] == "\\":
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


def duration_micros(amount: Token, unit: Token) -> Fraction:
    # GAP (spec silent on durations that are not a whole number of microseconds, e.g.
    # `0.000000001 hours`): aligned with docs/decisions.md 11, whole microseconds as Python's
    # timedelta rounds them. Exact arithmetic would differ only for such durations.
    exact = dt.timedelta(**{str(unit).rstrip("s") + "s": float(str(amount).replace("_", ""))})
    return Fraction(exact // dt.timedelta(microseconds=1))


@v_args(inline=True)
class _Build(Transformer):
    # expressions
    def num(self, token):
        return Lit("number", number_value(token))

    def string(self, token):
        return Lit("text", unquote(token))

    def date(self, token):
        return Lit("date", read_instant(str(token)))

    def true(self):
        return Lit("boolean", True)

    def false(self):
        return Lit("boolean", False)

    def name(self, token):
        return Name(str(token))

    def eng_score(self):
        return Score("engagement")

    def fit_score(self):
        return Score("fit")

    def grade(self):
        return Score("grade")

    def days_since(self, token):
        return DaysSince(str(token))

    def add(self, a, b):
        return Arith("+", a, b)

    def sub(self, a, b):
        return Arith("-", a, b)

    def mul(self, a, b):
        return Arith("*", a, b)

    def neg(self, a):
        return Neg(a)

    def compare(self, a, op, b):
        return Compare(str(op), a, b)

    def in_(self, a, items):
        return Compare("in", a, items)

    def not_in(self, a, items):
        return Compare("notin", a, items)

    def items(self, *values):
        return tuple(values)

    def starts(self, a, b):
        return Compare("starts", a, b)

    def ends(self, a, b):
        return Compare("ends", a, b)

    def contains(self, a, b):
        return Compare("contains", a, b)

    def is_missing(self, a):
        return Compare("missing", a)

    def is_present(self, a):
        return Compare("present", a)

    def or_(self, a, b):
        return Logic("or", (a, b))

    def and_(self, a, b):
        return Logic("and", (a, b))

    def not_(self, a):
        return Logic("not", (a,))

    def act_ref(self, token):
        return None if token.type == "ANY_ACTIVITY" else str(token)

    def duration(self, amount, unit):
        return duration_micros(amount, unit)

    def did(self, act, where, times, within):
        return Did(act, where, 1 if times is None else int(number_value(times)), within, False)

    def no(self, act, where, within):
        return Did(act, where, 1, within, True)

    def at_least(self, count, *parts):
        return AtLeast(number_value(count), tuple(parts))

    # declarations: returned as tagged tuples, gathered in `start`
    def pos(self, token):
        return number_value(token)

    def neg_points(self, token):
        return -number_value(token)

    def t_text(self):
        return Type("text")

    def t_number(self):
        return Type("number")

    def t_boolean(self):
        return Type("boolean")

    def t_date(self):
        return Type("date")

    def t_enum(self, *members):
        return Type("enum", tuple(members))

    def member(self, token):
        return unquote(token) if token.type == "STRING" else str(token)

    def header(self, name, version):
        return ("header", unquote(name), unquote(version))

    def owner(self, role, person):
        return ("owner",)

    def test_block(self, name, *items):
        test = TestCase(unquote(name))
        for tag, *rest in items:
            if tag == "as_of":
                test.as_of = rest[0]
            elif tag == "previous":
                test.previous = rest[0]
            elif tag == "fields":
                test.fields.update(rest[0])
            elif tag == "activity":
                test.activities.append(tuple(rest))
            else:
                test.expects.append((tag, *rest))
        return ("test", test)

    def tests_file(self, *blocks):
        return [block[1] for block in blocks]

    def t_as_of(self, token):
        return ("as_of", read_instant(str(token)))

    def t_previous(self, token):
        return ("previous", str(token))

    def t_fields(self, *pairs):
        return ("fields", dict(p for p in pairs if p is not None))

    def t_field(self, name, value):
        return (str(name), value.value if isinstance(value, Lit) else value)

    def t_activity(self, _word, name, *rest):
        *props, times, when = rest
        pairs = dict(p for p in props if p is not None)
        return ("activity", str(name), pairs, 1 if times is None else int(number_value(times)), when)

    def t_ago(self, amount, unit):
        return ("ago", duration_micros(amount, unit))

    def t_at(self, token):
        return ("at", read_instant(str(token)))

    def v_string(self, token):
        return unquote(token)

    def v_number(self, token):  # a whole number stays an integer, as in JSON data
        return int(token.replace("_", "")) if "." not in token else number_value(token)

    def v_negative(self, token):
        return -self.v_number(token)

    def v_date(self, token):
        return str(token)

    def v_name(self, token):
        return str(token)

    def score_name(self, token):
        return str(token)

    def x_stage(self, token):
        return ("stage", "=", str(token))

    def x_change(self, token):
        return ("change", "=", str(token))

    def x_grade(self, token):
        return ("grade", "=", str(token))

    def x_score(self, which, op, value):
        return (which, str(op), value)

    def x_hit(self, token):
        return ("hit", "=", unquote(token))

    def x_no_hit(self, token):
        return ("no hit", "=", unquote(token))

    def field_decl(self, name, type_, description=None):
        return (str(name), type_)

    def fields(self, *decls):
        return ("fields", dict(decls))

    def prop(self, name, type_):
        return (str(name), type_)

    def act_decl(self, name, *rest):
        return (str(name), {p[0]: p[1] for p in rest if isinstance(p, tuple)})

    def activities(self, *decls):
        return ("activities", dict(decls))

    def stage_decl(self, name, *rest):
        return Stage(str(name), rest[-1] if rest else None)

    def stages(self, *decls):
        return ("stages", list(decls))

    def eng_rule(self, name, points, activity, where, within, cap):
        return EngagementRule(unquote(name), points, str(activity), where, within,
                              None if cap is None else number_value(cap))

    def decay(self, percent, period):
        return ("decay", number_value(percent), period)

    def engagement(self, *items):
        return ("engagement", items)

    def fit_rule(self, name, points, when):
        return FitRule(unquote(name), points, None, when)

    def fit_group(self, group, *rules):
        return [FitRule(r.name, r.points, str(group), r.when) for r in rules]

    def fit(self, *items):
        rules = []
        for item in items:
            rules.extend(item if isinstance(item, list) else [item])
        return ("fit", rules)

    def grade_when(self, letter, when):
        return (str(letter), when)

    def grade_otherwise(self, letter):
        return (str(letter), None)

    def grades(self, *lines):
        return ("grades", list(lines))

    def demote_rule(self, name, source, target, when):
        return (unquote(name), str(source), str(target), when)

    def demote(self, *rules):
        return ("demote", list(rules))

    def dq_rule(self, name, when):
        return (unquote(name), when)

    def disqualify(self, *rules):
        return ("disqualify", list(rules))


def parse(text: str) -> Policy:
    tree = _PARSER.parse(text, start="start")
    built = _Build().transform(tree)
    policy: Optional[Policy] = None
    for part in built.children:
        tag = part[0]
        if tag == "header":
            policy = Policy(part[1], part[2])
            continue
        assert policy is not None
        policy.block_order.append(tag)
        if tag == "test":
            policy.tests.append(part[1])
        if tag == "fields":
            policy.fields = part[1]
        elif tag == "activities":
            policy.activities = part[1]
        elif tag == "stages":
            policy.stages = part[1]
        elif tag == "engagement":
            for item in part[1]:
                if isinstance(item, tuple):
                    policy.decay = (item[1], item[2])
                else:
                    policy.engagement.append(item)
        elif tag == "fit":
            policy.fit = part[1]
        elif tag == "grades":
            policy.grades = part[1]
        elif tag == "demote":
            policy.demote = part[1]
        elif tag == "disqualify":
            policy.disqualify = part[1]
    assert policy is not None
    return policy


def parse_tests(text: str) -> list:
    """The test blocks of a sibling NAME.tests file."""
    return _Build().transform(_PARSER.parse(text, start="tests_file"))
