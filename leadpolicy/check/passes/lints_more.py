"""Warnings about a resolved policy that is valid but surely not what was meant
(issue 9 item 13): grade bands that can never be chosen, tests whose outcome
depends on the day they run, test items given twice."""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable, Iterator, Optional

from leadpolicy.check.base import head_span
from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span

Warn = Callable[[str, str, Optional[Span], Optional[str]], None]

__all__ = ["unreachable_grades", "test_lints", "time_dependent"]


# -- grade bands


def unreachable_grades(policy: n.Policy, warn: Warn) -> None:
    """A band is never chosen when an earlier band holds whenever it does: the first such earlier
    band is named. A band that is one bound on a number (`fit >= 70`, `size > 100`) is compared with
    the earlier bounds on the same number through `_Bounds` rather than one by one, so a policy of
    thousands of such bands checks in linear time (pairwise it took 48 s for 3,000 bands)."""
    bands = policy.grades
    stop = next((i for i, band in enumerate(bands) if band.condition is None), len(bands))
    first_of_letter: dict[str, int] = {}
    bounds: dict[n.Expr, _Bounds] = {}  # the earlier bands that are one bound, by what they bound
    others: list[int] = []  # the earlier bands that are not
    for i, band in enumerate(bands):
        if band.condition is None:
            continue
        # only bands before the first `otherwise` (an error) and before this letter's first band
        # (`A ... A ...`: duplicate-grade says it; "put `A` before `A`" would not help)
        limit = min(stop, first_of_letter.setdefault(band.letter, i))
        bound = _bound(_unparen(band.condition))
        if bound is None:
            candidates: Iterator[int] = iter(range(limit))
        else:
            found = bounds[bound[0]].first_implied(bound[1], bound[2]) if bound[0] in bounds else None
            candidates = iter(sorted([j for j in others if j < limit] + ([found] if found is not None and found < limit else [])))
        for j in candidates:
            earlier = bands[j]
            assert earlier.condition is not None  # j < stop
            if implies(band.condition, earlier.condition):
                warn(
                    "unreachable-grade",
                    f"the grade `{band.letter}` can never be chosen: whenever `{show(band.condition)}` holds, "
                    f"the earlier grade `{earlier.letter}` (`{show(earlier.condition)}`) holds too",
                    band.span,
                    f"grades are tried in order; put `{band.letter}` before `{earlier.letter}`, or change one of the conditions",
                )
                break
        if bound is None:
            others.append(i)
        else:
            bounds.setdefault(bound[0], _Bounds()).add(i, bound[1], bound[2])


def _unparen(e: n.Expr) -> n.Expr:
    while isinstance(e, n.Paren):
        e = e.inner
    return e


class _Bounds:
    """The earlier bands that bound one number, in band order, for `first_implied`: the first of them
    that a bound `value OP x` on that number implies, as `implies` decides it for two bounds.

    A lower bound `> y` or `>= y` is the key (y, 1) or (y, 0): `> x` implies it when its key is at most
    (x, 1), and `>= x` or `= x` when at most (x, 0). An upper bound `< y` or `<= y` is (-y, 1) or (-y, 0)
    and is implied likewise by `< x` (at most (-x, 1)) and by `<= x` or `= x` (at most (-x, 0)).
    `= y` is implied by `= x` alone, when x == y. Only a band whose key is below every earlier key can
    be the first implied, so those are kept, their keys falling, and the first is found by bisection
    (of the keys negated, which rise)."""

    def __init__(self) -> None:
        # per side: the kept keys negated (rising), and their bands' indexes
        self.lower: tuple[list[tuple[float, int]], list[int]] = ([], [])
        self.upper: tuple[list[tuple[float, int]], list[int]] = ([], [])
        self.equal: dict[float, int] = {}

    def add(self, index: int, op: str, value: float) -> None:
        if op == "=":
            self.equal.setdefault(value, index)
            return
        side, key = (self.lower, (value, int(op == ">"))) if op in (">", ">=") else (self.upper, (-value, int(op == "<")))
        negated, indexes = side
        if not negated or (-key[0], -key[1]) > negated[-1]:
            negated.append((-key[0], -key[1]))
            indexes.append(index)

    def first_implied(self, op: str, value: float) -> Optional[int]:
        found: list[int] = []
        if op == "=" and value in self.equal:
            found.append(self.equal[value])
        if op in (">", ">=", "="):
            found += self._first(self.lower, (value, int(op == ">")))
        if op in ("<", "<=", "="):
            found += self._first(self.upper, (-value, int(op == "<")))
        return min(found) if found else None

    @staticmethod
    def _first(side: tuple[list[tuple[float, int]], list[int]], target: tuple[float, int]) -> list[int]:
        negated, indexes = side
        at = bisect_left(negated, (-target[0], -target[1]))  # the first key at most `target`
        return [indexes[at]] if at < len(negated) else []


def implies(a: n.Expr, b: n.Expr) -> bool:
    """True when `a` holding surely means `b` holds (sound, not complete)."""
    while isinstance(a, n.Paren):
        a = a.inner
    while isinstance(b, n.Paren):
        b = b.inner
    if a == b or (isinstance(b, n.Bool) and b.value):
        return True
    if isinstance(b, n.And):
        return all(implies(a, x) for x in b.operands)
    if isinstance(a, n.Or):
        return all(implies(x, b) for x in a.operands)
    if isinstance(a, n.And):
        return any(implies(x, b) for x in a.operands)
    if isinstance(b, n.Or):
        return any(implies(a, x) for x in b.operands)
    ca, cb = _bound(a), _bound(b)
    if ca is None or cb is None or ca[0] != cb[0]:
        return False
    (_, op_a, x), (_, op_b, y) = ca, cb
    if op_a == "=":
        return {"=": x == y, ">=": x >= y, ">": x > y, "<=": x <= y, "<": x < y}.get(op_b, False)
    if op_a in (">=", ">") and op_b in (">=", ">"):
        return x > y or (x == y and (op_b == ">=" or op_a == ">"))
    if op_a in ("<=", "<") and op_b in ("<=", "<"):
        return x < y or (x == y and (op_b == "<=" or op_a == "<"))
    return False


def _bound(e: n.Expr) -> Optional[tuple[n.Expr, str, float]]:
    """`score OP number`, with the number on the right; the score is any number-valued side."""
    if not isinstance(e, n.Compare) or e.op == "!=":
        return None
    if isinstance(e.right, n.Number) and not isinstance(e.left, n.Number):
        return e.left, e.op, e.right.value
    if isinstance(e.left, n.Number) and not isinstance(e.right, n.Number):
        return e.right, n.MIRRORED[e.op], e.left.value
    return None


# -- tests


def _walk(e: n.Expr) -> Iterator[n.Expr]:
    yield e
    for value in vars(e).values():
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, n.Expr):
                yield from _walk(child)


def time_dependent(policy: n.Policy) -> bool:
    """Whether a decision can change with the day it is made: decay, `within`, `days since`."""
    if policy.decay is not None:
        return True
    if any(r.within is not None for r in policy.engagement_rules):
        return True
    for node in policy.walk():
        if isinstance(node, n.DaysSince) or (isinstance(node, n.Did) and node.within is not None):
            return True
    return False


def test_lints(test: n.TestBlock, policy_uses_time: bool, warn: Warn) -> None:
    absolute = any(a.at is not None for a in test.activities)
    if test.as_of is None and (policy_uses_time or absolute):
        why = "its activities are dated" if absolute and not policy_uses_time else "the policy counts time"
        warn(
            "test-without-as-of",
            f"the test {n.quote(test.name)} has no `as of`, so its outcome depends on the day it runs ({why})",
            head_span(test.span, 4),
            f"pin the moment it is judged at: `test {n.quote(test.name)} {{ as of YYYY-MM-DD ... }}`",
        )
    seen: dict[str, object] = {}

    def once(key: str, what: str, span: Optional[Span], fix: str) -> None:
        if key in seen:
            warn("duplicate-test-item", f"the test {n.quote(test.name)} gives {what} twice", span, fix)
        seen[key] = True

    for what, span in test.repeated:
        warn("duplicate-test-item", f"the test {n.quote(test.name)} gives `{what}` twice", span,
             f"the last `{what}` counts; keep the one you mean")
    for f in test.fields:
        once("field " + f.name, f"the field `{f.name}`", f.span, "a lead has one value per field; keep one")
    for a in test.activities:
        props: set[str] = set()
        for p in a.props:
            if p.name in props:
                warn(
                    "duplicate-test-item",
                    f"the test {n.quote(test.name)} gives the property `{p.name}` of `{a.activity}` twice",
                    p.span,
                    "an activity has one value per property; keep one",
                )
            props.add(p.name)
    for x in test.expectations:
        if x.kind in ("hit", "no_hit"):
            once(f"{x.kind} {x.value}", f"`expect {'no ' if x.kind == 'no_hit' else ''}hit {n.quote(str(x.value))}`", x.span, "remove the repeat")
        elif x.kind in ("engagement", "fit"):
            once(f"{x.kind} {x.op} {x.value}", f"`expect {x.kind} {x.op} ...` with the same bound", x.span, "remove the repeat")
        else:
            once("expect " + x.kind, f"`expect {x.kind}`", x.span, f"a lead has one {x.kind}; keep the `expect {x.kind}` you mean")

