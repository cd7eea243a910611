"""A DOUBLE cell of a relational table reads as the same text in the Spark engine as in the DuckDB
engine (docs/sql.md): DuckDB casts it as Python's repr writes it (`1e+22`, `12345678.0`), Spark as
Java's Double.toString (`1.0E22`, `1.2345678E7`, and in Java 17 often with digits to spare). The
text is what a text or enum field reads and what an error row shows. Real local Spark."""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import pytest

pytest.importorskip("pyspark", reason="the Spark tests need pip install 'leadpolicy[spark]' and Java 17")
pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytestmark = pytest.mark.spark

POLICY = """policy "D" version "1"
fields { note text  tier one of (a, b) }
activities { visit }
stages { lead  hot when note contains "+" or note contains "." }
"""

# each one's text differs between Java's Double.toString and Python's repr (or sits at a bound)
EDGES = [1e22, 1e23, 2e23, 1e16, 9999999999999998.0, 1e-4, 1e-5, 1e7, 12345678.0, 0.001, 0.0009999,
         5e-324, 1.7976931348623157e308, 0.1, -0.0, 0.0, 2.0 ** -44, 1e21, 123456789012345680.0, 1e15,
         123456789012345.6, 99999999.99, 1e-300, 0.00012, -1e-5, 1.5e16, 2.5e-5, 2.9005228284000002e19,
         6.257301957000001e18, -3.7214104265176659e17, 1e100, 1.25e-10, -123456789.0]


def test_a_double_in_a_text_or_enum_field_is_the_duckdb_engines_text(tmp_path: Path) -> None:
    """A text field reads the cell's text (`note contains "+"` holds for 1e+22 in both engines;
    in Spark's `1.0E22` it did not), and an enum's error row shows it as DuckDB's does."""
    import duckdb
    from click.testing import CliRunner
    from support import spark_cli

    from leadpolicy.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    policy, leads, events = tmp_path / "d.policy", tmp_path / "leads.parquet", tmp_path / "events.parquet"
    policy.write_text(POLICY)
    con = duckdb.connect()
    values = [1e22, 12345678.0, 2.5e-5, 0.5, 2.9005228284000002e19, 1e-7]
    rows = [(f"N{i}", value, None) for i, value in enumerate(values)] + [(f"T{i}", None, value) for i, value in enumerate(values)]
    con.execute("CREATE TABLE leads (id VARCHAR, stage VARCHAR, note DOUBLE, tier DOUBLE)")
    con.executemany("INSERT INTO leads VALUES (?, NULL, ?, ?)", rows)
    con.execute(f"COPY leads TO '{leads}'")
    con.execute(f"COPY (SELECT 'N0' AS lead_id, 'visit' AS type, '2026-11-20' AS \"at\") TO '{events}'")
    args = ("score", str(policy), str(leads), "--activities", str(events), "--as-of", "2026-11-22", "-q")
    duck = run(*args, "--engine", "duckdb")
    assert duck[0] == 1, duck
    assert spark_cli.run(*args, "--engine", "spark") == duck
    out = [json.loads(line) for line in duck[1].splitlines()]
    assert [row["stage"] for row in out[:6]] == ["hot", "hot", "hot", "hot", "hot", "lead"]  # 1e+22 ... 1e-07
    assert [row["error"]["value"] for row in out[6:]] == [repr(v) for v in values]


@pytest.fixture(scope="module")
def spark():
    from support.spark_session import local_spark

    return local_spark()


def test_the_text_is_pythons_repr(spark) -> None:
    """Against repr: every edge value, random bit patterns, random magnitudes, and whole numbers
    from 2^50 to 2^120 (where Java 17's own text has a digit to spare most often)."""
    from leadpolicy.backends.sql.spark_files import duckdb_double_text

    rng = random.Random(21)
    values = EDGES + [2.0 ** k for k in range(40, 130)]
    while len(values) < 6000:
        pick = rng.random()
        x = (struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] if pick < 0.4
             else rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30) if pick < 0.7
             else rng.uniform(-1, 1) * 2.0 ** rng.randint(50, 120))
        if x == x and abs(x) != float("inf"):
            values.append(x)
    frame = spark.createDataFrame(list(enumerate(values)), "i long, x double")
    texts = dict(frame.selectExpr("i", duckdb_double_text("x")).collect())
    assert [texts[i] for i in range(len(EDGES))] == [repr(v) for v in EDGES]
    assert [(repr(v), texts[i]) for i, v in enumerate(values) if texts[i] != repr(v)] == []
