"""Pass `warnings`: unreachable thresholds and grades, rules that never fire, unused names."""

from __future__ import annotations

import math

from leadpolicy.check.base import (
    State,
    highest_engagement,
)
from leadpolicy.check.passes import lints_more as lints
from leadpolicy.check.passes.look_alikes import look_alike_names
from leadpolicy.syntax import nodes as n


class LintsPass(State):
    # -- warnings

    def check_warnings(self, resolved: n.Policy) -> None:
        best_engagement = highest_engagement(resolved)
        best_fit = sum(r.points for r in resolved.fit_rules if r.points > 0)
        lints.unreachable_grades(resolved, self.warn)
        look_alike_names(resolved, self.warn)  # not caused by other errors: said with them too
        for node in resolved.walk():
            if isinstance(node, n.Compare):
                self._threshold(node, best_engagement, best_fit)
        if any(d.is_error for d in self.diagnostics):
            return  # unused names are noise next to errors, and often caused by them
        for f in resolved.fields:
            if f.name not in self.used_fields:
                self.warn("unused-field", f"the field `{f.name}` is not used by any rule", f.name_span, "remove it, or use it in a rule")
        scored = {r.activity for r in resolved.engagement_rules}  # once: a policy may have 20,000 of each
        for a in resolved.activities:
            if a.name not in self.used_activities and a.name not in scored:
                self.warn(
                    "unused-activity",
                    f"the activity `{a.name}` is not used by any rule",
                    a.name_span,
                    "remove it, or score it in the `engagement` block",
                )
        for fit_rule in resolved.fit_rules:
            if fit_rule.points == 0:
                self.warn("never-fires", f"the rule `{fit_rule.name}` gives 0 points, so it never hits", fit_rule.span,
                          "give it points or remove it")
        for engagement_rule in resolved.engagement_rules:
            if engagement_rule.points == 0:
                self.warn("never-fires", f"the rule `{engagement_rule.name}` gives 0 points, so it never hits", engagement_rule.span,
                          "give it points or remove it")
        conditional: list[n.FitRule | n.DemoteRule | n.DisqualifyRule] = [*resolved.fit_rules, *resolved.demotions, *resolved.disqualifications]
        for rule in conditional:
            if isinstance(rule.condition, n.Bool) and rule.condition.value is False:
                self.warn("never-fires", f"the rule `{rule.name}` has the condition `false`, so it never fires", rule.span)

    def _threshold(self, node: n.Compare, best_engagement: float, best_fit: float) -> None:
        for score, other, op, best in (
            (node.left, node.right, node.op, None),
            (node.right, node.left, n.MIRRORED[node.op], None),
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
