"""Pass `rules`: rule names, engagement rules, decay, grades, demotions."""

from __future__ import annotations

from typing import Optional

from leadpolicy.check.base import (
    DISQUALIFIED,
    State,
    head_span,
    suggest,
)
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span


class RulesPass(State):
    def check_rules(self) -> None:
        names: dict[str, Optional[Span]] = {}

        def rule_name(name: str, span: Optional[Span]) -> None:
            if name in names:
                self.error(
                    "duplicate-rule",
                    f"the rule name `{name}` is used twice",
                    head_span(span, len(name) + 2),
                    "rule names are unique across the policy; tests and explanations refer to them",
                )
            names[name] = span

        decays = 0
        engagement = self.policy.first(n.EngagementBlock)
        for item in engagement.items if engagement is not None else ():
            if isinstance(item, n.Decay):
                decays += 1
                if decays > 1:
                    self.error("bad-decay", "the engagement block has more than one `decay`", item.span, "keep one")
                if not 0 < item.percent <= 100:
                    self.error(
                        "bad-decay",
                        f"decay must be more than 0% and at most 100%, not `{item.percent_text}%`",
                        item.span,
                        "write for example `decay 50% every 30 days`",
                    )
                continue
            rule_name(item.name, item.span)
            if item.activity not in self.activities:
                self._unknown_activity(item.activity, item.activity_span)
            if item.max is not None and item.max <= 0:
                self.error("bad-max", f"`max` must be more than 0, not `{item.max_text}`", item.span, "remove `max` or raise it")
        groups: set[str] = set()
        fit = self.policy.first(n.FitBlock)
        for entry in fit.items if fit is not None else ():
            if isinstance(entry, n.FitGroup):
                self._check_name(entry.name, entry.name_span, "group")
                if entry.name in groups:
                    self.error(
                        "duplicate-group",
                        f"the fit group `{entry.name}` appears twice",
                        entry.name_span,
                        "merge the two groups",
                    )
                groups.add(entry.name)
                for rule in entry.rules:
                    rule_name(rule.name, rule.span)
            else:
                rule_name(entry.name, entry.span)
        letters: set[str] = set()
        bands = self.policy.grades
        for i, band in enumerate(bands):
            if band.letter in letters:
                self.error("duplicate-grade", f"the grade `{band.letter}` appears twice", band.name_span, "each grade appears once")
            letters.add(band.letter)
            if band.condition is None and i != len(bands) - 1:
                self.error(
                    "otherwise-not-last",
                    f"`{band.letter} otherwise` must be the last grade",
                    band.span,
                    "grades are tried in order; the bands after `otherwise` can never match",
                )
        for demotion in self.policy.demotions:
            rule_name(demotion.name, demotion.span)
            for stage, span in ((demotion.source, demotion.source_span), (demotion.target, demotion.target_span)):
                if stage not in self.stage_index:
                    self._unknown_stage(stage, span)
            if demotion.source in self.stage_index and demotion.target in self.stage_index:
                if self.stage_index[demotion.target] >= self.stage_index[demotion.source]:
                    self.error(
                        "demotion-direction",
                        f"a demotion must go to a lower stage, but `{demotion.target}` is not below `{demotion.source}`",
                        demotion.span,
                        f"stages are ordered as declared: {', '.join(self.stages)}",
                    )
        for dq in self.policy.disqualifications:
            rule_name(dq.name, dq.span)
        self.rule_names = names

    def _unknown_stage(self, name: str, span: Optional[Span]) -> None:
        if name == DISQUALIFIED:
            self.error(
                "unknown-stage",
                "`disqualified` is not a stage a demotion can name",
                span,
                "leads enter and leave `disqualified` through the `disqualify` block",
            )
            return
        guess = suggest(name, self.stages)
        self.error(
            "unknown-stage",
            f"there is no stage `{name}`",
            span,
            f"did you mean `{guess}`?" if guess else f"the stages are: {', '.join(self.stages) or 'none'}",
        )

    def _unknown_activity(self, name: str, span: Optional[Span]) -> None:
        guess = suggest(name, self.activities)
        self.error(
            "unknown-activity",
            f"there is no activity `{name}`",
            span,
            f"did you mean `{guess}`?" if guess else "declare it in the `activities` block",
        )
