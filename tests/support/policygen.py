"""Random valid policies, for hypothesis.

    from support.policygen import policies, policies_and_tests, examples

    @examples()
    @given(policies())
    def test_something(text): ...

`policies()` draws the text of a whole policy that parses and checks without
errors (warnings may remain): fields of every type, activities with and
without properties, stages whose conditions use and/or/not, comparisons,
`in`/`not in`, text tests, `is missing`/`is present`, `did`/`no` with
`where`, `at least N times` and `within`, `at least N of`, `days since`,
arithmetic and parentheses; engagement rules with `where`/`within`/`max`,
decay, fit rules in and out of groups, grades with `otherwise`, demotions,
disqualifications, and test blocks with every kind of item. Blocks come in a
random order. `policies_and_tests()` draws the same, with the test blocks in a
separate `.tests` text.

Names are unique by construction (a counter suffix), and identifiers are
never reserved words. Nothing here depends on the formatter, the compiler or
the interpreter; only `hypothesis`.

`examples()` is the shared `settings`: `LEADPOLICY_EXAMPLES` (default 300)
examples, no deadline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Optional

from hypothesis import HealthCheck, settings, strategies as st

from leadpolicy.syntax.diagnostics import TEXT_DIRECTION_CHARACTERS

__all__ = ["policies", "policies_and_tests", "examples", "EXAMPLES"]

EXAMPLES = int(os.environ.get("LEADPOLICY_EXAMPLES", "300"))


def examples(**overrides) -> settings:
    """The settings for properties over generated policies."""
    options = dict(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    options.update(overrides)
    return settings(**options)


# ---------------------------------------------------------------- vocabulary

FIELD_WORDS = ["budget", "email", "tier", "region", "seats", "revenue", "title", "status", "signup", "paying", "score_"]
ACTIVITY_WORDS = ["page_view", "form_submit", "webinar", "call", "download", "trial", "meeting", "reply"]
PROP_WORDS = ["path", "form", "minutes", "topic", "amount", "kind", "seen", "stamp", "count_"]
STAGE_WORDS = ["lead", "mql", "sal", "sql", "pql", "opp", "won"]
MEMBER_WORDS = ["red", "green", "blue", "gold", "silver", "open", "closed", "small", "large", "x_"]
GROUP_WORDS = ["budget_grp", "authority", "need", "timeline", "company", "persona"]
LETTERS = ["A", "B", "C", "D", "E", "hot", "warm", "cold", "tepid"]
QUOTED_MEMBERS = ["Closed Won", "no", "text", "Tier 1", 'say "hi"', "back\\slash", "#1 pick", "and"]
PHRASES = [
    "Read a blog post",
    "Visited pricing",
    "Decision maker",
    "Went quiet",
    "Competitor",
    'The "big" one',
    "Back\\slash rule",
    "Tag #7 # not a comment",
    "Café visit",
    "",
]
CHANGES = ["new", "unchanged", "promoted", "demoted", "disqualified", "requalified"]
TYPES = ["text", "number", "boolean", "date", "enum"]

# Expression precedence, loosest first.
OR, AND, NOT, PRED, SUM, PROD, UNARY, ATOM = range(1, 9)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------- expressions


@dataclass
class E:
    """A generated expression: its tokens, its precedence level, and whether it
    ends in an open `did X where ...` that would swallow what follows."""

    tokens: list[str]
    level: int
    open: bool = False


def _wrap(e: E) -> E:
    return E(["("] + e.tokens + [")"], ATOM)


def _at(e: E, level: int, closed: bool = False) -> list[str]:
    """The tokens of `e` where a level of at least `level` is needed."""
    if e.level < level or (closed and e.open):
        return _wrap(e).tokens
    return e.tokens


@dataclass
class Field:
    name: str
    type: str  # text number boolean date enum
    members: tuple[str, ...] = ()


@dataclass
class Activity:
    name: str
    props: list[Field] = field(default_factory=list)


@dataclass
class Context:
    kind: str  # "stage", "fit", "grade", "rule", "where"
    names: list[Field]  # the fields, or the activity's properties in `where`
    stages: list[str] = field(default_factory=list)  # stage names it may use
    did: bool = False
    scores: bool = False
    grade: bool = False


class _Gen:
    def __init__(self, draw: Callable, lossless: bool = False):
        self.draw = draw
        self.lossless = lossless
        self.counter = 0
        self.fields: list[Field] = []
        self.activities: list[Activity] = []
        self.stages: list[str] = []
        self.letters: list[str] = []
        self.rule_names: list[str] = []

    # -- small things

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.floats(0, 1)) < p

    def upto(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def name(self, words) -> str:
        self.counter += 1
        return f"{self.pick(words)}{self.counter}"

    def text(self) -> str:
        alphabet = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\n\r\u2028\u2029\x85" + TEXT_DIRECTION_CHARACTERS)
        return self.draw(st.one_of(st.sampled_from(PHRASES), st.text(alphabet, max_size=12)))

    def rule_name(self) -> str:
        self.counter += 1
        name = f"{self.text()} {self.counter}".strip()
        self.rule_names.append(name)
        return name

    def number(self, positive: bool = False, whole: bool = False) -> str:
        value = self.draw(
            st.one_of(
                st.sampled_from(["1", "2", "3", "10", "25", "60", "100", "10_000", "1_000_000"]),
                st.integers(1 if positive else 0, 5000).map(str),
            )
        )
        if not whole and self.chance(0.2):
            value += "." + self.pick(["5", "25", "0", "1_5"])
        return value

    def date(self) -> str:
        day = f"20{self.upto(20, 30)}-{self.upto(1, 12):02d}-{self.upto(1, 28):02d}"
        if self.chance(0.3):
            zone = self.pick(["Z", "", "+02:00", "-05:30"])
            seconds = self.pick([":00", ":30.5", ""])
            return f"{day}T{self.upto(0, 23):02d}:{self.upto(0, 59):02d}{seconds}{zone}"
        return day

    def duration(self) -> list[str]:
        amount = self.number(positive=True)
        if float(amount.replace("_", "")) == 0:
            amount = "1"
        unit = self.pick(["hour", "hours", "day", "days", "week", "weeks"])
        if float(amount.replace("_", "")) * {"h": 1 / 24, "d": 1, "w": 7}[unit[0]] > 1_000_000:
            amount = "30"  # the parser refuses durations beyond 1,000,000 days
        if self.lossless:
            unit = unit.rstrip("s") + ("" if float(amount.replace("_", "")) == 1 else "s")
        return [amount, unit]

    def type_tokens(self, f: Field) -> list[str]:
        if f.type != "enum":
            return [f.type]
        members = []
        for i, m in enumerate(f.members):
            if i:
                members.append(",")
            members.append(m if m.isidentifier() and m in self._ident_members(f) else _quote(m))
        return ["one", "of", "("] + members + [")"]

    def new_field(self, words) -> Field:
        kind = self.pick(TYPES)
        name = self.name(words)
        if kind != "enum":
            return Field(name, kind)
        count = self.upto(1, 4)
        members: list[str] = []
        for _ in range(count):
            if self.chance(0.25):
                m = self.pick(QUOTED_MEMBERS)
            else:
                m = self.name(MEMBER_WORDS)
            if m.lower() not in {x.lower() for x in members}:
                members.append(m)
        return Field(name, "enum", tuple(members))

    def _ident_members(self, f: Field) -> set[str]:
        return {m for m in f.members if m.isidentifier() and m not in QUOTED_MEMBERS}

    def member(self, f: Field) -> str:
        m = self.pick(list(f.members))
        if m in self._ident_members(f) and self.chance(0.8):
            return m
        return _quote(m)

    # -- values

    def literal(self, kind: str, f: Optional[Field] = None) -> E:
        if kind == "number":
            return E([self.number()], ATOM)
        if kind == "text":
            return E([_quote(self.text())], ATOM)
        if kind == "date":
            return E([self.date()], ATOM)
        if kind == "boolean":
            return E([self.pick(["true", "false"])], ATOM)
        return E([self.member(f)], ATOM)

    def named(self, ctx: Context, kind: str) -> list[Field]:
        return [f for f in ctx.names if f.type == kind]

    def number_value(self, ctx: Context, depth: int) -> E:
        options = ["literal"]
        if self.named(ctx, "number"):
            options += ["name", "name"]
        if ctx.scores:
            options.append("score")
        if ctx.kind != "where" and self.named(ctx, "date"):
            options.append("days")
        if depth > 0:
            options += ["arith", "neg", "paren"]
        choice = self.pick(options)
        if choice == "literal":
            return self.literal("number")
        if choice == "name":
            return E([self.pick(self.named(ctx, "number")).name], ATOM)
        if choice == "score":
            return E([self.pick(["engagement", "fit"])], ATOM)
        if choice == "days":
            return E(["days", "since", self.pick(self.named(ctx, "date")).name], ATOM)
        if choice == "neg":
            operand = self.number_value(ctx, depth - 1)
            return E(["-"] + _at(operand, UNARY), UNARY)
        if choice == "paren":
            return _wrap(self.number_value(ctx, depth - 1))
        op = self.pick(["+", "-", "*"])
        left, right = self.number_value(ctx, depth - 1), self.number_value(ctx, depth - 1)
        if op == "*":
            return E(_at(left, PROD) + ["*"] + _at(right, UNARY), PROD)
        return E(_at(left, SUM) + [op] + _at(right, PROD), SUM)

    def value_of(self, ctx: Context, f: Field) -> E:
        e = E([f.name], ATOM)
        return _wrap(e) if self.chance(0.1) else e

    # -- conditions

    def cond(self, ctx: Context, depth: int) -> E:
        options = ["compare", "compare", "in", "text", "missing", "bool", "literal_compare"]
        if ctx.stages:
            options.append("stage")
        if ctx.did and self.activities:
            options += ["did", "did"]
        if ctx.grade and self.letters:
            options.append("grade")
        if depth > 0:
            options += ["and", "or", "not", "paren", "at_least", "and", "or"]
        choice = self.pick(options)
        make = getattr(self, "c_" + choice)
        e = make(ctx, depth)
        if e is None:
            e = self.c_literal_compare(ctx, depth)
        return e

    def c_literal_compare(self, ctx: Context, depth: int) -> E:
        left, right = self.number_value(ctx, min(depth, 1)), self.number_value(ctx, min(depth, 1))
        return E(_at(left, SUM) + [self.pick(["=", "!=", "<", "<=", ">", ">="])] + _at(right, SUM), PRED)

    def c_compare(self, ctx: Context, depth: int) -> Optional[E]:
        if not ctx.names:
            return None
        f = self.pick(ctx.names)
        if f.type == "number":
            return self.c_literal_compare(Context(ctx.kind, [f], did=False, scores=ctx.scores), depth)
        if f.type in ("text", "boolean"):
            op = self.pick(["=", "!="])
        else:
            op = self.pick(["=", "!=", "<", "<=", ">", ">="])
        left, right = self.value_of(ctx, f), self.literal(f.type, f)
        if self.chance(0.3):
            left, right = right, left
        return E(left.tokens + [op] + right.tokens, PRED)

    def c_in(self, ctx: Context, depth: int) -> Optional[E]:
        if not ctx.names:
            return None
        f = self.pick(ctx.names)
        items: list[str] = []
        for i in range(self.upto(1, 4)):
            if i:
                items.append(",")
            if f.type == "number" and self.chance(0.3):
                items += ["-", self.number()]
            else:
                items += self.literal(f.type, f).tokens
        negated = ["not"] if self.chance(0.4) else []
        return E(self.value_of(ctx, f).tokens + negated + ["in", "("] + items + [")"], PRED)

    def c_text(self, ctx: Context, depth: int) -> Optional[E]:
        texts = self.named(ctx, "text")
        if not texts:
            return None
        op = self.pick([["starts", "with"], ["ends", "with"], ["contains"]])
        left, right = self.value_of(ctx, self.pick(texts)), self.literal("text")
        if self.chance(0.2):
            left, right = right, left
        return E(left.tokens + op + right.tokens, PRED)

    def c_missing(self, ctx: Context, depth: int) -> Optional[E]:
        if ctx.names and self.chance(0.8):
            operand = self.value_of(ctx, self.pick(ctx.names))
        else:
            operand = self.number_value(ctx, min(depth, 1))
        return E(_at(operand, SUM) + ["is", self.pick(["missing", "present"])], PRED)

    def c_bool(self, ctx: Context, depth: int) -> Optional[E]:
        flags = self.named(ctx, "boolean")
        if not flags:
            return None
        return E([self.pick(flags).name], ATOM)

    def c_stage(self, ctx: Context, depth: int) -> E:
        return E([self.pick(ctx.stages)], ATOM)

    def c_grade(self, ctx: Context, depth: int) -> E:
        if self.chance(0.5):
            return E(["grade", self.pick(["=", "!="]), self.pick(self.letters)], PRED)
        items: list[str] = []
        for i in range(self.upto(1, 3)):
            items += ([","] if i else []) + [self.pick(self.letters)]
        return E(["grade"] + (["not"] if self.chance(0.3) else []) + ["in", "("] + items + [")"], PRED)

    def c_did(self, ctx: Context, depth: int) -> E:
        negated = self.chance(0.35)
        any_activity = self.chance(0.15)
        activity = None if any_activity else self.pick(self.activities)
        tokens = ["no" if negated else "did", "activity" if any_activity else activity.name]
        where = False
        if activity is not None and activity.props and self.chance(0.6):
            where_ctx = Context("where", activity.props)
            tokens += ["where"] + self.filter(where_ctx, min(depth, 2)).tokens
            where = True
        times = not negated and self.chance(0.3)
        if times:
            tokens += ["at", "least", str(self.upto(2 if self.lossless else 1, 5)), "times"]
        within = self.chance(0.5)
        if within:
            tokens += ["within"] + self.duration()
        return E(tokens, PRED, open=where and not times and not within)

    def filter(self, ctx: Context, depth: int) -> E:
        """A `where` condition: no `did`, names are properties."""
        return self.cond(ctx, depth)

    def c_and(self, ctx: Context, depth: int) -> E:
        return self._chain(ctx, depth, "and", AND, NOT)

    def c_or(self, ctx: Context, depth: int) -> E:
        return self._chain(ctx, depth, "or", OR, AND)

    def _chain(self, ctx: Context, depth: int, op: str, level: int, operand_level: int) -> E:
        parts = [self.cond(ctx, depth - 1) for _ in range(self.upto(2, 3))]
        tokens: list[str] = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if i:
                tokens.append(op)
            tokens += _at(part, operand_level, closed=not last)
        return E(tokens, level, open=parts[-1].open and parts[-1].level >= operand_level)

    def c_not(self, ctx: Context, depth: int) -> E:
        operand = self.cond(ctx, depth - 1)
        tokens = _at(operand, NOT)
        return E(["not"] + tokens, NOT, open=operand.open and operand.level >= NOT)

    def c_paren(self, ctx: Context, depth: int) -> E:
        return _wrap(self.cond(ctx, depth - 1))

    def c_at_least(self, ctx: Context, depth: int) -> E:
        items = [self.cond(ctx, depth - 1) for _ in range(self.upto(1, 3))]
        tokens = ["at", "least", str(self.upto(1, len(items))), "of", "("]
        for i, item in enumerate(items):
            tokens += ([","] if i else []) + item.tokens
        return E(tokens + [")"], PRED)

    def condition(self, ctx: Context) -> list[str]:
        return self.cond(ctx, self.upto(0, 3)).tokens

    # -- blocks

    def fields_block(self) -> list[list[str]]:
        lines = []
        for _ in range(self.upto(1, 6)):
            f = self.new_field(FIELD_WORDS)
            self.fields.append(f)
            desc = [_quote(self.text())] if self.chance(0.5) else []
            lines.append([f.name] + self.type_tokens(f) + desc)
        return lines

    def activities_block(self) -> list[list[str]]:
        lines = []
        for _ in range(self.upto(1, 4)):
            a = Activity(self.name(ACTIVITY_WORDS))
            for _ in range(self.upto(0, 3)):
                a.props.append(self.new_field(PROP_WORDS))
            self.activities.append(a)
            line = [a.name]
            if a.props:
                line.append("(")
                for i, p in enumerate(a.props):
                    line += ([","] if i else []) + [p.name] + self.type_tokens(p)
                line.append(")")
            if self.chance(0.4):
                line.append(_quote(self.text()))
            lines.append(line)
        return lines

    def stage_names(self) -> None:
        self.stages = [self.name(STAGE_WORDS) for _ in range(self.upto(1, 4))]

    def stages_block(self) -> list[list[str]]:
        lines = []
        for i, name in enumerate(self.stages):
            line = [name]
            if self.chance(0.5):
                line.append(_quote(self.text()))
            if i > 0:
                ctx = Context("stage", self.fields, self.stages[:i], did=True, scores=True, grade=bool(self.letters))
                line += ["when"] + self.condition(ctx)
            lines.append(line)
        return lines

    def engagement_block(self) -> list[list[str]]:
        lines = []
        rules = [] if not self.activities else [None] * self.upto(0, 4)
        decay_at = self.upto(0, len(rules)) if self.chance(0.5) else None
        for i in range(len(rules) + 1):
            if i == decay_at:
                lines.append(["decay", self.pick(["50", "10", "100", "2.5", "1_0"]), "%", "every"] + self.duration())
            if i == len(rules):
                break
            activity = self.pick(self.activities)
            line = [_quote(self.rule_name()), ":"] + self.points() + ["per", activity.name]
            if activity.props and self.chance(0.6):
                line += ["where"] + self.filter(Context("where", activity.props), self.upto(0, 2)).tokens
            if self.chance(0.5):
                line += ["within"] + self.duration()
            if self.chance(0.5):
                line += ["max", self.number(positive=True)]
            lines.append(line)
        return lines

    def points(self) -> list[str]:
        sign = self.pick(["+", "-", ""])
        number = self.number()
        return ([sign] if sign else []) + [number]

    def fit_rule(self) -> list[str]:
        ctx = Context("fit", self.fields)
        return [_quote(self.rule_name()), ":"] + self.points() + ["when"] + self.condition(ctx)

    def fit_block(self) -> list:
        items: list = []
        groups = set()
        for _ in range(self.upto(0, 5)):
            if self.chance(0.4):
                name = self.name(GROUP_WORDS)
                groups.add(name)
                items.append((name, [self.fit_rule() for _ in range(self.upto(0, 3))]))
            else:
                items.append(self.fit_rule())
        return items

    def letters_for_grades(self) -> None:
        self.letters = self.draw(st.lists(st.sampled_from(LETTERS), min_size=1, max_size=4, unique=True))

    def grades_block(self) -> list[list[str]]:
        lines = []
        otherwise = self.chance(0.6)
        for i, letter in enumerate(self.letters):
            if otherwise and i == len(self.letters) - 1:
                lines.append([letter, "otherwise"])
            else:
                ctx = Context("grade", self.fields, did=True, scores=True)
                lines.append([letter, "when"] + self.condition(ctx))
        return lines

    def demote_block(self) -> list[list[str]]:
        lines = []
        if len(self.stages) < 2:
            return lines
        for _ in range(self.upto(0, 3)):
            high = self.upto(1, len(self.stages) - 1)
            low = self.upto(0, high - 1)
            ctx = Context("rule", self.fields, self.stages, did=True, scores=True, grade=bool(self.letters))
            lines.append([_quote(self.rule_name()), ":", self.stages[high], "->", self.stages[low], "when"] + self.condition(ctx))
        return lines

    def disqualify_block(self) -> list[list[str]]:
        lines = []
        for _ in range(self.upto(0, 3)):
            ctx = Context("rule", self.fields, self.stages, did=True, scores=True, grade=bool(self.letters))
            lines.append([_quote(self.rule_name()), ":", "when"] + self.condition(ctx))
        return lines

    def test_value(self, f: Field) -> list[str]:
        if f.type == "number" and self.chance(0.2):
            return ["-", self.number()]
        if f.type == "enum":
            m = self.pick(list(f.members))
            return [m] if m in self._ident_members(f) and self.chance(0.7) else [_quote(m)]
        return self.literal(f.type).tokens

    def pairs(self, names: list[Field], open_: str, close: str) -> list[str]:
        least = 1 if self.lossless else 0
        chosen = self.draw(st.lists(st.sampled_from(names), unique_by=lambda f: f.name, min_size=least, max_size=4))
        tokens = [open_]
        for i, f in enumerate(chosen):
            tokens += ([","] if i else []) + [f.name, ":"] + self.test_value(f)
        if chosen and not self.lossless and self.chance(0.2):
            tokens.append(",")
        return tokens + [close]

    def test_block(self) -> list[list[str]]:
        items: list[list[str]] = []
        kinds = self.draw(st.lists(st.sampled_from(["as_of", "previous", "fields", "activity", "expect"]), max_size=7))
        if self.lossless:  # `as of` and `previous stage` at most once, no `fields` right after `fields`
            kinds = [k for i, k in enumerate(kinds) if k not in ("as_of", "previous") or k not in kinds[:i]]
        for kind in kinds:
            if kind == "as_of":
                items.append(["as", "of", self.date()])
            elif kind == "previous":
                items.append(["previous", "stage", self.pick(self.stages + ["disqualified"])])
            elif kind == "fields":
                if self.lossless and items and items[-1][0] == "fields":
                    continue
                items.append(["fields"] + self.pairs(self.fields, "{", "}"))
            elif kind == "activity" and self.activities:
                a = self.pick(self.activities)
                line = ["activity", a.name]
                if a.props and self.chance(0.7):
                    line += self.pairs(a.props, "(", ")")
                if self.chance(0.3):
                    line += [str(self.upto(2 if self.lossless else 1, 4)), "times"]
                if self.chance(0.7):
                    line += self.duration() + ["ago"]
                else:
                    line += ["at", self.date()]
                items.append(line)
            elif kind == "expect":
                items.append(self.expectation())
        return items

    def expectation(self) -> list[str]:
        options = ["stage", "change", "engagement", "fit"]
        if self.letters:
            options.append("grade")
        if self.rule_names:
            options += ["hit", "no_hit"]
        kind = self.pick(options)
        if kind == "stage":
            return ["expect", "stage", self.pick(self.stages + ["disqualified"])]
        if kind == "change":
            return ["expect", "change", self.pick(CHANGES)]
        if kind == "grade":
            return ["expect", "grade", self.pick(self.letters)]
        if kind in ("engagement", "fit"):
            sign = ["-"] if self.chance(0.2) else []
            return ["expect", kind, self.pick(["=", "!=", "<", "<=", ">", ">="])] + sign + [self.number()]
        words = ["expect", "hit"] if kind == "hit" else ["expect", "no", "hit"]
        return words + [_quote(self.pick(self.rule_names))]


# ---------------------------------------------------------------- text


def _line(tokens: list[str]) -> str:
    out = ""
    for i, tok in enumerate(tokens):
        glue = i == 0 or tok in (",", ")", ":", "%") or tokens[i - 1] in ("(",)
        out += ("" if glue else " ") + tok
    return out


def _block(head: str, lines: list, indent: str = "") -> str:
    body = []
    for line in lines:
        if isinstance(line, tuple):  # a fit group
            name, rules = line
            body.append(_block(name, rules, indent + "  "))
        else:
            body.append(indent + "  " + _line(line))
    return indent + head + " {\n" + "".join(b + "\n" for b in body) + indent + "}"


def _draw_blocks(draw, lossless: bool = False) -> tuple[str, list[str], list[str]]:
    """The header, the other blocks, and the test blocks, as text."""
    g = _Gen(draw, lossless)
    header = [f"policy {_quote(g.text())} version {_quote(g.text())}"]
    for _ in range(g.upto(0, 2)):
        header.append(f"owner {g.pick(['marketing', 'sales', 'revops'])} {_quote(g.text())}")
    present = draw(st.sets(st.sampled_from(["fields", "activities", "engagement", "fit", "grades", "demote", "disqualify"])))
    present.add("fields")  # conditions need something to talk about
    g.stage_names()
    if "grades" in present:
        g.letters_for_grades()
    made: dict[str, str] = {}
    made["fields"] = _block("fields", g.fields_block())
    if "activities" in present:
        made["activities"] = _block("activities", g.activities_block())
    made["stages"] = _block("stages", g.stages_block())
    if "engagement" in present:
        made["engagement"] = _block("engagement", g.engagement_block())
    if "fit" in present:
        made["fit"] = _block("fit", g.fit_block())
    if "grades" in present:
        made["grades"] = _block("grades", g.grades_block())
    if "demote" in present:
        made["demote"] = _block("demote", g.demote_block())
    if "disqualify" in present:
        made["disqualify"] = _block("disqualify", g.disqualify_block())
    order = draw(st.permutations(sorted(made)))
    tests = [_block(f"test {_quote(g.text())}", g.test_block()) for _ in range(g.upto(0, 2))]
    return "\n".join(header), [made[k] for k in order], tests


@st.composite
def policies(draw, lossless: bool = False) -> str:
    """The text of a valid policy using random constructs, test blocks included.

    With `lossless=True`, nothing is written that has a shorter equivalent
    (which `fmt` would drop or respell): no repeated `as of` or `previous
    stage` in a test (the last one counts), no `fields {}` right after
    another (they join), no empty `fields {}` or `()`, no trailing comma, no
    `1 times`, and units agree with their amount."""
    header, blocks, tests = _draw_blocks(draw, lossless)
    everything = list(blocks)
    for test in tests:
        everything.insert(draw(st.integers(0, len(everything))), test)
    return header + "\n\n" + "\n\n".join(everything) + "\n"


@st.composite
def policies_and_tests(draw) -> tuple[str, str]:
    """(policy text without tests, the text of its sibling `.tests` file)."""
    header, blocks, tests = _draw_blocks(draw)
    return header + "\n\n" + "\n\n".join(blocks) + "\n", "\n\n".join(tests) + ("\n" if tests else "")
