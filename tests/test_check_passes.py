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


def _unreachable_pair_by_pair(policy) -> list[tuple[str, str]]:
    """The rule of unreachable-grade as it is written: each band against every earlier one, in order,
    up to an `otherwise` or an earlier band of its letter; (band, first earlier band it implies)."""
    found = []
    bands = policy.grades
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


def test_unreachable_grades_are_found_by_score_as_pair_by_pair() -> None:
    """20,000 grade bands took `check` more than 15 minutes (each band against every earlier one, 2
    million `implies` at 2,000 bands: 13 s). Bands of one bound are now looked up by score; the
    bands named are the same as comparing every pair, on random bands of every operator, scores
    written either way round, parenthesised bounds, `and`/`or`, repeated letters and `otherwise`."""
    import random

    generator = random.Random(16)
    warned = 0
    for _ in range(300):
        lines = []
        for _ in range(generator.randint(1, 14)):
            def bound() -> str:
                score, op, value = generator.choice(["fit", "engagement"]), generator.choice(["=", ">=", ">", "<=", "<", "!="]), generator.randint(0, 4)
                return f"{value} {n_mirror(op)} {score}" if generator.random() < 0.2 else f"{score} {op} {value}"
            shape = generator.random()
            condition = (f"({bound()})" if shape < 0.1 else f"{bound()} and {bound()}" if shape < 0.2
                         else f"{bound()} or {bound()}" if shape < 0.3 else bound())
            lines.append(f"  {generator.choice('ABCDEFGH')} when {condition}")  # a letter may come again
        if generator.random() < 0.2:
            lines.insert(generator.randint(0, len(lines)), "  Z otherwise")
        text = HEAD + "fields { a number }\nstages { lead  mql when a > 1 }\ngrades {\n" + "\n".join(lines) + "\n}\n"
        tree = Checker(parse(text, "t.policy"))
        tree.resolved = tree.policy
        tree.pass_rules()
        tree.pass_resolve()
        tree.diagnostics.clear()
        tree.pass_warnings()
        said = [d.message for d in tree.diagnostics if d.code == "unreachable-grade"]
        expected = [f"the grade `{band}` can never be chosen" for band, _ in _unreachable_pair_by_pair(tree.resolved)]
        assert [m.split(":")[0] for m in said] == expected, text
        warned += len(said)
        for message, (_, earlier) in zip(said, _unreachable_pair_by_pair(tree.resolved)):
            assert f"the earlier grade `{earlier}`" in message, (text, message)
    assert warned > 300  # the comparison is not vacuous


def n_mirror(op: str) -> str:
    return {"=": "=", ">=": "<=", ">": "<", "<=": ">=", "<": ">", "!=": "!="}[op]
