"""Benchmark `leadpolicy report`: N leads with a year of activity (about 25 each)
and outcomes, through the Python engine in JOBS processes (default 2).

    python3 benchmarks/bench_report.py [N ...]      (default: 2000 10000)

For each size: seconds, CPU seconds (the report's process and its pool's, user and system: the
machine is shared, so compare these), leads per second, evaluations per lead, the projected
time for 100,000 leads (target: under 120 s) and the peak memory of a child
process that runs only the report (its pool workers not included) (flat in N: only counters and one float per
lead per measure are kept).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_LEADS, TARGET_SECONDS = 100_000, 120.0
JOBS = int(os.environ.get("JOBS", "2"))

CHILD = """
import json, resource, sys, time
import leadpolicy
from leadpolicy.tools.report.run import build
policy = leadpolicy.load(sys.argv[1])
def cpu():
    return sum(t for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for t in (resource.getrusage(who).ru_utime, resource.getrusage(who).ru_stime))
start, started = time.perf_counter(), cpu()
with open(sys.argv[2]) as stream:
    report = build([policy], stream, "2026-12-01", jobs=int(sys.argv[3]), name=sys.argv[2])
seconds, cpu_seconds = time.perf_counter() - start, cpu() - started
r = report["reports"][0]
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "leads": r["leads"], "evaluations": r["evaluations"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    import argparse

    from leadpolicy.tools.report.example_data import history

    parser = argparse.ArgumentParser(description="leadpolicy report on N generated leads (JOBS=1|2 in the "
                                                 "environment: the processes, default 2).")
    parser.add_argument("sizes", nargs="*", type=int, default=[2000, 10000], metavar="N",
                        help="how many leads (default: 2000 10000)")
    sizes = parser.parse_args().sizes
    print(f"load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores, {JOBS} processes")
    print(f"{'leads':>8} {'seconds':>8} {'CPU s':>8} {'leads/s':>8} {'evals/lead':>10} {'projected 100k s':>17} {'peak MB':>8}")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "leads.jsonl"
            with open(path, "w") as out:
                for lead in history(size, seed=11, activities=25):
                    out.write(json.dumps(lead) + "\n")
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "policies" / "acme.policy"), str(path), str(JOBS)],
                                  capture_output=True, text=True, env=env, check=True)
        result = json.loads(done.stdout)
        rate = result["leads"] / result["seconds"]
        projected = TARGET_LEADS / rate
        print(f"{size:>8} {result['seconds']:>8.1f} {result['cpu_seconds']:>8.1f} {rate:>8.0f} {result['evaluations'] / result['leads']:>10.1f} "
              f"{projected:>17.1f} {result['peak_mb']:>8.1f}  {'met' if projected < TARGET_SECONDS else 'MISSED'}")
    print(f"target: {TARGET_LEADS:,} leads in under {TARGET_SECONDS:.0f} s ({JOBS} processes); "
          f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
