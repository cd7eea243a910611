"""`leadpolicy report` and `eval --journey`: the replay (against brute force), each
metric on small hand-made histories, outcome data errors, the CLI, a golden
Markdown report and the HTML report in a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from support.reportgen import fine_decay_policies
from support.seeds import DERANDOMIZE

import leadpolicy
from leadpolicy import LeadDataError
from leadpolicy.handoff.document import md_escape
from leadpolicy.semantics.runtime import parse_instant
from leadpolicy.tools.report import render
from leadpolicy.tools.report.example_data import history
from leadpolicy.tools.report.journey import journey
from leadpolicy.tools.report.replay import TimeModel, replay, to_datetime
from leadpolicy.tools.report.run import build

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "report"
DAY = timedelta(days=1)
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

SMALL = """
policy "Small" version "1"
fields { size number  signed date }
activities { visit  demo  unsubscribe }
stages {
  lead
  mql when engagement >= 10
  sql when mql and did demo within 7 days
}
engagement {
  "Visit": +10 per visit within 10 days
  "Demo":  +20 per demo
}
grades { A when size >= 100  B otherwise }
demote {
  "Quiet":  sql -> mql when no activity within 10 days
  "Faded":  mql -> lead when engagement < 10
}
disqualify { "Unsubscribed": when did unsubscribe }
"""


def at(days: float) -> str:
    return (T0 + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def lead(lead_id: str, acts: list[tuple[str, float]], outcome=None, size=None) -> dict:
    record = {"id": lead_id, "created_at": at(0), "fields": {"size": size},
              "activities": [{"type": kind, "at": at(day)} for kind, day in acts]}
    if outcome is not None:
        record["outcome"] = outcome
    return record


def small_history() -> list[dict]:
    return [
        # reaches sql on day 2 (demo), won; later demoted for going quiet
        lead("L1", [("visit", 0), ("demo", 2)], {"status": "won", "amount": 1000, "closed_at": at(30)}, size=200),
        # mql on day 0, falls back to lead when the visit leaves its window: lost
        lead("L2", [("visit", 0)], {"status": "lost", "closed_at": at(20)}),
        # sql on day 1, disqualified on day 5 (unsubscribed): sent but lost
        lead("L3", [("visit", 0), ("demo", 1), ("unsubscribe", 5)], {"status": "lost", "closed_at": at(9)}),
        # never touched: a won deal that never reached mql
        lead("L4", [], {"status": "won", "amount": 500, "closed_at": at(20)}),
        # an outcome that cannot be read: a data error for this lead only
        lead("L5", [("visit", 0)], {"status": "maybe"}),
        # no outcome at all
        lead("L6", []),
    ]


@pytest.fixture(scope="module")
def small():
    return leadpolicy.loads(SMALL, "small.policy")


@pytest.fixture(scope="module")
def small_report(small):
    return build([small], small_history(), at(60))["reports"][0]


# ---------------------------------------------------------------- the replay


def test_replay_promotion_demotion_and_disqualification_times(small):
    model = TimeModel.of(small.tree)
    end = parse_instant(at(60), "as_of")
    one = replay(small, model, {}, small_history()[0]["activities"], None, end, "L1", keep_steps=True)
    assert {k: to_datetime(v) for k, v in one.first_reached.items()} == {"lead": T0, "mql": T0, "sql": T0 + 2 * DAY}
    # quiet for 10 days after the demo: demoted the microsecond after the window closes
    assert to_datetime(one.demoted_at) == T0 + 12 * DAY + timedelta(microseconds=1)
    assert [(s.stage, s.cause) for s in one.steps] == [("mql", "activity"), ("sql", "activity"), ("mql", "window")]
    assert one.steps[-1].reason["rule"] == "Quiet"
    three = replay(small, model, {}, small_history()[2]["activities"], None, end, "L3")
    assert to_datetime(three.first_reached["sql"]) == T0 + DAY
    assert to_datetime(three.disqualified_at) == T0 + 5 * DAY


def test_days_since_threshold_is_a_moment():
    policy = leadpolicy.loads("""
policy "D" version "1"
fields { signed date }
stages { lead  ready when days since signed >= 3 }
""")
    result = replay(policy, TimeModel.of(policy.tree), {"signed": "2026-01-01T10:00:00Z"}, [],
                    parse_instant("2026-01-01", "x"), parse_instant("2026-02-01", "x"), keep_steps=True)
    assert to_datetime(result.first_reached["ready"]) == datetime(2026, 1, 4, 10, tzinfo=timezone.utc)
    assert result.steps[-1].cause == "days since"


def first_reaches(policy, fields, activities, instants, lead_id=None):
    """Brute force: evaluate at every given instant in order, carrying the stage forward."""
    stages = [s.name for s in policy.tree.stages]
    previous, first, disq = None, {}, None
    for instant in sorted(set(instants)):
        stage = policy.evaluate(fields, activities, to_datetime(instant), previous, lead_id).stage
        if stage == "disqualified":
            disq = instant if disq is None else disq
        else:
            for name in stages[: stages.index(stage) + 1]:
                first.setdefault(name, instant)
        previous = stage
    return first, disq


def test_replay_agrees_with_hourly_brute_force_on_the_example_history():
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    model = TimeModel.of(policy.tree)
    end = parse_instant("2026-12-01", "as_of")
    hour = 3_600_000_000
    for record in list(history(40, seed=3))[:40]:
        start = parse_instant(record["created_at"], "c")
        result = replay(policy, model, record["fields"], record["activities"], start, end, record["id"])
        # every hour from the start (to 120 days), plus the replay's own moments: no extra instant changes anything
        grid = [start + k * hour for k in range(0, 24 * 120) if start + k * hour <= end]
        from leadpolicy.tools.report.replay import candidate_moments

        grid += list(candidate_moments(model, record["fields"], record["activities"], start, end, record["id"]))
        first, disq = first_reaches(policy, record["fields"], record["activities"], grid, record["id"])
        assert first == result.first_reached, record["id"]
        assert disq == result.disqualified_at


@pytest.fixture(scope="module")
def random_policies():
    sys.path.insert(0, str(ROOT / "tests"))
    from support import leadgen

    return leadgen


@settings(max_examples=60, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_replay_is_complete_for_generated_policies_and_leads(data, random_policies):
    """Adding any instants (random ones, each moment ±1µs, ±1 hour) to the replay's
    moments never changes when a stage was first reached: the moments are complete."""
    leadgen = random_policies
    text = data.draw(leadgen.policy_texts())
    policy = leadpolicy.loads(text)
    kwargs = data.draw(leadgen.leads_for(policy.tree))
    model = TimeModel.of(policy.tree)
    end = parse_instant(kwargs["as_of"], "as_of") if kwargs.get("as_of") is not None else parse_instant("2026-11-22", "x")
    fields, activities = kwargs.get("fields"), kwargs.get("activities")
    try:
        result = replay(policy, model, fields, activities, None, end)
        from leadpolicy.tools.report.replay import candidate_moments

        listed = candidate_moments(model, fields, activities, result.start, end, limit=20_000)
    except (LeadDataError, TypeError, ValueError):
        return
    if listed is None:
        return  # (too many decay steps to check by brute force here: test_fine_decay_... below)
    moments = set(listed)
    moments.add(result.start)
    extra = data.draw(st.lists(st.integers(result.start, end), max_size=30))
    for m in list(moments):
        extra += [m - 1, m + 1, m - 3_600_000_000, m + 3_600_000_000]
    extra = [e for e in extra if result.start <= e <= end]
    try:
        first, disq = first_reaches(policy, fields, activities, [*moments, *extra])
    except LeadDataError:
        return
    assert first == result.first_reached
    assert disq == result.disqualified_at


SLOW_DECAY = """policy "slow decay" version "1"
activities {
  ping
}
stages {
  lead
  faded when engagement < 60 and did ping
}
engagement {
  decay 1% every 1 hour
  "r": +10000 per ping
}
"""


def test_a_slow_decay_is_replayed_at_the_step_it_crosses():
    """+10000 decayed 1% an hour falls below 60 at the 510th step: `faded` is first reached then,
    21 days after the ping, and found without evaluating at each of the 3,600 hourly steps.
    (Before decay_steps.py the replay took at most 400 steps and said the end of the replay.)"""
    policy = leadpolicy.loads(SLOW_DECAY)
    activities = [{"type": "ping", "at": "2026-01-01T00:00:00Z"}]
    ping, hour = parse_instant("2026-01-01T00:00:00Z", "at"), 3_600_000_000
    assert [policy.evaluate({}, activities, to_datetime(ping + k * hour)).stage for k in (509, 510)] == ["lead", "faded"]
    result = replay(policy, TimeModel.of(policy.tree), {}, activities, None, parse_instant("2026-06-01", "as_of"),
                    keep_steps=True)
    assert result.first_reached["faded"] == ping + 510 * hour
    assert [(s.stage, s.cause, s.detail) for s in result.steps][-1] == (
        "faded", "decay", "ping at 2026-01-01T00:00:00Z decayed 510 step(s)")
    assert result.peak_engagement == 10000.0
    assert result.evaluations < 60


def test_the_peak_engagement_between_skipped_steps_is_found():
    """A capped +500 holds at 45 for 239 hourly steps while a -40 decays towards zero: engagement
    rises, then falls, and peaks at the 239th step, where no stage changes. The replay's peak
    (report's threshold sweeps) is that step's engagement, as evaluating every step finds."""
    policy = leadpolicy.loads("""policy "peak" version "1"
activities { ping  pong }
stages { lead  warm when engagement >= 1000 }
engagement {
  decay 1% every 1 hour
  "capped": +500 per ping max 45
  "minus": -40 per pong
}
""")
    at, hour = parse_instant("2026-01-01", "at"), 3_600_000_000
    activities = [{"type": "ping", "at": "2026-01-01"}, {"type": "pong", "at": "2026-01-01"}]
    end = at + 2000 * hour
    result = replay(policy, TimeModel.of(policy.tree), {}, activities, None, end)
    peak = max(policy.evaluate({}, activities, to_datetime(at + k * hour)).engagement for k in range(2001))
    assert policy.evaluate({}, activities, to_datetime(at + 239 * hour)).engagement == peak
    assert result.peak_engagement == peak
    assert result.evaluations < 100


def test_the_lowest_engagement_between_skipped_steps_is_found():
    """The mirror of the peak above, for a stage entered below a number: a capped -500 holds at -45
    while a +40 decays, so engagement falls, then rises, lowest at the 239th step, where no stage
    changes. The replay's lowest engagement (the sweep of `cold when engagement < 0`) is that
    step's, as evaluating every step finds (the replay need not find it without such a stage)."""
    policy = leadpolicy.loads("""policy "trough" version "1"
activities { ping  pong }
stages { lead  cold when engagement < 0 }
engagement {
  decay 1% every 1 hour
  "capped": -500 per ping max 45
  "plus": +40 per pong
}
""")
    at, hour = parse_instant("2026-01-01", "at"), 3_600_000_000
    activities = [{"type": "ping", "at": "2026-01-01"}, {"type": "pong", "at": "2026-01-01"}]
    end = at + 2000 * hour
    model = TimeModel.of(policy.tree)
    assert model.lows
    result = replay(policy, model, {}, activities, None, end)
    lowest = min(policy.evaluate({}, activities, to_datetime(at + k * hour)).engagement for k in range(2001))
    assert policy.evaluate({}, activities, to_datetime(at + 239 * hour)).engagement == lowest
    assert result.trough_engagement == lowest
    assert result.evaluations < 100


def test_the_sweeps_peak_between_skipped_steps_is_taken_where_the_rest_of_the_condition_holds():
    """The sweep of `warm when engagement >= 1000 and did pong` reads the highest engagement over the
    moments where `did pong` holds (the rest of the condition): 45 before the pong does not count; after
    it, a capped +500 holds at 45 while the -40 decays, so engagement rises to its highest at the 239th
    step, between steps the replay skips. Skipping where engagement stays under the peak of all moments
    (45) would keep 5, the engagement when the pong arrived."""
    from leadpolicy.tools.report.sweep import probes_of

    policy = leadpolicy.loads("""policy "peak" version "1"
activities { ping  pong }
stages { lead  warm when engagement >= 1000 and did pong }
engagement {
  decay 1% every 1 hour
  "capped": +500 per ping max 45
  "minus": -40 per pong
}
""")
    at, hour = parse_instant("2026-01-01", "at"), 3_600_000_000
    activities = [{"type": "ping", "at": "2026-01-01"}, {"type": "pong", "at": "2026-01-01T05:00:00Z"}]
    end = at + 2000 * hour
    result = replay(policy, TimeModel.of(policy.tree), {}, activities, None, end, sweeps=probes_of(policy))
    peak = max(policy.evaluate({}, activities, to_datetime(at + k * hour)).engagement for k in range(5, 2001))
    assert policy.evaluate({}, activities, to_datetime(at + 239 * hour)).engagement == peak
    assert 41 < peak < result.peak_engagement == 45
    assert result.sweeps == [(peak, float("inf"))]  # forced false, warm is never reached: no number
    assert result.evaluations < 200


def brute_force(policy, fields, activities, instants, lowest=None):
    """Every instant evaluated in order, the stage carried forward: (first reached, disqualified
    at, demoted at, peak engagement, final stage); the lowest engagement appended to `lowest`."""
    stages = [s.name for s in policy.tree.stages]
    previous, first, disq, demoted, peak = None, {}, None, None, float("-inf")
    for instant in instants:
        decision = policy.evaluate(fields, activities, to_datetime(instant), previous)
        peak = max(peak, decision.engagement)
        if lowest is not None:
            lowest[:] = [min([*lowest, decision.engagement])]
        if decision.stage != previous:
            if decision.stage == "disqualified":
                disq = instant if disq is None else disq
            else:
                for name in stages[: stages.index(decision.stage) + 1]:
                    first.setdefault(name, instant)
                if decision.change == "demoted" and demoted is None:
                    demoted = instant
        previous = decision.stage
    return first, disq, demoted, peak, previous


@settings(max_examples=80, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(data=st.data(), text=fine_decay_policies())
def test_fine_decay_is_replayed_as_every_step_would_replay_it(data, text):
    """The steps the replay skips change nothing: against evaluating at every candidate moment,
    every decay step included, the same first-reached instants, disqualification, demotion,
    peak engagement (and lowest, where a stage is entered below a number) and final stage."""
    policy = leadpolicy.loads(text)
    hour, end = 3_600_000_000, parse_instant("2026-03-01", "as_of")
    activities = [{"type": data.draw(st.sampled_from(["ping", "pong"])),
                   "at": to_datetime(end - data.draw(st.sampled_from([300, 2, 7, 30, 100, 719, 0])) * hour
                                      - data.draw(st.sampled_from([0, 1, 1_234_567_890]))).isoformat()}
                  for _ in range(data.draw(st.integers(1, 4)))]
    fields = {"size": data.draw(st.sampled_from([None, 5, 500])),
              "seen": data.draw(st.sampled_from([None, "2026-02-20T05:00:00Z"]))}
    model = TimeModel.of(policy.tree)
    result = replay(policy, model, fields, activities, None, end)
    from leadpolicy.tools.report.replay import candidate_moments

    instants = candidate_moments(model, fields, activities, result.start, end, limit=80_000)
    assume(instants is not None)  # (brute force over more steps than that is too slow for the suite)
    lowest: list[float] = []
    assert brute_force(policy, fields, activities, instants, lowest) == (
        result.first_reached, result.disqualified_at, result.demoted_at, result.peak_engagement, result.final["stage"])
    if model.lows:  # a stage entered below a number: its sweep reads the lowest engagement, found exactly too
        assert result.trough_engagement == lowest[0]


# ---------------------------------------------------------------- metrics on a hand-made history


def test_funnel_and_conversion(small_report):
    r = small_report
    assert r["leads"] == 5 and r["data_errors"] == 1 and r["without_outcome"] == 1
    assert [(f["stage"], f["reached"]) for f in r["funnel"]] == [("lead", 5), ("mql", 3), ("sql", 2)]
    assert r["funnel"][0]["conversion_to_next"] == 3 / 5
    assert r["funnel"][1]["conversion_to_next"] == 2 / 3
    assert r["disqualified"] == 1 and r["disqualified_after_sql"] == 1
    assert r["demoted"] == 2  # L1 went quiet, L2 faded


def test_velocity(small_report):
    v = small_report["velocity"]
    assert v["first touch -> mql"] == {"leads": 3, "median_days": 0.0, "p75_days": 0.0}
    assert v["mql -> sql"] == {"leads": 2, "median_days": 1.5, "p75_days": 1.75}


def test_time_to_stage_distribution(small):
    """The HTML report's charts are to include the time-to-stage distribution: it had the median and
    the 75th percentile only. Each leg's leads are now counted by days taken, in bins (JSON
    `time_to_stage`), and drawn as bars, one chart per leg."""
    report = build([small], small_history(), at(60))
    bins = report["reports"][0]["time_to_stage"]
    assert list(bins) == ["first touch -> mql", "mql -> sql"]
    assert [b["from_days"] for b in bins["mql -> sql"]] == [0, 1, 7, 14, 30, 60, 90, 180]
    assert [b["to_days"] for b in bins["mql -> sql"]][-2:] == [180, None]
    assert [b["leads"] for b in bins["first touch -> mql"]] == [3, 0, 0, 0, 0, 0, 0, 0]  # all on day 0
    assert [b["leads"] for b in bins["mql -> sql"]] == [0, 2, 0, 0, 0, 0, 0, 0]  # 1 and 2 days
    page = render.html(report)
    assert page.count('class="chart time-to-stage"') == 2
    assert "Time to stage: mql -&gt; sql, leads by days taken" in page and ">under 1 day<" in page


def test_outcome_metrics(small_report):
    o = small_report["outcomes"]
    assert (o["won"], o["lost"], o["open"]) == (2, 2, 0)
    assert o["win_rate"] == 0.5 and o["sql_win_rate"] == 0.5
    assert o["average_won_amount"] == 750 and o["won_amount"] == 1500
    assert o["sales_cycle_median_days"] == 25.0
    assert small_report["by_grade"]["A"] == {"leads": 1, "won": 1, "lost": 0, "open": 0, "win_rate": 1.0,
                                             "won_amount": 1000.0, "average_won_amount": 1000.0, "lift": 2.0}
    assert small_report["by_grade"]["B"]["win_rate"] == 1 / 3
    assert small_report["by_stage_reached"]["sql"]["win_rate"] == 0.5


def test_missed_deals_and_sent_but_lost(small_report):
    missed = small_report["missed_deals"]
    assert missed["mql"]["won_deals"] == 1 and missed["sql"]["won_deals"] == 1
    example = missed["mql"]["examples"][0]
    assert example["id"] == "L4" and example["amount"] == 500
    assert example["held_back_by"] == ["engagement >= 10 (peaked at 0.00)"]
    assert small_report["sent_but_lost"]["leads"] == 1
    assert small_report["sent_but_lost"]["examples"][0]["id"] == "L3"


def test_threshold_sweep(small_report):
    (sweep,) = small_report["threshold_sweeps"]
    assert sweep["condition"] == "mql: engagement >= 10"
    current = [row for row in sweep["rows"] if row["current"]]
    assert current == [{"threshold": 10.0, "current": True, "leads": 3, "won": 1, "lost": 2,
                        "precision": 1 / 3, "recall": 0.5}]
    zero = sweep["rows"][0]
    assert zero["threshold"] == 0 and zero["leads"] == 5 and zero["recall"] == 1.0


def test_outcome_data_errors_are_counted_never_fatal(small):
    leads = [lead("A", [], {"status": "won", "amount": "lots"}), lead("B", [], {"status": "won", "amount": -5}),
             lead("C", [], {"status": "won", "closed_at": "yesterday"}), lead("D", [], "won"),
             lead("E", [], {"status": "WON", "amount": " 12.5 "})]
    r = build([small], leads, at(10))["reports"][0]
    assert r["data_errors"] == 4 and r["leads"] == 1
    assert [e["error"]["field"] for e in r["data_error_examples"]] == [
        "outcome.amount", "outcome.amount", "outcome.closed_at", "outcome"]
    assert r["outcomes"]["won_amount"] == 12.5
    # named as the outcome's, not as an activity `outcome` with a property (the runtime's wording for a dotted field)
    assert [e["error"]["message"] for e in r["data_error_examples"]] == [
        "lead A: outcome `amount`: cannot read `lots` as a number",
        "lead B: outcome `amount`: a deal amount must be a number zero or more",
        "lead C: outcome `closed_at`: `yesterday` is not an ISO 8601 date or timestamp",
        "lead D: `outcome`: an outcome must be an object with status, amount, closed_at"]


def test_a_crm_status_gets_the_status_to_write(small):
    leads = [lead("A", [], {"status": "Closed Won"}), lead("B", [], {"status": "closed-lost"}),
             lead("C", [], {"status": "Won or lost"}), lead("D", [], {"status": "Negotiation"})]
    messages = [e["error"]["message"] for e in build([small], leads, at(10))["reports"][0]["data_error_examples"]]
    assert messages == [
        "lead A: outcome `status`: unknown outcome status 'Closed Won' (expected won, lost or open): write `won`",
        "lead B: outcome `status`: unknown outcome status 'closed-lost' (expected won, lost or open): write `lost`",
        "lead C: outcome `status`: unknown outcome status 'Won or lost' (expected won, lost or open)",
        "lead D: outcome `status`: unknown outcome status 'Negotiation' (expected won, lost or open)"]


def test_an_outcome_without_a_status_says_so_in_words(small):
    """`"outcome": {"amount": 5}` (a CRM export whose status column was left out) was said as
    `unknown outcome status None`, Python's word for the missing status; a status that is not text
    was shown as Python shows it too."""
    leads = [lead("A", [], {"amount": 5}), lead("B", [], {"status": None}), lead("C", [], {"status": 1})]
    messages = [e["error"]["message"] for e in build([small], leads, at(10))["reports"][0]["data_error_examples"]]
    assert messages == [
        "lead A: outcome `status`: the outcome has no status (expected won, lost or open)",
        "lead B: outcome `status`: the outcome has no status (expected won, lost or open)",
        "lead C: outcome `status`: unknown outcome status `1` (expected won, lost or open)"]


def test_a_line_that_is_json_but_not_an_object_is_named_with_its_line(files):
    """A line of JSON Lines that is JSON but no object (`[1, 2]`, `"x"`) was listed as `(no id): a lead must
    be a JSON object`, with nothing to find it by; `score` names its line, and now `report` does, as it names
    a line that is not valid JSON."""
    tmp, policy, _ = files
    leads = tmp / "mixed.jsonl"
    leads.write_text('[1, 2]\n"x"\n{"id": "ok", "fields": {}}\n')
    done = run("report", str(policy), str(leads), "--as-of", at(10), "--json")
    assert done.returncode == 0, done.stderr
    errors = json.loads(done.stdout)["reports"][0]["data_error_examples"]
    assert [e["error"]["message"] for e in errors] == [f"{leads}:1: not a JSON object: `[1, 2]`",
                                                      f"{leads}:2: not a JSON object: `x`"]
    assert build([leadpolicy.loads(SMALL)], [7], at(10))["reports"][0]["data_error_examples"][0]["error"]["message"] == (
        "a lead must be a JSON object, not `7`")


def test_the_example_data_generator_takes_a_count_and_says_a_wrong_one():
    """docs/report.md has `python3 -m leadpolicy.tools.report.example_data 3000 > history.jsonl`; a count
    that is not a number ended in a traceback (ValueError). It is a usage line, status 2."""
    def generate(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "leadpolicy.tools.report.example_data", *args],
                              capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})

    done = generate("5")
    assert done.returncode == 0 and [json.loads(line) for line in done.stdout.splitlines()] == list(history(5))
    assert generate("5", "--seed", "8").stdout != done.stdout
    for bad in ("lots", "-3"):
        refused = generate(bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr and "count" in refused.stderr, refused.stderr


def test_a_deal_closed_before_its_lead_entered_is_left_out_of_the_sales_cycle(small):
    """The sales cycle is the days from first touch (or `created_at`) to `closed_at` over won deals; a
    deal closed before its lead entered (a CRM deal older than the marketing record) made it negative:
    one such deal of two gave a median of -31 days. It has no cycle: it is left out of the sales cycle
    and counted (`closed_before_entering`), said under the outcomes; still a won deal everywhere else."""
    leads = [lead("A", [("visit", 0)], {"status": "won", "amount": 10, "closed_at": at(30)}),
             lead("B", [("visit", 0)], {"status": "won", "amount": 20, "closed_at": at(-62)}),
             lead("C", [("visit", 0)], {"status": "won", "amount": 30, "closed_at": at(10)})]
    report = build([small], leads, at(60))
    outcomes = report["reports"][0]["outcomes"]
    assert (outcomes["won"], outcomes["won_amount"]) == (3, 60)
    assert outcomes["sales_cycle_median_days"] == 20.0 and outcomes["sales_cycle_p75_days"] == 25.0
    assert outcomes["closed_before_entering"] == 1
    assert ("1 won deal closed before its lead entered (first touch or `created_at`) is left out of the sales cycle"
            in render.markdown(report))
    assert "(1 won deal closed before its lead entered left out)" in render.html(report)
    clean = build([small], leads[:1], at(60))
    assert clean["reports"][0]["outcomes"]["closed_before_entering"] == 0
    assert "closed before" not in render.markdown(clean)


def test_an_outcomes_file_that_is_not_utf8_is_named(tmp_path):
    from leadpolicy.tools.report.outcomes import load_outcome_file

    path = tmp_path / "deals.csv"
    path.write_bytes(b"id,status,amount\nL-1,won,caf\xe9\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))} is not UTF-8 text \(byte 0xe9 on line 2\): save it as UTF-8$"):
        load_outcome_file(str(path))


def test_from_to_cohort(small):
    r = build([small], small_history(), at(60), date_from="2026-01-06")["reports"][0]
    assert r["leads"] == 0 and r["outside_window"] == 5


def test_a_lead_that_entered_after_as_of_is_outside_the_window(small):
    """--as-of before the leads entered counted them all, with figures from after the end of the
    replay (a sales cycle of thousands of days); a lead that had not entered by --as-of is outside
    the window, as one before --from is, and one that entered by then is counted."""
    history = small_history()
    early = build([small], history, at(-30))["reports"][0]
    assert early["leads"] == 0 and early["outside_window"] + early["data_errors"] == len(history) == 6
    late = lead("L-late", [("visit", 20)])
    late["created_at"] = at(20)  # entered on day 20
    counted = build([small], [late], at(25))["reports"][0]
    assert counted["leads"] == 1 and counted["outside_window"] == 0
    before = build([small], [late], at(19))["reports"][0]
    assert before["leads"] == 0 and before["outside_window"] == 1
    no_created = {k: v for k, v in late.items() if k != "created_at"}  # entered at its first activity
    assert build([small], [no_created], at(19))["reports"][0]["outside_window"] == 1


def test_golden_markdown(small, golden):
    golden(GOLDEN / "small.md", render.markdown(build([small], small_history(), at(60))))


HOSTILE = "<img src=x onerror=alert(1)> [a](javascript:alert(2)) ![i](http://evil.example/i.png) | x |"


def test_hostile_names_and_ids_stay_text_in_the_markdown(small):
    """A policy's names and a lead's id or value print as text: no HTML, link, image or table cell of its own."""
    quoted = HOSTILE.replace("\\", "\\\\").replace('"', '\\"')
    policy = leadpolicy.loads(SMALL.replace('"Small"', f'"{quoted}"').replace('"Visit"', f'"{quoted} rule"'),
                              f"{HOSTILE}.policy")
    leads = [lead(HOSTILE, [("visit", 0)], {"status": "won", "amount": 5, "closed_at": at(3)}),
             lead(HOSTILE + " 2", [], {"status": HOSTILE})]
    markdown = render.markdown(build([policy, small], leads, at(60)))
    for raw in ("<img", "[a](", "[i](", "| x |"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), markdown), raw  # only ever escaped: `\\<img`
    assert "\\<img src=x onerror=alert(1)\\> \\[a\\](javascript:alert(2))" in markdown


# ---------------------------------------------------------------- journey


def test_journey_of_one_lead(small):
    data = journey(small, small_history()[2], at(60))
    assert [(s["previous_stage"], s["stage"], s["cause"]) for s in data["steps"]] == [
        (None, "mql", "activity"), ("mql", "sql", "activity"), ("sql", "disqualified", "activity")]
    assert data["steps"][1]["engagement_before"] == 10.0 and data["steps"][1]["engagement"] == 30.0
    assert data["steps"][2]["reason"]["rule"] == "Unsubscribed"


def test_an_activity_before_year_1_in_utc_is_replayed_from_the_first_instant(tmp_path: Path):
    # `0001-01-01T00:00:00+01:00` is 0000-12-31T23:00Z: evaluate, score and diff decide such a lead, where
    # report and eval --journey crashed (OverflowError, exit 3, found auditing PRODUCT.md)
    lead_line = {"id": "F", "fields": {}, "activities": [{"type": "page_view", "at": "0001-01-01T00:00:00+01:00",
                                                          "page": "/pricing"}]}
    acme = leadpolicy.load(ROOT / "policies" / "acme.policy")
    data = journey(acme, lead_line, "2026-11-22")
    assert data["from"] == "0001-01-01T00:00:00Z" and data["stage"] == acme.evaluate(
        {}, lead_line["activities"], as_of="2026-11-22").stage
    leads = tmp_path / "f.jsonl"
    leads.write_text(json.dumps(lead_line) + "\n")
    done = run("report", str(ROOT / "policies" / "acme.policy"), str(leads), "--as-of", "2026-11-22", "--json", "-j1")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["reports"][0]["leads"] == 1
    done = run("eval", str(ROOT / "policies" / "acme.policy"), str(leads), "--as-of", "2026-11-22", "--journey")
    assert done.returncode == 0 and "from 0001-01-01T00:00:00Z" in done.stdout, done.stderr


def test_a_time_on_the_day_before_year_1_is_shown_as_it_is():
    from leadpolicy.tools.report.replay import EARLIEST, iso

    assert iso(EARLIEST) == "0001-01-01T00:00:00Z"
    assert iso(EARLIEST - 3_600_000_000) == "0000-12-31T23:00:00Z"
    assert iso(EARLIEST - 1) == "0000-12-31T23:59:59.999999Z"


# ---------------------------------------------------------------- the CLI


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "leadpolicy", *args], capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture
def files(tmp_path: Path):
    policy = tmp_path / "small.policy"
    policy.write_text(SMALL)
    leads = tmp_path / "leads.jsonl"
    leads.write_text("".join(json.dumps(x) + "\n" for x in small_history()))
    return tmp_path, policy, leads


def test_cli_report_formats(files):
    tmp, policy, leads = files
    for name in ("r.md", "r.json", "r.html", "r.htm"):  # .htm as `docs` takes it
        done = run("report", str(policy), str(leads), "--as-of", at(60), "-o", str(tmp / name))
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""  # no progress when not on a terminal
    assert (tmp / "r.htm").read_text() == (tmp / "r.html").read_text()
    data = json.loads((tmp / "r.json").read_text())
    assert data["reports"][0]["funnel"][2]["reached"] == 2
    assert "<svg" in (tmp / "r.html").read_text() and "http" not in (tmp / "r.html").read_text().replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert (tmp / "r.md").read_text().startswith("# Policy report")



def test_an_outcomes_csv_without_an_id_column_or_empty_is_an_error(tmp_path):
    """An export whose lead column is `lead` joined nothing, and an empty file nothing: every lead was
    "without outcome" and the report said nothing. Names are matched as the leads' CSV header is."""
    from leadpolicy.tools.report.outcomes import load_outcome_file

    unnamed = tmp_path / "crm.csv"
    unnamed.write_text("lead,status\nL-1,won\n")
    with pytest.raises(ValueError, match=r"crm.csv has no `id` column to join the outcomes to the leads by "
                                         r"\(its columns: lead, status\); name the lead id column `id`"):
        load_outcome_file(str(unnamed))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(ValueError, match="empty.jsonl is empty"):
        load_outcome_file(str(empty))
    spelled = tmp_path / "export.csv"
    spelled.write_text("\ufeffID, Status ,Closed-At\nL-1,won,2026-11-01\n", encoding="utf-8")
    assert load_outcome_file(str(spelled)) == {
        "L-1": {"outcome": {"status": "won", "amount": None, "closed_at": "2026-11-01"}, "created_at": None}}

def _repo_with_a_stricter_policy(tmp):
    """A real git repository in tmp/repo whose HEAD holds p.policy: SMALL with an MQL bar of 30, not 10."""
    repo = tmp / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "p.policy").write_text(SMALL.replace("engagement >= 10", "engagement >= 30"))
    subprocess.run([*git, "add", "p.policy"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    return repo


def test_cli_report_outcomes_file_and_against_revision(files, tmp_path):
    tmp, policy, leads = files
    bare = tmp / "bare.jsonl"
    bare.write_text("".join(json.dumps({k: v for k, v in x.items() if k != "outcome"}) + "\n" for x in small_history()))
    outcomes = tmp / "outcomes.csv"
    outcomes.write_text("id,status,amount,closed_at\nL1,won,1000," + at(30) + "\nL2,lost,," + at(20) + "\n")
    repo = _repo_with_a_stricter_policy(tmp)
    done = run("report", str(policy), str(bare), "--outcomes", str(outcomes), "--as-of", at(60),
               "--against", "HEAD:p.policy", "-o", str(tmp / "both.json"), cwd=repo)
    assert done.returncode == 0, done.stderr
    mine, other = json.loads((tmp / "both.json").read_text())["reports"]
    assert mine["outcomes"]["won"] == 1 and mine["outcomes"]["lost"] == 1 and mine["without_outcome"] == 4
    assert other["path"] == "HEAD:p.policy" and other["funnel"][1]["reached"] == 2


def test_outcomes_that_name_no_lead_are_said(files):
    """Outcomes whose id matches no lead (a CRM's id in another form, the wrong export) counted
    nowhere, without a word; the report is the same, with a warning naming how many."""
    tmp, policy, leads = files
    bare = tmp / "bare.jsonl"
    bare.write_text("".join(json.dumps({k: v for k, v in x.items() if k != "outcome"}) + "\n" for x in small_history()))
    outcomes = tmp / "outcomes.csv"
    outcomes.write_text("id,status\nL1,won\nlead-0002,lost\nlead-0003,won\n")
    done = run("report", str(policy), str(bare), "--outcomes", str(outcomes), "--as-of", at(60), "-o", str(tmp / "r.json"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == f'warning: 2 outcomes name no lead of {bare} (e.g. "lead-0002"): not counted\n'
    assert json.loads((tmp / "r.json").read_text())["reports"][0]["outcomes"]["won"] == 1
    outcomes.write_text("id,status\nL1,won\n")
    done = run("report", str(policy), str(bare), "--outcomes", str(outcomes), "--as-of", at(60), "-o", str(tmp / "r.json"))
    assert (done.returncode, done.stderr) == (0, "")


def test_an_id_on_several_outcome_rows_is_said(files):
    """An export of deals (several per lead) kept each id's last row without a word: a won deal
    could vanish behind a later lost one. The rule is the same, and a warning says how many ids."""
    tmp, policy, leads = files
    bare = tmp / "bare.jsonl"
    bare.write_text("".join(json.dumps({k: v for k, v in x.items() if k != "outcome"}) + "\n" for x in small_history()))
    outcomes = tmp / "deals.csv"
    outcomes.write_text("id,status\nL1,won\nL2,lost\nL1,lost\nL2,won\nL2,won\n")
    done = run("report", str(policy), str(bare), "--outcomes", str(outcomes), "--as-of", at(60), "-o", str(tmp / "r.json"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f'warning: 2 ids of {outcomes} are on more than one row (e.g. "L1", 2 rows): the last row '
                           "of each is used, one outcome per lead\n")
    counted = json.loads((tmp / "r.json").read_text())["reports"][0]["outcomes"]
    assert (counted["won"], counted["lost"]) == (1, 1)  # L1 lost, L2 won: the last rows


def test_leads_without_an_id_join_no_outcome(files):
    """Outcomes are joined by str(id): every lead without an id joined an outcome row whose id was
    null (or the text "None"), two leads "won" from one row, and the warning said the row named no
    lead. A null id is now no id (an error, as a missing one), and a lead without an id joins nothing."""
    tmp, policy, _ = files
    leads = tmp / "noid.jsonl"
    leads.write_text("".join(json.dumps({"fields": {"size": 10}, "activities": [{"type": "visit", "at": at(n)}]}) + "\n"
                             for n in (1, 2)))
    null = tmp / "null.jsonl"
    null.write_text('{"id": null, "status": "won"}\n')
    done = run("report", str(policy), str(leads), "--outcomes", str(null), "--as-of", at(60))
    assert (done.returncode, done.stderr) == (1, f"error: {null}:1: an outcome row needs an `id`\n")
    spelled = tmp / "none.csv"
    spelled.write_text("id,status\nNone,won\n")
    done = run("report", str(policy), str(leads), "--outcomes", str(spelled), "--as-of", at(60), "-o", str(tmp / "r.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp / "r.json").read_text())["reports"][0]["outcomes"]["won"] == 0


def test_cli_report_usage_errors(files):
    tmp, policy, leads = files
    assert run("report", str(policy), str(leads), "-o", str(tmp / "r.txt")).returncode == 2
    missing = run("report", str(policy), str(tmp / "nope.jsonl"), "--as-of", at(1))
    # a missing file: `no such file`, exit 2, as every command says it (docs/cli-guide.md)
    assert missing.returncode == 2 and missing.stderr.startswith("error: no such file:")
    nowhere = run("report", str(policy), str(leads), "--as-of", at(1), "-o", str(tmp / "no" / "r.md"))
    # an output that cannot be written: one line naming it, exit 2, as every command (docs/cli-guide.md)
    assert nowhere.returncode == 2 and "Traceback" not in nowhere.stderr and "cannot write" in nowhere.stderr
    bad = run("report", str(policy), str(leads), "--against", "NOREV:x.policy", "--as-of", at(1), cwd=tmp)
    assert bad.returncode == 2 and "is not inside a git repository" in bad.stderr


def test_cli_report_from_after_to_is_a_usage_error(files):
    """--from after --to reported 0 leads, every one "outside the window", exit 0: a window no lead
    can enter. Now a usage error that says so; the same day for both is a one-day window."""
    tmp, policy, leads = files
    done = run("report", str(policy), str(leads), "--from", "2026-12-01", "--to", "2026-01-01", "--as-of", at(60))
    assert done.returncode == 2 and done.stdout == ""
    assert "Error: --from 2026-12-01 is after --to 2026-01-01: no lead can enter in between; swap them" in done.stderr
    day = at(0)[:10]
    done = run("report", str(policy), str(leads), "--from", day, "--to", day, "--as-of", at(60), "-o", str(tmp / "r.json"))
    assert done.returncode == 0, done.stderr


def test_to_takes_in_a_dates_whole_day_and_a_timestamp_up_to_itself(files):
    """--to 2026-03-01T08:00:00Z took in the rest of that day, as the date alone does: a lead that
    entered at noon was in a window said to end at eight."""
    from leadpolicy.semantics.runtime import parse_instant
    from leadpolicy.tools.report.run import window_end

    day = 86_400_000_000
    assert window_end("2026-03-01") == parse_instant("2026-03-01", "to") + day - 1
    assert window_end(" 2026-03-01 ") == parse_instant("2026-03-01", "to") + day - 1
    assert window_end("2026-03-01T08:00:00Z") == parse_instant("2026-03-01T08:00:00Z", "to")
    assert window_end("2026-03-01 08:00+02:00") == parse_instant("2026-03-01T06:00:00Z", "to")
    tmp, policy, leads = files
    done = run("report", str(policy), str(leads), "--from", "2026-03-01T12:00:00Z", "--to", "2026-03-01T08:00:00Z",
               "--as-of", at(60))
    assert done.returncode == 2 and "is after --to" in done.stderr


def test_cli_report_against_revision_is_read_as_diff_reads_it(files):
    """--against REV:PATH ran `git show REV:PATH` as given: a revision spelled as an option
    (`--output=FILE:x`) made git write FILE, `HEAD:` replayed git's listing of the tree as a policy
    ("unexpected `tree`"), and a file that is not UTF-8 at the revision was said without its name.
    It is read as `leadpolicy diff` reads it: one line naming the version, exit 2."""
    tmp, policy, leads = files
    repo = tmp / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / "p.policy").write_text(SMALL)
    (repo / "latin.policy").write_bytes(SMALL.replace('"Small"', '"Caf\xe9"').encode("latin-1"))
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=repo, check=True)
    written = tmp / "written"
    expected = {f"--output={written}:x": f"error: --against unknown revision `--output={written}`\n",
                "HEAD:": "error: --against `HEAD:` is neither a file nor a git `REV:PATH` (for example main:policies/acme.policy)\n",
                "HEAD:latin.policy": "error: --against HEAD:latin.policy is not UTF-8 text (byte 13 is 0xe9)\n"}
    for spec, stderr in expected.items():
        done = run("report", str(policy), str(leads), f"--against={spec}", "--as-of", at(1), "-o", str(tmp / "r.md"), cwd=repo)
        assert (done.returncode, done.stderr) == (2, stderr), spec
    assert not written.exists() and not (tmp / "r.md").exists()
    done = run("report", str(policy), str(leads), "--against=HEAD:p.policy", "--as-of", at(1), "-o", str(tmp / "r.md"), cwd=repo)
    assert done.returncode == 0, done.stderr


def test_cli_report_policy_may_be_a_revision_too(files):
    """Both versions a report sets side by side may be git's `REV:PATH`, as the product has it wherever two
    versions are compared: only --against took one, and POLICY `HEAD:p.policy` was "no such file" (exit 2)."""
    tmp, policy, leads = files
    repo = _repo_with_a_stricter_policy(tmp)
    done = run("report", "HEAD:p.policy", str(leads), "--against", str(policy), "--as-of", at(60), "-o", str(tmp / "r.json"),
               cwd=repo)
    assert done.returncode == 0, done.stderr
    old, new = json.loads((tmp / "r.json").read_text())["reports"]
    assert (old["path"], old["funnel"][1]["reached"]) == ("HEAD:p.policy", 2) and new["path"].endswith("small.policy")
    missing = run("report", "HEAD:gone.policy", str(leads), "--as-of", at(60), cwd=repo)
    assert (missing.returncode, missing.stderr) == (2, "error: POLICY `gone.policy` does not exist at revision `HEAD` "
                                                      "(HEAD:gone.policy)\n")


def test_cli_eval_journey(files):
    tmp, policy, _ = files
    one = tmp / "one.json"
    one.write_text(json.dumps(small_history()[0]))
    text = run("eval", str(policy), str(one), "--journey", "--as-of", at(60))
    assert text.returncode == 0, text.stderr
    assert "mql -> sql (promoted)" in text.stdout and 'rule "Quiet"' in text.stdout
    data = json.loads(run("eval", str(policy), str(one), "--journey", "--json", "--as-of", at(60)).stdout)
    assert [s["stage"] for s in data["steps"]] == ["mql", "sql", "mql"]


def test_cli_eval_journey_data_error_is_the_evaluators(files):
    """A bad activity time in `eval --journey` read "activity `activities` time" (the replay's own
    reading named the list, not the type; found trying it by hand): now the evaluator's message,
    at the value in the file, as plain `eval` shows it."""
    tmp, policy, _ = files
    lead = small_history()[0]
    kind = lead["activities"][0]["type"]
    lead["activities"][0]["at"] = "yesterday"
    one = tmp / "one.json"
    one.write_text(json.dumps(lead, indent=1))
    plain, journeyed = (run("eval", str(policy), str(one), *extra, "--as-of", at(60)) for extra in ([], ["--journey"]))
    assert plain.returncode == journeyed.returncode == 1 and plain.stderr == journeyed.stderr
    assert f"activity `{kind}` time: `yesterday` is not an ISO 8601" in journeyed.stderr
    assert f" --> {one}:" in journeyed.stderr and "^^^^^^^^^^^" in journeyed.stderr


def test_the_replay_names_a_bad_time_by_its_activity_type(small):
    model = TimeModel.of(small.tree)
    kind = small.tree.activities[0].name
    with pytest.raises(LeadDataError) as caught:
        replay(small, model, {}, [{"type": f" {kind.upper()} ", "at": "soon"}], None, parse_instant(at(60), "as_of"), "L")
    assert caught.value.field == f"{kind}.at"


# ---------------------------------------------------------------- the HTML in a real browser


def test_html_report_in_chromium(tmp_path):
    sys.path.insert(0, str(ROOT / "tests"))
    from support.browser import CHROMIUM, chromium, colour_counts, console_messages, read_png

    if CHROMIUM is None:
        pytest.skip("no Chromium binary found (install the Debian package `chromium`)")
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    page = tmp_path / "report.html"
    page.write_text(render.html(build([policy], history(300), "2026-12-01")))
    dom = chromium(tmp_path, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    assert not console_messages(dom.stderr)
    for chart in ("funnel", "velocity", "time-to-stage", "by-grade", "by-engagement", "by-fit", "sweep"):
        assert f'class="chart {chart}"' in dom.stdout, chart
    assert dom.stdout.count('class="bar"') > 10 and 'class="precision"' in dom.stdout
    png = tmp_path / "shot.png"
    shot = chromium(tmp_path, page, f"--screenshot={png}", "--window-size=1200,2400")
    assert png.is_file(), shot.stderr
    _, _, bpp, rows = read_png(png)
    counts = colour_counts(rows, bpp, {"bar": (0x3B, 0x6E, 0xA5)})
    assert counts["bar"] > 2000  # the bars are drawn, not only present in the DOM


def test_golden_markdown_side_by_side(small, golden):
    other = leadpolicy.loads(SMALL.replace("engagement >= 10", "engagement >= 30"), "stricter.policy")
    report = build([small, other], small_history(), at(60))
    mine, theirs = report["reports"]
    assert [f["reached"] for f in theirs["funnel"]] == [5, 2, 2]  # L2's lone visit no longer makes mql
    golden(GOLDEN / "against.md", render.markdown(report))


def test_side_by_side_holds_the_metrics_a_change_is_judged_on(small):
    """`--against` is to put both policies' metrics side by side, so a change is judged on outcomes: the
    table had the funnel counts, the top stage's win rate (`sql→win rate / sql→win rate`), one stage's
    missed deals, sent but lost and disqualified, and dropped the rows of stages only the second policy
    has. It now has every stage's count, conversion, median days, win rate among the leads that reached
    it and missed won deals, and demotions, for the longer of the two policies."""
    one = leadpolicy.loads('policy "One" version "1"\nstages { lead }\n', "one.policy")
    report = build([one, small], small_history(), at(60))
    table = render.markdown(report).split("## Side by side", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0].lstrip("| "): line.split(" | ")[1:] for line in table.splitlines() if line.startswith("| ")}
    mine, theirs = report["reports"]
    assert rows["reached lead"] == ["5", "5 |"]
    assert rows["reached sql"] == ["", "2 |"] and rows["conversion mql → sql"] == ["", "66.7% |"]
    assert rows["median days, mql -\\> sql"] == ["", "1.50 |"]
    assert rows["mql→win rate"] == ["", f"{theirs['by_stage_reached']['mql']['win_rate'] * 100:.1f}% |"]
    assert rows["won deals that never reached mql"] == ["", "1 |"]
    assert rows["sent but lost (reached lead / sql by the close, closed lost)"] == [str(mine["sent_but_lost"]["leads"]), "1 |"]
    assert rows["demoted at least once"] == ["0", "2 |"]
    assert "→win rate / " not in render.markdown(build([small, small], small_history(), at(60)))


def _history_csv(out):
    """small_history() written to `out` as a CRM's CSV export (outcome columns included); the writer."""
    import csv

    writer = csv.writer(out)
    writer.writerow(["id", "size", "created_at", "activities", "status", "amount", "closed_at"])
    for x in small_history():
        o = x.get("outcome") or {}
        writer.writerow([x["id"], x["fields"]["size"] or "", x["created_at"], json.dumps(x["activities"]),
                         o.get("status", ""), o.get("amount", ""), o.get("closed_at", "")])
    return writer


def test_csv_leads_with_outcome_columns(small, tmp_path):

    path = tmp_path / "leads.csv"
    with open(path, "w", newline="") as out:
        writer = _history_csv(out)
        writer.writerow(["BAD", "", "", "[not json", "", "", ""])
    with open(path, newline="") as stream:
        r = build([small], stream, at(60), name=str(path))["reports"][0]
    expected = build([small], small_history(), at(60))["reports"][0]
    assert r["data_errors"] == 2 and r["data_error_examples"][1]["id"] == "BAD"
    for key in ("funnel", "velocity", "outcomes", "by_grade", "missed_deals", "threshold_sweeps"):
        assert r[key] == expected[key], key



def test_csv_leads_are_read_as_score_reads_them(tmp_path):
    """docs/report.md says a .csv is read as `score` reads CSV, but `report` read its header by exact
    name: a `Company Size` column (score: the field `company_size`) was dropped without a word, a `;`
    export was one column, and a row with more cells than the header was decided, not an error."""
    policy = leadpolicy.loads('policy "P" version "1"\nfields { company_size number }\n'
                              'stages { lead  big when company_size > 100 }\n')
    path = tmp_path / "crm.CSV"
    path.write_text("ID;Company Size;Phone;Status\nA;500;1;won\nB;lots;2;\nC;5;3;lost;extra\n", encoding="utf-8")
    warnings = []
    with open(path, newline="") as stream:
        r = build([policy], stream, at(60), name=str(path), warn=warnings.append)["reports"][0]
    assert warnings == ["column 3 (`Phone`) names no field of the policy and is ignored"]
    assert (r["leads"], r["data_errors"]) == (1, 2)
    assert [e["error"]["message"] for e in r["data_error_examples"]] == [
        "lead B: field `company_size`: cannot read `lots` as a number",
        "lead C: line 4 has 5 cells but the header has 4 columns"]
    assert r["funnel"][1]["reached"] == 1 and r["outcomes"]["won"] == 1  # A, read as big, and its outcome


def test_cli_report_csv_header_problems_are_said_as_score_says_them(files, tmp_path):
    tmp, policy, _ = files
    leads = tmp / "none.csv"
    leads.write_text("phone,email\n1,x\n")
    result = run("report", str(policy), str(leads), "--as-of", at(1))
    assert result.returncode == 1 and result.stderr.startswith(f"error: {leads}: no column names a field of the policy")

def test_a_policy_with_one_stage_and_won_deals_without_amounts():
    policy = leadpolicy.loads('policy "One" version "1"\nstages { only }\n')
    report = build([policy], [{"id": "a", "fields": {}, "activities": []},
                              {"id": "b", "outcome": {"status": "won"}}], "2026-01-01")
    r = report["reports"][0]
    assert r["funnel"] == [{"stage": "only", "reached": 2, "share": 1.0, "conversion_to_next": None}]
    assert r["velocity"] == {} and r["missed_deals"] == {} and r["threshold_sweeps"] == []
    assert r["outcomes"]["average_won_amount"] is None and r["outcomes"]["only_win_rate"] == 1.0
    assert "<svg" in render.html(report) and render.markdown(report).startswith("# Policy report")


def test_cli_report_names_a_line_that_is_not_json_plainly(files):
    """A line that is not JSON is listed as "(no id): FILE:LINE:COL: not valid JSON: ...", not
    "None: field ``: ..."; a pretty-printed lead gets the one-document warning."""
    tmp, policy, _ = files
    pretty = tmp / "lead.json"
    pretty.write_text(json.dumps(small_history()[0], indent=2) + "\n")
    done = run("report", str(policy), str(pretty), "--as-of", at(60))
    assert f"warning: {pretty} looks like one JSON document" in done.stderr
    errors = done.stdout.split("### Data errors", 1)[1]
    assert f"- (no id): {md_escape(str(pretty))}:1:1: not valid JSON:" in errors  # the file name as Markdown text
    assert "None" not in errors and "field ``" not in errors
    data = json.loads(run("report", str(policy), str(pretty), "--as-of", at(60), "-o", str(tmp / "r.json")).stdout or
                      (tmp / "r.json").read_text())
    assert data["reports"][0]["data_error_examples"][0]["error"]["field"] is None


def test_cli_report_input_format_reads_leads_whatever_their_name(files):
    """`report` read CSV by the .csv suffix only: a CRM export named `contacts.txt` was read as JSON Lines (each
    row a data error) and its warning said to rename it; `score` and `diff` take `--input-format csv`, and now
    `report` does, with the same meaning (and `--input-format jsonl` reads a JSON Lines file named .csv)."""

    tmp, policy, leads = files
    export = tmp / "contacts.txt"
    with open(export, "w", newline="") as out:
        _history_csv(out)
    named = tmp / "contacts.csv"
    named.write_bytes(export.read_bytes())
    expected = run("report", str(policy), str(named), "--as-of", at(60), "-o", str(tmp / "named.json"))
    assert expected.returncode == 0 and expected.stderr == "", expected.stderr
    wanted = json.loads((tmp / "named.json").read_text())["reports"][0]
    unread = run("report", str(policy), str(export), "--as-of", at(60), "-o", str(tmp / "unread.json"))
    assert f"warning: {export} looks like CSV" in unread.stderr
    assert "to read it as CSV, give `--input-format csv` (or name it .csv)" in unread.stderr
    assert json.loads((tmp / "unread.json").read_text())["reports"][0]["data_errors"] == len(small_history()) + 1
    read = run("report", str(policy), str(export), "--input-format", "csv", "--as-of", at(60), "-o", str(tmp / "read.json"))
    assert (read.returncode, read.stderr) == (0, "")
    got = json.loads((tmp / "read.json").read_text())["reports"][0]
    assert got == wanted and got["data_errors"] < len(small_history())
    jsonl_named_csv = tmp / "history.csv"
    jsonl_named_csv.write_bytes(leads.read_bytes())
    as_jsonl = run("report", str(policy), str(jsonl_named_csv), "--input-format", "jsonl", "--as-of", at(60),
                   "-o", str(tmp / "jsonl.json"))
    plain = run("report", str(policy), str(leads), "--as-of", at(60), "-o", str(tmp / "plain.json"))
    assert (as_jsonl.returncode, as_jsonl.stderr, plain.returncode) == (0, "", 0), as_jsonl.stderr
    assert json.loads((tmp / "jsonl.json").read_text())["reports"] == json.loads((tmp / "plain.json").read_text())["reports"]
    assert "--input-format [jsonl|csv]" in run("report", "--help").stdout


def test_a_progress_bar_on_a_terminal_cleared_at_the_end_and_silence_in_a_pipe(tmp_path: Path) -> None:
    """On a terminal, `report` draws the progress bar `score` draws (tools/progress.py), of the share of
    the file replayed (it counted `replayed N leads` in thousands, PRODUCT: "Long runs show a progress
    bar on a terminal"); the line is cleared before a message and at the end (a newline once left the
    last count on the screen, and a warning was written onto its line). In a pipe it shows nothing,
    and the report is the same."""
    from support.terminal import on_a_terminal, progress_lines, screen

    leads = tmp_path / "leads.jsonl"
    leads.write_text((ROOT / "policies" / "acme.leads.jsonl").read_text() * 25)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("id,status\nnobody,won\n")
    args = ["report", str(ROOT / "policies" / "acme.policy"), str(leads), "--as-of", "2026-11-22", "-j", "1",
            "-o", str(tmp_path / "r.md")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    warning = f"warning: 1 outcome names no lead of {leads} (e.g. \"nobody\"): not counted"
    for extra, shown_after in (([], [""]), (["--outcomes", str(outcomes)], [warning, ""])):
        text, _, status = on_a_terminal(args + extra, shown="stderr")
        assert status == 0
        assert all("[" in line for line in progress_lines(text, "replaying"))  # a bar: the file's size is known
        assert screen(text) == shown_after, repr(text)  # and left nothing of it behind
        drawn = (tmp_path / "r.md").read_bytes()
        piped = subprocess.run([sys.executable, "-m", "leadpolicy", *args, *extra], capture_output=True, env=env, timeout=120)
        assert piped.returncode == 0 and piped.stderr.decode() == "".join(line + "\n" for line in shown_after[:-1])
        assert (tmp_path / "r.md").read_bytes() == drawn


def test_report_reads_parquet_leads_of_the_json_lines_shape_as_score_does(files):
    """`score` and `diff --leads` read Parquet leads of the JSON Lines shape (a `fields` column); `report`
    refused them (`is a Parquet file, not JSON Lines or CSV: export its leads as JSON Lines or CSV`, exit 1).
    It now reads them as they do, `created_at` and `outcome` columns too: the report of the same leads in
    JSON Lines, whatever the file's name."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    tmp, policy, leads = files
    history = small_history()
    for record in history:  # one type per column: every outcome with every key (null where it has none)
        if "outcome" in record:
            record["outcome"] = {"status": None, "amount": None, "closed_at": None, **record["outcome"]}
    (tmp / "same.jsonl").write_text("".join(json.dumps(x) + "\n" for x in history))
    pq.write_table(pa.Table.from_pylist(history), tmp / "leads.parquet")
    (tmp / "export.data").write_bytes((tmp / "leads.parquet").read_bytes())  # known by its first bytes
    expected = run("report", str(policy), str(tmp / "same.jsonl"), "--as-of", at(60), "--json")
    assert expected.returncode == 0, expected.stderr
    wanted = json.loads(expected.stdout)
    assert wanted == json.loads(run("report", str(policy), str(leads), "--as-of", at(60), "--json").stdout)
    for name in ("leads.parquet", "export.data"):
        done = run("report", str(policy), str(tmp / name), "--as-of", at(60), "--json")
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        assert json.loads(done.stdout) == wanted
    assert wanted["reports"][0]["outcomes"]["won"] == 2 and wanted["reports"][0]["data_errors"] == 1
    (tmp / "fake.parquet").write_text('{"id": 1}\n')  # named .parquet, and not one: one line, exit 1
    fake = run("report", str(policy), str(tmp / "fake.parquet"), "--as-of", at(60))
    assert fake.returncode == 1 and fake.stderr.startswith(f"error: {tmp / 'fake.parquet'} cannot be read as Parquet")
    pq.write_table(pa.Table.from_pylist([{"id": "R-1", "size": 5}]), tmp / "table.parquet")  # no `fields`: refused
    table = run("report", str(policy), str(tmp / "table.parquet"), "--as-of", at(60))
    assert table.returncode == 1 and "is a Parquet file, not JSON Lines or CSV" in table.stderr


LOW = """
policy "Low" version "1"
activities { visit }
stages {
  lead
  nurture when engagement < 5
}
engagement {
  "Visit": +10 per visit
  decay 50% every 1 day
}
"""


def test_a_sweep_of_a_less_than_threshold_reads_each_leads_lowest_score():
    """A stage entered when a score falls below a number (`nurture when engagement < 5`): a lead reaches
    it when its score is below the threshold at some moment, its lowest score. The sweep and the missed
    deals read the highest score for every comparison: at the current threshold the sweep said 0 leads
    reach `nurture` where the funnel counts 1, and the missed deal said `peaked at 10.00`."""
    policy = leadpolicy.loads(LOW, "low.policy")
    visits = lambda days: [{"type": "visit", "at": at(d)} for d in days]  # noqa: E731
    leads = [  # A: 10 on day 0, 5 on day 1, 2.5 on day 2 (nurture); B: a visit a day, never below 10
        {"id": "A", "created_at": at(0), "fields": {}, "activities": visits([0]),
         "outcome": {"status": "lost"}},
        {"id": "B", "created_at": at(0), "fields": {}, "activities": visits(range(11)),
         "outcome": {"status": "won", "amount": 100}},
    ]
    report = build([policy], leads, at(10))["reports"][0]
    assert [f["reached"] for f in report["funnel"]] == [2, 1]
    (sweep,) = report["threshold_sweeps"]
    assert (sweep["condition"], sweep["op"]) == ("nurture: engagement < 5", "<")
    current = next(row for row in sweep["rows"] if row["current"])
    assert (current["threshold"], current["leads"], current["won"], current["lost"]) == (5.0, 1, 0, 1)
    assert all(row["leads"] == 2 for row in sweep["rows"] if row["threshold"] > 10)  # B's lowest is 10
    assert all(row["leads"] == 0 for row in sweep["rows"] if row["threshold"] <= 10 * 0.5 ** 10)
    (missed,) = report["missed_deals"]["nurture"]["examples"]
    assert missed["id"] == "B" and missed["held_back_by"] == ["engagement < 5 (at its lowest 10.00)"]
    assert "Leads that would reach nurture were the threshold the number in engagement \\< 5, the rest of the policy " \
           "unchanged" in render.markdown(build([policy], leads, at(10)))


def test_a_stage_entry_threshold_below_zero_is_swept():
    """`warm when engagement >= -20` compares a score with a number, as `>= 20` does; the parser reads
    `-20` as the negation of 20, and the sweep took only a plain number: the report had no sweep for it."""
    policy = leadpolicy.loads("""policy "Minus" version "1"
activities { visit  unsubscribe }
stages {
  lead
  warm when engagement >= -20 and did visit
  hot when -5 < fit
}
engagement {
  "Visit": +10 per visit
  "Unsubscribed": -50 per unsubscribe
}
""", "minus.policy")
    leads = [{"id": "A", "created_at": at(0), "fields": {}, "activities": [{"type": "visit", "at": at(1)}]},
             {"id": "B", "created_at": at(0), "fields": {},
              "activities": [{"type": "unsubscribe", "at": at(0)}, {"type": "visit", "at": at(1)}]}]
    report = build([policy], leads, at(10))["reports"][0]
    sweeps = {s["condition"]: s for s in report["threshold_sweeps"]}
    assert list(sweeps) == ["warm: engagement >= -20", "hot: fit > -5"]
    current = next(row for row in sweeps["warm: engagement >= -20"]["rows"] if row["current"])
    # A's highest is 10; B's is -40, but B reaches hot (fit 0 > -5), and so warm: the funnel's 2
    assert (current["threshold"], current["leads"]) == (-20.0, 2) and report["funnel"][1]["reached"] == 2
    hot = {row["threshold"]: row["leads"] for row in sweeps["hot: fit > -5"]["rows"]}
    assert (hot[-5.0], hot[0.0]) == (2, 0)  # fit 0 > -5, not > 0


def test_leads_without_a_grade_are_a_segment_named_for_people():
    """Grades are optional, and without a match the grade is missing: the by-grade table and chart named
    such leads `None` (Python's word) and put them first; they are `(no grade)`, after the letters."""
    policy = leadpolicy.loads("""policy "Some grades" version "1"
fields { size number }
stages { lead }
grades { A when size >= 100  B when size >= 10 }
""", "grades.policy")
    leads = [{"id": i, "created_at": at(0), "fields": {"size": size}, "outcome": {"status": status}}
             for i, (size, status) in enumerate([(500, "won"), (50, "lost"), (5, "won"), (1, "lost"), (None, "lost")])]
    report = build([policy], leads, at(10))
    segments = report["reports"][0]["by_grade"]
    assert list(segments) == ["A", "B", "(no grade)"]
    assert (segments["(no grade)"]["leads"], segments["(no grade)"]["won"]) == (3, 1)
    shown = render.markdown(report)
    assert "| (no grade) | 3 | 1 | 2 |" in shown and "None" not in shown
    assert ">None<" not in render.html(report) and "(no grade)" in render.html(report)


def _with_number(text, tree, k, value):
    """The policy text with the number of the k-th comparison of a score with a number in the stages'
    entry conditions (the report's sweeps, in order) written as `value`."""
    from leadpolicy.syntax import nodes as n

    def number(expr):
        return isinstance(expr, n.Number) or (isinstance(expr, n.Neg) and number(expr.operand))

    found = [node for stage in tree.stages if stage.condition is not None for node in stage.condition.walk()
             if isinstance(node, n.Compare) and node.op in ("<", "<=", ">", ">=")
             and any(isinstance(a, (n.Engagement, n.Fit)) and number(b)
                     for a, b in ((node.left, node.right), (node.right, node.left)))]
    side = found[k].right if number(found[k].right) else found[k].left
    return text[: side.span.start] + f"({value!r})" + text[side.span.end:]


@settings(max_examples=60, deadline=None, derandomize=DERANDOMIZE, suppress_health_check=list(HealthCheck))
@given(data=st.data(), text=fine_decay_policies(sweeps=True))
def test_the_sweep_counts_the_leads_the_funnel_would_count_at_each_threshold(data, text):
    """At each threshold T of a sweep, its leads are the leads that reach the stage when the report is
    run on the policy with the comparison's number written as T (the rest of the condition, the stages
    that use the stage's name and disqualification included), won and lost alike. The sweep counted the
    leads whose highest score met T whatever else the condition said: 118 at acme's current 60 where
    the funnel says 75."""
    policy = leadpolicy.loads(text)
    hour, end = 3_600_000_000, parse_instant("2026-03-01", "as_of")
    leads = []
    for index in range(data.draw(st.integers(1, 4))):
        leads.append({"id": f"L{index}", "fields": {"size": data.draw(st.sampled_from([None, 5, 500])),
                                                     "seen": data.draw(st.sampled_from([None, "2026-02-20T05:00:00Z"]))},
                      "activities": [{"type": data.draw(st.sampled_from(["ping", "pong"])),
                                      "at": to_datetime(end - data.draw(st.sampled_from([300, 2, 7, 30, 100, 719, 0])) * hour
                                                        - data.draw(st.sampled_from([0, 1, 1_234_567_890]))).isoformat()}
                                     for _ in range(data.draw(st.integers(0, 4)))],
                      "outcome": {"status": data.draw(st.sampled_from(["won", "lost", "open"]))}})
    report = build([policy], leads, "2026-03-01")["reports"][0]
    assume(report["threshold_sweeps"])
    for k, sweep in enumerate(report["threshold_sweeps"]):
        rows = data.draw(st.lists(st.sampled_from(sweep["rows"]), min_size=1, max_size=3, unique_by=lambda r: r["threshold"]))
        for row in rows:
            rewritten = leadpolicy.loads(_with_number(text, policy.tree, k, row["threshold"]))
            brute = build([rewritten], leads, "2026-03-01")["reports"][0]
            funnel = {f["stage"]: f["reached"] for f in brute["funnel"]}
            reached = brute["by_stage_reached"][sweep["stage"]]
            assert (row["leads"], row["won"], row["lost"]) == (funnel[sweep["stage"]], reached["won"], reached["lost"]), \
                (sweep["condition"], row["threshold"])


def test_the_sweep_at_the_current_threshold_is_the_funnel():
    """The sweep's row at the current threshold counts the leads the funnel counts for that stage (on acme's
    history it said 118 leads for `engagement >= 60` and 264 for `fit >= 40` where the funnel says 75 reached
    mql: the rest of the condition and disqualification were not looked at)."""
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    with open(ROOT / "policies" / "acme.history.jsonl", "rb") as stream:
        report = build([policy], stream, "2026-12-01", name="acme.history.jsonl")["reports"][0]
    funnel = {f["stage"]: f["reached"] for f in report["funnel"]}
    assert [s["condition"] for s in report["threshold_sweeps"]] == ["mql: engagement >= 60", "mql: fit >= 40"]
    for sweep in report["threshold_sweeps"]:
        (current,) = [row for row in sweep["rows"] if row["current"]]
        reached = report["by_stage_reached"]["mql"]
        assert (current["leads"], current["won"], current["lost"]) == (funnel["mql"], reached["won"], reached["lost"]) \
            == (75, 13, 18)


# three visits within 10 days make an mql: the policy of the tests on what a lead was at its deal's close
AFTER_THE_CLOSE = """
policy "After" version "1"
activities { visit }
stages {
  lead
  mql when engagement >= 30
}
engagement { "Visit": +10 per visit within 10 days }
"""


def test_a_missed_deal_is_described_by_the_lead_up_to_the_close() -> None:
    """Missed deals were read from the whole replay, to --as-of: W1 (one visit before its deal closed
    on day 3, two after) was `held back by engagement >= 30 (peaked at 20.00)`, a peak of post-sale
    visits, with the engagement of --as-of; W2, whose three visits all came after its deal was won,
    reached mql then and was not a missed deal at all. Both are read up to the close."""
    policy = leadpolicy.loads(AFTER_THE_CLOSE, "after.policy")
    leads = [lead("W1", [("visit", 1), ("visit", 20), ("visit", 21)], {"status": "won", "amount": 10, "closed_at": at(3)}),
             lead("W2", [("visit", 20), ("visit", 21), ("visit", 22)], {"status": "won", "amount": 20, "closed_at": at(5)}),
             lead("W3", [("visit", 1), ("visit", 2), ("visit", 25)], {"status": "won", "amount": 40}),  # no close: all of it
             lead("W4", [("visit", 1), ("visit", 2), ("visit", 3)], {"status": "won", "amount": 80, "closed_at": at(4)})]
    report = build([policy], leads, at(24))["reports"][0]
    missed = report["missed_deals"]["mql"]
    assert (missed["won_deals"], missed["won_amount"]) == (3, 70)
    shown = {e["id"]: (e["held_back_by"], e["stage"], e["engagement"]) for e in missed["examples"]}
    assert shown == {"W1": (["engagement >= 30 (peaked at 10.00)"], "lead", 10.0),
                     "W2": (["engagement >= 30 (peaked at 0.00)"], "lead", 0.0),
                     "W3": (["engagement >= 30 (peaked at 20.00)"], "lead", 0.0)}
    assert report["funnel"][1]["reached"] == 2  # the funnel is still to --as-of: W2 and W4 reached mql


def test_sent_but_lost_is_the_lead_up_to_the_close() -> None:
    """Sent but lost counted a lead that reached the last stage only after its deal was lost (L1: lost
    on day 3, mql on day 22, from three visits after the loss). Now it is the lead as it stood at the
    close, as missed deals are (decision 94): reaching the stage before the loss (L2), or at its very
    instant (L3), counts; after it (L1) does not; a deal without closed_at is read to the end (L4)."""
    policy = leadpolicy.loads(AFTER_THE_CLOSE, "after.policy")
    leads = [lead("L1", [("visit", 20), ("visit", 21), ("visit", 22)], {"status": "lost", "closed_at": at(3)}),
             lead("L2", [("visit", 1), ("visit", 2), ("visit", 3)], {"status": "lost", "closed_at": at(6)}),
             lead("L3", [("visit", 1), ("visit", 2), ("visit", 3)], {"status": "lost", "closed_at": at(3)}),
             lead("L4", [("visit", 20), ("visit", 21), ("visit", 22)], {"status": "lost"}),
             lead("L5", [("visit", 1), ("visit", 2), ("visit", 20)], {"status": "lost", "closed_at": at(2)})]
    report = build([policy], leads, at(24))["reports"][0]
    sent = report["sent_but_lost"]
    assert sent["leads"] == 3
    assert {e["id"]: (e["stage"], e["engagement"]) for e in sent["examples"]} == \
        {"L2": ("mql", 30.0), "L3": ("mql", 30.0), "L4": ("mql", 30.0)}
    # the funnel and the stage-reached segments are still to --as-of: L1 reached mql (after its loss)
    assert report["funnel"][1]["reached"] == 4
    assert (report["by_stage_reached"]["mql"]["won"], report["by_stage_reached"]["mql"]["lost"]) == (0, 4)
