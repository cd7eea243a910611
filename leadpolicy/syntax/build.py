"""Lark's parse tree -> the AST (`nodes`): one method per grammar rule, and the
literals (strings, numbers, dates, durations) read as the language reference says.
Used by `parser.py`; a value out of range is a `LiteralError` diagnostic at its token."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Optional

from lark import Token, Transformer_NonRecursive, v_args
from lark.tree import Meta

from leadpolicy.semantics.runtime import instant_micros, to_micros
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span

# ---------------------------------------------------------------- literals


def unquote(token: str) -> str:
    """The value of a string literal: only \\" and \\\\ are escapes."""
    return re.sub(r'\\(["\\])', r"\1", token[1:-1])





def number_value(text: str) -> float:
    return float(text.replace("_", ""))


MAX_COUNT = 1_000_000  # `at least N times`, `N times`, `at least N of`
MAX_DURATION_DAYS = 1_000_000  # about 2,700 years: beyond any CRM's history


def _finite(token: Token) -> float:
    """A number literal's value; one too large for a float is an error, not infinity."""
    value = number_value(token)
    if math.isinf(value):
        raise LiteralError("bad-number", f"`{_short(token)}` is too large a number", span_at(token), "write a number below 1e308")
    return value


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "..."



class LiteralError(Exception):
    """A literal that cannot be read; turned into a diagnostic by the parser."""

    def __init__(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None) -> None:
        self.diagnostic = (code, message, span, help)


def span_at(meta_or_token: Any) -> Optional[Span]:
    if isinstance(meta_or_token, Token):
        return Span.from_token(meta_or_token)
    if getattr(meta_or_token, "empty", True):
        return None
    return Span.from_meta(meta_or_token)


def _date_literal(token: Token) -> n.DateLit:
    text = str(token)
    if token.type == "DATE":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is not None:
            return n.DateLit(to_micros(day), text=text, has_time=False, span=span_at(token))
    else:
        # The reader of timestamps in lead data, so that a literal means what the same text in
        # the data means, and one the data would refuse is refused here too (an offset minute
        # of 60 or more, ten or more fraction digits: fromisoformat read both).
        micros = instant_micros(text)
        if micros is not None:
            return n.DateLit(micros, text=text, has_time=True, span=span_at(token))
    raise LiteralError(
        "bad-date",
        f"`{text}` is not a valid {'date' if token.type == 'DATE' else 'timestamp'}",
        span_at(token),
        "write dates as YYYY-MM-DD and timestamps as YYYY-MM-DDTHH:MM:SSZ",
    )


def _whole(token: Token, what: str) -> int:
    value = number_value(token)
    if not 1 <= value <= MAX_COUNT or value != int(value):  # infinity fails the range first
        raise LiteralError(
            "bad-count",
            f"{what} must be a whole number from 1 to {MAX_COUNT:,}, not `{_short(token)}`",
            span_at(token),
        )
    return int(value)


# ---------------------------------------------------------------- tree -> nodes


def _block_of(cls: type[n.Block]) -> Any:
    """The builder method of a block rule: its class (one per block kind) around its items."""

    def build(self: TreeBuilder, meta: Meta, children: list[Any]) -> Any:
        return cls(tuple(c for c in children if c is not None), span=span_at(meta))

    return build



@v_args(meta=True)
class TreeBuilder(Transformer_NonRecursive[Any, Any]):
    """Turns Lark's tree into `nodes`. Run after parsing, so `meta` is filled in."""

    # -- header and blocks

    def start(self, meta: Meta, children: list[Any]) -> Any:
        (name, version, owners), *blocks = children
        return n.Policy(name, version, owners=owners, blocks=tuple(blocks), span=span_at(meta))

    def tests_file(self, meta: Meta, children: list[Any]) -> Any:
        return tuple(children)

    def header(self, meta: Meta, children: list[Any]) -> Any:
        name, version, *owners = children
        return unquote(name), unquote(version), tuple(owners)

    def owner(self, meta: Meta, children: list[Any]) -> Any:
        role, person = children
        return n.Owner(str(role), unquote(person), span=span_at(meta))

    fields_block = _block_of(n.FieldsBlock)
    activities_block = _block_of(n.ActivitiesBlock)
    stages_block = _block_of(n.StagesBlock)
    engagement_block = _block_of(n.EngagementBlock)
    fit_block = _block_of(n.FitBlock)
    grades_block = _block_of(n.GradesBlock)
    demote_block = _block_of(n.DemoteBlock)
    disqualify_block = _block_of(n.DisqualifyBlock)

    def test_block(self, meta: Meta, children: list[Any]) -> Any:
        name, *items = children
        test = self._test(unquote(name), items, span_at(meta))
        return n.TestsBlock((test,), span=span_at(meta))

    # -- declarations

    def field_decl(self, meta: Meta, children: list[Any]) -> Any:
        name, type_, description = children
        return n.FieldDecl(
            str(name), type_, unquote(description) if description else None, name_span=span_at(name), span=span_at(meta)
        )

    def type_spec(self, meta: Meta, children: list[Any]) -> Any:
        (token,) = children
        return n.FieldType(n.FieldKind(str(token)), span=span_at(meta))

    def enum_spec(self, meta: Meta, children: list[Any]) -> Any:
        members = tuple(unquote(t) if t.type == "STRING" else str(t) for t in children)
        return n.FieldType(n.FieldKind.ENUM, members, tuple(Span.from_token(t) for t in children), span=span_at(meta))

    def activity_decl(self, meta: Meta, children: list[Any]) -> Any:
        name, props, description = children
        return n.ActivityDecl(
            str(name),
            props or (),
            unquote(description) if description else None,
            name_span=span_at(name),
            span=span_at(meta),
        )

    def prop_list(self, meta: Meta, children: list[Any]) -> Any:
        return tuple(children)

    def prop_decl(self, meta: Meta, children: list[Any]) -> Any:
        name, type_ = children
        return n.PropDecl(str(name), type_, name_span=span_at(name), span=span_at(meta))

    def stage_decl(self, meta: Meta, children: list[Any]) -> Any:
        name, description, condition = children
        return n.StageDecl(
            str(name),
            unquote(description) if description else None,
            condition,
            name_span=span_at(name),
            span=span_at(meta),
        )

    def engagement_rule(self, meta: Meta, children: list[Any]) -> Any:
        name, (points, points_text), activity, where, within, max_ = children
        return n.EngagementRule(
            unquote(name),
            points,
            str(activity),
            where,
            within,
            _finite(max_) if max_ is not None else None,
            points_text=points_text,
            max_text=str(max_) if max_ is not None else "",
            activity_span=span_at(activity),
            span=span_at(meta),
        )

    def max(self, meta: Meta, children: list[Any]) -> Any:
        return children[0]

    def decay(self, meta: Meta, children: list[Any]) -> Any:
        percent, every = children
        return n.Decay(_finite(percent), every, percent_text=str(percent), span=span_at(meta))

    def fit_group(self, meta: Meta, children: list[Any]) -> Any:
        name, *rules = children
        grouped = tuple(
            n.FitRule(r.name, r.points, r.condition, str(name), points_text=r.points_text, span=r.span) for r in rules
        )
        return n.FitGroup(str(name), grouped, name_span=span_at(name), span=span_at(meta))

    def fit_rule(self, meta: Meta, children: list[Any]) -> Any:
        name, (points, points_text), condition = children
        return n.FitRule(unquote(name), points, condition, None, points_text=points_text, span=span_at(meta))

    def grade_when(self, meta: Meta, children: list[Any]) -> Any:
        letter, condition = children
        return n.GradeBand(str(letter), condition, name_span=span_at(letter), span=span_at(meta))

    def grade_otherwise(self, meta: Meta, children: list[Any]) -> Any:
        (letter,) = children
        return n.GradeBand(str(letter), None, name_span=span_at(letter), span=span_at(meta))

    def demote_rule(self, meta: Meta, children: list[Any]) -> Any:
        name, source, target, condition = children
        return n.DemoteRule(
            unquote(name),
            str(source),
            str(target),
            condition,
            source_span=span_at(source),
            target_span=span_at(target),
            span=span_at(meta),
        )

    def disqualify_rule(self, meta: Meta, children: list[Any]) -> Any:
        name, condition = children
        return n.DisqualifyRule(unquote(name), condition, span=span_at(meta))

    def points(self, meta: Meta, children: list[Any]) -> Any:
        sign = children[0] if len(children) == 2 else None
        number = children[-1]
        value = _finite(number)
        if sign is not None and sign == "-":
            value = -value
        return value, (str(sign) if sign else "") + str(number)

    def within(self, meta: Meta, children: list[Any]) -> Any:
        return children[0]

    def duration(self, meta: Meta, children: list[Any]) -> Any:
        amount, unit = children
        value = number_value(amount)
        if value <= 0:
            raise LiteralError("bad-duration", f"a duration must be positive, not `{amount} {unit}`", span_at(meta),
                               "write a number of hours, days or weeks above 0, such as `1 day` or `12 hours`")
        duration = n.Duration(value, n.UNIT_NAMES[str(unit)], text=str(amount), span=span_at(meta))
        if value * n.UNIT_SECONDS[duration.unit] > MAX_DURATION_DAYS * n.UNIT_SECONDS["day"]:
            raise LiteralError(
                "bad-duration",
                f"`{_short(amount)} {unit}` is longer than any lead's history",
                span_at(meta),
                f"durations go up to {MAX_DURATION_DAYS:,} days; leave out `within` to count all of history",
            )
        if duration.micros < 1:
            raise LiteralError("bad-duration", f"`{amount} {unit}` is shorter than a microsecond", span_at(meta))
        return duration

    # -- conditions

    def or_(self, meta: Meta, children: list[Any]) -> Any:
        return n.Or(_flatten(n.Or, children), span=span_at(meta))

    def and_(self, meta: Meta, children: list[Any]) -> Any:
        return n.And(_flatten(n.And, children), span=span_at(meta))

    def not_(self, meta: Meta, children: list[Any]) -> Any:
        return n.Not(children[0], span=span_at(meta))

    def did_open(self, meta: Meta, children: list[Any]) -> Any:
        keyword, activity, where = children
        return self._did(meta, keyword, activity, where, 1, None)

    def did(self, meta: Meta, children: list[Any]) -> Any:
        keyword, activity, *rest = children
        where, times, within = None, 1, None
        for part in rest:
            if isinstance(part, n.Duration):
                within = part
            elif isinstance(part, tuple) and part and part[0] == "times":
                times = part[1]
            elif part is not None:
                where = part
        return self._did(meta, keyword, activity, where, times, within)

    def _did(self, meta: Meta, keyword: Any, activity: Any, where: Any, times: Any, within: Any) -> Any:
        return n.Did(
            None if activity.type == "ANY_ACTIVITY" else str(activity),
            where,
            times,
            within,
            negated=keyword.type == "NO",
            activity_span=span_at(activity),
            span=span_at(meta),
        )

    def times_clause(self, meta: Meta, children: list[Any]) -> Any:
        return ("times", _whole(children[0], "the number of times"))

    def compare(self, meta: Meta, children: list[Any]) -> Any:
        left, op, right = children
        return n.Compare(str(op), left, right, span=span_at(meta))

    def in_(self, meta: Meta, children: list[Any]) -> Any:
        operand, items = children
        return n.InList(operand, items, False, span=span_at(meta))

    def not_in(self, meta: Meta, children: list[Any]) -> Any:
        operand, items = children
        return n.InList(operand, items, True, span=span_at(meta))

    def in_items(self, meta: Meta, children: list[Any]) -> Any:
        return tuple(children)

    def _text_test(op: Any) -> Any:  # noqa: N805
        def build(self: TreeBuilder, meta: Meta, children: list[Any]) -> Any:
            left, right = children
            return n.TextTest(op, left, right, span=span_at(meta))

        return build

    starts_with = _text_test("starts with")
    ends_with = _text_test("ends with")
    contains = _text_test("contains")

    def is_missing(self, meta: Meta, children: list[Any]) -> Any:
        return n.IsMissing(children[0], False, span=span_at(meta))

    def is_present(self, meta: Meta, children: list[Any]) -> Any:
        return n.IsMissing(children[0], True, span=span_at(meta))

    def at_least(self, meta: Meta, children: list[Any]) -> Any:
        count, *conditions = children
        value = number_value(count)
        if math.isinf(value) or value != int(value) or value > MAX_COUNT:
            raise LiteralError(
                "bad-count", f"`at least` needs a whole number up to {MAX_COUNT:,}, not `{_short(count)}`", span_at(count)
            )
        return n.AtLeast(int(value), tuple(conditions), span=span_at(meta))

    def add(self, meta: Meta, children: list[Any]) -> Any:
        left, _, right = children
        return n.Arith("+", left, right, span=span_at(meta))

    def sub(self, meta: Meta, children: list[Any]) -> Any:
        left, _, right = children
        return n.Arith("-", left, right, span=span_at(meta))

    def mul(self, meta: Meta, children: list[Any]) -> Any:
        left, right = children
        return n.Arith("*", left, right, span=span_at(meta))

    def neg(self, meta: Meta, children: list[Any]) -> Any:
        return n.Neg(children[1], span=span_at(meta))

    def engagement(self, meta: Meta, children: list[Any]) -> Any:
        return n.Engagement(span=span_at(meta))

    def fit(self, meta: Meta, children: list[Any]) -> Any:
        return n.Fit(span=span_at(meta))

    def grade(self, meta: Meta, children: list[Any]) -> Any:
        return n.Grade(span=span_at(meta))

    def days_since(self, meta: Meta, children: list[Any]) -> Any:
        (name,) = children
        return n.DaysSince(str(name), name_span=span_at(name), span=span_at(meta))

    def paren(self, meta: Meta, children: list[Any]) -> Any:
        return n.Paren(children[0], span=span_at(meta))

    def name(self, meta: Meta, children: list[Any]) -> Any:
        (token,) = children
        return n.Name(str(token), span=span_at(token))

    def number(self, meta: Meta, children: list[Any]) -> Any:
        (token,) = children
        return n.Number(_finite(token), text=str(token), span=span_at(token))

    def neg_number(self, meta: Meta, children: list[Any]) -> Any:
        _, token = children
        return n.Number(-_finite(token), text="-" + str(token), span=span_at(meta))

    def string(self, meta: Meta, children: list[Any]) -> Any:
        (token,) = children
        return n.String(unquote(token), span=span_at(token))

    def date(self, meta: Meta, children: list[Any]) -> Any:
        return _date_literal(children[0])

    timestamp = date

    def true(self, meta: Meta, children: list[Any]) -> Any:
        return n.Bool(True, span=span_at(meta))

    def false(self, meta: Meta, children: list[Any]) -> Any:
        return n.Bool(False, span=span_at(meta))

    # -- tests

    def _test(self, name: str, items: list[Any], span: Optional[Span]) -> n.TestBlock:
        as_of = previous = previous_span = None
        fields: tuple[Any, ...] = ()
        activities: list[Any] = []
        expectations: list[Any] = []
        repeated: list[tuple[str, Optional[Span]]] = []
        for kind, value, item_span in items:
            if kind == "as_of":
                if as_of is not None:
                    repeated.append(("as of", item_span))
                as_of = value
            elif kind == "previous_stage":
                if previous is not None:
                    repeated.append(("previous stage", item_span))
                previous, previous_span = value, item_span
            elif kind == "fields":
                fields = fields + value
            elif kind == "activity":
                activities.append(value)
            else:
                expectations.append(value)
        return n.TestBlock(
            name,
            as_of,
            previous,
            fields,
            tuple(activities),
            tuple(expectations),
            previous_stage_span=previous_span,
            repeated=tuple(repeated),
            span=span,
        )

    def as_of(self, meta: Meta, children: list[Any]) -> Any:
        literal = _date_literal(children[0])
        return ("as_of", _test_value(literal), span_at(meta))

    def previous_stage(self, meta: Meta, children: list[Any]) -> Any:
        return ("previous_stage", str(children[0]), span_at(children[0]))

    def test_fields(self, meta: Meta, children: list[Any]) -> Any:
        return ("fields", tuple(c for c in children if c is not None), span_at(meta))

    def field_value(self, meta: Meta, children: list[Any]) -> Any:
        name, value = children
        return n.TestField(str(name), _test_value(value), span=span_at(meta))

    prop_value = field_value

    def word(self, meta: Meta, children: list[Any]) -> Any:
        (token,) = children
        return n.TestValue(n.TestValueKind.WORD, str(token), text=str(token), span=span_at(token))

    def test_activity(self, meta: Meta, children: list[Any]) -> Any:
        name, props, count, when = children
        ago = when if isinstance(when, n.Duration) else None
        at = None if ago is not None else when
        activity = n.TestActivity(str(name), props or (), count or 1, ago, at, span=span_at(meta))
        return ("activity", activity, span_at(meta))

    def activity_props(self, meta: Meta, children: list[Any]) -> Any:
        return tuple(c for c in children if c is not None)

    def count(self, meta: Meta, children: list[Any]) -> Any:
        return _whole(children[0], "the number of times")

    def ago(self, meta: Meta, children: list[Any]) -> Any:
        return self.duration(meta, children)

    def at_time(self, meta: Meta, children: list[Any]) -> Any:
        return _test_value(_date_literal(children[0]))

    def _expect(kind: Any) -> Any:  # noqa: N805
        def build(self: TreeBuilder, meta: Meta, children: list[Any]) -> Any:
            token = children[-1]  # `expect no hit` keeps the NO token before it
            value = unquote(token) if token.type == "STRING" else str(token)
            return ("expect", n.Expect(kind, value, span=span_at(meta)), span_at(meta))

        return build

    expect_stage = _expect("stage")
    expect_change = _expect("change")
    expect_grade = _expect("grade")
    expect_hit = _expect("hit")
    expect_no_hit = _expect("no_hit")

    def _expect_score(kind: Any) -> Any:  # noqa: N805
        def build(self: TreeBuilder, meta: Meta, children: list[Any]) -> Any:
            op, value = children
            return ("expect", n.Expect(kind, value, str(op), span=span_at(meta)), span_at(meta))

        return build

    expect_engagement = _expect_score("engagement")
    expect_fit = _expect_score("fit")

    def signed(self, meta: Meta, children: list[Any]) -> Any:
        sign = children[0] if len(children) == 2 and children[0] is not None else None
        value = _finite(children[-1])
        return -value if sign else value


def _flatten(kind: Any, children: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for child in children:
        if isinstance(child, kind):
            out.extend(child.operands)
        else:
            out.append(child)
    return tuple(out)


def _test_value(node: Any) -> n.TestValue:
    if isinstance(node, n.TestValue):
        return node
    if isinstance(node, n.Number):
        return n.TestValue(n.TestValueKind.NUMBER, node.value, text=node.text, span=node.span)
    if isinstance(node, n.String):
        return n.TestValue(n.TestValueKind.STRING, node.value, span=node.span)
    if isinstance(node, n.Bool):
        return n.TestValue(n.TestValueKind.BOOL, node.value, span=node.span)
    if isinstance(node, n.DateLit):
        return n.TestValue(n.TestValueKind.TIMESTAMP if node.has_time else n.TestValueKind.DATE, node.micros, text=node.text, span=node.span)
    raise TypeError(f"not a test value: {node!r}")


