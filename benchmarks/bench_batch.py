"""`Policy.evaluate_many` against a loop of `Policy.evaluate` (issue 15, item 3).

    python benchmarks/bench_batch.py [--leads 2000] [--repeat 5] [--messy] [--cpu] [--rounds 1]

The same decoded leads (benchmarks/workload.py) and the same `as_of`, given as
the text a service would pass on (`"2026-11-22T00:00:00Z"`): a loop calling
`evaluate(fields, activities, as_of, stage, id)` per lead, `evaluate_many(leads,
as_of)` (Decision objects) and `evaluate_many(leads, as_of, as_dicts=True)`.
Best of N, interleaved, microseconds per lead, how much faster per lead than the
loop, against the target (at least 15%), and the load average before and after.
With `--rounds K`, K such measurements one after the other, each printed, then the
median gain of each against the target (the figure that survives a noisy machine).

`evaluate_many` runs the compiled module's batch entry, `_decide_many`: the body of
`_decide` in a loop over the leads, with memo tables the leads share (see
docs/performance.md, "Round two").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_handwritten  # noqa: E402

import leadpolicy  # noqa: E402

AS_OF = "2026-11-22T00:00:00Z"


def measure(leads_n: int = 2000, repeat: int = 5, messy: bool = False, clock=time.perf_counter) -> dict:
    policy = leadpolicy.load(HERE.parent / "policies" / "acme.policy")
    leads = bench_handwritten.load_leads(leads_n, 7, messy=messy)

    def loop():
        evaluate = policy.evaluate
        out = []
        for lead in leads:
            try:
                out.append(evaluate(lead["fields"], lead["activities"], AS_OF, lead.get("stage"), lead.get("id")))
            except leadpolicy.LeadDataError as error:
                out.append(error)
        return out

    runs = {
        "loop of evaluate": loop,
        "evaluate_many": lambda: list(policy.evaluate_many(leads, AS_OF)),
        "evaluate_many(as_dicts=True)": lambda: list(policy.evaluate_many(leads, AS_OF, as_dicts=True)),
    }
    wanted = [d.to_dict() if isinstance(d, leadpolicy.Decision) else str(d) for d in runs["loop of evaluate"]()]
    for name in ("evaluate_many", "evaluate_many(as_dicts=True)"):
        got = [d.to_dict() if isinstance(d, leadpolicy.Decision) else d if isinstance(d, dict) else str(d)
               for d in runs[name]()]
        assert got == wanted, name
    best = {name: float("inf") for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = clock()
            run()
            best[name] = min(best[name], clock() - start)
    return {name: seconds / len(leads) * 1e6 for name, seconds in best.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1, help="measure this many times; print the median gains")
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--cpu", action="store_true",
                    help="time the process's CPU time, not wall time (steadier on a busy machine)")
    args = ap.parse_args(argv)
    gains: dict[str, list[float]] = {}
    for _ in range(max(1, args.rounds)):
        before = os.getloadavg()[0]
        micros = measure(args.leads, args.repeat, args.messy, time.process_time if args.cpu else time.perf_counter)
        print(f"{args.leads:,} leads{' (messy)' if args.messy else ''}, best of {args.repeat}, interleaved, "
              f"{'CPU' if args.cpu else 'wall'} time; "
              f"load average {before:.2f} before, {os.getloadavg()[0]:.2f} after")
        loop = micros["loop of evaluate"]
        for name, value in micros.items():
            gain = 1 - value / loop
            verdict = "" if value == loop else f"; target >= 15%: {'met' if gain >= 0.15 else 'MISSED'}"
            print(f"{name:30} {value:8.2f} µs per lead  ({gain * 100:+.1f}% faster than the loop{verdict})")
            if value != loop:
                gains.setdefault(name, []).append(gain)
    if args.rounds > 1:
        print(f"median of {args.rounds} rounds:")
        for name, values in gains.items():
            median = statistics.median(values)
            print(f"{name:30} {median * 100:+.1f}% faster than the loop (rounds: "
                  f"{', '.join(f'{g * 100:.1f}%' for g in values)}); target >= 15%: "
                  f"{'met' if median >= 0.15 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
