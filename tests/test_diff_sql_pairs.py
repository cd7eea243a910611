"""How `diff --engine duckdb` decides both versions in one statement (tools/diff/pairs_sql.py) and
counts in DuckDB (fold_sql.py): reading the leads is shared when the versions declare the same
fields and activities, and not when they differ; versions that declare different fields,
properties or types, hostile rule names, ties among the largest moves, and errors that appear
in a file read in slices all give the Python engine's report, byte for byte. Real DuckDB."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.diffs import both_engines
from support.workload import bench_workload

import leadpolicy

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "policies" / "acme.policy"
LEADS = ROOT / "policies" / "acme.leads.jsonl"
AS_OF = "2026-11-22T00:00:00Z"


def changed(text: str) -> str:
    text = re.sub(r"engagement >= (\d+)", lambda m: f"engagement >= {int(m.group(1)) * 2 // 3}", text)
    return re.sub(r"\+(\d+)(?=\s)", lambda m: f"+{int(m.group(1)) * 3 // 2}", text)


def statement(old_text: str, new_text: str) -> str:
    from leadpolicy.tools.diff.pairs_sql import Projected, pairs_statement, union_of

    old, new = leadpolicy.loads(old_text, "old"), leadpolicy.loads(new_text, "new")
    return pairs_statement(old, new, Projected(union_of(old.tree, new.tree)))


# A new version that reads more: a field, a property of an existing activity type, a new type.
WIDER = {
    "  created        date\n": "  created        date\n  region         one of (emea, amer, apac)\n",
    "  chat\n": "  chat\n  trial_start  (plan text)\n",
    "  page_view    (path text)": "  page_view    (path text, referrer text)",
    '  "Unsubscribed":': '  "Started a trial":      +40  per trial_start where plan = "pro"\n'
                        '  "Came from a search":   +3   per page_view where referrer starts with "https://search"\n'
                        '  "Unsubscribed":',
}


def wider(text: str) -> str:
    for before, after in WIDER.items():
        assert before in text, before
        text = text.replace(before, after, 1)
    return text


def test_reading_is_shared_when_the_declarations_agree() -> None:
    text = ACME.read_text(encoding="utf-8")
    sql = statement(text, changed(text))
    # reading the lead and its activities: once; the rules, scores and stages: twice
    for shared in ("lp_lead", "lp_act", "lp_act_typed", "lp_lead_text"):
        assert f'"lpn_{shared}"' not in sql
    for own in ("lp_facts", "lp_engagement", "lp_stages"):
        assert f'"lpn_{own}"' in sql
    assert 'AS MATERIALIZED (' in sql
    # a version that reads more fields and properties reads them itself
    sql = statement(text, wider(text))
    assert '"lpn_lp_lead"' in sql and '"lpn_lp_act"' in sql and '"lpn_lp_raw_leads"' in sql


@pytest.mark.parametrize("direction", ["wider", "narrower"])
def test_versions_that_declare_different_fields_and_activities(direction: str, tmp_path: Path) -> None:
    text = ACME.read_text(encoding="utf-8")
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    texts = (text, wider(changed(text))) if direction == "wider" else (wider(text), changed(text))
    old.write_text(texts[0], encoding="utf-8")
    new.write_text(texts[1], encoding="utf-8")
    lines = []
    for number, line in enumerate(LEADS.read_text(encoding="utf-8").splitlines()):
        lead = json.loads(line)
        lead.setdefault("fields", {})["region"] = ["emea", "AMER ", "apac", "mars", None][number % 5]  # "mars": an error in one version
        acts = lead.setdefault("activities", [])
        if number % 3 == 0:
            acts.append({"type": "trial_start", "at": "2026-11-20T10:00:00Z", "plan": "pro" if number % 2 else "basic"})
        if number % 4 == 0:
            acts.append({"type": "page_view", "at": "2026-11-19T10:00:00Z", "path": "/", "referrer": "https://search.example/q"})
        lines.append(json.dumps(lead))
    leads = tmp_path / "leads.jsonl"
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    python, duck = both_engines(old, new, leads, "--format", "json")
    assert duck == python
    report = json.loads(python)["leads"]
    assert report["changed_stage"] and (report["errors"]["appeared"] or report["errors"]["disappeared"])
    assert report["errors"]["examples"]
    python, duck = both_engines(old, new, leads, "--format", "markdown")
    assert duck == python


def test_hostile_rule_names(tmp_path: Path) -> None:
    """Rule names that look like the statement's own names, or SQL, stay data."""
    text = ACME.read_text(encoding="utf-8")
    hostile = text.replace('"Read a blog post"', '"lpn_lp_act\\" FROM lp_pairs; --"').replace(
        '"Visited pricing"', "\"lp_facts' OR 1=1 /* MATERIALIZED */\"")
    assert hostile != text
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    old.write_text(hostile, encoding="utf-8")
    new.write_text(changed(hostile), encoding="utf-8")
    python, duck = both_engines(old, new, LEADS, "--format", "json")
    assert duck == python
    assert any(r["rule"].startswith("lpn_lp_act") and r["old"] for r in json.loads(python)["leads"]["rules"])


def test_errors_that_appear_in_a_file_read_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sliced (1GB), with errors in the new version only: the counts are DuckDB's over every
    slice, the examples the lowest-hashed over all of them, with Python's words."""
    import leadpolicy.tools.diff.fold_sql as fold_sql
    from leadpolicy.backends.sql.batch import BatchInput, slices

    data = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(data, 3000, seed=11, error_rate=0.02)
    assert len(slices(BatchInput(str(data)), "1GB", queries=2) or []) >= 2
    text = ACME.read_text(encoding="utf-8")
    new = tmp_path / "acme.policy"
    new.write_text(changed(text.replace("healthcare, ", "", 1)), encoding="utf-8")
    monkeypatch.setattr(fold_sql, "FETCH_ROWS", 300)
    python, duck = both_engines(ACME, new, data, "--format", "json", "--memory-limit", "1GB")
    assert duck == python
    errors = json.loads(python)["leads"]["errors"]
    assert errors["appeared"] > 100 and len(errors["examples"]) >= 1


def test_ties_and_cents_among_the_largest_moves(tmp_path: Path) -> None:
    """Many leads move by the same amount, by amounts that round at the cent, and by amounts that
    round to no move at all (+0.004): the largest moves are the Python replay's (lowest line first
    among ties)."""
    text = ACME.read_text(encoding="utf-8")
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    old.write_text(text, encoding="utf-8")
    new.write_text(text.replace("+5   per page_view", "+5.125 per page_view").replace("+25 when budget", "+25.015 when budget")
                   .replace("+10 when seniority", "+10.004 when seniority"), encoding="utf-8")
    data = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(data, 1500, seed=2)
    python, duck = both_engines(old, new, data, "--format", "json")
    assert duck == python
    scores = json.loads(python)["leads"]["scores"]
    assert len(scores["fit"]["largest"]) == 5 and len({m["delta"] for m in scores["fit"]["largest"]}) == 1
    assert scores["engagement"]["largest"] and scores["fit"]["changed"] > 100


def test_csv_read_in_slices(tmp_path: Path) -> None:
    """The Python engine's CSV, too large for the memory limit's one slice: the same report."""
    import csv

    from leadpolicy.backends.sql.batch import BatchInput, slices

    leads = [lead for lead in bench_workload().generate_leads(3000, seed=4, error_rate=0.03) if isinstance(lead, dict)]
    names = sorted({k for lead in leads if isinstance(lead.get("fields"), dict) for k in lead["fields"]})
    data = tmp_path / "leads.csv"
    with data.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "stage", "activities", *names])
        for lead in leads:
            fields = lead["fields"] if isinstance(lead.get("fields"), dict) else {}
            writer.writerow([lead.get("id") or "", lead.get("stage") or "", json.dumps(lead.get("activities") or []),
                             *["" if fields.get(n) is None else str(fields[n]) for n in names]])
    assert len(slices(BatchInput(str(data)), "1GB", queries=2) or []) >= 2
    new = tmp_path / "acme.policy"
    new.write_text(changed(ACME.read_text(encoding="utf-8")), encoding="utf-8")
    python, duck = both_engines(ACME, new, data, "--format", "json", "--memory-limit", "1GB")
    assert duck == python
    assert json.loads(python)["leads"]["changed_stage"] > 100
