"""Drive a report: read leads (JSON Lines), replay each, accumulate the metrics."""

from __future__ import annotations

import json
import subprocess
from typing import IO, Any, Callable, Iterable, Optional

from leadpolicy import LeadDataError
from leadpolicy.semantics.runtime import parse_instant
from leadpolicy.tools.report.metrics import Metrics
from leadpolicy.tools.report.outcomes import read_created, read_outcome
from leadpolicy.tools.report.replay import TimeModel, iso, replay


def read_leads(stream: IO[str], name: str) -> Iterable[Any]:
    """JSON Lines, one lead per line; a line that is not JSON is yielded as a LeadDataError."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            yield LeadDataError(f"{name}:{number}:{error.colno}: not valid JSON: {error.msg}", field="", value=None)


def build(policies: list, leads: Iterable[Any], as_of: str, outcomes: Optional[dict] = None,
          date_from: Optional[str] = None, date_to: Optional[str] = None,
          progress: Optional[Callable[[int], None]] = None) -> dict:
    """One report per policy over the same leads; returns the JSON-ready dict."""
    end = parse_instant(as_of, "as_of")
    low = parse_instant(date_from, "from") if date_from else None
    high = parse_instant(date_to, "to") + 86_400_000_000 - 1 if date_to else None
    models = [TimeModel.of(p.tree) for p in policies]
    metrics = [Metrics(p.tree) for p in policies]
    for index, lead in enumerate(leads):
        if progress is not None and index % 1000 == 0:
            progress(index)
        lead_id = lead.get("id") if isinstance(lead, dict) else None
        try:
            if isinstance(lead, LeadDataError):
                raise lead
            if not isinstance(lead, dict):
                raise LeadDataError("a lead must be a JSON object", field="", value=None)
            extra = (outcomes or {}).get(str(lead_id), {}) if outcomes is not None else {}
            outcome = read_outcome(extra.get("outcome", lead.get("outcome")), lead_id)
            created = read_created(extra.get("created_at", lead.get("created_at")), lead_id)
            results = [replay(p, m, lead.get("fields"), lead.get("activities"), created, end, lead_id)
                       for p, m in zip(policies, models)]
        except LeadDataError as error:
            for m in metrics:
                m.error(lead_id, error.to_dict())
            continue
        start = results[0].start
        if (low is not None and (start is None or start < low)) or (high is not None and (start is None or start > high)):
            for m in metrics:
                m.outside_window += 1
            continue
        for m, r in zip(metrics, results):
            m.add(lead_id, r, outcome)
    reports = []
    for p, m in zip(policies, metrics):
        reports.append({"policy": p.name, "version": p.version, "path": p.path, "stages": m.stages, **m.to_dict()})
    return {"as_of": iso(end), "from": date_from, "to": date_to,
            "time_resolution": "exact to the microsecond (every moment the decision can change is evaluated)",
            "reports": reports}


def read_revision(spec: str) -> tuple[str, str]:
    """`REV:PATH` -> (text, label) via `git show` (no shell). To be unified with tools/diff's reader."""
    rev, _, path = spec.partition(":")
    done = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError(f"cannot read {spec} from git: {done.stderr.strip()}")
    return done.stdout, spec
