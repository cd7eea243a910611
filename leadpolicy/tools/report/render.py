"""Render a report dict as Markdown, one self-contained HTML file, or JSON.

Names from the policies and the leads (policy, stage, segment and rule names, lead ids,
error messages, file names) are untrusted: the HTML environment autoescapes, and the
Markdown environment escapes every value it prints with the handoff document's
`md_escape` (a file name in a code span when it can be one), so a name cannot
become a link, an image, HTML or a table cell of its own."""

from __future__ import annotations

import json
from typing import Any, Optional

import jinja2

from leadpolicy.handoff.document import md_code, md_escape
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
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             finalize=None if autoescape else md_escape)
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["code"] = md_code
    return env


def markdown(report: dict[str, Any]) -> str:
    return _env(False).get_template("report.md.j2").render(r=report)


def html(report: dict[str, Any]) -> str:
    pictures = [charts.for_report(one) for one in report["reports"]]
    return _env(True).get_template("report.html.j2").render(r=report, pictures=pictures)


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2) + "\n"
