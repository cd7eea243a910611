"""Running both engines of `leadpolicy diff` on the same input, for the tests that demand the same
report from each (tests/test_diff_engines.py, test_diff_hits.py, test_diff_sql_pairs.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, settings

import leadpolicy
from leadpolicy.cli import main
from support.seeds import DERANDOMIZE

AS_OF = "2026-11-22T00:00:00Z"

# generated policy pairs through both engines: each example starts DuckDB, so fewer of them
GENERATED_DIFFS = settings(max_examples=int(os.environ.get("LEADPOLICY_DIFF_SQL_EXAMPLES", "20")), deadline=None,
                           derandomize=DERANDOMIZE,
                           suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                  HealthCheck.data_too_large])


def both_engines(old: Path, new: Path, leads: Path, *extra: str) -> list[str]:
    """`diff OLD NEW --leads LEADS EXTRA...` through --engine python and duckdb: their standard outputs."""
    outputs = []
    for engine in ("python", "duckdb"):
        result = CliRunner().invoke(main, ["diff", str(old), str(new), "--leads", str(leads), "--as-of", AS_OF,
                                           "--engine", engine, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    return outputs


def assert_engines_agree(old: leadpolicy.Policy, new: leadpolicy.Policy, leads: list) -> None:
    """Generated leads (dicts) written as JSON Lines: the duckdb engine's report is the python one's."""
    from support.backends import lead_line
    from support.leadgen import AS_OF as LEADGEN_AS_OF

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(lead_line(lead) for lead in leads) + "\n")
    try:
        python = leadpolicy.diff(old, new, leads=handle.name, as_of=LEADGEN_AS_OF).to_dict()
        duck = leadpolicy.diff(old, new, leads=handle.name, as_of=LEADGEN_AS_OF, engine="duckdb").to_dict()
    finally:
        os.unlink(handle.name)
    assert duck == python
