"""The fit section in English: the points of each rule and when they apply."""

from __future__ import annotations

from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import Prose, points_phrase
from leadpolicy.syntax import nodes as n


def fit_sentence(en: ExpressionEnglish, rule: n.FitRule) -> Prose:
    return en.when(points_phrase(rule.points), rule.condition)
