"""The stages section in English: how a lead enters each stage."""

from __future__ import annotations

from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import Prose, becomes
from leadpolicy.syntax import nodes as n


def stage_sentence(en: ExpressionEnglish, stage: n.StageDecl, index: int) -> Prose:
    """ "A lead becomes an MQL when ..." (the first stage: every lead is there)."""
    if index == 0 or stage.condition is None:
        return "Every lead starts here: this stage has no entry criteria."
    return en.when(f"A lead {becomes(stage.name)}", stage.condition)
