"""The header row of a CSV file of leads, read the way CRM exports spell it.

A column names the lead's `id`, its previous `stage` (also `previous stage`),
its `activities` (a JSON array, as in JSON Lines), or one of the policy's
fields. Names match trimmed, without regard to case, with spaces, underscores
and hyphens alike: `Company Size`, `company_size` and ` COMPANY-SIZE ` all
name the field `company_size`. What the header cannot mean is an error before
any row is read:

- two columns that name the same thing;
- no column naming a field or `activities`, when the policy declares fields
  (every lead would be scored with no data at all).

Each column that names nothing is a warning with the nearest name (it is
ignored). Without an `id` column each lead's id is its line number in the file
(the header is line 1), with a warning, so every output row can still be
traced to its input row.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

__all__ = ["CsvHeaderError", "CsvLayout", "read_header", "normal", "detect_delimiter", "DELIMITERS", "allow_long_cells"]

ID, STAGE, ACTIVITIES = "id", "stage", "activities"
_SPECIAL = {"id": ID, "stage": STAGE, "previous_stage": STAGE, "activities": ACTIVITIES}
DELIMITERS = (",", ";", "\t", "|")


def allow_long_cells() -> None:
    """Lift the csv module's limit on a cell's length (131,072 characters by default), which it
    raises as `_csv.Error` mid-file: an `activities` cell of a busy lead is longer, and section 16
    sets no limit. (The limit is the process's: csv has no per-reader one.)"""
    import csv
    import sys

    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # a C long narrower than Py_ssize_t (Windows)
            limit //= 2


class CsvHeaderError(ValueError):
    """A header that cannot be read as leads: one line, no row was scored."""


@dataclass
class CsvLayout:
    """Where each part of a lead sits in a row (-1: no such column)."""

    width: int
    id_at: int = -1
    stage_at: int = -1
    activities_at: int = -1
    field_columns: list[Any] = field(default_factory=list)  # (declared field name, column index)
    warnings: list[Any] = field(default_factory=list)

    @property
    def ids_are_line_numbers(self) -> bool:
        return self.id_at < 0


def normal(name: str) -> str:
    """`Company Size` -> `company_size`: trimmed, lower case, runs of spaces, `_` and `-` as one `_`."""
    return re.sub(r"[\s_\-]+", "_", name.strip().lower())


def _show(name: str) -> str:
    return f"`{name}`" if name.strip() else "(no name)"


def read_header(header: list[str], fields: Iterable[str]) -> CsvLayout:
    """The layout of rows under `header`, for a policy declaring `fields`. Raises CsvHeaderError."""
    declared = list(fields)
    by_exact = {name: name for name in declared}
    by_normal: dict[str, str] = {}
    for declared_name in declared:
        by_normal.setdefault(normal(declared_name), declared_name)
    layout = CsvLayout(width=len(header))
    seen: dict[str, int] = {}  # what a column names -> its index
    for index, raw in enumerate(header):
        key = normal(raw)
        if not key or key == "_":
            if raw.strip() or index < len(header) - 1:  # a trailing empty column is the export's final comma
                layout.warnings.append(f"column {index + 1} has no name and is ignored")
            continue
        target = _SPECIAL.get(key)
        name: Optional[str] = target or by_exact.get(raw.strip()) or by_normal.get(key)
        if name is None:
            layout.warnings.append(_unknown(raw, index, declared))
            continue
        meaning = f"`{name}`" if target else f"the field `{name}`"
        if name in seen:
            first = seen[name]
            raise CsvHeaderError(f"columns {first + 1} ({_show(header[first])}) and {index + 1} ({_show(raw)}) "
                                 f"both name {meaning}: keep one of them")
        seen[name] = index
        if target == ID:
            layout.id_at = index
        elif target == STAGE:
            layout.stage_at = index
        elif target == ACTIVITIES:
            layout.activities_at = index
        else:
            layout.field_columns.append((name, index))
    if declared and not layout.field_columns and layout.activities_at < 0:
        shown = ", ".join(_show(name) for name in header[:8]) + (", ..." if len(header) > 8 else "")
        raise CsvHeaderError(f"no column names a field of the policy or `activities` (the header has {shown}); "
                             f"name the columns after the fields: {', '.join('`' + f + '`' for f in declared[:8])}"
                             + (", ..." if len(declared) > 8 else ""))
    if layout.id_at < 0:
        layout.warnings.append("there is no `id` column: each lead's id is its line number in the file")
    return layout


def _unknown(raw: str, index: int, declared: list[str]) -> str:
    names = declared + ["id", "stage", "activities"]
    close = difflib.get_close_matches(normal(raw), [normal(n) for n in names], n=1, cutoff=0.6)
    hint = ""
    if close:
        suggestion = next(n for n in names if normal(n) == close[0])
        hint = f"; did you mean `{suggestion}`?"
    return f"column {index + 1} ({_show(raw)}) names no field of the policy and is ignored{hint}"


def detect_delimiter(first_line: str, given: Optional[str] = None) -> str:
    """The delimiter: the one given, else whichever of `,` `;` tab `|` the header
    line holds most often outside quotes (a comma when it holds none)."""
    if given:
        return given
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","
