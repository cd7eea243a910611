"""Pass `blocks`: each block at most once, and a `stages` block."""

from __future__ import annotations

from leadpolicy.check.base import (
    State,
    head_span,
)
from leadpolicy.syntax import nodes as n


class BlocksPass(State):
    def check_blocks(self) -> None:
        seen: dict[str, n.Block] = {}
        for block in self.policy.blocks:
            if block.kind == "test":
                continue
            if block.kind in seen:
                self.error(
                    "duplicate-block",
                    f"the `{block.kind}` block appears more than once",
                    head_span(block.span, len(block.kind)),
                    f"merge it into the `{block.kind}` block above; each block may appear once",
                )
            seen[block.kind] = block
        if "stages" not in seen:
            self.error(
                "missing-stages",
                "the policy has no `stages` block",
                head_span(self.policy.span, 6),
                "add `stages { lead  mql when ... }`: every policy needs at least one stage",
            )
