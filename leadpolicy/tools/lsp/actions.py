"""Quick fixes for the diagnostics that carry a suggestion, and formatting.

- a syntax error's hint (`==`, `&&`, `30d`, an unquoted rule name...): its edit,
  the one the `help:` line shows, checked to get the parser past the error;
  and a checker's rewrite (`budget >= "10000"` -> `budget >= 10000`, `is_customer = "yes"`
  -> `is_customer`, a test's `budget: "500"` -> `budget: 500`);
- "did you mean `X`?" (and "write it as declared: `X`"): replace the
  misspelt name inside the diagnostic's range with X (quoted where the
  original was, or where X is not a bare name);
- an `unknown-property` that names a field inside a `did X where ...`:
  parenthesise the `did` so the `where` ends before that condition
  (docs/language-reference.md section 13.10: a `where` extends as far as it can).

Fixes are computed with the diagnostics and travel in their `data`, so a
code-action request needs no second analysis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import islice
from typing import Any, Optional

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Diagnostic, PolicyError, Span
from leadpolicy.syntax.nodes import IDENTIFIER
from leadpolicy.tools.lsp.documents import Unit, is_tests_path
from leadpolicy.tools.lsp.positions import LineIndex, scan, span_contains, span_of

_SUGGESTION = re.compile(r'did you mean `([^`]+)`\?|did you mean "((?:[^"\\]|\\.)*)"\?|write it as declared: `([^`]+)`')
_BACKTICKED = re.compile(r"`([^`]+)`")
_SEPARATORS = " ,\t\r\n"
# What may follow a value on the next line of the same condition (`region\n  = "EMEA"`).
_GOES_ON_AFTER_A_VALUE = frozenset("= != < <= > >= + - * in not is starts ends contains".split())


@dataclass(frozen=True)
class Fix:
    title: str
    path: str
    edits: tuple[tuple[Span, str], ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "edits": [[s.line, s.column, s.end_line, s.end_column, text] for s, text in self.edits],
        }


def fixes(unit: Unit, diagnostic: Diagnostic) -> list[Fix]:
    source = unit.source(diagnostic.path)
    if source is None or diagnostic.span is None:
        return []
    found: list[Fix] = []
    if diagnostic.edit is not None:  # a syntax hint's own edit (leadpolicy/syntax/hints/)
        return [_edit(source.index, diagnostic)]
    replacement = _replacement(source.index, diagnostic)
    if replacement is not None:
        found.append(replacement)
    if diagnostic.help in ("declare it in the `fields` block", "declare it in the `activities` block"):
        declared = _declare(unit, source.index, diagnostic)
        if declared is not None:
            found.append(declared)
    if diagnostic.code == "unknown-property" and diagnostic.help and "end the `where` first" in diagnostic.help:
        paren = _parenthesise(unit, source.index, diagnostic)
        if paren is not None:
            found.append(paren)
    return found


def _edit(lines: LineIndex, d: Diagnostic) -> Fix:
    """The hint's edit, placed from the span's line and column (its offsets are relative to it)."""
    assert d.span is not None and d.edit is not None
    from leadpolicy.check.base import WHOLE_SPAN

    base = lines.offset(d.span.line, d.span.column)
    start, end, replacement = d.edit
    if end == WHOLE_SPAN:  # a checker's rewrite of the whole span (its offsets are the parser's)
        end = lines.offset(d.span.end_line, d.span.end_column) - base
    removed = lines.text[base + start:base + end]
    if replacement.strip():
        title = f"Change to `{replacement.strip()}`"
    elif removed and all(unicodedata.category(c) == "Cf" for c in removed):  # a text-direction control
        title = "Delete the invisible " + ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip() for c in removed)
    else:
        title = f"Remove `{removed.strip(_SEPARATORS) or removed.strip()}`"  # the words, not the comma beside them
    return Fix(title, d.path, ((span_of(lines, base + start, base + end), replacement),))


def _replacement(lines: LineIndex, d: Diagnostic) -> Optional[Fix]:
    from leadpolicy.syntax.parser import quote, unquote

    m = _SUGGESTION.search(d.help or "")
    if m is None:
        return None
    if m.group(2) is not None:
        suggestion = unquote('"' + m.group(2) + '"')
    else:
        suggestion = m.group(1) or m.group(3)
        if suggestion.startswith('"') and suggestion.endswith('"') and len(suggestion) >= 2:
            suggestion = unquote(suggestion)
    if d.span is None:
        return None
    start = lines.offset(d.span.line, d.span.column)
    end = lines.offset(d.span.end_line, d.span.end_column)
    text = lines.text[start:end]
    for wrong in _BACKTICKED.findall(d.message):
        quoted = quote(wrong)
        at = text.rfind(quoted)
        if at >= 0:
            width, new = len(quoted), quote(suggestion)
        else:
            at = _last_word(text, wrong)
            if at < 0:
                continue
            width = len(wrong)
            # a member is quoted when it is no plain name; a field, a stage or a score (`engagement`,
            # `fit`, `grade`: words of the language) is a name, written bare
            new = suggestion if d.code == "unknown-field" else n.member_text(suggestion)
        span = span_of(lines, start + at, start + at + width)
        return Fix(f"Change to {new}", d.path, ((span, new),))
    return None


def _declare(unit: Unit, lines: LineIndex, d: Diagnostic) -> Optional[Fix]:
    """The help "declare it in the `fields` block", done: the name as the last item of the block, a
    field with the type its use shows (`region = "EMEA"`: text); none when the use does not tell."""
    if unit.tree is None or unit.policy is None or d.path != unit.policy.path or d.span is None:
        return None
    start = lines.offset(d.span.line, d.span.column)
    end = lines.offset(d.span.end_line, d.span.end_column)
    name = lines.text[start:end]
    kind = "fields" if "`fields`" in (d.help or "") else "activities"
    if not IDENTIFIER.fullmatch(name):
        return None
    item = name
    if kind == "fields":
        type_name = _type_of_use(lines.text, start, end)
        if type_name is None:
            return None
        item = f"{name}  {type_name}"
    block = unit.tree.block(kind)
    described = f" as {item.split()[-1]}" if kind == "fields" else ""
    if block is None:  # no such block yet: a new one before the first block
        first = next((b for b in unit.tree.blocks if b.span is not None), None)
        if first is None or first.span is None:
            return None
        at = lines.offset(first.span.line, 1)
        return Fix(f"Declare `{name}` in a new `{kind}` block{described}", d.path, ((span_of(lines, at, at), f"{kind} {{\n  {item}\n}}\n\n"),))
    if block.span is None:
        return None
    close = lines.offset(block.span.end_line, block.span.end_column) - 1  # the block's `}`
    line_start = lines.text.rfind("\n", 0, close) + 1
    if lines.text[line_start:close].strip():  # `activities { chat }`: the block on one line
        at, new = close, f"{item} " if lines.text[close - 1:close].isspace() else f" {item} "
    else:
        at, new = line_start, f"{_item_indent(lines, block)}{item}\n"
    where = span_of(lines, at, at)
    return Fix(f"Declare `{name}` in `{kind}`{described}", d.path, ((where, new),))


def _type_of_use(text: str, start: int, end: int) -> Optional[str]:
    """The type a field's use shows: what it is compared with, a text test, `days since`, or alone
    as a condition (a boolean)."""
    before = list(scan(text, max(0, start - 40), start))
    if len(before) >= 2 and before[-1].text == "since" and before[-2].text == "days":
        return "date"
    after = list(islice((tok for tok in scan(text, end) if tok.kind != "comment"), 3))
    following = after[0] if after else None
    next_rule = following is not None and following.kind == "string" and len(after) > 1 and after[1].text == ":"
    next_line = following is not None and "\n" in text[end:following.start] and following.text not in _GOES_ON_AFTER_A_VALUE
    if following is None or following.text in ("and", "or", ")", "}", "max", "within") or next_rule or next_line:
        return "boolean"  # alone, a condition: `when vip and ...`
    if following.text in ("starts", "ends", "contains"):
        return "text"
    value = after[1] if len(after) > 1 else None
    if following.text == "in" and value is not None and value.text == "(":
        value = after[2] if len(after) > 2 else None
    elif following.text not in ("=", "!=", "<", "<=", ">", ">="):
        return None
    kinds = {"number": "number", "string": "text", "date": "date", "timestamp": "date"}
    if value is not None and value.kind in kinds:
        return kinds[value.kind]
    if value is not None and value.text in ("true", "false"):
        return "boolean"
    return None


def _item_indent(lines: LineIndex, block: n.Block) -> str:
    """The indentation of the block's items (its first item's), else two spaces."""
    first = next((item for item in block.items if item.span is not None), None)
    if first is None or first.span is None:
        return "  "
    line = lines.line_text(first.span.line - 1)
    indent = line[: len(line) - len(line.lstrip())]
    return indent if indent and first.span.column - 1 == len(indent) else "  "


def _last_word(text: str, word: str) -> int:
    found = -1
    for m in re.finditer(r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])", text):
        found = m.start()
    return found


def _parenthesise(unit: Unit, lines: LineIndex, d: Diagnostic) -> Optional[Fix]:
    """`did X where a = 1 and budget > 5` -> `(did X where a = 1) and budget > 5`."""
    if unit.tree is None or unit.policy is None or d.path != unit.policy.path:
        return None
    if d.span is None:
        return None
    at = (d.span.line, d.span.column)
    for node in unit.tree.walk():
        if not (isinstance(node, n.Did) and node.where is not None and span_contains(node.where.span, *at)):
            continue
        before = _operand_before(node.where, at)
        if before is None or before.span is None or node.span is None:
            return None
        open_at = Span(node.span.line, node.span.column, node.span.line, node.span.column)
        close_at = Span(before.span.end_line, before.span.end_column, before.span.end_line, before.span.end_column)
        word = "no" if node.negated else "did"
        return Fix(f"End the `where` before this condition: ({word} ... )", d.path, ((open_at, "("), (close_at, ")")))
    return None


def _operand_before(expr: n.Expr, at: tuple[int, int]) -> Optional[n.Expr]:
    """In the and/or chain of a `where`, the operand just before the one holding `at` (deepest first)."""
    if not isinstance(expr, (n.And, n.Or)):
        return None
    for i, operand in enumerate(expr.operands):
        if span_contains(operand.span, *at):
            inner = _operand_before(operand, at)
            if inner is not None:
                return inner
            return expr.operands[i - 1] if i > 0 else None
    return None


def format_document(text: str, path: str) -> Optional[str]:
    """The text in the `leadpolicy fmt` layout, CRLF lines kept as `fmt` keeps them; None when it
    does not parse (nothing to do)."""
    return format_or_refusal(text, path)[0]


def format_or_refusal(text: str, path: str) -> tuple[Optional[str], Optional[str]]:
    """The formatted text, or None and why not, for the editor to say: a request that gets no
    edits and no word looks like a formatter that is broken."""
    from leadpolicy.tools.fmt import format_text, keep_line_endings

    try:
        return keep_line_endings(text, format_text(text, path)), None
    except PolicyError as error:
        return None, cannot_format(error, "the tests file" if is_tests_path(path) else "the policy")


def cannot_format(error: PolicyError, what: str = "the policy") -> str:
    """`cannot format: the policy does not parse (line 3: ...)`, from the first error."""
    first = next((d for d in error.diagnostics if d.is_error), None)
    if first is None:
        return f"cannot format: {what} does not parse"
    where = f"line {first.line}: " if first.line is not None else ""
    return f"cannot format: {what} does not parse ({where}{first.message.splitlines()[0]})"
