"""Start-up: wall time of short commands, each a fresh process, best of N.

    python benchmarks/bench_startup.py [--repeat 15]

Prints milliseconds for `leadpolicy --version`, `--help` and
`check policies/acme.policy`, with and without a bytecode cache, and a bare
`python -c pass` for the floor this machine sets (interpreter and site start-up).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"--version": 120, "--help": 80, "check policies/acme.policy": 120}


def best_ms(command: list[str], env: dict, repeat: int) -> float:
    subprocess.run(command, capture_output=True, env=env, cwd=ROOT)  # warm the page cache and __pycache__
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, env=env, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    script = Path(sys.executable).with_name("leadpolicy")
    base = [str(script)] if script.is_file() else [sys.executable, "-m", "leadpolicy"]
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    uncached = dict(cached, PYTHONDONTWRITEBYTECODE="1")
    floor = best_ms([sys.executable, "-c", "pass"], cached, args.repeat)
    print(f"python -c pass (the floor)                      {floor:6.0f} ms")
    for words, target in TARGETS.items():
        with_cache = best_ms(base + words.split(), cached, args.repeat)
        without = best_ms(base + words.split(), uncached, args.repeat)
        verdict = "met" if with_cache < target else "MISSED"
        print(f"leadpolicy {words:<34} {with_cache:6.0f} ms   ({without:.0f} ms without a bytecode cache)   target < {target} ms: {verdict}")


if __name__ == "__main__":
    main()
