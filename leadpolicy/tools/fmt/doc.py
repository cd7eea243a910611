"""The layout document: the tokens to print, with their comments, grouped by how they may break."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional, Union

WIDTH = 100  # the line width conditions and lists aim for
INDENT = 2
NOWHERE = 1 << 62  # a fence past any source offset


# ---------------------------------------------------------------- the layout document


class Tok:
    """A printed token, with the comments and blank lines that belong to it."""

    __slots__ = ("text", "synthetic", "recover", "fence", "leading", "trailing", "blank", "column")

    def __init__(self, text: str, synthetic: bool = False, recover: bool = False, fence: int = NOWHERE):
        self.text = text
        self.fence = fence  # its source token starts before this offset (the end of its block)
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


@dataclass
class _Facts:
    tokens: Optional[list[Tok]] = None
    width: Optional[int] = None
    breaks: Optional[bool] = None


def _cache(doc: Doc) -> _Facts:
    """Facts about a doc, worked out once: only ask once the tokens' texts and
    comments are final (that is, while printing)."""
    facts: _Facts = doc.__dict__.setdefault("_cache", _Facts())
    return facts


def doc_tokens(doc: Doc) -> list[Tok]:
    if isinstance(doc, Tok):
        return [doc]
    cache = _cache(doc)
    if cache.tokens is None:
        cache.tokens = [t for child in _children(doc) for t in doc_tokens(child)]
    return cache.tokens


def first_token(doc: Doc) -> Tok:
    while not isinstance(doc, Tok):
        doc = next(_children(doc))
    return doc


def last_token(doc: Doc) -> Tok:
    while not isinstance(doc, Tok):
        doc = list(_children(doc))[-1]
    return doc


def width(doc: Doc) -> int:
    """The width of the doc printed on one line."""
    if isinstance(doc, Tok):
        return len(doc.text)
    cache = _cache(doc)
    if cache.width is None:
        cache.width = _width(doc)
    return cache.width


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
    if cache.breaks is None:
        tokens = doc_tokens(doc)
        cache.breaks = any(
            (i > 0 and bool(t.leading)) or (i < len(tokens) - 1 and t.trailing is not None) for i, t in enumerate(tokens)
        )
    return cache.breaks
