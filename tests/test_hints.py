"""Issue 9 item 12: the mistakes newcomers type get a message that says what is
wrong and a `help:` that shows the fix in their own text (the rendered messages
are pinned by the golden cases tests/golden/diagnostics/syntax-error-*.policy).
Here: every hint's fix is a real fix. Made in a random valid policy, each
mistake gets its hint, and the text with the hint's edit made parses past
the point of the error (checked here independently of `hint_for`, which
drops a hint whose fix would not help); so does every hint given for a
random stray character."""

from __future__ import annotations

import re
from typing import Optional

import pytest
from hypothesis import assume, given, strategies as st
from lark import Token
from lark.exceptions import UnexpectedInput
from support.policygen import examples, policies

from leadpolicy.syntax import hints
from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.hints import apply_fix, block_keywords, error_offset, hint_for
from leadpolicy.syntax.parser import RESERVED_WORDS, lark_parser, parse

HEAD = 'policy "p" version "1"\nfields { x number  t one of (a, b)  ok boolean  s text }\nactivities { call (p text) }\n'


def _error(text: str) -> Optional[UnexpectedInput]:
    try:
        lark_parser().parse(text, start="start")
    except UnexpectedInput as error:
        return error
    return None


def _assert_fix_parses_past(text: str, error: UnexpectedInput, hint: hints.Hint) -> None:
    """With the hint's edit made, the text parses, or its first error lies beyond both the edit
    and the place of the old error."""
    start, end, replacement = hint.fix
    fixed = apply_fix(text, hint.fix)
    after = _error(fixed)
    if after is None:
        return
    old = error_offset(error, text)
    shifted = old + len(replacement) - (end - start) if old >= end else start
    assert error_offset(after, fixed) > max(shifted, start + len(replacement)), (hint, fixed, after)


# ---------------------------------------------------------------- mistakes made in random policies


def _tokens(text: str) -> list[Token]:
    return list(lark_parser().lex(text))


_OTHER_COMPARISONS = {">=": "=>", "<=": "=<", "!=": "<>"}  # as other languages write them


def _sites(kind: str, text: str) -> list[tuple[int, int, str]]:
    """Every place `kind` of mistake can be made in `text`, as edits (start, end, replacement)."""
    tokens = _tokens(text)
    sites: list[tuple[int, int, str]] = []
    depth, opened = 0, []
    for i, tok in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if kind == "double-equals" and tok.type == "COMPARE" and tok == "=":
            sites.append((tok.end_pos, tok.end_pos, "="))
        elif kind == "other-comparison" and tok.type == "COMPARE" and tok in _OTHER_COMPARISONS:
            sites.append((tok.start_pos, tok.end_pos, _OTHER_COMPARISONS[str(tok)]))
        elif kind == "capital-keyword" and tok.type in ("AND", "OR", "NOT", "WHEN", "WITHIN", "PER") and opened \
                and opened[0] in ("engagement", "fit", "demote", "disqualify", "grades") \
                and not (tok.type == "NOT" and following is not None and following.type == "MINUS"):
            # (`NOT - 1.5 = 1.5` is a field `NOT` less 1.5: no error to hint at)
            sites.append((tok.start_pos, tok.end_pos, str(tok).upper()))
        elif kind == "clause-order" and tok.type == "WITHIN" and i + 4 < len(tokens) and tokens[i + 3].type == "MAX":
            within, cap = text[tok.start_pos:tokens[i + 2].end_pos], text[tokens[i + 3].start_pos:tokens[i + 4].end_pos]
            sites.append((tok.start_pos, tokens[i + 4].end_pos, f"{cap} {within}"))  # `max 5 within 3 days`
        elif kind == "clause-order" and tok.type == "AT" and i + 6 < len(tokens) and tokens[i + 3].type == "TIMES" \
                and tokens[i + 4].type == "WITHIN":
            times, within = text[tok.start_pos:tokens[i + 3].end_pos], text[tokens[i + 4].start_pos:tokens[i + 6].end_pos]
            sites.append((tok.start_pos, tokens[i + 6].end_pos, f"{within} {times}"))  # `within 7 days at least 2 times`
        elif kind == "and-and" and tok.type == "AND":
            sites.append((tok.start_pos, tok.end_pos, "&&"))
        elif kind == "or-or" and tok.type == "OR":
            sites.append((tok.start_pos, tok.end_pos, "||"))
        elif kind == "bang" and tok.type == "NOT" and following is not None and following.type != "IN":
            sites.append((tok.start_pos, following.start_pos, "!"))
        elif kind == "single-quotes" and tok.type == "STRING" and not set("'\\") & set(tok):
            sites.append((tok.start_pos, tok.end_pos, "'" + tok[1:-1] + "'"))
        elif kind == "curly-quotes" and tok.type == "STRING" and not set("\\“”") & set(tok):
            sites.append((tok.start_pos, tok.end_pos, "“" + tok[1:-1] + "”"))
        elif kind == "bracket-list" and tok.type == "IN" and following == "(":
            close = next(t for t in tokens[i + 2:] if t == ")")  # in-lists hold literals and names only
            sites.append((following.start_pos, close.end_pos, "[" + text[following.end_pos:close.start_pos] + "]"))
        elif kind == "glued-test" and tok.type in ("ENDS", "STARTS") and following is not None and following.type == "WITH" \
                and opened and opened[0] in ("engagement", "fit", "demote", "disqualify", "grades"):
            # (in a stage condition `s endswith "x"` reads as a next stage `endswith` described "x": no syntax error)
            sites.append((tok.start_pos, following.end_pos, tok + "with"))
        elif kind == "underscored-words" and tok.type in ("AT", "IS") and following is not None \
                and following.type in ("LEAST", "MISSING", "PRESENT") and opened \
                and opened[0] in ("engagement", "fit", "demote", "disqualify", "grades"):
            # `at_least 2`, `is_missing` (in a stage condition `x is_missing }` parses, a stage `is_missing`:
            # the parser's stage check says it, test_underscored_words_that_parse_as_a_stage)
            sites.append((tok.start_pos, following.end_pos, f"{tok}_{following}"))
        elif kind == "underscored-number" and tok.type in ("MAX", "WITHIN") and following is not None \
                and following.type == "NUMBER" and str(following).isdigit():
            sites.append((tok.start_pos, following.end_pos, f"{tok}_{following}"))  # `max_10`, `within_30`
        elif kind == "is-for-equals" and tok.type == "COMPARE" and tok in ("=", "!=") and following is not None \
                and following.type in ("NUMBER", "STRING", "MINUS"):
            sites.append((tok.start_pos, tok.end_pos, "is" if tok == "=" else "is not"))  # `x is 3`, `x is not 3`
        elif kind == "decay-slip" and tok.type == "PERCENT":
            sites.append((tok.start_pos, tok.end_pos, ""))  # `decay 50 every 30 days`
        elif kind == "decay-slip" and tok.type == "EVERY":
            sites.append((tok.start_pos, tok.end_pos, "per"))  # `decay 50% per 30 days`
        elif kind == "expect-is" and tok.type in ("STAGE", "GRADE", "CHANGE") and i and tokens[i - 1].type == "EXPECT":
            sites.append((tok.end_pos, tok.end_pos, " is"))
        elif kind == "expect-unquoted" and tok.type == "STRING" and i and tokens[i - 1].type == "HIT" \
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]", tok[1:-1]):
            sites.append((tok.start_pos, tok.end_pos, tok[1:-1]))  # `expect hit Demo`
        elif kind == "expect-unquoted" and tok.type == "IDENT" and i > 1 and tokens[i - 1].type in ("STAGE", "GRADE") \
                and tokens[i - 2].type in ("EXPECT", "PREVIOUS"):
            sites.append((tok.start_pos, tok.end_pos, f'"{tok}"'))  # `expect stage "lead"`
        elif kind in ("expect-score", "expect-not-hit") and i and tokens[i - 1].type == "EXPECT" \
                and tok.type in (("FIT", "ENGAGEMENT") if kind == "expect-score" else ("NO",)):
            sites.append((tok.start_pos, tok.end_pos, "score" if kind == "expect-score" else "not"))
        elif kind == "missing-with" and tok.type == "WITH":
            sites.append((tok.start_pos - 1, tok.end_pos, ""))
        elif kind == "expect-compare" and tok.type in ("STAGE", "GRADE", "CHANGE") and i and tokens[i - 1].type in ("EXPECT", "PREVIOUS"):
            sites.append((tok.end_pos, tok.end_pos, " ="))
        elif kind == "unknown-escape" and tok.type == "STRING":
            sites.append((tok.start_pos + 1, tok.start_pos + 1, "\\n"))
        elif kind == "signed-cap" and tok.type == "MAX":
            sites.append((tok.end_pos, tok.end_pos, " -"))
        elif kind == "unquoted-name" and tok.type == "STRING" and following is not None and following == ":" \
                and re.fullmatch(r"[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]", tok[1:-1]):
            sites.append((tok.start_pos, tok.end_pos, tok[1:-1]))
        elif kind in ("no-colon", "no-name") and tok.type == "STRING" and following is not None and following == ":" \
                and opened and opened[0] in ("engagement", "fit", "demote", "disqualify"):
            # a rule's name without its colon (`"e" +1 per call`), or no name at all (`+1 per call`)
            sites.append((following.start_pos, following.end_pos, "") if kind == "no-colon"
                         else (tok.start_pos, following.end_pos, ""))
        elif kind == "arrow-to" and tok == "->":
            sites.append((tok.start_pos, tok.end_pos, "to"))
        elif kind == "glued-word" and tok.type == "UNIT" and opened and opened[0] == "engagement":
            # (in a stage condition `within 9 daysz` reads as `days` and a next stage `z`: no error there)
            sites.append((tok.end_pos, tok.end_pos, "z"))
        elif kind == "short-unit" and tok.type == "UNIT" and opened and opened[0] == "engagement":
            sites.append((tok.start_pos - 1, tok.end_pos, tok[0]))  # `within 9 days` -> `within 9d`
        elif kind == "misspelt-block" and depth == 0 and str(tok) in block_keywords() and len(tok) > 3:
            sites.append((tok.start_pos + 1, tok.start_pos + 2, ""))
        if tok in ("{", "("):
            opened.append(tokens[i - 1] if i else None)
            depth += tok == "{"
        elif tok in ("}", ")"):
            before = opened.pop()
            depth -= tok == "}"
            if kind == "unclosed-brace" and tok == "}" and depth == 0:
                sites.append((tok.start_pos, tok.end_pos, ""))
            if kind == "unclosed-paren" and tok == ")":
                sites.append((tok.start_pos, tok.end_pos, ""))
            if kind == "trailing-comma" and tok == ")" and before is not None and before.type == "IN":
                sites.append((tok.start_pos, tok.start_pos, ","))
    return sites


KINDS = ["double-equals", "and-and", "or-or", "bang", "single-quotes", "unknown-escape", "signed-cap",
         "misspelt-block", "unclosed-brace", "trailing-comma", "unclosed-paren", "unquoted-name", "glued-word",
         "short-unit", "no-colon", "no-name", "arrow-to", "other-comparison", "capital-keyword", "clause-order",
         "curly-quotes", "bracket-list", "glued-test", "missing-with", "expect-compare",
         "underscored-words", "expect-score", "expect-not-hit", "underscored-number",
         "expect-is", "expect-unquoted", "is-for-equals", "decay-slip"]


@examples()
@given(policies(), st.sampled_from(KINDS), st.data())
def test_each_mistake_gets_a_hint_whose_fix_parses(text: str, kind: str, data) -> None:
    sites = _sites(kind, text)
    assume(sites)
    site = data.draw(st.sampled_from(sites))
    broken = apply_fix(text, site)
    error = _error(broken)
    assert error is not None, broken
    hint = hint_for(error, broken)
    next_word = broken[site[0]:].split(None, 1)
    if kind == "unclosed-brace" and next_word and next_word[0] in ("fields", "activity", "as", "expect", "previous"):
        return  # a test block left open: the next block's words read as test items; the error is elsewhere
    if kind == "unclosed-paren" and hint is None:
        return  # hinted only where the block's `}` or the next block comes while `(` is open
    assert hint is not None, (kind, broken)
    _assert_fix_parses_past(broken, error, hint)
    if kind in ("double-equals", "other-comparison", "capital-keyword", "clause-order", "and-and", "or-or", "bang", "single-quotes", "unknown-escape", "signed-cap",
                "trailing-comma", "unquoted-name", "no-colon", "no-name", "arrow-to", "curly-quotes", "bracket-list",
                "glued-test", "missing-with", "expect-compare", "underscored-words", "expect-score",
                "expect-not-hit", "underscored-number", "expect-is", "expect-unquoted",
                "is-for-equals", "decay-slip"):
        assert _error(apply_fix(broken, hint.fix)) is None  # the fix gives back a policy that parses


STRAYS = ["=", "&", "&&", "|", "||", "!", "'", "=>", "<>", "≥", "≠", "$", ",000", "k", ".", " pts", "e3", ";", ", ", ",", "-", "+", "}", "{", "(", ")", "\\", '"', "max", "test"]


@examples()
@given(policies(), st.sampled_from(STRAYS), st.data())
def test_every_hint_for_a_stray_character_is_a_real_fix(text: str, stray: str, data) -> None:
    at = data.draw(st.integers(0, len(text)))
    broken = text[:at] + stray + text[at:]
    error = _error(broken)
    assume(error is not None)
    hint = hint_for(error, broken)
    if hint is not None:
        _assert_fix_parses_past(broken, error, hint)


# ---------------------------------------------------------------- what the hints say


def _diagnostic(body: str):
    with pytest.raises(PolicyError) as caught:
        parse(HEAD + body)
    (d,) = caught.value.diagnostics
    return d


@pytest.mark.parametrize(
    "body, message, shown",
    [
        ("stages { lead mql when x == 40 }", "`==` is written `=` in a policy", "`stages { lead mql when x = 40 }`"),
        # text pasted from a document or another language's habits (found writing policies in the editor)
        ('stages { lead mql when s starts with “VP” }', "strings take straight double quotes `\"`, not `“”`",
         'write `"VP"`: `stages { lead mql when s starts with "VP" }`'),
        ("stages { lead mql when t in [a, b] }", "a list is written in parentheses, not `[...]`",
         "write `(a, b)`: `stages { lead mql when t in (a, b) }`"),
        # a bracket inside a member's string is its text (hypothesis found `not in [")"]` without a hint)
        ('stages { lead mql when s not in [")", "]"] }', "a list is written in parentheses, not `[...]`",
         'write `(")", "]")`: `stages { lead mql when s not in (")", "]") }`'),
        ('stages { lead }\nfit { "a": +5 when s endswith "x" }', "`endswith` is written `ends with`, two words",
         '`fit { "a": +5 when s ends with "x" }`'),
        ("stages { lead mql when t not_in (a) }", "`not_in` is written `not in`", "`stages { lead mql when t not in (a) }`"),
        ('stages { lead mql when s ends "x" }', "the text test is `ends with`, not `ends` alone",
         '`stages { lead mql when s ends with "x" }`'),
        ("stages { lead mql when x is not missing }", "`is not missing` is written `is present`",
         "`stages { lead mql when x is present }`"),
        ("stages { lead mql when x is not present }", "`is not present` is written `is missing`",
         "`stages { lead mql when x is missing }`"),
        # a test names its stage, grade and change, as `expect fit = 60` compares a score
        ('stages { lead }\ntest "t" {\n  expect stage = lead\n}', "a stage is named, not compared with `=`",
         "remove `=`: `expect stage lead`"),
        ('stages { lead }\ntest "t" {\n  previous stage == lead\n}', "a stage is named, not compared with `==`",
         "`previous stage lead`"),
        ('stages { lead }\ngrades { A otherwise }\ntest "t" {\n  expect grade = A\n}', "a grade is named", "`expect grade A`"),
        ('stages { lead }\ntest "t" {\n  expect change:new\n}', "a change is named, not compared with `:`",
         "`expect change new`"),
        # other languages' comparisons (found trying the language as a newcomer: `fit => 40` said only
        # "unexpected `>`, expected `(`, `-`, a date, ...")
        ("stages { lead mql when x => 40 }", "`=>` is written `>=` in a policy", "write `>=`: `stages { lead mql when x >= 40 }`"),
        ("stages { lead mql when x =< 40 }", "`=<` is written `<=`", "`stages { lead mql when x <= 40 }`"),
        ("stages { lead mql when x <> 40 }", "`<>` is written `!=`", "`stages { lead mql when x != 40 }`"),
        ("stages { lead mql when x =! 40 }", "`=!` is written `!=`", "`stages { lead mql when x != 40 }`"),
        ("stages { lead mql when x ≥ 40 }", "`≥` is written `>=`", "`stages { lead mql when x >= 40 }`"),
        ("stages { lead mql when x≤40 }", "`≤` is written `<=`", "`stages { lead mql when x<=40 }`"),
        ("stages { lead mql when x ≠ 40 }", "`≠` is written `!=`", "`stages { lead mql when x != 40 }`"),
        ('stages { lead }\ntest "t" {\n  expect fit => 40\n}', "`=>` is written `>=`", "`expect fit >= 40`"),
        # the words of the language in capitals, as SQL writes them (found trying the language as a data
        # engineer: `AND` read as a fit group, "unexpected `ok`, expected `{`")
        ('stages { lead }\nfit { "a": +5 when x >= 10 AND ok }', "`AND` is written `and`: the words of the language are "
         "lower case", 'write `and`: `fit { "a": +5 when x >= 10 and ok }`'),
        ('stages { lead }\nfit { "a": +5 when NOT ok }', "`NOT` is written `not`", '`fit { "a": +5 when not ok }`'),
        ("stages { lead mql when t IN (a) }", "`IN` is written `in`", "`stages { lead mql when t in (a) }`"),
        ('stages { lead }\nfit {\n  "AND": +5 when x >= 10 AND\n    ok # OR\n}', "`AND` is written `and`",
         '`"AND": +5 when x >= 10 and`'),
        ('stages { lead }\nengagement { "x": +5 per call WITHIN 7 DAYS }', "`WITHIN` is written `within`",
         '`engagement { "x": +5 per call within 7 days }`'),
        ('stages { lead }\nFIT { "a": +5 when ok }', "`FIT` is written `fit`", '`fit { "a": +5 when ok }`'),
        ("stages { lead }\nfields { n NUMBER }", "`NUMBER` is written `number`", "`fields { n number }`"),
        # in `stages` the line parses (a stage `OR` with no condition, then a stage `ok`): said the same way
        ("stages { lead mql when x >= 10 OR ok }", "`OR` is written `or`", "`stages { lead mql when x >= 10 or ok }`"),
        ("stages { lead mql when s IS MISSING }", "`IS` is written `is`", "`stages { lead mql when s is missing }`"),
        # SQL's NULL tests (found trying the language as a data engineer)
        ("stages { lead mql when s is null }", "`is null` is written `is missing`", "`stages { lead mql when s is missing }`"),
        ("stages { lead mql when s is NOT NULL }", "`is NOT NULL` is written `is present`", "when s is present }`"),
        ("stages { lead mql when s IS NULL }", "`IS` is written `is`", "`stages { lead mql when s is missing }`"),
        ('stages { lead }\nfit { "a": +1 when s IS NOT NULL }', "`IS` is written `is`", '`fit { "a": +1 when s is present }`'),
        # the parts after an activity out of order (found trying the language as a newcomer: in a stage,
        # "`where` is a word of the language and cannot name a stage")
        ('stages { lead }\nengagement { "v": +5 per call max 10 within 7 days }', "`within` comes before `max` (after "
         "an activity: `where`, `at least`, `within`, `max`)", 'put it first: `engagement { "v": +5 per call within 7 days max 10 }`'),
        ('stages { lead }\nengagement { "v": +5 per call within 7 days where p = "/x" }', "`where` comes before `within`",
         '`engagement { "v": +5 per call where p = "/x" within 7 days }`'),
        ('stages { lead mql when did call within 7 days where p = "/x" }', "`where` comes before `within`",
         '`stages { lead mql when did call where p = "/x" within 7 days }`'),
        ("stages { lead mql when did call within 7 days at least 2 times }", "`at least` comes before `within`",
         "`stages { lead mql when did call at least 2 times within 7 days }`"),
        ("stages { lead mql when did call 2 times within 7 days }", "a count of activities is written `at least N times`",
         "add `at least`: `stages { lead mql when did call at least 2 times within 7 days }`"),
        # `no` with a count (found auditing the reference: "`at` is a word of the language and cannot name a stage")
        ("stages { lead mql when no call at least 2 times within 7 days }", "`no` takes no count: `no X` means "
         "`not did X`, and `at least N times` goes with `did`",
         "write `not did`: `stages { lead mql when not did call at least 2 times within 7 days }`"),
        ('stages { lead }\ndisqualify { "q": when no call where p = "/x" at least 2 times }', "`no` takes no count",
         '`disqualify { "q": when not did call where p = "/x" at least 2 times }`'),
        ('stages { lead }\nengagement { "v": +5 each call }', "`each` is written `per` here",
         'write `per`: `engagement { "v": +5 per call }`'),
        ('stages { lead }\nengagement { "v": +5 for call }', "`for` is written `per` here", "+5 per call }`"),
        ('stages { lead }\nfit { "v": +5 if ok }', "`if` is written `when` here", '`fit { "v": +5 when ok }`'),
        ('stages { lead }\nfit { "v": +5 where ok }', "`where` is written `when` here", '`fit { "v": +5 when ok }`'),
        ("stages { lead }\ngrades { A if fit > 1 }", "`if` is written `when` here", "`grades { A when fit > 1 }`"),
        # a number with an exponent, as a spreadsheet or Python writes it (in a stage it parsed as `x > 1`
        # and a stage `e3` with no condition)
        ('stages { lead }\nfit { "a": +5 when x > 1e3 }', "a number in a policy is written without an exponent, not "
         "`1e3`", 'write `1000`: `fit { "a": +5 when x > 1000 }`'),
        ("stages { lead mql when x > 1e3 }", "not `1e3`", "`stages { lead mql when x > 1000 }`"),
        ("stages { lead mql when x > 1.5E+3 }", "not `1.5E+3`", "`stages { lead mql when x > 1500 }`"),
        ("stages { lead mql when x > 2.5e-3 }", "not `2.5e-3`", "`stages { lead mql when x > 0.0025 }`"),
        # numbers as spreadsheets, CRMs and people write them
        ("stages { lead mql when x > 1,000 }", "a number in a policy is written without thousands commas (`_` may group "
         "the digits), not `1,000`", "write `1_000`: `stages { lead mql when x > 1_000 }`"),
        ('stages { lead }\nfit { "a": +5 when x >= 10,000,000 }', "not `10,000,000`", "when x >= 10_000_000 }`"),
        ("stages { lead mql when x > $1,000 }", "a number in a policy has no currency sign, not `$1,000`",
         "`stages { lead mql when x > 1_000 }`"),
        ("stages { lead mql when x > 10k }", "written in full, without `k` or `M`, not `10k`", "when x > 10000 }`"),
        ('stages { lead }\nfit { "a": +5 when x > 2.5M }', "not `2.5M`", "when x > 2500000 }`"),
        ("stages { lead mql when x > .5 }", "a number in a policy starts with a digit, not `.5`", "when x > 0.5 }`"),
        ("stages { lead mql when x > 5. }", "has digits after its decimal point, not `5.`", "when x > 5 }`"),
        ('stages { lead }\nfit { "a": +5 points when ok }', "points are written as a number alone, not `+5 points`",
         '`fit { "a": +5 when ok }`'),
        ('stages { lead }\nengagement { "a": 10pts per call }', "not `10pts`", '`engagement { "a": 10 per call }`'),
        ("stages { lead mql when did call within 10m }", "there is no unit `m`", "within 300 days }"),  # not 10,000,000
        # separators between the items of a block (found trying the language as a newcomer)
        ("stages { lead, mql when ok }", "the items of a block are not separated by `,`",
         "put each on a line of its own, or leave a space: `stages { lead mql when ok }`"),
        ("stages { lead }\ngrades { A when fit > 1, B otherwise }", "not separated by `,`", "`grades { A when fit > 1 B otherwise }`"),
        ("stages { lead }\nactivities { visit (page text),call }", "not separated by `,`", "`activities { visit (page text) call }`"),
        ("stages { lead mql when x > 1; }", "not separated by `;`", "`stages { lead mql when x > 1 }`"),
        ('stages { lead }\ntest "t" {\n  fields { x: 5; ok: true }\n}', "the items of a list are separated by `,`, not `;`",
         "write `,`: `fields { x: 5, ok: true }`"),
        ("stages { lead mql when x > 1 && (did call) }", "`&&` is written `and`", "x > 1 and (did call)"),
        ("stages { lead mql when x > 1&&ok }", "`&&` is written `and`", "x > 1 and ok"),
        ("stages { lead mql when x > 1 || ok }", "`||` is written `or`", "x > 1 or ok"),
        ("stages { lead mql when !ok }", "`!` is written `not`", "when not ok }"),
        ("stages { lead mql when !(ok) }", "`!` is written `not`", "when not (ok) }"),
        ("stages { lead mql when s starts with '/blog' }", "strings take double quotes", 'starts with "/blog" }'),
        ("stages { lead mql when s = 'say \"hi\"' }", "strings take double quotes", '"say \\"hi\\""'),
        ("stages { lead mql when t in (a, b,) }", "takes no comma after its last item", "t in (a, b) }"),
        ('stages { lead }\nengagement { "e": +1 per call max -50 }', "caps are written without a sign", "max 50 }"),
        ('stages { lead }\nengagement { "e": +1 per call max + 5 }', "caps are written without a sign", "max 5 }"),
        ('stages { lead mql when s = "a\\nb" }', 'strings take only `\\"` and `\\\\` as escapes', '"a\\\\nb"'),
        ("stages { lead }\ndisqualfy {}", "`disqualfy` is not a kind of block", "did you mean `disqualify`? `disqualify {}`"),
        ("stages { lead }\nstage {}", "`stage` is not a kind of block", "`stages {}`"),
        ("stages { lead mql when (x > 1 and ok }", "the `(` opened here is not closed", "(x > 1 and ok) }`"),
        ("stages { lead mql when t in (a, b }", "the `(` opened here is not closed", "t in (a, b) }`"),
        ('stages { lead }\nengagement { Called us: +1 per call }', "a rule's name is written in double quotes, not "
         "`Called us`", 'quote it: `engagement { "Called us": +1 per call }`'),
        ('stages { lead }\nfit {\n  size {\n    Big one: +5 when x > 100\n  }\n}', "not `Big one`",
         '`"Big one": +5 when x > 100`'),
        ('stages { lead }\ndemote {\n  Went quiet: lead -> lead when ok\n}', "not `Went quiet`", '`"Went quiet": lead'),
        ('stages { lead }\nengagement { "e": +1 per call within 9 dayz }', "`dayz` is not a word of the language",
         "did you mean `days`? `engagement { \"e\": +1 per call within 9 days }`"),
        ('stages { lead }\nengagement { "e": +1 per call within 2 weeksz }', "`weeksz` is not a word", "within 2 weeks }"),
        ('stages { lead }\nengagement { "e": +1 per call within 30d }', "`d` is not a unit",
         'write the unit in full: `engagement { "e": +1 per call within 30 days }`'),
        ("stages { lead mql when did call within 2 wks }", "`wks` is not a unit", "did call within 2 weeks }"),
        ("stages { lead mql when did call within 1 h }", "`h` is not a unit", "did call within 1 hour }"),
        ("stages { lead mql when did call within 3 months }", "there is no unit `months`: a duration is in hours, days or "
         "weeks", "say how many days you mean, such as 30 a month: `stages { lead mql when did call within 90 days }`"),
        ("stages { lead mql when did call within 1 yr }", "there is no unit `yr`", "within 365 days }"),
        ("stages { lead }\nfields { size integer }", "`integer` is not a type of the language", "write `number`: "
         "`fields { size number }`"),
        ("stages { lead }\nfields { name string }", "`string` is not a type", "`fields { name text }`"),
        ("stages { lead }\nfields { vip bool }", "`bool` is not a type", "`fields { vip boolean }`"),
        ("stages { lead }\nfields { seen timestamp }", "`timestamp` is not a type", "`fields { seen date }`"),
        ("stages { lead }\nfields { seen datetime }", "`datetime` is not a type", "`fields { seen date }`"),
        ("stages { lead }\nfields {\n  seen datetime\n  size number\n}", "`datetime` is not a type", "`seen date`"),
        ("stages { lead }\nfields { tier enum(gold, silver) }", "`enum` is not a type", "`fields { tier one of (gold, silver) }`"),
        ("stages { lead }\nactivities { visit (page: text) }", "a name and its type are written without a colon",
         "`activities { visit (page text) }`"),
        ("stages { lead }\nactivities { visit (page:text) }", "without a colon", "`activities { visit (page text) }`"),
        # a rule's name: after it a colon; first; and there at all (found trying the language as a newcomer)
        ('stages { lead }\nengagement {\n  "Called" +1 per call\n}', 'a colon goes after the rule\'s name "Called"',
         'add it: `"Called": +1 per call`'),
        ('stages { lead }\nfit {\n  size {\n    "Big" +5 when x > 100\n  }\n}', "a colon goes after", '`"Big": +5 when x > 100`'),
        ('stages { lead mql when ok }\ndemote {\n  mql -> lead "Went quiet" when not ok\n}', "a demotion rule starts with its name",
         'write the name first, then a colon: `"Went quiet": mql -> lead when not ok`'),
        ('stages { lead }\nfit {\n  +5 when x > 100 "Big"\n}', "a fit rule starts with its name", '`"Big": +5 when x > 100`'),
        ('stages { lead }\nfit {\n  +5 "Big" when x > 100\n}', "a fit rule starts with its name", '`"Big": +5 when x > 100`'),
        ('stages { lead }\nfit {\n  +5 when s ends with "@x.com"\n}', "a fit rule starts with its name, in double quotes",
         'name it: `"Name this rule": +5 when s ends with "@x.com"`'),
        ('stages { lead }\nengagement {\n  +1 per call where p = "x"\n}', "an engagement rule starts with its name",
         'name it: `"call": +1 per call where p = "x"`'),
        ('stages { lead mql when ok }\ndemote {\n  mql -> lead when not ok\n}', "a demotion rule starts with its name",
         '`"mql to lead": mql -> lead when not ok`'),
        ('stages { lead }\ndisqualify {\n  when ok "Customer"\n}', "a disqualify rule starts with its name",
         '`"Customer": when ok`'),
        ('stages { lead mql when ok }\ndemote {\n  "q": mql to lead when not ok\n}', "with `->`, not `to`",
         '`"q": mql -> lead when not ok`'),
        ('stages { lead mql when ok }\ndemote {\n  "q": mql → lead when not ok\n}', "with `->`, not `→`", '`"q": mql -> lead'),
        ('stages { lead mql when ok }\ndemote {\n  "q": mql => lead when not ok\n}', "with `->`, not `=>`", '`"q": mql -> lead'),
    ],
)
def test_the_hint_names_the_mistake_and_shows_the_line_fixed(body: str, message: str, shown: str) -> None:
    d = _diagnostic(body)
    assert d.code == "syntax-error" and message in d.message
    assert shown in d.help



@pytest.mark.parametrize("text, message, help_", [
    ("fields { x number }\nstages { lead }\n", "a policy starts with its name and version",
     'add the first line, with your policy\'s name: `policy "Name" version "1"`'),
    ('# Acme\n\nstages { lead }\n', "a policy starts with its name and version", '`policy "Name" version "1"`'),
    ('policy "p"\nstages { lead }\n', "the policy line also needs a version", 'write: `policy "p" version "1"`'),
    ("policy Acme Cloud version 2026.1\nstages { lead }\n", "the policy's name and version are written in double quotes",
     'write: `policy "Acme Cloud" version "2026.1"`'),
    ('policy "Acme" version 2026.1  # the first\nstages { lead }\n', "the policy's name and version are written in double quotes",
     'write: `policy "Acme" version "2026.1"  # the first`'),
])
def test_the_policy_line_is_shown_as_it_should_read(text: str, message: str, help_: str) -> None:
    """A missing, versionless or unquoted first line said "unexpected `fields`, expected `policy`" and the like."""
    with pytest.raises(PolicyError) as caught:
        parse(text)
    (d,) = caught.value.diagnostics
    assert d.message == message and d.help.endswith(help_)
    error = _error(text)
    assert error is not None
    hint = hint_for(error, text)
    assert hint is not None and _error(apply_fix(text, hint.fix)) is None  # the fix gives a policy that parses

def test_a_missing_brace_is_reported_at_the_brace_it_leaves_open() -> None:
    d = _diagnostic('stages { lead mql when x > 1 }\nfit {\n  "a": +1 when ok\n\ngrades {\n  A otherwise\n}\n')
    assert d.message == "the `fit` block opened here is not closed"
    assert (d.line, d.column) == (5, 5)  # the `{` after `fit`, not `grades`
    assert d.help == "close it with `}` before `grades` on line 8"
    group = _diagnostic('stages { lead }\nfit {\n  size {\n    "a": +1 when ok\n\n}\n\ndisqualify {}\n')
    assert group.message == "the `fit` block opened here is not closed"
    test = _diagnostic('stages { lead }\ntest "t" {\n  expect stage lead\n')
    assert test.message == 'the test "t" opened here is not closed'
    assert test.help == "close it with `}` at the end of the file"


@pytest.mark.parametrize(
    "body, message",
    [
        ("stages { lead mql when x != 40 }", None),  # `!=` is a comparison
        ("stages { lead mql when x > 1 And when x > 2 }", None),  # a stage `And`, with its condition
        ("stages { lead mql when x > 1 Fit }", "stage-needs-condition"),  # `fit` would not help: a stage
        ('stages { lead mql when s = "abc }', "this string is not closed"),
        ('stages { lead mql when s = "a\\"b" }', None),
        ('stages { lead mql when s = "a\\\\b" }', None),
        ('stages { lead }\nengagement { "e": +1 per call max 50 }', None),
        ("stages { lead mql when x > 1 }\nzzzzzz {}", "unexpected `zzzzzz`"),
    ],
)
def test_no_hint_where_there_is_no_such_mistake(body: str, message: Optional[str]) -> None:
    if message is None:
        parse(HEAD + body)
    elif message == "stage-needs-condition":
        from leadpolicy.check.checker import check

        assert message in {d.code for d in check(parse(HEAD + body)).diagnostics}
    else:
        assert _diagnostic(body).message == message


def test_the_block_keywords_come_from_the_grammar() -> None:
    assert set(block_keywords()) == {
        "fields", "activities", "stages", "engagement", "fit", "grades", "demote", "disqualify", "test"}
    assert set(block_keywords()) <= RESERVED_WORDS


@pytest.mark.parametrize("body, message, shown", [
    # a fit rule: the lexer stops at `“`, where the glued `endswith` leaves no room for a string
    ('stages { lead }\nfit { "a": +5 when s endswith “@x.com” }', "`endswith` is written `ends with`, two words, and "
     "strings take straight double quotes `\"`, not `“”`",
     'write `ends with` and `"@x.com"`: `fit { "a": +5 when s ends with "@x.com" }`'),
    ("stages { lead }\nfit { \"a\": +5 when s startswith '/blog' }", "`startswith` is written `starts with`",
     'write `starts with` and `"/blog"`: `fit { "a": +5 when s starts with "/blog" }`'),
    # a stage: with straight quotes the line parses (a stage `endswith`), so only the quotes stop the parser
    ("stages { lead mql when s endswith “@x.com” }", "`endswith` is written `ends with`, two words, and strings",
     'write `ends with` and `"@x.com"`: `stages { lead mql when s ends with "@x.com" }`'),
    ("stages { lead mql when s ends “@x.com” }", "the text test is `ends with`, not `ends` alone, and strings",
     '`stages { lead mql when s ends with "@x.com" }`'),
    ("stages { lead mql when s == “x” }", "`==` is written `=` in a policy, and strings take straight double quotes",
     'fix both: `stages { lead mql when s = "x" }`'),
    ("stages { lead mql when s in [“x”, y] }", "a list is written in parentheses, not `[...]`, and strings",
     'fix both: `stages { lead mql when s in ("x", y) }`'),
])
def test_two_slips_in_one_place_get_one_hint_with_the_whole_fix(body: str, message: str, shown: str) -> None:
    """`email endswith “x”` (a glued operator and curly quotes) said only "unexpected character `“`,
    expected `{`", or showed the quotes' fix on a line still wrong: each slip alone has its hint,
    and together they get one, naming both, whose line is the whole fix and parses."""
    d = _diagnostic(body)
    assert d.code == "syntax-error" and d.message.startswith(message), d.message
    assert d.help.endswith(shown), d.help
    text = HEAD + body
    error = _error(text)
    hint = hint_for(error, text)
    assert hint is not None and hint.help == d.help and _error(apply_fix(text, hint.fix)) is None


def test_two_slips_on_other_lines_are_told_one_at_a_time() -> None:
    """Only the slips on the line of the error are told together: the next line's waits its turn."""
    d = _diagnostic('stages { lead mql when s == “x”\n  sql when s endswith “y” }')
    assert d.help == 'fix both: `stages { lead mql when s = "x"`'


@pytest.mark.parametrize("item, message, shown", [
    ("as_of 2026-11-22", "`as_of` is written `as of`, two words", "write `as of`: `as of 2026-11-22`"),
    ("previous_stage lead", "`previous_stage` is written `previous stage`", "`previous stage lead`"),
    ('expect no_hit "x"', "`no_hit` is written `no hit`", '`expect no hit "x"`'),
])
def test_words_of_the_language_joined_by_an_underscore_are_written_apart(item: str, message: str, shown: str) -> None:
    """The lexer reads `as_of` as `as` and a name `_of`: the hint said "did you mean `of`?" and showed
    `asof 2026-11-22`, a line as wrong as the first. The fix is the words apart."""
    d = _diagnostic('stages { lead }\ntest "t" {\n  ' + item + "\n  expect stage lead\n}")
    assert d.message == message or d.message.startswith(message), d.message
    assert d.help.endswith(shown), d.help


@pytest.mark.parametrize("body, message, shown", [
    # a name the parser took (a next stage, a fit group, a field), stopping at what follows it
    ("stages { lead mql when did call at_least 2 times }", "`at_least` is written `at least`, two words",
     "write `at least`: `stages { lead mql when did call at least 2 times }`"),
    ('stages { lead }\nfit { "a": +5 when x is_missing }', "`is_missing` is written `is missing`, two words",
     '`fit { "a": +5 when x is missing }`'),
    ('stages { lead }\nfit { "a": +5 when at_least 1 of (ok, x is_present) }', "`at_least` is written `at least`",
     'write `at least` and `is present`: `fit { "a": +5 when at least 1 of (ok, x is present) }`'),  # both, one fix
    ("stages { lead mql when days_since x > 3 }", "`days_since` is written `days since`", "`stages { lead mql when days since x > 3 }`"),
    ("stages { lead mql when x is_missing and ok }", "`is_missing` is written `is missing`", "`stages { lead mql when x is missing and ok }`"),
    # in a grade the name is a next grade's letter, and `within` was taken for a misspelt `when` (hypothesis found it)
    ("stages { lead }\ngrades {\n  A when ok\n  B when did call where s is_missing within 1 day\n}", "`is_missing` is written",
     "`B when did call where s is missing within 1 day`"),
    # `is not missing` and SQL's `is not null` joined: the words apart would still be wrong
    ('stages { lead }\nfit { "a": +5 when x is_not_null and ok }', "`is_not_null` is written `is present`",
     'write `is present`: `fit { "a": +5 when x is present and ok }`'),
    ('stages { lead }\nfit { "a": +5 when x is_not_present }', "`is_not_present` is written `is missing`",
     '`fit { "a": +5 when x is missing }`'),
    # a number glued on: the misspelt-keyword hint offered `max` for `max_10`, showing `... max }`
    ('stages { lead }\nengagement { "a": +5 per call max_10 }', "`max_10` is written `max 10`, the number apart",
     'write `max 10`: `engagement { "a": +5 per call max 10 }`'),
    ("stages { lead mql when did call at_least_2 times within_7 days }", "`at_least_2` is written `at least 2`",
     "`stages { lead mql when did call at least 2 times within 7 days }`"),
])
def test_words_of_the_language_read_as_a_name_are_written_apart(body: str, message: str, shown: str) -> None:
    """`at_least` lexes as one name: the parser said "unexpected `2`, expected `}`, a name, a string"."""
    d = _diagnostic(body)
    assert d.message.startswith(message), d.message
    assert d.help.endswith(shown), d.help


@pytest.mark.parametrize("slip, words", [("is_missing", "is missing"), ("is_present", "is present"),
                                         ("is_not_missing", "is present"), ("is_null", "is missing")])
def test_underscored_words_that_parse_as_a_stage(slip: str, words: str) -> None:
    """`mql when x is_missing }` parses, as `mql when x` and a stage `is_missing`: the checker said
    "stage `is_missing` has no `when` condition; add its entry criterion: `is_missing when ...`"."""
    d = _diagnostic(f"stages {{ lead  mql when x {slip} }}")
    assert d.code == "syntax-error" and d.message.startswith(f"`{slip}` is written `{words}`"), d.message
    assert d.help == f"write `{words}`: `stages {{ lead  mql when x {words} }}`"
    assert d.edit == (0, len(slip), words)


@pytest.mark.parametrize("item, message, shown", [
    # docs/language-reference.md section 17: a test expects `engagement` or `fit` by name
    ("expect score >= 3", "a test expects one of the two scores, `engagement` or `fit`, not `score`",
     "write `engagement` or `fit`: `expect engagement >= 3` or `expect fit >= 3`"),
    ("expect points = 10", "not `points`", "`expect engagement = 10` or `expect fit = 10`"),
    ("expect fit_score > 0", "a test expects its `fit`, not `fit_score`", "write `fit`: `expect fit > 0`"),
    ("expect engagementscore < 5", "a test expects its `engagement`", "`expect engagement < 5`"),
    ("expect status lead", "a test expects its `stage`, not `status`", "write `stage`: `expect stage lead`"),
    ('expect not hit "r"', "`not hit` is written `no hit`", 'write `no hit`: `expect no hit "r"`'),
    # a test names a stage, a grade and a change, and a rule by its string
    ("expect stage is lead", "a stage is named, not compared with `is`", "remove `is`: `expect stage lead`"),
    ('expect stage "lead"', 'a stage is named without quotes, not `"lead"`', "write `lead`: `expect stage lead`"),
    ("expect hit r", "a rule is named by its string, in double quotes", 'write `"r"`: `expect hit "r"`'),
    ("expect no hit f  # the fit rule", "in double quotes", '`expect no hit "f"  # the fit rule`'),
])
def test_an_expectation_named_as_other_tools_name_it(item: str, message: str, shown: str) -> None:
    """`expect score >= 3` said "unexpected `score`, expected `change`, `engagement`, ..." with no hint;
    `expect not hit` said "unexpected `t`, expected `hit`" (the lexer read `no` out of `not`)."""
    d = _diagnostic('stages { lead }\nengagement { "r": +1 per call }\nfit { "f": +1 when ok }\ntest "t" {\n  ' + item + "\n}")
    assert message in d.message, d.message
    assert d.help.endswith(shown), d.help


def test_the_score_a_policy_has_is_the_one_offered_first() -> None:
    """A policy with only a `fit` block: the fix (the editor's quick fix) is `fit`."""
    d = _diagnostic('stages { lead }\nfit { "f": +1 when ok }\ntest "t" {\n  expect score >= 3\n}')
    assert d.help == "write `fit` or `engagement`: `expect fit >= 3` or `expect engagement >= 3`"
    assert d.edit == (0, 5, "fit")


def test_a_rule_named_without_quotes_is_the_rule_declared() -> None:
    """The name runs to the end of the line, unless a declared rule's name is where it starts (a
    name may hold a word of the language: `Seen as of late`; a test item may follow on the line)."""
    d = _diagnostic('stages { lead }\nfit { "Seen as of late": +1 when ok }\ntest "t" {\n  expect hit Seen as of late\n}')
    assert d.help == 'write `"Seen as of late"`: `expect hit "Seen as of late"`'
    d = _diagnostic('stages { lead }\nfit { "Seen": +1 when ok }\ntest "t" { expect hit Seen expect stage lead }')
    assert d.help == 'write `"Seen"`: `test "t" { expect hit "Seen" expect stage lead }`'


@pytest.mark.parametrize("slip, words", [("endswith", "ends with"), ("startswith", "starts with"), ("ends_with", "ends with")])
def test_a_glued_text_test_in_a_stage_is_a_syntax_error_with_its_fix(slip: str, words: str) -> None:
    """`mql when s endswith "x" }` parses, as a stage `endswith` described "x": the checker said
    "`s` is a text, not a condition" and "stage `endswith` has no `when` condition", with no edit
    for the editor to offer; `ends_with` got the syntax error and its quick fix. Now both do."""
    d = _diagnostic(f'stages {{ lead  mql when s {slip} "x" }}')
    assert (d.code, d.message) == ("syntax-error", f"`{slip}` is written `{words}`, two words")
    assert d.help == f'write `{words}`: `stages {{ lead  mql when s {words} "x" }}`'
    assert d.edit == (0, len(slip), words)


@pytest.mark.parametrize("body, message, shown", [
    ("stages { lead mql when x is 3 }", "a value is compared with `=`, not `is` (`is` tests only `missing` and `present`)",
     "write `=`: `stages { lead mql when x = 3 }`"),
    ('stages { lead mql when s is not "a" }', "a value is compared with `!=`, not `is not`", '`stages { lead mql when s != "a" }`'),
    ('stages { lead }\ntest "t" {\n  expect fit is 3\n}', "a value is compared with `=`, not `is`", "write `=`: `expect fit = 3`"),
    ("stages { lead mql when x is missin }", "`missin` is not a word of the language", "`stages { lead mql when x is missing }`"),
])
def test_is_for_equals(body: str, message: str, shown: str) -> None:
    """`x is 3` said "unexpected `3`, expected `missing`, `present`"; `expect fit is 3` "unexpected `is`"."""
    d = _diagnostic(body)
    assert d.message.startswith(message), d.message
    assert d.help.endswith(shown), d.help


@pytest.mark.parametrize("line, message, shown", [
    ("decay 50 every 30 days", "a decay is a percentage, not `50`", "write `50%`: `decay 50% every 30 days }`"),
    ("decay 50% per 30 days", "`per` is written `every` here", "write `every`: `decay 50% every 30 days }`"),
])
def test_a_decay_is_a_percentage_every_duration(line: str, message: str, shown: str) -> None:
    """`decay 50 every 30 days` said "unexpected `every`, expected `%`"; `per` said "expected `every`"."""
    d = _diagnostic('stages { lead }\nengagement { "a": +5 per call\n  ' + line + " }")
    assert d.message == message and d.help == shown, (d.message, d.help)


# the hints added in session 20: each fix made, the policy parses and checks
NEW_HINTS = [
    ('stages { lead }\nengagement { "c": +5 per call\n  decay every 30 days }\n', "a decay says how much of the points fades",
     "write the share that fades, such as `50%`: `decay 50% every 30 days }`"),
    ("stages { lead\n  mql when s is empty }\n", "`is empty` is written `is missing`", "write `missing`: `mql when s is missing }`"),
    ("stages { lead\n  mql when s is not blank }\n", "`is not blank` is written `is present`", "`mql when s is present }`"),
    ("stages { lead\n  mql when x equals 3 }\n", "compared with `=`, not `equals`", "write `=`: `mql when x = 3 }`"),
    ('stages { lead }\nfit { "a": +5 when x is equal to 3 }\n', "not `is equal to`", 'write `=`: `fit { "a": +5 when x = 3 }`'),
    ('stages { lead }\nfit { "a": +5 when x > 1 }\ntest "t" { as of 2026-01-01\n  expect fit between 1 and 3 }\n',
     "a range is two expectations", "write two: `expect fit >= 1  expect fit <= 3 }`"),
]


@pytest.mark.parametrize(("body", "message", "shown"), NEW_HINTS)
def test_the_new_hints_fix_the_line(body: str, message: str, shown: str) -> None:
    from leadpolicy.check.checker import check

    text = HEAD + body
    d = _diagnostic(body)
    assert d.code == "syntax-error" and message in d.message and d.help.endswith(shown), d
    assert d.edit is not None and d.span is not None
    start, end, replacement = d.edit
    fixed = text[:d.span.start + start] + replacement + text[d.span.start + end:]
    assert check(parse(fixed)).ok, fixed


@pytest.mark.parametrize("body, message, shown", [
    ('fields { t text }\nstages { lead mql when t = "a\\nb" or t = "c\\td" }',
     'strings take only `\\"` and `\\\\` as escapes', 'fix both: `stages { lead mql when t = "a\\\\nb" or t = "c\\\\td" }`'),
    ("fields { a number\n b number }\nstages { lead mql when a == 1 && b == 2 }",
     "`==` is written `=` in a policy, and `&&` is written `and` in a policy",
     "fix all 3: `stages { lead mql when a = 1 and b = 2 }`"),
])
def test_the_same_slip_twice_on_a_line_is_said_once(body: str, message: str, shown: str) -> None:
    """Two bad escapes on a line said "strings take only ... as escapes, and strings take only ...
    as escapes"; `==` twice said "`==` is written `=` in a policy" twice: each slip is said once,
    and the fix still makes them all."""
    d = _diagnostic(body)
    assert d.code == "syntax-error" and d.message == message, d.message
    assert d.help == shown, d.help


@pytest.mark.parametrize("written, fixed, slips", [
    ("2026-01-05t10:00:00z", "2026-01-05T10:00:00Z", "a capital `T` between the date and the time and a capital `Z`"),
    ("2026-01-05t10:00", "2026-01-05T10:00", "a capital `T` between the date and the time"),
    ("2026-01-05 10:00:00.5+01:00", "2026-01-05T10:00:00.5+01:00", "a capital `T` between the date and the time"),
    ("2026-01-05T10:00:00z", "2026-01-05T10:00:00Z", "a capital `Z`"),  # parsed, as the timestamp and a stage `z`
    ("2026-01-05T10:00:00 Z", "2026-01-05T10:00:00Z", "its zone right after the time"),  # a stage `Z`
    ("2026-01-05T10:00 +01:00", "2026-01-05T10:00+01:00", "its zone right after the time"),
    ("2026-01-05t10:00:00 z", "2026-01-05T10:00:00Z",
     "a capital `T` between the date and the time, a capital `Z` and its zone right after the time"),
])
def test_a_timestamp_written_as_lead_data_writes_it_is_shown_with_t_and_z(written: str, fixed: str, slips: str) -> None:
    """Lead data takes `2026-01-05t10:00:00z` (a `t` or a space before the time, a `z`, a space before
    the zone); a literal in a policy takes `T`, `Z` and no space (language reference 2.7). It was `unexpected `:`` (the date, then
    a name `t10`), or, with only the `z` lower case, "stage `z` has no `when` condition"."""
    body = f"stages {{ lead\n  mql when d >= {written} }}\n"
    d = _diagnostic(body)
    assert (d.code, d.message) == ("syntax-error", f"a timestamp in a policy or its tests is written with {slips}, not `{written}`")
    assert d.help == f"write `{fixed}`: `mql when d >= {fixed} }}`"
    assert d.edit is not None and d.span is not None
    start, end, replacement = d.edit
    text = HEAD + body
    assert parse(text[:d.span.start + start] + replacement + text[d.span.start + end:]).stages[1].condition is not None


@pytest.mark.parametrize("line, fixed", [("as of 2026-01-05t10:00:00z", "as of 2026-01-05T10:00:00Z"),
                                         ("activity call (p: \"x\") at 2026-01-04T09:00z", "activity call (p: \"x\") at 2026-01-04T09:00Z")])
def test_a_timestamp_in_a_tests_file_gets_the_same_hint(line: str, fixed: str) -> None:
    from leadpolicy.syntax.parser import parse_tests

    text = f'test "t" {{\n  {line}\n  expect stage lead\n}}\n'
    with pytest.raises(PolicyError) as caught:
        parse_tests(text)
    (d,) = caught.value.diagnostics
    assert d.code == "syntax-error" and d.message.startswith("a timestamp in a policy or its tests is written with a capital")
    assert d.help.endswith(f": `{fixed}`"), d.help
    parse_tests(text.replace(line, fixed))
