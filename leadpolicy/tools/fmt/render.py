"""Printing a layout document: flat when it fits, else broken by the rules of its kind."""

from __future__ import annotations

from leadpolicy.tools.fmt.doc import (
    INDENT,
    WIDTH,
    Braces,
    Chain,
    Clauses,
    Doc,
    List,
    Paren,
    Seq,
    Tok,
    breaks,
    doc_tokens,
    first_token,
    last_token,
    width,
)
from leadpolicy.tools.fmt.out import Out


def _start(out: Out, sep: str, tok: Tok, ind: int) -> int:
    """The column where a doc beginning with `tok` will start."""
    if out.pending or (tok.leading and not out.fresh):
        return ind
    if out.fresh:
        return out.col
    return out.col + len(sep)


def fits_width(doc: Doc, start: int, trail: int) -> bool:
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
    start = _start(out, sep, first_token(doc), ind)
    after = [0] * len(doc.items)
    acc = trail
    for i in range(len(doc.items) - 1, -1, -1):
        after[i] = acc
        acc += width(doc.items[i][1]) + (len(doc.items[i][0]) if i > 0 else 0)
    for i, (s, d) in enumerate(doc.items):
        render(d, out, ind if i == 0 else start + INDENT, after[i], sep if i == 0 else s)


def _render_clauses(doc: Clauses, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, first_token(doc), ind)
    if fits_width(doc, start, trail):
        _render_seq(Seq([(" ", d) for d in doc.items]), out, ind, trail, sep)
        return
    last = len(doc.items) - 1
    for i, clause in enumerate(doc.items):
        after = trail if i == last else 0
        if i == 0:
            render(clause, out, ind, after, sep)
        elif not out.pending and not first_token(clause).leading and fits_width(clause, out.col + 1, after):
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
    start = _start(out, sep, first_token(doc), ind)
    if fits_width(doc, start, trail):
        _chain_flat(doc, out, ind, trail, sep, start)
        return
    last_op, last = doc.rest[-1]
    if _huggable(last):
        prefix = Chain(doc.first, doc.rest[:-1])
        prefix_tokens = doc_tokens(prefix) + [last_op]
        quiet = all(t.trailing is None for t in prefix_tokens) and not any(t.leading for t in prefix_tokens[1:])
        if quiet and not first_token(last).leading and fits_width(prefix, start, len(last_op.text) + 3):
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


def _render_items(items: list[Doc], commas: list[Tok], out: Out, col: int, trail_last: int, fill: bool) -> None:
    """Items after an opening bracket (the first on the current line), each line at `col`."""
    count = len(items)
    if fill and not any(breaks(i) for i in items) and not any(t.trailing or t.leading for t in commas) and not any(
        first_token(i).leading or last_token(i).trailing for i in items
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
    start = _start(out, sep, first_token(doc), ind)
    if fits_width(doc, start, trail) or not doc.items:
        render(doc.head, out, ind, trail + width(doc) - width(doc.head), sep)
        for i, item in enumerate(doc.items):
            render(item, out, start, 0, "" if i == 0 else " ")
            if i < len(doc.commas):
                out.token(doc.commas[i], "", start)
        out.token(doc.close, "", start)
        return
    render(doc.head, out, ind, width(doc.items[0]) + 1, sep)
    col = out.col if not out.pending else last_token(doc.head).column + 1
    _render_items(doc.items, doc.commas, out, col, trail + 1, doc.fill)
    out.token(doc.close, "", max(0, col - 1))


def _render_braces(doc: Braces, out: Out, ind: int, trail: int, sep: str) -> None:
    start = _start(out, sep, first_token(doc), ind)
    if fits_width(doc, start, trail) and not last_token(doc.head).trailing:
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
