"""Emitter of the qualified stage: each later stage's entry condition in a local
(stage names used as conditions read it), then the highest stage that holds."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context


def stage_section(ctx: Context) -> list[str]:
    stages = ctx.policy.stages
    emitter = ctx.expressions
    stage_locals = ctx.analysis.stage_locals
    lines = [f"# ---- qualified stage ({s.at(ctx.policy.block('stages'))}): the highest stage whose entry",
             "# condition holds; the first stage always holds"]
    for i, stage in enumerate(stages[1:], 1):
        condition = "True" if stage.condition is None else emitter.condition(stage.condition).code
        lines.append(f"{stage_locals[i]} = {condition}  # {s.at(stage)} {s.say(stage.name)}{emitter.notes()}")
    if len(stages) == 1:
        return lines + ["qualified = 0"]
    branches = [(f"{stage_locals[i]}:", [f"qualified = {i}"]) for i in range(len(stages) - 1, 0, -1)]
    return lines + s.chain(branches, ("", ["qualified = 0"]), "no_stage")
