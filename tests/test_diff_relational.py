"""`leadpolicy diff --engine duckdb --leads leads.parquet --activities activities.parquet`: the
relational shape (docs/sql.md) replayed through both versions gives the report the Python
engine gives for the same leads as JSON Lines (every cell as text, the lead order and the
activity order named by --mapping); the input is read once for both versions; usage errors
for the relational shape are clear. Real DuckDB, real Parquet files, the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.workload import bench_workload

import leadpolicy
from leadpolicy.cli import main

duckdb = pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
DECEMBER = ROOT / "docs" / "examples" / "acme-2026.12.policy"
AS_OF = "2026-11-22T00:00:00Z"
MAPPING = {"lead_order": "line", "order": "seq"}


def relational(jsonl: Path, out: Path, suffix: str = "parquet") -> tuple[Path, Path]:
    """The leads of a JSON Lines file as the relational shape's two tables, every value as its text
    (a CSV cell is text: the line and activity numbers are written to sort as text)."""
    leads = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]
    fields = sorted({k for lead in leads for k in (lead.get("fields") or {})})
    props = sorted({k for lead in leads for a in (lead.get("activities") or []) for k in a} - {"type", "at"})

    def text(value: object) -> object:
        return value if value is None or isinstance(value, str) else json.dumps(value)

    con = duckdb.connect()
    con.execute('CREATE TABLE leads ("line" VARCHAR, "id" VARCHAR, "stage" VARCHAR'
                + "".join(f', "{f}" VARCHAR' for f in fields) + ")")
    con.execute('CREATE TABLE activities ("lead_id" VARCHAR, "seq" VARCHAR, "type" VARCHAR, "at" VARCHAR'
                + "".join(f', "{p}" VARCHAR' for p in props) + ")")
    lead_rows, act_rows = [], []
    for line, lead in enumerate(leads, 1):
        values = lead.get("fields") or {}
        lead_rows.append([f"{line:08d}", text(lead.get("id")), text(lead.get("stage")), *[text(values.get(f)) for f in fields]])
        for seq, act in enumerate(lead.get("activities") or [], 1):
            act_rows.append([text(lead.get("id")), f"{seq:06d}", text(act.get("type")), text(act.get("at")), *[text(act.get(p)) for p in props]])
    con.executemany(f"INSERT INTO leads VALUES ({', '.join('?' * (3 + len(fields)))})", lead_rows)
    con.executemany(f"INSERT INTO activities VALUES ({', '.join('?' * (4 + len(props)))})", act_rows)
    paths = out / f"leads.{suffix}", out / f"activities.{suffix}"
    for table, path in zip(("leads", "activities"), paths):
        con.execute(f"COPY {table} TO '{path}' ({'FORMAT parquet' if suffix == 'parquet' else 'HEADER'})")
    return paths


def run(*args: str) -> tuple:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def without_source(report: dict) -> dict:
    report["leads"].pop("source")
    return report


def changed(text: str) -> str:
    text = re.sub(r"engagement >= (\d+)", lambda m: f"engagement >= {int(m.group(1)) * 2 // 3}", text)
    return re.sub(r"\+(\d+)(?=\s)", lambda m: f"+{int(m.group(1)) * 3 // 2}", text)


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_relational_tables_report_what_json_lines_report(suffix: str, tmp_path: Path) -> None:
    jsonl = ROOT / "policies" / "acme.leads.jsonl"
    leads, acts = relational(jsonl, tmp_path, suffix)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING), encoding="utf-8")
    new = tmp_path / "acme.policy"
    new.write_text(changed(ACME.read_text(encoding="utf-8")), encoding="utf-8")
    for newer in (new, DECEMBER):
        code, out, err = run("diff", str(ACME), str(newer), "--leads", str(jsonl), "--as-of", AS_OF, "--format", "json")
        assert code == 0, err
        python = without_source(json.loads(out))
        code, out, err = run("diff", str(ACME), str(newer), "--leads", str(leads), "--activities", str(acts), "--mapping", str(mapping),
                             "--as-of", AS_OF, "--format", "json", "--engine", "duckdb")
        assert code == 0, err
        duck = json.loads(out)
        assert duck["leads"]["source"] == f"{leads} + {acts}"
        assert without_source(duck) == python
    assert python["leads"]["changed_stage"] and python["leads"]["examples"]


def test_a_workload_with_errors_through_the_api(tmp_path: Path) -> None:
    """Generated leads with data errors: the errors that appear (a field the new version
    reads as a number) come with Python's words, read back from the tables."""
    workload = bench_workload()
    jsonl = tmp_path / "leads.jsonl"
    workload.write_jsonl(jsonl, 400, seed=3)
    leads, acts = relational(jsonl, tmp_path)
    text = ACME.read_text(encoding="utf-8")
    assert "healthcare, " in text
    new = leadpolicy.loads(changed(text.replace("healthcare, ", "", 1)), "new")
    python = without_source(leadpolicy.diff(ACME, new, leads=jsonl, as_of=AS_OF).to_dict())
    duck = without_source(leadpolicy.diff(ACME, new, leads=leads, activities=acts, mapping=MAPPING, as_of=AS_OF,
                                          engine="duckdb").to_dict())
    assert duck == python
    assert python["leads"]["errors"]["appeared"] > 10 and python["leads"]["errors"]["examples"]


def test_relational_usage_errors(tmp_path: Path) -> None:
    leads, acts = relational(ROOT / "policies" / "acme.leads.jsonl", tmp_path)
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--leads", str(leads))
    assert code == 2 and "--activities" in err
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--leads", str(leads), "--activities", str(acts))
    assert code == 2 and "--engine duckdb" in err
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--leads", str(leads), "--activities", str(tmp_path / "nope.parquet"),
                       "--engine", "duckdb")
    assert code == 2 and "no such file" in err
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--mapping", str(tmp_path / "m.json"))
    assert code == 2 and "--activities" in err
    bad = tmp_path / "m.json"
    bad.write_text('{"colour": "blue"}', encoding="utf-8")
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--leads", str(leads), "--activities", str(acts), "--mapping", str(bad),
                       "--engine", "duckdb")
    assert code == 2 and "colour" in err and "Traceback" not in err
    # a leads table without a column a version reads: which table, which column
    duckdb.connect().execute(f"COPY (SELECT id, stage FROM read_parquet('{leads}')) TO '{tmp_path / 'thin.parquet'}' (FORMAT parquet)")
    code, _, err = run("diff", str(ACME), str(DECEMBER), "--leads", str(tmp_path / "thin.parquet"), "--activities", str(acts),
                       "--engine", "duckdb")
    assert code == 2 and "has no column" in err and "Traceback" not in err
    with pytest.raises(ValueError, match="engine='duckdb'"):
        leadpolicy.diff(ACME, DECEMBER, leads=leads, activities=acts)
