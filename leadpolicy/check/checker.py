"""The checker: named passes over a parsed policy. It never raises; it returns
every problem at once, and a resolved tree the back ends can trust.

Passes, in order:
  blocks        each block at most once, `stages` present
  declarations  names: reserved words, duplicates (case-insensitively), stages
  rules         rule names, engagement rules, decay, grades, demotions
  resolve       every condition: names resolved, types checked, contexts obeyed
  tests         test blocks name real stages, rules, fields and activities
  warnings      unreachable thresholds, rules that never fire, unused names
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, replace
from typing import Optional, Union

from leadpolicy.check import lints
from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Diagnostic, Span

RESERVED = frozenset(
    """and or not in when per where within max did no activity at least times starts ends with contains
    is missing present true false one of text number boolean date decay every otherwise since policy
    version owner fields activities stages engagement fit grades grade demote disqualify test expect
    as ago previous stage hit change hour hours day days week weeks""".split()
)

CHANGES = ("new", "unchanged", "promoted", "demoted", "disqualified", "requalified")
DISQUALIFIED = "disqualified"

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


def suggest(name: str, candidates) -> Optional[str]:
    """The closest candidate, for "did you mean" (case-insensitive first)."""
    candidates = list(candidates)
    for c in candidates:
        if c.lower() == name.lower():
            return c
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def _type_name(t: Type) -> str:
    if isinstance(t, n.FieldType):
        return "one of (" + ", ".join(t.members) + ")"
    return t


@dataclass
class _Context:
    """Where a condition sits, which decides what it may use (LANGUAGE.md section 5's table)."""

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


class Checker:
    def __init__(self, policy: n.Policy, extra_tests: tuple[n.TestBlock, ...] = (), tests_path: Optional[str] = None):
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

    # -- reporting

    def error(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None) -> None:
        self.diagnostics.append(Diagnostic(code, "error", message, span, help, self._path_override or self.path))

    def warn(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None) -> None:
        self.diagnostics.append(Diagnostic(code, "warning", message, span, help, self._path_override or self.path))

    # -- the passes

    def run(self) -> CheckResult:
        self.check_blocks()
        self.check_declarations()
        self.check_rules()
        resolved = self.resolve_policy()
        self.check_tests(resolved)
        self.check_warnings(resolved)
        return CheckResult(resolved, self.diagnostics)

    def check_blocks(self) -> None:
        seen: dict[str, n.Block] = {}
        for block in self.policy.blocks:
            if block.kind == "test":
                continue
            if block.kind in seen:
                self.error(
                    "duplicate-block",
                    f"the `{block.kind}` block appears more than once",
                    _head(block.span, len(block.kind)),
                    f"merge it into the `{block.kind}` block above; each block may appear once",
                )
            seen[block.kind] = block
        if "stages" not in seen:
            self.error(
                "missing-stages",
                "the policy has no `stages` block",
                _head(self.policy.span, 6),
                "add `stages { lead  mql when ... }`: every policy needs at least one stage",
            )

    def _check_name(self, name: str, span: Optional[Span], what: str) -> None:
        if name in RESERVED:
            self.error(
                "reserved-name",
                f"`{name}` is a word of the language and cannot name a {what}",
                span,
                f"choose another name, such as `{name}_{'value' if what != 'stage' else 'stage'}`",
            )

    def check_declarations(self) -> None:
        seen: dict[str, tuple[str, str]] = {}  # lower-cased name -> (name, what)

        def declare(name: str, span: Optional[Span], what: str) -> None:
            self._check_name(name, span, what)
            other = seen.get(name.lower())
            if other is not None:
                other_name, other_what = other
                if other_name == name:
                    message = f"`{name}` is declared twice (already a {other_what})"
                else:
                    message = f"`{name}` differs only in case from the {other_what} `{other_name}`"
                self.error(
                    "duplicate-name",
                    message,
                    span,
                    "fields, activities and stages share one namespace, compared without case; rename one",
                )
            else:
                seen[name.lower()] = (name, what)

        for f in self.policy.fields:
            declare(f.name, f.name_span, "field")
            self._check_type(f.type)
        for a in self.policy.activities:
            declare(a.name, a.name_span, "activity")
            props: dict[str, str] = {}
            for p in a.props:
                self._check_name(p.name, p.name_span, "property")
                if p.name in ("at", "type"):
                    self.error(
                        "reserved-property",
                        f"`{p.name}` cannot name a property: every activity already has `at` and `type`",
                        p.name_span,
                        f"rename it, for example `{p.name}_value`",
                    )
                if p.name.lower() in props:
                    self.error(
                        "duplicate-name",
                        f"activity `{a.name}` declares the property `{p.name}` twice",
                        p.name_span,
                        "remove or rename one of them",
                    )
                props[p.name.lower()] = p.name
                self._check_type(p.type)
        for i, s in enumerate(self.policy.stages):
            if s.name.lower() == DISQUALIFIED:  # previous stages match without case
                self.error(
                    "reserved-stage",
                    f"`{s.name}` is reserved for the disqualified state and cannot name a stage",
                    s.name_span,
                    "leads enter `disqualified` through the `disqualify` block; rename this stage",
                )
            else:
                declare(s.name, s.name_span, "stage")
            if i == 0 and s.condition is not None:
                self.error(
                    "first-stage-condition",
                    f"the first stage `{s.name}` cannot have a `when` condition",
                    s.span,
                    "every lead is at least in the first stage; move the condition to a later stage",
                )
            if i > 0 and s.condition is None:
                self.error(
                    "stage-needs-condition",
                    f"stage `{s.name}` has no `when` condition",
                    s.span,
                    f"add its entry criterion: `{s.name} when ...`",
                )
        if self.policy.block("stages") is not None and not self.policy.stages:
            self.error(
                "missing-stages",
                "the `stages` block declares no stage",
                _head(self.policy.block("stages").span, 6),
                "declare at least one stage, the first one with no condition",
            )

    def _check_type(self, t: n.FieldType) -> None:
        if t.kind != "enum":
            return
        seen: dict[str, str] = {}
        for member in t.members:
            if member.strip() != member or not member:
                self._padded_member(member, t)
            if member.lower() in seen:
                self.error(
                    "duplicate-member",
                    f"`{member}` appears twice in `{t}` (members are compared without case)",
                    t.span,
                    "remove the repeated member",
                )
            seen[member.lower()] = member

    def _padded_member(self, member: str, t: n.FieldType) -> None:
        """Data is trimmed, so a blank or padded member can never match a lead (issue 16)."""
        # a padded member was written in quotes: keep them in the fix
        kept = [_member_text(m) if m == m.strip() else f'"{m.strip()}"' for m in t.members if m.strip()]
        fixed = "one of (" + ", ".join(kept) + ")"
        if not member.strip():
            self.error(
                "blank-member",
                f'the enum member `"{member}"` is blank, so no lead can ever carry it',
                t.span,
                f"lead data is trimmed; remove it: `{fixed}`",
            )
        else:
            self.error(
                "padded-member",
                f'the enum member `"{member}"` has surrounding whitespace, so no lead can ever carry it',
                t.span,
                f"lead data is trimmed; write it trimmed: `{fixed}`",
            )

    def check_rules(self) -> None:
        names: dict[str, Optional[Span]] = {}

        def rule_name(name: str, span: Optional[Span]) -> None:
            if name in names:
                self.error(
                    "duplicate-rule",
                    f"the rule name `{name}` is used twice",
                    _head(span, len(name) + 2),
                    "rule names are unique across the policy; tests and explanations refer to them",
                )
            names[name] = span

        decays = 0
        for item in self.policy.items("engagement"):
            if isinstance(item, n.Decay):
                decays += 1
                if decays > 1:
                    self.error("bad-decay", "the engagement block has more than one `decay`", item.span, "keep one")
                if not 0 < item.percent <= 100:
                    self.error(
                        "bad-decay",
                        f"decay must be more than 0% and at most 100%, not `{item.percent_text}%`",
                        item.span,
                        "write for example `decay 50% every 30 days`",
                    )
                continue
            rule_name(item.name, item.span)
            if item.activity not in self.activities:
                self._unknown_activity(item.activity, item.activity_span)
            if item.max is not None and item.max <= 0:
                self.error("bad-max", f"`max` must be more than 0, not `{item.max_text}`", item.span, "remove `max` or raise it")
        groups: set[str] = set()
        for item in self.policy.items("fit"):
            if isinstance(item, n.FitGroup):
                self._check_name(item.name, item.name_span, "group")
                if item.name in groups:
                    self.error(
                        "duplicate-group",
                        f"the fit group `{item.name}` appears twice",
                        item.name_span,
                        "merge the two groups",
                    )
                groups.add(item.name)
                for rule in item.rules:
                    rule_name(rule.name, rule.span)
            else:
                rule_name(item.name, item.span)
        letters: set[str] = set()
        bands = self.policy.grades
        for i, band in enumerate(bands):
            if band.letter in letters:
                self.error("duplicate-grade", f"the grade `{band.letter}` appears twice", band.name_span, "each grade appears once")
            letters.add(band.letter)
            if band.condition is None and i != len(bands) - 1:
                self.error(
                    "otherwise-not-last",
                    f"`{band.letter} otherwise` must be the last grade",
                    band.span,
                    "grades are tried in order; the bands after `otherwise` can never match",
                )
        for rule in self.policy.demotions:
            rule_name(rule.name, rule.span)
            for stage, span in ((rule.source, rule.source_span), (rule.target, rule.target_span)):
                if stage not in self.stage_index:
                    self._unknown_stage(stage, span)
            if rule.source in self.stage_index and rule.target in self.stage_index:
                if self.stage_index[rule.target] >= self.stage_index[rule.source]:
                    self.error(
                        "demotion-direction",
                        f"a demotion must go to a lower stage, but `{rule.target}` is not below `{rule.source}`",
                        rule.span,
                        f"stages are ordered as declared: {', '.join(self.stages)}",
                    )
        for rule in self.policy.disqualifications:
            rule_name(rule.name, rule.span)
        self.rule_names = names

    def _unknown_stage(self, name: str, span: Optional[Span]) -> None:
        if name == DISQUALIFIED:
            self.error(
                "unknown-stage",
                "`disqualified` is not a stage a demotion can name",
                span,
                "leads enter and leave `disqualified` through the `disqualify` block",
            )
            return
        guess = suggest(name, self.stages)
        self.error(
            "unknown-stage",
            f"there is no stage `{name}`",
            span,
            f"did you mean `{guess}`?" if guess else f"the stages are: {', '.join(self.stages) or 'none'}",
        )

    def _unknown_activity(self, name: str, span: Optional[Span]) -> None:
        guess = suggest(name, self.activities)
        self.error(
            "unknown-activity",
            f"there is no activity `{name}`",
            span,
            f"did you mean `{guess}`?" if guess else "declare it in the `activities` block",
        )

    # -- resolve: every condition in the policy

    def resolve_policy(self) -> n.Policy:
        blocks = []
        for block in self.policy.blocks:
            blocks.append(replace(block, items=tuple(self._resolve_item(block.kind, item) for item in block.items)))
        return self.policy.with_blocks(tuple(blocks))

    def _resolve_item(self, kind: str, item: n.Node) -> n.Node:
        if isinstance(item, n.StageDecl) and item.condition is not None:
            index = self.stage_index.get(item.name, len(self.stages))
            ctx = _Context("stage", stage_index=index, what=f"the entry condition of stage `{item.name}`")
            return replace(item, condition=self.condition(item.condition, ctx))
        if isinstance(item, n.EngagementRule):
            if item.where is None:
                return item
            activity = self.activities.get(item.activity)
            if activity is None:
                return item
            self.used_activities.add(activity.name)
            ctx = _Context("where", activity=activity, what=f"the `where` of `{item.activity}`")
            return replace(item, where=self.condition(item.where, ctx))
        if isinstance(item, n.FitGroup):
            return replace(item, rules=tuple(self._resolve_item(kind, rule) for rule in item.rules))
        if isinstance(item, n.FitRule):
            return replace(item, condition=self.condition(item.condition, _Context("fit", what=f"the fit rule `{item.name}`")))
        if isinstance(item, n.GradeBand) and item.condition is not None:
            return replace(item, condition=self.condition(item.condition, _Context("grade", what=f"the grade `{item.letter}`")))
        if isinstance(item, (n.DemoteRule, n.DisqualifyRule)):
            what = f"the {'demotion' if isinstance(item, n.DemoteRule) else 'disqualify'} rule `{item.name}`"
            return replace(item, condition=self.condition(item.condition, _Context("rule", what=what)))
        if isinstance(item, n.EngagementRule | n.ActivityDecl):
            return item
        return item

    def condition(self, expr: n.Expr, ctx: _Context) -> n.Expr:
        """Resolve an expression that must be a condition."""
        resolved, t = self.expr(expr, ctx)
        if t not in (COND, BOOLEAN, None):
            self.error(
                "not-a-condition",
                f"this is a {_type_name(t)}, not a condition",
                expr.span,
                "compare it with something, for example `... >= 10` or `... is present`",
            )
        return resolved

    def expr(self, e: n.Expr, ctx: _Context) -> tuple[n.Expr, Optional[Type]]:
        """Resolve an expression; returns the new node and its type (None: unknown after an error)."""
        method = getattr(self, "expr_" + type(e).__name__)
        return method(e, ctx)

    # literals
    def expr_Number(self, e, ctx):
        return e, NUMBER

    def expr_String(self, e, ctx):
        return e, TEXT

    def expr_DateLit(self, e, ctx):
        return e, DATE

    def expr_Bool(self, e, ctx):
        return e, BOOLEAN

    def expr_Paren(self, e, ctx):
        return self.expr(e.inner, ctx)

    def expr_Name(self, e: n.Name, ctx: _Context):
        name = e.name
        if ctx.kind == "where":
            activity = ctx.activity
            for p in activity.props:
                if p.name == name:
                    return n.PropRef(activity.name, p.name, p.type, span=e.span), self._value_type(p.type)
            guess = suggest(name, [p.name for p in activity.props])
            outside = name in self.fields or name in self.stage_index
            if guess:
                hint = f"did you mean `{guess}`?"
            elif outside:
                hint = "inside `where` names are the activity's properties; to test a field, end the `where` first: " + _where_fix(ctx, name)
            else:
                props = ", ".join(p.name for p in activity.props) or "none"
                hint = f"the properties of `{activity.name}` are: {props}"
            self.error("unknown-property", f"activity `{activity.name}` has no property `{name}`", e.span, hint)
            return e, None
        if name in self.fields:
            decl = self.fields[name]
            if not ctx.allows("fields"):
                self.error("not-allowed", f"the field `{name}` cannot be used in {ctx.what}", e.span)
            self.used_fields.add(name)
            return n.FieldRef(name, decl.type, span=e.span), self._value_type(decl.type)
        if name in self.stage_index:
            index = self.stage_index[name]
            if not ctx.allows("stages"):
                self.error(
                    "not-allowed",
                    f"the stage `{name}` cannot be used in {ctx.what}",
                    e.span,
                    "stage names may appear in stage entry conditions, demotions and disqualifications",
                )
            elif ctx.kind == "stage" and index >= ctx.stage_index:
                what = "itself" if index == ctx.stage_index else f"the higher stage `{name}`"
                self.error(
                    "stage-order",
                    f"the entry condition of stage `{self.stages[ctx.stage_index]}` cannot name {what}",
                    e.span,
                    "a stage condition may name only lower stages",
                )
            return n.StageRef(name, index, span=e.span), COND
        candidates = list(self.fields) + ([s for s in self.stages] if ctx.allows("stages") else [])
        guess = suggest(name, candidates)
        if name in RESERVED:
            message = f"`{name}` is a word of the language and cannot be used here"
        else:
            message = f"there is no field `{name}`" if not ctx.allows("stages") else f"there is no field or stage `{name}`"
        self.error("unknown-field", message, e.span, f"did you mean `{guess}`?" if guess else "declare it in the `fields` block")
        return e, None

    def _value_type(self, t: n.FieldType) -> Type:
        return t if t.kind == "enum" else t.kind

    def _scores(self, e, ctx, node, t):
        if not ctx.allows("scores"):
            word = type(e).__name__.lower()
            self.error(
                "not-allowed",
                f"`{word}` cannot be used in {ctx.what}",
                e.span,
                {
                    "fit": "fit is about who the lead is: fit rules use fields only (and `days since FIELD`)",
                    "where": "inside `where` names are the activity's properties",
                    "grade": "a grade cannot depend on itself",
                }.get(ctx.kind),
            )
        return node, t

    def expr_Engagement(self, e, ctx):
        return self._scores(e, ctx, e, NUMBER)

    def expr_Fit(self, e, ctx):
        return self._scores(e, ctx, e, NUMBER)

    def expr_Grade(self, e, ctx):
        if not ctx.allows("grade"):
            help_ = "a grade cannot depend on itself" if ctx.kind == "grade" else None
            self.error("not-allowed", f"`grade` cannot be used in {ctx.what}", e.span, help_)
        return e, GRADE

    def expr_DaysSince(self, e: n.DaysSince, ctx):
        decl = self.fields.get(e.field_name)
        if ctx.kind == "where":
            self.error("not-allowed", f"`days since` cannot be used in {ctx.what}", e.span, "it reads a field, and `where` sees only properties")
            return e, NUMBER
        if decl is None:
            dates = [f.name for f in self.policy.fields if f.type.kind == "date"]
            guess = suggest(e.field_name, dates)
            self.error("unknown-field", f"there is no field `{e.field_name}`", e.name_span, f"did you mean `{guess}`?" if guess else None)
            return e, NUMBER
        self.used_fields.add(decl.name)
        if decl.type.kind != "date":
            self.error(
                "type-mismatch",
                f"`days since` needs a date field, but `{decl.name}` is a {_type_name(self._value_type(decl.type))}",
                e.name_span,
                "declare the field as `date`",
            )
        return e, NUMBER

    def _number(self, e: n.Expr, ctx) -> n.Expr:
        resolved, t = self.expr(e, ctx)
        if t not in (NUMBER, None):
            self.error(
                "type-mismatch",
                f"arithmetic needs numbers, but this is a {_type_name(t)}",
                e.span,
                "only number fields, scores and `days since` take part in `+ - *`",
            )
        return resolved

    def expr_Neg(self, e: n.Neg, ctx):
        return replace(e, operand=self._number(e.operand, ctx)), NUMBER

    def expr_Arith(self, e: n.Arith, ctx):
        return replace(e, left=self._number(e.left, ctx), right=self._number(e.right, ctx)), NUMBER

    def _logic(self, e, ctx, operands):
        return tuple(self.condition(o, ctx) for o in operands)

    def expr_Not(self, e: n.Not, ctx):
        return replace(e, operand=self.condition(e.operand, ctx)), COND

    def expr_And(self, e: n.And, ctx):
        return replace(e, operands=self._logic(e, ctx, e.operands)), COND

    def expr_Or(self, e: n.Or, ctx):
        return replace(e, operands=self._logic(e, ctx, e.operands)), COND

    def expr_AtLeast(self, e: n.AtLeast, ctx):
        if e.count < 1:
            self.warn("never-fires", f"`at least {e.count} of` always holds", e.span, "use a count of at least 1")
        elif e.count > len(e.conditions):
            self.warn(
                "never-fires",
                f"`at least {e.count} of` lists only {len(e.conditions)} condition{'s' if len(e.conditions) != 1 else ''}, so it never holds",
                e.span,
                f"lower the count to at most {len(e.conditions)}",
            )
        return replace(e, conditions=self._logic(e, ctx, e.conditions)), COND

    def expr_Did(self, e: n.Did, ctx):
        word = "no" if e.negated else "did"
        if not ctx.allows("did"):
            help_ = (
                "fit is about who the lead is; use engagement rules for activities"
                if ctx.kind == "fit"
                else "inside `where` names are the activity's properties"
            )
            self.error("not-allowed", f"`{word}` cannot be used in {ctx.what}", e.span, help_)
            return e, COND
        if e.activity is None:
            self.used_activities.update(self.activities)
            if e.where is not None:
                self.error(
                    "bad-where",
                    f"`{word} activity` cannot have a `where`: it means any activity type",
                    e.span,
                    "name one activity type to filter on its properties",
                )
            return replace(e, where=None), COND
        activity = self.activities.get(e.activity)
        if activity is None:
            self._unknown_activity(e.activity, e.activity_span)
            return e, COND
        self.used_activities.add(activity.name)
        where = e.where
        if where is not None:
            where = self.condition(where, _Context("where", activity=activity, what=f"the `where` of `{activity.name}`", did=e))
        return replace(e, where=where), COND

    # -- comparisons: the place where bare enum members and grade letters are read

    def _operand(self, e: n.Expr, ctx, other_type: Optional[Type]):
        """Resolve one side of a comparison, reading a bare name or string as an
        enum member or grade letter when the other side calls for one."""
        if isinstance(other_type, n.FieldType) and isinstance(e, (n.Name, n.String)):
            text = e.name if isinstance(e, n.Name) else e.value
            if isinstance(e, n.String) or text in other_type.members or not self._is_declared(text, ctx):
                return self._member(e, text, other_type), other_type
        if other_type == GRADE and isinstance(e, n.Name) and not self._is_declared(e.name, ctx):
            return self._letter(e), GRADE
        return self.expr(e, ctx)

    def _is_declared(self, name: str, ctx) -> bool:
        if ctx.kind == "where":
            return any(p.name == name for p in ctx.activity.props)
        return name in self.fields or name in self.stage_index

    def _member(self, e: n.Expr, text: str, t: n.FieldType) -> n.Expr:
        if text in t.members:
            return n.EnumValue(text, t.members.index(text), t, span=e.span)
        guess = suggest(text, t.members)
        if guess is not None and guess.lower() == text.lower():
            written = f'"{guess}"' if isinstance(e, n.String) or not guess.isidentifier() else guess
            self.error(
                "member-case",
                f"`{text}` is written `{guess}` in `{t}`",
                e.span,
                f"write it as declared: `{written}`",
            )
        else:
            self.error(
                "unknown-member",
                f"`{text}` is not one of {', '.join(t.members)}",
                e.span,
                f"did you mean `{guess}`?" if guess else "use one of the declared members",
            )
        return e

    def _letter(self, e: n.Name) -> n.Expr:
        if e.name in self.letters:
            return n.GradeValue(e.name, span=e.span)
        guess = suggest(e.name, self.letters)
        self.error(
            "unknown-grade",
            f"there is no grade `{e.name}`",
            e.span,
            f"did you mean `{guess}`?" if guess else f"the grades are: {', '.join(self.letters) or 'none (add a `grades` block)'}",
        )
        return e

    def _side(self, left: n.Expr, right: n.Expr, ctx):
        """Resolve both sides of a binary comparison; the side that is not a bare
        literal name goes first so the other can be read against its type."""
        if isinstance(left, n.Name) and isinstance(right, n.Name) and not self._is_declared(left.name, ctx) and not self._is_declared(right.name, ctx):
            # neither side is known: report the left one only, not a cascade
            l, lt = self.expr(left, ctx)
            return l, None, right, None
        if isinstance(left, (n.Name, n.String)) and not (isinstance(left, n.Name) and self._is_declared(left.name, ctx)):
            r, rt = self.expr(right, ctx)
            l, lt = self._operand(left, ctx, rt)
        else:
            l, lt = self.expr(left, ctx)
            r, rt = self._operand(right, ctx, lt)
        return l, lt, r, rt

    def expr_Compare(self, e: n.Compare, ctx):
        left, lt, right, rt = self._side(e.left, e.right, ctx)
        if lt is not None and rt is not None:
            if not _same_type(lt, rt):
                self.error(
                    "type-mismatch",
                    f"cannot compare {_what(left, lt)} with {_what(right, rt)}",
                    e.span,
                    _boolean_fix(e, lt, rt) or _compare_help(lt, rt),
                )
            elif e.op not in ("=", "!=") and not (lt in (NUMBER, DATE) or isinstance(lt, n.FieldType)):
                self.error(
                    "bad-operator",
                    f"`{e.op}` does not apply to a {_type_name(lt)}",
                    e.span,
                    "order comparisons work on numbers, dates and `one of` fields; use `=` or `!=`",
                )
        if lt == COND or rt == COND:
            self.error(
                "type-mismatch",
                "a condition cannot be compared with `" + e.op + "`",
                e.span,
                "write the condition alone, or with `not`",
            )
        return replace(e, left=left, right=right), COND

    def expr_InList(self, e: n.InList, ctx):
        operand, t = self.expr(e.operand, ctx)
        items = []
        for item in e.items:
            resolved, it = self._operand(item, ctx, t)
            if t is not None and it is not None and not _same_type(t, it):
                self.error("type-mismatch", f"cannot look for a {_type_name(it)} among {_type_name(t)} values", item.span, _compare_help(t, it))
            if not isinstance(resolved, (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue)) and it is not None:
                self.error("bad-list", "the list after `in` holds only literal values", item.span, "write the values themselves")
            items.append(resolved)
        return replace(e, operand=operand, items=tuple(items)), COND

    def expr_TextTest(self, e: n.TextTest, ctx):
        left, lt = self.expr(e.left, ctx)
        right, rt = self.expr(e.right, ctx)
        for side, t in ((e.left, lt), (e.right, rt)):
            if t not in (TEXT, None):
                self.error(
                    "type-mismatch",
                    f"`{e.op}` works on text, but this is a {_type_name(t)}",
                    side.span,
                    "use `=` or `in (...)` for `one of` fields" if isinstance(t, n.FieldType) else None,
                )
        return replace(e, left=left, right=right), COND

    def expr_IsMissing(self, e: n.IsMissing, ctx):
        operand, t = self.expr(e.operand, ctx)
        if t == COND:
            self.error("type-mismatch", "`is missing` applies to a value, not to a condition", e.span, "test a field or property")
        return replace(e, operand=operand), COND

    # -- fallbacks for already-resolved nodes (a policy checked twice)
    def expr_FieldRef(self, e, ctx):
        return e, self._value_type(e.type)

    def expr_PropRef(self, e, ctx):
        return e, self._value_type(e.type)

    def expr_StageRef(self, e, ctx):
        return e, COND

    def expr_EnumValue(self, e, ctx):
        return e, e.type

    def expr_GradeValue(self, e, ctx):
        return e, GRADE

    # -- tests

    def check_tests(self, resolved: n.Policy) -> None:
        self.uses_time = lints.time_dependent(resolved)
        for test in resolved.tests:
            self.check_test(test)
        if self.extra_tests:
            self._path_override = self.tests_path
            for test in self.extra_tests:
                self.check_test(test)
            self._path_override = None

    def check_test(self, test: n.TestBlock) -> None:
        stage_names = self.stages + [DISQUALIFIED]
        lints.test_lints(test, self.uses_time, self.warn)
        if test.previous_stage is not None and test.previous_stage not in stage_names:
            self._unknown_stage(test.previous_stage, test.previous_stage_span)
        for f in test.fields:
            decl = self.fields.get(f.name)
            if decl is None:
                guess = suggest(f.name, self.fields)
                self.error("unknown-field", f"there is no field `{f.name}`", _head(f.span, len(f.name)), f"did you mean `{guess}`?" if guess else None)
            else:
                self._test_value(f.value, decl.type, f"field `{f.name}`")
        for a in test.activities:
            decl = self.activities.get(a.activity)
            if decl is None:
                self._unknown_activity(a.activity, a.span)
                continue
            for p in a.props:
                prop = next((q for q in decl.props if q.name == p.name), None)
                if prop is None:
                    guess = suggest(p.name, [q.name for q in decl.props])
                    self.error(
                        "unknown-property",
                        f"activity `{decl.name}` has no property `{p.name}`",
                        _head(p.span, len(p.name)),
                        f"did you mean `{guess}`?" if guess else None,
                    )
                else:
                    self._test_value(p.value, prop.type, f"property `{p.name}`")
        for x in test.expectations:
            if x.kind == "stage" and x.value not in stage_names:
                self._unknown_stage(x.value, x.span)
            elif x.kind == "change" and x.value not in CHANGES:
                guess = suggest(x.value, CHANGES)
                self.error("unknown-change", f"`{x.value}` is not a change", x.span, f"did you mean `{guess}`?" if guess else "changes are: " + ", ".join(CHANGES))
            elif x.kind == "grade" and x.value not in self.letters:
                guess = suggest(x.value, self.letters)
                self.error("unknown-grade", f"there is no grade `{x.value}`", x.span, f"did you mean `{guess}`?" if guess else None)
            elif x.kind in ("hit", "no_hit") and x.value not in self.rule_names:
                guess = suggest(x.value, self.rule_names)
                self.error("unknown-rule", f"there is no rule `{x.value}`", x.span, f'did you mean "{guess}"?' if guess else None)

    def _test_value(self, value: n.TestValue, t: n.FieldType, what: str) -> None:
        ok = {
            "text": ("string",),
            "number": ("number",),
            "boolean": ("bool",),
            "date": ("date", "timestamp", "string"),
            "enum": ("word", "string"),
        }[t.kind]
        if value.kind not in ok:
            self.error("test-value", f"{what} is a {_type_name(self._value_type(t))}, and this value is not", value.span, _literal_help(t))
        elif t.kind == "enum" and value.value not in t.members:
            guess = suggest(str(value.value), t.members)
            self.error(
                "unknown-member",
                f"`{value.value}` is not one of {', '.join(t.members)}",
                value.span,
                f"did you mean `{guess}`?" if guess else None,
            )

    # -- warnings

    def check_warnings(self, resolved: n.Policy) -> None:
        best_engagement = _best_engagement(resolved)
        best_fit = sum(r.points for r in resolved.fit_rules if r.points > 0)
        lints.unreachable_grades(resolved, self.warn)
        for node in resolved.walk():
            if isinstance(node, n.Compare):
                self._threshold(node, best_engagement, best_fit)
        if any(d.is_error for d in self.diagnostics):
            return  # unused names are noise next to errors, and often caused by them
        for f in resolved.fields:
            if f.name not in self.used_fields:
                self.warn("unused-field", f"the field `{f.name}` is not used by any rule", f.name_span, "remove it, or use it in a rule")
        for a in resolved.activities:
            if a.name not in self.used_activities and not any(r.activity == a.name for r in resolved.engagement_rules):
                self.warn(
                    "unused-activity",
                    f"the activity `{a.name}` is not used by any rule",
                    a.name_span,
                    "remove it, or score it in the `engagement` block",
                )
        for rule in resolved.fit_rules:
            if rule.points == 0:
                self.warn("never-fires", f"the rule `{rule.name}` gives 0 points, so it never hits", rule.span, "give it points or remove it")
        for rule in resolved.engagement_rules:
            if rule.points == 0:
                self.warn("never-fires", f"the rule `{rule.name}` gives 0 points, so it never hits", rule.span, "give it points or remove it")
        for rule in list(resolved.fit_rules) + list(resolved.demotions) + list(resolved.disqualifications):
            if isinstance(rule.condition, n.Bool) and rule.condition.value is False:
                self.warn("never-fires", f"the rule `{rule.name}` has the condition `false`, so it never fires", rule.span)

    def _threshold(self, node: n.Compare, best_engagement: float, best_fit: float) -> None:
        for score, other, op, best in (
            (node.left, node.right, node.op, None),
            (node.right, node.left, _flip(node.op), None),
        ):
            if not isinstance(other, n.Number):
                continue
            if isinstance(score, n.Engagement):
                best, word = best_engagement, "engagement"
            elif isinstance(score, n.Fit):
                best, word = best_fit, "fit"
            else:
                continue
            if best is None or math.isinf(best):
                continue
            unreachable = {">=": other.value > best, ">": other.value >= best, "=": other.value > best}.get(op, False)
            if unreachable:
                self.warn(
                    "unreachable-threshold",
                    f"no lead can reach {word} {op} {other.text or format(other.value, 'g')}: the most a lead can score is {best:g}",
                    node.span,
                    f"lower the threshold, or add {word} rules worth more points",
                )


def _best_engagement(policy: n.Policy) -> float:
    total = 0.0
    for rule in policy.engagement_rules:
        if rule.points > 0:
            if rule.max is None:
                return math.inf
            total += rule.max
    return total


def _flip(op: str) -> str:
    return {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)


def _same_type(a: Type, b: Type) -> bool:
    if isinstance(a, n.FieldType) or isinstance(b, n.FieldType):
        return isinstance(a, n.FieldType) and isinstance(b, n.FieldType) and a.members == b.members
    if {a, b} <= {BOOLEAN, COND}:
        return True
    return a == b


def _compare_help(a: Type, b: Type) -> Optional[str]:
    for t in (a, b):
        if isinstance(t, n.FieldType):
            return f"write a member of `{t}`"
    if TEXT in (a, b) and NUMBER in (a, b):
        return 'numbers are written without quotes (`800`), text with quotes (`"800"`)'
    if DATE in (a, b):
        return "write dates as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, without quotes"
    return None


def _literal_help(t: n.FieldType) -> str:
    return {
        "text": 'write text in double quotes: `"..."`',
        "number": "write a number without quotes: `800`",
        "boolean": "write `true` or `false`",
        "date": "write a date as YYYY-MM-DD",
        "enum": f"write one of {', '.join(t.members)}",
    }[t.kind]


def _what(e: n.Expr, t: Type) -> str:
    """`the boolean field `is_customer``, `the text "yes"`, or `a number`: the thing, named."""
    if isinstance(e, (n.FieldRef, n.PropRef)):
        return f"the {_type_name(t)} {'field' if isinstance(e, n.FieldRef) else 'property'} `{e.name}`"
    if isinstance(e, (n.String, n.Number, n.Bool, n.DateLit)):
        return f"the {_type_name(t)} `{show(e)}`"
    return f"a {_type_name(t)}"


_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}


def _boolean_fix(e: n.Compare, lt: Type, rt: Type) -> Optional[str]:
    """`is_customer = "yes"` -> `is_customer` (issue 9 item 12)."""
    for value, other, vt in ((e.right, e.left, lt), (e.left, e.right, rt)):
        if vt == BOOLEAN and isinstance(value, (n.String, n.Number)) and e.op in ("=", "!="):
            word = (value.value if isinstance(value, n.String) else value.text or format(value.value, "g")).strip().lower()
            if word in _YES | _NO:
                positive = (word in _YES) == (e.op == "=")
                name = show(other)
                return f"a boolean is a condition by itself: write `{name}`" if positive else f"a boolean is a condition by itself: write `not {name}`"
    return None


def _mentions(e: n.Expr, name: str) -> bool:
    return any(isinstance(x, n.Name) and x.name == name for x in _walk_expr(e))


def _walk_expr(e: n.Expr):
    yield e
    for value in vars(e).values():
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, n.Expr):
                yield from _walk_expr(child)


def _where_fix(ctx: _Context, name: str) -> str:
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


def _member_text(member: str) -> str:
    """An enum member as a policy writes it: bare when it is a plain name, else quoted."""
    if member.isidentifier() and member not in RESERVED:
        return member
    return '"' + member.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _head(span: Optional[Span], width: int) -> Optional[Span]:
    """The first `width` characters of a span (to point at a keyword, not a whole block)."""
    if span is None:
        return None
    return Span(span.line, span.column, span.line, span.column + max(1, width), span.start, span.start + max(1, width))


def check(policy: n.Policy, extra_tests: tuple[n.TestBlock, ...] = (), tests_path: Optional[str] = None) -> CheckResult:
    """Run every pass; never raises for a bad policy."""
    return Checker(policy, extra_tests, tests_path).run()
