"""The Pygments lexer (leadpolicy.syntax.highlight): token types on sample text,
every example lexed without an error token, the entry point declared, and
`pygmentize` highlighting a policy with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pygments = pytest.importorskip("pygments", reason="the lexer needs the `highlight` extra: pip install 'leadpolicy[highlight]'")

from pygments.token import Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String  # noqa: E402

from leadpolicy.syntax.highlight import PolicyLexer  # noqa: E402
from leadpolicy.syntax.keywords import keywords  # noqa: E402

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "policies").glob("*.policy")) + sorted((ROOT / "policies").glob("*.tests"))


def tokens(text: str) -> list[tuple]:
    return [(t, v) for t, v in PolicyLexer().get_tokens(text) if v.strip()]


def test_token_types_on_a_sample() -> None:
    text = (
        'policy "Acme \\"Cloud\\"" version "1"  # the header\n'
        "fields { seniority one of (ic, vp) budget number }\n"
        'stages { lead mql when did webinar where minutes >= 20.5 within 14 days and budget != 10_000 }\n'
        'fit { "Decision maker": +25 when seniority in (vp) and created < 2026-01-01 or is_customer = true }\n'
        "test \"t\" { as of 2026-11-22T10:30:00Z expect no hit \"x\" }\n"
    )
    got = tokens(text)
    assert got[0] == (Keyword.Declaration, "policy")
    assert (String.Escape, '\\"') in got
    assert (Comment.Single, "# the header") in got
    assert (Keyword.Type, "one of") in got and (Keyword.Type, "number") in got
    assert (Keyword, "did") in got and (Name.Class, "webinar") in got
    assert (Keyword, "where") in got and (Name, "minutes") in got
    assert (Number.Float, "20.5") in got and (Number.Integer, "10_000") in got
    assert (Keyword.Pseudo, "days") in got
    assert (Operator.Word, "and") in got and (Operator, "!=") in got and (Operator, ">=") in got
    assert (Name.Function, '"Decision maker"') in got
    assert (Literal.Date, "2026-01-01") in got and (Literal.Date, "2026-11-22T10:30:00Z") in got
    assert (Keyword.Constant, "true") in got
    assert (Keyword, "no") in got and (Keyword, "hit") in got  # `expect no hit`: no activity name


def test_a_word_glued_to_the_next_is_one_name_as_the_parser_reads_it() -> None:
    """decisions.md 68: `percall`, `whenok`, `every3` are names (the parser refuses them there)."""
    got = tokens('engagement { "c": +5 percall  decay 10% every3 days }\nstages { lead mql whenok }\n')
    assert (Name, "percall") in got and (Name, "whenok") in got and (Name, "every3") in got
    assert (Keyword, "per") not in got and (Keyword, "when") not in got


def test_percent_test_names_and_activities_that_start_like_a_word() -> None:
    got = tokens('engagement { "n": +5 per notification  "o": +1 per order_placed within 30days\n decay 50% every 30 days }\ntest "T" { }\n')
    assert (Number.Integer, "50") in got and (Keyword.Pseudo, "%") in got  # the unit of the number, as `days` is
    assert (Name.Class, "notification") in got and (Name.Class, "order_placed") in got  # not `not` and `or`
    assert (Keyword.Pseudo, "days") in got and (Number.Integer, "30") in got  # `30days`, as the parser reads it
    assert (Name.Function, '"T"') in got  # a test's name, as a rule's


def test_every_keyword_is_highlighted_as_a_keyword() -> None:
    for word in sorted(keywords()):
        ((kind, value),) = tokens(word) if word != "one" else tokens("one of")[:1]
        assert value in (word, "one of"), (word, value)
        assert kind in Keyword or kind in Operator.Word, (word, kind)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_lexes_without_an_error_and_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    lexed = list(PolicyLexer().get_tokens(text))
    assert not [v for t, v in lexed if t in Error]
    assert "".join(v for _, v in lexed) == (text if text.endswith("\n") else text + "\n")


def test_an_unclosed_string_ends_at_the_line() -> None:
    got = tokens('stages { lead "oops\n mql when budget > 1 }\n')
    assert (Keyword, "when") in got


def test_the_entry_point_and_names_are_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["pygments.lexers"]["leadpolicy"] == "leadpolicy.syntax.highlight:PolicyLexer"
    assert project["optional-dependencies"]["highlight"] == ["pygments"]
    assert {"policy", "leadpolicy"} <= set(PolicyLexer.aliases)
    assert {"*.policy", "*.tests"} <= set(PolicyLexer.filenames)


def test_pygmentize_highlights_a_policy_with_the_lexer(tmp_path: Path) -> None:
    command = shutil.which("pygmentize") or None
    args = [command] if command else [sys.executable, "-m", "pygments"]
    lexer = f"{ROOT / 'leadpolicy' / 'syntax' / 'highlight.py'}:PolicyLexer"
    result = subprocess.run(
        [*args, "-x", "-l", lexer, "-f", "html", str(ROOT / "policies" / "acme.policy")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert '<span class="kd">policy</span>' in result.stdout and '<span class="nc">form_submit</span>' in result.stdout


def test_the_lexer_is_found_by_name_when_installed() -> None:
    """After `pip install -e .` the entry point makes `pygmentize -l policy` work."""
    from importlib.metadata import entry_points

    if not any(e.name == "leadpolicy" for e in entry_points(group="pygments.lexers")):
        pytest.skip("leadpolicy's entry points are not installed in this environment (pip install -e . registers them)")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert get_lexer_by_name("policy").__class__.__name__ == "PolicyLexer"
    assert get_lexer_for_filename("acme.tests").__class__.__name__ == "PolicyLexer"


# ---------------------------------------------------------------- the same colours as VS Code

# What a character is, in both highlighters' words: Pygments token types (first match) ...
_PYGMENTS_CLASSES = [
    (Comment, "comment"), (String.Escape, "escape"), (String, "string"), (Literal.Date, "date"), (Number, "number"),
    (Keyword.Declaration, "declaration"), (Keyword.Type, "type"), (Keyword.Constant, "constant"), (Keyword.Pseudo, "unit"),
    (Keyword, "keyword"), (Operator.Word, "word-operator"), (Operator, "operator"), (Punctuation, "punctuation"),
    (Name.Function, "function"), (Name.Class, "activity"), (Name, "name"),
]  # fmt: skip
# ... and TextMate scope prefixes (the first one any of a token's scopes starts with).
_TEXTMATE_CLASSES = [
    ("comment", "comment"), ("constant.character.escape", "escape"), ("entity.name.function", "function"), ("string", "string"),
    ("constant.other.date", "date"), ("constant.numeric", "number"), ("constant.language", "constant"),
    ("entity.name.type.activity", "activity"), ("keyword.other.declaration", "declaration"), ("storage.type", "type"),
    ("keyword.operator.word", "word-operator"), ("keyword.other.unit", "unit"), ("keyword.control", "keyword"),
    ("keyword.operator", "operator"), ("punctuation", "punctuation"), ("entity.name.variable", "name"), ("variable", "name"),
]  # fmt: skip


def _pygments_classes(text: str) -> list[str]:
    classes = ["other"] * len(text)
    for start, kind, value in PolicyLexer().get_tokens_unprocessed(text):
        name = next((c for t, c in _PYGMENTS_CLASSES if kind in t), "other")
        classes[start : start + len(value)] = [name] * len(value)
    return classes[: len(text)]


def _textmate_classes(texts: list[str]) -> list[list[str]]:
    import json

    from support.vscode import VSCODE, node

    runner = ROOT / "tests" / "support" / "tm_tokens.js"
    grammar = VSCODE / "syntaxes" / "leadpolicy.tmLanguage.json"
    result = subprocess.run([node(), str(runner), str(grammar)], input=json.dumps(texts), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = []
    for text, tokens in zip(texts, json.loads(result.stdout)):
        classes = ["other"] * len(text)
        for start, end, scopes in tokens:
            name = next((c for prefix, c in _TEXTMATE_CLASSES if any(s.startswith(prefix) for s in scopes)), "other")
            classes[start:end] = [name] * (end - start)
        out.append(classes)
    return out


def _operators() -> list[str]:
    """Every symbol the grammar spells out (`->`, `%`, `<=`, braces ...), read from the grammar."""
    import re

    grammar = (ROOT / "grammar" / "leadpolicy.lark").read_text(encoding="utf-8")
    return sorted({m for m in re.findall(r'"([^"A-Za-z0-9\s\\]+)"', grammar)}, key=lambda s: (-len(s), s))


def stress_text() -> str:
    """A text with every symbol and every word of the language side by side with numbers, names,
    strings, dates and each other, and the slips writers make (`==`, `&&`, `30d`, an unclosed string)."""
    pieces = ["1", "x", '"s"', "2026-01-01", "2026-01-01T09:30:00Z", "10_000.5", "(", ")"]
    lines = [f"  a {op} b {op}1 1{op}x x{op}{op} {op}" for op in _operators()]
    lines += [f"  {before} {word} {before}{word} {word}{before}" for word in sorted(keywords()) for before in pieces[:3]]
    lines += [f"  {a}{b} {a} {b}" for a in pieces for b in pieces]
    lines += [
        'policy "Stress \\"all\\" \\\\ ops" version "1.0"  # a comment "quoted"',
        'fields { e one of (x, "y z")  f one  of  (p,q) g one',
        "   of (r) }",
        '  "R\\"2\\"":-5 per w max 5  "R3" : 2 per v within 1 hour  "a\\nb": +5 per v within 30days',
        "  decay 12.5% every 2 weeks  decay 50 % every 1 week",
        '  did activity within 1 day and did\n    w and no v where k = "tab\tin"',
        'test "T \\"one\\"" { expect no hit "R3" expect engagement >= -10 }',
        'test\n  "split" { }',
        'fit { "x"\n  : +1 when y }',
        "stages { lead mql when a == 1 && b != 'x' || !c ; a = 30d x10 = 10_000x and d = 2026-01-01x",
        '  z when a = "unclosed \\',
        '  z when a = "unclosed',
    ]
    return "\n".join(lines) + "\n"


def test_pygments_and_the_vscode_grammar_colour_every_character_alike() -> None:
    """The two highlighters are written apart (the Pygments lexer for documentation, the TextMate
    grammar for VS Code, GitHub, Shiki): on every example and on a text with every symbol and word
    of the language, each character must get the same kind of colour from both. `%` was an
    operator in one and part of the number in the other; a test's name a function in one only."""
    examples = [path.read_text(encoding="utf-8") for path in EXAMPLES]
    texts = [*examples, stress_text()]
    names = [p.name for p in EXAMPLES] + ["the stress text"]
    for name, text, textmate in zip(names, texts, _textmate_classes(texts)):
        pygments_classes = _pygments_classes(text)
        differ = [i for i, char in enumerate(text) if not char.isspace() and pygments_classes[i] != textmate[i]]
        report = []
        for i in differ[:10]:
            start, end = text.rfind("\n", 0, i) + 1, text.find("\n", i)
            report.append(f"{name}: {text[i]!r} is {pygments_classes[i]} in Pygments, {textmate[i]} in VS Code: {text[start:end]}")
        assert not differ, "\n".join(report)


def _fences() -> list[tuple[str, str, str]]:
    """Every fenced block of the documentation: (where, its info string's first word, its text)."""
    import re

    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^```(\S*)[^\n]*\n(.*?)^```\s*$", text, re.M | re.S):
            found.append((f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}", match.group(1), match.group(2)))
    return found


def test_every_fence_of_a_policy_or_its_tests_in_the_docs_names_the_lexer() -> None:
    """A Markdown renderer picks a fence's lexer by the first word of its info string (Python-Markdown,
    MkDocs, Sphinx's MyST). The language reference shows a `.tests` file in a ```` ```tests ```` fence,
    and no lexer had that name: the block was left plain. `tests` (and `policy-tests`) now name the
    lexer, which reads test blocks as it reads a `.tests` file."""
    from pygments.lexers import find_lexer_class_by_name

    kinds = {kind for _, kind, _ in _fences()}
    assert {"policy", "tests"} <= kinds
    for name in ("policy", "leadpolicy", "tests", "policy-tests"):
        assert name in PolicyLexer.aliases
        if _entry_point_installed():  # `pip install -e .`: Pygments finds it by that name
            assert find_lexer_class_by_name(name) is PolicyLexer
    for where, kind, body in _fences():
        if kind in ("policy", "tests"):
            lexed = list(PolicyLexer().get_tokens(body))
            assert not [v for t, v in lexed if t in Error], where
            assert any(t in Keyword for t, _ in lexed), where
    (tests_fence,) = [body for _, kind, body in _fences() if kind == "tests"]
    got = tokens(tests_fence)
    assert (Keyword.Declaration, "test") in got and (Name.Function, '"a free-mail lead with a budget is a C"') in got
    assert (Literal.Date, "2026-11-22") in got and (Keyword, "expect") in got


def _entry_point_installed() -> bool:
    from importlib.metadata import entry_points

    return any(e.name == "leadpolicy" for e in entry_points(group="pygments.lexers"))
