"""Issue 9 item 10: the words of the language are never names. Every reserved word
(LANGUAGE.md section 2), in every position where a name may stand, is an error
reported at the word itself, never further on."""

from __future__ import annotations

import pytest

from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.parser import RESERVED_WORDS, parse, parse_tests

HEAD = 'policy "p" version "1"\n'
DECLS = "fields { x number  t one of (a, b) }\nactivities { call (p number) }\n"

# Where a name may stand, "@" marking the place; the words that have a meaning of their own
# there (a literal, a score, the start of a condition) are left out of that position.
VALUE_WORDS = {"true", "false", "engagement", "fit", "grade", "days"}
CONDITION_WORDS = VALUE_WORDS | {"not", "did", "no", "at"}
POLICY_POSITIONS = {
    "owner role": ('policy "p" version "1" owner @ "Ann"\nstages { lead }\n', set()),
    "field": (HEAD + "fields { @ number }\nstages { lead }\n", set()),
    "enum member": (HEAD + "fields { t one of (a, @) }\nstages { lead }\n", set()),
    "activity": (HEAD + "activities { @ }\nstages { lead }\n", set()),
    "property": (HEAD + "activities { call (@ number) }\nstages { lead }\n", set()),
    "property type's member": (HEAD + "activities { call (q one of (@)) }\nstages { lead }\n", set()),
    "first stage": (HEAD + "stages { @ }\n", set()),
    "later stage": (HEAD + DECLS + "stages { lead @ }\n", {"when"}),
    "group": (HEAD + DECLS + 'stages { lead }\nfit { @ { "r": +1 when x > 1 } }\n', set()),
    "grade band": (HEAD + DECLS + "stages { lead }\ngrades { @ otherwise }\n", set()),
    "engagement activity": (HEAD + DECLS + 'stages { lead }\nengagement { "e": +1 per @ }\n', set()),
    "demote source": (HEAD + DECLS + 'stages { lead mql }\ndemote { "d": @ -> lead when x > 1 }\n', set()),
    "demote target": (HEAD + DECLS + 'stages { lead mql }\ndemote { "d": mql -> @ when x > 1 }\n', set()),
    "compared value": (HEAD + DECLS + "stages { lead mql when x >= @ }\n", VALUE_WORDS),
    "operand": (HEAD + DECLS + "stages { lead mql when @ > 1 }\n", CONDITION_WORDS),
    "after and": (HEAD + DECLS + "stages { lead mql when x > 1 and @ > 1 }\n", CONDITION_WORDS),
    "in list": (HEAD + DECLS + "stages { lead mql when t in (a, @) }\n", VALUE_WORDS),
    "days since": (HEAD + DECLS + "stages { lead mql when days since @ > 1 }\n", set()),
    "did": (HEAD + DECLS + "stages { lead mql when did @ }\n", {"activity"}),
    "where property": (HEAD + DECLS + "stages { lead mql when did call where @ = 1 }\n", CONDITION_WORDS - {"did", "no"}),
    "arithmetic": (HEAD + DECLS + "stages { lead mql when x + @ > 1 }\n", VALUE_WORDS),
}
TEST_POSITIONS = {
    "previous stage": 'test "t" { previous stage @ }\n',
    "expect stage": 'test "t" { expect stage @ }\n',
    "expect grade": 'test "t" { expect grade @ }\n',
    "expect change": 'test "t" { expect change @ }\n',
    "test field": 'test "t" { fields { @: 1 } }\n',
    "test field value": 'test "t" { fields { x: @ } }\n',
    "test activity": 'test "t" { activity @ 1 day ago }\n',
    "test activity property": 'test "t" { activity call (@: 1) 1 day ago }\n',
}
TEST_VALUE_WORDS = {"true", "false"}


def _error_at_the_word(parse_text, template: str, word: str) -> None:
    text = template.replace("@", word)
    offset = template.index("@")
    with pytest.raises(PolicyError) as caught:
        parse_text(text)
    (d,) = caught.value.diagnostics
    assert d.code in ("syntax-error", "reserved-name"), d.message
    assert d.span.start == offset, f"{text!r}: reported at {d.line}:{d.column}, not at `{word}`: {d.message}"
    assert d.span.end == offset + len(word)


@pytest.mark.parametrize("position", sorted(POLICY_POSITIONS))
def test_every_reserved_word_in_every_name_position_of_a_policy(position: str) -> None:
    template, meaningful = POLICY_POSITIONS[position]
    for word in sorted(RESERVED_WORDS - meaningful):
        _error_at_the_word(parse, template, word)


@pytest.mark.parametrize("position", sorted(TEST_POSITIONS))
def test_every_reserved_word_in_every_name_position_of_a_test(position: str) -> None:
    meaningful = TEST_VALUE_WORDS if position == "test field value" else set()
    for word in sorted(RESERVED_WORDS - meaningful):
        _error_at_the_word(parse_tests, TEST_POSITIONS[position], word)


def test_the_reserved_words_are_those_of_language_md_section_2() -> None:
    from leadpolicy.check.checker import RESERVED

    assert RESERVED_WORDS == RESERVED and len(RESERVED_WORDS) == 60


def test_the_reported_case_from_issue_9() -> None:
    text = HEAD + "fields { x number }\nstages { lead mql when engagement >= and fit >= 40 }\n"
    with pytest.raises(PolicyError) as caught:
        parse(text)
    (d,) = caught.value.diagnostics
    assert (d.line, d.column, d.message) == (3, 38, "expected a value after `>=`")


@pytest.mark.parametrize(
    "text, what",
    [
        ("fields { date date }\nstages { lead }", "field"),
        ("activities { and }\nstages { lead }", "activity"),
        ("activities { call (at date) }\nstages { lead }", "property"),
        ("stages { lead when }", None),
        ("stages { lead stage }", "stage"),
        ('fields { x number }\nstages { lead }\nfit { or { "a": +1 when x > 1 } }', "group"),
        # after a closing bracket the parser has not reduced yet (found trying it by hand)
        ("fields { tier one of (a, b)\n  stage text }\nstages { lead }", "field"),
        ("activities { call (p number)\n  at }\nstages { lead }", "activity"),
        ("activities { call (q one of (x))\n  since }\nstages { lead }", "activity"),
        ("fields { x number }\nstages { lead\n  mql when (x > 1)\n  stage }", "stage"),
    ],
)
def test_declarations_say_what_the_word_cannot_name(text: str, what) -> None:
    with pytest.raises(PolicyError) as caught:
        parse(HEAD + text)
    (d,) = caught.value.diagnostics
    if what is None:
        assert d.code == "syntax-error"
    else:
        assert d.code == "reserved-name" and d.message.endswith(f"cannot name a {what}"), d.message


def test_names_that_merely_start_with_a_reserved_word_are_names() -> None:
    policy = parse(HEAD + "fields { dates number  notes text  ord number  Stage number }\nstages { lead mql when dates > 1 }\n")
    assert [f.name for f in policy.fields] == ["dates", "notes", "ord", "Stage"]


@pytest.mark.parametrize("value, message, help", [
    ("no", "`no` is a word of the language, not a value", "a boolean is `true` or `false`: write `x: false`"),
    ("stage", "`stage` is a word of the language, not a value", 'as a value, write it in double quotes: `x: "stage"`'),
])
def test_a_word_of_the_language_as_a_test_value_is_not_called_a_name(value: str, message: str, help: str) -> None:
    """`fields { vip: no }` in a test read "`no` ... cannot name a field" (the `{` of `fields`
    made it look like a declaration; found trying tests by hand)."""
    with pytest.raises(PolicyError) as caught:
        parse_tests(f'test "t" {{ fields {{ x: {value} }} }}\n')
    (d,) = caught.value.diagnostics
    assert (d.code, d.message, d.help) == ("syntax-error", message, help)
