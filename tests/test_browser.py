"""The HTML handoff document of every example policy, opened in headless Chromium:
it loads without console messages, its DOM holds the stage picture, and a
screenshot shows the picture drawn (the PNG is decoded with the standard
library only). Skipped only when no Chromium binary is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.browser import chromium, colour_counts, console_messages, hex_rgb, read_png

from leadpolicy.check.checker import check
from leadpolicy.handoff import diagram, document as docs
from leadpolicy.syntax.parser import parse

ROOT = Path(__file__).resolve().parent.parent
POLICIES = sorted((ROOT / "policies").glob("*.policy"))
WIDTH, HEIGHT = 1200, 1600


def test_console_scan_catches_a_broken_page(tmp_path: Path) -> None:
    """The check below is not vacuous: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("boom"); missing();</script></body></html>')
    result = chromium(tmp_path, page, "--dump-dom")
    messages = console_messages(result.stderr)
    assert any("Uncaught" in m for m in messages), result.stderr[-2000:]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.stem)
def test_html_document_in_headless_chromium(path: Path, tmp_path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    shown = path.relative_to(ROOT).as_posix()
    result = check(parse(source, shown))
    assert result.ok, [d.message for d in result.errors]
    tree = result.policy
    page = tmp_path / f"{path.stem}.html"
    page.write_text(docs.html(tree, source, shown), encoding="utf-8")

    # The DOM, as the browser built it: every section, the picture, no script.
    dom = chromium(tmp_path, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert not console_messages(dom.stderr), console_messages(dom.stderr)
    assert '<svg class="stage-diagram"' in dom.stdout
    assert "<script" not in dom.stdout.lower()
    for section, _ in docs.SECTIONS:
        assert f'id="{section}"' in dom.stdout
    for stage in tree.stages:
        assert f">{stage.name}</tspan>" in dom.stdout  # every stage is in the picture

    # The screenshot: the picture is drawn (its colours are there), the page is not blank.
    png = tmp_path / f"{path.stem}.png"
    shot = chromium(tmp_path, page, f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}")
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    assert not console_messages(shot.stderr), console_messages(shot.stderr)
    width, height, bpp, rows = read_png(png)
    assert (width, height) == (WIDTH, HEIGHT)
    counts = colour_counts(
        rows,
        bpp,
        {
            "promote": hex_rgb(diagram.PROMOTE),
            "dq-fill": hex_rgb("#fef2f2"),
            "box-fill": hex_rgb("#f8fafc"),
        },
        tolerance=6,
    )
    assert counts["distinct"] > 8, "the screenshot is (nearly) a single colour"
    assert counts["non-white"] > 20_000, counts
    assert counts["box-fill"] > 3_000 * len(tree.stages), counts  # the stage boxes
    if len(tree.stages) > 1:
        assert counts["promote"] > 150, counts  # the promotion arrows (the legend alone has about 70)
    if tree.disqualifications:
        assert counts["dq-fill"] > 5_000, counts  # the disqualified box
