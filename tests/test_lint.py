"""The code is lint-clean (ruff: pyflakes and import order, configured in
pyproject.toml), checked with the tests so CI and pre-commit agree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing() -> None:
    beside = Path(sys.executable).with_name("ruff")
    ruff = str(beside) if beside.is_file() else shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    result = subprocess.run([ruff, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in tests/support/ (issue 17 item 5): a test module that
    imports another runs that module's tests' collection side effects and hides the dependency."""
    import re

    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.match(r"\s*(?:from\s+(\w+)\s+import|import\s+(\w+))", line)
            if match and (match.group(1) or match.group(2)) in tests:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "move what is shared into tests/support/:\n" + "\n".join(found)


def test_no_test_leaves_the_working_directory_changed() -> None:
    """A test that moves the process with os.chdir leaves every later test in that process (an xdist
    worker runs tests of any module after it) in its temporary directory: monkeypatch.chdir moves back."""
    import re

    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bos\.chdir\(", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "use monkeypatch.chdir:\n" + "\n".join(found)
