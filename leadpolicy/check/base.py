"""What every checker pass shares: the state (the policy, its names, the
diagnostics so far), the reserved words, expression types, and small helpers."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Union

from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Diagnostic, Span
from leadpolicy.syntax.visitor import NodeVisitor

RESERVED = n.RESERVED_WORDS

CHANGES = n.CHANGES
DISQUALIFIED = n.DISQUALIFIED

# Expression types: a FieldType for enums, else one of these words.
NUMBER, TEXT, BOOLEAN, DATE, COND, GRADE = "number", "text", "boolean", "date", "condition", "grade"
Type = Union[str, n.FieldType]


@dataclass
class CheckResult:
    policy: n.Policy  # resolved: no Name, no Paren
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors


def suggest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """The closest candidate, for "did you mean" (case-insensitive first)."""
    candidates = list(candidates)
    for c in candidates:
        if c.lower() == name.lower():
            return c
    close: list[str] = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def type_name(t: Type) -> str:
    return str(t)


@dataclass
class ConditionContext:
    """Where a condition sits, which decides what it may use (docs/language-reference.md section 13.13's table)."""

    kind: str  # "where", "fit", "grade", "stage", "rule"
    activity: Optional[n.ActivityDecl] = None  # for "where"
    stage_index: int = 0  # for "stage": only lower stages may be named
    what: str = ""  # how to speak of the place in messages
    did: Optional[n.Did] = None  # for "where" inside a condition: the `did` it filters

    def allows(self, thing: str) -> bool:
        table = {
            "fit": {"fields"},
            "grade": {"fields", "did", "scores"},
            "stage": {"fields", "did", "scores", "grade", "stages"},
            "rule": {"fields", "did", "scores", "grade", "stages"},
        }
        return thing in table.get(self.kind, set())



class State(NodeVisitor):
    """The checker's state; each pass is a mixin over it (leadpolicy/check/passes/)."""

    exhaustive = False  # the passes' shared base; Checker, which combines them, owes every method

    def __init__(self, policy: n.Policy, extra_tests: tuple[n.TestBlock, ...] = (), tests_path: Optional[str] = None) -> None:
        self.policy = policy
        self.path = policy.path
        self.tests_path = tests_path or policy.path
        self.extra_tests = extra_tests
        self.diagnostics: list[Diagnostic] = []
        self.fields = {f.name: f for f in policy.fields}
        self.activities = {a.name: a for a in policy.activities}
        self.stages = [s.name for s in policy.stages]
        self.stage_index = {name: i for i, name in enumerate(self.stages)}
        self.letters = [g.letter for g in policy.grades]
        self.used_fields: set[str] = set()
        self.used_activities: set[str] = set()
        self._path_override: Optional[str] = None
        self.rule_names: dict[str, Optional[Span]] = {}  # filled by RulesPass
        self._props: dict[int, tuple[n.ActivityDecl, dict[str, list[n.PropDecl]]]] = {}  # see props_of

    def props_of(self, activity: n.ActivityDecl) -> dict[str, list[n.PropDecl]]:
        """An activity's properties by name (a name given twice keeps both, in order), made once per
        activity: a `where` looked each name up in the list, which an activity of 20,000 properties
        used in one rule made 400 million steps."""
        made = self._props.get(id(activity))
        if made is None or made[0] is not activity:
            index: dict[str, list[n.PropDecl]] = {}
            for prop in activity.props:
                index.setdefault(prop.name, []).append(prop)
            made = self._props[id(activity)] = (activity, index)
        return made[1]

    if TYPE_CHECKING:
        # Provided by the other passes (Checker combines them all); declared here so
        # that each mixin type-checks on its own.
        def expr(self, e: n.Expr, ctx: ConditionContext) -> tuple[n.Expr, Optional[Type]]: ...
        def _value_type(self, t: n.FieldType) -> Type: ...
        def _check_name(self, name: str, span: Optional[Span], what: str) -> None: ...
        def _unknown_stage(self, name: str, span: Optional[Span]) -> None: ...
        def _unknown_activity(self, name: str, span: Optional[Span]) -> None: ...

    # -- reporting

    def error(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None,
              rewrite: "Optional[Rewrite]" = None, edit: Optional[tuple[int, int, str]] = None) -> None:
        """`rewrite`: what the whole span becomes, the fix `help` shows (editors offer it); `edit`:
        another edit that gives what `help` shows, its offsets relative to the span's start."""
        if rewrite is not None:
            edit = (0, WHOLE_SPAN, rewrite.text)
        self.diagnostics.append(Diagnostic(code, "error", message, span, rewrite.help if rewrite else help,
                                           self._path_override or self.path, edit=edit))

    def warn(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None,
             rewrite: "Optional[Rewrite]" = None, *, notes: tuple[str, ...] = ()) -> None:
        edit = (0, WHOLE_SPAN, rewrite.text) if rewrite is not None else None
        self.diagnostics.append(Diagnostic(code, "warning", message, span, rewrite.help if rewrite else help,
                                           self._path_override or self.path, notes=notes, edit=edit))



def highest_engagement(policy: n.Policy) -> float:
    total = 0.0
    for rule in policy.engagement_rules:
        if rule.points > 0:
            if rule.max is None:
                return math.inf
            total += rule.max
    return total


def same_type(a: Type, b: Type) -> bool:
    if isinstance(a, n.FieldType) or isinstance(b, n.FieldType):
        return isinstance(a, n.FieldType) and isinstance(b, n.FieldType) and a.members == b.members
    if {a, b} <= {BOOLEAN, COND}:
        return True
    return a == b


@dataclass(frozen=True)
class Rewrite:
    """A diagnostic's fix: the help that shows it, and the text its whole span becomes."""

    help: str
    text: str


WHOLE_SPAN = -1  # a Diagnostic.edit's end: the end of the diagnostic's span


_NUMBER_TEXT = re.compile(r"[+-]?[0-9][0-9_]*(\.[0-9]+)?")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?)?")


def quoting_fix(e: n.Compare, lt: Type, rt: Type) -> Optional[Rewrite]:
    """`size >= "200"` -> `size >= 200`, `created < "2026-01-01"` -> `created < 2026-01-01`,
    `email = 800` -> `email = "800"`: the comparison rewritten with the literal as its type writes it."""
    for value, t_other, on_right in ((e.right, lt, True), (e.left, rt, False)):
        written: Optional[str] = None
        if isinstance(value, n.String) and t_other == NUMBER and _NUMBER_TEXT.fullmatch(value.value.strip()):
            written, what = value.value.strip().lstrip("+"), "numbers are written without quotes"
        elif isinstance(value, n.String) and t_other == DATE and _DATE_TEXT.fullmatch(value.value.strip()):
            written, what = value.value.strip(), "dates are written without quotes"
        elif isinstance(value, n.Number) and t_other == TEXT:
            written, what = show(n.String(value.text or format(value.value, "g"))), "text is written in double quotes"
        if written is not None:
            fixed = f"{show(e.left)} {e.op} {written}" if on_right else f"{written} {e.op} {show(e.right)}"
            return Rewrite(f"{what}: `{fixed}`", fixed)
    return None


def compare_help(a: Type, b: Type) -> Optional[str]:
    for t in (a, b):
        if isinstance(t, n.FieldType):
            return f"write a member of `{t}`"
    if TEXT in (a, b) and NUMBER in (a, b):
        return 'numbers are written without quotes (`800`), text with quotes (`"800"`)'
    if DATE in (a, b):
        return "write dates as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, without quotes"
    return None


def requoted_value(value: n.TestValue, t: n.FieldType, name: str) -> Optional[Rewrite]:
    """`size: "500"` -> `size: 500`, `signed: "2026-01-01"` -> `signed: 2026-01-01`, `email: 800`
    -> `email: "800"`: a test's value quoted for the wrong type, as its type writes it."""
    written: Optional[str] = None
    if value.kind == "string" and t.kind == "number" and _NUMBER_TEXT.fullmatch(str(value.value).strip()):
        written, what = str(value.value).strip().lstrip("+"), "write the number without quotes"
    elif value.kind == "number" and t.kind == "text":
        written, what = n.quote(value.text or format(value.value, "g")), "write text in double quotes"
    elif t.kind == "boolean" and value.kind in ("string", "number", "word"):
        word = str(value.text or value.value).strip().lower()
        if word in _YES | _NO:
            written, what = ("true" if word in _YES else "false"), "write"
    if written is None:
        return None
    return Rewrite(f"{what}: `{name}: {written}`" if what != "write" else f"write `{name}: {written}`", written)


def literal_help(t: n.FieldType) -> str:
    return {
        "text": 'write text in double quotes: `"..."`',
        "number": "write a number without quotes: `800`",
        "boolean": "write `true` or `false`",
        "date": "write a date as YYYY-MM-DD",
        "enum": f"write one of {', '.join(t.members)}",
    }[t.kind]


def what_is(e: n.Expr, t: Type) -> str:
    """`the boolean field `is_customer``, `the text "yes"`, or `a number`: the thing, named."""
    if isinstance(e, (n.FieldRef, n.PropRef)):
        return f"the {type_name(t)} {'field' if isinstance(e, n.FieldRef) else 'property'} `{e.name}`"
    if isinstance(e, (n.String, n.Number, n.Bool, n.DateLit)):
        return f"the {type_name(t)} `{show(e)}`"
    return f"a {type_name(t)}"


_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}


def boolean_fix(e: n.Compare, lt: Type, rt: Type) -> Optional[Rewrite]:
    """`is_customer = "yes"` -> `is_customer` (issue 9 item 12)."""
    for value, other, vt in ((e.right, e.left, lt), (e.left, e.right, rt)):
        if vt == BOOLEAN and isinstance(value, (n.String, n.Number)) and e.op in ("=", "!="):
            word = (value.value if isinstance(value, n.String) else value.text or format(value.value, "g")).strip().lower()
            if word in _YES | _NO:
                positive = (word in _YES) == (e.op == "=")
                fixed = show(other) if positive else f"not {show(other)}"
                return Rewrite(f"a boolean is a condition by itself: write `{fixed}`", fixed)
    return None


def _mentions(e: n.Expr, name: str) -> bool:
    return any(isinstance(x, n.Name) and x.name == name for x in _walk_expr(e))


def _walk_expr(e: n.Expr) -> Any:
    yield e
    for value in vars(e).values():
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, n.Expr):
                yield from _walk_expr(child)


def where_fix(ctx: ConditionContext, name: str) -> str:
    """`(did X where A) or B` for `did X where A or B` when B names a field (issue 9 item 12)."""
    did = ctx.did
    head = f"{'no' if did is not None and did.negated else 'did'} {ctx.activity.name if ctx.activity else 'X'}"
    where = did.where if did is not None else None
    while isinstance(where, n.Paren):
        where = where.inner
    if did is not None and isinstance(where, (n.Or, n.And)) and did.within is None and did.times == 1:
        word = "or" if isinstance(where, n.Or) else "and"
        ops = where.operands
        k = next((i for i, o in enumerate(ops) if _mentions(o, name)), 0)
        if k > 0:
            inside = f" {word} ".join(show(o) for o in ops[:k])
            rest = f" {word} ".join(show(o) for o in ops[k:])
            return f"`({head} where {inside}) {word} {rest}`"
    return f"`({head} where ...) and {name} ...`"


def head_span(span: Optional[Span], width: int) -> Optional[Span]:
    """The first `width` characters of a span (to point at a keyword, not a whole block)."""
    if span is None:
        return None
    return Span(span.line, span.column, span.line, span.column + max(1, width), span.start, span.start + max(1, width))
