"""The decay steps between two of a replay's other moments, and when they can be skipped.

Between two consecutive moments that are not decay steps (an activity arriving, one
leaving a window, a `days since` day, the start, the end), the only thing a decision
reads that moves with time is the decay of the activities some engagement rule still
counts: each one's points step down at `at + k * every`. All share `every`, so the steps
form a lattice: a few phases, repeated every period (`Lattice`). A fine decay over a
long history has hundreds of thousands of them (`decay 1% every 1 hour`: 74,000 until
a term underflows), so the replay cannot evaluate at every one; but the stage can only
change at a step where a comparison that reads `engagement` changes its truth.

`Bounds` decides, from the decisions at two steps i < m, that nothing the stage reads
can differ anywhere between them:
- each engagement rule's total is monotone over the interval (its terms all have its
  sign and only shrink), so at every step in between it lies between its totals at i
  and m; float addition is monotone too, so engagement lies between the file-order
  sums of the lower and of the upper ends (the sum the evaluator takes);
- every comparison, `in` and `is missing` of the stage, grade, demotion and
  disqualification conditions that reads `engagement` is evaluated over that range
  by interval arithmetic (each other value is fixed between the two moments); each
  one's truth is the same at every point of the range, or it is not proven.
When nothing differs, the stage at every step in between is the stage at i (the
decision is then a fixed function of the previous stage, and an idempotent one: see
docs/report.md). Otherwise the replay halves the span. Only the crossings cost
evaluations: O(log N) each.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

from leadpolicy.syntax import nodes as n

__all__ = ["Lattice", "Bounds"]

Span = Optional[tuple[float, float]]  # a value's range; None: missing


class Lattice:
    """The decay steps strictly between two moments `a` < `b`, as an indexable sequence in time
    order: instant(i) = firsts[i % P] + (i // P) * every, for the P distinct phases."""

    def __init__(self, every: int, phases: "set[int]", a: int, b: int) -> None:
        self.every = every
        # the first instant after `a` of each phase, in time order
        self.firsts = sorted(a + 1 + (phase - a - 1) % every for phase in phases)
        self.size = sum((b - 1 - first) // every + 1 for first in self.firsts if first < b)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> int:
        period, phase = divmod(index, len(self.firsts))
        return self.firsts[phase] + period * self.every


class Bounds:
    """Whether the stage can change anywhere between two decay steps (module docstring)."""

    def __init__(self, tree: n.Policy, fields: "dict[str, Any]") -> None:
        self.rules = [rule.name for rule in tree.engagement_rules]
        self.fields = fields  # read as the reference reads them (numbers float, dates micros)
        self.atoms: list[n.Expr] = []
        self.opaque = False  # `engagement` somewhere this module does not bound: never skip
        conditions: list[Optional[n.Expr]] = [band.condition for band in tree.grades]
        conditions += [stage.condition for stage in tree.stages]
        conditions += [rule.condition for rule in tree.demotions]
        conditions += [rule.condition for rule in tree.disqualifications]
        for condition in conditions:
            if condition is not None:
                self._collect(condition)

    def _collect(self, node: Any) -> None:
        if isinstance(node, (n.Compare, n.InList, n.IsMissing)):
            if _reads_engagement(node):
                self.atoms.append(node)
            return
        if isinstance(node, n.Engagement):
            self.opaque = True
            return
        if isinstance(node, (n.Not, n.Paren)):
            self._collect(node.operand if isinstance(node, n.Not) else node.inner)
        elif isinstance(node, (n.And, n.Or)):
            for operand in node.operands:
                self._collect(operand)
        elif isinstance(node, n.AtLeast):
            for condition in node.conditions:
                self._collect(condition)
        elif _reads_engagement(node):  # (a Did's `where` reads properties only)
            self.opaque = True

    def totals(self, decision: "dict[str, Any]") -> list[float]:
        """Each engagement rule's total in file order, from a decision's hits (no hit: 0.0)."""
        points = {hit["rule"]: hit["points"] for hit in decision["hits"] if hit["section"] == "engagement"}
        return [float(points.get(name, 0.0)) for name in self.rules]

    def engagement_range(self, first: list[float], last: list[float]) -> tuple[float, float]:
        low = high = 0.0
        for x, y in zip(first, last):  # in file order, as the evaluator adds them
            low += min(x, y)
            high += max(x, y)
        return low, high

    def settled(self, low: float, high: float, fit: float, as_of: int) -> bool:
        """True when every condition atom that reads engagement has one truth for all of
        engagement in [low, high], `fit` and the other values as they are at `as_of`."""
        if self.opaque:
            return False
        context = _Context(low, high, fit, as_of, self.fields)
        return all(context.truth(atom) is not None for atom in self.atoms)


def _reads_engagement(node: Any) -> bool:
    if isinstance(node, n.Engagement):
        return True
    if isinstance(node, n.Did):
        return False
    if isinstance(node, n.Node):
        return any(_reads_engagement(value) for value in _children(node))
    return False


def _children(node: n.Node) -> list[Any]:
    found: list[Any] = []
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, n.Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, n.Node))
    return found


class _Unbounded(Exception):
    """A value this module cannot bound (a date, a text, a float that is not a number)."""


class _Context:
    """Interval arithmetic over one condition atom: engagement a range, the rest points."""

    def __init__(self, low: float, high: float, fit: float, as_of: int, fields: "dict[str, Any]") -> None:
        self.engagement = (low, high)
        self.fit = fit
        self.as_of = as_of
        self.fields = fields

    def span(self, node: n.Expr) -> Span:
        """The range of a number expression, or None when it is missing (`_Unbounded`: unknown)."""
        if isinstance(node, n.Engagement):
            return self.engagement
        if isinstance(node, n.Paren):
            return self.span(node.inner)
        if isinstance(node, n.Number):
            return _checked(float(node.value), float(node.value))
        if isinstance(node, n.Fit):
            return _checked(self.fit, self.fit)
        if isinstance(node, n.FieldRef):
            value = self.fields.get(node.name)
            if value is None:
                return None
            if not isinstance(value, float):
                raise _Unbounded(node.name)
            return _checked(value, value)
        if isinstance(node, n.DaysSince):
            value = self.fields.get(node.field_name)
            if value is None:
                return None
            days = float((self.as_of - value) // n.MICROS_PER_DAY)
            return days, days
        if isinstance(node, n.Neg):
            inner = self.span(node.operand)
            return None if inner is None else (-inner[1], -inner[0])
        if isinstance(node, n.Arith):
            left, right = self.span(node.left), self.span(node.right)
            if left is None or right is None:
                return None
            (a, b), (c, d) = left, right
            # float +, - and * are each monotone in each operand, so the extremes are at the corners
            if node.op == "+":
                return _checked(a + c, b + d)
            if node.op == "-":
                return _checked(a - d, b - c)
            corners = [a * c, a * d, b * c, b * d]
            if any(map(math.isnan, corners)):
                raise _Unbounded("NaN")
            return min(corners), max(corners)
        raise _Unbounded(type(node).__name__)

    def truth(self, atom: n.Expr) -> Optional[bool]:
        """The atom's truth for every value in the ranges, or None when it is not one truth."""
        try:
            if isinstance(atom, n.IsMissing):
                missing = self.span(atom.operand) is None
                return (not missing) if atom.negated else missing
            if isinstance(atom, n.Compare):
                left, right = self.span(atom.left), self.span(atom.right)
                if left is None or right is None:
                    return atom.op == "!="
                if atom.op in ("=", "!="):
                    equal = _equal(left, right)
                    return None if equal is None else (equal if atom.op == "=" else not equal)
                return _order(atom.op, left, right)
            if isinstance(atom, n.InList):
                operand = self.span(atom.operand)
                items = [self.span(item) for item in atom.items]
                found: Optional[bool] = False
                if operand is not None:
                    verdicts = [False if item is None else _equal(operand, item) for item in items]
                    found = True if True in verdicts else (None if None in verdicts else False)
                return None if found is None else (not found if atom.negated else found)
        except _Unbounded:
            return None
        return None


def _checked(low: float, high: float) -> tuple[float, float]:
    if math.isnan(low) or math.isnan(high):
        raise _Unbounded("NaN")
    return low, high


def _equal(x: tuple[float, float], y: tuple[float, float]) -> Optional[bool]:
    if x[1] < y[0] or y[1] < x[0]:
        return False
    if x[0] == x[1] == y[0] == y[1]:
        return True
    return None


def _order(op: str, x: tuple[float, float], y: tuple[float, float]) -> Optional[bool]:
    """`x op y` for every x, y in the ranges: True, False, or None (not one truth)."""
    (a, b), (c, d) = x, y
    if op == "<":
        return True if b < c else (False if a >= d else None)
    if op == "<=":
        return True if b <= c else (False if a > d else None)
    if op == ">":
        return True if a > d else (False if b <= c else None)
    if op == ">=":
        return True if a >= d else (False if b < c else None)
    return None
