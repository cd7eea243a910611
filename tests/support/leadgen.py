"""Hypothesis strategies for differential testing: random policies and messy leads.

    policy_texts()   a strategy of policy source text, built from a typed
                     expression generator so that it always parses and checks
                     without errors; it mixes every construct of LANGUAGE.md
    leads_for(tree)  a strategy of leads for a checked (resolved) policy tree:
                     dicts of the keyword arguments of `evaluate` (fields,
                     activities, as_of, previous_stage, lead_id), written the
                     way CRM exports write them, with values and activity times
                     placed on and around the policy's own literals, windows
                     and decay periods

Both are deterministic functions of Hypothesis' choices, so failures shrink.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from hypothesis import strategies as st

from leadpolicy.check.checker import RESERVED
from leadpolicy.syntax import nodes
from leadpolicy.syntax.diagnostics import TEXT_DIRECTION_CHARACTERS

__all__ = ["policy_texts", "leads_for", "quote", "AS_OF"]

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 22, tzinfo=UTC)
MICROS_PER_DAY = 86_400_000_000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Precedence of the language's conditions, loosest first (LANGUAGE.md section 5).
OR, AND, NOT, CMP, ADD, MUL, UNARY, ATOM = range(1, 9)


def quote(value: str) -> str:
    """A string literal of the language (only \\" and \\\\ are escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _micros(moment: dt.datetime) -> int:
    return (moment - EPOCH) // dt.timedelta(microseconds=1)


def _moment(micros: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micros)


# Strategy objects are built once: Hypothesis validates each new one, which costs
# more than the draw itself.
_STRATEGIES: dict = {}


def _int(draw, low: int, high: int) -> int:
    strategy = _STRATEGIES.get((low, high))
    if strategy is None:
        strategy = _STRATEGIES[(low, high)] = st.integers(low, high)
    return draw(strategy)


def _pick(draw, options):
    """One of `options`, near uniformly, shrinking towards the first."""
    options = options if isinstance(options, (list, tuple)) else list(options)
    count = len(options)
    strategy = _STRATEGIES.get(count)
    if strategy is None:
        strategy = _STRATEGIES[count] = st.sampled_from(range(count))
    return options[draw(strategy)]


def _coin(draw) -> bool:
    return _pick(draw, (False, True))


def _shuffled(draw, items: list) -> list:
    items = list(items)
    for i in range(len(items) - 1, 0, -1):
        j = _pick(draw, range(i + 1))
        items[i], items[j] = items[j], items[i]
    return items


_POLICY_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n\r" + TEXT_DIRECTION_CHARACTERS), max_size=4)
_ANY_TEXT = st.text(max_size=6)


def _chance(draw, percent: int) -> bool:
    """True with about that probability (`st.integers` leans hard on its bounds;
    `sampled_from` is near uniform), shrinking towards False."""
    return _pick(draw, range(100)) >= 100 - percent


def _plain_ident(name: str) -> bool:
    return bool(_IDENT.fullmatch(name)) and name not in RESERVED


# ====================================================================== policies
#
# Names come from separate pools: fields, activities and stages (one namespace),
# properties, enum members, grade letters, fit groups. Members and letters never
# look like a declared name, so a bare word means one thing; a few properties
# share a field's name on purpose (inside `where` the property wins). Many look
# like the compiler's own locals or Python words, to catch clashes in generated code.

_DECL_NAMES = [
    "email", "budget", "size", "tier", "ok", "created", "score_x", "Budget2", "x", "_", "_1",
    "None", "True", "False", "lambda", "def", "class", "import", "print", "len", "float",
    "now", "values", "acts", "previous", "hits", "factor", "qualified", "kind", "rule",
    "fit_1", "eng_1", "n_1", "did_1", "is_lead", "f_x", "p_x", "read_fields", "evaluate",
    "POLICY_NAME", "_FIELDS", "self", "AND", "Not", "Days", "Fit", "STAGE", "cls", "age_",
    "lead", "mql", "sql", "MQL2", "opportunity", "customer", "page_view", "form_submit",
    "webinar", "chat", "visit", "call", "Event", "demo_req", "seniority", "industry",
]
_PROP_NAMES = ["path", "form", "minutes", "title", "p", "q", "Path2", "None", "props", "age", "value",
               "float", "x_1", "ok", "when_"]
_MEMBER_IDENTS = ["ic", "manager", "director", "vp", "cxo", "open", "won", "lost", "saas", "retail",
                  "Alpha", "beta", "GAMMA", "None_", "m_1"]
_MEMBER_STRINGS = ["Closed Won", "no", "and", "true", "10", "1", "0", "İstanbul", "Straße", "x-y",
                   "with \"quote\"", "back\\slash", "ünï", "%", "A b C"]  # a blank member is an error (blank-member)
_LETTERS = ["A", "B", "C", "D", "E", "hot", "warm", "cold", "A1", "Z_"]
_GROUPS = ["budget_g", "authority", "need", "timeline", "Champ", "meddic_x"]
_OWNER_ROLES = ["marketing", "sales", "ops", "Legal"]
# the words of the language cannot name anything
_DECL_NAMES, _PROP_NAMES, _MEMBER_IDENTS, _LETTERS, _GROUPS, _OWNER_ROLES = (
    [name for name in pool if _plain_ident(name)]
    for pool in (_DECL_NAMES, _PROP_NAMES, _MEMBER_IDENTS, _LETTERS, _GROUPS, _OWNER_ROLES))

_TEXTS = ["", "a", "A", "/blog", "/pricing", "@gmail.com", "demo", "Demo", "x y", " padded ",
          "quote\"in", "back\\slash", "ünï", "İ", "ß", "ss", "%", "1", "42", "#hash", "a,b", "{", "}",
          "\t", "Straße", "/BLOG/x"]
_HUGE = "9" * 308  # about 1e308, the largest a policy may write: sums and products overflow to inf
_NUMBERS = ["0", "1", "2", "3", "5", "10", "20", "30", "40", "60", "100", "2.5", "0.1", "0.2", "0.3",
            "10_000", "1_000_000", "007", "99999999999999999999", "0.000001", "123.456", "1.0", "0.5", _HUGE]
_POINTS = ["5", "10", "20", "2.5", "0.5", "100", "0.1", "1", "3", "0", "15", "0.3", "1_000", "0.7", _HUGE]
_MAXES = ["50", "100", "1", "0.5", "10_000", "15", "0.3", "7", _HUGE]
_PERCENTS = ["50", "100", "10", "12.5", "0.5", "99.99", "33.3", "1", "75"]
_AMOUNTS = ["1", "2", "3", "7", "14", "30", "90", "1.5", "0.5", "0.25", "365", "10_000", "0.001", "0.0000001",
            "142_857"]  # 142_857 weeks (999,999 days, the longest allowed) reach back past year 1
_UNITS = ["hour", "hours", "day", "days", "week", "weeks"]
_ZONES = ["", "Z", "+05:30", "-0800", "+00:00", "-02:00"]


@dataclass
class E:
    """An expression as text: its precedence level, and whether it ends in an open
    `did/no X where ...` (which swallows whatever follows, so may only come last)."""

    text: str
    level: int
    open: bool = False


def _wrap(e: E, level: int, may_be_open: bool = False) -> str:
    if e.level < level or (e.open and not may_be_open):
        return "(" + e.text + ")"
    return e.text


@dataclass
class _Decls:
    fields: list = field(default_factory=list)  # (name, kind, members)
    activities: list = field(default_factory=list)  # (name, [(prop, kind, members)])
    stages: list = field(default_factory=list)
    letters: list = field(default_factory=list)


@dataclass
class _Ctx:
    kind: str  # "where", "fit", "grade", "stage", "rule" (the checker's contexts)
    activity: Optional[tuple] = None  # (name, props) inside a where
    stage_index: int = 0

    @property
    def scores(self) -> bool:
        return self.kind in ("grade", "stage", "rule")

    @property
    def did(self) -> bool:
        return self.kind in ("grade", "stage", "rule")

    @property
    def grade(self) -> bool:
        return self.kind in ("stage", "rule")

    def stages(self, decls: _Decls) -> list:
        if self.kind == "stage":
            return decls.stages[: self.stage_index]
        if self.kind == "rule":
            return list(decls.stages)
        return []


def _type_key(kind: str, members: tuple):
    return ("enum", members) if kind == "enum" else kind


class _Gen:
    """Draws well-typed expressions for one policy."""

    def __init__(self, draw, decls: _Decls):
        self.draw = draw
        self.d = decls
        self.fit_conditions: list = []  # reused elsewhere: the compiler shares their locals
        self.dids: list = []  # (activity, where, within) of each `did`, to count again

    # -- small pieces

    def pick(self, options):
        return _pick(self.draw, options)

    def chance(self, percent: int) -> bool:
        return _chance(self.draw, percent)

    def refs(self, ctx: _Ctx, key) -> list:
        """Names of the fields (or, inside `where`, properties) of that type."""
        if ctx.kind == "where":
            return [p for p, kind, members in ctx.activity[1] if _type_key(kind, members) == key]
        return [f for f, kind, members in self.d.fields if _type_key(kind, members) == key]

    def types(self, ctx: _Ctx) -> list:
        found = []
        source = ctx.activity[1] if ctx.kind == "where" else self.d.fields
        for _, kind, members in source:
            key = _type_key(kind, members)
            if key not in found:
                found.append(key)
        return found

    def maybe_paren(self, e: E) -> E:
        if self.chance(8):
            return E("(" + e.text + ")", ATOM)
        return e

    def number_text(self) -> str:
        if self.chance(25):
            return str(_int(self.draw, 0, 120))
        return self.pick(_NUMBERS)

    def string_text(self) -> str:
        if self.chance(20):
            return self.draw(_POLICY_TEXT)
        return self.pick(_TEXTS)

    def date_text(self) -> str:
        day = AS_OF.date() + dt.timedelta(days=_int(self.draw, -400, 30))
        form = self.pick(["date", "date", "minutes", "seconds", "fraction"])
        if form == "date":
            return day.isoformat()
        hour, minute, second = _int(self.draw, 0, 23), _int(self.draw, 0, 59), _int(self.draw, 0, 59)
        text = f"{day.isoformat()}T{hour:02d}:{minute:02d}"
        if form in ("seconds", "fraction"):
            text += f":{second:02d}"
        if form == "fraction":
            text += "." + self.pick(["5", "000001", "123456", "999999", "25"])
        return text + self.pick(_ZONES)

    def duration_text(self) -> str:
        return f"{self.pick(_AMOUNTS)} {self.pick(_UNITS)}"

    def member_text(self, member: str) -> str:
        if _plain_ident(member) and self.chance(70):
            return member
        return quote(member)

    # -- values of a type

    def value(self, ctx: _Ctx, key, depth: int, need_ref: bool = False) -> E:
        """An expression of type `key`; with need_ref, one that is not a bare literal
        (enum members and grade letters need the other side to give their type)."""
        if key == "number":
            return self.number(ctx, depth, need_ref)
        if key == "grade":
            if need_ref or not self.d.letters or self.chance(40):
                return self.maybe_paren(E("grade", ATOM))
            return E(self.pick(self.d.letters), ATOM)
        refs = self.refs(ctx, key)
        if refs and (need_ref or self.chance(55)):
            return self.maybe_paren(E(self.pick(refs), ATOM))
        if key == "text":
            return E(quote(self.string_text()), ATOM)
        if key == "boolean":
            return E(self.pick(["true", "false"]), ATOM)
        if key == "date":
            return E(self.date_text(), ATOM)
        return E(self.member_text(self.pick(key[1])), ATOM)  # an enum member

    def number(self, ctx: _Ctx, depth: int, need_ref: bool = False) -> E:
        options = ["literal"]
        if self.refs(ctx, "number"):
            options += ["ref", "ref"]
        if ctx.scores:
            options += ["engagement", "fit"]
        if ctx.kind != "where" and self.refs(ctx, "date"):
            options.append("days since")
        if depth > 0:
            options += ["neg", "arith", "arith"]
        choice = self.pick(options)
        if choice == "literal":
            return E(self.number_text(), ATOM)
        if choice == "ref":
            return self.maybe_paren(E(self.pick(self.refs(ctx, "number")), ATOM))
        if choice in ("engagement", "fit"):
            return self.maybe_paren(E(choice, ATOM))
        if choice == "days since":
            return self.maybe_paren(E("days since " + self.pick(self.refs(ctx, "date")), ATOM))
        if choice == "neg":
            return E("- " + _wrap(self.number(ctx, depth - 1), UNARY), UNARY)
        op = self.pick(["+", "-", "*"])
        left, right = self.number(ctx, depth - 1), self.number(ctx, depth - 1)
        level = MUL if op == "*" else ADD
        return self.maybe_paren(E(f"{_wrap(left, level)} {op} {_wrap(right, level + 1)}", level))

    # -- conditions

    def cond(self, ctx: _Ctx, depth: int) -> E:
        options = ["compare", "compare", "in", "text", "missing", "bool literal"]
        if any(k == "boolean" for k in self.types(ctx)):
            options += ["bool ref", "bool ref"]
        if ctx.stages(self.d):
            options += ["stage"]
        if ctx.did:
            options += ["did", "did"]
        if ctx.kind in ("grade", "stage", "rule") and self.fit_conditions:
            options += ["fit condition"]
        if depth > 0:
            options += ["not", "and", "and", "or", "or", "at least", "paren"]
        choice = self.pick(options)
        if choice == "compare":
            return self.compare(ctx, depth)
        if choice == "in":
            return self.in_list(ctx, depth)
        if choice == "text":
            op = self.pick(["starts with", "ends with", "contains"])
            left, right = self.value(ctx, "text", depth), self.value(ctx, "text", depth)
            return E(f"{_wrap(left, ADD)} {op} {_wrap(right, ADD)}", CMP)
        if choice == "missing":
            key = self.pick(self.types(ctx) + ["number", "text", "grade" if ctx.grade else "number"])
            operand = self.value(ctx, key, depth, need_ref=not isinstance(key, str) or key == "grade")
            return E(f"{_wrap(operand, ADD)} is {self.pick(['missing', 'present'])}", CMP)
        if choice == "bool literal":
            return E(self.pick(["true", "false"]), ATOM)
        if choice == "bool ref":
            return self.maybe_paren(E(self.pick(self.refs(ctx, "boolean")), ATOM))
        if choice == "stage":
            return E(self.pick(ctx.stages(self.d)), ATOM)
        if choice == "did":
            return self.did(ctx, depth)
        if choice == "fit condition":
            return self.pick(self.fit_conditions)
        if choice == "not":
            inner = self.cond(ctx, depth - 1)
            return E("not " + _wrap(inner, NOT, may_be_open=True), NOT, inner.open)
        if choice in ("and", "or"):
            count = _int(self.draw, 2, 3)
            parts = [self.cond(ctx, depth - 1) for _ in range(count)]
            level = AND if choice == "and" else OR
            texts = [_wrap(p, level + 1, may_be_open=(i == count - 1)) for i, p in enumerate(parts)]
            return E(f" {choice} ".join(texts), level, parts[-1].open and texts[-1] == parts[-1].text)
        if choice == "at least":
            count = _int(self.draw, 1, 3)
            parts = [self.cond(ctx, depth - 1).text for _ in range(count)]
            n = _int(self.draw, 0, count + 1)
            return E(f"at least {n} of (" + ", ".join(parts) + ")", CMP)
        inner = self.cond(ctx, depth - 1)  # paren
        return E("(" + inner.text + ")", ATOM)

    def compare(self, ctx: _Ctx, depth: int) -> E:
        keys = ["number"] + 3 * self.types(ctx)
        if not keys[1:] or self.chance(15):
            keys += ["text", "boolean", "date"]  # literals on both sides
        if ctx.scores:
            keys += ["number", "number"]
        if ctx.grade:
            keys += ["grade", "grade"] if self.d.letters else ["grade"]
        key = self.pick(keys)
        if key in ("number", "date") or not isinstance(key, str):
            op = self.pick(["=", "!=", "<", "<=", ">", ">="])
        else:
            op = self.pick(["=", "!="])
        need_ref = not isinstance(key, str) or key == "grade"
        if need_ref:
            ref_left = self.chance(60)
            left = self.value(ctx, key, depth, need_ref=ref_left)
            right = self.value(ctx, key, depth, need_ref=not ref_left)
        else:
            left, right = self.value(ctx, key, depth), self.value(ctx, key, depth)
        return E(f"{_wrap(left, ADD)} {op} {_wrap(right, ADD)}", CMP)

    def in_list(self, ctx: _Ctx, depth: int) -> E:
        keys = ["number", "text", "boolean", "date"] + 3 * self.types(ctx)
        if ctx.grade and self.d.letters:
            keys += ["grade", "grade"]
        key = self.pick(keys)
        need_ref = not isinstance(key, str) or key == "grade"
        operand = self.value(ctx, key, depth, need_ref=need_ref)
        items = []
        for _ in range(_int(self.draw, 1, 4)):
            if key == "number":
                items.append(("-" if self.chance(25) else "") + self.number_text())
            elif key == "grade":
                items.append(self.pick(self.d.letters))
            elif key == "boolean":
                items.append(self.pick(["true", "false"]))
            else:
                items.append(self._literal(key))
        negated = self.chance(40)
        return E(f"{_wrap(operand, ADD)} {'not in' if negated else 'in'} ({', '.join(items)})", CMP)

    def _literal(self, key) -> str:
        if key == "text":
            return quote(self.string_text())
        if key == "date":
            return self.date_text()
        return self.member_text(self.pick(key[1]))

    def did(self, ctx: _Ctx, depth: int) -> E:
        activities = self.d.activities
        negated = self.chance(30)
        word = "no" if negated else "did"
        if self.dids and self.chance(25):
            # the same activities counted again, maybe with another count or negated:
            # the compiler shares one counter between them
            subject, where_text, within = self.pick(self.dids)
        else:
            where_text = within = None
            if not activities or self.chance(20):
                subject = "activity"
            else:
                subject, props = self.pick(activities)
                if self.chance(55):
                    where_text = self.cond(_Ctx("where", activity=(subject, props)), min(depth, 2)).text
            within = self.duration_text() if self.chance(60) else None
            self.dids.append((subject, where_text, within))
        times = None if negated or not self.chance(35) else _int(self.draw, 1, 4)
        text = f"{word} {subject}"
        if where_text is not None:
            text += " where " + where_text
        if times is not None:
            text += f" at least {times} times"
        if within is not None:
            text += " within " + within
        is_open = where_text is not None and times is None and within is None
        return E(text, CMP, is_open)


def _unique(draw, pool: list, taken: set, count: int) -> list:
    """`count` names from `pool`, none equal (ignoring case) to a taken one."""
    names = []
    for _ in range(count):
        free = [p for p in pool if p.lower() not in taken]
        if not free:
            break
        name = _pick(draw, free)
        taken.add(name.lower())
        names.append(name)
    return names


@st.composite
def _members(draw) -> tuple:
    pool = _MEMBER_IDENTS + _MEMBER_STRINGS
    count = _int(draw, 1, 5)
    return tuple(_unique(draw, pool, set(), count))


@st.composite
def _field_type(draw, shared_enums: list):
    kind = _pick(draw, ["number", "text", "enum", "boolean", "date", "number", "enum"])
    if kind != "enum":
        return kind, ()
    if shared_enums and _coin(draw):
        return "enum", _pick(draw, shared_enums)  # same type as another field: comparable
    members = draw(_members())
    shared_enums.append(members)
    return "enum", members


def _type_text(gen: _Gen, kind: str, members: tuple) -> str:
    if kind != "enum":
        return kind
    return "one of (" + ", ".join(gen.member_text(m) for m in members) + ")"


@st.composite
def policy_texts(draw) -> str:
    """Policy text that parses and checks without errors, mixing every construct."""
    decls = _Decls()
    gen = _Gen(draw, decls)
    taken: set = set()
    shared_enums: list = []
    rule_number = [0]

    def rule_name() -> str:
        rule_number[0] += 1
        decoration = _pick(draw, ["Rule", "Visited \"pricing\"", "back\\slash", "émoji ✓",
                                  "#not a comment", "}", "", "a: b"])
        return quote(f"{decoration} {rule_number[0]}")

    def description() -> str:
        return " " + quote(gen.string_text()) if gen.chance(30) else ""

    # declarations
    field_names = _unique(draw, _DECL_NAMES, taken, _int(draw, 0, 7))
    for name in field_names:
        kind, members = draw(_field_type(shared_enums))
        decls.fields.append((name, kind, members))
    for name in _unique(draw, _DECL_NAMES, taken, _int(draw, 0, 4)):
        props = []
        for prop in _unique(draw, _PROP_NAMES, set(), _int(draw, 0, 3)):
            kind, members = draw(_field_type(shared_enums))
            props.append((prop, kind, members))
        decls.activities.append((name, props))
    decls.stages = _unique(draw, _DECL_NAMES, taken, _int(draw, 1, 4))
    has_grades = _chance(draw, 75)
    letters = _unique(draw, _LETTERS, set(), _int(draw, 0, 4)) if has_grades else []
    decls.letters = letters

    blocks = {}
    lines = ["fields {"]
    for name, kind, members in decls.fields:
        lines.append(f"  {name} {_type_text(gen, kind, members)}{description()}")
    lines.append("}")
    blocks["fields"] = lines

    lines = ["activities {"]
    for name, props in decls.activities:
        plist = ""
        if props:
            plist = " (" + ", ".join(f"{p} {_type_text(gen, k, m)}" for p, k, m in props) + ")"
        lines.append(f"  {name}{plist}{description()}")
    lines.append("}")
    blocks["activities"] = lines

    # fit first: its conditions may be reused by later ones
    if _chance(draw, 80):
        lines = ["fit {"]
        groups = _unique(draw, _GROUPS, set(), _int(draw, 0, 3))
        entries = [None] * _int(draw, 0, 4) + groups
        entries = _shuffled(draw, entries)

        def fit_rule(indent: str) -> str:
            sign = _pick(draw, ["+", "-", ""])
            condition = gen.cond(_Ctx("fit"), _int(draw, 0, 3))
            gen.fit_conditions.append(condition)
            condition = condition.text
            return f"{indent}{rule_name()}: {sign}{gen.pick(_POINTS)} when {condition}"

        for entry in entries:
            if entry is None:
                lines.append(fit_rule("  "))
            else:
                lines.append(f"  {entry} {{")
                for _ in range(_int(draw, 0, 3)):
                    lines.append(fit_rule("    "))
                lines.append("  }")
        blocks["fit"] = lines + ["}"]

    lines = ["stages {"]
    for i, name in enumerate(decls.stages):
        condition = ""
        if i > 0:
            condition = " when " + gen.cond(_Ctx("stage", stage_index=i), _int(draw, 0, 3)).text
        lines.append(f"  {name}{description()}{condition}")
    lines.append("}")
    blocks["stages"] = lines

    if _chance(draw, 80):
        lines = ["engagement {"]
        items = []
        if decls.activities:
            for _ in range(_int(draw, 0, 5)):
                name, props = _pick(draw, decls.activities)
                sign = _pick(draw, ["+", "-", "", "+"])
                text = f"  {rule_name()}: {sign}{gen.pick(_POINTS)} per {name}"
                if gen.chance(50):
                    text += " where " + gen.cond(_Ctx("where", activity=(name, props)), _int(draw, 0, 2)).text
                if gen.chance(50):
                    text += " within " + gen.duration_text()
                if gen.chance(40):
                    text += " max " + gen.pick(_MAXES)
                items.append(text)
        if gen.chance(60):
            decay = f"  decay {gen.pick(_PERCENTS)}% every {gen.duration_text()}"
            items.insert(_int(draw, 0, len(items)), decay)
        blocks["engagement"] = lines + items + ["}"]

    if has_grades:
        lines = ["grades {"]
        otherwise = bool(letters) and gen.chance(60)
        for i, letter in enumerate(letters):
            if otherwise and i == len(letters) - 1:
                lines.append(f"  {letter} otherwise")
            else:
                lines.append(f"  {letter} when " + gen.cond(_Ctx("grade"), _int(draw, 0, 3)).text)
        blocks["grades"] = lines + ["}"]

    if len(decls.stages) > 1 and gen.chance(70):
        lines = ["demote {"]
        for _ in range(_int(draw, 0, 4)):
            source = _int(draw, 1, len(decls.stages) - 1)
            target = _int(draw, 0, source - 1)
            condition = gen.cond(_Ctx("rule"), _int(draw, 0, 3)).text
            lines.append(f"  {rule_name()}: {decls.stages[source]} -> {decls.stages[target]} when {condition}")
        blocks["demote"] = lines + ["}"]

    if gen.chance(50):
        lines = ["disqualify {"]
        for _ in range(_int(draw, 0, 3)):
            # two conditions at once, mostly: a lead disqualified by every policy says little
            condition = gen.cond(_Ctx("rule"), _int(draw, 0, 3))
            if gen.chance(70):
                condition = E(_wrap(gen.cond(_Ctx("rule"), 1), NOT) + " and " + _wrap(condition, NOT, True),
                              AND, condition.open)
            lines.append(f"  {rule_name()}: when " + condition.text)
        blocks["disqualify"] = lines + ["}"]

    # optional blocks that are empty may be left out altogether
    for kind in ("fields", "activities"):
        if len(blocks[kind]) == 2 and _coin(draw):
            del blocks[kind]

    version = gen.pick(["1", "2026.11.1", "", 'v"2"'])
    head = [f"policy {quote(gen.string_text())} version {quote(version)}"]
    for role in _unique(draw, _OWNER_ROLES, set(), _int(draw, 0, 2)):
        head.append(f"owner {role} {quote(gen.string_text())}")
    order = _shuffled(draw, sorted(blocks))
    out = head
    for kind in order:
        if gen.chance(15):
            out.append("# a comment with \"quotes\", { braces } and when/and/or")
        out.extend(blocks[kind])
    return "\n".join(out) + "\n"


# ====================================================================== leads


@dataclass
class _Pools:
    """What a policy mentions, so data lands on and around it."""

    numbers: list
    strings: list
    dates: list  # micros
    windows: list  # micros of every `within`
    decay: Optional[int]  # micros of the decay period


def _pools(tree: nodes.Policy) -> _Pools:
    numbers, strings, dates, windows = {0.0, 1.0}, {"a"}, set(), set()
    for node in tree.walk():
        if isinstance(node, nodes.Number) and math.isfinite(node.value):
            numbers.add(float(node.value))
        elif isinstance(node, nodes.String):
            strings.add(node.value)
        elif isinstance(node, nodes.DateLit):
            dates.add(node.micros)
        elif isinstance(node, nodes.Duration):
            windows.add(node.micros)
    decay = tree.decay.every.micros if tree.decay is not None else None
    return _Pools(sorted(numbers), sorted(strings), sorted(dates), sorted(windows), decay)


_BLANKS = ["", "  ", "\t", "\u3000", " \n "]
_TRUE_FORMS = [True, 1, "yes", "Yes", " TRUE ", "1", "true"]
_FALSE_FORMS = [False, 0, "no", " No", "FALSE", "0", "false "]
_BAD = {
    "text": [3.5, True, ["x"], {"a": 1}],
    "number": ["lots", "1,000", "1_000", "nan", "inf", True, "5.", ".5", 10 ** 400, float("nan"), "0x10",
               "\u0663", "1" * 400, float("inf")],
    "boolean": ["maybe", 2, 1.0, "Y", "on"],
    "enum": ["zzz_not_a_member", 3.5, True, 12345],
    "date": ["yesterday", "2026-02-30", "11/20/2026", 20261122, True, "2026-11-22T25:00:00Z",
             "20261120T103000Z", "2026-W47-1", "2026-326", "2026-11-22T10", "2026-11-22T24:00",
             "2026-11-22T10:00+24:00", "2026-11-22Z", "2026-11-22T10:00:00.", "2026-11-22T10:00:00.1234567890"],
}


def _instant(draw, micros: int, allow_date: bool = True):
    """An instant written as a CRM export might: ISO text (some zone, or none: UTC),
    a datetime (aware or naive) or, for a midnight, a date."""
    moment = _moment(micros)
    forms = ["iso_z", "iso_z", "iso_offset", "iso_naive", "datetime", "datetime_naive", "datetime_offset",
             "iso_padded", "iso_compact_zone", "datetime_utc_alias", "iso_space"]
    if allow_date and micros % MICROS_PER_DAY == 0:
        forms += ["date_text", "date"]
    form = _pick(draw, forms)
    offset = dt.timezone(dt.timedelta(minutes=_pick(draw, [330, -480, 60, -150, 0])))
    if form == "iso_z":
        return moment.isoformat().replace("+00:00", "Z")
    if form == "iso_padded":
        return _pick(draw, [" ", "\t", "  ", "\u3000"]) + moment.isoformat() + _pick(draw, ["", " ", "\n"])
    if form == "iso_compact_zone":  # 2026-11-20t09:00:00.000001230 +0530, lower-case z, +HH
        local = moment.astimezone(offset)
        text = local.strftime("%Y-%m-%d") + _pick(draw, ["T", "t", " "]) + local.strftime("%H:%M:%S")
        if local.microsecond:
            text += f".{local.microsecond:06d}" + _pick(draw, ["", "0", "999"])  # 7-9 digits are truncated
        zone = local.strftime("%z")
        if zone in ("+0000", "-0000"):
            zone = _pick(draw, ["z", "Z", "+00", "-00", "+0000"])
        elif zone.endswith("00"):
            zone = _pick(draw, [zone, zone[:3]])
        return text + _pick(draw, ["", " "]) + zone
    if form == "iso_space":
        return moment.astimezone(offset).isoformat(sep=" ")
    if form == "datetime_utc_alias":  # equal to UTC, but not the `timezone.utc` object
        return moment.astimezone(dt.timezone(dt.timedelta(0), "UTC"))
    if form == "iso_offset":
        return moment.astimezone(offset).isoformat()
    if form == "iso_naive":
        return moment.replace(tzinfo=None).isoformat()
    if form == "datetime":
        return moment
    if form == "datetime_naive":
        return moment.replace(tzinfo=None)
    if form == "datetime_offset":
        return moment.astimezone(offset)
    if form == "date_text":
        return moment.date().isoformat()
    return moment.date()


def _good_value(draw, kind: str, members: tuple, pools: _Pools, as_of: int):
    if kind == "text":
        form = _pick(draw, ["pool", "pool", "random", "int"])
        if form == "int":
            return _pick(draw, [42, -7, 0, 10 ** 30, 1])
        if form == "random":
            return draw(_ANY_TEXT)
        if _chance(draw, 3):
            return _Str(_pick(draw, pools.strings))  # a str subclass
        base = _pick(draw, pools.strings)
        change = _pick(draw, ["same", "upper", "title", "spaced", "prefix", "suffix", "cut"])
        return {
            "same": base, "upper": base.upper(), "title": base.title(), "spaced": f"  {base} ",
            "prefix": "x" + base, "suffix": base + "y", "cut": base[1:],
        }[change]
    if kind == "number":
        base = _pick(draw, pools.numbers)
        value = base + _pick(draw, [0.0, 0.0, 1.0, -1.0, 0.5, -0.5]) if _coin(draw) else base
        if _chance(draw, 10):
            value = _pick(draw, [-value, 0.0, -0.0, 1e308, 1e-300, 2.0 ** 53 + 1])
        if _chance(draw, 3):
            return _pick(draw, [10 ** 301, -10 ** 305, "1" * 305, 2 ** 53 + 1, "0" * 310 + "7"])
        form = _pick(draw, ["float", "int", "str", "spaced", "exp", "plus"])
        if form == "int" and value == int(value) and abs(value) < 1e18:
            return int(value)
        if form == "str":
            return repr(value)
        if form == "spaced":
            return f" {value!r} "
        if form == "exp":
            return f"{value:e}"
        if form == "plus" and value >= 0:
            return f"+{value!r}"
        return value
    if kind == "boolean":
        return _pick(draw, _TRUE_FORMS + _FALSE_FORMS)
    if kind == "enum":
        member = _pick(draw, members)
        form = _pick(draw, ["same", "same", "upper", "lower", "spaced", "int"])
        if form == "int" and member.isdigit():
            return int(member)
        return {"same": member, "upper": member.upper(), "lower": member.lower(),
                "spaced": f" {member}  ", "int": member}[form]
    if kind == "date":
        if pools.dates and _coin(draw):
            micros = _pick(draw, pools.dates)
        else:
            micros = as_of - _int(draw, 0, 400) * MICROS_PER_DAY
        micros += _pick(draw, [0, 0, 1, -1, MICROS_PER_DAY, -MICROS_PER_DAY, 3_600_000_000])
        return _instant(draw, micros)
    raise AssertionError(kind)


_ABSENT = object()


class _Str(str):
    """A str subclass, as some JSON libraries and ORMs hand out."""


class _Mapping(Mapping):
    """A read-only mapping that is not a dict."""

    def __init__(self, data: dict):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return f"_Mapping({self._data!r})"


def _value(draw, kind: str, members: tuple, pools: _Pools, as_of: int, errors: bool):
    """A value for a declared field or property: usually readable, sometimes absent,
    null or blank, and (when `errors`) now and then unreadable."""
    mode = _pick(draw, ["good"] * 6 + ["absent", "absent", "null", "blank"] + (["bad"] if errors else []))
    if mode == "absent":
        return _ABSENT
    if mode == "null":
        return None
    if mode == "blank":
        return _pick(draw, _BLANKS)
    if mode == "bad":
        return _pick(draw, _BAD[kind])
    return _good_value(draw, kind, members, pools, as_of)


def _ages(draw, pools: _Pools) -> int:
    """An activity's age in micros: on a window or decay boundary, a microsecond
    either side, exactly at as_of, after it, or anywhere in the last 400 days."""
    form = _pick(draw, ["window", "window", "decay", "decay", "random", "random", "zero", "future"])
    windows = [w for w in pools.windows if w < 1000 * 365 * MICROS_PER_DAY]  # times we can write
    if form == "window" and windows:
        return _pick(draw, windows) + _pick(draw, [0, 1, -1])
    if form == "decay" and pools.decay and pools.decay < 300 * 365 * MICROS_PER_DAY:
        return pools.decay * _int(draw, 0, 3) + _pick(draw, [0, 1, -1])
    if form == "zero":
        return 0
    if form == "future":
        return -_pick(draw, [1, 1_000_000, MICROS_PER_DAY])
    return _int(draw, 0, 400 * MICROS_PER_DAY)


def _type_variant(draw, name: str) -> str:
    form = _pick(draw, ["same", "same", "upper", "lower", "title", "spaced"])
    return {"same": name, "upper": name.upper(), "lower": name.lower(), "title": name.title(),
            "spaced": f" {name}\t"}[form]


_UNDECLARED_TYPES = ["email_open", "Unknown", "sms reply", "x__", "meeting_booked"]


@dataclass
class _Shape:
    """What a lead for one policy holds."""

    pools: _Pools
    fields: list
    activities: list
    undeclared: list
    stages: list


def leads_for(tree: nodes.Policy):
    """A strategy of leads for a checked policy tree: dicts with the keyword
    arguments of `evaluate` (fields, activities, as_of, previous_stage, lead_id)."""
    declared_lower = {decl.name.lower() for decl in tree.activities}
    return _lead(_Shape(
        pools=_pools(tree),
        fields=[(decl.name, decl.type.kind, decl.type.members) for decl in tree.fields],
        activities=[(decl.name, [(p.name, p.type.kind, p.type.members) for p in decl.props])
                    for decl in tree.activities],
        undeclared=[t for t in _UNDECLARED_TYPES if t.strip().lower() not in declared_lower],
        stages=[stage.name for stage in tree.stages],
    ))


@st.composite
def _lead(draw, shape: _Shape) -> dict:
    pools, fields, activities = shape.pools, shape.fields, shape.activities
    undeclared, stages = shape.undeclared, shape.stages
    errors = _chance(draw, 15)  # most leads carry no unreadable value
    as_of = _micros(AS_OF) + _pick(draw, [0, 0, 1, -1, 3_600_000_000, 12 * 3_600_000_000 + 7])

    raw_fields: dict = {}
    for name, kind, members in fields:
        value = _value(draw, kind, members, pools, as_of, errors)
        if value is not _ABSENT:
            raw_fields[name] = value
    if _coin(draw):
        raw_fields["undeclared_column"] = _pick(draw, ["x", 3, None, ["y"], {"z": 1}])

    acts = []
    for _ in range(_int(draw, 0, 10) if not _chance(draw, 4) else 40):
        form = _pick(draw, ["declared"] * 6 + ["undeclared"] + (["broken"] if errors else []))
        if form == "undeclared" or (form == "declared" and not activities):
            if not undeclared:
                continue
            act = {"type": _type_variant(draw, _pick(draw, undeclared))}
            if _coin(draw):
                act["at"] = _pick(draw, ["garbage", None, 5, "2026-11-20T09:00:00Z"])
            if _coin(draw):
                act["body"] = _pick(draw, ["hi", None, 42, ["x"]])
            acts.append(act)
            continue
        if form == "broken":
            acts.append(_pick(draw, [
                {"at": "2026-11-20T09:00:00Z"}, {"type": "", "at": "2026-11-20"}, {"type": 5},
                {"type": None}, "not an object", {"type": "  "},
            ] + ([{"type": activities[0][0]}, {"type": activities[0][0], "at": "yesterday"},
                  {"type": activities[0][0], "at": ""}, {"type": activities[0][0], "at": None}]
                 if activities else [])))
            continue
        name, props = _pick(draw, activities)
        act = {"type": _type_variant(draw, name), "at": _instant(draw, as_of - _ages(draw, pools))}
        for prop, kind, members in props:
            value = _value(draw, kind, members, pools, as_of, errors and _chance(draw, 25))
            if value is not _ABSENT:
                act[prop] = value
        if _chance(draw, 20):
            act["undeclared_prop"] = _pick(draw, ["x", None, 1.5])
        if _chance(draw, 5):
            act = _Mapping(act)
        acts.append(act)
    if len(acts) > 1 and _chance(draw, 25):
        acts = acts + [_pick(draw, acts)]  # the same activity twice

    previous_forms = [None, None] + 3 * stages + 2 * stages[1:] + ["disqualified", "DISQUALIFIED", "", "  "]
    previous_forms += [s.upper() for s in stages] + [f" {s.title()} " for s in stages]
    if errors:
        previous_forms += ["no such stage", 3]
    previous = _pick(draw, previous_forms)

    activities_arg = acts
    if errors and _chance(draw, 5):
        activities_arg = _pick(draw, [{"type": "x"}, "acts", 5])
    elif not acts and _coin(draw):
        activities_arg = _pick(draw, [None, ()])
    elif _chance(draw, 10):
        activities_arg = tuple(acts)
    fields_arg = raw_fields
    if errors and _chance(draw, 5):
        fields_arg = _pick(draw, [["email"], "fields", 5])
    elif not raw_fields and _coin(draw):
        fields_arg = None
    elif _chance(draw, 8):
        fields_arg = _Mapping(raw_fields)

    return {
        "fields": fields_arg,
        "activities": activities_arg,
        "as_of": _instant(draw, as_of),
        "previous_stage": previous,
        "lead_id": _pick(draw, [None, "L-1", 7]),
    }
