"""Parse a big policy again after an edit without parsing all of it again.

A policy is cut into pieces: its header, each small block, and each rule of
the `engagement`, `fit` (inside groups too), `demote` and `disqualify`
blocks. Each piece is parsed on its own by the real parser (the public
`parse`), placed at its own line and column behind a stand-in header and its
block's opening words, and the results are cached by the piece's text and
column. After an edit only the pieces whose text changed are parsed again;
pieces that only moved up or down get their lines shifted. The assembled
tree equals a full parse (tests/test_lsp_analysis.py proves it on the
examples, generated policies and random edits), with one difference: the
character offsets (`Span.start`/`end`) inside pieces are not those of the
file. The language server uses lines and columns only.

Anything unusual (a piece that does not parse, text outside the blocks, a
block on the first line) falls back to the full parse, which also gives the
diagnostic `leadpolicy check` prints.
"""

from __future__ import annotations

import re
import threading
from dataclasses import fields, is_dataclass, replace

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.tools.lsp.positions import LineIndex, Tok, scan

BLOCKS = ("fields", "activities", "stages", "engagement", "fit", "grades", "demote", "disqualify", "test")
SPLIT = ("engagement", "fit", "demote", "disqualify")  # blocks cut into one piece per rule
HEAD = 'policy "" version "" '
MIN_SIZE = 20_000  # smaller policies parse whole: fast enough, and nothing to get wrong
CACHE_LIMIT = 50_000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # what the parser reports as `bad-character`


class Unsupported(Exception):
    """The text does not cut cleanly: parse it whole."""


class PieceFailed(Unsupported):
    """A piece did not parse: the text has an error there or later."""

    def __init__(self, start: int, opener: str, line: int, column: int):
        super().__init__("a piece that does not parse")
        self.start, self.opener, self.line, self.column = start, opener, line, column


_cache: dict[tuple, tuple[int, object]] = {}  # (wrapper, text, column) -> (line, parsed)
_lock = threading.Lock()


def parse(text: str, path: str, force: bool = False) -> n.Policy:
    """Like `leadpolicy.syntax.parser.parse`, reusing the pieces parsed before."""
    from leadpolicy.syntax.parser import parse as full_parse

    if (len(text) < MIN_SIZE and not force) or _LONE_SURROGATE.search(text):
        return full_parse(text, path)  # a bad character may sit where no piece looks (a comment between rules)
    try:
        return _assemble(text, path)
    except PieceFailed as failed:
        return _parse_from(text, path, failed)
    except Unsupported:
        return full_parse(text, path)


def _parse_from(text: str, path: str, failed: "PieceFailed") -> n.Policy:
    """The full parse's error, from parsing only the rest of the file after the pieces that
    parsed. Every piece before the failing one parsed, so the full parse reaches its first
    token in the state the stand-in header and opening words leave (LALR states are LR(0)
    cores) and meets the same tokens from there: the same error, at the same line and
    column (the text is padded to them); offsets are moved back to the file's."""
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.syntax.parser import parse as full_parse

    line_start = text.rfind("\n", 0, failed.start) + 1
    if text[line_start : failed.start] != " " * (failed.column - 1):
        return full_parse(text, path)  # hints quote the error's line: it must read as in the file
    pad = HEAD + failed.opener + "\n" * (failed.line - 1) + " " * (failed.column - 1)
    try:
        full_parse(pad + text[failed.start :], path)
    except PolicyError as error:
        shift = failed.start - len(pad)
        if all(d.span is not None and d.span.start >= len(pad) for d in error.diagnostics):
            moved = [replace(d, span=replace(d.span, start=d.span.start + shift, end=d.span.end + shift)) for d in error.diagnostics]
            raise PolicyError(moved, text) from None
    return full_parse(text, path)  # anything unexpected: the full parse decides


def _assemble(text: str, path: str) -> n.Policy:
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.syntax.parser import parse as full_parse

    lines = LineIndex(text)
    tokens = list(scan(text))
    starts = _block_starts(tokens)
    if not starts:
        raise Unsupported("no blocks")
    header_text = text[: tokens[starts[0]].start]
    try:
        header = full_parse(header_text, path)  # a header alone is a policy without blocks
    except PolicyError:
        raise Unsupported("a header that does not parse") from None
    blocks: list[n.Block] = []
    for number, first in enumerate(starts):
        last = _last_code(tokens, first, starts[number + 1] if number + 1 < len(starts) else len(tokens)) - 1
        if tokens[last].text != "}":
            raise Unsupported("text after a block")
        kind = tokens[first].text
        if kind in SPLIT:
            blocks.append(_split_block(text, lines, tokens, first, last, path))
        else:
            block_text = text[tokens[first].start : tokens[last].end]
            (block,) = _piece(lines, tokens[first], block_text, "", "", path, "block")
            blocks.append(block)
    span = header.span.to(blocks[-1].span) if header.span is not None else None
    return replace(header, blocks=tuple(blocks), span=span, path=path)


def _block_starts(tokens: list[Tok]) -> list[int]:
    """The index of each top-level block's keyword; anything else at depth 0 is unsupported."""
    starts: list[int] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "comment":
            continue
        if tok.text == "{":
            depth += 1
        elif tok.text == "}":
            depth -= 1
            if depth < 0:
                raise Unsupported("unbalanced braces")
        elif depth == 0 and tok.kind == "word" and tok.text in BLOCKS and (starts or _header_ends(tokens, i)):
            starts.append(i)
        elif depth == 0 and starts:
            previous = tokens[starts[-1]].text
            if not (previous == "test" and tok.kind == "string" and i == starts[-1] + 1):
                raise Unsupported("text between blocks")
    if depth != 0:
        raise Unsupported("unclosed block")
    return starts


def _header_ends(tokens: list[Tok], i: int) -> bool:
    """`fields` after the header is a block (inside the header it could not stand). Comments
    before `policy` (most real policies open with some) are not part of the header."""
    code = [tok for tok in tokens[:i] if tok.kind != "comment"]
    return len(code) >= 4 and code[0].text == "policy"


def _split_block(text: str, lines: LineIndex, tokens: list[Tok], first: int, last: int, path: str) -> n.Block:
    kind = tokens[first].text
    if tokens[first + 1].text != "{":
        raise Unsupported("a block without its brace")
    items: list[n.Node] = []
    i = first + 2
    while i < last:
        tok = tokens[i]
        if tok.kind == "comment":
            i += 1
            continue
        if kind == "fit" and tok.kind == "word" and tokens[i + 1].text == "{":
            close = _matching(tokens, i + 1)
            items.append(_group(text, lines, tokens, i, close, path))
            i = close + 1
            continue
        end = _item_end(tokens, i, last, kind)
        code_end = _last_code(tokens, i, end)  # comments after the rule would swallow the closing brace
        items.extend(_piece(lines, tok, text[tok.start : tokens[code_end - 1].end], f"{kind} {{ ", " }", path, "items"))
        i = end
    span = _span(lines, tokens[first], tokens[last])
    return n.make_block(kind, tuple(items), span=span)


def _group(text: str, lines: LineIndex, tokens: list[Tok], name: int, close: int, path: str) -> n.FitGroup:
    group = tokens[name].text
    rules: list[n.FitRule] = []
    i = name + 2
    while i < close:
        if tokens[i].kind == "comment":
            i += 1
            continue
        end = _item_end(tokens, i, close, "group")
        code_end = _last_code(tokens, i, end)
        (parsed,) = _piece(lines, tokens[i], text[tokens[i].start : tokens[code_end - 1].end], f"fit {{ {group} {{ ", " } }", path, "items")
        rules.extend(parsed.rules)
        i = end
    return n.FitGroup(group, tuple(rules), name_span=_span(lines, tokens[name], tokens[name]), span=_span(lines, tokens[name], tokens[close]))


def _item_end(tokens: list[Tok], i: int, stop: int, kind: str) -> int:
    """Where the item starting at token i ends: at the next rule name (`"...":`), `decay`, or group."""
    if not (tokens[i].kind == "string" and tokens[i + 1].text == ":") and tokens[i].text != "decay":
        raise Unsupported("an item that is not a rule")
    depth = 0
    j = i + 1
    while j < stop:
        tok = tokens[j]
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif tok.text in ("{", "}"):
            raise Unsupported("braces inside a rule")
        elif depth == 0 and tok.kind == "string" and tokens[j + 1].text == ":":
            return j
        elif depth == 0 and tok.text == "decay" and kind == "engagement":
            return j
        elif depth == 0 and kind == "fit" and tok.kind == "word" and tokens[j + 1].text == "{":
            return j
        j += 1
    return _last_code(tokens, i, stop)


def _last_code(tokens: list[Tok], i: int, stop: int) -> int:
    """The end of the item's code: comments before `stop` belong to no piece."""
    j = stop
    while j - 1 > i and tokens[j - 1].kind == "comment":
        j -= 1
    return j


def _matching(tokens: list[Tok], open_brace: int) -> int:
    depth = 0
    for j in range(open_brace, len(tokens)):
        if tokens[j].text == "{":
            depth += 1
        elif tokens[j].text == "}":
            depth -= 1
            if depth == 0:
                return j
    raise Unsupported("unclosed group")


def _span(lines: LineIndex, first: Tok, last: Tok) -> Span:
    line, column = lines.line_column(first.start)
    end_line, end_column = lines.line_column(last.end)
    return Span(line, column, end_line, end_column, first.start, last.end)


def _piece(lines: LineIndex, first: Tok, piece: str, opener: str, closer: str, path: str, want: str) -> list:
    """Parse one piece where it stands (line and column); from the cache when seen before."""
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.syntax.parser import parse as full_parse

    line, column = lines.line_column(first.start)
    if line < 2:
        raise Unsupported("a piece on the first line")
    key = (opener, piece, column)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        cached_line, parsed = hit
        if cached_line == line:
            return parsed
        moved = [_shift(node, line - cached_line) for node in parsed]
        with _lock:
            _cache[key] = (line, moved)
        return moved
    synthetic = HEAD + opener + "\n" * (line - 1) + " " * (column - 1) + piece + closer
    try:
        policy = full_parse(synthetic, path)
    except PolicyError:
        raise PieceFailed(first.start, opener, line, column) from None
    if len(policy.blocks) != 1:
        raise Unsupported("a piece that is not one block")
    parsed = [policy.blocks[0]] if want == "block" else list(policy.blocks[0].items)
    with _lock:
        if len(_cache) > CACHE_LIMIT:
            _cache.clear()
        _cache[key] = (line, parsed)
    return parsed


def _shift(node, delta: int):
    """The node with every span moved `delta` lines down (up when negative)."""
    if isinstance(node, Span):
        return replace(node, line=node.line + delta, end_line=node.end_line + delta)
    if isinstance(node, tuple):
        return tuple(_shift(item, delta) for item in node)
    if not (is_dataclass(node) and isinstance(node, n.Node)):
        return node
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, (Span, n.Node, tuple)):
            changes[f.name] = _shift(value, delta)
    return replace(node, **changes)


def cached_pieces() -> int:
    return len(_cache)


def forget() -> None:
    with _lock:
        _cache.clear()
