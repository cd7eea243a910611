"""The wheel ships the grammar inside the package, and the installed package finds it there."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from support.locks import one_at_a_time

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """pip builds in the source tree (its build/ and leadpolicy.egg-info/): when an xdist worker of
    each ran a test of this module, their two builds at once failed about one time in three, one
    removing what the other was packing. The lock in build/ makes the second wait for the first."""
    out = tmp_path_factory.mktemp("wheel")
    with one_at_a_time(ROOT / "build" / "leadpolicy-tests-wheel.lock"):
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


def test_the_build_lock_makes_a_second_process_wait(tmp_path: Path) -> None:
    """support.locks.one_at_a_time, which the wheel fixture builds under: a process that asks for the
    lock while another holds it gets it only after the holder has finished its work and let go."""
    lock, done = tmp_path / "sub" / "x.lock", tmp_path / "done"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from support.locks import one_at_a_time\n"
         "with one_at_a_time(Path(sys.argv[1])):\n"
         "    print('held', flush=True); sys.stdin.readline(); time.sleep(0.5); Path(sys.argv[2]).write_text('x')",
         str(lock), str(done)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT / "tests")
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        with one_at_a_time(lock):
            assert done.exists(), "the lock was taken while the other process held it"
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=60) == 0


def test_wheel_ships_every_module_of_the_source_tree(wheel: Path) -> None:
    """A sub-package missing from pyproject's package list works in a checkout and
    is absent from the wheel; every .py file of leadpolicy/ must be in it."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {path.relative_to(ROOT).as_posix() for path in (ROOT / "leadpolicy").rglob("*.py")
               if "__pycache__" not in path.parts}
    assert modules - names == set()


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


def test_wheel_ships_py_typed(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        assert "leadpolicy/py.typed" in archive.namelist()


def test_readme_quick_start_works_where_pip_is_externally_managed() -> None:
    """The README's set-up commands make their own virtual environment and run
    everything from it: no bare `pip install` that an externally managed system
    Python (Debian, Ubuntu) refuses. (Run verbatim in a fresh copy when this was
    written; here their shape is checked.)"""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"): readme.index("## A short tour")]
    commands = re.findall(r"^```sh\n(.*?)^```", quick, re.M | re.S)
    assert len(commands) == 2
    for command in commands:
        steps = [step.strip() for step in command.strip().split("&&")]
        assert steps[0] == "python3 -m venv .venv", command
        assert steps[1].startswith(".venv/bin/pip install -e "), command
        assert all(step.startswith(".venv/bin/") for step in steps[1:]), command
        assert "sudo" not in command and "--break-system-packages" not in command
    assert commands[0].strip().endswith(".venv/bin/leadpolicy eval policies/acme.policy policies/acme.lead.json --as-of 2026-11-22")
    assert commands[1].strip().endswith(".venv/bin/python -m pytest") and "'.[test]'" in commands[1]
    assert "python3-venv" in quick  # what a fresh Debian or Ubuntu needs for `python3 -m venv`


def test_ci_runs_the_readme_test_command() -> None:
    """CI must run the README's second command verbatim."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^python3 -m venv .*$", readme, re.M)
    assert len(commands) == 2, commands
    run_example, run_tests = commands
    assert ".venv/bin/pip install -e . &&" in run_example and ".venv/bin/leadpolicy eval policies/acme.policy" in run_example
    assert ".venv/bin/pip install -e '.[test]' &&" in run_tests and run_tests.endswith(".venv/bin/python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert run_tests in ci, "CI must run the README's test command"


@pytest.mark.parametrize("option", [["-n0"], ["-p", "no:xdist"]], ids=["-n0", "no-xdist"])
def test_the_test_command_runs_in_one_process_as_well(option: list) -> None:
    """pyproject.toml's addopts ask pytest-xdist for a worker per core; `-n0` runs the tests in
    pytest's own process, and so does a pytest without xdist (`-p no:xdist`, or a venv from before it
    was a test dependency), where tests/conftest.py takes xdist's options that pytest would refuse."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # this run's, if a worker's
    result = subprocess.run([sys.executable, "-m", "pytest", *option, "-p", "no:cacheprovider", "tests/test_nodes.py"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0 and " passed in " in result.stdout, result.stdout + result.stderr


def test_every_extra_the_docs_name_is_declared_with_what_its_command_needs() -> None:
    """README and docs/sql.md tell a data engineer which extra to install (`leadpolicy[duckdb]`,
    `'.[spark]'`): each is declared, and each engine's extra brings sqlglot and pyarrow, which its
    commands import (a bare `[duckdb]` venv runs `score --engine duckdb` and `compile --target sql`)."""
    import re
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    named = set()
    for page in ("README.md", "docs/sql.md"):
        named |= set(re.findall(r"(?:leadpolicy|\.)\[(\w+)\]", (ROOT / page).read_text(encoding="utf-8")))
    assert {"duckdb", "spark", "sql"} <= named and named <= set(extras), named - set(extras)
    for engine, package in (("duckdb", "duckdb"), ("spark", "pyspark")):
        wanted = {package, "sqlglot", "pyarrow"}
        assert wanted <= {re.split(r"[<>=\[ ]", requirement)[0] for requirement in extras[engine]}, extras[engine]
