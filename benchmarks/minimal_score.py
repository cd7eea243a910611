"""The least a batch scorer can do: the yardstick for `leadpolicy score`.

    python benchmarks/minimal_score.py POLICY INPUT.jsonl OUTPUT.jsonl [--as-of 2026-11-22T00:00:00Z]

One process, no error handling, no summary: decode each line with json.loads,
call the compiled module's evaluate, encode `{"id": ..., **decision}` with
json.dumps, write it. `leadpolicy score --jobs 1` writes the same bytes for an
input without blank lines or data errors.
"""

import json
import sys
from datetime import datetime, timezone

import leadpolicy


def main(argv):
    if len(argv) < 3 or "-h" in argv or "--help" in argv:
        sys.exit(__doc__)
    policy, source, target = argv[:3]
    as_of = argv[argv.index("--as-of") + 1] if "--as-of" in argv else "2026-11-22T00:00:00Z"
    as_of = datetime.fromisoformat(as_of.replace("Z", "+00:00")).astimezone(timezone.utc)
    evaluate = leadpolicy.load(policy).module.evaluate
    loads, dumps = json.loads, json.dumps
    with open(source, "rb") as lines, open(target, "w", encoding="utf-8", newline="\n") as out:
        write = out.write
        for line in lines:
            lead = loads(line)
            get = lead.get
            lead_id = get("id")
            decision = evaluate(get("fields"), get("activities"), as_of, get("stage"), lead_id)
            write(dumps({"id": lead_id, **decision}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
