"""Replay one lead through time: every moment its decision can change.

A lead's decision depends on time only through activities entering the past
(at `at`), leaving a window (`within D`: counted while `as_of <= at + D`,
so it leaves at `at + D + 1µs`), decay steps (`at + k*every`) and `days
since FIELD` crossing a whole day (`value + k days`). We evaluate the compiled
policy at exactly those instants, carrying the previous stage forward as
production would, so the replay is exact to the microsecond (docs/report.md).

Why it is one long module: the moments (`candidate_moments`, `cause_of`) and the walker that
evaluates at them (`_Walker`) share the time model and the moment tuples, and are read
together; the parts that stand alone are already beside it (decay_steps.py, the bounds that
skip decay steps; sweep.py, the threshold probes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Optional, cast

from leadpolicy.semantics import reference
from leadpolicy.semantics.runtime import parse_instant, read_fields
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.visitor import NodeVisitor
from leadpolicy.tools.report.decay_steps import Bounds, Lattice

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
MICROS_PER_DAY = n.MICROS_PER_DAY
SHORT_DECAY = 64  # an activity with at most this many decay steps has each one as a moment of its own
EVERY_STEP_UP_TO = 16  # between two moments, this many decay steps or fewer are each evaluated (no bounds)


# The first instant a datetime holds. Lead data reaches up to a day before it (`0001-01-01T00:00+23:59`
# is 0000-12-31T00:01Z): a replay starts no earlier than this, and such a time is still shown.
EARLIEST = (datetime.min.replace(tzinfo=timezone.utc) - EPOCH) // _MICROSECOND


def to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def iso(micros: Optional[int]) -> Optional[str]:
    if micros is None:
        return None
    if micros < EARLIEST:  # on 0000-12-31, the day before the first a datetime holds
        return "0000-12-31" + to_datetime(micros + MICROS_PER_DAY).isoformat()[10:].replace("+00:00", "Z")
    return to_datetime(micros).isoformat().replace("+00:00", "Z")


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
    # a stage entered below a number (`when engagement < 5`): the report's sweep reads the lowest engagement
    lows: bool = False

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
            lows=any(op in ("<", "<=") for op in _threshold_ops(tree)),
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
    # the lowest scores over the replay, for a stage entered below a number (`when engagement < 5`)
    trough_engagement: float = float("inf")
    trough_fit: float = float("inf")
    # per threshold sweep (sweep.py): the extreme score over the moments where only the comparison
    # forced true reaches its stage, and over those where only forced false does (or both: infinite)
    sweeps: list[tuple[float, float]] = dataclasses.field(default_factory=list)


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
                      lead_id: Any = None, limit: Optional[int] = None) -> Optional[list[int]]:
    """Every instant in [start, end] at which the decision can change, decay steps included, in
    time order; None when there are more than `limit`. The replay evaluates at the moments that
    are not decay steps and at the decay steps it cannot prove change nothing (decay_steps.py);
    this list is for checking it against brute force."""
    times = _activity_times(model, activities, lead_id)
    instants, long = _moments(model, fields, times, start, end, lead_id)
    moments = sorted(instants | {start, end})
    found: list[int] = []
    alive = _Alive(model, long)
    for index, at in enumerate(moments):
        if index and long:
            steps = alive.lattice(moments[index - 1], at)
            if steps is not None:
                if limit is not None and len(found) + len(steps) > limit:
                    return None
                found.extend(steps[i] for i in range(len(steps)))
        found.append(at)
    return found


def _moments(model: TimeModel, fields: Any, times: list[tuple[int, str]], start: int, end: int,
             lead_id: Any) -> tuple[set[int], list[tuple[int, str]]]:
    """The instants in [start, end] at which the decision can change, given the (time, type as
    written) of each activity of a declared type, by time: activities arriving, activities leaving
    a window, `days since` days, and the decay steps of activities that take few (SHORT_DECAY);
    the steps of the others (returned beside the moments) come from _Alive, between these moments."""
    moments: set[int] = set()
    long: list[tuple[int, str]] = []
    for at, kind in times:
        moments.add(at)
        for window in model.windows[kind.lower()]:
            moments.add(at + window + 1)
        steps = _decay_steps_of(model, at, kind, end)
        if steps > SHORT_DECAY:
            long.append((at, kind))
        elif steps:
            moments.update(at + k * model.decay_every for k in range(1, steps + 1))  # type: ignore[operator]
    if model.since_fields and isinstance(fields, dict):
        # `days since F` = floor((as_of - F) / 1 day) steps at F + k days: every such instant in range
        for name, value in _since_values(model, fields, lead_id):
            k = -(-(start - value) // MICROS_PER_DAY)  # the first k with value + k days >= start
            while value + k * MICROS_PER_DAY <= end:
                moments.add(value + k * MICROS_PER_DAY)
                k += 1
    return {at for at in moments if start <= at <= end}, long


def _decay_steps_of(model: TimeModel, at: int, kind: str, end: int) -> int:
    """How many decay steps an activity takes up to `end` while some engagement rule counts it."""
    key = kind.lower()
    if not model.decay_every or key not in model.decay_horizon:
        return 0  # decay moves an activity's points only while some rule counts it
    horizon = model.decay_horizon[key]
    last = end if horizon is None else min(end, at + horizon)
    return max(0, (last - at) // model.decay_every)


def _since_values(model: TimeModel, fields: dict[str, Any], lead_id: Any) -> list[tuple[str, int]]:
    found = []
    for name in model.since_fields:
        raw = fields.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        found.append((name, parse_instant(raw, name, lead_id)))
    return found


class _Alive:
    """The decay steps between two moments of activities with many (SHORT_DECAY): the phases
    of those whose points some engagement rule still counts there (it has arrived and not left
    the rule's longest window). Moments are asked for in time order: the activities are swept once."""

    def __init__(self, model: TimeModel, long: list[tuple[int, str]]) -> None:
        self.every = model.decay_every
        events: list[tuple[int, int, int]] = []  # (instant, +1 arrives / -1 leaves, phase)
        if self.every:
            for at, kind in long:
                horizon = model.decay_horizon[kind.lower()]
                events.append((at, 1, at % self.every))
                if horizon is not None:  # it leaves at its longest window's exit (a moment)
                    events.append((at + horizon + 1, -1, at % self.every))
        events.sort()
        self.events = events
        self.next = 0
        self.phases: dict[int, int] = {}

    def lattice(self, a: int, b: int) -> Optional[Lattice]:
        """The decay steps strictly between consecutive moments a < b (None: there are none)."""
        if not self.every:
            return None
        while self.next < len(self.events) and self.events[self.next][0] <= a:
            _, change, phase = self.events[self.next]
            self.phases[phase] = self.phases.get(phase, 0) + change
            if not self.phases[phase]:
                del self.phases[phase]
            self.next += 1
        if not self.phases:
            return None
        steps = Lattice(self.every, set(self.phases), a, b)
        return steps if len(steps) else None


def cause_of(model: TimeModel, fields: Any, times: list[tuple[int, str]], start: int, end: int, at: int,
             lead_id: Any = None) -> tuple[Any, ...]:
    """What an instant of the replay is, for its step's detail: (cause, detail format, *arguments).
    When several coincide, an activity arriving is named first; then, activity by activity in
    time order, one leaving a window or a decay step of it; then a `days since` day."""
    for time, kind in times:
        if time == at:
            return ("activity", "{}", kind)
    every = model.decay_every
    for time, kind in times:
        key = kind.lower()
        for window in model.windows[key]:
            if time + window + 1 == at:
                return ("window", "{} at {} left a {} window", kind, time, window)
        if every and key in model.decay_horizon and at > time and (at - time) % every == 0:
            horizon = model.decay_horizon[key]
            if horizon is None or at <= time + horizon:
                return ("decay", "{} at {} decayed {} step(s)", kind, time, (at - time) // every)
    if model.since_fields and isinstance(fields, dict):
        for name, value in _since_values(model, fields, lead_id):
            if (at - value) % MICROS_PER_DAY == 0:
                return ("days since", "{} days since {}", (at - value) // MICROS_PER_DAY, name)
    if at == start:
        return ("start", "first seen")
    return ("as of", "the end of the replay")


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
           lead_id: Any = None, keep_steps: bool = False, read_once: bool = True,
           sweeps: Sequence[Any] = ()) -> Replay:
    """Replay a lead from `start` (created_at or first activity) to `end`.

    Raises LeadDataError (from the evaluator or reading times) for data that cannot be read.
    Speed: the lead is read once (the compiled module's `_read_lead`) and decided at every
    instant from what was read. A lead that cannot be read so, or whose decision from what
    was read overflows the datetime range (a window reaching back before year 1), is handed to
    `evaluate` raw at every instant instead (as with `read_once=False`), which decides exactly
    alike and raises the very error production would. `sweeps`: the report's threshold sweeps
    (sweep.Probe), each one's two numbers kept in the result's `sweeps`."""
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

            def reach_read(module: Any, reaching: frozenset[str]) -> Callable[[int, Optional[list[Any]]], bool]:
                # a variant has the policy's fields and activities: it reads the lead as the policy does
                variant = module._decide

                def reach(at: int, past: Optional[list[Any]]) -> bool:
                    read = (values, acts if past is None else past)
                    return variant(None, None, None, lead_id, to_datetime(at), at, read)["stage"] in reaching
                return reach

            try:
                return _walk(policy, model, fields, sorted((at, written[i]) for at, i in timed), timed, acts,
                             decide_read, start, end, lead_id, keep_steps, _checks(sweeps, reach_read))
            except OverflowError:
                pass
    evaluate = module.evaluate
    listed = activities if isinstance(activities, (list, tuple)) else None

    def decide_raw(at: int, past: Optional[list[Any]], previous: Optional[str]) -> dict[str, Any]:
        return cast("dict[str, Any]", evaluate(fields, activities if past is None else past, to_datetime(at),
                                               previous, lead_id))

    def reach_raw(module: Any, reaching: frozenset[str]) -> Callable[[int, Optional[list[Any]]], bool]:
        variant = module.evaluate

        def reach(at: int, past: Optional[list[Any]]) -> bool:
            decision = variant(fields, activities if past is None else past, to_datetime(at), None, lead_id)
            return decision["stage"] in reaching
        return reach

    times = _activity_times(model, activities, lead_id)
    timed = _timed_indices(model, listed, lead_id) if listed is not None else []
    return _walk(policy, model, fields, times, timed, listed, decide_raw, start, end, lead_id, keep_steps,
                 _checks(sweeps, reach_raw))


Check = Any  # a bool (the predicate is a constant) or (instant, the activities in the past or None) -> bool


def _checks(sweeps: Sequence[Any], reach: Callable[[Any, frozenset[str]], Check]) -> list[tuple[Any, Check, Check]]:
    """(probe, P1, P0) per sweep: the predicate `reaches the stage` with the comparison forced true, false."""
    return [(probe, *(constant if constant is not None else reach(module, probe.reaching)
                      for constant, module in zip(probe.constant, probe.modules))) for probe in sweeps]


def _walk(policy: Any, model: TimeModel, fields: Any, times: list[tuple[int, str]], timed: list[tuple[int, int]],
          listed: Optional[Sequence[Any]], decide: Callable[[int, Optional[list[Any]], Optional[str]], dict[str, Any]],
          start: Optional[int], end: int, lead_id: Any, keep_steps: bool,
          checks: Sequence[tuple[Any, Check, Check]] = ()) -> Replay:
    """The replay proper: `decide(instant, the activities in the past or None for all, previous stage)`
    at every moment; `times` as _activity_times gives them, `timed` the (time, index in `listed`)
    of each activity by time (`listed` None: activities that are not a list, handed over whole)."""
    entered = start if start is not None else (times[0][0] if times else None)
    if start is None:
        start = times[0][0] if times else end
        start = end if start > end else start
    start = max(min(start, end), EARLIEST)  # an activity before year 1 in UTC counts from the first instant on
    walker = _Walker(policy, model, fields, times, timed, listed, decide, start, end, lead_id, keep_steps, checks)
    instants, long = _moments(model, fields, times, start, end, lead_id)
    moments = sorted(instants | {start, end})
    alive = _Alive(model, long)
    for index, at in enumerate(moments):
        if index and long:
            steps = alive.lattice(moments[index - 1], at)
            if steps is not None:
                walker.decay_steps(steps)
        walker.visit(at)
    assert walker.last is not None, "start and end are moments"
    return Replay(start, walker.first, walker.demoted_at, walker.disqualified_at, walker.steps, walker.last,
                  walker.peak_e, walker.peak_f, walker.count, entered, walker.trough_e, walker.trough_f,
                  [(one, zero) for one, zero in walker.sweep])


def _threshold_ops(tree: Any) -> list[str]:
    """The comparison operators of the report's threshold sweeps (metrics.thresholds_of)."""
    from leadpolicy.tools.report.metrics import thresholds_of

    return [t.op for t in thresholds_of(tree)]


_NEITHER, _ONE, _ZERO, _BOTH = 0, 1, 2, 3  # at a moment: neither P1 nor P0, P1 alone (or maybe), P0 alone, both


class _Walker:
    """The replay's state, moment by moment: the stage carried forward, the instants each stage
    was first reached, the peaks, the steps."""

    def __init__(self, policy: Any, model: TimeModel, fields: Any, times: list[tuple[int, str]],
                 timed: list[tuple[int, int]], listed: Optional[Sequence[Any]],
                 decide: Callable[[int, Optional[list[Any]], Optional[str]], dict[str, Any]],
                 start: int, end: int, lead_id: Any, keep_steps: bool,
                 checks: Sequence[tuple[Any, Check, Check]] = ()) -> None:
        self.policy, self.model, self.fields, self.times = policy, model, fields, times
        self.timed, self.listed, self.decide = timed, listed, decide
        self.start, self.end, self.lead_id, self.keep_steps = start, end, lead_id, keep_steps
        self.order = {name: i for i, name in enumerate(s.name for s in policy.tree.stages)}
        self.stages = [s.name for s in policy.tree.stages]
        # Speed: before `end`, hand the evaluator only the activities already in the past (in their
        # original order, so every sum is taken in the same order); the evaluation at `end` gets the
        # full list, as production would, so every activity is still read and checked.
        self.cursor = 0
        self.past: Optional[list[Any]] = [] if listed is not None else None
        self.previous: Optional[str] = None
        self.first: dict[str, int] = {}
        self.demoted_at: Optional[int] = None
        self.disqualified_at: Optional[int] = None
        self.steps: list[Step] = []
        self.last: Optional[dict[str, Any]] = None
        self.peak_e = float("-inf")
        self.peak_f = float("-inf")
        self.trough_e = float("inf")
        self.trough_f = float("inf")
        self.lows = model.lows  # the sweep reads the lowest engagement: found exactly too
        self.count = 0
        self._bounds: Optional[Bounds] = None
        # the threshold sweeps (sweep.py): per sweep [extreme over P1 alone, extreme over P0 alone]
        self.checks = checks
        inf = float("inf")
        self.sweep = [[-inf, inf] if probe.up else [inf, -inf] for probe, _, _ in checks]
        self.flags: tuple[int, ...] = ()  # what each sweep saw at the last moment evaluated (_ONE, ...)

    def evaluate(self, at: int) -> dict[str, Any]:
        """The decision at `at` with the stage carried forward so far (peaks and count kept)."""
        if self.listed is not None and self.cursor < len(self.timed) and self.timed[self.cursor][0] <= at:
            while self.cursor < len(self.timed) and self.timed[self.cursor][0] <= at:
                self.cursor += 1
            self.past = [self.listed[i] for i in sorted(i for _, i in self.timed[: self.cursor])]
        decision = self.decide(at, None if at == self.end else self.past, self.previous)
        self.count += 1
        if decision["engagement"] > self.peak_e:
            self.peak_e = decision["engagement"]
        if decision["fit"] > self.peak_f:
            self.peak_f = decision["fit"]
        if decision["engagement"] < self.trough_e:
            self.trough_e = decision["engagement"]
        if decision["fit"] < self.trough_f:
            self.trough_f = decision["fit"]
        if self.checks:
            past = None if at == self.end else self.past
            self.flags = tuple(self._sweep(k, at, past, decision) for k in range(len(self.checks)))
        return decision

    def _sweep(self, k: int, at: int, past: Optional[list[Any]], decision: dict[str, Any]) -> int:
        """Sweep k at this moment. Where the decision says whether the lead reaches the stage with
        the number as it is (a placement by the entry conditions, or a disqualification), that is P1
        when the comparison holds and P0 when it does not; the rest is evaluated, P0 first, and P1
        only where it can move the sweep's numbers (once both held, the lead reaches the stage at
        every threshold, and nothing is evaluated)."""
        probe, one, zero = self.checks[k]
        state = self.sweep[k]
        if state[1] == probe.always:
            return _BOTH
        score = decision["engagement"] if probe.engagement else decision["fit"]
        kind = decision["reason"]["kind"]
        here = False if kind == "disqualified" else (decision["stage"] in probe.reaching if kind == "qualified"
                                                      else None)
        holds = probe.holds(score)

        def forced(check: Check, value: bool) -> bool:
            if isinstance(check, bool):
                return check
            if here is not None and holds == value:
                return here
            return bool(check(at, past))

        if forced(zero, False):
            if forced(one, True):
                state[1] = probe.always
                return _BOTH
            if (score < state[1]) if probe.up else (score > state[1]):
                state[1] = score
            return _ZERO
        improves = (score > state[0]) if probe.up else (score < state[0])
        if not improves and not isinstance(one, bool) and not (here is not None and holds):
            return _ONE  # P1 not evaluated (it could not move the number): taken as holding
        if not forced(one, True):
            return _NEITHER
        if improves:
            state[0] = score
        return _ONE

    def _sweeps_settled(self, low: float, high: float, flags: tuple[int, ...]) -> bool:
        """Whether no engagement in [low, high] at moments like the one with these flags (P1 and
        P0 do not change across a proven span) moves a sweep's numbers."""
        for (probe, _, _), state, flag in zip(self.checks, self.sweep, flags):
            if not probe.engagement or flag in (_NEITHER, _BOTH):
                continue
            if flag == _ONE:
                settled = high <= state[0] if probe.up else low >= state[0]
            else:
                settled = low >= state[1] if probe.up else high <= state[1]
            if not settled:
                return False
        return True

    def visit(self, at: int, decision: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """Evaluate at `at` (or take the decision already made there with the current previous
        stage) and carry the stage forward."""
        decision = self.evaluate(at) if decision is None else decision
        stage = decision["stage"]
        if stage != self.previous:
            if stage == n.DISQUALIFIED:
                if self.disqualified_at is None:
                    self.disqualified_at = at
            else:
                for name in self.stages[: self.order[stage] + 1]:
                    self.first.setdefault(name, at)
                if decision["change"] == "demoted" and self.demoted_at is None:
                    self.demoted_at = at
            if self.keep_steps:
                cause, detail = describe(cause_of(self.model, self.fields, self.times, self.start, self.end, at,
                                                  self.lead_id))
                last = self.last
                self.steps.append(Step(at, stage, self.previous, decision["change"], cause, detail,
                                       last["engagement"] if last else None, last["fit"] if last else None,
                                       decision["engagement"], decision["fit"], decision["grade"], decision["reason"]))
        self.previous = stage
        self.last = decision
        return decision

    def decay_steps(self, steps: Lattice) -> None:
        """The decay steps between two moments: each one when they are few; otherwise the spans
        over which nothing the stage reads can differ are skipped (decay_steps.py), halving a
        span until it is proven or is one step."""
        size = len(steps)
        if size <= EVERY_STEP_UP_TO:
            for i in range(size):
                self.visit(steps[i])
            return
        bounds = self.bounds()
        # step -> (decision, previous stage it had, the sweeps' flags)
        probes: dict[int, tuple[dict[str, Any], Optional[str], tuple[int, ...]]] = {}

        def probe(index: int) -> dict[str, Any]:
            if index not in probes:
                probes[index] = (self.evaluate(steps[index]), self.previous, self.flags)
            return probes[index][0]

        i = 0
        here = self.visit(steps[0])
        flags = self.flags
        while i < size - 1:
            m = size - 1
            while True:
                there = probe(m)
                low, high = bounds.engagement_range(bounds.totals(here), bounds.totals(there))
                if high <= self.peak_e and (not self.lows or low >= self.trough_e) \
                        and bounds.settled(low, high, here["fit"], steps[i]) and self._sweeps_settled(low, high, flags):
                    i, here = m, there  # the stage at every step up to m is the stage at i
                    break
                if m == i + 1:
                    decision, previous, seen = probes[m]
                    if previous == self.previous:
                        i, here, flags = m, self.visit(steps[m], decision), seen
                    else:
                        i, here = m, self.visit(steps[m])
                        flags = self.flags
                    break
                m = (i + m) // 2

    def bounds(self) -> Bounds:
        if self._bounds is None:
            tree = self.policy.tree
            self._bounds = Bounds(tree, read_fields(self.fields, reference.field_schema(tree), self.lead_id))
        return self._bounds
