"""Warnings about a resolved policy that is valid but surely not what was meant
(issue 9 item 13): grade bands that can never be chosen, tests whose outcome
depends on the day they run, test items given twice."""

from __future__ import annotations

from typing import Callable, Iterator, Optional, Sequence

from leadpolicy.check.base import head_span
from leadpolicy.check.show import show
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span

Warn = Callable[[str, str, Optional[Span], Optional[str]], None]

__all__ = ["unreachable_grades", "test_lints", "time_dependent"]


# -- grade bands


def unreachable_grades(policy: n.Policy, warn: Warn) -> None:
    """A band is never chosen when an earlier band holds whenever it does. The earlier band named is
    the first such one (the bands up to an `otherwise` or an earlier band of the same letter).
    Bands of one bound each (`fit >= 70`: most of them) are looked up by their score, so 20,000
    bands take a moment, not pairs of every two (issue 16); others are compared pair by pair."""
    bands = policy.grades
    first_open = next((i for i, band in enumerate(bands) if band.condition is None), len(bands))
    first_of_letter: dict[str, int] = {}
    bounds = _Bounds()
    others: list[int] = []  # the earlier bands whose condition is not one bound, in order
    for i, band in enumerate(bands):
        condition = band.condition
        if condition is not None:
            limit = min(i, first_open, first_of_letter.get(band.letter, i))
            simple = _bound(_bare(condition))
            candidates: Sequence[int]
            if simple is None:
                candidates = range(limit)
            else:
                found = bounds.first_implied(simple, limit)
                candidates = [k for k in others if k < min(limit, found)] + ([found] if found < limit else [])
            earlier = next((bands[k] for k in candidates if implies(condition, bands[k].condition)), None)  # type: ignore[arg-type]
            if earlier is not None and earlier.condition is not None:
                warn(
                    "unreachable-grade",
                    f"the grade `{band.letter}` can never be chosen: whenever `{show(condition)}` holds, "
                    f"the earlier grade `{earlier.letter}` (`{show(earlier.condition)}`) holds too",
                    band.span,
                    f"grades are tried in order; put `{band.letter}` before `{earlier.letter}`, or change one of the conditions",
                )
            simple = _bound(_bare(condition))
            if simple is None:
                others.append(i)
            else:
                bounds.add(i, simple)
        first_of_letter.setdefault(band.letter, i)


def _bare(e: n.Expr) -> n.Expr:
    while isinstance(e, n.Paren):
        e = e.inner
    return e


class _Bounds:
    """The earlier bands of one bound each, by score and operator: their indices in order, with the
    lowest lower bound (`>=`, `>`) or the highest upper bound (`<=`, `<`) among them so far, or the
    first index of each value (`=`); `first_implied` finds the first band a bound implies
    (what `implies` says of two bounds) by a binary search of those running extremes."""

    def __init__(self) -> None:
        self._runs: dict[tuple[n.Expr, str], tuple[list[int], list[float]]] = {}
        self._equal: dict[tuple[n.Expr, float], int] = {}

    def add(self, index: int, bound: tuple[n.Expr, str, float]) -> None:
        score, op, value = bound
        if op == "=":
            self._equal.setdefault((score, value), index)
            return
        indices, extremes = self._runs.setdefault((score, op), ([], []))
        if extremes:
            value = min(value, extremes[-1]) if op in (">=", ">") else max(value, extremes[-1])
        indices.append(index)
        extremes.append(value)

    def first_implied(self, bound: tuple[n.Expr, str, float], limit: int) -> int:
        """The index of the first earlier band whose bound `bound` implies, or `limit` for none."""
        score, op, x = bound
        first = self._equal.get((score, x), limit) if op == "=" else limit
        for other in (">=", ">", "<=", "<"):
            lower = other in (">=", ">")
            if op != "=" and (op in (">=", ">")) != lower:
                continue  # a lower bound never implies an upper one, nor the other way round
            strict = other in (">", "<") and op in ("=", ">=", "<=")
            run = self._runs.get((score, other))
            if run is None:
                continue
            indices, extremes = run
            low, high = 0, len(extremes)
            while low < high:  # the first running extreme that `x` reaches; they only move towards it
                middle = (low + high) // 2
                y = extremes[middle]
                held = (x > y if strict else x >= y) if lower else (x < y if strict else x <= y)
                if held:
                    high = middle
                else:
                    low = middle + 1
            if low < len(indices):
                first = min(first, indices[low])
        return first


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

