"""Hints for numbers written as spreadsheets, CRMs and people write them: `1e3`, `$1,000`, `10k`,
`.5`, `40 points`, a signed cap; and timestamps as lead data writes them, `2026-01-05t10:00:00z`."""

from __future__ import annotations

import re
from typing import Callable, Optional

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.hints.common import _STRING, Hint, _hint, _line_bounds, _previous_token, _span, _where, error_offset

_EXPONENT = re.compile(r"(?<![A-Za-z0-9_.])([0-9][0-9_]*(?:\.[0-9][0-9_]*)?)([eE][+-]?[0-9]+)\b")


def exponent_number(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size > 1e3` -> `size > 1000`: a number in a policy has no exponent (`1e3` reads as `1` and a name
    `e3`). The nearest such number on the line up to the error."""
    found = _nearest_on_the_line(error, text, _EXPONENT)
    return _exponent_hint(text, found) if found else None


def _nearest_on_the_line(error: UnexpectedInput, text: str, pattern: re.Pattern[str],
                         keep: Callable[[re.Match[str]], bool] = lambda m: True) -> Optional[re.Match[str]]:
    """The last match of `pattern` (that `keep` keeps) on the error's line, up to the error and
    outside string literals; None for other errors."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    found = [m for m in pattern.finditer(text, line_start, line_end)
             if m.start() <= at and not any(a <= m.start() < b for a, b in strings) and keep(m)]
    return found[-1] if found else None


def _plain(value: float) -> Optional[str]:
    """`value` as a policy writes a number, or None when it cannot be written plainly."""
    if not value == value or abs(value) >= 1e16:
        return None
    written = str(int(value)) if value == int(value) else repr(value)
    return None if "e" in written else written


def _money(m: "re.Match[str]") -> Optional[str]:
    return m.group(1).replace(",", "_")


def _thousands(m: "re.Match[str]") -> Optional[str]:
    return m.group(1).replace(",", "_")


def _suffixed(m: "re.Match[str]") -> Optional[str]:
    return _plain(float(m.group(1).replace("_", "")) * {"k": 1e3, "m": 1e6}[m.group(2).lower()])


# how spreadsheets, CRMs and people write numbers, what a policy writes instead, and what to say
_NUMBER_SPELLINGS: tuple[tuple["re.Pattern[str]", Callable[["re.Match[str]"], Optional[str]], str], ...] = (
    (re.compile(r"(?<![\w.])[$€£]([0-9][0-9_,]*(?:\.[0-9]+)?)"), _money, "a number in a policy has no currency sign"),
    (re.compile(r"(?<![\w.,])([0-9]{1,3}(?:,[0-9]{3})+)(?![\w,])"), _thousands,
     "a number in a policy is written without thousands commas (`_` may group the digits)"),
    (re.compile(r"(?<![\w.])([0-9][0-9_]*(?:\.[0-9]+)?)([kKmM])\b"), _suffixed,
     "a number in a policy is written in full, without `k` or `M`"),
    (re.compile(r"(?<![\w.])\.([0-9]+)\b"), lambda m: "0." + m.group(1), "a number in a policy starts with a digit"),
    (re.compile(r"(?<![\w.])([0-9][0-9_]*)\.(?![\w.])"), lambda m: m.group(1),
     "a number in a policy has digits after its decimal point"),
    (re.compile(r"([+-]?[0-9][0-9_.]*)[ \t]*(?:points|point|pts|pt)\b"), lambda m: m.group(1),
     "points are written as a number alone"),
)


def number_spelling(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size > 1,000` -> `1_000`, `$1000` -> `1000`, `10k` -> `10000`, `.5` -> `0.5`, `+5 points` -> `+5`:
    the number nearest before the error on its line that a policy writes another way."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    best: Optional[tuple[int, "re.Match[str]", Callable[["re.Match[str]"], Optional[str]], str]] = None
    for pattern, rewrite, message in _NUMBER_SPELLINGS:
        for found in pattern.finditer(text, line_start, line_end):
            if found.start() <= at and not any(a <= found.start() < b for a, b in strings) \
                    and (best is None or found.start() > best[0]):
                best = (found.start(), found, rewrite, message)
    if best is None:
        return None
    _, found, rewrite, message = best
    written = rewrite(found)
    if written is None:
        return None
    return _hint(text, f"{message}, not `{found.group()}`", _span(text, found.start(), found.end()), f"write `{written}`",
                 (found.start(), found.end(), written))


def number_suffix_stage(text: str, name_start: int) -> Optional[Hint]:
    """`mql when size > 10k }` parses, as `size > 10` and a stage `k`: the hint, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    pattern, rewrite, message = _NUMBER_SPELLINGS[2]
    found = next((m for m in pattern.finditer(text, line_start, line_end) if m.start(2) == name_start), None)
    written = rewrite(found) if found else None
    if found is None or written is None:
        return None
    return _hint(text, f"{message}, not `{found.group()}`", _span(text, found.start(), found.end()), f"write `{written}`",
                 (found.start(), found.end(), written))


def exponent_stage(text: str, name_start: int) -> Optional[Hint]:
    """`mql when size > 1e3 }` parses, as `size > 1` and a stage `e3`: the hint for the number whose
    exponent starts at `name_start`, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    found = next((m for m in _EXPONENT.finditer(text, line_start, line_end) if m.start(2) == name_start), None)
    return _exponent_hint(text, found) if found else None


def _exponent_hint(text: str, found: "re.Match[str]") -> Optional[Hint]:
    try:
        value = float(found.group().replace("_", ""))
    except ValueError:
        return None
    if not value == value or value in (float("inf"), float("-inf")) or value >= 1e16:
        return None
    written = str(int(value)) if value == int(value) else repr(value)
    if "e" in written:
        return None  # too small to write plainly
    return _hint(text, f"a number in a policy is written without an exponent, not `{found.group()}`",
                 _span(text, found.start(), found.end()), f"write `{written}`", (found.start(), found.end(), written))


def signed_cap(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`max -50` -> `max 50`: a cap is a number of points."""
    if not isinstance(error, UnexpectedToken) or error.token.type not in ("MINUS", "PLUS"):
        return None
    previous = _previous_token(error)
    if previous is None or previous != "max":
        return None
    start, sign_end = _where(error.token)
    end = sign_end
    while end < len(text) and text[end] in " \t":
        end += 1
    written = f"max {text[start:end]}{_number_after(text, end)}"
    return _hint(text, f"caps are written without a sign, not `{written}`", _span(text, start, sign_end),
                 "a cap is a number of points", (start, end, ""))


def _number_after(text: str, at: int) -> str:
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] in "._"):
        end += 1
    return text[at:end]


def decay_without_percent(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`decay 50 every 30 days` -> `decay 50% every 30 days`: a decay is a percentage."""
    if not isinstance(error, UnexpectedToken) or set(error.expected or ()) != {"PERCENT"}:
        return None
    previous = _previous_token(error)
    if previous is None or previous.type != "NUMBER":
        return None
    end = _where(previous)[1]
    return _hint(text, f"a decay is a percentage, not `{previous}`", _span(text, *_where(previous)),
                 f"write `{previous}%`", (end, end, "%"))


def decay_without_amount(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`decay every 30 days` -> `decay 50% every 30 days`: a decay says how much fades, as a
    percentage; the hint writes 50% where it goes, for the writer to change."""
    if not isinstance(error, UnexpectedToken) or error.token.type != "EVERY" or set(error.expected or ()) != {"NUMBER"}:
        return None
    previous = _previous_token(error)
    if previous is None or previous.type != "DECAY":
        return None
    start = _where(error.token)[0]
    return _hint(text, "a decay says how much of the points fades, as a percentage, before `every`",
                 _span(text, start, _where(error.token)[1]), "write the share that fades, such as `50%`", (start, start, "50% "))


# A timestamp as lead data may write it (a `t` or a space between the date and the time, a `z`, a space
# before the zone), which a policy's literal does not take: `T` between them, `Z` for UTC, the zone
# right after the time (language reference 2.7). Groups: date, separator, time, space, Z, offset.
_DATA_TIMESTAMP = re.compile(r"(?<![\w.:-])([0-9]{4}-[0-9]{2}-[0-9]{2})([Tt ])([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)"
                             r"(?:( ?)(?:([Zz])|([+-][0-9]{2}(?::?[0-9]{2})?)))?(?![\w:.])")


def data_timestamp(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`at >= 2026-01-05t10:00:00z` -> `2026-01-05T10:00:00Z`: lead data takes `t`, `z`, a space
    before the time and one before the zone, a literal in a policy or its tests `T`, `Z` and no
    space. The nearest such timestamp on the line up to the error."""
    found = _nearest_on_the_line(error, text, _DATA_TIMESTAMP, _data_only)
    return _timestamp_hint(text, found) if found else None


def data_timestamp_stage(text: str, name_start: int) -> Optional[Hint]:
    """`mql when signed_up >= 2026-01-05T10:00:00z }` (or `... 10:00:00 Z }`) parses, as the timestamp
    without its zone and a stage `z`: the hint for the timestamp whose `z` starts at `name_start`, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    found = next((m for m in _DATA_TIMESTAMP.finditer(text, line_start, line_end) if m.start(5) == name_start), None)
    return _timestamp_hint(text, found) if found else None


def _data_only(found: "re.Match[str]") -> bool:
    return found.group(2) != "T" or bool(found.group(4)) or found.group(5) == "z"


def _timestamp_hint(text: str, found: "re.Match[str]") -> Hint:
    written = f"{found.group(1)}T{found.group(3)}{(found.group(5) or '').upper()}{found.group(6) or ''}"
    slips = [word for word, slip in (("a capital `T` between the date and the time", found.group(2) != "T"),
                                     ("a capital `Z`", found.group(5) == "z"),
                                     ("its zone right after the time", bool(found.group(4)))) if slip]
    said = slips[0] if len(slips) == 1 else f"{', '.join(slips[:-1])} and {slips[-1]}"
    return _hint(text, f"a timestamp in a policy or its tests is written with {said}, not `{found.group()}`",
                 _span(text, found.start(), found.end()), f"write `{written}`", (found.start(), found.end(), written))
