"""Reading lead data: docs/language-reference.md section 16 and semantics/runtime.py, as SQL.

Every raw value reaches these readers as two columns: its text `v` and its
JSON kind `k`: 's' a string, 'i' an integer, 'f' another number, 'b' a
boolean, 'o' an array or object, 'n' null or absent. (The relational shape
gives every non-null cell the kind 's': a warehouse column is read as its
text, as CSV cells are.) A reader returns the value in the evaluator's
representation (docs/semantics-contract.md, "Input") and a condition that is
true when the value cannot be read (a data error).

Representations: text is the trimmed, lower-cased VARCHAR; a number DOUBLE;
a boolean BOOLEAN; an enum the INTEGER index of its member; a date or
timestamp BIGINT microseconds since the epoch, UTC; missing is NULL.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Callable, Iterator

from leadpolicy.backends.sql.fragments import current_dialect, exp, frag, lit, whitespace
from leadpolicy.syntax.words import DISQUALIFIED

if TYPE_CHECKING:
    from leadpolicy.syntax import nodes

__all__ = ["trimmed", "lowered", "final_sigma_for", "member_index", "read_value", "instant_micros", "quick_instant", "typed_reading",
           "NUMBER_PATTERN", "INSTANT_PATTERN"]

# runtime._NUMBER and runtime._INSTANT, written without backslashes (they would
# mean different things in different dialects' string literals).
NUMBER_PATTERN = "[+-]?[0-9]+([.][0-9]+)?([eE][+-]?[0-9]+)?"
INSTANT_PATTERN = ("[0-9]{4}-[0-9]{2}-[0-9]{2}"
                   "([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?( ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?))?)?")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def trimmed(v: "exp.Expr") -> "exp.Expr":
    """Python's str.strip(): every Unicode whitespace character at either end."""
    trim = exp.Trim(this=v, expression=whitespace())
    if current_dialect() != "duckdb":
        return trim
    # DuckDB's TRIM with a set of characters is slow (about 0.5 us a value): text that
    # starts and ends with a printable ASCII character (never whitespace) is kept as is;
    # text that does once its spaces are trimmed (the plain TRIM, which removes the
    # Unicode space separators) is that, and text of nothing but spaces is ''; only the
    # rest (tabs, line breaks and the like at an end) takes the slow TRIM.
    spaces = exp.Trim(this=v)
    return frag(f"CASE WHEN {_PRINTABLE_ENDS.format(t=':v')} THEN :v WHEN {_PRINTABLE_ENDS.format(t=':s')} THEN :s"
                " WHEN STRLEN(:s) = 0 THEN '' ELSE :trim END", v=v, s=spaces, trim=trim)


# DuckDB: the text starts and ends with a printable ASCII character (! to ~). The first:
# two comparisons of the text (its bytes, cheaper than decoding a character; under a
# user's default collation, NOCASE or NOACCENT, whitespace still fails: it has no case
# and is no accent); the last: its code point (ARRAY_EXTRACT(t, -1), a code point, not a
# grapheme; cheaper than RIGHT(t, 1)). Empty text fails both. (STRLEN in `trimmed`, not
# `= ''`: under NOACCENT a lone combining mark equals ''.)
_PRINTABLE_ENDS = "({t} >= '!' AND {t} < CHR(127) AND ORD(ARRAY_EXTRACT({t}, -1)) BETWEEN 33 AND 126)"


# Whether the policy being built can tell the two lower-case sigmas apart (`final_sigma_for`).
_FINAL_SIGMA: contextvars.ContextVar[bool] = contextvars.ContextVar("lp_sql_final_sigma", default=False)


@contextlib.contextmanager
def final_sigma_for(policy: "nodes.Policy") -> Iterator[None]:
    """Build text readers that lower U+03A3 as Python does (LP_FINAL_SIGMA) while the
    policy can tell `σ` from `ς`: a string or enum member of it holds one, or it compares
    two texts of the data. Otherwise how data's Σ is lowered decides nothing (every
    literal it could meet lacks both), and the query stays without the long pattern."""
    token = _FINAL_SIGMA.set(_tells_sigmas(policy))
    try:
        yield
    finally:
        _FINAL_SIGMA.reset(token)


def _tells_sigmas(policy: "nodes.Policy") -> bool:
    from leadpolicy.syntax import nodes

    def data_text(node: "nodes.Node") -> bool:
        return isinstance(node, (nodes.FieldRef, nodes.PropRef)) and node.type.kind == "text"

    for node in policy.walk():
        if isinstance(node, nodes.String):
            words = [node.value]
        elif isinstance(node, nodes.FieldType):
            words = list(node.members)
        elif isinstance(node, (nodes.Compare, nodes.TextTest)) and data_text(node.left) and data_text(node.right):
            return True
        else:
            continue
        if any("\u03c3" in word.lower() or "\u03c2" in word.lower() for word in words):
            return True
    return False


def lowered(t: "exp.Expr", raw: "exp.Expr | None" = None, full: bool = False, sigma: bool = True) -> "exp.Expr":
    """Python's str.lower(): as SQL LOWER, but U+0130 (capital I with dot) becomes
    `i` + U+0307 as Python's full case mapping says (engines map it to a plain `i`),
    and, where the policy can tell (`final_sigma_for`), U+03A3 ending a word becomes
    the final sigma U+03C2 (engines lower each character alone). `raw`: a column holding
    U+0130 and U+03A3 exactly when `t` does (`t` is it trimmed); `full`: always the
    REPLACE (for text known to hold U+0130 or U+03A3); `sigma=False`: text only ever
    compared with ASCII words (types, stage names, true/yes/...), where Σ decides nothing."""
    sigma = sigma and _FINAL_SIGMA.get()
    source = frag("LP_FINAL_SIGMA(:t)", t=t.copy()) if sigma else t.copy()
    replaced = exp.Lower(this=exp.Anonymous(this="REPLACE", expressions=[source, lit("\u0130"), lit("i\u0307")]))
    probe = t if isinstance(t, exp.Column) else raw
    if current_dialect() != "duckdb" or probe is None or full:
        return replaced
    # DuckDB, a column: looking for the character costs less than replacing it (a new string every time)
    return frag("CASE WHEN :special THEN :full ELSE LOWER(:t) END", special=_special(probe, sigma), t=t, full=replaced)


def _special(t: "exp.Expr", sigma: bool = True) -> "exp.Expr":
    """DuckDB: the text holds a character LOWER alone does not lower as Python does."""
    if not (sigma and _FINAL_SIGMA.get()):
        return frag("CONTAINS(:t, :i)", t=t, i=lit("\u0130"))
    return frag("(CONTAINS(:t, :i) OR CONTAINS(:t, :s))", t=t, i=lit("\u0130"), s=lit("\u03a3"))


def member_index(key: "exp.Expr", names: "list[str]") -> "exp.Expr":
    """The 0-based index of the first of `names` equal to `key` (NULL: none, or NULL key)."""
    if current_dialect() == "duckdb":
        # DuckDB spells `CASE x WHEN a ... WHEN b ...` as `x = a`, `x = b`, ...: x computed once per
        # name; LIST_POSITION computes it once (and returns the first equal entry, as CASE does)
        return frag("LIST_POSITION(:names, :key) - 1", names=exp.Array(expressions=[lit(n) for n in names]), key=key)
    return exp.Case(this=key, ifs=[exp.If(this=lit(n), true=exp.Literal.number(i)) for i, n in enumerate(names)])


def _is(k: "exp.Expr", *kinds: str) -> "exp.Expr":
    return exp.In(this=k.copy(), expressions=[lit(kind) for kind in kinds])


def read_value(kind: str, members: "tuple[str, ...]", v: "exp.Expr", k: "exp.Expr", t: "exp.Expr",
               typed: "exp.Expr | None" = None) -> "tuple[exp.Expr, Callable[[exp.Expr], exp.Expr]]":
    """(value, error condition) of a declared field or property of `kind`; `t` is
    `v` trimmed (a column computed once: the trim is long in some dialects).
    The error condition is a function of the value's column (computed before it,
    so the value's expression is not repeated inside the check). `typed`: the value
    already read from a typed column, where its kind is 'y' (typed_reading)."""
    value, error = _read_text_value(kind, members, v, k, t)
    if typed is None:
        return value, error
    # kind 'y' is in none of the error conditions: a value read from its type is never an error
    return frag("CASE WHEN :k = 'y' THEN :y ELSE :v END", k=k, y=typed, v=value), error


def _read_text_value(kind: str, members: "tuple[str, ...]", v: "exp.Expr", k: "exp.Expr", t: "exp.Expr"
                     ) -> "tuple[exp.Expr, Callable[[exp.Expr], exp.Expr]]":
    if kind == "text":
        if current_dialect() == "duckdb" and isinstance(t, exp.Column):
            # one flat CASE; blank tested on the trimmed text (lowered text is blank only then)
            value = frag("CASE WHEN :k = 's' AND STRLEN(:t) > 0 AND NOT :special THEN LOWER(:t)"
                         " WHEN :k = 's' AND STRLEN(:t) > 0 THEN :full WHEN :k = 'i' THEN :v END",
                         k=k, v=v, t=t, special=_special(t), full=lowered(t, full=True))
        else:
            value = frag("CASE WHEN :k = 's' THEN NULLIF(:t, '') WHEN :k = 'i' THEN :v END", k=k, v=v, t=lowered(t))
        return value, lambda val: _is(k, "f", "b", "o")
    if kind == "number":
        text_number = frag("CASE WHEN LP_FULL_MATCH(:t, :p) THEN LP_TO_DOUBLE(:t) END", t=t, p=lit(NUMBER_PATTERN))
        raw = frag("CASE WHEN :k = 's' THEN :n WHEN :k IN ('i', 'f') THEN LP_TO_DOUBLE(:v) END", k=k, n=text_number, v=v)
        value = frag("CASE WHEN LP_IS_FINITE(:r) THEN :r END", r=raw)
        return value, lambda val: frag("(:k IN ('b', 'o') OR (:k IN ('i', 'f') AND :val IS NULL)"
                                       " OR (:k = 's' AND :t <> '' AND :val IS NULL))", k=k, val=val, t=t)
    if kind == "boolean":
        key = lowered(t, sigma=False)
        value = frag("CASE WHEN :k = 'b' THEN :v = 'true' WHEN :k = 's' AND :key IN (:t1, :t2, :t3) THEN TRUE"
                     " WHEN :k = 's' AND :key IN (:f1, :f2, :f3) THEN FALSE"
                     " WHEN :k = 'i' AND :v = '1' THEN TRUE WHEN :k = 'i' AND :v = '0' THEN FALSE END",
                     k=k, v=v, key=key, **{f"t{i + 1}": lit(w) for i, w in enumerate(_TRUE)},
                     **{f"f{i + 1}": lit(w) for i, w in enumerate(_FALSE)})
        return value, lambda val: frag(
            "(:k IN ('f', 'o') OR (:k = 'i' AND :val IS NULL) OR (:k = 's' AND :key <> '' AND :val IS NULL))",
            k=k, val=val, key=key)
    if kind == "enum":
        key = frag("CASE WHEN :k = 's' THEN :t WHEN :k = 'i' THEN :v END", k=k, v=v, t=lowered(t))
        # (the key, of text or an integer, is blank exactly when `t` is: an integer's text has nothing to trim)
        return member_index(key, [member.lower() for member in members]), lambda val: frag(
            "(:k IN ('f', 'b', 'o') OR (:k IN ('s', 'i') AND :val IS NULL AND :t <> ''))", k=k, t=t, val=val)
    if kind == "date":
        value = frag("CASE WHEN :k = 's' AND :t <> '' THEN :m END", k=k, t=t, m=instant_micros(t))
        return value, lambda val: frag("(:k IN ('i', 'f', 'b', 'o') OR (:k = 's' AND :t <> '' AND :val IS NULL))",
                                       k=k, t=t, val=val)
    raise ValueError(f"unknown kind {kind!r}")


# Typed columns (the DuckDB engine, which knows its inputs' column types; docs/sql.md, "Typed
# columns"). A cell of these types is read from its value, not its text, where that is exactly
# what reading its text gives: a finite DOUBLE is the number its shortest text spells; an
# integer's text is its digits, and both become the nearest double; a BOOLEAN's text is
# `true`/`false`; a DATE or timestamp's text is the instant EPOCH_US gives (DuckDB writes
# a TIMESTAMPTZ with its offset; TIMESTAMP_NS's extra digits are truncated, and EPOCH_US
# floors, the same instant before 1970 too). Not typed: FLOAT (its text is the shortest
# float, another double), DECIMAL and HUGEINT (their casts to DOUBLE are not the nearest),
# times outside years 1..9999 a day either side (their text, which may hold a year 10000
# in a far time zone, says what they are). The rest of each column, and other types, are read as text.
_INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"})
_TIME_TYPES = frozenset({"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"})
_FIRST_DAY, _LAST_DAY = "0001-01-02", "9999-12-30"


def typed_reading(kind: str, sql_type: str, column: "exp.Expr") -> "tuple[exp.Expr, exp.Expr, exp.Expr] | None":
    """DuckDB: (condition, value, text) for a cell of `sql_type` read as `kind` ('number',
    'boolean', 'date'): where the condition holds the value is the one its text reads as
    (read_value's representation); elsewhere `text` is read. None: this column is read as
    its text."""
    sql_type = sql_type.upper()
    text: exp.Expr = exp.Cast(this=column.copy(), to=exp.DataType.build("varchar"))
    if kind == "number" and sql_type == "DOUBLE":
        return frag("ISFINITE(:x)", x=column), column.copy(), text
    if kind == "number" and sql_type in _INTEGER_TYPES:
        return exp.true(), exp.Cast(this=column.copy(), to=exp.DataType.build("double")), text
    if kind == "boolean" and sql_type == "BOOLEAN":
        return exp.true(), column.copy(), text
    if kind == "date" and sql_type == "TIMESTAMP_NS":  # (its whole range, 1677-2262, is inside the years read)
        return frag("ISFINITE(:x)", x=column), frag("EPOCH_US(:x)", x=column), text
    if kind == "date" and sql_type in _TIME_TYPES:
        # the bounds as the column's own type (a cast of the column could fail: DATE and the
        # coarser timestamps reach past TIMESTAMP's range; EPOCH_US of a TIMESTAMP_S fails
        # on some times TIMESTAMP holds, so those go through TIMESTAMP)
        zone = " 00:00:00+00" if "ZONE" in sql_type else ""
        to = exp.DataType.build(sql_type, dialect="duckdb")
        inside = frag(":x BETWEEN :lo AND :hi", x=column, lo=exp.Cast(this=lit(_FIRST_DAY + zone), to=to),
                      hi=exp.Cast(this=lit(_LAST_DAY + zone), to=to.copy()))
        timestamp = exp.Cast(this=column.copy(), to=exp.DataType.build("timestamp")) if sql_type in ("TIMESTAMP_S", "TIMESTAMP_MS") else column
        if zone:
            # an instant's text is written in the session's time zone, whose offset once had
            # seconds (local mean time: -10:29:20 in Kiritimati before 1901), text section 8
            # does not read; its UTC time, without an offset, is read as UTC: the same instant
            text = exp.Cast(this=frag("TIMEZONE('UTC', :x)", x=column), to=exp.DataType.build("varchar"))
        return inside, frag("EPOCH_US(:x)", x=timestamp), text
    return None


def _int(text: "exp.Expr") -> "exp.Expr":
    # TRY_CAST: engines with ANSI casts (Spark 4) must not fail on a branch the CASE never takes
    return exp.TryCast(this=text, to=exp.DataType.build("bigint"))


def _sub(t: "exp.Expr", start: int, length: int | None = None) -> "exp.Expr":
    args = {"this": t.copy(), "start": exp.Literal.number(start)}
    if length is not None:
        args["length"] = exp.Literal.number(length)
    return exp.Substring(**args)


def _days_from_civil(y: "exp.Expr", m: "exp.Expr", d: "exp.Expr") -> "exp.Expr":
    """Days since 1970-01-01 of a valid date, year >= 1 (H. Hinnant's algorithm;
    every division here has non-negative operands)."""
    return frag(
        "LP_IDIV(:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END, 400) * 146097"
        " + ((:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END) - LP_IDIV(:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END, 400) * 400) * 365"
        " + LP_IDIV((:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END) - LP_IDIV(:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END, 400) * 400, 4)"
        " - LP_IDIV((:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END) - LP_IDIV(:y - CASE WHEN :m <= 2 THEN 1 ELSE 0 END, 400) * 400, 100)"
        " + LP_IDIV(153 * ((:m + 9) % 12) + 2, 5) + :d - 1 - CAST(719468 AS BIGINT)", y=y, m=m, d=d)


def _valid_date(y: "exp.Expr", m: "exp.Expr", d: "exp.Expr") -> "exp.Expr":
    return frag(
        ":y >= 1 AND :m BETWEEN 1 AND 12 AND :d >= 1 AND :d <= CASE WHEN :m IN (4, 6, 9, 11) THEN 30"
        " WHEN :m = 2 THEN CASE WHEN (:y % 4 = 0 AND :y % 100 <> 0) OR :y % 400 = 0 THEN 29 ELSE 28 END ELSE 31 END",
        y=y, m=m, d=d)


# The forms most data has, read by DuckDB's own parser (docs/sql.md, "Reading cheaply").
#
# First the `Z` times with seconds (the commonest by far), by one TRY_STRPTIME of the whole
# text, no GLOB. DuckDB's strptime reads each numeric field as 1 to its width of ASCII digits
# (%Y 4, %m %d %H %M %S 2, %f 6: no sign, no spaces inside), checks every range (hour <= 23,
# second <= 59, 2026-02-30 ...), matches each literal byte exactly and skips whitespace only
# before the text and after it. So when the text starts with a digit 1-9 (no leading
# whitespace, a year of 1000 or more: never 0000) and ends with its `Z` (no trailing
# whitespace) and is 20 bytes, its 14 digits fill the 14 digits of the fields (4+2+2+2+2+2)
# exactly: the text is DDDD-DD-DDTDD:DD:DDZ and reads as section 8 reads it. With a fraction,
# the `.` at byte 20 ends the seconds there (no other field takes a `.`), so again every
# field before it is full, and the fraction is the 1-6 digits after it (scaled as runtime
# does). Everything else (and every one of these strptime refuses) goes to the shapes below,
# then the full reader. tests/test_sql_times.py checks it against the runtime.
_Z_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
_Z_FRACTION = "%Y-%m-%dT%H:%M:%S.%fZ"
_D = "[0-9]"
_DATE_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2}"
_SECONDS_GLOB = f"{_DATE_GLOB}T{_D * 2}:{_D * 2}:{_D * 2}"
_ZONE_GLOB = f"[+-]{_D * 2}:{_D * 2}"
# The other shapes, checked with GLOB (a digit where a digit must be; year 0000, which DuckDB
# accepts and section 16 does not, excluded): a date, or a `T` timestamp with seconds,
# optionally .mmm or .uuuuuu, then nothing or +HH:MM / -HH:MM.
# (length, the shape after the seconds, digits of the fraction, position of the zone's sign or 0)
# (the commonest first: a CASE tests its lengths in order)
_FAST_TIMESTAMPS = ((19, "", 0, 0), (25, _ZONE_GLOB, 0, 20), (29, f".{_D * 3}{_ZONE_GLOB}", 3, 24),
                    (32, f".{_D * 6}{_ZONE_GLOB}", 6, 27))


def _strptime_micros(t: "exp.Expr", layout: str) -> "exp.Expr":
    return frag("EPOCH_US(TRY_STRPTIME(:t, :f))", t=t, f=lit(layout))


def quick_instant(t: "exp.Expr") -> "exp.Expr":
    """DuckDB: the micros of the common shapes (NULL for other texts). Each shape starts with
    a digit and ends with a digit or `Z`: text in one of them has nothing to trim, so the
    raw text may be read with it before trimming."""
    z_time = frag("ASCII(:t) BETWEEN 49 AND 57 AND ENDS_WITH(:t, 'Z')", t=t)
    fraction = frag("CASE WHEN STRLEN(:t) BETWEEN 22 AND 27 AND SUBSTRING(:t, 20, 1) = '.' THEN :v END",
                    t=t, v=_strptime_micros(t, _Z_FRACTION))
    zulu = frag("CASE WHEN STRLEN(:t) = 20 THEN :v ELSE :f END", t=t, v=_strptime_micros(t, _Z_SECONDS), f=fraction)
    seconds = exp.Anonymous(this="epoch_us", expressions=[
        exp.Anonymous(this="try_strptime", expressions=[frag("LEFT(:t, 19)", t=t), lit("%Y-%m-%dT%H:%M:%S")])])
    ifs: "list[exp.If]" = []
    for length, tail, fraction_digits, sign_at in _FAST_TIMESTAMPS:
        value: exp.Expr = seconds
        if fraction_digits:
            digits = frag("CAST(SUBSTRING(:t, 21, :n) AS BIGINT)", t=t, n=exp.Literal.number(fraction_digits))
            value = frag(":v + :d * :scale", v=value, d=digits, scale=exp.Literal.number(10 ** (6 - fraction_digits)))
        if sign_at:
            hours = frag("CAST(SUBSTRING(:t, :at, 2) AS BIGINT)", t=t, at=exp.Literal.number(sign_at + 1))
            minutes = frag("CAST(SUBSTRING(:t, :at, 2) AS BIGINT)", t=t, at=exp.Literal.number(sign_at + 4))
            offset = frag("(:h * 60 + :m) * CAST(60000000 AS BIGINT)", h=hours, m=minutes)
            # local time minus its offset is UTC; an offset of 24 hours or more is no time (NULL)
            value = frag("CASE WHEN :h <= 23 AND :m <= 59 THEN CASE WHEN SUBSTRING(:t, :at, 1) = '+' THEN :v - :o"
                         " ELSE :v + :o END END", h=hours, m=minutes, t=t, at=exp.Literal.number(sign_at), v=value, o=offset)
        ifs.append(exp.If(this=exp.Literal.number(length),
                          true=frag("CASE WHEN :t GLOB :g THEN :v END", t=t, g=lit(_SECONDS_GLOB + tail), v=value)))
    ifs.append(exp.If(this=exp.Literal.number(10), true=frag("CASE WHEN :t GLOB :g THEN epoch_us(TRY_CAST(:t AS DATE)) END",
                                                              t=t, g=lit(_DATE_GLOB))))
    others = frag("CASE WHEN LEFT(:t, 4) <> '0000' THEN :c END", t=t, c=exp.Case(this=frag("LENGTH(:t)", t=t), ifs=ifs))
    return frag("CASE WHEN :z THEN :zulu ELSE :others END", z=z_time, zulu=zulu, others=others)


def instant_micros(t: "exp.Expr") -> "exp.Expr":
    """runtime.instant_micros for trimmed text `t`: microseconds since the epoch, or
    NULL for anything that is not exactly one of section 8's forms (or an impossible
    date or time)."""
    full = _instant_micros_full(t)
    if current_dialect() != "duckdb":
        return full
    # COALESCE evaluates the full reader only for the rows the fast one leaves NULL
    return exp.Coalesce(this=quick_instant(t), expressions=[full])


def _instant_micros_full(t: "exp.Expr") -> "exp.Expr":
    y, m, d = _int(_sub(t, 1, 4)), _int(_sub(t, 6, 2)), _int(_sub(t, 9, 2))
    hh, mi = _int(_sub(t, 12, 2)), _int(_sub(t, 15, 2))
    has_seconds = frag("SUBSTRING(:t, 17, 1) = ':'", t=t)
    ss = frag("CASE WHEN :s THEN TRY_CAST(SUBSTRING(:t, 18, 2) AS BIGINT) ELSE 0 END", s=has_seconds, t=t)
    fraction = frag("LP_DIGITS_AFTER_DOT(:t)", t=t)
    micros = frag("TRY_CAST(RPAD(SUBSTRING(:f, 1, 6), 6, '0') AS BIGINT)", f=fraction)
    # The zone: after the time, a sign is the only `+` or `-` (the date's dashes come before position 11).
    tail = _sub(t, 11)
    sign_at = frag("GREATEST(STRPOS(:tail, '+'), STRPOS(:tail, '-'))", tail=tail)
    zone = frag("SUBSTRING(:tail, :at)", tail=tail, at=sign_at)  # +HH, +HHMM or +HH:MM
    zone_hours = _int(_sub(zone, 2, 2))
    zone_minutes = frag("CASE WHEN LENGTH(:z) = 3 THEN 0 ELSE TRY_CAST(SUBSTRING(:z, LENGTH(:z) - 1, 2) AS BIGINT) END", z=zone)
    offset = frag("CASE WHEN :at = 0 THEN 0 WHEN SUBSTRING(:z, 1, 1) = '+' THEN (:zh * 60 + :zm) * 60"
                  " ELSE -((:zh * 60 + :zm) * 60) END", at=sign_at, z=zone, zh=zone_hours, zm=zone_minutes)
    offset_ok = frag("(:at = 0 OR (:zh <= 23 AND :zm <= 59))", at=sign_at, zh=zone_hours, zm=zone_minutes)
    seconds_of_day = frag("(:hh * 60 + :mi) * 60 + :ss", hh=hh, mi=mi, ss=ss)
    time_ok = frag(":hh <= 23 AND :mi <= 59 AND :ss <= 59", hh=hh, mi=mi, ss=ss)
    days = _days_from_civil(y, m, d)
    return frag(
        "CASE WHEN NOT LP_FULL_MATCH(:t, :pattern) THEN NULL"
        " WHEN NOT (:valid) THEN NULL"
        " WHEN LENGTH(:t) = 10 THEN :days * CAST(86400000000 AS BIGINT)"
        " WHEN :time_ok AND :offset_ok THEN (:days * CAST(86400 AS BIGINT) + :sod - :offset) * CAST(1000000 AS BIGINT) + :micros END",
        t=t, pattern=lit(INSTANT_PATTERN), valid=_valid_date(y, m, d), days=days, time_ok=time_ok,
        offset_ok=offset_ok, sod=seconds_of_day, offset=offset, micros=micros)


def read_previous_stage(stage_names: "tuple[str, ...]", v: "exp.Expr", k: "exp.Expr", t: "exp.Expr"
                        ) -> "tuple[exp.Expr, Callable[[exp.Expr], exp.Expr]]":
    """(canonical stage name or 'disqualified' or NULL, error condition)."""
    names = (*stage_names, DISQUALIFIED)
    key = lowered(t, sigma=False)
    seen: dict[str, str] = {}  # lower-cased name -> the first name spelled so
    for name in names:
        seen.setdefault(name.lower(), name)
    known = frag("CASE WHEN :k = 's' THEN :key END", k=k, key=key)
    if current_dialect() == "duckdb":
        # (LIST_EXTRACT: 1-based, NULL past the end or for a NULL index)
        canonical = frag("LIST_EXTRACT(:names, :i + 1)", names=exp.Array(expressions=[lit(n) for n in seen.values()]),
                         i=member_index(known, list(seen)))
    else:
        canonical = exp.Case(this=known, ifs=[exp.If(this=lit(low), true=lit(name)) for low, name in seen.items()])
    return canonical, lambda val: frag("(:k IN ('i', 'f', 'b', 'o') OR (:k = 's' AND :val IS NULL AND :t <> ''))",
                                       k=k, t=t, val=val)
