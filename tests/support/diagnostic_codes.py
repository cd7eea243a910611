"""The diagnostic codes the source can emit, found by reading it (for the tests
that every code has a golden case and a documentation entry)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "leadpolicy"
_EMITTED = re.compile(r'(?:error|warn|LiteralError|Diagnostic)\(\s*"([a-z]+(?:-[a-z]+)+|[a-z]+-[a-z]+)"')


def codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in sorted((PACKAGE / "check").rglob("*.py")) + sorted((PACKAGE / "syntax").glob("*.py")):
        if path.name == "catalog.py":
            continue  # the catalog names every code; the question is which ones the checks emit
        codes |= set(_EMITTED.findall(path.read_text(encoding="utf-8")))
    return codes
