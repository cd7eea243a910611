"""Each checker pass on its own: run one pass over a fresh state and see that
it reports its own codes (and nothing from the passes that come later)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from leadpolicy.check import PASSES, Checker, check
from leadpolicy.check.passes import lints_more
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


# ---------------------------------------------------------------- unreachable grade bands, at scale


def _pairwise_unreachable(bands: list) -> list[tuple[str, str]]:
    """The first reading of `unreachable-grade`: each band against every earlier one in order, the
    first it implies named; stopping at an earlier `otherwise` and at an earlier band of its letter."""
    found = []
    for i, band in enumerate(bands):
        if band.condition is None:
            continue
        for earlier in bands[:i]:
            if earlier.condition is None or earlier.letter == band.letter:
                break
            if implies(band.condition, earlier.condition):
                found.append((band.letter, earlier.letter))
                break
    return found


_SCORES = ("fit", "engagement", "a", "(a)", "a * 2")
_BAND = st.one_of(
    st.tuples(st.sampled_from(_SCORES), st.sampled_from(("<", "<=", "=", ">=", ">", "!=")),
              st.sampled_from((0, 1, 2, 2.5, 3, -1))).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
    st.tuples(st.sampled_from(_SCORES), st.sampled_from((1, 2, 3))).map(lambda t: f"{t[1]} < {t[0]}"),
    st.sampled_from(("fit > 1 and a > 2", "fit > 2 or a < 1", "(fit >= 2)", "true", "not a > 1", "fit >= -1")),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from("ABCDEFG"), _BAND), min_size=1, max_size=14), st.booleans())
def test_unreachable_grades_names_what_the_pairwise_reading_names(bands: list, otherwise_inside: bool) -> None:
    """Bounds are looked up by what they bound (`_Bounds`), not tried one by one: the same bands are
    reported, each naming the same earlier band."""
    lines = [f"{letter} when {condition}" for letter, condition in bands]
    if otherwise_inside and len(lines) > 2:
        lines.insert(len(lines) // 2, "Z otherwise")  # an error (otherwise-not-last); the lint stops there
    policy = parse(HEAD + "fields { a number }\nstages { lead }\ngrades {\n  " + "\n  ".join(lines) + "\n}\n")
    said: list[tuple[str, str]] = []
    lints_more.unreachable_grades(policy, lambda code, message, span, fix: said.append(
        tuple(re.findall(r"grade `([^`]*)`", message))))
    assert said == _pairwise_unreachable(list(policy.grades))


def test_thousands_of_grade_bands_are_not_compared_pairwise(monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 bands `Gi when size > 3000 - i` (benchmarks/big_policy.py "grades"): no band implies an
    earlier one, and each was tried against every earlier band, 4.5 million `implies` (48 s of
    `check`); bounds on one number are looked up instead, one `implies` per band at most."""
    calls = [0]
    real = lints_more.implies

    def counted(a: object, b: object) -> bool:
        calls[0] += 1
        return real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(lints_more, "implies", counted)
    n = 3000
    bands = "\n  ".join([f"G{i} when size > {n - i}" for i in range(n)] + ["H when size > 10", "Z otherwise"])
    policy = parse(HEAD + "fields { size number }\nstages { lead }\ngrades {\n  " + bands + "\n}\n")
    said: list[str] = []
    lints_more.unreachable_grades(policy, lambda code, message, span, fix: said.append(message))
    assert said == ["the grade `H` can never be chosen: whenever `size > 10` holds, the earlier grade `G2990` "
                    "(`size > 10`) holds too"]
    assert calls[0] <= n + 1
