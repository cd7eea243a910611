"""Generated pairs of policy versions for the diff tests (tests/test_diff*.py)."""

from __future__ import annotations

import re

from hypothesis import assume, strategies as st

import leadpolicy


@st.composite
def policy_pairs(draw):
    """A generated policy and the same policy with some of its numbers moved (points, thresholds,
    windows, caps, counts): a new version that decides some leads differently."""
    from support.leadgen import policy_texts

    text = draw(policy_texts())
    numbers = list(re.finditer(r"(?<![\w.\"-])\d+(?![\w.\"])", text))
    assume(numbers)
    pieces, last = [], 0
    for match in numbers:
        shift = draw(st.sampled_from([0, 0, -20, -5, -1, 1, 5, 20]))
        value = max(1, int(match.group()) + shift)
        pieces += [text[last:match.start()], str(value)]
        last = match.end()
    new = "".join(pieces) + text[last:]
    try:
        return leadpolicy.loads(text, "old"), leadpolicy.loads(new, "new")
    except leadpolicy.PolicyError:
        assume(False)
