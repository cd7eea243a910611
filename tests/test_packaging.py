"""The wheel ships the grammar inside the package, and the installed package finds it there."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        pytest.fail("building the wheel failed:\n" + result.stdout + result.stderr)
    (path,) = out.glob("leadpolicy-*.whl")
    return path


def test_wheel_contains_grammar_templates_and_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert "leadpolicy/grammar/leadpolicy.lark" in names
    assert "leadpolicy/backends/python/module.py.j2" in names
    assert "leadpolicy = leadpolicy.cli:main" in scripts


def test_installed_package_loads_its_own_grammar(wheel: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import leadpolicy.syntax.parser as p;"
        "print(p.grammar_path());"
        "p.parse(open(sys.argv[2]).read())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path), str(ROOT / "policies" / "acme.policy")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(tmp_path))


def test_the_readme_quick_start_sets_up_its_own_virtual_environment() -> None:
    """The two commands must work where the system Python refuses `pip install`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv .*$", readme, re.M)
    assert len(commands) == 2, commands
    run_example, run_tests = commands
    assert ".venv/bin/pip install -e . &&" in run_example and ".venv/bin/leadpolicy eval policies/acme.policy" in run_example
    assert ".venv/bin/pip install -e '.[test]' &&" in run_tests and run_tests.endswith(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run_tests in ci, "CI must run the README's test command"
