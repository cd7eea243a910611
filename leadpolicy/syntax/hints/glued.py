"""A word of the language glued to the word or number after it: `+5 percall`, `whenok`,
`every3 days`, `expect gradeA`. A name is a letter or `_` then letters, digits and `_`
(docs/language-reference.md 2.3), so the lexer reads the whole as one name (decisions.md 68),
and the parser stops at it where no name may stand. The hint puts the space back."""

from __future__ import annotations

import re
from typing import Optional

from lark.exceptions import UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.hints.common import Hint, _hint, _keywords, _span, _where, apply_fix
from leadpolicy.syntax.hints.words import GLUED_TESTS
from leadpolicy.syntax.words import IDENTIFIER


def _splits(word: str) -> list[tuple[str, str]]:
    """`percall` -> [(`per`, `call`)]: each word of the language `word` starts with, longest first,
    and the rest. Not at a `_`: `fit_score` is a name, joined as names are (hints/words.py knows
    the words of the language joined by `_`)."""
    if word in _keywords() or word.lower() in GLUED_TESTS:  # `hours` is no `hour` and an `s`; `endswith`: words.py
        return []
    return [(keyword, word[len(keyword):]) for keyword in sorted(_keywords(), key=len, reverse=True)
            if len(word) > len(keyword) and word.startswith(keyword) and word[len(keyword)] != "_"]


def _apart(text: str, start: int, end: int, keyword: str, rest: str) -> Hint:
    at = start + len(keyword)
    return _hint(text, f"`{text[start:end]}` is not a word of the language: `{keyword}` needs a space after it",
                 _span(text, start, end), f"did you mean `{keyword} {rest}`?", (at, at, " "))


def _plausible(text: str, rest: str) -> bool:
    """Whether what follows the word of the language reads as what would follow one: a number, a
    word of the language, or a name the text uses elsewhere as a whole word (`ok` in `whenok`;
    the `ange` of a stage `orange` never is)."""
    return rest[0].isdigit() or rest in _keywords() or \
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(rest)}(?![A-Za-z0-9_])", text) is not None


def glued_keyword(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Call": +5 percall` -> `per call`, `decay 10% every3 days` -> `every 3 days`: the name the
    parser stopped at, or one of the last words before it (`when didform_submit where ...` reads
    as a name and stops at `where`; `booked when didbooking within` as a stage `when did`...),
    starts with a word of the language, and with a space after that word the text parses past
    the error. The parser's expected list cannot say which word would do:
    LALR reduces on a name (a next stage may follow any condition) before it sees it is wrong."""
    from leadpolicy.syntax.hints import _gets_past, _parse_error  # the package imports this module

    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    at = _where(error.token)[0]
    candidates = [(*_where(error.token), False)] if error.token.type == "IDENT" else []
    candidates += [(start, end, True) for start, end in reversed(_words_before(text, at))]
    for start, end, told_by_what_follows in candidates:
        for keyword, rest in _splits(text[start:end]):
            hint = _apart(text, start, end, keyword, rest)
            # the name the parser stopped at may be one (`+5 whenever x`): apart, the whole must parse
            likely = _plausible(text, rest) or (not told_by_what_follows and _parse_error(error, apply_fix(text, hint.fix)) is None)
            if likely and _gets_past(error, text, hint.fix):
                return hint
    return None


_NAME = IDENTIFIER
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')
WORDS_BEFORE = 3  # a glued word, the name after it, and a word the parser took before it saw the error


def _words_before(text: str, at: int) -> list[tuple[int, int]]:
    """The last few words before offset `at`, on its line and the line before, outside strings and
    comments, as (start, end)."""
    start = text.rfind("\n", 0, max(text.rfind("\n", 0, at), 0)) + 1
    code = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text[start:at])
    return [(start + m.start(), start + m.end()) for m in _NAME.finditer(code)][-WORDS_BEFORE:]


def glued_keyword_stage(text: str, name_start: int) -> Optional[Hint]:
    """`stages { lead  mql whenok }` parses, as a stage `mql` and a stage `whenok`, both without a
    condition (as `mql when x > 3 andok` ends in a stage `andok`): the hint for the glued word that
    starts at `name_start`, when what follows the word of the language reads as what would
    follow it. A stage `orange` is not `or ange`."""
    found = _NAME.match(text, name_start)
    if found is None:
        return None
    for keyword, rest in _splits(found.group()):
        if keyword in ("when", "and", "or", "not") and _plausible(text, rest):
            return _apart(text, *found.span(), keyword, rest)
    return None
