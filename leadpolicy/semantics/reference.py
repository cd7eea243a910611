"""The reference interpreter: docs/language-reference.md sections 8-15, walked straight off the tree.

Written to be obviously right, not fast. It is the oracle the compiled
evaluator is tested against, so every step follows docs/semantics-contract.md
to the letter and says which part of it it implements.

    decision = evaluate(checked_policy, fields, activities, as_of, previous_stage, lead_id)

`checked_policy` is the tree after the checker's resolve pass: no `Name`
(replaced by `FieldRef`, `PropRef`, `StageRef`, `EnumValue`, `GradeValue`) and
no `Paren`. Lead data is read with `leadpolicy.runtime` only; a value that
cannot be read raises `runtime.LeadDataError`.

Representations (the contract's "Input"): missing is None; text is trimmed,
lower-cased str; number float; boolean bool; enum the member's index; date int
microseconds since the epoch; activities `{type: [(age_micros, props), ...]}`.
"""

from __future__ import annotations

from typing import Any, Optional

from leadpolicy.semantics import runtime
from leadpolicy.syntax import nodes
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["evaluate"]


def evaluate(policy: nodes.Policy, fields: Any, activities: Any = (), as_of: Any = None,
             previous_stage: Any = None, lead_id: Any = None) -> dict[str, Any]:
    """The decision of docs/language-reference.md section 15 for one lead."""
    lead = _read_lead(policy, fields, activities, as_of, previous_stage, lead_id)
    return _Evaluator(policy, lead).decide()


def fired_rules(policy: nodes.Policy, fields: Any, activities: Any = (), as_of: Any = None,
                previous_stage: Any = None, lead_id: Any = None) -> set[tuple[str, str]]:
    """Every rule that fired for this lead, as (kind, name) pairs: engagement and
    fit rules that hit, the grade band chosen, each later stage whose entry condition
    held, each demotion that fired and the disqualify rule that decided. For test
    coverage; the decision itself comes from `evaluate`."""
    lead = _read_lead(policy, fields, activities, as_of, previous_stage, lead_id)
    evaluator = _Evaluator(policy, lead)
    decision = evaluator.decide()
    fired = {(hit["section"], hit["rule"]) for hit in decision["hits"]}
    if decision["grade"] is not None:
        fired.add(("grade", decision["grade"]))
    fired |= {("stage", policy.stages[i].name) for i, held in lead.stage_holds.items() if held and i > 0}
    fired |= {("demote", name) for name in evaluator.demotions_fired}
    if decision["reason"]["kind"] == "disqualified":
        fired.add(("disqualify", decision["reason"]["rule"]))
    return fired


# ---------------------------------------------------------------- input (contract: "Input")


class _Lead:
    """Everything known about one lead while it is evaluated."""

    def __init__(self, as_of: int, fields: dict[str, Any], activities: dict[str, Any], previous_stage: Optional[str]) -> None:
        self.as_of = as_of                    # int micros, UTC
        self.fields = fields                  # {field name: value or None}
        self.activities = activities          # {declared type: [(age_micros, props), ...]}
        self.previous_stage = previous_stage  # canonical stage name, "disqualified" or None
        self.props: Optional[dict[str, Any]] = None     # the current activity's properties, inside `where`
        self.engagement: Optional[float] = None
        self.fit: Optional[float] = None
        self.grade: Optional[str] = None
        self.stage_holds: dict[int, bool] = {}  # memo: stage index -> entry condition holds


def field_schema(policy: nodes.Policy) -> tuple[Any, ...]:
    """The schema `runtime.read_fields` takes (contract: "Input")."""
    return tuple((decl.name, decl.type.kind, decl.type.members) for decl in policy.fields)


def activity_types(policy: nodes.Policy) -> dict[str, Any]:
    """The types `runtime.read_activities` takes (contract: "Input")."""
    return {
        decl.name.lower(): (decl.name, tuple((p.name, p.type.kind, p.type.members) for p in decl.props))
        for decl in policy.activities
    }


def _read_lead(policy: Any, fields: Any, activities: Any, as_of: Any, previous_stage: Any, lead_id: Any) -> _Lead:
    moment = runtime.read_as_of(as_of)
    return _Lead(
        as_of=moment,
        fields=runtime.read_fields(fields, field_schema(policy), lead_id),
        activities=runtime.read_activities(activities, activity_types(policy), moment, lead_id),
        previous_stage=runtime.read_previous_stage(
            previous_stage, tuple(stage.name for stage in policy.stages), lead_id),
    )


# ---------------------------------------------------------------- the evaluator


class _Evaluator(NodeVisitor):
    """Evaluates expressions (`visit_<NodeClass>`, one per node kind) and decides the stage."""

    prefix = "visit_"

    def __init__(self, policy: nodes.Policy, lead: _Lead) -> None:
        self.policy = policy
        self.lead = lead
        self.stages = policy.stages
        self.stage_names = tuple(stage.name for stage in self.stages)
        self.demotions_fired: list[str] = []  # for test coverage (`fired_rules`)

    # ------------------------------------------------ dispatch

    def value(self, node: nodes.Expr) -> Any:
        """The value of an expression: float, str, int, bool or None (missing)."""
        return self.visit(node)

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> None:
        raise TypeError(f"the reference interpreter cannot evaluate {type(node).__name__}")

    def holds(self, node: nodes.Expr) -> bool:
        """An expression used as a condition. A boolean field alone is `value is True`,
        so a missing boolean is false (docs/language-reference.md section 13)."""
        return self.value(node) is True

    # ------------------------------------------------ literals

    def visit_Number(self, node: nodes.Number) -> float:
        return float(node.value)

    def visit_String(self, node: nodes.String) -> str:
        return node.value.lower()  # text compares case-insensitively (section 5)

    def visit_DateLit(self, node: nodes.DateLit) -> int:
        return node.micros

    def visit_Bool(self, node: nodes.Bool) -> bool:
        return node.value

    def visit_EnumValue(self, node: nodes.EnumValue) -> int:
        return node.index  # members are ordered as declared (section 5)

    def visit_GradeValue(self, node: nodes.GradeValue) -> str:
        return node.letter

    # ------------------------------------------------ references

    def visit_Name(self, node: nodes.Name) -> None:
        raise TypeError(f"unresolved name `{node.name}`: evaluate a checked policy (checker.check(...).policy)")

    def visit_Paren(self, node: nodes.Paren) -> Any:
        return self.value(node.inner)  # the resolve pass removes these; harmless if one is left

    def visit_FieldRef(self, node: nodes.FieldRef) -> Any:
        return self.lead.fields[node.name]

    def visit_PropRef(self, node: nodes.PropRef) -> Any:
        if self.lead.props is None:
            raise TypeError(f"property `{node.name}` used outside a `where`")
        return self.lead.props[node.name]

    def visit_Engagement(self, node: nodes.Engagement) -> Optional[float]:
        return self.lead.engagement

    def visit_Fit(self, node: nodes.Fit) -> Optional[float]:
        return self.lead.fit

    def visit_Grade(self, node: nodes.Grade) -> Optional[str]:
        return self.lead.grade

    def visit_StageRef(self, node: nodes.StageRef) -> bool:
        # Section 5: a stage's name as a condition means its entry condition holds.
        return self.stage_holds(node.index)

    def visit_DaysSince(self, node: nodes.DaysSince) -> Optional[float]:
        # Section 5: whole days, floor((as_of - value) / 1 day).
        value = self.lead.fields[node.field_name]
        if value is None:
            return None
        return float((self.lead.as_of - value) // nodes.MICROS_PER_DAY)

    # ------------------------------------------------ arithmetic (missing in, missing out)

    def visit_Neg(self, node: nodes.Neg) -> Optional[float]:
        operand: Optional[float] = self.value(node.operand)
        if operand is None:
            return None
        return -operand

    def visit_Arith(self, node: nodes.Arith) -> Optional[float]:
        left: Optional[float] = self.value(node.left)
        right: Optional[float] = self.value(node.right)
        if left is None or right is None:
            return None
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        raise ValueError(f"unknown arithmetic operator `{node.op}`")

    # ------------------------------------------------ comparisons and tests

    def visit_Compare(self, node: nodes.Compare) -> bool:
        # Section 5: `a != b` means `not (a = b)`; every other comparison that
        # involves a missing value is false.
        left = self.value(node.left)
        right = self.value(node.right)
        if node.op == "!=":
            return not (left is not None and right is not None and left == right)
        if left is None or right is None:
            return False
        if node.op == "=":
            return bool(left == right)
        if node.op == "<":
            return bool(left < right)
        if node.op == "<=":
            return bool(left <= right)
        if node.op == ">":
            return bool(left > right)
        if node.op == ">=":
            return bool(left >= right)
        raise ValueError(f"unknown comparison `{node.op}`")

    def visit_InList(self, node: nodes.InList) -> bool:
        # Section 5: `x in (...)` is false when x is missing; `not in` is `not (x in (...))`.
        operand = self.value(node.operand)
        items = [self.value(item) for item in node.items]
        is_in = operand is not None and any(bool(operand == item) for item in items)
        return (not is_in) if node.negated else is_in

    def visit_TextTest(self, node: nodes.TextTest) -> bool:
        left: Optional[str] = self.value(node.left)
        right: Optional[str] = self.value(node.right)
        if left is None or right is None:
            return False
        # both sides are already lower-cased (runtime readers, visit_String)
        if node.op == "starts with":
            return left.startswith(right)
        if node.op == "ends with":
            return left.endswith(right)
        if node.op == "contains":
            return right in left
        raise ValueError(f"unknown text test `{node.op}`")

    def visit_IsMissing(self, node: nodes.IsMissing) -> bool:
        missing = self.value(node.operand) is None
        return (not missing) if node.negated else missing  # negated: `is present`

    # ------------------------------------------------ logic

    def visit_Not(self, node: nodes.Not) -> bool:
        return not self.holds(node.operand)  # plain boolean negation (section 5)

    def visit_And(self, node: nodes.And) -> bool:
        return all(self.holds(operand) for operand in node.operands)

    def visit_Or(self, node: nodes.Or) -> bool:
        return any(self.holds(operand) for operand in node.operands)

    def visit_AtLeast(self, node: nodes.AtLeast) -> bool:
        return sum(1 for condition in node.conditions if self.holds(condition)) >= node.count

    # ------------------------------------------------ activities

    def visit_Did(self, node: nodes.Did) -> bool:
        # Section 5: at least N activities of the type (any declared type for
        # `activity`) inside the window satisfy the `where`; `no` is `not did`.
        if node.activity is None:
            types = list(self.lead.activities)
        else:
            types = [node.activity]
        count = 0
        for activity_type in types:
            count += len(self.matching(activity_type, node.where, node.within))
        did = count >= node.times
        return (not did) if node.negated else did

    def matching(self, activity_type: str, where: Optional[nodes.Expr],
                 within: Optional[nodes.Duration]) -> list[Any]:
        """The (age, props) of that type's activities, in input order, inside the window
        `[as_of - within, as_of]` (age <= within) whose properties satisfy `where`.
        Activities after `as_of` were already dropped by the reader, so 0 <= age."""
        found = []
        for age, props in self.lead.activities[activity_type]:
            if within is not None and not age <= within.micros:
                continue
            if where is not None and not self.where_holds(where, props):
                continue
            found.append((age, props))
        return found

    def where_holds(self, where: nodes.Expr, props: dict[str, Any]) -> bool:
        """A `where` condition, with names meaning this activity's properties."""
        outer = self.lead.props
        self.lead.props = props
        try:
            return self.holds(where)
        finally:
            self.lead.props = outer

    # ------------------------------------------------ stages

    def stage_holds(self, index: int) -> bool:
        """Whether the lead meets stage `index`'s entry condition; computed on demand
        and remembered for this lead. The first stage always holds (section 3)."""
        if index not in self.lead.stage_holds:
            condition = self.stages[index].condition
            if index == 0 or condition is None:
                self.lead.stage_holds[index] = True
            else:
                self.lead.stage_holds[index] = self.holds(condition)
        return self.lead.stage_holds[index]

    # ------------------------------------------------ scores (section 4; contract "Scores")

    def decay_factor(self, age: int) -> float:
        """(1 - X/100) ** floor(age / every), with an int exponent; 1.0 without decay."""
        decay = self.policy.decay
        if decay is None:
            return 1.0
        base = 1 - decay.percent / 100
        return base ** (age // decay.every.micros)

    def engagement_rule(self, rule: nodes.EngagementRule) -> tuple[float, int]:
        """(total after decay and cap, how many activities matched before the cap)."""
        matched = self.matching(rule.activity, rule.where, rule.within)
        points = float(rule.points)
        total = 0.0
        for age, _props in matched:
            total += points * self.decay_factor(age)
        if rule.max is not None:
            cap = float(rule.max)
            if points >= 0:
                total = min(total, cap)
            else:
                total = max(total, -cap)  # a negative rule's total is never below -max
        return total, len(matched)

    def score_engagement(self) -> tuple[float, list[Any]]:
        """Engagement: 0.0, then += each rule's total in file order. Also the hits."""
        engagement = 0.0
        hits = []
        for rule in self.policy.engagement_rules:
            total, count = self.engagement_rule(rule)
            engagement += total
            if total != 0:
                hits.append((rule, {"section": "engagement", "rule": rule.name,
                                    "points": total, "count": count}))
        return engagement, hits

    def score_fit(self) -> tuple[float, list[Any]]:
        """Fit: 0.0, then += points for each rule (groups flattened) whose condition holds."""
        fit = 0.0
        hits = []
        for rule in self.policy.fit_rules:
            if self.holds(rule.condition):
                points = float(rule.points)
                fit += points
                if points != 0:
                    hits.append((rule, {"section": "fit", "group": rule.group,
                                        "rule": rule.name, "points": points}))
        return fit, hits

    def grade(self) -> Optional[str]:
        """The first band whose condition holds (`otherwise` always holds); else None."""
        for band in self.policy.grades:
            if band.condition is None or self.holds(band.condition):
                return band.letter
        return None

    # ------------------------------------------------ the decision (sections 6 and 7)

    def decide(self) -> dict[str, Any]:
        lead = self.lead

        # Section 6, step 1: engagement, fit and grade.
        lead.engagement, engagement_hits = self.score_engagement()
        lead.fit, fit_hits = self.score_fit()
        lead.grade = self.grade()

        # Step 2: the qualified stage is the highest stage whose entry condition holds.
        qualified = 0
        for index in range(len(self.stages)):
            if self.stage_holds(index):
                qualified = index

        stage, reason = self.place(qualified)

        order = {name: index for index, name in enumerate(self.stage_names)}
        order[nodes.DISQUALIFIED] = len(self.stage_names)
        return {
            "policy": self.policy.name,
            "version": self.policy.version,
            "stage": stage,
            "previous_stage": lead.previous_stage,
            "change": runtime.change_of(lead.previous_stage, stage, order),
            "engagement": lead.engagement,
            "fit": lead.fit,
            "grade": lead.grade,
            "reason": reason,
            "hits": self.in_file_order(engagement_hits + fit_hits),
        }

    def place(self, qualified: int) -> tuple[str, dict[str, Any]]:
        """Section 6, steps 3-5: the resulting stage name and the reason."""
        # Step 3: the first disqualify rule, in file order, whose condition holds.
        for rule in self.policy.disqualifications:
            if self.holds(rule.condition):
                return nodes.DISQUALIFIED, _reason("disqualified", nodes.DISQUALIFIED, rule.name)

        # Step 4: no previous stage, previous disqualified, or qualified >= previous:
        # the qualified stage (a promotion or a fresh placement).
        previous = self.lead.previous_stage
        if previous is None or previous == nodes.DISQUALIFIED or qualified >= self.stage_names.index(previous):
            return self.stage_names[qualified], _reason("qualified", self.stage_names[qualified], None)

        # Step 5: stages are sticky. Start at S = the previous stage and repeat.
        s = self.stage_names.index(previous)
        last_fired = None
        while True:
            # if S is at or below the qualified stage, stop
            if s <= qualified:
                break
            # take the first demotion rule, in file order, whose source is S and whose condition holds
            demotion = self.first_demotion_from(self.stage_names[s])
            # if there is none, stop
            if demotion is None:
                break
            # else S = its target, raised to the qualified stage if it is lower
            last_fired = demotion
            self.demotions_fired.append(demotion.name)
            s = max(self.stage_names.index(demotion.target), qualified)
            if s >= self.stage_names.index(demotion.source):
                raise ValueError(f"demotion rule `{demotion.name}` does not go downward")  # checker forbids
        name = self.stage_names[s]
        if last_fired is None:
            return name, _reason("held", name, None)        # the lead stays where it was
        return name, _reason("demoted", name, last_fired.name)

    def first_demotion_from(self, source: str) -> Optional[nodes.DemoteRule]:
        for rule in self.policy.demotions:
            if rule.source == source and self.holds(rule.condition):
                return rule
        return None

    def in_file_order(self, hits: list[Any]) -> list[Any]:
        """Section 7: hits in file (source) order of the rules. By each rule's source
        position when every rule has one; otherwise by the position of its block in
        the policy (blocks are kept in file order), then its place in the block."""
        if all(rule.span is not None for rule, _ in hits):
            return [hit for _, hit in sorted(hits, key=lambda pair: pair[0].span.start)]
        block_of = {}
        for position, block in enumerate(self.policy.blocks):
            if block.kind in ("engagement", "fit"):
                block_of[block.kind] = position
        # sorted() is stable: within a block, hits keep their file order
        return [hit for _, hit in sorted(hits, key=lambda pair: block_of[pair[1]["section"]])]


def _reason(kind: str, stage: str, rule: Optional[str]) -> dict[str, Any]:
    return {"kind": kind, "stage": stage, "rule": rule}
