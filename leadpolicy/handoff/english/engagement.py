"""The engagement section in English: each rule's points, and the decay."""

from __future__ import annotations

from typing import Optional

from leadpolicy.handoff.english.expressions import ExpressionEnglish
from leadpolicy.handoff.english.words import duration, number, points_phrase, sentence
from leadpolicy.syntax import nodes as n


def engagement_sentence(en: ExpressionEnglish, rule: n.EngagementRule, decay: Optional[n.Decay] = None) -> str:
    """ "5 points per page view whose path starts with "/blog" in the last 90 days, at most 50; points halve every 30 days"."""
    text = f"{points_phrase(rule.points)} per {en.activity_noun(rule.activity)}"
    if rule.where is not None:
        text += " " + en.whose(rule.where)
    if rule.within is not None:
        text += f" in the last {duration(rule.within)}"
    if rule.max is not None:
        text += f", at most {number(rule.max)}" if rule.points >= 0 else f", capped at {number(-rule.max)} in total"
    if decay is not None:
        text += "; " + decay_phrase(decay)
    return text


def decay_phrase(decay: n.Decay) -> str:
    """ "points halve every 30 days" (50%), "points lose 25% every 30 days", "points expire after 30 days" (100%)."""
    every = duration(decay.every)
    if decay.percent == 50:
        return f"points halve every {every}"
    if decay.percent >= 100:
        return f"points expire after {every}"
    return f"points lose {number(decay.percent)}% every {every}"


def decay_sentence(decay: Optional[n.Decay]) -> str:
    if decay is None:
        return "Points do not decay: an activity counts in full for as long as its rule's window allows."
    every = duration(decay.every)
    if decay.percent >= 100:
        return f"Points expire after {every}: an activity counts in full until it is {every} old, and then not at all."
    factor = number(1 - decay.percent / 100)
    return (
        sentence(decay_phrase(decay))[:-1]
        + f": an activity's points are multiplied by {factor} for every full {every} of its age,"
        " before the rule's cap is applied."
    )
