"""The parser's side table (leadpolicy.syntax.comments): every token as spelt and
every comment, recorded by the parser's own lexer, placed against the tokens
around them; and the formatter built on it (no second lexer, no difflib)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from support.policygen import examples, policies

from leadpolicy.syntax.comments import parse_lossless, recording
from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.parser import comments, parse, parse_tests

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "fmt"

TEXT = '''# a file comment
policy "P" version "1"  # after the version

fields {
  tier one of (a, "b c")  # trailing a field
  # leading budget

  budget number
}
stages { lead  mql when budget >= 10_000 }
'''


def _covered(text: str, table) -> None:
    """Tokens and comments cover every character of the text that is not white space, once, in order."""
    pieces = sorted([(t.start, t.end, t.text) for t in table.tokens] + [(c.start, c.end, c.text) for c in table.comments])
    at = 0
    for start, end, spelt in pieces:
        assert start >= at and text[at:start].strip() == "", (at, start, text[at:start])
        assert text[start:end].rstrip() == spelt
        at = end
    assert text[at:].strip() == ""


def test_every_token_is_kept_as_spelt() -> None:
    tree, table = parse_lossless(parse, TEXT)
    assert tree == parse(TEXT)
    spelt = [t.text for t in table.tokens]
    assert spelt[:4] == ["policy", '"P"', "version", '"1"']
    assert "10_000" in spelt and '"b c"' in spelt and "a" in spelt
    _covered(TEXT, table)


def test_comments_are_placed_against_the_tokens_around_them() -> None:
    _, table = parse_lossless(parse, TEXT)
    placed = {c.text: c for c in table.comments}
    assert [c.text for c in table.comments] == [c for _, c in comments(TEXT)]
    first = placed["# a file comment"]
    assert first.after == -1 and first.own_line and not first.blank_before
    trailing = placed["# after the version"]
    assert not trailing.own_line and table.tokens[trailing.after].text == '"1"'
    field = placed["# trailing a field"]
    assert not field.own_line and table.tokens[field.after].text == ")"
    leading = placed["# leading budget"]
    assert leading.own_line and table.tokens[leading.after + 1].text == "budget"
    budget = leading.after + 1
    assert table.blank_before(budget)  # the blank line between the comment and `budget`
    assert not table.blank_before(budget + 1)


def test_a_node_finds_its_comments_by_its_span() -> None:
    tree, table = parse_lossless(parse, TEXT)
    tier = tree.fields[0]
    assert [c.text for c in table.comments_within(tier.span.start, tier.span.end + 20)] == ["# trailing a field"]
    assert [t.text for t in table.tokens_within(tier.type.span.start, tier.type.span.end)] == ["one", "of", "(", "a", ",", '"b c"', ")"]


def test_a_hash_in_a_string_is_not_a_comment() -> None:
    text = 'policy "P #1" version "1"  # real\n'
    _, table = parse_lossless(parse, text)
    assert [c.text for c in table.comments] == ["# real"]


def test_tests_files_too() -> None:
    text = (GOLDEN / "product_led.tests").read_text(encoding="utf-8")
    tests, table = parse_lossless(parse_tests, text)
    assert tests == parse_tests(text)
    assert [c.text for c in table.comments] == [c.rstrip() for _, c in comments(text)]
    _covered(text, table)


def test_recording_is_off_outside_a_lossless_parse() -> None:
    with recording("") as table:
        pass
    parse(TEXT)
    assert table.tokens == [] and table.comments == []


def test_a_failed_parse_leaves_no_recording_behind() -> None:
    with pytest.raises(PolicyError):
        parse_lossless(parse, 'policy "P" version "1"\nfields { x }\n')
    _, table = parse_lossless(parse, TEXT)
    assert table.tokens[0].text == "policy" and table.tokens[0].start == TEXT.index("policy")


def test_recordings_in_two_threads_do_not_mix() -> None:
    results: dict[int, list[str]] = {}

    def run(i: int) -> None:
        text = TEXT.replace("# leading budget", f"# thread {i}")
        for _ in range(20):
            _, table = parse_lossless(parse, text)
            results[i] = [c.text for c in table.comments]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        assert f"# thread {i}" in results[i] and len(results[i]) == 4


def test_keywords_spelt_where_a_name_goes_are_still_errors() -> None:
    """Lark 1.3 compares only the last user lexer callback correctly (see lark_parser): IDENT stays last."""
    with pytest.raises(PolicyError) as caught:
        parse('policy "p" version "1"\nfields { x number }\nstages { lead mql when x > 1 and activities > 1 }\n')
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.span.column == 34 and "a word of the language" in (diagnostic.help or "")


def test_the_formatter_has_no_lexer_of_its_own_and_no_difflib() -> None:
    for module in (ROOT / "leadpolicy" / "tools" / "fmt").glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "difflib" not in source, module
        assert not re.search(r"re\.compile\([^)]*#", source), f"{module} lexes comments itself"


@examples()
@given(policies(), st.randoms(use_true_random=False))
def test_generated_policies_with_comments_everywhere(text: str, random) -> None:
    """A comment after any token: the side table holds every token and comment, as spelt."""
    lines = text.split("\n")
    for _ in range(5):
        i = random.randrange(len(lines))
        if '"' not in lines[i]:
            lines[i] += f"  # note {i}"
    text = "\n".join(lines)
    tree, table = parse_lossless(parse, text)
    assert tree == parse(text)
    assert [c.text for c in table.comments] == [c.rstrip() for _, c in comments(text)]
    _covered(text, table)


def test_each_comment_belongs_to_a_node() -> None:
    from leadpolicy.syntax import nodes as n
    from leadpolicy.syntax.comments import owners

    tree, table = parse_lossless(parse, TEXT + 'disqualify {\n  "Spam": when\n    # a keyword before me\n    budget < 0\n}\n')
    owner = {c.text: node for c, node in owners(tree, table)}
    assert owner["# a file comment"] is tree
    assert owner["# after the version"] is tree  # the header is the policy's own
    assert owner["# trailing a field"] is tree.fields[0]
    assert owner["# leading budget"] is tree.fields[1]
    assert isinstance(owner["# a keyword before me"], n.Compare)  # the condition after `when`


@examples()
@given(policies(), st.randoms(use_true_random=False))
def test_every_comment_has_an_owner_that_holds_or_touches_it(text: str, random) -> None:
    from leadpolicy.syntax.comments import owners

    lines = text.split("\n")
    for _ in range(4):
        i = random.randrange(len(lines))
        lines.insert(i, "# own line")
    text = "\n".join(lines)
    tree, table = parse_lossless(parse, text)
    placed = owners(tree, table)
    assert [c for c, _ in placed] == table.comments
    for comment, node in placed:
        assert node.span is not None
        if node is tree:
            continue  # before, in or after the header, or past the last block
        follows = comment.after + 1 < len(table.tokens) and table.tokens[comment.after + 1].start == node.span.start
        assert node.span.start <= comment.start <= node.span.end or follows
