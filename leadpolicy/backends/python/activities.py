"""Emitter of the activities section of `evaluate`: one pass over the raw activities
that reads each one and, at once, adds it to every engagement rule total and
`did` count of its type.

Windows are comparisons of the activity's time with as_of minus the window,
computed once per lead; each activity's decay factor is computed at most once,
from a table of base ** k. Input the runtime must read itself (not a list of
plain objects, or holding something only the runtime reader can say) is read by
`runtime.read_activities`, and its result goes through the same code again, so
every rule is emitted once: the age as a timedelta, exactly the contract's
integer ages.
"""

from __future__ import annotations

from typing import Optional

from leadpolicy.backends.python import source as s
from leadpolicy.backends.python.analysis import Loop
from leadpolicy.backends.python.context import Context
from leadpolicy.backends.python.reading import read_value
from leadpolicy.semantics import runtime


def read_activities(ctx: Context) -> list[str]:
    analysis = ctx.analysis
    cases: list[tuple[int, list[str]]] = []
    for code, decl in enumerate(ctx.policy.activities):
        loop = analysis.loops.get(decl.name)
        read: list[str] = []
        for prop in decl.props:
            target = loop.props.get(prop.name) if loop is not None else None
            read += read_value(ctx, target, f"item.get({s.lit(prop.name)})", prop.type,
                               s.lit(decl.name + "." + prop.name), memo=ctx.batch)
        uses = _uses(ctx, loop)
        branch: list[str] = []
        if read:
            again = [f"{loop.props[p.name]} = props[{s.lit(p.name)}]"
                     for p in decl.props if loop is not None and p.name in loop.props]
            if again:
                branch += ["if again:", *s.indent(again, 1), "else:", *s.indent(read, 1)]
            else:
                branch += ["if not again:", *s.indent(read, 1)]
        if uses:
            branch += ["if at <= ref:  # not after as_of", *s.indent(uses, 1)]
        if branch:
            cases.append((code, [f"  # {s.say(decl.name)}", *branch]))
    branches = s.dispatch(cases, "code")
    init = []
    for total in analysis.totals:
        init += [f"{total.total} = 0.0  # {s.at(total.rule)} {s.say(total.rule.name)}", f"{total.count} = 0"]
    for counter in analysis.counters.values():
        init.append(f"{counter.name} = 0  # {counter.comment}")
    since = [f"{local} = ref - {ctx.span(micros)}" for micros, local in sorted(ctx.since.items())]
    codes, codes_lower = _activity_codes(ctx)
    names = s.lit(tuple(decl.name for decl in ctx.policy.activities))
    return [
        "# ---- activities: every declared activity is read and checked (those after as_of",
        "# too); each one up to as_of, in input order, goes into every engagement rule",
        "# total (after decay) and `did` count of its type. The first pass reads the raw",
        "# activities; input that is not a list of plain objects, or holds something only",
        "# the runtime reader can say, is read by runtime.read_activities and goes through",
        "# the same code again (`again`), as (type code, -age, properties): with `ref` the",
        "# zero timedelta, `at >= ref - W` is exactly `age <= W` and `(ref - at)` is the age.",
        "# Activities already read by _read_lead (`read`) go straight to that code, as",
        "# (type code, aware time, properties), with `ref` as_of.",
        "ref = now_utc",
        "if read is None:",
        "    again = False",
        "    slow = now_utc is None or (type(activities) is not list and type(activities) is not tuple)",
        "    source = () if slow else activities",
        "else:",
        "    again = True",
        "    source = read[1]",
        "while True:",
        *s.indent(init, 1),
        "    if source:",
        "        try:",
        *s.indent(since, 3),
        "            for item in source:",
        "                if again:",
        "                    code, at, props = item",
        "                else:",
        "                    if type(item) is not dict:",
        "                        slow = True",
        "                        break",
        "                    name = item.get('type')",
        "                    if type(name) is not str:",
        "                        slow = True",
        "                        break",
        *s.indent(_type_code(ctx, codes, codes_lower), 5),
        "                    at = item.get('at')",
        "                    if type(at) is str:",
        "                        # The spellings of the one syntax that fromisoformat reads as the",
        "                        # runtime does (helpers.py): the commonest checked by their",
        "                        # punctuation, the others by the pattern; the rest: _read_at.",
        "                        if at[4:20:3] in _PLAIN_SHAPES and 18 < len(at) < 21 and at[11:13] < '24':",
        "                            at = _FROMISOFORMAT(at)",
        *s.indent(_other_spellings(ctx), 6),
        "                        if at.tzinfo is None:",
        "                            at = _EPOCH_UTC + (at - _EPOCH_NAIVE)  # no zone means UTC",
        "                    elif at is None:",
        "                        slow = True",
        "                        break",
        "                    else:",
        "                        at = _read_at(at, _AT_LABELS[code], lead_id)",
        *s.indent(branches, 4),
        "        except (ValueError, OverflowError):  # LeadDataError included: the runtime reports it",
        "            if again:",
        "                raise",
        "            slow = True",
        "    if again or not slow:",
        "        break",
        "    # not a list of plain objects, or something only the runtime reader can say",
        "    acts = read_activities(activities, _ACTIVITY_TYPES, now, lead_id)",
        f"    source = [(code, -_TIMEDELTA(0, 0, age), props) for code, name in enumerate({names})",
        "              for age, props in acts[name]]",
        "    ref = _TIMEDELTA(0)",
        "    again = True",
    ]


def _other_spellings(ctx: Context) -> list[str]:
    """The spellings of the syntax but the commonest: checked by the pattern; the rest
    (padded, a lower-case `z`, not text): _read_at.

    In the batch, a time written YYYY-MM-DD?HH:MM:SS (the commonest head) followed by a
    tail (fraction, zone) that the pattern accepted in an earlier time of the batch is
    read without the pattern: the pattern is one for the head followed by one for the
    tail, and for such a head fromisoformat fails (and the runtime says why) exactly
    where the head's pattern does, as for the commonest spellings. `memo_tails` gives
    the tail's (end, shift): fromisoformat reads the head and the fraction, `text[:end]`,
    and the zone is the shift, `_EPOCH_NAIVE` plus its offset (None: fromisoformat reads
    the whole text in UTC already). The time comes out in UTC: an aware datetime with
    another offset costs about 0.5 µs in each comparison with as_of minus a window (a
    call of utcoffset on each side), a UTC one 20 ns. _read_at_memo reads the rest and
    fills the table (helpers.py)."""
    if not ctx.batch:
        return ["elif _ISO_SHAPE(at) and at[-1] != 'z':",
                "    at = _FROMISOFORMAT(at)",
                "else:",
                "    at = _read_at(at, _AT_LABELS[code], lead_id)"]
    ctx.memo("memo_tails", "{}", "what follows the seconds in the times the pattern accepted -> (end, shift)")
    return ["elif (tail := memo_tails.get(at[19:])) is not None and at[4:17:3] in _HEAD_SHAPES and at[11:13] < '24':",
            "    # the commonest head, and a tail met in this batch: in UTC",
            "    at = _FROMISOFORMAT(at) if tail[1] is None else _EPOCH_UTC + (_FROMISOFORMAT(at[:tail[0]]) - tail[1])",
            "else:",
            "    at = _read_at_memo(memo_tails, at, _AT_LABELS[code], lead_id)  # in UTC"]


def _type_code(ctx: Context, codes: str, codes_lower: str) -> list[str]:
    """`code`: the activity's type (its index in the declarations) from its name, a str;
    `continue` for an undeclared type. In the batch, `memo_codes` starts as a copy of
    the table of declared names and learns the other spellings that name a declared
    type (`memo_ignored` those that name none), as the leads go by, up to _MEMO_SIZE
    each: the answer for a name never changes, so a remembered one is the same answer."""
    if not ctx.batch:
        return [f"code = {codes}.get(name)",
                "if code is None:",
                "    name = name.strip().lower()",
                f"    code = {codes_lower}.get(name)",
                "    if code is None:",
                "        if name:",
                "            continue  # an undeclared type is ignored, whatever it holds",
                "        slow = True",
                "        break"]
    ctx.memo("memo_codes", f"dict({codes})", "activity type name -> code: the declared names, then those met")
    ctx.memo("memo_ignored", "set()", "the type names met that name no declared type")
    return ["code = memo_codes.get(name)  # the declared names, and the spellings met in this batch",
            "if code is None:",
            "    if name in memo_ignored:",
            "        continue  # an undeclared type met before in this batch",
            "    spelling = name",
            "    name = name.strip().lower()",
            f"    code = {codes_lower}.get(name)",
            "    if code is None:",
            "        if name:",
            "            if len(memo_ignored) < _MEMO_SIZE:",
            "                memo_ignored.add(spelling)",
            "            continue  # an undeclared type is ignored, whatever it holds",
            "        slow = True",
            "        break",
            "    if len(memo_codes) < _MEMO_SIZE:",
            "        memo_codes[spelling] = code"]


def _uses(ctx: Context, loop: Optional[Loop]) -> list[str]:
    """What one activity adds to the totals and counts of its type.

    Its time is `at` (not after `ref`), and a window is `at >= since_...`, the
    start of the window (`ref` minus it) computed once per lead. On the first pass
    `ref` is as_of and `at` the activity's aware datetime; on the second (the
    runtime's reading) `ref` is the zero timedelta and `at` minus the contract's
    integer age, as a timedelta. Both are exact: age <= W exactly when
    at >= ref - W, and the number of whole k-day periods in an age is the
    timedelta `ref - at`'s `.days // k`."""
    if loop is None:
        return []
    emitter = ctx.expressions
    decayed = ctx.analysis.decay_base is not None

    def test(within: Optional[int], where: Optional[str]) -> Optional[str]:
        parts = [part for part in ((None if within is None else f"at >= {ctx.since_local(within)}"), where)
                 if part is not None]
        return " and ".join(parts) if parts else None

    lines: list[str] = []
    # The decay factor, at most once per activity: with one rule, where it matches;
    # with two, the first time one matches; with more, before them all.
    rules = len(loop.totals) if decayed else 0
    lazy = rules == 2
    if lazy:
        lines.append("factor = None  # the decay factor, computed at most once per activity")
    elif rules > 2:
        lines += ["# the decay factor of this activity", *_factor(ctx)]
    for position, total in enumerate(loop.totals):
        where, notes = emitter.where(loop.decl, total.rule.where)
        points = s.number(total.rule.points)
        body: list[str] = []
        if not decayed:
            body.append(f"{total.total} += {points.code}")
        else:
            if lazy and position == 0:
                body += _factor(ctx)  # the first rule: nothing computed it yet
            elif lazy:
                body += ["if factor is None:", *s.indent(_factor(ctx), 1)]
            elif rules == 1:
                body += _factor(ctx)
            body.append(f"{total.total} += {s.wrap(points, s.MUL)} * factor")
        body.append(f"{total.count} += 1")
        lines += s.statement(test(total.within, where), body, f"{s.at(total.rule)} {s.say(total.rule.name)}{notes}")
    for counter in loop.counters:
        where, notes = emitter.where(loop.decl, counter.where)
        lines += s.statement(test(counter.within, where), [f"{counter.name} += 1"], counter.comment + notes)
    return lines


def _factor(ctx: Context) -> list[str]:
    """factor = base ** floor(age / every): 1.0 (base ** 0) for an activity less than
    one period old (`at` after as_of minus the period), else from the table of the
    first 64 values."""
    every = ctx.analysis.decay_every
    if every % s.MICROS_PER_DAY == 0:
        periods = f"(ref - at).days // {s.lit(every // s.MICROS_PER_DAY)}"
    else:
        periods = f"(ref - at) // {ctx.span(every)}"
    return [f"if at > {ctx.since_local(every)}:",
            "    factor = 1.0",
            "else:",
            f"    periods = {periods}",
            f"    factor = _DECAY[periods] if periods < 64 else {ctx.analysis.decay_base} ** periods"]


def _activity_codes(ctx: Context) -> tuple[str, str]:
    """Tables of the activity type (its index in the declarations) the runtime reads
    for the declared names, as written and lower-cased."""
    activities = ctx.policy.activities
    declared = {decl.name.lower(): (decl.name, tuple((p.name, p.type.kind, tuple(p.type.members))
                                                     for p in decl.props))
                for decl in activities}
    codes = {decl.name: code for code, decl in enumerate(activities)}

    def answer(text: str) -> Optional[int]:
        # the runtime's reading, given the one declaration it can pick (linear in the types)
        key = text.strip().lower()
        read = runtime.read_activities([{"type": text, "at": "1970-01-01"}],
                                       {key: declared[key]} if key in declared else {}, 0)
        found = [name for name, acts in read.items() if acts]
        return codes[found[0]] if found else None

    names = [decl.name for decl in activities]
    return ctx.table("_ACTIVITY_CODE", names + [name.lower() for name in names], answer)
