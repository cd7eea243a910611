"""Differential tests: the compiled module and the reference interpreter decide alike.

docs/semantics-contract.md: every back end returns the same decision "to the
last bit". Here random policies (tests/leadgen.py: every construct of
LANGUAGE.md, always well typed) meet messy CRM-style leads, and
`leadpolicy.loads(text)` (the compiled module, in-process) must return exactly
what `leadpolicy.reference.evaluate` returns on the checked tree: equal dicts,
equal JSON text (float bits, -0.0, key order), or a LeadDataError from both
for the same field.

The same leads also go through `Policy.evaluate_many`; acme meets the 2,000
leads of the benchmark workload; a few hand-picked corners pin bugs found here.

The number of random policies is `LEADPOLICY_EXAMPLES` (default 1500, about
40 s of CPU); each meets up to 6 leads. For a long run:
`LEADPOLICY_EXAMPLES=20000 python -m pytest tests/test_differential.py`.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings, strategies as st
from support.leadgen import leads_for, policy_texts

import leadpolicy
from leadpolicy.check.checker import check
from leadpolicy.semantics import reference
from leadpolicy.semantics.runtime import split_lead
from leadpolicy.syntax import nodes
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("LEADPOLICY_EXAMPLES", "1500"))
LEADS_PER_POLICY = 6


def checked(text: str) -> nodes.Policy:
    """The resolved tree; the generator promises a policy without errors."""
    result = check(parse(text))
    assert not result.errors, "the generator wrote a policy with errors:\n" + "\n".join(
        f"{d.line}:{d.column} {d.code}: {d.message}" for d in result.errors)
    return result.policy


def load(text: str) -> leadpolicy.Policy:
    """`leadpolicy.loads`: parse, check (no errors allowed), compile, run in-process.
    `policy.tree` is the checker's resolved tree, the one the module was compiled from."""
    try:
        return leadpolicy.loads(text)
    except leadpolicy.PolicyError as error:
        pytest.fail("the generator wrote a policy with errors:\n" + error.render())


def outcome(run):
    """("decision", dict, its JSON) or ("error", field, its row) for a LeadDataError."""
    try:
        decision = run()
    except leadpolicy.LeadDataError as error:
        return _error(error)
    return ("decision", decision, json.dumps(decision, ensure_ascii=False))


def _error(error: leadpolicy.LeadDataError):
    """A data error by its field, and its row as batch commands write it (field, value, message)."""
    return ("error", error.field, json.dumps(error.to_dict(), ensure_ascii=False))


def _equal(a, b) -> bool:
    """Equal outcomes: the same JSON text (float bits, -0.0, NaN, key order), and
    equal Python values too (int vs float, tuples vs lists) unless a NaN, which
    is never equal to itself, is in the way."""
    if a[0] != b[0] or a[2] != b[2]:
        return False
    return a == b or "NaN" in a[2]


def assert_same(compiled, expected, where: str) -> None:
    if not _equal(compiled, expected):
        note(f"compiled:  {compiled[:1] + compiled[2:]}")
        note(f"reference: {expected[:1] + expected[2:]}")
        pytest.fail(f"{where}: the compiled module and the reference interpreter disagree\n"
                    f"compiled:  {compiled[:1] + compiled[2:]}\nreference: {expected[:1] + expected[2:]}")


def compare_lead(policy: leadpolicy.Policy, tree: nodes.Policy, lead: dict, where: str = "lead") -> None:
    compiled = outcome(lambda: policy.evaluate(**lead).to_dict())
    expected = outcome(lambda: reference.evaluate(tree, **lead))
    assert_same(compiled, expected, where)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(data=st.data())
def test_random_policies_compiled_equals_reference(data) -> None:
    text = data.draw(policy_texts(), label="policy text")
    policy = load(text)
    tree = policy.tree
    leads = data.draw(st.lists(leads_for(tree), min_size=1, max_size=LEADS_PER_POLICY), label="leads")
    for number, lead in enumerate(leads, 1):
        compare_lead(policy, tree, lead, f"lead #{number}")
    compare_batch(policy, tree, leads)


def compare_batch(policy: leadpolicy.Policy, tree: nodes.Policy, leads: list) -> None:
    """The same leads through `evaluate_many` (LANGUAGE.md section 8 shape, one as_of
    for the batch, a lead that is not an object in the middle)."""
    as_of = leads[0]["as_of"]
    batch = [{"id": lead["lead_id"], "fields": lead["fields"], "activities": lead["activities"],
              "stage": lead["previous_stage"]} for lead in leads]
    batch.insert(len(batch) // 2, "not a lead")
    results = list(policy.evaluate_many(batch, as_of=as_of))
    assert len(results) == len(batch)
    for index, (lead, result) in enumerate(zip(batch, results)):
        if isinstance(result, leadpolicy.LeadDataError):
            got = _error(result)
        else:
            got = ("decision", result.to_dict(), json.dumps(result.to_dict(), ensure_ascii=False))

        def run_reference(lead=lead, index=index):
            lead_id, fields, activities, previous = split_lead(lead, index)
            # `activities or ()`: as evaluate_many reads them (a falsy value is no activities)
            return reference.evaluate(tree, fields, activities or (), as_of, previous, lead_id)

        assert_same(got, outcome(run_reference), f"evaluate_many, lead #{index + 1}")


# ---------------------------------------------------------------- hand-picked corners

HEAD = 'policy "P" version "1"\n'
CORNERS = {
    # found by the random test: the compiler raised IndexError (fixed by its owner)
    "did activity without activities": HEAD + "stages { lead  mql when did activity  sql when no activity within 3 days }",
    "did activity, empty activities block": HEAD + "activities { }\nstages { lead  mql when not did activity }",
    "windows and decay on the boundary": HEAD + (
        "activities { visit (p number) }\nstages { lead  mql when did visit at least 2 times within 1 day }\n"
        'engagement { "v": +10 per visit within 2 days max 15\n "w": -2.5 per visit where p > 1\n'
        "  decay 100% every 1 day }"),
    "a window reaching back past year 1": HEAD + (
        "activities { visit }\nstages { lead  mql when did visit within 142_857 weeks }\n"
        'engagement { "v": +1 per visit within 1_000_000 days\n decay 10% every 100_000 weeks }'),
    "sub-day decay and windows": HEAD + (
        "activities { visit }\nstages { lead  mql when no visit within 1.5 hours }\n"
        'engagement { "v": +3 per visit within 0.0000001 hours\n "w": +1 per visit\n decay 50% every 1.5 hours }'),
}
_DAY = dt.timedelta(days=1)
_AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
CORNER_LEADS = [
    {"fields": {}, "activities": []},
    {"fields": None, "activities": [{"type": "visit", "at": _AS_OF.isoformat(), "p": 2}]},
    {"fields": {}, "activities": [{"type": "Visit", "at": (_AS_OF - _DAY).isoformat(), "p": "3"},
                                  {"type": "visit", "at": (_AS_OF - _DAY - dt.timedelta(microseconds=1)).isoformat()},
                                  {"type": " VISIT", "at": (_AS_OF - 2 * _DAY).isoformat(), "p": 1},
                                  {"type": "visit", "at": _AS_OF + dt.timedelta(microseconds=1)},
                                  {"type": "visit", "at": (_AS_OF - dt.timedelta(hours=1.5)).isoformat()},
                                  {"type": "other", "at": "whenever"}]},
    {"fields": {}, "activities": [{"type": "visit", "at": "0001-01-01T00:00:00Z"}], "previous_stage": " MQL "},
    {"fields": {}, "activities": [{"type": "visit"}]},
]


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_corners(name: str) -> None:
    policy = load(CORNERS[name])
    for number, lead in enumerate(CORNER_LEADS, 1):
        for as_of in (_AS_OF, "2026-11-22T00:00:00Z", "2026-11-22"):
            compare_lead(policy, policy.tree, {"as_of": as_of, **lead}, f"{name}, lead #{number}")


# ---------------------------------------------------------------- the generator reaches every construct


def features(tree: nodes.Policy) -> set:
    """The constructs of LANGUAGE.md a resolved policy uses."""
    found = set()
    for node in tree.walk():
        kind = type(node).__name__
        found.add(kind)
        if isinstance(node, nodes.FieldRef):
            found.add(f"field {node.type.kind}")
        elif isinstance(node, nodes.PropRef):
            found.add(f"property {node.type.kind}")
        elif isinstance(node, nodes.FieldDecl) and node.type.kind == "enum" and any(
                not m.isidentifier() for m in node.type.members):
            found.add("enum with string members")
        elif isinstance(node, nodes.Compare):
            found.add(f"compare {node.op}")
            sides = (node.left, node.right)
            if node.op not in ("=", "!=") and any(isinstance(x, nodes.EnumValue) for x in sides):
                found.add("enum ordering")
            for side, other in (sides, sides[::-1]):
                if isinstance(side, nodes.FieldRef) and side.type.kind == "date" and isinstance(other, nodes.DateLit):
                    found.add("date vs timestamp" if other.has_time else "date vs date")
                if isinstance(side, nodes.Grade) and isinstance(other, nodes.GradeValue):
                    found.add("grade vs letter")
        elif isinstance(node, nodes.InList):
            found.add("not in" if node.negated else "in")
        elif isinstance(node, nodes.TextTest):
            found.add(node.op)
        elif isinstance(node, nodes.IsMissing):
            found.add("is present" if node.negated else "is missing")
        elif isinstance(node, nodes.Arith):
            found.add(f"arithmetic {node.op}")
        elif isinstance(node, nodes.Did):
            found.add("no" if node.negated else "did")
            found.add("did activity" if node.activity is None else "did TYPE")
            if node.where is not None:
                found.add("did where")
            if node.times > 1:
                found.add("did at least N times")
            if node.within is not None:
                found.add("did within")
        elif isinstance(node, (nodes.Not, nodes.And, nodes.Or)):
            operands = (node.operand,) if isinstance(node, nodes.Not) else node.operands
            if any(isinstance(o, nodes.FieldRef) and o.type.kind == "boolean" for o in operands):
                found.add("bare boolean")
        elif isinstance(node, nodes.EngagementRule):
            found.add("negative points" if node.points < 0 else "positive points")
            if node.points % 1:
                found.add("fractional points")
            for part in ("where", "within", "max"):
                if getattr(node, part) is not None:
                    found.add(f"engagement {part}")
        elif isinstance(node, nodes.Decay):
            found.add("decay 100%" if node.percent == 100 else "decay")
        elif isinstance(node, nodes.FitRule):
            found.add("fit in a group" if node.group else "fit outside groups")
        elif isinstance(node, nodes.GradeBand):
            found.add("grade otherwise" if node.condition is None else "grade when")
    sources = {rule.source for rule in tree.demotions}
    if any(rule.target in sources for rule in tree.demotions):
        found.add("demotion chain")
    return found


REQUIRED = {
    "field text", "field number", "field boolean", "field date", "field enum", "enum with string members",
    "property text", "property number", "property boolean", "property date", "property enum",
    "StageRef", "EnumValue", "GradeValue", "Engagement", "Fit", "Grade", "DaysSince", "Neg",
    "arithmetic +", "arithmetic -", "arithmetic *", "compare =", "compare !=", "compare <", "compare <=",
    "compare >", "compare >=", "enum ordering", "date vs date", "date vs timestamp", "grade vs letter",
    "in", "not in", "starts with", "ends with", "contains", "is missing", "is present", "bare boolean",
    "Not", "And", "Or", "AtLeast", "did", "no", "did activity", "did TYPE", "did where",
    "did at least N times", "did within", "positive points", "negative points", "fractional points",
    "engagement where", "engagement within", "engagement max", "decay", "decay 100%",
    "fit in a group", "fit outside groups", "grade when", "grade otherwise", "DemoteRule", "demotion chain",
    "DisqualifyRule",
}


def test_the_generator_reaches_every_construct() -> None:
    """Over 200 generated policies (a fixed sample), every construct the differential
    test is meant to cover appears, and every policy checks without errors."""
    seen: set = set()

    # always the same sample, fresh seeds or not (LEADPOLICY_FRESH_SEEDS): a rare construct can
    # be missing from 200 new draws; what the other tests draw is what fresh seeds vary
    @settings(max_examples=200, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(policy_texts())
    def collect(text: str) -> None:
        seen.update(features(checked(text)))

    collect()
    assert REQUIRED <= seen, f"never generated: {sorted(REQUIRED - seen)}"


# ---------------------------------------------------------------- acme and the benchmark workload


def _workload():
    spec = importlib.util.spec_from_file_location("leadpolicy_bench_workload", ROOT / "benchmarks" / "workload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_acme_workload_compiled_equals_reference() -> None:
    """2,000 leads of the benchmark workload (1% with a data error) through acme,
    one by one and through evaluate_many, against the reference interpreter."""
    workload = _workload()
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    tree = checked((ROOT / "policies" / "acme.policy").read_text(encoding="utf-8"))
    leads = workload.generate_leads(2000, seed=7, error_rate=0.01)
    as_of = workload.AS_OF

    expected = []
    for index, lead in enumerate(leads):
        def run_reference(lead=lead, index=index):
            lead_id, fields, activities, previous = split_lead(lead, index)
            return reference.evaluate(tree, fields, activities or (), as_of, previous, lead_id)

        expected.append(outcome(run_reference))
        compiled = outcome(lambda lead=lead: policy.evaluate(
            lead["fields"], lead["activities"], as_of, lead.get("stage"), lead["id"]).to_dict())
        assert_same(compiled, expected[-1], f"acme, lead {lead['id']}")

    batch = list(policy.evaluate_many(leads, as_of=as_of))
    assert len(batch) == len(leads)
    for lead, result, wanted in zip(leads, batch, expected):
        if isinstance(result, leadpolicy.LeadDataError):
            got = _error(result)
        else:
            got = ("decision", result.to_dict(), json.dumps(result.to_dict(), ensure_ascii=False))
        assert_same(got, wanted, f"acme evaluate_many, lead {lead['id']}")
    errors = sum(1 for e in expected if e[0] == "error")
    assert 0 < errors < 100  # the workload's data errors came through as errors, and only they
    stages = {e[1]["stage"] for e in expected if e[0] == "decision"}
    assert stages == {"lead", "mql", "sql", "disqualified"}
