"""Policies as big as real lists (issue 16, item 1): 20,000 rules in any block and
`in` lists or chains of text tests with 50,000 members compile, import and
evaluate (no RecursionError, no MemoryError, the process recursion limit
untouched), and decide exactly as the reference interpreter does.

The trees are grown from a small checked policy by copying its nodes, so these
tests time the back end, not the parser (tests for the parser's side of long
policies belong with it); one case goes through `leadpolicy.loads` end to end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time

import pytest

import leadpolicy
from leadpolicy.backends.python.compiler import compile_policy, load_module
from leadpolicy.check.checker import check
from leadpolicy.semantics import reference
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import parse

RULES = 20_000
MEMBERS = 50_000
AS_OF = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)

BASE = """
policy "long" version "1"
fields {
  email text
  size number
  tier one of (gold, silver)
}
activities { form_submit (form text) }
stages {
  lead
  mql when size > 10
}
engagement {
  "forms": +5 per form_submit within 30 days
  decay 10% every 7 days
}
fit { "big": +10 when size > 100 }
grades {
  A when fit > 5
  B otherwise
}
demote { "down": mql -> lead when size < 5 }
disqualify { "rival": when email ends with "@rival.example" }
"""


def _base() -> n.Policy:
    result = check(parse(BASE, "long.policy"))
    assert not result.errors
    return result.policy


def _with_items(policy: n.Policy, kind: str, items) -> n.Policy:
    blocks = tuple(dataclasses.replace(block, items=tuple(items)) if block.kind == kind else block
                   for block in policy.blocks)
    return policy.with_blocks(blocks)


def _number(value: float) -> n.Number:
    return n.Number(float(value), text=str(value))


def _size_above(policy: n.Policy, value: float) -> n.Compare:
    template = policy.stages[1].condition
    return dataclasses.replace(template, right=_number(value))


def grow(kind: str) -> n.Policy:
    """The base policy with RULES items in one block (or MEMBERS in one condition)."""
    policy = _base()
    if kind == "disqualify":
        rule = policy.disqualifications[0]
        return _with_items(policy, "disqualify", [
            dataclasses.replace(rule, name=f"Q{i}", span=None,
                                condition=dataclasses.replace(rule.condition, right=n.String(f"@rival{i}.example")))
            for i in range(RULES)])
    if kind == "stages":
        first, mql = policy.stages
        extra = [n.StageDecl(f"s{i}", condition=_size_above(policy, 10 + i)) for i in range(1, RULES)]
        return _with_items(policy, "stages", [first, mql, *extra])
    if kind == "grades":
        bands = [n.GradeBand(f"G{i}", _size_above(policy, RULES - i)) for i in range(RULES)]
        return _with_items(policy, "grades", [*bands, n.GradeBand("Z", None)])
    if kind == "demote":
        rule = policy.demotions[0]
        return _with_items(policy, "demote", [
            dataclasses.replace(rule, name=f"D{i}", span=None,
                                condition=dataclasses.replace(rule.condition, right=_number(i - RULES + 10)))
            for i in range(RULES)])
    if kind == "fit":
        rule = policy.fit_rules[0]
        return _with_items(policy, "fit", [
            dataclasses.replace(rule, name=f"F{i}", span=None, points=float(1 + i % 9),
                                condition=_size_above(policy, i)) for i in range(RULES)])
    if kind == "activities":
        rule = policy.engagement_rules[0]
        decls = [n.ActivityDecl(f"a{i}") for i in range(RULES)]
        rules = [dataclasses.replace(rule, name=f"E{i}", activity=f"a{i}", span=None, points=float(1 + i % 7))
                 for i in range(RULES)]
        policy = _with_items(policy, "activities", decls)
        return _with_items(policy, "engagement", [*rules, policy.decay])
    rule = policy.disqualifications[0]
    email = rule.condition.left
    if kind == "in":
        condition = n.InList(email, tuple(n.String(f"d{i}.example") for i in range(MEMBERS)))
    elif kind == "or-equals":
        condition = n.Or(tuple(n.Compare("=", email, n.String(f"d{i}.example")) for i in range(MEMBERS)))
    elif kind in ("ends with", "starts with", "contains"):
        condition = n.Or(tuple(n.TextTest(kind, email, n.String(f"@d{i}.")) for i in range(MEMBERS)))
    else:
        raise AssertionError(kind)
    return _with_items(policy, "disqualify", [dataclasses.replace(rule, name="free", condition=condition)])


LEADS = {
    "disqualify": [{"email": "x@rival19999.example"}, {"email": "x@rival0.example"}, {"email": "x@y.example"}],
    "stages": [{"size": 20_100}, {"size": 15_000.5}, {"size": 3}],
    "grades": [{"size": 20_001}, {"size": 2}, {"size": 0}],
    "demote": [{"size": 1}, {"size": 4}, {"size": 9}],
    "fit": [{"size": 19_999.5}, {"size": 7}, {}],
    "activities": [{}],
    "in": [{"email": "D49999.example "}, {"email": "d0.example"}, {"email": "d50000.example"}],
    "or-equals": [{"email": "D49999.example "}, {"email": "d0.example"}, {"email": "d50000.example"}],
    "ends with": [{"email": "x@d49999."}, {"email": "x@d5"}, {}],
    "starts with": [{"email": "@d49999.x"}, {"email": "@d5"}, {}],
    "contains": [{"email": "x@d49999.y"}, {"email": "@d5"}, {}],
}


def _activities(kind: str) -> list:
    if kind == "activities":
        return [{"type": f"A{i}", "at": f"2026-11-{1 + i % 21:02d}T10:00:00Z"} for i in range(0, RULES, 997)] + \
            [{"type": "a19999", "at": "2026-11-21"}, {"type": "form_submit", "at": "2026-11-21"}]
    return [{"type": "form_submit", "at": "2026-11-20T10:00:00Z", "form": "demo"}]


@pytest.mark.parametrize("kind", list(LEADS))
def test_long_blocks_compile_import_and_decide_as_the_reference(kind):
    limit = sys.getrecursionlimit()
    tree = grow(kind)
    started = time.perf_counter()
    source = compile_policy(tree, f"{kind} x {RULES}", "long.policy")
    module = load_module(source, "long_policy")
    elapsed = time.perf_counter() - started
    assert sys.getrecursionlimit() == limit
    assert max(len(line) - len(line.lstrip()) for line in source.splitlines()) <= 4 * 40  # flat code
    for fields in LEADS[kind]:
        for previous in (None, "mql", "s19999" if kind == "stages" else "lead"):
            args = (fields, _activities(kind), AS_OF, previous)
            assert module.evaluate(*args) == reference.evaluate(tree, *args), (kind, fields, previous)
    assert elapsed < 60, f"{kind}: compiling and importing took {elapsed:.1f} s"


def test_long_lists_decide_what_they_say():
    module = load_module(compile_policy(grow("ends with"), "x", "long.policy"), "long_policy")
    assert module.evaluate({"email": "pat@d49999."}, [], AS_OF)["reason"] == \
        {"kind": "disqualified", "stage": "disqualified", "rule": "free"}
    assert module.evaluate({"email": "pat@d50000."}, [], AS_OF)["stage"] == "lead"
    module = load_module(compile_policy(grow("stages"), "x", "long.policy"), "long_policy")
    assert module.evaluate({"size": 20_100}, [], AS_OF)["stage"] == "s19999"
    assert module.evaluate({"size": 12.5}, [], AS_OF)["stage"] == "s2"


def test_twenty_thousand_disqualify_rules_through_the_front_door():
    lines = [f'  "Q{i}": when email ends with "@rival{i}.example"' for i in range(RULES)]
    text = BASE.replace('disqualify { "rival": when email ends with "@rival.example" }',
                        "disqualify {\n" + "\n".join(lines) + "\n}")
    policy = leadpolicy.loads(text, "rivals.policy")
    decision = policy.evaluate({"email": "a@rival19999.example"}, [], AS_OF)
    assert (decision.stage, decision.reason["rule"]) == ("disqualified", "Q19999")
    results = list(policy.evaluate_many([{"id": 1, "fields": {"email": "a@b.example", "size": 11}}], as_of=AS_OF))
    assert results[0].stage == "mql"


GROUPED = """
policy "grouped" version "1"
fields {
  email text
  size number
  tier one of (gold, silver, bronze)
}
activities { visit (path text) }
stages {
  lead
  a when email ends with "@x.example" or email ends with "@y.example" or email ends with "@z.example"
     or size = 1 or size = 2 or email starts with "ab" or email starts with "ac" or email starts with "ad"
     or tier = gold or tier = silver or tier = bronze or email contains "q"
  b when size = 5 or size = 6 or email = "m@n.example" or email = "o@p.example" or email = "r@s.example"
  c when email ends with "@one.example" or size > 100 or email ends with "@two.example"
     or email ends with "@three.example" or email ends with "@four.example"
  d when did visit where path starts with "/a" or path starts with "/b" or path starts with "/c" within 30 days
}
"""


@pytest.mark.parametrize("fields", [
    {}, {"email": "Pat@Z.example "}, {"email": "pat@y.example"}, {"email": "abe@w.example"}, {"email": "q"},
    {"size": 2}, {"size": "1.0"}, {"size": 5}, {"email": "O@P.example"}, {"email": "x@four.example"},
    {"email": "x@two.example", "size": 3}, {"size": 101}, {"tier": "Silver"}, {"tier": "bronze", "size": 6},
])
def test_or_ed_tests_of_one_value_are_grouped_without_changing_the_decision(fields):
    tree = check(parse(GROUPED, "grouped.policy")).policy
    source = compile_policy(tree, GROUPED, "grouped.policy")
    assert ".endswith(('@x.example', '@y.example', '@z.example',))" in source
    assert "in {5.0, 6.0}" not in source  # two in a row stay as they are written
    module = load_module(source, "grouped")
    for activities in ([], [{"type": "visit", "at": "2026-11-20", "path": "/B/x"}],
                       [{"type": "visit", "at": "2026-11-20", "path": "/d"}]):
        args = (fields, activities, AS_OF, None)
        assert module.evaluate(*args) == reference.evaluate(tree, *args)
