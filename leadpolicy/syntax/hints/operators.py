"""Hints for operators written as other languages write them: `==`, `=>`, `<>`, `&&`, `!`, an
arrow for a demotion."""

from __future__ import annotations

import difflib
import re
from typing import Optional

from lark.exceptions import UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.hints.common import (
    Hint,
    _accepts,
    _character,
    _hint,
    _previous_token,
    _spaced,
    _span,
    _terminal,
    _where,
    error_offset,
)


def double_equals(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`fit == 40` -> `fit = 40`."""
    if not isinstance(error, UnexpectedToken) or error.token != "=":
        return None
    previous = _previous_token(error)
    (start, middle), (second, end) = _where(previous) if previous is not None else (0, -1), _where(error.token)
    if previous is None or previous != "=" or middle != second:
        return None
    return _hint(text, "`==` is written `=` in a policy", _span(text, start, end), "compare with one `=`",
                 (middle, end, ""))


# other languages' and mathematics' ways to write a comparison, and the policy's
_COMPARISONS = {"=>": ">=", "=<": "<=", "<>": "!=", "=!": "!=", "≥": ">=", "≤": "<=", "≠": "!="}


def misspelt_comparison(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`fit => 40` -> `fit >= 40`, `x =< 5` -> `x <= 5`, `x <> 5` -> `x != 5`, `fit ≥ 40` -> `fit >= 40`."""
    character = _character(error)
    if character is not None:  # `≥` alone, or the `!` of `=!`, which the lexer cannot read
        glued = character > 0 and text[character - 1:character + 1] == "=!"
        start = character - 1 if glued else character
        written = text[start:character + 1]
        if written not in _COMPARISONS or (not glued and not _accepts(error, "COMPARE")):
            return None
    elif isinstance(error, UnexpectedToken) and error.token.type == "COMPARE":
        previous = _previous_token(error)  # `=>`: `=` read as the comparison, then `>` where a value goes
        if previous is None or previous.type != "COMPARE" or _where(previous)[1] != _where(error.token)[0]:
            return None
        start = _where(previous)[0]
        written = text[start:_where(error.token)[1]]
        if written not in _COMPARISONS:
            return None
    else:
        return None
    end = start + len(written)
    right = _COMPARISONS[written]
    return _hint(text, f"`{written}` is written `{right}` in a policy", _span(text, start, end), f"write `{right}`",
                 (start, end, right))


_SYMBOL_WORDS = {"&&": "and", "&": "and", "||": "or", "|": "or"}


def symbol_for_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`a && b` -> `a and b`, `a || b` -> `a or b`."""
    start = _character(error)
    if start is None:
        return None
    symbol = text[start:start + 2] if text[start:start + 2] in _SYMBOL_WORDS else text[start:start + 1]
    word = _SYMBOL_WORDS.get(symbol)
    if word is None or not _accepts(error, word.upper()):
        return None
    end = start + len(symbol)
    return _hint(text, f"`{symbol}` is written `{word}` in a policy", _span(text, start, end), f"write `{word}`",
                 (start, end, _spaced(text, start, end, word)))


def bang_for_not(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`when !is_customer` -> `when not is_customer` (`!=` stays a comparison)."""
    start = _character(error)
    if start is None:
        return None
    if text[start:start + 1] != "!" or text[start + 1:start + 2] == "=" or not _accepts(error, "NOT"):
        return None
    return _hint(text, "`!` is written `not` in a policy", _span(text, start, start + 1), "write `not`",
                 (start, start + 1, _spaced(text, start, start + 1, "not")))


# what people write for a demotion's arrow
_ARROWS = ("to", "=>", "→", "⇒", "-->", ">")


def arrow_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Went quiet": sql to mql when ...` -> `sql -> mql`: a demotion's stages are joined by `->`."""
    arrow = _terminal("->")
    if arrow is None or not _accepts(error, arrow):
        return None
    at = error_offset(error, text)
    written = next((w for w in sorted(_ARROWS, key=len, reverse=True) if text.startswith(w, at)), None)
    if written is None or (written.isalpha() and text[at + len(written):at + len(written) + 1].isalnum()):
        return None
    return _hint(text, f"a demotion goes from one stage to another with `->`, not `{written}`",
                 _span(text, at, at + len(written)), "write", (at, at + len(written), "->"))


def is_for_equals(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size is 3` -> `size = 3`, `s is not "x"` -> `s != "x"`, `expect fit is 3` -> `expect fit = 3`:
    `is` only tests `missing` and `present`; a value is compared with `=` or `!=`."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    token, previous = error.token, _previous_token(error)
    if token.type == "IS" and _accepts(error, "COMPARE"):  # `expect fit is 3`: no `is missing` there
        start = _where(token)[0]
    elif previous is not None and previous.type == "IS" and set(error.expected or ()) >= {"MISSING", "PRESENT"} \
            and not _means_missing(str(token)):
        start = _where(previous)[0]
    else:
        return None
    m = re.compile(r"is([ \t]+not)?(?=[ \t(\"'-]|[ \t]*[0-9A-Za-z_])[ \t]*").match(text, start)
    if m is None or re.match(r"(?:missing|present)\b", text[m.end():]):
        return None  # `is not missing`: is_not says it
    right = "!=" if m.group(1) else "="
    written = text[start:m.end()].strip()
    return _hint(text, f"a value is compared with `{right}`, not `{written}` (`is` tests only `missing` and `present`)",
                 _span(text, start, start + len(written)), f"write `{right}`", (start, m.end(), f"{right} "))


def _means_missing(word: str) -> bool:
    """`is null`, `is missin`, `is empty`: a test of whether there is a value, not a value."""
    lowered = word.lower()
    return lowered in ("null", "none", "nil", "undefined", "empty", "blank", "set", "unset", "defined", "absent") \
        or bool(difflib.get_close_matches(lowered, ["missing", "present"], n=1, cutoff=0.6))


# a comparison in words, as other languages and spoken English write it
_EQUALS = re.compile(r"(?:is[ \t]+)?(?:equals|equal|eq)(?:[ \t]+to)?(?![A-Za-z0-9_])[ \t]*", re.IGNORECASE)


def equals_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size equals 3` -> `size = 3` (also `is equal to`, `eq`). The word reads as a name: the
    parser stops at it, or, in `stages`, takes it and the value after it for next stages and stops
    after them (`mql when region equals emea and ...` stops at `and`)."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    at = _where(error.token)[0]
    line_start = text.rfind("\n", 0, at) + 1
    words = [line_start + m.start() for m in re.finditer(r"(?<![A-Za-z0-9_\"])[A-Za-z_]+", text[line_start:at])]
    for start in [*words[-3:], at]:  # the word it stopped at or one of the three before it, leftmost first (`is equal`)
        found = _EQUALS.match(text, start)
        if found is not None:
            written = text[start:found.end()].strip()
            return _hint(text, f"a value is compared with `=`, not `{written}`", _span(text, start, start + len(written)),
                         "write `=`", (start, found.end(), "= "))
    return None
