"""Policy text -> AST (`nodes`). Syntax errors become diagnostics.

The grammar (grammar/leadpolicy.lark) is LALR(1) and built in strict mode, so
a conflict in it is an error at build time, not a surprise at parse time.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Optional

from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from leadpolicy.semantics.runtime import to_micros
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Diagnostic, PolicyError, Span
from leadpolicy.syntax.nodes import RESERVED_WORDS

GRAMMAR_FILE = "leadpolicy.lark"


def grammar_path():
    """The grammar shipped inside the package; in a source checkout, grammar/ beside it."""
    # Plain paths, not importlib.resources: that import alone costs start-up time.
    packaged = Path(__file__).resolve().parents[1] / "grammar" / GRAMMAR_FILE
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """The LALR parser: from the shipped tables (syntax/tables.py says why), or built."""
    from leadpolicy.syntax import tables

    keyword_types: dict[str, str] = {}
    parser = tables.load(grammar_text(), lexer_callbacks={"IDENT": _KeywordsAreNotNames(keyword_types)})
    keyword_types.update(_keyword_types(parser))
    return parser


class _KeywordsAreNotNames:
    """A lexer callback: an IDENT spelt like a word of the language becomes that word's keyword.
    Lark's contextual lexer only turns a word into its keyword where the keyword may come next;
    elsewhere (`x >= and`) it would pass it on as a name, and the error would show further on."""

    def __init__(self, keyword_types: dict[str, str]):
        self.keyword_types = keyword_types

    def __call__(self, token: Token) -> Token:
        kind = self.keyword_types.get(token.value)
        if kind is not None:
            token.type = kind
        return token


def _keyword_types(parser: Lark) -> dict[str, str]:
    """Each reserved word -> the terminal the grammar spells it with (`and` -> AND, `hours` -> UNIT)."""
    types: dict[str, str] = {}
    for terminal in parser.terminals:
        if terminal.pattern.type == "str" and terminal.pattern.value in RESERVED_WORDS:
            types[terminal.pattern.value] = terminal.name
    for terminal in parser.terminals:
        if terminal.pattern.type == "re" and terminal.name != "IDENT":
            for word in RESERVED_WORDS - set(types):
                if re.fullmatch(terminal.pattern.value, word):
                    types[word] = terminal.name
    for word in RESERVED_WORDS - set(types):
        types[word] = "RESERVED_WORD"  # a word the grammar does not spell yet: never a name all the same
    return types


# ---------------------------------------------------------------- comments

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def comments(text: str) -> list[tuple[int, str]]:
    """Every comment as (offset, text), in order; `#` inside strings is not one."""
    return [(m.start(), m.group()) for m in _STRING_OR_COMMENT.finditer(text) if m.group().startswith("#")]


# ---------------------------------------------------------------- literals


def unquote(token: str) -> str:
    """The value of a string literal: only \\" and \\\\ are escapes."""
    return re.sub(r'\\(["\\])', r"\1", token[1:-1])


def quote(value: str) -> str:
    """A string literal that reads back as `value` (the formatter's inverse of unquote)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def number_value(text: str) -> float:
    return float(text.replace("_", ""))


MAX_COUNT = 1_000_000  # `at least N times`, `N times`, `at least N of`
MAX_DURATION_DAYS = 1_000_000  # about 2,700 years: beyond any CRM's history


def _finite(token: Token) -> float:
    """A number literal's value; one too large for a float is an error, not infinity."""
    value = number_value(token)
    if math.isinf(value):
        raise _Failed("bad-number", f"`{_short(token)}` is too large a number", _span(token), "write a number below 1e308")
    return value


def _short(text: str) -> str:
    return text if len(text) <= 24 else text[:20] + "..."


_UNITS = n.UNIT_NAMES


class _Failed(Exception):
    """A literal that cannot be read; turned into a diagnostic by the parser."""

    def __init__(self, code: str, message: str, span: Span, help: Optional[str] = None):
        self.diagnostic = (code, message, span, help)


def _span(meta_or_token) -> Optional[Span]:
    if isinstance(meta_or_token, Token):
        return Span.from_token(meta_or_token)
    if getattr(meta_or_token, "empty", True):
        return None
    return Span.from_meta(meta_or_token)


def _date_literal(token: Token) -> n.DateLit:
    text = str(token)
    try:
        if token.type == "DATE":
            day = date.fromisoformat(text)
            return n.DateLit(to_micros(day), text=text, has_time=False, span=_span(token))
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return n.DateLit(to_micros(moment), text=text, has_time=True, span=_span(token))
    except ValueError:
        raise _Failed(
            "bad-date",
            f"`{text}` is not a valid date",
            _span(token),
            "write dates as YYYY-MM-DD and timestamps as YYYY-MM-DDTHH:MM:SSZ",
        )


def _whole(token: Token, what: str) -> int:
    value = number_value(token)
    if not 1 <= value <= MAX_COUNT or value != int(value):  # infinity fails the range first
        raise _Failed(
            "bad-count",
            f"{what} must be a whole number from 1 to {MAX_COUNT:,}, not `{_short(token)}`",
            _span(token),
        )
    return int(value)


# ---------------------------------------------------------------- tree -> nodes


@v_args(meta=True)
class _Builder(Transformer_NonRecursive):
    """Turns Lark's tree into `nodes`. Run after parsing, so `meta` is filled in."""

    # -- header and blocks

    def start(self, meta, children):
        (name, version, owners), *blocks = children
        return n.Policy(name, version, owners=owners, blocks=tuple(blocks), span=_span(meta))

    def tests_file(self, meta, children):
        return tuple(children)

    def header(self, meta, children):
        name, version, *owners = children
        return unquote(name), unquote(version), tuple(owners)

    def owner(self, meta, children):
        role, person = children
        return n.Owner(str(role), unquote(person), span=_span(meta))

    def _block(kind):  # noqa: N805 - a factory for the block methods below
        def build(self, meta, children):
            return n.Block(kind, tuple(c for c in children if c is not None), span=_span(meta))

        return build

    fields_block = _block("fields")
    activities_block = _block("activities")
    stages_block = _block("stages")
    engagement_block = _block("engagement")
    fit_block = _block("fit")
    grades_block = _block("grades")
    demote_block = _block("demote")
    disqualify_block = _block("disqualify")

    def test_block(self, meta, children):
        name, *items = children
        test = self._test(unquote(name), items, _span(meta))
        return n.Block("test", (test,), span=_span(meta))

    # -- declarations

    def field_decl(self, meta, children):
        name, type_, description = children
        return n.FieldDecl(
            str(name), type_, unquote(description) if description else None, name_span=_span(name), span=_span(meta)
        )

    def type_spec(self, meta, children):
        (token,) = children
        return n.FieldType(str(token), span=_span(meta))

    def enum_spec(self, meta, children):
        members = tuple(unquote(t) if t.type == "STRING" else str(t) for t in children)
        return n.FieldType("enum", members, span=_span(meta))

    def activity_decl(self, meta, children):
        name, props, description = children
        return n.ActivityDecl(
            str(name),
            props or (),
            unquote(description) if description else None,
            name_span=_span(name),
            span=_span(meta),
        )

    def prop_list(self, meta, children):
        return tuple(children)

    def prop_decl(self, meta, children):
        name, type_ = children
        return n.PropDecl(str(name), type_, name_span=_span(name), span=_span(meta))

    def stage_decl(self, meta, children):
        name, description, condition = children
        return n.StageDecl(
            str(name),
            unquote(description) if description else None,
            condition,
            name_span=_span(name),
            span=_span(meta),
        )

    def engagement_rule(self, meta, children):
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
            activity_span=_span(activity),
            span=_span(meta),
        )

    def max(self, meta, children):
        return children[0]

    def decay(self, meta, children):
        percent, every = children
        return n.Decay(_finite(percent), every, percent_text=str(percent), span=_span(meta))

    def fit_group(self, meta, children):
        name, *rules = children
        grouped = tuple(
            n.FitRule(r.name, r.points, r.condition, str(name), points_text=r.points_text, span=r.span) for r in rules
        )
        return n.FitGroup(str(name), grouped, name_span=_span(name), span=_span(meta))

    def fit_rule(self, meta, children):
        name, (points, points_text), condition = children
        return n.FitRule(unquote(name), points, condition, None, points_text=points_text, span=_span(meta))

    def grade_when(self, meta, children):
        letter, condition = children
        return n.GradeBand(str(letter), condition, name_span=_span(letter), span=_span(meta))

    def grade_otherwise(self, meta, children):
        (letter,) = children
        return n.GradeBand(str(letter), None, name_span=_span(letter), span=_span(meta))

    def demote_rule(self, meta, children):
        name, source, target, condition = children
        return n.DemoteRule(
            unquote(name),
            str(source),
            str(target),
            condition,
            source_span=_span(source),
            target_span=_span(target),
            span=_span(meta),
        )

    def disqualify_rule(self, meta, children):
        name, condition = children
        return n.DisqualifyRule(unquote(name), condition, span=_span(meta))

    def points(self, meta, children):
        sign = children[0] if len(children) == 2 else None
        number = children[-1]
        value = _finite(number)
        if sign is not None and sign == "-":
            value = -value
        return value, (str(sign) if sign else "") + str(number)

    def within(self, meta, children):
        return children[0]

    def duration(self, meta, children):
        amount, unit = children
        value = number_value(amount)
        if value <= 0:
            raise _Failed("bad-duration", f"a duration must be positive, not `{amount} {unit}`", _span(meta))
        duration = n.Duration(value, _UNITS[str(unit)], text=str(amount), span=_span(meta))
        if value * n.UNIT_SECONDS[duration.unit] > MAX_DURATION_DAYS * 86400:
            raise _Failed(
                "bad-duration",
                f"`{_short(amount)} {unit}` is longer than any lead's history",
                _span(meta),
                f"durations go up to {MAX_DURATION_DAYS:,} days; leave out `within` to count all of history",
            )
        if duration.micros < 1:
            raise _Failed("bad-duration", f"`{amount} {unit}` is shorter than a microsecond", _span(meta))
        return duration

    # -- conditions

    def or_(self, meta, children):
        return n.Or(_flatten(n.Or, children), span=_span(meta))

    def and_(self, meta, children):
        return n.And(_flatten(n.And, children), span=_span(meta))

    def not_(self, meta, children):
        return n.Not(children[0], span=_span(meta))

    def did_open(self, meta, children):
        keyword, activity, where = children
        return self._did(meta, keyword, activity, where, 1, None)

    def did(self, meta, children):
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

    def _did(self, meta, keyword, activity, where, times, within):
        return n.Did(
            None if activity.type == "ANY_ACTIVITY" else str(activity),
            where,
            times,
            within,
            negated=keyword.type == "NO",
            activity_span=_span(activity),
            span=_span(meta),
        )

    def times_clause(self, meta, children):
        return ("times", _whole(children[0], "the number of times"))

    def compare(self, meta, children):
        left, op, right = children
        return n.Compare(str(op), left, right, span=_span(meta))

    def in_(self, meta, children):
        operand, items = children
        return n.InList(operand, items, False, span=_span(meta))

    def not_in(self, meta, children):
        operand, items = children
        return n.InList(operand, items, True, span=_span(meta))

    def in_items(self, meta, children):
        return tuple(children)

    def _text_test(op):  # noqa: N805
        def build(self, meta, children):
            left, right = children
            return n.TextTest(op, left, right, span=_span(meta))

        return build

    starts_with = _text_test("starts with")
    ends_with = _text_test("ends with")
    contains = _text_test("contains")

    def is_missing(self, meta, children):
        return n.IsMissing(children[0], False, span=_span(meta))

    def is_present(self, meta, children):
        return n.IsMissing(children[0], True, span=_span(meta))

    def at_least(self, meta, children):
        count, *conditions = children
        value = number_value(count)
        if math.isinf(value) or value != int(value) or value > MAX_COUNT:
            raise _Failed(
                "bad-count", f"`at least` needs a whole number up to {MAX_COUNT:,}, not `{_short(count)}`", _span(count)
            )
        return n.AtLeast(int(value), tuple(conditions), span=_span(meta))

    def add(self, meta, children):
        left, _, right = children
        return n.Arith("+", left, right, span=_span(meta))

    def sub(self, meta, children):
        left, _, right = children
        return n.Arith("-", left, right, span=_span(meta))

    def mul(self, meta, children):
        left, right = children
        return n.Arith("*", left, right, span=_span(meta))

    def neg(self, meta, children):
        return n.Neg(children[1], span=_span(meta))

    def engagement(self, meta, children):
        return n.Engagement(span=_span(meta))

    def fit(self, meta, children):
        return n.Fit(span=_span(meta))

    def grade(self, meta, children):
        return n.Grade(span=_span(meta))

    def days_since(self, meta, children):
        (name,) = children
        return n.DaysSince(str(name), name_span=_span(name), span=_span(meta))

    def paren(self, meta, children):
        return n.Paren(children[0], span=_span(meta))

    def name(self, meta, children):
        (token,) = children
        return n.Name(str(token), span=_span(token))

    def number(self, meta, children):
        (token,) = children
        return n.Number(_finite(token), text=str(token), span=_span(token))

    def neg_number(self, meta, children):
        _, token = children
        return n.Number(-_finite(token), text="-" + str(token), span=_span(meta))

    def string(self, meta, children):
        (token,) = children
        return n.String(unquote(token), span=_span(token))

    def date(self, meta, children):
        return _date_literal(children[0])

    timestamp = date

    def true(self, meta, children):
        return n.Bool(True, span=_span(meta))

    def false(self, meta, children):
        return n.Bool(False, span=_span(meta))

    # -- tests

    def _test(self, name: str, items: list, span: Optional[Span]) -> n.TestBlock:
        as_of = previous = previous_span = None
        fields: tuple = ()
        activities: list = []
        expectations: list = []
        for kind, value, item_span in items:
            if kind == "as_of":
                as_of = value
            elif kind == "previous_stage":
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
            span=span,
        )

    def as_of(self, meta, children):
        literal = _date_literal(children[0])
        return ("as_of", _test_value(literal), _span(meta))

    def previous_stage(self, meta, children):
        return ("previous_stage", str(children[0]), _span(children[0]))

    def test_fields(self, meta, children):
        return ("fields", tuple(c for c in children if c is not None), _span(meta))

    def field_value(self, meta, children):
        name, value = children
        return n.TestField(str(name), _test_value(value), span=_span(meta))

    prop_value = field_value

    def word(self, meta, children):
        (token,) = children
        return n.TestValue("word", str(token), text=str(token), span=_span(token))

    def test_activity(self, meta, children):
        name, props, count, when = children
        ago = when if isinstance(when, n.Duration) else None
        at = None if ago is not None else when
        activity = n.TestActivity(str(name), props or (), count or 1, ago, at, span=_span(meta))
        return ("activity", activity, _span(meta))

    def activity_props(self, meta, children):
        return tuple(c for c in children if c is not None)

    def count(self, meta, children):
        return _whole(children[0], "the number of times")

    def ago(self, meta, children):
        return self.duration(meta, children)

    def at_time(self, meta, children):
        return _test_value(_date_literal(children[0]))

    def _expect(kind):  # noqa: N805
        def build(self, meta, children):
            token = children[-1]  # `expect no hit` keeps the NO token before it
            value = unquote(token) if token.type == "STRING" else str(token)
            return ("expect", n.Expect(kind, value, span=_span(meta)), _span(meta))

        return build

    expect_stage = _expect("stage")
    expect_change = _expect("change")
    expect_grade = _expect("grade")
    expect_hit = _expect("hit")
    expect_no_hit = _expect("no_hit")

    def _expect_score(kind):  # noqa: N805
        def build(self, meta, children):
            op, value = children
            return ("expect", n.Expect(kind, value, str(op), span=_span(meta)), _span(meta))

        return build

    expect_engagement = _expect_score("engagement")
    expect_fit = _expect_score("fit")

    def signed(self, meta, children):
        sign = children[0] if len(children) == 2 and children[0] is not None else None
        value = _finite(children[-1])
        return -value if sign else value


def _flatten(kind, children) -> tuple:
    out: list = []
    for child in children:
        if isinstance(child, kind):
            out.extend(child.operands)
        else:
            out.append(child)
    return tuple(out)


def _test_value(node) -> n.TestValue:
    if isinstance(node, n.TestValue):
        return node
    if isinstance(node, n.Number):
        return n.TestValue("number", node.value, text=node.text, span=node.span)
    if isinstance(node, n.String):
        return n.TestValue("string", node.value, span=node.span)
    if isinstance(node, n.Bool):
        return n.TestValue("bool", node.value, span=node.span)
    if isinstance(node, n.DateLit):
        return n.TestValue("timestamp" if node.has_time else "date", node.micros, text=node.text, span=node.span)
    raise TypeError(f"not a test value: {node!r}")


# ---------------------------------------------------------------- syntax errors

_FRIENDLY = {
    "IDENT": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "DATE": "a date",
    "TIMESTAMP": "a timestamp",
    "UNIT": "a unit (hours, days, weeks)",
    "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "$END": "the end of the file",
}


def _describe_terminal(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    try:
        pattern = lark_parser().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"




# What a name directly inside `KEYWORD {` declares (for `reserved-name`).
_DECLARED_IN = {"fields": "field", "activities": "activity", "stages": "stage", "fit": "group", "grades": "grade"}
# After these, a name would be an operand: a value is what is missing.
_OPERATORS = frozenset(
    "= != < <= > >= + - * ( , and or not in when where with contains is of since at least".split()
)


def _open_bracket(stack: list, end: int) -> tuple[int, Optional[str]]:
    """The innermost unclosed `{` or `(` on the parser's stack before `end`, and the word before it.
    Closed brackets have been reduced into subtrees by then, so a bracket token left there is open."""
    for index in range(end - 1, -1, -1):
        item = stack[index]
        if isinstance(item, Token) and item in ("{", "("):
            before = stack[index - 1] if index else None
            return index, str(before) if isinstance(before, Token) else None
    return -1, None


def _declared_here(stack: list) -> Optional[str]:
    """What a name at this point of a declaration would declare, or None (an operand, a reference)."""
    previous = str(stack[-1]) if stack and isinstance(stack[-1], Token) else None
    index, keyword = _open_bracket(stack, len(stack))
    if index < 0:
        return None
    if stack[index] == "(":
        if previous not in ("(", ","):
            return None
        if keyword == "of" and index >= 2 and stack[index - 2] == "one":
            return "enum member"
        outer, outer_keyword = _open_bracket(stack, index)
        return "property" if outer >= 0 and stack[outer] == "{" and outer_keyword == "activities" else None
    if previous in _OPERATORS:
        return None
    return _DECLARED_IN.get(keyword or "")


def _reserved_word_diagnostic(error: UnexpectedToken, path: str) -> Diagnostic:
    token = error.token
    word = str(token)
    span = Span.from_token(token)
    stack = list(getattr(getattr(error.interactive_parser, "parser_state", None), "value_stack", None) or [])
    what = _declared_here(stack)
    if what == "enum member":
        return Diagnostic(
            "reserved-name",
            "error",
            f"`{word}` is a word of the language and cannot be an enum member as it stands",
            span,
            f'write the member as a string: `"{word}"`',
            path,
        )
    if what is not None:
        suffix = "stage" if what == "stage" else "value"
        return Diagnostic(
            "reserved-name",
            "error",
            f"`{word}` is a word of the language and cannot name a {what}",
            span,
            f"choose another name, such as `{word}_{suffix}`",
            path,
        )
    previous = stack[-1] if stack else None
    value = "NUMBER" in error.expected
    wanted = "a value" if value else "a name"
    message = f"expected {wanted} after `{previous}`" if isinstance(previous, Token) else f"unexpected `{word}`"
    example = "a number, a string, a field or a score" if value else "a name that is not a word of the language"
    return Diagnostic(
        "syntax-error",
        "error",
        message,
        span,
        f"`{word}` is a word of the language, never a name: write {example} here",
        path,
    )


def _syntax_diagnostic(error: UnexpectedInput, text: str, path: str) -> Diagnostic:
    from leadpolicy.syntax.hints import hint_for  # only on the error path

    hint = hint_for(error, text)
    if hint is not None:
        return Diagnostic("syntax-error", "error", hint.message, hint.span, hint.help, path)
    if (
        isinstance(error, UnexpectedToken)
        and error.token.type != "$END"
        and str(error.token) in RESERVED_WORDS
        and "IDENT" in (error.expected or ())
    ):
        return _reserved_word_diagnostic(error, path)
    line, column = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        span = Span(line, column, line, column + 1, error.pos_in_stream, error.pos_in_stream + 1)
        if char == '"':
            return Diagnostic(
                "syntax-error",
                "error",
                "this string is not closed",
                span,
                'end the string with `"` on the same line; write `\\"` for a quote inside it',
                path,
            )
        return Diagnostic("syntax-error", "error", f"unexpected character `{char}`", span, _expected_help(error), path)
    if isinstance(error, UnexpectedEOF):
        return Diagnostic("syntax-error", "error", "unexpected end of file", _end_span(text), _expected_help(error), path)
    token = error.token if isinstance(error, UnexpectedToken) else None
    if token is not None and token.type != "$END":
        span = Span.from_token(token)
        message = f"unexpected {_describe_token(token)}"
    else:
        span = _end_span(text)
        message = "unexpected end of file"
    return Diagnostic("syntax-error", "error", message, span, _expected_help(error), path)


def _end_span(text: str) -> Span:
    """Just past the last character that is not white space."""
    end = len(text.rstrip())
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(line, column, line, column + 1, end, end + 1)


def _expected_help(error: UnexpectedInput) -> Optional[str]:
    names = getattr(error, "expected", None) or getattr(error, "allowed", None) or ()
    expected = sorted({_describe_terminal(t) for t in names if not t.startswith("__")})
    if not expected:
        return None
    if len(expected) > 8:
        expected = expected[:8] + ["..."]
    return "expected " + ", ".join(expected)


# ---------------------------------------------------------------- the front door


def parse(text: str, path: str = "<memory>") -> n.Policy:
    """Parse a policy file. Raises PolicyError with a syntax diagnostic."""
    return _parse(text, path, "start")


def parse_tests(text: str, path: str = "<memory>") -> tuple[n.TestBlock, ...]:
    """Parse a sibling `.tests` file: only test blocks."""
    blocks = _parse(text, path, "tests_file")
    return tuple(block.items[0] for block in blocks)


MAX_NESTING = 64  # conditions and arithmetic nested deeper than this are refused
MAX_PARSE_DEPTH = 2_000  # Lark tree levels (a long `or` chain is deep there, flat in the AST)


_CHAINS = frozenset({"or_", "and_"})


def _flatten_chains(tree: Tree) -> None:
    """Make each `a or b or c ...` (and each `and` chain) one node with every operand
    as a child, in place. LALR builds such a chain as a left spine one level per
    operator, so a 50,000-member list of `or`ed tests would otherwise be 50,000
    levels deep. Iterative, and linear in the size of the tree."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if node.data in _CHAINS:
            operands: list = []
            current = node
            while isinstance(current, Tree) and current.data == node.data:
                operands.extend(reversed(current.children[1:]))
                current = current.children[0]
            operands.append(current)
            operands.reverse()
            node.children = operands
        stack.extend(child for child in node.children if isinstance(child, Tree))


def _too_deep(tree: Tree) -> Optional[Tree]:
    """The first subtree nested deeper than the back ends promise to handle, or None.
    Iterative, so that a hostile input cannot exhaust the stack here."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_PARSE_DEPTH:
            return node
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return None


def _expression_depth(node: n.Node) -> tuple[int, Optional[n.Node]]:
    """How deep expressions nest (And/Or chains are flat), and the deepest node."""
    deepest, where = 0, None
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        depth += isinstance(current, n.Expr)
        if depth > deepest:
            deepest, where = depth, current
        stack.extend((child, depth) for child in current.children())
    return deepest, where


def _nesting_error(span: Optional[Span], path: str, text: str, message: str) -> PolicyError:
    return PolicyError(
        [
            Diagnostic(
                "too-deep",
                "error",
                message,
                span,
                "split it: give parts of it their own rules or stages",
                path,
            )
        ],
        text,
    )


# A lone surrogate (text decoded from JSON, or with surrogateescape) is no
# character at all: it cannot even be written out as UTF-8.
_BAD_CHARACTER = re.compile("[\ud800-\udfff]")


def _bad_character(text: str, path: str) -> Optional[PolicyError]:
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    offset = found.start()
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    what = f"a lone surrogate U+{ord(found.group()):04X}"
    span = Span(line, column, line, column + 1, offset, offset + 1)
    return PolicyError(
        [Diagnostic("bad-character", "error", f"the text holds {what}, which a policy cannot contain", span,
                    "remove it or retype the text around it; policy files are UTF-8 text", path)],
        text,
    )


def _parse(text: str, path: str, start: str):
    bad = _bad_character(text, path)
    if bad is not None:
        raise bad
    try:
        tree = lark_parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise PolicyError([_syntax_diagnostic(error, text, path)], text) from None
    _flatten_chains(tree)
    deep = _too_deep(tree)
    if deep is not None:
        raise _nesting_error(_span(deep.meta), path, text, "this condition is too long or nested too deeply to read")
    try:
        result = _Builder().transform(tree)  # non-recursive: the process recursion limit is never touched
    except Exception as error:  # VisitError wraps what the callbacks raised
        original = getattr(error, "orig_exc", error)
        if isinstance(original, _Failed):
            code, message, span, help_ = original.diagnostic
            raise PolicyError([Diagnostic(code, "error", message, span, help_, path)], text) from None
        raise
    depth, deepest = _expression_depth(result if isinstance(result, n.Node) else n.Block("tests", result))
    if depth > MAX_NESTING:
        raise _nesting_error(deepest.span, path, text, f"this condition nests more than {MAX_NESTING} levels deep")
    if isinstance(result, n.Policy):
        from dataclasses import replace

        result = replace(result, path=path)
    return result
