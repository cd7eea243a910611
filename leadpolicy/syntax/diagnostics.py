"""Spans, diagnostics, the two exceptions users meet, and how errors are shown.

Messages follow one style: lower case, no final period, user input in
backticks, always a span, and a `help:` line that says what to do.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

if TYPE_CHECKING:  # Lark is imported by the parser only: `--help` and the data paths never need it
    from lark.tree import Meta

from leadpolicy.semantics.runtime import LeadDataError

__all__ = ["Span", "Diagnostic", "PolicyError", "LeadDataError", "file_problem", "render", "render_json", "lines_of",
           "terminal_text", "line_text", "shown_path", "json_shown"]


@dataclass(frozen=True)
class Span:
    """A stretch of source: 1-based lines and columns, end exclusive; 0-based offsets."""

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    @classmethod
    def from_meta(cls, meta: Meta) -> "Span":
        return cls(meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)

    @classmethod
    def from_token(cls, token: Any) -> "Span":
        return cls(token.line, token.column, token.end_line, token.end_column, token.start_pos, token.end_pos)

    def to(self, other: "Span") -> "Span":
        """The span from the start of this one to the end of `other`."""
        return Span(self.line, self.column, other.end_line, other.end_column, self.start, other.end)


@dataclass(frozen=True)
class Diagnostic:
    code: str  # stable, e.g. "unknown-field"
    severity: str  # "error" or "warning"
    message: str
    span: Optional[Span] = None
    help: Optional[str] = None
    path: str = "<memory>"
    notes: tuple[str, ...] = field(default=())
    # the edit `help` shows, when it is one: (start, end, replacement), the offsets relative to the
    # span's start (so they survive the language server's moving of spans); editors offer it
    edit: Optional[tuple[int, int, str]] = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def line(self) -> Optional[int]:
        return self.span.line if self.span else None

    @property
    def column(self) -> Optional[int]:
        return self.span.column if self.span else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.span.end_line if self.span else None,
            "end_column": self.span.end_column if self.span else None,
            "help": self.help,
            "notes": list(self.notes),  # added after `help`: what the text shows as `= note:` lines; [] when none
        }


def file_problem(path: str, message: str) -> Diagnostic:
    """A file named to `leadpolicy check` that cannot be checked (missing, a directory, unreadable, empty,
    not UTF-8, not a policy; a directory without policies) as a diagnostic, for `check --format json`:
    the message is the line the command says on standard error; it has no position (line and column null)."""
    return Diagnostic("file-problem", "error", message, None, path=path)


class PolicyError(Exception):
    """A policy that does not parse or check; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic], source: str = "") -> None:
        self.diagnostics = list(diagnostics)
        self.source = source
        super().__init__(self._summary())

    def _summary(self) -> str:
        errors = [d for d in self.diagnostics if d.is_error]
        if not errors:
            return "policy has no errors"
        first = errors[0]
        where = f"{shown_path(first.path)}:{first.line}:{first.column}: " if first.span else f"{shown_path(first.path)}: "
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"{where}{first.message}{more}"

    def render(self) -> str:
        return render(self.diagnostics, self.source)

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle and copy rebuild from the diagnostics, not from args (the one-line summary)
        return (type(self), (self.diagnostics, self.source))


LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A character the parser refuses wherever it stands, a comment included (`bad-character`): a lone
# surrogate, or one that makes text display in an order other than the one it is read in (embeddings,
# overrides, isolates and their ends: the "Trojan Source" set, CVE-2021-42574, which rustc refuses
# too). A policy is reviewed as it displays (docs/decisions.md).
TEXT_DIRECTION_CHARACTERS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BAD_CHARACTER = re.compile(f"[\ud800-\udfff{TEXT_DIRECTION_CHARACTERS}]")

# What a terminal would act on or reorder rather than show: control characters (escape sequences, a
# carriage return, a backspace), C1 controls, line and paragraph separators, bidirectional controls
_UNSHOWN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """Text for people, from a policy or a lead, as it can be shown on a terminal: every character a
    terminal would act on (`\\x1b`, `\\r`) or that reorders the line (`\\u202e`) escaped; newlines
    and tabs kept. Policy text and lead data are untrusted: a name cannot move the cursor, set
    the window title or make a line read backwards."""
    return _UNSHOWN.sub(lambda m: ascii(m.group())[1:-1], str(text))


def line_text(text: object) -> str:
    """`terminal_text` for text that must keep to its one line: a file name in a message, a cell
    of a table on a terminal, a message quoted in a summary. A newline or a tab is escaped too
    (`\\n`), so the text cannot end the line and start one that reads as another message or row."""
    return terminal_text(text).replace("\n", "\\n").replace("\t", "\\t")


def json_shown(text: str) -> str:
    """JSON text (`json.dumps(..., ensure_ascii=False)`, kept readable) with every character
    `terminal_text` escapes written as a `\\u` escape: the same data for any reader, and nothing a
    terminal acts on (a C1 control) or that reorders the line (`\\u202e`) when it is printed there.
    JSON's structure is ASCII: such a character can only stand inside a string."""
    return _UNSHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shown_path(path: object) -> str:
    """A file name as every message for people names it: as given (`display_name` turns `-` into
    `<stdin>` where a message says so), on its one line (`line_text`). A file may be named
    `a\\nerror: all is well.policy`: written as it is, its newline ended the message's line and
    the rest read as a message of its own."""
    return line_text(os.fspath(path) if isinstance(path, os.PathLike) else str(path))


def _sort_key(d: Diagnostic) -> Any:
    return (d.path, d.span.start if d.span else -1, d.severity != "error")


def lines_of(source: str) -> list[str]:
    """The lines as the parser numbers them: a line ends at `\\n` only (a `\\r` before it is dropped).
    `str.splitlines` also ends one at U+0085, U+2028, a form feed..., which a string or a comment
    may hold: the line shown under a diagnostic would be another one than it names."""
    return [line[:-1] if line.endswith("\r") else line for line in source.split("\n")]


def render_one(d: Diagnostic, source: str, source_lines: Optional[Sequence[str]] = None) -> str:
    """rustc-style: headline, location, the source line, carets, help.
    `source_lines` is `lines_of(source)`, when the caller already has it."""
    path = shown_path(d.path)
    lines = [f"{d.severity}[{d.code}]: {line_text(d.message)}"]  # one line: a lead's value may hold a newline
    pad = " "
    if d.span is None:
        lines.append(f"  --> {path}")
    else:
        lines.append(f"  --> {path}:{d.span.line}:{d.span.column}")
        if source_lines is None:
            source_lines = lines_of(source)
        if 1 <= d.span.line <= len(source_lines):
            # always printable, one character for one so the carets stay under their text
            text = _UNSHOWN.sub("\ufffd", LONE_SURROGATE.sub("\ufffd", source_lines[d.span.line - 1].expandtabs(1)))
            gutter = str(d.span.line)
            pad = " " * len(gutter)
            lines[-1] = f"{pad}--> {path}:{d.span.line}:{d.span.column}"
            if d.span.end_line == d.span.line:
                width = max(1, d.span.end_column - d.span.column)
            else:
                width = max(1, len(text) - d.span.column + 1)
            lines.append(f"{pad} |")
            lines.append(f"{gutter} | {text}")
            lines.append(f"{pad} | {' ' * (d.span.column - 1)}{'^' * width}")
    for note in d.notes:
        lines.append(f"{pad} = note: {line_text(note)}")
    if d.help:
        lines.append(f"{pad} = help: {line_text(d.help)}")
    return "\n".join(lines)


def render(diagnostics: Iterable[Diagnostic], source: str) -> str:
    lines = lines_of(source)  # once, not once per diagnostic: a big policy may have thousands
    return "\n\n".join(render_one(d, source, lines) for d in sorted(diagnostics, key=_sort_key))


def render_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in sorted(diagnostics, key=_sort_key)], indent=2)
