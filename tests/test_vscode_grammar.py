"""The VS Code extension (editors/vscode): its TextMate grammar gives the right
scopes to keywords, strings, numbers, comments and names on sample files
(vscode-tmgrammar-test, run with node), the generated files are up to date,
the snippets expand to policies that check, and the manifest holds together.

Needs node and `npm ci` in editors/vscode (CI runs it); without node the
grammar tests are skipped with a message saying so.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from support.vscode import GRAMMAR_RUNNER, VSCODE, node

from leadpolicy.check.checker import check
from leadpolicy.syntax.keywords import keywords
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).parent.parent
GRAMMAR = VSCODE / "syntaxes" / "leadpolicy.tmLanguage.json"


def run_grammar_tests(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [node(), str(GRAMMAR_RUNNER), "-g", str(GRAMMAR), *map(str, files)],
        cwd=VSCODE,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_grammar_gives_the_right_scopes_on_the_samples() -> None:
    result = run_grammar_tests(VSCODE / "test" / "scopes.policy", VSCODE / "test" / "scopes.tests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("run successfuly") == 2  # (sic: the tool's spelling)


def test_a_wrong_scope_fails_the_grammar_tests(tmp_path: Path) -> None:
    sample = tmp_path / "wrong.policy"
    sample.write_text('# SYNTAX TEST "source.leadpolicy" "a deliberate mistake"\nstages { lead }\n# <------ string.quoted.double.leadpolicy\n', encoding="utf-8")
    result = run_grammar_tests(sample)
    assert result.returncode != 0
    assert "missing required scopes: string.quoted.double.leadpolicy" in result.stdout


def test_every_example_policy_highlights_without_a_scope_error(tmp_path: Path) -> None:
    """The examples as syntax tests with no assertions: the grammar must tokenize them all."""
    files = []
    for path in sorted((ROOT / "policies").glob("*.policy")) + sorted((ROOT / "policies").glob("*.tests")):
        copy = tmp_path / path.name
        copy.write_text(f'# SYNTAX TEST "source.leadpolicy" "{path.name}"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
        files.append(copy)
    result = run_grammar_tests(*files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_files_are_up_to_date() -> None:
    check_grammar = subprocess.run(
        [sys.executable, str(VSCODE / "syntaxes" / "make_grammar.py"), "--check"], capture_output=True, text=True, timeout=60
    )
    assert check_grammar.returncode == 0, check_grammar.stdout + check_grammar.stderr
    spec = _load(VSCODE / "test" / "make_scope_tests.py")
    assert (VSCODE / "test" / "scopes.policy").read_text(encoding="utf-8") == spec.render(
        "keywords, strings, numbers, comments and names", spec.POLICY
    )
    assert (VSCODE / "test" / "scopes.tests").read_text(encoding="utf-8") == spec.render("a .tests file", spec.TESTS)


def _load(path: Path):
    import importlib.util

    module_spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def test_every_keyword_of_the_language_is_highlighted() -> None:
    grammar = GRAMMAR.read_text(encoding="utf-8")
    patterns = re.findall(r'"match": "(\(\?<!\[A-Za-z_\]\)\(\?:[^"]*)"', grammar)  # a list of words after make_grammar's WORD_START
    words = set()
    for pattern in patterns:
        words |= set(re.findall(r"[a-z]+", pattern.split("(?:", 1)[1]))
    assert keywords() <= words | {"one"}, sorted(keywords() - words)


# ---------------------------------------------------------------- snippets and manifest


def expand(body: list[str]) -> str:
    """A snippet with every placeholder at its default (choices: the first)."""
    text = "\n".join(body)
    values: dict[str, str] = {}

    def placeholder(m: re.Match) -> str:
        number, default = m.group(1), m.group(2)
        value = re.sub(r"(?<!\\)\$\{(\d+):([^{}]*)\}|(?<!\\)\$(\d+)", lambda inner: values.get(inner.group(3) or inner.group(1), ""), default)
        values[number] = value
        return value

    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"\$\{(\d+)\|([^|,]*)[^|]*\|\}", lambda m: values.setdefault(m.group(1), m.group(2)), text)
        text = re.sub(r"\$\{(\d+):((?:[^{}]|\$\d+)*)\}", placeholder, text)
    text = re.sub(r"(?<!\\)\$(\d+)", lambda m: values.get(m.group(1), ""), text)
    return text.replace("\\$", "$").replace("\\,", ",")


SNIPPETS = json.loads((VSCODE / "snippets" / "leadpolicy.json").read_text(encoding="utf-8"))


def test_the_new_policy_snippet_is_a_policy_that_checks_and_passes_its_test() -> None:
    text = expand(SNIPPETS["New policy"]["body"])
    result = check(parse(text, "new.policy"))
    assert not result.errors, [d.message for d in result.errors]
    import leadpolicy
    from leadpolicy.tools.testing import run_test

    policy = leadpolicy.loads(text, "new.policy")
    outcomes = [run_test(policy, test, "new.policy") for test in policy.tree.tests]
    assert outcomes and all(not o.failures and o.error is None for o in outcomes), outcomes


@pytest.mark.parametrize("name", sorted(k for k in SNIPPETS if k.endswith("block")))
def test_each_block_snippet_parses_in_a_policy(name: str) -> None:
    block = expand(SNIPPETS[name]["body"])
    base = expand(SNIPPETS["New policy"]["body"])
    kind = name.split()[0]
    # put the snippet's block in place of the policy's own block of that kind
    pattern = re.compile(r"^" + kind + r" (?:\"[^\"]*\" )?\{.*?^\}\n", re.S | re.M)
    text = pattern.sub(lambda m: block + "\n", base, count=1) if kind != "test" else base + "\n" + block + "\n"
    parse(text, "snippet.policy")


def test_the_manifest_points_at_real_files() -> None:
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "leadpolicy" and set(language["extensions"]) == {".policy", ".tests"}
    for grammar in manifest["contributes"]["grammars"]:
        assert (VSCODE / grammar["path"]).exists()
    assert (VSCODE / manifest["main"]).exists()
    assert (VSCODE / language["configuration"]).exists()
    assert manifest["contributes"]["configuration"]["properties"]["leadpolicy.server.args"]["default"] == ["lsp"]
    config = json.loads((VSCODE / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"]["lineComment"] == "#"
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in config["autoClosingPairs"]



def _markdown_scopes(*texts: str) -> list[list[tuple[str, list[str]]]]:
    """Each token of each Markdown text and its scopes, through the extension's injection grammar."""
    runner = ROOT / "tests" / "support" / "tm_markdown.js"
    result = subprocess.run([node(), str(runner)], input=json.dumps(texts), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [[(text[start:end], scopes) for start, end, scopes in tokens] for text, tokens in zip(texts, json.loads(result.stdout))]


def test_markdown_fences_of_a_policy_and_of_its_tests_are_highlighted() -> None:
    """VS Code highlights ```` ```policy ```` fences in Markdown through the extension's injection
    grammar; the language reference shows a `.tests` file in a ```` ```tests ```` fence, which it
    left plain. Every policy and tests fence of the docs is highlighted; other fences are not."""
    fences = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for match in re.finditer(r"^```(\S*)[^\n]*\n.*?^```[ \t]*$", path.read_text(encoding="utf-8"), re.M | re.S):
            fences.append((f"{path.name}: {match.group()[:60]}", match.group(1), match.group() + "\n"))
    assert {"policy", "tests"} <= {kind for _, kind, _ in fences}
    for (where, kind, _), tokens in zip(fences, _markdown_scopes(*(fence for _, _, fence in fences))):
        embedded = [token for token, scopes in tokens if "meta.embedded.block.leadpolicy" in scopes and token.strip()]
        assert bool(embedded) == (kind in ("policy", "tests")), where
    (tests,) = _markdown_scopes('```tests policy=policies/acme.policy\ntest "t" {\n  expect grade D\n}\n```\n')
    assert ("test", ["markup.fenced_code.block.markdown", "meta.embedded.block.leadpolicy", "keyword.other.declaration.leadpolicy"]) in tests
