"""Pass `resolve`, part one: every condition resolved in its context (docs/language-reference.md section 13): names, scores, `did`, logic."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional, cast

from leadpolicy.check.base import (
    BOOLEAN,
    COND,
    DATE,
    GRADE,
    NUMBER,
    RESERVED,
    TEXT,
    ConditionContext,
    State,
    Type,
    suggest,
    type_name,
    where_fix,
)
from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n


class NamesPass(State):
    # -- resolve: every condition in the policy

    def resolve_policy(self) -> n.Policy:
        blocks = []
        for block in self.policy.blocks:
            blocks.append(replace(block, items=tuple(self._resolve_item(block.kind, item) for item in block.items)))
        return self.policy.with_blocks(tuple(blocks))

    def _resolve_item(self, kind: str, item: n.Node) -> n.Node:
        if isinstance(item, n.StageDecl) and item.condition is not None:
            index = self.stage_index.get(item.name, len(self.stages))
            ctx = ConditionContext("stage", stage_index=index, what=f"the entry condition of stage `{item.name}`")
            return replace(item, condition=self.condition(item.condition, ctx))
        if isinstance(item, n.EngagementRule):
            if item.where is None:
                return item
            activity = self.activities.get(item.activity)
            if activity is None:
                return item
            self.used_activities.add(activity.name)
            ctx = ConditionContext("where", activity=activity, what=f"the `where` of `{item.activity}`")
            return replace(item, where=self.condition(item.where, ctx))
        if isinstance(item, n.FitGroup):
            return replace(item, rules=tuple(cast(n.FitRule, self._resolve_item(kind, rule)) for rule in item.rules))
        if isinstance(item, n.FitRule):
            return replace(item, condition=self.condition(item.condition, ConditionContext("fit", what=f"the fit rule `{item.name}`")))
        if isinstance(item, n.GradeBand) and item.condition is not None:
            return replace(item, condition=self.condition(item.condition, ConditionContext("grade", what=f"the grade `{item.letter}`")))
        if isinstance(item, (n.DemoteRule, n.DisqualifyRule)):
            what = f"the {'demotion' if isinstance(item, n.DemoteRule) else 'disqualify'} rule `{item.name}`"
            return replace(item, condition=self.condition(item.condition, ConditionContext("rule", what=what)))
        return item  # declarations without conditions, a `decay`, a test

    def condition(self, expr: n.Expr, ctx: ConditionContext) -> n.Expr:
        """Resolve an expression that must be a condition."""
        resolved, t = self.expr(expr, ctx)
        if t not in (COND, BOOLEAN, None):
            self.error(
                "not-a-condition",
                f"`{show(expr)}` is a {type_name(t)}, not a condition",
                expr.span,
                f"compare it with something, for example `{show(expr)} {_example_comparison(t)}` or `{show(expr)} is present`",
            )
        return resolved

    def expr(self, e: n.Expr, ctx: ConditionContext) -> tuple[n.Expr, Optional[Type]]:
        """Resolve an expression; returns the new node and its type (None: unknown after an error)."""
        resolved: tuple[n.Expr, Optional[Type]] = self.visit(e, ctx)
        return resolved

    # literals
    def expr_Number(self, e: n.Number, ctx: Any) -> Any:
        return e, NUMBER

    def expr_String(self, e: n.String, ctx: Any) -> Any:
        return e, TEXT

    def expr_DateLit(self, e: n.DateLit, ctx: Any) -> Any:
        return e, DATE

    def expr_Bool(self, e: n.Bool, ctx: Any) -> Any:
        return e, BOOLEAN

    def expr_Paren(self, e: n.Paren, ctx: Any) -> Any:
        return self.expr(e.inner, ctx)

    def expr_Name(self, e: n.Name, ctx: ConditionContext) -> Any:
        name = e.name
        if ctx.kind == "where":
            activity = ctx.activity
            assert activity is not None, "a `where` context names its activity"
            named = self.props_of(activity).get(name)
            if named:
                p = named[0]
                return n.PropRef(activity.name, p.name, p.type, span=e.span), self._value_type(p.type)
            glued = _glued(name, {"not": [p.name for p in activity.props]})
            if glued is not None:
                self.error("unknown-property", f"activity `{activity.name}` has no property `{name}`: {glued[0]}",
                           e.span, glued[1], edit=glued[2])
                return e, None
            guess = suggest(name, [p.name for p in activity.props])
            outside = name in self.fields or name in self.stage_index
            if guess:
                hint = f"did you mean `{guess}`?"
            elif outside:
                hint = "inside `where` names are the activity's properties; to test a field, end the `where` first: " + where_fix(ctx, name)
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
        if name in RESERVED:
            message = f"`{name}` is a word of the language and cannot be used here"
        else:
            message = f"there is no field `{name}`" if not ctx.allows("stages") else f"there is no field or stage `{name}`"
        activities = list(self.activities) + ["activity"] if ctx.allows("did") else []
        glued = _glued(name, {"not": candidates, "did": activities, "no": activities})
        if glued is not None:
            self.error("unknown-field", f"{message}: {glued[0]}", e.span, glued[1], edit=glued[2])
            return e, None
        guess = suggest(name, candidates)
        if guess is None:  # a misspelt score (`engagment >= 60`) or grade, where they may stand
            words = (["engagement", "fit"] if ctx.allows("scores") else []) + (["grade"] if ctx.allows("grade") else [])
            guess = suggest(name, words)
        self.error("unknown-field", message, e.span, f"did you mean `{guess}`?" if guess else "declare it in the `fields` block")
        return e, None

    def _value_type(self, t: n.FieldType) -> Type:
        return t if t.kind == "enum" else t.kind

    def _scores(self, e: Any, ctx: Any, node: Any, t: Any) -> Any:
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

    def expr_Engagement(self, e: n.Engagement, ctx: Any) -> Any:
        return self._scores(e, ctx, e, NUMBER)

    def expr_Fit(self, e: n.Fit, ctx: Any) -> Any:
        return self._scores(e, ctx, e, NUMBER)

    def expr_Grade(self, e: n.Grade, ctx: Any) -> Any:
        if not ctx.allows("grade"):
            help_ = "a grade cannot depend on itself" if ctx.kind == "grade" else None
            self.error("not-allowed", f"`grade` cannot be used in {ctx.what}", e.span, help_)
        return e, GRADE

    def expr_DaysSince(self, e: n.DaysSince, ctx: Any) -> Any:
        decl = self.fields.get(e.field_name)
        if ctx.kind == "where":
            self.error("not-allowed", f"`days since` cannot be used in {ctx.what}", e.span, "it reads a field, and `where` sees only properties")
            return e, NUMBER
        if decl is None:
            dates = [f.name for f in self.policy.fields if f.type.kind == "date"]
            guess = suggest(e.field_name, dates)
            help_ = f"did you mean `{guess}`?" if guess else "declare it in the `fields` block"  # (as any unknown field's)
            self.error("unknown-field", f"there is no field `{e.field_name}`", e.name_span, help_)
            return e, NUMBER
        self.used_fields.add(decl.name)
        if decl.type.kind != "date":
            self.error(
                "type-mismatch",
                f"`days since` needs a date field, but `{decl.name}` is a {type_name(self._value_type(decl.type))}",
                e.name_span,
                "declare the field as `date`",
            )
        return e, NUMBER

    def _number(self, e: n.Expr, ctx: Any) -> n.Expr:
        resolved, t = self.expr(e, ctx)
        if t not in (NUMBER, None):
            self.error(
                "type-mismatch",
                f"arithmetic needs numbers, but `{show(e)}` is a {type_name(t)}",
                e.span,
                "only number fields, scores and `days since` take part in `+ - *`",
            )
        return resolved

    def expr_Neg(self, e: n.Neg, ctx: Any) -> Any:
        return replace(e, operand=self._number(e.operand, ctx)), NUMBER

    def expr_Arith(self, e: n.Arith, ctx: Any) -> Any:
        return replace(e, left=self._number(e.left, ctx), right=self._number(e.right, ctx)), NUMBER

    def _logic(self, e: Any, ctx: Any, operands: Any) -> Any:
        return tuple(self.condition(o, ctx) for o in operands)

    def expr_Not(self, e: n.Not, ctx: Any) -> Any:
        return replace(e, operand=self.condition(e.operand, ctx)), COND

    def expr_And(self, e: n.And, ctx: Any) -> Any:
        return replace(e, operands=self._logic(e, ctx, e.operands)), COND

    def expr_Or(self, e: n.Or, ctx: Any) -> Any:
        return replace(e, operands=self._logic(e, ctx, e.operands)), COND

    def expr_AtLeast(self, e: n.AtLeast, ctx: Any) -> Any:
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

    def expr_Did(self, e: n.Did, ctx: Any) -> Any:
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
            where = self.condition(where, ConditionContext("where", activity=activity, what=f"the `where` of `{activity.name}`", did=e))
        return replace(e, where=where), COND


def _example_comparison(t: object) -> str:
    """A comparison that suits a value of type t (`>= 10` for a number, `= "..."` for text: `>=` on
    text is itself an error, bad-operator)."""
    if isinstance(t, n.FieldType) and t.kind == n.FieldKind.ENUM and t.members:
        return f"= {n.member_text(t.members[0])}"
    if t == TEXT or (isinstance(t, n.FieldType) and t.kind == n.FieldKind.TEXT):
        return '= "..."'
    if t == DATE or (isinstance(t, n.FieldType) and t.kind == n.FieldKind.DATE):
        return ">= 2026-01-01"
    if t == GRADE:
        return "= A"
    return ">= 10"


def _glued(name: str, after: dict[str, list[str]]) -> Optional[tuple[str, str, tuple[int, int, str]]]:
    """`notinbound`, `didaccount_deleted`: a word of the language glued to a name that may follow
    it, read as one name (docs/language-reference.md 2.3; decisions.md 68). The message's end, the
    help and the edit (relative to the name) that put the space back; None for any other name."""
    for word, names in after.items():
        rest = name[len(word):]
        if name.startswith(word) and rest in names:
            return f"`{word}` needs a space after it", f"did you mean `{word} {rest}`?", (len(word), len(word), " ")
    return None
