"""The language server's analysis, in process: positions, the name index,
hover, completion, navigation, rename, outline and quick fixes, on the
example policies; and no crash on any example or any prefix of one.

The same features over real JSON-RPC on stdio are in tests/test_lsp.py.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from support.lsp_client import check_diagnostics
from support.policygen import examples, policies_and_tests

from leadpolicy.check.catalog import CATALOG
from leadpolicy.check.checker import RESERVED, check
from leadpolicy.syntax.keywords import CATEGORIES, keywords
from leadpolicy.syntax.parser import parse, parse_tests
from leadpolicy.tools.fmt import format_text
from leadpolicy.tools.lsp import actions, completion, context, hover, navigation, outline
from leadpolicy.tools.lsp.documents import Source, Unit, analyse, analyse_path
from leadpolicy.tools.lsp.positions import LineIndex, token_at

ROOT = Path(__file__).parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
EXAMPLE_FILES = POLICIES + sorted((ROOT / "policies").glob("*.tests"))
# the golden cases of the checker's codes; a problem with the file itself (`file-problem`: some other
# file given as a policy) is `leadpolicy check`'s, before any parse: the editor shows a syntax error
FILE_LEVEL_CODES = tuple(entry.code for entry in CATALOG if entry.file_level)
GOLDEN_ALL = sorted((ROOT / "tests" / "golden" / "diagnostics").glob("*.policy"))
FILE_LEVEL = [p for p in GOLDEN_ALL if p.stem.startswith(FILE_LEVEL_CODES)]
GOLDEN = [p for p in GOLDEN_ALL if p not in FILE_LEVEL]
# the other policies of the test suite and the docs: the formatter's cases, the diff's example
OTHERS = sorted((ROOT / "tests" / "golden" / "fmt").glob("*.policy")) + sorted((ROOT / "docs" / "examples").glob("*.policy"))
ACME = ROOT / "policies" / "acme.policy"


def acme() -> Unit:
    return analyse_path(str(ACME))


def at(text: str, needle: str, nth: int = 0, delta: int = 0) -> int:
    found = -1
    for _ in range(nth + 1):
        found = text.index(needle, found + 1)
    return found + delta


def no_internal_errors(unit: Unit) -> None:
    assert not [d for d in unit.diagnostics if d.code == "internal-error"], unit.diagnostics


# ---------------------------------------------------------------- keywords


def test_keywords_are_the_grammars_words_and_the_checkers() -> None:
    import re

    from leadpolicy.syntax.parser import grammar_text

    assert keywords() == frozenset(re.findall(r'"([A-Za-z_]+)"', grammar_text()))
    assert keywords() == RESERVED  # the checker's name for the same list
    assert set().union(*CATEGORIES.values()) == keywords()
    assert sum(len(c) for c in CATEGORIES.values()) == len(keywords()), "a word in two categories"


def test_every_keyword_has_a_line_of_the_reference() -> None:
    assert set(hover.KEYWORD_HELP) == keywords()


def test_keyword_sections_exist_in_the_language_reference() -> None:
    reference = (ROOT / "docs" / "language-reference.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)[. ]", reference, flags=re.M))
    assert set(hover.KEYWORD_SECTION) <= keywords()
    assert set(hover.KEYWORD_SECTION.values()) <= headings, set(hover.KEYWORD_SECTION.values()) - headings
    assert len(hover.KEYWORD_SECTION) >= len(keywords()) - 1  # all but `of`, which two sections share


# ---------------------------------------------------------------- positions


def test_utf16_columns_count_astral_characters_twice() -> None:
    text = 'policy "😀 x" version "1"\nstages { lead }\n'
    index = LineIndex(text)
    version = text.index("version")
    assert index.position(version) == (0, version + 1)  # the emoji is two UTF-16 units
    assert index.offset_at((0, version + 1)) == version
    assert LineIndex(text, "utf-8").position(version) == (0, version + 3)
    assert LineIndex(text, "utf-32").position(version) == (0, version)
    assert index.offset_at((5, 0)) == len(text)
    assert index.offset_at((0, 999)) == text.index("\n")


def test_diagnostic_ranges_use_the_parser_columns() -> None:
    text = 'policy "é" version "1"\nstages { lead mql when budgt > 1 }\n'
    unit = analyse(Source("/tmp/x.policy", text), None)
    (d,) = [d for d in unit.diagnostics if d.code == "unknown-field"]
    start, end = unit.policy.index.span_range(d.span)
    assert start == (1, text.split("\n")[1].index("budgt")) and end == (start[0], start[1] + 5)


def test_token_at_finds_the_word_being_typed() -> None:
    text = "fit >= 40 # a comment"
    assert token_at(text, 2).text == "fit"
    assert token_at(text, 3).text == "fit"  # right after it
    assert token_at(text, 15).kind == "comment"


# ---------------------------------------------------------------- analysis of the examples


@pytest.mark.parametrize("path", POLICIES + GOLDEN + OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_server_reports_what_leadpolicy_check_reports(path: Path) -> None:
    expected = check_diagnostics(path)
    unit = analyse_path(str(path))
    assert sorted(map(_key, unit.diagnostics)) == sorted(map(_key, expected))


@pytest.mark.parametrize("path", FILE_LEVEL, ids=lambda p: p.name)
def test_a_file_that_is_no_policy_is_a_syntax_error_at_its_start_in_the_editor(path: Path) -> None:
    """`check` refuses such a file before parsing it (`file-problem`, no position); the server,
    given whatever the editor holds, parses it and says where the parse stopped."""
    unit = analyse_path(str(path))
    assert [(d.code, d.severity, d.span.line, d.span.column) for d in unit.diagnostics] == [("syntax-error", "error", 1, 1)]


def _key(d):
    return (d.path, d.code, d.severity, d.message, d.span and (d.span.line, d.span.column, d.span.end_line, d.span.end_column))


def test_a_tests_file_alone_gets_its_syntax_checked_and_a_warning(tmp_path: Path) -> None:
    lone = tmp_path / "lonely.tests"
    lone.write_text('test "t" { expect stage lead }\n', encoding="utf-8")
    unit = analyse_path(str(lone))
    assert [d.code for d in unit.diagnostics] == ["no-policy"]
    lone.write_text('test "t" { expect stage }\n', encoding="utf-8")
    assert "syntax-error" in [d.code for d in analyse_path(str(lone)).diagnostics]


def test_tests_file_diagnostics_go_to_the_tests_file(tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(ACME.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "p.tests").write_text('test "t" {\n  expect stage mqll\n}\n', encoding="utf-8")
    unit = analyse_path(str(tmp_path / "p.tests"))
    found = unit.diagnostics_for(str(tmp_path / "p.tests"))
    assert {d.code for d in found} == {"unknown-stage", "test-without-as-of"}
    (d,) = [d for d in found if d.code == "unknown-stage"]
    assert "did you mean `mql`" in d.help


# ---------------------------------------------------------------- no crash, whatever the text


def _every_feature(unit: Unit, path: str, text: str, offsets) -> None:
    names = completion.Names(unit.resolved or unit.tree)
    for offset in offsets:
        completion.complete(text, offset, names, tests_file=path.endswith(".tests"))
        hover.hover(unit, path, offset)
        navigation.definition(unit, path, offset)
        navigation.references(unit, path, offset)
        navigation.highlights(unit, path, offset)
        try:
            navigation.prepare_rename(unit, path, offset)
        except navigation.RenameError:  # the text does not parse: refused with the reason, an answer
            assert unit.tree is None or not unit.tests_parsed
    outline.outline(unit, path)
    for d in unit.diagnostics:
        actions.fixes(unit, d)


def _prefix_cuts(path: Path, text: str) -> list[int]:
    """The prefixes the sweep types. Acme: every one. The others, by default (CI): every token
    edge (where a word, a space run or a punctuation mark starts or ends, so every place a token
    can be cut short or left unfinished), one character into each word, and 400 seeded cuts
    anywhere; a cut inside a longer name gives the parser nothing a cut one character in does not.
    LEADPOLICY_FUZZ_FULL=1: every prefix of every example. LEADPOLICY_FUZZ_QUICK=1 (for quick
    local runs): 300 seeded cuts of the others, line ends, bracket and quote edges, anywhere."""
    if path.name.startswith("acme.") or os.environ.get("LEADPOLICY_FUZZ_FULL") == "1":
        return list(range(len(text) + 1))
    rng = random.Random(path.name)
    if os.environ.get("LEADPOLICY_FUZZ_QUICK") == "1":
        edges = sorted({m.start() for m in re.finditer(r"[\n{}()\",:]", text)})
        cuts = set(rng.sample(edges, min(150, len(edges))))
        cuts |= {rng.randrange(len(text) + 1) for _ in range(150)}
        return sorted(cuts)
    cuts = {0, len(text)}
    for m in re.finditer(r"\w+|\s+|[^\w\s]", text):
        cuts |= {m.start(), m.end()}
        if m.group()[0].isalnum() or m.group()[0] == "_":
            cuts.add(min(m.start() + 1, m.end()))
    cuts |= {rng.randrange(len(text) + 1) for _ in range(400)}
    return sorted(cuts)


def _from_scratch(policy: Source, tests: Source | None) -> Unit:
    """The analysis with the whole-text parser, nothing reused."""
    from leadpolicy.tools.lsp import documents, incremental

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(incremental, "MIN_SIZE", 10**9)
        documents._parsed.cache_clear()
        try:
            return analyse(policy, tests)
        finally:
            documents._parsed.cache_clear()


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_prefix_of_every_example_goes_through_without_a_crash(path: Path) -> None:
    """The prefixes come as an editor sends them while the file is typed from its first character
    to its last: each analysis reuses what the one before parsed (`incremental`), as the server's
    does after a keystroke. On a seeded sample of cuts the analysis from scratch must say the same."""
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    cuts = _prefix_cuts(path, text)
    policy_text = path.with_suffix(".policy").read_text(encoding="utf-8", errors="surrogatepass")
    rng = random.Random(f"scratch {path.name}")
    compare = set(rng.sample(cuts, min(40, len(cuts)))) | {cuts[-1]}
    for cut in cuts:
        prefix = text[:cut]
        if path.suffix == ".tests":
            sources = (Source(str(path.with_suffix(".policy")), policy_text), Source(str(path), prefix))
        else:
            sources = (Source(str(path), prefix), None)
        unit = analyse(*sources)
        no_internal_errors(unit)
        if unit.tree is None and path.suffix == ".policy":
            assert unit.diagnostics, f"a prefix that does not parse needs a diagnostic: {cut}"
        _every_feature(unit, str(path), prefix, (cut,))
        if cut in compare:
            expected = _from_scratch(*sources).diagnostics
            assert sorted(map(_key, unit.diagnostics)) == sorted(map(_key, expected)), cut


@pytest.mark.parametrize("path", GOLDEN + OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_feature_on_every_invalid_and_other_example(path: Path) -> None:
    unit = analyse_path(str(path))
    no_internal_errors(unit)
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    _every_feature(unit, str(path), text, range(0, len(text) + 1, 3 if path in GOLDEN else 7))


@examples(max_examples=min(60, int(os.environ.get("LEADPOLICY_EXAMPLES", "60"))))
@given(policies_and_tests(), st.data())
def test_generated_policies_and_their_prefixes_never_crash(pair, data) -> None:
    policy_text, tests_text = pair
    unit = analyse(Source("/g/p.policy", policy_text), Source("/g/p.tests", tests_text))
    no_internal_errors(unit)
    assert not [d for d in unit.diagnostics if d.is_error]
    cut = data.draw(st.integers(0, len(policy_text)))
    prefix_unit = analyse(Source("/g/p.policy", policy_text[:cut]), Source("/g/p.tests", tests_text))
    no_internal_errors(prefix_unit)
    _every_feature(unit, "/g/p.policy", policy_text, (cut,))
    _every_feature(prefix_unit, "/g/p.policy", policy_text[:cut], (cut,))


# ---------------------------------------------------------------- hover


def test_hover_on_a_stage_gives_its_declaration_and_the_documents_sentence() -> None:
    unit = acme()
    text = unit.policy.text
    shown = hover.hover(unit, unit.policy.path, at(text, "mql", 1))  # `mql` in sql's condition
    assert "```policy\nmql" in shown
    assert "A lead becomes an MQL when its engagement score is at least 60 and its fit score is at least 40." in shown


def test_hover_on_rules_fields_groups_grades_and_keywords() -> None:
    unit = acme()
    text, path = unit.policy.text, unit.policy.path
    assert "100 points per form submit whose form is \"demo\", at most 100" in hover.hover(unit, path, at(text, '"Requested a demo"', 0, 2))
    field = hover.hover(unit, path, at(text, "seniority in"))
    assert "**Field** `seniority`" in field and "“Decision maker”" in field
    assert "**Fit group** `authority`: 2 rules" in hover.hover(unit, path, at(text, "authority {"))
    assert "Grade A when its fit score is at least 70." in hover.hover(unit, path, at(text, "A when"))
    assert hover.hover(unit, path, at(text, "within 14", 0, 1)).startswith("**`within`**")
    member = hover.hover(unit, path, at(text, "vp, cxo)", 1))
    assert "**Member** `vp` of `seniority`" in member and "```policy\nseniority" in member
    assert hover.hover(unit, path, at(text, "# Acme", 0, 3)) is None  # in a comment


def test_hover_in_the_tests_file() -> None:
    unit = acme()
    text, path = unit.tests.text, unit.tests.path
    assert "**Stage 1 of 3**" in hover.hover(unit, path, at(text, "expect stage lead", 0, 14))
    assert "Fit rule" in hover.hover(unit, path, at(text, '"Influencer"', 0, 3))


# ---------------------------------------------------------------- completion


def labels(text: str, offset: int, tests_file: bool = False) -> list[str]:
    names = completion.Names(parse(ACME.read_text(encoding="utf-8")))
    return [i.label for i in completion.complete(text, offset, names, tests_file)]


HEAD = ACME.read_text(encoding="utf-8").split("engagement {")[0]


@pytest.mark.parametrize(
    "tail, wanted, unwanted",
    [
        ('engagement { "x": +5 per ', ["page_view", "webinar"], ["email", "when"]),
        ('engagement { "x": +5 per webinar where ', ["minutes", "title", "not"], ["email", "engagement", "did"]),
        ('engagement { "x": +5 per webinar where minutes > 3 and ', ["minutes"], ["email"]),
        ('engagement { "x": +5 per webinar within 3 ', ["days", "weeks", "hours"], ["email"]),
        ('engagement { "x": +5 per webinar ', ["where", "within", "max"], ["email", "when"]),
        ('fit { "a": +5 when seniority = ', ["director", "vp"], ["email", "saas"]),
        ('fit { "a": +5 when industry not in (saas, ', ["fintech", "retail"], ["vp"]),
        ('fit { "a": +5 when ', ["budget", "email", "not", "at"], ["mql", "engagement", "did"]),
        ('fit { "a": +5 when days since ', ["created"], ["budget"]),
        ('disqualify { "a": when did ', ["webinar", "activity"], ["budget"]),
        ('disqualify { "a": when (did webinar where minutes > 3) and ', ["budget", "mql", "engagement"], ["minutes"]),
        ('disqualify { "a": when grade in (A, ', ["B", "C"], ["budget"]),
        ('demote { "a": ', ["mql", "sql"], ["budget", "lead"]),  # no stage below the first
        ('demote { "a": sql -> ', ["lead", "mql"], ["budget", "sql"]),  # only lower stages
        ("", ["test"], ["policy", "budget", "fields", "engagement"]),  # Acme has every block (names: the whole of it)
        ("grades { A when ", ["engagement", "fit", "did", "budget"], ["grade", "mql"]),
        ('fit { "a": +5 when budget > 10 ', ["and", "or"], ["budget", "when"]),
        # the text tests follow text only (section 13.5): not a number, a date, a member, a score
        ('fit { "a": +5 when budget ', ["is", "in", "not", ">="], ["contains", "starts", "ends"]),
        ('fit { "a": +5 when 10000 ', ["is", ">="], ["contains", "starts", "ends"]),
        ('fit { "a": +5 when days since created ', ["is", ">="], ["contains", "starts", "ends"]),
        ('fit { "a": +5 when seniority ', ["in", "is"], ["contains", "starts", "ends"]),
        ('fit { "a": +5 when created ', ["is"], ["contains", "starts", "ends"]),
        ('disqualify { "a": when engagement ', ["is"], ["contains", "starts", "ends"]),
        ('disqualify { "a": when did webinar where minutes ', ["is", "within"], ["contains", "starts", "ends"]),
        ('disqualify { "a": when did webinar where title ', ["contains", "starts", "ends"], []),
        ('fit { "a": +5 when email ', ["contains", "starts", "ends", "is"], []),
        ('fit { "a": +5 when "x" ', ["contains", "starts", "ends"], []),
        # a value not compared yet is no condition (not-a-condition) unless a boolean: the comparisons
        # that apply to its type, not `and`, `or`; after a whole comparison, `and` and `or`
        ('fit { "a": +5 when budget ', ["=", "!=", "<", "<=", ">", ">="], ["and", "or"]),
        ('fit { "a": +5 when budget + 5 ', ["=", ">="], ["and", "or"]),
        ('fit { "a": +5 when not seniority ', ["=", ">=", "in", "is"], ["and", "or"]),
        ('disqualify { "a": when grade ', ["=", "!=", "in", "is"], ["and", "or", "<", ">="]),
        ('fit { "a": +5 when email ', ["=", "!=", "contains"], ["and", "or", "<", ">="]),
        ('fit { "a": +5 when created ', ["<", ">="], ["and", "or"]),
        ('disqualify { "a": when did webinar where minutes ', [">="], ["and", "or"]),
        ('fit { "a": +5 when at least 2 of (budget ', [">="], ["and", "or"]),
        ('fit { "a": +5 when is_customer ', ["and", "or", "is"], ["=", "<"]),
        ('fit { "a": +5 when seniority >= director ', ["and", "or"], ["=", ">="]),
        ('fit { "a": +5 when email is missing ', ["and", "or"], ["="]),
        ('fit { "a": +5 when (budget) ', ["and", "or"], []),  # a parenthesised value's type is not looked for
        # a member or a property being declared is a new name: no field is offered there
        ("fields { x one of (a, ", [], ["email", "budget"]),
        ("activities { y (p text, ", [], ["email", "budget"]),
        ("activities { y (", [], ["email", "budget"]),
        # `where` filters on properties: none after `did activity` (bad-where) or an activity without any
        ('disqualify { "a": when did activity ', ["within", "and"], ["where"]),
        ('disqualify { "a": when no chat ', ["within"], ["where"]),
        ('engagement { "x": +5 per unsubscribe ', ["within", "max"], ["where"]),
        ('disqualify { "a": when did webinar ', ["where", "within"], []),
    ],
)
def test_completion_offers_what_fits_the_cursor(tail: str, wanted: list[str], unwanted: list[str]) -> None:
    text = HEAD + tail
    got = labels(text, len(text))
    assert set(wanted) <= set(got), got
    assert not set(unwanted) & set(got), got


@pytest.mark.parametrize(
    "tail, offered",
    [
        ('fit { "a": +5 when seniority = ', ["ic", "manager", "director", "vp", "cxo"]),
        ('fit { "a": +5 when industry not in (saas, ', ["fintech", "healthcare", "retail", "other"]),  # saas: listed
        ('disqualify { "a": when grade = ', ["A", "B", "C", "D"]),
        ('fit { "a": +5 when is_customer = ', ["is_customer", "false", "true"]),
        ('fit { "a": +5 when budget >= ', ["company_size", "budget", "timeline_days", "days"]),
        ('disqualify { "a": when budget >= ', ["company_size", "budget", "timeline_days", "days", "engagement", "fit"]),
        ('fit { "a": +5 when email = ', ["email"]),
        ('disqualify { "a": when did webinar where minutes > ', ["minutes"]),
        ('fit { "a": +5 when days since created > ', ["company_size", "budget", "timeline_days", "days"]),  # a number, not a date
        ("grades { A when fit >= ", ["company_size", "budget", "timeline_days", "days", "engagement", "fit"]),
        ('disqualify { "a": when engagement < ', ["company_size", "budget", "timeline_days", "days", "engagement", "fit"]),
    ],
)
def test_completion_after_a_comparison_offers_only_values_of_its_type(tail: str, offered: list[str]) -> None:
    """`seniority = ` offered `true`, `false` and `days` beside the members; `budget >= ` every
    field and `true`: all of them type errors."""
    text = HEAD + tail
    assert labels(text, len(text)) == offered


@pytest.mark.parametrize(
    "line, offered",
    [
        ("fields { seniority: ", ["ic", "manager", "director", "vp", "cxo"]),
        ("fields { is_customer: ", ["false", "true"]),
        ("fields { budget: ", []),
        ("fields { email: ", []),
        ("activity webinar (minutes: ", []),
    ],
)
def test_completion_of_a_tests_value_offers_only_values_of_its_type(line: str, offered: list[str]) -> None:
    text = f'test "t" {{\n  {line}\n}}\n'
    offset = text.index(line) + len(line)
    assert labels(text, offset, tests_file=True) == offered


def test_completion_between_blocks_offers_only_the_blocks_not_there_yet() -> None:
    """Each block comes at most once: after Acme's blocks only `test` may start another (a test's
    own `fields` is still offered inside it)."""
    text = ACME.read_text(encoding="utf-8")
    cut = text.index('test "A VP')
    assert labels(text[:cut], cut) == ["test"]
    small = 'policy "x" version "1"\nstages { lead }\n'
    got = [i.label for i in completion.complete(small, len(small), completion.Names(parse(small)))]
    assert got == ["activities", "demote", "disqualify", "engagement", "fields", "fit", "grades", "test"]
    inside = 'test "t" {\n  '
    assert "fields" in labels(inside, len(inside), tests_file=True)


def test_completion_in_a_stage_condition_offers_only_lower_stages() -> None:
    text = ACME.read_text(encoding="utf-8")
    cut = at(text, "when mql", 0, 5)
    got = labels(text[:cut], cut)
    assert "lead" in got and "mql" in got and "sql" not in got


def test_completion_in_tests() -> None:
    text = (ROOT / "policies" / "acme.tests").read_text(encoding="utf-8")
    cases = [
        (at(text, "expect stage lead", 0, 13), ["lead", "mql", "sql", "disqualified"]),
        (at(text, "expect grade C", 0, 13), ["A", "B", "C", "D"]),
        (at(text, "industry: retail", 0, 10), ["saas", "retail"]),
        (at(text, 'activity page_view (path', 0, 9), ["page_view", "webinar"]),
        (at(text, '(path: "/blog', 0, 1), ["path"]),
    ]
    for offset, wanted in cases:
        got = labels(text[:offset], offset, tests_file=True)
        assert set(wanted) <= set(got), (text[offset - 30 : offset], got)


@pytest.mark.parametrize(
    "text",
    [
        'test "A VP at a SaaS company who asked for a demo" { expect hit "Req" }\n',  # a test on one line
        'test "t" {\n  expect hit "Three of four BANT signals" expect no hit "Req"\n}\n',
    ],
)
def test_completion_of_rule_names_after_other_strings_on_the_line(text: str) -> None:
    """The words before the string were read from 40 characters back, which could start inside
    another string on the same line: then no rule names were offered."""
    offset = text.index('Req"') + 3
    names = completion.Names(parse(ACME.read_text(encoding="utf-8")))
    assert "Requested a demo" in [i.label for i in completion.complete(text, offset, names, tests_file=True)]


def test_completion_of_rule_names_inside_expect_hit() -> None:
    text = 'test "t" {\n  expect hit "Req"\n}\n'
    offset = text.index('Req"') + 3
    names = completion.Names(parse(ACME.read_text(encoding="utf-8")))
    items = {i.label: i for i in completion.complete(text, offset, names, tests_file=True)}
    item = items["Requested a demo"]
    assert item.insert_text == '"Requested a demo"'
    assert item.replace == (text.index('"Req"'), text.index('"Req"') + 5)


DEALS = """policy "Deals" version "1"
fields {
  stage_name one of (open, "Closed Won")
}
activities {
  demo (kind one of (live, "self serve"))
}
stages {
  lead
  won when stage_name = "Closed Won"
}
"""


@pytest.mark.parametrize(
    "text, cursor_after, tests_file, members",
    [
        (DEALS.replace('= "Closed Won"', '= ""'), '= "', False, ['"open"', '"Closed Won"']),  # the editor closed the quote
        (DEALS.replace('= "Closed Won"', '= "Clo'), '= "Clo', False, ['"open"', '"Closed Won"']),
        (DEALS.replace('stage_name = "Closed Won"', 'did demo where kind in (live, "'), '(live, "', False, ['"self serve"']),  # live: listed
        ('test "t" {\n  fields { stage_name: "" }\n}\n', 'stage_name: "', True, ['"open"', '"Closed Won"']),
        ('test "t" {\n  activity demo (kind: "s") 1 day ago\n}\n', 'kind: "s', True, ['"live"', '"self serve"']),
    ],
)
def test_completion_inside_a_string_offers_the_members_it_may_hold(text: str, cursor_after: str, tests_file: bool, members: list[str]) -> None:
    """A member with a space is written as a string: typing its opening quote (a completion
    trigger) offered nothing. The members come quoted, replacing the string typed so far."""
    offset = text.rindex(cursor_after) + len(cursor_after)
    names = completion.Names(parse(DEALS))
    items = completion.complete(text, offset, names, tests_file)
    assert [i.label for i in items] == members
    start = text.rindex('"', 0, offset)
    end = offset + 1 if text[offset : offset + 1] == '"' else offset
    assert all(i.kind == "member" and i.insert_text == i.label and i.replace == (start, end) for i in items)


@pytest.mark.parametrize("tail", ["did demo where kind in (", "did demo where kind not in (live, ", "no demo where (kind in (live, "])
def test_completion_in_a_list_inside_a_where_offers_the_propertys_members(tail: str) -> None:
    """`in (` inside a `where` lost the activity: the fields and stages were offered (the stage
    being written among them), not the members of the property."""
    text = DEALS.replace('stage_name = "Closed Won"', tail)
    offset = text.index(tail) + len(tail)
    got = [i.label for i in completion.complete(text, offset, completion.Names(parse(DEALS)))]
    assert '"self serve"' in got and not {"stage_name", "lead", "won"} & set(got), got
    assert ("live" in got) is ("live," not in tail), got  # a member already listed is not offered again


def test_completion_works_when_the_text_before_does_not_parse() -> None:
    text = HEAD + 'fit { "a": +5 when ) budget = 1\n "b": +5 per webinar where '
    assert "minutes" in labels(text, len(text))


def _whole_prefix(text: str, begin: int, tests_file: bool = False) -> context.Cursor:
    return context.Cursor(text[:begin], ((0, begin),))


class _Reference:
    """Completion's inputs for the whole text before the cursor, for every cursor of one text:
    one parse of the whole text, fed token by token, gives the terminals the parser accepts
    after each token (as an editor's parser state does), one scan gives the tokens. Where a
    token of the parser straddles the cursor, or the text has an error before it, the whole
    prefix is parsed again."""

    def __init__(self, text: str, tests_file: bool) -> None:
        from lark.exceptions import LarkError

        from leadpolicy.syntax.parser import lark_parser
        from leadpolicy.tools.lsp.positions import scan

        self.text, self.start = text, "tests_file" if tests_file else "start"
        self.scanned = list(scan(text))
        self.scan_ends = [tok.end for tok in self.scanned]
        parser = lark_parser().parse_interactive(text, start=self.start)
        self.after: list[set[str]] = []  # after[k]: the terminals accepted after the first k tokens
        self.spans: list[tuple[int, int]] = []
        self.complete = True
        try:
            for token in parser.iter_parse():  # a token is fed when the next is asked for
                self.after.append(set(parser.accepts()))
                self.spans.append((token.start_pos, token.end_pos))
            self.after.append(set(parser.accepts()))
        except (LarkError, RecursionError):
            self.complete = False
            self.spans = self.spans[: len(self.after) - 1]  # from the token that failed on: parse each prefix
        self.ends = [end for _, end in self.spans]

    def terminals(self, prefix: str, start: str) -> set[str] | None:
        assert start == self.start and self.text.startswith(prefix)
        import bisect

        fed = bisect.bisect_right(self.ends, len(prefix))
        straddles = fed < len(self.spans) and self.spans[fed][0] < len(prefix)
        if straddles or (not self.complete and fed == len(self.spans)):
            return completion.expected_terminals(prefix, start)
        return self.after[fed]

    def cursor(self, text: str, begin: int, tests_file: bool = False) -> "_WholePrefix":
        return _WholePrefix(text[:begin], ((0, begin),), self)


class _WholePrefix(context.Cursor):
    def __init__(self, parse_text: str, pieces: tuple[tuple[int, int], ...], reference: _Reference) -> None:
        super().__init__(parse_text, pieces)
        object.__setattr__(self, "reference", reference)

    def tokens(self, text: str) -> list:
        import bisect

        reference: _Reference = self.reference  # type: ignore[attr-defined]
        end = len(self.parse_text)
        count = bisect.bisect_right(reference.scan_ends, end)
        if count < len(reference.scanned) and reference.scanned[count].start < end:
            return super().tokens(text)  # a token straddles the cursor
        return reference.scanned[:count]


def _same_completions(text: str, offsets, names: completion.Names, tests_file: bool, reference: _Reference | None = None) -> int:
    """Completion from the block and rule around the cursor equals completion from the whole
    prefix wherever the whole prefix parses (where it does not, the cut still answers)."""
    compared = 0
    start = "tests_file" if tests_file else "start"
    for offset in offsets:
        cut = context.cursor(text, offset, tests_file)
        fast = completion.complete(text, offset, names, tests_file)
        with pytest.MonkeyPatch.context() as patch:
            if reference is None:
                patch.setattr(completion, "cursor", _whole_prefix)
                slow = completion.complete(text, offset, names, tests_file)
                whole = completion.expected_terminals(text[:offset], start)
            else:
                whole = reference.terminals(text[:offset], start)
                patch.setattr(completion, "cursor", reference.cursor)
                patch.setattr(completion, "expected_terminals", reference.terminals)
                slow = completion.complete(text, offset, names, tests_file)
        if whole is None:
            continue
        assert completion.expected_terminals(cut.parse_text, start) == whole, (offset, cut)
        assert fast == slow, (offset, text[max(0, offset - 60) : offset])
        compared += 1
    return compared


def _token_edges(text: str) -> list[int]:
    from leadpolicy.tools.lsp.positions import scan

    return sorted({edge for tok in scan(text) for edge in (tok.start, tok.end)} | {len(text)})


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_completion_from_the_rule_around_the_cursor_equals_the_whole_prefix(path: Path) -> None:
    """At every token edge of every example (LEADPOLICY_FUZZ_QUICK=1: every one of Acme, 150 of the others)."""
    text = path.read_text(encoding="utf-8")
    names = completion.Names(parse(path.with_suffix(".policy").read_text(encoding="utf-8"), str(path)))
    edges = _token_edges(text)
    if not path.name.startswith("acme.") and os.environ.get("LEADPOLICY_FUZZ_QUICK") == "1":
        edges = sorted(random.Random(path.name).sample(edges, min(150, len(edges))))
    reference = _Reference(text, path.suffix == ".tests")
    assert _same_completions(text, edges, names, path.suffix == ".tests", reference) > len(edges) // 2


def test_the_completion_reference_is_the_whole_prefix_parse() -> None:
    """The shared parse of the completion test answers as parsing each prefix does."""
    for path in (ACME, ROOT / "policies" / "acme.tests"):
        text = path.read_text(encoding="utf-8")
        tests_file = path.suffix == ".tests"
        start = "tests_file" if tests_file else "start"
        reference = _Reference(text, tests_file)
        for edge in _token_edges(text)[::7]:
            assert reference.terminals(text[:edge], start) == completion.expected_terminals(text[:edge], start), edge
            assert reference.cursor(text, edge).tokens(text) == _whole_prefix(text, edge).tokens(text)
    broken = ACME.read_text(encoding="utf-8").replace("fit >= 40", "fit >= >= 40")
    reference = _Reference(broken, False)
    for edge in _token_edges(broken)[::5]:
        assert reference.terminals(broken[:edge], "start") == completion.expected_terminals(broken[:edge], "start"), edge


@examples(max_examples=min(40, int(os.environ.get("LEADPOLICY_EXAMPLES", "40"))))
@given(policies_and_tests(), st.data())
def test_completion_from_the_rule_around_the_cursor_on_generated_policies(pair, data) -> None:
    policy_text, tests_text = pair
    names = completion.Names(parse(policy_text, "g.policy"))
    for text, tests_file in ((policy_text, False), (tests_text, True)):
        edges = _token_edges(text)
        offsets = data.draw(st.lists(st.sampled_from(edges), min_size=1, max_size=8))
        _same_completions(text, offsets, names, tests_file)


def test_completion_at_the_end_of_a_big_policy_parses_only_the_rule() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from big_policy import make_policy

    text = make_policy(1000)
    offset = text.rindex(" and ") + len(" and ")
    cut = context.cursor(text, offset)
    assert len(cut.parse_text) < 400, cut.parse_text
    assert sum(end - start for start, end in cut.pieces) < 400
    assert "budget" in labels(text, offset)


# ---------------------------------------------------------------- navigation and rename


def test_definition_and_references_span_the_policy_and_its_tests() -> None:
    unit = acme()
    text, path = unit.policy.text, unit.policy.path
    ((where, span),) = navigation.definition(unit, path, at(text, "mql", 1))
    assert where == path and (span.line, span.column) == (29, 3)
    found = navigation.references(unit, path, at(text, "seniority in"))
    assert {p for p, _ in found} == {unit.policy.path, unit.tests.path}
    assert len(navigation.references(unit, path, at(text, "seniority in"), include_declaration=False)) == len(found) - 1
    ((where, span),) = navigation.definition(unit, unit.tests.path, at(unit.tests.text, '"Influencer"', 0, 2))
    assert where == path and span.line == 50


def _apply(unit: Unit, edits) -> dict[str, str]:
    texts = {}
    for path, spans in edits.items():
        source = unit.source(path)
        text = source.text
        for span, new in sorted(spans, key=lambda e: source.index.offset(e[0].line, e[0].column), reverse=True):
            start = source.index.offset(span.line, span.column)
            end = source.index.offset(span.end_line, span.end_column)
            text = text[:start] + new + text[end:]
        texts[path] = text
    return texts


@pytest.mark.parametrize(
    "needle, nth, new_name, kind",
    [
        ("mql", 1, "marketing_qualified", "stage"),
        ("seniority in", 0, "job_level", "field"),
        ("form_submit", 1, "form_sent", "activity"),
        ('"Influencer"', 0, "Has influence", "rule"),
        ("authority {", 0, "power", "group"),
        ("A when", 0, "top", "grade"),
        ("vp, cxo)", 1, "VicePresident", "member"),
        ("minutes >=", 0, "duration", "property"),
    ],
)
def test_rename_everywhere_gives_a_policy_that_checks_the_same(needle: str, nth: int, new_name: str, kind: str) -> None:
    unit = acme()
    edits = navigation.rename(unit, unit.policy.path, at(unit.policy.text, needle, nth, 1), new_name)
    texts = {unit.policy.path: unit.policy.text, unit.tests.path: unit.tests.text}
    texts.update(_apply(unit, edits))
    policy = parse(texts[unit.policy.path], unit.policy.path)
    result = check(policy, parse_tests(texts[unit.tests.path], unit.tests.path), unit.tests.path)
    assert [d.code for d in result.diagnostics] == [d.code for d in unit.diagnostics]
    assert new_name in texts[unit.policy.path]


def test_rename_refuses_bad_names() -> None:
    unit = acme()
    text, path = unit.policy.text, unit.policy.path
    for name, why in (("when", "word of the language"), ("2fast", "not a name"), ("Budget", "clash"), ("disqualified", "reserved")):
        with pytest.raises(navigation.RenameError, match=why):
            target = "mql" if name == "disqualified" else "seniority in"
            navigation.rename(unit, path, at(text, target, 1 if target == "mql" else 0), name)
    with pytest.raises(navigation.RenameError, match="already a rule"):
        navigation.rename(unit, path, at(text, '"Influencer"', 0, 2), "Decision maker")
    assert navigation.prepare_rename(unit, path, at(text, "within", 0, 1)) is None


# ---------------------------------------------------------------- outline, fixes, formatting


def test_outline_lists_blocks_groups_and_rules() -> None:
    unit = acme()
    symbols = outline.outline(unit, unit.policy.path)
    names = [s.name for s in symbols]
    assert names[:4] == ["Acme Cloud handoff", "fields", "activities", "stages"]
    fit = symbols[names.index("fit")]
    assert [c.name for c in fit.children][:2] == ["budget", "authority"]
    assert [r.name for r in fit.children[1].children] == ["Decision maker", "Influencer"]
    assert [g.detail for g in fit.children[:2]] == ["1 rule", "2 rules"]  # as the hover says it
    tests = outline.outline(unit, unit.tests.path)
    assert tests and all(s.kind == "Method" for s in tests)


def _shape(symbols: list) -> list:
    def where(span) -> tuple:  # lines and columns: what the editor is sent
        return span.line, span.column, span.end_line, span.end_column

    return [(str(s.name), s.kind, str(s.detail), where(s.span), where(s.selection), _shape(s.children)) for s in symbols]


@pytest.mark.parametrize("path", [p for p in EXAMPLE_FILES + OTHERS if "error" not in p.name], ids=lambda p: p.name)
def test_the_outline_recovered_from_tokens_equals_the_parsed_one_on_every_example(path: Path) -> None:
    """The outline of text that does not parse is read from its tokens: on text that parses, that
    reading must give exactly the parser's outline (names, kinds, details, ranges)."""
    text = path.read_text(encoding="utf-8")
    tests_file = path.suffix == ".tests"
    source = Source(str(path), text)
    unit = analyse(None, source) if tests_file else analyse(source, None)
    if (unit.tree is None) if not tests_file else not unit.tests_parsed:
        pytest.skip("does not parse")
    assert _shape(outline.recover(source.index, tests_file)) == _shape(outline.outline(unit, str(path)))


def test_the_recovered_outline_reads_a_name_that_ends_in_an_escaped_backslash() -> None:
    text = 'policy "p" version "1"\nactivities { chat }\nstages { lead }\nengagement {\n  "C:\\\\": +1 per chat\n}\n'
    source = Source("/tmp/backslash.policy", text)
    unit = analyse(source, None)
    assert unit.tree is not None and _shape(outline.recover(source.index)) == _shape(outline.outline(unit, source.path))
    assert outline.recover(source.index)[-1].children[0].name == "C:\\"


def test_the_outline_of_a_text_that_does_not_parse_is_read_once(monkeypatch) -> None:
    """An editor asks for one text's outline several times (outline view, breadcrumbs); reading it from
    the tokens costs 30 to 60 ms at the end of a 1,000-rule policy, so it is read once per text."""
    text = ACME.read_text(encoding="utf-8").replace("+10 when seniority = manager", "+10 when seniority = = manager")
    unit = analyse(Source("/tmp/once.policy", text), None)
    assert unit.tree is None
    reads = []
    run = outline._Recovery.run
    monkeypatch.setattr(outline._Recovery, "run", lambda self: reads.append(1) or run(self))
    first = outline.outline(unit, "/tmp/once.policy")
    assert outline.outline(unit, "/tmp/once.policy") is first and len(reads) == 1
    other = analyse(Source("/tmp/once.policy", text.replace("Influencer", "Influence")), None)
    fit = next(symbol for symbol in outline.outline(other, "/tmp/once.policy") if symbol.name == "fit")
    assert fit.children[1].children[1].name == "Influence" and len(reads) == 2  # another text: read again


def _fix(text: str, code: str) -> str:
    unit = analyse(Source("/tmp/f.policy", text), None)
    d = next(d for d in unit.diagnostics if d.code == code)
    (fix, *_) = actions.fixes(unit, d)
    return _apply(unit, {fix.path: list(fix.edits)})[fix.path]


def test_quick_fixes_apply_the_suggestion() -> None:
    base = HEAD
    fixed = _fix(base + 'fit { "a": +5 when senority = vp }\n', "unknown-field")
    assert 'when seniority = vp' in fixed
    fixed = _fix(base + 'fit { "a": +5 when seniority = VP }\n', "member-case")
    assert "seniority = vp" in fixed
    fixed = _fix(base + 'disqualify { "a": when did webinar where minuts > 3 }\n', "unknown-property")
    assert "minutes > 3" in fixed
    fixed = _fix(base + 'demote { "a": sql -> mqll when budget > 1 }\n', "unknown-stage")
    assert "sql -> mql when" in fixed
    fixed = _fix(ACME.read_text(encoding="utf-8") + 'test "t" { expect hit "Influenser" }\n', "unknown-rule")
    assert 'expect hit "Influencer"' in fixed
    for text in (fixed,):
        assert not check(parse(text)).errors


@pytest.mark.parametrize("right, wrong, title, repaired", [
    ("fit >= 40", "fit == 40", "Remove `=`", "fit = 40"),
    ("engagement >= 60 and fit >= 40", "engagement >= 60 && fit >= 40", "Change to `and`", "engagement >= 60 and fit >= 40"),
    ("within 14 days", "within 14d", "Change to `days`", "within 14 days"),
    ("within 14 days", "within 2 wks", "Change to `weeks`", "within 2 weeks"),
    ('"Read a blog post":', "Read a blog post:", 'Change to `"Read a blog post"`', '"Read a blog post":'),
])
def test_a_syntax_hint_is_a_quick_fix_that_parses(right: str, wrong: str, title: str, repaired: str) -> None:
    """The edit a syntax error's `help:` shows is offered as the quick fix (the command line shows
    it; the editor's light bulb had nothing for it), in a big file parsed incrementally too."""
    text = ACME.read_text(encoding="utf-8")
    broken = text.replace(right, wrong, 1)
    unit = analyse(Source("/tmp/f.policy", broken), None)
    (d,) = [d for d in unit.diagnostics if d.code == "syntax-error"]
    (fix,) = actions.fixes(unit, d)
    assert fix.title == title
    result = _apply(unit, {fix.path: list(fix.edits)})[fix.path]
    assert result == broken.replace(wrong, repaired, 1)
    assert not check(parse(result)).errors


@pytest.mark.parametrize("wrong, repaired", [
    ('"Big budget": +5 when budget >= "10_000"', '"Big budget": +5 when budget >= 10_000'),
    ('"Customer": +5 when is_customer = "yes"', '"Customer": +5 when is_customer'),
    ('"Not a customer": +5 when is_customer = "no"', '"Not a customer": +5 when not is_customer'),
])
def test_a_checkers_rewrite_is_a_quick_fix(wrong: str, repaired: str) -> None:
    text = ACME.read_text(encoding="utf-8").replace('"Buying this quarter":', wrong + '\n    "Buying this quarter":', 1)
    unit = analyse(Source("/tmp/f.policy", text), None)
    (d,) = [d for d in unit.diagnostics if d.code == "type-mismatch"]
    (fix,) = actions.fixes(unit, d)
    result = _apply(unit, {fix.path: list(fix.edits)})[fix.path]
    assert result == text.replace(wrong, repaired, 1)
    assert not check(parse(result)).errors


def test_a_test_values_rewrite_is_a_quick_fix() -> None:
    policy = ACME.read_text(encoding="utf-8")
    text = policy + 'test "t" {\n  fields { budget: "500", is_customer: "no" }\n  expect stage lead\n}\n'
    unit = analyse(Source("/tmp/f.policy", text), None)
    assert len([d for d in unit.diagnostics if d.code == "test-value"]) == 2
    for _ in range(2):  # one fix, then the document analysed again, as an editor does
        d = next(d for d in unit.diagnostics if d.code == "test-value")
        (fix,) = actions.fixes(unit, d)
        text = _apply(unit, {fix.path: list(fix.edits)})[fix.path]
        unit = analyse(Source("/tmp/f.policy", text), None)
    assert 'fields { budget: 500, is_customer: false }' in text
    assert not check(parse(text)).errors


def test_quick_fix_parenthesises_a_where() -> None:
    text = HEAD + 'disqualify { "a": when did webinar where minutes > 3 and budget > 5 or is_customer }\n'
    fixed = _fix(text, "unknown-property")
    assert "when (did webinar where minutes > 3) and budget > 5 or is_customer" in fixed
    assert not check(parse(fixed)).errors


def test_formatting_is_the_fmt_layout() -> None:
    text = ACME.read_text(encoding="utf-8")
    messy = text.replace("fit >= 40", "fit>=40").replace("  lead  ", "lead ")
    assert actions.format_document(messy, str(ACME)) == format_text(messy, str(ACME))
    assert actions.format_document("policy", str(ACME)) is None


# ---------------------------------------------------------------- the incremental parse


def _spans(node, out: list, where: str = "") -> list:
    """Every span in a tree as (where, line, column, end_line, end_column)."""
    from dataclasses import fields as dataclass_fields

    from leadpolicy.syntax import nodes as n
    from leadpolicy.syntax.diagnostics import Span

    if isinstance(node, Span):
        out.append((where, node.line, node.column, node.end_line, node.end_column))
    elif isinstance(node, tuple):
        for i, item in enumerate(node):
            _spans(item, out, f"{where}[{i}]")
    elif isinstance(node, n.Node):
        for f in dataclass_fields(node):
            _spans(getattr(node, f.name), out, f"{where}.{f.name}")
    return out


def _same_parse(text: str) -> None:
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.tools.lsp import incremental

    try:
        expected = parse(text, "p.policy")
    except PolicyError as error:
        with pytest.raises(PolicyError) as raised:
            incremental.parse(text, "p.policy", force=True)
        assert [d.to_dict() for d in raised.value.diagnostics] == [d.to_dict() for d in error.diagnostics]
        return
    got = incremental.parse(text, "p.policy", force=True)
    assert got == expected
    assert _spans(got, []) == _spans(expected, [])


def test_the_incremental_parse_reports_a_bad_character_between_pieces() -> None:
    text = "\n" + ACME.read_text(encoding="utf-8")
    rule = text.index('  "Read a blog post"')
    _same_parse(text[:rule] + "  # pasted: \ud800\n" + text[rule:])  # in a comment no piece holds
    _same_parse(text[:rule] + "  # reads on reversed: \u202e\n" + text[rule:])  # a text-direction override too


@pytest.mark.parametrize("path", POLICIES + OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_incremental_parse_equals_the_full_parse_on_the_examples(path: Path) -> None:
    from leadpolicy.tools.lsp import incremental

    text = path.read_text(encoding="utf-8")
    incremental._assemble(text, str(path))  # really cut into pieces: opening comments, comments between rules and blocks
    _same_parse(text)


EDITS = ["\n", " ", "x", "1", '"', "}", "{", "\n\n  ", "# c\n", "", "#", " and ", "(", ")", ":"]


def test_a_syntax_error_in_a_big_policy_is_found_without_parsing_it_whole(monkeypatch) -> None:
    import leadpolicy.syntax.parser as parser
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.tools.lsp import incremental

    text = (ROOT / "policies" / "enterprise.policy").read_text(encoding="utf-8")
    middle = text.index('":', len(text) // 2)  # a rule in the second half loses its colon
    broken = text[: middle + 1] + text[middle + 2 :]
    with pytest.raises(PolicyError) as full:
        parse(broken, "p.policy")
    lengths: list[int] = []
    real = parser.parse
    monkeypatch.setattr(parser, "parse", lambda t, path="<policy>": lengths.append(len(t)) or real(t, path))
    with pytest.raises(PolicyError) as fast:
        incremental.parse(broken, "p.policy")
    assert [d.to_dict() for d in fast.value.diagnostics] == [d.to_dict() for d in full.value.diagnostics]
    assert [(d.span.start, d.span.end) for d in fast.value.diagnostics] == [(d.span.start, d.span.end) for d in full.value.diagnostics]
    assert lengths and max(lengths) < len(broken) * 0.75, lengths  # pieces, then the rest of the file from the broken rule


def test_a_hint_quotes_the_line_as_written_when_a_rule_shares_it_with_its_block() -> None:
    text = ACME.read_text(encoding="utf-8").replace('engagement {\n  "Read a blog post"', 'engagement { "Read a blog post"')
    _same_parse(text.replace('"/blog"  within 90', '"/blog"  withn 90'))  # the hint shows the whole line


@pytest.mark.parametrize("path", POLICIES + OTHERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_incremental_parse_equals_the_full_parse_after_edits_of_the_examples(path: Path) -> None:
    """Errors included: where a piece does not parse, the full parse gives the diagnostics."""
    text = path.read_text(encoding="utf-8")
    rng = random.Random(path.name)
    for _ in range(25):
        at = rng.randrange(len(text) + 1)
        _same_parse(text[:at] + rng.choice(EDITS) + text[at + rng.randrange(4) :])


def _same_tests_parse(text: str) -> None:
    from leadpolicy.syntax.diagnostics import PolicyError
    from leadpolicy.tools.lsp import incremental

    try:
        expected = parse_tests(text, "p.tests")
    except PolicyError as error:
        with pytest.raises(PolicyError) as raised:
            incremental.parse_tests(text, "p.tests", force=True)
        assert [d.to_dict() for d in raised.value.diagnostics] == [d.to_dict() for d in error.diagnostics]
        return
    got = incremental.parse_tests(text, "p.tests", force=True)
    assert got == expected
    assert _spans(got, []) == _spans(expected, [])


@pytest.mark.parametrize("path", sorted((ROOT / "policies").glob("*.tests")), ids=lambda p: p.name)
def test_the_incremental_parse_of_a_tests_file_equals_the_full_parse_after_edits(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _same_tests_parse(text)
    rng = random.Random(path.name)
    for _ in range(40):
        at = rng.randrange(len(text) + 1)
        _same_tests_parse(text[:at] + rng.choice(EDITS + ["expect ", "activity ", "fields {"]) + text[at + rng.randrange(4) :])
        _same_tests_parse(text[:at])  # typed so far


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_the_incremental_parse_of_prefixes_equals_the_full_parse(path: Path) -> None:
    """Prefixes: the text ends inside a block, a rule, a group, a test (the sweep compares more, through the analysis)."""
    text = path.read_text(encoding="utf-8")
    for cut in random.Random(path.name).sample(range(len(text) + 1), 30):
        _same_parse(text[:cut])


@examples(max_examples=int(os.environ.get("LEADPOLICY_INCREMENTAL_EXAMPLES", "100")))
@given(policies_and_tests(), st.data())
def test_the_incremental_parse_equals_the_full_parse_after_any_edit(pair, data) -> None:
    opening = data.draw(st.sampled_from(["\n", "# a policy\n#\n"]))  # the header on line 2 or later, after comments
    text = opening + pair[0]
    _same_parse(text)
    at = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(EDITS))
    cut = data.draw(st.integers(0, 3))
    _same_parse(text[:at] + insert + text[at + cut :])


def test_an_edit_in_a_big_policy_reparses_only_what_changed() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from big_policy import make_policy

    from leadpolicy.tools.lsp import incremental

    text = make_policy(1000)
    incremental.parse(text, "big.policy")
    before = incremental.cached_pieces()
    edited = text.replace("n16 >= 216", "n16 >= 217")
    _same_parse(edited)
    assert incremental.cached_pieces() - before <= 2  # the rule edited (and nothing else)
    moved = text.replace("n16 >= 216", "n16 >= 216\n\n")  # every piece below moves two lines down
    _same_parse(moved)


def test_hover_shows_hostile_text_as_text() -> None:
    """Descriptions, rule and test names and enum members are the policy's own text: in the hover's
    Markdown they are escaped, so none becomes a link, an image (fetched when the hover shows) or HTML."""
    evil = "![i](https://evil.example/i.png) [a](https://evil.example) <img src=x>"
    text = (f'policy "p" version "1"\nfields {{\n  tier one of (gold, "{evil} `x`") "{evil}"\n}}\n'
            f'activities {{\n  demo "{evil}"\n}}\n'
            f'stages {{\n  lead "{evil}"\n  mql "{evil}" when tier = "{evil} `x`"\n}}\n'
            f'fit {{\n  need {{\n    "{evil} rule": +5 when tier = gold\n  }}\n}}\n')
    unit = analyse(Source("/tmp/evil.policy", text), None)
    path = unit.policy.path
    shown = [hover.hover(unit, path, at(text, word, 0, 1)) for word in ("tier one", "demo", "lead", "mql", "need", "gold,")]
    shown.append(hover.hover(unit, path, at(text, "tier = ", 0, 1)))
    for markdown in shown:
        assert markdown is not None
        body = re.sub(r"```policy\n.*?\n```", "", markdown, flags=re.S)  # the declaration, in a code block, is code
        assert not re.search(r"(?<!\\)(\[a\]\(|\[i\]\(|<img)", body), markdown
