"""Emitter of the qualified stage: each later stage's entry condition in a local
(stage names used as conditions read it), then the highest stage that holds."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.sections import Section


def stage_section(ctx: Context) -> Section:
    """The function `_qualified_stage`: the position of the qualified stage in
    _STAGE_NAMES, and the entry conditions later sections read."""
    stages = ctx.policy.stages
    emitter = ctx.expressions
    emitter.take_reads()
    stage_locals = ctx.analysis.stage_locals
    doc = [f"The qualified stage ({s.at(ctx.policy.block('stages'))}): the position in _STAGE_NAMES of the",
           "highest stage whose entry condition holds; the first stage always holds."]
    lines: list[str] = []
    for i, stage in enumerate(stages[1:], 1):
        condition = "True" if stage.condition is None else emitter.condition(stage.condition).code
        lines.append(f"{stage_locals[i]} = {condition}  # {s.at(stage)} {s.say(stage.name)}{emitter.notes()}")
    if len(stages) == 1:
        lines.append("qualified = 0")
    else:
        branches = [(f"{stage_locals[i]}:", [f"qualified = {i}"]) for i in range(len(stages) - 1, 0, -1)]
        lines += s.chain(branches, ("", ["qualified = 0"]), "no_stage")
    return Section("_qualified_stage", doc, lines, emitter.take_reads(), ["qualified", *stage_locals[1:]])
