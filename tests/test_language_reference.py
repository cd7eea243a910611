"""docs/language-reference.md is complete and every example in it is right.

- Every fenced block is of a kind some test checks (`policy`, `tests`, `json`,
  `python`, `console`, `sh`): no example goes unchecked. tests/test_docs_samples.py
  runs the `policy`, `json`, `python`, `console` and `sh` blocks of every page of
  docs/; this file checks the `tests` blocks (a `.tests` file, checked against the
  policy its fence names) and re-checks the policy blocks' error codes.
- Every rule of grammar/leadpolicy.lark (each rule name or alias the parser can
  put in a tree), every named terminal, every comparison operator and every
  duration unit occurs in some example: add a rule to the grammar and this fails
  until the reference shows it.
- The reserved words listed in the reference are exactly the checker's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lark import Token, Tree

from leadpolicy.check.checker import RESERVED, check
from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.parser import grammar_text, lark_parser, parse, parse_tests

ROOT = Path(__file__).parent.parent
REFERENCE = ROOT / "docs" / "language-reference.md"
TEXT = REFERENCE.read_text(encoding="utf-8")
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
CHECKED_KINDS = {"policy", "tests", "json", "python", "console", "sh"}


def blocks() -> list[tuple[str, dict, str, int]]:
    found = []
    for match in FENCE.finditer(TEXT):
        info = match.group(1).strip()
        kind, *options = info.split() or ["text"]
        option = dict(o.split("=", 1) for o in options if "=" in o)
        found.append((kind, option, match.group(2), TEXT.count("\n", 0, match.start()) + 1))
    return found


BLOCKS = blocks()


def test_every_block_is_checked() -> None:
    unchecked = [(line, kind) for kind, _, _, line in BLOCKS if kind not in CHECKED_KINDS]
    assert not unchecked, f"blocks no test checks (line, kind): {unchecked}"
    assert sum(kind == "policy" for kind, *_ in BLOCKS) >= 30


def _codes(text: str, tests_text: str | None = None, tests_path: str = "sample.tests") -> tuple[set, set]:
    """(error codes, all codes) of a policy (and optionally a .tests file for it)."""
    try:
        tree = parse(text, "sample.policy")
        tests = parse_tests(tests_text, tests_path) if tests_text is not None else ()
        diagnostics = check(tree, tests, tests_path if tests_text is not None else None).diagnostics
    except PolicyError as error:
        diagnostics = error.diagnostics
    return {d.code for d in diagnostics if d.is_error}, {d.code for d in diagnostics}


@pytest.mark.parametrize("kind, option, body, line", [b for b in BLOCKS if b[0] in ("policy", "tests")],
                         ids=lambda value: str(value) if isinstance(value, int) else None)
def test_policy_and_tests_examples(kind: str, option: dict, body: str, line: int) -> None:
    if kind == "tests":
        policy_text = (ROOT / option["policy"]).read_text(encoding="utf-8")
        errors, codes = _codes(policy_text, body)
    else:
        errors, codes = _codes(body)
    wanted = option.get("error")
    if wanted:
        assert wanted in codes, f"line {line}: expected `{wanted}`, got {sorted(codes)}"
        assert f"`{wanted}`" in TEXT.replace(body, ""), f"line {line}: the prose should name `{wanted}`"
    else:
        assert not errors, f"line {line}: {sorted(errors)}"


# ---------------------------------------------------------------- the grammar is covered


def _walk(tree: Tree, rules: set, tokens: list) -> None:
    rules.add(str(tree.data))
    for child in tree.children:
        if isinstance(child, Tree):
            _walk(child, rules, tokens)
        elif isinstance(child, Token):
            tokens.append(child)


def _used() -> tuple[set, list]:
    rules: set = set()
    tokens: list = []
    parser = lark_parser()
    for kind, option, body, _ in BLOCKS:
        if kind not in ("policy", "tests"):
            continue
        try:
            tree = parser.parse(body, start="tests_file" if kind == "tests" else "start")
        except Exception:  # an example of a syntax error: it shows no rule
            continue
        _walk(tree, rules, tokens)
    return rules, tokens


def grammar_rule_names() -> set:
    """Every name a parse tree can carry: rule names, and aliases (`-> name`);
    not `?rule` expansions that always inline, nor Lark's own helper rules."""
    names = set()
    for rule in lark_parser().rules:
        name = str(rule.alias or rule.origin.name)
        if name.startswith("_"):
            continue
        if rule.options.expand1 and not rule.alias and len(rule.expansion) == 1:
            continue
        names.add(name)
    return names


def test_every_grammar_rule_has_an_example() -> None:
    used, _ = _used()
    missing = grammar_rule_names() - used
    assert not missing, f"grammar rules with no example in docs/language-reference.md: {sorted(missing)}"


def test_every_terminal_operator_and_unit_has_an_example() -> None:
    _, tokens = _used()
    kinds = {t.type for t in tokens}
    declared = set(re.findall(r"^([A-Z][A-Z0-9_]*)(?:\.\d+)?\s*:", grammar_text(), re.M)) - {"WS", "COMMENT"}
    assert not declared - kinds, f"terminals with no example: {sorted(declared - kinds)}"
    operators = {str(t) for t in tokens if t.type == "COMPARE"}
    assert operators == {"=", "!=", "<", "<=", ">", ">="}
    units = {str(t) for t in tokens if t.type == "UNIT"}
    assert units == {"hour", "hours", "day", "days", "week", "weeks"}
    assert re.search(r"^```policy\n(?:.*\n)*?.*#", TEXT, re.M), "an example with a comment"


def test_grammar_rule_names_are_what_the_parser_produces() -> None:
    """The coverage test above is only as good as its list of names: check that a
    known policy yields names from that list and that the list is not trivially small."""
    names = grammar_rule_names()
    assert {"engagement_rule", "did", "did_open", "at_least", "in_", "expect_hit", "tests_file"} <= names
    rules: set = set()
    _walk(lark_parser().parse((ROOT / "policies" / "acme.policy").read_text(encoding="utf-8"), start="start"), rules, [])
    assert rules <= names | {"start"} and len(rules) > 40


def test_reserved_words_listed_are_the_checkers() -> None:
    section = TEXT[TEXT.index("### 2.4 Reserved words"): TEXT.index("### 2.5")]
    listed = set(re.search(r"`(activities [^`]*)`", section, re.S).group(1).split())
    assert listed == set(RESERVED)


def test_every_diagnostic_code_in_the_reference_exists() -> None:
    documented = set(re.findall(r"^### `([a-z-]+)`", (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8"), re.M))
    named = set(re.findall(r"\(`([a-z]+(?:-[a-z]+)+)`", TEXT)) | {o["error"] for _, o, _, _ in BLOCKS if "error" in o}
    assert named and not named - documented, sorted(named - documented)


def test_docs_and_generated_files_cite_the_reference_in_the_repository() -> None:
    """Nothing a user reads points at a file outside the repository (or the wheel)."""
    import leadpolicy
    from leadpolicy.handoff.document import render

    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    readers = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
    readers["README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    readers["the compiled module"] = policy.python_source
    readers["the handoff document (Markdown)"] = render(policy.tree, policy.source, "acme.policy", "markdown")
    readers["the handoff document (HTML)"] = render(policy.tree, policy.source, "acme.policy", "html")
    citing = [name for name, text in readers.items() if "LANGUAGE.md" in text]
    assert not citing, f"these still cite LANGUAGE.md: {citing}"
    assert "docs/language-reference.md" in policy.python_source
    assert "language-reference.md" in readers["README.md"]


def test_section_numbers_cited_for_reading_and_deciding_are_the_references() -> None:
    """Docs and the generated SQL cite sections by docs/language-reference.md's numbers (the
    reading rules are section 16 there), not by another document's: "as section 8 reads it"
    sent a reader of docs/sql.md to the section on engagement."""
    import leadpolicy

    titles = {title.strip(): number for number, title in re.findall(r"^## (\d+)\. (.+)$", TEXT, re.M)}
    reading, deciding, decision = titles["Reading lead data"], titles["Deciding the stage"], titles["The decision"]
    policy = leadpolicy.load(ROOT / "policies" / "acme.policy")
    texts = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
    texts["the compiled SQL"] = policy.to_sql(dialect="duckdb")
    reading_citations = [
        r"sections? (\d+) (?:reads|does not read)",
        r"reads? it \((?:docs/language-reference\.md )?section (\d+)\)",
        r"\breading (?:the lead|the activities|lead data) \((?:docs/language-reference\.md )?section (\d+)\)",
    ]
    wrong = []
    for name, text in texts.items():
        for pattern in reading_citations:
            wrong += [f"{name}: {m.group(0)}" for m in re.finditer(pattern, text) if m.group(1) != reading]
    assert not wrong, f"the reading rules are section {reading}: {wrong}"
    sql = texts["the compiled SQL"]
    assert f"the decision (docs/language-reference.md sections {deciding} and {decision})" in sql
