"""The VS Code extension's npm tools for the tests: node, and the packages that
`npm ci --prefix editors/vscode` installs (CI runs it; package-lock.json pins them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

VSCODE = Path(__file__).resolve().parent.parent.parent / "editors" / "vscode"
GRAMMAR_RUNNER = VSCODE / "node_modules" / "vscode-tmgrammar-test" / "dist" / "unit.js"
VSCE = VSCODE / "node_modules" / ".bin" / "vsce"


def node() -> str:
    """The node executable; skips the test (saying why) without node, fails without the npm packages."""
    found = shutil.which("node")
    if found is None:
        pytest.skip("node is not installed: the VS Code extension's tests need node 20 and `npm ci --prefix editors/vscode`")
    if not (GRAMMAR_RUNNER.exists() and VSCE.exists()):
        pytest.fail("the VS Code extension's npm packages are not installed: run `npm ci --prefix editors/vscode` (CI does)")
    return found
