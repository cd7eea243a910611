"""Policies as big as real lists, through the front door (issue 16, item 1): the
parser, the checker and the commands handle 20,000 rules in a block and a
50,000-member list or chain of `or`ed text tests, without touching the process
recursion limit. (tests/test_long_policies.py covers the compiled module's side.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import leadpolicy
from leadpolicy.cli import main

RULES = 20_000
MEMBERS = 50_000
AS_OF = "2026-11-22"


def disqualify_policy(count: int) -> str:
    rules = "\n".join(f'  "Competitor {i}": when email ends with "@rival{i}.example"' for i in range(count))
    return f'policy "big" version "1"\nfields {{ email text }}\nstages {{ lead }}\ndisqualify {{\n{rules}\n}}\n'


def stages_policy(count: int) -> str:
    stages = "\n".join(f"  s{i} when score >= {i}" for i in range(1, count))
    return f'policy "big" version "1"\nfields {{ score number }}\nstages {{\n  s0\n{stages}\n}}\n'


@pytest.fixture(autouse=True)
def recursion_limit_untouched():
    before = sys.getrecursionlimit()
    yield
    assert sys.getrecursionlimit() == before


def test_a_chain_of_50000_ored_text_tests_loads_and_decides() -> None:
    chain = " or ".join(f'domain ends with "d{i}.example"' for i in range(MEMBERS))
    policy = leadpolicy.loads(f'policy "big" version "1"\nfields {{ domain text }}\nstages {{ lead\n  mql when {chain} }}\n')
    (condition,) = [stage.condition for stage in policy.tree.stages if stage.condition is not None]
    assert len(condition.operands) == MEMBERS  # one flat `or`, not 50,000 levels
    assert policy.evaluate({"domain": "mail.d49999.example"}, as_of=AS_OF).stage == "mql"
    assert policy.evaluate({"domain": "mail.d50000.example"}, as_of=AS_OF).stage == "lead"


def test_a_50000_member_in_list_loads_and_decides() -> None:
    members = ", ".join(f'"d{i}.example"' for i in range(MEMBERS))
    policy = leadpolicy.loads(f'policy "big" version "1"\nfields {{ domain text }}\nstages {{ lead\n  mql when domain in ({members}) }}\n')
    assert policy.evaluate({"domain": " D777.example "}, as_of=AS_OF).stage == "mql"


def test_20000_stages_load_and_decide() -> None:
    policy = leadpolicy.loads(stages_policy(RULES))
    assert policy.evaluate({"score": 12345}, as_of=AS_OF).stage == "s12345"


def test_every_command_handles_20000_disqualify_rules(tmp_path: Path) -> None:
    path = tmp_path / "big.policy"
    path.write_text(disqualify_policy(RULES), encoding="utf-8")
    lead = tmp_path / "lead.json"
    lead.write_text('{"fields": {"email": "pat@rival19999.example"}}', encoding="utf-8")
    runner = CliRunner()
    for args in (["check", str(path)],
                 ["compile", str(path), "-o", str(tmp_path / "big.py")],
                 ["docs", str(path), "-o", str(tmp_path / "big.md")],
                 ["test", str(path)]):
        result = runner.invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
    result = runner.invoke(main, ["eval", str(path), str(lead), "--as-of", AS_OF, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert '"rule": "Competitor 19999"' in result.stdout
    assert "Competitor 19999" in (tmp_path / "big.md").read_text(encoding="utf-8")


def test_a_condition_nested_too_deeply_is_still_refused_with_a_diagnostic() -> None:
    text = 'policy "p" version "1"\nfields { n number }\nstages { lead\n  mql when ' + "(" * 70 + "n > 1" + ")" * 70 + " }\n"
    with pytest.raises(leadpolicy.PolicyError) as caught:
        leadpolicy.loads(text)
    assert caught.value.diagnostics[0].code == "too-deep"


def test_20000_activity_types_each_scored_check_and_load() -> None:
    kinds = "\n".join(f"  a{i}" for i in range(RULES))
    rules = "\n".join(f'  "R{i}": +1 per a{i} within 3 days' for i in range(RULES))
    policy = leadpolicy.loads(f'policy "big" version "1"\nactivities {{\n{kinds}\n}}\nstages {{ lead }}\n'
                              f'engagement {{\n{rules}\n}}\n')
    decision = policy.evaluate({}, [{"type": "A19999", "at": "2026-11-21"}], as_of=AS_OF)
    assert decision.engagement == 1.0 and decision.hits[0]["rule"] == "R19999"


def test_20000_stages_each_naming_the_one_below() -> None:
    stages = "\n".join(f"  s{i} when s{i - 1} and score >= {i}" for i in range(1, RULES))
    policy = leadpolicy.loads(f'policy "big" version "1"\nfields {{ score number }}\nstages {{\n  s0\n{stages}\n}}\n')
    assert policy.evaluate({"score": 19_999}, as_of=AS_OF).stage == "s19999"
    assert policy.evaluate({"score": 5}, as_of=AS_OF).stage == "s5"


def test_20000_grade_bands_check_and_decide() -> None:
    """`check` compared every grade band with every earlier one to find bands that can never be
    chosen: 2,000 bands took 13 s and 20,000 more than 15 minutes. Bands of one bound are looked up
    by their score; one that can never be chosen is still found among them."""
    bands = "\n".join(f"  G{i} when fit >= {RULES - i}" for i in range(RULES))
    policy = leadpolicy.loads(f'policy "big" version "1"\nfields {{ n number }}\nstages {{ lead }}\n'
                              f'fit {{\n  "N": +{RULES} when n > 0\n}}\ngrades {{\n{bands}\n  Late when fit >= 5\n  Z otherwise\n}}\n')
    assert [w.message.split(":")[0] for w in policy.warnings if w.code == "unreachable-grade"] == [
        "the grade `Late` can never be chosen"]
    assert policy.evaluate({"n": 1}, as_of=AS_OF).grade == "G0"
    assert policy.evaluate({}, as_of=AS_OF).grade == "Z"


def test_an_activity_of_20000_properties_used_in_one_rule() -> None:
    """Each name in a `where` was looked up in the activity's list of properties (twice): 20,000
    properties tested in one rule were 800 million steps of `check`. They are looked up by name."""
    props = ", ".join(f"p{i} number" for i in range(RULES))
    where = " and ".join(f"p{i} > 0" for i in range(RULES))
    policy = leadpolicy.loads(f'policy "big" version "1"\nactivities {{\n  v ({props})\n}}\nstages {{ lead }}\n'
                              f'engagement {{\n  "All": +1 per v where {where}\n}}\n')
    every = {f"p{i}": 1 for i in range(RULES)}
    assert policy.evaluate({}, [dict(every, type="v", at="2026-11-21")], as_of=AS_OF).engagement == 1.0
    assert policy.evaluate({}, [dict(every, type="v", at="2026-11-21", p19999=0)], as_of=AS_OF).engagement == 0.0
