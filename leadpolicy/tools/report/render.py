"""Render a report dict as Markdown, one self-contained HTML file, or JSON."""

from __future__ import annotations

import json
from typing import Any, Optional

import jinja2

from leadpolicy.tools.report import charts


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("leadpolicy.tools.report", "templates"),
                             autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


def markdown(report: dict) -> str:
    return _env(False).get_template("report.md.j2").render(r=report)


def html(report: dict) -> str:
    pictures = [charts.for_report(one) for one in report["reports"]]
    return _env(True).get_template("report.html.j2").render(r=report, pictures=pictures)


def as_json(report: dict) -> str:
    return json.dumps(report, indent=2) + "\n"
