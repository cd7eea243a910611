"""The oracle's evaluation (LANGUAGE.md sections 4-7 and the lead reading of section 8).

Written from the spec alone. `decide(policy, fields, activities, as_of, previous)`
returns the decision dict of section 7, or raises OracleDataError naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from .data import OracleDataError, read_instant, read_value
from .syntax import Arith, AtLeast, Compare, DaysSince, Did, Lit, Logic, Name, Neg, Policy, Score, Type

DAY = 86_400_000_000
DISQUALIFIED = "disqualified"


@dataclass
class Activity:
    type: str  # the declared name
    at: int  # UTC micros
    props: dict  # name -> value (None: missing)


@dataclass(frozen=True)
class V:
    """A typed value. kind: number text boolean date enum grade word (a bare name that is no
    field, property or stage: an enum member or a grade letter) string (a literal string: text, or
    an enum member written as a string)."""
    kind: str
    value: object
    members: tuple = ()


# ---------------------------------------------------------------- reading the lead


def read_lead(policy: Policy, fields, activities, previous) -> tuple:
    # GAP (spec silent): which error is reported when a lead has several, and how a property is
    # named. Aligned with docs/decisions.md 7-8: fields in declaration order, then activities in
    # input order, then the previous stage; a property as `activity.property`, a time as
    # `activity.at`, a bad type as `type`, the previous stage as `previous_stage`.
    values: dict = {name: None for name in policy.fields}
    if fields is not None:
        if not isinstance(fields, Mapping):
            raise OracleDataError("fields", fields, "is not an object")
        for name, type_ in policy.fields.items():
            if name in fields:
                values[name] = read_value(fields[name], type_.kind, type_.members, name)
    acts: list = []
    if activities is not None:
        if not isinstance(activities, (list, tuple)):
            raise OracleDataError("activities", activities, "is not a list")
        by_lower = {name.lower(): name for name in policy.activities}
        for raw in activities:
            if not isinstance(raw, Mapping):
                raise OracleDataError("activities", raw, "is not an object")
            kind = raw.get("type")
            if not isinstance(kind, str) or not kind.strip():
                raise OracleDataError("type", kind, "is not an activity type")
            declared = by_lower.get(kind.strip().lower())
            if declared is None:
                continue
            at = raw.get("at")
            if _missing(at):
                raise OracleDataError(f"{declared}.at", at, "is missing")
            moment = read_instant(at.strip()) if isinstance(at, str) else None
            if moment is None:
                raise OracleDataError(f"{declared}.at", at, "is not a timestamp")
            props = {}
            for prop, type_ in policy.activities[declared].items():
                props[prop] = read_value(raw.get(prop), type_.kind, type_.members, f"{declared}.{prop}")
            acts.append(Activity(declared, moment, props))
    stage = None
    if previous is not None:
        if not isinstance(previous, str):
            raise OracleDataError("previous_stage", previous, "is not a stage")
        if previous.strip():
            names = {s.name.lower(): s.name for s in policy.stages}
            names.setdefault(DISQUALIFIED, DISQUALIFIED)
            stage = names.get(previous.strip().lower())
            if stage is None:
                raise OracleDataError("previous_stage", previous, "is not a stage of the policy")
    return values, acts, stage


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ---------------------------------------------------------------- evaluation


class Evaluation:
    def __init__(self, policy: Policy, values: dict, acts: list, as_of: int) -> None:
        self.p, self.values, self.as_of = policy, values, as_of
        self.acts = [a for a in acts if a.at <= as_of]  # activities after as_of never count, anywhere
        self.engagement: Optional[float] = None
        self.fit: Optional[float] = None
        self.grade: Optional[str] = None
        self._stage_memo: dict = {}
        self.stage_index = {s.name: i for i, s in enumerate(policy.stages)}

    # -- values

    def value(self, e, props: Optional[dict] = None) -> Optional[V]:
        if isinstance(e, Lit):
            return V("string" if e.kind == "text" else e.kind, e.value)
        if isinstance(e, Name):
            return self.name(e.name, props)
        if isinstance(e, Score):
            if e.which == "grade":
                return None if self.grade is None else V("grade", self.grade)
            return V("number", self.engagement if e.which == "engagement" else self.fit)
        if isinstance(e, DaysSince):
            moment = self.values.get(e.field)
            return None if moment is None else V("number", float((self.as_of - moment) // DAY))
        if isinstance(e, Neg):
            inner = self.value(e.operand, props)
            return None if inner is None else V("number", -inner.value)
        if isinstance(e, Arith):
            a, b = self.value(e.left, props), self.value(e.right, props)
            if a is None or b is None:
                return None  # arithmetic with a missing value gives a missing value
            x, y = a.value, b.value
            return V("number", x + y if e.op == "+" else x - y if e.op == "-" else x * y)
        return V("boolean", self.cond(e, props))

    def name(self, name: str, props: Optional[dict]) -> Optional[V]:
        if props is not None:  # inside `where`: names are that activity's properties
            types, vals = props
            if name in types:
                return self._typed(vals.get(name), types[name])
        elif name in self.p.fields:
            return self._typed(self.values.get(name), self.p.fields[name])
        elif name in self.stage_index:
            return V("boolean", self.stage_holds(self.stage_index[name]))
        return V("word", name)

    @staticmethod
    def _typed(value, type_: Type) -> Optional[V]:
        if value is None:
            return None
        return V(type_.kind, value, type_.members)

    # -- conditions

    def cond(self, e, props: Optional[dict] = None) -> bool:
        if isinstance(e, Logic):
            if e.op == "not":
                return not self.cond(e.parts[0], props)
            if e.op == "and":
                return self.cond(e.parts[0], props) and self.cond(e.parts[1], props)
            return self.cond(e.parts[0], props) or self.cond(e.parts[1], props)
        if isinstance(e, Compare):
            return self.compare(e, props)
        if isinstance(e, Did):
            found = self.count(e.activity, e.where, e.within) >= e.times
            return not found if e.negated else found
        if isinstance(e, AtLeast):
            return sum(1 for part in e.parts if self.cond(part, props)) >= e.count
        v = self.value(e, props)  # a boolean field, literal or stage name alone
        return v is not None and v.kind == "boolean" and v.value is True

    def compare(self, e: Compare, props) -> bool:
        if e.op in ("!=", "notin"):  # the two negative forms: not (a = b), not (a in (...))
            return not self.compare(Compare("=" if e.op == "!=" else "in", e.left, e.right), props)
        a = self.value(e.left, props)
        if e.op == "missing":
            return a is None
        if e.op == "present":
            return a is not None
        if e.op == "in":
            if a is None:
                return False
            items = (self._member_word(item, a) or self.value(item, props) for item in e.right)
            return any(self.equal(a, b) for b in items if b is not None)
        b = self._member_word(e.right, a) or self.value(e.right, props)
        a = self._member_word(e.left, b) or a
        if a is None or b is None:
            return False
        if e.op in ("starts", "ends", "contains"):
            x, y = str(a.value).lower(), str(b.value).lower()
            return x.startswith(y) if e.op == "starts" else x.endswith(y) if e.op == "ends" else y in x
        if e.op == "=":
            return self.equal(a, b)
        x, y = self.ordered(a, b)
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[e.op]

    @staticmethod
    def _member_word(e, other: Optional[V]) -> Optional[V]:
        """GAP (the spec does not say what a bare name that is both a declared field or stage and
        a member of the enum on the other side means): aligned with docs/decisions.md 20, it is
        the member."""
        if isinstance(e, Name) and other is not None and other.kind == "enum" and e.name in other.members:
            return V("word", e.name)
        return None

    @staticmethod
    def _member_index(a: V, b: V) -> tuple:
        """Both sides as positions in the enum's declared order (section 5)."""
        members = a.members if a.kind == "enum" else b.members
        def index(v: V) -> int:
            return members.index(v.value) if v.value in members else -1
        return index(a), index(b)

    def equal(self, a: V, b: V) -> bool:
        if "enum" in (a.kind, b.kind):
            x, y = self._member_index(a, b)
            return x == y and x >= 0
        if a.kind in ("text", "string") and b.kind in ("text", "string"):
            return a.value.lower() == b.value.lower()  # both sides lower-cased
        return a.value == b.value

    def ordered(self, a: V, b: V) -> tuple:
        if "enum" in (a.kind, b.kind):
            return self._member_index(a, b)
        return a.value, b.value

    def count(self, activity: Optional[str], where, within: Optional[Fraction]) -> int:
        total = 0
        for act in self.acts:
            if activity is not None and act.type != activity:
                continue
            if within is not None and self.as_of - act.at > within:
                continue
            if where is not None and not self.cond(where, (self.p.activities[act.type], act.props)):
                continue
            total += 1
        return total

    def stage_holds(self, index: int) -> bool:
        if index == 0:
            return True
        if index not in self._stage_memo:
            self._stage_memo[index] = self.cond(self.p.stages[index].when)
        return self._stage_memo[index]

    # -- scores

    def scores(self) -> list:
        hits = {"engagement": [], "fit": []}
        engagement = 0.0
        for rule in self.p.engagement:
            total, count = 0.0, 0
            for act in self.acts:
                if act.type != rule.activity:
                    continue
                age = self.as_of - act.at
                if rule.within is not None and age > rule.within:
                    continue
                if rule.where is not None and not self.cond(rule.where, (self.p.activities[act.type], act.props)):
                    continue
                count += 1
                points = rule.points
                if self.p.decay is not None:
                    percent, period = self.p.decay
                    points *= (1 - percent / 100) ** math.floor(Fraction(age) / period)
                total += points
            if rule.cap is not None:  # caps the total, after decay, at M in magnitude
                if total > rule.cap:
                    total = rule.cap
                elif total < -rule.cap:
                    total = -rule.cap
            engagement += total
            if total != 0:
                hits["engagement"].append({"section": "engagement", "rule": rule.name, "points": total, "count": count})
        fit = 0.0
        for rule in self.p.fit:
            if self.cond(rule.when):
                fit += rule.points
                if rule.points != 0:
                    hits["fit"].append({"section": "fit", "group": rule.group, "rule": rule.name, "points": rule.points})
        self.engagement, self.fit = engagement, fit
        ordered = []
        for block in self.p.block_order:  # hits in file order
            ordered.extend(hits.get(block, ()))
        self.grade = None
        for letter, when in self.p.grades or ():
            if when is None or self.cond(when):
                self.grade = letter
                break
        return ordered


def decide(policy: Policy, fields, activities, as_of: str, previous) -> dict:
    values, acts, prev = read_lead(policy, fields, activities, previous)
    moment = read_instant(as_of.strip())
    if moment is None:
        raise ValueError(f"bad as_of {as_of!r}")
    ev = Evaluation(policy, values, acts, moment)
    hits = ev.scores()
    index = ev.stage_index
    qualified = max(i for i in range(len(policy.stages)) if ev.stage_holds(i))
    rule: Optional[str] = None
    for name, when in policy.disqualify:
        if ev.cond(when):
            stage, kind, rule = DISQUALIFIED, "disqualified", name
            break
    else:
        if prev is None or prev == DISQUALIFIED or qualified >= index[prev]:
            stage, kind = policy.stages[qualified].name, "qualified"
        else:
            s, kind = index[prev], "held"
            while s > qualified:
                source = policy.stages[s].name
                fired = next((r for r in policy.demote if r[1] == source and ev.cond(r[3])), None)
                if fired is None:
                    break
                s, kind, rule = max(index[fired[2]], qualified), "demoted", fired[0]
            stage = policy.stages[s].name
    if prev is None:
        change = "new"
    elif stage == prev:
        change = "unchanged"
    elif stage == DISQUALIFIED:
        change = "disqualified"
    elif prev == DISQUALIFIED:
        change = "requalified"
    else:
        change = "promoted" if index[stage] > index[prev] else "demoted"
    return {
        "policy": policy.name, "version": policy.version,
        "stage": stage, "previous_stage": prev, "change": change,
        "engagement": ev.engagement, "fit": ev.fit, "grade": ev.grade,
        "reason": {"kind": kind, "stage": stage, "rule": rule},
        "hits": hits,
    }


# ---------------------------------------------------------------- section 9: tests


def _iso(micros: int) -> str:
    import datetime as dt
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    return moment.isoformat() + "Z"


def run_test(policy: Policy, test, now: Optional[int] = None) -> tuple:
    """(the decision dict, or the OracleDataError; whether every expectation holds)."""
    as_of = test.as_of if test.as_of is not None else now
    assert as_of is not None, "a test without `as of` runs at the current time"
    acts = []
    for name, props, times, (how, when) in test.activities:
        at = as_of - int(when) if how == "ago" else when
        acts.extend({"type": name, "at": _iso(at), **props} for _ in range(times))
    try:
        decision = decide(policy, test.fields, acts, _iso(as_of), test.previous)
    except OracleDataError as error:
        return error, False
    ops = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
    rules = {hit["rule"] for hit in decision["hits"]}
    passed = True
    for what, op, value in test.expects:
        if what in ("engagement", "fit"):  # score expectations compare at two decimals
            ok = ops[op](round(decision[what], 2), round(value, 2))
        elif what == "hit":
            ok = value in rules
        elif what == "no hit":
            ok = value not in rules
        else:
            ok = decision[what] == value
        passed = passed and ok
    return decision, passed
