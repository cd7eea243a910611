"""What each part of the DuckDB engine's output costs: the compiled query of the Acme policy over
relational Parquet tables, run whole and with one part replaced by a constant at a time
(docs/performance.md, "Session 19"). Not a target: an explanation of where the engine's time goes.

    python3 benchmarks/ablate_sql.py DIR [--rounds 2] [--memory-limit 1500MB]

DIR holds `leads.parquet` and `activities.parquet` in the relational shape (bench_sql.py --cache
writes them: DIR is its acme-N-seedS folder). Each variant runs `COPY (query) TO` a Parquet file
in this process, in turns (A, B, C ..., then again), and prints its wall and CPU seconds; read
the CPU seconds when other jobs share the machine. The variants' rows are wrong by design
(no errors, no hits ...): only their time means anything.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-22T00:00:00Z"
# a relational text column's kind (inputs._text): 'n' for NULL, else 's'
KIND = re.compile(r"""CASE WHEN "lp_[al]"\."[A-Za-z_]+" IS NULL THEN 'n' ELSE 's' END""")


def variants(query: str) -> dict[str, str]:
    import sqlglot
    from sqlglot import exp

    def edited(change: Callable[[exp.Expr], None]) -> str:
        tree = sqlglot.parse_one(query, read="duckdb")
        change(tree)
        return tree.sql("duckdb")

    def constant(names: dict[str, str]) -> Callable[[exp.Expr], None]:
        def change(tree: exp.Expr) -> None:
            for alias in list(tree.find_all(exp.Alias)):
                if alias.alias in names:
                    alias.set("this", sqlglot.parse_one(names[alias.alias], read="duckdb"))
        return change

    def no_risk(tree: exp.Expr) -> None:
        for cte in tree.find(exp.With).expressions:
            if cte.alias == "lp_risky":
                cte.this.set("where", exp.Where(this=exp.false()))

    null = "CAST(NULL AS TEXT)"
    return {
        "whole query": query,
        "no data errors": edited(constant({"lp_act_error": null, "lp_field_error": null, "lp_stage_error": null})),
        "no hits": edited(constant({"hits": "'[]'"})),
        "no exact-sum fallback": edited(no_risk),
        "kinds constant": KIND.sub("'s'", query),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-limit", default="1500MB")
    args = parser.parse_args()
    import duckdb

    import leadpolicy
    from leadpolicy.backends.sql.engines import duckdb_query

    con = duckdb.connect(config={"memory_limit": args.memory_limit})
    policy = leadpolicy.load(str(ROOT / "policies" / "acme.policy"))
    query = duckdb_query(policy, leads=str(args.dir / "leads.parquet"), activities=str(args.dir / "activities.parquet"),
                         con=con, with_row=True)
    runs = variants(query)
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, sql in runs.items():
                started, cpu = time.perf_counter(), time.process_time()
                con.execute(f"COPY ({sql}) TO '{Path(tmp) / 'out.parquet'}' (FORMAT parquet)", {"as_of": AS_OF})
                seconds[name].append((time.perf_counter() - started, time.process_time() - cpu))
    whole = min(cpu for _, cpu in seconds["whole query"])
    print(f"{'variant':<24} {'wall s':>14} {'CPU s':>14} {'CPU saved':>10}")
    for name, taken in seconds.items():
        best = min(cpu for _, cpu in taken)
        walls = ", ".join(f"{w:.2f}" for w, _ in taken)
        cpus = ", ".join(f"{c:.2f}" for _, c in taken)
        print(f"{name:<24} {walls:>14} {cpus:>14} {whole - best:>10.2f}")


if __name__ == "__main__":
    main()
