"""A generated policy with many rules, for compile-time and import-time benchmarks.

    python benchmarks/big_policy.py [RULES] [-o FILE]

`make_policy(rules=1000)` gives policy text with exactly `rules` rules: 30%
engagement rules (ten activity types with `where`, `within`, `max`, decay), 60%
fit rules in ten groups (comparisons, `in`, text tests, `and`/`or`, `at least
N of`), and the rest split between demotions and disqualifications; six stages
whose entry conditions use scores, grades and `did`. Deterministic: the same
number of rules always gives the same text. Standard library only.

`long_policy(kind, n)` (`--long KIND`) gives the long blocks and lists of issue 16.
"""

from __future__ import annotations

import argparse
import sys

N_NUMBERS, N_ENUMS, N_TEXTS, N_BOOLEANS, N_ACTIVITIES = 20, 10, 10, 5, 10
STAGES = ("lead", "warm", "mql", "hot", "sql", "opportunity")


def make_policy(rules: int = 1000) -> str:
    engagement = rules * 3 // 10
    fit = rules * 6 // 10
    demote = (rules - engagement - fit) // 2
    disqualify = rules - engagement - fit - demote
    out = [f'policy "Generated {rules} rules" version "1.0.0"', 'owner marketing "Benchmark"', ""]

    out.append("fields {")
    out += [f"  n{i}  number" for i in range(N_NUMBERS)]
    out += [f"  e{i}  one of (a, b, c, d, e)" for i in range(N_ENUMS)]
    out += [f"  t{i}  text" for i in range(N_TEXTS)]
    out += [f"  b{i}  boolean" for i in range(N_BOOLEANS)]
    out += ["  signed_up  date", "}", ""]

    out.append("activities {")
    out += [f"  act{i}  (kind text, amount number)" for i in range(N_ACTIVITIES)]
    out += ["}", ""]

    out.append("stages {")
    out.append(f'  {STAGES[0]}  "Known contact"')
    for k, name in enumerate(STAGES[1:], 1):
        condition = f"engagement >= {20 * k} and fit >= {15 * k}"
        if k >= 3:
            condition = f"{STAGES[k - 1]} and (did act{k} where kind = \"k{k}\" within {7 * k} days or grade in (A, B))"
        out.append(f'  {name}  "Stage {k}"  when {condition}')
    out += ["}", ""]

    out.append("engagement {")
    for i in range(engagement):
        act = i % N_ACTIVITIES
        parts = [f'  "E{i:04d}": {"+" if i % 9 else "-"}{1 + i % 25} per act{act}']
        if i % 3 == 0:
            parts.append(f'where kind = "k{i % 11}"')
        elif i % 3 == 1:
            parts.append(f'where amount >= {i % 50} and kind starts with "k{i % 4}"')
        if i % 4:
            parts.append(f"within {7 + i % 90} days")
        if i % 5 == 0:
            parts.append(f"max {40 + i % 60}")
        out.append(" ".join(parts))
    out += ["  decay 25% every 30 days", "}", ""]

    out.append("fit {")
    per_group = fit // 10
    written = 0
    for g in range(10):
        count = per_group if g < 9 else fit - per_group * 9
        out.append(f"  g{g} {{")
        for _ in range(count):
            i = written
            out.append(f'    "F{i:04d}": {"+" if i % 7 else "-"}{1 + i % 20} when {_fit_condition(i)}')
            written += 1
        out.append("  }")
    out += ["}", ""]

    out += ["grades {", "  A when fit >= 300", "  B when fit >= 150", "  C when fit >= 50", "  D otherwise", "}", ""]

    out.append("demote {")
    for i in range(demote):
        k = 1 + i % (len(STAGES) - 1)
        condition = (f"engagement < {10 + i % 40}" if i % 2 else f"no act{i % N_ACTIVITIES} within {10 + i % 30} days and n{i % N_NUMBERS} < {i}")
        out.append(f'  "D{i:04d}": {STAGES[k]} -> {STAGES[k - 1]} when {condition}')
    out += ["}", ""]

    out.append("disqualify {")
    for i in range(disqualify):
        if i % 3 == 0:
            condition = f't{i % N_TEXTS} ends with "@rival{i}.example"'
        elif i % 3 == 1:
            condition = f"b{i % N_BOOLEANS} and e{i % N_ENUMS} = e and n{i % N_NUMBERS} > {100000 + i}"
        else:
            condition = f'days since signed_up > {3000 + i} and t{i % N_TEXTS} contains "spam{i}"'
        out.append(f'  "Q{i:04d}": when {condition}')
    out += ["}", ""]
    return "\n".join(out)


def _fit_condition(i: int) -> str:
    n, e, t, b = f"n{i % N_NUMBERS}", f"e{i % N_ENUMS}", f"t{i % N_TEXTS}", f"b{i % N_BOOLEANS}"
    kind = i % 6
    if kind == 0:
        return f"{n} >= {i % 500}"
    if kind == 1:
        return f"{e} in (a, {'bcde'[i % 4]})"
    if kind == 2:
        return f'{t} starts with "x{i % 13}" or {t} ends with "@y{i % 17}.example"'
    if kind == 3:
        return f"{b} and {n} < {i % 300} and {e} >= c"
    if kind == 4:
        return f"at least 2 of ({n} > {i % 100}, {e} = b, {t} is present, not {b})"
    return f"({n} + n{(i + 1) % N_NUMBERS}) * 2 > {i % 700} and {t} contains \"z{i % 9}\""


LONG_KINDS = ("disqualify", "stages", "grades", "demote", "activities", "in_list", "text_chain")


def long_policy(kind: str, n: int) -> str:
    """A small policy with `n` items in one place (issue 16): `n` disqualify rules,
    stages, grade bands, demotion rules, or activity types each with its engagement
    rule; or one disqualify rule whose condition is an `in` list, or a chain of
    `ends with` tests joined by `or`, of `n` members."""
    head = ['policy "Long" version "1"', "fields {", "  email text", "  size number", "  tier one of (gold, silver)", "}"]
    acts = ["form_submit"]
    stages = ["lead", 'mql when size > 10']
    grades = ["A when size > 100", "B otherwise"]
    demote, disq, eng = [], [], ['"forms": +5 per form_submit']
    if kind == "disqualify":
        disq = [f'"Q{i}": when email ends with "@rival{i}.example"' for i in range(n)]
    elif kind == "stages":
        stages = ["s0"] + [f"s{i} when size > {i}" for i in range(1, n)]
    elif kind == "grades":
        grades = [f"G{i} when size > {n - i}" for i in range(n)] + ["Z otherwise"]
    elif kind == "demote":
        demote = [f'"D{i}": mql -> lead when size < {i}' for i in range(n)]
    elif kind == "activities":
        acts = [f"a{i}" for i in range(n)]
        eng = [f'"E{i}": +{1 + i % 7} per a{i}' for i in range(n)]
    elif kind == "in_list":
        items = ", ".join(f'"d{i}.example"' for i in range(n))
        disq = [f'"free": when email in ({items})']
    elif kind == "text_chain":
        disq = ['"free": when ' + " or ".join(f'email ends with "@d{i}.example"' for i in range(n))]
    out = head + ["activities {", *("  " + a for a in acts), "}", "stages {", *("  " + s for s in stages), "}",
                  "engagement {", *("  " + e for e in eng), "}", "grades {", *("  " + g for g in grades), "}"]
    if demote:
        out += ["demote {", *("  " + d for d in demote), "}"]
    if disq:
        out += ["disqualify {", *("  " + d for d in disq), "}"]
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Write a generated policy with RULES rules.")
    ap.add_argument("rules", type=int, nargs="?", default=1000)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--long", choices=LONG_KINDS, help="a long block or list of RULES items instead (issue 16)")
    args = ap.parse_args(argv)
    text = long_policy(args.long, args.rules) if args.long else make_policy(args.rules)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
