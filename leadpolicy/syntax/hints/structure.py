"""Hints for the structure of a policy: its `policy` line, blocks and parentheses left open,
separators between items, quotes and escapes, rule names without quotes or without a name."""

from __future__ import annotations

import re
from typing import Any, Optional

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.hints.common import (
    _STRING,
    Hint,
    _accepts,
    _character,
    _end_of_code_before,
    _first_code,
    _hint,
    _line_bounds,
    _previous_token,
    _span,
    _stack,
    _terminal,
    _where,
    block_keywords,
    error_offset,
    rewritten_line,
)
from leadpolicy.syntax.nodes import IDENTIFIER, quote


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


def single_quotes(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`starts with '/blog'` -> `starts with "/blog"`."""
    start = _character(error)
    if start is None or not _accepts(error, "STRING"):
        return None
    return _single_quoted(text, start)


def quote_slip(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """The single- or curly-quoted string at the character the lexer stopped at, written in double
    quotes, whether or not a string may stand there: `email endswith “@x”` stops at `“`, where
    the glued `endswith` leaves no room for one. The slip to make good before the next one is seen
    (`hint_for`, two slips in one place), never a hint alone."""
    start = _character(error)
    if start is None:
        return None
    return _single_quoted(text, start) or _curly_quoted(text, start)


def _single_quoted(text: str, start: int) -> Optional[Hint]:
    if text[start:start + 1] != "'":
        return None
    end = text.find("'", start + 1, _line_bounds(text, start)[1])
    if end < 0:
        return None
    inner = text[start + 1:end]
    literal = quote(inner)
    return _hint(text, f"strings take double quotes, not `{text[start:end + 1]}`", _span(text, start, end + 1),
                 f"write `{literal}`",
                 (start, end + 1, literal))


# Curly quotes, as word processors, chat tools and slides type them (a policy pasted from a
# document): each opening quote and the quotes that close it (“…”, „…“, «…», ‘…’ ...).
_CURLY = {"“": "”", "”": "”", "„": "“”", "‟": "”", "«": "»", "‘": "’", "’": "’", "‚": "‘’", "‛": "’"}


def curly_quotes(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Competitor": when email ends with “@rival.example”` -> `"@rival.example"`."""
    start = _character(error)
    if start is None or not _accepts(error, "STRING"):
        return None
    return _curly_quoted(text, start)


def _curly_quoted(text: str, start: int) -> Optional[Hint]:
    if text[start:start + 1] not in _CURLY:
        return None
    line_end = _line_bounds(text, start)[1]
    end = next((i for i in range(start + 1, line_end) if text[i] in _CURLY[text[start]]), -1)
    if end < 0:
        return None
    literal = quote(text[start + 1:end])
    return _hint(text, f"strings take straight double quotes `\"`, not `{text[start]}{text[end]}`", _span(text, start, end + 1),
                 f"write `{literal}`", (start, end + 1, literal))


def bracket_list(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`seniority in [vp, cxo]` -> `seniority in (vp, cxo)`: a list is written in parentheses."""
    start = _character(error)
    if start is None or text[start:start + 1] != "[" or not _accepts(error, "LPAR"):
        return None
    previous = _previous_token(error)
    if previous is None or previous.type not in ("IN", "OF"):
        return None
    end = _closing_bracket(text, start)
    if end is None:
        return None
    listed = "(" + text[start + 1:end] + ")"
    return _hint(text, "a list is written in parentheses, not `[...]`", _span(text, start, end + 1),
                 f"write `{listed}`", (start, end + 1, listed))


def _closing_bracket(text: str, start: int) -> Optional[int]:
    """The `]` that closes the `[` at `start` on its line, past the strings in between (`[")"]`: the
    `)` is a member's text), or None when there is none or another bracket comes first."""
    at, line_end = start + 1, _line_bounds(text, start)[1]
    while at < line_end:
        string = _STRING.match(text, at)
        if string is not None:
            at = string.end()
        elif text[at] == "]":
            return at
        elif text[at] in "[{}()":
            return None
        else:
            at += 1
    return None


def expect_with_comparison(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`expect stage = sql` -> `expect stage sql` (as `expect fit = 60` is written, but a stage, a
    grade and a change are named, not compared); `previous stage: lead`, `expect change == new`,
    `expect grade is A` too."""
    if not isinstance(error, UnexpectedToken) or error.token.type not in ("COMPARE", "COLON", "IS"):
        return None
    previous = _previous_token(error)
    if previous is None or previous.type not in ("STAGE", "GRADE", "CHANGE") or set(error.expected or ()) != {"IDENT"}:
        return None
    start = _where(error.token)[0]
    m = re.compile(r"(?:==|=|:|is\b)[ \t]*").match(text, start)
    if m is None:
        return None
    written = text[start:m.end()].strip()
    glued = start > 0 and not text[start - 1].isspace()  # `change:new` keeps a space
    return _hint(text, f"a {previous} is named, not compared with `{written}` (only the scores are: `expect fit = 60`)",
                 _span(text, start, start + len(written)), f"remove `{written}`", (start, m.end(), " " if glued else ""))


def expect_quoting(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`expect hit Demo` -> `expect hit "Demo"` (a rule is named by its string, as it is declared);
    `expect grade "A"`, `expect stage "sql"`, `previous stage "lead"` -> the name unquoted."""
    if not isinstance(error, UnexpectedToken) or error.token.type == "$END":
        return None
    previous = _previous_token(error)
    start, end = _where(error.token)
    if previous is not None and previous.type == "HIT" and set(error.expected or ()) == {"STRING"}:
        line_end = _line_bounds(text, start)[1]
        # the name runs to the line's end, or to the next item of a test written on the same line
        rest = re.match(r"(?:(?!\s(?:expect|activity|fields|previous[ \t]+stage|as[ \t]+of)\b)[^\n#{}\"])*[^\s#{}\"]",
                        text[start:line_end])
        if rest is None:
            return None
        name = rest.group()
        line = text[start:line_end]
        declared = [m.group(1) for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"[ \t]*:', text)]  # the rules' names
        named = [d for d in declared if line.startswith(d) and not line[len(d):len(d) + 1].isalnum()]
        if named:  # `expect hit Seen as of late`: the rule declared, not up to `as of`
            name = max(named, key=len)
        return _hint(text, "a rule is named by its string, in double quotes", _span(text, start, start + len(name)),
                     f"write `{quote(name)}`", (start, start + len(name), quote(name)))
    if previous is not None and previous.type in ("STAGE", "GRADE") and error.token.type == "STRING" \
            and set(error.expected or ()) == {"IDENT"}:
        name = str(error.token)[1:-1]
        if not IDENTIFIER.fullmatch(name):
            return None
        return _hint(text, f"a {previous} is named without quotes, not `{error.token}`", _span(text, start, end),
                     f"write `{name}`", (start, end, name))
    return None


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


def missing_colon(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`"Demo" +10 per demo` -> `"Demo": +10 per demo`: a rule's name is followed by a colon."""
    previous = _previous_token(error)
    if not isinstance(error, UnexpectedToken) or previous is None or previous.type != "STRING" or not _accepts(error, "COLON"):
        return None
    end = _where(previous)[1]
    return _hint(text, f"a colon goes after the rule's name {previous}", _span(text, *_where(previous)), "add it",
                 (end, end, ":"))


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
    demotion = re.match(rf"({IDENTIFIER.pattern})\s*->\s*({IDENTIFIER.pattern})", body)
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
    per = re.search(rf"\bper\s+({IDENTIFIER.pattern})", body)
    placeholder = (f"{demotion.group(1)} to {demotion.group(2)}" if block == "demote" and demotion
                   else per.group(1) if block == "engagement" and per else "Name this rule")
    return _hint(text, f"{_RULE_BLOCKS[block]} starts with its name, in double quotes, and a colon",
                 _span(text, *_where(error.token)), "name it", (start, start, f'"{placeholder}": '))


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


_BETWEEN = re.compile(r"between[ \t]+(-?[0-9][0-9_.]*)[ \t]+and[ \t]+(-?[0-9][0-9_.]*)(?![A-Za-z0-9_])")


def expect_between(error: UnexpectedInput, text: str) -> Optional[Hint]:
    """`expect fit between 10 and 30` -> `expect fit >= 10  expect fit <= 30`: an expectation
    compares a score once (docs/language-reference.md 17); a range is two of them."""
    if not isinstance(error, UnexpectedToken) or str(error.token) != "between":
        return None
    previous = _previous_token(error)
    if previous is None or previous.type not in ("FIT", "ENGAGEMENT"):
        return None
    found = _BETWEEN.match(text, _where(error.token)[0])
    expect = text.rfind("expect", 0, _where(previous)[0])
    if found is None or expect < 0 or text[expect:_where(previous)[0]].strip() != "expect":
        return None
    score, low, high = str(previous), found.group(1), found.group(2)
    both = f"expect {score} >= {low}  expect {score} <= {high}"
    return _hint(text, f"a test expects its {score} with one comparison; a range is two expectations",
                 _span(text, _where(error.token)[0], found.end()), "write two", (expect, found.end(), both))
