"""The grades section in English: each band and when it applies."""

from __future__ import annotations

from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import Prose
from leadpolicy.syntax import nodes as n


def grade_sentence(en: ExpressionEnglish, band: n.GradeBand) -> Prose:
    if band.condition is None:
        return f"Grade {band.letter} otherwise (when no grade above applies)."
    return en.when(f"Grade {band.letter}", band.condition)
