"""The VS Code extension as users get it: `editors/vscode/build.sh` packages a
.vsix (with the pinned `vsce` from package-lock.json) that holds the manifest,
the grammar, the language configuration, the snippets and the client with its
runtime dependency, and nothing of the development tree.

Needs node 20 and `npm ci --prefix editors/vscode` (CI runs it); skipped with a
message without node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from support.vscode import VSCODE, node


@pytest.fixture(scope="module")
def vsix(tmp_path_factory) -> zipfile.ZipFile:
    node()
    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell to run build.sh")
    out = tmp_path_factory.mktemp("vsix")
    result = subprocess.run(
        ["sh", str(VSCODE / "build.sh"), "--no-install", str(out)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    version = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))["version"]
    built = out / f"leadpolicy-{version}.vsix"
    assert built.exists(), result.stdout
    assert f"built {built}" in result.stdout
    return zipfile.ZipFile(built)


def test_the_package_holds_what_the_manifest_points_at(vsix: zipfile.ZipFile) -> None:
    names = set(vsix.namelist())
    manifest = json.loads(vsix.read("extension/package.json"))
    contributes = manifest["contributes"]
    wanted = {manifest["main"]}
    wanted |= {language["configuration"] for language in contributes["languages"]}
    wanted |= {grammar["path"] for grammar in contributes["grammars"]}
    wanted |= {snippet["path"] for snippet in contributes["snippets"]}
    for path in wanted:
        assert "extension/" + str(Path(path)) in names, path
    assert "extension.vsixmanifest" in names


def test_the_packaged_files_are_the_repositorys(vsix: zipfile.ZipFile) -> None:
    for path in ("syntaxes/leadpolicy.tmLanguage.json", "snippets/leadpolicy.json", "language-configuration.json", "extension.js"):
        assert vsix.read("extension/" + path) == (VSCODE / path).read_bytes(), path


def test_the_client_ships_with_its_runtime_dependency_and_no_dev_tools(vsix: zipfile.ZipFile) -> None:
    names = vsix.namelist()
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    for dev in ("@vscode/vsce", "vscode-tmgrammar-test", ".bin"):
        assert not [n for n in names if n.startswith(f"extension/node_modules/{dev}/")], dev
    assert not [n for n in names if n.startswith("extension/test/") or n.endswith(("build.sh", "make_grammar.py"))]


def test_build_without_the_packages_says_what_to_run(tmp_path: Path) -> None:
    node()
    copy = tmp_path / "vscode"
    shutil.copytree(VSCODE, copy, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    result = subprocess.run(["sh", str(copy / "build.sh"), "--no-install", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "npm ci --prefix editors/vscode" in result.stderr
