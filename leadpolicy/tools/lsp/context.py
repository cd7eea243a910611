"""Where the cursor is: the top-level block, fit group and rule around it.

Completion needs the parser's state at the cursor (the terminals it would
accept next) and the tokens just before it. Parsing and tokenizing everything
before the cursor took half a second at the end of the 1,000-rule generated
policy; one light pass of a regular expression (strings, comments, braces,
block words) finds the block and the rule the cursor is in, so only they are
parsed and tokenized.

Exact because the grammar is `start: header block*` (`tests_file:
test_block*`), a block is a list of items, and Lark's LALR states are LR(0)
cores: after the first token of a block, or of a rule inside one, the parser
is in the same state whatever came before it, and a finished block or rule
reduces back to the same state. Before that point only a stand-in header and
the block's opening words are fed. Where the text before the cursor does not
parse, the whole prefix would give no answer at all; the cut gives the answer
for the block being written. `tests/test_lsp_analysis.py` compares the two at
every token of every example.
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from typing import Optional

from leadpolicy.syntax.words import IDENTIFIER
from leadpolicy.tools.lsp.positions import Tok, scan

SPLIT = frozenset(("engagement", "fit", "demote", "disqualify"))  # blocks of rules named "...":
STAND_IN_HEADER = 'policy "" version "" '

_STRUCTURE = re.compile(
    r"""
      "(?:[^"\\\n\r]|\\["\\])*"(?P<colon>[ \t\f\r\n]*:)?
    | "(?:[^"\\\n\r]|\\.)*
    | \#[^\n]*
    | (?P<brace>[{}])
    | (?<![A-Za-z0-9_])(?P<block>fields|activities|stages|engagement|fit|grades|demote|disqualify|test)(?![A-Za-z0-9_])
    """,
    re.VERBOSE,
)
_LAST_WORD = re.compile(rf"({IDENTIFIER.pattern})[ \t\f\r\n]*\Z")


@dataclass(frozen=True)
class Cursor:
    parse_text: str  # what to feed the parser for the terminals accepted at the cursor
    pieces: tuple[tuple[int, int], ...]  # the ranges of the text whose tokens stand for all before it

    def tokens(self, text: str) -> list[Tok]:
        return [tok for start, end in self.pieces for tok in scan(text, start, end)]


# The state of the pass below after a top-level block: depth, block, block_open, group, item.
_State = tuple[int, Optional[tuple[str, int]], int, Optional[tuple[str, int, int]], int]
# The blocks ends met last time, and the text they were met in: the pass starts from the last
# one before the cursor when the text up to it is the same (a keystroke, or another cursor in
# the same text), so completion at the end of a big policy does not read all of it each time.
_last: tuple[str, list[tuple[int, _State]]] = ("", [])
_lock = threading.Lock()


def _resume_point(text: str, begin: int) -> tuple[int, _State, list[tuple[int, _State]]]:
    """Where to start the pass: the last block end before `begin` whose text is unchanged."""
    with _lock:
        saved, points = _last
    low, high = 0, bisect.bisect_right([edge for edge, _ in points], begin)
    while low < high:  # the last point whose text up to it is the same (if one is, all before are)
        middle = (low + high + 1) // 2
        if text.startswith(saved[: points[middle - 1][0]]):
            low = middle
        else:
            high = middle - 1
    if not low:
        return 0, (0, None, -1, None, -1), []
    return points[low - 1][0], points[low - 1][1], points[:low]


def cursor(text: str, begin: int, tests_file: bool = False) -> Cursor:
    """The parser's text and the token ranges for a cursor at `begin`."""
    global _last
    whole = Cursor(text[:begin], ((0, begin),))
    start_at, state, points = _resume_point(text, begin)
    block: Optional[tuple[str, int]]  # its word and start
    group: Optional[tuple[str, int, int]]  # a fit group: name, start, end of its `{`
    # block_open: the end of its `{`; item: the start of the last rule (or closed group) at the current block's item level
    depth, block, block_open, group, item = state
    for m in _STRUCTURE.finditer(text, start_at, begin):
        if m.group("brace") == "{":
            depth += 1
            if depth == 1 and block is not None:
                block_open, item = m.end(), -1
            elif depth == 2 and block is not None and block[0] == "fit":
                name = _LAST_WORD.search(text, max(block_open, m.start() - 256), m.start())
                group, item = (name.group(1), name.start(1), m.end()) if name else None, -1
        elif m.group("brace") == "}":
            depth -= 1
            if depth < 0:
                return whole
            if depth == 1 and group is not None:
                item, group = group[1], None  # a closed group is one item of the fit block
            elif depth == 0:
                points.append((m.end(), (depth, block, block_open, group, item)))
        elif m.group("block") and depth == 0:
            block, block_open, group, item = (m.group("block"), m.start()), -1, None, -1
        elif m.group("colon") and block is not None and block[0] in SPLIT and (depth == 1 or (depth == 2 and group)):
            item = m.start()
    with _lock:
        _last = (text, points)
    if block is None:
        return whole
    kind, start = block
    header = "" if tests_file else STAND_IN_HEADER
    if block_open < 0 or kind not in SPLIT:
        return Cursor(header + text[start:begin], ((start, begin),))
    opening = ((start, block_open),)
    if group is not None:
        group_name, group_start, group_open = group
        if item < 0:
            return Cursor(f"{header}{kind} {{ {text[group_start:begin]}", opening + ((group_start, begin),))
        return Cursor(f"{header}{kind} {{ {group_name} {{ {text[item:begin]}", opening + ((group_start, group_open), (item, begin)))
    if item < 0:
        return Cursor(header + text[start:begin], ((start, begin),))
    return Cursor(f"{header}{kind} {{ {text[item:begin]}", opening + ((item, begin),))
