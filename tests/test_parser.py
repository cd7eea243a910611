"""The parser: every construct of LANGUAGE.md sections 2-5 and 9 becomes the right tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import TEXT_DIRECTION_CHARACTERS, PolicyError
from leadpolicy.syntax.parser import comments, parse, parse_tests, quote, unquote

ROOT = Path(__file__).parent.parent
HEAD = 'policy "P" version "1"\n'
DECLS = """
fields { budget number  email text  tier one of (a, b, "Closed Won")  ok boolean  created date }
activities { visit (path text, secs number)  chat }
"""


def condition(text: str) -> n.Expr:
    """The parsed (unresolved) condition of a second stage."""
    policy = parse(HEAD + DECLS + "stages { lead  mql when " + text + " }")
    return policy.stages[1].condition


def test_acme_parses_with_every_block_in_order() -> None:
    policy = parse((ROOT / "policies" / "acme.policy").read_text(), "policies/acme.policy")
    assert (policy.name, policy.version) == ("Acme Cloud handoff", "2026.11.1")
    assert [(o.role, o.person) for o in policy.owners] == [("marketing", "Dana Ruiz"), ("sales", "Lee Park")]
    kinds = [b.kind for b in policy.blocks]
    assert kinds == ["fields", "activities", "stages", "engagement", "fit", "grades", "demote", "disqualify", "test", "test"]
    assert [s.name for s in policy.stages] == ["lead", "mql", "sql"]
    assert len(policy.engagement_rules) == 6 and policy.decay.percent == 50.0 and policy.decay.every.unit == "day"
    assert [r.group for r in policy.fit_rules] == ["budget", "authority", "authority", "need", "need", "timeline", None, None]
    assert [g.letter for g in policy.grades] == ["A", "B", "C", "D"] and policy.grades[-1].condition is None
    assert policy.demotions[0].source == "sql" and policy.demotions[0].target == "mql"
    assert len(policy.tests) == 2 and policy.path == "policies/acme.policy"


def test_where_extends_as_far_as_it_can() -> None:
    c = condition('did visit where path = "/a" or secs > 3')
    assert isinstance(c, n.Did) and isinstance(c.where, n.Or) and len(c.where.operands) == 2


def test_parentheses_end_a_where_early() -> None:
    c = condition('(did visit where path = "/a") or budget > 3')
    assert isinstance(c, n.Or)
    assert isinstance(c.operands[0], n.Paren) and isinstance(c.operands[0].inner, n.Did)
    assert isinstance(c.operands[1], n.Compare)


def test_within_and_at_least_end_a_where() -> None:
    c = condition('did visit where path = "/a" at least 3 times within 2 weeks or budget > 3')
    assert isinstance(c, n.Or)
    did = c.operands[0]
    assert isinstance(did, n.Did) and did.times == 3 and did.within.unit == "week" and did.within.amount == 2
    assert isinstance(did.where, n.Compare)


def test_open_did_after_and_or_swallows_the_rest() -> None:
    c = condition('budget > 1 and did visit where path = "/a" or secs > 3')
    assert isinstance(c, n.And)
    assert isinstance(c.operands[1], n.Did) and isinstance(c.operands[1].where, n.Or)


def test_no_and_did_activity() -> None:
    c = condition("no activity within 30 days and not no chat")
    assert isinstance(c, n.And)
    first, second = c.operands
    assert first == n.Did(None, None, 1, n.Duration(30.0, "day"), negated=True)
    assert isinstance(second, n.Not) and second.operand == n.Did("chat", negated=True)


def test_precedence_not_and_or() -> None:
    c = condition("not budget >= 10000 or ok and budget < 5")
    assert isinstance(c, n.Or)
    assert isinstance(c.operands[0], n.Not) and isinstance(c.operands[0].operand, n.Compare)
    assert isinstance(c.operands[1], n.And)


def test_arithmetic_precedence_and_unary_minus() -> None:
    c = condition("engagement + fit * 2 - -3 >= budget - 10")
    assert isinstance(c, n.Compare) and c.op == ">="
    left = c.left
    assert left == n.Arith("-", n.Arith("+", n.Engagement(), n.Arith("*", n.Fit(), n.Number(2.0))), n.Neg(n.Number(3.0)))
    assert c.right == n.Arith("-", n.Name("budget"), n.Number(10.0))


def test_minus_is_an_operator_not_part_of_the_number() -> None:
    assert condition("budget > -3").right == n.Neg(n.Number(3.0))


def test_numbers_strings_dates_and_durations() -> None:
    c = condition('budget >= 10_000 and email = "a \\"b\\" \\\\ c" and created < 2026-11-22T10:30:00Z')
    budget, email, created = c.operands
    assert budget.right.value == 10000.0 and budget.right.text == "10_000"
    assert email.right.value == 'a "b" \\ c'
    assert created.right.has_time and created.right.micros == 1795343400000000
    day = condition("created >= 2026-11-22").right
    assert not day.has_time and day.micros == 1795305600000000
    d = condition("did chat within 1.5 days").within
    assert (d.amount, d.unit, d.micros) == (1.5, "day", 129_600_000_000)
    assert condition("did chat within 1 hour").within.micros == 3_600_000_000


def test_every_test_construct() -> None:
    text = HEAD + DECLS + """
    stages { lead }
    test "all of it" {
      as of 2026-11-22T08:00:00Z
      previous stage lead
      fields { budget: -5, email: "x@y.z", tier: a, ok: true, created: 2026-01-01, }
      activity visit (path: "/p", secs: 2.5) 3 times 4 days ago
      activity chat at 2026-11-20
      expect stage lead
      expect change unchanged
      expect grade A
      expect engagement >= 10
      expect fit = -2.5
      expect hit "R"
      expect no hit "S"
    }
    """
    (test,) = parse(text).tests
    assert test.name == "all of it" and test.as_of.kind == "timestamp" and test.previous_stage == "lead"
    assert [(f.name, f.value.kind, f.value.value) for f in test.fields] == [
        ("budget", "number", -5.0),
        ("email", "string", "x@y.z"),
        ("tier", "word", "a"),
        ("ok", "bool", True),
        ("created", "date", 1767225600000000),
    ]
    visit, chat = test.activities
    assert visit.count == 3 and visit.ago == n.Duration(4.0, "day") and [p.name for p in visit.props] == ["path", "secs"]
    assert chat.at.kind == "date" and chat.ago is None
    kinds = [(x.kind, x.value, x.op) for x in test.expectations]
    assert kinds == [
        ("stage", "lead", None),
        ("change", "unchanged", None),
        ("grade", "A", None),
        ("engagement", 10.0, ">="),
        ("fit", -2.5, "="),
        ("hit", "R", None),
        ("no_hit", "S", None),
    ]


def test_tests_file_holds_only_test_blocks() -> None:
    tests = parse_tests('test "a" { expect stage lead }  # note\n test "b" { }')
    assert [t.name for t in tests] == ["a", "b"]


def test_spans_point_at_names_and_are_out_of_equality() -> None:
    compact = parse(HEAD + "fields { budget number } stages { lead mql when budget > 1 }")
    spread = parse(HEAD + "# a comment\nfields {\n  budget   number\n}\n\nstages {\n  lead\n  mql when budget>1\n}\n")
    assert compact == spread
    field = spread.fields[0]
    assert (field.name_span.line, field.name_span.column, field.name_span.end_column) == (4, 3, 9)
    assert spread.stages[1].condition.span.line == 9


def test_a_reserved_word_is_never_a_name_and_the_parser_explains() -> None:
    # was: reserved words parsed as names for the checker to explain; now the lexer never takes
    # one for a name (issue 9 item 10), and the parser says the same at the word
    with pytest.raises(PolicyError) as caught:
        parse(HEAD + "fields { date date } stages { lead }")
    (d,) = caught.value.diagnostics
    assert d.code == "reserved-name" and "cannot name a field" in d.message and d.column == 10


@pytest.mark.parametrize(
    "text, where",
    [
        ("stages { lead mql when }", "`}`"),
        ('stages { lead "unterminated }', "not closed"),
        ("stages { lead } extra", "`extra`"),
        ("stages { lead mql when budget > 1 and }", "`}`"),
        ("stages { lead mql when a < b < c }", "`<`"),
    ],
)
def test_syntax_errors_are_policy_errors_with_a_position(text: str, where: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse(HEAD + text, "x.policy")
    (d,) = caught.value.diagnostics
    assert d.code == "syntax-error" and d.line == 2 and d.column >= 1 and where in d.message


def test_bad_literals_are_diagnostics() -> None:
    with pytest.raises(PolicyError) as caught:
        parse(HEAD + "fields { c date } stages { lead mql when c > 2026-02-30 }")
    assert caught.value.diagnostics[0].code == "bad-date"


@pytest.mark.parametrize(("literal", "utc"), [
    ("2026-11-20T10:00:00Z", "2026-11-20T10:00:00"), ("2026-11-20T10:00", "2026-11-20T10:00:00"),
    ("2026-11-20T10:00:00+02:00", "2026-11-20T08:00:00"), ("2026-11-20T10:00:00+0200", "2026-11-20T08:00:00"),
    # an hour-only zone is ISO 8601 too; it read as the timestamp plus the number 2 ("cannot compare ... with a number")
    ("2026-11-20T10:00:00+02", "2026-11-20T08:00:00"), ("2026-11-20T10:00-05", "2026-11-20T15:00:00"),
    ("2026-11-20T10:00:00.123456789Z", "2026-11-20T10:00:00.123456"),
])
def test_timestamp_literals_and_their_zones(literal: str, utc: str) -> None:
    import datetime as dt

    policy = parse(HEAD + f"fields {{ c date }} stages {{ lead mql when c > {literal} }}")
    compare = policy.stages[1].condition
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=compare.right.micros)
    assert moment.isoformat() == utc and compare.right.text == literal


@pytest.mark.parametrize("literal", ["2026-11-20T10:00+05:60", "2026-11-20T10:00:00.1234567891Z", "2026-11-20T24:00Z",
                                     "2026-11-20T10:00+24:00"])
def test_a_timestamp_literal_the_lead_data_would_refuse_is_refused(literal: str) -> None:
    # fromisoformat read the first two (an offset minute of 60 as the next hour, ten fraction digits),
    # where the same text in lead data is an error (docs/decisions.md 84)
    from leadpolicy.semantics.runtime import instant_micros

    assert instant_micros(literal) is None
    for text in (f"fields {{ c date }} stages {{ lead mql when c > {literal} }}",
                 f'stages {{ lead }} test "t" {{ as of {literal} expect stage lead }}'):
        with pytest.raises(PolicyError) as caught:
            parse(HEAD + text)
        (d,) = caught.value.diagnostics
        assert (d.code, d.message) == ("bad-date", f"`{literal}` is not a valid timestamp")


def test_comments_are_found_outside_strings_only() -> None:
    text = 'policy "a # not" version "1" # yes\n# also\n'
    assert [c for _, c in comments(text)] == ["# yes", "# also"]


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r" + TEXT_DIRECTION_CHARACTERS)))
@settings(max_examples=200)
def test_quote_and_unquote_round_trip(value: str) -> None:
    assert unquote(quote(value)) == value
    policy = parse(f"policy {quote(value)} version \"1\" stages {{ lead }}")
    assert policy.name == value


def test_a_lone_surrogate_is_a_policy_error_at_its_position() -> None:
    import json

    import leadpolicy

    text = json.loads('"policy \\"P\\" version \\"1\\"\\nstages { lead\\n  mql when \\"\\ud800\\" = \\"x\\" }\\n"')
    with pytest.raises(leadpolicy.PolicyError) as caught:
        leadpolicy.loads(text)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("bad-character", 3, 13)
    assert "U+D800" in diagnostic.message
    caught.value.render().encode("utf-8")  # printable: the character is replaced in the shown line


@pytest.mark.parametrize("character", list(TEXT_DIRECTION_CHARACTERS))
@pytest.mark.parametrize("where", ["rule name", "comment", "tests file"])
def test_a_text_direction_character_is_a_policy_error_at_its_position(character: str, where: str) -> None:
    """An override or isolate makes the line display in another order than it reads ("Trojan
    Source"): `"Unsubscribed<U+202E>": -50 per ...` can show its points reversed to a reviewer."""
    import leadpolicy

    rule = f'  "Big{character}": +5 when x >= 10' if where == "rule name" else f"  # {character} hi"
    text = f'policy "P" version "1"\nfields {{ x number }}\nstages {{ lead\n  mql when x > 1 }}\nfit {{\n{rule}\n}}\n'
    if where == "tests file":
        with pytest.raises(PolicyError) as caught:
            parse_tests(f'test "t" {{\n  # {character} hi\n  expect stage lead\n}}\n', "p.tests")
    else:
        with pytest.raises(leadpolicy.PolicyError) as caught:
            leadpolicy.loads(text)
    (diagnostic,) = caught.value.diagnostics
    position = {"rule name": (6, 7), "comment": (6, 5), "tests file": (2, 5)}[where]
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("bad-character", *position)
    assert f"U+{ord(character):04X}" in diagnostic.message and "text-direction" in diagnostic.message
    assert character not in (diagnostic.help or "") and character not in caught.value.render()
    if where == "rule name":  # the fix is the line without it
        assert diagnostic.help.endswith('`"Big": +5 when x >= 10`')


def test_direction_marks_and_right_to_left_text_are_fine() -> None:
    """Only the overrides, embeddings and isolates are refused: right-to-left text and the
    invisible marks it may carry (U+200F RIGHT-TO-LEFT MARK) are text like any other."""
    policy = parse('policy "שלום‏" version "1"\nstages { lead }\n')
    assert policy.name == "שלום‏"


def test_the_shipped_parse_tables_match_the_grammar() -> None:
    """leadpolicy/syntax/parse_tables.py is generated from the grammar (start-up speed);
    regenerate it with `python -m leadpolicy.syntax.tables` after changing the grammar."""
    from leadpolicy.syntax import parse_tables, tables
    from leadpolicy.syntax.parser import grammar_text

    assert parse_tables.GRAMMAR_SHA256 == tables.grammar_sha256(grammar_text()), "stale: run python -m leadpolicy.syntax.tables"


def test_shipped_tables_and_a_parser_built_from_the_grammar_agree() -> None:
    from pathlib import Path

    from leadpolicy.syntax import tables
    from leadpolicy.syntax.parser import grammar_text

    shipped, built = tables.load(grammar_text()), tables.build(grammar_text())
    for path in sorted(Path(__file__).resolve().parents[1].glob("policies/*.policy")):
        text = path.read_text(encoding="utf-8")
        assert shipped.parse(text, start="start") == built.parse(text, start="start")


def test_stale_tables_fall_back_to_building_the_parser() -> None:
    from leadpolicy.syntax import tables
    from leadpolicy.syntax.parser import grammar_text

    changed = grammar_text() + "\n// a comment changes the hash\n"
    parser = tables.load(changed)
    assert parser.parse('policy "P" version "1" stages { lead }', start="start").data == "start"


_MEMBERS = st.lists(
    st.one_of(st.sampled_from(["vp", "and", "stage", "Vice President", "a\"b", "back\\slash", "10", "é"]),
              st.text(st.characters(codec="utf-8", exclude_characters="\n\r" + TEXT_DIRECTION_CHARACTERS), min_size=1, max_size=6)
              .filter(lambda m: m == m.strip())),
    min_size=1, max_size=4, unique_by=str.lower)


@given(_MEMBERS)
def test_an_enum_type_is_written_as_the_policy_text_that_reads_it_back(members: list[str]) -> None:
    """FieldType's text (messages, documents, diffs) is the one spelling: bare plain names,
    string literals for the rest (reserved words, spaces, quotes), and it parses back."""
    field_type = n.FieldType("enum", tuple(members))
    source = f'policy "P" version "1"\nfields {{ f {field_type} }}\nstages {{ lead }}\n'
    (declared,) = parse(source).fields
    assert declared.type.members == tuple(members)
    assert str(n.FieldType("enum", ("vp", "and", "Vice President"))) == 'one of (vp, "and", "Vice President")'
