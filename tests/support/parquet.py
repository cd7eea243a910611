"""Leads in Parquet of the JSON Lines shape (`id`, `fields`, `activities`, `stage`): a Parquet column
has one type, and the sample leads mix numbers and strings in one field, so every value is written as
the text a typed column of strings holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def as_text(value: Any) -> Any:
    """A sample lead's value as the text a Parquet column of strings holds."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (bool, list, dict)) else str(value)


def text_leads(path: Path) -> list[dict]:
    """The leads of a JSON Lines file with their field and activity values as text (outcome and
    created_at, which `report` reads, as they are)."""
    leads = []
    for line in path.read_text(encoding="utf-8").splitlines():
        lead = json.loads(line)
        lead["fields"] = {name: as_text(value) for name, value in lead["fields"].items()}
        lead["activities"] = [{key: as_text(value) for key, value in act.items()} for act in lead.get("activities", [])]
        lead.setdefault("stage", None)
        leads.append(lead)
    return leads
