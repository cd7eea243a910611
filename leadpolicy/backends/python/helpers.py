"""Helpers of every compiled module, embedded verbatim below the runtime.

Everything after the marker line is copied into each module as it is; the
imports above it give this file alone (linting, tests) the names the embedded
copy finds already defined: the runtime's, and the template's `datetime` import. Each reader gives exactly its
runtime reader's value (tests/test_compiler_helpers.py), faster for plain JSON.
"""

import datetime as _datetime_module
import re

from leadpolicy.semantics.runtime import parse_instant, read_as_of, read_boolean, read_date, read_enum, read_number

# ---- embedded into every compiled module from here ----

# Time. Activity times are compared with as_of minus each window, exactly as the
# runtime's integer microseconds would be.
_DATETIME = _datetime_module.datetime
_TIMEDELTA = _datetime_module.timedelta
_FROMISOFORMAT = _datetime_module.datetime.fromisoformat
_UTC = _datetime_module.timezone.utc
_EPOCH_UTC = _datetime_module.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = _datetime_module.datetime(1970, 1, 1)
_MICROSECOND = _TIMEDELTA(microseconds=1)
# A naive datetime `t` (UTC) as an aware one: `_EPOCH_UTC + (t - _EPOCH_NAIVE)`, the
# same instant, about ten times faster than `t.replace(tzinfo=_UTC)`.
# The spellings of the one timestamp syntax (runtime._INSTANT) that fromisoformat
# reads exactly as runtime.instant_micros does, once a final `z` is written `Z`:
# fields in range; fromisoformat still rejects impossible dates.
_ISO_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?"
    r"(?: ?(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?))?)?"
).fullmatch
# The characters at positions 4, 7, 10, 13, 16 and 19 (`text[4:20:3]`) of the
# commonest spellings, YYYY-MM-DDTHH:MM:SS with `Z` or no zone (19 or 20 characters,
# hour below 24): for such text fromisoformat succeeds exactly when the one syntax
# does, with the same instant, and the check is cheaper than _ISO_SHAPE.
_PLAIN_SHAPES = frozenset({"--T::", "--t::", "-- ::", "--T::Z", "--t::Z", "-- ::Z"})
# The same characters of a time with seconds (`text[4:17:3]`), whatever follows them.
_HEAD_SHAPES = frozenset({"--T::", "--t::", "-- ::"})
# The fraction of the seconds at the start of what follows them (`_FRACTION(text, 19)`).
_FRACTION = re.compile(r"[.][0-9]*").match
# The runtime's answers for the boolean words, trimmed and lower-cased.
_BOOLEAN_WORDS = {word: read_boolean(word, "boolean") for word in ("true", "false", "yes", "no", "1", "0")}


def _read_now(as_of: object) -> "tuple[_datetime_module.datetime | None, int]":
    """(now_utc, now) for evaluate's as_of: the instant as an aware UTC datetime (None
    beyond the datetime range: the runtime then reads the activities) and in
    microseconds, as runtime.read_as_of reads it."""
    if type(as_of) is _DATETIME and (as_of.tzinfo is _UTC or as_of.tzinfo is None):
        now_utc = as_of if as_of.tzinfo is _UTC else _EPOCH_UTC + (as_of - _EPOCH_NAIVE)
        return now_utc, (now_utc - _EPOCH_UTC) // _MICROSECOND
    now = read_as_of(as_of)
    try:
        return _EPOCH_UTC + _TIMEDELTA(0, 0, now), now
    except OverflowError:
        return None, now


def _moment(text: str) -> "_datetime_module.datetime | None":
    """The instant of trimmed text in the one syntax as a datetime (naive: UTC), or
    None for other text; ValueError for an impossible date."""
    if text[4:20:3] in _PLAIN_SHAPES and 18 < len(text) < 21 and text[11:13] < "24":
        return _FROMISOFORMAT(text)
    if _ISO_SHAPE(text):
        return _FROMISOFORMAT(text[:-1] + "Z" if text[-1] == "z" else text)
    return None


def _read_date(value: object, field: str, lead_id: object) -> int | None:
    """runtime.read_date(value, field, lead_id), faster for ISO 8601 text."""
    if type(value) is str:
        try:
            moment = _moment(value.strip())
        except ValueError:
            moment = None
        if moment is not None:
            return (moment - (_EPOCH_NAIVE if moment.tzinfo is None else _EPOCH_UTC)) // _MICROSECOND
    return read_date(value, field, lead_id)  # blank, not text, or the error to report


def _read_at(value: object, field: str, lead_id: object) -> "_datetime_module.datetime":
    """runtime.parse_instant(value, field, lead_id) as an aware datetime; ValueError
    (LeadDataError included) or OverflowError where only the runtime can say."""
    if type(value) is str:
        moment = _moment(value.strip())
        if moment is not None:
            return moment if moment.tzinfo is not None else _EPOCH_UTC + (moment - _EPOCH_NAIVE)
    return _EPOCH_UTC + _TIMEDELTA(0, 0, parse_instant(value, field, lead_id))


def _read_number(value: object, field: str, lead_id: object) -> float | None:
    """runtime.read_number(value, field, lead_id), faster for JSON numbers and digits."""
    if type(value) is int and -0x7FFFFFFFFFFFFFFF <= value <= 0x7FFFFFFFFFFFFFFF:
        return float(value)  # finite for any 64-bit int
    if type(value) is float and value - value == 0.0:  # a finite float
        return value
    if type(value) is str:
        text = value.strip()
        if not text:
            return None  # blank text is missing
        if text.isdigit() and text.isascii() and len(text) < 300:
            return float(text)
    return read_number(value, field, lead_id)


def _read_boolean(value: object, field: str, lead_id: object) -> bool | None:
    """runtime.read_boolean(value, field, lead_id) for a value other than True and False."""
    answer = _BOOLEAN_WORDS.get(value.strip().lower()) if type(value) is str else None
    return read_boolean(value, field, lead_id) if answer is None else answer


def _read_enum(value: object, lower: "dict[str, int]", members: "tuple[str, ...]", field: str,
               lead_id: object) -> int | None:
    """runtime.read_enum(value, members, field, lead_id) for a value not found as it is;
    `lower` holds the runtime's answers for the members, trimmed and lower-cased."""
    index = lower.get(value.strip().lower()) if type(value) is str else None
    return read_enum(value, members, field, lead_id) if index is None else index


# The batch (_decide_many) remembers what it learns from one lead for the next (the
# spellings of activity type names; activity texts; enum, number and boolean texts;
# what follows the seconds in times), each table up to this many entries; past that,
# it reads what it has not met as a single call does.
_MEMO_SIZE = 4096


def _lower_text(memo: "dict[str, str]", text: str) -> str | None:
    """runtime.read_text(text) of a str, trimmed and lower-cased (blank: None),
    remembered in `memo` for the rest of the batch while it has room."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    if len(memo) < _MEMO_SIZE:
        memo[text] = lowered
    return lowered


def _remember(memo: "dict[str, object]", value: object, answer: object) -> object:
    """`answer`, a reader's for `value`, remembered in the batch's `memo` when the value
    is a str (and the answer not None: a blank is read again) while it has room."""
    if answer is not None and type(value) is str and len(memo) < _MEMO_SIZE:
        memo[value] = answer
    return answer


def _read_at_memo(memo: "dict[str, tuple[int, _datetime_module.datetime | None]]", value: object, field: str,
                  lead_id: object) -> "_datetime_module.datetime":
    """_read_at(value, field, lead_id) for the batch, always in UTC (the same instant).

    A time written with the commonest head (YYYY-MM-DD?HH:MM:SS, hour below 24; padded
    or not) and a tail the pattern accepts leaves its tail in `memo` while it has room:
    tail -> (end, shift), where `text[:end]` is the head and the fraction, and `shift`
    is `_EPOCH_NAIVE` plus the zone's offset, or None when fromisoformat reads the whole
    text in UTC already. The tail alone decides both: the instant of any such head
    followed by that tail is `_EPOCH_UTC + (fromisoformat(text[:end]) - shift)`."""
    if type(value) is str:
        text = value.strip()
        head = len(text) > 19 and text[4:17:3] in _HEAD_SHAPES and text[11:13] < "24"
        if head:
            known = memo.get(text[19:])
            if known is not None:
                end, shift = known
                return _FROMISOFORMAT(text) if shift is None else _EPOCH_UTC + (_FROMISOFORMAT(text[:end]) - shift)
        moment = _moment(text)
        if moment is not None:
            zone = moment.tzinfo
            if head and len(memo) < _MEMO_SIZE:
                fraction = _FRACTION(text, 19)
                whole = zone is _UTC and text[-1] != "z"  # fromisoformat read the text as it is
                offset = moment.utcoffset() or _TIMEDELTA(0)
                memo[text[19:]] = (19 if fraction is None else fraction.end(), None if whole else _EPOCH_NAIVE + offset)
            if zone is None:
                return _EPOCH_UTC + (moment - _EPOCH_NAIVE)
            return moment if zone is _UTC else moment.astimezone(_UTC)
    return _EPOCH_UTC + _TIMEDELTA(0, 0, parse_instant(value, field, lead_id))
