"""Inline SVG charts: plain shapes and text, no script, no network, legible in print."""

from __future__ import annotations

from html import escape
from typing import Any, Optional

from markupsafe import Markup

W, ROW = 640, 26


def bars(title: str, rows: list[tuple[str, Optional[float], str]], css: str, maximum: Optional[float] = None) -> Markup:
    """Horizontal bars: (label, value, shown text)."""
    values = [v for _, v, _ in rows if v is not None]
    top = maximum or max(values, default=0) or 1
    height = 30 + ROW * len(rows)
    out = [f'<svg class="chart {css}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{W}" height="{height}" viewBox="0 0 {W} {height}">',
           f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>']
    for i, (label, value, shown) in enumerate(rows):
        y = 26 + i * ROW
        width = 0 if value is None else max(1, round(300 * value / top))
        out.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>')
        out.append(f'<rect class="bar" x="190" y="{y + 3}" width="{width}" height="16" fill="#3b6ea5" stroke="#1d3b5c"/>')
        out.append(f'<text x="{196 + width}" y="{y + 15}" font-size="12">{escape(shown)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def curve(title: str, rows: list[dict[str, Any]], current: float) -> Markup:
    """Precision and recall against the threshold."""
    h, left, bottom = 220, 40, 190
    xs = [r["threshold"] for r in rows]
    lo, hi = min(xs), max(xs)
    span = (hi - lo) or 1

    def x(v: float) -> float:
        return round(float(left + (W - left - 20) * (v - lo) / span), 1)

    def y(v: float) -> float:
        return round(bottom - 160 * v, 1)

    out = [f'<svg class="chart sweep" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
           f'width="{W}" height="{h}" viewBox="0 0 {W} {h}">',
           f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
           f'<line x1="{left}" y1="{bottom}" x2="{W - 20}" y2="{bottom}" stroke="#000"/>',
           f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{bottom - 160}" stroke="#000"/>',
           f'<text x="{left}" y="{bottom + 16}" font-size="11">{lo:g}</text>',
           f'<text x="{W - 40}" y="{bottom + 16}" font-size="11">{hi:g}</text>',
           f'<line x1="{x(current)}" y1="{bottom}" x2="{x(current)}" y2="{bottom - 160}" stroke="#999" stroke-dasharray="4 3"/>']
    for key, colour, dash in (("precision", "#3b6ea5", ""), ("recall", "#b5522b", ' stroke-dasharray="6 3"')):
        points = " ".join(f"{x(r['threshold'])},{y(r[key])}" for r in rows if r[key] is not None)
        out.append(f'<polyline class="{key}" fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}"/>')
    out.append(f'<text x="{W - 200}" y="16" font-size="11" fill="#3b6ea5">— precision</text>')
    out.append(f'<text x="{W - 110}" y="16" font-size="11" fill="#b5522b">- - recall</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _rate_rows(segments: dict[str, Any]) -> list[tuple[str, Optional[float], str]]:
    return [(name, s["win_rate"], "–" if s["win_rate"] is None else f"{s['win_rate'] * 100:.1f}% of {s['won'] + s['lost']}")
            for name, s in segments.items()]


def for_report(r: dict[str, Any]) -> dict[str, Any]:
    """Every chart of one policy's report."""
    funnel = bars("Funnel: leads that reached each stage",
                  [(f["stage"], f["reached"], f"{f['reached']:,}") for f in r["funnel"]], "funnel")
    velocity = bars("Time to stage (days): median and 75th percentile",
                    [row for leg, v in r["velocity"].items()
                     for row in ((f"{leg} median", v["median_days"], _days(v["median_days"])),
                                 (f"{leg} p75", v["p75_days"], _days(v["p75_days"])))], "velocity")
    time_to_stage = [bars(f"Time to stage: {leg}, leads by days taken",
                          [(_bin_label(b), b["leads"], f"{b['leads']:,}") for b in bins], "time-to-stage")
                     for leg, bins in r["time_to_stage"].items()]
    grade = bars("Win rate by grade", _rate_rows(r["by_grade"]), "by-grade", 1.0)
    engagement = bars("Win rate by engagement band", _rate_rows(r["by_engagement_band"]), "by-engagement", 1.0)
    fit = bars("Win rate by fit band", _rate_rows(r["by_fit_band"]), "by-fit", 1.0)
    sweeps = [curve(f"Threshold sweep: {s['condition']}", s["rows"], s["current"]) for s in r["threshold_sweeps"]]
    return {"funnel": funnel, "velocity": velocity, "time_to_stage": time_to_stage, "grade": grade,
            "engagement": engagement, "fit": fit, "sweeps": sweeps}


def _bin_label(b: dict[str, Any]) -> str:
    if b["to_days"] is None:
        return f"{b['from_days']:g} days or more"
    if b["from_days"] == 0:
        return f"under {b['to_days']:g} day{'s' if b['to_days'] != 1 else ''}"
    return f"{b['from_days']:g} to {b['to_days']:g} days"


def _days(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.1f} days"
