"""`leadpolicy ...` command lines run one after another in one Python process of their own, for the
Spark engine's command-line tests.

Each `--engine spark` run in a fresh process started a JVM and compiled the query cold: about 20 s
for three leads, where the same run in a process that already ran one takes 5 s. The tests'
own process is no place for these runs: there `--engine spark` would use the tests' shared session
(tests/test_sql_spark.py), and after the awkward files (a 2.5 MB line, a 131 KB cell) a later
test's broadcast in that session timed out. Here every run still starts and stops its own Spark
(no session is active when a command begins, so the command starts one and stops it at its end,
as a user's run does); only the JVM and the Python process are shared. The command runs through
click's CliRunner: its exit status, its standard output and its standard error, plus the
traceback of any exception that escaped it, as a process of its own would have printed it.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

_SERVER = r"""
import json, os, pty, select, sys, threading, traceback
protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # anything written to the real standard output (a JVM) stays out of the protocol
from click.testing import CliRunner
from leadpolicy.cli import main
runner = CliRunner()


def on_a_terminal(args):
    # the command with standard error (fd 2, and sys.stderr on it) a pseudo-terminal: what reached it
    controller, terminal = pty.openpty()
    shown, done = [], threading.Event()

    def read():
        while True:
            ready = select.select([controller], [], [], 0.05)[0]
            if not ready:
                if done.is_set():
                    return
                continue
            try:
                block = os.read(controller, 65536)
            except OSError:
                return
            if not block:
                return
            shown.append(block)

    reader = threading.Thread(target=read)
    reader.start()
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(terminal, 2)
    os.close(terminal)
    try:
        main.main(args, prog_name="leadpolicy")
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        done.set()
    reader.join()
    os.close(controller)
    return code, b"".join(shown).decode("utf-8").replace("\r\n", "\n")


for line in sys.stdin:
    args = json.loads(line)
    if isinstance(args, dict):  # {"terminal": ARGS}
        code, shown = on_a_terminal(args["terminal"])
        protocol.write(json.dumps([code, "", shown]) + "\n")
        protocol.flush()
        continue
    result = runner.invoke(main, args, prog_name="leadpolicy", catch_exceptions=True)
    err = result.stderr
    if result.exc_info is not None and not issubclass(result.exc_info[0], SystemExit):
        err += "".join(traceback.format_exception(*result.exc_info))
    protocol.write(json.dumps([result.exit_code, result.stdout, err]) + "\n")
    protocol.flush()
"""

_process: Optional[subprocess.Popen] = None


def run(*args: str) -> tuple[int, str, str]:
    """`leadpolicy ARGS...` in the shared process: (exit status, standard output, standard error)."""
    return _ask(list(args))


def on_a_terminal(*args: str) -> tuple[int, str]:
    """`leadpolicy ARGS...` in the shared process with its standard error on a pseudo-terminal, as
    support/terminal.on_a_terminal runs one (shown="stderr") in a process of its own: (exit status,
    what reached the terminal, its `\r\n` as `\n`). Standard output goes where the process's
    standard error goes: give -o. A Spark run here after another one finds its JVM started (a
    first one's JVM would keep the terminal for its own standard error: run one with `run` first)."""
    code, _, shown = _ask({"terminal": list(args)})
    return code, shown


def _ask(request: object) -> tuple[int, str, str]:
    global _process
    if _process is None or _process.poll() is not None:
        _process = subprocess.Popen([sys.executable, "-c", _SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True, encoding="utf-8", cwd=str(ROOT),
                                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        atexit.register(close)
    assert _process.stdin is not None and _process.stdout is not None
    _process.stdin.write(json.dumps(request) + "\n")
    _process.stdin.flush()
    watchdog = threading.Timer(600, _process.kill)  # as subprocess.run(timeout=600) did
    watchdog.start()
    try:
        answer = _process.stdout.readline()
    finally:
        watchdog.cancel()
    if not answer:
        raise RuntimeError(f"the command-line process ended with {_process.wait()} before answering {request}")
    code, out, err = json.loads(answer)
    return code, out, err


def close() -> None:
    global _process
    if _process is not None and _process.poll() is None:
        assert _process.stdin is not None
        _process.stdin.close()
        try:
            _process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _process.kill()
    _process = None
