"""Syntax errors as diagnostics: what the parser expected, in words, at the token
that stopped it; reserved words used as names; the hints of `syntax/hints/`.
Used by `parser.py`."""

from __future__ import annotations

from typing import Any, Optional

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.diagnostics import Diagnostic, Span
from leadpolicy.syntax.nodes import RESERVED_WORDS

# ---------------------------------------------------------------- syntax errors

_FRIENDLY = {
    "IDENT": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "DATE": "a date",
    "TIMESTAMP": "a timestamp",
    "UNIT": "a unit (hours, days, weeks)",
    "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "$END": "the end of the file",
}


def _describe_terminal(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    try:
        from leadpolicy.syntax.parser import lark_parser  # parser imports this module

        pattern = lark_parser().get_terminal(name).pattern
    except KeyError:
        return name.lower()
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _describe_token(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token}`"




# What a name directly inside `KEYWORD {` declares (for `reserved-name`).
_DECLARED_IN = {"fields": "field", "activities": "activity", "stages": "stage", "fit": "group", "grades": "grade"}
# After these, a name would be an operand: a value is what is missing.
_OPERATORS = frozenset(
    "= != < <= > >= + - * ( , and or not in when where with contains is of since at least".split()
)


def _open_bracket(stack: list[Any], end: int) -> tuple[int, Optional[str]]:
    """The innermost unclosed `{` or `(` on the parser's stack before `end`, and the word before it.
    Closed brackets are mostly reduced into subtrees by then; a pair not yet reduced (`one of
    (a, b)` just before the error: the parser reduces on the next token) is skipped."""
    closed = 0
    for index in range(end - 1, -1, -1):
        item = stack[index]
        if isinstance(item, Token) and item in ("}", ")"):
            closed += 1
        elif isinstance(item, Token) and item in ("{", "("):
            if closed:
                closed -= 1
                continue
            before = stack[index - 1] if index else None
            return index, str(before) if isinstance(before, Token) else None
    return -1, None


def _declared_here(stack: list[Any]) -> Optional[str]:
    """What a name at this point of a declaration would declare, or None (an operand, a reference)."""
    previous = str(stack[-1]) if stack and isinstance(stack[-1], Token) else None
    if previous == ":":  # `name: value` in a test: a value, never a declaration
        return None
    index, keyword = _open_bracket(stack, len(stack))
    if index < 0:
        return None
    if stack[index] == "(":
        if previous not in ("(", ","):
            return None
        if keyword == "of" and index >= 2 and stack[index - 2] == "one":
            return "enum member"
        outer, outer_keyword = _open_bracket(stack, index)
        return "property" if outer >= 0 and stack[outer] == "{" and outer_keyword == "activities" else None
    if previous in _OPERATORS:
        return None
    return _DECLARED_IN.get(keyword or "")


def _reserved_word_diagnostic(error: UnexpectedToken, path: str) -> Diagnostic:
    token = error.token
    word = str(token)
    span = Span.from_token(token)
    stack = list(getattr(getattr(error.interactive_parser, "parser_state", None), "value_stack", None) or [])
    what = _declared_here(stack)
    if what == "enum member":
        return Diagnostic(
            "reserved-name",
            "error",
            f"`{word}` is a word of the language and cannot be an enum member as it stands",
            span,
            f'write the member as a string: `"{word}"`',
            path,
        )
    if what is not None:
        suffix = "stage" if what == "stage" else "value"
        return Diagnostic(
            "reserved-name",
            "error",
            f"`{word}` is a word of the language and cannot name a {what}",
            span,
            f"choose another name, such as `{word}_{suffix}`",
            path,
        )
    previous = stack[-1] if stack else None
    if word == "no" and isinstance(previous, Token) and previous == ":" and len(stack) >= 2 and isinstance(stack[-2], Token):
        return Diagnostic(  # `vip: no` in a test
            "syntax-error",
            "error",
            "`no` is a word of the language, not a value",
            span,
            f"a boolean is `true` or `false`: write `{stack[-2]}: false`",
            path,
        )
    if isinstance(previous, Token) and previous == ":" and len(stack) >= 2 and isinstance(stack[-2], Token):
        return Diagnostic(  # `tier: stage` in a test: a member spelt like a word of the language
            "syntax-error",
            "error",
            f"`{word}` is a word of the language, not a value",
            span,
            f'as a value, write it in double quotes: `{stack[-2]}: "{word}"`',
            path,
        )
    value = "NUMBER" in error.expected
    wanted = "a value" if value else "a name"
    message = f"expected {wanted} after `{previous}`" if isinstance(previous, Token) else f"unexpected `{word}`"
    example = "a number, a string, a field or a score" if value else "a name that is not a word of the language"
    return Diagnostic(
        "syntax-error",
        "error",
        message,
        span,
        f"`{word}` is a word of the language, never a name: write {example} here",
        path,
    )


def syntax_diagnostic(error: UnexpectedInput, text: str, path: str) -> Diagnostic:
    from leadpolicy.syntax.hints import hint_for  # only on the error path

    hint = hint_for(error, text)
    if hint is not None:
        start, end, replacement = hint.fix
        edit = (start - hint.span.start, end - hint.span.start, replacement)
        return Diagnostic("syntax-error", "error", hint.message, hint.span, hint.help, path, edit=edit)
    if (
        isinstance(error, UnexpectedToken)
        and error.token.type != "$END"
        and str(error.token) in RESERVED_WORDS
        and "IDENT" in (error.expected or ())
    ):
        return _reserved_word_diagnostic(error, path)
    line, column = max(error.line, 1), max(error.column, 1)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""  # type: ignore[index,operator]  # lark: Optional, always set here
        span = Span(line, column, line, column + 1, error.pos_in_stream, error.pos_in_stream + 1)  # type: ignore[arg-type,operator]  # as above
        if char == '"':
            return Diagnostic(
                "syntax-error",
                "error",
                "this string is not closed",
                span,
                'end the string with `"` on the same line; write `\\"` for a quote inside it',
                path,
            )
        return Diagnostic("syntax-error", "error", f"unexpected character `{char}`", span, _expected_help(error), path)
    if isinstance(error, UnexpectedEOF):
        return Diagnostic("syntax-error", "error", "unexpected end of file", _end_span(text), _expected_help(error), path)
    token = error.token if isinstance(error, UnexpectedToken) else None
    if token is not None and token.type != "$END":
        span = Span.from_token(token)
        message = f"unexpected {_describe_token(token)}"
    else:
        span = _end_span(text)
        message = "unexpected end of file"
    return Diagnostic("syntax-error", "error", message, span, _expected_help(error), path)


def _end_span(text: str) -> Span:
    """Just past the last character that is not white space."""
    end = len(text.rstrip())
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Span(line, column, line, column + 1, end, end + 1)


def _expected_help(error: UnexpectedInput) -> Optional[str]:
    names = getattr(error, "expected", None) or getattr(error, "allowed", None) or ()
    expected = sorted({_describe_terminal(t) for t in names if not t.startswith("__")})
    if not expected:
        return None
    if len(expected) > 8:
        expected = expected[:8] + ["..."]
    return "expected " + ", ".join(expected)


