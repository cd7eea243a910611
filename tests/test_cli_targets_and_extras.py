"""`leadpolicy compile`: which target an SQL option or a .sql output implies, and an SQL option
given with --target python refused (it used to be ignored: `--dialect postgres` wrote Python).
A missing optional package (duckdb, pyspark, sqlglot, pygls) is named with its one extra, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.cli import main

pytest.importorskip("sqlglot", reason="pip install 'leadpolicy[sql]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = str(ROOT / "policies" / "acme.policy")
PYTHON_START = 'r"""The compiled evaluator'


def compile_(*args: str):
    result = CliRunner().invoke(main, ["compile", ACME, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args, first_line", [
    ([], PYTHON_START),
    (["--target", "python"], PYTHON_START),
    (["--dialect", "postgres"], "-- Acme Cloud handoff 2026.11.1: the decision of every lead, as one query (postgres)."),
    (["--target", "sql"], "-- Acme Cloud handoff 2026.11.1: the decision of every lead, as one query (duckdb)."),
    (["--dbt"], "{{ config(materialized='table') }}"),
])
def test_the_target_an_option_implies(args, first_line) -> None:
    code, out, err = compile_(*args)
    assert code == 0, err
    assert out.startswith(first_line)


def test_the_same_query_with_or_without_target_sql() -> None:
    assert compile_("--dialect", "snowflake")[1] == compile_("--target", "sql", "--dialect", "snowflake")[1]


def test_a_sql_output_file_implies_sql(tmp_path: Path) -> None:
    code, _, err = compile_("-o", str(tmp_path / "acme.sql"))
    assert code == 0, err
    assert (tmp_path / "acme.sql").read_text(encoding="utf-8").startswith("-- Acme Cloud handoff")
    code, _, err = compile_("-o", str(tmp_path / "acme_policy.py"))
    assert (tmp_path / "acme_policy.py").read_text(encoding="utf-8").startswith(PYTHON_START)


@pytest.mark.parametrize("option", [["--dialect", "postgres"], ["--dbt"], ["--mapping", "names.json"]])
def test_an_sql_option_with_target_python_is_refused(tmp_path: Path, option) -> None:
    code, out, err = compile_("--target", "python", *option, "-o", str(tmp_path / "m.py"))
    assert code == 2 and out == ""
    assert f"{option[0]} is an option of --target sql, not of the Python module: drop it, or write --target sql" in err
    assert not (tmp_path / "m.py").exists()


@pytest.mark.parametrize("target, name, said", [
    ("python", "acme.sql", "acme.sql would hold Python: name it .py, or write --target sql"),
    ("sql", "acme_policy.PY", "acme_policy.PY would hold an SQL query: name it .sql, or write --target python")])
def test_an_output_named_for_the_other_target_is_refused(tmp_path: Path, target, name, said) -> None:
    """`--target python -o acme.sql` wrote Python into a .sql file (and `--target sql -o m.py` SQL
    into a module that no import could load), without a word."""
    out = tmp_path / name
    code, stdout, err = compile_("--target", target, "-o", str(out))
    assert (code, stdout) == (2, "")
    assert said in " ".join(err.split()), err
    assert not out.exists()


@pytest.mark.parametrize("engine, extra", [("duckdb", "duckdb"), ("spark", "spark")])
@pytest.mark.parametrize("missing", [["sqlglot"], ["duckdb", "pyspark"], ["sqlglot", "duckdb", "pyspark"]])
def test_a_missing_engine_names_the_one_extra_to_install(engine, extra, missing) -> None:
    """`score --engine E` without E's package names E's extra (which brings sqlglot too), whatever else
    is missing; with only sqlglot missing, the `sql` extra. A package set to None in sys.modules
    cannot be imported: a fresh process plays the machine without the extra."""
    import subprocess
    import sys

    script = (f"import sys\nfor name in {missing!r}: sys.modules[name] = None\n"
              "from leadpolicy.cli import main\n"
              f"main(['score', {ACME!r}, {str(ROOT / 'policies' / 'acme.leads.jsonl')!r}, '--engine', {engine!r}])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    package = {"duckdb": "duckdb", "spark": "pyspark"}[engine]
    wanted = (f"{package} is not installed: pip install 'leadpolicy[{extra}]'" if package in missing
              else "sqlglot is not installed: pip install 'leadpolicy[sql]'")
    assert wanted in done.stderr and "Traceback" not in done.stderr, done.stderr



def _without(missing: list[str], args: list[str], cwd: Path):
    """`leadpolicy ARGS` in a fresh process where the packages `missing` cannot be imported."""
    import subprocess
    import sys

    script = (f"import sys\nfor name in {missing!r}: sys.modules[name] = None\n"
              f"from leadpolicy.cli import main\nmain({args!r})")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("args, missing, wanted", [
    # compile imported sqlglot outside its guard when it checked a mapping: "internal error ... please report it", exit 3
    (["compile", ACME, "--target", "sql", "--dialect", "snowflake", "-o", "acme.sql"], ["sqlglot"], "sql"),
    (["compile", ACME, "--target", "sql", "--mapping", "names.json"], ["sqlglot"], "sql"),
    # a usage text of three lines around it, as if the command line were wrong
    (["score", ACME, str(ROOT / "policies" / "acme.leads.jsonl"), "--engine", "spark"], ["pyspark"], "spark"),
    # diff named sqlglot's extra, and with it installed the run then failed for duckdb
    (["diff", ACME, ACME, "--leads", str(ROOT / "policies" / "acme.leads.jsonl"), "--engine", "duckdb"],
     ["sqlglot", "duckdb"], "duckdb"),
    (["diff", ACME, ACME, "--leads", "leads.parquet", "--activities", "acts.parquet", "--mapping", "names.json",
      "--engine", "duckdb"], ["sqlglot", "duckdb"], "duckdb"),
])
def test_a_missing_extra_is_one_line_naming_it(tmp_path: Path, args, missing, wanted) -> None:
    (tmp_path / "names.json").write_text('{"fields": {"budget": null}}', encoding="utf-8")
    for name in ("leads.parquet", "acts.parquet"):
        (tmp_path / name).write_bytes(b"PAR1")
    done = _without(missing, args, tmp_path)
    package = {"sql": "sqlglot", "duckdb": "duckdb", "spark": "pyspark"}[wanted]
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == f"error: {package} is not installed: pip install 'leadpolicy[{wanted}]'\n"
    assert not (tmp_path / "acme.sql").exists()


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_parquet_leads_without_pyarrow_name_its_extra(tmp_path: Path, engine: str) -> None:
    # Parquet leads are read with pyarrow (docs/decisions.md 65); without it, whether the file holds leads
    # as in JSON Lines or a relational table cannot be told: one line naming the extra, not a guess
    (tmp_path / "leads.parquet").write_bytes(b"PAR1")
    done = _without(["pyarrow", "pyarrow.parquet"], ["score", ACME, "leads.parquet", "--engine", engine], tmp_path)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == "error: pyarrow is not installed: pip install 'leadpolicy[duckdb]'\n"
