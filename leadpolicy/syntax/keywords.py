"""The words of the language, read from the grammar (the one source of truth).

The checker's `RESERVED` list, the language server's completion and hover,
the Pygments lexer and the VS Code grammar's test all agree with this set;
`tests/test_highlight.py` proves the first and the last.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["keywords", "CATEGORIES", "category"]

# How editors colour the words. Every keyword is in exactly one category
# (a test checks that against the grammar), so a new word in the grammar
# fails the tests until someone decides its colour.
CATEGORIES: dict[str, frozenset[str]] = {
    # the top-level structure of a file
    "declaration": frozenset(
        "policy version owner fields activities stages engagement fit grades demote disqualify test".split()
    ),
    # the type of a field or property
    "type": frozenset("text number boolean date one".split()),
    # words that join or test conditions
    "operator": frozenset("and or not in is missing present starts ends with contains".split()),
    "constant": frozenset("true false".split()),
    "unit": frozenset("hour hours day days week weeks".split()),
    # everything else: the clauses of rules and tests
    "keyword": frozenset(
        "of when per where within max did no activity at least times decay every otherwise since "
        "grade as ago previous stage expect hit change".split()
    ),
}


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every word the grammar spells out in quotes (`"when"`, `"did"`, ...)."""
    from leadpolicy.syntax.parser import grammar_text

    return frozenset(re.findall(r'"([A-Za-z_]+)"', grammar_text()))


def category(word: str) -> str:
    for name, members in CATEGORIES.items():
        if word in members:
            return name
    return "keyword"
