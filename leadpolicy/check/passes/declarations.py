"""Pass `declarations`: names (reserved words, duplicates without case), enum members, stages."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

from leadpolicy.check.base import (
    DISQUALIFIED,
    RESERVED,
    Rewrite,
    State,
    head_span,
)
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.hints.words import GLUED_TESTS

_IRREGULAR_SPACE = re.compile(r"\s{2,}|[^\S ]")  # a run of white space, or any that is not a plain space


class DeclarationsPass(State):
    def _check_name(self, name: str, span: Optional[Span], what: str) -> None:
        if name in RESERVED:
            self.error(
                "reserved-name",
                f"`{name}` is a word of the language and cannot name a {what}",
                span,
                f"choose another name, such as `{name}_{'value' if what != 'stage' else 'stage'}`",
            )

    def check_declarations(self) -> None:
        seen: dict[str, tuple[str, str]] = {}  # lower-cased name -> (name, what)

        def declare(name: str, span: Optional[Span], what: str) -> None:
            self._check_name(name, span, what)
            other = seen.get(name.lower())
            if other is not None:
                other_name, other_what = other
                if other_name == name:
                    message = f"`{name}` is declared twice (already a {other_what})"
                else:
                    message = f"`{name}` differs only in case from the {other_what} `{other_name}`"
                self.error(
                    "duplicate-name",
                    message,
                    span,
                    "fields, activities and stages share one namespace, compared without case; rename one",
                )
            else:
                seen[name.lower()] = (name, what)

        for f in self.policy.fields:
            declare(f.name, f.name_span, "field")
            self._check_type(f.type)
        for a in self.policy.activities:
            declare(a.name, a.name_span, "activity")
            props: dict[str, str] = {}
            for p in a.props:
                self._check_name(p.name, p.name_span, "property")
                if p.name in ("at", "type"):
                    self.error(
                        "reserved-property",
                        f"`{p.name}` cannot name a property: every activity already has `at` and `type`",
                        p.name_span,
                        f"rename it, for example `{p.name}_value`",
                    )
                if p.name.lower() in props:
                    self.error(
                        "duplicate-name",
                        f"activity `{a.name}` declares the property `{p.name}` twice",
                        p.name_span,
                        "remove or rename one of them",
                    )
                props[p.name.lower()] = p.name
                self._check_type(p.type)
        for i, s in enumerate(self.policy.stages):
            if s.name.lower() == DISQUALIFIED:  # previous stages match without case
                self.error(
                    "reserved-stage",
                    f"`{s.name}` is reserved for the disqualified state and cannot name a stage",
                    s.name_span,
                    "leads enter `disqualified` through the `disqualify` block; rename this stage",
                )
            else:
                declare(s.name, s.name_span, "stage")
            if i == 0 and s.condition is not None:
                self.error(
                    "first-stage-condition",
                    f"the first stage `{s.name}` cannot have a `when` condition",
                    s.span,
                    "every lead is at least in the first stage; move the condition to a later stage",
                )
            if i > 0 and s.condition is None:
                glued = GLUED_TESTS.get(s.name.lower())  # in a condition, a next stage's name: no syntax error
                before = self.policy.stages[i - 1]
                if glued is not None and before.condition is not None:  # `mql when email endswith "@x"`
                    help_ = (f"`{s.name}` ends the condition of `{before.name}` and reads as a new stage: "
                             f"write `{glued}` (two words)")
                else:
                    help_ = f"add its entry criterion: `{s.name} when ...`"
                self.error("stage-needs-condition", f"stage `{s.name}` has no `when` condition", s.span, help_)
        stages_block = self.policy.block("stages")
        if stages_block is not None and not self.policy.stages:
            self.error(
                "missing-stages",
                "the `stages` block declares no stage",
                head_span(stages_block.span, 6),
                "declare at least one stage, the first one with no condition",
            )

    def _check_type(self, t: n.FieldType) -> None:
        if t.kind != "enum":
            return
        seen: dict[str, str] = {}
        for index, member in enumerate(t.members):
            if member.strip() != member or not member:
                self._padded_member(member, t, index)
            elif _IRREGULAR_SPACE.search(member):
                self._member_spacing(member, t, index)
            if member.lower() in seen:
                self.error(
                    "duplicate-member",
                    f"`{member}` appears twice in `{t}` (members are compared without case)",
                    _member_span(t, index),
                    "remove the repeated member",
                    edit=_removal(t, index),
                )
            seen[member.lower()] = member

    def _member_spacing(self, member: str, t: n.FieldType, index: int) -> None:
        """Inner spaces are fine (`"Closed Won"`), but data is matched with them as written:
        a tab or two spaces in a row, invisible in the policy, is almost always a slip."""
        spaced = _IRREGULAR_SPACE.sub(" ", member)
        fixed = str(replace(t, members=tuple(spaced if m == member else m for m in t.members)))
        what = "a tab" if "\t" in member else "two spaces in a row" if "  " in member else "an unusual space"
        self.warn(
            "member-spacing",
            f"the enum member `{n.quote(member)}` has {what} inside, and lead data must match it exactly there",
            _member_span(t, index),
            rewrite=Rewrite(f"if the CRM value has one space, write: `{fixed}`", n.member_text(spaced)),
        )

    def _padded_member(self, member: str, t: n.FieldType, index: int) -> None:
        """Data is trimmed, so a blank or padded member can never match a lead (issue 16)."""
        # a padded member was written in quotes: keep them in the fix; one that trims to another
        # member (members are compared without case) is left out of it, or the fix is an error too
        kept: dict[str, str] = {}
        for m in t.members:
            if m.strip() and m.strip().lower() not in kept:
                kept[m.strip().lower()] = n.member_text(m) if m == m.strip() else n.quote(m.strip())
        fixed = "one of (" + ", ".join(kept.values()) + ")"
        twin = next((m for m in t.members if m != member and m.strip() == m and m.lower() == member.strip().lower()), None)
        if not member.strip():
            self.error(
                "blank-member",
                f"the enum member `{n.quote(member)}` is blank, so no lead can ever carry it",
                _member_span(t, index),
                f"lead data is trimmed; remove it: `{fixed}`",
                edit=_removal(t, index),
            )
        elif twin is not None:
            self.error(
                "padded-member",
                f"the enum member `{n.quote(member)}` has surrounding whitespace, so no lead can ever carry it",
                _member_span(t, index),
                f"lead data is trimmed, and `{n.member_text(twin)}` is already a member; remove it: `{fixed}`",
                edit=_removal(t, index),
            )
        else:
            self.error(
                "padded-member",
                f"the enum member `{n.quote(member)}` has surrounding whitespace, so no lead can ever carry it",
                _member_span(t, index),
                rewrite=Rewrite(f"lead data is trimmed; write it trimmed: `{fixed}`", n.quote(member.strip())),
            )


def _removal(t: n.FieldType, index: int) -> Optional[tuple[int, int, str]]:
    """The edit that removes the `index`th member and one comma beside it (offsets relative to the
    member's start): from the end of the member before (the line breaks stay as written), or for
    the first member up to the next one."""
    spans = t.member_spans
    if index >= len(spans) or len(spans) < 2:
        return None  # a type built in code, or the only member: nothing to remove it from
    here = spans[index]
    if index > 0:
        return spans[index - 1].end - here.start, here.end - here.start, ""
    return 0, spans[1].start - here.start, ""


def _member_span(t: n.FieldType, index: int) -> Optional[Span]:
    """The span of the `index`th member as written, else (a type built in code) the whole type's."""
    return t.member_spans[index] if index < len(t.member_spans) else t.span
