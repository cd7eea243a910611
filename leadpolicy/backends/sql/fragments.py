"""Building blocks: SQL fragments as sqlglot trees, and their lowering per dialect.

Fragments are written once as SQL text with `:name` placeholders (parsed once,
cached) and filled with sqlglot nodes: policy text only ever enters the tree as
a node (`exp.Literal`, a quoted `exp.Identifier`), never as SQL text, so names
and strings from an untrusted policy stay data in every dialect.

A few operations have no common spelling across engines, or none that keeps
the reference's arithmetic to the bit. They are written as `LP_*` functions in
the one tree and lowered to each dialect's own form by `lower` just before the
tree is generated.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import re
import sys
from typing import TYPE_CHECKING, Any, Iterator, Optional

from leadpolicy.backends.sql import extras

if TYPE_CHECKING:
    import sqlglot as sqlglot
    from sqlglot import exp as exp
else:
    sqlglot = extras.sqlglot()
    exp = sqlglot.exp

__all__ = ["frag", "building", "finish", "generate", "replace_parameter", "lit", "num", "ident", "col", "lower", "DIALECTS", "WHITESPACE", "DBL_MAX"]

DIALECTS = ("duckdb", "spark", "postgres", "snowflake", "bigquery")
# What Python's str.strip() removes (docs/language-reference.md section 16: "trimmed as str.strip()"):
# every str.isspace() character, written out (a scan of all code points took 0.1 s at import);
# tests/test_sql_dialects.py checks it against that scan.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
DBL_MAX = sys.float_info.max
POW_TABLE = 1024  # decay periods computed exactly in Spark (beyond: Java's pow, within an ulp)


@functools.lru_cache(maxsize=None)
def _template(text: str) -> "tuple[exp.Expr, bool, bool]":
    """The parsed fragment, and whether it has placeholders and LP_* calls."""
    tree = sqlglot.parse_one(text, read=None)
    return (tree, any(True for _ in tree.find_all(exp.Placeholder)),
            any(str(n.this).upper().startswith("LP_") for n in tree.find_all(exp.Anonymous)))


# The dialect the tree being built is for (set by `building`): fragments lower their
# own LP_* functions as they are made, so no pass over the whole tree is needed.
_DIALECT: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("lp_sql_dialect", default=None)


@contextlib.contextmanager
def building(dialect: Optional[str]) -> Iterator[None]:
    """Build the tree for `dialect` (None: leave LP_* functions for `lower`)."""
    if dialect is not None and dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (choose from {', '.join(DIALECTS)})")
    token = _DIALECT.set(dialect)
    try:
        yield
    finally:
        _DIALECT.reset(token)


def current_dialect() -> Optional[str]:
    """The dialect the tree being built is for (None: not known yet)."""
    return _DIALECT.get()


def frag(text: str, **parts: "exp.Expr") -> "exp.Expr":
    """The fragment `text` (SQL with `:name` placeholders) filled with `parts` (nodes).

    Parts are not copied: a part used twice is one shared node, so the tree is a
    DAG (generating SQL only reads it; `lower` copies before it edits one). This
    keeps compile time linear in the policy (copies made it quadratic)."""
    template, has_parts, has_calls = _template(text)
    dialect = _DIALECT.get()
    calls: "list[exp.Anonymous]" = []
    tree = _instantiate(template, parts if has_parts else {}, calls if dialect and has_calls else None)
    for call in reversed(calls):  # innermost first: each lowering sees its arguments lowered
        replacement = _lower_node(call, dialect or "")
        if call is tree:
            tree = replacement
        else:
            call.replace(replacement)
    return tree


def _instantiate(template: "exp.Expr", parts: "dict[str, exp.Expr]",
                 calls: "Optional[list[exp.Anonymous]]") -> "exp.Expr":
    """A fresh copy of the template's nodes with each placeholder named in `parts` replaced
    by that part (not copied), collecting the copy's LP_* calls (outermost first) into
    `calls` when it is a list. One walk instead of a deep copy and a search for the
    placeholders: the copy was a quarter of the compile time."""
    def fresh(node: "exp.Expr") -> "tuple[exp.Expr, bool]":
        if type(node) is exp.Placeholder and node.name in parts:
            return _grouped(parts[node.name]), False
        made = node.__class__()
        if node.comments is not None:
            made.comments = list(node.comments)
        if calls is not None and type(node) is exp.Anonymous and str(node.this).upper().startswith("LP_"):
            calls.append(made)  # type: ignore[arg-type]
        return made, True

    root, walk = fresh(template)
    stack = [(template, root)] if walk else []
    while stack:
        node, made = stack.pop()
        args = made.args
        for key, value in node.args.items():
            if isinstance(value, exp.Expr):
                child, walk = fresh(value)
                args[key] = child
                child.parent, child.arg_key, child.index = made, key, None
                if walk:
                    stack.append((value, child))
            elif type(value) is list:
                items: "list[object]" = []
                for position, item in enumerate(value):
                    if isinstance(item, exp.Expr):
                        child, walk = fresh(item)
                        child.parent, child.arg_key, child.index = made, key, position
                        if walk:
                            stack.append((item, child))
                        items.append(child)
                    else:
                        items.append(item)
                args[key] = items
            else:
                args[key] = value
    return root


def _grouped(node: "exp.Expr") -> "exp.Expr":
    """An operand in parentheses where the generator would not add them (a - (b - c))."""
    if isinstance(node, (exp.Binary, exp.Unary, exp.Predicate, exp.Connector, exp.In, exp.Is, exp.Between)) \
            and not isinstance(node, exp.Paren):
        return exp.Paren(this=node)
    return node


def case(ifs: "list[exp.If]", default: "Optional[exp.Expr]" = None, this: "Optional[exp.Expr]" = None,
         type_: str = "varchar") -> "exp.Expr":
    """CASE [this] WHEN ... END; with no branch, the default (or a typed NULL)."""
    if not ifs:
        if default is not None:
            return default
        return exp.Cast(this=exp.Null(), to=exp.DataType.build(type_))
    return exp.Case(this=this, ifs=ifs, default=default)


def lit(text: str) -> "exp.Literal":
    return exp.Literal.string(text)


_GLOB = re.compile(r"([*?\[])")


def file_path(path: str) -> str:
    """A file's path as DuckDB's readers (read_parquet, read_csv) must be given it: they take a path as
    a glob pattern, so `c[1]d.parquet` read the file c1d.parquet and `a*b.parquet` every file it
    matches. A file that exists is read itself: each glob character bracketed (`a[*]b.parquet`);
    a path naming no file is left a pattern (`data/*.parquet` given to leadpolicy.sql)."""
    import os

    return _GLOB.sub(r"[\1]", path) if _GLOB.search(path) and os.path.exists(path) else path


def num(value: float | int) -> "exp.Expr":
    """A number: an exact integer literal, or a DOUBLE read from its shortest repr
    (a decimal literal would be a DECIMAL in some engines, converted with rounding)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return exp.Literal.number(value)
    if value == int(value) and abs(value) < 2 ** 53 and not (value == 0 and math.copysign(1, value) < 0):
        return frag("CAST(:v AS DOUBLE)", v=exp.Literal.number(int(value)))
    return frag("CAST(:v AS DOUBLE)", v=lit(repr(float(value))))


def ident(name: str) -> "exp.Identifier":
    return exp.Identifier(this=name, quoted=True)


def col(name: str, table: str | None = None) -> "exp.Column":
    return exp.Column(this=ident(name), table=ident(table) if table else None)


# ---------------------------------------------------------------- lowering per dialect


def _args(node: "exp.Expr") -> "list[exp.Expr]":
    return [_grouped(a) for a in node.expressions]


def _lower_node(node: "exp.Expr", dialect: str) -> "exp.Expr":
    if not isinstance(node, exp.Anonymous) or not str(node.this).upper().startswith("LP_"):
        return node
    name = str(node.this).upper()
    a = _args(node)
    if name == "LP_IDIV":  # integer division of non-negative integers
        division = exp.IntDiv(this=a[0], expression=a[1])
        if dialect == "postgres":  # DIV() gives NUMERIC there
            return exp.Cast(this=division, to=exp.DataType.build("bigint"))
        return exp.Paren(this=division)
    if name == "LP_FULL_MATCH":  # the whole text matches the regex (a literal)
        pattern = a[1].this
        if dialect == "duckdb":
            return exp.Anonymous(this="regexp_full_match", expressions=[a[0], a[1]])
        return exp.RegexpLike(this=a[0], expression=lit("^(?:" + pattern + ")$"))
    if name == "LP_DIGITS_AFTER_DOT":  # the digits after the first `.` ('' when none)
        pattern = "[.]([0-9]+)"
        if dialect == "postgres":
            # SUBSTRING(text, pattern): the POSIX form, the first group's text
            return exp.Coalesce(this=exp.Anonymous(this="SUBSTRING", expressions=[a[0], lit(pattern)]), expressions=[lit("")])
        if dialect == "snowflake":
            return exp.Coalesce(this=exp.Anonymous(this="REGEXP_SUBSTR", expressions=[
                a[0], lit(pattern), exp.Literal.number(1), exp.Literal.number(1), lit("e"), exp.Literal.number(1)]),
                expressions=[lit("")])
        if dialect == "bigquery":
            return exp.Coalesce(this=exp.Anonymous(this="REGEXP_EXTRACT", expressions=[a[0], lit(pattern)]), expressions=[lit("")])
        return exp.RegexpExtract(this=a[0], expression=lit(pattern), group=exp.Literal.number(1))
    if name == "LP_TO_DOUBLE":  # text known to be a decimal number -> DOUBLE (inf when too large)
        if dialect == "postgres":
            return _postgres_double(a[0])
        return exp.TryCast(this=a[0], to=exp.DataType.build("double"))
    if name == "LP_IS_FINITE":
        x = a[0]
        return frag(":x >= :lo AND :x <= :hi", x=x, lo=num(-DBL_MAX), hi=num(DBL_MAX))
    if name == "LP_IS_NAN":
        if dialect in ("duckdb", "spark"):
            return exp.Anonymous(this="isnan", expressions=[a[0]])
        if dialect == "bigquery":
            return exp.Anonymous(this="IS_NAN", expressions=[a[0]])
        return frag(":x = CAST('NaN' AS DOUBLE)", x=a[0])
    if name == "LP_FOLD_SUM":  # 0.0 + x1 + x2 + ... in the order of `order` (an aggregate)
        value, order = a
        if dialect == "duckdb":
            listed = frag("LIST_PREPEND(CAST(0 AS DOUBLE), ARRAY_AGG(:v ORDER BY :o ASC))", v=value, o=order)
            return exp.Anonymous(this="list_reduce", expressions=[
                listed, exp.Lambda(this=exp.Add(this=exp.to_identifier("lp_a"), expression=exp.to_identifier("lp_b")),
                                   expressions=[exp.to_identifier("lp_a"), exp.to_identifier("lp_b")])])
        if dialect == "spark":
            return sqlglot.parse_one(
                "AGGREGATE(TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(o AS k, v AS v))), lp_e -> lp_e.v),"
                " CAST(0 AS DOUBLE), (lp_a, lp_b) -> lp_a + lp_b)", read="spark").transform(
                lambda n: order.copy() if isinstance(n, exp.Column) and n.name == "o" and not n.table else
                (value.copy() if isinstance(n, exp.Column) and n.name == "v" and not n.table else n))
        # Postgres adds in the aggregate's ORDER BY, one value after another; the
        # `+ 0.0` turns the one possible difference from a 0.0 start (-0.0) into +0.0.
        return frag("COALESCE(SUM(:v ORDER BY :o ASC), 0) + CAST(0 AS DOUBLE)", v=value, o=order)
    if name == "LP_FIRST_BY":  # the value of the row with the least `order` among those given
        value, order = a
        if dialect == "postgres":
            # sqlglot writes Postgres subscripts 1-based from its 0-based index: [0] is the first element
            return exp.Bracket(this=exp.Paren(this=frag("ARRAY_AGG(:v ORDER BY :o ASC)", v=value, o=order)),
                               expressions=[exp.Literal.number(0)])
        return exp.ArgMin(this=value, expression=order)
    if name == "LP_POW":  # base ** n, n a non-negative integer, as Python (C's pow) computes it
        base = float(a[0].this)
        power = frag("POWER(:b, CAST(:n AS DOUBLE))", b=num(base), n=a[1])
        if dialect != "spark":
            return power
        # Java's Math.pow is off by an ulp from C's for some (base, n): the first
        # POW_TABLE powers come from Python's own, as one literal Spark folds once.
        table = [base ** n for n in range(POW_TABLE)]
        while len(table) > 1 and table[-1] == 0.0 and table[-2] == 0.0:
            table.pop()
        factors = frag("CAST(ELEMENT_AT(SPLIT(:t, ','), CAST(:n AS INT) + 1) AS DOUBLE)",
                       t=lit(",".join(repr(f) for f in table)), n=a[1])
        return frag("CASE WHEN :n < :size THEN :f ELSE :p END", n=a[1], size=exp.Literal.number(len(table)), f=factors,
                    p=power)
    if name == "LP_DECAYED":  # points * base ** n, n a non-negative integer, as Python computes it
        points, base = float(a[0].this), float(a[1].this)
        power = _lower_node(exp.Anonymous(this="LP_POW", expressions=[a[1], a[2]]), dialect)
        decayed = exp.Mul(this=num(points), expression=power)
        zero_from = _first_zero_product(points, base)
        if dialect in ("duckdb", "spark") or zero_from is None:
            return decayed
        # Postgres raises "value out of range: underflow" where a float product or power rounds
        # to zero (Snowflake and BigQuery may too), so one activity old enough to decay to nothing
        # failed the whole query. From the first n where Python's points * base ** n is 0.0, it is
        # points * 0.0 (the sign of the points, as Python's), computed without the power.
        return frag("CASE WHEN :n >= :z THEN :p * CAST(0 AS DOUBLE) ELSE :d END", n=a[2], z=exp.Literal.number(zero_from),
                    p=num(points), d=decayed)
    if name == "LP_DOUBLE_TEXT":  # a finite DOUBLE as Python's repr writes it
        text = exp.Cast(this=a[0], to=exp.DataType.build("varchar"))
        if dialect == "postgres":  # Postgres writes 100 for 100.0 (repr: 100.0; from 1e16 on both use exponents)
            return frag("CASE WHEN :x = TRUNC(:x) AND ABS(:x) < CAST(1e16 AS DOUBLE) THEN :t || '.0' ELSE :t END", x=a[0], t=text)
        return text
    if name == "LP_JSON_STRING":  # a JSON string literal for text (hits' rule names)
        return a[0]
    if name == "LP_FINAL_SIGMA":  # text with each U+03A3 that str.lower() makes final written U+03C2
        if dialect != "duckdb":  # (Spark: Java's toLowerCase applies the rule itself; the others: not done)
            return a[0]
        return exp.Anonymous(this="regexp_replace", expressions=[
            a[0], lit(final_sigma_pattern()), lit("\\1\u03c2\\2"), lit("g")])
    raise ValueError(f"no lowering for {name}")


# Where Python's float(text) becomes inf (from 2^1024 - 2^970: halfway above the largest
# double, rounded to even) and 0.0 (up to 2^-1075: halfway below the least), as exact decimals
_OVERFLOW_FROM = str(2 ** 1024 - 2 ** 970)
_UNDERFLOW_TO = "0." + str(5 ** 1075).rjust(1075, "0")  # 2^-1075 = 5^1075 / 10^1075


def _postgres_double(text: "exp.Expr") -> "exp.Expr":
    """A decimal number's text (reading.NUMBER_PATTERN) as Python's float() reads it, in Postgres:
    NULL where Python gives inf (the caller's finite check makes it a data error), a zero of the
    text's sign where Python rounds to 0.0. PostgreSQL's own cast raises "out of range" for both
    (a cell holding 1e400 failed the whole query); NUMERIC decides which, within its own range
    (the exponent's size and the digits' count first: `1e999999` is out of NUMERIC's too)."""
    mantissa = frag("SPLIT_PART(LOWER(:t), 'e', 1)", t=text)
    exponent = frag("CASE WHEN STRPOS(LOWER(:t), 'e') > 0 THEN SPLIT_PART(LOWER(:t), 'e', 2) ELSE '0' END", t=text)
    zero = frag("CASE WHEN LEFT(:t, 1) = '-' THEN CAST('-0' AS DOUBLE) ELSE CAST(0 AS DOUBLE) END", t=text)
    exact = frag("ABS(CAST(:t AS DECIMAL))", t=text)
    return frag(
        "CASE WHEN :is_zero THEN CAST(:m AS DOUBLE)"  # a zero: any exponent
        " WHEN LENGTH(LTRIM(:e, '+-')) > 6 THEN CASE WHEN LEFT(:e, 1) = '-' THEN :zero END"
        " WHEN CAST(:e AS BIGINT) - LENGTH(:m) > 309 THEN NULL"  # at least 10^310
        " WHEN CAST(:e AS BIGINT) + LENGTH(:m) < -330 THEN :zero"  # below 10^-330
        " WHEN :x >= CAST(:over AS DECIMAL) THEN NULL"
        " WHEN :x <= CAST(:under AS DECIMAL) THEN :zero"
        " ELSE CAST(:t AS DOUBLE) END",
        m=mantissa, e=exponent, zero=zero, x=exact, t=text, over=lit(_OVERFLOW_FROM), under=lit(_UNDERFLOW_TO),
        is_zero=exp.RegexpLike(this=mantissa, expression=lit("^[+-]?0+([.]0+)?$")))


def _first_zero_product(points: float, base: float) -> Optional[int]:
    """The least n >= 0 for which Python's points * base ** n is 0.0 (it stays 0.0 from there: base
    ** n shrinks as n grows), or None when it never is (base 1, or above 1)."""
    def zero(n: int) -> bool:
        return points * base ** n == 0.0

    if not (0.0 <= base < 1.0 and math.isfinite(points)):
        return None  # (infinite points, which the checker refuses, would give NaN for ever)
    high = 1
    while not zero(high):
        high *= 2  # base < 1: reaches a zero power within 2^17 or so steps of doubling even for 0.999999
    low = 0
    while low < high:  # the least zero in [low, high]
        middle = (low + high) // 2
        if zero(middle):
            high = middle
        else:
            low = middle + 1
    return low


# Characters a query holds as code, never as themselves. A tool that reads the query file with
# universal newlines (Python's open(), git's autocrlf) turns a \r in a string literal into \n, and
# editors offer to remove the Unicode line separators (U+0085, U+2028, U+2029): either would
# silently change what a literal holds (the trim set of every text value). DuckDB and PostgreSQL
# take them as CHR(n) pieces (DuckDB's parser also turns non-ASCII spaces into plain spaces in some
# queries, even inside literals); Spark, BigQuery and Snowflake as their string escapes (\uXXXX).
_NON_ASCII_SPACES = "".join(ch for ch in WHITESPACE if ord(ch) > 127)
_ESCAPED = {ord(ch): f"\\u{ord(ch):04x}" for ch in _NON_ASCII_SPACES}
_SPELLED = re.compile(f"[\x00-\x1f\x7f-\x9f{_NON_ASCII_SPACES}]")  # the ASCII ones: control characters
_IN_QUERY_TEXT = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{_NON_ASCII_SPACES}]")  # the query's own line breaks aside


def _spelled(ch: str) -> bool:
    return _SPELLED.match(ch) is not None


def respelled(node: "exp.Expr", text: str, dialect: str, **options: Any) -> str:
    """`text`, generated from `node` for `dialect`, or, when a DuckDB or PostgreSQL literal in it
    holds a character to spell out, the text again from a copy with those literals spelled out."""
    if dialect in ("duckdb", "postgres") and _IN_QUERY_TEXT.search(text):
        return str(_spell_literals(node.copy()).sql(dialect=dialect, **options))
    return text


def _spelled_out(node: "exp.Literal") -> "exp.Expr":
    """A string literal holding whitespace other than a space, or a control character, as
    pieces joined with CHR(n) (see _SPELLED)."""
    text = node.this
    pieces: "list[exp.Expr]" = []
    run: list[str] = []
    for ch in text:
        if _spelled(ch):
            if run:
                pieces.append(lit("".join(run)))
                run = []
            pieces.append(exp.Anonymous(this="chr", expressions=[exp.Literal.number(ord(ch))]))
        else:
            run.append(ch)
    if run:
        pieces.append(lit("".join(run)))
    return exp.Paren(this=exp.Concat(expressions=pieces)) if len(pieces) > 1 else pieces[0]


def _has_odd_space(node: "exp.Literal") -> bool:
    return node.is_string and any(_spelled(ch) for ch in node.this)


def whitespace() -> "exp.Expr":
    """The characters Python's str.strip() removes, as a string for the dialect being
    built (DuckDB, PostgreSQL: spelled out with CHR, see `_spelled_out`)."""
    return _whitespace(_DIALECT.get())


@functools.lru_cache(maxsize=None)
def final_sigma_pattern() -> str:
    """An RE2 pattern matching each U+03A3 that Python's str.lower() writes as the final
    sigma U+03C2 (Unicode's Final_Sigma: a cased character before it, and none after
    it, case-ignorable characters skipped both ways): group 1 is what precedes it, group 2
    what follows. SQL LOWER maps each character alone, so `LOWER('ΟΔΟΣ')` is 'οδοσ' where
    Python's is 'οδος'. The classes are read from this Python's own str.lower() (a scan
    of every code point, about a second, made once and only for a policy that needs it),
    not from the engine's Unicode tables, which are of another Unicode version."""
    cased: list[int] = []
    ignorable: list[int] = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        if (char + "\u03a3").lower()[-1] == "\u03c2":  # a cased character (not skipped)
            cased.append(code)
        elif ("A" + char + "\u03a3").lower()[-1] == "\u03c2":  # skipped on the way to the A
            ignorable.append(code)
    c, i = _regex_class(cased), _regex_class(ignorable)
    return f"([{c}][{i}]*)\u03a3([{i}]*([^{c}{i}]|$))"


def _regex_class(codes: "list[int]") -> str:
    """The inside of an RE2 character class holding exactly `codes` (ascending), as \\x{...} ranges."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in runs)


def _whitespace(dialect: Optional[str]) -> "exp.Expr":
    return _spelled_out(lit(WHITESPACE)) if dialect in ("duckdb", "postgres") else lit(WHITESPACE)


def generate(tree: "exp.Expr", dialect: str, *, pretty: bool = True) -> str:
    """The SQL text of a tree built for `dialect` (`building`), finished (`finish`)."""
    tree = finish(tree, dialect)
    # copy=False: the tree is this call's own (no copy of a big tree); sqlglot's
    # generator edits only nodes it makes (tests/test_sql_dialects.py compares it with copy=True)
    with _names_kept(tree, dialect) as kept:
        text = tree.sql(dialect=dialect, pretty=pretty, copy=False)
    if dialect == "postgres" and "\x00" in text:
        # a NUL in a policy's text (a literal, an enum member, a rule name in the hits): PostgreSQL
        # text cannot hold one (no literal, no escape, no chr(0) makes it), and a query sent with
        # one is cut there, inside a string literal: refused, not sent broken
        raise NulInPolicyText("the policy's text holds a NUL character (\\x00), which PostgreSQL text cannot"
                              " hold: no Postgres query can compare with it. Remove it from the policy")
    if dialect in ("duckdb", "postgres"):  # a policy string may hold one
        text = respelled(tree, text, dialect, pretty=pretty)
    elif dialect in ("spark", "bigquery", "snowflake"):
        # their generators escape control characters (\t, \013, \x1c); the non-ASCII spaces and line
        # separators are escaped here (in string literals, and in BigQuery's quoted identifiers, which
        # read the same escapes; Spark's and Snowflake's keep theirs: `_names_kept`)
        text = kept.restore(text.translate(_ESCAPED))
    return text


class _KeptNames:
    """Quoted identifiers that hold a non-ASCII space or line separator, for Spark and Snowflake:
    their quoted identifiers read no escape (Spark's `a\\u00a0b` names a column of that very text),
    so such a name (a mapping's `Company\\u00a0Size`) is written as itself, not escaped as a
    literal's characters are. Each is a sentinel while the query is generated and escaped."""

    def __init__(self, quote: str) -> None:
        self.quote = quote  # the dialect's identifier quote, doubled inside a name
        self.names: dict[str, str] = {}  # sentinel -> name

    def restore(self, text: str) -> str:
        for sentinel, name in self.names.items():
            text = text.replace(sentinel, name.replace(self.quote, self.quote * 2))
        return text


@contextlib.contextmanager
def _names_kept(tree: "exp.Expr", dialect: str) -> Iterator[_KeptNames]:
    """The identifiers `_KeptNames` keeps, as sentinels in `tree` for the block (restored after)."""
    import secrets

    kept = _KeptNames({"spark": "`", "snowflake": '"'}.get(dialect, ""))
    changed: list[tuple[exp.Identifier, str, Any]] = []
    if kept.quote:
        token = secrets.token_hex(8)  # a name the policy and the mapping cannot spell
        for node in tree.find_all(exp.Identifier):
            if any(ch in _NON_ASCII_SPACES for ch in node.name):
                sentinel = f"lp_name_{len(changed)}_{token}"  # none is a part of another
                kept.names[sentinel] = node.name
                changed.append((node, node.name, node.args.get("quoted")))
                node.set("this", sentinel)
                node.set("quoted", True)
    try:
        yield kept
    finally:
        for node, name, quoted in changed:  # the caller's tree as it was
            node.set("this", name)
            node.set("quoted", quoted)


class NulInPolicyText(ValueError):
    """The policy's text cannot be written for this dialect (text.query_text says where)."""


def _spell_literals(tree: "exp.Expr") -> "exp.Expr":
    """DuckDB string literals with odd spaces spelled out (on a tree, not a DAG: `tree.copy()`)."""
    for node in list(tree.find_all(exp.Literal)):
        if _has_odd_space(node):
            replacement = _spelled_out(node)
            if node is tree:
                return replacement
            node.replace(replacement)
    return tree


def finish(tree: "exp.Expr", dialect: str) -> "exp.Expr":
    """The last steps of a tree built for `dialect` (`building`): Postgres CTEs
    materialized and its parameter a setting. Edits in place (no copy of the whole
    tree); DuckDB's literals with odd spaces are `generate`'s (or `lower`'s) job."""
    if dialect == "postgres":
        # CTEs computed once (Postgres would inline each into its readers: a plan too big to make)
        for cte in tree.find_all(exp.CTE):
            cte.set("materialized", True)
        # no driver-specific placeholder: a setting (SET leadpolicy.as_of = '...')
        tree = replace_parameter(tree, "as_of", exp.Anonymous(this="current_setting", expressions=[lit("leadpolicy.as_of")]))
    return tree


def replace_parameter(tree: "exp.Expr", name: str, replacement: "exp.Expr") -> "exp.Expr":
    """Every occurrence of the placeholder `name` replaced (in place). A fragment may hold
    one placeholder node in several places (the tree is a DAG), so `node.replace`, which
    edits only the node's last parent, would miss some: each parent's slot is set."""
    def found(value: object) -> bool:
        return isinstance(value, exp.Placeholder) and value.name == name

    if found(tree):
        return replacement
    for node in list(tree.walk()):
        for key, value in list(node.args.items()):
            if found(value):
                node.set(key, replacement)
            elif isinstance(value, list) and any(found(v) for v in value):
                node.set(key, [replacement if found(v) else v for v in value])
    return tree


def lower(tree: "exp.Expr", dialect: str) -> "exp.Expr":
    """A tree built without a dialect (LP_* functions still in it) in `dialect`'s own
    spelling (a copy)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r} (choose from {', '.join(DIALECTS)})")
    tree = tree.copy()
    # innermost first, so each lowering sees its arguments already lowered
    for node in reversed(list(tree.find_all(exp.Anonymous))):
        if str(node.this).upper().startswith("LP_"):
            replacement = _lower_node(node, dialect)
            if node is tree:
                return finish(replacement, dialect)
            node.replace(replacement)
    tree = finish(tree, dialect)
    return _spell_literals(tree) if dialect == "duckdb" else tree
