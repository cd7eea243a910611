"""The `look-alike-names` warning: two names of one kind that a writer cannot tell apart in the
editor (syntax/look_alike.py: a Cyrillic `а` for `a`, a no-break space for a space, a character
that does not show), said at the second one. Rule names and enum members are the names that can
hold such characters; fields, activities and stages are plain ASCII words by the grammar, and two
of those never look alike."""

from __future__ import annotations

from typing import Optional, Protocol

from leadpolicy.check.base import head_span
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import Span
from leadpolicy.syntax.look_alike import differences, look_alike_pairs

__all__ = ["look_alike_names"]


class Warn(Protocol):
    def __call__(self, code: str, message: str, span: Optional[Span], help: Optional[str] = None, *,
                 notes: tuple[str, ...] = ()) -> None: ...


def look_alike_names(policy: n.Policy, warn: Warn) -> None:
    """Warn of each look-alike pair of rule names, and of members of one enum field."""
    rules: dict[str, Optional[Span]] = {}
    every: list[n.EngagementRule | n.FitRule | n.DemoteRule | n.DisqualifyRule] = [
        *policy.engagement_rules, *policy.fit_rules, *policy.demotions, *policy.disqualifications]
    for rule in every:
        rules.setdefault(rule.name, head_span(rule.span, len(n.quote(rule.name))))
    _warn_pairs(rules, "rule", "", warn)
    for f in policy.fields:
        if f.type.kind == "enum":
            members: dict[str, Optional[Span]] = {}
            for index, member in enumerate(f.type.members):
                span = f.type.member_spans[index] if index < len(f.type.member_spans) else f.type.span
                members.setdefault(member, span)
            _warn_pairs(members, "member", f" of `{f.name}`", warn)


def _warn_pairs(names: dict[str, Optional[Span]], what: str, of: str, warn: Warn) -> None:
    """`what`: the kind of name (`rule`); `of`: whose names they are (` of `region``), or nothing."""
    for first, second in look_alike_pairs(names):
        where = names[first]
        line = f" on line {where.line}" if where is not None else ""
        said = "; ".join(differences(first, second, f"`{first}` has", f"`{first}`"))
        warn(
            "look-alike-names",
            f"the {what} `{second}`{of} looks like the {what} `{first}` but is another name",
            names[second],
            f"{said}; retype one of them if they are meant to be the same",
            notes=(f"`{first}` is the {what}{of}{line}",),
        )
