"""The SQL back end against its baselines (issue 11 targets), on N Acme-like leads.

    python3 benchmarks/bench_sql.py --leads 200000
    python3 benchmarks/bench_sql.py --leads 1000000 --memory-limit 1500MB --cache ~/.cache/leadpolicy-bench

(--cache DIR keeps the generated inputs there and reuses them: a million leads take
minutes to generate; --memory-limit goes to every DuckDB run, compiled and hand-written.)

Prints, each as seconds and leads/s, writing Parquet where the engine can:
  python --jobs 2     leadpolicy score --engine python --jobs 2 (JSON Lines in, JSON Lines out)
  duckdb jsonl        leadpolicy score --engine duckdb, JSON Lines in, Parquet out
  hand jsonl          benchmarks/handwritten_acme.sql over the same JSON Lines (read_json), Parquet out
  duckdb parquet      leadpolicy score --engine duckdb, relational Parquet tables in, Parquet out
  hand parquet        benchmarks/handwritten_acme.sql over the same Parquet tables, Parquet out
  duckdb typed        leadpolicy score --engine duckdb, the same tables with typed columns (typed_tables)
  hand typed          benchmarks/handwritten_acme_typed.sql over the typed tables
  hand jsonl full     benchmarks/handwritten_acme_full.sql (the second baseline: the engine's whole
  hand parquet full   output contract, hits, change, reason and data errors) over JSON Lines / Parquet
  hand typed full     benchmarks/handwritten_acme_typed_full.sql: the same over the typed tables
and the ratios the issue sets (compiled / hand-written, duckdb / python) marked
met or missed, the ratios to the second baseline (no target), whether the hand-written
queries' decisions equal the engine's (stage, engagement, fit, grade of every lead; every
column for the second baseline), the peak memory (max RSS) of each run, the compile-to-SQL time of
Acme and of the 1,000-rule generated policy against their targets, and the load
average (figures taken on a shared machine are noisy: say so).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

AS_OF = "2026-11-22T00:00:00Z"


def timed(args: list) -> tuple:
    """(seconds, peak RSS MB, exit status) of one run in a fresh child process: os.wait4
    gives that child's own resource usage (its max RSS covers the children it waited
    for, such as --jobs workers), not the sum over every run as RUSAGE_CHILDREN would."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, child.returncode


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def compile_ms(source: str, runs: int = 5) -> tuple:
    """(first, median of the next `runs`) milliseconds of Policy -> DuckDB SQL text."""
    import statistics

    import leadpolicy
    from leadpolicy.backends.sql.text import query_text

    loaded = leadpolicy.loads(source)
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        query_text(loaded, "duckdb")
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


def relational_tables(jsonl: Path, leads: Path, acts: Path) -> None:
    """The relational shape of the JSON Lines file, as two Parquet tables (the same rows as
    before, in an order the engines do not depend on: activities are ordered by `at`). Each
    line's id, stage, fields and activities are read once into a table first, and DuckDB stays
    within 2GB, spilling beyond: a read_ndjson_objects of the file in each COPY took 16GB and
    8 minutes at 200,000 leads on a busy machine (50,000: 54 s, 2.1GB now)."""
    import duckdb

    import leadpolicy

    tree = leadpolicy.load(ROOT / "policies" / "acme.policy").tree
    fields = ", ".join(f"json_extract_string(fields, '$.{d.name}') AS {d.name}" for d in tree.fields)
    props = ", ".join(dict.fromkeys(f"json_extract_string(a, '$.{p.name}') AS {p.name}" for d in tree.activities for p in d.props))
    con = duckdb.connect(config={"memory_limit": "8GB"})  # making the inputs is not measured
    con.execute(f"CREATE TABLE raw AS SELECT json_extract_string(j, '$.id') AS id, json_extract_string(j, '$.stage') AS stage,"
                f" json_extract(j, '$.fields') AS fields, json_extract(j, '$.activities') AS activities"
                f" FROM read_ndjson_objects('{jsonl}') AS t(j)")
    con.execute(f"COPY (SELECT id, stage, {fields} FROM raw) TO '{leads}' (FORMAT parquet)")
    # the activities in slices of leads, one Parquet file each, then one file: a single unnest of a
    # million leads' activities spilled tens of GB to disk
    parts = acts.with_suffix(".parts")
    parts.mkdir(exist_ok=True)
    total = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    step = 100_000
    for first in range(0, total, step):
        con.execute(f"COPY (SELECT id AS lead_id, json_extract_string(a, '$.type') AS type, json_extract_string(a, '$.at') AS at,"
                    f" {props} FROM (SELECT * FROM raw WHERE rowid >= {first} AND rowid < {first + step}),"
                    f" unnest(CAST(activities AS JSON[])) AS u(a)) TO '{parts}/{first // step:05d}.parquet' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM read_parquet('{parts}/*.parquet')) TO '{acts}' (FORMAT parquet)")
    for part in parts.iterdir():
        part.unlink()
    parts.rmdir()


HAND = """
import sys, duckdb, time
jsonl, leads, acts, out, mode = sys.argv[1:6]
con = duckdb.connect()
if len(sys.argv) > 7:
    con.execute("SET memory_limit = '" + sys.argv[7].replace("'", "") + "'")
query = open(sys.argv[6]).read()
if mode == "parquet":
    con.execute(f"CREATE VIEW leads AS SELECT * FROM read_parquet('{leads}')")
    con.execute(f"CREATE VIEW activities AS SELECT * FROM read_parquet('{acts}')")
else:  # the hand-written way from JSON Lines: read_json, unnest the activities
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_json('{jsonl}', format = 'newline_delimited', union_by_name = true,"
                " columns = {id: 'VARCHAR', stage: 'VARCHAR', fields: 'JSON', activities: 'JSON[]'})")
    con.execute("CREATE VIEW leads AS SELECT id, stage, fields->>'email' AS email, fields->>'seniority' AS seniority,"
                " fields->>'company_size' AS company_size, fields->>'industry' AS industry, fields->>'budget' AS budget,"
                " fields->>'timeline_days' AS timeline_days, fields->>'sales_status' AS sales_status,"
                " fields->>'is_customer' AS is_customer, fields->>'created' AS created FROM raw")
    con.execute("CREATE VIEW activities AS SELECT id AS lead_id, a->>'type' AS type, a->>'at' AS at, a->>'path' AS path,"
                " a->>'form' AS form, a->>'minutes' AS minutes FROM raw, unnest(activities) AS u(a)")
con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)", {"as_of": "2026-11-22T00:00:00Z"})
"""


def typed_tables(leads: Path, acts: Path, typed_leads: Path, typed_acts: Path) -> None:
    """The relational tables as a warehouse types them: the activities' `at` TIMESTAMPTZ and
    `minutes` DOUBLE, the leads' numbers DOUBLE, `is_customer` BOOLEAN, `created` TIMESTAMPTZ.
    (A cell whose text is no such value, `lots` or a blank, is NULL: a typed column holds no
    such text. The rows, and so the decisions, differ from the text tables' there; the engine
    and the typed hand-written query are compared on these.)"""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "8GB"})
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")

    def typed(column: str, to: str) -> str:
        return f'TRY_CAST(trim("{column}") AS {to}) AS "{column}"'

    con.execute(f"COPY (SELECT lead_id, type, {typed('at', 'TIMESTAMPTZ')}, path, form, campaign, title,"
                f" {typed('minutes', 'DOUBLE')} FROM read_parquet('{acts}')) TO '{typed_acts}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT id, stage, email, seniority, {typed('company_size', 'DOUBLE')}, industry, {typed('budget', 'DOUBLE')},"
                f" {typed('timeline_days', 'DOUBLE')}, sales_status, {typed('is_customer', 'BOOLEAN')},"
                f" {typed('created', 'TIMESTAMPTZ')} FROM read_parquet('{leads}')) TO '{typed_leads}' (FORMAT parquet)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--memory-limit", help="DuckDB's memory limit for every DuckDB run (default: the engine's own)")
    ap.add_argument("--cache", type=Path, help="keep the generated inputs in this directory and reuse them")
    ap.add_argument("--prepare", nargs=3, metavar=("JSONL", "LEADS", "ACTS"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.prepare:  # in a child: this process stays small (each run's max RSS starts from it)
        from workload import write_jsonl

        jsonl, leads, acts = (Path(p) for p in args.prepare)
        write_jsonl(str(jsonl), args.leads, seed=args.seed)
        relational_tables(jsonl, leads, acts)
        return 0

    policy = ROOT / "policies" / "acme.policy"
    cli = [sys.executable, "-m", "leadpolicy"]
    with tempfile.TemporaryDirectory(prefix="bench-sql-") as tmp:
        tmp = Path(tmp)
        inputs = tmp
        if args.cache:
            inputs = args.cache.expanduser() / f"acme-{args.leads}-seed{args.seed}"
            inputs.mkdir(parents=True, exist_ok=True)
        jsonl, leads, acts = inputs / "leads.jsonl", inputs / "leads.parquet", inputs / "activities.parquet"
        if not (args.cache and (inputs / "complete").exists()):
            started = time.perf_counter()
            # Linux carries a parent's peak RSS into a child it starts (at exec): the inputs are
            # made in a child of their own so that each run's figure is its own
            subprocess.run([sys.executable, __file__, "--leads", str(args.leads), "--seed", str(args.seed),
                            "--prepare", str(jsonl), str(leads), str(acts)], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
            (inputs / "complete").write_text("", encoding="utf-8")
            print(f"inputs made in {time.perf_counter() - started:.0f} s ({jsonl.stat().st_size / 1e6:,.0f} MB of JSON Lines)")
        typed_leads, typed_acts = inputs / "typed-leads.parquet", inputs / "typed-activities.parquet"
        if not (typed_leads.exists() and typed_acts.exists()):
            subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import bench_sql;"
                            " bench_sql.typed_tables(*map(bench_sql.Path, sys.argv[2:]))", str(HERE),
                            str(leads), str(acts), str(typed_leads), str(typed_acts)], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        limit = ["--memory-limit", args.memory_limit] if args.memory_limit else []
        hand_script = tmp / "hand.py"
        hand_script.write_text(HAND, encoding="utf-8")
        runs = {
            "python --jobs 2": [*cli, "score", str(policy), str(jsonl), "--as-of", AS_OF, "--jobs", "2", "-q", "-o", str(tmp / "p.jsonl")],
            "duckdb jsonl": [*cli, "score", str(policy), str(jsonl), "--as-of", AS_OF, "--engine", "duckdb", "-q",
                             "-o", str(tmp / "d1.parquet"), *limit],
            "hand jsonl": [sys.executable, str(hand_script), str(jsonl), str(leads), str(acts), str(tmp / "h1.parquet"), "jsonl",
                           str(HERE / "handwritten_acme.sql"), *limit[1:]],
            "duckdb parquet": [*cli, "score", str(policy), str(leads), "--activities", str(acts), "--as-of", AS_OF,
                               "--engine", "duckdb", "-q", "-o", str(tmp / "d2.parquet"), *limit],
            "hand parquet": [sys.executable, str(hand_script), str(jsonl), str(leads), str(acts), str(tmp / "h2.parquet"), "parquet",
                             str(HERE / "handwritten_acme.sql"), *limit[1:]],
            "duckdb typed": [*cli, "score", str(policy), str(typed_leads), "--activities", str(typed_acts), "--as-of", AS_OF,
                             "--engine", "duckdb", "-q", "-o", str(tmp / "d3.parquet"), *limit],
            "hand typed": [sys.executable, str(hand_script), str(jsonl), str(typed_leads), str(typed_acts), str(tmp / "h3.parquet"),
                           "parquet", str(HERE / "handwritten_acme_typed.sql"), *limit[1:]],
            "hand jsonl full": [sys.executable, str(hand_script), str(jsonl), str(leads), str(acts), str(tmp / "f1.parquet"),
                                "jsonl", str(HERE / "handwritten_acme_full.sql"), *limit[1:]],
            "hand parquet full": [sys.executable, str(hand_script), str(jsonl), str(leads), str(acts), str(tmp / "f2.parquet"),
                                  "parquet", str(HERE / "handwritten_acme_full.sql"), *limit[1:]],
            "hand typed full": [sys.executable, str(hand_script), str(jsonl), str(typed_leads), str(typed_acts),
                                str(tmp / "f3.parquet"), "parquet", str(HERE / "handwritten_acme_typed_full.sql"), *limit[1:]],
        }
        seconds = {}
        from leadpolicy.backends.sql.batch import score_memory_limit

        default_limit = f"default: {score_memory_limit()} for the engine, DuckDB's own for the hand-written query"
        print(f"{args.leads:,} Acme-like leads, {os.cpu_count()} cores, memory limit {args.memory_limit or default_limit},"
              f" load average {load()}")
        for name, command in runs.items():
            took, peak, status = timed(command)
            seconds[name] = took
            failed = "" if status == 0 else f"   FAILED (exit {status})"
            over = "" if peak < 2048 else "  (over the 2 GB target)"
            print(f"  {name:16} {took:8.2f} s  {args.leads / took:10,.0f} leads/s   peak RSS {peak:7,.0f} MB{over}{failed}"
                  f"   load {load()}")
        ratios = (
            ("compiled / hand-written, JSON Lines", seconds["duckdb jsonl"] / seconds["hand jsonl"], "<= 1.25", lambda r: r <= 1.25),
            ("compiled / hand-written, Parquet", seconds["duckdb parquet"] / seconds["hand parquet"], "<= 1.25", lambda r: r <= 1.25),
            ("compiled / hand-written, typed Parquet", seconds["duckdb typed"] / seconds["hand typed"], "(no target)", lambda r: True),
            ("compiled / full-contract hand-written, JSON Lines", seconds["duckdb jsonl"] / seconds["hand jsonl full"], "(no target)",
             lambda r: True),
            ("compiled / full-contract hand-written, Parquet", seconds["duckdb parquet"] / seconds["hand parquet full"],
             "(no target)", lambda r: True),
            ("compiled / full-contract hand-written, typed Parquet", seconds["duckdb typed"] / seconds["hand typed full"],
             "(no target)", lambda r: True),
            ("duckdb jsonl throughput / python --jobs 2", seconds["python --jobs 2"] / seconds["duckdb jsonl"], ">= 1.5",
             lambda r: r >= 1.5),
            ("duckdb parquet throughput / python --jobs 2", seconds["python --jobs 2"] / seconds["duckdb parquet"], ">= 10",
             lambda r: r >= 10),
            ("duckdb typed throughput / python --jobs 2", seconds["python --jobs 2"] / seconds["duckdb typed"], "(no target)",
             lambda r: True),
        )
        for label, ratio, target, ok in ratios:
            said = f"target {target}: {verdict(ok(ratio))}" if target.startswith(("<", ">")) else "no target: the issue sets none"
            print(f"  {label:52} {ratio:6.2f}x  ({said})")
        print(f"  peak memory target < 2,048 MB per run (see each run above); load average now {load()}")
        for ours, hand in (("d1", "h1"), ("d2", "h2"), ("d3", "h3")):
            print(f"  {same_decisions(tmp / f'{ours}.parquet', tmp / f'{hand}.parquet')}")
        for ours, hand in (("d1", "f1"), ("d2", "f2"), ("d3", "f3")):
            print(f"  {same_rows(tmp / f'{ours}.parquet', tmp / f'{hand}.parquet')}")
    from big_policy import make_policy

    # (compiled in this process, after the runs: its memory does not reach their figures)
    for name, source, target in (("Acme", policy.read_text(encoding="utf-8"), 100),
                                 ("1,000-rule policy", make_policy(1000), 2000)):
        first, median = compile_ms(source)
        print(f"  compile to SQL, {name}: {median:,.0f} ms median of 5 (first {first:,.0f} ms)"
              f"  (target < {target:,} ms: {verdict(median < target)})")
    print(f"  load average {load()}")
    return 0


def same_decisions(ours: Path, hand: Path) -> str:
    """How many of the hand-written query's decisions (stage, engagement, fit, grade) equal the
    engine's: a baseline that decides differently is not the same job (the first one skipped a
    disqualify rule, the sticky mql stage and `!=` on a missing value: 9% of stages differed)."""
    import duckdb

    if not (ours.exists() and hand.exists()):
        return f"decisions not compared: {ours.name if not ours.exists() else hand.name} was not written"
    con = duckdb.connect()
    total, errors, differ = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE o.error IS NOT NULL),"
        " count(*) FILTER (WHERE o.error IS NULL AND (o.stage IS DISTINCT FROM h.stage OR o.engagement IS DISTINCT FROM h.engagement"
        " OR o.fit IS DISTINCT FROM h.fit OR o.grade IS DISTINCT FROM h.grade))"
        " FROM read_parquet(?) AS o FULL JOIN read_parquet(?) AS h ON o.id = h.id", [str(ours), str(hand)]).fetchone()
    con.close()
    verdict = "equal" if differ == 0 else f"{differ:,} DIFFER"
    return (f"decisions of {hand.stem} against {ours.stem}: {verdict} ({total:,} leads,"
            f" {errors:,} data-error rows not compared)")


OUTPUT_COLUMNS = ("stage", "previous_stage", "change", "engagement", "fit", "grade", "reason_kind", "reason_rule")


def same_rows(ours: Path, hand: Path) -> str:
    """How many of the full-contract hand-written query's rows equal the engine's in every
    output column (hits and error compared as parsed JSON: the texts may space differently)."""
    import duckdb

    if not (ours.exists() and hand.exists()):
        return f"rows not compared: {ours.name if not ours.exists() else hand.name} was not written"
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM h.{c}" for c in OUTPUT_COLUMNS)
    differs += " OR json(o.hits) IS DISTINCT FROM json(h.hits) OR json(o.error) IS DISTINCT FROM json(h.error)"
    con = duckdb.connect()
    total, differ = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE o.id IS NULL OR h.id IS NULL OR {differs})"
        " FROM read_parquet(?) AS o FULL JOIN read_parquet(?) AS h ON o.id = h.id", [str(ours), str(hand)]).fetchone()
    con.close()
    verdict = "equal" if differ == 0 else f"{differ:,} DIFFER"
    return f"every column of {hand.stem} against {ours.stem}: {verdict} ({total:,} leads)"


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
