"""The analysis pass: everything the emitters must know before they write a line.

Which fields and activity properties the policy's conditions read (each becomes
a local of `evaluate`), which engagement rules and `did` counts each activity
type feeds, and which fit rules' conditions later conditions repeat (BANT's
`at least 3 of (...)`): those rules keep their value in a local. The emitters
then write the module front to back and never revisit a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional

from leadpolicy.backends.python import source as s
from leadpolicy.syntax import nodes as n

# Or-ed tests of one value against literals are grouped from this many on.
RUN = 3


@dataclass
class Total:
    """One engagement rule's running total and count."""

    rule: n.EngagementRule
    total: str
    count: str
    within: Optional[int]  # micros


@dataclass
class Counter:
    """One `did` count: activities of a type (every type: None), in a window, with a `where`."""

    name: str
    activity: Optional[str]
    where: Optional[n.Expr]
    within: Optional[int]
    comment: str


@dataclass
class Loop:
    """What evaluate does with each activity of one declared type."""

    decl: n.ActivityDecl
    props: dict[str, str] = field(default_factory=dict)  # property read by a condition -> local
    totals: list[Total] = field(default_factory=list)
    counters: list[Counter] = field(default_factory=list)


@dataclass
class Analysis:
    policy: n.Policy
    fields: dict[str, n.FieldDecl]
    activities: dict[str, n.ActivityDecl]
    field_locals: dict[str, str]  # field a condition reads -> its local
    loops: dict[str, Loop]  # activity types that feed a total or a count, by name
    totals: list[Total]  # engagement rules in file order
    counters: dict[tuple, Counter]  # (activity, where, within) -> counter
    stage_locals: list[str]
    kept_fit: set[int]  # positions (in fit_rules) of fit rules whose condition a later one repeats
    decay_base: Optional[str]  # the literal (1 - X/100)
    decay_every: int  # micros

    def __post_init__(self) -> None:
        self._activities_lower = {decl.name.lower(): decl for decl in self.activities.values()}
        names = [decl.name for decl in self.policy.stages]
        self._stages = {name: i for i, name in reversed(list(enumerate(names)))}
        self._stages_lower = {name.lower(): i for i, name in reversed(list(enumerate(names)))}

    def activity(self, activity: str, node: n.Node) -> n.ActivityDecl:
        decl = self.activities.get(activity) or self._activities_lower.get(str(activity).lower())
        if decl is None:
            raise s.CompileError(f"{s.at(node)}: unknown activity {s.say(activity)} (was the policy checked?)")
        return decl

    def stage(self, stage: str, node: n.Node) -> int:
        index = self._stages.get(stage)
        if index is None:
            index = self._stages_lower.get(str(stage).lower())
        if index is None:
            raise s.CompileError(f"{s.at(node)}: unknown stage {s.say(stage)} (was the policy checked?)")
        return index

    def counter_key(self, node: n.Did) -> tuple:
        within = s.micros(node.within) if node.within is not None else None
        activity = self.activity(node.activity, node).name if node.activity is not None else None
        return (activity, node.where, within)


def run_key(node: n.Expr) -> Optional[tuple]:
    """What or-ed tests must share to be one test against a tuple or set: the value
    tested (a plain field or property) and the kind of test; None for other nodes."""
    if isinstance(node, n.TextTest) and node.op in ("starts with", "ends with") and isinstance(node.right, n.String):
        kind = node.op
    elif isinstance(node, n.Compare) and node.op == "=" and isinstance(node.right, s_LITERALS) \
            and not isinstance(node.right, n.DateLit):
        kind = "="
    else:
        return None
    if not isinstance(node.left, (n.FieldRef, n.PropRef)) or node.left.type.kind == "boolean":
        return None
    return (kind, node.left)


s_LITERALS = (n.Number, n.String, n.DateLit, n.Bool, n.EnumValue, n.GradeValue)


def runs(operands) -> list[list]:
    """The operands in order, consecutive groupable ones (same `run_key`) together."""
    found: list[list] = []
    last = None
    for operand in operands:
        key = run_key(operand)
        if key is not None and key == last:
            found[-1].append(operand)
        else:
            found.append([operand])
        last = key
    return found


def condition_nodes(node: n.Expr, named) -> Iterator[n.Expr]:
    """The nodes the expression emitter takes as conditions, in its order, stopping
    at those held in a local (`named`): where it looks a condition up."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        if current in named:
            continue
        if isinstance(current, n.Paren):
            children = [current.inner]
        elif isinstance(current, n.Not):
            children = [current.operand]
        elif isinstance(current, n.And):
            children = list(current.operands)
        elif isinstance(current, n.Or):
            children = [operand for run in runs(current.operands) if len(run) < RUN for operand in run]
        elif isinstance(current, n.AtLeast):
            children = list(current.conditions)
        else:
            children = []
        pending.extend(reversed(children))


def _walk(node: n.Node) -> Iterator[n.Node]:
    """Every node under `node`, itself first, children left to right (no recursion)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(reversed(list(current.children())))


def scope_conditions(policy: n.Policy) -> list[tuple[str, n.Expr]]:
    """The conditions outside any `where`, in the order the module evaluates them:
    fit rules (blocks in file order), grade bands, stages, disqualify, demote."""
    found = [("fit", rule.condition) for rule in policy.fit_rules]
    found += [("grade", band.condition) for band in policy.grades if band.condition is not None]
    found += [("stage", stage.condition) for stage in policy.stages[1:] if stage.condition is not None]
    found += [("disqualify", rule.condition) for rule in policy.disqualifications]
    found += [("demote", rule.condition) for rule in policy.demotions]
    return found


def analyse(policy: n.Policy) -> Analysis:
    if not isinstance(policy, n.Policy):
        raise s.CompileError("compile_policy needs a checked nodes.Policy")
    if not policy.stages:
        raise s.CompileError("a policy needs at least one stage")
    decay = policy.decay
    decay_base, decay_every = None, 0
    if decay is not None:
        decay_every = s.micros(decay.every)
        if decay_every <= 0:
            raise s.CompileError(f"{s.at(decay)}: the decay period must be positive")
        decay_base = s.lit(float(1 - decay.percent / 100))
    result = Analysis(
        policy=policy,
        fields={decl.name: decl for decl in policy.fields},
        activities={decl.name: decl for decl in policy.activities},
        field_locals={}, loops={}, totals=[], counters={},
        stage_locals=[s.name("is_", stage.name, i) for i, stage in enumerate(policy.stages)],
        kept_fit=set(), decay_base=decay_base, decay_every=decay_every,
    )
    _engagement(result)
    conditions = scope_conditions(policy)
    wheres = [rule.where for rule in policy.engagement_rules if rule.where is not None]
    _references(result, wheres + [node for _, node in conditions])
    _kept_fit(result, conditions)
    return result


def _loop(result: Analysis, decl: n.ActivityDecl) -> Loop:
    loop = result.loops.get(decl.name)
    if loop is None:
        loop = result.loops[decl.name] = Loop(decl)
    return loop


def _engagement(result: Analysis) -> None:
    for number, rule in enumerate(result.policy.engagement_rules, 1):
        decl = result.activity(rule.activity, rule)
        within = s.micros(rule.within) if rule.within is not None else None
        total = Total(rule, f"eng_{number}", f"n_{number}", within)
        result.totals.append(total)
        _loop(result, decl).totals.append(total)
        if rule.where is not None:
            _properties(result, decl, rule.where)


def _properties(result: Analysis, decl: n.ActivityDecl, where: n.Expr) -> None:
    loop = _loop(result, decl)
    declared = [p.name for p in decl.props]
    for node in _walk(where):
        if isinstance(node, n.PropRef):
            if node.name not in declared:
                raise s.CompileError(f"{s.at(node)}: {s.say(node.name)} is not a property of {s.say(decl.name)}")
            loop.props.setdefault(node.name, "")
    # locals in declaration order
    for number, prop in enumerate(decl.props, 1):
        if prop.name in loop.props and not loop.props[prop.name]:
            loop.props[prop.name] = s.name("p_", prop.name, number)


def _references(result: Analysis, conditions: list[n.Expr]) -> None:
    """Fields read and `did` counters, in the order the conditions are written."""
    used: set[str] = set()
    for condition in conditions:
        for node in _walk(condition):
            if isinstance(node, n.FieldRef):
                used.add(node.name)
            elif isinstance(node, n.DaysSince):
                used.add(node.field_name)
            elif isinstance(node, n.Did):
                _counter(result, node)
    for name in used:
        if name not in result.fields:
            raise s.CompileError(f"unknown field {s.say(name)} (was the policy checked?)")
    for number, decl in enumerate(result.policy.fields, 1):
        if decl.name in used:
            result.field_locals[decl.name] = s.name("f_", decl.name, number)


def _counter(result: Analysis, node: n.Did) -> None:
    key = result.counter_key(node)
    if key in result.counters:
        return
    if node.activity is None:
        if node.where is not None:
            raise s.CompileError(f"{s.at(node)}: `did activity` takes no `where`")
        decls = list(result.policy.activities)
    else:
        decls = [result.activity(node.activity, node)]
    what = "activity" if node.activity is None else s.say(decls[0].name)
    counter = Counter(f"did_{len(result.counters) + 1}", key[0], node.where, key[2], f"{s.at(node)}: did {what}")
    result.counters[key] = counter
    for decl in decls:
        _loop(result, decl).counters.append(counter)
    if node.where is not None:
        _properties(result, decls[0], node.where)


def _kept_fit(result: Analysis, conditions: list[tuple[str, n.Expr]]) -> None:
    """The fit rules whose condition a later condition repeats, as the emitter will
    find it: each fit rule's condition is known by its local once it is written."""
    named: dict[n.Expr, int] = {}
    fit = 0
    for kind, condition in conditions:
        for node in condition_nodes(condition, named):
            if node in named:
                result.kept_fit.add(named[node])
        if kind == "fit":
            named.setdefault(condition, fit)
            fit += 1
