"""DuckDB's fast timestamp reader (reading.quick_instant) against the runtime's reader.

quick_instant reads an activity's time from its raw (untrimmed) text: where it gives a
value, that value must be what runtime.instant_micros reads from the stripped text; where
it gives NULL the full reader decides. So the property is "NULL or the runtime's value",
plus: the common shapes are read by it (else it would be no fast path at all).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools

import pytest
from hypothesis import given, settings, strategies as st
from support.seeds import DERANDOMIZE

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from leadpolicy.semantics.runtime import instant_micros  # noqa: E402

# Characters that DuckDB's parsers treat specially somewhere: digits, every whitespace
# strptime and the casts skip, signs, separators, letters of zone names and `T`/`Z` in
# both cases, a non-ASCII digit and letter.
_ODD = list("0129 \t\n\r\x0b\x0c+-.:/\\TtZza(),_eE") + ["\u0661", "\uff11", "é"]
_COMMON = ["2026-11-19T01:32:56Z", "2026-11-19T01:32:56.123Z", "2026-11-19T01:32:56.123456Z",
           "2026-11-19T01:32:56.5Z", "2026-11-19T01:32:56", "2026-11-19T01:32:56+02:00",
           "2026-11-19T01:32:56.123-11:30", "2026-11-19T01:32:56.123456+00:00", "2026-11-19"]


@functools.lru_cache(maxsize=None)
def _sql(reader: str) -> str:
    """SELECT of `reading.<reader>` over the texts of the parameter $texts, in order."""
    from leadpolicy.backends.sql import reading
    from leadpolicy.backends.sql.fragments import building, exp, generate

    with building("duckdb"):
        sql = generate(getattr(reading, reader)(exp.column("lp_t")), "duckdb", pretty=False)
    return f"SELECT lp_i, {sql} FROM (SELECT UNNEST($texts) AS lp_t, UNNEST(range(len($texts))) AS lp_i) ORDER BY lp_i"


def _run(reader: str, texts: "list[str]") -> list:
    import duckdb

    return [value for _, value in duckdb.sql(_sql(reader), params={"texts": texts}).fetchall()]


def _quick(texts: "list[str]") -> list:
    """Each text through reading.quick_instant in a real DuckDB."""
    return _run("quick_instant", texts)


def _full(texts: "list[str]") -> list:
    """Each (trimmed) text through reading.instant_micros (the fast path, then the full reader)."""
    return _run("instant_micros", texts)


def _wrong(texts: "list[str]") -> "list[tuple[str, object, object]]":
    """The texts the fast path reads differently from the runtime (reading the stripped text)."""
    texts = [t.replace("\x00", "") for t in texts]
    return [(t, got, instant_micros(t.strip())) for t, got in zip(texts, _quick(texts))
            if got is not None and got != instant_micros(t.strip())]


def _edits(base: str) -> "set[str]":
    """Every text one or two edits from `base`: each character replaced by an odd one,
    two replaced, one deleted, one inserted, one replaced and a later one deleted."""
    out: set[str] = set()
    for i in range(len(base)):
        out.add(base[:i] + base[i + 1:])
        for ch in _ODD:
            replaced = base[:i] + ch + base[i + 1:]
            out.add(replaced)
            out.add(base[:i] + ch + base[i:])
            out.update(replaced[:j] + replaced[j + 1:] for j in range(i + 1, len(base)))
    for i, j in itertools.combinations(range(len(base)), 2):
        for a, b in itertools.product(_ODD, repeat=2):
            out.add(base[:i] + a + base[i + 1:j] + b + base[j + 1:])
    return out


def test_the_common_shapes_are_read_by_the_fast_path() -> None:
    assert _quick(_COMMON) == [instant_micros(t) for t in _COMMON]
    padded = [" " + t for t in _COMMON] + [t + "\t" for t in _COMMON] + [t + " " for t in _COMMON]
    assert _quick(padded) == [None] * len(padded)


@pytest.mark.parametrize("base", ["2026-05-06T12:34:56Z", "2026-05-06T12:34:56.123Z", "1999-12-31T23:59:59.999999Z"])
def test_every_text_one_or_two_edits_from_a_z_shape_reads_as_the_runtime(base: str) -> None:
    """Exhaustive near the strptime shapes: a character changed to a space, a sign, a letter,
    another separator, a wider or narrower field made up elsewhere (same length), ..."""
    texts = sorted(_edits(base))
    assert _wrong(texts) == []
    # and it is a fast path: the unchanged text and its digit variants are read by it
    assert _quick([base])[0] == instant_micros(base)


def test_every_field_value_at_its_edges_reads_as_the_runtime() -> None:
    """Year 0000/0001/0999/1000/9999, month 00/13, day 00/29/30/31/32 in leap and common years
    (2000, 2100, 2024, 2023), hour 23/24, minute 59/60, second 59/60, fractions of 1-9 digits."""
    texts = []
    for year, month, day, hour, minute, second in itertools.product(
            ["0000", "0001", "0999", "1000", "2000", "2100", "2024", "2023", "9999"], ["00", "01", "02", "04", "12", "13"],
            ["00", "01", "28", "29", "30", "31", "32"], ["00", "23", "24"], ["00", "59", "60"], ["00", "59", "60"]):
        texts.append(f"{year}-{month}-{day}T{hour}:{minute}:{second}Z")
    for digits in range(1, 10):
        texts += [f"2024-02-29T23:59:59.{'9' * digits}Z", f"2024-02-29T23:59:59.{'0' * (digits - 1)}1Z",
                  f"2024-02-29T23:59:59.{'1' * digits}z", f"2024-02-29t23:59:59.{'1' * digits}Z"]
    assert _wrong(texts) == []
    # the fast path reads every possible one with `T`, `Z`, a year from 1000 and at most 6 fraction digits
    fast = [instant_micros(t) if t[0] != "0" and t[10] == "T" and t.endswith("Z") and len(t) <= 27 else None for t in texts]
    assert _quick(texts) == fast


_DIGIT = st.sampled_from("0123456789")
_SHAPES = ("dddd-dd-ddTdd:dd:ddZ", "dddd-dd-ddTdd:dd:dd.dddZ", "dddd-dd-ddTdd:dd:dd.ddddddZ", "dddd-dd-ddTdd:dd:dd.dZ",
           "dddd-dd-ddTdd:dd:dd.ddddddddZ", "dddd-dd-ddTdd:dd:dd", "dddd-dd-ddTdd:dd:dd+dd:dd", "dddd-dd-ddTdd:dd:dd.ddd-dd:dd",
           "dddd-dd-ddTdd:dd:dd.dddddd+dd:dd", "dddd-dd-dd", "dddd-dd-dd dd:dd:ddZ", "dddd-dd-ddTdd:ddZ", "dddd-dd-ddTdd:dd:dd+dddd")
_EDGE = st.sampled_from([" ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x85", "\xa0", "\u2003", "\u3000", "Z", "0", ""])


@st.composite
def _near_instants(draw) -> str:
    """A shape filled with digits, then a few characters changed, inserted or deleted."""
    text = "".join(draw(_DIGIT) if ch == "d" else ch for ch in draw(st.sampled_from(_SHAPES)))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text) - 1))
        how = draw(st.sampled_from(["replace", "insert", "delete"]))
        ch = draw(st.sampled_from(_ODD))
        text = text[:at] + ("" if how == "delete" else ch) + text[at + (0 if how == "insert" else 1):]
    return text


@st.composite
def _valid_instants(draw) -> str:
    """Possible instants (and a few impossible zones) in the shapes: Z or z, T or t or a space,
    fractions of 0-9 digits, offsets up to 25:61."""
    moment = draw(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)))
    text = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}{draw(st.sampled_from('TTt '))}{moment:%H:%M:%S}"
    digits = draw(st.integers(0, 9))
    if digits:
        text += "." + "".join(draw(st.lists(_DIGIT, min_size=digits, max_size=digits)))
    zone = draw(st.sampled_from(["", "Z", "Z", "z", "+", "-"]))
    if zone in ("+", "-"):
        zone += f"{draw(st.integers(0, 25)):02d}:{draw(st.integers(0, 61)):02d}"
    return text + zone


@settings(max_examples=80, deadline=None, derandomize=DERANDOMIZE)
@given(texts=st.lists(st.builds(lambda a, t, b: a + t + b, _EDGE, st.one_of(_near_instants(), _valid_instants()), _EDGE),
                      min_size=60, max_size=60))
def test_fast_path_on_raw_text_is_the_runtime_on_trimmed_text(texts: "list[str]") -> None:
    assert _wrong(texts) == []


@settings(max_examples=40, deadline=None, derandomize=DERANDOMIZE)
@given(texts=st.lists(st.one_of(_near_instants(), _valid_instants()), min_size=60, max_size=60))
def test_the_whole_reader_is_the_runtime(texts: "list[str]") -> None:
    """reading.instant_micros (fast path, then the full reader) on trimmed text."""
    texts = [t.strip() for t in texts]
    assert _full(texts) == [instant_micros(t) for t in texts]


# ---------------------------------------------------------------- the activities' error column (query.py)

_ACT_POLICY = """
policy "activity errors" version "1"
fields {
  email  text
}
activities {
  page_view  (path text)
  webinar    (title text, minutes number)
  chat
}
stages {
  lead
}
engagement {
  "Viewed":    +5  per page_view
  "Attended":  +30 per webinar where minutes >= 20
  "Chatted":   +1  per chat
}
"""
_ODD_TYPES = ["", "  ", "\u3000", "\x1c", "\u3000x", "x", " page_view\t", "PAGE_VIEW", "\u0130", 5, None, "email_open"]
_ODD_TIMES = ["2026-11-20T09:00:00Z", "2026-11-20 09:00:00z", "2026-11-20T24:00:00Z", "", " ", None, 5, "soon",
              "2026-11-20T09:00:00+01:00", "\t2026-11-20T09:00:00.5Z "]
_ODD_VALUES = [None, "x", " ", "", 5, 2.5, True, ["a"], {"b": 1}, "25", " 25 ", "1e400", "nan"]


@settings(max_examples=30, deadline=None, derandomize=DERANDOMIZE)
@given(acts=st.lists(st.lists(st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(_ODD_TYPES + ["page_view", "webinar", "chat"]), "at": st.sampled_from(_ODD_TIMES)},
                          optional={"path": st.sampled_from(_ODD_VALUES), "title": st.sampled_from(_ODD_VALUES),
                                    "minutes": st.sampled_from(_ODD_VALUES)}),
    st.sampled_from(["not an object", 3, None])), max_size=4), min_size=8, max_size=8))
def test_the_first_activity_error_is_the_runtimes(acts: list) -> None:
    """DuckDB checks an activity's time once for every type and reads a blank type without
    trimming printable text: the same first error (field named) as the reference, or none."""
    import json

    from support.backends import Case, assert_agree, run_duckdb, run_reference

    import leadpolicy

    policy = leadpolicy.loads(_ACT_POLICY)
    lines = [json.dumps({"id": n, "fields": {}, "activities": a}) for n, a in enumerate(acts)]
    case = Case(policy, lines, "2026-11-22T00:00:00Z")
    assert_agree("duckdb", run_duckdb(case), run_reference(case), case)
