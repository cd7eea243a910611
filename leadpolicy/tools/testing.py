"""Running a policy's `test` blocks (docs/language-reference.md section 17), and rule coverage.

Tests run on the compiled evaluator, the one services use. Coverage asks the
reference interpreter which rules fired (the two are held equal by the
differential tests), because a decision alone does not say which stage
conditions held or which demotions fired on the way down.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional, cast

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import LeadDataError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass
class TestOutcome:
    __test__ = False  # not a pytest class

    name: str
    path: str
    line: Optional[int]
    failures: list[str] = field(default_factory=list)
    failure_lines: list[Optional[int]] = field(default_factory=list)  # the line of each failing `expect`
    decision: Optional[dict[str, Any]] = None
    error: Optional[str] = None  # a data error raised by the test's own lead

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "line": self.line,
            "passed": self.passed,
            "failures": self.failures,
            "failure_lines": self.failure_lines,
            "error": self.error,
            "decision": self.decision,
        }


@dataclass
class Rule:
    """One rule that coverage counts: kind is engagement, fit, grade, stage, demote or disqualify."""

    kind: str
    name: str
    line: Optional[int]

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


def _moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _raw(value: n.TestValue) -> object:
    """A test literal as the data a CRM would send (read by the same runtime readers)."""
    if value.kind in ("date", "timestamp"):
        return _moment(cast(int, value.value))  # microseconds, as the parser reads them
    return value.value


def lead_of(test: n.TestBlock, now: Optional[datetime] = None) -> tuple[dict[str, Any], list[Any], datetime, Optional[str]]:
    """(fields, activities, as_of, previous stage) for a test block. Raises LeadDataError for a time
    outside the datetime range in UTC (`as of 9999-12-31T23:59:59-05:00`, `3 days ago` of 0001-01-02):
    the test's error, where it was an internal error (OverflowError) of `leadpolicy test`."""
    try:
        return _lead_of(test, now)
    except OverflowError:
        raise LeadDataError("a time of this test is outside the times leadpolicy reads: 0001-01-01 to 9999-12-31, "
                            "in UTC") from None


def _lead_of(test: n.TestBlock, now: Optional[datetime]) -> tuple[dict[str, Any], list[Any], datetime, Optional[str]]:
    as_of = _moment(cast(int, test.as_of.value)) if test.as_of is not None else (now or datetime.now(timezone.utc))
    fields = {f.name: _raw(f.value) for f in test.fields}
    activities: list[dict[str, Any]] = []
    for activity in test.activities:
        if activity.ago is not None:
            at = as_of - timedelta(microseconds=activity.ago.micros)
        else:
            assert activity.at is not None  # the parser gives an activity `ago` or `at`
            at = _moment(cast(int, activity.at.value))
        record = {"type": activity.activity, "at": at}
        record.update({p.name: _raw(p.value) for p in activity.props})
        activities.extend(dict(record) for _ in range(activity.count))
    return fields, activities, as_of, test.previous_stage


def failures_of(test: n.TestBlock, decision: dict[str, Any]) -> list[str]:
    """Each expectation that does not hold, as `expected X, got Y`."""
    return [message for _, message in failed_expectations(test, decision)]


def failed_expectations(test: n.TestBlock, decision: dict[str, Any]) -> list[tuple[n.Expect, str]]:
    """Each expectation that does not hold, with its `expected X, got Y`."""
    failures: list[tuple[n.Expect, str]] = []
    hit_names = {hit["rule"] for hit in decision["hits"]}
    for x in test.expectations:
        if x.kind in ("stage", "change", "grade"):
            actual = decision[x.kind]
            if actual != x.value:
                failures.append((x, f"expected {x.kind} {x.value}, got {actual if actual is not None else '(none)'}"))
        elif x.kind in ("engagement", "fit"):
            actual = round(decision[x.kind], 2)  # score expectations compare at two decimals
            if not COMPARE[str(x.op)](actual, round(cast(float, x.value), 2)):  # the parser gives scores an op
                failures.append((x, f"expected {x.kind} {x.op} {x.value:g}, got {decision[x.kind]:.2f}"))
        elif x.kind == "hit" and x.value not in hit_names:
            if (decision.get("reason") or {}).get("rule") == x.value:  # a demotion or disqualification rule
                failures.append((x, f'expected a hit on "{x.value}": it fired (it is the reason), but it gives no points,'
                                ' and only rules that give points are hits'))
            else:
                failures.append((x, f'expected a hit on "{x.value}", but it did not fire'))
        elif x.kind == "no_hit" and x.value in hit_names:
            failures.append((x, f'expected no hit on "{x.value}", but it fired'))
    return failures


def run_test(policy: Any, test: n.TestBlock, path: str, now: Optional[datetime] = None) -> TestOutcome:
    """Run one test block on a loaded `leadpolicy.Policy`."""
    outcome = TestOutcome(test.name, path, test.span.line if test.span else None)
    try:
        fields, activities, as_of, previous = lead_of(test, now)
        decision = policy.evaluate(fields, activities, as_of, previous).to_dict()
    except LeadDataError as error:
        outcome.error = str(error)
        return outcome
    outcome.decision = decision
    failed = failed_expectations(test, decision)
    outcome.failures = [message for _, message in failed]
    outcome.failure_lines = [x.span.line if x.span is not None else None for x, _ in failed]
    return outcome


def rules_of(tree: n.Policy) -> list[Rule]:
    """Every rule coverage counts, in file order."""
    def line(node: Any) -> Any:
        return node.span.line if node.span else None

    rules = [Rule("stage", s.name, line(s)) for s in tree.stages[1:]]
    rules += [Rule("engagement", r.name, line(r)) for r in tree.engagement_rules]
    rules += [Rule("fit", r.name, line(r)) for r in tree.fit_rules]
    rules += [Rule("grade", g.letter, line(g)) for g in tree.grades]
    rules += [Rule("demote", r.name, line(r)) for r in tree.demotions]
    rules += [Rule("disqualify", r.name, line(r)) for r in tree.disqualifications]
    return sorted(rules, key=lambda r: (r.line or 0))


def fired_by(tree: n.Policy, test: n.TestBlock, now: Optional[datetime] = None) -> set[tuple[str, str]]:
    from leadpolicy.semantics.reference import fired_rules

    try:
        fields, activities, as_of, previous = lead_of(test, now)
        return fired_rules(tree, fields, activities, as_of, previous)
    except LeadDataError:
        return set()


@dataclass
class Coverage:
    rules: list[Rule]
    fired: set[tuple[str, str]]

    @property
    def missed(self) -> list[Rule]:
        return [r for r in self.rules if r.key not in self.fired]

    @property
    def percent(self) -> float:
        if not self.rules:
            return 100.0
        return 100.0 * (len(self.rules) - len(self.missed)) / len(self.rules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": len(self.rules),
            "covered": len(self.rules) - len(self.missed),
            "percent": round(self.percent, 1),
            "missed": [{"kind": r.kind, "name": r.name, "line": r.line} for r in self.missed],
            # every rule, in file order, and whether some test made it fire
            "each_rule": [{"kind": r.kind, "name": r.name, "line": r.line, "fired": r.key in self.fired}
                          for r in self.rules],
        }


def coverage(tree: n.Policy, tests: list[n.TestBlock], now: Optional[datetime] = None) -> Coverage:
    fired: set[tuple[str, str]] = set()
    for test in tests:
        fired |= fired_by(tree, test, now)
    return Coverage(rules_of(tree), fired)


def describe_failure(outcome: TestOutcome) -> list[str]:
    """The lines a failing test shows: what was expected against what came, and why."""
    from leadpolicy.handoff.explain import explain

    lines = []
    if outcome.error:
        lines.append(f"    data error: {outcome.error}")
        return lines
    for failure, line in zip(outcome.failures, outcome.failure_lines or [None] * len(outcome.failures)):
        lines.append(f"    line {line}: {failure}" if line is not None else f"    {failure}")
    lines.append("    the decision:")
    assert outcome.decision is not None  # an outcome without an error has its decision
    lines.extend("    " + line for line in explain(outcome.decision).splitlines()[1:])
    return lines


def tests_path_for(policy_path: Path) -> Path:
    return policy_path.with_suffix(".tests")
