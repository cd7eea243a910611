"""A deterministic, realistic history with outcomes for policies/acme.policy:
leads over a year with seasonality, won/lost tied to fit and engagement, noisy."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

START = datetime(2025, 12, 1, tzinfo=timezone.utc)
SENIORITY = ["ic", "manager", "director", "vp", "cxo"]
INDUSTRY = ["saas", "fintech", "healthcare", "retail", "other"]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def history(count: int = 3000, seed: int = 7, activities: int = 8) -> Iterator[dict[str, Any]]:
    """`count` leads created over a year (more in spring and autumn), each with about `activities` events."""
    rng = random.Random(seed)
    for i in range(count):
        day = rng.random() * 365
        while rng.random() > 0.6 + 0.4 * abs(((day / 365 * 2) % 1) - 0.5) * 2:  # seasonality
            day = rng.random() * 365
        created = START + timedelta(days=day, seconds=rng.randrange(86_400))
        seniority = rng.choices(SENIORITY, [40, 30, 15, 10, 5])[0]
        industry = rng.choice(INDUSTRY)
        fields = {"email": f"p{i}@{'gmail.com' if rng.random() < 0.1 else 'co.example'}", "seniority": seniority,
                  "company_size": rng.choice([10, 50, 200, 800, 5000]), "industry": industry,
                  "budget": rng.choice([None, 5000, 20000, 100000]), "timeline_days": rng.choice([30, 90, 180, 365]),
                  "sales_status": "open", "is_customer": rng.random() < 0.02}
        keen = rng.random()
        events = []
        moment = created
        for _ in range(max(1, int(rng.expovariate(1 / activities)))):
            moment += timedelta(hours=rng.expovariate(1 / (24 * 10 * (1.2 - keen))))
            kind = rng.choices(["page_view", "form_submit", "email_click", "webinar", "chat", "unsubscribe"],
                               [50, 10 + 10 * keen, 15, 5, 5, 2])[0]
            event: dict[str, Any] = {"type": kind, "at": _stamp(moment)}
            if kind == "page_view":
                event["path"] = rng.choice(["/blog/a", "/blog/b", "/pricing", "/docs"])
            elif kind == "form_submit":
                event["form"] = rng.choices(["ebook", "demo", "contact"], [6, 2 + 4 * keen, 2])[0]
            elif kind == "webinar":
                event["title"], event["minutes"] = "ROI", rng.choice([10, 30, 50])
            elif kind == "email_click":
                event["campaign"] = "nurture"
            events.append(event)
        fitness = (SENIORITY.index(seniority) / 4 + (industry in ("saas", "fintech")) + keen) / 3
        lead = {"id": f"H-{i:05d}", "created_at": _stamp(created), "fields": fields, "activities": events}
        closed = moment + timedelta(days=rng.randrange(5, 90))
        if rng.random() < 0.5:
            won = rng.random() < 0.1 + 0.6 * fitness
            lead["outcome"] = {"status": "won" if won else "lost", "closed_at": _stamp(closed),
                               "amount": round(rng.lognormvariate(9 + fitness, 0.5), 2) if won else None}
        else:
            lead["outcome"] = {"status": "open"}
        yield lead


def main(argv: "list[str] | None" = None) -> None:
    """`python3 -m leadpolicy.tools.report.example_data [COUNT] [--seed N]`: the history as JSON Lines."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python3 -m leadpolicy.tools.report.example_data",
                                     description="A year of leads with outcomes for policies/acme.policy, as JSON Lines.")
    parser.add_argument("count", nargs="?", type=int, default=3000, help="how many leads (default: 3000)")
    parser.add_argument("--seed", type=int, default=7, help="another seed gives another history (default: 7)")
    options = parser.parse_args(argv)  # a count that is not a number: a usage line and status 2, no traceback
    if options.count < 0:
        parser.error(f"argument count: {options.count} is below 0")
    for lead in history(options.count, seed=options.seed):
        sys.stdout.write(json.dumps(lead) + "\n")


if __name__ == "__main__":
    main()
