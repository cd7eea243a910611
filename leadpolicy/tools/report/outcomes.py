"""Reading outcomes: `"outcome": {"status", "amount", "closed_at"}` and `"created_at"`
on a lead, or rows of an `--outcomes` file (JSON Lines or CSV) joined by lead id.
A bad value is a data error for that lead (counted and reported), never fatal."""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections import Counter
from typing import Any, Callable, Optional

from leadpolicy import LeadDataError
from leadpolicy.semantics.runtime import parse_instant, read_number

STATUSES = ("won", "lost", "open")


class OutcomeError(LeadDataError):
    """A data error in a lead's outcome or `created_at`: named as such ("outcome `status`"),
    not as a field or an activity's property, which LeadDataError names from `field`."""

    def __str__(self) -> str:
        part = self.field or ""
        text = f"outcome `{part.partition('.')[2]}`: {self.message}" if part.startswith("outcome.") else \
            f"`{part}`: {self.message}" if part else self.message
        return f"lead {self.lead_id}: {text}" if self.lead_id is not None else text


def _as_outcome_error(error: LeadDataError) -> OutcomeError:
    return OutcomeError(error.message, field=error.field, value=error.value, lead_id=error.lead_id)


def _status_hint(status: Any) -> str:
    """What to write for a CRM's own name of a status (`Closed Won`, `closed-lost`)."""
    words = status.lower().replace("-", " ").replace("_", " ").split() if isinstance(status, str) else []
    known = [word for word in words if word in STATUSES]
    return f": write `{known[0]}`" if len(known) == 1 else ""


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str
    amount: Optional[float]
    closed_at: Optional[int]


def read_outcome(raw: Any, lead_id: Any = None) -> Optional[Outcome]:
    """An Outcome, None when absent, or LeadDataError."""
    if raw is None:
        return None
    try:
        return _read_outcome(raw, lead_id)
    except OutcomeError:
        raise
    except LeadDataError as error:  # the runtime's readers name a field; this is the outcome's
        raise _as_outcome_error(error) from None


def _read_outcome(raw: Any, lead_id: Any) -> Outcome:
    if not isinstance(raw, dict):
        raise OutcomeError("an outcome must be an object with status, amount, closed_at",
                           field="outcome", value=raw, lead_id=lead_id)
    status = raw.get("status")
    if status is None:  # no `status` key, or null: a column left out of the export
        raise OutcomeError("the outcome has no status (expected won, lost or open)", field="outcome.status", value=None,
                           lead_id=lead_id)
    if not isinstance(status, str):  # a number or a list, as the JSON shows it (Python's repr said `True`)
        raise OutcomeError(f"unknown outcome status `{json.dumps(status, ensure_ascii=False)}` (expected won, lost or open)",
                           field="outcome.status", value=status, lead_id=lead_id)
    if status.strip().lower() not in STATUSES:
        raise OutcomeError(f"unknown outcome status {status!r} (expected won, lost or open){_status_hint(status)}",
                           field="outcome.status", value=status, lead_id=lead_id)
    amount = raw.get("amount")
    if amount is not None and not (isinstance(amount, str) and not amount.strip()):
        amount = read_number(amount, "outcome.amount", lead_id)
        if amount is not None and (amount < 0 or not math.isfinite(amount)):
            raise OutcomeError("a deal amount must be a number zero or more", field="outcome.amount",
                               value=raw.get("amount"), lead_id=lead_id)
    else:
        amount = None
    closed = raw.get("closed_at")
    closed_at = None
    if closed is not None and not (isinstance(closed, str) and not closed.strip()):
        closed_at = parse_instant(closed, "outcome.closed_at", lead_id)
    return Outcome(status.strip().lower(), amount, closed_at)


def read_created(raw: Any, lead_id: Any = None) -> Optional[int]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return parse_instant(raw, "created_at", lead_id)
    except LeadDataError as error:
        raise _as_outcome_error(error) from None


def _column(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def load_outcome_file(path: str, warn: Optional[Callable[[str], None]] = None) -> dict[str, dict[str, Any]]:
    """id -> {"outcome": {...}, "created_at": ...} from JSON Lines or CSV
    (columns id, status, amount, closed_at, created_at). Kept in memory: one small row per lead.
    An id on several rows (an export of deals, several per lead) keeps its last row; `warn` is told."""
    rows = _outcome_rows(path)
    repeated = {key: count for key, count in Counter(key for key, _ in rows).items() if count > 1}
    if repeated and warn is not None:
        example = next(iter(repeated))
        warn(f"{len(repeated):,} id{'s' if len(repeated) != 1 else ''} of {path} {'are' if len(repeated) != 1 else 'is'} "
             f"on more than one row (e.g. {json.dumps(example, ensure_ascii=False)}, {repeated[example]} rows): "
             "the last row of each is used, one outcome per lead")
    return dict(rows)


def _outcome_rows(path: str) -> list[tuple[str, dict[str, Any]]]:
    """(id, {"outcome", "created_at"}) per row of the file, in order."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:  # said as CSV leads are (decision 78): the byte, its line and the fix
        from leadpolicy.tools.csv_header import not_utf8

        raise ValueError(f"{path} {not_utf8(error, path)}") from None
    rows: list[tuple[str, dict[str, Any]]] = []
    if not text.strip():  # joined nothing, without a word
        raise ValueError(f"{path} is empty: an outcomes file has a row per lead id (docs/report.md)")
    if path.lower().endswith(".csv"):
        return _csv_outcome_rows(path, text)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}:{error.colno}: not valid JSON: {error.msg}") from None
        if not isinstance(record, dict) or record.get("id") is None:  # null too: it joined every lead without an id
            raise ValueError(f"{path}:{number}: an outcome row needs an `id`")
        outcome = record.get("outcome")
        if outcome is None and "status" in record:
            outcome = {k: record.get(k) for k in ("status", "amount", "closed_at")}
        rows.append((str(record["id"]), {"outcome": outcome, "created_at": record.get("created_at")}))
    return rows


def _csv_outcome_rows(path: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows of an outcomes CSV, read as CSV leads are (csv_header.header_and_rows: the delimiter the
    header line uses, or the one an Excel `sep=;` line names; a strict reader). A quote that never closes
    (a lenient reader read the rows after it into its cell) or a quoted cell with text after its closing
    quote is a ValueError naming the file, the line and the cell, as it is in CSV leads."""

    from leadpolicy.tools.csv_header import (
        CsvHeaderError,
        allow_long_cells,
        data_rows,
        header_and_rows,
    )

    allow_long_cells()
    lines = io.StringIO(text, newline="")
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        found = header_and_rows(lines.readline(), lines)
        if found is None:  # a `sep=` line alone: as an empty file
            raise ValueError(f"{path} is empty (a `sep=` line, no header): an outcomes file has a row per lead id "
                             "(docs/report.md)")
        header, reader, row_lines = found
        # names as the leads' CSV header matches them: trimmed, any case, spaces and hyphens as underscores
        names = [_column(name) for name in header]
        if "id" not in names:  # every lead was silently "without outcome"
            raise ValueError(f"{path} has no `id` column to join the outcomes to the leads by (its columns: "
                             f"{', '.join(names) or 'none'}); name the lead id column `id`")
        for _, row in data_rows(reader, row_lines, header):
            cells: dict[str, Any] = dict(zip(names, row))  # a short row's absent cells: None, as csv.DictReader had them
            rows.append((str(cells.get("id") or "").strip(), {
                "outcome": {"status": cells.get("status"), "amount": cells.get("amount"),
                            "closed_at": cells.get("closed_at")} if cells.get("status") else None,
                "created_at": cells.get("created_at"),
            }))
    except CsvHeaderError as error:  # the quote's line and cell, said as CSV leads say them
        raise ValueError(f"{path}: {error}") from None
    return rows
