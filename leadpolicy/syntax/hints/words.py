"""Hints for the words of the language: written in capitals or misspelt, another language's word
(`null`, `each`, `if`, `integer`), an abbreviated unit, two words glued together, clauses in
the wrong order."""

from __future__ import annotations

import difflib
import re
from typing import Optional

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.hints.common import (
    _STRING,
    _WORD,
    Hint,
    _accepts,
    _hint,
    _keywords,
    _line_bounds,
    _previous_token,
    _spaced,
    _span,
    _spelling,
    _terminal,
    _where,
    block_keywords,
    error_offset,
    rewritten_line,
)


def capital_keyword(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`when size >= 10 AND ok` -> `and`, `IS MISSING` -> `is missing`, `FIT {` -> `fit {`: the words of
    the language are lower case, and a word in capitals reads as a name (a fit group, a field). Every
    such word on the line of the error (or, when there is none up to the error, on the line before) is
    written in lower case, outside strings and comments."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    words = _capital_keywords(text, line_start, line_end)
    if not any(start <= at for start, _, _ in words) and line_start > 0:
        line_start, line_end = _line_bounds(text, line_start - 1)  # `... AND` at the end of the line before
        words = _capital_keywords(text, line_start, line_end)
    if not words or words[0][0] > at:
        return None
    return _lowered(text, words)


def capital_keyword_stage(text: str, name_start: int) -> Optional[Hint]:
    """`stages { lead mql when size >= 10 OR ok }` parses, as a stage `OR` with no condition and a
    stage `ok`: the hint for the capital word that starts at `name_start`, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    words = _capital_keywords(text, line_start, line_end)
    if not any(start == name_start for start, _, _ in words):
        return None
    at = next(index for index, (start, _, _) in enumerate(words) if start == name_start)
    return _lowered(text, words[at:])


def _lowered(text: str, words: list[tuple[int, int, str]]) -> Hint:
    """The hint that writes `words` (the first named in the message) in lower case."""
    first, last = words[0][0], words[-1][1]
    null = re.match(r"[ \t]+(?:null|none|nil)\b", text[last:], re.IGNORECASE)  # SQL's `IS NOT NULL`
    if null is not None:
        last += null.end()
    lowered = text[first:last]
    for start, end, word in reversed(words):
        lowered = lowered[:start - first] + word.lower() + lowered[end - first:]
    lowered = re.sub(r"\bis([ \t]+)not[ \t]+(?:null|none|nil)\b", r"is\1present", lowered, flags=re.IGNORECASE)
    lowered = re.sub(r"\bis([ \t]+)(?:null|none|nil)\b", r"is\1missing", lowered, flags=re.IGNORECASE)
    word = words[0][2]
    return _hint(text, f"`{word}` is written `{word.lower()}`: the words of the language are lower case",
                 _span(text, words[0][0], words[0][1]), f"write `{word.lower()}`", (first, last, lowered))


def _capital_keywords(text: str, line_start: int, line_end: int) -> list[tuple[int, int, str]]:
    """The words of the language written with a capital (`AND`, `Within`) on a line, outside strings and comments."""
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    comment = next((at for at in range(line_start, line_end) if text[at] == "#"
                    and not any(a <= at < b for a, b in strings)), line_end)
    words = []
    for found in _WORD.finditer(text, line_start, comment):
        word, (start, end) = found.group(), found.span()
        if word != word.lower() and word.lower() in _keywords() and not any(a <= start < b for a, b in strings):
            words.append((start, end, word))
    return words


_NULLS = ("null", "none", "nil", "undefined", "empty", "blank")  # SQL's, and empty text: missing (section 16)


def null_for_missing(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`email is null` -> `email is missing`, `email is not null` -> `email is present` (SQL's words);
    `is empty` and `is blank` too: empty or blank text is missing (docs/language-reference.md 16)."""
    missing = _terminal("missing")
    if not isinstance(error, UnexpectedToken) or missing is None or not _accepts(error, missing):
        return None
    start, end = _where(error.token)
    word = str(error.token)
    if word.lower() in _NULLS:
        written, right = word, "missing"
    else:
        after = re.match(r"[ \t]+([A-Za-z]+)\b", text[end:])
        if word.lower() != "not" or after is None or after.group(1).lower() not in _NULLS:
            return None
        end += after.end()
        written, right = text[start:end], "present"
    return _hint(text, f"`is {written}` is written `is {right}` in a policy", _span(text, start, end),
                 f"write `{right}`", (start, end, right))


def misspelt_keyword(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`disqualfy {` -> `disqualify {`: a word where only keywords may stand, close to one of them."""
    if not isinstance(error, UnexpectedToken) or "IDENT" in (error.expected or ()):
        return None
    token = error.token
    word = str(token)
    if token.type == "$END" or not word.isidentifier():
        return None
    start, end = _where(token)
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):  # `as_of`: the lexer took `as` out of it
        return _underscored_words(text, start, end)
    apart = _underscored_words(text, start, end) if "_" in word else None
    if apart is not None:  # `max_10`: `max 10`, not `max`
        return apart
    keywords = [w for w in (_spelling(t) for t in sorted(error.expected or ())) if w and w.isidentifier()]
    close = difflib.get_close_matches(word, keywords, n=1, cutoff=0.6)
    if not close or close[0] == word:
        return None
    blocks = set(block_keywords())
    message = f"`{word}` is not a kind of block" if set(keywords) <= blocks else f"`{word}` is not a word of the language"
    return _hint(text, message, Span.from_token(token), f"did you mean `{close[0]}`?",
                 (*_where(token), close[0]))


# `is not missing` and SQL's `is null` joined by `_`, as `is_not` and `is null` written apart are told
_JOINED_NEGATIONS = {"is_not_missing": "is present", "is_not_present": "is missing", "is_null": "is missing",
                     "is_not_null": "is present", "is_none": "is missing", "is_not_none": "is present"}


def _underscored_words(text: str, start: int, end: int) -> Optional[Hint]:
    """`as_of 2026-11-22` -> `as of`, `previous_stage` -> `previous stage`, `expect no_hit`: words of the
    language joined by `_`, as a name would be. `start` and `end` lie in such a word (the lexer may
    have read its first word as that keyword); the old hint offered `of` for `_of`, making `asof`."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    if word.lower() in _JOINED_NEGATIONS:  # `is_not_missing`: the words apart would be wrong still
        right = _JOINED_NEGATIONS[word.lower()]
        return _hint(text, f"`{word}` is written `{right}`", _span(text, start, end), f"write `{right}`",
                     (start, end, right))
    parts = word.split("_")
    # `max_10`, `at_least_2`: a number glued to the word before it (the old hint offered `max`, losing the 10)
    if len(parts) < 2 or parts[0] not in _keywords() or not all(p in _keywords() or p.isdigit() for p in parts):
        return None
    words, count = " ".join(parts), "two" if len(parts) == 2 else str(len(parts))
    told = "the number apart" if any(part.isdigit() for part in parts) else f"{count} words"
    return _hint(text, f"`{word}` is written `{words}`, {told}", _span(text, start, end), f"write `{words}`",
                 (start, end, words))


def underscored_name(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`did call at_least 2 times`, `when x is_missing }` in a fit rule, `days_since joined > 3`:
    words of the language joined by `_` lex as one name, which the parser takes (a next stage, a
    fit group, a field) and it stops at what follows. The last such word on the line up to the
    error (or, when there is none, on the line before: `x is_missing` then a next rule), outside
    strings and comments, is written apart."""
    if not isinstance(error, UnexpectedToken):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    hint = _last_underscored(text, line_start, min(line_end, max(at, _where(error.token)[1])))
    if hint is None and line_start > 0:
        hint = _last_underscored(text, *_line_bounds(text, line_start - 1))
    return hint


def _last_underscored(text: str, start: int, end: int) -> Optional[Hint]:
    """The hint for the last words joined by `_` in text[start:end], outside strings and comments."""
    strings = [m.span() for m in _STRING.finditer(text, start, end)]
    comment = next((i for i in range(start, end) if text[i] == "#" and not any(a <= i < b for a, b in strings)), end)
    for found in reversed(list(_WORD.finditer(text, start, comment))):
        if "_" in found.group() and not any(a <= found.start() < b for a, b in strings):
            hint = _underscored_words(text, *found.span())
            if hint is not None:
                return hint
    return None


def underscored_stage(text: str, name_start: int) -> Optional[Hint]:
    """`stages { lead mql when x is_missing }` parses, as `mql when x` and a stage `is_missing`
    without a condition: the hint for the joined words that start at `name_start`, or None."""
    found = _WORD.match(text, name_start)
    return _underscored_words(text, *found.span()) if found is not None and "_" in found.group() else None


# the parts after an activity, in the order they must come: `did ACT where COND at least N times within D`,
# `per ACT where COND within D max M`
_CLAUSES = {
    "at": re.compile(r"at[ \t]+least[ \t]+[0-9][0-9_]*[ \t]+times\b"),
    "within": re.compile(r"within[ \t]+[0-9][0-9_.]*[ \t]*[A-Za-z]+\b"),
    "max": re.compile(r"max[ \t]+[0-9][0-9_.]*\b"),
    # a `where` moved only when its condition is plainly its own: one line, no `and`, `or` or bracket
    "where": re.compile(r"where[ \t]+(?:(?!\b(?:and|or|max|within|at)\b)[^\n#{}()])+?(?=[ \t]*(?:[})#\n]|$|max\b|within\b|at\b))"),
}


_ORDER = ("where", "at", "within", "max")


def clause_order(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`per visit max 10 within 7 days` -> `within 7 days max 10`; `did visit within 7 days where
    page = "/x"` -> `did visit where page = "/x" within 7 days`: the parts after an activity in their order."""
    if not isinstance(error, UnexpectedToken) or str(error.token) not in _CLAUSES:
        return None
    start = _where(error.token)[0]
    moved = _CLAUSES[str(error.token)].match(text, start)
    if moved is None:
        return None
    line_start = _line_bounds(text, start)[0]
    before = text[line_start:start].rstrip(" \t")
    earlier = None
    for word in _ORDER[_ORDER.index(str(error.token)) + 1:]:  # a part that must come after the one here
        for found in _CLAUSES[word].finditer(text, line_start, line_start + len(before)):
            if found.end() == line_start + len(before):
                earlier = found
    if earlier is None:
        return None
    later = str(error.token)
    fix = (earlier.start(), moved.end(), f"{moved.group()} {earlier.group()}")
    shown = "at least" if later == "at" else later
    first = "at least" if earlier.group().startswith("at") else earlier.group().split()[0]
    return _hint(text, f"`{shown}` comes before `{first}` (after an activity: `where`, `at least`, `within`, `max`)",
                 _span(text, start, moved.end()), "put it first", fix)


def times_without_at_least(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`did visit 2 times within 7 days` -> `did visit at least 2 times within 7 days`."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    start = _where(error.token)[0]
    count = re.compile(r"[0-9][0-9_]*[ \t]+times\b").match(text, start)
    if count is None or not re.search(r"\bdid\b", text[_line_bounds(text, start)[0]:start]):
        return None
    return _hint(text, "a count of activities is written `at least N times`", _span(text, start, count.end()),
                 "add `at least`", (start, start, "at least "))


def no_with_a_count(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`no visit at least 2 times` -> `not did visit at least 2 times`: `no X` is `not did X`
    and takes no count (the parser ended the condition at `no visit` and took `at` for a name)."""
    if not isinstance(error, UnexpectedToken) or str(error.token) != "at":
        return None
    start = _where(error.token)[0]
    count = re.compile(r"at[ \t]+least[ \t]+[0-9][0-9_]*[ \t]+times\b").match(text, start)
    line_start = _line_bounds(text, start)[0]
    found = None
    for found in re.finditer(r"\bno(?=[ \t]+[A-Za-z_])", text[line_start:start]):
        pass
    if count is None or found is None:
        return None
    at = line_start + found.start()
    return _hint(text, "`no` takes no count: `no X` means `not did X`, and `at least N times` goes with `did`",
                 _span(text, at, count.end()), "write `not did`", (at, at + 2, "not did"))


# other words for `per` and `when`, where the rule needs one of them
_RULE_WORDS = {"each": "per", "for": "per", "every": "per", "if": "when", "where": "when", "whenever": "when",
               "per": "every"}  # `decay 50% per 30 days`: where only `every` may come


def rule_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Demo": +10 each form_submit` -> `per`; `"Big": +5 if size > 100` -> `when`."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    word = str(error.token)
    right = _RULE_WORDS.get(word.lower())
    terminal = _terminal(right) if right else None
    if right is None or terminal is None or not _accepts(error, terminal):
        return None
    start, end = _where(error.token)
    return _hint(text, f"`{word}` is written `{right}` here", _span(text, start, end), f"write `{right}`",
                 (start, end, right))


def glued_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`within 90 dayz` -> `within 90 days`: a misspelt word of the language, read as a name where
    no name may stand (or a word the lexer took a keyword out of, glued to what stood before it)."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    start, end = _where(error.token)
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    name_out_of_place = error.token.type == "IDENT" and "IDENT" not in (error.expected or ())
    if not word.isidentifier() or (start == _where(error.token)[0] and not name_out_of_place):
        return None
    close = difflib.get_close_matches(word, _keywords(), n=3, cutoff=0.75)
    if not close:
        return None
    close.sort(key=lambda w: len(w) != len(word))  # `dayz`: `days` (one letter changed) before `day`
    return _hint(text, f"`{word}` is not a word of the language", _span(text, start, end),
                 f"did you mean `{close[0]}`?", (start, end, close[0]))


# what people write for a unit, and the unit (singular); months and years have none
_UNIT_SPELLINGS = {"d": "day", "dy": "day", "dys": "day", "h": "hour", "hr": "hour", "hrs": "hour",
                   "w": "week", "wk": "week", "wks": "week"}


_CALENDAR_UNITS = {"m": 30, "mo": 30, "mos": 30, "mon": 30, "month": 30, "months": 30,
                   "y": 365, "yr": 365, "yrs": 365, "year": 365, "years": 365}


def abbreviated_unit(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`within 30d` -> `within 30 days`; `within 3 months` -> `within 90 days` (no month unit:
    a month is not a fixed length, so the policy says how many days it means)."""
    if not isinstance(error, UnexpectedToken) or error.token.type != "IDENT" or "UNIT" not in (error.expected or ()):
        return None
    previous = _previous_token(error)
    word = str(error.token)
    if previous is None or not re.fullmatch(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?", str(previous)):
        return None
    start, end = _where(error.token)
    number_start, number_end = _where(previous)
    amount = float(str(previous).replace("_", ""))
    unit = _UNIT_SPELLINGS.get(word.lower())
    if unit is not None:
        written = f"{'' if number_end < start else ' '}{unit}{'' if amount == 1 else 's'}"
        return _hint(text, f"`{word}` is not a unit", _span(text, start, end), "write the unit in full",
                     (start, end, written))
    days = _CALENDAR_UNITS.get(word.lower())
    if days is None:
        return None
    total = amount * days
    count = str(int(total)) if total == int(total) else repr(total)
    return _hint(text, f"there is no unit `{word}`: a duration is in hours, days or weeks",
                 _span(text, number_start, end), f"say how many days you mean, such as {days} a {'month' if days == 30 else 'year'}",
                 (number_start, end, f"{count} days"))


_TYPE_WORDS = {"integer": "number", "int": "number", "float": "number", "decimal": "number", "double": "number",
               "numeric": "number", "money": "number", "currency": "number", "bool": "boolean", "string": "text",
               "str": "text", "varchar": "text", "email": "text", "datetime": "date", "timestamp": "date",
               "time": "date", "enum": "one of", "choice": "one of", "select": "one of"}


def type_synonym(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`company_size integer` -> `company_size number`, `tier enum(a, b)` -> `tier one of (a, b)`,
    `(path: text)` -> `(path text)`: where a type must stand, another language's word for it."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    expected = {_spelling(t) for t in error.expected or ()}
    if not {"number", "text", "boolean", "date"} <= expected:
        return None
    start, end = _where(error.token)
    word = str(error.token)
    previous = _previous_token(error)
    if word != ":" and word.lower() not in _TYPE_WORDS and previous is not None and previous.type == "IDENT":
        # `created datetime`: read as the type `date` and then a field `time`, which has no type
        start, end = _where(previous)
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        word = text[start:end]
        if word == str(previous) or word.lower() not in _TYPE_WORDS:
            return None
    if word == ":":  # `path: text`: a colon between a name and its type
        return _hint(text, "a name and its type are written without a colon", _span(text, start, end),
                     "remove the colon", (start, end, "" if text[end:end + 1].isspace() or text[start - 1:start].isspace()
                                                     else " "))
    kind = _TYPE_WORDS.get(word.lower())
    if kind is None:
        return None
    replacement = _spaced(text, start, end, kind) if kind == "one of" else kind
    return _hint(text, f"`{word}` is not a type of the language (types: text, number, boolean, date, one of (...))",
                 _span(text, start, end), f"write `{kind}`", (start, end, replacement))


# The text tests and `not in` as other languages spell them, glued: `endswith`, `not_in` (in a
# stage's condition they read as a next stage's name: the checker's stage-needs-condition says so).
GLUED_TESTS = {"endswith": "ends with", "ends_with": "ends with", "startswith": "starts with",
                "starts_with": "starts with", "notin": "not in", "not_in": "not in"}


def glued_text_test(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`email endswith "@x"` -> `email ends with "@x"`; `t not_in (a)` -> `t not in (a)`. The glued
    word reads as a name, so the parser stops at it or at what follows it."""
    if not isinstance(error, UnexpectedToken):
        return None
    for token in (error.token, _previous_token(error)):
        if token is not None and token.type == "IDENT" and str(token).lower() in GLUED_TESTS:
            start, end = _where(token)
            words = GLUED_TESTS[str(token).lower()]
            return _hint(text, f"`{token}` is written `{words}`, two words", _span(text, start, end), f"write `{words}`",
                         (start, end, words))
    return None


def glued_test_before(text: str, offset: int) -> Optional[Hint]:
    """`mql when email endswith “@x”`: the glued text test just before `offset` (where a string
    stands), after a value on a line with a condition. In `stages` such a word parses as a next
    stage's name (the checker's stage-needs-condition says so), so no syntax error points at it."""
    line_start = _line_bounds(text, offset)[0]
    before = text[line_start:offset]
    m = re.search(r"""[\w")][ \t]+([A-Za-z_]+)[ \t]*$""", before)
    if m is None or m.group(1).lower() not in GLUED_TESTS or re.search(r"\bwhen\b", before[:m.start(1)]) is None:
        return None
    start, end = line_start + m.start(1), line_start + m.end(1)
    words = GLUED_TESTS[m.group(1).lower()]
    return _hint(text, f"`{m.group(1)}` is written `{words}`, two words", _span(text, start, end), f"write `{words}`",
                 (start, end, words))


def glued_test_stage(text: str, name_start: int) -> Optional[Hint]:
    """`stages { lead mql when email endswith "@x" }` parses, as `mql when email` and a stage
    `endswith` described "@x": the hint for the glued text test that starts at `name_start`, or None
    (as `ends_with` gets; the checker's stage-needs-condition said it, with no edit to offer)."""
    found = _WORD.match(text, name_start)
    if found is None or found.group().lower() not in GLUED_TESTS:
        return None
    words = GLUED_TESTS[found.group().lower()]
    return _hint(text, f"`{found.group()}` is written `{words}`, two words", _span(text, *found.span()),
                 f"write `{words}`", (*found.span(), words))


def missing_with(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`email ends "@x"` -> `email ends with "@x"`."""
    if not isinstance(error, UnexpectedToken) or set(error.expected or ()) != {"WITH"}:
        return None
    previous = _previous_token(error)
    if previous is None or previous.type not in ("ENDS", "STARTS"):
        return None
    end = _where(previous)[1]
    return _hint(text, f"the text test is `{previous} with`, not `{previous}` alone", _span(text, *_where(previous)),
                 f"write `{previous} with`", (end, end, " with"))


def is_not(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`budget is not missing` -> `budget is present` (and `is not present` -> `is missing`)."""
    if not isinstance(error, UnexpectedToken) or error.token.type != "NOT":
        return None
    previous = _previous_token(error)
    if previous is None or previous.type != "IS":
        return None
    start = _where(error.token)[0]
    m = re.compile(r"not[ \t]+(missing|present)\b").match(text, start)
    if m is None:
        return None
    opposite = "present" if m.group(1) == "missing" else "missing"
    return _hint(text, f"`is not {m.group(1)}` is written `is {opposite}`", _span(text, start, m.end()),
                 f"write `is {opposite}`", (start, m.end(), opposite))


# what people write after `expect` for the words of a test (docs/language-reference.md section 17): a
# score named as other tools name it (None: which of the two the policy has), a stage's other names
_EXPECTATIONS: dict[str, Optional[str]] = {
    "score": None, "scores": None, "points": None, "total": None, "total_score": None, "lead_score": None,
    "fit_score": "fit", "fitscore": "fit", "fit_points": "fit", "score_fit": "fit",
    "engagement_score": "engagement", "engagementscore": "engagement", "engagement_points": "engagement",
    "score_engagement": "engagement",
    "status": "stage", "state": "stage", "rating": "grade", "not": "no",
}

_EXPECT = re.compile(r"\bexpect[ \t]+([A-Za-z_]+)")


def expectation_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`expect score >= 3` -> `expect engagement >= 3` or `expect fit >= 3`: a test expects one of the
    two scores by name; `expect status sql` -> `expect stage sql`; `expect not hit` -> `expect no hit`
    (the lexer reads `no` out of `not` there, and stops at `t`)."""
    if not isinstance(error, UnexpectedToken):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    found = next((m for m in _EXPECT.finditer(text, line_start, line_end) if m.start(1) <= at < m.end(1)), None)
    if found is None or found.group(1).lower() not in _EXPECTATIONS:
        return None
    word, (start, end) = found.group(1), found.span(1)
    right = _EXPECTATIONS[word.lower()]
    if right == "no":
        hit = re.match(r"[ \t]+hit\b", text[end:])
        return None if hit is None else _hint(text, f"`{word} hit` is written `no hit`", _span(text, start, end),
                                              "write `no hit`", (start, end + hit.end(), "no hit"))
    if right is not None:
        return _hint(text, f"a test expects its `{right}`, not `{word}`", _span(text, start, end), f"write `{right}`",
                     (start, end, right))
    scores = _scores_declared(text)
    chosen, other = scores[0], scores[1]
    fix = (start, end, chosen)
    shown = f"`{rewritten_line(text, fix)}` or `{rewritten_line(text, (start, end, other))}`"
    return Hint(f"a test expects one of the two scores, `engagement` or `fit`, not `{word}`", _span(text, start, end),
                f"write `{chosen}` or `{other}`: {shown}", fix, f"write `{chosen}`")


def _scores_declared(text: str) -> tuple[str, str]:
    """`engagement` and `fit`, the one the text declares a block for first (a `.tests` file or a
    policy with both: `engagement`, as section 17 lists them)."""
    declared = {m.group(1) for m in re.finditer(r"^[ \t]*(engagement|fit)[ \t]*\{", text, re.MULTILINE)}
    return ("fit", "engagement") if declared == {"fit"} else ("engagement", "fit")
