"""Number cells at the ends of the float range in PostgreSQL (a real server): Python's float()
reads `1e400` as inf (a data error: not finite) and `1e-400` as 0.0, where PostgreSQL's cast to
double precision raised "out of range" and failed the whole query (found by fresh seeds, session
10: a 401-digit number). fragments._postgres_double reads them as Python does."""

from __future__ import annotations

import json

import pytest

import leadpolicy

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
pytest.importorskip("sqlglot")

from support.backends import Case, assert_agree, run_reference_relational  # noqa: E402
from support.postgres import run_postgres  # noqa: E402

AS_OF = "2026-11-22T00:00:00Z"

POLICY = """policy "Numbers" version "1"
fields { size number }
stages {
  cold
  warm when size > 0
}
fit { "Negative": -1 when size < 0 }
"""

CELLS = [
    "1e400", "-1e400", "1" + "0" * 400, "1e-400", "-1e-400", "0e99999999", "-0.0e-5", "0.000",
    "1e999999999", "-1e-999999999", str(2 ** 1024 - 2 ** 970), str(2 ** 1024 - 2 ** 970 - 1),
    "1.7976931348623157e308", "1.7976931348623159e308", "4.9406564584124654e-324",
    "2.4703282292062328e-324", "2.4703282292062327e-324", "0." + str(5 ** 1075).rjust(1075, "0"),
    "123", " 5 ", "+7.25", "1E+3", "-2.5e-3",
]


@pytest.mark.postgres
def test_numbers_at_the_ends_of_the_float_range_read_as_python_reads_them(postgres) -> None:
    leads = [{"id": f"L-{index}", "fields": {"size": cell}, "activities": []} for index, cell in enumerate(CELLS)]
    case = Case(leadpolicy.loads(POLICY), [json.dumps(lead) for lead in leads], AS_OF)
    got = run_postgres(case, postgres)
    assert_agree("postgres", got, run_reference_relational(case), case)
    # not finite: 1e400, -1e400, 10^400, 1e999999999, 2^1024 - 2^970 and 1.7976931348623159e308 (above it)
    assert sum(1 for kind, _ in got if kind == "error") == 6
