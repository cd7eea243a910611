"""Every code and policy sample in docs/ and README.md is executed or checked, so the
docs never rot. The fence's info string says how:

    ```policy                      a whole policy: parses and checks with no errors (and, in
                                   the guides a first policy is copied from, is in `leadpolicy
                                   fmt`'s layout, so that `fmt --check` passes on the copy)
    ```policy error=CODE           a whole policy that gives diagnostic CODE
    ```policy excerpt=PATH         an excerpt: its lines appear, in order, in PATH
    ```python                      executed (in a scratch copy of the repository's policies/)
    ```console                     `$ leadpolicy ...` lines are run; the lines after
                                   each are its exact output (stdout and stderr)
    ```sh                          `leadpolicy ...` lines are run and must exit 0
                                   (or the status written as `# exit N` after them)
    ```json                        parses as JSON
    ```json mapping                a mapping of docs/sql.md: one `--mapping FILE` takes
    ```yaml                        each `run: leadpolicy ...` step is run and must exit 0
    ```text / ``` (no info)        prose-like text, not checked
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.diagnostic_codes import codes_in_source

from leadpolicy.check.checker import check
from leadpolicy.cli import main
from leadpolicy.syntax.diagnostics import PolicyError
from leadpolicy.syntax.parser import parse
from leadpolicy.tools.fmt import format_source

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```\s*$", re.S | re.M)
CANONICAL = {"language-guide.md", "README.md"}  # pages whose whole policies are in fmt's layout


def samples():
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            info, body = match.group(1).strip(), match.group(2)
            line = text.count("\n", 0, match.start()) + 1
            kind = info.split()[0] if info else "text"
            if kind in ("policy", "python", "console", "sh", "json", "yaml"):
                yield pytest.param(path, info, body, id=f"{path.name}:{line}:{kind}")


SAMPLES = list(samples())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """A scratch copy of the repository's policies/ and docs/examples/, as the cwd, in a
    git repository of its own so that policies are named from its root as in a checkout."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")  # versions the guides compare
    (tmp_path / ".git").mkdir()  # the repository root marker the CLI looks for
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_cli(command: str):
    args = shlex.split(command)
    assert args[0] == "leadpolicy", command
    return CliRunner().invoke(main, args[1:], catch_exceptions=False)


@pytest.mark.parametrize("path, info, body", SAMPLES)
def test_sample(path: Path, info: str, body: str, workdir: Path) -> None:
    kind, *options = info.split()
    option = dict(o.split("=", 1) for o in options if "=" in o)
    if kind == "policy":
        check_policy_sample(body, option)
        if path.name in CANONICAL and not option:
            assert format_source(body) == body, "not in `leadpolicy fmt`'s layout: `fmt --check` fails on a copy of it"
    elif kind == "python":
        exec(compile(body, f"{path.name} sample", "exec"), {"__name__": "__docs__"})
    elif kind == "console":
        check_console_sample(body)
    elif kind == "sh":
        for raw in body.splitlines():
            line, _, comment = raw.partition("#")
            line = line.strip()
            if not line.startswith("leadpolicy "):
                continue
            wanted = int(re.search(r"exit (\d+)", comment).group(1)) if "exit" in comment else 0
            result = run_cli(line)
            assert result.exit_code == wanted, f"{line}\n{result.output}"
    elif kind == "json":
        data = json.loads(body)
        if "mapping" in options:  # docs/sql.md's mappings: each one `score --mapping` takes
            from leadpolicy.backends.sql.inputs import Mapping

            Mapping.from_dict(data)
    elif kind == "yaml":
        steps = [line.split("run:", 1)[1].strip() for line in body.splitlines() if "run: leadpolicy " in line]
        assert steps, "a yaml sample without leadpolicy steps"
        for step in steps:
            result = run_cli(step)
            assert result.exit_code == 0, f"{step}\n{result.output}"


def check_policy_sample(body: str, option: dict) -> None:
    if "excerpt" in option:
        # compared with white space folded, so the formatter's columns do not matter
        source = " ".join((ROOT / option["excerpt"]).read_text(encoding="utf-8").split())
        position = 0
        for line in (" ".join(l.split()) for l in body.splitlines()):
            if not line or line == "...":
                continue
            found = source.find(line, position)
            assert found >= 0, f"excerpt line not found in {option['excerpt']} (in order): {line}"
            position = found + len(line)
        return
    try:
        diagnostics = check(parse(body, "sample.policy")).diagnostics
    except PolicyError as error:
        diagnostics = error.diagnostics
    codes = {d.code for d in diagnostics if d.is_error or "error" in option}
    if "error" in option:
        assert option["error"] in codes, [d.message for d in diagnostics]
    else:
        assert not [d for d in diagnostics if d.is_error], [d.message for d in diagnostics]


def check_console_sample(body: str) -> None:
    blocks = re.split(r"^\$ ", body, flags=re.M)
    for block in blocks[1:]:
        command, _, expected = block.partition("\n")
        result = run_cli(command.strip())
        assert result.output.rstrip() == expected.rstrip(), f"$ {command}\n--- got ---\n{result.output}"


def test_every_diagnostic_code_is_documented() -> None:
    reference = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `([a-z-]+)`", reference, re.M))
    missing = codes_in_source() - documented
    assert not missing, f"codes missing from docs/diagnostics.md: {sorted(missing)}"


def test_every_file_the_docs_name_exists() -> None:
    """`leadpolicy/reference.py` outlived its move to semantics/: a path in the docs is checked
    like a sample (from the repository's root, or from leadpolicy/ for a module's folder)."""
    rooted = re.compile(r"\b(?:docs|tests|leadpolicy|policies|benchmarks|editors|grammar)/[\w./-]+\.(?:py|md|policy|jsonl|lark|tests|sql|yaml)\b")
    in_package = re.compile(r"(?<![\w/])(?:backends|semantics|tools|cli|syntax|check|handoff)/[\w./-]+\.py\b")
    missing = [f"{path.name}: {name}" for path in DOCS for text in [path.read_text(encoding="utf-8")]
               for name in rooted.findall(text) if not (ROOT / name).exists()]
    missing += [f"{path.name}: {name}" for path in DOCS for text in [path.read_text(encoding="utf-8")]
                for name in in_package.findall(text) if not (ROOT / "leadpolicy" / name).exists()]
    assert not missing, missing
