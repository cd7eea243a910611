"""Emitter of the first section of `evaluate`: reading `as_of`, the fields and the
previous stage (the activities: activities.py).

The runtime readers define what every input value means. For plain JSON-shaped
input (dicts, lists, str, int, float, bool) the code below reads values itself,
in exactly the runtime's way (repeating the runtime's own first step for that
kind of value, or looking text up in tables of the runtime's answers computed
at compile time), and hands everything else to the runtime readers.
"""

from __future__ import annotations

from typing import Optional

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.context import Context
from leadpolicy.semantics import runtime
from leadpolicy.syntax import nodes as n


def read_as_of() -> list[str]:
    return [
        "# ---- reading the lead (docs/language-reference.md section 16), in the runtime's order: as of",
        "# (evaluate, _read_now), fields, activities, previous stage. The runtime readers",
        "# (above) define every value; plain JSON values are read here the same way, faster,",
        "# and anything else goes to them. `now` is as_of in microseconds; `now_utc` the same",
        "# instant as an aware datetime, or None beyond the datetime range.",
    ]


def read_fields(ctx: Context) -> list[str]:
    fields = ctx.policy.fields
    locals_ = ctx.analysis.field_locals
    lines = ["if type(fields) is dict:", "    get = fields.get"] if fields else ["if type(fields) is dict:", "    pass"]
    for decl in fields:
        read = read_value(ctx, locals_.get(decl.name), f"get({s.lit(decl.name)})", decl.type, s.lit(decl.name))
        lines += s.indent(read, 1)
    lines += ["else:  # not a dict, or None with `read` given (the lead read by _read_lead)",
              "    values = read_fields(fields, _FIELDS, lead_id) if read is None else read[0]"]
    for decl in fields:
        if decl.name in locals_:
            lines.append(f"    {locals_[decl.name]} = values[{s.lit(decl.name)}]")
    return lines


def read_value(ctx: Context, target: Optional[str], getter: str, ftype: n.FieldType, label: str,
               memo: bool = False) -> list[str]:
    """Read one value into `target` as its runtime reader does (None when absent or
    null); with no target, only check it as the runtime reader would. With `memo`
    (activity properties in the batch), a text is looked up in the batch's table of
    the texts met before (`memo_texts`, filled by _lower_text) before it is trimmed
    and lower-cased. In the batch, number, boolean and enum texts are looked up in the
    batch's tables of the texts met (an enum's starts as a copy of its members' table)
    first; `_remember` adds the readers' answers for the others.

    Each fast branch repeats what the runtime reader does for that exact kind of
    input, or looks the text up in a table of the runtime's own answers (see
    `Context.table`); every other input goes to the runtime reader itself."""
    t = target or "value"
    lines = [f"{t} = {getter}"]
    kind = ftype.kind
    if kind == "text" and target is None:
        lines += [f"if {t} is not None and type({t}) is not str:  # any str is text",
                  f"    read_text({t}, {label}, lead_id)"]
    elif kind == "text" and memo:
        ctx.memo("memo_texts", "{}", "activity text value -> trimmed and lower-cased, as met")
        lines += [f"if {t} is not None:",
                  f"    {t} = (memo_texts.get({t}) or _lower_text(memo_texts, {t})) if type({t}) is str else "
                  f"read_text({t}, {label}, lead_id)"]
    elif kind == "text":
        lines += [f"if {t} is not None:",
                  f"    {t} = ({t}.strip().lower() or None) if type({t}) is str else "
                  f"read_text({t}, {label}, lead_id)"]
    elif kind == "number" and ctx.batch:
        known = ctx.memo("memo_numbers", "{}", "number text -> its number, as met")
        lines += [f"if {t} is not None:",
                  f"    number = {known}.get({t}) if type({t}) is str else None",
                  f"    {t} = _remember({known}, {t}, _read_number({t}, {label}, lead_id)) if number is None else number"]
    elif kind == "number":
        lines += [f"if {t} is not None:",
                  f"    {t} = _read_number({t}, {label}, lead_id)"]
    elif kind == "boolean" and ctx.batch:
        known = ctx.memo("memo_booleans", "{}", "boolean text -> True or False, as met")
        lines += [f"if {t} is not None and {t} is not True and {t} is not False:",
                  f"    answer = {known}.get({t}) if type({t}) is str else None",
                  f"    {t} = _remember({known}, {t}, _read_boolean({t}, {label}, lead_id)) if answer is None else answer"]
    elif kind == "boolean":
        lines += [f"if {t} is not None and {t} is not True and {t} is not False:",
                  f"    {t} = _read_boolean({t}, {label}, lead_id)"]
    elif kind == "enum":
        members = tuple(str(m) for m in ftype.members)
        exact, lower = ctx.table("_ENUM", members + tuple(m.lower() for m in members),
                                 lambda text: runtime.read_enum(text, members, "member"))
        if ctx.batch:  # the members first, then the other texts met in the batch and their answers
            known = ctx.memo("memo" + exact.lower(), f"dict({exact})", f"text -> member index: {exact}, then those met")
            lines += [f"if {t} is not None:",
                      f"    index = {known}.get({t}) if type({t}) is str else None",
                      f"    {t} = _remember({known}, {t}, _read_enum({t}, {lower}, {s.lit(members)}, {label}, lead_id)) "
                      "if index is None else index"]
        else:
            lines += [f"if {t} is not None:",
                      f"    index = {exact}.get({t}) if type({t}) is str else None",
                      f"    {t} = _read_enum({t}, {lower}, {s.lit(members)}, {label}, lead_id) if index is None else index"]
    elif kind == "date":
        lines += [f"if {t} is not None:",
                  f"    {t} = _read_date({t}, {label}, lead_id)"]
    else:
        raise s.CompileError(f"unknown type {s.say(kind)}")
    return lines


def read_previous(ctx: Context) -> list[str]:
    names = tuple(stage.name for stage in ctx.policy.stages)
    answer = lambda text: runtime.read_previous_stage(text, names)  # noqa: E731
    if len(names) > s.CHAIN:
        # the same answers without rebuilding the runtime's index of the names per text
        # (quadratic for thousands of stages): a stage name is never blank text
        every = (*names, s.DISQUALIFIED)
        index = {name.lower(): number for number, name in enumerate(every)}
        answer = lambda text: every[index[text.strip().lower()]]  # noqa: E731
    exact, lower = ctx.table("_PREVIOUS", (*names, s.DISQUALIFIED, *(name.lower() for name in names)), answer)
    return [
        "if previous_stage is None:",
        "    previous = None",
        "elif type(previous_stage) is str:  # a stage name is never empty text",
        f"    previous = ({exact}.get(previous_stage) or {lower}.get(previous_stage.strip().lower())",
        "                or read_previous_stage(previous_stage, _STAGE_NAMES, lead_id))",
        "else:",
        "    previous = read_previous_stage(previous_stage, _STAGE_NAMES, lead_id)",
    ]
