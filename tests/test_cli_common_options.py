"""The common options and the front door of the command line (PRODUCT's "Command line"): `--as-of`
and `--previous-stage` where they apply, every path that is a pipe read as its stream, `test`'s
search of a working tree. Real files, real pipes, real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from leadpolicy.cli import main

ROOT = Path(__file__).parent.parent
ACME = str(ROOT / "policies" / "acme.policy")


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def cli(*args: str, cwd: Path | str = ROOT, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """The command in a subprocess, as a user's shell runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "leadpolicy", *args], cwd=cwd, input=stdin, capture_output=True,
                          env=env, timeout=120)


# ---------------------------------------------------------------- test --as-of

WINDOWED = '''policy "T" version "1"
activities {
  chat
}
stages {
  lead
  mql when engagement >= 10
}
engagement {
  "Chatted": +10 per chat within 30 days
}
test "a chat on 20 November makes an MQL" {
  activity chat at 2026-11-20T00:00:00Z
  expect stage mql
}
test "its own as of wins" {
  as of 2026-11-25
  activity chat at 2026-11-20T00:00:00Z
  expect stage mql
}
'''


def test_test_as_of_is_the_time_of_tests_that_state_none(tmp_path: Path) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(WINDOWED, encoding="utf-8")
    inside = cli("test", str(policy), "--as-of", "2026-11-22")
    assert inside.returncode == 0, inside.stdout.decode()
    assert b"2 tests: 2 passed, 0 failed" in inside.stdout
    # two months later the chat is out of its 30-day window; the pinned test keeps its own as of
    later = cli("test", str(policy), "--as-of", "2027-01-21T10:00:00Z", "--json")
    assert later.returncode == 1
    outcomes = {t["name"]: t["passed"] for t in json.loads(later.stdout)["files"][0]["tests"]}
    assert outcomes == {"a chat on 20 November makes an MQL": False, "its own as of wins": True}


def test_test_as_of_pins_coverage_too(tmp_path: Path) -> None:
    policy = tmp_path / "t.policy"
    policy.write_text(WINDOWED.replace('  as of 2026-11-25\n', ''), encoding="utf-8")
    result = run("test", str(policy), "--as-of", "2027-01-21", "--coverage")
    assert "never exercised" in result.stdout and "Chatted" in result.stdout


def test_test_as_of_that_is_no_date_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("test", ACME, "--as-of", "last tuesday")
    assert result.returncode == 2
    assert b"--as-of" in result.stderr and b"`last tuesday` is not an ISO 8601 date" in result.stderr
    assert b"Traceback" not in result.stderr
