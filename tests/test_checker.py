"""The checker: resolution of names, types, contexts, and reporting every problem at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadpolicy.check.checker import check
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).parent.parent
HEAD = 'policy "P" version "1"\n'
DECLS = """
fields {
  budget number  email text  seniority one of (ic, manager, director, vp)
  stage_name one of (open, "Closed Won", "no")  ok boolean  created date
}
activities { visit (path text, secs number)  chat }
grades { A when fit >= 10  B otherwise }
"""


def checked(body: str):
    return check(parse(HEAD + DECLS + body, "t.policy"))


def codes(body: str) -> list[str]:
    return [d.code for d in checked(body).errors]


def second_stage(condition: str) -> n.Expr:
    result = checked("stages { lead  mql when " + condition + " }")
    assert result.ok, [d.message for d in result.errors]
    return result.policy.stages[1].condition


def test_acme_checks_clean_but_for_the_unused_created_field() -> None:
    result = check(parse((ROOT / "policies" / "acme.policy").read_text()))
    assert result.ok
    assert [d.code for d in result.warnings] == ["unused-field"]


def test_names_resolve_to_what_they_mean() -> None:
    c = second_stage('seniority >= director and stage_name = "Closed Won" and ok and grade in (A, B)')
    order, member, flag, grade = c.operands
    assert order.left == n.FieldRef("seniority", order.left.type) and order.right.index == 2
    assert member.right.member == "Closed Won" and member.right.index == 1
    assert isinstance(flag, n.FieldRef) and flag.type.kind == "boolean"
    assert [i.letter for i in grade.items] == ["A", "B"]


def test_a_misspelt_field_before_in_is_one_error() -> None:
    """`senority in (director, vp)` said "there is no field" four times: the field, then each member
    (read as field names, since the operand's type was unknown). The members are said no more;
    a name that is declared is still resolved, and a field or property that is declared is too."""
    result = checked("stages { lead  mql when senority in (director, vp) }")
    assert [(d.code, d.message) for d in result.errors] == [("unknown-field", "there is no field or stage `senority`")]
    assert result.errors[0].help == "did you mean `seniority`?"
    assert codes("stages { lead  mql when did visit where pth in (pricing, blog) }") == ["unknown-property"]
    assert codes("stages { lead  mql when seniority in (director, vpp) }") == ["unknown-member"]


def test_member_written_first_is_still_a_member() -> None:
    c = second_stage("vp = seniority")
    assert isinstance(c.left, n.EnumValue) and isinstance(c.right, n.FieldRef)


def test_reserved_word_members_are_written_as_strings() -> None:
    c = second_stage('stage_name = "no"')
    assert c.right == n.EnumValue("no", 2, c.right.type)


def test_where_names_are_properties_and_parens_are_gone() -> None:
    c = second_stage('(did visit where path starts with "/blog" and secs > 3) or budget > 1')
    did = c.operands[0]
    assert isinstance(did, n.Did) and did.where.operands[0].left == n.PropRef("visit", "path", did.where.operands[0].left.type)
    assert not any(isinstance(node, (n.Paren, n.Name)) for node in c.walk())


@pytest.mark.parametrize(
    "body, code",
    [
        ('stages { lead } fit { "F": +1 when engagement > 1 }', "not-allowed"),
        ('stages { lead } fit { "F": +1 when grade = A }', "not-allowed"),
        ('stages { lead } fit { "F": +1 when did chat }', "not-allowed"),
        ('stages { lead } fit { "F": +1 when lead }', "not-allowed"),
        ("stages { lead mql when budget > 1 } grades { A when mql }", "not-allowed"),
        ("stages { lead mql when grade = C }", "unknown-grade"),
        ('stages { lead mql when did visit where budget > 1 }', "unknown-property"),
        ('stages { lead mql when did visti }', "unknown-activity"),
        ('stages { lead mql when email starts with 5 }', "type-mismatch"),
        ('stages { lead mql when seniority starts with "v" }', "type-mismatch"),
        ('stages { lead mql when created > "2026-01-01" }', "type-mismatch"),
        ('stages { lead mql when days since budget > 3 }', "type-mismatch"),
        ('stages { lead mql when ok < true }', "bad-operator"),
        ('stages { lead mql when budget }', "not-a-condition"),
        ('stages { lead mql when (budget > 1) = true }', "type-mismatch"),
        ('stages { lead mql when seniority = Vp }', "member-case"),
        ('stages { lead mql when stage_name = "closed won" }', "member-case"),
        ('stages { lead mql when seniority in (vp, ceo) }', "unknown-member"),
        ("stages { lead mql when budget > 1 } demote { \"D\": mql -> mql when budget < 1 }", "demotion-direction"),
        ("stages { lead mql when budget > 1 } demote { \"D\": mql -> disqualified when budget < 1 }", "unknown-stage"),
    ],
)
def test_errors(body: str, code: str) -> None:
    assert code in codes(body)


@pytest.mark.parametrize(
    "condition, example",
    [
        ("budget", "`budget >= 10`"),
        ("email", '`email = "..."`'),  # not `email >= 10`: an order comparison on text is an error itself
        ("seniority", "`seniority = ic`"),
        ("created", "`created >= 2026-01-01`"),
        ("grade", "`grade = A`"),
    ],
)
def test_a_value_that_is_no_condition_gets_an_example_of_its_own_type(condition: str, example: str) -> None:
    (d,) = [d for d in checked("stages { lead  mql when " + condition + " }").errors if d.code == "not-a-condition"]
    assert d.help == f"compare it with something, for example {example} or `{condition} is present`"


def test_a_glued_text_test_in_a_stage_condition_is_named() -> None:
    """`mql when email endswith` parses: `endswith` is a next stage. (With its string, `endswith "@x"`
    is the parser's syntax error, whose fix the editor offers: test_hints.py.)"""
    (d,) = [d for d in checked("stages { lead  mql when email endswith }").errors if d.code == "stage-needs-condition"]
    assert d.help == "`endswith` ends the condition of `mql` and reads as a new stage: write `ends with` (two words)"
    (plain,) = [d for d in checked("stages { lead  mql  sql when ok }").errors if d.code == "stage-needs-condition"]
    assert plain.help == "add its entry criterion: `mql when ...`"


def test_every_problem_is_reported_at_once() -> None:
    found = codes(
        'stages { lead mql when budgt > 1 and seniority = ceo sql when sql } fit { "X": +1 when fit > 1 "X": +2 when ok }'
    )
    assert {"unknown-field", "unknown-member", "stage-order", "not-allowed", "duplicate-rule"} <= set(found)



def test_a_member_mistake_in_a_list_is_said_once() -> None:
    """`seniority in (director, VP, ic)` gave member-case and then "bad-list: the list after `in`
    holds only literal values, and `VP` is not one", which sends the author looking for the wrong fix."""
    assert codes("stages { lead mql when seniority in (director, VP, ic) }") == ["member-case"]
    assert codes("stages { lead mql when seniority in (vp, ceo) }") == ["unknown-member"]
    assert codes("stages { lead mql when budget in (1, budget) }") == ["bad-list"]  # a field: still not a value


@pytest.mark.parametrize("condition, message, help_", [
    ("email = null", "there is no `null` in a policy: a value that is absent or blank is missing", "write `email is missing`"),
    ("null != budget", "there is no `null` in a policy", "write `budget is present`"),
    ("budget > None", "there is no `None` in a policy", "ask for it with `is missing` or `is present`"),
    ("did visit where path = nil", "there is no `nil` in a policy", "write `path is missing`"),
    ("ok = yes", "`yes` is not a value in a policy: a boolean is `true` or `false`", "write `true`"),
    ("ok != No", "`No` is not a value in a policy", "write `false`"),
    ("ok in (true, off)", "`off` is not a value in a policy", "write `false`"),
    ("created > today", "there is no `today` in a policy: the time of evaluation is measured with `days since`",
     "write, for example, `days since created < 30` (within the last 30 days)"),
    ("now >= created", "there is no `now` in a policy", "write, for example, `days since created < 30` (within the last 30 days)"),
])
def test_sql_and_spreadsheet_values_are_named(condition: str, message: str, help_: str) -> None:
    """`email = null` and `ok = yes` said "there is no field or stage `null`", help "declare it in the
    `fields` block": a data engineer's NULL is `is missing`, a spreadsheet's yes is `true`."""
    (d,) = checked("stages { lead mql when " + condition + " }").errors
    assert (d.code, d.help) == ("unknown-field", help_) and d.message.startswith(message)


def test_null_and_yes_stay_enum_members_where_declared() -> None:
    """`tier one of (gold, none)`: `none` is a member there, not a missing value; `null` a member's spelling."""
    text = HEAD + 'fields { tier one of (gold, none)  ok boolean }\nstages { lead mql when tier = none and ok }\n'
    assert check(parse(text, "t.policy")).ok
    text = HEAD + 'fields { tier one of (gold, Null) }\nstages { lead mql when tier = null }\n'
    assert [d.code for d in check(parse(text, "t.policy")).errors] == ["member-case"]

def test_did_you_mean() -> None:
    result = checked("stages { lead mql when budegt > 1 }")
    assert result.errors[0].help == "did you mean `budget`?"


def test_allowed_contexts_from_the_table() -> None:
    ok = checked(
        "stages { lead  mql when engagement + fit >= 1 and grade = A and days since created > 3 and did chat "
        " sql when mql and not (no visit where secs > 2 within 3 hours) }"
        ' demote { "D": sql -> mql when sql and grade != B }'
        ' disqualify { "Q": when mql and at least 1 of (ok, budget is missing) }'
        ' fit { "F": +1 when days since created < 30 }'
    )
    assert ok.ok, [d.message for d in ok.errors]


def test_tests_are_checked_against_the_policy() -> None:
    found = codes(
        'stages { lead } fit { "Budget": +1 when budget > 1 }'
        ' test "t" { previous stage sqll fields { budgt: 1, seniority: ceo, ok: "yes" }'
        '  activity visti 1 day ago  activity visit (pth: "/") 1 day ago'
        '  expect stage mq expect change upgraded expect grade Z expect hit "Budgets" }'
    )
    assert found.count("unknown-stage") == 2
    for code in ("unknown-field", "unknown-member", "test-value", "unknown-activity", "unknown-property", "unknown-change", "unknown-grade", "unknown-rule"):
        assert code in found



def test_a_test_value_in_another_case_is_member_case_as_in_a_condition() -> None:
    """`fields { seniority: VP }` in a test said "`VP` is not one of ic, manager, director, vp", though
    it is one, in another case; a condition says member-case with the member as declared."""
    result = checked('stages { lead } test "t" { fields { seniority: VP, stage_name: "closed won" } expect stage lead }')
    assert [(d.code, d.message, d.help) for d in result.errors] == [
        ("member-case", "`VP` is written `vp` in `one of (ic, manager, director, vp)`", "write it as declared: `vp`"),
        ("member-case", '`closed won` is written `Closed Won` in `one of (open, "Closed Won", "no")`',
         'write it as declared: `"Closed Won"`')]


def test_unknown_grade_and_rule_in_a_test_say_what_there_is() -> None:
    """They had no `help:` when nothing was close."""
    result = checked('stages { lead } fit { "Budget": +1 when budget > 1 }'
                     ' test "t" { expect grade Zebra expect hit "Xylophone" }')
    assert [d.help for d in result.errors] == [
        "the grades are: A, B", "name a rule as it is written before its colon, in double quotes"]

def test_warnings_do_not_block() -> None:
    result = checked('stages { lead  mql when fit >= 100 } fit { "F": +10 when budget > 1 }')
    assert result.ok
    assert "unreachable-threshold" in [d.code for d in result.warnings]


def test_disqualified_in_any_case_cannot_name_a_stage() -> None:
    result = check(parse(HEAD + "stages { lead  Disqualified when true }"))
    assert [d.code for d in result.errors] == ["reserved-stage"]


@pytest.mark.parametrize(
    ("members", "code", "fix"),
    [
        ('(" Gold", silver)', "padded-member", '`one of ("Gold", silver)`'),
        ('("Gold ", silver)', "padded-member", '`one of ("Gold", silver)`'),
        ('("", silver)', "blank-member", "`one of (silver)`"),
        ('("  ", silver)', "blank-member", "`one of (silver)`"),
        # trimmed, it would be a second `gold` (members are compared without case): the fix drops it
        ('(gold, " Gold", silver)', "padded-member", "`gold` is already a member; remove it: `one of (gold, silver)`"),
        ('(" Gold", "gold ", silver)', "padded-member", '`one of ("Gold", silver)`'),
    ],
)
def test_blank_or_padded_enum_members_are_errors_with_the_trimmed_fix(members: str, code: str, fix: str) -> None:
    result = check(parse(HEAD + f"fields {{ tier one of {members} }}\nstages {{ lead mql when tier = silver }}\n", "t.policy"))
    errors = result.errors
    assert {error.code for error in errors} == {code}
    assert fix in errors[0].help
    # the fix, applied, checks clean
    fixed = errors[0].help.rsplit("`one of ", 1)[1].rstrip("`")
    assert check(parse(HEAD + f"fields {{ tier one of {fixed} }}\nstages {{ lead mql when tier = silver }}\n", "t.policy")).ok


def test_inner_spaces_in_an_enum_member_are_fine() -> None:
    result = check(parse(HEAD + 'fields { tier one of ("Closed Won", silver) }\nstages { lead mql when tier = silver }\n'))
    assert result.ok and not result.warnings


def test_a_policy_testing_a_padded_member_is_an_error_not_a_silent_failure() -> None:
    import leadpolicy

    text = HEAD + (
        'fields { tier one of (" Gold", silver) }\n'
        'stages { lead mql when tier = silver }\n'
        'test "gold" { as of 2026-01-01 fields { tier: " Gold" } expect stage lead }\n'
    )
    with pytest.raises(leadpolicy.PolicyError) as raised:
        leadpolicy.loads(text)
    assert "padded-member" in {d.code for d in raised.value.diagnostics}


def test_a_field_after_or_inside_where_gets_the_fix_in_the_users_words() -> None:
    result = check(
        parse(
            HEAD + "fields { is_partner boolean }\nactivities { page_view (path text) }\n"
            'stages { lead mql when did page_view where path = "/pricing" or is_partner }\n'
        )
    )
    [error] = result.errors
    assert error.help.endswith('`(did page_view where path = "/pricing") or is_partner`')


@pytest.mark.parametrize(
    ("condition", "fix"),
    [('ok = "yes"', "write `ok`"), ('ok != "yes"', "write `not ok`"), ('ok = "no"', "write `not ok`"), ("ok = 1", "write `ok`")],
)
def test_a_boolean_compared_with_a_string_suggests_the_boolean_itself(condition: str, fix: str) -> None:
    [error] = checked("stages { lead  mql when " + condition + " }").errors
    assert error.code == "type-mismatch" and "the boolean field `ok`" in error.message
    assert error.help.endswith(fix)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('stages { lead  mql when true }\nfit { "Big": +10 when mql }', "the stage `mql` cannot be used in the fit rule `Big`"),
        ('stages { lead  mql when true }\ndisqualify { "Spam": when budget > 1 and mql and engagement > 1 and grade = A }', None),
        ("stages { lead  mql when did visit where budget > 3 }", "`budget`"),
    ],
)
def test_not_allowed_messages_name_the_thing_and_the_place(body: str, named) -> None:
    result = checked(body)
    if named is None:
        assert result.ok
    else:
        assert any(named in d.message for d in result.errors), [d.message for d in result.errors]


@pytest.mark.parametrize(
    ("bands", "unreachable"),
    [
        ("B when fit >= 10  A when fit >= 20  C otherwise", "A"),
        ("B when fit > 10  A when fit >= 20", "A"),
        ("B when true  A when fit >= 20", "A"),
        ("B when fit >= 10 or engagement > 5  A when fit >= 20 and budget > 3", "A"),
        ("A when fit >= 20  B when fit >= 10  C otherwise", None),
        ("A when fit > 20  B when fit >= 20", None),
        ("A when fit >= 20  B when fit > 20", "B"),
        ("A when fit < 10  B when fit <= 10", None),
        ("A when fit < 10  B when fit < 5", "B"),
        ("A when fit >= 10 and engagement >= 10  B when fit >= 10", None),
    ],
)
def test_a_grade_band_an_earlier_one_always_covers_is_a_warning(bands: str, unreachable) -> None:
    text = HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\n" + 'fit { "F": +30 when budget > 1 }\n'
    text += 'activities { demo }\nengagement { "D": +10 per demo max 20 }\n'
    result = check(parse(text + "grades { " + bands + " }\n"))
    assert result.ok
    found = [d for d in result.warnings if d.code == "unreachable-grade"]
    if unreachable is None:
        assert not found
    else:
        assert [d.message.split("`")[1] for d in found] == [unreachable]



def test_a_grade_written_twice_is_not_also_unreachable() -> None:
    """`A when budget > 1  A when budget > 2` gave duplicate-grade and then "put `A` before `A`"."""
    text = HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\ngrades { A when budget > 1  A when budget > 2 }\n"
    result = check(parse(text))
    assert [d.code for d in result.diagnostics] == ["duplicate-grade"]

def test_a_test_without_as_of_warns_only_when_time_matters() -> None:
    timeless = HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\n"
    timeless += 'test "t" { fields { budget: 3 } expect stage mql }\n'
    assert not check(parse(timeless)).warnings
    timed = HEAD + "fields { created date }\nstages { lead mql when days since created < 30 }\n"
    timed += 'test "t" { fields { created: 2026-01-01 } expect stage mql }\n'
    assert [d.code for d in check(parse(timed)).warnings] == ["test-without-as-of"]
    pinned = timed.replace('test "t" { ', 'test "t" { as of 2026-01-10 ')
    assert not check(parse(pinned)).warnings


def test_expecting_the_same_thing_twice_is_a_warning() -> None:
    text = HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\n"
    text += 'test "t" { fields { budget: 3 } expect stage mql expect grade A expect stage mql }\n'
    result = check(parse(text.replace("expect grade A ", "")))
    assert [d.code for d in result.diagnostics] == ["duplicate-test-item"]


def test_a_second_as_of_or_previous_stage_is_a_warning() -> None:
    # the last one counted, silently
    text = HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\n"
    text += 'test "t" { as of 2026-01-01 previous stage lead fields { budget: 3 } previous stage mql as of 2026-02-01 expect stage mql }\n'
    test = parse(text).tests[0]
    assert (test.previous_stage, test.as_of is not None) == ("mql", True)
    warnings = check(parse(text)).warnings
    line = text.splitlines()[-1]
    assert [(d.code, d.message, d.column) for d in warnings] == [
        ("duplicate-test-item", 'the test "t" gives `previous stage` twice', line.index("mql as of") + 1),
        ("duplicate-test-item", 'the test "t" gives `as of` twice', line.index("as of 2026-02") + 1)]


def test_two_tests_with_one_name_are_a_warning_in_one_file_or_across_the_tests_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from leadpolicy.cli import main

    policy = tmp_path / "p.policy"
    policy.write_text(HEAD + "fields { budget number }\nstages { lead mql when budget > 1 }\n"
                      'test "big" { fields { budget: 3 } expect stage mql }\n'
                      'test "small" { fields { budget: 0 } expect stage lead }\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(policy)])
    assert result.exit_code == 0 and "duplicate-test" not in result.output
    (tmp_path / "p.tests").write_text('test "big" { fields { budget: 30 } expect stage mql }\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(policy)])
    assert result.exit_code == 0  # a warning
    assert f'warning[duplicate-test]: the test name "big" is used twice (first in {policy} on line 4)' in result.output
    assert f"--> {tmp_path / 'p.tests'}:1:1" in result.output
    policy.write_text(policy.read_text(encoding="utf-8").replace('"small"', '"big"'), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(policy)])
    assert 'the test name "big" is used twice (first on line 4)' in result.output and result.output.count("duplicate-test]") == 2


@pytest.mark.parametrize("condition, message, help", [
    ('t = ""', '`t = ""` never holds: blank text in the data counts as missing', "to ask for a blank value, write `t is missing`"),
    ('"  " = t', '`"  " = t` never holds', "write `t is missing`"),
    ('t != ""', '`t != ""` always holds: blank text in the data counts as missing, and a missing value is not equal to anything',
     "to ask for a value, write `t is present`"),
    ('t in ("x", "")', '`""` in this list never matches: blank text in the data counts as missing',
     "remove it; for a blank value too, add `or t is missing`"),
    ('t not in (" ")', '`" "` in this list never matches', "remove it; to leave out blank values too, add `and t is present`"),
    ('t contains ""', '`t contains ""` holds for every value: all text contains the empty text', "write `t is present`"),
    ('t starts with ""', "all text starts with the empty text", "write `t is present`"),
    ('did visit where page = ""', '`page = ""` never holds', "write `page is missing`"),
])
def test_comparing_text_with_blank_text_is_a_warning(condition: str, message: str, help: str) -> None:
    # blank text in the data is missing, so these never hold or always do (they passed without a word)
    text = HEAD + 'fields { t text }\nactivities { visit (page text) }\nstages { lead mql when ' + condition + ' }\n'
    result = check(parse(text))
    assert result.ok
    [warning] = [d for d in result.warnings if d.code == "blank-text"]
    assert message in warning.message and help in (warning.help or "")
    assert {d.code for d in result.warnings} <= {"blank-text", "unused-field", "unused-activity"}


@pytest.mark.parametrize("condition", ['t = "x"', 't contains " "', 't = u', '"" = ""', 't ends with "a"'])
def test_text_comparisons_that_can_hold_draw_no_blank_text_warning(condition: str) -> None:
    text = HEAD + 'fields { t text  u text }\nstages { lead mql when ' + condition + ' }\n'
    assert [d.code for d in check(parse(text)).diagnostics if d.code != "unused-field"] == []


def test_an_enum_compared_with_blank_text_says_why_no_member_is_blank() -> None:
    text = HEAD + 'fields { tier one of (gold, silver) }\nstages { lead mql when tier = "" }\n'
    [error] = check(parse(text)).errors
    assert (error.code, error.message, error.help) == (
        "unknown-member", '`""` is not one of gold, silver: blank text in the data counts as missing',
        "to ask for a blank value, write `is missing`")  # it said "`` is not one of gold, silver"


@pytest.mark.parametrize("condition, help", [
    ('budget >= "10_000"', "numbers are written without quotes: `budget >= 10_000`"),
    ('" 200" < budget', "numbers are written without quotes: `200 < budget`"),
    ('created < "2026-01-01"', "dates are written without quotes: `created < 2026-01-01`"),
    ('created >= "2026-01-01T09:30:00Z"', "dates are written without quotes: `created >= 2026-01-01T09:30:00Z`"),
    ("email = 800", 'text is written in double quotes: `email = "800"`'),
    ('budget >= "lots"', 'numbers are written without quotes (`800`), text with quotes (`"800"`)'),
])
def test_a_literal_quoted_for_the_wrong_type_gets_the_comparison_rewritten(condition: str, help: str) -> None:
    """The help shows the comparison as it must be written (front door: trying check by hand);
    the rewritten condition checks."""
    (error,) = checked("stages { lead  mql when " + condition + " }").errors
    assert error.code == "type-mismatch" and error.help == help
    if "`" in help and ": `" in help:
        fixed = help.split(": `", 1)[1].rstrip("`")
        assert checked("stages { lead  mql when " + fixed + " }").ok


@pytest.mark.parametrize("value, message, help", [
    ('budget: "500"', 'field `budget` is a number, and `"500"` is not', "write the number without quotes: `budget: 500`"),
    ("email: 800", "field `email` is text, and `800` is not", 'write text in double quotes: `email: "800"`'),
    ('ok: "yes"', 'field `ok` is a boolean, and `"yes"` is not', "write `ok: true`"),
    ("ok: 0", "field `ok` is a boolean, and `0` is not", "write `ok: false`"),
    ('budget: "lots"', 'field `budget` is a number, and `"lots"` is not', "write a number without quotes: `800`"),
])
def test_a_test_value_of_the_wrong_type_is_shown_as_written_with_its_fix(value: str, message: str, help: str) -> None:
    (error,) = checked('stages { lead }\ntest "t" {\n  fields { ' + value + ' }\n  expect stage lead\n}\n').errors
    assert (error.code, error.message, error.help) == ("test-value", message, help)


def _look_alikes(body: str) -> list:
    result = checked(body)
    assert result.ok, [d.message for d in result.errors]
    return [d for d in result.warnings if d.code == "look-alike-names"]


def test_look_alike_rule_names_across_blocks_are_a_warning_at_the_second() -> None:
    (warning,) = _look_alikes(
        'stages { lead }\nengagement {\n  "Chat": +5 per chat\n}\nfit {\n  "Ch\u0430t": +1 when budget > 1\n}\n'
    )
    assert warning.message == "the rule `Ch\u0430t` looks like the rule `Chat` but is another name"
    assert (warning.span.line, warning.span.column, warning.span.end_column) == (14, 3, 9)
    assert warning.notes == ("`Chat` is the rule on line 11",)
    assert warning.help.startswith(
        "character 3 is U+0430 CYRILLIC SMALL LETTER A where `Chat` has U+0061 LATIN SMALL LETTER A")


def test_look_alike_members_of_one_field_and_an_unseen_character_are_warnings() -> None:
    result = check(parse(HEAD + 'fields { tier one of (gold, "go\u200bld", silver)  other one of (gold, "g\u043eld") }\n'
                         'stages { lead }\nfit { "F": +1 when tier = gold or other = gold }\n', "t.policy"))
    assert result.ok, [d.message for d in result.errors]
    warnings = [d for d in result.warnings if d.code == "look-alike-names"]
    assert [w.message for w in warnings] == [
        "the member `go\u200bld` of `tier` looks like the member `gold` but is another name",
        "the member `g\u043eld` of `other` looks like the member `gold` but is another name",
    ]
    assert "U+200B ZERO WIDTH SPACE, which does not show" in warnings[0].help


@pytest.mark.parametrize("body", [
    'stages { lead }\nfit { "Big": +1 when budget > 1  "Bag": +1 when budget > 2 }',  # ASCII names that differ
    'stages { lead }\nfit { "caf\u00e9": +1 when budget > 1  "Caf\u00e9": +1 when budget > 2 }',  # case, no look-alike letter
])
def test_names_a_writer_can_tell_apart_are_not_look_alikes(body: str) -> None:
    assert [d.code for d in checked(body).diagnostics if d.code == "look-alike-names"] == []


def test_members_of_two_fields_are_not_compared() -> None:
    result = check(parse(HEAD + 'fields { a one of (x)  b one of ("\u0445") }\nstages { lead mql when a = x or b = "\u0445" }\n'))
    assert result.diagnostics == []


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.policy")), ids=lambda p: p.name)
def test_no_example_policy_has_look_alike_names(path: Path) -> None:
    result = check(parse(path.read_text(encoding="utf-8"), str(path)))
    assert [d.message for d in result.diagnostics if d.code == "look-alike-names"] == []


def test_check_exits_0_for_a_policy_whose_only_problem_is_look_alike_names(tmp_path: Path) -> None:
    path = tmp_path / "twins.policy"
    path.write_text(HEAD + 'fields { budget number }\nstages { lead }\nfit {\n  "Big": +1 when budget > 1\n'
                    '  "B\u0456g": +1 when budget > 2\n}\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "leadpolicy", "check", str(path)], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), encoding="utf-8")
    assert run.returncode == 0, run.stderr
    shown = run.stdout + run.stderr
    assert "warning[look-alike-names]" in shown and "= note: `Big` is the rule on line 5" in shown


GRADES_NAMED_LIKE_OTHERS = '''policy "Letters" version "1"
fields { n number }
stages {
  lead
  hot when grade = hot
  top when grade in (hot, n) and hot
}
grades {
  hot  when n > 1
  n    when n > 0
  lead otherwise
}
disqualify { "Negative": when grade in (n, lead) and n < 0 }
test "hot" { as of 2026-01-01  fields { n: 2 }  expect grade hot  expect stage top }
test "n" { as of 2026-01-01  fields { n: 0.5 }  expect grade n  expect stage lead }
test "out" { as of 2026-01-01  fields { n: -1 }  expect grade lead  expect stage disqualified }
'''


def test_grade_compares_with_its_letters_even_one_named_like_a_stage_or_field(tmp_path: Path) -> None:
    """A letter is any identifier, and `grade` compares with the declared letters: `grade = hot`
    beside a stage `hot` (and `n` beside a field `n`) is the letter, not the stage or field."""
    result = check(parse(GRADES_NAMED_LIKE_OTHERS, "t.policy"))
    assert result.ok, [d.message for d in result.errors]
    hot, top = result.policy.stages[1].condition, result.policy.stages[2].condition
    assert hot.right == n.GradeValue("hot")
    in_list, stage = top.operands
    assert in_list.items == (n.GradeValue("hot"), n.GradeValue("n")) and isinstance(stage, n.StageRef)
    path = tmp_path / "letters.policy"
    path.write_text(GRADES_NAMED_LIKE_OTHERS, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "leadpolicy", "test", str(path)], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0 and "3 passed" in run.stdout, run.stdout + run.stderr


def test_grade_letters_named_like_a_stage_decide_alike_in_every_back_end() -> None:
    pytest.importorskip("duckdb")
    from support.backends import Case, run_duckdb, run_python, run_reference

    import leadpolicy

    lines = ['{"id": %d, "fields": {"n": %s}}' % (i, value) for i, value in enumerate(["2", "0.5", "-1", "null"])]
    case = Case(leadpolicy.loads(GRADES_NAMED_LIKE_OTHERS), lines, "2026-01-01")
    expected = run_reference(case)
    assert [json_stage(text) for _, text in expected] == ["top", "lead", "disqualified", "lead"]
    assert run_python(case) == expected and run_duckdb(case) == expected


def json_stage(text: str) -> str:
    import json

    return json.loads(text)["stage"]


def test_check_format_json_carries_a_diagnostics_notes(tmp_path: Path) -> None:
    """The look-alike warning's note (where the other name is) reached the text and the editor, not
    `check --format json`: the JSON had no `notes`. Now a list, `[]` where a diagnostic has none."""
    path = tmp_path / "twins.policy"
    path.write_text(HEAD + 'fields { budget number  unused number }\nstages { lead }\nfit {\n'
                    '  "Big": +1 when budget > 1\n  "B\u0456g": +1 when budget > 2\n}\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "leadpolicy", "check", "--format", "json", str(path)],
                         capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), encoding="utf-8")
    assert run.returncode == 0, run.stderr
    notes = {d["code"]: d["notes"] for d in json.loads(run.stdout)}
    assert notes == {"look-alike-names": ["`Big` is the rule on line 5"], "unused-field": []}
