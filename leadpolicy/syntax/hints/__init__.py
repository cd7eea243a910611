"""Syntax errors that newcomers make, explained with the fix in their own text
(issue 9 item 12). The parser's bare "unexpected X, expected ..." becomes a
message that says what is wrong and a `help:` that shows the line rewritten,
as a compiler's suggestion does.

One small function per mistake; each takes the parse error and the source
text and returns a `Hint` or None. `hint_for` tries them in order. Every hint
carries its edit (`Hint.fix`), so a test can apply it and check that the text
then parses past that point: the fix is a real fix.

The hints live by kind of mistake: `operators` (`==`, `=>`, `&&`), `words` (the
language's words in capitals, misspelt or from another language), `numbers` (`1e3`,
`$1,000`, `10k`), `structure` (the `policy` line, blocks, separators, quotes, rule
names), `glued` (a word of the language glued to the next: `percall`); `common` holds
what they share (the `Hint`, the rewritten line, the parser's state).
"""

from __future__ import annotations

import re
from typing import Callable, Iterator, Optional

from lark.exceptions import UnexpectedInput

from leadpolicy.syntax.hints.common import (
    MAX_SHOWN as MAX_SHOWN,
    Hint as Hint,
    _hint,
    _span,
    apply_fix as apply_fix,
    block_keywords as block_keywords,
    error_offset as error_offset,
    rewritten_line as rewritten_line,
)
from leadpolicy.syntax.hints.glued import glued_keyword, glued_keyword_stage as glued_keyword_stage
from leadpolicy.syntax.hints.numbers import (
    data_timestamp,
    data_timestamp_stage as data_timestamp_stage,
    decay_without_amount,
    decay_without_percent,
    exponent_number,
    exponent_stage as exponent_stage,
    number_spelling,
    number_suffix_stage as number_suffix_stage,
    signed_cap,
)
from leadpolicy.syntax.hints.operators import (
    arrow_word,
    bang_for_not,
    double_equals,
    equals_word,
    is_for_equals,
    misspelt_comparison,
    symbol_for_word,
)
from leadpolicy.syntax.hints.structure import (
    bracket_list,
    curly_quotes,
    expect_between,
    expect_quoting,
    expect_with_comparison,
    item_separator,
    missing_colon,
    policy_header,
    quote_slip,
    rule_without_name,
    single_quotes,
    trailing_comma,
    unclosed_block,
    unclosed_parenthesis,
    unknown_escape,
    unquoted_rule_name,
)
from leadpolicy.syntax.hints.words import (
    abbreviated_unit,
    capital_keyword,
    capital_keyword_stage as capital_keyword_stage,
    clause_order,
    expectation_word,
    glued_test_before,
    glued_test_stage as glued_test_stage,
    glued_text_test,
    glued_word,
    is_not,
    missing_with,
    misspelt_keyword,
    no_with_a_count,
    null_for_missing,
    rule_word,
    times_without_at_least,
    type_synonym,
    underscored_name,
    underscored_stage as underscored_stage,
)

__all__ = ["Hint", "hint_for", "block_keywords", "apply_fix", "error_offset"]


HINTS: tuple[Callable[[UnexpectedInput, str], Optional[Hint]], ...] = (
    policy_header,
    unclosed_block,
    unclosed_parenthesis,
    double_equals,
    misspelt_comparison,
    equals_word,
    capital_keyword,
    null_for_missing,
    exponent_number,
    data_timestamp,
    clause_order,
    times_without_at_least,
    no_with_a_count,
    glued_keyword,  # before rule_word (`anddid x where`: not `when`) and the misspelt words (`whenok`: not `when`)
    rule_word,
    symbol_for_word,
    bang_for_not,
    single_quotes,
    curly_quotes,
    bracket_list,
    glued_text_test,
    missing_with,
    is_not,
    is_for_equals,  # after is_not and null_for_missing: `is not missing`, `is null` are theirs
    expect_with_comparison,
    expect_between,
    expectation_word,
    expect_quoting,
    unknown_escape,
    trailing_comma,
    item_separator,
    signed_cap,
    decay_without_percent,
    decay_without_amount,
    type_synonym,
    underscored_name,  # `at_least 2`: a name the parser took; before a misspelt word after it (`within`)
    misspelt_keyword,
    abbreviated_unit,
    glued_word,
    number_spelling,  # after the units: `within 10m` is ten months or minutes, not 10,000,000
    missing_colon,
    arrow_word,
    rule_without_name,  # before unquoted_rule_name: `when 2026-01-01T00:00:00Z ...` is no name
    unquoted_rule_name,
)


MAX_SLIPS = 3  # slips on one line told as one hint; more than that is a line to rewrite, not to patch


def hint_for(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """The first hint that knows this mistake and whose fix gets the parser past it, or None
    (the parser's own message then). A hint whose edit would not help is never shown. When the
    line holds more known slips (`email endswith “@x”`: a glued word and curly quotes), one hint
    tells them all and its fix is the whole line's: one slip's fix would show a line still wrong."""
    found = _one_slip(error, text)
    if found is not None:
        return _with_the_next_slips(error, text, found)
    for first in _not_enough_alone(error, text):  # `in [“a”]`: the list's fix leaves its curly quotes
        both = _with_the_next_slips(error, text, first)
        if both is not first:
            return both
    return None


def _one_slip(error: UnexpectedInput, text: str) -> Optional[Hint]:
    for hint in HINTS:
        found = hint(error, text)
        if found is not None and _gets_past(error, text, found.fix):
            return found
    return None


def _not_enough_alone(error: UnexpectedInput, text: str) -> Iterator[Hint]:
    """The hints that know this slip but whose fix alone does not get the parser past it, and a
    quote slip: `endswith “` stops at `“`, where the glued `endswith` leaves no room for a string."""
    for hint in HINTS:
        found = hint(error, text)
        if found is not None:
            yield found
    quoted = quote_slip(error, text)
    if quoted is not None:
        yield quoted


def _with_the_next_slips(error: UnexpectedInput, text: str, first: Hint) -> Hint:
    """`first`, or one hint for it and the slips after it on its line: each made good in turn, the
    text parsed again, and the next error's hint taken while there is one on that line (or, once it
    parses, a glued `endswith` before a string `first` fixed, which in `stages` reads as a stage)."""
    line = text.count("\n", 0, first.fix[0])
    slips, fixed = [first], apply_fix(text, first.fix)
    while len(slips) < MAX_SLIPS and first.advice and "\n" not in first.fix[2]:  # a line's slips, on that line
        after = _parse_error(error, fixed)
        if after is None:
            glued = glued_test_before(text, first.fix[0]) if len(slips) == 1 and first.fix[2].startswith('"') else None
            if glued is not None and glued.fix[1] <= first.fix[0]:  # before every edit: the same offsets in `fixed`
                slips.append(glued)
                fixed = apply_fix(fixed, glued.fix)
            break
        if fixed.count("\n", 0, error_offset(after, fixed)) != line:
            break
        following = _one_slip(after, fixed)
        if following is None or not following.advice:
            break
        slips.append(following)
        fixed = apply_fix(fixed, following.fix)
    if len(slips) == 1:
        return first
    together = _told_together(text, slips, fixed)
    return together if together is not None and _gets_past(error, text, together.fix) else first


def _told_together(text: str, slips: list[Hint], fixed: str) -> Optional[Hint]:
    """The slips (each fix made on the text the ones before it made, giving `fixed`) as one hint on
    `text`: one edit, of what differs between the two texts widened to the spaces (an edit may
    be inside another's text: `in [“a”]`); the messages and the advice in the order of the line."""
    first = 0
    while first < min(len(text), len(fixed)) and text[first] == fixed[first]:
        first += 1
    tail = 0
    while tail < min(len(text), len(fixed)) - first and text[-1 - tail] == fixed[-1 - tail]:
        tail += 1
    while first > 0 and not text[first - 1].isspace():  # `ends with` for `endswith`, not ` `; `=` for `==`
        first -= 1
    while tail > 0 and not text[-tail].isspace():
        tail -= 1
    last, replacement = len(text) - tail, fixed[first:len(fixed) - tail]
    if "\n" in text[first:last] or "\n" in replacement:
        return None
    ordered = sorted(slips, key=lambda slip: slip.fix[0])  # each in its own text; on one line, the order of the line
    message = ", and ".join(dict.fromkeys(slip.message for slip in ordered))  # a slip made twice is said once
    written = [re.fullmatch(r"write (`[^`]*`)", slip.advice) for slip in ordered]
    if all(w is not None and w.group(1)[1:-1] in replacement for w in written):  # not `(“a”)`, half made good
        advice = "write " + " and ".join(w.group(1) for w in written if w is not None)
    else:
        advice = "fix both" if len(slips) == 2 else f"fix all {len(slips)}"
    return _hint(text, message, _span(text, first, last), advice, (first, last, replacement))


def _parse_error(error: UnexpectedInput, text: str) -> Optional[UnexpectedInput]:
    """The error of parsing `text` from the rule `error` came from, or None when it parses."""
    from leadpolicy.syntax.parser import lark_parser

    state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
    try:
        lark_parser().parse(text, start=getattr(getattr(state, "parse_conf", None), "start", "start"))
    except UnexpectedInput as after:
        return after
    return None


def _gets_past(error: UnexpectedInput, text: str, fix: tuple[int, int, str]) -> bool:
    """Whether, with the edit made, the text parses or first fails beyond the edit and the old error."""
    from leadpolicy.syntax.parser import lark_parser

    state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
    start_symbol = getattr(getattr(state, "parse_conf", None), "start", "start")
    start, end, replacement = fix
    fixed = apply_fix(text, fix)
    try:
        lark_parser().parse(fixed, start=start_symbol)
    except UnexpectedInput as after:
        old = error_offset(error, text)
        shifted = old + len(replacement) - (end - start) if old >= end else start
        return error_offset(after, fixed) > max(shifted, start + len(replacement))
    return True
