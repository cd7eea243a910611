"""Parse a policy (or a `.tests` file) again after an edit without parsing all of it again.

A policy is cut into pieces: its header, each small block, and each rule of
the `engagement`, `fit` (inside groups too), `demote` and `disqualify`
blocks; a `.tests` file into its test blocks. Each piece is parsed on its own
by the real parser (the public `parse`), placed at its own line and column
behind a stand-in header and its block's opening words, and the results are
cached by the piece's text and column, whole blocks too. After an edit only
the pieces whose text changed are parsed again; pieces that only moved up or
down get their lines shifted. Finding the blocks is one pass of a regular
expression (strings, comments, braces, block words); only a block whose text
changed is tokenized. The assembled tree equals a full parse
(tests/test_lsp_analysis.py proves it on the examples, generated policies
and random edits), with one difference: the character offsets
(`Span.start`/`end`) inside pieces are not those of the file. The language
server uses lines and columns only.

Text that does not parse: every piece before the break parsed, so the full
parse reaches the break's block, or rule, in the state the stand-in header
and the opening words leave (LALR states are LR(0) cores) and meets the same
tokens from there. The rest of the text is parsed from there (from the rule
before when the error is at that rule's first word: right after the brace
the parser expects other words), with the block's opening words copied to
their own lines and columns: the same diagnostic as the full parse, hint
included, for the cost of a rule. That is what a keystroke
in a half-written rule costs, and what every prefix of a file costs
(tests/test_lsp_analysis.py feeds every prefix of every example this way).

Anything unusual (a piece on the first line, a header that does not parse,
a gap that does not copy cleanly) falls back to the full parse, which also
gives the diagnostic `leadpolicy check` prints.
"""

from __future__ import annotations

import re
import threading
from dataclasses import fields, is_dataclass, replace
from typing import Any, Callable, Optional, TypeVar

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import BAD_CHARACTER, Diagnostic, Span
from leadpolicy.tools.lsp.positions import LineIndex, Tok, scan

BLOCKS = ("fields", "activities", "stages", "engagement", "fit", "grades", "demote", "disqualify", "test")
SPLIT = ("engagement", "fit", "demote", "disqualify")  # blocks cut into one piece per rule
HEAD = 'policy "" version "" '
MIN_SIZE = 1_000  # smaller texts parse whole: as fast, and nothing to get wrong
CACHE_LIMIT = 50_000
# What finds the blocks: strings and comments (braces and words in them are not code), braces, block words.
_TOP = re.compile(
    r"""
      "(?:[^"\\\n\r]|\\["\\])*"
    | "(?:[^"\\\n\r]|\\.)*
    | \#[^\n]*
    | (?P<brace>[{}])
    | (?<![A-Za-z0-9_])(?P<block>fields|activities|stages|engagement|fit|grades|demote|disqualify|test)(?![A-Za-z0-9_])
    """,
    re.VERBOSE | re.DOTALL,
)
_BLANK = re.compile(r"(?:[ \t\f\r\n]|\#[^\n]*+)*+")  # white space and comments
_SPACE = re.compile(r"[ \t\f\r]*")  # white space within a line

Segments = tuple[tuple[int, int], ...]
T = TypeVar("T")


class Unsupported(Exception):
    """The text does not cut cleanly: parse it whole."""


class Resume(Exception):
    """The text breaks (or ends) in the piece at `start`, or after it: everything before parsed in
    pieces. Parse the rest from there, behind `segments` (the opening words of its block, and of
    its fit group) copied to their own places. If the error is at `start` itself, parse from
    `before` (the rule before) instead: the parser expects other words after a rule than right
    after the opening brace, and a message may name the token before."""

    def __init__(self, start: int, segments: Segments = (), before: int = -1):
        super().__init__("parse the rest of the text from here")
        self.start, self.segments, self.before = start, segments, before


class _PieceFailed(Exception):
    """A piece did not parse on its own."""


_cache: dict[tuple[Any, ...], tuple[int, Any]] = {}  # (kind, opener, text, column) -> (line, parsed)
_lock = threading.Lock()
# The blocks found last time, per kind of file: (the text up to the end of the last one, where the
# header ends, each block's start and end). Blocks depend only on the text before their end.
_layouts: dict[bool, tuple[str, int, tuple[tuple[int, int], ...]]] = {}


def _full(tests: bool) -> Callable[[str, str], Any]:
    from leadpolicy.syntax import parser

    return parser.parse_tests if tests else parser.parse  # looked up now: tests count the calls


def parse(text: str, path: str, force: bool = False) -> n.Policy:
    """Like `leadpolicy.syntax.parser.parse`, reusing the pieces parsed before."""
    policy: n.Policy = _parse(text, path, force, False)
    return policy


def parse_tests(text: str, path: str, force: bool = False) -> tuple[n.TestBlock, ...]:
    """Like `leadpolicy.syntax.parser.parse_tests`, reusing the test blocks parsed before."""
    blocks: tuple[n.TestBlock, ...] = _parse(text, path, force, True)
    return blocks


def _parse(text: str, path: str, force: bool, tests: bool) -> Any:
    if (len(text) < MIN_SIZE and not force) or BAD_CHARACTER.search(text):
        return _full(tests)(text, path)  # a bad character may sit where no piece looks (a comment between rules)
    lines = LineIndex(text)
    try:
        return _assemble(text, path, tests, lines)
    except Resume as resume:
        return _parse_from(text, path, tests, lines, resume)
    except Unsupported:
        return _full(tests)(text, path)


def _parse_from(text: str, path: str, tests: bool, lines: LineIndex, resume: Resume) -> Any:
    """The full parse's error, from parsing only the rest of the text from `resume`: the same
    tokens in the same state, the same error at the same line and column (the text is padded
    to them, the opening words copied); offsets are moved back to the file's."""
    from leadpolicy.syntax.diagnostics import PolicyError

    padded = _pad(text, lines, resume, tests)
    if padded is not None:
        pad_text, mapping = padded
        try:
            _full(tests)(pad_text, path)
        except PolicyError as error:
            moved = [_moved(d, mapping) for d in error.diagnostics]
            if all(d is not None for d in moved):
                if resume.before >= 0 and any(d is not None and d.span is not None and d.span.start == resume.start for d in moved):
                    return _parse_from(text, path, tests, lines, Resume(resume.before, resume.segments))
                raise PolicyError([d for d in moved if d is not None], text) from None
    return _full(tests)(text, path)  # anything unexpected: the full parse decides


def _pad(text: str, lines: LineIndex, resume: Resume, tests: bool) -> Optional[tuple[str, list[tuple[int, int, int]]]]:
    """The stand-in header, then each segment and the rest of the text at its own line and column,
    and where each landed: (offset in the padded text, start, end in the file). None when a gap
    cannot be copied so that every line the parser could quote reads as in the file."""
    parts: list[str] = [] if tests else [HEAD]
    size = 0 if tests else len(HEAD)
    mapping: list[tuple[int, int, int]] = []
    previous = -1  # the end of the last segment copied
    for start, end in (*resume.segments, (resume.start, len(text))):
        line, column = lines.line_column(start)
        line_start = start - (column - 1)
        lead = text[line_start:start]
        if previous < 0:
            if line < (1 if tests else 2) or not _SPACE.fullmatch(lead):
                return None
            gap = "\n" * (line - 1) + lead
        else:
            gap = text[previous:start]
            if not _BLANK.fullmatch(gap):  # code between (the rules before): keep the lines, not the code
                eol = text.find("\n", previous, start)
                rest = text[previous:eol]
                if eol < 0 or not _BLANK.fullmatch(rest) or not _SPACE.fullmatch(lead):
                    return None
                gap = rest + "\n" * (line - lines.line_column(eol)[0]) + lead
        parts.append(gap)
        size += len(gap)
        mapping.append((size, start, end))
        parts.append(text[start:end])
        size += end - start
        previous = end
    return "".join(parts), mapping


def _moved(d: Diagnostic, mapping: list[tuple[int, int, int]]) -> Optional[Diagnostic]:
    """The diagnostic with its offsets in the file's terms; None if it points into the padding."""
    if d.span is None:
        return None
    for at, start, end in mapping:
        if at <= d.span.start <= at + (end - start) + 1:
            shift = start - at
            return replace(d, span=replace(d.span, start=d.span.start + shift, end=d.span.end + shift))
    return None


# ---------------------------------------------------------------- the whole text, in pieces


def _assemble(text: str, path: str, tests: bool = False, lines: Optional[LineIndex] = None) -> Any:
    lines = lines or LineIndex(text)
    header_end, closed, rest = _layout(text, tests)
    header = None if tests else _header(text[:header_end], path)
    blocks = [_block(text, lines, start, end, path, tests) for start, end in closed]
    if rest is not None:
        found = _TOP.match(text, rest)
        if found is None or not found.group("block"):
            # not a block: the parser expects other words after a block than after the header
            raise Resume(closed[-1][0] if closed else rest)
        _open_block(text, lines, rest, path, tests)  # raises Resume
    if tests:
        return tuple(blocks)
    assert header is not None
    if not blocks:
        raise Unsupported("no blocks")
    span = header.span.to(blocks[-1].span) if header.span is not None and blocks[-1].span is not None else None
    return replace(header, blocks=tuple(blocks), span=span, path=path)


def _layout(text: str, tests: bool) -> tuple[int, list[tuple[int, int]], Optional[int]]:
    """Where the header ends, the (start, end) of each closed top-level block, and where the text
    stops cutting cleanly (an open block, text between blocks), if it does."""
    closed: list[tuple[int, int]] = []
    depth = 0
    start = -1  # the start of the block being read
    header_end = 0 if tests else -1
    edge = 0  # the end of the last block (or of the header)
    with _lock:
        known = _layouts.get(tests)
    if known is not None and text.startswith(known[0]):  # typing after the blocks read last time
        edge = len(known[0])
        header_end, closed = known[1], list(known[2])
    for m in _TOP.finditer(text, edge):
        brace, word = m.group("brace"), m.group("block")
        if depth == 0 and start < 0:  # between blocks
            if word is None:
                if header_end < 0 or m.group().startswith("#"):
                    continue  # the header's strings; comments
                return header_end, closed, _code_after(text, edge)
            if header_end < 0:
                if not _header_ends(text, m.start()):
                    continue
                header_end = edge = m.start()
            if not _BLANK.fullmatch(text, edge, m.start()):
                return header_end, closed, _code_after(text, edge)
            start = m.start()
        elif brace == "{":
            depth += 1
        elif brace == "}":
            depth -= 1
            if depth == 0:
                closed.append((start, m.end()))
                start, edge = -1, m.end()
                with _lock:
                    _layouts[tests] = (text[:edge], header_end, tuple(closed))
        elif word is not None and depth == 0:  # another block word before this block's brace
            return header_end, closed, start
    if header_end < 0:
        raise Unsupported("no blocks")
    if start >= 0:
        return header_end, closed, start
    if not _BLANK.fullmatch(text, edge):
        return header_end, closed, _code_after(text, edge)
    return header_end, closed, None


def declared(text: str, path: str) -> Optional[n.Policy]:
    """For a policy that does not parse: a stand-in header and the closed top-level blocks before
    the text stops cutting cleanly that parse on their own (one with an error is left out), for
    completion to offer the names they declare. None when no block parses."""
    from leadpolicy.syntax.diagnostics import PolicyError

    lines = LineIndex(text)
    try:
        _, closed, _ = _layout(text, False)
        blocks = []
        for start, end in closed:
            try:
                blocks.append(_block(text, lines, start, end, path, False))
            except (Resume, Unsupported):
                continue
        if not blocks:
            return None
        header: n.Policy = _full(False)(HEAD, path)
    except (Unsupported, PolicyError):
        return None
    return replace(header, blocks=tuple(blocks), path=path)


def _code_after(text: str, at: int) -> int:
    match = _BLANK.match(text, at)
    return match.end() if match else at


def _header_ends(text: str, at: int) -> bool:
    """A block word after the header starts a block (inside the header it could not stand).
    Comments before `policy` (most real policies open with some) are not part of the header."""
    code = [tok for tok in scan(text, 0, at) if tok.kind != "comment"]
    return len(code) >= 4 and code[0].text == "policy"


def _header(text: str, path: str) -> n.Policy:
    from leadpolicy.syntax.diagnostics import PolicyError

    key = ("header", text)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        cached: n.Policy = hit[1]
        return cached
    try:
        header: n.Policy = _full(False)(text, path)  # a header alone is a policy without blocks
    except PolicyError:
        raise Unsupported("a header that does not parse") from None
    _remember(key, 1, header)
    return header


def _block(text: str, lines: LineIndex, start: int, end: int, path: str, tests: bool) -> Any:
    """One closed top-level block, from the cache when its text was seen before at this column."""
    block_text = text[start:end]
    kind = block_text[: len(block_text) - len(block_text.lstrip("abcdefghijklmnopqrstuvwxyz"))]
    if tests or kind not in SPLIT:
        try:
            (block,) = _piece(lines, start, block_text, "", "", path, "block", tests)
        except _PieceFailed:
            raise Resume(start) from None
        return block
    line, column = lines.line_column(start)
    key = ("split", block_text, column)
    found = _recall(key, line)
    if found is not None:
        return found
    tokens = list(scan(text, start, end))
    split = _split_block(text, lines, tokens, path, closed=True)
    _remember(key, line, split)
    return split


def _open_block(text: str, lines: LineIndex, start: int, path: str, tests: bool) -> None:
    """The block the text ends in: raise where to parse the rest from."""
    tokens = list(scan(text, start))
    if not tokens:
        raise Resume(start)
    if tokens[0].text in SPLIT and not tests:
        _split_block(text, lines, tokens, path, closed=False)
    _open_lines(text, lines, tokens, path, tests)


TEST_ITEMS = frozenset(("as", "previous", "fields", "activity", "expect"))


def _open_lines(text: str, lines: LineIndex, tokens: list[Tok], path: str, tests: bool) -> None:
    """An open block of declarations, bands or test lines, cut where a line starts an item (a test's
    `expect`, `activity` ...; elsewhere a name): the items before the last that parse on their own
    are complete (no name can continue an item), so the rest is parsed from the last."""
    from leadpolicy.syntax.keywords import keywords

    kind = tokens[0].text
    brace = 2 if kind == "test" else 1
    if len(tokens) <= brace or tokens[brace].text != "{" or (kind == "test" and tokens[1].kind != "string"):
        raise Resume(tokens[0].start)
    segments = ((tokens[0].start, tokens[brace].end),)
    reserved = keywords()
    starts: list[int] = []
    depth = 0
    for i in range(brace + 1, len(tokens)):
        tok = tokens[i]
        if tok.text in ("(", "{"):
            depth += 1
        elif tok.text in (")", "}"):
            depth -= 1
        elif (
            depth == 0
            and tok.kind == "word"
            and (tok.text in TEST_ITEMS if kind == "test" else tok.text not in reserved)
            and _SPACE.fullmatch(text, text.rfind("\n", 0, tok.start) + 1, tok.start)
        ):
            starts.append(i)
        if depth < 0:
            raise Resume(tokens[0].start)
    code = [i for i in range(brace + 1, len(tokens)) if tokens[i].kind != "comment"]
    if not starts or starts[0] != code[0]:
        raise Resume(tokens[0].start)
    opener = 'test "" { ' if kind == "test" else f"{kind} {{ "
    previous = -1
    for i, j in zip(starts, starts[1:]):
        start = tokens[i].start
        piece = text[start : tokens[_last_code(tokens, i, j) - 1].end]
        try:
            _piece(lines, start, piece, opener, " }", path, "items", tests)
        except _PieceFailed:
            raise Resume(start, segments, previous) from None
        previous = start
    raise Resume(tokens[starts[-1]].start, segments, previous)


def _split_block(text: str, lines: LineIndex, tokens: list[Tok], path: str, closed: bool) -> n.Block:
    """A block of rules, from its tokens (its keyword to its closing brace). An open block (the text
    ends in it) raises Resume at its last rule, as does a rule that does not parse on its own."""
    kind = tokens[0].text
    if len(tokens) < 2 or tokens[1].text != "{":
        if closed:
            raise Unsupported("a block without its brace")
        raise Resume(tokens[0].start)
    segments = ((tokens[0].start, tokens[1].end),)
    stop = len(tokens) - 1 if closed else len(tokens)
    items: list[n.Node] = []
    previous = -1  # the start of the last item parsed

    def resume_at(start: int) -> Resume:
        return Resume(start, segments, previous)

    i = 2
    while i < stop:
        tok = tokens[i]
        if tok.kind == "comment":
            i += 1
            continue
        if kind == "fit" and tok.kind == "word" and i + 1 < stop and tokens[i + 1].text == "{":
            close = _matching(tokens, i + 1, stop)
            if close < 0 and closed:
                raise Unsupported("unclosed group")
            items.append(_group(text, lines, tokens, i, close, path, segments, previous))
            previous = tok.start
            i = close + 1
            continue
        try:
            end = _item_end(tokens, i, stop, kind)
        except Unsupported:
            raise resume_at(tok.start) from None
        code_end = _last_code(tokens, i, end)  # comments after the rule would swallow the closing brace
        if not closed and code_end == _last_code(tokens, i, stop):
            raise resume_at(tok.start)  # the rule being written
        try:
            items.extend(_piece(lines, tok.start, text[tok.start : tokens[code_end - 1].end], f"{kind} {{ ", " }", path, "items"))
        except _PieceFailed:
            raise resume_at(tok.start) from None
        previous = tok.start
        i = end
    if not closed:
        raise Resume(previous, segments) if previous >= 0 else Resume(tokens[0].start)  # after a closed group
    return n.make_block(kind, tuple(items), span=_span(lines, tokens[0], tokens[-1]))


def _group(text: str, lines: LineIndex, tokens: list[Tok], name: int, close: int, path: str, segments: Segments, before: int) -> n.FitGroup:
    """A fit group (close: its closing brace; -1 when the text ends in it)."""
    group = tokens[name].text
    inner = (*segments, (tokens[name].start, tokens[name + 1].end))
    stop = close if close >= 0 else len(tokens)
    rules: list[n.FitRule] = []
    previous = -1
    i = name + 2
    while i < stop:
        if tokens[i].kind == "comment":
            i += 1
            continue
        start = tokens[i].start
        try:
            end = _item_end(tokens, i, stop, "group")
        except Unsupported:
            raise Resume(start, inner, previous) from None
        code_end = _last_code(tokens, i, end)
        if close < 0 and code_end == _last_code(tokens, i, stop):
            raise Resume(start, inner, previous)  # the rule being written
        try:
            (parsed,) = _piece(lines, start, text[start : tokens[code_end - 1].end], f"fit {{ {group} {{ ", " } }", path, "items")
        except _PieceFailed:
            raise Resume(start, inner, previous) from None
        rules.extend(parsed.rules)
        previous = start
        i = end
    if close < 0:  # an open group without rules: from the item before it, or from the group
        raise Resume(previous, inner) if previous >= 0 else Resume(tokens[name].start, segments, before)
    return n.FitGroup(group, tuple(rules), name_span=_span(lines, tokens[name], tokens[name]), span=_span(lines, tokens[name], tokens[close]))


def _item_end(tokens: list[Tok], i: int, stop: int, kind: str) -> int:
    """Where the item starting at token i ends: at the next rule name (`"...":`), `decay`, or group."""
    if not (tokens[i].kind == "string" and i + 1 < stop and tokens[i + 1].text == ":") and tokens[i].text != "decay":
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
        elif depth == 0 and tok.kind == "string" and j + 1 < stop and tokens[j + 1].text == ":":
            return j
        elif depth == 0 and tok.text == "decay" and kind == "engagement":
            return j
        elif depth == 0 and kind == "fit" and tok.kind == "word" and j + 1 < stop and tokens[j + 1].text == "{":
            return j
        j += 1
    return _last_code(tokens, i, stop)


def _last_code(tokens: list[Tok], i: int, stop: int) -> int:
    """The end of the item's code: comments before `stop` belong to no piece."""
    j = stop
    while j - 1 > i and tokens[j - 1].kind == "comment":
        j -= 1
    return j


def _matching(tokens: list[Tok], open_brace: int, stop: int) -> int:
    """The closing brace of the one at `open_brace`; -1 if the text ends first."""
    depth = 0
    for j in range(open_brace, stop):
        if tokens[j].text == "{":
            depth += 1
        elif tokens[j].text == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _span(lines: LineIndex, first: Tok, last: Tok) -> Span:
    line, column = lines.line_column(first.start)
    end_line, end_column = lines.line_column(last.end)
    return Span(line, column, end_line, end_column, first.start, last.end)


def _piece(lines: LineIndex, start: int, piece: str, opener: str, closer: str, path: str, want: str, tests: bool = False) -> list[Any]:
    """Parse one piece where it stands (line and column); from the cache when seen before."""
    from leadpolicy.syntax.diagnostics import PolicyError

    line, column = lines.line_column(start)
    before = ("" if tests else HEAD) + opener
    if line < 2 and before:
        raise Unsupported("a piece on the first line")
    key = (tests, opener, piece, column)
    found: Optional[list[Any]] = _recall(key, line)
    if found is not None:
        return found
    synthetic = before + "\n" * (line - 1) + " " * (column - 1) + piece + closer
    try:
        parsed = _full(tests)(synthetic, path)
    except PolicyError:
        raise _PieceFailed() from None
    if tests:
        if len(parsed) != 1:
            raise Unsupported("a piece that is not one test")
        result: list[Any] = list(parsed)
    else:
        if len(parsed.blocks) != 1:
            raise Unsupported("a piece that is not one block")
        result = [parsed.blocks[0]] if want == "block" else list(parsed.blocks[0].items)
    _remember(key, line, result)
    return result


def _recall(key: tuple[Any, ...], line: int) -> Any:
    """What the cache holds for `key`, its lines shifted to `line`; None if nothing."""
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        return None
    cached_line, parsed = hit
    if cached_line == line:
        return parsed
    moved = _shift(parsed, line - cached_line)
    _remember(key, line, moved)
    return moved


def _remember(key: tuple[Any, ...], line: int, parsed: Any) -> None:
    with _lock:
        if len(_cache) > CACHE_LIMIT:
            _cache.clear()
        _cache[key] = (line, parsed)


def _shift(node: Any, delta: int) -> Any:
    """The node with every span moved `delta` lines down (up when negative)."""
    if isinstance(node, Span):
        return replace(node, line=node.line + delta, end_line=node.end_line + delta)
    if isinstance(node, (tuple, list)):
        return type(node)(_shift(item, delta) for item in node)
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
        _layouts.clear()
