"""The report's numbers, accumulated one lead at a time (docs/report.md has the definitions).

Memory: counters per segment, a bounded list of examples, and for the exact
quantiles one packed 8-byte float per lead per measure, for each threshold
sweep two (`array('d')`): 100,000 leads cost a few megabytes, whatever their
activity count, and no lead record is kept.
"""

from __future__ import annotations

import dataclasses
import math
from array import array
from typing import Any, Optional

from leadpolicy.syntax import nodes as n
from leadpolicy.tools.report.outcomes import Outcome
from leadpolicy.tools.report.replay import MICROS_PER_DAY, Replay, iso

EXAMPLES = 5
BAND_WIDTH = 20.0
# the time-to-stage distribution's bins, in days: under a day, a week, two weeks, a month, two, three, six, more
TIME_BINS = (0.0, 1.0, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0)


def distribution(values: "array[float]") -> list[dict[str, Any]]:
    """How many of `values` (days) fall in each bin of TIME_BINS, `from_days` <= days < `to_days`
    (the last bin has no end: `to_days` null; a value below 0 counts in the first)."""
    counts = [0] * len(TIME_BINS)
    for value in values:
        index = len(TIME_BINS) - 1
        while index and value < TIME_BINS[index]:
            index -= 1
        counts[index] += 1
    return [{"from_days": low, "to_days": TIME_BINS[i + 1] if i + 1 < len(TIME_BINS) else None, "leads": counts[i]}
            for i, low in enumerate(TIME_BINS)]


def quantile(values: "array[float]", q: float) -> Optional[float]:
    """The q-quantile by linear interpolation between closest ranks (as numpy's default); None when empty."""
    if not values:
        return None
    ordered: list[float] = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


@dataclasses.dataclass
class Segment:
    leads: int = 0
    won: int = 0
    lost: int = 0
    open: int = 0
    won_amount: float = 0.0
    won_with_amount: int = 0  # the average is over won deals that carry an amount

    def add(self, outcome: Optional[Outcome]) -> None:
        self.leads += 1
        if outcome is None:
            return
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        if outcome.status == "won" and outcome.amount is not None:
            self.won_amount += outcome.amount
            self.won_with_amount += 1

    def to_dict(self, overall: Optional[float]) -> dict[str, Any]:
        win_rate = rate(self.won, self.won + self.lost)
        return {"leads": self.leads, "won": self.won, "lost": self.lost, "open": self.open,
                "win_rate": win_rate, "won_amount": self.won_amount,
                "average_won_amount": self.won_amount / self.won_with_amount if self.won_with_amount else None,
                "lift": win_rate / overall if win_rate is not None and overall else None}


NO_GRADE = "(no grade)"  # the segment of leads whose grade is missing (no band matched, or no grades)


@dataclasses.dataclass(frozen=True)
class Threshold:
    """A stage entry comparison of a score with a number: `engagement >= 60` in stage mql."""

    stage: str
    score: str  # "engagement" or "fit"
    op: str
    value: float
    # the comparison itself in the checked tree (the report's sweep forces it true and false: sweep.py)
    node: Optional[n.Compare] = dataclasses.field(default=None, compare=False, hash=False, repr=False)

    @property
    def label(self) -> str:
        return f"{self.stage}: {self.score} {self.op} {self.value:g}"

    def score_of(self, result: Replay) -> float:
        """The lead's score this comparison reads: a lead reaches `engagement >= T` when its highest
        engagement over the replay does, and `engagement < T` when its lowest does."""
        if self.op in ("<", "<="):
            return result.trough_engagement if self.score == "engagement" else result.trough_fit
        return result.peak_engagement if self.score == "engagement" else result.peak_fit

    def holds(self, score: float, threshold: float) -> bool:
        return {">=": score >= threshold, ">": score > threshold, "<=": score <= threshold,
                "<": score < threshold, "=": score == threshold, "!=": score != threshold}[self.op]


def _number(expr: Any) -> Optional[float]:
    """The value of a number literal, `-20` too (read as the negation of 20); None for anything else."""
    if isinstance(expr, n.Number):
        return expr.value
    if isinstance(expr, n.Neg):
        inner = _number(expr.operand)
        return None if inner is None else -inner
    return None


def thresholds_of(tree: n.Policy) -> list[Threshold]:
    found: list[Threshold] = []

    def walk(expr: Any, stage: str) -> None:
        if isinstance(expr, n.Compare) and expr.op in (">=", ">", "<=", "<"):
            left, right, op = expr.left, expr.right, expr.op
            if _number(left) is not None and isinstance(right, (n.Engagement, n.Fit)):
                left, right, op = right, left, n.MIRRORED[op]
            value = _number(right)
            if isinstance(left, (n.Engagement, n.Fit)) and value is not None:
                found.append(Threshold(stage, "engagement" if isinstance(left, n.Engagement) else "fit", op, value,
                                       expr))
                return
        if dataclasses.is_dataclass(expr):
            for f in dataclasses.fields(expr):
                value = getattr(expr, f.name)
                for item in value if isinstance(value, tuple) else (value,):
                    if isinstance(item, n.Expr):
                        walk(item, stage)

    for decl in tree.stages:
        if decl.condition is not None:
            walk(decl.condition, decl.name)
    return found


class Metrics:
    """Accumulates one policy's report over a stream of replayed leads."""

    def __init__(self, tree: n.Policy) -> None:
        self.stages = [s.name for s in tree.stages]
        self.thresholds = thresholds_of(tree)
        self.leads = 0
        self.outside_window = 0
        self.data_errors = 0
        self.error_examples: list[dict[str, Any]] = []
        self.without_outcome = 0
        self.reached = {s: 0 for s in self.stages}
        self.disqualified = 0
        self.disqualified_after_top = 0
        self.demoted = 0
        self.evaluations = 0
        self.velocity = {self._leg(i): array("d") for i in range(1, len(self.stages))}
        self.cycle_days = array("d")
        self.closed_before_entering = 0  # won deals closed before the lead entered: left out of the cycle
        self.overall = Segment()
        self.by_grade: dict[str, Segment] = {}
        self.by_stage = {s: Segment() for s in [*self.stages, n.DISQUALIFIED]}
        self.by_reached = {s: Segment() for s in self.stages}
        self.by_engagement: dict[float, Segment] = {}
        self.by_fit: dict[float, Segment] = {}
        self.missed = {s: 0 for s in self.stages[1:]}
        self.missed_amount = {s: 0.0 for s in self.stages[1:]}
        self.missed_examples: dict[str, list[dict[str, Any]]] = {s: [] for s in self.stages[1:]}
        self.sent_lost = 0
        self.sent_lost_examples: list[dict[str, Any]] = []
        # per threshold, every lead's two numbers (sweep.py: the extreme score over the moments where
        # only the comparison forced true reaches the stage, and where only forced false does), and
        # every lead's outcome code (1 won, 0 lost, -1 other)
        self.ones = [array("d") for _ in self.thresholds]
        self.zeros = [array("d") for _ in self.thresholds]
        self.codes = array("b")

    def _leg(self, i: int) -> str:
        return f"first touch -> {self.stages[i]}" if i == 1 else f"{self.stages[i - 1]} -> {self.stages[i]}"

    def error(self, lead_id: Any, error: dict[str, Any]) -> None:
        self.data_errors += 1
        if len(self.error_examples) < 20:
            self.error_examples.append({"id": lead_id, "error": error})

    def add(self, lead_id: Any, result: Replay, outcome: Optional[Outcome], at_close: Optional[Replay] = None) -> None:
        """The lead's replay to the end, and for a won or lost deal closed before the end, its replay up
        to the close (`at_close`): the missed deals and sent-but-lost are counted and described by that
        one (decision 94)."""
        self.leads += 1
        self.evaluations += result.evaluations
        first = result.first_reached
        top = self.stages[-1]
        for stage in self.stages:
            if stage in first:
                self.reached[stage] += 1
                self.by_reached[stage].add(outcome)
        if result.disqualified_at is not None:
            self.disqualified += 1
            if top in first and first[top] <= result.disqualified_at:
                self.disqualified_after_top += 1
        if result.demoted_at is not None:
            self.demoted += 1
        for i in range(1, len(self.stages)):
            here = first.get(self.stages[i])
            before = result.start if i == 1 else first.get(self.stages[i - 1])
            if here is not None and before is not None:
                self.velocity[self._leg(i)].append((here - before) / MICROS_PER_DAY)
        final = result.final
        highest = n.DISQUALIFIED if final["stage"] == n.DISQUALIFIED else max(
            (s for s in self.stages if s in first), key=self.stages.index, default=self.stages[0])
        self.by_stage[highest].add(outcome)
        grade = NO_GRADE if final["grade"] is None else str(final["grade"])
        self.by_grade.setdefault(grade, Segment()).add(outcome)
        self.by_engagement.setdefault(_band(final["engagement"]), Segment()).add(outcome)
        self.by_fit.setdefault(_band(final["fit"]), Segment()).add(outcome)
        self.overall.add(outcome)
        if outcome is None:
            self.without_outcome += 1
        code = -1 if outcome is None or outcome.status == "open" else int(outcome.status == "won")
        self.codes.append(code)
        for k, (one, zero) in enumerate(result.sweeps):
            self.ones[k].append(one)
            self.zeros[k].append(zero)
        closed = at_close if at_close is not None else result  # the lead as it stood when the deal closed
        if outcome is None or outcome.status != "won":
            # sent before the deal was lost (reaching the stage after it sent nothing to that deal)
            if outcome is not None and outcome.status == "lost" and top in closed.first_reached:
                self.sent_lost += 1
                if len(self.sent_lost_examples) < EXAMPLES:
                    self.sent_lost_examples.append(self._example(lead_id, closed, outcome))
            return
        if outcome.closed_at is not None and result.start is not None:
            if outcome.closed_at < result.start:  # a deal older than the lead's record: it has no cycle
                self.closed_before_entering += 1
            else:
                self.cycle_days.append((outcome.closed_at - result.start) / MICROS_PER_DAY)
        for stage in self.stages[1:]:
            if stage not in closed.first_reached:  # not sent before the deal was won (after it: too late)
                self.missed[stage] += 1
                self.missed_amount[stage] += outcome.amount or 0.0
                if len(self.missed_examples[stage]) < EXAMPLES:
                    self.missed_examples[stage].append(self._example(lead_id, closed, outcome, stage))

    def _example(self, lead_id: Any, result: Replay, outcome: Outcome, stage: Optional[str] = None) -> dict[str, Any]:
        final = result.final
        held: list[str] = []
        below = self.stages[self.stages.index(stage) - 1] if stage is not None else None
        if stage is not None and below != self.stages[0] and below not in result.first_reached:
            held.append(f"never reached {below}")
        elif stage is not None:
            for t in self.thresholds:
                if t.stage == stage:
                    peak = t.score_of(result)
                    if not t.holds(peak, t.value):
                        seen = "at its lowest" if t.op in ("<", "<=") else "peaked at"
                        held.append(f"{t.score} {t.op} {t.value:g} ({seen} {peak:.2f})")
            if final["reason"]["kind"] == "disqualified":
                held.append(f"disqualified by \"{final['reason']['rule']}\"")
            if not held:
                held.append(f"the rest of {stage}'s entry condition never held")
        return {"id": lead_id, "amount": outcome.amount, "closed_at": iso(outcome.closed_at),
                "stage": final["stage"], "grade": final["grade"], "engagement": final["engagement"],
                "fit": final["fit"], "held_back_by": held}

    def sweep(self, k: int) -> list[dict[str, Any]]:
        """The rows of sweep k: at each threshold T, the leads that would reach the stage were the
        comparison's number T (sweep.py), the won and lost among them."""
        t = self.thresholds[k]
        ones, zeros = self.ones[k], self.zeros[k]
        finite = [p for p in (*ones, *zeros) if math.isfinite(p)]
        high = max([*finite, t.value * 2, 1.0])
        low = min([*finite, 0.0])
        steps = 20
        values = sorted({round(low + (high - low) * k / steps, 2) for k in range(steps + 1)} | {t.value})
        total_won = sum(1 for c in self.codes if c == 1)
        rows = []
        for value in values:
            reach = won = lost = 0
            for one, zero, code in zip(ones, zeros, self.codes):
                if t.holds(one, value) or not t.holds(zero, value):
                    reach += 1
                    won += code == 1
                    lost += code == 0
            rows.append({"threshold": value, "current": value == t.value, "leads": reach, "won": won, "lost": lost,
                         "precision": rate(won, won + lost), "recall": rate(won, total_won)})
        return rows

    def to_dict(self) -> dict[str, Any]:
        overall_rate = rate(self.overall.won, self.overall.won + self.overall.lost)
        funnel = []
        for i, stage in enumerate(self.stages):
            nxt = self.reached[self.stages[i + 1]] if i + 1 < len(self.stages) else None
            funnel.append({"stage": stage, "reached": self.reached[stage],
                           "share": rate(self.reached[stage], self.leads),
                           "conversion_to_next": rate(nxt, self.reached[stage]) if nxt is not None else None})
        velocity = {}
        for leg, values in self.velocity.items():
            velocity[leg] = {"leads": len(values), "median_days": quantile(values, 0.5),
                             "p75_days": quantile(values, 0.75)}
        won = self.overall.won
        top = self.by_reached[self.stages[-1]]
        return {
            "leads": self.leads, "data_errors": self.data_errors, "data_error_examples": self.error_examples,
            "outside_window": self.outside_window, "without_outcome": self.without_outcome,
            "evaluations": self.evaluations,
            "funnel": funnel, "disqualified": self.disqualified,
            "disqualified_after_" + self.stages[-1]: self.disqualified_after_top, "demoted": self.demoted,
            "velocity": velocity,
            "time_to_stage": {leg: distribution(values) for leg, values in self.velocity.items()},
            "outcomes": {
                "won": won, "lost": self.overall.lost, "open": self.overall.open, "win_rate": overall_rate,
                self.stages[-1] + "_win_rate": rate(top.won, top.won + top.lost),
                "average_won_amount": (self.overall.won_amount / self.overall.won_with_amount
                                       if self.overall.won_with_amount else None),
                "won_amount": self.overall.won_amount,
                "sales_cycle_median_days": quantile(self.cycle_days, 0.5),
                "sales_cycle_p75_days": quantile(self.cycle_days, 0.75),
                "closed_before_entering": self.closed_before_entering,
            },
            "by_stage_reached": {s: seg.to_dict(overall_rate) for s, seg in self.by_reached.items()},
            "by_final_stage": {s: seg.to_dict(overall_rate) for s, seg in self.by_stage.items()},
            "by_grade": {g: self.by_grade[g].to_dict(overall_rate)
                         for g in sorted(self.by_grade, key=lambda g: (g == NO_GRADE, g))},
            "by_engagement_band": {_band_label(b): self.by_engagement[b].to_dict(overall_rate) for b in sorted(self.by_engagement)},
            "by_fit_band": {_band_label(b): self.by_fit[b].to_dict(overall_rate) for b in sorted(self.by_fit)},
            "missed_deals": {s: {"won_deals": self.missed[s], "won_amount": self.missed_amount[s],
                                 "share_of_won": rate(self.missed[s], won), "examples": self.missed_examples[s]}
                             for s in self.stages[1:]},
            "sent_but_lost": {"stage": self.stages[-1], "leads": self.sent_lost, "examples": self.sent_lost_examples},
            "threshold_sweeps": [{"condition": t.label, "stage": t.stage, "score": t.score, "op": t.op,
                                  "current": t.value, "rows": self.sweep(k)} for k, t in enumerate(self.thresholds)],
        }


def _band(score: float) -> float:
    return math.floor(score / BAND_WIDTH) * BAND_WIDTH


def _band_label(band: float) -> str:
    return f"{band:g} to {band + BAND_WIDTH:g}"
