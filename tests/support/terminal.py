"""Running the real command line with its standard output on a pseudo-terminal, as a person at a
terminal runs it: what isatty() answers there decides how some outputs are shown."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent.parent


def on_a_terminal(args: list[str], cwd: Optional[Path] = None, env: Optional[dict[str, str]] = None,
                  input: Optional[bytes] = None, shown: str = "stdout") -> tuple[str, str, int]:
    """`leadpolicy ARGS` with standard output on a pseudo-terminal and standard error in a file:
    (what reached the terminal, with the terminal's `\\r\\n` as `\\n`; standard error; exit status).
    `input`: standard input's bytes (else none, as from /dev/null). `shown`: the stream on the
    terminal, "stdout", "stderr" (then the file holds standard output) or "both" (the file is empty)."""
    import pty

    controller, terminal = pty.openpty()
    with tempfile.TemporaryFile() as errors:
        out_to, err_to = {"stdout": (terminal, errors), "stderr": (errors, terminal), "both": (terminal, terminal)}[shown]
        process = subprocess.Popen([sys.executable, "-m", "leadpolicy", *args], stdout=out_to, stderr=err_to, cwd=cwd,
                                   stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                                   env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})})
        os.close(terminal)
        if input is not None and process.stdin is not None:  # small: written whole before the output is read
            process.stdin.write(input)
            process.stdin.close()
        out = b""
        while True:
            try:
                block = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not block:
                break
            out += block
        status = process.wait(timeout=120)
        os.close(controller)
        errors.seek(0)
        said = errors.read()
    return out.decode("utf-8").replace("\r\n", "\n"), said.decode("utf-8"), status


def screen(shown: str) -> list[str]:
    """What a terminal shows of `shown`: `\\r` returns to the line's start, text overwrites it."""
    lines: list[str] = []
    line: list[str] = []
    column = 0
    for char in shown:
        if char == "\r":
            column = 0
        elif char == "\n":
            lines.append("".join(line).rstrip())
            line, column = [], 0
        else:
            line[column:column + 1] = [char]
            column += 1
    return lines + ["".join(line).rstrip()]


def progress_lines(shown: str, verb: str) -> list[str]:
    """The progress bar's lines drawn in `shown` (leadpolicy/tools/progress.py), each after a `\\r`;
    an AssertionError unless there is one at least, and each is the bar and its share
    (`  scoring [#####---------------]  25%  2,000 leads  8,500 leads/s `) or, where the run knows
    no total, the count alone (`  scoring  2,000 leads  8,500 leads/s `)."""
    import re

    drawn = [part for part in shown.split("\r") if part.startswith(f"  {verb} ")]
    assert drawn, f"no progress line `  {verb} ...` in {shown!r}"
    for line in drawn:
        assert re.fullmatch(rf"  {verb}(?: \[[#-]{{20}}\] +[0-9]+%)?  [0-9,]+ leads  [0-9,]+ leads/s ", line), line
    return drawn
