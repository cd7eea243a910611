"""`leadpolicy diff --engine duckdb` counts rule hits from each version's per-rule columns
(hits.rule_hits) and builds the hits JSON only for the example leads (fold_sql.py): its
report must stay the Python engine's, byte for byte, whatever the two versions' rules are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, strategies as st
from support.diffs import GENERATED_DIFFS, assert_engines_agree, both_engines

import leadpolicy

pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")

AS_OF = "2026-11-22T00:00:00Z"

OLD = """policy "Hits" version "1"

fields {
  size   number
  role   one of (a, b)
  email  text
}

activities {
  visit   (path text)
  bounce
  chat
}

stages {
  lead
  mql  when engagement >= 10 and fit >= 10
}

engagement {
  "Visited":   +10 per visit within 30 days
  "Bounced":   -10 per bounce
  "Talked":    +5  per chat
  "Nothing":   +0  per visit
  decay 50% every 1 day
}

fit {
  "Big":      +20 when size >= 100
  "Zero":     +0  when role = a
  "Role b":   +5  when role = b
}

demote {
  "Faded":  mql -> lead when engagement < 5
}

disqualify {
  "Spam":   when email ends with "@spam.example"
}
"""

# Removed ("Bounced", "Spam"), renamed with another body ("Big" -> "Large"), added ("Chatted"),
# worth points now ("Zero") or no longer ("Role b"), and `role b` a data error in the new version only.
NEW = (OLD.replace('version "1"', 'version "2"')
       .replace('  "Bounced":   -10 per bounce\n', "")
       .replace('"Talked":    +5  per chat', '"Talked":    +5  per chat\n  "Chatted":   -5  per chat within 10 days')
       .replace('"Big":      +20 when size >= 100', '"Large":    +25 when size >= 100')
       .replace('"Zero":     +0  when role = a', '"Zero":     +15 when role = a')
       .replace('"Role b":   +5  when role = b', '"Role b":   +0  when size < 0')
       .replace("role   one of (a, b)", "role   one of (a)")
       .replace('disqualify {\n  "Spam":   when email ends with "@spam.example"\n}\n', ""))


def _leads() -> list[dict]:
    """Leads for every case: points that sum to zero (a visit and a bounce the same day), decayed
    to nothing (an activity of 1900), zero-point rules, errors in one version or both."""
    leads = []
    for number in range(60):
        acts = []
        if number % 2 == 0:
            acts.append({"type": "visit", "at": f"2026-11-{1 + number % 21:02d}T10:00:00Z", "path": "/p"})
        if number % 3 == 0:
            acts.append({"type": "bounce", "at": f"2026-11-{1 + number % 21:02d}T10:00:00Z"})
        if number % 5 == 0:
            acts.append({"type": "visit", "at": "1900-01-01T00:00:00Z", "path": "/old"})  # decays to 0.0
        if number % 7 == 0:
            acts.append({"type": "chat", "at": "2026-11-21T10:00:00Z"})
        if number % 11 == 0:
            acts.append({"type": "chat", "at": "1800-01-01T00:00:00Z"})
        fields = {"size": [5, 150, None, "x"][number % 4] if number % 13 else 120,
                  "role": ["a", "b", None, "c"][number % 4 if number % 9 else 0],
                  "email": "x@spam.example" if number % 17 == 0 else f"p{number}@corp.example"}
        leads.append({"id": f"L{number}", "fields": fields, "activities": acts, "stage": ["lead", "mql", None][number % 3]})
    return leads


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    old, new, leads = tmp_path / "old.policy", tmp_path / "new.policy", tmp_path / "leads.jsonl"
    old.write_text(OLD, encoding="utf-8")
    new.write_text(NEW, encoding="utf-8")
    leads.write_text("".join(json.dumps(lead) + "\n" for lead in _leads()), encoding="utf-8")
    return old, new, leads


def test_rules_added_removed_renamed_and_worth_nothing(files: tuple[Path, Path, Path]) -> None:
    python, duck = both_engines(*files, "--format", "json")
    assert duck == python
    report = json.loads(python)["leads"]
    rules = {row["rule"]: (row["old"], row["new"]) for row in report["rules"]}
    assert rules["Bounced"][1] is None and rules["Bounced"][0] > 0  # removed
    assert rules["Spam"][1] is None and rules["Spam"][0] > 0  # a removed disqualification: the reason's rule
    assert rules["Chatted"][0] is None and rules["Chatted"][1] > 0  # added
    assert rules["Big"][1] is None and rules["Large"][0] is None and rules["Large"][1] > 0  # renamed, another body
    assert rules["Zero"][0] == 0 and rules["Zero"][1] > 0  # a fit rule worth 0 points never hits
    assert rules["Role b"][1] == 0 and rules["Nothing"] == (0, 0)
    assert rules["Faded"][0] != rules["Faded"][1]
    assert report["changed_stage"] and report["examples"]
    assert report["errors"]["appeared"] and report["errors"]["both"]  # data errors in one version, and in both
    for fmt in ("text", "markdown"):
        python, duck = both_engines(*files, "--format", fmt)
        assert duck == python


def test_points_that_sum_or_decay_to_zero(files: tuple[Path, Path, Path]) -> None:
    """A rule whose total is 0.0 (+0 points, or decayed to nothing) is not in the hits list, and
    not counted; rules whose totals cancel out (engagement 0) are, as is a tiny decayed total."""
    old = leadpolicy.load(str(files[0]))
    leads = {lead["id"]: lead for lead in _leads()}

    def hits(lead_id: str) -> dict:
        lead = leads[lead_id]
        decision = old.evaluate(lead["fields"], lead["activities"], AS_OF, lead["stage"], lead_id).to_dict()
        return {hit["rule"]: hit["points"] for hit in decision["hits"]}

    assert "Talked" not in hits("L22") and leads["L22"]["activities"][-1]["type"] == "chat"  # a chat of 1800: 0.0
    assert hits("L6")["Visited"] == -hits("L6")["Bounced"] != 0  # +10 and -10 the same day: engagement 0
    assert -1e-4 < hits("L0")["Bounced"] < 0  # decayed for 21 days: tiny, still a hit
    assert "Nothing" not in hits("L2") and "Zero" not in hits("L0")
    python, duck = both_engines(*files, "--format", "json")
    assert duck == python
    counted = {row["rule"]: row["old"] for row in json.loads(python)["leads"]["rules"]}
    assert counted["Talked"] and counted["Nothing"] == 0


def test_hits_of_the_examples(files: tuple[Path, Path, Path]) -> None:
    """The example leads' hits (their JSON built for them alone, from the columns) are the Python engine's."""
    python, duck = both_engines(*files, "--format", "json")
    examples = json.loads(duck)["leads"]["examples"]
    assert examples and examples == json.loads(python)["leads"]["examples"]
    differing = {hit["rule"] for cell in examples for example in cell["examples"] for hit in example["hits"]}
    assert {"Chatted", "Zero", "Big", "Large"} <= differing


# ---------------------------------------------------------------- generated pairs

_RULE_LINE = re.compile(r'^(\s*)("(?:[^"\\]|\\.)*")(\s*:)(.*)$')


@st.composite
def _rule_changes(draw):
    """A generated policy and a new version whose rules were renamed, dropped, or had their points moved."""
    from support.leadgen import policy_texts

    text = draw(policy_texts())
    lines = []
    for line in text.split("\n"):
        found = _RULE_LINE.match(line)
        if found:
            action = draw(st.sampled_from(["keep", "keep", "rename", "drop", "points"]))
            balanced = line.count("(") == line.count(")") and "{" not in found.group(4) and "}" not in found.group(4)
            if action == "rename":
                line = found.group(1) + found.group(2)[:-1] + ' (new)"' + found.group(3) + found.group(4)
            elif action == "drop" and balanced:
                continue
            elif action == "points":
                line = re.sub(r"([+-])(\d+)", lambda m: m.group(1) + str(max(0, int(m.group(2)) + draw(st.sampled_from([-5, 5, 20])))),
                              line, count=1)
        lines.append(line)
    new = "\n".join(lines)
    try:
        return leadpolicy.loads(text, "old"), leadpolicy.loads(new, "new")
    except leadpolicy.PolicyError:
        assume(False)


@GENERATED_DIFFS
@given(data=st.data())
def test_generated_rule_changes(data) -> None:
    from support.leadgen import leads_for

    old, new = data.draw(_rule_changes())
    assert_engines_agree(old, new, data.draw(st.lists(leads_for(old.tree), min_size=1, max_size=12)))


def test_both_versions_aggregates_are_one_group_by() -> None:
    """When both versions read the same activities, their per-lead aggregates are one GROUP BY,
    each distinct aggregate once (the reports above go through it); otherwise each its own."""
    from leadpolicy.tools.diff.pairs_sql import Projected, pairs_statement, union_of

    def statement(old_text: str, new_text: str) -> str:
        old, new = leadpolicy.loads(old_text, "old"), leadpolicy.loads(new_text, "new")
        return pairs_statement(old, new, Projected(union_of(old.tree, new.tree)))

    sql = statement(OLD, NEW)
    assert '"lp_facts_both" AS MATERIALIZED (' in sql and 'FROM lp_facts_both' in sql
    merged = sql[sql.index('"lp_facts_both"'):sql.index('"lp_facts" AS')]
    projections = [sql[sql.index(f'"{name}" AS NOT MATERIALIZED ('):] for name in ("lp_facts", "lpn_lp_facts")]
    used = [re.findall(r'(lp_agg_\d+) AS "', text[:text.index(")")]) for text in projections]
    assert merged.count(" AS lp_agg_") == len(set(used[0]) | set(used[1])) < len(used[0]) + len(used[1])
    # a new activity type: the new version reads its activities itself, nothing merged
    wider = NEW.replace("  chat\n}", "  chat\n  trial  (plan text)\n}")
    assert "lp_facts_both" not in statement(OLD, wider)


def test_an_infinite_score_that_stays_infinite_is_no_move(tmp_path: Path) -> None:
    """inf - inf is NaN: a lead whose engagement is infinite in both versions did not move
    (both engines), one whose engagement falls from infinite to finite moved by -inf."""
    huge = "1" + "0" * 308  # 1e308 written out (no exponents in a policy): three visits overflow to inf
    big = OLD.replace('"Visited":   +10 per visit within 30 days', f'"Visited":   +{huge} per visit within 30 days')
    old, new, leads = tmp_path / "old.policy", tmp_path / "new.policy", tmp_path / "leads.jsonl"
    old.write_text(big, encoding="utf-8")
    new.write_text(big.replace('"Talked":    +5  per chat', '"Talked":    +6  per chat'), encoding="utf-8")
    visits = [{"type": "visit", "at": "2026-11-22T00:00:00Z"}] * 3
    rows = [{"id": "inf", "fields": {"size": 5}, "activities": visits},
            {"id": "chat", "fields": {"size": 5}, "activities": [{"type": "chat", "at": "2026-11-22T00:00:00Z"}]}]
    leads.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert leadpolicy.load(str(old)).evaluate(rows[0]["fields"], visits, AS_OF).engagement == float("inf")
    python, duck = both_engines(old, new, leads, "--format", "json")
    assert duck == python
    engagement = json.loads(python)["leads"]["scores"]["engagement"]
    assert engagement["changed"] == 1 and [m["id"] for m in engagement["largest"]] == ["chat"]
    assert engagement["largest"][0]["delta"] == 1.0
