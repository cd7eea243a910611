"""The diff as Markdown for a pull-request comment: short, with the details collapsed.

A comment on GitHub holds at most 65,536 characters; this one stays far below
whatever the change: at most `MAX_CHANGES` changes and `MAX_RULES` rule rows are
listed (the rest are counted), examples are bounded by the replay, and the
example tables sit in `<details>` sections. Every piece of text from a policy
or a lead is escaped with the handoff document's `md_escape`.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from leadpolicy.handoff.document import md_code, md_escape
from leadpolicy.tools.diff.render_text import changed_rules, is_short, percent, signed, stage_columns, version_note
from leadpolicy.tools.diff.result import DiffResult
from leadpolicy.tools.diff.semantic import SECTIONS

__all__ = ["render_markdown", "MAX_CHANGES", "MAX_RULES"]

MAX_CHANGES = 40
MAX_RULES = 15
_MARK = {"added": "added", "removed": "removed", "changed": "changed", "renamed": "renamed", "reordered": "reordered"}


def _code(text: str) -> str:
    """A file name or id in a code span when it can be one, else escaped text."""
    return md_code(text)


def render_markdown(result: DiffResult) -> str:
    old, new = result.old, result.new
    title = md_escape(old["name"]) if old["name"] == new["name"] else f"{md_escape(old['name'])} → {md_escape(new['name'])}"
    lines = [f"### Policy diff: {title} {md_escape(old['version'])} → {md_escape(new['version'])}", "",
             f"{_code(old['source'])} → {_code(new['source'])}", ""]
    if result.version_unchanged:
        lines += [f"**Note**: the meaning changes but the version is still {md_escape(version_note(new['version']))}.", ""]
    lines += _changes(result)
    if result.leads is not None:
        lines.append("")
        lines += _leads(result.leads)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip("\n") + "\n"


def _changes(result: DiffResult) -> list[str]:
    if not result.changes:
        return ["**No change in meaning**: layout, comments, spelling or tests only; every lead gets the same decision."]
    count = len(result.changes)
    lines = [f"#### What the change means ({count} change{'s' if count != 1 else ''})", ""]
    shown = 0
    for key, title in SECTIONS:
        mine = [c for c in result.changes if c.section == key]
        if not mine or shown >= MAX_CHANGES:
            continue
        lines.append(f"**{title}**")
        lines.append("")
        for change in mine[: MAX_CHANGES - shown]:
            shown += 1
            if change.kind in ("changed", "reordered") and not is_short(change):
                lines.append(f"- {_MARK[change.kind]} {md_escape(change.subject)}:")
                for part in change.parts:
                    lines.append(f"  - {md_escape(part.part)}: ~~{md_escape(part.old or '(none)')}~~ → "
                                 f"{md_escape(part.new or '(none)')}")
            else:
                lines.append(f"- {md_escape(change.summary)}")
        lines.append("")
    if count > shown:
        lines.append(f"*… and {count - shown} more: run `leadpolicy diff` for the whole list.*")
        lines.append("")
    return lines


def _leads(leads: dict[str, Any]) -> list[str]:
    total, changed = leads["total"], leads["changed_stage"]
    errors = leads["errors"]
    lines = [f"#### What it does to {total:,} lead{'s' if total != 1 else ''}", "",
             f"**{changed:,} of {total:,} leads ({percent(changed, total)}) change stage** "
             f"({_code(leads['source'])}, as of {leads['as_of']}). "
             f"Data errors: {errors['appeared']:,} appear, {errors['disappeared']:,} disappear, "
             f"{errors['both']:,} in both versions.", ""]
    if leads["transitions"]:
        names = stage_columns(leads)
        counts = {(p["old"], p["new"]): p["leads"] for p in leads["transitions"]}
        lines.append("| old stage ↓ new stage → | " + " | ".join(md_escape(n) for n in names) + " |")
        lines.append("|---|" + "---:|" * len(names))
        for row in names:
            cells = []
            for col in names:
                value = counts.get((row, col), 0)
                cells.append(f"**{value:,}**" if value and row != col else f"{value:,}")
            lines.append(f"| {md_escape(row)} | " + " | ".join(cells) + " |")
        lines.append("")
    moved = [g for g in leads["grades"] if g["old"] != g["new"]]
    if moved:
        lines.append("Grades: " + ", ".join(f"{_grade(g['old'])} → {_grade(g['new'])}: {g['leads']:,}" for g in moved) + ".")
        lines.append("")
    scores = leads["scores"]
    if any(s["changed"] for s in scores.values()):
        lines.append("| score change | leads changed | mean | min | q1 | median | q3 | max |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, s in scores.items():
            lines.append(f"| {name} | {s['changed']:,} | " + " | ".join(signed(s[k]) for k in ("mean", "min", "q1", "median", "q3", "max")) + " |")
        lines.append("")
    lines += _rules(leads)
    lines += _examples(leads)
    return lines


def _grade(letter: Optional[str]) -> str:
    return md_escape(letter) if letter is not None else "none"


def _rules(leads: dict[str, Any]) -> list[str]:
    rows = changed_rules(leads)
    if not rows:
        return []
    compared = leads["compared"]
    lines = [f"<details><summary>Rules whose hit rate changes ({len(rows)})</summary>", "",
             "| rule | section | old | new |", "|---|---|---:|---:|"]
    for r in rows[:MAX_RULES]:
        lines.append(f"| {md_escape(r['rule'])} | {r['section']} | {_rate(r['old'], compared)} | {_rate(r['new'], compared)} |")
    if len(rows) > MAX_RULES:
        lines.append(f"| … and {len(rows) - MAX_RULES} more | | | |")
    return lines + ["", "</details>", ""]


def _rate(count: Optional[int], whole: int) -> str:
    return "—" if count is None else f"{count:,} ({percent(count, whole)})"


def _examples(leads: dict[str, Any]) -> list[str]:
    lines = []
    for cell in leads["examples"]:
        count = cell["leads"]
        lines += [f"<details><summary>{md_escape(cell['old'])} → {md_escape(cell['new'])}: "
                  f"{count:,} lead{'s' if count != 1 else ''}</summary>", "",
                  "| lead | old | new | why |", "|---|---|---|---|"]
        for example in cell["examples"]:
            lines.append(f"| {_lead(example)} | {_decision(example['old'])} | {_decision(example['new'])} | "
                         f"{md_escape(example['why'])} |")
        lines += ["", "</details>", ""]
    examples = leads["errors"]["examples"]
    if examples:
        lines += ["<details><summary>Data errors that appear or disappear</summary>", "",
                  "| lead | | message |", "|---|---|---|"]
        for example in examples:
            lines.append(f"| {_lead(example)} | {example['kind']} | {md_escape(example['message'])} |")
        lines += ["", "</details>", ""]
    return lines


def _lead(item: dict[str, Any]) -> str:
    lead_id = item["id"]
    shown = _code(lead_id) if isinstance(lead_id, str) else md_escape("lead" if lead_id is None else repr(lead_id))
    return f"{shown} (line {item['line']})"


def _decision(d: dict[str, Any]) -> str:
    grade = f", grade {md_escape(d['grade'])}" if d["grade"] is not None else ""
    return f"{md_escape(d['stage'])} ({d['change']}): engagement {d['engagement']:.2f}, fit {d['fit']:.2f}{grade}"
