"""The picture of the stages: every stage in order, the promotions between
consecutive stages (labelled with the entry criterion in plain English, as
the document's text says it), the demotions (labelled with their rule names
and where they lead) and the disqualified state.

`model(policy)` is the picture as data; `mermaid(...)` writes it as a Mermaid
flowchart for Markdown; `svg(...)` lays it out itself, deterministically, as
an inline SVG for the HTML document (no script, nothing fetched, every text
escaped). In the SVG no two lines share a stretch and no two arrowheads or
labels touch: each demotion has a lane of its own, and the points where
demotions leave and enter a box are ordered so that lines meeting at one box
never cross there. `Shorthand` is a compact, formula-like reading of a
condition ("engagement ≥ 60 and fit ≥ 40"), kept for tools that want one.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape
from typing import Any, Callable, Optional

from leadpolicy.handoff.english import English, duration, the_stage
from leadpolicy.handoff.english.words import LiteralText
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.precedence import AND, NEG, NOT, grouped
from leadpolicy.syntax.visitor import NodeVisitor

DISQUALIFIED = n.DISQUALIFIED


# ---------------------------------------------------------------- short criteria


class Shorthand(LiteralText, NodeVisitor):
    """A condition in a compact, formula-like form: one `visit_<NodeKind>` per node kind."""

    OPS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}

    def __call__(self, e: n.Expr) -> str:
        return str(self.visit(e))

    never_given = frozenset({"Name", "Paren"})  # the checker resolves names and drops parentheses

    def generic_visit(self, node: n.Node, *args: object, **kwargs: object) -> str:
        raise TypeError(f"no shorthand for {type(node).__name__}: the diagram needs a checked policy")

    # Parentheses where the levels need them (syntax/precedence.py), and two more for a reader
    # of formulas: every compound operand of `×` and of unary minus, the right one of `-`
    # (`(a × b) × c`, `a - (b × c)`), and an `and` inside an `or`.
    def _at(self, e: n.Expr, outer: int) -> str:
        return grouped(self.visit(e), e, outer)

    def visit_FieldRef(self, e: n.FieldRef) -> str:
        return e.name

    def visit_PropRef(self, e: n.PropRef) -> str:
        return e.name

    def visit_StageRef(self, e: n.StageRef) -> str:
        return e.name

    def visit_Engagement(self, e: n.Engagement) -> str:
        return "engagement"

    def visit_Fit(self, e: n.Fit) -> str:
        return "fit"

    def visit_Grade(self, e: n.Grade) -> str:
        return "grade"

    def visit_DaysSince(self, e: n.DaysSince) -> str:
        return f"days since {e.field_name}"

    def visit_Neg(self, e: n.Neg) -> str:
        return "-" + self._at(e.operand, NEG)

    def visit_Arith(self, e: n.Arith) -> str:
        left = self._at(e.left, NEG) if e.op == "*" else self.visit(e.left)
        right = self._at(e.right, NEG) if e.op in "*-" else self.visit(e.right)
        return f"{left} {'×' if e.op == '*' else e.op} {right}"

    def visit_Compare(self, e: n.Compare) -> str:
        return f"{self.visit(e.left)} {self.OPS[e.op]} {self.visit(e.right)}"

    def visit_InList(self, e: n.InList) -> str:
        items = ", ".join(self.visit(i) for i in e.items)
        return f"{self.visit(e.operand)} {'not in' if e.negated else 'in'} ({items})"

    def visit_TextTest(self, e: n.TextTest) -> str:
        return f"{self.visit(e.left)} {e.op} {self.visit(e.right)}"

    def visit_IsMissing(self, e: n.IsMissing) -> str:
        return f"{self.visit(e.operand)} {'present' if e.negated else 'missing'}"

    def visit_Not(self, e: n.Not) -> str:
        return "not " + self._at(e.operand, NOT)

    def visit_And(self, e: n.And) -> str:
        return " and ".join(self._at(o, AND) for o in e.operands)

    def visit_Or(self, e: n.Or) -> str:
        return " or ".join(self._at(o, NOT) if isinstance(o, n.And) else self.visit(o) for o in e.operands)

    def visit_AtLeast(self, e: n.AtLeast) -> str:
        return f"at least {e.count} of {len(e.conditions)} conditions"

    def visit_Did(self, e: n.Did) -> str:
        thing = e.activity or "activity"
        text = ("no " if e.negated else "") + (f"{e.times}× " if e.times > 1 else "") + thing
        if e.where is not None:
            text += f" ({self.visit(e.where)})"
        if e.within is not None:
            text += f" in last {duration(e.within)}"
        return text


def criterion(expr: Optional[n.Expr]) -> str:
    """The short label of an entry criterion."""
    return Shorthand()(expr) if expr is not None else ""


# ---------------------------------------------------------------- the picture as data


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "promote", "demote" or "disqualify"
    label: str = ""
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Picture:
    stages: tuple[tuple[str, str], ...]  # (name, description), lowest first
    promotions: tuple[Edge, ...]
    demotions: tuple[Edge, ...]  # one per (source, target), rules in file order
    disqualify_rules: tuple[str, ...]

    @property
    def has_disqualified(self) -> bool:
        return bool(self.disqualify_rules)


def model(policy: n.Policy) -> Picture:
    english = English(policy)
    stages = tuple((s.name, s.description or "") for s in policy.stages)
    promotions = tuple(
        Edge(policy.stages[i - 1].name, s.name, "promote", "when " + english.condition(s.condition) if s.condition else "")
        for i, s in enumerate(policy.stages)
        if i > 0
    )
    pairs: dict[tuple[str, str], list[str]] = {}
    for rule in policy.demotions:
        pairs.setdefault((rule.source, rule.target), []).append(rule.name)
    demotions = tuple(Edge(s, t, "demote", f"{'; '.join(rules)}: back to {the_stage(t)}", tuple(rules))
                      for (s, t), rules in pairs.items())
    return Picture(stages, promotions, demotions, tuple(r.name for r in policy.disqualifications))


# ---------------------------------------------------------------- Mermaid


def mermaid_text(text: str) -> str:
    """Text for inside a quoted Mermaid label: markup characters become entity codes, and so do the
    characters that are not printable (an escape, a right-to-left override), as `md_escape` shows them."""
    text = " ".join(text.split())
    out = []
    for ch in text:
        if ch in '#"<>&`|;[]{}' or not ch.isprintable():
            out.append({'"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}.get(ch, f"#{ord(ch)};"))
        else:
            out.append(ch)
    return "".join(out)


def mermaid(picture: Picture) -> str:
    """A Mermaid flowchart, lowest stage at the bottom, for a ```mermaid block."""
    ids = {name: f"s{i}" for i, (name, _) in enumerate(picture.stages)}
    lines = ["flowchart BT"]
    for name, description in picture.stages:
        label = mermaid_text(name) + (f"<br/><small>{mermaid_text(description)}</small>" if description else "")
        lines.append(f'    {ids[name]}["{label}"]')
    if picture.has_disqualified:
        rules = "<br/>".join("• " + mermaid_text(r) for r in picture.disqualify_rules)
        lines.append(f'    dq(["{DISQUALIFIED}<br/><small>{rules}</small>"])')
    styles = []
    count = 0
    for edge in picture.promotions:
        lines.append(f'    {ids[edge.source]} -->|"{mermaid_text(edge.label)}"| {ids[edge.target]}')
        styles.append(f"    linkStyle {count} stroke:#15803d,stroke-width:2px")
        count += 1
    for edge in picture.demotions:
        lines.append(f'    {ids[edge.source]} -.->|"{mermaid_text(edge.label)}"| {ids[edge.target]}')
        styles.append(f"    linkStyle {count} stroke:#b45309")
        count += 1
    if picture.has_disqualified:
        for name, _ in picture.stages:
            lines.append(f"    {ids[name]} -.-> dq")
            styles.append(f"    linkStyle {count} stroke:#b91c1c")
            count += 1
        lines.append("    classDef out fill:#fef2f2,stroke:#b91c1c,color:#7f1d1d")
        lines.append("    class dq out")
    return "\n".join(lines + styles) + "\n"


# ---------------------------------------------------------------- SVG

# Layout constants (px). Text widths are estimated from character counts, so
# the layout depends on nothing but the policy.
PAD = 16
CHAR_W = 6.6  # 12px sans-serif, a generous average
LINE_H = 15
PROMOTE_LABEL_W = 320
BOX_X = PAD + PROMOTE_LABEL_W + 24
BOX_W = 230
LANE_START = 22
LANE_STEP = 16
DEMOTE_LABEL_W = 210
DQ_GAP = 36
DQ_W = 220
MAX_LABEL_LINES = 10
PORT_STEP = 18  # vertical distance between two demotion lines at one box
PORT_TOP = 24  # the first port, below the disqualification line (at the box's top + 12)

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Liberation Sans', Arial, sans-serif"
PROMOTE, DEMOTE, DISQUALIFY = "#15803d", "#b45309", "#b91c1c"


def wrap(text: str, width_px: float, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    chars = max(8, int(width_px / CHAR_W))
    lines = textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: chars - 1].rstrip() + "…"
    return lines


def _f(x: float) -> str:
    """Coordinates with at most one decimal, so the output is stable."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


_TEXT_STYLE = {
    "stage-name": ' font-weight="700" font-size="14"',
    "stage-desc": ' font-size="12" fill="#475569"',
    "dq-name": ' fill="#7f1d1d"',
}


def _text(x: float, y: float, lines: list[str], cls: str, anchor: str = "start", href: Optional[str] = None) -> str:
    """A (multi-line) text element; every line escaped."""
    spans = "".join(
        f'<tspan x="{_f(x)}" dy="{0 if i == 0 else LINE_H}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    style = "".join(_TEXT_STYLE.get(c, "") for c in cls.split())
    text = f'<text class="{cls}" x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}"{style}>{spans}</text>'
    if href:
        return f'<a href="{escape(href)}">{text}</a>'
    return text


def svg(picture: Picture, title: str = "Stages", rule_href: Callable[[str], Optional[str]] = lambda rule: None, id_prefix: str = "diagram") -> str:
    """The stage picture as an inline SVG element (a string, every text escaped)."""
    stages = list(picture.stages)
    count = len(stages)
    order = {name: i for i, (name, _) in enumerate(stages)}
    promote_label = {order[e.target]: wrap(e.label, PROMOTE_LABEL_W) for e in picture.promotions}

    # Demotions: a lane each, right of the boxes, the shortest spans nearest; labels in the gap below the source.
    demotions = sorted(picture.demotions, key=lambda e: (order[e.source] - order[e.target], -order[e.source]))
    lane = {id(e): k for k, e in enumerate(demotions)}
    lanes_right = BOX_X + BOX_W + LANE_START + max(0, len(demotions) - 1) * LANE_STEP
    label_x = lanes_right + 12
    below: dict[int, list[Any]] = {}  # source index -> [(edge, lines)]
    for e in picture.demotions:
        below.setdefault(order[e.source], []).append((e, wrap(e.label, DEMOTE_LABEL_W, 3)))
    # Where demotions meet each box's right side, top to bottom: the lines coming down
    # into it (inner lanes first), then the lines leaving it (outer lanes first). So a
    # line's horizontal stretch never crosses another line's lane at the same box.
    ends: dict[int, list[Any]] = {i: [] for i in range(count)}
    for e in demotions:
        ends[order[e.target]].append((0, lane[id(e)], id(e), "in"))
        ends[order[e.source]].append((1, -lane[id(e)], id(e), "out"))
    port: dict[tuple[int, str], int] = {}
    for items in ends.values():
        for number_at_box, (_, _, key, side) in enumerate(sorted(items)):
            port[(key, side)] = number_at_box

    # Vertical layout, highest stage at the top.
    heights, desc_lines = {}, {}
    for i, (name, description) in enumerate(stages):
        desc_lines[i] = wrap(description, BOX_W - 20, 2) if description else []
        heights[i] = 34 + LINE_H * len(desc_lines[i]) + (6 if desc_lines[i] else 0)
        if ends[i]:  # room for every port, PORT_STEP apart
            heights[i] = max(heights[i], PORT_TOP + PORT_STEP * (len(ends[i]) - 1) + 12)
    top: dict[int, float] = {}
    gap: dict[int, float] = {}  # gap below stage i (between i and i - 1)
    y: float = PAD
    for i in reversed(range(count)):
        top[i] = y
        y += heights[i]
        if i > 0:
            prom: float = len(promote_label.get(i, []))
            dem = sum(len(lines) + 0.4 for _, lines in below.get(i, []))
            gap[i] = max(64, LINE_H * max(prom, dem) + 30)
            y += gap[i]
    column_bottom = y

    dq_x = (label_x + DEMOTE_LABEL_W + DQ_GAP) if demotions else (BOX_X + BOX_W + 60)
    dq_rules = [wrap("• " + r, DQ_W - 24, 2) for r in picture.disqualify_rules]
    dq_needed = 40 + sum(LINE_H * len(lines) + 4 for lines in dq_rules)
    dq_top = PAD
    dq_height = max(column_bottom - PAD, dq_needed) if picture.has_disqualified else 0
    width = (dq_x + DQ_W + PAD) if picture.has_disqualified else (label_x + DEMOTE_LABEL_W + PAD if demotions else BOX_X + BOX_W + PAD)
    height = max(column_bottom, dq_top + dq_height) + PAD

    out: list[str] = []
    add = out.append
    add(
        f'<svg class="stage-diagram" viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}"'
        f' role="img" aria-labelledby="{id_prefix}-title" font-family="{FONT}" font-size="12" fill="#0f172a">'
    )
    add(f'<title id="{id_prefix}-title">{escape(title)}</title>')
    add("<defs>")
    for kind, colour in (("promote", PROMOTE), ("demote", DEMOTE), ("disqualify", DISQUALIFY)):
        add(
            f'<marker id="{id_prefix}-arrow-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
            f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    add("</defs>")

    # Stage boxes.
    for i, (name, description) in enumerate(stages):
        add(
            f'<rect class="stage-box" x="{_f(BOX_X)}" y="{_f(top[i])}" width="{BOX_W}" height="{_f(heights[i])}"'
            f' rx="6" fill="#f8fafc" stroke="#334155" stroke-width="1.5"/>'
        )
        add(_text(BOX_X + BOX_W / 2, top[i] + 21, [name], "stage-name", "middle"))
        if desc_lines[i]:
            add(_text(BOX_X + BOX_W / 2, top[i] + 21 + LINE_H + 4, desc_lines[i], "stage-desc", "middle"))

    # Promotions: straight up between consecutive boxes, label on the left.
    arrow_x = BOX_X + 36
    for i in range(1, count):
        y_from, y_to = top[i - 1], top[i] + heights[i]
        add(
            f'<line class="edge-promote" x1="{_f(arrow_x)}" y1="{_f(y_from)}" x2="{_f(arrow_x)}" y2="{_f(y_to + 1)}"'
            f' stroke="{PROMOTE}" stroke-width="2" marker-end="url(#{id_prefix}-arrow-promote)"/>'
        )
        lines = promote_label.get(i, [])
        mid = (y_to + y_from) / 2
        first = mid - (len(lines) - 1) * LINE_H / 2 + 4
        add(
            f'<line class="leader" x1="{_f(BOX_X - 8)}" y1="{_f(mid)}" x2="{_f(arrow_x - 5)}" y2="{_f(mid)}"'
            f' stroke="{PROMOTE}" stroke-width="1" stroke-dasharray="2 3"/>'
        )
        add(_text(BOX_X - 12, first, lines, "edge-label promote-label", "end"))

    # Demotions: out of the source's right side, down its lane, into the target's right side.
    label_slots: dict[int, float] = {}
    for e in picture.demotions:
        s, t = order[e.source], order[e.target]
        x_lane = BOX_X + BOX_W + LANE_START + lane[id(e)] * LANE_STEP
        y_start = top[s] + PORT_TOP + PORT_STEP * port[(id(e), "out")]
        y_end = top[t] + PORT_TOP + PORT_STEP * port[(id(e), "in")]
        add(
            f'<path class="edge-demote" d="M{_f(BOX_X + BOX_W)},{_f(y_start)} H{_f(x_lane)} V{_f(y_end)} H{_f(BOX_X + BOX_W + 1)}"'
            f' fill="none" stroke="{DEMOTE}" stroke-width="2" marker-end="url(#{id_prefix}-arrow-demote)"/>'
        )
        lines = next(lines for edge, lines in below[s] if edge is e)
        gap_top = top[s] + heights[s]
        y_label = label_slots.get(s, gap_top + 18)
        label_slots[s] = y_label + LINE_H * (len(lines) + 0.4)
        add(
            f'<line class="leader" x1="{_f(x_lane)}" y1="{_f(y_label - 4)}" x2="{_f(label_x - 4)}" y2="{_f(y_label - 4)}"'
            f' stroke="{DEMOTE}" stroke-width="1" stroke-dasharray="2 3"/>'
        )
        href = rule_href(e.rules[0]) if len(e.rules) == 1 else None
        add(_text(label_x, y_label, lines, "edge-label demote-label", "start", href))

    # Disqualification: one box on the right, a dashed arrow from every stage.
    if picture.has_disqualified:
        for i in range(count):
            y_line = top[i] + 12  # above every demotion port
            add(
                f'<line class="edge-disqualify" x1="{_f(BOX_X + BOX_W)}" y1="{_f(y_line)}" x2="{_f(dq_x - 1)}" y2="{_f(y_line)}"'
                f' stroke="{DISQUALIFY}" stroke-width="1.5" stroke-dasharray="6 4" marker-end="url(#{id_prefix}-arrow-disqualify)"/>'
            )
        add(
            f'<rect class="dq-box" x="{_f(dq_x)}" y="{_f(dq_top)}" width="{DQ_W}" height="{_f(dq_height)}" rx="6"'
            f' fill="#fef2f2" stroke="{DISQUALIFY}" stroke-width="1.5"/>'
        )
        add(_text(dq_x + 12, dq_top + 22, [DISQUALIFIED], "stage-name dq-name"))
        y_rule = dq_top + 22 + LINE_H + 8
        for rule, lines in zip(picture.disqualify_rules, dq_rules):
            add(_text(dq_x + 12, y_rule, lines, "dq-rule", "start", rule_href(rule)))
            y_rule += LINE_H * len(lines) + 4
    add("</svg>")
    return "\n".join(out)
