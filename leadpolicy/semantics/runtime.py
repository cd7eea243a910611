# leadpolicy runtime: reading lead data into the evaluator's representations.
#
# Shared by the reference interpreter and embedded verbatim into every compiled
# policy module, so it uses the standard library only and holds nothing but
# definitions and constants.
#
# Representations: a missing value is None; text is stripped, lower-cased str;
# a number is a finite float; a boolean is bool; an enum is the 0-based index of
# its declared member; a time is int microseconds since 1970-01-01T00:00:00Z.
import datetime
import json
import math
import re
import time
from collections.abc import Callable, Mapping

_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MICROS_PER_DAY = 86_400_000_000
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_NOT_ISO = "`{}` is not an ISO 8601 date or timestamp"
# The one timestamp syntax (docs/language-reference.md section 16): a date; or a date, `T`/`t`/one
# space, HH:MM[:SS[.F]] (F: 1 to 9 digits) and optionally (after one space) a zone
# Z, z, +HH:MM, +HHMM or +HH (or -). Ranges are checked after matching.
_INSTANT = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]{1,9}))?)?"
    r"(?: ?(?:[Zz]|([+-])([0-9]{2})(?::?([0-9]{2}))?))?)?"
)
_SHOW_LIMIT = 60
# members tuple -> {lower-cased member: index}; filled on first use of each tuple
_INDEXES: "dict[tuple[str, ...], dict[str, int]]" = {}


def show_value(value: object) -> str:
    """The value as a user would recognise it from their JSON, shortened; a Python value JSON
    has no form for (a Decimal, bytes) as Python writes it, never as a quoted string, which
    would read as the text that is accepted (`"20000"` for Decimal("20000"))."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > _SHOW_LIMIT:
        text = text[: _SHOW_LIMIT - 1] + "…"
    return text


class LeadDataError(ValueError):
    """A value in a lead that cannot be read as its declared type."""

    def __init__(self, message: str, *, field: str | None = None,
                 value: object = None, lead_id: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.lead_id = lead_id

    @property
    def lead(self) -> object:
        """The lead the error is about, by its id (`lead_id`; None when unknown): the name
        `str()` shows it by, `lead L-1: field ...`."""
        return self.lead_id

    def __str__(self) -> str:
        text = self.message
        field = self.field
        if field is not None:
            activity, dot, prop = field.partition(".")
            if not dot:
                text = f"field `{field}`: {text}"
            elif prop == "at":
                text = f"activity `{activity}` time: {text}"
            else:
                text = f"activity `{activity}` property `{prop}`: {text}"
        if self.lead_id is not None:
            text = f"lead {self.lead_id}: {text}"
        return text

    def __repr__(self) -> str:
        # with what str() shows: evaluate_many's results printed as a list showed the message alone
        known = "".join(f", {name}={value!r}" for name, value in
                        (("field", self.field), ("value", self.value), ("lead_id", self.lead_id)) if value is not None)
        return f"{type(self).__name__}({self.message!r}{known})"

    def to_dict(self) -> "dict[str, object]":
        value = self.value
        if not (value is None or type(value) in (str, int, bool)
                or (type(value) is float and math.isfinite(value))):
            value = repr(value)
        return {"field": self.field, "value": value, "message": str(self)}


def datetime_from_micros(micros: int) -> datetime.datetime:
    """The aware UTC datetime of microseconds since the epoch (the inverse of to_micros)."""
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(microseconds=micros)


def to_micros(moment: "datetime.datetime | datetime.date") -> int:
    """Microseconds since the epoch; a naive datetime is UTC, a date is midnight UTC."""
    if isinstance(moment, datetime.datetime):
        offset = moment.utcoffset()
        delta = moment.replace(tzinfo=None) - _EPOCH
        if offset:
            delta -= offset
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(moment, datetime.date):
        return (moment.toordinal() - _EPOCH_ORDINAL) * _MICROS_PER_DAY
    raise TypeError(f"expected a datetime or date, not {type(moment).__name__}")


def instant_micros(text: str) -> int | None:
    """Trimmed text in the one timestamp syntax as microseconds since the epoch, UTC;
    None for any other text (an impossible date, hour 24, a zone of 24 hours or more)."""
    match = _INSTANT.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, zone_hours, zone_minutes = match.groups()
    try:
        days = datetime.date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError:  # year 0, month 13, 2026-02-30, ...
        return None
    seconds = 0
    if hour is not None:
        hours, minutes = int(hour), int(minute)
        seconds = int(second) if second is not None else 0
        if hours > 23 or minutes > 59 or seconds > 59:
            return None
        seconds += (hours * 60 + minutes) * 60
        if sign is not None:
            offset_hours = int(zone_hours)
            offset_minutes = int(zone_minutes) if zone_minutes is not None else 0
            if offset_hours > 23 or offset_minutes > 59:
                return None
            offset = (offset_hours * 60 + offset_minutes) * 60
            seconds += -offset if sign == "+" else offset  # local time minus its offset is UTC
    micros = int(fraction[:6].ljust(6, "0")) if fraction is not None else 0  # truncated
    return (days * 86_400 + seconds) * 1_000_000 + micros


def parse_instant(value: object, field: str, lead_id: object = None) -> int:
    """A date or timestamp (text in the one syntax, a datetime or a date) as
    microseconds; anything else is an error."""
    if isinstance(value, str):
        text = str(value).strip()
        if not text:
            raise LeadDataError("no date or timestamp given (expected ISO 8601)",
                                field=field, value=value, lead_id=lead_id)
        micros = instant_micros(text)
        if micros is not None:
            return micros
    elif isinstance(value, datetime.date):
        return to_micros(value)
    raise LeadDataError(_NOT_ISO.format(show_value(value)), field=field, value=value, lead_id=lead_id)


def read_as_of(value: object) -> int:
    """The evaluation time: None means now."""
    if value is None:
        return time.time_ns() // 1000
    return parse_instant(value, "as_of")


def read_text(value: object, field: str, lead_id: object = None) -> str | None:
    if type(value) is str:
        return value.strip().lower() or None
    if isinstance(value, str):
        return str(value).strip().lower() or None
    if (isinstance(value, int) and not isinstance(value, bool)) or _python_integer(value):
        try:
            return str(int(value))  # type: ignore[call-overload]
        except ValueError:  # more digits than Python will print
            pass
    raise LeadDataError(f"`{show_value(value)}` is not text (expected a string)",
                        field=field, value=value, lead_id=lead_id)


def read_number(value: object, field: str, lead_id: object = None) -> float | None:
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if _NUMBER.fullmatch(text):
            number = float(text)
            if number - number == 0.0:  # finite
                return number
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if number - number == 0.0:
            return number
    elif isinstance(value, str):
        return read_number(str(value), field, lead_id)
    else:
        other = _python_number(value)
        if other is not None and other - other == 0.0:
            return other
    raise LeadDataError(f"cannot read `{show_value(value)}` as a number", field=field, value=value, lead_id=lead_id)


# A service's leads may hold numbers of Python types JSON never gives: numpy's (from pandas), a
# database driver's Decimal, a Fraction. They are read as the number they are (an integer of
# them as a text field's decimal text, as a JSON integer is); only such values reach these two,
# which import what they test for then.
def _python_number(value: object) -> "float | None":
    """`value` as a float when it is a real number of another Python type (numbers.Real, Decimal)."""
    import decimal
    import numbers

    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf
    except (ValueError, TypeError):  # a signalling NaN
        return None


def _python_integer(value: object) -> bool:
    import numbers

    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def read_boolean(value: object, field: str, lead_id: object = None) -> bool | None:
    if value is True or value is False:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return None
        answer = _BOOLEANS.get(text)
        if answer is not None:
            return answer
    elif type(value) is int and (value == 1 or value == 0):
        return value == 1
    raise LeadDataError(f"`{show_value(value)}` is not a yes/no value (use true, false, yes, no, 1 or 0)",
                        field=field, value=value, lead_id=lead_id)


def _index(names: "tuple[str, ...]") -> "dict[str, int]":
    index = _INDEXES.get(names)
    if index is None:
        index = _INDEXES[names] = {name.lower(): i for i, name in enumerate(names)}
    return index


def read_enum(value: object, members: "tuple[str, ...]", field: str, lead_id: object = None) -> int | None:
    if isinstance(value, str):
        key = value.strip().lower()
        if not key:
            return None
    elif isinstance(value, int) and not isinstance(value, bool):
        try:
            key = str(int(value))
        except ValueError:  # more digits than Python will print
            key = None
    else:
        key = None
    if type(members) is not tuple:
        members = tuple(members)
    found = None if key is None else _index(members).get(key)
    if found is None:
        raise LeadDataError(f"`{show_value(value)}` is not one of {', '.join(members)}",
                            field=field, value=value, lead_id=lead_id)
    return found


def read_date(value: object, field: str, lead_id: object = None) -> int | None:
    if isinstance(value, str) and not value.strip():
        return None
    return parse_instant(value, field, lead_id)


READERS: "dict[str, Callable[[object, str, object], object]]" = {
    "text": read_text, "number": read_number, "boolean": read_boolean, "date": read_date}


def read_fields(raw: object, schema: "tuple[tuple[str, str, tuple[str, ...]], ...]",
                lead_id: object = None) -> "dict[str, object]":
    """Every declared field by name, read with its kind; None where absent or null."""
    if raw is None:
        raw = {}
    elif not isinstance(raw, Mapping):
        raise LeadDataError(f"the fields must be a JSON object, not `{show_value(raw)}`",
                            field="fields", value=raw, lead_id=lead_id)
    return _read_record(raw, schema, "", lead_id)


def _read_record(raw: "Mapping[str, object]", schema: "tuple[tuple[str, str, tuple[str, ...]], ...]", prefix: str,
                 lead_id: object) -> "dict[str, object]":
    out: "dict[str, object]" = {}
    get = raw.get
    for name, kind, members in schema:
        value = get(name)
        if value is None:
            out[name] = None
        elif kind == "enum":
            out[name] = read_enum(value, members, prefix + name, lead_id)
        else:
            out[name] = READERS[kind](value, prefix + name, lead_id)
    return out


def read_activities(raw: object, types: "dict[str, tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]]]",
                    as_of: int, lead_id: object = None) -> "dict[str, list[tuple[int, dict[str, object]]]]":
    """Each declared type's activities up to `as_of`, in input order, as (age in micros, properties)."""
    result: "dict[str, list[tuple[int, dict[str, object]]]]" = {canonical: [] for canonical, _ in types.values()}
    for canonical, at, record in read_timed_activities(raw, types, lead_id):
        if at <= as_of:
            result[canonical].append((as_of - at, record))
    return result


def read_timed_activities(raw: object, types: "dict[str, tuple[str, tuple[tuple[str, str, tuple[str, ...]], ...]]]",
                          lead_id: object = None) -> "list[tuple[str, int, dict[str, object]]]":
    """Every activity of a declared type, in input order, as (canonical type, time in
    micros, properties); the first value that cannot be read raises."""
    timed: "list[tuple[str, int, dict[str, object]]]" = []
    if raw is None:
        return timed
    try:
        if isinstance(raw, (str, bytes, bytearray, Mapping)):
            raise TypeError
        items = iter(raw)  # type: ignore[call-overload]  # any iterable: iter() tells which are
    except TypeError:
        raise LeadDataError(f"the activities must be a JSON array of objects, not `{show_value(raw)}`",
                            field="activities", value=raw, lead_id=lead_id) from None
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            raise LeadDataError(f"activity #{number} is not a JSON object: `{show_value(item)}`",
                                field="activities", value=item, lead_id=lead_id)
        name = item.get("type")
        if not isinstance(name, str) or not name.strip():
            if name is None or isinstance(name, str):
                message = f"activity #{number} has no `type`"
            else:
                message = f"activity #{number} has a `type` that is not text: `{show_value(name)}`"
            raise LeadDataError(message, field="type", value=name, lead_id=lead_id)
        declared = types.get(name.strip().lower())
        if declared is None:
            continue
        canonical, props = declared
        at = item.get("at")
        if at is None or (isinstance(at, str) and not at.strip()):
            raise LeadDataError("activity has no `at` time", field=canonical + ".at", value=at, lead_id=lead_id)
        at = parse_instant(at, canonical + ".at", lead_id)
        timed.append((canonical, at, _read_record(item, props, canonical + ".", lead_id)))
    return timed


def read_previous_stage(value: object, stages: "tuple[str, ...]", lead_id: object = None) -> str | None:
    """The canonical name of the lead's previous stage, or None."""
    if value is None:
        return None
    names = (*stages, "disqualified")
    if isinstance(value, str):
        key = value.strip().lower()
        if not key:
            return None
        found = _index(names).get(key)
        if found is not None:
            return names[found]
    raise LeadDataError(f"`{show_value(value)}` is not a stage of this policy (use {', '.join(names)})",
                        field="previous_stage", value=value, lead_id=lead_id)


def change_of(previous: str | None, result: str, order: "dict[str, int]") -> str:
    """How the result compares with the previous stage (docs/language-reference.md section 14)."""
    if previous is None:
        return "new"
    if previous == result:
        return "unchanged"
    if result == "disqualified":
        return "disqualified"
    if previous == "disqualified":
        return "requalified"
    return "promoted" if order[result] > order[previous] else "demoted"


def split_lead(lead: object, index: int) -> "tuple[object, object, object, object]":
    """A batch lead (docs/language-reference.md section 16) as (id, fields, activities, previous stage)."""
    if not isinstance(lead, Mapping):
        raise LeadDataError(f"a lead must be a JSON object (lead #{index + 1} in the input is `{show_value(lead)}`)",
                            value=lead)
    get = lead.get
    return get("id"), get("fields"), get("activities"), get("stage")
