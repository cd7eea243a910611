"""What the tree leaves out: comments, and every token as it was spelt.

The grammar ignores comments and the tree keeps values, not spellings (`10_000`
and `10000` are the same number, `a` and `"a"` the same enum member). Tools that
give the text back (the formatter, a language server) need both, so the parser's
own lexer records them, while it lexes, into a `SourceTable` returned beside the
tree: no second lexer. Comments come through a lexer callback on COMMENT (the
grammar `%ignore`s it; Lark still calls the callback) and the other tokens
through a post-lexer that passes them on unchanged.

Each comment is placed by span against the tokens around it, as Black places a
comment in the prefix of the next token: a comment on the line of the token
before it *trails* that token; one on a line of its own *leads* the token after
it. Nodes reach their comments through their spans: `owners` gives each
comment the node it belongs to (the largest node that starts at the token a
comment leads, or ends, on its line, at the token it trails; else the node
around it), and `comments_within` the comments inside a node.

Recording is off unless a parse runs inside `recording()`, so a plain `parse`
pays one attribute look-up per comment and per token.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from lark import Token

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.positions import path_to

__all__ = [
    "Comment",
    "SourceTable",
    "SourceToken",
    "TokenRecorder",
    "owners",
    "parse_lossless",
    "record_comment",
    "recording",
]


@dataclass(frozen=True)
class SourceToken:
    """A token as the parser's lexer saw it: its terminal, its text and its offsets."""

    type: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Comment:
    """A `# ...` comment (its text without the line break) and where it sits."""

    text: str
    start: int
    end: int
    after: int  # index of the token before it in `SourceTable.tokens`, -1 when none
    own_line: bool  # on a line of its own (else it trails token `after`)
    blank_before: bool  # a blank line between it and what comes before it


@dataclass
class SourceTable:
    """The side table of a parse: every token and every comment, in source order."""

    text: str
    tokens: list[SourceToken] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    _raw_comments: list[tuple[int, int, str]] = field(default_factory=list, repr=False)
    _starts: list[int] = field(default_factory=list, repr=False)

    def finish(self) -> None:
        """Place the comments against the tokens (see the module docstring)."""
        self._starts = [t.start for t in self.tokens]
        ends = [t.end for t in self.tokens]
        previous_comment_end = -1
        for start, end, text in self._raw_comments:
            after = bisect.bisect_right(ends, start) - 1
            token_end = self.tokens[after].end if after >= 0 else -1
            own_line = after < 0 or "\n" in self.text[token_end:start]
            previous_end = max(token_end, previous_comment_end)
            blank = previous_end >= 0 and self.text.count("\n", previous_end, start) >= 2
            self.comments.append(Comment(text.rstrip(), start, end, after, own_line, blank))
            previous_comment_end = end

    def blank_before(self, index: int) -> bool:
        """Is there a blank line between token `index` and the token or comment before it?"""
        start = self.tokens[index].start
        previous = self.tokens[index - 1].end if index > 0 else -1
        found = bisect.bisect_left(self.comments, start, key=lambda c: c.start) - 1
        if found >= 0:
            previous = max(previous, self.comments[found].end)
        return previous >= 0 and self.text.count("\n", previous, start) >= 2

    def index_at(self, offset: int) -> int:
        """The index of the first token that starts at or after `offset`."""
        return bisect.bisect_left(self._starts, offset)

    def tokens_within(self, start: int, end: int) -> list[SourceToken]:
        return self.tokens[self.index_at(start) : self.index_at(end)]

    def comments_within(self, start: int, end: int) -> list[Comment]:
        """The comments inside a node's span (its own and its children's)."""
        return [c for c in self.comments if start <= c.start < end]


def owners(tree: n.Node, table: SourceTable) -> list[tuple[Comment, n.Node]]:
    """Each comment with the node it belongs to, in source order.

    A comment on a line of its own belongs to the largest node starting at the
    token after it (a field, a rule, a block); a comment after a token on its
    line to the largest node ending at that token that starts on the same line
    (else the smallest ending there). A comment next to a keyword no node starts
    or ends with (`when`, `}`) belongs to the smallest node around it; failing
    all that, to the tree."""
    starting: dict[int, n.Node] = {}
    ending: dict[int, list[n.Node]] = {}
    for node in tree.walk():  # outermost first
        if node.span is not None:
            starting.setdefault(node.span.start, node)
            ending.setdefault(node.span.end, []).append(node)
    found: list[tuple[Comment, n.Node]] = []
    for comment in table.comments:
        owner: n.Node | None = None
        if comment.own_line and comment.after + 1 < len(table.tokens):
            owner = starting.get(table.tokens[comment.after + 1].start)
        elif not comment.own_line:
            token = table.tokens[comment.after]
            line_start = table.text.rfind("\n", 0, token.start) + 1
            candidates = ending.get(token.end, [])
            same_line = [c for c in candidates if c.span is not None and c.span.start >= line_start]
            owner = same_line[0] if same_line else (candidates[-1] if candidates else None)
        if owner is None:
            around = path_to(tree, comment.start)
            owner = around[-1] if around else tree
        found.append((comment, owner))
    return found


# ---------------------------------------------------------------- recording

_active = threading.local()  # .table: the SourceTable being filled, or None


def _table() -> SourceTable | None:
    return getattr(_active, "table", None)


def record_comment(token: Token) -> Token:
    """The lexer callback for COMMENT (ignored by the grammar, so its return is dropped)."""
    table = _table()
    if table is not None:
        table._raw_comments.append((token.start_pos or 0, token.end_pos or 0, str(token)))
    return token


class TokenRecorder:
    """A Lark post-lexer that notes every token the parser is given and passes it on."""

    always_accept: tuple[str, ...] = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        table = _table()
        if table is None:
            yield from stream
            return
        tokens = table.tokens
        for token in stream:
            start = token.start_pos or 0
            tokens.append(SourceToken(token.type, str(token), start, token.end_pos or start + len(token)))
            yield token


@contextmanager
def recording(text: str) -> Iterator[SourceTable]:
    """Record the tokens and comments of the parses run inside the block (this thread's)."""
    table = SourceTable(text)
    saved = _table()
    _active.table = table
    try:
        yield table
    finally:
        _active.table = saved
    table.finish()


T = TypeVar("T")


def parse_lossless(parse: Callable[[str, str], T], text: str, path: str = "<memory>") -> tuple[T, SourceTable]:
    """`parse(text, path)` (`parser.parse` or `parser.parse_tests`), and its side table."""
    with recording(text) as table:
        tree = parse(text, path)
    return tree, table
