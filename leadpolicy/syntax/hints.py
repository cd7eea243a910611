"""Syntax errors that newcomers make, explained with the fix in their own text
(issue 9 item 12). The parser's bare "unexpected X, expected ..." becomes a
message that says what is wrong and a `help:` that shows the line rewritten,
as a compiler's suggestion does.

One small function per mistake; each takes the parse error and the source
text and returns a `Hint` or None. `hint_for` tries them in order. Every hint
carries its edit (`Hint.fix`), so a test can apply it and check that the text
then parses past that point: the fix is a real fix.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Optional

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.nodes import quote

__all__ = ["Hint", "hint_for", "block_keywords", "apply_fix", "error_offset"]

MAX_SHOWN = 100  # a rewritten line longer than this is shown as a window around the fix


@dataclass(frozen=True)
class Hint:
    message: str
    span: Span
    help: str
    fix: tuple[int, int, str]  # replace text[start:end] with this: the edit `help` shows


def apply_fix(text: str, fix: tuple[int, int, str]) -> str:
    start, end, replacement = fix
    return text[:start] + replacement + text[end:]


# ---------------------------------------------------------------- what the grammar says


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


# ---------------------------------------------------------------- showing the fix


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
    return Hint(message, span, f"{advice}{joint}`{rewritten_line(text, fix)}`", fix)


def _spaced(text: str, start: int, end: int, word: str) -> str:
    """`word` to put in place of text[start:end], with a space on each side where none is."""
    left = "" if start == 0 or text[start - 1].isspace() or text[start - 1] == "(" else " "
    right = "" if end >= len(text) or text[end].isspace() or text[end] == ")" else " "
    return left + word + right


# ---------------------------------------------------------------- the parser's state


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


# ---------------------------------------------------------------- one function per mistake


def double_equals(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`fit == 40` -> `fit = 40`."""
    if not isinstance(error, UnexpectedToken) or error.token != "=":
        return None
    previous = _previous_token(error)
    (start, middle), (second, end) = _where(previous) if previous is not None else (0, -1), _where(error.token)
    if previous is None or previous != "=" or middle != second:
        return None
    return _hint(text, "`==` is written `=` in a policy", _span(text, start, end), "compare with one `=`",
                 (middle, end, ""))


# other languages' and mathematics' ways to write a comparison, and the policy's
_COMPARISONS = {"=>": ">=", "=<": "<=", "<>": "!=", "=!": "!=", "≥": ">=", "≤": "<=", "≠": "!="}


def misspelt_comparison(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`fit => 40` -> `fit >= 40`, `x =< 5` -> `x <= 5`, `x <> 5` -> `x != 5`, `fit ≥ 40` -> `fit >= 40`."""
    character = _character(error)
    if character is not None:  # `≥` alone, or the `!` of `=!`, which the lexer cannot read
        glued = character > 0 and text[character - 1:character + 1] == "=!"
        start = character - 1 if glued else character
        written = text[start:character + 1]
        if written not in _COMPARISONS or (not glued and not _accepts(error, "COMPARE")):
            return None
    elif isinstance(error, UnexpectedToken) and error.token.type == "COMPARE":
        previous = _previous_token(error)  # `=>`: `=` read as the comparison, then `>` where a value goes
        if previous is None or previous.type != "COMPARE" or _where(previous)[1] != _where(error.token)[0]:
            return None
        start = _where(previous)[0]
        written = text[start:_where(error.token)[1]]
        if written not in _COMPARISONS:
            return None
    else:
        return None
    end = start + len(written)
    right = _COMPARISONS[written]
    return _hint(text, f"`{written}` is written `{right}` in a policy", _span(text, start, end), f"write `{right}`",
                 (start, end, right))


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def capital_keyword(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`when size >= 10 AND ok` -> `and`, `IS MISSING` -> `is missing`, `FIT {` -> `fit {`: the words of
    the language are lower case, and a word in capitals reads as a name (a fit group, a field). Every
    such word on the line of the error (or, when there is none up to the error, on the line before) is
    written in lower case, outside strings and comments."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    words = _capital_keywords(text, line_start, line_end)
    if not any(start <= at for start, _, _ in words) and line_start > 0:
        line_start, line_end = _line_bounds(text, line_start - 1)  # `... AND` at the end of the line before
        words = _capital_keywords(text, line_start, line_end)
    if not words or words[0][0] > at:
        return None
    return _lowered(text, words)


def capital_keyword_stage(text: str, name_start: int) -> Optional[Hint]:
    """`stages { lead mql when size >= 10 OR ok }` parses, as a stage `OR` with no condition and a
    stage `ok`: the hint for the capital word that starts at `name_start`, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    words = _capital_keywords(text, line_start, line_end)
    if not any(start == name_start for start, _, _ in words):
        return None
    at = next(index for index, (start, _, _) in enumerate(words) if start == name_start)
    return _lowered(text, words[at:])


def _lowered(text: str, words: list[tuple[int, int, str]]) -> Hint:
    """The hint that writes `words` (the first named in the message) in lower case."""
    first, last = words[0][0], words[-1][1]
    null = re.match(r"[ \t]+(?:null|none|nil)\b", text[last:], re.IGNORECASE)  # SQL's `IS NOT NULL`
    if null is not None:
        last += null.end()
    lowered = text[first:last]
    for start, end, word in reversed(words):
        lowered = lowered[:start - first] + word.lower() + lowered[end - first:]
    lowered = re.sub(r"\bis([ \t]+)not[ \t]+(?:null|none|nil)\b", r"is\1present", lowered, flags=re.IGNORECASE)
    lowered = re.sub(r"\bis([ \t]+)(?:null|none|nil)\b", r"is\1missing", lowered, flags=re.IGNORECASE)
    word = words[0][2]
    return _hint(text, f"`{word}` is written `{word.lower()}`: the words of the language are lower case",
                 _span(text, words[0][0], words[0][1]), f"write `{word.lower()}`", (first, last, lowered))


def _capital_keywords(text: str, line_start: int, line_end: int) -> list[tuple[int, int, str]]:
    """The words of the language written with a capital (`AND`, `Within`) on a line, outside strings and comments."""
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    comment = next((at for at in range(line_start, line_end) if text[at] == "#"
                    and not any(a <= at < b for a, b in strings)), line_end)
    words = []
    for found in _WORD.finditer(text, line_start, comment):
        word, (start, end) = found.group(), found.span()
        if word != word.lower() and word.lower() in _keywords() and not any(a <= start < b for a, b in strings):
            words.append((start, end, word))
    return words


_NULLS = ("null", "none", "nil", "undefined")


def null_for_missing(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`email is null` -> `email is missing`, `email is not null` -> `email is present` (SQL's words)."""
    missing = _terminal("missing")
    if not isinstance(error, UnexpectedToken) or missing is None or not _accepts(error, missing):
        return None
    start, end = _where(error.token)
    word = str(error.token)
    if word.lower() in _NULLS:
        written, right = word, "missing"
    else:
        after = re.match(r"[ \t]+([A-Za-z]+)\b", text[end:])
        if word.lower() != "not" or after is None or after.group(1).lower() not in _NULLS:
            return None
        end += after.end()
        written, right = text[start:end], "present"
    return _hint(text, f"`is {written}` is written `is {right}` in a policy", _span(text, start, end),
                 f"write `{right}`", (start, end, right))


_EXPONENT = re.compile(r"(?<![A-Za-z0-9_.])([0-9][0-9_]*(?:\.[0-9][0-9_]*)?)([eE][+-]?[0-9]+)\b")


def exponent_number(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size > 1e3` -> `size > 1000`: a number in a policy has no exponent (`1e3` reads as `1` and a name
    `e3`). The nearest such number on the line up to the error."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    found = [m for m in _EXPONENT.finditer(text, line_start, line_end)
             if m.start() <= at and not any(a <= m.start() < b for a, b in strings)]
    return _exponent_hint(text, found[-1]) if found else None


def _plain(value: float) -> Optional[str]:
    """`value` as a policy writes a number, or None when it cannot be written plainly."""
    if not value == value or abs(value) >= 1e16:
        return None
    written = str(int(value)) if value == int(value) else repr(value)
    return None if "e" in written else written


def _money(m: "re.Match[str]") -> Optional[str]:
    return m.group(1).replace(",", "_")


def _thousands(m: "re.Match[str]") -> Optional[str]:
    return m.group(1).replace(",", "_")


def _suffixed(m: "re.Match[str]") -> Optional[str]:
    return _plain(float(m.group(1).replace("_", "")) * {"k": 1e3, "m": 1e6}[m.group(2).lower()])


# how spreadsheets, CRMs and people write numbers, what a policy writes instead, and what to say
_NUMBER_SPELLINGS: tuple[tuple["re.Pattern[str]", Callable[["re.Match[str]"], Optional[str]], str], ...] = (
    (re.compile(r"(?<![\w.])[$€£]([0-9][0-9_,]*(?:\.[0-9]+)?)"), _money, "a number in a policy has no currency sign"),
    (re.compile(r"(?<![\w.,])([0-9]{1,3}(?:,[0-9]{3})+)(?![\w,])"), _thousands,
     "a number in a policy is written without thousands commas (`_` may group the digits)"),
    (re.compile(r"(?<![\w.])([0-9][0-9_]*(?:\.[0-9]+)?)([kKmM])\b"), _suffixed,
     "a number in a policy is written in full, without `k` or `M`"),
    (re.compile(r"(?<![\w.])\.([0-9]+)\b"), lambda m: "0." + m.group(1), "a number in a policy starts with a digit"),
    (re.compile(r"(?<![\w.])([0-9][0-9_]*)\.(?![\w.])"), lambda m: m.group(1),
     "a number in a policy has digits after its decimal point"),
    (re.compile(r"([+-]?[0-9][0-9_.]*)[ \t]*(?:points|point|pts|pt)\b"), lambda m: m.group(1),
     "points are written as a number alone"),
)


def number_spelling(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`size > 1,000` -> `1_000`, `$1000` -> `1000`, `10k` -> `10000`, `.5` -> `0.5`, `+5 points` -> `+5`:
    the number nearest before the error on its line that a policy writes another way."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    at = error_offset(error, text)
    line_start, line_end = _line_bounds(text, min(at, len(text)))
    strings = [m.span() for m in _STRING.finditer(text, line_start, line_end)]
    best: Optional[tuple[int, "re.Match[str]", Callable[["re.Match[str]"], Optional[str]], str]] = None
    for pattern, rewrite, message in _NUMBER_SPELLINGS:
        for found in pattern.finditer(text, line_start, line_end):
            if found.start() <= at and not any(a <= found.start() < b for a, b in strings) \
                    and (best is None or found.start() > best[0]):
                best = (found.start(), found, rewrite, message)
    if best is None:
        return None
    _, found, rewrite, message = best
    written = rewrite(found)
    if written is None:
        return None
    return _hint(text, f"{message}, not `{found.group()}`", _span(text, found.start(), found.end()), f"write `{written}`",
                 (found.start(), found.end(), written))


def number_suffix_stage(text: str, name_start: int) -> Optional[Hint]:
    """`mql when size > 10k }` parses, as `size > 10` and a stage `k`: the hint, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    pattern, rewrite, message = _NUMBER_SPELLINGS[2]
    found = next((m for m in pattern.finditer(text, line_start, line_end) if m.start(2) == name_start), None)
    written = rewrite(found) if found else None
    if found is None or written is None:
        return None
    return _hint(text, f"{message}, not `{found.group()}`", _span(text, found.start(), found.end()), f"write `{written}`",
                 (found.start(), found.end(), written))


def exponent_stage(text: str, name_start: int) -> Optional[Hint]:
    """`mql when size > 1e3 }` parses, as `size > 1` and a stage `e3`: the hint for the number whose
    exponent starts at `name_start`, or None."""
    line_start, line_end = _line_bounds(text, name_start)
    found = next((m for m in _EXPONENT.finditer(text, line_start, line_end) if m.start(2) == name_start), None)
    return _exponent_hint(text, found) if found else None


def _exponent_hint(text: str, found: "re.Match[str]") -> Optional[Hint]:
    try:
        value = float(found.group().replace("_", ""))
    except ValueError:
        return None
    if not value == value or value in (float("inf"), float("-inf")) or value >= 1e16:
        return None
    written = str(int(value)) if value == int(value) else repr(value)
    if "e" in written:
        return None  # too small to write plainly
    return _hint(text, f"a number in a policy is written without an exponent, not `{found.group()}`",
                 _span(text, found.start(), found.end()), f"write `{written}`", (found.start(), found.end(), written))


def item_separator(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`stages { lead, mql when ... }`, `fields { size number, ok boolean }`, `when ok; }`: the items of a
    block stand one after another, on lines of their own or after a space, with no `,` or `;` between."""
    at = _character(error)
    if at is not None:
        if text[at:at + 1] != ";" or not _accepts(error, "RBRACE"):
            return None
    elif isinstance(error, UnexpectedToken) and error.token == "," and "RBRACE" in (error.expected or ()):
        at = _where(error.token)[0]
    else:
        return None
    separator = text[at]
    if separator == ";" and _accepts(error, "COMMA"):  # a test's `fields { size: 5; ok: true }`
        return _hint(text, "the items of a list are separated by `,`, not `;`", _span(text, at, at + 1), "write `,`",
                     (at, at + 1, ","))
    keep = "" if at + 1 >= len(text) or text[at + 1].isspace() else " "
    return _hint(text, f"the items of a block are not separated by `{separator}`",
                 _span(text, at, at + 1), "put each on a line of its own, or leave a space", (at, at + 1, keep))


_HEADER = re.compile(r'policy[ \t]+("(?:[^"\\\n]|\\.)*"|[^\s"]+(?:[ \t]+(?!version\b)[^\s"]+)*)'
                     r'(?:[ \t]+version[ \t]+("(?:[^"\\\n]|\\.)*"|[^\s"]+))?(?=[ \t]*(?:\n|$|#))')


def policy_header(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """The first line, `policy "NAME" version "V"`: missing (`fields {` first), without its version, or with
    the name or version unquoted (`policy Acme version 1`)."""
    if not isinstance(error, (UnexpectedToken, UnexpectedCharacters)):
        return None
    policy = _terminal("policy")
    at = error_offset(error, text)
    start = _first_code(text)
    if policy is not None and _accepts(error, policy) and at == start:  # no header at all
        header = 'policy "Name" version "1"\n'
        return Hint("a policy starts with its name and version", _span(text, at, min(at + 1, len(text))),
                    f"add the first line, with your policy's name: `{header.strip()}`", (at, at, header))
    found = _HEADER.match(text, start)
    if found is None or not found.start() <= at <= found.end() + 1:
        return None
    name = found.group(1) if found.group(1).startswith('"') else quote(found.group(1))
    version = found.group(2) or '"1"'
    version = version if version.startswith('"') else quote(version)
    fixed = f"policy {name} version {version}"
    if fixed == found.group(0).rstrip():
        return None
    message = ("the policy line also needs a version" if found.group(2) is None
               else "the policy's name and version are written in double quotes")
    return _hint(text, message, _span(text, found.start(), found.end()), "write", (found.start(), found.end(), fixed))


def _first_code(text: str) -> int:
    """Where the first code stands: past blank lines and comments."""
    at = 0
    while True:
        skipped = re.match(r"\s*(#[^\n]*)?", text[at:])
        if skipped is None or not skipped.group(0):
            return at
        at += skipped.end()


_SYMBOL_WORDS = {"&&": "and", "&": "and", "||": "or", "|": "or"}


def symbol_for_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`a && b` -> `a and b`, `a || b` -> `a or b`."""
    start = _character(error)
    if start is None:
        return None
    symbol = text[start:start + 2] if text[start:start + 2] in _SYMBOL_WORDS else text[start:start + 1]
    word = _SYMBOL_WORDS.get(symbol)
    if word is None or not _accepts(error, word.upper()):
        return None
    end = start + len(symbol)
    return _hint(text, f"`{symbol}` is written `{word}` in a policy", _span(text, start, end), f"write `{word}`",
                 (start, end, _spaced(text, start, end, word)))


def bang_for_not(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`when !is_customer` -> `when not is_customer` (`!=` stays a comparison)."""
    start = _character(error)
    if start is None:
        return None
    if text[start:start + 1] != "!" or text[start + 1:start + 2] == "=" or not _accepts(error, "NOT"):
        return None
    return _hint(text, "`!` is written `not` in a policy", _span(text, start, start + 1), "write `not`",
                 (start, start + 1, _spaced(text, start, start + 1, "not")))


def single_quotes(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`starts with '/blog'` -> `starts with "/blog"`."""
    start = _character(error)
    if start is None or text[start:start + 1] != "'" or not _accepts(error, "STRING"):
        return None
    end = text.find("'", start + 1, _line_bounds(text, start)[1])
    if end < 0:
        return None
    inner = text[start + 1:end]
    literal = quote(inner)
    return _hint(text, f"strings take double quotes, not `{text[start:end + 1]}`", _span(text, start, end + 1),
                 f"write `{literal}`",
                 (start, end + 1, literal))


def unknown_escape(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"@rival\\n.example"`: the string is closed, but `\\n` is no escape of the language."""
    quote = _character(error)
    if quote is None or text[quote:quote + 1] != '"' or not _accepts(error, "STRING"):
        return None
    line_end = _line_bounds(text, quote)[1]
    at = quote + 1
    while at < line_end and text[at] != '"':
        if text[at] == "\\":
            after = text[at + 1:at + 2]
            if after and after in '"\\':
                at += 2
                continue
            if not after or at + 1 >= line_end or text.find('"', at + 1, line_end) < 0:
                return None  # a backslash at the end of an unclosed string: "not closed" says it
            return _hint(text, 'strings take only `\\"` and `\\\\` as escapes', _span(text, at, at + 2),
                         f"`\\{after}` is no escape; write a backslash as `\\\\`", (at, at + 1, "\\\\"))
        at += 1
    return None


def trailing_comma(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`in (director, vp, cxo,)` -> `in (director, vp, cxo)`."""
    if not isinstance(error, UnexpectedToken) or error.token != ")":
        return None
    previous = _previous_token(error)
    if previous is None or previous != ",":
        return None
    start, end = _where(previous)
    return _hint(text, "a list in `( )` takes no comma after its last item", _span(text, start, end),
                 "remove the last comma", (start, end, ""))


def signed_cap(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`max -50` -> `max 50`: a cap is a number of points."""
    if not isinstance(error, UnexpectedToken) or error.token.type not in ("MINUS", "PLUS"):
        return None
    previous = _previous_token(error)
    if previous is None or previous != "max":
        return None
    start, sign_end = _where(error.token)
    end = sign_end
    while end < len(text) and text[end] in " \t":
        end += 1
    written = f"max {text[start:end]}{_number_after(text, end)}"
    return _hint(text, f"caps are written without a sign, not `{written}`", _span(text, start, sign_end),
                 "a cap is a number of points", (start, end, ""))


def _number_after(text: str, at: int) -> str:
    end = at
    while end < len(text) and (text[end].isalnum() or text[end] in "._"):
        end += 1
    return text[at:end]


def misspelt_keyword(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`disqualfy {` -> `disqualify {`: a word where only keywords may stand, close to one of them."""
    if not isinstance(error, UnexpectedToken) or "IDENT" in (error.expected or ()):
        return None
    token = error.token
    word = str(token)
    if token.type == "$END" or not word.isidentifier():
        return None
    keywords = [w for w in (_spelling(t) for t in sorted(error.expected or ())) if w and w.isidentifier()]
    close = difflib.get_close_matches(word, keywords, n=1, cutoff=0.6)
    if not close or close[0] == word:
        return None
    blocks = set(block_keywords())
    message = f"`{word}` is not a kind of block" if set(keywords) <= blocks else f"`{word}` is not a word of the language"
    return _hint(text, message, Span.from_token(token), f"did you mean `{close[0]}`?",
                 (*_where(token), close[0]))


_BARE_NAME = re.compile(r"[ \t]*([A-Za-z][^\"':{}()#\n]*?)[ \t]*:")


def unquoted_rule_name(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`Visited pricing: +20 per ...` -> `"Visited pricing": +20 per ...`: a rule's name is a string."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    at = _where(error.token)[0]
    line_start, line_end = _line_bounds(text, at)
    begin = max(line_start, text.rfind("{", line_start, at) + 1)  # a rule first on its line, or after `{`
    found = _BARE_NAME.match(text, begin, line_end)
    if found is None or not found.start(1) <= at < found.end(0):
        return None
    name = found.group(1)
    return _hint(text, f"a rule's name is written in double quotes, not `{name}`",
                 _span(text, found.start(1), found.end(1)), "quote it",
                 (found.start(1), found.end(1), quote(name)))


def _terminal(spelling: str) -> Optional[str]:
    """The grammar's name for the keyword or symbol written `spelling` (`->`: an anonymous one)."""
    from leadpolicy.syntax.parser import lark_parser

    return next((t.name for t in lark_parser().terminals if t.pattern.type == "str" and t.pattern.value == spelling), None)


def missing_colon(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Demo" +10 per demo` -> `"Demo": +10 per demo`: a rule's name is followed by a colon."""
    previous = _previous_token(error)
    if not isinstance(error, UnexpectedToken) or previous is None or previous.type != "STRING" or not _accepts(error, "COLON"):
        return None
    end = _where(previous)[1]
    return _hint(text, f"a colon goes after the rule's name {previous}", _span(text, *_where(previous)), "add it",
                 (end, end, ":"))


# the parts after an activity, in the order they must come: `did ACT where COND at least N times within D`,
# `per ACT where COND within D max M`
_CLAUSES = {
    "at": re.compile(r"at[ \t]+least[ \t]+[0-9][0-9_]*[ \t]+times\b"),
    "within": re.compile(r"within[ \t]+[0-9][0-9_.]*[ \t]*[A-Za-z]+\b"),
    "max": re.compile(r"max[ \t]+[0-9][0-9_.]*\b"),
    # a `where` moved only when its condition is plainly its own: one line, no `and`, `or` or bracket
    "where": re.compile(r"where[ \t]+(?:(?!\b(?:and|or|max|within|at)\b)[^\n#{}()])+?(?=[ \t]*(?:[})#\n]|$|max\b|within\b|at\b))"),
}
_ORDER = ("where", "at", "within", "max")


def clause_order(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`per visit max 10 within 7 days` -> `within 7 days max 10`; `did visit within 7 days where
    page = "/x"` -> `did visit where page = "/x" within 7 days`: the parts after an activity in their order."""
    if not isinstance(error, UnexpectedToken) or str(error.token) not in _CLAUSES:
        return None
    start = _where(error.token)[0]
    moved = _CLAUSES[str(error.token)].match(text, start)
    if moved is None:
        return None
    line_start = _line_bounds(text, start)[0]
    before = text[line_start:start].rstrip(" \t")
    earlier = None
    for word in _ORDER[_ORDER.index(str(error.token)) + 1:]:  # a part that must come after the one here
        for found in _CLAUSES[word].finditer(text, line_start, line_start + len(before)):
            if found.end() == line_start + len(before):
                earlier = found
    if earlier is None:
        return None
    later = str(error.token)
    fix = (earlier.start(), moved.end(), f"{moved.group()} {earlier.group()}")
    shown = "at least" if later == "at" else later
    first = "at least" if earlier.group().startswith("at") else earlier.group().split()[0]
    return _hint(text, f"`{shown}` comes before `{first}` (after an activity: `where`, `at least`, `within`, `max`)",
                 _span(text, start, moved.end()), "put it first", fix)


def times_without_at_least(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`did visit 2 times within 7 days` -> `did visit at least 2 times within 7 days`."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    start = _where(error.token)[0]
    count = re.compile(r"[0-9][0-9_]*[ \t]+times\b").match(text, start)
    if count is None or not re.search(r"\bdid\b", text[_line_bounds(text, start)[0]:start]):
        return None
    return _hint(text, "a count of activities is written `at least N times`", _span(text, start, count.end()),
                 "add `at least`", (start, start, "at least "))


# other words for `per` and `when`, where the rule needs one of them
_RULE_WORDS = {"each": "per", "for": "per", "every": "per", "if": "when", "where": "when", "whenever": "when"}


def rule_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Demo": +10 each form_submit` -> `per`; `"Big": +5 if size > 100` -> `when`."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    word = str(error.token)
    right = _RULE_WORDS.get(word.lower())
    terminal = _terminal(right) if right else None
    if right is None or terminal is None or not _accepts(error, terminal):
        return None
    start, end = _where(error.token)
    return _hint(text, f"`{word}` is written `{right}` here", _span(text, start, end), f"write `{right}`",
                 (start, end, right))


# what people write for a demotion's arrow
_ARROWS = ("to", "=>", "→", "⇒", "-->", ">")


def arrow_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Went quiet": sql to mql when ...` -> `sql -> mql`: a demotion's stages are joined by `->`."""
    arrow = _terminal("->")
    if arrow is None or not _accepts(error, arrow):
        return None
    at = error_offset(error, text)
    written = next((w for w in sorted(_ARROWS, key=len, reverse=True) if text.startswith(w, at)), None)
    if written is None or (written.isalpha() and text[at + len(written):at + len(written) + 1].isalnum()):
        return None
    return _hint(text, f"a demotion goes from one stage to another with `->`, not `{written}`",
                 _span(text, at, at + len(written)), "write", (at, at + len(written), "->"))


# a string after these is a value of the condition
_VALUE_BEFORE = re.compile(r"(?:[=<>(,+*-]|\b(?:with|contains|in|of|is|not|and|or|when|where))$")
_RULE_BLOCKS = {"engagement": "an engagement rule", "fit": "a fit rule", "demote": "a demotion rule",
                "disqualify": "a disqualify rule"}


def _rule_block(error: UnexpectedInput) -> Optional[str]:
    """The rule block the parser is in (a fit group's block is `fit`), from its stack, or None."""
    from leadpolicy.syntax.errors import _open_bracket

    stack = _stack(error)
    end = len(stack)
    while True:
        index, keyword = _open_bracket(stack, end)
        if index < 0 or stack[index] != "{":
            return None
        if keyword in _RULE_BLOCKS:
            return keyword
        end = index - 1  # a fit group: the block around it


def rule_without_name(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """A rule that does not start with its name: `sql -> mql "Went quiet" when ...`,
    `+5 when budget >= 1000 "Budget"` (the name moved to the front) or `+10 per demo`,
    `when is_customer` (a name to write: the activity, the stages, or a placeholder)."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    block = _rule_block(error)
    if block is None:
        return None
    at = _where(error.token)[0]
    line_start, line_end = _line_bounds(text, at)
    start = max(line_start, text.rfind("{", line_start, at) + 1)
    while start < line_end and text[start] in " \t":
        start += 1
    body = text[start:line_end]
    demotion = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*->\s*([A-Za-z_][A-Za-z0-9_]*)", body)
    if block == "demote":
        shaped = demotion is not None
    elif block == "disqualify":
        shaped = re.match(r"when\b", body) is not None
    else:
        shaped = re.match(r"[+-]?\s*[0-9]", body) is not None
    if not shaped or start > at:
        return None
    # the name written elsewhere on the line: just before `when` or `per`, or last on the line after
    # something a string cannot follow as a value (`budget >= 1000 "Budget"`, not `ends with "@x.com"`)
    name = None
    for found in _STRING.finditer(text, start, line_end):
        rest, before = text[found.end():line_end], text[start:found.start()].rstrip()
        if re.match(r"\s*(when|per)\b", rest) or (not rest.strip() and not _VALUE_BEFORE.search(before)):
            name = found
            break
    if name is not None:
        kept = (text[start:name.start()].rstrip() + " " + text[name.end():line_end].lstrip()).strip()
        fix = (start, line_end, f"{name.group()}: {kept}")
        return _hint(text, f"{_RULE_BLOCKS[block]} starts with its name", _span(text, name.start(), name.end()),
                     "write the name first, then a colon", fix)
    per = re.search(r"\bper\s+([A-Za-z_][A-Za-z0-9_]*)", body)
    placeholder = (f"{demotion.group(1)} to {demotion.group(2)}" if block == "demote" and demotion
                   else per.group(1) if block == "engagement" and per else "Name this rule")
    return _hint(text, f"{_RULE_BLOCKS[block]} starts with its name, in double quotes, and a colon",
                 _span(text, *_where(error.token)), "name it", (start, start, f'"{placeholder}": '))


def glued_word(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`within 90 dayz` -> `within 90 days`: the lexer took the keyword `day` out of a longer, misspelt
    word, and stopped at the rest (`z`)."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    start, end = _where(error.token)
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    word = text[start:end]
    if start == _where(error.token)[0] or not word.isidentifier():
        return None  # not glued to what stands before it
    close = difflib.get_close_matches(word, _keywords(), n=3, cutoff=0.75)
    if not close:
        return None
    close.sort(key=lambda w: len(w) != len(word))  # `dayz`: `days` (one letter changed) before `day`
    return _hint(text, f"`{word}` is not a word of the language", _span(text, start, end),
                 f"did you mean `{close[0]}`?", (start, end, close[0]))


# what people write for a unit, and the unit (singular); months and years have none
_UNIT_SPELLINGS = {"d": "day", "dy": "day", "dys": "day", "h": "hour", "hr": "hour", "hrs": "hour",
                   "w": "week", "wk": "week", "wks": "week"}
_CALENDAR_UNITS = {"m": 30, "mo": 30, "mos": 30, "mon": 30, "month": 30, "months": 30,
                   "y": 365, "yr": 365, "yrs": 365, "year": 365, "years": 365}


def abbreviated_unit(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`within 30d` -> `within 30 days`; `within 3 months` -> `within 90 days` (no month unit:
    a month is not a fixed length, so the policy says how many days it means)."""
    if not isinstance(error, UnexpectedToken) or error.token.type != "IDENT" or "UNIT" not in (error.expected or ()):
        return None
    previous = _previous_token(error)
    word = str(error.token)
    if previous is None or not re.fullmatch(r"[0-9][0-9_]*(\.[0-9][0-9_]*)?", str(previous)):
        return None
    start, end = _where(error.token)
    number_start, number_end = _where(previous)
    amount = float(str(previous).replace("_", ""))
    unit = _UNIT_SPELLINGS.get(word.lower())
    if unit is not None:
        written = f"{'' if number_end < start else ' '}{unit}{'' if amount == 1 else 's'}"
        return _hint(text, f"`{word}` is not a unit", _span(text, start, end), "write the unit in full",
                     (start, end, written))
    days = _CALENDAR_UNITS.get(word.lower())
    if days is None:
        return None
    total = amount * days
    count = str(int(total)) if total == int(total) else repr(total)
    return _hint(text, f"there is no unit `{word}`: a duration is in hours, days or weeks",
                 _span(text, number_start, end), f"say how many days you mean, such as {days} a {'month' if days == 30 else 'year'}",
                 (number_start, end, f"{count} days"))


@lru_cache(maxsize=1)
def _keywords() -> tuple[str, ...]:
    """Every word of the language (the grammar's keyword terminals)."""
    from leadpolicy.syntax.parser import lark_parser

    words: set[str] = set()
    for terminal in lark_parser().terminals:
        value = terminal.pattern.value
        if terminal.pattern.type == "str":
            words.add(value)
        elif re.fullmatch(r"\(\?:[a-z]+(?:\|[a-z]+)*\)", value):  # a choice of words: UNIT
            words.update(value[3:-1].split("|"))
    return tuple(sorted(w for w in words if w.isidentifier()))


_TYPE_WORDS = {"integer": "number", "int": "number", "float": "number", "decimal": "number", "double": "number",
               "numeric": "number", "money": "number", "currency": "number", "bool": "boolean", "string": "text",
               "str": "text", "varchar": "text", "email": "text", "datetime": "date", "timestamp": "date",
               "time": "date", "enum": "one of", "choice": "one of", "select": "one of"}


def type_synonym(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`company_size integer` -> `company_size number`, `tier enum(a, b)` -> `tier one of (a, b)`,
    `(path: text)` -> `(path text)`: where a type must stand, another language's word for it."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    expected = {_spelling(t) for t in error.expected or ()}
    if not {"number", "text", "boolean", "date"} <= expected:
        return None
    start, end = _where(error.token)
    word = str(error.token)
    previous = _previous_token(error)
    if word != ":" and word.lower() not in _TYPE_WORDS and previous is not None and previous.type == "IDENT":
        # `created datetime`: read as the type `date` and then a field `time`, which has no type
        start, end = _where(previous)
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        word = text[start:end]
        if word == str(previous) or word.lower() not in _TYPE_WORDS:
            return None
    if word == ":":  # `path: text`: a colon between a name and its type
        return _hint(text, "a name and its type are written without a colon", _span(text, start, end),
                     "remove the colon", (start, end, "" if text[end:end + 1].isspace() or text[start - 1:start].isspace()
                                                     else " "))
    kind = _TYPE_WORDS.get(word.lower())
    if kind is None:
        return None
    replacement = _spaced(text, start, end, kind) if kind == "one of" else kind
    return _hint(text, f"`{word}` is not a type of the language (types: text, number, boolean, date, one of (...))",
                 _span(text, start, end), f"write `{kind}`", (start, end, replacement))


def unclosed_block(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """A missing `}`: reported at the `{` it leaves open, naming the block, not at the next block's keyword."""
    if not isinstance(error, UnexpectedToken):
        return None
    token = error.token
    if "RBRACE" not in (error.expected or ()) or (token.type != "$END" and not _starts_a_block(token, text)):
        return None
    stack = _stack(error)
    index = _innermost_open(stack)
    if index < 0 or stack[index] != "{":
        return None
    opened = stack[index]
    before = str(stack[index - 1]) if index and isinstance(stack[index - 1], Token) else None
    if before in block_keywords():
        what = f"the `{before}` block"
    elif before is not None and before.startswith('"'):
        what = f"the test {before}"
    else:
        what = f"the group `{before}`" if before else "the block"
    message = f"{what} opened here is not closed"
    if token.type == "$END":
        newline = "" if text.endswith("\n") else "\n"
        fix = (len(text), len(text), newline + "}\n")
        help_ = "close it with `}` at the end of the file"
    else:
        fix = (_where(token)[0], _where(token)[0], "}\n")
        help_ = f"close it with `}}` before `{token}` on line {token.line}"
    return Hint(message, Span.from_token(opened), help_, fix)


def unclosed_parenthesis(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`when (x > 1 }`: reported at the `(` left open, with `)` put where the parser wanted it."""
    if not isinstance(error, UnexpectedToken) or "RPAR" not in (error.expected or ()):
        return None
    token = error.token
    if token.type != "RBRACE" and not _starts_a_block(token, text):
        return None
    stack = _stack(error)
    index = _innermost_open(stack)
    if index < 0 or stack[index] != "(":
        return None
    at = _end_of_code_before(text, _where(token)[0])  # right after what the parenthesis holds
    fix = (at, at, ")")
    help_ = f"close it with `)`: `{rewritten_line(text, fix)}`"
    return Hint("the `(` opened here is not closed", Span.from_token(stack[index]), help_, fix)


def _end_of_code_before(text: str, offset: int) -> int:
    """The end of the last code before `offset`: past white space and comments."""
    from leadpolicy.syntax.parser import comments

    spans = [(start, start + len(comment)) for start, comment in comments(text[:offset])]
    at = len(text[:offset].rstrip())
    while spans and spans[-1][0] < at <= spans[-1][1]:
        at = len(text[:spans.pop()[0]].rstrip())
    return at


def _innermost_open(stack: list[Any]) -> int:
    """The index of the innermost `{` or `(` left open on the parser's stack, or -1. A bracket
    closed by the token just read is still there, with its closer, until the next reduction."""
    closers = 0
    for index in range(len(stack) - 1, -1, -1):
        item = stack[index]
        if isinstance(item, Token) and item in ("}", ")"):
            closers += 1
        elif isinstance(item, Token) and item in ("{", "("):
            if not closers:
                return index
            closers -= 1
    return -1


def _starts_a_block(token: Token, text: str) -> bool:
    """A block keyword first on its line and followed by `{` (or, for `test`, by a name and `{`)."""
    if str(token) not in block_keywords():
        return False
    start, end = _where(token)
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return False
    rest = text[end:].lstrip()
    name = _STRING.match(rest) if str(token) == "test" else None
    if name is not None:
        rest = rest[name.end():].lstrip()
    return rest.startswith("{")


_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


HINTS: tuple[Callable[[UnexpectedInput, str], Optional[Hint]], ...] = (
    policy_header,
    unclosed_block,
    unclosed_parenthesis,
    double_equals,
    misspelt_comparison,
    capital_keyword,
    null_for_missing,
    exponent_number,
    clause_order,
    times_without_at_least,
    rule_word,
    symbol_for_word,
    bang_for_not,
    single_quotes,
    unknown_escape,
    trailing_comma,
    item_separator,
    signed_cap,
    type_synonym,
    misspelt_keyword,
    abbreviated_unit,
    glued_word,
    number_spelling,  # after the units: `within 10m` is ten months or minutes, not 10,000,000
    missing_colon,
    arrow_word,
    rule_without_name,  # before unquoted_rule_name: `when 2026-01-01T00:00:00Z ...` is no name
    unquoted_rule_name,
)


def hint_for(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """The first hint that knows this mistake and whose fix gets the parser past it, or None
    (the parser's own message then). A hint whose edit would not help is never shown."""
    for hint in HINTS:
        found = hint(error, text)
        if found is not None and _gets_past(error, text, found.fix):
            return found
    return None


def error_offset(error: UnexpectedInput, text: str) -> int:
    """Where in `text` the parser stopped."""
    character = _character(error)
    if character is not None:
        return character
    token = error.token if isinstance(error, UnexpectedToken) else None
    return len(text) if token is None or token.type == "$END" else _where(token)[0]


def _gets_past(error: UnexpectedInput, text: str, fix: tuple[int, int, str]) -> bool:
    """Whether, with the edit made, the text parses or first fails beyond the edit and the old error."""
    from leadpolicy.syntax.parser import lark_parser

    state = getattr(getattr(error, "interactive_parser", None), "parser_state", None)
    start_symbol = getattr(getattr(state, "parse_conf", None), "start", "start")
    start, end, replacement = fix
    fixed = apply_fix(text, fix)
    try:
        lark_parser().parse(fixed, start=start_symbol)
    except UnexpectedInput as after:
        old = error_offset(error, text)
        shifted = old + len(replacement) - (end - start) if old >= end else start
        return error_offset(after, fixed) > max(shifted, start + len(replacement))
    return True
