"""Whether the property tests draw the same examples every run (the default: CI is deterministic)
or new ones (`LEADPOLICY_FRESH_SEEDS=1`). With a fixed seed each differential test only ever sees
one set of examples; a test's text changing once changed its seed and found an engine difference
that had been there for sessions (`path contains ""` in SQL). Run the differential tests with fresh
seeds now and then: `LEADPOLICY_FRESH_SEEDS=1 python -m pytest tests/test_backends_differential.py`;
a failure prints its seed (`--hypothesis-seed=N` reproduces it)."""

from __future__ import annotations

import os

DERANDOMIZE = not os.environ.get("LEADPOLICY_FRESH_SEEDS")
