"""A JSON file a command cannot read, shown as a policy error is: where, the line, a caret,
and a hint that shows the fix in the file's own text (the common slips of hand-written JSON:
a comma after the last item, single quotes, a bare key, Python's True/None); and a lead's
data error, shown at the value it names when the file's text holds it once."""

from __future__ import annotations

import json
import re
from typing import Optional

from leadpolicy.syntax.diagnostics import Diagnostic, Span, line_text, lines_of, render_one, shown_path

WINDOW = 100  # characters shown around the error on a long line (JSON on one line)


def _before(text: str, pos: int) -> str:
    """The last character before `pos` that is not JSON whitespace."""
    stripped = text[:pos].rstrip(" \t\r\n")
    return stripped[-1:] if stripped else ""


def json_hint(text: str, error: json.JSONDecodeError) -> Optional[str]:
    """What to write instead, in the file's own words, for the slips JSON's message leaves unclear."""
    pos, here = error.pos, text[error.pos:error.pos + 1]
    if here in ("}", "]") and _before(text, pos) == ",":
        return f"remove the comma before `{here}`: JSON has no comma after the last item"
    quoted = re.match(r"'([^'\n]*)'", text[pos:])
    if quoted:
        return f'JSON strings take double quotes: write "{quoted.group(1)}"'
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[pos:])
    if word:
        spelled = {"True": "true", "False": "false", "None": "null", "TRUE": "true", "FALSE": "false",
                   "NULL": "null", "Null": "null"}.get(word.group(0))
        if spelled:
            return f"write `{spelled}` (JSON's spelling), not `{word.group(0)}`"
        if error.msg.startswith("Expecting property name"):
            return f'a key is a string in double quotes: write "{word.group(0)}"'
        return f'a text value is a string in double quotes: write "{word.group(0)}"'
    if error.msg.startswith("Expecting ',' delimiter"):
        return "a comma is missing between two items, just before this"
    if error.msg.startswith("Unterminated string"):
        return 'close the string with a double quote (")'
    if error.msg.startswith("Invalid control character"):
        if here in ("\r", "\n"):
            return 'close the string with a double quote (") before the line ends (a line break inside one is \\n)'
        return "a string cannot hold a control character such as a tab as it is: write \\t"
    return None


_YAML_LINE = re.compile(r"""( *)([A-Za-z_][\w.-]*|"[^"\n]*"|'[^'\n]*')[ \t]*:(?:[ \t]+(.*?))?[ \t]*""")
_YAML_NULLS = ("", "null", "Null", "NULL", "~")


def yaml_as_json(text: str) -> Optional[str]:
    """The text as JSON when it is YAML of nested `key: value` lines (a mapping written the way
    dbt's and most pipelines' configuration is), the fix to show in the user's own names; else None.
    Only what such a file holds: keys, nesting by indentation, plain or quoted text, nulls."""
    root: dict[str, object] = {}
    stack: list[tuple[int, dict[str, object]]] = [(0, root)]  # each open block: its keys' indent, its keys
    last: Optional[tuple[dict[str, object], str]] = None  # the previous key, which may open a block
    for raw in text.splitlines():
        line = "" if raw.lstrip().startswith("#") else re.sub(r"\s+#.*$", "", raw)
        if not line.strip() or line.strip() == "---":
            continue
        found = _YAML_LINE.fullmatch(line)
        if found is None:
            return None
        indent, key, value = len(found.group(1)), found.group(2), found.group(3) or ""
        if last is not None and indent > stack[-1][0] and last[0][last[1]] is None:  # `fields:` opened a block
            block: dict[str, object] = {}
            last[0][last[1]] = block
            stack.append((indent, block))
        while indent < stack[-1][0]:
            stack.pop()
        if indent != stack[-1][0]:  # not the indent of any open block: not this simple YAML
            return None
        parent = stack[-1][1]
        if key[0] in "\"'":
            key = key[1:-1]
        if value[:1] in "\"'" and len(value) > 1 and value[-1] == value[0]:
            parent[key] = value[1:-1]
        else:
            parent[key] = None if value in _YAML_NULLS else value
        last = (parent, key)
    return json.dumps(root) if root else None


def looks_like_csv(text: str) -> bool:
    """Whether the text's first line is a CSV header (`id,seniority`, `Email;Company Size`): names
    joined by a delimiter, no JSON bracket or quote before them."""
    first = next((line for line in text.splitlines() if line.strip()), "").strip()
    return bool(first) and first[0] not in "{[\"" and re.search(r"[,;\t|]", first) is not None \
        and re.fullmatch(r"[^{}\[\]:]+", first) is not None


def render_json_error(name: str, text: str, error: json.JSONDecodeError, extra: str = "",
                      hint: Optional[str] = None) -> str:
    """The error as a diagnostic: `error[json]: not valid JSON: MSG`, the file, line and column,
    that line (a window of it when long) with a caret, and the hint (`hint`, else json_hint's)."""
    lines = lines_of(text)  # as json numbers them: a string may hold U+2028, which splitlines would end a line at
    line, column = error.lineno, error.colno
    shown = lines[line - 1] if 1 <= line <= len(lines) else ""
    if len(shown) > 2 * WINDOW:  # a lead on one line: the part around the error
        start = max(0, column - 1 - WINDOW)
        end = min(len(shown), column - 1 + WINDOW)
        prefix, suffix = ("..." if start else ""), ("..." if end < len(shown) else "")
        shown = prefix + shown[start:end] + suffix
        column = column - start + len(prefix)
    shown_lines = [""] * (line - 1) + [shown]
    hint = hint or json_hint(text, error)
    diagnostic = Diagnostic("json", "error", f"not valid JSON: {error.msg}{extra}", Span(line, column, line, column + 1),
                            hint, name)
    rendered = render_one(diagnostic, "", shown_lines)
    # the location keeps the file's own column, also when the line was cut
    where = shown_path(name)
    return rendered.replace(f"--> {where}:{line}:{column}", f"--> {where}:{error.lineno}:{error.colno}", 1)


def render_data_error(name: str, text: str, problem: dict[str, object], help: Optional[str] = None) -> str:
    """`error[data]: MESSAGE`, the file, and where the text holds the value (`"key": value`,
    the key being the field or property the error names, the value as JSON writes it) when it
    does exactly once: the line and a caret under the value. Otherwise the file alone. Then `help`."""
    field, value = problem.get("field"), problem.get("value")
    key = str(field).rsplit(".", 1)[-1] if field and field != "as_of" else None
    if key == "previous_stage":  # a lead writes its previous stage as `stage`
        key = "stage"
    found = []
    if key is not None and value is not None:
        written = re.escape(json.dumps(value, ensure_ascii=False))
        found = list(re.finditer(rf'"{re.escape(key)}"\s*:\s*({written})', text))
    message = str(problem.get("message"))
    if len(found) != 1:
        return f"error[data]: {line_text(message)}\n --> {shown_path(name)}" + (f"\n  = help: {line_text(help)}" if help else "")
    start, end = found[0].span(1)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = Span(line, column, line, column + (end - start) if "\n" not in text[start:end] else column + 1, start, end)
    rendered = render_one(Diagnostic("data", "error", message, span, help, name), text)
    return rendered
