"""The handoff document: a resolved policy -> Markdown or one self-contained HTML file.

All the logic is here; the templates (`templates/handoff.md.j2`,
`templates/handoff.html.j2`) only lay out what `document()` prepares.
Every piece of text from the policy is escaped for its format: the HTML
environment autoescapes, and the Markdown environment escapes every value it
prints (`md_escape`) unless it is `MarkdownText` built here from escaped parts.
The output depends only on the policy and its source text (no clock), so
golden tests can pin it.

    text = render(tree, source, "policies/acme.policy", "html")
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import jinja2
from markupsafe import Markup, escape

from leadpolicy.handoff import diagram
from leadpolicy.handoff.english import Clauses, English, Prose, duration, number, points
from leadpolicy.resources import package_text
from leadpolicy.syntax import nodes as n
from leadpolicy.syntax.diagnostics import terminal_text

FORMATS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}

SECTIONS = (
    ("how-a-lead-moves", "How a lead moves"),
    ("stages", "Stages"),
    ("engagement-points", "Engagement points"),
    ("fit-points", "Fit points"),
    ("grades", "Grades"),
    ("demotion", "Demotion"),
    ("disqualification", "Disqualification"),
    ("fields", "Fields"),
    ("activities", "Activities"),
    ("sign-off", "Sign-off"),
    ("policy-source", "Policy source"),
)


def format_for(path: str) -> Optional[str]:
    """"markdown" or "html" by the file's suffix; None for any other suffix."""
    return FORMATS.get(Path(path).suffix.lower())


# ---------------------------------------------------------------- escaping


class MarkdownText(str):
    """Markdown that is already safe: the Markdown environment prints it as is."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&$~])")


def md_escape(value: Any) -> str:
    """Plain text -> Markdown that shows exactly that text, on one line (safe in a table cell).
    Characters a terminal would act on or that reorder the line (`\\x1b`, `\\u202e`) are shown
    escaped, as the terminal's messages show them: Markdown is printed to standard output too."""
    if isinstance(value, MarkdownText):
        return value
    text = terminal_text(" ".join(str(value).split()))
    return _MD_SPECIAL.sub(r"\\\1", text)


def md_code(text: str) -> MarkdownText:
    """Text in a code span: identifiers, paths, hashes. Text a code span cannot hold is escaped instead:
    a backtick or `|`, and any line break (a carriage return too: Markdown ends a line there, and the rest of the
    line would be read as Markdown and HTML) or other character that is not printable."""
    text = str(text)
    if text and "`" not in text and "|" not in text and text.isprintable() and text.strip() == text:
        return MarkdownText(f"`{text}`")
    return MarkdownText(md_escape(text))


# ---------------------------------------------------------------- prose in each format


def shown_source(source: str) -> str:
    """The policy's text as the document shows it under "Policy source": its lines as they are
    (a CRLF file's too), with what a terminal would act on shown escaped (`\\x1b`), as elsewhere."""
    text = terminal_text(source.replace("\r\n", "\n"))
    return text if text.endswith("\n") or not text else text + "\n"


def md_fence(text: str, info: str) -> MarkdownText:
    """Text in a fenced code block: the fence is longer than any run of backticks in the text, so no
    line of it can close the block early (CommonMark), and nothing in it is read as Markdown."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return MarkdownText(f"{fence}{info}\n{text}{fence}")


def md_inline(prose: Prose) -> MarkdownText:
    """Prose on one line (for table cells): a list becomes "intro: a; b; c"."""
    if isinstance(prose, Clauses):
        items = "; ".join(f"({md_inline(i)})" if isinstance(i, Clauses) else md_inline(i) for i in prose.items)
        return MarkdownText(f"{md_escape(prose.intro)}: {items}")
    return MarkdownText(md_escape(prose))


def md_block(prose: Prose, indent: int = 0) -> MarkdownText:
    """Prose as a paragraph, or an intro line and a nested bulleted list."""
    pad = "  " * indent
    if not isinstance(prose, Clauses):
        return MarkdownText(md_escape(prose))
    lines = [md_escape(prose.intro) + ":", ""] if indent == 0 else [md_escape(prose.intro) + ":"]
    for item in prose.items:
        if isinstance(item, Clauses):
            lines.append(f"{pad}- " + md_block(item, indent + 1))
        else:
            lines.append(f"{pad}- {md_escape(item)}")
    return MarkdownText("\n".join(lines))


def md_item(name: str, prose: Prose) -> MarkdownText:
    """A bullet: "- **NAME**: sentence", a list sentence's items nested under it."""
    if isinstance(prose, str) and not prose.endswith("."):
        prose = prose + "."
    body = md_block(prose, 1).replace("\n", "\n  ")
    return MarkdownText(f"- **{md_escape(name)}**: {body}")


def html_prose(prose: Prose) -> Markup:
    """Prose as HTML: text, or an intro and a nested list; every piece escaped."""
    if not isinstance(prose, Clauses):
        return escape(prose)
    items = Markup("").join(Markup("<li>{}</li>").format(html_prose(i)) for i in prose.items)
    return Markup('<span class="intro">{}:</span><ul class="clauses">{}</ul>').format(prose.intro, items)


def html_sentence(prose: Prose) -> Markup:
    """A rule's sentence as a block: a paragraph, or a paragraph and a list."""
    if not isinstance(prose, Clauses):
        return Markup("<p>{}</p>").format(prose)
    items = Markup("").join(Markup("<li>{}</li>").format(html_prose(i)) for i in prose.items)
    return Markup('<p>{}:</p><ul class="clauses">{}</ul>').format(prose.intro, items)


# ---------------------------------------------------------------- anchors


class Anchors:
    """Unique, readable ids: `rule-read-a-blog-post`, `stage-mql`, ..."""

    def __init__(self, taken: tuple[str, ...] = ()) -> None:
        self.taken = set(taken)
        self.by_key: dict[tuple[str, str], str] = {}

    def __call__(self, prefix: str, name: str) -> str:
        key = (prefix, name)
        if key in self.by_key:
            return self.by_key[key]
        slug = re.sub(r"[^\w]+", "-", name.lower()).strip("-_") or "x"
        candidate = f"{prefix}-{slug}"
        i = 2
        while candidate in self.taken:
            candidate = f"{prefix}-{slug}-{i}"
            i += 1
        self.taken.add(candidate)
        self.by_key[key] = candidate
        return candidate


# ---------------------------------------------------------------- the view model


@dataclass
class Row:
    """One rule, stage, field or activity, ready to print."""

    id: str
    name: str
    cells: dict[str, Any] = field(default_factory=dict)


def _uses(expr: Optional[n.Expr]) -> tuple[set[str], set[Optional[str]]]:
    """The fields and activity types a condition reads (None: any activity type)."""
    fields_: set[str] = set()
    activities: set[Optional[str]] = set()
    if expr is None:
        return fields_, activities
    for node in expr.walk():
        if isinstance(node, n.FieldRef):
            fields_.add(node.name)
        elif isinstance(node, n.DaysSince):
            fields_.add(node.field_name)
        elif isinstance(node, n.Did):
            activities.add(node.activity)
    return fields_, activities


def _check_resolved(policy: n.Policy) -> None:
    for node in policy.walk():
        if isinstance(node, (n.Name, n.Paren)):
            raise ValueError("the handoff document needs a checked policy (run the checker's resolve pass first)")


def document(policy: n.Policy, source: str, path: Optional[str] = None) -> dict[str, Any]:
    """Everything both templates print, as plain data (no format-specific markup)."""
    _check_resolved(policy)
    english = English(policy)
    anchors = Anchors(tuple(sid for sid, _ in SECTIONS) + ("contents", "top", "diagram-title"))
    path = path if path is not None else policy.path

    stages = []
    for i, stage in enumerate(policy.stages):
        stages.append(
            Row(
                anchors("stage", stage.name),
                stage.name,
                {"description": stage.description or "", "entry": english.stage_sentence(stage, i)},
            )
        )

    engagement = []
    # the block's one decay, on every row: the table names what ages a rule's points beside its window and cap
    decay = "none" if policy.decay is None else f"{number(policy.decay.percent)}% every {duration(policy.decay.every)}"
    for rule in policy.engagement_rules:
        window = f"last {duration(rule.within)}" if rule.within is not None else "all time"
        if rule.max is None:
            cap = "none"
        else:
            cap = number(rule.max) if rule.points >= 0 else number(-rule.max)
        engagement.append(
            Row(
                anchors("rule", rule.name),
                rule.name,
                {
                    "activity": rule.activity,
                    "condition": english.condition(rule.where) if rule.where is not None else "every one",
                    "points": points(rule.points),
                    "window": window,
                    "cap": cap,
                    "decay": decay,
                    "sentence": english.engagement_sentence(rule, policy.decay),
                },
            )
        )

    fit_groups: list[dict[str, Any]] = []
    loose: list[Row] = []
    fit = policy.first(n.FitBlock)
    for item in fit.items if fit is not None else ():
        if isinstance(item, n.FitGroup):
            fit_groups.append({"name": item.name, "id": anchors("fit", item.name), "rows": [_fit_row(r, english, anchors) for r in item.rules]})
        else:
            loose.append(_fit_row(item, english, anchors))
    if loose:
        fit_groups.append({"name": "", "id": anchors("fit", "ungrouped"), "rows": loose})

    grades = [
        Row(
            anchors("grade", band.letter),
            band.letter,
            {"condition": english.prose(band.condition) if band.condition is not None else "otherwise (no grade above applies)"},
        )
        for band in policy.grades
    ]
    has_otherwise = any(b.condition is None for b in policy.grades)

    demotions = [
        Row(
            anchors("rule", rule.name),
            rule.name,
            {
                "source": rule.source,
                "target": rule.target,
                "condition": english.prose(rule.condition),
                "sentence": english.demotion_sentence(rule),
            },
        )
        for rule in policy.demotions
    ]
    disqualifications = [
        Row(
            anchors("rule", rule.name),
            rule.name,
            {"condition": english.prose(rule.condition), "sentence": english.disqualify_sentence(rule)},
        )
        for rule in policy.disqualifications
    ]

    # What relies on each field and activity.
    field_users: dict[str, list[str]] = {f.name: [] for f in policy.fields}
    activity_users: dict[str, list[str]] = {a.name: [] for a in policy.activities}

    def note(who: str, expr: Optional[n.Expr], activity: Optional[str] = None) -> None:
        used_fields, used_activities = _uses(expr)
        if activity is not None:
            used_activities.add(activity)
        for name in sorted(used_fields):
            if name in field_users and who not in field_users[name]:
                field_users[name].append(who)
        for activity_name in used_activities:
            for target in activity_users if activity_name is None else [activity_name]:
                if target in activity_users and who not in activity_users[target]:
                    activity_users[target].append(who)

    for stage in policy.stages:
        note(f"stage {stage.name}", stage.condition)
    for rule in policy.engagement_rules:
        note(rule.name, None, rule.activity)
    for fit_rule in policy.fit_rules:
        note(fit_rule.name, fit_rule.condition)
    for band in policy.grades:
        note(f"grade {band.letter}", band.condition)
    for demotion in policy.demotions:
        note(demotion.name, demotion.condition)
    for dq in policy.disqualifications:
        note(dq.name, dq.condition)

    fields_ = [
        Row(
            anchors("field", f.name),
            f.name,
            {"type": str(f.type), "description": f.description or "", "used_by": field_users[f.name]},
        )
        for f in policy.fields
    ]
    activities = [
        Row(
            anchors("activity", a.name),
            a.name,
            {
                "properties": ", ".join(f"{p.name} ({str(p.type)})" for p in a.props),
                "description": a.description or "",
                "used_by": activity_users[a.name],
            },
        )
        for a in policy.activities
    ]

    look_alikes = english.look_alike_notes()
    rule_ids = {row.name: row.id for row in engagement + demotions + disqualifications}
    rule_ids.update({row.name: row.id for group in fit_groups for row in group["rows"]})
    picture = diagram.model(policy)

    return {
        "title": policy.name,
        "version": policy.version,
        "owners": [{"role": o.role, "person": o.person} for o in policy.owners],
        "path": path,
        "sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "sections": SECTIONS,
        "stages": stages,
        "lowest": policy.stages[0].name if policy.stages else "",
        "picture": picture,
        "rule_ids": rule_ids,
        "engagement": engagement,
        "decay": english.decay_sentence(policy.decay),
        "fit_groups": fit_groups,
        "grades": grades,
        "has_otherwise": has_otherwise,
        "demotions": demotions,
        "disqualifications": disqualifications,
        "fields": fields_,
        "activities": activities,
        "look_alikes": look_alikes,
        "source": shown_source(source),
    }



def _fit_row(rule: n.FitRule, english: English, anchors: Anchors) -> Row:
    return Row(
        anchors("rule", rule.name),
        rule.name,
        {"condition": english.prose(rule.condition), "points": points(rule.points), "sentence": english.fit_sentence(rule)},
    )


# ---------------------------------------------------------------- rendering


def markdown(policy: n.Policy, source: str, path: Optional[str] = None) -> str:
    """The handoff document as Markdown (with a Mermaid picture of the stages)."""
    doc = document(policy, source, path)
    context = dict(doc)
    context["mermaid"] = MarkdownText(diagram.mermaid(doc["picture"]))
    context["code"] = md_code
    context["inline"] = md_inline
    context["block"] = md_block
    context["item"] = md_item
    context["used_by"] = lambda names: MarkdownText(md_escape(", ".join(names)) if names else "*not used by any rule*")
    context["source_block"] = MarkdownText(_SOURCE_HERE)  # put in after the blank lines are folded: the source keeps its own
    text = _environment("markdown").get_template("handoff.md.j2").render(context)
    text = re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"
    return text.replace(_SOURCE_HERE, md_fence(doc["source"], "policy"), 1)


_SOURCE_HERE = "\x00policy source\x00"  # no policy text holds a NUL: `shown_source` escapes it


def html(policy: n.Policy, source: str, path: Optional[str] = None) -> str:
    """The handoff document as one self-contained HTML file (inline CSS and SVG, no script)."""
    doc = document(policy, source, path)
    rule_ids = doc["rule_ids"]
    context = dict(doc)
    context["svg"] = Markup(
        diagram.svg(
            doc["picture"],
            title=f"The stages of {doc['title']}",
            rule_href=lambda rule: "#" + rule_ids[rule] if rule in rule_ids else None,
        )
    )
    context["prose"] = html_prose
    context["sentence"] = html_sentence
    text = _environment("html").get_template("handoff.html.j2").render(context).rstrip("\n") + "\n"
    # HTML escapes markup, not control characters: a rule name's escape sequence (`\x1b[2J`) or C1
    # control reached a terminal as it was (`docs --format html` prints to standard output), and in a
    # pipe click dropped the sequence, so the document differed from `-o FILE`'s. They are shown as
    # the Markdown shows them (`\x1b`); the template's own text holds none.
    return terminal_text(text)


def render(policy: n.Policy, source: str, path: Optional[str] = None, fmt: str = "markdown") -> str:
    """`fmt` is "markdown" or "html"."""
    if fmt == "html":
        return html(policy, source, path)
    if fmt == "markdown":
        return markdown(policy, source, path)
    raise ValueError(f"unknown document format `{fmt}`: use markdown or html")


@lru_cache(maxsize=2)
def _environment(fmt: str) -> jinja2.Environment:
    options: dict[str, Any] = dict(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if fmt == "html":
        return jinja2.Environment(autoescape=True, **options)
    return jinja2.Environment(autoescape=False, finalize=md_escape, **options)


def _template_source(name: str) -> str:
    return package_text("handoff/templates/" + name)
