"""The terminal report of a diff: sections, aligned tables, colour only when asked.

Text from the policies and the leads (rule names, lead ids, error messages) is
untrusted: control characters, line separators and bidirectional controls are
shown escaped, so a hostile name cannot move the cursor, colour the terminal or
make a line read in another order than it is written. Colour is added after that, by line
kind, and only when `color` is true (the command asks for it on a terminal
without NO_COLOR).
"""

from __future__ import annotations

from typing import Any, Optional

from leadpolicy.syntax.diagnostics import shown_path, terminal_text
from leadpolicy.tools.diff.result import DiffResult
from leadpolicy.tools.diff.semantic import SECTIONS

__all__ = ["render_text", "clean", "percent", "signed", "stage_columns", "changed_rules", "is_short"]

_MARK = {"added": "+", "removed": "-", "changed": "~", "renamed": "~", "reordered": "~"}
_STYLE = {"+": "green", "-": "red", "~": "yellow", "!": "yellow", "#": None}


def clean(text: object) -> str:
    """Text with control characters escaped (`\\x1b`, `\\u202e`: `terminal_text`), newlines and tabs as spaces."""
    return terminal_text(str(text).replace("\n", " ").replace("\t", " "))


def percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "0.0%"


def signed(value: Optional[float]) -> str:
    if value is None:
        return "-"
    return f"{value:+.2f}" if value else "0.00"


def stage_columns(leads: dict[str, Any]) -> list[Any]:
    """The stages that appear in the transitions, lowest first (rows and columns alike)."""
    seen = {name for pair in leads["transitions"] for name in (pair["old"], pair["new"])}
    return [name for name in leads["stages"] if name in seen]


def is_short(change: Any) -> bool:
    """A change whose parts all fit on one line (`points +5 → +10`), so its summary says it all."""
    return all(len(p.old) <= 32 and len(p.new) <= 32 for p in change.parts)


def changed_rules(leads: dict[str, Any]) -> list[dict[str, Any]]:
    """Rules whose count of hits (or of decisions they name) differs, biggest change first, then file order."""
    rows = [r for r in leads["rules"] if r["old"] != r["new"]]
    return sorted(rows, key=lambda r: -abs((r["new"] or 0) - (r["old"] or 0)))


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out


class _Lines:
    def __init__(self) -> None:
        self.items: list[tuple[Optional[str], str]] = []

    def add(self, text: str = "", kind: Optional[str] = None) -> None:
        self.items.append((kind, clean(text) if text else ""))


def version_note(version: str) -> str:
    """What the reports say when the meaning changes and the version does not."""
    return f'"{version}": bump it, so each decision names the agreement that made it'


def render_text(result: DiffResult, color: bool = False) -> str:
    out = _Lines()
    old, new = result.old, result.new
    title = old["name"] if old["name"] == new["name"] else f"{old['name']} → {new['name']}"
    out.add(f"{title}: {old['version']} → {new['version']}", "#")
    out.add(f"  old  {shown_path(old['source'])}")  # a file name on its line, its newline as \\n
    out.add(f"  new  {shown_path(new['source'])}")
    if result.version_unchanged:
        out.add(f"  note: the meaning changes but the version is still {version_note(new['version'])}")
    out.add()
    _changes(result, out)
    if result.leads is not None:
        out.add()
        _leads(result.leads, out)
    return _paint(out.items, color)


def _changes(result: DiffResult, out: _Lines) -> None:
    if not result.changes:
        out.add("What the change means: no change in meaning", "#")
        out.add("  (layout, comments, spelling or tests only: every lead gets the same decision)")
        return
    count = len(result.changes)
    out.add(f"What the change means ({count} change{'s' if count != 1 else ''})", "#")
    for key, title in SECTIONS:
        mine = [c for c in result.changes if c.section == key]
        if not mine:
            continue
        out.add(f"  {title}")
        for change in mine:
            mark = _MARK[change.kind]
            if change.kind in ("changed", "reordered") and not is_short(change):
                out.add(f"    {mark} {change.subject}", mark)
                for part in change.parts:
                    out.add(f"        {part.part}")
                    out.add(f"          was  {part.old or '(none)'}")
                    out.add(f"          now  {part.new or '(none)'}")
            else:
                out.add(f"    {mark} {change.summary}", mark)


def _leads(leads: dict[str, Any], out: _Lines) -> None:
    total = leads["total"]
    out.add(f"What it does to {total:,} lead{'s' if total != 1 else ''} ({shown_path(leads['source'])}, as of {leads['as_of']})", "#")
    changed = leads["changed_stage"]
    out.add(f"  {changed:,} of {total:,} leads ({percent(changed, total)}) change stage", "!" if changed else None)
    errors = leads["errors"]
    out.add(f"  data errors: {errors['appeared']:,} appear, {errors['disappeared']:,} disappear, "
            f"{errors['both']:,} in both versions", "!" if errors["appeared"] or errors["disappeared"] else None)
    for example in errors["examples"]:
        verb = "new version cannot read it" if example["kind"] == "appeared" else "old version could not read it"
        out.add(f"    {_lead_name(example)}: {verb}: {example['message']}")
    if not leads["transitions"]:
        return
    out.add()
    out.add("  Stage transitions (rows: old stage, columns: new stage)")
    names = stage_columns(leads)
    counts = {(p["old"], p["new"]): p["leads"] for p in leads["transitions"]}
    rows = [[""] + [str(n) for n in names]]
    for row in names:
        rows.append([str(row)] + [f"{counts.get((row, col), 0):,}" for col in names])
    for i, line in enumerate(_table(rows, set(range(1, len(names) + 1)))):
        moved = i > 0 and any(counts.get((names[i - 1], col), 0) for col in names if col != names[i - 1])
        out.add("    " + line, "!" if moved else None)
    _grades(leads, out)
    _scores(leads, out)
    _rules(leads, out)
    _examples(leads, out)


def _grades(leads: dict[str, Any], out: _Lines) -> None:
    moved = [g for g in leads["grades"] if g["old"] != g["new"]]
    out.add()
    if not moved:
        out.add("  Grades: no lead changes grade")
        return
    count = sum(g["leads"] for g in moved)
    out.add(f"  Grades: {count:,} lead{'s' if count != 1 else ''} change grade")
    rows = [[_grade(g["old"]), "→", _grade(g["new"]), f"{g['leads']:,}"] for g in moved]
    for line in _table(rows, {3}):
        out.add("    " + line)


def _grade(letter: Optional[str]) -> str:
    return letter if letter is not None else "(none)"


def _scores(leads: dict[str, Any], out: _Lines) -> None:
    out.add()
    scores = leads["scores"]
    if not any(s["changed"] for s in scores.values()):
        out.add("  Scores: no lead's engagement or fit changes")
        return
    out.add("  Score changes (new - old, over the leads both versions decide)")
    rows = [["", "leads changed", "mean", "min", "q1", "median", "q3", "max"]]
    for name, s in scores.items():
        rows.append([name, f"{s['changed']:,}"] + [signed(s[k]) for k in ("mean", "min", "q1", "median", "q3", "max")])
    for line in _table(rows, set(range(1, 8))):
        out.add("    " + line)
    for name, s in scores.items():
        if s["largest"]:
            out.add(f"    largest {name} moves")
            rows = [[_lead_name(m), f"{m['old']:.2f}", "→", f"{m['new']:.2f}", f"({signed(m['delta'])})"] for m in s["largest"]]
            for line in _table(rows, {1, 3, 4}):
                out.add("      " + line)


def _rules(leads: dict[str, Any], out: _Lines) -> None:
    rows = changed_rules(leads)
    out.add()
    if not rows:
        out.add("  Rules: every rule hits the same number of leads")
        return
    compared = leads["compared"]
    out.add(f"  Rules whose hit rate changes (of {compared:,} leads both versions decide)")
    table = [[f'"{r["rule"]}"', r["section"], _rate(r["old"], compared), "→", _rate(r["new"], compared)] for r in rows]
    for line in _table(table, {2, 4}):
        out.add("    " + line)


def _rate(count: Optional[int], whole: int) -> str:
    if count is None:
        return "(not in this version)"
    return f"{count:,} ({percent(count, whole)})"


def _examples(leads: dict[str, Any], out: _Lines) -> None:
    for cell in leads["examples"]:
        out.add()
        shown = len(cell["examples"])
        out.add(f"  {cell['old']} → {cell['new']}: {cell['leads']:,} lead{'s' if cell['leads'] != 1 else ''}"
                + (f", {shown} example{'s' if shown != 1 else ''}" if shown < cell["leads"] else ""), "!")
        for example in cell["examples"]:
            out.add(f"    {_lead_name(example)}: {example['why']}")


def _lead_name(item: dict[str, Any]) -> str:
    lead_id = item["id"]
    shown = lead_id if isinstance(lead_id, str) else "lead" if lead_id is None else repr(lead_id)
    return f"{shown} (line {item['line']})"


def _paint(items: list[Any], color: bool) -> str:
    lines = []
    for kind, text in items:
        style = _STYLE.get(kind) if kind else None
        if color and kind == "#":
            import click

            text = click.style(text, bold=True)
        elif color and style:
            import click

            text = click.style(text, fg=style)
        lines.append(text)
    return "\n".join(lines) + "\n"
