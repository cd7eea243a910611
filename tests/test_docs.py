"""The handoff document: plain English for every node kind, the stage picture,
golden Markdown for every example policy, well-formed self-contained HTML, and
hostile text that must come out escaped everywhere (HTML, SVG, Markdown, Mermaid).

Golden files live in tests/golden/docs/NAME.md. A missing or stale golden fails;
`LEADPOLICY_UPDATE_GOLDEN=1 python -m pytest tests/test_docs.py` (re)writes them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from leadpolicy.check.checker import check
from leadpolicy.handoff import diagram, document as docs
from leadpolicy.handoff.english import Clauses, English, article, plural, stage_title
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
GOLDEN = ROOT / "tests" / "golden" / "docs"


def resolved(text: str, path: str = "t.policy") -> n.Policy:
    result = check(parse(text, path))
    assert result.ok, [d.message for d in result.errors]
    return result.policy


def load(path: Path) -> tuple[n.Policy, str, str]:
    """(resolved tree, source, the path as the document shows it: relative to the repository)."""
    source = path.read_text(encoding="utf-8")
    shown = path.relative_to(ROOT).as_posix()
    return resolved(source, shown), source, shown


# ---------------------------------------------------------------- English, node by node

HEAD = 'policy "P" version "1"\n'
DECLS = """
fields {
  budget number  email text  seniority one of (ic, manager, director, vp)
  stage_name one of (open, "Closed Won", "no")  is_customer boolean  opted_in boolean  created date
}
activities {
  page_view (path text, secs number)
  chat
  form_submit (form text) "Form submission"
  key_feature_used (feature text) "Used a feature, named as in product analytics"
  webinar (minutes number, live boolean)
}
grades { A when fit >= 10  B otherwise }
"""


def policy_with(condition: str, extra: str = "") -> n.Policy:
    return resolved(HEAD + DECLS + "stages { lead  mql when engagement >= 1  sql when " + condition + " }\n" + extra)


def english(condition: str) -> str:
    p = policy_with(condition)
    return English(p).condition(p.stages[2].condition)


def prose(condition: str):
    p = policy_with(condition)
    return English(p).prose(p.stages[2].condition)


@pytest.mark.parametrize(
    "condition, words",
    [
        # Compare, Number, FieldRef; literals first are turned around
        ("budget >= 10000", "its budget is at least 10,000"),
        ("budget < 2.5", "its budget is less than 2.5"),
        ("budget > 3", "its budget is more than 3"),
        ("budget <= 3", "its budget is at most 3"),
        ("10 <= budget", "its budget is at least 10"),
        ("budget = 0", "its budget is 0"),
        # String, TextTest
        ('email ends with "@x.com"', 'its email ends with "@x.com"'),
        ('email starts with "ceo@"', 'its email starts with "ceo@"'),
        ('email contains "sales"', 'its email contains "sales"'),
        # EnumValue, and where a missing value makes the condition hold
        ("stage_name = open", "its stage name is open"),
        ('stage_name = "Closed Won"', 'its stage name is "Closed Won"'),
        ("stage_name != open", "its stage name is not open (or unknown)"),
        ("seniority >= director", "its seniority is director or higher (director or vp)"),
        ("seniority < manager", "its seniority is below manager (ic)"),
        # InList
        ("seniority in (director, vp)", "its seniority is director or vp"),
        ("seniority not in (ic, manager)", "its seniority is not one of ic, manager (or unknown)"),
        ('email in ("a@x.com")', 'its email is "a@x.com"'),
        # IsMissing
        ("budget is missing", "its budget is missing"),
        ("email is present", "its email is present"),
        # Bool and boolean fields
        ("is_customer", "its customer flag is true"),
        ("not is_customer", "its customer flag is not true (false or unknown)"),
        ("opted_in = false", "its opted in flag is false"),
        ("opted_in != true", "its opted in flag is not true (or unknown)"),
        # DateLit, DaysSince
        ("created >= 2026-01-01", "its created is on or after 2026-01-01"),
        ("created < 2026-01-01T10:30:00Z", "its created is before 2026-01-01T10:30:00Z"),
        ("days since created > 30", "its created was more than 30 days ago"),
        ("days since created <= 1", "its created was at most 1 day ago"),
        ("days since created >= -180", "its created is at most 180 days from now"),
        ("days since created + 1 > 2", "the number of whole days since its created plus 1 is more than 2"),
        # Engagement, Fit, Arith, Neg
        ("engagement + fit >= 100", "its engagement score plus its fit score is at least 100"),
        ("(engagement + fit) * 2 > 10", "(its engagement score plus its fit score) times 2 is more than 10"),
        ("fit - (engagement - 1) > 0", "its fit score minus (its engagement score minus 1) is more than 0"),
        ("budget > -3", "its budget is more than minus 3"),
        # Grade, GradeValue (an `otherwise` band: the grade is never unknown)
        ("grade = A", "its grade is A"),
        ("grade in (A, B)", "its grade is A or B"),
        ("grade != A", "its grade is not A"),
        # StageRef
        ("mql", "it meets the MQL entry criteria"),
        ("lead", "it is at least at the lead stage (always true)"),
        ("not lead", "never (it is at least at the lead stage (always true))"),
        ("not mql", "it does not meet the MQL entry criteria"),
        # Not: said positively, with the missing-value meaning spelled out
        ("not budget >= 10000", "its budget is less than 10,000 (or unknown)"),
        ("not engagement > 5", "its engagement score is at most 5"),
        ("not stage_name = open", "its stage name is not open (or unknown)"),
        ("not stage_name != open", "its stage name is open"),
        ('not email ends with "@x.com"', 'its email does not end with "@x.com" (or unknown)'),
        ("not budget is missing", "its budget is present"),
        ("not (fit > 1 and engagement > 1)", "not all of: its fit score is more than 1; its engagement score is more than 1"),
        ("not (fit > 1 or engagement > 1)", "none of: its fit score is more than 1; its engagement score is more than 1"),
        # And, Or and their mixtures
        ("fit >= 40 and engagement >= 60", "its fit score is at least 40 and its engagement score is at least 60"),
        ("fit >= 40 or engagement >= 60", "its fit score is at least 40 or its engagement score is at least 60"),
        (
            "mql and (budget > 1 or is_customer)",
            "it meets the MQL entry criteria and either its budget is more than 1 or its customer flag is true",
        ),
        (
            "(budget > 1 or is_customer) and mql",
            "(its budget is more than 1 or its customer flag is true) and it meets the MQL entry criteria",
        ),
        (
            "budget > 1 and is_customer or mql",
            "(its budget is more than 1 and its customer flag is true) or it meets the MQL entry criteria",
        ),
        ("fit > 1 and (engagement > 1 and budget > 1)", "its fit score is more than 1 and its engagement score is more than 1 and its budget is more than 1"),
        # AtLeast
        (
            "at least 2 of (budget >= 10, seniority = vp, is_customer)",
            "at least 2 of: its budget is at least 10; its seniority is vp; its customer flag is true",
        ),
        # Did: activity names as words, descriptions when they read as a name, windows, counts
        (
            'did form_submit where form = "demo" within 14 days',
            'it had a form submission whose form is "demo" in the last 14 days',
        ),
        (
            'did page_view where path starts with "/blog" at least 3 times within 2 weeks',
            'it had at least 3 page views whose path starts with "/blog" in the last 2 weeks',
        ),
        ("did chat within 12 hours", "it had a chat in the last 12 hours"),
        ("did chat within 1 day", "it had a chat in the last 1 day"),
        ("did chat", "it has had a chat"),
        ("no chat", "it has never had a chat"),
        ("no activity within 30 days", "it had no activity in the last 30 days"),
        ("did activity within 1.5 days", "it had some activity in the last 1.5 days"),
        ("did activity at least 2 times", "it has had at least 2 activities"),
        ('no page_view where path = "/pricing" within 30 days', 'it had no page view whose path is "/pricing" in the last 30 days'),
        ("did webinar where live and minutes >= 20", "it has had a webinar (whose live flag is true and minutes is at least 20)"),
        ("did webinar where not live", "it has had a webinar whose live flag is not true (false or unknown)"),
        ("not did chat at least 3 times", "it has had fewer than 3 chats"),
        (
            'did key_feature_used where feature = "api" at least 3 times within 30 days',
            'it had at least 3 "key feature used" activities whose feature is "api" in the last 30 days',
        ),
    ],
)
def test_english_for_each_node_kind(condition: str, words: str) -> None:
    assert english(condition) == words


def test_english_grade_without_otherwise_can_be_unknown() -> None:
    p = resolved(HEAD + "grades { A when fit >= 10 }\nstages { lead  mql when grade != A }")
    assert English(p).condition(p.stages[1].condition) == "its grade is not A (or unknown)"


def test_prose_is_one_line_when_it_reads_well() -> None:
    assert prose("fit >= 40 and engagement >= 60") == "its fit score is at least 40 and its engagement score is at least 60"
    assert prose("mql and (budget > 1 or is_customer)").startswith("it meets the MQL entry criteria and either ")


def test_prose_lists_what_one_line_could_not_say_clearly() -> None:
    assert prose("(budget > 1 or is_customer) and mql") == Clauses(
        "all of these hold",
        ("its budget is more than 1 or its customer flag is true", "it meets the MQL entry criteria"),
    )
    assert prose("budget > 1 and is_customer or mql") == Clauses(
        "at least one of these holds",
        ("its budget is more than 1 and its customer flag is true", "it meets the MQL entry criteria"),
    )
    assert prose("at least 2 of (budget >= 10, seniority = vp, is_customer)") == Clauses(
        "at least 2 of these hold",
        ("its budget is at least 10", "its seniority is vp", "its customer flag is true"),
    )
    nested = prose("mql and (budget > 1 or (is_customer and fit > 2))")
    assert nested == Clauses(
        "all of these hold",
        (
            "it meets the MQL entry criteria",
            Clauses("at least one of these holds", ("its budget is more than 1", "its customer flag is true and its fit score is more than 2")),
        ),
    )
    assert prose("not (fit > 1 or engagement > 1)") == Clauses(
        "none of these holds", ("its fit score is more than 1", "its engagement score is more than 1")
    )


def test_english_words_helpers() -> None:
    assert stage_title("mql") == "MQL" and stage_title("sql") == "SQL" and stage_title("lead") == "lead"
    assert stage_title("closed_won") == "closed won"
    assert [article(x) for x in ("MQL", "SQL", "PQL", "lead", "opportunity", '"account deleted" activity')] == ["an", "an", "a", "a", "an", "an"]
    assert [plural(x) for x in ("page view", "form submission", "inquiry", "box", "MQL")] == [
        "page views",
        "form submissions",
        "inquiries",
        "boxes",
        "MQLs",
    ]


# ---------------------------------------------------------------- English, whole rules (acme)


@pytest.fixture(scope="module")
def acme() -> n.Policy:
    return load(ROOT / "policies" / "acme.policy")[0]


def test_acme_stage_sentences(acme: n.Policy) -> None:
    e = English(acme)
    lead, mql, sql = (e.stage_sentence(s, i) for i, s in enumerate(acme.stages))
    assert lead == "Every lead starts here: this stage has no entry criteria."
    assert mql == "A lead becomes an MQL when its engagement score is at least 60 and its fit score is at least 40."
    assert sql == (
        "A lead becomes an SQL when it meets the MQL entry criteria and either it had a form submit"
        ' whose form is "demo" in the last 14 days or its sales status is accepted.'
    )


def test_acme_engagement_sentences(acme: n.Policy) -> None:
    e = English(acme)
    sentences = [e.engagement_sentence(r, acme.decay) for r in acme.engagement_rules]
    assert sentences[0] == '5 points per page view whose path starts with "/blog" in the last 90 days, at most 50; points halve every 30 days'
    assert sentences[2] == '15 points per form submit whose form is "ebook"; points halve every 30 days'
    assert sentences[5] == "-50 points per unsubscribe, capped at -50 in total; points halve every 30 days"
    assert e.decay_sentence(acme.decay).startswith("Points halve every 30 days: an activity's points are multiplied by 0.5")


@pytest.mark.parametrize(
    "decay, phrase",
    [
        ("decay 50% every 30 days", "points halve every 30 days"),
        ("decay 25% every 30 days", "points lose 25% every 30 days"),
        ("decay 12.5% every 1 week", "points lose 12.5% every 1 week"),
        ("decay 100% every 2 weeks", "points expire after 2 weeks"),
    ],
)
def test_decay_phrases(decay: str, phrase: str) -> None:
    p = resolved(HEAD + DECLS + 'stages { lead }\nengagement { "Chat": +5 per chat\n' + decay + " }")
    assert English(p).decay_phrase(p.decay) == phrase
    assert English(p).engagement_sentence(p.engagement_rules[0], p.decay) == "5 points per chat; " + phrase


def test_acme_rule_sentences(acme: n.Policy) -> None:
    e = English(acme)
    fit = {r.name: e.fit_sentence(r) for r in acme.fit_rules}
    assert fit["Budget of $10k or more"] == "25 points when its budget is at least 10,000."
    assert fit["Free email address"] == '-30 points when its email ends with "@gmail.com" or its email ends with "@yahoo.com".'
    assert fit["Three of four BANT signals"] == Clauses(
        "10 points when at least 3 of these hold",
        (
            "its budget is at least 10,000",
            "its seniority is director, vp or cxo",
            "its industry is saas or fintech",
            "its timeline days is at most 90",
        ),
    )
    assert [e.grade_sentence(b) for b in acme.grades][::3] == [
        "Grade A when its fit score is at least 70.",
        "Grade D otherwise (when no grade above applies).",
    ]
    assert [e.demotion_sentence(r) for r in acme.demotions] == [
        "An SQL falls back to MQL when it had no activity in the last 30 days and its sales status is not accepted (or unknown).",
        "An MQL falls back to the lead stage when its engagement score is less than 30.",
    ]
    assert [e.disqualify_sentence(r) for r in acme.disqualifications] == [
        'A lead is disqualified when its email ends with "@rival.example".',
        "A lead is disqualified when its customer flag is true.",
        "A lead is disqualified when its sales status is disqualified.",
    ]


def test_english_needs_a_checked_policy() -> None:
    tree = parse(HEAD + DECLS + "stages { lead  mql when budget > 1 }")
    with pytest.raises(TypeError, match="checked policy"):
        English(tree).condition(tree.stages[1].condition)
    with pytest.raises(ValueError, match="checked policy"):
        docs.markdown(tree, "")


# ---------------------------------------------------------------- the stage picture


def test_diagram_model_and_short_criteria(acme: n.Policy) -> None:
    picture = diagram.model(acme)
    assert [name for name, _ in picture.stages] == ["lead", "mql", "sql"]
    assert [(e.source, e.target, e.label) for e in picture.promotions] == [
        ("lead", "mql", "when its engagement score is at least 60 and its fit score is at least 40"),
        ("mql", "sql", 'when it meets the MQL entry criteria and either it had a form submit whose form is "demo" '
                       "in the last 14 days or its sales status is accepted"),
    ]
    assert [(e.source, e.target, e.rules) for e in picture.demotions] == [
        ("sql", "mql", ("Went quiet",)),
        ("mql", "lead", ("Engagement faded",)),
    ]
    assert picture.disqualify_rules == ("Competitor", "Already a customer", "Ruled out by sales")


@pytest.mark.parametrize(
    "condition, short",
    [
        ("budget != 3 and not is_customer", "budget ≠ 3 and not is_customer"),
        ("(engagement + fit) * 2 > -budget", "(engagement + fit) × 2 > -budget"),
        ("seniority not in (ic, manager) or email is missing", "seniority not in (ic, manager) or email missing"),
        ("at least 2 of (is_customer, opted_in, budget > 1)", "at least 2 of 3 conditions"),
        ("no activity within 30 days", "no activity in last 30 days"),
        ("did chat at least 3 times", "3× chat"),
        ("days since created >= 7 and grade = A", "days since created ≥ 7 and grade = A"),
    ],
)
def test_diagram_shorthand(condition: str, short: str) -> None:
    p = policy_with(condition)
    assert diagram.criterion(p.stages[2].condition) == short


def test_svg_is_well_formed_and_complete(acme: n.Policy) -> None:
    picture = diagram.model(acme)
    root = ET.fromstring(diagram.svg(picture, rule_href=lambda rule: "#rule-x"))
    texts = " ".join("".join(t.itertext()) for t in root.iter("text"))
    for name in ("lead", "mql", "sql", "disqualified", "Went quiet", "Engagement faded", "Competitor", "back to MQL"):
        assert name in texts
    rects = [r.get("class") for r in root.iter("rect")]
    assert rects.count("stage-box") == 3 and rects.count("dq-box") == 1
    assert len([p for p in root.iter("line") if p.get("class") == "edge-promote"]) == 2
    assert len([p for p in root.iter("path") if p.get("class") == "edge-demote"]) == 2
    assert len([p for p in root.iter("line") if p.get("class") == "edge-disqualify"]) == 3
    assert {m.get("id") for m in root.iter("marker")} == {"diagram-arrow-promote", "diagram-arrow-demote", "diagram-arrow-disqualify"}
    # Deterministic: the same policy gives the same picture, byte for byte.
    assert diagram.svg(picture) == diagram.svg(diagram.model(acme))


def test_svg_without_demotions_or_disqualification() -> None:
    p = resolved(HEAD + "stages { lead  mql when fit >= 1 }")
    root = ET.fromstring(diagram.svg(diagram.model(p)))
    assert [r.get("class") for r in root.iter("rect")] == ["stage-box", "stage-box"]
    assert "disqualified" not in diagram.mermaid(diagram.model(p))


def test_mermaid_flowchart(acme: n.Policy) -> None:
    text = diagram.mermaid(diagram.model(acme))
    lines = text.splitlines()
    assert lines[0] == "flowchart BT"
    assert '    s0 -->|"when its engagement score is at least 60 and its fit score is at least 40"| s1' in lines
    assert '    s2 -.->|"Went quiet: back to MQL"| s1' in lines
    assert all(f"    s{i} -.-> dq" in lines for i in range(3))
    assert "#quot;demo#quot;" in text  # quotes inside a label are entity codes


# ---------------------------------------------------------------- golden Markdown for every example policy


def test_there_are_example_policies() -> None:
    assert any(p.name == "acme.policy" for p in POLICIES)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_markdown_golden(path: Path, golden) -> None:
    tree, source, shown = load(path)
    golden(GOLDEN / f"{path.stem}.md", docs.markdown(tree, source, shown))


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_markdown_mentions_every_rule_stage_field_and_owner(path: Path) -> None:
    tree, source, shown = load(path)
    text = docs.markdown(tree, source, shown)
    unescaped = re.sub(r"\\(.)", r"\1", text)
    names = [r.name for r in tree.engagement_rules + tree.fit_rules + tree.demotions + tree.disqualifications]
    names += [f"`{s.name}`" for s in tree.stages] + [f"`{f.name}`" for f in tree.fields] + [f"`{a.name}`" for a in tree.activities]
    names += [o.person for o in tree.owners] + [tree.version, shown]
    for name in names:
        assert name in unescaped, name
    assert docs.document(tree, source)["sha256"] in text
    assert "```mermaid\nflowchart BT\n" in text


def test_engagement_table_has_the_decay_column(tmp_path: Path) -> None:
    """The product's engagement points table is "activity, condition, points, window, cap, decay": the
    decay was a paragraph under the table and in each rule's sentence, not a column (the Markdown did
    not hold the word). It is the block's one decay on every row, `none` without one."""
    import subprocess
    import sys

    quiet = tmp_path / "quiet.policy"
    quiet.write_text('policy "Q" version "1"\nactivities { chat }\nstages { lead mql when engagement >= 10 }\n'
                     'engagement { "Chat": +5 per chat max 20 }\n', encoding="utf-8")
    for policy, row in ((str(ROOT / "policies" / "acme.policy"),
                         '| Read a blog post | `page_view` | path starts with "/blog" | +5 | last 90 days | 50 | 50% every 30 days |'),
                        (str(quiet), "| Chat | `chat` | every one | +5 | all time | 20 | none |")):
        for suffix in ("md", "html"):
            out = tmp_path / f"handoff.{suffix}"
            done = subprocess.run([sys.executable, "-m", "leadpolicy", "docs", policy, "-o", str(out)],
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            text = out.read_text(encoding="utf-8")
            if suffix == "md":
                assert "| Rule | Activity | Condition | Points | Window | Cap | Decay |" in text and row in text
            else:
                assert "<th>Window</th><th class=\"num\">Cap</th><th>Decay</th>" in text
                assert f"<td>{row.split(' | ')[-1].rstrip(' |')}</td></tr>" in text


def test_markdown_is_deterministic(acme: n.Policy) -> None:
    source = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")
    first = docs.markdown(acme, source, "policies/acme.policy")
    again = docs.markdown(resolved(source), source, "policies/acme.policy")
    assert first == again
    assert not re.search(r"20\d\d-\d\d-\d\dT|\d\d:\d\d:\d\d", first)  # no timestamps


# ---------------------------------------------------------------- well-formed, self-contained HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Inspector(HTMLParser):
    """Checks nesting; collects ids, links and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.in_svg = 0
        self.svg_text: list[str] = []

    def _attrs(self, tag: str, attrs) -> None:
        self.tags.append(tag)
        for key, value in attrs:
            if key == "id":
                self.ids.append(value)
            if key in ("href", "src", "xlink:href", "action", "data", "poster", "srcset"):
                self.links.append((tag, key, value or ""))

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag == "svg":
            self.in_svg += 1
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}> at {self.getpos()}")
            return
        self.stack.pop()
        if tag == "svg":
            self.in_svg -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self.in_svg:
            self.svg_text.append(data)


def inspect(html: str) -> Inspector:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert not inspector.problems, inspector.problems[:5]
    assert not inspector.stack, f"unclosed: {inspector.stack}"
    return inspector


def assert_self_contained(html: str, inspector: Inspector) -> None:
    assert "<script" not in html.lower()
    assert "script" not in inspector.tags and "iframe" not in inspector.tags and "link" not in inspector.tags
    for tag, key, value in inspector.links:
        assert not re.match(r"\s*(https?:|//|javascript:)", value, re.I), (tag, key, value)
        if key == "href":
            assert value.startswith("#"), (tag, key, value)  # only links inside the document
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(https?:|//)", html)
    ids = set(inspector.ids)
    assert len(ids) == len(inspector.ids), sorted(i for i in ids if inspector.ids.count(i) > 1)
    for tag, key, value in inspector.links:
        if key == "href":
            assert value[1:] in ids, f"link to a missing anchor {value}"


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_html_is_well_formed_and_self_contained(path: Path) -> None:
    tree, source, shown = load(path)
    html = docs.html(tree, source, shown)
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    inspector = inspect(html)
    assert_self_contained(html, inspector)
    assert inspector.tags.count("svg") == 1 and inspector.tags.count("style") == 1
    assert "@media print" in html and "break-inside: avoid" in html
    # An anchor on every rule, named after it, and every section in the contents.
    rules = tree.engagement_rules + tree.fit_rules + tree.demotions + tree.disqualifications
    anchors = docs.document(tree, source)["rule_ids"]
    assert sorted(anchors) == sorted(r.name for r in rules)
    assert set(anchors.values()) == {i for i in inspector.ids if i.startswith("rule-")}
    for section, _ in docs.SECTIONS:
        assert section in inspector.ids
    assert html == docs.html(tree, source, shown)  # deterministic


def test_html_rule_anchors_are_slugged_and_unique() -> None:
    p = resolved(
        HEAD
        + DECLS
        + 'stages { lead }\nfit { "Big budget!": +5 when budget > 1\n "big budget": +1 when budget > 2\n "Größe": +1 when budget > 3\n "???": +1 when budget > 4 }'
    )
    html = docs.html(p, "", "t.policy")
    ids = inspect(html).ids
    assert [i for i in ids if i.startswith("rule-")] == ["rule-big-budget", "rule-big-budget-2", "rule-größe", "rule-x"]


def test_acme_html_reads_like_the_markdown(acme: n.Policy) -> None:
    source = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")
    inspector = inspect(docs.html(acme, source, "policies/acme.policy"))
    text = " ".join("".join(inspector.text).split())
    assert "A lead becomes an MQL when its engagement score is at least 60 and its fit score is at least 40." in text
    assert 'Read a blog post: 5 points per page view whose path starts with "/blog" in the last 90 days, at most 50; points halve every 30 days.' in text
    assert "rule-read-a-blog-post" in inspector.ids and "stage-mql" in inspector.ids
    assert "Dana Ruiz" in text and "Lee Park" in text
    assert "at least 3 of these hold:" in text  # the BANT rule as a list


# ---------------------------------------------------------------- hostile text

HOSTILE = r'''
policy "<script>alert(1)</script> & \"Co\"" version "1 </svg> {{ 7*7 }}"
owner marketing "Eve <img src=x onerror=alert(1)>"
owner sales "O'Hara \"Bob\" {% raw %}"
fields {
  email   text "Work email <b>bold</b> {{ 7*7 }} | pipe"
  status  one of (open, "</svg><script>alert(2)</script>", "#quot;")
}
activities {
  visit (path text) "A <visit> & more"
}
stages {
  lead "<script>alert(3)</script>"
  mql  "Marketing </svg> qualified" when status = "</svg><script>alert(2)</script>"
                                     or email contains "<script>alert(4)</script>"
                                     or status = "#quot;"
}
engagement {
  "<script>alert(1)</script>": +5 per visit where path starts with "{{ 7*7 }}"
}
fit {
  "</svg>": +5 when email ends with "'\"quoted\"' `tick` [x](y) *b* _u_"
}
demote {
  "{{ config }} \"quotes\" 'single'": mql -> lead when email is missing
}
disqualify {
  "Bad <b>actor</b> & co | pipe; #35; -->": when email ends with "@evil.example"
}
'''

RAW = [
    "<script>alert(1)</script>",
    "<script>alert(2)</script>",
    "<script>alert(3)</script>",
    "<script>alert(4)</script>",
    "<img src=x onerror=alert(1)>",
    "<b>actor</b>",
    "<b>bold</b>",
    "<visit>",
]


@pytest.fixture(scope="module")
def hostile() -> n.Policy:
    return resolved(HOSTILE, "hostile.policy")


def test_hostile_text_is_escaped_in_html_and_svg(hostile: n.Policy) -> None:
    html = docs.html(hostile, HOSTILE, "evil <path>.policy")
    for raw in RAW:
        assert raw not in html, raw
    assert "<script" not in html.lower()
    assert html.count("</svg>") == 1  # only the diagram's own end tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    inspector = inspect(html)
    assert_self_contained(html, inspector)
    # Escaped exactly once: the reader sees the original text.
    text = "".join(inspector.text)
    for raw in RAW[:4] + ["{{ config }} \"quotes\" 'single'", "Eve <img src=x onerror=alert(1)>", "{{ 7*7 }}", "evil <path>.policy", "{% raw %}"]:
        assert raw in text, raw
    # The picture: stage descriptions, rule names and conditions, escaped inside the SVG.
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in svg
    assert "Bad &lt;b&gt;actor&lt;/b&gt; &amp; co" in svg
    assert "Marketing &lt;/svg&gt; qualified" in svg
    root = ET.fromstring(svg)  # well-formed XML as well
    svg_text = "".join(root.itertext())
    assert "<script>alert(3)</script>" in svg_text and "{{ config }}" in svg_text
    assert "Bad <b>actor</b> & co |pipe; #35; -->" in svg_text  # wrapped over two lines
    # Every rule keeps a unique anchor.
    rule_ids = [i for i in inspector.ids if i.startswith("rule-")]
    assert len(rule_ids) == 4 == len(set(rule_ids))


def test_hostile_text_is_escaped_in_markdown(hostile: n.Policy) -> None:
    md = docs.markdown(hostile, HOSTILE, "hostile.policy")
    # The policy source at the end is a fenced block: Markdown shows its text as it is, markup and all,
    # and no line of it can end the fence (test_the_policy_source_cannot_end_its_fence_or_reach_a_terminal).
    md, source = md[: md.rindex("\n## Policy source\n")], md[md.rindex("\n## Policy source\n"):]
    assert f"\n```policy\n{HOSTILE}```\n" in source
    for raw in RAW + ["</svg>"]:
        assert raw not in md, raw
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"Bad \<b\>actor\</b\> \& co \| pipe; \#35; --\>" in md
    # Table rows keep their shape: an escaped | does not split a cell.
    for line in md.splitlines():
        if line.startswith("| Bad"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 3
    # Mermaid labels: markup and quotes as entity codes, so no label ends early.
    block = md[md.index("```mermaid\n") : md.index("```", md.index("```mermaid\n") + 3)]
    assert "<script" not in block and "#lt;script#gt;" in block
    assert "#35;quot#59;" in block  # a literal "#quot;" in a condition stays literal
    for line in block.splitlines()[1:]:
        assert line.count('"') in (0, 2, 4), line
    # A file name with a carriage return cannot end its code span: Markdown ends the line there.
    named = docs.markdown(hostile, HOSTILE, "evil\r<img src=x>.policy")
    assert "\r" not in named and "| Generated from | evil \\<img src=x\\>.policy |" in named
    # A terminal title: shown escaped, as on the terminal (Markdown goes to standard output). A
    # right-to-left override cannot come from a policy (the parser refuses it: test_parser).
    text = HOSTILE.replace("Eve ", "Eve \x1b]0;title\x07")
    shown = docs.markdown(resolved(text, "hostile.policy"), text, "hostile.policy")
    assert not re.search("[\x1b\x07]", shown) and "Eve \\\\x1b\\]0;title\\\\x07\\<img" in shown
    text = HOSTILE.replace("<script>alert(3)", "\x1b]0;title\x07<script>alert(3)")  # a stage's label
    shown = docs.markdown(resolved(text, "hostile.policy"), text, "hostile.policy")
    assert not re.search("[\x1b\x07]", shown) and "#27;#93;0#59;title#7;#lt;script" in shown


def _look_alike_policy() -> str:
    """Acme with rules and members a reader of the document cannot tell from others: a Cyrillic `о`,
    a no-break space, a zero-width space; and one rule of plain ASCII that merely resembles another."""
    text = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")
    text = text.replace('  "Already a customer": when is_customer',
                        '  "Already a customer": when is_customer\n  "C\u043empetitor": when email ends with "@rival.test"', 1)
    text = text.replace('+10 when seniority = manager', '+10 when seniority = manager\n    "Influ\u200bencer": +5 when seniority = ic', 1)
    text = text.replace('"Buying this quarter"', '"Decision\u00a0maker"', 1)
    text = text.replace("industry       one of (saas,", 'industry       one of (saas, "s\u0430as",', 1)
    return text.replace('"Mid-market or larger"', '"Mid-market or larqer"', 1)


def test_look_alike_names_are_said_in_both_documents() -> None:
    """`diff` said two look-alike names were two names; the handoff document showed them as the same
    text, and a reviewer could not tell `Competitor` from `C\u043empetitor` (Cyrillic). Both formats
    now say which names look alike and how they differ, by the characters' names."""
    text = _look_alike_policy()
    tree = resolved(text, "p.policy")
    notes = [
        'the fit rule "Decision\u00a0maker" looks like the fit rule "Decision maker" and is another name: '
        "character 9 is U+00A0 NO-BREAK SPACE where the other has U+0020 SPACE",
        'the fit rule "Influ\u200bencer" looks like the fit rule "Influencer" and is another name: '
        "it holds U+200B ZERO WIDTH SPACE, which does not show",
        'the disqualification "C\u043empetitor" looks like the disqualification "Competitor" and is another name: '
        "character 2 is U+043E CYRILLIC SMALL LETTER O where the other has U+006F LATIN SMALL LETTER O",
        'the member "s\u0430as" of `industry` looks like the member "saas" of `industry` and is another name: '
        "character 2 is U+0430 CYRILLIC SMALL LETTER A where the other has U+0061 LATIN SMALL LETTER A",
    ]
    assert docs.document(tree, text)["look_alikes"] == notes  # and not "larqer" for "larger": both ASCII
    md = docs.markdown(tree, text, "p.policy")
    assert "> **Look-alike names.** Some names below look the same and are not" in md
    for note in notes:
        assert f"> - {docs.md_escape(note)}\n" in md
    html = docs.html(tree, text, "p.policy")
    inspector = inspect(html)
    assert_self_contained(html, inspector)
    shown = " ".join("".join(inspector.text).split())
    assert "Look-alike names. Some names below look the same and are not" in shown
    for note in notes:
        assert " ".join(note.split()) in shown


def test_no_look_alike_note_for_ordinary_policies() -> None:
    """The golden documents are unchanged: no policy of the examples has such a pair."""
    for path in POLICIES:
        tree, source, shown = load(path)
        assert docs.document(tree, source, shown)["look_alikes"] == []
        assert "Look-alike" not in docs.html(tree, source, shown)


def test_format_for_suffix() -> None:
    assert docs.format_for("out/acme.md") == "markdown"
    assert docs.format_for("ACME.HTML") == "html"
    assert docs.format_for("acme.htm") == "html"
    assert docs.format_for("acme.pdf") is None
    with pytest.raises(ValueError):
        docs.render(resolved(HEAD + "stages { lead }"), "", "t", "pdf")


def test_minimal_policy_documents_say_what_is_absent() -> None:
    p = resolved(HEAD + "stages { lead }")
    md = docs.markdown(p, HEAD + "stages { lead }", "min.policy")
    assert "This policy has no engagement rules: every lead's engagement score is 0." in md
    assert "This policy has no fit rules" in md and "This policy has no grades." in md
    assert "| marketing | | | |" in md  # sign-off lines even without owners
    inspect(docs.html(p, "", "min.policy"))


# ---------------------------------------------------------------- the command


def test_docs_command_writes_markdown_and_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadpolicy.cli import main

    runner = CliRunner()
    monkeypatch.chdir(ROOT)
    result = runner.invoke(main, ["docs", "policies/acme.policy"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "acme.md").read_text(encoding="utf-8")

    out = tmp_path / "acme.html"
    result = runner.invoke(main, ["docs", "policies/acme.policy", "-o", str(out)])
    assert result.exit_code == 0, result.output
    inspect(out.read_text(encoding="utf-8"))

    md = tmp_path / "acme.md"
    assert runner.invoke(main, ["docs", "policies/acme.policy", "-o", str(md)]).exit_code == 0
    assert md.read_text(encoding="utf-8") == (GOLDEN / "acme.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_a_rule_name_s_escape_sequence_is_shown_in_the_html_too(tmp_path: Path, fmt: str) -> None:
    """HTML escapes markup, not control characters: `docs --format html` printed a rule name's `\\x1b[2J`
    and C1 CSI (`\\x9b`) to the terminal as they were, and in a pipe click dropped the sequence, so the
    document differed from `-o FILE`'s. Both formats show them as `\\x1b`, the same on every output."""
    from leadpolicy.cli import main

    policy = tmp_path / "p.policy"
    policy.write_text((ROOT / "policies" / "acme.policy").read_text(encoding="utf-8").replace(
        '"Competitor"', '"Comp\x1b[2Jetitor\x9b"'), encoding="utf-8")
    out = tmp_path / f"p.{'html' if fmt == 'html' else 'md'}"
    printed = CliRunner().invoke(main, ["docs", str(policy), "--format", fmt], catch_exceptions=False)
    written = CliRunner().invoke(main, ["docs", str(policy), "-o", str(out)], catch_exceptions=False)
    assert printed.exit_code == 0 and written.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert printed.stdout == text and not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert ("Comp\\x1b[2Jetitor\\x9b" if fmt == "html" else "Comp\\\\x1b\\[2Jetitor\\\\x9b") in text


def test_docs_command_errors(tmp_path: Path) -> None:
    from leadpolicy.cli import main

    runner = CliRunner()
    bad = tmp_path / "bad.policy"
    bad.write_text(HEAD + "stages { lead  mql when budgt > 1 }", encoding="utf-8")
    result = runner.invoke(main, ["docs", str(bad)])
    assert result.exit_code == 1
    assert "budgt" in result.stderr and "Traceback" not in result.output
    result = runner.invoke(main, ["docs", str(ROOT / "policies" / "acme.policy"), "-o", str(tmp_path / "acme.pdf")])
    assert result.exit_code == 2
    assert ".md" in result.stderr and ".html" in result.stderr


# ---------------------------------------------------------------- the policy source, in a `policy` fence


def _fenced(md: str) -> tuple[str, str]:
    """The info string and text of the Markdown document's last fenced block (the policy source)."""
    m = re.search(r"^(`{3,})([^\n`]*)\n(.*)^\1\n\Z", md[md.rindex("\n## Policy source\n"):], re.S | re.M)
    assert m is not None, md[-500:]
    return m.group(2), m.group(3)


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_the_document_ends_with_the_policy_source_in_a_policy_fence(path: Path) -> None:
    """Issue 14: the Markdown handoff document uses the `policy` fence name the Pygments lexer
    registers (and the VS Code extension highlights), so a renderer colours the policy the document
    is generated from; it had no policy text at all. The HTML shows the same text."""
    tree, source, shown = load(path)
    md = docs.markdown(tree, source, shown)
    assert "\n## Policy source\n" in md and md.index("## Sign-off") < md.index("## Policy source")
    assert _fenced(md) == ("policy", source)  # every blank line of it kept
    html = docs.html(tree, source, shown)
    inspector = inspect(html)
    assert '<code class="language-policy">' in html and "policy-source" in inspector.ids
    assert source in "".join(inspector.text)


def test_the_policy_source_cannot_end_its_fence_or_reach_a_terminal() -> None:
    """A comment holding a fence (```), CRLF lines and a terminal's escape sequence: the fence is
    longer than any run of backticks in the text, the lines are the text's, the escape is shown."""
    text = HEAD + "# a ```` fence and a \x1b]0;title\x07 title\r\n# ```\r\n\r\n\r\nstages { lead }\r\n"
    md = docs.markdown(resolved(text), text, "t.policy")
    info, body = _fenced(md)
    assert info == "policy" and md.count("\n`````policy\n") == 1
    assert body == text.replace("\r\n", "\n").replace("\x1b", "\\x1b").replace("\x07", "\\x07")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", md + docs.html(resolved(text), text, "t.policy"))


def test_the_architecture_docs_name_what_exists() -> None:
    """CONTRIBUTING.md and docs/architecture.md (issue 10) name only paths that exist, and
    architecture.md names every package of leadpolicy: a room added or moved shows here."""
    import re

    for doc in ("CONTRIBUTING.md", "docs/architecture.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for span in re.findall(r"`([^`]+)`", text):
            if re.fullmatch(r"(leadpolicy|tests|docs|grammar|benchmarks|editors)/[\w./-]*", span):
                assert (ROOT / span).exists(), f"{doc} names {span}, which does not exist"
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted({p.parent for p in (ROOT / "leadpolicy").rglob("__init__.py")})
    for package in packages:
        inner = [p for p in packages if p.parent == package]
        named = f"`{package.relative_to(ROOT).as_posix()}/`" in text or f"`{package.name}/`" in text
        assert named or package.name == "leadpolicy" or inner, f"docs/architecture.md does not name {package}"
