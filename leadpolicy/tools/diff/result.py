"""The result of a diff: one object, the same content as `--format json`.

The JSON shape (documented in docs/diff.md):

    {"old": {"name", "version", "source", "sha256"}, "new": {...},
     "same_meaning": bool,
     "version_unchanged": bool,   the meaning changes but both versions say the same `version`
     "changes": [{"section", "kind", "name", "summary", "old", "new", "parts": [{"part", "old", "new"}]}],
     "leads": null, or
       {"source", "as_of", "total", "compared", "changed_stage", "stages": [every stage of either version, lowest first],
        "errors": {"old", "new", "both", "appeared", "disappeared", "examples": [...]},
        "transitions": [{"old": STAGE, "new": STAGE, "leads": N}, ...],     every non-zero pair, diagonal included
        "grades": [{"old": GRADE, "new": GRADE, "leads": N}, ...],
        "scores": {"engagement": {...}, "fit": {...}},
        "rules": [{"section", "rule", "old": N|null, "new": N|null}, ...],
        "examples": [{"old": STAGE, "new": STAGE, "leads": N, "examples": [...]}, ...]}}

Everything is ordered by the policies (stages lowest first, rules in file
order), never by hash or arrival, so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

from leadpolicy.syntax import nodes as n
from leadpolicy.tools.diff.replay import SCORES, Tally
from leadpolicy.tools.diff.semantic import Change

__all__ = ["DiffResult", "version_info", "summarize_leads"]


class DiffResult:
    """What `leadpolicy.diff` returns: attributes for the parts, `to_dict()` for the JSON."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any], changes: list[Change], leads: Optional[dict[str, Any]]) -> None:
        self.old = old
        self.new = new
        self.changes = changes
        self.leads = leads

    @property
    def same_meaning(self) -> bool:
        """True when no change in meaning was found (formatting, comments, tests only)."""
        return not self.changes

    @property
    def version_unchanged(self) -> bool:
        """True when the meaning changes but the `version` line does not: decisions made under the
        two agreements would name the same version."""
        return bool(self.changes) and self.old["version"] == self.new["version"]

    @property
    def changed_stage(self) -> int:
        return self.leads["changed_stage"] if self.leads else 0

    def changed_leads(self) -> int:
        """Leads whose outcome changed: a different stage, or a data error in one version only."""
        if not self.leads:
            return 0
        errors = self.leads["errors"]
        return int(self.leads["changed_stage"] + errors["appeared"] + errors["disappeared"])

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "same_meaning": self.same_meaning,
            "version_unchanged": self.version_unchanged,
            "changes": [c.to_dict() for c in self.changes],
            "leads": self.leads,
        }

    def to_json(self) -> str:
        from leadpolicy.syntax.diagnostics import json_shown

        # readable (ensure_ascii=False), but a lead id's C1 control or text-direction override, which
        # JSON would write as itself, is a \\u escape: the report goes to the terminal too
        return json_shown(json.dumps(self.to_dict(), indent=2, ensure_ascii=False)) + "\n"

    def __repr__(self) -> str:
        leads = f", {self.changed_stage} of {self.leads['total']} leads change stage" if self.leads else ""
        return f"<DiffResult {len(self.changes)} changes{leads}>"


def version_info(policy: Any, label: str) -> dict[str, Any]:
    return {"name": policy.name, "version": policy.version, "source": label,
            "sha256": hashlib.sha256(policy.source.encode("utf-8")).hexdigest()}


# ---------------------------------------------------------------- the replay, summarised


def _order(*names: Any) -> dict[str, Any]:
    """Rank of each name, first seen first."""
    rank: dict[str, Any] = {}
    for name in names:
        rank.setdefault(name, len(rank))
    return rank


def _sorted_pairs(counts: dict[tuple[Any, Any], int], rank: dict[Any, int]) -> list[dict[str, Any]]:
    last = len(rank)
    pairs = sorted(counts.items(), key=lambda item: (rank.get(item[0][0], last), rank.get(item[0][1], last),
                                                     str(item[0][0]), str(item[0][1])))
    return [{"old": old, "new": new, "leads": count} for (old, new), count in pairs if count]


def _cents(value: float) -> float:
    return round(value, 2) + 0.0


def _value_at(values: list[float], counts: list[int], k: int) -> float:
    """The k-th smallest value (from 0) of a histogram."""
    seen = 0
    for value, count in zip(values, counts):
        seen += count
        if k < seen:
            return value
    return values[-1]


def _quantile(values: list[Any], counts: list[Any], total: int, p: float) -> float:
    """The p-quantile of a histogram, linear between the closest ranks (numpy's default)."""
    position = p * (total - 1)
    low = int(position)
    fraction = position - low
    below = _value_at(values, counts, low)
    above = _value_at(values, counts, min(low + 1, total - 1)) if fraction else below
    return _cents(below + (above - below) * fraction)


def _score_stats(histogram: dict[float, int], largest: list[Any]) -> dict[str, Any]:
    total = sum(histogram.values())
    if not total:
        return {"changed": 0, "mean": None, "min": None, "q1": None, "median": None, "q3": None, "max": None, "largest": []}
    values = sorted(histogram)
    counts = [histogram[v] for v in values]
    mean = sum(v * c for v, c in zip(values, counts)) / total
    return {
        "changed": total - histogram.get(0.0, 0),
        "mean": _cents(mean),
        "min": values[0],
        "q1": _quantile(values, counts, total, 0.25),
        "median": _quantile(values, counts, total, 0.5),
        "q3": _quantile(values, counts, total, 0.75),
        "max": values[-1],
        # kept by size (-|delta| in cents, replay.record); shown with its sign: a fall is negative
        "largest": [{"id": lead_id, "line": line, "old": old, "new": new, "delta": -negative if new >= old else negative}
                    for negative, line, lead_id, old, new in sorted(largest)],
    }


def _brief(decision: dict[str, Any]) -> dict[str, Any]:
    return {key: decision[key] for key in ("stage", "change", "engagement", "fit", "grade", "reason")}


def _hit_points(decision: dict[str, Any]) -> dict[str, Any]:
    return {hit["rule"]: hit for hit in decision["hits"]}


def hit_differences(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The hits that differ between two decisions of one lead, in the old then new file order."""
    before, after = _hit_points(old), _hit_points(new)
    found = []
    for rule in dict.fromkeys([*before, *after]):
        a, b = before.get(rule), after.get(rule)
        points_a = a["points"] if a else None
        points_b = b["points"] if b else None
        if points_a != points_b:
            found.append({"section": (b or a or {})["section"], "rule": rule, "old": points_a, "new": points_b})
    return found


def _reason(decision: dict[str, Any]) -> str:
    reason = decision["reason"]
    kind = reason["kind"]
    if kind == "qualified":
        return f"qualifies for {decision['stage']}"
    if kind == "held":
        return f"held at {decision['stage']}"
    return f'{kind} by "{reason["rule"]}"'


def _why(old: dict[str, Any], new: dict[str, Any], differences: list[dict[str, Any]]) -> str:
    """Why one lead moved, in a line: what differs in its hits and scores, and each version's reason."""
    pieces = []
    if not differences and old["engagement"] == new["engagement"] and old["fit"] == new["fit"]:
        pieces.append(f"same hits and scores (engagement {old['engagement']:.2f}, fit {old['fit']:.2f})")
    else:
        for hit in differences:
            was = f"{hit['old']:+.2f}" if hit["old"] is not None else "no hit"
            now = f"{hit['new']:+.2f}" if hit["new"] is not None else "no hit"
            pieces.append(f'"{hit["rule"]}" {was} → {now}')
        for score in SCORES:
            if old[score] != new[score]:
                pieces.append(f"{score} {old[score]:.2f} → {new[score]:.2f}")
    pieces.append(f"old: {_reason(old)}; new: {_reason(new)}")
    return "; ".join(pieces)


def _example(entry: tuple[Any, ...]) -> dict[str, Any]:
    _, line, lead_id, old, new = entry
    differences = hit_differences(old, new)
    return {"id": lead_id, "line": line, "old": _brief(old), "new": _brief(new), "hits": differences,
            "why": _why(old, new, differences)}


def _rules(tally: Tally, old_tree: n.Policy, new_tree: n.Policy) -> list[dict[str, Any]]:
    def named(tree: n.Policy) -> list[tuple[str, str]]:
        return ([("engagement", r.name) for r in tree.engagement_rules] + [("fit", r.name) for r in tree.fit_rules]
                + [("demote", r.name) for r in tree.demotions] + [("disqualify", r.name) for r in tree.disqualifications])

    old_rules, new_rules = named(old_tree), named(new_tree)
    in_old = {name for _, name in old_rules}
    in_new = {name: section for section, name in new_rules}
    rows = []
    for section, name in old_rules + [r for r in new_rules if r[1] not in in_old]:
        rows.append({
            "section": in_new.get(name, section),
            "rule": name,
            "old": tally.rules_old.get(name, 0) if name in in_old else None,
            "new": tally.rules_new.get(name, 0) if name in in_new else None,
        })
    return rows


def summarize_leads(tally: Tally, old_tree: n.Policy, new_tree: n.Policy, *, source: str, as_of: str) -> dict[str, Any]:
    """The `leads` part of the result."""
    stages = _order(*[s.name for s in old_tree.stages], *[s.name for s in new_tree.stages], n.DISQUALIFIED)
    grades = _order(*[g.letter for g in old_tree.grades], *[g.letter for g in new_tree.grades], None)
    appeared, disappeared = tally.appeared, tally.disappeared
    error_examples = (
        [{"kind": "appeared", "id": i, "line": line, "message": message, "other": _brief(d)}
         for _, line, i, message, d in appeared[1]]
        + [{"kind": "disappeared", "id": i, "line": line, "message": message, "other": _brief(d)}
           for _, line, i, message, d in disappeared[1]]
    )
    last = len(stages)
    cells = sorted(tally.examples.items(), key=lambda item: (stages.get(item[0][0], last), stages.get(item[0][1], last)))
    return {
        "source": source,
        "as_of": as_of,
        "total": tally.total,
        "compared": tally.compared,
        "changed_stage": tally.changed_stage,
        "stages": list(stages),
        "errors": {
            "old": tally.errors_both + disappeared[0],
            "new": tally.errors_both + appeared[0],
            "both": tally.errors_both,
            "appeared": appeared[0],
            "disappeared": disappeared[0],
            "examples": error_examples,
        },
        "transitions": _sorted_pairs(tally.transitions, stages),
        "grades": _sorted_pairs(tally.grades, grades),
        "scores": {score: _score_stats(tally.deltas[score], tally.largest[score]) for score in SCORES},
        "rules": _rules(tally, old_tree, new_tree),
        "examples": [{"old": old, "new": new, "leads": tally.transitions.get((old, new), 0),
                      "examples": [_example(entry) for entry in found]} for (old, new), found in cells],
    }
