"""The oracle's reading of input data (LANGUAGE.md section 8), from the spec alone.

Values are read into plain Python: text -> str, number -> float, boolean -> bool,
enum -> the declared member (str), date/timestamp -> int microseconds since the
Unix epoch, UTC. Missing (absent, null, blank) -> None.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Optional

EPOCH = dt.datetime(1970, 1, 1)


class OracleDataError(Exception):
    def __init__(self, field: str, value: object, message: str = "") -> None:
        super().__init__(f"{field}: {value!r} {message}".strip())
        self.field = field
        self.value = value


_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_INSTANT = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,9}))?)?"
    r"(?: ?(?P<zone>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?))?)?")
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _is_json_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_instant(text: str) -> Optional[int]:
    """A date or timestamp in one of the exact forms of section 8 -> UTC micros; None if not."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        moment = dt.datetime(int(g["y"]), int(g["mo"]), int(g["d"]), int(g["h"] or 0), int(g["mi"] or 0),
                             int(g["s"] or 0))
    except ValueError:
        return None
    micros = int((g["f"] or "0")[:6].ljust(6, "0"))  # kept to the microsecond by truncation
    offset = 0
    zone = g["zone"]
    if zone and zone not in ("Z", "z"):
        hours, minutes = int(zone[1:3]), int(zone[-2:]) if len(zone) > 3 else 0
        if hours > 23 or minutes > 59:
            return None
        offset = (1 if zone[0] == "+" else -1) * (hours * 60 + minutes) * 60_000_000
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + micros - offset


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_value(value: object, kind: str, members: tuple, name: str):
    """One declared field or property value, or None when missing; OracleDataError if unreadable."""
    if _blank(value):
        return None
    text = value.strip() if isinstance(value, str) else None
    if kind == "text":
        if text is not None:
            return text
        if _is_json_int(value):
            return str(value)
    elif kind == "number":
        if text is not None and _NUMBER.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return number
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if math.isfinite(number):
                return number
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
        if _is_json_int(value) and value in (0, 1):
            return value == 1
        if text is not None and text.lower() in _BOOLEANS:
            return _BOOLEANS[text.lower()]
    elif kind == "enum":
        if _is_json_int(value):  # GAP: an enum given a JSON integer is read as its decimal text
            text = str(value)
        if text is not None:
            for member in members:
                if member.lower() == text.lower():
                    return member
    elif kind == "date":
        if text is not None:
            micros = read_instant(text)
            if micros is not None:
                return micros
    raise OracleDataError(name, value, f"cannot be read as {kind}")
