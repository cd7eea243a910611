"""`leadpolicy fmt`: one canonical layout for policy and `.tests` files.

    format_source(text, path)        a policy file  -> its canonical text
    format_tests_source(text, path)  a `.tests` file (test blocks only)
    format_text(text, path)          either, chosen by the file name
    keep_line_endings(source, text)  the formatted text with the source's CRLF lines kept

Input that does not parse raises the parser's `PolicyError`. The result parses
to an equal tree, keeps every comment in order, and formatting it again
changes nothing.

The modules, in the order the work flows: `build.py` (conditions and
literals) and `blocks.py` (one method per block, test blocks) turn the tree
into a layout document (`doc.py`); `attach.py` gives each comment the printed
token it belongs to; `render.py` and `rows.py` print the document into
`out.py`'s lines.

How it works: the parser hands back the tree and its side table
(`syntax/comments.py`: every token as spelt and every comment, recorded by
the parser's own lexer). The tree is turned into a small layout document
whose leaves are the tokens to print, in source order; each is the next
source token of the same value within its block (fmt only drops a few
tokens, and marks the ones it adds), which tells each comment which printed
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

from typing import Callable

from leadpolicy.syntax.comments import SourceTable, parse_lossless
from leadpolicy.syntax.parser import lark_parser, parse, parse_tests
from leadpolicy.tools.fmt.attach import attach_comments
from leadpolicy.tools.fmt.blocks import BlockPrinter, item_comments, render_block
from leadpolicy.tools.fmt.doc import NOWHERE, WIDTH, Tok, first_token
from leadpolicy.tools.fmt.out import Out
from leadpolicy.tools.fmt.render import render

__all__ = ["format_source", "format_tests_source", "format_text", "keep_line_endings", "WIDTH"]


# ---------------------------------------------------------------- the front door


def _finish(printer: BlockPrinter, source: SourceTable, layout: Callable[[Out, Tok], None]) -> str:
    eof = Tok("")
    attach_comments(source, printer.tokens, eof)
    out = Out()
    layout(out, eof)
    if eof.leading:
        out.newline(0)
        item_comments(out, eof, allow_blank=bool(printer.tokens), token_blank=False)
    return out.text()


def format_source(text: str, path: str = "<memory>") -> str:
    """The canonical layout of a policy file. Raises PolicyError if it does not parse."""
    tree, source = parse_lossless(parse, text, path)
    printer = BlockPrinter(source)
    header, owners, blocks = printer.policy(tree)

    def layout(out: Out, eof: Tok) -> None:
        item_comments(out, first_token(header), allow_blank=False)
        render(header, out, 0, 0, "")
        for owner in owners:
            out.newline(0)
            item_comments(out, first_token(owner), allow_blank=True)
            render(owner, out, 0, 0, "")
        for block in blocks:
            out.newline(0)
            out.blank_line()
            item_comments(out, first_token(block.head), allow_blank=False)
            render_block(block, out)

    return _finish(printer, source, layout)


def format_tests_source(text: str, path: str = "<memory>") -> str:
    """The canonical layout of a `.tests` file. Raises PolicyError if it does not parse."""
    tests, source = parse_lossless(parse_tests, text, path)
    printer = BlockPrinter(source)
    blocks = []
    for test in tests:
        printer.fence = test.span.end if test.span is not None else NOWHERE
        blocks.append(printer.test_block(test, 0))

    def layout(out: Out, eof: Tok) -> None:
        for i, block in enumerate(blocks):
            if i:
                out.newline(0)
                out.blank_line()
            item_comments(out, first_token(block.head), allow_blank=False)
            render_block(block, out)

    return _finish(printer, source, layout)


def is_tests_text(text: str) -> bool:
    """Does this text hold only test blocks (its first word, past blanks and comments, is `test`)?"""
    from lark.exceptions import LarkError

    try:
        first = next(iter(lark_parser().lex(text)), None)  # the parser's own lexer, one token of it
    except LarkError:
        return False  # parsed as a policy, which reports the bad character
    return first is not None and str(first) == "test"


def format_text(text: str, path: str = "<memory>") -> str:
    """Format a policy or a `.tests` file, chosen by the path's suffix (for `-`
    or an unnamed text: by its first word)."""
    if path.endswith(".tests"):
        return format_tests_source(text, path)
    if path.endswith(".policy"):
        return format_source(text, path)
    return format_tests_source(text, path) if is_tests_text(text) else format_source(text, path)


def keep_line_endings(source: str, formatted: str) -> str:
    """`formatted` (LF lines) with CRLF lines when every line of `source` ends in CRLF (a Windows
    checkout, git's autocrlf; the last line may have no ending): `fmt` and the editor's formatting
    keep them instead of rewriting every line. A source that mixes them gets LF."""
    lines = source.count("\n")
    if lines > 0 and source.count("\r\n") == lines:
        return formatted.replace("\n", "\r\n")
    return formatted
