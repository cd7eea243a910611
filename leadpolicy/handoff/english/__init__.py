"""Plain English for conditions and rules, made from the resolved AST.

A back end like the compiler: an expression renderer (`expressions.py`, one
`visit_<NodeKind>` method per node kind, each returning a short phrase) and
one small renderer per section of the decision (`stages.py`, `engagement.py`,
`fit.py`, `grades.py`, `decision.py` for demotions and disqualifications), as
in `backends/python/`; `words.py` holds the words they share. The phrases are
for the people who sign the handoff off, so they speak of "its engagement
score", "a page view" and "the last 30 days", and they say "(or unknown)"
where a missing value makes a condition hold (docs/language-reference.md
section 13.12: `!=`, `not in`, `not`).

Two shapes come out:

- `English.condition(expr)` is one line of text. Mixed `and`/`or` reads
  "... and either ... or ..."; where that would be unclear it uses
  parentheses; `at least N of` reads "at least N of: a; b; c".
- `English.prose(expr)` is a str when one line reads well, else a `Clauses`
  (an intro such as "all of these hold" and its items), which the documents
  show as a bulleted list.

The sentences for whole rules (`stage_sentence`, `engagement_sentence`, ...)
are built from those by the section renderers; `English` gathers them as
methods for the documents, the diagram and `leadpolicy diff`. Nothing here
knows about Markdown or HTML: escaping is the documents' job.
"""

from __future__ import annotations

from typing import Optional

from leadpolicy.handoff.english import decision, engagement, fit, grades, look_alikes, stages
from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import (
    ACRONYMS,
    Clauses,
    Prose,
    a_stage,
    article,
    becomes,
    duration,
    is_acronym,
    join_or,
    number,
    plural,
    points,
    points_phrase,
    sentence,
    stage_is_noun,
    stage_title,
    the_stage,
    upper_first,
    with_article,
    words,
)
from leadpolicy.syntax import nodes as n

__all__ = [
    "ACRONYMS", "Clauses", "English", "ExpressionEnglish", "Prose", "a_stage", "article", "becomes", "duration",
    "is_acronym", "join_or", "number", "plural", "points", "points_phrase", "sentence", "stage_is_noun", "stage_title",
    "the_stage", "upper_first", "with_article", "words",
]


class English(ExpressionEnglish):
    """Plain English for the conditions and rules of one resolved policy."""

    def stage_sentence(self, stage: n.StageDecl, index: int) -> Prose:
        return stages.stage_sentence(self, stage, index)

    def engagement_sentence(self, rule: n.EngagementRule, decay: Optional[n.Decay] = None) -> str:
        return engagement.engagement_sentence(self, rule, decay)

    def decay_phrase(self, decay: n.Decay) -> str:
        return engagement.decay_phrase(decay)

    def decay_sentence(self, decay: Optional[n.Decay]) -> str:
        return engagement.decay_sentence(decay)

    def fit_sentence(self, rule: n.FitRule) -> Prose:
        return fit.fit_sentence(self, rule)

    def grade_sentence(self, band: n.GradeBand) -> Prose:
        return grades.grade_sentence(self, band)

    def demotion_sentence(self, rule: n.DemoteRule) -> Prose:
        return decision.demotion_sentence(self, rule)

    def disqualify_sentence(self, rule: n.DisqualifyRule) -> Prose:
        return decision.disqualify_sentence(self, rule)

    def look_alike_notes(self) -> list[str]:
        return look_alikes.look_alike_notes(self.policy)
