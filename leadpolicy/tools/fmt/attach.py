"""Each printed token -> its source token, and each comment -> the printed token it belongs to."""

from __future__ import annotations

import re

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.comments import SourceTable
from leadpolicy.syntax.parser import number_value, unquote
from leadpolicy.tools.fmt.doc import Tok

# ---------------------------------------------------------------- source tokens

_NUMBER = re.compile(r"\d(?:_?\d)*(?:\.\d(?:_?\d)*)?")
_UNITS = n.UNIT_NAMES


def _key(text: str) -> object:
    """What two tokens must share to be the same token: values, not spellings
    (a string and a name with the same text match: enum members may be either)."""
    if text.startswith('"'):
        return ("w", unquote(text))
    if _NUMBER.fullmatch(text):
        return ("n", number_value(text))
    if text in _UNITS:
        return ("u", _UNITS[text])
    if n.IDENTIFIER.fullmatch(text):
        return ("w", text)
    return text


# ---------------------------------------------------------------- comments

def _bind(printed: list[Tok], source: SourceTable) -> dict[int, int]:
    """Which source token each printed token is (source index -> printed index).

    Printed tokens come in source order and every one that is not synthetic is
    in the source: the next token of the same value (`_key`) before the end of
    its block. Only the tokens fmt drops (`1 times`, a trailing comma, a
    repeated `as of`) are passed over, so no search is needed beyond that."""
    tokens = source.tokens
    keys = [_key(t.text) for t in tokens]
    pairs: dict[int, int] = {}
    j = 0
    for k, tok in enumerate(printed):
        if tok.synthetic:
            continue
        key = _key(tok.text)
        m = j
        while m < len(tokens) and tokens[m].start < tok.fence and keys[m] != key:
            m += 1
        if m < len(tokens) and tokens[m].start < tok.fence:
            pairs[m] = k
            j = m + 1
    return pairs


def attach_comments(source: SourceTable, printed: list[Tok], eof: Tok) -> None:
    """Give every comment of the source to a printed token (see the module docstring)."""
    printed_for = _bind(printed, source)  # source token index -> printed token index
    src_tokens = source.tokens
    for j, k in printed_for.items():
        tok = printed[k]
        if tok.recover:
            tok.text = src_tokens[j].text
        tok.blank = source.blank_before(j)
    everything = printed + [eof]
    last_point = (-1, 1)
    for c in source.comments:
        i = c.after
        point = None
        if not c.own_line:
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
            target.trailing = c.text
        else:
            target.leading.append((c.text, c.blank_before))
        last_point = point
