"""Tests for leadpolicy/reference.py, the reference interpreter (LANGUAGE.md sections 4-7).

Policies are written as text in the language, parsed, resolved by the checker
and evaluated; every test pins a value that a wrong reading of the language
would change.
"""

from __future__ import annotations

import datetime
import pathlib

import pytest

from leadpolicy.check.checker import check
from leadpolicy.semantics.reference import evaluate
from leadpolicy.semantics.runtime import LeadDataError
from leadpolicy.syntax import nodes
from leadpolicy.syntax.parser import parse

ROOT = pathlib.Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"

UTC = datetime.timezone.utc
AS_OF = datetime.datetime(2026, 11, 22, tzinfo=UTC)
DAY = datetime.timedelta(days=1)
SECOND = datetime.timedelta(seconds=1)


def ago(delta: datetime.timedelta) -> str:
    """The ISO timestamp `delta` before AS_OF."""
    return (AS_OF - delta).isoformat()


# ---------------------------------------------------------------- loading policies


def load(text: str) -> nodes.Policy:
    """Parse and check; the checker's resolved tree is what evaluate takes."""
    result = check(parse(text))
    errors = [d for d in result.diagnostics if d.is_error]
    assert not errors, errors
    return result.policy


DECLARATIONS = """
policy "Test" version "1"
fields {
  email      text
  seniority  one of (ic, manager, director, vp, cxo)
  status     one of (open, accepted, "Closed Won")
  budget     number
  size       number
  active     boolean
  created    date
}
activities {
  visit  (path text)
  form   (name text, score number)
  call
}
"""


def decide(body: str, fields=None, activities=(), previous_stage=None, as_of=AS_OF, lead_id=None) -> dict:
    """Evaluate one lead against DECLARATIONS + body."""
    return evaluate(load(DECLARATIONS + body), fields or {}, activities, as_of, previous_stage, lead_id)


def holds(condition: str, fields=None, activities=(), as_of=AS_OF) -> bool:
    """Whether CONDITION holds for the lead: it is the entry condition of a second stage."""
    decision = decide(f"stages {{ base  passed when {condition} }}", fields, activities, as_of=as_of)
    assert decision["stage"] in ("base", "passed")
    return decision["stage"] == "passed"


def fit_of(condition: str, fields=None) -> float:
    """The fit of a lead under one `+1 when CONDITION` fit rule (fit rules: fields only)."""
    decision = decide(f'stages {{ base }}\nfit {{ "R": +1 when {condition} }}', fields)
    return decision["fit"]


# ---------------------------------------------------------------- LANGUAGE.md section 1


@pytest.fixture(scope="module")
def acme() -> nodes.Policy:
    return load(ACME.read_text())


def test_acme_vp_who_asked_for_a_demo_is_sales_qualified(acme):
    # test "A VP at a SaaS company who asked for a demo is sales qualified"
    decision = evaluate(
        acme,
        {"email": "pat@bigco.example", "seniority": "vp", "company_size": 800,
         "industry": "saas", "sales_status": "open", "is_customer": False},
        [{"type": "form_submit", "at": ago(2 * DAY), "form": "demo"}]
        + [{"type": "page_view", "at": ago(5 * DAY), "path": "/pricing"}] * 3,
        as_of="2026-11-22",
    )
    assert decision["stage"] == "sql"
    assert decision["change"] == "new"
    assert decision["previous_stage"] is None
    assert decision["fit"] == 60.0
    assert decision["engagement"] == 160.0
    assert decision["grade"] == "B"
    assert decision["reason"] == {"kind": "qualified", "stage": "sql", "rule": None}
    demo = [h for h in decision["hits"] if h["rule"] == "Requested a demo"]
    assert demo == [{"section": "engagement", "rule": "Requested a demo", "points": 100.0, "count": 1}]
    assert "Unsubscribed" not in {h["rule"] for h in decision["hits"]}
    assert decision["hits"] == [
        {"section": "engagement", "rule": "Visited pricing", "points": 60.0, "count": 3},
        {"section": "engagement", "rule": "Requested a demo", "points": 100.0, "count": 1},
        {"section": "fit", "group": "authority", "rule": "Decision maker", "points": 25.0},
        {"section": "fit", "group": "need", "rule": "Target industry", "points": 20.0},
        {"section": "fit", "group": "need", "rule": "Mid-market or larger", "points": 15.0},
    ]
    assert list(decision) == ["policy", "version", "stage", "previous_stage", "change",
                              "engagement", "fit", "grade", "reason", "hits"]
    assert (decision["policy"], decision["version"]) == ("Acme Cloud handoff", "2026.11.1")


def test_acme_quiet_sql_falls_back(acme):
    # test "A quiet SQL falls back to MQL"
    decision = evaluate(
        acme,
        {"seniority": "vp", "industry": "saas", "company_size": 800, "sales_status": "open"},
        [{"type": "webinar", "at": ago(40 * DAY), "title": "ROI", "minutes": 45}]
        + [{"type": "page_view", "at": ago(31 * DAY), "path": "/pricing"}] * 3,
        as_of="2026-11-22",
        previous_stage="sql",
    )
    assert decision["stage"] == "lead"
    assert decision["previous_stage"] == "sql"
    assert decision["change"] == "demoted"
    assert decision["reason"] == {"kind": "demoted", "stage": "lead", "rule": "Engagement faded"}
    assert decision["engagement"] == 15.0  # the webinar, one 30-day period old: 30 * 0.5
    assert decision["fit"] == 60.0
    assert decision["hits"][0] == {"section": "engagement", "rule": "Attended a webinar", "points": 15.0, "count": 1}
    assert "Visited pricing" not in {h["rule"] for h in decision["hits"]}  # 31 days: outside 30


def _test_block_input(block: nodes.TestBlock):
    """A test block of the policy file as evaluate's arguments."""
    def value(v: nodes.TestValue):
        if v.kind in ("date", "timestamp"):
            return datetime.datetime.fromtimestamp(v.value / 1e6, UTC).isoformat()
        return v.value
    as_of = datetime.datetime.fromtimestamp(block.as_of.value / 1e6, UTC)
    fields = {f.name: value(f.value) for f in block.fields}
    activities = []
    for act in block.activities:
        at = as_of - datetime.timedelta(microseconds=act.ago.micros) if act.ago else value(act.at)
        record = {"type": act.activity, "at": at.isoformat() if isinstance(at, datetime.datetime) else at}
        record.update({p.name: value(p.value) for p in act.props})
        activities.extend([record] * act.count)
    return fields, activities, as_of, block.previous_stage


def test_acme_embedded_test_blocks_expectations_hold(acme):
    assert len(acme.tests) == 2
    for block in acme.tests:
        fields, activities, as_of, previous = _test_block_input(block)
        decision = evaluate(acme, fields, activities, as_of, previous)
        hits = {h["rule"] for h in decision["hits"]}
        for expect in block.expectations:
            if expect.kind in ("stage", "change", "grade"):
                assert decision[expect.kind] == expect.value, (block.name, expect)
            elif expect.kind in ("engagement", "fit"):
                assert expect.op == "=" and round(decision[expect.kind], 2) == expect.value, (block.name, expect)
            elif expect.kind == "hit":
                assert expect.value in hits, (block.name, expect)
            else:
                assert expect.kind == "no_hit" and expect.value not in hits, (block.name, expect)


# ---------------------------------------------------------------- engagement (section 4)


def test_window_boundary_exactly_within_counts():
    body = 'stages { base }\nengagement { "V": +5 per visit within 7 days }'
    exactly = decide(body, activities=[{"type": "visit", "at": ago(7 * DAY), "path": "/"}])
    assert exactly["engagement"] == 5.0
    assert exactly["hits"] == [{"section": "engagement", "rule": "V", "points": 5.0, "count": 1}]
    beyond = decide(body, activities=[{"type": "visit", "at": ago(7 * DAY + SECOND), "path": "/"}])
    assert beyond["engagement"] == 0.0
    assert beyond["hits"] == []


def test_did_window_boundary_exactly_within_counts():
    assert holds("did visit within 7 days", activities=[{"type": "visit", "at": ago(7 * DAY)}])
    assert not holds("did visit within 7 days", activities=[{"type": "visit", "at": ago(7 * DAY + SECOND)}])
    assert holds("did visit within 36 hours", activities=[{"type": "visit", "at": ago(36 * 3600 * SECOND)}])


def test_no_within_means_all_history():
    body = 'stages { base }\nengagement { "V": +5 per visit }'
    decision = decide(body, activities=[{"type": "visit", "at": "1990-01-01"}])
    assert decision["engagement"] == 5.0


def test_decay_at_exactly_one_period():
    body = 'stages { base }\nengagement { "F": +40 per call\n decay 25% every 30 days }'
    assert decide(body, activities=[{"type": "call", "at": ago(30 * DAY)}])["engagement"] == 30.0
    assert decide(body, activities=[{"type": "call", "at": ago(30 * DAY - SECOND)}])["engagement"] == 40.0
    assert decide(body, activities=[{"type": "call", "at": ago(60 * DAY)}])["engagement"] == 22.5
    assert decide(body, activities=[{"type": "call", "at": ago(89 * DAY)}])["engagement"] == 22.5


def test_decay_applies_before_the_cap():
    # two calls: 40 (fresh) + 20 (one period) = 60, capped at 50
    body = 'stages { base }\nengagement { "F": +40 per call max 50\n decay 50% every 30 days }'
    decision = decide(body, activities=[{"type": "call", "at": ago(DAY)}, {"type": "call", "at": ago(31 * DAY)}])
    assert decision["engagement"] == 50.0
    one = decide(body, activities=[{"type": "call", "at": ago(31 * DAY)}, {"type": "call", "at": ago(61 * DAY)}])
    assert one["engagement"] == 30.0  # 20 + 10, under the cap


def test_full_decay_makes_no_hit():
    body = 'stages { base }\nengagement { "F": +40 per call\n decay 100% every 1 day }'
    decision = decide(body, activities=[{"type": "call", "at": ago(2 * DAY)}])
    assert decision["engagement"] == 0.0
    assert decision["hits"] == []
    fresh = decide(body, activities=[{"type": "call", "at": ago(SECOND)}])
    assert fresh["engagement"] == 40.0


def test_cap_on_a_negative_rule():
    body = 'stages { base }\nengagement { "Bad": -50 per call max 70 }'
    decision = decide(body, activities=[{"type": "call", "at": ago(DAY)}] * 3)
    assert decision["engagement"] == -70.0
    assert decision["hits"] == [{"section": "engagement", "rule": "Bad", "points": -70.0, "count": 3}]
    one = decide(body, activities=[{"type": "call", "at": ago(DAY)}])
    assert one["engagement"] == -50.0


def test_cap_on_a_positive_rule_and_count_before_cap():
    body = 'stages { base }\nengagement { "Good": +20 per visit where path = "/pricing" max 50 }'
    visits = [{"type": "visit", "at": ago(DAY), "path": "/pricing"}] * 4 + [{"type": "visit", "at": ago(DAY), "path": "/x"}]
    decision = decide(body, activities=visits)
    assert decision["hits"] == [{"section": "engagement", "rule": "Good", "points": 50.0, "count": 4}]


def test_count_is_before_the_cap():
    body = 'stages { base }\nengagement { "Tiny": +1 per call max 2 }'
    decision = decide(body, activities=[{"type": "call", "at": ago(DAY)}] * 5)
    assert decision["hits"] == [{"section": "engagement", "rule": "Tiny", "points": 2.0, "count": 5}]


def test_engagement_can_be_negative_and_sums_rules():
    body = 'stages { base }\nengagement { "Good": +5 per visit\n "Bad": -50 per call }'
    decision = decide(body, activities=[{"type": "visit", "at": ago(DAY)}, {"type": "call", "at": ago(DAY)}])
    assert decision["engagement"] == -45.0


def test_scores_are_exact_floats_summed_in_file_order():
    body = 'stages { base }\nengagement { "A": +0.1 per visit\n "B": +0.2 per visit\n "C": +0.3 per visit }'
    decision = decide(body, activities=[{"type": "visit", "at": ago(DAY)}])
    assert decision["engagement"] == (0.0 + 0.1) + 0.2 + 0.3  # 0.6000000000000001, not 0.6
    assert decision["engagement"] != 0.6
    fit = decide('stages { base }\nfit { "A": +0.1 when budget is missing\n "B": +0.2 when budget is missing\n'
                 ' "C": +0.3 when budget is missing }')
    assert fit["fit"] == 0.6000000000000001


def test_engagement_where_uses_properties_and_text_is_case_insensitive():
    body = 'stages { base }\nengagement { "Blog": +5 per visit where path starts with "/Blog" }'
    visits = [{"type": "visit", "at": ago(DAY), "path": "/BLOG/post"},
              {"type": "visit", "at": ago(DAY), "path": "/pricing"},
              {"type": "visit", "at": ago(DAY)}]
    decision = decide(body, activities=visits)
    assert decision["hits"] == [{"section": "engagement", "rule": "Blog", "points": 5.0, "count": 1}]


def test_no_engagement_or_fit_block_scores_zero_and_grade_missing():
    decision = decide("stages { base }", activities=[{"type": "visit", "at": ago(DAY)}])
    assert decision["engagement"] == 0.0 and isinstance(decision["engagement"], float)
    assert decision["fit"] == 0.0 and isinstance(decision["fit"], float)
    assert decision["grade"] is None
    assert decision["hits"] == []


def test_activities_after_as_of_are_ignored():
    body = 'stages { base\n passed when did call }\nengagement { "C": +10 per call }'
    future = [{"type": "call", "at": (AS_OF + SECOND).isoformat()}]
    decision = decide(body, activities=future)
    assert decision["engagement"] == 0.0
    assert decision["stage"] == "base"
    now = decide(body, activities=[{"type": "call", "at": AS_OF.isoformat()}])
    assert now["engagement"] == 10.0 and now["stage"] == "passed"


def test_undeclared_activity_types_are_ignored():
    body = 'stages { base\n passed when did activity }\nengagement { "C": +10 per call }'
    decision = decide(body, activities=[{"type": "tweet", "at": ago(DAY), "call": 3},
                                        {"type": "tweet", "at": "not a time"}])
    assert decision["engagement"] == 0.0
    assert decision["stage"] == "base"


def test_activity_types_match_case_insensitively():
    body = 'stages { base }\nengagement { "C": +10 per call }'
    assert decide(body, activities=[{"type": " CALL ", "at": ago(DAY)}])["engagement"] == 10.0


# ---------------------------------------------------------------- fit and grades (section 4)


def test_fit_groups_and_hits():
    body = """stages { base }
fit {
  who { "Senior": +25 when seniority >= director
        "Junior": -5 when seniority = ic }
  "Big": +15 when size >= 200
  "Zero": +0 when size >= 200
}"""
    decision = decide(body, {"seniority": "vp", "size": "800"})
    assert decision["fit"] == 40.0
    assert decision["hits"] == [
        {"section": "fit", "group": "who", "rule": "Senior", "points": 25.0},
        {"section": "fit", "group": None, "rule": "Big", "points": 15.0},
    ]
    assert list(decision["hits"][0]) == ["section", "group", "rule", "points"]


def test_hits_follow_file_order_when_fit_comes_first():
    body = """stages { base }
fit { "F": +1 when budget is missing }
engagement { "E": +2 per call }"""
    decision = decide(body, activities=[{"type": "call", "at": ago(DAY)}])
    assert [h["rule"] for h in decision["hits"]] == ["F", "E"]
    assert list(decision["hits"][1]) == ["section", "rule", "points", "count"]


GRADES = """stages { base }
fit { "F": +30 when budget >= 1 }
grades {
  A when fit >= 20
  B when fit >= 10
}"""


def test_grades_first_match_wins():
    assert decide(GRADES, {"budget": 5})["grade"] == "A"  # both bands hold; the first wins


def test_grades_no_match_is_missing():
    assert decide(GRADES, {})["grade"] is None


def test_grades_otherwise_catches_the_rest():
    body = GRADES.replace("B when fit >= 10", "B when fit >= 10\n  Z otherwise")
    assert decide(body, {})["grade"] == "Z"
    assert decide(body, {"budget": 1})["grade"] == "A"


def test_grade_in_conditions_missing_grade():
    body = GRADES
    policy = body.replace("stages { base }", "stages { base\n passed when grade != A }")
    assert decide(policy, {})["stage"] == "passed"  # grade missing: `!=` holds
    assert decide(policy, {"budget": 1})["stage"] == "base"
    member = body.replace("stages { base }", "stages { base\n passed when grade in (A, B) }")
    assert decide(member, {"budget": 1})["stage"] == "passed"
    assert decide(member, {})["stage"] == "base"


# ---------------------------------------------------------------- conditions (section 5)


def test_not_equal_and_not_in_with_missing_values_hold():
    assert holds("status != accepted", {})
    assert holds("status not in (open, accepted)", {})
    assert holds('email != "a@b.c"', {"email": "   "})  # blank text is missing
    assert not holds("status = accepted", {})
    assert not holds("status in (open, accepted)", {})
    assert not holds("status != accepted", {"status": "Accepted"})
    assert not holds("status not in (open, accepted)", {"status": "open"})
    assert holds("budget != 3", {})
    assert not holds("budget != 3", {"budget": 3})


def test_not_of_a_comparison_with_missing_is_true():
    assert holds("not (budget >= 1)", {})
    assert holds("not budget >= 1", {})  # `not` binds looser than the comparison
    assert not holds("budget < 1", {})
    assert not holds("budget >= 1", {})
    assert not holds("not (budget >= 1)", {"budget": 5})


def test_arithmetic_with_missing_is_missing():
    assert not holds("budget + 1 >= 0", {})
    assert not holds("budget * 0 = 0", {})
    assert not holds("-budget < 0", {})
    assert holds("(budget - 1) is missing", {})
    assert holds("not (budget * 2 < 10)", {})
    assert holds("budget * 2 - -size = 13", {"budget": 4, "size": 5})
    assert holds("budget - size * 2 = -6", {"budget": 4, "size": 5})  # `*` binds tighter
    assert fit_of("budget + size > 0", {"budget": 1}) == 0.0


def test_enum_ordering():
    assert holds("seniority >= director", {"seniority": "vp"})
    assert holds("seniority >= director", {"seniority": "Director"})
    assert not holds("seniority >= director", {"seniority": "manager"})
    assert not holds("seniority >= director", {})
    assert holds("seniority < manager", {"seniority": "ic"})
    assert holds('status = "Closed Won"', {"status": "closed won"})


def test_text_is_case_insensitive():
    fields = {"email": "  Pat@BIGCO.example "}
    assert holds('email ends with "@BigCo.Example"', fields)
    assert holds('email starts with "PAT@"', fields)
    assert holds('email contains "BIGco"', fields)
    assert holds('email = "pat@bigco.EXAMPLE"', fields)
    assert holds('email in ("x@y.z", "PAT@bigco.example")', fields)
    assert not holds('email not in ("PAT@bigco.example")', fields)
    assert not holds('email contains "rival"', fields)
    assert not holds('email contains "x"', {})


def test_boolean_field_alone():
    assert holds("active", {"active": "yes"})
    assert not holds("active", {"active": False})
    assert not holds("active", {})  # a missing boolean alone is false
    assert holds("not active", {})
    assert holds("active = false", {"active": 0})
    assert not holds("active = false", {})


def test_is_missing_and_is_present():
    assert holds("email is missing", {"email": ""})
    assert holds("email is present", {"email": "a"})
    assert not holds("budget is present", {"budget": " "})


def test_and_or_at_least():
    fields = {"budget": 10, "seniority": "vp"}
    assert holds("at least 2 of (budget >= 10, seniority = vp, size > 1)", fields)
    assert not holds("at least 3 of (budget >= 10, seniority = vp, size > 1)", fields)
    assert not holds("at least 2 of (budget >= 11, seniority = vp, size > 1)", fields)
    assert holds("budget >= 11 or seniority = vp and size is missing", fields)  # `and` binds tighter
    assert not holds("(budget >= 11 or seniority = vp) and size is present", fields)


def test_days_since():
    created = {"created": (AS_OF - 2 * DAY - 23 * 3600 * SECOND).isoformat()}  # 2 days 23 hours
    assert holds("days since created = 2", created)
    assert holds("days since created = 0", {"created": "2026-11-22"})
    assert holds("days since created = -1", {"created": "2026-11-22T12:00:00Z"})  # floor(-0.5)
    assert holds("days since created is missing", {})
    assert not holds("days since created >= 0", {})


def test_dates_compare_with_literals():
    assert holds("created >= 2026-11-01", {"created": "2026-11-01"})
    assert not holds("created > 2026-11-01", {"created": "2026-11-01"})
    assert holds("created > 2026-11-01", {"created": "2026-11-01T00:00:01Z"})
    assert holds("created < 2026-11-01T12:00:00Z", {"created": "2026-11-01T13:00:00+02:00"})


def test_did_at_least_n_times_within():
    cond = 'did form where name = "demo" at least 2 times within 7 days'
    two = [{"type": "form", "at": ago(DAY), "name": "Demo"}, {"type": "form", "at": ago(7 * DAY), "name": "demo"}]
    assert holds(cond, activities=two)
    one_out = [two[0], {"type": "form", "at": ago(8 * DAY), "name": "demo"}]
    assert not holds(cond, activities=one_out)
    other = [two[0], {"type": "form", "at": ago(DAY), "name": "ebook"}]
    assert not holds(cond, activities=other)
    assert holds("did call at least 3 times", activities=[{"type": "call", "at": "2000-01-01"}] * 3)
    assert not holds("did call at least 3 times", activities=[{"type": "call", "at": "2000-01-01"}] * 2)


def test_did_where_extends_over_or():
    cond = 'did form where name = "demo" or score >= 5'
    assert holds(cond, activities=[{"type": "form", "at": ago(DAY), "name": "x", "score": 9}])
    assert not holds(cond, {"budget": 9}, activities=[{"type": "form", "at": ago(DAY), "name": "x"}])


def test_no_activity_within():
    cond = "no activity within 30 days"
    assert holds(cond)
    assert holds(cond, activities=[{"type": "call", "at": ago(30 * DAY + SECOND)}])
    assert not holds(cond, activities=[{"type": "call", "at": ago(30 * DAY)}])
    assert not holds(cond, activities=[{"type": "visit", "at": ago(DAY), "path": "/"}])
    assert holds(cond, activities=[{"type": "tweet", "at": ago(DAY)}])  # undeclared: ignored
    assert holds(cond, activities=[{"type": "call", "at": (AS_OF + DAY).isoformat()}])  # future: ignored


def test_did_activity_counts_every_declared_type():
    mixed = [{"type": "call", "at": ago(DAY)}, {"type": "visit", "at": ago(2 * DAY), "path": "/"},
             {"type": "tweet", "at": ago(DAY)}]
    assert holds("did activity at least 2 times within 7 days", activities=mixed)
    assert not holds("did activity at least 3 times within 7 days", activities=mixed)


def test_no_with_where():
    cond = 'no form where name = "demo" within 14 days'
    assert holds(cond, activities=[{"type": "form", "at": ago(DAY), "name": "ebook"}])
    assert not holds(cond, activities=[{"type": "form", "at": ago(DAY), "name": "demo"}])


# ---------------------------------------------------------------- deciding the stage (section 6)

FUNNEL = """
stages {
  lead
  mql  when budget >= 10
  sql  when mql and size >= 100
}
demote {
  "Cooled":   sql -> mql when no activity within 30 days
  "Gone":     mql -> lead when budget is missing
}
disqualify {
  "Rival":    when email ends with "@rival.example"
  "Inactive": when active = false
}
"""


def test_promoted_and_new():
    fresh = decide(FUNNEL, {"budget": 10})
    assert (fresh["stage"], fresh["change"]) == ("mql", "new")
    up = decide(FUNNEL, {"budget": 10, "size": 100}, previous_stage="mql")
    assert (up["stage"], up["change"]) == ("sql", "promoted")
    assert up["reason"] == {"kind": "qualified", "stage": "sql", "rule": None}


def test_stages_are_not_cumulative():
    body = "stages { lead\n mql when budget >= 10\n sql when size >= 100 }"
    assert decide(body, {"size": 100})["stage"] == "sql"  # mql does not hold; sql does


def test_stage_held_when_no_demotion_fires():
    # qualified stage is lead; previous sql; "Cooled" does not fire (recent call)
    decision = decide(FUNNEL, {}, [{"type": "call", "at": ago(DAY)}], previous_stage="sql")
    assert decision["stage"] == "sql"
    assert decision["change"] == "unchanged"
    assert decision["reason"] == {"kind": "held", "stage": "sql", "rule": None}


def test_demotion_chain_names_last_rule():
    decision = decide(FUNNEL, {}, previous_stage="SQL ")
    assert decision["previous_stage"] == "sql"
    assert decision["stage"] == "lead"
    assert decision["change"] == "demoted"
    assert decision["reason"] == {"kind": "demoted", "stage": "lead", "rule": "Gone"}


def test_demotion_stops_at_a_stage_whose_rules_do_not_fire():
    decision = decide(FUNNEL, {"budget": 1}, previous_stage="sql")  # "Gone" does not fire
    assert decision["stage"] == "mql"
    assert decision["reason"] == {"kind": "demoted", "stage": "mql", "rule": "Cooled"}


def test_demotion_target_is_raised_to_the_qualified_stage():
    body = """
stages { lead
  mql when budget >= 10
  sql when size >= 100 and budget >= 10 }
demote { "Drop": sql -> lead when no activity within 30 days }
"""
    decision = decide(body, {"budget": 10}, previous_stage="sql")
    assert decision["stage"] == "mql"
    assert decision["change"] == "demoted"
    assert decision["reason"] == {"kind": "demoted", "stage": "mql", "rule": "Drop"}


def test_first_demotion_rule_in_file_order_wins():
    body = """
stages { lead
  mql when budget >= 10
  sql when size >= 100 }
demote {
  "First":  sql -> mql when budget is missing
  "Second": sql -> lead when budget is missing
}
"""
    decision = decide(body, {}, previous_stage="sql")
    # "First" moves sql -> mql; no rule starts at mql, so it stops there
    assert decision["stage"] == "mql"
    assert decision["reason"] == {"kind": "demoted", "stage": "mql", "rule": "First"}


def test_disqualified_first_rule_in_file_order():
    decision = decide(FUNNEL, {"email": "x@Rival.example", "active": "no", "budget": 10}, previous_stage="mql")
    assert decision["stage"] == "disqualified"
    assert decision["change"] == "disqualified"
    assert decision["reason"] == {"kind": "disqualified", "stage": "disqualified", "rule": "Rival"}
    assert decision["fit"] == 0.0


def test_disqualified_stays_unchanged():
    decision = decide(FUNNEL, {"active": False}, previous_stage="disqualified")
    assert decision["stage"] == "disqualified"
    assert decision["change"] == "unchanged"
    assert decision["reason"] == {"kind": "disqualified", "stage": "disqualified", "rule": "Inactive"}


def test_requalified():
    decision = decide(FUNNEL, {"active": True, "budget": 10}, previous_stage="disqualified")
    assert decision["stage"] == "mql"
    assert decision["change"] == "requalified"
    assert decision["reason"] == {"kind": "qualified", "stage": "mql", "rule": None}


def test_requalified_even_to_the_first_stage():
    decision = decide(FUNNEL, {}, previous_stage="Disqualified")
    assert (decision["stage"], decision["change"]) == ("lead", "requalified")


def test_blank_previous_stage_is_none():
    decision = decide(FUNNEL, {}, previous_stage="  ")
    assert decision["previous_stage"] is None
    assert decision["change"] == "new"


def test_undeclared_previous_stage_is_a_data_error():
    with pytest.raises(LeadDataError) as info:
        decide(FUNNEL, {}, previous_stage="opportunity", lead_id="L-7")
    assert info.value.field == "previous_stage"
    assert info.value.lead_id == "L-7"


def test_unreadable_field_is_a_data_error():
    with pytest.raises(LeadDataError) as info:
        decide(FUNNEL, {"budget": "lots"}, lead_id="L-1")
    assert info.value.field == "budget"
    assert info.value.value == "lots"
    assert "L-1" in str(info.value)
    with pytest.raises(LeadDataError):
        decide(FUNNEL, {"seniority": "intern"})


def test_activity_data_errors_even_after_as_of():
    with pytest.raises(LeadDataError) as info:
        decide(FUNNEL, {}, [{"type": "form", "at": (AS_OF + DAY).isoformat(), "score": "high"}])
    assert info.value.field == "form.score"
    with pytest.raises(LeadDataError):
        decide(FUNNEL, {}, [{"type": "call"}])  # no `at`


def test_stage_conditions_may_use_scores_grades_and_lower_stages():
    body = """
stages { lead
  mql when engagement + fit >= 30
  sql when mql and grade = A }
engagement { "C": +20 per call }
fit { "B": +10 when budget >= 1 }
grades { A when engagement >= 40
         B otherwise }
"""
    calls = [{"type": "call", "at": ago(DAY)}]
    assert decide(body, {"budget": 1}, calls)["stage"] == "mql"
    assert decide(body, {"budget": 1}, calls * 2)["stage"] == "sql"
    assert decide(body, {}, calls)["stage"] == "lead"


def test_demote_and_disqualify_may_use_stage_names():
    body = """
stages { lead
  mql when budget >= 10
  sql when size >= 100 }
demote { "Not sql": sql -> mql when not sql }
disqualify { "Odd": when sql and not mql }
"""
    assert decide(body, {"budget": 10}, previous_stage="sql")["reason"]["rule"] == "Not sql"
    odd = decide(body, {"size": 100})
    assert odd["reason"] == {"kind": "disqualified", "stage": "disqualified", "rule": "Odd"}


def test_as_of_defaults_to_now():
    decision = evaluate(load(DECLARATIONS + 'stages { base }\nengagement { "C": +1 per call within 1 hour }'),
                        {}, [{"type": "call", "at": datetime.datetime.now(UTC).isoformat()}])
    assert decision["engagement"] == 1.0


def test_as_of_accepts_timestamps_with_zones():
    body = 'stages { base }\nengagement { "C": +1 per call within 1 hour }'
    at = [{"type": "call", "at": "2026-11-22T09:30:00Z"}]
    assert decide(body, {}, at, as_of="2026-11-22T12:30:00+02:00")["engagement"] == 1.0  # exactly 1 hour
    assert decide(body, {}, at, as_of="2026-11-22T12:30:01+02:00")["engagement"] == 0.0
