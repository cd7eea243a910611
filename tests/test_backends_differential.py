"""The one differential test: every back end decides every generated lead as the reference does.

Generated policies (tests/support/leadgen.py: every construct of LANGUAGE.md)
meet generated CRM-style leads, written as JSON Lines; each back end of the
registry (tests/support/backends.py) reads the same text and must return, for
every lead, the reference interpreter's decision, every field equal and scores
to the bit (compared as JSON text: -0.0, inf and NaN included), or a data
error naming the same field.

- `python`, `duckdb`: LEADPOLICY_SQL_EXAMPLES policies (default 170) with 6-8
  leads each, so at least 1,000 policy/lead pairs per run (counted: the test fails
  if fewer were compared);
- the relational shape through DuckDB (every cell text), and with typed columns (each
  column a DuckDB type holds as it reads in that type);
- every example policy in policies/ with its sample leads;
- Spark (marker `spark`): tests/test_sql_spark.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from support.backends import (
    BACKENDS,
    EXAMPLE_POLICIES,
    TYPED_COLUMNS,
    Case,
    assert_agree,
    generated_case,
    run_duckdb_relational,
    run_duckdb_typed_relational,
    run_reference,
    run_reference_relational,
)
from support.policygen import examples
from support.seeds import DERANDOMIZE

import leadpolicy

pytest.importorskip("duckdb", reason="the SQL back end's tests need pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("LEADPOLICY_SQL_EXAMPLES", "170"))
MIN_PAIRS = 6 * EXAMPLES  # each example has at least 6 leads


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_generated_policies(backend) -> None:
    """Then: Hypothesis may stop early (a small search space): the run must still have compared at
    least 1,000 generated policy/lead pairs. (The count was a test of its own that ran after this one
    in the same process; under pytest-xdist the two could run in different workers.)"""
    pairs = 0

    @examples(max_examples=EXAMPLES, derandomize=DERANDOMIZE)
    @given(data=st.data())
    def agree(data) -> None:
        nonlocal pairs
        case = generated_case(data)
        assert_agree(backend, BACKENDS[backend](case), run_reference(case), case)
        pairs += len(case.lines)

    agree()
    assert pairs >= min(1000, MIN_PAIRS), f"{backend}: only {pairs} pairs compared"


@examples(max_examples=max(20, EXAMPLES // 6), derandomize=DERANDOMIZE)
@given(data=st.data())
def test_generated_policies_relational_shape(data) -> None:
    case = generated_case(data)
    assert_agree("duckdb (relational)", run_duckdb_relational(case), run_reference_relational(case), case)


def test_generated_policies_typed_relational_shape() -> None:
    """Then: the typed shape typed columns of every kind (else it tested the text path again)."""
    before = dict(TYPED_COLUMNS)

    @examples(max_examples=max(20, EXAMPLES // 6), derandomize=DERANDOMIZE)
    @given(data=st.data())
    def agree(data) -> None:
        case = generated_case(data)
        assert_agree("duckdb (typed relational)", run_duckdb_typed_relational(case), run_reference_relational(case), case)

    agree()
    typed = {kind for kind, count in TYPED_COLUMNS.items() if count > before.get(kind, 0)}
    assert {"int64", "double", "bool", "timestamp[us, tz=UTC]"} <= typed, TYPED_COLUMNS


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("name", EXAMPLE_POLICIES)
def test_example_policies(backend, name) -> None:
    policy = leadpolicy.load(ROOT / "policies" / f"{name}.policy")
    lines = [line for line in (ROOT / "policies" / f"{name}.leads.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    case = Case(policy, lines, "2026-11-22T00:00:00Z")
    expected = run_reference(case)
    assert_agree(backend, BACKENDS[backend](case), expected, case)
    assert any(kind == "decision" for kind, _ in expected)
    json.dumps(expected)

