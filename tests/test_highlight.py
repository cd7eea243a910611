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

from pygments.token import Comment, Error, Keyword, Literal, Name, Number, Operator, String  # noqa: E402

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
