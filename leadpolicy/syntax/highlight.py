"""A Pygments lexer for policies, so `pygmentize`, Sphinx, MkDocs and every tool
built on Pygments highlight ```policy and ```tests blocks and `.policy`/`.tests` files.

Registered through the `pygments.lexers` entry point (pyproject.toml), under
the names `policy` and `leadpolicy`, and `tests` and `policy-tests` for a
`.tests` file's text (test blocks: the same lexer reads them). The words of the language and their
colours come from `leadpolicy.syntax.keywords` (the parser's list), so a new
keyword is highlighted without touching this file. Needs the `highlight` extra:
`pip install 'leadpolicy[highlight]'`; nothing else in leadpolicy imports it.
"""

from __future__ import annotations

from typing import Any, Callable

from pygments.lexer import RegexLexer, bygroups as _untyped_bygroups, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
)

from leadpolicy.syntax.keywords import CATEGORIES
from leadpolicy.syntax.nodes import IDENTIFIER

__all__ = ["PolicyLexer"]

_IDENT = IDENTIFIER.pattern
_STRING = r'"(?:[^"\\\n\r]|\\["\\])*"'  # the grammar's STRING
# Where a word may start: not inside a name, but right after a number, as the parser reads
# `30days` (a number and a unit). The VS Code grammar (editors/vscode/syntaxes/make_grammar.py)
# uses the same boundaries, and tests/test_highlight.py checks that the two agree.
_WORD_START = r"(?<![A-Za-z_])"
_ALL_WORDS = sorted(set().union(*CATEGORIES.values()))


bygroups: Callable[..., Any] = _untyped_bygroups  # untyped in types-Pygments


def _words(category: str, drop: tuple[str, ...] = ()) -> words:
    return words(sorted(CATEGORIES[category] - set(drop), key=lambda w: (-len(w), w)), prefix=_WORD_START, suffix=r"\b")


class PolicyLexer(RegexLexer):
    """Lexer for leadpolicy `.policy` and `.tests` files."""

    name = "leadpolicy"
    aliases = ["policy", "leadpolicy", "tests", "policy-tests"]  # `tests`: the fence of a `.tests` file in the docs
    filenames = ["*.policy", "*.tests"]
    mimetypes = ["text/x-leadpolicy"]
    url = "https://example.invalid/leadpolicy"

    tokens = {
        "root": [
            (r"[ \t\f\r\n]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            # a rule's name: the string before its colon; a test's name (on their line, as in VS Code)
            ("(" + _STRING + r")([ \t\f\r]*)(:)", bygroups(Name.Function, Whitespace, Punctuation)),
            (_WORD_START + r"(test)([ \t\f\r]+)(" + _STRING + ")", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
            (r'"', String.Double, "string"),
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?", Literal.Date),
            (r"\d{4}-\d{2}-\d{2}", Literal.Date),
            (r"\d(?:_?\d)*\.\d(?:_?\d)*", Number.Float),
            (r"\d(?:_?\d)*", Number.Integer),
            # the activity type after did / no / per / activity (not `did activity`)
            (
                _WORD_START + r"(did|no|per|activity)([ \t\f\r]+)(?!(?:" + "|".join(_ALL_WORDS) + r")\b)(" + _IDENT + ")",
                bygroups(Keyword, Whitespace, Name.Class),
            ),
            (_WORD_START + r"one[ \t\f\r]+of\b", Keyword.Type),
            (_words("declaration"), Keyword.Declaration),
            (_words("type", drop=("one",)), Keyword.Type),
            (_words("operator"), Operator.Word),
            (_words("constant"), Keyword.Constant),
            (_words("unit"), Keyword.Pseudo),
            (_words("keyword"), Keyword),
            (_WORD_START + _IDENT, Name),  # (a name glued to a timestamp's `Z` is left plain, as in VS Code)
            (r"%", Keyword.Pseudo),  # `decay 50% every ...`: the unit of the number, as `days` is
            (r"->|!=|<=|>=|[=<>+\-*]", Operator),
            (r"[{}(),:]", Punctuation),
            (r".", Text),
        ],
        "string": [
            (r'\\["\\]', String.Escape),
            (r'[^"\\\n]+', String.Double),
            (r'"', String.Double, "#pop"),
            (r"\\", String.Double),
            (r"\n", Whitespace, "#pop"),  # an unclosed string ends at the line's end
        ],
    }

    @staticmethod
    def analyse_text(text: str) -> float:
        return 0.6 if text.lstrip().startswith("policy ") and " version " in text.split("\n", 1)[0] else 0.0
