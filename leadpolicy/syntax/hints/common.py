"""What every hint is made of: the `Hint` and its edit, the line shown rewritten, what the
grammar says (its keywords and terminals) and where the parser stopped. The names with a
leading underscore are the hint modules' own helpers, not the package's API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.words import IDENTIFIER

MAX_SHOWN = 100  # a rewritten line longer than this is shown as a window around the fix


@dataclass(frozen=True)
class Hint:
    message: str
    span: Span
    help: str
    fix: tuple[int, int, str]  # replace text[start:end] with this: the edit `help` shows
    advice: str = ""  # `help` before the line shown rewritten (`write `and``), for a hint of two slips; "" if none


def apply_fix(text: str, fix: tuple[int, int, str]) -> str:
    start, end, replacement = fix
    return text[:start] + replacement + text[end:]


@lru_cache(maxsize=1)
def block_keywords() -> tuple[str, ...]:
    """The words that open a block (`fields`, ..., `test`), read from the grammar's `block` rule."""
    from leadpolicy.syntax.parser import lark_parser

    parser = lark_parser()
    kinds = {r.expansion[0].name for r in parser.rules if r.origin.name == "block"}
    words = []
    for rule in parser.rules:
        if rule.origin.name in kinds and rule.expansion and rule.expansion[0].is_term:
            word = _spelling(rule.expansion[0].name)
            if word and word not in words:
                words.append(word)
    return tuple(words)


def _spelling(terminal: str) -> Optional[str]:
    """How a keyword terminal is written (`DISQUALIFY` -> `disqualify`), or None for a pattern."""
    from leadpolicy.syntax.parser import lark_parser

    try:
        pattern = lark_parser().get_terminal(terminal).pattern
    except KeyError:
        return None
    return pattern.value if pattern.type == "str" else None


def _line_bounds(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end < 0 else end


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _span(text: str, start: int, end: int) -> Span:
    line, column = _position(text, start)
    end_line, end_column = _position(text, end)
    return Span(line, column, end_line, end_column, start, end)


def rewritten_line(text: str, fix: tuple[int, int, str]) -> str:
    """The line holding the fix, with the fix made, as the user would retype it."""
    start, end, replacement = fix
    line_start, line_end = _line_bounds(text, start)
    line_end = max(line_end, _line_bounds(text, end)[1])
    before, after = text[line_start:start], text[end:line_end]
    line = (before + replacement + after).strip()
    if len(line) <= MAX_SHOWN:
        return line
    # A long line: a window of whole words around the fix.
    before, after = before.lstrip(), after.rstrip()
    if len(before) > MAX_SHOWN // 2:
        cut = before.find(" ", len(before) - MAX_SHOWN // 2)
        before = "... " + before[cut + 1:] if cut >= 0 else before
    if len(after) > MAX_SHOWN // 2:
        cut = after.rfind(" ", 0, MAX_SHOWN // 2)
        after = after[:cut] + " ..." if cut > 0 else after
    return before + replacement + after


def _hint(text: str, message: str, span: Span, advice: str, fix: tuple[int, int, str]) -> Hint:
    joint = " " if advice.endswith("?") else ": "
    return Hint(message, span, f"{advice}{joint}`{rewritten_line(text, fix)}`", fix, advice)


def _spaced(text: str, start: int, end: int, word: str) -> str:
    """`word` to put in place of text[start:end], with a space on each side where none is."""
    left = "" if start == 0 or text[start - 1].isspace() or text[start - 1] == "(" else " "
    right = "" if end >= len(text) or text[end].isspace() or text[end] == ")" else " "
    return left + word + right


def _where(token: Token) -> tuple[int, int]:
    """A token's start and end offsets (Lark types them as optional; the lexer always sets them)."""
    return int(token.start_pos or 0), int(token.end_pos or 0)


def _character(error: UnexpectedInput) -> Optional[int]:
    """The offset of the character the lexer could not read, or None for a token error."""
    return int(error.pos_in_stream or 0) if isinstance(error, UnexpectedCharacters) else None


def _stack(error: UnexpectedInput) -> list[Any]:
    state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
    return list(getattr(state, "value_stack", None) or [])


def _accepts(error: UnexpectedInput, terminal: str) -> bool:
    """Whether the parser could have taken `terminal` where the error is (`and` where `&&` stands)."""
    if isinstance(error, UnexpectedToken):
        return terminal in (error.expected or ())
    parser = getattr(error, "interactive_parser", None)
    return parser is not None and terminal in parser.accepts()


def _previous_token(error: UnexpectedInput) -> Optional[Token]:
    stack = _stack(error)
    return stack[-1] if stack and isinstance(stack[-1], Token) else None


_WORD = IDENTIFIER


def _first_code(text: str) -> int:
    """Where the first code stands: past blank lines and comments."""
    at = 0
    while True:
        skipped = re.match(r"\s*(#[^\n]*)?", text[at:])
        if skipped is None or not skipped.group(0):
            return at
        at += skipped.end()


def _terminal(spelling: str) -> Optional[str]:
    """The grammar's name for the keyword or symbol written `spelling` (`->`: an anonymous one)."""
    from leadpolicy.syntax.parser import lark_parser

    return next((t.name for t in lark_parser().terminals if t.pattern.type == "str" and t.pattern.value == spelling), None)


@lru_cache(maxsize=1)
def _keywords() -> tuple[str, ...]:
    """Every word of the language (the grammar's keyword terminals)."""
    from leadpolicy.syntax.parser import lark_parser

    words: set[str] = set()
    for terminal in lark_parser().terminals:
        value = terminal.pattern.value
        if terminal.pattern.type == "str":
            words.add(value)
        else:
            choice = re.fullmatch(r"\(\?:([a-z]+(?:\|[a-z]+)*)\)(?:\(\?!\[A-Za-z0-9_\]\))?", value)
            if choice is not None:  # a choice of whole words: UNIT
                words.update(choice.group(1).split("|"))
    return tuple(sorted(w for w in words if w.isidentifier()))


def _end_of_code_before(text: str, offset: int) -> int:
    """The end of the last code before `offset`: past white space and comments."""
    from leadpolicy.syntax.parser import comments

    spans = [(start, start + len(comment)) for start, comment in comments(text[:offset])]
    at = len(text[:offset].rstrip())
    while spans and spans[-1][0] < at <= spans[-1][1]:
        at = len(text[:spans.pop()[0]].rstrip())
    return at


_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


def error_offset(error: UnexpectedInput, text: str) -> int:
    """Where in `text` the parser stopped."""
    character = _character(error)
    if character is not None:
        return character
    token = error.token if isinstance(error, UnexpectedToken) else None
    return len(text) if token is None or token.type == "$END" else _where(token)[0]
