"""`leadpolicy fmt`: one canonical layout for policy and `.tests` files.

    format_source(text, path)        a policy file  -> its canonical text
    format_tests_source(text, path)  a `.tests` file (test blocks only)
    format_text(text, path)          either, chosen by the file name

Input that does not parse raises the parser's `PolicyError`. The result parses
to an equal tree, keeps every comment in order, and formatting it again
changes nothing.

How it works: the tree is turned into a small layout document whose leaves
are the tokens to print, in source order. Those tokens are matched against
the tokens of the source text (on token values; `difflib` resynchronizes
where fmt drops or respells a token), which tells each comment which printed
token it belongs to: a comment on the same line as the token before it is
that token's *trailing* comment, printed at the end of that token's line and
forcing a line break after it; a comment on a line of its own *leads* the
next token, and is printed on its own line just before it, at the
indentation of what follows. Trailing comments on consecutive lines line up,
two spaces after the longest of those lines. Nothing else of the source
layout survives: the result depends on the tree, the comments and the blank
lines only (and on the spelling of numbers and enum members, kept as written).

The layout rules:

- Two-space indentation. One blank line between top-level blocks (and
  between the header and the first block). Inside a block, and between the
  `owner` lines, a blank line is kept where the source had one or more
  (before an item, or before or after one of its own-line comments), never
  right after `{` or right before `}`. Blank lines inside an item are dropped.
- Items that are rows are aligned in columns, per block: fields (name, type,
  description), activities (name, properties, description), stages (name,
  description, `when`), engagement rules (`"name":`, points, `per ... where
  ...`, `within`, `max`), fit rules (`"name":`, points, `when`; one set of
  columns for the whole block, rules in groups indented by 2), grades,
  demotions (`"name":`, `source -> target`, `when`) and disqualifications.
  A column starts where the widest cell before it ends, among the rows that
  have something in it, plus the gap: one space before `when` and `per` (the
  clause reads on from the points, the transition or the name), two spaces
  everywhere else.
- A row too long for one line (at the smallest gaps) does not widen the
  columns, so one long rule does not push every other rule to the right
  (unless no row of the block fits on one line: then all align). Nor does a
  cell far wider than the rest of its column (over 40 columns and over 2.5
  times their geometric mean, gofmt's test) widen the columns after it.
- A cell sits in its column, or after the cell before it plus the gap when
  that is further right. If it does not fit there, it may instead start the
  next line at its own column, or, for a description or condition ending the
  row, the next line under the row's second cell (`when` under a stage's
  description): of these, the one with the least overflow past 100 columns,
  then the fewest lines, wins, and staying put wins ties.
- Lines aim at 100 columns. Alignment may push a line past that (a `max`
  in its column is never moved); a condition that does not fit wraps:
  * an `and`/`or` chain puts one operand per line, the operator first,
    aligned with the first operand; but when everything before a final
    parenthesized operand fits, the chain stays on the line and the
    parentheses wrap inside (`when mql and (did ... \\n or ...)`);
  * inside parentheses, lines align one column right of the `(`;
  * `did X where ... at least N times within D` (and `per X where ...`)
    keep each clause on the line while it fits; the next clause that does
    not starts a new line, indented 2 from `did`;
  * `at least N of (...)` puts one condition per line, aligned after `(`;
  * lists of values (`in (...)`, `one of (...)`, properties, test values)
    fill the fewest lines possible, spread evenly, aligned after `(`; a test's
    `fields { ... }` that does not fit goes one indented block of evenly
    filled lines between `fields {` and `}`.
- Points always carry a sign (`+5`). Numbers, dates and durations' amounts are
  written as in the source (`10_000` stays); a duration's unit is singular
  for an amount of 1 and plural otherwise. Strings are re-quoted with
  `parser.quote`; an enum member keeps its quotes, or their absence, as
  written. Parentheses are kept exactly where the source had them, so the
  meaning never changes.
- Within a test block, the items keep their order; `fields { }` lists that
  follow each other join into one (as the parser joins them), an empty one
  goes, and of repeated `as of` or `previous stage` lines only the last (the
  one that counts) stays. `1 times` (the default) is dropped, and so is a
  trailing comma. (`did X where ... at least 1 times` keeps its `at least 1
  times` when an `and`/`or` follows: it ends the `where`.)
"""

from __future__ import annotations

import bisect
import difflib
import math
import re
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Union

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import number_value, parse, parse_tests, quote, unquote
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["format_source", "format_tests_source", "format_text", "WIDTH"]

WIDTH = 100  # the line width conditions and lists aim for
INDENT = 2


# ---------------------------------------------------------------- source tokens

_LEX = re.compile(
    r"""
      (?P<ws>[ \t\f\r\n]+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>"(?:[^"\\\n\r]|\\["\\])*")
    | (?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>\d(?:_?\d)*(?:\.\d(?:_?\d)*)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op>!=|<=|>=|->|[=<>+\-*%(),:{}])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_NUMBER = re.compile(r"\d(?:_?\d)*(?:\.\d(?:_?\d)*)?")
_IDENT = n.IDENTIFIER
_UNITS = n.UNIT_NAMES


@dataclass(frozen=True)
class _SourceToken:
    start: int
    end: int
    text: str


def _lex(text: str) -> tuple[list[_SourceToken], list[_SourceToken]]:
    """The source's tokens and comments (a `#` inside a string is not a comment)."""
    tokens: list[_SourceToken] = []
    comments: list[_SourceToken] = []
    for m in _LEX.finditer(text):
        kind = m.lastgroup
        if kind == "ws":
            continue
        item = _SourceToken(m.start(), m.end(), m.group())
        (comments if kind == "comment" else tokens).append(item)
    return tokens, comments


def _key(text: str):
    """What two tokens must share to be the same token: values, not spellings
    (a string and a name with the same text match: enum members may be either)."""
    if text.startswith('"'):
        return ("w", unquote(text))
    if _NUMBER.fullmatch(text):
        return ("n", number_value(text))
    if text in _UNITS:
        return ("u", _UNITS[text])
    if _IDENT.fullmatch(text):
        return ("w", text)
    return text


# ---------------------------------------------------------------- the layout document


class Tok:
    """A printed token, with the comments and blank lines that belong to it."""

    __slots__ = ("text", "synthetic", "recover", "leading", "trailing", "blank", "column")

    def __init__(self, text: str, synthetic: bool = False, recover: bool = False):
        self.text = text
        self.synthetic = synthetic  # printed but not in the source (the `+` of points)
        self.recover = recover  # the tree lost its spelling (a number, an enum member): take the source's
        self.leading: list[tuple[str, bool]] = []  # own-line comments before it: (text, blank line before)
        self.trailing: Optional[str] = None  # the comment at the end of its line
        self.blank = False  # a blank line before it (after its leading comments)
        self.column = 0  # where it was last printed

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Tok({self.text!r})"


@dataclass(eq=False)
class Seq:
    """Docs in a row, each after its separator (" " or ""); never breaks by choice."""

    items: list[tuple[str, "Doc"]]


@dataclass(eq=False)
class Chain:
    """`a and b and c`: flat, hugging a final parenthesis, or one operand per line."""

    first: "Doc"
    rest: list[tuple[Tok, "Doc"]]


@dataclass(eq=False)
class Clauses:
    """`did X` `where ...` `at least N times` `within D`: flat, or filled, each
    clause that does not fit starting a new line indented from the first."""

    items: list["Doc"]


@dataclass(eq=False)
class Paren:
    open: Tok
    inner: "Doc"
    close: Tok


@dataclass(eq=False)
class List:
    """`head(` items `)`: flat, or broken after `(`: one item per line or filled."""

    head: "Doc"  # ends with the `(`
    items: list["Doc"]
    commas: list[Tok]
    close: Tok
    fill: bool


@dataclass(eq=False)
class Braces:
    """A test's `fields { ... }`: flat, or an indented block of filled lines."""

    head: "Doc"  # ends with the `{`
    items: list["Doc"]
    commas: list[Tok]
    close: Tok


Doc = Union[Tok, Seq, Clauses, Chain, Paren, List, Braces]


def _children(doc: Doc) -> Iterator[Doc]:
    if isinstance(doc, Seq):
        for _, d in doc.items:
            yield d
    elif isinstance(doc, Clauses):
        yield from doc.items
    elif isinstance(doc, Chain):
        yield doc.first
        for op, d in doc.rest:
            yield op
            yield d
    elif isinstance(doc, Paren):
        yield doc.open
        yield doc.inner
        yield doc.close
    elif isinstance(doc, (List, Braces)):
        yield doc.head
        for i, item in enumerate(doc.items):
            yield item
            if i < len(doc.commas):
                yield doc.commas[i]
        yield doc.close


def _cache(doc: Doc) -> dict:
    """Facts about a doc, worked out once: only ask once the tokens' texts and
    comments are final (that is, while printing)."""
    return doc.__dict__.setdefault("_cache", {})


def _tokens(doc: Doc) -> list[Tok]:
    if isinstance(doc, Tok):
        return [doc]
    cache = _cache(doc)
    if "tokens" not in cache:
        cache["tokens"] = [t for child in _children(doc) for t in _tokens(child)]
    return cache["tokens"]


def _first(doc: Doc) -> Tok:
    while not isinstance(doc, Tok):
        doc = next(_children(doc))
    return doc


def _last(doc: Doc) -> Tok:
    while not isinstance(doc, Tok):
        doc = list(_children(doc))[-1]
    return doc


def width(doc: Doc) -> int:
    """The width of the doc printed on one line."""
    if isinstance(doc, Tok):
        return len(doc.text)
    cache = _cache(doc)
    if "width" not in cache:
        cache["width"] = _width(doc)
    return cache["width"]


def _width(doc: Doc) -> int:
    if isinstance(doc, Seq):
        return sum(width(d) for _, d in doc.items) + sum(len(s) for s, _ in doc.items[1:])
    if isinstance(doc, Clauses):
        return sum(width(d) for d in doc.items) + len(doc.items) - 1
    if isinstance(doc, Chain):
        return width(doc.first) + sum(len(op.text) + 2 + width(d) for op, d in doc.rest)
    if isinstance(doc, Paren):
        return 2 + width(doc.inner)
    if isinstance(doc, List):
        return width(doc.head) + sum(width(i) for i in doc.items) + 2 * max(0, len(doc.items) - 1) + 1
    if isinstance(doc, Braces):
        inner = sum(width(i) for i in doc.items) + 2 * max(0, len(doc.items) - 1)
        return width(doc.head) + 1 + inner + (1 if doc.items else 0) + 1
    raise TypeError(doc)


def breaks(doc: Doc) -> bool:
    """Does a comment force a line break inside the doc (not before or after it)?"""
    if isinstance(doc, Tok):
        return False
    cache = _cache(doc)
    if "breaks" not in cache:
        tokens = _tokens(doc)
        cache["breaks"] = any((i > 0 and t.leading) or (i < len(tokens) - 1 and t.trailing) for i, t in enumerate(tokens))
    return cache["breaks"]


# ---------------------------------------------------------------- the output


class Out:
    """Lines being written; `fresh` means the last line holds only its indentation."""

    def __init__(self, col: int = 0, fresh: bool = True):
        self.lines = [" " * col]
        self.code: dict[int, int] = {}  # line -> width before its comment
        self.fresh = fresh
        self.pending = False  # a trailing comment ended the line: the next token starts a new one

    @property
    def col(self) -> int:
        return len(self.lines[-1])

    def fork(self) -> "Out":
        scratch = Out(self.col, self.fresh)
        scratch.pending = self.pending
        return scratch

    def splice(self, scratch: "Out", col: int) -> None:
        base = len(self.lines) - 1
        self.lines[-1] += scratch.lines[0][col:]
        for i, w in scratch.code.items():
            self.code[base + i] = w  # scratch columns are the real columns
        self.lines.extend(scratch.lines[1:])
        self.fresh, self.pending = scratch.fresh, scratch.pending

    def widest(self) -> int:
        return max(self.code.get(i, len(line.rstrip())) for i, line in enumerate(self.lines))

    def newline(self, indent: int) -> None:
        if self.fresh:
            self.lines[-1] = " " * indent
        else:
            self.lines[-1] = self.lines[-1].rstrip()
            self.lines.append(" " * indent)
        self.fresh, self.pending = True, False

    def blank_line(self) -> None:
        """An empty line before the current (fresh) line."""
        if len(self.lines) >= 2 and self.lines[-2] == "":
            return
        self.lines.insert(len(self.lines) - 1, "")

    def pad_to(self, col: int) -> None:
        self.lines[-1] += " " * max(0, col - self.col)

    def comment_line(self, text: str) -> None:
        indent = self.col
        self.lines[-1] += text
        self.code[len(self.lines) - 1] = 0
        self.fresh = False
        self.newline(indent)

    def token(self, tok: Tok, sep: str, ind: int) -> None:
        if self.pending or (tok.leading and not self.fresh):
            self.newline(ind)
        elif not self.fresh:
            self.lines[-1] += sep
        for text, _ in tok.leading:
            self.comment_line(text)
        tok.column = self.col
        self.lines[-1] += tok.text
        self.fresh = False
        if tok.trailing is not None:
            self.code[len(self.lines) - 1] = len(self.lines[-1])
            self.lines[-1] += "  " + tok.trailing
            self.pending = True

    def text(self) -> str:
        """The finished text; trailing comments on consecutive lines line up."""
        lines = [line.rstrip() for line in self.lines]
        run: list[int] = []
        for i in range(len(lines) + 1):
            if i < len(lines) and self.code.get(i, 0) > 0:
                run.append(i)
                continue
            if len(run) > 1:
                at = max(self.code[j] for j in run) + 2
                for j in run:
                    code, comment = lines[j][: self.code[j]], lines[j][self.code[j] :].lstrip()
                    lines[j] = code.ljust(at) + comment
            run = []
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        return "\n".join(lines) + "\n" if lines else ""


def _start(out: Out, sep: str, tok: Tok, ind: int) -> int:
    """The column where a doc beginning with `tok` will start."""
    if out.pending or (tok.leading and not out.fresh):
        return ind
    if out.fresh:
        return out.col
    return out.col + len(sep)


def _fits(doc: Doc, start: int, trail: int) -> bool:
    return not breaks(doc) and start + width(doc) + trail <= WIDTH


# ---------------------------------------------------------------- rendering


def render(doc: Doc, out: Out, ind: int, trail: int, sep: str) -> None:
    """Print `doc` after `sep`; `ind` is where a forced line break before it goes,
    `trail` the width of what must follow it on its last line."""
    if isinstance(doc, Tok):
        out.token(doc, sep, ind)
    elif isinstance(doc, Seq):
        _render_seq(doc, out, ind, trail, sep)
    elif isinstance(doc, Clauses):
        _render_clauses(doc, out, ind, trail, sep)
    elif isinstance(doc, Chain):
        _render_chain(doc, out, ind, trail, sep)
    elif isinstance(doc, Paren):
        start = _start(out, sep, doc.open, ind)
        out.token(doc.open, sep, ind)
        render(doc.inner, out, start + 1, trail + 1, "")
        out.token(doc.close, "", start)
    elif isinstance(doc, List):
        _render_list(doc, out, ind, trail, sep)
    elif isinstance(doc, Braces):
        _render_braces(doc, out, ind, trail, sep)
    else:  # pragma: no cover
        raise TypeError(doc)


def _render_seq(doc: Seq, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, _first(doc), ind)
    after = [0] * len(doc.items)
    acc = trail
    for i in range(len(doc.items) - 1, -1, -1):
        after[i] = acc
        acc += width(doc.items[i][1]) + (len(doc.items[i][0]) if i > 0 else 0)
    for i, (s, d) in enumerate(doc.items):
        render(d, out, ind if i == 0 else start + INDENT, after[i], sep if i == 0 else s)


def _render_clauses(doc: Clauses, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, _first(doc), ind)
    if _fits(doc, start, trail):
        _render_seq(Seq([(" ", d) for d in doc.items]), out, ind, trail, sep)
        return
    last = len(doc.items) - 1
    for i, clause in enumerate(doc.items):
        after = trail if i == last else 0
        if i == 0:
            render(clause, out, ind, after, sep)
        elif not out.pending and not _first(clause).leading and _fits(clause, out.col + 1, after):
            render(clause, out, start + INDENT, after, " ")
        else:
            out.newline(start + INDENT)
            render(clause, out, start + INDENT, after, "")


def _chain_flat(doc: Chain, out: Out, ind: int, trail: int, sep: str, start: int) -> None:
    rest_width = sum(len(op.text) + 2 + width(d) for op, d in doc.rest)
    render(doc.first, out, ind, trail + rest_width, sep)
    for i, (op, d) in enumerate(doc.rest):
        rest_width -= len(op.text) + 2 + width(d)
        out.token(op, " ", start)
        render(d, out, start, trail + rest_width, " ")


def _huggable(doc: Doc) -> bool:
    if isinstance(doc, Paren):
        return True
    if isinstance(doc, Seq) and len(doc.items) == 2 and isinstance(doc.items[0][1], Tok):
        return doc.items[0][1].text == "not" and isinstance(doc.items[1][1], Paren)
    return False


def _render_chain(doc: Chain, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, _first(doc), ind)
    if _fits(doc, start, trail):
        _chain_flat(doc, out, ind, trail, sep, start)
        return
    last_op, last = doc.rest[-1]
    if _huggable(last):
        prefix = Chain(doc.first, doc.rest[:-1])
        prefix_tokens = _tokens(prefix) + [last_op]
        quiet = all(t.trailing is None for t in prefix_tokens) and not any(t.leading for t in prefix_tokens[1:])
        if quiet and not _first(last).leading and _fits(prefix, start, len(last_op.text) + 3):
            scratch = out.fork()
            _chain_flat(prefix, scratch, ind, 0, sep, start)
            scratch.token(last_op, " ", start)
            render(last, scratch, start, trail, " ")
            if scratch.widest() <= WIDTH:
                out.splice(scratch, out.col)
                return
    render(doc.first, out, ind, 0, sep)
    for i, (op, d) in enumerate(doc.rest):
        out.newline(start)
        out.token(op, "", start)
        render(d, out, start + len(op.text) + 1, trail if i == len(doc.rest) - 1 else 0, " ")


def _balanced(widths: list[int], room: int) -> list[int]:
    """How many items go on each line: the fewest lines within `room` (an item
    wider than that gets a line of its own), then the narrowest widest line."""

    def fill(limit: int) -> list[int]:
        counts: list[int] = []
        used = None
        for w in widths:
            if used is not None and used + 1 + w <= limit:
                used += 1 + w
                counts[-1] += 1
            else:
                counts.append(1)
                used = w
        return counts

    best = fill(room)
    low, high = max(widths), max(room, max(widths))
    while low < high:
        mid = (low + high) // 2
        if len(fill(mid)) <= len(best):
            high = mid
        else:
            low = mid + 1
    return fill(low)


def _render_items(items, commas, out: Out, col: int, trail_last: int, fill: bool) -> None:
    """Items after an opening bracket (the first on the current line), each line at `col`."""
    count = len(items)
    if fill and not any(breaks(i) for i in items) and not any(t.trailing or t.leading for t in commas) and not any(
        _first(i).leading or _last(i).trailing for i in items
    ):
        widths = [width(item) + 1 for item in items[:-1]] + [width(items[-1]) + trail_last]  # with comma or close
        counts = _balanced(widths, WIDTH - col)
        index = 0
        for line_no, k in enumerate(counts):
            if line_no > 0:
                out.newline(col)
            for j in range(k):
                item = items[index]
                render(item, out, col, 1 if index < count - 1 else trail_last, "" if j == 0 else " ")
                if index < count - 1:
                    out.token(commas[index], "", col)
                index += 1
        return
    for index, item in enumerate(items):
        if index > 0:
            out.newline(col)
        render(item, out, col, 1 if index < count - 1 else trail_last, "")
        if index < count - 1:
            out.token(commas[index], "", col)


def _render_list(doc: List, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, _first(doc), ind)
    if _fits(doc, start, trail) or not doc.items:
        render(doc.head, out, ind, trail + width(doc) - width(doc.head), sep)
        for i, item in enumerate(doc.items):
            render(item, out, start, 0, "" if i == 0 else " ")
            if i < len(doc.commas):
                out.token(doc.commas[i], "", start)
        out.token(doc.close, "", start)
        return
    render(doc.head, out, ind, width(doc.items[0]) + 1, sep)
    col = out.col if not out.pending else _last(doc.head).column + 1
    _render_items(doc.items, doc.commas, out, col, trail + 1, doc.fill)
    out.token(doc.close, "", max(0, col - 1))


def _render_braces(doc: Braces, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, _first(doc), ind)
    if _fits(doc, start, trail) and not _last(doc.head).trailing:
        render(doc.head, out, ind, 0, sep)
        for i, item in enumerate(doc.items):
            render(item, out, start, 0, " ")
            if i < len(doc.commas):
                out.token(doc.commas[i], "", start)
        out.token(doc.close, " ", start)
        return
    render(doc.head, out, ind, 0, sep)
    if doc.items:
        out.newline(start + INDENT)
        _render_items(doc.items, doc.commas, out, start + INDENT, 0, True)
    out.newline(start)
    out.token(doc.close, "", start)


# ---------------------------------------------------------------- rows and columns


@dataclass(eq=False)
class Row:
    indent: int
    cells: list[Optional[Doc]]  # the first is never None


def _min_width(row: Row, gaps: Sequence[int]) -> int:
    total = row.indent + width(row.cells[0])
    for k in range(1, len(row.cells)):
        if row.cells[k] is not None:
            total += gaps[k] + width(row.cells[k])
    return total


SMALL_CELL = 40  # a cell this wide or narrower is never an outlier
OUTLIER_RATIO = 2.5  # wider than this times the geometric mean of its column: an outlier


def _outliers(rows: list[Row], k: int) -> set[int]:
    """The rows whose cell `k` is far wider than the others in its column (the
    test gofmt uses): those cells do not push the columns after them."""
    sized = [r for r in rows if r.cells[k] is not None and any(c is not None for c in r.cells[k + 1 :])]
    widths = [max(1, width(r.cells[k]) + (r.indent if k == 0 else 0)) for r in sized]
    if not widths:
        return set()
    mean = math.exp(sum(math.log(w) for w in widths) / len(widths))
    return {id(r) for r, w in zip(sized, widths) if w > SMALL_CELL and w > OUTLIER_RATIO * mean}


def _natural_end(row: Row, k: int, cols: Sequence[Optional[int]], gaps: Sequence[int]) -> int:
    """Where the row's cells before `k` end on one line, placed by the columns."""
    end = row.indent + width(row.cells[0])
    for j in range(1, k):
        if row.cells[j] is not None:
            start = end + gaps[j] if cols[j] is None else max(cols[j], end + gaps[j])
            end = start + width(row.cells[j])
    return end


def _columns(rows: list[Row], gaps: Sequence[int]) -> list[Optional[int]]:
    count = len(gaps)
    cols: list[Optional[int]] = [None] * count
    aligned = list(rows)
    for k in range(1, count):
        outliers = _outliers(aligned, k - 1)
        aligned = [r for r in aligned if id(r) not in outliers]
        ends = [_natural_end(r, k, cols, gaps) + gaps[k] for r in aligned if r.cells[k] is not None]
        cols[k] = max(ends) if ends else None
    return cols


def columns(rows: list[Row], gaps: Sequence[int]) -> list[Optional[int]]:
    """Where each column starts: after the widest cell before it, plus its gap,
    among the rows that have something in it. Rows too long for one line take
    no part (unless no row of the block fits on one line), and a row stops
    taking part after an outlier cell (see `_outliers`)."""
    short = [r for r in rows if _min_width(r, gaps) <= WIDTH]
    return _columns(short or rows, gaps)


def _cost(scratch: Out) -> tuple[int, int]:
    """How bad a trial layout is: columns past the width, then lines."""
    over = sum(max(0, scratch.code.get(i, len(line.rstrip())) - WIDTH) for i, line in enumerate(scratch.lines))
    return over, len(scratch.lines)


def _is_text(cell: Doc) -> bool:
    """A description or a `when` condition: the cells that may move under the second."""
    if isinstance(cell, Tok):
        return cell.text.startswith('"')
    return isinstance(cell, Seq) and _first(cell).text == "when"


def render_row(row: Row, out: Out, cols: Sequence[Optional[int]], gaps: Sequence[int]) -> None:
    """Print a row on the current (fresh) line at its indentation.

    A cell goes at its column, or after the cell before it plus the gap when
    that is further right. If it does not fit there on one line, the first of
    these with the least overflow, then the fewest lines, wins: where it falls;
    on the next line at its column; for a description or a condition ending
    the row, on the next line under the row's second cell."""
    render(row.cells[0], out, row.indent, 0, "")
    second: Optional[int] = None
    last = max(k for k, c in enumerate(row.cells) if c is not None)
    for k in range(1, len(row.cells)):
        cell = row.cells[k]
        if cell is None:
            continue
        col = cols[k]
        home = col if col is not None else row.indent + 2 * INDENT
        if out.pending or _first(cell).leading:
            out.newline(home)
            second = out.col if second is None else second
            render(cell, out, home, 0, "")
            continue
        natural = out.col + gaps[k] if col is None else max(col, out.col + gaps[k])
        if second is None:
            second = natural
        if _fits(cell, natural, 0):
            out.pad_to(natural)
            out.fresh = False
            render(cell, out, natural, 0, "")
            continue
        options = [(natural, False)]
        if col is not None and col < natural:
            options.append((col, True))
        if k == last and k > 1 and _is_text(cell) and second < natural and second != col:
            options.append((second, True))
        best = None
        for position, new_line in options:
            scratch = out.fork()
            if new_line:
                scratch.newline(position)
            else:
                scratch.pad_to(position)
                scratch.fresh = False
            render(cell, scratch, position, 0, "")
            cost = _cost(scratch)
            if best is None or cost < best[0]:
                best = (cost, scratch, position)
        out.splice(best[1], out.col)


# ---------------------------------------------------------------- the tree -> the document


class _Builder(NodeVisitor):
    """Makes the layout document from the tree, creating tokens in printing order."""

    def __init__(self) -> None:
        self.tokens: list[Tok] = []

    def tok(self, text: str, synthetic: bool = False, recover: bool = False) -> Tok:
        t = Tok(text, synthetic, recover)
        self.tokens.append(t)
        return t

    def seq(self, *parts, glue: bool = False) -> Seq:
        """Parts are strings (made into tokens), Docs, or functions making a Doc;
        strings and functions are turned into tokens here, left to right, so
        tokens are always created in printing order."""
        items: list[tuple[str, Doc]] = []
        for part in parts:
            if part is None:
                continue
            if isinstance(part, str):
                doc: Doc = self.tok(part)
            elif callable(part):
                doc = part()
            else:
                doc = part
            items.append(("" if glue else " ", doc))
        return Seq(items)

    def words(self, text: str) -> Seq:
        return self.seq(*text.split())

    # -- literals

    def number(self, text: str, recover: bool = False) -> Doc:
        if text.startswith("-"):
            minus = self.tok("-")
            return Seq([("", minus), ("", self.tok(text[1:], recover=recover))])
        return self.tok(text, recover=recover)

    def duration(self, d: n.Duration) -> Seq:
        amount = d.text or _number_text(d.amount)
        unit = d.unit if d.amount == 1 else d.unit + "s"
        return self.seq(amount, unit)

    def member(self, name: str) -> Tok:
        return self.tok(_bare_or_quoted(name), recover=True)  # quoted or not, as written

    def type_spec(self, t: n.FieldType) -> Doc:
        if t.kind != "enum":
            return self.tok(t.kind)
        head = self.seq("one", "of", "(")
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, m in enumerate(t.members):
            if i:
                commas.append(self.tok(","))
            items.append(self.member(m))
        return List(head, items, commas, self.tok(")"), fill=True)

    # -- conditions

    prefix = "c_"

    def cond(self, e: n.Expr, closed: bool = False) -> Doc:
        """`closed`: more of the condition follows this one (`and ...`, `or ...`),
        so a `did X where ...` in it must not stay open (see `c_Did`)."""
        if isinstance(e, (n.And, n.Or, n.Not, n.Did)):
            return self.visit(e, closed)
        return self.visit(e)

    def _chain(self, e, op: str, closed: bool) -> Chain:
        first = self.cond(e.operands[0], closed=True)
        rest = []
        for i, operand in enumerate(e.operands[1:]):
            word = self.tok(op)
            rest.append((word, self.cond(operand, closed=closed or i < len(e.operands) - 2)))
        return Chain(first, rest)

    def c_Or(self, e: n.Or, closed: bool) -> Doc:
        return self._chain(e, "or", closed)

    def c_And(self, e: n.And, closed: bool) -> Doc:
        return self._chain(e, "and", closed)

    def c_Not(self, e: n.Not, closed: bool) -> Doc:
        return self.seq("not", lambda: self.cond(e.operand, closed))

    def c_Paren(self, e: n.Paren) -> Doc:
        open_ = self.tok("(")
        inner = self.cond(e.inner)
        return Paren(open_, inner, self.tok(")"))

    def c_Compare(self, e: n.Compare) -> Doc:
        left = self.cond(e.left)
        return Seq([("", left), (" ", self.tok(e.op)), (" ", self.cond(e.right))])

    def c_TextTest(self, e: n.TextTest) -> Doc:
        left = self.cond(e.left)
        items: list[tuple[str, Doc]] = [("", left)]
        for word in e.op.split():
            items.append((" ", self.tok(word)))
        items.append((" ", self.cond(e.right)))
        return Seq(items)

    def c_IsMissing(self, e: n.IsMissing) -> Doc:
        operand = self.cond(e.operand)
        return Seq([("", operand), (" ", self.tok("is")), (" ", self.tok("present" if e.negated else "missing"))])

    def c_InList(self, e: n.InList) -> Doc:
        operand = self.cond(e.operand)
        head_items: list[tuple[str, Doc]] = [("", operand)]
        if e.negated:
            head_items.append((" ", self.tok("not")))
        head_items.append((" ", self.tok("in")))
        head_items.append((" ", self.tok("(")))
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, item in enumerate(e.items):
            if i:
                commas.append(self.tok(","))
            items.append(self.cond(item))
        return List(Seq(head_items), items, commas, self.tok(")"), fill=True)

    def c_AtLeast(self, e: n.AtLeast) -> Doc:
        head = self.seq("at", "least", lambda: self.tok(str(e.count), recover=True), "of", "(")
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, c in enumerate(e.conditions):
            if i:
                commas.append(self.tok(","))
            items.append(self.cond(c))
        return List(head, items, commas, self.tok(")"), fill=False)

    def c_Did(self, e: n.Did, closed: bool) -> Doc:
        """`at least 1 times` is the default and goes, except where it ends a
        `where` that would otherwise swallow the `and`/`or` after it."""
        clauses: list[Doc] = [self.seq("no" if e.negated else "did", e.activity if e.activity is not None else "activity")]
        if e.where is not None:
            clauses.append(self.seq("where", lambda: self.cond(e.where)))
        if e.times != 1 or (closed and e.where is not None and e.within is None and not e.negated):
            clauses.append(self.seq("at", "least", lambda: self.tok(str(e.times), recover=True), "times"))
        if e.within is not None:
            clauses.append(self.seq("within", lambda: self.duration(e.within)))
        return Clauses(clauses) if len(clauses) > 1 else clauses[0]

    def c_Arith(self, e: n.Arith) -> Doc:
        left = self.cond(e.left)
        return Seq([("", left), (" ", self.tok(e.op)), (" ", self.cond(e.right))])

    def c_Neg(self, e: n.Neg) -> Doc:
        minus = self.tok("-")
        return Seq([("", minus), ("", self.cond(e.operand))])

    def c_Number(self, e: n.Number) -> Doc:
        return self.number(e.text or _number_text(e.value))

    def c_String(self, e: n.String) -> Doc:
        return self.tok(quote(e.value))

    def c_DateLit(self, e: n.DateLit) -> Doc:
        return self.tok(e.text)

    def c_Bool(self, e: n.Bool) -> Doc:
        return self.tok("true" if e.value else "false")

    def c_Name(self, e: n.Name) -> Doc:
        return self.tok(e.name)

    def c_FieldRef(self, e) -> Doc:
        return self.tok(e.name)

    c_PropRef = c_FieldRef
    c_StageRef = c_FieldRef

    def c_EnumValue(self, e: n.EnumValue) -> Doc:
        return self.member(e.member)

    def c_GradeValue(self, e: n.GradeValue) -> Doc:
        return self.tok(e.letter)

    def c_Engagement(self, e) -> Doc:
        return self.tok("engagement")

    def c_Fit(self, e) -> Doc:
        return self.tok("fit")

    def c_Grade(self, e) -> Doc:
        return self.tok("grade")

    def c_DaysSince(self, e: n.DaysSince) -> Doc:
        return self.seq("days", "since", e.field_name)

    # -- rule pieces

    def rule_name(self, name: str) -> Seq:
        return Seq([("", self.tok(quote(name))), ("", self.tok(":"))])

    def points(self, value: float, text: str) -> Seq:
        sign = "-" if text.startswith("-") else "+"
        sign_tok = self.tok(sign, synthetic=text[:1] not in "+-")
        digits = text.lstrip("+-") or _number_text(abs(value))
        return Seq([("", sign_tok), ("", self.tok(digits))])

    def when(self, condition: n.Expr) -> Seq:
        return self.seq("when", lambda: self.cond(condition))


def _number_text(value: float) -> str:
    """A number as the language writes it (no exponent), for trees without its text."""
    if value == int(value):
        return str(int(value))
    from decimal import Decimal

    return format(Decimal(repr(value)), "f")


def _reserved() -> frozenset[str]:
    from leadpolicy.check.checker import RESERVED

    return RESERVED


def _bare_or_quoted(name: str) -> str:
    if _IDENT.fullmatch(name) and name not in _reserved():
        return name
    return quote(name)


# ---------------------------------------------------------------- blocks


# Gaps before each column: one space before `when` and `per`, two elsewhere.
FIELD_GAPS = (0, 2, 2)
ACTIVITY_GAPS = (0, 2, 2)
STAGE_GAPS = (0, 2, 1)
ENGAGEMENT_GAPS = (0, 2, 1, 2, 2)
FIT_GAPS = (0, 2, 1)
GRADE_GAPS = (0, 1)
DEMOTE_GAPS = (0, 2, 1)
DISQUALIFY_GAPS = (0, 1)


@dataclass(eq=False)
class _Item:
    """One line-starting item of a block: where its comments go, and how to print it."""

    first: Tok
    render: Callable[[Out], None]


@dataclass(eq=False)
class _Block:
    head: Doc  # ends with `{`
    items: list[_Item]
    close: Tok
    indent: int


def _item_comments(out: Out, tok: Tok, allow_blank: bool, token_blank: bool = True) -> None:
    """The own-line comments before an item, with the blank lines kept; the out
    is on a fresh line at the item's indentation and stays there."""
    for i, (text, blank) in enumerate(tok.leading):
        if blank and (allow_blank or i > 0):
            out.blank_line()
        out.comment_line(text)
    if token_blank and tok.blank and (allow_blank or tok.leading):
        out.blank_line()
    tok.leading = []


def _render_block(block: _Block, out: Out) -> None:
    render(block.head, out, block.indent, 0, "")
    inner = block.indent + INDENT
    for i, item in enumerate(block.items):
        out.newline(inner)
        _item_comments(out, item.first, allow_blank=i > 0)
        item.render(out)
    if block.close.leading:
        out.newline(inner)
        _item_comments(out, block.close, allow_blank=bool(block.items), token_blank=False)
    if block.items or out.pending:
        out.newline(block.indent)
    out.token(block.close, "", block.indent)


class _Columns:
    """The columns of a block's rows, worked out when first needed: after the
    comments are attached and every token's text is final."""

    def __init__(self, rows: list[Row], gaps: Sequence[int]):
        self.rows, self.gaps, self.cols = rows, gaps, None

    def get(self) -> list[Optional[int]]:
        if self.cols is None:
            self.cols = columns(self.rows, self.gaps)
        return self.cols


class _Printer(_Builder):
    def row_items(self, rows: list[Row], gaps: Sequence[int], cols: Optional[_Columns] = None) -> list[_Item]:
        cols = cols if cols is not None else _Columns(rows, gaps)
        return [_Item(_first(r.cells[0]), lambda out, r=r: render_row(r, out, cols.get(), gaps)) for r in rows]

    def block_head(self, *words: str) -> Seq:
        return self.seq(*words, "{")

    def doc_item(self, doc: Doc, indent: int) -> _Item:
        return _Item(_first(doc), lambda out: render(doc, out, indent, 0, ""))

    # -- declarations

    def fields_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("fields")
        rows = []
        for f in block.items:
            name = self.tok(f.name)
            type_ = self.type_spec(f.type)
            desc = self.tok(quote(f.description)) if f.description is not None else None
            rows.append(Row(indent + INDENT, [name, type_, desc]))
        return _Block(head, self.row_items(rows, FIELD_GAPS), self.tok("}"), indent)

    def activities_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("activities")
        rows = []
        for a in block.items:
            name = self.tok(a.name)
            props = None
            if a.props:
                open_ = self.tok("(")
                items: list[Doc] = []
                commas: list[Tok] = []
                for i, p in enumerate(a.props):
                    if i:
                        commas.append(self.tok(","))
                    pname = self.tok(p.name)
                    items.append(Seq([("", pname), (" ", self.type_spec(p.type))]))
                props = List(open_, items, commas, self.tok(")"), fill=True)
            desc = self.tok(quote(a.description)) if a.description is not None else None
            rows.append(Row(indent + INDENT, [name, props, desc]))
        return _Block(head, self.row_items(rows, ACTIVITY_GAPS), self.tok("}"), indent)

    def stages_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("stages")
        rows = []
        for s in block.items:
            name = self.tok(s.name)
            desc = self.tok(quote(s.description)) if s.description is not None else None
            when = self.when(s.condition) if s.condition is not None else None
            rows.append(Row(indent + INDENT, [name, desc, when]))
        return _Block(head, self.row_items(rows, STAGE_GAPS), self.tok("}"), indent)

    # -- scores

    def engagement_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("engagement")
        entries: list = []
        rows: list[Row] = []
        for item in block.items:
            if isinstance(item, n.Decay):
                doc = self.seq(
                    "decay",
                    lambda: self.seq(item.percent_text or _number_text(item.percent), "%", glue=True),
                    "every",
                    lambda: self.duration(item.every),
                )
                entries.append(doc)
                continue
            name = self.rule_name(item.name)
            points = self.points(item.points, item.points_text)
            per: Doc = self.seq("per", item.activity)
            if item.where is not None:
                per = Clauses([per, self.seq("where", lambda: self.cond(item.where))])
            within = self.seq("within", lambda: self.duration(item.within)) if item.within is not None else None
            max_ = self.seq("max", item.max_text or _number_text(item.max)) if item.max is not None else None
            row = Row(indent + INDENT, [name, points, per, within, max_])
            rows.append(row)
            entries.append(row)
        cols = _Columns(rows, ENGAGEMENT_GAPS)
        items = []
        for entry in entries:
            if isinstance(entry, Row):
                items.extend(self.row_items([entry], ENGAGEMENT_GAPS, cols))
            else:
                items.append(self.doc_item(entry, indent + INDENT))
        return _Block(head, items, self.tok("}"), indent)

    def fit_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("fit")
        rows: list[Row] = []
        plan: list = []  # rows, and (group head, [rows], close) triples

        def rule_row(rule: n.FitRule, at: int) -> Row:
            row = Row(at, [self.rule_name(rule.name), self.points(rule.points, rule.points_text), self.when(rule.condition)])
            rows.append(row)
            return row

        for item in block.items:
            if isinstance(item, n.FitGroup):
                group_head = self.block_head(item.name)
                group_rows = [rule_row(r, indent + 2 * INDENT) for r in item.rules]
                plan.append((group_head, group_rows, self.tok("}")))
            else:
                plan.append(rule_row(item, indent + INDENT))
        cols = _Columns(rows, FIT_GAPS)
        items = []
        for entry in plan:
            if isinstance(entry, Row):
                items.extend(self.row_items([entry], FIT_GAPS, cols))
            else:
                group_head, group_rows, close = entry
                group = _Block(group_head, self.row_items(group_rows, FIT_GAPS, cols), close, indent + INDENT)
                items.append(_Item(_first(group_head), lambda out, g=group: _render_block(g, out)))
        return _Block(head, items, self.tok("}"), indent)

    def grades_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("grades")
        rows = []
        for band in block.items:
            letter = self.tok(band.letter)
            rest = self.when(band.condition) if band.condition is not None else self.tok("otherwise")
            rows.append(Row(indent + INDENT, [letter, rest]))
        return _Block(head, self.row_items(rows, GRADE_GAPS), self.tok("}"), indent)

    def demote_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("demote")
        rows = []
        for rule in block.items:
            name = self.rule_name(rule.name)
            move = self.seq(rule.source, "->", rule.target)
            rows.append(Row(indent + INDENT, [name, move, self.when(rule.condition)]))
        return _Block(head, self.row_items(rows, DEMOTE_GAPS), self.tok("}"), indent)

    def disqualify_block(self, block: n.Block, indent: int) -> _Block:
        head = self.block_head("disqualify")
        rows = []
        for rule in block.items:
            rows.append(Row(indent + INDENT, [self.rule_name(rule.name), self.when(rule.condition)]))
        return _Block(head, self.row_items(rows, DISQUALIFY_GAPS), self.tok("}"), indent)

    # -- tests

    def test_value(self, v: n.TestValue) -> Doc:
        if v.kind == "string":
            return self.tok(quote(v.value))
        if v.kind == "bool":
            return self.tok("true" if v.value else "false")
        if v.kind == "number":
            return self.number(v.text or _number_text(v.value))
        return self.tok(v.text or str(v.value))

    def pairs(self, pairs: Sequence[n.TestField]) -> tuple[list[Doc], list[Tok]]:
        items: list[Doc] = []
        commas: list[Tok] = []
        for i, p in enumerate(pairs):
            if i:
                commas.append(self.tok(","))
            name = self.tok(p.name)
            colon = self.tok(":")
            items.append(Seq([("", name), ("", colon), (" ", self.test_value(p.value))]))
        return items, commas

    def test_block(self, test: n.TestBlock, indent: int) -> _Block:
        head = self.seq("test", quote(test.name), "{")
        entries: list[tuple[int, int, object]] = []  # (source offset, kind order, thing)
        if test.as_of is not None:
            entries.append((_offset(test.as_of.span), 0, ("as_of", test.as_of)))
        if test.previous_stage is not None:
            entries.append((_offset(test.previous_stage_span), 1, ("previous", test.previous_stage)))
        for f in test.fields:
            entries.append((_offset(f.span), 2, ("field", f)))
        for a in test.activities:
            entries.append((_offset(a.span), 3, ("activity", a)))
        for x in test.expectations:
            entries.append((_offset(x.span), 4, ("expect", x)))
        entries.sort(key=lambda e: (e[0], e[1]))
        # consecutive fields form one `fields { ... }` (the parser joins them all)
        groups: list[tuple[str, object]] = []
        for _, _, (kind, thing) in entries:
            if kind == "field" and groups and groups[-1][0] == "fields":
                groups[-1][1].append(thing)
            elif kind == "field":
                groups.append(("fields", [thing]))
            else:
                groups.append((kind, thing))
        inner = indent + INDENT
        items = []
        for kind, thing in groups:
            items.append(self.doc_item(self.test_item(kind, thing), inner))
        return _Block(head, items, self.tok("}"), indent)

    def test_item(self, kind: str, thing) -> Doc:
        if kind == "as_of":
            return self.seq("as", "of", thing.text)
        if kind == "previous":
            return self.seq("previous", "stage", thing)
        if kind == "fields":
            head = self.seq("fields", "{")
            items, commas = self.pairs(thing)
            return Braces(head, items, commas, self.tok("}"))
        if kind == "activity":
            a: n.TestActivity = thing
            parts: list = ["activity", a.activity]
            doc = self.seq(*parts)
            if a.props:
                open_ = self.tok("(")
                items, commas = self.pairs(a.props)
                doc.items.append((" ", List(open_, items, commas, self.tok(")"), fill=True)))
            if a.count != 1:
                doc.items.append((" ", self.tok(str(a.count), recover=True)))
                doc.items.append((" ", self.tok("times")))
            if a.ago is not None:
                doc.items.append((" ", self.duration(a.ago)))
                doc.items.append((" ", self.tok("ago")))
            else:
                doc.items.append((" ", self.tok("at")))
                doc.items.append((" ", self.tok(a.at.text)))
            return doc
        x: n.Expect = thing
        if x.kind in ("engagement", "fit"):
            value = float(x.value)
            doc = self.seq("expect", x.kind, x.op)
            if math.copysign(1.0, value) < 0:
                number: Doc = self.seq("-", lambda: self.tok(_number_text(-value), recover=True), glue=True)
            else:
                number = self.tok(_number_text(value), recover=True)
            doc.items.append((" ", number))
            return doc
        if x.kind in ("hit", "no_hit"):
            words = ["expect", "no", "hit"] if x.kind == "no_hit" else ["expect", "hit"]
            return self.seq(*words, quote(x.value))
        return self.seq("expect", x.kind, x.value)

    # -- files

    def policy(self, tree: n.Policy) -> list:
        header = self.seq("policy", quote(tree.name), "version", quote(tree.version))
        owners = [self.seq("owner", o.role, quote(o.person)) for o in tree.owners]
        blocks = [self.block(b) for b in tree.blocks]
        return [header, owners, blocks]

    def block(self, block: n.Block) -> _Block:
        if block.kind == "test":
            return self.test_block(block.items[0], 0)
        return getattr(self, block.kind + "_block")(block, 0)


def _offset(span) -> int:
    return span.start if span is not None else 0


# ---------------------------------------------------------------- comments

ALIGN_WINDOW = 128  # tokens looked at on each side where printed and source differ


def _align(printed: list, source: list) -> dict[int, int]:
    """Match printed tokens to source tokens (source index -> printed index).
    They are the same sequence but for the few tokens fmt drops or respells,
    so walk both and, where they differ, let difflib find where they meet
    again within a window."""
    pairs: dict[int, int] = {}
    i = j = 0
    while i < len(printed) and j < len(source):
        if printed[i] == source[j]:
            pairs[j] = i
            i, j = i + 1, j + 1
            continue
        a, b = printed[i : i + ALIGN_WINDOW], source[j : j + ALIGN_WINDOW]
        blocks = [m for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]
        if not blocks:
            i, j = i + len(a), j + len(b)
            continue
        i, j = i + blocks[0].a, j + blocks[0].b
    return pairs


def _attach(source: str, printed: list[Tok], eof: Tok) -> None:
    """Give every comment of the source to a printed token (see the module docstring)."""
    src_tokens, comments = _lex(source)
    real = [k for k, t in enumerate(printed) if not t.synthetic]
    pairs = _align([_key(printed[k].text) for k in real], [_key(t.text) for t in src_tokens])
    printed_for = {j: real[i] for j, i in pairs.items()}  # source token index -> printed token index
    for j, k in printed_for.items():
        tok = printed[k]
        if tok.recover:
            tok.text = src_tokens[j].text
    everything = printed + [eof]
    ends = [t.end for t in src_tokens]
    # blank lines before matched tokens: between the token and whatever precedes it
    events = sorted([(t.start, t.end, "t", j) for j, t in enumerate(src_tokens)] + [(c.start, c.end, "c", 0) for c in comments])
    previous_end = None
    for start, end, kind, j in events:
        if kind == "t" and j in printed_for and previous_end is not None:
            printed[printed_for[j]].blank = source.count("\n", previous_end, start) >= 2
        previous_end = end
    last_point = (-1, 1)
    previous_comment_end = -1
    for c in comments:
        text = c.text.rstrip()
        i = bisect.bisect_right(ends, c.start) - 1  # the source token before the comment
        own_line = i < 0 or "\n" in source[src_tokens[i].end : c.start]
        previous_end = max(src_tokens[i].end if i >= 0 else -1, previous_comment_end)
        blank = previous_end >= 0 and source.count("\n", previous_end, c.start) >= 2
        point = None
        if not own_line:
            j = i
            while j >= 0 and j not in printed_for:
                j -= 1
            if j >= 0:
                point = (printed_for[j], 1)
        if point is None:
            j = i + 1
            while j < len(src_tokens) and j not in printed_for:
                j += 1
            k = printed_for[j] if j < len(src_tokens) else len(printed)
            while 0 < k <= len(printed) - 1 and printed[k - 1].synthetic:
                k -= 1
            point = (k, 0)
        if point < last_point:
            point = last_point if last_point[1] == 0 else (last_point[0] + 1, 0)
        if point[1] == 1 and everything[point[0]].trailing is not None:
            point = (point[0] + 1, 0)
        target = everything[point[0]]
        if point[1] == 1:
            target.trailing = text
        else:
            target.leading.append((text, blank))
        last_point = point
        previous_comment_end = c.end


# ---------------------------------------------------------------- the front door


def _finish(printer: _Printer, source: str, layout: Callable[[Out, Tok], None]) -> str:
    eof = Tok("")
    _attach(source, printer.tokens, eof)
    out = Out()
    layout(out, eof)
    if eof.leading:
        out.newline(0)
        _item_comments(out, eof, allow_blank=bool(printer.tokens), token_blank=False)
    return out.text()


def format_source(text: str, path: str = "<memory>") -> str:
    """The canonical layout of a policy file. Raises PolicyError if it does not parse."""
    tree = parse(text, path)
    printer = _Printer()
    header, owners, blocks = printer.policy(tree)

    def layout(out: Out, eof: Tok) -> None:
        _item_comments(out, _first(header), allow_blank=False)
        render(header, out, 0, 0, "")
        for owner in owners:
            out.newline(0)
            _item_comments(out, _first(owner), allow_blank=True)
            render(owner, out, 0, 0, "")
        for block in blocks:
            out.newline(0)
            out.blank_line()
            _item_comments(out, _first(block.head), allow_blank=False)
            _render_block(block, out)

    return _finish(printer, text, layout)


def format_tests_source(text: str, path: str = "<memory>") -> str:
    """The canonical layout of a `.tests` file. Raises PolicyError if it does not parse."""
    tests = parse_tests(text, path)
    printer = _Printer()
    blocks = [printer.test_block(t, 0) for t in tests]

    def layout(out: Out, eof: Tok) -> None:
        for i, block in enumerate(blocks):
            if i:
                out.newline(0)
                out.blank_line()
            _item_comments(out, _first(block.head), allow_blank=False)
            _render_block(block, out)

    return _finish(printer, text, layout)


def is_tests_text(text: str) -> bool:
    """Does this text hold only test blocks (its first word is `test`, not `policy`)?"""
    for token in _lex(text)[0]:
        return token.text == "test"
    return False


def format_text(text: str, path: str = "<memory>") -> str:
    """Format a policy or a `.tests` file, chosen by the path's suffix (for `-`
    or an unnamed text: by its first word)."""
    if path.endswith(".tests"):
        return format_tests_source(text, path)
    if path.endswith(".policy"):
        return format_source(text, path)
    return format_tests_source(text, path) if is_tests_text(text) else format_source(text, path)
