"""Fixes for what newcomers type that the parser sees first (issue 9 item 12).
The parser (leadpolicy/syntax/parser.py) may call these when it builds a
syntax error's help line; they only read words, never the tree."""

from __future__ import annotations

from typing import Iterable, Optional

from leadpolicy.check.base import suggest

__all__ = ["misspelt_keyword", "signed_cap"]


def misspelt_keyword(word: str, expected: Iterable[str]) -> Optional[str]:
    """`did you mean `disqualify`?` for `disqualfy` where a block name (or any keyword) is expected."""
    words = [w.strip("`") for w in expected if w.strip("`").isidentifier()]
    guess = suggest(word, words) if word.isidentifier() else None
    return f"did you mean `{guess}`?" if guess and guess != word else None


def signed_cap(previous: str, sign: str, number: str) -> Optional[str]:
    """`max +20` -> `max 20`: a cap is a number of points, written without a sign."""
    if previous == "max" and sign in ("+", "-"):
        return f"a cap is a number of points, written without a sign: `max {number}`"
    return None
