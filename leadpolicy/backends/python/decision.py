"""Emitter of the decision (docs/language-reference.md section 14): disqualification first; then
promotion or a fresh placement; else the sticky previous stage and its demotions;
and the decision dict of section 7."""

from __future__ import annotations

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.sections import Section

# What the decision dict reads besides its conditions: `_outcome`'s first arguments.
_SCORES = ["previous", "qualified", "engagement", "fit", "grade", "hits"]


def decision_section(ctx: Context) -> Section:
    """The function `_outcome`: the decision dict."""
    policy = ctx.policy
    emitter = ctx.expressions
    emitter.take_reads()
    stages = policy.stages
    lines: list[str] = []
    branches: list[tuple[str, list[str]]] = []
    for rule in policy.disqualifications:
        condition = emitter.condition(rule.condition).code
        branches.append((f"{condition}:  # {s.at(rule)} {s.say(rule.name)}{emitter.notes()}",
                         [f"stage = {s.lit(s.DISQUALIFIED)}", f"kind = {s.lit(s.DISQUALIFIED)}",
                          f"rule = {s.lit(rule.name)}"]))
    branches.append((f"previous is None or previous == {s.lit(s.DISQUALIFIED)} "
                     "or qualified >= _STAGE_ORDER[previous]:",
                     ["stage = _STAGE_NAMES[qualified]", "kind = 'qualified'", "rule = None"]))
    if not policy.demotions:
        held = ["stage = previous  # no demotion rules: the lead holds its stage", "kind = 'held'", "rule = None"]
    else:
        demotions: list[tuple[str, list[str]]] = []
        for demotion in policy.demotions:
            source = ctx.analysis.stage(demotion.source, demotion)
            target = ctx.analysis.stage(demotion.target, demotion)
            if target >= source:
                raise s.CompileError(f"{s.at(demotion)}: demotion {s.say(demotion.name)} does not go down")
            condition = s.wrap(emitter.condition(demotion.condition), s.NOT)
            demotions.append((f"at == {source} and {condition}:", [
                f"# {s.at(demotion)} {s.say(demotion.name)}: {s.say(stages[source].name)}"
                f" -> {s.say(stages[target].name)}{emitter.notes()}",
                f"rule = {s.lit(demotion.name)}",
                "at = qualified" if target == 0 else f"at = {target} if qualified < {target} else qualified"]))
        held = ["at = _STAGE_ORDER[previous]", "rule = None", "while at > qualified:",
                *s.indent(s.chain(demotions, ("", ["break"]), "no_demotion"), 1),
                "stage = _STAGE_NAMES[at]",
                "kind = 'held' if rule is None else 'demoted'"]
    lines += s.chain(branches, ("", held), "undecided")
    lines += [
        "return {",
        "    'policy': POLICY_NAME,",
        "    'version': POLICY_VERSION,",
        "    'stage': stage,",
        "    'previous_stage': previous,",
        "    'change': change_of(previous, stage, _STAGE_ORDER),",
        "    'engagement': engagement,",
        "    'fit': fit,",
        "    'grade': grade,",
        "    'reason': {'kind': kind, 'stage': stage, 'rule': rule},",
        "    'hits': hits,",
        "}",
    ]
    disqualify, demote = (policy.block(kind) for kind in ("disqualify", "demote"))
    doc = ["The decision (docs/language-reference.md section 14) as the decision dict: disqualification",
           f"first{'' if disqualify is None else f' ({s.at(disqualify)})'}; then promotion or a fresh placement;",
           f"else the sticky previous stage and its demotions{'' if demote is None else f' ({s.at(demote)})'}."]
    return Section("_outcome", doc, lines, s.dedupe([*_SCORES, *emitter.take_reads()]), [])
