"""A word of the language glued to the next word is one name (docs/language-reference.md 2.3;
decisions.md 68). The contextual lexer used to match the keyword as a prefix where no name may
stand (`+5 percall` was `per call`, `expect gradeA` was `grade A`, `every3 days` was `every 3
days`). Here: every keyword of the example policies and their tests, glued to the word or number
after it, is refused, with a hint whose edit is the space put back; a number glued to a word
still reads as the number and the word (`30days`); and, over random policies, a glued keyword
never parses to the policy the spaced text is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import pytest
from hypothesis import assume, given, strategies as st
from support.policygen import examples, policies

from leadpolicy.check.checker import check
from leadpolicy.syntax.comments import SourceToken, recording
from leadpolicy.syntax.diagnostics import Diagnostic, PolicyError
from leadpolicy.syntax.parser import RESERVED_WORDS, lark_parser, parse, parse_tests

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "policies").glob("*.policy")) + sorted((ROOT / "policies").glob("*.tests"))
HEAD = 'policy "p" version "1"\nfields { ok boolean  x number }\nactivities { call (inbound boolean) }\n'


def _tokens(text: str, start: str) -> list[SourceToken]:
    with recording(text) as table:
        lark_parser().parse(text, start=start)
    return table.tokens


def _glued_pairs(text: str, start: str) -> list[tuple[SourceToken, SourceToken]]:
    """Each word of the language with the word or number after it (white space between them)."""
    tokens = _tokens(text, start)
    return [(a, b) for a, b in zip(tokens, tokens[1:])
            if a.text in RESERVED_WORDS and re.fullmatch(r"[ \t\r\n]+", text[a.end:b.start]) and re.match(r"\w", b.text)]


def _first_error(text: str, is_tests: bool, name: str) -> Optional[Diagnostic]:
    """The first diagnostic `leadpolicy check` gives: a syntax error, else the checker's first error."""
    try:
        tree: Any = parse_tests(text, name) if is_tests else parse(text, name)
    except PolicyError as error:
        return error.diagnostics[0]
    if is_tests:
        return None
    return next((d for d in check(tree).diagnostics if d.is_error), None)


def _fixed(text: str, d: Diagnostic) -> Optional[str]:
    if d.edit is None or d.span is None:
        return None
    start, end, replacement = d.edit
    return text[:d.span.start + start] + replacement + text[d.span.start + end:]


def _one_of_each_kind() -> list[tuple[str, str, int, int]]:
    """(file name, text, end of the keyword, start of what follows): the first place in the
    examples each keyword stands before each kind of token."""
    seen: set[tuple[str, str]] = set()
    found = []
    for path in EXAMPLES:
        text = path.read_text(encoding="utf-8")
        for a, b in _glued_pairs(text, "tests_file" if path.suffix == ".tests" else "start"):
            if (a.text, b.type) not in seen:
                seen.add((a.text, b.type))
                found.append((path.name, text, a.end, b.start))
    return found


def test_every_keyword_glued_to_what_follows_is_refused_and_the_hint_puts_the_space_back() -> None:
    kinds = _one_of_each_kind()
    assert len(kinds) > 70  # every pair of the probe: `percall`, `whenok`, `every3`, `gradeA`, `daysago`, ...
    wrong = []
    for name, text, end, start in kinds:
        glued = text[:end] + text[start:]
        spaced = text[:end] + " " + text[start:]
        d = _first_error(glued, name.endswith(".tests"), name)
        if d is None or _fixed(glued, d) != spaced:
            line = glued.count("\n", 0, end) + 1
            wrong.append(f"{name}:{line}: {glued.splitlines()[line - 1].strip()!r}: {d and (d.code, d.message, d.help)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("body", "message", "shown"),
    [
        ("stages { lead\n  mql whenok }\n", "`whenok` is not a word of the language: `when` needs a space after it",
         "did you mean `when ok`? `mql when ok }`"),
        ('stages { lead }\nengagement { "Calls": +5 percall }\n', "`percall` is not a word of the language",
         'did you mean `per call`? `engagement { "Calls": +5 per call }`'),
        ('stages { lead }\nengagement { "Calls": +5 per call\n  decay 10% every3 days }\n', "`every3` is not a word",
         "did you mean `every 3`? `decay 10% every 3 days }`"),
        ('stages { lead }\ngrades { A otherwise }\ntest "t" { as of 2026-01-01  expect gradeA }\n', "`gradeA` is not",
         'did you mean `grade A`? `test "t" { as of 2026-01-01  expect grade A }`'),
        ("stages { lead\n  mql when did call within30 days }\n", "`within30` is not",
         "did you mean `within 30`? `mql when did call within 30 days }`"),
        ("stages { lead\n  mql when x > 3 andok }\n", "`andok` is not", "did you mean `and ok`? `mql when x > 3 and ok }`"),
        ("stages { lead\n  mql when didcall within 3 days }\n", "`didcall` is not",
         "did you mean `did call`? `mql when did call within 3 days }`"),
        ("stages { lead\n  mql when nocall }\n", "there is no field or stage `nocall`: `no` needs a space after it",
         "did you mean `no call`?"),  # the checker's: it shows the line above, not in the help
        ("stages { lead\n  mql when did call where notinbound }\n", "activity `call` has no property `notinbound`: `not`",
         "did you mean `not inbound`?"),
    ],
)
def test_the_hint_shows_the_words_apart_in_the_writers_line(body: str, message: str, shown: str) -> None:
    text = HEAD + body
    d = _first_error(text, False, "p.policy")
    assert d is not None and d.message.startswith(message) and d.help == shown, d
    fixed = _fixed(text, d)
    assert fixed is not None and check(parse(fixed)).ok, fixed


def test_a_stage_that_starts_like_a_word_of_the_language_is_a_stage() -> None:
    """`orange`, `notice` and `android` are names: with a condition they are stages like any other."""
    text = HEAD + "stages { lead\n  orange when ok\n  notice when x > 3\n  android when orange }\n"
    assert [s.name for s in parse(text).stages] == ["lead", "orange", "notice", "android"]


@pytest.mark.parametrize(
    ("glued", "spaced"),
    [
        ("mql when did call within 30days", "mql when did call within 30 days"),
        ("mql when did call at least 2times within 1week", "mql when did call at least 2 times within 1 week"),
        ("mql when x >= 3and ok", "mql when x >= 3 and ok"),
        ("mql when at least 1of (ok, x > 2)", "mql when at least 1 of (ok, x > 2)"),
    ],
)
def test_a_number_glued_to_a_word_is_the_number_and_the_word(glued: str, spaced: str) -> None:
    """Section 2.6: a number is digits, so it ends where they do; the word after it is a word."""
    assert parse(HEAD + f"stages {{ lead\n  {glued} }}\n") == parse(HEAD + f"stages {{ lead\n  {spaced} }}\n")
    engagement = 'stages { lead }\nengagement { "c": +5per call within 3days max 10\n  decay 10% every 2weeks }\n'
    assert parse(HEAD + engagement) == parse(HEAD + engagement.replace("5per", "5 per").replace("3days", "3 days")
                                             .replace("2weeks", "2 weeks"))


@examples()
@given(policies(), st.data())
def test_a_glued_keyword_never_parses_as_the_spaced_text(text: str, data: st.DataObject) -> None:
    pairs = _glued_pairs(text, "start")
    assume(pairs)
    a, b = data.draw(st.sampled_from(pairs))
    glued = text[:a.end] + text[b.start:]
    try:
        tree = parse(glued)
    except PolicyError:
        return
    assert tree != parse(text), (a.text, b.text)
