"""The note on look-alike names in English: which two names of one policy a reader cannot tell
apart, and how they differ, by the characters' names (the words `leadpolicy diff` uses)."""

from __future__ import annotations

from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.look_alike import differences, look_alike_pairs


def look_alike_notes(policy: n.Policy) -> list[str]:
    """A sentence for each pair of names a reader could not tell apart (`look_alike`): two rules, or
    two members of one field, that differ only by a letter of another script standing for an ASCII
    one, a space of another kind, or a character that does not show. The document shows both as
    the same text; the policy reads them as two names."""
    rules: dict[str, str] = {rule.name: f'the {what} "{rule.name}"' for what, section in (
        ("engagement rule", policy.engagement_rules), ("fit rule", policy.fit_rules),
        ("demotion", policy.demotions), ("disqualification", policy.disqualifications)) for rule in section}
    groups = [rules] + [{m: f'the member "{m}" of `{f.name}`' for m in f.type.members} for f in policy.fields]
    notes = []
    for called in groups:  # each name's words, in file order
        for first, second in look_alike_pairs(called):
            said = "; ".join(differences(first, second, "the other has", "the other"))
            notes.append(f"{called[second]} looks like {called[first]} and is another name: {said}")
    return notes
