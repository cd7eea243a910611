"""What a change to a policy means, section by section, in the handoff document's English.

Two checked (resolved) trees in, a list of `Change` out, in the document's
order: the policy line, stages, engagement, fit, grades, demotion,
disqualification, fields, activities. Rules, stages, fields and activities are
matched by section and name; a rule that disappears while another with the
very same body appears in the same section is reported as renamed, any other
rename is a removal and an addition. An empty list means "no change in
meaning": comments, layout, spelling of numbers and durations (`14 days` and
`2 weeks`), parentheses, the order of engagement or fit rules (which only
orders the hits), and test blocks never change a decision.

Conditions are compared by meaning-preserving keys (`_MeaningKey`), not by
node equality: a field or enum member carries its declared type in the tree,
so adding `other` to `industry` would otherwise make every rule that mentions
`industry` look changed. The English of each side comes from
`leadpolicy.handoff.english`, the same sentences as the handoff document.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Callable, Iterable, Optional

from leadpolicy.handoff.english import Clauses, English, Prose, a_stage, duration, number, points, stage_title, the_stage
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.look_alike import look_alike, look_alike_note
from leadpolicy.syntax.visitor import NodeVisitor

__all__ = ["Change", "Part", "SECTIONS", "compare", "one_line"]

# The sections in the handoff document's order: (key in JSON, title for people).
SECTIONS = (
    ("policy", "Policy"),
    ("stages", "Stages"),
    ("engagement", "Engagement points"),
    ("fit", "Fit points"),
    ("grades", "Grades"),
    ("demote", "Demotion"),
    ("disqualify", "Disqualification"),
    ("fields", "Fields"),
    ("activities", "Activities"),
)


@dataclass(frozen=True)
class Part:
    """One part of a changed item: which part, and its old and new values in words."""

    part: str  # "points", "window", "cap", "decay", "condition", "activity", "group", "type", ...
    old: str
    new: str

    def to_dict(self) -> dict[str, Any]:
        return {"part": self.part, "old": self.old, "new": self.new}


def _part_words(part: Part) -> str:
    """`window last 90 days → last 60 days`; a part with one side (a value or a property added or
    removed) without an arrow from or to nothing: `values added vp`."""
    if not part.old or not part.new:
        return f"{part.part} {part.old or part.new}"
    return f"{part.part} {part.old} → {part.new}"


@dataclass(frozen=True)
class Change:
    """One change in meaning. `old`/`new` are the item's whole sentence before and after."""

    section: str  # a key of SECTIONS
    kind: str  # "added", "removed", "changed", "renamed", "reordered"
    name: str  # the rule, stage, grade, field or activity ("" for the section as a whole)
    subject: str  # how people call it: `"Read a blog post"`, `stage MQL`, `version`
    summary: str  # one line of plain English
    old: Optional[str] = None
    new: Optional[str] = None
    parts: tuple[Part, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "kind": self.kind, "name": self.name, "subject": self.subject, "summary": self.summary,
                "old": self.old, "new": self.new, "parts": [p.to_dict() for p in self.parts]}


# ---------------------------------------------------------------- meaning keys


class _MeaningKey(NodeVisitor):
    """A hashable key of a node that is equal exactly when two nodes mean the same.

    Spans and source spellings are left out (as node equality does); durations
    compare by length, names by name (their declared type is compared where it
    is declared); an ordered comparison with an enum member keeps the member
    list, since `seniority >= director` selects by position.
    """

    prefix = "key_"
    exhaustive = False  # one generic walk covers every kind; the methods below are the exceptions

    def generic_visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        values = [type(node).__name__]
        for f in fields(node):
            if f.compare and f.name != "span":
                values.append(self.value(getattr(node, f.name)))
        return tuple(values)

    def value(self, value: Any) -> Any:
        if isinstance(value, n.Node):
            return self.visit(value)
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        return value

    def key_Duration(self, node: n.Duration) -> Any:
        return ("Duration", node.micros)

    def key_FieldType(self, node: n.FieldType) -> Any:  # a declared type (references are keyed by kind)
        return ("FieldType", node.kind, node.members)

    def key_FieldRef(self, node: n.FieldRef) -> Any:
        return ("FieldRef", node.name, node.type.kind)

    def key_PropRef(self, node: n.PropRef) -> Any:
        return ("PropRef", node.activity, node.name, node.type.kind)

    def key_EnumValue(self, node: n.EnumValue) -> Any:
        return ("EnumValue", node.member)

    def key_StageRef(self, node: n.StageRef) -> Any:
        return ("StageRef", node.name, node.index == 0)

    def key_Compare(self, node: n.Compare) -> Any:
        key = self.generic_visit(node)
        if node.op not in ("=", "!="):
            for side in (node.left, node.right):
                if isinstance(side, n.EnumValue):
                    key += (side.type.members,)
        return key


_KEY = _MeaningKey()


def meaning(node: Any) -> Any:
    """The meaning key of a node, a tuple of nodes, or None."""
    return _KEY.value(node)


def _body(rule: n.Node) -> Any:
    """A rule's meaning without its name (what a rename keeps)."""
    return tuple(v for f, v in zip([f for f in fields(rule) if f.compare and f.name != "span"], meaning(rule)[1:])
                 if f.name != "name")


# ---------------------------------------------------------------- English helpers


def one_line(prose: Prose) -> str:
    """A sentence of the handoff document on one line: a list reads "intro: a; b; (c: d; e)"."""
    if isinstance(prose, Clauses):
        items = "; ".join(f"({one_line(i)})" if isinstance(i, Clauses) else _unstop(i) for i in prose.items)
        return f"{prose.intro}: {items}"
    return prose


def _unstop(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


def _stop(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _quoted(name: str) -> str:
    return f'"{name}"'


def _window(rule: n.EngagementRule) -> str:
    return f"last {duration(rule.within)}" if rule.within is not None else "all time"


def _cap(rule: n.EngagementRule) -> str:
    if rule.max is None:
        return "none"
    return number(rule.max) if rule.points >= 0 else number(-rule.max)


def _listing(names: Iterable[str]) -> str:
    return ", ".join(names) or "none"


# ---------------------------------------------------------------- the comparison


class _Compare:
    """Compares two resolved policies; `changes` grows in SECTIONS order."""

    def __init__(self, old: n.Policy, new: n.Policy) -> None:
        self.old, self.new = old, new
        self.old_en, self.new_en = English(old), English(new)
        self.changes: list[Change] = []

    def run(self) -> list[Change]:
        self.policy_line()
        self.stages()
        self.engagement()
        self.fit()
        self.grades()
        self.demotions()
        self.disqualifications()
        self.fields()
        self.activities()
        return self.changes

    def add(self, section: str, kind: str, name: str, subject: str, summary: str, old: Optional[str] = None,
            new: Optional[str] = None, parts: Iterable[Part] = ()) -> None:
        self.changes.append(Change(section, kind, name, subject, summary, old, new, tuple(parts)))

    # ------------------------------------------------------------ generic matching

    def match(self, section: str, olds: tuple[Any, ...], news: tuple[Any, ...], key: Callable[[Any], str], sentence_old: Callable[..., Any],
              sentence_new: Callable[..., Any], parts: Callable[..., Any], label: Callable[[str], str], renames: bool = True) -> None:
        """Added, removed, renamed and changed items of one section, matched by `key` (their name).

        Changes come in the new version's order, removals where the item stood
        before (after the new items), so a reader follows the new file.
        """
        old_by = {key(x): x for x in olds}
        new_by = {key(x): x for x in news}
        removed = [x for x in olds if key(x) not in new_by]
        added = [x for x in news if key(x) not in old_by]
        renamed: dict[str, Any] = {}  # new name -> old item
        if renames:
            for item in added:
                for gone in removed:
                    if gone not in renamed.values() and _body(gone) == _body(item):
                        renamed[key(item)] = gone
                        break
        for item in news:
            name = key(item)
            twin = next((key(gone) for gone in removed if look_alike(key(gone), name)), None)
            warning = f" ({look_alike_note(twin, name)})" if twin is not None else ""
            if name in renamed:
                before = renamed[name]
                self.add(section, "renamed", name, label(name), f"{label(key(before))} renamed to {label(name)} (otherwise the same){warning}",
                         sentence_old(before), sentence_new(item), [Part("name", key(before), name)])
            elif name not in old_by:
                self.add(section, "added", name, label(name), f"added {label(name)}: {_unstop(sentence_new(item))}{warning}", None,
                         sentence_new(item))
            else:
                before = old_by[name]
                if meaning(before) == meaning(item):
                    continue
                found = list(parts(before, item))
                if not found:  # a difference no part names (should not happen): say so plainly
                    found = [Part("rule", _unstop(sentence_old(before)), _unstop(sentence_new(item)))]
                detail = "; ".join(_part_words(p) for p in found)
                self.add(section, "changed", name, label(name), f"{label(name)}: {detail}", sentence_old(before), sentence_new(item), found)
        for item in removed:
            if item in renamed.values():
                continue
            self.add(section, "removed", key(item), label(key(item)), f"removed {label(key(item))}: {_unstop(sentence_old(item))}",
                     sentence_old(item), None)

    def order(self, section: str, what: str, olds: list[str], news: list[str]) -> None:
        """Report when the items both versions have come in another order (where order decides)."""
        common = set(olds) & set(news)
        before = [x for x in olds if x in common]
        after = [x for x in news if x in common]
        if before != after:
            self.add(section, "reordered", "", what, f"{what}: {_listing(before)} → {_listing(after)}",
                     _listing(olds), _listing(news), [Part("order", _listing(before), _listing(after))])

    def condition_part(self, part: str, old: Optional[n.Expr], new: Optional[n.Expr], none: str = "none") -> list[Part]:
        if meaning(old) == meaning(new):
            return []
        was = self.old_en.condition(old) if old is not None else none
        now = self.new_en.condition(new) if new is not None else none
        if was == now:  # the same words for a different meaning: an enum's members moved
            now += " (the values it stands for changed)"
        return [Part(part, was, now)]

    # ------------------------------------------------------------ sections

    def policy_line(self) -> None:
        old, new = self.old, self.new
        if old.name != new.name:
            self.add("policy", "changed", "name", "policy name", f"policy name {_quoted(old.name)} → {_quoted(new.name)}",
                     old.name, new.name, [Part("name", old.name, new.name)])
        if old.version != new.version:
            self.add("policy", "changed", "version", "version", f"version {old.version} → {new.version}",
                     old.version, new.version, [Part("version", old.version, new.version)])
        owners_old = [f"{o.role} {o.person}" for o in old.owners]
        owners_new = [f"{o.role} {o.person}" for o in new.owners]
        for owner in owners_new:
            if owner not in owners_old:
                self.add("policy", "added", "owner", "owner", f"owner added: {owner}", None, owner)
        for owner in owners_old:
            if owner not in owners_new:
                self.add("policy", "removed", "owner", "owner", f"owner removed: {owner}", owner, None)

    def stages(self) -> None:
        old_index = {s.name: i for i, s in enumerate(self.old.stages)}
        new_index = {s.name: i for i, s in enumerate(self.new.stages)}

        def sentence(english: English, index: dict[str, Any]) -> Callable[..., Any]:
            return lambda s: one_line(english.stage_sentence(s, index[s.name]))

        def parts(a: n.StageDecl, b: n.StageDecl) -> list[Part]:
            found = []
            # The first stage has no entry criteria, whatever it says: every lead is there.
            entry_a = None if old_index[a.name] == 0 else a.condition
            entry_b = None if new_index[b.name] == 0 else b.condition
            if meaning(entry_a) != meaning(entry_b):
                none = "none (every lead starts here)"
                was = self.old_en.condition(entry_a) if entry_a is not None else none
                now = self.new_en.condition(entry_b) if entry_b is not None else none
                found.append(Part("entry criteria", was, now if was != now else now + " (the values it stands for changed)"))
            if a.description != b.description:
                found.append(Part("description", _quoted(a.description or ""), _quoted(b.description or "")))
            return found

        def label(name: str) -> str:
            return f"stage {stage_title(name)}"

        self.match("stages", self.old.stages, self.new.stages, lambda s: s.name, sentence(self.old_en, old_index),
                   sentence(self.new_en, new_index), parts, label, renames=False)
        self.order("stages", "stage order (lowest first)", list(old_index), list(new_index))

    def engagement(self) -> None:
        def parts(a: n.EngagementRule, b: n.EngagementRule) -> list[Part]:
            found = []
            if a.points != b.points:
                found.append(Part("points", points(a.points), points(b.points)))
            if a.activity != b.activity:
                found.append(Part("activity", self.old_en.activity_noun(a.activity), self.new_en.activity_noun(b.activity)))
            if meaning(a.where) != meaning(b.where):
                was = self.old_en.whose(a.where) if a.where is not None else "every one"
                now = self.new_en.whose(b.where) if b.where is not None else "every one"
                found.append(Part("condition", was, now if was != now else now + " (the values it stands for changed)"))
            if meaning(a.within) != meaning(b.within):
                found.append(Part("window", _window(a), _window(b)))
            if a.max != b.max or (a.max is not None and (a.points >= 0) != (b.points >= 0)):
                found.append(Part("cap", _cap(a), _cap(b)))
            return found

        decay_old, decay_new = self.old.decay, self.new.decay
        self.match("engagement", self.old.engagement_rules, self.new.engagement_rules, lambda r: r.name,
                   lambda r: _stop(self.old_en.engagement_sentence(r)), lambda r: _stop(self.new_en.engagement_sentence(r)),
                   parts, _quoted)
        if meaning(decay_old) != meaning(decay_new):
            was = self.old_en.decay_phrase(decay_old) if decay_old is not None else "points do not decay"
            now = self.new_en.decay_phrase(decay_new) if decay_new is not None else "points do not decay"
            kind = "added" if decay_old is None else "removed" if decay_new is None else "changed"
            self.add("engagement", kind, "decay", "decay", f"decay: {was} → {now} (every engagement rule)",
                     self.old_en.decay_sentence(decay_old), self.new_en.decay_sentence(decay_new), [Part("decay", was, now)])

    def fit(self) -> None:
        def parts(a: n.FitRule, b: n.FitRule) -> list[Part]:
            found = []
            if a.points != b.points:
                found.append(Part("points", points(a.points), points(b.points)))
            found += self.condition_part("condition", a.condition, b.condition)
            if a.group != b.group:
                found.append(Part("group", a.group or "no group", b.group or "no group"))
            return found

        self.match("fit", self.old.fit_rules, self.new.fit_rules, lambda r: r.name,
                   lambda r: _stop(one_line(self.old_en.fit_sentence(r))), lambda r: _stop(one_line(self.new_en.fit_sentence(r))),
                   parts, _quoted)

    def grades(self) -> None:
        def parts(a: n.GradeBand, b: n.GradeBand) -> list[Part]:
            return self.condition_part("condition", a.condition, b.condition, none="otherwise")

        self.match("grades", self.old.grades, self.new.grades, lambda g: g.letter,
                   lambda g: _stop(one_line(self.old_en.grade_sentence(g))), lambda g: _stop(one_line(self.new_en.grade_sentence(g))),
                   parts, lambda letter: f"grade {letter}", renames=False)
        self.order("grades", "grade order (first match wins)", [g.letter for g in self.old.grades],
                   [g.letter for g in self.new.grades])

    def demotions(self) -> None:
        def parts(a: n.DemoteRule, b: n.DemoteRule) -> list[Part]:
            found = []
            if a.source != b.source:
                found.append(Part("from", a_stage(a.source), a_stage(b.source)))
            if a.target != b.target:
                found.append(Part("to", the_stage(a.target), the_stage(b.target)))
            return found + self.condition_part("condition", a.condition, b.condition)

        self.match("demote", self.old.demotions, self.new.demotions, lambda r: r.name,
                   lambda r: _stop(one_line(self.old_en.demotion_sentence(r))),
                   lambda r: _stop(one_line(self.new_en.demotion_sentence(r))), parts, _quoted)
        # Order decides only among rules that leave the same stage (the first that holds fires).
        for source in dict.fromkeys(r.source for r in self.new.demotions):
            self.order("demote", f"order of the demotions from {stage_title(source)} (the first that holds fires)",
                       [r.name for r in self.old.demotions if r.source == source],
                       [r.name for r in self.new.demotions if r.source == source])

    def disqualifications(self) -> None:
        def parts(a: n.DisqualifyRule, b: n.DisqualifyRule) -> list[Part]:
            return self.condition_part("condition", a.condition, b.condition)

        self.match("disqualify", self.old.disqualifications, self.new.disqualifications, lambda r: r.name,
                   lambda r: _stop(one_line(self.old_en.disqualify_sentence(r))),
                   lambda r: _stop(one_line(self.new_en.disqualify_sentence(r))), parts, _quoted)
        self.order("disqualify", "disqualification order (the first that holds names the reason)",
                   [r.name for r in self.old.disqualifications], [r.name for r in self.new.disqualifications])

    def fields(self) -> None:
        def sentence(f: n.FieldDecl) -> str:
            return f"{f.name} ({str(f.type)})" + (f": {f.description}" if f.description else "")

        self.match("fields", self.old.fields, self.new.fields, lambda f: f.name, sentence, sentence,
                   lambda a, b: _type_parts(a.type, b.type) + _description_part(a.description, b.description),
                   lambda name: f"field {name}", renames=False)

    def activities(self) -> None:
        def sentence(a: n.ActivityDecl) -> str:
            props = ", ".join(f"{p.name} {str(p.type)}" for p in a.props)
            return a.name + (f" ({props})" if props else "") + (f": {a.description}" if a.description else "")

        def parts(a: n.ActivityDecl, b: n.ActivityDecl) -> list[Part]:
            found = []
            old_props = {p.name: p for p in a.props}
            new_props = {p.name: p for p in b.props}
            for p in b.props:
                if p.name not in old_props:
                    found.append(Part("property added", "", f"{p.name} {str(p.type)}"))
                else:
                    for part in _type_parts(old_props[p.name].type, p.type):
                        found.append(Part(f"property {p.name} {part.part}", part.old, part.new))
            for p in a.props:
                if p.name not in new_props:
                    found.append(Part("property removed", f"{p.name} {str(p.type)}", ""))
            return found + _description_part(a.description, b.description)

        self.match("activities", self.old.activities, self.new.activities, lambda a: a.name, sentence, sentence,
                   parts, lambda name: f"activity {name}", renames=False)


def _type_parts(a: n.FieldType, b: n.FieldType) -> list[Part]:
    if a == b:
        return []
    if a.kind == b.kind == "enum":
        found = []
        added = [m for m in b.members if m not in a.members]
        removed = [m for m in a.members if m not in b.members]
        # each member as the policy writes it (`"Closed, Lost"`, `"and"`), as in the type's text
        if added:
            found.append(Part("values added", "", _listing(map(n.member_text, added))))
        if removed:
            found.append(Part("values removed", _listing(map(n.member_text, removed)), ""))
        kept_a = [n.member_text(m) for m in a.members if m in b.members]
        kept_b = [n.member_text(m) for m in b.members if m in a.members]
        if kept_a != kept_b:
            found.append(Part("value order", _listing(kept_a), _listing(kept_b)))
        return found
    return [Part("type", str(a), str(b))]


def _description_part(a: Optional[str], b: Optional[str]) -> list[Part]:
    return [] if a == b else [Part("description", _quoted(a or ""), _quoted(b or ""))]


def compare(old: n.Policy, new: n.Policy) -> list[Change]:
    """Every change in meaning from `old` to `new` (both resolved by the checker); [] when none."""
    return _Compare(old, new).run()
