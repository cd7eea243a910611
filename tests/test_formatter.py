"""The formatter (`leadpolicy fmt`): golden files, layout rules, properties over
generated policies (idempotent, same tree, every comment kept in order), and
the command line.

Golden pairs live in tests/golden/fmt: `NAME.policy` (or `NAME.tests`) and
`NAME.policy.formatted`; `LEADPOLICY_UPDATE_GOLDEN=1` rewrites the latter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st
from support.policygen import examples, policies, policies_and_tests

from leadpolicy.check.checker import check
from leadpolicy.cli import main
from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.parser import comments, parse, parse_tests
from leadpolicy.tools.fmt import WIDTH, format_source, format_tests_source, format_text

ROOT = Path(__file__).parent.parent
GOLDEN = Path(__file__).parent / "golden" / "fmt"
HEAD = 'policy "P" version "1"\n'


def tree(text: str, path: str = "<memory>"):
    return parse_tests(text, path) if path.endswith(".tests") else parse(text, path)


def comment_texts(text: str) -> list[str]:
    return [c.rstrip() for _, c in comments(text)]


# ---------------------------------------------------------------- golden files

GOLDEN_INPUTS = sorted(p for p in GOLDEN.glob("*") if p.suffix in (".policy", ".tests"))


def test_there_are_golden_pairs_for_each_kind_of_input() -> None:
    names = {p.name for p in GOLDEN_INPUTS}
    assert {"acme.policy", "comments.policy", "long_conditions.policy", "every_construct.policy", "tests_blocks.tests"} <= names


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.name)
def test_golden(source: Path, golden) -> None:
    text = source.read_text(encoding="utf-8")
    formatted = format_text(text, str(source))
    golden(source.with_name(source.name + ".formatted"), formatted)
    assert format_text(formatted, str(source)) == formatted
    assert tree(formatted, str(source)) == tree(text, str(source))
    assert comment_texts(formatted) == comment_texts(text)


# ---------------------------------------------------------------- acme and LANGUAGE.md section 1

# The lines of policies/acme.policy (section 1 of LANGUAGE.md) that fmt changes,
# whitespace only; see the module docstring of leadpolicy/formatter.py for why.
# The verbatim text of section 1 (policies/acme.policy is its formatted form).
SECTION_1 = Path(__file__).parent / "golden" / "fmt" / "acme.policy"
ACME_CHANGED_LINES = [7, 9, 11, 12, 19, 20, 21, 22, 29, 30, 31, 60, 61, 62, 63, 79]


def test_acme_changes_only_whitespace_on_known_lines() -> None:
    text = SECTION_1.read_text(encoding="utf-8")
    formatted = format_source(text)
    before, after = text.splitlines(), formatted.splitlines()
    assert len(before) == len(after)
    changed = [i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert changed == ACME_CHANGED_LINES
    for i in changed:
        assert before[i - 1].split() == after[i - 1].split()


def test_acme_keeps_its_aligned_engagement_table_and_wraps_like_section_1() -> None:
    formatted = format_source(SECTION_1.read_text(encoding="utf-8"))
    assert '  "Requested a demo":      +100 per form_submit where form = "demo"                           max 100\n' in formatted
    lines = formatted.splitlines()
    sql = lines.index('  sql   "Sales qualified"     when mql and (did form_submit where form = "demo" within 14 days')
    assert lines[sql + 1] == " " * (lines[sql].index("(") + 1) + "or sales_status = accepted)"
    bant = lines.index('  "Three of four BANT signals":  +10 when at least 3 of (budget >= 10000,')
    assert lines[bant + 1] == " " * (lines[bant].index("(") + 1) + "seniority in (director, vp, cxo),"


# ---------------------------------------------------------------- layout rules


def fmt_stages(body: str, extra: str = "") -> str:
    return format_source(HEAD + "fields { budget number  email text }\n" + extra + "stages {\n" + body + "\n}\n")


def test_points_get_a_sign_and_numbers_keep_their_spelling() -> None:
    out = format_source(HEAD + 'stages { lead }\nfit { "a": 5 when 10_000 > 2.50  "b": -0.5 when 1 = 1 }\n')
    assert '"a":  +5   when 10_000 > 2.50' in out
    assert '"b":  -0.5 when 1 = 1' in out


def test_strings_are_requoted_and_units_follow_the_amount() -> None:
    out = format_source(
        HEAD
        + 'activities { chat }\nstages { lead  mql "say \\"hi\\" \\\\o/" when did chat within 1 days or did chat within 2 hour }\n'
    )
    assert 'mql  "say \\"hi\\" \\\\o/" when did chat within 1 day or did chat within 2 hours' in out


def test_enum_members_keep_their_quotes_as_written() -> None:
    out = format_source(HEAD + 'fields { s one of ("open", "Closed Won", "no", x) }\nstages { lead }\n')
    assert 's  one of ("open", "Closed Won", "no", x)' in out


def test_parentheses_are_kept_as_written() -> None:
    out = fmt_stages("lead\nmql when ((budget > 1)) and (email = \"x\" or not (budget < 2))")
    assert 'mql when ((budget > 1)) and (email = "x" or not (budget < 2))' in out


def test_one_space_before_when_and_per_two_elsewhere() -> None:
    out = format_source(
        HEAD
        + 'fields { budget number "B" }\nactivities { visit (path text) }\nstages { lead "L"\n mql "M" when budget > 1 }\n'
        + 'engagement { "V": +5 per visit within 3 days max 10 }\ndemote { "D": mql -> lead when budget < 1 }\n'
        + 'disqualify { "Q": when budget < 0 }\ngrades { hot when fit > 1 cold otherwise }\n'
    )
    assert '  budget  number  "B"\n' in out
    assert '  mql   "M" when budget > 1\n' in out
    assert '  "V":  +5 per visit  within 3 days  max 10\n' in out
    assert '  "D":  mql -> lead when budget < 1\n' in out
    assert '  "Q": when budget < 0\n' in out
    assert "  hot  when fit > 1\n  cold otherwise\n" in out


def test_a_column_is_as_wide_as_the_rows_that_use_it() -> None:
    out = format_source(
        HEAD + 'fields {\n  a text "A"\n  a_much_longer_name one of (x, y, z)\n  b number "B"\n}\nstages { lead }\n'
    )
    # the enum has no description, so it does not widen the description column
    assert '  a                   text    "A"\n' in out
    assert "  a_much_longer_name  one of (x, y, z)\n" in out


def test_a_far_wider_cell_does_not_push_the_next_column() -> None:
    members = ", ".join(f"member_{i}" for i in range(6))
    out = format_source(HEAD + f'fields {{\n  a text "A"\n  b one of ({members}) "B"\n  c date "C"\n}}\nstages {{ lead }}\n')
    assert '  a  text  "A"\n' in out
    assert f'  b  one of ({members})  "B"\n' in out


def test_a_description_that_cannot_fit_moves_under_its_column() -> None:
    members = ", ".join(f"member_{i}" for i in range(8))
    out = format_source(HEAD + f'fields {{\n  a text "A"\n  b one of ({members}) "A long description"\n}}\nstages {{ lead }}\n')
    assert f"  b  one of ({members})\n           \"A long description\"\n" in out


def test_long_chains_break_before_the_operator_aligned_with_the_first_operand() -> None:
    cond = " or ".join(f'email ends with "@example-number-{i}.com"' for i in range(4))
    out = fmt_stages(f"lead\nmql when {cond}")
    lines = out.splitlines()
    start = lines.index('  mql when email ends with "@example-number-0.com"')
    assert lines[start + 1] == '           or email ends with "@example-number-1.com"'
    assert all(len(line) <= WIDTH for line in lines)


def test_a_final_parenthesis_is_hugged_when_the_rest_fits() -> None:
    inner = " or ".join(f'email = "{c * 20}"' for c in "abc")
    out = fmt_stages(f"lead\nmql when budget > 1 and ({inner})")
    assert f'  mql when budget > 1 and (email = "{"a" * 20}"\n' in out
    assert f'                           or email = "{"b" * 20}"\n' in out


def test_at_least_puts_one_condition_per_line_after_the_paren() -> None:
    items = ", ".join(f"budget > {10 ** i}_000_000" for i in range(5))
    out = fmt_stages(f"lead\nmql when at least 2 of ({items})")
    assert "  mql when at least 2 of (budget > 1_000_000,\n                          budget > 10_000_000,\n" in out


def test_value_lists_fill_evenly() -> None:
    values = ", ".join(f'"value-number-{i:02d}"' for i in range(9))
    out = fmt_stages(f"lead\nmql when email in ({values})")
    rows = [line for line in out.splitlines() if "value-number" in line]
    assert [row.count('"value') for row in rows] == [3, 3, 3]  # not 4, 4, 1
    assert rows[1].index('"') == rows[2].index('"') == rows[0].index("(") + 1


def test_at_least_1_times_stays_where_it_ends_a_where() -> None:
    text = HEAD + "activities { v (p number) }\nstages { lead\n mql when did v where p = 1 at least 1 times and fit > 1"
    text += " or did v where p = 2 at least 1 times }\n"
    out = format_source(text)
    assert "when did v where p = 1 at least 1 times and fit > 1 or did v where p = 2\n" in out
    assert parse(out) == parse(text)


def test_test_fields_go_on_one_line_or_an_evenly_filled_block() -> None:
    short = format_tests_source('test "t" { fields { a: 1, b: 2, } }')
    assert short == 'test "t" {\n  fields { a: 1, b: 2 }\n}\n'
    values = ", ".join(f"field_{i}: {i}_000" for i in range(12))
    long = format_tests_source(f'test "t" {{ fields {{ {values} }} }}')
    lines = long.splitlines()
    assert lines[1] == "  fields {" and lines[-2] == "  }"
    assert all(line.startswith("    field_") for line in lines[2:-2])


def test_test_items_keep_their_order_and_default_counts_drop() -> None:
    text = 'test "t" { expect stage a  as of 2026-01-01  activity x 1 times 2 days ago  fields { a: 1 }  expect grade B }'
    assert format_tests_source(text) == (
        'test "t" {\n  expect stage a\n  as of 2026-01-01\n  activity x 2 days ago\n  fields { a: 1 }\n  expect grade B\n}\n'
    )


def test_blank_lines_one_between_blocks_at_most_one_inside_none_at_the_edges() -> None:
    out = format_source(HEAD + "\n\n\nfields {\n\n  a text\n\n\n\n  b text\n  c text\n\n}\nstages { lead }\n")
    assert out == HEAD + "\nfields {\n  a  text\n\n  b  text\n  c  text\n}\n\nstages {\n  lead\n}\n"


def test_empty_blocks_and_empty_files() -> None:
    assert format_source(HEAD + "stages {}\nfields{\n}") == HEAD + "\nstages {}\n\nfields {}\n"
    assert format_tests_source("") == ""
    assert format_tests_source("\n# only a comment\n") == "# only a comment\n"


# ---------------------------------------------------------------- comments


def test_a_trailing_comment_stays_at_the_end_of_its_tokens_line() -> None:
    out = format_source(HEAD + "fields { budget number # money\n email text }\nstages { lead }\n")
    assert "  budget  number  # money\n  email   text\n" in out


def test_an_own_line_comment_stays_before_its_item_at_the_items_indentation() -> None:
    out = format_source(HEAD + "fields { budget number\n# the email\n        email text }\nstages { lead }\n")
    assert "  budget  number\n  # the email\n  email   text\n" in out


def test_a_comment_inside_a_condition_breaks_the_line_and_keeps_the_meaning() -> None:
    text = HEAD + "fields { a number }\nstages { lead\n mql when a > 1 and # why\n a < 5 or a = # which\n 9 }\n"
    out = format_source(text)
    assert parse(out) == parse(text)
    assert "and  # why\n" in out and "=  # which\n" in out
    assert format_source(out) == out


def test_comments_on_dropped_tokens_move_to_a_neighbour() -> None:
    text = 'test "t" {\n  fields { a: 1, # after the comma\n  }\n  activity x 1 # one\n  times 2 days ago\n}\n'
    out = format_tests_source(text)
    assert comment_texts(out) == ["# after the comma", "# one"]
    assert format_tests_source(out) == out


def test_a_hash_inside_a_string_is_not_a_comment() -> None:
    out = format_source(HEAD + 'stages { lead "#1 # not a comment" }\n')
    assert 'lead  "#1 # not a comment"' in out and comment_texts(out) == []


def test_trailing_comments_on_consecutive_lines_line_up() -> None:
    out = format_tests_source('test "t" {\n expect fit = 1 # a\n expect engagement = 20 # b\n\n expect stage x # c\n}\n')
    assert "  expect fit = 1          # a\n  expect engagement = 20  # b\n\n  expect stage x  # c\n" in out


# ---------------------------------------------------------------- errors and the front door


def test_a_syntax_error_raises_the_parsers_policy_error() -> None:
    with pytest.raises(PolicyError) as info:
        format_source(HEAD + "stages { lead mql when }", "bad.policy")
    assert info.value.diagnostics[0].code == "syntax-error"
    assert info.value.diagnostics[0].path == "bad.policy"
    with pytest.raises(PolicyError):
        format_tests_source(HEAD)


def test_format_text_chooses_by_suffix_then_by_first_word() -> None:
    policy, tests = HEAD + "stages{lead}", 'test "t" {}'
    assert format_text(policy, "x.policy") == format_source(policy)
    assert format_text(tests, "x.tests") == format_tests_source(tests)
    assert format_text(tests, "<stdin>") == format_tests_source(tests)
    assert format_text("# c\n" + policy, "<stdin>") == format_source("# c\n" + policy)


# ---------------------------------------------------------------- properties over generated policies

_TOKEN = re.compile(
    r'"(?:[^"\\\n\r]|\\["\\])*"|#[^\n]*|\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?|\d{4}-\d{2}-\d{2}'
    r"|\d(?:_?\d)*(?:\.\d(?:_?\d)*)?|[A-Za-z_]\w*|!=|<=|>=|->|\S"
)
_MARKER = re.compile(r"# m(\d+)$")


def respace(text: str, rnd, density: float = 0.0, blank_lines: bool = True) -> tuple[str, int]:
    """The same tokens with random whitespace between them (blank lines too,
    unless not `blank_lines`), and, with probability `density` per gap, a
    marker comment `# mN`: on the line of the token before it, or on a line
    of its own."""
    spaces = [" ", " ", " ", "\n", "\n  ", "\t"] + (["\n\n"] if blank_lines else [])
    tokens = _TOKEN.findall(text)
    out: list[str] = []
    markers = 0
    for token in tokens:
        r = rnd.random()
        if r < density:
            out.append(f"  # m{markers}\n")
            markers += 1
        elif r < 2 * density:
            out.append(f"\n# m{markers}\n")
            markers += 1
        else:
            out.append(rnd.choice(spaces))
        out.append(token)
    if rnd.random() < density * 5:
        out.append(f"\n# m{markers}")
        markers += 1
    return "".join(out).lstrip() + "\n", markers


def check_formatted(text: str, formatted: str, path: str = "<memory>") -> None:
    assert tree(formatted, path) == tree(text, path)
    assert format_text(formatted, path) == formatted
    assert comment_texts(formatted) == comment_texts(text)
    assert formatted.endswith("\n") or not formatted
    assert "\n\n\n" not in formatted and "\t" not in formatted
    assert all(line == line.rstrip() for line in formatted.splitlines())


@examples()
@given(policies())
def test_generated_policies_parse_and_check_without_errors(text: str) -> None:
    result = check(parse(text))
    assert not result.errors, [d.message for d in result.errors]


@examples()
@given(policies(), st.randoms(use_true_random=False))
def test_formatting_is_idempotent_and_keeps_the_tree(text: str, rnd) -> None:
    spaced, _ = respace(text, rnd)
    check_formatted(spaced, format_source(spaced))
    unblank, _ = respace(text, rnd, blank_lines=False)
    flat = " ".join(_TOKEN.findall(text)) + "\n"
    assert format_source(unblank) == format_source(flat)  # only blank lines and comments matter


@examples()
@given(policies(), st.randoms(use_true_random=False), st.sampled_from([0.03, 0.1, 0.4]))
def test_every_comment_survives_in_order(text: str, rnd, density: float) -> None:
    marked, count = respace(text, rnd, density)
    formatted = format_source(marked)
    found = [m.group() for c in comment_texts(formatted) for m in [_MARKER.match(c)] if m]
    assert found == [f"# m{i}" for i in range(count)]
    check_formatted(marked, formatted)


@examples()
@given(policies(lossless=True), st.randoms(use_true_random=False))
def test_comments_keep_their_place(text: str, rnd) -> None:
    """A trailing marker still follows the same token on its line, and an
    own-line marker is still on a line of its own (in policies where fmt
    drops or respells no token)."""
    marked, _ = respace(text, rnd, 0.1)
    formatted = format_source(marked)

    def places(source: str) -> dict[str, tuple[bool, str]]:
        result = {}
        previous = ""
        for m in re.finditer(_TOKEN, source):
            token = m.group()
            if token.startswith("#"):
                line_start = source.rfind("\n", 0, m.start()) + 1
                own_line = not source[line_start : m.start()].strip()
                result[token] = (own_line, previous)
            else:
                previous = token
        return result

    before, after = places(marked), places(formatted)
    for marker, (own_line, previous) in before.items():
        if own_line:
            assert after[marker][0], marker
        else:
            assert after[marker] == (False, previous), marker


@examples()
@given(policies_and_tests(), st.randoms(use_true_random=False))
def test_tests_files_format_too(pair: tuple[str, str], rnd) -> None:
    _, tests = pair
    marked, count = respace(tests, rnd, 0.05) if tests.strip() else (tests, 0)
    formatted = format_tests_source(marked)
    check_formatted(marked, formatted, "x.tests")


# ---------------------------------------------------------------- the command line


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, ["fmt", *args], input=input, catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


MESSY = HEAD + "stages { lead mql when fit>1 }\n"
TIDY = format_source(MESSY)


def test_fmt_rewrites_files_in_place_and_says_so(tmp_path: Path) -> None:
    policy = write(tmp_path / "a.policy", MESSY)
    tests = write(tmp_path / "a.tests", 'test "t" { expect stage mql }')
    result = run(str(policy), str(tests))
    assert result.exit_code == 0
    assert result.stdout == f"reformatted {policy}\nreformatted {tests}\n"
    assert policy.read_text() == TIDY
    assert tests.read_text() == 'test "t" {\n  expect stage mql\n}\n'
    again = run(str(policy), str(tests))
    assert again.exit_code == 0 and again.stdout == ""


def test_fmt_check_writes_nothing_lists_files_and_exits_1(tmp_path: Path) -> None:
    messy = write(tmp_path / "sub" / "messy.policy", MESSY)
    tidy = write(tmp_path / "tidy.policy", TIDY)
    write(tmp_path / "notes.txt", "not a policy")
    result = run("--check", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == f"would reformat {messy}\n"
    assert messy.read_text() == MESSY and tidy.read_text() == TIDY


def test_fmt_check_on_clean_files_exits_0(tmp_path: Path) -> None:
    write(tmp_path / "tidy.policy", TIDY)
    result = run("--check", str(tmp_path))
    assert result.exit_code == 0 and result.stdout == ""



def test_fmt_keeps_crlf_line_endings_and_a_bom(tmp_path: Path) -> None:
    """A Windows checkout (git's autocrlf) has CRLF lines: `fmt --check` said "would reformat" for a
    formatted file and `fmt` rewrote every line to LF. A file whose every line ends in CRLF keeps them;
    a file that mixes them gets LF."""
    crlf = tmp_path / "w.policy"
    crlf.write_bytes(TIDY.replace("\n", "\r\n").encode())
    result = run("--check", str(crlf))
    assert result.exit_code == 0 and result.stdout == ""
    messy = tmp_path / "m.policy"
    messy.write_bytes(MESSY.replace("\n", "\r\n").encode())
    assert run(str(messy)).stdout == f"reformatted {messy}\n"
    assert messy.read_bytes() == TIDY.replace("\n", "\r\n").encode()
    assert run("-", input=MESSY.replace("\n", "\r\n")).stdout_bytes == TIDY.replace("\n", "\r\n").encode()
    bom = tmp_path / "b.policy"  # Notepad's byte-order mark, kept with the line endings
    bom.write_bytes(b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode())
    assert run(str(bom)).exit_code == 0 and bom.read_bytes() == b"\xef\xbb\xbf" + TIDY.replace("\n", "\r\n").encode()
    mixed = tmp_path / "x.policy"
    mixed.write_bytes(TIDY.replace("\n", "\r\n", 1).encode())
    assert run(str(mixed)).exit_code == 0 and mixed.read_bytes() == TIDY.encode()

def test_fmt_directories_expand_to_policies_and_tests(tmp_path: Path) -> None:
    a = write(tmp_path / "b" / "x.tests", 'test "t"{}')
    b = write(tmp_path / "a.policy", MESSY)
    result = run(str(tmp_path))
    assert result.stdout == f"reformatted {b}\nreformatted {a}\n"


def test_fmt_syntax_error_exits_1_with_a_diagnostic_and_no_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.policy", HEAD + "stages { lead mql when }\n")
    good = write(tmp_path / "good.policy", MESSY)
    result = run(str(bad), str(good))
    assert result.exit_code == 1
    assert "error[syntax-error]: unexpected `}`" in result.stderr
    assert f"--> {bad}:2:24" in result.stderr
    assert "Traceback" not in result.output
    assert bad.read_text() == HEAD + "stages { lead mql when }\n"
    assert good.read_text() == TIDY  # the other files are still formatted


def test_fmt_reads_stdin_and_writes_stdout() -> None:
    result = run("-", input=MESSY)
    assert result.exit_code == 0 and result.stdout == TIDY
    tests = run("-", input='test "t" {expect stage a}')
    assert tests.stdout == 'test "t" {\n  expect stage a\n}\n'
    checked = run("--check", "-", input=MESSY)
    assert checked.exit_code == 1 and checked.stdout == "would reformat -\n"
    assert run("--check", "-", input=TIDY).exit_code == 0


def apply_unified_diff(text: str, diff: str) -> str:
    """`text` with the hunks of a one-file unified diff applied, each checked against it."""
    import re

    old, new, at, last = text.splitlines(keepends=True), [], 0, ""
    for line in diff.splitlines(keepends=True)[2:]:  # past the --- and +++ lines
        hunk = re.match(r"@@ -(\d+)", line)
        if hunk:
            start = int(hunk.group(1)) - 1
            new.extend(old[at:start])
            at = start
        elif line.startswith("\\"):  # the line before has no newline: only a + line changes `new`
            if last == "+":
                new[-1] = new[-1].rstrip("\n")
        elif line[0] in " -":
            assert old[at].rstrip("\n") == line[1:].rstrip("\n"), (old[at], line)
            if line[0] == " ":
                new.append(old[at])
            at += 1
        else:
            new.append(line[1:])
        last = line[0]
    return "".join(new + old[at:])


def test_fmt_diff_prints_the_change_writes_nothing_and_exits_1(tmp_path: Path) -> None:
    """`--diff` (as black, ruff and gofmt -d have it): a unified diff from the file to its
    formatted text, which applies back (as `patch` would); nothing written; exit 1 when it is not empty."""
    messy = write(tmp_path / "messy.policy", MESSY)
    tidy = write(tmp_path / "tidy.policy", TIDY)
    result = run("--diff", str(tmp_path))
    assert result.exit_code == 1 and messy.read_text() == MESSY
    assert result.stdout.startswith(f"--- {messy}\n+++ {messy} (formatted)\n@@ ")
    assert str(tidy) not in result.stdout
    assert "-stages { lead mql when fit>1 }\n" in result.stdout
    messy.write_text(apply_unified_diff(MESSY, result.stdout))
    assert messy.read_text() == TIDY
    clean = run("--diff", str(tmp_path))
    assert clean.exit_code == 0 and clean.stdout == ""


def test_fmt_diff_of_stdin_marks_a_missing_last_newline() -> None:
    result = run("--diff", "-", input=MESSY.rstrip("\n"))
    assert result.exit_code == 1 and result.stdout.startswith("--- -\n+++ - (formatted)\n")
    assert "\\ No newline at end of file\n" in result.stdout
    assert apply_unified_diff(MESSY.rstrip("\n"), result.stdout) == TIDY


def test_fmt_needs_files(tmp_path: Path) -> None:
    assert run(str(tmp_path)).exit_code == 2
    assert run(str(tmp_path / "missing.policy")).exit_code == 2


def test_section_1_copy_is_verbatim_and_acme_is_its_formatted_form() -> None:
    import re

    language = ROOT.parent / "shared" / "LANGUAGE.md"
    if language.exists():
        block = re.search(r"```\n(# Acme Cloud.*?)```", language.read_text(encoding="utf-8"), re.S).group(1)
        assert SECTION_1.read_text(encoding="utf-8") == block
    assert format_source(SECTION_1.read_text(encoding="utf-8")) == (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8")


def test_fmt_to_a_pipe_keeps_an_escape_sequence_in_a_string(tmp_path: Path) -> None:
    """click.echo drops what looks like a colour code from text going to a pipe: `leadpolicy fmt - < p.policy
    > q.policy` wrote a rule `"Comp\\x1b[2Jetitor"` as `"Competitor"`, another rule name; so did
    --diff. The policy is written as it is, as `fmt FILE` writes it in place."""
    source = (ROOT / "policies" / "acme.policy").read_text(encoding="utf-8").replace(
        '"Competitor":         when', '"Comp\x1b[2Jetitor": when')
    policy = tmp_path / "p.policy"
    policy.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", "fmt", "-"], input=source.encode("utf-8"),
                           capture_output=True, timeout=120, env=env)
    diffed = subprocess.run([sys.executable, "-m", "leadpolicy", "fmt", "--diff", str(policy)], capture_output=True,
                            timeout=120, env=env)
    assert subprocess.run([sys.executable, "-m", "leadpolicy", "fmt", str(policy)], env=env, timeout=120,
                          capture_output=True).returncode == 0
    assert piped.returncode == 0 and piped.stdout == policy.read_bytes() and b'"Comp\x1b[2Jetitor"' in piped.stdout
    assert diffed.returncode == 1 and b'-  "Comp\x1b[2Jetitor": when' in diffed.stdout


def test_fmt_to_a_terminal_shows_a_strings_control_characters_escaped(tmp_path: Path) -> None:
    """`fmt -` on a terminal printed a rule name's ESC as it was: a policy set the reader's window
    title. On a terminal it is shown as `\\x1b` (as messages show it); a string's own backslash is
    `\\\\` in policy text (section 2.5), so the escaped ESC and the text `\\x1b` still differ there.
    A CRLF policy's line ends are kept as line ends, not shown as `\\r`. A pipe gets the bytes."""
    from support.terminal import on_a_terminal

    source = ('policy "P" version "1"\nstages {\n  lead\n  mql  "Comp\x1b]0;PWN\x07etitor" when 1 > 0\n'
              '  sql  "a\\\\x1b" when mql\n}\n')
    shown, said, status = on_a_terminal(["fmt", "-"], input=source.encode("utf-8"))
    assert (status, said) == (0, "")
    assert "\x1b" not in shown and "\x07" not in shown
    assert '"Comp\\x1b]0;PWN\\x07etitor"' in shown and '"a\\\\x1b"' in shown
    crlf, _, _ = on_a_terminal(["fmt", "-"], input=source.replace("\n", "\r\n").encode("utf-8"))
    assert "\\r" not in crlf and crlf.replace("\r", "") == shown
    piped = subprocess.run([sys.executable, "-m", "leadpolicy", "fmt", "-"], input=source.encode("utf-8"),
                           capture_output=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert piped.returncode == 0 and b'"Comp\x1b]0;PWN\x07etitor"' in piped.stdout
    assert shown == piped.stdout.decode("utf-8").replace("\x1b", "\\x1b").replace("\x07", "\\x07")


def test_text_for_people_shows_a_backslash_as_it_is_so_a_hints_fix_can_be_pasted(tmp_path: Path) -> None:
    """docs/decisions.md 63: `terminal_text` does not double a backslash. A hint's fix is policy text,
    whose backslash is `\\\\`; doubled again it would be another, wrong, fix. The price: a message
    may show the escaped ESC and the text `\\x1b` alike (JSON, or a pipe, has the bytes)."""
    from leadpolicy.syntax.diagnostics import terminal_text

    assert terminal_text("C:\\Users \x1b") == "C:\\Users \\x1b"
    policy = tmp_path / "p.policy"
    policy.write_text('policy "P" version "1"\nfields { t text }\nstages { lead  mql when t contains "C:\\Users" }\n',
                      encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "leadpolicy", "check", str(policy)], capture_output=True, text=True,
                         encoding="utf-8", timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    status, said = run.returncode, run.stderr  # messages go through terminal_text wherever they go
    assert status == 1
    assert 'write a backslash as `\\\\`: `stages { lead  mql when t contains "C:\\\\Users" }`' in said
    fixed = policy.read_text(encoding="utf-8").replace("C:\\Users", "C:\\\\Users")
    assert check(parse(fixed)).ok  # the fix as shown, pasted, checks
