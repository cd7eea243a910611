"""Each checker pass on its own: run one pass over a fresh state and see that
it reports its own codes (and nothing from the passes that come later)."""

from __future__ import annotations

import pytest

from leadpolicy.check import PASSES, Checker, check
from leadpolicy.check.passes.lints_more import implies
from leadpolicy.check.show import show
from leadpolicy.syntax.parser import parse

HEAD = 'policy "P" version "1"\n'


def run_one(text: str, name: str) -> list[str]:
    checker = Checker(parse(HEAD + text, "t.policy"))
    checker.resolved = checker.policy
    if name in ("tests", "warnings"):
        checker.pass_rules()  # tests read the rule names, warnings the resolved tree
        checker.diagnostics.clear()
        checker.pass_resolve()
    getattr(checker, "pass_" + name)()
    return [d.code for d in checker.diagnostics]


def test_the_passes_are_declared_in_order() -> None:
    assert PASSES == ("blocks", "declarations", "rules", "resolve", "tests", "warnings")
    for name in PASSES:
        assert callable(getattr(Checker, "pass_" + name))


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("blocks", "fields { a number }\nfields { b number }\nstages { lead }", ["duplicate-block"]),
        ("blocks", "fields { a number }", ["missing-stages"]),
        ("declarations", "fields { a number  a text }\nstages { lead }", ["duplicate-name"]),  # reserved words: the parser
        ("declarations", 'fields { t one of (" x", y) }\nstages { lead }', ["padded-member"]),
        ("rules", 'fields { a number }\nstages { lead }\nfit { "R": +1 when a > 1  "R": +2 when a > 2 }', ["duplicate-rule"]),
        ("resolve", "fields { a number }\nstages { lead  mql when b > 1 }", ["unknown-field"]),
        ("resolve", 'fields { a number }\nstages { lead  mql when a = "x" }', ["type-mismatch"]),
        ("tests", 'fields { a number }\nstages { lead  mql when a > 1 }\ntest "t" { as of 2026-01-01 fields { a: 2 } expect stage sql }', ["unknown-stage"]),
        ("warnings", "fields { a number }\nstages { lead  mql when a > 1 }\ngrades { A when a > 1  B when a > 2 }", ["unreachable-grade"]),
    ],
)
def test_each_pass_reports_its_own_codes(name: str, text: str, expected: list[str]) -> None:
    assert run_one(text, name) == expected


def test_a_pass_does_not_stop_at_the_first_problem() -> None:
    result = check(parse(HEAD + "fields { a text  b number  b text }\nstages { lead  mql when c > 1  sql when d > 1 }"))
    assert [d.code for d in result.errors] == ["duplicate-name", "unknown-field", "unknown-field"]


@pytest.mark.parametrize(
    "condition",
    ['a > 1 and (b = "x" or not c)', "a + 2 * (b - 1) >= -3", 'did visit where path starts with "/p" or secs > 3', "did visit at least 2 times within 3 days", "no chat within 1 week"],
)
def test_the_hint_printer_reads_back_as_written(condition: str) -> None:
    policy = parse(HEAD + "stages { lead  mql when " + condition + " }")
    assert show(policy.stages[1].condition) == condition


def test_implication_is_sound_on_simple_bounds() -> None:
    policy = parse(HEAD + "stages { lead  a when fit >= 10  b when fit > 10  c when 10 <= fit  d when fit < 10 }")
    a, b, c, d = (s.condition for s in policy.stages[1:])
    assert implies(b, a) and not implies(a, b) and implies(a, c) and implies(c, a)
    assert not implies(d, a) and not implies(a, d)
