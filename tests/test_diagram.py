"""The handoff document's stage picture: arrows labelled in plain English, and
nothing drawn on top of anything else, for the example policies and for random
policies with many demotions. (The pictures were also looked at, rendered by
headless chromium; tests/test_browser.py renders the whole document.)"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import leadpolicy
from leadpolicy.handoff import diagram

ROOT = Path(__file__).parent.parent
EXAMPLES = sorted((ROOT / "policies").glob("*.policy"))
SVG = "{http://www.w3.org/2000/svg}"


def segments(root: ET.Element) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(owner, (x1, y1, x2, y2)) for every stretch of every arrow (promote, demote, disqualify)."""
    out = []
    for number, element in enumerate(root.iter()):
        cls = element.get("class", "")
        if cls in ("edge-promote", "edge-disqualify"):
            out.append((f"{cls}{number}", tuple(float(element.get(k)) for k in ("x1", "y1", "x2", "y2"))))
        elif cls == "edge-demote":
            x = y = 0.0
            for command, value in re.findall(r"([MHV])([-\d.,]+)", element.get("d")):
                if command == "M":
                    x, y = map(float, value.split(","))
                    continue
                nx, ny = (float(value), y) if command == "H" else (x, float(value))
                out.append((f"{cls}{number}", (x, y, nx, ny)))
                x, y = nx, ny
    return out


def tips(root: ET.Element) -> list[tuple[float, float]]:
    """Where each arrowhead points."""
    points = []
    for element in root.iter():
        cls = element.get("class", "")
        if cls in ("edge-promote", "edge-disqualify"):
            points.append((float(element.get("x2")), float(element.get("y2"))))
        elif cls == "edge-demote":
            numbers = re.findall(r"[-\d.]+", element.get("d"))
            ys = [float(v) for v in re.findall(r"V([-\d.]+)", element.get("d"))]
            points.append((float(numbers[-1]), ys[-1]))
    return points


def overlap(a, b) -> bool:
    """Two axis-parallel segments share more than a single point."""
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a, b
    if ax1 == ax2 == bx1 == bx2:  # both vertical on one line
        return min(max(ay1, ay2), max(by1, by2)) - max(min(ay1, ay2), min(by1, by2)) > 0.5
    if ay1 == ay2 == by1 == by2:  # both horizontal on one line
        return min(max(ax1, ax2), max(bx1, bx2)) - max(min(ax1, ax2), min(bx1, bx2)) > 0.5
    return False


def label_boxes(root: ET.Element) -> list[tuple[float, float, float, float]]:
    boxes = []
    for text in root.iter(SVG + "text"):
        if "edge-label" not in text.get("class", "") and "dq-rule" not in text.get("class", ""):
            continue
        lines = [span.text or "" for span in text.iter(SVG + "tspan")]
        width = max(len(line) for line in lines) * diagram.CHAR_W
        x, y = float(text.get("x")), float(text.get("y"))
        left = x - width if text.get("text-anchor") == "end" else x
        boxes.append((left, y - 11, left + width, y + diagram.LINE_H * (len(lines) - 1) + 3))
    return boxes


def assert_nothing_overlaps(svg_text: str) -> None:
    root = ET.fromstring(svg_text)
    stretches = segments(root)
    for (owner_a, a), (owner_b, b) in itertools.combinations(stretches, 2):
        assert owner_a == owner_b or not overlap(a, b), f"{owner_a} {a} overlaps {owner_b} {b}"
    for p, q in itertools.combinations(tips(root), 2):
        assert abs(p[0] - q[0]) + abs(p[1] - q[1]) >= 14, f"arrowheads at {p} and {q} touch"
    for a, b in itertools.combinations(label_boxes(root), 2):
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, f"labels {a} and {b} overlap"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_pictures_have_nothing_on_top_of_anything(path: Path) -> None:
    policy = leadpolicy.load(path)
    assert_nothing_overlaps(diagram.svg(diagram.model(policy.tree)))


def test_product_led_demotions_no_longer_overlap() -> None:
    """The report: the three demotions at `pql` were drawn on top of each other."""
    picture = diagram.model(leadpolicy.load(ROOT / "policies" / "product_led.policy").tree)
    assert {(e.source, e.target) for e in picture.demotions} == {("sql", "pql"), ("pql", "lead"), ("pql", "mql"), ("mql", "lead")}
    assert_nothing_overlaps(diagram.svg(picture))


def test_arrows_speak_plain_english() -> None:
    picture = diagram.model(leadpolicy.load(ROOT / "policies" / "acme.policy").tree)
    assert [e.label for e in picture.promotions] == [
        "when its engagement score is at least 60 and its fit score is at least 40",
        'when it meets the MQL entry criteria and either it had a form submit whose form is "demo" in the last 14 days '
        "or its sales status is accepted",
    ]
    assert [e.label for e in picture.demotions] == ["Went quiet: back to MQL", "Engagement faded: back to the lead stage"]
    for edge in picture.promotions:
        assert not re.search(r"[≥≤≠×]|>=|<=|\b(did|within)\b|_", edge.label), edge.label


@st.composite
def many_demotions(draw):
    count = draw(st.integers(3, 7))
    stages = [f"s{i}" for i in range(count)]
    pairs = draw(st.lists(st.tuples(st.integers(1, count - 1), st.integers(0, count - 2)).filter(lambda p: p[1] < p[0]),
                          min_size=1, max_size=10, unique=True))
    lines = ['policy "P" version "1"', "fields { budget number }", "stages {", "  s0 \"the first stage, described at some length\""]
    lines += [f"  {name} when budget > {i}" for i, name in enumerate(stages) if i]
    lines += ["}", "demote {"]
    lines += [f'  "Rule {s} to {t} with a long name that wraps": {stages[s]} -> {stages[t]} when budget < {s}' for s, t in pairs]
    lines += ["}", 'disqualify { "Out": when budget < -5 }']
    return "\n".join(lines)


@settings(max_examples=60, deadline=None)
@given(many_demotions())
def test_random_demotions_never_overlap(text: str) -> None:
    policy = leadpolicy.loads(text)
    assert_nothing_overlaps(diagram.svg(diagram.model(policy.tree)))
