"""A deterministic workload of leads for the acme policy (docs/language-reference.md section 1).

Leads come in the JSON shape of docs/language-reference.md section 16 and look like a real CRM
export: fields absent, null or blank; enum values in mixed case with stray
spaces; numbers as strings; booleans spelled several ways; free-mail and
competitor addresses; a long tail of activity counts (most leads have a few,
some have hundreds; the mean is about 25); activities of undeclared types and
case variants of declared ones; a few stamped after ``as_of``; previous stages
in mixed case.  A configurable fraction of leads carries one data error.

Standard library only; the same arguments always give the same leads (the
error injection draws from its own random stream, so leads without an error
are identical whatever ``error_rate`` is).

    python benchmarks/workload.py 2000 -o leads.jsonl [--seed 7] [--as-of ...] [--error-rate 0.01] [--messy]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone

__all__ = ["generate_leads", "write_jsonl", "AS_OF"]

AS_OF = "2026-11-22T00:00:00Z"
HISTORY_DAYS = 200

# Lognormal activity counts: median about 9, mean about 25, capped.
_COUNT_MU = 2.3
_COUNT_SIGMA = 1.4
_COUNT_CAP = 2000
_NO_ACTIVITY = 0.06  # contacts imported from a list, never active

_FIRST = ["pat", "lee", "dana", "sam", "alex", "jo", "kim", "chris", "morgan", "taylor",
          "jordan", "casey", "robin", "avery", "riley", "jamie", "drew", "quinn"]
_LAST = ["ruiz", "park", "smith", "nguyen", "garcia", "khan", "muller", "rossi", "tanaka",
         "okafor", "silva", "cohen", "dubois", "novak"]
_COMPANY_DOMAINS = ["bigco.example", "northwind.example", "globex.example", "initech.example",
                    "umbrella.example", "hooli.example", "stark.example", "wayne.example",
                    "acmecorp.example", "contoso.example", "fabrikam.example", "tailspin.example"]
_DOMAINS = [  # (domain, weight)
    ("gmail.com", 15), ("yahoo.com", 6), ("rival.example", 2), ("outlook.com", 4),
    ("hotmail.com", 2), ("COMPANY", 71),
]

_SENIORITY = [("ic", 35), ("manager", 25), ("director", 18), ("vp", 12), ("cxo", 5)]
_INDUSTRY = [("saas", 30), ("fintech", 15), ("healthcare", 15), ("retail", 15), ("other", 25)]
_STATUS = [("open", 60), ("accepted", 15), ("rejected", 18), ("disqualified", 3)]
_STAGES = [("lead", 20), ("mql", 15), ("sql", 12), ("disqualified", 5)]
_SPECIAL_CASE = {"saas": "SaaS", "fintech": "FinTech", "vp": "VP", "cxo": "CXO",
                 "mql": "MQL", "sql": "SQL"}

_ACTIVITY_TYPES = [  # (type, weight, declared)
    ("page_view", 50, True), ("email_click", 18, True), ("email_open", 8, False),
    ("form_submit", 7, True), ("chat", 4, True), ("webinar", 3, True),
    ("sms_reply", 3, False), ("call_logged", 2, False), ("meeting_booked", 1, False),
    ("unsubscribe", 0.8, True),
]
_ACTIVITY_WEIGHTS = [(t, w) for t, w, _ in _ACTIVITY_TYPES]
_BLOG_SLUGS = ["pricing-models", "cloud-costs", "kubernetes-tips", "security-101", "case-study-globex",
               "release-notes", "finops", "migration-guide", "observability", "ai-ops"]
_PAGES = [  # (path or kind, weight)
    ("BLOG", 35), ("/pricing", 12), ("/Pricing", 1), ("DOCS", 15), ("/", 15), ("PRODUCT", 10),
    ("/careers", 3), ("/BLOG", 1), (" /blog/ ", 1), ("/about", 4), (None, 1), ("ABSENT", 2),
]
_FORMS = [("demo", 15), ("Demo", 2), ("ebook", 25), (" EBOOK ", 2), ("contact", 20),
          ("newsletter", 24), ("webinar_signup", 10), ("ABSENT", 2)]
_CAMPAIGNS = ["nov-newsletter", "black-friday", "q4-launch", "webinar-invite", "nurture-3",
              "product-update"]
_TITLES = ["ROI of cloud", "FinOps in practice", "Zero trust", "Scaling Postgres", "Q4 roadmap"]


def _pick(rng, weighted):
    total = 0.0
    for _, w in weighted:
        total += w
    x = rng.random() * total
    for item, w in weighted:
        x -= w
        if x < 0:
            return item
    return weighted[-1][0]


def _messy(rng, value):
    """An enum or stage value as a CRM export might write it."""
    r = rng.random()
    if r < 0.60:
        return value
    if r < 0.75:
        return _SPECIAL_CASE.get(value, value.capitalize())
    if r < 0.83:
        return value.upper()
    if r < 0.93:
        return f"  {_SPECIAL_CASE.get(value, value)} "
    return f"{value} "


def _number(rng, value, integral=True):
    """A number as a CRM export might write it: JSON number or numeric text."""
    r = rng.random()
    if r < 0.55:
        return value if integral else float(value)
    if r < 0.80:
        return str(value)
    if r < 0.88:
        return f" {value} "
    if r < 0.93:
        return float(value)
    if r < 0.97:
        return f"{value:.2f}"
    return f" {value / 1000:g}e3 "


def _boolean(rng, value):
    r = rng.random()
    if r < 0.45:
        return value
    if r < 0.60:
        return "yes" if value else "No"
    if r < 0.75:
        return 1 if value else 0
    if r < 0.85:
        return "TRUE" if value else " false "
    return "true" if value else "false"


def _maybe_missing(rng, present, value):
    """`value` with probability `present`; otherwise absent, null or blank."""
    if rng.random() < present:
        return value
    r = rng.random()
    if r < 0.60:
        return _ABSENT
    if r < 0.85:
        return None
    return rng.choice(["", "  ", " "])


_ABSENT = object()
_MESSY = False  # set by generate_leads(messy=True) while it runs


def _stamp_messy(t, rng):
    """A timestamp as another CRM export writes them (`--messy`): with and without a
    zone, offsets, fractions, a space for the `T`; a few padded or in lower case."""
    r = rng.random()
    if r < 0.30:
        text = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif r < 0.50:
        text = t.strftime("%Y-%m-%dT%H:%M:%S")  # no zone: UTC
    elif r < 0.65:
        text = t.isoformat()  # +00:00, microseconds where there are any
    elif r < 0.80:
        text = t.astimezone(timezone(timedelta(hours=rng.choice([2, -5, 1, 9, -8])))).isoformat(timespec="seconds")
    elif r < 0.90:
        text = t.strftime("%Y-%m-%d %H:%M:%S")
    elif r < 0.96:
        text = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    else:
        text = t.strftime("%Y-%m-%dt%H:%M:%Sz")
    if rng.random() < 0.03:
        text = f" {text} "
    return text


def _stamp(t, rng):
    """A timestamp as text; mostly `2026-11-20T09:00:00Z`, a few other ISO forms."""
    if _MESSY:
        return _stamp_messy(t, rng)
    r = rng.random()
    if r < 0.96:  # strftime("%Y-%m-%dT%H:%M:%SZ"), three times faster (years 1000-9999)
        return f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"
    if r < 0.98:
        hours = rng.choice([2, -5, 1, 9])
        local = t.astimezone(timezone(timedelta(hours=hours)))
        return local.isoformat()
    if r < 0.99:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%S")  # no zone: UTC


def _email(rng):
    first = rng.choice(_FIRST)
    r = rng.random()
    if r < 0.5:
        local = f"{first}.{rng.choice(_LAST)}"
    elif r < 0.8:
        local = first
    else:
        local = f"{first}{rng.randrange(1, 999)}"
    domain = _pick(rng, _DOMAINS)
    if domain == "COMPANY":
        domain = rng.choice(_COMPANY_DOMAINS) if rng.random() < 0.7 else f"co{rng.randrange(10000)}.example"
    email = f"{local}@{domain}"
    r = rng.random()
    if r < 0.08:
        email = email.capitalize()
    elif r < 0.12:
        email = f"{local.capitalize()}@{domain.upper()}"
    if rng.random() < 0.08:
        email = f" {email}  "
    return email


def _fields(rng, as_of):
    f = {}

    def put(name, value):
        if value is not _ABSENT:
            f[name] = value

    put("email", _maybe_missing(rng, 0.92, _email(rng)))
    put("seniority", _maybe_missing(rng, 0.85, _messy(rng, _pick(rng, _SENIORITY))))
    size = int(math.exp(rng.gauss(4.5, 1.6)))
    put("company_size", _maybe_missing(rng, 0.80, _number(rng, max(size, 1))))
    put("industry", _maybe_missing(rng, 0.80, _messy(rng, _pick(rng, _INDUSTRY))))
    budget = rng.choice([0, 2500, 5000, 7500, 10000, 12000, 15000, 25000, 50000, 100000, 250000])
    if rng.random() < 0.2:
        budget = rng.randrange(1000, 200000)
    put("budget", _maybe_missing(rng, 0.60, _number(rng, budget)))
    timeline = rng.choice([7, 14, 30, 45, 60, 90, 120, 180, 365])
    put("timeline_days", _maybe_missing(rng, 0.50, _number(rng, timeline)))
    put("sales_status", _maybe_missing(rng, 0.70, _messy(rng, _pick(rng, _STATUS))))
    put("is_customer", _maybe_missing(rng, 0.65, _boolean(rng, rng.random() < 0.04)))
    created = as_of - timedelta(days=rng.randrange(30, 900), seconds=rng.randrange(86400))
    created = created.strftime("%Y-%m-%d") if rng.random() < 0.5 else created.strftime("%Y-%m-%dT%H:%M:%SZ")
    put("created", _maybe_missing(rng, 0.75, created))
    # Columns the policy does not declare: ignored by evaluators.
    if rng.random() < 0.7:
        f["phone"] = f"+1-555-{rng.randrange(10000):04d}"
    if rng.random() < 0.5:
        f["utm_source"] = rng.choice(["google", "linkedin", "newsletter", "partner", ""])
    if rng.random() < 0.4:
        f["owner_id"] = rng.randrange(1, 60)
    return f


def _activity_count(rng):
    if rng.random() < _NO_ACTIVITY:
        return 0
    return min(int(rng.lognormvariate(_COUNT_MU, _COUNT_SIGMA)), _COUNT_CAP)


def _type_name(rng, name):
    r = rng.random()
    if r < 0.88:
        return name
    if r < 0.94:
        return "_".join(part.capitalize() for part in name.split("_"))  # Page_View
    if r < 0.97:
        return name.upper()
    return f" {name} "


def _activity(rng, as_of, recency):
    name = _pick(rng, _ACTIVITY_WEIGHTS)
    r = rng.random()
    if r < (0.05 if _MESSY else 0.02):
        t = as_of + timedelta(seconds=rng.randrange(1, 3 * 86400))  # after as_of
    else:
        days = int(HISTORY_DAYS * rng.random() ** recency)
        if rng.random() < 0.03:
            t = as_of - timedelta(days=days)  # exactly on a day boundary
        else:
            t = as_of - timedelta(days=days, seconds=rng.randrange(86400),
                                  microseconds=rng.randrange(1000) * 1000)
    act = {"type": _type_name(rng, name), "at": _stamp(t, rng)}
    if name == "page_view":
        page = _pick(rng, _PAGES)
        if page == "BLOG":
            act["path"] = f"/blog/{rng.choice(_BLOG_SLUGS)}"
        elif page == "DOCS":
            act["path"] = f"/docs/{rng.choice(['start', 'api', 'billing', 'sso'])}"
        elif page == "PRODUCT":
            act["path"] = f"/product/{rng.choice(['compute', 'storage', 'network'])}"
        elif page != "ABSENT":
            act["path"] = page
        if rng.random() < 0.3:
            act["referrer"] = rng.choice(["https://www.google.com/", "https://www.linkedin.com/", ""])
    elif name == "form_submit":
        form = _pick(rng, _FORMS)
        if form != "ABSENT":
            act["form"] = form
    elif name == "email_click":
        act["campaign"] = rng.choice(_CAMPAIGNS) if rng.random() < 0.9 else rng.randrange(20260000, 20269999)
    elif name == "webinar":
        act["title"] = rng.choice(_TITLES)
        if rng.random() < 0.95:
            minutes = rng.randrange(0, 91)
            act["minutes"] = minutes if rng.random() < 0.7 else str(minutes)
    elif name == "unsubscribe":
        if rng.random() < 0.5:
            act["reason"] = rng.choice(["too many emails", "not relevant", ""])
    elif name == "chat":
        if rng.random() < 0.5:
            act["messages"] = rng.randrange(1, 30)
    else:  # undeclared: anything at all
        if rng.random() < 0.5:
            act["body"] = rng.choice(["hi", "call me", None, 42, ["x"]])
    return act


def _previous_stage(rng):
    r = rng.random()
    if r < 0.40:
        return _ABSENT
    if r < 0.45:
        return None
    if r < 0.48:
        return rng.choice(["", " "])
    return _messy(rng, _pick(rng, _STAGES))


_ERRORS = ["budget", "seniority", "no_at", "company_size", "is_customer", "bad_at",
           "minutes", "stage", "created", "no_type"]


def _inject_error(rng, lead, as_of):
    """Give `lead` one data error, chosen by `rng` (the error stream)."""
    kind = rng.choice(_ERRORS)
    fields, acts = lead["fields"], lead["activities"]
    declared = [a for a in acts if a["type"].strip().lower() in
                ("page_view", "form_submit", "email_click", "webinar", "unsubscribe", "chat")]
    if kind == "budget":
        fields["budget"] = rng.choice(["lots", "TBD", "1,000", "$10k"])
    elif kind == "seniority":
        fields["seniority"] = rng.choice(["intern", "Head of", "C-level"])
    elif kind == "company_size":
        fields["company_size"] = rng.choice(["1,000", "n/a", "200+", True])
    elif kind == "is_customer":
        fields["is_customer"] = rng.choice(["maybe", "Y", 2])
    elif kind == "created":
        fields["created"] = rng.choice(["31/01/2025", "last year", "2025-13-01"])
    elif kind == "stage":
        lead["stage"] = rng.choice(["won", "Closed Won", "nurture"])
    elif kind == "no_type":
        acts.insert(rng.randrange(len(acts) + 1), {"at": _stamp(as_of - timedelta(days=3), rng)})
    elif kind == "minutes":
        acts.insert(rng.randrange(len(acts) + 1), {"type": "webinar", "title": "Q4 roadmap",
                                                     "minutes": rng.choice(["twenty", "45 min", "1,5"]),
                                                     "at": _stamp(as_of - timedelta(days=9), rng)})
    elif kind in ("no_at", "bad_at"):
        if declared:
            a = rng.choice(declared)
        else:
            a = {"type": "chat"}
            acts.append(a)
        if kind == "no_at":
            a.pop("at", None)
        else:
            a["at"] = rng.choice(["yesterday", "2026-02-30T10:00:00Z", "11/20/2026 09:00"])
    return kind


def _parse_as_of(as_of):
    if isinstance(as_of, datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)
    t = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def generate_leads(n: int, seed: int = 7, as_of: str = AS_OF, error_rate: float = 0.0,
                   *, label_errors: bool = False, messy: bool = False) -> list[dict]:
    """`n` leads in the docs/language-reference.md section 16 shape, deterministic in the arguments.

    About `error_rate` of them carry one data error.  With `label_errors`, such
    a lead also gets an `"error"` key naming the kind of error injected (not
    part of the section 8 shape; for harnesses that check error rows).  With
    `messy`, timestamps come in many spellings (`_stamp_messy`) and 5% of
    activities are after `as_of` (issue 15's second workload).
    """
    return list(iter_leads(n, seed, as_of, error_rate, label_errors=label_errors, messy=messy))


def iter_leads(n: int, seed: int = 7, as_of: str = AS_OF, error_rate: float = 0.0,
               *, label_errors: bool = False, messy: bool = False):
    """generate_leads one lead at a time (the same leads): a million leads are
    several GB as a list, a few KB as a stream."""
    global _MESSY
    _MESSY = messy
    try:
        yield from _generate(n, seed, as_of, error_rate, label_errors)
    finally:
        _MESSY = False


def _generate(n, seed, as_of, error_rate, label_errors):
    rng = random.Random(seed)
    err_rng = random.Random(f"leadpolicy-workload-errors-{seed}")
    t0 = _parse_as_of(as_of)
    for i in range(1, n + 1):
        fields = _fields(rng, t0)
        recency = rng.choice([1.0, 1.5, 2.5, 4.0])  # how recently this lead was busy
        acts = [_activity(rng, t0, recency) for _ in range(_activity_count(rng))]
        lead = {"id": f"L-{i:06d}", "fields": fields, "activities": acts}
        stage = _previous_stage(rng)
        if stage is not _ABSENT:
            lead["stage"] = stage
        if err_rng.random() < error_rate:
            kind = _inject_error(err_rng, lead, t0)
            if label_errors:
                lead["error"] = kind
        yield lead


def write_jsonl(path, n: int, seed: int = 7, as_of: str = AS_OF, error_rate: float = 0.0,
                messy: bool = False) -> None:
    """Write `n` generated leads as JSON Lines to `path` ("-" or None: stdout), streamed."""
    leads = iter_leads(n, seed=seed, as_of=as_of, error_rate=error_rate, messy=messy)
    if path is None or str(path) == "-":
        _write(sys.stdout, leads)
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            _write(out, leads)


def _write(out, leads):
    for lead in leads:
        out.write(json.dumps(lead, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


def stats(leads):
    counts = [len(lead["activities"]) for lead in leads]
    counts.sort()
    n = len(counts) or 1
    return {
        "leads": len(leads),
        "activities": sum(counts),
        "mean_activities": sum(counts) / n,
        "median_activities": counts[len(counts) // 2] if counts else 0,
        "p90_activities": counts[int(len(counts) * 0.9)] if counts else 0,
        "p99_activities": counts[int(len(counts) * 0.99)] if counts else 0,
        "max_activities": counts[-1] if counts else 0,
        "with_error": sum(1 for lead in leads if "error" in lead),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write N generated acme leads as JSON Lines.")
    ap.add_argument("n", type=int, help="number of leads")
    ap.add_argument("-o", "--output", default="-", help="output path (default: stdout)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default=AS_OF)
    ap.add_argument("--error-rate", type=float, default=0.0)
    ap.add_argument("--stats", action="store_true", help="print workload statistics to stderr")
    ap.add_argument("--messy", action="store_true",
                    help="timestamps in many spellings (with and without zone, padded), more activities after as_of")
    args = ap.parse_args(argv)
    if args.n < 0 or not 0.0 <= args.error_rate <= 1.0:
        ap.error("n must be >= 0 and --error-rate within [0, 1]")
    write_jsonl(args.output, args.n, seed=args.seed, as_of=args.as_of, error_rate=args.error_rate, messy=args.messy)
    if args.stats:
        s = stats(generate_leads(args.n, seed=args.seed, as_of=args.as_of, error_rate=args.error_rate,
                                 label_errors=True, messy=args.messy))
        print(json.dumps(s), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
