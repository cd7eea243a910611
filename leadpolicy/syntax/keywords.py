"""The words of the language and how editors colour them.

The words themselves are `RESERVED_WORDS` of `syntax/words.py` (the one list:
the parser's lexer turns an identifier spelt like one into its keyword, the
checker refuses them as names). The language
server's completion, hover and rename, the Pygments lexer and the generated
VS Code grammar take them from here; `tests/test_lsp_analysis.py` checks the
list against the grammar's quoted words and the categories against the list.
"""

from __future__ import annotations

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


def keywords() -> frozenset[str]:
    """Every word of the language (`when`, `did`, ...): never a name."""
    from leadpolicy.syntax.nodes import RESERVED_WORDS

    return RESERVED_WORDS


def category(word: str) -> str:
    for name, members in CATEGORIES.items():
        if word in members:
            return name
    return "keyword"
