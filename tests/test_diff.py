"""`leadpolicy diff` and `leadpolicy.diff`: the semantic diff, the replay, git versions, the reports.

- every kind of change in meaning (points, window, cap, decay, condition, stage
  entry, grade bands, demotion, disqualification, fields and activities,
  version and owners, renames) and the changes that mean nothing (layout,
  comments, spellings, tests);
- the replay's counts against both versions evaluated lead by lead, on
  generated policies and leads (hypothesis) and on the benchmark workload; the
  same bytes whatever the number of processes and chunks;
- git versions in a real temporary repository (`--rev`, `REV:PATH`, from a
  subfolder, unknown revision, missing path, outside a repository, errors
  shown under the version's own name);
- the JSON shape, the Markdown and text reports (golden files), colour on a
  real terminal only, the command's exit statuses.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st, target
from support.diffgen import policy_pairs
from support.workload import bench_workload

import leadpolicy
from leadpolicy.cli import main
from leadpolicy.tools.diff import as_of_moment, diff_policies
from leadpolicy.tools.diff.render_markdown import render_markdown
from leadpolicy.tools.diff.render_text import render_text
from leadpolicy.tools.diff.replay import EXAMPLES, LARGEST, replay_stream
from leadpolicy.tools.diff.semantic import compare
from leadpolicy.tools.fmt import format_source

ROOT = Path(__file__).parent.parent
ACME = ROOT / "policies" / "acme.policy"
ACME_LEADS = ROOT / "policies" / "acme.leads.jsonl"
GOLDEN = Path(__file__).parent / "golden" / "diff"
AS_OF = "2026-11-22"
EXAMPLE_NEW = ROOT / "docs" / "examples" / "acme-2026.12.policy"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- the semantic diff

BASE = """\
policy "Tiny" version "1"
owner marketing "Dana Ruiz"

fields {
  email      text "Work email"
  seniority  one of (ic, manager, director)
  budget     number
  status     one of (open, accepted)
}

activities {
  page_view    (path text)
  form_submit  (form text)
}

stages {
  lead
  mql  when engagement >= 60 and fit >= 40
  sql  when mql and (did form_submit where form = "demo" within 14 days or status = accepted)
}

engagement {
  "Blog":  +5   per page_view where path starts with "/blog" within 90 days max 50
  "Demo":  +100 per form_submit where form = "demo" max 100
  decay 50% every 30 days
}

fit {
  budget {
    "Budget":  +25 when budget >= 10000
  }
  "Senior":  +20 when seniority >= director
  "Manager": +10 when seniority = manager
}

grades {
  A when fit >= 40
  B when fit >= 20
  C otherwise
}

demote {
  "Quiet":  sql -> mql when no activity within 30 days
  "Faded":  mql -> lead when engagement < 30
}

disqualify {
  "Rival":  when email ends with "@rival.example"
}
"""


def changes_between(old: str, new: str):
    return compare(leadpolicy.loads(old, "old").tree, leadpolicy.loads(new, "new").tree)


def variant(*edits: tuple[str, str]) -> str:
    text = BASE
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after, 1)
    return text


def summary(change) -> tuple:
    return (change.section, change.kind, change.name, [(p.part, p.old, p.new) for p in change.parts])


CASES = [
    ("points", [("+5   per page_view", "+10  per page_view")],
     [("engagement", "changed", "Blog", [("points", "+5", "+10")])]),
    ("window", [("within 90 days max 50", "within 60 days max 50")],
     [("engagement", "changed", "Blog", [("window", "last 90 days", "last 60 days")])]),
    ("window dropped", [("within 90 days max 50", "max 50")],
     [("engagement", "changed", "Blog", [("window", "last 90 days", "all time")])]),
    ("cap", [("max 50", "max 40")],
     [("engagement", "changed", "Blog", [("cap", "50", "40")])]),
    ("cap dropped", [("max 100", "")],
     [("engagement", "changed", "Demo", [("cap", "100", "none")])]),
    ("activity", [('+100 per form_submit where form = "demo"', '+100 per page_view where path = "demo"')],
     [("engagement", "changed", "Demo", [("activity", "form submit", "page view"),
                                          ("condition", 'whose form is "demo"', 'whose path is "demo"')])]),
    ("engagement condition", [('"/blog"', '"/news"')],
     [("engagement", "changed", "Blog", [("condition", 'whose path starts with "/blog"', 'whose path starts with "/news"')])]),
    ("decay", [("decay 50% every 30 days", "decay 25% every 30 days")],
     [("engagement", "changed", "decay", [("decay", "points halve every 30 days", "points lose 25% every 30 days")])]),
    ("decay removed", [("  decay 50% every 30 days\n", "")],
     [("engagement", "removed", "decay", [("decay", "points halve every 30 days", "points do not decay")])]),
    ("fit condition", [("budget >= 10000", "budget >= 20000")],
     [("fit", "changed", "Budget", [("condition", "its budget is at least 10,000", "its budget is at least 20,000")])]),
    ("fit points", [('"Manager": +10', '"Manager": +15')],
     [("fit", "changed", "Manager", [("points", "+10", "+15")])]),
    ("fit group", [('  budget {\n    "Budget":  +25 when budget >= 10000\n  }\n', '  "Budget":  +25 when budget >= 10000\n')],
     [("fit", "changed", "Budget", [("group", "budget", "no group")])]),
    ("stage entry", [("engagement >= 60", "engagement >= 50")],
     [("stages", "changed", "mql", [("entry criteria", "its engagement score is at least 60 and its fit score is at least 40",
                                     "its engagement score is at least 50 and its fit score is at least 40")])]),
    ("stage description", [("  lead\n", '  lead "Known contact"\n')],
     [("stages", "changed", "lead", [("description", '""', '"Known contact"')])]),
    ("grade band", [("A when fit >= 40", "A when fit >= 45")],
     [("grades", "changed", "A", [("condition", "its fit score is at least 40", "its fit score is at least 45")])]),
    ("grade band added", [("  C otherwise", "  C when fit >= 0\n  D otherwise")],
     [("grades", "changed", "C", [("condition", "otherwise", "its fit score is at least 0")]),
      ("grades", "added", "D", [])]),
    ("grade order", [("  A when fit >= 40\n  B when fit >= 20\n", "  B when fit >= 20\n  A when fit >= 40\n")],
     [("grades", "reordered", "", [("order", "A, B, C", "B, A, C")])]),
    ("demotion condition", [("engagement < 30", "engagement < 20")],
     [("demote", "changed", "Faded", [("condition", "its engagement score is less than 30", "its engagement score is less than 20")])]),
    ("demotion target", [("sql -> mql when no activity", "sql -> lead when no activity")],
     [("demote", "changed", "Quiet", [("to", "MQL", "the lead stage")])]),
    ("demotion added", [('  "Faded":', '  "Gone":  mql -> lead when no activity within 90 days\n  "Faded":')],
     [("demote", "added", "Gone", [])]),
    ("demotion order", [('  "Quiet":  sql -> mql when no activity within 30 days\n', ""),
                        ('  "Faded":  mql -> lead when engagement < 30\n',
                         '  "Faded":  mql -> lead when engagement < 30\n  "Quiet":  sql -> mql when no activity within 30 days\n')],
     []),  # rules leaving different stages: their order decides nothing
    ("same-source demotion order", [('  "Faded":  mql -> lead when engagement < 30\n',
                                     '  "Faded":  mql -> lead when engagement < 30\n  "Idle":  mql -> lead when no activity within 60 days\n'),
                                    ('  "Quiet":', '  "Idle2":  mql -> lead when no activity within 90 days\n  "Quiet":')],
     [("demote", "added", "Idle2", []), ("demote", "added", "Idle", [])]),
    ("stage order", [("  mql  when engagement >= 60 and fit >= 40\n  sql  when mql and", "  sql  when"),
                     ('status = accepted)\n', 'status = accepted)\n  mql  when engagement >= 60 and fit >= 40 and sql\n'),
                     ('"Quiet":  sql -> mql', '"Quiet":  mql -> sql')],
     [("stages", "changed", "sql", [("entry criteria", "it meets the MQL entry criteria and either it had a form submit whose "
                                     "form is \"demo\" in the last 14 days or its status is accepted",
                                     "it had a form submit whose form is \"demo\" in the last 14 days or its status is accepted")]),
      ("stages", "changed", "mql", [("entry criteria", "its engagement score is at least 60 and its fit score is at least 40",
                                     "its engagement score is at least 60 and its fit score is at least 40 and it meets the SQL "
                                     "entry criteria")]),
      ("stages", "reordered", "", [("order", "lead, mql, sql", "lead, sql, mql")]),
      ("demote", "changed", "Quiet", [("from", "an SQL", "an MQL"), ("to", "MQL", "SQL")])]),
    ("disqualification condition", [('"@rival.example"', '"@rival.test"')],
     [("disqualify", "changed", "Rival", [("condition", 'its email ends with "@rival.example"', 'its email ends with "@rival.test"')])]),
    ("disqualification added", [('  "Rival":', '  "Accepted": when status = accepted\n  "Rival":')],
     [("disqualify", "added", "Accepted", [])]),
    ("disqualification removed", [('  "Rival":  when email ends with "@rival.example"\n', "")],
     [("disqualify", "removed", "Rival", [])]),
    ("field declared", [("  budget     number\n", "  budget     number\n  phone      text\n")],
     [("fields", "added", "phone", [])]),
    ("field description", [('"Work email"', '"Email at work"')],
     [("fields", "changed", "email", [("description", '"Work email"', '"Email at work"')])]),
    ("enum value added", [("one of (ic, manager, director)", "one of (ic, manager, director, vp)")],
     [("fit", "changed", "Senior", [("condition", "its seniority is director or higher (director)",
                                     "its seniority is director or higher (director or vp)")]),
      ("fields", "changed", "seniority", [("values added", "", "vp")])]),
    ("enum value added where order does not matter", [("one of (open, accepted)", "one of (open, accepted, rejected)")],
     [("fields", "changed", "status", [("values added", "", "rejected")])]),
    ("activity declared", [("  form_submit  (form text)\n", "  form_submit  (form text)\n  chat\n")],
     [("activities", "added", "chat", [])]),
    ("activity property", [("page_view    (path text)", "page_view    (path text, referrer text)")],
     [("activities", "changed", "page_view", [("property added", "", "referrer text")])]),
    ("version", [('version "1"', 'version "2"')], [("policy", "changed", "version", [("version", "1", "2")])]),
    ("owners", [('owner marketing "Dana Ruiz"', 'owner marketing "Dana Ruiz"\nowner sales "Lee Park"')],
     [("policy", "added", "owner", [])]),
    ("policy name", [('policy "Tiny"', 'policy "Small"')], [("policy", "changed", "name", [("name", "Tiny", "Small")])]),
    ("rename with the same body", [('"Blog":', '"Blog posts":')],
     [("engagement", "renamed", "Blog posts", [("name", "Blog", "Blog posts")])]),
    ("rename with another body", [('"Blog":  +5 ', '"Posts": +6 ')],
     [("engagement", "added", "Posts", []), ("engagement", "removed", "Blog", [])]),
    ("stage renamed is removal and addition", [("  sql  when mql", "  sal  when mql"), ("sql -> mql", "sal -> mql")],
     [("stages", "added", "sal", []), ("stages", "removed", "sql", []),
      ("demote", "changed", "Quiet", [("from", "an SQL", "an SAL")])]),
]


@pytest.mark.parametrize("name, edits, expected", CASES, ids=[c[0] for c in CASES])
def test_each_kind_of_change(name, edits, expected) -> None:
    got = [summary(c) for c in changes_between(BASE, variant(*edits))]
    assert got == expected


def test_enum_members_are_listed_as_the_policy_writes_them() -> None:
    """Members added, removed or reordered are written as in the policy (nodes.member_text, as the
    type's own text is): `values added "Closed, Lost", "and"` read `values added Closed, Lost, and`,
    three members where there are two, one of them a word of the language."""
    base = variant(("one of (ic, manager, director)", 'one of (ic, manager, director, "Closed Won")'))
    added = changes_between(base, variant(("one of (ic, manager, director)",
                                           'one of (ic, manager, director, "Closed Won", "Closed, Lost", "and")')))
    assert [c.summary for c in added if c.section == "fields"] == ['field seniority: values added "Closed, Lost", "and"']
    removed = changes_between(base, variant(("one of (ic, manager, director)", "one of (ic, manager, director)")))
    assert [c.summary for c in removed if c.section == "fields"] == ['field seniority: values removed "Closed Won"']
    moved = changes_between(base, variant(("one of (ic, manager, director)", 'one of (ic, "Closed Won", manager, director)')))
    assert [c.summary for c in moved if c.section == "fields"] == [
        'field seniority: value order ic, manager, director, "Closed Won" → ic, "Closed Won", manager, director']


def test_a_part_added_or_removed_is_said_without_an_empty_side() -> None:
    """A declared value or property added has no old side: the one-line summary (the text report's and
    the Markdown's line for a short change) read `field seniority: values added  → vp`, an arrow from
    nothing. It says `values added vp`, `values removed ic`, `property added referrer text`."""
    added = changes_between(BASE, variant(("one of (ic, manager, director)", "one of (ic, manager, director, vp)")))
    assert [c.summary for c in added if c.section == "fields"] == ["field seniority: values added vp"]
    removed = changes_between(BASE, variant(("one of (ic, manager, director)", "one of (manager, director)")))
    assert [c.summary for c in removed if c.section == "fields"] == ["field seniority: values removed ic"]
    prop = changes_between(BASE, variant(("page_view    (path text)", "page_view    (path text, referrer text)")))
    assert [c.summary for c in prop] == ["activity page_view: property added referrer text"]
    shown = render_markdown(leadpolicy.diff(leadpolicy.loads(BASE), leadpolicy.loads(
        variant(("page_view    (path text)", "page_view    (path text, referrer text)")))))
    assert "- activity page\\_view: property added referrer text\n" in shown, shown


@pytest.mark.parametrize("points", ["+5 ", "+6 "])
def test_a_look_alike_name_is_said_to_be_another_name(points: str) -> None:
    """A rule renamed with a Cyrillic `о` shows as the same name removed and added (or renamed to
    itself): the change says which character is not what it looks like."""
    changes = changes_between(BASE, variant(('"Blog":  +5 ', f'"Bl\u043eg":  {points}')))
    note = ('it looks like "Blog" but is another name: character 3 is U+043E CYRILLIC SMALL LETTER O '
            "where it was U+006F LATIN SMALL LETTER O")
    new = [c for c in changes if c.name == "Bl\u043eg"]
    assert [c.kind for c in new] == (["renamed"] if points == "+5 " else ["added"]) and note in new[0].summary
    assert note in render_text(diff_policies(leadpolicy.loads(BASE, "old"), leadpolicy.loads(
        variant(('"Blog":  +5 ', f'"Bl\u043eg":  {points}')), "new"), "old", "new"))


@pytest.mark.parametrize(("old", "new", "alike"), [
    ("Blog", "Bl\u043eg", True), ("Cafe", "Caf\u00e9", True), ("Blog", "Blag", False), ("Blog", "Blogs", False),
    ("Demo", "Demo request", False), ("Blog 1", "Blog \u0661", False),  # an Arabic-Indic digit is no letter
    ("Blog", "Bl\u200bog", True), ("Blog", "Blog\u2060", True), ("Blog 1", "Blog\u00a01", True),  # unseen, a space
    ("Blog", "Bl og", False), ("Blog", "Blog\u200b\u00e9", False),
])
def test_look_alike_names(old: str, new: str, alike: bool) -> None:
    from leadpolicy.tools.diff.semantic import look_alike

    assert look_alike(old, new) is alike and look_alike(new, old) is alike


def test_a_name_with_a_character_that_does_not_show_is_said_to_be_another_name() -> None:
    """`Bl\u200bog` (a zero-width space) was not taken for a look-alike: its length differs, yet it shows as `Blog`."""
    from leadpolicy.tools.diff.semantic import look_alike_note

    changes = changes_between(BASE, variant(('"Blog":  +5 ', '"Bl\u200bog":  +6 ')))
    note = 'it looks like "Blog" but is another name: it holds U+200B ZERO WIDTH SPACE, which does not show'
    assert note in [c for c in changes if c.name == "Bl\u200bog"][0].summary
    assert look_alike_note("Bl\u200bog", "Blog") == ('it looks like "Bl\u200bog" but is another name: the old name holds '
                                                    "U+200B ZERO WIDTH SPACE, which does not show")


def test_a_removed_field_and_activity() -> None:
    old = variant(("  budget     number\n", "  budget     number\n  phone      text\n"),
                  ("  form_submit  (form text)\n", "  form_submit  (form text)\n  chat\n"))
    got = [summary(c) for c in changes_between(old, BASE)]
    assert got == [("fields", "removed", "phone", []), ("activities", "removed", "chat", [])]


def test_changes_read_as_the_handoff_document() -> None:
    from leadpolicy.handoff.english import English

    new = leadpolicy.loads(variant(("+5   per page_view", "+10  per page_view")), "new").tree
    [change] = changes_between(BASE, variant(("+5   per page_view", "+10  per page_view")))
    rule = new.engagement_rules[0]
    assert change.new == English(new).engagement_sentence(rule) + "."
    assert change.summary == '"Blog": points +5 → +10'
    added = changes_between(BASE, variant(("  C otherwise", "  C when fit >= 0\n  D otherwise")))[1]
    assert added.summary == "added grade D: Grade D otherwise (when no grade above applies)"


FORMATTING_ONLY = [
    ("the formatter's layout", lambda text: format_source(text)),
    ("squeezed spaces", lambda text: re.sub(r"(?<=\S)  +", " ", text)),
    ("comments and blank lines", lambda text: "# a comment\n\n" + text.replace("\n\n", "\n\n# between blocks\n\n")),
    ("wrapped lines", lambda text: text.replace("when engagement >= 60 and fit >= 40", "when engagement >= 60\n    and fit >= 40")),
    ("two weeks are 14 days", lambda text: text.replace("within 14 days", "within 2 weeks")),
    ("parentheses", lambda text: text.replace("when budget >= 10000", "when (budget >= 10000)")),
    ("number spelling", lambda text: text.replace("10000", "10_000")),
    ("unsigned points", lambda text: text.replace('"Budget":  +25', '"Budget":  25')),
    ("engagement rule order", lambda text: text.replace(
        '  "Blog":  +5   per page_view where path starts with "/blog" within 90 days max 50\n'
        '  "Demo":  +100 per form_submit where form = "demo" max 100\n',
        '  "Demo":  +100 per form_submit where form = "demo" max 100\n'
        '  "Blog":  +5   per page_view where path starts with "/blog" within 90 days max 50\n')),
    ("block order", lambda text: text.replace("grades {", "disqualify {\n  \"Rival\":  when email ends with \"@rival.example\"\n}\n\ngrades {", 1)
     .rsplit("disqualify {", 1)[0]),
    ("a test block", lambda text: text + '\ntest "A lead" {\n  fields { budget: 5 }\n  expect stage lead\n}\n'),
]


@pytest.mark.parametrize("name, edit", FORMATTING_ONLY, ids=[c[0] for c in FORMATTING_ONLY])
def test_formatting_only_is_no_change_in_meaning(name, edit) -> None:
    new = edit(BASE)
    assert changes_between(BASE, new) == []
    result = diff_policies(leadpolicy.loads(BASE, "old.policy"), leadpolicy.loads(new, "new.policy"), "old.policy", "new.policy")
    assert result.same_meaning
    assert "no change in meaning" in render_text(result)
    assert "No change in meaning" in render_markdown(result)


def test_the_formatter_output_of_acme_is_no_change_in_meaning() -> None:
    source = ACME.read_text(encoding="utf-8")
    squeezed = re.sub(r"(?<=\S)  +", " ", source)
    assert squeezed != source
    assert changes_between(source, squeezed) == []
    assert changes_between(squeezed, format_source(squeezed)) == []


# ---------------------------------------------------------------- the replay, checked lead by lead


def expected_counts(old, new, leads, as_of):
    """Both versions, lead by lead, with Policy.evaluate: what the replay must count."""
    transitions, grades, rules_old, rules_new = Counter(), Counter(), Counter(), Counter()
    errors = Counter()
    for lead in leads:
        get = lead.get
        outcomes = []
        for policy in (old, new):
            try:
                outcomes.append(policy.evaluate(get("fields"), get("activities"), as_of, get("stage"), get("id")).to_dict())
            except leadpolicy.LeadDataError:
                outcomes.append(None)
        a, b = outcomes
        if a is None or b is None:
            errors["both" if a is None and b is None else "appeared" if b is None else "disappeared"] += 1
            continue
        transitions[(a["stage"], b["stage"])] += 1
        grades[(a["grade"], b["grade"])] += 1
        for decision, rules in ((a, rules_old), (b, rules_new)):
            rules.update(hit["rule"] for hit in decision["hits"])
            if decision["reason"]["rule"]:
                rules[decision["reason"]["rule"]] += 1
    return transitions, grades, rules_old, rules_new, errors


def check_against_lead_by_lead(old, new, leads, as_of) -> dict:
    result = diff_policies(old, new, "old", "new", leads, as_of).to_dict()["leads"]
    transitions, grades, rules_old, rules_new, errors = expected_counts(old, new, leads, as_of_moment(as_of))
    assert {(t["old"], t["new"]): t["leads"] for t in result["transitions"]} == dict(transitions)
    assert {(g["old"], g["new"]): g["leads"] for g in result["grades"]} == dict(grades)
    assert result["changed_stage"] == sum(n for (a, b), n in transitions.items() if a != b)
    assert result["total"] == len(leads)
    assert result["compared"] == sum(transitions.values())
    assert (result["errors"]["both"], result["errors"]["appeared"], result["errors"]["disappeared"]) == (
        errors["both"], errors["appeared"], errors["disappeared"])
    for row in result["rules"]:
        if row["old"] is not None:
            assert row["old"] == rules_old[row["rule"]], row
        if row["new"] is not None:
            assert row["new"] == rules_new[row["rule"]], row
    for cell in result["examples"]:
        assert cell["old"] != cell["new"]
        assert cell["leads"] == transitions[(cell["old"], cell["new"])]
        assert 1 <= len(cell["examples"]) <= min(EXAMPLES, cell["leads"])
        for example in cell["examples"]:
            assert (example["old"]["stage"], example["new"]["stage"]) == (cell["old"], cell["new"])
    assert {(c["old"], c["new"]) for c in result["examples"]} == {k for k in transitions if k[0] != k[1]}
    for score in ("engagement", "fit"):
        assert len(result["scores"][score]["largest"]) <= LARGEST
        for move in result["scores"][score]["largest"]:  # signed: a fall is negative
            assert move["delta"] == round(move["new"] - move["old"], 2) != 0, move
    return result


@pytest.fixture(scope="module")
def acme():
    return leadpolicy.load(ACME)


ACME_VARIANTS = [
    ("engagement >= 60 and fit >= 40", "engagement >= 20 and fit >= 30"),
    ('"Visited pricing":       +20', '"Visited pricing":       +45'),
    ("decay 50% every 30 days", "decay 10% every 30 days"),
    ('mql -> lead when engagement < 30', 'mql -> lead when engagement < 70'),
    ('when email ends with "@rival.example"', 'when email ends with ".example"'),
    ("  created        date\n", "  created        number\n"),  # data errors appear
]


@pytest.mark.parametrize("edit", ACME_VARIANTS, ids=[e[1][:30] for e in ACME_VARIANTS])
def test_replay_counts_match_lead_by_lead_on_the_workload(acme, edit) -> None:
    text = ACME.read_text(encoding="utf-8")
    assert edit[0] in text
    new = leadpolicy.loads(text.replace(edit[0], edit[1]), "new")
    leads = bench_workload().generate_leads(400, seed=11, error_rate=0.05)
    result = check_against_lead_by_lead(acme, new, leads, "2026-11-22T00:00:00Z")
    assert result["changed_stage"] or result["errors"]["appeared"]


@settings(max_examples=int(os.environ.get("LEADPOLICY_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(data=st.data())
def test_replay_counts_match_lead_by_lead_on_generated_policies(data) -> None:
    from support.leadgen import AS_OF as LEADGEN_AS_OF, leads_for

    old, new = data.draw(policy_pairs())
    raw = data.draw(st.lists(leads_for(old.tree), min_size=1, max_size=20))
    leads = [{"id": r["lead_id"], "fields": r["fields"], "activities": r["activities"], "stage": r["previous_stage"]}
             for r in raw]
    result = check_against_lead_by_lead(old, new, leads, LEADGEN_AS_OF)
    target(float(result["changed_stage"]), label="leads that change stage")  # steer towards pairs that move leads


def test_memory_stays_bounded_and_the_sample_does_not_depend_on_chunks_or_processes(acme, tmp_path) -> None:
    text = ACME.read_text(encoding="utf-8")
    new = leadpolicy.loads(text.replace("engagement >= 60 and fit >= 40", "engagement >= 10 and fit >= 10"), "new")
    path = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(path, 600, seed=5, error_rate=0.02)
    moment = as_of_moment("2026-11-22")
    results = []
    for jobs, chunk in ((1, 0), (1, 20_000), (2, 30_000), (2, 0)):
        with open(path, "rb") as stream:
            tally, _ = replay_stream(acme, new, stream, as_of=moment, jobs=jobs, chunk_size=chunk)
        assert all(len(found) <= EXAMPLES for found in tally.examples.values())
        assert len(tally.appeared[1]) <= EXAMPLES and len(tally.largest["engagement"]) <= LARGEST
        results.append(tally)
    first = results[0]
    assert first.total == 600 and first.changed_stage > 30
    for other in results[1:]:
        assert other.transitions == first.transitions
        assert other.examples == first.examples
        assert other.largest == first.largest
        assert other.deltas == first.deltas


def test_the_same_inputs_give_the_same_bytes(tmp_path) -> None:
    path = tmp_path / "leads.jsonl"
    bench_workload().write_jsonl(path, 500, seed=3, error_rate=0.03)
    outputs = set()
    for jobs in ("1", "2", "1"):
        for fmt in ("json",):
            result = run("diff", str(ACME), str(EXAMPLE_NEW), "--leads", str(path), "--as-of", AS_OF, "--format", fmt,
                         "--jobs", jobs)
            assert result.exit_code == 0, result.stderr
            outputs.add(result.stdout)
    assert len(outputs) == 1


def test_policy_text_or_none_as_a_version_says_what_to_pass(acme) -> None:
    """diff(old, text) said "no such file: " followed by the whole policy; diff(old, None) Python's
    "expected str, bytes or os.PathLike object, not NoneType"."""
    from leadpolicy.tools.diff import SourceError

    text = 'policy "Acme" version "2"\nstages { lead }\n'
    with pytest.raises(SourceError, match=r"^`policy \"Acme\" version \"2\"` ... is a policy's text, not a file or "
                                          r"`REV:PATH`: pass leadpolicy.loads\(text\) instead$"):
        leadpolicy.diff(acme, text)
    with pytest.raises(TypeError, match="^a version is a leadpolicy.Policy, a file's path or git's `REV:PATH`, not NoneType$"):
        leadpolicy.diff(None, acme)
    assert not leadpolicy.diff(acme, leadpolicy.loads(text)).same_meaning


def test_one_lead_or_bytes_as_leads_is_a_type_error(acme) -> None:
    """`leads={...}` (one lead) replayed each of its keys as a lead: a report of N data errors,
    one per key; bytes likewise, one per byte. Now a TypeError that says what to pass."""
    new = leadpolicy.load(EXAMPLE_NEW)
    with pytest.raises(TypeError, match=r"^diff\(leads=...\) takes a file's path or an iterable of leads, "
                                        r"not one lead \(a dict\): pass \[lead\]$"):
        leadpolicy.diff(acme, new, leads={"id": "L-1", "fields": {"seniority": "vp"}}, as_of=AS_OF)
    with pytest.raises(TypeError, match="not bytes: pass the path of a JSON Lines file"):
        leadpolicy.diff(acme, new, leads=b'{"id": "L-1"}', as_of=AS_OF)
    assert leadpolicy.diff(acme, new, leads=[{"id": "L-1"}], as_of=AS_OF).leads["total"] == 1


def test_csv_leads_are_read_as_score_reads_them(acme, tmp_path) -> None:
    csv_path = tmp_path / "leads.csv"
    csv_path.write_text(
        "id,stage,email,seniority,company_size,industry,budget,activities\n"
        'L-1,mql,pat@bigco.example,vp,800,SaaS,20000,"[{""type"": ""form_submit"", ""at"": ""2026-11-20T09:00:00Z"", ""form"": ""demo""}]"\n'
        "L-2,,lee@gmail.com,ic,,retail,lots,\n"
        'L-3,lead,dana@bigco.example,manager,300,fintech,,"[{""type"": ""page_view"", ""at"": ""2026-11-10"", ""path"": ""/pricing""}]"\n'
        "L-4,lead,x@y.example,ic,,,,not json\n",
        encoding="utf-8")
    new = leadpolicy.load(EXAMPLE_NEW)
    result = diff_policies(acme, new, "old", "new", str(csv_path), AS_OF).leads
    assert result["total"] == 4
    assert result["errors"]["both"] == 2  # `lots` is no number; `not json` is no activities list
    assert sum(t["leads"] for t in result["transitions"]) == 2


# ---------------------------------------------------------------- the API and the JSON shape


def test_the_api_returns_the_json_content(acme) -> None:
    result = leadpolicy.diff(str(ACME), str(EXAMPLE_NEW), leads=str(ACME_LEADS), as_of=AS_OF)
    cli = run("diff", str(ACME), str(EXAMPLE_NEW), "--leads", str(ACME_LEADS), "--as-of", AS_OF, "--format", "json")
    assert cli.exit_code == 0
    assert json.loads(cli.stdout) == result.to_dict()
    shape = result.to_dict()
    assert list(shape) == ["old", "new", "same_meaning", "version_unchanged", "changes", "leads"]
    assert shape["version_unchanged"] is False  # 2026.11.1 -> 2026.12.1
    assert set(shape["old"]) == {"name", "version", "source", "sha256"}
    assert shape["old"]["source"] == str(ACME) and shape["new"]["version"] == "2026.12.1"
    leads = shape["leads"]
    assert {"total", "changed_stage", "errors", "transitions", "grades", "scores", "rules", "examples"} <= set(leads)
    assert leads["total"] == 60
    assert all(set(t) == {"old", "new", "leads"} and t["leads"] > 0 for t in leads["transitions"])
    assert any(t["old"] == t["new"] for t in leads["transitions"])  # the diagonal is listed
    assert sum(t["leads"] for t in leads["transitions"]) == leads["compared"]
    assert set(leads["scores"]) == {"engagement", "fit"}
    assert set(leads["scores"]["fit"]) == {"changed", "mean", "min", "q1", "median", "q3", "max", "largest"}
    for change in shape["changes"]:
        assert set(change) == {"section", "kind", "name", "subject", "summary", "old", "new", "parts"}
    example = leads["examples"][0]["examples"][0]
    assert set(example) == {"id", "line", "old", "new", "hits", "why"}
    assert result.changed_stage == leads["changed_stage"] and not result.same_meaning


def test_the_api_takes_policies_and_lead_dicts(acme) -> None:
    new = leadpolicy.load(EXAMPLE_NEW)
    leads = [json.loads(line) for line in ACME_LEADS.read_text(encoding="utf-8").splitlines()]
    from_objects = leadpolicy.diff(acme, new, leads=leads, as_of=AS_OF).to_dict()
    from_file = leadpolicy.diff(str(ACME), str(EXAMPLE_NEW), leads=str(ACME_LEADS), as_of=AS_OF).to_dict()
    from_objects["leads"]["source"] = from_file["leads"]["source"]
    assert from_objects["leads"] == from_file["leads"]
    assert leadpolicy.diff(acme, acme).to_dict()["leads"] is None
    assert leadpolicy.diff(acme, acme).same_meaning


def test_the_api_raises_policy_error_for_a_version_that_does_not_check(tmp_path) -> None:
    broken = tmp_path / "broken.policy"
    broken.write_text('policy "B" version "1"\nstages { lead\n mql when nonsense >= 1 }\n', encoding="utf-8")
    with pytest.raises(leadpolicy.PolicyError) as caught:
        leadpolicy.diff(str(ACME), str(broken))
    assert all(d.path == str(broken) for d in caught.value.diagnostics)


def test_score_statistics_are_exact() -> None:
    from leadpolicy.tools.diff.result import _score_stats

    stats = _score_stats({-7.5: 1, 0.0: 2, 5.0: 1, 10.0: 1},
                         [(-10.0, 4, "d", 1.0, 11.0), (-7.5, 9, "e", 20.0, 12.5), (-5.0, 3, "c", 0.0, 5.0)])
    assert stats == {"changed": 3, "mean": 1.5, "min": -7.5, "q1": 0.0, "median": 0.0, "q3": 5.0, "max": 10.0,
                     "largest": [{"id": "d", "line": 4, "old": 1.0, "new": 11.0, "delta": 10.0},
                                 {"id": "e", "line": 9, "old": 20.0, "new": 12.5, "delta": -7.5},
                                 {"id": "c", "line": 3, "old": 0.0, "new": 5.0, "delta": 5.0}]}


# ---------------------------------------------------------------- reports


def test_markdown_report_golden(golden) -> None:
    old = leadpolicy.load(ACME)
    new = leadpolicy.load(EXAMPLE_NEW)
    result = diff_policies(old, new, "policies/acme.policy", "docs/examples/acme-2026.12.policy",
                           str(ACME_LEADS), AS_OF)
    result.leads["source"] = "policies/acme.leads.jsonl"
    text = render_markdown(result)
    golden(GOLDEN / "acme.md", text)
    assert len(text) < 20_000
    assert text.count("<details>") == text.count("</details>") >= 1


def test_text_report_golden(golden) -> None:
    old = leadpolicy.load(ACME)
    new = leadpolicy.load(EXAMPLE_NEW)
    result = diff_policies(old, new, "policies/acme.policy", "docs/examples/acme-2026.12.policy", str(ACME_LEADS), AS_OF)
    result.leads["source"] = "policies/acme.leads.jsonl"
    golden(GOLDEN / "acme.txt", render_text(result))
    assert "\x1b" not in render_text(result) and "\x1b[" in render_text(result, color=True)


def test_markdown_stays_short_for_a_big_change(tmp_path) -> None:
    big = ROOT / "benchmarks" / "big_policy.py"
    spec = importlib.util.spec_from_file_location("leadpolicy_big_policy", big)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.make_policy(300)
    new = re.sub(r"\+(\d+) when", lambda m: f"+{int(m.group(1)) + 1} when", text)
    result = diff_policies(leadpolicy.loads(text, "old"), leadpolicy.loads(new, "new"), "old", "new")
    assert len(result.changes) > 100
    markdown = render_markdown(result)
    assert len(markdown) < 65_536 and "more: run `leadpolicy diff`" in markdown


def test_hostile_names_cannot_reach_the_terminal_or_the_markdown(tmp_path) -> None:
    # (a right-to-left override is refused by the parser: test_parser)
    text = BASE.replace('"Blog":', '"Blog \x1b[2J<script>|x gnp.exe\u2028":')
    new = leadpolicy.loads(text.replace("+5 ", "+6 "), "new")
    result = diff_policies(leadpolicy.loads(BASE, "old"), new, "old", "new")
    rendered = render_text(result)
    assert "\x1b" not in rendered and "\\x1b[2J" in rendered
    assert "\u2028" not in rendered and "gnp.exe\\u2028" in rendered
    markdown = render_markdown(result)
    assert "<script>" not in markdown and "\\|x" in markdown


def test_json_report_writes_lead_ids_that_act_on_a_terminal_as_escapes(tmp_path) -> None:
    """`diff --format json` (readable: ensure_ascii=False) wrote a lead id's right-to-left override,
    C1 control (CSI) and DEL as themselves, to the terminal too; they are `\\u` escapes, the same data."""
    ids = []
    lines = []
    for i, line in enumerate(ACME_LEADS.read_text(encoding="utf-8").splitlines()):
        lead = json.loads(line)
        lead["id"] = f"L{i}\u202eXYZ\x9b2J\x7f M\u00fcller"
        ids.append(lead["id"])
        lines.append(json.dumps(lead))
    leads = tmp_path / "leads.jsonl"
    leads.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(ACME), str(EXAMPLE_NEW), "--leads", str(leads), "--as-of", AS_OF,
                                       "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert not re.search("[\x7f-\x9f\u202e]", result.stdout) and "\\u202eXYZ\\u009b2J\\u007f M\u00fcller" in result.stdout
    shown = re.findall(r'"id": "(L[0-9]+[^"]*)"', result.stdout)
    assert shown and all(json.loads(f'"{i}"') in ids for i in shown)  # the ids as they were


def test_a_lead_id_cannot_end_its_code_span_or_its_table_row(acme) -> None:
    """A carriage return (or another line break) in a lead's id ends the Markdown line: in a code span
    the rest of the id would be read as Markdown and HTML on a line of its own."""
    new = leadpolicy.load(EXAMPLE_NEW)
    fields = {"seniority": "vp", "industry": "saas", "company_size": 800}
    visits = [{"type": "page_view", "at": "2026-11-20T00:00:00Z", "path": "/pricing"}] * 2  # lead -> mql
    ids = ["a\r<img src=x onerror=alert(1)>", "b\u2028<img src=y>", "c\x0b<img src=z>", "d\x85<img src=w>"]
    leads = [{"id": i, "fields": fields, "activities": visits} for i in ids]
    markdown = render_markdown(leadpolicy.diff(acme, new, leads=leads, as_of=AS_OF))
    assert markdown.count(" \\<img src=") == 3  # the examples shown, each id as escaped text
    assert not re.search("[\r\x0b\x85\u2028]", markdown) and not re.search(r"(?<!\\)<img", markdown)


def test_colour_on_a_real_terminal_only_and_no_color_respected(tmp_path) -> None:
    import pty

    def on_terminal(env_extra: dict) -> str:
        leader, follower = pty.openpty()
        env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
        env.pop("NO_COLOR", None) if "NO_COLOR" not in env_extra else None
        process = subprocess.Popen([sys.executable, "-m", "leadpolicy", "diff", str(ACME), str(EXAMPLE_NEW)],
                                   stdout=follower, stderr=follower, env=env, cwd=tmp_path)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=120)
        os.close(leader)
        return b"".join(chunks).decode("utf-8")

    assert "\x1b[" in on_terminal({})
    assert "\x1b[" not in on_terminal({"NO_COLOR": "1"})
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", "diff", str(ACME), str(EXAMPLE_NEW)],
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert piped.returncode == 0 and "\x1b" not in piped.stdout


# ---------------------------------------------------------------- the command: exit statuses


def test_exit_statuses(tmp_path) -> None:
    base = [str(ACME), str(EXAMPLE_NEW)]
    leads = ["--leads", str(ACME_LEADS), "--as-of", AS_OF]
    assert run("diff", *base).exit_code == 0
    assert run("diff", *base, *leads).exit_code == 0
    failing = run("diff", *base, *leads, "--fail-on-change")
    assert failing.exit_code == 1 and "--fail-on-change" in failing.stderr
    assert run("diff", *base, *leads, "--fail-on-change=50").exit_code == 0
    assert run("diff", *base, *leads, "--fail-on-change=50%").exit_code == 0  # as people write it (it was a usage error)
    assert run("diff", *base, *leads, "--fail-on-change=1").exit_code == 1
    assert run("diff", *base, *leads, "--fail-on-change", "1%").exit_code == 1
    assert run("diff", str(ACME), str(ACME), *leads, "--fail-on-change").exit_code == 0
    for wrong in (["diff", str(ACME)], ["diff", *base, str(ACME)], ["diff", "--rev", "HEAD", *base],
                  ["diff", *base, "--fail-on-change"], ["diff", *base, *leads, "--fail-on-change=lots"], ["diff", *base, *leads, "--fail-on-change=%"],
                  ["diff", *base, *leads, "--fail-on-change=120"], ["diff", *base, "--leads", str(tmp_path / "none.jsonl")],
                  ["diff", *base, "--leads", str(ACME_LEADS), "--as-of", "yesterday"],
                  ["diff", str(tmp_path / "missing.policy"), str(ACME)]):
        result = run(*wrong)
        assert result.exit_code == 2, (wrong, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("written, shown", [
    (["--fail-on-change", "-5"], "-5"), (["--fail-on-change=-5"], "-5"), (["--fail-on-change", "-1.5%"], "-1.5%"),
    (["--fail-on-change", "150"], "150"), (["--fail-on-change=150"], "150"),
])
def test_a_percentage_out_of_range_is_said_as_one_however_written(written: list, shown: str) -> None:
    """`--fail-on-change -5` (and `=-5`, which click puts back among the words) said `No such option
    '-5'` under the usage text: the negative number was read as an option. Each says what was
    written and that a percentage runs from 0 to 100, as `--fail-on-change 150` does, status 2."""
    done = subprocess.run([sys.executable, "-m", "leadpolicy", "diff", str(ACME), str(EXAMPLE_NEW), "--leads",
                           str(ACME_LEADS), "--as-of", AS_OF, *written], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", (
        f"error: Invalid value for '--fail-on-change': `{shown}` is not a percentage between 0 and 100: "
        "write --fail-on-change, or --fail-on-change=5 to allow up to 5% of the leads to change\n"))


@pytest.mark.parametrize("written", [["--fail-on-change", str(EXAMPLE_NEW)], ["--fail-on-change", "NEW"]])
def test_a_bare_fail_on_change_leaves_the_next_version_an_argument(written: list) -> None:
    """`diff OLD --fail-on-change NEW` ate NEW as the percentage (`NEW` is not a percentage): a word
    after the bare option that is no number is the next argument, as after `diff OLD NEW`."""
    words = [str(ACME), *written, "--leads", str(ACME_LEADS), "--as-of", AS_OF]
    result = run("diff", *words)
    if written[1] == "NEW":  # no such file: said of the version, not of --fail-on-change
        assert result.exit_code != 0 and "fail-on-change" not in result.output
        return
    same = run("diff", str(ACME), str(EXAMPLE_NEW), "--fail-on-change", "--leads", str(ACME_LEADS), "--as-of", AS_OF)
    assert (result.exit_code, result.output) == (same.exit_code, same.output) and result.exit_code == 1


def test_minus_zero_percent_is_zero() -> None:
    assert run("diff", str(ACME), str(EXAMPLE_NEW), "--leads", str(ACME_LEADS), "--as-of", AS_OF,
               "--fail-on-change", "-0").exit_code == 1  # as --fail-on-change=0: any lead that changes


def test_a_bad_as_of_is_refused_without_leads_too() -> None:
    """`--as-of yesterday` without --leads was ignored (exit 0), and so was leadpolicy.diff's
    as_of="yesterday": a typo that would matter once --leads is added went unseen."""
    result = run("diff", str(ACME), str(EXAMPLE_NEW), "--as-of", "yesterday")
    assert result.exit_code == 2 and "Invalid value for --as-of: `yesterday` is not an ISO 8601 date or timestamp" in result.stderr
    with pytest.raises(leadpolicy.LeadDataError, match="`yesterday` is not an ISO 8601 date or timestamp"):
        leadpolicy.diff(ACME, EXAMPLE_NEW, as_of="yesterday")
    assert run("diff", str(ACME), str(EXAMPLE_NEW), "--as-of", AS_OF).exit_code == 0


def test_output_file_is_written_whole(tmp_path) -> None:
    target = tmp_path / "diff.md"
    result = run("diff", str(ACME), str(EXAMPLE_NEW), "--format", "markdown", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("### Policy diff")
    assert [p.name for p in tmp_path.iterdir()] == ["diff.md"]
    assert run("diff", str(ACME), str(EXAMPLE_NEW), "-o", str(tmp_path / "no" / "such" / "dir.md")).exit_code == 2


def test_the_output_name_picks_the_format(tmp_path) -> None:
    """`-o diff.json` wrote the text report into a .json file (and `--format json -o diff.md`, JSON
    into a .md file), as report and docs pick by the suffix; now the suffix picks the format when
    --format is not given, and a --format it contradicts is a usage error."""
    for name, start in (("d.json", '{\n  "old": {'), ("d.MD", "### Policy diff"), ("d.txt", "Acme Cloud handoff: ")):
        result = run("diff", str(ACME), str(EXAMPLE_NEW), "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.stderr
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(start), name
    result = run("diff", str(ACME), str(EXAMPLE_NEW), "--format", "json", "-o", str(tmp_path / "e.md"))
    assert result.exit_code == 2 and not (tmp_path / "e.md").exists()
    assert (f"-o {tmp_path / 'e.md'} is named for Markdown, and --format json writes JSON: drop --format, or name "
            "the file for it") in result.stderr
    assert run("diff", str(ACME), str(EXAMPLE_NEW), "--format", "text", "-o", str(tmp_path / "e.json")).exit_code == 2


def test_an_output_name_of_no_format_it_writes_gets_a_warning(tmp_path) -> None:
    """`-o diff.html` wrote the text report into an .html file without a word (docs and report
    write HTML by that name); score warns of such names the same way."""
    result = run("diff", str(ACME), str(EXAMPLE_NEW), "-o", str(tmp_path / "diff.html"))
    assert result.exit_code == 0
    assert result.stderr == (f"warning: {tmp_path / 'diff.html'} gets the text report (diff writes no HTML): name it .md for "
                             "Markdown, .json for JSON or .txt, or say --format\n")
    assert (tmp_path / "diff.html").read_text(encoding="utf-8").startswith("Acme Cloud handoff: ")
    for quiet in (["-o", str(tmp_path / "d.txt")], ["-o", str(tmp_path / "d.html"), "--format", "text"], ["-o", "-"]):
        assert run("diff", str(ACME), str(EXAMPLE_NEW), *quiet).stderr == "", quiet


def test_both_versions_must_check_and_errors_carry_their_own_names(tmp_path) -> None:
    old = tmp_path / "old.policy"
    new = tmp_path / "new.policy"
    old.write_text('policy "B" version "1"\nstages { lead\n mql when nonsense >= 1 }\n', encoding="utf-8")
    new.write_text('policy "B" version "2"\nstages { lead\n mql when engagment >= 1 }\n', encoding="utf-8")
    result = run("diff", str(old), str(new))
    assert result.exit_code == 1
    assert f"{old}:3:" in result.stderr and f"{new}:3:" in result.stderr
    assert "both versions must check" in result.stderr


# ---------------------------------------------------------------- git versions, in a real repository


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=dict(os.environ, GIT_AUTHOR_NAME="T", GIT_AUTHOR_EMAIL="t@example.com",
                                   GIT_COMMITTER_NAME="T", GIT_COMMITTER_EMAIL="t@example.com"))
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    (root / "docs").mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "policies" / "acme.policy").write_text(ACME.read_text(encoding="utf-8"), encoding="utf-8")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "acme")
    (root / "policies" / "acme.policy").write_text(EXAMPLE_NEW.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def test_rev_compares_the_file_with_its_committed_version(repo: Path) -> None:
    result = run("diff", "--rev", "HEAD", "policies/acme.policy", "--format", "json")
    assert result.exit_code == 0, result.stderr
    shape = json.loads(result.stdout)
    assert shape["old"]["source"] == "HEAD:policies/acme.policy"
    assert shape["old"]["version"] == "2026.11.1" and shape["new"]["version"] == "2026.12.1"
    assert shape["new"]["source"] == "policies/acme.policy"
    assert any(c["section"] == "stages" for c in shape["changes"])


def test_rev_works_from_a_subfolder(repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(repo / "docs")
    result = run("diff", "--rev", "main", "../policies/acme.policy", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["old"]["source"] == "main:policies/acme.policy"
    both = run("diff", "main:policies/acme.policy", "../policies/acme.policy", "--format", "json")
    assert both.exit_code == 0 and json.loads(both.stdout)["changes"] == json.loads(result.stdout)["changes"]
    relative = run("diff", "main:./../policies/acme.policy", "../policies/acme.policy", "--format", "json")
    assert relative.exit_code == 0, relative.stderr


def test_a_rev_path_typed_from_a_subfolder_suggests_the_path_from_the_top(repo: Path, monkeypatch) -> None:
    """In policies/, `main:acme.policy` said only that it "does not exist at revision": git reads the
    path after `REV:` from the repository's top. Now it says so, with the two spellings that work."""
    monkeypatch.chdir(repo / "policies")
    result = run("diff", "main:acme.policy", "acme.policy")
    assert result.exit_code == 2
    assert result.stderr == ("error: `acme.policy` does not exist at revision `main` (main:acme.policy): the path after"
                             " `main:` is from the repository's top; did you mean `main:policies/acme.policy` (or"
                             " `main:./acme.policy`, from this folder)?\n")
    fixed = run("diff", "main:./acme.policy", "acme.policy")
    assert fixed.exit_code == 0, fixed.stderr
    typo = run("diff", "main:nope.policy", "acme.policy")  # no such file from here either: no guess
    assert typo.exit_code == 2 and typo.stderr.endswith("(main:nope.policy)\n")


def test_rev_path_form_compares_two_revisions(repo: Path) -> None:
    git(repo, "commit", "-q", "-am", "lower the mql bar")
    result = run("diff", "HEAD~1:policies/acme.policy", "HEAD:policies/acme.policy")
    assert result.exit_code == 0, result.stderr
    assert "HEAD~1:policies/acme.policy" in result.stdout and "stage MQL" in result.stdout
    same = run("diff", "HEAD:policies/acme.policy", "policies/acme.policy")
    assert same.exit_code == 0 and "no change in meaning" in same.stdout


def test_unknown_revision_and_missing_path(repo: Path) -> None:
    result = run("diff", "--rev", "no-such-branch", "policies/acme.policy")
    assert result.exit_code == 2 and "unknown revision `no-such-branch`" in result.stderr
    result = run("diff", "HEAD:policies/other.policy", "policies/acme.policy")
    assert result.exit_code == 2 and "`policies/other.policy` does not exist at revision `HEAD`" in result.stderr
    result = run("diff", "--rev", "--output=x", "policies/acme.policy")
    assert result.exit_code == 2


def test_a_policy_new_since_the_revision_and_a_directory_are_said_as_what_they_are(repo: Path) -> None:
    """A pull request that adds a policy: `diff --rev main NEW` said only that it "does not exist at
    revision", as for a typo; a directory at the revision was said the same way."""
    (repo / "policies" / "new.policy").write_text(ACME.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("diff", "--rev", "main", "policies/new.policy")
    assert result.exit_code == 2
    assert ("`policies/new.policy` does not exist at revision `main` (main:policies/new.policy): it is new since then, so"
            " there is no old version to compare it with (`leadpolicy docs policies/new.policy` describes it whole)"
            in result.stderr)
    typo = run("diff", "--rev", "main", "policies/nwe.policy")
    assert typo.exit_code == 2 and "it is new" not in typo.stderr
    folder = run("diff", "main:policies", "policies/acme.policy")
    assert folder.exit_code == 2 and "`policies` is a directory at revision `main`" in folder.stderr


def test_errors_of_a_revision_carry_its_name(repo: Path) -> None:
    (repo / "policies" / "acme.policy").write_text('policy "A" version "1"\nstages { lead\n mql when bogus >= 1 }\n',
                                                    encoding="utf-8")
    git(repo, "commit", "-q", "-am", "broken")
    result = run("diff", "HEAD:policies/acme.policy", "HEAD~1:policies/acme.policy")
    assert result.exit_code == 1
    assert "HEAD:policies/acme.policy:3:" in result.stderr
    assert "HEAD:policies/acme.policy: 1 error" in result.stderr


def test_outside_a_repository(tmp_path: Path, monkeypatch) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "acme.policy").write_text(ACME.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run("diff", "--rev", "main", "acme.policy")
    assert result.exit_code == 2 and "is not inside a git repository" in result.stderr
    result = run("diff", "main:acme.policy", "acme.policy")
    assert result.exit_code == 2 and "is not inside a git repository" in result.stderr


def test_rev_from_outside_the_repository_reads_the_files_own(repo: Path, tmp_path: Path, monkeypatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = run("diff", "--rev", "main", str(repo / "policies" / "acme.policy"), "--format", "json")
    assert result.exit_code == 0, result.stderr
    shape = json.loads(result.stdout)
    assert shape["old"]["source"] == "main:policies/acme.policy" and shape["old"]["version"] == "2026.11.1"
    assert shape["new"]["version"] == "2026.12.1"
    result = run("diff", "--rev", "main", "acme.policy")  # not there, and no repository here
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_leads_from_standard_input() -> None:
    lines = ACME_LEADS.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(ACME), str(EXAMPLE_NEW), "--leads", "-", "--as-of", AS_OF, "--format", "json"],
                                input=lines, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    leads = json.loads(result.stdout)["leads"]
    from_file = leadpolicy.diff(str(ACME), str(EXAMPLE_NEW), leads=str(ACME_LEADS), as_of=AS_OF).leads
    assert leads["source"] == "<stdin>"  # as every command names standard input (it was "standard input")
    assert {k: v for k, v in leads.items() if k != "source"} == {k: v for k, v in from_file.items() if k != "source"}
    csv_result = CliRunner().invoke(main, ["diff", str(ACME), str(EXAMPLE_NEW), "--leads", "-", "--input-format", "csv",
                                           "--as-of", AS_OF, "--format", "json"],
                                    input="id,stage,budget\nA,lead,5\nB,,lots\n", catch_exceptions=False)
    errors = json.loads(csv_result.stdout)["leads"]["errors"]
    assert csv_result.exit_code == 0 and errors["both"] == 1


@pytest.mark.parametrize("engine", ["python", "duckdb", "stdin"])
def test_csv_leads_that_are_not_utf8_exit_1_as_in_score_and_report(tmp_path: Path, engine: str) -> None:
    # diff said it with exit status 2 (wrong usage), where score and report say a file whose contents they
    # cannot read with 1 (docs/cli-guide.md, "Exit status"); from standard input it named the file `-`
    if engine == "duckdb":
        pytest.importorskip("duckdb", reason="pip install 'leadpolicy[duckdb]'")
    leads = tmp_path / "latin1.csv"
    leads.write_bytes(b"id,industry,seniority\nL-1,software,vp\nL-2,caf\xe9,ic\n")
    for command in (["score", str(ACME), str(leads), "--as-of", AS_OF, "-q"], ["report", str(ACME), str(leads), "--as-of", AS_OF]):
        assert CliRunner().invoke(main, command, catch_exceptions=False).exit_code == 1
    if engine == "stdin":
        result = CliRunner().invoke(main, ["diff", str(ACME), str(EXAMPLE_NEW), "--leads", "-", "--input-format", "csv",
                                           "--as-of", AS_OF], input=leads.read_bytes(), catch_exceptions=False)
        shown = "<stdin>"  # as score names it
    else:
        result = run("diff", str(ACME), str(EXAMPLE_NEW), "--leads", str(leads), "--as-of", AS_OF, "--engine", engine)
        shown = str(leads)
    assert (result.exit_code, result.stdout) == (1, "")
    where = "" if engine == "stdin" else " on line 3"  # standard input cannot be read again to find the line
    assert result.stderr == f"error: {shown} is not UTF-8 text (byte 0xe9{where}): save it as UTF-8\n"


def test_order_that_decides_is_reported() -> None:
    faded = '  "Faded":  mql -> lead when engagement < 30\n'
    gone = '  "Gone":  mql -> lead when no activity within 90 days\n'
    old = variant((faded, faded + gone))
    new = variant((faded, gone + faded))
    assert [summary(c) for c in changes_between(old, new)] == [
        ("demote", "reordered", "", [("order", "Faded, Gone", "Gone, Faded")])]
    accepted = '  "Accepted": when status = accepted\n'
    rival = '  "Rival":  when email ends with "@rival.example"\n'
    old = variant((rival, rival + accepted))
    new = variant((rival, accepted + rival))
    [change] = changes_between(old, new)
    assert (change.section, change.kind, change.parts[0].new) == ("disqualify", "reordered", "Accepted, Rival")


def test_a_change_in_meaning_under_the_same_version_gets_a_note(tmp_path: Path) -> None:
    """Decisions carry the policy's version: a change of meaning that keeps it makes two agreements
    indistinguishable in the decisions they wrote. The reports say so (found trying diff by hand);
    layout-only changes and bumped versions get no note."""
    text = ACME.read_text(encoding="utf-8")
    same = tmp_path / "same.policy"
    same.write_text(text.replace("engagement >= 60", "engagement >= 70"), encoding="utf-8")
    result = leadpolicy.diff(str(ACME), str(same))
    assert result.version_unchanged and result.to_dict()["version_unchanged"] is True
    note = 'the meaning changes but the version is still "2026.11.1": bump it'
    assert f"  note: {note}" in run("diff", str(ACME), str(same)).stdout
    assert f"**Note**: {note}" in run("diff", str(ACME), str(same), "--format", "markdown").stdout
    layout = tmp_path / "layout.policy"
    layout.write_text(text.replace("# Acme Cloud", "# Acme  Cloud"), encoding="utf-8")
    bumped = tmp_path / "bumped.policy"
    bumped.write_text(text.replace("engagement >= 60", "engagement >= 70").replace('"2026.11.1"', '"2026.11.2"'), encoding="utf-8")
    for other in (layout, bumped):
        assert not leadpolicy.diff(str(ACME), str(other)).version_unchanged
        assert "note:" not in run("diff", str(ACME), str(other)).stdout


def test_standard_input_that_cannot_be_read_is_named_as_every_command_names_it() -> None:
    # it said "cannot read -: ..."
    import errno
    import io

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: "memoryview | bytearray") -> int:
            raise OSError(errno.EIO, "Input/output error")

    result = CliRunner().invoke(main, ["diff", str(ACME), str(EXAMPLE_NEW), "--leads", "-", "--as-of", AS_OF],
                                input=io.BufferedReader(Broken()), catch_exceptions=False)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: cannot read <stdin>: Input/output error\n"


def test_an_as_of_beyond_the_datetime_range_in_utc_is_a_lead_data_error() -> None:
    """`leadpolicy.diff(..., as_of="9999-12-31T23:59:59-05:00")` (10000-01-01 in UTC) raised
    OverflowError; its docstring says LeadDataError, as a time that cannot be read raises."""
    with pytest.raises(leadpolicy.LeadDataError, match="is outside the times leadpolicy reads") as raised:
        leadpolicy.diff(ACME, ACME, leads=[{"fields": {}}], as_of="9999-12-31T23:59:59-05:00")
    assert raised.value.field == "as_of"


def test_diff_reads_parquet_leads_of_the_json_lines_shape_as_score_does(repo: Path) -> None:
    """`score` reads Parquet leads of the JSON Lines shape (a `fields` column) with every engine, and
    `diff --leads` reads leads "as `score` reads them"; it refused such a file with a message that was
    untrue of it, `Parquet leads are the relational shape; give their activities table too` (exit 2),
    with either engine, and leadpolicy.diff raised the same. Now both engines replay a JSON Lines copy
    of it: the report of the same leads as JSON Lines, its source the Parquet file's name."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from support.parquet import text_leads

    leads = text_leads(ACME_LEADS)
    (repo / "leads.jsonl").write_text("".join(json.dumps(lead) + "\n" for lead in leads), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(leads), repo / "leads.parquet")
    args = ["diff", "--rev", "main", "policies/acme.policy", "--as-of", AS_OF, "--json", "-j", "1"]
    expected = run(*args, "--leads", "leads.jsonl")
    assert expected.exit_code == 0, expected.stderr
    wanted = json.loads(expected.stdout)
    wanted["leads"]["source"] = "leads.parquet"
    assert wanted["leads"]["changed_stage"] > 0
    engines = ["python"] + (["duckdb"] if importlib.util.find_spec("duckdb") else [])
    for engine in engines:
        done = run(*args, "--leads", "leads.parquet", "--engine", engine)
        assert (done.exit_code, done.stderr) == (0, ""), (engine, done.stderr)
        assert json.loads(done.stdout) == wanted, engine
    # a Parquet file named for something else is known by its first bytes
    (repo / "export.jsonl").write_bytes((repo / "leads.parquet").read_bytes())
    named = run(*args, "--leads", "export.jsonl")
    assert named.exit_code == 0 and json.loads(named.stdout)["leads"]["transitions"] == wanted["leads"]["transitions"]
    api = leadpolicy.diff("main:policies/acme.policy", "policies/acme.policy", leads="leads.parquet", as_of=AS_OF)
    assert api.to_dict() == wanted
    # a leads table of the relational shape (no `fields` column) still needs its activities table
    pq.write_table(pa.Table.from_pylist([{"id": "R-1", "seniority": "vp"}]), repo / "table.parquet")
    refused = run(*args, "--leads", "table.parquet")
    assert refused.exit_code == 2 and "without a `fields` column are the relational shape" in refused.stderr
    (repo / "fake.parquet").write_text('{"id": 1}\n')  # named .parquet, and not one: its own line, exit 1
    fake = run(*args, "--leads", "fake.parquet")
    assert fake.exit_code == 1 and fake.stderr.startswith("error: fake.parquet cannot be read as Parquet")
    assert "Traceback" not in fake.stderr
