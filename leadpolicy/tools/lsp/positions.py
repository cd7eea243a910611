"""Positions: the parser's lines and columns <-> the editor's, and what sits where.

The parser (Lark) counts lines by `\\n` and columns in characters, from 1.
The Language Server Protocol counts both from 0 and columns in UTF-16 code
units by default, so a character outside the Basic Multilingual Plane (an
emoji in a description) counts twice; a client may negotiate UTF-8 or
UTF-32 instead. `LineIndex` converts between the two. A lone `\\r`
is not a line break here, as it is not for the parser.

`scan` is a light tokenizer for text that may not parse (half-written
policies): completion, keyword hover and code actions use it to see what is
around the cursor.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterator, Optional

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.words import IDENTIFIER

Position = tuple[int, int]  # (line, UTF-16 column), both from 0
Range = tuple[Position, Position]


class LineIndex:
    """Offsets, 1-based (line, column) and LSP positions of one text."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.text = text
        self.encoding = encoding  # the LSP position encoding: utf-16, utf-8 or utf-32
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_text(self, line0: int) -> str:
        if not 0 <= line0 < len(self.starts):
            return ""
        end = self.starts[line0 + 1] - 1 if line0 + 1 < len(self.starts) else len(self.text)
        return self.text[self.starts[line0] : end]

    # -- offsets and the parser's (line, column)

    def offset(self, line1: int, column1: int) -> int:
        """The character offset of a parser position (1-based), clamped to its line."""
        line0 = min(max(line1 - 1, 0), len(self.starts) - 1)
        return self.starts[line0] + min(max(column1 - 1, 0), len(self.line_text(line0)))

    def line_column(self, offset: int) -> tuple[int, int]:
        """The parser position (1-based line and column) of a character offset."""
        offset = min(max(offset, 0), len(self.text))
        line0 = bisect.bisect_right(self.starts, offset) - 1
        return line0 + 1, offset - self.starts[line0] + 1

    # -- LSP positions

    def position(self, offset: int) -> Position:
        """The LSP position of a character offset."""
        line1, column1 = self.line_column(offset)
        start = self.starts[line1 - 1]
        return line1 - 1, _units(self.text[start : start + column1 - 1], self.encoding)

    def at(self, line1: int, column1: int) -> Position:
        """The LSP position of a parser position. A column past the end of its line
        (the parser's "end of file" span) stays past it: clients clamp it."""
        line0 = max(line1 - 1, 0)
        text = self.line_text(line0)
        before = max(column1 - 1, 0)
        return line0, _units(text[:before], self.encoding) + max(0, before - len(text))

    def span_range(self, span: Span) -> Range:
        return self.at(span.line, span.column), self.at(span.end_line, span.end_column)

    def offset_at(self, position: Position) -> int:
        """The character offset of an LSP position; a column past the line's end means its end."""
        line0, units = position
        if line0 < 0:
            return 0
        if line0 >= len(self.starts):
            return len(self.text)
        text = self.line_text(line0)
        count = 0
        for i, char in enumerate(text):
            if count >= units:
                return self.starts[line0] + i
            count += _units(char, self.encoding)
        return self.starts[line0] + len(text)

    def whole_range(self) -> Range:
        return (0, 0), self.position(len(self.text))


def _units(text: str, encoding: str) -> int:
    """The length of text in the position encoding's code units."""
    if text.isascii() or encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def span_contains(span: Optional[Span], line1: int, column1: int) -> bool:
    """True when the parser position lies in the span (its end included, where a cursor may sit)."""
    if span is None:
        return False
    return (span.line, span.column) <= (line1, column1) <= (span.end_line, span.end_column)


def span_of(index: LineIndex, start: int, end: int) -> Span:
    """A span for the character offsets [start, end) of the indexed text."""
    line, column = index.line_column(start)
    end_line, end_column = index.line_column(end)
    return Span(line, column, end_line, end_column, start, end)


# ---------------------------------------------------------------- a light tokenizer

_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\f\r\n]+)
    | (?P<comment>\#[^\n]*)
    | (?P<string>"(?:[^"\\\n\r]|\\["\\])*")
    | (?P<open_string>"(?:[^"\\\n\r]|\\.)*)
    | (?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>\d(?:_?\d)*(?:\.\d(?:_?\d)*)?)
    | (?P<word>""" + IDENTIFIER.pattern + r""")
    | (?P<op>!=|<=|>=|->|[=<>+\-*%(),:{}])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Tok:
    kind: str  # comment, string, open_string, timestamp, date, number, word, op, other
    text: str
    start: int
    end: int


def scan(text: str, start: int = 0, end: Optional[int] = None) -> Iterator[Tok]:
    """The tokens of text[start:end], white space left out. Never fails."""
    end = len(text) if end is None else end
    for m in _TOKEN.finditer(text, start, end):
        kind = m.lastgroup
        if kind is not None and kind != "ws":  # every alternative is a named group
            yield Tok(kind, m.group(), m.start(), m.end())


def token_at(text: str, offset: int) -> Optional[Tok]:
    """The token that holds the offset: one around it, else one ending at it (the
    word being typed), else one starting at it."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    ending = starting = None
    for tok in scan(text, line_start, line_end):
        if tok.start < offset < tok.end:
            return tok
        if tok.end == offset:
            ending = tok
        elif tok.start == offset:
            starting = tok
    if ending is not None and (ending.kind == "word" or starting is None):
        return ending
    return starting
