"""Emitter of the engagement section: each rule's total (summed per activity in
activities.py) capped by its `max`; the score is 0.0 plus the totals in file order."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.syntax import nodes as n


def engagement_section(ctx: Context, block: n.Block) -> list[str]:
    here = {id(item) for item in block.items}
    totals = [total for total in ctx.analysis.totals if id(total.rule) in here]
    lines = [f"# ---- engagement ({s.at(block)}): each rule's total capped by its `max`, then the",
             "# score: 0.0 plus the totals in file order"]
    for total in totals:
        rule = total.rule
        if rule.max is None:
            continue
        cap = float(rule.max)
        limit, test = (s.number(cap).code, ">") if float(rule.points) >= 0 else (s.number(-cap).code, "<")
        lines += [f"if {total.total} {test} {limit}:  # {s.at(rule)} {s.say(rule.name)}: max",
                  f"    {total.total} = {limit}"]
    lines += s.sum_lines("engagement", [t.total for t in totals])
    for total in totals:
        lines += [f"if {total.total} != 0.0:",
                  f"    hits.append({{'section': 'engagement', 'rule': {s.lit(total.rule.name)}, "
                  f"'points': {total.total}, 'count': {total.count}}})"]
    return lines
