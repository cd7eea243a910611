"""Self-check for benchmarks/handwritten_acme.py.

Runs the two tests of docs/language-reference.md section 1 and hand-worked edge cases.
Usage: python benchmarks/check_handwritten.py   (exit status 1 on any failure)
"""

from __future__ import annotations

import sys
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from handwritten_acme import LeadDataError, evaluate  # noqa: E402

AS_OF = datetime(2026, 11, 22, tzinfo=timezone.utc)
GOOD_FIT = {"seniority": "vp", "industry": "saas", "company_size": 800, "sales_status": "open"}  # fit 60


def ago(days=0, seconds=0, microseconds=0):
    """An ISO timestamp `days` (plus seconds, microseconds) before AS_OF."""
    t = AS_OF - timedelta(days=days, seconds=seconds, microseconds=microseconds)
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def act(type_, when, **props):
    return {"type": type_, "at": when, **props}


def hit(decision, rule):
    for h in decision["hits"]:
        if h["rule"] == rule:
            return h
    return None


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def expect_error(field, fields=None, activities=(), previous_stage=None):
    try:
        evaluate(fields or {}, activities, AS_OF, previous_stage, lead_id="L-err")
    except LeadDataError as e:
        assert e.field == field, (e.field, field, str(e))
        assert e.lead_id == "L-err" and "L-err" in str(e), str(e)
        return e
    raise AssertionError(f"expected a data error on {field}")


# -- section 1 ----------------------------------------------------------------

@check
def section1_test1_vp_demo_is_sql():
    d = evaluate(
        {"email": "pat@bigco.example", "seniority": "vp", "company_size": 800,
         "industry": "saas", "sales_status": "open", "is_customer": False},
        [act("form_submit", ago(2), form="demo")] + [act("page_view", ago(5), path="/pricing")] * 3,
        "2026-11-22",
    )
    assert d["stage"] == "sql" and d["change"] == "new", d
    assert d["fit"] == 60.0 and d["engagement"] == 160.0 and d["grade"] == "B", d
    assert hit(d, "Requested a demo") and not hit(d, "Unsubscribed"), d
    assert d["reason"] == {"kind": "qualified", "stage": "sql", "rule": None}, d
    assert d["previous_stage"] is None
    assert d["policy"] == "Acme Cloud handoff" and d["version"] == "2026.11.1"
    assert d["hits"] == [
        {"section": "engagement", "rule": "Visited pricing", "points": 60.0, "count": 3},
        {"section": "engagement", "rule": "Requested a demo", "points": 100.0, "count": 1},
        {"section": "fit", "group": "authority", "rule": "Decision maker", "points": 25.0},
        {"section": "fit", "group": "need", "rule": "Target industry", "points": 20.0},
        {"section": "fit", "group": "need", "rule": "Mid-market or larger", "points": 15.0},
    ], d["hits"]
    assert list(d) == ["policy", "version", "stage", "previous_stage", "change",
                       "engagement", "fit", "grade", "reason", "hits"]


@check
def section1_test2_quiet_sql_falls_back():
    d = evaluate(
        {"seniority": "vp", "industry": "saas", "company_size": 800, "sales_status": "open"},
        [act("webinar", ago(40), title="ROI", minutes=45)] + [act("page_view", ago(31), path="/pricing")] * 3,
        "2026-11-22", previous_stage="sql",
    )
    assert d["stage"] == "lead" and d["change"] == "demoted", d
    assert d["reason"] == {"kind": "demoted", "stage": "lead", "rule": "Engagement faded"}, d
    assert d["engagement"] == 15.0 and d["fit"] == 60.0 and d["previous_stage"] == "sql", d


# -- windows and decay ----------------------------------------------------------

@check
def window_boundary_is_inclusive():
    # Exactly 30 days old: inside "within 30 days", and one whole decay period old.
    d = evaluate({}, [act("page_view", ago(30), path="/pricing")], AS_OF)
    assert hit(d, "Visited pricing") == {"section": "engagement", "rule": "Visited pricing",
                                         "points": 10.0, "count": 1}, d
    # One microsecond older: outside.
    d = evaluate({}, [act("page_view", ago(30, microseconds=1), path="/pricing")], AS_OF)
    assert hit(d, "Visited pricing") is None and d["engagement"] == 0.0, d
    # Exactly as_of counts; one second after as_of never counts.
    d = evaluate({}, [act("page_view", ago(0), path="/blog/x"),
                      act("page_view", ago(0, seconds=-1), path="/blog/y")], AS_OF)
    assert hit(d, "Read a blog post")["count"] == 1 and d["engagement"] == 5.0, d


@check
def decay_steps_at_whole_periods():
    cases = [(30, 0, 15.0), (29, 86399, 30.0), (60, 0, 7.5), (59, 86399, 15.0), (0, 0, 30.0)]
    for days, seconds, points in cases:
        d = evaluate({}, [act("webinar", ago(days, seconds), minutes=20)], AS_OF)
        assert d["engagement"] == points, (days, seconds, d)
    # 90 days exactly: blog post still inside its window, three periods old.
    d = evaluate({}, [act("page_view", ago(90), path="/BLOG/post ")], AS_OF)
    assert d["engagement"] == 5.0 * 0.125, d


@check
def caps_apply_after_decay():
    # Two demos 31 days ago: 50 + 50 = 100, not above the cap; three: capped.
    d = evaluate({}, [act("form_submit", ago(31), form="demo")] * 3, AS_OF)
    assert hit(d, "Requested a demo") == {"section": "engagement", "rule": "Requested a demo",
                                          "points": 100.0, "count": 3}, d
    # Blog posts: 11 recent ones would be 55, capped at 50; count is before the cap.
    d = evaluate({}, [act("page_view", ago(1), path="/blog")] * 11, AS_OF)
    assert hit(d, "Read a blog post")["points"] == 50.0 and hit(d, "Read a blog post")["count"] == 11


@check
def negative_rule_capped_in_magnitude():
    d = evaluate({}, [act("unsubscribe", ago(1)), act("Unsubscribe", ago(2))], AS_OF)
    assert hit(d, "Unsubscribed") == {"section": "engagement", "rule": "Unsubscribed",
                                      "points": -50.0, "count": 2}, d
    assert d["engagement"] == -50.0
    d = evaluate({}, [act("unsubscribe", ago(40))], AS_OF)
    assert d["engagement"] == -25.0, d


# -- conditions ------------------------------------------------------------------

@check
def missing_status_makes_not_equal_true():
    # Demo 40 days ago: 100 * 0.5 = 50 -> qualified lead (50 < 60), no activity in 30 days.
    acts = [act("form_submit", ago(40), form="demo")]
    fields = {"seniority": "vp", "industry": "saas", "company_size": 800}
    d = evaluate(fields, acts, AS_OF, previous_stage="SQL")
    # sales_status missing: "!= accepted" holds, Went quiet fires; 50 >= 30 so it stops at mql.
    assert (d["stage"], d["change"], d["reason"]["rule"]) == ("mql", "demoted", "Went quiet"), d
    d = evaluate({**fields, "sales_status": "  Accepted "}, acts, AS_OF, previous_stage="sql")
    assert (d["stage"], d["change"], d["reason"]) == (
        "sql", "unchanged", {"kind": "held", "stage": "sql", "rule": None}), d


@check
def demotion_raised_to_qualified_stage():
    # engagement 50 + 15 = 65, fit 60 -> mql qualifies; previous sql, quiet -> mql
    acts = [act("form_submit", ago(40), form="demo"), act("webinar", ago(31), minutes="45")]
    d = evaluate(GOOD_FIT, acts, AS_OF, previous_stage="sql")
    assert d["engagement"] == 65.0, d
    assert (d["stage"], d["change"], d["reason"]["kind"], d["reason"]["rule"]) == (
        "mql", "demoted", "demoted", "Went quiet"), d
    # a chat 30 days ago is activity within 30 days: held at sql
    d = evaluate(GOOD_FIT, acts + [act("CHAT", ago(30))], AS_OF, previous_stage="sql")
    assert (d["stage"], d["reason"]["kind"]) == ("sql", "held"), d
    # undeclared types are not activity
    d = evaluate(GOOD_FIT, acts + [act("sms_reply", ago(1))], AS_OF, previous_stage="sql")
    assert d["stage"] == "mql", d


@check
def at_least_three_of_four():
    base = {"budget": "10000", "seniority": " VP ", "industry": "SaaS"}
    d = evaluate(base, [], AS_OF)
    assert hit(d, "Three of four BANT signals") and d["fit"] == 80.0 and d["grade"] == "A", d
    d = evaluate({**base, "industry": "retail"}, [], AS_OF)
    assert not hit(d, "Three of four BANT signals") and d["fit"] == 50.0, d
    d = evaluate({**base, "industry": None, "timeline_days": " 90 "}, [], AS_OF)
    assert hit(d, "Three of four BANT signals") and hit(d, "Buying this quarter"), d
    assert d["hits"][-1]["group"] is None


@check
def demo_within_14_days_boundary():
    fields = {**GOOD_FIT, "email": " Pat@BigCo.example "}
    pricing = [act("page_view", ago(1), path="/pricing")] * 3
    d = evaluate(fields, pricing + [act("form_submit", ago(14), form="Demo")], AS_OF)
    assert d["stage"] == "sql", d
    d = evaluate(fields, pricing + [act("form_submit", ago(14, seconds=1), form="demo")], AS_OF)
    assert d["stage"] == "mql" and d["engagement"] == 160.0, d


@check
def disqualification_order_and_change():
    d = evaluate({"email": "x@Rival.Example", "is_customer": "yes"}, [], AS_OF, "mql")
    assert d["reason"] == {"kind": "disqualified", "stage": "disqualified", "rule": "Competitor"}, d
    assert d["change"] == "disqualified"
    d = evaluate({"is_customer": 1, "sales_status": "DISQUALIFIED"}, [], AS_OF)
    assert d["reason"]["rule"] == "Already a customer" and d["change"] == "new", d
    d = evaluate({"is_customer": "No", "sales_status": "disqualified"}, [], AS_OF, " Disqualified ")
    assert d["reason"]["rule"] == "Ruled out by sales" and d["change"] == "unchanged", d
    d = evaluate({"is_customer": 0}, [], AS_OF, "disqualified")
    assert (d["stage"], d["change"], d["reason"]["kind"]) == ("lead", "requalified", "qualified"), d
    d = evaluate(GOOD_FIT, [act("page_view", ago(1), path="/pricing")] * 3, AS_OF, "lead")
    assert (d["stage"], d["change"]) == ("mql", "promoted"), d


@check
def free_email_and_text_reading():
    d = evaluate({"email": "  Pat@GMAIL.com "}, [], AS_OF)
    assert hit(d, "Free email address")["points"] == -30.0 and d["fit"] == -30.0 and d["grade"] == "D"
    d = evaluate({"email": "   "}, [], AS_OF)  # blank is missing
    assert d["hits"] == [] and d["fit"] == 0.0
    d = evaluate({"email": 12345, "company_size": " 2.5e3 ", "is_customer": "false"}, [], AS_OF)
    assert hit(d, "Mid-market or larger") and d["stage"] == "lead", d


@check
def activities_after_as_of_checked_then_ignored():
    future = ago(0, seconds=-3600)
    d = evaluate({}, [act("form_submit", future, form="demo"), act("Page_View", ago(2), path="/pricing")], AS_OF)
    assert d["engagement"] == 20.0 and not hit(d, "Requested a demo"), d
    expect_error("activities[0].minutes", activities=[act("webinar", future, minutes="twenty")])
    # undeclared types are ignored whatever they hold; declared ones in any case count
    d = evaluate({}, [{"type": "sms_reply", "at": "garbage"}, {"type": " WEBINAR ", "at": ago(1), "minutes": 30,
                                                            "extra": [1, 2]}], AS_OF)
    assert d["engagement"] == 30.0


@check
def timestamps_and_as_of_forms():
    a = [act("page_view", "2026-11-22T01:00:00+02:00", path="/pricing")]  # 2026-11-21T23:00Z
    assert evaluate({}, a, "2026-11-22")["engagement"] == 20.0
    assert evaluate({}, a, "2026-11-21T22:59:59Z")["engagement"] == 0.0  # after as_of
    assert evaluate({}, a, datetime(2026, 11, 22))["engagement"] == 20.0   # naive = UTC
    assert evaluate({}, [act("chat", "2026-11-20")], "2026-11-22T00:00:00Z")["stage"] == "lead"
    assert evaluate({}, [act("page_view", datetime(2026, 11, 21), path="/pricing")], AS_OF)["engagement"] == 20.0
    assert evaluate({"created": "2025-01-31"}, [], None)["stage"] == "lead"  # as_of now


@check
def data_errors_are_raised():
    expect_error("budget", {"budget": "lots"})
    expect_error("budget", {"budget": "1,000"})
    expect_error("budget", {"budget": "nan"})
    expect_error("budget", {"budget": True})
    expect_error("company_size", {"company_size": "1e999"})
    expect_error("seniority", {"seniority": "intern"})
    expect_error("industry", {"industry": 3})
    expect_error("is_customer", {"is_customer": "maybe"})
    expect_error("is_customer", {"is_customer": 2})
    expect_error("email", {"email": 1.5})
    expect_error("created", {"created": "yesterday"})
    expect_error("stage", previous_stage="won")
    expect_error("activities[1].at", activities=[act("chat", ago(1)), {"type": "chat"}])
    expect_error("activities[0].at", activities=[{"type": "chat", "at": "  "}])
    expect_error("activities[0].at", activities=[{"type": "chat", "at": "2026-13-01T00:00:00Z"}])
    expect_error("activities[0].type", activities=[{"at": ago(1)}])
    expect_error("activities[0].type", activities=[{"type": " ", "at": ago(1)}])
    expect_error("activities[0].path", activities=[act("page_view", ago(1), path=["/blog"])])
    e = expect_error("budget", {"budget": "lots"})
    assert e.value == "lots" and "lots" in str(e) and isinstance(e, ValueError)
    # blank values are missing, not errors
    d = evaluate({"budget": " ", "seniority": "", "is_customer": " ", "created": ""}, [], AS_OF, " ")
    assert d["fit"] == 0.0 and d["previous_stage"] is None and d["change"] == "new"


@check
def hits_in_file_order_with_groups():
    acts = [act("unsubscribe", ago(3)), act("form_submit", ago(3), form="demo"),
            act("webinar", ago(3), minutes=20.5), act("form_submit", ago(3), form="ebook"),
            act("page_view", ago(3), path="/pricing"), act("page_view", ago(3), path="/blog/a")]
    fields = {"budget": 2.5e4, "seniority": "Manager", "industry": "fintech", "company_size": "200",
              "timeline_days": 14, "email": "a@yahoo.com"}
    d = evaluate(fields, acts, AS_OF)
    assert [(h["section"], h.get("group"), h["rule"]) for h in d["hits"]] == [
        ("engagement", None, "Read a blog post"), ("engagement", None, "Visited pricing"),
        ("engagement", None, "Downloaded an e-book"), ("engagement", None, "Attended a webinar"),
        ("engagement", None, "Requested a demo"), ("engagement", None, "Unsubscribed"),
        ("fit", "budget", "Budget of $10k or more"), ("fit", "authority", "Influencer"),
        ("fit", "need", "Target industry"), ("fit", "need", "Mid-market or larger"),
        ("fit", "timeline", "Buying this quarter"), ("fit", None, "Free email address"),
        ("fit", None, "Three of four BANT signals")], d["hits"]
    assert d["engagement"] == 5 + 20 + 15 + 30 + 100 - 50 and d["fit"] == 25 + 10 + 20 + 15 + 15 - 30 + 10, d
    assert all(type(h["points"]) is float for h in d["hits"]) and type(d["fit"]) is float


@check
def unbounded_windows_decay_far_back():
    d = evaluate({}, [act("form_submit", ago(3000), form="ebook")], AS_OF)  # 100 periods
    assert hit(d, "Downloaded an e-book")["points"] == 15.0 * 0.5 ** 100, d
    d = evaluate({}, [act("webinar", ago(20), minutes="19.99"), act("webinar", ago(20))], AS_OF)
    assert d["engagement"] == 0.0 and d["hits"] == [], d


def main():
    failed = 0
    for fn in CHECKS:
        try:
            fn()
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}")
            traceback.print_exc()
        else:
            print(f"ok   {fn.__name__}")
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
