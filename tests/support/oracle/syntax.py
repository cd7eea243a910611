"""The oracle's parser: policy text (LANGUAGE.md sections 2-7) to small dataclasses.

Written from the spec alone. Policies are assumed valid (no checking here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Optional, Union

from lark import Lark, Token, Transformer

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


def _times(token) -> int:
    return 1 if token is None else int(number_value(token))


def _test_block(name, *items) -> tuple:
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


def _test_number(token) -> float:  # a whole number stays an integer, as in JSON data
    return int(token.replace("_", "")) if "." not in token else number_value(token)


def _fit(*items) -> tuple:
    rules: list = []
    for item in items:
        rules.extend(item if isinstance(item, list) else [item])
    return ("fit", rules)


# rule (or alias) of grammar.lark -> what it builds from its children
_BUILD = {
    # expressions
    "num": lambda t: Lit("number", number_value(t)),
    "string": lambda t: Lit("text", unquote(t)),
    "date": lambda t: Lit("date", read_instant(str(t))),
    "true": lambda: Lit("boolean", True),
    "false": lambda: Lit("boolean", False),
    "name": lambda t: Name(str(t)),
    "eng_score": lambda: Score("engagement"),
    "fit_score": lambda: Score("fit"),
    "grade": lambda: Score("grade"),
    "days_since": lambda t: DaysSince(str(t)),
    "add": lambda a, b: Arith("+", a, b),
    "sub": lambda a, b: Arith("-", a, b),
    "mul": lambda a, b: Arith("*", a, b),
    "neg": Neg,
    "compare": lambda a, op, b: Compare(str(op), a, b),
    "in_": lambda a, items: Compare("in", a, items),
    "not_in": lambda a, items: Compare("notin", a, items),
    "items": lambda *values: tuple(values),
    "starts": lambda a, b: Compare("starts", a, b),
    "ends": lambda a, b: Compare("ends", a, b),
    "contains": lambda a, b: Compare("contains", a, b),
    "is_missing": lambda a: Compare("missing", a),
    "is_present": lambda a: Compare("present", a),
    "or_": lambda a, b: Logic("or", (a, b)),
    "and_": lambda a, b: Logic("and", (a, b)),
    "not_": lambda a: Logic("not", (a,)),
    "act_ref": lambda t: None if t.type == "ANY_ACTIVITY" else str(t),
    "duration": duration_micros,
    "did": lambda act, where, times, within: Did(act, where, _times(times), within, False),
    "no": lambda act, where, within: Did(act, where, 1, within, True),
    "at_least": lambda count, *parts: AtLeast(number_value(count), tuple(parts)),
    # declarations: tagged tuples, gathered by `parse`
    "pos": number_value,
    "neg_points": lambda t: -number_value(t),
    "t_text": lambda: Type("text"),
    "t_number": lambda: Type("number"),
    "t_boolean": lambda: Type("boolean"),
    "t_date": lambda: Type("date"),
    "t_enum": lambda *members: Type("enum", tuple(members)),
    "member": lambda t: unquote(t) if t.type == "STRING" else str(t),
    "header": lambda name, version: ("header", unquote(name), unquote(version)),
    "owner": lambda role, person: ("owner", None),
    "field_decl": lambda name, type_, description=None: (str(name), type_),
    "fields": lambda *decls: ("fields", dict(decls)),
    "prop": lambda name, type_: (str(name), type_),
    "act_decl": lambda name, *rest: (str(name), {p[0]: p[1] for p in rest if isinstance(p, tuple)}),
    "activities": lambda *decls: ("activities", dict(decls)),
    "stage_decl": lambda name, *rest: Stage(str(name), rest[-1] if rest else None),
    "stages": lambda *decls: ("stages", list(decls)),
    "eng_rule": lambda name, points, act, where, within, cap: EngagementRule(
        unquote(name), points, str(act), where, within, None if cap is None else number_value(cap)),
    "decay": lambda percent, period: ("decay", number_value(percent), period),
    "engagement": lambda *items: ("engagement", items),
    "fit_rule": lambda name, points, when: FitRule(unquote(name), points, None, when),
    "fit_group": lambda group, *rules: [FitRule(r.name, r.points, str(group), r.when) for r in rules],
    "fit": _fit,
    "grade_when": lambda letter, when: (str(letter), when),
    "grade_otherwise": lambda letter: (str(letter), None),
    "grades": lambda *lines: ("grades", list(lines)),
    "demote_rule": lambda name, source, target, when: (unquote(name), str(source), str(target), when),
    "demote": lambda *rules: ("demote", list(rules)),
    "dq_rule": lambda name, when: (unquote(name), when),
    "disqualify": lambda *rules: ("disqualify", list(rules)),
    # section 9
    "test_block": _test_block,
    "tests_file": lambda *blocks: [block[1] for block in blocks],
    "t_as_of": lambda t: ("as_of", read_instant(str(t))),
    "t_previous": lambda t: ("previous", str(t)),
    "t_fields": lambda *pairs: ("fields", dict(p for p in pairs if p is not None)),
    "t_field": lambda name, value: (str(name), value.value if isinstance(value, Lit) else value),
    "t_activity": lambda _word, name, *rest: ("activity", str(name), dict(p for p in rest[:-2] if p is not None),
                                              _times(rest[-2]), rest[-1]),
    "t_ago": lambda amount, unit: ("ago", duration_micros(amount, unit)),
    "t_at": lambda t: ("at", read_instant(str(t))),
    "v_string": unquote,
    "v_number": _test_number,
    "v_negative": lambda t: -_test_number(t),
    "v_date": str,
    "v_name": str,
    "score_name": str,
    "x_stage": lambda t: ("stage", "=", str(t)),
    "x_change": lambda t: ("change", "=", str(t)),
    "x_grade": lambda t: ("grade", "=", str(t)),
    "x_score": lambda which, op, value: (which, str(op), value),
    "x_hit": lambda t: ("hit", "=", unquote(t)),
    "x_no_hit": lambda t: ("no hit", "=", unquote(t)),
}


class _Build(Transformer):
    def __default__(self, data, children, meta):
        if data == "start":
            return children
        return _BUILD[data](*children)


def parse(text: str) -> Policy:
    header, *parts = _Build().transform(_PARSER.parse(text, start="start"))
    policy = Policy(header[1], header[2])
    for tag, value, *_ in parts:
        policy.block_order.append(tag)
        if tag == "test":
            policy.tests.append(value)
        elif tag == "engagement":
            policy.engagement = [item for item in value if not isinstance(item, tuple)]
            policy.decay = next(((item[1], item[2]) for item in value if isinstance(item, tuple)), None)
        elif tag != "owner":
            setattr(policy, tag, value)
    return policy


def parse_tests(text: str) -> list:
    """The test blocks of a sibling NAME.tests file."""
    return _Build().transform(_PARSER.parse(text, start="tests_file"))
