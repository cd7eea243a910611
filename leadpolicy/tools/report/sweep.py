"""The threshold sweep's count, exact: the leads that would reach a stage with one comparison's
number replaced (docs/report.md, "Threshold sweep").

A lead reaches a stage X exactly when at some moment of its replay it is not disqualified and
some stage at or above X has its entry condition holding: the stage carried forward only holds a
lead where it already was (docs/language-reference.md section 6), so the previous stage plays no
part in it. At a moment, that predicate depends on the swept comparison's number T only through
whether the comparison holds; P1 is the predicate with the comparison forced true, P0 forced
false (variants of the policy with the comparison node rewritten to `true` / `false`, wherever
its stage's name is used as a condition too). So the lead reaches X at T when some moment has
P1 and P0 (at any T), or P1 alone and the comparison holding at T, or P0 alone and it failing.
For `engagement >= T` a lead keeps two numbers: `high`, the highest engagement over moments of
P1 alone (it reaches X for T <= high), and `low`, the lowest over moments of P0 alone (for
T > low), -inf when some moment has both. `>` alike; `<` and `<=` the mirror (lowest over P1
alone, highest over P0 alone, +inf for both).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import operator
from types import ModuleType
from typing import Any, Optional

from leadpolicy.syntax import nodes as n

_MODULES: dict[str, ModuleType] = {}
# `score OP value` as holds(value, score): operator's functions with the operands swapped
_HOLDS = {">=": operator.le, ">": operator.lt, "<=": operator.ge, "<": operator.gt}


class Probe:
    """One threshold sweep of a policy: its two variants (None where the predicate is a constant)."""

    def __init__(self, policy: Any, threshold: Any) -> None:
        tree = policy.tree
        names = [s.name for s in tree.stages]
        index = names.index(threshold.stage)
        self.engagement = threshold.score == "engagement"
        self.up = threshold.op in (">=", ">")
        self.holds = functools.partial(_HOLDS[threshold.op], threshold.value)  # the comparison at its number
        self.always = float("-inf") if self.up else float("inf")  # `low` (`high` for < and <=) when both hold
        self.reaching = frozenset(names[index:])  # the stages at or above X ("disqualified" is not one)
        self.constant: list[Optional[bool]] = []
        self.modules: list[Optional[ModuleType]] = []
        for forced in (True, False):
            variant = _force(tree, threshold.node, forced)
            constant = _constant_reach(variant, index)
            self.constant.append(constant)
            self.modules.append(None if constant is not None else _compile(variant, policy))


def probes_of(policy: Any) -> list[Probe]:
    """One Probe per threshold sweep of the policy, in metrics.thresholds_of's order."""
    from leadpolicy.tools.report.metrics import thresholds_of

    return [Probe(policy, t) for t in thresholds_of(policy.tree)]


def _force(tree: n.Policy, target: Any, value: bool) -> n.Policy:
    """The tree with the node `target` (by identity) replaced by the constant `value`."""
    constant = n.Bool(value, span=target.span)

    def rebuild(item: Any) -> Any:
        if item is target:
            return constant
        if isinstance(item, tuple):
            items = tuple(rebuild(x) for x in item)
            return items if any(a is not b for a, b in zip(items, item)) else item
        if isinstance(item, n.Node):
            changes = {}
            for f in dataclasses.fields(item):
                value = getattr(item, f.name)
                new = rebuild(value)
                if new is not value:
                    changes[f.name] = new
            return dataclasses.replace(item, **changes) if changes else item
        return item

    rebuilt = rebuild(tree)
    assert rebuilt is not tree, "the comparison is in the tree"
    return rebuilt  # type: ignore[no-any-return]


def _truth(expr: Any, stages: list[Optional[bool]]) -> Optional[bool]:
    """The condition's truth when it is the same for every lead and moment, else None."""
    if isinstance(expr, n.Bool):
        return bool(expr.value)
    if isinstance(expr, n.Paren):
        return _truth(expr.inner, stages)
    if isinstance(expr, n.Not):
        inner = _truth(expr.operand, stages)
        return None if inner is None else not inner
    if isinstance(expr, (n.And, n.Or)):
        truths = [_truth(operand, stages) for operand in expr.operands]
        decisive = isinstance(expr, n.Or)  # the value that decides: True for `or`, False for `and`
        if decisive in truths:
            return decisive
        return (not decisive) if None not in truths else None
    if isinstance(expr, n.StageRef):
        return True if expr.index == 0 else (stages[expr.index] if expr.index < len(stages) else None)
    return None


def _constant_reach(tree: n.Policy, index: int) -> Optional[bool]:
    """Whether the predicate `reaches stage number index` is a constant of the tree."""
    stages: list[Optional[bool]] = []
    for i, stage in enumerate(tree.stages):
        stages.append(True if i == 0 or stage.condition is None else _truth(stage.condition, stages))
    above = stages[index:]
    if all(truth is False for truth in above):
        return False
    if True in above and not tree.disqualifications:
        return True
    return None


def _compile(tree: n.Policy, policy: Any) -> ModuleType:
    from leadpolicy import LeadDataError
    from leadpolicy.backends.python.compiler import compile_policy, load_module

    python = compile_policy(tree, policy.source, policy.path)
    key = hashlib.sha256(python.encode("utf-8")).hexdigest()
    module = _MODULES.get(key)
    if module is None:
        module = load_module(python, "leadpolicy_sweep_" + key[:16])
        setattr(module, "LeadDataError", LeadDataError)
        _MODULES[key] = module
    return module
