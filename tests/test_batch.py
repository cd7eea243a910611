"""`Policy.evaluate_many` and the compiled module's batch entry, `_decide_many` (issue 15 item 3).

The batch runs `_decide`'s body in a loop over the leads, with memo tables the
leads share (activity type spellings, activity texts, enum, number and boolean
texts). Whatever it remembers, each lead's outcome must be exactly what
`evaluate` gives for that lead alone at the same as_of: decisions, data errors
(in place), with `as_dicts` or Decision objects, with the memo tables full, and
for a module without the batch entry (a very long policy).
"""

from __future__ import annotations

import ast
import itertools
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from support.leadgen import leads_for, policy_texts
from support.policygen import examples

import leadpolicy
from leadpolicy.backends.python import compiler

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
AS_OF = "2026-11-22T00:00:00Z"


def _workload() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("workload", ROOT / "benchmarks" / "workload.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_by_one(policy: leadpolicy.Policy, leads: list[Any], as_of: Any) -> list[Any]:
    """What `evaluate` says of each lead alone: its decision dict, or its error row."""
    from leadpolicy.semantics.runtime import split_lead

    out = []
    for index, lead in enumerate(leads):
        try:
            lead_id, fields, activities, previous = split_lead(lead, index)
            out.append(policy.evaluate(fields, activities or (), as_of, previous, lead_id).to_dict())
        except leadpolicy.LeadDataError as error:
            out.append(("error", json.dumps(error.to_dict(), ensure_ascii=False)))
    return out


def batch(policy: leadpolicy.Policy, leads: list[Any], as_of: Any, as_dicts: bool) -> list[Any]:
    out = []
    for result in policy.evaluate_many(leads, as_of, as_dicts=as_dicts):
        if isinstance(result, leadpolicy.LeadDataError):
            out.append(("error", json.dumps(result.to_dict(), ensure_ascii=False)))
        elif as_dicts:
            assert isinstance(result, dict)
            out.append(result)
        else:
            assert isinstance(result, leadpolicy.Decision)
            out.append(result.to_dict())
    return out


def same(got: list[Any], wanted: list[Any]) -> None:
    """Equal, to the last bit of every float (the JSON text) and the key order."""
    assert len(got) == len(wanted)
    for number, (a, b) in enumerate(zip(got, wanted), 1):
        assert json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False), f"lead #{number}"


@contextmanager
def memo_size(policy: leadpolicy.Policy, size: int) -> Iterator[None]:
    """The batch's memo tables bounded at `size` entries (the module is shared: restored after)."""
    module = policy.module
    saved = module._MEMO_SIZE
    module._MEMO_SIZE = size
    try:
        yield
    finally:
        module._MEMO_SIZE = saved


@pytest.fixture(scope="module")
def acme() -> leadpolicy.Policy:
    return leadpolicy.load(ACME)


@pytest.fixture(scope="module")
def messy_leads() -> list[Any]:
    workload = _workload()
    return json.loads(json.dumps(workload.generate_leads(600, seed=11, messy=True, error_rate=0.03)))


# ---------------------------------------------------------------- the same outcomes


@pytest.mark.parametrize("as_dicts", [False, True])
@pytest.mark.parametrize("size", [4096, 0, 3])
def test_acme_messy_batch_equals_evaluate_one_by_one(acme, messy_leads, as_dicts, size) -> None:
    """The messy workload (padded and re-cased values, undeclared types, timestamps of
    every spelling, 3% data errors) twice over, so that the second time every text is
    one the batch has met: the same outcomes as one by one, whatever the memo bound."""
    leads = messy_leads + messy_leads[::-1]
    wanted = one_by_one(acme, leads, AS_OF)
    assert any(isinstance(w, tuple) for w in wanted) and any(isinstance(w, dict) for w in wanted)
    with memo_size(acme, size):
        same(batch(acme, leads, AS_OF, as_dicts), wanted)


def test_texts_that_fail_are_not_remembered_and_spellings_are(acme) -> None:
    """A text that is an error for one lead is an error again for the next; the
    spellings the batch learns give the members' answers; a str subclass and
    numbers, booleans and types in every spelling read as they do alone."""

    class Text(str):
        pass

    leads: list[Any] = []
    for _ in range(2):
        leads += [
            {"id": "bad-enum", "fields": {"seniority": "VIP"}},
            {"id": "enum", "fields": {"seniority": " VP ", "industry": "SaaS", "sales_status": Text(" Accepted ")}},
            {"id": "blank", "fields": {"seniority": "  ", "budget": " ", "is_customer": ""}},
            {"id": "bad-number", "fields": {"budget": "12k"}},
            {"id": "number", "fields": {"budget": " 25000 ", "company_size": "1e3", "timeline_days": Text("30")}},
            {"id": "bool", "fields": {"is_customer": " Yes ", "email": "A@Rival.Example "}},
            {"id": "bad-bool", "fields": {"is_customer": "maybe"}},
            {"id": "types", "activities": [
                {"type": " Form_Submit ", "at": "2026-11-20T09:00:00Z", "form": " DEMO "},
                {"type": "email_open", "at": "not a time"},  # undeclared: ignored, whatever it holds
                {"type": "Page_View", "at": "2026-11-21 10:00", "path": Text("/Pricing")},
                {"type": "page_view", "at": "2026-11-21T10:00:00Z", "path": "  "},
                {"type": "WEBINAR", "at": "2026-11-19T10:00:00+01:00", "minutes": "45", "title": 7}]},
            {"id": "bad-type", "activities": [{"type": "  ", "at": "2026-11-20T09:00:00Z"}]},
            {"id": "bad-text", "activities": [{"type": "page_view", "at": "2026-11-20T09:00:00Z", "path": ["/"]}]},
            {"id": "bad-minutes", "activities": [{"type": "webinar", "at": "2026-11-20T09:00:00Z", "minutes": "45"},
                                                 {"type": "webinar", "at": "2026-11-20T09:00:00Z", "minutes": "lots"}]},
        ]
    wanted = one_by_one(acme, leads, AS_OF)
    for size in (4096, 1):
        with memo_size(acme, size):
            for as_dicts in (False, True):
                same(batch(acme, leads, AS_OF, as_dicts), wanted)
    errors = [w for w in wanted if isinstance(w, tuple)]
    assert len(errors) == 2 * 6


def test_times_with_a_tail_met_before_read_as_alone(acme) -> None:
    """Once the batch has met a tail (what follows the seconds) in a time the pattern
    accepted, a time with the commonest head and that tail skips the pattern: every
    head, good or bad, must still give what the time gives alone."""
    tails = [".5+01:00", "+05:30", ".123456789Z", " -0800", "+02", ".25 Z", "Z", "", ".5z", "+24:00", ".1234567890Z"]
    heads = ["2026-11-20T09:00:00", "2026-11-20t09:00:00", "2026-11-20 09:00:00", "2026-13-20T09:00:00",
             "2026-02-30T09:00:00", "2026-11-20T24:00:00", "2026-11-20T23:60:00", "2026-11-20T23:59:60",
             "2026-1a-20T09:00:00", "2026-11-20T0a:00:00", "\uff12026-11-20T09:00:00", "2026-11-20T09:00:0\u0669",
             "2026/11/20T09:00:00", "2026-11-20X09:00:00", "2026-11-20T-9:00:00", "2026-11-20T09:00:00 ",
             "2026-11-23T09:00:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"]
    leads = [{"id": f"{head}|{tail}", "activities": [
        {"type": "form_submit", "at": "2026-11-20T09:00:00" + tail, "form": "demo"},  # the tail, first with a good head
        {"type": "page_view", "at": head + tail, "path": "/pricing"}]}
        for tail in tails for head in heads]
    wanted = one_by_one(acme, leads, AS_OF)
    assert 50 < sum(isinstance(w, tuple) for w in wanted) < len(wanted) - 50
    same(batch(acme, leads, AS_OF, True), wanted)
    with memo_size(acme, 0):
        same(batch(acme, leads, AS_OF, True), wanted)


def test_times_in_every_zone_at_the_window_edges_read_as_alone(acme) -> None:
    """The batch reads a time with a zone (or a lower-case `z`, or padded) in UTC, the
    zone's offset remembered by its tail: the same instant, to the microsecond, as the
    time alone gives, at the very edges of the windows (14, 30 and 90 days before as_of,
    as_of itself, and the decay periods), where one microsecond changes the decision."""
    from datetime import datetime, timedelta, timezone

    as_of = datetime(2026, 11, 22, tzinfo=timezone.utc)
    edges = [as_of - timedelta(days=days) + timedelta(microseconds=shift)
             for days in (0, 14, 30, 60, 90, 400) for shift in (-1000, -1, 0, 1, 1000)]
    zones = [timezone(timedelta(hours=hours, minutes=minutes))
             for hours, minutes in ((0, 0), (5, 30), (-8, 0), (9, 0), (-3, -30), (14, 0), (-12, 0))]
    spellings = [lambda t: t.isoformat(), lambda t: t.isoformat(timespec="milliseconds"),
                 lambda t: t.isoformat(sep=" ").replace("+", " +").replace(" -", " -"),
                 lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f%z"), lambda t: t.strftime("%Y-%m-%dt%H:%M:%S%z"),
                 lambda t: " " + t.isoformat() + " "]
    leads = []
    for number, edge in enumerate(edges):
        activities = []
        for zone in zones:
            for spell in spellings:
                local = edge.astimezone(zone)
                activities += [{"type": "page_view", "at": spell(local), "path": "/pricing"},
                               {"type": "form_submit", "at": spell(local), "form": "demo"}]
        activities.append({"type": "unsubscribe", "at": edge.strftime("%Y-%m-%dt%H:%M:%S.%fz")})
        leads += [{"id": number, "activities": activities, "stage": "sql"},
                  {"id": f"{number}-one", "activities": activities[number % len(activities):][:3], "stage": "sql"}]
    wanted = one_by_one(acme, leads, as_of)
    assert len({json.dumps(w) for w in wanted}) > 10  # the edges make a difference
    for size in (4096, 2, 0):
        with memo_size(acme, size):
            same(batch(acme, leads, as_of, False), wanted)


def test_times_whose_utc_instant_is_beyond_the_datetime_range_read_as_alone(acme) -> None:
    """Year 1 east of Greenwich, year 9999 west of it: fromisoformat reads them, their
    instant in UTC is beyond datetime's range. The batch (which reads times in UTC)
    then leaves the lead to the runtime's reader, which gives what the time alone gives."""
    times = ["0001-01-01T00:00:00+05:30", "0001-01-01T00:00:00.5-05:30", "9999-12-31T23:59:59-08:00",
             "9999-12-31T23:59:59.999999-00:01", "0001-01-01T00:00:00z", "0001-01-01t00:00:00.000001+00:01",
             " 0001-01-01T00:30:00+01:00 "]
    leads = [{"id": text, "stage": "sql", "activities": [
        {"type": "chat", "at": "2026-11-20T09:00:00" + text.strip()[19:]},  # the tail, first with a good head
        {"type": "unsubscribe", "at": text}, {"type": "form_submit", "at": "2026-11-20T09:00:00Z", "form": "demo"}]}
        for text in times]
    wanted = one_by_one(acme, leads, "2026-11-22")
    for size in (4096, 0):
        with memo_size(acme, size):
            same(batch(acme, leads, "2026-11-22", False), wanted)


_DIGITS = st.text(alphabet="0123456789", min_size=2, max_size=2)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=st.tuples(st.sampled_from(["2026", "0001", "9999", "2024", "1970"]), _DIGITS, _DIGITS,
                      st.sampled_from("Tt X"), _DIGITS, _DIGITS, _DIGITS),
       fraction=st.one_of(st.just(""), st.text(alphabet="0123456789", min_size=1, max_size=11).map(".".__add__)),
       zone=st.sampled_from(["", "Z", "z", " Z", "+00:00", "-00:00", "+05:30", "-0800", "+02", "+24:00", "+01:60",
                             "-23:59", "+14:00", "UTC", "+1:00"]),
       pad=st.sampled_from(["", " ", "\t"]))
def test_random_times_with_a_remembered_tail_read_as_alone(acme, head, fraction, zone, pad) -> None:
    """Any head of the commonest shape (good or not: months 13, hours 24, year 1 with a
    negative offset past the datetime range) after the same tail in a good time: the
    batch says what the time alone says, whether it read the tail from its memo or not."""
    year, month, day, separator, hour, minute, second = head
    text = f"{year}-{month}-{day}{separator}{hour}:{minute}:{second}{fraction}{zone}"
    leads = [{"id": "first", "activities": [{"type": "chat", "at": "2026-11-20T09:00:00" + fraction + zone}]},
             {"id": "then", "activities": [{"type": "unsubscribe", "at": pad + text + pad},
                                           {"type": "webinar", "at": text, "minutes": 30}], "stage": "mql"}]
    wanted = one_by_one(acme, leads, AS_OF)
    for size in (4096, 0):
        with memo_size(acme, size):
            same(batch(acme, leads, AS_OF, True), wanted)


def test_read_at_memo_gives_the_instant_of_read_at_in_utc(acme) -> None:
    """The batch's reader of the times the inline code does not read: _read_at's instant,
    always in UTC (the comparisons with as_of then take 20 ns, not 0.5 µs), and a memo
    entry for each tail that only the tail decides."""
    from datetime import timezone

    module = acme.module
    memo: dict[str, Any] = {}
    texts = ["2026-11-20T09:00:00+05:30", " 2026-11-20T09:00:00.25-08:00 ", "2026-11-20t09:00:00z",
             "2026-11-20 09:00:00.123456+00:00", "2026-11-20T09:00:00 Z", "2026-11-20T09:00", "2026-11-20",
             "2026-11-20T09:00:00.5", 1763629200, "2026-11-20T09:00:00Z "]
    for _ in range(2):  # the second time from the memo
        for text in texts:
            try:
                alone = module._read_at(text, "at", None)
            except (ValueError, OverflowError):
                alone = "error"
            try:
                got = module._read_at_memo(memo, text, "at", None)
            except (ValueError, OverflowError):
                got = "error"
            assert got == alone, text
            assert got == "error" or got.tzinfo is timezone.utc, text
    assert set(memo) <= {"+05:30", ".25-08:00", "z", ".123456+00:00", " Z", ".5", "Z"}
    assert memo["+05:30"][0] == 19 and memo[".25-08:00"][0] == 22 and memo[".123456+00:00"][1] is None


@examples(max_examples=300)
@given(data=st.data())
def test_random_policies_batch_equals_evaluate(data) -> None:
    """Random policies and messy leads (tests/support/leadgen.py), each batch twice over
    and with a mapping that is not a dict and a lead that is not an object among them."""
    try:
        policy = leadpolicy.loads(data.draw(policy_texts(), label="policy text"))
    except leadpolicy.PolicyError as error:
        pytest.fail("the generator wrote a policy with errors:\n" + error.render())
    drawn = data.draw(st.lists(leads_for(policy.tree), min_size=1, max_size=6), label="leads")
    as_of = drawn[0]["as_of"]
    leads: list[Any] = [{"id": lead["lead_id"], "fields": lead["fields"], "activities": lead["activities"],
                         "stage": lead["previous_stage"]} for lead in drawn]
    leads = leads + [_Lead(lead) for lead in leads] + ["not a lead"] + leads
    wanted = one_by_one(policy, leads, as_of)
    assert hasattr(policy.module, "_decide_many")
    with memo_size(policy, data.draw(st.sampled_from([4096, 1]), label="memo size")):
        same(batch(policy, leads, as_of, data.draw(st.booleans(), label="as_dicts")), wanted)


class _Lead(dict):  # a mapping that is not exactly a dict: read through runtime.split_lead
    pass


# ---------------------------------------------------------------- the batch's shape


def test_batch_is_lazy_and_reads_as_of_first(acme) -> None:
    endless = ({"id": n, "fields": {"budget": str(n)}} for n in itertools.count())
    first = list(itertools.islice(acme.evaluate_many(endless, AS_OF, as_dicts=True), 3))
    assert [d["fit"] for d in first] == [0.0, 0.0, 0.0] and next(endless)["id"] == 3
    results = acme.evaluate_many([{"id": 1}], "2026-W47-1")
    with pytest.raises(leadpolicy.LeadDataError, match="as_of"):
        next(results)


def test_one_lead_or_text_is_not_a_batch(acme) -> None:
    """evaluate_many(lead) iterated the dict's keys and yielded one data error per key ("a lead
    must be a JSON object (lead #1 in the input is `id`)"), a string one per character. Now a
    TypeError when called, saying what to pass."""
    with pytest.raises(TypeError, match=r"^evaluate_many takes an iterable of leads, not one lead \(a dict\): "
                                        r"pass \[lead\], or call policy.evaluate for one lead$"):
        acme.evaluate_many({"id": "L-1", "fields": {"seniority": "vp"}}, AS_OF)
    for text in ('{"id": "L-1"}', b'{"id": "L-1"}'):
        with pytest.raises(TypeError, match=r"not (str|bytes): for a JSON Lines file, pass \(json.loads\(line\)"):
            acme.evaluate_many(text, AS_OF)
    assert [d.stage for d in acme.evaluate_many([{"id": "L-1"}], AS_OF)] == ["lead"]


def test_memo_tables_stay_within_their_bound(acme) -> None:
    leads = [{"id": n, "fields": {"budget": f" {n} ", "seniority": f"VP{' ' * (n % 7)}"},
              "activities": [{"type": f"Chat{' ' * (n % 5)}", "at": "2026-11-20T09:00:00Z"},
                             {"type": f"other {n}", "at": "2026-11-20T09:00:00Z"},
                             {"type": "page_view", "at": "2026-11-20T09:00:00Z", "path": f"/p/{n}"}]}
             for n in range(300)]
    wanted = one_by_one(acme, leads, AS_OF)
    with memo_size(acme, 50):
        results = acme.evaluate_many(leads, AS_OF, as_dicts=True)
        got = list(itertools.islice(results, 299))
        memos = {name: value for name, value in results.gi_frame.f_locals.items()  # type: ignore[attr-defined]
                 if name.startswith("memo_")}
        got += list(results)
    same(got, wanted)
    assert set(memos) == {"memo_codes", "memo_ignored", "memo_texts", "memo_enum_1", "memo_enum_2", "memo_enum_3",
                          "memo_numbers", "memo_booleans", "memo_tails"}
    assert all(len(table) <= 50 for table in memos.values())
    assert len(memos["memo_numbers"]) == len(memos["memo_texts"]) == len(memos["memo_ignored"]) == 50


def test_without_the_batch_entry_evaluate_many_calls_decide(acme, messy_leads, monkeypatch) -> None:
    """A body longer than BATCH_BODY_LINES gets no `_decide_many`: evaluate_many calls
    `_decide` per lead, with the same outcomes."""
    monkeypatch.setattr(compiler, "BATCH_BODY_LINES", 10)
    text = ACME.read_text(encoding="utf-8") + "\n# without the batch entry\n"
    policy = leadpolicy.loads(text, "acme-long.policy")
    assert not hasattr(policy.module, "_decide_many") and hasattr(acme.module, "_decide_many")
    wanted = one_by_one(acme, messy_leads, AS_OF)
    for as_dicts in (False, True):
        same(batch(policy, messy_leads, AS_OF, as_dicts), wanted)


def test_batch_body_is_decide_body_but_for_the_memo_lines(acme) -> None:
    """`_decide_many` runs _decide's body, statement for statement: only the lines that
    consult or fill the memo tables, and the return, differ."""
    source = acme.python_source
    tree = ast.parse(source)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    lines = source.splitlines()

    def body(name: str) -> list[str]:
        node = functions[name]
        if name == "_decide_many":
            loop = next(n for n in node.body if isinstance(n, ast.For))
            node = next(n for n in loop.body if isinstance(n, ast.Try))  # type: ignore[assignment]
        start = node.body[0].lineno if name == "_decide_many" else node.body[1].lineno  # past the docstring
        end = node.body[-1].end_lineno
        assert end is not None
        return [line.strip() for line in lines[start - 1:end] if line.strip()]

    import difflib

    single, many = body("_decide"), body("_decide_many")
    # what the batch writes instead: lookups in its memo tables first, and `result`
    batch_lines = ("memo_", "spelling", "in this batch", "number = ", "answer = ", "result = _outcome(",
                   "_FROMISOFORMAT(at[:tail[0]]) - tail[1]")
    # what it replaces: the lookups in the module's tables, the readers called without a memo
    single_lines = ("code = _ACTIVITY_CODE_1.get(name)", "index = _ENUM_", "_read_number(", "_read_boolean(",
                    "_read_enum(", ".strip().lower() or None) if type(p_", "return _outcome(",
                    "elif _ISO_SHAPE(at) and at[-1] != 'z':", "at = _FROMISOFORMAT(at)", "at = _read_at(at, ")
    changed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, single, many, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        changed += 1
        assert all(any(word in line for word in single_lines) for line in single[i1:i2]), single[i1:i2]
        assert all(any(word in line for word in batch_lines) for line in many[j1:j2]), many[j1:j2]
    assert 5 < changed < 20
    assert len(single) > 200


def test_a_policy_pickles_as_its_text(acme) -> None:
    """pickle.dumps(policy) failed with "cannot pickle 'module' object", so a Policy could not be
    handed to a process pool's workers (spawn); it pickles as its text and path, loaded again."""
    import copy
    import pickle

    again = pickle.loads(pickle.dumps(acme))
    assert (again.name, again.version, again.path, again.source_sha256) == (acme.name, acme.version, acme.path,
                                                                             acme.source_sha256)
    lead = {"seniority": "vp", "industry": "saas"}
    assert again.evaluate(lead, as_of=AS_OF) == acme.evaluate(lead, as_of=AS_OF)
    assert copy.deepcopy(acme).evaluate(lead, as_of=AS_OF) == acme.evaluate(lead, as_of=AS_OF)


def test_a_decisions_dict_is_its_own():
    """Decision.to_dict() gave the Decision's own dict: a caller that changed it (adding its lead
    id, popping the hits before storing the row) changed the Decision, and every later to_dict()."""
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    decision = policy.evaluate({"seniority": "vp", "industry": "saas", "company_size": 800}, as_of="2026-11-22")
    before = json.dumps(decision.to_dict())
    given = decision.to_dict()
    given["stage"] = "sql"
    given["reason"]["rule"] = "x"
    given["hits"][0]["points"] = 0
    given["hits"].clear()
    assert json.dumps(decision.to_dict()) == before and decision.hits and decision.stage == "lead"
    assert decision.to_dict() == json.loads(before) and decision == policy.evaluate(
        {"seniority": "vp", "industry": "saas", "company_size": 800}, as_of="2026-11-22")
