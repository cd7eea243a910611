"""Golden tests: the exact rendered text of every diagnostic code.

Each `tests/golden/diagnostics/NAME.policy` is checked; the rendered
diagnostics must equal `NAME.txt`. LEADPOLICY_UPDATE_GOLDEN=1 rewrites them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.diagnostic_codes import codes_in_source

from leadpolicy.check.catalog import BY_CODE, CATALOG, render_reference
from leadpolicy.check.checker import check
from leadpolicy.syntax.diagnostics import PolicyError, render, render_json
from leadpolicy.syntax.parser import parse

GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
CASES = sorted(GOLDEN.glob("*.policy"))


def diagnose(path: Path):
    text = path.read_text(encoding="utf-8", errors="surrogatepass")  # bad-character.policy holds a lone surrogate
    entry = BY_CODE.get(code_of(path.stem))
    if entry is not None and entry.file_level:  # a problem with the file itself: read as `leadpolicy check` reads it
        return read_as_check(path), text
    try:
        diagnostics = check(parse(text, path.name)).diagnostics
    except PolicyError as error:
        diagnostics = error.diagnostics
    return diagnostics, text


def read_as_check(path: Path):
    """The diagnostics `leadpolicy check --format json NAME` lists, from the golden case's folder."""
    from contextlib import chdir

    from leadpolicy.cli.common import FileProblem, check_file

    with chdir(path.parent):
        try:
            return check_file(Path(path.name))[0]
        except FileProblem as problem:
            return [problem.diagnostic(path.name)]


def code_of(stem: str) -> str:
    """The code a golden case is named after: the longest catalog code its name is or starts
    with (`syntax-error-double-equals`, `type-mismatch-boolean`), else the name itself."""
    codes = [code for code in BY_CODE if stem == code or stem.startswith(code + "-")]
    return max(codes, key=len) if codes else stem


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_rendered_text_is_pinned(path: Path, golden) -> None:
    diagnostics, text = diagnose(path)
    golden(path.with_suffix(".txt"), render(diagnostics, text) + "\n")


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_raises_the_code_it_is_named_after(path: Path) -> None:
    diagnostics, _ = diagnose(path)
    code = code_of(path.stem)
    assert code in {d.code for d in diagnostics}
    for d in diagnostics:
        if BY_CODE[d.code].file_level:  # the file, not a place in it
            assert d.span is None and d.line is None and d.column is None
            continue
        assert d.span is not None and d.line >= 1 and d.column >= 1
        assert d.message == d.message.rstrip(".") and d.message[:1] == d.message[:1].lower()


def test_every_code_has_a_golden_case() -> None:
    covered = {code_of(p.stem) for p in CASES}
    missing = codes_in_source() - covered
    assert not missing, f"diagnostic codes without a golden case: {sorted(missing)}"


def test_every_code_in_the_source_is_in_the_catalog() -> None:
    missing = codes_in_source() - set(BY_CODE)
    assert not missing, f"diagnostic codes missing from leadpolicy/check/catalog.py: {sorted(missing)}"


def test_every_catalog_entry_is_used_and_has_its_golden_case() -> None:
    unused = set(BY_CODE) - codes_in_source()
    assert not unused, f"catalog entries no code reports: {sorted(unused)}"
    for entry in CATALOG:
        assert entry.severity in ("error", "warning")
        assert (GOLDEN / f"{entry.example}.policy").exists(), entry.code
        assert entry.title and entry.explanation and entry.fix


def test_the_diagnostics_reference_is_generated_from_the_catalog(golden) -> None:
    # stale: `python3 -m leadpolicy.check.catalog > docs/diagnostics.md` (or LEADPOLICY_UPDATE_GOLDEN=1)
    golden(Path(__file__).parent.parent / "docs" / "diagnostics.md", render_reference(GOLDEN))


def test_json_output_carries_code_severity_and_position() -> None:
    diagnostics, _ = diagnose(GOLDEN / "unknown-field.policy")
    data = json.loads(render_json(diagnostics))
    first = data[0]
    assert first["code"] == "unknown-field"
    assert first["severity"] == "error"
    assert (first["line"], first["column"]) == (13, 24)
    assert first["help"] == "did you mean `seniority`?"


def test_policy_error_survives_pickling_and_copying() -> None:
    """pickle (a process pool sending the error back) and copy.copy rebuilt PolicyError from its
    args, the one-line summary, and failed: "'str' object has no attribute 'is_error'"."""
    import copy
    import pickle

    import leadpolicy

    with pytest.raises(PolicyError) as raised:
        leadpolicy.loads('policy "P" version "1"\nstages { lead  mql when foo and bar }\n', "p.policy")
    for again in (pickle.loads(pickle.dumps(raised.value)), copy.copy(raised.value)):
        assert isinstance(again, PolicyError) and str(again) == str(raised.value)
        assert again.diagnostics == raised.value.diagnostics and again.source == raised.value.source
        assert again.render() == raised.value.render()


def test_the_line_shown_is_the_line_named() -> None:
    """A comment or a string may hold U+0085, U+2028 or a form feed, where `str.splitlines` ends a line
    and the parser does not: the line shown under an error was another one than it names (here the
    declaration of `email`, marked as the unknown field)."""
    import leadpolicy

    text = ('policy "p" version "1"\n# a comment\x85with\u2028odd\x0cbreaks\nfields { email text "a\u2029b" }\r\n'
            'stages {\n  lead\n  mql when emial = "x"\n}\n')
    with pytest.raises(PolicyError) as raised:
        leadpolicy.loads(text, "p.policy")
    shown = raised.value.render().splitlines()
    assert shown[1] == " --> p.policy:6:12" and shown[3] == '6 |   mql when emial = "x"', shown
