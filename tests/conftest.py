"""Shared test fixtures.

Golden files: every test that pins generated text compares it through the
`golden` fixture. `LEADPOLICY_UPDATE_GOLDEN=1 python -m pytest ...` rewrites
the files instead (then review the diff like code); any other value, `0`
included, compares.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import settings
from support.postgres import postgres  # noqa: F401 (the PostgreSQL server fixture of the Postgres tests)

# No per-example time limit in the property tests: speed is measured in benchmarks/, and Hypothesis's
# 200 ms default fails an example on a busy machine (two xdist workers on two cores, a CI neighbour).
settings.register_profile("leadpolicy", deadline=None)
settings.load_profile("leadpolicy")

ROOT = Path(__file__).resolve().parent.parent
UPDATE_GOLDEN = os.environ.get("LEADPOLICY_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: str) -> None:
    """Compare `actual` with the golden file at `path`, or rewrite it when updating."""
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    if not path.exists():
        pytest.fail(f"no golden file {path.relative_to(ROOT)}: run with LEADPOLICY_UPDATE_GOLDEN=1 to create it, then review it")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path.relative_to(ROOT)} is stale: rerun with LEADPOLICY_UPDATE_GOLDEN=1 and review the diff"


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """pyproject.toml's addopts ask pytest-xdist for workers. Where xdist is not loaded (`-p no:xdist`,
    or not installed) pytest would refuse those options: take them here and ignore them."""
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist", "pytest-xdist is not loaded: the tests run in this process")
        group.addoption("--numprocesses", default=None, help="ignored without pytest-xdist")
        group.addoption("--dist", default="no", help="ignored without pytest-xdist")


@pytest.fixture
def golden() -> Callable[[Path, str], None]:
    """`golden(path, text)`: the text must equal the golden file (see module docstring)."""
    return check_golden
