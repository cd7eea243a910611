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
names); `common` holds what they share (the `Hint`, the rewritten line, the
parser's state).
"""

from __future__ import annotations

from typing import Callable, Optional

from lark.exceptions import UnexpectedInput

from leadpolicy.syntax.hints.common import (
    MAX_SHOWN as MAX_SHOWN,
    Hint as Hint,
    apply_fix as apply_fix,
    block_keywords as block_keywords,
    error_offset as error_offset,
    rewritten_line as rewritten_line,
)
from leadpolicy.syntax.hints.numbers import (
    exponent_number,
    exponent_stage as exponent_stage,
    number_spelling,
    number_suffix_stage as number_suffix_stage,
    signed_cap,
)
from leadpolicy.syntax.hints.operators import arrow_word, bang_for_not, double_equals, misspelt_comparison, symbol_for_word
from leadpolicy.syntax.hints.structure import (
    bracket_list,
    curly_quotes,
    expect_with_comparison,
    item_separator,
    missing_colon,
    policy_header,
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
    glued_text_test,
    glued_word,
    is_not,
    missing_with,
    misspelt_keyword,
    null_for_missing,
    rule_word,
    times_without_at_least,
    type_synonym,
)

__all__ = ["Hint", "hint_for", "block_keywords", "apply_fix", "error_offset"]


HINTS: tuple[Callable[[UnexpectedInput, str], Optional[Hint]], ...] = (
    policy_header,
    unclosed_block,
    unclosed_parenthesis,
    double_equals,
    misspelt_comparison,
    capital_keyword,
    null_for_missing,
    exponent_number,
    clause_order,
    times_without_at_least,
    rule_word,
    symbol_for_word,
    bang_for_not,
    single_quotes,
    curly_quotes,
    bracket_list,
    glued_text_test,
    missing_with,
    is_not,
    expect_with_comparison,
    unknown_escape,
    trailing_comma,
    item_separator,
    signed_cap,
    type_synonym,
    misspelt_keyword,
    abbreviated_unit,
    glued_word,
    number_spelling,  # after the units: `within 10m` is ten months or minutes, not 10,000,000
    missing_colon,
    arrow_word,
    rule_without_name,  # before unquoted_rule_name: `when 2026-01-01T00:00:00Z ...` is no name
    unquoted_rule_name,
)


def hint_for(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """The first hint that knows this mistake and whose fix gets the parser past it, or None
    (the parser's own message then). A hint whose edit would not help is never shown."""
    for hint in HINTS:
        found = hint(error, text)
        if found is not None and _gets_past(error, text, found.fix):
            return found
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
