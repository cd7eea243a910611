"""The decision's last word in English: demotions and disqualifications."""

from __future__ import annotations

from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import Prose, a_stage, the_stage, upper_first
from leadpolicy.syntax import nodes as n


def demotion_sentence(en: ExpressionEnglish, rule: n.DemoteRule) -> Prose:
    return en.when(f"{upper_first(a_stage(rule.source))} falls back to {the_stage(rule.target)}", rule.condition)


def disqualify_sentence(en: ExpressionEnglish, rule: n.DisqualifyRule) -> Prose:
    return en.when("A lead is disqualified", rule.condition)
