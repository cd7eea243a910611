"""The Spark engine decides as the reference does: generated policies and leads, and
every example policy with its sample leads, through a real local Spark (one
SparkSession for the test session; marker `spark`, run in CI by default).

The leads go in the relational shape (DataFrames of text cells: what a warehouse
table holds), so the reference reads the same text (support.backends.relational_case).
LEADPOLICY_SPARK_EXAMPLES generated policies (default 40, 6-8 leads each: a few
hundred pairs).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from support.backends import (
    EXAMPLE_POLICIES,
    Case,
    assert_agree,
    generated_case,
    run_reference_relational,
    run_spark_relational,
    whitespace_case,
)
from support.policygen import examples
from support.seeds import DERANDOMIZE

import leadpolicy

pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("LEADPOLICY_SPARK_EXAMPLES", "40"))
_SESSION: list = []


@pytest.fixture(scope="session")
def spark():
    from support.spark_session import local_spark

    session = local_spark()
    _SESSION.append(session)
    yield session
    session.stop()


@pytest.mark.parametrize("name", EXAMPLE_POLICIES)
def test_example_policies_in_spark(spark, name: str) -> None:
    policy = leadpolicy.load(ROOT / "policies" / f"{name}.policy")
    lines = [line for line in (ROOT / "policies" / f"{name}.leads.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    case = Case(policy, lines, "2026-11-22T00:00:00Z")
    expected = run_reference_relational(case)
    assert len(expected) == len(lines)
    assert_agree("spark", run_spark_relational(case, spark), expected, case)


def test_generated_policies_in_spark(spark) -> None:
    """Then: a few hundred pairs compared (Hypothesis may stop early). The count was a test of its own
    that ran after this one in the same process; under pytest-xdist the two could run in different workers."""
    pairs = 0

    @examples(max_examples=EXAMPLES, derandomize=DERANDOMIZE)
    @given(data=st.data())
    def agree(data) -> None:
        nonlocal pairs
        case = generated_case(data)
        expected = run_reference_relational(case)
        assert_agree("spark", run_spark_relational(case, spark), expected, case)
        pairs += len(expected)

    agree()
    assert pairs >= min(200, 5 * EXAMPLES), pairs


def test_values_padded_with_every_whitespace_character_in_spark(spark) -> None:
    """The trim set reaches Spark as escapes (\\u2028, \\013): each padded value is trimmed as
    Python trims it (a value padded with a control character is not)."""
    case = whitespace_case()
    expected = run_reference_relational(case)
    # every padded value read, but the two padded with a control character (an undeclared tier)
    assert [kind == "decision" and '"stage": "mql"' in text for kind, text in expected].count(True) == len(expected) - 2
    assert_agree("spark", run_spark_relational(case, spark), expected, case)


def test_score_spark_names_every_missing_column_in_the_callers_names(spark) -> None:
    """score_spark on DataFrames without some declared columns: Spark's analysis error named the
    first, in a temporary view of the query's own; a ValueError names them all, with the mapping=."""
    from leadpolicy.sql import score_spark

    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    leads = spark.createDataFrame([("L1", "vp", "x@y.example")], "id string, seniority string, email string")
    activities = spark.createDataFrame([("L1", "webinar", "2026-11-20", "45")],
                                       "lead_id string, type string, at string, minutes string")
    with pytest.raises(ValueError) as raised:
        score_spark(policy, spark, leads, activities, as_of="2026-11-22")
    said = str(raised.value)
    assert said.startswith("the leads DataFrame has no columns `stage`, `company_size`, "), said
    assert "; the activities DataFrame has no columns `path`, `form`, `campaign`, `title`:" in said
    assert said.endswith("'props': {'path': None, 'form': None, 'campaign': None, 'title': None}} "
                         '(docs/sql.md, "Names: the mapping")')


def test_a_mapped_column_with_a_no_break_space_is_read_by_its_name(spark) -> None:
    """A mapping's column `Company\u00a0Size` (a CRM export's header) was written `Company\\u00a0Size` in
    Spark's query, and Spark reads no escape in a quoted identifier: the query asked for a column of
    that text, which the table does not have. The name is written as itself."""
    from leadpolicy.backends.sql.engines import score_spark

    policy = leadpolicy.loads('policy "P" version "1"\nfields { size number }\nstages {\n  lead\n  big when size >= 100\n}\n')
    leads = spark.createDataFrame([("L1", "250"), ("L2", "5")], "id string, `Company\u00a0Size` string")
    activities = spark.createDataFrame([], "lead_id string, type string, at string")
    rows = score_spark(policy, spark, leads, activities, "2026-11-22T00:00:00Z",
                       mapping={"stage": None, "fields": {"size": "Company\u00a0Size"}}).orderBy("id").collect()
    assert [(row["id"], row["stage"], row["error"]) for row in rows] == [("L1", "big", None), ("L2", "lead", None)]


def test_hostile_mapping_names_through_score_engine_spark(spark, tmp_path: Path) -> None:
    """The mapping's names (a backtick, quotes, a comment marker, Jinja, a no-break space, a parameter's
    spelling) name Parquet columns in `score --engine spark`, the error row read back from them too
    (RelationalRescorer quotes with backticks): the rows are the duckdb engine's."""
    import json

    import duckdb
    from click.testing import CliRunner

    from leadpolicy.cli import main

    bad = "`x'\"; --*/ {{1}}\u00a0$as_of"

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM (VALUES ('L1', NULL, 'a@b.c', 'vp', '20000'), ('L''2', 'mql', 'x@rival.example', 'ic', 'zz'))"
                f" AS t({q('id' + bad)}, {q('st' + bad)}, {q('email' + bad)}, {q('seniority' + bad)}, budget))"
                f" TO '{tmp_path / 'leads.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM (VALUES ('L1', 'form_submit', '2026-11-20T00:00:00Z', 'demo'))"
                f" AS t({q('lid' + bad)}, type, {q('at')}, {q('form' + bad)})) TO '{tmp_path / 'acts.parquet'}' (FORMAT parquet)")
    unmapped = ("company_size", "industry", "timeline_days", "sales_status", "is_customer", "created")
    mapping = {"id": "id" + bad, "stage": "st" + bad, "lead_id": "lid" + bad,
               "fields": {"email": "email" + bad, "seniority": "seniority" + bad, **dict.fromkeys(unmapped)},
               "props": {"form": "form" + bad, **dict.fromkeys(("path", "campaign", "title", "minutes"))}}
    (tmp_path / "mapping.json").write_text(json.dumps(mapping), encoding="utf-8")
    runs = [CliRunner().invoke(main, ["score", str(ROOT / "policies" / "acme.policy"), str(tmp_path / "leads.parquet"),
                                      "--activities", str(tmp_path / "acts.parquet"), "--mapping", str(tmp_path / "mapping.json"),
                                      "--engine", engine, "--as-of", "2026-11-22", "-q"], catch_exceptions=False)
            for engine in ("duckdb", "spark")]
    assert [r.exit_code for r in runs] == [1, 1] and runs[0].stdout == runs[1].stdout
    assert [(row["id"], row.get("stage")) for row in map(json.loads, runs[1].stdout.splitlines())] == [("L'2", None), ("L1", "sql")]


def test_spark_reads_the_file_named_even_when_its_name_is_a_glob_pattern(spark, tmp_path: Path) -> None:
    """Spark's readers take a path as a Hadoop glob: `score --engine spark 'leads[1].jsonl'` read
    leads1.jsonl beside it, and `acts*.parquet` every file the pattern matched. The file named is read."""
    from click.testing import CliRunner

    from leadpolicy.cli import main

    lines = (ROOT / "policies" / "acme.leads.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "leads[1].jsonl").write_text("".join(lines[:5]), encoding="utf-8")
    (tmp_path / "leads1.jsonl").write_text("".join(lines[5:9]), encoding="utf-8")  # what the pattern matches
    (tmp_path / "leads*.jsonl").write_text("".join(lines[:5]), encoding="utf-8")
    for name in ("leads[1].jsonl", "leads*.jsonl"):
        got = CliRunner().invoke(main, ["score", str(ROOT / "policies" / "acme.policy"), str(tmp_path / name),
                                        "--engine", "spark", "--as-of", "2026-11-22", "-q"], catch_exceptions=False)
        expected = CliRunner().invoke(main, ["score", str(ROOT / "policies" / "acme.policy"), str(tmp_path / name),
                                             "--as-of", "2026-11-22", "-q", "-j", "1"], catch_exceptions=False)
        assert got.stdout == expected.stdout and got.stdout.count("\n") == 5, name
