"""Tests for leadpolicy/semantics/runtime.py: reading lead data (LANGUAGE.md sections 6-8)."""

import ast
import datetime
import importlib.util
import json
import math
import pathlib
import pickle
import sys
import time
from collections import OrderedDict

import pytest
from hypothesis import given, strategies as st

RUNTIME_PATH = pathlib.Path(__file__).resolve().parents[1] / "leadpolicy" / "semantics" / "runtime.py"


def _load_runtime():
    # Loaded from its file: the runtime is standalone by contract, and this keeps
    # these tests independent of the rest of the package.
    spec = importlib.util.spec_from_file_location("leadpolicy_runtime_under_test", RUNTIME_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # so that its exceptions can be pickled
    spec.loader.exec_module(module)
    return module


rt = _load_runtime()
LeadDataError = rt.LeadDataError

UTC = datetime.timezone.utc
DAY = 86_400_000_000
HOUR = 3_600_000_000
SENIORITY = ("ic", "manager", "director", "vp", "cxo")


def micros(*args, tz=UTC):
    return rt.to_micros(datetime.datetime(*args, tzinfo=tz))


def error_of(call, *args, **kwargs):
    with pytest.raises(LeadDataError) as info:
        call(*args, **kwargs)
    return info.value


# --- the module's shape: it is embedded verbatim into generated modules ----------------------


def test_source_is_standalone_standard_library_only():
    tree = ast.parse(RUNTIME_PATH.read_text())
    allowed = {"datetime", "json", "math", "re", "time", "collections", "collections.abc"}
    for node in tree.body:
        assert isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef,
                                 ast.Assign, ast.AnnAssign)), ast.dump(node)[:80]
        if isinstance(node, ast.Import):
            assert {alias.name for alias in node.names} <= allowed
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module in allowed and node.module != "__future__"


def test_source_runs_when_pasted_into_another_module():
    namespace: dict = {}
    exec(compile(RUNTIME_PATH.read_text(), "<generated>", "exec"), namespace)
    assert namespace["read_number"](" 2.5 ", "x") == 2.5
    assert set(namespace["READERS"]) == {"text", "number", "boolean", "date"}


# --- LeadDataError ----------------------------------------------------------------------------


def test_error_is_a_value_error_with_attributes():
    err = LeadDataError("cannot read `lots` as a number", field="budget", value="lots", lead_id="L-1")
    assert isinstance(err, ValueError)
    assert (err.message, err.field, err.value, err.lead_id) == (
        "cannot read `lots` as a number", "budget", "lots", "L-1")
    assert str(err) == "lead L-1: field `budget`: cannot read `lots` as a number"


def test_error_text_prefixes_only_what_is_known():
    assert str(LeadDataError("boom")) == "boom"
    assert str(LeadDataError("boom", field="budget")) == "field `budget`: boom"
    assert str(LeadDataError("boom", lead_id=7)) == "lead 7: boom"
    assert str(LeadDataError("boom", lead_id=0)) == "lead 0: boom"


def test_error_names_activity_properties_and_times():
    err = LeadDataError("`x` is not text", field="form_submit.form", lead_id="L-1")
    assert str(err) == "lead L-1: activity `form_submit` property `form`: `x` is not text"
    err = LeadDataError("activity has no `at` time", field="chat.at")
    assert str(err) == "activity `chat` time: activity has no `at` time"


def test_error_text_follows_a_lead_id_set_later():
    err = LeadDataError("boom", field="budget")
    err.lead_id = "L-9"
    assert str(err) == "lead L-9: field `budget`: boom"


def test_error_repr_carries_the_lead_field_and_value():
    """The repr was the message alone (`LeadDataError('cannot read `x` as a number')`): a list of
    evaluate_many's results, printed, did not say which lead or field."""
    err = LeadDataError("cannot read `x` as a number", field="size", value="x", lead_id="L-1")
    assert repr(err) == "LeadDataError('cannot read `x` as a number', field='size', value='x', lead_id='L-1')"
    assert repr(LeadDataError("no `at`")) == "LeadDataError('no `at`')"


def test_error_to_dict():
    err = LeadDataError("cannot read `lots` as a number", field="budget", value="lots", lead_id="L-1")
    assert err.to_dict() == {"field": "budget", "value": "lots",
                             "message": "lead L-1: field `budget`: cannot read `lots` as a number"}


@pytest.mark.parametrize("value", ["x", 3, 2.5, True, False, None])
def test_error_to_dict_keeps_json_scalars(value):
    assert LeadDataError("m", value=value).to_dict()["value"] is value


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, math.nan, math.inf, datetime.date(2026, 1, 1), b"x"])
def test_error_to_dict_makes_other_values_json_safe(value):
    out = LeadDataError("m", value=value).to_dict()
    assert out["value"] == repr(value)
    json.dumps(out, allow_nan=False)


def test_error_survives_pickling():
    err = LeadDataError("boom", field="budget", value="lots", lead_id="L-1")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.field, copy.value, copy.lead_id, str(copy)) == (
        err.message, err.field, err.value, err.lead_id, str(err))


def test_long_values_are_shortened_in_messages():
    err = error_of(rt.read_number, "x" * 500, "budget")
    assert len(err.message) < 120 and "…" in err.message
    assert err.value == "x" * 500


def test_python_values_json_cannot_write_are_shown_as_python_writes_them():
    """A Decimal (as database drivers give numbers) was shown as the quoted text JSON gives it
    with `default=str`: "cannot read `"20000"` as a number", though the text "20000" is read."""
    import decimal

    assert error_of(rt.read_number, decimal.Decimal("NaN"), "budget").message == \
        "cannot read `Decimal('NaN')` as a number"
    assert error_of(rt.read_text, b"pat", "email").message.startswith("`b'pat'` is not text")
    assert error_of(rt.read_number, [decimal.Decimal(1)], "budget").message == "cannot read `[Decimal('1')]` as a number"
    assert error_of(rt.read_number, {"a": "b"}, "budget").message == 'cannot read `{"a": "b"}` as a number'


class _DriverInteger:
    """An integer type of another library, as numpy's int64 is: an Integral by registration, no int."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __float__(self) -> float:
        return float(self.value)


def test_numbers_of_other_python_types_are_read_as_the_numbers_they_are():
    """A service's leads from pandas (numpy's int64), a database driver (Decimal) or arithmetic
    (Fraction) were data errors ("cannot read `Decimal('20000')` as a number"): they are the
    number they hold, and an integer of them is a text field's decimal text as a JSON integer is."""
    import decimal
    import fractions
    import numbers

    numbers.Integral.register(_DriverInteger)
    assert rt.read_number(decimal.Decimal("20000"), "budget") == 20000.0
    assert rt.read_number(decimal.Decimal("0.1"), "budget") == 0.1  # as the text "0.1" reads
    assert rt.read_number(fractions.Fraction(1, 4), "budget") == 0.25
    assert rt.read_number(_DriverInteger(800), "size") == 800.0
    assert rt.read_text(_DriverInteger(42), "zip") == "42"
    for bad in (decimal.Decimal("Infinity"), decimal.Decimal("sNaN"), fractions.Fraction(10 ** 400, 1)):
        assert error_of(rt.read_number, bad, "budget").field == "budget"
    assert error_of(rt.read_text, decimal.Decimal("5"), "zip").field == "zip"  # not an integer type: as 5.0 is


# --- time --------------------------------------------------------------------------------------


def test_to_micros():
    assert rt.to_micros(datetime.datetime(1970, 1, 1)) == 0
    assert rt.to_micros(datetime.datetime(1970, 1, 1, tzinfo=UTC)) == 0
    assert rt.to_micros(datetime.date(1970, 1, 2)) == DAY
    assert rt.to_micros(datetime.datetime(1969, 12, 31, 23, 59, 59, 999_999)) == -1
    assert rt.to_micros(datetime.datetime(1970, 1, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))) == 0
    assert rt.to_micros(datetime.datetime(2026, 11, 22, 10, 30)) == \
        int(datetime.datetime(2026, 11, 22, 10, 30, tzinfo=UTC).timestamp()) * 1_000_000
    with pytest.raises(TypeError):
        rt.to_micros("2026-01-01")


def test_to_micros_at_the_edges_of_the_calendar():
    plus_one = datetime.timezone(datetime.timedelta(hours=1))
    minus_one = datetime.timezone(-datetime.timedelta(hours=1))
    assert rt.to_micros(datetime.datetime(1, 1, 1, tzinfo=plus_one)) == rt.to_micros(datetime.date(1, 1, 1)) - HOUR
    assert rt.to_micros(datetime.datetime(9999, 12, 31, 23, tzinfo=minus_one)) == \
        rt.to_micros(datetime.date(9999, 12, 31)) + 24 * HOUR


@given(st.datetimes(timezones=st.just(UTC)))
def test_to_micros_agrees_with_timedelta_arithmetic(moment):
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=UTC)
    assert rt.to_micros(moment) == delta // datetime.timedelta(microseconds=1)
    assert rt.to_micros(moment.replace(tzinfo=None)) == rt.to_micros(moment)


@pytest.mark.parametrize("text, expected", [
    ("2026-11-22", micros(2026, 11, 22)),
    ("  2026-11-22  ", micros(2026, 11, 22)),
    ("2026-11-22T10:30:00Z", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22T10:30:00", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22T10:30:00+02:00", micros(2026, 11, 22, 8, 30)),
    ("2026-11-22T01:00:00-05:00", micros(2026, 11, 22, 6)),
    ("2026-11-22T00:30:00+01:00", micros(2026, 11, 21, 23, 30)),
    ("2026-11-22T10:30:00.123456Z", micros(2026, 11, 22, 10, 30, 0, 123456)),
    ("2026-11-22 10:30", micros(2026, 11, 22, 10, 30)),
    # LANGUAGE.md section 8, form by form
    ("2026-11-22T10:30", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22t10:30:05", micros(2026, 11, 22, 10, 30, 5)),
    ("2026-11-22 10:30:05", micros(2026, 11, 22, 10, 30, 5)),
    ("2026-11-22T10:30:05.1", micros(2026, 11, 22, 10, 30, 5, 100000)),
    ("2026-11-22T10:30:05.12", micros(2026, 11, 22, 10, 30, 5, 120000)),
    ("2026-11-22T10:30:05.123", micros(2026, 11, 22, 10, 30, 5, 123000)),
    ("2026-11-22T10:30:05.1234567", micros(2026, 11, 22, 10, 30, 5, 123456)),
    ("2026-11-22T10:30:05.123456789", micros(2026, 11, 22, 10, 30, 5, 123456)),  # truncated
    ("2026-11-22T10:30:05.999999999Z", micros(2026, 11, 22, 10, 30, 5, 999999)),
    ("2026-11-22T10:30Z", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22T10:30:00z", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22T10:30:00 Z", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22 10:30:00 +02:00", micros(2026, 11, 22, 8, 30)),
    ("2026-11-22T10:30:00+0530", micros(2026, 11, 22, 5, 0)),
    ("2026-11-22T10:30:00-0530", micros(2026, 11, 22, 16, 0)),
    ("2026-11-22T10:30:00+02", micros(2026, 11, 22, 8, 30)),
    ("2026-11-22T10:30-02", micros(2026, 11, 22, 12, 30)),
    ("2026-11-22T10:30:00-00:00", micros(2026, 11, 22, 10, 30)),
    ("2026-11-22T10:30:00+23:59", micros(2026, 11, 21, 10, 31)),
    ("2026-11-22T10:30:00-23:59", micros(2026, 11, 23, 10, 29)),
    ("2024-02-29", micros(2024, 2, 29)),
    ("2026-11-22T23:59:59.999999", micros(2026, 11, 22, 23, 59, 59, 999999)),
    ("0001-01-01", micros(1, 1, 1)),
    ("9999-12-31T23:59:59Z", micros(9999, 12, 31, 23, 59, 59)),
])
def test_parse_instant_reads_iso_8601(text, expected):
    assert rt.parse_instant(text, "created") == expected


def test_parse_instant_converts_beyond_the_calendar():
    # A zone can move an instant before year 1 or after 9999: plain integer micros.
    assert rt.parse_instant("0001-01-01T00:00+01:00", "at") == micros(1, 1, 1) - HOUR
    assert rt.parse_instant("9999-12-31T23:00-02", "at") == micros(9999, 12, 31, 23) + 2 * HOUR


@pytest.mark.parametrize("text", [
    "2026-W47-1", "2026-W47", "2026-326", "20261122", "20261120T103000Z", "2026-11-22T103000",
    "2026-11-22T10", "2026-11-22T1030", "2026-11-22T10:3", "2026-11-22T1:30", "26-11-22", "2026-1-22",
    "+2026-11-22", "2026-11", "2026",
    "2026-11-22T24:00", "2026-11-22T24:00:00", "2026-11-22T10:60", "2026-11-22T10:30:60",
    "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-11-00", "0000-01-01",
    "2026-11-22T10:30:00.", "2026-11-22T10:30:00.1234567890", "2026-11-22T10:30:00,5",
    "2026-11-22T10:30.5", "2026-11-22Z", "2026-11-22 Z", "2026-11-22T10:30:00UTC", "2026-11-22T10:30:00 UTC",
    "2026-11-22T10:30:00+24:00", "2026-11-22T10:30:00+24", "2026-11-22T10:30:00+05:60",
    "2026-11-22T10:30:00+5", "2026-11-22T10:30:00+05:3", "2026-11-22T10:30:00+05:30:00",
    "2026-11-22T10:30:00+053", "2026-11-22T10:30:00  Z", "2026-11-22T10:30:00\tZ", "2026-11-22T10:30:00ZZ",
    "2026-11-22  10:30", "2026-11-22_10:30", "2026-11-22X10:30", "2026-11-22T\u0661\u0660:30",
    "\uff12026-11-22", "2026-11-22\n10:30", "2026-11-22T10:30:00+05:30[Asia/Kolkata]",
])
def test_parse_instant_rejects_every_other_spelling(text):
    err = error_of(rt.parse_instant, text, "created", "L-1")
    assert err.message == f"`{text}` is not an ISO 8601 date or timestamp"
    assert rt.instant_micros(text.strip()) is None


def test_parse_instant_reads_datetime_and_date_objects():
    assert rt.parse_instant(datetime.date(2026, 11, 22), "at") == micros(2026, 11, 22)
    assert rt.parse_instant(datetime.datetime(2026, 11, 22, 10), "at") == micros(2026, 11, 22, 10)
    eastern = datetime.timezone(datetime.timedelta(hours=-5))
    assert rt.parse_instant(datetime.datetime(2026, 11, 22, 5, tzinfo=eastern), "at") == micros(2026, 11, 22, 10)


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "22/11/2026", "2026-11-22T25:00", 1732270000,
                                   1.5, True, None, ["2026-11-22"]])
def test_parse_instant_rejects(value):
    err = error_of(rt.parse_instant, value, "created", "L-1")
    assert (err.field, err.value, err.lead_id) == ("created", value, "L-1")
    assert err.message.endswith("is not an ISO 8601 date or timestamp")


def test_parse_instant_message():
    err = error_of(rt.parse_instant, "2026-13-01", "created")
    assert err.message == "`2026-13-01` is not an ISO 8601 date or timestamp"
    assert error_of(rt.parse_instant, True, "created").message == "`true` is not an ISO 8601 date or timestamp"
    assert error_of(rt.parse_instant, "  ", "created").message == "no date or timestamp given (expected ISO 8601)"


def test_read_as_of():
    before = time.time_ns() // 1000
    now = rt.read_as_of(None)
    assert before <= now <= time.time_ns() // 1000
    assert rt.read_as_of("2026-11-22") == micros(2026, 11, 22)
    assert rt.read_as_of("2026-11-22T10:00:00+01:00") == micros(2026, 11, 22, 9)
    assert rt.read_as_of(datetime.datetime(2026, 11, 22, 9)) == micros(2026, 11, 22, 9)
    assert rt.read_as_of(datetime.date(2026, 11, 22)) == micros(2026, 11, 22)


@pytest.mark.parametrize("value", ["tomorrow", "", 5, 1.0, object()])
def test_read_as_of_rejects(value):
    err = error_of(rt.read_as_of, value)
    assert err.field == "as_of" and err.lead_id is None and err.value is value


# --- text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("Pat@BigCo.example", "pat@bigco.example"),
    ("  Hello World \n", "hello world"),
    ("\t x \t", "x"),
    ("", None),
    ("   \n\t", None),
    (42, "42"),
    (-7, "-7"),
    (0, "0"),
])
def test_read_text(value, expected):
    assert rt.read_text(value, "email") == expected


@pytest.mark.parametrize("value", [True, False, 2.5, 1.0, [1], {"a": "b"}, b"bytes"])
def test_read_text_rejects(value):
    err = error_of(rt.read_text, value, "email", "L-1")
    assert (err.field, err.value, err.lead_id) == ("email", value, "L-1")
    assert "is not text" in err.message


def test_read_text_message():
    assert error_of(rt.read_text, 2.5, "email").message == "`2.5` is not text (expected a string)"
    assert error_of(rt.read_text, True, "email").message == "`true` is not text (expected a string)"


@given(st.text())
def test_read_text_is_strip_then_lower(text):
    expected = text.strip().lower() or None
    assert rt.read_text(text, "t") == expected


# --- number ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (800, 800.0), (2.5, 2.5), (-3, -3.0), (0, 0.0), (10**20, 1e20),
    ("800", 800.0), (" 2.5 ", 2.5), ("1e3", 1000.0), ("-4", -4.0), ("+4", 4.0),
    ("2.50", 2.5), ("0.5", 0.5), ("-0.5e-2", -0.005), ("1E+2", 100.0), ("007", 7.0),
    ("", None), ("   ", None),
])
def test_read_number(value, expected):
    result = rt.read_number(value, "budget")
    assert result == expected
    assert result is None or type(result) is float


@pytest.mark.parametrize("value", [
    "1,000", "1_000", "nan", "NaN", "inf", "-inf", "Infinity", "0x10", "1e999", "-1e999", "lots", "1 000",
    "1e", "e3", ".", "+", "--1", ".5", "5.", "-.5e-2", "1.2.3", "$5", "5%", "١٢", True, False, math.nan, math.inf, -math.inf,
    10**400, [1], {"n": 1}, b"1",
])
def test_read_number_rejects(value):
    err = error_of(rt.read_number, value, "budget", "L-1")
    assert (err.field, err.value, err.lead_id) == ("budget", value, "L-1")


def test_read_number_message():
    err = error_of(rt.read_number, "lots", "budget", "L-1")
    assert err.message == "cannot read `lots` as a number"
    assert str(err) == "lead L-1: field `budget`: cannot read `lots` as a number"
    assert error_of(rt.read_number, True, "budget").message == "cannot read `true` as a number"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips_through_its_repr(number):
    assert rt.read_number(repr(number), "n") == number
    assert rt.read_number(number, "n") == number
    assert rt.read_number(f"  {number!r}\t", "n") == number


@given(st.integers(min_value=-(10**300), max_value=10**300))
def test_integers_read_as_floats(number):
    assert rt.read_number(number, "n") == float(number)
    assert rt.read_number(str(number), "n") == float(number)


# --- boolean -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), (1, True), (0, False),
    ("true", True), ("FALSE", False), (" Yes ", True), ("no", False), ("1", True), (" 0 ", False),
    ("True", True), ("nO", False), ("", None), ("  ", None),
])
def test_read_boolean(value, expected):
    assert rt.read_boolean(value, "is_customer") is expected


@pytest.mark.parametrize("value", ["maybe", "y", "n", "t", "f", "on", "off", "2", "1.0", 2, -1, 1.0, 0.0, [], {}])
def test_read_boolean_rejects(value):
    err = error_of(rt.read_boolean, value, "is_customer", "L-1")
    assert (err.field, err.value, err.lead_id) == ("is_customer", value, "L-1")


def test_read_boolean_message():
    err = error_of(rt.read_boolean, "maybe", "is_customer")
    assert err.message == "`maybe` is not a yes/no value (use true, false, yes, no, 1 or 0)"


# --- enum --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("ic", 0), ("VP", 3), (" Director ", 2), ("cxo", 4), ("", None), ("  ", None),
])
def test_read_enum(value, expected):
    assert rt.read_enum(value, SENIORITY, "seniority") == expected


def test_read_enum_members_with_spaces_digits_and_case():
    members = ("open", "Closed Won", "no", "10", "20")
    assert rt.read_enum("closed won", members, "status") == 1
    assert rt.read_enum("CLOSED WON ", members, "status") == 1
    assert rt.read_enum("NO", members, "status") == 2
    assert rt.read_enum("10", members, "status") == 3
    assert rt.read_enum(20, members, "status") == 4
    assert rt.read_enum(" 20 ", members, "status") == 4


@pytest.mark.parametrize("value", ["VP2", "v p", "closed", 3, 10.0, True, False, [], {"vp": 1}])
def test_read_enum_rejects(value):
    err = error_of(rt.read_enum, value, SENIORITY, "seniority", "L-1")
    assert (err.field, err.value, err.lead_id) == ("seniority", value, "L-1")


def test_read_enum_rejects_floats_and_booleans_even_when_their_text_matches():
    members = ("1", "10", "true")
    for value in (1.0, 10.0, True):
        with pytest.raises(LeadDataError):
            rt.read_enum(value, members, "e")


def test_read_enum_message():
    err = error_of(rt.read_enum, "VP2", SENIORITY, "seniority")
    assert err.message == "`VP2` is not one of ic, manager, director, vp, cxo"


def test_read_enum_accepts_a_list_of_members():
    assert rt.read_enum("vp", list(SENIORITY), "seniority") == 3


member_names = st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu", "Nd"), max_codepoint=0x24F),
                       min_size=1, max_size=8)


@given(st.lists(member_names, min_size=1, max_size=6, unique_by=str.lower), st.data())
def test_any_trimmed_case_variant_of_a_member_reads_to_its_index(members, data):
    members = tuple(members)
    index = data.draw(st.integers(0, len(members) - 1))
    member = members[index]
    variant = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in member)
    if variant.lower() != member.lower():  # a few letters change under case mapping (e.g. dotless i)
        variant = member
    padding = data.draw(st.sampled_from(["", " ", "\t", "  \n"]))
    assert rt.read_enum(padding + variant + padding[::-1], members, "e") == index


# --- date --------------------------------------------------------------------------------------


def test_read_date():
    assert rt.read_date("2026-11-22", "created") == micros(2026, 11, 22)
    assert rt.read_date("2026-11-22T10:30:00Z", "created") == micros(2026, 11, 22, 10, 30)
    assert rt.read_date("2026-11-22T10:30:00+05:30", "created") == micros(2026, 11, 22, 5)
    assert rt.read_date(datetime.date(2026, 11, 22), "created") == micros(2026, 11, 22)
    assert rt.read_date(datetime.datetime(2026, 11, 22, 3), "created") == micros(2026, 11, 22, 3)
    assert rt.read_date("", "created") is None
    assert rt.read_date("  ", "created") is None


@pytest.mark.parametrize("value", ["2026-13-01", "soon", "2026/11/22", 20261122, 1.5, True, ["2026-11-22"]])
def test_read_date_rejects(value):
    err = error_of(rt.read_date, value, "created", "L-1")
    assert (err.field, err.value, err.lead_id) == ("created", value, "L-1")


def test_read_date_message():
    err = error_of(rt.read_date, "2026-13-01", "created")
    assert err.message == "`2026-13-01` is not an ISO 8601 date or timestamp"


@given(st.datetimes(timezones=st.just(UTC)))
def test_any_utc_timestamp_round_trips_through_its_iso_text(moment):
    assert rt.read_date(moment.isoformat(), "d") == rt.to_micros(moment)
    assert rt.read_date(moment.isoformat().replace("+00:00", "Z"), "d") == rt.to_micros(moment)


def test_readers_table():
    assert rt.READERS == {"text": rt.read_text, "number": rt.read_number,
                          "boolean": rt.read_boolean, "date": rt.read_date}


# --- fields ------------------------------------------------------------------------------------

SCHEMA = (
    ("email", "text", ()),
    ("seniority", "enum", SENIORITY),
    ("company_size", "number", ()),
    ("is_customer", "boolean", ()),
    ("created", "date", ()),
)


def test_read_fields():
    raw = {"email": " Pat@BigCo.example ", "seniority": "VP", "company_size": "800",
           "is_customer": "no", "created": "2026-01-01", "unknown": object()}
    assert rt.read_fields(raw, SCHEMA) == {
        "email": "pat@bigco.example", "seniority": 3, "company_size": 800.0,
        "is_customer": False, "created": micros(2026, 1, 1)}


def test_read_fields_gives_every_declared_field():
    empty = dict.fromkeys(name for name, _, _ in SCHEMA)
    assert rt.read_fields({}, SCHEMA) == empty
    assert rt.read_fields(None, SCHEMA) == empty
    assert rt.read_fields(dict.fromkeys(empty), SCHEMA) == empty
    assert rt.read_fields({"email": "  ", "seniority": "", "company_size": ""}, SCHEMA) == empty
    assert list(rt.read_fields({"created": "2026-01-01", "email": "x"}, SCHEMA)) == list(empty)


def test_read_fields_matches_names_exactly():
    assert rt.read_fields({"Email": "x", "EMAIL": "y"}, SCHEMA)["email"] is None


def test_read_fields_checks_unused_and_undeclared_are_ignored():
    assert rt.read_fields({"budget": "lots"}, SCHEMA)["email"] is None  # undeclared: not read
    err = error_of(rt.read_fields, {"email": "a", "company_size": "lots"}, SCHEMA, "L-1")
    assert (err.field, err.value, err.lead_id) == ("company_size", "lots", "L-1")
    assert str(err) == "lead L-1: field `company_size`: cannot read `lots` as a number"


def test_read_fields_accepts_any_mapping():
    raw = OrderedDict(email="x")
    assert rt.read_fields(raw, SCHEMA)["email"] == "x"


@pytest.mark.parametrize("raw", [[], [("email", "x")], "email=x", 5, True])
def test_read_fields_needs_an_object(raw):
    err = error_of(rt.read_fields, raw, SCHEMA, "L-1")
    assert (err.field, err.value, err.lead_id) == ("fields", raw, "L-1")


# --- activities --------------------------------------------------------------------------------

TYPES = {
    "form_submit": ("form_submit", (("form", "text", ()),)),
    "webinar": ("webinar", (("title", "text", ()), ("minutes", "number", ()))),
    "pageview": ("PageView", (("path", "text", ()), ("tier", "enum", ("free", "pro")))),
    "chat": ("chat", ()),
}
AS_OF = micros(2026, 11, 22)


def read(raw, lead_id=None):
    return rt.read_activities(raw, TYPES, AS_OF, lead_id)


def test_read_activities():
    out = read([
        {"type": "form_submit", "at": "2026-11-20T00:00:00Z", "form": " Demo "},
        {"type": "webinar", "at": "2026-11-21", "title": "ROI", "minutes": "45", "extra": [1]},
        {"type": "chat", "at": datetime.datetime(2026, 11, 22), "note": "ignored"},
    ])
    assert out == {
        "form_submit": [(2 * DAY, {"form": "demo"})],
        "webinar": [(DAY, {"title": "roi", "minutes": 45.0})],
        "PageView": [],
        "chat": [(0, {})],
    }


def test_read_activities_without_any():
    empty = {"form_submit": [], "webinar": [], "PageView": [], "chat": []}
    assert read(None) == empty
    assert read([]) == empty
    assert read(()) == empty
    assert read(iter([])) == empty


def test_read_activities_keeps_input_order_within_a_type():
    out = read([
        {"type": "chat", "at": "2026-11-01"},
        {"type": "form_submit", "at": "2026-11-10", "form": "a"},
        {"type": "chat", "at": "2026-11-20"},
        {"type": "chat", "at": "2026-11-05"},
    ])
    assert [age for age, _ in out["chat"]] == [21 * DAY, 2 * DAY, 17 * DAY]


def test_types_match_case_insensitively_after_trimming():
    out = read([
        {"type": " PAGEVIEW ", "at": "2026-11-21", "path": "/Pricing", "tier": "PRO"},
        {"type": "pageView", "at": "2026-11-21"},
    ])
    assert out["PageView"] == [(DAY, {"path": "/pricing", "tier": 1}), (DAY, {"path": None, "tier": None})]


def test_undeclared_types_are_ignored_whatever_they_hold():
    out = read([{"type": "tweet", "at": "not a time", "text": [1, 2]}, {"type": "Tweet"}])
    assert all(items == [] for items in out.values())


def test_future_activities_are_read_then_dropped():
    out = read([
        {"type": "chat", "at": "2026-11-22T00:00:00Z"},           # exactly as_of: kept, age 0
        {"type": "chat", "at": "2026-11-22T00:00:00.000001Z"},    # one microsecond later: dropped
        {"type": "chat", "at": "2027-01-01"},
    ])
    assert out["chat"] == [(0, {})]
    err = error_of(read, [{"type": "webinar", "at": "2030-01-01", "minutes": "long"}], "L-1")
    assert (err.field, err.value, err.lead_id) == ("webinar.minutes", "long", "L-1")


@given(st.lists(st.integers(min_value=-5 * DAY, max_value=5 * DAY), max_size=20))
def test_ages_are_as_of_minus_at_and_only_the_past_counts(offsets):
    moments = [datetime.datetime(2026, 11, 22) + datetime.timedelta(microseconds=o) for o in offsets]
    out = read([{"type": "chat", "at": m.isoformat()} for m in moments])
    assert out["chat"] == [(-o, {}) for o in offsets if o <= 0]


def test_activity_at_is_required():
    for item in ({"type": "chat"}, {"type": "chat", "at": None}, {"type": "chat", "at": "  "}):
        err = error_of(read, [item], "L-1")
        assert (err.field, err.lead_id, err.message) == ("chat.at", "L-1", "activity has no `at` time")
        assert str(err) == "lead L-1: activity `chat` time: activity has no `at` time"


def test_activity_at_must_be_readable():
    err = error_of(read, [{"type": "PAGEVIEW", "at": "last week"}])
    assert (err.field, err.value) == ("PageView.at", "last week")
    assert err.message == "`last week` is not an ISO 8601 date or timestamp"
    assert error_of(read, [{"type": "chat", "at": 1732270000}]).field == "chat.at"


def test_activity_properties_are_checked():
    err = error_of(read, [{"type": "pageview", "at": "2026-11-21", "tier": "gold"}], "L-1")
    assert (err.field, err.value, err.lead_id) == ("PageView.tier", "gold", "L-1")
    assert str(err) == "lead L-1: activity `PageView` property `tier`: `gold` is not one of free, pro"
    err = error_of(read, [{"type": "form_submit", "at": "2026-11-21", "form": 2.5}])
    assert err.field == "form_submit.form"


def test_activity_properties_match_names_exactly():
    out = read([{"type": "form_submit", "at": "2026-11-21", "Form": "demo"}])
    assert out["form_submit"] == [(DAY, {"form": None})]


@pytest.mark.parametrize("item", [{}, {"type": None}, {"type": ""}, {"type": "   "}, {"at": "2026-11-21"}])
def test_activity_type_is_required(item):
    err = error_of(read, [{"type": "chat", "at": "2026-11-21"}, item], "L-1")
    assert (err.field, err.lead_id) == ("type", "L-1")
    assert err.message == "activity #2 has no `type`"


@pytest.mark.parametrize("value", [5, True, ["chat"], {"name": "chat"}])
def test_activity_type_must_be_text(value):
    err = error_of(read, [{"type": value, "at": "2026-11-21"}])
    assert (err.field, err.value) == ("type", value)
    assert err.message.startswith("activity #1 has a `type` that is not text")


@pytest.mark.parametrize("item", ["chat", 5, None, ["chat", "2026-11-21"]])
def test_each_activity_must_be_an_object(item):
    err = error_of(read, [item], "L-1")
    assert (err.field, err.value, err.lead_id) == ("activities", item, "L-1")
    assert err.message.startswith("activity #1 is not a JSON object")


@pytest.mark.parametrize("raw", ["chat", b"chat", {"type": "chat", "at": "2026-11-21"}, 5, True])
def test_activities_must_be_a_list(raw):
    err = error_of(read, raw, "L-1")
    assert (err.field, err.value, err.lead_id) == ("activities", raw, "L-1")


# --- previous stage and change -----------------------------------------------------------------

STAGES = ("lead", "mql", "sql")
ORDER = {"lead": 0, "mql": 1, "sql": 2}


@pytest.mark.parametrize("value, expected", [
    (None, None), ("", None), ("  ", None), ("mql", "mql"), (" SQL ", "sql"), ("Lead", "lead"),
    ("disqualified", "disqualified"), ("DISQUALIFIED ", "disqualified"),
])
def test_read_previous_stage(value, expected):
    assert rt.read_previous_stage(value, STAGES) == expected


def test_read_previous_stage_gives_the_canonical_name():
    assert rt.read_previous_stage("mql", ("Lead", "MQL")) == "MQL"


@pytest.mark.parametrize("value", ["opportunity", "m q l", 1, True, ["mql"]])
def test_read_previous_stage_rejects(value):
    err = error_of(rt.read_previous_stage, value, STAGES, "L-1")
    assert (err.field, err.value, err.lead_id) == ("previous_stage", value, "L-1")


def test_read_previous_stage_message():
    err = error_of(rt.read_previous_stage, "opportunity", STAGES)
    assert err.message == "`opportunity` is not a stage of this policy (use lead, mql, sql, disqualified)"


@pytest.mark.parametrize("previous, result, expected", [
    (None, "lead", "new"),
    (None, "sql", "new"),
    (None, "disqualified", "new"),
    ("mql", "mql", "unchanged"),
    ("disqualified", "disqualified", "unchanged"),
    ("lead", "disqualified", "disqualified"),
    ("sql", "disqualified", "disqualified"),
    ("disqualified", "lead", "requalified"),
    ("disqualified", "sql", "requalified"),
    ("lead", "mql", "promoted"),
    ("lead", "sql", "promoted"),
    ("sql", "mql", "demoted"),
    ("sql", "lead", "demoted"),
])
def test_change_of(previous, result, expected):
    assert rt.change_of(previous, result, ORDER) == expected


# --- batch leads -------------------------------------------------------------------------------


def test_split_lead():
    lead = {"id": "L-1001", "fields": {"email": "x"}, "activities": [{"type": "chat"}], "stage": "mql", "x": 1}
    assert rt.split_lead(lead, 0) == ("L-1001", {"email": "x"}, [{"type": "chat"}], "mql")
    assert rt.split_lead({}, 3) == (None, None, None, None)


@pytest.mark.parametrize("lead", [None, "L-1", 5, [{"id": "L-1"}]])
def test_split_lead_needs_an_object(lead):
    err = error_of(rt.split_lead, lead, 2)
    assert err.field is None and err.lead_id is None and err.value == lead
    assert err.message.startswith("a lead must be a JSON object")
    assert "#3" in err.message


# ---------------------------------------------------------------- the pinned timestamp forms

parse_instant = rt.parse_instant

_BASE = 1795343400_000000  # 2026-11-22T10:30:00Z


@pytest.mark.parametrize(
    "text, micros",
    [
        ("2026-11-22", 1795305600_000000),
        ("2026-11-22T10:30", _BASE),
        ("2026-11-22t10:30:00", _BASE),
        ("2026-11-22 10:30:00", _BASE),
        ("2026-11-22T10:30:00Z", _BASE),
        ("2026-11-22T10:30:00z", _BASE),
        ("2026-11-22T10:30:00.5Z", _BASE + 500_000),
        ("2026-11-22T10:30:00.123456789Z", _BASE + 123_456),  # truncated, not rounded
        ("2026-11-22T10:30:00.999999999", _BASE + 999_999),
        ("2026-11-22T11:30:00+01:00", _BASE),
        ("2026-11-22T11:30:00+0100", _BASE),
        ("2026-11-22T11:30:00+01", _BASE),
        ("2026-11-22T05:00:00-05:30", _BASE),
        ("2026-11-22T10:30:00 Z", _BASE),
        ("2026-11-22 11:30 +01:00", _BASE),
        ("  2026-11-22T10:30:00Z  ", _BASE),  # trimmed first
        ("2026-11-22T23:59:59+23:59", 1795305600_000000 + 59_000_000),
    ],
)
def test_every_pinned_form_is_read(text: str, micros: int) -> None:
    assert parse_instant(text, "at") == micros


@pytest.mark.parametrize(
    "text",
    [
        "2026-W47-1",  # week date
        "2026-326",  # ordinal date
        "20261120T103000Z",  # basic format
        "20261120",
        "2026-11-22T10",  # hour alone
        "2026-11-22T1030",
        "2026-11-22T24:00:00",  # hour 24
        "2026-11-22T10:60",
        "2026-11-22T10:30:60",
        "2026-02-30",  # impossible date
        "2026-13-01",
        "0000-01-01",
        "2026-11-22T10:30:00.",
        "2026-11-22T10:30:00.1234567890",  # ten fraction digits
        "2026-11-22T10:30:00,5",  # comma fraction
        "2026-11-22T10:30:00+1",
        "2026-11-22T10:30:00+01:0",
        "2026-11-22T10:30:00+24:00",
        "2026-11-22T10:30:00+05:75",
        "2026-11-22T10:30:00UTC",
        "2026-11-22T10:30:00  Z",  # two spaces before the zone
        "2026-11-22T 10:30",
        "2026-11-22  10:30",
        "2026/11/22",
        "22-11-2026",
        "2026-11-22T10:30:00Z junk",
        "２０２６-11-22",  # non-ASCII digits
        "+2026-11-22",
    ],
)
def test_every_other_form_is_a_data_error(text: str) -> None:
    with pytest.raises(LeadDataError) as caught:
        parse_instant(text, "form_submit.at", "L-1")
    assert caught.value.field == "form_submit.at"
