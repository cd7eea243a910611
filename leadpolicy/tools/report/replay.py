"""Replay one lead through time: every moment its decision can change.

A lead's decision depends on time only through activities entering the past
(at `at`), leaving a window (`within D`: counted while `as_of <= at + D`,
so it leaves at `at + D + 1µs`), decay steps (`at + k*every`) and `days
since FIELD` crossing a whole day (`value + k days`). We evaluate the compiled
policy at exactly those instants, carrying the previous stage forward as
production would, so the replay is exact to the microsecond (docs/report.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Optional, cast

from leadpolicy.semantics.runtime import parse_instant
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.visitor import NodeVisitor

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
MICROS_PER_DAY = n.MICROS_PER_DAY
MAX_DECAY_STEPS = 400  # beyond this many steps a decayed score is below any float's resolution anyway


def to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def iso(micros: Optional[int]) -> Optional[str]:
    if micros is None:
        return None
    text = to_datetime(micros).isoformat().replace("+00:00", "Z")
    return text


class _TimeFacts(NodeVisitor):
    """Collects from the checked tree what makes time matter: windows, decay, days-since fields."""

    prefix = "visit_"
    exhaustive = False  # a traversal: generic_visit looks at every node

    def __init__(self) -> None:
        self.windows: dict[Optional[str], set[int]] = {}  # activity type (None: any) -> window lengths
        self.scored: dict[str, Optional[int]] = {}  # type -> longest engagement window (None: unbounded)
        self.since_fields: set[str] = set()

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(node, n.Did) and node.within is not None:
            kind = node.activity.lower() if node.activity else None
            self.windows.setdefault(kind, set()).add(int(node.within.micros))
        elif isinstance(node, n.EngagementRule):
            kind = node.activity.lower()
            longest = self.scored.get(kind, 0)
            if node.within is None:
                self.scored[kind] = None
            else:
                self.windows.setdefault(kind, set()).add(int(node.within.micros))
                if longest is not None:
                    self.scored[kind] = max(longest, int(node.within.micros))
        elif isinstance(node, n.DaysSince):
            self.since_fields.add(node.field_name)
        if dataclasses.is_dataclass(node):
            for f in dataclasses.fields(node):
                self._walk(getattr(node, f.name))

    def _walk(self, value: Any) -> None:
        if isinstance(value, n.Node):
            if isinstance(value, n.TestBlock):
                return  # tests do not decide anything
            self.visit(value)
        elif isinstance(value, tuple):
            for item in value:
                self._walk(item)


@dataclasses.dataclass(frozen=True)
class TimeModel:
    """What of a policy makes a lead's decision move with time."""

    windows: dict[str, tuple[int, ...]]  # activity type (lower case) -> the windows it can leave
    decay_every: Optional[int]
    decay_horizon: dict[str, Optional[int]]  # type -> how long its points last (None: for ever); absent: unscored
    since_fields: tuple[str, ...]
    activity_types: frozenset[str]
    declared_names: dict[str, str] = dataclasses.field(default_factory=dict)  # lower case -> as declared

    def time_field(self, kind: str) -> str:
        """The field a bad time of an activity of this type is reported under, as the evaluator
        names it (`demo.at`)."""
        lowered = kind.strip().lower()
        return f"{self.declared_names.get(lowered, lowered)}.at"

    @classmethod
    def of(cls, tree: n.Policy) -> "TimeModel":
        facts = _TimeFacts()
        facts._walk(tree.blocks)
        decay = tree.decay
        types = frozenset(a.name.lower() for a in tree.activities)
        shared = facts.windows.get(None, set())
        return cls(
            windows={t: tuple(sorted(facts.windows.get(t, set()) | shared)) for t in types},
            decay_every=int(decay.every.micros) if decay is not None else None,
            decay_horizon=dict(facts.scored),
            since_fields=tuple(sorted(facts.since_fields)),
            activity_types=types,
            declared_names={a.name.lower(): a.name for a in tree.activities},
        )


@dataclasses.dataclass
class Step:
    """One evaluation in the replay where the stage changed."""

    at: int
    stage: str
    previous: Optional[str]
    change: str
    cause: str  # "activity", "window", "decay", "days since", "start"
    detail: str
    engagement_before: Optional[float]
    fit_before: Optional[float]
    engagement: float
    fit: float
    grade: Optional[str]
    reason: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"at": iso(self.at), "stage": self.stage, "previous_stage": self.previous, "change": self.change,
                "cause": self.cause, "detail": self.detail,
                "engagement_before": self.engagement_before, "fit_before": self.fit_before,
                "engagement": self.engagement, "fit": self.fit, "grade": self.grade, "reason": self.reason}


@dataclasses.dataclass
class Replay:
    """A lead's history under the policy."""

    start: Optional[int]
    first_reached: dict[str, int]  # stage -> first instant at which the stage (or a higher one) was reached
    demoted_at: Optional[int]
    disqualified_at: Optional[int]
    steps: list[Step]
    final: dict[str, Any]  # the decision at the end of the replay
    peak_engagement: float
    peak_fit: float
    evaluations: int
    entered: Optional[int] = None  # created_at or the first activity, even after `end` (start is never)


def first_touch(model: TimeModel, activities: Any, lead_id: Any = None) -> Optional[int]:
    """The time of the lead's earliest activity of a declared type, or None."""
    times = [at for at, _ in _activity_times(model, activities, lead_id)]
    return min(times) if times else None


def _activity_times(model: TimeModel, activities: Any, lead_id: Any) -> list[tuple[int, str]]:
    times: list[tuple[int, str]] = []
    for activity in activities if isinstance(activities, (list, tuple)) else ():
        if not isinstance(activity, Mapping):  # the runtime reads any mapping
            continue
        kind = activity.get("type")
        if not isinstance(kind, str) or kind.strip().lower() not in model.activity_types or "at" not in activity:
            continue
        times.append((parse_instant(activity["at"], model.time_field(kind), lead_id), kind.strip()))
    times.sort()
    return times


def _timed_indices(model: TimeModel, activities: Sequence[Any], lead_id: Any) -> list[tuple[int, int]]:
    """(time, index) of each activity of a declared type, by time."""
    found = []
    for index, activity in enumerate(activities):
        if isinstance(activity, Mapping):
            kind = activity.get("type")
            if isinstance(kind, str) and kind.strip().lower() in model.activity_types and "at" in activity:
                found.append((parse_instant(activity["at"], model.time_field(kind), lead_id), index))
    found.sort()
    return found


def candidate_moments(model: TimeModel, fields: Any, activities: Iterable[Any], start: int, end: int,
                      lead_id: Any = None) -> dict[int, tuple[Any, ...]]:
    """Every instant in [start, end] at which the decision can change -> (cause, detail format, *arguments);
    `describe` makes the detail text (only for the moments shown, to keep the replay fast)."""
    return _moments(model, fields, _activity_times(model, activities, lead_id), start, end, lead_id)


def _moments(model: TimeModel, fields: Any, times: list[tuple[int, str]], start: int, end: int,
             lead_id: Any) -> dict[int, tuple[Any, ...]]:
    """candidate_moments, given the (time, type as written) of each activity of a declared type, by time."""
    moments: dict[int, tuple[Any, ...]] = {}

    def add(at: int, cause: str, *detail: Any) -> None:
        if start <= at <= end and at not in moments:
            moments[at] = (cause, *detail)

    for at, kind in times:  # activities first: when several causes coincide, the activity is named
        add(at, "activity", "{}", kind)
    for at, kind in times:
        key = kind.lower()
        for window in model.windows[key]:
            add(at + window + 1, "window", "{} at {} left a {} window", kind, at, window)
        if model.decay_every and key in model.decay_horizon:
            # decay moves this activity's points only while some rule still counts it
            horizon = model.decay_horizon[key]
            last = end if horizon is None else min(end, at + horizon)
            for k in range(1, MAX_DECAY_STEPS + 1):
                step = at + k * model.decay_every
                if step > last:
                    break
                add(step, "decay", "{} at {} decayed {} step(s)", kind, at, k)
    if model.since_fields and isinstance(fields, dict):
        # `days since F` = floor((as_of - F) / 1 day) steps at F + k days: every such instant in range
        for name in model.since_fields:
            raw = fields.get(name)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            value = parse_instant(raw, name, lead_id)
            k = -(-(start - value) // MICROS_PER_DAY)  # the first k with value + k days >= start
            while value + k * MICROS_PER_DAY <= end:
                add(value + k * MICROS_PER_DAY, "days since", "{} days since {}", k, name)
                k += 1
    return moments


def describe(moment: tuple[Any, ...]) -> tuple[str, str]:
    """(cause, detail text) of a candidate moment."""
    cause, template, *args = moment
    if cause in ("window", "decay"):
        kind, at, n = args
        return cause, template.format(kind, iso(at), _days(n) if cause == "window" else n)
    return cause, template.format(*args)


def _days(micros: int) -> str:
    days = micros / MICROS_PER_DAY
    if days == int(days):
        return f"{int(days)}-day"
    return f"{micros / 3_600_000_000:g}-hour"


def replay(policy: Any, model: TimeModel, fields: Any, activities: Any, start: Optional[int], end: int,
           lead_id: Any = None, keep_steps: bool = False, read_once: bool = True) -> Replay:
    """Replay a lead from `start` (created_at or first activity) to `end`.

    Raises LeadDataError (from the evaluator or reading times) for data that cannot be read.
    Speed: the lead is read once (the compiled module's `_read_lead`) and decided at every
    instant from what was read. A lead that cannot be read so, or whose decision from what
    was read overflows the datetime range (a window reaching back before year 1), is handed to
    `evaluate` raw at every instant instead (as with `read_once=False`), which decides exactly
    alike and raises the very error production would."""
    module = policy.module
    if read_once and (activities is None or isinstance(activities, (list, tuple))):
        try:
            values, acts = module._read_lead(fields, activities, lead_id)
        except (ValueError, OverflowError):  # LeadDataError included: evaluate reports it, below
            pass
        else:
            decide = module._decide
            # the (time, type as written) of each read activity: the types of `activities` that are
            # declared, in input order (every one is an object with a type, or it would not be read)
            written = [kind.strip() for kind in (a["type"] for a in activities or ())
                       if kind.strip().lower() in model.activity_types]
            timed = sorted(((at - EPOCH) // _MICROSECOND, index) for index, (_, at, _) in enumerate(acts))

            def decide_read(at: int, past: Optional[list[Any]], previous: Optional[str]) -> dict[str, Any]:
                read = (values, acts if past is None else past)
                return cast("dict[str, Any]", decide(None, None, previous, lead_id, to_datetime(at), at, read))

            try:
                return _walk(policy, model, fields, sorted((at, written[i]) for at, i in timed), timed, acts,
                             decide_read, start, end, lead_id, keep_steps)
            except OverflowError:
                pass
    evaluate = module.evaluate
    listed = activities if isinstance(activities, (list, tuple)) else None

    def decide_raw(at: int, past: Optional[list[Any]], previous: Optional[str]) -> dict[str, Any]:
        return cast("dict[str, Any]", evaluate(fields, activities if past is None else past, to_datetime(at),
                                               previous, lead_id))

    times = _activity_times(model, activities, lead_id)
    timed = _timed_indices(model, listed, lead_id) if listed is not None else []
    return _walk(policy, model, fields, times, timed, listed, decide_raw, start, end, lead_id, keep_steps)


def _walk(policy: Any, model: TimeModel, fields: Any, times: list[tuple[int, str]], timed: list[tuple[int, int]],
          listed: Optional[Sequence[Any]], decide: Callable[[int, Optional[list[Any]], Optional[str]], dict[str, Any]],
          start: Optional[int], end: int, lead_id: Any, keep_steps: bool) -> Replay:
    """The replay proper: `decide(instant, the activities in the past or None for all, previous stage)`
    at every moment; `times` as _activity_times gives them, `timed` the (time, index in `listed`)
    of each activity by time (`listed` None: activities that are not a list, handed over whole)."""
    entered = start if start is not None else (times[0][0] if times else None)
    if start is None:
        start = times[0][0] if times else end
        start = end if start > end else start
    start = min(start, end)
    moments = _moments(model, fields, times, start, end, lead_id)
    moments.setdefault(start, ("start", "first seen"))
    moments.setdefault(end, ("as of", "the end of the replay"))
    order = {name: i for i, name in enumerate(s.name for s in policy.tree.stages)}
    stages = [s.name for s in policy.tree.stages]
    # Speed: before `end`, hand the evaluator only the activities already in the past (in their
    # original order, so every sum is taken in the same order); the evaluation at `end` gets the
    # full list, as production would, so every activity is still read and checked.
    cursor = 0
    past: Optional[list[Any]] = [] if listed is not None else None
    previous: Optional[str] = None
    first: dict[str, int] = {}
    demoted_at = disqualified_at = None
    steps: list[Step] = []
    last: Optional[dict[str, Any]] = None
    peak_e = float("-inf")
    peak_f = float("-inf")
    count = 0
    for at in sorted(moments):
        if listed is not None and cursor < len(timed) and timed[cursor][0] <= at:
            while cursor < len(timed) and timed[cursor][0] <= at:
                cursor += 1
            past = [listed[i] for i in sorted(i for _, i in timed[:cursor])]
        decision = decide(at, None if at == end else past, previous)
        count += 1
        stage = decision["stage"]
        e = decision["engagement"]
        if e > peak_e:
            peak_e = e
        if decision["fit"] > peak_f:
            peak_f = decision["fit"]
        if stage != previous:
            if stage == "disqualified":
                if disqualified_at is None:
                    disqualified_at = at
            else:
                for name in stages[: order[stage] + 1]:
                    first.setdefault(name, at)
                if decision["change"] == "demoted" and demoted_at is None:
                    demoted_at = at
            if keep_steps:
                cause, detail = describe(moments[at])
                steps.append(Step(at, stage, previous, decision["change"], cause, detail,
                                  last["engagement"] if last else None, last["fit"] if last else None,
                                  e, decision["fit"], decision["grade"], decision["reason"]))
        previous = stage
        last = decision
    assert last is not None, "start and end are moments"
    return Replay(start, first, demoted_at, disqualified_at, steps, last, peak_e, peak_f, count, entered)
