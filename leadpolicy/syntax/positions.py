"""From a place in the source to the node there, and back (for editors and a language server).

`node_at(tree, offset)` finds the innermost node whose span holds a 0-based
offset; `offset_at(text, line, column)` turns an editor's 1-based line and
column into that offset; a node's `span` is the way back. Iterative, so a
policy of any size is fine.
"""

from __future__ import annotations

from typing import Optional

from leadpolicy.syntax import nodes as n

__all__ = ["node_at", "offset_at", "path_to"]


def path_to(tree: n.Node, offset: int) -> list[n.Node]:
    """The nodes whose spans hold `offset`, outermost first (nodes without a span are passed through)."""
    found: list[n.Node] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        span = node.span
        if span is not None:
            if not span.start <= offset < span.end:
                continue
            found.append(node)
        pending.extend(reversed(list(node.children())))
    return found


def node_at(tree: n.Node, offset: int) -> Optional[n.Node]:
    """The innermost node whose span holds `offset`, or None when the offset is outside every node."""
    found = path_to(tree, offset)
    return found[-1] if found else None


def offset_at(text: str, line: int, column: int) -> int:
    """The 0-based offset of a 1-based line and column (columns count characters, as spans do)."""
    if line < 1 or column < 1:
        raise ValueError(f"lines and columns start at 1, not {line}:{column}")
    start = 0
    for _ in range(line - 1):
        start = text.index("\n", start) + 1
    return start + column - 1
