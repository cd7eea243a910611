"""`Policy.evaluate_many` against a loop of `Policy.evaluate` (issue 15, item 3).

    python benchmarks/bench_batch.py [--leads 2000] [--repeat 5] [--messy]

The same decoded leads (benchmarks/workload.py) and the same `as_of`, given as
the text a service would pass on (`"2026-11-22T00:00:00Z"`): a loop calling
`evaluate(fields, activities, as_of, stage, id)` per lead, `evaluate_many(leads,
as_of)` (Decision objects) and `evaluate_many(leads, as_of, as_dicts=True)`.
Best of N, microseconds per lead, and how much faster per lead than the loop.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_handwritten  # noqa: E402

import leadpolicy  # noqa: E402

AS_OF = "2026-11-22T00:00:00Z"


def measure(leads_n: int = 2000, repeat: int = 5, messy: bool = False) -> dict:
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
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / len(leads) * 1e6 for name, seconds in best.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--messy", action="store_true")
    args = ap.parse_args(argv)
    micros = measure(args.leads, args.repeat, args.messy)
    loop = micros["loop of evaluate"]
    for name, value in micros.items():
        print(f"{name:30} {value:8.2f} µs per lead  ({(1 - value / loop) * 100:+.1f}% faster than the loop)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
