"""Emitter of the fit section: 0.0 plus the points of each rule that holds, in file
order. A rule whose condition a later condition repeats (BANT's `at least 3 of`)
keeps its value in a local, which the expression emitter then reads."""

from __future__ import annotations

from typing import Any

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.sections import Section
from leadpolicy.syntax import nodes as n


def fit_section(ctx: Context, block: n.Block, first: int) -> Section:
    """The function `_fit` of the fit block; `first` is the position of its first rule
    among the policy's fit rules."""
    emitter = ctx.expressions
    emitter.take_reads()
    lines = ["fit = 0.0"]
    kept: list[str] = []
    rules: list[Any] = []
    for item in block.items:
        rules.extend(item.rules if isinstance(item, n.FitGroup) else [item])
    for position, rule in enumerate(rules, first):
        if not isinstance(rule, n.FitRule):
            raise s.CompileError(f"{s.at(rule)}: not a fit rule")
        points = s.number(rule.points).code
        group = "" if rule.group is None else f" (group {s.say(rule.group)})"
        condition = emitter.condition(rule.condition).code
        action = [f"fit += {points}"]
        if float(rule.points) != 0:
            action.append(f"hits.append({{'section': 'fit', 'group': {s.lit(rule.group)}, "
                          f"'rule': {s.lit(rule.name)}, 'points': {points}}})")
        lines.append(f"# {s.at(rule)} {s.say(rule.name)}{group}{emitter.notes()}")
        if position in ctx.analysis.kept_fit:
            local = f"fit_{position + 1}"
            lines += [f"{local} = {condition}", f"if {local}:", *s.indent(action, 1)]
            kept.append(local)
            emitter.named.setdefault(rule.condition, local)
        else:  # no later condition repeats it (were the analysis wrong, that one would be written out again)
            lines += [f"if {condition}:", *s.indent(action, 1)]
    doc = [f"The fit section ({s.at(block)}): the score, 0.0 plus the points of each rule that",
           "holds, in file order; each rule that holds and has points is appended to `hits`."]
    return Section("_fit", doc, lines, [*emitter.take_reads(), "hits"], ["fit", *kept])
