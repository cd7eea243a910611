"""The replay reads each lead once: the compiled module's `_read_lead`, then
`_decide(..., read=...)` at every instant (docs/performance.md, "`leadpolicy report`").

What must hold, on random policies and messy leads (tests/support/leadgen.py):
- `_read_lead` raises exactly when `evaluate` raises a data error for the lead;
- deciding from what was read (any subset of the activities in input order, any
  instant) gives exactly what `evaluate` gives on the raw lead;
- the whole replay (every first reach, demotion, step, peak, the final decision and
  the number of evaluations) is the same read once as raw at every instant.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from support.leadgen import leads_for, policy_texts

import leadpolicy
from leadpolicy.semantics.runtime import parse_instant
from leadpolicy.tools.report.replay import TimeModel, replay, to_datetime
from leadpolicy.tools.report.sweep import probes_of

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _outcome(run):
    try:
        return ("decision", json.dumps(run()))
    except leadpolicy.LeadDataError as error:
        return ("error", json.dumps(error.to_dict()))


@SETTINGS
@given(data=st.data())
def test_deciding_from_the_read_lead_is_evaluate(data) -> None:
    policy = leadpolicy.loads(data.draw(policy_texts(), label="policy"))
    module = policy.module
    lead = data.draw(leads_for(policy.tree), label="lead")
    fields, activities, lead_id = lead["fields"], lead["activities"], lead["lead_id"]
    as_of = lead["as_of"] if lead["as_of"] is not None else "2026-11-22T00:00:00Z"
    now_utc, now = module._read_now(as_of)
    if now_utc is None or not (activities is None or isinstance(activities, (list, tuple))):
        return  # the replay reads only lists (and instants within the datetime range)
    raw = _outcome(lambda: module.evaluate(fields, activities, now_utc, None, lead_id))
    try:
        read = module._read_lead(fields, activities, lead_id)
    except leadpolicy.LeadDataError:
        assert raw[0] == "error", "_read_lead raised where evaluate decides"
        return
    except OverflowError:
        return  # a time beyond the datetime range: the replay hands the lead to evaluate raw
    assert raw[0] == "decision", "_read_lead read a lead evaluate rejects"
    previous = data.draw(st.sampled_from([None, *(s.name for s in policy.tree.stages), "disqualified"]))
    try:
        decided = _outcome(lambda: module._decide(None, None, previous, lead_id, now_utc, now, read))
    except OverflowError:  # a window reaching back before year 1: the replay evaluates the lead raw
        return
    assert decided == _outcome(lambda: module.evaluate(fields, activities, now_utc, previous, lead_id))
    # a subset in input order (the activities already in the past, in the replay)
    declared = [a for a in activities or () if a["type"].strip().lower() in module._ACTIVITY_TYPES]
    assert len(declared) == len(read[1])
    keep = data.draw(st.lists(st.booleans(), min_size=len(declared), max_size=len(declared)))
    subset_raw = [a for a, k in zip(declared, keep) if k]
    subset_read = [a for a, k in zip(read[1], keep) if k]
    assert _outcome(lambda: module._decide(None, None, previous, lead_id, now_utc, now, (read[0], subset_read))) == \
        _outcome(lambda: module.evaluate(fields, subset_raw, now_utc, previous, lead_id))


@SETTINGS
@given(data=st.data())
def test_the_replay_read_once_is_the_replay_raw(data) -> None:
    policy = leadpolicy.loads(data.draw(policy_texts(), label="policy"))
    lead = data.draw(leads_for(policy.tree), label="lead")
    model = TimeModel.of(policy.tree)
    end = parse_instant(lead["as_of"], "as_of") if lead["as_of"] is not None else parse_instant("2026-11-22", "x")
    try:
        to_datetime(end)
    except OverflowError:
        return
    start = data.draw(st.one_of(st.none(), st.integers(end - 400 * 86_400_000_000, end)))
    sweeps = probes_of(policy)  # the threshold sweeps' variants, read once and raw alike

    def run(read_once: bool):
        try:
            return replay(policy, model, lead["fields"], lead["activities"], start, end, lead["lead_id"],
                          keep_steps=True, read_once=read_once, sweeps=sweeps)
        except leadpolicy.LeadDataError as error:
            return ("error", error.to_dict())
        except (TypeError, ValueError, OverflowError) as error:  # data the replay's own time reading refuses
            return ("failed", type(error).__name__, str(error))

    assert run(True) == run(False)


@pytest.mark.parametrize("name", ["acme", "product_led", "agency", "enterprise"])
def test_the_example_histories_replay_alike_read_once_and_raw(name) -> None:
    from pathlib import Path

    from leadpolicy.tools.report.example_data import history

    root = Path(__file__).resolve().parents[1]
    policy = leadpolicy.load(root / "policies" / f"{name}.policy")
    model = TimeModel.of(policy.tree)
    sweeps = probes_of(policy)
    end = parse_instant("2026-12-01", "as_of")
    for lead in history(60, seed=4, activities=20):
        start = parse_instant(lead["created_at"], "created_at")
        results = []
        for read_once in (True, False):
            try:
                results.append(replay(policy, model, lead["fields"], lead["activities"], start, end, lead["id"],
                                      keep_steps=True, read_once=read_once, sweeps=sweeps))
            except leadpolicy.LeadDataError as error:
                results.append(error.to_dict())
        assert results[0] == results[1], lead["id"]
